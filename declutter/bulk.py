"""Bulk processing: many pages, in worker processes, without ever losing one.

A bulk run is three separable parts, so each can be replaced on its own (a WARC
reader instead of a directory, a cluster instead of local processes, a
database instead of files):

* a **source** of :class:`PageTask` values, ``(key, bytes or path, url)``:
  :func:`iter_directory` walks a directory of saved pages;
* an **executor** that maps the picklable, module-level :func:`process_task`
  over the tasks and yields one :class:`PageResult` per task, whatever
  happens: :class:`ProcessExecutor` (worker processes with a per-page deadline
  and a memory limit) or :class:`InlineExecutor` (this process, for debugging);
* a **sink** that stores results: :class:`MirrorSink` (one file per page, at
  the mirrored path) or :class:`JsonlSink` (one JSON record per line), with
  failures going to an :class:`ErrorLog`.

:func:`run_bulk` wires them together, adds resuming and progress reporting,
and returns a :class:`BulkSummary`. The guarantee it keeps: every input ends
either as an output or as a line in the error log, outputs are only ever
complete (written to a temporary file, then renamed), and a run killed at any
moment can be resumed without redoing finished pages or leaving debris.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import functools
import gzip
import html
import itertools
import json
import multiprocessing
import os
import pickle
import re
import select
import selectors
import shutil
import signal
import stat
import sys
import threading
import time
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

from ._article import Article
from ._errors import DeclutterError, InputTooLargeError
from ._options import DEFAULT_OPTIONS, Options

# --------------------------------------------------------------------------- constants

#: Output formats and the file extension each is written with.
FORMATS: dict[str, str] = {"text": ".txt", "markdown": ".md", "json": ".json", "html": ".html"}

#: File names a directory walk picks up by default (matched case-insensitively).
DEFAULT_PATTERNS: tuple[str, ...] = tuple(
    f"*{suffix}{gz}"
    for gz in ("", ".gz")
    for suffix in (".html", ".htm", ".xhtml", ".shtml")
)

#: Seconds a page may take before its worker is killed and replaced.
DEFAULT_TIMEOUT = 30.0

#: Resident memory (bytes) above which a worker is replaced after its page.
DEFAULT_MEMORY_LIMIT = 2 * 1024**3

#: Name of the error log in an output directory.
ERRORS_NAME = "_errors.jsonl"

#: Extension of the explain reports a run writes with ``explain_dir``.
REPORT_EXTENSION = ".explain.html"

#: Temporary files start with this; a run removes any it finds left by a killed run.
TEMP_PREFIX = ".declutter-tmp-"

#: TEST HOOK, never set it in production. When this environment variable holds a
#: string of 16 characters or more, a worker given a page that contains that
#: string sleeps forever, as if the parser hung; the test suite uses it to check
#: that such a page is killed at its deadline while the rest of the run goes on.
HANG_MARKER_ENV = "DECLUTTER_TEST_HANG_MARKER"

_GZIP_MAGIC = b"\x1f\x8b"
_PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")

# A task is sent to a worker that is still busy (so it starts without a round
# trip) only when it is this small: a larger message could fill the pipe, and a
# parent blocked writing to a hung worker could no longer enforce deadlines.
_PREFETCH_MAX_BYTES = 16 * 1024
_FD_CACHE_SIZE = 64


# --------------------------------------------------------------------------- errors


class BulkError(DeclutterError):
    """A bulk run cannot start or go on (bad output location, workers that cannot start)."""


class EmptyPageError(DeclutterError):
    """The input file is empty or holds only white space: there is no page to clean."""


class FileNameError(DeclutterError):
    """The input's file name is not valid UTF-8, so no output or record can name it."""


class UnsafePathError(DeclutterError):
    """The output path would leave the output directory (``..``, a symlink, an odd name)."""


class WorkerDiedError(DeclutterError):
    """The worker process died while handling the page (a crash, or killed from outside)."""


class BulkInterrupted(KeyboardInterrupt):
    """The run was interrupted (Ctrl-C, SIGTERM); ``summary`` says how far it got.

    A subclass of :class:`KeyboardInterrupt` so code that does not care still
    stops as it would on Ctrl-C; outputs written so far are complete and a
    resumed run picks up the rest.
    """

    def __init__(self, summary: BulkSummary) -> None:
        super().__init__("bulk run interrupted")
        self.summary = summary


# --------------------------------------------------------------------------- tasks and results


@dataclass(frozen=True)
class PageTask:
    """One page to process: what every source produces and every executor consumes.

    ``key`` names the page in outputs and error records (a relative path for a
    directory walk) and must be unique within a run. ``source`` is the page
    itself (``bytes``) or a path the worker reads, so a directory run never
    ships page bytes through the parent process.
    """

    key: str
    source: bytes | str | os.PathLike[str]
    url: str | None = None
    #: Modification time of the input, for ``resume``; None when unknown.
    mtime: float | None = None


@dataclass(frozen=True)
class PageSettings:
    """What every page of a run shares; travels to the workers once."""

    options: Options = DEFAULT_OPTIONS
    fmt: str = "text"
    #: Add every removal and its reason to the record (``removed``).
    explain: bool = False
    #: Read metadata (``extract``); False asks only for text (``clean``), which is faster.
    metadata: bool = True
    #: Read the page's own URL from it (saved-from comment, canonical link, og:url)
    #: when the task has none, so per-site rules apply to saved pages.
    guess_url: bool = True
    #: Also build each page's explain report (:func:`declutter.explain_html`) into
    #: :attr:`PageResult.report`, in the worker, from the same extraction as the
    #: record: the parent only writes it, and never extracts a page itself.
    report: bool = False

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; use one of {', '.join(FORMATS)}")


@dataclass(frozen=True)
class PageResult:
    """What became of one page: a JSON-ready record, or an error class and message."""

    key: str
    #: ``path``, ``url``, metadata and ``text`` (see :func:`article_record`); None on failure.
    record: dict[str, Any] | None = None
    #: Name of the exception class when the page failed, e.g. ``"NotHTMLError"``.
    error: str | None = None
    message: str = ""
    #: The page's explain report (HTML) when the run asked for one (``PageSettings.report``).
    #: Keyword-only, so subclasses that add fields keep their positional order.
    report: str | None = field(default=None, repr=False, compare=False, kw_only=True)

    @property
    def ok(self) -> bool:
        return self.error is None

    def error_record(self) -> dict[str, Any]:
        """The line written to the error log."""
        return {"path": self.key, "error": self.error, "message": self.message}


def failed_result(task: PageTask, error: str, message: str) -> PageResult:
    """A failure record for ``task``; executors call it when a page cannot finish."""
    return PageResult(task.key, None, error, message)


# --------------------------------------------------------------------------- reading pages


def read_page(path: str | os.PathLike[str], max_bytes: int = DEFAULT_OPTIONS.max_bytes) -> bytes:
    """The bytes of a saved page, gunzipped when compressed, refused when empty or too big.

    Opened without blocking and checked to be a regular file, so a FIFO or a
    device that slipped into an input directory fails fast instead of hanging
    a worker until its deadline.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with open(fd, "rb", closefd=True) as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        if info.st_size > max_bytes:
            raise InputTooLargeError(
                f"file is {info.st_size} bytes, over the size limit of {max_bytes} bytes"
            )
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputTooLargeError(f"file is over the size limit of {max_bytes} bytes")
    return prepare_page(data, max_bytes)


def prepare_page(data: bytes, max_bytes: int = DEFAULT_OPTIONS.max_bytes) -> bytes:
    """Gunzip compressed page bytes (with a size cap against zip bombs); refuse empty ones."""
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, max_bytes)
    if not data or data.isspace():
        raise EmptyPageError("the page is empty")
    return data


def _gunzip(data: bytes, limit: int) -> bytes:
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest[:2] == _GZIP_MAGIC:  # a file may hold several gzip members
            stream = zlib.decompressobj(wbits=31)
            chunk = stream.decompress(rest, limit + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > limit or stream.unconsumed_tail:
                raise InputTooLargeError(f"page is over the size limit of {limit} bytes unpacked")
            if not stream.eof:
                raise gzip.BadGzipFile("compressed data ends early (truncated file)")
            rest = stream.unused_data
    except zlib.error as error:
        raise gzip.BadGzipFile(f"corrupt compressed data: {error}") from None
    return b"".join(out)


_SAVED_FROM_RE = re.compile(rb"<!--\s*saved from url=\(\d+\)\s*(https?://[^\s>]+?)\s*-->", re.I)
_TAG_RE = re.compile(rb"<(link|meta|base)\b([^>]*)>", re.I)
_ATTR_RE = re.compile(rb"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")


def guess_url(data: bytes) -> str | None:
    """The page's own address, when its head says so; None otherwise.

    Browsers' "save as" write a ``saved from url`` comment, and most news
    pages carry a canonical link or ``og:url``: enough to match per-site rules
    for a directory of saved pages whose addresses were never recorded.
    """
    head = data[:65536]
    found = _SAVED_FROM_RE.search(head)
    if found:
        return _http_url(found.group(1))
    candidates: dict[str, str] = {}
    for match in _TAG_RE.finditer(head):
        attrs = {
            name.lower(): value.strip(b"\"'")
            for name, value in _ATTR_RE.findall(match.group(2))
        }
        tag = match.group(1).lower()
        if tag == b"link" and b"canonical" in attrs.get(b"rel", b"").lower().split():
            candidates.setdefault("canonical", _text(attrs.get(b"href", b"")))
        elif tag == b"meta" and attrs.get(b"property", attrs.get(b"name", b"")).lower() in (
            b"og:url", b"twitter:url"
        ):
            candidates.setdefault("og", _text(attrs.get(b"content", b"")))
    for name in ("canonical", "og"):
        url = _http_url(candidates.get(name, "").encode())
        if url:
            return url
    return None


def _text(value: bytes) -> str:
    return html.unescape(value.decode("utf-8", "replace")).strip()


def _http_url(raw: bytes) -> str | None:
    url = _text(raw)
    return url if url.lower().startswith(("http://", "https://")) and " " not in url else None


# --------------------------------------------------------------------------- the page function


def article_record(article: Article, *, fmt: str = "text", explain: bool = False) -> dict[str, Any]:
    """The JSON-ready record of an extracted article, shaped for ``fmt``.

    Always: ``url``, the metadata fields, ``is_article``, ``confidence``,
    ``fallback`` and the plain ``text``. Added for ``fmt="markdown"`` /
    ``"html"``: the body in that format; for ``fmt="json"``: ``blocks``; with
    ``explain``: ``removed``, one entry per removed element and why.
    """
    data = article.to_dict()
    record: dict[str, Any] = {"url": data.pop("url")}
    blocks = data.pop("blocks")
    removed = data.pop("removed")
    text = data.pop("text")
    record.update(data)
    record["text"] = text
    if fmt == "markdown":
        record["markdown"] = article.to_markdown()
    elif fmt == "html":
        record["html"] = article.to_html()
    elif fmt == "json":
        record["blocks"] = blocks
    if explain:
        record["removed"] = removed
    return record


def process_page(
    data: str | bytes,
    *,
    url: str | None = None,
    options: Options | None = None,
    fmt: str = "text",
    explain: bool = False,
    metadata: bool = True,
) -> dict[str, Any]:
    """Clean one page into a record (see :func:`article_record`); raises on failure.

    With ``metadata=False`` and ``fmt="text"`` the record holds only ``url``
    and ``text``: the cheaper ``clean()`` is used when nobody reads the rest.
    """
    from . import clean, extract  # at call time: the package imports this module

    if not metadata and fmt == "text" and not explain:
        return {"url": url, "text": clean(data, url=url, options=options)}
    article = extract(data, url=url, options=options)
    return article_record(article, fmt=fmt, explain=explain)


def page_outputs(
    html: str | bytes, url: str | None, settings: PageSettings
) -> tuple[dict[str, Any], str | None]:
    """The record of one page (see :func:`process_page`) and, when the settings ask, its report.

    One extraction serves both, so a run with reports costs about what a
    ``fmt="json"`` run costs, and the report's clean-text panel is the text of
    the record whatever the extraction does. Page functions of other sources
    (WARC records) call it too, so every source gets reports the same way.
    """
    if not settings.report:
        record = process_page(
            html, url=url, options=settings.options, fmt=settings.fmt,
            explain=settings.explain, metadata=settings.metadata,
        )
        return record, None
    from . import extract
    from ._explain import report_for

    article = extract(html, url=url, options=settings.options)
    record = article_record(article, fmt=settings.fmt, explain=settings.explain)
    return record, report_for(html, article, settings.options)


def process_task(task: PageTask, settings: PageSettings) -> PageResult:
    """Read and clean one task's page: the function every executor runs in its workers.

    Module-level and picklable, so any engine (local processes, a cluster) can
    call it. A page's failure is returned as a result, not raised, except
    :class:`MemoryError`, which is left to the executor so it can also replace
    the worker whose memory may now be in a poor state.
    """
    try:
        max_bytes = settings.options.max_bytes
        if isinstance(task.source, bytes | bytearray | memoryview):
            data = prepare_page(bytes(task.source), max_bytes)
        else:
            data = read_page(task.source, max_bytes)
        _test_hang(data)
        url = task.url
        if url is None and settings.guess_url:
            url = guess_url(data)
        record, report = page_outputs(data, url, settings)
    except MemoryError:
        raise
    except Exception as error:
        return PageResult(task.key, None, type(error).__name__, _message(error))
    return PageResult(task.key, {"path": task.key, **record}, report=report)


def _message(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror  # without the path: the record already names the page
    return str(error) or type(error).__name__


def _test_hang(data: bytes) -> None:
    """The test-only hang of :data:`HANG_MARKER_ENV`; does nothing unless it is set."""
    marker = os.environ.get(HANG_MARKER_ENV)
    if marker and len(marker) >= 16 and marker.encode("utf-8") in data:
        while True:
            time.sleep(3600)


# --------------------------------------------------------------------------- the source


def iter_directory(
    root: str | os.PathLike[str],
    patterns: Sequence[str] = DEFAULT_PATTERNS,
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[PageTask | PageResult]:
    """The pages under ``root``, recursively, in a stable (sorted) order.

    Yields a :class:`PageTask` per matching file, keyed by its relative POSIX
    path, and a failed :class:`PageResult` for what cannot become a task (an
    unreadable directory, a name that is not UTF-8, a FIFO or device), so such
    inputs are reported instead of silently missing. ``patterns`` are matched
    case-insensitively against the file name, or against the relative path
    when they contain ``/``. Directory symlinks are followed, each real
    directory once; ``exclude`` names directories not to enter and files not
    to read (the outputs of the run, which may sit inside the input tree).
    """
    base = Path(root)
    matches = _matcher(patterns)
    skip = {os.path.realpath(path) for path in exclude}
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Path, str]] = [(base, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            real = os.path.realpath(directory)
            info = os.stat(directory)
            if real in skip or (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(directory) as entries:
                listing = sorted(entries, key=lambda entry: entry.name)
        except OSError as error:
            yield PageResult(_printable(prefix.rstrip("/") or "."), None, type(error).__name__,
                             f"cannot read directory: {_message(error)}")
            continue
        subdirs: list[tuple[Path, str]] = []
        for entry in listing:
            relative = prefix + entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append((Path(entry.path), relative + "/"))
                continue
            if entry.name.startswith(TEMP_PREFIX) or not matches(relative):
                continue
            if skip and os.path.join(real, entry.name) in skip:
                continue
            yield _task(entry, relative)
        stack.extend(reversed(subdirs))


def _matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """One compiled test for all patterns: the walk calls it once per file."""
    by_name = [fnmatch.translate(p.casefold()) for p in patterns if "/" not in p]
    by_path = [fnmatch.translate(p.casefold()) for p in patterns if "/" in p]
    name_re = re.compile("|".join(by_name)) if by_name else None
    path_re = re.compile("|".join(by_path)) if by_path else None

    def matches(relative: str) -> bool:
        folded = relative.casefold()
        if name_re is not None and name_re.match(folded.rsplit("/", 1)[-1]):
            return True
        return path_re is not None and path_re.match(folded) is not None

    return matches


def _task(entry: os.DirEntry[str], relative: str) -> PageTask | PageResult:
    if not _is_utf8(relative):
        return PageResult(_printable(relative), None, FileNameError.__name__,
                          "file name is not valid UTF-8; rename the file to process it")
    try:
        info = entry.stat()
    except OSError as error:  # a dangling symlink, a file removed during the walk
        return PageResult(relative, None, type(error).__name__, _message(error))
    if not stat.S_ISREG(info.st_mode):
        return PageResult(relative, None, "OSError", "not a regular file")
    return PageTask(relative, entry.path, None, info.st_mtime)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes surface as lone surrogates
        return False
    return True


def _printable(name: str) -> str:
    """A file name fit for a JSON record: undecodable bytes shown as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- executors

T = TypeVar("T")
R = TypeVar("R")


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


class Executor(Protocol):
    """Runs a function over tasks and yields exactly one result per task, in any order.

    A failure outside the function (a deadline, a dead worker) must still
    produce a result, built by ``failed(task, error_class_name, message)``.
    """

    stats: ExecutorStats

    def map_unordered(
        self,
        func: Callable[[T], R],
        tasks: Iterable[T],
        failed: Callable[[T, str, str], R],
    ) -> Iterator[R]: ...


class InlineExecutor:
    """Runs every task in this process, one after another: no deadline, no memory limit.

    For debugging (a breakpoint in the extraction code is hit) and for tiny
    runs where starting processes costs more than the work.
    """

    def __init__(self) -> None:
        self.stats = ExecutorStats()

    def map_unordered(
        self,
        func: Callable[[T], R],
        tasks: Iterable[T],
        failed: Callable[[T, str, str], R],
    ) -> Iterator[R]:
        for task in tasks:
            try:
                result = func(task)
            except Exception as error:
                result = failed(task, type(error).__name__, _message(error))
            yield result


def default_jobs() -> int:
    """The CPUs this process may run on (respects affinity masks, so containers too)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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

    def map_unordered(
        self,
        func: Callable[[T], R],
        tasks: Iterable[T],
        failed: Callable[[T, str, str], R],
    ) -> Iterator[R]:
        pool: _Pool[T, R] = _Pool(self, func, failed)
        try:
            yield from pool.run(tasks)
        finally:
            pool.shutdown()


#: Imported once by the fork server, so every worker (and every replacement) starts
#: with them loaded; trafilatura serves the fallback. A missing one is skipped.
_PRELOAD = ["declutter", "declutter.bulk", "lxml.cssselect", "trafilatura"]


def _context(method: str | None) -> multiprocessing.context.BaseContext:
    """Fork server where available: workers start in milliseconds with declutter loaded,
    and, unlike plain fork, never inherit the parent's threads or open files."""
    methods = multiprocessing.get_all_start_methods()
    if method is None:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return context




@dataclass(eq=False)
class _Slot:
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


# Messages to a worker: a pickled list of pickled tasks (each unpickled on its own,
# so one bad task fails alone), or b"" to stop. Messages from a worker:
# (items, rss, peak_rss, cpu_seconds, retiring), items being None when it is ready,
# else a list of (kind, value), one per finished task, in the order sent.
_DONE, _RAISED = 1, 2
#: Most tasks in one message to a worker: fewer parent wake-ups, yet a short tail.
_TASK_BATCH = 8
#: A worker sends its results once it has this many, ...
_RESULT_BATCH = 8
#: ... or when the oldest has waited this long, or when it runs out of tasks,
#: whichever comes first.
_RESULT_DELAY = 0.02
_NOTHING: Any = object()
#: Workers that die or hang before they are ready, in a row, before the run gives up.
_STARTUP_FAILURES = 3


class _Pool(Generic[T, R]):
    """The state of one ``ProcessExecutor.map_unordered`` call."""

    def __init__(
        self, owner: ProcessExecutor, func: Callable[[T], R], failed: Callable[[T, str, str], R]
    ) -> None:
        self.owner = owner
        self.func = func
        self.failed = failed
        self.context = _context(owner.start_method)
        self.slots: list[_Slot] = []
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

    def _running(self, slot: _Slot) -> tuple[int, float]:
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

    def _feed(self, slot: _Slot) -> None:
        # Two batches per worker: the next one waits in its pipe, so a worker never
        # idles for a round trip through the parent between batches. Big tasks
        # (page bytes) are not queued behind others, so batches stay small in bytes.
        while len(slot.batches) < 2:
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

    def _wait(self, timeout: float | None) -> list[tuple[_Slot, bool]]:
        """Workers with a message (True) or that died (False), waiting up to ``timeout``."""
        found: dict[_Slot, bool] = {}
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

    def _spawn(self) -> _Slot:
        parent_end, child_end = self.context.Pipe(duplex=True)
        number = self.owner.stats.workers_started + 1
        state = self.context.RawArray("d", 2)
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(child_end, self.func, self.owner.memory_limit, state),
            name=f"declutter-worker-{number}",
            daemon=True,
        )
        process.start()
        child_end.close()
        self.owner.stats.workers_started += 1
        slot = _Slot(process, parent_end, started=time.monotonic(), state=state)
        self.slots.append(slot)
        if self.selector is not None:
            self.selector.register(parent_end, selectors.EVENT_READ, (slot, True))
            self.selector.register(process.sentinel, selectors.EVENT_READ, (slot, False))
        return slot

    # ---- reading results

    def _collect(self, slot: _Slot, message_waiting: bool) -> Iterator[R]:
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
        self._note_memory(max(rss, peak))
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
            results.append(value if kind == _DONE else self.failed(task, *value))
        self.startup_failures = 0
        if retiring:
            self.owner.stats.memory_recycles += 1
            self._remove(slot, kill=False)
            self._requeue(slot)
        yield from results

    def _lost(self, slot: _Slot) -> Iterator[R]:
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
            yield self.failed(task, WorkerDiedError.__name__, _describe_exit(code))

    def _pop_running(self, slot: _Slot) -> Any:
        """Take the page a dead worker was on out of its pending tasks."""
        index = max(0, self._running(slot)[0])
        task = slot.pending[index]
        del slot.pending[index]
        return task

    def _expire(self, slot: _Slot, timeout: float) -> Iterator[R]:
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
        yield self.failed(
            task, TimeoutError.__name__,
            f"no result after {timeout:g} s; the worker was killed and replaced",
        )

    def _startup_failed(self, slot: _Slot, why: str) -> None:
        self.startup_failures += 1
        self._requeue(slot)
        if self.startup_failures >= _STARTUP_FAILURES:
            raise BulkError(f"worker processes fail to start ({why}); no page can be processed")

    def _requeue(self, slot: _Slot) -> None:
        self.backlog.extendleft(reversed(slot.pending))
        slot.pending.clear()
        slot.batches.clear()

    def _remove(self, slot: _Slot, *, kill: bool) -> None:
        self.owner.stats.worker_cpu_seconds += slot.cpu
        slot.cpu = 0.0
        if slot in self.slots:
            self.slots.remove(slot)
            if self.selector is not None:
                self.selector.unregister(slot.conn)
                self.selector.unregister(slot.process.sentinel)
        if kill:
            slot.process.kill()
        slot.process.join(5.0)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        slot.conn.close()

    def _note_memory(self, rss: int) -> None:
        stats = self.owner.stats
        if rss and (stats.peak_worker_rss is None or rss > stats.peak_worker_rss):
            stats.peak_worker_rss = rss

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
        deadline = time.monotonic() + 2.0
        for slot in slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == getattr(signal, "SIGKILL", 9) else ""
        return f"the worker process was killed by {name}{hint} while on this page"
    return f"the worker process exited with code {code} while on this page"


# ---- inside a worker process


def _worker_main(
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
        retiring = False
        try:
            message: tuple[int, Any] = (_DONE, func(pickle.loads(task)))
        except MemoryError:
            message = (_RAISED, ("MemoryError", "out of memory: the page needs more than the "
                                                "worker memory limit allows"))
            retiring = True
        except Exception as error:
            message = (_RAISED, (type(error).__name__, _message(error)))
        if memory_limit and _rss() > memory_limit:
            retiring = True
        if not outbox.add(message, retiring) or retiring:
            return


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
        rss, peak, cpu = _rss(), _peak_rss(), time.process_time()
        try:
            data = pickle.dumps((done, rss, peak, cpu, retiring), pickle.HIGHEST_PROTOCOL)
        except Exception:  # a result that cannot be pickled fails its own task only
            safe: list[tuple[int, Any]] = []
            for item in done:
                try:
                    pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
                    safe.append(item)
                except Exception as error:
                    safe.append((_RAISED, (type(error).__name__,
                                           f"the result cannot be sent back: {error}")))
            data = pickle.dumps((safe, rss, peak, cpu, retiring), pickle.HIGHEST_PROTOCOL)
        try:
            self.conn.send_bytes(data)
        except OSError:
            self.alive = False
        return self.alive


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
                if any(events & hangup for _fd, events in poller.poll(1000)):
                    os._exit(0)
            else:
                time.sleep(1.0)
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


# --------------------------------------------------------------------------- sinks


class Sink(Protocol):
    """Where results go. Writes must be all-or-nothing so a killed run can resume."""

    #: The worker must read metadata (False lets it use the faster text-only path).
    needs_metadata: bool

    def default_errors_path(self) -> Path:
        """Where the error log goes unless the caller says otherwise."""
        ...

    def excluded(self) -> list[Path]:
        """Paths an input walk must not enter (so outputs are never read back as inputs)."""
        ...

    def open(self, tasks: Sequence[PageTask], *, resume: bool) -> None:
        """Get ready for ``tasks`` (all of them, known before the first write)."""
        ...

    def is_done(self, task: PageTask) -> bool:
        """The task's output is complete (and newer than its input); ``resume`` skips it."""
        ...

    def write(self, result: PageResult) -> None:
        """Store one successful result; raise OSError or DeclutterError if it cannot be."""
        ...

    def close(self) -> None: ...


def render_output(record: dict[str, Any], fmt: str) -> str:
    """The content of one output file in ``fmt``, from a page record."""
    if fmt == "json":
        return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    body = record.get("text" if fmt == "text" else fmt) or ""
    return body + "\n" if body and not body.endswith("\n") else body


class MirrorSink:
    """One output file per page, at the input's relative path, with the format's extension.

    ``news/2024/story.html.gz`` becomes ``OUT/news/2024/story.txt``. When two
    inputs of one directory would get the same name (``a.html`` and
    ``a.htm``), both keep their full name (``a.html.txt``, ``a.htm.txt``).

    Every file is written to a temporary name in its directory and renamed into
    place, so an output that exists is complete. Directories are opened one
    component at a time without following symlinks, so no key, however odd,
    and no symlink planted in the output tree can make a write land outside it.
    """

    def __init__(self, directory: str | os.PathLike[str], fmt: str = "text") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        self.directory = Path(directory)
        self.fmt = fmt
        self.extension = FORMATS[fmt]
        self.needs_metadata = fmt != "text"
        self._names: dict[str, tuple[str, ...] | UnsafePathError] = {}
        self._root_fd: int | None = None
        self._fds: OrderedDict[tuple[str, ...], int] = OrderedDict()
        self._counter = itertools.count()

    def default_errors_path(self) -> Path:
        return self.directory / ERRORS_NAME

    def excluded(self) -> list[Path]:
        return [self.directory]

    def open(self, tasks: Sequence[PageTask], *, resume: bool) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BulkError(f"{self.directory}: cannot create output directory: "
                            f"{_message(error)}") from None
        if not self.directory.is_dir():
            raise BulkError(f"{self.directory}: not a directory")
        if _SAFE_DIR_FD:
            self._root_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            _lock(self._root_fd, self.directory)
        _sweep_temporaries(self.directory)
        self._names = plan_output_names([task.key for task in tasks], self.extension)

    def output_path(self, key: str) -> Path:
        """Where the output of ``key`` goes; raises UnsafePathError for an unusable key."""
        parts = self._parts(key)
        return self.directory.joinpath(*parts)

    def _parts(self, key: str) -> tuple[str, ...]:
        planned = self._names.get(key)
        if planned is None:
            planned = plan_output_names([key], self.extension)[key]
        if isinstance(planned, UnsafePathError):
            raise planned
        return planned

    def is_done(self, task: PageTask) -> bool:
        try:
            info = os.lstat(self.output_path(task.key))
        except (OSError, UnsafePathError):
            return False
        return stat.S_ISREG(info.st_mode) and (task.mtime is None or info.st_mtime >= task.mtime)

    def write(self, result: PageResult) -> None:
        if result.record is None:
            raise ValueError("only successful results are written")
        self._store(result.key, render_output(result.record, self.fmt).encode("utf-8", "replace"))

    def _store(self, key: str, data: bytes) -> None:
        """Put ``data`` at the file of ``key``: a temporary file, then a rename into place."""
        parts = self._parts(key)
        if self._root_fd is None:
            self._write_by_path(parts, data)
            return
        folder = self._folder(parts[:-1])
        temporary = f"{TEMP_PREFIX}{os.getpid()}-{next(self._counter)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        # The open is inside the try: a signal handler (SIGTERM, Ctrl-C) can raise the
        # moment it returns, and the temporary must not be left behind then either.
        try:
            fd = os.open(temporary, flags, 0o666, dir_fd=folder)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.replace(temporary, parts[-1], src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
            raise

    def _folder(self, parts: tuple[str, ...]) -> int:
        """A descriptor of OUT/parts, created as needed, never through a symlink."""
        assert self._root_fd is not None
        if not parts:
            return self._root_fd
        cached = self._fds.get(parts)
        if cached is not None:
            self._fds.move_to_end(parts)
            return cached
        fd, owned = self._root_fd, False
        try:
            for part in parts:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
                child = os.open(part, flags, dir_fd=fd)
                if owned:
                    os.close(fd)
                fd, owned = child, True
        except OSError as error:
            if owned:
                os.close(fd)
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                raise UnsafePathError(
                    f"output folder {'/'.join(parts)!r} is a symlink or a file; not writing "
                    "through it"
                ) from None
            raise
        self._fds[parts] = fd
        if len(self._fds) > _FD_CACHE_SIZE:
            _, old = self._fds.popitem(last=False)
            os.close(old)
        return fd

    def _write_by_path(self, parts: tuple[str, ...], data: bytes) -> None:
        """The portable path (no ``dir_fd``): check the resolved folder, then write."""
        root = os.path.realpath(self.directory)
        folder = self.directory.joinpath(*parts[:-1])
        folder.mkdir(parents=True, exist_ok=True)
        real = os.path.realpath(folder)
        if os.path.commonpath([root, real]) != root:
            raise UnsafePathError(f"output folder {'/'.join(parts[:-1])!r} leads outside "
                                  "the output directory")
        temporary = folder / f"{TEMP_PREFIX}{os.getpid()}-{next(self._counter)}"
        try:
            with open(temporary, "xb") as file:
                file.write(data)
            os.replace(temporary, folder / parts[-1])
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        if self._root_fd is not None:
            os.close(self._root_fd)  # also releases the lock
            self._root_fd = None


class ReportSink(MirrorSink):
    """The explain reports of a run: one ``.explain.html`` file per page, at the mirrored path.

    ``news/2024/story.html.gz`` gets ``DIR/news/2024/story.explain.html`` (a
    WARC page ``crawl.warc.gz/1234`` gets ``DIR/crawl.warc.gz/1234.explain.html``).
    A :class:`MirrorSink` in everything but the content, so reports get the
    outputs' guarantees for free: names planned without collisions, temporary
    file and rename, no write through a symlink or outside ``DIR``, one run
    per directory, leftovers of a killed run swept, resume by mtime. The
    reports are built by the workers (:attr:`PageResult.report`); this only
    writes them.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        super().__init__(directory, "html")
        self.extension = REPORT_EXTENSION
        self.needs_metadata = True

    def write(self, result: PageResult) -> None:
        if result.record is None:
            raise ValueError("only successful results are written")
        if result.report is None:
            raise DeclutterError("no explain report for this page: the page function did not "
                                 "build one (it must when PageSettings.report is set)")
        self._store(result.key, result.report.encode("utf-8", "replace"))


def _inside(path: str | os.PathLike[str], directory: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is ``directory`` or under it, once symlinks are resolved."""
    real, base = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([real, base]) == base


_SAFE_DIR_FD = (
    {os.open, os.mkdir, os.rename, os.unlink} <= os.supports_dir_fd
    and hasattr(os, "O_DIRECTORY")
    and hasattr(os, "O_NOFOLLOW")
)


def plan_output_names(
    keys: Iterable[str], extension: str
) -> dict[str, tuple[str, ...] | UnsafePathError]:
    """The relative output path (as parts) of every key, with no two alike.

    Names are compared case-insensitively, as on macOS and Windows file
    systems. Unusable keys (``..``, empty parts, NUL, not UTF-8) map to the
    error to report for them.
    """
    planned: dict[str, tuple[str, ...] | UnsafePathError] = {}
    groups: dict[str, list[str]] = {}
    for key in keys:
        try:
            parts = _key_parts(key)
        except UnsafePathError as error:
            planned[key] = error
            continue
        target = (*parts[:-1], _strip_page_suffix(parts[-1]) + extension)
        planned[key] = target
        groups.setdefault(_fold(target), []).append(key)
    for members in groups.values():
        if len(members) > 1:
            for key in members:
                parts = _key_parts(key)
                planned[key] = (*parts[:-1], parts[-1] + extension)
    taken: set[str] = set()
    for key, planned_target in planned.items():
        if isinstance(planned_target, UnsafePathError):
            continue
        target = candidate = planned_target
        number = 2
        while _fold(candidate) in taken:  # only for names built to collide; rare
            stem = target[-1][: -len(extension)]
            candidate = (*target[:-1], f"{stem}~{number}{extension}")
            number += 1
        taken.add(_fold(candidate))
        planned[key] = candidate
    return planned


def _key_parts(key: str) -> tuple[str, ...]:
    parts = tuple(key.split("/"))
    for part in parts:
        bad = (
            part in ("", ".", "..")
            or "\x00" in part
            or part.startswith(TEMP_PREFIX)
            or (os.sep != "/" and os.sep in part)
            or (os.altsep is not None and os.altsep != "/" and os.altsep in part)
            or (os.name == "nt" and ":" in part)
            or not _is_utf8(part)
        )
        if bad:
            raise UnsafePathError(
                f"key {_printable(key)!r} cannot be an output path inside the output directory"
            )
    return parts


def _strip_page_suffix(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".gz"):
        name, lowered = name[:-3], lowered[:-3]
    for suffix in _PAGE_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _fold(parts: tuple[str, ...]) -> str:
    return "/".join(parts).casefold()  # "/" cannot occur inside a part


def _sweep_temporaries(directory: Path) -> None:
    """Remove the temporary files a killed run left; they are never complete outputs."""
    for folder, _subdirs, files in os.walk(directory):
        for name in files:
            if name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))


def _lock(fd: int, path: Path) -> None:
    """Refuse a second run on the same output: it would delete the first one's temporaries."""
    try:
        import fcntl
    except ImportError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BulkError(f"{path}: another declutter bulk run is writing there") from None
    except OSError:
        pass  # a file system without locks: go on unprotected


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _json_line(value: Any) -> bytes:
    # A lone surrogate cannot be UTF-8; written as the JSON escape it stands for.
    return (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")


class JsonlSink:
    """All pages in one JSON Lines file: one record per line, written whole and flushed.

    A killed run can leave only its last line cut short; resuming truncates that
    line and skips every page whose record is already there.
    """

    needs_metadata = True

    def __init__(self, path: str | os.PathLike[str], fmt: str = "text") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        self.path = Path(path)
        self.fmt = fmt
        self._fd: int | None = None
        self._done: set[str] = set()

    def default_errors_path(self) -> Path:
        name = self.path.name
        stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else name
        return self.path.with_name(f"{stem}.errors.jsonl")

    def excluded(self) -> list[Path]:
        return [self.path]

    def open(self, tasks: Sequence[PageTask], *, resume: bool) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as error:
            raise BulkError(f"{self.path}: cannot open output: {_message(error)}") from None
        _lock(fd, self.path)
        self._fd = fd
        if resume:
            self._done = _complete_records(fd)
        else:
            os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_END)

    def is_done(self, task: PageTask) -> bool:
        return task.key in self._done

    def write(self, result: PageResult) -> None:
        if self._fd is None or result.record is None:
            raise ValueError("write() needs an opened sink and a successful result")
        _write_all(self._fd, _json_line(result.record))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _complete_records(fd: int) -> set[str]:
    """The paths of the whole records in a JSONL file; cuts off a last partial line."""
    done: set[str] = set()
    end = 0
    os.lseek(fd, 0, os.SEEK_SET)
    with open(os.dup(fd), "rb") as file:
        for line in file:
            if not line.endswith(b"\n"):
                break  # the line a killed run was writing
            end += len(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("path"), str):
                done.add(record["path"])
    os.ftruncate(fd, end)
    return done


class ErrorLog:
    """The JSON Lines log of failed pages: ``{"path", "error", "message"}`` per line.

    Started afresh by every run: a resumed run retries every page that failed
    before, so earlier failures are either fixed or logged again.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.count = 0
        self._fd: int | None = None

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
            self._fd = os.open(self.path, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as error:
            raise BulkError(f"{self.path}: cannot open error log: {_message(error)}") from None

    def write(self, result: PageResult) -> None:
        if self._fd is None:
            raise ValueError("the error log is not open")
        _write_all(self._fd, _json_line(result.error_record()))
        self.count += 1

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def make_sink(output: str | os.PathLike[str], fmt: str = "text") -> MirrorSink | JsonlSink:
    """A JSONL sink for an output ending in ``.jsonl``, else a mirrored directory."""
    if os.fspath(output).endswith(".jsonl"):
        return JsonlSink(output, fmt)
    return MirrorSink(output, fmt)


# --------------------------------------------------------------------------- progress


class Progress(Protocol):
    """Receives the run's progress; :func:`run_bulk` calls it from the parent process."""

    def start(self, total: int) -> None: ...

    def advance(self, ok: bool) -> None: ...

    def finish(self) -> None: ...


class LineProgress:
    """A plain progress line every ``interval`` seconds: for logs, CI and pipes."""

    def __init__(self, stream: IO[str] | None = None, interval: float = 5.0) -> None:
        self.stream = stream
        self.interval = interval
        self.total = self.done = self.failed = 0
        self._start = self._last = 0.0

    def start(self, total: int) -> None:
        self.total = total
        self._start = self._last = time.monotonic()

    def advance(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            print(self.line(now), file=self.stream or sys.stderr, flush=True)

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        share = 100.0 * self.done / self.total if self.total else 100.0
        eta = _duration((self.total - self.done) / rate) if rate else "?"
        return (f"declutter: {self.done}/{self.total} pages ({share:.1f}%), {rate:.1f} pages/s, "
                f"{self.failed} failed, ETA {eta}")

    def finish(self) -> None:
        pass


class TqdmProgress:
    """A live progress bar (tqdm) for a terminal: pages done, pages/s, failures, ETA."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self.failed = 0
        self._bar: Any = None

    def start(self, total: int) -> None:
        from tqdm import tqdm

        stream = self.stream or sys.stderr
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            width = 0
        # Some terminals (serial consoles, CI ptys) report a size of 0x0, which
        # tqdm takes literally and draws nothing: use COLUMNS/LINES or 80x24 there.
        fallback = shutil.get_terminal_size()
        sizing: dict[str, Any] = (
            {"dynamic_ncols": True} if width
            else {"ncols": fallback.columns, "nrows": fallback.lines}
        )
        self._bar = tqdm(total=total, unit="page", file=stream, smoothing=0.05,
                         mininterval=0.25, **sizing)
        self._bar.set_postfix(failed=0, refresh=False)

    def advance(self, ok: bool) -> None:
        if not ok:
            self.failed += 1
            self._bar.set_postfix(failed=self.failed, refresh=False)
        self._bar.update(1)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()


def terminal_progress(stream: IO[str] | None = None, *, interval: float = 5.0) -> Progress:
    """A bar when ``stream`` (stderr by default) is a terminal and tqdm is installed,
    else a plain line every ``interval`` seconds (a log should not fill with bar redraws)."""
    stream = stream or sys.stderr
    if stream.isatty():
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return LineProgress(stream, interval=min(interval, 2.0))
        return TqdmProgress(stream)
    return LineProgress(stream, interval=interval)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class BulkSummary:
    """How a bulk run ended."""

    #: Inputs found (pages and unusable entries).
    total: int
    #: Outputs written by this run.
    done: int
    #: Inputs skipped because their output was already complete (``resume``).
    skipped: int
    #: Inputs that ended in the error log.
    failed: int
    #: Outputs written with no article text (not an article, or nothing left).
    empty: int
    seconds: float
    output: str
    errors_path: str
    #: Worker processes (0: pages ran in the calling process).
    jobs: int
    timeouts: int = 0
    workers_replaced: int = 0
    #: Highest resident memory of any worker, in bytes; None when not measured.
    peak_worker_rss: int | None = None
    #: CPU seconds used by the workers (0.0 when not measured, as in-process).
    worker_cpu_seconds: float = 0.0
    interrupted: bool = False
    #: CPU seconds (user + system) this process spent in the run: its share of the
    #: cores, taken from the workers on a machine with few of them. Unlike wall
    #: time it is not blurred by other load, so it is what tuning the parent watches.
    parent_cpu_seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        handled = self.done + self.failed
        return handled / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.interrupted

    def describe(self) -> str:
        """One line for people: what was done, how fast, where the failures are."""
        parts = [f"{self.done} done"]
        if self.empty:
            parts[0] += f" ({self.empty} without article text)"
        parts.append(f"{self.skipped} skipped")
        parts.append(f"{self.failed} failed" + (f" ({self.timeouts} timed out)"
                                                 if self.timeouts else ""))
        took = _duration(self.seconds) if self.seconds >= 60 else f"{self.seconds:.1f}s"
        text = f"{', '.join(parts)} in {took} ({self.pages_per_second:.1f} pages/s)"
        if self.failed:
            text += f"; failures listed in {self.errors_path}"
        if self.interrupted:
            text += "; interrupted (resume to finish)"
        return text

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {**asdict(self), "pages_per_second": round(self.pages_per_second, 2)}


def run_bulk(
    inputs: str | os.PathLike[str] | Iterable[PageTask | PageResult],
    output: str | os.PathLike[str] | Sink,
    *,
    options: Options | None = None,
    fmt: str = "text",
    explain: bool = False,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    resume: bool = False,
    progress: Progress | None = None,
    patterns: Sequence[str] = DEFAULT_PATTERNS,
    errors: str | os.PathLike[str] | ErrorLog | None = None,
    executor: Executor | None = None,
    page_function: Callable[..., PageResult] = process_task,
    explain_dir: str | os.PathLike[str] | None = None,
) -> BulkSummary:
    """Clean every page of ``inputs`` into ``output``; never loses a page.

    ``inputs`` is a directory (walked by :func:`iter_directory` with
    ``patterns``) or any iterable of tasks (and of already-failed results to
    log). ``output`` is a directory (one file per page, :class:`MirrorSink`), a
    path ending in ``.jsonl`` (:class:`JsonlSink`) or a sink of your own.
    ``jobs`` worker processes (default: every CPU; 0 runs in this process,
    without deadlines) each take ``timeout`` seconds at most per page and are
    replaced when their memory passes ``memory_limit`` bytes; pass
    ``executor`` to run elsewhere. With ``resume``, inputs whose output is
    complete and newer are skipped. Failures go to ``errors`` (default:
    ``OUT/_errors.jsonl``, or ``NAME.errors.jsonl`` beside a JSONL output;
    an :class:`ErrorLog` of your own may add fields to each line).
    ``page_function(task, settings=...)`` (module-level, picklable) turns a
    task into a result in the workers; other sources (WARC records) bring their own.

    With ``explain_dir``, each page's explain report (what
    :func:`declutter.explain_html` returns) is also written there, at the
    page's mirrored path with the extension ``.explain.html``
    (:class:`ReportSink`). The workers build it from the extraction that made
    the output (``page_function`` must honour ``PageSettings.report``), so the
    report's clean text is the output's text; a report that cannot be written
    fails its page like an output would, and ``resume`` skips a page only when
    its output and its report are both complete (a page missing only its
    report gets the report, its output is left as it is).

    Raises :class:`BulkInterrupted` (carrying the summary so far) on Ctrl-C,
    and :class:`BulkError` when the run cannot start.
    """
    started = time.monotonic()
    cpu_started = time.process_time()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    sink: Sink = make_sink(output, fmt) if isinstance(output, str | os.PathLike) else output
    if explain and isinstance(sink, MirrorSink) and fmt != "json":
        raise ValueError("explain needs fmt='json' or a JSONL output: other files have no room "
                         "for the removals")
    log = errors if isinstance(errors, ErrorLog) else ErrorLog(
        errors if errors is not None else sink.default_errors_path())
    reports = ReportSink(explain_dir) if explain_dir is not None else None
    if reports is not None:
        _check_report_directory(reports.directory, sink)
    if isinstance(inputs, str | os.PathLike):
        root = Path(inputs)
        if not root.is_dir():
            raise BulkError(f"{root}: not a directory")
        for path in sink.excluded():
            if os.path.realpath(path) == os.path.realpath(root):
                raise BulkError(f"{root}: the output cannot be the input directory")
        if reports is not None and os.path.realpath(reports.directory) == os.path.realpath(root):
            raise BulkError(f"{root}: the explain directory cannot be the input directory")
        items: Iterable[PageTask | PageResult] = iter_directory(
            root, patterns,
            exclude=[*sink.excluded(), log.path, *(reports.excluded() if reports else ())],
        )
    else:
        items = inputs
    tasks: list[PageTask] = []
    unusable: list[PageResult] = []
    for item in items:
        (tasks if isinstance(item, PageTask) else unusable).append(item)  # type: ignore[arg-type]
    if len({task.key for task in tasks}) != len(tasks):
        raise ValueError("task keys must be unique within a run")
    if executor is None:
        executor = (InlineExecutor() if jobs == 0
                    else ProcessExecutor(jobs, timeout=timeout, memory_limit=memory_limit))
    settings = PageSettings(options or DEFAULT_OPTIONS, fmt, explain,
                            metadata=sink.needs_metadata or explain, report=reports is not None)
    done = failed = empty = skipped = 0
    interrupted = False
    sink.open(tasks, resume=resume)
    try:
        if reports is not None:
            reports.open(tasks, resume=resume)
        log.open()
        todo, report_only = _still_to_do(tasks, sink, reports) if resume else (tasks, set())
        skipped = len(tasks) - len(todo)
        if progress is not None:
            progress.start(len(todo) + len(unusable))
        for result in unusable:
            log.write(result)
            failed += 1
            if progress is not None:
                progress.advance(False)
        results = executor.map_unordered(
            functools.partial(page_function, settings=settings), todo, failed_result
        )
        try:
            for result in results:
                if result.ok:
                    try:
                        if reports is not None:
                            # first: an output on disk then means its report is there too
                            reports.write(result)
                        if result.key not in report_only:
                            sink.write(result)
                    except (OSError, DeclutterError) as error:
                        result = PageResult(result.key, None, type(error).__name__,
                                            _message(error))
                if result.ok:
                    done += 1
                    empty += not (result.record or {}).get("text")
                else:
                    log.write(result)
                    failed += 1
                if progress is not None:
                    progress.advance(result.ok)
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if progress is not None:
            progress.finish()
        sink.close()
        if reports is not None:
            reports.close()
        log.close()
    stats = executor.stats
    summary = BulkSummary(
        total=len(tasks) + len(unusable),
        done=done,
        skipped=skipped,
        failed=failed,
        empty=empty,
        seconds=time.monotonic() - started,
        output=str(getattr(sink, "directory", None) or getattr(sink, "path", "")),
        errors_path=os.fspath(log.path),
        jobs=getattr(executor, "jobs", 0),
        timeouts=stats.timeouts,
        workers_replaced=stats.timeouts + stats.memory_recycles + stats.crashes,
        peak_worker_rss=stats.peak_worker_rss,
        worker_cpu_seconds=round(stats.worker_cpu_seconds, 3),
        interrupted=interrupted,
        parent_cpu_seconds=round(time.process_time() - cpu_started, 3),
    )
    if interrupted:
        raise BulkInterrupted(summary)
    return summary


def _check_report_directory(directory: Path, sink: Sink) -> None:
    """Refuse an explain directory that shares a tree with a mirrored output.

    Report and output names could then collide (the report of ``a.html`` and
    the ``--format html`` output of ``a.explain.html`` are both
    ``a.explain.html``), and two sinks would lock and sweep the same tree. A
    JSONL output may sit inside the explain directory: no report is named like it.
    """
    for path in sink.excluded():
        if _inside(path, directory) if isinstance(sink, MirrorSink) else (
            os.path.realpath(path) == os.path.realpath(directory)
        ):
            raise BulkError(f"{directory}: the explain directory cannot hold the output")
        if _inside(directory, path):
            raise BulkError(f"{directory}: the explain directory cannot be inside the output")


def _still_to_do(
    tasks: Sequence[PageTask], sink: Sink, reports: ReportSink | None
) -> tuple[list[PageTask], set[str]]:
    """For ``resume``: the tasks to run, and the keys of those that need only their report.

    A page whose output is complete but whose report is not (a run without
    reports before, a report that failed to write) runs again for the report
    alone: rewriting its output would append a second record to a JSONL file.
    """
    todo: list[PageTask] = []
    report_only: set[str] = set()
    for task in tasks:
        output_done = sink.is_done(task)
        if output_done and (reports is None or reports.is_done(task)):
            continue
        todo.append(task)
        if output_done:
            report_only.add(task.key)
    return todo, report_only


__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_PATTERNS",
    "DEFAULT_TIMEOUT",
    "ERRORS_NAME",
    "FORMATS",
    "HANG_MARKER_ENV",
    "REPORT_EXTENSION",
    "BulkError",
    "BulkInterrupted",
    "BulkSummary",
    "EmptyPageError",
    "ErrorLog",
    "Executor",
    "ExecutorStats",
    "FileNameError",
    "InlineExecutor",
    "JsonlSink",
    "LineProgress",
    "MirrorSink",
    "PageResult",
    "PageSettings",
    "PageTask",
    "ProcessExecutor",
    "Progress",
    "ReportSink",
    "Sink",
    "TqdmProgress",
    "UnsafePathError",
    "WorkerDiedError",
    "article_record",
    "default_jobs",
    "failed_result",
    "guess_url",
    "iter_directory",
    "make_sink",
    "page_outputs",
    "plan_output_names",
    "prepare_page",
    "process_page",
    "process_task",
    "read_page",
    "render_output",
    "run_bulk",
    "terminal_progress",
]
