"""How deck2pdf's messages look on stderr: `deck2pdf: warning: ...`, one line each."""

from __future__ import annotations

import logging
import sys


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = {logging.WARNING: "warning: ", logging.ERROR: "error: "}.get(record.levelno, "")
        return f"deck2pdf: {level}{record.getMessage()}"


def setup(level: int) -> None:
    """Print deck2pdf's messages of `level` and above on stderr."""
    log = logging.getLogger("deck2pdf")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(level)
