"""A block of the article: the unit every stage after the filter, and every renderer,
works with."""

from __future__ import annotations

from dataclasses import dataclass

#: The kinds of kept block, in the order a reader meets them on a page.
BLOCK_KINDS = ("paragraph", "heading", "list_item", "quote", "preformatted", "table")


@dataclass(frozen=True)
class Block:
    """One kept piece of the article body.

    ``level`` is the heading level (1-6) for headings and the nesting depth
    for list items. List items that share ``list_id`` belong to one list and
    are rendered as one block, one item per line. Table text has one row per
    line and its cells separated by a tab.
    """

    kind: str
    text: str
    level: int = 0
    list_id: int = -1
    ordered: bool = False
    #: XPath of the element the block came from, in the page as parsed (``extract()`` only)
    path: str = ""


__all__ = ["BLOCK_KINDS", "Block"]
