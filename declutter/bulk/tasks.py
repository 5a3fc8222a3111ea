"""The values a bulk run passes around: tasks in, results out, settings shared by all pages."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

from declutter._model.errors import PAGE, Failure
from declutter._model.options import DEFAULT_OPTIONS, Options

#: Output formats and the file extension each is written with.
FORMATS: dict[str, str] = {"text": ".txt", "markdown": ".md", "json": ".json", "html": ".html",
                           "xml": ".xml", "tei": ".tei.xml"}


def check_format(fmt: str) -> str:
    """``fmt`` when it is one of :data:`FORMATS`; a ValueError naming them otherwise."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt


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

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its class and field values. The default pickling reads the
        instance's ``__dict__``, which Python (3.11+) then builds and keeps for good: a
        run holding millions of tasks would grow by a dict per task sent to a worker."""
        return type(self), tuple(getattr(self, item.name) for item in fields(self))


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
        check_format(self.fmt)


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
    #: ``"page"`` when the page's input is to blame, ``"bug"`` when declutter is
    #: (see :func:`declutter._model.errors.failure_of`).
    kind: str = field(default=PAGE, kw_only=True)
    #: The traceback of a bug, for the error log.
    traceback: str | None = field(default=None, repr=False, compare=False, kw_only=True)

    @property
    def ok(self) -> bool:
        return self.error is None

    def error_record(self) -> dict[str, Any]:
        """The line written to the error log."""
        record: dict[str, Any] = {"path": self.key, "error": self.error,
                                  "message": self.message, "kind": self.kind}
        if self.traceback:
            record["traceback"] = self.traceback
        return record


def failed_result(task: PageTask, failure: Failure) -> PageResult:
    """A failure record for ``task``; executors call it when a page cannot finish."""
    return failure_result(task.key, failure)


def failure_result(key: str, failure: Failure) -> PageResult:
    """The failed result of the page named ``key``."""
    return PageResult(key, None, failure.error, failure.message, kind=failure.kind,
                      traceback=failure.traceback)
