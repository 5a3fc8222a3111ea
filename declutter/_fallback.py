"""The fallback: trafilatura's extraction, for pages where our own locator is unsure.

Used only below a confidence threshold, so its cost is paid on few pages. Its
paragraphs become plain paragraph blocks.
"""

from __future__ import annotations

from ._article import Block


def fallback_blocks(text: str, url: str | None) -> tuple[Block, ...]:
    try:
        import trafilatura
    except ImportError:  # an optional helper: without it we keep our own result
        return ()
    try:
        result = trafilatura.extract(
            text, url=url, include_comments=False, include_tables=True, deduplicate=False,
            with_metadata=False,
        )
    except Exception:  # trafilatura failing on a page must not fail ours
        return ()
    if not result:
        return ()
    blocks = []
    for line in result.split("\n"):
        line = " ".join(line.split())
        if line:
            blocks.append(Block("paragraph", line))
    return tuple(blocks)
