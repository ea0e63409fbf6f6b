"""Reports: the deck's CSS problems and WeasyPrint's messages, in deck2pdf's words, once, with their place."""

from __future__ import annotations

from pathlib import Path

from deck2pdf.parse import parse_text
from deck2pdf.rendering.pages import _about_css
from deck2pdf.reports import css_problems, stylesheet_links, worded

NEITHER = "neither a rule nor a `property: value` declaration: a missing `:` or `{`, or a stray `}`?"


def _deck(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    return parse_text(text, tmp_path / "deck.md")


def test_css_that_does_not_parse_is_named_by_file_line_or_deck_line_and_slide(tmp_path: Path) -> None:
    deck = _deck(
        tmp_path,
        "--\n# a\n--\n# b\n\n<style>\nh1 { color: red }\n@media (max-width: 600px) { h1 { color: blue } }\n"
        'h2 { color: green; }}\n</style>\n\n<div style="color: red; ]; x: y">d</div>\n',
    )
    sheet = tmp_path / "s.css"
    problems = css_problems(deck, {sheet: "a { color: red }\n\np { color: red; } }\n"})
    assert problems == [
        f"{sheet}:3: CSS that does not parse ({NEITHER}); that part is ignored",
        f"{deck.source}:12 (slide 2): CSS in a style attribute does not parse ({NEITHER}); that part is ignored",
        f"{deck.source}:9 (slide 2): CSS in a <style> block does not parse ({NEITHER}); that part is ignored",
    ]  # the screen-only @media rule is no problem


def test_a_linked_style_sheet_gets_one_warning_saying_what_it_does(tmp_path: Path) -> None:
    (tmp_path / "here.css").write_text("h1{}")
    deck = _deck(
        tmp_path,
        '--\n<link rel="stylesheet" href="here.css">\n--\n<LINK REL=StyleSheet HREF=gone.css>\n'
        '<link rel="stylesheet" href="https://x.org/a.css"><link rel="icon" href="i.png">\n',
    )
    assert [w.split(": ", 1)[1].split(";")[0] for w in stylesheet_links(deck)] == [
        "the style sheet 'here.css' linked in this slide styles every slide of the deck, as in a browser",
        "the style sheet 'gone.css' linked in this slide is not found",
        "the style sheet 'https://x.org/a.css' linked in this slide is on the web, and deck2pdf fetches only images: "
        "it is not used",
    ]


def test_weasyprints_reports_are_worded_placed_and_given_once(tmp_path: Path) -> None:
    deck = _deck(tmp_path, "--\n# a\n--\n# b\n\n<div style='background: url(bg.png)'>x</div>\n")
    sheet = tmp_path / "s.css"
    messages = [
        f"Failed to load image at '{(tmp_path / 'bg.png').as_uri()}': is over the --max-image-pixels limit",
        f"Failed to load image at '{(tmp_path / 'bg.png').as_uri()}': is over the --max-image-pixels limit",
        f"Failed to load stylesheet at {(tmp_path / 'm.css').as_uri()}: FileNotFoundError: [Errno 2] No such file",
        "Failed to load image at 'file:///x/told.png': is not found",
    ]
    out = worded(messages, deck, {sheet: '@import "m.css";'}, told=["told.png"])
    assert out == [
        f"{deck.source}:6 (slide 2): image 'bg.png' is over the --max-image-pixels limit",
        f"{sheet}:1: style sheet 'm.css' is not found",
    ]


def test_weasyprints_css_notes_are_told_apart_by_where_they_are_logged() -> None:
    assert _about_css("/v/site-packages/weasyprint/css/validation/properties.py")
    assert _about_css("/v/site-packages/weasyprint/svg/css.py")
    assert not _about_css("/home/css/site-packages/weasyprint/images.py")
