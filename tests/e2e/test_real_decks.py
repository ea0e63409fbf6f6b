"""Every real deck in ../shared/decks/real renders: one page per slide, no word outside its page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import convert

from ..conftest import REAL_DECKS
from ..helpers import page_words


def _as_published(deck: Path, folder: Path) -> Path:
    """Copy a deck into `folder` with its `style:` sheet where the deck expects it (MANIFEST.md's mapping)."""
    target = folder / "deck" / deck.name
    target.parent.mkdir(parents=True)
    shutil.copy(deck, target)
    style = parse_deck(deck).meta.get("style")
    sheet = deck.with_suffix(".css")
    if isinstance(style, str) and sheet.is_file():
        where = (target.parent / style).resolve()
        where.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sheet, where)
    return target


@pytest.mark.parametrize("deck", REAL_DECKS, ids=[d.stem for d in REAL_DECKS])
def test_real_deck_renders_one_page_per_slide(deck: Path, tmp_path: Path) -> None:
    source = _as_published(deck, tmp_path)
    pdf = tmp_path / "out.pdf"
    result = convert(source, {"output": pdf})
    slides = len(parse_deck(source).slides)
    pages = page_words(pdf)
    assert result.pages == slides == len(pages)
    outside = [
        (n, w.text)
        for n, (width, height, words) in enumerate(pages, start=1)
        for w in words
        if w.x0 < -0.5 or w.y0 < -0.5 or w.x1 > width + 0.5 or w.y1 > height + 0.5
    ]
    assert not outside
    assert not [w for w in result.warnings if "style:` sheet" in w]  # the deck's own stylesheet was found
