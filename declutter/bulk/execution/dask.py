"""The Dask executor: a bulk run's pages on a Dask distributed cluster.

:class:`DaskExecutor` is an :class:`~declutter.bulk.Executor`, so a run on a cluster
has the outputs, error log, ``resume`` and summary of a run on the local pool. Pages go
in batches; each task runs its batch in a thread with a per-page deadline, and a batch
lost with its worker is retried on another. Workers read pages from the paths the
client lists: the input must be at the same path on every worker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from declutter._model.errors import Failure, failure_of, import_extra
from declutter.bulk.errors import BulkError, WorkerDiedError
from declutter.bulk.execution.executors import DEFAULT_TIMEOUT, SCHEDULER_ENV, ExecutorStats, Failed

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
