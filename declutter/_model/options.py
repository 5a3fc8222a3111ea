"""Options: everything a caller can tune, as one frozen, picklable value.

Options travel with every call (no global configuration), so a process pool or
a cluster worker gets exactly what the caller asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def block_key(text: str) -> str:
    """A block's text as site memory compares it: white space collapsed, nothing else.

    Learning and applying must agree exactly, or a learned line never matches again;
    one function for both keeps them agreeing. Case and punctuation stay: a tagline
    that changes wording is a different line, and a reviewer should see it as one.
    """
    return " ".join(text.split())


@dataclass(frozen=True)
class RepeatedText:
    """A block text a site repeats on many of its pages (learned by ``declutter learn``).

    ``pages``, ``share`` and ``example`` say where the evidence came from, so a person
    reviewing the rules file can judge the line; only ``text`` decides what is removed.
    """

    text: str
    #: Pages of the site the text was kept on, when learned.
    pages: int = 0
    #: Those pages' share of the site's article pages, 0 to 1.
    share: float = 0.0
    #: One page it was seen on (its address, or its name in the crawl).
    example: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", block_key(self.text))


@dataclass(frozen=True)
class SiteRule:
    """Extra rules for one site, matched on the page URL's host name.

    ``domain`` matches the host and its subdomains (``example.com`` matches
    ``www.example.com``). Selectors are CSS, or XPath when they start with ``/``
    or ``(``.
    """

    domain: str
    drop: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    body: str | None = None
    #: Block texts the site repeats on many pages: removed where they are not the article.
    repeated: tuple[RepeatedText, ...] = ()

    def __post_init__(self) -> None:
        _store_tuples(self, ("drop", "keep", "repeated"))

    def matches(self, host: str | None) -> bool:
        if not host:
            return False
        host = host.lower().rstrip(".")
        domain = self.domain.lower().lstrip(".")
        return host == domain or host.endswith("." + domain)


@dataclass(frozen=True)
class Options:
    """How :func:`declutter.clean` and :func:`declutter.extract` behave.

    The defaults are what a news-text collector wants: body paragraphs only.
    """

    #: Put the page title on top of the text, followed by a blank line.
    include_title: bool = False
    #: Keep the standfirst (the summary under the headline) as the first paragraph, when
    #: the page shows one: it is article text. False removes it as ``standfirst``.
    include_standfirst: bool = True
    #: Keep image and video captions and credits instead of removing them.
    keep_captions: bool = False
    #: Keep data tables of the article (rows as lines, cells separated by a tab).
    keep_tables: bool = True
    #: Keep reader comments (removed by default).
    keep_comments: bool = False
    #: When the page is not one article (home page, section front, search page),
    #: ``clean()`` returns "" unless this is False, which returns the best text found.
    articles_only: bool = True
    #: Let trafilatura extract the pages where declutter's own locator is not confident.
    fallback: bool = True
    #: Extra selectors (CSS, or XPath starting with "/" or "(") whose elements are removed.
    drop: tuple[str, ...] = ()
    #: Selectors whose elements are kept even when a rule would remove them.
    keep: tuple[str, ...] = ()
    #: Per-site rules, applied when the page URL matches their domain.
    site_rules: tuple[SiteRule, ...] = ()
    #: Inputs larger than this many bytes (UTF-8 for ``str``) are refused.
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Keep links in the blocks' marks (``extract()``), for Markdown, HTML, XML and TEI.
    #: The plain text never changes with this or the next two.
    include_links: bool = True
    #: Keep emphasis, strong text and inline code in the blocks' marks.
    include_formatting: bool = True
    #: Keep images (address and alt text) in the blocks' marks, where captions are kept
    #: (``keep_captions``): an image without its caption tells a reader little.
    include_images: bool = True

    def __post_init__(self) -> None:
        _store_tuples(self, ("drop", "keep", "site_rules"))
        if self.max_bytes <= 0:
            raise ValueError("Options.max_bytes must be positive")

    def replace(self, **changes: Any) -> Options:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def rules_for(self, host: str | None) -> tuple[SiteRule, ...]:
        return tuple(rule for rule in self.site_rules if rule.matches(host))

    def repeated_for(self, host: str | None) -> dict[str, RepeatedText]:
        """The learned repeated texts of the page's site, by :func:`block_key`."""
        found: dict[str, RepeatedText] = {}
        for rule in self.rules_for(host):
            for item in rule.repeated:
                found.setdefault(item.text, item)
        return found



def _store_tuples(value: Any, names: tuple[str, ...]) -> None:
    """Fields given as lists (by callers, rule files, config) stored as tuples, so a frozen
    value stays hashable and picklable as it is; a lone string is refused, since it would
    pass as a sequence of one-letter selectors."""
    kind = type(value).__name__
    for name in names:
        given = getattr(value, name)
        if isinstance(given, str):
            raise TypeError(f"{kind}.{name} takes a sequence, not a single string")
        if not isinstance(given, tuple):
            object.__setattr__(value, name, tuple(given))


DEFAULT_OPTIONS = Options()

__all__ = ["DEFAULT_OPTIONS", "Options", "RepeatedText", "SiteRule", "block_key"]
