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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import procs
from .._version import __version__
from ..errors import LayoutFailedError
from ..files import write_atomic
from ..layout import Typesetter
from ..markup import css_urls
from ..model import FULL, Attached, FetchScope, Fit, slide_id
from . import patches
from .engine import import_weasyprint, keep_tidy, start_deck
from .fitting import Rung, breaks, continued_scales, faults, fit_for, guess, hopeless, ladder, settle
from .join import ELSEWHERE
from .pages import Rendered, RenderedSlide, cut, parse_sheets, render_slides, share_body, write_pdf

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
    code_floor: float  # px: code is set no smaller, it wraps instead
    overflow: str  # what becomes of a slide that does not fit at min_scale: "continue" on more pages, or "cut"
    builds: tuple[tuple[int, ...], ...]  # runs of slides that build on each other: one body size each
    variant: str | None
    attachments: tuple[Attached, ...]
    epoch: int
    font_store: Path
    chunked: bool  # False: the whole deck is one chunk (tagged PDF or attachments cannot be joined)

    def plan(self) -> list[tuple[int, ...]]:
        """The chunks: about CHUNKS of them, CHUNK_SLIDES long at most, MIN_CHUNK_SLIDES at least where the deck
        allows, all of about the same length (none left short at the end: the cores finish together), none ending
        inside a build (a chunk grows to the build's end). Their lengths depend on the slides and their builds only
        (never on the cache or the processes), so the PDF does too."""
        if not self.chunked:
            return [self.numbers]
        total = len(self.numbers)
        size = max(MIN_CHUNK_SLIDES, min(CHUNK_SLIDES, math.ceil(total / CHUNKS)))
        count = math.ceil(total / size)
        lengths = [total // count + (i < total % count) for i in range(count)]  # the longer ones first
        bounds = [0, *itertools.accumulate(lengths)]
        # A build is fitted as one (its slides share a size): a chunk ends where a build does.
        where = {n: i for i, n in enumerate(self.numbers)}
        ends = {where[n]: where[build[-1]] + 1 for build in self.builds for n in build[1:] if n in where}
        bounds = sorted({min(ends.get(b, b), total) for b in bounds})
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
    parts: Mapping[int, int] = field(default_factory=dict)  # slides printed on more than one page → their pages
    failed: Mapping[int, str] = field(default_factory=dict)  # slides WeasyPrint failed on → what it raised

    def labels(self) -> list[tuple[int, int]]:
        """(slide number, part) of each of its pages: part 0 is the slide's page, 1... its continuation pages."""
        return [(n, k) for n in self.numbers for k in range(self.parts.get(n, 1))]


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
            parse_sheets(head.html, head.base_url, scope=job.scope)
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
                if cache is not None and not chunk.failed:  # a failure may pass (memory): not kept
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
        yield (lambda numbers, first: procs.done(render_chunk, job, numbers, first)), procs.done
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
    """Lay out and render one chunk, fit its slides that do not fit (`fitting`), and write its PDF."""
    elsewhere = ELSEWHERE if job.chunked else None
    failed: dict[int, str] = {}
    with patches.font_standins(job.font_store), _gc_paused(len(numbers) <= CHUNK_SLIDES):
        rendered = render_apart(job, [(n, FULL) for n in numbers], elsewhere, failed)
        fitter = _Fitter(job, elsewhere, {s.number: s for s in rendered.slides}, failed)
        over = [s.number for s in rendered.slides if not s.fits]
        if job.fit and over:
            fitter.fit(over)
            fitter.share_builds(numbers)
        pages = fitter.pages(numbers)
        pdf, missing = write_pdf(
            rendered,
            [page for n in numbers for page in pages[n]],
            variant=job.variant,
            attachments=job.attachments if first else (),
            epoch=job.epoch,
        )
    keep_tidy()  # (in a worker process: its own fonts' folder, if it made one)
    return Chunk(
        tuple(numbers),
        pdf,
        {n: f.body for n, f in fitter.chosen.items() if f.body < 1.0},
        tuple(fitter.cut),
        (*rendered.messages, *fitter.messages),
        tuple(missing),
        {n: len(p) for n, p in pages.items() if len(p) > 1},
        failed,
    )


def render_apart(job: Job, variants: list[tuple[int, Fit]], elsewhere: str | None, failed: dict[int, str]) -> Rendered:
    """Render the slides; when WeasyPrint fails on them, render halves apart until the slides it fails on are found,
    and print a notice in place of each (`failed`: slide -> what WeasyPrint raised). One slide's CSS that trips a
    WeasyPrint bug must not cost the deck its PDF."""
    layout = job.typesetter.html(variants, elsewhere=elsewhere, failed=failed)
    try:
        return render_slides(layout.html, layout.base_url, numbers=[n for n, _ in variants], scope=job.scope)
    except LayoutFailedError as exc:
        if len(variants) == 1:
            n = variants[0][0]
            if n in failed:  # the notice itself: not the slide's doing
                raise
            failed[n] = exc.cause
            return render_apart(job, variants, elsewhere, failed)
        half = len(variants) // 2
        one = render_apart(job, variants[:half], elsewhere, failed)
        two = render_apart(job, variants[half:], elsewhere, failed)
        return Rendered(one.document, one.slides + two.slides, one.messages + two.messages)


class _Fitter:
    """Fits the slides of a chunk: each to the first rung of its ladder that fits (`fitting`), trying a few per
    render; builds share the smallest body size; what fits at no rung continues on pages of its own (or is cut)."""

    def __init__(
        self, job: Job, elsewhere: str | None, first: dict[int, RenderedSlide], failed: dict[int, str]
    ) -> None:
        self.job, self.elsewhere, self.failed = job, elsewhere, failed
        self.slides = dict(first)  # the page each slide is printed on, as last laid out
        self.first = dict(first)  # as the theme lays them out
        self.base = {n: s.measure for n, s in first.items()}  # as the theme lays them out
        self.chosen: dict[int, Fit] = {}  # slides fitted
        self.rungs: dict[int, list[Rung]] = {}
        self.at: dict[int, int] = {}  # the rung of each slide fitted, or tried last
        self.messages: list[str] = []
        self.cut: list[int] = []  # slides that do not fit (continued, or cut)

    def _render(self, variants: list[tuple[int, Fit]]) -> list[RenderedSlide]:
        trial = render_apart(self.job, variants, self.elsewhere, self.failed)
        self.messages += trial.messages
        return list(trial.slides)

    def _fit(self, n: int, index: int) -> Fit:
        base = self.base[n]
        assert base is not None
        return fit_for(base, self.rungs[n][index], self.job.code_floor)

    def fit(self, numbers: list[int]) -> None:
        """Fit each slide to the first rung of its ladder that fits, proven by layout: the rung fits and the one
        before it does not (both laid out; the first rung is the slide as laid out, known). The estimate picks the
        rungs to try, two a slide a round, all in one document: the one it suggests and the one before. A slide
        that fits at no rung continues at its reading size (`_continue`)."""
        floor = self.job.code_floor
        known: dict[int, int] = {}  # the last rung known not to fit
        fits: dict[int, tuple[int, RenderedSlide]] = {}  # the first rung known to fit, as laid out
        todo: dict[int, list[int]] = {}
        continuing: list[int] = []
        for n in numbers:
            base = self.base[n]
            if base is None:
                continue
            self.rungs[n] = ladder(base, self.job.min_scale, floor)
            # The first rung is the slide as laid out, but for wide code: known not to fit when it has none.
            known[n] = 0 if self._fit(n, 0) == FULL else -1
            # (with --min-scale 1 and nothing to shrink, there is none left)
            if known[n] + 1 < len(self.rungs[n]) and not hopeless(base, self.rungs[n], floor):
                todo[n] = _pair(self.rungs[n], max(guess(base, self.rungs[n], floor), known[n] + 1), known[n])
            else:
                continuing.append(n)
        while todo:
            tries = [(n, j) for n, js in todo.items() for j in js]
            results = self._render([(n, self._fit(n, j)) for n, j in tries])
            tried: dict[int, list[tuple[int, RenderedSlide]]] = {}
            for (n, j), slide in zip(tries, results, strict=True):
                tried.setdefault(n, []).append((j, slide))
                if slide.fits and (n not in fits or j < fits[n][0]):
                    fits[n] = (j, slide)
            todo = {}
            for n, laid in tried.items():
                known[n] = max([known[n], *(j for j, s in laid if not s.fits and (n not in fits or j < fits[n][0]))])
                base = self.base[n]
                assert base is not None
                if n in fits:
                    first = fits[n][0]
                    if first - 1 > known[n] and self.rungs[n][first].body < 1.0:  # a larger size may fit too
                        todo[n] = [first - 1]
                    else:
                        self.slides[n], self.at[n], self.chosen[n] = fits[n][1], first, self._fit(n, first)
                    continue
                j, slide = max(laid, key=lambda r: r[0])
                self.slides[n], self.at[n] = slide, j  # the most that was tried shows the most
                if j < len(self.rungs[n]) - 1 and slide.measure is not None:
                    todo[n] = _pair(self.rungs[n], settle(base, slide.measure, self.rungs[n], j, floor), known[n])
                else:
                    continuing.append(n)
        self._continue(continuing)

    def _continue(self, numbers: list[int]) -> None:
        """Lay out the slides that fit at no rung as the first rung sets them (the theme's sizes, wide code set
        smaller): shrunk, they would only continue in smaller print. Once it must continue, a slide is read at its
        size."""
        again: list[tuple[int, Fit]] = []
        for n in numbers:
            self.at[n] = 0
            if (fit := self._fit(n, 0)) == FULL:
                self.slides[n] = self.first[n]
            else:
                again.append((n, fit))
        for (n, _), slide in zip(again, self._render(again) if again else [], strict=True):
            self.slides[n] = slide
        self._smaller(numbers)

    def _smaller(self, numbers: list[int]) -> None:
        """Set a continued slide whose pages break the rules at the theme's size (`fitting.faults`: a page of a
        line or two, a heading at a page's foot) smaller, at the largest of `continued_scales` where they hold:
        each page then holds more. Its headings keep their size, unless only shrinking them as well keeps the
        rules (they are then no smaller than the rest, at least CONTINUED_FLOOR of the theme's size). Where no size
        does, the one that breaks the fewest rules (the larger on a tie). All its sizes are laid out in one
        document, and only for such slides."""
        faulty = {}
        for n in numbers:
            m = self.slides[n].measure
            if m is not None and self.base[n] is not None and (found := faults(m, breaks(m))):
                faulty[n] = found
        floor = self.job.code_floor
        variants: list[tuple[int, Fit]] = []
        for n in faulty:
            base = self.base[n]
            assert base is not None
            for body in continued_scales():
                fit = fit_for(base, Rung(False, 1.0, body), floor)
                variants += [(n, fit), (n, replace(fit, headings=()))] if fit.headings else [(n, fit)]
        best = {n: (found, -1.0, False) for n, found in faulty.items()}
        for (n, fit), slide in zip(variants, self._render(variants) if variants else [], strict=True):
            m = slide.measure
            if slide.fits or m is None:
                continue  # (it fits, smaller: it would have been fitted, not continued)
            tried = (faults(m, breaks(m)), -fit.body, not fit.headings)
            if tried < best[n]:
                best[n] = tried
                self.slides[n], self.chosen[n] = slide, fit

    def share_builds(self, numbers: tuple[int, ...]) -> None:
        """Slides that build on each other share the smallest body size any of them needs (one that does not fit
        at all continues, and is left out), so that nothing jumps when they are leafed through."""
        here = set(numbers)
        again: list[tuple[int, Fit]] = []
        for build in self.job.builds:
            members = [n for n in build if n in here and self.slides[n].fits]
            body = min((self.chosen[n].body for n in members if n in self.chosen), default=1.0)
            for n in members:
                fit = self.chosen.get(n)
                base = self.base[n]
                if (fit is not None and fit.body <= body) or (fit is None and body >= 1.0) or base is None:
                    continue
                if fit is None:  # it fitted as the theme lays it out
                    self.rungs[n], self.at[n] = [Rung(False, 1.0, 1.0)], 0
                rung = self.rungs[n][self.at[n]]
                self.rungs[n] = [*self.rungs[n], Rung(rung.columns, rung.pictures, body)]
                self.at[n] = len(self.rungs[n]) - 1
                again.append((n, self._fit(n, self.at[n])))
        if again:
            for (n, fit), slide in zip(again, self._render(again), strict=True):
                if slide.fits:
                    self.slides[n], self.chosen[n] = slide, fit

    def pages(self, numbers: tuple[int, ...]) -> dict[int, list[Any]]:
        """Each slide's pages: one, or with its continuation pages when it does not fit (cut instead with
        `--overflow cut`)."""
        over = [n for n in numbers if not self.slides[n].fits]
        self.cut = over
        if self.job.overflow == "cut":
            for n in over:
                cut(self.slides[n].page, slide_id(n))
            return {n: [self.slides[n].page] for n in numbers}
        pages = {n: [self.slides[n].page] for n in numbers}
        variants: list[tuple[int, Fit]] = []
        starts: dict[int, list[float]] = {}
        for n in over:
            measure = self.slides[n].measure
            if measure is None:
                cut(self.slides[n].page, slide_id(n))
                continue
            starts[n] = breaks(measure)
            # Its continuation pages are laid out with an empty body (heading, number, bar): the slide's own
            # page's boxes are moved onto them, so a slide is laid out once however many pages it takes.
            variants += [(n, replace(FULL, part=k)) for k in range(1, len(starts[n]))]
        more: dict[int, list[Any]] = {}
        for (n, _), slide in zip(variants, self._render(variants) if variants else [], strict=True):
            more.setdefault(n, []).append(slide.page)
        for n, at in starts.items():
            share_body(self.slides[n].page, more.get(n, []), at)
            pages[n] += more.get(n, [])
        return pages


def _pair(rungs: Sequence[Rung], index: int, known: int) -> list[int]:
    """The rungs to try: `index` and, when it shrinks the text and the one before it is not known not to fit, that
    one too. The estimate of text errs on the safe side (it reflows into fewer lines when smaller): the larger
    size often fits too, and where it does not, it proves the smaller one is needed. (A picture's height is
    estimated as it will be: its rungs are not checked so.)"""
    return [j for j in (index - 1, index) if j > known and (j == index or rungs[index].body < 1.0)]


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


@functools.cache
def _code() -> str:
    """The version and a digest of the package's own source: a chunk laid out by other code (a changed fitter, an
    unreleased checkout) is never served, whatever the version number says."""
    return source_digest(Path(__file__).resolve().parent.parent)


def source_digest(package: Path) -> str:
    """The version and the Python files of `package` (their paths and contents), hashed."""
    digest = hashlib.sha256(__version__.encode() + b"\0")
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _key(job: Job, numbers: tuple[int, ...], index: int, context: str) -> tuple[str, int]:
    """Everything a chunk's pages depend on, hashed; and the length of its HTML (about its cost)."""
    elsewhere = ELSEWHERE if job.chunked else None
    html = job.typesetter.html([(n, FULL) for n in numbers], elsewhere=elsewhere).html
    digest = hashlib.sha256()
    for part in (
        _code(),
        repr((job.fit, job.min_scale, job.code_floor, job.overflow, job.builds, job.variant, job.epoch, job.chunked)),
        job.typesetter.base_url,  # the deck's folder: what relative URLs in its slides and sheets mean
        repr((job.scope.max_pixels, job.scope.max_bytes, job.scope.styled_by)),  # what the fetcher refuses
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

    def __init__(self, folder: Path, limit: int = CACHE_LIMIT_BYTES) -> None:
        self.folder = folder
        self.limit = limit

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
                {int(k): int(v) for k, v in meta["parts"].items()},
                {int(k): str(v) for k, v in meta["failed"].items()},
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
            "parts": {str(k): v for k, v in chunk.parts.items()},
            "failed": {str(k): v for k, v in chunk.failed.items()},
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.folder / f"{key}.pdf", chunk.pdf)
            write_atomic(self.folder / f"{key}.json", json.dumps(meta).encode())
        except OSError as exc:  # a cache that cannot be written only costs time
            log.debug("render cache not written: %s", exc)

    def prune(self) -> None:
        """Delete the least recently used entries while the cache is larger than its limit."""
        limit = self.limit
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
