"""Stage 5, filter blocks: cut the located region into blocks, then judge each block.

Segmenting follows how a browser lays text out: block elements start and end
a paragraph, inline elements join their neighbours without added spaces,
``<br>`` breaks a line and two of them break a paragraph. Each block keeps
the element it came from, so a removal can point at it.

Judging uses the text and links of a block, never its class names (the prune
stage did those): label lexicons ("Advertisement", "READ: ..."), caption and
credit patterns, bylines, datelines, the headline repeated, paragraphs that
are a single link, and lists whose items are all links.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ._locate import Region
from ._options import Options
from ._parse import Element, text_of
from ._prune import Page
from ._rules import (
    BYLINE_RE,
    CAPTION_RE,
    CREDIT_RE,
    SILENT_TAGS,
    URL_LINE_RE,
    is_dateline,
    label_of,
    line_pattern,
    match_prefix,
    normalize_label,
)

#: Elements that start and end a paragraph (as in the reference text conversion).
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


@dataclass(frozen=True)
class Dropped:
    """A block or element that the filter removed, with the rule that fired.

    ``element`` is None for text that stands for no element of the page (a
    paragraph of the fallback's output).
    """

    category: str
    rule: str
    element: Element | None
    text: str


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
        tag = el.tag
        if not isinstance(tag, str):
            self.add(el.tail)
            return
        if el in self.dropped:
            self.add(el.tail)
            return
        if tag in self.silent:
            self.add(el.tail)
            return
        if tag == "br":
            self.parts.append(_LINE_BREAK)
            self.linked.append(False)
            self.add(el.tail)
            return
        if tag not in BLOCK_TAGS:
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
        segmenter.block(el, el.tag) if el.tag in BLOCK_TAGS else segmenter.walk(el)
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


# ---------------------------------------------------------------------------
# Judging blocks
# ---------------------------------------------------------------------------


def _same_key(a: str, b: str) -> bool:
    """Two texts in ``normalize_label`` form are the same, or one is most of the other."""
    if not a or not b:
        return False
    return a == b or (min(len(a), len(b)) >= 0.8 * max(len(a), len(b)) and (a in b or b in a))


def judge(
    blocks: list[RawBlock],
    options: Options,
    title: str | None,
    description: str | None,
    kept: frozenset[Element],
    region: Region | None,
) -> tuple[list[RawBlock], list[Dropped]]:
    """Split blocks into the kept ones and the removed ones (with reasons)."""
    roots = region.elements if region is not None else ()
    title_key = normalize_label(title) if title else ""
    verdicts: list[tuple[str, str] | None] = [
        _verdict(block, options, title_key) for block in blocks
    ]
    _standfirst(blocks, verdicts, description, region.body if region is not None else None)
    _link_lists(blocks, verdicts)
    _spread_labels(blocks, verdicts, frozenset(roots))
    _headings_without_body(blocks, verdicts)
    for index, block in enumerate(blocks):
        if verdicts[index] is not None and _is_kept(block.element, kept):
            verdicts[index] = None
    kept_blocks: list[RawBlock] = []
    dropped: list[Dropped] = []
    for block, verdict in zip(blocks, verdicts, strict=True):
        if verdict is None:
            kept_blocks.append(block)
        else:
            dropped.append(Dropped(verdict[0], verdict[1], block.element, block.text))
    return kept_blocks, dropped


def _verdict(block: RawBlock, options: Options, title_key: str) -> tuple[str, str] | None:
    text = block.text
    kind = block.kind
    size = len(text)
    if kind in ("table", "preformatted"):
        return None
    key = normalize_label(text)  # once per block: the headline and label tests share it
    if kind == "heading" and (block.level == 1 or _same_key(key, title_key)):
        return ("title", "title:headline")
    if size < 300 and _same_key(key, title_key):
        return ("title", "title:repeated")
    label = label_of(key)
    if label is not None:
        return label
    density = block.link_chars / size if size else 0.0
    if size <= 300:
        prefix = match_prefix(text)
        if prefix is not None:
            category = prefix[0]
            # An unlinked related-links opening is a label only as a short line, not as
            # a sentence of the story ("More news from the engineers is expected ...").
            if category != "related" or density >= 0.4 or (
                size <= 160 and not text.endswith((".", "!"))
            ):
                return prefix
    line = line_pattern(text)
    if line is not None and (line[0] != "caption" or not options.keep_captions):
        return line
    if not options.keep_captions and size <= 250 and kind != "list_item":
        if CAPTION_RE.match(text):
            return ("caption", "pattern:caption")
        if size <= 60 and CREDIT_RE.search(text) and not text.rstrip().endswith((".", "?", "!")):
            if len(text.split()) <= 6:
                return ("caption", "pattern:credit")
    if size <= 120 and kind != "list_item":
        if is_dateline(text):
            return ("dateline", "pattern:dateline")
        if BYLINE_RE.match(text) and _looks_like_names(text):
            return ("byline", "pattern:byline")
    if kind in ("paragraph", "heading") and size < 200 and density >= 0.8:
        if kind == "heading" and _links_within_page(block.element):
            # A section heading that links to itself or to the contents ("#section-2").
            return None
        return ("related", "links:paragraph")
    if kind == "paragraph" and size <= 2048 and URL_LINE_RE.fullmatch(text):
        return ("boilerplate", "text:url")
    return None


def _links_within_page(el: Element) -> bool:
    """True when every link in an element points into the page itself (``href="#..."``)."""
    found = False
    for link in el.iter("a"):
        href = (link.get("href") or "").strip()
        if href and not href.startswith("#"):
            return False
        found = found or bool(href)
    return found


def _is_kept(el: Element, kept: frozenset[Element]) -> bool:
    if not kept:
        return False
    return el in kept or any(ancestor in kept for ancestor in el.iterancestors())


def _standfirst(
    blocks: list[RawBlock],
    verdicts: list[tuple[str, str] | None],
    description: str | None,
    body: Element | None,
) -> None:
    """The summary under the headline, when the page declares it as its description.

    Only before the body starts, and only when the block is set apart from
    body paragraphs: marked up apart (a heading, a class, an itemprop), or
    outside the element that holds the body. Pages whose description is a
    copy of their first paragraph keep that paragraph.
    """
    if not description:
        return
    description_key = normalize_label(description)
    for index, block in enumerate(blocks):
        if verdicts[index] is not None:
            continue
        if _same_key(normalize_label(block.text), description_key):
            el = block.element
            marked = (block.kind == "heading" or el.tag not in _PLAIN_TEXT_TAGS
                      or el.get("class") or el.get("itemprop")
                      or (body is not None and not _inside(el, body, whole=True)))
            # The leading line of a container that goes on with the body (a blog engine's
            # <br>-separated post, whose description is cut from it) is the body's start.
            if marked and not _holds_more(el, block.text):
                verdicts[index] = ("header", "standfirst:description")
            return
        if len(block.text) >= 200:
            return


#: Elements that hold body text when nothing marks them (a paragraph, a page of <div>s).
_PLAIN_TEXT_TAGS = frozenset({"p", "div", "span", "font", "td", "center", "section"})


def _holds_more(el: Element, text: str) -> bool:
    """True when the element's text goes well beyond the block's (the block is its lead)."""
    return len(text_of(el)) > 2 * len(text) + 200


#: Categories whose label marks its whole (small) box: "Sign up ..." heads a newsletter box.
_SPREADING = frozenset({"newsletter", "paywall", "related", "share", "comments", "tags"})
_BOX_TEXT = 400
_BOX_BLOCKS = 6


def _inside(el: Element, box: Element, *, whole: bool = False) -> bool:
    """True when ``el`` is ``box`` or within it (within six levels, unless ``whole``)."""
    if el is box:
        return True
    for depth, ancestor in enumerate(el.iterancestors()):
        if ancestor is box:
            return True
        if depth >= 6 and not whole:
            return False
    return False


def _spread_labels(
    blocks: list[RawBlock], verdicts: list[tuple[str, str] | None], roots: frozenset[Element]
) -> None:
    """A labelled block takes the rest of its small box with it."""
    for index, block in enumerate(blocks):
        verdict = verdicts[index]
        if verdict is None or verdict[0] not in _SPREADING:
            continue
        if not verdict[1].startswith(("label:", "prefix:")):
            continue
        box = block.element.getparent()
        if box is None or box in roots:
            continue
        members = [index]
        for step in (-1, 1):
            other = index + step
            while 0 <= other < len(blocks) and _inside(blocks[other].element, box):
                members.append(other)
                other += step
        if len(members) < 2 or len(members) > _BOX_BLOCKS:
            continue
        if sum(len(blocks[i].text) for i in members) > _BOX_TEXT:
            continue
        for i in members:
            if verdicts[i] is None:
                verdicts[i] = (verdict[0], f"box:{verdict[1]}")


def _looks_like_names(text: str) -> bool:
    """After the byline's opening word: a few capitalised names, not a sentence."""
    if text.rstrip().endswith((".", "?", "!", ":")):
        return False
    match = BYLINE_RE.match(text)
    rest = text[match.end():] if match else text
    words = rest.split()
    if not words or len(words) > 12:
        return False
    first = words[0].lstrip("@(\"'“")
    return bool(first) and (first[0].isupper() or not first[0].isalpha())


def _link_lists(blocks: list[RawBlock], verdicts: list[tuple[str, str] | None]) -> None:
    """A list whose every item is a link is a list of related headlines."""
    groups: dict[int, list[int]] = {}
    for index, block in enumerate(blocks):
        if block.kind == "list_item" and block.list_id >= 0:
            groups.setdefault(block.list_id, []).append(index)
    for indexes in groups.values():
        items = [blocks[i] for i in indexes]
        text = sum(len(item.text) for item in items)
        links = sum(item.link_chars for item in items)
        linked_items = sum(1 for item in items if item.link_chars >= 0.6 * len(item.text))
        if text and links >= 0.7 * text and linked_items == len(items):
            for i in indexes:
                if verdicts[i] is None:
                    verdicts[i] = ("related", "links:list")


def _headings_without_body(blocks: list[RawBlock], verdicts: list[tuple[str, str] | None]) -> None:
    """A heading whose section was removed whole ("Related", "More on this story")."""
    last = len(blocks)
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        if verdicts[index] is not None:
            continue
        if block.kind == "heading":
            following = next(
                (j for j in range(index + 1, last) if verdicts[j] is None), None
            )
            nxt = blocks[following] if following is not None else None
            if nxt is None or (nxt.kind == "heading" and nxt.level <= block.level):
                next_verdict = verdicts[index + 1] if index + 1 < last else None
                if nxt is None or next_verdict is not None:
                    category = next_verdict[0] if next_verdict is not None else "boilerplate"
                    verdicts[index] = (category, "heading:empty-section")
