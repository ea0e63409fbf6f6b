"""Pipes and odd outputs, as a Unix user expects them, and the library API a program uses."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

import deck2pdf
from deck2pdf.errors import Deck2PdfError

from ..conftest import LocalHTTP, Route
from ..helpers import page_texts

DECK = "title: Pipes\nstyle: s.css\n--\n\n# Hello from a pipe\n\n![dot](p.png)\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "d.md").write_text(DECK, encoding="utf-8")
    (tmp_path / "s.css").write_text("h1 { color: #c00 }\n", encoding="utf-8")
    Image.new("RGB", (20, 20), "#3366aa").save(tmp_path / "p.png")
    return tmp_path


def _run(folder: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "deck2pdf", *args, "-q"], cwd=folder, input=stdin, capture_output=True, check=False
    )


def test_a_deck_from_stdin_to_stdout(folder: Path) -> None:
    done = _run(folder, "-", "-o", "-", stdin=DECK.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"%PDF-")
    (folder / "out.pdf").write_bytes(done.stdout)
    assert "Hello from a pipe" in page_texts(folder / "out.pdf")[0]
    assert "image" not in done.stderr.decode()  # p.png found relative to the current folder
    assert sorted(p.name for p in folder.iterdir()) == ["d.md", "out.pdf", "p.png", "s.css"]  # nothing left behind
    alone = _run(folder, "-", stdin=DECK.encode())  # no -o: standard output
    assert alone.returncode == 0 and alone.stdout.startswith(b"%PDF-")


def test_a_symlink_output_is_written_through(folder: Path) -> None:
    (folder / "real.pdf").write_bytes(b"old")
    (folder / "link.pdf").symlink_to("real.pdf")
    assert _run(folder, "d.md", "-o", "link.pdf").returncode == 0
    assert (folder / "link.pdf").is_symlink()
    assert (folder / "real.pdf").read_bytes().startswith(b"%PDF-")


def test_a_fifo_output_is_streamed_into(folder: Path) -> None:
    fifo = folder / "f.pdf"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    done = _run(folder, "d.md", "-o", "f.pdf")
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert got and got[0].startswith(b"%PDF-")
    assert fifo.is_fifo()  # still a FIFO, not renamed over


@pytest.mark.parametrize(
    ("target", "why"),
    [("s.css", "which the deck uses"), ("p.png", "which the deck uses"), ("d.md", "the deck"), (".", "is a directory")],
)
def test_the_deck_s_own_files_and_folders_are_refused(folder: Path, target: str, why: str) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    done = _run(folder, "d.md", "-o", target)
    assert done.returncode == 7 and why in done.stderr.decode()
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_the_library_renders_text_and_files_to_bytes(folder: Path) -> None:
    pdf = deck2pdf.render("title: T\n--\n# Hi\n", handout=2)
    assert pdf.startswith(b"%PDF-")
    pdf = deck2pdf.render((folder / "d.md").read_bytes(), base_dir=folder)  # relative paths from base_dir
    (folder / "a.pdf").write_bytes(pdf)
    assert "Hello from a pipe" in page_texts(folder / "a.pdf")[0]
    assert deck2pdf.render(folder / "d.md")[:5] == b"%PDF-"
    assert not (folder / "d.pdf").exists()  # render writes nothing
    with pytest.raises(Deck2PdfError):
        deck2pdf.render("title: T\n--\n# Hi\n", handout=5)


@pytest.mark.slow
def test_type_checkers_see_the_api(tmp_path: Path) -> None:
    script = tmp_path / "use.py"
    script.write_text(
        "import deck2pdf\nfrom pathlib import Path\n"
        "pdf: bytes = deck2pdf.render('# Hi', handout=2)\n"
        "result: deck2pdf.Result = deck2pdf.convert(Path('x.md'), {'output': Path('x.pdf')})\n"
        "reveal_type(deck2pdf.render)\n",
        encoding="utf-8",
    )
    cache = tmp_path / "mypy-cache"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), str(script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert '**options: Any) -> bytes"' in done.stdout


def test_rendering_in_a_program_leaves_its_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    changed: list[str] = []
    original = type(os.environ).__setitem__

    def spy(self: object, key: str, value: str) -> None:
        changed.append(key)
        original(self, key, value)  # type: ignore[arg-type]

    monkeypatch.setattr(type(os.environ), "__setitem__", spy)
    assert deck2pdf.render("title: T\n--\n# Hi\n\nSome text.\n", render_cache=False)[:5] == b"%PDF-"
    assert changed == []


def test_images_come_through_the_proxy_the_environment_names(
    tmp_path: Path, local_http: LocalHTTP, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is the user's trust: the proxy (here on 127.0.0.1) is used whatever its address. The image's host
    is resolved and checked by deck2pdf, and the proxy asked for the checked address with the name as `Host`
    (`localhost` needs --allow-private-network); NO_PROXY skips the proxy. One server plays proxy and origin."""
    png = tmp_path / "p.png"
    Image.new("RGB", (40, 20), "#3366aa").save(png)
    port = local_http.port
    for path in (f"http://127.0.0.1:{port}/p.png", f"http://[::1]:{port}/p.png", "/p.png"):
        local_http.routes[path] = Route(png.read_bytes(), "image/png")
    deck = tmp_path / "d.md"
    deck.write_text(f"title: P\n--\n\n# Proxied\n\n![p](http://localhost:{port}/p.png)\n", encoding="utf-8")
    monkeypatch.setenv("HTTP_PROXY", local_http.url)
    options = {"output": tmp_path / "a.pdf", "render_cache": False, "cache_dir": tmp_path / "cache"}
    result = deck2pdf.convert(deck, {**options, "allow_private_network": True})
    assert not result.warnings and "1 fetched" in result.images
    [(path, headers)] = local_http.requests
    assert path != "/p.png" and headers["Host"] == f"localhost:{port}"
    refused = deck2pdf.convert(deck, {**options, "offline": True})  # cached as fetched from a private address
    assert [w for w in refused.warnings if "is cached from a private network address" in w]
    monkeypatch.setenv("NO_PROXY", "localhost")
    result = deck2pdf.convert(deck, {**options, "allow_private_network": True, "cache_dir": tmp_path / "other"})
    assert "1 fetched" in result.images and local_http.requests[-1][0] == "/p.png"  # asked directly


@pytest.mark.parametrize("flags", [{}, {"untrusted": True, "allow_network": True}])
def test_a_name_on_this_machine_is_refused_through_a_proxy(
    tmp_path: Path, local_http: LocalHTTP, monkeypatch: pytest.MonkeyPatch, flags: dict[str, bool]
) -> None:
    local_http.routes[f"http://127.0.0.1:{local_http.port}/p.png"] = Route(b"png", "image/png")
    deck = tmp_path / "d.md"
    deck.write_text(f"title: P\n--\n\n# P\n\n![p](http://localhost:{local_http.port}/p.png)\n", encoding="utf-8")
    monkeypatch.setenv("HTTP_PROXY", local_http.url)
    result = deck2pdf.convert(deck, {"output": tmp_path / "a.pdf", "render_cache": False, **flags})
    assert [w for w in result.warnings if "private or reserved network (allow with --allow-private-network)" in w]
    assert local_http.requests == []


def test_an_image_named_with_escapes_is_refused_as_output_and_render_checks_no_output(folder: Path) -> None:
    Image.new("RGB", (20, 20), "#3366aa").save(folder / "my pic.png")
    (folder / "e.md").write_text("title: E\n--\n# E\n\n![p](my%20pic.png)\n", encoding="utf-8")
    before = (folder / "my pic.png").read_bytes()
    done = _run(folder, "e.md", "-o", "my pic.png")
    assert done.returncode == 7 and (folder / "my pic.png").read_bytes() == before
    (folder / "e.pdf").mkdir()  # where convert would write: render writes nothing, so it does not care
    assert deck2pdf.render(folder / "e.md")[:5] == b"%PDF-"


def test_json_and_a_pdf_on_stdout_are_refused_together(folder: Path) -> None:
    done = _run(folder, "d.md", "-o", "-", "--json")
    assert done.returncode == 2 and b"--json" in done.stderr and not done.stdout


@pytest.mark.parametrize("host", ["localhost", "127.1", "2130706433", "0x7f.1", "[::1]", "10.0.0.1"])
def test_a_proxy_is_not_a_way_into_this_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    from deck2pdf.fetch import FetchError, FetchPolicy, fetch

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with pytest.raises(FetchError, match="private or reserved"):
        fetch(f"http://{host}/x.png", FetchPolicy())


@pytest.mark.parametrize(("flags", "name"), [((), "deck.md"), (("--stdin-name", "talk.md"), "talk.md")])
@pytest.mark.parametrize("archive", ["--pdfa", "--embed-source"])
def test_a_deck_from_stdin_attaches_the_text_read_not_a_file_named_stdin(
    folder: Path, archive: str, flags: tuple[str, ...], name: str
) -> None:
    import pikepdf

    (folder / "<stdin>").write_text("SECRET", encoding="utf-8")
    done = _run(folder, "-", archive, *flags, "-o", "out.pdf", stdin=DECK.encode())
    assert done.returncode == 0, done.stderr
    with pikepdf.open(folder / "out.pdf") as pdf:
        attached = {n: spec.get_file().read_bytes() for n, spec in pdf.attachments.items()}
    assert attached[name] == DECK.encode() and b"SECRET" not in b"".join(attached.values())
