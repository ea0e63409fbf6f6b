"""Turn an image's bytes into bytes WeasyPrint prints well and small (Pillow), or say why it cannot be used.

EXIF orientation applied; modes WeasyPrint mishandles (16-bit, CMYK, palette with transparency, ...) made
RGB/RGBA/L; the first frame of an animation; downsampled to the printed size at the target resolution;
photos written as JPEG, graphics as PNG. An image already fine is left as it is. SVG passes through.
The pixel count is checked from the header, before anything is decoded. Pillow opens only the formats in
FORMATS: never a decoder that runs another program (EPS and PostScript run Ghostscript).
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from .bounds import SVG_NODES, svg_draws

_HTML = re.compile(rb"^\s*(<!doctype html|<html|<head|<body)", re.IGNORECASE)
_SVG = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype svg[^>]*>\s*)?<svg[\s>]", re.IGNORECASE | re.DOTALL
)
_KEEP = {"PNG", "JPEG", "GIF"}  # formats WeasyPrint embeds well as they are
# The raster formats Pillow may decode, by name (`Image.open(..., formats=)`): decoders built into Pillow, none of
# which runs another program. What else Pillow knows (EPS runs Ghostscript; dozens of rare formats) is not tried.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
_POSTSCRIPT = (b"%!", b"\xc5\xd0\xd3\xc6")  # PostScript and EPS text; DOS EPS binary header
_GOOD_MODES = {"RGB", "RGBA", "L", "LA", "P"}
JPEG_QUALITY = 85
_ORIENTATION = 0x0112  # the EXIF tag


class ImageError(Exception):
    """An image that cannot be used; the message says why, worded for the user."""


@dataclass(frozen=True)
class Normalized:
    data: bytes | None  # None: the original bytes are fine as they are
    suffix: str  # file name ending for the result: .png .jpg .gif .svg
    width: int | None = None  # pixels (None for SVG)
    height: int | None = None


def normalize(data: bytes, box: tuple[int, int], *, max_pixels: int, content_type: str | None = None) -> Normalized:
    """Return `data` made ready for print, fitting within `box` (pixels at the target resolution)."""
    if _SVG.match(data[:4096]) or (content_type or "").startswith("image/svg"):
        _check_svg(data)
        return Normalized(None, ".svg")
    if _HTML.match(data[:1024]) or (content_type or "").startswith("text/html"):
        raise ImageError("is an HTML page, not an image (an error page served in its place?)")
    if is_postscript(data):
        raise ImageError(
            "is PostScript (EPS/PS), which deck2pdf does not read (it would run Ghostscript); use PNG or SVG"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the pixel count is checked below
        try:
            with Image.open(BytesIO(data), formats=FORMATS) as im:
                pixels = im.width * im.height
                if pixels > max_pixels:
                    raise ImageError(_too_big(pixels, max_pixels))
                return _normalize(im, box)
        except ImageError:
            raise
        except Image.DecompressionBombError as exc:  # Pillow's own cap, twice its default limit
            count = re.search(r"\((\d+) pixels\)", str(exc))
            raise ImageError(_too_big(int(count.group(1)) if count else None, max_pixels)) from None
        except UnidentifiedImageError:
            raise ImageError("is not an image format deck2pdf reads (PNG, JPEG, GIF, WebP, BMP or SVG)") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageError(f"is damaged (truncated or corrupt: {exc})") from None


def _normalize(im: Image.Image, box: tuple[int, int]) -> Normalized:
    source_format = im.format or ""
    changed = source_format not in _KEEP
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)  # print the first frame of an animation
        changed = True
    im.load()  # decode now: a truncated file fails here, not in WeasyPrint
    if im.getexif().get(_ORIENTATION, 1) != 1:  # exif_transpose copies even when there is nothing to do
        im, changed = ImageOps.exif_transpose(im), True
    if im.mode not in _GOOD_MODES or (im.mode == "P" and "transparency" in im.info) or im.mode == "LA":
        im, changed = _to_good_mode(im), True
    if im.width > box[0] or im.height > box[1]:
        im = im.copy()
        im.thumbnail(box, Image.Resampling.LANCZOS)
        changed = True
    if not changed:
        suffix = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif"}[source_format]
        return Normalized(None, suffix, im.width, im.height)
    out = BytesIO()
    if _is_photo(im, source_format):
        im.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        suffix = ".jpg"
    else:
        im.save(out, "PNG", optimize=True)
        suffix = ".png"
    return Normalized(out.getvalue(), suffix, im.width, im.height)


def _to_good_mode(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        return im.convert("I").point(lambda v: v / 256).convert("L")  # 16-bit: keep the range, not the low byte
    if im.mode == "F":
        return im.convert("L")
    if im.mode in ("P", "PA", "LA") and ("transparency" in im.info or im.mode in ("PA", "LA")):
        return im.convert("RGBA")
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGBA" if "A" in im.mode else "RGB")  # CMYK, YCbCr, LAB, HSV, RGBX, ...


def _is_photo(im: Image.Image, source_format: str) -> bool:
    """Photos compress well as JPEG; graphics (few colours, transparency) stay lossless as PNG."""
    if "A" in im.mode or im.mode == "P" or "transparency" in im.info:
        return False
    if source_format == "JPEG":
        return True
    return im.getcolors(4096) is None  # thousands of colours: a photo


def is_postscript(data: bytes) -> bool:
    """Whether `data` is PostScript or EPS (what Pillow would hand to Ghostscript), whatever its name says."""
    return data.lstrip(b" \t\r\n\x00")[:4].startswith(_POSTSCRIPT)


def raster_size(data: bytes) -> tuple[int, int] | None:
    """A raster image's size from its header, if it is one of FORMATS (nothing is decoded); else None."""
    try:
        with Image.open(BytesIO(data), formats=FORMATS) as im:
            return im.size
    except Exception:  # any failure to read a header: not an image of these formats
        return None


def _check_svg(data: bytes) -> None:
    try:
        root = ET.fromstring(data)  # noqa: S314 - expat refuses entity-expansion bombs; nothing is fetched
    except ET.ParseError as exc:
        raise ImageError(f"is a damaged SVG ({exc})") from None
    if not root.tag.endswith("svg"):
        raise ImageError("is not an SVG image")
    if svg_draws(root) > SVG_NODES:
        raise ImageError(f"is an SVG that draws over {SVG_NODES:,} elements (its <use>s repeat too much)")


def _too_big(pixels: int | None, max_pixels: int) -> str:
    size = f"has {pixels / 1e6:.0f} megapixels, " if pixels else ""
    return f"{size}over the {max_pixels / 1e6:.0f}-megapixel limit (--max-image-pixels)"
