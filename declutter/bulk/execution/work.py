"""The work function: one task's page read, cleaned and turned into a result.

:func:`process_task` is what every executor runs in its workers; it is
module-level and picklable so any engine (local processes, a cluster) can
call it, and it returns a page's failure as a result instead of raising, so
one page never costs a worker its other pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from declutter._model.errors import Failure, failure_of
from declutter._model.options import Options
from declutter._stages.pipeline import run
from declutter.bulk.sinks.records import article_record
from declutter.bulk.sources.files import guess_url, prepare_page, read_page
from declutter.bulk.tasks import PageResult, PageSettings, PageTask, failed_result


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
    if not metadata and fmt == "text" and not explain:
        return {"url": url, "text": run(data, url, options, full=False).text}
    article = run(data, url, options, full=True)
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
    from declutter._report.explain import (
        report_for,  # the report builder loads only for runs that use it
    )

    article = run(html, url, settings.options, full=True)
    record = article_record(article, fmt=settings.fmt, explain=settings.explain)
    return record, report_for(html, article, settings.options)


def process_task(task: PageTask, settings: PageSettings) -> PageResult:
    """Read and clean one task's page: the function every executor runs in its workers.

    A page's failure is returned as a result, not raised (a bug of declutter
    too, as its own kind: see :func:`declutter._model.errors.failure_of`), except
    :class:`MemoryError`, which is left to the executor so it can also replace
    the worker whose memory may now be in a poor state.
    """
    return run_task(task, settings, read_task)


def read_task(task: PageTask, max_bytes: int) -> bytes:
    """The page of a task: its own bytes, or the local file it names."""
    if isinstance(task.source, bytes | bytearray | memoryview):
        return prepare_page(bytes(task.source), max_bytes)
    return read_page(task.source, max_bytes)


def run_task(
    task: PageTask,
    settings: PageSettings,
    read: Callable[[PageTask, int], bytes],
    failure: Callable[[BaseException], Failure] = failure_of,
) -> PageResult:
    """:func:`process_task` with the page read by ``read(task, max_bytes)``.

    Sources whose pages live elsewhere (a URL: :mod:`declutter.bulk.sources.remote`)
    give their own reader, and their own ``failure`` sorting when what their
    reader raises needs it, and share everything else with saved pages.
    """
    try:
        data = read(task, settings.options.max_bytes)
        url = task.url
        if url is None and settings.guess_url:
            url = guess_url(data)
        record, report = page_outputs(data, url, settings)
    except MemoryError:
        raise
    except Exception as error:  # sorted into page problems and bugs, never raised
        return failed_result(task, failure(error))
    return PageResult(task.key, {"path": task.key, **record}, report=report)
