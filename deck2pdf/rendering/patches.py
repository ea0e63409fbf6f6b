"""Optional patches to WeasyPrint 70 and tinyhtml5: speed (work a deck need not redo for each document or
element) and size (one copy of each font in a deck rendered in chunks). The text does not depend on them: the
pages and text are the same with `DECK2PDF_NO_PATCHES=1` (a test compares both ways); one mends a WeasyPrint
bug (`_gradients_per_element`), which then shows again.

The policy (ARCHITECTURE.md, "Patches"):
- Each patch names the upstream functions it replaces or relies on, with the SHA-256 of their source as it was
  written against; when any differs (another release), the patch is skipped with a debug line, never fatal.
- `DECK2PDF_NO_PATCHES=1` switches them all off.
- They act only inside deck2pdf's own rendering (`active()`, a context variable, so per thread): elsewhere, in
  a program that imports deck2pdf and renders its own WeasyPrint documents, the originals run.
"""

from __future__ import annotations

import atexit
import hashlib
import inspect
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from ..logs import recorded

log = logging.getLogger("deck2pdf")

_ACTIVE: ContextVar[bool] = ContextVar("deck2pdf_patches_active", default=False)
_FONT_STORE: ContextVar[Path | None] = ContextVar("deck2pdf_font_store", default=None)
_DECK: dict[str, Any] = {}  # the deck's FontConfiguration and CounterStyle: they mark the deck's own documents
_SHEETS: dict[Any, Any] = {}  # the deck's parsed style sheets, by the <style> and <link> elements naming them
_STYLES: dict[tuple[str, str | None], Any] = {}  # parsed style attributes, by their text (and base URL)
_LANGS: dict[str, Any] = {}  # the declarations WeasyPrint makes of `lang` attributes, by language
_COMPUTED: dict[str, dict[Any, Any]] = {}  # the deck's computed styles, by base URL and StyleFor's sharing key
OFF_VARIABLE = "DECK2PDF_NO_PATCHES"
# Let go of the deck's fonts before the interpreter winds down, while their clean-up can still run.
atexit.register(lambda: [state.clear() for state in (_DECK, _SHEETS, _STYLES, _LANGS, _COMPUTED)])
SHEETS_PARSED_ONCE = "style sheets parsed once a deck"


@dataclass(frozen=True)
class Patch:
    name: str
    install: Callable[[], None]
    targets: tuple[tuple[str, str, str], ...]  # (module, qualified name, sha256 of its source) relied upon


@dataclass(frozen=True)
class Status:
    applied: tuple[str, ...]
    skipped: tuple[str, ...]  # upstream changed
    off: bool  # DECK2PDF_NO_PATCHES

    def summary(self, versions: str) -> str:
        """One line for -v, e.g. `WeasyPrint 70.0: 8 patches applied`."""
        if self.off:
            return f"{versions}: patches off ({OFF_VARIABLE}=1)"
        total = len(self.applied) + len(self.skipped)
        if not self.skipped:
            return f"{versions}: {total} patches applied"
        return (
            f"{versions}: {len(self.applied)} of {total} patches applied (upstream changed: {', '.join(self.skipped)})"
        )


_STATUS: Status | None = None


def install() -> Status:
    """Install the patches whose upstream functions are the ones they were written for (once per process)."""
    global _STATUS
    if _STATUS is not None:
        return _STATUS
    if switched_off():
        _STATUS = Status((), (), off=True)
        return _STATUS
    applied, skipped = [], []
    for patch in PATCHES:
        changed = [f"{module}.{name}" for module, name, digest in patch.targets if fingerprint(module, name) != digest]
        if changed:
            log.debug("patch '%s' skipped: %s changed upstream", patch.name, ", ".join(changed))
            skipped.append(patch.name)
            continue
        patch.install()
        applied.append(patch.name)
    _STATUS = Status(tuple(applied), tuple(skipped), off=False)
    return _STATUS


def switched_off() -> bool:
    """Whether DECK2PDF_NO_PATCHES turns the patches off."""
    return os.environ.get(OFF_VARIABLE, "").strip() not in ("", "0")


@contextmanager
def libraries_by_soname() -> Iterator[None]:
    """While importing WeasyPrint: it tries several names for each library, and cffi runs ldconfig and gcc
    (ctypes' find_library) for every name that is not a file, half of the import's time. On Linux the sonames it
    also tries load directly, so the search is skipped (and done after all if the import fails). Not in a
    process with other threads (a host program), where swapping a standard library function is not safe."""
    import ctypes.util
    import sys
    import threading

    if switched_off() or not sys.platform.startswith("linux") or threading.active_count() > 1:
        yield
        return
    find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = find_library


def fingerprint(module: str, name: str) -> str | None:
    """The SHA-256 of an upstream function's source (None when it is gone)."""
    try:
        value: Any = import_module(module)
        for part in name.split("."):
            value = getattr(value, part)
        source = inspect.getsource(value.fget if isinstance(value, property) else value)  # type: ignore[arg-type]
    except (ImportError, AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256(source.encode()).hexdigest()


def applied(name: str) -> bool:
    """Whether the patch `name` is installed in this process."""
    return _STATUS is not None and name in _STATUS.applied


@contextmanager
def active() -> Iterator[None]:
    """Let the installed patches act in this block (this thread and context only)."""
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _is_decks(font_config: Any, counter_style: Any) -> bool:
    """Whether a document is one of the deck's (rendered with its shared font configuration and counters)."""
    return bool(_DECK) and font_config is _DECK["font_config"] and counter_style is _DECK["counter_style"]


def start_deck(font_config: Any, counter_style: Any) -> None:
    """Forget what the last deck's documents shared; the documents rendered with these two objects are the new
    deck's, and share its parsed style sheets and computed styles."""
    _DECK.update(font_config=font_config, counter_style=counter_style)
    _SHEETS.clear()
    _STYLES.clear()
    _LANGS.clear()
    _COMPUTED.clear()


@contextmanager
def font_standins(store: Path) -> Iterator[None]:
    """While in the block, plain fonts are written as stand-ins, their originals kept in `store` (see fonts.py):
    the chunks of a deck are joined with one copy of each font. Without the patch each chunk embeds its own."""
    store.mkdir(parents=True, exist_ok=True)
    token = _FONT_STORE.set(store)
    try:
        yield
    finally:
        _FONT_STORE.reset(token)


def _font_standins() -> None:
    """WeasyPrint subsets and embeds each font per document; a deck rendered in chunks would carry one subset
    per chunk of every font. Font.clean writes a stand-in (MARK + the original's file name in the store) for a
    plain, static font instead; the join subsets the original once for all chunks (fonts.merge)."""
    from weasyprint.pdf import fonts

    from .fonts import MARK

    original = fonts.Font.clean

    def clean(self: Any, to_unicode: Any, hinting: Any) -> None:
        store = _FONT_STORE.get()
        plain = not (self.missing or self.png or self.svg or self.colr or "fvar" in self.tables or self.bitmap)
        if store is None or not _ACTIVE.get() or not plain or not to_unicode:
            return original(self, to_unicode, hinting)
        from ..files import write_atomic

        digest = hashlib.sha256(self.file_content).hexdigest()
        path = store / f"{digest}-{self.index}.font"
        if not path.exists():
            write_atomic(path, self.file_content)
        # The first bytes tell WeasyPrint whether it is an OpenType (CFF) or TrueType font program.
        self.file_content = self.file_content[:4] + MARK + path.name.encode()
        return None

    fonts.Font.clean = clean


def _encode_images_once() -> None:
    """WeasyPrint decodes and compresses a PNG image again for every document that shows it: a logo on every
    slide was compressed once per chunk. The compressed data of the same pixels is the
    same: it is kept (the most recently used, up to 64 MB in all)."""
    import hashlib

    from weasyprint.images import RasterImage

    original = RasterImage._get_png_data

    def get_png_data(pillow_image: Any) -> bytes:
        if not _ACTIVE.get():
            return original(pillow_image)
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
    return _is_hint(declarations, "-weasy-anchor")


def _is_hint(declarations: Any, name: str) -> bool:
    """Whether `declarations` are the one that WeasyPrint makes of an attribute (`-weasy-anchor` of an id...)."""
    return len(declarations) == 1 and getattr(declarations[0], "lower_name", None) == name


def _compute_styles_once() -> None:
    """WeasyPrint's StyleFor.__init__, the cascade and computed styles of a document, with four changes (marked
    "deck2pdf"), each checked byte for byte:

    - Equal `style` attributes share one parse. WeasyPrint gives like elements (the same rules and declarations,
      under a parent of the same style) one shared computed style, but parsed each `style` attribute anew, so no
      two table cells with `style="text-align:left"` (every aligned Markdown column) shared theirs.
    - The documents of a deck share computed styles: WeasyPrint shared them only within a document, so every
      chunk computed html, body, the slide frame, every paragraph again; and an element whose style is shared
      gets no cascade built. Documents with the deck's fonts and base URL (so the same inputs to every style)
      share them. An element with declarations no other can have (an id) keeps a style of its own, as before,
      and its subtree's styles are not kept past the document. A `lang` attribute's declaration is shared by
      language like a style attribute's (the print HTML's `<html lang>` made every style the document's own).
    - A pseudo-element's style is computed when first asked for (`__call__`): WeasyPrint's own style sheet gives
      every element ::marker, ::footnote-call and four more, and WeasyPrint computed all six for every element,
      used or not. One that names an anchor (needed in advance) is at once.
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

    original_init, original_call = StyleFor.__init__, StyleFor.__call__
    original_overflow = build.set_viewport_overflow

    def __init__(  # noqa: N807 - patching a class
        self: Any, html: Any, sheets: Any, presentational_hints: Any, font_config: Any, target_collector: Any
    ) -> None:
        if not _ACTIVE.get():
            return original_init(self, html, sheets, presentational_hints, font_config, target_collector)
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
            elif _is_hint(declarations, "-weasy-lang") and element.get("lang") is not None:
                declarations = _LANGS.setdefault(element.get("lang"), declarations)  # deck2pdf
            else:
                own.add(element)  # deck2pdf
            style = cascaded_styles.setdefault((element, None), {})
            # deck2pdf: all of an element's declarations (WeasyPrint kept its last), since they are shared now
            elements_declarations[element] = elements_declarations.get(element, ()) + tuple(declarations)
            for name, values, importance in preprocess_declarations(base_url, declarations):
                precedence = declaration_precedence("author", importance)
                weight = (precedence, layer_order, specificity)
                old_weight = style.get(name, (None, None))[1]
                if old_weight is None or old_weight <= weight:
                    style[name] = values, weight

        # deck2pdf: the deck's styles, kept across its documents, then this document's own.
        deck = _COMPUTED.setdefault(html.base_url, {}) if font_config is _DECK.get("font_config") else {}
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
        waiting = getattr(self, "_deck2pdf_pending", None)  # absent where WeasyPrint's own __init__ ran
        pending = waiting.pop((element, pseudo_type), None) if waiting else None
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
        if not _ACTIVE.get():
            return original_overflow(root_box)
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


def _html_scan_expressions_kept() -> None:
    """tinyhtml5, WeasyPrint's HTML parser, means to keep the regular expression for each set of characters it
    scans text for, but stores it under the wrong key (the compiled expression, not the characters), so it made
    and looked up the expression again for every run of text. It now finds it kept. An upstream bug, ready to
    report: in `HTMLUnicodeInputStream.chars_until`, `characters = characters_until_regex[(characters, opposite)]
    = regex` assigns `characters` first, so the key holds the compiled expression."""
    import re

    from tinyhtml5 import inputstream

    class Expressions(dict[tuple[Any, bool], Any]):
        def __missing__(self, key: tuple[Any, bool]) -> Any:
            if not _ACTIVE.get():
                raise KeyError(key)  # tinyhtml5's own path
            characters, opposite = key  # made as tinyhtml5 makes it
            expression = "".join(f"\\x{ord(c):02x}" for c in characters)
            value = self[key] = re.compile(f"[{expression if opposite else '^' + expression}]+")
            return value

    inputstream.characters_until_regex = Expressions()


def _percentages_resolved_inline() -> None:
    """WeasyPrint resolves the 17 lengths of a box (margins, paddings, sizes) through two calls each, and does so
    for every box at every layout pass. The same arithmetic, inline; anything but a plain
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
        if not _ACTIVE.get():
            return original(box, containing_block)
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
        if _ACTIVE.get() and kind in ("linear-gradient", "radial-gradient"):
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
        if not (_ACTIVE.get() and _is_decks(font_config, counter_style)):
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
            with recorded("weasyprint") as records:
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


_MARGIN_BOXES = (
    *(f"@top-{x}" for x in ("left", "center", "right")),
    *(f"@bottom-{x}" for x in ("left", "center", "right")),
    *(f"@left-{x}" for x in ("top", "middle", "bottom")),
    *(f"@right-{x}" for x in ("top", "middle", "bottom")),
    *(f"@{y}-{x}-corner" for y in ("top", "bottom") for x in ("left", "right")),
)


def _skip_empty_margin_boxes() -> None:
    """WeasyPrint builds the 16 margin boxes of every page (styles, percentages, sizes) even when none has content,
    and then draws none of them. A page whose margin boxes all have no
    content (`normal`, `none` or `inhibit`: what WeasyPrint itself tests) gets none. (WeasyPrint's own style
    sheet styles every margin box: testing only for a style would skip none.)"""
    from weasyprint import layout

    original = layout.make_margin_boxes

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        if not _ACTIVE.get():
            return original(context, page, state)
        for name in _MARGIN_BOXES:
            style = context.style_for(page.page_type, name)
            if style is None:
                style = page.style.anonymous_style
            if style["content"] not in ("normal", "inhibit", "none"):  # what WeasyPrint builds a box for
                return original(context, page, state)
        return ()

    layout.make_margin_boxes = make_margin_boxes


def _target(module: str, name: str) -> tuple[str, str, str]:
    return module, name, _WRITTEN_FOR.get((module, name), "")


# The SHA-256 of each upstream function's source in WeasyPrint 70.0 and tinyhtml5 2.1.0, which the patches were
# written for. To upgrade: read each function's changes, mend the patch, run `python -m deck2pdf.rendering.patches`
# to print the new digests, and run the tests (ARCHITECTURE.md, "Upgrading WeasyPrint").
_WRITTEN_FOR: dict[tuple[str, str], str] = {
    ("weasyprint.layout", "make_margin_boxes"): "4a2d2e301eb3bc47c2812d1502d4d6ce3b65922a76e69fb45c11a5ae353198a7",
    ("weasyprint.css.computed_values", "image"): "867e2ffdd9cfe8c0c001bcf3c30c785b0d122e3b7075a9a8bdceebeaddfd80b5",
    (
        "weasyprint.css.computed_values",
        "background_image",
    ): "ccd151034ec1a6a20dfa0cb912086fbf17765499dffe71ea831be55909c628b9",
    ("weasyprint.css", "find_stylesheets"): "ac92dbb80c3fd936f05ccb33501b54a438e03126b2ae756adcaa1d3a6958b0ca",
    (
        "weasyprint.images",
        "RasterImage._get_png_data",
    ): "da00cfefb979545130b958c5437c8ac62be7dfe939261f9a8196a8a6c5e899c2",
    ("weasyprint.css", "StyleFor.__init__"): "b1e725a7552502aa00f0bc07aec79c1aa49365b107a889085161f8d6a4c4a836",
    ("weasyprint.css", "StyleFor.__call__"): "96b91915ae7c344a8a4ea9ed112ffa1d7bde9087decb7e9ce723940b849c3936",
    (
        "weasyprint.css",
        "StyleFor.set_computed_styles",
    ): "b5b15856b8beff3f49e20ac0309d7b45fb2a5192d826dd65e05b3009b8285c46",
    (
        "weasyprint.formatting_structure.build",
        "set_viewport_overflow",
    ): "9caeb8889669718d4960059a274a45f0f6d11c32d3c741de8ba8119d81ca1b31",
    (
        "tinyhtml5.inputstream",
        "HTMLUnicodeInputStream.chars_until",
    ): "dfe353323dff1fdc908f4b24439adf34dc7049a990f6aed3ddf6937afb993c58",
    (
        "weasyprint.layout.percent",
        "resolve_percentages",
    ): "71673078096fcf8764e6412933288cc79ba956eae0d939deda27beaeac45acad",
    ("weasyprint.layout.percent", "percentage"): "ebe404ccd9da50bfc1cd147b8378c34ae1ca6b4ce38a97c0acca923116fcf0d9",
    ("weasyprint.pdf.fonts", "Font.clean"): "794f0211f18453f1a291056fcd6659cdcb262f7c1133cf5b2ea015df379c6813",
    ("weasyprint.pdf.fonts", "Font.type"): "31376bf9b326ac58403187f045eb3b823ef5cf26ec2a6a4af88f436266a0bd98",
    (
        "weasyprint.pdf.fonts",
        "build_fonts_dictionary",
    ): "fc551bef35d0d6c3d288f686fd21b5ea8c1efadb8f2f3b4d379cfa6045c02230",
}

PATCHES: tuple[Patch, ...] = (
    Patch(
        "empty margin boxes skipped",
        _skip_empty_margin_boxes,
        (_target("weasyprint.layout", "make_margin_boxes"),),
    ),
    Patch(
        "gradients per element",
        _gradients_per_element,
        (
            _target("weasyprint.css.computed_values", "image"),
            _target("weasyprint.css.computed_values", "background_image"),  # calls `image` by name
        ),
    ),
    Patch(
        SHEETS_PARSED_ONCE,
        _reuse_sheets,
        (_target("weasyprint.css", "find_stylesheets"),),
    ),
    Patch(
        "images compressed once",
        _encode_images_once,
        (_target("weasyprint.images", "RasterImage._get_png_data"),),
    ),
    Patch(
        "computed styles shared",
        _compute_styles_once,
        (
            _target("weasyprint.css", "StyleFor.__init__"),
            _target("weasyprint.css", "StyleFor.__call__"),
            _target("weasyprint.css", "StyleFor.set_computed_styles"),
            _target("weasyprint.formatting_structure.build", "set_viewport_overflow"),
        ),
    ),
    Patch(
        "HTML scan expressions kept",
        _html_scan_expressions_kept,
        (_target("tinyhtml5.inputstream", "HTMLUnicodeInputStream.chars_until"),),
    ),
    Patch(
        "box lengths resolved inline",
        _percentages_resolved_inline,
        (
            _target("weasyprint.layout.percent", "resolve_percentages"),
            _target("weasyprint.layout.percent", "percentage"),
        ),
    ),
    Patch(
        "font stand-ins",
        _font_standins,
        (
            _target("weasyprint.pdf.fonts", "Font.clean"),
            _target("weasyprint.pdf.fonts", "Font.type"),
            _target("weasyprint.pdf.fonts", "build_fonts_dictionary"),  # when clean() is called, what it reads after
        ),
    ),
)


if __name__ == "__main__":  # print the digests of the upstream functions installed now (see _WRITTEN_FOR)
    for patch in PATCHES:
        for module, name, _ in patch.targets:
            print(f'    ("{module}", "{name}"): "{fingerprint(module, name)}",')
