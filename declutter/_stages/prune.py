"""Stage 3, prune: one walk over the tree that marks page chrome.

The tree is never modified. The walk records which elements are boilerplate
(and why), skips their subtrees, and on the way gathers what later stages
need, so no stage walks the whole page again: the text-bearing elements the
locator scores, and the head's metadata (meta tags, JSON-LD, canonical link).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from declutter._model.options import Options
from declutter._rules.names import classify_names, is_body_compound
from declutter._rules.selectors import select
from declutter._rules.tables import (
    ROLE_RULES,
    SILENT_TAGS,
    TAG_RULES,
)
from declutter._rules.thresholds import (
    ARTICLE_PARAGRAPHS,
    BODY_TEXT,
    CARD_CHILDREN,
    LONG_PARAGRAPH,
    MAX_LINK_DENSITY,
    SLIDE_TEXT,
    SLIDESHOW_FIGURES,
    SLUG_TEXT,
    SLUG_WORDS,
    STORY_CHARS,
    TEASER_BLURB,
    TEASER_CARD_TEXT,
    TRUNCATED_WEIGHT,
    VOTE_WEIGHT,
    WRAPPER_PROSE,
    WRAPPER_SHARE,
)
from declutter._stages.dom import class_and_id
from declutter._stages.parse import Element, text_of

#: Containers that hold the whole page: never dropped for their class names.
_PROTECTED = frozenset({"html", "body", "main"})
#: Categories that may name a wrapper around the article ("content has-sidebar"), so a
#: match is checked against the amount of paragraph text the element holds.
_GUARDED = frozenset(
    {"sidebar", "header", "footer", "navigation", "boilerplate", "form", "tags", "related",
     "dateline", "byline", "hidden", "share", "cookie", "newsletter", "paywall", "caption",
     "ad", "author_bio", "standfirst"}
)
#: Elements whose leading text counts as a paragraph in pages without <p> markup.
SOUP = frozenset({"div", "section", "article", "td", "font", "center", "main", "body"})
#: React's streamed server rendering sends each part of the page in <div hidden id="S:0">,
#: which its script moves into place: the page's content, hidden only until then.
_STREAMED_RE = re.compile(r"S:\d+$")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_PARAGRAPHS = frozenset({"p", "pre", "blockquote", "dd", "li", "h2", "h3", "h4"})
#: Phrasing elements: a container holding only these is one paragraph of text.
_PHRASING = frozenset({
    "span", "font", "b", "strong", "em", "i", "u", "s", "a", "small", "big", "sup", "sub",
    "mark", "abbr", "cite", "q", "code", "time", "br", "img", "wbr",
})
#: Inline elements named like chrome in the middle of a sentence ("Rafael Nadal" as
#: <a class="player-link">): they are words of that sentence.
_INLINE_WORDS = frozenset({"a", "span", "em", "strong", "b", "i", "abbr", "cite", "mark", "small"})
_WORD = re.compile(r"\w")
#: Endings of a text cut short ("..."): a teaser for another page, not part of this one,
#: whose vote counts TRUNCATED_WEIGHT, and which the verdict counts as a teaser.
TRUNCATED = ("...", "…", "[…]", "[...]")


@dataclass(frozen=True)
class PrunedPage:
    """What the prune walk learnt about a page; read, never changed, by every later stage."""

    root: Element
    #: element -> (category, rule) for every element dropped with its subtree
    dropped: dict[Element, tuple[str, str]]
    #: text-bearing elements outside dropped subtrees:
    #: (element, text length, link text length, weight of its vote for the article)
    texts: tuple[tuple[Element, int, int, float], ...]
    #: meta tags by lower-cased name/property/itemprop (first one wins)
    meta: dict[str, str]
    jsonld: tuple[str, ...]
    title_tag: str | None
    canonical: str | None
    h1: tuple[Element, ...]
    times: tuple[Element, ...]
    #: elements the caller asked to keep whatever the rules say
    kept: frozenset[Element]
    #: the article body a site rule names, when one matched
    forced_body: Element | None
    #: elements marked up as the standfirst, kept as article text (Options.include_standfirst)
    standfirsts: tuple[Element, ...] = ()


@dataclass
class _Head:
    """The head's metadata, gathered during the walk."""

    meta: dict[str, str] = field(default_factory=dict)
    jsonld: list[str] = field(default_factory=list)
    title_tag: str | None = None
    canonical: str | None = None


class _Guard:
    """Tells a chrome-named wrapper around the article from real chrome (see ``thorough``)."""

    def __init__(self, root: Element, thorough: bool) -> None:
        self.root = root
        self.thorough = thorough
        self._body_named: list[Element] | None = None
        self._page_prose: int | None = None

    def holds_article(self, el: Element) -> bool:
        """True when an element marked as chrome holds several long paragraphs.

        Wrappers named "content with-sidebar" or a `<header>` around a whole post
        exist; dropping them would drop the article.
        """
        if len(el) == 0:
            return False
        long = chars = 0
        for p in el.iter("p"):
            size = len(text_of(p))
            if size > LONG_PARAGRAPH and not _is_link_text(p, size, el):
                long += 1
                chars += size
                # Several long paragraphs, or a story written as one <p> broken by <br>.
                if long >= ARTICLE_PARAGRAPHS or chars >= STORY_CHARS:
                    return True
        if not self.thorough:
            return False
        if self._holds_most_prose(el):
            return True
        # Posts without <p> markup (a blog engine's <br>-separated text): a container named
        # for the article body, holding text of an article's length, is the article.
        if self._body_named is None:
            self._body_named = _body_named(self.root)
        return any(el in inner.iterancestors() for inner in self._body_named)


    def _holds_most_prose(self, el: Element) -> bool:
        """True for an element holding most of the page's prose (text outside links,
        scripts and styles): a layout wrapper (an ASP.NET page's one <form>, a table,
        a "sidebar-layout"), whatever its tag or name says, since chrome is never most
        of a page's prose."""
        if len(text_of(el)) < WRAPPER_PROSE:
            return False
        prose = prose_chars(el)
        if prose < WRAPPER_PROSE:
            return False
        if self._page_prose is None:
            body = self.root.find("body")
            self._page_prose = prose_chars(body if body is not None else self.root)
        return prose >= WRAPPER_SHARE * self._page_prose


#: Text nodes that are prose: not in a link, a script or a style sheet.
_PROSE_TEXT = etree.XPath(
    ".//text()[not(ancestor::a) and not(parent::script) and not(parent::style)]",
    smart_strings=False,
)


def prose_chars(el: Element) -> int:
    """Characters of an element's prose: its text outside links, scripts and styles."""
    found = _PROSE_TEXT(el)
    if not isinstance(found, list):
        return 0
    return sum(len(piece.strip()) for piece in found if isinstance(piece, str))


def prune(
    root: Element, options: Options, host: str | None, *, thorough: bool = False
) -> PrunedPage:
    """Mark the page's chrome.

    ``thorough`` also spares chrome-named wrappers that hold most of the page's
    prose (an ASP.NET page's one <form>) or a container named for the article
    body (a blog engine's post "widget" without <p> markup). Those searches cost
    walks of the page, and a short story beside a long sidebar is better read by
    the first pass, so it is the second pass, run only when the first one found
    no confident article.
    """
    forced_body, user_drop, kept = _selected(root, options, host)
    dropped: dict[Element, tuple[str, str]] = {}
    texts: list[tuple[Element, int, int, float]] = []
    h1: list[Element] = []
    times: list[Element] = []
    head = _Head()
    guard = _Guard(root, thorough)
    keep_captions = options.keep_captions
    keep_comments = options.keep_comments
    keep_standfirst = options.include_standfirst
    standfirsts: list[Element] = []
    # lxml's own walk, in document order, skipping what is dropped: about half the cost
    # of a Python stack of children on news pages.
    walker = etree.iterwalk(root, events=("start",))
    skip = walker.skip_subtree
    for _, el in walker:
        tag = el.tag
        tail = el.tail
        if tail and tag != "br" and not tail.isspace():
            # Text after an inline element (<img>text) is the container's own text.
            parent = el.getparent()
            if parent is not None and parent.tag in SOUP and (size := len(tail.strip())) > 1:
                texts.append((parent, size, 0, 1.0))
        if not isinstance(tag, str):  # a comment of a tree the caller parsed: only its tail
            continue
        if tag in SILENT_TAGS:
            _gather_head(head, el, tag)
            skip()
            continue
        reason = None if el in kept else _judge_element(el, tag, keep_captions, keep_comments)
        if reason is not None and tag in _INLINE_WORDS and reason[1].startswith("class:"):
            if reason[0] != "hidden" and _in_running_text(el):
                reason = None
        if reason is not None and reason[0] == "standfirst" and keep_standfirst:
            standfirsts.append(el)
            reason = None
        if el in user_drop and el not in kept:
            reason = ("user", f"selector:{user_drop[el]}")
        if reason is not None and (reason[0] not in _GUARDED or not guard.holds_article(el)):
            dropped[el] = reason
            skip()
            continue
        if tag in _PARAGRAPHS or tag == "br" or tag in SOUP:
            _gather_text(el, tag, texts)
        elif tag == "h1":
            h1.append(el)
        elif tag == "time":
            times.append(el)
    return PrunedPage(
        root=root, dropped=dropped, texts=tuple(texts), meta=head.meta,
        jsonld=tuple(head.jsonld), title_tag=head.title_tag, canonical=head.canonical,
        h1=tuple(h1), times=tuple(times), kept=frozenset(kept), forced_body=forced_body,
        standfirsts=tuple(standfirsts),
    )


def _selected(
    root: Element, options: Options, host: str | None
) -> tuple[Element | None, dict[Element, str], set[Element]]:
    """What the caller's selectors and site rules pick: the body a site rule names, the
    elements to drop (with their selector) and the elements to keep."""
    forced_body: Element | None = None
    drop_selectors = list(options.drop)
    keep_selectors = list(options.keep)
    for rule in options.rules_for(host):
        drop_selectors.extend(rule.drop)
        keep_selectors.extend(rule.keep)
        if rule.body and forced_body is None:
            found = select(root, rule.body)
            forced_body = found[0] if found else None
    user_drop: dict[Element, str] = {}
    for selector in drop_selectors:
        for el in select(root, selector):
            user_drop.setdefault(el, selector)
    kept: set[Element] = set()
    for selector in keep_selectors:
        kept.update(select(root, selector))
    return forced_body, user_drop, kept


def _gather_text(el: Element, tag: str, texts: list[tuple[Element, int, int, float]]) -> None:
    """Record the text an element stands for, as the locator will weigh it."""
    if tag in _PARAGRAPHS:
        text = text_of(el).strip()
        size = len(text)
        if size:
            weight = VOTE_WEIGHT.get(tag, 1.0)
            if text.endswith(TRUNCATED) or (
                tag == "p" and size <= TEASER_BLURB and _is_teaser_blurb(el)
            ):
                weight *= TRUNCATED_WEIGHT
            texts.append((el, size, link_length(el), weight))
    elif tag == "br":
        tail = el.tail
        if tail and (size := len(tail.strip())):
            parent = el.getparent()
            if parent is not None and parent.tag not in _PARAGRAPHS:
                texts.append((parent, size, 0, 1.0))
    else:
        lead = el.text
        if lead and (size := len(lead.strip())) > 1:
            texts.append((el, size, 0, 1.0))
        elif len(el) and all(child.tag in _PHRASING for child in el):
            # <div><span><span>text</span></span></div>: a paragraph in font wrappers.
            size = len(text_of(el).strip())
            if size > 1:
                texts.append((el, size, link_length(el), 1.0))


#: Headings that head a teaser card: a card's headline, linking to the story it teases.
_TEASER_HEADINGS = frozenset({"h2", "h3", "h4", "h5"})


def _is_teaser_blurb(p: Element) -> bool:
    """True for a paragraph beside a headline that links away, in a small card: the blurb
    of a teaser for another story, which votes as little as a text cut short."""
    card = p.getparent()
    # not len(card): lxml counts children one by one, once per paragraph of the card
    if card is None or _has_child(card, CARD_CHILDREN):
        return False
    for child in card:
        if child is p:
            return False  # the headline comes first
        if child.tag in _TEASER_HEADINGS and child.find(".//a[@href]") is not None:
            return True
    return False


def _has_child(el: Element, index: int) -> bool:
    """Whether ``el`` has a child at ``index``: as ``len(el) > index``, in time bounded by
    ``index`` rather than by the number of children (a page of 100,000 sibling <p>)."""
    try:
        el[index]
    except IndexError:
        return False
    return True


def _judge_element(
    el: Element, tag: str, keep_captions: bool, keep_comments: bool
) -> tuple[str, str] | None:
    """Why this element is chrome, or None. Checks markup only, never text.

    Called on every element of every page: one C call fetches the attribute
    names, and most elements have none.
    """
    category = TAG_RULES.get(tag)
    if category is not None and not (category == "caption" and keep_captions):
        if tag == "figcaption" and _tells_a_slide(el):
            return None
        if tag in _SECTIONING_EDGES and _in_article(el):
            return None  # an entry's own header or footer: its parts are judged one by one
        return (category, f"tag:{tag}")
    keys = el.keys()
    if not keys:
        return None
    if "hidden" in keys and not _STREAMED_RE.match(el.get("id") or ""):
        return ("hidden", "attr:hidden")
    if "style" in keys and _HIDDEN_STYLE.search(el.get("style", "")):
        return ("hidden", "style:hidden")
    if "role" in keys:
        role = el.get("role", "").strip().lower()
        category = ROLE_RULES.get(role)
        if category is not None:
            return (category, f"role:{role}")
    if tag in _PROTECTED:
        return None
    classes = el.get("class") if "class" in keys else None
    ident = el.get("id") if "id" in keys else None
    names = class_and_id(classes, ident)
    if not names:
        return None
    found = classify_names(names)
    if found is None:
        return None
    if ident and (not classes or classify_names(classes) is None) and _slugs_own_text(el, ident):
        return None  # "why-the-council-set-aside-units": an anchor, not a role
    if (found[0] == "caption" and keep_captions) or (found[0] == "comments" and keep_comments):
        return None
    if "itemprop" in keys and el.get("itemprop") == "articleBody":
        return None
    if found[1] in _EDGE_RULES and _in_article(el):
        return None  # an entry's own header by its class ("ContentHeaderContainer")
    return found


#: A <header> or <footer> inside an <article> is that article's (its headline, standfirst
#: and byline; its tags and share line), not the page's banner or footer: each part is
#: judged by its own markup and text.
_SECTIONING_EDGES = frozenset({"header", "footer"})
#: The same, named by class: an entry's header container inside its <article>.
_EDGE_RULES = frozenset({"class:header"})


def _in_article(el: Element) -> bool:
    return any(ancestor.tag == "article" for ancestor in el.iterancestors())


def _tells_a_slide(caption: Element) -> bool:
    """True for the caption of a slide in a photo story: a paragraph of prose under one of
    several figures side by side. Its counter and credit are still removed by their own
    rules."""
    figure = caption.getparent()
    if figure is None or figure.tag != "figure":
        return False
    strip = figure.getparent()
    if strip is None or sum(1 for sibling in strip if sibling.tag == "figure") < SLIDESHOW_FIGURES:
        return False
    return any(len(text_of(p)) >= SLIDE_TEXT for p in caption.iter("p", "div"))


#: An id of this many words or more, all standing in order in the element's own text, is
#: a slug of that text (an anchor for a heading), whatever words it happens to contain.
#: Ids of three words are as often role names ("more-on-this", "mehr-zum-thema") as slugs.
_SLUG_SPLIT = re.compile(r"[^a-z0-9]+")


def _slugs_own_text(el: Element, ident: str) -> bool:
    words = [word for word in _SLUG_SPLIT.split(ident.lower()) if word]
    if len(words) < SLUG_WORDS or el.find(".//script") is not None:
        return False  # an ad slot's script repeats its id: not visible text
    text = iter(_SLUG_SPLIT.split(text_of(el)[:SLUG_TEXT].lower()))
    return all(word in text for word in words)


def _in_running_text(el: Element) -> bool:
    """True when words stand on both sides of an element: it is part of a sentence."""
    tail = el.tail
    if not tail or not _WORD.search(tail):
        return False
    previous = el.getprevious()
    if previous is not None:
        before = previous.tail
    else:
        parent = el.getparent()
        before = parent.text if parent is not None else None
    return before is not None and _WORD.search(before) is not None


def _is_link_text(p: Element, size: int, container: Element) -> bool:
    """True for a paragraph that is no story's: inside a link, mostly made of links, or
    the blurb of a teaser (a list item or card whose heading links away)."""
    for ancestor in p.iterancestors():
        if ancestor is container:
            break
        if ancestor.tag == "a":
            return True
        if ancestor.tag in _CARDS and size <= TEASER_BLURB and (
            len(text_of(ancestor)) <= TEASER_CARD_TEXT and _TEASER_HEADLINE(ancestor)
        ):
            return True
    return link_length(p) > MAX_LINK_DENSITY * size


#: Elements that hold one teaser each: a headline that links away, and a blurb.
_CARDS = frozenset({"li", "article"})
_TEASER_HEADLINE = etree.XPath("boolean(.//*[self::h2 or self::h3 or self::h4]//a[@href])")


def _body_named(root: Element) -> list[Element]:
    """The page's containers named for the article body that hold an article's text."""
    found = []
    for el in root.iter(etree.Element):  # a Python walk: faster here than an XPath test
        names = class_and_id(el.get("class"), el.get("id"))
        if names and is_body_compound(names) and len(text_of(el)) >= BODY_TEXT:
            found.append(el)
    return found


def link_length(el: Element) -> int:
    """Characters of an element's text that stand in links (the element itself included)."""
    return sum(len(text_of(link).strip()) for link in el.iter("a"))


def _gather_head(head: _Head, el: Element, tag: str) -> None:
    if tag == "meta":
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        content = el.get("content")
        if key and content:
            head.meta.setdefault(key.strip().lower(), content.strip())
    elif tag == "script":
        kind = (el.get("type") or "").lower()
        if "ld+json" in kind and el.text:
            head.jsonld.append(el.text)
    elif tag == "link":
        rel = (el.get("rel") or "").lower().split()
        if "canonical" in rel and head.canonical is None and el.get("href"):
            head.canonical = el.get("href", "").strip()
    elif tag == "title" and head.title_tag is None:
        head.title_tag = text_of(el)
    elif tag == "head":
        for child in el:
            if isinstance(child.tag, str):
                _gather_head(head, child, child.tag)
