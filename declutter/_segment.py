"""Stage 5a, segment: cut the located region into blocks, as a browser lays text out.

Block elements start and end a paragraph, inline elements join their
neighbours without added spaces, ``<br>`` breaks a line and two of them break
a paragraph. Each block keeps the element it came from, so a removal can
point at it. The same layout serves every stage that needs a page's text laid
out (the second opinion matches its blocks against it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ._options import Options
from ._parse import Element, text_of
from ._prune import Page
from ._rules import SILENT_TAGS

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 header hgroup hr "
    "html legend li main menu nav noscript ol option p pre section summary table tbody td "
    "tfoot th thead title tr ul".split()
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LINE_BREAK = "\x00"  # stands for <br> until the block's whitespace is normalised


@dataclass(frozen=True)
class RawBlock:
    kind: str
    text: str
    element: Element
    link_chars: int
    level: int = 0
    list_id: int = -1
    ordered: bool = False


class Segments:
    """Walks a region and collects its RawBlocks, skipping the subtrees the prune stage
    marked; the walk's result (``blocks``, ``removed_tables``) is read from it."""

    def __init__(
        self,
        dropped: dict[Element, tuple[str, str]],
        keep_tables: bool,
        silent: frozenset[str] = SILENT_TAGS,
    ) -> None:
        self.dropped = dropped
        self.keep_tables = keep_tables
        self.silent = silent
        self.blocks: list[RawBlock] = []
        self.parts: list[str] = []
        self.linked: list[bool] = []
        self.in_link = 0
        self.owner: Element | None = None
        self.kind = "paragraph"
        self.level = 0
        self.list_id = -1
        self.ordered = False
        self.next_list = 0
        self.quote = 0
        self.item_depth = 0
        self.removed_tables: list[Element] = []

    # -- text accumulation -------------------------------------------------
    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            self.linked.append(self.in_link > 0)

    def flush(self) -> None:
        parts = self.parts
        if not parts:
            return
        owner = self.owner
        linked = self.linked
        self.parts = []
        self.linked = []
        if owner is None:
            return
        for paragraph, links in _paragraphs(parts, linked):
            self.blocks.append(
                RawBlock(self.kind, paragraph, owner, min(links, len(paragraph)), self.level,
                         self.list_id, self.ordered)
            )

    # -- the walk ------------------------------------------------------------
    def walk(self, el: Element) -> None:
        # Called for every element of the region: the text is appended in place rather
        # than through ``add``, whose call costs as much as the appending.
        tag = el.tag
        if not isinstance(tag, str) or el in self.dropped or tag in self.silent:
            tail = el.tail
            if tail:
                self.parts.append(tail)
                self.linked.append(self.in_link > 0)
            return
        if tag == "br":
            self.parts.append(_LINE_BREAK)
            self.linked.append(False)
            tail = el.tail
            if tail:
                self.parts.append(tail)
                self.linked.append(self.in_link > 0)
            return
        if tag not in BLOCK_TAGS:
            is_link = tag == "a"
            if is_link:
                self.in_link += 1
            text = el.text
            if text:
                self.parts.append(text)
                self.linked.append(self.in_link > 0)
            for child in el:
                self.walk(child)
            if is_link:
                self.in_link -= 1
            tail = el.tail
            if tail:
                self.parts.append(tail)
                self.linked.append(self.in_link > 0)
            return
        if self.item_depth and tag not in ("ul", "ol", "table", "pre", "li", "dl"):
            # Paragraphs inside a list item continue the item's line.
            self.add(" ")
            self.add(el.text)
            for child in el:
                self.walk(child)
            self.add(" ")
            self.add(el.tail)
            return
        self.block(el, tag)
        self.add(el.tail)

    def block(self, el: Element, tag: str) -> None:
        self.flush()
        saved = (self.owner, self.kind, self.level)
        if tag == "pre":
            text = _preformatted(text_of(el))
            if text:
                self.blocks.append(RawBlock("preformatted", text, el, 0))
            return
        if tag == "table":
            if _is_data_table(el):
                if self.keep_tables:
                    text = _table_text(el, self.dropped, self.silent)
                    if text:
                        self.blocks.append(RawBlock("table", text, el, 0))
                else:
                    self.removed_tables.append(el)
                return
        if tag in ("ul", "ol"):
            outer = (self.list_id, self.ordered)
            if self.item_depth == 0:
                self.list_id = self.next_list
                self.next_list += 1
                self.ordered = tag == "ol"
            for child in el:
                self.walk(child)
            self.flush()
            self.list_id, self.ordered = outer
            return
        if tag == "li":
            self.owner, self.kind, self.level = el, "list_item", self.item_depth
            self.item_depth += 1
            self.add(el.text)
            for child in el:
                if isinstance(child.tag, str) and child.tag in ("ul", "ol"):
                    self.flush()
                    self.owner, self.kind, self.level = el, "list_item", self.item_depth
                self.walk(child)
            self.flush()
            self.item_depth -= 1
            self.owner, self.kind, self.level = saved
            return
        if tag == "blockquote":
            self.quote += 1
        if tag in _HEADINGS:
            self.owner, self.kind, self.level = el, "heading", _HEADINGS[tag]
        else:
            self.owner = el
            self.kind = "quote" if self.quote else "paragraph"
            self.level = 0
        self.add(el.text)
        for child in el:
            self.walk(child)
        self.flush()
        if tag == "blockquote":
            self.quote -= 1
        # Text after this block, inside its parent, belongs to the parent again.
        self.owner, self.kind, self.level = saved


def _preformatted(raw: str) -> str:
    """``<pre>`` text with its lines and indentation, less blank lines at either end.

    Runs of blank lines inside shrink to one, so a blank line stays the only
    paragraph separator the output knows.
    """
    lines: list[str] = []
    for line in raw.split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _paragraphs(parts: list[str], linked: list[bool]) -> list[tuple[str, int]]:
    """Split accumulated text at double line breaks; collapse whitespace in each line.

    Returns each paragraph with the number of its characters that stand in links.
    """
    if _LINE_BREAK not in parts:  # most blocks: one line, no break to split at
        text = " ".join("".join(parts).split())
        if not text:
            return []
        links = sum(
            len(piece.strip()) for piece, is_link in zip(parts, linked, strict=True) if is_link
        )
        return [(text, links)]
    paragraphs: list[tuple[str, int]] = []
    lines: list[str] = []
    line: list[str] = []
    links = 0
    for piece, is_link in zip(parts, linked, strict=True):
        if piece != _LINE_BREAK:
            line.append(piece)
            if is_link:
                links += len(piece.strip())
            continue
        text = " ".join("".join(line).split())
        line = []
        if text:
            lines.append(text)
        elif lines:
            paragraphs.append(("\n".join(lines), links))
            lines, links = [], 0
    text = " ".join("".join(line).split())
    if text:
        lines.append(text)
    if lines:
        paragraphs.append(("\n".join(lines), links))
    return paragraphs


def _is_data_table(table: Element) -> bool:
    """Tables of data (rows and columns) as opposed to tables used for page layout."""
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return False
    if table.find(".//table") is not None:
        return False
    widest = 0
    for row in table.iter("tr"):
        cells = 0
        for cell in row:
            if cell.tag in ("td", "th"):
                cells += 1
                if cell.find(".//p") is not None or cell.find(".//div") is not None:
                    if len(text_of(cell)) > 200:
                        return False
        widest = max(widest, cells)
    return widest >= 2


def _table_text(
    table: Element, dropped: dict[Element, tuple[str, str]], silent: frozenset[str]
) -> str:
    rows: list[str] = []
    for row in _rows(table):
        if row in dropped:
            continue
        cells = []
        for cell in row:
            if cell.tag in ("td", "th") and cell not in dropped:
                cells.append(" ".join(_visible_text(cell, dropped, silent).split()))
        if any(cells):  # trailing empty cells leave no trailing tabs
            rows.append("\t".join(cells).rstrip("\t"))
    return "\n".join(rows)


def _rows(table: Element) -> Iterator[Element]:
    """A table's rows in order: its <tr>s, and a <thead> (or <tbody>, or the table itself)
    holding cells without a <tr>, as browsers render them."""
    for el in table.iter("tr", "thead", "tbody", "tfoot", "table"):
        if el.tag == "tr" or any(child.tag in ("td", "th") for child in el):
            yield el


def _visible_text(
    el: Element, dropped: dict[Element, tuple[str, str]], silent: frozenset[str]
) -> str:
    parts: list[str] = []
    stack: list[tuple[Element, bool]] = [(el, False)]
    while stack:
        node, after = stack.pop()
        if after:
            if node.tail:
                parts.append(node.tail)
            continue
        if node is not el:
            stack.append((node, True))
        tag = node.tag
        if not isinstance(tag, str) or node in dropped or tag in silent:
            continue
        if tag == "br":
            parts.append(" ")
            continue
        if node.text:
            parts.append(node.text)
        stack.extend((child, False) for child in reversed(node))
    return "".join(parts)


def segment(page: Page, elements: tuple[Element, ...], options: Options) -> Segments:
    segmenter = Segments(page.dropped, options.keep_tables)
    for el in elements:
        if el in page.dropped:
            continue
        # A region element is a block of its own even when its tag is inline (a <font>
        # of an old layout, a standfirst in <i>): its text has no other block to join.
        segmenter.block(el, el.tag)
        segmenter.flush()
    return segmenter


def laid_out_text(el: Element) -> str:
    """All of an element's text, hidden parts too, as the segmenter lays it out, one
    block a line: words stand apart wherever a block or a line break parts them
    (``<li>a</li><li>b</li>``, ``a<br>b``), as in any extractor's output."""
    segmenter = Segments({}, True, frozenset())
    segmenter.block(el, el.tag) if el.tag in BLOCK_TAGS else segmenter.walk(el)
    segmenter.flush()
    return "\n".join(block.text for block in segmenter.blocks)
