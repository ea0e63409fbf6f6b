"""Every deck of the hostile-input corpus (tests/decks/hostile: attachments, strip bypasses, markup and marker
bombs, pixel tricks, forged messages, paths out of the folder) ends within its deadline, trusted and --untrusted,
under the supervisor's walls, with a PDF or a one-line error: no traceback, no "a bug" exit, nothing attached, no
picture over the limit, no temp file."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from ..conftest import ROOT, CliResult
from .test_hardening import _embedded
from .test_walls import SLACK

CORPUS = ROOT / "tests" / "decks" / "hostile"
DEADLINE = 30
pytestmark = pytest.mark.slow


# make test: each deck in one mode, the modes taken in turn; make fuzz: every deck in both.
_CASES = [
    pytest.param(name, untrusted, id=f"{name}-{'untrusted' if untrusted else 'trusted'}", marks=mark)
    for index, name in enumerate(sorted(p.stem for p in CORPUS.glob("*.md")))
    for untrusted in (False, True)
    for mark in [() if untrusted == bool(index % 2) else pytest.mark.exhaustive]
]


@pytest.mark.parametrize(("name", "untrusted"), _CASES)
def test_a_hostile_deck_prints_or_fails_cleanly(
    tmp_path: Path, name: str, untrusted: bool, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    folder = tmp_path / "deck"
    shutil.copytree(CORPUS, folder)
    Image.new("RGB", (2000, 1000), "#ff0000").save(folder / "huge.png")
    Image.new("RGB", (20, 10), "#0000ff").save(folder / "small.png")
    (tmp_path / "README.md").write_text("hunter2")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pdf = tmp_path / "out.pdf"
    start = time.monotonic()
    # The command line run in this process: the conversion is a process of its own all the same, inside the walls
    # (the command's own start and exit are tested in tests/e2e/test_walls.py).
    done = run_cli(
        *(str(folder / f"{name}.md"), "-o", str(pdf), "--offline"),
        *("--timeout", str(DEADLINE), "--max-memory", "1024", "--max-image-pixels", "1000000", "--no-render-cache"),
        *(["--untrusted"] if untrusted else []),
    )
    assert time.monotonic() - start < DEADLINE + SLACK
    assert done.exit_code in (0, 3), done.stderr  # printed, or refused as a bad deck (never given up on)
    assert all(line.startswith("deck2pdf: ") for line in done.stderr.splitlines()), done.stderr
    assert list(temp.iterdir()) == []
    if done.exit_code == 3:
        assert not pdf.exists()
        return
    assert _embedded(pdf) == ([], [])
    assert b"hunter2" not in pdf.read_bytes()
    with pikepdf.open(pdf) as doc:
        sizes = [(int(x.Width), int(x.Height)) for page in doc.pages for _, x in page.get_images().items()]
    assert all(w * h <= 1_000_000 for w, h in sizes), sizes
