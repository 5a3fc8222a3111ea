"""WARC files at a URL (``s3://commoncrawl/...``, ``https://host/x.warc.gz``), streamed.

The run is that of local archives (:mod:`declutter.bulk.sources.warc`): each archive
is listed by one worker, which streams it through in large sequential reads
(never a full local copy), and every page's task carries the archive's URL,
the record's offset and length, and the span of the records of the pages a
worker is handed with it; the worker fetches that span in one ranged request
and serves the batch from it, so an object store sees one request per batch,
not per page. The parent never touches page bytes, so the same job runs on
the local pool or on Dask workers that share nothing but the URL.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from declutter._model.errors import PAGE
from declutter.bulk.sources.base import DEFAULT_PATTERNS
from declutter.bulk.sources.remote import (
    RemoteInput,
    RemoteInputError,
    filesystem,
    is_remote_dir,
    list_inputs,
    process_remote_task,
    reading,
    redact_text,
    remote_failure,
    remote_files,
)
from declutter.bulk.sources.warc import (
    WARC_PATTERNS,
    Listing,
    WarcSource,
    WarcTask,
    is_warc_name,
    scan_listing,
    warc_result,
)
from declutter.bulk.tasks import PageResult, PageSettings, PageTask, failure_result
from declutter.warc import WarcPage, WarcStats, read_record

#: Bytes read ahead while listing an archive: large sequential requests, so listing
#: a remote file costs about what reading it from a local disk does, and memory
#: stays bounded whatever the archive's size.
LISTING_BLOCK_SIZE = 8 * 1024**2

#: Bytes a record may take beyond its page's size limit (WARC and HTTP headers,
#: chunked encoding) and still be fetched in one request; a larger record is read
#: through a buffered file instead, which stops one byte past the limit.
RECORD_HEADROOM = 1024**2

#: Bytes per request when a record is read through a buffered file (its length is
#: unknown or too large to fetch at once).
RECORD_BLOCK_SIZE = 256 * 1024


class _Window(io.BytesIO):
    """The bytes of one record, fetched from ``offset`` of its file, that read as if the
    whole file were there: positions (and so the offsets in pages and messages) are the
    file's."""

    def __init__(self, data: bytes, offset: int) -> None:
        super().__init__(data)
        self._base = offset

    def tell(self) -> int:
        return super().tell() + self._base

    def seek(self, position: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position -= self._base
        return super().seek(position, whence) + self._base


class _Fetched(threading.local):
    """The bytes a worker thread fetched last: the records of the pages it is handed next."""

    url: str | None = None
    start: int = 0
    data: bytes = b""

    def get(self, url: str, offset: int, length: int) -> bytes | None:
        if url == self.url and self.start <= offset and \
                offset + length <= self.start + len(self.data):
            return self.data[offset - self.start:offset - self.start + length]
        return None


_FETCHED = _Fetched()


def fetch_record(task: WarcTask, max_bytes: int, *,
                 storage_options: Mapping[str, Any] | None = None) -> WarcPage:
    """The page of a remote WARC task, read from its record's bytes.

    The record is fetched in one ranged request together with those of the
    pages after it (:attr:`WarcTask.span`), which the same worker is handed
    next, so a batch of pages costs one request; a record too large for that
    is read through a buffered file instead.
    """
    url, offset, length = str(task.source), task.offset, task.length
    with reading():
        fs, path = filesystem(url, storage_options)
        if length is None or length > max_bytes + RECORD_HEADROOM:
            with fs.open(path, "rb", block_size=RECORD_BLOCK_SIZE) as stream:
                return read_record(stream, offset, max_bytes=max_bytes)
        data = _FETCHED.get(url, offset, length)
        if data is None:
            span = max(length, task.span or 0)
            fetched = bytes(fs.cat_file(path, start=offset, end=offset + span))
            if not length <= len(fetched) <= span:  # cut short, or the whole file
                raise RemoteInputError(
                    f"asked for {span} bytes at offset {offset} and got {len(fetched)}: "
                    "the file changed, or the server does not serve byte ranges")
            _FETCHED.url, _FETCHED.start, _FETCHED.data = url, offset, fetched
            data = fetched[:length]
    return read_record(_Window(data, offset), offset, max_bytes=max_bytes)


def process_remote_warc_task(task: PageTask, settings: PageSettings, *,
                             storage_options: Mapping[str, Any] | None = None) -> PageResult:
    """:func:`~declutter.bulk.sources.warc.process_warc_task` for an archive at a URL."""
    if not isinstance(task, WarcTask):
        return process_remote_task(task, settings, storage_options=storage_options)
    read = functools.partial(fetch_record, storage_options=storage_options)
    return warc_result(task, settings, read, remote_failure)


def list_remote_warc(task: PageTask, *,
                     storage_options: Mapping[str, Any] | None = None) -> Listing:
    """List one remote archive (a file task whose source is its URL): what listing
    workers run. The file is streamed through once, in :data:`LISTING_BLOCK_SIZE` reads."""
    stats = WarcStats()
    details: dict[str, dict[str, Any]] = {}
    url = str(task.source)
    try:
        with reading():
            fs, path = filesystem(url, storage_options)
            with fs.open(path, "rb", block_size=LISTING_BLOCK_SIZE,
                         cache_type="readahead") as stream:
                found, items = scan_listing(stream, task.key, url, mtime=task.mtime,
                                            details=details, size=getattr(stream, "size", None))
    except Exception as error:  # sorted as a page of a remote input is, never raised
        failure = remote_failure(error)
        damaged = WarcStats(damaged=1) if failure.kind == PAGE else WarcStats()
        return Listing(task.key, [failure_result(task.key, failure)], damaged, {})
    stats.add(found)
    return Listing(task.key, [_redacted(item) for item in items], stats, details)


def _redacted(item: WarcTask | PageResult) -> WarcTask | PageResult:
    """A damaged record's message may quote the reader's error, URL and all."""
    if isinstance(item, PageResult) and "://" in item.message:
        return PageResult(item.key, None, item.error, redact_text(item.message),
                          kind=item.kind, traceback=item.traceback)
    return item


def is_remote_warc_input(url: str, storage_options: Mapping[str, Any] | None = None,
                         patterns: Sequence[str] | None = None) -> bool:
    """:func:`~declutter.bulk.sources.warc.is_warc_input` for a URL: a file is read as WARC; a
    folder is when the first page or WARC file in walk order is a WARC file."""
    with reading():
        fs, root = filesystem(url, storage_options)
        folder = is_remote_dir(fs, root, url)
    if not folder:
        return True
    if patterns:
        return all(is_warc_name(pattern.rstrip("*")) for pattern in patterns)
    for task in remote_files(url, storage_options, patterns=(*DEFAULT_PATTERNS, *WARC_PATTERNS)):
        return is_warc_name(task.key)
    return False


class RemoteWarcSource(RemoteInput, WarcSource):
    """The HTML pages of the WARC files at a URL: one archive, or a folder of them."""

    def __init__(self, url: str, patterns: Sequence[str] = WARC_PATTERNS, *,
                 storage_options: Mapping[str, Any] | None = None) -> None:
        WarcSource.__init__(self, url, patterns)
        self.at(url, storage_options)

    def page_function(self) -> Callable[..., PageResult]:
        return self.with_options(process_remote_warc_task)

    def archives(self, exclude: Sequence[Path]) -> Iterable[PageTask | PageResult]:
        return list_inputs(self.url, self.storage_options, self.patterns, exclude)

    def list_function(self) -> Callable[[PageTask], Listing]:
        return functools.partial(list_remote_warc, storage_options=self.storage_options)
