"""Fixtures: where the shared decks are, a way to write test decks, and the CLI run in-process."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DECK2PDF_SHARED", ROOT.parent / "shared")).resolve()
REFERENCE_DECK = SHARED / "decks" / "docker-talk.md"
REAL_DECKS = sorted(p for p in (SHARED / "decks" / "real").glob("*.md") if p.name != "MANIFEST.md")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not REFERENCE_DECK.is_file() or len(REAL_DECKS) < 40:
        raise pytest.UsageError(f"the shared decks are missing: expected them in {SHARED} (set DECK2PDF_SHARED)")


@pytest.fixture
def make_deck(tmp_path: Path) -> Callable[..., Path]:
    """Write a deck (dedented) into a fresh folder and return its path."""

    def make(text: str, name: str = "deck.md", raw: bool = False) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text if raw else textwrap.dedent(text).lstrip("\n"), encoding="utf-8", newline="")
        return path

    return make


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run deck2pdf's command line in-process and return its exit code, stdout and stderr."""
    from deck2pdf.cli import app

    def run(*args: str | Path) -> CliResult:
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
