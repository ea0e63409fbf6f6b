"""The join's pieces: CID widths and ToUnicode maps read and written back, links across chunks."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from deck2pdf.errors import RenderError
from deck2pdf.model import FetchScope
from deck2pdf.rendering import fonts, patches
from deck2pdf.rendering.join import ELSEWHERE, join


def test_widths_round_trip() -> None:
    widths = {3: 500, 4: 510, 5: 520, 9: 600, 40: 250}
    array = fonts._w_array(widths)
    assert [int(x) if isinstance(x, int) else [int(v) for v in x] for x in array] == [
        3,
        [500, 510, 520],
        9,
        [600],
        40,
        [250],
    ]
    assert {k: int(v) for k, v in fonts._widths(array).items()} == widths


def test_to_unicode_round_trip() -> None:
    texts = {n: f"{0x41 + n % 26:04x}".encode() for n in range(250)}
    texts[7] = b"00660066"  # a ligature: two characters
    assert fonts._to_unicode(fonts._cmap(texts)) == texts


def _pdf_with_links(uris: list[str]) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    page.obj.Annots = pikepdf.Array(
        [
            pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=[0, 0, 10, 10],
                    A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri)),
                )
            )
            for uri in uris
        ]
    )
    pdf.Root.Names = pikepdf.Dictionary(
        Dests=pikepdf.Dictionary(
            Names=pikepdf.Array([pikepdf.String("here"), pikepdf.Array([page.obj, pikepdf.Name.Fit])])
        )
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_links_to_other_chunks_become_named_destinations_and_dangling_ones_are_dropped(tmp_path: Path) -> None:
    first = _pdf_with_links([ELSEWHERE + "here", ELSEWHERE + "nowhere", "https://example.org/"])
    doc, messages = join([first, _pdf_with_links([])], tmp_path)
    annots = list(doc.pages[0].Annots)
    assert [str(a.get("/Dest", "")) for a in annots] == ["here", ""]
    assert str(annots[1].A.URI) == "https://example.org/"
    assert messages == ["No anchor #nowhere for internal URI reference"]
    assert len(doc.pages) == 2


def test_links_name_their_target_in_the_bytes_of_the_joined_name_tree(tmp_path: Path) -> None:
    """WeasyPrint writes an id with an accent as UTF-16 in its links and names; the joined name tree holds it as
    pikepdf writes it, and readers look a link's name up byte for byte (poppler does): the links follow."""
    utf16 = pikepdf.String(b"\xfe\xff" + "café".encode("utf-16-be"))
    part = pikepdf.new()
    part.add_blank_page()
    page = part.pages[0].obj
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 9, 9], Dest=utf16)
    page.Annots = pikepdf.Array([part.make_indirect(link)])
    part.Root.Names = pikepdf.Dictionary(
        Dests=pikepdf.Dictionary(Names=pikepdf.Array([utf16, pikepdf.Array([page, pikepdf.Name.Fit])]))
    )
    data = io.BytesIO()
    part.save(data)
    doc, _ = join([data.getvalue(), _pdf_with_links([])], tmp_path)

    def keys(node: Any) -> list[bytes]:
        if "/Names" in node:
            return [bytes(node.Names[i]) for i in range(0, len(node.Names), 2)]
        return [key for kid in node.Kids for key in keys(kid)]

    assert bytes(doc.pages[0].Annots[0].Dest) in keys(doc.Root.Names.Dests)
    assert str(doc.pages[0].Annots[0].Dest) == "café"


def test_the_join_replaces_every_font_stand_in_and_checks_it(tmp_path: Path) -> None:
    """Chunks carry stand-ins for their fonts; the join puts one subset in their place, and its check finds
    any stand-in left (there are, before the merge)."""
    from deck2pdf.rendering.pages import render_slides, write_pdf

    store = tmp_path / "fonts"
    store.mkdir()
    html = "<style>@page { size: 300px 100px; margin: 0 }</style><section><p>Hello <b>there</b></p></section>"
    with patches.font_standins(store):
        rendered = render_slides(html, tmp_path.as_uri() + "/", numbers=[1], scope=FetchScope((tmp_path,)))
        part = write_pdf(rendered, [s.page for s in rendered.slides])[0]
    with pikepdf.open(io.BytesIO(part)) as pdf:
        assert fonts.leftover(list(fonts._font_resources(pdf)))  # stand-ins, before the merge
    doc, _ = join([part, part], store)
    resources = list(fonts._font_resources(doc))
    assert not fonts.leftover(resources)
    programs: dict[str, set[tuple[int, int]]] = {}
    for resource in resources:
        for font in resource.values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            programs.setdefault(str(font.BaseFont), set()).add(program.objgen)
    assert len(programs) == 2 and all(len(p) == 1 for p in programs.values())  # each font once, for both parts


def _part_with_bookmarks(k: int) -> bytes:
    """Two pages; bookmarks "Part k" (page 1) > "k.a" (page 2) > "k.a.i", the second part's closed; a named
    destination "id-k" on page 2."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.add_blank_page()
    with pdf.open_outline() as outline:
        top, child = pikepdf.OutlineItem(f"Part {k}", 0), pikepdf.OutlineItem(f"{k}.a", 1)
        child.children.append(pikepdf.OutlineItem(f"{k}.a.i", 1))
        top.children.append(child)
        top.is_closed = k == 2
        outline.root.append(top)
    tree = pikepdf.NameTree.new(pdf)
    tree[f"id-{k}"] = pikepdf.Array([pdf.pages[1].obj, pikepdf.Name.XYZ, 0, 100, 0])
    pdf.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_bookmarks_and_named_destinations_of_every_part_keep_their_order_nesting_and_pages(tmp_path: Path) -> None:
    doc, _ = join([_part_with_bookmarks(k) for k in (1, 2, 3)], tmp_path, anchors=[f"page-{n}" for n in range(6)])
    saved = io.BytesIO()
    doc.save(saved)
    pdf = pikepdf.open(saved)
    number = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}

    def tree(items: list[pikepdf.OutlineItem]) -> list[tuple[str, int, bool, list[Any]]]:
        return [(i.title, number[i.destination[0].objgen], i.is_closed, tree(i.children)) for i in items]

    with pdf.open_outline() as outline:
        assert tree(outline.root) == [
            (f"Part {k}", 2 * k - 2, k == 2, [(f"{k}.a", 2 * k - 1, False, [(f"{k}.a.i", 2 * k - 1, False, [])])])
            for k in (1, 2, 3)
        ]
    dests = pikepdf.NameTree(pdf.Root.Names.Dests)
    assert {name: number[dest[0].objgen] for name, dest in dests.items()} == {
        **{f"id-{k}": 2 * k - 1 for k in (1, 2, 3)},
        **{f"page-{n}": n for n in range(6)},
    }


def _cjk_collection() -> str:
    found = subprocess.run(["fc-match", "--format", "%{file}", "Noto Sans CJK JP"], capture_output=True, text=True)
    if not found.stdout.endswith((".ttc", ".otc")):
        pytest.skip("Noto Sans CJK (a font collection, Debian's fonts-noto-cjk) is not installed")
    return "Noto Sans CJK JP"


def test_a_cff_font_of_a_collection_is_embedded_as_an_opentype_font(tmp_path: Path) -> None:
    """The stand-in of a font from a collection starts with "ttcf", which says nothing of its kind: the join
    writes what its subset is (CFF here), as WeasyPrint does, and PDF readers find what they are told."""
    from deck2pdf.rendering.pages import render_slides, write_pdf

    family = _cjk_collection()
    store = tmp_path / "fonts"
    store.mkdir()
    html = (
        f"<style>@page {{ size: 300px 100px }} p {{ font-family: '{family}' }}</style><section><p>日本語</p></section>"
    )
    with patches.font_standins(store):
        rendered = render_slides(html, tmp_path.as_uri() + "/", numbers=[1], scope=FetchScope((tmp_path,)))
        part = write_pdf(rendered, [s.page for s in rendered.slides])[0]
    doc, _ = join([part, part], store)
    used = [f for r in fonts._font_resources(doc) for f in r.values() if "CJK" in str(f.BaseFont)]
    assert used
    for font in used:
        descendant = font.DescendantFonts[0]
        program = descendant.FontDescriptor.FontFile3
        assert descendant.Subtype == "/CIDFontType0" and "/FontFile2" not in descendant.FontDescriptor
        assert program.Subtype == "/OpenType" and program.read_bytes()[:4] == b"OTTO"
    doc.save(tmp_path / "cjk.pdf")
    text = subprocess.run(["pdftotext", str(tmp_path / "cjk.pdf"), "-"], capture_output=True, check=True)
    assert text.stdout.decode().split() == ["日本語", "日本語"] and not text.stderr  # poppler: no "Mismatch"


def test_subsets_keep_glyph_ids_and_leave_out_layout_tables_and_hinting() -> None:
    """The options WeasyPrint subsets a document's fonts with: the chunks' text names glyphs by id."""
    from fontTools.ttLib import TTFont

    original = (Path(__file__).parents[2] / "fonts" / "JetBrainsMono-Regular.ttf").read_bytes()
    full = TTFont(io.BytesIO(original))
    used = {full.getGlyphID(full.getBestCmap()[ord(c)]) for c in "HE!"}
    subset = TTFont(io.BytesIO(fonts._subset(original, 0, used, "JetBrains Mono")))
    assert {"GSUB", "GPOS", "DSIG", "fpgm", "prep", "cvt "} <= set(full.keys())
    assert not {"GSUB", "GPOS", "DSIG", "fpgm", "prep", "cvt "} & set(subset.keys())

    def glyph(font: TTFont, gid: int) -> tuple[list[tuple[int, int]], int]:
        """A glyph's points and the length of its hinting program."""
        g = font["glyf"][font.getGlyphOrder()[gid]]
        program = g.program.getBytecode() if hasattr(g, "program") else b""
        return list(g.getCoordinates(font["glyf"])[0]), len(program)

    for gid in used:
        assert glyph(subset, gid)[0] == glyph(full, gid)[0] and glyph(full, gid)[0]
        assert glyph(subset, gid)[1] == 0 < glyph(full, gid)[1]
    assert not any(glyph(subset, gid)[0] for gid in range(max(used)) if gid not in used)  # the others: empty


def test_a_font_that_cannot_be_subset_is_embedded_whole_unless_it_is_a_collection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    damaged = b"\x00\x01\x00\x00" + b"\x00" * 60
    assert fonts._subset(damaged, 0, {1, 2}, "Broken Sans") is damaged
    assert "font Broken Sans could not be subset" in caplog.text
    with pytest.raises(RenderError, match="Broken Serif"):
        fonts._subset(b"ttcf" + b"\x00" * 60, 1, {1, 2}, "Broken Serif")
