"""Where declutter's time goes, stage by stage: ``python -m benchmarks.profile``.

Each stage function the pipeline calls is wrapped with a timer (the
attribute limit and libxml2's parse are timed apart inside the parse stage),
every page of each dataset is extracted a few times, and each stage's time
is reported in milliseconds per page, beside the total and a bare
``lxml.html.fromstring`` of the same text. Timers cost about a microsecond
per call, so the figures are a little above the untimed pipeline's.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import REPO_ROOT
from .datasets import BENCH_DATASETS, Dataset, load_datasets
from .run import DEFAULT_BENCH_DIR, WARMUP_HTML
from .timing import _parse as bare_parse

#: (module, function) pairs timed as stages, in pipeline order, with the name they get.
STAGES = (
    ("declutter._stages.pipeline", "decode", "decode"),
    ("declutter._stages.parse", "_limit_attributes", "attribute limit"),
    ("declutter._stages.parse", "_attempt", "libxml2 parse"),
    ("declutter._stages.pipeline", "parse", "parse (all)"),
    ("declutter._stages.pipeline", "prune", "prune"),
    ("declutter._stages.pipeline", "declarations", "declarations"),
    ("declutter._stages.pipeline", "locate", "locate"),
    ("declutter._stages.pipeline", "segment", "segment"),
    ("declutter._stages.pipeline", "judge", "judge"),
    ("declutter._stages.pipeline", "confidence", "confidence"),
    ("declutter._stages.pipeline", "second_opinion", "fallback"),
    ("declutter._stages.pipeline", "with_time_lines", "live blog"),
    ("declutter._stages.pipeline", "is_article", "verdict"),
    ("declutter._stages.pipeline", "render_text", "render"),
)


@contextmanager
def timed_stages(totals: dict[str, float]) -> Iterator[None]:
    """Wrap every stage with a timer adding to ``totals`` for as long as the block runs."""
    import importlib

    saved: list[tuple[Any, str, Callable[..., Any]]] = []
    clock = time.perf_counter
    for module_name, attr, label in STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, attr)

        def wrapper(*args: Any, _f: Callable[..., Any] = original, _l: str = label,
                    **kwargs: Any) -> Any:
            start = clock()
            try:
                return _f(*args, **kwargs)
            finally:
                totals[_l] += clock() - start

        saved.append((module, attr, original))
        setattr(module, attr, wrapper)
    try:
        yield
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)


def profile(dataset: Dataset, rounds: int) -> dict[str, float]:
    """Milliseconds per page of each stage (fastest round), the total and the bare parse."""
    import declutter

    declutter.clean(WARMUP_HTML)
    best: dict[str, float] = {}
    for _ in range(rounds):
        totals: dict[str, float] = defaultdict(float)
        gc.collect()
        with timed_stages(totals):
            start = time.perf_counter()
            for page in dataset.pages:
                declutter.clean(page.html)
            totals["total"] = time.perf_counter() - start
        start = time.perf_counter()
        for page in dataset.pages:
            bare_parse(page.html)
        totals["bare lxml parse"] = time.perf_counter() - start
        for name, seconds in totals.items():
            per_page = 1000 * seconds / len(dataset.pages)
            best[name] = min(best.get(name, per_page), per_page)
    return best


def table(results: dict[str, dict[str, float]]) -> str:
    names = list(results)
    header = "| stage | " + " | ".join(names) + " |"
    lines = [header, "|---|" + "---|" * len(names)]
    stages = [label for _, _, label in STAGES] + ["total", "bare lxml parse"]
    for stage in stages:
        cells = [f"{results[name].get(stage, 0.0):.2f}" for name in names]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\nms per page (fastest of the rounds); 'parse (all)' holds the " \
        "attribute limit and the libxml2 parse.\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("--datasets", default=",".join(BENCH_DATASETS))
    parser.add_argument("--bench-dir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    bench_dir = args.bench_dir or REPO_ROOT / DEFAULT_BENCH_DIR
    datasets = load_datasets(names, bench_dir, REPO_ROOT / "samples", args.limit,
                             lambda message: print(message, file=sys.stderr))
    results = {dataset.name: profile(dataset, args.rounds) for dataset in datasets}
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
