"""Run one piece of work on a deck (a conversion, `--inspect`, `--extract`) inside walls that the work cannot move.

The work runs in a process of its own (`procs.Child`); this process, the supervisor, does nothing the deck decides
and enforces from outside:
- a deadline: at `Walls.seconds` after the start the work's whole process group is ended (GaveUp);
- a memory ceiling: the private memory of every process of the work, summed, is read every `procs.POLL_SECONDS`, and
  the group is ended when it passes `Walls.memory` (MemoryLimitError); each process's address space is also capped
  (RLIMIT_AS), so that one allocation too large to see coming fails at once in the work itself;
- temporary files: the work's TMPDIR is a folder the supervisor made for it and removes however the work ended.

The stages keep their own, finer limits (slide lengths, image pixels, download times): they make errors precise;
the walls make them safe.
"""

from __future__ import annotations

import logging
import os
import sys
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
    memory: int  # bytes: the private memory of all the work's processes together

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
        return child.call(
            function, args, progress, deadline=child.started + walls.seconds, memory=walls.memory, meter=watch
        )
    except GaveUp:
        raise GaveUp(walls.seconds, file=deck) from None
    except procs.OverMemoryError:
        raise MemoryLimitError(walls.memory // MB, file=deck) from None
    except MemoryError:  # an allocation the address-space cap refused, in the work itself
        raise MemoryLimitError(walls.memory // MB, file=deck) from None
    finally:
        log.debug("the work's memory peaked at %d MB (ceiling %d MB)", watch.peak // MB, walls.memory // MB)


class _Meter:
    """Reads the private memory of a process tree: anonymous resident pages (what a deck can make grow; the
    program's libraries and fonts are not counted), summed over the work's process and those below it (Linux's
    /proc; elsewhere the address-space cap alone holds)."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.peak = 0
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self.enabled = sys.platform.startswith("linux") and os.path.isdir("/proc/self")

    def over(self, root: int) -> bool:
        """Whether `root` and the processes below it together use more than the ceiling now."""
        if not self.enabled:
            return False
        used = sum(self._private(pid) for pid in _members(root))
        self.peak = max(self.peak, used)
        return used > self.ceiling

    def _private(self, pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/statm").read_text().split()
        except OSError:  # it ended meanwhile
            return 0
        return (int(fields[1]) - int(fields[2])) * self.page  # resident - shared (file-backed)


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
