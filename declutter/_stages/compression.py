"""Compressed pages: unpack what a server, a crawler or a user compressed.

Saved pages and WARC payloads arrive compressed more often than one would
think: ``.html.gz`` files, a ``Content-Encoding`` the crawler did not undo, a
page zipped for mail. Read as text, compressed bytes look like a page in a
strange encoding and come out as confident mojibake, so every format we can
recognise is unpacked here (gzip, zstd, bzip2, xz and ZIP by their signatures,
Brotli, which has none, by a trial decode of bytes that are not text) and
what is inside is then judged like any page: HTML and text are read, anything
else is refused by :mod:`declutter._stages.decode`.

Every format is unpacked with a bound on its output, so a small file that
would expand to gigabytes (a "zip bomb") costs no more than ``limit`` bytes.
zstd and Brotli need packages of their own (``zstandard``, ``brotli``); without
them such a page is refused with a message that says what to install.
"""

from __future__ import annotations

import bz2
import gzip
import importlib
import io
import lzma
import zipfile
import zlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from declutter._model.errors import EmptyPageError, InputTooLargeError, NotHTMLError
from declutter._model.options import DEFAULT_OPTIONS
from declutter._rules.thresholds import (
    BINARY_CONTROL_SHARE,
    MAX_LAYERS,
    SNIFF_BYTES,
)

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
ZIP_MAGIC = b"PK\x03\x04"

#: zlib's window bits for a gzip member: 16 (gzip header and trailer) + 15 (32 KiB window).
_GZIP_WBITS = 31


#: C0 controls except tab, LF, VT, FF and CR, and DEL: bytes no text is made of.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])

#: Names inside a ZIP archive that are the page (when the archive holds other files too).
_PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml", ".txt")

#: pip extra that installs the decoders of the optional formats.
_EXTRA = "compression"


def unpack(data: bytes, limit: int) -> bytes:
    """``data`` with every layer of compression removed; unchanged when not compressed.

    Raises :class:`~declutter.InputTooLargeError` when the unpacked page is over
    ``limit`` bytes, :class:`gzip.BadGzipFile` for a damaged gzip stream and
    :class:`~declutter.NotHTMLError` for other damaged or unreadable archives.
    """
    for _ in range(MAX_LAYERS):
        unpacker = _UNPACKERS.get(_signature(data))
        if unpacker is not None:
            data = unpacker(data, limit)
            continue
        if looks_binary(data[:SNIFF_BYTES]):
            inner = try_brotli(data, limit)
            if inner is not None:
                data = inner
                continue
        return data
    return data  # still compressed: the decoder refuses it by its signature


def looks_binary(head: bytes) -> bool:
    """Whether the bytes hold more control characters than any text does."""
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > BINARY_CONTROL_SHARE * len(head)


def _signature(data: bytes) -> bytes:
    for magic in (GZIP_MAGIC, ZSTD_MAGIC, BZIP2_MAGIC, XZ_MAGIC, ZIP_MAGIC):
        if data.startswith(magic):
            return magic
    return b""


def _too_large(limit: int) -> InputTooLargeError:
    return InputTooLargeError(f"page is over the size limit of {limit} bytes unpacked")


def _streams(data: bytes, limit: int, magic: bytes, new: Callable[[], Any],
             errors: tuple[type[Exception], ...], name: str) -> bytes:
    """Unpack a format of concatenated streams (gzip members, bzip2 and xz streams).

    Each decoder's ``decompress(data, max_length)`` is given what is left of the
    budget, so no call produces more than ``limit + 1`` bytes in all.
    """
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest.startswith(magic):  # a file may hold several streams, read as one
            decoder = new()
            chunk = decoder.decompress(rest, limit + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > limit:
                raise _too_large(limit)
            if not decoder.eof:
                if size == limit:  # the budget ran out exactly: more was coming
                    raise _too_large(limit)
                raise _damaged(name, "compressed data ends early (truncated file)")
            rest = decoder.unused_data
    except errors as error:
        raise _damaged(name, f"corrupt compressed data: {error}") from None
    return b"".join(out)


def _damaged(name: str, message: str) -> Exception:
    # gzip keeps the error it always had: an OSError, as the gzip module raises
    if name == "gzip":
        return gzip.BadGzipFile(message)
    return NotHTMLError(f"input is {name}-compressed data that cannot be unpacked: {message}")


def _gunzip(data: bytes, limit: int) -> bytes:
    return _streams(data, limit, GZIP_MAGIC, lambda: zlib.decompressobj(wbits=_GZIP_WBITS),
                    (zlib.error,), "gzip")


def _bunzip(data: bytes, limit: int) -> bytes:
    return _streams(data, limit, BZIP2_MAGIC, bz2.BZ2Decompressor, (OSError, ValueError),
                    "bzip2")


def _unxz(data: bytes, limit: int) -> bytes:
    return _streams(data, limit, XZ_MAGIC, lzma.LZMADecompressor, (lzma.LZMAError,), "xz")


def _optional(module: str, name: str) -> ModuleType:
    """The decoder package of an optional format, or a refusal that says what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise NotHTMLError(
            f"input is {name}-compressed data; unpacking it needs the {module} package: "
            f"pip install 'declutter[{_EXTRA}]'"
        ) from None


def _unzstd(data: bytes, limit: int) -> bytes:
    zstandard = _optional("zstandard", "zstd")
    try:
        # A stream reader bounds the output; it does not tell a cut-short stream from
        # a whole one, so once the size is known to fit, the frames are checked one by
        # one (which can then produce no more than was just read).
        reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
        with reader:
            out = reader.read(limit + 1)
            while len(out) <= limit:
                more = reader.read(limit + 1 - len(out))
                if not more:
                    break
                out += more
        if len(out) > limit:
            raise _too_large(limit)
        rest = data
        while rest.startswith(ZSTD_MAGIC):
            frame = zstandard.ZstdDecompressor().decompressobj()
            frame.decompress(rest)
            if not frame.eof:
                raise _damaged("zstd", "compressed data ends early (truncated file)")
            rest = frame.unused_data
    except zstandard.ZstdError as error:
        raise _damaged("zstd", f"corrupt compressed data: {error}") from None
    return bytes(out)


def try_brotli(data: bytes, limit: int) -> bytes | None:
    """``data`` unpacked as Brotli, or None when it is not a whole Brotli stream.

    Brotli has no signature, so this is a trial: most bytes that are not Brotli
    fail within a few bytes; the rest end before the stream does. Without the
    ``brotli`` package every trial fails (the page is then refused as binary).
    """
    try:
        brotli = importlib.import_module("brotli")
    except ImportError:
        return None
    try:
        return unbrotli(data, limit, brotli)
    except NotHTMLError:
        return None


def unbrotli(data: bytes, limit: int, brotli: ModuleType | None = None) -> bytes:
    """``data`` unpacked as Brotli.

    Raises :class:`~declutter.NotHTMLError` when it is not a whole Brotli stream
    or the ``brotli`` package is missing, and
    :class:`~declutter.InputTooLargeError` past ``limit`` bytes.
    """
    return unbrotli_stream(io.BytesIO(data).read, limit, brotli=brotli)


#: Compressed bytes read at a time from a stream (a WARC record's payload).
_READ_CHUNK = 65536


def unbrotli_stream(read: Callable[[int], bytes], limit: int, *, prefix: bool = False,
                    brotli: ModuleType | None = None) -> bytes:
    """The Brotli stream ``read`` gives, unpacked (a WARC record's ``Content-Encoding: br``).

    Compressed bytes are read as the output needs them, so a huge record costs
    no more than ``limit`` bytes of output. ``prefix``: return the first
    ``limit`` bytes of a longer output instead of raising (sniffing a payload).
    """
    brotli = brotli or _optional("brotli", "Brotli")
    decoder = brotli.Decompressor()
    out: list[bytes] = []
    size = 0
    try:
        while size <= limit and not decoder.is_finished():
            # The output buffer stops growing at the budget (it may pass it by a
            # block); what is left waits in the decoder, asked for with empty input.
            chunk = read(_READ_CHUNK) if decoder.can_accept_more_data() else b""
            piece = decoder.process(chunk, output_buffer_limit=limit + 1 - size)
            out.append(piece)
            size += len(piece)
            if not chunk and not piece:
                break  # the input ended before the stream did
    except brotli.error as error:
        raise _damaged("Brotli", f"corrupt compressed data: {error}") from None
    data = b"".join(out)
    if size > limit:
        if prefix:
            return data[:limit]
        raise _too_large(limit)
    if not decoder.is_finished():
        raise _damaged("Brotli", "compressed data ends early (truncated file)")
    return data


def _unzip(data: bytes, limit: int) -> bytes:
    """The one page a ZIP archive holds; an archive of several files is not one page."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
            pages = [info for info in files
                     if info.filename.lower().endswith(_PAGE_SUFFIXES)] or files
            if len(pages) != 1:
                raise NotHTMLError(
                    f"input is a ZIP archive of {len(files)} files, not one page "
                    f"(for a folder of pages, unpack it and run 'declutter bulk' on it)"
                )
            if pages[0].file_size > limit:
                raise _too_large(limit)
            with archive.open(pages[0]) as member:
                content = member.read(limit + 1)
    except NotHTMLError:
        raise
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError,
            RuntimeError, NotImplementedError) as error:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown method
        raise _damaged("ZIP", f"the archive cannot be read: {error}") from None
    if len(content) > limit:
        raise _too_large(limit)
    return content


_UNPACKERS: dict[bytes, Callable[[bytes, int], bytes]] = {
    GZIP_MAGIC: _gunzip,
    ZSTD_MAGIC: _unzstd,
    BZIP2_MAGIC: _bunzip,
    XZ_MAGIC: _unxz,
    ZIP_MAGIC: _unzip,
}


def prepare_page(data: bytes, max_bytes: int = DEFAULT_OPTIONS.max_bytes) -> bytes:
    """Unpack compressed page bytes (gzip, zstd, bzip2, xz, ZIP, Brotli; with a size cap
    against zip bombs); refuse empty ones. Bulk runs and the WARC reader read pages
    through here; ``extract()`` unpacks the same way in its decode stage."""
    data = unpack(data, max_bytes)
    if not data or data.isspace():
        raise EmptyPageError("the page is empty")
    return data
