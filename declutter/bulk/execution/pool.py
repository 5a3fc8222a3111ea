"""The process pool behind :class:`~declutter.bulk.ProcessExecutor`, as the parent runs it.

Each worker has its own pipe; the parent sends tasks in small batches, reads
results, and keeps for every worker the tasks it holds, so a worker that
passes a deadline or dies can be killed and replaced, its page blamed and its
other tasks handed to others. The worker's side is :mod:`declutter.bulk.execution.worker`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import selectors
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from declutter._model.errors import Failure
from declutter.bulk.errors import BulkError, WorkerDiedError
from declutter.bulk.execution.executors import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    ExecutorStats,
    Failed,
    default_jobs,
)
from declutter.bulk.execution.worker import DONE, worker_main

T = TypeVar("T")
R = TypeVar("R")

#: Imported once by the fork server, so every worker (and every replacement) starts
#: with them loaded; trafilatura serves the fallback. A missing one is skipped.
PRELOAD = ["declutter", "declutter.bulk", "lxml.cssselect", "trafilatura"]

# A task is sent to a worker that is still busy (so it starts without a round
# trip) only when it is this small: a larger message could fill the pipe, and a
# parent blocked writing to a hung worker could no longer enforce deadlines.
_PREFETCH_MAX_BYTES = 16 * 1024
#: Most tasks in one message to a worker: fewer parent wake-ups, yet a short tail.
_TASK_BATCH = 8
#: Workers that die or hang before they are ready, in a row, before the run gives up.
_STARTUP_FAILURES = 3
#: Seconds a worker told to stop (or killed) may take to exit before it is killed for
#: good: a worker between pages exits at once, so only a stuck one needs this long.
_EXIT_GRACE = 5.0
#: Seconds idle workers get to exit when the run ends, all of them together.
_SHUTDOWN_GRACE = 2.0
_NOTHING: Any = object()


def context(method: str | None) -> multiprocessing.context.BaseContext:
    """Fork server where available: workers start in milliseconds with declutter loaded,
    and, unlike plain fork, never inherit the parent's threads or open files."""
    methods = multiprocessing.get_all_start_methods()
    if method is None:
        method = "forkserver" if "forkserver" in methods else "spawn"
    found = multiprocessing.get_context(method)
    if method == "forkserver":
        found.set_forkserver_preload(PRELOAD)
    return found


@dataclass(eq=False)
class Slot:
    """One worker process as the parent sees it."""

    process: multiprocessing.process.BaseProcess
    conn: Connection
    #: tasks sent to the worker and not answered yet, oldest (the one it works on) first
    pending: deque[Any] = field(default_factory=deque)
    #: monotonic time the oldest pending task started: its deadline counts from here
    started: float = 0.0
    #: the worker said it finished starting up
    ready: bool = False
    #: CPU seconds the worker has used so far, from its last message
    cpu: float = 0.0
    #: shared with the worker: [pages it has started, monotonic time the last one
    #: started]. Written before every page, read only at deadlines, so the parent
    #: knows which page of a batch is running without a message (a wake-up) per page.
    state: Any = None
    #: results received from this worker so far (the counterpart of state[0])
    answered: int = 0
    #: task messages (batches) sent and not fully answered, as counts of tasks
    batches: deque[int] = field(default_factory=deque)


class Pool(Generic[T, R]):
    """The state of one ``ProcessExecutor.map_unordered`` call."""

    def __init__(
        self, owner: ProcessExecutor, func: Callable[[T], R], failed: Failed[T, R]
    ) -> None:
        self.owner = owner
        self.func = func
        self.failed = failed
        self.context = context(owner.start_method)
        self.slots: list[Slot] = []
        self.backlog: deque[T] = deque()
        self.source: Iterator[T] | None = None
        self.startup_failures = 0
        #: tasks in the run when known (a sequence), and tasks taken from the source
        self.total: int | None = None
        self.taken = 0
        # One selector for the whole run: building one per wait (as
        # multiprocessing.connection.wait does) costs more than a small page.
        self.selector: selectors.BaseSelector | None = (
            None if os.name == "nt" else selectors.DefaultSelector()
        )

    def run(self, tasks: Iterable[T]) -> Iterator[R]:
        self.total = len(tasks) if isinstance(tasks, Sized) else None
        self.source = iter(tasks)
        timeout = self.owner.timeout
        while True:
            self._dispatch()
            busy = [slot for slot in self.slots if slot.pending]
            if not busy:
                return
            wait_for = None
            if timeout is not None:
                first = min(self._running(slot)[1] for slot in busy)
                wait_for = max(0.0, first + timeout - time.monotonic())
            for slot, message_waiting in self._wait(wait_for):
                yield from self._collect(slot, message_waiting)
            if timeout is not None:
                now = time.monotonic()
                for slot in list(self.slots):
                    if (slot.pending and now - self._running(slot)[1] >= timeout
                            and not slot.conn.poll()):
                        yield from self._expire(slot, timeout)

    def _running(self, slot: Slot) -> tuple[int, float]:
        """The index in ``slot.pending`` of the page the worker is on (-1: none of
        them yet, or unknown) and the time its deadline counts from."""
        if slot.ready and slot.state is not None:
            count, since = slot.state[0], slot.state[1]
            if slot.state[0] != count:  # the worker moved on while we read: it is alive
                return -1, time.monotonic()
            index = int(count) - 1 - slot.answered
            if 0 <= index < len(slot.pending):
                return index, since
        return -1, slot.started

    # ---- feeding workers

    def _take(self) -> Any:
        if self.backlog:
            return self.backlog.popleft()
        if self.source is not None:
            for task in self.source:
                self.taken += 1
                return task
            self.source = None
        return _NOTHING

    def _batch_size(self) -> int:
        """Up to ``_TASK_BATCH`` tasks a message, fewer near the end so every worker
        still gets a share (the run does not wait on one worker's long batch)."""
        if self.source is None:
            left = len(self.backlog)
        elif self.total is not None:
            left = len(self.backlog) + self.total - self.taken
        else:
            return _TASK_BATCH
        return max(1, min(_TASK_BATCH, left // (2 * self.owner.jobs)))

    def _dispatch(self) -> None:
        for slot in self.slots:
            self._feed(slot)
        while len(self.slots) < self.owner.jobs:
            task = self._take()
            if task is _NOTHING:
                return
            self.backlog.appendleft(task)
            self._feed(self._spawn())

    def _feed(self, slot: Slot) -> None:
        # Two batches per worker: the next one waits in its pipe, so a worker never
        # idles for a round trip through the parent between batches.
        while len(slot.batches) < 2:
            tasks, payloads = self._next_batch(slot)
            if not tasks:
                return
            try:
                slot.conn.send_bytes(pickle.dumps(payloads, pickle.HIGHEST_PROTOCOL))
            except OSError:  # the worker is gone; its sentinel will say so
                self.backlog.extendleft(reversed(tasks))
                return
            if not slot.pending:
                slot.started = time.monotonic()
            slot.pending.extend(tasks)
            slot.batches.append(len(tasks))

    def _next_batch(self, slot: Slot) -> tuple[list[Any], list[bytes]]:
        """The next tasks for ``slot``, each pickled on its own (so one bad task fails
        alone). Big tasks (page bytes) are not queued behind others, so batches
        stay small in bytes."""
        size = self._batch_size()
        tasks: list[Any] = []
        payloads: list[bytes] = []
        total = 0
        while len(tasks) < size:
            task = self._take()
            if task is _NOTHING:
                break
            payload = pickle.dumps(task, pickle.HIGHEST_PROTOCOL)
            if (slot.pending or tasks) and total + len(payload) > _PREFETCH_MAX_BYTES:
                self.backlog.appendleft(task)
                break
            tasks.append(task)
            payloads.append(payload)
            total += len(payload)
        return tasks, payloads

    def _wait(self, timeout: float | None) -> list[tuple[Slot, bool]]:
        """Workers with a message (True) or that died (False), waiting up to ``timeout``."""
        found: dict[Slot, bool] = {}
        if self.selector is not None:
            for key, _events in self.selector.select(timeout):
                slot, is_conn = key.data
                found[slot] = found.get(slot, False) or is_conn
        else:
            objects: list[Any] = [slot.conn for slot in self.slots]
            objects += [slot.process.sentinel for slot in self.slots]
            ready = wait(objects, timeout)
            for slot in self.slots:
                if slot.conn in ready or slot.process.sentinel in ready:
                    found[slot] = slot.conn in ready
        return list(found.items())

    def _spawn(self) -> Slot:
        parent_end, child_end = self.context.Pipe(duplex=True)
        number = self.owner.stats.workers_started + 1
        state = self.context.RawArray("d", 2)
        process = self.context.Process(  # type: ignore[attr-defined]
            target=worker_main,
            args=(child_end, self.func, self.owner.memory_limit, state),
            name=f"declutter-worker-{number}",
            daemon=True,
        )
        process.start()
        child_end.close()
        self.owner.stats.workers_started += 1
        slot = Slot(process, parent_end, started=time.monotonic(), state=state)
        self.slots.append(slot)
        if self.selector is not None:
            self.selector.register(parent_end, selectors.EVENT_READ, (slot, True))
            self.selector.register(process.sentinel, selectors.EVENT_READ, (slot, False))
        return slot

    # ---- reading results

    def _collect(self, slot: Slot, message_waiting: bool) -> Iterator[R]:
        """Read one message (a batch of results) from a worker, or bury it."""
        if slot not in self.slots:
            return  # removed while handling an earlier event of the same wait
        try:
            if not message_waiting and not slot.conn.poll():
                raise EOFError
            data = slot.conn.recv_bytes()
        except (EOFError, OSError):
            yield from self._lost(slot)
            return
        items, rss, peak, slot.cpu, retiring = pickle.loads(data)
        self.owner.stats.note_rss(max(rss, peak))
        slot.started = time.monotonic()
        if items is None:
            slot.ready = True
            return
        results: list[R] = []
        for kind, value in items:
            task = slot.pending.popleft()
            slot.answered += 1
            if slot.batches[0] > 1:
                slot.batches[0] -= 1
            else:
                slot.batches.popleft()
            results.append(value if kind == DONE else self.failed(task, value))
        self.startup_failures = 0
        if retiring:
            self.owner.stats.memory_recycles += 1
            self._remove(slot, kill=False)
            self._requeue(slot)
        yield from results

    def _lost(self, slot: Slot) -> Iterator[R]:
        """The worker died on its own: blame its current task, requeue the rest."""
        self._remove(slot, kill=False)
        code = slot.process.exitcode
        if not slot.ready:
            self._startup_failed(slot, f"exit code {code}")
            return
        self.owner.stats.crashes += 1
        if slot.pending:
            # The page it was on; pages of its batch it finished but had not sent
            # yet are lost with it, so they run again elsewhere like the rest.
            task = self._pop_running(slot)
            self._requeue(slot)
            yield self.failed(task, Failure(WorkerDiedError.__name__, describe_exit(code)))

    def _pop_running(self, slot: Slot) -> Any:
        """Take the page a dead worker was on out of its pending tasks."""
        index = max(0, self._running(slot)[0])
        task = slot.pending[index]
        del slot.pending[index]
        return task

    def _expire(self, slot: Slot, timeout: float) -> Iterator[R]:
        """The current task passed its deadline: kill the worker and go on without it."""
        before = self._running(slot)[0]
        self._remove(slot, kill=True)
        if not slot.ready:
            self._startup_failed(slot, f"not ready after {timeout:g} s")
            return
        if self._running(slot)[0] != before:
            # It finished that page just before the kill (its result, unsent, died
            # with it) and had begun another: no page was late; all run again.
            self._requeue(slot)
            return
        self.owner.stats.timeouts += 1
        task = self._pop_running(slot)
        self._requeue(slot)
        yield self.failed(task, Failure(
            TimeoutError.__name__,
            f"no result after {timeout:g} s; the worker was killed and replaced",
        ))

    def _startup_failed(self, slot: Slot, why: str) -> None:
        self.startup_failures += 1
        self._requeue(slot)
        if self.startup_failures >= _STARTUP_FAILURES:
            raise BulkError(f"worker processes fail to start ({why}); no page can be processed")

    def _requeue(self, slot: Slot) -> None:
        self.backlog.extendleft(reversed(slot.pending))
        slot.pending.clear()
        slot.batches.clear()

    def _remove(self, slot: Slot, *, kill: bool) -> None:
        self.owner.stats.worker_cpu_seconds += slot.cpu
        slot.cpu = 0.0
        if slot in self.slots:
            self.slots.remove(slot)
            if self.selector is not None:
                self.selector.unregister(slot.conn)
                self.selector.unregister(slot.process.sentinel)
        if kill:
            slot.process.kill()
        slot.process.join(_EXIT_GRACE)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        slot.conn.close()

    def shutdown(self) -> None:
        """Stop idle workers politely and kill busy ones (the run was cut short)."""
        slots, self.slots = self.slots, []
        for slot in slots:
            self.owner.stats.worker_cpu_seconds += slot.cpu
        if self.selector is not None:
            self.selector.close()
        for slot in slots:
            if slot.pending:
                slot.process.kill()
            else:
                with contextlib.suppress(OSError):
                    slot.conn.send_bytes(b"")
        deadline = time.monotonic() + _SHUTDOWN_GRACE
        for slot in slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()


def describe_exit(code: int | None) -> str:
    """Why a worker is gone, from its exit code, for the error record of its page."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == getattr(signal, "SIGKILL", 9) else ""
        return f"the worker process was killed by {name}{hint} while on this page"
    return f"the worker process exited with code {code} while on this page"


class ProcessExecutor:
    """Worker processes with a per-task deadline and a memory limit.

    Built on bare :mod:`multiprocessing` processes rather than a pool, because
    a stuck task can only be stopped by killing its process, and the standard
    pools cannot kill one task's worker. Each worker has its own pipe; the
    parent knows which task each worker is on, kills a worker that passes its
    deadline, records a ``TimeoutError`` for that task, hands the worker's other
    queued tasks to others and starts a replacement. A worker whose resident
    memory exceeds ``memory_limit`` after a task is replaced too, and an
    allocation beyond the limit fails as a :class:`MemoryError` for that one
    task, because the worker's address space is capped at start-up.
    """

    def __init__(
        self,
        jobs: int | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        start_method: str | None = None,
    ) -> None:
        self.jobs = jobs if jobs and jobs > 0 else default_jobs()
        self.timeout = timeout if timeout and timeout > 0 else None
        self.memory_limit = memory_limit if memory_limit and memory_limit > 0 else None
        self.start_method = start_method
        self.stats = ExecutorStats()

    def map_unordered(self, func: Callable[[T], R], tasks: Iterable[T],
                      failed: Failed[T, R]) -> Iterator[R]:
        pool: Pool[T, R] = Pool(self, func, failed)
        try:
            yield from pool.run(tasks)
        finally:
            pool.shutdown()
