"""Where outputs go: names planned without collisions, never outside the output directory.

Also the file-system guards every output directory shares: one run per
directory (a lock), and the sweep of temporary files a killed run left.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from declutter.bulk.errors import BulkError, UnsafePathError

#: Name of the error log in an output directory.
ERRORS_NAME = "_errors.jsonl"

#: Extension of the explain reports a run writes with ``explain_dir``.
REPORT_EXTENSION = ".explain.html"

#: Temporary files start with this; a run removes any it finds left by a killed run.
TEMP_PREFIX = ".declutter-tmp-"

#: Suffixes of saved pages, dropped from output names (``story.html`` -> ``story.txt``).
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")

#: Whether outputs can be written relative to open folders, without following
#: symlinks: then no path component can be swapped for a symlink during a run.
SAFE_DIR_FD = (
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
    _number_duplicates(planned, extension)
    return planned


def _number_duplicates(planned: dict[str, tuple[str, ...] | UnsafePathError],
                       extension: str) -> None:
    """Give ``~2``, ``~3``... to names that still collide (only names built to collide)."""
    taken: set[str] = set()
    for key, planned_target in planned.items():
        if isinstance(planned_target, UnsafePathError):
            continue
        target = candidate = planned_target
        number = 2
        while _fold(candidate) in taken:
            stem = target[-1][: -len(extension)]
            candidate = (*target[:-1], f"{stem}~{number}{extension}")
            number += 1
        taken.add(_fold(candidate))
        planned[key] = candidate


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
            or not is_utf8(part)
        )
        if bad:
            raise UnsafePathError(
                f"key {printable(key)!r} cannot be an output path inside the output directory"
            )
    return parts


def _strip_page_suffix(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".gz"):
        name, lowered = name[:-3], lowered[:-3]
    for suffix in PAGE_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _fold(parts: tuple[str, ...]) -> str:
    return "/".join(parts).casefold()  # "/" cannot occur inside a part


def is_utf8(name: str) -> bool:
    """Whether a file name is valid UTF-8 (undecodable bytes surface as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(name: str) -> str:
    """A file name fit for a JSON record: undecodable bytes shown as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def inside(path: str | os.PathLike[str], directory: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is ``directory`` or under it, once symlinks are resolved."""
    real, base = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([real, base]) == base


def sweep_temporaries(directory: Path) -> None:
    """Remove the temporary files a killed run left; they are never complete outputs."""
    for folder, _subdirs, files in os.walk(directory):
        for name in files:
            if name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))


def lock(fd: int, path: Path) -> None:
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
