"""Keep fetched and normalized files on disk, keyed by URL (or any key); knows nothing about slides.

Layout (version 1), all writes atomic (temporary file in the same folder, then rename):
  data/<sha256 of content>      the bytes; named by their hash, so a file is whole or absent
  entries/<sha256 of key>.json  {"key", "sha256", "size", "fetched_at", "etag", "last_modified", "content_type"}
An entry is written after its data, so a reader never sees an entry whose data is missing; on read the data
is hashed again, and a damaged entry counts as absent (it is fetched again, never rendered). Two processes
writing the same key both write complete files; the last rename wins.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import write_atomic

VERSION = "v1"


def default_cache_dir() -> Path:
    """The user cache folder, where the platform keeps them (platformdirs): $XDG_CACHE_HOME/deck2pdf, else
    ~/.cache/deck2pdf on Linux; ~/Library/Caches/deck2pdf on macOS; %LOCALAPPDATA%\\deck2pdf\\Cache on Windows."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("deck2pdf", appauthor=False))


@dataclass(frozen=True)
class Entry:
    key: str
    sha256: str
    size: int
    fetched_at: float  # seconds since the epoch
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    # Fetched with --allow-private-network: served again only to runs that allow it too (an entry fetched from a
    # private server must not reach a run, or an --untrusted deck, that refuses those).
    private_network: bool = False


class Cache:
    """A folder of cached files. Safe to share between processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / VERSION
        self._data = self.folder / "data"
        self._entries = self.folder / "entries"

    def data_path(self, entry: Entry) -> Path:
        return self._data / entry.sha256

    def get(self, key: str) -> Entry | None:
        """Return the entry for `key` if it is there and whole; a damaged one counts as absent."""
        try:
            entry = Entry(**json.loads(self._entry_path(key).read_text(encoding="utf-8")))
            data = self.data_path(entry).read_bytes()
        except (OSError, ValueError, TypeError):
            return None
        if entry.key != key or hashlib.sha256(data).hexdigest() != entry.sha256:
            return None
        return entry

    def put(
        self,
        key: str,
        data: bytes,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str | None = None,
        fetched_at: float | None = None,
        private_network: bool = False,
    ) -> Entry:
        """Store `data` under `key` and return its entry."""
        digest = hashlib.sha256(data).hexdigest()
        entry = Entry(
            key=key,
            sha256=digest,
            size=len(data),
            fetched_at=time.time() if fetched_at is None else fetched_at,
            etag=etag,
            last_modified=last_modified,
            content_type=content_type,
            private_network=private_network,
        )
        path = self._data / digest
        if not (path.is_file() and path.stat().st_size == len(data)):
            _write(path, data)
        _write(self._entry_path(key), json.dumps(asdict(entry), sort_keys=True).encode())
        return entry

    def touch(self, entry: Entry) -> Entry:
        """Record that `entry` was revalidated now (the server said it had not changed)."""
        return self.put(
            entry.key,
            self.data_path(entry).read_bytes(),
            etag=entry.etag,
            last_modified=entry.last_modified,
            content_type=entry.content_type,
            private_network=entry.private_network,
        )

    def _entry_path(self, key: str) -> Path:
        return self._entries / f"{hashlib.sha256(key.encode()).hexdigest()}.json"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)  # not durable: a damaged file is found on reading (its hash) and fetched again
