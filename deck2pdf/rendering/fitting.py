"""How a slide that does not fit its page is fitted, the way a designer would: what yields first, and how much.

The heading, the title band, the slide number and the progress bar never change. In the body, in this order:
1. each code block whose longest line is too wide is set smaller on its own, down to a legible floor, so that
   every source line stays one printed line (terminal output keeps its rows); a block that would wrap even at the
   floor is not set smaller at all: it keeps the slide's code size and wraps at spaces or punctuation, each
   continuation row marked and hanging under its line (`markup.code_breaks`);
2. a tall code block of short lines is set in two columns, cut where a reader sees a pause (after a blank line,
   or where a statement begins at the block's own indentation), when that prints its code at least COLUMN_GAIN
   times larger than one column would;
3. pictures (and the stand-ins of missing ones) shrink, down to PICTURE_FLOOR of their size;
4. the body's text shrinks, down to --min-scale;
5. what still does not fit continues on the next page (or, with `--overflow cut`, is cut).

Steps 2-4 are rungs of one ladder (`ladder`). A rung's need is estimated from the slide's first layout
(`predicted`), and the first rung the estimate says fits is laid out (`guess`): one more render of the slides that
do not fit usually settles them. When that rung does not fit, `settle` corrects the estimate with what the try
measured and picks a later one. The estimate errs on the safe side (text reflows into fewer lines when smaller):
the rung before the one chosen is laid out too (`chunks._Fitter`), so a slide ends at the largest text size that
fits. Headings in the body keep the theme's size (`Fit.headings`).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..markup import code_breaks
from ..model import CodeFit, Fit, PictureFit
from .pages import Block, Measure

PICTURE_FLOOR = 0.4  # pictures yield first, to 40% of their size, before any text shrinks
BODY_STEP = 0.05
PICTURE_STEP = 0.1
COLUMN_GAP_EM = 2.0  # the gutter between two columns, in em of the code (base.css: `.code-column`)
COLUMN_GAIN = 1.2  # two columns only when their code prints this much larger than one column's would
MIN_COLUMN_LINES = 8  # a shorter block is not worth two columns
MIN_COLUMN_SHARE = 0.6  # nor is one whose lines fit twice across only when set much smaller
# A line that begins a second column does not close or continue what the line before it began.
_CLOSES = ("}", ")", "]", "</", "else", "elif", "except", "finally", "catch")
_GOES_ON = ("\\", ",", "(", "[", "{", "=", "+", "&&", "||", "|")
WIDTH_TOLERANCE_PX = 4.0
SMALLEST_SCALE = 0.2  # the least --min-scale (options.py)
TALL_SLICE_SHARE = 0.1  # a box taller than a page that begins this far down a page begins the next one
MIN_CODE_LINES = 2  # a code block cut by a page keeps this many of its lines on each side
MIN_LAST_LINES = 4  # a continued slide's last page holds at least this many lines (or all, when it has fewer)
# A continued slide whose pages break the rules of `breaks` at the theme's size is set smaller, in BODY_STEP steps,
# down to this share of the theme's size at the least (its headings keep theirs): each page then holds more.
CONTINUED_FLOOR = 0.85


@dataclass(frozen=True)
class Rung:
    columns: bool  # tall code blocks of short lines in two columns
    pictures: float  # share of their size
    body: float  # the body's text scale


def ladder(m: Measure, min_scale: float, code_floor: float) -> list[Rung]:
    """The ways to fit a slide, from the least change to the most (the first is the slide as laid out, with its
    wide code blocks set smaller)."""
    columns = _columns_gain(m, code_floor)
    rungs = [Rung(False, 1.0, 1.0)]
    if columns:
        rungs.append(Rung(True, 1.0, 1.0))
    if m.pictures:
        steps = math.floor((1 - PICTURE_FLOOR) / PICTURE_STEP + 1e-9)
        rungs += [Rung(columns, round(1 - PICTURE_STEP * k, 2), 1.0) for k in range(1, steps + 1)]
        if rungs[-1].pictures > PICTURE_FLOOR + 1e-9:
            rungs.append(Rung(columns, PICTURE_FLOOR, 1.0))
    pictures = PICTURE_FLOOR if m.pictures else 1.0
    body = 1.0
    while body - BODY_STEP > min_scale + 1e-9:
        body = round(body - BODY_STEP, 2)
        rungs.append(Rung(columns, pictures, body))
    if rungs[-1].body > min_scale + 1e-9:
        rungs.append(Rung(columns, pictures, min_scale))
    return rungs


def fit_for(m: Measure, rung: Rung, code_floor: float) -> Fit:
    """The Fit of a rung, for a slide measured as laid out by the theme (`m`)."""
    return Fit(
        body=rung.body,
        code=tuple(c for b in m.blocks if (c := _code(b, rung, code_floor, m)) is not None),
        pictures=tuple(
            PictureFit(p.index, p.width * rung.pictures / p.parent_font, p.height * rung.pictures / p.parent_font)
            for p in m.pictures
        )
        if rung.pictures < 1.0
        else (),
        headings=m.heading_sizes if rung.body < 1.0 else (),  # headings keep the theme's size
    )


def _scale(b: Block, body: float, code_floor: float) -> tuple[float, int]:
    """A block's size (a share of its theme size, the body's scale included) and the columns after which its lines
    wrap (0: they do not). Widths scale with the font size."""
    if b.natural <= 0 or b.natural * body <= b.width + WIDTH_TOLERANCE_PX:
        return body, 0
    size = b.width / b.natural
    if size * b.text >= code_floor:
        return size, 0
    # It would wrap even at the floor: it wraps at the slide's code size, where its lines read best.
    char = b.natural / max(b.chars, 1) * body
    return body, max(8, math.floor(b.width / char) - 1)


def _code(b: Block, rung: Rung, code_floor: float, m: Measure) -> CodeFit | None:
    scale, wrap = _scale(b, rung.body, code_floor)
    split = 0
    if rung.columns and _columns_fit(b, code_floor, m):
        split, share = _split(b)
        scale = min(scale, share * rung.body)
    if scale >= rung.body - 1e-9 and not split and not wrap:
        return None  # as the body: nothing to set
    # In em of the block's parent, whose size already has the body's scale.
    return CodeFit(b.index, b.font * scale / rung.body / b.parent_font, 2 if split else 1, wrap, split)


@functools.lru_cache(maxsize=256)  # asked for at every rung the estimate weighs
def _rows(b: Block, wrap: int) -> float:
    """How many rows a block's lines take, wrapped after `wrap` columns (0: unwrapped)."""
    if not wrap:
        return b.lines
    if not b.texts:
        return b.lines * 1.3  # about a third of the lines take two rows
    return sum(len(code_breaks(text, wrap)) + 1 for text in b.texts)


@functools.lru_cache(maxsize=256)
def _split(b: Block) -> tuple[int, float]:
    """Where a block's second column would begin (the place that balances the columns best, `_places`), and the
    share of its theme size at which both columns fit across its width with their gutter; (0, 0.0) when there is
    no place."""
    places = _places(b.texts)
    if not places or b.chars <= 0:
        return 0, 0.0
    at = min(places, key=lambda k: (max(k, len(b.texts) - k), k))
    char = b.natural / b.chars
    columns = max(map(len, b.texts[:at])) + max(map(len, b.texts[at:])) + 1  # (one more for the rule, rounding)
    wide = columns * char + COLUMN_GAP_EM * b.text
    return at, min(1.0, b.width / wide)


def _places(texts: Sequence[str]) -> list[int]:
    """The lines a second column may begin with: after a blank line, or where a statement begins at the block's own
    indentation (not one that closes a bracket, nor one the line before continues)."""
    indents = [len(t) - len(t.lstrip()) for t in texts]
    base = min((i for i, t in zip(indents, texts, strict=True) if t.strip()), default=0)
    places = []
    for k in range(1, len(texts)):
        line, before = texts[k].strip(), texts[k - 1].strip()
        if line and (
            not before or (indents[k] == base and not line.startswith(_CLOSES) and not before.endswith(_GOES_ON))
        ):
            places.append(k)
    return places


def _column_share(b: Block) -> float:
    """The share of its theme size at which a block's two columns fit across its width, with their gutter."""
    return _split(b)[1]


def _columns_fit(b: Block, code_floor: float, m: Measure) -> bool:
    """Whether a block is tall, can be cut into two columns where it reads as two (`_places`), its lines short
    enough to fit twice across set no smaller than MIN_COLUMN_SHARE of its theme size (nor than the floor), and
    whether it could then fit the page's room, its text at the smallest scale there is (a block that must continue
    is not set in columns, which pages would cut apart)."""
    if b.lines < MIN_COLUMN_LINES:
        return False
    at, share = _split(b)
    return (
        at > 0
        and share >= MIN_COLUMN_SHARE
        and share * b.text >= code_floor
        and b.height * share * max(at, b.lines - at) / b.lines * SMALLEST_SCALE <= m.bottom - m.flow_top
    )


def _columns_gain(m: Measure, code_floor: float) -> bool:
    """Whether setting a slide's tall blocks in two columns prints each of them at least COLUMN_GAIN times larger
    than in one column, the body set as small as the page then needs (by the estimate)."""
    blocks = [b for b in m.blocks if _columns_fit(b, code_floor, m)]
    if not blocks:
        return False
    room = m.bottom - m.flow_top
    one, _ = predicted(m, Rung(False, 1.0, 1.0), code_floor)
    two, _ = predicted(m, Rung(True, 1.0, 1.0), code_floor)
    body_one, body_two = min(1.0, room / max(one, 1.0)), min(1.0, room / max(two, 1.0))
    return all(
        body_two * min(_scale(b, 1.0, code_floor)[0], _column_share(b))
        >= COLUMN_GAIN * body_one * _scale(b, 1.0, code_floor)[0]
        for b in blocks
    )


def predicted(m: Measure, rung: Rung, code_floor: float) -> tuple[float, float]:
    """About how tall the body (from its top) and how wide its widest non-code line would be at `rung`."""
    height = m.need_bottom - m.flow_top
    for b in m.blocks:
        own, wrap = _scale(b, 1.0, code_floor)  # its size beside the body's
        if wrap:  # it wraps at the body's size: the smaller the body, the more fits a row
            wrap = _scale(b, rung.body, code_floor)[1]
        shrunk = b.height * own * _rows(b, wrap) / max(b.lines, 1)
        if rung.columns and _columns_fit(b, code_floor, m):
            at, share = _split(b)
            shrunk = b.height * min(own, share) * max(at, b.lines - at) / b.lines
        height -= b.height - shrunk
    if m.pictures and rung.pictures < 1:
        height -= _covered(m) * (1 - rung.pictures)
    width = (m.need_right - m.left) * rung.body
    kept = sum(bottom - top for top, bottom in m.units if top in m.headings)  # headings keep their size
    return max(height - kept, 0.0) * rung.body + min(kept, height), width


def _covered(m: Measure) -> float:
    """How much of the body's height pictures take (where they sit side by side, once)."""
    spans = sorted((p.top, p.bottom) for p in m.pictures)
    total, end = 0.0, -math.inf
    for top, bottom in spans:
        if bottom > end:
            total += bottom - max(top, end)
            end = bottom
    return total


def hopeless(m: Measure, rungs: Sequence[Rung], code_floor: float) -> bool:
    """Whether a slide cannot fit even at the last rung, however well its text reflowed there (into as many fewer
    lines as it is set smaller): it continues, and no layout is spent on trying."""
    height, _ = predicted(m, rungs[-1], code_floor)
    return height * rungs[-1].body > m.bottom - m.flow_top + WIDTH_TOLERANCE_PX


def guess(m: Measure, rungs: Sequence[Rung], code_floor: float, after: int = -1, correction: float = 1.0) -> int:
    """The first rung after `after` that the estimate says fits (the last rung if none does)."""
    room_height, room_width = m.bottom - m.flow_top, m.right - m.left
    for i in range(after + 1, len(rungs)):
        height, width = predicted(m, rungs[i], code_floor)
        if height * correction <= room_height and width <= room_width + 1:
            return i
    return len(rungs) - 1


def settle(base: Measure, tried: Measure, rungs: Sequence[Rung], index: int, code_floor: float) -> int:
    """After rung `index` did not fit (measured `tried`): the next rung to try, the estimate corrected by how far
    it was off there."""
    estimate, _ = predicted(base, rungs[index], code_floor)
    actual = tried.need_bottom - tried.flow_top
    correction = max(1.0, actual / estimate) if estimate > 0 else 1.0
    if tried.need_right > tried.right + 1:
        correction = max(correction, (tried.need_right - tried.left) / (tried.right - tried.left))
    return guess(base, rungs, code_floor, after=index, correction=correction)


def breaks(m: Measure) -> list[float]:
    """Where the pages of a slide that does not fit begin, as distances down its body (the first is 0). Each page
    holds whole lines and pictures, and of the ways to cut the body so, the one chosen breaks the fewest rules
    (`_Lines.faults`: a continuation page of fewer than MIN_LAST_LINES lines, a heading at a page's foot, a code block cut
    with fewer than MIN_CODE_LINES of its written lines on a side), then takes the fewest pages, then fills them
    most alike (the least sum of the squares of their heights): one pass down the body's lines, each weighing the
    places the page that ends with it may begin (a page's worth of lines). A continuation page that begins inside
    a table with a header row has that row repeated at its top (`pages.share_body`): the room it takes counts. A
    slide with a box taller than a page is cut greedily instead, that box shown in slices (`_pages`)."""
    room = m.bottom - m.flow_top
    if not m.units:
        return [0.0]
    if any(bottom - top > room + 2 for top, bottom in m.units):
        return _pages(m, room)
    lines = _Lines.of(m)
    count = len(lines.tops)
    # best[b]: the least (faults, pages, sum of squared heights) of the lines before b, and where its last page begins
    best: list[tuple[tuple[int, int, int], int] | None] = [((0, 0, 0), -1), *([None] * count)]
    for b in range(1, count + 1):
        bottom = -math.inf
        for a in range(b - 1, -1, -1):
            bottom = max(bottom, lines.bottoms[a])
            height = bottom - (m.flow_top if a == 0 else lines.tops[a])
            if height > room + 2:
                break
            height += lines.extras[a] if a > 0 else 0.0  # (a table's header repeated above: not monotonic)
            if height > room + 2:
                continue
            before = best[a]
            if before is None:
                continue
            (faults_, pages, squares), _ = before
            cost = (faults_ + lines.faults(a, b), pages + 1, squares + round(height) ** 2)
            here = best[b]
            if here is None or cost < here[0]:
                best[b] = (cost, a)
    starts, b = [], count
    while b > 0:
        found = best[b]
        assert found is not None  # (every line fits a page on its own)
        b = found[1]
        starts.append(0.0 if b == 0 else lines.tops[b] - m.flow_top)
    return starts[::-1]


def continued_scales() -> list[float]:
    """The body scales a continued slide may be set at besides the theme's, largest first, down to CONTINUED_FLOOR."""
    steps = round((1 - CONTINUED_FLOOR) / BODY_STEP)
    return [round(1 - BODY_STEP * k, 2) for k in range(1, steps + 1)]


def faults(m: Measure, starts: Sequence[float]) -> int:
    """How many rules a continued slide's pages (`breaks`) break, weighed (`_Lines.faults`). A page on which no
    line begins (a slice of a box taller than a page) breaks none: no cut could help it."""
    lines = _Lines.of(m)
    firsts = [bisect.bisect_left(lines.tops, m.flow_top + s - 1) for s in starts]
    return sum(lines.faults(a, b) for a, b in zip(firsts, [*firsts[1:], len(lines.tops)], strict=True) if a < b)


@dataclass(frozen=True)
class _Lines:
    """A body's lines, for cutting it into pages: units side by side (a table's cells) are one line."""

    tops: list[float]
    bottoms: list[float]
    headings: list[bool]
    blocks: list[int]  # each line's code block, -1: none
    written: list[int]  # how many written lines of its code block are above it
    totals: dict[int, int]  # each code block's written lines
    counted: list[int]  # how many lines are above each line and the last, blank lines of code left out
    extras: list[float]  # how much lower a continuation page that begins with the line sets it (`Measure.repeats`)

    @classmethod
    def of(cls, m: Measure) -> _Lines:
        code = {top: (block, written) for top, block, written in m.code_lines}
        tops: list[float] = []
        bottoms: list[float] = []
        for top, bottom in m.units:
            if tops and top == tops[-1]:
                bottoms[-1] = max(bottoms[-1], bottom)
            else:
                tops.append(top)
                bottoms.append(bottom)
        blocks = [code.get(top, (-1, False))[0] for top in tops]
        written: list[int] = []
        totals: dict[int, int] = {}
        counted = [0]
        for top, block in zip(tops, blocks, strict=True):
            written.append(totals.get(block, 0))
            blank = block >= 0 and not code[top][1]
            if block >= 0 and not blank:
                totals[block] = totals.get(block, 0) + 1
            counted.append(counted[-1] + (not blank))
        repeats = dict(m.repeats)
        extras = [repeats.get(top, 0.0) for top in tops]
        headings = [top in m.headings or top in m.table_heads for top in tops]
        return cls(tops, bottoms, headings, blocks, written, totals, counted, extras)

    def faults(self, a: int, b: int) -> int:
        """The rules a page holding lines a to b (not included) breaks: a continuation page holds MIN_LAST_LINES
        lines, blank ones not counted (the last page too, unless the slide's rest is shorter), a page (but the
        last) does not end with a heading, and a code block it begins inside has MIN_CODE_LINES of its written lines
        on each side of the cut."""
        count = len(self.tops)
        held, rest = self.counted[b] - self.counted[a], self.counted[count] - self.counted[a]
        found = 0
        if a > 0 and held < MIN_LAST_LINES and (b == count or rest >= MIN_LAST_LINES):
            found += 1
        if b < count and self.headings[b - 1]:
            found += 2  # worse than a short page: the reader turns the page to find what the heading heads
        block = self.blocks[a]
        if a > 0 and block >= 0 and self.blocks[a - 1] == block:
            above = self.written[a]
            found += 2 * (above < MIN_CODE_LINES or self.totals[block] - above < MIN_CODE_LINES)  # a lone brace
        return found


def _pages(m: Measure, room: float) -> list[float]:
    """Where the pages of a slide with a box taller than a page begin (`breaks`), each filled to the room: one pass
    down the body's units (sorted by their tops)."""
    units = m.units
    reach = list(itertools.accumulate((bottom for _, bottom in units), max, initial=m.flow_top))  # of units[:j]
    code = {top: (block, written) for top, block, written in m.code_lines}
    last = reach[-1]
    starts = [m.flow_top]
    i = 0

    def page(start: float, end: float) -> tuple[int, float]:
        """The first unit of the next page and where it begins, for a page from `start` filled to `end`."""
        cut, j = end, i
        while j < len(units):
            top, bottom = units[j]
            # The first unit that does not end on this page, unless it is taller than a page and begins near its
            # top (it is shown in slices, as it comes).
            if bottom > end + 2 and (bottom - top <= room + 2 or top > start + TALL_SLICE_SHARE * room):
                cut = top
                break
            j += 1
        if reach[j] > end + 2:  # a box taller than a page goes on: no part of it is skipped
            return j, min(cut, end)
        if j < len(units):
            head = bisect.bisect_left(units, (start - 1,))  # the page's first unit
            j = _kept(units, code, head, max(i, head + 1), j)
            cut = units[j][0]
        while j > i and units[j - 1][0] in m.headings and start + 1 < units[j - 1][0] < cut:
            j -= 1  # a heading goes with what follows it
            cut = units[j][0]
        if 0 < j < len(units) and units[j - 1][0] in m.headings:
            # Only headings on the page: what follows them too.
            k = next((k for k in range(j, len(units)) if units[k][0] not in m.headings), len(units))
            k = next((x for x in range(k + 1, len(units)) if units[x][0] > units[k][0]), len(units))
            if k < len(units) and reach[k] <= start + room + 2:
                j, cut = k, units[k][0]
        return j, cut

    while last > starts[-1] + room + 2:
        start = starts[-1]
        while i < len(units) and units[i][0] <= start + 1:
            i += 1
        _, cut = page(start, start + room)
        starts.append(cut)
    return [s - m.flow_top for s in starts]


def _kept(
    units: Sequence[tuple[float, float]], code: dict[float, tuple[int, bool]], head: int, least: int, j: int
) -> int:
    """Where a page whose first unit is `head` and that would end before unit `j` ends instead (before unit
    `least` at the earliest, the first below its top: each page holds something): the last page holds at least
    MIN_LAST_LINES lines, or all of them when the rest is shorter; and a code block keeps MIN_CODE_LINES of its
    written lines on each side of the cut, or goes whole to the next page."""
    while j > least and _lines(units, j) < MIN_LAST_LINES:
        j -= 1

    def block(k: int) -> int:
        return code.get(units[k][0], (-1, False))[0]

    if j > 0 and block(j) >= 0 and block(j - 1) == block(j):
        first, end = j, j
        while first > head and block(first - 1) == block(j):
            first -= 1
        while end < len(units) and block(end) == block(j):
            end += 1
        written = [k for k in range(first, end) if code[units[k][0]][1]]
        if len([k for k in written if k >= j]) < MIN_CODE_LINES <= len(written):
            j = min(j, written[-MIN_CODE_LINES])
        if len([k for k in written if k < j]) < MIN_CODE_LINES:  # too few before the cut: all on the next page
            j = first
    while j > least and units[j - 1][0] == units[j][0]:
        j -= 1  # a cut is at a top: what begins there goes to the next page
    return max(least, j)


def _lines(units: Sequence[tuple[float, float]], j: int) -> int:
    """How many lines (tops: a table's cells side by side are one) begin at or after unit `j`, counted up to
    MIN_LAST_LINES."""
    tops: set[float] = set()
    for top, _ in units[j:]:
        tops.add(top)
        if len(tops) >= MIN_LAST_LINES:
            break
    return len(tops)
