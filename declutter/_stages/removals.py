"""The removal records: one per element (or fallback paragraph) the page lost, with the
rule that removed it, in page order. What ``extract()`` returns in ``Article.removed``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from declutter._model.article import Removal
from declutter._rules.tables import SILENT_TAGS, is_dateline, normalize_label
from declutter._rules.thresholds import (
    BYLINE_CHARS,
    EXCERPT_CHARS,
    HEADER_CHARS,
    READ_AHEAD,
    SAME_TEXT_SHARE,
    TITLE_REPEAT_CHARS,
)
from declutter._stages.decode import clean_text
from declutter._stages.extraction import Extraction
from declutter._stages.parse import Element
from declutter._stages.paths import Paths
from declutter._stages.prune import PrunedPage

#: A part with no letter or digit ("·", "|") separates others: it is not a record of its own.
_WORD = re.compile(r"\w")
#: How an element outside the located article is recorded when it is nothing more specific,
#: and when it is the headline or a line of nothing but a date (the filter's rules inside).
_OUTSIDE = ("outside", "locate:outside")
_TITLE = ("title", "title:headline")
_DATELINE = ("dateline", "pattern:dateline")
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def removals(extraction: Extraction) -> tuple[Removal, ...]:
    page, region = extraction.page, extraction.region
    getpath = Paths(page.root)
    records: list[tuple[Element | None, Removal]] = []
    seen: set[Element] = set()

    def add(el: Element, category: str, rule: str, excerpt: str | None = None) -> None:
        text = _short(excerpt if excerpt is not None else _excerpt(el))
        records.append((el, Removal(category, rule, text, getpath(el), str(el.tag))))

    for el, (category, rule) in page.dropped.items():
        seen.add(el)
        add(el, category, rule)
    if region is not None:
        inside = set(region.elements)
        outside = _Outside(page, extraction.declared.headline, seen)
        node: Element | None = region.elements[0]
        while node is not None:
            parent = node.getparent()
            if parent is None:
                break
            for sibling in parent:
                if sibling is node or sibling in inside or not outside.wanted(sibling):
                    continue
                for el, (category, rule), excerpt in outside.parts(sibling):
                    add(el, category, rule, excerpt)
            node = parent
    for el in extraction.removed_tables:
        add(el, "user", "option:keep_tables")
    for item in extraction.dropped:
        if item.element is not None:
            add(item.element, item.category, item.rule, item.text)
        else:
            records.append((None, Removal(item.category, item.rule, _short(item.text), "", "")))
    targets = {el for el, _ in records}
    order: dict[Element, int] = {}
    for position, el in enumerate(page.root.iter()):
        if el in targets:
            order[el] = position
    # Records without an element (fallback paragraphs) come last, in their own order.
    records.sort(key=lambda pair: order.get(pair[0], 0) if pair[0] is not None else len(order))
    return tuple(record for _, record in records)


class _Outside:
    """Names what an element outside the located article is, where that is plain.

    The locator leaves out the story's own header as readily as the site's rails: a
    record saying only "outside" for the headline or the date would hide that declutter
    knew them. The headline (an ``<h1>`` or the text the page declares as its headline)
    is recorded as ``title``, a line of nothing but a date as ``dateline``; a short block
    holding the headline or one date is recorded part by part; anything else stays
    ``outside``.
    """

    def __init__(self, page: PrunedPage, headline: str | None, seen: set[Element]) -> None:
        self.seen = seen
        self.headline = normalize_label(headline) if headline else ""
        # An <h1> that is not the declared headline is still the page's headline when it
        # is the page's only one (a site's logo in an <h1> makes two).
        self.sole_h1 = page.h1[0] if len(page.h1) == 1 else None

    def wanted(self, el: Element) -> bool:
        return (el not in self.seen and isinstance(el.tag, str)
                and el.tag not in SILENT_TAGS)

    def parts(self, el: Element) -> list[tuple[Element, tuple[str, str], str]]:
        """``el``'s records: itself, named; or, for a short block holding the headline or
        a date beside other things, its parts, each named. Empty when it has no text but
        that of elements already recorded (a figure around a caption removed as one)."""
        spaced, whole = _spaced_text(el, HEADER_CHARS, self.seen)
        if not spaced:
            return []
        excerpt = _excerpt(el)
        if not whole:
            return [(el, _OUTSIDE, excerpt)]
        if el.tag in _HEADING_TAGS or el is self.sole_h1:
            if el is self.sole_h1 or _same(normalize_label(spaced), self.headline):
                return [(el, _TITLE, excerpt)]
        elif len(spaced) <= BYLINE_CHARS and is_dateline(spaced):
            return [(el, _DATELINE, excerpt)]
        elif len(el) and not _has_own_text(el):
            parts = [part for child in el if self.wanted(child) for part in self.parts(child)
                     if _WORD.search(part[2])]  # not a separator ("·", "|") on its own
            found = [reason for _, reason, _ in parts if reason is not _OUTSIDE]
            # A story's header holds the headline; a line of a byline, a date and share
            # buttons holds one date. A teaser card (a headline, a summary, a date) and a
            # list of them are other stories, and stay one record.
            if _TITLE in found or (found == [_DATELINE] and len(spaced) <= BYLINE_CHARS):
                return parts
        if len(spaced) <= TITLE_REPEAT_CHARS and _same(normalize_label(spaced), self.headline):
            return [(el, _TITLE, excerpt)]  # the headline in other markup, or with a kicker
        return [(el, _OUTSIDE, excerpt)]


def _same(a: str, b: str) -> bool:
    """Two keys are the same text, or one is most of the other (a headline with its
    site's name after it)."""
    if not a or not b:
        return False
    shorter, longer = sorted((len(a), len(b)))
    return a == b or (shorter >= SAME_TEXT_SHARE * longer and (a in b or b in a))


def _spaced_text(el: Element, limit: int, skip: set[Element]) -> tuple[str, bool]:
    """An element's text outside the elements in ``skip`` (already recorded), with its
    pieces apart ("Posted on" and a <time> are two words, not one) and whitespace
    collapsed; and whether that is all of it (False past ``limit`` characters, where
    reading stops)."""
    parts: list[str] = [el.text or ""]
    size = len(parts[0])
    stack: list[tuple[Iterator[Element], str]] = [(iter(el), "")]
    while stack and size <= READ_AHEAD * limit:
        children, tail = stack[-1]
        child = next(children, None)
        if child is None:  # this element is done: the text after it comes next
            stack.pop()
            parts.append(tail)
            size += len(tail)
            continue
        if child in skip or not isinstance(child.tag, str) or child.tag in SILENT_TAGS:
            parts.append(child.tail or "")
            size += len(parts[-1])
            continue
        parts.append(child.text or "")
        size += len(parts[-1])
        stack.append((iter(child), child.tail or ""))
    text = " ".join(" ".join(parts).split())
    return text, not stack and len(text) <= limit


def _has_own_text(el: Element) -> bool:
    """True when text stands directly in ``el`` (not inside a child): then its children
    are not the whole of it, and it is recorded whole."""
    if el.text and el.text.strip():
        return True
    return any(child.tail and child.tail.strip() for child in el)


def _excerpt(el: Element) -> str:
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        parts.append(str(piece))
        size += len(piece)
        if size > READ_AHEAD * EXCERPT_CHARS:
            break
    return _short(" ".join("".join(parts).split()))


def _short(text: str) -> str:
    """At most EXCERPT_CHARS of a text, and none of the control characters a tree the
    caller parsed may hold (our own parse removes them before any stage runs)."""
    text = clean_text(text)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"
