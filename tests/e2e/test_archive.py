"""Archive-grade PDFs: PDF/A-3b, the sources attached and extractable, byte-for-byte reproducible, metadata."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from deck2pdf.archive import language
from deck2pdf.parse import parse_text
from deck2pdf.pipeline import convert

from ..conftest import ROOT
from ..helpers import fonts

EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


@pytest.fixture
def tour(tmp_path: Path) -> Path:
    """A copy of the tour (with its style sheet and picture), dated 2020-09-13T12:26:40Z."""
    folder = tmp_path / "tour"
    shutil.copytree(ROOT / "examples", folder, ignore=shutil.ignore_patterns("*.pdf"))
    deck = folder / "tour.md"
    os.utime(deck, (1_600_000_000, 1_600_000_000))
    return deck


def render(deck: Path, out: Path, **options: object) -> bytes:
    convert(deck, {"output": out, "cache_dir": deck.parent / "cache", **options})
    return out.read_bytes()


@pytest.mark.slow
# Each pair of the three choices once (4 runs, not 8): each deck with and without PDF/A and a handout, PDF/A with
# and without a handout.
@pytest.mark.parametrize(
    ("deck", "handout", "pdfa"),
    [("tour", None, False), ("tour", 6, True), ("scripts", None, True), ("scripts", 6, False)],
)
def test_two_renders_are_byte_identical(tour: Path, tmp_path: Path, deck: str, handout: int | None, pdfa: bool) -> None:
    if deck == "scripts":  # CJK and emoji: fonts subset by other means than the tour's
        tour = tmp_path / "scripts.md"
        shutil.copy(ROOT / "tests" / "decks" / "scripts.md", tour)
    # Separate processes, more than a second apart: anything taken from the clock, or cached in a process
    # (WeasyPrint keeps subset fonts), would show.
    flags = [*(["--handout", str(handout)] if handout else []), *(["--pdfa"] if pdfa else [])]
    first = cli_render(tour, tmp_path / "a.pdf", *flags)
    time.sleep(1.1)
    second = cli_render(tour, tmp_path / "b.pdf", *flags)
    assert first == second


def cli_render(deck: Path, out: Path, *flags: str) -> bytes:
    args = [
        sys.executable,
        "-m",
        "deck2pdf",
        str(deck),
        "-o",
        str(out),
        "-q",
        "--cache-dir",
        str(out.parent / "cache"),
    ]
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    subprocess.run([*args, *flags], check=True, env=env)
    return out.read_bytes()


def _xmp(pdf: Path) -> str:
    return PdfReader(pdf).trailer["/Root"]["/Metadata"].get_object().get_data().decode()


@pytest.mark.slow
def test_dates_come_from_source_date_epoch_else_the_deck_file(tour: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    out = tmp_path / "e.pdf"
    cmd = [
        sys.executable,
        "-m",
        "deck2pdf",
        str(tour),
        "--pdfa",
        "-q",
        "-o",
        str(out),
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    subprocess.run(cmd, env=env, check=True)
    meta = PdfReader(out).metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20231114221320Z"
    assert re.findall(r"<xmp:(?:CreateDate|ModifyDate)>([^<]+)<", _xmp(out)) == ["2023-11-14T22:13:20Z"] * 2
    render(tour, tmp_path / "f.pdf")
    assert PdfReader(tmp_path / "f.pdf").metadata["/CreationDate"] == "D:20200913122640Z"  # the deck file's time


def test_pdfa_declares_pdfa_3b_with_output_intent_embedded_fonts_and_attachments(tour: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    render(tour, out, pdfa=True)
    xmp = _xmp(out)
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    root = PdfReader(out).trailer["/Root"]
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    assert fonts(out) and all(f.embedded for f in fonts(out))
    assert sorted(PdfReader(out).attachments) == ["deck2pdf-manifest.json", "tour.css", "tour.md"]
    af = [str(spec.get_object()["/AFRelationship"]) for spec in root["/AF"]]
    assert sorted(af) == ["/Data", "/Source", "/Source"]
    check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout


def test_a_pdfa_render_leaves_the_next_render_of_the_deck_plain(tour: Path, tmp_path: Path) -> None:
    render(tour, tmp_path / "a.pdf", pdfa=True)
    render(tour, tmp_path / "b.pdf")  # the same deck, the same process: its shared set-up is kept
    assert "/OutputIntents" not in PdfReader(tmp_path / "b.pdf").trailer["/Root"]


def test_the_manifest_lists_every_image_with_checksum(tour: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "a.pdf"
    render(tour, out, pdfa=True)
    manifest = json.loads(PdfReader(out).attachments["deck2pdf-manifest.json"][0])
    refs = {i["ref"]: i for i in manifest["images"]}
    assert set(refs) == {"images/pipeline.svg", "images/does-not-exist.png"}
    assert len(refs["images/pipeline.svg"]["sha256"]) == 64 and refs["images/does-not-exist.png"]["problem"]
    assert manifest["deck_modified"] == "2020-09-13T12:26:40Z"


@pytest.mark.slow
def test_extracted_sources_render_the_same_pdf(tmp_path: Path) -> None:
    deck = tmp_path / "talk" / "talk.md"
    (deck.parent / "css").mkdir(parents=True)
    (deck.parent / "css" / "look.css").write_text("h3 { color: #a00 }\n")
    deck.write_text(
        "title: Round trip\nstyle: css/look.css\nauthor:\n  name: Ann\n--\n### One\n[a link](https://example.org/)\n"
    )
    os.utime(deck, (1_600_000_000, 1_600_000_000))
    original = cli_render(deck, tmp_path / "one.pdf", "--pdfa")
    time.sleep(1.1)
    out = tmp_path / "extracted"
    listing = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(tmp_path / "one.pdf"), "--extract", "-d", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(Path(p).relative_to(out).as_posix() for p in listing) == [
        "css/look.css",
        "deck2pdf-manifest.json",
        "talk.md",
    ]
    assert cli_render(out / "talk.md", tmp_path / "two.pdf", "--pdfa") == original


def test_extract_refuses_names_that_leave_the_folder(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["../escape.txt"] = pikepdf.AttachedFileSpec(pdf, b"x")
    pdf.save(tmp_path / "evil.pdf")
    result = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(tmp_path / "evil.pdf"), "--extract", "-d", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "points outside the folder; not extracted" in result.stderr
    assert not (tmp_path / "escape.txt").exists()


def test_metadata_page_labels_and_bookmarks(tour: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    render(tour, out, slides="2-3,7")
    reader = PdfReader(out)
    assert reader.metadata["/Creator"].startswith("deck2pdf ")
    assert reader.metadata["/Subject"] == "What deck2pdf does with a Cleaver deck, shown with a Cleaver deck."
    assert reader.metadata["/Keywords"] == "cleaver, slides, pdf, print"
    assert reader.trailer["/Root"]["/Lang"] == "en"  # detected
    assert reader.page_labels == ["2", "3", "7"]
    assert [o.title for o in reader.outline] == ["What it does", "Slides and classes", "Code"]


def test_pdfua_is_tagged(tour: Path, tmp_path: Path) -> None:
    out = tmp_path / "u.pdf"
    render(tour, out, pdfua=True)
    root = PdfReader(out).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert 'pdfuaid:part="1"' in _xmp(out)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("lang: pt-BR\n--\nhello", "pt-BR"),
        ("--\nThe deck is about the way that you test it and it is for you", "en"),
        ("--\nDas ist der Test und die Folie ist nicht mit den anderen", "de"),
        ("--\nЭто слайд о том, как мы тестируем программы и почему это важно для всех нас", "ru"),
        ("--\nЦе слайд про те, як ми тестуємо програми і чому це важливо для всіх нас і їх", "uk"),
        ("--\n私はガラスを食べられます。それは私を傷つけません。私はガラスを食べられます。", "ja"),
        ("--\n我能吞下玻璃而不伤身体。我能吞下玻璃而不伤身体。我能吞下玻璃。", "zh"),
        ("--\n我能吞下玻璃而不傷身體。這個們說的實際工作與開發。我能吞下玻璃。", "zh-Hant"),
        ("--\n日本語の文章を漢字で書く。漢字仮名交文章。日本語文章漢字。", "ja"),  # more kanji than kana
        ("--\n나는 유리를 먹을 수 있어요. 그래도 아프지 않아요. 漢字", "ko"),
        ("--\n42", ""),
    ],
)
def test_language_from_front_matter_or_detected(text: str, lang: str) -> None:
    assert language(parse_text(text, Path("d.md"))) == lang


def test_a_bad_source_date_epoch_is_a_usage_error(tour: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "yesterday"}
    result = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(tour), "-o", str(tmp_path / "x.pdf")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "SOURCE_DATE_EPOCH='yesterday': not a number of seconds" in result.stderr


def test_datetime_option_is_used_as_is(tour: Path, tmp_path: Path) -> None:
    when = datetime.datetime(2021, 5, 4, 3, 2, 1, tzinfo=datetime.UTC)
    render(tour, tmp_path / "d.pdf", created=when)
    assert PdfReader(tmp_path / "d.pdf").metadata["/CreationDate"] == "D:20210504030201Z"


@pytest.mark.slow
def test_the_handout_header_date_is_the_document_date(tour: Path, tmp_path: Path) -> None:
    from ..helpers import page_texts

    (tour.parent / "tour.md").write_text(tour.read_text().replace("date: 2026-11-28\n", ""))
    os.utime(tour, (1_600_000_000, 1_600_000_000))
    render(tour, tmp_path / "a.pdf", handout=6)
    assert "13 September 2020" in page_texts(tmp_path / "a.pdf")[0]  # the deck file's date, in UTC
    render(tour, tmp_path / "b.pdf", handout=6, created=datetime.datetime.fromtimestamp(EPOCH, datetime.UTC))
    assert "14 November 2023" in page_texts(tmp_path / "b.pdf")[0]  # SOURCE_DATE_EPOCH wins over the file


def _pdf_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    for name, data in files.items():
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, data)
    pdf.save(tmp_path / "talk.pdf")
    return tmp_path / "talk.pdf"


def _extract(pdf: Path, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(pdf), "--extract", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_extract_writes_a_fresh_folder_named_after_the_pdf_and_never_over_a_file(tmp_path: Path) -> None:
    pdf = _pdf_with(tmp_path, {"talk.md": b"new", "deck2pdf-manifest.json": b"{}"})
    (tmp_path / "talk.md").write_bytes(b"mine")
    done = _extract(pdf, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "talk-attachments" / "talk.md").read_bytes() == b"new"
    assert (tmp_path / "talk.md").read_bytes() == b"mine"
    again = _extract(pdf, cwd=tmp_path)  # the files are there now: kept, and nothing written
    assert again.returncode == 2 and "exists; nothing extracted" in again.stderr and "--force" in again.stderr
    (tmp_path / "talk-attachments" / "talk.md").write_bytes(b"edited")
    assert _extract(pdf, "-d", tmp_path, cwd=tmp_path).returncode == 2
    assert (tmp_path / "talk.md").read_bytes() == b"mine"
    forced = _extract(pdf, "--force", cwd=tmp_path)
    assert forced.returncode == 0 and (tmp_path / "talk-attachments" / "talk.md").read_bytes() == b"new"


def test_extract_never_writes_into_a_git_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_bytes(b"[core]\n")
    pdf = _pdf_with(tmp_path, {".git/config": b"[core]\nfsmonitor = touch pwned\n", "hooks/x": b"x"})
    for folder in (tmp_path, tmp_path / ".git"):
        done = _extract(pdf, "-d", folder, "--force", cwd=tmp_path)
        assert done.returncode == 2 and "into a .git folder; nothing extracted" in done.stderr
    assert (tmp_path / ".git" / "config").read_bytes() == b"[core]\n"
    assert not (tmp_path / "hooks").exists()


def test_extracted_names_are_printed_without_control_characters(tmp_path: Path) -> None:
    pdf = _pdf_with(tmp_path, {"a\x1b[31mred\x07.md": b"x"})
    done = _extract(pdf, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\\x1b[31mred\\x07.md" in done.stdout
