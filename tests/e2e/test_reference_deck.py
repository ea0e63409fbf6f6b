"""The reference talk rendered to a real PDF and read back: pages, words per page, fonts, links, bookmarks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import Result

from ..conftest import REFERENCE_DECK, ReferenceRender
from ..helpers import (
    Word,
    fonts,
    links,
    metadata,
    outline,
    page_texts,
    page_words,
    pixels,
    rasterize,
    squashed,
    visible_text,
)

pytestmark = pytest.mark.needs_shared


@pytest.fixture
def rendered(reference_render: ReferenceRender) -> tuple[Path, Result]:
    return reference_render("slides")


def test_renders_59_pages_of_16_by_9(rendered: tuple[Path, Result]) -> None:
    pdf, result = rendered
    assert result.pages == 59
    pages = page_words(pdf)
    assert len(pages) == 59
    assert {(w, h) for w, h, _ in pages} == {(960.0, 540.0)}  # 13.33 x 7.5 in


def test_every_slide_s_words_are_on_its_own_page(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    texts = [squashed(t) for t in page_texts(pdf)]
    deck = parse_deck(REFERENCE_DECK)
    missing = {}
    for slide, text in zip(deck.slides, texts, strict=True):
        lost = [w for w in visible_text(slide.html).split() if squashed(w) not in text]
        if lost:
            missing[slide.number] = lost
    assert not missing


def test_no_word_lies_outside_its_page(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    outside = [
        (n, w.text)
        for n, (width, height, words) in enumerate(page_words(pdf), start=1)
        for w in words
        if w.x0 < 0 or w.y0 < 0 or w.x1 > width + 0.5 or w.y1 > height + 0.5
    ]
    assert not outside


def test_no_slide_is_cut_and_overlong_slides_were_shrunk(rendered: tuple[Path, Result]) -> None:
    _, result = rendered
    assert not [w for w in result.warnings if "does not fit" in w]


def test_fonts_are_embedded_and_the_bundled_ones(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    used = fonts(pdf)
    assert used and all(f.embedded and f.subset for f in used)
    names = {re.sub(r"^[A-Z]{6}\+", "", f.name).replace("-", "") for f in used}
    assert any(n.startswith("Inter") for n in names)
    assert any(n.startswith("JetBrainsMono") for n in names)
    # The deck has no emoji: the emoji font must not be picked for digits (Pango does that when it is
    # named in font-family), which drew every slide number as a colour bitmap.
    assert not any("Emoji" in n for n in names)


def test_links_are_clickable(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    pages = links(pdf)
    # A label such as "Twitter: " is part of its link, so a link can have two rectangles: compare targets.
    assert list(dict.fromkeys(pages[58])) == [
        "http://twitter.com/@pgporada",
        "https://github.com/https://github.com/pgporada",
        "http://weibo.com/Made%20with%20%3C3%20by%20https://jennyingles.com",
        "http://greenlancer.com",
        "mailto:philporada@gmail.com%20&&%20pporada@greenlancer.com",
    ]
    assert "https://github.com/docker/docker/issues" in [u for page in pages for u in page]


def test_one_bookmark_per_slide_named_after_its_title(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    marks = outline(pdf)
    assert [page for _, page in marks] == list(range(1, 60))
    assert marks[0] == ("Docker: There and Back Again", 1)
    assert marks[1] == ("Who am I?", 2)
    assert marks[-1] == ("Phil Porada", 59)


def test_title_and_author_are_in_the_metadata(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    meta = metadata(pdf)
    assert meta["/Title"] == "Phil's Docker Presentation"
    assert meta["/Author"] == "Phil Porada"


def test_missing_and_remote_images_are_visible_placeholders_with_one_warning_each(
    rendered: tuple[Path, Result],
) -> None:
    pdf, result = rendered
    texts = page_texts(pdf)
    assert "images/us.jpg" in texts[1] and "not found" in texts[1]
    assert "imgs.xkcd.com/comics/standards.png" in squashed(texts[7]) and "offline" in texts[7]
    assert result.images == "21 images: 21 missing"  # 10 local files absent, 11 web images (offline)
    image_warnings = [w for w in result.warnings if "image '" in w]
    assert len([w for w in image_warnings if "not found" in w]) == 10
    assert len([w for w in image_warnings if "--offline forbids downloading it" in w]) == 11
    assert any(w.startswith(f"{REFERENCE_DECK}:24 (slide 2): image 'images/us.jpg' not found") for w in image_warnings)


def test_the_cleaver_dark_theme_is_picked_from_the_front_matter(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    page = rasterize(pdf, 2)
    width, height = page.size
    band = page.getpixel((width // 2, 2))  # the black band that holds the title
    body = page.getpixel((width // 2, height * 3 // 4))
    assert max(band) < 10 and max(body) < 45
    assert page.getpixel((2, 0))[1] > 120  # green progress bar, top left


def test_the_five_digit_font_colour_shows_red(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    page = rasterize(pdf, 6, dpi=40)
    reds = [p for p in pixels(page) if p[0] > 180 and p[1] < 60 and p[2] < 60]
    assert len(reds) > 50


@pytest.fixture(params=["slides", "default"], ids=["dark", "default"])
def themed(request: pytest.FixtureRequest, reference_render: ReferenceRender) -> Path:
    return reference_render(request.param)[0]


def _sizes(words: list[Word], text: str) -> list[float]:
    return [w.y1 - w.y0 for w in words if w.text == text]


def test_a_build_keeps_one_size_while_its_picture_yields(themed: Path) -> None:
    """Slides 9-13 ("What is Docker?") add a bullet at a time, and a 1024x680 picture on 13: the body line
    "Started in 2013 @ dotCloud" and the title have one size each (the picture yields, not the text)."""
    pages = page_words(themed)[8:13]
    started = [s for _, _, words in pages for s in _sizes(words, "Started")]
    titles = [words[0].y1 - words[0].y0 for _, _, words in pages]
    assert len(started) == 5 and max(started) <= min(started) * 1.02, started
    assert max(titles) <= min(titles) * 1.02, titles


def test_the_slide_number_has_one_size_on_every_page(themed: Path) -> None:
    sizes = {round(s, 1) for _, _, words in page_words(themed) for s in _sizes(words, "/")}
    assert len(sizes) == 1, sizes


def test_terminal_output_keeps_one_row_per_line(themed: Path) -> None:
    rows_of = {
        27: (("a870e1ec8f92", "jovial_jones"), ("44e21f1e0eae", "naughty_stallman")),
        29: (("e6902788cd79", "awesome_payne"),),
    }
    for page, containers in rows_of.items():
        rows = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(themed), "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout.splitlines()
        for container, name in containers:
            assert any(container in row and name in row for row in rows), (page, container)
