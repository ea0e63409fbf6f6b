"""Rendering in chunks (parallel processes, the render cache) gives the PDF one process gives."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from deck2pdf.pipeline import convert
from deck2pdf.rendering import chunks
from tests.helpers import fonts, links, outline, page_labels, page_texts


def _deck(folder: Path, slides: int = 30, edited: int | None = None) -> Path:
    """A deck over several chunks: links across chunks, code (a second font), bold, italics."""
    parts = ["title: Chunky\nauthor:\n  name: Ann Author\n"]
    for n in range(1, slides + 1):
        body = f"Text of slide {n}, **bold** and *italic*." + (" Edited!" if n == edited else "")
        if n == 2:
            body += f"\n\nJump to [the last slide](#slide-{slides}) or to [the code](#code-{slides - 1})."
        if n == slides - 1:
            body += '\n\n<h3 id="code-29x">Code</h3>\n\n```python\ndef f(x):\n    return x + 1\n```'
            body = body.replace("code-29x", f"code-{n}")
        if n == slides:
            body += "\n\n[Back to slide 2](#slide-2) and [the web](https://example.org/deck)."
        parts.append(f"--\n## Slide {n}\n{body}\n")
    deck = folder / "deck.md"
    deck.write_text("".join(parts), encoding="utf-8")
    return deck


def _internal_links(pdf: Path) -> list[list[int]]:
    """For each page, the (1-based) pages its internal links go to."""
    reader = PdfReader(pdf)
    named = {name: reader.get_destination_page_number(d) + 1 for name, d in reader.named_destinations.items()}
    out = []
    for page in reader.pages:
        targets = []
        for annot in page.get("/Annots") or []:
            dest = annot.get_object().get("/Dest")
            if dest is not None:
                targets.append(named[str(dest)])
        out.append(targets)
    return out


def _render(deck: Path, out: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, **overrides: object) -> Path:
    monkeypatch.setattr(chunks, "CHUNK_SLIDES", chunk)  # every chunk `chunk` slides long
    monkeypatch.setattr(chunks, "MIN_CHUNK_SLIDES", chunk)
    convert(deck, {"output": out, "cache_dir": deck.parent / "cache", **overrides})
    return out


def test_chunked_output_equals_a_one_process_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = _deck(tmp_path)
    one = _render(deck, tmp_path / "one.pdf", monkeypatch, chunk=1000, render_cache=False)
    many = _render(deck, tmp_path / "many.pdf", monkeypatch, chunk=7, render_cache=False, jobs=2)
    assert len(page_texts(many)) == 31
    assert page_texts(many) == page_texts(one)
    assert links(many) == links(one)
    assert _internal_links(many) == _internal_links(one)
    assert _internal_links(many)[1] == [30, 29]  # slide 2 links into the last chunks
    assert _internal_links(many)[29] == [2]  # and back
    assert outline(many) == outline(one)
    assert [title for title, _ in outline(many)][:3] == ["Slide 1", "Slide 2", "Slide 3"]
    # One copy of each font, subset, embedded; the file is about as small as one process makes it.
    names = [f.name for f in fonts(many)]
    assert sorted(names) == sorted(f.name for f in fonts(one))
    assert len(names) == len(set(names)) and all(f.embedded and f.subset for f in fonts(many))
    assert many.stat().st_size < one.stat().st_size * 1.15
    with pikepdf.open(many) as pdf:
        programs = [
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream) and ("/Length1" in o or o.get("/Subtype") == "/OpenType")
        ]
        assert len(programs) == len(set(names))
        assert not any(b"deck2pdf-font:" in p.read_bytes() for p in programs)


@pytest.mark.slow
def test_every_slide_is_a_link_target_shrunk_continued_cut_or_in_the_same_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The slides' anchors (`#slide-N`) are made when the chunks are joined: every slide has one, at its page's
    top left corner, whether it was shrunk to fit, cut, or is in the linking slide's own chunk."""
    shrunk = "\n\n".join(f"Line {k} of a slide a little too long" for k in range(14))
    cut = "\n\n".join(f"Line {k} of a slide far too long" for k in range(120))
    slides = ["To [three](#slide-3), [four](#slide-4), [five](#slide-5).", "text", shrunk, cut, "end"]
    deck = tmp_path / "deck.md"
    deck.write_text("".join(f"--\n## Slide {n}\n{body}\n" for n, body in enumerate(slides, 1)), encoding="utf-8")
    caplog.set_level("INFO", logger="deck2pdf")
    one = _render(deck, tmp_path / "one.pdf", monkeypatch, chunk=1000, render_cache=False)
    many = _render(deck, tmp_path / "many.pdf", monkeypatch, chunk=2, render_cache=False, jobs=2)
    tagged = _render(deck, tmp_path / "tagged.pdf", monkeypatch, chunk=2, render_cache=False, pdfua=True)  # unjoined
    cut_many = _render(deck, tmp_path / "cut.pdf", monkeypatch, chunk=2, render_cache=False, overflow="cut")
    assert "slide 3 shrunk" in caplog.text and "(slide 4): it does not fit its page" in caplog.text
    for pdf in (one, many, tagged, cut_many):
        reader = PdfReader(pdf)
        targets = {
            name: (reader.get_destination_page_number(d) + 1, float(d.left), float(d.top))
            for name, d in reader.named_destinations.items()
            if re.fullmatch(r"slide-\d+", name)
        }
        height = float(reader.pages[0].mediabox.top)
        page_of = {n: page_labels(pdf).index(str(n)) + 1 for n in range(1, 6)}  # after slide 4's continuations
        assert targets == {f"slide-{n}": (page_of[n], 0.0, height) for n in range(1, 6)}, pdf.name
        assert _internal_links(pdf)[0] == [page_of[3], page_of[4], page_of[5]]
    assert page_labels(cut_many) == ["1", "2", "3", "4", "5"]
    assert page_labels(many)[4] == "4 (cont.)"


@pytest.mark.slow
def test_the_number_of_processes_does_not_change_a_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = _deck(tmp_path)
    a = _render(deck, tmp_path / "a.pdf", monkeypatch, chunk=7, render_cache=False, jobs=1)
    b = _render(deck, tmp_path / "b.pdf", monkeypatch, chunk=7, render_cache=False, jobs=2)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.slow
def test_an_edit_re_renders_only_its_chunk_and_the_output_equals_a_full_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    deck = _deck(tmp_path)
    _render(deck, tmp_path / "first.pdf", monkeypatch, chunk=7)
    _deck(tmp_path, edited=17)  # slide 17 is in the third chunk of 7 (the title slide is slide 1)
    caplog.set_level("DEBUG", logger="deck2pdf")
    cached = _render(deck, tmp_path / "cached.pdf", monkeypatch, chunk=7)
    assert "5 chunk(s): 1 rendered, 4 from the render cache" in caplog.text
    full = _render(deck, tmp_path / "full.pdf", monkeypatch, chunk=7, render_cache=False)
    assert cached.read_bytes() == full.read_bytes()
    assert "Edited!" in page_texts(cached)[16]


def test_chunk_length_follows_the_deck_length() -> None:
    def lengths(slides: int, builds: tuple[tuple[int, ...], ...] = ()) -> list[int]:
        job = chunks.Job(
            None,
            {},
            tuple(range(1, slides + 1)),
            True,
            0.5,
            12.0,
            "continue",
            builds,
            None,
            (),
            0,
            Path(),
            chunked=True,
        )  # type: ignore[arg-type]
        return [len(c) for c in job.plan()]

    assert lengths(3) == [3]
    assert lengths(5) == [3, 2]
    assert lengths(59) == [8] * 3 + [7] * 5  # not 7 of 8 and one of 3: the cores finish together
    assert lengths(300) == [12] * 25
    assert lengths(301) == [12] * 15 + [11] * 11
    assert lengths(1000) == [12] * 76 + [11] * 8
    # No chunk ends inside a build (it is fitted as one): 8 | 9 becomes 10 | 11; 52 | 53 stays.
    assert lengths(59, ((7, 8, 9, 10), (51, 52))) == [10, 6, 8, 7, 7, 7, 7, 7]


def test_the_render_cache_notices_style_sheets_and_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from PIL import Image

    Image.new("RGB", (40, 20), "red").save(tmp_path / "pic.png")
    deck = tmp_path / "deck.md"
    slides = "".join(f"--\n## Slide {n}\n{'![pic](pic.png)' if n == 9 else 'text'}\n" for n in range(1, 15))
    deck.write_text("style: own.css\n" + slides, encoding="utf-8")
    (tmp_path / "own.css").write_text("h2 { color: #123456 }", encoding="utf-8")
    caplog.set_level("DEBUG", logger="deck2pdf")

    def rendered() -> str:
        caplog.clear()
        _render(deck, tmp_path / "out.pdf", monkeypatch, chunk=5)
        return re.search(r"\d+ chunk\(s\): (\d+) rendered", caplog.text).group(1)  # type: ignore[union-attr]

    assert rendered() == "3"
    assert rendered() == "0"
    (tmp_path / "own.css").write_text("h2 { color: #654321 }", encoding="utf-8")
    assert rendered() == "3"  # the style sheet is on every page
    Image.new("RGB", (40, 20), "blue").save(tmp_path / "pic.png")
    assert rendered() == "1"  # only the chunk with the picture


def test_a_cache_whose_fonts_were_deleted_renders_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    deck = _deck(tmp_path, slides=12)
    first = _render(deck, tmp_path / "first.pdf", monkeypatch, chunk=5)
    shutil.rmtree(tmp_path / "cache" / "v1" / "fonts")
    caplog.set_level("DEBUG", logger="deck2pdf")
    again = _render(deck, tmp_path / "again.pdf", monkeypatch, chunk=5)
    assert "rendering again without the render cache" in caplog.text
    assert again.read_bytes() == first.read_bytes()


def test_a_background_image_changed_on_disk_is_drawn_anew_not_taken_from_the_render_cache(tmp_path: Path) -> None:
    """An image a slide names only in CSS (`background: url(bg.png)`) is part of what its chunk depends on."""
    from PIL import Image

    from tests.helpers import rasterize

    deck = tmp_path / "talk.md"
    deck.write_text('--\n<div style="width: 100%; height: 300px; background: url(bg.png)"></div>\n', encoding="utf-8")
    options = {"offline": True, "cache_dir": tmp_path / "cache", "output": tmp_path / "out.pdf", "progress": False}
    colours = []
    for colour in ("#ff0000", "#0000ff"):
        Image.new("RGB", (40, 40), colour).save(tmp_path / "bg.png")
        convert(deck, options)
        colours.append(rasterize(tmp_path / "out.pdf", 1).convert("RGB").getpixel((100, 60)))
    assert colours[0][0] > 200 and colours[1][2] > 200, colours  # red, then blue


def test_the_fitter_s_trials_leave_no_note_of_ids_defined_twice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The fitter lays a slide out at two sizes in one document, so its ids are there twice: by design, not worth a
    line of `-v` per fitted slide."""
    deck = tmp_path / "deck.md"
    long = "\n".join(f"- item {i} of a list too long for its page" for i in range(14))
    deck.write_text(f"--\n### Long {{#long}}\n\n{long}\n\n<p id='x'>x</p>\n")
    with caplog.at_level(logging.DEBUG, logger="deck2pdf"):
        result = convert(deck, {"output": tmp_path / "out.pdf", "render_cache": False})
    assert result.pages == 1 and "shrunk to" in caplog.text  # the slide was fitted
    assert not [r for r in caplog.records if "defined twice" in r.getMessage()]
