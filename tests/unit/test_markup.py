"""Markup: images, links, style sheets and url()s read by a parser, as a browser reads them, and the stages that
use them (assets, layout, handout link notes); the author's name read one way."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
import tinycss2

from deck2pdf.assets import image_refs, resolve_assets
from deck2pdf.handout import link_notes
from deck2pdf.layout import lay_out
from deck2pdf.markup import (
    CssUrl,
    author_name,
    code_breaks,
    css_urls,
    images,
    links,
    passive_html,
    replaced,
    slide_parts,
    split_code,
    styles,
    wrap_code,
)
from deck2pdf.options import Options
from deck2pdf.parse import parse_text
from deck2pdf.themes import load_theme


@pytest.mark.parametrize(
    ("html", "src"),
    [
        ('<img src="a&amp;b.png">', "a&b.png"),
        ('<img src="&#x61;&#98;.png">', "ab.png"),
        ("<img src='it is.png'>", "it is.png"),
        ("<img src=bare.png>", "bare.png"),
        ("<img src = 'spaced.png' >", "spaced.png"),
        ('<IMG SRC="upper.png">', "upper.png"),
        ('<img alt="x>y" src="after-a-gt.png">', "after-a-gt.png"),
        ('<img data-src="lazy.png" src="real.png">', "real.png"),
        ('<img src="first.png" src="second.png">', "first.png"),
        ('<img src="closed.png"/>', "closed.png"),
        ('<img\nsrc="lines.png"\n>', "lines.png"),
    ],
)
def test_an_img_src_is_read_as_a_browser_reads_it(html: str, src: str) -> None:
    (tag,) = images(f"<p>before {html} after</p>")
    assert tag.attrs["src"] == src


def test_imgs_in_comments_scripts_and_styles_are_not_images() -> None:
    html = '<!-- <img src="old.png"> --><script>"<img src=s.png>"</script><style>/*<img src=c.png>*/</style>'
    assert images(html + '<img src="real.png">')[0].attrs["src"] == "real.png"
    assert images(html) == []


def test_an_img_tag_knows_where_it_is_written_and_rewriting_keeps_the_rest() -> None:
    html = '<p>α <IMG SRC="a.png" alt="x>y"></img > b\n<img src=c.png>\n</p>'
    first, second = images(html)
    assert html[first.start : first.end] == '<IMG SRC="a.png" alt="x>y"></img >'  # a stray </img> goes with it
    assert html[second.start : second.end] == "<img src=c.png>"
    assert first.attrs == {"src": "a.png", "alt": "x>y"}
    assert replaced(html, [first, second], lambda tag: f"[{tag.attrs['src']}]") == "<p>α [a.png] b\n[c.png]\n</p>"


def test_valueless_attributes_are_present_and_empty() -> None:
    assert images("<img src=a.png ismap>")[0].attrs == {"src": "a.png", "ismap": ""}


def test_links_are_every_a_href_decoded_in_order() -> None:
    html = (
        '<a href="https://a.example/?x=1&amp;y=2">a</a> <A HREF=https://b.example/>b</A> '
        "<a data-href='https://not.example/'>no</a> <a name=anchor>none</a> <link href=x.css>"
    )
    assert links(html) == ["https://a.example/?x=1&y=2", "https://b.example/"]


def test_styles_are_style_attributes_then_style_elements() -> None:
    html = (
        '<p style="background: url(&quot;a.png&quot;)">x</p><style>.b { background: url(b.png) }</style>'
        "<div data-style='not.png' STYLE='color: red'></div>"
    )
    assert styles(html) == ['background: url("a.png")', "color: red", ".b { background: url(b.png) }"]


def test_css_urls_handle_quotes_spaces_escapes_and_comments() -> None:
    css = (
        '/* .old { background: url(commented.png) } */\n.a { background: url( "a b.png" ) }\n'
        ".b { background: URL('single.png') } .c { background: url(  bare.png  ) }\n"
        ".d { background: url(esc\\)aped.png) } .e { background: url() } .f { background: url('') }\n"
        '@import url("theme.css"); .g { background: image-set(url(x1.png) 1x, url("x2.png") 2x) }\n'
        "@font-face { src: local(Inter), url(inter.woff2) format('woff2') }\n"
    )
    assert css_urls(css) == [
        CssUrl("a b.png", 2),
        CssUrl("single.png", 3),
        CssUrl("bare.png", 3),
        CssUrl("esc)aped.png", 4),
        CssUrl("theme.css", 5),
        CssUrl("x1.png", 5),
        CssUrl("x2.png", 5),
        CssUrl("inter.woff2", 6),
    ]


@pytest.mark.parametrize(
    ("author", "name"),
    [
        ({"name": "Ann Author", "twitter": "ann"}, "Ann Author"),
        ({"name": 2024}, "2024"),
        ({"name": True}, "true"),
        ({"name": None}, ""),
        ({"twitter": "ann"}, ""),
        ("Ann Author", ""),  # Cleaver reads only author.name
        (None, ""),
    ],
)
def test_the_author_name_is_read_one_way(author: object, name: str) -> None:
    assert author_name(author) == name


# The stages that use them


def test_image_refs_skip_lazy_sources_commented_images_and_read_past_a_gt_in_alt() -> None:
    html = '<img data-src="lazy.png" src="a.png"> <!-- <img src="old.png"> --> <img alt="x>y" src="b.png">'
    assert image_refs(html) == ["a.png", "b.png"]


def test_link_notes_find_unquoted_links_and_skip_data_attributes() -> None:
    html = '<a href=https://a.example/>a</a> <a data-href="https://no.example/">n</a> <a href="https://a.example/">'
    assert [note.url for note in link_notes(html)] == ["https://a.example/"]


def _resolved(tmp_path: Path, text: str) -> tuple[str, list[str]]:
    from PIL import Image

    Image.new("RGB", (40, 20), "red").save(tmp_path / "a.png")
    source = tmp_path / "deck.md"
    source.write_text(text)
    options = dataclasses.replace(Options(), offline=True, cache_dir=tmp_path / "cache")
    deck, warnings, _ = resolve_assets(parse_text(text, source), options)
    theme, _ = load_theme("default", "default")
    return lay_out(deck, theme, options).html, warnings


def test_commented_images_and_css_comments_are_not_resolved_or_rewritten(tmp_path: Path) -> None:
    html, warnings = _resolved(
        tmp_path,
        # (the <style> starts its own HTML block: in a paragraph, marked would read `/* ... */` as emphasis)
        "--\n<!-- <img src='gone.png'> -->\n\n<style>/* .x { background: url(gone-too.png) } */</style>\n\n"
        '<div style="background: url(a.png) /* url(gone-three.png) */">x</div>\n',
    )
    assert warnings == []
    assert "<!-- <img src='gone.png'> -->" in html


def test_an_img_with_a_gt_in_its_alt_is_printed_whole(tmp_path: Path) -> None:
    html, warnings = _resolved(tmp_path, '--\n<img alt="x>y" src="a.png" ismap>\n')
    assert warnings == []
    assert f'<img src="{(tmp_path / "a.png").as_uri()}" alt="x&gt;y" ismap="" data-pic="0" style="">' in html


def test_the_pdf_names_the_author_as_the_author_slide_does(tmp_path: Path) -> None:
    html, _ = _resolved(tmp_path, "author:\n  name: 0\n--\nx\n")
    assert '<h1 class="name" data-h="0" style="">0</h1>' in html and '<meta name="author" content="0">' in html


@pytest.mark.parametrize(
    ("html", "heading", "body"),
    [
        (
            '<!-- c -->\n<h3 id="x">T <em>a</em></h3>\n<p>b</p>',
            '<h3 id="x">T <em>a</em></h3>',
            "<!-- c -->\n\n<p>b</p>",
        ),
        ("<p>a</p><h3>late</h3>", "", "<p>a</p><h3>late</h3>"),  # a heading after text is body
        ("<div><h3>inside</h3></div>", "", "<div><h3>inside</h3></div>"),
        (
            "<p><div class=x>\n<img src=a></p><div><ul><li>a</li></ul>",
            "",
            "<p><div class=x>\n<img src=a></p><div><ul><li>a</li></ul></div></div>",
        ),
        ("</div><h3>T</h3><p>x</p></div><div>", "<h3>T</h3>", "<p>x</p><div></div>"),  # strays dropped
        ("<h3>never closed<p>x", "", "<h3>never closed<p>x</h3>"),
        (
            "<h2 id=a>A &amp; B</h2 >\n<pre><code>x</div></code></pre>",
            "<h2 id=a>A &amp; B</h2 >",
            "\n<pre><code>x</code></pre>",
        ),
    ],
)
def test_a_slide_is_split_into_its_heading_and_a_balanced_body(html: str, heading: str, body: str) -> None:
    assert slide_parts(html) == (heading, body)


def _mark(indent: int, columns: int) -> str:
    return f"<i>{indent},{columns}</i>"


def test_code_wraps_before_a_space_with_a_hanging_mark_keeping_its_spans_and_its_text() -> None:
    # A row ends before a space, which follows the mark; the mark hangs at the line's indentation.
    wrapped = wrap_code('  <span class="k">abc def</span> ghi &lt;jk', 12, _mark)
    assert wrapped == '  <span class="k">abc def</span>\n<i>2,3</i> ghi &lt;jk'
    assert code_breaks("  abc def ghi <jk", 12) == [(9, 2, 3)]
    # Only the newline and the mark are added: the code's own characters are all there, in order.
    assert wrapped.replace("\n<i>2,3</i>", "") == '  <span class="k">abc def</span> ghi &lt;jk'


def test_code_wraps_after_punctuation_and_breaks_only_a_token_longer_than_a_row() -> None:
    # No space in the row: it ends after punctuation; a continuation's text starts 2 columns in (the mark's).
    line = "path=/usr/lib/x86_64-linux-gnu/libfoo.so"
    rows = [line[a:b] for a, b in itertools.pairwise([0, *(at for at, _, _ in code_breaks(line, 16)), len(line)])]
    assert rows == ["path=/usr/lib/", "x86_64-linux-", "gnu/libfoo.so"]
    assert all(len(r) + (2 if i else 0) <= 16 for i, r in enumerate(rows))
    # A space that would leave the row less than half full gives way to punctuation; a word is never cut.
    assert code_breaks("a verylongword,another", 16) == [(15, 0, 2)]
    # A token longer than a row (no space, no punctuation) is cut where the row ends.
    assert code_breaks("x" * 20, 8) == [(8, 0, 2), (14, 0, 2)]
    # A tab goes to the next multiple of 8; CJK is two wide.
    assert wrap_code("\tx", 8, _mark) == "\t\n<i>4,6</i>x"  # (an indentation hangs half a row at most)
    assert wrap_code("漢字漢字漢字", 8, _mark) == "漢字漢字\n<i>0,2</i>漢字"
    assert wrap_code("short\nlines", 8, _mark) == "short\nlines"
    # Trailing spaces hang past the row's end: they never make a row of their own (a mark and nothing after it).
    assert code_breaks("x = 1" + " " * 120, 60) == []
    assert code_breaks("print(a, b)" + " " * 30, 8) == code_breaks("print(a, b)", 8)


def test_code_splits_before_a_line_with_its_open_elements_closed_and_opened_again() -> None:
    html = '<code class="h"><span class="s">a\nb\nc</span>\nd</code>'
    assert split_code(html, 2) == (
        '<code class="h"><span class="s">a\nb</span></code>',
        '<code class="h"><span class="s">c</span>\nd</code>',
    )


@pytest.mark.parametrize(
    "html",
    [
        '<li<meta>nk rel="stylesheet" href="/etc/x.css">',
        '<ba<meta>se href="http://evil.example/">',
        '<obj<meta>ect data="x.svg"></object>',
        "<p>a<script>alert(1)</script>b</p>",
        '<iframe src="x.html">inside</iframe><embed src="x.swf"><meta http-equiv="refresh" content="0">',
        "<scr<script>ipt>alert(1)</script>",
        '<style>@\\69mport "x.css"; @font-face/**/{src:url(f.woff)} h1{color:red}</style>',
        "<style>@IMPORT url(x.css);</style><style>x{}</st<!-- -->yle><link rel=stylesheet href=x.css>",
    ],
)
def test_untrusted_html_keeps_nothing_active_however_it_is_spelt(html: str) -> None:
    import tinyhtml5

    tree = tinyhtml5.parse(passive_html(html))
    tags = {element.tag.rsplit("}", 1)[-1] for element in tree.iter()}
    assert not tags & {"link", "base", "object", "script", "iframe", "embed", "meta"}, tags
    for style in (e for e in tree.iter() if e.tag.endswith("style")):
        rules = tinycss2.parse_stylesheet(style.text or "", skip_comments=True, skip_whitespace=True)
        assert not [r for r in rules if r.type == "at-rule" and r.lower_at_keyword in ("import", "font-face")]


def test_an_image_element_is_an_img_outside_svg_and_an_svg_picture_inside() -> None:
    from deck2pdf.markup import svg_image_refs

    html = (
        '<image src=a.png><svg><image href="b.png"/><g><image xlink:href=c.png></image></g></svg>'
        "<IMAGE SRC=d.png><svg/><image src=e.png><svg><image href=f.png xlink:href=g.png></svg>"
    )
    assert [t.attrs["src"] for t in images(html)] == ["a.png", "d.png", "e.png"]
    assert svg_image_refs(html) == ["b.png", "c.png", "f.png"]


def test_a_very_long_word_gets_places_to_break_and_code_does_not() -> None:
    from deck2pdf.markup import LONG_WORD, breakable

    word = "y" * (LONG_WORD + 100)
    html = f"<p>a {word} b</p>\n<pre><code>{word}</code></pre>\n<style>{word}</style><p>&amp;{word}</p>"
    out = breakable(html)
    assert out.replace("<wbr>", "") == html  # nothing else changes
    pieces = out.split("<wbr>")
    assert len(pieces) == 2 * (len(word) // 64) + 1
    assert pieces[0] == "<p>a " + "y" * 64 and all(p == "y" * 64 for p in pieces[1:5])
    assert word in out  # the one in <pre><code> (and in <style>) is whole
    short = f"<p>{'y' * (LONG_WORD - 1)}</p>"
    assert breakable(short) == short
