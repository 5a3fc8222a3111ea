"""Site memory on a benchmark set: ``python -m benchmarks.site_memory [l3s-gn1]``.

Learns the repeated blocks of each site with several pages in the set (what
``declutter learn`` does, counted here in one process), cleans every page of those
sites with and without the learned rules, and reports per set: the output lines not
in the reference (boilerplate left), the lines the boilerplate lexicon recognises,
and the reference lines the learned rules took (article text lost). A page's address
is made from its site so the rules match it; both runs get the same address.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import declutter
from declutter._rules.sitefile import RuleSet
from declutter._rules.thresholds import LEARN_MIN_PAGES
from declutter.bulk.learn import SiteCounts

from .datasets import Page, load_datasets
from .metrics import leaked_lines, normalize_ws, split_lines
from .run import DEFAULT_BENCH_DIR, REPO_ROOT

#: Sites with fewer pages are left out of the row: there is nothing to compare on them.
MIN_SITE_PAGES = 3


def _lines(text: str) -> list[str]:
    return [line for line in (normalize_ws(x) for x in text.splitlines()) if line]


def measure(pages: Sequence[Page]) -> dict[str, float]:
    sites: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        sites[page.site].append(page)
    chosen = [page for group in sites.values() if len(group) >= MIN_SITE_PAGES for page in group]
    before: dict[str, declutter.Article] = {}
    counts: dict[str, SiteCounts] = defaultdict(SiteCounts)
    for page in chosen:
        url = f"https://{page.site}/{page.name}"
        article = declutter.extract(page.html, url=url)
        before[page.name] = article
        if article.is_article and article.blocks:
            counts[page.site].add((block.text for block in article.blocks), url)
    learned = RuleSet(sites=tuple(
        declutter.SiteRule(site, repeated=found)
        for site, count in sorted(counts.items()) if (found := count.repeated())
    ))
    options = learned.apply()
    row: dict[str, float] = defaultdict(float)
    row["sites"] = len({page.site for page in chosen})
    row["pages"] = len(chosen)
    row["sites learning"] = sum(1 for c in counts.values() if c.pages >= LEARN_MIN_PAGES)
    row["texts learned"] = sum(len(rule.repeated) for rule in learned.sites)
    for page in chosen:
        after = declutter.extract(page.html, url=f"https://{page.site}/{page.name}",
                                  options=options)
        reference = {normalize_ws(line) for line in split_lines(page.reference or "")}
        old, new = _lines(before[page.name].text), _lines(after.text)
        row["non-reference lines before"] += sum(1 for line in old if line not in reference)
        row["non-reference lines after"] += sum(1 for line in new if line not in reference)
        row["lexicon boilerplate before"] += len(leaked_lines(before[page.name].text,
                                                              page.reference or ""))
        row["lexicon boilerplate after"] += len(leaked_lines(after.text, page.reference or ""))
        removed = [line for line in old if line not in set(new)]
        row["lines removed"] += len(removed)
        row["reference lines lost"] += sum(1 for line in removed if line in reference)
        row["pages changed"] += old != new
    return dict(row)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=["l3s-gn1"])
    parser.add_argument("--bench-dir", type=Path, default=REPO_ROOT / DEFAULT_BENCH_DIR)
    args = parser.parse_args(argv)
    for dataset in load_datasets(args.datasets, args.bench_dir, REPO_ROOT / "samples",
                                 None, lambda message: print(message, file=sys.stderr)):
        row = measure(dataset.pages)
        print(dataset.name + ": " + ", ".join(f"{key} {value:g}" for key, value in row.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
