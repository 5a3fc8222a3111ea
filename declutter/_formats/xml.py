"""XML renderings of an article: declutter's own small schema, and TEI P5.

Both are built from the same kept blocks and marks as the other formats, with
lxml, so every character of page text is escaped as XML needs and the words
are those of the plain text.

declutter's schema (``to_xml()``)::

    <article url=".." language=".." is_article="true" confidence="0.93" fallback="false">
      <metadata><title/> <author/>* <published/> <site_name/> <description/></metadata>
      <body>
        <paragraph/> <heading level="2"/> <quote/> <preformatted/>
        <list ordered="false"><item>..<list>..</list></item></list>
        <table><row><cell/></row></table>
      </body>
      <comments><comment author=".." published=".."><p/></comment></comments>
      <removed><removal category=".." rule=".." path=".." tag="..">excerpt</removal></removed>
    </article>

Inside a block, marks are ``<link url="..">``, ``<emphasis>``, ``<strong>``,
``<code>`` and ``<image url=".." alt=".."/>``; ``<lb/>`` is a line break.
``comments`` is there when comments were asked for, ``removed`` with
``explain``. Metadata the page does not give is left out.

TEI (``to_tei()``) follows TEI P5 as trafilatura's TEI output does, and is
valid against the TEI DTD trafilatura ships: the metadata in ``teiHeader``,
the body in ``text/body`` (a ``div`` from each sub-heading on, ``head``,
``p``, ``list``/``item``, ``quote``, ``hi rend="#i|#b|#code"``, ``ref
target``, ``graphic url`` with the alt text as its ``desc``, a table as a
``list rend="table"`` of rows whose cells are ``label``-separated), and
comments in a ``div type="comments"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol
from urllib.parse import urlsplit

from lxml import etree

from declutter._formats.render import COMMENTS_HEADING, _groups, _nested
from declutter._model.block import Block, Comment, Span
from declutter._model.removal import Removal


class Article(Protocol):
    """What the XML renderings read of an :class:`~declutter.Article`: a protocol, so the
    formats never import the article, which renders itself through them."""

    @property
    def text(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def authors(self) -> tuple[str, ...]: ...
    @property
    def published(self) -> str | None: ...
    @property
    def site_name(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def blocks(self) -> tuple[Block, ...]: ...
    @property
    def removed(self) -> tuple[Removal, ...]: ...
    @property
    def is_article(self) -> bool: ...
    @property
    def confidence(self) -> float: ...
    @property
    def fallback(self) -> bool: ...
    @property
    def comments(self) -> tuple[Comment, ...] | None: ...


TEI_NS = "http://www.tei-c.org/ns/1.0"
#: Characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFE/F): left out.
_NOT_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML_RE.sub("", text)


def _text(parent: etree._Element, text: str) -> None:
    """Append ``text`` at the end of ``parent`` (after its last child, if any)."""
    if not text:
        return
    text = _clean(text)
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


#: Span kind -> (tag, attribute holding the URL) in declutter's schema and in TEI.
_OWN_TAGS = {"link": ("link", "url"), "emphasis": ("emphasis", ""), "strong": ("strong", ""),
             "code": ("code", "")}
_TEI_HI = {"emphasis": "#i", "strong": "#b", "code": "#code"}


def _inline(parent: etree._Element, text: str, marks: Iterable[Span], *, tei: bool) -> None:
    """The block's text into ``parent``, marks as elements, line breaks as ``<lb/>``."""
    stack = [parent]
    for event, value in _nested(text, marks):
        top = stack[-1]
        if event == "text":
            lines = value.split("\n")
            _text(top, lines[0])
            for line in lines[1:]:
                etree.SubElement(top, _tag("lb", tei))
                _text(top, line)
        elif event == "image":
            _image(top, value, tei=tei)
        elif event == "open":
            if tei:
                if value.kind == "link":
                    child = etree.SubElement(top, _tag("ref", tei), target=_clean(value.url))
                else:
                    child = etree.SubElement(top, _tag("hi", tei), rend=_TEI_HI[value.kind])
            else:
                tag, attribute = _OWN_TAGS[value.kind]
                child = etree.SubElement(top, tag)
                if attribute:
                    child.set(attribute, _clean(value.url))
            stack.append(child)
        else:
            stack.pop()


def _image(parent: etree._Element, mark: Span, *, tei: bool) -> None:
    if tei:
        graphic = etree.SubElement(parent, _tag("graphic", tei), url=_clean(mark.url))
        if mark.alt:
            etree.SubElement(graphic, _tag("desc", tei)).text = _clean(mark.alt)
    else:
        etree.SubElement(parent, "image", url=_clean(mark.url), alt=_clean(mark.alt))


#: Elements that hold only elements: indented. Every other element holds text (a block's
#: words and marks), whose spacing an indentation would change, so it is left as it is.
_OWN_CONTAINERS = frozenset({"article", "metadata", "body", "list", "table", "row", "comments",
                             "comment", "removed"})
_TEI_CONTAINERS = frozenset(f"{{{TEI_NS}}}{name}" for name in (
    "TEI teiHeader fileDesc titleStmt publicationStmt sourceDesc profileDesc abstract "
    "langUsage text body div list quote".split()))


def _indent(element: etree._Element, containers: frozenset[str], level: int = 0) -> None:
    if element.tag not in containers or not len(element):
        return
    inside = "\n" + "  " * (level + 1)
    element.text = inside
    for child in element:
        _indent(child, containers, level + 1)
        child.tail = inside
    element[-1].tail = "\n" + "  " * level


def _tag(name: str, tei: bool) -> str:
    return f"{{{TEI_NS}}}{name}" if tei else name


# --------------------------------------------------------------------------- own schema


def render_xml(article: Article, *, explain: bool = False) -> str:
    """The article in declutter's own XML schema (see the module's docstring)."""
    root = etree.Element("article")
    for name, value in (("url", article.url), ("language", article.language)):
        if value:
            root.set(name, _clean(value))
    root.set("is_article", "true" if article.is_article else "false")
    root.set("confidence", f"{article.confidence:g}")
    root.set("fallback", "true" if article.fallback else "false")
    metadata = etree.SubElement(root, "metadata")
    _field(metadata, "title", article.title)
    for author in article.authors:
        _field(metadata, "author", author)
    for name in ("published", "site_name", "description"):
        _field(metadata, name, getattr(article, name))
    body = etree.SubElement(root, "body")
    for group in _groups(article.blocks):
        _own_block(body, group)
    if article.comments is not None:
        section = etree.SubElement(root, "comments")
        for comment in article.comments:
            entry = etree.SubElement(section, "comment")
            for name in ("author", "published"):
                value = getattr(comment, name)
                if value:
                    entry.set(name, _clean(value))
            for paragraph in comment.text.split("\n\n"):
                _inline(etree.SubElement(entry, "p"), paragraph, (), tei=False)
    if explain:
        _removals(etree.SubElement(root, "removed"), article.removed)
    _indent(root, _OWN_CONTAINERS)
    return etree.tostring(root, encoding="unicode", xml_declaration=False) + "\n"


def _field(parent: etree._Element, name: str, value: str | None) -> None:
    if value:
        etree.SubElement(parent, name).text = _clean(value)


def _own_block(body: etree._Element, group: list[Block]) -> None:
    first = group[0]
    if first.kind == "list_item":
        _list(body, group, tei=False)
    elif first.kind == "table":
        table = etree.SubElement(body, "table")
        for line in first.text.split("\n"):
            row = etree.SubElement(table, "row")
            for cell in line.split("\t"):
                etree.SubElement(row, "cell").text = _clean(cell)
    elif first.kind == "preformatted":
        etree.SubElement(body, "preformatted").text = _clean(first.text)
    else:
        element = etree.SubElement(body, first.kind)
        if first.kind == "heading":
            element.set("level", str(first.level))
        _inline(element, first.text, first.marks, tei=False)


def _list(parent: etree._Element, items: Sequence[Block], *, tei: bool) -> None:
    """One list, its items nested by their level (a nested list inside its item)."""
    root = etree.SubElement(parent, _tag("list", tei))
    name, value = ("rend", "numbered" if items[0].ordered else "bulleted") if tei else (
        "ordered", "true" if items[0].ordered else "false")
    root.set(name, value)
    lists = [root]
    last: etree._Element | None = None
    for item in items:
        level = min(item.level, len(lists) - 1 + (last is not None))
        if level >= len(lists) and last is not None:
            lists.append(etree.SubElement(last, _tag("list", tei), {name: value}))
        del lists[level + 1:]
        last = etree.SubElement(lists[level], _tag("item", tei))
        _inline(last, item.text, item.marks, tei=tei)


def _removals(parent: etree._Element, removed: Sequence[Removal]) -> None:
    for removal in removed:
        element = etree.SubElement(parent, "removal", category=removal.category,
                                   rule=_clean(removal.rule), path=_clean(removal.path))
        if removal.tag:
            element.set("tag", _clean(removal.tag))
        element.text = _clean(removal.excerpt)


# --------------------------------------------------------------------------- TEI


def render_tei(article: Article) -> str:
    """The article as a TEI P5 document (see the module's docstring)."""
    def tei(name: str) -> str:
        return f"{{{TEI_NS}}}{name}"

    root = etree.Element(tei("TEI"), nsmap={None: TEI_NS})  # type: ignore[dict-item]
    header = etree.SubElement(root, tei("teiHeader"))
    file_desc = etree.SubElement(header, tei("fileDesc"))
    title_stmt = etree.SubElement(file_desc, tei("titleStmt"))
    etree.SubElement(title_stmt, tei("title"), type="main").text = _clean(article.title or "")
    for author in article.authors:
        etree.SubElement(title_stmt, tei("author")).text = _clean(author)
    publication = etree.SubElement(file_desc, tei("publicationStmt"))
    publisher = article.site_name or (urlsplit(article.url).hostname if article.url else None)
    if publisher:  # the statement opens with who published, then the details
        etree.SubElement(publication, tei("publisher")).text = _clean(publisher)
        if article.url:
            etree.SubElement(publication, tei("ptr"), type="URL", target=_clean(article.url))
        if article.published:
            date = etree.SubElement(publication, tei("date"))
            date.text = _clean(article.published)
    else:
        etree.SubElement(publication, tei("p"))
    source = etree.SubElement(file_desc, tei("sourceDesc"))
    bibl = etree.SubElement(source, tei("bibl"))
    bibl.text = _clean(", ".join(part for part in (article.title, article.site_name,
                                                   article.published) if part))
    profile = etree.SubElement(header, tei("profileDesc"))
    if article.description:
        abstract = etree.SubElement(profile, tei("abstract"))
        etree.SubElement(abstract, tei("p")).text = _clean(article.description)
    if article.language:
        usage = etree.SubElement(profile, tei("langUsage"))
        etree.SubElement(usage, tei("language"), ident=_clean(article.language))
    body = etree.SubElement(etree.SubElement(root, tei("text")), tei("body"))
    parent = body
    for group in _groups(article.blocks):
        first = group[0]
        if first.kind == "heading":  # a head stands only at the top of a div
            parent = etree.SubElement(body, tei("div"))
            head = etree.SubElement(parent, tei("head"), rend=f"h{first.level}")
            _inline(head, first.text, first.marks, tei=True)
        else:
            _tei_block(parent, group)
    if article.comments is not None:
        comments = etree.SubElement(body, tei("div"), type="comments")
        etree.SubElement(comments, tei("head")).text = COMMENTS_HEADING
        for comment in article.comments:
            _tei_comment(comments, comment)
    if len(body) == 0:  # a body holds something: an empty paragraph for a page without one
        etree.SubElement(body, tei("p"))
    _indent(root, _TEI_CONTAINERS)
    return etree.tostring(root, encoding="unicode") + "\n"


def _tei_block(parent: etree._Element, group: list[Block]) -> None:
    first = group[0]
    tei = True
    if first.kind == "list_item":
        _list(parent, group, tei=tei)
    elif first.kind == "table":
        table = etree.SubElement(parent, _tag("list", tei), rend="table")
        for line in first.text.split("\n"):
            row = etree.SubElement(table, _tag("item", tei), rend="row")
            for index, cell in enumerate(line.split("\t")):
                if index:
                    etree.SubElement(row, _tag("label", tei), rend="cell-separator").text = "|"
                _text(row, cell)
    elif first.kind == "preformatted":
        element = etree.SubElement(parent, _tag("p", tei), rend="pre")
        _inline(element, first.text, (), tei=tei)
    elif first.kind == "quote":
        quote = etree.SubElement(parent, _tag("quote", tei))
        _inline(etree.SubElement(quote, _tag("p", tei)), first.text, first.marks, tei=tei)
    else:
        _inline(etree.SubElement(parent, _tag("p", tei)), first.text, first.marks, tei=tei)


def _tei_comment(parent: etree._Element, comment: Comment) -> None:
    entry = etree.SubElement(parent, _tag("div", True), type="comment")
    if comment.author or comment.published:
        meta = etree.SubElement(entry, _tag("p", True), rend="meta")
        if comment.author:
            etree.SubElement(meta, _tag("name", True), type="author").text = _clean(comment.author)
        if comment.published:
            if comment.author:
                meta[0].tail = ", "
            etree.SubElement(meta, _tag("date", True)).text = _clean(comment.published)
    for paragraph in comment.text.split("\n\n"):
        _inline(etree.SubElement(entry, _tag("p", True)), paragraph, (), tei=True)


__all__ = ["TEI_NS", "render_tei", "render_xml"]
