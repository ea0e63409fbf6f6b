"""The bundled tour (examples/tour.md) read back: the features it shows are really in the PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deck2pdf.pipeline import Result, convert

from ..conftest import ROOT
from ..helpers import links, metadata, outline, page_texts, page_words, pixels, rasterize

TOUR = ROOT / "examples" / "tour.md"


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    pdf = tmp_path_factory.mktemp("tour") / "tour.pdf"
    return pdf, convert(TOUR, {"output": pdf})


def test_one_page_per_slide_plus_the_author_slide(tour: tuple[Path, Result]) -> None:
    pdf, result = tour
    assert result.pages == 12
    assert [title for title, _ in outline(pdf)][:3] == ["deck2pdf", "What it does", "Slides and classes"]
    assert outline(pdf)[-1] == ("The deck2pdf team", 12)


def test_metadata_comes_from_the_front_matter(tour: tuple[Path, Result]) -> None:
    pdf, _ = tour
    meta = metadata(pdf)
    assert meta["/Title"] == "deck2pdf — a short tour"
    assert meta["/Author"] == "The deck2pdf team"
    assert meta["/Keywords"] == "cleaver, slides, pdf, print"
    assert meta["/Subject"] == "What deck2pdf does with a Cleaver deck, shown with a Cleaver deck."


def test_the_local_svg_is_drawn(tour: tuple[Path, Result]) -> None:
    pdf, _ = tour
    blue = [p for p in pixels(rasterize(pdf, 2, dpi=30)) if p[2] > 150 and p[0] < 60]
    assert len(blue) > 100  # the filled "talk.pdf" box of the diagram


def test_autolinks_and_author_links_are_clickable(tour: tuple[Path, Result]) -> None:
    pdf, _ = tour
    pages = links(pdf)
    assert set(pages[8]) == {"https://example.org/docs", "mailto:team@example.org", "https://example.org/guide"}
    assert set(pages[11]) == {
        "http://twitter.com/@deck2pdf",
        "https://github.com/deck2pdf/deck2pdf",
        "https://example.org/deck2pdf",
        "mailto:team@example.org",
    }


def test_the_missing_image_is_a_placeholder_and_a_warning(tour: tuple[Path, Result]) -> None:
    pdf, result = tour
    assert "images/does-not-exist.png not found" in re.sub(r"\s+", " ", page_texts(pdf)[9])
    assert [w for w in result.warnings] == [
        f"{TOUR}:105 (slide 10): image 'images/does-not-exist.png' not found; check the path (relative to the deck's folder)"
    ]


def test_the_long_listing_was_shrunk_to_fit_not_cut(tour: tuple[Path, Result]) -> None:
    pdf, _ = tour
    pages = page_words(pdf)
    heights = {}
    for n in (7, 11):  # slide 7's code is at full size; slide 11's listing is too long for the page
        heights[n] = max(w.y1 - w.y0 for w in pages[n - 1][2] if w.text == "line" or w.text == "def")
    assert heights[11] < heights[7] * 0.95
    assert "line 48 of a long listing" in page_texts(pdf)[10]
