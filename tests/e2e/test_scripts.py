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
from ..helpers import drawn, fonts, page_texts, visible_text

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


_BY_SCRIPT = {
    "SC": "### 版本管理入门\n\n了解基本概念，玩转常用指令，明确工作流。这个分支的代码",
    "TC": "### 版本管理入門\n\n了解基本概念，這個分支的程式碼，們說的實際工作與開發",
    "JP": "### 漢字と直線の見出し\n\n日本語の文章を漢字で書くと、写真と画像が並ぶ",
    "KR": "### 한국어 제목 漢字\n\n나는 유리를 먹을 수 있어요. 그래도 아프지 않아요",
}


def _cjk_fonts(pdf: Path) -> tuple[set[str], set[str]]:
    """The fonts of the heading's and of the body's CJK characters (the heading is the largest text)."""
    chars = [c for c in drawn(pdf)[0].chars if ord(c.text) >= 0x3040]
    top = max(c.size for c in chars)
    return {c.font for c in chars if c.size == top}, {c.font for c in chars if c.size < top}


@pytest.mark.parametrize("face", list(_BY_SCRIPT))
@pytest.mark.slow
def test_without_a_language_the_cjk_face_follows_the_script(tmp_path: Path, face: str) -> None:
    """No `lang:`: kana says Japanese, hangul Korean, Han alone Simplified Chinese unless traditional-only
    characters say Traditional; headings (bold) and body alike."""
    deck = tmp_path / "deck.md"
    deck.write_text(f"--\n\n{_BY_SCRIPT[face]}\n")
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf})
    heading, body = _cjk_fonts(pdf)
    assert heading == {f"Noto-Sans-CJK-{face}-Bold"} and body == {f"Noto-Sans-CJK-{face}"}, (heading, body)


@pytest.mark.parametrize("theme", list_themes())
@pytest.mark.slow
def test_cjk_headings_are_bold_beside_the_theme_s_bold_or_heavy_latin(tmp_path: Path, theme: str) -> None:
    """Every theme's headings are bold or heavy (retro's Anton): the CJK characters in them are set in the bold
    face of the deck's script (Simplified here), whichever family the theme names for them."""
    deck = tmp_path / "deck.md"
    deck.write_text(f"--\n\n{_BY_SCRIPT['SC']}\n")
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf, "theme": theme})
    heading, _ = _cjk_fonts(pdf)
    assert heading and all(re.fullmatch(r"Noto-Sans-(Mono-)?CJK-SC-Bold(-Oblique)?", f) for f in heading), heading


def test_a_symbol_the_text_face_lacks_prints_at_a_regular_weight_not_a_hairline(tmp_path: Path) -> None:
    """Inter has no "∴": it falls back to DejaVu Sans, whose ExtraLight face is the nearest to the themes' Light
    text; a regular stroke is set instead."""
    deck = tmp_path / "deck.md"
    deck.write_text("--\n\n### Therefore\n\n* ∴ less bandwidth, more complex networking\n")
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf})
    used = {c.font for c in drawn(pdf)[0].chars if c.text == "∴"}
    assert used and not any(re.search(r"(Extra|Ultra)-?Light|Thin|Hairline", f, re.IGNORECASE) for f in used), used
