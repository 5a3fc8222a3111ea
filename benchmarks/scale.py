"""Scale: the local worker pool against a Dask cluster, and what reading WARC files costs.

Run ``python -m benchmarks.scale`` from the repository root (needs
``declutter[warc,dask]``). It generates the same input twice, as a directory
of saved pages (:func:`benchmarks.bulk.generate_corpus`) and as one WARC file
(:func:`write_crawl`, gzip per record, with the request and image records a
crawl also holds), then prints two markdown tables:

* pages per second of ``declutter bulk --jobs 2`` and of ``declutter bulk
  --scheduler ADDRESS`` on a 2-worker Dask ``LocalCluster`` (one thread each),
  on both inputs; every run is the real command line in a fresh process, best
  of ``--repeat``, taken in turns so the machine's other load hits all alike.
  The cluster is started once and warmed up first, as a cluster in use is;
* the WARC reading overhead per page: listing the archive (what a bulk run
  does first, once per file: headers only), reading every page's payload in order, and
  fetching each page alone by its offset (what a bulk worker does), set
  against the extraction itself.

:func:`write_crawl` is also what the cluster tests use to build their WARC file.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks import child_env
from benchmarks.bulk import (
    SAMPLES_DIR,
    Run,
    bench_parser,
    generate_corpus,
    keep_fastest,
    machine,
    run_command,
    runs_table,
)


def write_crawl(path: Path, pages: int, *, samples: Path = SAMPLES_DIR,
                compress: bool = True) -> list[str]:
    """Write a WARC file of ``pages`` HTML responses and return their target URIs.

    Pages are the repository's samples, cycled, each made unique by a comment
    with its number; as in a real crawl, each response follows its request
    record, and every tenth page comes with an image response (skipped by
    declutter as not HTML). A warcinfo record opens the file.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    sources = sorted(samples.glob("*/page.html"))
    if not sources:
        raise FileNotFoundError(f"no samples/*/page.html under {samples}")
    uris: list[str] = []
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "benchmark"}))
        for index in range(pages):
            source = sources[index % len(sources)]
            body = source.read_bytes() + f"\n<!-- crawl copy {index} -->\n".encode("ascii")
            uri = f"https://news{index % 7}.example/{source.parent.name}/{index}"
            request = StatusAndHeaders(f"GET {uri} HTTP/1.1", [("Host", "example")],
                                       is_http_request=True)
            writer.write_record(writer.create_warc_record(uri, "request",
                                                          payload=io.BytesIO(b""),
                                                          http_headers=request))
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response",
                                                          payload=io.BytesIO(body),
                                                          http_headers=http))
            uris.append(uri)
            if index % 10 == 0:
                image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")],
                                         protocol="HTTP/1.1")
                png = b"\x89PNG\r\n\x1a\n" + bytes(2048)
                writer.write_record(writer.create_warc_record(uri + ".png", "response",
                                                              payload=io.BytesIO(png),
                                                              http_headers=image))
    return uris


# --------------------------------------------------------------------------- throughput


def measure(source: Path, engine: str, *, scheduler: str | None, work: Path) -> Run:
    """One ``declutter bulk`` run in a fresh process, into a fresh JSONL file."""
    out = work / "out.jsonl"
    out.unlink(missing_ok=True)
    env = child_env()
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    options = ["--scheduler", scheduler] if scheduler else ["--jobs", "2"]
    kind = "WARC file" if source.is_file() else "directory"
    return run_command((kind, engine), str(source), out, options, env, work)


def throughput(inputs: list[Path], scheduler: str, repeat: int, work: Path) -> list[Run]:
    """Best of ``repeat`` per (input, engine), engines taken in turns."""
    engines = [("local --jobs 2", None), ("Dask, 2 workers", scheduler)]
    best: dict[tuple[str, str], Run] = {}
    for source in inputs:
        measure(source, engines[1][0], scheduler=scheduler, work=work)  # warm the workers
        for _ in range(repeat):
            for name, address in engines:
                keep_fastest(best, measure(source, name, scheduler=address, work=work))
    return list(best.values())


def throughput_table(runs: list[Run]) -> str:
    return runs_table(("input", "engine"), runs)


# --------------------------------------------------------------------------- WARC overhead


def warc_overhead(path: Path, repeat: int) -> list[tuple[str, float]]:
    """Milliseconds per page of each way of reading the archive, and of extraction."""
    from declutter import extract
    from declutter.bulk.sources.warc import list_warc
    from declutter.warc import WarcReader, read_record

    def best_of(action: object) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            action()  # type: ignore[operator]
            times.append(time.perf_counter() - started)
        return min(times)

    tasks = [task for task in list_warc(path, path.name) if hasattr(task, "offset")]
    pages = list(WarcReader(path))
    count = len(pages)
    rows = [
        ("list the archive (headers only; once per file, before its pages)",
         best_of(lambda: list_warc(path, path.name))),
        ("read every payload in order (WarcReader)", best_of(lambda: list(WarcReader(path)))),
        ("fetch each page by offset (bulk worker)",
         best_of(lambda: [read_record(path, task.offset) for task in tasks])),  # type: ignore[attr-defined]
        ("extract (declutter.extract, for scale)",
         best_of(lambda: [extract(page.html(), url=page.target_uri) for page in pages])),
    ]
    return [(name, 1000 * seconds / count) for name, seconds in rows]


def overhead_table(rows: list[tuple[str, float]], pages: int) -> str:
    extraction = rows[-1][1]
    lines = [f"| reading {pages} pages | ms per page | share of extraction |",
             "| --- | ---: | ---: |"]
    for name, ms in rows:
        lines.append(f"| {name} | {ms:.3f} | {ms / extraction:.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("python -m benchmarks.scale", __doc__, 2000,
                          "enough that starting the local pool's workers does not hide its "
                          "steady rate")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; best kept")
    args = parser.parse_args(argv)
    if args.pages < 1:
        parser.error("--pages must be positive")
    import distributed

    with tempfile.TemporaryDirectory(prefix="declutter-scale-bench-") as tmp:
        work = Path(tmp)
        directory = work / "pages"
        generate_corpus(directory, args.pages)
        crawl = work / "crawl.warc.gz"
        write_crawl(crawl, args.pages)
        # Two one-thread worker processes on this machine, logging errors only.
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None,
                                      silence_logs=logging.ERROR) as cluster:
            runs = throughput([directory, crawl], cluster.scheduler_address, args.repeat, work)
        overhead = warc_overhead(crawl, args.repeat)
        shutil.rmtree(directory, ignore_errors=True)
    print(f"## declutter bulk: local pool and Dask (best of {args.repeat}; {machine()})\n")
    print(throughput_table(runs))
    print("\nBoth engines run 2 pages at a time on the same machine, so the table shows "
          "what Dask's scheduling costs, not what a cluster of many machines gains. The "
          "local pool's run time includes starting its worker processes; the cluster's "
          "workers are already up (and warmed by one run), as they are in use.\n")
    print(f"## WARC reading overhead ({args.pages} pages, gzip per record)\n")
    print(overhead_table(overhead, args.pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
