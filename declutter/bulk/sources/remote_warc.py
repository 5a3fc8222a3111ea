"""WARC files at a URL (``s3://commoncrawl/...``, ``https://host/x.warc.gz``), streamed.

The run is that of local archives (:mod:`declutter.bulk.sources.warc`): each archive
is listed by one worker, which streams it through in large sequential reads
(never a full local copy), and every page's task carries the archive's URL,
the record's offset and length, and the span of the records of the pages a
worker is handed with it; the worker fetches that span in one ranged request
and serves the batch from it, so an object store sees one request per batch,
not per page. The parent never touches page bytes, so the same job runs on
the local pool or on Dask workers that share nothing but the URL.

A web server that serves no byte ranges (``python -m http.server``, many
static hosts) is found out by the listing's first request, a one-byte range
answered with the whole file: the file is then listed from one sequential
stream, and each worker reads its pages from a stream of its own that it
keeps open and only moves forward (its pages come in file order), so every
page is read and cleaned once, without a ranged request. The summary names
the files read so, and why.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, cast

from declutter._model.errors import PAGE
from declutter.bulk.sources.base import DEFAULT_PATTERNS
from declutter.bulk.sources.network import (
    Resuming,
    Version,
    check_version,
    http_get,
    http_version,
    is_http,
    retrying,
)
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

#: Bytes read at a time when a stream is moved forward past other workers' records:
#: large enough to cost few calls, small enough to hold for a moment.
SKIP_CHUNK = 1024**2
#: Streams of files without byte ranges a worker process keeps open between its pages:
#: one per file it works on (two threads on one file need two); more would hold server
#: connections nobody reads from.
IDLE_STREAMS = 2


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
        if task.streamed:
            record = _STREAMS.record(fs, path, url, offset, length, max_bytes + RECORD_HEADROOM,
                                     task.version)
            return read_record(_Window(record, offset), offset, max_bytes=max_bytes)
        if length is None or length > max_bytes + RECORD_HEADROOM:
            with Resuming(functools.partial(_open_ranged, fs, path, task.version,
                                            RECORD_BLOCK_SIZE), "reading the record") as stream:
                return read_record(cast(IO[bytes], stream), offset, max_bytes=max_bytes)
        data = _FETCHED.get(url, offset, length)
        if data is None:
            span = max(length, task.span or 0)
            fetched = retrying(lambda: _fetch_span(fs, path, offset, span, task.version),
                               "reading the records")
            if not length <= len(fetched) <= span:  # cut short, or the whole file
                raise RemoteInputError(
                    f"asked for {span} bytes at offset {offset} and got {len(fetched)}: "
                    "the file changed, or the server does not serve byte ranges")
            _FETCHED.url, _FETCHED.start, _FETCHED.data = url, offset, fetched
            data = fetched[:length]
    return read_record(_Window(data, offset), offset, max_bytes=max_bytes)


def _fetch_span(fs: Any, path: str, offset: int, span: int, version: Version | None) -> bytes:
    """``span`` bytes at ``offset``: on a web server, only from the version listed."""
    if not is_http(fs):
        return bytes(fs.cat_file(path, start=offset, end=offset + span))
    status, headers, body = http_get(fs, path, {"Range": f"bytes={offset}-{offset + span - 1}"})
    check_version(version, http_version(status, headers), "the file")
    return body


def _open_ranged(fs: Any, path: str, version: Version | None, block_size: int,
                 position: int) -> IO[bytes]:
    """The file open at ``position`` for reads of ``block_size`` bytes, after checking,
    on a web server, that it is still the version listed (one request for a byte)."""
    if version and is_http(fs):
        status, headers, _ = http_get(fs, path, {"Range": "bytes=0-0"}, body=False)
        check_version(version, http_version(status, headers), "the file")
    stream = fs.open(path, "rb", block_size=block_size, cache_type="readahead")
    if position:
        stream.seek(position)
    return cast(IO[bytes], stream)


def _open_stream(fs: Any, path: str, version: Version | None, position: int) -> IO[bytes]:
    """The file of a server without byte ranges as one stream, read past ``position``
    bytes (a stream can only start at the start), after checking its version."""
    stream = fs.open(path, "rb", block_size=0)
    answer = getattr(stream, "r", None)  # fsspec's HTTPStreamFile: the open response
    if answer is not None:
        try:
            check_version(version, http_version(answer.status, answer.headers),
                          "the file")
        except BaseException:
            stream.close()
            raise
    skipped = 0
    while skipped < position:
        data = stream.read(min(SKIP_CHUNK, position - skipped))
        if not data:
            break  # the file is shorter: the reader finds it ends early
        skipped += len(data)
    return cast(IO[bytes], stream)


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
    streamed: str | None = None
    try:
        with reading():
            fs, path = filesystem(url, storage_options)
            streamed, size, version = retrying(lambda: no_ranges(fs, path), "asking for the file")
            if streamed is not None:
                with Resuming(functools.partial(_open_stream, fs, path, version),
                              "listing the file") as raw:
                    found, items = scan_listing(cast(IO[bytes], Forward(cast(IO[bytes], raw))),
                                                task.key, url, mtime=task.mtime,
                                                details=details, size=size)
            else:
                # the first request told the version; one reopened after a dropped
                # connection is checked (a file replaced while listed fails its pages
                # anyway: each record is read only from the version listed)
                with Resuming(lambda at: _open_ranged(fs, path, version if at else None,
                                                      LISTING_BLOCK_SIZE, at),
                              "listing the file") as stream:
                    found, items = scan_listing(cast(IO[bytes], stream), task.key, url,
                                                mtime=task.mtime, details=details,
                                                size=stream.size)
            items = [_as_listed(item, version, streamed is not None) for item in items]
    except Exception as error:  # sorted as a page of a remote input is, never raised
        failure = remote_failure(error)
        damaged = WarcStats(damaged=1) if failure.kind == PAGE else WarcStats()
        return Listing(task.key, [failure_result(task.key, failure)], damaged, {})
    stats.add(found)
    return Listing(task.key, [_redacted(item) for item in items], stats, details, streamed)


def _as_listed(item: WarcTask | PageResult, version: Version,
               streamed: bool) -> WarcTask | PageResult:
    """A task with its file's version, and read as a stream when its server has no ranges."""
    if not isinstance(item, WarcTask):
        return item
    if streamed:
        return replace(item, version=version or None, span=None, streamed=True)
    return replace(item, version=version or None)


# --------------------------------------------------------------------------- without ranges


def no_ranges(fs: Any, path: str) -> tuple[str | None, int | None, Version]:
    """Why the web server of ``path`` cannot serve its byte ranges (None when it can, and
    for every store that is no web server), the file's size when the answer says it,
    and the file's version (:func:`~declutter.bulk.network.http_version`; empty for
    other stores).

    One request for the file's first byte: a server that answers with the whole
    file (200, not 206) serves no ranges, whatever its ``Accept-Ranges`` says.
    """
    if not is_http(fs):
        return None, None, ()
    status, headers, _ = http_get(fs, path, {"Range": "bytes=0-0"}, body=False)
    version = http_version(status, headers)
    if status == 206 or status == 416:
        return None, None, version
    length = headers.get("Content-Length", "")
    size = int(length) if length.isdigit() else None
    said = headers.get("Accept-Ranges")
    why = (f"the server answered a byte-range request with the whole file (HTTP {status}"
           + (f", Accept-Ranges: {said})" if said else ", no Accept-Ranges)"))
    return why, size, version


class Forward(io.RawIOBase):
    """A file read front to back only: positions count the bytes read so far, and reads
    return all that is asked (a network stream may hand back less at a time)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)

    def take(self, size: int) -> bytes:
        """``size`` bytes, or fewer only where the file ends."""
        parts: list[bytes] = []
        while size > 0:
            data = self.raw.read(min(size, SKIP_CHUNK))
            if not data:
                break
            parts.append(data)
            size -= len(data)
            self.position += len(data)
        return b"".join(parts)

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


class _Streams:
    """The open streams of files without byte ranges in one worker process, by URL.

    A worker's pages of such a file come in file order (the listing's order, handed
    out in batches), so the stream it read the last one from is moved forward to the
    next (reading past the records other workers clean) instead of opening the file
    again. A page before a stream's position (a page given back by a dead worker)
    opens a new stream.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[tuple[str, Forward]] = []

    def record(self, fs: Any, path: str, url: str, offset: int, length: int | None,
               limit: int, version: Version | None = None) -> bytes:
        stream = self._take(url, offset)
        if stream is None:
            stream = Forward(cast(IO[bytes], Resuming(
                functools.partial(_open_stream, fs, path, version), "reading the file")))
        try:
            while stream.position < offset:
                if not stream.take(min(SKIP_CHUNK, offset - stream.position)):
                    raise RemoteInputError(
                        f"the file ends at byte {stream.position}, before the record at offset "
                        f"{offset}: it changed during the run")
            data = stream.take(length if length is not None and length <= limit else limit + 1)
        except BaseException:
            stream.close()
            raise
        self._give_back(url, stream)
        return data

    def _take(self, url: str, offset: int) -> Forward | None:
        with self._lock:
            usable = [(stream.position, index) for index, (where, stream) in
                      enumerate(self._idle) if where == url and stream.position <= offset]
            if not usable:
                return None
            return self._idle.pop(max(usable)[1])[1]

    def _give_back(self, url: str, stream: Forward) -> None:
        with self._lock:
            self._idle.append((url, stream))
            while len(self._idle) > IDLE_STREAMS:
                self._idle.pop(0)[1].close()


_STREAMS = _Streams()


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
