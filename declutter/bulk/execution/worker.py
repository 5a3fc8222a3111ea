"""Inside a worker process of :class:`~declutter.bulk.ProcessExecutor`.

Messages to a worker: a pickled list of pickled tasks (each unpickled on its
own, so one bad task fails alone), or ``b""`` to stop. Messages from a
worker: ``(items, rss, peak_rss, cpu_seconds, retiring)``, ``items`` being
None when it is ready, else a list of ``(DONE, result)`` or ``(RAISED,
Failure)``, one per finished task, in the order sent.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from declutter._model.errors import Failure, failure_of

DONE, RAISED = 1, 2
#: A worker sends its results once it has this many, ...
_RESULT_BATCH = 8
#: ... or when the oldest has waited this long (seconds), or when it runs out of
#: tasks, whichever comes first.
_RESULT_DELAY = 0.02
#: Seconds between two looks at whether the parent is still there: how long a
#: worker orphaned in the middle of a stuck page runs on at most.
_PARENT_CHECK = 1.0

_OUT_OF_MEMORY = Failure("MemoryError",
                         "out of memory: the page needs more than the worker memory limit allows")


def worker_main(
    conn: Connection, func: Callable[[Any], Any], memory_limit: int | None, state: Any = None
) -> None:
    """A worker's life: announce itself, then run batches of tasks until told to stop
    or retired, sending results back a few at a time (each message wakes the parent,
    which shares the CPUs with the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _exit_with_parent(conn)
    if memory_limit:
        _cap_address_space(memory_limit)
    conn.send_bytes(pickle.dumps((None, _rss(), _peak_rss(), time.process_time(), False)))
    outbox = _Outbox(conn)
    queue: deque[bytes] = deque()
    started = 0
    while True:
        if not queue:
            if not outbox.flush():
                return
            try:
                payload = conn.recv_bytes()
            except (EOFError, OSError):
                return
            if not payload:
                return
            queue.extend(pickle.loads(payload))
            continue
        task = queue.popleft()
        if state is not None:
            # Time first: a reader that sees the new count sees the new start too.
            state[1] = time.monotonic()
            started += 1
            state[0] = started
        message, retiring = _run_one(func, task)
        if memory_limit and _rss() > memory_limit:
            retiring = True
        if not outbox.add(message, retiring) or retiring:
            return


def _run_one(func: Callable[[Any], Any], task: bytes) -> tuple[tuple[int, Any], bool]:
    """One task's message, and whether the worker must retire after it (out of memory)."""
    try:
        return (DONE, func(pickle.loads(task))), False
    except MemoryError:
        return (RAISED, _OUT_OF_MEMORY), True
    except Exception as error:  # sorted into page problems and bugs by failure_of
        return (RAISED, failure_of(error)), False


class _Outbox:
    """A worker's finished results, sent in batches: at ``_RESULT_BATCH`` results, when
    the worker runs out of tasks, or (from a thread, even in the middle of a long or
    stuck page) once the oldest has waited ``_RESULT_DELAY``. So a page that hangs
    or crashes costs its batch-mates nothing: their results are already out."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.items: list[tuple[int, Any]] = []
        self.oldest = 0.0
        self.alive = True
        self.lock = threading.Condition()
        threading.Thread(target=self._flusher, name="declutter-results", daemon=True).start()

    def add(self, item: tuple[int, Any], retiring: bool) -> bool:
        """Queue one result (sending the batch when due); False when the parent is gone."""
        with self.lock:
            self.items.append(item)
            if len(self.items) == 1:
                self.oldest = time.monotonic()
                self.lock.notify()
            if retiring or len(self.items) >= _RESULT_BATCH:
                return self._send(retiring)
            return self.alive

    def flush(self) -> bool:
        with self.lock:
            return self._send(False) if self.items else self.alive

    def _flusher(self) -> None:
        with self.lock:
            while self.alive:
                if not self.items:
                    self.lock.wait()
                    continue
                left = self.oldest + _RESULT_DELAY - time.monotonic()
                if left > 0:
                    self.lock.wait(left)
                else:
                    self._send(False)

    def _send(self, retiring: bool) -> bool:
        """Send the queued results in one message (the lock is held)."""
        done, self.items = self.items, []
        figures = (_rss(), _peak_rss(), time.process_time(), retiring)
        try:
            data = pickle.dumps((done, *figures), pickle.HIGHEST_PROTOCOL)
        except Exception:  # a result that cannot be pickled fails its own task only
            data = pickle.dumps(([_picklable(item) for item in done], *figures),
                                pickle.HIGHEST_PROTOCOL)
        try:
            self.conn.send_bytes(data)
        except OSError:
            self.alive = False
        return self.alive


def _picklable(item: tuple[int, Any]) -> tuple[int, Any]:
    """``item``, or the failure to send it back (a page function returned something odd)."""
    try:
        pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        failure = failure_of(error)
        return RAISED, Failure(failure.error, f"the result cannot be sent back: {failure.message}",
                               failure.kind, failure.traceback)
    return item


def _exit_with_parent(conn: Connection) -> None:
    """Exit when the parent dies, even while stuck in a page (else it would run on forever).

    The parent's pipe is watched for a hang-up, which the kernel reports the
    moment the parent is gone. The parent process id is no help with a fork
    server: a worker's parent is the server, and the server itself stays up
    as long as any worker does.
    """
    parent = os.getppid()
    poller = select.poll() if hasattr(select, "poll") else None
    hangup = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0) if poller else 0
    if poller is not None:
        poller.register(conn.fileno(), hangup)

    def watch() -> None:
        while True:
            if poller is not None:
                if any(events & hangup for _fd, events in poller.poll(int(_PARENT_CHECK * 1000))):
                    os._exit(0)
            else:
                time.sleep(_PARENT_CHECK)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="declutter-parent-watch", daemon=True).start()


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _statm(field_index: int) -> int | None:
    try:
        with open("/proc/self/statm", "rb") as file:
            return int(file.read().split()[field_index]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


def _rss() -> int:
    """Resident memory now, in bytes (the peak where the current figure is not available)."""
    current = _statm(1)
    return current if current is not None else _peak_rss()


def _peak_rss() -> int:
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _cap_address_space(limit: int) -> None:
    """Cap the address space at start-up size plus ``limit``: a page that tries to
    allocate more gets a MemoryError instead of dragging the machine into swap."""
    try:
        import resource
    except ImportError:
        return
    base = _statm(0)
    if base is None or not hasattr(resource, "RLIMIT_AS"):
        return  # without the start-up size a cap could stop the worker from running at all
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = base + limit
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or soft > want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
