"""Every slide shows what the real Cleaver 0.8.7 shows (tests/oracle runs it), with the same inline structure.

Visible text follows CLEAVER-FORMAT.md section 7; the inline structure is each strong, em, code, link, del, line
break and image, with its target and its text. One difference is deliberate and applied to Cleaver's side
before comparing: `#Title` with no space is a heading in deck2pdf (as in the Cleaver most decks were written
for), where Cleaver 0.8.7 prints the hashes; so leading hashes of Cleaver's paragraph lines are dropped.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from deck2pdf import marked
from deck2pdf.parse import parse_deck

from ..conftest import REAL_DECKS, REFERENCE_DECK, ROOT
from ..helpers import visible_text

ORACLE = ROOT / "tests" / "oracle"
EDGE_CASES = ROOT / "tests" / "decks" / "inline-edge-cases.md"
BLOCK_EDGE_CASES = ROOT / "tests" / "decks" / "block-edge-cases.md"
pytestmark = pytest.mark.slow  # it runs node, and needs `make test`'s npm ci


def cleaver_slides(decks: list[Path]) -> dict[Path, list[dict[str, str]]]:
    """Run the real Cleaver on the decks; return each deck's slides (classes and HTML)."""
    if not (ORACLE / "node_modules" / "cleaver").is_dir():
        pytest.fail("the Cleaver oracle is not installed: run `make test` (it runs npm ci in tests/oracle)")
    out = subprocess.run(
        ["node", str(ORACLE / "cleaver-oracle.js"), *map(str, decks)], capture_output=True, check=True, text=True
    ).stdout
    result = {}
    for deck in json.loads(out):
        assert "error" not in deck, f"Cleaver failed on {deck['file']}: {deck.get('error')}"
        result[Path(deck["file"])] = deck["slides"]
    return result


def as_deck2pdf_means(cleaver_html: str) -> str:
    """Cleaver's HTML with the deliberate difference applied: `#Title` on a paragraph line is a heading."""
    return re.sub(r"(<p>|\n)#{1,6}(?=[^#\s])", r"\1", cleaver_html)


class _Inline(HTMLParser):
    """The inline elements of a slide in document order: (tag, href or src, text inside)."""

    TAGS = ("strong", "em", "code", "a", "del", "br", "img")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[list[str]] = []
        self.open: list[tuple[str, list[str]]] = []  # each open element of TAGS, and its entry in found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.TAGS:
            return
        attr = dict(attrs)
        entry = [tag, attr.get("href") or attr.get("src") or "", attr.get("alt") or ""]
        self.found.append(entry)
        if tag not in ("br", "img"):
            self.open.append((tag, entry))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i]
                break

    def handle_data(self, data: str) -> None:
        for _, entry in self.open:
            entry[2] += data


def inline_structure(html: str) -> list[tuple[str, ...]]:
    """Each strong, em, code, link, del, line break and image of the HTML: its tag, its target, its text."""
    parser = _Inline()
    parser.feed(html)
    parser.close()
    return [(tag, target, re.sub(r"\s+", " ", text).strip()) for tag, target, text in parser.found]


class _Blocks(HTMLParser):
    """Every tag of a slide but the inline ones, in document order, with its attributes; inside `<pre>`, nothing
    (the highlighters differ: Pygments' classes against highlight.js's, a deliberate difference)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.in_pre:
            self.in_pre += tag == "pre"
        elif tag not in _Inline.TAGS:
            self.in_pre = int(tag == "pre")
            self.found.append(f"<{tag}{''.join(f' {k}={v!r}' for k, v in sorted(attrs, key=str))}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "pre":
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.in_pre:
            self.in_pre -= tag == "pre"
            if self.in_pre:
                return
        elif tag in _Inline.TAGS:
            return
        self.found.append(f"</{tag}>")


def block_structure(html: str) -> list[str]:
    """The block tags of the HTML in order (headings with their ids, lists with their start, cells with their
    alignment, raw HTML tags as written), without whitespace: what a reader sees as the slide's structure."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.found


class _Code(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.in_pre += 1
            if self.in_pre == 1:
                self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self.in_pre:
            self.in_pre -= 1

    def handle_data(self, data: str) -> None:
        if self.in_pre:
            self.blocks[-1] += data


def code_text(html: str) -> list[str]:
    """The text of each `<pre>` of the HTML, byte for byte (trailing spaces and newlines included)."""
    parser = _Code()
    parser.feed(html)
    parser.close()
    return parser.blocks


def compare(decks: list[Path], *readings: Callable[[str], object]) -> tuple[int, int, list[str]]:
    """Return (slides equal, slides in all, a description of each difference); a slide is equal when each reading
    of its HTML (visible text, inline structure) is the same for deck2pdf's and for Cleaver's."""
    equal = total = 0
    differences = []
    for path, cleaver in cleaver_slides(decks).items():
        ours = parse_deck(path).slides
        assert len(ours) == len(cleaver), f"{path.name}: {len(ours)} slides, Cleaver has {len(cleaver)}"
        for slide, theirs in zip(ours, cleaver, strict=True):
            total += 1
            assert " ".join(slide.classes) == " ".join(theirs["classes"].split()), f"{path.name} slide {slide.number}"
            want_html = as_deck2pdf_means(theirs["html"])
            unequal = [(read(slide.html), read(want_html)) for read in readings]
            unequal = [(mine, want) for mine, want in unequal if mine != want]
            if not unequal:
                equal += 1
            for mine, want in unequal:
                differences.append(
                    f"{path.name} slide {slide.number}:\n  ours:    {str(mine)[:400]}\n  Cleaver: {str(want)[:400]}"
                )
    return equal, total, differences


@pytest.mark.needs_shared
def test_every_slide_of_the_reference_deck_shows_what_cleaver_shows() -> None:
    equal, total, differences = compare([REFERENCE_DECK], visible_text, inline_structure)
    assert total == 59
    assert equal == total, "\n".join(differences)


@pytest.mark.needs_shared
def test_every_slide_of_the_real_decks_shows_what_cleaver_shows() -> None:
    equal, total, differences = compare(REAL_DECKS, visible_text, inline_structure)
    print(f"\nreal decks: {equal}/{total} slides equal ({equal / total:.2%})")
    assert total == 1149
    assert equal == total, "\n".join(differences)


def test_inline_edge_cases_show_what_cleaver_shows_with_the_same_inline_structure() -> None:
    equal, total, differences = compare([EDGE_CASES], visible_text, inline_structure)
    print(f"\ninline edge cases: {equal}/{total} slides equal")
    assert total >= 15
    assert equal == total, "\n".join(differences)


def test_block_edge_cases_show_what_cleaver_shows_with_the_same_structure() -> None:
    equal, total, differences = compare([BLOCK_EDGE_CASES], visible_text, inline_structure, block_structure, code_text)
    print(f"\nblock edge cases: {equal}/{total} slides equal")
    assert total >= 12
    assert equal == total, "\n".join(differences)


def test_the_block_rules_are_assembled_as_marked_assembles_them() -> None:
    # Cleaver's marked, asked for the sources of its GFM-with-tables block rules, as assembled by its edit() calls.
    script = (
        "const r = require('marked').Lexer.rules;"
        "const out = {item: r.item.source};"
        "for (const [k, v] of Object.entries(r.tables)) if (v && v.source) out[k] = v.source;"
        "process.stdout.write(JSON.stringify(out));"
    )
    theirs = json.loads(subprocess.run(["node", "-e", script], cwd=ORACLE, capture_output=True, check=True).stdout)
    for part in ("bullet", "_label", "_title"):  # parts of other rules, not rules of their own
        theirs.pop(part)
    assert {name: marked.SOURCES.get(name) for name in theirs} == theirs
