"""Stage 2, parse: text to an lxml tree, safely.

The parser settings are pinned: no network, no DTD or external entity
loading, comments and processing instructions dropped, and libxml2's default
depth limit kept (``huge_tree`` off), so a page nested 100,000 deep is
flattened by the parser instead of recursing. Any parser failure becomes
``None`` (no article), never an lxml exception.
"""

from __future__ import annotations

import threading

from lxml import etree, html

_local = threading.local()


def _parser() -> html.HTMLParser:
    # lxml parsers keep per-parse state; one per thread keeps clean() thread-safe.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = html.HTMLParser(
            encoding="utf-8",
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            recover=True,
            huge_tree=False,
            default_doctype=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse(text: str) -> html.HtmlElement | None:
    """The document's root element, or None when there is no document to speak of."""
    if not text.strip():
        return None
    data = text.encode("utf-8", "replace")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError, TypeError, MemoryError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return root
