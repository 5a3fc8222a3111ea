"""A long bulk run, watched: ``python -m benchmarks.soak`` (``--pages N`` for a short one).

A crawl runs for hours, and a leak of a few kilobytes a page that no short
benchmark sees ends it by the memory killer. This benchmark runs the library's
bulk API (:func:`declutter.bulk.run_bulk`, the local worker pool the command
uses) over :data:`DEFAULT_PAGES` pages: the annotated pages of the benchmark
sets (read at run time from ``../shared/bench``, never copied) and the
repository's samples, repeated, with hostile pages mixed in every
:data:`HOSTILE_EVERY` pages (binary bytes, an empty file, a page nested
:data:`NESTED_DEPTH` deep, a flat page of :data:`FLAT_MB` MB). A thread
samples the resident memory of the parent and of every worker, and the pages
done, every :data:`SAMPLE_SECONDS`.

It prints a markdown table (pages/s and memory for each tenth of the run) and
the memory growth between the first and the last tenth, the figure the target
is set on (:data:`GROWTH_TARGET`), and writes every sample to
``benchmarks/out/soak-N.json``. The outputs go to a temporary directory,
removed at the end, so the run measures the pipeline, not what it keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import REPO_ROOT

#: Pages of a full run: enough for hours of a crawl's wear in a run of tens of minutes.
DEFAULT_PAGES = 200_000
#: One page in this many is hostile (cycling through :data:`HOSTILE_KINDS`): a real
#: crawl's share of junk is of this order, and each kind then comes back often
#: enough to show up in the memory of every worker.
HOSTILE_EVERY = 200
#: Depth of the nested page: far past any real page, deep enough to have broken
#: recursive code before.
NESTED_DEPTH = 20_000
#: Size of the flat page, in MB: a large catalogue listing, well under the size limit,
#: costing a second or so, so a few hundred of them do not dominate the run.
FLAT_MB = 2
#: Seconds between two samples of memory and progress.
SAMPLE_SECONDS = 1.0
#: The largest memory growth (percent) between the first and the last tenth of a run
#: that passes: a leak of the size that ends a day-long crawl is far above it, the
#: noise of the allocator and of which pages a worker holds far below.
GROWTH_TARGET = 10.0
#: Where the pages are read from, relative to the repository.
DEFAULT_BENCH_DIR = Path("..") / "shared" / "bench"
OUT_DIR = REPO_ROOT / "benchmarks" / "out"

HOSTILE_KINDS = ("binary", "empty", "nested", "flat")
#: What the command line of multiprocessing's resource tracker holds: a child of the run
#: that cleans no page, left out of the workers (as is the fork server, their parent).
_TRACKER = "resource_tracker"
MB = 1024 * 1024


def bench_pages(bench_dir: Path) -> list[Path]:
    """Every page of the benchmark sets under ``bench_dir`` and the samples, sorted."""
    found = [*bench_dir.glob("*/html/*.gz"), *bench_dir.glob("readability/*/source.html.gz"),
             *(REPO_ROOT / "samples").glob("*/page.html")]
    return sorted(found)


def write_hostile(folder: Path) -> dict[str, Path]:
    """The hostile pages, written once into ``folder``; each run reads them as files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / f"{kind}.html" for kind in HOSTILE_KINDS}
    paths["binary"].write_bytes(random.Random(0).randbytes(64 * 1024))
    paths["empty"].write_bytes(b"")
    paths["nested"].write_bytes(b"<html><body>" + b"<div>" * NESTED_DEPTH + b"<p>deep text</p>"
                                + b"</div>" * NESTED_DEPTH + b"</body></html>")
    item = b"<p>Item of a very long flat listing, one of many siblings in one container.</p>\n"
    paths["flat"].write_bytes(b"<html><body><div>" + item * (FLAT_MB * MB // len(item))
                              + b"</div></body></html>")
    return paths


def soak_tasks(pages: list[Path], hostile: dict[str, Path], count: int) -> list[Any]:
    """``count`` tasks cycling through ``pages``, every :data:`HOSTILE_EVERY`-th hostile,
    each keyed by its number (a page seen again is a new page of the run)."""
    from declutter.bulk import PageTask

    tasks = []
    for number in range(count):
        if number % HOSTILE_EVERY == HOSTILE_EVERY - 1:
            kind = HOSTILE_KINDS[(number // HOSTILE_EVERY) % len(HOSTILE_KINDS)]
            path = hostile[kind]
        else:
            path = pages[number % len(pages)]
        tasks.append(PageTask(f"{number:07d}/{path.name}", str(path)))
    return tasks


@dataclass
class Sampler:
    """Pages done (a :class:`~declutter.bulk.Progress`) and, from a thread, memory."""

    interval: float = SAMPLE_SECONDS
    total: int = 0
    done: int = 0
    failed: int = 0
    started: float = 0.0
    samples: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()
        threading.Thread(target=self._watch, name="soak-sampler", daemon=True).start()

    def advance(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok

    def finish(self) -> None:
        self._stop.set()
        self.sample()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        import psutil

        me = psutil.Process()
        workers: dict[str, int] = {}
        for child in me.children(recursive=True):
            try:
                # the fork server (the workers' parent) and the resource tracker
                if child.children() or any(_TRACKER in part for part in child.cmdline()):
                    continue
                workers[str(child.pid)] = child.memory_info().rss
            except psutil.Error:  # a worker replaced between the listing and the read
                continue
        self.samples.append({"seconds": round(time.monotonic() - self.started, 2),
                             "done": self.done, "parent_rss": me.memory_info().rss,
                             "workers_rss": workers})


def tenths(samples: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Pages/s and memory (MB) over each tenth of the run's time."""
    if len(samples) < 2:
        return []
    end = samples[-1]["seconds"]
    rows = []
    for tenth in range(10):
        low, high = end * tenth / 10, end * (tenth + 1) / 10
        inside = [s for s in samples if low <= s["seconds"] <= high] or \
            [min(samples, key=lambda s: abs(s["seconds"] - high))]
        before = max((s for s in samples if s["seconds"] <= low), key=lambda s: s["seconds"],
                     default=samples[0])
        last = inside[-1]
        span = last["seconds"] - before["seconds"]
        rows.append({
            "tenth": tenth + 1,
            "pages_per_second": (last["done"] - before["done"]) / span if span > 0 else 0.0,
            "workers_mb": statistics.mean(sum(s["workers_rss"].values()) for s in inside) / MB,
            "largest_worker_mb": max(max(s["workers_rss"].values(), default=0)
                                     for s in inside) / MB,
            "parent_mb": statistics.mean(s["parent_rss"] for s in inside) / MB,
        })
    return rows


def growth(rows: list[dict[str, float]], name: str) -> float:
    """Percent change of ``name`` from the first tenth of the run to the last."""
    first, last = rows[0][name], rows[-1][name]
    return 100.0 * (last - first) / first if first else 0.0


def soak(count: int, jobs: int | None, bench_dir: Path) -> dict[str, Any]:
    """Run the soak and return its figures (see the module's docstring)."""
    from declutter.bulk import run_bulk

    pages = bench_pages(bench_dir)
    if not pages:
        raise SystemExit(f"no pages under {bench_dir} (see --bench-dir)")
    sampler = Sampler()
    with tempfile.TemporaryDirectory(prefix="declutter-soak-") as scratch:
        work = Path(scratch)
        tasks = soak_tasks(pages, write_hostile(work / "hostile"), count)
        summary = run_bulk(tasks, work / "out.jsonl", jobs=jobs, progress=sampler)
        errors = Counter(json.loads(line)["error"] for line in
                         (work / "out.errors.jsonl").read_text(encoding="utf-8").splitlines())
    rows = tenths(sampler.samples)
    return {
        "pages": count, "distinct_pages": len(pages), "hostile_every": HOSTILE_EVERY,
        "jobs": summary.jobs, "seconds": round(summary.seconds, 1),
        "pages_per_second": round(count / summary.seconds, 1),
        "done": summary.done, "failed": summary.failed, "bugs": summary.bugs,
        "errors": dict(errors), "workers_replaced": summary.workers_replaced,
        "peak_worker_rss_mb": round(summary.peak_worker_rss / MB, 1),
        "growth_percent": {name: round(growth(rows, name), 1) for name in
                           ("workers_mb", "largest_worker_mb", "parent_mb")} if rows else {},
        "tenths": rows, "samples": sampler.samples,
    }


def table(result: dict[str, Any]) -> str:
    """The figures as markdown: one row per tenth, then the growth."""
    lines = ["| tenth | pages/s | workers' RSS (MB) | largest worker (MB) | parent (MB) |",
             "|---:|---:|---:|---:|---:|"]
    for row in result["tenths"]:
        lines.append(f"| {row['tenth']} | {row['pages_per_second']:.0f} | "
                     f"{row['workers_mb']:.0f} | {row['largest_worker_mb']:.0f} | "
                     f"{row['parent_mb']:.0f} |")
    grown = result["growth_percent"]
    verdict = all(value < GROWTH_TARGET for value in grown.values())
    lines += ["", f"{result['pages']} pages ({result['distinct_pages']} distinct, one in "
              f"{result['hostile_every']} hostile) with {result['jobs']} workers in "
              f"{result['seconds']} s: {result['pages_per_second']} pages/s; "
              f"{result['done']} done, {result['failed']} failed ({result['errors']}), "
              f"{result['bugs']} bugs, {result['workers_replaced']} workers replaced.",
              "Memory growth, first tenth to last: " + ", ".join(
                  f"{name} {value:+.1f}%" for name, value in grown.items())
              + f" ({'under' if verdict else 'OVER'} the {GROWTH_TARGET:g}% target)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES, help="pages in the run")
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: every CPU)")
    parser.add_argument("--bench-dir", type=Path, default=REPO_ROOT / DEFAULT_BENCH_DIR)
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the figures (default: benchmarks/out/soak-N.json)")
    args = parser.parse_args(argv)
    result = soak(args.pages, args.jobs, args.bench_dir)
    path = args.json or OUT_DIR / f"soak-{args.pages}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nsamples: {os.path.relpath(path)}", file=sys.stderr)
    return 0 if all(value < GROWTH_TARGET for value in result["growth_percent"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
