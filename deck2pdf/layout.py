"""Turn a Deck, a Theme and Options into one HTML document that puts each slide on its own page (Jinja2)."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import jinja2
import tinycss2.color3

from ._version import __version__
from .archive import cjk_face
from .bounds import Shape, bounded_css, css_definitions, runaway
from .files import FileAccess, read_sheets
from .handout import link_notes, mark_links, qr_svg, url_pieces
from .markup import (
    ALL,
    HEADINGS,
    Tag,
    author_name,
    bounded_html,
    breakable,
    clamped_spans,
    css_definitions_of,
    element_end,
    elements,
    images,
    passive_css,
    passive_html,
    plain_code,
    replaced,
    retagged,
    slide_parts,
    split_code,
    wrap_code,
)
from .model import (
    FULL,
    Asset,
    Caption,
    Cell,
    Deck,
    Fit,
    HandoutCell,
    LinkNote,
    Rect,
    Sheet,
    Slide,
    short,
    slide_id,
    slide_place,
)
from .options import CLEAVER_FONT_PX, CONTENT_PADDING_EM, PAGE_EMS, Options
from .themes import FONTS_DIR, THEMES_DIR, Theme
from .urls import joined, split

# Cheap necessary conditions for an attribute (`rel=`, `id=`): most slides have none, and need no parse.
_MAY_HAVE_REL = re.compile(r"(?<![\w-])rel\s*=", re.IGNORECASE)
_MAY_HAVE_ID = re.compile(r"(?<![\w-])id\s*=", re.IGNORECASE)
_PX_LENGTH = re.compile(r"((?:^|[;\s])(?:min-|max-)?(?:width|height)\s*:\s*)(\d+(?:\.\d+)?)px", re.IGNORECASE)


@dataclass(frozen=True)
class Layout:
    html: str
    base_url: str  # relative URLs in slides resolve against the deck's folder
    stylesheets: tuple[Path, ...]


def lay_out(
    deck: Deck,
    theme: Theme,
    options: Options,
    *,
    variants: Sequence[tuple[int, Fit]] | None = None,
    date: str = "",
    lang: str = "",
) -> Layout:
    """Return the print HTML of a deck: one <section> per slide, sized to one page (see `Typesetter.html`)."""
    return Typesetter(deck, theme, options, date=date, lang=lang).html(variants)


class Typesetter:
    """Lays out any part of a deck: the slides' print HTML is made once, then documents of any subset of the
    slides, at any sizes, are cheap (a large deck is rendered in chunks, and each chunk's slides that do not
    fit are laid out again, smaller)."""

    def __init__(self, deck: Deck, theme: Theme, options: Options, *, date: str = "", lang: str = "") -> None:
        # On a handout, the slides print light (unless --backgrounds) and without their number and progress bar
        # (the sheet's caption carries the number).
        handout = options.handout is not None
        if handout:
            options = replace(options, progress=False)
        self.deck, self.options = deck, options
        self.template = (theme.template, theme.template.stat().st_mtime_ns)  # compiled where it is used
        own = tuple(p for p in (options.style, *options.css) if p is not None and p.is_file())
        paper = theme.paper if handout and not options.backgrounds else ()
        self.stylesheets = (*theme.stylesheets, *([] if options.untrusted else own), *paper)
        inline = (
            [passive_css(p.read_text(encoding="utf-8", errors="replace")) for p in own] if options.untrusted else []
        )
        # The page's own ids come first: a heading "Slide 3" must not take the id of slide 3's section.
        seen_ids = {f"slide{end}-{s.number}" for s in deck.slides for end in ("", "-end")}
        self.base_url = deck.source.resolve().parent.as_uri() + "/"
        # What the renderer may read: the deck's folders, the theme's and every style sheet's own folder.
        self.access = FileAccess.for_deck(deck.source, options).including(
            theme.folder, THEMES_DIR, FONTS_DIR, *(p.parent for p in self.stylesheets)
        )
        self.sheets = read_sheets(self.stylesheets, self.access)
        # Every custom property the document defines (its sheets, every slide's CSS): a var() anywhere may use any.
        defined: dict[str, list[Shape]] = {}
        for found in [
            *(css_definitions(css) for css in [*self.sheets.values(), *inline]),
            *(css_definitions_of(s.html) for s in deck.slides),
        ]:
            for name, values in found.items():
                defined.setdefault(name, []).extend(values)
        # Dropped wherever they are defined: in the slides and sheets here, in the sheets the renderer reads.
        self.runaway = runaway(defined)
        self.inline_css = [bounded_css(css, dropped=self.runaway) for css in inline]  # (--untrusted: not fetched)
        styled = frozenset(_CSS_CLASS.findall("\n".join([*self.sheets.values(), *self.inline_css])))
        self.slide_html: dict[int, str] = {}
        self.slide_ids: dict[int, frozenset[str]] = {}  # each slide's element ids (link targets), as printed
        for s in deck.slides:
            html = bounded_html(_passive(_print_html(s, deck.assets, self.base_url), options.untrusted), self.runaway)
            html = breakable(html)
            if handout and options.noting_links:  # each noted link's letter (its note is under the slide)
                html = mark_links(html, link_notes(s.html))
            self.slide_html[s.number], self.slide_ids[s.number] = _unique_ids(
                _plain_code(html, styled), s.number, seen_ids
            )
        # The title keeps the theme's size; the body is what fitting changes (`Fit`).
        self.parts = {n: _parts(html) for n, html in self.slide_html.items()}
        self.fields = _document_fields(deck, date, lang)
        self.cjk = cjk_face(deck, lang)

    def ids(self, number: int) -> set[str]:
        """The element ids on slide `number`'s page (link targets)."""
        return {slide_id(number), *self.slide_ids[number]}

    def html(
        self,
        variants: Sequence[tuple[int, Fit]] | None = None,
        *,
        elsewhere: str | None = None,
        failed: Mapping[int, str] | None = None,
    ) -> Layout:
        """Return the print HTML of the listed (slide number, fit) pairs, in order (default: every slide as the
        theme sets it). A slide may be listed several times: to try fits for slides that do not fit, or to print
        the continuation pages of one that does not fit at all. The `failed` slides (number -> what WeasyPrint
        raised) print a notice in place of their body (`chunks.render_apart`).

        With `elsewhere` (a URL prefix), links to ids on slides not in this document point to
        `elsewhere + id` instead: the chunks of a deck are rendered apart and joined, and WeasyPrint would
        drop a link whose target is not in its document. The slides' own anchors (`slide_id`) are then made by
        the join (`join.join`), so links to them point elsewhere too: a section that is an anchor gets a
        computed style of its own, and then none of its elements can share theirs with another slide's
        (WeasyPrint shares the computed styles of like elements under like parents): 5-8% of the time."""
        deck, options = self.deck, self.options
        if variants is None:
            variants = [(s.number, FULL) for s in deck.slides]
        parts = self.parts
        if elsewhere is not None:
            here = set().union(*(self.ids(n) - {slide_id(n)} for n, _ in variants))
            parts = {
                n: (_point_elsewhere(parts[n][0], here, elsewhere), _point_elsewhere(parts[n][1], here, elsewhere))
                for n in dict.fromkeys(n for n, _ in variants)
            }
        total = len(deck.slides)
        markup = jinja2.utils.markupsafe.Markup
        slides = [
            {
                "number": s.number,
                "font_size": options.size.font,
                "classes": " ".join((*s.classes, *(["slide-continued"] if fit.part else []))),
                "title": s.title or f"Slide {s.number}",
                "heading": markup(_continued(parts[s.number][0]) if fit.part else parts[s.number][0]),
                # A continuation page is laid out with an empty body: the slide's page's boxes are moved onto it
                # (`pages.share_body`).
                "body": markup(
                    ""
                    if fit.part
                    else _failed_notice(failed[s.number])
                    if failed and s.number in failed
                    else _fitted(parts[s.number][1], fit)
                ),
                "body_style": _body_style(fit),
                "part": fit.part,
                "progress": s.number / total * 100,
            }
            for s, fit in ((deck.slides[n - 1], fit) for n, fit in variants)
        ]
        html = _compiled(*self.template).render(
            **self.fields,
            width=options.size.width,
            height=options.size.height,
            image_height_em=round(PAGE_EMS - CONTENT_PADDING_EM[0] - CONTENT_PADDING_EM[2], 3),
            cjk=self.cjk,
            stylesheets=[p.resolve().as_uri() for p in self.stylesheets],
            inline_css=self.inline_css,
            slides=slides,
            join_anchors=elsewhere is not None,
            total=total,
            progress=options.progress,
            fit=options.fit,
        )
        return Layout(html=html, base_url=self.base_url, stylesheets=self.stylesheets)


_CSS_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")


@functools.lru_cache(maxsize=4096)  # --watch lays every slide out again on each save
def _plain_code(html: str, styled: frozenset[str]) -> str:
    """Drop the highlighter's spans that no style sheet styles, and its whitespace spans: the code prints the same
    without them, and each element costs the renderer time (half the spans of typical code)."""

    return plain_code(html, lambda name: name != "w" and name in styled)


def _point_elsewhere(html: str, here: set[str], prefix: str) -> str:
    def repoint(tag: Tag) -> dict[str, str] | None:
        href = tag.attrs.get("href", "").strip()
        target = unquote(href[1:])
        if not href.startswith("#") or not target or target in here:
            return None
        return {**tag.attrs, "href": prefix + quote(target, safe="")}

    return retagged(html, ("a",), repoint)


@functools.lru_cache(maxsize=8)
def _compiled(path: Path, mtime_ns: int) -> jinja2.Template:
    """The template, compiled once per version of its file (10 ms; --watch lays a deck out on every save)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template(path.name)


def _unique_ids(html: str, number: int, seen: set[str]) -> tuple[str, frozenset[str]]:
    """Rename ids already used on an earlier slide (repeated slide titles give repeated heading ids); return the
    slide's HTML and its ids."""
    mine: set[str] = set()

    def rename(tag: Tag) -> dict[str, str] | None:
        old = tag.attrs.get("id")
        if old is None:
            return None
        new, k = old, 1
        while new in seen:
            new, k = f"{old}-slide{number}" + (f"-{k}" if k > 1 else ""), k + 1
        seen.add(new)
        mine.add(new)
        return None if new == old else {**tag.attrs, "id": new}

    html = retagged(html, ALL, rename) if _MAY_HAVE_ID.search(html) else html
    return html, frozenset(mine)


def _passive(html: str, untrusted: bool) -> str:
    """For an untrusted deck: no scripts, frames, embedded objects, linked files, @import or @font-face."""
    return passive_html(html) if untrusted else html


def _document_fields(deck: Deck, date: str, lang: str) -> dict[str, str]:
    """What both templates state about the document (its <title> and <meta>s, which become PDF metadata)."""
    return {
        "title": document_title(deck),
        "author": author_name(deck.meta.get("author")),
        "description": str(deck.meta.get("description") or ""),
        "keywords": _keywords(deck.meta.get("keywords")),
        "lang": lang,
        "date": date,
        "generator": f"deck2pdf {__version__}",
    }


def document_title(deck: Deck) -> str:
    """The PDF's title: the front matter's `title`, else the first slide's first heading, else the file's name
    (Cleaver says "Untitled"; a shelf of PDFs called that is no help)."""
    if deck.title != "Untitled" or deck.meta.get("title") == "Untitled":
        return deck.title
    return next((s.title for s in deck.slides if s.title and "author-slide" not in s.classes), None) or deck.source.stem


def _keywords(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value or "")


def _print_html(slide: Slide, assets: Mapping[str, Asset], base: str) -> str:
    """Return a slide's HTML made ready for print: images resolved, embedded media as framed stand-ins, legacy
    colours as browsers read them, and no `rel=attachment` (nothing in a deck may embed a file in the PDF)."""
    pictures = itertools.count()
    html = replaced(slide.html, images(slide.html), lambda tag: _image(tag, assets, base, next(pictures)))
    html = replaced(html, elements(html, MEDIA), lambda tag: _media(tag, assets, base))
    html = retagged(html, ALL, _without_attachment) if _MAY_HAVE_REL.search(html) else html
    return retagged(html, ("font",), _legacy_font)


def _without_attachment(tag: Tag) -> dict[str, str] | None:
    if "attachment" not in tag.attrs.get("rel", "").lower().split():
        return None
    return {k: v for k, v in tag.attrs.items() if k != "rel"}


def _legacy_font(tag: Tag) -> dict[str, str] | None:
    colour = tag.attrs.get("color")
    return None if colour is None else {**tag.attrs, "color": legacy_colour(colour)}


def _failed_notice(cause: str) -> str:
    """What is printed in place of a slide's body that WeasyPrint failed on."""
    return (
        '<p><span class="missing-image" style="width:100%;height:3em"><span class="missing-image-label">'
        f"This slide could not be printed: WeasyPrint failed on its HTML or CSS ({escape(cause)})."
        "</span></span></p>"
    )


def _image(tag: Tag, assets: Mapping[str, Asset], base: str, index: int) -> str:
    attrs = tag.attrs
    ref = attrs.get("src", "")
    asset = assets.get(joined(base, ref.strip()))
    # Sizes the deck gives in px were meant next to Cleaver's 32 px text: as em they keep that proportion
    # to the text, and shrink with it when a slide is scaled to fit.
    style = _px_to_em(attrs.get("style", ""))
    for dim in ("width", "height"):
        if re.fullmatch(r"\d+(?:\.\d+)?(?:px)?", attrs.get(dim, "").strip()):
            style += f";{dim}:{float(attrs[dim].strip().removesuffix('px')) / CLEAVER_FONT_PX:.4g}em"
    if asset is None or asset.problem is None:
        src = asset.path.as_uri() if asset is not None and asset.path is not None else ref
        kept = "".join(
            f' {name}="{escape(value)}"'
            for name, value in attrs.items()
            if name not in ("src", "style", "width", "height")
        )
        return f'<img src="{escape(src)}"{kept} data-pic="{index}" style="{escape(style)}">'
    # A visible stand-in that keeps the size the deck gave the image, so the printed page says what was there: at
    # least that tall, taller rather than cutting its label off (the warning names the image in full).
    alt = attrs.get("alt", "")
    label = f"{alt} — " if alt else ""
    return (
        f'<span class="missing-image" data-pic="{index}" style="{escape(_at_least_height(style))}">'
        f'<span class="missing-image-label">{escape(label)}image {escape(_shown_ref(ref))} '
        f"{escape(asset.problem.split(';')[0])}</span></span>"
    )


_SHOWN_REF = 48  # characters of an image's reference a stand-in shows whole


def _at_least_height(style: str) -> str:
    """`style` (declarations) with its `height` read as `min-height` (read with tinycss2: a `height:` inside a
    value or a string is left alone)."""
    out = []
    for item in tinycss2.parse_declaration_list(style, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration":
            name = "min-height" if item.lower_name == "height" else item.name
            out.append(f"{name}:{tinycss2.serialize(item.value)}{' !important' if item.important else ''}")
    return ";".join(out)


def _shown_ref(ref: str) -> str:
    """An image's reference as a stand-in shows it: whole when short, else its host and file name (a data: URL's
    media type)."""
    if len(ref) <= _SHOWN_REF:
        return ref
    parts = split(ref)
    if parts is None:
        return short(ref, _SHOWN_REF)
    if parts.scheme == "data":
        return short(ref.split(",", 1)[0] + ",…", _SHOWN_REF)
    name = next((p for p in reversed(parts.path.split("/")) if p), "")
    shown = f"{parts.netloc}/…/{name}" if parts.netloc else ""
    return shown if 0 < len(shown) <= _SHOWN_REF else short(f"…/{name}", _SHOWN_REF)


MEDIA = ("video", "audio", "iframe", "object", "embed")  # what paper cannot play: printed as a framed link
_MEDIA_SIZE = {"audio": (300, 54)}  # px, HTML's defaults (300 x 150 for the others)


def _wrap_mark(indent: int, columns: int) -> str:
    """The mark a wrapped code line's continuation row begins with: at the line's indentation, `columns` wide (in
    the code's own `ch`), so the row's text hangs under the line's."""
    return (
        f'<span class="code-wrap" aria-hidden="true" style="padding-left: {indent}ch; width: {columns - indent}ch">'
        "↪</span>"
    )


def _media(tag: Tag, assets: Mapping[str, Asset], base: str) -> str:
    """A framed stand-in of an embedded video, sound, frame or object, of its size: its poster when it has one,
    what it is, and its address as a link (a YouTube or Vimeo player's as the watch page). The element stays,
    hidden (its children are a player's fallback, not slide text)."""
    attrs = tag.attrs
    target = media_target(tag)
    width, height = _MEDIA_SIZE.get(tag.name, (300, 150))
    size = []
    for dim, default in (("width", width), ("height", height)):
        value = attrs.get(dim, "").strip().removesuffix("px")
        number = float(value) if re.fullmatch(r"\d+(?:\.\d+)?", value) else default
        size.append(f"{dim}: {number / CLEAVER_FONT_PX:.4g}em")
    poster = assets.get(joined(base, attrs.get("poster", "").strip())) if attrs.get("poster") else None
    picture = (
        f'<img class="media-poster" src="{escape(poster.path.as_uri())}" alt="">'
        if poster is not None and poster.path is not None and poster.problem is None
        else ""
    )
    name = attrs.get("title") or attrs.get("aria-label") or (split(target) or urlsplit("")).hostname or ""
    player = target.startswith(("https://www.youtube.com/watch", "https://vimeo.com/"))
    label = " · ".join(x for x in (_MEDIA_KIND["video" if player else tag.name], name) if x)
    link = f'<a class="media-link" href="{escape(target)}">{escape(short(target, 80))}</a>' if target else ""
    hidden = f'<{tag.name} hidden style="display: none !important">'
    return (
        f'<span class="embedded-media" style="{"; ".join(size)}">{picture}'
        f'<span class="media-label"><span class="media-kind">{escape(label)}</span>{link}</span></span>{hidden}'
    )


_MEDIA_KIND = {
    "video": "▶ Video",
    "audio": "♪ Audio",
    "iframe": "Embedded page",
    "object": "Embedded object",
    "embed": "Embedded object",
}


def media_warnings(deck: Deck) -> list[str]:
    """One warning per embedded medium (paper cannot play it: it prints as a framed link)."""
    warnings = []
    for slide in deck.slides:
        for tag in elements(slide.html, MEDIA):
            target = media_target(tag)
            link = f"a link to {short(target, 80)}" if target else "a label (it names no address)"
            warnings.append(
                f"{slide_place(deck, slide)}: a <{tag.name}> cannot play on paper; it prints as a frame with {link}"
            )
    return warnings


def media_target(tag: Tag) -> str:
    """Where an embedded medium's content is: a YouTube or Vimeo player's watch page, else its own address."""
    ref = (tag.attrs.get("data") if tag.name == "object" else tag.attrs.get("src")) or ""
    parts = split(ref.strip())
    if parts is None:
        return ""
    host, path = (parts.hostname or "").removeprefix("www."), parts.path
    if host in ("youtube.com", "youtube-nocookie.com") and path.startswith("/embed/") and path[7:]:
        return f"https://www.youtube.com/watch?v={quote(path[7:].split('/')[0])}"
    if host == "player.vimeo.com" and path.startswith("/video/") and path[7:]:
        return f"https://vimeo.com/{quote(path[7:].split('/')[0])}"
    if ref.strip().startswith("//"):
        return "https:" + ref.strip()
    return ref.strip() if parts.scheme in ("http", "https", "") else ""


@functools.lru_cache(maxsize=4096)
def _parts(html: str) -> tuple[str, str]:
    """A slide's heading and body, spans clamped, each <pre> numbered: kept, since --watch lays every slide out
    again after each edit of one (two HTML parser passes a slide)."""
    return _tagged(*slide_parts(clamped_spans(html)))


def _tagged(heading: str, body: str) -> tuple[str, str]:
    """The slide's heading and its body with each <pre> numbered (`data-pre`), and each heading (`data-h`: a
    fitted body's headings keep their size), its own style attribute last."""
    counters = {"pre": itertools.count(), "h": itertools.count()}

    def number(tag: Tag) -> str:
        kept = "".join(f' {name}="{escape(value)}"' for name, value in tag.attrs.items() if name != "style")
        kind = "pre" if tag.name == "pre" else "h"
        style = escape(tag.attrs.get("style", ""))
        return f'<{tag.name}{kept} data-{kind}="{next(counters[kind])}" style="{style}">'

    return heading, replaced(body, elements(body, ("pre", *HEADINGS)), number)


def _continued(heading: str) -> str:
    """A heading marked as continued (before its end tag)."""
    if not heading:
        return heading
    at = heading.rfind("</")
    return f'{heading[:at]}<span class="slide-cont heading-cont">(cont.)</span>{heading[at:]}'


def _body_style(fit: Fit) -> str:
    return f"font-size: {fit.body:.4f}em" if fit.body != 1.0 else ""


def _fitted(body: str, fit: Fit) -> str:
    """The body with the fit's sizes set on its code blocks, pictures and headings (before their own styles)."""
    for code in fit.code:
        marker = f'data-pre="{code.index}" style="'
        css = f"font-size: {code.size:.4f}em !important; "
        if code.wrap or code.split:
            block = next((t for t in elements(body, ("pre",)) if t.attrs.get("data-pre") == str(code.index)), None)
            if block is not None:
                end = element_end(body, block)
                close = body.rfind("</", block.end, end)
                close = close if close >= 0 else end
                inside = body[block.end : close]
                if code.wrap:
                    css += "white-space: pre-wrap !important; "
                    inside = wrap_code(inside, code.wrap, _wrap_mark)
                if code.split:
                    first, second = split_code(inside, code.split)
                    inside = (
                        f'<span class="code-columns"><span class="code-column">{first}</span>'
                        f'<span class="code-column">{second}</span></span>'
                    )
                body = body[: block.end] + inside + body[close:]
        body = body.replace(marker, marker + css, 1)
    for index, size in fit.headings:
        marker = f'data-h="{index}" style="'
        body = body.replace(marker, f"{marker}font-size: {size:.3f}px !important; ", 1)
    for picture in fit.pictures:
        marker = f'data-pic="{picture.index}" style="'
        # A stand-in is at least as tall as the picture it stands for, taller rather than cut off, and keeps the
        # theme's least width, in which its label reads (`_image`).
        stand_in = f'class="missing-image" {marker}' in body
        tall = "height: auto !important; min-height" if stand_in else "height"
        css = (
            f"width: {picture.width:.4f}em !important; {tall}: {picture.height:.4f}em !important; "
            "max-width: none !important; max-height: none !important; "
        )
        if not stand_in:
            css += "min-width: 0 !important; min-height: 0 !important; "
        body = body.replace(marker, marker + css, 1)
    return body


def _px_to_em(style: str) -> str:
    return _PX_LENGTH.sub(lambda m: f"{m.group(1)}{float(m.group(2)) / CLEAVER_FONT_PX:.4g}em", style)


def legacy_colour(value: str) -> str:
    """Return a `<font color>` value as a browser reads it (HTML's rules for parsing a legacy colour value).

    `#ff000` is not valid CSS but browsers show red: this turns it into `#ff0000`.
    """
    value = value.strip()
    if not value or value.lower() == "transparent" or tinycss2.color3.parse_color(value) is not None:
        return value  # already a colour CSS understands
    text = value.removeprefix("#")
    text = re.sub(r"[^0-9a-fA-F]", "0", text)[:128] or "0"
    text += "0" * (-len(text) % 3)
    length = len(text) // 3
    parts = [text[i * length : (i + 1) * length] for i in range(3)]
    if length > 8:
        parts = [p[length - 8 :] for p in parts]
        length = 8
    while length > 2 and all(p.startswith("0") for p in parts):
        parts = [p[1:] for p in parts]
        length -= 1
    if length > 2:
        parts = [p[:2] for p in parts]
    return "#" + "".join(p.rjust(2, "0") if len(p) < 2 else p for p in parts)


def lay_out_handout(
    deck: Deck,
    sheets: Sequence[Sequence[HandoutCell]],
    captions: Sequence[Sequence[Caption]],
    endnotes: Sequence[Sequence[tuple[str, tuple[LinkNote, ...]]]],
    geometry: Sheet,
    options: Options,
    byline: str,
    *,
    date: str = "",
    lang: str = "",
) -> Layout:
    """Return the HTML of a handout's sheets (everything but the slides, which are placed over the frames), and of
    its endnotes pages (the link notes no sheet had room for)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(THEMES_DIR)), autoescape=True)
    env.filters["pieces"] = url_pieces

    def style(rect: Rect) -> str:
        return f"left: {rect.x:.2f}pt; top: {rect.y:.2f}pt; width: {rect.w:.2f}pt; height: {rect.h:.2f}pt"

    def planned_cell(cell: HandoutCell | None, caption: Caption, box: Cell) -> dict[str, object]:
        if cell is None:  # an empty slot, holding another slide's link notes
            slot = Rect(box.slide.x, box.slide.y, box.slide.w, box.slide.h + box.caption.h)
            return {"part": 0, "title": "", "caption": caption, "beside": False, "free": True,
                    "caption_style": style(slot), "notes": "", "note_lines": 0}  # fmt: skip
        return {
            "part": cell.part,
            "title": cell.title,
            "caption": caption,
            "beside": box.notes_beside,
            "free": False,
            "caption_style": style(box.caption),
            "notes": style(box.notes) if box.notes else "",
            "note_lines": int((box.notes.h - 4) // 19.4) if box.notes else 0,
        }

    planned = [
        [
            planned_cell(sheet[i] if i < len(sheet) else None, caption, geometry.cells[i])
            for i, caption in enumerate(sheet_captions)
            if i < len(sheet) or caption.spilled
        ]
        for sheet, sheet_captions in zip(sheets, captions, strict=True)
    ]
    urls = {n.url for page in endnotes for _, group in page for n in group}
    urls |= {n.url for sheet in captions for c in sheet for n in (*c.notes, *(x for _, g in c.spilled for x in g))}
    html = env.get_template("handout.html.j2").render(
        **_document_fields(deck, date, lang),
        byline=byline,
        width=round(geometry.width, 2),
        height=round(geometry.height, 2),
        margin=28,
        sheets=[{"cells": cells} for cells in planned],
        endnotes=endnotes,
        pages=len(planned) + len(endnotes),
        qr={url: jinja2.utils.markupsafe.Markup(qr_svg(url)) for url in sorted(urls)} if options.qr else {},
        stylesheets=[(THEMES_DIR / "handout.css").resolve().as_uri()],
    )
    return Layout(html=html, base_url=(THEMES_DIR.resolve().as_uri() + "/"), stylesheets=(THEMES_DIR / "handout.css",))
