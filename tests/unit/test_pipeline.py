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


@pytest.mark.slow
def test_a_spawned_conversion_renders_the_same_pages_as_a_forked_one(
    make_deck: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where processes cannot be forked (macOS, Windows, a threaded host) the conversion's process is spawned and
    sent the job (there, on Linux, it forks its workers; on macOS and Windows it spawns them too)."""
    from deck2pdf import procs
    from tests.helpers import page_texts

    deck = make_deck("title: T\n" + "".join(f"--\n# Slide {n}\n\nText {n}.\n" for n in range(1, 11)))
    common = {"offline": True, "cache_dir": tmp_path / "cache", "jobs": 2, "render_cache": False}
    convert(deck, {**common, "output": tmp_path / "forked.pdf"})
    monkeypatch.setattr(procs, "forking", lambda: False)
    assert procs.context().get_start_method() == "spawn"
    convert(deck, {**common, "output": tmp_path / "spawned.pdf"})
    assert page_texts(tmp_path / "spawned.pdf") == page_texts(tmp_path / "forked.pdf")
    assert len(page_texts(tmp_path / "spawned.pdf")) == 10
