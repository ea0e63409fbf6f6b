"""Turn defaults, a deck's front matter, a settings file, `DECK2PDF_*` environment variables and flags (the later
wins) into one validated, frozen Options: each value is converted and checked by its option's spec, whatever its
source, and a bad one is an error naming that source."""

from __future__ import annotations

import datetime
import enum
import json
import math
import os
import re
import shlex
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from .errors import Deck2PdfError, ThemeError, UsageError
from .urls import split

HANDOUT_SIZES = (1, 2, 3, 4, 6, 9)
PAPERS = ("a4", "letter", "legal", "a3")
# Cleaver keys that only steer the browser page or where Cleaver writes it: nothing to print.
IGNORED_KEYS = frozenset({"controls", "output", "encoding", "watch", "template", "layout", "debug"})
ENV_PREFIX = "DECK2PDF_"

_UNIT_PX = {"px": 1.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "pt": 96 / 72, "pc": 16.0}
_NAMED_SIZES = {"16:9": (1280.0, 720.0), "4:3": (1024.0, 768.0), "16:10": (1280.0, 800.0)}
_LENGTH = r"(\d+(?:\.\d+)?)\s*(px|in|cm|mm|pt|pc)?"
_SIZE_RE = re.compile(rf"^\s*{_LENGTH}\s*[x×]\s*{_LENGTH}\s*$", re.IGNORECASE)
_SIZE_HINT = "use 16:9, 4:3, 16:10 or WIDTHxHEIGHT with a unit, e.g. 1280x720px, 10inx7.5in, 254x143mm"


# A slide page is 24 ems tall; print-themes/base.css pads a slide's content by these many ems (top, left/right,
# bottom: the bottom one holds the footer strip, the slide number and progress bar). Layout sets the font size from
# them, and the image stage sizes images by them.
PAGE_EMS = 24
CONTENT_PADDING_EM = (1.2, 2.2, 1.6)
OVERFLOWS = ("continue", "cut")
CODE_FLOOR_EMS = 60  # code is set no smaller than the page's height / this (9 pt on a 16:9 page): it wraps instead
CLEAVER_FONT_PX = 32  # Cleaver's slide text size, which decks' pixel sizes were chosen against


class _InvalidError(Exception):
    """A value that does not fit its option; the resolver adds where it came from."""

    def __init__(
        self, problem: str, hint: str | None = None, *, item: Any = None, kind: type[Deck2PdfError] = UsageError
    ) -> None:
        super().__init__(problem)
        self.problem, self.hint, self.kind = problem, hint, kind
        self.item = item  # the one bad entry of a list, shown instead of the whole list


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
            self.height - (CONTENT_PADDING_EM[0] + CONTENT_PADDING_EM[2]) * self.font,
        )

    @classmethod
    def parse(cls, text: str) -> PageSize:
        """Read `16:9`, `4:3`, `16:10` or `WIDTHxHEIGHT` with a unit (`1280x720px`, `10inx7.5in`, `254x143mm`)."""
        try:
            return _page_size(text)
        except _InvalidError as bad:
            raise UsageError(f"--size {_quoted(text)}: {bad.problem}", hint=bad.hint) from None


def _page_size(text: str) -> PageSize:
    if text.strip() in _NAMED_SIZES:
        return PageSize(*_NAMED_SIZES[text.strip()])
    m = _SIZE_RE.match(text)
    if not m or not (m.group(2) or m.group(4)):
        raise _InvalidError("not a page size", _SIZE_HINT)
    w_unit = (m.group(2) or m.group(4)).lower()
    h_unit = (m.group(4) or m.group(2)).lower()
    width, height = float(m.group(1)) * _UNIT_PX[w_unit], float(m.group(3)) * _UNIT_PX[h_unit]
    if not (96 <= width <= 96 * 200 and 96 <= height <= 96 * 200):
        raise _InvalidError("each side must be between 1 in and 200 in")
    return PageSize(round(width, 3), round(height, 3))


@dataclass(frozen=True)
class Settings:
    """A settings file's table (TOML; keys are the options' names), and the file, which its errors name and its
    relative paths start from."""

    values: Mapping[str, Any]
    file: Path


# ---------------------------------------------------------------------------------------------------------------
# How an option is read and shown. Options (below) declares each one with `option(...)`.

Source = Literal["front matter", "settings", "environment", "flags"]
_EVERYWHERE: frozenset[Source] = frozenset({"settings", "environment", "flags"})
_FLAGS: frozenset[Source] = frozenset({"flags"})


@dataclass(frozen=True)
class OptionSpec:
    """One option: how it is read (its kind, from the Options field's type; bounds or choices; a finishing check),
    from which sources, and how it is shown (help sentence, --help panel, metavar, default in words). The flags,
    the settings and environment readers and README's options table are all made from it."""

    name: str = ""
    kind: str = ""  # "yes/no", "whole number", "number", "text", "path", "paths", "page size", "date"
    help: str = ""  # one sentence, said by --help and README alike
    panel: str | None = None  # the --help group; None: no flag of its own (front matter only, or the date)
    flags: tuple[str, ...] = ()  # spellings as Typer takes them; () : --name (and --no-name for a yes/no)
    metavar: str | None = None  # the value's name in --help; None: its choices, or nothing (a yes/no)
    sources: frozenset[Source] = _EVERYWHERE
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    finish: Callable[[Any], Any] | None = None  # a last check or change once the value has its type
    default: Any = None
    untrusted: Any = None  # a tighter default with --untrusted (`UNTRUSTED_LIMITS`)
    default_text: str = ""  # the default in words, where its value does not say it
    more: str = ""  # README's words after the help sentence
    flag: str = ""  # named in errors: the first long flag

    @property
    def env(self) -> str:
        """The environment variable that sets it."""
        return ENV_PREFIX + self.name.upper()

    def read(self, value: Any, base: Path | None = None) -> Any:
        """Return `value` as this option's type, checked; relative paths start from `base` if given. Raise
        _InvalidError if it does not fit."""
        value = _CONVERTERS[self.kind](value)
        if base is not None and self.kind == "path":
            value = base / value
        elif base is not None and self.kind == "paths":
            value = tuple(base / p for p in value)
        if isinstance(value, str) and self.choices:
            value = value.lower()
        if self.choices and value not in self.choices:
            raise _InvalidError(f"must be one of {', '.join(map(str, self.choices))}")
        if self.low is not None and self.high is not None and not self.low <= value <= self.high:
            raise _InvalidError(f"must be between {_number(self.low)} and {_number(self.high)}")
        return self.finish(value) if self.finish is not None else value


_YES = frozenset({"true", "yes", "on", "1"})
_NO = frozenset({"false", "no", "off", "0"})
_WHOLE = re.compile(r"^\s*[+-]?\d+\s*$")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _YES | _NO:
        return value.strip().lower() in _YES
    raise _InvalidError("expected true or false (or yes/no, on/off, 1/0)")


def _whole(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.match(value):
        return int(value)
    raise _InvalidError("expected a whole number")


def _real(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise _InvalidError("expected a number")


def _text(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _InvalidError("expected text" if not isinstance(value, str) else "must not be empty")


def _file_name(value: str) -> str:
    """A plain file name: no folder, no control character (it names an attached file)."""
    if "/" in value or "\\" in value or value in (".", "..") or any(ch < " " or ch == "\x7f" for ch in value):
        raise _InvalidError("must be a plain file name, such as talk.md")
    return value


def _path(value: Any) -> Path:
    if isinstance(value, str | os.PathLike) and os.fspath(value).strip():
        return Path(os.fspath(value).strip()).expanduser()
    raise _InvalidError("expected a path")


def _paths(value: Any) -> tuple[Path, ...]:
    items = [value] if isinstance(value, str | os.PathLike) else value
    if not isinstance(items, list | tuple):
        raise _InvalidError("expected a list of paths")
    out = []
    for item in items:
        try:
            out.append(_path(item))
        except _InvalidError as bad:
            raise _InvalidError(bad.problem, item=item) from None
    return tuple(out)


def _size(value: Any) -> PageSize:
    if isinstance(value, PageSize):
        return value
    if isinstance(value, str):
        return _page_size(value)
    raise _InvalidError("expected a page size such as 16:9", _SIZE_HINT)


def _date(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    raise _InvalidError("expected a date and time")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "yes/no": _boolean,
    "whole number": _whole,
    "number": _real,
    "text": _text,
    "path": _path,
    "paths": _paths,
    "page size": _size,
    "date": _date,
}


def _absolute(value: Path | tuple[Path, ...]) -> Path | tuple[Path, ...]:
    """Cache files become file:// URLs, and allowed folders are compared with resolved paths: both absolute."""
    return value.resolve() if isinstance(value, Path) else tuple(p.resolve() for p in value)


def _web_folder(url: str) -> str:
    if (parts := split(url)) is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise _InvalidError("not an http(s) URL", "give the address of a folder, such as https://example.org/themes/")
    return url if url.endswith("/") else url + "/"


def _existing_files(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    for path in paths:
        if not path.is_file():
            raise _InvalidError("no such file", "check the path", item=path)
    return paths


def _known_theme(name: str) -> str:
    """A theme named on purpose must exist (a front matter theme falls back to the default instead); `deck` is
    the deck's own Cleaver theme (`decktheme`)."""
    from .themes import DECK_THEME, load_theme

    if name == DECK_THEME:
        return name

    try:
        load_theme(name, "--theme")
    except ThemeError as exc:
        raise _InvalidError("no such theme", exc.hint, kind=ThemeError) from None
    return name


class Panel(enum.StrEnum):
    """The groups --help shows the flags in, in this order (README's options table too)."""

    IO = "Input and output"
    LOOK = "Look"
    FIT = "Fitting"
    IMAGES = "Images"
    HANDOUTS = "Handouts"
    ARCHIVE = "Archive"
    SAFETY = "Safety and limits"
    SPEED = "Speed"
    INFO = "Information"


def option(default: Any, help: str, panel: Panel | None = None, **spec: Any) -> Any:
    """Declare an option: an Options field with its default, the help sentence (--help and README say it), the
    --help panel, and the rest of its `OptionSpec` (flags, metavar, sources, bounds, untrusted default, ...)."""
    return field(default=default, metadata={"spec": OptionSpec(help=help, panel=panel, default=default, **spec)})


@dataclass(frozen=True)
class Options:
    """Everything that steers one conversion, one `option(...)` per option: its default, help sentence and how it
    is read and checked. The command line, the settings file, the environment and README's options table are made
    from these declarations (`SPECS`, `flags.py`)."""

    output: Path | None = option(
        None,
        "Where to write the PDF.",
        Panel.IO,
        flags=("-o", "--output"),
        metavar="FILE",
        sources=_FLAGS,  # one file per deck: a setting would send every deck to one PDF
        default_text="the deck's name with .pdf, beside it",
    )
    size: PageSize = option(
        PageSize(1280.0, 720.0),
        "Page size: 16:9, 4:3, 16:10, or WIDTHxHEIGHT with a unit (1920x1080px, 10inx7.5in, 254x143mm; units px, "
        "in, cm, mm, pt, pc).",
        Panel.LOOK,
        metavar="SIZE",
        default_text="16:9 (13.33 × 7.5 in)",
    )
    theme: str = option(
        "default",
        "Print theme: default, dark, retro, ink (see --list-themes), a folder of your own holding a style.css, or "
        "deck: the deck's own Cleaver theme adapted to pages.",
        Panel.LOOK,
        metavar="NAME|DIR|deck",
        sources=_EVERYWHERE | {"front matter"},
        finish=_known_theme,
        default_text="the front matter's theme:, else default",
        more="See Themes.",
    )
    # where `theme` came from: "default", "front matter" (Cleaver's names are mapped), or "--theme" (named on
    # purpose: by a flag, the environment or the settings; it must exist)
    theme_source: str = "default"
    theme_base_url: str = option(
        "https://raw.githubusercontent.com/",
        "Where --theme deck reads a front matter theme: user/repo from.",
        Panel.LOOK,
        metavar="URL",
        finish=_web_folder,
    )
    style: Path | None = option(
        None,
        "The deck's own style sheet, applied over the theme as Cleaver does.",
        sources=frozenset({"front matter"}),
    )
    css: tuple[Path, ...] = option(
        (),
        "An extra stylesheet, applied after the theme and the deck's style: sheet; repeatable.",
        Panel.LOOK,
        metavar="FILE",
        finish=_existing_files,
    )
    progress: bool = option(
        True,
        "Slide number and thin progress bar on each page.",
        Panel.LOOK,
        sources=_EVERYWHERE | {"front matter"},
        default_text="the front matter's progress:, else on",
    )
    fit: bool = option(
        True,
        "Fit a slide that does not fit its page: wide code set smaller, tall code in two columns, pictures smaller, "
        "then its text.",
        Panel.FIT,
        more='See "Slides that do not fit".',
    )
    min_scale: float = option(
        0.5, "The smallest size a slide's body text is shrunk to.", Panel.FIT, metavar="0.2-1", low=0.2, high=1.0
    )
    overflow: str = option(
        "continue",
        "What does not fit even then: continue on the next page, or cut at the slide's edge for exactly one page a "
        "slide.",
        Panel.FIT,
        choices=OVERFLOWS,
        more="A continued page is labelled `6 (cont.)`; a warning either way.",
    )
    strict: bool = option(False, "Treat warnings as errors: nothing is written.", Panel.IO)
    cache_dir: Path | None = option(
        None,
        "Where downloaded and normalized images are kept.",
        Panel.IMAGES,
        metavar="DIR",
        finish=_absolute,
        default_text="$XDG_CACHE_HOME/deck2pdf, else ~/.cache/deck2pdf",
    )
    offline: bool = option(False, "Use only the cache and local files: no network at all.", Panel.IMAGES)
    render_cache: bool = option(
        True,
        "Keep rendered chunks of slides in the cache folder, so that rendering again after an edit renders only the "
        "chunks that changed.",
        Panel.SPEED,
    )
    cache_max_size: int = option(
        1024,
        "Megabytes the cache folder keeps: half for images, half for rendered chunks, the least recently used out "
        "first.",
        Panel.IMAGES,
        metavar="MB",
        low=1,
        high=2**30,
        more="Never an entry used in the last 10 minutes: a run beside this one may be reading it.",
    )
    jobs: int | None = option(
        None,
        "Processes at once: decks of a batch, or chunks of one deck.",
        Panel.SPEED,
        flags=("-j", "--jobs"),
        metavar="N",
        low=1,
        high=4096,
        default_text="one per core",
    )
    refresh: bool = option(
        False,
        "Ask each server whether a cached image changed (conditional request).",
        Panel.IMAGES,
        default_text="off: cached images are used as they are",
    )
    image_dpi: int = option(
        200,
        "Downsample images to this many dots per inch at the size they are printed.",
        Panel.IMAGES,
        metavar="DPI",
        low=36,
        high=1200,
    )
    allow_dirs: tuple[Path, ...] = option(
        (),
        "Another folder local images may come from; repeatable.",
        Panel.SAFETY,
        flags=("--allow-dir",),
        metavar="DIR",
        finish=_absolute,
        default_text="the deck's folder and the git work tree holding it",
    )
    allow_private_network: bool = option(
        False, "Download from loopback, private and link-local addresses too.", Panel.SAFETY
    )
    image_timeout: float = option(
        20.0,
        "Seconds to download one image, redirects included.",
        Panel.IMAGES,
        metavar="SECONDS",
        low=0.1,
        high=3600,
        untrusted=10.0,
    )
    max_image_pixels: int = option(
        40_000_000,
        "Refuse larger images (decompression bombs).",
        Panel.SAFETY,
        metavar="PIXELS",
        low=1_000,
        high=10**9,
        untrusted=20_000_000,
    )
    max_image_bytes: int = option(
        30 * 1024 * 1024,
        "Refuse larger image files or downloads.",
        Panel.SAFETY,
        metavar="BYTES",
        low=1_000,
        high=2**34,
        untrusted=10 * 1024 * 1024,
    )
    slides: str | None = option(
        None,
        "Print only these slides, e.g. 1-5,8,12- (slides keep their numbers).",
        Panel.IO,
        metavar="RANGES",
        default_text="all",
    )
    handout: int | None = option(
        None,
        "Handout sheets with this many slides each.",
        Panel.HANDOUTS,
        choices=HANDOUT_SIZES,
        default_text="off: one slide per page",
    )
    paper: str = option("a4", "Handout paper.", Panel.HANDOUTS, choices=PAPERS)
    landscape: bool | None = option(
        None,
        "Handout sheet orientation.",
        Panel.HANDOUTS,
        flags=("--landscape/--portrait",),
        default_text="the one the layout's slides are largest in: landscape for 4 and 9",
    )
    backgrounds: bool = option(
        False,
        "Handouts print the slides' backgrounds as on screen (off: dark slides print light, saving ink).",
        Panel.HANDOUTS,
    )
    qr: bool = option(False, "Handouts print a QR code beside each link note, for phones.", Panel.HANDOUTS)
    frame: bool = option(True, "A hairline frame around each slide on a handout.", Panel.HANDOUTS)
    collapse_builds: bool | None = option(
        None,
        "Leave out build-up slides.",
        Panel.HANDOUTS,
        default_text="on for handouts, off for slides",
        more="See Handouts.",
    )
    link_notes: bool | None = option(
        None,
        "Note the address of each link whose text hides it, beside its slide.",
        Panel.HANDOUTS,
        default_text="on for handouts, off for slides",
    )
    pdfa: bool = option(False, "Write PDF/A-3b, for archiving (attaches the sources).", Panel.ARCHIVE)
    pdfua: bool = option(False, "Write tagged PDF/UA-1, for screen readers (with --pdfa: PDF/A-3a).", Panel.ARCHIVE)
    embed_source: bool | None = option(
        None,
        "Attach the deck, its style: sheet and an image manifest.",
        Panel.ARCHIVE,
        default_text="on with --pdfa, else off",
    )
    stdin_name: str = option(
        "deck.md",
        "The file name a deck read from standard input (-) is attached under (--pdfa, --embed-source).",
        Panel.ARCHIVE,
        metavar="NAME",
        sources=_FLAGS,
        finish=_file_name,
        more="The text read is attached, never a file of that name.",
    )
    created: datetime.datetime | None = option(
        None, "The PDF's date; none: the deck file's time.", sources=_FLAGS, flag="SOURCE_DATE_EPOCH"
    )
    max_deck_bytes: int = option(
        20 * 1024 * 1024,
        "Refuse larger deck files.",
        Panel.SAFETY,
        metavar="BYTES",
        low=1_000,
        high=2**32,
        untrusted=2 * 1024 * 1024,
    )
    max_slides: int = option(
        2000, "Refuse decks with more slides.", Panel.SAFETY, metavar="N", low=1, high=10**6, untrusted=500
    )
    max_slide_chars: int = option(
        200_000,
        "Refuse a longer slide.",
        Panel.SAFETY,
        metavar="CHARS",
        low=100,
        high=10**8,
        untrusted=50_000,
        more="Markdown's inline pass slows with the square of a slide's length.",
    )
    timeout: float = option(
        600.0,
        "Give up after this many seconds: the conversion's processes are ended (exit 6, nothing written).",
        Panel.SAFETY,
        metavar="SECONDS",
        low=0.001,
        high=10**6,
        untrusted=120.0,
        more="It holds from Python too.",
    )
    max_memory: int = option(
        2048,
        "Give up when the conversion's processes together need more megabytes than this (exit 6, nothing written).",
        Panel.SAFETY,
        metavar="MB",
        low=64,
        high=2**30,
        untrusted=1024,
        more="It holds from Python too.",
    )
    untrusted: bool = option(
        False,
        "A deck from someone else: local files from its own folder only, no network, no active content, tighter "
        "limits.",
        Panel.SAFETY,
        more="No scripts, frames, embedded objects, `<link>`, `<base>`, `<meta>`, `@import` or `@font-face` (read "
        "token by token, however they are spelt or escaped; style sheets and fonts only from the theme); each "
        "limit's default with `--untrusted` is given beside it.",
    )
    allow_network: bool = option(False, "With --untrusted: download web images all the same.", Panel.SAFETY)
    # The cover of a batch's --bundle and the heading of its --index (not used by one deck's conversion):
    cover_title: str = option(
        "Proceedings", "Title of the --bundle's cover and the --index page.", Panel.ARCHIVE, metavar="TEXT"
    )
    cover_subtitle: str | None = option(
        None, "Subtitle of the --bundle's cover and the --index page.", Panel.ARCHIVE, metavar="TEXT"
    )
    cover_date: str | None = option(
        None,
        "Date printed on the --bundle's cover and the --index page, as written (e.g. 12-14 May 2027).",
        Panel.ARCHIVE,
        metavar="TEXT",
    )
    # the options a source above the front matter set (settings, environment, flags): see `overrides()`
    given: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @classmethod
    def resolve(
        cls,
        meta: Mapping[str, Any],
        overrides: Mapping[str, Any],
        deck: Path,
        *,
        settings: Settings | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> tuple[Options, list[str]]:
        """Merge defaults < front matter (`meta`) < `settings` < `environ`'s DECK2PDF_* variables < `overrides`
        (the flags, or a caller's values; None means "not given"). Return the Options and the warnings.

        Every value is converted and checked by its spec in `SPECS`; a bad one raises a one-line error naming its
        source (`config.toml: image_dpi: ...`, `DECK2PDF_IMAGE_DPI: ...`, `--image-dpi 5: ...`). A bad value in
        the front matter is a warning instead: the deck is Cleaver's too. Unknown `overrides` keys are a bug of
        the caller (TypeError); other DECK2PDF_* variables (DECK2PDF_NO_PATCHES) are not options and are left be.
        """
        values, warnings = _from_front_matter(meta, deck)
        given = {
            **(_from_settings(settings) if settings is not None else {}),
            **_from_environment(environ),
            **_from_flags(overrides),
        }
        derived: dict[str, Any] = {"given": frozenset(given)}
        if "theme" in given:
            derived["theme_source"] = "--theme"
        if given.get("untrusted"):
            derived.update({k: v for k, v in UNTRUSTED_LIMITS.items() if k not in given})
            derived["offline"] = given.get("offline", False) or not given.get("allow_network", False)
            derived["allow_dirs"] = ()
        return cls(**{**values, **given, **derived}), warnings

    def overrides(self) -> dict[str, Any]:
        """The values set above the front matter, converted and checked: `resolve(meta, options.overrides(), deck)`
        gives these Options under a deck's front matter (how the command line hands them to each conversion). For
        Options made directly (`Options(fit=False)`), the fields that differ from the defaults."""
        if not self.given:
            default = type(self)()
            names = [f.name for f in fields(self) if f.name not in _DERIVED]
            return {n: getattr(self, n) for n in names if getattr(self, n) != getattr(default, n)}
        return {name: getattr(self, name) for name in sorted(self.given)}

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


# ---------------------------------------------------------------------------------------------------------------
# What is made from the declarations: each option's whole spec, the untrusted defaults, the front matter's keys.

_DERIVED = frozenset({"theme_source", "given"})  # not options: set by `resolve`
_KINDS: dict[Any, str] = {
    bool: "yes/no",
    int: "whole number",
    float: "number",
    str: "text",
    Path: "path",
    PageSize: "page size",
    datetime.datetime: "date",
}
_UNIONS = (typing.Union, types.UnionType)


def _kind(hint: Any) -> str:
    """The kind of value a field's type holds: `int | None` is a whole number, `tuple[Path, ...]` paths."""
    args = [a for a in typing.get_args(hint) if a is not type(None)] if typing.get_origin(hint) in _UNIONS else [hint]
    if typing.get_origin(args[0]) is tuple:
        return "paths"
    return _KINDS[args[0]]


def _specs() -> dict[str, OptionSpec]:
    hints = typing.get_type_hints(Options)
    specs = {}
    for f in fields(Options):
        if f.name not in _DERIVED:
            declared: OptionSpec = f.metadata["spec"]
            kind, dashed = _kind(hints[f.name]), f.name.replace("_", "-")
            plain = (f"--{dashed}/--no-{dashed}",) if kind == "yes/no" else (f"--{dashed}",)
            spellings = (declared.flags or plain) if declared.panel is not None else ()  # no panel: no flag
            flag = declared.flag or (spellings[-1] if spellings else plain[0]).split("/")[0]
            specs[f.name] = replace(declared, name=f.name, kind=kind, flags=spellings, flag=flag)
    return specs


SPECS: Mapping[str, OptionSpec] = _specs()
# Tighter defaults for a deck from someone else (--untrusted); values given explicitly still win.
UNTRUSTED_LIMITS: Mapping[str, Any] = {name: s.untrusted for name, s in SPECS.items() if s.untrusted is not None}
# Keys deck2pdf reads from front matter: the options decks may set, and the parser's and metadata's keys.
KNOWN_KEYS = frozenset(
    {"title", "author", "date", "description", "keywords", "lang"}
    | {name for name, spec in SPECS.items() if "front matter" in spec.sources}
)


# ---------------------------------------------------------------------------------------------------------------
# Reading each source.


def _from_front_matter(meta: Mapping[str, Any], deck: Path) -> tuple[dict[str, Any], list[str]]:
    """Theme, style and progress as Cleaver reads them: a theme it has no print version of falls back to the
    default, `style:` is relative to the deck, and `progress` follows JavaScript's truthiness."""
    warnings = [
        f"{deck}: front matter key `{key}` is not used by deck2pdf; remove it or check its spelling"
        for key in meta
        if key not in KNOWN_KEYS and key not in IGNORED_KEYS
    ]
    values: dict[str, Any] = {}
    for key in ("theme", "style"):
        raw = meta.get(key)
        if raw is None or raw == "":
            continue
        try:
            text = _text(raw)
        except _InvalidError as bad:
            warnings.append(f"{deck}: front matter: {key}: {bad.problem}, got {_shown(raw)}; ignored")
            continue
        if key == "theme":
            values.update(theme=text, theme_source="front matter")
        elif "://" in text:
            warnings.append(f"{deck}: front matter `style: {raw}` is a URL; remote stylesheets are not fetched")
        else:
            values["style"] = deck.parent / text
    if "progress" in meta:
        # Cleaver: absent means on; false, 0, "" and an empty value turn it off.
        values["progress"] = meta["progress"] not in (False, 0, "", None)
    return values, warnings


def _from_settings(settings: Settings) -> dict[str, Any]:
    out = {}
    for key, raw in settings.values.items():
        spec = SPECS.get(key)
        if spec is None or "settings" not in spec.sources:
            settable = sorted(name for name, s in SPECS.items() if "settings" in s.sources)
            where = f"`{key}` cannot be a setting" if spec is not None else f"unknown setting `{key}`"
            raise UsageError(where, file=settings.file, hint=f"use one of: {', '.join(settable)}")
        try:
            out[key] = spec.read(raw, base=settings.file.parent)
        except _InvalidError as bad:
            shown = _shown(bad.item if bad.item is not None else raw)
            raise bad.kind(f"{key}: {bad.problem}, got {shown}", file=settings.file, hint=bad.hint) from None
    return out


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    out = {}
    for spec in SPECS.values():
        text = environ.get(spec.env, "")
        if not text.strip():  # unset and empty are the same, as for most programs' variables
            continue
        if "environment" not in spec.sources:
            elsewhere = f"use {spec.flag}" if "flags" in spec.sources else "set it in the deck's front matter"
            raise UsageError(f"{spec.env}: {spec.name} cannot be set from the environment", hint=elsewhere)
        value: Any = [p for p in text.split(os.pathsep) if p.strip()] if spec.kind == "paths" else text
        try:
            out[spec.name] = spec.read(value)
        except _InvalidError as bad:
            shown = _shown(str(bad.item) if bad.item is not None else text)
            raise bad.kind(f"{spec.env}: {bad.problem}, got {shown}", hint=bad.hint) from None
    return out


def _from_flags(overrides: Mapping[str, Any]) -> dict[str, Any]:
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(k for k in given if k not in SPECS or "flags" not in SPECS[k].sources)
    if unknown:
        raise TypeError(f"unknown options: {unknown}")
    out = {}
    for key, raw in given.items():
        spec = SPECS[key]
        try:
            out[key] = spec.read(raw)
        except _InvalidError as bad:
            shown = _quoted(bad.item if bad.item is not None else raw)
            raise bad.kind(f"{spec.flag} {shown}: {bad.problem}", hint=bad.hint) from None
    return out


def _shown(value: Any) -> str:
    """A value as a settings file or the environment spells it: text in double quotes."""
    return json.dumps(str(value) if isinstance(value, os.PathLike) else value, ensure_ascii=False, default=str)


def _quoted(value: Any) -> str:
    """A flag's value as it would be typed in a shell."""
    text = str(value)
    return text if text and shlex.quote(text) == text else repr(text)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def read_settings(path: Path | None) -> Settings | None:
    """The settings file (TOML; keys are the options' names, e.g. `untrusted = true`): `path`, else config.toml in
    the user's settings folder if there is one (platformdirs: $XDG_CONFIG_HOME/deck2pdf on Linux, ~/Library/
    Application Support/deck2pdf on macOS, %APPDATA%\\deck2pdf on Windows). `Options.resolve` checks its values."""
    import tomllib

    import platformdirs

    if path is None:
        path = Path(platformdirs.user_config_dir("deck2pdf", appauthor=False)) / "config.toml"
        if not path.is_file():
            return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the settings ({exc.strerror})", file=path) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"the settings are not UTF-8 (byte {exc.start})", file=path, hint="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"bad settings: {exc}", file=path, hint="fix the TOML") from None
    return Settings(data, path)


def source_date_epoch(environ: Mapping[str, str] = os.environ) -> datetime.datetime | None:
    """SOURCE_DATE_EPOCH (reproducible builds): the date to write instead of the deck file's (`created`)."""
    value = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise UsageError(
            f"SOURCE_DATE_EPOCH={value!r}: not a number of seconds", hint="e.g. SOURCE_DATE_EPOCH=1700000000"
        )
    if int(value) > _LAST_SECOND:
        raise UsageError(
            f"SOURCE_DATE_EPOCH={value}: after the year 9999, which a PDF date cannot hold",
            hint="e.g. SOURCE_DATE_EPOCH=1700000000",
        )
    return datetime.datetime.fromtimestamp(int(value), datetime.UTC)


_LAST_SECOND = 253402300799  # 9999-12-31 23:59:59 UTC
