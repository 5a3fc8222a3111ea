"""Reading over a real network: tries again what a later try may get, and notices a file
that changed under the run.

Networks drop connections in the middle of a file, and object stores and web
servers ask clients to slow down (``429 Too Many Requests``, ``503 Slow
Down``). A crawl of millions of records meets both every day, so a request
that failed that way is tried again, a bounded number of times
(:data:`RETRY_ATTEMPTS`), after a wait that doubles each time or that the
server asked for (``Retry-After``, within :data:`RETRY_MAX_WAIT`). A file read
front to back (:class:`Resuming`: the listing of a WARC archive, a stream of a
server without byte ranges) is opened again where the dropped connection left
it, so nothing before is read twice into the run.

A file replaced while a run reads it would hand out the bytes of another file
at the offsets the listing found: a wrong page under a right name. So each
request to a web server compares the file's ETag, Last-Modified and size with
those the listing saw (:func:`check_version`); a difference fails the page
with :class:`FileChangedError`, never retried.
"""

from __future__ import annotations

import contextlib
import email.utils
import importlib
import io
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeVar

from declutter._model.errors import DeclutterError

T = TypeVar("T")

#: Tries of one request that failed in a way a later try may not (a dropped connection,
#: a server that asks to slow down): enough to ride out a blip or a burst of
#: throttling, few enough that a dead server fails its pages within a minute.
RETRY_ATTEMPTS = 5
#: Seconds before the second try; each later wait doubles (with jitter, so workers that
#: failed together do not come back together): 0.5, 1, 2, 4 s.
RETRY_FIRST_WAIT = 0.5
#: The longest wait between two tries, whatever ``Retry-After`` asks: a server asking
#: for an hour would otherwise hold a worker, and every page queued behind it, that long.
RETRY_MAX_WAIT = 30.0
#: HTTP statuses a later try may not get: throttling (429, S3's 503 Slow Down) and a
#: busy or restarting server or proxy (500, 502, 504).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Error codes of S3 and its kin that mean "slow down" or "try again".
_RETRY_CODES = frozenset({"SlowDown", "Throttling", "ThrottlingException",
                          "RequestLimitExceeded", "ServiceUnavailable", "InternalError",
                          "RequestTimeout"})
#: Exception classes (by name, anywhere in the class's ancestry, so no network library
#: need be imported to tell them) of a connection that dropped or timed out.
_DROPPED = frozenset({
    "ConnectionError", "TimeoutError", "IncompleteRead", "RemoteDisconnected",
    # aiohttp (fsspec's HTTP): a body cut short, a connection closed or reset
    "ClientPayloadError", "ClientConnectionError", "ServerTimeoutError",
    # botocore / urllib3 (s3fs): connections closed, timed out or refused
    "ConnectionClosedError", "EndpointConnectionError", "ReadTimeoutError",
    "ConnectTimeoutError", "ProtocolError",
})

# A URL inside a message: its scheme, an optional user:password@, the rest up to a
# query or fragment, then the query or fragment. Quotes and brackets end it, as
# libraries print URLs inside them.
_URL_IN_TEXT = re.compile(
    r"""(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?:[^\s/@'"<>]*@)?(?P<rest>[^\s?#'"<>]*)"""
    r"""(?:[?#][^\s'"<>]*)?"""
)


def redact_text(text: str) -> str:
    """``text`` with every URL's user, password, query string and fragment cut off.

    What a message may say of ``https://me:secret@host/a.warc.gz?X-Amz-Signature=...``
    is ``https://host/a.warc.gz``: enough to find the file, nothing to reuse.
    """
    return _URL_IN_TEXT.sub(lambda match: match["scheme"] + match["rest"], text)



class RemoteInputError(DeclutterError):
    """A remote input could not be read: the storage library failed (a network error,
    a refused request, an answer that makes no sense). The input's problem, not a bug."""


class FileChangedError(RemoteInputError):
    """A remote file is not the one the run listed (its ETag, date or size changed):
    its records may be other pages at the same offsets, so none is read from it."""


def retry_wait(error: BaseException, attempt: int) -> float | None:
    """Seconds to wait before trying again after ``error`` on try ``attempt``; None when a
    new try would fail the same way (a missing file, a refusal, a bug)."""
    error = underlying(error)
    asked = _asked_wait(error)
    if asked is None and not _transient(error):
        return None
    backoff = RETRY_FIRST_WAIT * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
    return min(RETRY_MAX_WAIT, asked if asked is not None else backoff)


def underlying(error: BaseException) -> BaseException:
    """The error that ``error`` stands for: fsspec's web file system reports a file whose
    size it could not ask (a 503, a dropped connection) as ``FileNotFoundError``, raised
    from the real failure, which decides whether to try again and what to tell."""
    cause = error.__cause__
    if type(error) is FileNotFoundError and cause is not None and \
            not isinstance(cause, FileNotFoundError):
        return cause
    return error


def _transient(error: BaseException) -> bool:
    if isinstance(error, FileChangedError | FileNotFoundError | PermissionError):
        return False
    status = getattr(error, "status", None) or getattr(error, "code", None)
    if isinstance(status, int) and status in RETRY_STATUSES:
        return True
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):  # botocore's ClientError
        code = response.get("Error", {}).get("Code")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _RETRY_CODES or status in RETRY_STATUSES:
            return True
    return any(kind.__name__ in _DROPPED for kind in type(error).__mro__)


def _asked_wait(error: BaseException) -> float | None:
    """What a throttled answer's ``Retry-After`` asks for (seconds or an HTTP date)."""
    status = getattr(error, "status", None)
    headers = getattr(error, "headers", None)
    if status not in RETRY_STATUSES or not headers:
        return None
    said = str(headers.get("Retry-After") or "").strip()
    if said.isdigit():
        return float(said)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return max(0.0, email.utils.parsedate_to_datetime(said).timestamp() - time.time())
    return None


def retrying(call: Callable[[], T], what: str) -> T:
    """``call()``, tried again after a dropped connection or a request to slow down
    (see :func:`retry_wait`), at most :data:`RETRY_ATTEMPTS` times in all."""
    attempt = 1
    while True:
        try:
            return call()
        except Exception as error:
            wait = retry_wait(error, attempt)
            if wait is None:
                raise
            if attempt >= RETRY_ATTEMPTS:
                raise gave_up(error, what, attempt) from None
        time.sleep(wait)
        attempt += 1


def gave_up(error: BaseException, what: str, attempts: int) -> RemoteInputError:
    """The error of a request still failing after ``attempts`` tries."""
    error = underlying(error)
    return RemoteInputError(f"{what} failed {attempts} times, the last with "
                            f"{type(error).__name__}: {redact_text(str(error)) or 'no message'}")


# --------------------------------------------------------------------------- versions

#: What a file's version is made of, as a hashable value a task can carry.
Version = tuple[tuple[str, str], ...]


def http_version(status: int, headers: Mapping[str, str]) -> Version:
    """The version of a file a web server's answer describes: ETag, Last-Modified, size.

    The size is the total of a ``Content-Range`` (a 206), or the ``Content-Length``
    of a whole, unencoded file (a 200).
    """
    said = {str(name).lower(): str(value) for name, value in headers.items()}  # any case
    found = [(name, said[name.lower()]) for name in ("ETag", "Last-Modified")
             if said.get(name.lower())]
    size = said.get("content-range", "").rpartition("/")[2].strip()
    if not size.isdigit() and status == 200 and not said.get("content-encoding"):
        size = said.get("content-length", "")
    if size.isdigit():
        found.append(("size", size))
    return tuple(found)


def check_version(listed: Version | None, now: Version, where: str) -> None:
    """Raise :class:`FileChangedError` when ``now`` differs from ``listed`` in any part
    both have (a server may send an ETag on one answer and not on another)."""
    if not listed:
        return
    seen = dict(now)
    changed = [f"{name} {value} then {seen[name]}" for name, value in listed
               if name in seen and seen[name] != value]
    if changed:
        raise FileChangedError(f"{where} changed during the run ({'; '.join(changed)}): "
                               "its records are not read from a file that is not the one "
                               "listed")


def is_http(fs: Any) -> bool:
    """Whether ``fs`` is fsspec's web server file system."""
    protocol = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    return "http" in protocol or "https" in protocol


def http_get(fs: Any, path: str, headers: Mapping[str, str] | None = None, *,
             body: bool = True) -> tuple[int, Mapping[str, str], bytes]:
    """One GET of ``path`` on fsspec's HTTP file system: its status, headers and body.

    fsspec's own calls return the body only, and the headers are what tells a
    server without byte ranges, and a file that changed, apart. A status that is
    an error raises as fsspec would (404 as ``FileNotFoundError``), except 416
    (an empty file has no first byte), returned as it is. Without ``body`` the
    answer's body is left unread (it may be a whole file of gigabytes).
    """
    sync = importlib.import_module("fsspec.asyn").sync

    async def get() -> tuple[int, Mapping[str, str], bytes]:
        session = await fs.set_session()
        settings = dict(fs.kwargs)
        sent = {**settings.pop("headers", {}), **(headers or {})}
        async with session.get(fs.encode_url(path), headers=sent, **settings) as answer:
            if answer.status != 416:
                fs._raise_not_found_for_status(answer, path)
            return (answer.status, answer.headers.copy(),
                    await answer.read() if body else b"")

    result: tuple[int, Mapping[str, str], bytes] = sync(fs.loop, get)
    return result


# --------------------------------------------------------------------------- streams


class Resuming(io.RawIOBase):
    """A remote file read front to back that outlives dropped connections.

    ``open_at(position)`` opens the file with its next byte at ``position``
    (seeking where the store serves ranges, reading past the start where it
    does not) and checks that it is still the file the run listed. A read
    that fails in a way a new try may not (see :func:`retry_wait`) closes the
    connection, waits, and goes on from the last byte handed out, at most
    :data:`RETRY_ATTEMPTS` times in a row; so a record is never read twice or
    half, and a file that changed in between fails instead of mixing two
    versions. Seeks are those of the first stream (a listing asks the size).
    """

    def __init__(self, open_at: Callable[[int], IO[bytes]], what: str) -> None:
        super().__init__()
        self._open_at = open_at
        self.what = what
        self.position = 0
        #: Times the file was opened again after a dropped connection.
        self.reopened = 0
        self.raw: IO[bytes] | None = retrying(lambda: open_at(0), what)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self.raw is not None and self.raw.seekable())

    def tell(self) -> int:
        return self.position

    def seek(self, position: int, whence: int = io.SEEK_SET) -> int:
        raw = self._stream()
        found = raw.seek(position, whence)
        if whence == io.SEEK_END:  # asking the size: stay where the reading is
            raw.seek(self.position)
            return found
        self.position = found
        return found

    @property
    def size(self) -> int | None:
        size = getattr(self.raw, "size", None)
        return size if isinstance(size, int) else None

    def readinto(self, buffer: Any) -> int:
        attempt = 1
        while True:
            try:
                data = self._stream().read(len(buffer))
                break
            except Exception as error:
                wait = retry_wait(error, attempt)
                if wait is None:
                    raise
                if attempt >= RETRY_ATTEMPTS:
                    raise gave_up(error, f"{self.what}, from byte {self.position},",
                                  attempt) from None
                self._drop()
            time.sleep(wait)
            attempt += 1
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)

    def _stream(self) -> IO[bytes]:
        if self.raw is None:
            self.raw = self._open_at(self.position)
            self.reopened += 1
        return self.raw

    def _drop(self) -> None:
        raw, self.raw = self.raw, None
        if raw is not None:
            with contextlib.suppress(Exception):  # the connection is gone already
                raw.close()

    def close(self) -> None:
        try:
            self._drop()
        finally:
            super().close()
