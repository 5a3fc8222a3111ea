"""The pipeline: decode → parse → prune → locate → filter blocks → render.

``run()`` is the whole of declutter in one screen; each stage lives in the
module named for its job.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy

from lxml import etree
from lxml.html import HtmlElement

from ._article import Article, Block, Removal
from ._decode import decode
from ._fallback import fallback_blocks
from ._filter import Dropped, RawBlock, judge, segment
from ._locate import Region, locate
from ._metadata import declared_kind, description, headline, host_of, read_metadata
from ._options import DEFAULT_OPTIONS, Options
from ._parse import parse
from ._prune import Page, prune
from ._render import render_text
from ._rules import ERROR_TITLE_RE

#: Below this confidence the trafilatura fallback is asked for a second opinion.
FALLBACK_BELOW = 0.35
#: Less text than this is not an article, whatever the page says.
_MIN_ARTICLE_CHARS = 80


def run(html: object, url: str | None, options: Options | None, *, full: bool) -> Article:
    """Extract one page. ``full`` adds metadata and removal records (``extract()``)."""
    options = options or DEFAULT_OPTIONS
    text = decode(html, options.max_bytes)
    root = parse(text)
    if root is None:
        return Article(text="", url=url)
    page = prune(root, options, host_of(url))
    region = locate(page)
    title = headline(page)
    raw: list[RawBlock] = []
    removed_tables: list[HtmlElement] = []
    if region is not None:
        segments = segment(page, region.elements, options)
        raw, removed_tables = segments.blocks, segments.removed_tables
    roots = region.elements if region is not None else ()
    kept, dropped = judge(raw, options, title, description(page), page.kept, roots)
    getpath = page.root.getroottree().getpath if full else None
    blocks = tuple(_block(block, getpath) for block in kept)
    confidence = _confidence(blocks, region)
    used_fallback = False
    if confidence < FALLBACK_BELOW and options.fallback:
        rescued = fallback_blocks(_without_user_drops(page, text), url)
        if rescued and sum(len(b.text) for b in rescued) > 1.5 * sum(len(b.text) for b in blocks):
            blocks, used_fallback = rescued, True
    is_article = _is_article(blocks, dropped, page, title)
    if options.articles_only and not is_article:
        blocks = ()
    body = render_text(blocks, title if options.include_title and blocks else None)
    if not full:
        return Article(text=body, title=title, blocks=blocks, is_article=is_article,
                       confidence=confidence, fallback=used_fallback, url=url)
    metadata = read_metadata(page, url)
    removals = _removals(page, region, dropped, removed_tables)
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
        removed=removals,
        is_article=is_article,
        confidence=round(confidence, 3),
        fallback=used_fallback,
    )


def _without_user_drops(page: Page, text: str) -> str:
    """The page for the fallback, less what the caller's own rules removed."""
    removed = [el for el, (category, _) in page.dropped.items() if category == "user"]
    if not removed:
        return text
    tree = page.root.getroottree()
    paths = [tree.getpath(el) for el in removed]
    copy = deepcopy(page.root)
    for path in paths:
        for el in copy.getroottree().xpath(path):
            _detach(el)
    return etree.tostring(copy, encoding="unicode")


def _detach(el: HtmlElement) -> None:
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


def _block(raw: RawBlock, getpath: Callable[[HtmlElement], str] | None) -> Block:
    path = getpath(raw.element) if getpath is not None else ""
    return Block(raw.kind, raw.text, raw.level, raw.list_id, raw.ordered, path)


def _confidence(blocks: tuple[Block, ...], region: Region | None) -> float:
    """How sure we are that the kept text is the article: enough text, most of the page's."""
    if region is None or not blocks:
        return 0.0
    kept = sum(len(block.text) for block in blocks)
    share = kept / region.page_text if region.page_text else 1.0
    return min(1.0, kept / 500) * (0.5 + 0.5 * min(1.0, share / 0.5))


def _is_article(
    blocks: tuple[Block, ...], dropped: list[Dropped], page: Page, title: str | None
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
    if declared == "website" and long_paragraphs == 0:
        return False
    # A headline link is a teaser; a bare "link" or "more" is not.
    teasers = sum(1 for item in dropped if item.rule == "links:paragraph" and len(item.text) >= 20)
    teasers += len({item.element.getparent() for item in dropped if item.rule == "links:list"})
    teasers += sum(1 for block in prose if block.text.endswith(("…", "...")))
    return not (teasers >= 4 and teasers >= len(prose))


def _excerpt(el: HtmlElement, limit: int = 100) -> str:
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        parts.append(piece)
        size += len(piece)
        if size > 4 * limit:
            break
    text = " ".join("".join(parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _removals(
    page: Page, region: Region | None, dropped: list[Dropped], removed_tables: list[HtmlElement],
) -> tuple[Removal, ...]:
    """One record per removed element, in page order, with its XPath."""
    tree = page.root.getroottree()
    records: list[tuple[HtmlElement, Removal]] = []
    seen: set[HtmlElement] = set()

    def add(el: HtmlElement, category: str, rule: str, excerpt: str | None = None) -> None:
        path = tree.getpath(el)
        text = excerpt if excerpt is not None else _excerpt(el)
        if len(text) > 100:
            text = text[:99].rstrip() + "…"
        records.append((el, Removal(category, rule, text, path, str(el.tag))))

    for el, (category, rule) in page.dropped.items():
        seen.add(el)
        add(el, category, rule)
    if region is not None:
        inside = set(region.elements)
        node: HtmlElement | None = region.elements[0]
        while node is not None:
            parent = node.getparent()
            if parent is None:
                break
            for sibling in parent:
                if (sibling is node or sibling in inside or sibling in seen
                        or not isinstance(sibling.tag, str)):
                    continue
                excerpt = _excerpt(sibling)
                if excerpt:
                    add(sibling, "outside", "locate:outside", excerpt)
            node = parent
    for el in removed_tables:
        add(el, "user", "option:keep_tables")
    for item in dropped:
        add(item.element, item.category, item.rule, item.text)
    targets = {el for el, _ in records}
    order: dict[HtmlElement, int] = {}
    for position, el in enumerate(page.root.iter()):
        if el in targets:
            order[el] = position
    records.sort(key=lambda pair: order.get(pair[0], 0))
    return tuple(record for _, record in records)
