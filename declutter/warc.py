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
  out.jsonl``, in :mod:`declutter.bulk.sources.warc`) runs the pages of WARC files
  through the same workers, sinks, error log and resume logic as saved pages.

Pages are decoded as a browser would: a byte-order mark first, then the
charset of the HTTP ``Content-Type``, and when there is none, or the bytes do
not fit it, declutter's own detection.
"""

from __future__ import annotations

import codecs
import os
import re
import traceback
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, fields
from typing import IO, Any

from declutter._model.article import Article
from declutter._model.errors import DeclutterError, InputTooLargeError, NotHTMLError, import_extra
from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter._stages.compression import GZIP_MAGIC, prepare_page, unbrotli_stream
from declutter._stages.decode import codec_name
from declutter._stages.pipeline import run

#: Media types that are HTML; other declared types are skipped without reading them.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

#: Declared types that say nothing: the payload's first bytes decide, as browsers do.
_UNKNOWN_TYPES = frozenset(
    {"", "application/octet-stream", "unknown/unknown", "application/unknown", "*/*"}
)

#: Record types that can hold a page; ``revisit``, ``request``, ``metadata``... never do.
PAGE_RECORD_TYPES = ("response", "resource")

#: Bytes of an undeclared payload read to sniff it: the WHATWG sniffing algorithm
#: looks at no more than 1,445 bytes, and an HTML page says so in its first tags.
_SNIFF_BYTES = 1024
#: Bytes read from a payload at a time: large enough that a page takes a few reads,
#: small enough that a payload past the size limit is never read much beyond it.
_READ_CHUNK = 65536
# WHATWG MIME sniffing: a payload is HTML when, after white space, it opens with one
# of these tags followed by a space or ">" (or is a comment).
_HTML_START_RE = re.compile(
    rb"[\t\n\x0c\r ]*(?:<!--|<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a"
    rb"|style|title|b|body|br|p)[ >])",
    re.IGNORECASE,
)
_WARC_MAGIC = b"WARC/"
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class WarcFormatError(DeclutterError):
    """The archive cannot be read here: not a WARC file, damaged, or cut short.

    Pages before the damage are read as usual; in bulk the damaged record (or
    the whole file, when nothing in it can be read) gets an error record.
    """


def archive_iterator() -> Any:
    """The warcio ArchiveIterator class, or an ImportError that says what to install."""
    return import_extra("warcio.archiveiterator", "warc", "reading WARC files").ArchiveIterator


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
        return self._run(options, full=True)

    def clean(self, *, options: Options | None = None) -> str:
        """The page's article text, as :func:`declutter.clean` returns it."""
        return self._run(options, full=False).text

    def _run(self, options: Options | None, *, full: bool) -> Article:
        self._check()
        data = prepare_page(self.payload, (options or DEFAULT_OPTIONS).max_bytes)
        return run(decode_payload(data, self.charset), self.target_uri, options, full=full)

    def fields(self) -> dict[str, Any]:
        """The archive's fields as they appear in bulk records (``warc_record_id``...)."""
        return record_fields(self.record_id, self.target_uri, self.date, self.http_status,
                              self.charset, self.truncated)


def decode_payload(payload: bytes, charset: str | None) -> str | bytes:
    """``payload`` decoded strictly with the HTTP ``charset``, or the bytes unchanged.

    See :meth:`WarcPage.html` for when the bytes are returned instead.
    """
    if not charset or payload.startswith(_BOMS):
        return payload
    codec = codec_name(charset)
    if codec is None:
        return payload
    try:
        return payload.decode(codec)
    except UnicodeDecodeError:
        return payload


def record_fields(record_id: str | None, target_uri: str | None, date: str | None,
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

    def count(self, entry: RecordEntry) -> None:
        """Count one record by its fate."""
        if entry.fate == "damaged":
            self.damaged += 1
            return
        self.records += 1
        if entry.fate == "page":
            self.pages += 1
        else:
            setattr(self, entry.fate, getattr(self, entry.fate) + 1)


# --------------------------------------------------------------------------- reading records


@dataclass(frozen=True)
class RecordEntry:
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

    def fields(self) -> dict[str, Any]:
        """The archive's fields as they appear in bulk records (``warc_record_id``...)."""
        return record_fields(self.record_id, self.target_uri, self.date, self.status,
                             self.charset, self.truncated)


def scan_records(stream: IO[bytes], *, payloads: bool, max_bytes: int,
                 first_only: bool = False) -> Iterator[RecordEntry]:
    """The records of a WARC stream, each with its fate; payloads of pages when asked.

    Without ``payloads`` a page's content is skipped unread (the listing a bulk
    run makes), except a few bytes to sniff a page whose type is not declared.
    A record the file ends inside is reported as ``damaged``, and so are bytes
    after the last whole record that do not make one.
    """
    reader = archive_iterator()
    from warcio.exceptions import ArchiveLoadFailed

    start = stream.tell() if stream.seekable() else 0
    if stream.seekable():
        head = stream.read(len(_WARC_MAGIC))
        stream.seek(start)
        if head and not head.startswith((_WARC_MAGIC, GZIP_MAGIC)):
            yield RecordEntry(start, "damaged", message=f"not a WARC record (it starts {head!r})")
            return
    records = reader(stream)
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
    except Exception as error:
        if _raised_here(error):
            raise  # declutter's own bug, not damage: the bulk run records it as one
        if isinstance(error, ArchiveLoadFailed | EOFError | ValueError | OSError):
            whole = "non-chunked gzip" in str(error)
            yield RecordEntry(offset, "damaged", message=_load_message(error), whole_file=whole)
            return
        # zlib.error (not an OSError), or anything else the reader trips on: where it
        # stands in the stream is unknown, so the file is read no further, but the
        # run goes on with the records before and the other files.
        yield RecordEntry(offset, "damaged",
                          message=f"{type(error).__name__}: {_load_message(error)}")
        return
    end = getattr(records, "offset", offset)
    size = _stream_size(stream)
    if size is not None and size > end:
        yield RecordEntry(end, "damaged", message=f"the file ends inside a record: its last "
                                             f"{size - end} bytes are not a whole record")


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _raised_here(error: BaseException) -> bool:
    """Whether ``error`` comes from declutter's own code rather than from the reader.

    What the reader raises on damaged bytes is the archive's problem; what
    declutter's code between the reader's calls raises is a bug, and must not
    pass for a damaged record. The innermost frame of either decides.
    """
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = os.path.abspath(frame.filename)
        if path.startswith(_PACKAGE):
            return True
        if f"{os.sep}warcio{os.sep}" in path:
            return False
    return False


def _read_entry(records: Any, record: Any, *, payloads: bool, max_bytes: int) -> RecordEntry:
    if getattr(record, "format", "warc") != "warc":  # warcio also reads ARC, and junk as ARC
        return RecordEntry(records.get_record_offset(), "damaged",
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
    content: bytes | None = None  # the payload, when sniffing read it
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
            # The payload can be read once only: when it is wanted, all of it is read
            # here and sniffed, so the page keeps its head (and a compressed stream is
            # decoded from its start).
            try:
                head = content = _content(record, max_bytes + 1 if payloads else _SNIFF_BYTES)
            except _PayloadError:
                head = b""  # not readable, so not known to be HTML
            head = head[:_SNIFF_BYTES]
            fate = "page" if _HTML_START_RE.match(head.lstrip(b"\xef\xbb\xbf")) else "not_html"
    else:
        fate = "not_html"
    if fate == "page" and status is not None and status != 200:
        fate = "not_ok"
    payload = None
    problem = None
    if fate == "page" and payloads and content is not None:
        payload = content
    elif fate == "page" and payloads:
        try:
            payload = _content(record, max_bytes + 1)
        except _PayloadError as error:
            payload, problem = b"", str(error)
    offset = records.get_record_offset()  # reads the rest of the record
    missing = getattr(record.raw_stream, "limit", 0) or 0
    if missing > 0:
        length = headers.get_header("Content-Length")
        return RecordEntry(offset, "damaged", **fields_,
                      message=f"the file ends inside this record ({missing} of its "
                              f"{length} bytes are missing)")
    return RecordEntry(offset, fate, **fields_, payload=payload, problem=problem)


class _PayloadError(Exception):
    """The payload's transfer or content encoding cannot be undone."""


def _content(record: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of the payload, chunked and content encodings removed.

    warcio already falls back to the stored bytes for most encoding errors;
    what still fails (a decoder library's own exception or bug) is raised as
    :class:`_PayloadError`, so it costs this record only, not the archive.
    """
    http = record.http_headers
    encoding = http.get_header("Content-Encoding") if http is not None else None
    if encoding and encoding.strip().lower() == "br":
        return _brotli_content(record, limit)
    parts: list[bytes] = []
    size = 0
    try:
        stream = record.content_stream()
        while size < limit:
            chunk = stream.read(min(_READ_CHUNK, limit - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except MemoryError:
        raise
    except Exception as error:
        raise _PayloadError(f"the payload cannot be decoded (Content-Encoding: {encoding}): "
                            f"{type(error).__name__}: {error}") from None
    return b"".join(parts)


def _brotli_content(record: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of a ``Content-Encoding: br`` payload, decoded by declutter.

    warcio's own Brotli support fails with current ``brotli`` releases, and
    without the package it hands back the compressed bytes, which read as a page
    of mojibake; so the chunked encoding alone is undone by warcio, and the
    Brotli stream by :func:`declutter._stages.compression.unbrotli_stream`.
    """
    from warcio.bufferedreaders import ChunkedDataReader

    stream = record.raw_stream
    if (record.http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        stream = ChunkedDataReader(stream)
    try:
        return unbrotli_stream(stream.read, limit, prefix=True)
    except NotHTMLError as error:
        raise _PayloadError(f"the payload cannot be decoded (Content-Encoding: br): "
                            f"{error}") from None
    except MemoryError:
        raise
    except Exception as error:  # the chunked framing, or the stream below it
        raise _PayloadError(f"the payload cannot be decoded (Content-Encoding: br): "
                            f"{type(error).__name__}: {error}") from None


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
        here = stream.tell()
        size = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def _page(entry: RecordEntry) -> WarcPage:
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
        for entry in scan_records(stream, payloads=True, max_bytes=self.max_bytes):
            self.stats.count(entry)
            if entry.fate == "damaged":
                raise WarcFormatError(f"record at offset {entry.offset}: {entry.message}")
            if entry.fate == "page":
                yield _page(entry)


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


def read_record(path: str | os.PathLike[str] | IO[bytes], offset: int, *,
                max_bytes: int = DEFAULT_OPTIONS.max_bytes) -> WarcPage:
    """The page stored at ``offset`` of a WARC file, or of a seekable binary file object
    (a remote one, through fsspec): a bulk worker's way in.

    Raises :class:`WarcFormatError` when no readable page starts there, and
    :class:`~declutter.InputTooLargeError` for a payload over ``max_bytes``.
    """
    with ExitStack() as stack:
        stream = stack.enter_context(open(path, "rb")) if isinstance(path, str | os.PathLike) \
            else path
        stream.seek(offset)
        for entry in scan_records(stream, payloads=True, max_bytes=max_bytes, first_only=True):
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


__all__ = [
    "HTML_TYPES",
    "PAGE_RECORD_TYPES",
    "WarcArticle",
    "WarcFormatError",
    "WarcPage",
    "WarcReader",
    "WarcStats",
    "decode_payload",
    "extract_warc",
    "parse_content_type",
    "read_record",
]
