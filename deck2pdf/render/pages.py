"""Turn the print HTML into PDF bytes with WeasyPrint, reading only local files it is allowed to read."""

from __future__ import annotations

import io
import logging
import mimetypes
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import RenderError
from ..files import FileAccess
from ..logs import recorded
from ..model import Attached, slide_id
from . import patches
from .engine import deck_state, import_weasyprint

_NOTDEF = re.compile(r'^\.notdef glyph rendered .*: "(.+)" \(U\+[0-9A-F]+\)$', re.S)
_TOLERANCE_PX = 4.0  # how far a glyph box may pass its line before it counts as overflow


@dataclass(frozen=True)
class RenderedSlide:
    number: int
    page: Any  # the laid-out weasyprint Page
    fit: float | None  # None if the slide fits; else about how much it must shrink to fit (0 < fit < 1)


@dataclass(frozen=True)
class Rendered:
    document: Any  # the laid-out weasyprint.Document
    slides: tuple[RenderedSlide, ...]  # one per page, in page order
    messages: tuple[str, ...]  # what WeasyPrint reported (unreadable resources, ignored CSS)

    @property
    def overflowing(self) -> tuple[int, ...]:
        """Numbers of the slides that do not fit their page."""
        return tuple(s.number for s in self.slides if s.fit is not None)


def render_slides(
    html: str,
    base_url: str,
    *,
    numbers: Sequence[int],
    allowed_roots: Iterable[Path],
    served: Mapping[str, Path] | None = None,
) -> Rendered:
    """Lay out the print HTML, whose pages hold the slides `numbers` in that order, and find overflow.

    A number may repeat: the same slide tried at several sizes in one render."""
    weasyprint = import_weasyprint()
    fetcher = _local_only_fetcher(weasyprint, allowed_roots, served or {})
    with patches.active(), recorded("weasyprint", logging.WARNING) as records:
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                presentational_hints=True, **deck_state()
            )
        except Exception as exc:  # WeasyPrint raises many kinds; all mean the same to the user
            raise RenderError(f"WeasyPrint could not lay out the deck: {exc}", hint="run with --debug") from exc
    if len(document.pages) != len(numbers):
        raise RenderError(
            f"made {len(document.pages)} pages for {len(numbers)} slides",
            hint="this is a bug in the print theme; please report it with the deck",
        )
    slides = tuple(RenderedSlide(n, page, _fit(page, n)) for n, page in zip(numbers, document.pages, strict=True))
    for slide in slides:
        if slide.fit is not None:
            _cut(slide.page, slide.number)
    return Rendered(document=document, slides=slides, messages=tuple(r.getMessage() for r in records))


def parse_sheets(
    html: str, base_url: str, *, allowed_roots: Iterable[Path], served: Mapping[str, Path] | None = None
) -> None:
    """Parse the style sheets `html` names, as a render of it would, so that documents that name the same ones
    (a deck's chunks, in forked workers) find them parsed. Only with the patch that keeps them parsed."""
    weasyprint = import_weasyprint()
    if not patches.applied(patches.SHEETS_PARSED_ONCE):
        return
    from weasyprint import css

    document = weasyprint.HTML(
        string=html, base_url=base_url, url_fetcher=_local_only_fetcher(weasyprint, allowed_roots, served or {})
    )
    state = deck_state()
    with patches.active(), recorded("weasyprint", logging.WARNING):
        css.find_stylesheets(
            document.wrapper_element,
            document.media_type,
            document.url_fetcher,
            document.base_url,
            state["font_config"],
            state["counter_style"],
            state["color_profiles"],
            [],
            [],
        )


def render_html(
    html: str,
    base_url: str,
    *,
    allowed_roots: Iterable[Path],
    variant: str | None = None,
    attachments: Sequence[Attached] = (),
    epoch: int = 0,
) -> bytes:
    """Render an HTML document to PDF bytes, reading only local files in the allowed places.

    `epoch` (seconds) is the time written into the embedded fonts (see `_font_time`)."""
    weasyprint = import_weasyprint()

    fetcher = _local_only_fetcher(weasyprint, allowed_roots, {})
    with patches.active(), recorded("weasyprint", logging.WARNING), _font_time(epoch):
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
            return bytes(document.write_pdf(**_pdf_options(weasyprint, variant, attachments)))
        except Exception as exc:
            raise RenderError(f"WeasyPrint could not lay out the handout: {exc}", hint="run with --debug") from exc


def write_pdf(
    first: Rendered,
    pages: Sequence[Any],
    *,
    variant: str | None = None,
    attachments: Sequence[Attached] = (),
    epoch: int = 0,
) -> tuple[bytes, list[str]]:
    """Write pages, possibly laid out by several renders, as one PDF with the first render's metadata.

    `variant` is a WeasyPrint PDF variant (pdf/a-3b, pdf/ua-1, ...); `attachments` are embedded as associated
    files; `epoch` is the time written into the embedded fonts. Return the PDF with the characters no font could
    draw (WeasyPrint finds those only while drawing)."""
    weasyprint = import_weasyprint()

    with patches.active(), recorded("weasyprint", logging.WARNING) as records, _font_time(epoch):
        try:
            options = _pdf_options(weasyprint, variant, attachments)
            pdf = bytes(first.document.copy(list(pages)).write_pdf(**options))
        except Exception as exc:
            raise RenderError(f"WeasyPrint could not write the PDF: {exc}", hint="run with --debug") from exc
    missing = [m.group(1) for m in (_NOTDEF.search(r.getMessage()) for r in records) if m]
    return pdf, list(dict.fromkeys(missing))


@contextmanager
def _font_time(epoch: int) -> Iterator[None]:
    """Make subset fonts carry `epoch` as their modification time, not the clock's (fontTools, which WeasyPrint
    subsets fonts with, stamps `head.modified` with SOURCE_DATE_EPOCH when set, else with the current second:
    renders a second apart differed in those bytes)."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _pdf_options(weasyprint: Any, variant: str | None, attachments: Sequence[Attached]) -> dict[str, Any]:
    """WeasyPrint's write options; attachments carry the given dates (WeasyPrint would use the clock)."""
    options: dict[str, Any] = {"pdf_variant": variant} if variant else {}
    if attachments:
        options["attachments"] = [
            weasyprint.Attachment(
                file_obj=io.BytesIO(a.data),
                name=a.name,
                description=a.description,
                created=a.modified,
                modified=a.modified,
                relationship=a.relationship,
            )
            for a in attachments
        ]
    return options


def _content_box(page: Any, number: int) -> tuple[Any, tuple[float, float, float, float]] | None:
    """Return slide `number`'s `.slide-content` box on its page and its content rectangle (l, t, r, b)."""
    root = page._page_box  # WeasyPrint keeps the laid-out box tree here; it has no public accessor
    section = next((b for b in _walk(root) if _id(b) == slide_id(number)), None)
    content = next((b for b in _walk(section) if "slide-content" in _classes(b)), None) if section else None
    if content is None:
        return None
    left, top = content.content_box_x(), content.content_box_y()
    return content, (left, top, left + content.width, top + content.height)


def _fit(page: Any, number: int) -> float | None:
    """Return None if slide `number` fits its page, else the scale at which it would about fit.

    A slide fits when all its text, images and image placeholders lie inside its content box: the
    padding keeps them off the page's edges. The content box is an inline-block: atomic, so WeasyPrint lays
    all of it out on the slide's own page (a block would continue under the next slide) and clips the rest.
    Shrinking by s shrinks every em-sized height by s and lets lines hold more, so available/needed is a
    scale that fits, or nearly (sizes a deck gives in px do not shrink).
    """
    from weasyprint.formatting_structure import boxes

    found = _content_box(page, number)
    if found is None:
        return 0.0
    content, (left, top, right, bottom) = found
    need_right, need_bottom = right, bottom
    for box in _walk(content):
        if not (isinstance(box, boxes.TextBox | boxes.ReplacedBox) or "missing-image" in _classes(box)):
            continue
        if box.width:
            need_right = max(need_right, box.border_box_x() + box.border_width())
            need_bottom = max(need_bottom, box.border_box_y() + box.border_height())
    # Glyph boxes may poke a little past their line (a font's ascent can exceed a tight line-height);
    # real overflow is at least a line. Content overflows only downwards and to the right.
    if need_right <= right + _TOLERANCE_PX and need_bottom <= bottom + _TOLERANCE_PX:
        return None
    return min((right - left) / (need_right - left), (bottom - top) / (need_bottom - top))


def _cut(page: Any, number: int) -> None:
    """Cut a slide that does not fit at its content box: drop what lies outside it, and every line of text
    that does not fit whole, so no hidden or half-shown words (or their links) reach the PDF."""
    from weasyprint.formatting_structure import boxes

    found = _content_box(page, number)
    if found is None:
        return
    content, (left, top, right, bottom) = found

    def outside(x: float, y: float, w: float, h: float) -> bool:
        return x >= right or y >= bottom or x + w <= left or y + h <= top

    def keep(box: Any) -> bool:
        x, y, w, h = box.position_x, box.position_y, box.margin_width(), box.margin_height()
        if isinstance(box, boxes.LineBox):
            return y + h <= bottom + _TOLERANCE_PX
        return not outside(x, y, w, h)

    def prune(box: Any) -> None:
        children = getattr(box, "children", None)
        if not isinstance(children, list):
            return
        box.children = [c for c in children if keep(c)]
        for child in box.children:
            prune(child)

    prune(content)
    # A link's rectangle is (x0, y0, x1, y1) in WeasyPrint 70, whatever Page's docstring says.
    page.links = [link for link in page.links if link[2][3] <= bottom + _TOLERANCE_PX]
    # The slide's own anchor (its section, at the page's corner) stays: links to the slide still go there.
    page.anchors = {
        k: v for k, v in page.anchors.items() if k == slide_id(number) or not outside(v[0], v[1], 0.001, 0.001)
    }


def _classes(box: Any) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return set()
    return set((element.get("class") or "").split())


def _id(box: Any) -> str | None:
    element = getattr(box, "element", None)
    return element.get("id") if element is not None and getattr(box, "element_tag", None) else None


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _local_only_fetcher(weasyprint: Any, roots: Iterable[Path] | FileAccess, served: Mapping[str, Path]) -> Any:
    """Return a WeasyPrint URL fetcher that reads only local files in the allowed places.

    `served` maps the URLs of the deck's images (web, data: or local) to the files the assets stage made
    for them: WeasyPrint never uses the network, never decodes a data: URL itself, and never reads a device
    or FIFO (its timeout does not apply to files: /dev/urandom would hang it).
    """
    access = roots if isinstance(roots, FileAccess) else FileAccess(tuple(roots))
    by_url = {_canonical(url): path for url, path in served.items()}

    class Fetcher(weasyprint.urls.URLFetcher):  # type: ignore[misc, name-defined]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            mapped = by_url.get(_canonical(url))
            if mapped is not None:  # the assets stage checked where it came from and made this file
                path, name = mapped.resolve(), mapped.name
            elif parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                name = path.name
                if not access.allows(path):
                    raise ValueError(f"outside the allowed folders, refused: {path}")
            else:
                raise ValueError(f"not fetched at render time: {url[:80]}")
            if not stat.S_ISREG(path.stat().st_mode):
                raise ValueError(f"not a regular file, refused: {path}")
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return Fetcher()


def _canonical(url: str) -> str:
    """One spelling of a URL, however it was quoted (WeasyPrint quotes what it requests)."""
    return unquote(url.strip())
