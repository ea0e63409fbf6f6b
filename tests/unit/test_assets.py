"""The image stage in-process: what a deck names ends as a local file or a stated problem, never an exception."""

from __future__ import annotations

from pathlib import Path

from deck2pdf.assets import resolve_assets
from deck2pdf.options import Options
from deck2pdf.parse import parse_text


def test_a_path_with_a_nul_is_an_image_not_found(tmp_path: Path) -> None:
    source = tmp_path / "deck.md"
    deck = parse_text("title: N\n--\n# N\n\n![a](%00)\n\n![b](x%00y.png)\n", source)
    options, _ = Options.resolve(deck.meta, {"cache_dir": tmp_path / "c"}, source, environ={})
    deck, warnings, summary = resolve_assets(deck, options)
    assert len(warnings) == 2 and all("not found" in w for w in warnings)
    assert "2 missing" in summary
