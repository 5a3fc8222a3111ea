"""Where a run's pages come from: a directory walk, a list of tasks, or a source of your own.

A :class:`PageSource` hands the run its tasks (and the inputs that cannot be
tasks, as failed results to log), names the function workers run on each
task, and may add to the error log and the summary. Directory and WARC runs
are both sources of one :func:`~declutter.bulk.run_bulk`, so they share every
setting, guarantee and line of the run itself.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from declutter._model.errors import Failure, error_message
from declutter.bulk.errors import BulkError, FileNameError
from declutter.bulk.execution.work import process_task
from declutter.bulk.sinks.base import ErrorLog
from declutter.bulk.sinks.paths import PAGE_SUFFIXES, TEMP_PREFIX, is_utf8, printable
from declutter.bulk.tasks import PageResult, PageTask, failure_result

if TYPE_CHECKING:
    from declutter.bulk.settings import RunSettings
    from declutter.bulk.summary import BulkSummary

#: File names a directory walk picks up by default (matched case-insensitively).
DEFAULT_PATTERNS: tuple[str, ...] = tuple(
    f"*{suffix}{gz}" for gz in ("", ".gz") for suffix in PAGE_SUFFIXES
)


class PageSource:
    """The pages of a run. Subclasses give :meth:`items`; the rest has defaults."""

    def page_function(self) -> Callable[..., PageResult]:
        """What workers run on each task: module-level and picklable."""
        return process_task

    def check_outputs(self, outputs: Sequence[Path], reports: Path | None) -> None:
        """Refuse outputs that would overwrite the input, before anything is written."""

    def items(self, exclude: Sequence[Path],
              settings: RunSettings) -> Iterable[PageTask | PageResult]:
        """The tasks, and the inputs that cannot be tasks as failed results, in order.

        ``exclude`` names the run's outputs, never to be read back as inputs.
        """
        raise NotImplementedError

    def error_log(self, path: Path) -> ErrorLog:
        """The error log (asked for once :meth:`items` is done, so it may use what they saw)."""
        return ErrorLog(path)

    def summarise(self, summary: BulkSummary) -> BulkSummary:
        """The run's summary, with whatever this source adds to it."""
        return summary


class TaskSource(PageSource):
    """Tasks (and failed results) made by the caller: a database query, a queue."""

    def __init__(self, items: Iterable[PageTask | PageResult]) -> None:
        self._items = items

    def items(self, exclude: Sequence[Path],
              settings: RunSettings) -> Iterable[PageTask | PageResult]:
        return self._items


class DirectorySource(PageSource):
    """The saved pages under a directory that match ``patterns`` (see :func:`iter_directory`)."""

    def __init__(self, root: str | os.PathLike[str],
                 patterns: Sequence[str] = DEFAULT_PATTERNS) -> None:
        self.root = Path(root)
        self.patterns = patterns

    def check_outputs(self, outputs: Sequence[Path], reports: Path | None) -> None:
        root = self.root
        if not root.is_dir():
            raise BulkError(f"{root}: not a directory")
        real = os.path.realpath(root)
        if any(os.path.realpath(path) == real for path in outputs):
            raise BulkError(f"{root}: the output cannot be the input directory")
        if reports is not None and os.path.realpath(reports) == real:
            raise BulkError(f"{root}: the explain directory cannot be the input directory")

    def items(self, exclude: Sequence[Path],
              settings: RunSettings) -> Iterable[PageTask | PageResult]:
        return iter_directory(self.root, self.patterns, exclude=exclude)


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
    matches = matcher(patterns)
    skip = {os.path.realpath(path) for path in exclude}
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Path, str]] = [(Path(root), "")]
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
            yield _failed(printable(prefix.rstrip("/") or "."), error,
                          f"cannot read directory: {error_message(error)}")
            continue
        subdirs: list[tuple[Path, str]] = []
        for entry in listing:
            relative = prefix + entry.name
            if _is_dir(entry):
                subdirs.append((Path(entry.path), relative + "/"))
            elif (not entry.name.startswith(TEMP_PREFIX) and matches(relative)
                  and not (skip and os.path.join(real, entry.name) in skip)):
                yield _task(entry, relative)
        stack.extend(reversed(subdirs))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
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
    if not is_utf8(relative):
        return failure_result(printable(relative), Failure(
            FileNameError.__name__, "file name is not valid UTF-8; rename the file to process it"))
    try:
        info = entry.stat()
    except OSError as error:  # a dangling symlink, a file removed during the walk
        return _failed(relative, error, error_message(error))
    if not stat.S_ISREG(info.st_mode):
        return failure_result(relative, Failure("OSError", "not a regular file"))
    return PageTask(relative, entry.path, None, info.st_mtime)


def _failed(key: str, error: OSError, message: str) -> PageResult:
    return failure_result(key, Failure(type(error).__name__, message))
