"""The Dask engine on a real ``distributed.LocalCluster``: 2 worker processes, 1 thread each.

One cluster serves the module. Bulk jobs (240 generated pages, and a WARC file
of 240 pages) must give the same records as the local pool, through the
library and the command line, into JSON Lines and Parquet, with resume; a
worker killed mid-run must not lose a page (nor put one twice into a Parquet
dataset); a page that hangs fails at its deadline and a page that kills every
worker it lands on fails alone. The pipeline functions (records, Spark
partitions, Ray batches, Dask bags) run on the same workers.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _child import child_env, jsonl_records, run_cli

pytest.importorskip("distributed")
pytest.importorskip("warcio")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # benchmarks/ is not installed

import declutter  # noqa: E402
from benchmarks.scale import write_crawl  # noqa: E402
from declutter._model.errors import Failure  # noqa: E402
from declutter.bulk import (  # noqa: E402
    BulkError,
    PageSettings,
    PageTask,
    guess_url,
    process_task,
)
from declutter.bulk.run import run_warc_bulk  # noqa: E402
from declutter.cluster import (  # noqa: E402
    RECORD_FIELDS,
    DaskExecutor,
    extract_bag,
    extract_batch,
    extract_partition,
    extract_record,
    run_batch,
)
from declutter.integrations import engines  # noqa: E402

PAGES = 240  # the size of the corpus fixture (tests/conftest.py)
HANG_MARKER = "declutter-dask-hang-7c41d2e9"
CRASH_MARKER = "declutter-dask-crash-93be1f05"
BUG_MARKER = "declutter-dask-bug-4e0a61c2"
ARTICLE = (REPO / "samples" / "01-wordpress-blog" / "page.html").read_bytes()


@pytest.fixture(scope="module")
def cluster() -> Any:
    """Two worker processes of one thread each, on this machine, quiet but for errors.

    One worker death per task is survived; a second makes it KilledWorker, so
    the test of a page that kills its workers stays short.
    """
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR,
                                  scheduler_kwargs={"allowed_failures": 1}) as instance:
        yield instance


@pytest.fixture(scope="module")
def client(cluster: Any) -> Any:
    import distributed

    with distributed.Client(cluster, set_as_default=False) as instance:
        yield instance


@pytest.fixture()
def two_workers(client: Any) -> Any:
    """The client, once both workers are up (a test may have killed one)."""
    client.wait_for_workers(2, timeout=60)
    return client


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask-warc") / "crawl.warc.gz"
    write_crawl(path, PAGES)
    return path


@pytest.fixture(scope="module")
def reference(corpus: Path, crawl: Path,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The local pool's records (--jobs 2) for both inputs: what Dask must reproduce."""
    work = tmp_path_factory.mktemp("dask-reference")
    summary = declutter.run_bulk(corpus, work / "pages.jsonl", jobs=2)
    assert summary.ok and summary.done == PAGES
    summary = run_warc_bulk(crawl, work / "crawl.jsonl", jobs=2)
    assert summary.ok and summary.done == PAGES
    return {name: jsonl_records(work / f"{name}.jsonl") for name in ("pages", "crawl")}


# --------------------------------------------------------------------------- bulk jobs


def test_a_directory_job_on_dask_gives_the_local_records(two_workers: Any, corpus: Path,
                                                         reference: dict[str, Any],
                                                         tmp_path: Path) -> None:
    executor = DaskExecutor(two_workers, batch_size=5)
    summary = declutter.run_bulk(corpus, tmp_path / "out.jsonl", executor=executor)
    assert (summary.total, summary.done, summary.failed) == (PAGES, PAGES, 0)
    assert summary.jobs == 2 and summary.worker_cpu_seconds > 0
    assert jsonl_records(tmp_path / "out.jsonl") == reference["pages"]


def test_the_cli_runs_a_warc_file_on_the_cluster_and_resumes(two_workers: Any, cluster: Any,
                                                             crawl: Path,
                                                             reference: dict[str, Any],
                                                             tmp_path: Path) -> None:
    out = tmp_path / "crawl.jsonl"
    summary_path = tmp_path / "summary.json"
    result = run_cli("bulk", crawl, "-o", out, "--scheduler", cluster.scheduler_address,
                  "--summary-json", summary_path)
    assert result.returncode == 0, result.stderr
    assert jsonl_records(out) == reference["crawl"]
    summary = json.loads(summary_path.read_text())
    assert (summary["done"], summary["failed"], summary["jobs"]) == (PAGES, 0, 2)
    assert summary["skipped_not_html"] == PAGES // 10 and summary["other_records"] == PAGES + 1

    # The address may come from the environment, as Dask's own tools read it.
    again = run_cli("bulk", crawl, "-o", out, "--resume", "--summary-json", summary_path,
                 env=child_env(DASK_SCHEDULER_ADDRESS=cluster.scheduler_address))
    assert again.returncode == 0, again.stderr
    summary = json.loads(summary_path.read_text())
    assert (summary["done"], summary["skipped"], summary["jobs"]) == (0, PAGES, 2)
    assert jsonl_records(out) == reference["crawl"]


def test_the_cli_mirrors_a_directory_on_the_cluster(two_workers: Any, cluster: Any,
                                                    corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "texts"
    result = run_cli("bulk", corpus, "-o", out, "--scheduler", cluster.scheduler_address, "-q")
    assert result.returncode == 0, result.stderr
    local = tmp_path / "local"
    assert run_cli("bulk", corpus, "-o", local, "--jobs", "2", "-q").returncode == 0
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.txt")}
    expected = {p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*.txt")}
    assert len(files) == PAGES and files == expected


def test_site_memory_learns_and_cleans_on_the_cluster(two_workers: Any, cluster: Any,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """bulk --site-memory with a scheduler: both passes (learning what the site repeats,
    then cleaning with it) go to the cluster, as both go to the local pool without one."""
    from test_site_memory import STORIES, TAGLINE, _with_tagline

    from declutter import load_rules
    from declutter.bulk.job import run_job, site_memory_path

    crawl = tmp_path / "crawl"
    crawl.mkdir()
    for index, sample in enumerate(STORIES):
        url = f"https://news.ledger.example/story-{index}"
        (crawl / f"ledger-{index}.html").write_bytes(_with_tagline(sample, url, TAGLINE))
    passes: list[int] = []
    real = DaskExecutor.map_unordered

    def counted(self: DaskExecutor, *args: Any, **kwargs: Any) -> Any:
        passes.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DaskExecutor, "map_unordered", counted)
    out = tmp_path / "texts"
    memory = site_memory_path(out)
    summary = run_job(crawl, out, scheduler=cluster.scheduler_address, site_memory=memory)
    assert summary.done == len(STORIES) and len(passes) == 2
    assert [site.domain for site in load_rules(memory).sites] == ["ledger.example"]
    for index, sample in enumerate(STORIES):
        text = (out / f"ledger-{index}.txt").read_text(encoding="utf-8")
        expected = (REPO / "samples" / sample / "expected.txt").read_text(encoding="utf-8")
        assert TAGLINE not in text and text.strip() == expected.strip(), sample


def test_a_directory_of_warc_files_is_listed_and_cleaned_on_the_cluster(
        two_workers: Any, tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    (crawl / "segment-2").mkdir(parents=True)
    for number, folder in enumerate((crawl, crawl, crawl / "segment-2")):
        write_crawl(folder / f"part-{number}.warc.gz", 30)
    local = run_warc_bulk(crawl, tmp_path / "local.jsonl", jobs=2)
    summary = run_warc_bulk(crawl, tmp_path / "dask.jsonl", executor=DaskExecutor(two_workers))
    assert (summary.done, summary.failed, summary.warc_files) == (90, 0, 3)
    assert (summary.records, summary.skipped_not_html) == (local.records, local.skipped_not_html)
    assert jsonl_records(tmp_path / "dask.jsonl") == jsonl_records(tmp_path / "local.jsonl")


class _KillAfter:
    """A progress receiver that kills one Dask worker process after ``after`` pages."""

    def __init__(self, client: Any, after: int) -> None:
        self.client = client
        self.after = after
        self.done = 0
        self.killed: int | None = None

    def start(self, total: int) -> None:
        pass

    def advance(self, ok: bool) -> None:
        self.done += 1
        if self.done == self.after:
            pids = self.client.run(os.getpid)
            self.killed = sorted(pids.values())[0]
            os.kill(self.killed, signal.SIGKILL)

    def finish(self) -> None:
        pass


def test_a_worker_killed_mid_run_loses_no_page(two_workers: Any, crawl: Path,
                                               reference: dict[str, Any],
                                               tmp_path: Path) -> None:
    killer = _KillAfter(two_workers, after=40)
    executor = DaskExecutor(two_workers, batch_size=4)
    summary = run_warc_bulk(crawl, tmp_path / "out.jsonl", executor=executor, progress=killer)
    assert killer.killed is not None
    assert (summary.done, summary.failed) == (PAGES, 0), summary.describe()
    assert jsonl_records(tmp_path / "out.jsonl") == reference["crawl"]
    two_workers.wait_for_workers(2, timeout=60)
    assert killer.killed not in two_workers.run(os.getpid).values()  # replaced by its nanny


# --------------------------------------------------------------------------- Parquet on Dask


def _parquet_rows(dataset: Path) -> dict[str, dict[str, Any]]:
    """A Parquet dataset's rows by page path, as its JSON Lines records read: no page twice,
    and the columns a record does not have (null in the row) left out."""
    pq = pytest.importorskip("pyarrow.parquet")
    rows = pq.read_table(dataset).to_pylist()
    by_path = {row["path"]: row for row in rows}
    assert len(by_path) == len(rows), "a page is in the dataset twice"
    return by_path


def _as_records(rows: dict[str, dict[str, Any]],
                records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key: {name: value for name, value in row.items()
                  if value is not None or name in records.get(key, {})}
            for key, row in rows.items()}


def _part_names(dataset: Path) -> list[str]:
    return sorted(path.name for path in dataset.iterdir())


def test_the_cli_writes_parquet_from_the_cluster_and_resumes(two_workers: Any, cluster: Any,
                                                             crawl: Path,
                                                             reference: dict[str, Any],
                                                             tmp_path: Path) -> None:
    """A WARC file cleaned on Dask into NAME.parquet: every page once, as the local pool's
    JSON Lines record; --resume on the cluster adds nothing and writes no empty part."""
    pytest.importorskip("pyarrow")
    out = tmp_path / "crawl.parquet"
    summary_path = tmp_path / "summary.json"
    result = run_cli("bulk", crawl, "-o", out, "--scheduler", cluster.scheduler_address,
                     "--summary-json", summary_path, "-q")
    assert result.returncode == 0, result.stderr
    assert _part_names(out) == ["part-00000.parquet"]
    rows = _parquet_rows(out)
    assert _as_records(rows, reference["crawl"]) == reference["crawl"]
    assert all(isinstance(row["http_status"], int) for row in rows.values())
    summary = json.loads(summary_path.read_text())
    assert (summary["done"], summary["failed"], summary["jobs"]) == (PAGES, 0, 2)

    again = run_cli("bulk", crawl, "-o", out, "--resume", "--scheduler",
                    cluster.scheduler_address, "--summary-json", summary_path, "-q")
    assert again.returncode == 0, again.stderr
    summary = json.loads(summary_path.read_text())
    assert (summary["done"], summary["skipped"]) == (0, PAGES)
    assert _part_names(out) == ["part-00000.parquet"]
    assert _as_records(_parquet_rows(out), reference["crawl"]) == reference["crawl"]


def test_parquet_parts_from_dask_lose_no_page_when_a_worker_dies(two_workers: Any,
                                                                 corpus: Path,
                                                                 reference: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    """Results arriving out of order from two workers, one of them killed mid-run, fill
    parts of bounded size: each page in exactly one part, none lost, none twice."""
    pytest.importorskip("pyarrow")
    from declutter.bulk.sinks.parquet import ParquetSink

    out = tmp_path / "pages.parquet"
    sink = ParquetSink(out, row_group_rows=16, part_rows=50)
    killer = _KillAfter(two_workers, after=70)
    summary = declutter.run_bulk(corpus, sink, executor=DaskExecutor(two_workers, batch_size=4),
                                 progress=killer)
    assert killer.killed is not None
    assert (summary.done, summary.failed) == (PAGES, 0), summary.describe()
    parts = _part_names(out)
    assert parts == [f"part-{number:05d}.parquet" for number in range(-(-PAGES // 50))]
    pq = pytest.importorskip("pyarrow.parquet")
    sizes = [pq.ParquetFile(out / name).metadata.num_rows for name in parts]
    assert sizes[:-1] == [50] * (len(parts) - 1) and sum(sizes) == PAGES
    assert _as_records(_parquet_rows(out), reference["pages"]) == reference["pages"]


def _page_bytes(task: PageTask) -> bytes:
    source = task.source
    return source if isinstance(source, bytes) else Path(os.fspath(source)).read_bytes()


def _crash_on_marker(task: PageTask, settings: PageSettings) -> Any:
    """The bulk page function, except that a page with the crash marker kills its worker."""
    if CRASH_MARKER.encode() in _page_bytes(task):
        os._exit(1)
    return process_task(task, settings)


def _hang_on_marker(task: PageTask, settings: PageSettings) -> Any:
    """The bulk page function, except that a page with the hang marker never finishes."""
    if HANG_MARKER.encode() in _page_bytes(task):
        while True:
            time.sleep(3600)
    return process_task(task, settings)


def _bug_on_marker(task: PageTask, settings: PageSettings) -> Any:
    """The bulk page function with a bug of declutter's kind on pages with the bug marker."""
    if BUG_MARKER.encode() in _page_bytes(task):
        return process_task(PageTask(task.key, 12345), settings)  # type: ignore[arg-type]
    return process_task(task, settings)


def _small_job(root: Path, special: str) -> Path:
    root.mkdir()
    for number in range(6):
        (root / f"page-{number}.html").write_bytes(ARTICLE + f"<!-- {number} -->".encode())
    (root / "special.html").write_bytes(ARTICLE + f"<!-- {special} -->".encode())
    return root


def test_a_page_that_hangs_fails_at_its_deadline(two_workers: Any, tmp_path: Path) -> None:
    root = _small_job(tmp_path / "pages", HANG_MARKER)
    executor = DaskExecutor(two_workers, timeout=2, batch_size=3)
    started = time.monotonic()
    summary = declutter.run_bulk(root, tmp_path / "out.jsonl", executor=executor,
                                 page_function=_hang_on_marker)
    assert time.monotonic() - started < 60
    assert (summary.done, summary.failed, summary.timeouts) == (6, 1, 1)
    errors = jsonl_records(tmp_path / "out.errors.jsonl")
    assert errors["special.html"]["error"] == "TimeoutError"


def test_a_page_that_kills_every_worker_fails_alone(two_workers: Any, tmp_path: Path) -> None:
    root = _small_job(tmp_path / "pages", CRASH_MARKER)
    executor = DaskExecutor(two_workers, batch_size=7, retries=0)
    summary = declutter.run_bulk(root, tmp_path / "out.jsonl", executor=executor,
                                 page_function=_crash_on_marker)
    assert (summary.done, summary.failed) == (6, 1), summary.describe()
    errors = jsonl_records(tmp_path / "out.errors.jsonl")
    assert errors["special.html"]["error"] == "WorkerDiedError"
    assert len(jsonl_records(tmp_path / "out.jsonl")) == 6


def test_a_bug_is_recorded_apart_on_dask_as_on_the_local_pool(two_workers: Any,
                                                              tmp_path: Path) -> None:
    root = _small_job(tmp_path / "pages", BUG_MARKER)
    (root / "photo.html").write_bytes(b"\xff\xd8\xff\xe0" + bytes(500))
    logs = {}
    for name, executor in (("dask", DaskExecutor(two_workers, batch_size=3)),
                           ("local", None)):
        summary = declutter.run_bulk(root, tmp_path / f"{name}.jsonl", executor=executor,
                                     jobs=None if executor else 2, page_function=_bug_on_marker)
        assert (summary.done, summary.failed, summary.bugs) == (6, 1, 1), name
        logs[name] = jsonl_records(tmp_path / f"{name}.errors.jsonl")
    bug = logs["dask"]["special.html"]
    assert (bug["error"], bug["kind"]) == ("TypeError", "bug") and "Traceback" in bug["traceback"]
    for path in ("special.html", "photo.html"):  # the same record wherever the page ran
        dask, local = logs["dask"][path], logs["local"][path]
        assert (dask["error"], dask["message"], dask["kind"]) == (
            local["error"], local["message"], local["kind"])


def test_a_scheduler_that_does_not_answer_fails_in_seconds(tmp_path: Path) -> None:
    """An address where something accepts connections and never speaks (a dead service
    behind a live port, a wrong port): the command stops with a message naming the
    address within seconds, not Dask's 30."""
    import socket

    from declutter.cluster import CONNECT_TIMEOUT

    pages = _small_job(tmp_path / "pages", "nothing special")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = run_cli("bulk", pages, "-o", tmp_path / "out.jsonl", "--scheduler", address)
        took = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert address in result.stderr and "no answer within" in result.stderr
    assert "Traceback" not in result.stderr
    # the connect timeout, plus starting Python and importing Dask in the child
    assert took < CONNECT_TIMEOUT + 20, took
    with pytest.raises(BulkError, match=r"no answer within 0\.5 s"):
        started = time.monotonic()
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            executor = DaskExecutor(f"tcp://127.0.0.1:{silent.getsockname()[1]}",
                                    connect_timeout=0.5)
            declutter.run_bulk(pages, tmp_path / "lib.jsonl", executor=executor)
    assert time.monotonic() - started < 10


def test_extract_record_tells_a_bug_from_a_bad_page(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = extract_record(b"%PDF-1.4 ...")
    assert (bad["error"], bad["error_kind"], bad["traceback"]) == ("NotHTMLError", "page", None)

    def buggy(*args: object, **kwargs: object) -> None:
        raise KeyError("blocks")

    monkeypatch.setattr(engines, "run", buggy)
    record = extract_record(ARTICLE)
    assert (record["error"], record["error_kind"]) == ("KeyError", "bug")
    assert "Traceback" in record["traceback"] and record["text"] is None


def test_no_scheduler_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    import dask

    with dask.config.set({"scheduler-address": None}), pytest.raises(BulkError):
        declutter.run_bulk(_small_job(tmp_path / "p", "x"), tmp_path / "o.jsonl",
                           executor=DaskExecutor())


# --------------------------------------------------------------------------- pipeline functions


def _slow_or_fast(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _failed(task: Any, failure: Failure) -> str:
    return f"{failure.error}: {task}"


def test_run_batch_gives_up_a_page_past_its_deadline_and_goes_on() -> None:
    outcome = run_batch(_slow_or_fast, _failed, [0.0, 5.0, 0.01, 0.0], timeout=0.5)
    assert outcome.results == [0.0, "TimeoutError: 5.0", 0.01, 0.0]
    assert outcome.timeouts == 1


def test_run_batch_hands_back_the_pages_its_time_did_not_reach() -> None:
    """Past its budget a batch starts no more pages: what it ran comes back with the
    tasks not started, each exactly once; a batch's first page always runs."""
    outcome = run_batch(_slow_or_fast, _failed, [0.3, 0.3, 0.3, 0.0], timeout=5, budget=0.5)
    assert outcome.results == [0.3, 0.3] and outcome.rest == [0.3, 0.0]
    outcome = run_batch(_slow_or_fast, _failed, [0.2, 0.0], timeout=5, budget=0.01)
    assert outcome.results == [0.2] and outcome.rest == [0.0]
    outcome = run_batch(_slow_or_fast, _failed, [0.0, 0.0, 0.0], timeout=5, budget=10)
    assert outcome.results == [0.0, 0.0, 0.0] and outcome.rest == []


def test_slow_batches_are_spread_and_every_page_still_comes_once(
        two_workers: Any, corpus: Path, reference: dict[str, Any], tmp_path: Path) -> None:
    """With a budget so small that every batch stops after its first page, the rest of
    each goes out a page a task: the records are those of the local pool, none twice."""
    executor = DaskExecutor(two_workers, batch_size=8, batch_seconds=1e-6)
    summary = declutter.run_bulk(corpus, tmp_path / "out.jsonl", executor=executor)
    assert (summary.total, summary.done, summary.failed) == (PAGES, PAGES, 0)
    assert jsonl_records(tmp_path / "out.jsonl") == reference["pages"]


def test_batches_shrink_near_the_end_of_a_run() -> None:
    from declutter.bulk.execution.dask import _batches

    sizes = [len(batch) for batch in _batches(iter(range(100)), 8, 100, 2)]
    assert sum(sizes) == 100 and sizes[:8] == [8] * 8 and sizes[-4:] == [1] * 4
    assert sizes == sorted(sizes, reverse=True)
    assert [len(b) for b in _batches(iter(range(20)), 8)] == [8, 8, 4]  # no total: fixed


def test_extract_record_never_raises() -> None:
    record = extract_record(ARTICLE, "https://news.example/a")
    assert list(record) == list(RECORD_FIELDS)
    assert record["text"] == declutter.clean(ARTICLE, url="https://news.example/a")
    assert record["error"] is None and isinstance(record["authors"], list)
    for bad, error in ((b"%PDF-1.4 ...", "NotHTMLError"), (None, "ValueError"),
                       (12, "TypeError")):
        failed = extract_record(bad)  # type: ignore[arg-type]
        assert failed["error"] == error and failed["text"] is None, bad


def test_extract_partition_reads_what_spark_hands_over() -> None:
    rows = [ARTICLE, (ARTICLE, "https://news.example/b"),
            {"id": 7, "html": ARTICLE.decode(), "url": "https://news.example/c"}]
    records = list(extract_partition(iter(rows)))
    assert [r["source_url"] for r in records] == [None, "https://news.example/b",
                                                  "https://news.example/c"]
    assert records[1]["url"] == declutter.extract(ARTICLE).url  # the page's canonical link
    assert records[2]["id"] == 7 and "html" not in records[2]
    assert len({r["text"] for r in records}) == 1


def test_extract_batch_keeps_the_batch_kind() -> None:
    import numpy

    batch = {"id": [1, 2], "html": [ARTICLE, b"%PDF-"], "url": ["https://n.example/", None]}
    out = extract_batch(batch)
    assert list(out) == ["id", *RECORD_FIELDS] and out["id"] == [1, 2]
    assert out["error"] == [None, "NotHTMLError"]
    arrays = extract_batch({"html": numpy.array([ARTICLE.decode()], dtype=object)},
                           url_column="url")
    assert isinstance(arrays["text"], numpy.ndarray) and arrays["text"][0]
    with pytest.raises(KeyError):
        extract_batch({"body": []})


def test_extract_bag_runs_on_the_workers(two_workers: Any) -> None:
    import dask.bag as db

    pages = [(ARTICLE + f"<!-- {n} -->".encode(), f"https://news.example/{n}")
             for n in range(12)]
    bag = db.from_sequence(pages, npartitions=4)
    options = declutter.Options(include_title=True)
    records = two_workers.compute(extract_bag(bag, options=options)).result()
    assert len(records) == 12 and all(r["error"] is None for r in records)
    assert records[0]["text"] == declutter.clean(pages[0][0], url=pages[0][1], options=options)
    mapped = two_workers.compute(bag.map(lambda page: extract_record(*page)))
    assert [r["source_url"] for r in mapped.result()] == [url for _, url in pages]


def test_extract_dataframe(two_workers: Any) -> None:
    import dask.dataframe as dd
    import pandas

    frame = pandas.DataFrame({"id": [1, 2, 3], "html": [ARTICLE.decode(), "<p>x</p>", None]})
    records = two_workers.compute(
        declutter.cluster.extract_dataframe(dd.from_pandas(frame, npartitions=2))
    ).result()
    assert list(records.columns) == ["id", *RECORD_FIELDS]
    assert records["error"].tolist()[2] == "ValueError"


def test_the_page_function_pickles_for_any_engine() -> None:
    import pickle

    function = functools.partial(extract_record, options=declutter.Options())
    assert pickle.loads(pickle.dumps(function))(ARTICLE)["text"]


def test_explain_reports_come_back_from_the_dask_workers(two_workers: Any,
                                                         tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    for name in ("a.html", "b.html", "c.html"):
        (source / name).write_bytes(ARTICLE)
    reports = tmp_path / "reports"
    summary = declutter.run_bulk(source, tmp_path / "out", explain_dir=reports,
                                 executor=DaskExecutor(two_workers, batch_size=2))
    assert summary.ok and summary.done == 3
    for name in ("a", "b", "c"):
        report = (reports / f"{name}.explain.html").read_text(encoding="utf-8")
        assert report == declutter.explain_html(ARTICLE, url=guess_url(ARTICLE))
