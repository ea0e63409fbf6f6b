"""The values that pass between deck2pdf's stages: Deck, Slide, Asset."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Slide:
    number: int  # 1-based, as a reader counts
    line: int  # first source line of the slide's separator, for messages
    classes: tuple[str, ...]  # from a `-- classname` separator
    html: str
    title: str | None = None  # text of the first heading, for bookmarks
    markdown: str = ""  # the slide's source text as cut from the deck
    markdown_line: int = 0  # source line of the first line of `markdown`


def short(ref: str, limit: int = 100) -> str:
    """A reference as shown to people: a long one (a data: URL) cut in the middle."""
    return ref if len(ref) <= limit else f"{ref[: limit - 25]}…{ref[-20:]}"


@dataclass(frozen=True)
class Asset:
    ref: str  # exactly as written in the deck
    path: Path | None  # usable local file (the original, or a normalized copy in the cache); None if unusable
    problem: str | None = None  # why it is unusable, worded for the user
    slide: int | None = None  # first slide that uses it (None: only a stylesheet does)
    url: str = ""  # absolute: file://, http(s):// or data:, as WeasyPrint will ask for it
    origin: str = "local"  # local, fetched, from cache, inline (data:) or missing
    sha256: str | None = None  # of the original bytes, for the archive manifest
    fetched_at: float | None = None  # when a web image was downloaded (seconds since the epoch)


@dataclass(frozen=True)
class Deck:
    source: Path
    title: str
    meta: Mapping[str, Any]  # front matter as written
    slides: tuple[Slide, ...]
    assets: Mapping[str, Asset] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # questionable input found while parsing
    # The deck's bytes when they were not read from `source` (standard input, a library call's text): what an
    # archived PDF attaches, never a file that happens to be named like `source`.
    given: bytes | None = None


@dataclass(frozen=True)
class Rect:
    """A rectangle on the sheet, in points from the top left."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Cell:
    slide: Rect  # where the slide is drawn
    caption: Rect  # under the slide: its number, then its link notes
    notes: Rect | None  # ruled lines for the reader's notes, if the layout has them

    @property
    def notes_beside(self) -> bool:
        """Whether link notes go at the top of the note lines (there is more room there than under the slide)."""
        return self.notes is not None and self.notes.h / 2 > self.caption.h


@dataclass(frozen=True)
class Sheet:
    width: float  # pt
    height: float
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class LinkNote:
    """A link of a slide whose text does not show where it goes: printed beside the slide on a handout."""

    marker: str  # "a", "b", ... (letters: a slide's own lists are numbered)
    text: str  # the link's text
    url: str


@dataclass(frozen=True)
class HandoutCell:
    number: int  # the slide's number in the deck
    title: str  # for its bookmark
    links: tuple[LinkNote, ...]  # for the link notes (none when turned off)
    part: int = 0  # 0: the slide's page; k: its k-th continuation page (a slide that does not fit its page)
    first: int = 0  # a collapsed build's first slide (this is its last); 0: not a build

    @property
    def label(self) -> str:
        """What the caption calls the page: `Slide 6`, `Slide 6 (cont.)`, or `Slides 17-22` for a build."""
        if self.part:
            return f"Slide {self.number} (cont.)"
        return f"Slides {self.first}\u2013{self.number}" if self.first else f"Slide {self.number}"


@dataclass(frozen=True)
class Caption:
    """What is printed with a slide on a handout: its label, the link notes that fit there, notes of another slide
    of the sheet that did not fit under their own (`spilled`), and how many went to the endnotes page."""

    label: str
    notes: tuple[LinkNote, ...] = ()
    spilled: tuple[tuple[str, tuple[LinkNote, ...]], ...] = ()  # (its label, notes)
    more: int = 0  # notes on the endnotes
    more_page: int = 0  # the sheet they are on


@dataclass(frozen=True)
class Attached:
    """A file attached to the PDF (archiving: the deck's sources)."""

    name: str  # file name in the PDF (a relative path for a style sheet)
    data: bytes
    description: str
    relationship: str  # PDF/A-3's AFRelationship: Source, Data, ...
    modified: datetime.datetime


@dataclass(frozen=True)
class FetchScope:
    """What the renderer may read: local files under `roots`, and the deck's images, each served from the local
    file the assets stage made for its URL (`served`). Nothing else: no network, no other file."""

    roots: tuple[Path, ...]
    served: Mapping[str, Path] = field(default_factory=dict)
    # The image limits, held at the boundary: whatever names a picture (an SVG's <image>, a CSS background the
    # assets stage did not see), WeasyPrint gets none larger.
    max_pixels: int | None = None
    max_bytes: int | None = None
    # An untrusted deck: style sheets and fonts come only from these folders (the theme's, deck2pdf's fonts), not
    # from anything the deck names, however its markup smuggles a <link> or an @font-face past the sanitiser.
    styled_by: tuple[Path, ...] | None = None
    one_name_in: tuple[Path, ...] = ()  # folders whose files must have one name (`files.FileAccess.one_name_in`)
    runaway: frozenset[str] = frozenset()  # custom properties dropped from the style sheets (`bounds.runaway`)


def slide_place(deck: Deck, slide: Slide, ref: str = "") -> str:
    """Where `ref` is written on `slide`, for messages: the deck's file, the line, the slide (the slide's first line
    when `ref` is not found in its Markdown, or not given)."""
    offset = slide.markdown.find(ref) if ref else -1
    line = slide.markdown_line + slide.markdown[:offset].count("\n") if offset >= 0 else slide.line
    return f"{deck.source}:{line} (slide {slide.number})"


def slide_id(number: int) -> str:
    """The id of slide `number`'s section, as Cleaver names it (decks' style sheets and links use it)."""
    return f"slide-{number}"


@dataclass(frozen=True)
class CodeFit:
    """How one code block of a slide is printed: its n-th <pre>."""

    index: int
    size: float  # font size, in em of the block's parent
    columns: int = 1  # a tall block of short lines is set in two
    wrap: int = 0  # 0: every source line is one printed line; else lines are broken to this many columns at most
    split: int = 0  # in two columns: the line the second begins with


@dataclass(frozen=True)
class PictureFit:
    """The size one picture of a slide (its n-th <img> or stand-in) is printed at, in em of its parent."""

    index: int
    width: float
    height: float


@dataclass(frozen=True)
class Fit:
    """How a slide is fitted to its page: what was changed from the theme's sizes, and which of its pages this is.

    The title and the slide's furniture never change; only the body does (`body` scales its text)."""

    body: float = 1.0
    code: tuple[CodeFit, ...] = ()
    pictures: tuple[PictureFit, ...] = ()
    part: int = 0  # 0: the slide's page; k: its k-th continuation page
    headings: tuple[tuple[int, float], ...] = ()  # (n-th heading of the body, its theme size in px): kept


FULL = Fit()  # the slide as the theme sets it
