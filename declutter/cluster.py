"""Clusters: run declutter on Dask, or from Spark, Ray Data and other engines.

A crawl of millions of pages outgrows one machine, and the people who clean
crawls already run an engine. This module meets them there rather than
shipping a scheduler of its own:

* :class:`DaskExecutor` runs a bulk job (a directory of pages or WARC files)
  on a Dask distributed cluster (``pip install 'declutter[dask]'``). It is an
  :class:`~declutter.bulk.Executor`, so outputs, the error log, ``resume`` and
  the summary are those of the local bulk mode; the command line uses it with
  ``declutter bulk ... --scheduler tcp://HOST:8786`` (or ``DASK_SCHEDULER_ADDRESS``).
* :func:`extract_record`, :func:`extract_partition` and :func:`extract_batch`
  are plain, picklable functions for pipelines that already hold HTML in an
  engine: a Dask bag (:func:`extract_bag`) or DataFrame
  (:func:`extract_dataframe`), a Spark RDD (``rdd.mapPartitions``), a Ray
  dataset (``ds.map_batches``). They never raise for a bad page: its record
  says what went wrong, so one page cannot fail a partition.

Workers read pages (and WARC records) from the paths the client lists, so
the input must be at the same path on every worker: a shared or network file
system, or one machine's :class:`distributed.LocalCluster`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import itertools
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ._errors import Failure, failure_of, import_extra
from ._options import Options
from ._pipeline import run
from .bulk.errors import BulkError, WorkerDiedError
from .bulk.executors import DEFAULT_TIMEOUT, SCHEDULER_ENV, ExecutorStats, Failed
from .bulk.output import article_record

T = TypeVar("T")
R = TypeVar("R")

#: Pages per Dask task: enough to keep the scheduler's per-task cost (about a
#: millisecond) small beside the pages' (a few to tens of milliseconds each), few
#: enough that a lost worker costs little work to redo and the load stays balanced.
DEFAULT_BATCH_SIZE = 8

#: Seconds a batch may run before its worker starts no more of its pages and hands the
#: rest back, to be spread as tasks of one page each. A batch of ordinary pages takes a
#: fraction of this (8 pages of tens to a hundred milliseconds); a few slow pages next
#: to each other (one site's huge listings) would otherwise run in series on one thread
#: while the others finish and idle.
BATCH_SECONDS = 2.0

#: Batches in flight per worker thread: enough that a thread finishing a batch finds
#: the next one already on its worker, few enough not to flood the scheduler.
_WINDOW_PER_THREAD = 4
#: Fewest batches in flight, so a small cluster still has work queued.
_MIN_WINDOW = 8

#: Times Dask reruns a task that raised (the page function itself never does;
#: this covers a worker that failed to unpickle or import, for instance).
DEFAULT_RETRIES = 2

#: Seconds a scheduler has to answer before the run stops with an error. One on a local
#: network or a tunnel answers in milliseconds; Dask's own default (30 s) leaves a user
#: with a mistyped or dead address staring at a silent terminal.
CONNECT_TIMEOUT = 5.0
#: Seconds beyond :data:`CONNECT_TIMEOUT` the thread asking the scheduler is waited for
#: (it cancels its own question at the timeout; this only covers a loop slow to stop).
_PROBE_GRACE = 2.0


def distributed_module() -> Any:
    """``distributed``, or an ImportError that says what to install."""
    return import_extra("distributed", "dask", "running on a Dask cluster")


# --------------------------------------------------------------------------- the executor


@dataclass(frozen=True)
class _BatchOutcome:
    """What a worker sends back for a batch: one result per task it ran, the tasks it
    did not start (its time was up: see :data:`BATCH_SECONDS`), and its own figures."""

    results: list[Any]
    cpu_seconds: float
    rss: int
    timeouts: int
    rest: list[Any] = field(default_factory=list)


#: What a batch's page thread answers instead of a result when the batch's time is up.
_TIME_UP = object()


def run_batch(
    func: Callable[[T], R],
    failed: Failed[T, R],
    tasks: Sequence[T],
    timeout: float | None,
    budget: float | None = None,
) -> _BatchOutcome:
    """Run ``func`` over ``tasks`` in a Dask worker, each within ``timeout`` seconds.

    Pages run one after another in a helper thread, so a page past its
    deadline can be given up: it gets a ``TimeoutError`` result and the rest
    of the batch goes on in a fresh thread. A thread cannot be killed, so the
    stuck one is left behind (told to stop before its next page); unlike the
    local pool, which kills the worker process, a page stuck in C code that
    holds the interpreter lock stalls the whole Dask worker until Dask's
    worker time-to-live removes it, after which the page fails as
    :class:`~declutter.bulk.WorkerDiedError`.

    With a ``budget`` (seconds), no page is started once the batch has run that
    long: the tasks not started come back in :attr:`_BatchOutcome.rest`, for the
    client to spread over other threads.
    """
    results: list[R] = []
    cpu = 0.0
    timeouts = 0
    rest = list(tasks)
    ends = time.monotonic() + budget if budget else None
    while rest:
        answers: queue.SimpleQueue[tuple[Any, float]] = queue.SimpleQueue()
        stop = threading.Event()
        worker = threading.Thread(target=_batch_thread, args=(func, failed, list(rest), answers,
                                                              stop, ends),
                                  name="declutter-page", daemon=True)
        worker.start()
        while rest:
            try:
                result, seconds = answers.get(timeout=timeout)
            except queue.Empty:
                stop.set()
                timeouts += 1
                results.append(failed(rest.pop(0), Failure(
                    TimeoutError.__name__,
                    f"no result after {timeout:g} s; the page was given up "
                    "(its thread is left to finish on the Dask worker)")))
                break
            if result is _TIME_UP:
                return _BatchOutcome(results, cpu, _worker_rss(), timeouts, rest)
            results.append(result)
            cpu += seconds
            rest.pop(0)
    return _BatchOutcome(results, cpu, _worker_rss(), timeouts)


def _batch_thread(func: Callable[[T], R], failed: Failed[T, R], tasks: list[T],
                  answers: queue.SimpleQueue[tuple[Any, float]], stop: threading.Event,
                  ends: float | None = None) -> None:
    for number, task in enumerate(tasks):
        if stop.is_set():
            return
        if number and ends is not None and time.monotonic() > ends:
            answers.put((_TIME_UP, 0.0))  # this thread decides, so no page runs twice
            return
        started = time.thread_time()
        try:
            result = func(task)
        except MemoryError:
            result = failed(task, Failure(MemoryError.__name__, "out of memory on the Dask worker"))
        except Exception as error:  # sorted into page problems and bugs, as on the local pool
            result = failed(task, failure_of(error))
        answers.put((result, time.thread_time() - started))


def _worker_rss() -> int:
    """The Dask worker's resident memory in bytes; 0 when it cannot be read."""
    try:
        import psutil  # a dependency of distributed
    except ImportError:
        return 0
    try:
        return int(psutil.Process().memory_info().rss)
    except (psutil.Error, OSError):  # memory figures are informative only
        return 0


def _ask_scheduler(distributed: Any, address: str, timeout: float) -> None:
    """Open a connection to the scheduler at ``address`` and shake hands, within ``timeout``
    seconds, or raise ``TimeoutError`` (``OSError`` when nothing listens there).

    ``distributed.Client``'s ``timeout`` bounds the TCP connection only: something that
    accepts connections and never speaks (a dead service behind a live port, a port of
    another program) keeps it waiting for the scheduler's handshake for ever. The
    question runs in a thread with a loop of its own, so this works from inside a running
    event loop (a notebook) too.
    """
    connection_args = distributed.Security().get_connection_args("client")
    failed: list[BaseException] = []

    async def handshake() -> None:
        comm = await asyncio.wait_for(
            distributed.comm.connect(address, timeout=timeout, **connection_args), timeout)
        await comm.close()

    def ask() -> None:
        try:
            asyncio.run(handshake())
        except BaseException as error:  # handed to the caller's thread
            failed.append(error)

    thread = threading.Thread(target=ask, name="declutter-dask-probe", daemon=True)
    thread.start()
    thread.join(timeout + _PROBE_GRACE)
    if thread.is_alive():
        raise TimeoutError(f"no handshake after {timeout:g} s")
    if failed:
        error = failed[0]
        if isinstance(error, asyncio.TimeoutError | TimeoutError):
            raise TimeoutError(f"connected, but no handshake after {timeout:g} s") from None
        raise error


class DaskExecutor:
    """Runs a bulk job's pages on a Dask distributed cluster.

    ``scheduler`` is an address (``tcp://host:8786``), a
    :class:`distributed.Client`, a cluster object (``LocalCluster``), or None
    for ``$DASK_SCHEDULER_ADDRESS`` (or Dask's ``scheduler-address`` setting).
    A client made here is closed when the run ends; one passed in is left open.

    Pages travel in batches of ``batch_size``, at most ``window`` batches in
    flight (default: four per worker thread), so a crawl of millions of pages
    never floods the scheduler or the client's memory; batches shrink near the end
    of a run, and a batch still running after ``batch_seconds`` (a few slow pages
    side by side) hands the pages it has not started back, to go out one per task,
    so slow pages are spread over the threads instead of run in series on one.
    Each page gets
    ``timeout`` seconds (see :func:`run_batch`). A worker that dies takes no
    page with it: Dask reruns its tasks elsewhere, and a batch that keeps
    killing workers (Dask's ``allowed-failures``) is split into single pages,
    and a page given up alone is tried once more at the end with nothing else
    running (Dask blames every task a dying worker held), so only a page that
    kills workers by itself fails, as ``WorkerDiedError``. Memory limits are
    Dask's own (``--memory-limit`` of ``dask worker``): the nanny restarts a
    worker over its limit and its tasks are rerun.
    """

    def __init__(
        self,
        scheduler: Any = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retries: int = DEFAULT_RETRIES,
        window: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        batch_seconds: float | None = BATCH_SECONDS,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.scheduler = scheduler
        self.timeout = timeout if timeout and timeout > 0 else None
        self.batch_size = batch_size
        self.retries = retries
        self.window = window
        self.connect_timeout = connect_timeout
        self.batch_seconds = batch_seconds
        self.stats = ExecutorStats()
        #: Worker threads of the cluster when the run started (the summary's ``jobs``).
        self.jobs = 0

    def for_listing(self) -> DaskExecutor:
        """An executor on the same cluster for whole-file jobs (listing WARC archives):
        one file per task and no per-page deadline."""
        return DaskExecutor(self.scheduler, timeout=None, batch_size=1, retries=self.retries,
                            connect_timeout=self.connect_timeout, batch_seconds=None)

    def _client(self) -> tuple[Any, bool]:
        distributed = distributed_module()
        if isinstance(self.scheduler, distributed.Client):
            return self.scheduler, False
        address = self.scheduler
        if address is None:
            import dask

            address = os.environ.get(SCHEDULER_ENV) or dask.config.get("scheduler-address", None)
        if not address:
            raise BulkError(f"no Dask scheduler: pass its address or set {SCHEDULER_ENV}")
        try:
            if isinstance(address, str):
                _ask_scheduler(distributed, address, self.connect_timeout)
            return distributed.Client(address, set_as_default=False,
                                      timeout=self.connect_timeout), True
        except (OSError, TimeoutError) as error:
            raise BulkError(f"cannot reach the Dask scheduler at {address} (no answer within "
                            f"{self.connect_timeout:g} s): {error or type(error).__name__}"
                            ) from None

    def map_unordered(self, func: Callable[[T], R], tasks: Iterable[T],
                      failed: Failed[T, R]) -> Iterator[R]:
        client, owned = self._client()
        batches = _DaskBatches(self, client, func, failed)
        try:
            self.jobs = sum(client.nthreads().values())
            total = len(tasks) if isinstance(tasks, Sized) else None
            yield from batches.run(_batches(iter(tasks), self.batch_size, total, self.jobs),
                                   self.window or max(_MIN_WINDOW, _WINDOW_PER_THREAD * self.jobs))
        finally:
            batches.cancel()
            if owned:
                client.close()

    def note(self, outcome: _BatchOutcome) -> None:
        """Add a batch's figures to the run's."""
        stats = self.stats
        stats.worker_cpu_seconds += outcome.cpu_seconds
        stats.timeouts += outcome.timeouts
        stats.note_rss(outcome.rss)

    def failure(self, error: BaseException) -> Failure:
        """The failure of a page whose Dask task failed as a whole."""
        if isinstance(error, asyncio.CancelledError | concurrent.futures.CancelledError):
            return Failure("CancelledError", "the Dask task was cancelled (the scheduler "
                                             "restarted, or lost this client)")
        if _killed_workers(error):
            self.stats.crashes += 1
            return Failure(WorkerDiedError.__name__, "every Dask worker given this page died "
                                                     "(a crash, or the worker's memory limit)")
        return failure_of(error)


class _DaskBatches(Generic[T, R]):
    """The batches of one ``DaskExecutor.map_unordered`` call, in flight and done."""

    def __init__(self, owner: DaskExecutor, client: Any, func: Callable[[T], R],
                 failed: Failed[T, R]) -> None:
        self.owner, self.client, self.func, self.failed = owner, client, func, failed
        self.run_id = uuid.uuid4().hex[:8]
        self.numbers = itertools.count()
        self.pending: dict[Any, list[T]] = {}
        #: pages whose own task was given up as KilledWorker: possibly innocent, since Dask
        #: blames every task a dying worker held, so each is tried again alone at the end
        self.suspects: list[T] = []

    def submit(self, batch: list[T]) -> Any:
        # a batch of one page has nobody to hand its rest to: no budget
        budget = self.owner.batch_seconds if len(batch) > 1 else None
        future = self.client.submit(run_batch, self.func, self.failed, batch,
                                    self.owner.timeout, budget,
                                    key=f"declutter-{self.run_id}-{next(self.numbers)}",
                                    retries=self.owner.retries)
        self.pending[future] = batch
        return future

    def run(self, batches: Iterator[list[T]], window: int) -> Iterator[R]:
        done = distributed_module().as_completed(loop=self.client.loop)
        for batch in itertools.islice(batches, window):
            done.add(self.submit(batch))
        for future in done:
            batch = self.pending.pop(future)
            try:
                # A result held by a worker that died since is recomputed: wait for it.
                outcome: _BatchOutcome = future.result()
            except (Exception, asyncio.CancelledError) as error:  # the task, not a page
                if _killed_workers(error):
                    if len(batch) > 1:
                        for task in batch:  # find the page to blame: one task each
                            done.add(self.submit([task]))
                    else:
                        self.suspects.extend(batch)
                    continue
                failure = self.owner.failure(error)
                yield from (self.failed(task, failure) for task in batch)
            else:
                self.owner.note(outcome)
                yield from outcome.results
                # pages its time did not reach: one task each, so free threads share them
                for task in outcome.rest:
                    done.add(self.submit([task]))
            for next_batch in itertools.islice(batches, 1):
                done.add(self.submit(next_batch))
        yield from self._retry_suspects()

    def _retry_suspects(self) -> Iterator[R]:
        for task in self.suspects:  # one at a time: nothing else is running to blame
            future = self.submit([task])
            try:
                outcome: _BatchOutcome = future.result()
            except (Exception, asyncio.CancelledError) as error:  # the task, not a page
                yield self.failed(task, self.owner.failure(error))
            else:
                self.owner.note(outcome)
                yield from outcome.results
            finally:
                self.pending.pop(future, None)

    def cancel(self) -> None:
        """Cancel what is still in flight (the run was cut short)."""
        if self.pending:
            self.client.cancel(list(self.pending), force=True)


def _killed_workers(error: BaseException) -> bool:
    """Dask gave the task up because workers kept dying on it (``KilledWorker``)."""
    return type(error).__name__ == "KilledWorker"


def _batches(tasks: Iterator[T], size: int, total: int | None = None,
             threads: int = 1) -> Iterator[list[T]]:
    """Batches of ``size`` tasks; of fewer near the end of ``total`` tasks, so the last
    ones are shared by every thread rather than left to a few in long batches."""
    left = total
    while True:
        now = size if left is None else max(1, min(size, left // (2 * max(threads, 1))))
        batch = list(itertools.islice(tasks, now))
        if not batch:
            return
        if left is not None:
            left -= len(batch)
        yield batch


# --------------------------------------------------------------------------- pipelines

#: The fields of every record :func:`extract_record` returns, in order, so that
#: batches and DataFrames get the same columns whatever happened to the page.
#: ``error_kind`` is ``"page"`` for a page's own problem and ``"bug"`` for a bug of
#: declutter, whose ``traceback`` is kept (see SECURITY.md, "Failures").
RECORD_FIELDS: tuple[str, ...] = (
    "source_url", "url", "title", "authors", "published", "site_name", "language", "description",
    "is_article", "confidence", "fallback", "text", "error", "message", "error_kind", "traceback",
)


def extract_record(
    html: str | bytes | None,
    url: str | None = None,
    *,
    options: Options | None = None,
) -> dict[str, Any]:
    """One page as a flat, JSON-ready record (:data:`RECORD_FIELDS`); never raises.

    ``source_url`` is the ``url`` given (a key to join results back on); ``url``
    is the page's own address as the article reports it (its canonical link
    when it has one), as in bulk records.
    A page declutter refuses (not HTML, too large, empty or missing) comes back
    with ``text`` None and ``error``/``message`` set, so a bad page in a
    partition of thousands costs that page only; a bug of declutter too, with
    ``error_kind`` "bug" and its ``traceback``. Module-level and picklable:
    ship it to any engine as it is, or with ``functools.partial`` for options.
    """
    record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
    record["source_url"] = record["url"] = url
    if not isinstance(html, str | bytes):  # a missing cell or a wrong column: the row's problem
        kind = type(html).__name__
        problem = (Failure("ValueError", "no HTML") if html is None else
                   Failure("TypeError", f"expected HTML as str or bytes, not {kind}"))
        return _failed(record, problem)
    try:
        article = run(html, url, options, full=True)
    except MemoryError:
        raise
    except Exception as error:  # a page's failure is its record's, never the partition's
        return _failed(record, failure_of(error))
    data = article_record(article)
    data["authors"] = list(data.get("authors") or ())
    record.update({name: data.get(name) for name in RECORD_FIELDS if name in data})
    return record


def _failed(record: dict[str, Any], failure: Failure) -> dict[str, Any]:
    record.update(error=failure.error, message=failure.message, error_kind=failure.kind,
                  traceback=failure.traceback)
    return record


def _html_and_url(item: Any, html_key: str, url_key: str) -> tuple[Any, str | None]:
    """A page from what engines hand over: HTML, an (html, url) pair, or a row/mapping."""
    if isinstance(item, str | bytes | bytearray | memoryview) or item is None:
        return item, None
    if isinstance(item, tuple) and not hasattr(item, "asDict") and len(item) == 2:
        return item[0], item[1]
    if hasattr(item, "asDict"):  # a Spark Row
        item = item.asDict()
    if isinstance(item, Mapping):
        return item.get(html_key), item.get(url_key)
    raise TypeError(f"cannot read a page from a {type(item).__name__}: give HTML, (html, url) "
                    f"or a mapping with {html_key!r}")


def extract_partition(
    items: Iterable[Any],
    *,
    options: Options | None = None,
    html_key: str = "html",
    url_key: str = "url",
) -> Iterator[dict[str, Any]]:
    """Records for a stream of pages: Spark's ``mapPartitions``, any iterator of pages.

    Each item is HTML (``str``/``bytes``), an ``(html, url)`` pair, or a
    mapping or Spark ``Row`` with ``html_key`` and ``url_key`` (its other
    fields, an id for instance, are copied into the record).
    """
    for item in items:
        html, url = _html_and_url(item, html_key, url_key)
        record = extract_record(bytes(html) if isinstance(html, bytearray | memoryview)
                                else html, url, options=options)
        if hasattr(item, "asDict"):
            item = item.asDict()
        if isinstance(item, Mapping):
            extra = {k: v for k, v in item.items() if k not in (html_key, url_key)}
            record = {**extra, **record}
        yield record


def extract_batch(
    batch: Any,
    *,
    options: Options | None = None,
    html_column: str = "html",
    url_column: str | None = "url",
) -> Any:
    """Records for a batch of pages in columns: Ray's ``map_batches``, Dask's ``map_partitions``.

    ``batch`` is a pandas DataFrame or a mapping of column name to sequence
    (a dict of lists, or Ray's dict of NumPy arrays). The result has the
    batch's other columns followed by :data:`RECORD_FIELDS`, in the same
    kind: a DataFrame for a DataFrame, NumPy arrays for arrays, else lists.
    ``url_column`` may be missing from the batch (or None): no URLs then.
    """
    columns = list(batch.columns) if hasattr(batch, "columns") else list(batch.keys())
    if html_column not in columns:
        raise KeyError(f"the batch has no {html_column!r} column (it has {columns})")
    pages = list(batch[html_column])
    urls: list[Any] = (list(batch[url_column]) if url_column and url_column in columns
                       else [None] * len(pages))
    out: dict[str, list[Any]] = {
        name: list(batch[name]) for name in columns if name not in (html_column, *RECORD_FIELDS)
    }
    for name in RECORD_FIELDS:
        out[name] = []
    for html, url in zip(pages, urls, strict=True):
        record = extract_record(_plain(html), _plain(url), options=options)
        for name in RECORD_FIELDS:
            out[name].append(record[name])
    if hasattr(batch, "columns") and hasattr(batch, "index"):  # pandas
        return type(batch)(out, index=batch.index)
    values = batch[html_column]
    if type(values).__module__ == "numpy":
        import numpy

        arrays: dict[str, Any] = {}
        for name, column in out.items():
            array = numpy.empty(len(column), dtype=object)
            array[:] = column
            arrays[name] = array
        return arrays
    return out


def _plain(value: Any) -> Any:
    """NumPy scalars, missing values (NaN, None) and buffers as plain Python values."""
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, float) and value != value:  # NaN: a missing cell
        return None
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return None
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def extract_bag(bag: Any, *, options: Options | None = None, html_key: str = "html",
                url_key: str = "url") -> Any:
    """A Dask bag of records from a bag of pages (HTML, ``(html, url)`` or mappings).

    >>> import dask.bag as db                                     # doctest: +SKIP
    >>> pages = db.from_sequence(paths).map(read_bytes)            # doctest: +SKIP
    >>> extract_bag(pages).filter(lambda r: r["text"]).to_textfiles("out/*.jsonl")
    """
    return bag.map_partitions(functools.partial(_partition_list, options=options,
                                                html_key=html_key, url_key=url_key))


def _partition_list(items: Iterable[Any], **keywords: Any) -> list[dict[str, Any]]:
    return list(extract_partition(items, **keywords))


def extract_dataframe(frame: Any, *, options: Options | None = None,
                      html_column: str = "html", url_column: str | None = "url") -> Any:
    """A Dask DataFrame of records from one with a column of HTML (and one of URLs).

    Other columns are kept, the HTML column is dropped (it is usually most of
    the data), and :data:`RECORD_FIELDS` are added. Needs ``dask[dataframe]``.
    """
    import pandas

    columns = [name for name in frame.columns if name not in (html_column, *RECORD_FIELDS)]
    meta = pandas.DataFrame({
        **{name: frame._meta[name] for name in columns},
        **{name: pandas.Series(dtype=_DTYPES.get(name, object)) for name in RECORD_FIELDS},
    })
    return frame.map_partitions(extract_batch, options=options, html_column=html_column,
                                url_column=url_column if url_column in frame.columns else None,
                                meta=meta)


_DTYPES: dict[str, Any] = {"is_article": object, "confidence": "float64", "fallback": object}


__all__ = [
    "BATCH_SECONDS",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_RETRIES",
    "RECORD_FIELDS",
    "SCHEDULER_ENV",
    "DaskExecutor",
    "extract_bag",
    "extract_batch",
    "extract_dataframe",
    "extract_partition",
    "extract_record",
    "run_batch",
]
