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


def join(parts: Sequence[bytes], font_store: Path, anchors: Sequence[str | None] = ()) -> tuple[Any, list[str]]:
    """Return the joined document (pikepdf, to be finished and saved by the caller) and what went wrong.

    The first part gives the document its metadata. Named destinations (every element id) and bookmarks of all
    parts are merged; `anchors` names each page's top left corner (the slides' ids, which the chunks leave
    out); links rendered as ELSEWHERE + id become links to that id; each font is embedded once."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(parts[0]))
    names = dests(pdf)
    outline: list[pikepdf.OutlineItem] = []
    for data in parts[1:]:
        part = pikepdf.open(io.BytesIO(data))
        pdf.pages.extend(part.pages)
        # Copied after the pages, so that their page references point to the pages just copied.
        for name, dest in dests(part).items():
            if name not in names:
                names[name] = foreign(pdf, part, dest)
        outline += [copied(pdf, part, item) for item in part.open_outline().root]
    if anchors:
        # Where WeasyPrint puts an element's anchor: its top left corner, the zoom kept.
        for page, anchor in zip(pdf.pages, anchors, strict=True):
            if anchor is not None:  # (a continuation page has none)
                names.setdefault(anchor, pikepdf.Array([page.obj, pikepdf.Name.XYZ, 0, float(page.mediabox[3]), 0]))
    rewritten = bool((len(parts) > 1 or anchors) and names)
    messages = _relink(pdf, names, rewritten)
    if rewritten:
        set_dests(pdf, names)
    if outline:
        with pdf.open_outline() as joined:
            joined.root.extend(outline)
    if fonts.leftover(fonts.merge(pdf, font_store)):
        raise RenderError("a font was left out of the PDF", hint="this is a bug; please report it with the deck")
    return pdf, messages


def set_dests(pdf: Any, names: dict[str, Any]) -> None:
    """Make `names` the PDF's named destinations (a name tree, sorted as PDF readers look names up)."""
    import pikepdf

    tree = pikepdf.NameTree.new(pdf)
    for name in sorted(names):
        tree[name] = names[name]
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    pdf.Root.Names.Dests = tree.obj


def dests(pdf: Any) -> dict[str, Any]:
    """Named destinations (WeasyPrint writes them in the /Names /Dests name tree)."""
    import pikepdf

    try:
        tree = pdf.Root.Names.Dests
    except AttributeError:
        return {}
    return dict(pikepdf.NameTree(tree).items())


def copied(pdf: Any, part: Any, item: Any, prefix: str = "") -> Any:
    """A bookmark of `part` (with those under it) for `pdf`, whose pages include the part's; a named destination
    gets `prefix` (the bundle's talk number: its names are prefixed so)."""
    import pikepdf

    destination = foreign(pdf, part, item.destination)
    if isinstance(destination, pikepdf.Array):  # in the item, as WeasyPrint writes it
        destination = pikepdf.Array(list(destination))
    elif prefix and isinstance(destination, pikepdf.String):
        destination = pikepdf.String(prefix + str(destination))
    copy = pikepdf.OutlineItem(
        item.title,
        destination,
        action=foreign(pdf, part, item.action),
        color=item.color,
        flags=item.flags,
    )
    copy.is_closed = item.is_closed
    copy.children = [copied(pdf, part, child, prefix) for child in item.children]
    return copy


def foreign(pdf: Any, part: Any, value: Any) -> Any:
    """An array or dictionary of `part` copied into `pdf` (its page references then point to the copied pages);
    a name or string as it is."""
    import pikepdf

    if not isinstance(value, pikepdf.Array | pikepdf.Dictionary):
        return value
    return pdf.copy_foreign(value if value.is_indirect else part.make_indirect(value))


def _relink(pdf: Any, names: dict[str, Any], rewritten: bool) -> list[str]:
    """Turn links to ELSEWHERE + id into links to the named destination id; drop those with no target. When the
    names are `rewritten` (pikepdf writes an id as PDFDocEncoding where it can, WeasyPrint always as UTF-16),
    write the links' ids the same way: a name is looked up byte for byte."""
    import pikepdf

    messages = []
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = []
        for annot in annots:
            if rewritten and isinstance(annot.get("/Dest"), pikepdf.String):
                annot.Dest = pikepdf.String(str(annot.Dest))
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
