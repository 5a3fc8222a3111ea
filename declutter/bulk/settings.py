"""What a run is asked to do: the settings every source, executor and sink reads."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter.bulk.execution.executors import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    Executor,
    InlineExecutor,
)
from declutter.bulk.execution.pool import ProcessExecutor
from declutter.bulk.progress import Progress
from declutter.bulk.sinks.base import ErrorLog
from declutter.bulk.tasks import PageResult, check_format

__all__ = ["RunSettings"]


@dataclass(frozen=True)
class RunSettings:
    """What a run is asked to do, whatever its source (see :func:`run_bulk`)."""

    options: Options = DEFAULT_OPTIONS
    fmt: str = "text"
    explain: bool = False
    jobs: int | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT
    resume: bool = False
    progress: Progress | None = None
    errors: str | os.PathLike[str] | ErrorLog | None = None
    executor: Executor | None = None
    #: None: the source's own (``process_task`` for saved pages).
    page_function: Callable[..., PageResult] | None = None
    explain_dir: str | os.PathLike[str] | None = None

    def __post_init__(self) -> None:
        check_format(self.fmt)

    def make_executor(self) -> Executor:
        """The executor asked for, or the local pool (``jobs=0``: this process)."""
        if self.executor is not None:
            return self.executor
        if self.jobs == 0:
            return InlineExecutor()
        return ProcessExecutor(self.jobs, timeout=self.timeout, memory_limit=self.memory_limit)
