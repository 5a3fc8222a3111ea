"""Finding the whole story: bodies cut into sections, lists of items, teaser rails,
and page kinds that are not one article.

Each page is built the way page builders and CMSs build them (a stack of wrappers
per section, chrome-like class names that are not chrome), and each test checks
what a user would miss first: a section left out, or a rail taken in.
"""

from __future__ import annotations

from html import escape

from _news import EN, TITLE, p, page

import declutter


def builder_sections(texts: tuple[str, ...] | list[str], *, depth: int = 7) -> str:
    """Each paragraph in its own stack of ``depth`` wrappers, as page builders nest them."""
    out = []
    for index, text in enumerate(texts):
        opening = "".join(
            f'<div class="builder-section-{index}-{level} col-{level}">' for level in range(depth)
        )
        out.append(f"{opening}<p>{escape(text, quote=False)}</p>{'</div>' * depth}")
    return "\n".join(out)


def test_body_cut_into_deep_builder_sections_comes_out_whole() -> None:
    html = page(builder_sections(EN))
    assert declutter.clean(html) == "\n\n".join(EN)


def test_sections_named_widget_by_a_page_builder_are_the_story() -> None:
    sections = "".join(
        '<section class="elementor-section"><div class="elementor-widget-wrap">'
        '<div class="elementor-element elementor-widget elementor-widget-text-editor">'
        f'<div class="elementor-widget-container">{p(text)}</div></div></div></section>'
        for text in EN
    )
    assert declutter.clean(page(sections)) == "\n\n".join(EN)


def test_growing_body_leaves_out_a_figure_and_its_caption() -> None:
    figure = ('<div class="media-block"><img src="wall.jpg" alt="">'
              "<div>The harbour wall at low tide, seen from the ferry terminal.</div></div>")
    html = page(builder_sections(EN[:3]) + figure + builder_sections(EN[3:]))
    assert declutter.clean(html) == "\n\n".join(EN)


def teaser_rail(count: int = 4) -> str:
    cards = "".join(
        f'<article class="card"><h3><a href="/news/{i}">Ferry timetable changes for the '
        f"winter season, part {i}</a></h3><p>What passengers need to know about the new "
        "crossings, the fares and the quieter weekend service.</p></article>"
        for i in range(count)
    )
    return f'<div class="rail-column"><h2>Latest</h2>{cards}</div>'


def test_a_rail_of_teaser_cards_beside_the_story_stays_out() -> None:
    html = page(builder_sections(EN), after=teaser_rail())
    text = declutter.clean(html)
    assert text == "\n\n".join(EN)


def test_a_list_of_items_each_an_article_is_one_story() -> None:
    items = "".join(
        f'<article class="item"><h2>Stop {i + 1}</h2>{p(text)}</article>'
        for i, text in enumerate(EN)
    )
    html = page(f'<div class="items">{items}</div>')
    expected = []
    for i, text in enumerate(EN):
        expected += [f"Stop {i + 1}", text]
    assert declutter.clean(html) == "\n\n".join(expected)


def test_the_next_story_of_an_endless_page_stays_out() -> None:
    other = ("<article class=\"story\"><h1>Fish market to open on Sundays from May</h1>"
             + p("The fish market will open on Sundays from May, the harbour authority said "
                 "on Wednesday, after traders voted in favour of a trial that will run until "
                 "the end of the summer season and cost the city nothing at all.")
             + "</article>")
    html = page(p(*EN), after=other)
    text = declutter.clean(html)
    assert text == "\n\n".join(EN)


def test_a_page_swallowed_by_an_open_button_is_read() -> None:
    html = (f"<html><head><title>{TITLE}</title></head><body><header><button>"
            f"<span>Menu</span><div><main><article><h1>{TITLE}</h1>{p(*EN)}</article></main>"
            "</div></body></html>")
    article = declutter.extract(html)
    assert not article.fallback
    assert article.text == "\n\n".join(EN)


def test_layout_wrappers_named_for_what_they_hold_are_not_chrome() -> None:
    for name in ("o-layout has-sidebar", "content with-sidebar", "wsite-not-footer",
                 "root cmp-container"):
        html = page(f'<div class="{name}">{p(*EN)}</div>')
        assert declutter.clean(html) == "\n\n".join(EN), name


def ld_json(kind: str) -> str:
    return (f'<script type="application/ld+json">{{"@context": "https://schema.org", '
            f'"@type": "{kind}", "name": "Harbour wall"}}</script>')


def test_forum_and_product_pages_are_not_articles_and_skip_the_fallback() -> None:
    # A forum's posts, however long, and a shop's product description of a few paragraphs.
    for kind, texts in (("DiscussionForumPosting", EN), ("QAPage", EN), ("Product", EN[:3])):
        html = page(p(*texts), head=ld_json(kind))
        article = declutter.extract(html)
        assert not article.is_article and article.text == "", kind
        everything = declutter.extract(html, options=declutter.Options(articles_only=False))
        assert everything.text == "\n\n".join(texts), kind


def test_a_write_up_declared_as_a_product_is_an_article() -> None:
    # Five long paragraphs and more on a page declaring a Product: a guide or a software
    # maker's page of prose, which the reference sets count as articles.
    assert declutter.extract(page(p(*EN), head=ld_json("Product"))).is_article


def test_an_article_type_beside_a_product_type_is_an_article() -> None:
    head = ld_json("Product") + ld_json("NewsArticle")
    assert declutter.extract(page(p(*EN), head=head)).is_article


def test_a_short_brief_is_an_article() -> None:
    brief = ("The ferry will not run on Friday because of the storm warning, the harbour "
             "authority said. Services resume on Saturday morning.")
    article = declutter.extract(page(p(brief)))
    assert article.is_article and article.text == brief


def test_react_streamed_segments_are_content_and_hidden_elements_are_not() -> None:
    streamed = f'<div hidden id="S:0">{p(*EN[2:])}</div>'
    hidden = '<div hidden id="panel">Newsletter preferences saved in your browser.</div>'
    html = page(p(*EN[:2]) + '<template id="B:0"></template>' + streamed + hidden)
    text = declutter.clean(html)
    assert text == "\n\n".join(EN)


def test_confidence_is_zero_without_text_and_lower_for_a_text_longer_than_a_story() -> None:
    story = declutter.extract(page(p(*EN)))
    assert story.confidence == 1.0
    long_text = declutter.extract(page(p(*(EN * 25))))  # about 30,000 characters
    assert 0.5 < long_text.confidence < 1.0
    listing = declutter.extract(page(p(*EN[:3]), head=ld_json("Product")))
    assert listing.text == "" and listing.confidence == 0.0
