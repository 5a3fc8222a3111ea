"""The result types: what ``extract()`` returns.

All frozen and built from plain values (str, int, tuples), so they pickle,
compare and hash, and can cross process and machine boundaries.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from declutter._formats.render import render_html, render_markdown
from declutter._model.block import Block, Comment
from declutter._model.removal import Removal

#: Why an element was removed. Every removal record names one of these.
CATEGORIES = (
    "ad",
    "related",
    "share",
    "caption",
    "byline",
    "dateline",
    "newsletter",
    "paywall",
    "comments",
    "navigation",
    "header",
    "footer",
    "sidebar",
    "hidden",
    "title",
    "standfirst",
    "tags",
    "author_bio",
    "cookie",
    "form",
    "boilerplate",
    "outside",
    "user",
    "site",
)


@dataclass(frozen=True)
class Article:
    """An extracted article: body text, its blocks, metadata and the removals."""

    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    site_name: str | None = None
    language: str | None = None
    url: str | None = None
    description: str | None = None
    blocks: tuple[Block, ...] = ()
    removed: tuple[Removal, ...] = ()
    is_article: bool = False
    #: How sure declutter is that the text returned is the page's article, 0 to 1: low when
    #: the locator found little of the page's text, 0 when nothing is returned.
    confidence: float = 0.0
    #: True when the text came from the trafilatura fallback, not declutter's own locator.
    fallback: bool = False
    #: The reader comments, never part of ``text``: a tuple with ``keep_comments`` (empty
    #: when the page has none), None when they were not asked for.
    comments: tuple[Comment, ...] | None = None

    def __post_init__(self) -> None:
        # JSON gives lists and objects back; store the frozen values, so a record read
        # back builds the same Article.
        for name, kind in (("blocks", Block), ("removed", Removal), ("comments", Comment)):
            value = getattr(self, name)
            if value is None or (isinstance(value, tuple) and all(
                isinstance(item, kind) for item in value
            )):
                continue
            object.__setattr__(self, name, tuple(
                item if isinstance(item, kind) else kind(**item) for item in value
            ))
        if not isinstance(self.authors, tuple):
            object.__setattr__(self, "authors", tuple(self.authors))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists)."""
        data = asdict(self)
        data["authors"] = list(self.authors)
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_markdown(self) -> str:
        """Markdown of the title, the body and, when kept, the comments' own section."""
        return render_markdown(self.blocks, title=self.title, comments=self.comments)

    def to_html(self) -> str:
        """A minimal HTML document of the same (all page text escaped, nothing loads)."""
        return render_html(self.blocks, title=self.title, language=self.language,
                           comments=self.comments)

    def to_xml(self, *, explain: bool = False) -> str:
        """declutter's own XML: metadata, body blocks by kind, comments; with ``explain``
        the removals (the schema is in ``declutter._formats.xml``'s docstring and
        docs/formats.md)."""
        from declutter._formats.xml import (
            render_xml,  # lxml's XML builder loads only for the XML formats
        )

        return render_xml(self, explain=explain)

    def to_tei(self) -> str:
        """The article as a TEI P5 document, valid against the TEI DTD."""
        from declutter._formats.xml import render_tei

        return render_tei(self)
