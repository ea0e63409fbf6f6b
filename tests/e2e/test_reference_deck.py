"""The reference talk rendered to a real PDF and read back: pages, words per page, fonts, links, bookmarks."""

from __future__ import annotations

import itertools
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from deck2pdf.parse import parse_deck
from deck2pdf.pipeline import Result

from ..conftest import REFERENCE_DECK, ReferenceRender
from ..helpers import (
    Word,
    drawn,
    fonts,
    line_sizes,
    links,
    metadata,
    outline,
    page_texts,
    page_words,
    pixels,
    rasterize,
    squashed,
    visible_text,
)

pytestmark = pytest.mark.needs_shared


@pytest.fixture
def rendered(reference_render: ReferenceRender) -> tuple[Path, Result]:
    return reference_render("slides")


def test_renders_59_pages_of_16_by_9(rendered: tuple[Path, Result]) -> None:
    pdf, result = rendered
    assert result.pages == 59
    pages = page_words(pdf)
    assert len(pages) == 59
    assert {(w, h) for w, h, _ in pages} == {(960.0, 540.0)}  # 13.33 x 7.5 in


def test_every_slide_s_words_are_on_its_own_page(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    texts = [squashed(t) for t in page_texts(pdf)]
    deck = parse_deck(REFERENCE_DECK)
    missing = {}
    for slide, text in zip(deck.slides, texts, strict=True):
        lost = [w for w in visible_text(slide.html).split() if squashed(w) not in text]
        if lost:
            missing[slide.number] = lost
    assert not missing


def test_no_word_lies_outside_its_page(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    outside = [
        (n, w.text)
        for n, (width, height, words) in enumerate(page_words(pdf), start=1)
        for w in words
        if w.x0 < 0 or w.y0 < 0 or w.x1 > width + 0.5 or w.y1 > height + 0.5
    ]
    assert not outside


def test_no_slide_is_cut_and_overlong_slides_were_shrunk(rendered: tuple[Path, Result]) -> None:
    _, result = rendered
    assert not [w for w in result.warnings if "does not fit" in w]


def test_fonts_are_embedded_and_the_bundled_ones(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    used = fonts(pdf)
    assert used and all(f.embedded and f.subset for f in used)
    names = {re.sub(r"^[A-Z]{6}\+", "", f.name).replace("-", "") for f in used}
    assert any(n.startswith("Inter") for n in names)
    assert any(n.startswith("JetBrainsMono") for n in names)
    # The deck has no emoji: the emoji font must not be picked for digits (Pango does that when it is
    # named in font-family), which drew every slide number as a colour bitmap.
    assert not any("Emoji" in n for n in names)


def test_links_are_clickable(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    pages = links(pdf)
    # A label such as "Twitter: " is part of its link, so a link can have two rectangles: compare targets.
    assert list(dict.fromkeys(pages[58])) == [
        "http://twitter.com/@pgporada",
        "https://github.com/https://github.com/pgporada",
        "http://weibo.com/Made%20with%20%3C3%20by%20https://jennyingles.com",
        "http://greenlancer.com",
        "mailto:philporada@gmail.com%20&&%20pporada@greenlancer.com",
    ]
    assert "https://github.com/docker/docker/issues" in [u for page in pages for u in page]


def test_one_bookmark_per_slide_named_after_its_title(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    marks = outline(pdf)
    assert [page for _, page in marks] == list(range(1, 60))
    assert marks[0] == ("Docker: There and Back Again", 1)
    assert marks[1] == ("Who am I?", 2)
    assert marks[-1] == ("Phil Porada", 59)


def test_title_and_author_are_in_the_metadata(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    meta = metadata(pdf)
    assert meta["/Title"] == "Phil's Docker Presentation"
    assert meta["/Author"] == "Phil Porada"


def test_missing_and_remote_images_are_visible_placeholders_with_one_warning_each(
    rendered: tuple[Path, Result],
) -> None:
    pdf, result = rendered
    texts = page_texts(pdf)
    assert "images/us.jpg" in texts[1] and "not found" in texts[1]
    assert "imgs.xkcd.com/comics/standards.png" in squashed(texts[7]) and "offline" in texts[7]
    assert result.images == "21 images: 21 missing"  # 10 local files absent, 11 web images (offline)
    image_warnings = [w for w in result.warnings if "image '" in w]
    assert len([w for w in image_warnings if "not found" in w]) == 10
    assert len([w for w in image_warnings if "--offline forbids downloading it" in w]) == 11
    assert any(w.startswith(f"{REFERENCE_DECK}:24 (slide 2): image 'images/us.jpg' not found") for w in image_warnings)


def test_the_cleaver_dark_theme_is_picked_from_the_front_matter(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    page = rasterize(pdf, 2)
    width, height = page.size
    band = page.getpixel((width // 2, 2))  # the black band that holds the title
    body = page.getpixel((width // 2, height * 3 // 4))
    assert max(band) < 10 and max(body) < 45
    # The green progress bar, in the footer strip at the left (slide 2 of 59: its first few pixels).
    foot = [page.getpixel((x, y)) for x in range(width // 8) for y in range(height * 9 // 10, height)]
    assert any(g > 120 and r < 60 for r, g, _ in foot)


def test_the_five_digit_font_colour_shows_red(rendered: tuple[Path, Result]) -> None:
    pdf, _ = rendered
    page = rasterize(pdf, 6, dpi=40)
    reds = [p for p in pixels(page) if p[0] > 180 and p[1] < 60 and p[2] < 60]
    assert len(reds) > 50


@pytest.fixture(params=["slides", "default", "ink", "retro"], ids=["dark", "default", "ink", "retro"])
def themed(request: pytest.FixtureRequest, reference_render: ReferenceRender) -> Path:
    return reference_render(request.param)[0]  # "slides": the deck's own front matter names the dark theme


def _sizes(words: list[Word], text: str) -> list[float]:
    return [w.y1 - w.y0 for w in words if w.text == text]


def test_a_build_keeps_one_size_while_its_picture_yields(themed: Path) -> None:
    """Slides 9-13 ("What is Docker?") add a bullet at a time, and a 1024x680 picture on 13: the body line
    "Started in 2013 @ dotCloud" and the title have one size each (the picture yields, not the text)."""
    pages = page_words(themed)[8:13]
    started = [s for _, _, words in pages for s in _sizes(words, "Started")]
    titles = [words[0].y1 - words[0].y0 for _, _, words in pages]
    assert len(started) == 5 and max(started) <= min(started) * 1.02, started
    assert max(titles) <= min(titles) * 1.02, titles


def test_the_slide_number_has_one_size_on_every_page(themed: Path) -> None:
    sizes = {round(s, 1) for _, _, words in page_words(themed) for s in _sizes(words, "/")}
    assert len(sizes) == 1, sizes


MM = 72 / 25.4  # points


def test_a_footer_strip_keeps_content_off_the_bottom_edge_and_the_furniture_inside_it(themed: Path) -> None:
    """Printed at actual size, no text comes within 10 mm of the paper's bottom edge but the slide number, which (and
    the progress bar) sits at least 5 mm inside every edge: office printers cannot print the outer 4-5 mm."""
    for number, page in enumerate(drawn(themed), start=1):
        low = sorted((c for c in page.chars if c.y0 < 10 * MM), key=lambda c: c.x0)
        assert re.fullmatch(r"\d+/59", "".join(c.text for c in low)), (number, [c.text for c in low])
        assert all(min(c.y0, c.x0, page.width - c.x1) >= 5 * MM for c in low), number
        # Thin rules near an edge: the progress bar (a slide's rules and borders lie inside the content box).
        rules = [r for r in page.rects if r[3] - r[1] < 4 and (r[1] < 10 * MM or r[3] > page.height - 10 * MM)]
        assert rules, number
        for x0, y0, x1, y1 in rules:
            assert min(x0, y0, page.width - x1, page.height - y1) >= 5 * MM, (number, (x0, y0, x1, y1))


def test_stand_ins_show_their_whole_reason_in_tight_lines(rendered: tuple[Path, Result]) -> None:
    """Slides 24, 43, 44 and 49 hold missing images in boxes the fit made small: each label is printed whole (its
    reason to the last word) with its lines spaced by the label's own size."""
    pdf, _ = rendered
    texts = page_texts(pdf)
    assert squashed("image images/multilayer-container.png not found") in squashed(texts[23])
    for page in (43, 44, 49):
        assert squashed("is not in the cache and --offline forbids downloading it") in squashed(texts[page - 1]), page
    for page in (24, 43, 44, 49):
        chars = [c for c in drawn(pdf)[page - 1].chars if c.y0 > 10 * MM]  # not the slide number
        label = [c for c in chars if c.font.startswith("Inter") and abs(c.size - min(x.size for x in chars)) < 0.01]
        lines = sorted({round(c.y0, 1) for c in label}, reverse=True)
        assert len(lines) >= 2, page
        pitch = max(a - b for a, b in itertools.pairwise(lines))
        assert pitch <= 1.3 * label[0].size, (page, pitch, label[0].size)


def test_terminal_output_keeps_one_row_per_line(themed: Path) -> None:
    rows_of = {
        27: (("a870e1ec8f92", "jovial_jones"), ("44e21f1e0eae", "naughty_stallman")),
        29: (("e6902788cd79", "awesome_payne"),),
    }
    for page, containers in rows_of.items():
        rows = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(themed), "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout.splitlines()
        for container, name in containers:
            assert any(container in row and name in row for row in rows), (page, container)


# The themes' code size: a slide's text is the page height / 24 (base.css), code .75 of it (dark and default).
CODE_PT = 540 / 24 * 0.75


def test_log_lines_too_long_even_at_the_floor_wrap_at_reading_size_between_words(themed: Path) -> None:
    """Slide 28's log lines (170 characters) would wrap even at the code floor: they keep a reading size (at least
    70% of the theme's code size) and wrap before a space, each continuation marked and hanging under its line; the
    copied text is the line as written."""
    pdf = themed
    sizes = [size for text, size in line_sizes(pdf, 28) if text.startswith(("AH00558", "[Mon Apr", "$ docker run"))]
    assert len(sizes) == 5 and min(sizes) >= 0.7 * CODE_PT, sizes
    text = page_texts(pdf)[27]
    assert text.count("↪") >= 4
    joined = text.replace("\n↪ ", " ")  # each continuation begins with the mark, then the space it was cut before
    slide = parse_deck(REFERENCE_DECK).slides[27]
    logs = [line for line in _pre_text(slide.html).splitlines() if len(line) > 100]
    assert len(logs) == 4 and all(line in joined for line in logs), joined
    _, _, words = page_words(pdf)[27]
    left = min(w.x0 for w in words if w.text == "AH00558:")
    char = 0.6 * min(sizes)  # JetBrains Mono's advance
    for mark, after in itertools.pairwise(words):
        if mark.text == "↪":
            assert mark.x0 == pytest.approx(left, abs=1)  # at the line's indentation
            assert after.x0 == pytest.approx(left + 2 * char, abs=1)  # the text hangs two columns in


def test_two_columns_are_cut_between_statements_with_a_gutter_and_a_rule(themed: Path) -> None:
    """Slide 34's Dockerfile: the `RUN ... \\` command stays whole in the first column; the second begins after a
    blank line; the gutter is at least 2 em, with a hairline in it."""
    pdf = themed
    _, _, words = page_words(pdf)[33]
    run = next(w for w in words if w.text == "yum" and any(v.text == "clean" and abs(v.y0 - w.y0) < 1 for v in words))
    install = next(w for w in words if w.text == "#")
    left = [w for w in words if w.x0 < install.x0 - 1 and w.y0 > install.y0 - 5]
    right = [w for w in words if w.x0 >= install.x0 - 1 and w.y0 > install.y0 - 5]
    assert run in left and install.y0 == pytest.approx(min(w.y0 for w in right), abs=1)  # the second column's top
    assert {"openssl-devel", "ruby-devel;", "FROM"} <= {w.text for w in left}
    assert {"earthquake", "WORKDIR", "CMD"} <= {w.text for w in right}
    sizes = [size for text, size in line_sizes(pdf, 34) if text.startswith(("FROM", "WORKDIR"))]
    em = max(sizes)
    gutter = (max(w.x1 for w in left), install.x0)
    assert gutter[1] - gutter[0] >= 2 * em - 0.5
    # A hairline: a column of pixels in the gutter, unlike the code box's background, down the column's height.
    page = rasterize(pdf, 34, dpi=72)
    top, bottom = round(install.y0), round(max(w.y1 for w in left))
    background = page.getpixel((round(gutter[0]) + 3, top))
    ruled = [
        x
        for x in range(round(gutter[0]) + 1, round(gutter[1]))
        if sum(_apart(page.getpixel((x, y)), background) for y in range(top, bottom)) > 0.9 * (bottom - top)
    ]
    assert ruled and max(ruled) - min(ruled) <= 2, ruled


def _apart(pixel: tuple[int, int, int], background: tuple[int, int, int]) -> bool:
    return sum(abs(a - b) for a, b in zip(pixel, background, strict=True)) > 12


def _pre_text(html: str) -> str:
    """The text of a slide's code blocks, as written."""

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.depth, self.text = 0, []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.depth += tag == "pre"

        def handle_endtag(self, tag: str) -> None:
            self.depth -= tag == "pre"

        def handle_data(self, data: str) -> None:
            if self.depth:
                self.text.append(data)

    reader = Reader()
    reader.feed(html)
    return "".join(reader.text)
