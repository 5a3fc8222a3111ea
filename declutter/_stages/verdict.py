"""The verdict: one article, or a page of another kind (home page, section front,
search results, forum thread, product page, error page)?"""

from __future__ import annotations

from declutter._rules.tables import ERROR_TITLE_RE
from declutter._rules.thresholds import (
    ARTICLE_PARAGRAPHS,
    DOMINANT_CHARS,
    DOMINANT_SHARE,
    ERROR_PAGE_CHARS,
    FALLBACK_PROSE,
    LISTING_TEASERS,
    LONG_PARAGRAPH,
    MIN_ARTICLE_CHARS,
    PRODUCT_PROSE,
    TEASER_CHARS,
)
from declutter._stages.extraction import Extraction
from declutter._stages.prune import TRUNCATED

#: Kinds of page for which a second opinion buys nothing to a caller who wants articles.
NEVER_ARTICLES = frozenset({"forum", "product"})


def settled_elsewhere(extraction: Extraction) -> bool:
    """True when the page is no article whatever a second opinion would find: then the
    fallback's cost buys nothing for a caller who wants articles only."""
    return extraction.declared.kind in NEVER_ARTICLES


def is_article(extraction: Extraction) -> bool:
    """Pages with some text are articles unless they say otherwise: a declared
    forum, product or listing type, an error headline, or a body of teasers
    (headline links and cut-off summaries) rather than paragraphs."""
    blocks = extraction.kept
    prose = [block for block in blocks if block.kind in ("paragraph", "quote", "preformatted")]
    chars = sum(len(block.text) for block in blocks)
    if chars < MIN_ARTICLE_CHARS:
        return False
    long_paragraphs = sum(1 for block in prose if len(block.text) >= LONG_PARAGRAPH)
    title = extraction.declared.headline
    if title and ERROR_TITLE_RE.search(title) and chars < ERROR_PAGE_CHARS:
        return False
    declared = extraction.declared.kind
    if declared == "article":
        return True
    if declared == "forum":  # posts, however long, are no story
        return False
    if declared == "product" and long_paragraphs < PRODUCT_PROSE:
        return False  # a shop's description; several long paragraphs are a write-up

    if declared == "listing" and long_paragraphs < ARTICLE_PARAGRAPHS:
        return False
    # A "website" page needs prose of its own; text only the fallback found needs more:
    # several long paragraphs, or one long text (an abstract, a story in one block).
    if declared == "website":
        if long_paragraphs < 1:
            return False
        long_chars = sum(len(block.text) for block in prose if len(block.text) >= LONG_PARAGRAPH)
        if extraction.fallback and long_paragraphs < ARTICLE_PARAGRAPHS and (
            long_chars < FALLBACK_PROSE
        ):
            return False
    # A headline link is a teaser; a bare "link" or "more" is not.
    dropped = extraction.dropped
    teasers = sum(
        1 for item in dropped if item.rule == "links:paragraph" and len(item.text) >= TEASER_CHARS
    )
    teasers += len({
        item.element.getparent()
        for item in dropped
        if item.rule == "links:list" and item.element is not None
    })
    teasers += sum(1 for block in prose if block.text.endswith(TRUNCATED))
    # Teasers outnumbering the prose make a listing, unless the prose is an article's:
    # a story of three long paragraphs, or of one dominant block, may well carry a few
    # lists of related links.
    longest = max((len(block.text) for block in prose), default=0)
    dominant = longest >= DOMINANT_CHARS and longest >= DOMINANT_SHARE * chars
    return dominant or not (
        teasers >= LISTING_TEASERS and teasers >= len(prose)
        and long_paragraphs < ARTICLE_PARAGRAPHS
    )
