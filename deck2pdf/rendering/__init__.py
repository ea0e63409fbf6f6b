"""Turn a laid-out deck (a `Request`) into the PDF's bytes: the one entry point of rendering (`render_deck`).

Inside: WeasyPrint set up for the deck (`engine`), with optional patches (`patches`); the slides rendered in
chunks, in parallel and from the render cache (`chunks`, `pages`); the chunks joined with one copy of each
font (`join`, `fonts`); then, in the same process (the PDF is parsed once), a handout imposed (`handout`) and
the file finished (`archive.finish`). It runs in the process started with the command (`procs.Child`), or
here.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import procs
from ..archive import finish, saved
from ..errors import RenderError
from ..handout import impose
from ..logs import Clock
from ..model import Attached, Rect, slide_id
from .chunks import CACHE_LIMIT_BYTES, Chunk, Job, RenderCache
from .chunks import render as render_chunks

log = logging.getLogger("deck2pdf")


@dataclass(frozen=True)
class Sheets:
    """A handout's sheets (header, footer, numbers, note lines, link notes), laid out as HTML; the slides are
    placed on them afterwards (`placements[s]`: slide page index and rectangle on sheet s)."""

    html: str
    base_url: str
    placements: tuple[tuple[tuple[int, Rect], ...], ...]
    frame: bool
    roots: tuple[Path, ...]  # folders the sheets' HTML may read (themes, fonts)


@dataclass(frozen=True)
class Request:
    job: Job  # the slides
    sheets: Sheets | None  # a handout's sheets, or None: the slides are the output
    jobs: int  # processes at once
    render_cache: bool
    when: datetime.datetime  # the PDF's date
    theme: str  # for messages
    # A handout's sheets for other pages than one a slide (a slide that does not fit continues on more pages).
    replan: Callable[[list[tuple[int, int]]], Sheets] | None = None
    cache_bytes: int = CACHE_LIMIT_BYTES  # what the render cache keeps, oldest chunks out


@dataclass(frozen=True)
class Rendered:
    pdf: bytes  # finished
    pages: int
    chunks: tuple[Chunk, ...]  # without their PDFs: scales, cut slides, messages, missing glyphs
    messages: tuple[str, ...]  # the join's


def warm_up() -> None:
    """Import WeasyPrint with its patches (a quarter of a second): done by the rendering process while the
    conversion reads the deck (`pipeline._convert`)."""
    from .engine import import_weasyprint

    import_weasyprint()


def render_deck(request: Request, progress: Callable[[int, int], None] | None = None) -> Rendered:
    """Render the slides (chunks, in parallel, from the render cache where it can), join them, impose the
    handout, finish the PDF. `progress(done, total)` is called as slides are done."""
    from . import engine, fonts
    from .join import join

    log.debug("%s", engine.status_line())
    engine.keep_tidy()
    clock = Clock()
    job = request.job
    folder = job.font_store.parent  # the cache's
    with _font_store(folder) as font_store:
        job = replace(job, font_store=font_store)
        cache = RenderCache(folder / "renders", request.cache_bytes) if request.render_cache else None
        beside = None
        if request.sheets is not None:
            beside = (_render_sheets, (request.sheets, job.variant, job.attachments, job.epoch))
        for attempt in (cache, None):
            chunks, sheets = render_chunks(
                job, jobs=request.jobs, cache=attempt, progress=progress or (lambda done, total: None), beside=beside
            )
            clock.lap(f"rendered {len(job.numbers)} slides in {len(chunks)} chunk(s) with theme {request.theme}")
            try:
                anchors = (
                    [slide_id(n) if k == 0 else None for c in chunks for n, k in c.labels()] if job.chunked else []
                )
                doc, messages = join([c.pdf for c in chunks], font_store, anchors)
                break
            except fonts.MissingFontError as exc:  # the cache's fonts were deleted: render without the cache
                if attempt is None:
                    raise RenderError(f"a font was lost while rendering: {exc}", hint="run again") from None
                log.debug("font %s is gone from the cache; rendering again without the render cache", exc)
        fonts.prune(font_store)
        engine.keep_tidy()
    if job.chunked:
        _date(doc, request.when)
    if request.sheets is None:
        labels = [label for c in chunks for label in c.labels()]
        pdf, pages = finish(doc, labels=labels, attached=[a.name for a in job.attachments]), len(labels)
        clock.lap(f"joined the PDF of {len(job.numbers)} slides")
    else:
        assert sheets is not None
        clock.lap(f"joined the PDF of {len(job.numbers)} slides")
        planned = request.sheets
        labels = [label for c in chunks for label in c.labels()]
        if len(labels) != len(job.numbers) and request.replan is not None:
            planned = request.replan(labels)
            sheets = procs.done(_render_sheets, planned, job.variant, job.attachments, job.epoch)
        imposed = _imposed(_saved(doc), sheets, planned)
        pdf, pages = finish(imposed, labels=None, attached=[a.name for a in job.attachments]), len(planned.placements)
        clock.lap(f"imposed {len(job.numbers)} slides on {pages} sheets")
    return Rendered(pdf, pages, tuple(replace(c, pdf=b"") for c in chunks), tuple(messages))


def _render_sheets(sheets: Sheets, variant: str | None, attachments: tuple[Attached, ...], epoch: int) -> bytes:
    from . import engine
    from .pages import render_html

    try:
        return render_html(
            sheets.html,
            sheets.base_url,
            allowed_roots=sheets.roots,
            variant=variant,
            attachments=attachments,
            epoch=epoch,
        )
    finally:
        engine.keep_tidy()  # (in a worker process: its own fonts' folder)


def _imposed(slides_pdf: bytes, chrome: Any, sheets: Sheets) -> bytes:
    try:
        sheets_pdf = chrome.result()
    except (RenderError, MemoryError):
        raise
    except Exception as exc:  # the worker died or its error could not cross over
        raise RenderError(f"the handout sheets could not be laid out: {exc}", hint="run with --debug") from exc
    return impose(sheets_pdf, slides_pdf, [list(p) for p in sheets.placements], frame=sheets.frame)


@contextmanager
def _font_store(cache: Path) -> Iterator[Path]:
    """Where the chunk renderers keep the fonts the join subsets: in the cache, or a temporary folder when the
    cache cannot be written."""
    import os

    store = cache / "fonts"
    try:
        store.mkdir(parents=True, exist_ok=True)
        writable = os.access(store, os.W_OK)
    except OSError:
        writable = False
    if writable:
        yield store
        return
    with tempfile.TemporaryDirectory(prefix="deck2pdf-fonts-") as temp:
        yield Path(temp)


def _date(doc: Any, when: datetime.datetime) -> None:
    """Date the joined PDF as WeasyPrint dates a document from its <meta name=dcterms.created/modified> (UTC)."""
    import pikepdf

    for key in ("/CreationDate", "/ModDate"):
        doc.docinfo[key] = pikepdf.String(f"D:{when.astimezone(datetime.UTC):%Y%m%d%H%M%S}Z")


def _saved(doc: Any) -> bytes:
    with doc:
        return saved(doc)


__all__ = ["Attached", "Job", "Rendered", "Request", "Sheets", "render_deck"]
