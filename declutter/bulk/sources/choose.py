"""The source an input asks for: saved pages or WARC files, on disk or at a URL.

:func:`open_source` is the one place an input (a path, a URL, a list of tasks) becomes
a source: :func:`~declutter.bulk.run_bulk`, :func:`~declutter.bulk.run.run_warc_bulk`
and the ``bulk`` command all ask it, so an input means the same to each of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from declutter.bulk.errors import BulkError
from declutter.bulk.sources.base import DEFAULT_PATTERNS, DirectorySource, PageSource, TaskSource
from declutter.bulk.sources.remote import RemoteInputError, is_url, redact_text, remote_failure

__all__ = ["open_source"]

#: What an input is read as: saved pages, WARC archives, or whichever the input holds.
InputKind = Literal["pages", "warc", "auto"]


def open_source(inputs: Any, patterns: Sequence[str] | None = None, *,
                storage_options: Mapping[str, Any] | None = None,
                kind: InputKind = "auto") -> PageSource:
    """The source of a run's pages.

    ``inputs`` is a :class:`PageSource` (returned as it is), a path or URL of a
    directory or a file, or an iterable of tasks (saved pages) or of WARC files.
    ``kind="auto"`` reads WARC archives when the input holds them (by name, or for a
    URL by listing it), else saved pages; ``patterns`` default to the kind's own.
    Sources that need an optional package (warcio, fsspec) load on first use.
    """
    if isinstance(inputs, PageSource):
        return inputs
    if kind == "auto":
        kind = "warc" if _holds_warc(inputs, patterns, storage_options) else "pages"
    if kind == "warc":
        from declutter.bulk.sources.warc import WARC_PATTERNS, WarcSource

        if is_url(inputs):
            from declutter.bulk.sources.remote_warc import RemoteWarcSource

            return RemoteWarcSource(str(inputs), patterns or WARC_PATTERNS,
                                    storage_options=storage_options)
        return WarcSource(inputs, patterns or WARC_PATTERNS)
    if is_url(inputs):
        from declutter.bulk.sources.remote import RemoteDirectorySource

        return RemoteDirectorySource(str(inputs), patterns or DEFAULT_PATTERNS,
                                     storage_options=storage_options)
    if isinstance(inputs, str | os.PathLike):
        return DirectorySource(inputs, patterns or DEFAULT_PATTERNS)
    if isinstance(inputs, Iterable):
        return TaskSource(inputs)
    raise TypeError(f"not an input of a run: {type(inputs).__name__}")


def _holds_warc(inputs: Any, patterns: Sequence[str] | None,
                storage_options: Mapping[str, Any] | None) -> bool:
    if is_url(inputs):
        from declutter.bulk.sources.remote_warc import is_remote_warc_input

        url = str(inputs)
        try:
            return is_remote_warc_input(url, storage_options, patterns)
        except (OSError, RemoteInputError) as error:  # not found, refused, unreachable
            raise BulkError(f"{redact_text(url)}: cannot read the input: "
                            f"{remote_failure(error).message}") from None
    if isinstance(inputs, str | os.PathLike):
        from declutter.bulk.sources.warc import is_warc_input

        return is_warc_input(inputs, patterns)
    return False
