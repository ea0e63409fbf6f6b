"""Merge defaults, the deck's front matter and command-line flags into one validated, frozen Options."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError

# Cleaver keys that only steer the browser page or where Cleaver writes it: nothing to print.
HANDOUT_SIZES = (1, 2, 3, 4, 6, 9)
UNTRUSTED_LIMITS = {
    "max_deck_bytes": 2 * 1024 * 1024,
    "max_slides": 500,
    "max_slide_chars": 50_000,
    "max_image_pixels": 20_000_000,
    "max_image_bytes": 10 * 1024 * 1024,
    "image_timeout": 10.0,
}
PAPERS = ("a4", "letter", "legal", "a3")
IGNORED_KEYS = frozenset({"controls", "output", "encoding", "watch", "template", "layout", "debug"})
# Keys deck2pdf reads (title and author are read by the parser; the rest are metadata).
KNOWN_KEYS = frozenset({"title", "author", "theme", "style", "progress", "date", "description", "keywords", "lang"})

_UNIT_PX = {"px": 1.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "pt": 96 / 72, "pc": 16.0}
_NAMED_SIZES = {"16:9": (1280.0, 720.0), "4:3": (1024.0, 768.0), "16:10": (1280.0, 800.0)}
_LENGTH = r"(\d+(?:\.\d+)?)\s*(px|in|cm|mm|pt|pc)?"
_SIZE_RE = re.compile(rf"^\s*{_LENGTH}\s*[x×]\s*{_LENGTH}\s*$", re.IGNORECASE)


# A slide page is 24 ems tall; print-themes/base.css pads a slide's content by these many ems (top/bottom,
# left/right). Layout sets the font size from them, and the image stage sizes images by them.
PAGE_EMS = 24
CONTENT_PADDING_EM = (1.2, 2.2)
CLEAVER_FONT_PX = 32  # Cleaver's slide text size, which decks' pixel sizes were chosen against


@dataclass(frozen=True)
class PageSize:
    """A slide page, in CSS pixels (1/96 in): WeasyPrint's unit."""

    width: float
    height: float

    @property
    def font(self) -> float:
        """A slide's font size at full scale, in CSS px."""
        return self.height / PAGE_EMS

    @property
    def content(self) -> tuple[float, float]:
        """The width and height a slide's content may fill, in CSS px."""
        return (
            self.width - 2 * CONTENT_PADDING_EM[1] * self.font,
            self.height - 2 * CONTENT_PADDING_EM[0] * self.font,
        )

    @classmethod
    def parse(cls, text: str) -> PageSize:
        """Read `16:9`, `4:3`, `16:10` or `WIDTHxHEIGHT` with a unit (`1280x720px`, `10inx7.5in`, `254x143mm`)."""
        if text.strip() in _NAMED_SIZES:
            return cls(*_NAMED_SIZES[text.strip()])
        m = _SIZE_RE.match(text)
        if not m or not (m.group(2) or m.group(4)):
            raise UsageError(
                f"--size {text!r}: not a page size",
                hint="use 16:9, 4:3, 16:10 or WIDTHxHEIGHT with a unit, e.g. 1280x720px, 10inx7.5in, 254x143mm",
            )
        w_unit = (m.group(2) or m.group(4)).lower()
        h_unit = (m.group(4) or m.group(2)).lower()
        width, height = float(m.group(1)) * _UNIT_PX[w_unit], float(m.group(3)) * _UNIT_PX[h_unit]
        if not (96 <= width <= 96 * 200 and 96 <= height <= 96 * 200):
            raise UsageError(f"--size {text!r}: each side must be between 1 in and 200 in")
        return cls(round(width, 3), round(height, 3))


@dataclass(frozen=True)
class Options:
    """Everything that steers one conversion. Each field's comment is its documentation."""

    output: Path | None = None  # where the PDF goes; None: beside the deck, with .pdf
    size: PageSize = field(default_factory=lambda: PageSize(1280.0, 720.0))  # slide page size (default 16:9)
    theme: str = "default"  # print theme: a name from print-themes/ or a theme folder
    theme_source: str = "default"  # where `theme` came from: "default", "front matter" or "--theme"
    style: Path | None = None  # the deck's own `style:` stylesheet, applied over the theme as Cleaver does
    css: tuple[Path, ...] = ()  # extra stylesheets from --css, applied last
    progress: bool = True  # slide number and progress bar on each page
    fit: bool = True  # shrink a slide that does not fit its page (text and images together)
    min_scale: float = 0.5  # the smallest a slide is shrunk to; what still does not fit is cut, with a warning
    strict: bool = False  # warnings are errors
    cache_dir: Path | None = None  # where fetched and normalized images are kept; None: ~/.cache/deck2pdf
    offline: bool = False  # use only the cache and local files: no network at all
    render_cache: bool = True  # keep rendered chunks of slides in the cache, so a re-render redoes only what changed
    jobs: int | None = None  # processes that render a deck's chunks at once; None: one per core
    refresh: bool = False  # ask the servers whether cached images changed (conditional requests)
    image_dpi: int = 200  # images are downsampled to this resolution at their printed size
    allow_dirs: tuple[Path, ...] = ()  # more folders local images may come from (besides the deck's and its git tree)
    allow_private_network: bool = False  # fetch from loopback, private and link-local addresses too
    image_timeout: float = 20.0  # seconds to download one image
    max_image_pixels: int = 40_000_000  # larger images are refused (decompression bombs)
    max_image_bytes: int = 30 * 1024 * 1024  # larger files or downloads are refused
    slides: str | None = None  # which slides, e.g. "1-5,8,12-"; None: all
    handout: int | None = None  # slides per sheet (1, 2, 3, 4, 6, 9); None: one slide per page
    paper: str = "a4"  # handout paper: a4, letter, legal, a3
    landscape: bool = False  # handout sheets in landscape
    frame: bool = True  # a hairline frame around each slide on a handout
    collapse_builds: bool | None = None  # drop build-up slides; None: on for handouts, off for slides
    link_notes: bool | None = None  # list each slide's links beside it; None: on for handouts, off for slides
    pdfa: bool = False  # write PDF/A-3b, for archiving
    pdfua: bool = False  # write tagged PDF/UA-1, for screen readers (with --pdfa: PDF/A-3a)
    embed_source: bool | None = None  # attach the deck, its style sheet and an image manifest; None: with --pdfa
    created: datetime.datetime | None = None  # the PDF's date (SOURCE_DATE_EPOCH); None: the deck file's time
    max_deck_bytes: int = 20 * 1024 * 1024  # larger deck files are refused
    max_slides: int = 2000  # decks with more slides are refused
    max_slide_chars: int = 200_000  # a slide longer than this is refused (Markdown slows with its square)
    deadline: float | None = None  # time.monotonic() by which to give up (--timeout); checked between stages
    untrusted: bool = False  # a deck from someone else: its folder only, no network, no active content, tight limits
    allow_network: bool = False  # with --untrusted: download web images all the same

    @classmethod
    def resolve(cls, meta: Mapping[str, Any], overrides: Mapping[str, Any], deck: Path) -> tuple[Options, list[str]]:
        """Merge defaults < front matter < CLI flags (a flag of None means "not given"); return warnings too."""
        warnings = [
            f"{deck}: front matter key `{key}` is not used by deck2pdf; remove it or check its spelling"
            for key in meta
            if key not in KNOWN_KEYS and key not in IGNORED_KEYS
        ]
        values: dict[str, Any] = {}
        theme = meta.get("theme")
        if isinstance(theme, str) and theme.strip():
            values.update(theme=theme.strip(), theme_source="front matter")
        style = meta.get("style")
        if isinstance(style, str) and style.strip():
            values["style"] = (deck.parent / style.strip()) if "://" not in style else None
            if "://" in style:
                warnings.append(f"{deck}: front matter `style: {style}` is a URL; remote stylesheets are not fetched")
        if "progress" in meta:
            # Cleaver: absent means on; false, 0, "" and an empty value turn it off.
            values["progress"] = meta["progress"] not in (False, 0, "", None)
        flags = {k: v for k, v in overrides.items() if v is not None}
        if "theme" in flags:
            flags["theme_source"] = "--theme"
        if "size" in flags and isinstance(flags["size"], str):
            flags["size"] = PageSize.parse(flags["size"])
        if "css" in flags:
            flags["css"] = tuple(Path(p) for p in flags["css"])
        if "output" in flags:
            flags["output"] = Path(flags["output"])
        if "cache_dir" in flags:  # absolute: its files become file:// URLs
            flags["cache_dir"] = Path(flags["cache_dir"]).expanduser().resolve()
        if "allow_dirs" in flags:
            flags["allow_dirs"] = tuple(Path(p).expanduser().resolve() for p in flags["allow_dirs"])
        if "handout" in flags and flags["handout"] not in HANDOUT_SIZES:
            raise UsageError(
                f"--handout {flags['handout']}: not a handout size", hint="use one of 1, 2, 3, 4, 6, 9 slides per sheet"
            )
        if "paper" in flags:
            flags["paper"] = str(flags["paper"]).lower()
            if flags["paper"] not in PAPERS:
                raise UsageError(
                    f"--paper {flags['paper']}: unknown paper size", hint=f"use one of {', '.join(PAPERS)}"
                )
        _check_range(flags, "image_dpi", 36, 1200, "--image-dpi")
        _check_range(flags, "max_deck_bytes", 1_000, 2**32, "--max-deck-bytes")
        _check_range(flags, "max_slides", 1, 10**6, "--max-slides")
        _check_range(flags, "max_slide_chars", 100, 10**8, "--max-slide-chars")
        _check_range(flags, "image_timeout", 0.1, 3600, "--image-timeout")
        _check_range(flags, "max_image_pixels", 1_000, 10**9, "--max-image-pixels")
        _check_range(flags, "max_image_bytes", 1_000, 2**34, "--max-image-bytes")
        if "min_scale" in flags and not 0.2 <= float(flags["min_scale"]) <= 1.0:
            raise UsageError(
                f"--min-scale {flags['min_scale']}: must be between 0.2 and 1", hint="e.g. --min-scale 0.6"
            )
        if flags.get("untrusted"):
            # Tighter defaults for a deck from someone else; flags given explicitly still win.
            for key, value in UNTRUSTED_LIMITS.items():
                flags.setdefault(key, value)
            flags["offline"] = flags.get("offline", False) or not flags.get("allow_network", False)
            flags["allow_dirs"] = ()
        unknown = set(flags) - set(cls.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown options: {sorted(unknown)}")
        return cls(**{**values, **flags}), warnings

    @property
    def embedding(self) -> bool:
        """Whether the deck's sources are attached to the PDF (on by default with --pdfa)."""
        return self.embed_source if self.embed_source is not None else self.pdfa

    @property
    def collapsing(self) -> bool:
        """Whether build-up slides are dropped (on by default for handouts only)."""
        return self.collapse_builds if self.collapse_builds is not None else self.handout is not None

    @property
    def noting_links(self) -> bool:
        """Whether each slide's links are listed beside it (on by default for handouts only)."""
        return self.link_notes if self.link_notes is not None else self.handout is not None

    def output_for(self, deck: Path) -> Path:
        """Return where the PDF of `deck` is written."""
        return self.output if self.output is not None else deck.with_suffix(".pdf")


def _check_range(flags: Mapping[str, Any], key: str, low: float, high: float, flag: str) -> None:
    if key in flags and not low <= flags[key] <= high:
        raise UsageError(f"{flag} {flags[key]}: must be between {low:g} and {high:g}")
