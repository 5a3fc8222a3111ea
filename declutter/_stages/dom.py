"""Small helpers on the page's tree that several stages need, written once.

A rule written twice drifts: the layout's block tags, the way an element's class and id
are read together, and the way a table's cells become text each had copies that could
have come to disagree. Only what two or more modules use lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Elements that start and end a block of text, as a browser lays them out: the segmenter
#: cuts paragraphs at them, and the explain report attributes kept text to them.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 header hgroup hr "
    "html legend li main menu nav noscript ol option p pre section summary table tbody td "
    "tfoot th thead title tr ul".split()
)


def class_and_id(classes: str | None, ident: str | None) -> str | None:
    """An element's class and id as one string of names, as the rules read them ("story
    body main-story"): a page names a part by either, and the rules do not care which."""
    return f"{classes} {ident}" if classes and ident else classes or ident


def table_text(rows: Iterable[Sequence[str]]) -> str:
    """A table block's text from its rows of cell texts: cells apart by tabs, rows by
    lines. A row of empty cells is left out, and trailing empty cells leave no trailing
    tabs, so the same table reads the same from our tree and from trafilatura's."""
    return "\n".join("\t".join(cells).rstrip("\t") for cells in rows if any(cells))
