"""Output is text: no control characters, and the JSON, HTML and Markdown escape the page.

A page can carry terminal escapes (``ESC[2J``) as raw bytes or as character
references, script and ``javascript:`` links written as text, and metadata
built to break out of an attribute. None of it may reach a terminal, a JSON
consumer or a browser as anything but text.
"""

from __future__ import annotations

import json

import lxml.html
import pytest
from _robust import CONTROL_RE, check_article, check_html, check_markdown

import declutter
from benchmarks.robustness import PARAGRAPHS, article
from declutter import Block, Options
from declutter._formats.render import render_html, render_markdown

OPEN = Options(articles_only=False, include_title=True, keep_captions=True)

#: Control characters in every form a page can hold them.
CONTROLS = ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[2J", "\x7f", "\x85", "\x9b",
            "&#0;", "&#1;", "&#7;", "&#x1b;[31m", "&#27", "&#x7F;", "&#127;", "&#x81;",
            "&#157;", "&#X9D;", "&#0000027;", "&#x0000001b;")


def _salted(value: str) -> str:
    return "".join(f"{value}{control}" for control in CONTROLS)


@pytest.mark.parametrize("as_bytes", [False, True])
def test_control_characters_never_reach_any_field(as_bytes: bool) -> None:
    title = _salted("Title")
    head = (f"<title>{title}</title><meta name='author' content='{_salted('Ann')}'>"
            f"<meta name='description' content='{_salted('About')}'>"
            f"<meta property='og:site_name' content='{_salted('Site')}'>"
            f"<link rel='canonical' href='https://example.com/{_salted('a')}'>")
    page = article(f"<p>{_salted('Body text')} goes on for a while, as news paragraphs do.</p>",
                   f"<pre>{_salted('code')}</pre><ul><li>{_salted('item')}</li></ul>"
                   f"<table><tr><td>{_salted('cell')}</td></tr></table>")
    page = page.replace("<title>Reservoir at lowest level in thirty years</title>", head)
    data: str | bytes = page.encode("utf-8") if as_bytes else page
    text = declutter.clean(data, options=OPEN)
    assert CONTROL_RE.search(text) is None
    assert "zanzibarite" in text
    found = declutter.extract(data, options=OPEN)
    check_article(found)
    assert "Body text" in found.text


def test_carriage_returns_become_line_breaks() -> None:
    page = article(extra_after="<pre>one&#13;two\rthree\r\nfour&#x0D;five</pre>")
    text = declutter.clean(page, options=OPEN)
    assert "one\ntwo\nthree\nfour\nfive" in text
    assert "\r" not in text


def test_form_feed_and_vertical_tab_still_separate_words() -> None:
    page = article(extra_after="<p>alpha\x0cbeta\x0bgamma are three words here.</p>")
    assert "alpha beta gamma are three words here." in declutter.clean(page, options=OPEN)


def test_json_ld_escapes_do_not_smuggle_control_characters() -> None:
    ld = ('{"@type": "NewsArticle", "headline": "Head\\u001b[31mline", '
          '"author": {"name": "Evil\\u0007 Author\\ud800"}, "description": "Desc\\u001b[2J", '
          '"publisher": {"name": "Pub\\u0085"}, "datePublished": "2024-01-01\\u009b"}')
    page = article().replace("</head>", f'<script type="application/ld+json">{ld}</script></head>')
    check_article(declutter.extract(page, options=OPEN))


INJECTION = article(
    "<p>The attacker typed &lt;script&gt;alert(1)&lt;/script&gt; and "
    "&lt;img src=x onerror=alert(2)&gt; and &lt;/p&gt;&lt;iframe src=//evil&gt; into the form, "
    "then [a link](javascript:alert(3)) and ![img](http://evil.example/pixel.gif) and "
    "&lt;javascript:alert(4)&gt; and a backslash \\[escaped](x) too.</p>"
    '<p><a href="javascript:alert(5)">Click here for the council report</a> said the '
    "officer, whose statement on the matter ran to several long sentences like this one.</p>"
    "<pre>``` fence breaker\n</pre></code><script>alert(6)</script>\n````</pre>",
).replace("<title>Reservoir at lowest level in thirty years</title>",
          "<title>&lt;/title&gt;&lt;script&gt;alert(7)&lt;/script&gt; Reservoir</title>")
INJECTION = INJECTION.replace('<html lang="en">', "<html lang='en\" onload=\"alert(8)'>")


def test_html_rendering_holds_no_markup_from_the_page() -> None:
    found = declutter.extract(INJECTION, options=OPEN)
    assert "<script>alert(1)</script>" in found.text  # the page's text, as text
    out = found.to_html()
    check_html(out)
    doc = lxml.html.document_fromstring(out)
    assert "<script>alert(1)</script>" in doc.text_content()
    assert "alert(8)" not in out


def test_markdown_rendering_holds_no_markup_from_the_page() -> None:
    found = declutter.extract(INJECTION, options=OPEN)
    check_markdown(found.to_markdown())
    # Both brackets escaped: inside a link of the renderer's own, "]" would end its text.
    assert "\\[a link\\](javascript:alert(3))" in found.to_markdown()


def test_json_rendering_round_trips_every_string() -> None:
    found = declutter.extract(INJECTION, options=OPEN)
    data = json.loads(found.to_json())
    assert data["text"] == found.text
    assert data["title"] == found.title
    found.to_json().encode("utf-8")  # no lone surrogate


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "![i](http://e/x.png)",
    "<http://evil.example>", "\\<b>", "a\\", "``` not a fence", "| pipe | table |",
    "&lt;b&gt; and &amp;", "\u2028line\u2029para", '"quoted" and \'single\'',
])
def test_renderers_escape_block_text(text: str) -> None:
    blocks = [Block("paragraph", text), Block("heading", text, level=2),
              Block("list_item", text, list_id=1), Block("quote", text),
              Block("table", f"{text}\t{text}"), Block("preformatted", text)]
    html = render_html(blocks, title=text, language='en" onload="x')
    check_html(html)
    assert lxml.html.document_fromstring(html).xpath("//p")[0].text_content() == text
    check_markdown(render_markdown(blocks, title=text))


def test_code_fence_is_longer_than_any_backtick_run() -> None:
    text = "before\n`````\ninside\n```\nafter"
    markdown = render_markdown([Block("preformatted", text)])
    fence = markdown.split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) == 6
    assert markdown == f"{fence}\n{text}\n{fence}"


def test_every_paragraph_survives_escaping() -> None:
    found = declutter.extract(article(), options=OPEN)
    for paragraph in PARAGRAPHS:
        assert paragraph in found.to_markdown()
        assert paragraph in lxml.html.document_fromstring(found.to_html()).text_content()
