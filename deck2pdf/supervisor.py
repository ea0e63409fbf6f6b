"""Run one piece of work on a deck (a conversion, `--inspect`, `--extract`) inside walls that the work cannot move.

The work runs in a process of its own (`procs.Child`); this process, the supervisor, does nothing the deck decides
and enforces from outside:
- a deadline: at `Walls.seconds` after the start the work's whole process group is ended (GaveUp);
- a memory ceiling: the memory the work's processes have taken since it started (their anonymous memory, each
  process counted for its share) is read every `procs.POLL_SECONDS`, and the group is ended when it passes
  `Walls.memory` (MemoryLimitError); each process's address space is also capped (RLIMIT_AS, with a wide margin),
  so that one allocation far too large to see coming fails at once in the work itself;
- temporary files: the work's TMPDIR is a folder the supervisor made for it and removes however the work ended.

The stages keep their own, finer limits (slide lengths, image pixels, download times): they make errors precise;
the walls make them safe.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import procs
from .errors import GaveUp, MemoryLimitError

if TYPE_CHECKING:
    from .options import Options

log = logging.getLogger("deck2pdf")

MB = 2**20


@dataclass(frozen=True)
class Walls:
    seconds: float  # the work's wall-clock deadline, from its start
    memory: int  # bytes: the memory all the work's processes may take together

    @classmethod
    def of(cls, options: Options) -> Walls:
        """The walls `options` set (--timeout, --max-memory)."""
        return cls(options.timeout, options.max_memory * MB)


def run(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    walls: Walls,
    progress: Callable[[int, int], None] | None = None,
    child: procs.Child | None = None,
    *,
    deck: Path | str | None = None,
) -> Any:
    """Return `function(*args, progress=...)` run inside `walls`, in `child` (a process started beforehand) or in
    one started now; raise what it raised, GaveUp at the deadline, MemoryLimitError over the ceiling. `deck` names
    the deck in those two errors."""
    if child is None:
        child = procs.Child()
    watch = _Meter(walls.memory)
    try:
        # From the call, not from the process's start: a command may wait on its standard input before it.
        deadline = time.monotonic() + walls.seconds
        return child.call(function, args, progress, deadline=deadline, memory=walls.memory, meter=watch)
    except GaveUp:
        raise GaveUp(walls.seconds, file=deck) from None
    except procs.OverMemoryError:
        raise MemoryLimitError(walls.memory // MB, file=deck) from None
    except MemoryError:  # an allocation the address-space cap refused, in the work itself
        raise MemoryLimitError(walls.memory // MB, file=deck) from None
    finally:
        log.debug("the work's memory peaked at %d MB (ceiling %d MB)", watch.peak // MB, walls.memory // MB)


class _Meter:
    """Reads how much memory a process tree has taken since the work started: the anonymous memory (what a deck
    can make grow; the program's libraries and fonts are not counted) of the work's process and those below it,
    each counted for its proportional share (Pss_Anon: a forked worker's pages shared with its parent are counted
    once, not once per process), less what the tree held at the first reading (a forking host's own heap, which
    the work's process shares). Linux's /proc; elsewhere the address-space cap alone holds."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.peak = 0
        self.base: int | None = None
        self.enabled = sys.platform.startswith("linux") and os.path.isfile("/proc/self/smaps_rollup")

    def over(self, root: int) -> bool:
        """Whether `root` and the processes below it have together taken more than the ceiling since the first
        reading."""
        if not self.enabled:
            return False
        used = sum(_anonymous(pid) for pid in _members(root))
        if self.base is None:
            self.base = used
        self.peak = max(self.peak, used - self.base)
        return used - self.base > self.ceiling


def _anonymous(pid: int) -> int:
    """A process's proportional share of anonymous memory, in bytes (0 once it has ended)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss_Anon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _members(root: int) -> list[int]:
    """`root` and every process below it (Linux: each thread's `children` list in /proc)."""
    members, todo = [], [root]
    while todo:
        pid = todo.pop()
        members.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:  # it ended meanwhile
            continue
        for task in tasks:
            try:
                todo.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
            except OSError:
                continue
    return members
