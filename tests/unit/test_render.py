"""Render: one page per slide, overflow found, a cut slide's hidden words dropped, only allowed files read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deck2pdf.errors import RenderError
from deck2pdf.render import render_slides, write_pdf

STYLE = """<style>@page { size: 400px 200px; margin: 0 } body { margin: 0 }
section { position: relative; width: 400px; height: 200px; overflow: hidden }
section + section { break-before: page }
.slide-frame { position: absolute; top: 0; right: 0; bottom: 0; left: 0; overflow: hidden }
.slide-content { display: inline-block; width: 100%; height: 100%; box-sizing: border-box; padding: 10px;
  overflow: hidden; vertical-align: top; font: 16px/20px sans-serif }</style>"""


def slide(n: int, body: str) -> str:
    return (
        f'<section id="slide-{n}"><div class="slide-frame"><div class="slide-content">{body}'
        f'<span class="slide-end" id="slide-end-{n}"></span></div></div></section>'
    )


def render(html: str, numbers: list[int], tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return render_slides(STYLE + html, tmp_path.as_uri() + "/", numbers=numbers, allowed_roots=[tmp_path], **kw)


def test_a_slide_that_fits_is_not_reported(tmp_path: Path) -> None:
    rendered = render(slide(1, "<p>short</p>"), [1], tmp_path)
    assert rendered.overflowing == () and [s.number for s in rendered.slides] == [1]


def test_a_long_slide_is_reported_and_its_hidden_lines_are_dropped(tmp_path: Path) -> None:
    lines = "".join(f'<div><a href="http://e.org/{i}">word{i}</a></div>' for i in range(30))
    rendered = render(slide(1, lines) + slide(2, "<p>second</p>"), [1, 2], tmp_path)
    assert rendered.overflowing == (1,)
    # 9 lines of 20 px fit in the 180 px content box of 30 lines: it would fit at about 9/30 of its size
    assert rendered.slides[0].fit == pytest.approx(180 / 600, abs=0.02)
    pdf = tmp_path / "out.pdf"
    data, missing = write_pdf(rendered, [s.page for s in rendered.slides])
    assert missing == []
    pdf.write_bytes(data)
    from ..helpers import links, page_texts

    first, second = page_texts(pdf)
    assert "word0" in first and "word8" in first and "word9" not in first
    assert "word" not in second
    assert links(pdf)[0] == [f"http://e.org/{i}" for i in range(9)]


def test_a_wide_unbreakable_line_is_overflow(tmp_path: Path) -> None:
    rendered = render(slide(1, '<p style="white-space: nowrap">' + "x" * 200 + "</p>"), [1], tmp_path)
    assert rendered.overflowing == (1,)


def test_one_slide_may_be_rendered_at_several_sizes(tmp_path: Path) -> None:
    html = slide(3, "<p>a</p>") + slide(3, "<p>b</p>")
    assert [s.number for s in render(html, [3, 3], tmp_path).slides] == [3, 3]


def test_page_count_must_equal_slide_count(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="made 2 pages for 1 slides"):
        render(slide(1, "a") + slide(2, "b"), [1], tmp_path)


def _loaded(tmp_path: Path, src: str, **kw: object) -> list[str]:
    rendered = render(slide(1, f'<img src="{src}" style="width:10px;height:10px">'), [1], tmp_path, **kw)
    return list(rendered.messages)


def test_only_files_in_allowed_places_are_read(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(tmp_path / "ok.png")
    assert _loaded(tmp_path, "ok.png") == []
    outside = tmp_path.parent / f"outside-{tmp_path.name}.png"
    Image.new("RGB", (4, 4), "red").save(outside)
    try:
        assert any("outside the allowed folders" in m for m in _loaded(tmp_path, outside.as_uri()))
        assert any("outside the allowed folders" in m for m in _loaded(tmp_path, "file:///etc/passwd"))
        # An image the assets stage resolved is served from where it put it, in an allowed folder.
        served = {"https://example.org/x.png": tmp_path / "ok.png"}
        assert _loaded(tmp_path, "https://example.org/x.png", served=served) == []
    finally:
        outside.unlink()
    assert any("not fetched at render time" in m for m in _loaded(tmp_path, "http://127.0.0.1:9/x.png"))


def test_devices_and_fifos_are_never_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.png")
    assert any("not a regular file" in m for m in _loaded(tmp_path, "fifo.png"))
    assert any("outside the allowed folders" in m for m in _loaded(tmp_path, "file:///dev/zero"))
