"""Render: one page per slide, overflow found, a cut slide's hidden words dropped, only allowed files read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from deck2pdf.errors import RenderError
from deck2pdf.model import FetchScope
from deck2pdf.rendering.fitting import breaks
from deck2pdf.rendering.pages import _walk, cut, render_slides, share_body, write_pdf

STYLE = """<style>@page { size: 400px 200px; margin: 0 } body { margin: 0 }
section { position: relative; width: 400px; height: 200px; overflow: hidden }
section + section { break-before: page }
.slide-frame { position: absolute; top: 0; right: 0; bottom: 0; left: 0; overflow: hidden }
.slide-content { display: inline-block; width: 100%; height: 100%; box-sizing: border-box; padding: 10px;
  overflow: hidden; vertical-align: top; font: 16px/20px sans-serif }
.slide-flow { display: flow-root; position: relative }
.slide-continued .slide-body { overflow: hidden; height: 100% }</style>"""


def slide(n: int, body: str, *, heading: str = "", continued: bool = False) -> str:
    """A slide as the template makes it; `continued`: a continuation page (its body is empty: `share_body` fills it)."""
    return (
        f'<section{"" if continued else f" id=slide-{n}"} class="{"slide-continued" * continued}">'
        f'<div class="slide-frame"><div class="slide-content">{heading}'
        f'<div class="slide-body"><div class="slide-flow">{"" if continued else body}</div></div>'
        f'<span class="slide-end" id="slide-end-{n}"></span></div></div></section>'
    )


def render(html: str, numbers: list[int], tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    scope = FetchScope((tmp_path,), **kw)  # type: ignore[arg-type]
    return render_slides(STYLE + html, tmp_path.as_uri() + "/", numbers=numbers, scope=scope)


def test_a_slide_that_fits_is_not_reported(tmp_path: Path) -> None:
    rendered = render(slide(1, "<p>short</p>"), [1], tmp_path)
    assert rendered.overflowing == () and [s.number for s in rendered.slides] == [1]


def test_a_long_slide_is_reported_and_cut_drops_its_hidden_lines(tmp_path: Path) -> None:
    lines = "".join(f'<div><a href="http://e.org/{i}">word{i}</a></div>' for i in range(30))
    rendered = render(slide(1, lines) + slide(2, "<p>second</p>"), [1, 2], tmp_path)
    assert rendered.overflowing == (1,)
    # 9 lines of 20 px fit in the 180 px content box of 30 lines (600 px)
    measure = rendered.slides[0].measure
    assert measure.need_bottom - measure.top == pytest.approx(600, abs=2)
    cut(rendered.slides[0].page, "slide-1")
    pdf = tmp_path / "out.pdf"
    data, missing = write_pdf(rendered, [s.page for s in rendered.slides])
    assert missing == []
    pdf.write_bytes(data)
    from ..helpers import links, page_texts

    first, second = page_texts(pdf)
    assert "word0" in first and "word8" in first and "word9" not in first
    assert "word" not in second
    assert links(pdf)[0] == [f"http://e.org/{i}" for i in range(9)]


def test_a_continued_slide_shows_each_line_once_under_its_heading(tmp_path: Path) -> None:
    lines = "".join(f'<div id="l{i}"><a href="http://e.org/{i}">word{i}</a></div>' for i in range(30))
    heading = '<h3 style="margin: 0; font: 16px/40px sans-serif"><a href="http://e.org/h">Title</a></h3>'
    rendered = render(slide(1, lines, heading=heading), [1], tmp_path)
    starts = breaks(rendered.slides[0].measure)
    # 7 lines of 20 px fit under the 40 px heading: 5 pages, balanced (6 lines each, not 7, 7, 7, 7 and 2)
    assert starts == pytest.approx([0, 120, 240, 360, 480], abs=0.5)
    more = render(slide(1, lines, heading=heading, continued=True) * 4, [1] * 4, tmp_path)
    pages = [rendered.slides[0].page, *(s.page for s in more.slides)]
    share_body(pages[0], pages[1:], starts)
    data, _ = write_pdf(rendered, pages)
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(data)
    from ..helpers import links, page_texts

    texts = page_texts(pdf)
    words = [w for t in texts for w in t.split() if w.startswith("word")]
    assert words == [f"word{i}" for i in range(30)]  # each once, in order
    assert all(t.startswith("Title") for t in texts)  # the heading on every page
    body_links = [[u for u in page if u != "http://e.org/h"] for page in links(pdf)]
    assert body_links == [[f"http://e.org/{i}" for i in range(k * 6, k * 6 + 6)] for k in range(5)]
    anchors = [set(p.anchors) for p in pages]
    assert "l0" in anchors[0] and "l6" not in anchors[0] and "l6" in anchors[1] and "l0" not in anchors[1]


def test_a_wide_unbreakable_line_is_overflow(tmp_path: Path) -> None:
    rendered = render(slide(1, '<p style="white-space: nowrap">' + "x" * 200 + "</p>"), [1], tmp_path)
    assert rendered.overflowing == (1,)


def test_one_slide_may_be_rendered_at_several_sizes(tmp_path: Path) -> None:
    html = slide(3, "<p>a</p>") + slide(3, "<p>b</p>")
    assert [s.number for s in render(html, [3, 3], tmp_path).slides] == [3, 3]


def test_page_count_must_equal_slide_count(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="made 2 pages for 1 slides"):
        render(slide(1, "a") + slide(2, "b"), [1], tmp_path)


def _loaded(tmp_path: Path, src: str, **kw: object) -> list[str]:
    rendered = render(slide(1, f'<img src="{src}" style="width:10px;height:10px">'), [1], tmp_path, **kw)
    return list(rendered.messages)


def test_only_files_in_allowed_places_are_read(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(tmp_path / "ok.png")
    assert _loaded(tmp_path, "ok.png") == []
    outside = tmp_path.parent / f"outside-{tmp_path.name}.png"
    Image.new("RGB", (4, 4), "red").save(outside)
    try:
        assert any("is outside the deck's folder" in m for m in _loaded(tmp_path, outside.as_uri()))
        assert any("is outside the deck's folder" in m for m in _loaded(tmp_path, "file:///etc/passwd"))
        # An image the assets stage resolved is served from where it put it, in an allowed folder.
        served = {"https://example.org/x.png": tmp_path / "ok.png"}
        assert _loaded(tmp_path, "https://example.org/x.png", served=served) == []
    finally:
        outside.unlink()
    assert any("is on the web" in m for m in _loaded(tmp_path, "http://127.0.0.1:9/x.png"))


def test_devices_and_fifos_are_never_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.png")
    assert any("not a regular file" in m for m in _loaded(tmp_path, "fifo.png"))
    assert any("is outside the deck's folder" in m for m in _loaded(tmp_path, "file:///dev/zero"))


def _sheet_html(tmp_path: Path, body: str) -> str:
    return f'{STYLE}<link rel="stylesheet" href="{(tmp_path / "deck.css").as_uri()}">{body}'


def test_a_decks_documents_share_parsed_style_sheets_with_the_same_effects(tmp_path: Path) -> None:
    """Chunks and fitting tries reuse the deck's parsed sheets: the page size, counter styles, the sheet's
    rules and its warnings are those of a fresh parse, in every document; a new deck reads the sheet again."""
    from deck2pdf.rendering import engine, patches

    (tmp_path / "deck.css").write_text(
        # lower-roman is also one of WeasyPrint's own counter styles, which each document sets again
        '@import "gone.css";\n'
        "@page { size: 300px 150px }\n@counter-style lower-roman { system: cyclic; symbols: X; suffix: ' ' }\n"
        "ol { list-style: lower-roman inside } p { colour: blue }\n"
    )
    engine.start_deck()
    first, second = (
        render_slides(
            _sheet_html(tmp_path, slide(n, f"<ol><li>item {n}</li></ol><p>red</p>")),
            tmp_path.as_uri() + "/",
            numbers=[n],
            scope=FetchScope((tmp_path,)),
        )
        for n in (1, 2)
    )
    assert len(patches._SHEETS) == 1  # parsed once
    for rendered, n in ((first, 1), (second, 2)):
        assert any("gone.css" in m for m in rendered.messages), rendered.messages  # the warning, each time
        pdf = tmp_path / f"{n}.pdf"
        pdf.write_bytes(write_pdf(rendered, [s.page for s in rendered.slides])[0])
        from ..helpers import page_texts

        assert page_texts(pdf)[0].split()[:3] == ["X", "item", str(n)]  # the deck's counter style
        assert rendered.slides[0].page.width == 300  # the deck's page size
    (tmp_path / "deck.css").write_text("@page { size: 200px 100px }")
    engine.start_deck()
    again = render_slides(
        _sheet_html(tmp_path, slide(3, "<p>x</p>")), tmp_path.as_uri() + "/", numbers=[3], scope=FetchScope((tmp_path,))
    )
    assert again.slides[0].page.width == 200  # read again for the new deck


def test_gradient_lengths_follow_each_slides_own_font_size(tmp_path: Path) -> None:
    """The dark theme's header band is a gradient stop in em: a slide shrunk to fit gets a smaller band, in any
    document that shares the parsed sheet (WeasyPrint fixed the first element's em for all of them)."""
    from deck2pdf.rendering import engine

    (tmp_path / "deck.css").write_text(".slide-frame { background: linear-gradient(#000 0, #000 2em, #fff 2em) }")
    engine.start_deck()
    bands = []
    for sizes in ((40, 20), (10,)):
        html = "".join(
            slide(n, "").replace("<section", f'<section style="font-size: {size}px"') for n, size in enumerate(sizes, 1)
        )
        rendered = render_slides(
            _sheet_html(tmp_path, html),
            tmp_path.as_uri() + "/",
            numbers=list(range(1, len(sizes) + 1)),
            scope=FetchScope((tmp_path,)),
        )
        pdf = tmp_path / "bands.pdf"
        pdf.write_bytes(write_pdf(rendered, [s.page for s in rendered.slides])[0])
        from ..helpers import rasterize

        for page in range(len(sizes)):
            image = rasterize(pdf, page + 1, dpi=72).convert("L")  # 1 px = 0.75 pt = 0.75 pixel
            bands.append(sum(1 for y in range(image.height) if image.getpixel((200, y)) < 128))
    assert bands == [pytest.approx(60, abs=2), pytest.approx(30, abs=2), pytest.approx(15, abs=2)]


def test_cells_with_the_same_style_attribute_share_one_computed_style(tmp_path: Path) -> None:
    """Aligned Markdown columns give every cell a style attribute; equal ones are parsed into the same
    declarations, so WeasyPrint computes the style of a column once, not once per cell."""
    from deck2pdf.rendering import engine

    rows = "".join(
        f'<tr><td style="text-align:right">{i}</td><td style="text-align:center">{i * i}</td></tr>' for i in range(4)
    )
    engine.start_deck()
    rendered = render(slide(1, f"<table>{rows}</table>"), [1], tmp_path)
    from weasyprint.formatting_structure.boxes import TableCellBox

    cells = [b for b in _walk(rendered.slides[0].page._page_box) if isinstance(b, TableCellBox)]
    right, centre = cells[0::2], cells[1::2]
    assert len(cells) == 8
    assert all(c.style is right[0].style for c in right) and all(c.style is centre[0].style for c in centre)
    assert right[0].style["text_align_all"] == "right" and centre[0].style["text_align_all"] == "center"


def test_an_image_shown_in_several_documents_is_compressed_once(tmp_path: Path) -> None:
    """A logo on every slide is in every chunk: WeasyPrint compressed its pixels again for each; the data is kept,
    and is the same bytes as compressing it anew."""
    import io

    import pikepdf
    from PIL import Image

    from deck2pdf.rendering import patches

    Image.effect_noise((60, 40), 40).convert("RGB").save(tmp_path / "logo.png")
    patches._PNG_DATA.clear()
    streams = []
    for n in (1, 2):
        rendered = render(slide(n, f'<img src="{(tmp_path / "logo.png").as_uri()}">'), [n], tmp_path)
        with pikepdf.open(io.BytesIO(write_pdf(rendered, [s.page for s in rendered.slides])[0])) as pdf:
            images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
            streams.append(images[0].read_raw_bytes())
        assert len(patches._PNG_DATA) == 1
    fresh = io.BytesIO()
    Image.open(tmp_path / "logo.png").save(fresh, format="PNG")
    assert streams[0] == streams[1] and streams[0] in fresh.getvalue()


def test_pseudo_elements_get_their_styles_when_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint computed ::marker, ::footnote-call and four more for every element; they are now computed when
    first used, with the same result: a styled marker and ::before content still print."""
    from weasyprint import document

    made = []
    original = document.get_all_computed_styles
    monkeypatch.setattr(document, "get_all_computed_styles", lambda *a, **k: made.append(original(*a, **k)) or made[-1])
    css = "<style>li::marker { color: red } p::before { content: 'Note: ' }</style>"
    rendered = render(css + slide(1, "<ul><li>item</li></ul><p>text</p><div><span>plain</span></div>"), [1], tmp_path)
    pdf = tmp_path / "pseudo.pdf"
    pdf.write_bytes(write_pdf(rendered, [s.page for s in rendered.slides])[0])
    from ..helpers import page_texts

    assert page_texts(pdf)[0].split() == ["•", "item", "Note:", "text", "plain"]
    from ..helpers import pixels, rasterize

    assert any(r > 200 and g < 80 and b < 80 for r, g, b in pixels(rasterize(pdf, 1, dpi=96)))  # the red marker
    computed = made[0].get_computed_styles()
    pseudo = {p for (_, p) in computed if p}
    assert {"marker", "before"} <= pseudo and not pseudo & {"footnote-call", "note-call", "note-callback"}


def test_margin_boxes_are_built_only_when_one_has_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint built the 16 margin boxes of every page (styles, percentages, sizes) even when none has content
    and nothing is drawn: now only a page whose margin box has content gets them, drawn as before."""
    from weasyprint.formatting_structure import boxes

    made = []

    class CountedMarginBox(boxes.MarginBox):
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(args[0])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(boxes, "MarginBox", CountedMarginBox)
    render(slide(1, "<p>plain</p>"), [1], tmp_path)
    assert made == []
    footer = '<style>@page { margin: 0 0 30px 0; @bottom-center { content: "Footer text" } }</style>'
    rendered = render(footer + slide(1, "<p>framed</p>"), [1], tmp_path)
    assert len(made) == 16
    pdf = tmp_path / "footer.pdf"
    pdf.write_bytes(write_pdf(rendered, [s.page for s in rendered.slides])[0])
    from ..helpers import page_texts

    assert "Footer text" in page_texts(pdf)[0]


def test_the_html_parser_keeps_its_scan_expressions_and_parses_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """tinyhtml5 stored each scan expression under the wrong key and so made it again for every run of text; the
    kept ones give the same tree."""
    from xml.etree import ElementTree

    import tinyhtml5
    from tinyhtml5 import inputstream

    from deck2pdf.rendering import patches
    from deck2pdf.rendering.engine import import_weasyprint

    import_weasyprint()
    html = (
        "<!DOCTYPE html><html lang=en><head><title>T &amp; t</title></head><body><!-- c --><p class='a' id=\"b\">"
        "x &lt; y &copy; &#x41;<br/>\n\t<code>a\u00a0b\x00</code><table><tr><td>1<td>2</table>"
        "<textarea>&amp;<b></textarea><script>if (a < b) {}</script>"
    ) * 3
    kept = inputstream.characters_until_regex
    kept.clear()  # WeasyPrint's own path (documents outside deck2pdf's rendering) stores its wrong keys here too
    with patches.active():
        first = ElementTree.tostring(tinyhtml5.parse(html))
        size = len(kept)
        assert ElementTree.tostring(tinyhtml5.parse(html)) == first and len(kept) == size  # none made again
    assert all(isinstance(characters, (str, tuple, frozenset)) for characters, _ in kept)
    monkeypatch.setattr(inputstream, "characters_until_regex", {})  # tinyhtml5's own cache
    assert ElementTree.tostring(tinyhtml5.parse(html)) == first


def test_a_decks_documents_share_computed_styles(tmp_path: Path) -> None:
    """The chunks of a deck compute the styles of like elements once: a second document gets the first one's
    styles (a new deck does not), keeps none for elements no other can share, still reads the overflow its body
    gives the page, and still knows an anchor that a style sheet names."""
    import pikepdf

    from deck2pdf.rendering import engine, patches

    from ..helpers import page_texts

    css = (
        '<style>body { overflow: hidden } .mark { -weasy-anchor: "marked" }'
        " a::after { content: ' (page ' target-counter(attr(href url), page) ')' }</style>"
    )

    def one(n: int) -> tuple[dict[str, Any], int, str]:
        body = '<p>text</p><p class="mark">here</p><p><a href="#marked">to the mark</a></p>'
        html = slide(n, body).replace("<section ", "<section data-join-anchor ")  # as in chunks
        rendered = render(css + html, [n], tmp_path)
        page = rendered.slides[0].page
        boxes: dict[str, Any] = {}
        for box in _walk(page._page_box):  # the first box of each element name: its own, not an anonymous one
            boxes.setdefault(getattr(box, "element_tag", None), box)
        pdf = tmp_path / f"{n}.pdf"
        pdf.write_bytes(write_pdf(rendered, [page])[0])
        with pikepdf.open(pdf) as opened:
            internal = [a for a in opened.pages[0].get("/Annots", []) if "/Dest" in a or "/D" in a.get("/A", {})]
        return boxes, len(internal), " ".join(page_texts(pdf)[0].split())

    engine.start_deck()
    first_boxes, first_links, first_text = one(1)
    kept = sum(map(len, patches._COMPUTED.values()))
    second_boxes, second_links, second_text = one(2)
    assert sum(map(len, patches._COMPUTED.values())) == kept  # an element with an id (slide-end-2) is not kept
    assert second_boxes["p"].style is first_boxes["p"].style and second_boxes["p"].style["font_size"] == 16
    assert [b["html"].viewport_overflow for b in (first_boxes, second_boxes)] == ["hidden", "hidden"]
    assert first_links == second_links > 0
    assert first_text.endswith("to the mark (page 1)") and second_text == first_text
    engine.start_deck()
    third_boxes, _, _ = one(3)
    assert third_boxes["p"].style is not first_boxes["p"].style


def test_documents_in_a_language_share_computed_styles_and_keep_their_style_attributes(tmp_path: Path) -> None:
    """The print HTML names its language (`<html lang>`), which WeasyPrint turns into a declaration of the root's:
    a second document of the deck still shares the first one's styles. Elements of one language with other
    style attributes keep styles of their own."""
    from deck2pdf.rendering import engine, patches

    def one(n: int) -> dict[str, Any]:
        body = '<p>text</p><p lang="fr" style="color: red">rouge</p><p lang="fr" style="color: blue">bleu</p>'
        html = "<html lang=en><body>" + slide(n, body).replace("<section ", "<section data-join-anchor ")
        page = render(html, [n], tmp_path).slides[0].page
        return {getattr(box, "element", None): box.style for box in _walk(page._page_box) if hasattr(box, "element")}

    engine.start_deck()
    first = one(1)
    kept = sum(map(len, patches._COMPUTED.values()))
    second = one(2)
    assert sum(map(len, patches._COMPUTED.values())) == kept > 0  # kept, and nothing computed again
    plain = [
        {e.text: s for e, s in styles.items() if e is not None and e.tag == "p"}["text"] for styles in (first, second)
    ]
    assert plain[0] is plain[1]
    colors = {e.text: s["color"] for e, s in second.items() if e is not None and e.tag == "p"}
    assert colors["rouge"] != colors["bleu"] and len(set(colors.values())) == 3
    engine.start_deck()


def test_lengths_resolve_as_weasyprint_resolves_them(tmp_path: Path) -> None:
    """The inline resolving of margins, paddings and sizes gives every box the values WeasyPrint's own gives, for
    percentages, calc(), auto, box-sizing and collapsed borders, against a containing block of known or auto
    height."""
    import inspect

    from weasyprint.layout import block

    from deck2pdf.rendering import patches

    css = (
        "<style>.a { margin: 5% auto 2px 10%; padding: 1% 3px; width: calc(50% - 10px); min-height: 20% }"
        " .b { box-sizing: border-box; border: 3px solid; padding: 4px; height: 40%; max-width: 80% }"
        " .c { box-sizing: padding-box; padding: 2%; min-width: auto; max-height: calc(10% + 5px) }"
        " table { border-collapse: collapse } td { border: 2px solid; padding: 1px }</style>"
    )
    body = '<div class="a">a</div><div class="b">b</div><div class="c">c</div><table><tr><td>1</td></tr></table>'
    rendered = render(css + slide(1, body), [1], tmp_path)
    ours = block.resolve_percentages  # outside deck2pdf's rendering (patches.active) it runs WeasyPrint's own
    assert inspect.getmodule(ours) is patches
    names = [n for n in vars(rendered.slides[0].page._page_box) if n.startswith(("margin_", "padding_", "border_"))]
    names += ["width", "height", "min_width", "max_width", "min_height", "max_height"]
    checked = 0
    for box in _walk(rendered.slides[0].page._page_box):
        for containing_block in ((300.0, 200.0), (300.0, "auto")):
            mine, reference = box.copy(), box.copy()
            with patches.active():
                ours(mine, containing_block)
            ours(reference, containing_block)
            assert {n: getattr(mine, n, None) for n in names} == {n: getattr(reference, n, None) for n in names}
            checked += 1
    assert checked > 40


def test_a_deck_set_up_again_with_the_same_style_sheets_keeps_what_it_set_up(tmp_path: Path) -> None:
    """--watch renders a deck again and again: when the digest of its style sheets is the one set up last, the
    fonts, parsed sheets and computed styles serve again; another digest, or none, starts afresh."""
    from deck2pdf.rendering import engine, patches

    engine.start_deck("sheets-a")
    fonts = engine.deck_state()["font_config"]
    render(slide(1, "<p>one</p>").replace("<section ", "<section data-join-anchor "), [1], tmp_path)
    kept = sum(map(len, patches._COMPUTED.values()))
    engine.start_deck("sheets-a")
    assert engine.deck_state()["font_config"] is fonts and sum(map(len, patches._COMPUTED.values())) == kept > 0
    engine.start_deck("sheets-b")
    assert engine.deck_state()["font_config"] is not fonts and not patches._COMPUTED
    fonts = engine.deck_state()["font_config"]
    engine.start_deck()
    assert engine.deck_state()["font_config"] is not fonts


def test_the_render_cache_key_follows_the_package_s_own_code(tmp_path: Path) -> None:
    """A chunk laid out by other code (a changed fitter in a checkout, the same version number) is not served."""
    import shutil

    import deck2pdf
    from deck2pdf.rendering import chunks

    package = tmp_path / "deck2pdf"
    shutil.copytree(Path(deck2pdf.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    assert chunks.source_digest(package) == chunks._code()
    with (package / "rendering" / "fitting.py").open("a") as f:
        f.write("\n# one step larger\n")
    assert chunks.source_digest(package) != chunks._code()
