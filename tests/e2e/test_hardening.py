"""A hostile deck cannot attach files, forge messages, or make a download outlive its time limit."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from deck2pdf.pipeline import convert
from tests.helpers import git_work_tree, page_texts

from ..conftest import ROOT, LocalHTTP, QuietServer, Route

ATTACHING = [
    '<a rel="&#97;ttachment" href="../.env">env</a>',
    "<a rel='ATTACHMENT' href='../.env'>env</a>",
    '<a rel="nofollow  attachment" href="../.env">env</a>',
    '<a rel=\n"attachment" href="../.env">env</a>',
    '<link rel="attachment" href="../.env">',
    '<link rel="&#x61;ttachment" href="../.env">',
]


def _embedded(pdf: Path) -> tuple[list[str], list[str]]:
    with pikepdf.open(pdf) as doc:
        names = doc.Root.get("/Names")
        files = (
            list(pikepdf.NameTree(names.EmbeddedFiles).keys())
            if names is not None and "/EmbeddedFiles" in names
            else []
        )
        annots = [str(a.get("/Subtype")) for page in doc.pages for a in page.obj.get("/Annots", [])]
    return files, [a for a in annots if a == "/FileAttachment"]


@pytest.mark.parametrize("untrusted", [False, True])
@pytest.mark.parametrize("html", ATTACHING)
@pytest.mark.slow
def test_no_spelling_of_rel_attachment_embeds_a_file(tmp_path: Path, html: str, untrusted: bool) -> None:
    git_work_tree(tmp_path)  # the work tree: in trusted mode the jail reaches .env
    (tmp_path / ".env").write_text("SECRET=hunter2\n")
    deck = tmp_path / "talk" / "deck.md"
    deck.parent.mkdir()
    deck.write_text(f"title: A\n--\n# Attach\n\n{html}\n", encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf, "untrusted": untrusted, "render_cache": False})
    assert _embedded(pdf) == ([], [])
    assert b"hunter2" not in pdf.read_bytes()


def test_pdfa_keeps_its_own_attachments_only(tmp_path: Path) -> None:
    git_work_tree(tmp_path)
    (tmp_path / ".env").write_text("SECRET=hunter2\n")
    deck = tmp_path / "deck.md"
    deck.write_text(f"title: A\n--\n# Attach\n\n{ATTACHING[0].replace('../', '')}\n", encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf, "pdfa": True})
    files, annots = _embedded(pdf)
    assert sorted(files) == ["deck.md", "deck2pdf-manifest.json"] and annots == []


def test_a_message_quoting_the_deck_stays_one_line(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text('title: F\n--\n# x\n\n<img src="x&#10;deck2pdf: error: FAKE\x1b[31m">\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(tmp_path / "o.pdf")], capture_output=True, text=True
    )
    lines = done.stderr.splitlines()
    assert not [line for line in lines if line.startswith("deck2pdf: error: FAKE")]
    assert "\x1b" not in done.stderr
    assert [line for line in lines if "\\ndeck2pdf: error: FAKE\\x1b[31m" in line]


class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        for _ in range(60):
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return
            if self.server.stopping.wait(1):  # type: ignore[attr-defined]
                return

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trickle() -> Iterator[str]:
    server = QuietServer(_Trickle)
    server.thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slow.png"
    server.stop()


@pytest.mark.slow
def test_a_server_trickling_a_byte_a_second_is_cut_off_at_the_image_timeout(tmp_path: Path, trickle: str) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text(f"title: T\n--\n# Slow\n\n![slow]({trickle})\n", encoding="utf-8")
    # The trickle lasts a minute: a conversion that waited for it would meet its own deadline first (GaveUp).
    options = {"image_timeout": 3, "allow_private_network": True, "render_cache": False, "timeout": 40}
    result = convert(deck, {"output": tmp_path / "o.pdf", **options})
    assert [w for w in result.warnings if "timed out after 3 s" in w]


@pytest.mark.slow
def test_a_server_trickling_its_headers_is_cut_off_at_the_image_timeout(tmp_path: Path, trickled_headers: str) -> None:
    """http.client reads a status line and headers with the socket's timeout, which each byte restarts."""
    deck = tmp_path / "deck.md"
    deck.write_text(f"title: T\n--\n# Slow\n\n![slow]({trickled_headers})\n", encoding="utf-8")
    start = time.monotonic()
    result = convert(
        deck, {"output": tmp_path / "o.pdf", "image_timeout": 2, "allow_private_network": True, "render_cache": False}
    )
    assert time.monotonic() - start < 30  # the trickle lasts a minute
    assert [w for w in result.warnings if "timed out after 2 s" in w] and "1 missing" in result.images


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_run_leaves_no_process_and_no_temporary_file(tmp_path: Path, how: int) -> None:
    """deck2pdf killed mid-render (SIGKILL gives it no chance to clean up): its renderer and workers end with it
    (the kernel's parent-death signal), and nothing is left in TMPDIR or beside the output."""
    deck = tmp_path / f"kill-me-{how}.md"  # its full path marks this run's processes (pgrep -f)
    body = "\n".join(f"* point {k}, long enough to take a line of its own on the slide" for k in range(9))
    deck.write_text("title: K\n" + "".join(f"--\n### Slide {n}\n{body}\n" for n in range(1500)), encoding="utf-8")
    name = str(deck)
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    run = subprocess.Popen(
        [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(out / "k.pdf"), "-q", "--no-render-cache", "-j", "2"],
        env=env,
    )
    deadline, seen = time.monotonic() + 30, 0
    while seen < 3 and time.monotonic() < deadline:  # the command, its renderer, a worker: mid-render
        seen = len(_processes(name))
        time.sleep(0.05)
    assert seen >= 3 and run.poll() is None
    run.send_signal(how)
    run.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _processes(name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes(name) == []
    assert list(temp.iterdir()) == [] and list(out.iterdir()) == []


def _processes(marker: str) -> list[str]:
    done = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    return done.stdout.split()


def test_two_decks_with_different_backgrounds_never_share_a_cached_render(tmp_path: Path) -> None:
    from PIL import Image

    text = 'title: T\n--\n# Same\n\n<div style="background: url(bg.png); width: 4em; height: 4em"></div>\n'
    pdfs = []
    for name, colour in (("alice", "#ff0000"), ("bob", "#0000ff")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "talk.md").write_text(text, encoding="utf-8")
        Image.new("RGB", (40, 40), colour).save(folder / "bg.png")
        pdf = tmp_path / f"{name}.pdf"
        convert(folder / "talk.md", {"output": pdf, "cache_dir": tmp_path / "cache"})
        pdfs.append(pdf.read_bytes())
    assert pdfs[0] != pdfs[1]


def test_a_style_sheet_importing_dev_zero_is_not_read(tmp_path: Path) -> None:
    deck = tmp_path / "z.md"
    deck.write_text("title: Z\nstyle: s.css\n--\n# z\n", encoding="utf-8")
    (tmp_path / "s.css").write_text('@import "/dev/zero";\nh1 { color: red }\n', encoding="utf-8")
    convert(deck, {"output": tmp_path / "z.pdf", "render_cache": False, "timeout": 60})  # (reading it never ends)


def test_text_before_the_first_separator_meets_the_slide_limit(tmp_path: Path) -> None:
    from deck2pdf.errors import DeckError

    deck = tmp_path / "big.md"
    deck.write_text("Prose " * 30_000 + "\n--\n# x\n", encoding="utf-8")
    with pytest.raises(DeckError, match="before the first `--`"):
        convert(deck, {"output": tmp_path / "o.pdf", "max_slide_chars": 100_000})


def test_table_span_bombs_are_clamped_as_browsers_clamp_them(tmp_path: Path) -> None:
    deck = tmp_path / "s.md"
    deck.write_text(
        'title: S\n--\n# Spans\n\n<table><colgroup span="100000000"></colgroup><col span=100000000><tr>'
        '<td colspan="100000000">a</td><td rowspan=100000000>b</td></tr></table>\n',
        encoding="utf-8",
    )
    convert(deck, {"output": tmp_path / "s.pdf", "render_cache": False, "timeout": 60})  # (unclamped: hours)


@pytest.mark.slow
def test_an_image_fetched_from_a_private_server_is_not_served_to_a_run_that_refuses_them(
    tmp_path: Path, local_http: LocalHTTP
) -> None:
    from PIL import Image

    png = tmp_path / "p.png"
    Image.new("RGB", (30, 30), "#3366aa").save(png)
    local_http.routes["/p.png"] = Route(png.read_bytes(), "image/png")
    deck = tmp_path / "d.md"
    deck.write_text(f"title: P\n--\n# P\n\n![p]({local_http.url}/p.png)\n", encoding="utf-8")
    cache = tmp_path / "cache"
    allowed = convert(deck, {"output": tmp_path / "a.pdf", "cache_dir": cache, "allow_private_network": True})
    assert "1 fetched" in allowed.images
    for refused in ({}, {"untrusted": True}, {"offline": True}):
        result = convert(deck, {"output": tmp_path / "b.pdf", "cache_dir": cache, "render_cache": False, **refused})
        assert "1 missing" in result.images, refused
    again = convert(
        deck, {"output": tmp_path / "c.pdf", "cache_dir": cache, "allow_private_network": True, "offline": True}
    )
    assert "1 from cache" in again.images


def test_the_pixel_limit_holds_however_a_picture_is_named(tmp_path: Path) -> None:
    """An SVG's <image> and a CSS background reach WeasyPrint without the image stage: the renderer's fetcher
    refuses what is over --max-image-pixels (a 9-megapixel picture, a 1-megapixel limit)."""
    from PIL import Image

    Image.new("RGB", (3000, 3000), "#ff0000").save(tmp_path / "big.png")
    deck = tmp_path / "p.md"
    deck.write_text(
        'title: P\n--\n# px\n\n<svg width="200" height="200"><image href="big.png" width="200" height="200"/></svg>\n\n'
        '<div style="background: url(big.png); width: 5em; height: 3em"></div>\n',
        encoding="utf-8",
    )
    pdf = tmp_path / "p.pdf"
    result = convert(deck, {"output": pdf, "max_image_pixels": 1_000_000, "render_cache": False})
    with pikepdf.open(pdf) as doc:
        sizes = [(int(x.Width), int(x.Height)) for page in doc.pages for _, x in page.get_images().items()]
    assert all(w * h <= 1_000_000 for w, h in sizes), sizes
    assert [w for w in result.warnings if "--max-image-pixels" in w]


@pytest.mark.parametrize(
    "html",
    [
        '<image src="big.png">',  # HTML parsers read it as <img>
        '<svg width="200" height="200"><image href="big.png" width="200" height="200"/></svg>',
        '<svg width="200" height="200"><image xlink:href="big.png" width="200" height="200"></image></svg>',
        '<img src="big.png" src="ok.png">',  # the first of a repeated attribute counts, as in every parser
    ],
)
def test_every_way_of_naming_a_picture_goes_through_the_image_stage(tmp_path: Path, html: str) -> None:
    from PIL import Image

    Image.new("RGB", (3000, 3000), "#ff0000").save(tmp_path / "big.png")
    Image.new("RGB", (30, 30), "#0000ff").save(tmp_path / "ok.png")
    deck = tmp_path / "p.md"
    deck.write_text(f"title: P\n--\n# px\n\n{html}\n", encoding="utf-8")
    result = convert(deck, {"output": tmp_path / "p.pdf", "max_image_pixels": 1_000_000, "render_cache": False})
    assert list(result.warnings) == [
        f"{deck}:5 (slide 1): image 'big.png' has 9 megapixels, over the 1-megapixel limit (--max-image-pixels)"
    ]


BYPASSES = [
    "<style/>@import url(x.css);</style>",
    '<xmp><p title="</xmp><link rel=stylesheet href=x.css>">',
    "<div><!-- --!><link rel=stylesheet href=x.css> --></div>",
    '<svg><style><p>{}<link rel=stylesheet href="x.css">{}</style></svg>',
    '<svg width="200" height="50"><style>&#64;font-face{font-family:evil;src:url(f.ttf)} '
    'text{font-family:evil}</style><text x="0" y="30">Hi</text></svg>',
    "<style>@media all{@font-face{font-family:evil;src:url(f.ttf)} h1{font-family:evil}}</style>",
    "<style>h1{color:blue};</style>",  # ordinary CSS that does not parse whole: no crash
]


@pytest.mark.slow
@pytest.mark.parametrize("html", BYPASSES)
def test_an_untrusted_deck_cannot_bring_its_own_style_sheet_or_font(tmp_path: Path, html: str) -> None:
    """Whatever markup gets past the sanitiser, the renderer's fetcher gives an untrusted deck no style sheet and
    no font of its own (the review's bypasses: parsers that disagree, foreign content, nested at-rules)."""
    import shutil

    (tmp_path / "x.css").write_text("h1 { color: red !important }\n", encoding="utf-8")
    shutil.copy(ROOT / "fonts" / "Anton-Regular.woff2", tmp_path / "f.ttf")
    deck = tmp_path / "deck.md"
    deck.write_text(f"title: T\n--\n# Hello\n\n{html}\n\ntext\n", encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    convert(deck, {"output": pdf, "untrusted": True, "render_cache": False})
    with pikepdf.open(pdf) as doc:
        content = b"".join(page.obj.Contents.read_bytes() for page in doc.pages)
        names = [str(f.get("/BaseFont")) for page in doc.pages for f in page.Resources.get("/Font", {}).values()]
    assert b"1 0 0 rg" not in content  # no red from x.css
    assert not [n for n in names if "Anton" in n]


def test_spans_with_a_sign_are_clamped_and_image_limits_spare_fonts(tmp_path: Path) -> None:
    from deck2pdf.markup import clamped_spans

    assert clamped_spans('<td colspan="+100000000">') == '<td colspan="1000">'
    deck = tmp_path / "d.md"
    deck.write_text("title: T\n--\n# Fonts\n\nText.\n", encoding="utf-8")
    pdf = tmp_path / "d.pdf"
    result = convert(deck, {"output": pdf, "max_image_bytes": 100_000, "render_cache": False})
    assert not result.warnings
    with pikepdf.open(pdf) as doc:
        names = [str(f.get("/BaseFont")) for page in doc.pages for f in page.Resources.get("/Font", {}).values()]
    assert [n for n in names if "Inter" in n]


@pytest.mark.slow
def test_the_command_leaves_no_font_folder_behind(tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text("title: T\n" + "".join(f"--\n### Slide {n}\n\nText {n}.\n" for n in range(30)), encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    for extra in ([], ["--handout", "6"]):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "deck2pdf",
                str(deck),
                "-o",
                str(tmp_path / "o.pdf"),
                "-q",
                "--no-render-cache",
                *extra,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    assert list(temp.iterdir()) == []


def test_a_style_key_naming_a_file_that_is_not_a_style_sheet_reads_nothing(tmp_path: Path) -> None:
    from tests.helpers import git_work_tree

    git_work_tree(tmp_path)
    (tmp_path / ".env").write_text("SECRET=hunter2\n")
    deck = tmp_path / "talk" / "deck.md"
    deck.parent.mkdir()
    deck.write_text("title: S\nstyle: ../.env\n--\n# s\n", encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    result = convert(deck, {"output": pdf, "pdfa": True})
    assert [w for w in result.warnings if "is not a .css file" in w]
    files, _ = _embedded(pdf)
    assert sorted(files) == ["deck.md", "deck2pdf-manifest.json"] and b"hunter2" not in pdf.read_bytes()


def _bombs() -> dict[str, str]:
    from tests.unit.test_bounds import use_bomb, var_bomb

    return {
        "grid": '<div style="display:grid"><div style="grid-column: 1 / 100000000">a</div></div>\n\n'
        '<div style="display:grid; grid-template-columns: repeat(100000000, 1px)"><div>c</div></div>',
        "var": f"<style>{var_bomb(30)}</style>",
        "use": use_bomb(12),
        "style-sheet": '<p class="v">x</p><div class="g"><div>y</div></div>',  # the `style:` sheet is the bomb
        "svg-file": '<img src="bomb.svg">',
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "untrusted"),
    [
        ("grid", False),
        ("var", False),
        ("use", False),
        ("style-sheet", False),
        ("style-sheet", True),
        ("svg-file", False),
    ],
)
def test_markup_bombs_render_within_the_time_limit(tmp_path: Path, kind: str, untrusted: bool) -> None:
    """Each bomb is capped before WeasyPrint sees it: the deck prints well inside --timeout."""
    from tests.unit.test_bounds import use_bomb, var_bomb

    grid = ".g{display:grid;grid-template-columns:repeat(99999,1px)} .g div{grid-column:1/99999;grid-row:span 9999}"
    (tmp_path / "bomb.css").write_text(var_bomb(30).replace("h1{", ".v{") + grid, encoding="utf-8")
    (tmp_path / "bomb.svg").write_text(use_bomb(12).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" '))
    deck = tmp_path / "bomb.md"
    style = "style: bomb.css\n" if kind == "style-sheet" else ""
    deck.write_text(f"title: B\n{style}--\n# {kind}\n\n{_bombs()[kind]}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(tmp_path / "b.pdf"), "--timeout", "60"]
        + (["--untrusted"] if untrusted else []),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b.pdf").stat().st_size > 1000


def test_a_style_sheet_and_its_imports_count_against_the_deck_size_limit(tmp_path: Path) -> None:
    (tmp_path / "s.css").write_text('@import "big.css"; h1 { color: red }', encoding="utf-8")
    (tmp_path / "big.css").write_text("/*" + "x" * 300_000 + "*/", encoding="utf-8")
    deck = tmp_path / "d.md"
    deck.write_text("title: S\nstyle: s.css\n--\n# s\n", encoding="utf-8")
    result = convert(deck, {"output": tmp_path / "o.pdf", "max_deck_bytes": 200_000, "render_cache": False})
    assert [w for w in result.warnings if "with what it imports" in w]


def test_an_untrusted_deck_hard_linking_a_file_from_outside_does_not_print_it(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (40, 40), "#ff0000").save(tmp_path / "private.png")
    (tmp_path / "deck").mkdir()
    os.link(tmp_path / "private.png", tmp_path / "deck" / "p.png")
    deck = tmp_path / "deck" / "d.md"
    deck.write_text("title: H\n--\n# h\n\n![p](p.png)\n\n<div style='background: url(p.png); height: 2em'></div>\n")
    pdf = tmp_path / "o.pdf"
    result = convert(deck, {"output": pdf, "untrusted": True, "render_cache": False})
    assert [w for w in result.warnings if "is a hard link" in w]
    with pikepdf.open(pdf) as doc:
        assert not [x for page in doc.pages for x in page.get_images()]


def test_a_slide_weasyprint_fails_on_prints_a_notice_and_the_others_print(tmp_path: Path) -> None:
    """WeasyPrint 70 raises UnboundLocalError on this grid: the deck still prints, slide 3 as a notice."""
    crash = '<div style="display:grid;grid-template-columns:repeat(100,1px)"><div style="grid-column:1/100;grid-row:span 100">x</div></div>'
    slides = [f"# Slide {i}\n\nText {i}\n" + (crash + "\n" if i == 3 else "") for i in range(1, 6)]
    deck = tmp_path / "d.md"
    deck.write_text("title: F\n--\n" + "--\n".join(slides), encoding="utf-8")
    pdf = tmp_path / "o.pdf"
    result = convert(deck, {"output": pdf, "render_cache": False})
    assert [w for w in result.warnings if "(slide 3): WeasyPrint failed on this slide" in w]
    texts = page_texts(pdf)
    assert len(texts) == 5 and all(f"Text {i}" in texts[i - 1] for i in (1, 2, 4, 5))
    assert "This slide could not be printed" in texts[2] and "Slide 3" in texts[2]


def test_a_twenty_thousand_character_word_prints_whole(tmp_path: Path) -> None:
    """WeasyPrint breaks an overflowing word one character at a time, shaping the rest again each time: the word
    gets places to break (`markup.breakable`; `make bench` shows the time it saves); the text copied from the PDF is
    the word, whole."""
    deck = tmp_path / "w.md"
    deck.write_text("title: W\n--\n# w\n\n" + "x" * 20_000 + "\n", encoding="utf-8")
    pdf = tmp_path / "w.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(deck), "-o", str(pdf), "--no-render-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = "".join(page_texts(pdf))
    assert text.count("x") == 20_000 and "\u200b" not in text
