"""Site memory: learn, from a crawl, the block texts each site repeats on its pages.

Page-level rules judge one page at a time, so a site's tagline, its "support our
journalism" line or its standing correction notice, written as an ordinary
paragraph inside the article, is kept on every page. Across a crawl it gives itself
away: the same text on a third of a site's stories is the site's, not the story's.

Learning is a map and a reduce. The map is a bulk run (:func:`~declutter.bulk.run_bulk`,
so every input it reads, the local pool or a cluster, and a failing page costs only
itself): each page is extracted as usual and its kept blocks come back. The reduce,
in this process as results arrive, counts each distinct block text once per page, per
site. What a site repeats becomes a :class:`~declutter.SiteRule` with ``repeated``
texts, written as a rules file (docs/rules.md) a person reviews before using it with
``--rules``: learned rules are more of the same data, never a hidden state.

The site of a page is the registrable domain of its address (``news.example.co.uk``
is ``example.co.uk``): a tagline is the publisher's, whatever the subdomain. Pages
without an address are placed by the one their markup states (``guess_url``), and
left out when they state none.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from declutter._model.options import DEFAULT_OPTIONS, Options, RepeatedText, SiteRule, block_key
from declutter._rules.sitefile import RuleSet, rules_toml
from declutter._rules.thresholds import LEARN_MIN_COUNT, LEARN_MIN_PAGES, LEARN_MIN_SHARE
from declutter.bulk.execution.executors import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, Executor
from declutter.bulk.progress import Progress
from declutter.bulk.run import run_bulk
from declutter.bulk.sinks.records import write_atomically
from declutter.bulk.sources.base import PageSource
from declutter.bulk.sources.choose import open_source
from declutter.bulk.summary import BulkSummary
from declutter.bulk.tasks import PageResult, PageTask

__all__ = ["LearnSummary", "SiteCounts", "learn_rules", "site_of"]


def site_of(url: str | None) -> str | None:
    """The registrable domain of an address (``www.bbc.co.uk`` -> ``bbc.co.uk``), or None.

    A host the public suffix list does not know (a reserved ``.example`` name, an
    intranet's) keeps its last two labels, as under a one-label suffix: the list holds
    every suffix of more labels that registries hand out, so that guess is the usual one.
    An address by IP is its own site.
    """
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    host = (host or "").rstrip(".").lower()
    if not host or any(char.isspace() or char in "/\\@" for char in host):
        return None
    if host.replace(".", "").isdigit() or ":" in host:
        return host  # IPv4 or IPv6
    from tld import get_fld  # the public suffix list

    found = get_fld(host, fix_protocol=True, fail_silently=True)
    if isinstance(found, str) and found:
        return found
    return ".".join(host.split(".")[-2:])


class SiteCounts:
    """The reduce of one site: its article pages and, per distinct block text, on how many.

    Counts are kept by a digest of the text, and the text itself only from its
    second page on, so memory grows with the site's repeated lines, not with the
    whole of its articles.
    """

    def __init__(self) -> None:
        self.pages = 0
        self.counts: Counter[bytes] = Counter()
        self.texts: dict[bytes, str] = {}
        self.examples: dict[bytes, str] = {}

    def add(self, texts: Iterable[str], example: str) -> None:
        """One page's kept block texts (each counted once, however often the page has it)."""
        self.pages += 1
        for text in {block_key(text) for text in texts} - {""}:
            digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                     digest_size=16).digest()
            self.counts[digest] += 1
            if self.counts[digest] == 1:
                self.examples[digest] = example
            elif self.counts[digest] == 2:
                self.texts[digest] = text

    def repeated(self) -> tuple[RepeatedText, ...]:
        """The texts on enough of the site's pages (see the thresholds), most frequent first."""
        if self.pages < LEARN_MIN_PAGES:
            return ()
        found = [
            RepeatedText(self.texts[digest], count, round(count / self.pages, 3),
                         self.examples[digest])
            for digest, count in self.counts.items()
            if count >= LEARN_MIN_COUNT and count >= LEARN_MIN_SHARE * self.pages
        ]
        return tuple(sorted(found, key=lambda item: (-item.pages, item.text)))


@dataclass(frozen=True)
class LearnSummary:
    """What :func:`learn_rules` learned, and the run that read the pages."""

    #: The learned rules: one site rule per site that repeats something.
    rules: RuleSet
    #: Article pages counted, per site (every site seen, learned from or not).
    site_pages: Mapping[str, int]
    #: Article pages left out because neither the task nor the page names an address.
    without_site: int
    #: The file written, or None.
    output: str | None
    #: The bulk run that read the pages (failures are in its error log).
    run: BulkSummary


class _CountingSink:
    """The reduce as a bulk sink: each page's result is counted, nothing is written."""

    needs_metadata = True

    def __init__(self, excluded: Sequence[Path], errors: Path) -> None:
        self.sites: dict[str, SiteCounts] = {}
        self.without_site = 0
        self._excluded = list(excluded)
        self._errors = errors

    def default_errors_path(self) -> Path:
        return self._errors

    def excluded(self) -> list[Path]:
        return self._excluded

    def open(self, tasks: Sequence[PageTask], *, resume: bool) -> None:
        """Nothing to prepare: the counts live in memory."""

    def is_done(self, task: PageTask) -> bool:
        return False  # a count cannot be resumed: every page is read again

    def write(self, result: PageResult) -> None:
        record: dict[str, Any] = result.record or {}
        blocks = record.get("blocks") or ()
        if not record.get("is_article") or not blocks:
            return  # a home page or a failed extraction says nothing of the site's stories
        # The address the site rules will be matched on: the archive's for a crawl, else
        # the page's (its canonical address, or the one the task or the page gave).
        url = record.get("warc_target_uri") or record.get("url")
        site = site_of(url)
        if site is None:
            self.without_site += 1
            return
        counts = self.sites.setdefault(site, SiteCounts())
        counts.add((str(block.get("text", "")) for block in blocks), url or result.key)

    def close(self) -> None:
        """Nothing to flush."""

    def rules(self) -> RuleSet:
        learned = [SiteRule(site, repeated=counts.repeated())
                   for site, counts in sorted(self.sites.items())]
        return RuleSet(sites=tuple(rule for rule in learned if rule.repeated))


def learn_rules(
    inputs: str | os.PathLike[str] | Iterable[PageTask | PageResult] | PageSource,
    output: str | os.PathLike[str] | None,
    *,
    options: Options | None = None,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    patterns: Sequence[str] | None = None,
    errors: str | os.PathLike[str] | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> LearnSummary:
    """Learn the block texts each site of a crawl repeats, as site rules.

    ``inputs`` is anything :func:`~declutter.bulk.sources.choose.open_source` reads
    (a directory of saved pages, WARC files, a URL of either, tasks). Each page is
    extracted with ``options`` (by ``jobs`` local workers or ``executor``, as in
    :func:`~declutter.bulk.run_bulk`); per site with ``LEARN_MIN_PAGES`` article
    pages or more, a block text kept on at least ``LEARN_MIN_SHARE`` and
    ``LEARN_MIN_COUNT`` of them is learned. With ``output`` (a ``.toml`` path) the
    rules are written there, for review and ``--rules``; failed pages go to
    ``errors`` (default: ``NAME.errors.jsonl`` beside it; needed without ``output``).
    The rules are also returned, in :attr:`LearnSummary.rules`.
    """
    if output is not None and Path(output).suffix.lower() != ".toml":
        raise ValueError(f"{output}: learned rules are written as TOML; name the file .toml")
    target = Path(output) if output is not None else None
    if errors is not None:
        log = Path(errors)
    elif target is not None:
        log = target.with_name(target.stem + ".errors.jsonl")
    else:
        raise ValueError("learning without an output file needs errors=: the log of the "
                         "pages that failed")
    sink = _CountingSink([path for path in (target, log) if path is not None], log)
    source = open_source(inputs, patterns, storage_options=storage_options)
    summary = run_bulk(source, sink, options=options or DEFAULT_OPTIONS, fmt="json",
                       jobs=jobs, timeout=timeout, memory_limit=memory_limit,
                       progress=progress, errors=log, executor=executor)
    rules = sink.rules()
    site_pages = {site: counts.pages for site, counts in sorted(sink.sites.items())}
    if target is not None:
        write_atomically(target, rules_toml(rules, comment=_comment(site_pages)).encode())
    return LearnSummary(rules, site_pages, sink.without_site,
                        os.fspath(target) if target is not None else None, summary)


def _comment(site_pages: Mapping[str, int]) -> str:
    learned = sum(1 for pages in site_pages.values() if pages >= LEARN_MIN_PAGES)
    return (
        "Site rules learned by `declutter learn`: block texts each site repeats on its pages.\n"
        f"{sum(site_pages.values())} article pages of {len(site_pages)} sites were read; "
        f"{learned} sites had {LEARN_MIN_PAGES} pages or more.\n"
        f"A text is learned when it is on {LEARN_MIN_SHARE:.0%} or more of a site's pages, "
        f"and on {LEARN_MIN_COUNT} at least.\n"
        "Review before use: delete an entry to keep its text; pages, share and example are\n"
        "the evidence, only text decides. Use with `declutter --rules FILE`."
    )
