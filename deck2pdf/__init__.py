"""deck2pdf: turn Cleaver Markdown slide decks into print-ready PDFs."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import Deck2PdfError, ExitCode
from .model import Deck, Slide
from .options import Options
from .pipeline import convert, inspect

__all__ = ["Deck", "Deck2PdfError", "ExitCode", "Options", "Slide", "__version__", "convert", "inspect"]
