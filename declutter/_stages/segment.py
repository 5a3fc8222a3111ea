"""Stage 5a, segment: cut the located region into blocks, as a browser lays text out.

Block elements start and end a paragraph, inline elements join their
neighbours without added spaces, ``<br>`` breaks a line and two of them break
a paragraph. Each block keeps the element it came from, so a removal can
point at it. The same layout serves every stage that needs a page's text laid
out (the second opinion matches its blocks against it).

When asked (``extract()``, for Markdown, HTML, XML and TEI), the walk also
notes where links, emphasis, inline code and images open and close; the marks
become :class:`Span` offsets into the block's text, which is computed exactly as
without them, so no format can have other words than the plain text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from declutter._model.block import Span
from declutter._model.options import Options
from declutter._rules.tables import SILENT_TAGS
from declutter._rules.thresholds import DATA_TABLE_COLUMNS, LAYOUT_CELL_TEXT
from declutter._stages.dom import BLOCK_TAGS, table_text
from declutter._stages.parse import Element, text_of
from declutter._stages.prune import PrunedPage

#: The level of each heading tag, as HTML numbers them.
_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
#: U+00AD marks where a word may be hyphenated at a line's end; the reader sees the word
#: whole (or cut with a hyphen at the margin), so it is no character of the text.
_SOFT_HYPHEN = "\xad"
_LINE_BREAK = "\x00"  # stands for <br> until the block's whitespace is normalised
#: The inline elements whose markup a block keeps, and the Span kind each becomes.
INLINE_KINDS = {
    "a": "link", "em": "emphasis", "i": "emphasis", "strong": "strong", "b": "strong",
    "code": "code", "kbd": "code", "samp": "code", "tt": "code", "img": "image",
}
#: Where lazy-loading pages keep an image's real address while ``src`` holds a placeholder.
_IMAGE_SOURCES = ("src", "data-src", "data-lazy-src", "data-original")
_IMAGE_TAGS = frozenset({"img", "picture"})
_OPEN, _CLOSE, _POINT = 0, 1, 2
#: (index into the parts it comes before, action, id, kind, url, alt)
Event = tuple[int, int, int, str, str, str]


@dataclass(frozen=True)
class RawBlock:
    kind: str
    text: str
    element: Element
    link_chars: int
    level: int = 0
    list_id: int = -1
    ordered: bool = False
    #: inline markup over ``text``, laid out when asked for (``marks.of(mark_index)``);
    #: links keep the page's own, unresolved address
    marks: Marks | None = None
    mark_index: int = 0


class Marks:
    """The marks of the paragraphs one flush made, laid out when first asked for: most
    blocks of a region are judged and dropped, and only the kept ones need them."""

    __slots__ = ("_events", "_paragraphs", "_parts", "_spans")

    def __init__(
        self, parts: list[str], events: list[Event], paragraphs: list[tuple[str, int]]
    ) -> None:
        self._parts, self._events, self._paragraphs = parts, events, paragraphs
        self._spans: list[tuple[Span, ...]] | None = None

    def of(self, index: int) -> tuple[Span, ...]:
        """The marks of the flush's paragraph ``index``."""
        if self._spans is None:
            self._spans = _marked(self._parts, self._events, self._paragraphs) or []
            self._parts, self._events = [], []
        return self._spans[index] if self._spans else ()


class Segments:
    """Walks a region and collects its RawBlocks, skipping the subtrees the prune stage
    marked; the walk's result (``blocks``, ``removed_tables``) is read from it."""

    def __init__(
        self,
        dropped: dict[Element, tuple[str, str]],
        keep_tables: bool,
        silent: frozenset[str] = SILENT_TAGS,
        inline: frozenset[str] = frozenset(),
    ) -> None:
        self.dropped = dropped
        #: the Span kinds to note (none: the text-only walk clean() needs)
        self.inline = inline
        self.events: list[Event] = []
        self.active: list[tuple[int, str, str]] = []  # marks open where the walk is
        self.orphans: list[Event] = []  # images of a block that had no text
        self.next_mark = 0
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
            if _SOFT_HYPHEN in text:  # a hint where a line may break: never shown whole
                text = text.replace(_SOFT_HYPHEN, "")
            self.parts.append(text)
            self.linked.append(self.in_link > 0)

    def flush(self) -> None:
        parts = self.parts
        events = self.events
        if events:
            self._restart()
        if not parts:
            self._orphan(events)
            return
        owner = self.owner
        linked = self.linked
        self.parts = []
        self.linked = []
        if owner is None:
            return
        paragraphs = _paragraphs(parts, linked)
        marks = Marks(parts, events, paragraphs) if events else None
        for index, (paragraph, links) in enumerate(paragraphs):
            self.blocks.append(
                RawBlock(self.kind, paragraph, owner, min(links, len(paragraph)), self.level,
                         self.list_id, self.ordered, marks, index)
            )
        if not paragraphs:
            self._orphan(events)

    # -- inline markup ---------------------------------------------------------
    def _restart(self) -> None:
        """The next block's events: the marks still open around it (a link holding a
        heading and a paragraph marks both), and the images of a block without text."""
        self.events = [(0, _OPEN, ident, kind, url, "") for ident, kind, url in self.active]
        self.events.extend(self.orphans)
        self.orphans = []

    def _orphan(self, events: list[Event]) -> None:
        """An image alone in its block (a figure) goes before the next block's text, which
        is its caption when captions are kept."""
        points = [event for event in events if event[1] == _POINT]
        if points:
            self.orphans.extend((0, *event[1:]) for event in points)
            self._restart()

    def open_mark(self, el: Element | None, tag: str) -> int | None:
        """Note that an inline element opens here; its id, or None when it is no mark
        (or an image, which opens nothing: it stands at one place of the text)."""
        kind = INLINE_KINDS.get(tag)
        if el is None or kind is None or kind not in self.inline:
            return None
        url = ""
        if kind == "image":
            src = _image_source(el)
            if src is not None:
                self.next_mark += 1
                alt = " ".join((el.get("alt") or "").split())
                self.events.append((len(self.parts), _POINT, self.next_mark, kind, src, alt))
            return None
        if kind == "link":
            url = (el.get("href") or "").strip()
            if not url:
                return None
        self.next_mark += 1
        self.events.append((len(self.parts), _OPEN, self.next_mark, kind, url, ""))
        self.active.append((self.next_mark, kind, url))
        return self.next_mark

    def close_mark(self, ident: int) -> None:
        self.active = [mark for mark in self.active if mark[0] != ident]
        self.events.append((len(self.parts), _CLOSE, ident, "", "", ""))

    # -- the walk ------------------------------------------------------------
    def walk(self, el: Element) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            self.add(el.tail)
            return
        if el in self.dropped:
            self.add(el.tail)
            return
        if tag in self.silent:
            if self.inline and tag in _IMAGE_TAGS:
                self.open_mark(el if tag == "img" else el.find(".//img"), "img")
            self.add(el.tail)
            return
        if tag == "br":
            self.parts.append(_LINE_BREAK)
            self.linked.append(False)
            self.add(el.tail)
            return
        if tag not in BLOCK_TAGS:
            mark = self.open_mark(el, tag) if self.inline else None
            if tag == "a":
                self.in_link += 1
                self.add(el.text)
                for child in el:
                    self.walk(child)
                self.in_link -= 1
            else:
                self.add(el.text)
                for child in el:
                    self.walk(child)
            if mark is not None:
                self.close_mark(mark)
            self.add(el.tail)
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
        if tag in _HEADING_LEVELS:
            self.owner, self.kind, self.level = el, "heading", _HEADING_LEVELS[tag]
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


def _image_source(img: Element) -> str | None:
    """The address an image shows, or None for a placeholder, a tracking pixel or an
    inline ``data:`` image (no address a reader could follow)."""
    if img.get("width") in ("0", "1") or img.get("height") in ("0", "1"):
        return None
    for name in _IMAGE_SOURCES:
        value = (img.get(name) or "").strip()
        if value and not value.lower().startswith("data:"):
            return value
    return None


def _marked(
    parts: list[str], events: list[Event], paragraphs: list[tuple[str, int]]
) -> list[tuple[Span, ...]] | None:
    """Each paragraph's marks, laid out as ``_paragraphs`` lays out the text.

    The text is built again here with the marks' places; should it ever differ from
    ``_paragraphs``' (which alone decides the text), the marks are left out rather
    than put in the wrong place.
    """
    laid_out = _lay_out(parts, events)
    if [text for text, _ in laid_out] != [text for text, _ in paragraphs]:
        return None
    return [spans for _, spans in laid_out]


def _lay_out(parts: list[str], events: list[Event]) -> list[tuple[str, tuple[Span, ...]]]:
    """The paragraphs of ``parts`` (whitespace collapsed, split at double line breaks,
    as ``_paragraphs`` does) with the Spans of ``events``.

    A mark opens at its first character (after the space that precedes it) and
    closes after its last, so spaces around marked words stay outside the mark;
    a mark without text is dropped, and one that runs across a paragraph break is
    cut there and goes on in the next paragraph.
    """
    done: list[tuple[str, tuple[Span, ...]]] = []
    out: list[str] = []
    size = 0
    line_has_text = space = newline = False
    opened: dict[int, list[Any]] = {}  # id -> [kind, url, start or None]
    unplaced = 0  # marks opened that have no first character yet
    points: list[tuple[int, str, str]] = []
    spans: list[tuple[int, int, int, str, str, str]] = []  # start, -end, id, kind, url, alt

    def write(word: str) -> None:
        nonlocal size, line_has_text, space, newline, unplaced
        if newline:
            out.append("\n")
            size += 1
            newline = False
        elif line_has_text and space:
            out.append(" ")
            size += 1
        space = False
        if unplaced:
            for mark in opened.values():
                if mark[2] is None:
                    mark[2] = size
            unplaced = 0
        if points:
            spans.extend((size, -size, ident, "image", url, alt) for ident, url, alt in points)
            points.clear()
        out.append(word)
        size += len(word)
        line_has_text = True

    def end_paragraph() -> None:
        nonlocal size, line_has_text, space, newline, unplaced
        for ident, mark in opened.items():
            if mark[2] is not None:
                spans.append((mark[2], -size, ident, mark[0], mark[1], ""))
                mark[2] = None
                unplaced += 1
        spans.extend((size, -size, ident, "image", url, alt) for ident, url, alt in points)
        points.clear()
        spans.sort()
        done.append(("".join(out), tuple(
            Span(kind, start, -end, url, alt) for start, end, _, kind, url, alt in spans
        )))
        out.clear()
        spans.clear()
        size = 0
        line_has_text = space = newline = False

    position = 0
    count = len(events)
    for index, piece in enumerate(parts):
        while position < count and events[position][0] <= index:
            _, action, ident, kind, url, alt = events[position]
            position += 1
            if action == _OPEN:
                opened[ident] = [kind, url, None]
                unplaced += 1
            elif action == _POINT:
                points.append((ident, url, alt))
            elif ident in opened:
                kind, url, start = opened.pop(ident)
                if start is None:
                    unplaced -= 1
                elif size > start:
                    spans.append((start, -size, ident, kind, url, ""))
        if piece == _LINE_BREAK:
            if line_has_text:
                newline, line_has_text, space = True, False, False
            elif size:
                end_paragraph()
            continue
        if not piece:
            continue
        if piece[0].isspace() and line_has_text:
            space = True
        for number, word in enumerate(piece.split()):
            if number:
                space = True
            write(word)
        if piece[-1].isspace() and line_has_text:
            space = True
    while position < count:  # marks closing at the very end
        _, action, ident, kind, url, alt = events[position]
        position += 1
        if action == _CLOSE and ident in opened:
            kind, url, start = opened.pop(ident)
            if start is not None and size > start:
                spans.append((start, -size, ident, kind, url, ""))
        elif action == _POINT:
            points.append((ident, url, alt))
    if size:
        end_paragraph()
    return done


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
                    if len(text_of(cell)) > LAYOUT_CELL_TEXT:
                        return False
        widest = max(widest, cells)
    return widest >= DATA_TABLE_COLUMNS


def _table_text(
    table: Element, dropped: dict[Element, tuple[str, str]], silent: frozenset[str]
) -> str:
    rows: list[list[str]] = []
    for row in _rows(table):
        if row in dropped:
            continue
        cells = []
        for cell in row:
            if cell.tag in ("td", "th") and cell not in dropped:
                cells.append(" ".join(_visible_text(cell, dropped, silent).split()))
        rows.append(cells)
    return table_text(rows)


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


def inline_kinds(options: Options) -> frozenset[str]:
    """The Span kinds the options ask for: links, formatting, and images where captions
    are kept (an image without its caption tells a reader little)."""
    kinds: set[str] = set()
    if options.include_links:
        kinds.add("link")
    if options.include_formatting:
        kinds.update(("emphasis", "strong", "code"))
    if options.include_images and options.keep_captions:
        kinds.add("image")
    return frozenset(kinds)


def segment(
    page: PrunedPage, elements: tuple[Element, ...], options: Options, *, inline: bool = False
) -> Segments:
    """The blocks of the located elements; with ``inline``, with their marks."""
    segmenter = Segments(page.dropped, options.keep_tables,
                         inline=inline_kinds(options) if inline else frozenset())
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
