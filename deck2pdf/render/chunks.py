"""Render a deck's slides in chunks: in parallel processes, and only the chunks that changed since last time.

A chunk is a run of slides (4 to 12, by the deck's length) rendered as a document of its own, its slides that
do not fit laid out again smaller (auto-fit). Each finished chunk is kept in the render cache under a key made of everything
its pages depend on (its HTML, the style sheets, the files they use, the options, the versions), so rendering
a deck again after editing one slide renders one chunk. The chunks are then joined (`join`); the chunking
does not depend on the cache or on the number of processes, so the output is the same, byte for byte.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import itertools
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import procs
from .._version import __version__
from ..files import write_atomic
from ..layout import Typesetter
from ..markup import css_urls
from ..model import Attached, FetchScope
from . import patches
from .engine import import_weasyprint, start_deck
from .join import ELSEWHERE
from .pages import parse_sheets, render_slides, write_pdf

log = logging.getLogger("deck2pdf")

# A document costs a little besides its slides: chunks of 12 keep that small and an edited slide costs a
# 12-slide render (ARCHITECTURE.md, "Where the time goes"); 8 chunks or more give 2 or 4 cores even shares.
CHUNK_SLIDES = 12
MIN_CHUNK_SLIDES = 4
CHUNKS = 8
CACHE_LIMIT_BYTES = 512 * 1024 * 1024  # the render cache is pruned, oldest first, beyond this
_FILE_URL = re.compile(r"""file://[^"'\s)>]+""")


@dataclass(frozen=True)
class Job:
    """What every chunk of one deck shares (inherited by the worker processes)."""

    typesetter: Typesetter
    scope: FetchScope  # what the renderer's file fetcher may read
    numbers: tuple[int, ...]  # the slides to print, in order
    fit: bool
    min_scale: float
    variant: str | None
    attachments: tuple[Attached, ...]
    epoch: int
    font_store: Path
    chunked: bool  # False: the whole deck is one chunk (tagged PDF or attachments cannot be joined)

    def plan(self) -> list[tuple[int, ...]]:
        """The chunks: about CHUNKS of them, CHUNK_SLIDES long at most, MIN_CHUNK_SLIDES at least where the deck
        allows, all of about the same length (none left short at the end: the cores finish together). Their
        lengths depend on the number of slides only (never on the cache or the processes), so the PDF does too."""
        if not self.chunked:
            return [self.numbers]
        total = len(self.numbers)
        size = max(MIN_CHUNK_SLIDES, min(CHUNK_SLIDES, math.ceil(total / CHUNKS)))
        count = math.ceil(total / size)
        lengths = [total // count + (i < total % count) for i in range(count)]  # the longer ones first
        bounds = [0, *itertools.accumulate(lengths)]
        return [self.numbers[start:end] for start, end in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class Chunk:
    """A rendered chunk: its PDF and what the deck's messages need to know of it."""

    numbers: tuple[int, ...]
    pdf: bytes
    scales: Mapping[int, float] = field(default_factory=dict)  # slides shrunk to fit → scale
    cut: tuple[int, ...] = ()  # slides that do not fit even at the smallest scale (or with fitting off)
    messages: tuple[str, ...] = ()  # WeasyPrint's reports
    missing_glyphs: tuple[str, ...] = ()  # characters no font could draw


def render(
    job: Job,
    *,
    jobs: int,
    cache: RenderCache | None,
    progress: Callable[[int, int], None],
    beside: tuple[Callable[..., Any], tuple[Any, ...]] | None = None,
) -> tuple[list[Chunk], Future[Any] | None]:
    """Render every chunk of the job (from the cache where it can), `jobs` processes at once, and the task
    `beside` (function, arguments: a handout's sheets) by the same processes, first.
    `progress(done, total)` is called as slides are done. Return the chunks and the future of `beside`."""
    plan = job.plan()
    count = 0

    def advance(n: int) -> None:
        nonlocal count
        count += n
        progress(count, len(job.numbers))

    context = _context(job)
    keyed = [_key(job, numbers, index, context) for index, numbers in enumerate(plan)]
    keys, sizes = [k for k, _ in keyed], [n for _, n in keyed]
    done: dict[int, Chunk] = {}
    for index, key in enumerate(keys):
        hit = cache.get(key, plan[index]) if cache is not None else None
        if hit is not None:
            done[index] = hit
            advance(len(plan[index]))
    todo = [i for i in range(len(plan)) if i not in done]
    side: Future[Any] | None = None
    if todo or beside is not None:
        start_deck(context)  # before forking: the workers share its fonts and parsed style sheets
        if todo:
            head = job.typesetter.html([])  # no slides: the style sheets every chunk names
            parse_sheets(head.html, head.base_url, allowed_roots=job.scope.roots, served=job.scope.served)
        workers = max(1, min(jobs, len(todo) + (beside is not None)))
        with _workers(job, workers) as (submit, call):
            if beside is not None:
                side = call(beside[0], *beside[1])
            # The largest chunks first (by their HTML), so that no core is left with a big one at the end.
            order = sorted(todo, key=lambda i: -sizes[i])
            futures = {i: submit(plan[i], i == 0) for i in order}
            for i, future in futures.items():
                chunk = future.result()
                done[i] = chunk
                advance(len(chunk.numbers))
                if cache is not None:
                    cache.put(keys[i], chunk)
    if cache is not None and todo:
        cache.prune()
    log.debug("%d chunk(s): %d rendered, %d from the render cache", len(plan), len(todo), len(plan) - len(todo))
    return [done[i] for i in range(len(plan))], side


@contextmanager
def _workers(job: Job, workers: int) -> Iterator[tuple[Callable[[tuple[int, ...], bool], Future[Chunk]], Any]]:
    """Submit chunks (and other calls) to `workers` processes (`procs.pool`), or run them here when one is
    enough. Each worker is given the job once, when it starts (a forked one inherits it: nothing is pickled)."""
    if workers <= 1:

        def now(function: Callable[..., Any], *args: Any) -> Future[Any]:
            future: Future[Any] = Future()
            try:
                future.set_result(function(*args))
            except Exception as exc:
                future.set_exception(exc)
            return future

        yield (lambda numbers, first: now(render_chunk, job, numbers, first)), now
        return
    import_weasyprint()  # imported before forking, so each worker starts at once
    gc.freeze()  # the workers' collections leave this process's objects (shared pages) alone
    pool = procs.pool(workers, initializer=_take_job, initargs=(job,))
    try:
        yield (lambda numbers, first: pool.submit(_in_worker, numbers, first)), pool.submit
    except BaseException:  # Ctrl-C, --timeout, an error: the workers stop now, not after their chunk
        procs.stop(pool)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        gc.unfreeze()


_JOB: list[Job] = []  # in a worker process: the job it renders chunks of


def _take_job(job: Job) -> None:
    _JOB[:] = [job]


def _in_worker(numbers: tuple[int, ...], first: bool) -> Chunk:
    return render_chunk(_JOB[0], numbers, first)


def render_chunk(job: Job, numbers: tuple[int, ...], first: bool) -> Chunk:
    """Lay out and render one chunk, shrink its slides that do not fit, and write its PDF."""
    elsewhere = ELSEWHERE if job.chunked else None
    layout = job.typesetter.html([(n, 1.0) for n in numbers], elsewhere=elsewhere)
    with patches.font_standins(job.font_store), _gc_paused(len(numbers) <= CHUNK_SLIDES):
        rendered = render_slides(
            layout.html, layout.base_url, numbers=numbers, allowed_roots=job.scope.roots, served=job.scope.served
        )
        pages = {s.number: s.page for s in rendered.slides}
        cut = [s.number for s in rendered.slides if s.fit is not None]
        messages = list(rendered.messages)
        scales: dict[int, float] = {}
        if job.fit and cut:
            fitted, cut, scales, tried = _shrink_to_fit(job, rendered, elsewhere)
            pages.update(fitted)
            messages += tried
        pdf, missing = write_pdf(
            rendered,
            [pages[n] for n in numbers],
            variant=job.variant,
            attachments=job.attachments if first else (),
            epoch=job.epoch,
        )
    return Chunk(tuple(numbers), pdf, scales, tuple(cut), tuple(messages), tuple(missing))


@contextmanager
def _gc_paused(paused: bool) -> Iterator[None]:
    """No cycle collection while rendering a chunk: WeasyPrint makes objects by the million and the collector's
    passes cost much of the time. A chunk is small, so what cycles it leaves are collected once, after it."""
    if not paused or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def _shrink_to_fit(
    job: Job, first: Any, elsewhere: str | None
) -> tuple[dict[int, Any], list[int], dict[int, float], list[str]]:
    """Lay the slides that do not fit out again, smaller, trying a few sizes each per render.

    Return the new page of each, the slides still cut at the smallest scale, the scale chosen for each slide
    that now fits, and WeasyPrint's messages. Each round tries sizes between the scale the overflow suggests
    and the largest size known not to fit, in one render; usually one round is enough.
    """
    estimate = {s.number: s.fit for s in first.slides if s.fit is not None}
    too_big = dict.fromkeys(estimate, 1.0)  # the largest scale known not to fit
    pages: dict[int, Any] = {}
    chosen: dict[int, float] = {}
    messages: list[str] = []
    while estimate:
        variants = [(n, c) for n, e in estimate.items() for c in _candidates(e or 0.0, too_big[n], job.min_scale)]
        layout = job.typesetter.html(variants, elsewhere=elsewhere)
        trial = render_slides(
            layout.html,
            layout.base_url,
            numbers=[n for n, _ in variants],
            allowed_roots=job.scope.roots,
            served=job.scope.served,
        )
        messages += [m for m in trial.messages if not m.startswith("Anchor defined twice")]  # ids repeat here
        tried: dict[int, list[tuple[float, Any]]] = {}
        for (n, scale), slide in zip(variants, trial.slides, strict=True):
            tried.setdefault(n, []).append((scale, slide))
        estimate = {}
        for n, results in tried.items():
            fits = [(scale, s) for scale, s in results if s.fit is None]
            if fits:
                scale, best = max(fits, key=lambda r: r[0])
                pages[n], chosen[n] = best.page, scale
                continue
            scale, smallest = min(results, key=lambda r: r[0])
            pages[n] = smallest.page  # until something smaller fits, the smallest try shows the most
            if scale > job.min_scale + 1e-9:
                too_big[n], estimate[n] = scale, scale * (smallest.fit or 0.0)
    return pages, sorted(set(too_big) - set(chosen)), chosen, messages


def _candidates(estimate: float, too_big: float, floor: float) -> list[float]:
    """Sizes to try for a slide, in 5% steps: the one its overflow suggests (measured on real decks, it
    fits), and 10% larger, since a smaller font also lets lines hold more words. Never --min-scale or less,
    nor a size known not to fit."""
    low = round(max(floor, math.floor(estimate * 20 + 1e-9) / 20), 2)
    above = [round(s, 2) for s in (low + 0.10, low + 0.05) if s < too_big - 1e-9][:1]
    return [low, *above] if low < too_big - 1e-9 else [floor]


def _key(job: Job, numbers: tuple[int, ...], index: int, context: str) -> tuple[str, int]:
    """Everything a chunk's pages depend on, hashed; and the length of its HTML (about its cost)."""
    elsewhere = ELSEWHERE if job.chunked else None
    html = job.typesetter.html([(n, 1.0) for n in numbers], elsewhere=elsewhere).html
    digest = hashlib.sha256()
    for part in (
        __version__,
        repr((job.fit, job.min_scale, job.variant, job.epoch, job.chunked)),
        context,
        html,
        *(_stat(Path(unquote(urlsplit(url).path))) for url in sorted(set(_FILE_URL.findall(html)))),
        *(f"{url}={_stat(path)}" for url, path in sorted(job.scope.served.items()) if url in html),
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    if index == 0:
        for a in job.attachments:
            digest.update(a.name.encode() + hashlib.sha256(a.data).digest() + repr(a.modified).encode())
    return digest.hexdigest(), len(html)


def _context(job: Job) -> str:
    """The style sheets' text (imports included) and the files they use (fonts, backgrounds), hashed: what
    every chunk depends on besides its HTML."""
    from ..themes import FONTS_DIR

    parts = []
    for sheet, text in job.typesetter.sheets.items():
        parts.append(f"{sheet}:{text}")
        for ref in (url.ref for url in css_urls(text)):
            if not ref.startswith(("data:", "http:", "https:")):
                parts.append(f"{ref}={_stat(sheet.parent / unquote(ref.split('#')[0].split('?')[0]))}")
    parts += [f"{p.name}={_stat(p)}" for p in sorted(FONTS_DIR.iterdir())]
    parts += job.typesetter.inline_css
    # An image a slide names only through CSS (`url(bg.png)`, relative) is not found by its URL in the chunk's
    # HTML (`_key`): such images count for every chunk.
    slides = job.typesetter.slide_html.values()
    urls: dict[Path, list[str]] = {}
    for url, path in job.scope.served.items():
        urls.setdefault(path, []).append(url)
    parts += [
        f"{path}={_stat(path)}"
        for path, named in sorted(urls.items())
        if not any(url in html for url in named for html in slides)
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _stat(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:absent"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


@functools.cache
def _system() -> str:
    """What draws the chunks besides the deck: the versions of WeasyPrint, pikepdf and the libraries, and the fonts
    fontconfig offers (a font installed since can draw glyphs a cached chunk shows as boxes). Once a process: a
    --watch session does not see fonts installed while it runs."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("weasyprint", "pikepdf"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} ?")
    for label, names, function in (_PANGO, _HARFBUZZ):
        found = _call(_library(names), function, ctypes.c_char_p)
        parts.append(f"{label} {found.decode() if isinstance(found, bytes) else found}")
    parts.append(_fontconfig())
    return "\n".join(parts)


# The names WeasyPrint 70 loads each library by (weasyprint/text/ffi.py), and the function that gives its version.
_PANGO = "pango", ("libpango-1.0.so.0", "libpango-1.0.dylib", "libpango-1.0-0.dll"), "pango_version_string"
_HARFBUZZ = "harfbuzz", ("libharfbuzz.so.0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll"), "hb_version_string"
_FONTCONFIG = ("libfontconfig.so.1", "libfontconfig.1.dylib", "libfontconfig-1.dll")


def _library(names: tuple[str, ...]) -> ctypes.CDLL | None:
    for name in names:  # by name: ctypes.util.find_library would run ldconfig or a compiler
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _call(library: ctypes.CDLL | None, function: str, restype: Any, *args: Any) -> Any:
    """`function(*args)` of `library`, or "?" when there is no such library or function."""
    try:
        f = getattr(library, function)
    except AttributeError:
        return "?"
    f.restype = restype
    return f(*args)


class _FcFontSet(ctypes.Structure):
    _fields_ = [("nfont", ctypes.c_int), ("sfont", ctypes.c_int), ("fonts", ctypes.POINTER(ctypes.c_void_p))]


def _fontconfig() -> str:
    """Fontconfig's version, its configuration files (their sizes and times) and the fonts it offers (file, face,
    version, family, style), hashed: asked of fontconfig itself, which scans a font folder again when it changed
    since its cache was written, as it will for the renderer."""
    lib = _library(_FONTCONFIG)
    if lib is None:
        return "fontconfig ?"
    lib.FcConfigGetCurrent.restype = ctypes.c_void_p
    config = lib.FcConfigGetCurrent()  # loads the configuration and the fonts
    if not config:
        return "fontconfig ?"
    digest = hashlib.sha256()
    lib.FcConfigGetConfigFiles.argtypes = [ctypes.c_void_p]
    lib.FcConfigGetConfigFiles.restype = ctypes.c_void_p
    lib.FcStrListNext.argtypes = [ctypes.c_void_p]
    lib.FcStrListNext.restype = ctypes.c_char_p
    lib.FcStrListDone.argtypes = [ctypes.c_void_p]
    files = lib.FcConfigGetConfigFiles(config)
    if files:
        try:
            while (name := lib.FcStrListNext(files)) is not None:
                digest.update(_stat(Path(os.fsdecode(name))).encode("utf-8", "surrogateescape") + b"\n")
        finally:
            lib.FcStrListDone(files)
    lib.FcConfigGetFonts.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.FcConfigGetFonts.restype = ctypes.POINTER(_FcFontSet)
    get_string, get_integer = lib.FcPatternGetString, lib.FcPatternGetInteger
    get_string.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    get_integer.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    text, number = ctypes.c_char_p(), ctypes.c_int()
    rows = []
    fonts = lib.FcConfigGetFonts(config, 0)  # FcSetSystem: the fonts of the configuration's folders
    for i in range(fonts.contents.nfont if fonts else 0):
        pattern = fonts.contents.fonts[i]
        strings = [text.value if get_string(pattern, name, 0, ctypes.byref(text)) == 0 else None for name in _STRINGS]
        ints = [number.value if get_integer(pattern, name, 0, ctypes.byref(number)) == 0 else None for name in _INTS]
        rows.append(repr((strings, ints)))
    digest.update("\n".join(sorted(rows)).encode())
    return f"fontconfig {_call(lib, 'FcGetVersion', ctypes.c_int)} {len(rows)} fonts {digest.hexdigest()}"


_STRINGS = (b"file", b"family", b"style")  # of each font fontconfig offers, for the fingerprint
_INTS = (b"index", b"fontversion")


class RenderCache:
    """Rendered chunks by key: `<key>.pdf` and `<key>.json`, in the cache folder. Safe to share between processes
    (files are written whole, then renamed); damaged entries count as absent; pruned to CACHE_LIMIT_BYTES."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _entry(self, key: str) -> str:
        """The name of a chunk's files: its key and what else draws it (`_system`, found out only when the cache
        is used)."""
        return hashlib.sha256(f"{key}\n{_system()}".encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, key: str, numbers: Sequence[int]) -> Chunk | None:
        key = self._entry(key)
        try:
            meta = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            pdf = (self.folder / f"{key}.pdf").read_bytes()
            if hashlib.sha256(pdf).hexdigest() != meta["sha256"] or tuple(meta["numbers"]) != tuple(numbers):
                return None
            now = time.time()
            os.utime(self.folder / f"{key}.json", (now, now))  # recently used: pruned last
            return Chunk(
                tuple(meta["numbers"]),
                pdf,
                {int(k): float(v) for k, v in meta["scales"].items()},
                tuple(meta["cut"]),
                tuple(meta["messages"]),
                tuple(meta["missing_glyphs"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, chunk: Chunk) -> None:
        key = self._entry(key)
        meta = {
            "numbers": list(chunk.numbers),
            "sha256": hashlib.sha256(chunk.pdf).hexdigest(),
            "scales": {str(k): v for k, v in chunk.scales.items()},
            "cut": list(chunk.cut),
            "messages": list(chunk.messages),
            "missing_glyphs": list(chunk.missing_glyphs),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.folder / f"{key}.pdf", chunk.pdf)
            write_atomic(self.folder / f"{key}.json", json.dumps(meta).encode())
        except OSError as exc:  # a cache that cannot be written only costs time
            log.debug("render cache not written: %s", exc)

    def prune(self, limit: int = CACHE_LIMIT_BYTES) -> None:
        """Delete the least recently used entries while the cache is larger than `limit`."""
        try:
            entries = [(p.stat().st_mtime, p) for p in self.folder.glob("*.json")]
            sizes = {p: p.stat().st_size + _size(p.with_suffix(".pdf")) for _, p in entries}
        except OSError:
            return
        total = sum(sizes.values())
        for _, path in sorted(entries):
            if total <= limit:
                break
            total -= sizes[path]
            for victim in (path, path.with_suffix(".pdf")):
                victim.unlink(missing_ok=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
