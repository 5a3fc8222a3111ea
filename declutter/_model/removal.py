"""The record of one removal: what ``Article.removed`` holds, one per element or line."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Removal"]


@dataclass(frozen=True)
class Removal:
    """Why one element (or one line) of the page is not in the output.

    ``path`` is the element's XPath in the page as parsed, so a report can
    point at it; ``rule`` names the rule that fired, e.g. ``label:ad`` or
    ``class:share``.
    """

    category: str
    rule: str
    excerpt: str
    path: str
    tag: str = ""
