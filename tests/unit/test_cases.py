"""Golden cases for the parser: each deck tests/cases/NAME.md parses to the slides written in tests/cases/NAME.html.

The expected file holds the deck's title and warnings, then each slide: a comment line with its number, source line,
classes and bookmark title, and its HTML below it; or one `error:` line when the deck is refused.
`pytest tests/unit/test_cases.py --update-golden` rewrites the expected files from the current parser: review the
diff against CLEAVER-FORMAT.md before committing it. A bug fix adds a case named after its issue
(`cases/0042-empty-slide.md`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deck2pdf.errors import DeckError
from deck2pdf.parse import decode, parse_text

CASES = Path(__file__).resolve().parent.parent / "cases"
DECKS = sorted(CASES.glob("*.md"))


def golden(name: str, data: bytes) -> str:
    """A deck file's parse, as the expected files hold it."""
    source = Path(name)  # relative, so messages read the same on every machine
    try:
        deck = parse_text(decode(data, source), source)
    except DeckError as exc:
        return f"<!-- error: {exc} -->\n"
    lines = [f"<!-- title: {deck.title} -->", *(f"<!-- warning: {w} -->" for w in deck.warnings)]
    for slide in deck.slides:
        head = f"slide {slide.number}, line {slide.line}"
        if slide.classes:
            head += f", classes: {' '.join(slide.classes)}"
        if slide.title:
            head += f", title: {slide.title}"
        lines += ["", f"<!-- {head} -->", *([slide.html] if slide.html else [])]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("deck", DECKS, ids=[d.stem for d in DECKS])
def test_each_case_deck_parses_to_its_expected_slides(deck: Path, update_golden: bool) -> None:
    expected = deck.with_suffix(".html")
    got = golden(deck.name, deck.read_bytes())
    if update_golden:
        expected.write_text(got, encoding="utf-8", newline="\n")
        return
    assert expected.is_file(), f"{expected.name} is missing: run pytest with --update-golden, then read it"
    assert got == expected.read_text(encoding="utf-8")


def test_every_expected_file_has_its_deck_and_there_are_cases() -> None:
    assert len(DECKS) >= 12
    assert sorted(p.with_suffix(".md") for p in CASES.glob("*.html")) == DECKS
