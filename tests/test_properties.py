"""Property tests (Hypothesis): what holds for every deck the parser accepts (one slide per separator line, plus the
author slide and the prose-before-the-first-separator slide; classes from their separator lines; source lines
increasing; slides numbered 1..n), the parser failing only with deck2pdf's own error, and one page per slide.
`make test` runs a bounded number of examples; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs many more."""

from __future__ import annotations

import os
import tempfile
from itertools import pairwise
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deck2pdf.errors import Deck2PdfError
from deck2pdf.model import Deck
from deck2pdf.parse import decode, parse_text
from deck2pdf.pipeline import convert

settings.register_profile("default", max_examples=150, deadline=None, derandomize=True)  # the same examples every run
settings.register_profile("fuzz", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
RENDERS = 6 if os.environ.get("HYPOTHESIS_PROFILE") != "fuzz" else 400

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


def assert_invariants(text: str, deck: Deck) -> None:
    """What holds for any deck the parser accepts, worked out from the text alone (CLEAVER-FORMAT.md section 2,
    with README's choices: a byte-order mark dropped, CR and CRLF read as LF)."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    separators = [i for i, line in enumerate(lines) if line.startswith("--")]  # 0-based
    prose = any("is not front matter" in w for w in deck.warnings)  # text before the first `--`, shown as a slide
    author = bool(deck.meta.get("author"))
    assert len(deck.slides) == len(separators) + prose + author
    assert [s.number for s in deck.slides] == list(range(1, len(deck.slides) + 1))
    content = deck.slides[: len(deck.slides) - author]
    assert all(a.line < b.line for a, b in pairwise(content))
    cut = content[1:] if prose else content
    assert [s.line for s in cut] == [i + 1 for i in separators]
    for slide, i in zip(cut, separators, strict=True):
        # A separator straight before another one, or on the last line with no newline, leaves no room for a body:
        # its class text becomes the slide's text instead.
        has_body = i + 1 < len(lines) and not lines[i + 1].startswith("--")
        assert slide.classes == (tuple(lines[i][2:].split()) if has_body else ())
    if author:
        assert deck.slides[-1].classes == ("author-slide",)


@given(st.text(max_size=2000))
def test_any_text_parses_to_one_slide_per_separator_or_fails_with_our_error(text: str) -> None:
    try:
        deck = parse_text(text, SRC)
    except Deck2PdfError:
        return
    assert_invariants(text, deck)


@given(st.binary(max_size=2000))
def test_any_bytes_decode_and_parse_to_one_slide_per_separator_or_fail_with_our_error(data: bytes) -> None:
    try:
        text = decode(data, SRC)
        deck = parse_text(text, SRC)
    except Deck2PdfError:
        return
    assert_invariants(text, deck)


@given(DECKS)
def test_decks_made_of_the_format_s_pieces_parse_to_one_slide_per_separator_or_fail_with_our_error(text: str) -> None:
    try:
        deck = parse_text(text, SRC)
    except Deck2PdfError:
        return
    assert_invariants(text, deck)


# Slides built from their parts: classes (no whitespace inside), then body lines that are not separators.
_CLASSES = st.lists(st.text(min_size=1, max_size=8).filter(lambda c: c.split() == [c]), max_size=3)
_BODY_LINE = st.one_of(_PIECES, st.text(max_size=20)).filter(
    lambda line: not line.startswith("--") and not any(c in line for c in "\n\r\x00")
)
_SLIDES = st.lists(st.tuples(_CLASSES, st.lists(_BODY_LINE, min_size=1, max_size=4)), min_size=1, max_size=8)


@given(_SLIDES, st.booleans())
def test_each_slide_keeps_its_separator_s_classes_and_line_and_the_author_slide_comes_last(
    slides: list[tuple[list[str], list[str]]], with_author: bool
) -> None:
    front = ["title: T", "author:", "  name: Ann"] if with_author else []
    lines, starts = list(front), []
    for classes, body in slides:
        starts.append(len(lines) + 1)
        lines += [" ".join(["--", *classes]), *body]
    deck = parse_text("\n".join(lines) + "\n", SRC)
    content = deck.slides[: len(slides)]
    assert [s.classes for s in content] == [tuple(classes) for classes, _ in slides]
    assert [s.line for s in content] == starts
    assert [s.number for s in deck.slides] == list(range(1, len(slides) + 1 + with_author))
    assert [s.classes for s in deck.slides[len(slides) :]] == ([("author-slide",)] if with_author else [])


def _written(folder: Path, text: str) -> tuple[Path, Deck | None]:
    """The deck file made of `text`, and the deck (None when the parser refuses it, with deck2pdf's error)."""
    deck = folder / "deck.md"
    deck.write_text(text, encoding="utf-8", newline="")
    try:
        return deck, parse_text(text, deck)
    except Deck2PdfError:
        return deck, None


@settings(max_examples=RENDERS, suppress_health_check=[HealthCheck.too_slow])
@given(DECKS)
def test_decks_made_of_the_format_s_pieces_render_one_page_per_slide(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        deck, parsed = _written(Path(folder), text)
        if parsed is None:
            return
        result = convert(deck, {"output": Path(folder) / "out.pdf", "offline": True, "cache_dir": Path(folder) / "c"})
        assert result.pages == len(parsed.slides)


# Hostile markup inside slides, then mutated: the bounds, the sanitiser and the renderer meet every mix of it.
_MARKUP = st.sampled_from(
    [
        '<div style="display:grid;grid-template-columns:repeat(99999,1px)">', '<div style="grid-column:1/99999">',
        "<table><col span=99999><tr><td colspan=99999 rowspan=99999>t</td></tr></table>", "</div>", "<div>",
        "<style>:root{--a:x x x x;--b:var(--a) var(--a) var(--a)} h1{font:var(--b)}</style>", "<style>", "</style>",
        "<style>@\\69mport 'x.css'; @font-face/**/{src:u\\72l(f.ttf)}</style>", '<a rel="&#97;ttachment" href="x">',
        '<svg width="9" height="9"><g id="g"><use href="#g"/><use href="#g"/></g><use href="#g"/></svg>', "<svg>",
        '<image src="p.png">', '<img src="p.png" src="q.png">', '<img src="x&#10;FAKE">', "<li<meta>nk>",
        '<p style="font-size:1e30px;height:1e30px">', '<span style="width:1e6em">', "<pre><code>", "</code></pre>",
        "<!--", "-->", "<![CDATA[", "&#0;", "&#x110000;", "<xmp>", "<textarea>", "<plaintext>", "<math><mi>",
        '<iframe src="https://www.youtube.com/embed/x">', '<video poster="p.png">', "`", "**", "_", "[a](#b)",
    ]
)  # fmt: skip
_MUTATED = st.lists(st.one_of(_MARKUP, st.text(max_size=6)), max_size=12).flatmap(
    lambda parts: st.integers(0, max(0, len("".join(parts)))).map(
        lambda cut: ("".join(parts)[:cut] + "".join(parts)[cut + 1 :]) if parts else ""
    )
)
HOSTILE = st.lists(_MUTATED, min_size=1, max_size=4).map(
    lambda bodies: "title: H\n" + "".join(f"--\n# S\n\n{b.replace(chr(0), '')}\n" for b in bodies)
)


@settings(max_examples=RENDERS, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE, st.booleans())
def test_mutated_hostile_markup_renders_each_slide_or_fails_with_our_error(text: str, untrusted: bool) -> None:
    import pikepdf

    with tempfile.TemporaryDirectory() as folder:
        deck, parsed = _written(Path(folder), text)
        if parsed is None:
            return
        out = Path(folder) / "out.pdf"
        options = {"output": out, "offline": True, "cache_dir": Path(folder) / "c", "untrusted": untrusted}
        try:
            result = convert(deck, {**options, "render_cache": False})
        except Deck2PdfError as exc:
            assert "\n" not in str(exc)
            return
        assert result.pages >= len(parsed.slides)
        assert all("\n" not in w for w in result.warnings)
        with pikepdf.open(out) as pdf:
            assert "/EmbeddedFiles" not in (pdf.Root.get("/Names") or {})
