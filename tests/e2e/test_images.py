"""Images that last: fetched once from a server on 127.0.0.1, cached, normalized, never lost silently, and safe.

All traffic goes to the test's own server (conftest.LocalHTTP), so these runs pass --allow-private-network.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from deck2pdf.errors import ExitCode
from deck2pdf.fetch import is_public
from deck2pdf.pipeline import convert

from .. import images
from ..conftest import LocalHTTP, Route
from ..helpers import git_work_tree, page_texts, pixels, rasterize

GOOD = {
    "/rgb.png": (images.png, "image/png"),
    "/photo.jpg": (images.jpeg, "image/jpeg"),
    "/cmyk.jpg": (images.cmyk_jpeg, "image/jpeg"),
    "/rotated.jpg": (images.rotated_jpeg, "image/jpeg"),
    "/plain.gif": (images.gif, "image/gif"),
    "/animated.gif": (images.animated_gif, "image/gif"),
    "/picture.webp": (images.webp, "image/webp"),
    "/vector.svg": (images.svg, "image/svg+xml"),
    "/deep.png": (images.png16, "image/png"),
}


def pdf_images(pdf: Path) -> list[tuple[int, int, int, str, int]]:
    """(page, width, height, colour space, bits per component) of each raster image, from pdfimages -list."""
    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        f = line.split()
        if f[2] == "image":
            rows.append((int(f[0]), int(f[3]), int(f[4]), f[5], int(f[7])))
    return rows


def deck_of(tmp_path: Path, server: LocalHTTP, paths: list[str]) -> Path:
    slides = "".join(f"--\n### {p}\n<img src='{server.url}{p}'>\n" for p in paths)
    deck = tmp_path / "deck" / "talk.md"
    deck.parent.mkdir(exist_ok=True)
    deck.write_text("title: Images\n" + slides)
    return deck


def run(deck: Path, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """The real command line, in a separate process (a clean logger and cache state each time)."""
    args = [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(tmp_path / "out.pdf")]
    args += ["--cache-dir", str(tmp_path / "cache"), "--allow-private-network", "--no-progress", *flags]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def serve_good(server: LocalHTTP) -> None:
    for path, (make, kind) in GOOD.items():
        server.routes[path] = Route(make(), kind, etag=f'"{path}-v1"')


def test_every_format_renders_normalized(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, list(GOOD))
    result = run(deck, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert "deck2pdf: 9 images: 9 fetched, 0 missing" in result.stderr
    pdf = tmp_path / "out.pdf"
    found = {page: (w, h, color, bpc) for page, w, h, color, bpc in pdf_images(pdf)}
    assert set(found) == {1, 2, 3, 4, 5, 6, 7, 9}  # page 8 is the SVG: drawn as vectors, not an image
    assert found[3][2] == "rgb"  # CMYK made RGB
    assert found[4][:2] == (100, 200)  # EXIF orientation applied: stored 200x100, shown upright
    assert found[6][:2] == (60, 40)  # the first frame of the animation
    assert found[9][2:] == ("gray", 8)  # 16-bit made 8-bit...
    grey = rasterize(pdf, 9, dpi=20)
    mid = [p for p in pixels(grey) if 100 < p[0] < 160 and p[0] == p[1] == p[2]]
    assert len(mid) > 20  # ...keeping its value: mid grey, not black
    green = [p for p in pixels(rasterize(pdf, 8, dpi=20)) if p[1] > 150 and p[0] < 80 and p[2] < 100]
    assert len(green) > 20  # the SVG's green rectangle


@pytest.mark.slow
def test_a_second_run_uses_the_cache_without_any_traffic(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, ["/rgb.png", "/photo.jpg"])
    assert run(deck, tmp_path).returncode == 0
    assert len(local_http.requests) == 2
    first = (tmp_path / "out.pdf").read_bytes()
    again = run(deck, tmp_path)
    assert again.returncode == 0 and len(local_http.requests) == 2  # no request at all
    assert "2 images: 2 from cache, 0 missing" in again.stderr
    local_http.stop()
    offline = run(deck, tmp_path)  # the server is gone: the cache still has them
    assert offline.returncode == 0 and "2 from cache" in offline.stderr and "warning" not in offline.stderr
    assert pdf_images(tmp_path / "out.pdf") == pdf_images(_written(tmp_path, first))


def _written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "first.pdf"
    path.write_bytes(data)
    return path


@pytest.mark.slow
def test_refresh_revalidates_with_a_conditional_request(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, ["/rgb.png"])
    run(deck, tmp_path)
    result = run(deck, tmp_path, "--refresh")
    assert result.returncode == 0 and "1 from cache" in result.stderr
    path, headers = local_http.requests[-1]
    assert path == "/rgb.png" and headers.get("If-None-Match") == '"/rgb.png-v1"'


@pytest.mark.slow
def test_a_damaged_cache_entry_is_fetched_again(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, ["/rgb.png"])
    run(deck, tmp_path)
    for data in (tmp_path / "cache" / "v1" / "data").iterdir():
        data.write_bytes(data.read_bytes()[:10])  # damage every cached file
    result = run(deck, tmp_path)
    assert result.returncode == 0 and "1 fetched" in result.stderr
    assert len(local_http.requests) == 2


@pytest.mark.slow
def test_offline_with_an_empty_cache_gives_placeholders_and_warnings(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, ["/rgb.png"])
    result = run(deck, tmp_path, "--offline")
    assert result.returncode == 0 and local_http.requests == []
    assert f"image '{local_http.url}/rgb.png' is not in the cache and --offline forbids downloading it" in result.stderr
    assert "1 image: 1 missing" in result.stderr
    assert "--offline forbids" in page_texts(tmp_path / "out.pdf")[0]


FAILURES = {
    "/missing.png": (Route(b"", status=404), "could not be downloaded: the server answered 404 Not Found"),
    "/slow.png": (Route(images.png(), "image/png", delay=6), "could not be downloaded: timed out after 3 s"),
    "/error.png": (
        Route(b"<!DOCTYPE html><html><body>Oops</body></html>", "text/html"),
        "is an HTML page, not an image",
    ),
    "/truncated.jpg": (Route(images.jpeg()[:600], "image/jpeg"), "is damaged (truncated or corrupt"),
    "/bomb.png": (Route(images.huge_png(), "image/png"), "has 100 megapixels, over the 40-megapixel limit"),
    "/loop.png": (Route(b"", status=302, location="/loop.png"), "could not be downloaded: more than 5 redirects"),
    "/ftp.png": (
        Route(b"", status=302, location="ftp://127.0.0.1/x.png"),
        "could not be downloaded: redirected to 'ftp://127.0.0.1/x.png', which is not an http(s) URL",
    ),
}


@pytest.mark.slow
def test_each_failure_is_a_placeholder_and_one_warning_and_strict_fails(tmp_path: Path, local_http: LocalHTTP) -> None:
    for path, (route, _) in FAILURES.items():
        local_http.routes[path] = route
    deck = deck_of(tmp_path, local_http, list(FAILURES))
    result = run(deck, tmp_path, "--image-timeout", "3")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("deck2pdf: warning:")]
    assert len(warnings) == len(FAILURES)
    texts = page_texts(tmp_path / "out.pdf")
    for n, (path, (_, reason)) in enumerate(FAILURES.items(), start=1):
        assert f"{deck}:{3 * n + 1} (slide {n}): image '{local_http.url}{path}' {reason}" in result.stderr
        assert path.lstrip("/") in texts[n - 1]  # the placeholder names the image on the printed page
    assert f"{len(FAILURES)} images: {len(FAILURES)} missing" in result.stderr
    strict = run(deck, tmp_path, "--image-timeout", "3", "--strict", "-o", str(tmp_path / "strict.pdf"))
    assert strict.returncode == ExitCode.ASSET and not (tmp_path / "strict.pdf").exists()


@pytest.mark.slow
def test_a_100_megapixel_image_is_refused_without_decoding_it(tmp_path: Path) -> None:
    deck = tmp_path / "talk.md"
    (tmp_path / "bomb.png").write_bytes(images.huge_png())
    deck.write_text("--\n![bomb](bomb.png)\n")
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "deck2pdf", str(deck), "--cache-dir", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "image 'bomb.png' has 100 megapixels, over the 40-megapixel limit (--max-image-pixels)" in result.stderr
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    assert peak_kb < 400_000  # decoding it would take 100 MB more; WeasyPrint embedding it, ~850 MB


def test_local_files_are_jailed_to_the_deck_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "pic.png").write_bytes(images.png())
    deck_dir = tmp_path / "talk"
    deck_dir.mkdir()
    (deck_dir / "inside.png").write_bytes(images.png())
    (deck_dir / "link.png").symlink_to(outside / "pic.png")
    deck = deck_dir / "talk.md"
    deck.write_text(
        "--\n![a](inside.png)\n--\n![b](../outside/pic.png)\n--\n![c](/etc/passwd)\n--\n![d](link.png)\n"
        "--\n![e](file:///etc/hostname)\n"
    )
    result = run(deck, tmp_path)
    refused = "is outside the deck's folder and was not read; allow its folder with --allow-dir"
    for ref in ("../outside/pic.png", "/etc/passwd", "link.png", "file:///etc/hostname"):
        assert f"image '{ref}' {refused}" in result.stderr
    assert "5 images: 1 local, 4 missing" in result.stderr
    allowed = run(deck, tmp_path, "--allow-dir", str(outside))
    assert "5 images: 3 local, 2 missing" in allowed.stderr  # ../outside/pic.png and link.png


@pytest.mark.slow
def test_the_git_work_tree_holding_the_deck_is_allowed(tmp_path: Path) -> None:
    git_work_tree(tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "logo.png").write_bytes(images.png())
    (tmp_path / "talks").mkdir()
    deck = tmp_path / "talks" / "talk.md"
    deck.write_text("--\n![logo](../images/logo.png)\n")
    result = run(deck, tmp_path)
    assert "1 image: 1 local, 0 missing" in result.stderr


def test_private_addresses_are_refused_unless_allowed(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, ["/rgb.png"])
    args = [sys.executable, "-m", "deck2pdf", str(deck), "--cache-dir", str(tmp_path / "c")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert (
        "could not be downloaded: refused: '127.0.0.1' is on a loopback, private or reserved network "
        "(allow with --allow-private-network)"
    ) in result.stderr
    assert local_http.requests == []
    for address in (
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "0.0.0.0",
    ):
        assert not is_public(address), address
    assert is_public("93.184.216.34") and is_public("2606:4700::1111")
    assert not is_public("::ffff:127.0.0.1")  # IPv4-mapped loopback


@pytest.mark.slow
def test_a_redirect_is_followed(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    local_http.routes["/moved.png"] = Route(b"", status=301, location="/rgb.png")
    deck = deck_of(tmp_path, local_http, ["/moved.png"])
    result = run(deck, tmp_path)
    assert "1 image: 1 fetched, 0 missing" in result.stderr
    assert [p for p, _ in local_http.requests] == ["/moved.png", "/rgb.png"]


@pytest.mark.slow
def test_images_in_the_deck_css_are_fetched_too(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = tmp_path / "deck" / "talk.md"
    deck.parent.mkdir()
    (deck.parent / "style.css").write_text(f".cover {{ background: url('{local_http.url}/photo.jpg') }}\n")
    deck.write_text(
        f'style: style.css\n--\n<div style="background-image: url({local_http.url}/rgb.png)">styled</div>\n-- cover\nx\n'
    )
    result = run(deck, tmp_path)
    assert "2 images: 2 fetched, 0 missing" in result.stderr and "warning" not in result.stderr
    # Backgrounds are drawn as patterns, which pdfimages does not list: look at the pages instead.
    for page in (1, 2):
        assert len(set(pixels(rasterize(tmp_path / "out.pdf", page, dpi=20)))) > 100  # the gradient is there


def test_no_construct_in_a_deck_embeds_a_file(tmp_path: Path) -> None:
    deck = tmp_path / "talk.md"
    (tmp_path / "secret.txt").write_text("secret")
    deck.write_text(
        '--\n<a rel="attachment" href="secret.txt">notes</a>\n<link rel="attachment" href="secret.txt">\n'
        "<a rel='nofollow attachment' href='secret.txt'>x</a>\n"
    )
    convert(deck, {"output": tmp_path / "o.pdf", "cache_dir": tmp_path / "c"})
    reader = PdfReader(tmp_path / "o.pdf")
    assert reader.attachments == {}
    assert b"secret" not in (tmp_path / "o.pdf").read_bytes()


@pytest.mark.slow
def test_downsampling_large_photos_shrinks_the_pdf(tmp_path: Path) -> None:
    deck = tmp_path / "talk.md"
    (tmp_path / "big.jpg").write_bytes(images.big_photo())
    (tmp_path / "big2.jpg").write_bytes(images.big_photo())  # the same picture: one file is printed at its largest use
    deck.write_text("--\n![photo](big.jpg)\n--\n<img src='big2.jpg' style='width: 320px'>\n")
    small = convert(deck, {"output": tmp_path / "a.pdf", "cache_dir": tmp_path / "c"})
    full = convert(deck, {"output": tmp_path / "b.pdf", "cache_dir": tmp_path / "c", "image_dpi": 1200})
    assert small.warnings == full.warnings == ()
    size_small, size_full = (tmp_path / "a.pdf").stat().st_size, (tmp_path / "b.pdf").stat().st_size
    print(f"\nPDF with a 3000x2000 photo twice: {size_full} bytes at --image-dpi 1200, {size_small} at 200")
    assert size_small < size_full / 2
    dims = sorted((w, h) for _, w, h, _, _ in pdf_images(tmp_path / "a.pdf"))
    # 320 Cleaver px at 30/32 px per px is 300 CSS px, 3.1 in: 625 px at 200 dpi; the full-size one fits the slide.
    assert dims[0][0] == pytest.approx(625, abs=2) and dims[1][0] < 3000


def test_data_urls_are_decoded_checked_and_normalized(tmp_path: Path) -> None:
    import base64

    deck = tmp_path / "talk.md"
    inline = base64.b64encode(images.rotated_jpeg()).decode()
    deck.write_text(f'--\n<img src="data:image/jpeg;base64,{inline}">\n--\n<img src="data:image/png;base64,AAAA">\n')
    result = convert(deck, {"output": tmp_path / "o.pdf", "cache_dir": tmp_path / "c"})
    assert [re.sub(r".*\): ", "", w) for w in result.warnings] == [
        "image 'data:image/png;base64,AAAA' is not an image format deck2pdf reads (PNG, JPEG, GIF, WebP, BMP or SVG)"
    ]
    assert pdf_images(tmp_path / "o.pdf")[0][1:3] == (100, 200)


@pytest.mark.slow
def test_two_processes_sharing_the_cache_do_not_corrupt_it(tmp_path: Path, local_http: LocalHTTP) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, list(GOOD))
    args = [
        sys.executable,
        "-m",
        "deck2pdf",
        str(deck),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--allow-private-network",
    ]
    both = [
        subprocess.Popen([*args, "-o", str(tmp_path / f"{n}.pdf")], stderr=subprocess.PIPE, text=True) for n in (1, 2)
    ]
    outputs = [p.communicate(timeout=120)[1] for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    assert all("warning" not in out for out in outputs)
    from deck2pdf.cache import Cache

    cache = Cache(tmp_path / "cache")
    assert all(cache.get(f"{local_http.url}{path}") is not None for path in GOOD)  # every entry whole
    assert not list((tmp_path / "cache").rglob(".*"))  # no temporary file left behind
    third = run(deck, tmp_path)
    assert "9 images: 9 from cache, 0 missing" in third.stderr


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\nshowpage\n%%EOF\n"


@pytest.mark.parametrize("untrusted", [False, True], ids=["trusted", "untrusted"])
def test_postscript_is_refused_with_a_placeholder_and_runs_no_ghostscript(tmp_path: Path, untrusted: bool) -> None:
    """EPS in the deck's folder (under any name) or in a data: URL, as an <img>, a CSS background, an SVG <image>:
    a warning and a placeholder each; the `gs` on PATH (a fake that leaves a mark) never runs."""
    import base64
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gs").write_text(f"#!/bin/sh\ntouch {tmp_path / 'gs-ran'}\nexit 1\n")
    (bin_dir / "gs").chmod(0o755)
    deck = tmp_path / "deck" / "talk.md"
    deck.parent.mkdir()
    for name in ("pic.eps", "pic.png", "pic.css"):
        (deck.parent / name).write_bytes(EPS)
    inline = "data:application/postscript;base64," + base64.b64encode(EPS).decode()
    deck.write_text(
        "--\n# E\n\n![a](pic.eps)\n\n![b](pic.png)\n\n"
        f"![c]({inline})\n\n"
        "<div style='width:50px;height:50px;background:url(pic.css)'></div>\n"
        "<svg width='40' height='40'><image href='pic.eps' width='40' height='40'/></svg>\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    args = [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(tmp_path / "out.pdf"), "--offline"]
    done = subprocess.run(
        [*args, *(["--untrusted"] if untrusted else [])], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "gs-ran").exists()
    refused = [line for line in done.stderr.splitlines() if "is PostScript (EPS/PS)" in line]
    assert len(refused) == 4 and all(line.startswith("deck2pdf: warning: ") for line in refused)
    assert "image data:application/postscript" in page_texts(tmp_path / "out.pdf")[0]  # a placeholder


def test_the_renderer_serves_no_postscript_or_unknown_format_whatever_the_name(tmp_path: Path) -> None:
    """The wall behind the image stage: WeasyPrint gives what it fetches to Pillow with every decoder on."""
    import weasyprint

    from deck2pdf.model import FetchScope
    from deck2pdf.rendering.pages import _local_only_fetcher

    (tmp_path / "a.css").write_bytes(EPS)
    (tmp_path / "b.png").write_bytes(EPS)
    (tmp_path / "c.png").write_bytes(
        b"\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00\x18\x00\x00\x00\xff"
    )
    (tmp_path / "d.png").write_bytes(images.png())
    fetcher = _local_only_fetcher(weasyprint, FetchScope(roots=(tmp_path,)))
    for name, why in (("a.css", "PostScript"), ("b.png", "PostScript"), ("c.png", "not an image format")):
        with pytest.raises(ValueError, match=why):
            fetcher.fetch((tmp_path / name).as_uri())
    assert fetcher.fetch((tmp_path / "d.png").as_uri())


def test_an_image_cached_from_a_private_address_is_refused_offline_for_that_reason(
    tmp_path: Path, local_http: LocalHTTP
) -> None:
    serve_good(local_http)
    deck = deck_of(tmp_path, local_http, ["/rgb.png"])
    assert run(deck, tmp_path).returncode == 0  # cached, with --allow-private-network
    args = [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(tmp_path / "o.pdf"), "--offline"]
    done = subprocess.run([*args, "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (
        f"image '{local_http.url}/rgb.png' is cached from a private network address, which this run refuses "
        "(allow with --allow-private-network)"
    ) in done.stderr
    assert "not in the cache" not in done.stderr
