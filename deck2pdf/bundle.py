"""Turn talks' PDFs into one proceedings PDF: a cover and a contents page (laid out by WeasyPrint, linked to each
talk), then every talk's pages with its links, bookmarks nested talk -> slides, and page labels that name the talk
and its slide (`3·12`).

Everything comes from the talks' PDFs (`talks.Talk`) and the cover's values, nothing from the clock or the
machine: the same PDFs give the same bytes, made in the batch that rendered them or later, from shards' folders.
"""

from __future__ import annotations

import datetime
import io
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._version import __version__
from .archive import saved, w3c_date
from .errors import RenderError, UsageError
from .rendering.join import copied, dests, foreign, set_dests
from .talks import Talk
from .themes import THEMES_DIR

TEMPLATE = "proceedings.html.j2"
STYLESHEET = "proceedings.css"
_LINK = "x-deck2pdf-talk:"  # the contents' links, rendered as links to this scheme and made internal here
_PX_PER_PT = 96 / 72


@dataclass(frozen=True)
class Cover:
    """What the cover says; each may come from a flag or the settings file (`cover_title`, ...)."""

    title: str = "Proceedings"
    subtitle: str = ""
    date: str = ""  # as printed, e.g. "12-14 May 2027"; "" prints none


def make_bundle(talks: Sequence[Talk], cover: Cover, *, pdfa: bool = False) -> bytes:
    """Return the proceedings PDF of `talks`, in their order.

    The bundle's date is the latest of the talks' dates (so it does not depend on the clock); its pages take the
    first talk's page size. With `pdfa` every talk must be PDF/A already (rendered with --pdfa): the bundle then
    declares PDF/A-3b too and carries each talk's attached sources under the talk's name (`talk/talk.md`)."""
    import pikepdf

    if not talks:
        raise UsageError("--bundle: no talks to bundle", hint="give the decks, or the PDFs deck2pdf wrote")
    if pdfa:
        plain = [t for t in talks if not t.pdfa]
        if plain:
            raise UsageError(
                f"--bundle with --pdfa: {plain[0].pdf} is not PDF/A",
                hint="render the talks with --pdfa, or bundle without it",
            )
    docs = [pikepdf.open(t.pdf) for t in talks]
    try:
        front, front_pages = _front(talks, docs, cover, pdfa)
        pdf = pikepdf.open(io.BytesIO(front))
        _join(pdf, talks, docs, front_pages)
        return saved(pdf)
    finally:
        for doc in docs:
            doc.close()


def _front(talks: Sequence[Talk], docs: Sequence[Any], cover: Cover, pdfa: bool) -> tuple[bytes, int]:
    """The cover and contents as PDF bytes, and their page count. The contents print each talk's first page, which
    depends on how many pages the contents take: laid out again until the count it assumed is the count it took
    (once more at most, in practice: a page number's width does not move an entry to another page)."""
    from .rendering.engine import import_weasyprint

    weasyprint = import_weasyprint()
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEMES_DIR), autoescape=True)
    template = env.get_template(TEMPLATE)
    box = docs[0].pages[0].mediabox
    width, height = float(box[2] - box[0]) * _PX_PER_PT, float(box[3] - box[1]) * _PX_PER_PT
    latest = max((t.date for t in talks if t.date), default="1970-01-01")
    created = w3c_date(datetime.datetime.fromisoformat(latest).replace(tzinfo=datetime.UTC))
    assumed = 2
    for _ in range(4):
        starts = _first_pages(talks, assumed)
        html = template.render(
            lang=_language(docs),
            title=cover.title,
            subtitle=cover.subtitle,
            date=cover.date,
            created=created,
            generator=f"deck2pdf {__version__}",
            width=round(width, 3),
            height=round(height, 3),
            font=round(min(width, height) / 30, 3),
            stylesheet=STYLESHEET,
            talks=[
                {"title": t.title, "author": t.author, "page": start, "link": f"{_LINK}{n}"}
                for n, (t, start) in enumerate(zip(talks, starts, strict=True), 1)
            ],
        )
        try:
            document = weasyprint.HTML(string=html, base_url=THEMES_DIR.as_uri() + "/").render()
        except Exception as exc:
            raise RenderError(
                f"WeasyPrint could not lay out the bundle's contents: {exc}", hint="run with --debug"
            ) from exc
        if len(document.pages) == assumed:
            options = {"pdf_variant": "pdf/a-3b"} if pdfa else {}
            return bytes(document.write_pdf(**options)), assumed
        assumed = len(document.pages)
    raise RenderError("the bundle's contents did not settle on a page count", hint="this is a bug; please report it")


def _first_pages(talks: Sequence[Talk], front: int) -> list[int]:
    """Each talk's first page number (1-based) after `front` pages of cover and contents."""
    starts, at = [], front + 1
    for talk in talks:
        starts.append(at)
        at += talk.pages
    return starts


def _language(docs: Sequence[Any]) -> str:
    """The language most of the talks state (the first in order among equals); "und" when none does."""
    langs = Counter(str(doc.Root.get("/Lang", "")) for doc in docs)
    langs.pop("", None)
    return max(langs, key=lambda lang: langs[lang]) if langs else "und"


def _join(pdf: Any, talks: Sequence[Talk], docs: Sequence[Any], front_pages: int) -> None:
    """Append every talk's pages to the front `pdf`: named destinations and links under the talk's number
    (`3/slide-12`), the contents linked, bookmarks and page labels, attached sources under the talk's name."""
    import pikepdf

    names: dict[str, Any] = {}
    outline: list[Any] = []
    nums: list[Any] = [0, pikepdf.Dictionary(S=pikepdf.Name.r)]
    attachments: dict[str, Any] = {}
    for number, (talk, doc) in enumerate(zip(talks, docs, strict=True), 1):
        start = len(pdf.pages)
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not carried over: they are, below, under the talk's prefix.
            warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
            pdf.pages.extend(doc.pages)
        prefix = f"{number}/"
        # Copied after the pages, so that their page references point to the pages just copied.
        for name, dest in dests(doc).items():
            names[prefix + name] = foreign(pdf, doc, dest)
        first = pdf.pages[start].obj
        names[f"talk-{number}"] = pikepdf.Array([first, pikepdf.Name.XYZ, 0, float(pdf.pages[start].mediabox[3]), 0])
        for page in pdf.pages[start:]:
            _prefix_links(page, prefix)
        with doc.open_outline() as slides:
            item = pikepdf.OutlineItem(_bookmark(number, talk), start)
            item.children = [copied(pdf, doc, child, prefix) for child in slides.root]
            item.is_closed = True
            outline.append(item)
        nums += _labels(number, [page.label for page in doc.pages], start)
        for name, spec in sorted(doc.attachments.items()):
            attachments[f"{talk.name}/{name}"] = pdf.copy_foreign(spec.obj)
    for page in pdf.pages[:front_pages]:
        _link_contents(page)
    set_dests(pdf, names)
    if attachments:
        files = pikepdf.NameTree.new(pdf)
        for name, spec in attachments.items():
            spec.F = spec.UF = pikepdf.String(name)
            files[name] = spec
        pdf.Root.Names.EmbeddedFiles = files.obj
        pdf.Root.AF = pikepdf.Array(list(attachments.values()))
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(nums))
    with pdf.open_outline() as joined:
        joined.root.extend(outline)


def _bookmark(number: int, talk: Talk) -> str:
    return f"{number}. {talk.title}" + (f" — {talk.author}" if talk.author else "")


def _labels(number: int, labels: Sequence[str], start: int) -> list[Any]:
    """Page-label entries for a talk's pages from `start`: `3·12` for its slide 12 (a run of numbers is one entry),
    `3·6 (cont.)` as the talk labels it; a handout's sheets (numbered 1, 2, ...) the same way."""
    import pikepdf

    nums: list[Any] = []
    previous: int | None = None
    for index, label in enumerate(labels):
        if label.isdigit():
            value = int(label)
            if previous is None or value != previous + 1:
                nums += [start + index, pikepdf.Dictionary(P=pikepdf.String(f"{number}·"), S=pikepdf.Name.D, St=value)]
            previous = value
        else:
            nums += [start + index, pikepdf.Dictionary(P=pikepdf.String(f"{number}·{label}"))]
            previous = None
    return nums


def _prefix_links(page: Any, prefix: str) -> None:
    """Point a talk's internal links at its own destinations: named ones get the talk's prefix."""
    import pikepdf

    for annot in page.obj.get("/Annots", ()):
        if isinstance(annot.get("/Dest"), pikepdf.String):
            annot.Dest = pikepdf.String(prefix + str(annot.Dest))
        action = annot.get("/A")
        if action is not None and action.get("/S") == "/GoTo" and isinstance(action.get("/D"), pikepdf.String):
            action.D = pikepdf.String(prefix + str(action.D))


def _link_contents(page: Any) -> None:
    """Turn the contents' links to `_LINK` + n into links to talk n's first page."""
    import pikepdf

    for annot in page.obj.get("/Annots", ()):
        action = annot.get("/A")
        uri = action.get("/URI") if action is not None else None
        if uri is not None and str(uri).startswith(_LINK):
            del annot["/A"]
            annot.Dest = pikepdf.String(f"talk-{str(uri)[len(_LINK) :]}")
