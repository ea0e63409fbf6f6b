"""One copy of each font in a PDF made of separately rendered chunks.

WeasyPrint embeds a subset of each font holding the glyphs its document uses, keeping glyph ids. Rendered
in chunks, a deck would carry one subset per chunk of every font. So the chunk renderers write a stand-in
instead of each (plain, static) font program and keep the original in a store named by its hash
(`patches.font_standins`); the join then subsets each original once for the glyphs of all chunks, with HarfBuzz's
subsetter and the options WeasyPrint subsets with, and gives every chunk the same font objects (`merge`). Fonts
WeasyPrint must transform (variable, colour or bitmap fonts, fonts with missing glyphs) are left to it: they stay
one subset per chunk.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import RenderError
from ..files import write_atomic

log = logging.getLogger("deck2pdf")

MARK = b"deck2pdf-font:"  # a stand-in font program: 4 bytes of the original, MARK, the original's name in the store
_STORED_NAME = re.compile(r"[0-9a-f]{64}-\d+\.font")
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def merge(pdf: Any, store: Path) -> list[Any]:
    """Replace the stand-ins in a pikepdf document by one subset of each font, and make the font dictionaries
    of one font (one per chunk) a single dictionary, so each font is embedded once. Return the document's /Font
    resource dictionaries (for `leftover`)."""
    import pikepdf

    uses: dict[bytes, list[tuple[Any, str, Any]]] = {}  # stand-in → (font resources, key, Type0 font) using it
    programs: dict[tuple[int, int], bytes | None] = {}
    resources = list(_font_resources(pdf))  # walking every object of the document takes a while: once
    for fonts in resources:
        for key in list(fonts.keys()):
            font = fonts[key]
            if font.objgen not in programs:
                programs[font.objgen] = _program(font)
            program = programs[font.objgen]
            if program is not None:
                uses.setdefault(program, []).append((fonts, key, font))
    for standin, used in uses.items():
        name = standin[4 + len(MARK) :].decode("ascii", "replace")
        try:
            if not _STORED_NAME.fullmatch(name):  # a damaged cache entry: never a path to follow
                raise OSError(name)
            original = (store / name).read_bytes()
        except OSError:
            raise MissingFontError(name) from None
        index = int(name.rsplit("-", 1)[1].split(".")[0])
        kept: dict[str, Any] = {}  # BaseFont → the one dictionary kept for it
        widths: dict[str, dict[int, Any]] = {}
        texts: dict[str, dict[int, bytes]] = {}
        read: set[tuple[int, int]] = set()
        for fonts, key, font in used:
            base = str(font.BaseFont)
            keep = kept.setdefault(base, font)
            if font.objgen not in read:
                read.add(font.objgen)
                widths.setdefault(base, {}).update(_widths(font.DescendantFonts[0].W))
                texts.setdefault(base, {}).update(_to_unicode(font.ToUnicode.read_bytes()))
            if font.objgen != keep.objgen:
                fonts[key] = keep
        glyphs = set().union(*(set(w) for w in widths.values()), *(set(t) for t in texts.values()))
        label = next(iter(kept))[1:].split("+")[-1]  # the font's name, for messages
        subset = _subset_kept(store, name, original, index, glyphs, label)
        stream = pikepdf.Stream(pdf, subset)
        # The subset's type, not the stand-in's: a collection's stand-in starts as "ttcf" whatever its fonts are.
        cff = subset[:4] == b"OTTO"
        if cff:
            stream.Subtype = pikepdf.Name.OpenType
        else:
            stream.Length1 = len(subset)
        for base, font in kept.items():
            descendant = font.DescendantFonts[0]
            descriptor = descendant.FontDescriptor
            for key in ("/FontFile3", "/FontFile2"):
                if key in descriptor:
                    del descriptor[key]
            descriptor["/FontFile3" if cff else "/FontFile2"] = stream
            descendant.Subtype = pikepdf.Name.CIDFontType0 if cff else pikepdf.Name.CIDFontType2
            descendant.W = _w_array(widths[base])
            if widths[base]:
                descriptor.FontBBox[2] = max(float(v) for v in widths[base].values())
            font.ToUnicode = pikepdf.Stream(pdf, _cmap(texts[base]))
    return resources


class MissingFontError(Exception):
    """A chunk (from the render cache) names a font the store no longer has: render it again."""


def prune(store: Path, keep: int = 400) -> None:
    """Keep the `keep` most recently made subsets (each edit that brings new glyphs makes one)."""
    try:
        subsets = sorted(store.glob("*.subset"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for path in subsets[: max(0, len(subsets) - keep)]:
        path.unlink(missing_ok=True)


def _font_resources(pdf: Any) -> Iterator[Any]:
    """Every /Font resource dictionary: of pages, and of form XObjects (drawn SVG images may hold text)."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        for holder in (obj, obj.get("/Resources")):
            fonts = holder.get("/Font") if isinstance(holder, pikepdf.Dictionary | pikepdf.Stream) else None
            if not isinstance(fonts, pikepdf.Dictionary):
                continue
            if fonts.is_indirect:  # shared by many pages: once is enough
                if fonts.objgen in seen:
                    continue
                seen.add(fonts.objgen)
            yield fonts


def leftover(resources: list[Any]) -> bool:
    """Whether a stand-in is still in the document's /Font resources (it would print as nothing: a bug)."""
    return any(_program(font) is not None for fonts in resources for font in fonts.values())


def _program(font: Any) -> bytes | None:
    try:
        descriptor = font.DescendantFonts[0].FontDescriptor
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
    for key in ("/FontFile3", "/FontFile2"):
        stream = descriptor.get(key)
        if stream is not None:
            if int(stream.get("/Length", 0)) > _STANDIN_MAX_BYTES:  # a real font: not decompressed to know
                return None
            data = bytes(stream.read_bytes())
            return data if data[4 : 4 + len(MARK)] == MARK else None
    return None


_STANDIN_MAX_BYTES = 1024  # a stand-in is 4 bytes, MARK and a file name; stored, it is never longer


def _widths(w: Any) -> dict[int, Any]:
    """Read a CID font's /W array: [first [w1 w2 …] first [w …] …] (WeasyPrint writes only this form)."""
    out: dict[int, Any] = {}
    items = list(w)
    for i in range(0, len(items) - 1, 2):
        first = int(items[i])
        for k, value in enumerate(items[i + 1]):
            out[first + k] = value
    return out


def _w_array(widths: dict[int, Any]) -> Any:
    import pikepdf

    out: list[Any] = []
    for gid in sorted(widths):
        if gid - 1 not in widths:
            out += [gid, pikepdf.Array()]
        out[-1].append(widths[gid])
    return pikepdf.Array(out)


def _to_unicode(cmap: bytes) -> dict[int, bytes]:
    """Glyph → text (UTF-16BE hex) pairs of a ToUnicode CMap made of bfchar entries, as WeasyPrint writes it."""
    body = cmap.split(b"endcodespacerange", 1)[-1]
    return {int(g, 16): u.lower() for g, u in _BFCHAR.findall(body)}


def _cmap(texts: dict[int, bytes]) -> bytes:
    """A ToUnicode CMap in WeasyPrint's words, for the merged glyphs."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(texts.items())
    for i in range(0, len(items), 100):
        batch = items[i : i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [b"<%04x> <%s>" % (gid, text) for gid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _subset_kept(store: Path, name: str, original: bytes, index: int, glyphs: set[int], label: str) -> bytes:
    """A subset, from the store when this one was made before (a deck rendered again usually uses the same
    glyphs, and a large font takes a while to subset)."""
    key = hashlib.sha256(",".join(map(str, sorted(glyphs))).encode()).hexdigest()[:32]
    path = store / f"{name}.{key}.subset"
    try:
        return path.read_bytes()
    except OSError:
        pass
    subset = _subset(original, index, glyphs, label)
    if subset is original:  # not subset: warn again next time
        return subset
    with contextlib.suppress(OSError):  # not kept: only costs time next time
        write_atomic(path, subset)
    return subset


def _subset(original: bytes, index: int, glyphs: set[int], label: str) -> bytes:
    """Subset font `index` of a font file (a collection has several) for `glyphs`, keeping glyph ids (the chunks'
    text names glyphs by id), exactly as WeasyPrint 70 subsets a document's fonts: HarfBuzz's subsetter (through
    uharfbuzz, its public Python binding), WeasyPrint's tables dropped, no hinting, no subroutines, unknown tables
    kept, then the empty glyphs after the last one used dropped. A font HarfBuzz cannot subset is embedded whole,
    with a warning."""
    import uharfbuzz as hb

    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    first = hb.SubsetInput()
    first.glyph_set.update(sorted(glyphs | {0}))
    first.flags = flags | hb.SubsetFlags.RETAIN_GIDS
    first.drop_table_tag_set.update(int.from_bytes(tag.ljust(4).encode(), "big") for tag in _DROPPED_TABLES)
    try:
        face = hb.subset(hb.Face(original, index), first)
        # Glyphs 0 to the last one used, all kept: their ids stay; the empty slots after the last go.
        second = hb.SubsetInput()
        second.glyph_set.update(range(max(glyphs | {0}) + 1))
        second.flags = flags | hb.SubsetFlags.NO_HINTING
        face = hb.subset(face, second) if face is not None else None
        data = bytes(face.blob.data) if face is not None else b""
    except Exception as exc:  # a damaged font
        log.debug("HarfBuzz's error", exc_info=True)
        data, why = b"", str(exc)
    else:
        why = "HarfBuzz could not subset it"
    if data:
        return data
    if original[:4] == b"ttcf":  # a collection is not a font program a PDF can embed
        raise RenderError(
            f"font {label} could not be subset ({why})",
            hint="set DECK2PDF_NO_PATCHES=1 to let WeasyPrint embed the fonts itself",
        )
    log.warning("font %s could not be subset (%s); it is embedded whole", label, why)
    return original


_DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG")
