"""Link and image addresses as a reader follows them: absolute, and only of kinds that
lead somewhere.

A Markdown or HTML rendering is read away from the page, where a relative
address means nothing, so addresses are resolved against the page's own (and
its ``<base href>``). Addresses that would run code or embed data when
followed (``javascript:``, ``data:``, ``vbscript:``) are no links: their text
stays, the mark goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urljoin, urlsplit

from declutter._model.block import Span
from declutter._stages.parse import Element

_SPACE_RE = re.compile(r"\s")

#: The schemes a kept link or image may have once resolved.
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "tel", "news"})


def page_base(root: Element, url: str | None) -> str | None:
    """The address relative links of the page resolve against: its ``<base href>``
    (itself resolved against ``url``), else ``url``."""
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            joined = _join(url, href) if url else href
            if joined is not None and urlsplit(joined).scheme in ("http", "https"):
                return joined
        break
    return url


def resolved(marks: Iterable[Span], base: str | None) -> tuple[Span, ...]:
    """The marks with absolute addresses; links and images with unsafe or unusable
    addresses are dropped (the text they cover stays in the block)."""
    out: list[Span] = []
    for mark in marks:
        if mark.kind not in ("link", "image"):
            out.append(mark)
            continue
        url = absolute(mark.url, base)
        if url is None:
            continue
        out.append(mark if url == mark.url else Span(mark.kind, mark.start, mark.end, url,
                                                      mark.alt))
    return tuple(out)


def absolute(href: str, base: str | None) -> str | None:
    """``href`` resolved against ``base``; None for an unsafe scheme, for a link to a
    place on the page itself that has no address, or for an address that cannot be read.

    Without a base, a relative address is kept as the page gives it.
    """
    href = "".join(href.split()) if any(c in href for c in "\t\n\r") else href.strip()
    if not href:
        return None
    # A space left inside an address is sent percent-encoded, as a browser sends it: the
    # address stays one token in every rendering (Markdown, HTML, CSV) and every reader.
    href = _SPACE_RE.sub(lambda match: quote(match.group()), href)
    if base:
        joined = _join(base, href)
        if joined is None:
            return None
        href = joined
    elif href.startswith("#"):
        return None
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    if scheme and scheme not in SAFE_SCHEMES:
        return None
    return href


def _join(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href)
    except ValueError:  # a malformed address (an unclosed IPv6 bracket, say)
        return None


__all__ = ["SAFE_SCHEMES", "absolute", "page_base", "resolved"]
