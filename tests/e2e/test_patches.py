"""WeasyPrint patches are optional: off, or skipped when upstream changed, the pages and text are the same; and
they never touch a host program's own WeasyPrint documents."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from deck2pdf.model import FetchScope
from tests.conftest import REFERENCE_DECK


def _texts(pdf: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages]


def _deck2pdf(deck: Path, out: Path, cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(out), "--offline", "-v", "--cache-dir", str(cache)]
    environ = {k: v for k, v in os.environ.items() if k != "DECK2PDF_NO_PATCHES"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, env={**environ, **env}, check=False)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.slow
@pytest.mark.needs_shared
def test_the_reference_deck_prints_the_same_pages_and_text_with_patches_off(tmp_path: Path) -> None:
    on = _deck2pdf(REFERENCE_DECK, tmp_path / "on.pdf", tmp_path / "cache-on")
    off = _deck2pdf(REFERENCE_DECK, tmp_path / "off.pdf", tmp_path / "cache-off", DECK2PDF_NO_PATCHES="1")
    assert "deck2pdf: WeasyPrint 70.0: 8 patches applied" in on.stderr.splitlines()
    assert "deck2pdf: WeasyPrint 70.0: patches off (DECK2PDF_NO_PATCHES=1)" in off.stderr.splitlines()
    texts = _texts(tmp_path / "on.pdf")
    assert len(texts) == 59 and texts == _texts(tmp_path / "off.pdf")
    # Off, each chunk embeds its own font subsets: bigger, but the same fonts.
    assert (tmp_path / "off.pdf").stat().st_size > (tmp_path / "on.pdf").stat().st_size


def test_a_patch_whose_upstream_function_changed_is_skipped_and_the_render_succeeds(
    tmp_path: Path, make_deck: object
) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text("title: T\n--\n# One\n\n* a\n* b\n--\n# Two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import dataclasses, logging
        from pathlib import Path
        from deck2pdf.rendering import patches
        from deck2pdf.logs import setup
        changed = "box lengths resolved inline"
        patches.PATCHES = tuple(
            dataclasses.replace(p, targets=tuple((m, n, "0" * 64) for m, n, _ in p.targets)) if p.name == changed else p
            for p in patches.PATCHES
        )
        setup(logging.DEBUG)
        from deck2pdf.pipeline import convert
        convert(Path({str(deck)!r}), {{"output": Path({str(tmp_path / "out.pdf")!r}), "offline": True,
                "cache_dir": Path({str(tmp_path / "cache")!r}), "jobs": 1}})
        import weasyprint.layout.block as block
        print("original:", block.resolve_percentages.__module__)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert (
        "deck2pdf: patch 'box lengths resolved inline' skipped: weasyprint.layout.percent.resolve_percentages, "
        "weasyprint.layout.percent.percentage changed upstream" in done.stderr.splitlines()
    )
    assert "7 of 8 patches applied (upstream changed: box lengths resolved inline)" in done.stderr
    assert "original: weasyprint.layout.percent" in done.stdout
    normal = _deck2pdf(deck, tmp_path / "normal.pdf", tmp_path / "cache-normal")
    assert "8 patches applied" in normal.stderr
    assert _texts(tmp_path / "out.pdf") == _texts(tmp_path / "normal.pdf")


def test_a_host_programs_own_weasyprint_documents_are_left_alone(tmp_path: Path) -> None:
    """deck2pdf imported and rendering in the same process: the host's documents run WeasyPrint's own code (the
    patches' caches stay empty for them), deck2pdf's run the patches."""
    from deck2pdf.rendering import engine, patches
    from deck2pdf.rendering.pages import render_slides, write_pdf

    Image.new("RGB", (40, 20), "#336699").save(tmp_path / "p.png")
    from tests.unit.test_render import STYLE, slide

    html = STYLE + slide(1, f'<p style="color: red">host</p><img src="{(tmp_path / "p.png").as_uri()}">')
    weasyprint = engine.import_weasyprint()
    engine.start_deck()
    patches._PNG_DATA.clear()  # kept per process, not per deck: earlier tests' images may be there
    host = weasyprint.HTML(string=html, base_url=tmp_path.as_uri() + "/").write_pdf()
    assert b"%PDF" in host[:10]
    assert not patches._STYLES and not patches._PNG_DATA  # nothing went through the patches
    rendered = render_slides(html, tmp_path.as_uri() + "/", numbers=[1], scope=FetchScope((tmp_path,)))
    write_pdf(rendered, [s.page for s in rendered.slides])
    assert patches._STYLES and patches._PNG_DATA  # deck2pdf's own rendering did
    assert PdfReader(io.BytesIO(host)).pages[0].extract_text().strip() == "host"
