"""How sure declutter is that it found the article: the number that calls for a second
opinion, and that ``Article.confidence`` reports."""

from __future__ import annotations

from collections.abc import Sequence

from ._locate import Region
from ._segment import RawBlock

#: Kept text (characters) from which the amount alone no longer lowers the confidence.
_ENOUGH_TEXT = 500
#: Share of the page's paragraph text from which the share alone no longer lowers it.
_ENOUGH_SHARE = 0.5


def confidence(blocks: Sequence[RawBlock], region: Region | None) -> float:
    """Enough text, and most of the page's paragraph text."""
    if region is None or not blocks:
        return 0.0
    kept = sum(len(block.text) for block in blocks)
    share = kept / region.page_text if region.page_text else 1.0
    return min(1.0, kept / _ENOUGH_TEXT) * (0.5 + 0.5 * min(1.0, share / _ENOUGH_SHARE))


#: Text (characters) beyond which an extraction is more often several things than one
#: story (a thread, a list of entries, a page of documents): past it, the confidence
#: falls with the square root of the excess.
_ONE_STORY_CHARS = 15000


def reported(confidence: float, chars: int) -> float:
    """The confidence ``Article.confidence`` reports for a text of ``chars`` characters:
    the locator's own figure, lower for a text longer than one story usually is, and 0
    when nothing is returned."""
    if chars <= 0:
        return 0.0
    if chars > _ONE_STORY_CHARS:
        confidence *= (_ONE_STORY_CHARS / chars) ** 0.5
    return confidence
