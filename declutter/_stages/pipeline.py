"""The pipeline: decode → parse → prune → locate → filter blocks → render.

``run()`` is the whole of declutter in one screen; each stage lives in the
module named for its job, and each hands the next an immutable result.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from declutter._formats.render import render_text
from declutter._model.article import Article, Block
from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter._rules.thresholds import (
    FALLBACK_BELOW,
)
from declutter._stages.comments import read_comments
from declutter._stages.confidence import confidence, reported
from declutter._stages.decode import clean_text, decode
from declutter._stages.extraction import Extraction
from declutter._stages.filter import Dropped, judge, site_repeated
from declutter._stages.links import page_base, resolved
from declutter._stages.liveblog import with_time_lines
from declutter._stages.locate import locate, standfirst
from declutter._stages.metadata import declarations, host_of, read_metadata
from declutter._stages.parse import Element, adopt, is_tree, parse, text_of
from declutter._stages.paths import Paths
from declutter._stages.prune import PrunedPage, prune
from declutter._stages.removals import removals
from declutter._stages.second_opinion import second_opinion
from declutter._stages.segment import RawBlock, segment
from declutter._stages.verdict import is_article, settled_elsewhere


def run(html: object, url: str | None, options: Options | None, *, full: bool) -> Article:
    """Extract one page. ``full`` adds metadata, block paths and removal records."""
    options = _checked(url, options)
    if is_tree(html):  # a page the caller parsed: read as it is, not written out again
        root = adopt(html)
        try:
            return _extract(root, url, options, full=full, foreign=True)
        except RecursionError:  # nested deeper than our own parse ever builds a tree
            html = etree.tostring(root, encoding="unicode", method="html") if root else ""
    return _extract(parse(decode(html, options.max_bytes)), url, options, full=full)


def _extract(
    root: Element | None, url: str | None, options: Options, *, full: bool, foreign: bool = False
) -> Article:
    """prune → locate → filter blocks, loosened and then a second opinion when unsure,
    then the verdict and the rendering."""
    if root is None:
        return Article(text="", url=url)
    found = _own_pass(root, options, url, thorough=False, inline=full)
    if found.confidence < FALLBACK_BELOW:  # unsure: loosen the guards, then ask trafilatura
        second = _own_pass(root, options, url, thorough=True, inline=full)
        found = second if second.confidence > found.confidence else found
        if found.confidence < FALLBACK_BELOW and options.fallback and (
            not options.articles_only or not settled_elsewhere(found)
        ):
            found = second_opinion(found, url, options)
    found = with_time_lines(found)
    article = is_article(found)
    found = _forget_repeated(found, options, url)
    kept = found.kept if article or not options.articles_only else ()
    title = found.declared.headline
    if not full:
        blocks = _blocks(kept, None, foreign=foreign)
        body = render_text(blocks, title if options.include_title and blocks else None)
        sure = reported(found.confidence, sum(len(block.text) for block in blocks))
        return Article(text=body, title=title, blocks=blocks, is_article=article,
                       confidence=sure, fallback=found.fallback, url=url)
    metadata = read_metadata(found.page, found.declared, url)
    base = page_base(found.page.root, url or metadata.url)
    blocks = _blocks(kept, found.page, foreign=foreign, base=base)
    body = render_text(blocks, title if options.include_title and blocks else None)
    sure = reported(found.confidence, sum(len(block.text) for block in blocks))
    return replace(
        metadata, text=body, blocks=blocks,
        removed=removals(found), is_article=article, confidence=round(sure, 3),
        fallback=found.fallback,
        comments=read_comments(found.page) if options.keep_comments else None,
    )


def _own_pass(
    root: Element, options: Options, url: str | None, *, thorough: bool, inline: bool = False
) -> Extraction:
    """prune → read the declarations → locate → filter blocks, once (``inline``: with the
    blocks' links and formatting, which only ``extract()`` returns)."""
    # Comment sections go as chrome whatever the options: comments are read apart from
    # them (read_comments), so the body is the same with and without them.
    pruning = options.replace(keep_comments=False) if options.keep_comments else options
    page = prune(root, pruning, host_of(url), thorough=thorough)
    declared = declarations(page)
    region = locate(page, declared.article_body)
    dek = standfirst(region, page, declared.description)
    if dek is not None and region is not None and options.include_standfirst:
        region = replace(region, elements=(dek, *region.elements))  # article text
    segments = segment(page, region.elements if region else (), options, inline=inline)
    kept, dropped = judge(
        segments.blocks, options, declared.headline, declared.description, page.kept, region
    )
    if dek is not None and not options.include_standfirst:
        dropped.append(Dropped("standfirst", "standfirst:before-body", dek, text_of(dek)))
    return Extraction(
        page, declared, region, tuple(kept), tuple(dropped), tuple(segments.removed_tables),
        confidence(kept, region, page),
    )


def _forget_repeated(found: Extraction, options: Options, url: str | None) -> Extraction:
    """Site memory: the kept blocks the page's site repeats on its pages (learned rules)
    go, once the verdict is in. Not from the fallback's text, whose blocks stand for no
    element of the page."""
    repeated = options.repeated_for(host_of(url)) if options.site_rules else {}
    if not repeated or found.fallback or not found.kept:
        return found
    kept, dropped = site_repeated(found.kept, repeated, found.page.kept)
    if not dropped:
        return found
    return replace(found, kept=tuple(kept), dropped=(*found.dropped, *dropped))


def _checked(url: object, options: object) -> Options:
    if url is not None and not isinstance(url, str):
        raise TypeError(f"url must be str or None, not {type(url).__name__}")
    if options is not None and not isinstance(options, Options):
        raise TypeError(f"options must be declutter.Options, not {type(options).__name__}")
    return options or DEFAULT_OPTIONS


def _blocks(
    kept: tuple[RawBlock, ...], page: PrunedPage | None, *, foreign: bool = False,
    base: str | None = None,
) -> tuple[Block, ...]:
    """The public blocks; with their element's XPath and their marks (links resolved
    against ``base``) when a page is given (extract()).

    ``foreign``: the tree came from the caller's parser, whose text may still hold the
    control characters our decode stage removes from every page we parse ourselves.
    """
    getpath = Paths(page.root) if page is not None else None
    blocks = []
    for raw in kept:
        text = clean_text(raw.text) if foreign else raw.text
        # Cleaning moved the characters the marks count: the text wins, the marks go.
        spans = raw.marks.of(raw.mark_index) if raw.marks is not None else ()
        marks = resolved(spans, base) if spans and text == raw.text else ()
        blocks.append(Block(raw.kind, text, raw.level, raw.list_id, raw.ordered,
                            getpath(raw.element) if getpath is not None else "", marks))
    return tuple(blocks)
