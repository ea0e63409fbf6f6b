"""Turn PDF bytes into a file: written beside the target under a temporary name, then renamed into place; or
streamed, to standard output (`-o -`), a FIFO or a device, which cannot be renamed over."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from . import files
from .errors import OutputError

STDOUT = Path("-")  # `-o -`: the PDF goes to standard output


def check_target(target: Path, deck: Path | None, inputs: Iterable[Path | os.stat_result] = ()) -> None:
    """Refuse an output that would overwrite the deck or a file it is made from (its `style:` sheet, its images:
    `inputs`, by path or by the identity of a file already open, such as a deck on standard input), that is a
    folder, or cannot be written. Files are compared by identity (device and inode), whatever their names: a
    symlink is judged by what it points to (the PDF is written there; the link stays), a hard link is the file."""
    if target == STDOUT:
        return
    real = Path(os.path.realpath(target))
    try:
        there = os.stat(real)
    except OSError:
        there = None  # nothing there yet: nothing to overwrite
    for kept in (*([deck] if deck is not None else []), *inputs):
        if there is not None and _same(there, kept):
            what = (
                "the deck" if kept == deck or isinstance(kept, os.stat_result) else f"{kept.name}, which the deck uses"
            )
            raise OutputError(f"the output would overwrite {what}", file=target, hint="choose another path with -o")
    if real.is_dir():
        raise OutputError("is a directory", file=target, hint="give a file name, e.g. -o talk.pdf")
    if _streamed(real):
        return
    folder = real.parent
    if not folder.is_dir():
        raise OutputError("the output's folder does not exist", file=target, hint=f"create {folder} first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError("the output's folder is not writable", file=target, hint="choose another path with -o")


def _same(there: os.stat_result, kept: Path | os.stat_result) -> bool:
    if not isinstance(kept, os.stat_result):
        try:
            kept = os.stat(kept)
        except OSError:
            return False
    return (there.st_dev, there.st_ino) == (kept.st_dev, kept.st_ino)


def write_output(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that a reader sees the old file or the whole new one, never a part: beside it,
    then renamed into place (through a symlink: the link stays, its target is replaced). Standard output, a FIFO
    or a device is written directly: renaming over one would replace it with a regular file."""
    try:
        if target == STDOUT:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        real = Path(os.path.realpath(target))
        if _streamed(real):
            with open(target, "wb") as f:
                f.write(data)
            return
        files.write_atomic(real, data, durable=True)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror})", file=target, hint="check the folder") from exc


def _streamed(path: Path) -> bool:
    """Whether a path is written as a stream: a FIFO, a device or a socket (or a /dev or /proc name)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return str(path).startswith(("/dev/", "/proc/"))
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)
