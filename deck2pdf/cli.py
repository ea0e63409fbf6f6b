"""Turn a command line into a conversion: parse flags, call the pipeline, map errors to messages and exit codes."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._version import __version__
from .errors import ExitCode, UsageError, explain
from .flags import Command, declared
from .options import Options, read_settings, source_date_epoch

if TYPE_CHECKING:
    from .batch import Archive

app = typer.Typer(add_completion=True, pretty_exceptions_enable=False, rich_markup_mode="rich")
log = logging.getLogger("deck2pdf")


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


@app.command(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@declared({"list_themes": _list_themes, "version": _version})
def main(
    ctx: typer.Context,
    decks: Annotated[
        list[Path],
        typer.Argument(metavar="DECK...", help="The Cleaver deck(s) (Markdown) to convert.", show_default=False),
    ],
    **given: Any,
) -> None:
    """Turn a Cleaver Markdown slide deck into a PDF, one slide per page."""
    from .logs import setup

    # the command's own switches; the rest are options (flags.py makes a parameter of each, from the table)
    directory, watch, extract, inspect, json_report = (
        given.pop(name) for name in ("directory", "watch", "extract", "inspect", "json_report")
    )
    force, config, bundle, index, shard = (given.pop(name) for name in ("force", "config", "bundle", "index", "shard"))
    quiet, verbose, debug = given.pop("quiet"), given.pop("verbose"), given.pop("debug")
    del given["list_themes"], given["version"]  # eager: done before this runs
    output = given["output"]
    setup(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    try:
        if len(decks) > 1 and (extract or inspect or watch or output is not None):
            flag = "--extract" if extract else "--inspect" if inspect else "--watch" if watch else "-o"
            raise UsageError(f"{flag} takes one deck; {len(decks)} were given", hint="use -d DIR for several decks")
        deck = decks[0]
        stdin = deck == Path("-")  # the deck on standard input: relative paths start in the current folder
        if stdin and (len(decks) > 1 or extract or inspect or watch or directory is not None):
            raise UsageError("a deck on standard input (-) is converted alone", hint="give deck files instead")
        flags = {name: value if value != [] else None for name, value in given.items()}  # a list not given: []
        flags["created"] = source_date_epoch()
        options, _ = Options.resolve({}, flags, deck, settings=read_settings(config), environ=os.environ)
        # Settings, environment and flags, converted and checked; each deck's front matter goes under them.
        overrides = options.overrides()
        if extract:
            from .archive import attachments_folder
            from .logs import one_line
            from .supervisor import Walls, run

            # The PDF is someone else's: read inside the walls (--timeout, --max-memory; --untrusted's if given).
            out = directory or attachments_folder(deck)
            for path in run(_extract, (deck, out, force), Walls.of(options), deck=deck):
                typer.echo(one_line(str(path)))
            return
        if inspect:
            from .parse import Limits
            from .pipeline import inspect as inspect_deck
            from .supervisor import Walls

            parsed = inspect_deck(deck, Limits.from_options(options), Walls.of(options))
            json.dump(parsed, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        from .batch import Archive, archive_pdfs, report
        from .pipeline import STDIN, convert

        archive = Archive(bundle, index, directory, options)
        pdfs = [d for d in decks if d.suffix.lower() == ".pdf"]
        if pdfs and (bundle is not None or index):
            if len(pdfs) != len(decks):
                raise UsageError("give decks or PDFs to --bundle/--index, not both", hint="make the PDFs first")
            if shard is not None:
                raise UsageError("--shard splits a batch of decks; bundle the shards' PDFs after them")
            rows = archive_pdfs(pdfs, archive)
            if json_report:
                _print_json(report(rows))
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
            from .batch import Outcome

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


def _batch(
    decks: list[Path],
    overrides: dict[str, Any],
    directory: Path | None,
    jobs: int | None,
    quiet: bool,
    json_report: bool = False,
    shard: str | None = None,
    archive: Archive | None = None,
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
