"""A block of the article: the unit every stage after the filter, and every renderer,
works with; and a reader comment, kept apart from the blocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The kinds of kept block, in the order a reader meets them on a page.
BLOCK_KINDS = ("paragraph", "heading", "list_item", "quote", "preformatted", "table")

#: The kinds of inline markup a block carries: what a reader sees inside a paragraph.
SPAN_KINDS = ("link", "emphasis", "strong", "code", "image")


@dataclass(frozen=True)
class Span:
    """Inline markup over ``block.text[start:end]``: a link, emphasis, code or an image.

    Offsets count characters of the block's plain text, so the text itself stays
    exactly the plain text output and every format is built from the same words.
    ``url`` is a link's target or an image's source, absolute when the page's
    address is known; an image takes no text (``start == end``) and has its
    ``alt`` text, which is no word of the body.
    """

    kind: str
    start: int
    end: int
    url: str = ""
    alt: str = ""


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
    #: Links, emphasis, inline code and images inside the text, in order of ``start``
    #: (``extract()`` only; which kinds depends on the Options)
    marks: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        # JSON gives marks back as lists of objects; store Spans so a block round-trips.
        if not isinstance(self.marks, tuple) or any(
            not isinstance(mark, Span) for mark in self.marks
        ):
            object.__setattr__(self, "marks", tuple(_span(mark) for mark in self.marks))



@dataclass(frozen=True)
class Comment:
    """One reader comment, kept apart from the story (``keep_comments``).

    ``author`` and ``published`` (the ``datetime`` of its ``<time>`` when it
    has one, else the words the page shows) are None where the page gives none.
    """

    text: str
    author: str | None = None
    published: str | None = None


def _span(value: Span | Mapping[str, Any] | Sequence[Any]) -> Span:
    if isinstance(value, Span):
        return value
    if isinstance(value, Mapping):
        return Span(**value)
    return Span(*value)


__all__ = ["BLOCK_KINDS", "SPAN_KINDS", "Block", "Comment", "Span"]
