"""Handouts read back: sheet count and size, each slide's text on its sheet, links, header and footer."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from deck2pdf.pipeline import convert

from ..conftest import ROOT
from ..helpers import links, page_texts

TOUR = ROOT / "examples" / "tour.md"
# One word found only on each of the tour's 12 slides (the author slide's is its Twitter handle).
TOUR_WORDS = [
    "ready", "selectable", "YAML", "Centred", "need", "lazy", "Fenced", "Tables", "quotation", "stand-in",
    "listing", "@deck2pdf",
]  # fmt: skip


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("n", [1, 6, *(pytest.param(n, marks=pytest.mark.slow) for n in (2, 3, 4, 9))])
def test_n_up_sheets_hold_each_slide_on_the_right_sheet(n: int, tmp_path: Path) -> None:
    pdf = tmp_path / "h.pdf"
    result = convert(TOUR, {"output": pdf, "handout": n})
    sheets = page_texts(pdf)
    # A slide that cannot keep the layout's floor continues in the next cell ("Slide 11 (cont.)").
    cells = [m for text in sheets for m in re.findall(r"^Slide (\d+)( \(cont\.\))?$", text, re.M)]
    assert [int(number) for number, cont in cells if not cont] == list(range(1, 13))
    assert result.pages == len(sheets) == math.ceil(len(cells) / n)
    for i, word in enumerate(TOUR_WORDS):
        first = cells.index((str(i + 1), "")) // n
        holding = [s for s, text in enumerate(sheets) if word in text]
        assert holding[0] == first, (word, holding)  # selectable text, on its sheet
        assert f"Slide {i + 1}" in sheets[first]
    for s, text in enumerate(sheets, start=1):
        assert f"Page {s} of {len(sheets)}" in text
        assert "deck2pdf — a short tour" in text and "The deck2pdf team" in text


@pytest.mark.parametrize(
    ("paper", "landscape", "size"),
    [
        pytest.param("a4", False, (595.28, 841.89), marks=pytest.mark.slow),
        pytest.param("letter", False, (612, 792), marks=pytest.mark.slow),
        ("legal", True, (1008, 612)),
        pytest.param("a3", False, (841.89, 1190.55), marks=pytest.mark.slow),
    ],
)
def test_paper_and_orientation(paper: str, landscape: bool, size: tuple[float, float], tmp_path: Path) -> None:
    pdf = tmp_path / "h.pdf"
    convert(TOUR, {"output": pdf, "handout": 4, "paper": paper, "landscape": landscape})
    boxes = {(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2)) for p in PdfReader(pdf).pages}
    assert boxes == {size}


def test_links_stay_clickable_and_are_noted_for_paper(tmp_path: Path) -> None:
    pdf = tmp_path / "h.pdf"
    convert(TOUR, {"output": pdf, "handout": 6})
    sheet_links = links(pdf)
    assert {"https://example.org/docs", "mailto:team@example.org"} <= set(sheet_links[1])  # slide 9, on sheet 2
    text = _squash(page_texts(pdf)[1])
    # A note for the link whose text hides its address, marked with a letter (the slides' lists use numbers);
    # none for the bare links, whose address the slide already shows.
    assert "namedlinkhttps://example.org/guide" in text
    assert "https://example.org/docs" not in text.replace("Barelinkswork:https://example.org/docs", "")
    # Each link rectangle lies on the sheet, inside one of the slide slots.
    reader = PdfReader(pdf)
    page = reader.pages[1]
    for annot in page.get("/Annots"):
        x0, y0, x1, y1 = (float(v) for v in annot.get_object()["/Rect"])
        assert 0 < x0 < x1 < float(page.mediabox.width) and 0 < y0 < y1 < float(page.mediabox.height)
    without = tmp_path / "n.pdf"
    convert(TOUR, {"output": without, "handout": 6, "link_notes": False})
    assert "https://example.org/guide" not in _squash(page_texts(without)[1])
    assert set(links(without)[1]) == set(sheet_links[1])  # still clickable


def test_slide_ranges_pick_slides_for_slides_and_handouts(tmp_path: Path) -> None:
    result = convert(TOUR, {"output": tmp_path / "a.pdf", "slides": "1-2,7,11-"})
    texts = page_texts(tmp_path / "a.pdf")
    assert result.pages == 5
    assert ["ready" in texts[0], "Fenced" in texts[2], "listing" in texts[3]] == [True, True, True]
    assert "7 / 12" in texts[2]  # slides keep their numbers
    handout = convert(TOUR, {"output": tmp_path / "b.pdf", "slides": "1-2,7,11-", "handout": 4})
    sheets = page_texts(tmp_path / "b.pdf")
    assert handout.pages == 2 and "Slide 7" in sheets[0] and "Slide 12" in sheets[1]


def test_frames_can_be_turned_off(tmp_path: Path) -> None:
    framed, bare = tmp_path / "a.pdf", tmp_path / "b.pdf"
    convert(TOUR, {"output": framed, "handout": 6})
    convert(TOUR, {"output": bare, "handout": 6, "frame": False})
    assert framed.read_bytes() != bare.read_bytes()


@pytest.mark.slow
def test_handouts_are_byte_identical_run_to_run(tmp_path: Path) -> None:
    # Separate processes, more than a second apart, in time zones 25 hours apart.
    outputs = []
    for out, zone in ((tmp_path / "a.pdf", "Pacific/Kiritimati"), (tmp_path / "b.pdf", "Pacific/Pago_Pago")):
        env = {**{k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}, "TZ": zone}
        command = [sys.executable, "-m", "deck2pdf", str(TOUR), "--handout", "6", "-q", "-o", str(out)]
        subprocess.run(command, check=True, env=env)
        outputs.append(out.read_bytes())
        time.sleep(1.1)
    assert outputs[0] == outputs[1]
