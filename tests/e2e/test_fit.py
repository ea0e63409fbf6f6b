"""Slides that do not fit are shrunk (text and images together) until they do, one page each, every word on it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from statistics import median

import pytest
from PIL import Image

from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import Result, convert

from ..conftest import ROOT
from ..helpers import page_texts, page_words, pixels, rasterize, visible_text

DECK = ROOT / "tests" / "decks" / "overflow.md"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Result]:
    folder = tmp_path_factory.mktemp("fit")
    deck = folder / DECK.name
    shutil.copy(DECK, deck)
    Image.new("RGB", (100, 300), "#3366aa").save(folder / "tall.png")
    pdf = folder / "out.pdf"
    return deck, pdf, convert(deck, {"output": pdf})


def _squash(text: str) -> str:
    return re.sub(r"[\s-]+", "", text)


def test_one_page_per_slide_and_nothing_cut(rendered: tuple[Path, Path, Result]) -> None:
    _, pdf, result = rendered
    assert result.pages == len(page_texts(pdf)) == 6
    assert not [w for w in result.warnings if "does not fit" in w]


def test_every_word_is_on_its_page_and_inside_it(rendered: tuple[Path, Path, Result]) -> None:
    deck, pdf, _ = rendered
    texts = [_squash(t) for t in page_texts(pdf)]
    for slide, text in zip(parse_deck(deck).slides, texts, strict=True):
        assert [w for w in visible_text(slide.html).split() if _squash(w) not in text] == [], slide.number
    for width, height, words in page_words(pdf):
        assert all(w.x0 >= 0 and w.x1 <= width and w.y0 >= 0 and w.y1 <= height for w in words)


def test_overflowing_slides_are_printed_smaller(rendered: tuple[Path, Path, Result]) -> None:
    _, pdf, _ = rendered
    pages = page_words(pdf)
    # The h3 title is the same element on every slide: its size shows each slide's scale.
    title_height = [median(w.y1 - w.y0 for w in words[:2]) for _, _, words in pages]
    normal = title_height[0]
    assert all(h < normal * 0.97 for h in title_height[1:5]), title_height
    assert title_height[5] == pytest.approx(normal, rel=0.02)  # a long code line wraps: no need to shrink


def test_the_tall_image_shrinks_with_its_slide(rendered: tuple[Path, Path, Result]) -> None:
    _, pdf, _ = rendered
    page = rasterize(pdf, 5, dpi=24)
    # Where the picture (#3366aa) is drawn: its height, as a share of the page's.
    mask = Image.new("L", page.size)
    mask.putdata(
        [255 if abs(r - 0x33) < 14 and abs(g - 0x66) < 14 and abs(b - 0xAA) < 14 else 0 for r, g, b in pixels(page)]
    )
    box = mask.getbbox()
    assert box is not None
    share = (box[3] - box[1]) / page.size[1]
    # Asked for 900 px (28 em); images are capped at the content height (21.6 em), then the slide shrank.
    assert 0.3 < share < 0.75, share
    _, height, words = page_words(pdf)[4]
    caption = next(w for w in words if w.text == "Caption")
    assert caption.y1 <= height  # the caption under it is on the page
