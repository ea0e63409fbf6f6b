"""The visible text of every slide equals what the real Cleaver 0.8.7 shows (tests/oracle runs it).

Visible text follows CLEAVER-FORMAT.md section 7. One difference is deliberate and applied to Cleaver's side
before comparing: `#Title` with no space is a heading in deck2pdf (as in the Cleaver most decks were written
for), where Cleaver 0.8.7 prints the hashes; so leading hashes of Cleaver's paragraph lines are dropped.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from deck2pdf.parse import parse_deck

from ..conftest import REAL_DECKS, REFERENCE_DECK, ROOT
from ..helpers import visible_text

ORACLE = ROOT / "tests" / "oracle"
pytestmark = [pytest.mark.needs_shared, pytest.mark.slow]  # slow: it runs node, and needs `make test`'s npm ci


def cleaver_slides(decks: list[Path]) -> dict[Path, list[dict[str, str]]]:
    """Run the real Cleaver on the decks; return each deck's slides (classes and HTML)."""
    if not (ORACLE / "node_modules" / "cleaver").is_dir():
        pytest.fail("the Cleaver oracle is not installed: run `make test` (it runs npm ci in tests/oracle)")
    out = subprocess.run(
        ["node", str(ORACLE / "cleaver-oracle.js"), *map(str, decks)], capture_output=True, check=True, text=True
    ).stdout
    result = {}
    for deck in json.loads(out):
        assert "error" not in deck, f"Cleaver failed on {deck['file']}: {deck.get('error')}"
        result[Path(deck["file"])] = deck["slides"]
    return result


def expected_text(cleaver_html: str) -> str:
    return visible_text(re.sub(r"(<p>|\n)#{1,6}(?=[^#\s])", r"\1", cleaver_html))


def compare(decks: list[Path]) -> tuple[int, int, list[str]]:
    """Return (slides equal, slides in all, a description of each difference)."""
    equal = total = 0
    differences = []
    for path, cleaver in cleaver_slides(decks).items():
        ours = parse_deck(path).slides
        assert len(ours) == len(cleaver), f"{path.name}: {len(ours)} slides, Cleaver has {len(cleaver)}"
        for slide, theirs in zip(ours, cleaver, strict=True):
            total += 1
            assert " ".join(slide.classes) == " ".join(theirs["classes"].split()), f"{path.name} slide {slide.number}"
            mine, want = visible_text(slide.html), expected_text(theirs["html"])
            if mine == want:
                equal += 1
            else:
                differences.append(
                    f"{path.name} slide {slide.number}:\n  ours:    {mine[:300]}\n  Cleaver: {want[:300]}"
                )
    return equal, total, differences


def test_every_slide_of_the_reference_deck_shows_what_cleaver_shows() -> None:
    equal, total, differences = compare([REFERENCE_DECK])
    assert total == 59
    assert equal == total, "\n".join(differences)


def test_at_least_99_percent_of_real_deck_slides_show_what_cleaver_shows() -> None:
    equal, total, differences = compare(REAL_DECKS)
    print(f"\nreal decks: {equal}/{total} slides equal ({equal / total:.2%})")
    assert total == 1149
    assert equal / total >= 0.99, "\n".join(differences)
