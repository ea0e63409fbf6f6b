"""The walls around a conversion hold whatever the work does: its deadline, its memory ceiling, its temporary
folder. Here with plain functions as the work; tests/e2e/test_walls.py does it with hostile decks."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

from deck2pdf import procs
from deck2pdf.errors import Deck2PdfError, GaveUp, MemoryLimitError
from deck2pdf.supervisor import MB, Walls, run

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _sleep_forever(*, progress: object) -> None:
    while True:
        time.sleep(1)


def _spin_forever(*, progress: object) -> None:
    while True:
        pass


def _grow(step: int, *, progress: object) -> None:
    """Take memory a step at a time (and touch it, so that it is resident), forever."""
    kept = []
    while True:
        kept.append(bytearray(step))
        time.sleep(0.01)


def _allocate(size: int, *, progress: object) -> int:
    """The size allocated, or -1 when the allocation is refused there and then (the address-space cap)."""
    try:
        return len(bytearray(size))
    except MemoryError:
        return -1


def _hold(size: int, *, progress: object) -> int:
    """Take `size` bytes and keep them a while (the supervisor reads the memory meanwhile)."""
    kept = bytearray(size)
    time.sleep(0.6)
    return len(kept)


def _flood(*, progress: object) -> None:
    """Report progress faster than anyone reads it, forever."""
    while True:
        progress(1, 2)  # type: ignore[operator]


def _grow_in_workers(step: int, *, progress: object) -> None:
    """The work's own workers take the memory, a step each at a time: the ceiling counts the whole tree."""
    pool = procs.pool(2)
    list(pool.map(_grow_for, [step, step]))


def _grow_for(step: int) -> None:
    _grow(step, progress=None)


def _leave_files(*, progress: object) -> str:
    folder = tempfile.mkdtemp(prefix="weasyprint-")
    Path(folder, "font.ttf").write_bytes(b"x" * 1000)
    Path(tempfile.gettempdir(), "stray").write_text("left")
    return tempfile.gettempdir()


def _leave_files_and_hang(marker: str, *, progress: object) -> None:
    Path(_leave_files(progress=None), marker).write_text("here")
    _sleep_forever(progress=None)


def _say(*, progress: object) -> str:
    logging.getLogger("deck2pdf").warning("slide 3: something to say")
    return "said"


@pytest.mark.parametrize("work", [_sleep_forever, _spin_forever], ids=["sleeping", "busy"])
def test_work_that_does_not_end_is_ended_at_its_deadline(work: object) -> None:
    start = time.monotonic()
    with pytest.raises(GaveUp, match=r"deck\.md: gave up after 0\.5 s \(--timeout\); nothing written"):
        run(work, (), Walls(0.5, 1024 * MB), deck="deck.md")  # type: ignore[arg-type]
    assert time.monotonic() - start < 5  # (a bound, not a timing: the deadline is half a second)


def test_a_timeout_is_a_deck2pdf_error_that_a_plain_except_catches() -> None:
    try:
        run(_sleep_forever, (), Walls(0.2, 1024 * MB))
    except Exception as exc:  # what a web framework's handler catches
        assert isinstance(exc, Deck2PdfError) and exc.exit_code == 6
    else:
        raise AssertionError("no timeout")


@linux_only
@pytest.mark.parametrize(("work", "step"), [(_grow, 8 * MB), (_grow_in_workers, 4 * MB)], ids=["itself", "workers"])
def test_work_that_outgrows_its_ceiling_is_ended(work: object, step: int) -> None:
    with pytest.raises(MemoryLimitError, match=r"needed more than 150 MB of memory \(--max-memory\)"):
        run(work, (step,), Walls(60, 150 * MB))  # type: ignore[arg-type]


@linux_only
def test_one_allocation_far_past_the_ceiling_fails_at_once_in_the_work() -> None:
    """Too big and too quick for the supervisor's look: the address-space cap refuses it in the work itself."""
    assert run(_allocate, (8 * 1024 * MB,), Walls(60, 200 * MB)) == -1
    assert run(_allocate, (100 * MB,), Walls(60, 200 * MB)) == 100 * MB  # within the ceiling, it is had


@linux_only
def test_the_memory_a_forking_host_holds_is_not_counted_as_the_works(tmp_path: Path) -> None:
    """A service forks the work from a process with a heap of its own: the work shares it, but did not take it."""
    held = bytearray(300 * MB)  # the host's own, touched (resident)
    for i in range(0, len(held), 4096):
        held[i] = 1
    assert run(_hold, (10 * MB,), Walls(60, 150 * MB)) == 10 * MB
    del held


def test_a_flood_of_messages_does_not_hold_off_the_deadline() -> None:
    start = time.monotonic()
    with pytest.raises(GaveUp):
        run(_flood, (), Walls(1, 1024 * MB), progress=lambda done, total: time.sleep(0.001))
    assert time.monotonic() - start < 6


def test_the_work_has_a_temporary_folder_of_its_own_removed_when_it_ends(tmp_path: Path) -> None:
    folder = run(_leave_files, (), Walls(60, 1024 * MB))
    assert Path(folder).parent == Path(tempfile.gettempdir()) and Path(folder).name.startswith("deck2pdf-")
    assert not Path(folder).exists()


def test_a_work_ended_at_its_deadline_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(GaveUp):
        run(_leave_files_and_hang, ("marker",), Walls(1, 1024 * MB))
    assert list(tmp_path.iterdir()) == []


def test_the_works_log_records_reach_the_callers_handlers(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="deck2pdf"):
        assert run(_say, (), Walls(60, 1024 * MB)) == "said"
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, "slide 3: something to say")]


@linux_only
def test_the_supervisor_leaves_no_process_behind() -> None:
    child = procs.Child()
    with pytest.raises(GaveUp):
        run(_grow_in_workers, (MB,), Walls(1, 1024 * MB), child=child)
    assert not child.process.is_alive()
    end = time.monotonic() + 10
    while _running_in_group(child.process.pid) and time.monotonic() < end:  # (the killed wait to be reaped)
        time.sleep(0.05)
    assert _running_in_group(child.process.pid) == []  # its group, workers included, is gone


def _running_in_group(group: int | None) -> list[int]:
    """The processes of a process group that have not ended (zombies have: they wait to be reaped)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            state, _, pgrp = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(pgrp) == group and state not in "ZX":
            found.append(int(pid))
    return found
