"""Speed, timed interleaved: each page given to each tool in turn, in one process.

On a shared machine, tools timed one after the other see different load and
the same ratio swings by 30% between runs. Interleaved, every tool meets the
same load within milliseconds of the others: page by page, each tool extracts
the page (the order rotating from page to page and round to round), over a few
rounds, and each page keeps its fastest time per tool. The ratio of the summed
times is then stable to a few percent. A bare ``lxml.html.fromstring`` of the
same text is timed with them as the floor no extractor can go below.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .datasets import Page

#: The name of the bare-parse floor in the timing results.
PARSE = "lxml-parse"
#: Rounds over the pages; each page keeps its fastest time per tool.
ROUNDS = 3


def _parse(html: str) -> object:
    from lxml import html as lxml_html

    try:
        return lxml_html.fromstring(html)
    except Exception:  # an empty or unparsable document costs what it cost
        return None


@dataclass
class Timing:
    """Per tool, the fastest time of each page, in page order."""

    seconds: dict[str, list[float]]

    def pages_per_s(self, name: str) -> float:
        total = sum(self.seconds[name])
        return len(self.seconds[name]) / total if total > 0 else 0.0

    def slowest(self, name: str) -> tuple[int, float]:
        times = self.seconds[name]
        index = max(range(len(times)), key=times.__getitem__)
        return index, times[index]


def time_interleaved(
    extractors: Sequence[tuple[str, Callable[[str], object]]],
    pages: Sequence[Page],
    *,
    rounds: int = ROUNDS,
    warmup: str = "",
) -> Timing:
    """Time every extractor on every page, interleaved, plus the bare parse."""
    calls = [*extractors, (PARSE, _parse)]
    for _, call in calls:
        _quiet(call, warmup)
    best = {name: [float("inf")] * len(pages) for name, _ in calls}
    clock = time.perf_counter
    for round_number in range(rounds):
        gc.collect()
        for index, page in enumerate(pages):
            shift = (index + round_number) % len(calls)
            for name, call in calls[shift:] + calls[:shift]:
                start = clock()
                _quiet(call, page.html)
                elapsed = clock() - start
                if elapsed < best[name][index]:
                    best[name][index] = elapsed
    return Timing(best)


def _quiet(call: Callable[[str], object], html: str) -> None:
    try:
        call(html)
    except Exception:  # scored as an empty output elsewhere; its time still counts
        pass
