"""Bulk processing: many pages, in worker processes, without ever losing one.

A bulk run is three separable parts, so each can be replaced on its own (a WARC
reader instead of a directory, a cluster instead of local processes, a
database instead of files):

* a **source** of :class:`PageTask` values, ``(key, bytes or path, url)``:
  :class:`DirectorySource` (:func:`iter_directory`) walks a directory of saved
  pages, :class:`~declutter.bulk.sources.warc.WarcSource` lists WARC archives,
  :class:`~declutter.bulk.sources.remote.RemoteDirectorySource` and
  :class:`~declutter.bulk.sources.remote_warc.RemoteWarcSource` do the same at a URL,
  and any iterable of tasks will do;
* an **executor** that maps the picklable, module-level :func:`process_task`
  over the tasks and yields one :class:`PageResult` per task, whatever
  happens: :class:`ProcessExecutor` (worker processes with a per-page deadline
  and a memory limit) or :class:`InlineExecutor` (this process, for debugging);
* a **sink** that stores results: :class:`MirrorSink` (one file per page, at
  the mirrored path), :class:`JsonlSink` (one JSON record per line) or
  :class:`~declutter.bulk.sinks.parquet.ParquetSink` (a Parquet dataset), with
  failures going to an :class:`ErrorLog`.

:func:`run_bulk` wires them together, adds resuming and progress reporting,
and returns a :class:`BulkSummary`. The guarantee it keeps: every input ends
either as an output or as a line in the error log, outputs are only ever
complete (written to a temporary file, then renamed), and a run killed at any
moment can be resumed without redoing finished pages or leaving debris.

The modules, one job each: :mod:`.tasks` (the values passed around),
:mod:`.reading` (page bytes from disk), :mod:`.work` (the work function),
:mod:`.source` (where pages come from), :mod:`.executors`, :mod:`.pool` and
:mod:`.worker` (where they run), :mod:`.sinks`, :mod:`.paths` and
:mod:`.output` (where results go), :mod:`.progress`, :mod:`.summary`,
:mod:`.run` (the run itself), :mod:`.warc` (WARC runs), :mod:`.remote` and
:mod:`.remote_warc` (inputs by URL, through fsspec), :mod:`.parquet` (Parquet
datasets) and :mod:`.job` (the bulk command's dispatcher). WARC runs, URL
inputs, Parquet output and the dispatcher load their libraries on first use.
"""

from __future__ import annotations

from declutter._model.lazy import lazy_names
from declutter.bulk.errors import (
    BulkError,
    BulkInterrupted,
    EmptyPageError,
    FileNameError,
    UnsafePathError,
    WorkerDiedError,
)
from declutter.bulk.execution.executors import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    Executor,
    ExecutorStats,
    InlineExecutor,
    default_jobs,
)
from declutter.bulk.execution.pool import ProcessExecutor
from declutter.bulk.execution.work import page_outputs, process_page, process_task
from declutter.bulk.progress import LineProgress, Progress, TqdmProgress, terminal_progress
from declutter.bulk.run import run_bulk
from declutter.bulk.settings import RunSettings
from declutter.bulk.sinks.base import ErrorLog, JsonlSink, MirrorSink, ReportSink, Sink
from declutter.bulk.sinks.choose import make_sink
from declutter.bulk.sinks.paths import ERRORS_NAME, REPORT_EXTENSION, TEMP_PREFIX, plan_output_names
from declutter.bulk.sinks.records import article_record, render_output, write_atomically
from declutter.bulk.sources.base import (
    DEFAULT_PATTERNS,
    DirectorySource,
    PageSource,
    TaskSource,
    iter_directory,
)
from declutter.bulk.sources.files import guess_url, prepare_page, read_page
from declutter.bulk.summary import BulkSummary
from declutter.bulk.tasks import (
    FORMATS,
    PageResult,
    PageSettings,
    PageTask,
    check_format,
    failed_result,
    failure_result,
)

#: Parts that need an optional package (pyarrow, warcio, fsspec) load on first use: a run
#: over a directory of pages never imports them.
_LAZY = {
    "CsvSink": "declutter.bulk.sinks.csvfile",
    "ParquetSink": "declutter.bulk.sinks.parquet",
    "WarcSource": "declutter.bulk.sources.warc",
    "RemoteDirectorySource": "declutter.bulk.sources.remote",
    "RemoteWarcSource": "declutter.bulk.sources.remote_warc",
}


__getattr__ = lazy_names(globals(), _LAZY)


__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_PATTERNS",
    "DEFAULT_TIMEOUT",
    "ERRORS_NAME",
    "FORMATS",
    "REPORT_EXTENSION",
    "TEMP_PREFIX",
    "BulkError",
    "BulkInterrupted",
    "BulkSummary",
    "CsvSink",
    "DirectorySource",
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
    "PageSource",
    "PageTask",
    "ParquetSink",
    "ProcessExecutor",
    "Progress",
    "RemoteDirectorySource",
    "RemoteWarcSource",
    "ReportSink",
    "RunSettings",
    "Sink",
    "TaskSource",
    "TqdmProgress",
    "UnsafePathError",
    "WarcSource",
    "WorkerDiedError",
    "article_record",
    "check_format",
    "default_jobs",
    "failed_result",
    "failure_result",
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
    "write_atomically",
]
