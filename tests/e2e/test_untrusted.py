"""Hostile decks: no byte of a file outside the allowed folders reaches the PDF, and every run ends on its own.

A secret file lies beside the deck's folder; the deck tries every way to pull it in. Each PDF is then searched,
every stream decompressed, for the secret's text."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from deck2pdf.errors import ExitCode
from tests.helpers import git_work_tree

from ..conftest import LocalHTTP, Route

SECRET = "TOP-SECRET-7f3a91c2"


def all_bytes(pdf: Path) -> bytes:
    """Every object and stream of the PDF, decompressed."""
    chunks = [pdf.read_bytes()]
    with pikepdf.open(pdf) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    chunks.append(obj.read_bytes())
                except pikepdf.PdfError:
                    chunks.append(obj.read_raw_bytes())
    return b"".join(chunks)


@pytest.fixture
def setting(tmp_path: Path) -> tuple[Path, Path]:
    """A deck folder and, outside it, a secret text, a secret SVG and a symlink to the secret from inside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "secret.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><text y="20">{SECRET}</text></svg>'
    )
    (outside / "secret.css").write_text(f'h3::after {{ content: "{SECRET}" }}')
    deck_dir = tmp_path / "talk"
    deck_dir.mkdir()
    (deck_dir / "link.svg").symlink_to(outside / "secret.svg")
    (deck_dir / "inner.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="50">'
        f'<image href="{(outside / "secret.svg").as_uri()}" width="200" height="50"/></svg>'
    )
    os.mkfifo(deck_dir / "pipe.png")
    return deck_dir, outside


HOSTILE = """title: Hostile
style: ../outside/secret.css
--
### Images
<img src="{secret_svg}"> ![b](../outside/secret.svg) ![c](link.svg) ![d](inner.svg) ![e](/dev/zero) ![f](pipe.png)
--
### CSS
<div style="background: url({secret_svg}); height: 50px">x</div>
<style>@import url({secret_css}); @font-face {{ font-family: X; src: url({secret_txt}) }} h1 {{ font-family: X }}</style>
--
### Attachments and embeds
<a rel="attachment" href="{secret_txt}">a</a> <link rel="attachment" href="{secret_txt}">
<object data="{secret_txt}"></object> <embed src="{secret_txt}"> <iframe src="{secret_txt}"></iframe>
<script>document.write("{secret}")</script>
"""


@pytest.mark.parametrize("untrusted", [True, pytest.param(False, marks=pytest.mark.slow)])
def test_no_byte_of_an_outside_file_reaches_the_pdf(
    setting: tuple[Path, Path], tmp_path: Path, untrusted: bool
) -> None:
    deck_dir, outside = setting
    deck = deck_dir / "talk.md"
    deck.write_text(
        HOSTILE.format(
            secret_svg=(outside / "secret.svg").as_uri(),
            secret_css=(outside / "secret.css").as_uri(),
            secret_txt=(outside / "secret.txt").as_uri(),
            secret=SECRET,
        )
    )
    out = tmp_path / "out.pdf"
    args = [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(out), "--cache-dir", str(tmp_path / "c")]
    try:  # the timeout only keeps a hang from stalling the run: the FIFO and /dev/zero must be refused, not read
        result = subprocess.run(
            [*args, *(["--untrusted"] if untrusted else [])], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        pytest.fail("deck2pdf did not end on its own: it waits on the deck's FIFO or reads /dev/zero")
    assert result.returncode == 0, result.stderr
    # Text is stored as glyph numbers, so the secret is looked for in the extracted text as well as in the bytes.
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert SECRET not in text and "Images" in text  # the slides themselves are there
    assert SECRET.encode() not in all_bytes(out)
    assert "script" not in text
    with pikepdf.open(out) as doc:
        assert not doc.attachments
    refused = result.stderr
    # ../outside/secret.svg is the same file as the file:// URL before it: one warning, naming the first.
    for ref in ((outside / "secret.svg").as_uri(), "link.svg", "/dev/zero"):
        assert f"image '{ref}' is outside the deck's folder" in refused
    assert "image 'pipe.png' is not a regular file" in refused
    assert "`style:` sheet" in refused and "is outside the deck's folder and was not read" in refused


@pytest.mark.slow
def test_untrusted_allows_no_git_tree_or_extra_folder(tmp_path: Path) -> None:
    git_work_tree(tmp_path)
    (tmp_path / "pics").mkdir()
    Image.new("RGB", (10, 10), "red").save(tmp_path / "pics" / "a.png")
    (tmp_path / "talk").mkdir()
    deck = tmp_path / "talk" / "talk.md"
    deck.write_text("--\n![a](../pics/a.png)\n")
    base = [sys.executable, "-m", "deck2pdf", str(deck), "--cache-dir", str(tmp_path / "c")]
    trusted = subprocess.run(base, capture_output=True, text=True)
    assert "1 image: 1 local, 0 missing" in trusted.stderr
    untrusted = subprocess.run(
        [*base, "--untrusted", "--allow-dir", str(tmp_path / "pics")], capture_output=True, text=True
    )
    assert "is outside the deck's folder" in untrusted.stderr and "1 missing" in untrusted.stderr


@pytest.mark.slow
def test_untrusted_makes_no_network_request_unless_allowed(tmp_path: Path, local_http: LocalHTTP) -> None:
    local_http.routes["/a.png"] = Route(_png(), "image/png")
    local_http.routes["/hop.png"] = Route(b"", status=302, location=f"{local_http.url}/a.png")
    deck = tmp_path / "talk.md"
    deck.write_text(f"--\n![a]({local_http.url}/hop.png)\n")
    base = [sys.executable, "-m", "deck2pdf", str(deck), "--cache-dir", str(tmp_path / "c"), "--allow-private-network"]
    result = subprocess.run([*base, "--untrusted"], capture_output=True, text=True)
    assert local_http.requests == [] and "--offline forbids downloading it" in result.stderr
    allowed = subprocess.run([*base, "--untrusted", "--allow-network"], capture_output=True, text=True)
    assert "1 fetched" in allowed.stderr and [p for p, _ in local_http.requests] == ["/hop.png", "/a.png"]


@pytest.mark.slow
def test_a_data_url_bomb_is_refused(tmp_path: Path) -> None:
    out = BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    bomb = base64.b64encode(out.getvalue()).decode()
    deck = tmp_path / "talk.md"
    deck.write_text(f'--\n<img src="data:image/png;base64,{bomb}">\n')
    result = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(deck), "--untrusted", "--cache-dir", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "over the 20-megapixel limit (--max-image-pixels)" in result.stderr


def test_untrusted_limits_are_tighter(tmp_path: Path) -> None:
    deck = tmp_path / "talk.md"
    deck.write_text("".join(f"--\n{i}\n" for i in range(600)))
    result = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(deck), "--untrusted"], capture_output=True, text=True
    )
    assert result.returncode == ExitCode.DECK and "over the 500-slide limit" in result.stderr


def _png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (20, 10), "blue").save(out, "PNG")
    return out.getvalue()


def test_an_untrusted_deck_cannot_read_other_decks_images_from_the_cache(tmp_path: Path) -> None:
    """The image cache holds every deck's images; the renderer serves a deck only its own, never the cache folder."""
    cache = tmp_path / "cache"
    first = tmp_path / "first"
    first.mkdir()
    Image.new("RGB", (60, 40), "#c01234").save(first / "secret.bmp")  # normalized into the cache
    (first / "talk.md").write_text("--\n![s](secret.bmp)\n", encoding="utf-8")
    args = [sys.executable, "-m", "deck2pdf", "--offline", "--cache-dir", str(cache), "-q"]
    subprocess.run([*args, str(first / "talk.md"), "-o", str(tmp_path / "first.pdf")], check=True, timeout=120)
    cached = [p for p in (cache / "v1").rglob("*") if p.is_file() and p.parent.name in ("data", "named")]
    assert cached
    other = tmp_path / "other"
    other.mkdir()
    refs = "".join(f'<div style="width:60px;height:40px;background:url({p.as_uri()})"></div>' for p in cached)
    (other / "talk.md").write_text(f"--\n{refs}\n", encoding="utf-8")
    out = tmp_path / "other.pdf"
    done = subprocess.run(
        [*args, str(other / "talk.md"), "-o", str(out), "--untrusted"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    with pikepdf.open(out) as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
    assert not images  # nothing of the cache reached the PDF
