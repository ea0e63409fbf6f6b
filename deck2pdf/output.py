"""Turn PDF bytes into a file: written beside the target under a temporary name, then renamed into place."""

from __future__ import annotations

import os
from pathlib import Path

from . import files
from .errors import OutputError


def check_target(target: Path, deck: Path) -> None:
    """Refuse, before any work, an output that would overwrite the deck or cannot be written."""
    if target.exists() and deck.exists() and target.resolve() == deck.resolve():
        raise OutputError("the output would overwrite the deck", file=target, hint="choose another path with -o")
    if target.is_dir():
        raise OutputError("is a directory", file=target, hint="give a file name, e.g. -o talk.pdf")
    folder = target.parent
    if not folder.is_dir():
        raise OutputError("the output's folder does not exist", file=target, hint=f"create {folder} first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError("the output's folder is not writable", file=target, hint="choose another path with -o")


def write_output(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that a reader sees the old file or the whole new one, never a part."""
    try:
        files.write_atomic(target, data, durable=True)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror})", file=target, hint="check the folder") from exc
