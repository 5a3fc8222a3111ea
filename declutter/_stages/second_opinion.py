"""The second opinion: trafilatura's reading of a page our own stages are unsure of.

Its blocks are judged by the same block rules as ours (headline, labels,
captions), kept only where their words stand in the page in the page's
order, and used only when they bring clearly more text than our own pass.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import replace

from lxml import etree

from declutter._model.options import Options
from declutter._rules.thresholds import (
    RESCUE_FACTOR,
)
from declutter._stages.extraction import Extraction
from declutter._stages.fallback import FallbackFailed, fallback_blocks
from declutter._stages.filter import Dropped, judge
from declutter._stages.parse import Element
from declutter._stages.prune import PrunedPage
from declutter._stages.segment import RawBlock, laid_out_text

#: The fallback's text replaces ours only when it is this many times longer.
_WORD_RE = re.compile(r"\w+")


def second_opinion(extraction: Extraction, url: str | None, options: Options) -> Extraction:
    """trafilatura's blocks in place of ours when they bring clearly more text."""
    page = extraction.page
    try:
        rescued = fallback_blocks(_pruned_html(page), url)
    except FallbackFailed as failure:  # our own result stands; the records say why
        note = Dropped("outside", "fallback:failed", None, str(failure))
        return replace(extraction, dropped=(*extraction.dropped, note))
    if not rescued:
        return extraction
    body = page.root.find("body")
    owner = body if body is not None else page.root
    raw = [
        RawBlock(block.kind, block.text, owner, 0, block.level, block.list_id, block.ordered)
        for block in rescued
        if block.kind != "table" or options.keep_tables
    ]
    # No standfirst test: without its element, a first paragraph that repeats the
    # page's description cannot be told from a dek.
    rescued_kept, rescued_dropped = judge(
        raw, options, extraction.declared.headline, None, page.kept, None
    )
    rescued_kept, out_of_order = _in_page_order(rescued_kept, owner)
    # Fallback paragraphs stand for no single element of the page.
    loose = [replace(item, element=None) for item in (*rescued_dropped, *out_of_order)]
    ours = sum(len(block.text) for block in extraction.kept)
    if sum(len(block.text) for block in rescued_kept) <= RESCUE_FACTOR * ours:
        return extraction
    # Our own removals stand (and still tell a teaser list from an article).
    return replace(
        extraction, kept=tuple(rescued_kept), dropped=(*extraction.dropped, *loose),
        fallback=True,
    )


def _in_page_order(
    blocks: list[RawBlock], body: Element
) -> tuple[list[RawBlock], list[Dropped]]:
    """The blocks whose words stand in the page's text, in the page's order, and the
    others as removals.

    trafilatura may move a ``<main>`` ahead of what precedes it or add text
    the page does not show; declutter's output never reorders or adds a word.
    """
    page_words = " " + " ".join(_WORD_RE.findall(laid_out_text(body))) + " "
    spans: list[tuple[int, int]] = []  # (start, end) in page_words, or (-1, -1)
    for block in blocks:
        words = " " + " ".join(_WORD_RE.findall(block.text)) + " "
        start = page_words.find(words) if len(words) > 2 else -1
        spans.append((start, start + len(words) - 1) if start >= 0 else (-1, -1))
    # The heaviest chain of blocks whose places in the page follow each other.
    weight = [0] * len(blocks)
    before = [-1] * len(blocks)
    for i, (start, _) in enumerate(spans):
        if start < 0:
            continue
        weight[i] = len(blocks[i].text)
        for j in range(i):
            chained = weight[j] + len(blocks[i].text)
            if spans[j][0] >= 0 and spans[j][1] <= start and chained > weight[i]:
                weight[i], before[i] = chained, j
    chain: set[int] = set()
    if blocks and max(weight) > 0:
        index = max(range(len(blocks)), key=weight.__getitem__)
        while index >= 0:
            chain.add(index)
            index = before[index]
    kept: list[RawBlock] = []
    dropped: list[Dropped] = []
    for index, block in enumerate(blocks):
        if index in chain:
            kept.append(block)
        else:
            dropped.append(Dropped("outside", "fallback:out-of-order", block.element, block.text))
    return kept, dropped


#: What the fallback never sees: what the caller removed, and chrome whose markup is
#: unambiguous. Layout and ad names (sidebar, widget, "paywall", "ad-wrapper") stay: when
#: our locator is unsure, one of them may be wrapped around the article, which is why
#: the fallback is asked.
_NEVER_SHOWN = frozenset({"user", "hidden", "newsletter", "cookie", "comments"})
_STYLE = "translate(@style, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ \t\n', 'abcdefghijklmnopqrstuvwxyz')"
_HIDDEN = etree.XPath(
    f"//*[@hidden or contains({_STYLE}, 'display:none') or contains({_STYLE}, 'visibility:hidden')]"
)


def _pruned_html(page: PrunedPage) -> str:
    """The page as markup, without what the fallback must not bring back."""
    removed = [el for el, (category, _) in page.dropped.items() if category in _NEVER_SHOWN]
    # Hidden elements inside chrome the walk did not enter (an ad slot) are hidden too.
    hidden = _HIDDEN(page.root)
    if isinstance(hidden, list):  # a node-set expression: always a list of elements
        removed += [el for el in hidden if isinstance(el, etree._Element)]
    if not removed:
        # From the tree, not the caller's text: the parse stage cut tags of thousands
        # of attributes, which would cost trafilatura's own parse minutes.
        return etree.tostring(page.root, encoding="unicode", method="html")
    # Found again in the copy by child positions, not XPath: tag names such as <o:p>
    # are no XPath names. Deepest and last first, so earlier positions stay valid.
    chosen = set(removed)
    outermost = [
        el for el in chosen if not any(ancestor in chosen for ancestor in el.iterancestors())
    ]
    routes = sorted(
        (route for el in outermost if (route := _route(el, page.root)) is not None),
        reverse=True,
    )
    copy = deepcopy(page.root)
    for route in routes:
        node = copy
        for index in route:
            node = node[index]
        _detach(node)
    return etree.tostring(copy, encoding="unicode", method="html")


def _route(el: Element, root: Element) -> list[int] | None:
    """Child positions from the root down to an element; None when it is not under root
    (broken markup can leave elements beside the root element)."""
    route: list[int] = []
    parent = el.getparent()
    while parent is not None:
        route.append(parent.index(el))
        el, parent = parent, parent.getparent()
    if el is not root:
        return None
    route.reverse()
    return route


def _detach(el: Element) -> None:
    """Remove an element but not the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
