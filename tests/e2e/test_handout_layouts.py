"""Handouts people can read and printers can afford: layouts that make the slides as large as the paper allows,
light slides, link notes that never clip, captions that name a collapsed build."""

from __future__ import annotations

import re
from pathlib import Path
from statistics import median

import pytest
from pypdf import PdfReader

from deck2pdf.handout import link_notes
from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import Result, convert

from ..conftest import REAL_DECKS, REFERENCE_DECK, ReferenceRender
from ..helpers import outline, page_texts, page_words, pixels, rasterize, squashed


def _ink(pdf: Path) -> float:
    """Mean darkness of the sheets, rasterized at 20 dpi (0: white paper, 1: black)."""
    shares = []
    for page in range(1, len(PdfReader(pdf).pages) + 1):
        values = pixels(rasterize(pdf, page, dpi=20).convert("L").convert("RGB"))
        shares.append(sum(255 - r for r, _, _ in values) / (255 * len(values)))
    return sum(shares) / len(shares)


@pytest.fixture
def reference(reference_render: ReferenceRender) -> dict[str, tuple[Path, Result]]:
    return {
        "slides": reference_render("slides"),
        "6": reference_render("6-up"),
        "4": reference_render("4-up"),
        "6-backgrounds": reference_render("6-up-backgrounds"),
    }


pytestmark = pytest.mark.needs_shared


@pytest.mark.slow
def test_six_up_sheets_print_light_and_without_the_slides_own_numbers(
    reference: dict[str, tuple[Path, Result]],
) -> None:
    pdf, _ = reference["6"]
    assert _ink(pdf) <= 0.08  # the dark theme's slides print light
    assert _ink(reference["6-backgrounds"][0]) > 0.25  # --backgrounds keeps the screen look
    text = " ".join(page_texts(pdf))
    assert "/ 59" not in text  # each slide's own "12 / 59" is left off: the caption says "Slide 12"


@pytest.mark.slow
def test_four_up_prints_larger_than_six_up_and_readable(reference: dict[str, tuple[Path, Result]]) -> None:
    """4-up is 2 x 2 on landscape A4: body text at 7.4 pt or more; 6-up, laid out for its taller cells, 6 pt or more."""
    slides, four, six = (page_words(reference[k][0]) for k in ("slides", "4", "6"))

    def started(pages: list[tuple[float, float, list]]) -> float:  # type: ignore[type-arg]
        return median(w.y1 - w.y0 for _, _, words in pages for w in words if w.text == "Started")

    full = started(slides)  # 22.5 pt body text on the slide page
    assert 22.5 * started(four) / full >= 7.4
    assert 22.5 * started(six) / full >= 6.0
    assert {(round(w), round(h)) for w, h, _ in four} == {(842, 595)}  # landscape by default


@pytest.mark.slow
def test_a_collapsed_build_is_captioned_with_its_range(reference: dict[str, tuple[Path, Result]]) -> None:
    text = " ".join(page_texts(reference["6"][0]))
    assert "Slides 17\u201322" in text and "Slide 17\n" not in text  # (17-21 build up to 22)


@pytest.mark.parametrize(
    "name", ["docker-talk", "afronski-microservices-evolution-presentation", "sugarshin-study-mtg-react-flux-redux"]
)
@pytest.mark.slow
def test_every_hidden_address_is_printed_whole_on_its_slide_s_sheet(name: str, tmp_path: Path) -> None:
    deck = REFERENCE_DECK if name == "docker-talk" else next(d for d in REAL_DECKS if d.stem == name)
    pdf = tmp_path / "h.pdf"
    convert(deck, {"output": pdf, "offline": True, "handout": 6})
    slides = parse_deck(deck).slides
    checked = 0
    for text in page_texts(pdf):
        for line in text.splitlines():
            if line.startswith("Slide"):
                number = int(re.split("[-\u2013]", line.split()[-1])[-1]) if line.split()[-1][0].isdigit() else 0
                for note in link_notes(slides[number - 1].html) if number else ():
                    assert squashed(note.url) in squashed(text), (number, note.url)
                    checked += 1
    assert checked >= 4


def test_notes_that_fit_on_no_sheet_go_to_an_endnotes_page(tmp_path: Path) -> None:
    links = "\n".join(
        f"* [reference number {i}](https://example.org/a/rather/long/path/to/page/{i})" for i in range(60)
    )
    deck = tmp_path / "deck.md"
    deck.write_text(f"title: Links\n--\n\n### Reading list\n\n{links}\n\n--\n\n### Next\n\nText.\n", encoding="utf-8")
    pdf = tmp_path / "h.pdf"
    convert(deck, {"output": pdf, "handout": 9})
    texts = page_texts(pdf)
    # Two slides: one sheet, its free room used ("Slide 1, more links" under slide 2), then the endnotes.
    assert len(texts) >= 2 and all("Links" in t for t in texts[1:])
    assert "Slide 1, more links:" in texts[0]
    assert [line for line in texts[0].splitlines() if line.startswith("+") and line.endswith("more: see page 2")]
    everything = squashed(" ".join(texts))
    for i in range(60):  # every address printed whole, once
        assert everything.count(squashed(f"https://example.org/a/rather/long/path/to/page/{i}reference")) <= 1
        assert squashed(f"https://example.org/a/rather/long/path/to/page/{i}") in everything
    assert texts[-1].rstrip().endswith(f"Page {len(texts)} of {len(texts)}")


def test_qr_codes_beside_the_notes(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text("title: QR\n--\n\n### Read\n\n[The guide](https://example.org/guide)\n", encoding="utf-8")
    plain, coded = tmp_path / "a.pdf", tmp_path / "b.pdf"
    convert(deck, {"output": plain, "handout": 6})
    convert(deck, {"output": coded, "handout": 6, "qr": True})
    assert "https://example.org/guide" in page_texts(coded)[0]
    dark = [sum(1 for p in pixels(rasterize(pdf, 1, dpi=72)) if sum(p) < 200) for pdf in (plain, coded)]
    assert dark[1] > dark[0] + 300  # a 25 x 25 module code, 30 pt square, about half dark


def test_small_print_gets_a_warning_that_names_a_readable_layout(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text("title: T\n--\n\n### One\n\nText.\n", encoding="utf-8")
    result = convert(deck, {"output": tmp_path / "a.pdf", "handout": 9})
    assert [
        w for w in result.warnings if "--handout 9 prints the slides' body text at 5.3 pt" in w and "--handout 6" in w
    ]
    assert not convert(deck, {"output": tmp_path / "b.pdf", "handout": 6}).warnings


def test_a_build_s_caption_counts_only_the_chosen_slides(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text(
        "title: B\n" + "".join("--\n### Same\n" + "".join(f"* {k}\n" for k in range(n)) for n in (1, 2, 3, 4))
    )
    pdf = tmp_path / "h.pdf"
    convert(deck, {"output": pdf, "handout": 2, "slides": "3-4"})
    assert "Slides 3\u20134" in page_texts(pdf)[0]


@pytest.mark.slow
def test_the_reference_deck_gives_9_sheets_at_6_up_with_builds_collapsed_and_12_without(
    tmp_path: Path, reference_render: ReferenceRender
) -> None:
    pdf, collapsed = reference_render("6-up")
    full = convert(
        REFERENCE_DECK, {"output": tmp_path / "b.pdf", "handout": 6, "offline": True, "collapse_builds": False}
    )
    assert (collapsed.pages, full.pages) == (9, 12)  # (long terminal output continues in a cell: the floor)
    assert len(page_texts(pdf)) == 9
    marks = [title for title, _ in outline(pdf)]
    assert len(marks) == 44 and marks[:2] == ["Docker: There and Back Again", "Who am I?"]


@pytest.mark.slow
def test_builds_collapse_in_slides_only_when_asked(tmp_path: Path, reference_render: ReferenceRender) -> None:
    _, plain = reference_render("slides")
    collapsed = convert(REFERENCE_DECK, {"output": tmp_path / "b.pdf", "offline": True, "collapse_builds": True})
    assert (plain.pages, collapsed.pages) == (59, 44)
