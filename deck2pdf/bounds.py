"""Bounds on the markup whose cost grows without limit in WeasyPrint, applied before WeasyPrint sees it.

A few bytes can ask for unbounded work: `grid-column: 1 / 100000000` (a track per line), `repeat(100000000, 1px)`,
custom properties that each use the previous one several times (`--b: var(--a) var(--a)`: the expansion doubles
with each), an SVG whose `<use>` elements each draw a group of `<use>`s (it multiplies with each). Browsers
clamp grid lines and drop runaway var() expansions; WeasyPrint 70 has no such limits. So CSS is read with
tinycss2 and SVG with a parser, and what is over a limit is clamped (grid) or dropped (a custom property, the
`<use>`s of an SVG), as a browser would rather than fail the deck. Text under every limit is returned unchanged.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import tinycss2

MAX_SHEET_BYTES = 8 * 2**20  # a style sheet larger than this is not one (WeasyPrint would spend minutes on it)
GRID_LINES = 1000  # grid line numbers, spans and repeat() counts are clamped to this (Chrome's old limit)
VAR_TOKENS = 10_000  # a custom property that expands to more tokens than this is dropped
SVG_NODES = 10_000  # an SVG that draws more elements than this, counting what <use> and markers repeat, loses them

LENGTH = 100_000  # a length or percentage larger than this (px, em, %...) is clamped to it
_UNITS = "px em rem ex rex ch rch cap rcap ic ric lh rlh cm mm q in pt pc"  # and the viewport's, below
_LENGTH_UNITS = frozenset(_UNITS.split()) | frozenset(
    f"{size}v{axis}" for size in ("", "s", "l", "d") for axis in ("w", "h", "i", "b", "min", "max")
)
# A cheap necessary condition for a change: what a limit is about, however escaped (`\69` in CSS, `&#105;` in
# a style attribute read raw), or a number that may be over one.
_MAY_NEED = re.compile(r"grid|var\(|--|\\|&#|\d{4}|\d[eE][+-]?\d", re.IGNORECASE)


def may_need_bounds(text: str) -> bool:
    """Whether CSS (or HTML carrying CSS) may hold something over a limit: else it needs no parse."""
    return _MAY_NEED.search(text) is not None or text.count("{") + text.count("(") + text.count("[") > MAX_CSS_DEPTH


# How deeply CSS blocks ({}, (), []) may nest: real style sheets nest a few levels (@media, @supports, nesting);
# serializers and layout engines recurse once a level, so 500 levels is a RecursionError, not a style.
MAX_CSS_DEPTH = 64


def css_depth(nodes: Iterable[Any]) -> int:
    """How deeply the blocks of parsed CSS (tinycss2 nodes) nest, counted without recursion."""
    deepest = 0
    todo = [(node, 1) for node in nodes]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        for attr in ("content", "prelude", "arguments", "value"):
            inner = getattr(node, attr, None)
            if isinstance(inner, list):
                todo.extend((child, depth + 1) for child in inner)
    return deepest


_GRID_PLACEMENT = frozenset(
    f"grid-{p}" for p in ("row", "column", "row-start", "row-end", "column-start", "column-end", "area")
)
_GRID_TEMPLATE = frozenset(
    f"grid{p}" for p in ("", "-template", "-template-columns", "-template-rows", "-auto-columns", "-auto-rows")
)
_XLINK = "{http://www.w3.org/1999/xlink}href"


# A custom property's value as far as its expansion goes: its own tokens, and the var()s it uses (each with the
# shape of its fallback). Plain tuples, not tinycss2's nodes: kept in caches, they cost the collector nothing.
Shape = tuple[int, tuple[tuple[str, "Shape"], ...]]
Definitions = Mapping[str, list[Shape]]


def css_definitions(css: str, *, declarations: bool = False) -> dict[str, list[Shape]]:
    """Every custom property a style sheet (or a declaration list) defines: name -> the shapes of its values."""
    if "--" not in css and "\\" not in css:  # (an escaped name still has its backslash)
        return {}
    return {name: list(shapes) for name, shapes in _definitions(css, declarations)}


@functools.lru_cache(maxsize=256)  # the theme's sheets, for every deck of a batch or --watch
def _definitions(css: str, declarations: bool) -> tuple[tuple[str, tuple[Shape, ...]], ...]:
    found: dict[str, tuple[Shape, ...]] = {}
    for decl in _declarations(css, declarations):
        if decl.name.startswith("--"):
            found[decl.name] = (*found.get(decl.name, ()), _shape(decl.value))
    return tuple(found.items())


def _shape(tokens: Iterable[Any]) -> Shape:
    plain, uses = 0, []
    for token in tokens:
        if token.type == "function" and token.lower_name == "var":
            args = [a for a in token.arguments if a.type not in ("whitespace", "comment")]
            if args and args[0].type == "ident":
                uses.append((args[0].value, _shape(token.arguments[1:])))
                continue
        plain += 1
        nested = getattr(token, "arguments", None) or getattr(token, "content", None)
        if isinstance(nested, list):
            inner, inner_uses = _shape(nested)
            plain += inner
            uses += inner_uses
    return plain, tuple(uses)


def runaway(defined: Definitions) -> frozenset[str]:
    """The custom properties that expand to more than VAR_TOKENS tokens, given every definition a document makes
    (its sheets' and its slides': a chain may run through all of them)."""
    sizes = _Expansion(defined)
    return frozenset(name for name in defined if sizes.of(name) > VAR_TOKENS)


def bounded_css(css: str, *, declarations: bool = False, dropped: frozenset[str] = frozenset()) -> str:
    """`css` (a style sheet, or with `declarations` a style attribute's declarations) within the limits above.
    `dropped`: the document's `runaway` custom properties (this CSS's own are found here too)."""
    if not may_need_bounds(css):
        return css
    dropped = dropped | runaway(css_definitions(css, declarations=declarations))
    changed = False

    def bound(decl: Any) -> Any:
        nonlocal changed
        name = decl.lower_name
        if decl.name.startswith("--"):
            if decl.name in dropped:
                changed = True
                return None
        elif name in _GRID_PLACEMENT or name in _GRID_TEMPLATE:
            value = _clamped(decl.value, repeat_only=name in _GRID_TEMPLATE)
            if value is not decl.value:
                changed = True
                decl.value = value
        value = _short(decl.value)
        if value is not decl.value:
            changed = True
            decl.value = value
        return decl

    items = tinycss2.parse_blocks_contents(css) if declarations else tinycss2.parse_stylesheet(css)
    shallow = [item for item in items if css_depth([item]) <= MAX_CSS_DEPTH]  # deeper: dropped, whole
    changed = len(shallow) < len(items)  # (before `bound` runs, which may set it too)
    out = (_bounded_declarations if declarations else _bounded_rules)(shallow, bound)
    return out if changed else css


def _declarations(css: str, declarations: bool) -> Iterable[Any]:
    if declarations:
        yield from (d for d in tinycss2.parse_blocks_contents(css) if d.type == "declaration")
        return
    todo = list(tinycss2.parse_stylesheet(css))
    while todo:
        rule = todo.pop()
        if rule.type in ("qualified-rule", "at-rule") and rule.content is not None:
            for item in tinycss2.parse_blocks_contents(rule.content):
                if item.type == "declaration":
                    yield item
                elif item.type in ("qualified-rule", "at-rule"):
                    todo.append(item)


@functools.lru_cache(maxsize=64)
def bounded_sheet(css: str, dropped: frozenset[str]) -> str:
    """`bounded_css` of a whole style sheet, kept: each render reads the theme's sheets again."""
    return bounded_css(css, dropped=dropped)


def _bounded_rules(rules: Sequence[Any], bound: Callable[[Any], Any]) -> str:
    out = []
    for rule in rules:
        if rule.type == "error":  # what does not parse is dropped, as a browser drops it
            continue
        if rule.type in ("qualified-rule", "at-rule") and rule.content is not None:
            inner = _bounded_declarations(tinycss2.parse_blocks_contents(rule.content), bound)
            head = rule.prelude if rule.type == "qualified-rule" else [*rule.prelude]
            at = f"@{rule.at_keyword}" if rule.type == "at-rule" else ""
            out.append(f"{at}{tinycss2.serialize(head)}{{{inner}}}")
        else:
            out.append(rule.serialize())
    return "".join(out)


def _bounded_declarations(items: Sequence[Any], bound: Callable[[Any], Any]) -> str:
    out = []
    for item in items:
        if item.type == "declaration":
            kept = bound(item)
            if kept is not None:
                out.append(f"{kept.serialize()};")
        elif item.type in ("qualified-rule", "at-rule"):  # nested rules
            out.append(_bounded_rules([item], bound))
        elif item.type != "error":  # what does not parse is dropped, as a browser drops it
            out.append(item.serialize())
    return "".join(out)


def _clamped(tokens: list[Any], *, repeat_only: bool) -> list[Any]:
    """The tokens with every integer over GRID_LINES (a grid line, a span, a repeat() count) clamped; the same
    list when none is."""
    changed = False

    def clamp(token: Any) -> Any:
        nonlocal changed
        if token.type == "number" and token.is_integer and abs(token.int_value) > GRID_LINES:
            changed = True
            value = GRID_LINES if token.int_value > 0 else -GRID_LINES
            return tinycss2.ast.NumberToken(token.source_line, token.source_column, value, value, str(value))
        return token

    out = []
    for token in tokens:
        if token.type == "function" and token.lower_name == "repeat" and token.arguments:
            args = [clamp(token.arguments[0]), *token.arguments[1:]]
            token = tinycss2.ast.FunctionBlock(token.source_line, token.source_column, token.name, args)
        elif not repeat_only:
            token = clamp(token)
        out.append(token)
    return out if changed else tokens


def _short(tokens: list[Any]) -> list[Any]:
    """The tokens with every length and percentage over LENGTH clamped (`font-size: 1e30px` breaks WeasyPrint's
    arithmetic; browsers clamp lengths too); the same list when none is."""
    out, changed = [], False
    for token in tokens:
        long = token.type == "percentage" or (token.type == "dimension" and token.lower_unit in _LENGTH_UNITS)
        if long and abs(token.value) > LENGTH:
            changed = True
            value = LENGTH if token.value > 0 else -LENGTH
            if token.type == "dimension":
                token = tinycss2.ast.DimensionToken(
                    token.source_line, token.source_column, value, value, str(value), token.unit
                )
            else:
                token = tinycss2.ast.PercentageToken(token.source_line, token.source_column, value, value, str(value))
        elif token.type == "function":
            arguments = _short(token.arguments)
            if arguments is not token.arguments:
                changed = True
                token = tinycss2.ast.FunctionBlock(token.source_line, token.source_column, token.name, arguments)
        out.append(token)
    return out if changed else tokens


class _Expansion:
    """How many tokens each custom property expands to (the largest of its definitions), var() resolved."""

    def __init__(self, defined: Definitions) -> None:
        self.defined = defined
        self.sizes: dict[str, int] = {}

    def of(self, name: str) -> int:
        try:
            return self._of(name)
        except RecursionError:  # a chain of thousands of properties
            return VAR_TOKENS + 1

    def _of(self, name: str) -> int:
        if name not in self.sizes:
            self.sizes[name] = 0  # a cycle makes the properties invalid: they expand to nothing
            self.sizes[name] = max((self._count(v) for v in self.defined.get(name, [])), default=1)
        return self.sizes[name]

    def _count(self, shape: Shape) -> int:
        total, uses = shape
        for name, fallback in uses:
            total += max(self._of(name), self._count(fallback))
            if total > VAR_TOKENS:
                return total  # enough to know
        return total


def svg_too_large(data: bytes) -> bool:
    """Whether an SVG file draws more than SVG_NODES elements (one that does not parse is not: WeasyPrint says
    so itself)."""
    if b"use" not in data and b"marker" not in data:
        return False
    try:
        root = ET.fromstring(data)  # noqa: S314 - expat refuses entity-expansion bombs; nothing is fetched
    except (ET.ParseError, ValueError):
        return False
    return svg_draws(root) > SVG_NODES


def svg_draws(root: ET.Element) -> int:
    """How many elements an SVG draws, counting each element a `<use>` repeats (and what those repeat)."""
    by_id = {_same_id(el.get("id", "")): el for el in root.iter() if el.get("id")}
    # Markers set by a <style> element's rules: counted on every element (the rules' selectors are not matched).
    styled = [
        m
        for el in root.iter()
        if _local_name(el.tag) == "style"
        for m in _marker_ids(el.text or "", declarations=False)
    ]
    sizes: dict[int, int] = {}

    def size(el: ET.Element) -> int:
        key = id(el)
        if key in sizes:
            return sizes[key]
        sizes[key] = 0  # a <use> that reaches itself draws nothing (SVG says such a reference is an error)
        total = 1 + sum(size(child) for child in el)
        if _local_name(el.tag) == "use":
            ref = (el.get("href") or el.get(_XLINK) or el.get("xlink:href") or "").strip()
            # `#id`, and `file.svg#id`: WeasyPrint reads a reference to the file itself as one to its own ids.
            target = by_id.get(_same_id(ref.rsplit("#", 1)[1])) if "#" in ref else None
            if target is not None:
                total += size(target)
        for ref in _markers(el, styled):  # a marker is drawn at vertices: its contents (and their markers) again
            target = by_id.get(_same_id(ref))
            if target is not None:
                total += _vertices(el) * size(target)
        sizes[key] = min(total, SVG_NODES + 1)
        return sizes[key]

    try:
        return size(root)
    except RecursionError:  # nested thousands deep
        return SVG_NODES + 1


_MARKER_PROPERTIES = frozenset({"marker", "marker-start", "marker-mid", "marker-end"})
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _markers(el: ET.Element, styled: list[str]) -> list[str]:
    """The ids of the markers an element draws (marker, marker-start/-mid/-end: attributes, style, <style>)."""
    if _local_name(el.tag) not in _SHAPES:
        return []
    own = [f"{name}:{value}" for name, value in el.attrib.items() if name.lower() in _MARKER_PROPERTIES]
    return [i for css in [*own, el.get("style", "")] for i in _marker_ids(css, declarations=True)] + styled


def _marker_ids(css: str, *, declarations: bool) -> list[str]:
    """The ids the marker properties of CSS (a style attribute's declarations, or a style sheet) name."""
    ids = []
    for decl in _declarations(css, declarations):
        if decl.lower_name not in _MARKER_PROPERTIES:
            continue
        for token in decl.value:
            if token.type == "url":
                ref = token.value
            elif token.type == "function" and token.lower_name == "url" and token.arguments:
                ref = getattr(token.arguments[0], "value", "")
            else:
                continue
            if "#" in ref:
                ids.append(ref.rsplit("#", 1)[1])
    return ids


def _vertices(el: ET.Element) -> int:
    """At most how many vertices a shape has (each may draw a marker)."""
    data = el.get("points") or el.get("d") or ""
    return max(2, len(_NUMBER.findall(data)) // 2 + 1)


_SHAPES = frozenset({"path", "line", "polyline", "polygon"})


def _same_id(text: str) -> str:
    """An id or a reference to one as WeasyPrint matches them: without tabs and line breaks, %-escapes read."""
    return unquote(re.sub(r"[\t\n\r]", "", text))


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()
