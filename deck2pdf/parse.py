"""Turn a deck's text into a Deck: front matter, slides cut at `--` lines, Markdown to HTML per slide.

The rules are Cleaver 0.8.7's (see CLEAVER-FORMAT.md), with the deliberate differences listed in README:
BOM dropped, CR/CRLF read as LF, `#Title` is a heading, text before the first separator that is not a
YAML mapping becomes the first slide, a deck with no slides is an error.
"""

from __future__ import annotations

import codecs
import dataclasses
import html
import re
import stat
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from . import procs
from .errors import DeckError
from .marked import to_html
from .markup import author_name, front_matter_text
from .model import Deck, Slide
from .options import Options

# What JavaScript's String.trim() removes; Python's bare strip() differs (keeps U+FEFF, drops U+001C-1F).
JS_WS = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
MAX_NESTING = 150  # levels of nested elements in a slide; WeasyPrint's layout recursion gives out near 500
MAX_FRONT_MATTER_VALUES = 100_000
_NESTING = re.compile(
    r"^((?:[ \t]|>\s?)*)\S", re.MULTILINE
)  # aliases of aliases ("billion laughs") expand past any real front matter
_SEPARATOR = re.compile(r"\n(?=--)")
_HTML_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$", re.MULTILINE)
_LOOKS_LIKE_YAML_KEY = re.compile(r"^[ \t]*[^\s#<>*\-`|][^:\n]*:(?:\s|$)")
_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class _Piece:
    line: int  # 1-based line of the separator
    classes: tuple[str, ...]
    markdown: str
    markdown_line: int  # line of the first line of `markdown`


@dataclass(frozen=True)
class Limits:
    """What a deck may hold at most; the defaults and the checks of each are Options' (flags raise them)."""

    max_deck_bytes: int = Options.max_deck_bytes
    max_slides: int = Options.max_slides
    max_slide_chars: int = Options.max_slide_chars  # Markdown's inline pass slows down with the square of a huge slide

    @classmethod
    def from_options(cls, options: Options) -> Limits:
        """The limits an Options sets (--untrusted's tighter ones among them)."""
        return cls(options.max_deck_bytes, options.max_slides, options.max_slide_chars)


def parse_deck(source: Path, limits: Limits | None = None, *, processes: int = 1, data: bytes | None = None) -> Deck:
    """Read a deck file and return its Deck; a long deck's Markdown is read by `processes` processes. With `data`,
    that is the deck (read from standard input, or given by a program) and `source` only says where it stands:
    its folder is where relative paths start."""
    limits = limits or Limits()
    if data is not None:
        if len(data) > limits.max_deck_bytes:
            raise DeckError(
                f"is over the {limits.max_deck_bytes / 2**20:.0f} MB limit",
                file=source,
                hint="raise the limit with --max-deck-bytes if the deck is what you meant",
            )
        deck = parse_text(decode(data, source), source, limits, processes=processes)
        return dataclasses.replace(deck, given=data)
    try:
        info = source.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would never end
            raise DeckError("is not a regular file", file=source, hint="give the path of a .md file")
        if info.st_size > limits.max_deck_bytes:
            raise DeckError(
                f"is {info.st_size / 2**20:.1f} MB, over the {limits.max_deck_bytes / 2**20:.0f} MB limit",
                file=source,
                hint="raise the limit with --max-deck-bytes if the deck is what you meant",
            )
        data = source.read_bytes()
    except IsADirectoryError:
        raise DeckError("is a directory, not a deck", file=source, hint="give the path of a .md file") from None
    except FileNotFoundError:
        raise DeckError("no such file", file=source, hint="check the path") from None
    except OSError as exc:
        raise DeckError(f"cannot read the deck ({exc.strerror})", file=source, hint="check its permissions") from exc
    return parse_text(decode(data, source), source, limits, processes=processes)


def decode(data: bytes, source: Path | str) -> str:
    """Decode a deck as UTF-8 (as Cleaver does), dropping a byte-order mark."""
    if b"\x00" in data[:8192]:
        raise DeckError("is a binary file, not a Markdown deck", file=source, hint="give the deck's .md file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        declared = _declared_encoding(data)
        if declared is None:
            raise _undecodable(
                data,
                exc,
                source,
                "UTF-8",
                "save the deck as UTF-8, or name its encoding in the front matter (encoding: iso-8859-1)",
            ) from None
    # Not UTF-8, and the front matter names an encoding: Cleaver ignores it, but it is what the author meant.
    hint = "fix the `encoding:` line or the file"
    try:
        text = data.decode(declared)
        text.encode("utf-8")  # utf-7, unicode_escape...: they can make lone surrogates, which are no characters
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc, source, declared, hint, " as its front matter says") from None
    except LookupError:  # base64, zlib, rot13...: codecs, but not of text
        raise DeckError(
            f"is not UTF-8, and its front matter's `encoding: {declared}` is not a text encoding",
            file=source,
            hint="save the deck as UTF-8, or name its text encoding (encoding: iso-8859-1)",
        ) from None
    except ValueError:  # punycode, idna, a surrogate: the codec's own errors, not at one byte
        raise DeckError(f"is not valid {declared}, as its front matter says", file=source, hint=hint) from None
    return text


def _undecodable(
    data: bytes, exc: UnicodeDecodeError, source: Path | str, encoding: str, hint: str, why: str = ""
) -> DeckError:
    line = data[: exc.start].count(b"\n") + 1
    said = f",{why}" if why else ""
    return DeckError(f"is not valid {encoding} (byte 0x{data[exc.start]:02x}){said}", file=source, line=line, hint=hint)


def _declared_encoding(data: bytes) -> str | None:
    """The real encoding a deck's front matter names in `encoding:`, if any (read as ASCII-compatible bytes)."""
    front = data.split(b"\n--", 1)[0]
    m = re.search(rb"^encoding:[ \t]*[\"']?([A-Za-z0-9_.:-]+)", front, re.MULTILINE)
    if not m:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None
    return None if name in ("utf-8", "utf-8-sig") else name


def parse_text(text: str, source: Path, limits: Limits | None = None, *, processes: int = 1) -> Deck:
    """Parse a deck's text; `source` names it in messages and anchors relative paths."""
    limits = limits or Limits()
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    front, pieces = _cut(text)
    if len(pieces) > limits.max_slides:
        raise DeckError(
            f"has {len(pieces)} slides, over the {limits.max_slides}-slide limit",
            file=source,
            hint="raise the limit with --max-slides if the deck is what you meant",
        )
    if len(front) > limits.max_slide_chars:  # front matter, or a first slide written before any `--`
        raise DeckError(
            f"its text before the first `--` is {len(front):,} characters long, over the "
            f"{limits.max_slide_chars:,}-character limit",
            file=source,
            line=1,
            hint="split it, or raise the limit with --max-slide-chars",
        )
    for number, piece in enumerate(pieces, start=1):
        if len(piece.markdown) > limits.max_slide_chars:
            raise DeckError(
                f"is {len(piece.markdown):,} characters long, over the {limits.max_slide_chars:,}-character limit",
                file=source,
                line=piece.line,
                slide=number,
                hint="split the slide, or raise the limit with --max-slide-chars",
            )
    warnings: list[str] = []
    meta: Mapping[str, Any] = {}
    if front:
        parsed = _front_matter(front, source)
        if parsed is None:
            warnings.append(
                f"{source}:1: the text before the first `--` line is not front matter, "
                "so it is shown as the first slide; start the file with `--` or a `key: value` line"
            )
            pieces.insert(0, _Piece(line=1, classes=(), markdown=front, markdown_line=1))
        else:
            meta = parsed
    _convert_many([p.markdown for p in pieces], processes)
    slides = [
        Slide(
            number=i,
            line=p.line,
            classes=p.classes,
            html=(h := _slide_html(p, i, source)),
            title=_title_of(h),
            markdown=p.markdown,
            markdown_line=p.markdown_line,
        )
        for i, p in enumerate(pieces, start=1)
    ]
    author = meta.get("author")
    if author:
        slides.append(
            Slide(
                number=len(slides) + 1,
                line=1,
                classes=("author-slide",),
                html=author_html(author),
                title=author_name(author) or None,
            )
        )
    if not slides:
        raise DeckError(
            "has no slides",
            file=source,
            hint="separate slides with lines that start with `--` (the text before the first one is front matter)",
        )
    return Deck(
        source=source,
        title=_title(meta.get("title")),
        meta=meta,
        slides=tuple(slides),
        warnings=tuple(warnings),
    )


def _slide_html(piece: _Piece, number: int, source: Path) -> str:
    """A slide's HTML, refused when it nests deeper than a page can show (and WeasyPrint can lay out)."""
    # Nested lists and quotes cost the parser a pass per level: look at the indentation before parsing.
    html, depth = _converted(piece.markdown)
    if depth > MAX_NESTING:
        raise DeckError(
            f"nests lists or HTML elements more than {MAX_NESTING} levels deep",
            file=source,
            line=piece.line,
            slide=number,
            hint="flatten the slide",
        )
    return html


def _converted(markdown: str) -> tuple[str, int]:
    """A slide's Markdown as HTML, and how deep it nests. Kept for the slides that did not change when a deck is
    read again (--watch: a 300-slide deck is read in 0.03 s instead of 0.28)."""
    done = _CONVERTED.get(markdown)
    if done is None:
        if len(_CONVERTED) >= _CONVERTED_MAX:
            _CONVERTED.clear()
        done = _CONVERTED[markdown] = _convert(markdown)
    return done


_CONVERTED: dict[str, tuple[str, int]] = {}
_CONVERTED_MAX = 4096
PARALLEL_SLIDES = 64  # fewer new slides than this are read in this process: a fork is not worth it


def _convert_many(texts: list[str], processes: int) -> None:
    """Read the slides not read before, half of them in a forked process when there are many (reading 1,000
    slides takes 0.7 s, on the critical path: the renderer waits for them). Two processes at most: the one
    rendering waits meanwhile."""
    new = [t for t in dict.fromkeys(texts) if t not in _CONVERTED]
    if (
        processes < 2
        or len(new) < PARALLEL_SLIDES
        or not procs.forking()  # spawning a process would cost more than it saves
    ):
        return
    half = len(new) // 2
    with procs.pool(1) as helper:
        theirs = helper.map(_convert, new[half:], chunksize=len(new) - half)  # sent now, as one task
        for text in new[:half]:
            _converted(text)
        _CONVERTED.update(zip(new[half:], theirs, strict=True))


def _convert(markdown: str) -> tuple[str, int]:
    indent = max((len(m.group(1)) for m in _NESTING.finditer(markdown)), default=0)
    if indent > 2 * MAX_NESTING:
        return "", MAX_NESTING + 1
    try:
        html = to_html(markdown)
    except RecursionError:
        return "", MAX_NESTING + 1
    # A slide with no more tags than MAX_NESTING cannot nest deeper: not parsed again to measure (0), which
    # was a third of the time to read a slide.
    return html, _depth(html) if html.count("<") > MAX_NESTING else 0


class _Depth(HTMLParser):
    VOID = frozenset(
        ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]
    )

    def __init__(self) -> None:
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID:
            self.depth = max(0, self.depth - 1)


def _depth(html: str) -> int:
    """How deeply a slide's elements nest (unclosed elements count as open to the end)."""
    parser = _Depth()
    parser.feed(html)
    parser.close()
    return parser.deepest


def _cut(text: str) -> tuple[str, list[_Piece]]:
    """Split a deck into its front matter and slide pieces, as Cleaver does."""
    front = ""
    pieces: list[_Piece] = []
    line = 1
    for piece in _SEPARATOR.split(text):
        here = line
        line += piece.count("\n") + 1  # +1 for the newline the split consumed
        if not piece.startswith("--"):  # only the first piece can be this
            front = piece.strip(JS_WS)
            continue
        rest = piece[2:]
        nl = rest.find("\n")
        if nl == -1:  # a separator directly followed by another: its "class" text is the slide
            pieces.append(_Piece(here, (), rest.strip(JS_WS), here))
        else:
            body = rest[nl:]
            skipped = body[: len(body) - len(body.lstrip(JS_WS))].count("\n")
            pieces.append(_Piece(here, tuple(rest[:nl].split()), body.strip(JS_WS), here + skipped))
    return front, pieces


class _CleaverYamlLoader(yaml.SafeLoader):
    """PyYAML read the way js-yaml 3 (YAML 1.2) reads it: only true/false are booleans, duplicate keys fail."""


_CleaverYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CleaverYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    """A mapping as js-yaml builds one: a key written twice is an error (compared as the JavaScript object keys
    they become: `1` and `true` differ, `1` and `"1"` do not); `<<: *base` merges another mapping in."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # merged keys may be written again: the mapping's own win
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str | int | float | bool):
            name = _js_key(key)
            if name in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicated mapping key '{name}'", key_node.start_mark
                )
            seen.add(name)
    loader.flatten_mapping(node)  # merged keys first: the mapping's own, after them, win
    if len(node.value) > MAX_FRONT_MATTER_VALUES:  # merges of merges grow tenfold a level
        raise yaml.constructor.ConstructorError(
            None, None, f"its merges (<<) expand to more than {MAX_FRONT_MATTER_VALUES:,} keys", node.start_mark
        )
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, str | int | float | bool):
            key = _js_key(key)  # as JavaScript names it (Python would take `1` and `true` for one key)
        elif not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(None, None, "a key that is a list or mapping", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _js_key(key: str | int | float | bool) -> str:
    """The property name a YAML key becomes in JavaScript."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


_CleaverYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A date, or, when it is not one (`2024-13-45`), the text as written: front matter dates are only shown."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_CleaverYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """A string, refused when an escape (`"\\ud800"`) made it hold a lone surrogate: not a character, so no file
    name, PDF title or page can hold it."""
    value = str(loader.construct_scalar(node))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise yaml.constructor.ConstructorError(
            None, None, "a string holds a lone surrogate (\\ud800-\\udfff), which is not a character", node.start_mark
        ) from None
    return value


_CleaverYamlLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def _front_matter(text: str, source: Path) -> Mapping[str, Any] | None:
    """Return the front matter as a mapping, or None when the text is not meant as front matter."""
    # js-yaml does not count a leading tab as indentation (it starts a new top-level key); stripping
    # leading tabs gives exactly its result on the real decks that do this. HTML comment lines are
    # commented-out keys in real decks; js-yaml read them as junk keys, we drop them.
    cleaned = _HTML_COMMENT_LINE.sub("", re.sub(r"^\t+", "", text, flags=re.MULTILINE))
    first = next((ln for ln in cleaned.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    if not _LOOKS_LIKE_YAML_KEY.match(first) and not first.startswith(("---", "{")):
        return None  # prose, a list or HTML: the author meant a slide
    try:
        value = yaml.load(cleaned, Loader=_CleaverYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = str(exc.problem or exc.context or "invalid YAML").strip()
        raise DeckError(
            f"bad front matter: {problem}",
            file=source,
            line=line,
            hint="fix the YAML before the first `--` line (quote values that contain ': ' or start with a symbol)",
        ) from None
    except yaml.YAMLError as exc:
        raise DeckError(f"bad front matter: {exc}", file=source, line=1, hint="fix the YAML") from None
    except RecursionError:
        raise DeckError(
            "bad front matter: it nests too deep", file=source, line=1, hint="write flatter YAML before the first `--`"
        ) from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        return None
    if _expanded_size(value, {}, set()) > MAX_FRONT_MATTER_VALUES:
        raise DeckError(
            f"bad front matter: its aliases (*name) expand to more than {MAX_FRONT_MATTER_VALUES:,} values",
            file=source,
            line=1,
            hint="write the values out instead of repeating aliases",
        )
    meta = {str(k): v for k, v in value.items()}
    for key in ("title", "theme", "style", "description", "lang", "date"):
        if isinstance(meta.get(key), list | dict):  # text is expected; a structure would be printed whole
            raise DeckError(
                f"bad front matter: `{key}` is a list or mapping, not text",
                file=source,
                line=1,
                hint=f"write `{key}: some text`",
            )
    return meta


def _expanded_size(value: Any, sizes: dict[int, int], visiting: set[int]) -> int:
    """How many values `value` holds once every alias is expanded (memoised: aliases share objects)."""
    if not isinstance(value, list | dict):
        return 1
    key = id(value)
    if key in sizes:
        return sizes[key]
    if key in visiting:  # an alias inside itself: endless
        return MAX_FRONT_MATTER_VALUES + 1
    visiting.add(key)
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    size = 1 + sum(_expanded_size(v, sizes, visiting) for _, v in items)
    visiting.discard(key)
    sizes[key] = min(size, MAX_FRONT_MATTER_VALUES + 1)
    return sizes[key]


def _title(value: Any) -> str:
    if value is None or value is False or value == 0 or value == "":
        return "Untitled"
    return str(value)


def author_html(author: Any) -> str:
    """Return the author slide's HTML, in Cleaver's fixed field order whatever the YAML's order."""
    fields = author if isinstance(author, Mapping) else {}
    parts = [f'<div class="author">\n  <h1 class="name">{html.escape(author_name(author))}</h1>']
    twitter = front_matter_text(fields.get("twitter"))
    if twitter and not twitter.startswith("@"):
        twitter = "@" + twitter
    # Cleaver inserts these raw, unescaped; so do we (`<3` and `&&` show as written).
    links = [
        ("twitter", twitter, "http://twitter.com/"),
        ("github", front_matter_text(fields.get("github")), "https://github.com/"),
        ("weibo", front_matter_text(fields.get("weibo")), "http://weibo.com/"),
        ("url", front_matter_text(fields.get("url")), ""),
        ("email", front_matter_text(fields.get("email")), "mailto:"),
    ]
    for cls, value, prefix in links:
        if value:
            parts.append(f'  <h3 class="{cls}"><a href="{prefix}{value}">{value}</a></h3>')
    parts.append("</div>")
    return "\n".join(parts)


def _title_of(slide_html: str) -> str | None:
    """Return the text of a slide's first heading, for its bookmark."""
    match = _HEADING.search(slide_html)
    if not match:
        return None
    text = " ".join(html.unescape(_TAG.sub(" ", match.group(2))).split())
    return text or None
