"""Pages of every era that a simpler tool reads and a stricter one could lose: a title
the parser never saw closed, a whole page inside an ASP.NET ``<form>`` laid out in
tables, an entry's own ``<header>`` inside its ``<article>``, and the standfirst, which
is article text.
"""

from __future__ import annotations

from html import escape

from _news import EN, TITLE, p, page

import declutter

STANDFIRST = "Engineers say the granite wall could fail in a single winter surge without repairs."
NAV = " | ".join(f'<a href="/{name.lower()}">{name}</a>' for name in
                 ("Home", "Nation", "World", "Business", "Sport", "Opinion"))


def test_a_title_never_closed_does_not_swallow_the_page() -> None:
    # A truncated "</tit" (or a title written by a script) leaves libxml2 reading the
    # whole rest of the page as the title's text.
    html = (f"<html><head><title>{escape(TITLE)}</tit\n<script>var a = 1;</script></head>"
            f"<body><div id='nav'>{NAV}</div><div class='story'>{p(*EN)}</div></body></html>")
    article = declutter.extract(html)
    assert article.text == "\n\n".join(EN)
    assert article.is_article


def test_a_page_inside_one_form_with_table_layout_is_read() -> None:
    # ASP.NET pages wrap the whole page in <form id="aspnetForm">; the story has no <p>.
    story = "<br><br>".join(escape(text, quote=False) for text in EN)
    html = (f"<html><head><title>{escape(TITLE)}</title></head><body>"
            f'<form name="aspnetForm" method="post" id="aspnetForm"><table><tr>'
            f"<td>{NAV}</td></tr><tr><td><div id='ctl00_CenterBar_item'><font>"
            f"<b>{escape(TITLE)}</b><br>{story}</font></div></td></tr>"
            f"<tr><td>Copyright 2008 The Harbour Ledger</td></tr></table></form></body></html>")
    article = declutter.extract(html)
    for text in EN:
        assert text in article.text
    assert "Nation" not in article.text


def test_a_form_that_is_a_form_is_still_removed() -> None:
    form = ('<form action="/search"><label>Search the archive for stories about the harbour '
            'and its wall</label><input name="q"><button>Go</button></form>')
    assert declutter.clean(page(p(*EN[:3]) + form + p(*EN[3:]))) == "\n\n".join(EN)


def test_an_entrys_own_header_keeps_its_standfirst_and_loses_its_headline() -> None:
    body = (f'<header><h1>{escape(TITLE)}</h1><p class="byline">By Maria Ostrowski</p>'
            f"<p>{escape(STANDFIRST)}</p></header>{p(*EN)}")
    html = page(body, head=f'<meta name="description" content="{escape(STANDFIRST)}">')
    article = declutter.extract(html)
    assert article.text == "\n\n".join((STANDFIRST, *EN))
    categories = {record.category for record in article.removed}
    assert {"title", "byline"} <= categories


def test_the_standfirst_is_the_first_paragraph_and_can_be_dropped() -> None:
    dek = f'<p class="article-dek">{escape(STANDFIRST)}</p>'
    html = page(f'<div class="article-body">{p(*EN)}</div>', before="").replace(
        '<h1 class="headline">', '<div class="intro"><h1 class="headline">', 1
    ).replace("</h1>", f"</h1>{dek}</div>", 1)
    assert declutter.clean(html) == "\n\n".join((STANDFIRST, *EN))
    options = declutter.Options(include_standfirst=False)
    article = declutter.extract(html, options=options)
    assert article.text == "\n\n".join(EN)
    assert any(record.category == "standfirst" for record in article.removed)


def test_a_teaser_summary_elsewhere_is_not_taken_for_the_standfirst() -> None:
    # The summary of another story, before the headline, shares nothing with this one.
    teaser = (f'<div class="promo"><p class="dek">{escape(STANDFIRST)}</p>'
              '<a href="/other">Read the other story</a></div>')
    html = page(p(*EN)).replace("<main>", f"<main>{teaser}", 1)
    assert declutter.clean(html) == "\n\n".join(EN)


def _ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


REVIEW_LD = ('{"@context": "https://schema.org", "@type": "Product", "name": "Harbour phone", '
             '"review": {"@type": "Review", "author": {"@type": "Person", "name": "M. O."}, '
             '"reviewRating": {"@type": "Rating", "ratingValue": 4}}}')
SHOP_LD = ('{"@context": "https://schema.org", "@type": "Product", "name": "Harbour phone", '
           '"review": [{"@type": "Review", "reviewBody": "Good."}, '
           '{"@type": "Review", "reviewBody": "Fine."}]}')


def test_a_review_is_an_article_whatever_it_reviews() -> None:
    html = page(p(*EN), head=_ld(REVIEW_LD))
    article = declutter.extract(html)
    assert article.is_article
    assert article.text == "\n\n".join(EN)


def test_a_shops_product_page_with_customer_reviews_is_no_article() -> None:
    html = page(p(*EN[:3]), head=_ld(SHOP_LD))
    assert not declutter.extract(html).is_article


def test_one_long_story_block_among_many_teasers_is_an_article() -> None:
    # A wire portal of 2008: the story in one block, rails of headline links around it.
    story = " ".join(escape(text, quote=False) for text in EN[:4])
    rails = "".join(
        f'<p><a href="/story/{n}">Other headline number {n} about the harbour and its '
        f"ferries</a></p>" for n in range(12)
    )
    html = (f"<html><head><title>{escape(TITLE)}</title></head><body><table><tr>"
            f"<td><div><p>{story}</p>{rails}</div></td></tr></table>"
            "</body></html>")
    article = declutter.extract(html)
    assert article.is_article
    for text in EN[:4]:
        assert text in article.text


def test_names_are_read_as_words_and_states() -> None:
    # "comments-open" says the story's comments are open; it is not a comment section.
    html = page(p(*EN)).replace('<article class="story">',
                                '<article class="story-single comments-open">', 1)
    assert declutter.clean(html) == "\n\n".join(EN)
    comments = '<div class="comments"><p>Great article, thanks for writing it up!</p></div>'
    assert declutter.clean(page(p(*EN) + comments)) == "\n\n".join(EN)


def test_an_id_that_slugs_its_own_text_says_nothing_of_its_role() -> None:
    heading = "Why the council set aside units for the fishermen"
    body = (p(*EN[:3]) + f'<h2 id="why-the-council-set-aside-units">{heading}</h2>'
            + p(*EN[3:]))
    assert declutter.clean(page(body)) == "\n\n".join((*EN[:3], heading, *EN[3:]))
    aside = '<div id="aside-box"><p>Read our other coverage of the harbour.</p></div>'
    assert declutter.clean(page(p(*EN) + aside)) == "\n\n".join(EN)


def test_a_live_blog_is_known_by_its_shape_without_json_ld() -> None:
    # The live blog sample without its LiveBlogPosting declaration: every entry keeps its
    # time line, in page order, as on the declared page.
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "samples" / "22-live-blog"
    html = (sample / "page.html").read_text(encoding="utf-8")
    undeclared = html.replace("LiveBlogPosting", "WebPage")
    assert undeclared != html
    expected = (sample / "expected.txt").read_text(encoding="utf-8")
    assert declutter.clean(undeclared).rstrip() == expected.rstrip()


def test_an_entrys_header_named_by_class_keeps_its_standfirst() -> None:
    body = (f'<div class="ContentHeaderContainer-x1"><h1>{escape(TITLE)}</h1>'
            f'<div class="ContentHeaderDek-y2">{escape(STANDFIRST)}</div></div>'
            f'<div class="body">{p(*EN)}</div>')
    html = page(body, head=f'<meta name="description" content="{escape(STANDFIRST)}">')
    assert declutter.clean(html) == "\n\n".join((STANDFIRST, *EN))
    # The site's own header, outside any <article>, is still chrome.
    banner = f'<div class="site-header"><p>{escape(STANDFIRST)}</p></div>'
    assert declutter.clean(page(p(*EN), before=banner)) == "\n\n".join(EN)


def test_a_head_that_swallowed_the_page_is_read_as_the_body() -> None:
    # An unknown element in the head keeps the whole page there for libxml2.
    html = (f"<html><head><title>{escape(TITLE)}</title><meta name='robots' content='all'>"
            f"<mbox><div class='nav'>{NAV}</div><h1>{escape(TITLE)}</h1>{p(*EN)}"
            "</mbox></head></html>")
    article = declutter.extract(html)
    assert article.text == "\n\n".join(EN)
    assert article.title == TITLE
    assert not article.fallback  # read by declutter itself, not rescued by trafilatura


def test_soft_hyphens_are_no_characters_of_the_text() -> None:
    # &shy; marks where a long word may break at the margin; the reader sees it whole.
    hyphenated = [text.replace("council", "coun&shy;cil") for text in EN]
    body = "".join(f"<p>{text}</p>" for text in hyphenated)
    assert declutter.clean(page(body)) == "\n\n".join(EN)
