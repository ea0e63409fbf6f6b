"""The join's pieces: CID widths and ToUnicode maps read and written back, links across chunks."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

from deck2pdf.render import fonts, patches
from deck2pdf.render.join import ELSEWHERE, join


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


def test_the_join_replaces_every_font_stand_in_and_checks_it(tmp_path: Path) -> None:
    """Chunks carry stand-ins for their fonts; the join puts one subset in their place, and its check finds
    any stand-in left (there are, before the merge)."""
    from deck2pdf.render.pages import render_slides, write_pdf

    store = tmp_path / "fonts"
    store.mkdir()
    html = "<style>@page { size: 300px 100px; margin: 0 }</style><section><p>Hello <b>there</b></p></section>"
    with patches.font_standins(store):
        rendered = render_slides(html, tmp_path.as_uri() + "/", numbers=[1], allowed_roots=[tmp_path])
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
