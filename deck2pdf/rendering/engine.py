"""WeasyPrint, imported once and set up for a deck: the objects a deck's documents share, through its public API.

A deck is rendered as several documents (chunks, fitting tries); they share one FontConfiguration, one set of
counter styles and colour profiles (`HTML.render`'s own arguments), so fonts are set up once a deck."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
from typing import Any

from . import patches

log = logging.getLogger("deck2pdf")

_DECK: dict[str, Any] = {}  # what the documents of the deck being rendered share (see start_deck)
_DECK_SHEETS: list[str | None] = [None]  # what start_deck was given for the deck set up now
# Let go of the deck's fonts before the interpreter winds down, while their clean-up (rmtree) can still run.
atexit.register(_DECK.clear)


def import_weasyprint() -> Any:
    """WeasyPrint, imported (here: it is slow, and --inspect and --version never need it), its patches installed
    where they fit (`patches.install`). Called before forking workers too, so that each starts with it."""
    if "weasyprint" not in sys.modules:
        with patches.libraries_by_soname():
            try:
                import weasyprint
            except OSError:  # found by name after all, below
                sys.modules.pop("weasyprint", None)
    import weasyprint

    patches.install()
    return weasyprint


def status_line() -> str:
    """What -v says of the patches, e.g. `WeasyPrint 70.0: 8 patches applied`."""
    weasyprint = import_weasyprint()
    return patches.install().summary(f"WeasyPrint {weasyprint.__version__}")


def start_deck(sheets: str | None = None) -> None:
    """Start a deck: its documents share one FontConfiguration, counter styles and colour profiles, and (patches)
    parsed style sheets and computed styles. Started afresh for each deck, so that no deck's own @font-face fonts
    or style sheets reach the next (batches) and an edited style sheet is read again (--watch); unless `sheets`,
    a digest of the style sheets, the files they name and the fonts, is the same as the last deck's: then what
    was set up for it serves again."""
    import_weasyprint()
    from weasyprint.css.counters import CounterStyle
    from weasyprint.text.fonts import FontConfiguration

    if _DECK and sheets is not None and sheets == _DECK_SHEETS[0]:
        return
    _DECK_SHEETS[0] = sheets
    if _DECK and _MADE_IN[0] == os.getpid():
        _forget_fonts(_DECK["font_config"])  # the last deck's, whose set-up is not kept
    _DECK.update(font_config=FontConfiguration(), counter_style=CounterStyle(), color_profiles={})
    _MADE_IN[0] = os.getpid()
    patches.start_deck(_DECK["font_config"], _DECK["counter_style"])


def keep_tidy() -> None:
    """Have the folder WeasyPrint saves the deck's @font-face files in removed when this process ends (WeasyPrint
    never removes its `weasyprint-*` folder from TMPDIR). At the process's end, not now: a deck
    set up again (--watch) uses the fonts in it."""
    config = _DECK.get("font_config")
    folder = getattr(config, "_folder", None)  # WeasyPrint 70's (FontConfiguration.add_font_face); else nothing
    # Only by the process that set the deck up: a forked worker shares its folder, in use until that one ends.
    if folder is not None and str(folder) not in _TIDY and _MADE_IN[0] == os.getpid():
        from multiprocessing import util

        _TIDY.add(str(folder))
        util.Finalize(None, shutil.rmtree, args=(str(folder),), kwargs={"ignore_errors": True}, exitpriority=1)


def _forget_fonts(config: Any) -> None:
    folder = getattr(config, "_folder", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        _TIDY.discard(str(folder))


_TIDY: set[str] = set()  # folders to remove at exit
_MADE_IN = [0]  # the process that set up the current deck


def deck_state() -> dict[str, Any]:
    """The keyword arguments of `HTML.render` that the deck's documents share."""
    if not _DECK:
        start_deck()
    return dict(_DECK)
