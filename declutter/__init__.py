"""declutter: the article text of a news page, without the boilerplate.

>>> import declutter
>>> declutter.clean("<article><p>Body text of the story, long enough to count.</p></article>",
...                 options=declutter.Options(articles_only=False))
'Body text of the story, long enough to count.'
"""

from __future__ import annotations

from ._article import BLOCK_KINDS, CATEGORIES, Article, Block, Removal
from ._errors import DeclutterError, InputTooLargeError, NotHTMLError, RuleError
from ._explain import explain_html
from ._options import Options, SiteRule
from ._pipeline import run
from ._rulefile import RuleSet, load_rules, parse_rules
from .bulk import BulkSummary, run_bulk
from .cluster import DaskExecutor
from .warc import WarcPage, WarcReader, extract_warc, run_warc_bulk

__version__ = "0.1.0"

__all__ = [
    "BLOCK_KINDS",
    "CATEGORIES",
    "Article",
    "Block",
    "BulkSummary",
    "DaskExecutor",
    "DeclutterError",
    "InputTooLargeError",
    "NotHTMLError",
    "Options",
    "Removal",
    "RuleError",
    "RuleSet",
    "SiteRule",
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


def clean(html: str | bytes, *, url: str | None = None, options: Options | None = None) -> str:
    """The article body of a page as plain text; "" when the page has no article.

    Paragraphs are separated by one blank line. ``html`` may be ``str`` or
    ``bytes`` (decoded by BOM, declared charset, then detection).
    """
    return run(html, url, options, full=False).text


def extract(
    html: str | bytes, *, url: str | None = None, options: Options | None = None
) -> Article:
    """The article with its metadata, its blocks and a record of every removal."""
    return run(html, url, options, full=True)
