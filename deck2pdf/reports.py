"""What deck2pdf says about a deck's CSS and about what WeasyPrint reported while rendering it: in deck2pdf's
words, once each, with the place the user can fix (a deck line and slide, a style sheet's file and line).

WeasyPrint's own messages name neither: "Parse error at 59:69" is a line of some style sheet or <style> block,
"Failed to load stylesheet at file:///…: [Errno 2] …" says what Python raised. So its notes on the CSS it reads
are not shown (they go to the debug log, `rendering.pages`): the deck's CSS is checked here instead, with
tinycss2, where its file and line are known. Its reports of what it could not load are worded here and placed
where the deck names the file; those the image stage already reported are not repeated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .markup import css_errors, elements, styles_apart
from .model import Deck, Slide, short, slide_place
from .urls import joined

_FAILED_TO_LOAD = re.compile(r"Failed to load (image|stylesheet) at '?([^' ]*)'? ?: (.*)", re.S)
_MOST_PER_PLACE = 3  # CSS problems reported per sheet or slide; the rest are counted


def css_problems(deck: Deck, sheets: Mapping[Path, str]) -> list[str]:
    """The deck's CSS that does not parse: in its style sheets (`sheets`: the deck's own and what they import),
    each named by file and line, and in its slides' <style> blocks and style attributes, by deck line and slide.
    Rules a printer ignores (screen media, unknown properties) are not problems."""
    found = []
    for sheet, text in sheets.items():
        found += _counted([f"{sheet}:{line}: CSS that does not parse ({_plain(why)}); that part is ignored"
                           for line, why in css_errors(text)])  # fmt: skip
    for slide in deck.slides:
        notes = []
        attributes, blocks = styles_apart(slide.html)
        for css, declarations in [*((a, True) for a in attributes), *((b, False) for b in blocks)]:
            notes += [
                f"{slide_place(deck, slide, _first_line(css, line))}: CSS in a "
                f"{'style attribute' if declarations else '<style> block'} does not parse ({_plain(why)}); "
                "that part is ignored"
                for line, why in css_errors(css, declarations=declarations)
            ]
        found += _counted(notes)
    return found


# tinycss2's words for the usual mistakes, in a CSS author's.
_NEITHER = "neither a rule nor a `property: value` declaration: a missing `:` or `{`, or a stray `}`?"
_PLAIN = {
    "EOF reached before {} block for a qualified rule": _NEITHER,
    "Stop token reached before {} block for a qualified rule": _NEITHER,
}


def _plain(why: str) -> str:
    return _PLAIN.get(why, why)


def _first_line(css: str, line: int) -> str:
    """A piece of the CSS's `line`-th line, to find it in the slide's Markdown."""
    lines = css.split("\n")
    return lines[line - 1].strip()[:40] if 0 < line <= len(lines) else ""


def _counted(notes: list[str]) -> list[str]:
    if len(notes) <= _MOST_PER_PLACE:
        return notes
    return [*notes[:_MOST_PER_PLACE], f"{notes[0].split(': ', 1)[0]}: and {len(notes) - _MOST_PER_PLACE} more"]


def stylesheet_links(deck: Deck) -> list[str]:
    """One warning per `<link rel=stylesheet>` in a slide: it styles the whole deck, as in a browser (not only its
    slide), and what it names may not be there."""
    out = []
    base = deck.source.resolve().parent.as_uri() + "/"
    for slide, href in linked_sheets(deck):
        url = urlsplit(joined(base, href))
        if url.scheme in ("http", "https"):
            what = "is on the web, and deck2pdf fetches only images: it is not used"
        elif url.scheme == "file" and not Path(unquote(url.path)).is_file():
            what = "is not found"
        else:
            what = "styles every slide of the deck, as in a browser"
        out.append(
            f"{slide_place(deck, slide, href)}: the style sheet '{short(href)}' linked in this slide {what}; "
            "name the deck's style sheet with `style:` in the front matter instead"
        )
    return out


def linked_sheets(deck: Deck) -> list[tuple[Slide, str]]:
    """Each `<link rel=stylesheet>` of the slides: its slide, and its href as written."""
    return [
        (slide, tag.attrs.get("href", "").strip())
        for slide in deck.slides
        for tag in elements(slide.html, ("link",))
        if "stylesheet" in tag.attrs.get("rel", "").lower().split()
    ]


def worded(messages: Iterable[str], deck: Deck, sheets: Mapping[Path, str], told: Sequence[str]) -> list[str]:
    """WeasyPrint's reports in deck2pdf's words, each once, placed where the deck (or one of its style sheets)
    names the file. `told`: URLs and names already reported (the image stage's problems, the links warned of)."""
    out = []
    for message in dict.fromkeys(m.strip() for m in messages):
        m = _FAILED_TO_LOAD.fullmatch(message)
        if m is None:
            out.append(f"{deck.source}: WeasyPrint: {message}")
            continue
        kind, url, why = m.groups()
        name = Path(unquote(urlsplit(url).path)).name if url.startswith("file:") else url
        if url in told or name in told:
            continue
        what = {"image": "image", "stylesheet": "style sheet"}[kind]
        out.append(f"{_place(deck, sheets, name)}: {what} '{short(name)}' {_reason(why)}")
    return list(dict.fromkeys(out))


def _place(deck: Deck, sheets: Mapping[Path, str], name: str) -> str:
    """Where a file is named: the first slide whose Markdown names it, else the first style sheet, else the deck."""
    for slide in deck.slides:
        if name in slide.markdown:
            return slide_place(deck, slide, name)
    for sheet, text in sheets.items():
        offset = text.find(name)
        if offset >= 0:
            return f"{sheet}:{text[:offset].count(chr(10)) + 1}"
    return str(deck.source)


def _reason(why: str) -> str:
    """Python's words for an error in the user's: no exception names, no errno. The renderer's own refusals are
    worded already ("is outside the deck's folder ...")."""
    why = re.sub(r"^\w+(?:Error|Exception): ", "", why.strip())
    if why.startswith("is "):
        return why
    if "No such file" in why or why.startswith("[Errno 2]"):
        return "is not found"
    return "could not be used: " + re.sub(r"^\[Errno \d+\] ", "", why)
