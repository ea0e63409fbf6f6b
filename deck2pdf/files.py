"""Turn bytes into files that appear whole or not at all (`write_atomic`), and a deck's options into the one
rule of which local files deck2pdf may read (`FileAccess`): images, style sheets, the renderer's fetches and
the files extracted from an archived PDF all ask it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .bounds import MAX_SHEET_BYTES
from .markup import css_imports
from .urls import joined

if TYPE_CHECKING:
    from .options import Options

# O_EXCL: never open a file someone else made (or a symlink planted) under the temporary name.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def write_atomic(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never a part.

    The bytes go to a temporary file beside `path` (the same file system, so the rename is atomic), made with
    the mode any new file gets (0666 less the umask), then renamed over `path`; its folder must exist. With
    `durable` they reach the disk before the rename, so a crash cannot leave an empty file in place of the
    old one: for the PDF a user asked for; a cache checks what it reads instead. On any failure the temporary
    file is removed and the error raised (OSError: for a cache, a miss; `output` words it for the user)."""
    fd, temp = _new_temporary(path)
    try:
        with open(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _new_temporary(path: Path) -> tuple[int, Path]:
    """Open a new file beside `path`, named `.NAME.RANDOM.tmp`; the mode 0o666 is narrowed by the umask (the
    standard library's mkstemp would make it 0o600, and reading the umask means changing it, for every thread)."""
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp, _NEW_FILE, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(path.parent))


@dataclass(frozen=True)
class FileAccess:
    """The folders local files may be read from. A path is allowed when, with every symlink and `..` resolved,
    it is one of them or inside one, compared by path components (`/a/deck-evil` is not inside `/a/deck`)."""

    roots: tuple[Path, ...]  # resolved when made
    # Folders whose files must have one name: in a folder from elsewhere (--untrusted) a hard link may be any file
    # of the disk under a name inside the folder, and where its other names are cannot be told.
    one_name_in: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "roots", tuple(dict.fromkeys(Path(root).resolve() for root in self.roots)))
        object.__setattr__(self, "one_name_in", tuple(Path(root).resolve() for root in self.one_name_in))

    @classmethod
    def for_deck(cls, source: Path, options: Options) -> FileAccess:
        """Where a deck's own files may come from: its folder, the git work tree holding it and the --allow-dir
        folders; with --untrusted, its folder and nothing else."""
        folder = source.resolve().parent
        if options.untrusted:
            return cls((folder,), one_name_in=(folder,))
        roots = [folder, *options.allow_dirs]
        home = _home()
        for parent in (folder, *folder.parents):
            if home is not None and home.is_relative_to(parent):
                break  # never the home folder or above it: a dotfiles repository at ~ would open all of home
            if _repository(parent):
                roots.append(parent)
                break
        return cls(tuple(roots))

    def including(self, *folders: Path) -> FileAccess:
        """These roots and `folders` (the renderer also reads the theme and the fonts)."""
        return FileAccess((*self.roots, *folders), one_name_in=self.one_name_in)

    def allows(self, path: Path) -> bool:
        """Whether `path` (absolute) may be read: it resolves to a root or to something inside one (and has one
        name, inside `one_name_in`). A path that cannot be resolved (a symlink loop) is not allowed."""
        return self.refusal(path) is None

    def refusal(self, path: Path) -> str | None:
        """Why `path` may not be read, in the user's words; None when it may."""
        try:
            real = Path(path).resolve()
            linked = (
                any(real.is_relative_to(r) for r in self.one_name_in) and real.is_file() and real.stat().st_nlink > 1
            )
        except (OSError, RuntimeError):
            return "cannot be resolved (a loop of symbolic links?)"
        if not any(real.is_relative_to(root) for root in self.roots):
            return "is outside the deck's folder and was not read; allow its folder with --allow-dir"
        if linked:
            return "is a hard link, which may name any file of the disk, and was not read; copy the file instead"
        return None


def _repository(folder: Path) -> bool:
    """Whether `folder` is the top of a git work tree as git sees one: a `.git` folder with its HEAD, or a `.git`
    file naming the repository (worktrees, submodules). An empty `.git` folder is not one."""
    dot = folder / ".git"
    try:
        if dot.is_dir():
            return (dot / "HEAD").is_file() and (dot / "objects").is_dir()
        return dot.is_file() and dot.read_text(encoding="utf-8", errors="replace")[:200].startswith("gitdir:")
    except OSError:
        return False


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, OSError):  # no home (a service account)
        return None


def read_sheets(sheets: Sequence[Path], access: FileAccess | None = None) -> dict[Path, str]:
    """The style sheets' text, with the local sheets they @import (a theme may build on another), each once. Only
    regular files of a sane size are read (`@import "/dev/zero"` or a FIFO would never end), and with `access`
    only imports it allows (the deck's own sheets): any other is "", as one that cannot be read."""
    texts: dict[Path, str] = {}
    todo = [(sheet, True) for sheet in sheets]
    while todo:
        sheet, given = todo.pop(0)
        sheet = sheet.resolve()
        if sheet in texts:
            continue
        texts[sheet] = ""
        if access is not None and not given and not access.allows(sheet):
            continue
        try:
            info = sheet.stat()
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_SHEET_BYTES:
                texts[sheet] = sheet.read_text(encoding="utf-8", errors="replace")
        except OSError:
            pass
        base = sheet.as_uri()
        for ref in css_imports(texts[sheet]):
            url = urlsplit(joined(base, ref.ref))
            if url.scheme == "file":
                todo.append((Path(unquote(url.path)), False))
    return texts
