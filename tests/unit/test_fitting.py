"""The fitting arithmetic, on measures made up here: what yields first, and how much."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from deck2pdf.model import CodeFit
from deck2pdf.rendering.fitting import Rung, breaks, faults, fit_for, guess, ladder
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
        texts=tuple("x" * chars for _ in range(lines)),
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


def test_a_wide_block_is_set_smaller_on_its_own_unless_it_would_wrap_even_at_the_floor() -> None:
    fit = fit_for(measure(blocks=(block(1250),)), Rung(False, 1.0, 1.0), FLOOR)
    assert fit.body == 1.0
    assert fit.code == (CodeFit(0, pytest.approx(22.5 * 0.8 / 30), 1, 0),)  # 1000/1250 of its size, in em
    fit = fit_for(measure(blocks=(block(4000, chars=200),)), Rung(False, 1.0, 1.0), FLOOR)
    (code,) = fit.code
    assert code.size * 30 == pytest.approx(22.5)  # it would wrap even at the floor: it keeps its size...
    assert code.wrap == 1000 // (4000 / 200) - 1  # ...wrapped after what fits across
    (code,) = fit_for(measure(blocks=(block(4000, chars=200),)), Rung(False, 1.0, 0.5), FLOOR).code
    assert code.size == pytest.approx(22.5 / 30) and code.wrap == 1000 // (4000 / 200 * 0.5) - 1  # the body's size
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
    assert faults(measure(need=1400, units=tall), [0, 500, 1000]) == 0  # its slices: no line begins there


def test_a_heading_at_a_pages_foot_goes_to_the_next_page() -> None:
    lines = [(100 + 40 * k, 140 + 40 * k) for k in range(16)]  # 12 fit the first page, 4 the next
    assert breaks(measure(need=740, units=lines)) == [0, 320]  # balanced: 8 and 8
    # The 8th line (k = 7, at 380) is a heading: it is not left at the foot (9 and 7, or 7 and 9)
    assert breaks(measure(need=740, units=lines, headings=[380])) == [0, 360]
    assert breaks(measure(need=1300, units=lines[:12], headings=[380])) == [0]  # (a slide that fits has one page)


DOCKERFILE = """FROM centos:centos7
MAINTAINER someone

RUN yum -y install \\
    openssl-devel \\
    openssl \\
    readline \\
    readline-devel \\
    gcc \\
    ruby-devel; \\
yum clean all
RUN gem install earthquake
USER twitter
WORKDIR /home/twitter
CMD ["earthquake"]""".splitlines()

JSX = """render() {
  return (
    <div>
      <h1>Names</h1>
      <hr />
      <button onClick={this.getRandomName}>
        New Random Name
      </button>
    </div>
  )
}
ReactDOM.render(
  <App />,
  document.getElementById('app'),
)""".splitlines()


def _listing(texts: list[str], natural: float = 400) -> Block:
    return Block(0, 22.5, 22.5, 30.0, 1000, natural, max(map(len, texts)), 30 * len(texts), len(texts), tuple(texts))


def test_two_columns_begin_only_where_a_reader_sees_a_pause() -> None:
    def split(texts: list[str]) -> int:
        (code,) = fit_for(measure(need=800, blocks=(_listing(texts),)), Rung(True, 1.0, 1.0), FLOOR).code
        return code.split

    # Not after a line ending in `\` (inside the RUN command), nor inside it: at a statement of the block's own
    # indentation, the one that balances the columns best.
    assert DOCKERFILE[split(DOCKERFILE)] == "RUN gem install earthquake"
    # Not inside render(): a line that closes a bracket does not begin a column; the next statement does.
    assert JSX[split(JSX)] == "ReactDOM.render("
    # After a blank line, whatever its indentation.
    block = [f"  item {i}" for i in range(9)] + [""] + [f"  item {i}" for i in range(9, 14)]
    assert split(["x = [", *block, "]"]) == 11
    # No place at all: one column.
    assert (
        fit_for(
            measure(need=800, blocks=(_listing(["f(", *[f"  {i}," for i in range(20)], ")"]),)),
            Rung(True, 1.0, 1.0),
            FLOOR,
        ).code
        == ()
    )


def test_two_columns_only_when_they_print_a_fifth_larger_than_one() -> None:
    lines = [f"line {i}" for i in range(20)]
    # 580 px of body in 500: one column would print at 0.86 of its size, two at 1.0: not worth it.
    assert not any(r.columns for r in ladder(measure(need=680, blocks=(_listing(lines),)), 0.5, FLOOR))
    # 700 px in 500: 0.71 against 1.0 (more than a fifth larger): two columns.
    assert ladder(measure(need=800, blocks=(_listing(lines),)), 0.5, FLOOR)[1] == Rung(True, 1.0, 1.0)
    # Lines so long that two columns would set them smaller than one: never.
    assert not any(r.columns for r in ladder(measure(need=800, blocks=(_listing(lines, 900),)), 0.5, FLOOR))


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


def test_a_page_too_short_takes_lines_back_from_the_page_before() -> None:
    # A heading, four lines, then two headings and a line (sections whose headings must stay with what follows
    # them), then two more sections: filled one page at a time, the middle page held the two headings and a line
    # (three lines); cut where fewest rules break, it takes the last line of the first page.
    lines = [(130, 190), (230, 270), (270, 310), (310, 350), (350, 390), (420, 480), (550, 610), (650, 690)]
    lines += [(720, 780), (820, 860), (890, 950), (990, 1030)]
    m = measure(need=1030, units=lines, headings=[130, 420, 550, 720, 890])
    assert breaks(m) == [0, 250, 620]
    assert faults(m, breaks(m)) == 0 < faults(m, [0, 320, 620])


def test_a_continued_tables_header_takes_its_room_on_each_page() -> None:
    # A table of a header row and 23 rows of 40 px: two pages of 12 lines when nothing is repeated; with its
    # header row repeated at the top of the second page, that page would need 13: three pages.
    lines = [(100 + 40 * k, 140 + 40 * k) for k in range(24)]
    plain = replace(measure(need=1060, units=lines), table_heads=frozenset([100.0]))
    assert breaks(plain) == [0, 480]
    headed = replace(plain, repeats=tuple((top, 40.0) for top, _ in lines[1:]))
    starts = breaks(headed)
    assert len(starts) == 3
    for start, end in itertools.pairwise([*starts[1:], 960]):
        assert end - start + 40 <= 500  # each continuation page's rows and the header fit the room
