"""declutter: the article text of a news page, without the boilerplate.

>>> import declutter
>>> declutter.clean("<article><p>Body text of the story, long enough to count.</p></article>",
...                 options=declutter.Options(articles_only=False))
'Body text of the story, long enough to count.'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from declutter._model.article import CATEGORIES, Article, Removal
from declutter._model.block import BLOCK_KINDS, SPAN_KINDS, Block, Comment, Span
from declutter._model.errors import DeclutterError, InputTooLargeError, NotHTMLError, RuleError
from declutter._model.lazy import lazy_names
from declutter._model.options import Options, RepeatedText, SiteRule
from declutter._rules.sitefile import RuleSet, load_rules, parse_rules
from declutter._stages.pipeline import run
from declutter._version import __version__

if TYPE_CHECKING:
    from lxml import etree

    from declutter._report.explain import explain_html
    from declutter.bulk import BulkSummary, run_bulk
    from declutter.bulk.run import run_warc_bulk
    from declutter.cluster import DaskExecutor
    from declutter.warc import WarcPage, WarcReader, extract_warc

#: Names whose modules load on first use: a page piped through the command line, or a
#: bulk worker, never pays for the report builder, Dask or WARC support it does not use.
_LAZY = {
    "explain_html": "declutter._report.explain",
    "BulkSummary": "declutter.bulk",
    "run_bulk": "declutter.bulk",
    "DaskExecutor": "declutter.cluster",
    "WarcPage": "declutter.warc",
    "WarcReader": "declutter.warc",
    "extract_warc": "declutter.warc",
    "run_warc_bulk": "declutter.bulk.run",
}


__getattr__ = lazy_names(globals(), _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "BLOCK_KINDS",
    "CATEGORIES",
    "SPAN_KINDS",
    "Article",
    "Block",
    "BulkSummary",
    "Comment",
    "DaskExecutor",
    "DeclutterError",
    "InputTooLargeError",
    "NotHTMLError",
    "Options",
    "Removal",
    "RepeatedText",
    "RuleError",
    "RuleSet",
    "SiteRule",
    "Span",
    "WarcPage",
    "WarcReader",
    "__version__",
    "clean",
    "explain_html",
    "extract",
    "extract_warc",
    "load_rules",
    "parse_rules",
    "run_bulk",
    "run_warc_bulk",
]


#: What ``clean()`` and ``extract()`` read: the page's markup, or the page already parsed
#: (an lxml element or tree, from lxml.html, Scrapy or parsel's ``Selector.root``).
Page = Union[str, bytes, "etree._Element", "etree._ElementTree"]


def clean(html: Page, *, url: str | None = None, options: Options | None = None) -> str:
    """The article body of a page as plain text; "" when the page has no article.

    Paragraphs are separated by one blank line. ``html`` may be ``str`` or
    ``bytes`` (decoded by BOM, declared charset, then detection), or a tree the
    caller parsed, read as it is (the same text as for its markup, without
    writing it out again; the tree is never changed).
    """
    return run(html, url, options, full=False).text


def extract(html: Page, *, url: str | None = None, options: Options | None = None) -> Article:
    """The article with its metadata, its blocks and a record of every removal."""
    return run(html, url, options, full=True)
