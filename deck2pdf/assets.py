"""Turn a Deck into a Deck with assets: every image it uses, resolved to a usable local file or a stated problem.

Images are found in the slides' HTML (Markdown images and raw <img>), in CSS `url()`s (style attributes,
<style> blocks, the deck's `style:` sheet and --css files). Local files must lie in the deck's folder tree, the
git work tree holding it, or an --allow-dir folder; http(s) images are downloaded once (concurrently) into the
cache; every image is normalized with Pillow, the result cached. WeasyPrint then reads only local files.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import re
import stat
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from .cache import Cache, Entry, default_cache_dir
from .fetch import FetchError, FetchPolicy, fetch
from .files import FileAccess, read_sheets
from .images import ImageError, normalize
from .markup import CssUrl, Tag, css_imports, css_urls, elements, images, styles, svg_image_refs
from .model import Asset, Deck, Slide, short, slide_place
from .options import CLEAVER_FONT_PX, Options
from .urls import joined, split
from .urls import problem as url_problem

_PX = re.compile(r"""(?:^|[;\s'"])(width|height)\s*:\s*(\d+(?:\.\d+)?)px""", re.IGNORECASE)
_HTML_PX = re.compile(r"(\d+(?:\.\d+)?)(?:px)?(?:\s|$)", re.IGNORECASE)  # width="300", "300px"
_FONT_FILE = re.compile(r"\.(woff2?|ttf|otf|eot)([?#].*)?$", re.IGNORECASE)
_WORKERS = 8


@dataclass(frozen=True)
class _Use:
    ref: str  # as written
    url: str  # absolute: file://, http(s):// or data:
    slide: Slide | None  # None: in a stylesheet file
    place: str  # where it is written, for messages
    box: tuple[float, float]  # largest printed size, CSS px


def image_refs(slide_html: str) -> list[str]:
    """Return the `src` of every <img> in a slide's HTML (Markdown images and raw tags alike), as written."""
    return [tag.attrs["src"] for tag in _img_tags(slide_html)]


def _img_tags(slide_html: str) -> list[Tag]:
    """Each <img> of a slide that has a `src`, and each <video>'s poster (printed in the video's stand-in)."""
    posters = [
        Tag(
            "img",
            {"src": t.attrs["poster"], **{k: v for k, v in t.attrs.items() if k in ("width", "height")}},
            t.start,
            t.end,
        )
        for t in elements(slide_html, ("video",))
        if t.attrs.get("poster", "").strip()
    ]
    return sorted([*(tag for tag in images(slide_html) if "src" in tag.attrs), *posters], key=lambda t: t.start)


def checked_style(options: Options, source: Path) -> tuple[Options, list[str]]:
    """The deck's `style:` sheet is read only from where its images may come from (the same file access);
    one that is missing or outside is left out, with a warning."""
    style = options.style
    if style is None:
        return options, []
    if not style.is_file():
        return dataclasses.replace(options, style=None), [
            f"{source}: `style:` sheet {style} not found; the theme is used without it"
        ]
    refusal = FileAccess.for_deck(source, options).refusal(style)
    if refusal is not None:
        return dataclasses.replace(options, style=None), [f"{source}: `style:` sheet {style} {refusal}"]
    # A style sheet, not any file the jail allows (`style: ../.env` would be read, and attached with --pdfa); with
    # the sheets it imports (those the jail allows: `read_sheets`), no larger than a deck may be.
    if style.suffix.lower() != ".css" or _sheets_size(style, source, options) > options.max_deck_bytes:
        return dataclasses.replace(options, style=None), [
            f"{source}: `style:` {style} is not a .css file of at most {options.max_deck_bytes / 2**20:.0f} MB "
            "with what it imports and was not read; name the deck's style sheet"
        ]
    return options, []


def _sheets_size(style: Path, source: Path, options: Options) -> int:
    if style.stat().st_size > options.max_deck_bytes:
        return style.stat().st_size
    return sum(len(text.encode()) for text in read_sheets([style], FileAccess.for_deck(source, options)).values())


def cache_for(folder: Path | None) -> Cache:
    """The image cache in `folder` (--cache-dir), else in the user's cache folder."""
    return Cache(folder or default_cache_dir())


def resolve_assets(deck: Deck, options: Options, sheets: Sequence[Path] = ()) -> tuple[Deck, list[str], str]:
    """Resolve every image of the deck (and of the theme's style `sheets`: a deck's own Cleaver theme names web
    images); return the deck with its assets, one warning per problem, a summary."""
    uses = _uses(deck, options, sheets)
    first: dict[str, _Use] = {}
    boxes: dict[str, tuple[float, float]] = {}
    for use in uses:
        first.setdefault(use.url, use)
        w, h = boxes.get(use.url, (0.0, 0.0))
        boxes[use.url] = (max(w, use.box[0]), max(h, use.box[1]))
    resolver = _Resolver(deck, options)
    remote = [u for u in first if (parts := split(u)) is not None and parts.scheme in ("http", "https")]
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        fetched = dict(zip(remote, pool.map(resolver.download, remote), strict=True))
    assets: dict[str, Asset] = {}
    warnings: list[str] = []
    for url, use in first.items():
        asset = resolver.resolve(use, boxes[url], fetched.get(url))
        assets[url] = asset
        if asset.problem:
            warnings.append(f"{use.place}: image '{short(use.ref)}' {asset.problem}")
    resolver.cache.prune(options.cache_max_size * 2**20 // 2)  # half of the cache folder's size
    return dataclasses.replace(deck, assets=assets), warnings, _summary(assets.values())


def download(url: str, deck: Deck, options: Options) -> tuple[bytes | None, str | None]:
    """A web file by the image stage's rules (the network policy, its limits, the cache, --offline): its bytes,
    or None and why not (`decktheme` reads a Cleaver theme's style sheet so)."""
    got = _Resolver(deck, options).download(url)
    return got.data, got.problem


def _summary(assets: Iterable[Asset]) -> str:
    counts: dict[str, int] = {}
    items = list(assets)
    for asset in items:
        counts[asset.origin] = counts.get(asset.origin, 0) + 1
    parts = [f"{counts[k]} {k}" for k in ("local", "fetched", "from cache", "inline") if counts.get(k)]
    parts.append(f"{counts.get('missing', 0)} missing")
    return f"{len(items)} image{'s' * (len(items) != 1)}: {', '.join(parts)}"


def _uses(deck: Deck, options: Options, sheets: Sequence[Path] = ()) -> list[_Use]:
    """Every place the deck refers to an image, with the largest size it may be printed at."""
    page_font, content = options.size.font, options.size.content
    page = (options.size.width, options.size.height)  # a background may fill the page
    base = deck.source.resolve().parent.as_uri() + "/"
    uses = []
    for slide in deck.slides:
        for tag in _img_tags(slide.html):
            ref = tag.attrs["src"]
            box = _img_box(tag, page_font, content)
            uses.append(_Use(ref, joined(base, ref.strip()), slide, slide_place(deck, slide, ref), box))
        for ref in svg_image_refs(slide.html):
            uses.append(_Use(ref, joined(base, ref.strip()), slide, slide_place(deck, slide, ref), content))
        for css in styles(slide.html):
            for url in _css_refs(css):
                uses.append(_Use(url.ref, joined(base, url.ref), slide, slide_place(deck, slide, url.ref), page))
    for sheet in (*sheets, options.style, *options.css):
        if sheet is None or not sheet.is_file():
            continue
        text = sheet.read_text(encoding="utf-8", errors="replace")
        sheet_base = sheet.resolve().as_uri()
        for url in _css_refs(text):
            uses.append(_Use(url.ref, joined(sheet_base, url.ref), None, f"{sheet}:{url.line}", page))
    return uses


def _css_refs(css: str) -> list[CssUrl]:
    """The url()s of CSS that may be images: not fragments (SVG filters), not fonts."""
    sheets = {url.ref for url in css_imports(css)}  # style sheets, read by the renderer
    return [
        url
        for url in css_urls(css)
        if not url.ref.startswith("#") and not _FONT_FILE.search(url.ref) and url.ref not in sheets
    ]


def _img_box(tag: Tag, page_font: float, content: tuple[float, float]) -> tuple[float, float]:
    """The largest size an <img> prints at: the size the deck gives it (in Cleaver px), within the slide."""
    given: dict[str, float] = {}
    for m in _PX.finditer(tag.attrs.get("style", "")):
        given.setdefault(m.group(1).lower(), float(m.group(2)))
    for dim in ("width", "height"):
        if m2 := _HTML_PX.match(tag.attrs.get(dim, "")):
            given.setdefault(dim, float(m2.group(1)))
    scale = page_font / CLEAVER_FONT_PX
    width = min(content[0], given["width"] * scale) if "width" in given else content[0]
    height = min(content[1], given["height"] * scale) if "height" in given else content[1]
    return width, height


@dataclass(frozen=True)
class _Download:
    data: bytes | None
    content_type: str | None
    origin: str  # "fetched" or "from cache"
    problem: str | None = None
    fetched_at: float | None = None


class _Resolver:
    def __init__(self, deck: Deck, options: Options) -> None:
        self.deck = deck
        self.options = options
        self.cache = cache_for(options.cache_dir)
        self.access = FileAccess.for_deck(deck.source, options)
        self.policy = FetchPolicy.from_options(options)

    def download(self, url: str) -> _Download:
        """Get a remote image's bytes from the cache, or the network (thread-safe)."""
        entry = self.cache.get(url)
        private = entry is not None and entry.private_network and not self.policy.allow_private
        if private:
            entry = None  # fetched under a policy this run does not have
        if entry is not None and not self.options.refresh:
            return self._cached(entry)
        if self.options.offline:
            if private:  # the real reason: this run's policy, not the cache
                problem = "is cached from a private network address, which this run refuses (allow with --allow-private-network)"
                return _Download(None, None, "missing", problem)
            return _Download(None, None, "missing", "is not in the cache and --offline forbids downloading it")
        try:
            got = fetch(
                url,
                self.policy,
                etag=entry.etag if entry else None,
                last_modified=entry.last_modified if entry else None,
            )
        except FetchError as exc:
            if entry is not None:  # --refresh could not reach the server: the cached copy is still good
                return self._cached(entry)
            return _Download(None, None, "missing", f"could not be downloaded: {exc}")
        if got.data is None and entry is not None:  # 304: still current
            return self._cached(self.cache.touch(entry))
        data = got.data or b""
        new = self.cache.put(
            url,
            data,
            etag=got.etag,
            last_modified=got.last_modified,
            content_type=got.content_type,
            private_network=got.private_network,
        )
        return _Download(data, got.content_type, "fetched", fetched_at=new.fetched_at)

    def _cached(self, entry: Entry) -> _Download:
        try:
            data = self.cache.data_path(entry).read_bytes()
        except OSError:  # pruned by a run beside this one between the look-up and now (`Cache.prune`)
            return _Download(None, None, "missing", "was removed from the cache while this run read it; run again")
        return _Download(data, entry.content_type, "from cache", fetched_at=entry.fetched_at)

    def resolve(self, use: _Use, box: tuple[float, float], download: _Download | None) -> Asset:
        url, slide = use.url, (use.slide.number if use.slide else None)
        if (why := url_problem(url)) is not None:
            return Asset(use.ref, None, f"{why}; check it", slide, url=url, origin="missing")
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            assert download is not None
            if download.data is None:
                return Asset(use.ref, None, download.problem, slide, url=url, origin="missing")
            asset = self._normalized(use, url, download.data, download.content_type, box, download.origin, None)
            return dataclasses.replace(asset, fetched_at=download.fetched_at)
        if scheme == "data":
            try:
                data, content_type = _decode_data_url(url)
            except ValueError:
                return Asset(use.ref, None, "is a data: URL that cannot be decoded", slide, url=url, origin="missing")
            return self._normalized(use, url, data, content_type, box, "inline", None)
        if scheme != "file":
            problem = f"uses the unsupported scheme '{scheme}:'; only http, https, data: and local files are read"
            return Asset(use.ref, None, problem, slide, url=url, origin="missing")
        path = Path(unquote(urlsplit(url).path))
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL (`%00`) in the path
            problem = "not found; check the path (relative to the deck's folder)"
            if use.slide is None:
                problem = "not found; check the path (relative to the stylesheet)"
            return Asset(use.ref, None, problem, slide, url=url, origin="missing")
        refusal = self.access.refusal(real)
        if refusal is not None:
            return Asset(use.ref, None, refusal, slide, url=url, origin="missing")
        mode = real.stat().st_mode
        if not stat.S_ISREG(mode):
            return Asset(use.ref, None, "is not a regular file", slide, url=url, origin="missing")
        if real.stat().st_size > self.options.max_image_bytes:
            problem = f"is over the {self.options.max_image_bytes // 2**20} MB limit (--max-image-bytes)"
            return Asset(use.ref, None, problem, slide, url=url, origin="missing")
        return self._normalized(use, url, real.read_bytes(), None, box, "local", real)

    def _normalized(
        self,
        use: _Use,
        url: str,
        data: bytes,
        content_type: str | None,
        box: tuple[float, float],
        origin: str,
        original: Path | None,
    ) -> Asset:
        """Normalize (once: the result is cached) and return the asset pointing at a usable file."""
        slide = use.slide.number if use.slide else None
        dpi = self.options.image_dpi
        pixels = (max(1, round(box[0] / 96 * dpi)), max(1, round(box[1] / 96 * dpi)))
        source = hashlib.sha256(data).hexdigest()
        key = f"normalized:{source}:{pixels[0]}x{pixels[1]}:{self.options.max_image_pixels}"
        entry = self.cache.get(key)
        if entry is not None:
            path = self._linked(entry.sha256, entry.content_type or "")
            return Asset(use.ref, path, None, slide, url=url, origin=origin, sha256=source)
        try:
            result = normalize(data, pixels, max_pixels=self.options.max_image_pixels, content_type=content_type)
        except ImageError as exc:
            return Asset(use.ref, None, str(exc), slide, url=url, origin="missing", sha256=source)
        if result.data is None and original is not None:
            return Asset(use.ref, original, None, slide, url=url, origin=origin, sha256=source)
        out = data if result.data is None else result.data
        entry = self.cache.put(key, out, content_type=result.suffix)  # content_type holds the file ending here
        path = self._linked(entry.sha256, result.suffix)
        return Asset(use.ref, path, None, slide, url=url, origin=origin, sha256=source)

    def _linked(self, sha256: str, suffix: str) -> Path:
        """A path with the right file ending for a cached file (WeasyPrint and readers go by it): a link
        relative to its own folder, so it stays good wherever the cache is; a dangling one is replaced."""
        named = self.cache.folder / "named" / f"{sha256}{suffix}"
        if not named.exists():
            named.parent.mkdir(parents=True, exist_ok=True)
            if named.is_symlink():
                named.unlink(missing_ok=True)
            with contextlib.suppress(FileExistsError):  # another process made it first
                named.symlink_to(Path("..") / "data" / sha256)
        return named


def _decode_data_url(url: str) -> tuple[bytes, str | None]:
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise ValueError("no comma")
    content_type = header.split(";")[0] or None
    if header.endswith(";base64"):
        return base64.b64decode(unquote(payload), validate=False), content_type
    return unquote_to_bytes(payload), content_type
