"""Bounds: grid lines, repeat() counts, custom-property expansion and SVG <use> repetition are capped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from deck2pdf.bounds import GRID_LINES, SVG_NODES, bounded_css, css_definitions, runaway, svg_draws, svg_too_large
from deck2pdf.markup import bounded_html, css_definitions_of


def var_bomb(levels: int = 12) -> str:
    lines = ["--v0: xxxxxxxx;"]
    lines += [f"--v{i}: " + " ".join([f"var(--v{i - 1})"] * 4) + ";" for i in range(1, levels)]
    return ":root{" + "".join(lines) + "} h1{font-family: var(--v" + str(levels - 1) + ")}"


def use_bomb(levels: int = 8) -> str:
    groups = "".join(f'<g id="c{i}">' + f'<use href="#c{i - 1}"/>' * 10 + "</g>" for i in range(1, levels))
    return (
        f'<svg width="100" height="100"><defs><circle id="c0" r="1"/>{groups}</defs><use href="#c{levels - 1}"/></svg>'
    )


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("a{grid-column: 1 / 100000000}", f"a{{grid-column: 1 / {GRID_LINES};}}"),
        ("a{grid-row: -5000000 / span 3}", f"a{{grid-row: -{GRID_LINES} / span 3;}}"),
        ("a{grid-area: 1 / 1 / span 99999 / 2}", f"a{{grid-area: 1 / 1 / span {GRID_LINES} / 2;}}"),
        (
            "@media print{a{grid-template-columns: repeat(100000000, 1px) 200000px}}",
            f"@media print{{a{{grid-template-columns: repeat({GRID_LINES}, 1px) 100000px;}}}}",
        ),
    ],
)
def test_grid_lines_and_repeat_counts_are_clamped(css: str, expected: str) -> None:
    assert bounded_css(css) == expected


def test_a_custom_property_that_expands_without_bound_is_dropped() -> None:
    out = bounded_css(var_bomb())
    assert "--v0:" in out and "--v5:" in out  # 8 * 4**5 tokens: under the limit, kept
    assert "--v11:" not in out and "--v7:" not in out  # 8 * 4**7: over
    assert "font-family: var(--v11)" in out  # its use stays: a browser finds it invalid, and so does WeasyPrint


def test_a_slide_bomb_built_on_the_sheets_properties_is_found() -> None:
    sheet = ":root{--a: x x x x x x x x x x}"
    slide = '<div style="--b: ' + " ".join(["var(--a)"] * 100) + "; --c: " + " ".join(["var(--b)"] * 100) + '">'
    defined = {**css_definitions(sheet), **css_definitions_of(slide)}
    out = bounded_html(slide, runaway(defined))
    assert "--b:" in out and "--c:" not in out


@pytest.mark.parametrize(
    "css",
    [
        "a{color:red}/* var( */",
        ":root{--gap: 4px} a{margin: var(--gap); display:grid; grid-template-columns: repeat(3, 1fr)}",
        "a{grid-column: 1 / -1}",
        "a{--x: var(--x)}",  # a cycle: invalid, nothing to expand
    ],
)
def test_css_within_the_limits_is_returned_as_written(css: str) -> None:
    assert bounded_css(css) == css


def test_style_attributes_are_bounded_as_declarations() -> None:
    assert bounded_css("grid-column: 1/100000000; color: red", declarations=True) == (
        f"grid-column: 1/{GRID_LINES}; color: red;"
    )


def test_an_svg_whose_uses_repeat_too_much_loses_its_uses() -> None:
    assert svg_draws(ET.fromstring(use_bomb())) > SVG_NODES
    html = f"<p>x</p>{use_bomb()}<svg><circle id=d r=1/><use href=#d /></svg>"
    out = bounded_html(html, frozenset())
    assert out.count("<use") == 1 and "<circle" in out and out.startswith("<p>x</p><svg")


def marker_bomb(levels: int, how: str = "attribute") -> str:
    """Markers whose shape draws the marker before it at each of its vertices: they multiply per level."""
    points = " ".join(f"{i},{i}" for i in range(10))
    refer = {
        "attribute": 'marker-mid="url(#m{k})"',
        "style": "style='marker-mid: u\\72l(\"#m{k}\")'",  # an escape in the function's name, quoted
        "sheet": 'class="s{k}"',
    }[how]
    sheet = "".join(f".s{k}{{marker-start:url(#m{k})}}" for k in range(levels)) if how == "sheet" else ""
    markers = "".join(
        f'<marker id="m{k}"><polyline points="{points}" {refer.format(k=k - 1)}/></marker>' for k in range(1, levels)
    )
    return (
        f'<svg width="100" height="100"><style>{sheet}</style><defs><marker id="m0"><circle r="1"/></marker>'
        f'{markers}</defs><polyline points="{points}" {refer.format(k=levels - 1)}/></svg>'
    )


@pytest.mark.parametrize("how", ["attribute", "style", "sheet"])
def test_chained_svg_markers_are_counted_and_an_inline_svg_loses_them(how: str) -> None:
    assert svg_draws(ET.fromstring(marker_bomb(6, how))) > SVG_NODES
    assert svg_draws(ET.fromstring(marker_bomb(2, how))) < 1000  # a marker or two on a line: as drawn
    out = bounded_html(f"<p>x</p>{marker_bomb(6, how)}", frozenset())
    assert out.count("<marker") == 6 and 'id="m' not in out and "<polyline" in out
    assert bounded_html(marker_bomb(2, how), frozenset()) == marker_bomb(2, how)
    assert svg_too_large(marker_bomb(6, how).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ').encode())


def test_an_svg_file_whose_uses_repeat_too_much_is_too_large() -> None:
    bomb = use_bomb().replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ').encode()
    assert svg_too_large(bomb)
    assert not svg_too_large(use_bomb(3).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ').encode())
    assert not svg_too_large(b"<svg><use")  # does not parse: WeasyPrint says so itself


def test_absurd_lengths_are_clamped() -> None:
    out = bounded_css("height:1e30px;font-size:-1e30%;margin:calc(1e9em + 1px);z-index:2147483647", declarations=True)
    assert out == "height:100000px;font-size:-100000%;margin:calc(100000em + 1px);z-index:2147483647;"


def test_css_that_does_not_parse_is_no_crash_and_is_dropped_only_where_something_changes() -> None:
    assert bounded_css("display: grid; color red", declarations=True) == "display: grid; color red"
    assert bounded_css("grid-column: 1/99999; color red", declarations=True).strip() == "grid-column: 1/1000;"
    assert bounded_css("a{grid-row: 1/99999} }}} b{").startswith("a{grid-row: 1/1000;}")


def test_a_chain_of_custom_properties_split_over_slides_is_found_whole(tmp_path: Path) -> None:
    from deck2pdf.layout import Typesetter
    from deck2pdf.options import Options
    from deck2pdf.parse import parse_text
    from deck2pdf.themes import load_theme

    b = " ".join(["var(--a)"] * 100)
    c = " ".join(["var(--b)"] * 100)
    deck = parse_text(
        f"--\n<style>:root{{--a: x x x x x x x x x x}}</style>\n--\n<style>:root{{--b: {b}}}</style>\n"
        f"--\n<style>:root{{--c: {c}}} h1{{font-family: var(--c)}}</style>\n",
        tmp_path / "d.md",
    )
    theme, _ = load_theme("default", "default")
    typesetter = Typesetter(deck, theme, Options())
    assert typesetter.runaway == {"--c"}
    assert "--b:" in typesetter.slide_html[2] and "--c:" not in typesetter.slide_html[3]


@pytest.mark.parametrize(
    "css",
    [
        "a{gr\\69 d-template-columns: repeat(99999, 1px)}",  # an escaped name
        "a{grid-row: 1 / 99999}",  # five digits
    ],
)
def test_what_is_over_a_limit_is_found_however_it_is_written(css: str) -> None:
    assert "1000" in bounded_css(css) and "99999" not in bounded_css(css)


def test_an_entity_in_a_style_attribute_does_not_hide_a_grid_bomb() -> None:
    out = bounded_html('<div style="gr&#105;d-row: 1 / 99999">x</div>', frozenset())
    assert "99999" not in out and "1000" in out


def test_only_lengths_and_percentages_are_clamped() -> None:
    css = "transform: rotate(360000deg); transition: 200000ms; width: 1e9px"
    assert bounded_css(css, declarations=True) == "transform: rotate(360000deg); transition: 200000ms; width: 100000px;"


def test_an_svg_file_referring_to_itself_by_name_is_counted() -> None:
    bomb = use_bomb().replace('href="#', 'href="bomb.svg#').replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ')
    assert svg_too_large(bomb.encode())


@pytest.mark.parametrize(("ident", "ref"), [("c0", "#c&#9;0"), ("c%200", "#c 0"), ("c0", "#c%30")])
def test_an_svg_use_is_matched_to_its_id_as_weasyprint_matches_them(ident: str, ref: str) -> None:
    bomb = use_bomb().replace('href="#c0"', f'href="{ref}"').replace('id="c0"', f'id="{ident}"')
    assert svg_too_large(bomb.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ').encode())


def test_custom_properties_named_with_entities_or_escapes_are_counted() -> None:
    b = " ".join(["var(--a)"] * 100)
    c = " ".join(["var(--b)"] * 100)
    html = f'<div style="&#45;&#45;a: x x x x x x x x x x"></div><style>:root{{\\2d\\2d b: {b}; --c: {c}}}</style>'
    assert runaway(css_definitions_of(html)) == {"--c"}


def test_viewport_lengths_are_clamped_too() -> None:
    assert bounded_css("height: 1e6dvh; width: 1e6svw", declarations=True) == "height: 100000dvh; width: 100000svw;"
