"""The render cache and the system's fonts: a font installed after a render is used by the next one, cached or not."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import fonts, page_texts

pytestmark = pytest.mark.slow

WORD = "日本語"  # no font of the private fontconfig setup below has these, until one is installed

# Only the fonts of one folder: the system's fonts (which include CJK fonts on CI) stay out.
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def _system_font(*query: str) -> Path:
    """A font file of this machine's fontconfig setup (CI installs fonts-dejavu-core and fonts-noto-cjk)."""
    found = subprocess.run(["fc-list", "--format", "%{file}\n", *query], capture_output=True, text=True, check=False)
    files = sorted(Path(line) for line in found.stdout.splitlines() if line.strip())
    if not files:
        pytest.skip(f"no font for {' '.join(query)} on this machine (make system-deps installs one)")
    return files[0]


def _from(font: Path, pdf: Path) -> list[str]:
    """The fonts embedded in `pdf` that come from the file `font`, by their family names (WeasyPrint names an
    embedded font by its family and style: "ABCDEF+Noto-Sans-CJK-SC-Bold")."""
    out = subprocess.run(["fc-scan", "--format", "%{family}\n", str(font)], capture_output=True, text=True, check=True)
    families = {name.replace(" ", "-") for line in out.stdout.splitlines() for name in line.split(",") if name}
    return [f.name for f in fonts(pdf) if any(f.name.split("+")[-1].startswith(family) for family in families)]


def test_a_font_installed_after_a_render_draws_the_glyphs_the_cached_chunks_lacked(tmp_path: Path) -> None:
    plain = _system_font("DejaVu Sans:style=Book")
    cjk = _system_font(f":charset={ord(WORD[0]):x}:style=Regular")
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(plain, folder)
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=folder, cache=tmp_path / "fontconfig-cache"), encoding="utf-8")
    deck = tmp_path / "deck.md"
    deck.write_text(f"title: Fonts\n--\n## Greeting\n\nIn Japanese: {WORD}\n", encoding="utf-8")
    out = tmp_path / "deck.pdf"

    def render() -> str:
        command = [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(out), "--offline"]
        done = subprocess.run(
            [*command, "--cache-dir", str(tmp_path / "cache"), "-v"],
            env={**os.environ, "FONTCONFIG_FILE": str(conf)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    before = render()
    assert f"no font has a glyph for '{WORD[0]}' (U+{ord(WORD[0]):04X})" in before
    assert not _from(cjk, out)

    shutil.copy(cjk, folder)  # installed: fontconfig finds it in its folder
    after = render()
    assert "no font has a glyph" not in after
    assert "0 from the render cache" in after
    assert WORD in "".join(page_texts(out))
    assert _from(cjk, out), fonts(out)

    again = render()  # nothing changed since: all from the cache
    assert "0 rendered" in again and "no font has a glyph" not in again
