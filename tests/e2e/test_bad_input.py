"""Bad input: each case ends in a one-line message naming the file (and line or slide), a distinct exit code,
and a PDF written only when the outcome is a warning. Nothing hangs, nothing crashes with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from deck2pdf.errors import ExitCode

from ..conftest import CliResult
from ..helpers import interruptible

Make = Callable[[Path], None]


def text(content: str) -> Make:
    return lambda p: p.write_text(content, encoding="utf-8")


def raw(content: bytes) -> Make:
    return lambda p: p.write_bytes(content)


def big(size: int) -> Make:
    def make(p: Path) -> None:
        with p.open("w") as f:
            f.write("--\n")
            line = "x" * 99 + "\n"
            for _ in range(size // 100):
                f.write(line)

    return make


def deep_style_sheet(p: Path) -> None:
    (p.parent / "deep.css").write_text("a{" * 500 + "}" * 500)
    p.write_text("style: deep.css\n--\n# x\n")


def fifo(p: Path) -> None:
    os.mkfifo(p)


CASES = [
    # name, deck maker, extra args, exit code, message (after "deck2pdf: error: " or in a warning), PDF written
    ("empty", text(""), [], ExitCode.DECK, "{deck}: has no slides", False),
    ("only-front-matter", text("title: T\n"), [], ExitCode.DECK, "{deck}: has no slides", False),
    ("binary", raw(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), [], ExitCode.DECK, "{deck}: is a binary file", False),
    ("bad-utf8", raw(b"--\ncaf\xe9\n"), [], ExitCode.DECK, "{deck}:2: is not valid UTF-8 (byte 0xe9)", False),
    ("declared-latin1", raw("encoding: iso-8859-1\n--\ncaf\xe9\n".encode("latin-1")), [], 0, None, True),
    (
        "declared-wrongly",
        raw("encoding: ascii\n--\ncaf\xe9\n".encode("latin-1")),
        [],
        ExitCode.DECK,
        "{deck}:3: is not valid ascii (byte 0xe9), as its front matter says",
        False,
    ),
    (
        "yaml-error",
        text("title: a: b\n--\nx\n"),
        [],
        ExitCode.DECK,
        "{deck}:1: bad front matter: mapping values",
        False,
    ),
    (
        "yaml-tag",
        text("title: !!python/object/apply:os.system [ls]\n--\nx\n"),
        [],
        ExitCode.DECK,
        "{deck}:1: bad front matter: could not determine a constructor",
        False,
    ),
    (
        "yaml-duplicate",
        text("title: a\ntitle: b\n--\nx\n"),
        [],
        ExitCode.DECK,
        "{deck}:2: bad front matter: duplicated mapping key 'title'",
        False,
    ),
    (
        "yaml-bomb",
        text(
            "\n".join(["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 60)]) + "\n--\nx\n"
        ),
        [],
        ExitCode.DECK,
        "{deck}:1: bad front matter: its aliases (*name) expand to more than 100,000 values",
        False,
    ),
    (
        "yaml-title-list",
        text("title: [a, b]\n--\nx\n"),
        [],
        ExitCode.DECK,
        "{deck}:1: bad front matter: `title` is a list",
        False,
    ),
    (
        "yaml-list-as-slide",
        text("- a\n- b\n--\nx\n"),
        [],
        0,
        "{deck}:1: the text before the first `--` line is not front matter",
        True,
    ),
    ("deck-50-mb", big(50 * 2**20), [], ExitCode.DECK, "{deck}: is 50.0 MB, over the 20 MB limit", False),
    (
        "10000-slides",
        text("".join(f"--\nslide {i}\n" for i in range(10_000))),
        [],
        ExitCode.DECK,
        "{deck}: has 10000 slides, over the 2000-slide limit",
        False,
    ),
    (
        "1-mb-line",
        text("--\n" + "word *em* `code` [l](http://x) " * 33_000 + "\n"),
        [],
        ExitCode.DECK,
        "{deck}:1 (slide 1): is 1,022,999 characters long, over the 200,000-character limit",
        False,
    ),
    ("unclosed", text("--\n```\nnever closed\n<div><span><table>\n* [link(\n"), [], 0, None, True),
    ("unknown-theme", text("--\nx\n"), ["--theme", "nope"], ExitCode.THEME, "--theme nope: no such theme", False),
    (
        "nested-lists",
        text("--\n" + "".join("  " * i + "* level\n" for i in range(300))),
        [],
        ExitCode.DECK,
        "{deck}:1 (slide 1): nests lists or HTML elements more than 150 levels deep",
        False,
    ),
    (
        "nested-html",
        text("--\n" + "<div>" * 5000 + "x" + "</div>" * 5000 + "\n"),
        [],
        ExitCode.DECK,
        "{deck}:1 (slide 1): nests lists or HTML elements more than 150 levels deep",
        False,
    ),
    (
        "nested-quotes",
        text("--\n" + "> " * 400 + "deep\n"),
        [],
        ExitCode.DECK,
        "nests lists or HTML elements more than 150 levels deep",
        False,
    ),
    ("fifo", fifo, [], ExitCode.DECK, "{deck}: is not a regular file", False),
    # Ordinary input that once ended in exit 70 ("a bug").
    ("impossible-date", text("title: T\ndate: 2024-13-45\n--\n# x\n"), [], 0, None, True),
    (
        "front-matter-nested-3000-deep",
        text("title: T\nx: " + "[" * 3000 + "]" * 3000 + "\n--\n# x\n"),
        [],
        ExitCode.DECK,
        "{deck}:1: bad front matter: it nests too deep",
        False,
    ),
    ("height-1e30px", text('title: T\n--\n# x\n\n<div style="height:1e30px">big</div>\n'), [], 0, None, True),
    *[
        (f"encoding-{name}", text(f"title: T\nencoding: {name}\n--\n# x\n"), [], 0, None, True)
        for name in ("base64", "hex", "zlib", "rot13", "uu", "undefined")
    ],
    # The same codecs named by a deck that is not UTF-8, so that its `encoding:` is used.
    *[
        (
            f"not-utf8-encoding-{name}",
            raw(f"encoding: {name}\n--\ncaf\xe9\n".encode("latin-1")),
            [],
            ExitCode.DECK,
            why,
            False,
        )
        for name, why in (
            ("base64", "`encoding: base64` is not a text encoding"),
            ("zlib", "`encoding: zlib` is not a text encoding"),
            ("rot13", "`encoding: rot-13` is not a text encoding"),
            ("punycode", "is not valid punycode"),
        )
    ],
    (
        "lone-surrogate-in-front-matter",
        text('title: "\\ud800"\ntheme: "\\udfff"\n--\n# x\n'),
        ["--theme", "deck"],
        ExitCode.DECK,
        "{deck}:1: bad front matter: a string holds a lone surrogate",
        False,
    ),
    *[
        (
            f"image-url-{name}",
            text(f"--\n# x\n\n![x]({url})\n"),
            [],
            0,
            f"image '{url}' is not a valid URL ({why}",
            True,
        )
        for name, url, why in (
            ("broken-ipv6", "http://[::1/x.png", "Invalid IPv6 URL"),
            ("empty-host-label", "http://a..b/x.png", "the host 'a..b' has an empty"),
            ("port-out-of-range", "http://example.com:99999/x.png", "Port out of range"),
            ("port-not-a-number", "http://example.com:x1/x.png", "Port could not be cast"),
        )
    ],
    (
        "theme-url-broken-ipv6",
        text("theme: https://[::1/t\n--\n# x\n"),
        ["--theme", "deck"],
        0,
        "is not a folder, a URL",
        True,
    ),
    ("style-sheet-500-nested-blocks", deep_style_sheet, [], 0, None, True),
    ("css-500-nested-blocks", text("--\n# x\n\n<style>" + "a{" * 500 + "}" * 500 + "</style>\n"), [], 0, None, True),
    (
        "css-500-nested-blocks-untrusted",
        text("--\n# x\n\n<style>" + "a{" * 500 + "}" * 500 + "</style>\n"),
        ["--untrusted"],
        0,
        None,
        True,
    ),
    (
        "css-500-nested-functions",
        text('--\n# x\n\n<p style="color:' + "var(--y," * 500 + "red" + ")" * 500 + '">x</p>\n'),
        [],
        0,
        None,
        True,
    ),
    (
        "703-links-on-a-handout",
        text("--\n# x\n\n" + "\n".join(f"[l{i}](https://example.com/{i})" for i in range(703)) + "\n"),
        ["--handout", "6"],
        0,
        None,
        True,
    ),
    (
        "2400-character-link-qr",
        text(f"--\n# x\n\n[l](https://example.com/{'a' * 2400})\n"),
        ["--handout", "2", "--qr"],
        0,
        None,
        True,
    ),
]


# One case of each outcome stays in the fast run (`make check`), run as the command in a process of its own; the rest
# run the same command line in the test's process.
FAST = {"empty", "unclosed", "unknown-theme", "fifo"}
# And one only in `make fuzz`, for its 15 s: its marks are checked in tests/unit/test_handout.py.
EXHAUSTIVE = {"703-links-on-a-handout"}


def _marks(name: str) -> tuple[pytest.MarkDecorator, ...]:
    if name in FAST:
        return ()
    return (pytest.mark.slow, pytest.mark.exhaustive) if name in EXHAUSTIVE else (pytest.mark.slow,)


@pytest.mark.parametrize(
    ("name", "make", "args", "code", "message", "written"),
    [pytest.param(*c, id=c[0], marks=_marks(c[0])) for c in CASES],
)
def test_bad_input(
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
    name: str,
    make: Make,
    args: list[str],
    code: int,
    message: str | None,
    written: bool,
) -> None:
    deck = tmp_path / "deck.md"
    make(deck)
    out = tmp_path / "out.pdf"
    command = [str(deck), "-o", str(out), "--cache-dir", str(tmp_path / "c"), *args]
    if name in FAST:  # the command itself, a process of its own
        result = subprocess.run(
            [sys.executable, "-m", "deck2pdf", *command], capture_output=True, text=True, timeout=120
        )
    else:  # the same command line, run in this process (its conversion is a process of its own all the same)
        ran = run_cli(*command)
        result = subprocess.CompletedProcess(command, ran.exit_code, ran.stdout, ran.stderr)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    if message is not None:
        assert message.format(deck=deck) in result.stderr
    if code:
        errors = [line for line in result.stderr.splitlines() if line.startswith("deck2pdf: error: ")]
        assert len(errors) == 1
    assert out.exists() == written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.pdf")] == []  # no temporary file left


def test_a_source_date_after_the_year_9999_is_a_usage_error(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text("title: T\n--\n# x\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(tmp_path / "o.pdf")],
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "253402300800"},
    )
    assert result.returncode == ExitCode.USAGE and "after the year 9999" in result.stderr


def test_a_broken_or_self_importing_style_sheet_still_renders(tmp_path: Path) -> None:
    (tmp_path / "broken.css").write_text("h1 { color: ; } }}} @media { .x { \n")
    (tmp_path / "loop.css").write_text('@import "loop.css";\n@import url(broken.css);\nh3 { color: red }\n')
    deck = tmp_path / "deck.md"
    deck.write_text("style: loop.css\n--\n### styled\n")
    result = subprocess.run([sys.executable, "-m", "deck2pdf", str(deck)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and deck.with_suffix(".pdf").exists()


@pytest.mark.slow
def test_timeout_gives_up_cleanly_and_keeps_the_old_output(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text("--\n" + "word and more words here " * 8000 + "\n")
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old")
    result = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(out), "--timeout", "0.5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == ExitCode.RENDER
    expected = f"deck2pdf: error: {deck}: gave up after 0.5 s (--timeout); nothing written; raise --timeout"
    assert result.stderr.strip().endswith(expected)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.md", "out.pdf"]


@pytest.mark.slow
def test_limits_can_be_raised(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text("".join(f"--\nslide {i}\n" for i in range(30)))
    base = [sys.executable, "-m", "deck2pdf", str(deck), "--no-progress", "-q"]
    assert subprocess.run([*base, "--max-slides", "20"], capture_output=True).returncode == ExitCode.DECK
    assert subprocess.run([*base, "--max-slides", "30"], capture_output=True).returncode == 0


@pytest.mark.slow
def test_ctrl_c_exits_130_and_leaves_nothing(tmp_path: Path) -> None:
    import signal
    import time

    deck = tmp_path / "deck.md"
    deck.write_text("".join(f"--\n### Slide {i}\n" + "word " * 400 + "\n" for i in range(150)))
    out = tmp_path / "out.pdf"
    with interruptible():
        proc = subprocess.Popen(
            [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(out), "-v"], stderr=subprocess.PIPE, text=True
        )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # -v reports the first stage: the run is under way, past start-up
    assert "parsed 150 slides" in first, first
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "deck2pdf: error: interrupted; nothing written" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.md"]
