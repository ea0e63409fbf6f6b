"""The library's entry point: convert() takes Options or a mapping, and honours its own timeout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from deck2pdf.errors import GaveUp
from deck2pdf.options import Options
from deck2pdf.pipeline import convert

DECK = "title: T\n--\n# One\n\nText.\n--\n# Two\n"


def test_options_made_directly_hand_on_what_differs_from_the_defaults() -> None:
    options = Options(fit=False, paper="letter")
    assert options.overrides() == {"fit": False, "paper": "letter"}
    resolved, _ = Options.resolve({"theme": "dark"}, options.overrides(), Path("deck.md"), environ={})
    assert (resolved.fit, resolved.paper, resolved.theme) == (False, "letter", "dark")  # front matter under them


def test_convert_takes_options(make_deck: Callable[..., Path], tmp_path: Path) -> None:
    deck = make_deck(DECK)
    out = tmp_path / "out.pdf"
    result = convert(deck, Options(output=out, offline=True, cache_dir=tmp_path / "cache", jobs=1))
    assert result.output == out and result.pages == 2 and out.read_bytes().startswith(b"%PDF")


def test_a_library_calls_timeout_stops_it_and_writes_nothing(
    make_deck: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = make_deck(DECK)
    out = tmp_path / "out.pdf"
    monkeypatch.setenv("DECK2PDF_TIMEOUT", "1000")  # the environment is the command line's, not the library's
    with pytest.raises(GaveUp):
        convert(deck, {"output": out, "offline": True, "cache_dir": tmp_path / "cache", "timeout": 0.001})
    assert not out.exists()
