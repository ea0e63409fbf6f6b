"""Convert many decks at once (a conference's whole programme): one process per deck, `jobs` at a time, sharing
the image and render caches (both are safe to share: files are written whole, then renamed). A deck that fails
does not stop the others; each gets a row in the summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import procs
from .errors import UsageError, explain
from .logs import one_line

log = logging.getLogger("deck2pdf")


@dataclass(frozen=True)
class Outcome:
    deck: Path
    output: Path | None  # None when it failed
    pages: int
    seconds: float
    warnings: int
    error: str | None = None  # the one-line error, when it failed
    exit_code: int = 0
    inputs: tuple[Path, ...] = ()  # the files the PDF was made from


def outputs_for(decks: Sequence[Path], directory: Path | None) -> dict[Path, Path | None]:
    """Each deck's PDF: in `directory` (made if missing) under the deck's name, else beside the deck.
    Two decks that would write the same PDF are refused before anything is rendered."""
    planned: dict[Path, Path | None] = {}
    seen: dict[Path, Path] = {}
    for deck in decks:
        target = (directory / deck.with_suffix(".pdf").name) if directory is not None else None
        key = (target or deck.with_suffix(".pdf")).resolve()
        if key in seen:
            raise UsageError(
                f"{seen[key]} and {deck} would both write {key}",
                hint="rename one of the decks, or convert them into different folders",
            )
        seen[key] = deck
        planned[deck] = target
    return planned


def convert_many(
    decks: Sequence[Path],
    overrides: Mapping[str, Any],
    *,
    directory: Path | None,
    jobs: int,
    done: Callable[[Outcome], None],
) -> list[Outcome]:
    """Convert every deck; `done(outcome)` is called as each finishes. Return the outcomes in the decks' order."""
    targets = outputs_for(decks, directory)
    if directory is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"-d {directory}: cannot make the folder ({exc.strerror})") from None
    # Each deck renders in its own process, one core each: `jobs` decks at a time make `jobs` processes.
    tasks = [(deck, {**overrides, "output": targets[deck], "jobs": 1}) for deck in decks]
    outcomes: dict[Path, Outcome] = {}
    if jobs <= 1 or len(decks) == 1:
        for task in tasks:
            outcomes[task[0]] = outcome = convert_one(*task)
            done(outcome)
    else:
        from .rendering.engine import import_weasyprint

        if procs.forking():
            import_weasyprint()  # once, before forking
        pool = procs.pool(min(jobs, len(decks)))
        try:
            futures = [pool.submit(convert_one, *task) for task in tasks]
            for future in futures:
                outcome = future.result()
                outcomes[outcome.deck] = outcome
                done(outcome)
        except BaseException:
            procs.stop(pool)
            raise
        pool.shutdown()
    return [outcomes[deck] for deck in decks]


def convert_one(deck: Path, overrides: Mapping[str, Any]) -> Outcome:
    """Convert one deck, turning its failure into an Outcome (a bug too: the other decks go on)."""
    from .pipeline import convert

    start = time.perf_counter()
    try:
        result = convert(deck, overrides)  # its --timeout among them
        seconds = time.perf_counter() - start
        return Outcome(deck, result.output, result.pages, seconds, len(result.warnings), inputs=result.inputs)
    except Exception as exc:  # a bug too: reported, and the other decks go on
        message, code = explain(exc, deck)
        log.error("%s", message)
        return Outcome(deck, None, 0, time.perf_counter() - start, 0, message, int(code))


def report(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """What --json prints: one object per deck."""
    return [
        {
            "deck": str(o.deck),
            "output": str(o.output) if o.output is not None else None,
            "pages": o.pages,
            "warnings": o.warnings,
            "seconds": round(o.seconds, 2),
            "error": o.error,
            "exit_code": o.exit_code,
        }
        for o in outcomes
    ]


def summary(outcomes: Sequence[Outcome], seconds: float) -> str:
    """The table printed after a batch: one row per deck, then the totals."""
    rows = [("deck", "result", "pages", "warnings", "seconds")]
    for o in outcomes:
        result = str(o.output) if o.output is not None else f"FAILED (exit {o.exit_code})"
        rows.append((one_line(str(o.deck)), one_line(result), str(o.pages), str(o.warnings), f"{o.seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = sum(o.error is not None for o in outcomes)
    per_minute = len(outcomes) / seconds * 60 if seconds > 0 else 0.0
    lines.append(
        f"{len(outcomes) - failed} of {len(outcomes)} decks converted, {failed} failed, "
        f"in {seconds:.1f} s ({per_minute:.0f} decks per minute)"
    )
    return "\n".join(lines)
