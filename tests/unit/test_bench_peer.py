"""The side-by-side bench (`make bench`, tests/bench/peer.py) measures a tool's whole process tree."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A command that leaves a grandchild behind (an orphan, as Chromium's helpers may be) and ends at once; the
# grandchild holds 60 MB, lets go of the command's output (the harness stops its clock), burns 0.6 s of CPU, then
# writes the output file.
_TREE = textwrap.dedent(
    """
    import os, sys, time
    if os.fork() == 0:
        held = bytearray(60 * 2**20)
        for i in range(0, len(held), 4096):
            held[i] = 1
        time.sleep(0.6)  # (read by the sampler, every 0.25 s)
        os.close(1)
        os.close(2)
        end = time.process_time() + 0.6
        while time.process_time() < end:
            pass
        open(sys.argv[1], "w").write("done")
    """
)

# The harness, in a process of its own: it makes itself a subreaper, which this test process must not become.
_HARNESS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from tests.bench import peer
    peer.become_subreaper()
    out = Path(sys.argv[1])
    run = peer.measure([sys.executable, "-c", sys.argv[2], str(out)], out)
    print(json.dumps({"cpu": run.cpu, "peak_mb": run.peak_mb}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_counts_the_cpu_and_memory_of_an_orphaned_grandchild(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _HARNESS, str(tmp_path / "out.txt"), _TREE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    run = json.loads(done.stdout)
    assert run["cpu"] >= 0.6
    assert run["peak_mb"] >= 60
