"""Processes end with their parent where the kernel sends no parent-death signal (macOS, Windows)."""

from __future__ import annotations

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
        for _ in range(200):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        child = int(pid_file.read_text())
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
