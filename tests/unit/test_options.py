"""Options: defaults < front matter < flags, validated once."""

from __future__ import annotations

from pathlib import Path

import pytest

from deck2pdf.errors import UsageError
from deck2pdf.options import Options, PageSize

DECK = Path("talks/deck.md")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("16:9", (1280, 720)),
        ("4:3", (1024, 768)),
        ("1920x1080px", (1920, 1080)),
        ("10inx7.5in", (960, 720)),
        ("254 x 142.875 mm", (960, 540)),
        ("297mmx210mm", (1122.52, 793.701)),
        ("800x600", None),
        ("16:8", None),
        ("0x0px", None),
    ],
)
def test_page_sizes(text: str, size: tuple[float, float] | None) -> None:
    if size is None:
        with pytest.raises(UsageError, match="--size"):
            PageSize.parse(text)
    else:
        parsed = PageSize.parse(text)
        assert (round(parsed.width, 2), round(parsed.height, 2)) == pytest.approx(size, abs=0.01)


def test_defaults() -> None:
    options, warnings = Options.resolve({}, {}, DECK)
    assert options == Options() and warnings == []
    assert options.size == PageSize(1280, 720) and options.progress and options.fit and options.min_scale == 0.5
    assert options.output_for(DECK) == Path("talks/deck.pdf")


def test_front_matter_then_flags() -> None:
    meta = {"theme": "pgporada/cleaver-dark", "style": "s.css", "progress": False}
    options, _ = Options.resolve(meta, {}, DECK)
    assert (options.theme, options.theme_source, options.style, options.progress) == (
        "pgporada/cleaver-dark",
        "front matter",
        Path("talks/s.css"),
        False,
    )
    options, _ = Options.resolve(meta, {"theme": "default", "progress": True, "size": "4:3", "output": "x.pdf"}, DECK)
    assert (options.theme, options.theme_source, options.progress) == ("default", "--theme", True)
    assert options.size == PageSize(1024, 768) and options.output == Path("x.pdf")


@pytest.mark.parametrize(
    ("value", "on"), [(None, False), ("", False), (0, False), (False, False), ("no", True), (True, True)]
)
def test_progress_follows_cleavers_falsy_rule(value: object, on: bool) -> None:
    assert Options.resolve({"progress": value}, {}, DECK)[0].progress is on


def test_unknown_front_matter_keys_warn_and_cleaver_screen_keys_do_not() -> None:
    _, warnings = Options.resolve(
        {"controls": True, "output": "x.html", "encoding": "utf-8", "colour": "red"}, {}, DECK
    )
    assert warnings == [f"{DECK}: front matter key `colour` is not used by deck2pdf; remove it or check its spelling"]


def test_a_remote_style_sheet_is_not_fetched() -> None:
    options, warnings = Options.resolve({"style": "https://example.org/s.css"}, {}, DECK)
    assert options.style is None and "remote stylesheets are not fetched" in warnings[0]


@pytest.mark.parametrize("scale", [0.1, 1.5])
def test_min_scale_is_validated(scale: float) -> None:
    with pytest.raises(UsageError, match="--min-scale"):
        Options.resolve({}, {"min_scale": scale}, DECK)
