"""Options: everything a caller can tune, as one frozen, picklable value.

Options travel with every call (no global configuration), so a process pool or
a cluster worker gets exactly what the caller asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


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

    def __post_init__(self) -> None:
        # Rule files and callers pass lists; store tuples so the rule stays hashable.
        for name in ("drop", "keep"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"SiteRule.{name} takes a sequence, not a single string")
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

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
        # Accept lists from callers and config files, store tuples so the value stays hashable.
        for name in ("drop", "keep", "site_rules"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"Options.{name} takes a sequence, not a single string")
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if self.max_bytes <= 0:
            raise ValueError("Options.max_bytes must be positive")

    def replace(self, **changes: Any) -> Options:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def rules_for(self, host: str | None) -> tuple[SiteRule, ...]:
        return tuple(rule for rule in self.site_rules if rule.matches(host))


DEFAULT_OPTIONS = Options()

__all__ = ["DEFAULT_OPTIONS", "Options", "SiteRule"]
