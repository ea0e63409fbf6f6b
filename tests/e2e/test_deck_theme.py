"""--theme deck: the deck's own Cleaver theme (its style.css, from a server like GitHub, or a folder), fetched once
by the image fetcher's rules, cached for --offline, adapted to pages over the default print theme."""

from __future__ import annotations

from pathlib import Path

import pytest

from deck2pdf.decktheme import adapted
from deck2pdf.pipeline import convert

from ..conftest import LocalHTTP, Route
from ..helpers import fonts, rasterize

THEME_CSS = b"""/* a Cleaver theme, written for the screen */
body { font-family: "DejaVu Serif", serif; color: #fedcba; background: #000; margin: 0 }
.slide { position: absolute; top: 0; bottom: 0; background-color: #123456 }
.slide-content { width: 800px; height: 600px; margin: 80px auto; font-size: 200% }
h1 { color: #ff8800; font-size: 64px }
.controls { position: absolute; bottom: 20px } .arrow { border: 30px solid #333 }
@font-face { font-family: Far; src: url(far.woff) }
"""
DECK = "title: T\ntheme: someone/darkish\n--\n# Hello theme\n\nSome text in the body.\n"


def _near(colour: tuple[int, int, int], want: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(colour, want, strict=True))


def _render(deck: Path, out: Path, **options: object):  # type: ignore[no-untyped-def]
    settings = {"output": out, "theme": "deck", "cache_dir": deck.parent / "cache", "render_cache": False}
    return convert(deck, {**settings, **options})


def _in_the_theme(pdf: Path) -> None:
    page = rasterize(pdf, 1, dpi=30).convert("RGB")
    assert _near(page.getpixel((5, page.height // 2)), (0x12, 0x34, 0x56))  # the theme's slide background
    assert any(
        _near(page.getpixel((x, y)), (0xFF, 0x88, 0x00)) for x in range(page.width) for y in range(page.height // 3)
    )
    assert any("DejaVu-Serif" in f.name for f in fonts(pdf))  # the theme's font


def test_a_deck_prints_in_its_own_cleaver_theme_from_the_web_and_again_offline(
    tmp_path: Path, local_http: LocalHTTP
) -> None:
    local_http.routes["/someone/darkish/master/style.css"] = Route(THEME_CSS, "text/css")
    deck = tmp_path / "deck.md"
    deck.write_text(DECK, encoding="utf-8")
    web = {"theme_base_url": local_http.url, "allow_private_network": True}
    result = _render(deck, tmp_path / "a.pdf", **web)
    assert list(result.warnings) == []
    _in_the_theme(tmp_path / "a.pdf")
    local_http.stop()  # nothing to serve now: the cache has it
    result = _render(deck, tmp_path / "b.pdf", offline=True, **web)
    assert list(result.warnings) == []
    _in_the_theme(tmp_path / "b.pdf")
    assert [p for p, _ in local_http.requests] == ["/someone/darkish/master/style.css"]  # fetched once


def test_the_web_images_a_theme_names_are_fetched_like_the_decks(tmp_path: Path, local_http: LocalHTTP) -> None:
    from io import BytesIO

    from PIL import Image

    png = BytesIO()
    Image.new("RGB", (40, 40), "#00ff00").save(png, "PNG")
    local_http.routes["/someone/darkish/master/style.css"] = Route(
        THEME_CSS + b"h1 { background-image: url(img/band.png) }", "text/css"
    )
    local_http.routes["/someone/darkish/master/img/band.png"] = Route(png.getvalue(), "image/png")
    deck = tmp_path / "deck.md"
    deck.write_text(DECK, encoding="utf-8")
    pdf = tmp_path / "a.pdf"
    result = _render(deck, pdf, theme_base_url=local_http.url, allow_private_network=True)
    assert list(result.warnings) == [] and "1 fetched" in result.images
    assert "/someone/darkish/master/img/band.png" in [p for p, _ in local_http.requests]
    page = rasterize(pdf, 1, dpi=30).convert("RGB")
    assert any(_near(page.getpixel((x, y)), (0, 0xFF, 0)) for x in range(page.width) for y in range(page.height // 3))


def test_a_theme_folder_beside_the_deck_is_read_and_one_outside_it_is_not(tmp_path: Path) -> None:
    (tmp_path / "talk" / "my-theme").mkdir(parents=True)
    (tmp_path / "talk" / "my-theme" / "style.css").write_bytes(THEME_CSS)
    deck = tmp_path / "talk" / "deck.md"
    deck.write_text(DECK.replace("someone/darkish", "./my-theme"), encoding="utf-8")
    assert list(_render(deck, tmp_path / "a.pdf").warnings) == []
    _in_the_theme(tmp_path / "a.pdf")
    deck.write_text(DECK.replace("someone/darkish", "../elsewhere"), encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "style.css").write_bytes(THEME_CSS)
    warnings = _render(deck, tmp_path / "b.pdf").warnings
    assert len(warnings) == 1 and "is outside the deck's folder" in warnings[0]


@pytest.mark.parametrize(
    ("front", "why"),
    [
        ("title: T\n", "the deck names no `theme:`"),
        ("title: T\ntheme: someone/darkish\n", "style.css is not in the cache and --offline forbids downloading it"),
    ],
)
def test_without_its_theme_a_deck_prints_in_the_default_theme_and_says_why(
    tmp_path: Path, front: str, why: str
) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text(f"{front}--\n# Hi\n", encoding="utf-8")
    warnings = _render(deck, tmp_path / "a.pdf", offline=True).warnings
    assert len(warnings) == 1 and why in warnings[0] and "the default print theme is used" in warnings[0]


def test_a_screen_theme_is_adapted_to_pages() -> None:
    css = adapted(THEME_CSS.decode(), "https://example.org/theme/style.css")
    # The page takes the theme's paint, not its geometry; px become em of Cleaver's 32 px text; no screen buttons.
    assert 'section.slide{font-family: "DejaVu Serif", serif;color: #fedcba;background: #000;}' in css
    assert "section.slide{background-color: #123456 ;}" in css
    assert "h1{color: #ff8800;font-size: 2em ;}" in css
    assert not [word for word in ("position", "margin", "800px", "200%", ".controls", ".arrow") if word in css]


def test_a_themes_urls_stay_where_it_came_from_and_selector_lists_keep_their_inner_commas() -> None:
    css = adapted('.a:not(.b, .c), .d { background: url(bg.png) } h1 { background: url("x y.png") }', "file:///t/s.css")
    assert ".a:not(.b, .c), .d{background: url(file:///t/bg.png) ;}" in css
    assert "url(file:///t/x\\ y.png)" in css
