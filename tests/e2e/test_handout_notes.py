"""Link notes on handout sheets, read back: pointers that can be seen, QR codes a phone reads, addresses broken
only where an address may break, notes indented past their letter, the letter on the slide, the warning."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from deck2pdf.handout import QR_QUIET, link_notes
from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import convert

from ..conftest import REFERENCE_DECK, ReferenceRender
from ..helpers import page_texts, rasterize, squashed

LONG = "https://engineering.fb.com/2020/11/10/facebook-engineering/a-very-long-path-name-that-is-long/index.html?x=1"


def _lines(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """Each text line of a page (pdfminer): its text and box (x0, top, x1, bottom), in pt from the top left."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTContainer, LTTextLine

    found = []

    def visit(item: object, height: float) -> None:
        if isinstance(item, LTTextLine):
            x0, y0, x1, y1 = item.bbox
            found.append((item.get_text().strip(), x0, height - y1, x1, height - y0))
        elif isinstance(item, LTContainer):
            for child in item:
                visit(child, height)

    for number, layout in enumerate(extract_pages(pdf), start=1):
        if number == page:
            visit(layout, layout.height)
    return found


def _ink(pdf: Path, page: int, box: tuple[float, float, float, float], dpi: int = 150) -> int:
    """Dark pixels of a page inside `box` (x0, top, x1, bottom, pt)."""
    image = rasterize(pdf, page, dpi=dpi).convert("L")
    k = dpi / 72
    crop = image.crop((int(box[0] * k), int(box[1] * k), int(box[2] * k) + 1, int(box[3] * k) + 1))
    return sum(1 for v in crop.getdata() if v < 128)


@pytest.mark.slow
@pytest.mark.needs_shared
@pytest.mark.parametrize("variant", ["2-up-letter", "4-up-qr"])
def test_every_see_page_pointer_has_ink_where_its_text_is(variant: str, reference_render: ReferenceRender) -> None:
    pdf, _ = reference_render(variant)
    pointers = [
        (page, line)
        for page, text in enumerate(page_texts(pdf), start=1)
        if "see page" in text
        for line in _lines(pdf, page)
        if "see page" in line[0]
    ]
    assert pointers  # the reference deck's last slide has more notes than its cell holds
    for page, (text, *box) in pointers:
        assert _ink(pdf, page, tuple(box)) > 20, (page, text)  # type: ignore[arg-type]


def _links_deck(tmp_path: Path, links: int) -> Path:
    deck = tmp_path / "deck.md"
    items = "\n".join(f"* [reference {i}](https://example.org/read/{i})" for i in range(links))
    deck.write_text(
        f"title: Links\n--\n\n### Read\n\n[The guide]({LONG}) and more:\n\n{items}\n\n--\n\n### Next\n\nText.\n",
        encoding="utf-8",
    )
    return deck


def test_qr_codes_are_15_mm_with_their_quiet_zone_free_and_read_back(tmp_path: Path) -> None:
    import zxingcpp

    deck = _links_deck(tmp_path, 3)
    pdf = tmp_path / "h.pdf"
    convert(deck, {"output": pdf, "handout": 6, "qr": True})
    _check_codes(pdf, {note.url for slide in parse_deck(deck).slides for note in link_notes(slide.html)}, zxingcpp)


@pytest.mark.slow
@pytest.mark.needs_shared
def test_every_qr_code_of_the_reference_deck_reads_back(reference_render: ReferenceRender) -> None:
    import zxingcpp

    pdf, _ = reference_render("4-up-qr")
    urls = {note.url for slide in parse_deck(REFERENCE_DECK).slides for note in link_notes(slide.html)}
    _check_codes(pdf, urls, zxingcpp)


def _check_codes(pdf: Path, urls: set[str], zxingcpp: object) -> None:
    """Every code on the sheets at least 15 mm across, nothing dark in its quiet zone, and every address read."""
    import segno

    dpi = 200
    read: set[str] = set()
    for page in range(1, len(page_texts(pdf)) + 1):
        image = rasterize(pdf, page, dpi=dpi).convert("L")
        for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):  # type: ignore[attr-defined]
            read.add(code.text)
            corners = [code.position.top_left, code.position.top_right, code.position.bottom_right]
            xs, ys = [p.x for p in corners], [p.y for p in corners]
            side = max(xs) - min(xs) + 1
            assert side / dpi * 25.4 >= 14.8, (code.text, side / dpi * 25.4)
            modules = segno.make(code.text, error="m").symbol_size(scale=1, border=0)[0]
            quiet = side / modules * QR_QUIET
            left, top = min(xs), min(ys)
            ring = image.crop(
                (int(left - quiet + 2), int(top - quiet + 2), int(left + side + quiet - 2), int(top + side + quiet - 2))
            )
            inner = (int(quiet), int(quiet), int(quiet + side - 4), int(quiet + side - 4))
            dark = [
                (x, y)
                for y in range(ring.height)
                for x in range(ring.width)
                if not (inner[0] - 2 <= x <= inner[2] + 2 and inner[1] - 2 <= y <= inner[3] + 2)
                and ring.getpixel((x, y)) < 128
            ]
            assert not dark, (page, code.text, len(dark))
    assert urls <= read, urls - read


def test_addresses_break_only_where_an_address_may_and_notes_indent_past_their_letter(tmp_path: Path) -> None:
    deck = _links_deck(tmp_path, 0)
    pdf = tmp_path / "h.pdf"
    convert(deck, {"output": pdf, "handout": 6})
    text = page_texts(pdf)[0]
    assert squashed(LONG) in squashed(text)  # whole, in one piece when copied
    lines = _lines(pdf, 1)
    note = [line for line in lines if line[0].startswith(("The guide", "a-very", "index"))]
    assert len(note) >= 2, note  # it wraps in a 6-up caption
    for line, following in itertools.pairwise(note):
        assert not line[0].endswith("-"), note  # never at the address's own hyphen
        assert line[0].endswith("/") or following[0][0] in ".?&#", note
    left = next(line[1] for line in lines if line[0] == "Slide 1")  # the caption's left edge
    assert all(line[1] >= left + 2.2 * 6.5 for line in note[1:]), note  # past the letter badge (2.2 em wide)


def test_the_slide_marks_each_noted_link_with_its_note_s_letter(tmp_path: Path) -> None:
    deck = _links_deck(tmp_path, 2)
    noted, plain = tmp_path / "a.pdf", tmp_path / "b.pdf"
    convert(deck, {"output": noted, "handout": 6})
    convert(deck, {"output": plain, "handout": 6, "link_notes": False})
    # The slide says "reference 0" then the superscript "b" (its note's letter: "a" is the guide's).
    assert "reference0b" in squashed(page_texts(noted)[0]) and "reference1c" in squashed(page_texts(noted)[0])
    assert "reference0b" not in squashed(page_texts(plain)[0])


def test_small_code_and_tables_are_named_in_the_warning(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text(
        "title: T\n--\n\n### One\n\nText.\n\n--\n\n### Two\n\n    $ ls -l\n\n--\n\n### Three\n\n| a | b |\n|---|---|\n"
        "| 1 | 2 |\n",
        encoding="utf-8",
    )
    result = convert(deck, {"output": tmp_path / "a.pdf", "handout": 9})
    [warning] = [w for w in result.warnings if "--handout 9 prints" in w]
    assert "body text at 5.3 pt (slides 1-3, under 6 pt)" in warning and "--handout 6 prints all of it" in warning
    # Code and tables at 9-up print at 4 pt, the layout's floor: not under it, so not named.
    said = warning.split(" prints ", 1)[1]  # (the deck's path names the test)
    assert "code" not in said and "tables" not in said, warning
