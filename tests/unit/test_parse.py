"""The deck parser: Cleaver 0.8.7's cutting, front matter and author slide, plus deck2pdf's deliberate choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from deck2pdf.errors import DeckError
from deck2pdf.parse import parse_deck, parse_text
from deck2pdf.pipeline import inspect

SRC = Path("deck.md")


def slides(text: str) -> list[tuple[tuple[str, ...], str]]:
    return [(s.classes, s.html) for s in parse_text(text, SRC).slides]


def test_a_separator_is_any_line_starting_with_two_dashes_and_the_rest_are_classes() -> None:
    deck = slides("--\none\n-- bg dark   wide\ntwo\n---\nthree\n--- wide\nfour\n-->\nfive\n")
    assert [c for c, _ in deck] == [(), ("bg", "dark", "wide"), ("-",), ("-", "wide"), (">",)]
    assert [h for _, h in deck] == ["<p>one</p>\n", "<p>two</p>\n", "<p>three</p>\n", "<p>four</p>\n", "<p>five</p>\n"]


def test_a_dash_line_with_leading_space_is_not_a_separator() -> None:
    deck = slides("--\nTitle\n  --\n")
    assert len(deck) == 1
    assert deck[0][1].startswith("<h2")  # an indented `--` underline makes a setext h2, as in Cleaver


def test_a_separator_followed_directly_by_another_makes_its_class_text_the_slide() -> None:
    assert slides("-- lonely-class\n--\nx\n-- final-class") == [
        ((), "<p>lonely-class</p>\n"),
        ((), "<p>x</p>\n"),
        ((), "<p>final-class</p>\n"),
    ]


def test_empty_slides_are_kept() -> None:
    assert slides("--\n\n--\n\n\n--\na\n--") == [((), ""), ((), ""), ((), "<p>a</p>\n"), ((), "")]


def test_slide_content_is_trimmed_so_code_on_the_first_line_is_a_paragraph() -> None:
    assert slides("--\n\n    code on the first line\n") == [((), "<p>code on the first line</p>\n")]


def test_a_separator_inside_a_code_fence_still_cuts_the_slide() -> None:
    deck = slides("--\n```\n--option\n```\n")
    assert len(deck) == 2 and deck[1][0] == ("option",)


def test_crlf_lone_cr_and_a_bom_are_read_like_plain_lf() -> None:
    plain = slides("title: T\n--\n# A\n-- c\nb\n")
    assert slides("title: T\r\n--\r\n# A\r\n-- c\r\nb\r\n") == plain
    assert slides("title: T\r--\r# A\r-- c\rb\r") == plain  # Cleaver reads no slides at all here
    assert slides("\ufeff--\n# A\n") == [((), '<h1 id="a">A</h1>\n')]  # Cleaver loses this slide to YAML


def test_lines_are_numbered_from_the_file() -> None:
    deck = parse_text("title: T\n\n--\n\n\n# A\n-- x\nb\n", SRC)
    assert [(s.line, s.markdown_line) for s in deck.slides] == [(3, 6), (7, 8)]


def test_front_matter_booleans_are_only_true_and_false_like_js_yaml() -> None:
    meta = parse_text("controls: no\nprogress: off\nflag: true\nyes: Yes\ncount: 010\n--\nx\n", SRC).meta
    # js-yaml 3.10 (checked with node): yes/no/on/off are strings; ints are read as in YAML 1.1, as PyYAML does.
    assert meta == {"controls": "no", "progress": "off", "flag": True, "yes": "Yes", "count": 8}


def test_tab_indented_author_block_becomes_top_level_keys_as_in_js_yaml() -> None:
    deck = parse_text("title: T\nauthor:\n\tname: Gilad\n\ttwitter: g\n--\nx\n", SRC)
    assert deck.meta["author"] is None and deck.meta["name"] == "Gilad"
    assert len(deck.slides) == 1  # no author slide


def test_html_comment_lines_in_front_matter_are_ignored() -> None:
    deck = parse_text("<!-- theme: a/b -->\ntheme: cleaver-light\n--\nx\n", SRC)
    assert deck.meta == {"theme": "cleaver-light"}


@pytest.mark.parametrize(
    ("front", "line", "problem"),
    [
        ("title: Docker: the sequel", 1, "mapping values are not allowed"),
        ("title: A\ntitle: B", 2, "duplicated mapping key 'title'"),
        ('1: a\n"1": b', 2, "duplicated mapping key '1'"),  # the same JavaScript property, as js-yaml says
        ('true: a\n"true": b', 2, "duplicated mapping key 'true'"),
        ("title: A\nauthor:\n  name: [x", 3, "expected ',' or ']'"),
    ],
)
def test_bad_front_matter_is_an_error_naming_the_file_and_line(front: str, line: int, problem: str) -> None:
    with pytest.raises(DeckError) as err:
        parse_text(front + "\n--\nx\n", SRC)
    assert err.value.line == line
    assert problem in str(err.value)
    assert str(err.value).startswith(f"deck.md:{line}: bad front matter")
    assert "fix the YAML" in str(err.value)


def test_front_matter_keys_and_merges_as_js_yaml_reads_them() -> None:
    """`1` and `true` are different keys (they were taken for one: 1 == True in Python); `<<: *base` merges."""
    meta = parse_text("1: a\ntrue: b\ntitle: T\n--\nx\n", SRC).meta
    assert meta["1"] == "a" and meta["true"] == "b"
    deck = parse_text("base: &b\n  name: Ada\nauthor:\n  <<: *b\n  twitter: ada\n--\nx\n", SRC)
    assert deck.meta["author"] == {"name": "Ada", "twitter": "ada"}


def test_text_before_the_first_separator_that_is_not_yaml_becomes_the_first_slide_with_a_warning() -> None:
    deck = parse_text("# Welcome\n* item\n--\nsecond\n", SRC)
    assert [s.html for s in deck.slides] == [
        '<h1 id="welcome">Welcome</h1>\n<ul>\n<li>item</li>\n</ul>\n',
        "<p>second</p>\n",
    ]
    assert len(deck.warnings) == 1 and "not front matter" in deck.warnings[0]


def test_a_yaml_scalar_before_the_first_separator_is_a_slide_too() -> None:
    deck = parse_text("Just a sentence.\n--\nx\n", SRC)
    assert [s.html for s in deck.slides] == ["<p>Just a sentence.</p>\n", "<p>x</p>\n"]


@pytest.mark.parametrize("text", ["", "title: Only front matter\n", "\n\n  \n"])
def test_a_deck_with_no_slides_is_an_error(text: str) -> None:
    with pytest.raises(DeckError, match="has no slides"):
        parse_text(text, SRC)


def test_an_author_alone_is_a_one_slide_deck() -> None:
    deck = parse_text("author:\n  name: Solo\n", SRC)
    assert [s.classes for s in deck.slides] == [("author-slide",)]


@pytest.mark.parametrize(("value", "title"), [("", "Untitled"), ("0", "Untitled"), ("false", "Untitled"), ("42", "42")])
def test_title_defaults_to_untitled_like_cleaver(value: str, title: str) -> None:
    assert parse_text(f"title: {value}\n--\nx\n", SRC).title == title


def test_the_author_slide_comes_last_with_fields_in_cleavers_order_inserted_raw() -> None:
    deck = parse_text(
        "author:\n  email: a@b.c && d@e.f\n  github: https://github.com/pg\n  twitter: pg\n"
        "  name: Phil <P>\n  weibo: Made with <3\n  url: http://x.y\n--\nx\n",
        SRC,
    )
    author = deck.slides[-1]
    assert author.number == 2 and author.classes == ("author-slide",) and author.title == "Phil <P>"
    assert author.html.split("\n") == [
        '<div class="author">',
        '  <h1 class="name">Phil &lt;P&gt;</h1>',
        '  <h3 class="twitter"><a href="http://twitter.com/@pg">@pg</a></h3>',
        '  <h3 class="github"><a href="https://github.com/https://github.com/pg">https://github.com/pg</a></h3>',
        '  <h3 class="weibo"><a href="http://weibo.com/Made with <3">Made with <3</a></h3>',
        '  <h3 class="url"><a href="http://x.y">http://x.y</a></h3>',
        '  <h3 class="email"><a href="mailto:a@b.c && d@e.f">a@b.c && d@e.f</a></h3>',
        "</div>",
    ]


def test_numeric_author_fields_are_text_not_a_crash() -> None:
    deck = parse_text("author:\n  name: 1984\n  twitter: 123\n--\nx\n", SRC)
    assert '<h1 class="name">1984</h1>' in deck.slides[-1].html
    assert '<a href="http://twitter.com/@123">@123</a>' in deck.slides[-1].html


@pytest.mark.parametrize("author", ["Phil", "[a, b]"])
def test_an_author_that_is_not_a_mapping_gives_an_empty_author_slide(author: str) -> None:
    deck = parse_text(f"author: {author}\n--\nx\n", SRC)
    assert deck.slides[-1].html == '<div class="author">\n  <h1 class="name"></h1>\n</div>'


def test_slide_titles_come_from_the_first_heading() -> None:
    deck = parse_text("--\n### Who <em>am</em> I?\n--\n<h1>Raw &amp; HTML</h1>\n--\nno heading\n", SRC)
    assert [s.title for s in deck.slides] == ["Who am I?", "Raw & HTML", None]


def test_parse_deck_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DeckError, match="no such file"):
        parse_deck(tmp_path / "missing.md")
    with pytest.raises(DeckError, match="is a directory"):
        parse_deck(tmp_path)
    (tmp_path / "bin.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(DeckError, match="binary file"):
        parse_deck(tmp_path / "bin.md")
    (tmp_path / "latin1.md").write_bytes(b"--\ncaf\xe9\n")
    with pytest.raises(DeckError) as err:
        parse_deck(tmp_path / "latin1.md")
    assert err.value.line == 2 and "not valid UTF-8" in str(err.value)


def test_inspect_gives_the_documented_json_shape(tmp_path: Path) -> None:
    deck = tmp_path / "d.md"
    deck.write_text("title: T\ndate: 2024-05-01\nauthor:\n  name: N\n--\n### One\n-- center\ntwo\n")
    data = inspect(deck)
    assert data["title"] == "T" and data["meta"]["date"] == "2024-05-01"
    assert data["slides"] == [
        {"number": 1, "line": 5, "classes": [], "title": "One", "html": '<h3 id="one">One</h3>\n'},
        {"number": 2, "line": 7, "classes": ["center"], "title": None, "html": "<p>two</p>\n"},
        {
            "number": 3,
            "line": 1,
            "classes": ["author-slide"],
            "title": "N",
            "html": '<div class="author">\n  <h1 class="name">N</h1>\n</div>',
        },
    ]


def test_a_long_deck_is_read_by_two_processes_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Half of a long deck's new slides are read in a forked process (its Markdown is on the critical path);
    the slides are the same, and a slide nested too deep is still refused by number."""
    from deck2pdf import parse

    text = "".join(f"--\n### Slide {n}\n* point {n}\n\n```python\nx = {n}\n```\n" for n in range(1, 101))
    parse._CONVERTED.clear()
    one = parse_text(text, SRC).slides
    parse._CONVERTED.clear()
    forks = []
    monkeypatch.setattr(parse.procs, "forking", lambda: True)  # whatever threads other tests left in this process
    real = parse.procs.pool
    monkeypatch.setattr(parse.procs, "pool", lambda workers: forks.append(workers) or real(workers))
    two = parse_text(text, SRC, processes=2).slides
    assert forks and two == one and len(parse._CONVERTED) == 100
    parse._CONVERTED.clear()
    deep = "--\n" + "".join(f"{'  ' * k}* level {k}\n" for k in range(200))
    with pytest.raises(DeckError, match=r"slide 101"):
        parse_text(text + deep, SRC, processes=2)


def test_nesting_is_measured_only_where_it_can_be_too_deep() -> None:
    """A slide with no more tags than MAX_NESTING cannot nest deeper and is not parsed to measure; one with more
    is measured, and the limit is exact."""
    from deck2pdf.parse import MAX_NESTING, _convert

    assert _convert("* a\n* b\n\n<div><span>x</span></div>")[1] == 0
    for depth in (MAX_NESTING, MAX_NESTING + 1):
        html, measured = _convert("<div>" * depth + "x" + "</div>" * depth)
        assert measured == depth and html.count("<div>") == depth


def test_a_slide_of_reference_definitions_only_is_an_empty_slide() -> None:
    deck = parse_text("--\n[r]: http://example.org\n--\n[r]\n", SRC)
    assert [s.html for s in deck.slides] == ["", "<p>[r]</p>\n"]
