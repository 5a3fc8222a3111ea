"""Live blogs: every entry comes out with its time line.

A live blog's entries are stamped with the time they were posted ("10:42
BST"), and a reader of the text needs those lines as much as the entries:
without them the updates run together. The stamp sits in each entry's header,
which the prune stage removes as a dateline like any other, so on a page that
declares itself a live blog each entry's time is put back in front of the
entry's first kept block. The words come from the page's own ``<time>``, in
the page's order.
"""

from __future__ import annotations

from dataclasses import replace

from declutter._rules.thresholds import (
    LIVE_ENTRIES,
    MAX_TIME_CHARS,
)
from declutter._stages.extraction import Extraction
from declutter._stages.parse import Element, text_of
from declutter._stages.segment import RawBlock


def with_time_lines(extraction: Extraction) -> Extraction:
    """Each entry's time line before its first kept block, on a live blog: one the page
    declares, or a run of sibling entries each stamped with its own time."""
    region = extraction.region
    if region is None or not extraction.kept:
        return extraction
    stamps: dict[Element, Element] = {}  # entry -> its time
    for root in region.elements:
        for time, entry in _entries(root):
            stamps.setdefault(entry, time)
    if not stamps or not (extraction.declared.live_blog or _by_shape(stamps)):
        return extraction
    kept: list[RawBlock] = []
    stamped: set[Element] = set()
    for block in extraction.kept:
        holder = _entry_of(block.element, stamps)
        if holder is not None and holder not in stamped:
            stamped.add(holder)
            time = stamps[holder]
            line = " ".join(text_of(time).split())
            if line and len(line) <= MAX_TIME_CHARS and _precedes(time, block.element, holder):
                kept.append(RawBlock("paragraph", line, time, 0))
        kept.append(block)
    return replace(extraction, kept=tuple(kept))


def _entries(root: Element) -> list[tuple[Element, Element]]:
    """(time, entry) for each time of a region: an entry is the largest element around a
    time that holds no other time."""
    times = list(root.iter("time"))
    counts: dict[Element, int] = {}
    for time in times:
        for ancestor in time.iterancestors():
            counts[ancestor] = counts.get(ancestor, 0) + 1
            if ancestor is root:
                break
    found = []
    for time in times:
        entry = None
        for ancestor in time.iterancestors():
            if counts.get(ancestor, 0) != 1:
                break
            entry = ancestor
            if ancestor is root:
                break
        if entry is not None and entry is not root:
            found.append((time, entry))
    return found


def _by_shape(stamps: dict[Element, Element]) -> bool:
    """True when LIVE_ENTRIES or more stamped entries are siblings: a live blog's run."""
    parents: dict[Element | None, int] = {}
    for entry in stamps:
        parent = entry.getparent()
        parents[parent] = parents.get(parent, 0) + 1
    return max(parents.values(), default=0) >= LIVE_ENTRIES


def _entry_of(el: Element, stamps: dict[Element, Element]) -> Element | None:
    if el in stamps:
        return el
    for ancestor in el.iterancestors():
        if ancestor in stamps:
            return ancestor
    return None


def _precedes(time: Element, block: Element, entry: Element) -> bool:
    """True when the time comes before the block in the entry (not a closing stamp)."""
    for el in entry.iter():
        if el is time:
            return True
        if el is block:
            return False
    return False
