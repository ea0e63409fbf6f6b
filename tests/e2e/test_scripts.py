"""Latin, Cyrillic, Greek, CJK and emoji all print: no missing-glyph box, every word on its page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import Result, convert
from deck2pdf.themes import list_themes

from ..conftest import ROOT
from ..helpers import fonts, page_texts, visible_text

DECK = ROOT / "tests" / "decks" / "scripts.md"


@pytest.fixture(scope="module", params=list_themes())
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    pdf = tmp_path_factory.mktemp(request.param) / "scripts.pdf"
    return pdf, convert(DECK, {"output": pdf, "theme": request.param})


def test_no_character_lacks_a_glyph(rendered: tuple[Path, Result]) -> None:
    pdf, result = rendered
    assert result.warnings == ()
    assert not any("\ufffd" in text for text in page_texts(pdf))


def test_every_word_is_on_its_page(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    # Whitespace and hyphens are dropped: pdftotext joins a word hyphenated at a line's end.
    texts = [re.sub(r"[\s-]+", "", t) for t in page_texts(pdf)]
    for slide, text in zip(parse_deck(DECK).slides, texts, strict=True):
        words = [re.sub(r"-+", "", w) for w in visible_text(slide.html).split()]
        assert [w for w in words if w not in text] == [], slide.number


def test_the_fonts_used_are_embedded_and_cover_each_script(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    names = {re.sub(r"^[A-Z]{6}\+", "", f.name) for f in fonts(pdf) if f.embedded}
    assert len(names) == len(fonts(pdf))  # every font is embedded
    assert any("CJK" in n for n in names)
    assert any("Emoji" in n for n in names)
    assert any(n.startswith("Inter") for n in names)
