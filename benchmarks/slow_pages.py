"""A few slow pages among many on Dask: ``python -m benchmarks.slow_pages``.

Pages travel to Dask workers in batches, and a worker thread runs a batch's
pages one after another. When a few slow pages sit next to each other (one
site's huge listings, one stretch of a crawl) they can land in the same batch
and run in series on one thread while the others idle at the end of the run.
This benchmark builds :data:`PAGES` pages from the samples with
:data:`SLOW_PAGES` flat pages of :data:`SLOW_MB` MB (each about a second of
work) in a row among them, runs them with :class:`declutter.cluster.DaskExecutor`
on a local cluster of two one-thread workers, and prints a markdown table:
seconds of the run, the workers' CPU seconds, and how much of the two threads
the run used (1.0 is perfect spreading). Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bulk import generate_corpus

#: Pages of the run: a couple of hundred, as in a batch of a real job.
PAGES = 200
#: Slow pages, in a row: a handful, so that bunched in one batch they decide the run.
SLOW_PAGES = 6
#: Size of each slow page (MB of flat siblings): about a second each on one core.
SLOW_MB = 2
#: Worker processes (one thread each) of the local cluster: the machine's two cores.
WORKERS = 2


def build(folder: Path) -> int:
    """Write the pages into ``folder``: the slow ones sort together in the middle."""
    generate_corpus(folder, PAGES - SLOW_PAGES)
    item = b"<p>Item of a very long flat listing, one of many siblings in one container.</p>\n"
    page = (b"<html><body><div>" + item * (SLOW_MB * 1024 * 1024 // len(item))
            + b"</div></body></html>")
    slow = folder / "section-1" / "day-02"
    slow.mkdir(parents=True, exist_ok=True)
    for number in range(SLOW_PAGES):
        (slow / f"m-slow-{number}.html").write_bytes(page + f"<!-- {number} -->".encode())
    return PAGES


def measure(cluster: Any, folder: Path, out: Path, batch_size: int | None) -> dict[str, Any]:
    """One run on ``cluster``; its seconds, the workers' CPU seconds and their use."""
    import declutter
    from declutter.cluster import DaskExecutor

    executor = (DaskExecutor(cluster) if batch_size is None
                else DaskExecutor(cluster, batch_size=batch_size))
    started = time.monotonic()
    summary = declutter.run_bulk(folder, out, executor=executor)
    seconds = time.monotonic() - started
    assert summary.failed == 0 and summary.done == PAGES, summary.describe()
    return {"seconds": seconds, "cpu": summary.worker_cpu_seconds,
            "use": summary.worker_cpu_seconds / (seconds * WORKERS)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.slow_pages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, action="append",
                        help="DaskExecutor batch sizes to compare (default: its own)")
    args = parser.parse_args(argv)
    import distributed

    sizes: list[int | None] = args.batch_size or [None]
    rows = []
    with tempfile.TemporaryDirectory(prefix="declutter-slow-") as scratch, \
            distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                     dashboard_address=None,
                                     silence_logs=logging.ERROR) as cluster:
        folder = Path(scratch) / "pages"
        build(folder)
        for size in sizes:
            runs = [measure(cluster, folder, Path(scratch) / f"out-{size}-{n}.jsonl", size)
                    for n in range(args.repeat)]
            best = min(runs, key=lambda run: run["seconds"])
            rows.append((size, best))
    print(f"{PAGES} pages, {SLOW_PAGES} of them {SLOW_MB} MB flat pages in a row, on "
          f"{WORKERS} one-thread Dask workers (best of {args.repeat})\n")
    print("| batch size | seconds | workers' CPU s | use of the 2 threads |")
    print("|---|---:|---:|---:|")
    for size, best in rows:
        print(f"| {'default' if size is None else size} | {best['seconds']:.2f} | "
              f"{best['cpu']:.2f} | {best['use']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
