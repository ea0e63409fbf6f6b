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
    """Import the conversion's stages (Markdown, YAML, Pillow, Jinja) while the command reads its flags. WeasyPrint
    is imported by the process that renders, which the conversion starts first (`pipeline._convert`)."""
    from . import pipeline  # noqa: F401


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
