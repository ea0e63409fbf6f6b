"""Turn rendered slide pages into n-up handout sheets: where each slide goes, and the imposition itself.

The sheets' own text (header, footer, slide numbers, note lines, link notes) is laid out by WeasyPrint like
the slides (real text, embedded fonts); the slide pages are then placed on them as PDF form XObjects with
pikepdf: vectors, selectable text, and each slide's links copied onto the sheet, moved and scaled with it.
Resource names and placement are ours, never random, so the same input gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from .errors import RenderError, UsageError
from .markup import anchors, element_end, elements, spliced
from .model import Caption, Cell, Deck, HandoutCell, LinkNote, Rect, Sheet, Slide
from .options import CODE_FLOOR_EMS, Options, PageSize
from .options import HANDOUT_SIZES as HANDOUT_LAYOUTS

PT_PER_MM = 72 / 25.4
PAPER_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4), "legal": (215.9, 355.6), "a3": (297.0, 420.0)}
MARGIN = 28.0  # pt: the sheet's side margins
HEADER = 44.0  # pt: room for the title line at the top
FOOTER = 30.0  # pt: room for "page X of Y" at the bottom
GAP = 12.0  # pt: between cells
CAPTION = 14.0  # pt: the slide number line under a slide
NOTE_LINE = 20.0  # pt: spacing of ruled note lines
# The smallest any text on an n-up sheet prints at (pt): slides' body, code and tables, and the sheet's own text.
# A slide is fitted for its cell with these floors; what cannot keep them continues on another cell.
READABLE_PT = 6.0  # body text smaller than this on paper is hard to read: a warning names a better layout
FLOOR_PT = {1: 7.0, 2: 7.0, 3: 5.0, 4: 6.0, 6: 5.0, 9: 4.0}
SMALL_TEXT_EM = 0.75  # the themes set code and tables at .75 of the body's size: the floor holds for them
CAPTION_ROOM = 48.0  # pt under a grid cell's slide at least: its label and four lines of link notes
UPRIGHT_MOST = 4 / 3  # a slide page is never laid out taller than 4:3
# The orientation each layout's slides are largest in (--landscape / --portrait choose): 4 as 2 x 2 and 9 as
# 3 x 3 across the long side; the others portrait.
LANDSCAPE = {1: False, 2: False, 3: False, 4: True, 6: False, 9: True}


def landscape_for(n: int, landscape: bool | None) -> bool:
    """The orientation of an n-up sheet: the one asked for, else the one its slides are largest in."""
    return LANDSCAPE[n] if landscape is None else landscape


def sheet_layout(n: int, paper: str, landscape: bool, aspect: float) -> Sheet:
    """Return where the N slides of a sheet go, for slides of `aspect` (width / height), each as large as the
    paper allows, with room for its number and link notes, and ruled lines for notes where the layout has them.

    Portrait: 1 = the slide, lines below; 2 = two stacked; 3 = three down the left, lines beside each (the
    classic); 4 = four down the left, lines beside; 6 = 2 x 3; 9 = 3 x 3. Landscape: 1 = the slide, lines
    beside; 2 = two side by side, lines below each; 3 = three across, lines below; 4 = 2 x 2; 6 = 3 x 2;
    9 = 3 x 3.
    """
    w_mm, h_mm = PAPER_MM[paper]
    width, height = (h_mm, w_mm) if landscape else (w_mm, h_mm)
    width, height = width * PT_PER_MM, height * PT_PER_MM
    area = Rect(MARGIN, HEADER + 12, width - 2 * MARGIN, height - HEADER - 12 - FOOTER - 8)
    beside = {1: landscape, 3: not landscape, 4: not landscape}.get(n, False)  # note lines beside the slide
    below = {1: not landscape, 2: landscape, 3: landscape}.get(n, False)  # note lines under it
    if beside or below:
        cols, rows = (1, n) if beside else (n, 1)
        cells = []
        for box in _grid(area, cols, rows):
            if beside:
                slide_w = box.w * (0.62 if n == 1 else 0.56)
                slide = _fit(Rect(box.x, box.y, slide_w, box.h - CAPTION), aspect)
                caption = Rect(slide.x, slide.y + slide.h + 2, slide.w, box.y + box.h - slide.y - slide.h - 2)
                notes = Rect(box.x + slide_w + GAP, box.y, box.w - slide_w - GAP, slide.h)  # ending with it
            else:  # slide on top, lines below
                slide = _fit(Rect(box.x, box.y, box.w, box.h * 0.5 - CAPTION), aspect)
                caption = Rect(slide.x, slide.y + slide.h + 2, slide.w, CAPTION)
                top = caption.y + caption.h + 6
                notes = Rect(box.x, top, box.w, box.y + box.h - top)
            cells.append(Cell(slide, caption, notes))
        return Sheet(width, height, tuple(cells))
    cols, rows = (
        {2: (2, 1), 4: (2, 2), 6: (3, 2), 9: (3, 3)}[n]
        if landscape
        else {2: (1, 2), 4: (2, 2), 6: (2, 3), 9: (3, 3)}[n]
    )
    cells = []
    for box in _grid(area, cols, rows):
        # The slide as wide as the cell allows with a line of caption; the cell's height below it holds the
        # caption (its number and link notes).
        slide = _fit(Rect(box.x, box.y, box.w, box.h - CAPTION - 2 * 9), aspect)
        caption = Rect(slide.x, slide.y + slide.h + 2, slide.w, box.y + box.h - slide.y - slide.h - 2)
        cells.append(Cell(slide, caption, None))
    return Sheet(width, height, tuple(cells))


def _grid_shape(n: int, landscape: bool) -> tuple[int, int] | None:
    """Columns and rows of an n-up layout that is a plain grid (no note lines), else None."""
    if n in (1, 3) or (n, landscape) in ((2, True), (4, False)):
        return None
    return (
        {2: (2, 1), 4: (2, 2), 6: (3, 2), 9: (3, 3)} if landscape else {2: (1, 2), 4: (2, 2), 6: (2, 3), 9: (3, 3)}
    )[n]


def paper_page(
    n: int, paper: str, landscape: bool, size: PageSize, notes: Sequence[LinkNote] = (), qr: bool = False
) -> PageSize:
    """The page an n-up handout's slides are laid out on: the slide's own, or, where a grid's cells have height to
    spare under a slide of the deck's shape (6-up: about 45% of the sheet), a narrower one of the same height
    (so the same type, laid out across fewer ems), down to 4:3, leaving CAPTION_ROOM under it. Its cell then
    prints the slide larger: each cell is a page laid out for the size it prints at, not a shrunken screen."""
    shape = _grid_shape(n, landscape)
    aspect = size.width / size.height
    if shape is None:
        return size
    w_mm, h_mm = PAPER_MM[paper]
    width, height = (h_mm, w_mm) if landscape else (w_mm, h_mm)
    area = Rect(0, 0, width * PT_PER_MM - 2 * MARGIN, height * PT_PER_MM - HEADER - 12 - FOOTER - 8)
    box = _grid(area, *shape)[0]
    # Room under the slide for its label and, when a slide has more link notes than CAPTION_ROOM holds, for them.
    room = max(CAPTION_ROOM, NOTE_LEAD * 1.4 + 4 + sum(note_height(note, box.w, qr) for note in notes))

    def aspect_for(room: float) -> float:
        return max(box.w / max(box.h - room, 1.0), UPRIGHT_MOST)

    # One slide's many notes never widen every slide's page so far that code prints under the floor (6-up letter,
    # the reference deck's last slide: 4.8 pt): the room is what keeps the floor, and the notes that do not fit
    # under their slide go to the sheet's free room.
    floor = FLOOR_PT[n] - 0.005
    if room > CAPTION_ROOM and _code_pt(n, paper, landscape, size.height, aspect_for(room)) < floor:
        low, high = CAPTION_ROOM, room
        for _ in range(16):  # the code's size falls as the room grows
            middle = (low + high) / 2
            low, high = (
                (middle, high)
                if _code_pt(n, paper, landscape, size.height, aspect_for(middle)) >= floor
                else (low, middle)
            )
        room = low
    wanted = aspect_for(room)
    # Too little to gain for a change of shape, unless the slide's own shape prints code under the floor.
    if wanted >= aspect or (wanted >= aspect * 0.95 and _code_pt(n, paper, landscape, size.height, aspect) >= floor):
        return size
    return PageSize(round(size.height * wanted, 1), size.height)


def _code_pt(n: int, paper: str, landscape: bool, height: float, aspect: float) -> float:
    """The size (pt) code and tables print at, at full scale, on pages `height` px high of `aspect`."""
    page = PageSize(height * aspect, height)
    return SMALL_TEXT_EM * body_size(sheet_layout(n, paper, landscape, aspect), page.width, page.font)


def print_scale(sheet: Sheet, page_width: float) -> float:
    """How many pt of the sheet one px of a slide page `page_width` px wide takes."""
    return sheet.cells[0].slide.w / page_width


def body_size(sheet: Sheet, page_width: float, font: float) -> float:
    """The size (pt) body text of `font` px on a slide `page_width` px wide is printed at on the sheet."""
    return font * print_scale(sheet, page_width)


@dataclass(frozen=True)
class Floors:
    """What fitting a slide for its cell may not go under, so that no text prints under the layout's floor."""

    pt: float  # the layout's floor (FLOOR_PT)
    scale: float  # pt of the sheet a px of the slide page takes
    min_scale: float  # the body's text scale, at the least
    code_px: float  # code's size on the slide page, at the least (it wraps instead)


def floors(n: int, paper: str, landscape: bool, size: PageSize, min_scale: float) -> Floors:
    """The fitting floors of slides laid out on `size` pages (`paper_page`) of an n-up handout: the body shrinks no
    further than keeps its code and tables (SMALL_TEXT_EM of it) at the floor, code no smaller than the floor."""
    sheet = sheet_layout(n, paper, landscape, size.width / size.height)
    scale = print_scale(sheet, size.width)
    floor = FLOOR_PT[n]
    body = min(1.0, floor / (SMALL_TEXT_EM * size.font * scale))
    return Floors(floor, scale, max(min_scale, body), max(size.height / CODE_FLOOR_EMS, floor / scale))


SMALL_KINDS = {"body": 1.0, "code": SMALL_TEXT_EM, "table": SMALL_TEXT_EM}  # of the body's size (the themes')
_SAID = {"body": "the slides' body text", "code": "code", "table": "tables"}


def text_kinds(html: str) -> set[str]:
    """What text a slide holds: body text always, code (a <pre>) and tables where it has them."""
    found = {tag.name for tag in elements(html, ("pre", "table"))}
    return {"body", *("code" for _ in found & {"pre"}), *("table" for _ in found & {"table"})}


def readable_layout(
    n: int,
    paper: str,
    landscape: bool | None,
    size: PageSize,
    kinds: Mapping[int, set[str]],
    scales: Mapping[int, float] | None = None,
) -> str:
    """One warning line when n-up sheets print some slides' text too small: body text under READABLE_PT, code or
    tables under the layout's floor (FLOOR_PT: what the floors table promises); what, at what size, on which slides
    (`kinds`: each slide's, `text_kinds`; `scales`: the text scale each shrunk slide was fitted at), and the layout
    with the most slides a sheet that prints all of it readably; "" when n-up is readable. `size` is the deck's
    slide page (each layout's cells are laid out as `paper_page` says)."""
    scales = scales or {}

    def threshold(kind: str, k: int) -> float:
        return READABLE_PT if kind == "body" else FLOOR_PT[k]

    def printed(k: int, orientation: bool | None) -> float:
        turned = landscape_for(k, orientation)
        page = paper_page(k, paper, turned, size)
        return body_size(sheet_layout(k, paper, turned, page.width / page.height), page.width, page.font)

    def small(k: int, orientation: bool | None) -> dict[str, tuple[float, list[int]]]:
        """Each kind of text printed too small at k-up: its smallest size and its slides."""
        body = printed(k, orientation)
        out: dict[str, tuple[float, list[int]]] = {}
        for number, held in sorted(kinds.items()):
            for kind in sorted(held, key=list(SMALL_KINDS).index):
                pt = body * SMALL_KINDS[kind] * scales.get(number, 1.0)
                if pt < threshold(kind, k) - 0.05:
                    least, slides = out.get(kind, (pt, []))
                    out[kind] = (min(least, pt), [*slides, number])
        return out

    here = small(n, landscape)
    if not here:
        return ""
    what = " and ".join(
        f"{_SAID[kind]} at {pt:.1f} pt ({_slides(numbers)}, under {threshold(kind, n):g} pt)"
        for kind, (pt, numbers) in here.items()
    )
    better = next((k for k in sorted(HANDOUT_LAYOUTS, reverse=True) if k < n and not small(k, None)), None)
    advice = f"--handout {better} prints all of it readably" if better else "print one slide a page"
    return f"--handout {n} prints {what}; {advice}"


def _slides(numbers: Sequence[int]) -> str:
    """`slide 3` or `slides 3-5, 9`."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    said = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"slide{'s' * (len(numbers) > 1)} {said}"


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
        annots = []
        for annot in sheet.obj.get("/Annots", []):  # the sheet's own links (its link notes): corners in order
            x0, y0, x1, y1 = (float(v) for v in annot.Rect)
            if x0 == x1 or y0 == y1:  # an empty piece of a link (a <wbr> where its line ends): nothing to click
                continue
            annot.Rect = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
            annots.append(annot)
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
        if annots or "/Annots" in sheet.obj:
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


def link_notes(slide_html: str) -> tuple[LinkNote, ...]:
    """The notes a handout prints for a slide's links: web and mail links whose text does not already show their
    address (paper shows the text, and `docs.docker.com` needs no note), each once, marked a, b, c..."""
    notes: list[LinkNote] = []
    seen: set[str] = set()
    for href, text in anchors(slide_html):
        url = href.strip()
        if not url.startswith(("http://", "https://", "mailto:")) or url in seen or _shows(text, url):
            continue
        seen.add(url)
        notes.append(LinkNote(_marker(len(notes)), text, url))
    return tuple(notes)


def mark_links(html: str, notes: Sequence[LinkNote]) -> str:
    """`html` (a slide's) with each noted link followed by its note's letter, superscript, so the reader finds on
    the slide which link note "a" is. The letter is as large as the text around it: smaller would print it under
    the layout's floor where the text is at the floor already."""
    letters = {note.url: note.marker for note in notes}
    if not letters:
        return html
    marks = [
        (end, end, f'<sup class="link-note-mark" style="font-size: 1em; line-height: 0">{letter}</sup>')
        for tag in elements(html, ("a",))
        if (letter := letters.get(tag.attrs.get("href", "").strip())) is not None
        for end in [element_end(html, tag)]
    ]
    return spliced(html, marks)


def _bare(text: str) -> str:
    text = re.sub(r"^(?:https?://|mailto:)", "", text.strip().lower())
    return text.removeprefix("www.").rstrip("/")


def _shows(text: str, url: str) -> bool:
    """Whether a link's text already tells its address (the address itself, or all of it but the scheme)."""
    shown = _bare(text)
    return bool(shown) and " " not in shown and _bare(url) in (shown, shown.rstrip("…."))


def _marker(index: int) -> str:
    """The `index`-th note's mark, as spreadsheets name columns: a ... z, aa ... zz, aaa ..., for any count."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    mark = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        mark = letters[rest] + mark
    return mark


# Link notes: their type (handout.css) and how much room one takes, estimated on the safe side (an estimate
# that is short would let the sheet clip a note; one that is long only leaves space).
NOTE_PT = 6.5
NOTE_LEAD = 8.6  # pt a line
NOTE_CHAR = 0.56 * NOTE_PT  # pt: wider than Inter's average character in addresses and link texts (about .5 em)
NOTE_INDENT = 2.6 * NOTE_PT  # pt: a note's lines start past its letter badge (handout.css: .note's padding)
POINTER = NOTE_LEAD * 1.4  # pt: a "Slide 11, more links:" or "+2 more: see page 12" line
QR_MM = 15.0  # a QR code's modules span this at the least, so that phones read it from paper
QR_QUIET = 4  # modules of light margin a QR code needs around it: part of its box, where nothing else prints
QR_GAP = 3.0  # pt between a QR code's box and its note's text


@functools.cache
def _modules(url: str) -> int:
    """How many modules across the QR code of `url` is (0: too long for one). Its version is all that decides
    it, whatever the mask: one mask is tried, not the eight the code printed is chosen among (most of the time a
    sheet's layout takes, for a deck with hundreds of links)."""
    import segno
    from segno.encoder import DataOverflowError

    try:
        return int(segno.make(url, error="m", mask=0).symbol_size(scale=1, border=0)[0])
    except DataOverflowError:
        return 0


@functools.lru_cache(maxsize=1024)
def _qr(url: str) -> Any:
    """The QR code of `url` (segno: maintained, pure Python, exact SVG paths), None for an address longer than
    the largest QR code holds (its note prints the address alone)."""
    import segno
    from segno.encoder import DataOverflowError

    try:
        return segno.make(url, error="m")
    except DataOverflowError:
        return None


def qr_side(url: str) -> float:
    """The side (pt) of the square a QR code of `url` prints in, its quiet zone included; 0 when it has none."""
    modules = _modules(url)
    return QR_MM * PT_PER_MM * (modules + 2 * QR_QUIET) / modules if modules else 0.0


def qr_svg(url: str) -> str:
    """A QR code of `url` as inline SVG, `qr_side` pt square with its quiet zone (nothing is drawn there: the
    sheet is white); "" when the address is too long for one."""
    code = _qr(url)
    if code is None:
        return ""
    svg = str(code.svg_inline(scale=1, border=QR_QUIET, omitsize=True, svgclass="qr"))
    side = f"{qr_side(url):.2f}pt"
    return svg.replace("<svg ", f'<svg width="{side}" height="{side}" ', 1)


def url_pieces(url: str) -> list[str]:
    """`url` cut where a line may break in it: after `/`, before `.`, `?`, `&`, `#` (never at a hyphen, which
    would read as hyphenation). The sheet prints each piece unbreakable, side by side, so copying still gives
    the whole address."""
    cuts = [0]
    for i, char in enumerate(url):
        if char in ".?&#" and i > cuts[-1]:
            cuts.append(i)
        if char == "/" and i + 1 < len(url) and url[i + 1] != "/":
            cuts.append(i + 1)
    return [url[a:b] for a, b in itertools.pairwise([*cuts, len(url)]) if b > a]


def note_height(note: LinkNote, width: float, qr: bool) -> float:
    """About how tall a link note is in a caption `width` pt wide (its QR code's square beside it, with --qr)."""
    side = qr_side(note.url) if qr else 0.0
    across = max(width - NOTE_INDENT - (side + QR_GAP if side else 0), 20)
    # Filled as the sheet fills lines: the text's words, then the address's pieces, each whole where it fits.
    lines, used = 1, 0.0
    for piece in [f"{word} " for word in note.text.split()] + url_pieces(note.url):
        wide = len(piece) * NOTE_CHAR
        if used and used + wide > across:
            lines, used = lines + 1, 0.0
        while wide > across:  # a piece wider than a line is broken anywhere
            lines, wide = lines + 1, wide - across
        used += wide
    return max(lines * NOTE_LEAD, side)


def plan_captions(
    sheets: Sequence[Sequence[HandoutCell]], geometry: Sheet, qr: bool
) -> tuple[list[list[Caption]], list[list[tuple[str, tuple[LinkNote, ...]]]]]:
    """Where each slide's link notes go: under the slide while they fit; then in the free room under the other
    slides of its sheet and in the sheet's empty slots ("Slide 11, more links:"); then in the free room of the
    nearest other sheets; then on endnotes pages after the sheets. A slide whose notes go to another page says
    where, on a line kept for it ("+2 more: see page 9"). Return each sheet's captions (its slides', then its
    empty slots') and the endnotes pages (each a list of (slide label, notes))."""
    boxes = geometry.cells
    widths = [_note_width(b) for b in boxes]
    # The room under each slide (less its label's line), and the whole of each slot a sheet leaves empty.
    rooms = [
        [_room(b) - POINTER if c < len(sheet) else b.slide.h + b.caption.h for c, b in enumerate(boxes)]
        for sheet in sheets
    ]
    own: list[list[list[LinkNote]]] = [[[] for _ in sheet] for sheet in sheets]
    rest: list[list[list[LinkNote]]] = [[[] for _ in sheet] for sheet in sheets]
    for s, sheet in enumerate(sheets):
        for c, cell in enumerate(sheet):
            for note in cell.links:
                height = note_height(note, widths[c], qr)
                if not rest[s][c] and height <= rooms[s][c]:
                    own[s][c].append(note)
                    rooms[s][c] -= height
                else:
                    rest[s][c].append(note)
            if rest[s][c]:  # a line kept for the pointer to where the others are
                while own[s][c] and rooms[s][c] < POINTER:
                    note = own[s][c].pop()
                    rest[s][c].insert(0, note)
                    rooms[s][c] += note_height(note, widths[c], qr)
                rooms[s][c] -= POINTER
    spilled: list[list[list[tuple[str, tuple[LinkNote, ...]]]]] = [[[] for _ in boxes] for _ in sheets]
    elsewhere: dict[tuple[int, int], tuple[int, int]] = {}  # (sheet, cell): (notes on other pages, first page)

    def spill(s: int, c: int, into: int) -> None:
        """Put what fits of the rest of sheet s's cell c's notes in the free room of sheet `into`."""
        for other in range(len(boxes)):  # in reading order
            if not rest[s][c]:
                return
            fit: list[LinkNote] = []
            room = rooms[into][other] - POINTER  # the "Slide 11, more links:" line
            while rest[s][c] and note_height(rest[s][c][0], widths[other], qr) <= room:
                room -= note_height(rest[s][c][0], widths[other], qr)
                fit.append(rest[s][c].pop(0))
            if fit:
                spilled[into][other].append((sheets[s][c].label, tuple(fit)))
                rooms[into][other] = room
                if into != s:
                    count, page = elsewhere.get((s, c), (0, into + 1))
                    elsewhere[s, c] = (count + len(fit), min(page, into + 1))

    for s, sheet in enumerate(sheets):  # first the room of the slide's own sheet
        for c in range(len(sheet)):
            spill(s, c, s)
    for s, sheet in enumerate(sheets):  # then the nearest sheets', the next before the one before
        for c in range(len(sheet)):
            for into in sorted((t for t in range(len(sheets)) if t != s), key=lambda t: (abs(t - s), t < s)):
                if not rest[s][c]:
                    break
                spill(s, c, into)
    left_over = [(s, c, tuple(rest[s][c])) for s, sheet in enumerate(sheets) for c in range(len(sheet)) if rest[s][c]]
    pages = _endnote_pages([(sheets[s][c].label, notes) for s, c, notes in left_over], geometry, qr)
    first = len(sheets) + 1
    where: dict[str, int] = {}
    for p, page in enumerate(pages):
        for label, _ in page:
            where.setdefault(label, first + p)
    for s, c, notes in left_over:
        count, at = elsewhere.get((s, c), (0, where[sheets[s][c].label]))
        elsewhere[s, c] = (count + len(notes), at)
    placed = [
        [
            Caption(cell.label, tuple(own[s][c]), tuple(spilled[s][c]), *elsewhere.get((s, c), (0, 0)))
            for c, cell in enumerate(sheet)
        ]
        + [Caption("", (), tuple(spilled[s][c])) for c in range(len(sheet), len(boxes))]
        for s, sheet in enumerate(sheets)
    ]
    return placed, pages


def _room(box: Cell) -> float:
    """The height link notes have in a cell: its caption under the slide, or the top half of its note lines."""
    return box.notes.h / 2 if box.notes is not None and box.notes_beside else box.caption.h


def _note_width(box: Cell) -> float:
    return box.notes.w if box.notes is not None and box.notes_beside else box.caption.w


def _endnote_pages(
    notes: list[tuple[str, tuple[LinkNote, ...]]], geometry: Sheet, qr: bool
) -> list[list[tuple[str, tuple[LinkNote, ...]]]]:
    """The notes that fit on no sheet, on pages of their own (the sheet's area, in one column)."""
    width = geometry.width - 2 * MARGIN
    room = geometry.height - HEADER - 12 - FOOTER - 8 - 2 * NOTE_LEAD  # less the "Links" heading
    pages: list[list[tuple[str, tuple[LinkNote, ...]]]] = []
    left = 0.0
    for label, group in notes:
        for note in group:
            height = note_height(note, width, qr)
            if not pages or left < height + NOTE_LEAD * 1.4:
                pages.append([])
                left = room
            if not pages[-1] or pages[-1][-1][0] != label:
                pages[-1].append((label, ()))
                left -= NOTE_LEAD * 1.4
            pages[-1][-1] = (label, (*pages[-1][-1][1], note))
            left -= height
    return pages


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
