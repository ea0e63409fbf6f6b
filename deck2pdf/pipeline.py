"""Run deck2pdf's stages in order: the only module that knows the order."""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from . import procs, rendering, supervisor
from .archive import Stamp
from .assets import cache_for, checked_style, image_refs, resolve_assets
from .decktheme import cleaver_theme
from .errors import AssetError, StrictError
from .files import FileAccess, read_sheets
from .handout import (
    builds,
    floors,
    landscape_for,
    link_notes,
    paper_page,
    plan_captions,
    readable_layout,
    select_slides,
    sheet_layout,
    text_kinds,
)
from .layout import Typesetter, lay_out_handout, media_warnings
from .logs import Clock, one_line
from .model import Deck, FetchScope, HandoutCell, slide_place
from .options import CODE_FLOOR_EMS, Options
from .output import STDOUT, check_target, write_output
from .parse import Limits, parse_deck
from .reports import css_problems, linked_sheets, stylesheet_links, worded
from .supervisor import Walls
from .themes import DECK_THEME, FONTS_DIR, THEMES_DIR, Theme, load_theme
from .urls import joined, split

log = logging.getLogger("deck2pdf")


@dataclass(frozen=True)
class Result:
    output: Path
    pages: int
    warnings: tuple[str, ...]
    images: str = ""  # the summary line: "N images: N local, N fetched, N from cache, N missing"
    inputs: tuple[Path, ...] = ()  # the local files the PDF was made from: deck, style sheets, images (--watch)


STDIN = Path("<stdin>")  # a deck read from standard input: relative paths start in the current folder


def render_pdf(
    source: str | bytes | Path,
    *,
    base_dir: str | Path | None = None,
    **options: Any,
) -> bytes:
    """Return the PDF of a deck: Markdown text (`str` or `bytes`) or a deck file (`Path`). Relative paths in a
    deck given as text start in `base_dir` (default: the current folder; with `untrusted=True`, an empty folder:
    no local file is read). In a file, they start in its folder. `options` are deck2pdf's options by name
    (`handout=6`, `theme="dark"`, `offline=True`, `timeout=60`, ...). Nothing is written; warnings go to the
    `deck2pdf` logger; a problem raises `Deck2PdfError` (GaveUp and MemoryLimitError too: the conversion runs in
    a process of its own, within --timeout and --max-memory, whose defaults hold here as on the command line)."""
    if isinstance(source, Path):
        _, pdf = _supervised(source, None, options, None, None, writing=False)
        return pdf
    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    if base_dir is not None:
        where: Path | None = Path(base_dir) / TEXT_DECK
    elif options.get("untrusted"):
        where = None  # an empty folder of the work's own (`_convert`)
    else:
        where = Path.cwd() / TEXT_DECK
    _, pdf = _supervised(where, data, options, None, None, writing=False)
    return pdf


def convert(
    source: Path,
    options: Options | Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    renderer: procs.Child | None = None,
    data: bytes | None = None,
) -> Result:
    """Convert a deck file (or, with `data`, that deck read from standard input, `source` saying where it stands)
    to a PDF and return where it went. `-o -` streams it to standard output.

    `options` are what the caller sets (Options, or a mapping of option names to values, None meaning "not
    given"); the deck's front matter goes under them. `DECK2PDF_*` variables and the settings file are the
    command line's to read, not the library's.

    Steps 1-7 run in a process of their own, inside the walls (`supervisor`: --timeout, --max-memory, a private
    temporary folder), in `renderer` (a process started beforehand, launch.py) if given:
    1. Parse the deck: front matter, slides, Markdown to HTML (`parse`).
    2. Merge defaults, front matter, settings and flags into Options (`options`).
    3. Resolve every image to a local file or a stated problem: fetch, cache, normalize (`assets`).
    4. Find the print theme (`themes`).
    5. Lay the slides out as HTML, and a handout's sheets (`layout`, `handout`).
    6. Render: chunks of slides with WeasyPrint, in parallel and from the render cache, joined; a handout
       imposed; the PDF finished (`render`).
    7. Report what rendering found (slides shrunk or cut, lost resources, missing glyphs); with --strict, any
       warning stops here.
    8. Here, in the supervisor: write the PDF atomically (`output`), unless it would replace one of the files it
       was made from.
    `progress(done, total)` is called as slides are rendered.
    """
    result, pdf = _supervised(source, data, options, progress, renderer)
    check_target(result.output, source if data is None else None, result.inputs)  # again: by what was read
    write_output(result.output, pdf)
    log.debug("wrote %s", result.output)
    return result


TEXT_DECK = "<deck>.md"  # the name a deck given as text goes by, in its folder


def walls(settings: Mapping[str, Any], source: Path | None) -> Walls:
    """The walls a conversion runs in: from the caller's values and the defaults (a deck cannot set them)."""
    first_look, _ = Options.resolve({}, settings, source or Path(TEXT_DECK), environ={})
    return Walls.of(first_look)


def _supervised(
    source: Path | None,
    data: bytes | None,
    options: Options | Mapping[str, Any] | None,
    progress: Callable[[int, int], None] | None,
    renderer: procs.Child | None,
    *,
    writing: bool = True,
) -> tuple[Result, bytes]:
    """`_convert` run by the supervisor, inside the walls."""
    settings = options.overrides() if isinstance(options, Options) else dict(options or {})
    args = (source, data, settings, writing)
    return supervisor.run(_convert, args, walls(settings, source), progress, renderer, deck=source)  # type: ignore[no-any-return]


def _convert(
    source: Path | None,
    data: bytes | None,
    settings: Mapping[str, Any],
    writing: bool,
    *,
    progress: Callable[[int, int], None] | None,
) -> tuple[Result, bytes]:
    """Everything `convert` does but writing (which it checks it can, when `writing`): the result and the PDF.
    Runs inside the walls."""
    if source is None:  # a deck given as text, --untrusted, with no folder: one where nothing is
        source = Path(tempfile.mkdtemp(prefix="deck-")) / TEXT_DECK
    # The process that will render, started first: it imports WeasyPrint while this one reads the deck (both inside
    # the walls: it is below this one, in the same temporary folder, and ends when this one does).
    renderer = procs.Child(rendering.warm_up) if procs.forking() else None
    try:
        return _converted(source, data, settings, writing, progress, renderer)
    finally:
        if renderer is not None:
            renderer.close(wait=0)


def _converted(
    source: Path,
    data: bytes | None,
    settings: Mapping[str, Any],
    writing: bool,
    progress: Callable[[int, int], None] | None,
    renderer: procs.Child | None,
) -> tuple[Result, bytes]:
    clock = Clock()
    deck = _parse(source, settings, data)
    clock.lap(f"parsed {len(deck.slides)} slides")
    options, warnings = _options(deck, settings)
    asked = options
    options = _for_paper(deck, options)
    clock.limit(options.timeout)  # the supervisor's deadline holds anyway: this one names the stage
    target = options.output_for(source) if data is None else options.output or STDOUT
    if writing:
        check_target(target, source if data is None else None, _own_files(deck, options))
    theme, theme_warnings = _theme(deck, options)
    warnings += _warn(theme_warnings)
    deck, asset_warnings, summary = resolve_assets(deck, options, theme.image_sheets)
    warnings += _warn(asset_warnings)
    clock.lap("resolved images")
    request, typesetter = _lay_out(deck, theme, options)
    warnings += _warn(media_warnings(deck))
    warnings += _warn(stylesheet_links(deck))
    own_sheets = read_sheets([p for p in (options.style, *options.css) if p], FileAccess.for_deck(source, options))
    warnings += _warn(css_problems(deck, own_sheets))
    if renderer is None:
        rendered = rendering.render_deck(request, progress)
    else:
        rendered = renderer.call(rendering.render_deck, (request,), progress)
    clock.lap(f"made the PDF of {len(request.job.numbers)} slides")
    told = [
        *(t for a in deck.assets.values() if a.problem for t in (a.url, a.ref, Path(a.ref).name)),
        *(t for _, href in linked_sheets(deck) for t in (href, Path(href).name)),
    ]
    warnings += _report(deck, rendered, options, own_sheets, told)
    warnings += _warn(_readable(deck, asked, {n: s for c in rendered.chunks for n, s in c.scales.items()}))
    if options.strict and warnings:
        # An image that cannot be used has an exit code of its own; any other warning, --strict's.
        kind = AssetError if any(w in asset_warnings for w in warnings) else StrictError
        raise kind(
            f"{len(warnings)} warning(s) with --strict; no PDF written",
            file=source,
            hint="fix the warnings above, or drop --strict",
        )
    clock.check()
    if deck.assets:
        log.info("%s", summary)
    inputs = [source if data is None else None, *typesetter.sheets, *(_local_file(a.url) for a in deck.assets.values())]
    result = Result(
        output=target,
        pages=rendered.pages,
        warnings=tuple(warnings),
        images=summary,
        inputs=tuple(dict.fromkeys(p.resolve() for p in inputs if p is not None)),
    )
    return result, rendered.pdf


def _own_files(deck: Deck, options: Options) -> list[Path]:
    """The deck's own files an output must not overwrite: its style sheets and local images (their references
    read as the assets stage reads them: relative to the deck's folder, percent-decoded, file: URLs too)."""
    refs = [p for p in (options.style, *options.css) if p is not None]
    base = deck.source.resolve().parent.as_uri() + "/"
    for slide in deck.slides:
        for ref in image_refs(slide.html):
            path = _local_file(joined(base, ref.strip()))
            if path is not None:
                refs.append(path)
    return refs


def _parse(source: Path, settings: Mapping[str, Any], data: bytes | None = None) -> Deck:
    first_look, _ = Options.resolve({}, settings, source, environ={})  # the limits: decks cannot set them
    return parse_deck(source, Limits.from_options(first_look), processes=first_look.jobs or procs.cores(), data=data)


def _options(deck: Deck, settings: Mapping[str, Any]) -> tuple[Options, list[str]]:
    options, option_warnings = Options.resolve(deck.meta, settings, deck.source, environ={})
    options, style_warnings = checked_style(options, deck.source)
    return options, _warn([*deck.warnings, *option_warnings, *style_warnings])


def _for_paper(deck: Deck, options: Options) -> Options:
    """A handout's slides are laid out for the cells they print in (`handout.paper_page`), with room under each
    for the link notes of the slide that has the most."""
    if not options.handout:
        return options
    turned = landscape_for(options.handout, options.landscape)
    notes = [link_notes(s.html) for s in deck.slides] if options.noting_links else []
    most = max(notes, key=len, default=())
    return replace(options, size=paper_page(options.handout, options.paper, turned, options.size, most, options.qr))


def _theme(deck: Deck, options: Options) -> tuple[Theme, list[str]]:
    """The print theme, and warnings (--theme deck: the deck's own theme, when it can be had)."""
    if options.theme == DECK_THEME:
        return cleaver_theme(deck, options)
    theme, notices = load_theme(options.theme, options.theme_source)
    for notice in notices:
        log.info("%s", notice)
    return theme, []


def _lay_out(deck: Deck, theme: Theme, options: Options) -> tuple[rendering.Request, Typesetter]:
    """The render request: the slides' typesetter and what may be read, a handout's sheets, the PDF's stamp."""
    numbers = select_slides(deck, options)
    stamp = Stamp(deck, options)
    sheets = handout_sheets(deck, options, stamp, [(n, 0) for n in numbers]) if options.handout else None
    final = sheets is None  # the slides' PDF is the output; with a handout, the sheets' PDF is
    attachments = stamp.attachments if final else ()
    # Tagged PDF and attachments cannot be joined: one document. Chunks are dated when joined: the deck's
    # date changes with every edit, and no chunk should have to be rendered again for that.
    chunked = stamp.variant is None and not attachments
    typesetter = Typesetter(deck, theme, options, date="" if chunked else stamp.date, lang=stamp.lang)
    cache = cache_for(options.cache_dir).folder
    scope = FetchScope(
        roots=typesetter.access.roots,
        one_name_in=typesetter.access.one_name_in,
        runaway=typesetter.runaway,
        # Each image by its URL in the deck and by its file's, which the print HTML names: the fetcher reads the
        # cache's files through this, never the whole cache folder (another deck's images are there too).
        served={url: a.path for a in deck.assets.values() if a.path is not None for url in (a.url, a.path.as_uri())},
        max_pixels=options.max_image_pixels,
        max_bytes=options.max_image_bytes,
        styled_by=(theme.folder.resolve(), THEMES_DIR.resolve(), FONTS_DIR.resolve()) if options.untrusted else None,
    )
    min_scale, code_floor = options.min_scale, options.size.height / CODE_FLOOR_EMS
    if options.handout:  # fitted so that nothing prints under the layout's floor
        least = floors(
            options.handout, options.paper, landscape_for(options.handout, options.landscape), options.size, min_scale
        )
        min_scale, code_floor = least.min_scale, least.code_px
    job = rendering.Job(
        typesetter,
        scope,
        tuple(numbers),
        fit=options.fit,
        min_scale=min_scale,
        code_floor=code_floor,
        overflow=options.overflow,
        builds=tuple(builds([deck.slides[n - 1] for n in numbers])),
        variant=stamp.variant,
        attachments=attachments,
        epoch=0 if chunked else stamp.epoch,
        font_store=cache / "fonts",
        chunked=chunked,
    )
    request = rendering.Request(
        job,
        sheets,
        options.jobs or procs.cores(),
        options.render_cache,
        stamp.when,
        theme.name,
        functools.partial(handout_sheets, deck, options, stamp) if options.handout else None,
        cache_bytes=options.cache_max_size * 2**20 // 2,  # half of the cache folder's size
    )
    return request, typesetter


def _report(
    deck: Deck, rendered: rendering.Rendered, options: Options, sheets: Mapping[Path, str], told: Sequence[str]
) -> list[str]:
    """Warnings for what rendering found: lost resources (those not `told` already, placed in the deck or its
    style `sheets`), slides cut, missing glyphs; slides shrunk (info)."""
    chunks = rendered.chunks
    scales = {n: s for c in chunks for n, s in c.scales.items()}
    _log_scales({n: s for n, s in scales.items() if not any(n in c.cut for c in chunks)})
    messages = [m for c in chunks for m in c.messages] + list(rendered.messages)
    warnings = _warn(worded(messages, deck, sheets, told))
    warnings += _warn(
        _overflow_warning(deck, n, c.parts.get(n, 1), options, scales.get(n, 1.0)) for c in chunks for n in c.cut
    )
    warnings += _warn(
        f"{slide_place(deck, deck.slides[n - 1])}: WeasyPrint failed on this slide's HTML or CSS "
        f"({cause}), so a notice is printed in its place; simplify its markup (run with --debug for WeasyPrint's "
        "own report)"
        for c in chunks
        for n, cause in c.failed.items()
    )
    missing_glyphs = dict.fromkeys(char for c in chunks for char in c.missing_glyphs)
    warnings += _warn(_missing_glyph_warning(deck, char) for char in missing_glyphs)
    return warnings


def _local_file(url: str) -> Path | None:
    parts = split(url)
    return Path(unquote(parts.path)) if parts is not None and parts.scheme == "file" else None


def _log_scales(chosen: Mapping[int, float]) -> None:
    for scale in sorted(set(chosen.values()), reverse=True):
        numbers = [n for n, s in chosen.items() if s == scale]
        log.info("slide%s %s shrunk to %d%% to fit", "s" * (len(numbers) > 1), _ranges(numbers), round(scale * 100))


def handout_sheets(deck: Deck, options: Options, stamp: Stamp, pages: Sequence[tuple[int, int]]) -> rendering.Sheets:
    """A handout's sheets laid out (header, footer, captions, note lines, link notes, endnotes), and where the
    slides' pages go (`pages`: slide number and part of each; a slide that does not fit its page has continuation
    pages, known only once rendered: the sheets are then laid out again)."""
    per_sheet = options.handout or 1
    landscape = landscape_for(per_sheet, options.landscape)
    geometry = sheet_layout(per_sheet, options.paper, landscape, options.size.width / options.size.height)
    # A collapsed build is printed as its last slide; its caption names the run (Slides 17-22) among the slides
    # --slides chose.
    chosen = select_slides(deck, replace(options, collapse_builds=False))
    first = {run[-1]: run[0] for run in builds([deck.slides[n - 1] for n in chosen])} if options.collapsing else {}
    cells = [
        HandoutCell(
            n,
            deck.slides[n - 1].title or f"Slide {n}",
            link_notes(deck.slides[n - 1].html) if options.noting_links and not part else (),
            part,
            first.get(n, 0) if not part else 0,
        )
        for n, part in pages
    ]
    plan = [cells[i : i + per_sheet] for i in range(0, len(cells), per_sheet)]
    placements = tuple(
        tuple((i, geometry.cells[i - start].slide) for i in range(start, min(start + per_sheet, len(cells))))
        for start in range(0, len(cells), per_sheet)
    )
    byline = stamp.byline(deck)
    captions, endnotes = plan_captions(plan, geometry, options.qr)
    layout = lay_out_handout(
        deck, plan, captions, endnotes, geometry, options, byline, date=stamp.date, lang=stamp.lang
    )
    placements += ((),) * len(endnotes)
    return rendering.Sheets(layout.html, layout.base_url, placements, options.frame, (THEMES_DIR, FONTS_DIR))


def _readable(deck: Deck, options: Options, scales: Mapping[int, float]) -> list[str]:
    """A warning when the handout's slides print their text (body, code, tables) too small to read: `options` as
    asked (the deck's slide size), `scales` the text scale of each slide fitting shrank."""
    if not options.handout:
        return []
    kinds = {n: text_kinds(deck.slides[n - 1].html) for n in select_slides(deck, options)}
    problem = readable_layout(options.handout, options.paper, options.landscape, options.size, kinds, scales)
    return [f"{deck.source}: {problem}"] if problem else []


def inspect(source: Path, limits: Limits | None = None, walls: Walls | None = None) -> dict[str, Any]:
    """Return the parsed deck as plain data (what `deck2pdf DECK --inspect` prints). The deck is read in a
    process of its own, within `walls` (default: those of the default Options)."""
    return supervisor.run(_inspect, (source, limits), walls or Walls.of(Options()), deck=source)  # type: ignore[no-any-return]


def _inspect(source: Path, limits: Limits | None, *, progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    deck = parse_deck(source, limits)
    _warn(deck.warnings)
    return {
        "title": deck.title,
        "meta": _plain(deck.meta),
        "slides": [
            {"number": s.number, "line": s.line, "classes": list(s.classes), "title": s.title, "html": s.html}
            for s in deck.slides
        ],
    }


def _warn(messages: Any) -> list[str]:
    """Log each warning, and return them, each one line (a deck's text is quoted in them: `logs.one_line`)."""
    out = [one_line(m) for m in messages]
    for message in out:
        log.warning("%s", message)
    return out


def _plain(value: Any) -> Any:
    """Front matter as JSON can carry it (dates and other YAML types become text)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _ranges(numbers: list[int]) -> str:
    """Write slide numbers compactly: 3-5, 9."""
    out: list[str] = []
    for n in sorted(numbers):
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def _missing_glyph_warning(deck: Deck, char: str) -> str:
    slides = [s.number for s in deck.slides if char in s.html]
    where = f" (slide{'s' * (len(slides) > 1)} {_ranges(slides)})" if slides else ""
    return (
        f"{deck.source}{where}: no font has a glyph for {char!r} (U+{ord(char):04X}), so it prints as a box; "
        "install a font that covers it (README lists the font packages)"
    )


def _overflow_warning(deck: Deck, number: int, pages: int, options: Options, scale: float = 1.0) -> str:
    """What a slide that does not fit its page became: continued on more pages (at `scale` of its size: a continued
    slide is set smaller only where its pages would break the rules of `fitting.breaks`), or cut."""
    slide = deck.slides[number - 1]
    where = f"even with its text at {round(options.min_scale * 100)}%" if options.fit else "with --no-fit"
    if options.handout and options.fit:
        least = floors(
            options.handout,
            options.paper,
            landscape_for(options.handout, options.landscape),
            options.size,
            options.min_scale,
        )
        where = f"with its text at {round(least.min_scale * 100)}% (no text under --handout {options.handout}'s floor of {least.pt:g} pt)"
    if pages > 1 and options.handout:
        more = "the next cell" if pages == 2 else f"the next {pages - 1} cells"
        return f"{slide_place(deck, slide)}: it does not fit its cell {where}, so it continues in {more}"
    if pages > 1:
        more = "the next page" if pages == 2 else f"the next {pages - 1} pages"
        size = (" at its own size" if scale >= 1.0 else f" at {round(scale * 100)}% of its size") if options.fit else ""
        how = f"it does not fit its page {where}, so it continues on {more}{size}; shorten or split the slide"
    else:
        how = (
            f"it does not fit its page {where}, so it is cut at the slide's edge (--overflow cut); shorten or split it"
        )
    return f"{slide_place(deck, slide)}: {how}"
