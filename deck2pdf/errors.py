"""deck2pdf's errors and the exit code each kind of failure ends with."""

from __future__ import annotations

from enum import IntEnum, unique
from pathlib import Path


@unique
class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    DECK = 3
    ASSET = 4
    THEME = 5
    RENDER = 6
    OUTPUT = 7
    STRICT = 8  # a warning became fatal through --strict
    BUG = 70  # EX_SOFTWARE: an unexpected exception
    INTERRUPTED = 130


class Deck2PdfError(Exception):
    """A failure worded for the user: where, what went wrong, and how to fix it."""

    exit_code = ExitCode.ERROR

    def __init__(
        self,
        problem: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        slide: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        self.slide = slide
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        place = ""
        if self.file is not None:
            place = str(self.file)
            if self.line is not None:
                place += f":{self.line}"
        if self.slide is not None:
            place += f" (slide {self.slide})" if place else f"slide {self.slide}"
        text = f"{place}: {self.problem}" if place else self.problem
        return f"{text}; {self.hint}" if self.hint else text


class UsageError(Deck2PdfError):
    exit_code = ExitCode.USAGE


class DeckError(Deck2PdfError):
    exit_code = ExitCode.DECK


class AssetError(Deck2PdfError):
    exit_code = ExitCode.ASSET


class ThemeError(Deck2PdfError):
    exit_code = ExitCode.THEME


class RenderError(Deck2PdfError):
    exit_code = ExitCode.RENDER


class LayoutFailedError(RenderError):
    """WeasyPrint raised while laying out slides (a bug of its own, met by some HTML or CSS): `cause` names its
    exception; which slide met it is found by laying the slides out apart (`rendering.chunks`)."""

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__(f"WeasyPrint failed while laying out the deck ({cause})", hint="run with --debug")

    def __reduce__(self) -> tuple[type[LayoutFailedError], tuple[str]]:
        return LayoutFailedError, (self.cause,)  # it crosses from the worker processes


class OutputError(Deck2PdfError):
    exit_code = ExitCode.OUTPUT


class StrictError(Deck2PdfError):
    exit_code = ExitCode.STRICT


class GaveUp(RenderError):  # noqa: N818 (its name is public API)
    """The work passed its deadline (--timeout): the supervisor ended it."""

    def __init__(self, seconds: float | None = None, *, file: Path | str | None = None) -> None:
        self.seconds = seconds
        after = f" after {seconds:g} s" if seconds is not None else ""
        super().__init__(f"gave up{after} (--timeout); nothing written", file=file, hint="raise --timeout")

    def __reduce__(self) -> tuple[type[GaveUp], tuple[float | None], dict[str, object]]:
        return GaveUp, (self.seconds,), {"file": self.file}


class MemoryLimitError(RenderError):
    """The work used more memory than --max-memory allows: the supervisor ended it."""

    def __init__(self, megabytes: int, *, file: Path | str | None = None) -> None:
        self.megabytes = megabytes
        super().__init__(
            f"gave up: the conversion needed more than {megabytes} MB of memory (--max-memory); nothing written",
            file=file,
            hint="shorten the deck's longest slides, or raise --max-memory",
        )

    def __reduce__(self) -> tuple[type[MemoryLimitError], tuple[int], dict[str, object]]:
        return MemoryLimitError, (self.megabytes,), {"file": self.file}


def explain(exc: BaseException, deck: Path | str | None = None) -> tuple[str, ExitCode]:
    """The one-line message and the exit code for a failure: the one place that maps exceptions to both (the
    command line and batches use it). Anything unexpected is a bug (exit 70); `deck` names the deck in it."""
    where = f"{deck}: " if deck is not None else ""
    if isinstance(exc, Deck2PdfError):
        return str(exc), exc.exit_code
    if isinstance(exc, MemoryError):
        return f"{where}gave up: out of memory; nothing written", ExitCode.RENDER
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; nothing written", ExitCode.INTERRUPTED
    return (
        f"{where}internal error ({type(exc).__name__}: {exc}); this is a bug, please report it with the deck",
        ExitCode.BUG,
    )
