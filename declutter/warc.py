"""WARC archives: clean the HTML pages of a web crawl.

Crawls (Common Crawl, Heritrix, wget ``--warc-file``, browsers' archivers) are
stored as WARC files: one record per request, response, redirect or note, most
often compressed one gzip member per record. This module reads them with
`warcio <https://github.com/webrecorder/warcio>`_ (``pip install
'declutter[warc]'``), a maintained, pure-Python reader that runs wherever
declutter does, including every worker of a cluster; its reading cost is small
beside the extraction's (``python -m benchmarks.scale`` measures both).

Two ways in:

* **from Python**: :class:`WarcReader` yields a :class:`WarcPage` per HTML
  page (``response`` and ``resource`` records, HTML by content type or by
  sniffing, status 200) and counts the records it skips;
  :meth:`WarcPage.extract` and :func:`extract_warc` turn them into
  :class:`~declutter.Article` objects;
* **in bulk**: :func:`run_warc_bulk` (``declutter bulk crawl.warc.gz -o
  out.jsonl``) runs the pages of one or many WARC files through the same
  workers, sinks, error log and resume logic as a directory of saved pages.

A bulk run first lists the pages of each archive (headers only), then hands
workers the *place* of each record (file and offset), never its bytes: the
parent stays small whatever the size of the crawl, and each worker
decompresses only its own records. Pages are decoded as a browser would: a
byte-order mark first, then the charset of the HTTP ``Content-Type``, and when
there is none, or the bytes do not fit it, declutter's own detection.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from ._article import Article
from ._decode import _codec_name
from ._errors import DeclutterError, InputTooLargeError
from ._options import DEFAULT_OPTIONS, Options
from .bulk import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_PATTERNS,
    DEFAULT_TIMEOUT,
    BulkError,
    BulkInterrupted,
    BulkSummary,
    ErrorLog,
    Executor,
    InlineExecutor,
    PageResult,
    PageSettings,
    PageTask,
    ProcessExecutor,
    Progress,
    Sink,
    default_jobs,
    iter_directory,
    make_sink,
    page_outputs,
    prepare_page,
    process_task,
    run_bulk,
)

#: File names read as WARC archives in a directory (matched case-insensitively).
WARC_PATTERNS: tuple[str, ...] = ("*.warc", "*.warc.gz")

#: Media types that are HTML; other declared types are skipped without reading them.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

#: Declared types that say nothing: the payload's first bytes decide, as browsers do.
_UNKNOWN_TYPES = frozenset(
    {"", "application/octet-stream", "unknown/unknown", "application/unknown", "*/*"}
)

#: Record types that can hold a page; ``revisit``, ``request``, ``metadata``... never do.
PAGE_RECORD_TYPES = ("response", "resource")

_SNIFF_BYTES = 1024
# WHATWG MIME sniffing: a payload is HTML when, after white space, it opens with one
# of these tags followed by a space or ">" (or is a comment).
_HTML_START_RE = re.compile(
    rb"[\t\n\x0c\r ]*(?:<!--|<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a"
    rb"|style|title|b|body|br|p)[ >])",
    re.IGNORECASE,
)
_WARC_MAGIC = b"WARC/"
_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_INSTALL_HINT = "reading WARC files needs warcio: pip install 'declutter[warc]'"


class WarcFormatError(DeclutterError):
    """The archive cannot be read here: not a WARC file, damaged, or cut short.

    Pages before the damage are read as usual; in bulk the damaged record (or
    the whole file, when nothing in it can be read) gets an error record.
    """


def _warcio() -> Any:
    """The warcio ArchiveIterator class, or an ImportError that says what to install."""
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    return ArchiveIterator


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class WarcPage:
    """One HTML page of a WARC archive: its payload and what the archive says about it."""

    #: ``WARC-Record-ID``, e.g. ``<urn:uuid:...>``.
    record_id: str | None
    #: ``WARC-Target-URI``: the page's address; selects per-site rules.
    target_uri: str | None
    #: ``WARC-Date``: when it was crawled (ISO 8601, as written in the archive).
    date: str | None
    #: ``response`` (an HTTP response) or ``resource`` (a page stored without one).
    record_type: str
    #: HTTP status code; None for a ``resource`` record.
    http_status: int | None
    #: Media type without parameters (``text/html``), None when not declared.
    content_type: str | None
    #: The charset label of the HTTP ``Content-Type``, as written; None when absent.
    charset: str | None
    #: The HTTP payload: transfer and content encodings (chunked, gzip) removed.
    payload: bytes
    #: Byte offset of the record in its file (what bulk keys are made of).
    offset: int = 0
    #: ``WARC-Truncated``: why the crawler stored only part of the page, if it did.
    truncated: str | None = None
    #: Why the payload could not be read (a broken content encoding); ``payload``
    #: is then empty and :meth:`html`, :meth:`extract` and :meth:`clean` raise
    #: :class:`WarcFormatError` with this message.
    problem: str | None = None

    def html(self) -> str | bytes:
        """The page to give declutter: text decoded per the HTTP charset, or bytes.

        Bytes are returned, for declutter's own decoding (byte-order mark,
        ``<meta charset>``, detection), when the page has a byte-order mark
        (which outranks the HTTP header, as in browsers), when the header has
        no charset or names one that is not a web encoding, and when the bytes
        do not decode strictly with it: a wrong header is common, and guessing
        from the bytes then beats replacing characters.
        """
        self._check()
        return decode_payload(self.payload, self.charset)

    def _check(self) -> None:
        if self.problem:
            raise WarcFormatError(self.problem)

    def extract(self, *, options: Options | None = None) -> Article:
        """The page's :class:`~declutter.Article` (its URL is the target URI)."""
        from . import extract

        self._check()
        data = prepare_page(self.payload, (options or DEFAULT_OPTIONS).max_bytes)
        return extract(decode_payload(data, self.charset), url=self.target_uri, options=options)

    def clean(self, *, options: Options | None = None) -> str:
        """The page's article text, as :func:`declutter.clean` returns it."""
        from . import clean

        self._check()
        data = prepare_page(self.payload, (options or DEFAULT_OPTIONS).max_bytes)
        return clean(decode_payload(data, self.charset), url=self.target_uri, options=options)

    def fields(self) -> dict[str, Any]:
        """The archive's fields as they appear in bulk records (``warc_record_id``...)."""
        return _record_fields(self.record_id, self.target_uri, self.date, self.http_status,
                              self.charset, self.truncated)


def decode_payload(payload: bytes, charset: str | None) -> str | bytes:
    """``payload`` decoded strictly with the HTTP ``charset``, or the bytes unchanged.

    See :meth:`WarcPage.html` for when the bytes are returned instead.
    """
    if not charset or payload.startswith(_BOMS):
        return payload
    codec = _codec_name(charset)
    if codec is None:
        return payload
    try:
        return payload.decode(codec)
    except UnicodeDecodeError:
        return payload


def _record_fields(record_id: str | None, target_uri: str | None, date: str | None,
                   status: int | None, charset: str | None,
                   truncated: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "warc_record_id": record_id,
        "warc_target_uri": target_uri,
        "warc_date": date,
        "http_status": status,
    }
    if charset:
        found["http_charset"] = charset
    if truncated:
        found["warc_truncated"] = truncated
    return found


@dataclass
class WarcStats:
    """What became of the records of one or more archives."""

    #: Records read, of every type.
    records: int = 0
    #: HTML pages with status 200: the ones cleaned.
    pages: int = 0
    #: ``response``/``resource`` records that are not HTML (images, PDF, robots.txt).
    not_html: int = 0
    #: HTML responses whose status is not 200 (redirects, errors).
    not_ok: int = 0
    #: Records of other types: ``warcinfo``, ``request``, ``metadata``, ``revisit``.
    other: int = 0
    #: Records that could not be read (a file cut short, damaged compression).
    damaged: int = 0

    def add(self, other: WarcStats) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


# --------------------------------------------------------------------------- reading records


@dataclass(frozen=True)
class _Entry:
    """One record as the scan saw it: its fields and its fate."""

    offset: int
    #: "page", "not_html", "not_ok", "other" or "damaged"
    fate: str
    record_type: str | None = None
    record_id: str | None = None
    target_uri: str | None = None
    date: str | None = None
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    truncated: str | None = None
    message: str = ""
    payload: bytes | None = None
    #: the damage makes every record of the file unreachable (a whole-file gzip)
    whole_file: bool = False
    #: why a page's payload could not be read (its encoding), though its record could
    problem: str | None = None


def _entries(stream: IO[bytes], *, payloads: bool, max_bytes: int,
             first_only: bool = False) -> Iterator[_Entry]:
    """The records of a WARC stream, each with its fate; payloads of pages when asked.

    Without ``payloads`` a page's content is skipped unread (the listing a bulk
    run makes), except a few bytes to sniff a page whose type is not declared.
    A record the file ends inside is reported as ``damaged``, and so are bytes
    after the last whole record that do not make one.
    """
    archive_iterator = _warcio()
    from warcio.exceptions import ArchiveLoadFailed

    start = stream.tell() if stream.seekable() else 0
    if stream.seekable():
        head = stream.read(len(_WARC_MAGIC))
        stream.seek(start)
        if head and not head.startswith((_WARC_MAGIC, _GZIP_MAGIC)):
            yield _Entry(start, "damaged", message=f"not a WARC record (it starts {head!r})")
            return
    records = archive_iterator(stream)
    offset = start
    try:
        for record in records:
            entry = _read_entry(records, record, payloads=payloads, max_bytes=max_bytes)
            offset = records.offset  # where the next record starts
            yield entry
            if first_only or entry.fate == "damaged":
                return
    except MemoryError:
        raise
    except (ArchiveLoadFailed, EOFError, ValueError, OSError) as error:
        whole = "non-chunked gzip" in str(error)
        yield _Entry(offset, "damaged", message=_load_message(error), whole_file=whole)
        return
    except Exception as error:
        # zlib.error (not an OSError), or anything else the reader trips on: where it
        # stands in the stream is unknown, so the file is read no further, but the
        # run goes on with the records before and the other files.
        yield _Entry(offset, "damaged",
                     message=f"{type(error).__name__}: {_load_message(error)}")
        return
    end = getattr(records, "offset", offset)
    size = _stream_size(stream)
    if size is not None and size > end:
        yield _Entry(end, "damaged", message=f"the file ends inside a record: its last "
                                             f"{size - end} bytes are not a whole record")


def _read_entry(records: Any, record: Any, *, payloads: bool, max_bytes: int) -> _Entry:
    if getattr(record, "format", "warc") != "warc":  # warcio also reads ARC, and junk as ARC
        return _Entry(records.get_record_offset(), "damaged",
                      message="not a WARC record (an ARC file, or not an archive)")
    headers = record.rec_headers
    kind = record.rec_type
    record_id = headers.get_header("WARC-Record-ID")
    target = headers.get_header("WARC-Target-URI")
    if target and target.startswith("<") and target.endswith(">"):
        target = target[1:-1]  # the bracketed form of the WARC 1.1 draft
    date = headers.get_header("WARC-Date")
    truncated = headers.get_header("WARC-Truncated")
    status: int | None = None
    declared: str | None
    if kind == "response":
        http = record.http_headers
        if http is None:  # dns: and other non-HTTP responses
            declared = headers.get_header("Content-Type") or "application/octet-stream"
        else:
            declared = http.get_header("Content-Type")
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError):
                status = None
    else:
        declared = headers.get_header("Content-Type")
    media, charset = parse_content_type(declared)
    fields_ = {"record_type": kind, "record_id": record_id, "target_uri": target,
               "date": date, "status": status, "content_type": media or None,
               "charset": charset, "truncated": truncated}
    if kind not in PAGE_RECORD_TYPES:
        fate = "other"
    elif media in HTML_TYPES:
        fate = "page"
    elif media in _UNKNOWN_TYPES:
        identified, _ = parse_content_type(headers.get_header("WARC-Identified-Payload-Type"))
        if identified and identified not in _UNKNOWN_TYPES:
            fate = "page" if identified in HTML_TYPES else "not_html"
        else:
            try:
                head = _content(record, _SNIFF_BYTES)
            except _PayloadError:
                head = b""  # not readable, so not known to be HTML
            fate = "page" if _HTML_START_RE.match(head.lstrip(b"\xef\xbb\xbf")) else "not_html"
    else:
        fate = "not_html"
    if fate == "page" and status is not None and status != 200:
        fate = "not_ok"
    payload = None
    problem = None
    if fate == "page" and payloads:
        try:
            payload = _content(record, max_bytes + 1)
        except _PayloadError as error:
            payload, problem = b"", str(error)
    offset = records.get_record_offset()  # reads the rest of the record
    missing = getattr(record.raw_stream, "limit", 0) or 0
    if missing > 0:
        length = headers.get_header("Content-Length")
        return _Entry(offset, "damaged", **fields_,
                      message=f"the file ends inside this record ({missing} of its "
                              f"{length} bytes are missing)")
    return _Entry(offset, fate, **fields_, payload=payload, problem=problem)


class _PayloadError(Exception):
    """The payload's transfer or content encoding cannot be undone."""


def _content(record: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of the payload, chunked and content encodings removed.

    warcio already falls back to the stored bytes for most encoding errors;
    what still fails (a decoder library's own exception or bug) is raised as
    :class:`_PayloadError`, so it costs this record only, not the archive.
    """
    parts: list[bytes] = []
    size = 0
    try:
        stream = record.content_stream()
        while size < limit:
            chunk = stream.read(min(65536, limit - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except MemoryError:
        raise
    except Exception as error:
        http = record.http_headers
        encoding = http.get_header("Content-Encoding") if http is not None else None
        raise _PayloadError(f"the payload cannot be decoded (Content-Encoding: {encoding}): "
                            f"{type(error).__name__}: {error}") from None
    return b"".join(parts)


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """``("text/html", "utf-8")`` from ``text/html; charset="UTF-8"``; ``("", None)`` for None."""
    if not value:
        return "", None
    media, _, rest = value.partition(";")
    charset = None
    for parameter in rest.split(";"):
        name, _, setting = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = setting.strip().strip("\"'").strip() or None
            break
    return media.strip().lower(), charset


def _load_message(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if "non-chunked gzip" in text:
        return ("the file is gzip-compressed as a whole, not one gzip member per record, so "
                "its records cannot be reached one by one; recompress it with "
                "'warcio recompress IN OUT'")
    if "Unknown archive format" in text:
        return f"not a WARC record ({text})"
    return text or type(error).__name__


def _stream_size(stream: IO[bytes]) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    try:
        here = stream.tell()
        size = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def _page(entry: _Entry) -> WarcPage:
    return WarcPage(
        record_id=entry.record_id, target_uri=entry.target_uri, date=entry.date,
        record_type=entry.record_type or "response", http_status=entry.status,
        content_type=entry.content_type, charset=entry.charset,
        payload=entry.payload or b"", offset=entry.offset, truncated=entry.truncated,
        problem=entry.problem,
    )


class WarcReader:
    """The HTML pages of one WARC file (gzip per record, or uncompressed), in order.

    >>> reader = WarcReader("crawl.warc.gz")            # doctest: +SKIP
    >>> for page in reader:                             # doctest: +SKIP
    ...     print(page.target_uri, page.extract().title)
    >>> reader.stats                                    # doctest: +SKIP
    WarcStats(records=3, pages=1, not_html=1, not_ok=0, other=1, damaged=0)

    Yields a :class:`WarcPage` for each ``response`` or ``resource`` record
    that is HTML (by its declared type, or by its first bytes when the type
    says nothing) and has status 200; everything else is counted in
    :attr:`stats`, not yielded. Raises :class:`WarcFormatError` where the
    archive is damaged or cut short, after the pages before it.
    """

    def __init__(self, source: str | os.PathLike[str] | IO[bytes], *,
                 max_bytes: int = DEFAULT_OPTIONS.max_bytes) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.stats = WarcStats()

    def __iter__(self) -> Iterator[WarcPage]:
        if isinstance(self.source, str | os.PathLike):
            with open(self.source, "rb") as stream:
                yield from self._pages(stream)
        else:
            yield from self._pages(self.source)

    def _pages(self, stream: IO[bytes]) -> Iterator[WarcPage]:
        for entry in _entries(stream, payloads=True, max_bytes=self.max_bytes):
            _count(self.stats, entry)
            if entry.fate == "damaged":
                raise WarcFormatError(f"record at offset {entry.offset}: {entry.message}")
            if entry.fate == "page":
                yield _page(entry)


def _count(stats: WarcStats, entry: _Entry) -> None:
    if entry.fate == "damaged":
        stats.damaged += 1
        return
    stats.records += 1
    if entry.fate == "page":
        stats.pages += 1
    else:
        setattr(stats, entry.fate, getattr(stats, entry.fate) + 1)


@dataclass(frozen=True)
class WarcArticle:
    """A page of an archive with its article, or the error that stopped it."""

    page: WarcPage
    article: Article | None
    error: DeclutterError | None = None


def extract_warc(source: str | os.PathLike[str] | IO[bytes], *,
                 options: Options | None = None) -> Iterator[WarcArticle]:
    """Every HTML page of a WARC file with its :class:`~declutter.Article`.

    A page declutter cannot handle (too large, not really HTML) comes with its
    error instead of stopping the iteration; a damaged archive raises
    :class:`WarcFormatError` as :class:`WarcReader` does. For many archives or
    many cores, use :func:`run_warc_bulk`.
    """
    max_bytes = (options or DEFAULT_OPTIONS).max_bytes
    for page in WarcReader(source, max_bytes=max_bytes):
        try:
            yield WarcArticle(page, page.extract(options=options))
        except DeclutterError as error:
            yield WarcArticle(page, None, error)


def read_record(path: str | os.PathLike[str], offset: int, *,
                max_bytes: int = DEFAULT_OPTIONS.max_bytes) -> WarcPage:
    """The page stored at ``offset`` of a WARC file (a bulk worker's way in).

    Raises :class:`WarcFormatError` when no readable page starts there, and
    :class:`~declutter.InputTooLargeError` for a payload over ``max_bytes``.
    """
    with open(path, "rb") as stream:
        stream.seek(offset)
        for entry in _entries(stream, payloads=True, max_bytes=max_bytes, first_only=True):
            if entry.fate == "damaged":
                raise WarcFormatError(entry.message)
            if entry.fate != "page" or entry.payload is None:
                break
            if entry.problem:
                raise WarcFormatError(entry.problem)
            if len(entry.payload) > max_bytes:
                raise InputTooLargeError(f"page is over the size limit of {max_bytes} bytes")
            return _page(entry)
    raise WarcFormatError(f"no HTML page record at offset {offset}")


# --------------------------------------------------------------------------- bulk


@dataclass(frozen=True)
class WarcTask(PageTask):
    """A page of a bulk run that lives in a WARC file: ``source`` is the file.

    Carries only the record's place and the fields error records show, so
    listing a crawl of millions of pages costs little memory and the page's
    bytes are read by the worker that cleans it.
    """

    offset: int = 0
    record_id: str | None = None
    date: str | None = None
    status: int | None = None

    def fields(self) -> dict[str, Any]:
        return _record_fields(self.record_id, self.url, self.date, self.status, None, None)


def is_warc_name(name: str) -> bool:
    """Whether a file name says WARC (``.warc``, ``.warc.gz``, any case)."""
    return name.lower().endswith((".warc", ".warc.gz"))


def is_warc_input(path: str | os.PathLike[str], patterns: Sequence[str] | None = None) -> bool:
    """Whether the bulk command should read ``path`` as WARC archives.

    A regular file always is (the bulk command reads directories of pages, or WARC
    files). A directory is when, walked in order, the first file that is
    either a page or a WARC file is a WARC file; with ``patterns`` given, only
    when every pattern names WARC files.
    """
    root = Path(path)
    if not root.is_dir():
        return root.is_file()
    if patterns:
        return all(is_warc_name(pattern.rstrip("*")) for pattern in patterns)
    for item in iter_directory(root, (*DEFAULT_PATTERNS, *WARC_PATTERNS)):
        if isinstance(item, PageTask):
            return is_warc_name(item.key)
    return False


def list_warc(path: str | os.PathLike[str], key: str, *, mtime: float | None = None,
              stats: WarcStats | None = None,
              details: dict[str, dict[str, Any]] | None = None,
              ) -> list[WarcTask | PageResult]:
    """The bulk tasks of one WARC file: a :class:`WarcTask` per page, keyed ``KEY/OFFSET``.

    Damaged records become failed results (their fields go to ``details`` for
    the error log), and so does the whole file, keyed ``KEY``, when none of it
    can be read record by record; skipped records are counted in ``stats``.
    """
    location = Path(os.path.abspath(path))  # workers may run in another directory
    found = WarcStats()
    items: list[WarcTask | PageResult] = []
    try:
        with open(location, "rb") as stream:
            for entry in _entries(stream, payloads=False, max_bytes=0):
                _count(found, entry)
                if entry.fate == "damaged":
                    if entry.whole_file or entry.offset == 0:  # nothing of it is readable
                        items = [PageResult(key, None, WarcFormatError.__name__, entry.message)]
                        found = WarcStats(damaged=1)
                        break
                    page_key = f"{key}/{entry.offset}"
                    if details is not None and entry.record_id:
                        details[page_key] = _record_fields(
                            entry.record_id, entry.target_uri, entry.date, entry.status,
                            entry.charset, entry.truncated)
                    items.append(PageResult(page_key, None, WarcFormatError.__name__,
                                            entry.message))
                elif entry.fate == "page":
                    items.append(WarcTask(f"{key}/{entry.offset}", location, entry.target_uri,
                                          mtime, offset=entry.offset,
                                          record_id=entry.record_id, date=entry.date,
                                          status=entry.status))
    except OSError as error:
        items = [PageResult(key, None, type(error).__name__, error.strerror or str(error))]
        found = WarcStats()
    if stats is not None:
        stats.add(found)
    return items


def process_warc_task(task: PageTask, settings: PageSettings) -> PageResult:
    """Read and clean one page of a WARC file: the function bulk workers run.

    Module-level and picklable like :func:`declutter.bulk.process_task` (which
    it defers to for tasks that are not :class:`WarcTask`). The record is read
    at its offset, decoded per its HTTP charset, cleaned, and returned as a
    record with the archive's fields first.
    """
    if not isinstance(task, WarcTask):
        return process_task(task, settings)
    options = settings.options
    try:
        page = read_record(_file(task), task.offset, max_bytes=options.max_bytes)
        if task.record_id and page.record_id != task.record_id:
            raise WarcFormatError(f"the record at offset {task.offset} is not "
                                  f"{task.record_id}: the file changed during the run")
        html = decode_payload(prepare_page(page.payload, options.max_bytes), page.charset)
        record, report = page_outputs(html, page.target_uri, settings)
    except MemoryError:
        raise
    except Exception as error:
        message = (error.strerror if isinstance(error, OSError) and error.strerror
                   else str(error)) or type(error).__name__
        return PageResult(task.key, None, type(error).__name__, message)
    return PageResult(task.key, {"path": task.key, **page.fields(), **record}, report=report)


@dataclass(frozen=True)
class _DetailedFailure(PageResult):
    """A failure whose error record also names the WARC record it was about."""

    details: Mapping[str, Any] = field(default_factory=dict)

    def error_record(self) -> dict[str, Any]:
        return {**super().error_record(), **self.details}


class WarcErrorLog(ErrorLog):
    """The error log of a WARC run: each failure also gets its record's WARC fields.

    Failures are rare, so the fields are looked up when one is written (from
    the task, or from what the listing saw of a damaged record) rather than
    carried by every result.
    """

    def __init__(self, path: str | os.PathLike[str], tasks: Mapping[str, PageTask],
                 details: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        super().__init__(path)
        self._tasks = tasks
        self._details = details or {}

    def write(self, result: PageResult) -> None:
        task = self._tasks.get(result.key)
        found = task.fields() if isinstance(task, WarcTask) else self._details.get(result.key)
        if found and not isinstance(result, _DetailedFailure):
            result = _DetailedFailure(result.key, None, result.error, result.message, found)
        super().write(result)


@dataclass(frozen=True)
class WarcSummary(BulkSummary):
    """A bulk run over WARC files: the usual counts (pages only) and what was skipped."""

    #: WARC files read.
    warc_files: int = 0
    #: Records read, of every type.
    records: int = 0
    #: Page records that are not HTML (counted, not errors).
    skipped_not_html: int = 0
    #: HTML responses whose HTTP status is not 200 (counted, not errors).
    skipped_status: int = 0
    #: Records that are not pages (warcinfo, request, metadata, revisit).
    other_records: int = 0

    def describe(self) -> str:
        files = f"{self.warc_files} WARC file{'s' * (self.warc_files != 1)}"
        warc = (f"{self.records} records in {files}: {self.skipped_not_html} not HTML and "
                f"{self.skipped_status} not status 200 skipped, {self.other_records} not pages")
        # before the pointer to the error log, which people look for at the end
        head, pointer, tail = super().describe().partition("; failures listed in")
        return f"{head}; {warc}{pointer}{tail}"


def run_warc_bulk(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    output: str | os.PathLike[str] | Sink,
    *,
    options: Options | None = None,
    fmt: str = "text",
    explain: bool = False,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    resume: bool = False,
    progress: Progress | None = None,
    patterns: Sequence[str] = WARC_PATTERNS,
    errors: str | os.PathLike[str] | None = None,
    executor: Executor | None = None,
    explain_dir: str | os.PathLike[str] | None = None,
) -> WarcSummary:
    """Clean every HTML page of WARC files into ``output``: :func:`~declutter.run_bulk` for crawls.

    ``inputs`` is a WARC file, a directory (walked for ``patterns``) or a list
    of WARC files. Each page's record (``path`` is ``FILE/OFFSET``) holds
    ``warc_record_id``, ``warc_target_uri``, ``warc_date``, ``http_status``
    (and ``http_charset`` / ``warc_truncated`` when the archive has them)
    before the article's metadata and text; failures go to the error log with
    the same WARC fields. Records that are not HTML or not status 200 are
    counted in the summary, not logged. The other arguments, the sinks,
    ``resume``, ``explain_dir`` (reports named ``FILE/OFFSET.explain.html``) and
    the guarantees are those of :func:`~declutter.run_bulk`; ``executor`` may be
    a :class:`declutter.cluster.DaskExecutor`.
    """
    sink: Sink = make_sink(output, fmt) if isinstance(output, str | os.PathLike) else output
    files: list[PageTask] = []
    unusable: list[PageResult] = []
    error_path = Path(errors) if errors is not None else sink.default_errors_path()
    exclude = [*sink.excluded(), error_path, *([Path(explain_dir)] if explain_dir else [])]
    for item in _warc_files(inputs, patterns, exclude=exclude):
        (files if isinstance(item, PageTask) else unusable).append(item)  # type: ignore[arg-type]
    _warcio()  # fail before any output is touched when warcio is missing
    stats = WarcStats()
    details: dict[str, dict[str, Any]] = {}
    tasks: dict[str, PageTask] = {}
    lister = _lister(executor, jobs, memory_limit, len(files))
    listings = {listing.key: listing
                for listing in lister.map_unordered(_list_task, files, _listing_failed)}
    for file in files:  # in walk order, whatever order the listings came back in
        listing = listings[file.key]
        stats.add(listing.stats)
        details.update(listing.details)
        for entry in listing.items:
            if isinstance(entry, PageTask):
                tasks[entry.key] = entry
            else:
                unusable.append(entry)
    log = WarcErrorLog(error_path, tasks, details)
    extra: dict[str, Any] = {
        "warc_files": len(files), "records": stats.records,
        "skipped_not_html": stats.not_html, "skipped_status": stats.not_ok,
        "other_records": stats.other,
    }
    try:
        summary = run_bulk(
            [*tasks.values(), *unusable], sink, options=options, fmt=fmt, explain=explain,
            jobs=jobs, timeout=timeout, memory_limit=memory_limit, resume=resume,
            progress=progress, errors=log, executor=executor, page_function=process_warc_task,
            explain_dir=explain_dir,
        )
    except BulkInterrupted as interrupt:
        raise BulkInterrupted(_with(interrupt.summary, extra)) from None
    return _with(summary, extra)


@dataclass(frozen=True)
class _Listing:
    """The listing of one WARC file, as a worker sends it back."""

    key: str
    items: list[WarcTask | PageResult]
    stats: WarcStats
    details: dict[str, dict[str, Any]]


def _file(task: PageTask) -> str:
    """The archive a WARC or file task names (never page bytes: WARC pages are read in place)."""
    if isinstance(task.source, bytes | bytearray | memoryview):
        raise TypeError("a WARC task names its archive file, not page bytes")
    return os.fspath(task.source)


def _list_task(task: PageTask) -> _Listing:
    """List one WARC file (of a file task): what listing workers run."""
    stats = WarcStats()
    details: dict[str, dict[str, Any]] = {}
    items = list_warc(_file(task), task.key, mtime=task.mtime, stats=stats, details=details)
    return _Listing(task.key, items, stats, details)


def _listing_failed(task: PageTask, error: str, message: str) -> _Listing:
    failure = PageResult(task.key, None, error, f"the archive could not be listed: {message}")
    return _Listing(task.key, [failure], WarcStats(damaged=1), {})


def _lister(executor: Executor | None, jobs: int | None, memory_limit: int | None,
            files: int) -> Executor:
    """Where to list the archives: where their pages will run, one file per worker.

    Listing reads every byte of an archive (gzip hides where records end), so
    on many files it is spread like the pages are, without the per-page time
    limit (a large archive takes a while); one file is listed right here.
    """
    if files < 2 or (executor is None and jobs == 0):
        return InlineExecutor()
    if executor is None:
        workers = min(jobs or default_jobs(), files)
        return ProcessExecutor(workers, timeout=None, memory_limit=memory_limit)
    for_listing = getattr(executor, "for_listing", None)
    return for_listing() if callable(for_listing) else InlineExecutor()


def _with(summary: BulkSummary, extra: dict[str, Any]) -> WarcSummary:
    values = {item.name: getattr(summary, item.name) for item in fields(BulkSummary)}
    return WarcSummary(**values, **extra)


def _warc_files(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                patterns: Sequence[str], *, exclude: Sequence[str | os.PathLike[str]],
                ) -> Iterator[PageTask | PageResult]:
    """The WARC files of the inputs as file tasks (key, path, mtime), or failures."""
    paths = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    names = [Path(path).name for path in paths]
    for name in names:
        if names.count(name) > 1:
            raise BulkError(f"two inputs are named {name}; give their directory instead, so "
                            "records are named by their path in it")
    for path in paths:
        root = Path(path)
        if root.is_dir():
            yield from iter_directory(root, patterns, exclude=exclude)
            continue
        try:
            info = root.stat()
        except OSError as error:
            raise BulkError(f"{root}: {error.strerror or error}") from None
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the listing forever
            raise BulkError(f"{root}: not a directory or a regular file")
        yield PageTask(root.name, root, None, info.st_mtime)


__all__ = [
    "HTML_TYPES",
    "PAGE_RECORD_TYPES",
    "WARC_PATTERNS",
    "WarcArticle",
    "WarcErrorLog",
    "WarcFormatError",
    "WarcPage",
    "WarcReader",
    "WarcStats",
    "WarcSummary",
    "WarcTask",
    "decode_payload",
    "extract_warc",
    "is_warc_input",
    "is_warc_name",
    "list_warc",
    "parse_content_type",
    "process_warc_task",
    "read_record",
    "run_warc_bulk",
]
