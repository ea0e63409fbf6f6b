"""Turn one slide's Markdown into HTML with Python-Markdown, reading it the way marked 0.3 (Cleaver's parser) did.

Python-Markdown's own grammar differs from marked's in ways decks depend on (a list straight after a paragraph
line, two-space nesting, a fence under a list item, HTML blocks that end at the line, Markdown inside HTML blocks,
emphasis where marked finds it: `** x **`, `a * b * c`, not `pre__fix__post`). So this extension swaps in ports of
marked 0.3.19's block lexer and inline lexer (GFM rules, as Cleaver sets them), regexes transliterated from its
source, and keeps Python-Markdown for the rest: the element tree, the HTML stash, serialising, and any further
extension. Deliberate differences: `#Title` (no space) is a heading, as it was in the marked 0.2 that most decks
were written for; an e-mail autolink `<a@b.org>` is written plainly where marked hides it behind random
character references (the same text shows).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree  # noqa: N813 - Python-Markdown's own name for it
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor, RawHtmlPostprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, AtomicString, Registry, code_escape

# marked's regexes are JavaScript: their \s also takes U+3000 and the other Unicode spaces, `.` stops at U+2028 and
# U+2029 as at \n, `$` is the end of the text (of a line with the m flag, where `^` also starts one after U+2028),
# and a back-reference to a group that has not matched (or is still open) matches nothing where Python's fails.
# `_js` rewrites each such part for Python; \w, \b and \d are ASCII in both (re.ASCII).
_JS_WHITESPACE = (  # what JavaScript's \s matches
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_LINE_END = "\n\r\u2028\u2029"


def _js(source: str, multiline: bool = False, native_lines: bool = False) -> re.Pattern[str]:
    """Compile a regex written for JavaScript (`multiline`: its m flag) to one that matches the same in Python
    (`native_lines`: in a text whose only line end is \\n, where Python's own `^` and `$` are JavaScript's)."""
    out: list[str] = []
    in_class = False
    groups: list[int | None] = []  # the open parentheses: a capturing group's number, or None
    count = 0
    parts = re.findall(r"\\\d+|\\.|\(\?[:=!]|.", source, re.S)
    for part in parts:
        if in_class:
            if part == "]":
                in_class = False
            elif part == r"\s":
                part = _JS_WHITESPACE
            # inside a class \S only ever appears as `[\s\S]` (any character): Python's is the same there
        elif part == "[":
            in_class = True
        elif part == "(":
            count += 1
            groups.append(count)
        elif part.startswith("(?"):
            groups.append(None)
        elif part == ")":
            groups.pop()
        elif part == r"\s":
            part = f"[{_JS_WHITESPACE}]"
        elif part == r"\S":
            part = f"[^{_JS_WHITESPACE}]"
        elif part == ".":
            part = f"[^{_JS_LINE_END}]"
        elif part == "$" and not native_lines:
            part = f"(?=[{_JS_LINE_END}]|\\Z)" if multiline else r"\Z"
        elif part == "^" and multiline:
            part = f"(?:\\A|(?<=[{_JS_LINE_END}]))"
        elif re.fullmatch(r"\\[1-9]\d*", part):
            number = int(part[1:])
            part = "" if number in groups else f"(?({number}){part})"
        out.append(part)
    return re.compile("".join(out), re.ASCII | (re.MULTILINE if native_lines else 0))


class _JsLines:
    """A JavaScript regex with the m flag, where `^` and `$` also meet U+2028 and U+2029. Python's own `^` and `$`
    (re.MULTILINE) are the same in a text without them, and four times faster than the lookarounds that stand for
    them otherwise: that text is read with them."""

    def __init__(self, source: str) -> None:
        self.native = _js(source, native_lines=True)
        self.exact = _js(source, multiline=True)

    def _for(self, text: str) -> re.Pattern[str]:
        return self.exact if "\u2028" in text or "\u2029" in text or "\r" in text else self.native

    def sub(self, repl: str, text: str) -> str:
        return self._for(text).sub(repl, text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self._for(text).finditer(text)


def _replace_first(text: str, name: str, value: str) -> str:
    """JavaScript's text.replace(name, value) for a string `name`: only its first occurrence is replaced, and `$$`,
    `$&`, `` $` `` and `$'` in `value` mean `$`, the match, the text before it and the text after it."""
    at = text.find(name)
    if at < 0:
        return text
    end = at + len(name)
    special = {"$$": "$", "$&": name, "$`": text[:at], "$'": text[end:]}
    value = re.sub(r"\$[$&`']", lambda m: special[m.group(0)], value)
    return text[:at] + value + text[end:]


def _edit(source: str, *parts: tuple[str, str]) -> str:
    """marked's edit(rule).replace(name, value)...: each name in turn, its first occurrence only, becomes the value
    with its `^` anchors dropped (a `^` after `[` negates a class and stays)."""
    for name, value in parts:
        source = _replace_first(source, name, re.sub(r"(^|[^\[])\^", r"\1", value))
    return source


# The block grammar, assembled as marked 0.3.19 assembles `block.tables` (its GFM rules with tables, Cleaver's
# setting), from the sources in its lib/marked.js. A test compares each assembled source with marked's own.
_BULLET = r"(?:[*+-]|\d+\.)"
_TAG = (
    r"(?!(?:a|em|strong|small|s|cite|q|dfn|abbr|data|time|code|var|samp|kbd|sub|sup|i|b|u|mark|ruby|rt|rp"
    r"|bdi|bdo|span|br|wbr|ins|del|img)\b)\w+(?!:|[^\w\s@]*@)\b"
)
_HR = r"^ {0,3}((?:- *){3,}|(?:_ *){3,}|(?:\* *){3,})(?:\n+|$)"
_HEADING = r"^ *(#{1,6}) *([^\n]+?) *#* *(?:\n+|$)"  # marked's normal heading; its GFM one wants a space
_LHEADING = r"^([^\n]+)\n *(=|-){2,} *(?:\n+|$)"
_DEF = _edit(
    r"^ {0,3}\[(label)\]: *\n? *<?([^\s>]+)>?(?:(?: +\n? *| *\n *)(title))? *(?:\n+|$)",
    ("label", r"(?:\\[\[\]]|[^\[\]])+"),
    ("title", r"""(?:"(?:\\"|[^"]|"[^"\n]*")*"|'\n?(?:[^'\n]+\n?)*'|\([^()]*\))"""),
)
_ITEM = r"^( *)(bull) [^\n]*(?:\n(?!\1bull )[^\n]*)*".replace("bull", _BULLET)  # marked: replace(/bull/g, ...)
_LIST = _edit(
    r"^( *)(bull) [\s\S]+?(?:hr|def|\n{2,}(?! )(?!\1bull )\n*|\s*$)".replace("bull", _BULLET),
    ("hr", r"\n+(?=\1?(?:(?:- *){3,}|(?:_ *){3,}|(?:\* *){3,})(?:\n+|$))"),
    ("def", r"\n+(?=" + _DEF + ")"),
)
_HTML = _edit(
    r"^ *(?:comment *(?:\n|\s*$)|closed *(?:\n{2,}|\s*$)|closing *(?:\n{2,}|\s*$))",
    ("comment", r"<!--[\s\S]*?-->"),
    ("closed", r"<(tag)[\s\S]+?<\/\1>"),
    ("closing", r"""<tag(?:"[^"]*"|'[^']*'|\s[^'"\/>\s]*)*?\/?>"""),
).replace("tag", _TAG)  # marked: replace(/tag/g, ...)
# The paragraph of marked's normal grammar: a blockquote's lazy lines are read with it, GFM or not.
_PARAGRAPH = _edit(
    r"^([^\n]+(?:\n?(?!hr|heading|lheading| {0,3}>|tag)[^\n]+)+)",
    ("hr", _HR),
    ("heading", _HEADING),
    ("lheading", _LHEADING),
    ("tag", "<" + _TAG),
)
_BLOCKQUOTE = _edit(r"^( {0,3}> ?(paragraph|[^\n]*)(?:\n|$))+", ("paragraph", _PARAGRAPH))
_FENCES = r"^ *(`{3,}|~{3,})[ \.]*(\S+)? *\n([\s\S]*?)\n? *\1 *(?:\n+|$)"
# GFM's paragraph also stops before a fence and a list. The back-references renumbered here are marked's own:
# only the first `\1` of the list becomes `\3` (a group of the fence), the second one names the open paragraph.
_GFM_PARAGRAPH = _edit(
    _PARAGRAPH,
    ("(?!", "(?!" + _replace_first(_FENCES, r"\1", r"\2") + "|" + _replace_first(_LIST, r"\1", r"\3") + "|"),
)
SOURCES = {  # marked's `block.tables`, in its own (JavaScript) syntax
    "newline": r"^\n+",
    "code": r"^( {4}[^\n]+\n*)+",
    "fences": _FENCES,
    "hr": _HR,
    "heading": r"^ *(#{1,6}) +([^\n]+?) *#* *(?:\n+|$)",
    "nptable": r"^ *(\S.*\|.*)\n *([-:]+ *\|[-| :]*)\n((?:.*\|.*(?:\n|$))*)\n*",
    "blockquote": _BLOCKQUOTE,
    "list": _LIST,
    "html": _HTML,
    "def": _DEF,
    "table": r"^ *\|(.+)\n *\|( *[-:]+[-| :]*)\n((?: *\|.*(?:\n|$))*)\n*",
    "lheading": _LHEADING,
    "paragraph": _GFM_PARAGRAPH,
    "text": r"^[^\n]+",
    "item": _ITEM,
}
RULES = {name: _js(source) for name, source in SOURCES.items() if name != "item"}
# Deliberate: `#{1,6}` directly followed by text is a heading, as in the marked 0.2 most decks were written for
# (marked 0.3's GFM heading wants a space; its paragraph already stops before such a line).
RULES["heading"] = _js(_HEADING)
_ITEM_RULE = _JsLines(_ITEM)  # marked compiles it with the g and m flags
_BLANK_LINES = _JsLines(r"^ +$")
_QUOTE_MARKS = _JsLines(r"^ *> ?")
_CODE_INDENT = _JsLines(r"^ {4}")
_TRAILING_NEWLINES = _js(r"\n+$")
_LOOSE = _js(r"\n\n(?!\s*$)")
_HTML_WRAPPER = "marked-inline-html"  # carries an HTML block through inline parsing, then is removed
_NEWLINE = AtomicString("\n")  # what marked's renderer writes between blocks: never read as Markdown


@dataclass
class _Token:
    type: str
    text: str = ""
    depth: int = 0
    lang: str | None = None
    pre: bool = False
    children: list[_Token] = field(default_factory=list)  # blockquote body
    items: list[tuple[bool, list[_Token]]] = field(default_factory=list)  # list: (loose, body)
    start: str | None = None  # an ordered list's first number, as JavaScript writes it
    header: list[str] = field(default_factory=list)
    align: list[str | None] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)


def _align(spec: list[str]) -> list[str | None]:
    out: list[str | None] = []
    for cell in spec:
        if re.match(r"^ *-+: *$", cell):
            out.append("right")
        elif re.match(r"^ *:-+: *$", cell):
            out.append("center")
        elif re.match(r"^ *:-+ *$", cell):
            out.append("left")
        else:
            out.append(None)
    return out


def lex(src: str, top: bool = True, refs: dict[str, tuple[str, str | None]] | None = None) -> list[_Token]:
    """Cut Markdown into block tokens exactly as marked 0.3.19's Lexer.token does."""
    refs = {} if refs is None else refs
    src = _BLANK_LINES.sub("", src)
    tokens: list[_Token] = []
    while src:
        if m := RULES["newline"].match(src):
            src = src[m.end() :]
            if len(m.group(0)) > 1:
                tokens.append(_Token("space"))
        if not src:
            break
        if m := RULES["code"].match(src):
            src = src[m.end() :]
            text = _CODE_INDENT.sub("", m.group(0))
            tokens.append(_Token("code", text=_TRAILING_NEWLINES.sub("", text, count=1)))
            continue
        if m := RULES["fences"].match(src):
            src = src[m.end() :]
            tokens.append(_Token("code", text=m.group(3) or "", lang=m.group(2)))
            continue
        if m := RULES["heading"].match(src):
            src = src[m.end() :]
            tokens.append(_Token("heading", text=m.group(2), depth=len(m.group(1))))
            continue
        if top and (m := RULES["nptable"].match(src)):
            src = src[m.end() :]
            tokens.append(
                _Token(
                    "table",
                    header=_TABLE_SPLIT.split(_NPTABLE_HEADER_EDGES.sub("", m.group(1))),
                    align=_align(_TABLE_SPLIT.split(_TABLE_ALIGN_EDGES.sub("", m.group(2)))),
                    cells=[_TABLE_SPLIT.split(row) for row in _LAST_NEWLINE.sub("", m.group(3), count=1).split("\n")],
                )
            )
            continue
        if m := RULES["hr"].match(src):
            src = src[m.end() :]
            tokens.append(_Token("hr"))
            continue
        if m := RULES["blockquote"].match(src):
            src = src[m.end() :]
            # `top` is passed on: inside a quote at the top, paragraphs, tables and definitions are read as there.
            tokens.append(_Token("blockquote", children=lex(_QUOTE_MARKS.sub("", m.group(0)), top, refs)))
            continue
        if m := RULES["list"].match(src):
            src = src[m.end() :]
            tokens.append(_lex_list(m.group(0), m.group(2), refs))
            continue
        if m := RULES["html"].match(src):
            src = src[m.end() :]
            tokens.append(_Token("html", text=m.group(0), pre=m.group(1) in ("pre", "script", "style")))
            continue
        if top and (m := RULES["def"].match(src)):
            src = src[m.end() :]
            label = m.group(1).lower()
            # marked keeps its definitions in a plain JavaScript object, where these two names are already taken.
            if label not in refs and label not in ("constructor", "__proto__"):
                refs[label] = (m.group(2), m.group(3)[1:-1] if m.group(3) else None)
            continue
        if top and (m := RULES["table"].match(src)):
            src = src[m.end() :]
            tokens.append(
                _Token(
                    "table",
                    header=_TABLE_SPLIT.split(_NPTABLE_HEADER_EDGES.sub("", m.group(1))),
                    align=_align(_TABLE_SPLIT.split(_TABLE_ALIGN_EDGES.sub("", m.group(2)))),
                    cells=[
                        _TABLE_SPLIT.split(_TABLE_ROW_EDGES.sub("", row))
                        for row in _TABLE_LAST_NEWLINE.sub("", m.group(3), count=1).split("\n")
                    ],
                )
            )
            continue
        if m := RULES["lheading"].match(src):
            src = src[m.end() :]
            tokens.append(_Token("heading", text=m.group(1), depth=1 if m.group(2) == "=" else 2))
            continue
        if top and (m := RULES["paragraph"].match(src)):
            src = src[m.end() :]
            tokens.append(_Token("paragraph", text=m.group(1).removesuffix("\n")))
            continue
        if m := RULES["text"].match(src):
            src = src[m.end() :]
            tokens.append(_Token("text", text=m.group(0)))
            continue
        raise AssertionError(f"marked lexer made no progress at {src[:20]!r}")  # pragma: no cover
    return tokens


_TABLE_SPLIT = _js(r" *\| *")
_NPTABLE_HEADER_EDGES = _js(r"^ *| *\| *$")
_TABLE_ALIGN_EDGES = _js(r"^ *|\| *$")
_TABLE_ROW_EDGES = _js(r"^ *\| *| *\| *$")
_LAST_NEWLINE = _js(r"\n$")
_TABLE_LAST_NEWLINE = _js(r"(?: *\| *)?\n$")
_BULLET_AND_SPACES = _js(r"^ *([*+-]|\d+\.) +")


def _lex_list(block: str, bullet: str, refs: dict[str, tuple[str, str | None]]) -> _Token:
    ordered = len(bullet) > 1
    token = _Token("list", start=_js_number(bullet[:-1]) if ordered else None)
    items = [m.group(0) for m in _ITEM_RULE.finditer(block)]
    next_loose = False
    for i, item in enumerate(items):
        space = len(item)
        item = _BULLET_AND_SPACES.sub("", item, count=1)
        if "\n " in item:  # outdent the item's lines by the bullet's width, as marked does
            space -= len(item)
            item = _outdent(space).sub("", item)
        loose = next_loose or bool(_LOOSE.search(item))
        if i != len(items) - 1:
            next_loose = item.endswith("\n")
            loose = loose or next_loose
        token.items.append((loose, lex(item, False, refs)))
    return token


@functools.lru_cache(maxsize=64)
def _outdent(width: int) -> _JsLines:
    return _JsLines(f"^ {{1,{width}}}")


def _js_number(digits: str) -> str:
    """The number JavaScript reads from a list's digits (`+bull`), written as JavaScript writes it: the shortest
    digits that read back as the same double, zeros after them up to 1e21, exponent notation from there."""
    value = float(digits)
    if value == float("inf"):
        return "Infinity"
    shortest = repr(value)
    return format(Decimal(shortest).to_integral_value(), "f") if value < 1e21 else shortest


class MarkedBlockProcessor(BlockProcessor):
    """Parse the whole slide with marked's block grammar and build the element tree from it."""

    def test(self, parent: etree.Element, block: str) -> bool:
        return True

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        # The parser split on blank lines (joining restores the text); the newlines Python-Markdown appends
        # to the source are not in what marked was given.
        text = "\n\n".join(blocks).rstrip("\n")
        blocks.clear()
        refs: dict[str, tuple[str, str | None]] = {}
        tokens = lex(text, True, refs)
        for label, (href, title) in refs.items():
            self.parser.md.references.setdefault(label, (href, title))  # type: ignore[attr-defined, arg-type]
        self._refs = refs
        self._text_link = _LinkState()  # marked's second inline lexer, for heading ids, has its own inLink
        self._build(parent, tokens)
        return True

    def _heading_id(self, text: str) -> str:
        """marked's id for a heading: its text as rendered by a TextRenderer, references decoded, lower-cased,
        each run of non-word characters a `-`."""
        plain = _unescape(_text_of(text, self._refs, self._text_link))
        return re.sub(r"[^\w]+", "-", plain.lower(), flags=re.ASCII)

    def _build(self, parent: etree.Element, tokens: list[_Token], tight: bool = False) -> None:
        """Add the tokens' elements to `parent`, with the newlines marked's renderer writes between them."""
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            i += 1
            if tok.type == "text":
                lines = [tok.text]
                while i < len(tokens) and tokens[i].type == "text":
                    lines.append(tokens[i].text)
                    i += 1
                if tight:
                    _append_text(parent, "\n".join(lines))
                else:
                    _element(parent, "p", "\n".join(lines))
            elif tok.type == "paragraph":
                _element(parent, "p", tok.text)
            elif tok.type == "heading":
                _element(parent, f"h{tok.depth}", tok.text).set("id", self._heading_id(tok.text))
            elif tok.type == "code":
                # marked ends a block of code with a newline only when it names a language
                code = etree.SubElement(_element(parent, "pre", tail=_NEWLINE if tok.lang else None), "code")
                highlighted = highlight(tok.text + "\n", tok.lang) if tok.lang else None
                if highlighted is not None:
                    code.set("class", f"lang-{tok.lang} highlight")
                    code.text = AtomicString(self.parser.md.htmlStash.store(highlighted))  # type: ignore[attr-defined]
                else:
                    if tok.lang:
                        code.set("class", f"lang-{tok.lang}")
                    code.text = AtomicString(code_escape(tok.text + "\n"))  # an entity in code shows as written
            elif tok.type == "hr":
                _element(parent, "hr")
            elif tok.type == "blockquote":
                self._build(_element(parent, "blockquote", _NEWLINE), tok.children)
            elif tok.type == "list":
                el = _element(parent, "ol" if tok.start is not None else "ul", _NEWLINE)
                if tok.start is not None and tok.start != "1":
                    el.set("start", tok.start)
                for loose, body in tok.items:
                    self._build(_element(el, "li"), body, tight=not loose)
            elif tok.type == "html":
                if tok.pre:  # marked leaves <pre>, <script> and <style> blocks untouched
                    placeholder = self.parser.md.htmlStash.store(tok.text)  # type: ignore[attr-defined]
                    _element(parent, _HTML_WRAPPER, AtomicString(placeholder), tail=None)
                else:  # marked runs inline Markdown over the rest
                    _element(parent, _HTML_WRAPPER, tok.text, tail=None)
            elif tok.type == "table":
                self._table(parent, tok)

    @staticmethod
    def _table(parent: etree.Element, tok: _Token) -> None:
        table = _element(parent, "table", _NEWLINE)
        row = _element(_element(table, "thead", _NEWLINE), "tr", _NEWLINE)
        for j, text in enumerate(tok.header):
            _cell(row, "th", text, tok.align[j] if j < len(tok.align) else None)
        body = _element(table, "tbody", _NEWLINE)
        for cells in tok.cells:
            row = _element(body, "tr", _NEWLINE)
            for j, text in enumerate(cells):
                _cell(row, "td", text, tok.align[j] if j < len(tok.align) else None)


def _element(parent: etree.Element, tag: str, text: str | None = None, tail: str | None = _NEWLINE) -> etree.Element:
    """A new last child of `parent`, with its text and the text after it (a newline after a block, as marked writes)."""
    el = etree.SubElement(parent, tag)
    el.text, el.tail = text, tail
    return el


def _cell(row: etree.Element, tag: str, text: str, align: str | None) -> None:
    cell = _element(row, tag, text)
    if align:
        cell.set("style", f"text-align:{align}")


def _append_text(parent: etree.Element, text: str) -> None:
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def highlight(code: str, lang: str) -> str | None:
    """Return `code` as HTML with Pygments' token classes (styled by each theme's code.css), or None when
    Pygments has no lexer for `lang` (the code then stays plain, as Cleaver leaves an unknown language)."""
    from pygments import highlight as pygmentize

    lexer = _lexer(lang.lower())
    return None if lexer is None else str(pygmentize(code, lexer, _formatter()))


@functools.lru_cache(maxsize=256)  # bounded: the names come from the decks
def _lexer(lang: str) -> Any:
    """Pygments' lexer for `lang`, or None; made once per language (a lexer keeps no state between uses)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.cache
def _formatter() -> Any:
    """Pygments' HTML formatter, made once (making one builds its style sheet: 0.3 ms a code block)."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


class _MarkedWhitespace(Preprocessor):
    """Normalise as marked does before lexing: a tab is four spaces, a no-break space is a space, the symbol for
    newline (U+2424) is a newline."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines).replace("\t", "    ").replace("\u00a0", " ").replace("\u2424", "\n")
        return text.split("\n")


class _KeepEdges(Treeprocessor):
    """Mark the start and the end of the slide: Python-Markdown strips the white space at both ends of what it
    writes, which marked keeps (it shows inside a raw `<pre>` left open). `to_html` takes the marks off."""

    def run(self, root: etree.Element) -> None:
        root.text = _EDGE + (root.text or "")
        if len(root):
            root[-1].tail = (root[-1].tail or "") + _EDGE
        else:
            root.text += _EDGE


_EDGE = "\x01"


class _RawHtml(RawHtmlPostprocessor):
    """Python-Markdown's restoring of raw HTML, without its dropping of the `<p>` around a paragraph that is only a
    block-level tag: marked keeps it (`<p><div>x</p>`)."""

    def isblocklevel(self, html: str) -> bool:
        return False


class _UnwrapHtmlBlocks(Postprocessor):
    def run(self, text: str) -> str:
        return re.sub(rf"</?{_HTML_WRAPPER}>", "", text)


# Inline grammar: marked 0.3.19's `inline.gfm` rules (Cleaver turns gfm on and leaves breaks off), transliterated.
# marked anchors each rule with `^` and matches it against the rest of the text; here each is matched at the
# reading position instead (`pattern.match(text, pos)`), so the anchors are gone and `$` is `\Z`.
# marked's edit() drops a `^` not preceded by `[` from what it splices in, so its e-mail rule lost the `^` of
# its character class: an address cannot hold one.
_EMAIL = (
    r"[a-zA-Z0-9.!#$%&'*+/=?_`{|}~-]+(@)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+(?![-_])"
)
_INSIDE = r"(?:\[[^\[\]]*\]|\\[\[\]]|[^\[\]]|\](?=[^\[]*\]))*"
_HREF = r"""\s*<?([\s\S]*?)>?(?:\s+['"]([\s\S]*?)['"])?\s*"""
INLINE_RULES = {
    name: _js(source)
    for name, source in {
        "escape": r"\\([\\`*{}\[\]()#+\-.!_>~|])",
        "autolink": r"<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s\x00-\x1f<>]*|" + _EMAIL + ")>",
        "url": r"((?:ftp|https?)://|www\.)(?:[a-zA-Z0-9\-]+\.?)+[^\s<]*|" + _EMAIL,
        "tag": r"""<!--[\s\S]*?-->|<\/?[a-zA-Z0-9\-]+(?:"[^"]*"|'[^']*'|\s[^<'">\/\s]*)*?\/?>""",
        "link": r"!?\[(" + _INSIDE + r")\]\(" + _HREF + r"\)",
        "reflink": r"!?\[(" + _INSIDE + r")\]\s*\[([^\]]*)\]",
        "nolink": r"!?\[((?:\[[^\[\]]*\]|\\[\[\]]|[^\[\]])*)\]",
        "strong": r"__([\s\S]+?)__(?!_)|\*\*([\s\S]+?)\*\*(?!\*)",
        "em": r"_([^\s_](?:[^_]|__)+?[^\s_])_\b|\*((?:\*\*|[^*])+?)\*(?!\*)",
        "code": r"(`+)\s*([\s\S]*?[^`]?)\s*\1(?!`)",
        "br": r" {2,}\n(?!\s*\Z)",
        "del": r"~~(?=\S)([\s\S]*?\S)~~",
        "text": r"[\s\S]+?(?=[\\<!\[`*~]|https?://|ftp://|www\.|[a-zA-Z0-9.!#$%&'*+/=?_`{\|}~-]+@|\b_| {2,}\n|\Z)",
    }.items()
}
_BACKPEDAL = _js(r"(?:[^?!.,:;*_~()&]+|\([^)]*\)|&(?![a-zA-Z0-9]+;\Z)|[?!.,:;*_~)]+(?!\Z))+")
_SPACES = _js(r"\s+")

_Match = re.Match[str]
_Result = tuple[etree.Element | str | None, int | None, int | None]


@dataclass
class _LinkState:
    """marked's InlineLexer.inLink: set while a link's text is read and after a raw `<a ...>` tag (until `</a>`);
    no bare URL is linked meanwhile. It lasts from one paragraph to the next, as marked's does."""

    inside: bool = False


class _Rule(InlineProcessor):
    """One rule of marked's inline grammar. handleMatch returns an element, or a str for plain text."""

    def __init__(self, name: str, md: markdown.Markdown) -> None:
        super().__init__("", md)
        self.name = name
        self.compiled_re = INLINE_RULES[name]
        self.pattern = self.compiled_re.pattern


class _Literal(_Rule):
    """Text, and backslash escapes (the character itself)."""

    def __init__(self, name: str, md: markdown.Markdown, group: int) -> None:
        super().__init__(name, md)
        self.group = group

    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        return _as_marked_writes(m.group(self.group)), m.start(), m.end()


class _Autolink(_Rule):
    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        # marked hides an address behind random character references; the plain address shows the same.
        address = m.group(1)
        return _link_to("mailto:" + address if m.group(2) else address, address), m.start(), m.end()


class _Url(_Rule):
    """GFM bare links: http(s)/ftp URLs, www. names and e-mail addresses."""

    ANCESTOR_EXCLUDES = ("a",)  # marked's `!this.inLink`

    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        text = _backpedal(m.group(0))
        if m.group(2):
            href = "mailto:" + text
        elif m.group(1) == "www.":
            href = "http://" + text
        else:
            href = text
        return _link_to(href, text), m.start(), m.start() + len(text)


def _backpedal(url: str) -> str:
    """Leave trailing punctuation and an unbalanced `)` outside the link, as marked does."""
    m = _BACKPEDAL.search(url)
    return m.group(0) if m else url


def _link_to(href: str, text: str) -> etree.Element:
    el = etree.Element("a", {"href": _as_marked_writes(href)})
    el.text = AtomicString(_as_marked_writes(text))
    return el


class _RawTag(_Rule):
    """Inline HTML (a tag or a comment), kept as written in the HTML stash."""

    def __init__(self, name: str, md: markdown.Markdown, link: _LinkState) -> None:
        super().__init__(name, md)
        self.link = link

    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        tag = m.group(0)
        if not self.link.inside and tag[:3].lower() == "<a ":
            self.link.inside = True
        elif self.link.inside and tag[:4].lower() == "</a>":
            self.link.inside = False
        return self.md.htmlStash.store(tag), m.start(), m.end()  # type: ignore[union-attr]


class _Link(_Rule):
    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        return _link(m.group(0), m.group(1), m.group(2), m.group(3)), m.start(), m.end()


class _RefLink(_Rule):
    """`[text][label]`, `[text][]` and `[label]`, against the definitions the block lexer collected."""

    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        label = (m.re.groups > 1 and m.group(2)) or m.group(1)
        ref = self.md.references.get(_SPACES.sub(" ", label).lower())  # type: ignore[union-attr]
        if not ref or not ref[0]:
            return m.group(0)[0], m.start(), m.start() + 1  # marked gives up on the first character only
        return _link(m.group(0), m.group(1), *ref), m.start(), m.end()


def _link(source: str, text: str, href: str, title: str | None) -> etree.Element:
    """marked's outputLink: a link, whose text is read as Markdown, or an image, whose alt text is kept as is."""
    if source.startswith("!"):
        el = etree.Element("img", {"src": _as_marked_writes(href), "alt": _as_marked_writes(text)})
    else:
        el = etree.Element("a", {"href": _as_marked_writes(href)})
        el.text = text
    if title:
        el.set("title", _as_marked_writes(title))
    return el


def _text_of(src: str, refs: dict[str, tuple[str, str | None]], link: _LinkState) -> str:
    """What marked's InlineLexer.output gives with its TextRenderer: text escaped as marked escapes it, raw tags as
    written, the text of links, emphasis and code, the alt text of images, nothing for a line break."""
    out: list[str] = []
    pos = 0
    while pos < len(src):
        if m := INLINE_RULES["escape"].match(src, pos):
            out.append(m.group(1))
        elif m := INLINE_RULES["autolink"].match(src, pos):
            # marked writes an address as character references, which read back as the address
            out.append(m.group(1) if m.group(2) else _escape(m.group(1)))
        elif not link.inside and (m := INLINE_RULES["url"].match(src, pos)):
            url = _backpedal(m.group(0))
            out.append(_escape(url))
            pos += len(url)
            continue
        elif m := INLINE_RULES["tag"].match(src, pos):
            tag = m.group(0)
            if not link.inside and tag[:3].lower() == "<a ":
                link.inside = True
            elif link.inside and tag[:4].lower() == "</a>":
                link.inside = False
            out.append(tag)
        elif (m := INLINE_RULES["link"].match(src, pos)) or (
            (m := INLINE_RULES["reflink"].match(src, pos) or INLINE_RULES["nolink"].match(src, pos))
            and refs.get(_SPACES.sub(" ", (m.re.groups > 1 and m.group(2)) or m.group(1)).lower(), ("", None))[0]
        ):
            link.inside = True
            out.append(_escape(m.group(1)) if m.group(0).startswith("!") else _text_of(m.group(1), refs, link))
            link.inside = False
        elif m:  # a reference to nothing: marked gives up on its first character only
            out.append(src[pos])
            pos += 1
            continue
        elif (m := INLINE_RULES["strong"].match(src, pos)) or (m := INLINE_RULES["em"].match(src, pos)):
            out.append(_text_of(m.group(2) or m.group(1), refs, link))
        elif m := INLINE_RULES["code"].match(src, pos):
            out.append(_escape(m.group(2).strip(_JS_WHITESPACE), encode=True))
        elif m := INLINE_RULES["br"].match(src, pos):
            pass
        elif m := INLINE_RULES["del"].match(src, pos):
            out.append(_text_of(m.group(1), refs, link))
        else:
            m = INLINE_RULES["text"].match(src, pos)
            assert m is not None  # the text rule takes any character
            out.append(_escape(m.group(0)))
        pos = m.end()
    return "".join(out)


def _escape(text: str, encode: bool = False) -> str:
    """marked's escape(): `&` too unless it starts something like a character reference (always, with `encode`)."""
    text = text.replace("&", "&amp;") if encode else _LONE_AMPERSAND.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")


def _unescape(text: str) -> str:
    """marked's unescape(): `&colon;` and numeric references decoded (as String.fromCharCode reads the number),
    other named references dropped; the semicolon is optional."""

    def decode(m: _Match) -> str:
        name = m.group(1).lower()
        if name == "colon":
            return ":"
        if not name.startswith("#"):
            return ""
        try:
            number = float(int(name[2:], 16)) if name.startswith("#x") else float(name[1:])
        except OverflowError:
            number = float("inf")
        return chr(int(number) % 0x10000 if number != float("inf") else 0)

    return _REFERENCE.sub(decode, text)


_LONE_AMPERSAND = re.compile(r"&(?!#?\w+;)", re.ASCII)
_REFERENCE = re.compile(r"&(#(?:\d+)|(?:#x[0-9A-Fa-f]+)|(?:\w+));?", re.ASCII | re.IGNORECASE)
# An `&` that marked writes as it is (it starts something like a reference): kept from Python-Markdown's serializer,
# which would escape `&#58x;`, by its own placeholder for a bare `&`, restored after serializing. The browser then
# decodes what Cleaver's HTML holds, in text and attributes alike.
_KEPT_AMPERSAND = re.compile(r"&(?=#?\w+;)", re.ASCII)


def _as_marked_writes(text: str) -> str:
    return _KEPT_AMPERSAND.sub(AMP_SUBSTITUTE, text)


class _Span(_Rule):
    """strong, em and del: the text inside is read as Markdown."""

    def __init__(self, name: str, md: markdown.Markdown, tag: str) -> None:
        super().__init__(name, md)
        self.tag = tag

    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        el = etree.Element(self.tag)
        el.text = m.group(m.lastindex or 0)  # the alternative that matched (`__x__` or `**x**`)
        return el, m.start(), m.end()


class _Code(_Rule):
    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        el = etree.Element("code")
        # Escaped here: the serialiser would keep an entity such as `&copy;` that marked shows as written.
        el.text = AtomicString(code_escape(m.group(2).strip(_JS_WHITESPACE)))
        return el, m.start(), m.end()


class _LineBreak(_Rule):
    def handleMatch(self, m: _Match, data: str) -> _Result:  # type: ignore[override]  # noqa: N802
        return etree.Element("br"), m.start(), m.end()


class _MarkedInline(Treeprocessor):
    """Read each element's text with the inline patterns the way marked's InlineLexer.output does.

    Python-Markdown's own inline pass runs one pattern over the whole text before it tries the next; marked reads
    from left to right and takes, at each position, the first rule that matches there. Which one wins differs
    (`*a `b*` c``: marked's emphasis starts first), so the patterns are driven marked's way here.
    """

    def __init__(self, md: markdown.Markdown, link: _LinkState) -> None:
        super().__init__(md)
        self.link = link

    def run(self, root: etree.Element) -> None:
        self.link.inside = False
        # A rule that excludes `a` (Python-Markdown's way to say "not inside a link") is skipped while in a link.
        patterns: list[InlineProcessor] = list(self.md.inlinePatterns)  # type: ignore[union-attr, arg-type]
        self.rules = [(rule, rule.getCompiledRegExp().match, "a" in rule.ANCESTOR_EXCLUDES) for rule in patterns]
        self._walk(root)

    def _walk(self, parent: etree.Element) -> None:
        """Read the text of `parent` and of everything in it, in document order (marked's inLink depends on it)."""
        i = 0  # the elements made from its text and tails are read already: skipped
        if parent.text and not isinstance(parent.text, AtomicString):
            parent.text, new = self._lex(parent.text)
            parent[0:0] = new
            i = len(new)
        while i < len(parent):
            child = parent[i]
            i += 1
            self._walk(child)
            if child.tail and not isinstance(child.tail, AtomicString):
                child.tail, new = self._lex(child.tail)
                parent[i:i] = new
                i += len(new)

    def _lex(self, src: str) -> tuple[str | None, list[etree.Element]]:
        """Return the text up to the first element, and the elements (with the text after each as its tail)."""
        elements: list[etree.Element] = []
        texts: list[list[str]] = [[]]  # before the first element, then after each
        pos = 0
        while pos < len(src):
            for rule, match, not_in_link in self.rules:
                if not (not_in_link and self.link.inside) and (m := match(src, pos)):
                    node, _, end = rule.handleMatch(m, src)
                    if end is not None:  # else the rule turned the match down
                        break
            else:  # pragma: no cover - the text rule matches any character
                raise AssertionError(f"no inline rule matched at {src[pos : pos + 20]!r}")
            pos = end
            if isinstance(node, str):
                texts[-1].append(node)
            elif node is not None:
                if not isinstance(node.text, AtomicString):
                    self._lex_inside(node)
                elements.append(node)
                texts.append([])
        for el, text in zip(elements, texts[1:], strict=True):
            el.tail = "".join(text) or None
        return "".join(texts[0]) or None, elements

    def _lex_inside(self, el: etree.Element) -> None:
        # marked's link rule (images too) sets inLink while it reads the text, and clears it after, whatever set
        # it before. Bare URLs and autolinks are atomic: they leave it alone.
        link = el.tag in ("a", "img")
        if link:
            self.link.inside = True
        if el.text:
            el.text, inner = self._lex(el.text)
            el.extend(inner)
        if link:
            self.link.inside = False


class MarkedExtension(Extension):
    """Read Markdown the way Cleaver's marked 0.3 did (see the module docstring)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's API
        md.preprocessors.register(_MarkedWhitespace(md), "marked_whitespace", 40)
        md.preprocessors.deregister("html_block")  # HTML blocks are marked's, found by the lexer
        md.parser.blockprocessors.register(MarkedBlockProcessor(md.parser), "marked", 200)
        md.postprocessors.register(_RawHtml(md), "raw_html", 30)
        md.postprocessors.register(_UnwrapHtmlBlocks(md), "marked_unwrap", 0)
        # marked's inline grammar replaces Python-Markdown's: its rules, tried in the order of marked's
        # InlineLexer.output, by a driver that replaces Python-Markdown's inline pass.
        link = _LinkState()
        rules = [
            _Literal("escape", md, 1),
            _Autolink("autolink", md),
            _Url("url", md),
            _RawTag("tag", md, link),
            _Link("link", md),
            _RefLink("reflink", md),
            _RefLink("nolink", md),
            _Span("strong", md, "strong"),
            _Span("em", md, "em"),
            _Code("code", md),
            _LineBreak("br", md),
            _Span("del", md, "del"),
            _Literal("text", md, 0),
        ]
        md.inlinePatterns = Registry()
        for i, rule in enumerate(rules):
            md.inlinePatterns.register(rule, rule.name, 10 * (len(rules) - i))
        md.treeprocessors.register(_MarkedInline(md, link), "inline", 20)
        # marked writes its own newlines between blocks (the block processor writes them as it does): no prettifier,
        # which would also put one after each <br> and strip the end of each code block.
        md.treeprocessors.deregister("prettify")
        md.treeprocessors.register(_KeepEdges(md), "marked_edges", 10)


def to_html(text: str) -> str:
    """Return the HTML of one slide's Markdown."""
    return _reader().reset().convert(text)[1:-1]  # without the edge marks (a blank text gives "")


@functools.cache
def _reader() -> markdown.Markdown:
    """One reader for every slide (reset before each): setting one up costs as much as reading a short slide."""
    return markdown.Markdown(extensions=[MarkedExtension()])
