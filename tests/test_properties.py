"""Property tests (Hypothesis): what holds for every deck the parser accepts (one slide per separator line, plus the
author slide and the prose-before-the-first-separator slide; classes from their separator lines; source lines
increasing; slides numbered 1..n), the parser failing only with deck2pdf's own error, and one page per slide.
`make test` runs a bounded number of examples; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs many more."""

from __future__ import annotations

import html
import json
import os
import socket
import tempfile
from itertools import pairwise
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deck2pdf import urls
from deck2pdf.errors import Deck2PdfError
from deck2pdf.fetch import FetchError, FetchPolicy, fetch
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


# The URL, CSS and front-matter paths, fuzzed (issue 24): each stage in-process, the network blocked, so the default
# profile stays quick. A deck either gets through every stage before rendering or fails with deck2pdf's own
# one-line error (never exit 70); an image is a file or a stated problem.
_SCHEME = st.sampled_from(
    ["http", "https", "HTTP", "hTTps", "ftp", "file", "data", "javascript", "", "h ttp", "http\t"]
)
_LABEL = st.one_of(
    st.sampled_from(
        [
            "a", "xn--", "xn--zz-", "-a", "a-", "", " ", "é", "例", "a" * 64, "%41", "%", "localhost", "127", "0x7f",
            "1", "[", "]", "@", ":", "\x00", "\n", "\u200b", "ß", "\ufeff", "ﬁ", "\u0301", "𝒶", "‮",
        ]
    ),
    st.text(max_size=5),
)  # fmt: skip
_HOST = st.one_of(
    st.lists(_LABEL, max_size=4).map(".".join),
    st.sampled_from(
        [
            "[::1]", "[::1", "::1]", "[v1.x]", "[fe80::1%25eth0]", "[::ffff:127.0.0.1]", "127.1", "2130706433",
            "0x7f.1", "[1:2:3:4:5:6:7:8:9]", "256.1.1.1", "[]", "[::1]]", "1.2.3.4.5", "0", "example.com.",
        ]
    ),
)  # fmt: skip
_PORT = st.one_of(
    st.sampled_from(["", ":", ":0", ":80", ":65535", ":65536", ":99999999999999999999", ":-1", ":a", ": 80", ":٣"]),
    st.integers(-5, 10**6).map(lambda n: f":{n}"),
)
_PATH = st.lists(
    st.one_of(
        st.sampled_from(["/", "%", "%2", "%zz", "%00", "%C3%BC", "ü", " ", "?", "#", "\\", "..", "x.png", "\r\n", "@"]),
        st.text(max_size=4),
    ),
    max_size=6,
).map("".join)
_USERINFO = st.sampled_from(["", "u@", "u:p@", "@", "u@v@", ":@", "%00@"])
URLS = st.one_of(
    st.builds(lambda s, u, h, p, path: f"{s}://{u}{h}{p}{path}", _SCHEME, _USERINFO, _HOST, _PORT, _PATH),
    st.builds(lambda s, rest: f"{s}:{rest}", _SCHEME, _PATH),
    st.text(max_size=40),
)


class _NoNetwork:
    """Connections refused and names unknown: a fuzzed URL reaches no server (the tests' own rule, stricter)."""

    def __enter__(self) -> None:
        def refuse(*args: object, **kwargs: object) -> object:
            raise ConnectionRefusedError("the fuzz tests use no network")

        def unknown(*args: object, **kwargs: object) -> object:
            raise socket.gaierror(socket.EAI_NONAME, "the fuzz tests resolve no name")

        self._patches = [mock.patch("socket.create_connection", refuse), mock.patch("socket.getaddrinfo", unknown)]
        for patch in self._patches:
            patch.start()

    def __exit__(self, *exc: object) -> None:
        for patch in self._patches:
            patch.stop()


@given(URLS, st.sampled_from(["", "http://example.org/a/", "https://[::1]/", "file:///deck/"]))
def test_any_url_is_parsed_or_said_to_be_malformed_and_a_download_fails_only_as_a_fetch_error(
    url: str, base: str
) -> None:
    why = urls.problem(url)
    assert why is None or "\n" not in why
    parts = urls.split(url)
    assert (parts is None) == (why is not None)
    if parts is not None and parts.scheme.lower() in ("http", "https"):
        assert parts.hostname
    urls.ascii_path(url).encode("ascii")
    urls.joined(base, url)
    with _NoNetwork():
        try:
            fetch(url, FetchPolicy(timeout=1))
        except FetchError as exc:
            assert "\n" not in str(exc)


def _through_the_stages(text: str | bytes, settings: dict[str, object] | None = None) -> Deck | None:
    """Run a deck through every stage before rendering, in-process with the network blocked: the deck laid out
    and every message about it, or None when deck2pdf refuses it with its own one-line error (exit not 70)."""
    from deck2pdf import pipeline
    from deck2pdf.assets import resolve_assets
    from deck2pdf.errors import explain
    from deck2pdf.files import FileAccess, read_sheets
    from deck2pdf.layout import media_warnings
    from deck2pdf.logs import one_line
    from deck2pdf.reports import css_problems, stylesheet_links

    with tempfile.TemporaryDirectory() as folder, _NoNetwork():
        source = Path(folder) / "deck.md"
        source.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        given = {"cache_dir": Path(folder) / "c", "jobs": 1, **(settings or {})}
        try:
            deck = pipeline._parse(source, given)
            options, _ = pipeline._options(deck, given)
            theme, _ = pipeline._theme(deck, options)
            deck, warnings, _ = resolve_assets(deck, options, theme.image_sheets)
            assert all("\n" not in one_line(w) for w in warnings)  # as the pipeline words them
            assert all(a.path is not None or a.problem for a in deck.assets.values())
            _, typesetter = pipeline._lay_out(deck, theme, options)
            typesetter.html()
            media_warnings(deck)
            stylesheet_links(deck)
            own = read_sheets([p for p in (options.style, *options.css) if p], FileAccess.for_deck(source, options))
            css_problems(deck, own)
        except Deck2PdfError as exc:
            message, code = explain(exc)
            assert "\n" not in message and code != 70
            return None
        return deck


_IMAGE_USES = st.sampled_from(
    ['<img src="{}">', "![a]({})", "![a](<{}>)", "<p style=\"background:url('{}')\">x</p>", '<video poster="{}">']
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_IMAGE_USES, URLS), min_size=1, max_size=4), st.booleans())
def test_generated_image_urls_give_an_image_or_a_stated_problem(uses: list[tuple[str, str]], untrusted: bool) -> None:
    body = "\n\n".join(use.format(html.escape(url) if use.startswith("<") else url) for use, url in uses)
    _through_the_stages(f"title: U\n--\n# U\n\n{body}\n", {"untrusted": untrusted, "allow_network": True})


_CSS_PIECES = st.sampled_from(
    [
        "{", "}", "a{", "h1{", "@media print{", "@supports (display:grid){", "@import url(x.css);", "@import 'y.css';",
        "@font-face{src:url(f.ttf)}", "@page{size:1e99px}", "@namespace s url(http://www.w3.org/2000/svg);",
        "@charset 'x';", "@keyframes k{from{}to{}}", "@layer a{", "@container (width>1px){", "@page :first{",
        "background:url(", "url(x.png)", "url('x.png')", 'url("x.png")', "url( x.png )", "url(data:image/png;base64,iVBOR)",
        "u\\72l(x.png)", "\\75 rl(x.png)", "url(x\\).png)", "url(http://[::1/x.png)", "url(http://a..b/)",
        "url(http://1.2.3.4:99999/)", "image-set('a.png' 1x)", "-webkit-image-set(url(a.png) 1x)", "src(x.png)",
        "color:red;", "\\", "\\0", "\\110000", "\\ffffff", "/*", "*/", "<!--", "-->", "'", '"', ";", ":",
        "!important", "var(--x)", "--x:{a}", "calc(1e308px*1e308)", "attr(x url)", "&", "&{color:red}", "\n", "\ufffd",
        "é", "width:1e30px", "grid-template-columns:repeat(99999,1px)", "counter-reset:x 99999999999", "content:'",
        "font:12px/1e9 x", "</style>", "<style>", "@\\69mport 'x.css';",
    ]
)  # fmt: skip
CSS = st.lists(st.one_of(_CSS_PIECES, st.text(max_size=5)), max_size=25).map(lambda p: "".join(p).replace("\x00", ""))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(CSS, CSS, st.booleans())
def test_generated_css_in_style_attributes_and_style_blocks_gets_through_the_stages(
    inline: str, block: str, untrusted: bool
) -> None:
    _through_the_stages(
        f'title: C\n--\n# C\n\n<p style="{html.escape(inline)}">x</p>\n\n<style>{block}</style>\n\n'
        f"<div style='{inline}'>y</div>\n",
        {"untrusted": untrusted},
    )


_FM_KEYS = st.sampled_from(
    [
        "title", "author", "theme", "style", "encoding", "output", "controls", "date", "handout", "paper", "size",
        "progress", "fit", "min_scale", "overflow", "slides", "image_dpi", "qr", "pdfa", "lang", "created", "x",
        "landscape", "frame", "link_notes", "collapse_builds", "timeout", "untrusted", "allow_private_network",
    ]
)  # fmt: skip
_FM_VALUES = st.one_of(
    st.sampled_from(
        [
            "", "~", "null", "true", "yes", "no", "on", "1e999", "-1", "0", "0x10", "0o17", "1_000", "9" * 40, ".inf",
            "-.inf", ".nan", "2024-02-30", "2024-01-01", "2024-01-01T25:00:00", "2024-01-01 10:00:00 +99:00",
            "12:30:00", "190:20:30", "[]", "{}", "[a, [b]]", "{a: 1}", "{name: N, url: 'http://[::1'}", "!!binary aGk=",
            "!!python/object/apply:os.system [x]", "!!set {a}", "!!omap [a: 1]", "&a x", "*a", "'é'", "中文",
            "cleaver-dark", "x/cleaver-dark", "jdan/cleaver-retro", "../../etc/passwd", "/etc/passwd", "/dev/zero",
            "http://[::1/", "deck", '"\\u0000"', '"\\x00\\n"', "base64", "utf-16", "utf-32", "rot13", "idna",
            "punycode", "uu", "zlib", "hex", "bz2", "utf-8-sig", "cp037", "unicode_escape", "mbcs", "utf_7", "x" * 300,
            "16:9", "4:3", "0x0", "1e9x1e9", "99in x 1in", "a4", "1-", "-", "99999999999-1", "1,,2", "'?'", "|\n  x",
        ]
    ),
    st.text(max_size=12).map(lambda t: json.dumps(t)),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True).map(repr),
)  # fmt: skip
FRONT_MATTER = st.lists(st.tuples(_FM_KEYS, _FM_VALUES), max_size=6).map(
    lambda pairs: "".join(f"{key}: {value}\n" for key, value in pairs)
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(FRONT_MATTER)
def test_generated_front_matter_gets_through_the_stages_or_fails_with_our_error(front: str) -> None:
    _through_the_stages(f"{front}--\n# F\n\nText.\n")


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_FM_VALUES, st.binary(max_size=30))
def test_a_deck_not_in_utf8_naming_any_encoding_is_read_or_refused_with_our_error(codec: str, data: bytes) -> None:
    _through_the_stages(b"title: E\nencoding: " + codec.encode("utf-8") + b"\n--\n# \xff\xfe " + data + b"\n")


@pytest.mark.slow
@settings(max_examples=RENDERS, suppress_health_check=[HealthCheck.too_slow])
@given(FRONT_MATTER, CSS, st.lists(st.tuples(_IMAGE_USES, URLS), max_size=2))
def test_generated_decks_print_or_fail_with_one_line_and_not_exit_70(
    front: str, css: str, uses: list[tuple[str, str]]
) -> None:
    from deck2pdf.errors import explain

    body = "\n\n".join(use.format(html.escape(url)) for use, url in uses)
    text = f"{front}--\n# P\n\n<style>{css}</style>\n\n{body}\n"
    with tempfile.TemporaryDirectory() as folder, _NoNetwork():
        deck = Path(folder) / "deck.md"
        deck.write_text(text, encoding="utf-8", errors="surrogatepass")
        options = {"output": Path(folder) / "out.pdf", "cache_dir": Path(folder) / "c", "render_cache": False}
        try:
            convert(deck, {**options, "timeout": 60})
        except BaseException as exc:  # whatever it is, it must be ours
            message, code = explain(exc)
            assert "\n" not in message and code != 70, message
