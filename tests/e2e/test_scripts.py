"""Latin, Cyrillic, Greek, CJK and emoji all print: no missing-glyph box, every word on its page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import Result, convert
from deck2pdf.themes import list_themes

from ..conftest import ROOT
from ..helpers import fonts, page_texts, visible_text

DECK = ROOT / "tests" / "decks" / "scripts.md"


# The module's fixtures render once for all its tests when they run on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("scripts")


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


@pytest.mark.parametrize(
    ("lang", "face"), [("ja", "JP"), ("ko", "KR"), ("zh-Hant", "TC"), ("zh", "SC"), ("zh-CN", "SC")]
)
@pytest.mark.slow
def test_cjk_text_is_set_in_the_face_of_the_deck_s_language(tmp_path: Path, lang: str, face: str) -> None:
    """Han characters differ between Japanese, Korean and Chinese: the deck's language picks the Noto CJK face,
    embedded as what it is (CFF outlines: no "Mismatch between font type" from poppler), and the Latin text
    beside it at the same weight (Noto CJK has no Light)."""
    deck = tmp_path / "deck.md"
    deck.write_text(
        f"title: 漢字\nlang: {lang}\n--\n\n### 漢字と直線\n\n直線 写真 画像 — plain Latin words\n\n`代码 code`\n"
    )
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf})
    names = {re.sub(r"^[A-Z]{6}\+", "", f.name) for f in fonts(pdf)}
    cjk = {n for n in names if "CJK" in n}
    assert cjk and all(n.endswith((face, f"{face}-Bold", f"{face}-Oblique")) for n in cjk), names
    assert any(n.startswith("Noto-Sans-Mono-CJK") for n in cjk)
    assert "Inter" in names and "Inter-Light" not in names
    assert all(f.type == "CID Type 0C (OT)" for f in fonts(pdf) if "CJK" in f.name)
    problems = subprocess.run(["pdftotext", str(pdf), "/dev/null"], capture_output=True, text=True).stderr
    assert "Mismatch" not in problems
