"""Turn a slide's HTML and a style sheet's CSS into what deck2pdf needs from them: images, links, style
sheets and url()s, each read by a parser (entities decoded, any quoting, comments skipped), never by a pattern.

Slides carry raw HTML that Markdown passes through untouched (`<IMG SRC=a&amp;b.png>`, `alt="x>y"`), and
style sheets carry comments and escapes: a regular expression misreads them, and which file is read is a
security question (`files.FileAccess`). HTML is read with the standard library's tolerant parser, which
(unlike tinyhtml5's tree) tells where each tag is written, so layout can replace an <img> and leave every other
byte of the slide as it was; CSS with tinycss2 (WeasyPrint's own tokenizer). Also here: the author's name
from the front matter, read one way.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape as html_escape
from html.parser import HTMLParser
from typing import Any

import tinycss2

from . import bounds

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

# Cheap necessary conditions: a slide without these has nothing the parser would find (most slides).
_MAY_HAVE_IMG = re.compile(r"<im(?:g|age)", re.IGNORECASE)
_MAY_HAVE_A = re.compile(r"<a\b", re.IGNORECASE)
_MAY_HAVE_STYLE = re.compile(r"style", re.IGNORECASE)


@dataclass(frozen=True)
class Tag:
    """A start tag, as an HTML parser reads it."""

    name: str  # lower case
    attrs: Mapping[str, str]  # lower-case names; values with entities decoded; the first of a repeated name wins
    start: int  # offset of its `<` in the HTML
    end: int  # offset just past its `>` (for an <img>: past a stray `</img>` right after it, which means nothing)
    self_closing: bool = False  # written `<x/>`: in SVG, an element with no content


@dataclass(frozen=True)
class CssUrl:
    ref: str  # the URL, escapes decoded and surrounding white space dropped (as URL parsers do)
    line: int  # 1-based line of the style sheet where it is written


def images(html: str) -> list[Tag]:
    """Return every <img> of an HTML fragment, in order (not those in comments, <style> or <script>). An
    `<image>` outside SVG is one too: HTML parsers, WeasyPrint's among them, read it as <img>."""
    if not _MAY_HAVE_IMG.search(html):
        return []
    return _Scanner(html, ("img",)).tags


def svg_image_refs(html: str) -> list[str]:
    """Return the picture each inline SVG's `<image>` shows (`href`, else the older `xlink:href`), in order."""
    if "<svg" not in html.lower():
        return []
    tags = _Scanner(html, ("svg:image",)).tags
    return [ref for t in tags if (ref := t.attrs.get("href") or t.attrs.get("xlink:href", "")).strip()]


ALL = ("*",)  # `elements(html, ALL)`: every element


def elements(html: str, names: Sequence[str]) -> list[Tag]:
    """Return the start tags of the elements `names` (lower case; ALL for every one) of an HTML fragment, in
    order."""
    if "<" not in html:
        return []
    if names == ALL:
        return _Scanner(html, ALL).tags
    lowered = html.lower()
    if not any(f"<{name}" in lowered for name in names):
        return []
    return _Scanner(html, tuple(names)).tags


def start_tag(name: str, attrs: Mapping[str, str], self_closing: bool = False) -> str:
    """A start tag written out: each attribute once, its value quoted and escaped."""
    written = "".join(f' {k}="{html_escape(v)}"' if v else f" {k}" for k, v in attrs.items())
    return f"<{name.removeprefix('svg:')}{written}{'/' if self_closing else ''}>"


def retagged(html: str, names: Sequence[str], change: Callable[[Tag], Mapping[str, str] | None]) -> str:
    """`html` with the start tags of the elements `names` (or ALL) given the attributes `change(tag)` returns
    (None: the tag is left as written); every other byte as it was."""
    changed = [(tag, attrs) for tag in elements(html, names) if (attrs := change(tag)) is not None]
    new = {tag.start: attrs for tag, attrs in changed}
    return replaced(
        html, [tag for tag, _ in changed], lambda tag: start_tag(tag.name, new[tag.start], tag.self_closing)
    )


def element_end(html: str, tag: Tag) -> int:
    """The offset just past the end tag that closes `tag` (found in `html`), or the fragment's end if none does."""
    finder = _EndFinder(tag.name)
    try:
        finder.feed(html[tag.end :])
        finder.close()
    except _EndFinder.FoundError:  # read no further: a slide's many links would each read the rest of it
        pass
    return tag.end + finder.end if finder.end is not None else len(html)


def slide_parts(html: str) -> tuple[str, str]:
    """Split a slide's HTML into its heading (its first element, when that is an h1-h3 with nothing but white space
    or comments before it; else "") and the rest, its body. Both are balanced: every element the slide opens is
    closed at its end and end tags that close nothing it opened are dropped, as a browser would, so that an
    unclosed `<div>` cannot take in what the page puts after the slide (its number, the next slide) and a stray
    `</div>` cannot close the page's own box around it."""
    if "<" not in html:
        return "", html
    parts = _Parts()
    parts.feed(html)
    parts.close()
    body = spliced(html, [(start, end, "") for start, end in parts.stray])
    body += "".join(f"</{name}>" for name in reversed(parts.open))
    if parts.heading is None:
        return "", body
    start, end = (x - sum(e - s for s, e in parts.stray if s < x) for x in parts.heading)  # strays dropped before
    return body[start:end], body[:start] + body[end:]


def passive_html(html: str) -> str:
    """An untrusted slide's HTML without what could act or fetch on its own: scripts, frames, embedded objects
    (with their content), `<link>`, `<base>`, `<meta>`; its `<style>` elements' CSS made passive (`passive_css`).
    Read token by token as a browser reads them, then written out again: removing a tag can never join the text
    around it into a new one (`<li<meta>nk>` stays one harmless unknown tag)."""
    passive = _Passive()
    passive.feed(html)
    passive.close()
    return "".join(passive.out)


def passive_css(css: str) -> str:
    """CSS without @import, @font-face and @namespace rules (however written: escapes and comments are decoded by
    tinycss2, WeasyPrint's own parser), unable to close the <style> element it is put in; a rule whose blocks nest
    deeper than `bounds.MAX_CSS_DEPTH` is left out."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=False)
    return _passive_rules([r for r in rules if bounds.css_depth([r]) <= bounds.MAX_CSS_DEPTH]).replace("<", "\\3c ")


def _passive_rules(rules: Sequence[Any]) -> str:
    """Rules without the active at-rules, at any depth (inside @media, @supports, @layer ...), and without what
    does not parse."""
    out = []
    for rule in rules:
        if rule.type == "error":
            continue
        if rule.type == "at-rule":
            if rule.lower_at_keyword in _ACTIVE_AT_RULES:
                continue
            if rule.content is not None:
                inner = tinycss2.parse_rule_list(rule.content, skip_comments=True)
                out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{_passive_rules(inner)}}}")
                continue
        out.append(rule.serialize())
    return "".join(out)


# Browsers' limits on table spans (HTML's "rules for parsing non-negative integers" clamp them): WeasyPrint has
# none, and a huge span makes a column box per column.
SPAN_LIMITS = {"span": 1000, "colspan": 1000, "rowspan": 65534}


def clamped_spans(html: str) -> str:
    """`html` with every table span (`<col span>`, `<colgroup span>`, `<td colspan>`, `rowspan`) within the limits
    browsers apply (SPAN_LIMITS); other bytes as they were."""
    return retagged(
        html,
        ("col", "colgroup", "td", "th"),
        lambda tag: {n: _clamped(n, v) for n, v in tag.attrs.items()} if _too_wide(tag) else None,
    )


def _clamped(name: str, value: str) -> str:
    limit = SPAN_LIMITS.get(name)
    if limit is None:
        return value
    digits = re.match(r"\s*\+?([0-9]+)", value)  # as WeasyPrint reads an integer (a sign, ASCII digits)
    return str(min(int(digits.group(1)), limit)) if digits else value


def _too_wide(tag: Tag) -> bool:
    return any(
        _clamped(n, v) != v.strip() for n, v in tag.attrs.items() if n in SPAN_LIMITS and re.match(r"\s*\+?[0-9]", v)
    )


def wrap_code(html: str, width: int, mark: Callable[[int, int], str]) -> str:
    """Break a code block's lines (its HTML, highlighting spans kept) longer than `width` columns where
    `code_breaks` says, each continuation row starting with `mark(indent, columns)`: the HTML of a mark set at the
    line's indentation and taking that many columns (tabs to the next multiple of 8, wide East Asian characters count
    two). Only a newline and the mark are added: the code's own characters stay as they are."""
    reader = _CodeText()
    reader.feed(html)
    reader.close()
    lines = "".join(reader.text).split("\n")
    breaks = {}
    at = 0
    for line in lines:
        for offset, indent, columns in code_breaks(line, width):
            breaks[at + offset] = mark(indent, columns)
        at += len(line) + 1
    if not breaks:
        return html
    wrapper = _CodeWrapper(breaks)
    wrapper.feed(html)
    wrapper.close()
    return "".join(wrapper.out)


BREAK_AFTER = frozenset(",;:)]}>/\\|&=+-.?!")  # punctuation a code line may break after when no space will do


def code_breaks(line: str, width: int) -> list[tuple[int, int, int]]:
    """Where a code line longer than `width` columns breaks, and how each continuation row begins: (the offset of
    its first character, the line's indentation, the columns its mark takes). A row ends before a space (which then
    follows the mark), or after punctuation (BREAK_AFTER) when a space would leave the row less than half full; only
    a token longer than a row is broken where the row ends. Continuations hang two columns in from the line's
    indentation."""
    width = max(width, 8)
    indent = min(_columns(line[: len(line) - len(line.lstrip(" \t"))], 0), width // 2)
    shown = len(line.rstrip(" \t"))  # trailing spaces hang past the row's end: never a row (a lone mark) of their own
    found: list[tuple[int, int, int]] = []
    start, column = 0, 0
    while True:
        end, used = start, column  # the furthest this row reaches: what fits in `width` columns
        while end < shown and used + (step := _char_columns(line[end], used)) <= width:
            used += step
            end += 1
        if end >= shown:
            return found
        half = start + (end - start) // 2
        space = max((i for i in range(start + 1, end + 1) if line[i] == " " and line[i - 1] != " "), default=start)
        after = max((i for i in range(start + 1, end + 1) if line[i - 1] in BREAK_AFTER), default=start)
        if space > half or (space > start and after <= space):
            cut, column = space, indent + 1  # the space follows the mark
        elif after > start:
            cut, column = after, indent + 2
        else:
            cut, column = max(end, start + 1), indent + 2  # a token longer than the row
        found.append((cut, indent, column))
        start = cut


def _char_columns(char: str, column: int) -> int:
    return 8 - column % 8 if char == "\t" else 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _columns(text: str, column: int) -> int:
    """How many columns `text` takes from `column` on."""
    start = column
    for char in text:
        column += _char_columns(char, column)
    return column - start


def split_code(html: str, line: int) -> tuple[str, str]:
    """A code block's HTML cut before its `line`-th line (from 0) into two, each well formed: the elements open at
    the cut are closed in the first and opened again in the second. The newline before the cut is left out."""
    splitter = _CodeSplitter(line)
    splitter.feed(html)
    splitter.close()
    return "".join(splitter.first), "".join(splitter.second)


def plain_code(html: str, keep: Callable[[str], bool]) -> str:
    """`html` without the highlighter's spans (`<span class="X">` in a `<code class="highlight">`) whose class
    `keep` refuses: their text stays, in place."""
    if "highlight" not in html:
        return html
    finder = _PlainSpans(keep)
    finder.feed(html)
    finder.close()
    return spliced(html, [(start, end, "") for start, end in finder.dropped])


LONG_WORD = 2000  # characters without a space: beyond this, break opportunities are added
_LONG_RUN = re.compile(rf"\S{{{LONG_WORD},}}")


def breakable(html: str, every: int = 64) -> str:
    """`html` with a `<wbr>` every `every` characters of each word longer than LONG_WORD in its text (not in
    <pre>, <code> or raw text): WeasyPrint breaks a word that overflows its line character by character, each
    break shaping the rest of the word again, so its time grows with the square of the word (a pasted key, a data
    URL). A <wbr> is a place to break, not a character: the copied text is unchanged."""
    if not _LONG_RUN.search(html):
        return html
    finder = _LongWords(every)
    finder.feed(html)
    finder.close()
    return spliced(html, [(at, at, "<wbr>") for at in finder.breaks])


def anchors(html: str) -> list[tuple[str, str]]:
    """Return each <a href>'s target, as written (entities decoded), and its text, in order."""
    if not _MAY_HAVE_A.search(html):
        return []
    reader = _Anchors()
    reader.feed(html)
    reader.close()
    return reader.found


def links(html: str) -> list[str]:
    """Return the `href` of every <a> of an HTML fragment, in order, as written (entities decoded)."""
    if not _MAY_HAVE_A.search(html):
        return []
    return [tag.attrs["href"] for tag in _Scanner(html, ("a",)).tags if "href" in tag.attrs]


def styles(html: str) -> list[str]:
    """Return the CSS of an HTML fragment: every `style` attribute (entities decoded), then every <style>
    element's text."""
    attributes, blocks = styles_apart(html)
    return [*attributes, *blocks]


def styles_apart(html: str) -> tuple[list[str], list[str]]:
    """The CSS of an HTML fragment: its `style` attributes (declarations), and its <style> elements' texts."""
    if not _MAY_HAVE_STYLE.search(html):
        return [], []
    scanner = _Scanner(html, (), style_elements=True)
    return scanner.style_attributes, scanner.style_elements


def css_errors(css: str, *, declarations: bool = False) -> list[tuple[int, str]]:
    """Where CSS does not parse (line, tinycss2's words): what a browser drops. Rules it does not know or media
    it does not print are not errors."""
    items = tinycss2.parse_blocks_contents(css) if declarations else tinycss2.parse_stylesheet(css)
    found: list[tuple[int, str]] = []
    todo = list(items)
    while todo:
        item = todo.pop(0)
        if item.type == "error":
            found.append((item.source_line, item.message.rstrip(".")))
        elif item.type in ("qualified-rule", "at-rule") and item.content is not None:
            todo += [i for i in tinycss2.parse_blocks_contents(item.content) if i.type != "declaration"]
    return sorted(found)


def css_urls(css: str) -> list[CssUrl]:
    """Return every url() of a style sheet or declaration list, in order: `url(a.png)`, `URL( "a b.png" )`,
    inside @import, @font-face or image-set(); not those in comments. Empty ones are left out."""
    found: list[CssUrl] = []
    if "url" not in css.lower() and "\\" not in css:  # (an escaped `u\72l(` keeps a backslash)
        return found
    _collect_urls(tinycss2.parse_component_value_list(css, skip_comments=True), found)
    return found


def css_imports(css: str) -> list[CssUrl]:
    """Return the sheet each `@import` of a style sheet names (`@import "a.css"`, `@IMPORT url(a.css) print`)."""
    if not _MAY_IMPORT.search(css):
        return []
    return list(_imports(css))


_MAY_IMPORT = re.compile(r"@import|\\", re.IGNORECASE)  # (an escaped `@imp\6frt` keeps a backslash)


@functools.lru_cache(maxsize=256)
def _imports(css: str) -> tuple[CssUrl, ...]:
    found = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            first = next((t for t in rule.prelude if t.type not in ("whitespace", "comment")), None)
            if first is not None and first.type == "string" and first.value.strip():
                found.append(CssUrl(first.value.strip(), first.source_line))
            elif first is not None:
                found += css_urls(tinycss2.serialize([first]))[:1]
    return tuple(found)


def _collect_urls(tokens: Sequence[Any], found: list[CssUrl]) -> None:
    for token in tokens:
        if token.type == "url":
            ref = token.value
        elif token.type == "function" and token.lower_name == "url":
            # `url(` followed by a quote is a function with one string argument (CSS Syntax 3).
            args = [a for a in token.arguments if a.type not in ("whitespace", "comment")]
            ref = args[0].value if len(args) == 1 and args[0].type == "string" else ""
        else:
            nested = getattr(token, "arguments", None) or getattr(token, "content", None)
            if isinstance(nested, list):
                _collect_urls(nested, found)
            continue
        if ref.strip():
            found.append(CssUrl(ref.strip(), token.source_line))


class _Located(HTMLParser):
    """An HTML parser that knows the offset of the tag it is reading in the text fed to it in one piece."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._line_starts = [0]

    def feed(self, data: str) -> None:
        self._line_starts += [m.end() for m in re.finditer("\n", data)]
        super().feed(data)

    def _offset(self) -> int:
        line, column = self.getpos()  # the parser counts lines by "\n" only, as `_line_starts` does
        return self._line_starts[line - 1] + column


class _Scanner(_Located):
    """One pass of the standard library's HTML parser over a fragment, keeping the start tags named `names`
    (with where they are written) and, when asked, the style attributes and <style> elements."""

    def __init__(self, html: str, names: tuple[str, ...], *, style_elements: bool = False) -> None:
        super().__init__()
        self.html = html
        self.names = names
        self.want_styles = style_elements
        self.tags: list[Tag] = []
        self.style_attributes: list[str] = []
        self.style_elements: list[str] = []
        self._style: list[str] | None = None  # the text of the <style> element being read
        self._svg = 0  # depth inside <svg>, where an <image> is SVG's
        self.feed(html)
        self.close()
        if self._style is not None:  # an unclosed <style> runs to the end, as in a browser
            self.style_elements.append("".join(self._style))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.want_styles:
            self.style_attributes += [value for name, value in attrs if name == "style" and value is not None]
            if tag == "style":
                self._style = []
        if tag == "svg":
            self._svg += 1
        elif tag == "image":
            tag = "svg:image" if self._svg else "img"
        if tag in self.names or self.names == ALL:
            start = self._offset()
            values: dict[str, str] = {}
            for name, value in attrs:
                values.setdefault(name, value or "")
            text = self.get_starttag_text() or ""
            self.tags.append(Tag(tag, values, start, start + len(text), text.endswith("/>")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # `<img/>` and `<img>` are the same element; `/>` closes nothing
        if tag == "svg":  # a foreign element's `/>` does close it
            self._svg -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg = max(0, self._svg - 1)
        if tag == "style" and self._style is not None:
            self.style_elements.append("".join(self._style))
            self._style = None
        elif tag == "img" and self.tags and self.tags[-1].name == "img":
            last, start = self.tags[-1], self._offset()
            if not self.html[last.end : start].strip():
                end = self.html.index(">", start) + 1
                self.tags[-1] = dataclasses.replace(last, end=end)

    def handle_data(self, data: str) -> None:
        if self._style is not None:
            self._style.append(data)


# Elements whose end tag is required: left open, they hold everything after them. (Those with optional end tags,
# p or li, are closed by what follows; void ones have no content.)
_CLOSED = frozenset(
    [
        "a",
        "abbr",
        # Raw text: left open, it reads everything after it as its own text.
        "style",
        "script",
        "title",
        "noscript",
        "xmp",
        "noembed",
        "noframes",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "article",
        "aside",
        "audio",
        "b",
        "big",
        "blockquote",
        "button",
        "canvas",
        "center",
        "cite",
        "code",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "em",
        "fieldset",
        "figcaption",
        "figure",
        "font",
        "footer",
        "form",
        "header",
        "i",
        "iframe",
        "ins",
        "kbd",
        "label",
        "main",
        "mark",
        "nav",
        "object",
        "ol",
        "pre",
        "q",
        "s",
        "samp",
        "section",
        "select",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "textarea",
        "tt",
        "u",
        "ul",
        "var",
        "video",
    ]
)


class _Parts(_Located):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.stray: list[tuple[int, int]] = []
        self.heading: tuple[int, int] | None = None  # where the slide's heading is written
        self._first: tuple[str, int] | None = None  # the first element, if a heading: its name and offset
        self._decided = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if not self._decided:
            self._decided = True
            if tag in ("h1", "h2", "h3"):
                self._first = (tag, self._offset())
        if tag in _CLOSED:
            self.open.append(tag)

    def handle_data(self, data: str) -> None:
        self._decided = self._decided or bool(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag not in _CLOSED:
            return
        start = self._offset()
        end = self.rawdata.index(">", start) + 1 if ">" in self.rawdata[start:] else len(self.rawdata)
        if tag not in self.open:
            self.stray.append((start, end))
            return
        at = len(self.open) - 1 - self.open[::-1].index(tag)
        del self.open[at:]  # what it holds is closed with it, as a browser does
        if self._first is not None and self.heading is None and not self.open:
            self.heading = (self._first[1], end)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._close()
            href = next((v for k, v in attrs if k == "href" and v is not None), None)
            self._open = (href, []) if href is not None else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)

    def close(self) -> None:
        super().close()
        self._close()

    def _close(self) -> None:
        if self._open is not None:
            self.found.append((self._open[0], " ".join("".join(self._open[1]).split())))
            self._open = None


_ACTIVE_AT_RULES = frozenset({"import", "font-face", "namespace", "color-profile"})
# Dropped with everything inside them; and tags dropped alone (void, or harmless content).
# (xmp, noembed, noframes, textarea, title: HTML reads their content as text where this parser reads tags.)
_ACTIVE_CONTAINERS = frozenset(
    {"script", "iframe", "object", "applet", "frameset", "noscript", "template", "xmp", "noembed", "noframes",
     "textarea", "title"}
)  # fmt: skip
_RAW_TEXT = frozenset({"style", "script", "xmp", "noembed", "noframes", "textarea", "title", "iframe", "noscript"})
_ACTIVE_TAGS = frozenset({"embed", "frame", "link", "base", "meta", "param"}) | _ACTIVE_CONTAINERS


class _Passive(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # text is written out as it was written
        self.out: list[str] = []
        self.dropping = 0  # open active containers: their content goes too
        self.style: list[str] | None = None  # the CSS of the <style> element being read

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _ACTIVE_CONTAINERS:
            self.dropping += 1
        if self.dropping or tag in _ACTIVE_TAGS:
            return
        self.out.append(self.get_starttag_text() or "")
        if tag == "style":
            self.style = []

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        # `<style/>` opens a style element for a browser (the slash means nothing): this parser would read the CSS
        # after it as text. Such a tag is dropped, and what follows stays text.
        if not self.dropping and tag not in _ACTIVE_TAGS and tag not in _RAW_TEXT:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _ACTIVE_CONTAINERS:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag in _ACTIVE_TAGS:
            return
        if tag == "style" and self.style is not None:
            self.out.append(passive_css("".join(self.style)))
            self.style = None
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            (self.style if self.style is not None else self.out).append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        pass  # dropped: parsers disagree on where odd comments (`<!-->`, `--!>`) end

    def close(self) -> None:
        super().close()
        if self.style is not None:  # an unclosed <style>: its CSS, made passive, closed
            self.out += [passive_css("".join(self.style)), "</style>"]
            self.style = None


class _PlainSpans(_Located):
    """Finds the start and end tags of the highlighting spans `plain_code` drops."""

    def __init__(self, keep: Callable[[str], bool]) -> None:
        super().__init__()
        self.keep = keep
        self.code = 0  # depth inside highlighted <code>
        self.spans: list[tuple[int, int] | None] = []  # open spans inside it: the dropped one's start tag
        self.dropped: list[tuple[int, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "code" and (self.code or "highlight" in (dict(attrs).get("class") or "").split()):
            self.code += 1
        elif tag == "span" and self.code:
            classes = (dict(attrs).get("class") or "").split()
            plain = len(attrs) == 1 and len(classes) == 1 and not self.keep(classes[0])
            start = self._offset()
            self.spans.append((start, start + len(self.get_starttag_text() or "")) if plain else None)
            if plain:
                self.dropped.append(self.spans[-1])  # type: ignore[arg-type]

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self.code:
            self.code -= 1
            self.spans = [] if not self.code else self.spans
        elif tag == "span" and self.code:
            if not self.spans:
                return
            if self.spans.pop() is not None:
                at = self._offset()
                self.dropped.append((at, self.rawdata.index(">", at) + 1))


class _LongWords(_Located):
    """Finds where `breakable` puts its `<wbr>`s: text read as written (entities not decoded, so offsets are the
    source's)."""

    def __init__(self, every: int) -> None:
        super().__init__()
        self.convert_charrefs = False
        self.every = every
        self.kept = 0  # depth inside <pre>, <code> and raw-text elements: their text is left as it is
        self.breaks: list[int] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.kept += tag in _KEPT_TEXT

    def handle_endtag(self, tag: str) -> None:
        if tag in _KEPT_TEXT and self.kept:
            self.kept -= 1

    def handle_data(self, data: str) -> None:
        if self.kept:
            return
        start = self._offset()
        for run in _LONG_RUN.finditer(data):
            self.breaks += [start + at for at in range(run.start() + self.every, run.end(), self.every)]


_KEPT_TEXT = frozenset({"pre", "code"}) | _RAW_TEXT


class _EndFinder(_Located):
    class FoundError(Exception):
        """Not an error: the end tag is found, and nothing after it is read."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.depth, self.end = name, 1, None  # type: tuple[str, int, int | None]

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.depth += tag == self.name

    def handle_endtag(self, tag: str) -> None:
        if tag == self.name and self.end is None:
            self.depth -= 1
            if self.depth == 0:
                at = self._offset()
                self.end = self.rawdata.index(">", at) + 1 if ">" in self.rawdata[at:] else len(self.rawdata)
                raise self.FoundError


class _CodeText(HTMLParser):
    """The text of a code block's HTML (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


class _CodeWrapper(HTMLParser):
    """Writes a code block's HTML back with a newline and a mark before each character offset of `breaks`."""

    def __init__(self, breaks: dict[int, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.breaks = breaks
        self.out: list[str] = []
        self.at = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        for char in data:
            mark = self.breaks.get(self.at)
            if mark is not None:
                self.out.append("\n" + mark)
            self.out.append(html.escape(char, quote=False))
            self.at += 1


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class _CodeSplitter(HTMLParser):
    """Cuts a code block's HTML before a line (`split_code`)."""

    def __init__(self, line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.line = line
        self.first: list[str] = []
        self.second: list[str] = []
        self.open: list[tuple[str, str]] = []  # (name, start tag) of the elements open where we are
        self.lines = 0

    @property
    def out(self) -> list[str]:
        return self.first if self.lines < self.line else self.second

    def handle_starttag(self, tag: str, attrs: object) -> None:
        text = self.get_starttag_text() or ""
        self.out.append(text)
        if tag not in _VOID:
            self.open.append((tag, text))

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break

    def handle_data(self, data: str) -> None:
        for char in data:
            if char == "\n" and self.lines == self.line - 1:
                self.first += [f"</{name}>" for name, _ in reversed(self.open)]
                self.lines += 1
                self.second += [start for _, start in self.open]
                continue
            self.out.append(html.escape(char, quote=False))
            if char == "\n":
                self.lines += 1


def front_matter_text(value: Any) -> str:
    """A front matter value as Cleaver prints it (numbers and booleans are text too; a missing one is empty)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "true"
    return str(value)


def author_name(author: Any) -> str:
    """The author's name from the front matter's `author:` mapping (empty when there is none)."""
    return front_matter_text(author.get("name")) if isinstance(author, Mapping) else ""


def replaced(html: str, tags: Sequence[Tag], new: Callable[[Tag], str]) -> str:
    """Return `html` with each of `tags` (found in it, in order) replaced by `new(tag)`, the rest as it is."""
    return spliced(html, [(tag.start, tag.end, new(tag)) for tag in tags])


def spliced(text: str, edits: Sequence[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, new) edit made; an edit inside one made already is skipped."""
    pieces, at = [], 0
    for start, end, new in sorted(edits):
        if start < at:
            continue
        pieces += [text[at:start], new]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def bounded_html(html: str, dropped: frozenset[str]) -> str:
    """A slide's HTML within `bounds`' limits: its style attributes' and <style> elements' CSS bounded, and the
    `<use>`s of an inline SVG that would draw too much dropped (and its markers' ids: they draw nowhere then); every
    other byte as it was. `dropped`: the
    document's runaway custom properties (`bounds.runaway` of every definition it makes)."""
    if "<svg" not in html.lower() and not bounds.may_need_bounds(html):
        return html
    reader = _Bounds(dropped)
    reader.feed(html)
    reader.close()
    return spliced(html, [(start, end, new) for start, (end, new) in reader.edits.items()])


def css_definitions_of(html: str) -> dict[str, list[bounds.Shape]]:
    """The custom properties an HTML fragment's style attributes and <style> elements define."""
    defined: dict[str, list[bounds.Shape]] = {}
    if "--" not in html and "\\" not in html and "&#" not in html:  # (`&#45;&#45;a`, `\2d\2d a` are `--a`)
        return defined
    attributes, blocks = styles_apart(html)
    for css, declarations in [*((t, True) for t in attributes), *((t, False) for t in blocks)]:
        for name, values in bounds.css_definitions(css, declarations=declarations).items():
            defined.setdefault(name, []).extend(values)
    return defined


class _Bounds(_Located):
    """Finds the edits `bounded_html` makes: offset -> (end offset, new text)."""

    def __init__(self, dropped: frozenset[str]) -> None:
        super().__init__()
        self.dropped = dropped
        self.edits: dict[int, tuple[int, str]] = {}
        self.style_start: int | None = None  # where the text of the <style> being read starts
        self.svg: list[ET.Element] = []  # the open elements of the inline SVG being read
        self.uses: list[tuple[int, int]] = []  # its <use> tags' places
        self.markers: list[tuple[int, int, str, dict[str, str]]] = []  # its <marker> start tags'

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        end = start + len(self.get_starttag_text() or "")
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name, value or "")
        if "style" in values:
            style = bounds.bounded_css(values["style"], declarations=True, dropped=self.dropped)
            if style != values["style"]:
                self.edits[start] = (end, start_tag(tag, {**values, "style": style}))
        if tag == "style":
            self.style_start = end
        if tag == "svg" or self.svg:
            element = ET.Element(tag, values)
            if self.svg:
                self.svg[-1].append(element)
            self.svg.append(element)
            if tag == "use":
                self.uses.append((start, end))
            elif tag == "marker" and "id" in values:  # drawn again at every vertex that names it
                self.markers.append((start, end, tag, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.svg and tag != "style":  # in SVG, `/>` closes the element
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.svg and self.svg[-1].tag == "style":  # its rules may set markers
            self.svg[-1].text = (self.svg[-1].text or "") + data

    def handle_endtag(self, tag: str) -> None:
        at = self._offset()
        if tag == "style" and self.style_start is not None:
            css = self.rawdata[self.style_start : at]
            bounded = bounds.bounded_css(css, dropped=self.dropped)
            if bounded != css:
                self.edits[self.style_start] = (at, bounded.replace("<", "\\3c "))
            self.style_start = None
        if any(element.tag == tag for element in self.svg):  # closes it, and what is open inside it
            if tag == "use":
                self.uses.append((at, self.rawdata.index(">", at) + 1))
            while self.svg and self.svg[-1].tag != tag:
                self.svg.pop()
            self._pop()

    def _pop(self) -> None:
        root = self.svg.pop()
        if not self.svg:
            if bounds.svg_draws(root) > bounds.SVG_NODES:
                self.edits.update({start: (end, "") for start, end in self.uses})
                # A marker without its id is drawn nowhere (its style attribute, if any, still bounded).
                for start, end, tag, values in self.markers:
                    kept = {k: v for k, v in values.items() if k != "id"}
                    if "style" in kept:
                        kept["style"] = bounds.bounded_css(kept["style"], declarations=True, dropped=self.dropped)
                    self.edits[start] = (end, start_tag(tag, kept))
            self.uses = []
            self.markers = []

    def close(self) -> None:
        super().close()
        while self.svg:  # an unclosed <svg> ends with the slide
            self._pop()
