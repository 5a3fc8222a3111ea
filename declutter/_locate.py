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

from ._parse import Element, text_of
from ._prune import SOUP, Page, link_length
from ._rules import SILENT_TAGS, is_body_name, normalize_label

Dropped = dict[Element, tuple[str, str]]

#: A paragraph's vote: a base for being a paragraph at all, plus a point per 100 characters
#: up to 800 (a very long paragraph is no surer a sign than a long one).
_VOTE_BASE = 0.5
_VOTE_CAP = 800
_VOTE_UNIT = 100.0
#: How much of a paragraph's vote reaches each ancestor level.
_DECAY = (1.0, 0.5, 0.3, 0.2, 0.1)
#: A second strong candidate (this share of the best score) within this many levels of the
#: best one is another chunk of the same body: the region becomes their common ancestor.
_CHUNK_SHARE = 0.25
_CHUNK_LEVELS = 5
_CHUNK_MIN = 2.5
_MIN_PARAGRAPH = 25
#: Levels above the body at which a lead with paragraphs of its own may stand.
_LEAD_LEVELS = 3
#: Votes a sibling with the body's own tag and class needs to join it.
_TWIN_MIN = 1.0
#: JSON-LD articleBody confirms the region by its first and last words.
_DECLARED_MIN_WORDS = 60
_DECLARED_PROBE = 8
_WORD_RE = re.compile(r"\w+")
_MAX_LINK_DENSITY = 0.5


@dataclass(frozen=True)
class Region:
    """The located article: elements in document order, and the text they hold."""

    elements: tuple[Element, ...]
    #: characters of well-formed paragraph text on the whole page
    page_text: int
    #: the element the votes chose; the other elements joined it as more of the story
    body: Element | None = None


def locate(page: Page, declared_body: str | None) -> Region | None:
    """The article's region; ``declared_body`` is the page's JSON-LD articleBody, if any."""
    scores: dict[Element, float] = {}
    direct: dict[Element, float] = {}
    page_text = 0
    for el, size, links, weight in page.texts:
        if size < _MIN_PARAGRAPH:
            continue
        density = links / size
        if density > _MAX_LINK_DENSITY:
            continue
        page_text += size
        vote = (_VOTE_BASE + min(size, _VOTE_CAP) / _VOTE_UNIT) * (1.0 - density) * weight
        node = el if el.tag in SOUP else el.getparent()
        if node is not None:
            direct[node] = direct.get(node, 0.0) + vote
        for share in _DECAY:
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
    dropped: Dropped,
) -> Element:
    """Check the choice against the body text the page declares in JSON-LD.

    The declared text only confirms: the region stays an element of the page,
    moved to the nearest element that holds the declared opening (and its
    close, when the page shows it), never replaced by the JSON text itself.
    """
    words = _WORD_RE.findall(declared)
    if len(words) < _DECLARED_MIN_WORDS:
        return best
    # The declared opening and close, matched in an element's text as its words would
    # be: with any non-word characters between them, read in C over the raw text.
    head = _phrase(words[:_DECLARED_PROBE])
    tail = _phrase(words[-_DECLARED_PROBE:])
    candidates = [best, *best.iterancestors()][: _CHUNK_LEVELS + 2]
    candidates += [el for el, _ in ranked[1:] if el not in candidates]
    texts = {el: text_of(el) for el in candidates if el.tag not in ("body", "html")}
    tail_shown = any(tail.search(text) for text in texts.values())
    for el, text in texts.items():
        if head.search(text) and (not tail_shown or tail.search(text)):
            if el is best or not _is_listing(el, dropped):
                return el
    return best


def _ranked(
    scores: dict[Element, float], dropped: Dropped
) -> list[tuple[Element, float]]:
    """The strongest candidates, best first, once the page's own hints are weighed in."""
    top = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:12]
    weighed = ((el, raw * _prior(el, dropped)) for el, raw in top)
    return sorted(weighed, key=lambda item: item[1], reverse=True)


def _widen(
    best: Element,
    best_score: float,
    ranked: list[tuple[Element, float]],
    direct: dict[Element, float],
    dropped: Dropped,
) -> Element:
    """Join the best element with other strong chunks of the same body.

    Bodies split into chunks in separate wrappers ("article > div > div > p"
    twice) give each chunk its own votes; their nearest common ancestor is
    the body.
    """
    lineage = [best]
    for ancestor in best.iterancestors():
        lineage.append(ancestor)
        if len(lineage) > _CHUNK_LEVELS:
            break
    enough = max(_CHUNK_SHARE * best_score, _CHUNK_MIN)
    reach = 0
    # An ancestor with paragraphs of its own: the lead above a nested body.
    for level, ancestor in enumerate(lineage[1 : _LEAD_LEVELS + 1], start=1):
        if direct.get(ancestor, 0.0) >= enough:
            reach = level
    for el, score in ranked[1:]:
        if el in lineage:
            continue
        if score < enough and not (score >= _TWIN_MIN and _body_twins(el, best)):
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


#: How far above the chosen element the locator looks for more of the same story: page
#: builders nest each section of a body a dozen wrappers deep.
_GROW_LEVELS = 12
#: Link text the wider element may add, as a share of the prose it adds: more, and what
#: it adds is a list of teasers or links, not more of the story.
_GROW_MAX_LINKS = 0.25
#: A text whose vote weighs less than this (a teaser cut short) counts as link text.
_PROSE_WEIGHT = 0.5
#: Prose the wider element must add (characters) to be worth taking.
_GROW_MIN_PROSE = 200
#: An <article> with less text than this is a teaser card for another page.
_TEASER_MAX_TEXT = 600
#: ... whose headline links away: at least this share of its text is link text.
_TEASER_MIN_LINKS = 0.2
#: Teaser cards that make a section a list of other stories.
_TEASER_LIST = 2
#: Prose a section beside the body needs to join it: less is a caption, a breadcrumb or a
#: view count, which sit between a page's sections as often as text does.
_SECTION_MIN_PROSE = 80


def _grow(best: Element, page: Page) -> tuple[Element, ...] | None:
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
    while node is not None and node.tag not in ("body", "html") and len(chain) <= _GROW_LEVELS:
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
        if added_links > _GROW_MAX_LINKS * added_prose:
            break
        if added_prose >= _GROW_MIN_PROSE and (prose[level] or links[level]):
            top = level
    if not top:
        return None
    chosen: list[Element] = []
    cards = _teaser_cards(page, chain, best)
    _sections(list(chain)[top], best, chain, inner, cards, chosen, page.dropped)
    return tuple(chosen)


def _tally(
    page: Page, chain: dict[Element, int]
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
        is_prose = (size >= _MIN_PARAGRAPH and link_chars <= _MAX_LINK_DENSITY * size
                    and weight >= _PROSE_WEIGHT)
        add_prose = size - link_chars if is_prose else 0
        add_links = link_chars if is_prose else max(
            link_chars, size if weight < _PROSE_WEIGHT else 0
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


def _teaser_cards(page: Page, chain: dict[Element, int], best: Element) -> dict[Element, int]:
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
        if size >= _TEASER_MAX_TEXT or link_length(card) < _TEASER_MIN_LINKS * size:
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
    dropped: Dropped,
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
        elif cards.get(child, 0) < _TEASER_LIST:
            prose, links = inner.get(child, (0, 0))
            if prose >= _SECTION_MIN_PROSE and links <= _GROW_MAX_LINKS * prose:
                if prose >= _FIGURE_MAX_TEXT or not _is_figure(child):
                    chosen.append(child)


#: A picture with less text than this beside it is a figure, the text its caption.
_FIGURE_MAX_TEXT = 300
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


#: How much the page's own hints weigh a candidate's votes: schema.org's articleBody is
#: the surest, a body-like class name next, <article> a little (many pages use it for
#: teasers too); the whole page and a list of stories are rarely the article.
PRIOR_ARTICLE_BODY = 1.6
PRIOR_BODY_NAME = 1.25
PRIOR_ARTICLE_TAG = 1.1
PRIOR_WHOLE_PAGE = 0.7
PRIOR_LISTING = 0.5


def _prior(el: Element, dropped: Dropped) -> float:
    """The page's own hints that an element is the article body."""
    factor = 1.0
    if el.get("itemprop") == "articleBody":
        factor *= PRIOR_ARTICLE_BODY
    names = el.get("class")
    ident = el.get("id")
    if ident:
        names = f"{names} {ident}" if names else ident
    if names and is_body_name(names):
        factor *= PRIOR_BODY_NAME
    if el.tag == "article":
        factor *= PRIOR_ARTICLE_TAG
    if el.tag in ("body", "html"):
        factor *= PRIOR_WHOLE_PAGE
    if _is_listing(el, dropped):
        factor *= PRIOR_LISTING
    return factor


#: <article>s inside one element that make it a list of stories.
_LISTING_ARTICLES = 2


def _is_listing(el: Element, dropped: Dropped) -> bool:
    """An element holding several <article> elements lists stories; it is not one.

    Articles inside pruned chrome (a related-stories rail) do not count.
    """
    found = 0
    for article in el.iterdescendants("article"):
        if any(ancestor in dropped for ancestor in article.iterancestors()):
            continue
        found += 1
        if found >= _LISTING_ARTICLES:
            return True
    return False


#: A sibling of the body joins it with this share of its votes (and at least the minimum),
#: or with a paragraph of its own of this many characters and few links.
_SIBLING_SHARE = 0.2
_SIBLING_MIN = 3.0
_SIBLING_TEXT = 80
_SIBLING_LINKS = 0.25


def _with_siblings(
    best: Element, best_score: float, scores: dict[Element, float], page: Page
) -> tuple[Element, ...]:
    parent = best.getparent()
    if parent is None:
        return (best,)
    threshold = max(_SIBLING_MIN, best_score * _SIBLING_SHARE)
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
        if score >= _TWIN_MIN and sibling.tag == best.tag and best_class and (
            sibling.get("class") == best_class
        ):
            # A twin of the body (same tag, same class) with prose of its own: the
            # next chunk of a body the page cut into equal blocks.
            chosen.append(sibling)
            continue
        measured = sizes.get(sibling)
        if measured and measured[0] >= _SIBLING_TEXT and (
            measured[1] < _SIBLING_LINKS * measured[0]
        ):
            chosen.append(sibling)
    return tuple(chosen)


# --------------------------------------------------------------------------- the standfirst

#: A standfirst is a sentence or two: longer text before the body is a story of its own.
_STANDFIRST_MAX = 600
_STANDFIRST_MIN = 20


def standfirst(region: Region | None, page: Page, description: str | None) -> Element | None:
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
        low, high = len(description) * 0.8 - 10, len(description) * 1.25 + 10
        candidates.extend(
            el for el, size, links, _ in page.texts
            if low <= size <= high and _STANDFIRST_MIN <= size <= _STANDFIRST_MAX
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
        if not _STANDFIRST_MIN <= size <= _STANDFIRST_MAX or link_length(el) * 2 > size:
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
