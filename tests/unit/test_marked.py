"""Slide Markdown read the way marked 0.3 (Cleaver) reads it; expected HTML as marked 0.3.19 gives it."""

from __future__ import annotations

import re

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
        pytest.param(
            "[y][x]\n\n[x]: http://e.com",
            '<p><a href="http://e.com">y</a></p>',
            id="reference-links",
        ),
    ],
)
def test_markdown_reads_like_marked(source: str, html: str) -> None:
    # Whitespace between tags differs harmlessly between marked and Python-Markdown's serialiser.
    assert _between_tags(to_html(source)) == _between_tags(html)


def _between_tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html)
