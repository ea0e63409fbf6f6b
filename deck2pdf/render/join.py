"""Join the PDFs of a deck's chunks into one: pages, bookmarks, link targets, links across chunks, fonts."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..errors import RenderError
from . import fonts

ELSEWHERE = "x-deck2pdf-anchor:"  # links to another chunk's slides are rendered as links to this scheme


def join(parts: Sequence[bytes], font_store: Path, anchors: Sequence[str] = ()) -> tuple[Any, list[str]]:
    """Return the joined document (pikepdf, to be finished and saved by the caller) and what went wrong.

    The first part gives the document its metadata. Named destinations (every element id) and bookmarks of all
    parts are merged; `anchors` names each page's top left corner (the slides' ids, which the chunks leave
    out); links rendered as ELSEWHERE + id become links to that id; each font is embedded once."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(parts[0]))
    names = _dests(pdf)
    outline = _outline(pdf)
    for data in parts[1:]:
        part = pikepdf.open(io.BytesIO(data))
        pdf.pages.extend(part.pages)
        # Copied after the pages, so that their page references point to the pages just copied.
        for name, dest in _dests(part).items():
            if name not in names:
                names[name] = pdf.copy_foreign(dest if dest.is_indirect else part.make_indirect(dest))
        outline += [pdf.copy_foreign(item) for item in _outline(part)]
    if anchors:
        # Where WeasyPrint puts an element's anchor: its top left corner, the zoom kept.
        for page, name in zip(pdf.pages, anchors, strict=True):
            names.setdefault(name, pikepdf.Array([page.obj, pikepdf.Name.XYZ, 0, float(page.mediabox[3]), 0]))
    messages = _relink(pdf, names)
    if len(parts) > 1 or anchors:
        if names:
            pairs: list[Any] = []
            for name in sorted(names):
                pairs += [pikepdf.String(name), names[name]]
            if "/Names" not in pdf.Root:
                pdf.Root.Names = pikepdf.Dictionary()
            pdf.Root.Names.Dests = pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(pairs)))
        _set_outline(pdf, outline)
    if fonts.leftover(fonts.merge(pdf, font_store)):
        raise RenderError("a font was left out of the PDF", hint="this is a bug; please report it with the deck")
    return pdf, messages


def _dests(pdf: Any) -> dict[str, Any]:
    """Named destinations: WeasyPrint writes them as one flat /Names array under /Root/Names/Dests."""
    try:
        flat = list(pdf.Root.Names.Dests.Names)
    except AttributeError:
        return {}
    return {str(flat[i]): flat[i + 1] for i in range(0, len(flat) - 1, 2)}


def _outline(pdf: Any) -> list[Any]:
    """The top-level bookmark items, each with its children."""
    try:
        item = pdf.Root.Outlines.First
    except AttributeError:
        return []
    items = []
    while item is not None:
        items.append(item)
        item = item.get("/Next")
    return items


def _set_outline(pdf: Any, items: list[Any]) -> None:
    import pikepdf

    if not items:
        return
    root = pdf.Root.get("/Outlines")
    if root is None:
        root = pdf.Root.Outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    count = 0
    for i, item in enumerate(items):
        item.Parent = root
        for key, other in (
            ("/Prev", items[i - 1] if i else None),
            ("/Next", items[i + 1] if i + 1 < len(items) else None),
        ):
            if other is not None:
                item[key] = other
            elif key in item:
                del item[key]
        count += 1 + max(0, int(item.get("/Count", 0)))
    root.First, root.Last, root.Count = items[0], items[-1], count


def _relink(pdf: Any, names: dict[str, Any]) -> list[str]:
    """Turn links to ELSEWHERE + id into links to the named destination id; drop those with no target."""
    import pikepdf

    messages = []
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = []
        for annot in annots:
            uri = annot.get("/A", {}).get("/URI") if annot.get("/Subtype") == "/Link" else None
            if uri is None or not str(uri).startswith(ELSEWHERE):
                kept.append(annot)
                continue
            target = unquote(str(uri)[len(ELSEWHERE) :])
            if target in names:
                del annot["/A"]
                annot.Dest = pikepdf.String(target)
                kept.append(annot)
            else:
                messages.append(f"No anchor #{target} for internal URI reference")
        if len(kept) != len(annots):
            page.obj.Annots = pikepdf.Array(kept)
    return messages
