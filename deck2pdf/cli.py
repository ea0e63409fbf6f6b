"""Turn a command line into a conversion: parse flags, call the pipeline, map errors to messages and exit codes."""

from __future__ import annotations

import datetime
import json
import logging
import os
import stat
import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ._version import __version__
from .errors import ExitCode, UsageError, explain
from .options import UNTRUSTED_LIMITS, Options, Settings

app = typer.Typer(add_completion=True, pretty_exceptions_enable=False, rich_markup_mode="rich")

# --help in panels, as its peers print it; each option's panel and (where its type would say something like
# <list[Path]>) its metavar, in one place.
_IO, _LOOK, _FIT, _IMAGES, _HANDOUTS, _ARCHIVE, _SAFETY, _SPEED, _INFO = (
    "Input and output", "Look", "Fitting", "Images", "Handouts", "Archive", "Safety and limits", "Speed",
    "Information",
)  # fmt: skip
_PANELS = {
    **dict.fromkeys(("output", "directory", "slides", "extract", "force", "watch", "config", "strict"), _IO),
    **dict.fromkeys(("size", "theme", "theme_base_url", "css", "progress"), _LOOK),
    **dict.fromkeys(("fit", "min_scale", "overflow"), _FIT),
    **dict.fromkeys(("cache_dir", "cache_max_size", "offline", "refresh", "image_dpi", "image_timeout"), _IMAGES),
    **dict.fromkeys(
        ("handout", "paper", "landscape", "frame", "collapse_builds", "link_notes", "backgrounds", "qr"), _HANDOUTS
    ),
    **dict.fromkeys(
        (
            *("pdfa", "pdfua", "embed_source", "stdin_name"),
            *("bundle", "index", "cover_title", "cover_subtitle", "cover_date"),
        ),
        _ARCHIVE,
    ),
    **dict.fromkeys(
        (
            "untrusted",
            "allow_network",
            "allow_dir",
            "allow_private_network",
            "max_image_pixels",
            "max_image_bytes",
            "max_deck_bytes",
            "max_slides",
            "max_slide_chars",
            "timeout",
            "max_memory",
        ),
        _SAFETY,
    ),
    **dict.fromkeys(("jobs", "render_cache", "shard"), _SPEED),
    **dict.fromkeys(("inspect", "quiet", "verbose", "debug", "list_themes", "version", "json_report"), _INFO),
}
_METAVARS = {
    "output": "FILE", "directory": "DIR", "slides": "RANGES", "config": "FILE", "size": "SIZE", "theme": "NAME", "theme_base_url": "URL",
    "css": "FILE", "min_scale": "0.2-1", "overflow": "continue|cut", "cache_dir": "DIR", "cache_max_size": "MB", "image_dpi": "DPI",
    "image_timeout": "SECONDS", "handout": "1|2|3|4|6|9", "paper": "a4|letter|legal|a3", "allow_dir": "DIR",
    "max_image_pixels": "PIXELS", "max_image_bytes": "BYTES", "max_deck_bytes": "BYTES", "max_slides": "N",
    "max_slide_chars": "CHARS", "timeout": "SECONDS", "max_memory": "MB", "jobs": "N", "extract": "PDF",
    "stdin_name": "NAME",
    "bundle": "FILE", "shard": "K/N", "cover_title": "TEXT", "cover_subtitle": "TEXT", "cover_date": "TEXT",
}  # fmt: skip
log = logging.getLogger("deck2pdf")


def _setup_logging(quiet: bool, verbose: bool) -> None:
    from .logs import setup

    setup(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)


def _list_themes(value: bool) -> None:
    if value:
        from .themes import describe_theme, list_themes

        for name in list_themes():
            typer.echo(f"{name:10} {describe_theme(name)}")
        raise typer.Exit()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deck2pdf {__version__}")
        raise typer.Exit()


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def main(
    ctx: typer.Context,
    decks: Annotated[
        list[Path],
        typer.Argument(metavar="DECK...", help="The Cleaver deck(s) (Markdown) to convert.", show_default=False),
    ],
    output: Annotated[
        Optional[Path],
        typer.Option(
            "-o",
            "--output",
            rich_help_panel=_PANELS["output"],
            metavar=_METAVARS.get("output"),
            help="PDF to write \\[default: the deck's name with .pdf]",
        ),
    ] = None,
    size: Annotated[
        Optional[str],
        typer.Option(
            "--size",
            rich_help_panel=_PANELS["size"],
            metavar=_METAVARS.get("size"),
            help="Slide page size: 16:9 (default), 4:3, 16:10 or WIDTHxHEIGHT with a unit.",
        ),
    ] = None,
    theme: Annotated[
        Optional[str],
        typer.Option(
            "--theme",
            rich_help_panel=_PANELS["theme"],
            metavar=_METAVARS.get("theme"),
            help="Print theme: default, dark, retro, ink (see --list-themes), a theme folder, or deck: the deck's "
            "own Cleaver theme (its `theme:`), adapted to pages.",
        ),
    ] = None,
    theme_base_url: Annotated[
        Optional[str],
        typer.Option(
            "--theme-base-url",
            rich_help_panel=_PANELS["theme_base_url"],
            metavar=_METAVARS.get("theme_base_url"),
            help="Where --theme deck finds a `theme: user/repo` \\[default: GitHub's raw files].",
        ),
    ] = None,
    css: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--css",
            rich_help_panel=_PANELS["css"],
            metavar=_METAVARS.get("css"),
            help="Extra stylesheet applied last; repeatable.",
        ),
    ] = None,
    progress: Annotated[
        Optional[bool],
        typer.Option(
            "--progress/--no-progress",
            rich_help_panel=_PANELS["progress"],
            metavar=_METAVARS.get("progress"),
            help="Slide numbers and progress bar.",
        ),
    ] = None,
    fit: Annotated[
        Optional[bool],
        typer.Option(
            "--fit/--no-fit",
            rich_help_panel=_PANELS["fit"],
            metavar=_METAVARS.get("fit"),
            help="Fit slides that do not fit their page: wide code smaller, then pictures, then text \\[default: fit].",
        ),
    ] = None,
    min_scale: Annotated[
        Optional[float],
        typer.Option(
            "--min-scale",
            rich_help_panel=_PANELS["min_scale"],
            metavar=_METAVARS.get("min_scale"),
            help=f"Smallest size a slide's text is shrunk to, 0.2-1 \\[default: {Options.min_scale:g}].",
        ),
    ] = None,
    overflow: Annotated[
        Optional[str],
        typer.Option(
            "--overflow",
            rich_help_panel=_PANELS["overflow"],
            metavar=_METAVARS.get("overflow"),
            help="What does not fit even then: continue (on the next page) or cut (one page a slide) "
            f"\\[default: {Options.overflow}].",
        ),
    ] = None,
    cache_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--cache-dir",
            rich_help_panel=_PANELS["cache_dir"],
            metavar=_METAVARS.get("cache_dir"),
            help=r"Image cache folder \[default: the user cache folder, e.g. ~/.cache/deck2pdf].",
        ),
    ] = None,
    cache_max_size: Annotated[
        Optional[int],
        typer.Option(
            "--cache-max-size",
            rich_help_panel=_PANELS["cache_max_size"],
            metavar=_METAVARS.get("cache_max_size"),
            help=f"Megabytes the cache folder keeps, the least recently used out first \\[default: "
            f"{Options.cache_max_size}].",
        ),
    ] = None,
    offline: Annotated[
        Optional[bool],
        typer.Option(
            "--offline/--no-offline",
            rich_help_panel=_PANELS["offline"],
            metavar=_METAVARS.get("offline"),
            help="Use only cached and local images; no network.",
        ),
    ] = None,
    refresh: Annotated[
        Optional[bool],
        typer.Option(
            "--refresh/--no-refresh",
            rich_help_panel=_PANELS["refresh"],
            metavar=_METAVARS.get("refresh"),
            help="Ask servers whether cached images changed.",
        ),
    ] = None,
    image_dpi: Annotated[
        Optional[int],
        typer.Option(
            "--image-dpi",
            rich_help_panel=_PANELS["image_dpi"],
            metavar=_METAVARS.get("image_dpi"),
            help=f"Downsample images to this resolution \\[default: {Options.image_dpi}].",
        ),
    ] = None,
    allow_dir: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--allow-dir",
            rich_help_panel=_PANELS["allow_dir"],
            metavar=_METAVARS.get("allow_dir"),
            help="Another folder local images may come from; repeatable.",
        ),
    ] = None,
    allow_private_network: Annotated[
        Optional[bool],
        typer.Option(
            "--allow-private-network/--no-allow-private-network",
            rich_help_panel=_PANELS["allow_private_network"],
            metavar=_METAVARS.get("allow_private_network"),
            help="Fetch images from loopback and private addresses too.",
        ),
    ] = None,
    image_timeout: Annotated[
        Optional[float],
        typer.Option(
            "--image-timeout",
            rich_help_panel=_PANELS["image_timeout"],
            metavar=_METAVARS.get("image_timeout"),
            help=f"Seconds to download one image \\[default: {Options.image_timeout:g}].",
        ),
    ] = None,
    max_image_pixels: Annotated[
        Optional[int],
        typer.Option(
            "--max-image-pixels",
            rich_help_panel=_PANELS["max_image_pixels"],
            metavar=_METAVARS.get("max_image_pixels"),
            help=f"Refuse larger images \\[default: {Options.max_image_pixels}].",
        ),
    ] = None,
    max_image_bytes: Annotated[
        Optional[int],
        typer.Option(
            "--max-image-bytes",
            rich_help_panel=_PANELS["max_image_bytes"],
            metavar=_METAVARS.get("max_image_bytes"),
            help=f"Refuse larger image files \\[default: {Options.max_image_bytes}].",
        ),
    ] = None,
    slides: Annotated[
        Optional[str],
        typer.Option(
            "--slides",
            rich_help_panel=_PANELS["slides"],
            metavar=_METAVARS.get("slides"),
            help="Which slides, e.g. 1-5,8,12- \\[default: all].",
        ),
    ] = None,
    handout: Annotated[
        Optional[int],
        typer.Option(
            "--handout",
            rich_help_panel=_PANELS["handout"],
            metavar=_METAVARS.get("handout"),
            help="Print N slides per sheet: 1, 2, 3, 4, 6 or 9.",
        ),
    ] = None,
    paper: Annotated[
        Optional[str],
        typer.Option(
            "--paper",
            rich_help_panel=_PANELS["paper"],
            metavar=_METAVARS.get("paper"),
            help=f"Handout paper: a4, letter, legal, a3 \\[default: {Options.paper}].",
        ),
    ] = None,
    landscape: Annotated[
        Optional[bool],
        typer.Option(
            "--landscape/--portrait",
            rich_help_panel=_PANELS["landscape"],
            metavar=_METAVARS.get("landscape"),
            help="Handout sheet orientation \\[default: the one the layout's slides are largest in: landscape for 4 and 9].",
        ),
    ] = None,
    frame: Annotated[
        Optional[bool],
        typer.Option(
            "--frame/--no-frame",
            rich_help_panel=_PANELS["frame"],
            metavar=_METAVARS.get("frame"),
            help="A frame around each slide on handouts.",
        ),
    ] = None,
    collapse_builds: Annotated[
        Optional[bool],
        typer.Option(
            "--collapse-builds/--no-collapse-builds",
            rich_help_panel=_PANELS["collapse_builds"],
            metavar=_METAVARS.get("collapse_builds"),
            help="Drop build-up slides \\[default: on for handouts].",
        ),
    ] = None,
    link_notes: Annotated[
        Optional[bool],
        typer.Option(
            "--link-notes/--no-link-notes",
            rich_help_panel=_PANELS["link_notes"],
            metavar=_METAVARS.get("link_notes"),
            help="List each slide's links beside it \\[default: handouts].",
        ),
    ] = None,
    backgrounds: Annotated[
        Optional[bool],
        typer.Option(
            "--backgrounds/--no-backgrounds",
            rich_help_panel=_PANELS["backgrounds"],
            metavar=_METAVARS.get("backgrounds"),
            help="Handouts: print the slides' backgrounds as on screen \\[default: no, dark slides print light].",
        ),
    ] = None,
    qr: Annotated[
        Optional[bool],
        typer.Option(
            "--qr/--no-qr",
            rich_help_panel=_PANELS["qr"],
            metavar=_METAVARS.get("qr"),
            help="Handouts: a QR code beside each link note, for phones \\[default: no].",
        ),
    ] = None,
    pdfa: Annotated[
        Optional[bool],
        typer.Option(
            "--pdfa/--no-pdfa",
            rich_help_panel=_PANELS["pdfa"],
            metavar=_METAVARS.get("pdfa"),
            help="Write PDF/A-3b for archiving (attaches the sources).",
        ),
    ] = None,
    pdfua: Annotated[
        Optional[bool],
        typer.Option(
            "--pdfua/--no-pdfua",
            rich_help_panel=_PANELS["pdfua"],
            metavar=_METAVARS.get("pdfua"),
            help="Write tagged PDF/UA-1 for screen readers.",
        ),
    ] = None,
    embed_source: Annotated[
        Optional[bool],
        typer.Option(
            "--embed-source/--no-embed-source",
            rich_help_panel=_PANELS["embed_source"],
            metavar=_METAVARS.get("embed_source"),
            help="Attach the deck, style sheet and image manifest.",
        ),
    ] = None,
    stdin_name: Annotated[
        Optional[str],
        typer.Option(
            "--stdin-name",
            rich_help_panel=_PANELS["stdin_name"],
            metavar=_METAVARS.get("stdin_name"),
            help=f"The name a deck read from standard input (-) is attached under \\[default: {Options.stdin_name}].",
        ),
    ] = None,
    bundle: Annotated[
        Optional[Path],
        typer.Option(
            "--bundle",
            rich_help_panel=_PANELS["bundle"],
            metavar=_METAVARS.get("bundle"),
            help="Also write one PDF of all the talks, in the order given: cover, contents, every talk's pages. "
            "DECKs may be PDFs deck2pdf wrote (bundled, not rendered).",
        ),
    ] = None,
    index: Annotated[
        bool,
        typer.Option(
            "--index",
            rich_help_panel=_PANELS["index"],
            help="Also write index.html in -d DIR (or the PDFs' folder): each talk with a thumbnail and links; "
            "offline HTML and CSS. DECKs may be PDFs deck2pdf wrote.",
        ),
    ] = False,
    cover_title: Annotated[
        Optional[str],
        typer.Option(
            "--cover-title",
            rich_help_panel=_PANELS["cover_title"],
            metavar=_METAVARS.get("cover_title"),
            help=f"Title of the --bundle's cover and the --index page \\[default: {Options.cover_title}].",
        ),
    ] = None,
    cover_subtitle: Annotated[
        Optional[str],
        typer.Option(
            "--cover-subtitle",
            rich_help_panel=_PANELS["cover_subtitle"],
            metavar=_METAVARS.get("cover_subtitle"),
            help="Subtitle of the --bundle's cover and the --index page.",
        ),
    ] = None,
    cover_date: Annotated[
        Optional[str],
        typer.Option(
            "--cover-date",
            rich_help_panel=_PANELS["cover_date"],
            metavar=_METAVARS.get("cover_date"),
            help="Date printed on the --bundle's cover and the --index page, as written (e.g. '12-14 May 2027').",
        ),
    ] = None,
    shard: Annotated[
        Optional[str],
        typer.Option(
            "--shard",
            rich_help_panel=_PANELS["shard"],
            metavar=_METAVARS.get("shard"),
            help="Convert only the K-th of N stable shares of the decks (K from 0), for a batch spread over "
            "machines; a deck's share depends on its file name only.",
        ),
    ] = None,
    extract: Annotated[
        bool,
        typer.Option(
            "--extract",
            rich_help_panel=_PANELS["extract"],
            metavar=_METAVARS.get("extract"),
            help="DECK is a PDF: write the files attached to it into -d DIR \\[default: NAME-attachments beside NAME.pdf]; never over a file that exists (see --force), never into .git.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            rich_help_panel=_PANELS["force"],
            help="With --extract: replace files that exist (else nothing is extracted over them).",
        ),
    ] = False,
    directory: Annotated[
        Optional[Path],
        typer.Option(
            "-d",
            "--dir",
            rich_help_panel=_PANELS["directory"],
            metavar=_METAVARS.get("directory"),
            help="Folder for the PDFs (made if missing), or for --extract's files \\[default: beside each deck].",
        ),
    ] = None,
    jobs: Annotated[
        Optional[int],
        typer.Option(
            "-j",
            "--jobs",
            min=1,
            rich_help_panel=_PANELS["jobs"],
            metavar=_METAVARS.get("jobs"),
            help="Processes at once: decks in a batch, chunks of one deck \\[default: one per core].",
        ),
    ] = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            rich_help_panel=_PANELS["watch"],
            metavar=_METAVARS.get("watch"),
            help="Render again each time the deck, its style sheets or its images are saved.",
        ),
    ] = False,
    render_cache: Annotated[
        Optional[bool],
        typer.Option(
            "--render-cache/--no-render-cache",
            rich_help_panel=_PANELS["render_cache"],
            metavar=_METAVARS.get("render_cache"),
            help="Reuse rendered chunks of unchanged slides \\[default: on].",
        ),
    ] = None,
    max_deck_bytes: Annotated[
        Optional[int],
        typer.Option(
            "--max-deck-bytes",
            rich_help_panel=_PANELS["max_deck_bytes"],
            metavar=_METAVARS.get("max_deck_bytes"),
            help=f"Refuse larger deck files \\[default: {Options.max_deck_bytes}].",
        ),
    ] = None,
    max_slides: Annotated[
        Optional[int],
        typer.Option(
            "--max-slides",
            rich_help_panel=_PANELS["max_slides"],
            metavar=_METAVARS.get("max_slides"),
            help=f"Refuse decks with more slides \\[default: {Options.max_slides}].",
        ),
    ] = None,
    max_slide_chars: Annotated[
        Optional[int],
        typer.Option(
            "--max-slide-chars",
            rich_help_panel=_PANELS["max_slide_chars"],
            metavar=_METAVARS.get("max_slide_chars"),
            help=f"Refuse longer slides \\[default: {Options.max_slide_chars}].",
        ),
    ] = None,
    timeout: Annotated[
        Optional[float],
        typer.Option(
            "--timeout",
            rich_help_panel=_PANELS["timeout"],
            metavar=_METAVARS.get("timeout"),
            help=f"Give up after this many seconds \\[default: {Options.timeout:g}, with --untrusted "
            f"{UNTRUSTED_LIMITS['timeout']:g}].",
        ),
    ] = None,
    max_memory: Annotated[
        Optional[int],
        typer.Option(
            "--max-memory",
            rich_help_panel=_PANELS["max_memory"],
            metavar=_METAVARS.get("max_memory"),
            help=f"Give up when the conversion's processes need more megabytes than this \\[default: "
            f"{Options.max_memory}, with --untrusted {UNTRUSTED_LIMITS['max_memory']}].",
        ),
    ] = None,
    untrusted: Annotated[
        Optional[bool],
        typer.Option(
            "--untrusted/--no-untrusted",
            rich_help_panel=_PANELS["untrusted"],
            metavar=_METAVARS.get("untrusted"),
            help="A deck from someone else: its folder only, no network, no active content.",
        ),
    ] = None,
    allow_network: Annotated[
        Optional[bool],
        typer.Option(
            "--allow-network/--no-allow-network",
            rich_help_panel=_PANELS["allow_network"],
            metavar=_METAVARS.get("allow_network"),
            help="With --untrusted: download web images all the same.",
        ),
    ] = None,
    config: Annotated[
        Optional[Path],
        typer.Option(
            "--config",
            rich_help_panel=_PANELS["config"],
            metavar=_METAVARS.get("config"),
            help="Settings file (TOML) \\[default: config.toml in the user's settings folder].",
        ),
    ] = None,
    inspect: Annotated[
        bool,
        typer.Option(
            "--inspect",
            rich_help_panel=_PANELS["inspect"],
            metavar=_METAVARS.get("inspect"),
            help="Print the parsed deck as JSON; render nothing.",
        ),
    ] = False,
    strict: Annotated[
        Optional[bool],
        typer.Option(
            "--strict/--no-strict",
            rich_help_panel=_PANELS["strict"],
            metavar=_METAVARS.get("strict"),
            help="Treat warnings as errors; write nothing.",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "-q", "--quiet", rich_help_panel=_PANELS["quiet"], metavar=_METAVARS.get("quiet"), help="Print errors only."
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "-v",
            "--verbose",
            rich_help_panel=_PANELS["verbose"],
            metavar=_METAVARS.get("verbose"),
            help="Print more detail.",
        ),
    ] = False,
    json_report: Annotated[
        bool,
        typer.Option(
            "--json",
            rich_help_panel=_PANELS["json_report"],
            help="Print a report of what was converted as JSON on stdout (the summary table goes to stderr).",
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            rich_help_panel=_PANELS["debug"],
            metavar=_METAVARS.get("debug"),
            help="Show a traceback on unexpected errors.",
        ),
    ] = False,
    list_themes: Annotated[
        bool,
        typer.Option(
            "--list-themes",
            callback=_list_themes,
            is_eager=True,
            rich_help_panel=_PANELS["list_themes"],
            metavar=_METAVARS.get("list_themes"),
            help="List the print themes and exit.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            rich_help_panel=_PANELS["version"],
            metavar=_METAVARS.get("version"),
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Turn a Cleaver Markdown slide deck into a PDF, one slide per page."""
    _setup_logging(quiet, verbose)
    try:
        if len(decks) > 1 and (extract or inspect or watch or output is not None):
            flag = "--extract" if extract else "--inspect" if inspect else "--watch" if watch else "-o"
            raise UsageError(f"{flag} takes one deck; {len(decks)} were given", hint="use -d DIR for several decks")
        deck = decks[0]
        stdin = deck == Path("-")  # the deck on standard input: relative paths start in the current folder
        if stdin and (len(decks) > 1 or extract or inspect or watch or directory is not None):
            raise UsageError("a deck on standard input (-) is converted alone", hint="give deck files instead")
        if extract:
            from .archive import attachments_folder
            from .logs import one_line
            from .supervisor import MB, Walls, run

            # The PDF is someone else's: read inside the walls (the flags' limits, else the defaults).
            walls = Walls(timeout or Options.timeout, (max_memory or Options.max_memory) * MB)
            for path in run(_extract, (deck, directory or attachments_folder(deck), force), walls, deck=deck):
                typer.echo(one_line(str(path)))
            return
        flags = {
            "output": output,
            "size": size,
            "theme": theme,
            "theme_base_url": theme_base_url,
            "css": css or None,
            "progress": progress,
            "fit": fit,
            "min_scale": min_scale,
            "overflow": overflow,
            "cache_dir": cache_dir,
            "cache_max_size": cache_max_size,
            "offline": offline,
            "refresh": refresh,
            "image_dpi": image_dpi,
            "allow_dirs": allow_dir or None,
            "allow_private_network": allow_private_network,
            "image_timeout": image_timeout,
            "max_image_pixels": max_image_pixels,
            "max_image_bytes": max_image_bytes,
            "slides": slides,
            "handout": handout,
            "paper": paper,
            "landscape": landscape,
            "backgrounds": backgrounds,
            "qr": qr,
            "frame": frame,
            "collapse_builds": collapse_builds,
            "link_notes": link_notes,
            "pdfa": pdfa,
            "pdfua": pdfua,
            "embed_source": embed_source,
            "stdin_name": stdin_name,
            "created": _source_date_epoch(),
            "max_deck_bytes": max_deck_bytes,
            "max_slides": max_slides,
            "max_slide_chars": max_slide_chars,
            "untrusted": untrusted,
            "allow_network": allow_network,
            "render_cache": render_cache,
            "jobs": jobs,
            "strict": strict,
            "timeout": timeout,
            "max_memory": max_memory,
            "cover_title": cover_title,
            "cover_subtitle": cover_subtitle,
            "cover_date": cover_date,
        }
        options, _ = Options.resolve({}, flags, deck, settings=_config(config), environ=os.environ)
        # Settings, environment and flags, converted and checked; each deck's front matter goes under them.
        overrides = options.overrides()
        if inspect:
            from .parse import Limits
            from .pipeline import inspect as inspect_deck
            from .supervisor import Walls

            parsed = inspect_deck(deck, Limits.from_options(options), Walls.of(options))
            json.dump(parsed, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        from .pipeline import STDIN, convert

        archive = _Archive(bundle, index, directory, options)
        pdfs = [d for d in decks if d.suffix.lower() == ".pdf"]
        if pdfs and (bundle is not None or index):
            if len(pdfs) != len(decks):
                raise UsageError("give decks or PDFs to --bundle/--index, not both", hint="make the PDFs first")
            if shard is not None:
                raise UsageError("--shard splits a batch of decks; bundle the shards' PDFs after them")
            _archive_pdfs(pdfs, archive, json_report)
            return
        if len(decks) > 1 or directory is not None or bundle is not None or index or shard is not None:
            if shard is not None and (bundle is not None or index):
                raise UsageError(
                    "--shard makes one share of the PDFs: --bundle and --index need them all",
                    hint="run --bundle/--index over every shard's PDFs once the shards are done",
                )
            _batch(decks, overrides, directory, options.jobs, quiet, json_report, shard, archive)
            return
        if watch:
            _watch(deck, overrides)
            return
        if json_report and ((stdin and output is None) or output == Path("-")):
            raise UsageError(
                "--json and a PDF on standard output would share it", hint="write the PDF to a file with -o"
            )
        if stdin and options.output is not None:  # `deck2pdf - -o talk.md < talk.md`: the deck is that file
            from .output import check_target

            check_target(options.output, None, _stdin_file())
        data = _read_stdin(options.max_deck_bytes) if stdin else None
        source = STDIN if stdin else deck
        started = time.perf_counter()
        with _Bar(f"{source.name}", "slides", enabled=not quiet) as bar:
            result = convert(source, overrides, progress=bar.update, renderer=ctx.obj, data=data)
        log.info(
            "wrote %s (%d pages)",
            "the PDF to standard output" if str(result.output) == "-" else result.output,
            result.pages,
        )
        if json_report:
            from .batch import Outcome, report

            seconds = time.perf_counter() - started
            _print_json(report([Outcome(deck, result.output, result.pages, seconds, len(result.warnings))]))
    except typer.Exit:
        raise
    except BrokenPipeError:  # the reader of stdout went away (`--inspect | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (Exception, KeyboardInterrupt) as exc:
        message, code = explain(exc)
        if code == ExitCode.BUG and debug:
            traceback.print_exc()
        log.error("%s", message)
        raise typer.Exit(int(code)) from None


def _extract(pdf: Path, folder: Path, force: bool, *, progress: object) -> list[Path]:
    from .archive import extract

    return extract(pdf, folder, force=force)


def _stdin_file() -> list[os.stat_result]:
    """The file standard input reads, when it is one: a deck an output must not replace."""
    try:
        given = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError):  # closed, or not a real file (a test's stream)
        return []
    return [given] if stat.S_ISREG(given.st_mode) else []


def _read_stdin(limit: int) -> bytes:
    """The deck on standard input, read to its end (one byte over the limit is enough to refuse it)."""
    return sys.stdin.buffer.read(limit + 1)


def _print_json(data: list[dict[str, Any]]) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


class _Archive:
    """What a batch writes besides the PDFs: --bundle, --index (in -d, else the PDFs' common folder), their cover."""

    def __init__(self, bundle: Path | None, index: bool, directory: Path | None, options: Options) -> None:
        from .bundle import Cover
        from .supervisor import Walls

        self.bundle, self.index, self.directory, self.pdfa = bundle, index, directory, options.pdfa
        self.cover = Cover(options.cover_title, options.cover_subtitle or "", options.cover_date or "")
        self.walls = Walls.of(options)  # the PDFs are read and the archive made inside them, as a conversion is

    @property
    def wanted(self) -> bool:
        return self.bundle is not None or self.index

    def make(self, talks: list[Any], decks: dict[Path, Path] | None = None) -> dict[Path, Any]:
        from .supervisor import run

        if not talks:
            raise UsageError("--bundle/--index: no talks", hint="give the decks, or the PDFs deck2pdf wrote")
        folder = None
        if self.index:
            folder = self.directory or Path(os.path.commonpath([t.pdf.resolve().parent for t in talks]))
        return run(_make_archive, (talks, self.cover, self.bundle, folder, self.pdfa, decks), self.walls)  # type: ignore[no-any-return]


def _make_archive(
    talks: list[Any],
    cover: Any,
    bundle: Path | None,
    index: Path | None,
    pdfa: bool,
    decks: dict[Path, Path] | None,
    *,
    progress: object,
) -> dict[Path, Any]:
    from .batch import make_archive

    return make_archive(talks, cover, bundle=bundle, index=index, pdfa=pdfa, decks=decks)


def _read_talks(pdfs: list[Path], *, progress: object) -> list[Any]:
    from .talks import read_talks

    return read_talks(pdfs)


def _archive_pdfs(pdfs: list[Path], archive: _Archive, json_report: bool) -> None:
    """--bundle/--index over PDFs deck2pdf wrote (a batch's, or its shards'): read, not rendered."""
    from .batch import Outcome, report
    from .supervisor import run

    talks = run(_read_talks, (pdfs,), archive.walls)
    listed = archive.make(talks)
    if json_report:
        rows = [Outcome(t.pdf, t.pdf, t.pages, 0.0, 0, talk=t, listed=listed.get(t.pdf)) for t in talks]
        _print_json(report(rows))


def _batch(
    decks: list[Path],
    overrides: dict[str, Any],
    directory: Path | None,
    jobs: int | None,
    quiet: bool,
    json_report: bool = False,
    shard: str | None = None,
    archive: _Archive | None = None,
) -> None:
    """Convert several decks (with --shard, their share); print the summary; write the --bundle and --index if
    every deck converted; exit with the first failed deck's code if any failed."""
    from dataclasses import replace

    from .batch import Shard, convert_many, report, summary
    from .procs import cores

    if shard is not None:
        share = Shard.parse(shard)
        decks = share.of(decks)
        log.info("share %d/%d: %d decks", share.index, share.count, len(decks))
        if not decks:
            if json_report:
                _print_json([])
            return
    start = time.perf_counter()
    with _Bar("decks", "decks", enabled=not quiet, at_once=True) as bar:
        count = 0

        def done(outcome: Any) -> None:
            nonlocal count
            count += 1
            bar.update(count, len(decks))

        outcomes = convert_many(decks, overrides, directory=directory, jobs=jobs or cores(), done=done)
    failed = [o for o in outcomes if o.error is not None]
    if archive is not None and archive.wanted:
        if failed:
            log.error("no --bundle or --index written: %d of %d decks failed", len(failed), len(outcomes))
        else:
            talks = [o.talk for o in outcomes if o.talk is not None]
            listed = archive.make(talks, {t.pdf: o.deck for o in outcomes if (t := o.talk) is not None})
            outcomes = [replace(o, listed=listed.get(o.talk.pdf)) if o.talk else o for o in outcomes]
    if not quiet:
        typer.echo(summary(outcomes, time.perf_counter() - start), err=True)  # stdout is for data (--json, -o -)
    if json_report:
        _print_json(report(outcomes))
    if failed:
        raise typer.Exit(failed[0].exit_code)


def _watch(deck: Path, overrides: dict[str, Any]) -> None:
    """Render on every save until Ctrl-C, one line per render with its time; a failed render says why (one
    line, as in a batch) and the watch goes on."""
    from . import procs
    from .batch import convert_one
    from .watch import watch

    if procs.forking():  # each render is a process forked from this one: it starts with WeasyPrint imported
        from .rendering.engine import import_weasyprint

        import_weasyprint()

    def render() -> tuple[Path, ...] | None:
        outcome = convert_one(deck, overrides)
        if outcome.error is not None:
            return None
        warned = f", {outcome.warnings} warning(s)" if outcome.warnings else ""
        typer.echo(
            f"deck2pdf: rendered {outcome.output}: {outcome.pages} pages in {outcome.seconds:.2f} s{warned}", err=True
        )
        return outcome.inputs

    try:
        watch(deck, render)
    except KeyboardInterrupt:
        log.info("stopped watching")


class _Bar:
    """A progress bar on stderr (rich), for renders that take over a second and for batches; only when stderr
    is a terminal, and not with -q."""

    def __init__(self, label: str, unit: str, *, enabled: bool, at_once: bool = False) -> None:
        self.label, self.unit = label, unit
        self.enabled = enabled and sys.stderr.isatty()
        self.delay = 0.0 if at_once else 1.0
        self.start = time.monotonic()
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _Bar:
        return self

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if time.monotonic() - self.start < self.delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn(f"deck2pdf: {self.label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done, total=total)
        if done >= total:  # finished: gone before the messages that follow are printed
            self.progress.stop()

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def _config(path: Path | None) -> Settings | None:
    """The settings file (TOML; keys are the options' names, e.g. `untrusted = true`): --config's, else
    config.toml in the user's settings folder if there is one (platformdirs: $XDG_CONFIG_HOME/deck2pdf on
    Linux, ~/Library/Application Support/deck2pdf on macOS, %APPDATA%\\deck2pdf on Windows). Options.resolve
    checks its values."""
    import tomllib

    import platformdirs

    if path is None:
        path = Path(platformdirs.user_config_dir("deck2pdf", appauthor=False)) / "config.toml"
        if not path.is_file():
            return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the settings ({exc.strerror})", file=path) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"the settings are not UTF-8 (byte {exc.start})", file=path, hint="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"bad settings: {exc}", file=path, hint="fix the TOML") from None
    return Settings(data, path)


def _source_date_epoch() -> datetime.datetime | None:
    """SOURCE_DATE_EPOCH (reproducible builds): the date to write instead of the deck file's."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise UsageError(
            f"SOURCE_DATE_EPOCH={value!r}: not a number of seconds", hint="e.g. SOURCE_DATE_EPOCH=1700000000"
        )
    if int(value) > _LAST_SECOND:
        raise UsageError(
            f"SOURCE_DATE_EPOCH={value}: after the year 9999, which a PDF date cannot hold",
            hint="e.g. SOURCE_DATE_EPOCH=1700000000",
        )
    return datetime.datetime.fromtimestamp(int(value), datetime.UTC)


_LAST_SECOND = 253402300799  # 9999-12-31 23:59:59 UTC
