""":func:`run_bulk`: a source, an executor and sinks wired into one run that loses no page.

The guarantee it keeps: every input ends either as an output or as a line in
the error log, outputs are only ever complete (written to a temporary file,
then renamed), and a run killed at any moment can be resumed without redoing
finished pages or leaving debris.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from declutter._model.errors import BUG, failure_of
from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter.bulk.errors import BulkError, BulkInterrupted
from declutter.bulk.execution.executors import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    Executor,
)
from declutter.bulk.progress import Progress
from declutter.bulk.settings import RunSettings
from declutter.bulk.sinks.base import ErrorLog, MirrorSink, ReportSink, Sink
from declutter.bulk.sinks.choose import make_sink
from declutter.bulk.sinks.paths import inside
from declutter.bulk.sources.base import DEFAULT_PATTERNS, PageSource
from declutter.bulk.sources.choose import open_source
from declutter.bulk.sources.warc import WarcSummary
from declutter.bulk.summary import BulkSummary
from declutter.bulk.tasks import (
    PageResult,
    PageSettings,
    PageTask,
    failed_result,
    failure_result,
)


def run_bulk(
    inputs: str | os.PathLike[str] | Iterable[PageTask | PageResult] | PageSource,
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
    page_function: Callable[..., PageResult] | None = None,
    explain_dir: str | os.PathLike[str] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> BulkSummary:
    """Clean every page of ``inputs`` into ``output``; never loses a page.

    ``inputs`` is a directory (walked by :func:`iter_directory` with
    ``patterns``), a URL of one (``s3://bucket/pages/``, read through fsspec
    with ``storage_options``: see :mod:`declutter.bulk.sources.remote`), any iterable
    of tasks (and of already-failed results to log), or a :class:`PageSource`
    (WARC files: see :func:`run_warc_bulk`). ``output`` is a directory (one
    file per page, :class:`MirrorSink`), a path ending in ``.jsonl``
    (:class:`JsonlSink`) or ``.parquet`` (a Parquet dataset,
    :class:`~declutter.bulk.sinks.parquet.ParquetSink`), or a sink of your own.
    ``jobs`` worker processes (default: every CPU; 0 runs in this process,
    without deadlines) each take ``timeout`` seconds at most per page and are
    replaced when their memory passes ``memory_limit`` bytes; pass
    ``executor`` to run elsewhere. With ``resume``, inputs whose output is
    complete and newer are skipped. Failures go to ``errors`` (default:
    ``OUT/_errors.jsonl``, or ``NAME.errors.jsonl`` beside a JSONL output;
    an :class:`ErrorLog` of your own may add fields to each line), a bug of
    declutter as its own kind, counted in :attr:`BulkSummary.bugs`.
    ``page_function(task, settings=...)`` (module-level, picklable) turns a
    task into a result in the workers; by default the source's own.

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
    settings = RunSettings(options or DEFAULT_OPTIONS, fmt, explain, jobs, timeout,
                           memory_limit, resume, progress, errors, executor, page_function,
                           explain_dir)
    source = open_source(inputs, patterns, storage_options=storage_options, kind="pages")
    return _Run(source, output, settings).execute()


def run_warc_bulk(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    output: str | os.PathLike[str] | Sink,
    *,
    patterns: Sequence[str] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    **settings: Any,
) -> WarcSummary:
    """Clean every HTML page of WARC files into ``output``: :func:`run_bulk` for crawls.

    ``inputs`` is a WARC file, a directory (walked for ``patterns``, by default
    ``*.warc`` and ``*.warc.gz``), a list of WARC files, or a URL of a file or folder
    (read through fsspec with ``storage_options``: see
    :mod:`declutter.bulk.sources.remote_warc`). Each page's record (``path`` is
    ``FILE/OFFSET``) holds ``warc_record_id``, ``warc_target_uri``, ``warc_date``,
    ``http_status`` (and ``http_charset`` / ``warc_truncated`` when the archive has
    them) before the article's metadata and text; failures go to the error log with
    the same WARC fields. Records that are not HTML or not status 200 are counted in
    the summary, not logged. ``output`` and every other keyword (``options``, ``fmt``,
    ``jobs``, ``resume``, ``explain_dir``, ...) are those of :func:`run_bulk`, and so
    are the guarantees; the ``executor`` may be a
    :class:`declutter.cluster.DaskExecutor`.
    """
    source = open_source(inputs, patterns, storage_options=storage_options, kind="warc")
    summary = run_bulk(source, output, **settings)
    assert isinstance(summary, WarcSummary)
    return summary


class _Run:
    """One call of :func:`run_bulk`: its parts, and its counts as it goes."""

    def __init__(self, source: PageSource, output: str | os.PathLike[str] | Sink,
                 settings: RunSettings) -> None:
        self.started, self.cpu_started = time.monotonic(), time.process_time()
        self.source, self.settings = source, settings
        self.sink: Sink = (make_sink(output, settings.fmt)
                           if isinstance(output, str | os.PathLike) else output)
        if (settings.explain and isinstance(self.sink, MirrorSink)
                and settings.fmt not in ("json", "xml")):
            raise ValueError("explain needs fmt='json' or 'xml', or a JSONL output: other files "
                             "have no room for the removals")
        self.reports = (ReportSink(settings.explain_dir) if settings.explain_dir is not None
                        else None)
        if self.reports is not None:
            _check_report_directory(self.reports.directory, self.sink)
        errors = settings.errors
        self.log_path = (errors.path if isinstance(errors, ErrorLog)
                         else Path(errors) if errors is not None
                         else self.sink.default_errors_path())
        source.check_outputs(self.sink.excluded(),
                             self.reports.directory if self.reports is not None else None)
        self.done = self.failed = self.bugs = self.empty = self.skipped = 0

    def execute(self) -> BulkSummary:
        tasks, unusable = self._gather()
        executor = self.settings.make_executor()
        errors = self.settings.errors
        log = errors if isinstance(errors, ErrorLog) else self.source.error_log(self.log_path)
        interrupted = False
        self.sink.open(tasks, resume=self.settings.resume)
        try:
            if self.reports is not None:
                self.reports.open(tasks, resume=self.settings.resume)
            log.open()
            self._process(tasks, unusable, executor, log)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if self.settings.progress is not None:
                self.settings.progress.finish()
            self.sink.close()
            if self.reports is not None:
                self.reports.close()
            log.close()
        summary = self.source.summarise(self._summary(len(tasks) + len(unusable), executor,
                                                      log, interrupted))
        if interrupted:
            raise BulkInterrupted(summary)
        return summary

    def _gather(self) -> tuple[list[PageTask], list[PageResult]]:
        """The source's tasks, and its inputs that cannot be tasks (to log)."""
        exclude = [*self.sink.excluded(), self.log_path,
                   *(self.reports.excluded() if self.reports is not None else ())]
        tasks: list[PageTask] = []
        unusable: list[PageResult] = []
        for item in self.source.items(exclude, self.settings):
            if isinstance(item, PageTask):
                tasks.append(item)
            else:
                unusable.append(item)
        if len({task.key for task in tasks}) != len(tasks):
            raise ValueError("task keys must be unique within a run")
        return tasks, unusable

    def _process(self, tasks: list[PageTask], unusable: list[PageResult], executor: Executor,
                 log: ErrorLog) -> None:
        settings = self.settings
        if settings.resume:
            todo, report_only = _still_to_do(tasks, self.sink, self.reports)
        else:
            todo, report_only = tasks, set()
        self.skipped = len(tasks) - len(todo)
        if settings.progress is not None:
            settings.progress.start(len(todo) + len(unusable))
        for result in unusable:
            self._count(result, log)
        page = PageSettings(settings.options, settings.fmt, settings.explain,
                            metadata=self.sink.needs_metadata or settings.explain,
                            report=self.reports is not None)
        function = settings.page_function or self.source.page_function()
        results = executor.map_unordered(functools.partial(function, settings=page), todo,
                                         failed_result)
        try:
            for result in results:
                self._count(self._store(result, report_only) if result.ok else result, log)
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()

    def _store(self, result: PageResult, report_only: set[str]) -> PageResult:
        """Write one page's output (and report); a write that fails costs that page only."""
        try:
            if self.reports is not None:
                # first: an output on disk then means its report is there too
                self.reports.write(result)
            if result.key not in report_only:
                self.sink.write(result)
        except BulkError:
            raise  # the sink cannot go on (a Parquet part that cannot be written)
        except Exception as error:  # a full disk, a symlink planted in OUT, or a bug
            return failure_result(result.key, failure_of(error))
        return result

    def _count(self, result: PageResult, log: ErrorLog) -> None:
        if result.ok:
            self.done += 1
            self.empty += not (result.record or {}).get("text")
        else:
            log.write(result)
            if result.kind == BUG:
                self.bugs += 1
            else:
                self.failed += 1
        if self.settings.progress is not None:
            self.settings.progress.advance(result.ok)

    def _summary(self, total: int, executor: Executor, log: ErrorLog,
                 interrupted: bool) -> BulkSummary:
        stats = executor.stats
        return BulkSummary(
            total=total,
            done=self.done,
            skipped=self.skipped,
            failed=self.failed,
            empty=self.empty,
            seconds=time.monotonic() - self.started,
            output=str(getattr(self.sink, "directory", None) or getattr(self.sink, "path", "")),
            errors_path=os.fspath(log.path),
            jobs=getattr(executor, "jobs", 0),
            timeouts=stats.timeouts,
            workers_replaced=stats.timeouts + stats.memory_recycles + stats.crashes,
            peak_worker_rss=stats.peak_worker_rss,
            worker_cpu_seconds=round(stats.worker_cpu_seconds, 3),
            interrupted=interrupted,
            parent_cpu_seconds=round(time.process_time() - self.cpu_started, 3),
            bugs=self.bugs,
        )


def _check_report_directory(directory: Path, sink: Sink) -> None:
    """Refuse an explain directory that shares a tree with a mirrored output.

    Report and output names could then collide (the report of ``a.html`` and
    the ``--format html`` output of ``a.explain.html`` are both
    ``a.explain.html``), and two sinks would lock and sweep the same tree. A
    JSONL output may sit inside the explain directory: no report is named like it.
    """
    for path in sink.excluded():
        if inside(path, directory) if isinstance(sink, MirrorSink) else (
            os.path.realpath(path) == os.path.realpath(directory)
        ):
            raise BulkError(f"{directory}: the explain directory cannot hold the output")
        if inside(directory, path):
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
