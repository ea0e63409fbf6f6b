"""Many decks at once (batch), --watch, and the progress bar, through the real command line."""

from __future__ import annotations

import json
import os
import pty
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deck2pdf.batch import Outcome, outputs_for, summary
from deck2pdf.errors import UsageError
from tests.helpers import interruptible, page_texts

COMMAND = [sys.executable, "-m", "deck2pdf"]


def _decks(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    good = []
    for name in ("alpha", "beta", "gamma"):
        path = folder / f"{name}.md"
        path.write_text(f"title: {name}\n--\n# {name.title()} talk\nHello from {name}.\n--\n## Second\nMore.\n")
        good.append(path)
    bad = folder / "broken.md"
    bad.write_text("title: [unclosed\n--\n# x\n")
    return [good[0], bad, good[1], good[2]]


@pytest.mark.slow
def test_batch_converts_the_good_decks_and_reports_the_bad_one(tmp_path: Path) -> None:
    decks = _decks(tmp_path / "talks")
    out = tmp_path / "out"
    done = subprocess.run(
        [*COMMAND, *map(str, decks), "-d", str(out), "-j", "2", "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr  # the bad deck's own exit code (a deck error)
    assert sorted(p.name for p in out.iterdir()) == ["alpha.pdf", "beta.pdf", "gamma.pdf"]
    assert page_texts(out / "beta.pdf")[0].split()[:5] == ["Beta", "talk", "Hello", "from", "beta."]
    assert "broken.md:1" in done.stderr and done.stderr.count("error:") == 1
    rows = {line.split()[0]: line for line in done.stderr.splitlines() if line.startswith(str(tmp_path))}
    assert "FAILED (exit 3)" in rows[str(decks[1])]
    assert str(out / "alpha.pdf") in rows[str(decks[0])] and rows[str(decks[0])].split()[2] == "2"
    assert "3 of 4 decks converted, 1 failed" in done.stderr


def test_batch_of_good_decks_exits_0_in_one_process_too(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    decks = [d for d in _decks(tmp_path / "talks") if d.stem != "broken"]
    result = run_cli(*decks, "-d", tmp_path / "out", "-j", "1", "--cache-dir", tmp_path / "cache")
    assert result.exit_code == 0, result.stderr
    assert "3 of 3 decks converted, 0 failed" in result.stderr
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 3


def test_batch_refuses_two_decks_that_would_write_the_same_pdf(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="would both write"):
        outputs_for([tmp_path / "a" / "talk.md", tmp_path / "b" / "talk.md"], tmp_path / "out")
    assert outputs_for([tmp_path / "a" / "talk.md", tmp_path / "b" / "talk.md"], None) == {
        tmp_path / "a" / "talk.md": None,
        tmp_path / "b" / "talk.md": None,
    }


def test_several_decks_with_o_is_a_usage_error(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    decks = _decks(tmp_path)
    result = run_cli(decks[0], decks[2], "-o", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "-o takes one deck; 2 were given" in result.stderr


def test_summary_table() -> None:
    table = summary(
        [Outcome(Path("a.md"), Path("out/a.pdf"), 12, 1.25, 2), Outcome(Path("b.md"), None, 0, 0.1, 0, "b.md: bad", 3)],
        30.0,
    )
    lines = table.splitlines()
    assert lines[0].split() == ["deck", "result", "pages", "warnings", "seconds"]
    assert lines[2].split() == ["a.md", "out/a.pdf", "12", "2", "1.2"]
    assert lines[3].split() == ["b.md", "FAILED", "(exit", "3)", "0", "0", "0.1"]
    assert lines[4] == "1 of 2 decks converted, 1 failed, in 30.0 s (4 decks per minute)"


class _Lines:
    """Read a process's stderr line by line, with timeouts."""

    def __init__(self, stream: object) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.queue.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        seen = []
        while time.monotonic() < end:
            try:
                line = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {timeout} s; saw {seen}")


@pytest.mark.slow
def test_watch_renders_again_when_the_deck_its_style_sheet_or_an_image_changes(tmp_path: Path) -> None:
    from PIL import Image

    deck = tmp_path / "talk.md"
    deck.write_text("style: talk.css\n--\n# First version\n![pic](pic.png)\n", encoding="utf-8")
    (tmp_path / "talk.css").write_text("h1 { color: #224466 }", encoding="utf-8")
    Image.new("RGB", (60, 30), "red").save(tmp_path / "pic.png")
    out = tmp_path / "talk.pdf"
    with interruptible():
        process = subprocess.Popen(
            [*COMMAND, str(deck), "--watch", "-o", str(out), "--cache-dir", str(tmp_path / "cache")],
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        lines = _Lines(process.stderr)
        first = lines.wait_for("rendered")
        assert f"rendered {out}: 1 pages in " in first
        lines.wait_for("watching")
        assert page_texts(out)[0].split()[:2] == ["First", "version"]
        deck.write_text("style: talk.css\n--\n# Second version\n![pic](pic.png)\n--\nAnother slide\n", encoding="utf-8")
        assert f"rendered {out}: 2 pages in " in lines.wait_for("rendered")
        assert page_texts(out)[0].split()[:2] == ["Second", "version"]
        lines.wait_for("watching")
        (tmp_path / "talk.css").write_text("h1 { color: #884422 }", encoding="utf-8")
        lines.wait_for("rendered")
        lines.wait_for("watching")
        Image.new("RGB", (60, 30), "blue").save(tmp_path / "pic.png")
        lines.wait_for("rendered")
        lines.wait_for("watching")
        (tmp_path / "notes.txt").write_text("not an input")  # ignored: no render for it
        deck.write_text("title: [broken\n--\n# x\n", encoding="utf-8")  # a failed render says why; the watch goes on
        assert "talk.md:1" in lines.wait_for("error:")
        lines.wait_for("watching")
        deck.write_text("--\n# Mended\n", encoding="utf-8")
        assert ": 1 pages in " in lines.wait_for("rendered")
        assert page_texts(out)[0].split()[0] == "Mended"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


@pytest.mark.slow
def test_progress_bar_shows_on_a_terminal_and_not_with_q(tmp_path: Path) -> None:
    decks = [d for d in _decks(tmp_path / "talks") if d.stem != "broken"]

    def stderr_on_a_terminal(*flags: str) -> str:
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            [
                *COMMAND,
                *map(str, decks),
                "-d",
                str(tmp_path / "out"),
                "-j",
                "1",
                "--cache-dir",
                str(tmp_path / "c"),
                *flags,
            ],
            stderr=follower,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        process.wait(timeout=120)
        os.close(leader)
        return b"".join(chunks).decode(errors="replace")

    shown = stderr_on_a_terminal()
    assert "deck2pdf: decks" in shown and "/3" in shown
    assert "deck2pdf: decks" not in stderr_on_a_terminal("-q")


def test_a_json_report_on_stdout_the_table_on_stderr(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text(f"title: {name}\n--\n# {name}\n", encoding="utf-8")
    (tmp_path / "bad.md").write_text("title: [unclosed\n--\n# x\n", encoding="utf-8")
    result = run_cli(tmp_path / "a.md", tmp_path / "b.md", tmp_path / "bad.md", "-d", tmp_path / "out", "--json")
    report = json.loads(result.stdout)
    assert [Path(r["deck"]).name for r in report] == ["a.md", "b.md", "bad.md"]
    assert [r["exit_code"] for r in report] == [0, 0, 3] and report[0]["pages"] == 1
    assert report[2]["error"] and report[2]["output"] is None
    assert "2 of 3 decks converted, 1 failed" in result.stderr and result.exit_code == 3
