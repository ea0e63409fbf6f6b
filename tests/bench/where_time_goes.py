"""Where deck2pdf's time goes, per slide (issue 29, item 2): ARCHITECTURE.md "Where the time goes".

    python tests/bench/where_time_goes.py [--slides 300] [--top 15]

On a generated deck (the one `make bench` uses, tests/bench/peer.py):
1. the stages of plain runs from `-v` (`-j 1` and all cores, cold: `--no-render-cache`), and the process's start-up
   and exit (wall time minus the stages' "in all");
2. cProfile of the conversion's process and of the rendering process it starts (both `procs.Child`; a `-j 1` run
   renders every chunk in the latter): this harness, not deck2pdf, wraps `deck2pdf.procs._serve` in a profiler
   before the command starts them (one profile each, merged; the time one waits for the other is left out), and
   the profile is split by what the code does (cascade, layout, text shaping, drawing, PDF writing, fitting...):
   each function's own time goes to its module's group, and a C function's to the groups of its callers.
cProfile's cost per Python call inflates the Python-heavy groups (cascade, layout) more than those in C (Pango,
HarfBuzz, zlib): the shares are a map, not a stopwatch; the `-v` figures are the unprofiled ones.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from tests.bench import peer  # noqa: E402

CASCADE = "cascade (style sheets, selectors, computed styles)"
PDF = "PDF writing (fonts, images, streams)"
DECK = "reading the deck, making its HTML (deck2pdf)"
WAITING = "waiting for the deck, sending the PDF"
# (test on the function's file or name, group); the first that matches wins.
GROUPS: list[tuple[str, str]] = [
    ("importlib", "start-up (imports)"),
    ("<frozen", "start-up (imports)"),
    ("/multiprocessing/", WAITING),
    ("deck2pdf/rendering/fitting", "fitting"),
    ("/tinyhtml5/", "HTML parse (WeasyPrint)"),
    ("weasyprint/html.py", "HTML parse (WeasyPrint)"),
    ("/weasyprint/css/", CASCADE),
    ("/tinycss2/", CASCADE),
    ("/cssselect2/", CASCADE),
    ("/webencodings/", CASCADE),
    ("/weasyprint/formatting_structure/", "box tree"),
    ("/weasyprint/text/", "text shaping (Pango, HarfBuzz)"),
    ("/weasyprint/layout/", "layout"),
    ("/weasyprint/draw", "drawing"),
    ("/weasyprint/stacking", "drawing"),
    ("/weasyprint/matrix", "drawing"),
    ("/weasyprint/images", "drawing"),
    ("/weasyprint/svg/", "drawing"),
    ("/PIL/", PDF),
    ("/weasyprint/pdf/", PDF),
    ("/pydyf", PDF),
    ("/fontTools/", PDF),
    ("zlib.", PDF),
    ("/pikepdf/", "join"),
    ("deck2pdf/rendering/join", "join"),
    ("gc.collect", "garbage collection (once per chunk)"),
    ("/weasyprint/", "WeasyPrint, other (document, pages)"),
    ("/markdown/", DECK),
    ("/pygments/", DECK),
    ("/yaml/", DECK),
    ("/html/parser.py", DECK),
    ("_markupbase", DECK),
    *((f"deck2pdf/{name}.py", DECK) for name in ("parse", "marked", "markup", "layout", "assets", "images", "themes")),
    ("/deck2pdf/", "deck2pdf, other"),
]
# deck2pdf's patches of WeasyPrint (rendering/patches.py): the group of what each replaces
PATCHED = {
    "__init__": CASCADE,  # computed styles, once per distinct style
    "__call__": CASCADE,
    "__missing__": CASCADE,
    "image": CASCADE,
    "find_stylesheets": CASCADE,
    "used": "layout",
    "resolve_percentages": "layout",
    "make_margin_boxes": "layout",
    "set_viewport_overflow": "layout",
    "get_png_data": PDF,
    "clean": PDF,
}
# deck2pdf's checks of whether each slide fits (run on every slide, fitting or not)
MEASURING = {"measure", "visit", "_block", "_content_box", "_walk", "_classes", "fits", "overflowing"}
# Helpers (the standard library's and cffi's): their time goes to the groups of their callers, like C functions'
PASSING = (
    "/cffi/",
    "/functools.py",
    "/contextlib.py",
    "/re/",
    "/dataclasses.py",
    "/enum.py",
    "/copy.py",
    "/typing.py",
    "/abc.py",
    "/collections/",
    "/weakref.py",
    "/pathlib.py",
    "/posixpath.py",
    "/genericpath.py",
    "/os.py",
    "/logging/",
    "/threading.py",
    "/tempfile.py",
    "/shutil.py",
    "/hashlib.py",
    "/io.py",
)


def group(func: tuple[str, int, str]) -> str:
    filename, _, name = func
    if name == "<module>":
        return "start-up (imports)"
    if filename.endswith("deck2pdf/rendering/pages.py") and name in MEASURING:
        return "fitting"
    if filename.endswith("deck2pdf/rendering/patches.py") and name in PATCHED:
        return PATCHED[name]
    if filename == "~" and "select.poll" in name:  # a process waiting for another (the renderer, a worker)
        return WAITING
    if filename == "~" and not any(test in name for test in ("gc.collect", "zlib.")):
        return "?"  # a C function: its callers'
    if any(test in filename for test in PASSING):
        return "?"
    text = filename if filename != "~" else name
    return next((g for test, g in GROUPS if test in text), "other")


def split(stats: pstats.Stats) -> dict[str, float]:
    """Seconds per group: each Python function's own time to its group; the time of a C function or a helper (a
    group "?") to its callers' groups, in proportion to what each call edge took, up through helpers."""
    table = stats.stats  # type: ignore[attr-defined]
    shares: dict[tuple[str, int, str], dict[str, float]] = {}

    def share(func: tuple[str, int, str], seen: frozenset[tuple[str, int, str]]) -> dict[str, float]:
        """How a helper's time divides between groups (memoized; a cycle through helpers counts as "other")."""
        mine = group(func)
        if mine != "?":
            return {mine: 1.0}
        if func in shares:
            return shares[func]
        callers = table[func][4] if func in table else {}
        weights = {caller: edge[3] or edge[2] for caller, edge in callers.items() if caller not in seen}
        total = sum(weights.values())
        if not total:
            return {"other": 1.0}
        out: dict[str, float] = defaultdict(float)
        for caller, weight in weights.items():
            for name, fraction in share(caller, seen | {func}).items():
                out[name] += fraction * weight / total
        shares[func] = dict(out)
        return shares[func]

    out: dict[str, float] = defaultdict(float)
    for func, (_, _, own, _, _) in table.items():
        for name, fraction in share(func, frozenset()).items():
            out[name] += own * fraction
    return dict(out)


def install_profiler(path: str) -> None:
    """Profile the conversion's processes: wrap `procs._serve` (the function they run) before they are started."""
    from deck2pdf import procs

    serve = procs._serve

    def profiled(*args: object) -> None:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            serve(*args)  # type: ignore[arg-type]
        finally:
            profiler.disable()
            profiler.dump_stats(f"{path}.{os.getpid()}")  # one file a process: the conversion's and the renderer's

    procs._serve = profiled  # type: ignore[assignment]


def stages(command: list[str]) -> tuple[float, dict[str, float], float]:
    """Wall time, {stage: seconds} and the last "in all" of a `-v` run."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    found: dict[str, float] = {}
    last = 0.0
    for m in re.finditer(r"deck2pdf: (\w+) .*?\(([\d.]+) s, ([\d.]+) s in all\)", done.stderr):
        found[m.group(1)] = found.get(m.group(1), 0.0) + float(m.group(2))
        last = max(last, float(m.group(3)))
    return wall, found, last


def main() -> None:
    if sys.argv[1:2] == ["--child"]:  # the profiled command itself: --child PROFILE DECK2PDF-ARGUMENTS...
        install_profiler(sys.argv[2])
        sys.argv = ["deck2pdf", *sys.argv[3:]]
        from deck2pdf.launch import run

        run()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=300)
    parser.add_argument("--top", type=int, default=15, help="functions to list by their own time")
    args = parser.parse_args()
    peer.compile_deck2pdf()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        deck = peer.cleaver_deck(folder, args.slides)
        common = [str(deck), "-o", str(folder / "out.pdf"), "--offline", "--cache-dir", str(folder / "cache")]
        common += ["--no-render-cache"]
        slides = args.slides + 1  # and the author's slide
        print(f"{slides} slides (tests/bench/peer.py's deck), cold; {os.cpu_count()} cores\n")
        for jobs in ("1", str(os.cpu_count() or 1)):
            wall, found, in_all = stages([sys.executable, "-m", "deck2pdf", *common, "-v", "-j", jobs])
            parts = ", ".join(f"{k} {v:.2f} s" for k, v in found.items() if k != "made")
            print(
                f"-j {jobs}: {wall:.2f} s wall = start-up and exit {wall - in_all:.2f} s + {parts}"
                f" (render {found.get('rendered', 0) / slides * 1000:.0f} ms per slide)"
            )
        profile = folder / "child.prof"
        command = [sys.executable, __file__, "--child", str(profile), *common, "-q", "-j", "1"]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        wall = time.perf_counter() - start
        stats = pstats.Stats(*map(str, sorted(folder.glob("child.prof.*"))))
        groups = split(stats)
        waiting = groups.pop(WAITING, 0.0)  # the time one process waits for the other works: counted once
        total = sum(groups.values())
        print(
            f"\ncProfile of the conversion's and the rendering processes, -j 1 ({wall:.1f} s wall under the"
            f" profiler; {waiting:.1f} s of waiting for each other left out):\n"
        )
        print(f"{'':52} {'s':>7} {'share':>6} {'ms/slide':>9}")
        for name, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
            print(f"{name:52} {seconds:7.2f} {seconds / total * 100:5.1f}% {seconds / slides * 1000:9.1f}")
        print(f"{'total':52} {total:7.2f} {100:5.1f}% {total / slides * 1000:9.1f}")
        if args.top:
            print(f"\nthe {args.top} functions with the most time of their own:")
            stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
