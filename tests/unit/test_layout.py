"""Layout: print HTML of a deck; legacy colours, images in em, placeholders, unique ids, themes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from deck2pdf.assets import image_refs, resolve_assets
from deck2pdf.errors import ThemeError
from deck2pdf.layout import _shown_ref, lay_out, legacy_colour
from deck2pdf.options import Options
from deck2pdf.parse import parse_text
from deck2pdf.themes import list_themes, load_theme


@pytest.mark.parametrize(
    ("value", "colour"),
    [
        ("#ff000", "#ff0000"),
        ("red", "red"),
        ("#abc", "#abc"),
        ("#a1b2c3", "#a1b2c3"),
        ("chucknorris", "#c00000"),  # the classic example of HTML's legacy colour parsing
        ("ff0000", "#ff0000"),
        ("#1234567", "#124570"),  # what Chrome shows
    ],
)
def test_font_colours_are_read_as_browsers_read_them(value: str, colour: str) -> None:
    assert legacy_colour(value) == colour


def _layout(tmp_path: Path, text: str, **options: object) -> str:
    source = tmp_path / "deck.md"
    source.write_text(text)
    opts = dataclasses.replace(Options(), offline=True, cache_dir=tmp_path / "cache", **options)
    deck, _, _ = resolve_assets(parse_text(text, source), opts)
    theme, _ = load_theme("default", "default")
    return lay_out(deck, theme, opts).html


def test_each_slide_is_a_section_with_its_number_classes_and_title(tmp_path: Path) -> None:
    html = _layout(tmp_path, "title: T\n--\n### One\n-- center wide\ntwo\n")
    assert '<section class="slide " id="slide-1" data-title="One"' in html
    assert '<section class="slide center wide" id="slide-2" data-title="Slide 2"' in html
    assert html.count('class="slide-body') == 2 and "<title>T</title>" in html
    assert '<div class="slide-number">2<span class="slide-total"> / 2</span></div>' in html


def test_progress_can_be_turned_off(tmp_path: Path) -> None:
    assert "progress-bar" not in _layout(tmp_path, "--\nx\n", progress=False)


def test_font_colours_are_fixed_in_the_html(tmp_path: Path) -> None:
    assert '<font color="#ff0000">red</font>' in _layout(tmp_path, '--\n<font color="#ff000">red</font>\n')


@pytest.mark.parametrize(
    "tag", ["<font color=ff000>", "<FONT COLOR='ff000'>", '<font size=2 color = "ff000">', "<font\ncolor=ff000>"]
)
def test_font_colours_are_fixed_however_the_tag_is_written(tmp_path: Path, tag: str) -> None:
    html = _layout(tmp_path, f"--\n{tag}red</font>\n")
    assert 'color="#ff0000"' in html and "ff000" not in html.replace("#ff0000", "")


def test_deck_pixel_sizes_on_images_become_ems_at_cleavers_32px(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (40, 20), "red").save(tmp_path / "a.png")
    html = _layout(tmp_path, "--\n<img src='a.png' style='margin: 0 auto; width: 800px; height: 400px'></img>\n")
    src = (tmp_path / "a.png").as_uri()
    assert f'<img src="{src}" data-pic="0" style="margin: 0 auto; width: 25em; height: 12.5em">' in html
    html = _layout(tmp_path, '--\n<img src="a.png" width="64" height="32" alt="x">\n')
    assert 'alt="x" data-pic="0" style=";width:2em;height:1em"' in html


def test_a_missing_image_becomes_a_placeholder_that_names_it_and_keeps_its_size(tmp_path: Path) -> None:
    html = _layout(
        tmp_path, "--\n![Diagram](img/missing.png)\n<img src='https://example.org/x.png' style='width:320px'>\n"
    )
    assert "<img" not in html.split("<body>")[1]
    assert '<span class="missing-image" data-pic="0" style="">' in html
    assert "Diagram — image img/missing.png not found</span>" in html
    assert '<span class="missing-image" data-pic="1" style="width:10em">' in html
    assert "image https://example.org/x.png is not in the cache and --offline forbids downloading it" in html


def test_ids_repeated_across_slides_are_made_unique(tmp_path: Path) -> None:
    html = _layout(tmp_path, "--\n### Agenda\n--\n### Agenda\n--\n### Agenda\n")
    assert 'id="agenda"' in html and 'id="agenda-slide2"' in html and 'id="agenda-slide3"' in html


def test_image_refs_are_found_in_markdown_and_raw_html() -> None:
    deck = parse_text("--\n![a](x.png) <img src=\"y.jpg\"> <IMG SRC='z.gif'> <img alt=no-src>\n", Path("d.md"))
    assert image_refs(deck.slides[0].html) == ["x.png", "y.jpg", "z.gif"]


def test_asset_warnings_name_file_line_and_slide(tmp_path: Path) -> None:
    source = tmp_path / "deck.md"
    text = "title: T\n--\n### A\n\n![x](gone.png)\n"
    source.write_text(text)
    _, warnings, summary = resolve_assets(parse_text(text, source), Options(cache_dir=tmp_path / "c"))
    assert summary == "1 image: 1 missing"
    assert warnings == [
        f"{source}:5 (slide 1): image 'gone.png' not found; check the path (relative to the deck's folder)"
    ]


def test_themes() -> None:
    assert {"default", "dark"} <= set(list_themes())
    theme, notes = load_theme("pgporada/cleaver-dark", "front matter")
    assert theme.name == "dark" and notes == []
    theme, notes = load_theme("jdan/cleaver-retro", "front matter")
    assert theme.name == "retro" and notes == []
    theme, notes = load_theme("sudodoki/reveal-cleaver-theme", "front matter")
    assert theme.name == "default" and "no print version" in notes[0]
    theme, _ = load_theme("ink", "--theme")
    assert [p.name for p in theme.stylesheets] == ["base.css", "style.css", "code.css"]
    assert theme.stylesheets[-1].parent.name == "ink"
    with pytest.raises(ThemeError, match="--theme nope: no such theme"):
        load_theme("nope", "--theme")


def test_a_theme_folder_of_ones_own(tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("section.slide { background: pink }")
    theme, _ = load_theme(str(tmp_path), "--theme")
    assert theme.stylesheets[1] == tmp_path / "style.css"
    assert theme.stylesheets[2].parent.name == "default"  # no code.css of its own: the default code colours


@pytest.mark.parametrize("written", ["id='agenda'", "ID=agenda", 'id = "agenda"', "class=x id=agenda"])
def test_ids_are_made_unique_however_they_are_written(tmp_path: Path, written: str) -> None:
    html = _layout(tmp_path, f"--\n<p {written}>a</p>\n--\n<p {written}>b</p>\n")
    assert 'id="agenda-slide2"' in html


def test_links_to_other_chunks_point_elsewhere_however_they_are_written(tmp_path: Path) -> None:
    from deck2pdf.layout import Typesetter
    from deck2pdf.model import FULL

    text = "--\n<a href='#far'>1</a> <A HREF=#far>2</A> <a href='#near'>3</a> <b id=near>\n--\n<p id=far>x</p>\n"
    deck = parse_text(text, tmp_path / "deck.md")
    theme, _ = load_theme("default", "default")
    html = Typesetter(deck, theme, Options()).html([(1, FULL)], elsewhere="x:/").html
    assert html.count('href="x:/far"') == 2 and "href='#near'" in html


def test_code_spans_no_style_sheet_styles_are_dropped() -> None:
    from deck2pdf.layout import _plain_code

    html = (
        '<p><span class="n">kept outside code</span></p><pre><code class="lang-python highlight">'
        '<span class="k">def</span><span class="w"> </span><span class="n">f</span><span class="p">():</span></code></pre>'
    )
    out = _plain_code(html, styled=frozenset({"k", "p"}))
    assert out == (
        '<p><span class="n">kept outside code</span></p><pre><code class="lang-python highlight">'
        '<span class="k">def</span> f<span class="p">():</span></code></pre>'
    )


def test_style_sheets_are_read_with_the_sheets_they_import(tmp_path: Path) -> None:
    from deck2pdf.files import read_sheets

    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "a.css").write_text(".from-a { color: red }")
    (tmp_path / "b.css").write_text('@import url("base/a.css");\n@import "c.css";\n@import url(https://x.org/y.css);')
    (tmp_path / "c.css").write_text("@import url(b.css); .from-c { color: blue }")  # a cycle is read once
    texts = read_sheets([tmp_path / "b.css"])
    assert [p.name for p in texts] == ["b.css", "a.css", "c.css"]
    assert ".from-a" in texts[(tmp_path / "base" / "a.css").resolve()]


def test_framework_bindings_are_not_images(tmp_path: Path) -> None:
    deck = parse_text(
        '--\n<img :src="user.avatar"> <img [src]="pic"> <img v-bind:src="x.png" ng-src="{{a}}">\n', tmp_path / "d.md"
    )
    assert image_refs(deck.slides[0].html) == []
    _, warnings, _ = resolve_assets(deck, dataclasses.replace(Options(), offline=True, cache_dir=tmp_path / "c"))
    assert warnings == []


def test_an_svg_whose_ids_are_renamed_keeps_its_shape(tmp_path: Path) -> None:
    svg = '<svg width="40" height="20"><rect id="r" width="20" height="20" fill="red"/><circle cx="30" cy="10" r="5"/></svg>'
    html = _layout(tmp_path, f"--\n{svg}\n--\n{svg}\n")
    assert '<rect id="r-slide2" width="20" height="20" fill="red"/><circle' in html
    from deck2pdf.layout import _unique_ids

    assert _unique_ids('<svg><image id="a"/></svg>', 2, {"a"}) == ('<svg><image id="a-slide2"/></svg>', {"a-slide2"})


@pytest.mark.parametrize(
    ("ref", "shown"),
    [
        ("https://imgs.xkcd.com/comics/standards.png", "https://imgs.xkcd.com/comics/standards.png"),
        (
            "http://ak-hdl.buzzfed.com/static/2015-04/15/23/enhanced/webdr13/anigif_enhanced-5573-1429156700-35.gif",
            "…/anigif_enhanced-5573-1429156700-35.gif",
        ),
        ("https://example.com/a/very/long/path/that/goes/on/and/on/x.png", "example.com/…/x.png"),
        ("data:application/postscript;base64," + "A" * 80, "data:application/postscript;base64,…"),
    ],
)
def test_a_stand_in_shows_a_long_reference_as_its_host_and_name(ref: str, shown: str) -> None:
    assert _shown_ref(ref) == shown


@pytest.mark.parametrize(
    ("lang", "face"),
    [
        ("zh-Hant-HK", "hk"),
        ("zh-HK", "hk"),
        ("zh-Hant-TW", "tc"),
        ("zh-Hant", "tc"),
        ("zh-Hans-CN", "sc"),
        ("ja", "jp"),
    ],
)
def test_a_chinese_language_tag_s_region_picks_the_face_before_its_script(lang: str, face: str) -> None:
    from deck2pdf.archive import cjk_face
    from deck2pdf.parse import parse_text

    assert cjk_face(parse_text("--\n# x\n", Path("deck.md")), lang) == face


def test_a_stand_in_reads_the_deck_s_height_as_its_least_height_and_nothing_else() -> None:
    from deck2pdf.layout import _at_least_height

    assert _at_least_height("width:2em;height:3em") == "width:2em;min-height:3em"
    # Only a `height` declaration: not `line-height`, nor the word inside a value or a string.
    assert _at_least_height('line-height:2;content:"height: x"') == 'line-height:2;content:"height: x"'
