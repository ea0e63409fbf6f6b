"""The fitting arithmetic, on measures made up here: what yields first, and how much."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deck2pdf.model import CodeFit
from deck2pdf.rendering.fitting import Rung, breaks, fit_for, guess, ladder
from deck2pdf.rendering.pages import Block, Measure, Picture

FLOOR = 12.0  # px: 9 pt on a 720 px page


def measure(
    *, need: float = 800, blocks: tuple[Block, ...] = (), pictures: tuple[Picture, ...] = (), units=(), headings=()
) -> Measure:  # type: ignore[no-untyped-def]
    return Measure(0, 0, 1000, 600, 100, 1000, need, blocks, pictures, tuple(units), frozenset(headings))


def block(natural: float, lines: int = 4, chars: int = 100) -> Block:
    return Block(
        0,
        font=22.5,
        text=22.5,
        parent_font=30.0,
        width=1000,
        natural=natural,
        chars=chars,
        height=30 * lines,
        lines=lines,
    )


def test_the_ladder_goes_code_then_columns_then_pictures_then_text() -> None:
    m = measure(blocks=(block(400, lines=20),), pictures=(Picture(0, 300, 200, 30, 100, 300),))
    rungs = ladder(m, 0.5, FLOOR)
    assert rungs[0] == Rung(False, 1.0, 1.0)
    assert rungs[1] == Rung(True, 1.0, 1.0)  # twenty short lines: two columns
    assert [r.pictures for r in rungs[2:8]] == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    assert all(r.body == 1.0 for r in rungs[:8])  # no text shrinks before the pictures are at their floor
    assert [r.body for r in rungs[8:]] == [0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5]
    assert all(r.pictures == 0.4 and r.columns for r in rungs[8:])


def test_a_wide_block_is_set_smaller_on_its_own_down_to_the_floor_then_wraps() -> None:
    fit = fit_for(measure(blocks=(block(1250),)), Rung(False, 1.0, 1.0), FLOOR)
    assert fit.body == 1.0
    assert fit.code == (CodeFit(0, pytest.approx(22.5 * 0.8 / 30), 1, 0),)  # 1000/1250 of its size, in em
    fit = fit_for(measure(blocks=(block(4000, chars=200),)), Rung(False, 1.0, 1.0), FLOOR)
    (code,) = fit.code
    assert code.size * 30 == pytest.approx(FLOOR)  # at the floor...
    assert code.wrap == 1000 // (4000 / 200 * FLOOR / 22.5) - 1  # ...wrapped after what fits across
    assert fit_for(measure(blocks=(block(900),)), Rung(False, 1.0, 1.0), FLOOR).code == ()  # it fits as it is


def test_the_estimate_picks_the_first_rung_that_fits() -> None:
    pictures = (Picture(0, 300, 300, 30, 200, 500),)
    m = measure(need=650, pictures=pictures)  # 550 px of body in 500: the picture gives 50 of its 300
    rungs = ladder(m, 0.5, FLOOR)
    assert rungs[guess(m, rungs, FLOOR)] == Rung(False, 0.8, 1.0)
    m = measure(need=1000, pictures=pictures)  # 900 in 500: the picture at 40% (-180), then the text
    rungs = ladder(m, 0.5, FLOOR)
    assert rungs[guess(m, rungs, FLOOR)] == Rung(False, 0.4, 0.65)


def test_a_slide_breaks_before_the_first_line_that_does_not_fit_whole() -> None:
    lines = [(100 + 40 * k, 140 + 40 * k) for k in range(30)]  # 30 lines of 40 px under a body top at 100
    # 12 whole lines fit a page (500 px of room): 3 pages, balanced (10 lines each, not 12, 12 and 6)
    assert breaks(measure(need=1300, units=lines)) == [0, 400, 800]
    tall = [(100, 1400)]  # taller than a page: cut at the page's end
    assert breaks(measure(need=1400, units=tall)) == [0, 500, 1000]


def test_a_heading_at_a_pages_foot_goes_to_the_next_page() -> None:
    lines = [(100 + 40 * k, 140 + 40 * k) for k in range(16)]  # 12 fit the first page, 4 the next
    assert breaks(measure(need=740, units=lines)) == [0, 320]  # balanced: 8 and 8
    # The 8th line (k = 7, at 380) is a heading: it is not left at the foot (9 and 7, or 7 and 9)
    assert breaks(measure(need=740, units=lines, headings=[380])) == [0, 360]
    assert breaks(measure(need=1300, units=lines[:12], headings=[380])) == [0]  # (a slide that fits has one page)


def test_a_code_block_is_cut_with_two_of_its_lines_on_each_side() -> None:
    lines = [(100 + 40 * k, 140 + 40 * k) for k in range(14)]  # balanced: 7 and 7, cut before the 8th (k = 7)
    assert breaks(measure(need=660, units=lines)) == [0, 280]
    # Lines 6-13 are a code block: one of its lines would end the first page (or all of it begin the next: 6 and
    # 8 lines), so two do (8 and 6)
    code = tuple((100 + 40 * k, 0, True) for k in range(6, 14))
    assert breaks(replace(measure(need=660, units=lines), code_lines=code)) == [0, 320]
    # Lines 0-7 are: its last line would begin the next page alone, so two would (6 and 8 lines): the pages are
    # balanced as well as that allows, the block whole on the first (8 and 6)
    code = tuple((100 + 40 * k, 0, True) for k in range(0, 8))
    assert breaks(replace(measure(need=660, units=lines), code_lines=code)) == [0, 320]
