"""Output: the PDF appears whole or not at all, and never replaces the deck."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deck2pdf import output
from deck2pdf.errors import OutputError


def test_write_output_replaces_the_target_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "talk.pdf"
    target.write_bytes(b"old")
    output.write_output(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.pdf"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "talk.pdf"
    target.write_bytes(b"old")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OutputError, match="No space left on device"):
        output.write_output(target, b"%PDF-new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.pdf"]


def test_check_target_refuses_bad_outputs(tmp_path: Path) -> None:
    deck = tmp_path / "talk.md"
    deck.write_text("--\nx\n")
    with pytest.raises(OutputError, match="would overwrite the deck"):
        output.check_target(deck, deck)
    with pytest.raises(OutputError, match="is a directory"):
        output.check_target(tmp_path, deck)
    with pytest.raises(OutputError, match="folder does not exist"):
        output.check_target(tmp_path / "no" / "x.pdf", deck)
    output.check_target(tmp_path / "ok.pdf", deck)


def test_check_target_refuses_a_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root (CI) every folder is writable, so the answer of os.access is what is simulated here.
    monkeypatch.setattr(output.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="not writable"):
        output.check_target(tmp_path / "x.pdf", tmp_path / "talk.md")
