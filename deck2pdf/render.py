"""Turn the print HTML into PDF bytes with WeasyPrint, reading only local files it is allowed to read."""

from __future__ import annotations

import atexit
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

from .errors import RenderError
from .model import Attached, slide_id

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
    weasyprint = _weasyprint()
    fetcher = _local_only_fetcher(weasyprint, allowed_roots, served or {})
    with _captured_log() as messages:
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                presentational_hints=True, **_deck_state()
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
    return Rendered(document=document, slides=slides, messages=tuple(messages))


_DECK: dict[str, Any] = {}  # what the documents of the deck being rendered share (see start_deck)
_SHEETS: dict[Any, Any] = {}  # the deck's parsed style sheets, by the <style> and <link> elements naming them
_STYLES: dict[tuple[str, str | None], Any] = {}  # parsed style attributes, by their text (and base URL)
# Let go of the deck's fonts before the interpreter winds down, while their clean-up (rmtree) can still run.
atexit.register(_DECK.clear)


def start_deck(sheets: str | None = None) -> None:
    """Start a deck: its documents (chunks, fitting tries) share one FontConfiguration (~35 ms of font setup
    saved per document), one set of counter styles and colour profiles, and parse their style sheets once
    (~20 ms per document: `_reuse_sheets`). Started afresh for each deck, so that no deck's own @font-face fonts
    or style sheets reach the next (batches) and an edited style sheet is read again (--watch); but when
    `sheets`, a digest of every style sheet and file they use, is that of the deck before, what that deck
    set up still holds, fonts loaded and all (--watch after an edit of the slides: 0.1 s)."""
    if sheets is not None and _DECK.get("sheets") == sheets:
        return
    _weasyprint()
    from weasyprint.css.counters import CounterStyle
    from weasyprint.text.fonts import FontConfiguration

    _DECK.update(font_config=FontConfiguration(), counter_style=CounterStyle(), color_profiles={}, sheets=sheets)
    _SHEETS.clear()
    _STYLES.clear()


def _deck_state() -> dict[str, Any]:
    if not _DECK:
        start_deck()
    return {k: _DECK[k] for k in ("font_config", "counter_style", "color_profiles")}


def parse_sheets(
    html: str, base_url: str, *, allowed_roots: Iterable[Path], served: Mapping[str, Path] | None = None
) -> None:
    """Parse the style sheets `html` names, as a render of it would, so that documents that name the same ones
    (a deck's chunks, in forked workers) find them parsed."""
    weasyprint = _weasyprint()
    from weasyprint import css

    document = weasyprint.HTML(
        string=html, base_url=base_url, url_fetcher=_local_only_fetcher(weasyprint, allowed_roots, served or {})
    )
    state = _deck_state()
    with _captured_log():
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


def _share_style_attributes() -> None:
    """Elements with the same `style` attribute get the same parsed declarations. WeasyPrint gives elements that
    match the same rules, with the same declarations, under the same parent, one shared computed style, but
    parses each `style` attribute anew, so no two table cells with `style="text-align:left"` (every aligned
    Markdown column) ever shared theirs: 4 of a 30 ms table slide. A slide section marked `data-join-anchor`
    is no anchor here (see layout.Typesetter.html)."""
    from weasyprint import css

    original = css.find_style_attributes
    if getattr(original, "deck2pdf", False):
        return

    def find_style_attributes(tree: Any, presentational_hints: bool = False, base_url: str | None = None) -> Any:
        for specificity, element, declarations, url in original(tree, presentational_hints, base_url):
            if specificity == (1, 0, 0):  # a style attribute: the only declarations of this weight
                declarations = _STYLES.setdefault((element.get("style"), url), declarations)
            elif element.get("data-join-anchor") is not None and _is_anchor(declarations):
                continue  # the join makes this anchor (see layout.Typesetter.html)
            yield specificity, element, declarations, url

    find_style_attributes.deck2pdf = True  # type: ignore[attr-defined]
    css.find_style_attributes = find_style_attributes


def _encode_images_once() -> None:
    """WeasyPrint decodes and compresses a PNG image again for every document that shows it: a logo on every
    slide was compressed once per chunk (9 ms for 800x450 pixels). The compressed data of the same pixels is the
    same: it is kept (the most recently used, up to 64 MB in all)."""
    import hashlib

    from weasyprint.images import RasterImage

    original = RasterImage._get_png_data
    if getattr(original, "deck2pdf", False):
        return

    def get_png_data(pillow_image: Any) -> bytes:
        key = (pillow_image.mode, pillow_image.size, hashlib.sha256(pillow_image.tobytes()).digest())
        data = _PNG_DATA.pop(key, None)
        if data is None:
            data = original(pillow_image)
        _PNG_DATA[key] = data  # the most recently used last
        while sum(map(len, _PNG_DATA.values())) > _PNG_DATA_BYTES:
            del _PNG_DATA[next(iter(_PNG_DATA))]
        return data

    get_png_data.deck2pdf = True  # type: ignore[attr-defined]
    RasterImage._get_png_data = staticmethod(get_png_data)


_PNG_DATA: dict[tuple[str, tuple[int, int], bytes], bytes] = {}
_PNG_DATA_BYTES = 64 * 1024 * 1024


def _is_anchor(declarations: Any) -> bool:
    return len(declarations) == 1 and getattr(declarations[0], "lower_name", None) == "-weasy-anchor"


def _pseudo_elements_when_used() -> None:
    """WeasyPrint's own style sheet gives every element ::marker, ::footnote-call, ::footnote-marker,
    ::note-call, ::note-marker and ::note-callback styles, and WeasyPrint computed all six for every element of
    a document, used or not (only list items draw a marker; only footnotes the others): 96% of all the styles
    it computed, 5% of the rendering time. A pseudo-element's style is now computed when it is first asked for,
    from the same cascaded values; one that names an anchor (which must be known in advance) still at once."""
    from weasyprint.css import StyleFor

    if getattr(StyleFor, "deck2pdf", False):
        return
    original_init, original_set, original_call = StyleFor.__init__, StyleFor.set_computed_styles, StyleFor.__call__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - patching a class
        self._deck2pdf_pending, self._deck2pdf_defer = {}, True
        try:
            original_init(self, *args, **kwargs)
        finally:
            self._deck2pdf_defer = False

    def set_computed_styles(
        self: Any, element: Any, parent: Any, root: Any = None, pseudo_type: Any = None, **kwargs: Any
    ) -> None:
        if self._deck2pdf_defer and pseudo_type is not None:
            cascaded = self._cascaded_styles.get((element, pseudo_type))
            if cascaded is not None and "anchor" not in cascaded:
                self._deck2pdf_pending[element, pseudo_type] = (parent, root, cascaded, kwargs)
                return
        original_set(self, element, parent, root=root, pseudo_type=pseudo_type, **kwargs)

    def __call__(self: Any, element: Any, pseudo_type: Any = None) -> Any:  # noqa: N807
        pending = self._deck2pdf_pending.pop((element, pseudo_type), None)
        if pending is not None:
            parent, root, cascaded, kwargs = pending
            self._cascaded_styles[element, pseudo_type] = cascaded  # where set_computed_styles reads it
            try:
                original_set(self, element, parent, root=root, pseudo_type=pseudo_type, **kwargs)
            finally:
                del self._cascaded_styles[element, pseudo_type]
        return original_call(self, element, pseudo_type)

    StyleFor.__init__ = __init__  # type: ignore[method-assign]
    StyleFor.set_computed_styles = set_computed_styles  # type: ignore[method-assign]
    StyleFor.__call__ = __call__  # type: ignore[method-assign]
    StyleFor.deck2pdf = True  # type: ignore[attr-defined]


def _gradients_per_element() -> None:
    """WeasyPrint computes a gradient's lengths (`3.3em`) by changing the gradient of the style sheet in place:
    the first element to use it fixes them for every element, and every document that shares the parsed
    sheet. A slide shrunk to fit has a smaller em, so the dark theme's header band came out at another slide's
    size. Each element now computes its own copy."""
    import copy

    from weasyprint.css import computed_values

    original = computed_values.image
    if getattr(original, "deck2pdf", False):
        return

    def image(style: Any, name: str, value: Any) -> Any:
        kind, gradient = value
        if kind in ("linear-gradient", "radial-gradient"):
            value = (kind, copy.copy(gradient))
        return original(style, name, value)

    image.deck2pdf = True  # type: ignore[attr-defined]
    computed_values.image = image  # background-image's computer calls it by this name
    computed_values.COMPUTER_FUNCTIONS["border_image_source"] = image


def _reuse_sheets() -> None:
    """Make WeasyPrint parse a deck's style sheets once, not once per document: a document that names the same
    sheets (<style> texts and <link>s) with the deck's shared state gets the parsed sheets again, with the same
    effects on the document (page rules, layers, counter styles, colour profiles) and the same warnings."""
    from weasyprint import css

    original = css.find_stylesheets
    if getattr(original, "deck2pdf", False):
        return

    def find_stylesheets(
        wrapper: Any,
        media: str,
        fetcher: Any,
        base_url: str,
        font_config: Any,
        counter_style: Any,
        color_profiles: Any,
        page_rules: list[Any],
        layers: list[Any],
    ) -> Any:
        if not _DECK or font_config is not _DECK["font_config"] or counter_style is not _DECK["counter_style"]:
            return original(
                wrapper, media, fetcher, base_url, font_config, counter_style, color_profiles, page_rules, layers
            )
        elements = tuple(
            (e.etree_element.tag, tuple(sorted(e.etree_element.attrib.items())), e.etree_element.text)
            for e in wrapper.query_all("style", "link")
        )
        key = (elements, media, base_url)
        if key not in _SHEETS:
            counters, profiles = dict(counter_style), dict(color_profiles)
            with _recorded("weasyprint") as records:
                sheets = list(
                    original(
                        wrapper,
                        media,
                        fetcher,
                        base_url,
                        font_config,
                        counter_style,
                        color_profiles,
                        page_rules,
                        layers,
                    )
                )
            _SHEETS[key] = (
                sheets,  # each keeps its page rules and layers, which is where WeasyPrint reads them
                {k: v for k, v in counter_style.items() if counters.get(k, _ABSENT) is not v},
                {k: v for k, v in color_profiles.items() if profiles.get(k, _ABSENT) is not v},
                records,
            )
            return sheets
        sheets, counters, profiles, records = _SHEETS[key]
        counter_style.update(counters)
        color_profiles.update(profiles)
        for record in records:
            logging.getLogger(record.name).handle(record)
        return sheets

    find_stylesheets.deck2pdf = True  # type: ignore[attr-defined]
    css.find_stylesheets = find_stylesheets


_ABSENT = object()


@contextmanager
def _recorded(name: str) -> Iterator[list[logging.LogRecord]]:
    """The log records of logger `name` (and below) while in the block, still passed on as usual."""
    records: list[logging.LogRecord] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger, handler = logging.getLogger(name), Recorder(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def preload_weasyprint() -> None:
    """Import WeasyPrint now, e.g. before forking workers that will use it."""
    _weasyprint()


def _weasyprint() -> Any:
    """WeasyPrint, imported (here: it is slow, and --inspect and --version never need it) and set up."""
    import sys

    if "weasyprint" not in sys.modules and sys.platform.startswith("linux"):
        import ctypes.util

        # WeasyPrint tries several names for each library; cffi runs ldconfig and gcc (ctypes' find_library)
        # for every name that is not a file: 0.27 of the 0.45 s of the import. On Linux the sonames it also
        # tries load directly, so the search is skipped while it loads (and done after all if that fails).
        find_library = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            import weasyprint
        except OSError:
            sys.modules.pop("weasyprint", None)
        finally:
            ctypes.util.find_library = find_library
    import weasyprint

    _skip_empty_margin_boxes()
    _gradients_per_element()
    _reuse_sheets()
    _share_style_attributes()
    _encode_images_once()
    _pseudo_elements_when_used()
    return weasyprint


_MARGIN_BOXES = (
    *(f"@top-{x}" for x in ("left", "center", "right")),
    *(f"@bottom-{x}" for x in ("left", "center", "right")),
    *(f"@left-{x}" for x in ("top", "middle", "bottom")),
    *(f"@right-{x}" for x in ("top", "middle", "bottom")),
    *(f"@{y}-{x}-corner" for y in ("top", "bottom") for x in ("left", "right")),
)


def _skip_empty_margin_boxes() -> None:
    """WeasyPrint builds the 16 margin boxes of every page, styles and all, even when no @page rule gives one any
    content: 2 ms a page, 13% of a simple slide's time. Slides have no margins: when no style sheet has a rule
    for a margin box of the page, there is nothing to build."""
    from weasyprint import layout

    original = layout.make_margin_boxes
    if getattr(original, "deck2pdf", False):
        return

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        if any(context.style_for(page.page_type, name) is not None for name in _MARGIN_BOXES):
            return original(context, page, state)
        return ()

    make_margin_boxes.deck2pdf = True  # type: ignore[attr-defined]
    layout.make_margin_boxes = make_margin_boxes


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
    weasyprint = _weasyprint()

    fetcher = _local_only_fetcher(weasyprint, allowed_roots, {})
    with _captured_log(), _font_time(epoch):
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
    weasyprint = _weasyprint()

    with _captured_log() as messages, _font_time(epoch):
        try:
            options = _pdf_options(weasyprint, variant, attachments)
            pdf = bytes(first.document.copy(list(pages)).write_pdf(**options))
        except Exception as exc:
            raise RenderError(f"WeasyPrint could not write the PDF: {exc}", hint="run with --debug") from exc
    missing = [m.group(1) for m in map(_NOTDEF.search, messages) if m]
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


class _CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _captured_log() -> Iterator[list[str]]:
    """Collect WeasyPrint's warnings: its logger has only a NullHandler, so they are lost otherwise."""
    logger, handler = logging.getLogger("weasyprint"), _CollectingHandler()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _is_within(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _local_only_fetcher(weasyprint: Any, roots: Iterable[Path], served: Mapping[str, Path]) -> Any:
    """Return a WeasyPrint URL fetcher that reads only local files in the allowed places.

    `served` maps the URLs of the deck's images (web, data: or local) to the files the assets stage made
    for them: WeasyPrint never uses the network, never decodes a data: URL itself, and never reads a device
    or FIFO (its timeout does not apply to files: /dev/urandom would hang it).
    """
    allowed_roots = tuple(r.resolve() for r in roots)
    by_url = {_canonical(url): path for url, path in served.items()}

    class Fetcher(weasyprint.urls.URLFetcher):  # type: ignore[misc, name-defined]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            mapped = by_url.get(_canonical(url))
            if mapped is not None:
                path, name = mapped.resolve(), mapped.name
            elif parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                name = path.name
            else:
                raise ValueError(f"not fetched at render time: {url[:80]}")
            if not _is_within(path, allowed_roots):
                raise ValueError(f"outside the allowed folders, refused: {path}")
            if not stat.S_ISREG(path.stat().st_mode):
                raise ValueError(f"not a regular file, refused: {path}")
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return Fetcher()


def _canonical(url: str) -> str:
    """One spelling of a URL, however it was quoted (WeasyPrint quotes what it requests)."""
    return unquote(url.strip())
