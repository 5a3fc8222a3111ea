"""The fallback: trafilatura's extraction, for pages where our own locator is unsure.

Used only below a confidence threshold, so its cost is paid on few pages.
trafilatura is asked for its XML, not its text: the text marks list items
with "- " and table cells with "|", and keeps the page's hard line wraps,
none of which is the page's own text. From the XML come blocks of our own
kinds (paragraphs, headings, list items, tables, quotes, code) whose text is
laid out as our own blocks are.
"""

from __future__ import annotations

from lxml import etree

from declutter._model.article import Block
from declutter._stages.dom import table_text

#: trafilatura's block elements and the kind of block each one becomes.
_KINDS = {"p": "paragraph", "head": "heading", "quote": "quote", "code": "preformatted"}
#: trafilatura's inline elements: highlighted text, links, deletions.
_INLINE = frozenset({"hi", "ref", "del"})


class FallbackFailed(Exception):
    """trafilatura raised on this page: our own result stands, and the removal records say
    why the second opinion is missing."""


def fallback_blocks(text: str, url: str | None) -> tuple[Block, ...]:
    """trafilatura's reading of a page as blocks of our kinds; () when it finds nothing.

    trafilatura is a dependency: failing to import it is a broken installation and
    is not caught. Raising on one page is that page's problem: FallbackFailed.
    """
    import trafilatura

    # fast: without trafilatura's own second opinions (readability, jusText), which cost
    # a fifth of each fallback page (28.6 -> 22.7 ms) and changed no benchmark score.
    try:
        result = trafilatura.extract(
            text, url=url, output_format="xml", include_comments=False, include_tables=True,
            deduplicate=False, with_metadata=False, fast=True,
        )
    except Exception as error:  # its own failure on this page, whatever its type
        raise FallbackFailed(f"trafilatura failed: {type(error).__name__}: {error}") from error
    if not result:
        return ()
    try:
        doc = etree.fromstring(result, etree.XMLParser(recover=True, resolve_entities=False))
    except (etree.XMLSyntaxError, ValueError):
        return ()
    if doc is None:
        return ()
    main = doc.find("main")
    blocks: list[Block] = []
    _Reader(blocks).walk(main if main is not None else doc)
    return tuple(blocks)


class _Reader:
    """Turns trafilatura's XML tree into blocks, in document order."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.lists = 0

    def walk(self, el: etree._Element) -> None:
        self.loose(el.text)
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag == "comments":
                self.loose(child.tail)
                continue
            if tag == "list":
                self.list_items(child, self.lists, 0)
                self.lists += 1
            elif tag == "table":
                self.table(child)
            elif tag in _KINDS:
                self.block(child, _KINDS[tag])
            elif tag == "graphic":
                continue
            else:
                self.walk(child)
            self.loose(child.tail)

    def loose(self, text: str | None) -> None:
        """Text standing in a container between its blocks: a paragraph of its own."""
        if text and text.strip():
            self.blocks.append(Block("paragraph", " ".join(text.split())))

    def block(self, el: etree._Element, kind: str) -> None:
        if kind == "preformatted":
            raw = "".join(str(piece) for piece in el.itertext())
            text = "\n".join(line.rstrip() for line in raw.split("\n"))
            text = text.strip("\n")
            if text.strip():
                self.blocks.append(Block(kind, text))
            return
        level = 0
        if kind == "heading":
            rend = el.get("rend") or ""
            level = int(rend[1]) if len(rend) == 2 and rend[0] == "h" and rend[1] in "123456" else 2
        lines = _lines(el)
        if lines:
            # A paragraph keeps its <lb/> lines, as ours keep their <br> lines.
            self.blocks.append(Block(kind, (" " if level else "\n").join(lines), level))

    def list_items(self, el: etree._Element, list_id: int, depth: int) -> None:
        ordered = (el.get("rend") or "") == "ol"
        for item in el:
            if item.tag != "item":
                continue
            text = _lines(item, skip=("list",))
            if text:
                self.blocks.append(Block("list_item", "\n".join(text), depth, list_id, ordered))
            for nested in item.iter("list"):
                if nested.getparent() is item:
                    self.list_items(nested, list_id, depth + 1)

    def table(self, el: etree._Element) -> None:
        text = table_text(
            [" ".join(_lines(cell)) for cell in row if cell.tag == "cell"] for row in el.iter("row")
        )
        if text:
            self.blocks.append(Block("table", text))


def _lines(el: etree._Element, skip: tuple[str, ...] = ()) -> list[str]:
    """The element's text as one paragraph: lines broken at ``<lb/>``, whitespace collapsed."""
    parts: list[str] = []

    def collect(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == "lb":
                parts.append("\n")
            elif child.tag in _INLINE:
                collect(child)
            elif child.tag not in skip:
                # A paragraph inside a cell or an item: words apart, not glued together.
                parts.append(" ")
                collect(child)
                parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    collect(el)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]
