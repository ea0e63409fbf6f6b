"""Handout planning: slide ranges, build collapsing, sheet geometry."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from deck2pdf.handout import (
    POINTER,
    collapse_builds,
    link_notes,
    mark_links,
    note_height,
    parse_ranges,
    plan_captions,
    readable_layout,
    sheet_layout,
    url_pieces,
)
from deck2pdf.model import HandoutCell, LinkNote
from deck2pdf.options import HANDOUT_SIZES, PAPERS, PageSize
from deck2pdf.parse import parse_deck, parse_text

from ..conftest import REFERENCE_DECK


@pytest.mark.parametrize(
    ("text", "count", "numbers"),
    [
        ("1-5,8,12-", 14, [1, 2, 3, 4, 5, 8, 12, 13, 14]),
        ("3", 5, [3]),
        ("-2", 5, [1, 2]),
        ("4-", 5, [4, 5]),
        ("2-3, 2-4", 5, [2, 3, 4]),
        ("7-9", 5, []),
    ],
)
def test_slide_ranges(text: str, count: int, numbers: list[int]) -> None:
    assert parse_ranges(text, count) == numbers


@pytest.mark.parametrize("text", ["", "a", "5-2", "0", "1,,2", "1-2-3"])
def test_bad_slide_ranges(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ranges(text, 10)


def test_a_build_up_slide_is_dropped_when_the_next_says_all_it_says() -> None:
    deck = parse_text(
        "--\n### Why?\n* one\n--\n### Why?\n* one\n* two\n--\n### Why?\n* one, changed\n--\n### Other\n* one\n",
        Path("d.md"),
    )
    # 1 is inside 2 (same title); 2 is not inside 3 ("two" is gone); 3 and 4 differ in title.
    assert collapse_builds(deck.slides) == [2, 3, 4]


def test_images_do_not_count_and_untitled_slides_never_collapse() -> None:
    deck = parse_text("--\n### T\nA <img src=a.png>\n--\n### T\nA B\n--\nx\n--\nx y\n", Path("d.md"))
    assert collapse_builds(deck.slides) == [2, 3, 4]


@pytest.mark.needs_shared
def test_the_reference_deck_collapses_from_59_to_44_slides() -> None:
    assert len(collapse_builds(parse_deck(REFERENCE_DECK).slides)) == 44


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("landscape", [False, True])
@pytest.mark.parametrize("n", HANDOUT_SIZES)
def test_sheet_geometry_keeps_slides_on_the_paper_apart_and_in_shape(n: int, paper: str, landscape: bool) -> None:
    sheet = sheet_layout(n, paper, landscape, 16 / 9)
    assert (sheet.width > sheet.height) == landscape
    assert len(sheet.cells) == n
    boxes = (
        [c.slide for c in sheet.cells] + [c.caption for c in sheet.cells] + [c.notes for c in sheet.cells if c.notes]
    )
    for box in boxes:
        assert box.x >= 27 and box.x + box.w <= sheet.width - 27 and box.y >= 50 and box.y + box.h <= sheet.height - 30
    for a, b in combinations(boxes, 2):
        assert a.x + a.w <= b.x + 0.01 or b.x + b.w <= a.x + 0.01 or a.y + a.h <= b.y + 0.01 or b.y + b.h <= a.y + 0.01
    for cell in sheet.cells:
        assert cell.slide.w / cell.slide.h == pytest.approx(16 / 9)
        assert cell.slide.w > 140  # about 5 cm wide at the least: big enough to read
    # Ruled lines: beside the slides for 1 (landscape), 3 and 4 (portrait); under them for 1, 2 and 3 (landscape).
    assert all(c.notes for c in sheet.cells) == (n in (1, 3) or (n, landscape) in ((2, True), (4, False)))


def test_addresses_are_cut_after_slashes_and_before_dots_queries_and_fragments_never_at_hyphens() -> None:
    url = "https://engineering.fb.com/2020/facebook-engineering/x?a=1&b=2#top"
    pieces = url_pieces(url)
    assert "".join(pieces) == url
    assert pieces == [
        "https://", "engineering", ".fb", ".com/", "2020/", "facebook-engineering/", "x", "?a=1", "&b=2", "#top",
    ]  # fmt: skip


def test_3_up_note_lines_end_with_their_slide() -> None:
    for paper in PAPERS:
        for cell in sheet_layout(3, paper, False, 16 / 9).cells:
            assert cell.notes is not None and cell.notes.y + cell.notes.h <= cell.slide.y + cell.slide.h + 0.01


def _cell(number: int, links: int) -> HandoutCell:
    notes = tuple(LinkNote(chr(97 + i), f"link {i}", f"https://example.org/{number}/{i}") for i in range(links))
    return HandoutCell(number, f"Slide {number}", notes)


def test_notes_go_to_the_next_sheet_s_free_room_before_an_endnotes_page() -> None:
    geometry = sheet_layout(6, "a4", False, 16 / 9)
    sheets = [[_cell(n, 100 if n == 6 else 0) for n in range(1, 7)], [_cell(7, 0)]]
    captions, endnotes = plan_captions(sheets, geometry, qr=False)
    crowded = captions[0][5]
    assert not endnotes  # the second sheet's empty slots hold what the first had no room for
    assert crowded.more and crowded.more_page == 2
    moved = [
        note for caption in captions[1] for label, group in caption.spilled if label == "Slide 6" for note in group
    ]
    on_first = [n for c in captions[0] for n in (*c.notes, *(x for _, g in c.spilled for x in g))]
    assert len(moved) == crowded.more and len(moved) + len(on_first) == 100


def test_a_slide_whose_notes_go_elsewhere_keeps_a_line_for_its_pointer() -> None:
    geometry = sheet_layout(2, "letter", False, 16 / 9)
    captions, endnotes = plan_captions([[_cell(1, 6), _cell(2, 6)]], geometry, qr=False)
    assert endnotes
    for caption, box in zip(captions[0], geometry.cells, strict=True):
        used = POINTER + sum(note_height(n, box.caption.w, False) for n in caption.notes)
        assert caption.more and used + POINTER <= box.caption.h + 0.01


def test_the_small_print_warning_holds_body_text_to_6_pt_and_code_and_tables_to_the_layout_s_floor() -> None:
    slide = PageSize(1280.0, 720.0)
    kinds = {1: {"body"}, 2: {"body", "code"}, 3: {"body", "table"}}
    # 6-up: body 6 pt or more; code and tables at three quarters of it, over the 5 pt floor: nothing to say.
    assert readable_layout(6, "a4", None, slide, kinds) == ""
    # 9-up: body under 6 pt is named; code and tables at the 4 pt floor are not under it.
    warning = readable_layout(9, "a4", None, slide, kinds)
    assert "body text at" in warning and "(slides 1-3, under 6 pt)" in warning and "--handout 6" in warning
    assert "code" not in warning and "tables" not in warning
    # A slide fitted at 80%: its code under the 4 pt floor is named, and the layout that prints all of it readably.
    warning = readable_layout(9, "a4", None, slide, kinds, {2: 0.8})
    assert "code at" in warning and "(slide 2, under 4 pt)" in warning and "tables" not in warning, warning


def test_notes_are_marked_past_zz_as_spreadsheets_name_columns() -> None:
    """703 links on a slide: the 703rd note is "aaa", and every link is followed by its own mark, once. (`make
    fuzz` prints such a slide as a handout: tests/e2e/test_bad_input.py, 703-links-on-a-handout.)"""
    html = "<p>" + " ".join(f'<a href="https://example.com/{i}">l{i}</a>' for i in range(703)) + "</p>"
    notes = link_notes(html)
    assert [n.marker for n in notes][:2] + [notes[i].marker for i in (25, 26, 701, 702)] == [
        *("a", "b", "z", "aa", "zz", "aaa")
    ]
    marked = mark_links(html, notes)
    assert marked.count('<sup class="link-note-mark"') == 703
    assert '<a href="https://example.com/702">l702</a><sup class="link-note-mark"' in marked
    assert marked.endswith(">aaa</sup></p>")
