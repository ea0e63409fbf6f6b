"""Turn defaults, a deck's front matter, a settings file, `DECK2PDF_*` environment variables and flags (the later
wins) into one validated, frozen Options: each value is converted and checked by its option's spec, whatever its
source, and a bad one is an error naming that source."""

from __future__ import annotations

import datetime
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
UNTRUSTED_LIMITS = {
    "max_deck_bytes": 2 * 1024 * 1024,
    "max_slides": 500,
    "max_slide_chars": 50_000,
    "max_image_pixels": 20_000_000,
    "max_image_bytes": 10 * 1024 * 1024,
    "image_timeout": 10.0,
    "timeout": 120.0,
    "max_memory": 1024,
}
PAPERS = ("a4", "letter", "legal", "a3")
# Cleaver keys that only steer the browser page or where Cleaver writes it: nothing to print.
IGNORED_KEYS = frozenset({"controls", "output", "encoding", "watch", "template", "layout", "debug"})
ENV_PREFIX = "DECK2PDF_"

_UNIT_PX = {"px": 1.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "pt": 96 / 72, "pc": 16.0}
_NAMED_SIZES = {"16:9": (1280.0, 720.0), "4:3": (1024.0, 768.0), "16:10": (1280.0, 800.0)}
_LENGTH = r"(\d+(?:\.\d+)?)\s*(px|in|cm|mm|pt|pc)?"
_SIZE_RE = re.compile(rf"^\s*{_LENGTH}\s*[x×]\s*{_LENGTH}\s*$", re.IGNORECASE)
_SIZE_HINT = "use 16:9, 4:3, 16:10 or WIDTHxHEIGHT with a unit, e.g. 1280x720px, 10inx7.5in, 254x143mm"


# A slide page is 24 ems tall; print-themes/base.css pads a slide's content by these many ems (top/bottom,
# left/right). Layout sets the font size from them, and the image stage sizes images by them.
PAGE_EMS = 24
CONTENT_PADDING_EM = (1.2, 2.2)
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
            self.height - 2 * CONTENT_PADDING_EM[0] * self.font,
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


@dataclass(frozen=True)
class Options:
    """Everything that steers one conversion. Each field's comment is its documentation; `SPECS` (below) says
    how each is read and checked, and from which sources."""

    output: Path | None = None  # where the PDF goes; None: beside the deck, with .pdf
    size: PageSize = field(default_factory=lambda: PageSize(1280.0, 720.0))  # slide page size (default 16:9)
    theme: str = "default"  # print theme: a name from print-themes/ or a theme folder
    # where `theme` came from: "default", "front matter" (Cleaver's names are mapped), or "--theme" (named on
    # purpose: by a flag, the environment or the settings; it must exist)
    theme_source: str = "default"
    # where --theme deck reads a front matter `theme: user/repo` from: Cleaver's GitHub, or a mirror
    theme_base_url: str = "https://raw.githubusercontent.com/"
    style: Path | None = None  # the deck's own `style:` stylesheet, applied over the theme as Cleaver does
    css: tuple[Path, ...] = ()  # extra stylesheets from --css, applied last
    progress: bool = True  # slide number and progress bar on each page
    fit: bool = True  # fit a slide that does not fit its page: its code, then its pictures, then its body's text
    min_scale: float = 0.5  # the smallest a slide's body text is shrunk to
    overflow: str = "continue"  # what does not fit at min_scale: "continue" on the next page, or "cut" (one page)
    strict: bool = False  # warnings are errors
    cache_dir: Path | None = None  # where fetched and normalized images are kept; None: the user cache folder
    offline: bool = False  # use only the cache and local files: no network at all
    render_cache: bool = True  # keep rendered chunks of slides in the cache, so a re-render redoes only what changed
    cache_max_size: int = 1024  # megabytes the cache folder keeps (half images, half rendered chunks), oldest out
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
    landscape: bool | None = None  # handout sheets in landscape; None: the orientation the layout is largest in
    backgrounds: bool = False  # handouts print the slides' backgrounds (off: dark slides print light, saving ink)
    qr: bool = False  # handouts print a QR code beside each link note
    frame: bool = True  # a hairline frame around each slide on a handout
    collapse_builds: bool | None = None  # drop build-up slides; None: on for handouts, off for slides
    link_notes: bool | None = None  # list each slide's links beside it; None: on for handouts, off for slides
    pdfa: bool = False  # write PDF/A-3b, for archiving
    pdfua: bool = False  # write tagged PDF/UA-1, for screen readers (with --pdfa: PDF/A-3a)
    embed_source: bool | None = None  # attach the deck, its style sheet and an image manifest; None: with --pdfa
    stdin_name: str = "deck.md"  # the attached deck's file name when it was read from standard input (or is text)
    created: datetime.datetime | None = None  # the PDF's date (SOURCE_DATE_EPOCH); None: the deck file's time
    max_deck_bytes: int = 20 * 1024 * 1024  # larger deck files are refused
    max_slides: int = 2000  # decks with more slides are refused
    max_slide_chars: int = 200_000  # a slide longer than this is refused (Markdown slows with its square)
    timeout: float = 600.0  # seconds after which the conversion is ended, nothing written
    max_memory: int = 2048  # megabytes the conversion's processes may use together; past that it is ended
    untrusted: bool = False  # a deck from someone else: its folder only, no network, no active content, tight limits
    allow_network: bool = False  # with --untrusted: download web images all the same
    # The cover of a batch's --bundle and the heading of its --index (not used by one deck's conversion):
    cover_title: str = "Proceedings"  # e.g. "DevConf 2027"
    cover_subtitle: str | None = None  # e.g. "Talks of the main track"
    cover_date: str | None = None  # as printed, e.g. "12-14 May 2027"
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
            # Tighter defaults for a deck from someone else; values given explicitly still win.
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
# The spec table: one entry per option, its kind taken from the field's type.

Source = Literal["front matter", "settings", "environment", "flags"]
_EVERYWHERE: frozenset[Source] = frozenset({"settings", "environment", "flags"})
_FLAGS: frozenset[Source] = frozenset({"flags"})


@dataclass(frozen=True)
class OptionSpec:
    """How one option is read: its kind (from the Options field's type), its bounds or choices, which sources may
    set it, and its flag (named in errors)."""

    name: str = ""
    kind: str = ""  # "yes/no", "whole number", "number", "text", "path", "paths", "page size", "date"
    sources: frozenset[Source] = _EVERYWHERE
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    flag: str = ""
    finish: Callable[[Any], Any] | None = None  # a last check or change once the value has its type

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
_KINDS: dict[Any, str] = {
    bool: "yes/no",
    int: "whole number",
    float: "number",
    str: "text",
    Path: "path",
    PageSize: "page size",
    datetime.datetime: "date",
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


# The options not set from every source (settings, environment, flags), and every option's bounds, choices and
# finishing check; what is not here comes from the field. `theme_source` and `given` are derived, not options.
_RULES: dict[str, OptionSpec] = {
    "output": OptionSpec(sources=_FLAGS),  # one file per deck: a setting would send every deck to one PDF
    "theme": OptionSpec(sources=_EVERYWHERE | {"front matter"}, finish=_known_theme),
    "style": OptionSpec(sources=frozenset({"front matter"})),
    "theme_base_url": OptionSpec(finish=_web_folder),
    "css": OptionSpec(finish=_existing_files),
    "progress": OptionSpec(sources=_EVERYWHERE | {"front matter"}),
    "min_scale": OptionSpec(low=0.2, high=1.0),
    "overflow": OptionSpec(choices=OVERFLOWS),
    "cache_dir": OptionSpec(finish=_absolute),
    "cache_max_size": OptionSpec(low=1, high=2**30),
    "jobs": OptionSpec(low=1, high=4096),
    "image_dpi": OptionSpec(low=36, high=1200),
    "allow_dirs": OptionSpec(finish=_absolute, flag="--allow-dir"),
    "image_timeout": OptionSpec(low=0.1, high=3600),
    "max_image_pixels": OptionSpec(low=1_000, high=10**9),
    "max_image_bytes": OptionSpec(low=1_000, high=2**34),
    "handout": OptionSpec(choices=HANDOUT_SIZES),
    "paper": OptionSpec(choices=PAPERS),
    "created": OptionSpec(sources=_FLAGS, flag="SOURCE_DATE_EPOCH"),
    "max_deck_bytes": OptionSpec(low=1_000, high=2**32),
    "max_slides": OptionSpec(low=1, high=10**6),
    "max_slide_chars": OptionSpec(low=100, high=10**8),
    "timeout": OptionSpec(low=0.001, high=10**6),
    "max_memory": OptionSpec(low=64, high=2**30),
    "stdin_name": OptionSpec(sources=_FLAGS, finish=_file_name),
}
_DERIVED = frozenset({"theme_source", "given"})


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
            rule = _RULES.get(f.name, OptionSpec())
            flag = rule.flag or "--" + f.name.replace("_", "-")
            specs[f.name] = replace(rule, name=f.name, kind=_kind(hints[f.name]), flag=flag)
    return specs


SPECS: Mapping[str, OptionSpec] = _specs()
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
