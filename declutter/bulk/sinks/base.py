"""Sinks: where results go. Every write is all-or-nothing, so a killed run can resume.

:class:`MirrorSink` writes one file per page at the mirrored path,
:class:`JsonlSink` one JSON record per line, :class:`ReportSink` the explain
reports; failures go to an :class:`ErrorLog`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from declutter._model.errors import DeclutterError, error_message
from declutter.bulk.errors import BulkError, UnsafePathError
from declutter.bulk.sinks.paths import (
    ERRORS_NAME,
    REPORT_EXTENSION,
    SAFE_DIR_FD,
    inside,
    lock,
    plan_output_names,
    sweep_temporaries,
)
from declutter.bulk.sinks.records import render_output, write_all, write_atomically
from declutter.bulk.tasks import FORMATS, PageResult, PageTask, check_format

#: Output folders a mirror sink keeps open: a run walks a tree folder by folder, so
#: a few dozen cover the folders in use without nearing the open-file limit.
_FD_CACHE_SIZE = 64


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
        self.directory = Path(directory)
        self.fmt = check_format(fmt)
        self.extension = FORMATS[fmt]
        self.needs_metadata = fmt != "text"
        self._names: dict[str, tuple[str, ...] | UnsafePathError] = {}
        self._root_fd: int | None = None
        self._fds: OrderedDict[tuple[str, ...], int] = OrderedDict()

    def default_errors_path(self) -> Path:
        return self.directory / ERRORS_NAME

    def excluded(self) -> list[Path]:
        return [self.directory]

    def open(self, tasks: Sequence[PageTask], *, resume: bool) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BulkError(f"{self.directory}: cannot create output directory: "
                            f"{error_message(error)}") from None
        if not self.directory.is_dir():
            raise BulkError(f"{self.directory}: not a directory")
        if SAFE_DIR_FD:
            self._root_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            lock(self._root_fd, self.directory)
        sweep_temporaries(self.directory)
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
        """Put ``data`` at the file of ``key``, all or nothing."""
        parts = self._parts(key)
        if self._root_fd is None:
            self._write_by_path(parts, data)
        else:
            write_atomically(parts[-1], data, dir_fd=self._folder(parts[:-1]))

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
        folder = self.directory.joinpath(*parts[:-1])
        folder.mkdir(parents=True, exist_ok=True)
        if not inside(folder, self.directory):
            raise UnsafePathError(f"output folder {'/'.join(parts[:-1])!r} leads outside "
                                  "the output directory")
        write_atomically(folder / parts[-1], data)

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


def json_line(value: Any) -> bytes:
    """One JSON Lines line of ``value``, as UTF-8."""
    # A lone surrogate cannot be UTF-8; written as the JSON escape it stands for.
    return (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")


class NamedOutput:
    """A sink writing one named output (a file, or a dataset's directory): its error log
    stands beside it, named for it, and a walk of the input leaves it out."""

    path: Path
    #: the output's name ends so; the error log's name replaces the ending
    suffix = ""

    def default_errors_path(self) -> Path:
        name = self.path.name
        stem = name[: -len(self.suffix)] if self.suffix and name.endswith(self.suffix) else name
        return self.path.with_name(f"{stem}.errors.jsonl")

    def excluded(self) -> list[Path]:
        return [self.path]


class AppendedFile(NamedOutput):
    """One output file that records are appended to, locked while a run writes it.

    Resuming keeps the records already complete (``complete_records`` reads them and
    cuts off a last partial one); a new run starts the file empty.
    """

    def __init__(self, path: str | os.PathLike[str], fmt: str = "text") -> None:
        self.path = Path(path)
        self.fmt = check_format(fmt)
        self._fd: int | None = None
        self._done: set[str] = set()

    def complete_records(self, fd: int) -> set[str]:
        """The paths of the records already whole in the open file."""
        raise NotImplementedError

    def open(self, tasks: Sequence[PageTask], *, resume: bool) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as error:
            raise BulkError(f"{self.path}: cannot open output: {error_message(error)}") from None
        lock(fd, self.path)
        self._fd = fd
        if resume:
            self._done = self.complete_records(fd)
        else:
            os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_END)

    def is_done(self, task: PageTask) -> bool:
        return task.key in self._done

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class JsonlSink(AppendedFile):
    """All pages in one JSON Lines file: one record per line, written whole and flushed.

    A killed run can leave only its last line cut short; resuming truncates that
    line and skips every page whose record is already there.
    """

    needs_metadata = True
    suffix = ".jsonl"


    def complete_records(self, fd: int) -> set[str]:
        return _complete_records(fd)

    def write(self, result: PageResult) -> None:
        if self._fd is None or result.record is None:
            raise ValueError("write() needs an opened sink and a successful result")
        write_all(self._fd, json_line(result.record))


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
    """The JSON Lines log of failed pages: ``{"path", "error", "message", "kind"}`` per line.

    ``kind`` is ``"page"`` (the page's input is to blame) or ``"bug"`` (declutter
    is; the line then also holds the ``traceback``). Started afresh by every
    run: a resumed run retries every page that failed before, so earlier
    failures are either fixed or logged again. A subclass may add fields to
    each line (:meth:`fields`).
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
            raise BulkError(f"{self.path}: cannot open error log: "
                            f"{error_message(error)}") from None

    def fields(self, result: PageResult) -> dict[str, Any]:
        """The line of one failed page."""
        return result.error_record()

    def write(self, result: PageResult) -> None:
        if self._fd is None:
            raise ValueError("the error log is not open")
        write_all(self._fd, json_line(self.fields(result)))
        self.count += 1

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
