"""A conference's talks as one archive: --bundle (cover, contents, every talk's pages, bookmarks talk -> slides,
labels `3·12`, links kept, byte-reproducible, PDF/A), --index (offline index.html, checked in headless Chromium),
--shard (shards bundled give the one-machine bundle) and a shared cache that survives a killed worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf
import pytest

from ..browser import chromium, visit
from ..helpers import page_labels, page_texts

EPOCH = "1700000000"
TALKS = {
    "alpha.md": "title: Alpha and the Links\nauthor:\n  name: Ada Lovelace\n--\n# Alpha\n\n[to the end](#slide-3)\n--\n# Middle\n\nSome words.\n--\n# End of alpha\n",
    "beta.md": "title: Beta Talk\nauthor:\n  name: Bob Byte\n--\n# Beta\n--\n# Second of beta\n",
    "gamma.md": "title: Gamma Rays\n--\n# Gamma\n\nOne slide only.\n",
    "delta.md": "title: Delta Force\nauthor:\n  name: Dee\n--\n# Delta\n--\n# Two\n--\n# Three\n--\n# Four\n",
}
pytestmark = pytest.mark.slow


def _decks(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in TALKS.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return sorted(paths)


def _deck2pdf(*args: str | Path, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "deck2pdf", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four talks converted once with --bundle, --index and --json (in one folder: the archive)."""
    root = tmp_path_factory.mktemp("conference")
    decks = _decks(root / "talks")
    run = _deck2pdf(
        *decks, "-d", "archive", "--bundle", "archive/proceedings.pdf", "--index", "--json", "-q",
        "--cover-title", "DevConf 2027", "--cover-subtitle", "Main track", "--cover-date", "12-14 May 2027",
        cwd=root, cache=root / "cache",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    (root / "report.json").write_text(run.stdout)
    return root


def test_the_bundle_holds_cover_contents_and_every_talks_pages(batch: Path) -> None:
    bundle = batch / "archive" / "proceedings.pdf"
    talks = [batch / "archive" / f"{Path(n).stem}.pdf" for n in sorted(TALKS)]
    counts = [len(pikepdf.open(t).pages) for t in talks]
    texts = page_texts(bundle)
    assert len(texts) == 2 + sum(counts)
    assert "DevConf 2027" in texts[0] and "Main track" in texts[0] and "12-14 May 2027" in texts[0]
    # The contents list each talk with its author and first page; each first page shows that talk's first slide.
    contents = " ".join(texts[1].split())
    first = 3
    for talk, count, title, author in zip(
        talks,
        counts,
        ["Alpha and the Links", "Beta Talk", "Delta Force", "Gamma Rays"],
        ["Ada Lovelace", "Bob Byte", "Dee", ""],
        strict=True,
    ):
        assert f"{title} {first} {author}".strip() in contents  # as pdftotext reads the line: the page beside the title
        assert page_texts(talk)[0].split() == texts[first - 1].split()
        first += count


def test_the_contents_link_to_each_talks_first_page_and_talk_links_stay_inside_the_talk(batch: Path) -> None:
    pdf = pikepdf.open(batch / "archive" / "proceedings.pdf")
    pages = {p.objgen: i for i, p in enumerate(pdf.pages)}
    dests = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())

    def target(annot: pikepdf.Dictionary) -> int:
        return pages[dests[str(annot.Dest)][0].objgen]

    contents = {target(a) for a in pdf.pages[1].Annots}
    # alpha (3 slides and its author slide), beta (2 + 1), delta (4 + 1), gamma (1), after cover and contents
    assert contents == {2, 6, 9, 14}
    alpha_link = [a for a in pdf.pages[2].get("/Annots", []) if "/Dest" in a]
    assert [str(a.Dest) for a in alpha_link] == ["1/slide-3"]
    assert target(alpha_link[0]) == 4  # alpha's slide 3, not delta's


def test_bookmarks_nest_slides_under_talks_and_labels_name_talk_and_slide(batch: Path) -> None:
    bundle = batch / "archive" / "proceedings.pdf"
    with pikepdf.open(bundle) as pdf, pdf.open_outline() as outline:
        tops = [(item.title, [child.title for child in item.children]) for item in outline.root]
    assert tops == [
        ("1. Alpha and the Links — Ada Lovelace", ["Alpha", "Middle", "End of alpha", "Ada Lovelace"]),
        ("2. Beta Talk — Bob Byte", ["Beta", "Second of beta", "Bob Byte"]),
        ("3. Delta Force — Dee", ["Delta", "Two", "Three", "Four", "Dee"]),
        ("4. Gamma Rays", ["Gamma"]),
    ]  # (Cleaver ends a deck whose front matter names an author with a slide about them)
    assert page_labels(bundle) == [
        "i", "ii", "1·1", "1·2", "1·3", "1·4", "2·1", "2·2", "2·3", "3·1", "3·2", "3·3", "3·4", "3·5", "4·1",
    ]  # fmt: skip


def test_the_bundle_made_later_from_the_pdfs_is_the_same_bytes(batch: Path) -> None:
    pdfs = sorted((batch / "archive").glob("[a-g]*.pdf"))
    run = _deck2pdf(
        "--bundle", "again.pdf", *pdfs, "-q", "--cover-title", "DevConf 2027", "--cover-subtitle", "Main track",
        "--cover-date", "12-14 May 2027", cwd=batch, cache=batch / "cache",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (batch / "again.pdf").read_bytes() == (batch / "archive" / "proceedings.pdf").read_bytes()


def test_the_json_report_carries_what_an_archive_page_needs(batch: Path) -> None:
    rows = json.loads((batch / "report.json").read_text())
    alpha = rows[0]
    assert (alpha["title"], alpha["author"], alpha["date"], alpha["pages"], alpha["slides"]) == (
        "Alpha and the Links", "Ada Lovelace", "2023-11-14", 4, 4,
    )  # fmt: skip
    assert alpha["outputs"] == {
        "pdf": "archive/alpha.pdf",
        "thumbnail": "archive/thumbnails/alpha.png",
        "source": "archive/sources/alpha.md",
    }
    assert all((batch / path).is_file() for row in rows for path in row["outputs"].values())


def test_shards_on_three_machines_bundle_to_the_one_machine_bundle(batch: Path, tmp_path: Path) -> None:
    decks = _decks(tmp_path / "talks")
    held: list[set[str]] = []
    for k in range(3):
        # Each "machine": its own process, output folder and cache; the decks given in another order.
        run = _deck2pdf(
            *reversed(decks),
            "--shard",
            f"{k}/3",
            "-d",
            f"out-{k}",
            "--json",
            "-q",
            cwd=tmp_path,
            cache=tmp_path / f"cache-{k}",
        )
        assert run.returncode == 0, run.stderr
        held.append({Path(row["deck"]).name for row in json.loads(run.stdout)})
    assert sum(len(h) for h in held) == len(TALKS) and set().union(*held) == set(TALKS)
    pdfs = sorted(tmp_path.glob("out-*/*.pdf"), key=lambda p: p.name)  # the one-machine run's order: by name
    run = _deck2pdf(
        "--bundle", "merged.pdf", *pdfs, "-q", "--cover-title", "DevConf 2027", "--cover-subtitle", "Main track",
        "--cover-date", "12-14 May 2027", cwd=tmp_path, cache=tmp_path / "cache-merge",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "merged.pdf").read_bytes() == (batch / "archive" / "proceedings.pdf").read_bytes()


def test_a_pdfa_bundle_declares_pdfa_and_carries_each_talks_sources(tmp_path: Path) -> None:
    decks = _decks(tmp_path / "talks")[:2]
    run = _deck2pdf(*decks, "-d", "pdf", "--pdfa", "--bundle", "p.pdf", "-q", cwd=tmp_path, cache=tmp_path / "c")
    assert run.returncode == 0, run.stderr
    with pikepdf.open(tmp_path / "p.pdf") as pdf:
        assert pdf.open_metadata().pdfa_status == "3B"
        assert "/OutputIntents" in pdf.Root
        assert sorted(pdf.attachments) == [
            "alpha/alpha.md", "alpha/deck2pdf-manifest.json", "beta/beta.md", "beta/deck2pdf-manifest.json",
        ]  # fmt: skip
        assert len(pdf.Root.AF) == 4
    plain = _deck2pdf(*decks, "-d", "plain", "-q", cwd=tmp_path, cache=tmp_path / "c")
    assert plain.returncode == 0
    refused = _deck2pdf(
        "--bundle", "x.pdf", "--pdfa", *sorted((tmp_path / "plain").glob("*.pdf")), cwd=tmp_path, cache=tmp_path / "c"
    )
    assert refused.returncode == 2 and "is not PDF/A" in refused.stderr


def test_the_index_works_offline_in_headless_chromium(batch: Path) -> None:
    if chromium() is None:
        pytest.skip("needs the system's headless Chromium (Debian package chromium; `make test` installs it)")
    index = batch / "archive" / "index.html"
    assert "<script" not in index.read_text()
    for width, height in ((1200, 900), (390, 844)):  # a desk and a phone
        seen = visit(index.as_uri(), width=width, height=height)
        assert seen.console == []
        assert seen.scripts == 0
        assert all(urlsplit(url).scheme == "file" for url in seen.requests), seen.requests
        assert all(Path(unquote(urlsplit(url).path)).is_relative_to(index.parent) for url in seen.requests)
        assert len(seen.images) == 4 and all(i["loaded"] and i["alt"].startswith("First slide of") for i in seen.images)
        assert seen.width <= width  # nothing wider than the screen: no sideways scrolling on a phone
        assert len(seen.links) == 1 + 4 * 2  # the bundle; each talk's PDF and source
        for link in seen.links:
            assert Path(unquote(urlsplit(link).path)).is_file(), link
        (batch / f"index-{width}.png").write_bytes(seen.screenshot)


def test_a_killed_worker_leaves_the_shared_cache_usable(tmp_path: Path) -> None:
    decks = _decks(tmp_path / "talks")
    cache = tmp_path / "shared-cache"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "XDG_CACHE_HOME": str(cache)}
    args = [sys.executable, "-m", "deck2pdf", *map(str, decks), "-d", "killed", "-j", "2", "-q"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    renders = cache / "deck2pdf" / "v1" / "renders"
    while not list(renders.glob("*.pdf")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, mid-write or not
    proc.wait()
    assert not [p for p in cache.rglob("*") if p.suffix == ".lock" or "lock" in p.name.lower()]
    again = _deck2pdf(*decks, "-d", "after", "-q", cwd=tmp_path, cache=cache)
    assert again.returncode == 0, again.stderr
    fresh = _deck2pdf(*decks, "-d", "fresh", "-q", cwd=tmp_path, cache=tmp_path / "fresh-cache")
    assert fresh.returncode == 0, fresh.stderr
    for deck in decks:
        name = deck.with_suffix(".pdf").name
        assert (tmp_path / "after" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
