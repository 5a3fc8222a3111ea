"""What declutter removes and what it keeps, one small realistic page per case.

Every removal test checks three things: the body paragraphs all come out, in
order and unchanged; the boilerplate text is gone; and ``extract().removed``
explains the removal with the right category. The keep tests guard against the
opposite failure: body text that merely looks like boilerplate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from _news import DE, EN, ES, FR, IT, PT, RU, TITLE, is_subsequence, p, page, visible_tokens

import declutter
from declutter import Article, Options, SiteRule

BODY = "\n\n".join(EN)


def between(boilerplate: str, body: Sequence[str] = EN, at: int = 2) -> str:
    """Article markup with ``boilerplate`` inserted between body paragraphs."""
    return p(*body[:at]) + "\n" + boilerplate + "\n" + p(*body[at:])


def norm(text: str) -> str:
    return " ".join(text.split())


def has_record(article: Article, category: str, needle: str | None = None,
               tag: str | None = None) -> bool:
    """True when some removal record has this category (and excerpt text, and tag)."""
    for record in article.removed:
        if record.category != category:
            continue
        if needle is not None and norm(needle) not in norm(record.excerpt):
            continue
        if tag is not None and record.tag != tag:
            continue
        return True
    return False


def records(article: Article) -> str:
    """The removal records, readable in an assertion message."""
    return "\n".join(
        f"  {r.category:<11} {r.rule:<24} {r.tag:<8} {r.excerpt[:60]!r}" for r in article.removed
    )


def check_removed(
    html: str,
    gone: Sequence[str],
    category: str,
    needle: str | None = None,
    *,
    tag: str | None = None,
    body: Sequence[str] = EN,
    options: Options | None = None,
    url: str | None = None,
) -> Article:
    """The body comes out exactly, ``gone`` does not, and a record says why."""
    article = declutter.extract(html, url=url, options=options)
    out = article.text
    for text in gone:
        assert text not in out, f"boilerplate {text!r} leaked into:\n{out}"
    assert out == "\n\n".join(body), f"body damaged or incomplete:\n{out}"
    assert has_record(article, category, needle, tag), (
        f"no {category!r} record for {needle or tag!r}; records:\n{records(article)}"
    )
    return article


# ---------------------------------------------------------------------------
# Ad labels and ad slots
# ---------------------------------------------------------------------------

AD_LABELS = [
    ("Advertisement", EN, "<p>{}</p>"),
    ("ADVERTISEMENT", EN, "<div>{}</div>"),
    ("Sponsored", EN, "<div><span>{}</span></div>"),
    ("Story continues below advertisement", EN, "<p>{}</p>"),
    ("Anzeige", DE, "<div>{}</div>"),
    ("Publicidad", ES, "<p>{}</p>"),
    ("PUBLICIDAD", ES, "<div>{}</div>"),
    ("Publicité", FR, "<div>{}</div>"),
    ("Pubblicità", IT, "<p>{}</p>"),
    ("Реклама", RU, "<div>{}</div>"),
]


@pytest.mark.parametrize(("label", "body", "markup"), AD_LABELS, ids=[a[0] for a in AD_LABELS])
def test_ad_label_between_paragraphs(label: str, body: Sequence[str], markup: str) -> None:
    """A stand-alone ad label in the flow goes, by its text alone (no ad class on it)."""
    slot = markup.format(label)
    html = page(p(body[0]) + slot + p(body[1]) + slot + p(*body[2:]))
    check_removed(html, [label], "ad", label, body=body)


AD_SLOTS = {
    "gpt": (
        '<div id="div-gpt-ad-1234567-0" data-slot="/1234/news/article_mid">'
        "<p>Your business could be seen here by forty thousand readers every morning. "
        "Call our sales desk on 555 0142.</p>"
        "<script>googletag.cmd.push(function(){googletag.display('div-gpt-ad-1234567-0');});"
        "</script></div>",
        ["forty thousand readers", "googletag"],
        "div",
    ),
    "adsense": (
        '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-1234567890" '
        'data-ad-slot="9876543210" data-ad-format="auto">Loading partner offers for you</ins>'
        "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>",
        ["partner offers", "adsbygoogle"],
        "ins",
    ),
    "taboola": (
        '<div id="taboola-below-article-thumbnails"><div class="trc_rbox_header">'
        "<span>Sponsored Stories</span></div>"
        '<div class="videoCube"><a href="https://t.example/1"><span>Doctors stunned by this '
        "simple trick for sore knees</span><span>HealthDigest</span></a></div>"
        '<div class="videoCube"><a href="https://t.example/2"><span>The one kitchen tool every '
        "home cook should own in 2026</span><span>Kitchen Deals</span></a></div></div>",
        ["Sponsored Stories", "Doctors stunned", "kitchen tool"],
        "div",
    ),
    "outbrain": (
        '<div class="OUTBRAIN" data-src="https://www.harbourledger.example/city/wall" '
        'data-widget-id="AR_1"><div class="ob-widget-header">Recommended by</div>'
        '<a href="https://o.example/1"><span>Retirees in your town are switching to this '
        "pension plan</span></a><a href=\"https://o.example/2\"><span>Ten hidden beaches you "
        "can still reach by ferry</span></a></div>",
        ["Recommended by", "Retirees in your town", "hidden beaches"],
        "div",
    ),
}


@pytest.mark.parametrize("name", sorted(AD_SLOTS))
def test_ad_slot_containers(name: str) -> None:
    """Ad-tech containers go by their markup, whatever text (or script) they hold."""
    markup, gone, tag = AD_SLOTS[name]
    check_removed(page(between(markup)), gone, "ad", tag=tag)


# ---------------------------------------------------------------------------
# Related links in the article flow
# ---------------------------------------------------------------------------

HEADLINE_LINK = '<a href="/city/harbour-authority-names-new-engineer">{}</a>'
RELATED = [
    ("RE", EN, "<p>RE: {}</p>", "Harbour Authority Names New Chief Engineer After Long Search"),
    ("READ", EN, "<p><strong>READ: </strong>{}</p>", "Ferry Fares To Rise By 5 Percent In April"),
    ("ALSO READ", EN, "<p><b>ALSO READ |</b> {}</p>",
     "Fish Market Traders Fear Three Years Of Disruption"),
    ("Read more", EN, "<p>Read more: {}</p>", "How The 2019 Storms Reshaped The Waterfront"),
    ("Related", EN, "<p><em>Related:</em> {}</p>", "Mayor Defends Budget Ahead Of Council Vote"),
    ("Lesen Sie auch", DE, "<p><strong>Lesen Sie auch:</strong> {}</p>",
     "Fährpreise steigen im April um fünf Prozent"),
    ("A lire aussi", FR, "<p>À lire aussi : {}</p>",
     "Les commerçants du port craignent trois ans de travaux"),
    ("Leia tambem", PT, "<p><b>Leia também:</b> {}</p>",
     "Tarifa da balsa vai subir cinco por cento em abril"),
    ("Te puede interesar", ES, "<p><strong>Te puede interesar:</strong> {}</p>",
     "Los pescadores temen tres años de obras en el puerto"),
    ("DONT MISS", EN, "<p><strong>DON'T MISS:</strong> {}</p>",
     "Inside The Lighthouse That Could Become A Museum"),
    ("LE PUEDE INTERESAR", ES, "<p><strong>LE PUEDE INTERESAR:</strong> {}</p>",
     "Los pescadores temen tres años de obras en el puerto"),
    ("PUEDES VER", ES, "<p><strong>PUEDES VER:</strong> {}</p>",
     "El ferri subirá sus tarifas un cinco por ciento en abril"),
]


@pytest.mark.parametrize(("name", "body", "markup", "headline"), RELATED,
                         ids=[r[0] for r in RELATED])
def test_related_link_paragraph(name: str, body: Sequence[str], markup: str,
                                headline: str) -> None:
    """An inserted "READ: <headline link>" paragraph goes, label and headline together."""
    html = page(between(markup.format(HEADLINE_LINK.format(headline)), body, 1))
    check_removed(html, [headline], "related", headline, body=body)


@pytest.mark.parametrize("label", ["Schon gelesen?", "Das könnte dich auch interessieren:",
                                   "Notas relacionadas", "Lust auf mehr?"])
def test_related_label_heading_then_link_list(label: str) -> None:
    """A bare label heading a list of headline links goes with its list."""
    links = "".join(f"<li>{HEADLINE_LINK.format(h)}</li>" for h in (
        "Fährpreise steigen im April um fünf Prozent", "Händler fürchten drei Jahre Baustelle"))
    html = page(between(f"<h3>{label}</h3>\n<ul>{links}</ul>", DE, 2), lang="de")
    check_removed(html, [label.rstrip("?:"), "Fährpreise steigen"], "related", label, body=DE)


def test_related_label_paragraph_then_link_paragraph() -> None:
    """A bare label ("Te puede interesar") followed by a paragraph that is one headline link."""
    headline = "Los pescadores temen tres años de obras en el puerto"
    boilerplate = (
        "<p><strong>Te puede interesar</strong></p>\n"
        f"<p>{HEADLINE_LINK.format(headline)}</p>"
    )
    html = page(between(boilerplate, ES, 2), lang="es")
    article = check_removed(html, ["Te puede interesar", headline], "related",
                            "Te puede interesar", body=ES)
    assert has_record(article, "related", headline)


MORE_ON = {
    "en": ("More on this story", EN, ["Harbour wall: what the engineers found",
                                      "Ferry passengers face delays",
                                      "Fish market traders brace for works"]),
    "de": ("Mehr zum Thema", DE, ["Hafenmauer: Was die Ingenieure gefunden haben",
                                  "Fährgäste müssen mit Verspätungen rechnen",
                                  "Fischhändler fürchten drei Jahre Baustelle"]),
}


@pytest.mark.parametrize("lang", sorted(MORE_ON))
def test_more_on_this_story_heading_and_list(lang: str) -> None:
    """A "More on this story" heading with a list of headline links, in the body."""
    label, body, links = MORE_ON[lang]
    boilerplate = f"<h2>{label}</h2>\n<ul>" + "".join(
        f'<li><a href="/city/{i}">{text}</a></li>' for i, text in enumerate(links)
    ) + "</ul>"
    html = page(between(boilerplate, body), lang=lang)
    article = check_removed(html, [label, *links], "related", label, body=body)
    for text in links:
        assert has_record(article, "related", text), records(article)


def test_you_may_also_like_block() -> None:
    """A recirculation block of headline cards at the end of the body, no telling classes."""
    cards = ["Ten things to do on the waterfront this summer",
             "The last ferry captain who remembers the 1953 flood",
             "Where to eat fish and chips by the harbour"]
    boilerplate = "<section>\n<h3>You may also like</h3>\n" + "".join(
        f'<div><a href="/life/{i}"><img src="/img/{i}.jpg" alt=""><h4>{text}</h4></a></div>\n'
        for i, text in enumerate(cards)
    ) + "</section>"
    html = page(p(*EN) + "\n" + boilerplate)
    check_removed(html, ["You may also like", *cards], "related", "You may also like")


# ---------------------------------------------------------------------------
# Share and follow widgets
# ---------------------------------------------------------------------------

SHARE = {
    "share": ('<p><a href="https://www.facebook.com/sharer/sharer.php?u=x">Share</a></p>',
              "Share"),
    "tweet": ('<p><a href="https://twitter.com/intent/tweet?url=x">Tweet</a></p>', "Tweet"),
    "google-news": ('<p><a href="https://news.google.com/publications/x">Follow us on Google '
                    "News</a></p>", "Follow us on Google News"),
    "share-this": ('<h3>Share this:</h3><ul><li><a href="https://facebook.com/x">Facebook</a>'
                   '</li><li><a href="https://x.com/x">X</a></li></ul>', "Share this:"),
    "social-icons": ('<ul class="social-icons"><li><a href="https://facebook.com/x">Facebook</a>'
                     '</li><li><a href="https://twitter.com/x">Twitter</a></li>'
                     '<li><a href="https://wa.me/?text=x">WhatsApp</a></li></ul>', "Facebook"),
}


@pytest.mark.parametrize("name", sorted(SHARE))
def test_share_and_follow_widgets(name: str) -> None:
    markup, text = SHARE[name]
    check_removed(page(between(markup)), [text], "share", text)


# ---------------------------------------------------------------------------
# Captions and credits
# ---------------------------------------------------------------------------

FIGURE = (
    '<figure><img src="/img/wall.jpg" alt="The harbour wall">'
    "<figcaption>Workers inspect cracked granite blocks on the harbour wall on Monday."
    "</figcaption></figure>"
)
CAPTIONS = {
    "figcaption": (FIGURE, "Workers inspect cracked granite blocks"),
    "image-colon": ("<p>Image: Harbour Authority</p>", "Image: Harbour Authority"),
    "photo-ap": ("<p>(Photo: AP)</p>", "(Photo: AP)"),
    "getty": ('<div class="media"><img src="/x.jpg" alt=""><span>Getty Images</span></div>',
              "Getty Images"),
    "twitter-credit": ("<p>(Image: @HarbourCouncil/Twitter)</p>", "@HarbourCouncil/Twitter"),
    "null-image-self": ("<p>null | Image: self</p>", "Image: self"),
    "image-source": ("<p>Image source, Getty Images</p>", "Image source"),
}


@pytest.mark.parametrize("name", sorted(CAPTIONS))
def test_captions_and_credits(name: str) -> None:
    markup, text = CAPTIONS[name]
    check_removed(page(between(markup)), [text], "caption", text)


# ---------------------------------------------------------------------------
# Boxes and page chrome
# ---------------------------------------------------------------------------

def test_newsletter_box() -> None:
    box = (
        '<div class="newsletter-signup"><h3>The Morning Tide</h3>'
        "<p>Get the day's city news in your inbox before breakfast, every weekday.</p>"
        '<form action="/signup"><input type="email" placeholder="Your email">'
        "<button>Sign up</button></form></div>"
    )
    check_removed(page(between(box)), ["Morning Tide", "inbox"], "newsletter", "Morning Tide")


def test_newsletter_line_in_flow() -> None:
    """A promotion paragraph without any class, recognised by its text."""
    line = ('<p><strong>Sign up for our free Morning Tide newsletter</strong> to get the '
            'day\'s city news <a href="/newsletters">in your inbox</a>.</p>')
    check_removed(page(between(line)), ["Sign up", "Morning Tide"], "newsletter", "Sign up")


def test_affiliate_disclosure() -> None:
    line = ("<p><em>We may earn a commission when you buy through links on our site.</em></p>")
    check_removed(page(line + p(*EN)), ["earn a commission"], "newsletter", "We may earn")


def test_paywall_prompt() -> None:
    box = (
        '<div class="paywall-prompt"><h3>Subscribe to continue reading</h3>'
        "<p>Get unlimited access to The Harbour Ledger for 1 dollar a week. Cancel anytime.</p>"
        '<p>Already a subscriber? <a href="/login">Log in</a></p></div>'
    )
    check_removed(page(between(box)), ["continue reading", "unlimited access", "Log in"],
                  "paywall", "Subscribe to continue reading")


def test_paywall_line_in_flow() -> None:
    line = '<p>Already a subscriber? <a href="/login">Log in here</a></p>'
    check_removed(page(between(line, at=4)), ["Already a subscriber"], "paywall",
                  "Already a subscriber")


def test_author_bio_box() -> None:
    bio = (
        '<div class="author-bio"><img src="/img/jane.jpg" alt="Jane Doe">'
        "<p>Jane Doe covers city hall and the waterfront for The Harbour Ledger. She previously "
        "reported on transport for a regional radio station.</p></div>"
    )
    check_removed(page(p(*EN) + bio), ["covers city hall"], "author_bio", "Jane Doe covers")


def test_tag_list() -> None:
    tags = (
        '<div class="tags"><span>Tags:</span> <a href="/tag/harbour">Harbour</a> '
        '<a href="/tag/city-council">City council</a> <a href="/tag/ferry">Ferry</a></div>'
    )
    check_removed(page(p(*EN) + tags), ["Tags:", "City council"], "tags", "City council")


def test_comment_section_with_leave_a_reply() -> None:
    """A WordPress comment section: reader comments and the reply form."""
    comments = """
<section id="comments" class="comments-area">
  <h2 class="comments-title">2 thoughts on the harbour wall</h2>
  <ol class="comment-list">
    <li class="comment"><p class="comment-author">Harbourfan</p>
      <p>About time! My grandfather worked on that wall and it has been crumbling for
      years while the council argued about concrete.</p></li>
    <li class="comment"><p class="comment-author">Skeptic42</p>
      <p>42 million for a wall? I will believe it when I see the first barge arrive.</p></li>
  </ol>
  <div id="respond" class="comment-respond">
    <h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
    <form action="/wp-comments-post.php" method="post"><p class="comment-notes">Your email
    address will not be published.</p><textarea name="comment"></textarea>
    <input type="submit" value="Post Comment"></form>
  </div>
</section>"""
    check_removed(page(p(*EN), after=comments),
                  ["Leave a Reply", "grandfather", "first barge", "email"], "comments",
                  "grandfather")


def test_comments_are_closed_line() -> None:
    check_removed(page(p(*EN) + "<p>Comments are closed.</p>"), ["Comments are closed"],
                  "comments", "Comments are closed")


def test_cookie_banner() -> None:
    banner = (
        '<div id="cookie-notice" class="cookie-banner" role="region"><p>We use cookies to '
        "improve your experience on our site, to personalise content and to analyse our "
        'traffic. <a href="/privacy">Learn more</a></p><button>Accept all</button></div>'
    )
    html = page(p(*EN)).replace("</body>", banner + "\n</body>")
    check_removed(html, ["We use cookies"], "cookie", "We use cookies")


def test_site_header_nav_footer() -> None:
    """The page chrome around the article: each removed with its own category."""
    article = check_removed(page(p(*EN)), ["Subscribe for 1 dollar", "Privacy policy",
                                           "All rights reserved"], "header", "Harbour Ledger")
    assert has_record(article, "navigation", tag="nav"), records(article)
    assert has_record(article, "footer", "All rights reserved"), records(article)


@pytest.mark.parametrize("wrapper", ["social-media-embed", "article-widget article-tweet"])
def test_embedded_tweet_is_kept_and_share_buttons_go(wrapper: str) -> None:
    """A tweet the story quotes is the story's material, in a wrapper named "social" or
    "widget"; the share buttons beside it are not."""
    tweet = (f'<div class="{wrapper}"><blockquote class="twitter-tweet">'
             "<p>The new harbour wall will cost more than the old one did in today's money, "
             "and that is fine by me.</p>&mdash; Maria Ostrowski (@quaysidemaria) "
             '<a href="https://twitter.com/x/status/1">March 4, 2024</a></blockquote></div>')
    share = ('<div class="social-share"><a href="#">Share on Twitter</a></div>'
             '<div class="share-tweet"><a href="#">Post this to X now</a></div>')
    article = declutter.extract(page(between(tweet + share)))
    assert "that is fine by me." in article.text
    assert "Maria Ostrowski (@quaysidemaria)" in article.text
    assert "Share on Twitter" not in article.text and "Post this" not in article.text
    assert has_record(article, "share", "Share on Twitter"), records(article)


def test_hover_card_inside_a_sentence_goes_and_the_name_stays() -> None:
    """A person link with a pop-up card of headlines, in the middle of a sentence."""
    card = ('Councillor <span><span class="rollover-people"><a class="rollover-people-link" '
            'href="/people/ostrowski">Maria Ostrowski</a><span class="rollover-people-block">'
            '<span><img src="/m.jpg" alt=""><a href="/people/ostrowski">Maria Ostrowski</a>'
            '<a href="/a">Ferry timetable changes for the winter season</a> '
            '<a href="/b">Fish market hall to reopen in May</a></span></span></span></span> '
            "(Northern Quays) said the vote showed that the council was finally listening.")
    article = declutter.extract(page(between(f"<p>{card}</p>")))
    assert ("Councillor Maria Ostrowski (Northern Quays) said the vote showed that the "
            "council was finally listening.") in article.text
    assert "Ferry timetable" not in article.text
    assert has_record(article, "boilerplate", "Ferry timetable"), records(article)


def test_sidebar() -> None:
    aside = (
        '<aside class="sidebar"><h2>Most read</h2><ol>'
        '<li><a href="/a">Storm warning issued for the coast</a></li>'
        '<li><a href="/b">New bakery opens on Quay Street</a></li></ol>'
        "<p>The Harbour Ledger has covered the city and its waterfront since 1887, and is "
        "owned by a trust that reinvests every dollar of profit in local journalism.</p>"
        "</aside>"
    )
    check_removed(page(p(*EN), after=aside), ["Most read", "Storm warning", "since 1887"],
                  "sidebar", "Most read")


MOST_READ = (
    '<div class="l-col__sidebar"><h2>Most read</h2><ul>'
    '<li><a href="/a">Storm warning issued for the coast</a></li>'
    '<li><a href="/b">New bakery opens on Quay Street</a></li></ul></div>'
)


def test_layout_wrapper_named_for_sidebar_and_article_body_is_kept() -> None:
    """BEM-style layout names ("l-sidebar-fixed l-article-body-segment") say both: the
    article-body name wins, and only the true sidebar inside goes."""
    body = p(*EN[:2]) + "<ul>" + "".join(f"<li>{text}</li>" for text in EN[2:4]) + "</ul>"
    wrapper = (f'<div class="l-sidebar-fixed l-segment l-article-body-segment">'
               f'<div class="l-col__main">{body}</div>{MOST_READ}</div>')
    article = declutter.extract(page(wrapper, chrome=False))
    assert not article.fallback
    for text in EN[:4]:
        assert text in article.text
    assert "Most read" not in article.text and "Storm warning" not in article.text
    assert has_record(article, "sidebar", "Most read"), records(article)


def test_blog_post_without_paragraph_markup_inside_a_widget_is_kept() -> None:
    """Blog engines put the post in a "widget" and separate its lines with <br>: a
    container named for the post body, with an article's worth of text, is the article.
    Its first line, copied into the page's description, is the body's start, not a dek."""
    lines = "<br><br>\n".join(EN)
    post = (f'<div class="widget Blog" id="Blog1"><div class="post hentry">'
            f'<div class="post-body entry-content">{lines}</div></div></div>'
            f'<div class="widget PopularPosts">{MOST_READ}</div>')
    head = f'<meta property="og:description" content="{EN[0]}">'
    article = declutter.extract(page(post, head=head, chrome=False))
    assert not article.fallback
    assert article.text.split("\n\n") == list(EN)


def test_description_paragraph_marked_as_dek_is_removed_on_request() -> None:
    """The standfirst is article text; asked to leave it out, a dek that repeats the
    description goes, recorded as the standfirst."""
    dek = f'<p class="article-dek">{EN[0]}</p>'
    head = f'<meta property="og:description" content="{EN[0]}">'
    html = page(dek + p(*EN[1:]), head=head)
    assert declutter.clean(html).split("\n\n") == list(EN)
    article = declutter.extract(html, options=declutter.Options(include_standfirst=False))
    assert article.text.split("\n\n") == list(EN[1:])
    assert has_record(article, "standfirst", EN[0][:40]), records(article)


def test_paragraphs_in_font_wrappers_are_found_and_lead_is_kept() -> None:
    """Editor markup: each paragraph a <div> holding only <span> wrappers, the first one
    copied into the description. Found by our own locator, and the lead is body."""
    divs = "\n".join(
        f'<div style="text-align: justify;"><span style="font-family: Arial;">'
        f'<span style="font-size: small;">{text}</span></span></div>'
        for text in EN
    )
    head = f'<meta property="og:description" content="{EN[0]}">'
    article = declutter.extract(page(divs, head=head, chrome=False))
    assert not article.fallback
    assert article.text.split("\n\n") == list(EN)


def test_wrapper_named_sidebar_around_a_one_paragraph_story_is_kept() -> None:
    """A theme's "sidebar_content" column holding the post, written as one <p> broken by
    <br>: one long paragraph is as much an article as three."""
    body = (*EN, "Local historians welcomed the plan as well. The granite for the first wall "
            "came from a quarry upriver, and several of the original blocks still carry the "
            "marks of the masons who cut them more than a century ago, which the engineers "
            "have promised to keep visible.", "The council will vote on the contractor in "
            "January. Three firms have bid for the work, and the mayor said the choice would "
            "be made on quality and on the time each firm needs, not on price alone.",
            "Until then, the ferry company has asked passengers to check the timetable "
            "before travelling, since test drilling at the harbour entrance may close the "
            "northern berth for a few hours on some mornings.")
    story = "<p>" + "<br><br>".join(body) + "</p>"
    wrapper = (f'<div class="sidebar_content"><div class="post hentry">{story}</div></div>'
               f'<div class="sidebar_last">{MOST_READ}</div>')
    article = declutter.extract(page(wrapper, chrome=False))
    assert not article.fallback
    assert article.text.split("\n\n") == list(body)
    assert "Most read" not in article.text


def test_declared_body_moves_the_region_to_the_element_holding_its_opening() -> None:
    """JSON-LD articleBody confirms the choice: the region moves up from a chunk to the
    element that holds the declared opening and close, matched word by word whatever
    the punctuation (the declared text has straight quotes, the page curly ones)."""
    from declutter._stages.locate import _confirm
    from declutter._stages.parse import parse

    curly = [text.replace("'", "\u2019") for text in EN]
    root = parse(f'<html><body><div id="story"><div id="intro"><p>{curly[0]}</p></div>'
                 f'<div id="rest">{p(*curly[1:])}</div></div><div id="other">'
                 f'<p>{EN[3]}</p></div></body></html>')
    assert root is not None
    (rest,) = root.xpath("//*[@id='rest']")
    (other,) = root.xpath("//*[@id='other']")
    declared = " ".join(EN).replace("council", "council,")
    assert _confirm(rest, [(rest, 1.0), (other, 0.5)], declared, {}).get("id") == "story"
    # A declared text the page does not show leaves the choice alone.
    assert _confirm(rest, [(rest, 1.0)], " ".join(DE * 3), {}) is rest


def test_page_swallowed_by_a_stray_noscript_is_read() -> None:
    """'<noscript><div></noscript>' puts the rest of the page inside the noscript for
    libxml2 (browsers read it as text); a small, real noscript stays silent."""
    story = (f'<noscript><div id="nojs"></noscript><div id="main"><h1>{TITLE}</h1>'
             f'<div id="text">{p(*EN)}</div></div>')
    html = (f"<html><head><title>{TITLE}</title></head><body><noscript><p>Please enable "
            f"JavaScript to see the comments.</p></noscript>{story}</body></html>")
    article = declutter.extract(html)
    assert not article.fallback
    assert article.text.split("\n\n") == list(EN)


def test_text_after_inline_elements_is_found() -> None:
    """Portal markup: the story is the tail of an <img> in a layout <div>, with no <p>
    and no <br>. Our own locator finds it; no fallback is needed."""
    html = (f'<html><head><title>{TITLE}</title></head><body><div id="main">'
            f'<div class="menu"><a href="/">Home</a> <a href="/news">News</a></div>'
            f'<div class="col-md-9"><p class="titulo">{TITLE}</p>'
            f'<img src="/a.jpg" alt="">{EN[0]} {EN[1]}\n'
            f'<img src="/b.jpg" alt="">{EN[2]}\n<div class="row"><a href="/s">Share</a></div>'
            f'</div></div><div class="rodape">Harbour Ledger Building - 1111 Quay Street - '
            f'Harbour City - Postal Box 421 - Phone: (047) 2106-8000 - Opening hours: '
            f'Monday to Friday, 8 am to 6 pm</div></body></html>')
    article = declutter.extract(html)
    assert not article.fallback
    assert article.text == " ".join(EN[:3])


@pytest.mark.parametrize("markup", [
    '<div class="print-header"><img src="/logo.png" alt="logo">'
    "<span>https://news.example.com/2024/harbour-wall-vote.html</span></div>",
    "<div><span>https://news.example.com/2024/harbour-wall-vote.html</span></div>",
    "<p>www.news.example.com/2024/harbour-wall-vote</p>",
])
def test_bare_address_line_is_removed(markup: str) -> None:
    article = check_removed(page(between(markup)), ["harbour-wall-vote"], "hidden"
                            if "print" in markup else "boilerplate")
    assert not article.fallback


HIDDEN = {
    "display-none": (
        '<div style="display: none"><p>An earlier version of this story, kept in the page by '
        "the publishing system, said the council would spend 38 million dollars on the wall "
        "and begin work in the autumn, before the budget was revised.</p></div>",
        "earlier version",
    ),
    "hidden-attribute": (
        "<p hidden>Print edition: this story appeared on page 3 of the Wednesday paper under "
        "the headline Harbour wall to be rebuilt at last, with a map of the affected quays and "
        "the ferry routes.</p>",
        "Print edition",
    ),
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_hidden_elements(name: str) -> None:
    markup, text = HIDDEN[name]
    check_removed(page(between(markup)), [text], "hidden", text)


BYLINES = {
    "plain": ("<p>By Jane Doe</p>", "By Jane Doe"),
    "linked": ('<div class="byline">By <a href="/author/jane-doe">Jane Doe</a> and '
               '<a href="/author/tom-reyes">Tom Reyes</a></div>', "Tom Reyes"),
    "reported-by": ('<div><span>Reported by: </span><a href="/author/kavya-menon">Kavya '
                    "Menon</a></div>", "Kavya Menon"),
}


@pytest.mark.parametrize("name", sorted(BYLINES))
def test_byline(name: str) -> None:
    markup, text = BYLINES[name]
    check_removed(page(markup + "\n" + p(*EN)), [text], "byline", text)


DATELINES = {
    "ist": "Published 12:32 IST, October 5th 2020",
    "updated": "Updated: March 3, 2024 08:15 AM EST",
    "iso": "2020-01-01T08:00:00+01:00",
    "first-published": "First published on: October 5, 2020, 12:32 IST",
}


@pytest.mark.parametrize("name", sorted(DATELINES))
def test_dateline(name: str) -> None:
    text = DATELINES[name]
    check_removed(page(f"<p>{text}</p>\n" + p(*EN)), [text], "dateline", text)


def test_trailing_dateline() -> None:
    """The seed page ends with a bare "12:33 IST, October 5th 2020" line."""
    text = "12:33 IST, October 5th 2020"
    check_removed(page(p(*EN) + f"\n<div>{text}</div>"), [text], "dateline", text)


def test_headline_not_repeated_in_body() -> None:
    """The h1 is the title, not body text; nor is a copy of it at the top of the body."""
    html = page(f'<p class="title-repeat"><strong>{TITLE}</strong></p>\n' + p(*EN))
    article = check_removed(html, [TITLE], "title", TITLE, tag="h1")
    assert sum(1 for r in article.removed if r.category == "title") == 2, records(article)


def _outside_records(article: Article, text: str) -> list[str]:
    return [f"{r.category} {r.rule}" for r in article.removed if norm(text) in norm(r.excerpt)]


def test_headline_and_dateline_outside_the_body_say_what_they_are() -> None:
    """A headline and a date beside the story's body, not inside the element the locator
    takes, are recorded as the title and a dateline, not only as "outside the article"."""
    date = "Published 12:32 IST, October 5th 2020"
    updated = "12:33 IST, October 5th 2020"
    kicker = "Harbour news"
    html = page(f'<div>{kicker}</div>\n<div class="when-x">{date}</div>\n'
                f'<div class="story-body">{p(*EN)}</div>\n<div>{updated}</div>')
    article = check_removed(html, [TITLE, date, updated], "title", TITLE, tag="h1")
    assert _outside_records(article, TITLE) == ["title title:headline"], records(article)
    assert _outside_records(article, date) == ["dateline pattern:dateline"], records(article)
    assert _outside_records(article, updated) == ["dateline pattern:dateline"], records(article)
    # What is nothing more specific is still recorded as outside the article.
    assert _outside_records(article, kicker) == ["outside locate:outside"], records(article)


def test_story_header_outside_the_body_is_recorded_part_by_part() -> None:
    """A short header holding the headline, the author and a date in separate elements:
    the headline and the date are named, the rest is outside; a separator alone is not a
    record."""
    header = (f'<header class="top-x"><h2 class="hed-x">{TITLE}</h2><div class="meta-x">'
              '<span>Jane Doe</span><span>·</span><span><time>October 5, 2020 12:32</time>'
              "</span></div></header>")
    html = page(header + f'\n<div class="story-body">{p(*EN)}</div>', title="Harbour")
    html = html.replace('<h1 class="headline">Harbour</h1>', "").replace(
        "<title>Harbour", f"<title>{TITLE}")
    article = declutter.extract(html)
    assert article.text == BODY
    assert _outside_records(article, TITLE) == ["title title:headline"], records(article)
    assert _outside_records(article, "October 5, 2020") == ["dateline pattern:dateline"], (
        records(article))
    assert _outside_records(article, "Jane Doe") == ["outside locate:outside"], records(article)
    assert not any(r.excerpt == "·" for r in article.removed), records(article)


def test_rail_outside_the_article_stays_outside_though_it_holds_dates() -> None:
    """A block beside the story listing other stories, each with its date, is one record:
    only a block holding the headline or one date is split to name them."""
    teasers = "".join(
        f"<div><p>{text}</p><p>October {day}, 2020</p></div>" for day, text in enumerate(
            ("Ferry fares rise again as the operator blames fuel costs",
             "New cycle lane on Quay Street opens after two years of work",
             "Fish market moves to a temporary site while its roof is mended"), start=1)
    )
    html = page(f'<div class="story-body">{p(*EN)}</div>',
                after=f'<div class="more-x">{teasers}</div>')
    article = declutter.extract(html)
    assert article.text == BODY
    rail = [r for r in article.removed if "October 1, 2020" in r.excerpt]
    assert [(r.category, r.tag) for r in rail] == [("outside", "div")], records(article)


# ---------------------------------------------------------------------------
# What is kept
# ---------------------------------------------------------------------------

LOOKALIKES = [
    "Share prices fell by almost 4 percent after the vote, as investors in the port operator "
    "worried that three years of works would cut into the number of container ships it can "
    "handle.",
    "Advertisement spending rose sharply in the weeks before the vote, with both camps buying "
    "full pages in the Ledger and airtime on local radio to argue their case.",
    "Related to that, the council also agreed to study whether the old lighthouse could be "
    "turned into a small museum about the history of the harbour.",
    "Read more into the numbers, and the picture is less rosy: almost half of the money will "
    "come from loans that the city must repay over the next 25 years.",
    "Sponsored by three local businesses, the campaign for the granite wall collected more than "
    "11,000 signatures in a single summer.",
    "Follow the money, the mayor said, and you will see that every dollar goes into the wall.",
    "By the end of the meeting, even the councillors who had voted against the plan said they "
    "were relieved that a decision had finally been made.",
]


@pytest.mark.parametrize("text", LOOKALIKES, ids=lambda t: " ".join(t.split()[:2]))
def test_keeps_paragraphs_that_look_like_boilerplate(text: str) -> None:
    body = [*EN[:2], text, *EN[2:]]
    assert declutter.clean(page(p(*body))) == "\n\n".join(body)


def test_keeps_short_lookalike_paragraph() -> None:
    body = [*EN[:3], "Share prices fell.", *EN[3:]]
    assert declutter.clean(page(p(*body))) == "\n\n".join(body)


def test_list_is_one_block_without_bullets() -> None:
    items = ["Rebuilding 600 metres of the outer wall in granite",
             "Raising the ferry quay by half a metre",
             "A new drainage channel behind the fish market"]
    html = page(between("<p>The plan has three parts:</p><ul>"
                        + "".join(f"<li>{item}</li>" for item in items) + "</ul>"))
    expected = [*EN[:2], "The plan has three parts:", "\n".join(items), *EN[2:]]
    assert declutter.clean(html) == "\n\n".join(expected)


def test_ordered_and_nested_list_items_one_per_line() -> None:
    html = page(between(
        "<ol><li>Outer wall<ul><li>granite facing</li><li>new foundations</li></ul></li>"
        "<li>Ferry quay</li></ol>"
    ))
    expected = [*EN[:2], "Outer wall\ngranite facing\nnew foundations\nFerry quay", *EN[2:]]
    assert declutter.clean(html) == "\n\n".join(expected)


TABLE = (
    "<table><caption>Cost estimates</caption>"
    "<thead><tr><th>Year</th><th>Estimate</th><th>Source</th></tr></thead><tbody>"
    "<tr><td>2015</td><td>31 million</td><td>City engineers</td></tr>"
    "<tr><td>2021</td><td>38 million</td><td><a href='/r'>Independent review</a></td></tr>"
    "<tr><td>2026</td><td>42  million</td><td>Final budget</td></tr>"
    "</tbody></table>"
)
TABLE_TEXT = ("Year\tEstimate\tSource\n2015\t31 million\tCity engineers\n"
              "2021\t38 million\tIndependent review\n2026\t42 million\tFinal budget")


def test_data_table_rows_and_tabs() -> None:
    expected = [*EN[:2], TABLE_TEXT, *EN[2:]]
    assert declutter.clean(page(between(TABLE))) == "\n\n".join(expected)


def test_table_row_with_empty_last_cells_has_no_trailing_tabs() -> None:
    table = TABLE.replace("<td>Final budget</td>", "<td></td>").replace(
        "<td>42  million</td>", "<td> </td>")
    expected = TABLE_TEXT.replace("2026\t42 million\tFinal budget", "2026")
    assert declutter.clean(page(between(table))) == "\n\n".join([*EN[:2], expected, *EN[2:]])


def test_blockquote_paragraphs_stay_separate() -> None:
    quote = ["We have waited long enough for this wall to be fixed.",
             "Now the hard part begins, and we will be watching every stone."]
    html = page(between("<blockquote>" + p(*quote) + "</blockquote>"))
    assert declutter.clean(html) == "\n\n".join([*EN[:2], *quote, *EN[2:]])


def test_pre_is_verbatim() -> None:
    timetable = "ROUTE    DEPARTS   ARRIVES\nA1       06:15     07:40\nB2       06:45     08:05"
    html = page(between(f"<pre>{timetable}</pre>"))
    assert declutter.clean(html) == "\n\n".join([*EN[:2], timetable, *EN[2:]])


def test_pre_keeps_indentation_of_first_line() -> None:
    """Code keeps its shape: stripping the first line's indent would misalign the rest."""
    code = "    if level > 2.5:\n        close_gates()\n    notify(crew)"
    html = page(between(f"<pre>{code}</pre>"))
    assert declutter.clean(html) == "\n\n".join([*EN[:2], code, *EN[2:]])


def test_subheadings_are_own_paragraphs() -> None:
    html = page(p(*EN[:2]) + "<h2>What happens next</h2>" + p(*EN[2:4])
                + "<h3>Who pays</h3>" + p(*EN[4:]))
    expected = [*EN[:2], "What happens next", *EN[2:4], "Who pays", *EN[4:]]
    assert declutter.clean(html) == "\n\n".join(expected)


def test_double_br_breaks_paragraphs() -> None:
    html = page('<div class="story-text">' + "<br><br>\n".join(EN) + "</div>")
    assert declutter.clean(html) == BODY


def test_single_br_breaks_line_within_paragraph() -> None:
    poem = "The tide comes in,<br>the tide goes out,<br>the wall stays where it stood."
    html = page(between(f"<p>{poem}</p>"))
    expected = [*EN[:2], "The tide comes in,\nthe tide goes out,\nthe wall stays where it stood.",
                *EN[2:]]
    assert declutter.clean(html) == "\n\n".join(expected)


def test_whitespace_and_nbsp_collapse() -> None:
    messy = EN[0].replace(" ", "  \n\t ", 3).replace(" the ", "&nbsp;the&nbsp;&nbsp;", 2)
    html = page(f"<p>\n   {messy}   \n</p>" + p(*EN[1:]))
    assert declutter.clean(html) == BODY


def test_entities_decoded() -> None:
    raw = ("Fish &amp; chip sellers said the &#8220;works&#8221; &mdash; their word &#x2014; "
           "would hurt the caf&eacute;s &lt;and&gt; the market stalls for three summers.")
    text = "Fish & chip sellers said the “works” — their word — would hurt the cafés <and> the " \
           "market stalls for three summers."
    html = page(between(f"<p>{raw}</p>"))
    assert declutter.clean(html) == "\n\n".join([*EN[:2], text, *EN[2:]])


def test_small_text_is_kept() -> None:
    raw = ("The final bill <small>(about 38 million euros at current rates)</small> will be "
           "shared between the city and the port operator, the mayor said.")
    text = ("The final bill (about 38 million euros at current rates) will be shared between "
            "the city and the port operator, the mayor said.")
    assert declutter.clean(page(between(f"<p>{raw}</p>"))) == "\n\n".join([*EN[:2], text, *EN[2:]])


def test_inline_elements_join_without_added_spaces() -> None:
    raw = ("Stall<b>holders</b> on the co<span>-</span>operative quay said the "
           '<a href="/x">min</a><i>Share</i>Gift scheme, run by the <em>Ledger</em>\'s '
           "readers, raised 12,000 dollars for the families of fishermen.")
    text = ("Stallholders on the co-operative quay said the minShareGift scheme, run by the "
            "Ledger's readers, raised 12,000 dollars for the families of fishermen.")
    assert declutter.clean(page(between(f"<p>{raw}</p>"))) == "\n\n".join([*EN[:2], text, *EN[2:]])


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------

def test_keep_captions_option() -> None:
    html = page(between(FIGURE + "\n<p>Image: Harbour Authority</p>"))
    caption = "Workers inspect cracked granite blocks on the harbour wall on Monday."
    assert declutter.clean(html) == BODY
    kept = declutter.clean(html, options=Options(keep_captions=True))
    assert kept == "\n\n".join([*EN[:2], caption, "Image: Harbour Authority", *EN[2:]])


def test_include_title_option() -> None:
    out = declutter.clean(page(p(*EN)), options=Options(include_title=True))
    assert out == TITLE + "\n\n" + BODY


def test_keep_tables_false_drops_table() -> None:
    html = page(between(TABLE))
    article = check_removed(html, ["31 million", "Estimate"], "user",
                            options=Options(keep_tables=False), tag="table")
    assert any(r.rule == "option:keep_tables" for r in article.removed), records(article)


NOTE = ('<p class="editor-note">This story has been updated to say that the vote was taken '
        "on Tuesday evening, not on Monday as an earlier version said.</p>")


@pytest.mark.parametrize("selector", [".editor-note", "//p[@class='editor-note']"])
def test_drop_selector(selector: str) -> None:
    html = page(p(*EN) + NOTE)
    assert declutter.clean(html).endswith("as an earlier version said.")
    check_removed(html, ["earlier version"], "user", "This story has been updated",
                  options=Options(drop=(selector,)))


FACT_BOX = ('<div id="fact-box" class="sidebar-box"><p>The harbour wall in numbers: 1.2 '
            "kilometres long, 9 metres high at the deepest point, 115 years old.</p></div>")
FACT = "The harbour wall in numbers: 1.2 kilometres long, 9 metres high at the deepest point, " \
       "115 years old."


@pytest.mark.parametrize("selector", ["#fact-box", "//div[@id='fact-box']"])
def test_keep_selector(selector: str) -> None:
    html = page(between(FACT_BOX))
    assert declutter.clean(html) == BODY
    kept = declutter.clean(html, options=Options(keep=(selector,)))
    assert kept == "\n\n".join([*EN[:2], FACT, *EN[2:]])


def test_keep_selector_overrides_label() -> None:
    html = page(between('<p class="keep-me">Advertisement</p>'))
    assert declutter.clean(html) == BODY
    kept = declutter.clean(html, options=Options(keep=("p.keep-me",)))
    assert kept == "\n\n".join([*EN[:2], "Advertisement", *EN[2:]])


def test_site_rule_applies_only_on_its_domain() -> None:
    html = page(p(*EN) + NOTE)
    options = Options(site_rules=(SiteRule(domain="example.com", drop=(".editor-note",)),))
    with_note = declutter.clean(html, options=options)
    assert "earlier version" in with_note
    for url in ("https://example.org/city/wall", "https://notexample.com/city/wall", None):
        assert declutter.clean(html, url=url, options=options) == with_note, url
    for url in ("https://example.com/city/wall", "https://www.example.com/city/wall"):
        check_removed(html, ["earlier version"], "user", "This story has been updated",
                      options=options, url=url)


def test_articles_only_false_returns_text_of_non_article() -> None:
    html = page("<p>The harbour office is closed on public holidays.</p>")
    assert declutter.clean(html) == ""
    article = declutter.extract(html, options=Options(articles_only=False))
    assert article.text == "The harbour office is closed on public holidays."
    assert article.is_article is False


# ---------------------------------------------------------------------------
# A short story: what the rules removed must stay removed, whichever extractor runs
# ---------------------------------------------------------------------------

BRIEF = ("The ferry to the island will not run on Saturday because of the storm warning, the "
         "operator said on Friday.")
BRIEF_TITLE = "Saturday ferry cancelled because of storm"
BRIEF_EXTRAS = {
    "hidden": '<div class="modal" style="display:none">' + p(*EN[:2]) + "</div>",
    "newsletter": '<div class="newsletter-signup">' + p(*EN[2:4]) + "</div>",
    "comments": ('<section id="comments" class="comments-area"><h3>2 comments</h3>'
                 + p(*EN[4:]) + "</section>"),
}


@pytest.mark.parametrize("name", sorted(BRIEF_EXTRAS))
def test_short_story_does_not_get_removed_text_back(name: str) -> None:
    """A news brief is short, so the locator is unsure and the fallback may run: it must not
    bring back the headline or text that declutter's rules removed."""
    html = page(p(BRIEF) + BRIEF_EXTRAS[name], title=BRIEF_TITLE)
    for options in (None, Options(articles_only=False)):
        out = declutter.clean(html, options=options)
        assert BRIEF_TITLE not in out, out
        for text in EN:
            assert text[:40] not in out, f"{name} text came back:\n{out}"
        assert out in ("", BRIEF), out


# ---------------------------------------------------------------------------
# The seed page, rebuilt: boilerplate gone, and no word damaged
# ---------------------------------------------------------------------------

SEED_TITLE = "River talks: ministers of two states discuss flood readiness over phone"
SEED_BODY = (
    "Amid rising water levels along the northern border, the foreign ministers of both states "
    "discussed the situation in the disputed river valley. In a telephone conversation, they "
    "expressed concern over the growing number of villages under threat and urged the "
    "engineers on both sides to share their data.",
    "In a statement, the ministry reaffirmed its readiness to assist the parties in returning "
    "the dam settlement process to diplomatic channels. There had been no talks for almost "
    "two decades, and the anchorage at the river mouth had been closed to other traffic since "
    "the spring.",
    "The co-chairs of the river commission had earlier released a statement, condemning the "
    "continued damage to the embankments. They expressed alarm at reports of farmland flooded "
    "near the village of Nordholm and said that the knowledge of both sides was needed now.",
    "River valley dispute",
    "The two former partners have argued for years over the valley, a fertile region in the "
    "north, and heavy rain re-opened the dispute on September 27. The new flooding is "
    "considered to be the heaviest in decades, and hundreds of families have left their homes.",
    "With fears of the damage spreading downstream, there is a possibility that the economy of "
    "the whole region could suffer. Earlier, one side even accused the other of espionage at "
    "the dam, an accusation that was denied within hours.",
)


def seed_page() -> str:
    ad = '<div class="ad-slot-label">Advertisement</div>'
    bare_ad = "<div>Advertisement</div>"
    read = '<p><strong>READ: </strong><a href="/world/{0}">{1}</a></p>'
    also = '<p><strong>ALSO READ | </strong><a href="/world/{0}">{1}</a></p>'
    body = f"""
<div class="story-time">Published 12:32 IST, October 5th 2020</div>
<h2 class="story-summary">Amid rising water levels, the foreign ministers of both states
discussed the situation in the disputed valley</h2>
<div><span>Reported by: </span><a href="/author/kavya-menon">Kavya Menon</a></div>
<div><span>Follow: </span><a href="https://news.google.com/x"><span>Google News Icon</span>
</a></div>
<div><span>•</span> <button>share</button></div>
<div><img src="/img/river.jpg" alt=""><p>null | Image: self</p></div>
{bare_ad}
{p(*SEED_BODY[:2])}
{ad}
{read.format(1, "River Talks: Valley States Agree To Share Gauge Data Until Water Recedes")}
{p(SEED_BODY[2])}
{bare_ad}
{also.format(2, "Ministry Detains Two Engineers On Suspicion Of Espionage At Dam")}
{ad}
<h2>{SEED_BODY[3]}</h2>
{p(*SEED_BODY[4:])}
{bare_ad}
<p>(Image: @RiverMinistry/Twitter)</p>
{read.format(3, "Neighbours Urge Both States To Start Dialogue")}
{read.format(4, "Village Of Nordholm Evacuated As Water Keeps Rising")}
{ad}
<div>12:33 IST, October 5th 2020</div>
"""
    return page(body, title=SEED_TITLE)


def test_seed_like_page_loses_boilerplate_and_damages_no_word() -> None:
    html = seed_page()
    article = declutter.extract(html)
    out = article.text
    tokens = re.findall(r"\w+", out)
    page_tokens = set(visible_tokens(html))
    damaged = [token for token in tokens if token not in page_tokens]
    assert not damaged, f"damaged words {damaged} in:\n{out}"
    assert is_subsequence(tokens, visible_tokens(html))
    for text in ("Advertisement", "Published", "12:33 IST", "Kavya Menon", "Google News",
                 "share\n", "Image: self", "READ", "Gauge Data", "Espionage At Dam",
                 "@RiverMinistry", "Nordholm Evacuated", "Dialogue"):
        assert text not in out, f"{text!r} leaked into:\n{out}"
    paragraphs = out.split("\n\n")
    assert is_subsequence(list(SEED_BODY), paragraphs), f"body incomplete:\n{out}"
    assert paragraphs[-len(SEED_BODY):] == list(SEED_BODY)
    for category in ("ad", "related", "caption", "byline", "dateline", "share"):
        assert has_record(article, category), f"no {category} record:\n{records(article)}"


def test_body_cut_into_chunks_with_one_body_class_is_joined() -> None:
    """A body the page cut into chunks in separate wrappers, each chunk marked with the same
    body class ("story-body story-body-1", "story-body story-body-2"): a short first chunk
    is part of the story, however few votes it has."""
    body = (
        '<div class="supplemental"><div class="story-body story-body-1">'
        + p(EN[0]) + "</div></div>\n"
        '<div class="ad-slot"><a href="/ads">Advertise with us</a></div>\n'
        '<div class="supplemental"><div class="story-body story-body-2">'
        + p(*EN[1:]) + "</div></div>"
    )
    out = declutter.clean(page(body))
    assert out == BODY, out


def test_keeps_section_heading_that_links_into_the_page() -> None:
    """A heading made of a link to its own anchor (a contents back-link) is a heading of the
    story; a heading that links to another page is a teaser."""
    heading = '<h2><a class="toc-backref" href="#contents">Cost and timetable</a></h2>'
    teaser = '<h3><a href="/news/ferry-fares-rise">Ferry fares to rise in spring</a></h3>'
    out = declutter.clean(page(between(heading, at=3) + "\n" + teaser))
    assert out == "\n\n".join([*EN[:3], "Cost and timetable", *EN[3:]]), out


def test_keeps_link_named_like_chrome_inside_a_sentence() -> None:
    """A link in the middle of a sentence is words of that sentence, whatever its class
    ("player" names a video player, and an athlete's profile link alike); the same class on
    a link standing alone is still chrome."""
    sentence = ('<p>MADRID — <a class="sn-player-post-link" href="/players/nadal">Rafael '
                "Nadal</a> kept Spain's hopes alive, then the doubles pair completed the comeback "
                "in the decisive match to give the hosts a 2-1 win.</p>")
    alone = '<p><a class="video-player" href="/video/1">Watch the highlights</a></p>'
    article = declutter.extract(page(between(sentence + "\n" + alone)))
    expected = ("MADRID — Rafael Nadal kept Spain's hopes alive, then the doubles pair "
                "completed the comeback in the decisive match to give the hosts a 2-1 win.")
    assert article.text == "\n\n".join([*EN[:2], expected, *EN[2:]]), article.text
    assert has_record(article, "boilerplate", "Watch the highlights")
