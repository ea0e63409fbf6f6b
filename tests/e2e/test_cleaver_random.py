"""Random decks of block-level Markdown (nested quotes, lists in quotes in lists, setext headings, reference
definitions, tables beside paragraphs, raw HTML blocks, code) read as the real Cleaver 0.8.7 reads them: the same
visible text, inline structure, block structure and code (byte for byte) on every slide.

`make test` reads a small sample; `make fuzz` reads 2,000 decks (CLEAVER_RANDOM_DECKS sets the number). Each deck
is made from its seed, so a difference names the seed that shows it again.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from ..helpers import visible_text
from .test_cleaver_conformance import block_structure, code_text, compare, inline_structure

pytestmark = pytest.mark.slow  # it runs node, and needs `make test`'s npm ci
DECKS = int(os.environ.get("CLEAVER_RANDOM_DECKS", "40"))
BATCH = 250  # decks per run of Cleaver

# Lines of text with inline markup, character references with and without their semicolon, and link references.
_TEXT = [
    "plain words", "more text here", "*em* and **strong**", "`code` span", "&#58x; &copy &amp; &lt;b&gt; &notit;",
    "a [ref] link", "[x][r] and [y][]", "http://x.org/a. and www.y.org", "a_b_c __init__", "<b>bold</b> tag",
    "<span>open span", "\\* not a bullet", "~~gone~~", "line with trailing  ", "Ünïcödé 中文 words", "[5]: foo",
    "x | y", "a\u3000b", "end &#x41", "1986. a year",
]  # fmt: skip
# Whole blocks, some of several lines.
_BLOCKS = [
    "# Heading", "### Third ###", "## **Bold** [Foo] & `x`", "Title\n===", "Sub\n ---", "Setext\n==", "***", "- - -",
    "___", "    indented code  ", "```\nfenced  \n  kept   \n```", "```js\nlet a = 1;  \n```", "~~~\ntilde\n~~~",
    "[r]: http://e.org/r", '[ref]: http://e.org/ref "Title"', "  [y]: <http://e.org/y>", "[x]: http://a\u3000b",
    "| a | b |\n|:--|--:|\n| 1 | 2 |", "a | b\n -- | --\n1 | 2", "| h |\n|---|\n| c |\n| d |",
    "<div>\n*md* inside\n</div>", "<div>closed</div>", "<!-- comment -->", "<hr/>", "<pre>\n*kept*  \n</pre>",
    "<center>x<center>", "<h1>raw</h1>", "<section>", "</section>", "<div class=\"a\"\nid=b>",
]  # fmt: skip
_LIST_MARKS = ["* ", "- ", "+ ", "1. ", "3. ", "* * "]
_QUOTE_MARKS = ["> ", ">", ">> ", "> > ", ">>> "]


def _block(rng: random.Random, depth: int = 0) -> str:
    """One block: text lines, a whole block, or a list or quote holding more blocks (which may be lazy)."""
    kind = rng.random()
    if depth < 3 and kind < 0.22:
        return _nested(rng, depth, rng.choice(_LIST_MARKS), lambda mark: " " * rng.choice([0, 1, 2, 3, 4]))
    if depth < 3 and kind < 0.4:
        return _nested(rng, depth, rng.choice(_QUOTE_MARKS), lambda mark: rng.choice([mark, mark, "", ">"]))
    if kind < 0.7:
        return "\n".join(rng.choice(_TEXT) for _ in range(rng.randint(1, 3)))
    return rng.choice(_BLOCKS)


def _nested(rng: random.Random, depth: int, mark: str, continuation: Callable[[str], str]) -> str:
    """Blocks under a list bullet or quote marker: the first line takes the mark, the others what `continuation`
    gives (the same marker, indentation, or nothing: a lazy line)."""
    lines = _join(rng, [_block(rng, depth + 1) for _ in range(rng.randint(1, 3))]).split("\n")
    out = [mark + lines[0]]
    for line in lines[1:]:
        out.append(continuation(mark) + line if line else line)
    items = rng.randint(1, 3) if mark not in _QUOTE_MARKS else 1
    more = [mark + rng.choice(_TEXT) for _ in range(items - 1)]
    return "\n".join(out + more)


def _join(rng: random.Random, blocks: list[str]) -> str:
    return "".join(b + rng.choice(["\n", "\n", "\n\n", "\n\n\n"]) for b in blocks).rstrip("\n")


# Characters dropped into some lines: markers, tabs, no-break spaces and U+2424 (marked turns them into spaces and a
# newline), JavaScript's other white space and line separators. Never `#` (`#Title` is deliberately a heading) nor
# `@` (e-mail autolinks are deliberately written plainly).
_NOISE = [
    "\t", "\u00a0", "\u2028", "\u2424", "\u3000", "<", ">", "*", "_", "`", "|", " ", "  ", "-", "=", "[", "]", "&",
    ";", "\\", "1. ",
]  # fmt: skip


def _noisy(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if rng.random() < 0.15 and "#" not in line:  # next to a `#`, noise could make a `#Title`
            at = rng.randint(0, len(line))
            lines[i] = line[:at] + rng.choice(_NOISE) + line[at:]
    return "\n".join(lines)


def random_deck(seed: int) -> str:
    """A deck of 1-4 slides of random blocks; the same seed gives the same deck."""
    rng = random.Random(seed)
    slides = [
        _noisy(rng, _join(rng, [_block(rng) for _ in range(rng.randint(1, 6))])) for _ in range(rng.randint(1, 4))
    ]
    # A line starting with `--` would cut the slide (both readers agree on that, but it wastes the slide).
    return "".join(
        "--\n" + "\n".join(" " + ln if ln.startswith("--") else ln for ln in s.split("\n")) + "\n" for s in slides
    )


def test_random_block_level_decks_show_what_cleaver_shows(tmp_path: Path) -> None:
    decks = []
    for seed in range(DECKS):
        path = tmp_path / f"seed-{seed}.md"
        path.write_text(random_deck(seed), encoding="utf-8")
        decks.append(path)
    equal = total = 0
    differences: list[str] = []
    for start in range(0, len(decks), BATCH):
        e, t, d = compare(decks[start : start + BATCH], visible_text, inline_structure, block_structure, code_text)
        equal, total, differences = equal + e, total + t, differences + d
    print(f"\nrandom block-level decks: {len(decks)} decks, {equal}/{total} slides equal")
    assert equal == total, "\n".join(differences[:30])
