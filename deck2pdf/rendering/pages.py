"""Turn the print HTML into PDF bytes with WeasyPrint, reading only local files it is allowed to read."""

from __future__ import annotations

import bisect
import functools
import io
import logging
import mimetypes
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..bounds import MAX_SHEET_BYTES, SVG_NODES, bounded_sheet, svg_too_large
from ..errors import LayoutFailedError, RenderError
from ..files import FileAccess
from ..images import is_postscript, raster_size
from ..logs import recorded
from ..markup import HEADINGS
from ..model import Attached, FetchScope
from . import patches
from .engine import deck_state, import_weasyprint

_XML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<")  # an SVG (or other markup): WeasyPrint reads it, not Pillow
_NOTDEF = re.compile(r'^\.notdef glyph rendered .*: "(.+)" \(U\+[0-9A-F]+\)$', re.S)
_TOLERANCE_PX = 4.0  # how far a glyph box may pass its line before it counts as overflow
_STAND_INS = frozenset({"missing-image", "embedded-media"})  # boxes drawn for a missing image or a medium


@dataclass(frozen=True)
class Block:
    """A code block as laid out (px): unwrapped, its longest line may pass its right edge."""

    index: int  # the slide's n-th <pre>
    font: float  # its own font size (what a CodeFit sets, in em of its parent's)
    text: float  # the size of its text (a `pre code` may be set smaller than the `pre`)
    parent_font: float
    width: float  # its content width
    natural: float  # the width of its longest line
    chars: int  # the characters of its longest line (tabs expanded)
    height: float  # its margin box
    lines: int
    texts: tuple[str, ...] = ()  # each line's text, tabs expanded


@dataclass(frozen=True)
class Picture:
    """A picture (or its stand-in) as laid out (px)."""

    index: int
    width: float
    height: float
    parent_font: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Measure:
    """Where a slide's body is on its page and what it needs (px, page coordinates)."""

    left: float  # the content box
    top: float
    right: float
    bottom: float
    flow_top: float  # the top of the body (under the heading)
    need_right: float  # how far its text, images and stand-ins reach (code blocks' lines left out)
    need_bottom: float  # ... and down (code blocks included)
    blocks: tuple[Block, ...]
    pictures: tuple[Picture, ...]
    units: tuple[tuple[float, float], ...]  # the body's lines and pictures, top and bottom: where it can break
    headings: frozenset[float] = frozenset()  # the tops of the units that are lines of a heading (kept with the next)
    heading_sizes: tuple[tuple[int, float], ...] = ()  # each heading of the body (`data-h`): its font size
    # The units that are lines of a code block: their tops, the block's index, and whether the line is not blank.
    code_lines: tuple[tuple[float, int, bool], ...] = ()
    # The lines of a table's body rows, when the table has a header row: their tops, and how much lower the page's
    # content goes when a continuation page begins with that line (its table's header repeated above its row).
    repeats: tuple[tuple[float, float], ...] = ()
    table_heads: frozenset[float] = frozenset()  # the tops of the lines of those tables' header rows (kept so too)

    @property
    def fits(self) -> bool:
        wide = any(b.natural > b.width + _TOLERANCE_PX for b in self.blocks)
        return (
            not wide
            and self.need_right <= self.right + _TOLERANCE_PX
            and self.need_bottom <= self.bottom + _TOLERANCE_PX
        )


@dataclass(frozen=True)
class RenderedSlide:
    number: int
    page: Any  # the laid-out weasyprint Page
    measure: Measure | None  # None: the page has no slide content box (a theme that hides it)

    @property
    def fits(self) -> bool:
        return self.measure is None or self.measure.fits


@dataclass(frozen=True)
class Rendered:
    document: Any  # the laid-out weasyprint.Document
    slides: tuple[RenderedSlide, ...]  # one per page, in page order
    messages: tuple[str, ...]  # what WeasyPrint reported (what it could not load), as it said it

    @property
    def overflowing(self) -> tuple[int, ...]:
        """Numbers of the slides that do not fit their page."""
        return tuple(s.number for s in self.slides if not s.fits)


def render_slides(
    html: str,
    base_url: str,
    *,
    numbers: Sequence[int],
    scope: FetchScope,
) -> Rendered:
    """Lay out the print HTML, whose pages hold the slides `numbers` in that order, reading only what `scope`
    allows, and measure each page. A number may repeat: the same slide tried at several fits in one render."""
    weasyprint = import_weasyprint()
    fetcher = _local_only_fetcher(weasyprint, scope)
    with patches.active(), recorded("weasyprint", logging.WARNING) as records:
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                presentational_hints=True, **deck_state()
            )
        except MemoryError:  # the conversion's memory wall, not a fault of this slide's HTML: the run ends
            raise
        except Exception as exc:  # WeasyPrint raises many kinds; all mean the same to the user
            logging.getLogger("deck2pdf").debug("WeasyPrint failed", exc_info=True)
            raise LayoutFailedError(type(exc).__name__) from exc
    if len(document.pages) != len(numbers):
        raise RenderError(
            f"made {len(document.pages)} pages for {len(numbers)} slides",
            hint="this is a bug in the print theme; please report it with the deck",
        )
    for page in document.pages:
        _clip_stand_ins(page)
    slides = tuple(RenderedSlide(n, page, measure(page)) for n, page in zip(numbers, document.pages, strict=True))
    return Rendered(document=document, slides=slides, messages=_reported(records, len(set(numbers)) < len(numbers)))


def _about_css(source: str) -> bool:
    """Whether WeasyPrint logged from its CSS code (weasyprint/css/..., weasyprint/svg/css.py)."""
    parts = Path(source).parts
    inside = parts[len(parts) - 1 - parts[::-1].index("weasyprint") + 1 :] if "weasyprint" in parts else ()
    return "css" in inside[:-1] or inside[-1:] == ("css.py",)


def _reported(records: Iterable[logging.LogRecord], repeats: bool = False) -> tuple[str, ...]:
    """WeasyPrint's messages worth the user's time. Its notes on the CSS it reads (rules and media it ignores,
    parse errors) name no file, and most are screen CSS a printer rightly ignores: they go to the debug log, and
    `reports.css_problems` checks the deck's own CSS where its files and lines are known. With `repeats` (a
    document that holds a slide more than once: the fitter's trials) the slide's ids are defined twice by design:
    that note is dropped."""
    kept = []
    for record in records:
        message = record.getMessage()
        if repeats and message.startswith("Anchor defined twice"):
            continue
        if _about_css(record.pathname) and not message.startswith("Failed to load"):
            logging.getLogger("deck2pdf").debug("css: %s", message)
        else:
            kept.append(message)
    return tuple(kept)


def parse_sheets(html: str, base_url: str, *, scope: FetchScope) -> None:
    """Parse the style sheets `html` names, as a render of it would, so that documents that name the same ones
    (a deck's chunks, in forked workers) find them parsed. Only with the patch that keeps them parsed."""
    weasyprint = import_weasyprint()
    if not patches.applied(patches.SHEETS_PARSED_ONCE):
        return
    from weasyprint import css

    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_local_only_fetcher(weasyprint, scope))
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

    fetcher = _local_only_fetcher(weasyprint, FetchScope(tuple(allowed_roots)))
    with patches.active(), recorded("weasyprint", logging.WARNING), _font_time(epoch):
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
            # The deck's FontConfiguration: its fonts' folder is the one removed at exit (`engine.keep_tidy`).
            return bytes(
                document.write_pdf(
                    font_config=deck_state()["font_config"], **_pdf_options(weasyprint, variant, attachments)
                )
            )
        except MemoryError:
            raise
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
            document = first.document.copy(list(pages))
            # Writing PDF/A adds the sRGB profile to the document's profiles, which are the deck's (`deck_state`):
            # every later PDF of the deck would carry the profile, and a PDF/A output intent, too.
            document.color_profiles = dict(document.color_profiles)
            pdf = bytes(document.write_pdf(**options))
        except MemoryError:
            raise
        except Exception as exc:
            raise RenderError(f"WeasyPrint could not write the PDF: {exc}", hint="run with --debug") from exc
    missing = [m.group(1) for m in (_NOTDEF.search(r.getMessage()) for r in records) if m]
    return pdf, list(dict.fromkeys(missing))


@contextmanager
def _font_time(epoch: int) -> Iterator[None]:
    """Make subset fonts carry `epoch` as their modification time, not the clock's, where WeasyPrint subsets them
    with fontTools (without HarfBuzz's subsetter, 4.1 or later): fontTools stamps `head.modified` with
    SOURCE_DATE_EPOCH when set, else the current second, so renders a second apart differed in those bytes.
    HarfBuzz keeps the font's own time: then the environment is left alone (a host program's too)."""
    if _harfbuzz_subsets():
        yield
        return
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _harfbuzz_subsets() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (its own test, weasyprint/pdf/fonts.py)."""
    try:
        from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

        return bool(harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0))
    except (ImportError, AttributeError):  # another WeasyPrint: assume fontTools, the safe side
        return False


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


def _content_box(page: Any) -> Any:
    """The page's `.slide-content` box (each page holds one slide)."""
    root = page._page_box  # WeasyPrint keeps the laid-out box tree here; it has no public accessor
    return next((b for b in _walk(root) if "slide-content" in _classes(b)), None)


def measure(page: Any) -> Measure | None:
    """Measure a slide's page: its content box, how far its body reaches, its code blocks and pictures.

    The content box is an inline-block: atomic, so WeasyPrint lays all of it out on the slide's own page (a
    block would continue under the next slide) and clips the rest, which is still laid out and measured here.
    Glyph boxes may poke a little past their line (a font's ascent can exceed a tight line-height); real
    overflow is at least a line, so a few px are tolerated."""
    from weasyprint.formatting_structure import boxes

    content = _content_box(page)
    if content is None:
        return None
    left, top = content.content_box_x(), content.content_box_y()
    right, bottom = left + content.width, top + content.height
    flow = next((b for b in _walk(content) if "slide-flow" in _classes(b)), None)
    flow_top = flow.content_box_y() if flow is not None else top
    need_right, need_bottom = right, flow_top  # how far the body reaches, even when short of the bottom
    blocks: dict[int, Block] = {}
    pictures: dict[int, Picture] = {}
    units: list[tuple[float, float]] = []
    headings: set[float] = set()
    sizes: dict[int, float] = {}
    code: list[tuple[float, int, bool]] = []
    tables: list[Any] = []

    room = bottom - flow_top

    def visit(
        box: Any, in_code: int, in_line: bool, parent_font: float, in_flow: bool, in_tall: bool, in_heading: bool
    ) -> None:
        nonlocal need_right, need_bottom
        element = getattr(box, "element", None) if getattr(box, "element_tag", None) else None
        if element is not None and isinstance(box, boxes.BlockBox) and element.get("data-pre") is not None:
            index = int(element.get("data-pre"))
            if index not in blocks:
                blocks[index] = _block(box, index, parent_font)
            in_code = index
        if element is not None and element.get("data-pic") is not None and box.width:
            index = int(element.get("data-pic"))
            if index not in pictures:
                y = box.border_box_y()
                pictures[index] = Picture(
                    index, box.width, box.height, box.style["font_size"], y, y + box.border_height()
                )
        in_flow = in_flow or box is flow
        if in_flow and isinstance(box, boxes.TableBox):
            tables.append(box)
        if in_flow and element is not None and element.get("data-h") is not None:
            sizes.setdefault(int(element.get("data-h")), box.style["font_size"])
        # Where a page may end: before a line (also one in an inline-block), a picture that is not in a line, or
        # the text of a line taller than a page (`share_body` shares such a line out by what is in it).
        if in_flow and (
            isinstance(box, boxes.LineBox)
            or (not in_line and isinstance(box, boxes.ReplacedBox))
            or (in_tall and isinstance(box, boxes.TextBox))
        ):
            units.append((box.position_y, box.position_y + box.margin_height()))
            if in_heading and isinstance(box, boxes.LineBox):
                headings.add(box.position_y)
            if in_code >= 0 and isinstance(box, boxes.LineBox):
                written = any(isinstance(t, boxes.TextBox) and t.text.strip() for t in _walk(box))
                code.append((box.position_y, in_code, written))
        in_heading = in_heading or (in_flow and getattr(box, "element_tag", None) in HEADINGS)
        if isinstance(box, boxes.LineBox):
            in_tall = box.margin_height() > room + _TOLERANCE_PX
        stand_in = bool(_STAND_INS & _classes(box))
        if box.width and (isinstance(box, boxes.TextBox | boxes.ReplacedBox) or stand_in):
            if in_code < 0:
                need_right = max(need_right, box.border_box_x() + box.border_width())
            need_bottom = max(need_bottom, box.border_box_y() + box.border_height())
        if stand_in:
            return  # its label is clipped to it
        for child in getattr(box, "children", ()):
            line = in_line or isinstance(box, boxes.LineBox)
            visit(child, in_code, line, box.style["font_size"], in_flow, in_tall, in_heading)

    for child in content.children:
        visit(child, -1, False, content.style["font_size"], False, False, False)
    repeats: dict[float, float] = {}
    heads: set[float] = set()
    for _, header, rows in _headed_tables(tables):
        heads.update(b.position_y for b in _walk(header) if isinstance(b, boxes.LineBox))
        height = rows[0].position_y - header.position_y
        for row in rows:
            for line in (b for b in _walk(row) if isinstance(b, boxes.LineBox)):
                repeats[line.position_y] = max(
                    repeats.get(line.position_y, 0.0), height + line.position_y - row.position_y
                )
    return Measure(
        left,
        top,
        right,
        bottom,
        flow_top,
        need_right,
        need_bottom,
        tuple(blocks[i] for i in sorted(blocks)),
        tuple(pictures[i] for i in sorted(pictures)),
        tuple(sorted(units)),
        frozenset(headings),
        tuple(sorted(sizes.items())),
        tuple(code),
        tuple(sorted(repeats.items())),
        frozenset(heads),
    )


def _headed_tables(tables: Iterable[Any]) -> Iterator[tuple[Any, Any, list[Any]]]:
    """Those of the laid-out `tables` that have a header row group (`<thead>`): each, its header and its body's
    rows."""
    for table in tables:
        header = next((g for g in table.children if g.is_header), None)
        rows = [row for g in table.children if not g.is_header and not g.is_footer for row in g.children]
        if header is not None and rows:
            yield table, header, rows


def _block(box: Any, index: int, parent_font: float) -> Block:
    """A code block's measures: its lines are unwrapped (`white-space: pre`), so each line box is a source line."""
    from weasyprint.formatting_structure import boxes

    natural, text = 0.0, 0.0
    texts: list[str] = []
    left = box.content_box_x()
    for line in _walk(box):
        if not isinstance(line, boxes.LineBox):
            continue
        boxed = [t for t in _walk(line) if isinstance(t, boxes.TextBox)]
        texts.append("".join(t.text for t in boxed).expandtabs(8))
        if boxed:
            natural = max(natural, max(t.position_x + t.width for t in boxed) - left)
            text = max(text, *(t.style["font_size"] for t in boxed))
    font = box.style["font_size"]
    chars = max(map(len, texts), default=0)
    return Block(
        index, font, text or font, parent_font, box.width, natural, chars, box.margin_height(), len(texts), tuple(texts)
    )


def _clip_stand_ins(page: Any) -> None:
    """Drop the lines of a stand-in's label that its box clips (a deck may size a missing image smaller than its
    label): hidden text would still be in the PDF, found by search and copied with the page."""

    content = _content_box(page)
    stand_ins = [b for b in _walk(content) if _STAND_INS & _classes(b)] if content is not None else []
    for stand_in in stand_ins:
        bottom = stand_in.padding_box_y() + stand_in.padding_height() + _TOLERANCE_PX
        _prune(stand_in, functools.partial(_above, bottom))


def share_body(page: Any, more: Sequence[Any], starts: Sequence[float]) -> None:
    """Share a slide's body, laid out once on its own `page`, among that page and its continuation pages `more`
    (laid out with an empty body, `.slide-continued`): page k shows what lies from `starts[k]` to `starts[k + 1]`
    px below the body's top (`fitting.breaks`), moved up under its heading, where its body clips what is above.

    Each line of text goes, whole, to the page its top is on, as does each picture that is not taller than a page;
    a taller picture (or other box) is shown on every page it reaches into, and a line taller than a page (a tall
    inline picture or inline-block) is shared out by what is in it. The boxes are moved, not laid out again: a
    slide of any length is laid out once, and each of its boxes is on one page (only the boxes that hold lines of
    several pages are copied, once for each). Each page names only the ids and links it shows (the heading's ids
    are the slide's own page's)."""
    from weasyprint.anchors import gather_anchors
    from weasyprint.formatting_structure import boxes

    flow = _flow(page)
    if flow is None:
        return
    content = _content_box(page)
    origin = flow.content_box_y()
    room = content.content_box_y() + content.height - origin
    bounds = [origin + s - _TOLERANCE_PX / 2 for s in starts[1 : len(more) + 1]]
    tables = [b for b in _walk(flow) if isinstance(b, boxes.TableBox)]
    headed = {id(table.element): (header, rows) for table, header, rows in _headed_tables(tables)}
    shares = _shares(flow.children, bounds, room)
    flow.children = shares.get(0, [])
    _gather(page, gather_anchors)
    for k, other in enumerate(more, start=1):
        target = _flow(other)
        if target is None:
            continue
        dx, dy = target.content_box_x() - flow.content_box_x(), target.content_box_y() - origin - starts[k]
        target.children = shares.get(k, [])
        lower = _repeat_header(target.children, headed, origin + starts[k], room)
        for child in target.children:
            _move(child, dx, dy + lower)
        # The continuation page's own ids (its heading's) are the slide's page's: only the body's count here.
        anchors: dict[str, Any] = {}
        for child in target.children:
            gather_anchors(child, anchors, other.links, other.bookmarks, other.forms)
        other.anchors = anchors


def _repeat_header(children: list[Any], headed: dict[int, tuple[Any, list[Any]]], top: float, room: float) -> float:
    """When a continuation page's boxes (`children`, the page beginning `top` px down the slide's page) begin inside
    a table with a header row, put a copy of that row at the page's top: return how much lower the rest goes (as
    `Measure.repeats` says), or 0 when the page holds no such table or the header would not fit above its rest."""
    from weasyprint.formatting_structure import boxes

    shown = [b for child in children for b in _walk(child)]
    table = next((b for b in shown if isinstance(b, boxes.TableBox) and id(b.element) in headed), None)
    if table is None or any(g.is_header for g in table.children):
        return 0.0
    header, rows = headed[id(table.element)]
    first = next((row for g in table.children for row in g.children), None)
    if first is None:
        return 0.0
    lower = rows[0].position_y - header.position_y + top - first.position_y
    bottom = max(
        (b.position_y + b.margin_height() for b in shown if isinstance(b, boxes.LineBox | boxes.ReplacedBox)),
        default=top,
    )
    if bottom + lower - top > room + _TOLERANCE_PX:
        return 0.0
    copy = header.deepcopy()
    _move(copy, 0, top - header.position_y - lower)
    table.children = [copy, *table.children]
    # Collapsed borders are drawn by row number (WeasyPrint's own repeated headers count so): the rows above this
    # page's first one were skipped.
    skipped = next((i for i, row in enumerate(rows) if row.element is first.element), 0)
    table.skipped_rows = len(header.children) + skipped
    return lower


def _flow(page: Any) -> Any:
    content = _content_box(page)
    return next((b for b in _walk(content) if "slide-flow" in _classes(b)), None) if content is not None else None


def _gather(page: Any, gather_anchors: Callable[..., None]) -> None:
    """Find a page's ids, links and bookmarks again, after its boxes changed (as `weasyprint.Page` does)."""
    page.anchors, page.links, page.bookmarks, page.forms = {}, [], [], {None: []}
    gather_anchors(page._page_box, page.anchors, page.links, page.bookmarks, page.forms)


def _shares(children: Sequence[Any], bounds: Sequence[float], room: float) -> dict[int, list[Any]]:
    """The boxes of each page (by index) among `children` and all they hold: boxes that go whole to one page are
    moved as they are; a box whose content is on several pages is copied for each, holding its share there."""
    from weasyprint.formatting_structure import boxes

    shares: dict[int, list[Any]] = {}
    for box in children:
        top = box.position_y
        tall = box.margin_height() > room + _TOLERANCE_PX
        if isinstance(box, boxes.TextBox) or (not tall and isinstance(box, boxes.LineBox | boxes.ReplacedBox)):
            shares.setdefault(bisect.bisect_right(bounds, top), []).append(box)
        elif isinstance(box, boxes.ParentBox) and box.children and not _STAND_INS & _classes(box):
            inner = _shares(box.children, bounds, room)
            if len(inner) == 1:  # all on one page (in the same order)
                shares.setdefault(next(iter(inner)), []).append(box)
                continue
            for k, kept in inner.items():
                shares.setdefault(k, []).append(_copy(box, kept))
        else:  # a picture, a stand-in or an empty box: on each page it reaches into, when taller than one
            first = bisect.bisect_right(bounds, top)
            last = bisect.bisect_left(bounds, top + box.margin_height()) if tall else first
            for k in range(first, last + 1):
                shares.setdefault(k, []).append(box if k == first else _copy(box, None))
    return shares


def _move(box: Any, dx: float, dy: float) -> None:
    """Move a laid-out box and all it holds, their backgrounds too (WeasyPrint places them, in page coordinates,
    once the page is laid out, and `Box.translate` leaves them where they were)."""
    box.translate(dx, dy)
    for inner in _walk(box):
        for b in (inner, *getattr(inner, "column_groups", ())):
            if getattr(b, "background", None) is not None:
                b.background = b.background._replace(layers=[_moved(layer, dx, dy) for layer in b.background.layers])


def _moved(layer: Any, dx: float, dy: float) -> Any:
    """A background layer (WeasyPrint's BackgroundLayer) moved by (dx, dy)."""

    def shifted(area: Any) -> Any:
        return (area[0] + dx, area[1] + dy, *area[2:]) if isinstance(area, tuple | list) else area

    return layer._replace(
        painting_area=shifted(layer.painting_area),
        positioning_area=shifted(layer.positioning_area),
        clipped_boxes=[shifted(b) for b in layer.clipped_boxes],
    )


def _copy(box: Any, children: list[Any] | None) -> Any:
    """A shallow copy of a box, with other children; what else it holds that moves with it is copied too (a
    table's column groups)."""
    copy = box.copy()
    if children is not None:
        copy.children = children
    if getattr(box, "column_groups", None):
        copy.column_groups = [group.deepcopy() for group in box.column_groups]
    return copy


def cut(page: Any, anchor: str) -> None:
    """Cut a slide that does not fit at its content box: drop what lies outside it, and every line of text
    that does not fit whole, so no hidden or half-shown words (or their links) reach the PDF."""
    from weasyprint.formatting_structure import boxes

    content = _content_box(page)
    if content is None:
        return
    left, top = content.content_box_x(), content.content_box_y()
    right, bottom = left + content.width, top + content.height

    def outside(x: float, y: float, w: float, h: float) -> bool:
        return x >= right or y >= bottom or x + w <= left or y + h <= top

    def keep(box: Any) -> bool:
        x, y, w, h = box.position_x, box.position_y, box.margin_width(), box.margin_height()
        if isinstance(box, boxes.LineBox):
            return y + h <= bottom + _TOLERANCE_PX
        return not outside(x, y, w, h)

    _prune(content, keep)
    page.links = [link for link in page.links if link[2][3] <= bottom + _TOLERANCE_PX]
    # The slide's own anchor (its section, at the page's corner) stays: links to the slide still go there.
    page.anchors = {k: v for k, v in page.anchors.items() if k == anchor or not outside(v[0], v[1], 0.001, 0.001)}


def _above(bottom: float, box: Any) -> bool:
    """Whether a box is not a line, or a line that ends above `bottom`."""
    from weasyprint.formatting_structure import boxes

    return not isinstance(box, boxes.LineBox) or box.position_y + box.height <= bottom


def _prune(box: Any, keep: Callable[[Any], bool]) -> None:
    """Drop, under `box`, every box `keep` refuses (what is dropped goes with all it holds)."""
    children = getattr(box, "children", None)
    if not isinstance(children, list):
        return
    box.children = [c for c in children if keep(c)]
    for child in box.children:
        _prune(child, keep)


def _classes(box: Any) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return set()
    return set((element.get("class") or "").split())


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _local_only_fetcher(weasyprint: Any, scope: FetchScope) -> Any:
    """Return a WeasyPrint URL fetcher that reads only local files in the scope's folders, and its images.

    `scope.served` maps the URLs of the deck's images (web, data: or local) to the files the assets stage made
    for them: WeasyPrint never uses the network, never decodes a data: URL itself, and never reads a device
    or FIFO (its timeout does not apply to files: /dev/urandom would hang it).
    """
    access = FileAccess(scope.roots, one_name_in=scope.one_name_in)
    by_url = {_canonical(url): path for url, path in scope.served.items()}

    class Fetcher(weasyprint.urls.URLFetcher):  # type: ignore[misc, name-defined]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            mapped = by_url.get(_canonical(url))
            if mapped is not None:  # the assets stage checked where it came from and made this file
                path, name = mapped.resolve(), mapped.name
            elif parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                name = path.name
                if (refusal := access.refusal(path)) is not None:
                    raise ValueError(refusal)
            else:
                raise ValueError(
                    "is on the web, and only the deck's images are downloaded (style sheets are read locally)"
                )
            try:
                info = path.stat()
            except OSError:
                raise ValueError("is not found") from None
            if not stat.S_ISREG(info.st_mode):
                raise ValueError("is not a regular file")
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if _foreign_style(scope, path, mime):
                raise ValueError("is a style sheet or font the deck names, which --untrusted does not read")
            if info.st_size > MAX_SHEET_BYTES and mime == "text/css":
                raise ValueError(f"is over {MAX_SHEET_BYTES // 2**20} MB, too large for a style sheet")
            data = _bounded(path.read_bytes(), mime, scope.runaway)
            # WeasyPrint hands whatever it takes for an image to Pillow with every decoder on: only the formats
            # deck2pdf reads get that far, whatever the file's name (an EPS named .css or .png runs no Ghostscript).
            if is_postscript(data):
                raise ValueError("is PostScript (EPS/PS), which deck2pdf does not read")
            if _style_or_font(path, mime):
                return weasyprint.urls.URLFetcherResponse(url, data, {"Content-Type": mime})
            size = raster_size(data)
            if size is None and not _XML_START.match(data[:512]):
                raise ValueError("is not an image format deck2pdf reads (PNG, JPEG, GIF, WebP, BMP or SVG)")
            if size is not None:  # a raster image (sniffed: a CSS url() need not say so in its name)
                pixels = size[0] * size[1]
                if scope.max_pixels is not None and pixels > scope.max_pixels:
                    raise ValueError("is over the --max-image-pixels limit")
                if scope.max_bytes is not None and len(data) > scope.max_bytes:
                    raise ValueError("is over the --max-image-bytes limit")
            return weasyprint.urls.URLFetcherResponse(url, data, {"Content-Type": mime})

    return Fetcher()


def _bounded(data: bytes, mime: str, runaway: frozenset[str]) -> bytes:
    """A style sheet within `bounds`' limits; an SVG that would draw too much is refused."""
    if mime == "text/css":
        css = data.decode("utf-8", errors="replace")
        bounded = bounded_sheet(css, runaway)
        return data if bounded == css else bounded.encode()
    if mime == "image/svg+xml" and svg_too_large(data):
        raise ValueError(f"is an SVG that draws over {SVG_NODES:,} elements (its <use>s repeat too much)")
    return data


_STYLE_SUFFIXES = (".css", ".ttf", ".otf", ".woff", ".woff2", ".ttc", ".otc", ".eot", ".svgz")


def _style_or_font(path: Path, mime: str) -> bool:
    return mime == "text/css" or mime.startswith("font/") or path.suffix.lower() in _STYLE_SUFFIXES


def _foreign_style(scope: FetchScope, path: Path, mime: str) -> bool:
    """Whether `path` is a style sheet or font from outside the folders an untrusted deck's styles may come from."""
    if scope.styled_by is None:
        return False
    return _style_or_font(path, mime) and not any(path.is_relative_to(root) for root in scope.styled_by)


def _canonical(url: str) -> str:
    """One spelling of a URL, however it was quoted (WeasyPrint quotes what it requests)."""
    return unquote(url.strip())
