"""Files: the one atomic writer, and the one check of which local files may be read (images, style sheets, the
renderer's fetches, extracted attachments)."""

from __future__ import annotations

import os
from pathlib import Path

import pikepdf
import pytest

from deck2pdf.archive import extract
from deck2pdf.assets import checked_style
from deck2pdf.errors import UsageError
from deck2pdf.files import FileAccess, write_atomic
from deck2pdf.model import FetchScope
from deck2pdf.options import Options
from tests.helpers import git_work_tree


def test_write_atomic_gives_a_new_file_the_mode_the_umask_allows(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.bin", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").read_bytes() == b"data"
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_write_atomic_syncs_to_disk_only_when_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    write_atomic(tmp_path / "cache.bin", b"x")
    assert synced == []
    write_atomic(tmp_path / "talk.pdf", b"x", durable=True)
    assert len(synced) == 1


def test_a_failed_write_raises_oserror_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "entry.json").write_bytes(b"old")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left on device"):
        write_atomic(tmp_path / "entry.json", b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["entry.json"]
    assert (tmp_path / "entry.json").read_bytes() == b"old"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """/deck (with a picture, a subfolder and symlinks), /deck-evil and /outside beside it."""
    for folder in ("deck/sub", "deck-evil", "outside"):
        (tmp_path / folder).mkdir(parents=True)
    for file in ("deck/a.png", "deck/sub/b.png", "deck-evil/x.png", "outside/secret.png"):
        (tmp_path / file).write_bytes(b"x")
    (tmp_path / "deck" / "escape.png").symlink_to(tmp_path / "outside" / "secret.png")
    (tmp_path / "deck" / "escape-dir").symlink_to(tmp_path / "outside")
    (tmp_path / "outside" / "way-in.png").symlink_to(tmp_path / "deck" / "a.png")
    return tmp_path


def test_files_in_the_folder_or_below_it_are_allowed(tree: Path) -> None:
    access = FileAccess((tree / "deck",))
    assert access.allows(tree / "deck" / "a.png")
    assert access.allows(tree / "deck" / "sub" / "b.png")
    assert access.allows(tree / "deck" / "sub" / ".." / "a.png")
    assert access.allows(tree / "deck")
    assert access.allows(tree / "outside" / "way-in.png")  # a link from outside to a file inside: the file counts


def test_a_sibling_folder_whose_name_starts_like_the_root_is_not_inside_it(tree: Path) -> None:
    access = FileAccess((tree / "deck",))
    assert not access.allows(tree / "deck-evil" / "x.png")
    assert not access.allows(tree / "deck-evil")


def test_dot_dot_and_symlinks_cannot_leave_the_folder(tree: Path) -> None:
    access = FileAccess((tree / "deck",))
    assert not access.allows(tree / "deck" / ".." / "outside" / "secret.png")
    assert not access.allows(tree / "deck" / "sub" / ".." / ".." / "deck-evil" / "x.png")
    assert not access.allows(tree / "deck" / "escape.png")
    assert not access.allows(tree / "deck" / "escape-dir" / "secret.png")
    assert not access.allows(Path("/etc/passwd"))


def test_a_symlink_loop_is_not_allowed(tree: Path) -> None:
    (tree / "deck" / "loop").symlink_to(tree / "deck" / "loop")
    assert not FileAccess((tree / "deck",)).allows(tree / "deck" / "loop" / "x.png")


def test_a_root_reached_through_a_symlink_is_resolved(tree: Path) -> None:
    (tree / "link-to-deck").symlink_to(tree / "deck")
    access = FileAccess((tree / "link-to-deck",))
    assert access.roots == ((tree / "deck").resolve(),)
    assert access.allows(tree / "deck" / "a.png")
    assert not access.allows(tree / "link-to-deck" / "escape.png")


def test_a_deck_may_read_its_folder_its_git_tree_and_allowed_folders_but_untrusted_only_its_folder(
    tree: Path,
) -> None:
    git_work_tree(tree)
    source = tree / "deck" / "sub" / "talk.md"
    access = FileAccess.for_deck(source, Options(allow_dirs=(tree / "deck-evil",)))
    assert set(access.roots) == {(tree / "deck" / "sub").resolve(), (tree / "deck-evil").resolve(), tree.resolve()}
    assert access.allows(tree / "outside" / "secret.png")  # inside the git work tree
    untrusted = FileAccess.for_deck(source, Options(untrusted=True, allow_dirs=(tree / "deck-evil",)))
    assert untrusted.roots == ((tree / "deck" / "sub").resolve(),)
    assert not untrusted.allows(tree / "deck" / "a.png")
    assert not untrusted.allows(tree / "deck-evil" / "x.png")


def test_including_adds_folders(tree: Path) -> None:
    access = FileAccess((tree / "deck",)).including(tree / "outside")
    assert access.allows(tree / "outside" / "secret.png") and not access.allows(tree / "deck-evil" / "x.png")


@pytest.mark.parametrize(
    ("sheet", "kept", "warning"),
    [
        ("deck/look.css", True, None),
        ("deck/missing.css", False, "`style:` sheet {sheet} not found; the theme is used without it"),
        (
            "deck-evil/look.css",
            False,
            "`style:` sheet {sheet} is outside the deck's folder and was not read; allow its folder with --allow-dir",
        ),
        (
            "deck/linked.css",
            False,
            "`style:` sheet {sheet} is outside the deck's folder and was not read; allow its folder with --allow-dir",
        ),
    ],
)
def test_the_style_sheet_is_read_only_from_where_images_may_come_from(
    tree: Path, sheet: str, kept: bool, warning: str | None
) -> None:
    (tree / "deck" / "look.css").write_text("h1 { color: red }")
    (tree / "deck-evil" / "look.css").write_text("h1 { color: red }")
    (tree / "outside" / "look.css").write_text("h1 { color: red }")
    (tree / "deck" / "linked.css").symlink_to(tree / "outside" / "look.css")
    source = tree / "deck" / "talk.md"
    options = Options(style=tree / sheet)
    checked, warnings = checked_style(options, source)
    assert checked.style == (options.style if kept else None)
    assert warnings == ([] if warning is None else [f"{source}: " + warning.format(sheet=tree / sheet)])


def _attached(path: Path, names: list[str]) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    for name in names:
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, b"x")
    pdf.save(path)
    return path


@pytest.mark.parametrize("name", ["../escape.txt", "link/escape.txt", "."])
def test_extract_writes_nothing_outside_the_folder(tree: Path, name: str) -> None:
    folder = tree / "out"
    folder.mkdir()
    (folder / "link").symlink_to(tree / "outside")
    with pytest.raises(UsageError, match="points outside the folder; not extracted"):
        extract(_attached(tree / "evil.pdf", [name]), folder)
    assert not (tree / "escape.txt").exists() and not (tree / "outside" / "escape.txt").exists()


def test_extract_writes_attachments_into_subfolders(tree: Path) -> None:
    written = extract(_attached(tree / "ok.pdf", ["css/look.css", "talk.md"]), tree / "out")
    assert [p.relative_to((tree / "out").resolve()).as_posix() for p in written] == ["css/look.css", "talk.md"]


def test_the_renderer_fetches_nothing_from_a_sibling_folder_with_the_same_prefix(tree: Path) -> None:
    from deck2pdf.rendering.engine import import_weasyprint
    from deck2pdf.rendering.pages import _local_only_fetcher

    fetcher = _local_only_fetcher(import_weasyprint(), FetchScope((tree / "deck",)))
    (tree / "deck" / "a.svg").write_bytes(b"<svg/>")  # (the renderer serves only images it reads: not a.png's "x")
    assert fetcher.fetch((tree / "deck" / "a.svg").as_uri()).read() == b"<svg/>"
    for outside in ("deck-evil/x.png", "deck/escape.png", "deck/sub/../../outside/secret.png"):
        with pytest.raises(ValueError, match="is outside the deck's folder"):
            fetcher.fetch((tree / "deck").as_uri() + "/../" + outside)


def test_only_a_real_repository_below_home_widens_the_jail(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tree / "deck" / "sub" / "talk.md"
    (tree / ".git").mkdir()  # empty: not a repository
    assert tree.resolve() not in FileAccess.for_deck(source, Options()).roots
    git_work_tree(tree)
    assert tree.resolve() in FileAccess.for_deck(source, Options()).roots
    monkeypatch.setattr(Path, "home", lambda: tree)  # a dotfiles repository at ~
    assert tree.resolve() not in FileAccess.for_deck(source, Options()).roots


def test_style_sheet_imports_are_read_only_where_the_deck_may_read(tmp_path: Path) -> None:
    from deck2pdf.files import read_sheets

    (tmp_path / "deck").mkdir()
    (tmp_path / "secret.css").write_text(".secret { color: red }")
    (tmp_path / "deck" / "s.css").write_text('@import "../secret.css"; @IMPORT url(  "./t.css" ) print;')
    (tmp_path / "deck" / "t.css").write_text(".t { color: blue }")
    texts = read_sheets([tmp_path / "deck" / "s.css"], FileAccess((tmp_path / "deck",)))
    assert texts[(tmp_path / "secret.css").resolve()] == ""
    assert ".t" in texts[(tmp_path / "deck" / "t.css").resolve()]


def test_an_untrusted_folder_hard_link_is_not_read(tmp_path: Path) -> None:
    outside, deck = tmp_path / "outside.png", tmp_path / "deck"
    deck.mkdir()
    outside.write_bytes(b"x")
    os.link(outside, deck / "a.png")
    (deck / "b.png").write_bytes(b"y")
    untrusted = FileAccess.for_deck(deck / "d.md", Options(untrusted=True))
    assert not untrusted.allows(deck / "a.png") and untrusted.allows(deck / "b.png")
    assert FileAccess.for_deck(deck / "d.md", Options()).allows(deck / "a.png")  # your own folder: yours


def test_hard_links_are_refused_only_in_the_untrusted_decks_own_folder(tmp_path: Path) -> None:
    (tmp_path / "deck").mkdir()
    (tmp_path / "theme").mkdir()
    (tmp_path / "store.css").write_text("h1{}")
    os.link(tmp_path / "store.css", tmp_path / "theme" / "style.css")  # as uv or a Nix store installs a theme
    access = FileAccess.for_deck(tmp_path / "deck" / "d.md", Options(untrusted=True)).including(tmp_path / "theme")
    assert access.allows(tmp_path / "theme" / "style.css")
    os.link(tmp_path / "store.css", tmp_path / "deck" / "x.css")
    assert access.refusal(tmp_path / "deck" / "x.css") == (
        "is a hard link, which may name any file of the disk, and was not read; copy the file instead"
    )
