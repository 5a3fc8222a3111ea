"""Bulk runs over WARC files: the pages of a crawl through the one :func:`run_bulk`.

A run first lists the pages of each archive (headers only), then hands
workers the *place* of each record (file and offset), never its bytes: the
parent stays small whatever the size of the crawl, and each worker
decompresses only its own records. :class:`WarcSource` is the source that
does this; the workers, sinks, error log, resume logic and guarantees are
those of every bulk run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from declutter._model.errors import PAGE, Failure, error_message, failure_of
from declutter.bulk.errors import BulkError
from declutter.bulk.execution.executors import (
    Executor,
    InlineExecutor,
    default_jobs,
)
from declutter.bulk.execution.pool import ProcessExecutor
from declutter.bulk.execution.work import page_outputs, process_task
from declutter.bulk.sinks.base import ErrorLog
from declutter.bulk.sources.base import DEFAULT_PATTERNS, PageSource, iter_directory
from declutter.bulk.sources.files import prepare_page
from declutter.bulk.summary import BulkSummary
from declutter.bulk.tasks import PageResult, PageSettings, PageTask, failed_result, failure_result
from declutter.warc import (
    RecordEntry,
    WarcFormatError,
    WarcPage,
    WarcStats,
    archive_iterator,
    decode_payload,
    read_record,
    record_fields,
    scan_records,
)

if TYPE_CHECKING:
    from declutter.bulk.settings import RunSettings

#: File names read as WARC archives in a directory (matched case-insensitively).
WARC_PATTERNS: tuple[str, ...] = ("*.warc", "*.warc.gz")

#: Pages whose records a worker fetches from a remote file in one request: as many as
#: executors hand a worker at once (the local pool's batches, DaskExecutor's
#: batch_size), so a request of an object store serves a whole batch.
READ_AHEAD_PAGES = 8
#: The most bytes fetched in one such request, so a few huge records in a row do not
#: make a worker hold tens of megabytes.
READ_AHEAD_BYTES = 4 * 1024**2


@dataclass(frozen=True)
class WarcTask(PageTask):
    """A page of a bulk run that lives in a WARC file: ``source`` is the file.

    Carries only the record's place and the fields error records show, so
    listing a crawl of millions of pages costs little memory and the page's
    bytes are read by the worker that cleans it.
    """

    offset: int = 0
    record_id: str | None = None
    date: str | None = None
    status: int | None = None
    #: Bytes the record takes in the file, when known: a remote record is then
    #: fetched in one ranged request of exactly that size.
    length: int | None = None
    #: Bytes from the record to the end of the record of the page
    #: :data:`READ_AHEAD_PAGES` - 1 pages later (at most :data:`READ_AHEAD_BYTES`):
    #: what a worker fetches at once from a remote file, since it is handed the
    #: following pages too.
    span: int | None = None
    #: The file's server serves no byte ranges: the record is read from a sequential
    #: stream of the file (see :mod:`declutter.bulk.remote_warc`).
    streamed: bool = False
    #: The file's version when it was listed (ETag, Last-Modified, size: see
    #: :func:`declutter.bulk.network.http_version`), for files on web servers: a
    #: record is read only from the same version.
    version: tuple[tuple[str, str], ...] | None = None

    def fields(self) -> dict[str, Any]:
        return record_fields(self.record_id, self.url, self.date, self.status, None, None)


def is_warc_name(name: str) -> bool:
    """Whether a file name says WARC (``.warc``, ``.warc.gz``, any case)."""
    return name.lower().endswith((".warc", ".warc.gz"))


def is_warc_input(path: str | os.PathLike[str], patterns: Sequence[str] | None = None) -> bool:
    """Whether the bulk command should read ``path`` as WARC archives.

    A regular file always is (the bulk command reads directories of pages, or WARC
    files). A directory is when, walked in order, the first file that is
    either a page or a WARC file is a WARC file; with ``patterns`` given, only
    when every pattern names WARC files.
    """
    root = Path(path)
    if not root.is_dir():
        return root.is_file()
    if patterns:
        return all(is_warc_name(pattern.rstrip("*")) for pattern in patterns)
    for item in iter_directory(root, (*DEFAULT_PATTERNS, *WARC_PATTERNS)):
        if isinstance(item, PageTask):
            return is_warc_name(item.key)
    return False


def list_warc(path: str | os.PathLike[str], key: str, *, mtime: float | None = None,
              stats: WarcStats | None = None,
              details: dict[str, dict[str, Any]] | None = None,
              ) -> list[WarcTask | PageResult]:
    """The bulk tasks of one WARC file: a :class:`WarcTask` per page, keyed ``KEY/OFFSET``.

    Damaged records become failed results (their fields go to ``details`` for
    the error log), and so does the whole file, keyed ``KEY``, when none of it
    can be read record by record; skipped records are counted in ``stats``.
    """
    location = Path(os.path.abspath(path))  # workers may run in another directory
    try:
        with open(location, "rb") as stream:
            found, items = scan_listing(stream, key, location, mtime=mtime, details=details,
                                        size=os.fstat(stream.fileno()).st_size)
    except OSError as error:
        items = [failure_result(key, failure_of(error))]
        found = WarcStats()
    if stats is not None:
        stats.add(found)
    return items


def scan_listing(stream: IO[bytes], key: str, source: str | os.PathLike[str], *,
                 mtime: float | None, details: dict[str, dict[str, Any]] | None,
                 size: int | None) -> tuple[WarcStats, list[WarcTask | PageResult]]:
    """The tasks of the WARC file open as ``stream`` (see :func:`list_warc`) and their counts.

    Tasks name ``source`` (a path or a URL) and carry each record's length
    (where the next record starts; the file's ``size`` for the last one).
    """
    found = WarcStats()
    items: list[WarcTask | PageResult] = []
    pending: RecordEntry | None = None  # a page waiting for the next record's offset
    for entry in scan_records(stream, payloads=False, max_bytes=0):
        found.count(entry)
        if pending is not None:
            items.append(_warc_task(pending, key, source, mtime, entry.offset))
            pending = None
        if entry.fate == "damaged":
            if entry.whole_file or entry.offset == 0:  # nothing of it is readable
                return WarcStats(damaged=1), [_damaged(key, entry.message)]
            page_key = f"{key}/{entry.offset}"
            if details is not None and entry.record_id:
                details[page_key] = entry.fields()
            items.append(_damaged(page_key, entry.message))
        elif entry.fate == "page":
            pending = entry
    if pending is not None:
        items.append(_warc_task(pending, key, source, mtime, size))
    return found, _with_spans(items)


def _with_spans(items: list[WarcTask | PageResult]) -> list[WarcTask | PageResult]:
    """The tasks with their :attr:`WarcTask.span`, from the pages that follow each."""
    pages = [index for index, item in enumerate(items) if isinstance(item, WarcTask)]
    for number, index in enumerate(pages):
        task = items[index]
        last = items[pages[min(number + READ_AHEAD_PAGES, len(pages)) - 1]]
        assert isinstance(task, WarcTask) and isinstance(last, WarcTask)
        if task.length is not None and last.length is not None:
            end = min(last.offset + last.length, task.offset + READ_AHEAD_BYTES)
            items[index] = replace(task, span=max(end - task.offset, task.length))
    return items


def _warc_task(entry: RecordEntry, key: str, source: str | os.PathLike[str],
               mtime: float | None, end: int | None) -> WarcTask:
    return WarcTask(f"{key}/{entry.offset}", source, entry.target_uri, mtime,
                    offset=entry.offset, record_id=entry.record_id, date=entry.date,
                    status=entry.status,
                    length=end - entry.offset if end is not None and end > entry.offset else None)


def _damaged(key: str, message: str) -> PageResult:
    return failure_result(key, Failure(WarcFormatError.__name__, message))


def process_warc_task(task: PageTask, settings: PageSettings) -> PageResult:
    """Read and clean one page of a WARC file: the function bulk workers run.

    Module-level and picklable like :func:`declutter.bulk.process_task` (which
    it defers to for tasks that are not :class:`WarcTask`). The record is read
    at its offset, decoded per its HTTP charset, cleaned, and returned as a
    record with the archive's fields first.
    """
    if not isinstance(task, WarcTask):
        return process_task(task, settings)
    return warc_result(task, settings, _read_local)


def _read_local(task: WarcTask, max_bytes: int) -> WarcPage:
    return read_record(_file(task), task.offset, max_bytes=max_bytes)


def warc_result(task: WarcTask, settings: PageSettings,
                read: Callable[[WarcTask, int], WarcPage],
                failure: Callable[[BaseException], Failure] = failure_of) -> PageResult:
    """:func:`process_warc_task` with the record read by ``read(task, max_bytes)``.

    Archives elsewhere (a URL: :mod:`declutter.bulk.sources.remote_warc`) give their
    own reader and failure sorting, and share everything else.
    """
    options = settings.options
    try:
        page = read(task, options.max_bytes)
        if task.record_id and page.record_id != task.record_id:
            raise WarcFormatError(f"the record at offset {task.offset} is not "
                                  f"{task.record_id}: the file changed during the run")
        html = decode_payload(prepare_page(page.payload, options.max_bytes), page.charset)
        record, report = page_outputs(html, page.target_uri, settings)
    except MemoryError:
        raise
    except Exception as error:  # sorted into page problems and bugs, never raised
        return failed_result(task, failure(error))
    return PageResult(task.key, {"path": task.key, **page.fields(), **record}, report=report)


class WarcErrorLog(ErrorLog):
    """The error log of a WARC run: each failure also gets its record's WARC fields.

    Failures are rare, so the fields are looked up when one is written (from
    the task, or from what the listing saw of a damaged record) rather than
    carried by every result.
    """

    def __init__(self, path: str | os.PathLike[str], tasks: Mapping[str, PageTask],
                 details: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        super().__init__(path)
        self._tasks = tasks
        self._details = details or {}

    def fields(self, result: PageResult) -> dict[str, Any]:
        task = self._tasks.get(result.key)
        found = task.fields() if isinstance(task, WarcTask) else self._details.get(result.key)
        return {**result.error_record(), **(found or {})}


@dataclass(frozen=True)
class WarcSummary(BulkSummary):
    """A bulk run over WARC files: the usual counts (pages only) and what was skipped."""

    #: WARC files read.
    warc_files: int = 0
    #: Records read, of every type.
    records: int = 0
    #: Page records that are not HTML (counted, not errors).
    skipped_not_html: int = 0
    #: HTML responses whose HTTP status is not 200 (counted, not errors).
    skipped_status: int = 0
    #: Records that are not pages (warcinfo, request, metadata, revisit).
    other_records: int = 0
    #: Files read as one sequential stream each, by key, with the reason (their server
    #: serves no byte ranges).
    streamed: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        files = f"{self.warc_files} WARC file{'s' * (self.warc_files != 1)}"
        warc = (f"{self.records} records in {files}: {self.skipped_not_html} not HTML and "
                f"{self.skipped_status} not status 200 skipped, {self.other_records} not pages")
        if self.streamed:
            warc += "; read as a stream, without byte ranges: " + ", ".join(
                f"{key} ({why})" for key, why in self.streamed.items())
        # before the pointer to the error log, which people look for at the end
        head, pointer, tail = super().describe().partition("; failures listed in")
        return f"{head}; {warc}{pointer}{tail}"


class WarcSource(PageSource):
    """The HTML pages of WARC files: a file, a directory walked for ``patterns``, or a list.

    Each archive is listed (where its pages will run: one file per worker,
    without the per-page deadline, since a large archive takes a while), and
    its pages become :class:`WarcTask` values; records that are not HTML or
    not status 200 are counted for the summary, not logged.
    """

    def __init__(self, inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                 patterns: Sequence[str] = WARC_PATTERNS) -> None:
        self.inputs = inputs
        self.patterns = patterns
        self.files = 0
        self.stats = WarcStats()
        self.details: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, PageTask] = {}
        self.streamed: dict[str, str] = {}

    def page_function(self) -> Callable[..., PageResult]:
        return process_warc_task

    def items(self, exclude: Sequence[Path],
              settings: RunSettings) -> list[PageTask | PageResult]:
        files: list[PageTask] = []
        unusable: list[PageResult] = []
        for item in self.archives(exclude):
            if isinstance(item, PageTask):
                files.append(item)
            else:
                unusable.append(item)
        archive_iterator()  # fail before any output is touched when warcio is missing
        lister = _lister(settings.executor, settings.jobs, settings.memory_limit, len(files))
        listings = {listing.key: listing
                    for listing in lister.map_unordered(self.list_function(), files,
                                                        _listing_failed)}
        self.files = len(files)
        for file in files:  # in walk order, whatever order the listings came back in
            listing = listings[file.key]
            self.stats.add(listing.stats)
            self.details.update(listing.details)
            if listing.streamed:
                self.streamed[file.key] = listing.streamed
            for entry in listing.items:
                if isinstance(entry, PageTask):
                    self.tasks[entry.key] = entry
                else:
                    unusable.append(entry)
        return [*self.tasks.values(), *unusable]

    def archives(self, exclude: Sequence[Path]) -> Iterable[PageTask | PageResult]:
        """The archives as file tasks (key, where, mtime), or failures, in walk order."""
        return _warc_files(self.inputs, self.patterns, exclude=exclude)

    def list_function(self) -> Callable[[PageTask], Listing]:
        """What lists one archive (a file task) into its page tasks: picklable."""
        return _list_task

    def error_log(self, path: Path) -> ErrorLog:
        return WarcErrorLog(path, self.tasks, self.details)

    def summarise(self, summary: BulkSummary) -> WarcSummary:
        values = {item.name: getattr(summary, item.name) for item in fields(BulkSummary)}
        return WarcSummary(**values, warc_files=self.files, records=self.stats.records,
                           skipped_not_html=self.stats.not_html,
                           skipped_status=self.stats.not_ok, other_records=self.stats.other,
                           streamed=dict(self.streamed))


@dataclass(frozen=True)
class Listing:
    """The listing of one WARC file, as a worker sends it back."""

    key: str
    items: list[WarcTask | PageResult]
    stats: WarcStats
    details: dict[str, dict[str, Any]]
    #: Why the file is read as a stream (its server serves no byte ranges), or None.
    streamed: str | None = None


def _file(task: PageTask) -> str:
    """The archive a WARC or file task names (never page bytes: WARC pages are read in place)."""
    if isinstance(task.source, bytes | bytearray | memoryview):
        raise TypeError("a WARC task names its archive file, not page bytes")
    return os.fspath(task.source)


def _list_task(task: PageTask) -> Listing:
    """List one WARC file (of a file task): what listing workers run."""
    stats = WarcStats()
    details: dict[str, dict[str, Any]] = {}
    items = list_warc(_file(task), task.key, mtime=task.mtime, stats=stats, details=details)
    return Listing(task.key, items, stats, details)


def _listing_failed(task: PageTask, failure: Failure) -> Listing:
    why = Failure(failure.error, f"the archive could not be listed: {failure.message}",
                  failure.kind, failure.traceback)
    damaged = WarcStats(damaged=1) if failure.kind == PAGE else WarcStats()
    return Listing(task.key, [failure_result(task.key, why)], damaged, {})


def _lister(executor: Executor | None, jobs: int | None, memory_limit: int | None,
            files: int) -> Executor:
    """Where to list the archives: where their pages will run, one file per worker.

    Listing reads every byte of an archive (gzip hides where records end), so
    on many files it is spread like the pages are, without the per-page time
    limit (a large archive takes a while); one file is listed right here.
    """
    if files < 2 or (executor is None and jobs == 0):
        return InlineExecutor()
    if executor is None:
        workers = min(jobs or default_jobs(), files)
        return ProcessExecutor(workers, timeout=None, memory_limit=memory_limit)
    for_listing = getattr(executor, "for_listing", None)
    return for_listing() if callable(for_listing) else InlineExecutor()


def _warc_files(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                patterns: Sequence[str], *, exclude: Sequence[str | os.PathLike[str]],
                ) -> Iterator[PageTask | PageResult]:
    """The WARC files of the inputs as file tasks (key, path, mtime), or failures."""
    paths = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    names = [Path(path).name for path in paths]
    for name in names:
        if names.count(name) > 1:
            raise BulkError(f"two inputs are named {name}; give their directory instead, so "
                            "records are named by their path in it")
    for path in paths:
        root = Path(path)
        if root.is_dir():
            yield from iter_directory(root, patterns, exclude=exclude)
            continue
        try:
            info = root.stat()
        except OSError as error:
            raise BulkError(f"{root}: {error_message(error)}") from None
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the listing forever
            raise BulkError(f"{root}: not a directory or a regular file")
        yield PageTask(root.name, root, None, info.st_mtime)
