"""WeasyPrint, imported and set up for deck2pdf: what the documents of a deck share, and small patches.

WeasyPrint 70 spends much of a slide's time on work that decks do not need done again for each document or
element; each patch below says what it saves and why its output is the same (checked byte for byte on the
reference deck, the 40 real decks, the example deck and a 300-slide deck). A patch is applied once, when
WeasyPrint is first imported (`import_weasyprint`)."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_DECK: dict[str, Any] = {}  # what the documents of the deck being rendered share (see start_deck)
_SHEETS: dict[Any, Any] = {}  # the deck's parsed style sheets, by the <style> and <link> elements naming them
_STYLES: dict[tuple[str, str | None], Any] = {}  # parsed style attributes, by their text (and base URL)
# Let go of the deck's fonts before the interpreter winds down, while their clean-up (rmtree) can still run.
atexit.register(_DECK.clear)


def start_deck(sheets: str | None = None) -> None:
    """Start a deck: its documents (chunks, fitting tries) share one FontConfiguration (~35 ms of font setup
    saved per document), one set of counter styles and colour profiles, parse their style sheets once (~20 ms
    per document: `_reuse_sheets`) and share computed styles (`_compute_styles_once`). Started afresh for each
    deck, so that no deck's own @font-face fonts or style sheets reach the next (batches) and an edited style
    sheet is read again (--watch); unless `sheets`, a digest of the style sheets, the files they name and the
    fonts, is the same as the last deck's: then what was set up for it serves again (--watch after an edit
    that left the style sheets alone: 0.47 -> 0.45 s measured alone, 0.48 -> 0.39 s in `make bench`)."""
    global _DECK_SHEETS
    import_weasyprint()
    from weasyprint.css.counters import CounterStyle
    from weasyprint.text.fonts import FontConfiguration

    if _DECK and sheets is not None and sheets == _DECK_SHEETS:
        return
    _DECK_SHEETS = sheets
    _DECK.update(font_config=FontConfiguration(), counter_style=CounterStyle(), color_profiles={})
    _SHEETS.clear()
    _STYLES.clear()
    _COMPUTED.clear()


_DECK_SHEETS: str | None = None  # what start_deck was given for the deck set up now


def deck_state() -> dict[str, Any]:
    if not _DECK:
        start_deck()
    return dict(_DECK)


def _encode_images_once() -> None:
    """WeasyPrint decodes and compresses a PNG image again for every document that shows it: a logo on every
    slide was compressed once per chunk (9 ms for 800x450 pixels). The compressed data of the same pixels is the
    same: it is kept (the most recently used, up to 64 MB in all)."""
    import hashlib

    from weasyprint.images import RasterImage

    original = RasterImage._get_png_data

    def get_png_data(pillow_image: Any) -> bytes:
        key = (pillow_image.mode, pillow_image.size, hashlib.sha256(pillow_image.tobytes()).digest())
        data = _PNG_DATA.pop(key, None)
        if data is None:
            data = original(pillow_image)
        _PNG_DATA[key] = data  # the most recently used last
        while sum(map(len, _PNG_DATA.values())) > _PNG_DATA_BYTES:
            del _PNG_DATA[next(iter(_PNG_DATA))]
        return data

    RasterImage._get_png_data = staticmethod(get_png_data)


_PNG_DATA: dict[tuple[str, tuple[int, int], bytes], bytes] = {}
_PNG_DATA_BYTES = 64 * 1024 * 1024


def _is_anchor(declarations: Any) -> bool:
    return len(declarations) == 1 and getattr(declarations[0], "lower_name", None) == "-weasy-anchor"


def _compute_styles_once() -> None:
    """WeasyPrint's StyleFor.__init__, the cascade and computed styles of a document, with four changes (marked
    "deck2pdf"), each measured and checked byte for byte:

    - Equal `style` attributes share one parse. WeasyPrint gives like elements (the same rules and declarations,
      under a parent of the same style) one shared computed style, but parsed each `style` attribute anew, so no
      two table cells with `style="text-align:left"` (every aligned Markdown column) shared theirs: a table slide
      30 -> 25 ms.
    - The documents of a deck share computed styles: WeasyPrint shared them only within a document, so every
      chunk computed html, body, the slide frame, every paragraph again; and an element whose style is shared
      gets no cascade built. Documents with the deck's fonts and base URL (so the same inputs to every style)
      share them: 18.0 -> 16.5 ms a slide. An element with declarations no other can have (an id, a lang)
      keeps a style of its own, as before, and its subtree's styles are not kept past the document.
    - A pseudo-element's style is computed when first asked for (`__call__`): WeasyPrint's own style sheet gives
      every element ::marker, ::footnote-call and four more, and WeasyPrint computed all six for every element,
      96% of the styles it computed, used or not. One that names an anchor (needed in advance) is at once.
    - A slide section marked `data-join-anchor` is no anchor here: the join makes it (layout.Typesetter.html).

    And the body's overflow, which WeasyPrint hands to the page by changing the body's style in place, is
    changed on a copy, since the next documents share that style."""
    from math import inf

    from weasyprint.css import (
        PROGRESS_LOGGER,
        StyleFor,
        declaration_precedence,
        find_style_attributes,
        preprocess_declarations,
    )
    from weasyprint.formatting_structure import build

    original_call = StyleFor.__call__

    def __init__(  # noqa: N807 - patching a class
        self: Any, html: Any, sheets: Any, presentational_hints: Any, font_config: Any, target_collector: Any
    ) -> None:
        self._cascaded_styles = cascaded_styles = {}  # type: ignore[var-annotated]
        self._computed_styles = computed_styles = {}  # type: ignore[var-annotated]
        self.initial_page_sizes = {"box": None, "area": None}
        self._sheets = sheets
        self.font_config = font_config
        self._deck2pdf_pending = pending = {}  # type: ignore[var-annotated]  # pseudo-elements not computed yet

        PROGRESS_LOGGER.info("Step 3 - Applying CSS")
        layer_order = inf
        elements_declarations: dict[Any, Any] = {}
        own: set[Any] = set()  # deck2pdf: elements with declarations no other element has
        for specificity, element, declarations, base_url in find_style_attributes(
            html.etree_element, presentational_hints, html.base_url
        ):
            if specificity == (1, 0, 0):  # deck2pdf: a style attribute (the only declarations of this weight)
                declarations = _STYLES.setdefault((element.get("style"), base_url), declarations)
            elif element.get("data-join-anchor") is not None and _is_anchor(declarations):
                continue  # deck2pdf
            else:
                own.add(element)  # deck2pdf
            style = cascaded_styles.setdefault((element, None), {})
            elements_declarations[element] = tuple(declarations)
            for name, values, importance in preprocess_declarations(base_url, declarations):
                precedence = declaration_precedence("author", importance)
                weight = (precedence, layer_order, specificity)
                old_weight = style.get(name, (None, None))[1]
                if old_weight is None or old_weight <= weight:
                    style[name] = values, weight

        # deck2pdf: the deck's styles, kept across its documents, then this document's own.
        deck = _COMPUTED.setdefault(html.base_url, {}) if _DECK and font_config is _DECK["font_config"] else {}
        computed_cache: dict[Any, Any] = {}
        unkept = set()  # ids of styles no other document can share
        for element in html.wrapper_element.iter_subtree():
            etree_element = element.etree_element
            parent = element.parent.etree_element if element.parent else None
            parent_id = id(computed_styles[parent, None]) if element.parent else None
            element_declarations = elements_declarations.get(etree_element)
            selectors_keys = []
            matched = []  # deck2pdf: cascaded below, once the style is known to be new
            for sheet, origin, sheet_specificity in sheets:
                for selector in sheet.matcher.match(element):
                    specificity, _order, pseudo_type, (declarations, layer) = selector
                    layer_order = inf if layer is None else sheet.layers.index(layer)
                    selectors_keys.append((sheet, specificity, id(declarations), layer_order))
                    matched.append((pseudo_type, declarations, origin, layer_order, sheet_specificity or specificity))

            key = (parent_id, element_declarations, tuple(selectors_keys))
            shared: Any = computed_cache.get(key)
            if shared is None:
                shared = deck.get(key)
                if shared is not None:  # first met in this document: its anchor, if any, is this document's too
                    computed_cache[key] = shared
                    if target_collector and shared["anchor"]:
                        target_collector.collect_anchor(shared["anchor"])
            for pseudo_type, declarations, origin, layer_order, specificity in matched:
                if pseudo_type is None and shared is not None:
                    continue  # deck2pdf: the element's own cascade is only read to compute its style
                style = cascaded_styles.setdefault((etree_element, pseudo_type), {})
                for name, values, importance in declarations:
                    precedence = declaration_precedence(origin, importance)
                    weight = (precedence, layer_order, specificity)
                    old_weight = style.get(name, (None, None))[1]
                    if old_weight is None or old_weight <= weight:
                        style[name] = values, weight
            if shared is not None:
                computed_styles[etree_element, None] = shared
            else:
                self.set_computed_styles(
                    etree_element,
                    root=html.etree_element,
                    parent=parent,
                    base_url=html.base_url,
                    target_collector=target_collector,
                )
                computed_cache[key] = computed = computed_styles[etree_element, None]
                if etree_element in own or parent_id in unkept:
                    unkept.add(id(computed))
                else:
                    deck[key] = computed

        for (element, pseudo_type), cascaded in cascaded_styles.items():
            if pseudo_type:
                where = {"root": html.etree_element, "base_url": html.base_url, "target_collector": target_collector}
                if "anchor" in cascaded:  # deck2pdf: an anchor is needed in advance
                    self.set_computed_styles(element, element, pseudo_type=pseudo_type, **where)
                else:
                    pending[element, pseudo_type] = cascaded, where
        self._cascaded_styles.clear()

    def __call__(self: Any, element: Any, pseudo_type: Any = None) -> Any:  # noqa: N807
        pending = self._deck2pdf_pending.pop((element, pseudo_type), None)
        if pending is not None:  # deck2pdf: a pseudo-element's style, first asked for
            cascaded, where = pending
            self._cascaded_styles[element, pseudo_type] = cascaded  # where set_computed_styles reads it
            try:
                self.set_computed_styles(element, element, pseudo_type=pseudo_type, **where)
            finally:
                del self._cascaded_styles[element, pseudo_type]
        return original_call(self, element, pseudo_type)

    def set_viewport_overflow(root_box: Any) -> Any:
        """WeasyPrint's, but the box whose overflow goes to the page gets a copy of its style to change."""
        chosen_box = root_box
        if root_box.element_tag.lower() == "html" and root_box.style["overflow"] == "visible":
            for child in root_box.children:
                if child.element_tag.lower() == "body":
                    chosen_box = child
                    break
        root_box.viewport_overflow = chosen_box.style["overflow"]
        chosen_box.style = chosen_box.style.copy()
        chosen_box.style["overflow"] = "visible"
        return root_box

    StyleFor.__init__ = __init__  # type: ignore[method-assign]
    StyleFor.__call__ = __call__  # type: ignore[method-assign]
    build.set_viewport_overflow = set_viewport_overflow


_ORIGINALS: dict[str, Any] = {}  # WeasyPrint's functions that a patch replaced wholesale (for tests to compare)
_COMPUTED: dict[str, dict[Any, Any]] = {}  # the deck's computed styles, by base URL and StyleFor's sharing key


def _html_scan_expressions_kept() -> None:
    """tinyhtml5, WeasyPrint's HTML parser, means to keep the regular expression for each set of characters it
    scans text for, but stores it under the wrong key (the compiled expression, not the characters), so it made
    and looked up the expression again for every run of text: a fifth of the parsing time. It now finds it kept."""
    import re

    from tinyhtml5 import inputstream

    class Expressions(dict[tuple[Any, bool], Any]):
        def __missing__(self, key: tuple[Any, bool]) -> Any:
            characters, opposite = key  # made as tinyhtml5 makes it
            expression = "".join(f"\\x{ord(c):02x}" for c in characters)
            value = self[key] = re.compile(f"[{expression if opposite else '^' + expression}]+")
            return value

    inputstream.characters_until_regex = Expressions()


def _percentages_resolved_inline() -> None:
    """WeasyPrint resolves the 17 lengths of a box (margins, paddings, sizes) through two calls each, and does so
    for every box at every layout pass: 7% of the time. The same arithmetic, inline; anything but a plain
    length (auto, calc()) still goes through WeasyPrint's own function."""
    import sys
    from math import inf

    from weasyprint.css.functions import check_math
    from weasyprint.css.properties import Dimension
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import percent

    original, percentage, adjust_box_sizing = percent.resolve_percentages, percent.percentage, percent.adjust_box_sizing
    borders = tuple(f"border_{side}_width" for side in ("top", "right", "bottom", "left"))

    def used(style: Any, name: str, refer_to: Any) -> Any:
        value = style[name]
        if type(value) is Dimension:
            return refer_to * value.value / 100 if value.unit == "%" else value.value
        value = percentage(value, style, refer_to)
        return 0 if value == "auto" and name in ("min_width", "min_height") else value

    def resolve_percentages(box: Any, containing_block: Any) -> None:
        if isinstance(containing_block, boxes.Box):
            cb_width, cb_height = containing_block.width, containing_block.height
        else:
            cb_width, cb_height = containing_block
        maybe_height = cb_height if isinstance(box, boxes.PageBox) else cb_width
        style = box.style
        box.margin_left = used(style, "margin_left", cb_width)
        box.margin_right = used(style, "margin_right", cb_width)
        box.margin_top = used(style, "margin_top", maybe_height)
        box.margin_bottom = used(style, "margin_bottom", maybe_height)
        box.padding_left = used(style, "padding_left", cb_width)
        box.padding_right = used(style, "padding_right", cb_width)
        box.padding_top = used(style, "padding_top", maybe_height)
        box.padding_bottom = used(style, "padding_bottom", maybe_height)
        box.width = used(style, "width", cb_width)
        box.min_width = used(style, "min_width", cb_width)
        box.max_width = used(style, "max_width", cb_width)
        if cb_height == "auto":  # the containing block's height depends on its content
            height = style["height"]
            if height == "auto" or check_math(height) or height.unit == "%":
                box.height = "auto"
            else:
                box.height = height.value
            box.min_height = used(style, "min_height", 0)
            box.max_height = used(style, "max_height", inf)
        else:
            box.height = used(style, "height", cb_height)
            box.min_height = used(style, "min_height", cb_height)
            box.max_height = used(style, "max_height", cb_height)
        collapse = style["border_collapse"] == "collapse"
        for name in borders:
            if not (collapse and hasattr(box, name)):  # collapsed borders are resolved beforehand
                setattr(box, name, style[name])
        adjust_box_sizing(box, "width")
        adjust_box_sizing(box, "height")

    _ORIGINALS["resolve_percentages"] = original
    for module in [m for name, m in sys.modules.items() if name.startswith("weasyprint.layout")]:
        if getattr(module, "resolve_percentages", None) is original:  # the layout modules import it by name
            setattr(module, "resolve_percentages", resolve_percentages)  # noqa: B010


def _gradients_per_element() -> None:
    """WeasyPrint computes a gradient's lengths (`3.3em`) by changing the gradient of the style sheet in place:
    the first element to use it fixes them for every element, and every document that shares the parsed
    sheet. A slide shrunk to fit has a smaller em, so the dark theme's header band came out at another slide's
    size. Each element now computes its own copy."""
    import copy

    from weasyprint.css import computed_values

    original = computed_values.image

    def image(style: Any, name: str, value: Any) -> Any:
        kind, gradient = value
        if kind in ("linear-gradient", "radial-gradient"):
            value = (kind, copy.copy(gradient))
        return original(style, name, value)

    computed_values.image = image  # background-image's computer calls it by this name
    computed_values.COMPUTER_FUNCTIONS["border_image_source"] = image


def _reuse_sheets() -> None:
    """Make WeasyPrint parse a deck's style sheets once, not once per document: a document that names the same
    sheets (<style> texts and <link>s) with the deck's shared state gets the parsed sheets again, with the same
    effects on the document (page rules, layers, counter styles, colour profiles) and the same warnings."""
    from weasyprint import css

    original = css.find_stylesheets

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


def import_weasyprint() -> Any:
    """WeasyPrint, imported (here: it is slow, and --inspect and --version never need it) and patched, once.
    Called before forking workers too, so that each starts with it imported."""
    global _PATCHED
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

    if not _PATCHED:
        _PATCHED = True
        for patch in (
            _skip_empty_margin_boxes,
            _gradients_per_element,
            _reuse_sheets,
            _encode_images_once,
            _compute_styles_once,
            _html_scan_expressions_kept,
            _percentages_resolved_inline,
        ):
            patch()
    return weasyprint


_PATCHED = False


_MARGIN_BOXES = (
    *(f"@top-{x}" for x in ("left", "center", "right")),
    *(f"@bottom-{x}" for x in ("left", "center", "right")),
    *(f"@left-{x}" for x in ("top", "middle", "bottom")),
    *(f"@right-{x}" for x in ("top", "middle", "bottom")),
    *(f"@{y}-{x}-corner" for y in ("top", "bottom") for x in ("left", "right")),
)


def _skip_empty_margin_boxes() -> None:
    """WeasyPrint builds the 16 margin boxes of every page (styles, percentages, sizes) even when none has content,
    and then draws none of them: 1.2 ms a page, 6% of a slide's time. A page whose margin boxes all have no
    content (`normal`, `none` or `inhibit`: what WeasyPrint itself tests) gets none. (WeasyPrint's own style
    sheet styles every margin box, so testing only for a style, as this did at first, never skipped any.)"""
    from weasyprint import layout

    original = layout.make_margin_boxes

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        for name in _MARGIN_BOXES:
            style = context.style_for(page.page_type, name)
            if style is None:
                style = page.style.anonymous_style
            if style["content"] not in ("normal", "inhibit", "none"):  # what WeasyPrint builds a box for
                return original(context, page, state)
        return ()

    layout.make_margin_boxes = make_margin_boxes
