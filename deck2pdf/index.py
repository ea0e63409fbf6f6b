"""Turn talks' PDFs into an offline index page: `index.html` in the archive's folder, with each talk's title, author,
date, slide count, a thumbnail of its first slide and links to its PDF, handout and source.

Plain HTML and CSS (print-themes/index.html.j2): no script, and nothing it shows or links lies outside its folder,
so it works from a USB stick (file://) as from any web server. Thumbnails are drawn from the PDFs with PDFium
(pypdfium2); a deck's source is copied beside them (from the batch, or from the PDF's attached deck)."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from ._version import __version__
from .bundle import Cover
from .errors import RenderError, UsageError
from .files import write_atomic
from .talks import Talk
from .themes import THEMES_DIR

INDEX = "index.html"
TEMPLATE = "index.html.j2"
THUMBNAILS = "thumbnails"  # thumbnails/<the PDF's path in the folder>.png
SOURCES = "sources"  # sources/<the PDF's path in the folder, as .md>
HANDOUTS = "handouts"  # a talk's handout, when there is one: handouts/NAME.pdf beside its PDF
THUMBNAIL_WIDTH = 480  # pixels: sharp at the page's widest column on a high-density phone screen


@dataclass(frozen=True)
class Listed:
    """What the index wrote for one talk (the batch's --json report names them)."""

    thumbnail: Path
    source: Path | None
    handout: Path | None


def write_index(
    folder: Path,
    talks: Sequence[Talk],
    cover: Cover,
    *,
    decks: Mapping[Path, Path] | None = None,
    bundle: Path | None = None,
) -> dict[Path, Listed]:
    """Write `folder`/index.html listing `talks` in their order; return what was written for each talk's PDF.

    Every talk's PDF (and `bundle`, linked at the top) must be inside `folder`. `decks` maps a PDF to the deck it
    was made from (a batch knows it); otherwise the deck attached to the PDF (--embed-source, --pdfa) is the
    source, and a talk with neither has no source link."""
    import jinja2

    root = folder.resolve()
    listed: dict[Path, Listed] = {}
    rows = []
    for talk in talks:
        place = _inside(root, talk.pdf)
        thumbnail = folder / THUMBNAILS / place.with_suffix(".png")
        width, height = _write_thumbnail(talk.pdf, thumbnail)
        source = _copy_source(talk, (decks or {}).get(talk.pdf), folder / SOURCES / place.with_suffix(".md"))
        handout = talk.pdf.parent / HANDOUTS / talk.pdf.name
        listed[talk.pdf] = Listed(thumbnail, source, handout if handout.is_file() else None)
        rows.append(
            {
                "title": talk.title,
                "author": talk.author,
                "date": talk.date,
                "slides": talk.slides,
                "pdf": _href(root, talk.pdf),
                "thumbnail": _href(root, thumbnail),
                "width": width,
                "height": height,
                "handout": _href(root, handout) if handout.is_file() else None,
                "source": _href(root, source) if source is not None else None,
            }
        )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEMES_DIR), autoescape=True)
    html = env.get_template(TEMPLATE).render(
        lang="en",
        title=cover.title,
        subtitle=cover.subtitle,
        date=cover.date,
        generator=f"deck2pdf {__version__}",
        bundle=_href(root, bundle) if bundle is not None else None,
        talks=rows,
    )
    _write(folder / INDEX, html.encode())
    return listed


def _inside(root: Path, path: Path) -> PurePosixPath:
    """`path` relative to `root`, which must hold it: the index links only files in its folder."""
    try:
        return PurePosixPath(path.resolve().relative_to(root).as_posix())
    except ValueError:
        raise UsageError(
            f"--index: {path} is outside the index's folder {root}",
            hint="give -d a folder that holds every PDF (the index links only files inside it)",
        ) from None


def _href(root: Path, path: Path) -> str:
    """A relative link from index.html to `path`, percent-encoded."""
    return quote(str(_inside(root, path)))


def _write_thumbnail(pdf: Path, target: Path) -> tuple[int, int]:
    """Draw the first page of `pdf` THUMBNAIL_WIDTH pixels wide into `target` (PNG); return its size."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(pdf)
        try:
            page = document[0]
            image = page.render(scale=THUMBNAIL_WIDTH / page.get_width()).to_pil()
        finally:
            document.close()
    except pypdfium2.PdfiumError as exc:
        raise RenderError(f"cannot draw a thumbnail of {pdf} ({exc})", file=pdf) from None
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    _write(target, out.getvalue())
    return image.width, image.height


def _copy_source(talk: Talk, deck: Path | None, target: Path) -> Path | None:
    """Copy the talk's deck to `target`: the given `deck`, else the deck attached to its PDF; None when neither."""
    if deck is not None and deck.is_file():
        data = deck.read_bytes()
    else:
        attached = _attached_deck(talk.pdf)
        if attached is None:
            return None
        data = attached
    _write(target, data)
    return target


def _attached_deck(pdf_path: Path) -> bytes | None:
    """The deck deck2pdf attached to a PDF (its /Source Markdown file), if any."""
    import pikepdf

    with pikepdf.open(pdf_path) as pdf:
        for name, spec in sorted(pdf.attachments.items()):
            if name.endswith(".md") and spec.obj.get("/AFRelationship") == "/Source":
                return bytes(spec.get_file().read_bytes())
    return None


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError as exc:
        raise UsageError(f"--index: cannot write {path} ({os.strerror(exc.errno or 0)})") from None
