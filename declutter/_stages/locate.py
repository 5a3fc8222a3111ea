"""Stage 4, locate: find the element (or run of sibling elements) that holds the article.

Every paragraph outside the pruned chrome votes for its ancestors, with a
weight that grows with its length and commas and shrinks with its share of
link text, and a vote that fades with distance (the parent gets it whole, the
grandparent half, further ancestors less). The article body is the element
with the most votes, helped by the page's own markers (``itemprop=articleBody``,
body-like class names, ``<article>``). Sibling blocks that belong to the same
story (a lead split from the body, a body split into chunks) are added after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from declutter._rules.names import is_body_name
from declutter._rules.tables import SILENT_TAGS, normalize_label
from declutter._rules.thresholds import (
    CHUNK_LEVELS,
    CHUNK_MIN,
    CHUNK_SHARE,
    DECLARED_MIN_WORDS,
    DECLARED_PROBE,
    DESCRIPTION_LONGER,
    DESCRIPTION_SHORTER,
    DESCRIPTION_SLACK,
    FIGURE_MAX_TEXT,
    GROW_LEVELS,
    GROW_MAX_LINKS,
    GROW_MIN_PROSE,
    LEAD_LEVELS,
    LISTING_ARTICLES,
    MAX_LINK_DENSITY,
    MIN_PARAGRAPH,
    PRIOR_ARTICLE_BODY,
    PRIOR_ARTICLE_TAG,
    PRIOR_BODY_NAME,
    PRIOR_LISTING,
    PRIOR_WHOLE_PAGE,
    PROSE_WEIGHT,
    RANKED_CANDIDATES,
    SECTION_MIN_PROSE,
    SIBLING_LINKS,
    SIBLING_MIN,
    SIBLING_SHARE,
    SIBLING_TEXT,
    STANDFIRST_MAX,
    STANDFIRST_MIN,
    TEASER_CARD_TEXT,
    TEASER_LIST,
    TEASER_MIN_LINKS,
    TWIN_MIN,
    VOTE_BASE,
    VOTE_CAP,
    VOTE_DECAY,
    VOTE_UNIT,
)
from declutter._stages.dom import class_and_id
from declutter._stages.parse import Element, text_of
from declutter._stages.prune import SOUP, PrunedPage, link_length

#: What the prune walk dropped (``PrunedPage.dropped``): element -> (category, rule). Not the
#: filter's ``Dropped`` records, which are blocks removed by their text.
DroppedElements = dict[Element, tuple[str, str]]

#: A word of the body the page declares in JSON-LD, whose first and last confirm the region.
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Region:
    """The located article: elements in document order, and the text they hold."""

    elements: tuple[Element, ...]
    #: characters of well-formed paragraph text on the whole page
    page_text: int
    #: the element the votes chose; the other elements joined it as more of the story
    body: Element | None = None


def locate(page: PrunedPage, declared_body: str | None) -> Region | None:
    """The article's region; ``declared_body`` is the page's JSON-LD articleBody, if any."""
    scores: dict[Element, float] = {}
    direct: dict[Element, float] = {}
    page_text = 0
    for el, size, links, weight in page.texts:
        if size < MIN_PARAGRAPH:
            continue
        density = links / size
        if density > MAX_LINK_DENSITY:
            continue
        page_text += size
        vote = (VOTE_BASE + min(size, VOTE_CAP) / VOTE_UNIT) * (1.0 - density) * weight
        node = el if el.tag in SOUP else el.getparent()
        if node is not None:
            direct[node] = direct.get(node, 0.0) + vote
        for share in VOTE_DECAY:
            if node is None:
                break
            scores[node] = scores.get(node, 0.0) + vote * share
            node = node.getparent()
    if page.forced_body is not None:
        return Region((page.forced_body,), page_text)
    if not scores:
        return None

    ranked = _ranked(scores, page.dropped)
    best, best_score = ranked[0]
    best = _widen(best, best_score, ranked, direct, page.dropped)
    if declared_body is not None:
        best = _confirm(best, ranked, declared_body, page.dropped)
    elements = _grow(best, page) or _with_siblings(best, best_score, scores, page)
    return Region(elements, page_text, best)


def _phrase(words: list[str]) -> re.Pattern[str]:
    """A pattern that finds these words in a text as a substring of the text's words
    joined by single spaces would: the first and last may be parts of longer words."""
    return re.compile(r"\W+".join(map(re.escape, words)))


def _confirm(
    best: Element,
    ranked: list[tuple[Element, float]],
    declared: str,
    dropped: DroppedElements,
) -> Element:
    """Check the choice against the body text the page declares in JSON-LD.

    The declared text only confirms: the region stays an element of the page,
    moved to the nearest element that holds the declared opening (and its
    close, when the page shows it), never replaced by the JSON text itself.
    """
    words = _WORD_RE.findall(declared)
    if len(words) < DECLARED_MIN_WORDS:
        return best
    # The declared opening and close, matched in an element's text as its words would
    # be: with any non-word characters between them, read in C over the raw text.
    head = _phrase(words[:DECLARED_PROBE])
    tail = _phrase(words[-DECLARED_PROBE:])
    candidates = [best, *best.iterancestors()][: CHUNK_LEVELS + 2]
    candidates += [el for el, _ in ranked[1:] if el not in candidates]
    texts = {el: text_of(el) for el in candidates if el.tag not in ("body", "html")}
    tail_shown = any(tail.search(text) for text in texts.values())
    for el, text in texts.items():
        if head.search(text) and (not tail_shown or tail.search(text)):
            if el is best or not _is_listing(el, dropped):
                return el
    return best


def _ranked(
    scores: dict[Element, float], dropped: DroppedElements
) -> list[tuple[Element, float]]:
    """The strongest candidates, best first, once the page's own hints are weighed in."""
    top = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:RANKED_CANDIDATES]
    weighed = ((el, raw * _prior(el, dropped)) for el, raw in top)
    return sorted(weighed, key=lambda item: item[1], reverse=True)


def _widen(
    best: Element,
    best_score: float,
    ranked: list[tuple[Element, float]],
    direct: dict[Element, float],
    dropped: DroppedElements,
) -> Element:
    """Join the best element with other strong chunks of the same body.

    Bodies split into chunks in separate wrappers ("article > div > div > p"
    twice) give each chunk its own votes; their nearest common ancestor is
    the body.
    """
    lineage = [best]
    for ancestor in best.iterancestors():
        lineage.append(ancestor)
        if len(lineage) > CHUNK_LEVELS:
            break
    enough = max(CHUNK_SHARE * best_score, CHUNK_MIN)
    reach = 0
    # An ancestor with paragraphs of its own: the lead above a nested body.
    for level, ancestor in enumerate(lineage[1 : LEAD_LEVELS + 1], start=1):
        if direct.get(ancestor, 0.0) >= enough:
            reach = level
    for el, score in ranked[1:]:
        if el in lineage:
            continue
        if score < enough and not (score >= TWIN_MIN and _body_twins(el, best)):
            continue
        for ancestor in el.iterancestors():
            if ancestor is best:
                break
            if ancestor in lineage:
                reach = max(reach, lineage.index(ancestor))
                break
    current = best
    for ancestor in lineage[1 : reach + 1]:
        if ancestor.tag in ("body", "html") or _is_listing(ancestor, dropped):
            break
        current = ancestor
    return current


def _grow(best: Element, page: PrunedPage) -> tuple[Element, ...] | None:
    """More of the same story around the chosen element, or None when there is none.

    Page builders cut one story into sections, each in its own deep stack of
    wrappers; the votes, which fade within a few levels, find one section.
    The highest ancestor whose extra text is prose, with little link text and
    no other story's headline, holds the rest; of what it holds, the sections
    with prose of their own join the region, the small bits between them
    (captions, breadcrumbs, counters) stay out.
    """
    chain: dict[Element, int] = {best: 0}
    node = best.getparent()
    while node is not None and node.tag not in ("body", "html") and len(chain) <= GROW_LEVELS:
        chain[node] = len(chain)
        node = node.getparent()
    if len(chain) == 1:
        return None
    prose, links, inner = _tally(page, chain)
    # Another story (an <article> of its own with a headline, beside this one: the next
    # story of an endless page) ends the climb below it.
    stop = len(chain)
    for h1 in page.h1:
        story = next(h1.iterancestors("article"), None)
        if story is None or story in chain:
            continue
        for ancestor in story.iterancestors():
            story_level = chain.get(ancestor)
            if story_level is not None:
                stop = min(stop, story_level)
                break
    top = 0
    added_prose = added_links = 0
    for level in range(1, stop):
        added_prose += prose[level]
        added_links += links[level]
        if added_links > GROW_MAX_LINKS * added_prose:
            break
        if added_prose >= GROW_MIN_PROSE and (prose[level] or links[level]):
            top = level
    if not top:
        return None
    chosen: list[Element] = []
    cards = _teaser_cards(page, chain, best)
    _sections(list(chain)[top], best, chain, inner, cards, chosen, page.dropped)
    return tuple(chosen)


def _tally(
    page: PrunedPage, chain: dict[Element, int]
) -> tuple[list[int], list[int], dict[Element, list[int]]]:
    """Prose and link text each level of the chain adds, and the prose and link text of
    each section beside the chain (a child of a chain element not on the chain)."""
    prose = [0] * len(chain)
    links = [0] * len(chain)
    inner: dict[Element, list[int]] = {}
    # Where each element met so far attaches: (level of its chain element, its section);
    # texts share ancestors, so each walk up stops at the first element already placed.
    where: dict[Element, tuple[int, Element | None]] = {el: (lv, None) for el, lv in chain.items()}
    for el, size, link_chars, weight in page.texts:
        is_prose = (size >= MIN_PARAGRAPH and link_chars <= MAX_LINK_DENSITY * size
                    and weight >= PROSE_WEIGHT)
        add_prose = size - link_chars if is_prose else 0
        add_links = link_chars if is_prose else max(
            link_chars, size if weight < PROSE_WEIGHT else 0
        )
        placed = where.get(el)
        if placed is None:
            path = [el]
            for ancestor in el.iterancestors():
                placed = where.get(ancestor)
                if placed is not None:
                    break
                path.append(ancestor)
            else:
                placed = (-1, None)
            if placed[0] >= 0 and placed[1] is None:
                placed = (placed[0], path[-1])  # the element just below the chain
            for member in path:
                where[member] = placed
        level, section = placed
        if level < 0:
            continue
        if section is not None:
            totals = inner.setdefault(section, [0, 0])
            totals[0] += add_prose
            totals[1] += add_links
        if level:
            prose[level] += add_prose
            links[level] += add_links
    return prose, links, inner


def _teaser_cards(page: PrunedPage, chain: dict[Element, int], best: Element) -> dict[Element, int]:
    """How many teaser cards each element beside the chain holds.

    A teaser card is a short <article> whose headline links away. Cards of the
    same list as the story's own part (a list of items, each an <article>)
    are items, not teasers.
    """
    own = best if best.tag == "article" else next(best.iterancestors("article"), None)
    peers = own.getparent() if own is not None else None
    counts: dict[Element, int] = {}
    for card in page.root.iter("article"):
        if card in chain or (peers is not None and card.getparent() is peers):
            continue
        size = len(text_of(card).strip())
        if size >= TEASER_CARD_TEXT or link_length(card) < TEASER_MIN_LINKS * size:
            continue
        holders: list[Element] = []
        for ancestor in card.iterancestors():
            if ancestor in chain:
                break
            if ancestor in page.dropped or ancestor.tag in SILENT_TAGS:
                holders = []
                break
            holders.append(ancestor)
        for holder in holders:
            counts[holder] = counts.get(holder, 0) + 1
    return counts


def _sections(
    el: Element,
    best: Element,
    chain: dict[Element, int],
    inner: dict[Element, list[int]],
    cards: dict[Element, int],
    chosen: list[Element],
    dropped: DroppedElements,
) -> None:
    """The parts of ``el`` that hold the story, in document order: not figures, not lists
    of teaser cards."""
    for child in el:
        if not isinstance(child.tag, str) or child in dropped:
            continue
        if child is best:
            chosen.append(child)
        elif child in chain:
            _sections(child, best, chain, inner, cards, chosen, dropped)
        elif cards.get(child, 0) < TEASER_LIST:
            prose, links = inner.get(child, (0, 0))
            if prose >= SECTION_MIN_PROSE and links <= GROW_MAX_LINKS * prose:
                if prose >= FIGURE_MAX_TEXT or not _is_figure(child):
                    chosen.append(child)


#: Pictures: an element that is or holds one, with little text beside it, is a figure.
_MEDIA = ("img", "picture", "video", "figure")


def _is_figure(el: Element) -> bool:
    return el.tag in _MEDIA or any(True for _ in el.iterdescendants(*_MEDIA))


def _body_twins(a: Element, b: Element) -> bool:
    """Two elements of one tag that share a class naming the article body: chunks of one
    body ("story-body story-body-1", "story-body story-body-2")."""
    if a.tag != b.tag:
        return False
    names_a, names_b = a.get("class"), b.get("class")
    if not names_a or not names_b:
        return False
    shared = set(names_a.split()) & set(names_b.split())
    return any(is_body_name(name) for name in shared)


def _prior(el: Element, dropped: DroppedElements) -> float:
    """The page's own hints that an element is the article body."""
    factor = 1.0
    if el.get("itemprop") == "articleBody":
        factor *= PRIOR_ARTICLE_BODY
    names = class_and_id(el.get("class"), el.get("id"))
    if names and is_body_name(names):
        factor *= PRIOR_BODY_NAME
    if el.tag == "article":
        factor *= PRIOR_ARTICLE_TAG
    if el.tag in ("body", "html"):
        factor *= PRIOR_WHOLE_PAGE
    if _is_listing(el, dropped):
        factor *= PRIOR_LISTING
    return factor


def _is_listing(el: Element, dropped: DroppedElements) -> bool:
    """An element holding several <article> elements lists stories; it is not one.

    Articles inside pruned chrome (a related-stories rail) do not count.
    """
    found = 0
    for article in el.iterdescendants("article"):
        if any(ancestor in dropped for ancestor in article.iterancestors()):
            continue
        found += 1
        if found >= LISTING_ARTICLES:
            return True
    return False


def _with_siblings(
    best: Element, best_score: float, scores: dict[Element, float], page: PrunedPage
) -> tuple[Element, ...]:
    parent = best.getparent()
    if parent is None:
        return (best,)
    threshold = max(SIBLING_MIN, best_score * SIBLING_SHARE)
    best_class = best.get("class")
    sizes = {el: (size, links) for el, size, links, _ in page.texts if el.getparent() is parent}
    chosen: list[Element] = []
    for sibling in parent:
        if sibling is best:
            chosen.append(sibling)
            continue
        if not isinstance(sibling.tag, str) or sibling in page.dropped:
            continue
        if sibling.tag == "article" or sibling.find(".//article") is not None:
            # Another <article> beside the story is another story (a teaser, the next post).
            continue
        score = scores.get(sibling, 0.0)
        if score >= threshold:
            chosen.append(sibling)
            continue
        if score >= TWIN_MIN and sibling.tag == best.tag and best_class and (
            sibling.get("class") == best_class
        ):
            # A twin of the body (same tag, same class) with prose of its own: the
            # next chunk of a body the page cut into equal blocks.
            chosen.append(sibling)
            continue
        measured = sizes.get(sibling)
        if measured and measured[0] >= SIBLING_TEXT and (
            measured[1] < SIBLING_LINKS * measured[0]
        ):
            chosen.append(sibling)
    return tuple(chosen)


# --------------------------------------------------------------------------- the standfirst


def standfirst(region: Region | None, page: PrunedPage, description: str | None) -> Element | None:
    """The page's standfirst, when it stands before the located body, outside it.

    The standfirst (dek) sits under the headline, often outside the element that holds
    the paragraphs. It is found by its markup (a class naming it, kept by the prune
    stage) or as the text the page declares as its description; only between the
    headline and the body, short, and not a link, so a teaser's summary elsewhere on
    the page is never taken for it.
    """
    if region is None or not region.elements:
        return None
    candidates = list(page.standfirsts)
    if description:
        key = normalize_label(description)
        # Only texts of about the description's length are compared: a cheap filter that
        # spares normalising every paragraph of the page.
        low = len(description) * DESCRIPTION_SHORTER - DESCRIPTION_SLACK
        high = len(description) * DESCRIPTION_LONGER + DESCRIPTION_SLACK
        candidates.extend(
            el for el, size, links, _ in page.texts
            if low <= size <= high and STANDFIRST_MIN <= size <= STANDFIRST_MAX
            and not links and normalize_label(text_of(el)) == key
        )
    if not candidates:
        return None
    first = region.elements[0]
    inside = set(region.elements)
    order = _order_before(page.root, first, {*candidates, *page.h1})
    start = order.get(first)
    if start is None:
        return None
    headline = max((order[h] for h in page.h1 if order.get(h, start) < start), default=-1)
    chosen: Element | None = None
    for el in candidates:
        place = order.get(el)
        if place is None or not headline < place < start or el in inside:
            continue
        if any(ancestor in inside for ancestor in el.iterancestors()):
            continue  # already part of the region
        size = len(text_of(el).strip())
        if not STANDFIRST_MIN <= size <= STANDFIRST_MAX or (
            link_length(el) > MAX_LINK_DENSITY * size
        ):
            continue
        if chosen is None or place > order[chosen]:
            chosen = el  # the one nearest the body
    return chosen


def _order_before(root: Element, stop: Element, wanted: set[Element]) -> dict[Element, int]:
    """Document-order places of the ``wanted`` elements that come before ``stop``, and of
    ``stop`` itself (absent when it is not in the tree).

    Only elements before the body can be the standfirst or the headline above it, so
    the walk ends at the body and indexes only what is asked for, rather than building
    an index of the whole page.
    """
    order: dict[Element, int] = {}
    for index, el in enumerate(root.iter()):
        if el is stop:
            order[el] = index
            break
        if el in wanted:
            order[el] = index
    return order
