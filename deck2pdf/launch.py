"""The command's entry point: for a plain conversion, first start the process that will render (`procs.Child`).

Importing WeasyPrint takes a quarter of a second; that process does it while this one imports the command line
and reads the deck. This module imports little, so that the process starts at once."""

from __future__ import annotations

import sys


def run() -> None:
    """Console-script entry point."""
    renderer = None
    if _plain_conversion(sys.argv[1:]):
        from . import procs

        renderer = procs.Child(warm_up) if procs.forking() else None
    from .cli import app

    app(obj=renderer)


def warm_up() -> None:
    """Import what the conversion runs: its stages (Markdown, YAML, Pillow, Jinja) and WeasyPrint with its patches,
    while the command reads its flags; the conversion then starts at once when asked."""
    from . import pipeline  # noqa: F401
    from .rendering.engine import import_weasyprint

    import_weasyprint()


def _plain_conversion(args: list[str]) -> bool:
    """Whether the command line converts one deck (no --watch, batch, --inspect, --extract, help...)."""
    other = {
        "--version",
        "--help",
        "-h",
        "--inspect",
        "--extract",
        "--list-themes",
        "--watch",
        "-d",
        "--dir",
        "--bundle",
        "--index",
        "--shard",
    }
    return bool(args) and not other.intersection(args) and sum(a.endswith(".md") for a in args) <= 1
