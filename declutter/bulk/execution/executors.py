"""Executors: what runs the work function over a run's tasks, and where.

An executor maps a picklable function over tasks and yields exactly one
result per task, whatever happens: :class:`~declutter.bulk.execution.pool.ProcessExecutor` (worker
processes with a per-page deadline and a memory limit, see
:mod:`declutter.bulk.execution.pool`), :class:`InlineExecutor` (this process, for
debugging) or :class:`declutter.cluster.DaskExecutor` (a Dask cluster).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from declutter._model.errors import Failure, failure_of

T = TypeVar("T")
R = TypeVar("R")

#: What an executor calls to make the result of a task that could not finish.
Failed = Callable[[T, Failure], R]

#: Seconds a page may take before its worker is killed and replaced: a hundred times
#: a slow page's time, so only a page that hangs (or a machine that stalls) meets it.
DEFAULT_TIMEOUT = 30.0

#: Resident memory (bytes) above which a worker is replaced after its page: far above
#: what the largest accepted page needs (tens of MiB), below what makes a machine swap.
DEFAULT_MEMORY_LIMIT = 2 * 1024**3

#: Environment variable (Dask's own) naming the scheduler when none is given.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


@dataclass
class ExecutorStats:
    """What an executor did besides running pages; the summary reports it."""

    workers_started: int = 0
    #: Pages whose worker was killed at the deadline.
    timeouts: int = 0
    #: Workers replaced for using too much memory.
    memory_recycles: int = 0
    #: Workers that died on their own (a crash, an outside kill).
    crashes: int = 0
    #: Highest resident memory any worker reached, in bytes (None when unknown).
    peak_worker_rss: int | None = None
    #: CPU seconds the workers used, as they reported it: set against the run's
    #: wall time it shows whether the workers got their cores (a shared machine).
    worker_cpu_seconds: float = 0.0

    def note_rss(self, rss: int) -> None:
        """Keep the highest resident memory a worker reported."""
        if rss and (self.peak_worker_rss is None or rss > self.peak_worker_rss):
            self.peak_worker_rss = rss


class Executor(Protocol):
    """Runs a function over tasks and yields exactly one result per task, in any order.

    A failure outside the function (a deadline, a dead worker) and an
    exception the function raises must still produce a result, built by
    ``failed(task, failure)`` from a :class:`~declutter._model.errors.Failure`
    (:func:`~declutter._model.errors.failure_of` makes one of an exception).
    """

    stats: ExecutorStats

    def map_unordered(self, func: Callable[[T], R], tasks: Iterable[T],
                      failed: Failed[T, R]) -> Iterator[R]: ...


class InlineExecutor:
    """Runs every task in this process, one after another: no deadline, no memory limit.

    For debugging (a breakpoint in the extraction code is hit) and for tiny
    runs where starting processes costs more than the work.
    """

    def __init__(self) -> None:
        self.stats = ExecutorStats()

    def map_unordered(self, func: Callable[[T], R], tasks: Iterable[T],
                      failed: Failed[T, R]) -> Iterator[R]:
        for task in tasks:
            try:
                result = func(task)
            except Exception as error:  # sorted into page problems and bugs by failure_of
                result = failed(task, failure_of(error))
            yield result


def default_jobs() -> int:
    """The CPUs this process may run on (respects affinity masks, so containers too)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1
