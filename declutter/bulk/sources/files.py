"""Reading saved pages: bytes from disk, unpacked and checked, and their own address."""

from __future__ import annotations

import errno
import html
import os
import re
import stat

from declutter._model.errors import InputTooLargeError
from declutter._model.options import DEFAULT_OPTIONS
from declutter._stages.compression import GZIP_MAGIC, prepare_page

__all__ = ["GZIP_MAGIC", "URL_HEAD_BYTES", "guess_url", "prepare_page", "read_page"]

#: Bytes at the start of a page searched for its address: the saved-from comment and
#: the <head> links sit there, and a regular expression over megabytes of body would
#: cost more than the page's extraction.
URL_HEAD_BYTES = 65536


def read_page(path: str | os.PathLike[str], max_bytes: int = DEFAULT_OPTIONS.max_bytes) -> bytes:
    """The bytes of a saved page, unpacked when compressed, refused when empty or too big.

    Opened without blocking and checked to be a regular file, so a FIFO or a
    device that slipped into an input directory fails fast instead of hanging
    a worker until its deadline.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with open(fd, "rb", closefd=True) as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        if info.st_size > max_bytes:
            raise InputTooLargeError(
                f"file is {info.st_size} bytes, over the size limit of {max_bytes} bytes"
            )
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputTooLargeError(f"file is over the size limit of {max_bytes} bytes")
    return prepare_page(data, max_bytes)


_SAVED_FROM_RE = re.compile(rb"<!--\s*saved from url=\(\d+\)\s*(https?://[^\s>]+?)\s*-->", re.I)
_TAG_RE = re.compile(rb"<(link|meta|base)\b([^>]*)>", re.I)
_ATTR_RE = re.compile(rb"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")


def guess_url(data: bytes) -> str | None:
    """The page's own address, when its head says so; None otherwise.

    Browsers' "save as" write a ``saved from url`` comment, and most news
    pages carry a canonical link or ``og:url``: enough to match per-site rules
    for a directory of saved pages whose addresses were never recorded.
    """
    head = data[:URL_HEAD_BYTES]
    found = _SAVED_FROM_RE.search(head)
    if found:
        return _http_url(found.group(1))
    candidates: dict[str, str] = {}
    for match in _TAG_RE.finditer(head):
        attrs = {
            name.lower(): value.strip(b"\"'")
            for name, value in _ATTR_RE.findall(match.group(2))
        }
        tag = match.group(1).lower()
        if tag == b"link" and b"canonical" in attrs.get(b"rel", b"").lower().split():
            candidates.setdefault("canonical", _text(attrs.get(b"href", b"")))
        elif tag == b"meta" and attrs.get(b"property", attrs.get(b"name", b"")).lower() in (
            b"og:url", b"twitter:url"
        ):
            candidates.setdefault("og", _text(attrs.get(b"content", b"")))
    for name in ("canonical", "og"):
        url = _http_url(candidates.get(name, "").encode())
        if url:
            return url
    return None


def _text(value: bytes) -> str:
    return html.unescape(value.decode("utf-8", "replace")).strip()


def _http_url(raw: bytes) -> str | None:
    url = _text(raw)
    return url if url.lower().startswith(("http://", "https://")) and " " not in url else None
