"""deck2pdf: turn Cleaver Markdown slide decks into print-ready PDFs."""

from __future__ import annotations

import logging
from typing import Any

from ._version import __version__

__all__ = ["Deck", "Deck2PdfError", "ExitCode", "Options", "Slide", "__version__", "convert", "inspect"]

# A library does not print: the command line attaches the handler that shows deck2pdf's warnings.
logging.getLogger("deck2pdf").addHandler(logging.NullHandler())

_WHERE = {
    "Deck": "model",
    "Slide": "model",
    "Deck2PdfError": "errors",
    "ExitCode": "errors",
    "Options": "options",
    "convert": "pipeline",
    "inspect": "pipeline",
}


def __getattr__(name: str) -> Any:
    """The package's names are imported when first used: the command starts faster (see launch.py)."""
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'deck2pdf' has no attribute {name!r}")
