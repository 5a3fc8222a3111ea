"""How sure declutter is that it found the article: the number that calls for a second
opinion, and that ``Article.confidence`` reports."""

from __future__ import annotations

from collections.abc import Sequence

from declutter._rules.thresholds import (
    ENOUGH_SHARE,
    ENOUGH_TEXT,
    LONG_PARAGRAPH,
    ONE_STORY_CHARS,
    PROSE_LINKS,
    SHARE_WEIGHT,
)
from declutter._stages.locate import Region
from declutter._stages.parse import Element
from declutter._stages.prune import PrunedPage
from declutter._stages.segment import RawBlock


def confidence(blocks: Sequence[RawBlock], region: Region | None, page: PrunedPage) -> float:
    """Enough text, most of the page's paragraph text, and no longer run of prose left
    out elsewhere on the page."""
    if region is None or not blocks:
        return 0.0
    kept = sum(len(block.text) for block in blocks)
    share = kept / region.page_text if region.page_text else 1.0
    by_share = 1.0 - SHARE_WEIGHT + SHARE_WEIGHT * min(1.0, share / ENOUGH_SHARE)
    sure = min(1.0, kept / ENOUGH_TEXT) * by_share
    left_out = unclaimed_run(page, region)
    if left_out > kept:  # a short answer beside a longer story it did not take
        sure *= kept / left_out
    return sure


def unclaimed_run(page: PrunedPage, region: Region) -> int:
    """Characters of the longest run of prose outside the region: long paragraphs with
    few links, counted together when they share a parent (one story's paragraphs)."""
    # Whether an element is in the region, for every element met on the way up: the
    # texts share ancestors, so each walk up stops at the first one already answered.
    claimed: dict[Element, bool] = dict.fromkeys(region.elements, True)
    runs: dict[Element | None, int] = {}
    for el, size, links, weight in page.texts:
        if size < LONG_PARAGRAPH or links > PROSE_LINKS * size or weight < 1.0:
            continue
        if _claimed(el, claimed):
            continue
        # A story cut into one wrapper per paragraph shares its grandparent.
        parent = el.getparent()
        group = parent.getparent() if parent is not None else None
        runs[group] = runs.get(group, 0) + size
    return max(runs.values(), default=0)


def _claimed(el: Element, claimed: dict[Element, bool]) -> bool:
    """True when ``el`` or one of its ancestors is in the region; ``claimed`` holds the
    answers known so far and is given every element whose answer this walk finds."""
    path: list[Element] = []
    node: Element | None = el
    answer = False
    while node is not None:
        known = claimed.get(node)
        if known is not None:
            answer = known
            break
        path.append(node)
        node = node.getparent()
    for member in path:
        claimed[member] = answer
    return answer



def reported(confidence: float, chars: int) -> float:
    """The confidence ``Article.confidence`` reports for a text of ``chars`` characters:
    the locator's own figure, lower for a text longer than one story usually is, and 0
    when nothing is returned."""
    if chars <= 0:
        return 0.0
    if chars > ONE_STORY_CHARS:
        confidence *= (ONE_STORY_CHARS / chars) ** 0.5
    return confidence
