"""Every stage of a conversion sits inside the same walls: a deck that makes the parser, the image stage or the
renderer run on is ended at --timeout, leaves no temporary file, and says so in one line (exit 6)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import deck2pdf
from deck2pdf.errors import Deck2PdfError, GaveUp

SLACK = 5.0  # seconds a run may take past its deadline: the interpreter's start, the kill, a loaded machine


def _run(deck: Path | str, *args: str | Path, temp: Path, stdin: Path | None = None) -> tuple[int, str, float]:
    """Run the command in a process of its own with TMPDIR `temp`; its exit code, stderr and seconds."""
    start = time.monotonic()
    with open(stdin, "rb") if stdin is not None else open(os.devnull, "rb") as given:
        done = subprocess.run(
            [sys.executable, "-m", "deck2pdf", str(deck), *map(str, args)],
            stdin=given,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TMPDIR": str(temp)},
            check=False,
        )
    return done.returncode, done.stderr, time.monotonic() - start


def _clean_end(stderr: str, temp: Path) -> None:
    assert all(line.startswith("deck2pdf: ") for line in stderr.splitlines()), stderr
    assert list(temp.iterdir()) == []


def _gives_up(deck: Path, seconds: int, *args: str | Path, temp: Path) -> str:
    """The command, given `seconds`, ends within them (and the slack), says so in one line, writes nothing and
    leaves no temporary file; its stderr."""
    out = deck.with_suffix(".pdf")
    code, stderr, took = _run(deck, "-o", out, "--timeout", str(seconds), *args, temp=temp)
    assert code == 6 and f"gave up after {seconds} s (--timeout); nothing written" in stderr, stderr
    assert took < seconds + SLACK
    assert not out.exists()
    _clean_end(stderr, temp)
    return stderr


@pytest.fixture
def temp(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 that takes connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1024)
        yield server.getsockname()[1]


PARSE_BOMB = "title: P\n" + "--\n# [a](\n\n" + "[a](" * 12_000 + "\n" + "--\n" + "[a](" * 12_000 + "\n"


@pytest.mark.slow
def test_a_deck_that_keeps_the_parser_busy_is_ended_at_the_deadline(tmp_path: Path, temp: Path) -> None:
    deck = tmp_path / "parse.md"
    deck.write_text(PARSE_BOMB, encoding="utf-8")
    _gives_up(deck, 3, temp=temp)


def test_a_library_call_parsing_a_bomb_gives_up_in_its_own_time(tmp_path: Path) -> None:
    """From Python the parse ran in the caller's thread, beyond any limit; now it runs inside the walls, and the
    error is a Deck2PdfError."""
    start = time.monotonic()
    with pytest.raises(Deck2PdfError, match="gave up after 2 s"):
        deck2pdf.render(PARSE_BOMB, timeout=2, cache_dir=tmp_path / "cache")
    assert time.monotonic() - start < 2 + SLACK


@pytest.mark.slow
def test_images_on_a_server_that_never_answers_end_at_the_deadline(
    tmp_path: Path, temp: Path, silent_server: int
) -> None:
    images = "".join(f"![i](http://127.0.0.1:{silent_server}/{n}.png)\n" for n in range(240))
    deck = tmp_path / "images.md"
    deck.write_text(f"title: I\n--\n# Images\n\n{images}", encoding="utf-8")
    _gives_up(deck, 4, "--allow-private-network", "--cache-dir", tmp_path / "c", temp=temp)


@pytest.mark.slow
def test_a_huge_deck_theme_is_ended_at_the_deadline(tmp_path: Path, temp: Path) -> None:
    """--theme deck reads the deck's Cleaver theme: a style sheet of 16 MB took minutes and a gigabyte."""
    (tmp_path / "th").mkdir()
    rules = "".join(
        f".c{i} .d{i}>p{{color:#{i % 4096:03x};margin:{i % 50}px;background:url(x{i}.png)}}\n" for i in range(230_000)
    )
    (tmp_path / "th" / "style.css").write_text(rules, encoding="utf-8")
    deck = tmp_path / "themed.md"
    deck.write_text("title: T\ntheme: ./th\n--\n# Hi\n\ntext\n", encoding="utf-8")
    _gives_up(deck, 3, "--theme", "deck", "--offline", temp=temp)


@pytest.mark.slow
def test_a_render_ended_at_the_deadline_leaves_no_font_folder(tmp_path: Path, temp: Path) -> None:
    """WeasyPrint's folder of the deck's fonts (weasyprint-*) was left in TMPDIR by a run --timeout ended."""
    font = Path(__file__).parents[2] / "fonts"
    face = next(p for p in sorted(font.rglob("*.woff2")) + sorted(font.rglob("*.ttf")))
    (tmp_path / face.name).write_bytes(face.read_bytes())
    style = f"<style>@font-face {{ font-family: Own; src: url({face.name}) }} body {{ font-family: Own }}</style>"
    slides = "".join(f"--\n# Slide {n}\n\n{style}\n\n" + "* a point of the slide\n" * 12 for n in range(400))
    deck = tmp_path / "long.md"
    deck.write_text(f"title: L\n{slides}", encoding="utf-8")
    stderr = _gives_up(deck, 4, "--no-render-cache", "-j", "1", "-v", temp=temp)
    assert "deck2pdf: WeasyPrint " in stderr  # it was rendering (its fonts' folder made) when it was ended


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory is read from /proc")
def test_a_conversion_that_needs_more_memory_than_allowed_is_ended(tmp_path: Path, temp: Path) -> None:
    deck = tmp_path / "talk.md"  # one long table: its layout takes about 170 MB, in one process (-j 1)
    rows = "".join(f"| {i} | some text in a cell {i} | more text {i} |\n" for i in range(1500))
    deck.write_text(f"title: M\n--\n# Table\n\n| a | b | c |\n|---|---|---|\n{rows}", encoding="utf-8")
    args = ("-o", tmp_path / "m.pdf", "--max-memory", "64", "--no-render-cache", "-j", "1")
    code, stderr, _ = _run(deck, *args, temp=temp)
    assert code == 6 and "needed more than 64 MB of memory (--max-memory); nothing written" in stderr
    assert not (tmp_path / "m.pdf").exists()
    _clean_end(stderr, temp)


def test_an_untrusted_deck_given_as_text_reads_no_file_of_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from PIL import Image

    Image.new("RGB", (40, 20), "#ff0000").save(tmp_path / "secret.png")
    monkeypatch.chdir(tmp_path)  # a service started from here (or from /) must not print what is here
    with caplog.at_level(logging.WARNING, logger="deck2pdf"):
        pdf = deck2pdf.render("title: U\n--\n# U\n\n![s](secret.png)\n", untrusted=True, cache_dir=tmp_path / "c")
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf
    assert [r for r in caplog.records if "secret.png" in r.getMessage()]  # said, as a missing image
    trusted = deck2pdf.render("title: U\n--\n# U\n\n![s](secret.png)\n", cache_dir=tmp_path / "c")
    assert b"/Image" in trusted  # (the trusted default is the current folder, as documented)


def test_a_deck_on_standard_input_is_never_the_output(tmp_path: Path, temp: Path) -> None:
    deck = tmp_path / "talk.md"
    deck.write_text("title: S\n--\n# S\n", encoding="utf-8")
    code, stderr, _ = _run("-", "-o", deck, temp=temp, stdin=deck)
    assert code == 7 and "would overwrite the deck" in stderr
    assert deck.read_text(encoding="utf-8") == "title: S\n--\n# S\n"


def test_an_output_that_is_a_hard_link_to_a_sheet_the_style_sheet_imports_is_refused(tmp_path: Path) -> None:
    """Checked by what the conversion read, by file identity: an imported sheet was overwritten before."""
    (tmp_path / "a.css").write_text('@import "b.css";\nh1 { color: red }\n', encoding="utf-8")
    (tmp_path / "b.css").write_text("h1 { font-style: italic }\n", encoding="utf-8")
    os.link(tmp_path / "b.css", tmp_path / "out.pdf")
    deck = tmp_path / "talk.md"
    deck.write_text("title: S\nstyle: a.css\n--\n# S\n", encoding="utf-8")
    with pytest.raises(Deck2PdfError, match=r"would overwrite b\.css"):
        deck2pdf.convert(deck, {"output": tmp_path / "out.pdf", "cache_dir": tmp_path / "c"})


def test_gave_up_is_caught_by_except_exception() -> None:
    assert issubclass(GaveUp, Deck2PdfError) and GaveUp(3).exit_code == 6
