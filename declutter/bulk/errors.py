"""The exceptions of bulk runs: a run that cannot go on, and what pages fail with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from declutter._model.errors import DeclutterError, EmptyPageError

__all__ = [
    "BulkError",
    "BulkInterrupted",
    "EmptyPageError",
    "FileNameError",
    "UnsafePathError",
    "WorkerDiedError",
]

if TYPE_CHECKING:
    from declutter.bulk.summary import BulkSummary


class BulkError(DeclutterError):
    """A bulk run cannot start or go on (bad output location, workers that cannot start)."""


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
