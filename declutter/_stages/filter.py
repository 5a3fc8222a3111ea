"""Stage 5b, filter blocks: judge each block of the region, keep it or remove it.

Judging uses the text and links of a block, never its class names (the prune
stage did those): label lexicons ("Advertisement", "READ: ..."), line
patterns (copyright notices, reporting credits, counters), caption and
credit patterns, bylines, datelines, the headline repeated, paragraphs that
are a single link, and lists whose items are all links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from declutter._model.options import Options, RepeatedText, block_key
from declutter._rules.tables import (
    BYLINE_RE,
    CAPTION_RE,
    CREDIT_RE,
    LONGEST_LABEL,
    URL_LINE_RE,
    is_dateline,
    label_of,
    line_pattern,
    match_prefix,
    normalize_label,
)
from declutter._rules.thresholds import (
    BODY_STARTED_CHARS,
    BOX_BLOCKS,
    BOX_DEPTH,
    BOX_TEXT,
    BYLINE_CHARS,
    BYLINE_NAME_WORDS,
    CAPTION_CHARS,
    CREDIT_CHARS,
    CREDIT_WORDS,
    LABEL_LINK_SHARE,
    LEAD_MARGIN_CHARS,
    LEAD_TIMES,
    LINK_LIST_SHARE,
    LINK_PARAGRAPH_CHARS,
    LINK_PARAGRAPH_SHARE,
    LINKED_ITEM_SHARE,
    PREFIX_LABEL_CHARS,
    REPEATED_MOST_OF_ARTICLE,
    SAME_TEXT_SHARE,
    TITLE_REPEAT_CHARS,
    UNLINKED_LABEL_CHARS,
    URL_LINE_CHARS,
)
from declutter._stages.locate import Region
from declutter._stages.parse import Element, text_of
from declutter._stages.segment import RawBlock


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


#: Blocks longer than this are no headline repeat and no label: their key is not needed.
_KEY_CHARS = max(TITLE_REPEAT_CHARS, LONGEST_LABEL)


def _same_key(a: str, b: str) -> bool:
    """Two texts in ``normalize_label`` form are the same, or one is most of the other."""
    if not a or not b:
        return False
    shorter, longer = sorted((len(a), len(b)))
    return a == b or (shorter >= SAME_TEXT_SHARE * longer and (a in b or b in a))


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
        _judge_block(block, options, title_key) for block in blocks
    ]
    if not options.include_standfirst:
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


def _judge_block(block: RawBlock, options: Options, title_key: str) -> tuple[str, str] | None:
    """(category, rule) when a block is boilerplate by its own text and links, or None.

    The rules that need the blocks around it (link lists, spreading labels, headings
    left without a section) run after, over every block's judgement."""
    text = block.text
    kind = block.kind
    size = len(text)
    if kind in ("table", "preformatted"):
        return None
    # Once per block, and only where a test can use it: the headline and label tests.
    key = normalize_label(text) if kind == "heading" or size <= _KEY_CHARS else ""
    if kind == "heading" and (block.level == 1 or _same_key(key, title_key)):
        return ("title", "title:headline")
    if size < TITLE_REPEAT_CHARS and _same_key(key, title_key):
        return ("title", "title:repeated")
    label = label_of(key)
    if label is not None:
        return label
    density = block.link_chars / size if size else 0.0
    if size <= PREFIX_LABEL_CHARS:
        prefix = match_prefix(text)
        if prefix is not None:
            category = prefix[0]
            # An unlinked related-links opening is a label only as a short line, not as
            # a sentence of the story ("More news from the engineers is expected ...").
            if category != "related" or density >= LABEL_LINK_SHARE or (
                size <= UNLINKED_LABEL_CHARS and not text.endswith((".", "!"))
            ):
                return prefix
    line = line_pattern(text)
    if line is not None and (line[0] != "caption" or not options.keep_captions):
        return line
    if not options.keep_captions and size <= CAPTION_CHARS and kind != "list_item":
        if CAPTION_RE.match(text):
            return ("caption", "pattern:caption")
        if (size <= CREDIT_CHARS and CREDIT_RE.search(text)
                and not text.rstrip().endswith((".", "?", "!"))
                and len(text.split()) <= CREDIT_WORDS):
            return ("caption", "pattern:credit")
    if size <= BYLINE_CHARS and kind != "list_item":
        if is_dateline(text):
            return ("dateline", "pattern:dateline")
        if BYLINE_RE.match(text) and _looks_like_names(text):
            return ("byline", "pattern:byline")
    if (kind in ("paragraph", "heading") and size < LINK_PARAGRAPH_CHARS
            and density >= LINK_PARAGRAPH_SHARE):
        if kind == "heading" and _links_within_page(block.element):
            # A section heading that links to itself or to the contents ("#section-2").
            return None
        return ("related", "links:paragraph")
    if kind == "paragraph" and size <= URL_LINE_CHARS and URL_LINE_RE.fullmatch(text):
        return ("boilerplate", "text:url")
    return None


def site_repeated(
    kept: Sequence[RawBlock], repeated: Mapping[str, RepeatedText], keep: frozenset[Element]
) -> tuple[list[RawBlock], list[Dropped]]:
    """The kept blocks without those whose text the page's site repeats on many pages
    (learned rules, :meth:`Options.repeated_for`), and those as removed.

    Runs on what every page-level rule kept and after the verdict, so it never
    changes whether a page is an article (a boilerplate line counted as prose
    there, and a page on the edge would flip), and never takes a block holding
    most of the kept text: that block is the article, whatever other pages say (a
    story republished whole). Elements of ``keep`` selectors stay. The rule names
    the learned share, so the explain report shows the evidence.
    """
    total = sum(len(block.text) for block in kept)
    left: list[RawBlock] = []
    dropped: list[Dropped] = []
    for block in kept:
        learned = repeated.get(block_key(block.text))
        if (learned is None or len(block.text) >= REPEATED_MOST_OF_ARTICLE * total
                or _is_kept(block.element, keep)):
            left.append(block)
        else:
            rule = f"site:repeated:{round(learned.share * 100)}%"
            dropped.append(Dropped("site", rule, block.element, block.text))
    return left, dropped


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
    """The summary under the headline, when the page declares it as its description
    (removed only when the caller asks: it is article text).

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
                verdicts[index] = ("standfirst", "standfirst:description")
            return
        if len(block.text) >= BODY_STARTED_CHARS:
            return


#: Elements that hold body text when nothing marks them (a paragraph, a page of <div>s).
_PLAIN_TEXT_TAGS = frozenset({"p", "div", "span", "font", "td", "center", "section"})


def _holds_more(el: Element, text: str) -> bool:
    """True when the element's text goes well beyond the block's (the block is its lead)."""
    return len(text_of(el)) > LEAD_TIMES * len(text) + LEAD_MARGIN_CHARS


#: Categories whose label marks its whole (small) box: "Sign up ..." heads a newsletter box.
_SPREADING = frozenset({"newsletter", "paywall", "related", "share", "comments", "tags"})


def _inside(el: Element, box: Element, *, whole: bool = False) -> bool:
    """True when ``el`` is ``box`` or within it (within BOX_DEPTH levels, unless ``whole``)."""
    if el is box:
        return True
    for depth, ancestor in enumerate(el.iterancestors()):
        if ancestor is box:
            return True
        if depth >= BOX_DEPTH and not whole:
            return False
    return False


def _spread_labels(
    blocks: list[RawBlock], verdicts: list[tuple[str, str] | None], roots: frozenset[Element]
) -> None:
    """A labelled block takes the rest of its small box with it.

    Not a related link opened by its label ("READ MORE: ..."): that is one
    line inserted in the flow, and the blocks beside it are the story's.
    """
    for index, block in enumerate(blocks):
        verdict = verdicts[index]
        if verdict is None or verdict[0] not in _SPREADING:
            continue
        if not verdict[1].startswith(("label:", "prefix:")) or verdict[1] == "prefix:related":
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
        if len(members) < 2 or len(members) > BOX_BLOCKS:
            continue
        if sum(len(blocks[i].text) for i in members) > BOX_TEXT:
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
    if not words or len(words) > BYLINE_NAME_WORDS:
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
        linked_items = sum(
            1 for item in items if item.link_chars >= LINKED_ITEM_SHARE * len(item.text)
        )
        if text and links >= LINK_LIST_SHARE * text and linked_items == len(items):
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
