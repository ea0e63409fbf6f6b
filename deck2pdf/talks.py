"""Turn a PDF that deck2pdf wrote into a Talk: what an archive of many talks says about each (title, author, date,
pages, whether it is PDF/A), read from the PDF's own metadata, so that a bundle or an index can be made from a
batch or, later, from its PDFs alone, and both ways say the same."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DeckError

_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?")


@dataclass(frozen=True)
class Talk:
    """One talk's PDF as an archive lists it."""

    pdf: Path
    title: str  # the PDF's title (the deck's `title`, else its first heading, else its file name)
    author: str  # the PDF's author ("" when the deck names none)
    date: str  # the PDF's creation date, YYYY-MM-DD (SOURCE_DATE_EPOCH, else the deck file's time)
    pages: int
    slides: int  # its bookmarks: one a slide, on slides and handouts alike (a continued slide has one)
    pdfa: bool  # the PDF declares PDF/A

    @property
    def name(self) -> str:
        """The talk's file name without `.pdf`: its identity in an archive (the deck's name)."""
        return self.pdf.stem


def read_talk(pdf_path: Path) -> Talk:
    """Return what `pdf_path` says about its talk; a file that is not a readable PDF is a DeckError."""
    import pikepdf

    try:
        with pikepdf.open(pdf_path) as pdf:
            info = pdf.docinfo
            title = _text(info.get("/Title")) or pdf_path.stem
            author = _text(info.get("/Author"))
            date = _date(_text(info.get("/CreationDate")))
            pdfa = bool(pdf.open_metadata().pdfa_status)
            with pdf.open_outline() as outline:
                slides = len(outline.root) or len(pdf.pages)
            return Talk(pdf_path, title, author, date, len(pdf.pages), slides, pdfa)
    except (OSError, pikepdf.PdfError) as exc:
        raise DeckError(f"cannot read the PDF ({exc})", file=pdf_path, hint="give PDFs that deck2pdf wrote") from None


def read_talks(pdfs: Sequence[Path]) -> list[Talk]:
    """Return the talks of `pdfs`, in their order."""
    return [read_talk(p) for p in pdfs]


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _date(value: str) -> str:
    """A PDF date (`D:20240501120000Z`) as YYYY-MM-DD; "" when there is none."""
    m = _PDF_DATE.match(value)
    if not m:
        return ""
    try:
        return datetime.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)).isoformat()
    except ValueError:
        return ""
