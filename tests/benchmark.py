"""`make bench`: time deck2pdf against Marp CLI, and on its own, on the reference deck and generated decks.

First, side by side with the tool people would pick instead: deck2pdf and Marp CLI on the same generated decks
(60, 300 and 1,000 slides), cold, interleaved, medians, the ratio, the peak memory of each tool's whole process
tree and the PDF's size (tests/bench/peer.py).
For each deck: median wall time of several runs of the real command (imports included), peak RSS, PDF size;
the same for 6-up handouts, with the imposition's own time (from -v); and WeasyPrint alone on the same HTML,
so deck2pdf's overhead shows as a ratio. Timings are printed, never asserted: machines are noisy.
Usage: python tests/benchmark.py [--runs N] [--sizes 60,300,1000] [--peer-only | --no-peer]
A quick check: python tests/benchmark.py --sizes 60 --runs 1 --peer-only
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bench import peer  # noqa: E402

SHARED = ROOT.parent / "shared"
TIME = "/usr/bin/time"


def generated_deck(folder: Path, slides: int) -> Path:
    """A deck of `slides` slides mixing text, lists, tables, code and local images (the one Marp CLI gets too)."""
    return peer.cleaver_deck(folder, slides)


def listing_deck(folder: Path, lines: int) -> Path:
    """A deck of one slide holding a fenced code listing of `lines` lines (continued over many pages)."""
    code = "\n".join(f"    value_{i} = compute(value_{i - 1}, {i}) + offset  # step {i}" for i in range(lines))
    deck = folder / f"listing{lines}.md"
    deck.write_text(f"title: Listing\n--\n\n# Listing\n\n```python\n{code}\n```\n")
    return deck


def run(args: list[str]) -> tuple[float, int, str]:
    """Run a command under /usr/bin/time; return wall seconds, peak RSS (MB) and its stderr."""
    done = subprocess.run([TIME, "-f", "@@ %e %M", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr[-2000:]}")
    m = re.search(r"@@ ([\d.]+) (\d+)\s*$", done.stderr)
    assert m, done.stderr
    return float(m.group(1)), int(m.group(2)) // 1024, done.stderr


def weasyprint_alone(deck: Path, out: Path) -> list[str]:
    """A command that renders deck2pdf's HTML for `deck` with WeasyPrint alone (no fitting, no checks)."""
    from deck2pdf.assets import resolve_assets
    from deck2pdf.layout import lay_out
    from deck2pdf.options import Options
    from deck2pdf.parse import parse_deck
    from deck2pdf.themes import load_theme

    parsed = parse_deck(deck)
    options, _ = Options.resolve(parsed.meta, {"offline": True, "cache_dir": out.parent / "cache"}, deck)
    parsed, _, _ = resolve_assets(parsed, options)
    theme, _ = load_theme(options.theme, options.theme_source)
    layout = lay_out(parsed, theme, options)
    html = out.with_suffix(".html")
    html.write_text(layout.html)
    code = f"import weasyprint; weasyprint.HTML(filename={str(html)!r}, base_url={layout.base_url!r}).write_pdf({str(out)!r})"
    return [sys.executable, "-c", code]


def median_of(runs: int, args: list[str]) -> tuple[float, int, str]:
    results = [run(args) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results), results[-1][2]


def stage_seconds(stderr: str) -> dict[str, float]:
    """Stage times from -v: {"parsed": s, "resolved": s, "rendered": s, "joined": s, "imposed": s, "wrote": s}."""
    out = {}
    for m in re.finditer(r"deck2pdf: (\w+) .*?\(([\d.]+) s, [\d.]+ s in all\)", stderr):
        out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(2))
    return out


def edit_rerender(deck: Path, runs: int, common: list[str], out: Path) -> tuple[float, str]:
    """Median wall time of rendering again after editing one slide (a different edit each run), and the log."""
    deck2pdf = [sys.executable, "-m", "deck2pdf"]
    run([*deck2pdf, str(deck), "-o", str(out), *common])  # fill the render cache
    text = deck.read_text()
    times, log = [], ""
    for k in range(runs):
        deck.write_text(text.replace("### Slide 150\n", f"### Slide 150 (edit {k})\n", 1))
        wall, _, log = run([*deck2pdf, str(deck), "-o", str(out), *common])
        times.append(wall)
    deck.write_text(text)
    return statistics.median(times), log


def watch_rerender(deck: Path, runs: int, common: list[str], out: Path) -> float:
    """Median time --watch reports for a render after editing one slide (the process stays warm)."""
    import subprocess as sp
    import time

    text = deck.read_text()
    process = sp.Popen(
        [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(out), "--watch", *common], stderr=sp.PIPE, text=True
    )
    times = []
    try:
        assert process.stderr is not None
        for k in range(runs + 1):
            for line in process.stderr:
                if "watching" in line:
                    break
            if k == runs:
                break
            time.sleep(0.3)
            deck.write_text(text.replace("### Slide 150\n", f"### Slide 150 (watch {k})\n", 1))
            for line in process.stderr:
                m = re.search(r"rendered .* in ([\d.]+) s", line)
                if m:
                    times.append(float(m.group(1)))
                    break
    finally:
        process.terminate()
        process.wait()
        deck.write_text(text)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command (medians)")
    parser.add_argument("--sizes", default="60,300,1000", help="slides of the generated decks, comma-separated")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--peer-only", action="store_true", help="only deck2pdf side by side with Marp CLI")
    which.add_argument("--no-peer", action="store_true", help="only deck2pdf's own figures (no Marp CLI)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",") if n]
    deck2pdf = [sys.executable, "-m", "deck2pdf"]
    rows = []
    extra = []
    peer.compile_deck2pdf()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_peer:
            compared = peer.side_by_side(
                folder, sizes, args.runs, deck2pdf, done=lambda line: print(line, file=sys.stderr)
            )
            print("\n" + "\n".join(peer.table(compared, args.runs)), flush=True)
            if args.peer_only:
                return
        decks = [("reference (59)", SHARED / "decks" / "docker-talk.md")]
        decks += [(f"generated ({n})", generated_deck(folder, n)) for n in sizes]
        for name, deck in decks:
            # --no-render-cache: every run renders everything (the re-render cache is measured below)
            common = ["--offline", "--cache-dir", str(folder / "cache"), "--no-render-cache", "-v"]
            out = folder / "out.pdf"
            wall, rss, err = median_of(args.runs, [*deck2pdf, str(deck), "-o", str(out), *common])
            stages = stage_seconds(err)
            own = sum(stages.get(k, 0.0) for k in ("parsed", "resolved", "joined", "wrote"))
            size = out.stat().st_size
            h_wall, _, h_err = median_of(args.runs, [*deck2pdf, str(deck), "-o", str(out), "--handout", "6", *common])
            impose = re.search(r"imposed \d+ slides on \d+ sheets \(([\d.]+) s", h_err)
            alone, _, _ = median_of(args.runs, weasyprint_alone(deck, folder / "alone.pdf"))
            rows.append(
                (name, wall, rss, size, own / wall, h_wall, float(impose.group(1)) if impose else float("nan"), alone)
            )
            print(f"done: {name}", file=sys.stderr)
        big = next((deck for name, deck in decks if name == "generated (300)"), None)
        if big is not None:
            cached = ["--offline", "--cache-dir", str(folder / "cache"), "-v"]
            edit, log = edit_rerender(big, args.runs, cached, folder / "edit.pdf")
            chunks = re.search(r"(\d+ chunk\(s\): \d+ rendered, \d+ from the render cache)", log)
            extra.append(
                f"300 slides, one slide edited, again (command line): {edit:.2f} s ({chunks.group(1) if chunks else '?'})"
            )
            warm = watch_rerender(big, args.runs, cached, folder / "watch.pdf")
            extra.append(f"300 slides, one slide edited, --watch (warm process): {warm:.2f} s")
        real = sorted((SHARED / "decks" / "real").glob("*.md"))
        real = [d for d in real if d.name != "MANIFEST.md"]
        if real:
            batch = [*deck2pdf, *map(str, real), "-d", str(folder / "batch"), "--offline", "-q"]
            cold, _, _ = run([*batch, "--cache-dir", str(folder / "batch-cache"), "-j", "2"])
            warm_b, _, _ = run([*batch, "--cache-dir", str(folder / "batch-cache"), "-j", "2"])
            one, _, _ = run([*batch, "--cache-dir", str(folder / "batch-cache-1"), "-j", "1"])
            extra.append(
                f"batch of {len(real)} real decks: -j 2 {cold:.1f} s ({len(real) / cold * 60:.0f} decks/min), "
                f"-j 1 {one:.1f} s ({len(real) / one * 60:.0f} decks/min), "
                f"-j 2 again with the render cache {warm_b:.1f} s ({len(real) / warm_b * 60:.0f} decks/min)"
            )
        # A slide continued over many pages costs what its length does (it is laid out once).
        listing = [*deck2pdf, str(listing_deck(folder, 1500)), "-o", str(folder / "listing.pdf"), "--no-render-cache"]
        wall, rss, err = median_of(1, [*listing, "-v"])
        pages = re.search(r"\((\d+) pages\)", err)
        extra.append(
            f"one slide of a 1,500-line code listing: {wall:.2f} s, {rss} MB ({pages.group(1) if pages else '?'} pages)"
        )
        version, _, _ = median_of(args.runs, [*deck2pdf, "--version"])
        inspect, _, _ = median_of(args.runs, [*deck2pdf, str(decks[0][1]), "--inspect"])
        extra.append(f"--version {version:.2f} s, --inspect (reference deck) {inspect:.2f} s")
    print(f"\nmedian of {args.runs} runs each, wall time including imports; peak RSS of the slowest\n")
    header = (
        f"{'deck':16} {'slides s':>9} {'RSS MB':>7} {'PDF KB':>8} {'own %':>6} {'6-up s':>7} {'impose s':>9}"
        f" {'WeasyPrint s':>13} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, wall, rss, size, own, h_wall, impose_s, alone in rows:
        print(
            f"{name:16} {wall:9.2f} {rss:7d} {size // 1024:8d} {own * 100:6.1f} {h_wall:7.2f} {impose_s:9.2f}"
            f" {alone:13.2f} {wall / alone:6.2f}"
        )
    print()
    for line in extra:
        print(line)
    print(
        "\nown %: deck2pdf's own stages (parse, images, join, write; from -v) as a share of the wall time."
        "\nWeasyPrint s: WeasyPrint alone, one process, rendering deck2pdf's HTML of the deck (no fitting)."
        "\nratio: deck2pdf's time over WeasyPrint alone (below 1: the chunks on all cores win)."
    )


if __name__ == "__main__":
    main()
