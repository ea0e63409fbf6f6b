"""`--theme deck`: print a deck in its own Cleaver theme, the `theme:` its front matter names.

Found as Cleaver finds it (lib/helper.js, loadTheme): a folder (relative to the deck), a URL of a folder, or
`user/repo` on GitHub (`<base>user/repo/master/`, the base settable for tests and mirrors). Only its `style.css`
is used (its templates and script are for the screen), fetched once by the image fetcher's rules and cache
(`assets.download`: the network policy, the size and time limits, --offline from the cache) and made passive
(no @import, no @font-face: its fonts are on the web).

A Cleaver theme styles a screen: `body` and `.slide` carry its colours and font but also its geometry (`position:
absolute`, a fixed 800 x 600 box), `.controls` and `.arrow` are its buttons, and sizes are px at Cleaver's 32 px
text. So it is adapted to pages, over the default print theme: the page (`body`, `html`, `.slide`,
`.slide-content`) takes only its paint (colours, backgrounds, fonts, text alignment); the screen furniture is
dropped; every other rule is kept, its px written as em of Cleaver's text so it scales with fitting. The print
theme keeps the page size, the fitting and the furniture (slide number, progress bar in the theme's colour).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import tinycss2
from tinycss2.serializer import serialize_url

from .assets import download
from .cache import default_cache_dir
from .errors import ThemeError
from .files import FileAccess, write_atomic
from .markup import passive_css
from .model import Deck
from .options import CLEAVER_FONT_PX, Options
from .themes import STYLE_NAME, Theme, load_theme
from .urls import joined, split

_GITHUB_NAME = re.compile(r"[\w-]+/[\w-]+")  # Cleaver's test for `user/repo`
# The page, as a Cleaver theme names it (a slide's own classes may follow `.slide`): mapped to the print page.
_PAGE = re.compile(r"(?:(html|body|#main|\.slides|\.slide-content)|\.slide((?:\.[\w-]+)*))", re.IGNORECASE)
_SCREEN_ONLY = re.compile(r"\.(?:controls|arrow|prev|next)\b|\.progress(?![\w-])", re.IGNORECASE)
_PAINT = re.compile(
    r"(?:color|background(?:-color|-image)?|font-family|font-style|font-weight|text-align|text-shadow|"
    r"letter-spacing|text-transform|--[\w-]+)",
    re.IGNORECASE,
)


def cleaver_theme(deck: Deck, options: Options) -> tuple[Theme, list[str]]:
    """The default print theme with the deck's Cleaver theme over it; or, when the deck names none or it cannot
    be had, the default print theme and a warning saying why."""
    base, _ = load_theme("default", "default")
    name = deck.meta.get("theme")
    if not isinstance(name, str) or not name.strip():
        return base, [f"{deck.source}: --theme deck: the deck names no `theme:`; the default print theme is used"]
    name = name.strip()
    try:
        css, where = _style_sheet(deck, options, name)
    except ThemeError as exc:
        return base, [f"{deck.source}: --theme deck: theme `{name}` {exc.problem}; the default print theme is used"]
    text = adapted(passive_css(css.decode("utf-8", errors="replace")), where)  # (bounded as the renderer reads it)
    folder = (options.cache_dir or default_cache_dir()) / "themes" / hashlib.sha256(text.encode()).hexdigest()[:32]
    sheet = folder / STYLE_NAME
    if not sheet.is_file():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(sheet, f"/* {name} ({where}), adapted to pages by deck2pdf */\n{text}".encode())
        except OSError as exc:
            return base, [f"{deck.source}: --theme deck: theme `{name}` could not be saved ({exc.strerror})"]
    theme = Theme(
        name=name,
        folder=folder,
        stylesheets=(*base.stylesheets, sheet),
        template=base.template,
        paper=base.paper,
        image_sheets=(sheet,),
    )
    return theme, []


def _style_sheet(deck: Deck, options: Options, name: str) -> tuple[bytes, str]:
    """The theme's style.css, and where it came from; ThemeError says why not."""
    try:
        folder = (deck.source.resolve().parent / name).resolve()
        is_folder = folder.is_dir()
    except (OSError, ValueError):  # a name the file system's encoding cannot hold (LANG=C), a NUL
        is_folder = False
    if is_folder:
        path = folder / STYLE_NAME
        refusal = FileAccess.for_deck(deck.source, options).refusal(path)
        if refusal is not None:
            raise ThemeError(f"{STYLE_NAME} {refusal}")
        if not path.is_file() or path.stat().st_size > options.max_deck_bytes:
            raise ThemeError(f"has no {STYLE_NAME} (of at most --max-deck-bytes)")
        return path.read_bytes(), path.as_uri()
    if (parts := split(name)) is not None and parts.scheme in ("http", "https"):
        url = name.rstrip("/") + "/" + STYLE_NAME
    elif _GITHUB_NAME.fullmatch(name):
        url = f"{options.theme_base_url.rstrip('/')}/{name}/master/{STYLE_NAME}"
    else:
        raise ThemeError("is not a folder, a URL or a GitHub `user/repo`")
    data, problem = download(url, deck, options)
    if data is None:
        raise ThemeError(f"{STYLE_NAME} {problem}")
    if len(data) > options.max_deck_bytes:
        raise ThemeError(f"{STYLE_NAME} is over --max-deck-bytes")
    return data, url


def adapted(css: str, base: str) -> str:
    """A Cleaver theme's CSS for pages (see the module's docstring); its relative url()s resolved against `base`,
    where it came from (it is saved elsewhere)."""
    return _rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), base)


def _rules(rules: list[Any], base: str) -> str:
    out = []
    for rule in rules:
        if rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword in ("media", "supports"):
            inner = _rules(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), base)
            out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
        elif rule.type == "qualified-rule":
            out.append(_rule(rule, base))
        elif rule.type == "at-rule":
            out.append(rule.serialize())
    return "".join(out)


def _selectors(prelude: list[Any]) -> list[str]:
    """A selector list split at its own commas (not those inside `:not(.a, .b)`)."""
    parts: list[list[Any]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return [text for part in parts if (text := tinycss2.serialize(part).strip())]


def _rule(rule: Any, base: str) -> str:
    selectors = _selectors(rule.prelude)
    declarations = [d for d in tinycss2.parse_blocks_contents(rule.content) if d.type == "declaration"]
    page = [f"section.slide{m.group(2) or ''}" for s in selectors if (m := _PAGE.fullmatch(s))]
    rest = [s for s in selectors if not _PAGE.fullmatch(s) and not _SCREEN_ONLY.search(s)]
    out = ""
    paint = [d for d in declarations if _PAINT.fullmatch(d.lower_name)]
    if page and paint:
        out += f"{', '.join(dict.fromkeys(page))}{{{_declarations(paint, base)}}}"
    if rest:
        out += f"{', '.join(rest)}{{{_declarations(declarations, base)}}}"
    return out


def _declarations(declarations: list[Any], base: str) -> str:
    return "".join(
        f"{d.name}:{tinycss2.serialize(_em(d.value, base))}{' !important' if d.important else ''};"
        for d in declarations
    )


def _em(tokens: list[Any], base: str) -> list[Any]:
    """px as em of Cleaver's text (32 px), as the deck's own pixel sizes are read (`layout`); url()s absolute."""
    out = []
    for token in tokens:
        if token.type == "dimension" and token.lower_unit == "px" and token.value:
            value = round(token.value / CLEAVER_FONT_PX, 4)
            token = tinycss2.ast.DimensionToken(token.source_line, token.source_column, value, None, f"{value:g}", "em")
        elif token.type == "url" or (token.type == "function" and token.lower_name == "url"):
            ref = (
                token.value
                if token.type == "url"
                else next((a.value for a in token.arguments if a.type == "string"), "")
            )
            if not ref.strip() or ref.startswith("#"):  # empty, or a fragment (filter: url(#f)): as written
                out.append(token)
                continue
            url = joined(base, ref)
            written = f"url({serialize_url(url)})"
            token = tinycss2.ast.URLToken(token.source_line, token.source_column, url, written)
        elif token.type == "function":
            arguments = _em(token.arguments, base)
            token = tinycss2.ast.FunctionBlock(token.source_line, token.source_column, token.name, arguments)
        out.append(token)
    return out
