"""Test images, made with Pillow: one per format and oddity the image stage must handle."""

from __future__ import annotations

import random
from io import BytesIO

from PIL import Image


def _save(im: Image.Image, fmt: str, **kw: object) -> bytes:
    out = BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def gradient(width: int = 120, height: int = 80) -> Image.Image:
    im = Image.new("RGB", (width, height))
    im.putdata([(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)])
    return im


def noise(width: int, height: int, seed: int = 1) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", (width, height), bytes(rng.getrandbits(8) for _ in range(width * height * 3)))


def png() -> bytes:
    return _save(gradient(), "PNG")


def jpeg() -> bytes:
    return _save(gradient(300, 200), "JPEG", quality=90)


def cmyk_jpeg() -> bytes:
    return _save(gradient(120, 80).convert("CMYK"), "JPEG")


def rotated_jpeg() -> bytes:
    """200x100 pixels stored, with EXIF orientation 6: shown rotated, 100 wide and 200 tall."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(gradient(200, 100), "JPEG", exif=exif)


def gif() -> bytes:
    return _save(gradient().convert("P"), "GIF")


def animated_gif() -> bytes:
    frames = [Image.new("P", (60, 40), c) for c in (1, 2, 3)]
    for f in frames:
        f.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def webp() -> bytes:
    return _save(gradient(), "WEBP", quality=80)


def png16() -> bytes:
    """A 16-bit grayscale PNG, mid grey (32768 of 65535): shown black if the low byte were taken."""
    im = Image.new("I;16", (60, 40))
    im.putdata([32768] * (60 * 40))
    return _save(im, "PNG")


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="90" height="60"><rect width="90" height="60" fill="#22aa44"/></svg>'


def huge_png() -> bytes:
    """100 megapixels, tiny on disk: a decompression bomb."""
    return _save(Image.new("1", (10_000, 10_000)), "PNG")


def big_photo() -> bytes:
    """A 3000x2000 photo-like JPEG (noise over a gradient): far more pixels than a slide needs."""
    im = Image.blend(gradient(3000, 2000), noise(3000, 2000), 0.3)
    return _save(im, "JPEG", quality=92)
