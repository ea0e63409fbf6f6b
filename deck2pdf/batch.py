"""Convert many decks at once (a conference's whole programme): one process per deck, `jobs` at a time, sharing
the image and render caches (both are safe to share: files are written whole, then renamed). A deck that fails
does not stop the others; each gets a row in the summary."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import procs
from .bundle import Cover
from .errors import UsageError, explain
from .index import INDEX, Listed
from .logs import one_line
from .talks import Talk, read_talk

if TYPE_CHECKING:
    from .options import Options

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
    talk: Talk | None = None  # what the PDF says about its talk (title, author, date), read back from it
    listed: Listed | None = None  # what --index wrote for it (thumbnail, source, handout)


@dataclass(frozen=True)
class Shard:
    """`--shard K/N`: the K-th (from 0) of N shares of a batch's decks. A deck's share depends on its file name
    alone (SHA-256, not Python's salted hash), so every machine given the same decks, in any order, computes the
    same shares: disjoint, and together all the decks."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        m = _SHARD.match(text)
        if not m or not 0 <= int(m.group(1)) < int(m.group(2)):
            raise UsageError(
                f"--shard {text!r}: expected K/N with 0 <= K < N",
                hint="e.g. --shard 0/3, --shard 1/3 and --shard 2/3 on three machines",
            )
        return cls(int(m.group(1)), int(m.group(2)))

    def holds(self, deck: Path) -> bool:
        """Whether `deck` is in this share."""
        digest = hashlib.sha256(deck.name.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def of(self, decks: Sequence[Path]) -> list[Path]:
        """This share's decks, in their given order."""
        return [deck for deck in decks if self.holds(deck)]


_SHARD = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9})\s*$")


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
        talk = read_talk(result.output) if result.output.suffix.lower() == ".pdf" else None
        return Outcome(
            deck, result.output, result.pages, seconds, len(result.warnings), inputs=result.inputs, talk=talk
        )
    except Exception as exc:  # a bug too: reported, and the other decks go on
        message, code = explain(exc, deck)
        log.error("%s", message)
        return Outcome(deck, None, 0, time.perf_counter() - start, 0, message, int(code))


def report(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """What --json prints: one object per deck, with what an archive page needs (title, author, date, pages,
    slides, and the files written for it: `outputs`)."""
    return [
        {
            "deck": str(o.deck),
            "output": str(o.output) if o.output is not None else None,
            "title": o.talk.title if o.talk else None,
            "author": o.talk.author if o.talk else None,
            "date": o.talk.date if o.talk else None,
            "pages": o.pages,
            "slides": o.talk.slides if o.talk else None,
            "outputs": _outputs(o),
            "warnings": o.warnings,
            "seconds": round(o.seconds, 2),
            "error": o.error,
            "exit_code": o.exit_code,
        }
        for o in outcomes
    ]


def _outputs(outcome: Outcome) -> dict[str, str]:
    """The files written for a deck: its PDF, and with --index its thumbnail, source copy and handout found."""
    named = {"pdf": outcome.output}
    if outcome.listed is not None:
        named.update(thumbnail=outcome.listed.thumbnail, source=outcome.listed.source, handout=outcome.listed.handout)
    return {kind: str(path) for kind, path in named.items() if path is not None}


def make_archive(
    talks: Sequence[Talk],
    cover: Cover,
    *,
    bundle: Path | None,
    index: Path | None,
    pdfa: bool = False,
    decks: Mapping[Path, Path] | None = None,
) -> dict[Path, Listed]:
    """Write the proceedings PDF (`bundle`) and the index page (in the folder `index`) of `talks`, as asked;
    return what the index wrote for each talk's PDF. `decks` maps each PDF to its deck, when known."""
    from .bundle import make_bundle
    from .index import write_index
    from .output import check_target, write_output

    if bundle is not None:
        # Never one of the files it is made from (a talk's PDF, a deck), by file identity whatever the name.
        check_target(bundle, None, [*(t.pdf for t in talks), *(decks or {}).values()])
        write_output(bundle, make_bundle(talks, cover, pdfa=pdfa))
        log.info("wrote %s (%d talks)", bundle, len(talks))
    if index is None:
        return {}
    linked = bundle if bundle is not None and bundle.resolve().is_relative_to(index.resolve()) else None
    listed = write_index(index, talks, cover, decks=decks, bundle=linked)
    log.info("wrote %s (%d talks)", index / INDEX, len(talks))
    return listed


class Archive:
    """What a batch writes besides the PDFs: --bundle, --index (in -d, else the PDFs' common folder), their cover."""

    def __init__(self, bundle: Path | None, index: bool, directory: Path | None, options: Options) -> None:
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
    return make_archive(talks, cover, bundle=bundle, index=index, pdfa=pdfa, decks=decks)


def _read_talks(pdfs: list[Path], *, progress: object) -> list[Any]:
    from .talks import read_talks

    return read_talks(pdfs)


def archive_pdfs(pdfs: list[Path], archive: Archive) -> list[Outcome]:
    """--bundle/--index over PDFs deck2pdf wrote (a batch's, or its shards'): read, not rendered. Return a row
    for each, as a batch's."""
    from .supervisor import run

    talks = run(_read_talks, (pdfs,), archive.walls)
    listed = archive.make(talks)
    return [Outcome(t.pdf, t.pdf, t.pages, 0.0, 0, talk=t, listed=listed.get(t.pdf)) for t in talks]


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
