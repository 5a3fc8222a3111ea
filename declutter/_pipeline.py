"""The pipeline: decode → parse → prune → locate → filter blocks → render.

``run()`` is the whole of declutter in one screen; each stage lives in the
module named for its job.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import replace
from typing import NamedTuple

from lxml import etree

from ._article import Article, Block, Removal
from ._decode import decode
from ._fallback import fallback_blocks
from ._filter import BLOCK_TAGS, Dropped, RawBlock, Segments, judge, segment
from ._locate import Region, locate
from ._metadata import declared_kind, description, headline, host_of, read_metadata
from ._options import DEFAULT_OPTIONS, Options
from ._parse import Element, parse
from ._prune import Page, prune
from ._render import render_text
from ._rules import ERROR_TITLE_RE, SILENT_TAGS

#: Below this confidence the trafilatura fallback is asked for a second opinion.
FALLBACK_BELOW = 0.35
_WORD_RE = re.compile(r"\w+")
#: Less text than this is not an article, whatever the page says.
_MIN_ARTICLE_CHARS = 80


def run(html: object, url: str | None, options: Options | None, *, full: bool) -> Article:
    """Extract one page. ``full`` adds metadata, block paths and removal records."""
    options = _checked(url, options)
    root = parse(decode(html, options.max_bytes))
    if root is None:
        return Article(text="", url=url)
    first = _own_pass(root, options, url, thorough=False)
    if first.confidence < FALLBACK_BELOW:  # unsure: loosen the guards, then ask trafilatura
        second = _own_pass(root, options, url, thorough=True)
        first = second if second.confidence > first.confidence else first
    page, region, title, segments, kept, dropped, confidence = first
    used_fallback = False
    if confidence < FALLBACK_BELOW and options.fallback:
        kept, dropped, used_fallback = _second_opinion(
            page, url, options, title, kept, dropped
        )
    is_article = _is_article(kept, dropped, page, title, used_fallback)
    if options.articles_only and not is_article:
        kept = []
    blocks = _blocks(kept, page if full else None)
    body = render_text(blocks, title if options.include_title and blocks else None)
    if not full:
        return Article(text=body, title=title, blocks=blocks, is_article=is_article,
                       confidence=confidence, fallback=used_fallback, url=url)
    metadata = read_metadata(page, url)
    return Article(
        text=body,
        title=metadata.title or title,
        authors=metadata.authors,
        published=metadata.published,
        site_name=metadata.site_name,
        language=metadata.language,
        url=metadata.url,
        description=metadata.description,
        blocks=blocks,
        removed=_removals(page, region, dropped, segments.removed_tables),
        is_article=is_article,
        confidence=round(confidence, 3),
        fallback=used_fallback,
    )


class _Pass(NamedTuple):
    """What one pass of our own stages found."""

    page: Page
    region: Region | None
    title: str | None
    segments: Segments
    kept: list[RawBlock]
    dropped: list[Dropped]
    confidence: float


def _own_pass(root: Element, options: Options, url: str | None, *, thorough: bool) -> _Pass:
    """prune → locate → filter blocks, once."""
    page = prune(root, options, host_of(url), thorough=thorough)
    region = locate(page)
    title, standfirst = headline(page), description(page)
    segments = segment(page, region.elements if region else (), options)
    kept, dropped = judge(segments.blocks, options, title, standfirst, page.kept, region)
    return _Pass(page, region, title, segments, kept, dropped, _confidence(kept, region))


def _checked(url: object, options: object) -> Options:
    if url is not None and not isinstance(url, str):
        raise TypeError(f"url must be str or None, not {type(url).__name__}")
    if options is not None and not isinstance(options, Options):
        raise TypeError(f"options must be declutter.Options, not {type(options).__name__}")
    return options or DEFAULT_OPTIONS


def _second_opinion(
    page: Page,
    url: str | None,
    options: Options,
    title: str | None,
    kept: list[RawBlock],
    dropped: list[Dropped],
) -> tuple[list[RawBlock], list[Dropped], bool]:
    """Ask trafilatura when our locator is unsure, on the page less what we pruned.

    Its blocks are judged by the same block rules as ours (headline,
    labels, captions), and used only when they bring clearly more text.
    """
    rescued = fallback_blocks(_pruned_html(page), url)
    if not rescued:
        return kept, dropped, False
    body = page.root.find("body")
    owner = body if body is not None else page.root
    raw = [
        RawBlock(block.kind, block.text, owner, 0, block.level, block.list_id, block.ordered)
        for block in rescued
        if block.kind != "table" or options.keep_tables
    ]
    # No standfirst test: without its element, a first paragraph that repeats the
    # page's description cannot be told from a dek.
    rescued_kept, rescued_dropped = judge(raw, options, title, None, page.kept, None)
    rescued_kept = _in_page_order(rescued_kept, owner, rescued_dropped)
    # Fallback paragraphs stand for no single element of the page.
    rescued_dropped = [replace(item, element=None) for item in rescued_dropped]
    if sum(len(b.text) for b in rescued_kept) <= 1.5 * sum(len(b.text) for b in kept):
        return kept, dropped, False
    # Our own removals stand (and still tell a teaser list from an article).
    return rescued_kept, dropped + rescued_dropped, True


def _in_page_order(
    blocks: list[RawBlock], body: Element, dropped: list[Dropped]
) -> list[RawBlock]:
    """The blocks whose words stand in the page's text, in the page's order.

    trafilatura may move a ``<main>`` ahead of what precedes it or add text
    the page does not show; declutter's output never reorders or adds a word.
    """
    page_words = " " + " ".join(_WORD_RE.findall(_laid_out_text(body))) + " "
    spans: list[tuple[int, int]] = []  # (start, end) in page_words, or (-1, -1)
    for block in blocks:
        words = " " + " ".join(_WORD_RE.findall(block.text)) + " "
        start = page_words.find(words) if len(words) > 2 else -1
        spans.append((start, start + len(words) - 1) if start >= 0 else (-1, -1))
    # The heaviest chain of blocks whose places in the page follow each other.
    weight = [0] * len(blocks)
    before = [-1] * len(blocks)
    for i, (start, _) in enumerate(spans):
        if start < 0:
            continue
        weight[i] = len(blocks[i].text)
        for j in range(i):
            chained = weight[j] + len(blocks[i].text)
            if spans[j][0] >= 0 and spans[j][1] <= start and chained > weight[i]:
                weight[i], before[i] = chained, j
    chain: set[int] = set()
    if blocks and max(weight) > 0:
        index = max(range(len(blocks)), key=weight.__getitem__)
        while index >= 0:
            chain.add(index)
            index = before[index]
    kept: list[RawBlock] = []
    for index, block in enumerate(blocks):
        if index in chain:
            kept.append(block)
        else:
            dropped.append(Dropped("outside", "fallback:out-of-order", block.element, block.text))
    return kept


def _laid_out_text(body: Element) -> str:
    """The text of an element with a space where a block or a line break separates words:
    ``<li>a</li><li>b</li>`` and ``a<br>b`` are two words each, as in trafilatura's output."""
    parts: list[str] = []
    for event, el in etree.iterwalk(body, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if not isinstance(tag, str):
                continue
            if tag == "br" or tag in BLOCK_TAGS:
                parts.append(" ")
            if el.text:
                parts.append(el.text)
        else:
            if isinstance(tag, str) and tag in BLOCK_TAGS:
                parts.append(" ")
            if el.tail and el is not body:
                parts.append(el.tail)
    return "".join(parts)


#: What the fallback never sees: what the caller removed, and chrome whose markup is
#: unambiguous. Layout and ad names (sidebar, widget, "paywall", "ad-wrapper") stay: when
#: our locator is unsure, one of them may be wrapped around the article, which is why
#: the fallback is asked.
_NEVER_SHOWN = frozenset({"user", "hidden", "newsletter", "cookie", "comments"})
_STYLE = "translate(@style, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ \t\n', 'abcdefghijklmnopqrstuvwxyz')"
_HIDDEN = etree.XPath(
    f"//*[@hidden or contains({_STYLE}, 'display:none') or contains({_STYLE}, 'visibility:hidden')]"
)


def _pruned_html(page: Page) -> str:
    """The page as markup, without what the fallback must not bring back."""
    removed = [el for el, (category, _) in page.dropped.items() if category in _NEVER_SHOWN]
    # Hidden elements inside chrome the walk did not enter (an ad slot) are hidden too.
    hidden = _HIDDEN(page.root)
    if isinstance(hidden, list):  # a node-set expression: always a list of elements
        removed += [el for el in hidden if isinstance(el, etree._Element)]
    if not removed:
        # From the tree, not the caller's text: the parse stage cut tags of thousands
        # of attributes, which would cost trafilatura's own parse minutes.
        return etree.tostring(page.root, encoding="unicode", method="html")
    # Found again in the copy by child positions, not XPath: tag names such as <o:p>
    # are no XPath names. Deepest and last first, so earlier positions stay valid.
    chosen = set(removed)
    outermost = [
        el for el in chosen if not any(ancestor in chosen for ancestor in el.iterancestors())
    ]
    routes = sorted(
        (route for el in outermost if (route := _route(el, page.root)) is not None),
        reverse=True,
    )
    copy = deepcopy(page.root)
    for route in routes:
        node = copy
        for index in route:
            node = node[index]
        _detach(node)
    return etree.tostring(copy, encoding="unicode", method="html")


def _route(el: Element, root: Element) -> list[int] | None:
    """Child positions from the root down to an element; None when it is not under root
    (broken markup can leave elements beside the root element)."""
    route: list[int] = []
    parent = el.getparent()
    while parent is not None:
        route.append(parent.index(el))
        el, parent = parent, parent.getparent()
    if el is not root:
        return None
    route.reverse()
    return route


def _detach(el: Element) -> None:
    """Remove an element but not the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _blocks(kept: list[RawBlock], page: Page | None) -> tuple[Block, ...]:
    """The public blocks; with their element's XPath when a page is given (extract())."""
    getpath = page.root.getroottree().getpath if page is not None else None
    return tuple(
        Block(raw.kind, raw.text, raw.level, raw.list_id, raw.ordered,
              getpath(raw.element) if getpath is not None else "")
        for raw in kept
    )


def _confidence(blocks: list[RawBlock], region: Region | None) -> float:
    """How sure we are that the kept text is the article: enough text, most of the page's."""
    if region is None or not blocks:
        return 0.0
    kept = sum(len(block.text) for block in blocks)
    share = kept / region.page_text if region.page_text else 1.0
    return min(1.0, kept / 500) * (0.5 + 0.5 * min(1.0, share / 0.5))


def _is_article(
    blocks: list[RawBlock],
    dropped: list[Dropped],
    page: Page,
    title: str | None,
    used_fallback: bool,
) -> bool:
    """One article, as opposed to a home page, section front, search or error page.

    Pages with some text are articles unless they say otherwise: a declared
    listing type, an error headline, or a body of teasers (headline links and
    cut-off summaries) rather than paragraphs.
    """
    prose = [block for block in blocks if block.kind in ("paragraph", "quote", "preformatted")]
    chars = sum(len(block.text) for block in blocks)
    if chars < _MIN_ARTICLE_CHARS:
        return False
    long_paragraphs = sum(1 for block in prose if len(block.text) >= 150)
    if title and ERROR_TITLE_RE.search(title) and chars < 1500:
        return False
    declared = declared_kind(page)
    if declared == "article":
        return True
    if declared == "listing" and long_paragraphs < 3:
        return False
    # A "website" page needs prose of its own; text only the fallback found needs more.
    if declared == "website" and long_paragraphs < (3 if used_fallback else 1):
        return False
    # A headline link is a teaser; a bare "link" or "more" is not.
    teasers = sum(1 for item in dropped if item.rule == "links:paragraph" and len(item.text) >= 20)
    teasers += len({
        item.element.getparent()
        for item in dropped
        if item.rule == "links:list" and item.element is not None
    })
    teasers += sum(1 for block in prose if block.text.endswith(("…", "...")))
    # Teasers outnumbering the prose make a listing, unless the prose is an article's:
    # a story of three long paragraphs may well carry a few lists of related links.
    return not (teasers >= 4 and teasers >= len(prose) and long_paragraphs < 3)


def _excerpt(el: Element, limit: int = 100) -> str:
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        parts.append(str(piece))
        size += len(piece)
        if size > 4 * limit:
            break
    text = " ".join("".join(parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _removals(
    page: Page, region: Region | None, dropped: list[Dropped], removed_tables: list[Element],
) -> tuple[Removal, ...]:
    """One record per removed element, in page order, with its XPath."""
    tree = page.root.getroottree()
    records: list[tuple[Element | None, Removal]] = []
    seen: set[Element] = set()

    def add(el: Element, category: str, rule: str, excerpt: str | None = None) -> None:
        text = _short(excerpt if excerpt is not None else _excerpt(el))
        records.append((el, Removal(category, rule, text, tree.getpath(el), str(el.tag))))

    for el, (category, rule) in page.dropped.items():
        seen.add(el)
        add(el, category, rule)
    if region is not None:
        inside = set(region.elements)
        node: Element | None = region.elements[0]
        while node is not None:
            parent = node.getparent()
            if parent is None:
                break
            for sibling in parent:
                if (sibling is node or sibling in inside or sibling in seen
                        or not isinstance(sibling.tag, str) or sibling.tag in SILENT_TAGS):
                    continue
                excerpt = _excerpt(sibling)
                if excerpt:
                    add(sibling, "outside", "locate:outside", excerpt)
            node = parent
    for el in removed_tables:
        add(el, "user", "option:keep_tables")
    for item in dropped:
        if item.element is not None:
            add(item.element, item.category, item.rule, item.text)
        else:
            records.append((None, Removal(item.category, item.rule, _short(item.text), "", "")))
    targets = {el for el, _ in records}
    order: dict[Element, int] = {}
    for position, el in enumerate(page.root.iter()):
        if el in targets:
            order[el] = position
    # Records without an element (fallback paragraphs) come last, in their own order.
    records.sort(key=lambda pair: order.get(pair[0], 0) if pair[0] is not None else len(order))
    return tuple(record for _, record in records)


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
