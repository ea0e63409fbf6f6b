"""deck2pdf: turn Cleaver Markdown slide decks into print-ready PDFs."""

from __future__ import annotations

import logging

from ._version import __version__
from .errors import Deck2PdfError, ExitCode
from .model import Deck, Slide
from .options import Options
from .pipeline import convert, inspect

__all__ = ["Deck", "Deck2PdfError", "ExitCode", "Options", "Slide", "__version__", "convert", "inspect"]

# A library does not print: the command line attaches the handler that shows deck2pdf's warnings.
logging.getLogger("deck2pdf").addHandler(logging.NullHandler())
