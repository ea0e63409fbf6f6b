"""`make bench`: time deck2pdf on the reference deck and on generated 300- and 1,000-slide decks.

For each deck: median wall time of several runs of the real command (imports included), peak RSS, PDF size;
the same for 6-up handouts, with the imposition's own time (from -v); and WeasyPrint alone on the same HTML,
so deck2pdf's overhead shows as a ratio. Timings are printed, never asserted: machines are noisy.
Usage: python tests/benchmark.py [--runs N] [--sizes 300,1000]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TIME = "/usr/bin/time"


def generated_deck(folder: Path, slides: int) -> Path:
    """A deck of `slides` slides mixing text, lists, tables, code and local images."""
    Image.new("RGB", (800, 450), "#4477aa").save(folder / "chart.png")
    parts = ["title: Generated benchmark deck\nauthor:\n  name: Bench Mark\n"]
    for n in range(1, slides + 1):
        kind = n % 4
        if kind == 0:
            body = "\n".join(f"* point {k} of slide {n}, with a [link](https://example.org/{n}/{k})" for k in range(5))
        elif kind == 1:
            body = "| a | b | c |\n|:--|:-:|--:|\n" + "\n".join(f"| {n} | {k} | {n * k} |" for k in range(6))
        elif kind == 2:
            body = (
                "```python\n" + "\n".join(f"def f{k}(x):\n    return x * {k}  # slide {n}" for k in range(5)) + "\n```"
            )
        else:
            body = f"Some text for slide {n}.\n\n![chart](chart.png)"
        parts.append(f"--\n### Slide {n}\n{body}\n")
    deck = folder / f"deck{slides}.md"
    deck.write_text("".join(parts))
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
    sys.path.insert(0, str(ROOT))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="300,1000")
    args = parser.parse_args()
    deck2pdf = [sys.executable, "-m", "deck2pdf"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        decks = [("reference (59)", SHARED / "decks" / "docker-talk.md")]
        decks += [(f"generated ({n})", generated_deck(folder, int(n))) for n in args.sizes.split(",") if n]
        for name, deck in decks:
            common = ["--offline", "--cache-dir", str(folder / "cache"), "-v"]
            out = folder / "out.pdf"
            wall, rss, _ = median_of(args.runs, [*deck2pdf, str(deck), "-o", str(out), *common])
            size = out.stat().st_size
            h_wall, _, h_err = median_of(args.runs, [*deck2pdf, str(deck), "-o", str(out), "--handout", "6", *common])
            impose = re.search(r"imposed \d+ slides on \d+ sheets \(([\d.]+) s", h_err)
            alone, _, _ = median_of(args.runs, weasyprint_alone(deck, folder / "alone.pdf"))
            rows.append((name, wall, rss, size, h_wall, float(impose.group(1)) if impose else float("nan"), alone))
            print(f"done: {name}", file=sys.stderr)
    print(f"\nmedian of {args.runs} runs each, wall time including imports; peak RSS of the slowest\n")
    header = f"{'deck':16} {'slides s':>9} {'RSS MB':>7} {'PDF KB':>8} {'6-up s':>7} {'impose s':>9} {'WeasyPrint s':>13} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for name, wall, rss, size, h_wall, impose_s, alone in rows:
        print(
            f"{name:16} {wall:9.2f} {rss:7d} {size // 1024:8d} {h_wall:7.2f} {impose_s:9.2f} {alone:13.2f} {wall / alone:6.2f}"
        )
    print("\nratio: deck2pdf's time over WeasyPrint alone rendering the same HTML (fitting and checks are the rest).")


if __name__ == "__main__":
    main()
