"""The image cache stays under its size: the least recently used entries go first, never one in use."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest

import deck2pdf
from deck2pdf.cache import Cache


def _age(cache: Cache, key: str, seconds: float) -> None:
    """Make `key`'s entry and data look `seconds` old."""
    entry = cache.get(key)
    assert entry is not None
    then = time.time() - seconds
    for path in (cache._entry_path(key), cache.data_path(entry)):
        os.utime(path, (then, then))


def test_the_least_recently_used_entries_are_pruned_first(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    for n in range(5):
        cache.put(f"k{n}", bytes([n]) * 1000)
    for n in range(5):
        _age(cache, f"k{n}", 7200 - n * 10)  # k0 oldest ... k4 newest
    _age(cache, "k0", 7000)  # k0 used since: k1 is now the oldest
    cache.prune(2500, grace=3600)
    assert [n for n in range(5) if cache.get(f"k{n}") is not None] == [0, 4]
    assert len(list((cache.folder / "data").iterdir())) == 2


def test_entries_used_within_the_grace_period_are_kept_whatever_the_size(tmp_path: Path) -> None:
    """A conversion beside this one may have just found them and be about to read their files."""
    cache = Cache(tmp_path)
    for n in range(3):
        cache.put(f"k{n}", bytes([n]) * 1000)
    cache.prune(10, grace=3600)
    assert all(cache.get(f"k{n}") is not None for n in range(3))


def test_data_shared_by_two_entries_stays_while_one_names_it(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("a", b"x" * 1000)
    cache.put("b", b"x" * 1000)  # the same bytes: one file
    cache.put("c", b"y" * 1000)
    _age(cache, "a", 9000)
    _age(cache, "c", 8000)
    _age(cache, "b", 10)
    cache.prune(1000, grace=3600)
    assert cache.get("a") is None and cache.get("c") is None and cache.get("b") is not None


@pytest.mark.slow
def test_a_service_rendering_data_images_keeps_its_cache_under_the_limit(tmp_path: Path) -> None:
    """Each request's data: image was cached for good: a service's cache grew by the request, forever."""
    from io import BytesIO

    from PIL import Image

    folder = tmp_path / "cache"
    for n in range(6):
        buffer = BytesIO()
        Image.effect_noise((200, 200), 60 + n).convert("RGB").save(buffer, "PNG")
        url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        deck2pdf.render(f"title: D\n--\n# D\n\n![d]({url})\n", cache_dir=folder, cache_max_size=1, render_cache=False)
        for path in (folder / "v1").rglob("*"):
            if path.is_file():
                os.utime(path, (time.time() - 7200,) * 2)  # the requests before are an hour old
    data = sum(p.stat().st_size for p in (folder / "v1" / "data").iterdir())
    assert data <= 2**20 // 2  # half of 1 MB (six requests brought about 1 MB)
