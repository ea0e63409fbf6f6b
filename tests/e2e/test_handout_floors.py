"""Every word on a handout sheet readable: no text (code, tables, labels, the sheet's own) under the layout's floor."""

from __future__ import annotations

from pathlib import Path

import pytest

from deck2pdf.handout import FLOOR_PT
from deck2pdf.pipeline import convert

from ..conftest import REAL_DECKS, REFERENCE_DECK, REFERENCE_VARIANTS, ReferenceRender
from ..helpers import smallest_text

CODE_HEAVY = [
    "pawelwieladek-react-workshop",
    "belfasttechtraining-linux-basics",
    "sugarshin-study-mtg-react-flux-redux",
]

WIDE_CODE = "\n".join(
    f"    $ docker run --rm -v /srv/data/{i}:/data -e MODE=batch registry.example.org/tools/convert:{i}.0 --all"
    for i in range(18)
)
TABLE = "| Key | Action |\n|---|---|\n" + "\n".join(f"| {k} | what key {k} does, said in full |" for k in "ABCDEFGHIJ")


def _deck(tmp_path: Path) -> Path:
    deck = tmp_path / "deck.md"
    deck.write_text(
        f"title: Code\n--\n\n### Terminal\n\n{WIDE_CODE}\n\n--\n\n### Keys\n\n{TABLE}\n\n--\n\n### Prose\n\nText.\n",
        encoding="utf-8",
    )
    return deck


@pytest.mark.parametrize("n", [4, 6])
def test_code_and_tables_print_no_smaller_than_the_layout_s_floor(n: int, tmp_path: Path) -> None:
    pdf = tmp_path / "h.pdf"
    convert(_deck(tmp_path), {"output": pdf, "handout": n})
    small = [p for p in smallest_text(pdf) if p.size < FLOOR_PT[n] - 0.05]
    assert not small, small


# make test: each deck at one size and paper, the four covering 4-up and 6-up on A4 and letter; make fuzz: all.
_SAMPLE = {
    ("docker-talk", 6, "a4"),
    ("docker-talk", 6, "letter"),  # once 4.78 pt: its last slide's notes widened every slide's page
    ("pawelwieladek-react-workshop", 4, "letter"),
    ("belfasttechtraining-linux-basics", 6, "letter"),
    ("sugarshin-study-mtg-react-flux-redux", 4, "a4"),
}
_CASES = [
    pytest.param(name, n, paper, marks=() if (name, n, paper) in _SAMPLE else pytest.mark.exhaustive)
    for name in ["docker-talk", *CODE_HEAVY]
    for n in (4, 6)
    for paper in ("a4", "letter")
]


@pytest.mark.slow
@pytest.mark.needs_shared
@pytest.mark.parametrize(("name", "n", "paper"), _CASES)
def test_technical_decks_print_every_word_at_the_floor_or_larger(
    name: str, n: int, paper: str, tmp_path: Path, reference_render: ReferenceRender
) -> None:
    shared = {"handout": n} if paper == "a4" else None  # (A4 is the default paper)
    variant = next((k for k, v in REFERENCE_VARIANTS.items() if v == shared), None)
    if name == "docker-talk" and variant is not None:
        pdf = reference_render(variant)[0]
    else:
        deck = REFERENCE_DECK if name == "docker-talk" else next(d for d in REAL_DECKS if d.stem == name)
        pdf = tmp_path / "h.pdf"
        convert(deck, {"output": pdf, "offline": True, "handout": n, "paper": paper})
    small = [p for p in smallest_text(pdf) if p.size < FLOOR_PT[n] - 0.05]
    assert not small, small
