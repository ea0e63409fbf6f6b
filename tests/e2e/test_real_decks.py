"""Every real deck in ../shared/decks/real renders with every print theme: every slide's words on its page (or its
continuation pages, labelled `6 (cont.)`), no word outside its page, no missing glyph, and CJK text in an embedded
CJK font. With `--overflow cut`, one page per slide."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from deck2pdf.archive import language
from deck2pdf.markup import element_end, elements, slide_parts
from deck2pdf.model import Slide
from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import convert
from deck2pdf.themes import list_themes

from ..conftest import REAL_DECKS
from ..helpers import (
    Line,
    fonts,
    git_work_tree,
    page_labels,
    page_lines,
    page_texts,
    page_words,
    squashed,
    visible_text,
)


def _as_published(deck: Path, folder: Path) -> Path:
    """Copy a deck into `folder` with its `style:` sheet where the deck expects it (MANIFEST.md's mapping),
    `folder` standing for the git repository the deck came from (a sheet may sit above the deck, as
    sugarshin's `../slide.css` does: inside the work tree, so deck2pdf reads it)."""
    git_work_tree(folder)
    target = folder / "deck" / deck.name
    target.parent.mkdir(parents=True)
    shutil.copy(deck, target)
    style = parse_deck(deck).meta.get("style")
    sheet = deck.with_suffix(".css")
    if isinstance(style, str) and sheet.is_file():
        where = (target.parent / style).resolve()
        where.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sheet, where)
    return target


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


# The one pair in the fast run (`make check`): a short deck, with CJK text. `make test` renders every deck once,
# the themes taken in turn (each theme renders a quarter of the decks); `make fuzz` every deck in every theme.
FAST = ("kasperdeng-go-overview", "default")
_THEMES = list_themes()


def _marks(index: int, deck: Path, theme: str) -> tuple[pytest.MarkDecorator, ...]:
    if (deck.stem, theme) == FAST:
        return ()
    sampled = theme == _THEMES[index % len(_THEMES)]
    return (pytest.mark.slow,) if sampled else (pytest.mark.slow, pytest.mark.exhaustive)


CASES = [
    pytest.param(deck, theme, id=f"{deck.stem}-{theme}", marks=_marks(index, deck, theme))
    for index, deck in enumerate(REAL_DECKS)
    for theme in _THEMES
]


MIN_LAST_LINES = 4  # a continuation page holds at least this many lines, unless the slide's rest is shorter
# (deck, theme) pairs whose continued slides cannot meet those rules, and how many problems remain at most.
# pawelwieladek sets its text at 170%; in dark a body h3 keeps 1.6em of room below it, so on slide 24 a section's
# h3, the h3 under it, its code and a line of text are taller than a page even at 85% of every size ("Mount":
# 627 px at the theme's size, 533 at 85%, in 493): such a section leaves a page of three lines or a heading at a
# page's foot (its "Mount", "Update" and "Unmount").
UNMET = {("pawelwieladek-react-workshop", "dark"): 4}
# Slides that continue in every theme (long code), --overflow cut's test deck.
CONTINUED = {"sugarshin-study-mtg-react-flux-redux": {"15", "19", "38"}}


def continuation_problems(slides: list[Slide], labels: list[str], lines: list[list[Line]]) -> list[str]:
    """What is wrong with the pages of the slides that continue: a continuation page with fewer than
    MIN_LAST_LINES lines of text (unless the slide's rest is shorter), a page whose last line is a heading of the
    body's (with more pages of its slide to come)."""
    problems = []
    where: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        where.setdefault(label.split(" ")[0], []).append(i)
    for s in slides:
        pages = where.get(str(s.number), [])
        if len(pages) < 2:
            continue
        heading, body = slide_parts(s.html)
        title = squashed(visible_text(heading)) + "(cont.)"
        spans = [(t.start, element_end(body, t)) for t in elements(body, ("h1", "h2", "h3", "h4", "h5", "h6"))]
        heads = [squashed(visible_text(body[start:end])) for start, end in spans]
        bodies = []
        for i in pages:
            found = list(lines[i])
            while found and squashed(found[0].text) and squashed(found[0].text) in title:
                found.pop(0)  # the slide's heading
            if found and squashed(found[-1].text).startswith(f"{s.number}"):
                found.pop()  # its number, at the foot
            bodies.append(found)
        for k, found in enumerate(bodies):
            if k > 0 and len(found) < MIN_LAST_LINES <= sum(len(b) for b in bodies[k:]):
                problems.append(f"slide {s.number}, page {k + 1}: {len(found)} lines {[x.text for x in found]}")
            last = squashed(found[-1].text) if found else ""
            if k < len(bodies) - 1 and last and any(h.endswith(last) for h in heads) and _heading(found, found[-1]):
                problems.append(f"slide {s.number}, page {k + 1} ends with a heading: {found[-1].text}")
    return problems


def _heading(lines: list[Line], last: Line) -> bool:
    """Whether a line that reads as a heading's end is printed as one: bold, or larger than the page's most common
    size."""
    sizes = [round(line.size) for line in lines]
    return any(w in last.font for w in ("Bold", "Black", "Heavy")) or round(last.size) > max(sizes, key=sizes.count)


@pytest.mark.needs_shared
@pytest.mark.parametrize(("deck", "theme"), CASES)
def test_real_deck_renders_every_word_of_every_slide(deck: Path, theme: str, tmp_path: Path) -> None:
    source = _as_published(deck, tmp_path)
    pdf = tmp_path / "out.pdf"
    result = convert(source, {"output": pdf, "theme": theme, "offline": True})
    parsed = parse_deck(source)
    pages = page_words(pdf)
    labels = page_labels(pdf)
    assert result.pages == len(pages) == len(labels)
    assert [label for label in labels if "(cont." not in label] == [str(s.number) for s in parsed.slides]
    text: dict[str, str] = {}
    for label, page in zip(labels, page_texts(pdf), strict=True):
        text[label.split(" ")[0]] = text.get(label.split(" ")[0], "") + squashed(page)
    lost = {
        s.number: missing
        for s in parsed.slides
        if (missing := [w for w in visible_text(s.html).split() if squashed(w) not in text[str(s.number)]])
    }
    assert not lost
    continued = {label.split(" ")[0] for label in labels if "(cont." in label}
    assert continued >= CONTINUED.get(deck.stem, set())
    of_continued = [i for i, label in enumerate(labels) if label.split(" ")[0] in continued]
    problems = continuation_problems(parsed.slides, labels, page_lines(pdf, of_continued))
    if (deck.stem, theme) in UNMET:
        assert 0 < len(problems) <= UNMET[deck.stem, theme], problems  # (none: the rules are met, take it out)
        assert all(p.startswith("slide 24, ") for p in problems), problems
    else:
        assert not problems, problems
    outside = [
        (n, w.text)
        for n, (width, height, words) in enumerate(pages, start=1)
        for w in words
        if w.x0 < -0.5 or w.y0 < -0.5 or w.x1 > width + 0.5 or w.y1 > height + 0.5
    ]
    assert not outside
    assert not [w for w in result.warnings if "style:` sheet" in w]  # the deck's own stylesheet was found
    assert not [w for w in result.warnings if "no font has a glyph" in w]
    # Messages a user can act on: once each, never Python's words, CSS ones naming the file and line.
    assert len(set(result.warnings)) == len(result.warnings)
    assert not [w for w in result.warnings if re.search(r"Error\b|Exception\b|\[Errno|Traceback|WeasyPrint: ", w)]
    assert not [w for w in result.warnings if "CSS" in w and not re.search(r"\.css:\d+: |\.md:\d+ \(slide \d+\): ", w)]
    assert not any("\ufffd" in w.text for _, _, words in pages for w in words)
    if any(_CJK.search(s.html) for s in parsed.slides):
        assert any("CJK" in f.name and f.embedded for f in fonts(pdf))
    if language(parsed) == "ja":  # sugarshin's: Japanese, set in the Japanese face (retro's headings bold italic)
        cjk = {f.name.split("+")[-1] for f in fonts(pdf) if "CJK" in f.name}
        assert cjk and all(re.fullmatch(r"Noto-Sans-(Mono-)?CJK-JP(-Bold)?(-Oblique)?", name) for name in cjk), cjk


@pytest.mark.needs_shared
@pytest.mark.slow
def test_overflow_cut_keeps_one_page_a_slide(tmp_path: Path) -> None:
    """A deck with slides that continue (sugarshin's 15, 19 and 38: long code; its case above shows them
    continued) gets one page a slide with `--overflow cut`, each of those cut with a warning."""
    source = _as_published(next(d for d in REAL_DECKS if d.stem == "sugarshin-study-mtg-react-flux-redux"), tmp_path)
    cut = convert(source, {"output": tmp_path / "b.pdf", "offline": True, "overflow": "cut"})
    slides = len(parse_deck(source).slides)
    assert cut.pages == slides == len(page_texts(tmp_path / "b.pdf"))
    assert not [label for label in page_labels(tmp_path / "b.pdf") if "(cont." in label]
    for n in (15, 19, 38):
        assert [w for w in cut.warnings if f"(slide {n})" in w and "cut at the slide's edge" in w], n
