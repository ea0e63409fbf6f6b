"""Slide Markdown read the way marked 0.3 (Cleaver) reads it; expected HTML as marked 0.3.19 gives it."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import pytest

from deck2pdf.marked import to_html


@pytest.mark.parametrize(
    ("source", "html"),
    [
        pytest.param(
            "Intro line\n* a\n* b",
            "<p>Intro line</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>",
            id="list-straight-after-a-paragraph-line",
        ),
        pytest.param(
            "* **Beer**: yes\n<img src='b.png'>",
            "<ul>\n<li><strong>Beer</strong>: yes\n<img src='b.png'></li>\n</ul>",
            id="lazy-continuation-line",
        ),
        pytest.param(
            "* * text",
            "<ul>\n<li><ul>\n<li>text</li>\n</ul>\n</li>\n</ul>",
            id="star-star-nesting",
        ),
        pytest.param(
            "* a\n  * b\n    * c",
            "<ul>\n<li>a<ul>\n<li>b<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n</ul>",
            id="two-space-nesting",
        ),
        pytest.param(
            "* item\n```\n Running: 0\nx\n```",
            "<ul>\n<li>item<pre><code>Running: 0\nx\n</code></pre>\n</li>\n</ul>",
            id="fence-right-under-a-list-item-belongs-to-it",
        ),
        pytest.param(
            "* a\n\n1. b",
            "<ul>\n<li><p>a</p>\n</li>\n<li><p>b</p>\n</li>\n</ul>",
            id="blank-line-then-any-bullet-continues-the-list",
        ),
        pytest.param(
            "3. three\n4. four",
            '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>',
            id="ordered-list-starting-at-n",
        ),
        pytest.param(
            "| a | b | c |\n| :-- | --: | :-: |\n| 1 | 2 | 3 |",
            '<table>\n<thead>\n<tr>\n<th style="text-align:left">a</th>\n<th style="text-align:right">b</th>\n'
            '<th style="text-align:center">c</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
            '<td style="text-align:left">1</td>\n<td style="text-align:right">2</td>\n'
            '<td style="text-align:center">3</td>\n</tr>\n</tbody>\n</table>',
            id="gfm-table-with-alignment",
        ),
        pytest.param(
            "a | b\n-- | --\n1 | 2",
            "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n"
            "</tr>\n</tbody>\n</table>",
            id="table-without-outer-pipes",
        ),
        pytest.param(
            "text\n| a | b |\n|---|---|\n| 1 | 2 |",
            "<p>text\n| a | b |\n|---|---|\n| 1 | 2 |</p>",
            id="table-after-a-paragraph-line-stays-text",
        ),
        pytest.param(
            "See https://github.com/docker/docker/issues, or www.docker.com.",
            '<p>See <a href="https://github.com/docker/docker/issues">https://github.com/docker/docker/issues</a>, '
            'or <a href="http://www.docker.com">www.docker.com</a>.</p>',
            id="bare-url-autolinks-leave-trailing-punctuation-out",
        ),
        pytest.param(
            "Mail me@example.org today",
            '<p>Mail <a href="mailto:me@example.org">me@example.org</a> today</p>',
            id="bare-email-autolink",
        ),
        pytest.param(
            "[https://git.io/x](https://git.io/x)",
            '<p><a href="https://git.io/x">https://git.io/x</a></p>',
            id="no-autolink-inside-a-link",
        ),
        pytest.param("~~gone~~ here", "<p><del>gone</del> here</p>", id="strikethrough"),
        pytest.param(
            '* <font color="#ff000">Intro</font>',
            '<ul>\n<li><font color="#ff000">Intro</font></li>\n</ul>',
            id="inline-html-passes-through",
        ),
        pytest.param(
            "<center>text<center>\n* a\n* b",
            "<p><center>text<center></p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>",
            id="unclosed-center-does-not-swallow-the-markdown-after-it",
        ),
        pytest.param(
            "<h1>Title</h1>\n<img src='x.png'>",
            "<p><h1>Title</h1>\n<img src='x.png'></p>",
            id="block-tag-followed-by-a-line-is-paragraph-text",
        ),
        pytest.param(
            "<div>*x*\n* y\n</div>",
            "<div><em>x</em>\n* y\n</div>",
            id="inline-markdown-inside-an-html-block",
        ),
        pytest.param(
            "<pre>*kept*</pre>",
            "<pre>*kept*</pre>",
            id="no-markdown-inside-a-pre-block",
        ),
        pytest.param(
            r"any\* system \*\* \~ \q",
            r"<p>any* system ** ~ \q</p>",
            id="backslash-escapes",
        ),
        pytest.param(
            "####docker run $CID",
            '<h4 id="docker-run-cid">docker run $CID</h4>',
            id="heading-without-a-space-is-a-heading",
        ),
        pytest.param("#### Über", '<h4 id="-ber">Über</h4>', id="heading-ids-as-marked-makes-them"),
        pytest.param(
            "```js\nlet a = 1;\n```",
            '<pre><code class="lang-js highlight"><span class="kd">let</span><span class="w"> </span><span class="nx">a</span>'
            '<span class="w"> </span><span class="o">=</span><span class="w"> </span><span class="mf">1</span>'
            '<span class="p">;</span>\n</code></pre>',
            id="fenced-code-with-a-language-is-highlighted-with-pygments-classes",
        ),
        pytest.param(
            "```bash-blank\nls <x>\n```",
            '<pre><code class="lang-bash-blank">ls &lt;x&gt;\n</code></pre>',
            id="an-unknown-language-keeps-its-class-and-stays-plain",
        ),
        pytest.param("```\nplain\n```", "<pre><code>plain\n</code></pre>", id="no-language-no-highlighting"),
        pytest.param(
            "}```\nx\n```",
            "<p>}<code>x</code></p>",
            id="an-unclosed-fence-is-not-code",
        ),
        pytest.param("a  \nb", "<p>a<br />\nb</p>", id="two-trailing-spaces-break-the-line"),
        pytest.param("Title\n===", '<h1 id="title">Title</h1>', id="setext-heading"),
        pytest.param("> quoted\nlazy", "<blockquote>\n<p>quoted\nlazy</p>\n</blockquote>", id="blockquote-lazy-line"),
        pytest.param("a\tb\u00a0c", "<p>a    b c</p>", id="tabs-and-no-break-spaces-normalised"),
        pytest.param("a\u2424* b", "<p>a</p>\n<ul>\n<li>b</li>\n</ul>", id="the-symbol-for-newline-is-a-newline"),
        pytest.param(
            "[y][x]\n\n[x]: http://e.com",
            '<p><a href="http://e.com">y</a></p>',
            id="reference-links",
        ),
    ],
)
def test_markdown_reads_like_marked(source: str, html: str) -> None:
    assert _canonical(to_html(source)) == _canonical(html)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        pytest.param(
            "** bold words ** and __ bold __",
            "<p><strong> bold words </strong> and <strong> bold </strong></p>",
            id="spaces-just-inside-strong-markers",
        ),
        pytest.param("a * b * c", "<p>a <em> b </em> c</p>", id="a-star-before-a-space-opens-emphasis"),
        pytest.param(
            "<pre><code>\\__name__</code></pre>\ntext",
            "<p><pre><code>__name__</code></pre>\ntext</p>",
            id="an-escaped-underscore-in-raw-html-is-not-emphasis",
        ),
        pytest.param(
            "pre__fix__post and pre**fix**post",
            "<p>pre__fix__post and pre<strong>fix</strong>post</p>",
            id="underscores-inside-a-word-stay-but-stars-do-not",
        ),
        pytest.param(
            "snake_case_name, __init__, a_b_c, x__init__y",
            "<p>snake_case_name, <strong>init</strong>, a_b_c, x__init__y</p>",
            id="underscores-in-words",
        ),
        pytest.param("_ab_ and _abc_", "<p>_ab_ and <em>abc</em></p>", id="underscore-emphasis-needs-three-characters"),
        pytest.param(
            "***x*** and ___y___ and **a *b* c** and _a **b** c_",
            "<p><strong><em>x</em></strong> and <strong>_y_</strong> and <strong>a <em>b</em> c</strong> and "
            "<em>a <strong>b</strong> c</em></p>",
            id="nested-strong-and-emphasis",
        ),
        pytest.param(
            "**bold _em_** and *em **bold***",
            "<p><strong>bold _em_</strong> and <em>em <strong>bold</strong></em></p>",
            id="emphasis-inside-strong-as-marked-reads-it",
        ),
        pytest.param(
            "*a `b*` c`",
            "<p><em>a `b</em><code>c</code></p>",
            id="the-rule-that-starts-first-wins-over-code",
        ),
        pytest.param(
            "*a\\*b* and _a\\_b_",
            "<p><em>a\\</em>b* and _a_b_</p>",
            id="emphasis-is-found-before-escapes-inside-it",
        ),
        pytest.param(
            "\\*a\\* \\_b\\_ \\\\ \\~\\~c\\~\\~ \\| \\q and <span>\\_x\\_ \\*y\\*</span>",
            "<p>*a* _b_ \\ ~~c~~ | \\q and <span>_x_ *y*</span></p>",
            id="gfm-escapes-also-inside-inline-html",
        ),
        pytest.param(
            "<http://x.org/\\_a> and http://x.org/a\\_b and [a](http://x.org/a\\_b)",
            '<p><a href="http://x.org/\\_a">http://x.org/\\_a</a> and '
            '<a href="http://x.org/a\\_b">http://x.org/a\\_b</a> and <a href="http://x.org/a\\_b">a</a></p>',
            id="no-escapes-inside-link-addresses",
        ),
        pytest.param(
            '[a](http://x.org/a_(b) "t")',
            '<p><a href="http://x.org/a_(b">a</a> &quot;t&quot;)</p>',
            id="a-link-ends-at-the-first-closing-parenthesis",
        ),
        pytest.param(
            "[a](http://x.org/p \"Title\") and [b](<http://x.org/b>) and ![alt *x*](p.png 'T')",
            '<p><a href="http://x.org/p" title="Title">a</a> and <a href="http://x.org/b">b</a> and '
            '<img src="p.png" alt="alt *x*" title="T"></p>',
            id="link-titles-angle-brackets-and-images",
        ),
        pytest.param(
            "[text][ONE], [One][], [one], [Two\nWords], [no][such], [alone] and [one] [two words]\n\n"
            '[one]: http://x.org/one "T"\n[two words]: http://x.org/two',
            '<p><a href="http://x.org/one" title="T">text</a>, <a href="http://x.org/one" title="T">One</a>, '
            '<a href="http://x.org/one" title="T">one</a>, <a href="http://x.org/two">Two\nWords</a>, [no][such], '
            '[alone] and <a href="http://x.org/two">one</a></p>',
            id="reference-links-by-label-any-case-and-spacing",
        ),
        pytest.param(
            "(http://x.org/a). <http://x.org>, www.x.org! me@x.org. http://x.org/a\u3000next",
            '<p>(<a href="http://x.org/a)">http://x.org/a)</a>. <a href="http://x.org">http://x.org</a>, '
            '<a href="http://www.x.org">www.x.org</a>! <a href="mailto:me@x.org">me@x.org</a>. '
            '<a href="http://x.org/a">http://x.org/a</a>\u3000next</p>',
            id="autolinks-next-to-punctuation",
        ),
        pytest.param(
            "xhttp://x.org/w",
            '<p>x<a href="http://x.org/w">http://x.org/w</a></p>',
            id="a-bare-url-is-found-inside-a-word",
        ),
        pytest.param(
            '<b>**x**</b> <a href="u">http://x.org/raw</a> http://x.org/after',
            '<p><b><strong>x</strong></b> <a href="u">http://x.org/raw</a> '
            '<a href="http://x.org/after">http://x.org/after</a></p>',
            id="markdown-inside-inline-html-and-no-bare-link-inside-a-raw-link",
        ),
        pytest.param(
            "``a``b`` and ``` `` ``` and ` x ` and `&copy;` and `a  \nb`",
            "<p><code>a</code>b<code>and `</code><code>`</code> and <code>x</code> and <code>&amp;copy;</code> and "
            "<code>a  \nb</code></p>",
            id="code-spans-with-backticks-and-entities",
        ),
        pytest.param(
            "~~del~~ and ~~ no ~~ and ~~a **b** c~~ and ~one~",
            "<p><del>del</del> and ~~ no ~~ and <del>a <strong>b</strong> c</del> and ~one~</p>",
            id="strikethrough-needs-no-space-inside",
        ),
        pytest.param(
            "* item  \nbreak  ",
            "<ul>\n<li>item<br>break  </li>\n</ul>",
            id="a-hard-break-in-a-list-item-but-not-at-the-end",
        ),
        pytest.param(
            "```\n&copy; &amp;\n```",
            "<pre><code>&amp;copy; &amp;amp;\n</code></pre>",
            id="an-entity-in-a-code-block-shows-as-written",
        ),
    ],
)
def test_inline_markdown_reads_like_marked(source: str, html: str) -> None:
    assert _canonical(to_html(source)) == _canonical(html)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        pytest.param(
            "> bar\nbaz\n> foo",
            "<blockquote>\n<p>bar\nbaz\nfoo</p>\n</blockquote>",
            id="a-quote-goes-on-after-a-lazy-line",
        ),
        pytest.param(
            ">>> foo\n> bar\n>>baz",
            "<blockquote><blockquote><blockquote><p>foo\nbar\nbaz</p></blockquote></blockquote></blockquote>",
            id="fewer-markers-continue-a-nested-quote-lazily",
        ),
        pytest.param(
            "> a\n[5]: foo\n> b",
            "<blockquote>\n<p>a\n[5]: foo\nb</p>\n</blockquote>",
            id="a-definition-line-inside-a-quote-paragraph-is-text",
        ),
        pytest.param(
            "* x\n  > - one\n  - two",
            "<ul><li>x<blockquote><ul><li>one</li><li>two</li></ul></blockquote></li></ul>",
            id="a-list-in-a-quote-in-a-list-item",
        ),
        pytest.param(
            "paragraph\nhow are you\n====",
            '<p>paragraph</p>\n<h1 id="how-are-you">how are you</h1>',
            id="a-setext-heading-right-after-a-paragraph-line",
        ),
        pytest.param(
            "para\nSub\n--",
            '<p>para</p>\n<h2 id="sub">Sub</h2>',
            id="a-dash-underline-right-after-a-paragraph-line",
        ),
        pytest.param(
            "[x]: http://a\u3000b\n\n[x]",
            '<p>[x]: <a href="http://a">http://a</a>\u3000b</p>\n<p>[x]</p>',
            id="an-ideographic-space-ends-a-definition-s-address-as-javascript-s-whitespace",
        ),
        pytest.param(
            "a | b\n-- | --\nc\u2028d | e",
            "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td></td></tr></tbody></table>"
            "<p>c\u2028d | e</p>",
            id="a-line-separator-ends-a-table-row-as-javascript-s-dot-does",
        ),
        pytest.param(
            "> a\u2028> b",
            "<blockquote>\n<p>a\u2028b</p>\n</blockquote>",
            id="a-line-separator-starts-a-line-for-the-quote-marks-as-in-javascript",
        ),
        pytest.param(
            "1234567890123456789012. big",
            '<ol start="1.2345678901234568e+21"><li>big</li></ol>',
            id="an-ordered-list-starts-at-the-number-javascript-reads",
        ),
    ],
)
def test_block_grammar_reads_like_marked(source: str, html: str) -> None:
    assert _canonical(to_html(source)) == _canonical(html)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        pytest.param(
            "&#58x; &copyx; &_b; [a](&#58document; '&#58t;') ![&#58;](x&#58y;) http://x.org/&#58z;",
            '<p>&#58x; &copyx; &amp;_b; <a href="&#58document;" title="&#58t;">a</a> <img src="x&#58y;" alt="&#58;"> '
            '<a href="http://x.org/&amp;#58z">http://x.org/&amp;#58z</a>;</p>',
            id="references-without-a-semicolon-reach-the-browser-as-cleaver-writes-them",
        ),
        pytest.param(
            "<div>\n* a", "<p><div></p>\n<ul>\n<li>a</li>\n</ul>", id="a-paragraph-of-one-block-tag-keeps-its-p"
        ),
    ],
)
def test_text_and_attributes_are_written_as_marked_writes_them(source: str, html: str) -> None:
    assert _canonical(to_html(source)) == _canonical(html)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        pytest.param("## **Bold** [Foo]", '<h2 id="bold-foo-"><strong>Bold</strong> [Foo]</h2>', id="markup-dropped"),
        pytest.param(
            '## a & b "q" <b>x</b> `<c>` &#65;&#x42; [l](u) ![i](p.png)',
            '<h2 id="a-b-q-b-x-b-c-ab-l-i">a &amp; b &quot;q&quot; <b>x</b> <code>&lt;c&gt;</code> &#65;&#x42; '
            '<a href="u">l</a> <img src="p.png" alt="i"></h2>',
            id="named-references-dropped-numeric-ones-read-raw-tags-kept",
        ),
        pytest.param(
            "Ref [x][r] here\n===\n\n[r]: http://e.org",
            '<h1 id="ref-x-here">Ref <a href="http://e.org">x</a> here</h1>',
            id="a-reference-link-s-text",
        ),
    ],
)
def test_heading_ids_are_made_from_the_rendered_text(source: str, html: str) -> None:
    assert _canonical(to_html(source)) == _canonical(html)


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("```\nabc   \n```", "abc   \n"),
        ("    abc   \n\nx", "abc   \n"),
        ("* a\n\n        abc \t", "  abc     \n"),
        ("```js\nlet a;  \n```", "let a;  \n"),
    ],
)
def test_code_keeps_the_spaces_at_the_end_of_its_last_line(source: str, code: str) -> None:
    assert re.findall(r"<code[^>]*>(.*?)</code>", re.sub(r"</?span[^>]*>", "", to_html(source)), re.S) == [code]


def test_newlines_are_written_where_marked_writes_them() -> None:
    # They show inside a raw <pre>: none after a <br>, a newline after each block, none after code without a language
    assert to_html("<pre>x  \ny") == "<p><pre>x<br />y</p>\n"
    assert to_html("* a\n\n  b\n* c\n\n> q\n\n| a |\n|---|\n| 1 |\n\n```\ncode\n```\n<div>x</div>  ") == (
        "<ul>\n<li><p>a</p>\n<p>b</p>\n</li>\n<li>c</li>\n</ul>\n<blockquote>\n<p>q</p>\n</blockquote>\n"
        "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>\n"
        "<pre><code>code\n</code></pre><div>x</div>  "
    )


def test_an_email_autolink_is_written_plainly() -> None:
    # Deliberate: Cleaver's marked writes each character of the address as a random decimal or hex reference;
    # the link and its text read the same.
    assert to_html("<me@x.org>") == '<p><a href="mailto:me@x.org">me@x.org</a></p>\n'


class _Canonical(HTMLParser):
    """HTML written one way: attributes sorted, character references resolved, void tags without a slash."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(f"<{tag}{''.join(f' {k}={v!r}' for k, v in sorted(attrs, key=str))}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def _canonical(html: str) -> str:
    # Whitespace between tags, and the newline Python-Markdown's prettifier puts after a <br>, differ harmlessly
    # between marked and Python-Markdown's serialiser.
    parser = _Canonical()
    parser.feed(html)
    parser.close()
    return re.sub(r">\s+<", "><", re.sub(r"<br>\n", "<br>", "".join(parser.out))).strip()
