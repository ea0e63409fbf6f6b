"""deck2pdf side by side with Marp CLI, the tool people would pick instead (`make bench`; issue 29).

The same generated content is written for each tool: a Cleaver deck for deck2pdf, a Marp deck (`marp: true`, `---`
between slides, page numbers on, the author's slide last) for Marp CLI, both with the same text, lists, tables,
code and local image, and both printed on 960 x 540 pt pages. Runs are cold (deck2pdf with `--no-render-cache`;
Marp CLI has no cache), interleaved (deck2pdf, Marp, deck2pdf, Marp, ...) after one warm-up run of each, so that
the machine's drift hits both alike; the table shows medians and deck2pdf's time over Marp's.

Memory is the peak of the whole process tree of each tool (deck2pdf: its command, the conversion's process and
the chunk workers; Marp: Node and every Chromium process): this harness makes itself a child subreaper, so that
no process of the tree escapes by double-forking, and sums the proportional set size (PSS, from
/proc/PID/smaps_rollup) of all its descendants every 0.25 s. PSS, not RSS: pages shared between the processes of a
tree (forked workers, Chromium's zygote children) are counted once, not once per process, so the sum is what the
tree costs the machine. /usr/bin/time's "maximum resident set size" is the largest single process, which misses
both deck2pdf's workers and Chromium's renderer, GPU and utility processes.
Every 0.25 s, not finer: reading smaps_rollup walks a process's page tables under its memory map's lock, some
milliseconds of CPU per reading of a tree; every 50 ms the sampler took a fifth to a third of a core from the tool it
measured (1.5-2.1 s of CPU in a 300-slide run), which a tool keeping both cores busy (deck2pdf) pays in wall time
more than one that does not. The trees' peaks last seconds (workers and renderers grow as they go): read every
0.25 s they were at most 1% lower than read every 50 ms (ARCHITECTURE.md, "Where the time goes").

CPU time is the user and system time of the whole tree: what this process's children used, and their children
(each waits for its own), and the orphans this subreaper waits for (`_reap`). Another load on the machine
disturbs it less than wall time.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
MARP = HERE / "node_modules" / ".bin" / "marp"
SAMPLE_SECONDS = 0.25  # see the module's docstring
PR_SET_CHILD_SUBREAPER = 36  # prctl(2)
TITLE = "Generated benchmark deck"
AUTHOR = "Bench Mark"


def slide_body(n: int) -> str:
    """Slide `n`'s Markdown below its heading: a list, a table, code or text with an image, in turn."""
    kind = n % 4
    if kind == 0:
        return "\n".join(f"* point {k} of slide {n}, with a [link](https://example.org/{n}/{k})" for k in range(5))
    if kind == 1:
        return "| a | b | c |\n|:--|:-:|--:|\n" + "\n".join(f"| {n} | {k} | {n * k} |" for k in range(6))
    if kind == 2:
        return "```python\n" + "\n".join(f"def f{k}(x):\n    return x * {k}  # slide {n}" for k in range(5)) + "\n```"
    return f"Some text for slide {n}.\n\n![chart](chart.png)"


def image(folder: Path) -> None:
    Image.new("RGB", (800, 450), "#4477aa").save(folder / "chart.png")


def cleaver_deck(folder: Path, slides: int) -> Path:
    """The deck for deck2pdf: `slides` slides, then the author's slide Cleaver adds."""
    image(folder)
    parts = [f"title: {TITLE}\nauthor:\n  name: {AUTHOR}\n"]
    parts += [f"--\n### Slide {n}\n{slide_body(n)}\n" for n in range(1, slides + 1)]
    deck = folder / f"deck{slides}.md"
    deck.write_text("".join(parts))
    return deck


def marp_deck(folder: Path, slides: int) -> Path:
    """The same deck for Marp CLI: the same slides and the author's slide, page numbers on (as deck2pdf's)."""
    image(folder)
    parts = [f"---\nmarp: true\ntitle: {TITLE}\nauthor: {AUTHOR}\npaginate: true\n---\n"]
    parts += [f"\n### Slide {n}\n\n{slide_body(n)}\n\n---\n" for n in range(1, slides + 1)]
    parts.append(f"\n# {AUTHOR}\n")
    deck = folder / f"marp{slides}.md"
    deck.write_text("".join(parts))
    return deck


def chromium() -> str:
    """The system's Chromium (`make bench` installs Debian's `chromium` when it is missing)."""
    found = os.environ.get("CHROME_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise SystemExit("bench: no Chromium; `make bench` installs Debian's chromium package")
    return found


def marp_command(deck: Path, out: Path) -> list[str]:
    if not MARP.exists():
        raise SystemExit(f"bench: no {MARP}; `make bench` installs Marp CLI (tests/bench/package.json)")
    # --allow-local-files: the image is a local file. Marp CLI turns Chromium's sandbox off by itself when it runs
    # as root or in a container (CHROME_NO_SANDBOX=1 forces that).
    return [str(MARP), str(deck), "--pdf", "--allow-local-files", "--browser-path", chromium(), "-o", str(out)]


def marp_version() -> str:
    done = subprocess.run([str(MARP), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else "?"


def compile_deck2pdf() -> None:
    """Compile deck2pdf's modules to bytecode beforehand, as an installed deck2pdf's are (pip compiles a wheel's
    modules when it installs it): a checkout run with PYTHONDONTWRITEBYTECODE set (as on the project's machines)
    compiles every module it imports, in every run, at start-up, on the critical path (0.15 s of CPU)."""
    import compileall

    compileall.compile_dir(HERE.parent.parent / "deck2pdf", quiet=1)


# --- memory of a process tree ---


def become_subreaper() -> None:
    """Orphans of our children's trees become our children (not init's), so that sampling keeps seeing them."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the tree is still found through parents
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _parents() -> dict[int, int]:
    out = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            out[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_kb(root: int) -> int:
    """The summed PSS (KB) of every descendant of `root` (not `root` itself)."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        total += _pss_kb(pid)
        todo += children.get(pid, [])
    return total


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float  # the tree's summed PSS at its peak
    cpu: float  # seconds of CPU (user and system) of the whole tree
    pdf_bytes: int


def measure(args: list[str], out: Path, env: dict[str, str] | None = None) -> Run:
    """Run a command to its end; its wall time, the peak memory and the CPU time of its whole process tree."""
    out.unlink(missing_ok=True)
    cpu = _children_cpu()
    me, peak, stop = os.getpid(), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_pss_kb(me))
            stop.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    _reap()
    if process.returncode != 0 or not out.exists():
        raise SystemExit(f"bench: failed: {' '.join(args)}\n{err.decode(errors='replace')[-2000:]}")
    return Run(seconds, peak[0] / 1024, _children_cpu() - cpu, out.stat().st_size)


def _children_cpu() -> float:
    """The CPU seconds of every process this one has waited for, and of the processes they waited for: as the
    subreaper waits for orphans too (`_reap`), a tree's whole CPU once it has ended."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _reap(patience: float = 2.0) -> None:
    """Wait for the orphans the subreaper inherited (Chromium's helpers), so that none is left a zombie and the
    CPU of each is counted (`_children_cpu`): for those still ending, `patience` seconds at most."""
    deadline = time.monotonic() + patience
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # none left
            return
        if pid == 0:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)


# --- the side-by-side table ---


@dataclass(frozen=True)
class Row:
    slides: int
    ours: list[Run]
    peer: list[Run]


def side_by_side(
    folder: Path, sizes: list[int], runs: int, deck2pdf: list[str], warmup: int = 1, done: Callable[[str], None] = print
) -> list[Row]:
    """For each size: `warmup` runs of each tool, then `runs` interleaved runs (deck2pdf, Marp, deck2pdf, ...)."""
    become_subreaper()
    compile_deck2pdf()
    rows = []
    for n in sizes:
        here = folder / f"peer{n}"
        here.mkdir(parents=True, exist_ok=True)
        ours_pdf, peer_pdf = here / "deck2pdf.pdf", here / "marp.pdf"
        ours_cmd = [
            *deck2pdf,
            *(str(cleaver_deck(here, n)), "-o", str(ours_pdf)),
            *("--offline", "--cache-dir", str(here / "cache"), "--no-render-cache", "-q"),
        ]
        peer_cmd = marp_command(marp_deck(here, n), peer_pdf)
        for _ in range(warmup):
            measure(ours_cmd, ours_pdf)
            measure(peer_cmd, peer_pdf)
        ours, peer = [], []
        for _ in range(runs):
            ours.append(measure(ours_cmd, ours_pdf))
            peer.append(measure(peer_cmd, peer_pdf))
        rows.append(Row(n, ours, peer))
        done(f"done: {n} slides, deck2pdf and Marp CLI")
    return rows


def table(rows: list[Row], runs: int) -> list[str]:
    lines = [
        f"deck2pdf and {marp_version()} on the same generated decks:",
        f"median of {runs} interleaved cold run(s) each, after a warm-up run of each;"
        f" memory: the peak of each tool's whole process tree (summed PSS, read every {SAMPLE_SECONDS:g} s);"
        " CPU: user and system time of the whole tree (what another load on the machine disturbs least)",
        "",
        f"{'slides':>6} {'Marp s':>7} {'deck2pdf s':>10} {'ratio':>6}  {'Marp MB':>8} {'deck2pdf MB':>11} {'ratio':>6}"
        f"  {'Marp CPU s':>10} {'deck2pdf CPU s':>14} {'ratio':>6}  {'Marp PDF KB':>11} {'deck2pdf PDF KB':>15}",
    ]
    lines.append("-" * len(lines[-1]))
    for row in rows:
        t_ours = statistics.median(r.seconds for r in row.ours)
        t_peer = statistics.median(r.seconds for r in row.peer)
        m_ours = max(r.peak_mb for r in row.ours)
        m_peer = max(r.peak_mb for r in row.peer)
        c_ours = statistics.median(r.cpu for r in row.ours)
        c_peer = statistics.median(r.cpu for r in row.peer)
        lines.append(
            f"{row.slides:>6} {t_peer:7.2f} {t_ours:10.2f} {t_ours / t_peer:6.2f}  {m_peer:8.0f} {m_ours:11.0f}"
            f" {m_ours / m_peer:6.2f}  {c_peer:10.2f} {c_ours:14.2f} {c_ours / c_peer:6.2f}"
            f"  {row.peer[-1].pdf_bytes // 1024:11d} {row.ours[-1].pdf_bytes // 1024:15d}"
        )
    lines.append(
        "ratio: deck2pdf over Marp CLI (below 1: deck2pdf is faster, or smaller); MB: the largest of the runs;"
        " CPU: medians"
    )
    return lines
