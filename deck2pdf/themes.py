"""Turn a theme name (or folder) into a Theme: the stylesheets and template found in print-themes/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ThemeError


def _data_dir(name: str) -> Path:
    """Return a bundled folder: inside the installed package, or at the top of a source checkout."""
    packaged = Path(__file__).parent / "_data" / name
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / name


THEMES_DIR = _data_dir("print-themes")
FONTS_DIR = _data_dir("fonts")
TEMPLATE_NAME = "deck.html.j2"
STYLE_NAME = "style.css"
PAPER_NAME = "paper.css"  # a handout's slides printed light (and a theme's own additions to that)
CODE_STYLE_NAME = "code.css"  # colours for highlighted code (Pygments classes), if the theme has its own

# Cleaver theme names (the last part of `theme: user/repo` or a path) that a print theme stands in for.
DECK_THEME = "deck"  # --theme deck: the deck's own Cleaver theme over the default print theme (`decktheme`)
CLEAVER_THEMES = {"cleaver-dark": "dark", "cleaver-retro": "retro", "default": "default"}


@dataclass(frozen=True)
class Theme:
    name: str
    folder: Path
    stylesheets: tuple[Path, ...]  # base first, then the theme's own
    template: Path
    paper: tuple[Path, ...] = ()  # added last on handouts: the slides printed light (paper.css)
    # sheets whose images the image stage fetches like the deck's (a deck's own Cleaver theme names web images)
    image_sheets: tuple[Path, ...] = ()


def list_themes() -> list[str]:
    """Return the names of the installed print themes."""
    return sorted(p.name for p in THEMES_DIR.iterdir() if (p / STYLE_NAME).is_file() and not p.name.startswith("_"))


def load_theme(requested: str, source: str) -> tuple[Theme, list[str]]:
    """Return the theme asked for and notices; `source` says who asked ("--theme", "front matter", "default")."""
    notices: list[str] = []
    folder = THEMES_DIR / requested
    if source == "front matter":
        key = requested.rstrip("/").rsplit("/", 1)[-1].lower()
        name = CLEAVER_THEMES.get(key) or (key if key in list_themes() else None)
        if name is None:
            notices.append(
                f"theme `{requested}` has no print version; using the default theme (choose one with --theme)"
            )
            name = "default"
        folder = THEMES_DIR / name
    elif source == "--theme" and not (folder / STYLE_NAME).is_file():
        folder = Path(requested).expanduser()
        if not (folder / STYLE_NAME).is_file():
            raise ThemeError(
                f"--theme {requested}: no such theme",
                hint=f"use one of {', '.join(list_themes())}, or a folder that holds a {STYLE_NAME}",
            )
    folder = folder.resolve()
    own_template = folder / TEMPLATE_NAME
    code_style = folder / CODE_STYLE_NAME
    theme = Theme(
        name=folder.name,
        folder=folder,
        stylesheets=(
            THEMES_DIR / "base.css",
            folder / STYLE_NAME,
            code_style if code_style.is_file() else THEMES_DIR / "default" / CODE_STYLE_NAME,
        ),
        template=own_template if own_template.is_file() else THEMES_DIR / TEMPLATE_NAME,
        paper=(
            THEMES_DIR / "ink" / CODE_STYLE_NAME,
            THEMES_DIR / PAPER_NAME,
            *([folder / PAPER_NAME] if (folder / PAPER_NAME).is_file() else []),
        ),
    )
    return theme, notices


def describe_theme(name: str) -> str:
    """Return the first sentence of a theme's stylesheet comment: what the theme is for."""
    text = (THEMES_DIR / name / STYLE_NAME).read_text(encoding="utf-8")
    comment = text.split("*/", 1)[0].removeprefix("/*").strip() if text.lstrip().startswith("/*") else ""
    return " ".join(comment.split(".")[0].split()).removeprefix(f"{name}: ")
