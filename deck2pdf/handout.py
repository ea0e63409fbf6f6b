"""Turn rendered slide pages into n-up handout sheets: where each slide goes, and the imposition itself.

The sheets' own text (header, footer, slide numbers, note lines, link notes) is laid out by WeasyPrint like
the slides (real text, embedded fonts); the slide pages are then placed on them as PDF form XObjects with
pikepdf: vectors, selectable text, and each slide's links copied onto the sheet, moved and scaled with it.
Resource names and placement are ours, never random, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html.parser import HTMLParser

from .errors import RenderError, UsageError
from .markup import links
from .model import Cell, Deck, Rect, Sheet, Slide
from .options import Options

PT_PER_MM = 72 / 25.4
PAPER_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4), "legal": (215.9, 355.6), "a3": (297.0, 420.0)}
MARGIN = 36.0  # pt: the sheet's side margins
HEADER = 44.0  # pt: room for the title line at the top
FOOTER = 30.0  # pt: room for "page X of Y" at the bottom
GAP = 16.0  # pt: between cells
CAPTION = 14.0  # pt: the slide number line under a slide
NOTE_LINE = 20.0  # pt: spacing of ruled note lines


def sheet_layout(n: int, paper: str, landscape: bool, aspect: float) -> Sheet:
    """Return where the N slides of a sheet go, for slides of `aspect` (width / height).

    As presentation software lays handouts out: 1 = one slide, note lines below (beside, in landscape);
    2 = two stacked (side by side); 3 = three down the left with note lines beside each (three across, lines
    below); 4 = 2x2; 6 = 2x3 (3x2); 9 = 3x3.
    """
    w_mm, h_mm = PAPER_MM[paper]
    width, height = (h_mm, w_mm) if landscape else (w_mm, h_mm)
    width, height = width * PT_PER_MM, height * PT_PER_MM
    area = Rect(MARGIN, HEADER + 12, width - 2 * MARGIN, height - HEADER - 12 - FOOTER - 8)
    if n in (1, 3):
        cols, rows = (n, 1) if landscape else (1, n)
        beside = landscape if n == 1 else not landscape  # note lines beside the slide, not below it
        cells = []
        for box in _grid(area, cols, rows):
            if beside:
                slide_w = box.w * (0.62 if n == 1 else 0.55)
                slide = _fit(Rect(box.x, box.y, slide_w, box.h - CAPTION), aspect)
                caption = Rect(slide.x, slide.y + slide.h + 2, slide.w, CAPTION)
                notes = Rect(box.x + slide_w + GAP, box.y, box.w - slide_w - GAP, box.h)
            else:  # slide on top, lines below
                slide = _fit(Rect(box.x, box.y, box.w, box.h * (0.55 if n == 1 else 0.5)), aspect)
                caption = Rect(slide.x, slide.y + slide.h + 2, slide.w, CAPTION)
                top = caption.y + caption.h + 6
                notes = Rect(box.x, top, box.w, box.y + box.h - top)
            cells.append(Cell(slide, caption, notes))
        return Sheet(width, height, tuple(cells))
    cols, rows = {2: (1, 2), 4: (2, 2), 6: (2, 3), 9: (3, 3)}[n]
    if landscape:
        cols, rows = {2: (2, 1), 4: (2, 2), 6: (3, 2), 9: (3, 3)}[n]
    cells = []
    for box in _grid(area, cols, rows):
        caption_room = CAPTION + (3 * 9 if n <= 4 else 2 * 9)  # number, then a few lines of link notes
        slide = _fit(Rect(box.x, box.y, box.w, box.h - caption_room), aspect)
        caption = Rect(slide.x, slide.y + slide.h + 2, slide.w, box.y + box.h - slide.y - slide.h - 2)
        cells.append(Cell(slide, caption, None))
    return Sheet(width, height, tuple(cells))


def _grid(area: Rect, cols: int, rows: int) -> list[Rect]:
    w = (area.w - GAP * (cols - 1)) / cols
    h = (area.h - GAP * (rows - 1)) / rows
    return [Rect(area.x + c * (w + GAP), area.y + r * (h + GAP), w, h) for r in range(rows) for c in range(cols)]


def _fit(box: Rect, aspect: float) -> Rect:
    """The largest rectangle of `aspect` in `box`, centred across and at the top."""
    w = min(box.w, box.h * aspect)
    h = w / aspect
    return Rect(box.x + (box.w - w) / 2, box.y, w, h)


def impose(
    chrome_pdf: bytes, slides_pdf: bytes, placements: Sequence[Sequence[tuple[int, Rect]]], *, frame: bool = True
) -> bytes:
    """Place slide pages on the sheets of `chrome_pdf`: `placements[s]` lists (slide page index, rectangle).

    With `frame`, a grey hairline is drawn around each slide."""
    import pikepdf

    try:
        sheets = pikepdf.open(io.BytesIO(chrome_pdf))
        slides = pikepdf.open(io.BytesIO(slides_pdf))
    except pikepdf.PdfError as exc:
        raise RenderError(f"cannot read the rendered pages: {exc}") from exc
    if len(sheets.pages) != len(placements):
        raise RenderError(f"made {len(sheets.pages)} sheets for {len(placements)} planned")
    forms: dict[int, pikepdf.Object] = {}
    for sheet, placed in zip(sheets.pages, placements, strict=True):
        height = float(sheet.mediabox[3])
        resources = sheet.obj.get("/Resources")
        if resources is None:
            resources = sheet.obj.Resources = pikepdf.Dictionary()
        if "/XObject" not in resources:
            resources.XObject = pikepdf.Dictionary()
        drawing = []
        annots = list(sheet.obj.get("/Annots", []))
        for index, rect in placed:
            page = slides.pages[index]
            if index not in forms:
                forms[index] = sheets.copy_foreign(page.as_form_xobject())
            name = pikepdf.Name(f"/Slide{index + 1}")
            resources.XObject[name] = forms[index]
            box = [float(v) for v in page.mediabox]
            scale = rect.w / (box[2] - box[0])
            tx, ty = rect.x - box[0] * scale, height - rect.y - rect.h - box[1] * scale
            drawing.append(f"q {scale:.6f} 0 0 {scale:.6f} {tx:.4f} {ty:.4f} cm {name} Do Q")
            if frame:
                y = height - rect.y - rect.h
                drawing.append(f"q 0.533 G 0.6 w {rect.x:.3f} {y:.3f} {rect.w:.3f} {rect.h:.3f} re S Q")
            annots += _moved_links(sheets, page, scale, tx, ty)
        # WeasyPrint's page content flips the y axis and leaves it flipped: fence it in q ... Q first.
        sheet.contents_add(pikepdf.Stream(sheets, b"q\n"), prepend=True)
        sheet.contents_add(pikepdf.Stream(sheets, ("Q\n" + "\n".join(drawing)).encode()), prepend=False)
        if annots:
            sheet.obj.Annots = pikepdf.Array(annots)
    out = io.BytesIO()
    sheets.save(out, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _moved_links(pdf, page, scale: float, tx: float, ty: float) -> list:  # type: ignore[no-untyped-def]
    """The slide's web links, scaled and moved onto the sheet (links inside the deck have no target here)."""
    import pikepdf

    moved = []
    for annot in page.obj.get("/Annots", []):
        action = annot.get("/A")
        if annot.get("/Subtype") != "/Link" or action is None or action.get("/S") != "/URI":
            continue
        x0, y0, x1, y1 = (float(v) for v in annot.Rect)
        xs, ys = sorted((x0 * scale + tx, x1 * scale + tx)), sorted((y0 * scale + ty, y1 * scale + ty))
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[xs[0], ys[0], xs[1], ys[1]],  # WeasyPrint may give the corners in either order
            Border=[0, 0, 0],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(str(action.URI))),
        )
        moved.append(pdf.make_indirect(link))
    return moved


def slide_links(slide_html: str) -> tuple[str, ...]:
    """The web and mail link targets of a slide, in order, without repeats (for the link notes)."""
    targets: list[str] = []
    for href in links(slide_html):
        target = href.strip()
        if target.startswith(("http://", "https://", "mailto:")) and target not in targets:
            targets.append(target)
    return tuple(targets)


def parse_ranges(text: str, count: int) -> list[int]:
    """Read `1-5,8,12-` (1-based, `-3` and `12-` open-ended) into slide numbers within 1..count."""
    numbers: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        m = re.fullmatch(r"(\d*)\s*(-?)\s*(\d*)", part)
        if not part or not m or (not m.group(2) and not m.group(1)):
            raise ValueError(part or "an empty part")
        low = int(m.group(1)) if m.group(1) else 1
        high = (int(m.group(3)) if m.group(3) else count) if m.group(2) else low
        if low < 1 or high < low:
            raise ValueError(part)
        numbers += [n for n in range(low, min(high, count) + 1) if n not in numbers]
    return numbers


def builds(slides: Sequence[Slide]) -> list[tuple[int, ...]]:
    """Runs of slides that build on each other (of two slides or more), by their numbers.

    A slide builds on the one before when it has the same title and says everything that one says: its words
    (images ignored) appear in it in the same order. Decks repeat a slide this way to add a bullet at a time.
    """
    runs: list[list[int]] = []
    for before, slide in zip([None, *slides[:-1]], slides, strict=True):
        if (
            before is not None
            and before.title is not None
            and before.title == slide.title
            and _in_order(_words(before.html), _words(slide.html))
        ):
            runs[-1].append(slide.number)
        else:
            runs.append([slide.number])
    return [tuple(run) for run in runs if len(run) > 1]


def collapse_builds(slides: Sequence[Slide]) -> list[int]:
    """Return the numbers of the slides to keep when builds collapse: the last of each build (`builds`)."""
    left_out = {n for run in builds(slides) for n in run[:-1]}
    return [s.number for s in slides if s.number not in left_out]


def _in_order(words: list[str], within: list[str]) -> bool:
    rest = iter(within)
    return all(any(w == x for x in rest) for w in words)


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.hidden += tag in ("script", "style")
        self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style") and self.hidden > 0
        self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)


def _words(html: str) -> list[str]:
    parser = _Words()
    parser.feed(html)
    parser.close()
    return "".join(parser.text).split()


def select_slides(deck: Deck, options: Options) -> list[int]:
    """The slides to print: --slides, then without build-up slides when builds collapse."""
    numbers = [s.number for s in deck.slides]
    if options.slides is not None:
        try:
            numbers = parse_ranges(options.slides, len(deck.slides))
        except ValueError as exc:
            raise UsageError(
                f"--slides {options.slides}: cannot read '{exc}'", hint="write ranges like 1-5,8,12- (slide numbers)"
            ) from None
        if not numbers:
            raise UsageError(f"--slides {options.slides}: selects no slide (the deck has {len(deck.slides)})")
    if options.collapsing:
        keep = set(collapse_builds([deck.slides[n - 1] for n in numbers]))
        numbers = [n for n in numbers if n in keep]
    return numbers
