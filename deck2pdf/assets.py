"""Turn a Deck into a Deck with assets: every image a slide uses, resolved to a usable local file or a problem."""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .model import Asset, Deck, Slide

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def image_refs(slide_html: str) -> list[str]:
    """Return the `src` of every <img> in a slide's HTML (Markdown images and raw tags alike), as written."""
    refs = []
    for tag in _IMG_TAG.findall(slide_html):
        if m := _SRC.search(tag):
            refs.append(unescape(next(g for g in m.groups() if g is not None)))
    return refs


def resolve_assets(deck: Deck) -> tuple[Deck, list[str]]:
    """Find every image of the deck and say, per reference, which file to use or why there is none."""
    assets: dict[str, Asset] = {}
    warnings: list[str] = []
    for slide in deck.slides:
        for ref in image_refs(slide.html):
            if ref in assets:
                continue
            asset = _resolve(ref, deck.source.parent, slide.number)
            assets[ref] = asset
            if asset.problem:
                warnings.append(f"{_where(deck, slide, ref)}: image '{ref}' {asset.problem}")
    return dataclasses.replace(deck, assets=assets), warnings


def _resolve(ref: str, folder: Path, slide: int) -> Asset:
    scheme = urlsplit(ref).scheme.lower()
    if scheme == "data":
        return Asset(ref, None, slide=slide)  # inline data is used as it is
    if scheme in ("http", "https") or ref.startswith("//"):
        return Asset(ref, None, "is remote and was not fetched; images on the web are not downloaded yet", slide)
    if scheme and len(scheme) > 1 and scheme != "file":
        return Asset(ref, None, f"uses the unsupported scheme '{scheme}:'; use a file path or http(s)", slide)
    path_text = unquote(urlsplit(ref).path) if scheme == "file" else unquote(ref.split("#")[0].split("?")[0])
    path = (folder / path_text).resolve()
    if not path.is_file():
        return Asset(ref, None, "not found; check the path (relative to the deck's folder)", slide)
    return Asset(ref, path, slide=slide)


def _where(deck: Deck, slide: Slide, ref: str) -> str:
    """Name the file, line and slide where a reference is written."""
    offset = slide.markdown.find(ref)
    line = slide.markdown_line + slide.markdown[:offset].count("\n") if offset >= 0 else slide.line
    return f"{deck.source}:{line} (slide {slide.number})"
