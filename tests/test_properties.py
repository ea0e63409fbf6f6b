"""Property tests (Hypothesis): the parser never fails except with deck2pdf's own error; any deck built from
the format's pieces renders one page per slide. `make test` runs a bounded number of examples; `make fuzz`
(HYPOTHESIS_PROFILE=fuzz) runs many more."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deck2pdf.errors import Deck2PdfError
from deck2pdf.parse import decode, parse_text
from deck2pdf.pipeline import convert

settings.register_profile("default", max_examples=300, deadline=None, derandomize=True)  # the same examples every run
settings.register_profile("fuzz", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
RENDERS = 12 if os.environ.get("HYPOTHESIS_PROFILE") != "fuzz" else 400

SRC = Path("deck.md")
_PIECES = st.sampled_from(
    [
        "--", "-- center", "---", "--- wide", "-->", "  --", "title: T", "author:", "  name: N", "theme: x/cleaver-dark",
        "# H", "###Title", "* a", "  * b", "* * c", "1. one", "3. three", "```", "```python", "~~~", "    code",
        "| a | b |", "|:--|--:|", "a | b", "-- | --", "<div>", "</div>", "<center>x<center>", "<img src='x.png'>",
        "![alt](y.jpg)", "[l](http://example.org)", "http://example.org/x.", "**b** *i* ~~d~~ `c`", "\\* \\| \\~",
        "> quote", "***", "Title", "===", "<!-- c -->", "<style>h1{}</style>", "<script>x</script>", "&amp; &lt;",
        "\t", "\u00a0", "\r", "\ufeff", "é ü 中文 😀", "", " ",
    ]
)  # fmt: skip
# Decks are text: a NUL makes a file binary, which deck2pdf rightly refuses (tested in test_bad_input).
DECKS = st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=40).map(lambda p: "\n".join(p).replace("\x00", ""))


@given(st.text(max_size=2000))
def test_any_text_parses_or_fails_with_our_error(text: str) -> None:
    try:
        deck = parse_text(text, SRC)
    except Deck2PdfError:
        return
    assert deck.slides and all(s.number == i for i, s in enumerate(deck.slides, start=1))


@given(st.binary(max_size=2000))
def test_any_bytes_decode_and_parse_or_fail_with_our_error(data: bytes) -> None:
    with contextlib.suppress(Deck2PdfError):
        parse_text(decode(data, SRC), SRC)


@given(DECKS)
def test_decks_made_of_the_format_s_pieces_parse_or_fail_with_our_error(text: str) -> None:
    with contextlib.suppress(Deck2PdfError):
        parse_text(text, SRC)


@settings(max_examples=RENDERS, suppress_health_check=[HealthCheck.too_slow])
@given(DECKS)
def test_decks_made_of_the_format_s_pieces_render_one_page_per_slide(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        deck = Path(folder) / "deck.md"
        deck.write_text(text, encoding="utf-8", newline="")
        try:
            parsed = parse_text(text, deck)
        except Deck2PdfError:
            return
        result = convert(deck, {"output": Path(folder) / "out.pdf", "offline": True, "cache_dir": Path(folder) / "c"})
        assert result.pages == len(parsed.slides)
