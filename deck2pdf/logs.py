"""How deck2pdf's messages look on stderr: `deck2pdf: warning: ...`, one line each."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Control characters (line breaks, ESC, ...) and the Unicode line separators: what a deck, a file name or a server
# could put in a message to forge a line of its own or drive the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` with its control characters escaped (`\\n`, `\\x1b`): printed, it is one line and only text."""
    return _CONTROL.sub(
        lambda m: _NAMED.get(
            m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = {logging.WARNING: "warning: ", logging.ERROR: "error: "}.get(record.levelno, "")
        return f"deck2pdf: {level}{one_line(record.getMessage())}"


def setup(level: int) -> None:
    """Print deck2pdf's messages of `level` and above on stderr."""
    log = logging.getLogger("deck2pdf")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(level)


class Clock:
    """Time the stages for -v, and give up between them once the --timeout deadline has passed."""

    def __init__(self, deadline: float | None = None) -> None:
        self.start = self.last = time.perf_counter()
        self.started = time.monotonic()
        self.deadline = deadline
        self.seconds: float | None = None  # the time limit, for messages

    def limit(self, seconds: float) -> None:
        """Give up `seconds` after the clock started."""
        self.deadline, self.seconds = self.started + seconds, seconds

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        logging.getLogger("deck2pdf").debug("%s (%.2f s, %.2f s in all)", what, now - self.last, now - self.start)
        self.last = now
        self.check()

    def check(self) -> None:
        from .errors import GaveUp

        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise GaveUp(self.seconds)


@contextmanager
def recorded(name: str, level: int = logging.DEBUG) -> Iterator[list[logging.LogRecord]]:
    """The records logger `name` (and those below it) logs at `level` or above while in the block, still passed
    on as usual (WeasyPrint's logger has only a NullHandler: its warnings are lost otherwise)."""
    records: list[logging.LogRecord] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger, handler = logging.getLogger(name), Recorder(level)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
