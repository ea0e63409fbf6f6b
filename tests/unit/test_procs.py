"""Processes end with their parent where the kernel sends no parent-death signal (macOS, Windows)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

_SCRIPT = textwrap.dedent(
    """
    import multiprocessing, os, sys, time
    from deck2pdf import procs

    tidy = sys.argv[2] == "tidy"

    def grandchild(parent):
        sys.platform = "darwin"  # no parent-death signal
        procs._die_with(parent, tidy=tidy)
        with open(sys.argv[1], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(60)

    if __name__ == "__main__":
        p = multiprocessing.get_context("fork").Process(target=grandchild, args=(os.getpid(),))
        p.start()
        time.sleep(60)
    """
)


def _pid_in(file: Path) -> int:
    """The process id a started script writes to `file`, once it has."""
    for _ in range(200):
        if file.exists() and file.read_text():
            break
        time.sleep(0.05)
    return int(file.read_text())


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended, waiting for its adopter to reap it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("kind", ["tidy", "worker"])
def test_a_child_ends_soon_after_its_parent_is_killed_without_a_parent_death_signal(tmp_path: Path, kind: str) -> None:
    script, pid_file = tmp_path / "s.py", tmp_path / "pid"
    script.write_text(_SCRIPT)
    middle = subprocess.Popen([sys.executable, str(script), str(pid_file), kind])
    try:
        child = _pid_in(pid_file)
        assert _running(child)
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait()
        end = time.monotonic() + 5
        while _running(child) and time.monotonic() < end:
            time.sleep(0.1)
        assert not _running(child)
    finally:
        middle.kill()
        middle.wait()


_RENDERER_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from deck2pdf import procs

    def chatter(progress):
        while True:  # reports faster than anyone reads, until it is ended
            progress(1, 2)

    if __name__ == "__main__":
        child = procs.Child()
        with open(sys.argv[1], "w") as f:
            f.write(str(child.process.pid))
        child.call(chatter, ())
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_renderer_ended_with_its_parent_while_reporting_does_not_stay_blocked(tmp_path: Path) -> None:
    """Its parent killed, the renderer is asked to end (SIGTERM) while the pipe to the parent is full: it must end,
    not block writing an answer nobody will read (it held the parent's end of the pipe open itself)."""
    script, pid_file = tmp_path / "r.py", tmp_path / "pid"
    script.write_text(_RENDERER_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), str(pid_file)])
    try:
        renderer = _pid_in(pid_file)
        time.sleep(0.5)
        os.kill(parent.pid, signal.SIGSTOP)  # the pipe fills: nobody reads it
        time.sleep(0.5)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        end = time.monotonic() + 5
        while _running(renderer) and time.monotonic() < end:
            time.sleep(0.1)
        assert not _running(renderer)
    finally:
        parent.kill()
        parent.wait()
        if pid_file.exists() and pid_file.read_text():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)  # a failed run leaves none behind
