"""Cloud: a WARC file read from S3 against the same file on the local disk.

Run ``python -m benchmarks.cloud`` from the repository root (needs
``declutter[warc,cloud,parquet]`` and ``moto[server]``, all in the test
extra). It writes one WARC file (:func:`benchmarks.scale.write_crawl`, gzip
per record, with the request and image records a crawl also holds), puts it
in a bucket of moto's S3 API served on 127.0.0.1 (in this process; its clients
get test credentials and ``AWS_ENDPOINT_URL`` in their environment, as a user's
tools find a real store), then runs the real command line, ``declutter bulk
SOURCE -o OUT --jobs 2``, in a fresh process per measurement, in turns, best of
``--repeat``:

* the local file (a plain path: the code path of every run before URLs);
* ``file://`` and the same path (fsspec's local file system: what fsspec
  itself costs);
* ``s3://bench/crawl.warc.gz`` (the listing streams the object through in
  8 MiB ranged reads; each worker fetches its pages' records by one ranged
  GET each);
* the S3 object again into a Parquet dataset instead of JSON Lines.

Pages per second is pages handled over the run's own seconds (listing,
workers, writes: the summary's), so interpreter start-up is left out; the
wall column has it. moto is a Python server sharing the two cores with the
workers, so the S3 rows are a floor for what a real store on another machine
gives, not a ceiling.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks import child_env
from benchmarks.bulk import Run, bench_parser, keep_fastest, machine, run_command, runs_table
from benchmarks.scale import write_crawl

BUCKET = "bench"
#: Test credentials for moto, and no instance metadata lookup off this machine.
_AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 API on 127.0.0.1, in a thread of this process; yields its endpoint."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def upload(path: Path) -> str:
    """Put ``path`` in the bucket (the S3 API the environment names); its URL."""
    import fsspec

    fs = fsspec.filesystem("s3")
    fs.mkdir(BUCKET)
    fs.put_file(str(path), f"{BUCKET}/{path.name}")
    return f"s3://{BUCKET}/{path.name}"


def measure(source: str, out: Path, env: dict[str, str], work: Path) -> Run:
    """One ``declutter bulk`` run in a fresh process, into a fresh output."""
    for leftover in (out, out.with_name(out.name.split(".")[0] + ".errors.jsonl")):
        if leftover.is_dir():
            for part in leftover.iterdir():
                part.unlink()
            leftover.rmdir()
        leftover.unlink(missing_ok=True)
    kind = source.split("://", 1)[0] + "://" if "://" in source else "local path"
    return run_command((kind, out.suffix.lstrip(".")), source, out, ["--jobs", "2"], env, work)


def table(runs: list[Run]) -> str:
    return runs_table(("WARC file read from", "output"), runs)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("python -m benchmarks.cloud", __doc__, 2000,
                          "enough that starting the workers does not hide their steady rate")
    parser.add_argument("--repeat", type=int, default=3, help="runs per source; best kept")
    args = parser.parse_args(argv)
    if args.pages < 1:
        parser.error("--pages must be positive")
    with tempfile.TemporaryDirectory(prefix="declutter-cloud-bench-") as tmp, \
            s3_server() as endpoint:
        work = Path(tmp)
        crawl = work / "crawl.warc.gz"
        write_crawl(crawl, args.pages)
        os.environ.update(_AWS_ENV, AWS_ENDPOINT_URL=endpoint)  # for this process and its runs
        url = upload(crawl)
        env = child_env()
        env.pop("DASK_SCHEDULER_ADDRESS", None)
        plans = [(str(crawl), work / "out.jsonl"), (f"file://{crawl}", work / "out.jsonl"),
                 (url, work / "out.jsonl"), (url, work / "out.parquet")]
        measure(str(crawl), work / "out.jsonl", env, work)  # warm caches and the bytecode
        best: dict[tuple[str, str], Run] = {}
        for _ in range(args.repeat):
            for source, out in plans:
                keep_fastest(best, measure(source, out, env, work))
        size = os.path.getsize(crawl)
    print(f"## declutter bulk --jobs 2 on one WARC file of {args.pages} pages "
          f"({size / 2**20:.1f} MiB; best of {args.repeat}; {machine()})\n")
    print(table(list(best.values())))
    local = best[("local path", "jsonl")].pages_per_second
    remote = best[("s3://", "jsonl")].pages_per_second
    print(f"\nS3 (moto on 127.0.0.1) against the local file: {remote / local:.2f}x the pages/s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
