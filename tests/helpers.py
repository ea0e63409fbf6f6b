"""Read PDFs back for the tests: text per page, word boxes, fonts, links, outline, metadata, pixels."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

# Block-level tags: their boundaries separate words in "visible text" (CLEAVER-FORMAT.md section 7).
_BLOCK = set(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "hgroup",
        "menu",
        "caption",
        "col",
        "colgroup",
    ]
)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        if tag in _BLOCK:
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in _BLOCK:
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1
        if tag in _BLOCK:
            self.out.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(data)


@contextmanager
def interruptible() -> Iterator[None]:
    """Processes started inside take SIGINT (Ctrl-C) as they would from a terminal. A shell without job control
    starts a background command with SIGINT ignored; its processes inherit that, and Python then sets no
    KeyboardInterrupt handler, so a test's SIGINT would never reach the program (`make test &` in a script)."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler: exec resets it to the default
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def visible_text(html: str) -> str:
    """Text a reader sees: entities decoded, script/style and comments dropped, whitespace collapsed."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.out)).strip()


def squashed(text: str) -> str:
    """Text without white space, hyphens or code-continuation marks: a word broken over lines (or a code line
    wrapped with a `↪`) still matches the word as written."""
    return re.sub(r"[\s\-\u2010↪]+", "", text)


def page_labels(pdf: Path) -> list[str]:
    """Each page's label (what a viewer shows as its number)."""
    return list(PdfReader(pdf).page_labels)


def page_texts(pdf: Path) -> list[str]:
    """Text of each page, as pdftotext reads it."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    return out.decode("utf-8").split("\f")[:-1]


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def page_words(pdf: Path) -> list[tuple[float, float, list[Word]]]:
    """Each page's width, height and word boxes (points, origin top left), from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    pages = []
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [
            Word(w[4], float(w[0]), float(w[1]), float(w[2]), float(w[3]))
            for w in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', m.group(3)
            )
        ]
        pages.append((float(m.group(1)), float(m.group(2)), words))
    return pages


@dataclass(frozen=True)
class Printed:
    """The smallest text printed on a page: its size (pt, pdfminer's character size) and some of its text."""

    page: int
    size: float
    text: str


def smallest_text(pdf: Path) -> list[Printed]:
    """Each page's smallest printed characters (white space left out), from pdfminer's character boxes."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer

    def chars(item: object) -> list[LTChar]:
        if isinstance(item, LTChar):
            return [item] if item.get_text().strip() else []
        return [c for child in item for c in chars(child)] if isinstance(item, LTContainer) else []

    out = []
    for number, page in enumerate(extract_pages(pdf), start=1):
        found = chars(page)
        if found:
            least = min(round(c.size, 2) for c in found)
            out.append(Printed(number, least, "".join(c.get_text() for c in found if round(c.size, 2) == least)[:60]))
    return out


def line_sizes(pdf: Path, page: int) -> list[tuple[str, float]]:
    """Each text line of a page (pdfminer's grouping) and the size (pt) of its largest printed character."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer, LTTextLine

    def lines(item: object) -> list[LTTextLine]:
        if isinstance(item, LTTextLine):
            return [item]
        return [x for child in item for x in lines(child)] if isinstance(item, LTContainer) else []

    out = []
    for laid in extract_pages(pdf, page_numbers=[page - 1]):
        for line in lines(laid):
            sizes = [c.size for c in line if isinstance(c, LTChar) and c.get_text().strip()]
            if sizes:
                out.append((line.get_text().strip(), max(sizes)))
    return out


@dataclass(frozen=True)
class Line:
    """A printed line: the characters on one baseline, left to right (pt, origin top left)."""

    text: str
    top: float
    bottom: float
    size: float  # the largest character's size (pdfminer's)
    font: str  # the font of its first character


def page_lines(pdf: Path, pages: Collection[int] | None = None) -> list[list[Line]]:
    """Each page's lines, top to bottom: pdfminer's characters grouped by their baseline (a table's cells and
    two columns side by side are one line). Only the `pages` given (0-based), when given: the others are read as
    empty (pdfminer takes about a second for a hundred pages)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer

    def chars(item: object) -> list[LTChar]:
        if isinstance(item, LTChar):
            return [item] if item.get_text().strip() else []
        return [c for child in item for c in chars(child)] if isinstance(item, LTContainer) else []

    wanted = sorted(pages) if pages is not None else None
    if wanted == []:
        return []
    out: list[list[Line]] = [[] for _ in range(wanted[-1] + 1)] if wanted else []
    for index, page in enumerate(extract_pages(pdf, page_numbers=wanted)):
        rows: dict[float, list[LTChar]] = {}
        for c in chars(page):
            near = next((y for y in rows if abs(y - c.y0) < 0.25 * c.size), c.y0)
            rows.setdefault(near, []).append(c)
        height = page.height
        found_lines = [
            Line(
                "".join(c.get_text() for c in sorted(found, key=lambda c: c.x0)),
                height - max(c.y1 for c in found),
                height - min(c.y0 for c in found),
                max(c.size for c in found),
                min(found, key=lambda c: c.x0).fontname,
            )
            for _, found in sorted(rows.items(), key=lambda r: -r[0])
        ]
        if wanted is None:
            out.append(found_lines)
        else:
            out[wanted[index]] = found_lines
    return out


@dataclass(frozen=True)
class Font:
    name: str
    type: str
    embedded: bool
    subset: bool


def fonts(pdf: Path) -> list[Font]:
    """Fonts used in the PDF, as pdffonts lists them."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout.splitlines()[2:]
    result = []
    for line in out:
        m = re.match(r"^(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        if m:
            result.append(Font(m.group(1), m.group(2), m.group(4) == "yes", m.group(5) == "yes"))
    return result


def links(pdf: Path) -> list[list[str]]:
    """External link targets (URI actions) of each page."""
    reader = PdfReader(pdf)
    out = []
    for page in reader.pages:
        uris = []
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and action.get("/URI"):
                uris.append(str(action["/URI"]))
        out.append(uris)
    return out


def outline(pdf: Path) -> list[tuple[str, int]]:
    """Top-level bookmarks as (title, 1-based page number)."""
    reader = PdfReader(pdf)
    return [
        (item.title, reader.get_destination_page_number(item) + 1)
        for item in reader.outline
        if not isinstance(item, list)
    ]


def metadata(pdf: Path) -> dict[str, str]:
    meta = PdfReader(pdf).metadata or {}
    return {k: str(v) for k, v in meta.items()}


def rasterize(pdf: Path, page: int, dpi: int = 20) -> Image.Image:
    """One page as an RGB image (pdftoppm)."""
    png = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", str(pdf)],
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(BytesIO(png)).convert("RGB")


def pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    """All pixels of an RGB image."""
    data = image.convert("RGB").tobytes()
    return [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]  # type: ignore[misc]


def git_work_tree(folder: Path) -> None:
    """Make `folder` the top of a git work tree as deck2pdf checks one (a .git folder with HEAD and objects)."""
    (folder / ".git" / "objects").mkdir(parents=True, exist_ok=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")


@dataclass(frozen=True)
class Char:
    """A printed character (pdfminer's box, points, origin bottom left as in the PDF) and its font (no subset tag)."""

    text: str
    font: str
    size: float
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Drawn:
    """What one page prints: its size (points), its characters, and its filled rectangles (x0, y0, x1, y1)."""

    width: float
    height: float
    chars: list[Char]
    rects: list[tuple[float, float, float, float]]


def drawn(pdf: Path) -> list[Drawn]:
    """Each page's characters (white space left out) and rectangles, from pdfminer."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer, LTRect

    def walk(item: object) -> list[object]:
        return [x for child in item for x in walk(child)] if isinstance(item, LTContainer) else [item]

    pages = []
    for page in extract_pages(pdf):
        items = walk(page)
        chars = [
            Char(c.get_text(), re.sub(r"^[A-Z]{6}\+", "", c.fontname), c.size, c.x0, c.y0, c.x1, c.y1)
            for c in items
            if isinstance(c, LTChar) and c.get_text().strip()
        ]
        rects = [(r.x0, r.y0, r.x1, r.y1) for r in items if isinstance(r, LTRect) and r.fill]
        pages.append(Drawn(page.width, page.height, chars, rects))
    return pages
