"""Turn the print HTML into PDF bytes with WeasyPrint, reading only local files it is allowed to read."""

from __future__ import annotations

import logging
import mimetypes
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import RenderError

_TOLERANCE_PX = 1.0  # sub-pixel rounding of text boxes is not overflow


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    overflowing: tuple[int, ...]  # slide numbers whose content was cut at the slide's edge
    messages: tuple[str, ...]  # what WeasyPrint reported (unreadable resources, ignored CSS)


def render_pdf(
    html: str,
    base_url: str,
    *,
    slides: int,
    allowed_roots: Iterable[Path],
    allowed_files: Iterable[Path] = (),
    metadata_date: str | None = None,
) -> Rendered:
    """Lay out and write the PDF; check that each slide filled exactly one page and report overflow."""
    import weasyprint  # imported here: it is slow, and --inspect and --version never need it

    fetcher = _LocalOnlyFetcher(weasyprint, allowed_roots, allowed_files)
    with _captured_log() as messages:
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                presentational_hints=True
            )
        except Exception as exc:  # WeasyPrint raises many kinds; all mean the same to the user
            raise RenderError(f"WeasyPrint could not lay out the deck: {exc}", hint="run with --debug") from exc
        if len(document.pages) != slides:
            raise RenderError(
                f"made {len(document.pages)} pages for {slides} slides",
                hint="this is a bug in the print theme; please report it with the deck",
            )
        overflowing = tuple(n for n, page in enumerate(document.pages, start=1) if _overflows(page, n))
        pdf = document.write_pdf()
    return Rendered(pdf=pdf, pages=len(document.pages), overflowing=overflowing, messages=tuple(messages))


def _overflows(page: Any, number: int) -> bool:
    """Tell whether the page's slide is cut: its end marker was never laid out, or text or an image lies
    outside the visible box. WeasyPrint stops laying out an absolutely placed box at the page's bottom, so
    lines past it are laid out on the next page, where they are clipped away: so slide N is cut unless its
    end marker (`#slide-end-N`, last in every slide) is on page N."""
    from weasyprint.formatting_structure import boxes

    root = page._page_box  # noqa: SLF001 - WeasyPrint keeps the laid-out box tree here
    section = next((b for b in _walk(root) if _id(b) == f"slide-{number}"), None)
    if section is None:
        return True
    content = next((b for b in _walk(section) if "slide-content" in _classes(b)), None)
    if content is None or not any(_id(b) == f"slide-end-{number}" for b in _walk(content)):
        return True
    left = content.position_x
    top = content.position_y
    right = left + content.padding_width() + content.border_left_width + content.border_right_width
    bottom = top + content.padding_height() + content.border_top_width + content.border_bottom_width
    for box in _walk(content):
        if not isinstance(box, boxes.TextBox | boxes.ReplacedBox) or not box.width:
            continue
        if (
            box.position_x < left - _TOLERANCE_PX
            or box.position_y < top - _TOLERANCE_PX
            or box.position_x + box.margin_width() > right + _TOLERANCE_PX
            or box.position_y + box.margin_height() > bottom + _TOLERANCE_PX
        ):
            return True
    return False


def _classes(box: Any) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return set()
    return set((element.get("class") or "").split())


def _id(box: Any) -> str | None:
    element = getattr(box, "element", None)
    return element.get("id") if element is not None and getattr(box, "element_tag", None) else None


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


class _CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _captured_log:  # noqa: N801 - used as a context manager
    """Collect WeasyPrint's warnings: its logger has only a NullHandler, so they are lost otherwise."""

    def __enter__(self) -> list[str]:
        self.logger = logging.getLogger("weasyprint")
        self.handler = _CollectingHandler()
        self.logger.addHandler(self.handler)
        return self.handler.messages

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)


def _is_within(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _LocalOnlyFetcher(weasyprint: Any, roots: Iterable[Path], files: Iterable[Path]) -> Any:  # noqa: N802
    """Return a WeasyPrint URL fetcher that serves data: URLs and regular files in the allowed places only.

    Images from the web are fetched (or not) before rendering; WeasyPrint itself never uses the network,
    and never reads a device or FIFO (its timeout does not apply to files: /dev/urandom would hang it).
    """
    allowed_roots = tuple(r.resolve() for r in roots)
    allowed_files = frozenset(f.resolve() for f in files)

    class Fetcher(weasyprint.urls.URLFetcher):  # type: ignore[misc, name-defined]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme != "file":
                raise ValueError(f"not fetched at render time: {url}")
            path = Path(unquote(parts.path)).resolve()
            if path not in allowed_files and not _is_within(path, allowed_roots):
                raise ValueError(f"outside the deck's folder, refused: {path}")
            if not stat.S_ISREG(path.stat().st_mode):
                raise ValueError(f"not a regular file, refused: {path}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return Fetcher()
