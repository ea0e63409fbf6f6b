"""Keep fetched and normalized files on disk, keyed by URL (or any key); knows nothing about slides.

Layout (version 1), all writes atomic (temporary file in the same folder, then rename):
  data/<sha256 of content>      the bytes; named by their hash, so a file is whole or absent
  entries/<sha256 of key>.json  {"key", "sha256", "size", "fetched_at", "etag", "last_modified", "content_type"}
An entry is written after its data, so a reader never sees an entry whose data is missing; on read the data
is hashed again, and a damaged entry counts as absent (it is fetched again, never rendered). Two processes
writing the same key both write complete files; the last rename wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import write_atomic

VERSION = "v1"
PRUNE_GRACE_SECONDS = 600.0  # entries used this recently are never pruned (a conversion's default --timeout)


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
        with contextlib.suppress(OSError):  # pruned meanwhile: the data read above is still good
            os.utime(self._entry_path(key))  # recently used: pruned last
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
        if path.is_file() and path.stat().st_size == len(data):
            with contextlib.suppress(OSError):
                os.utime(path)  # in use again: a prune beside this run leaves it (it looks at the time)
        else:
            _write(path, data)
        _write(self._entry_path(key), json.dumps(asdict(entry), sort_keys=True).encode())
        return entry

    def touch(self, entry: Entry) -> Entry:
        """Record that `entry` was revalidated now (the server said it had not changed)."""
        try:
            data = self.data_path(entry).read_bytes()
        except OSError:  # pruned meanwhile: the caller finds it gone
            return entry
        return self.put(
            entry.key,
            data,
            etag=entry.etag,
            last_modified=entry.last_modified,
            content_type=entry.content_type,
            private_network=entry.private_network,
        )

    def prune(self, limit: int, grace: float = PRUNE_GRACE_SECONDS) -> None:
        """Delete the least recently used entries while the files are larger than `limit` bytes, then the files
        no entry names. Entries used in the last `grace` seconds stay whatever the size: a conversion running
        beside this one may be about to read them (none runs longer than --timeout)."""
        try:
            sizes = {p.name: p.stat().st_size for p in self._data.iterdir()}
        except OSError:
            return
        if sum(sizes.values()) <= limit:  # (the usual case: no entry is read)
            return
        entries = []
        for path in self._entries.glob("*.json"):
            try:
                entries.append((path.stat().st_mtime, path, json.loads(path.read_text(encoding="utf-8"))["sha256"]))
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)  # damaged: absent anyway
        uses = Counter(sha for _, _, sha in entries)
        total = sum(sizes.get(sha, 0) for sha in uses)
        recent = time.time() - grace
        for used, path, sha in sorted(entries, key=lambda e: e[0]):
            if total <= limit or used > recent:
                break
            try:
                if path.stat().st_mtime > recent:  # used since it was listed
                    continue
            except OSError:
                continue
            path.unlink(missing_ok=True)
            uses[sha] -= 1
            if not uses[sha]:
                total -= sizes.get(sha, 0)
        for sha in sizes:
            with contextlib.suppress(OSError):  # (another run pruning beside this one)
                if not uses[sha] and (self._data / sha).stat().st_mtime < recent:  # not one whose entry is to come
                    (self._data / sha).unlink()
        for link in (self.folder / "named").glob("*"):
            if link.is_symlink() and not link.exists():
                link.unlink(missing_ok=True)

    def _entry_path(self, key: str) -> Path:
        return self._entries / f"{hashlib.sha256(key.encode()).hexdigest()}.json"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)  # not durable: a damaged file is found on reading (its hash) and fetched again
