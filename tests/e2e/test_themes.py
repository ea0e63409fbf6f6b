"""The print themes, checked by looking at rasterized pages of the tour: backgrounds and highlighted code."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from deck2pdf.pipeline import convert
from deck2pdf.themes import list_themes

from ..conftest import ROOT
from ..helpers import drawn, page_words, pixels, rasterize

TOUR = ROOT / "examples" / "tour.md"
CODE_PAGE = 7  # "Code": a Python fence, highlighted


@pytest.fixture(scope="module", params=list_themes())
def tour(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    pdf = tmp_path_factory.mktemp(request.param) / "tour.pdf"
    convert(TOUR, {"output": pdf, "theme": request.param})
    return request.param, pdf


def test_the_four_themes_are_installed() -> None:
    assert list_themes() == ["dark", "default", "ink", "retro"]


def test_page_background(tour: tuple[str, Path]) -> None:
    theme, pdf = tour
    page = rasterize(pdf, 3, dpi=20)
    background = Counter(pixels(page)).most_common(1)[0][0]
    expected = {"default": (247, 247, 247), "ink": (255, 255, 255), "dark": (25, 25, 25), "retro": (34, 34, 34)}
    assert background == expected[theme]


def test_highlighted_code_has_more_than_one_colour(tour: tuple[str, Path]) -> None:
    _, pdf = tour
    words = page_words(pdf)[CODE_PAGE - 1][2]
    first = next(w for w in words if w.text == "def")
    last = next(w for w in words if w.text == "page.height")
    page = rasterize(pdf, CODE_PAGE, dpi=144)  # 2 px per point
    box = page.crop((int(first.x0 * 2), int(first.y0 * 2), int(last.x1 * 2), int(last.y1 * 2)))
    counts = Counter((r // 40, g // 40, b // 40) for r, g, b in pixels(box))
    background = counts.most_common(1)[0][0]
    inks = {c for c, n in counts.items() if n >= 15 and c != background and max(c) - min(c) >= 2}
    assert len(inks) >= 2 or (len(inks) >= 1 and _has_neutral_ink(counts, background)), counts.most_common(8)


def _has_neutral_ink(counts: Counter[tuple[int, int, int]], background: tuple[int, int, int]) -> bool:
    """A grey or black token colour (plain names) besides a coloured one (keywords)."""
    return any(
        n >= 15 and c != background and max(c) - min(c) < 2 and abs(c[0] - background[0]) >= 2
        for c, n in counts.items()
    )


def test_the_dark_title_band_grows_with_the_title_and_is_absent_without_one(tmp_path: Path) -> None:
    """dark's black band holds the slide's title: it reaches below a title of two lines, and a slide whose first
    element is no slide title (a title slide's h1) has none."""
    deck = tmp_path / "deck.md"
    long = "Directory structure, file paths and files : `ls` - [L]i[s]t what is there"
    deck.write_text(f"--\n\n# Title slide\n\n## its subtitle\n\n--\n\n### {long}\n\nbody\n\n--\n\n### Short\n\nbody\n")
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf, "theme": "dark"})
    dpi = 72  # 1 px per point
    title, two_lines, short = (rasterize(pdf, n, dpi=dpi) for n in (1, 2, 3))
    assert max(title.getpixel((title.width // 2, 2))) > 15  # the page's #191919, no band
    assert max(short.getpixel((short.width // 2, 2))) < 10
    page = drawn(pdf)[1]
    heading = [c for c in page.chars if c.size == max(x.size for x in page.chars)]
    lines = {round(c.y0) for c in heading}
    assert len(lines) == 2, lines
    below = int(page.height - min(c.y0 for c in heading)) + 4  # 4 pt under the second line's lowest glyph
    assert max(two_lines.getpixel((4, below))) < 10
