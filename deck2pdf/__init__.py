"""deck2pdf: turn Cleaver Markdown slide decks into print-ready PDFs.

import deck2pdf
pdf = deck2pdf.render("title: Hello\n--\n# Hi\n", handout=2)       # bytes
result = deck2pdf.convert(Path("talk.md"), {"output": Path("talk.pdf")})  # writes talk.pdf
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # what type checkers see; at run time the names are imported when first used (launch.py)
    from .errors import Deck2PdfError, ExitCode
    from .model import Deck, Slide
    from .options import Options
    from .pipeline import Result, convert, inspect
    from .pipeline import render_pdf as render

__all__ = [
    "Deck",
    "Deck2PdfError",
    "ExitCode",
    "Options",
    "Result",
    "Slide",
    "__version__",
    "convert",
    "inspect",
    "render",
]

# A library does not print: the command line attaches the handler that shows deck2pdf's warnings.
logging.getLogger("deck2pdf").addHandler(logging.NullHandler())

_WHERE = {
    "Deck": ("model", "Deck"),
    "Slide": ("model", "Slide"),
    "Deck2PdfError": ("errors", "Deck2PdfError"),
    "ExitCode": ("errors", "ExitCode"),
    "Options": ("options", "Options"),
    "Result": ("pipeline", "Result"),
    "convert": ("pipeline", "convert"),
    "inspect": ("pipeline", "inspect"),
    "render": ("pipeline", "render_pdf"),
}


def __getattr__(name: str) -> Any:
    """The package's names are imported when first used: the command starts faster (see launch.py)."""
    if name in _WHERE:
        from importlib import import_module

        module, attribute = _WHERE[name]
        return getattr(import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module 'deck2pdf' has no attribute {name!r}")
