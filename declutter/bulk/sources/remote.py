"""Inputs by URL: saved pages in object stores and on web servers, read through fsspec.

Crawls outgrow one machine's disk: Common Crawl's WARC files live on S3, and
teams keep theirs on S3, GCS or HTTP servers. A bulk input given as a URL
(``s3://bucket/crawl/``, ``gs://...``, ``https://host/x.warc.gz``,
``file:///data/pages/``, ``memory://...``) is read through `fsspec
<https://filesystem-spec.readthedocs.io>`_ (``pip install 'declutter[cloud]'``,
which brings s3fs; ``gcsfs`` for ``gs://``), by the worker that cleans each
page: tasks carry the URL (and, for WARC records, the offset and length),
never the bytes, so the parent stays small and a Dask worker needs no shared
file system. Plain paths never go through here: they are read as before.

Credentials come only from fsspec's and the clouds' usual configuration (the
environment, config files, ``storage_options`` from Python), never from the
command line, and no message declutter writes holds them: the user and
password part and the query string (a presigned URL's signature) of every URL
in a message or an error record are cut off (:func:`redact_text`).

Failures follow SECURITY.md: a file that cannot be fetched (not found,
refused, a network error) is its page's problem, kind ``"page"``, whatever
library raised it; a bug of declutter stays a bug.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from declutter._model.errors import (
    DeclutterError,
    Failure,
    InputTooLargeError,
    failure_of,
    import_extra,
)
from declutter.bulk.errors import BulkError
from declutter.bulk.execution.work import run_task
from declutter.bulk.sinks.paths import TEMP_PREFIX, inside
from declutter.bulk.sources.base import DEFAULT_PATTERNS, PageSource, matcher
from declutter.bulk.sources.files import prepare_page
from declutter.bulk.sources.network import RemoteInputError, redact_text, retrying
from declutter.bulk.tasks import PageResult, PageSettings, PageTask

if TYPE_CHECKING:
    from declutter.bulk.settings import RunSettings

#: A URL as a bulk input: a scheme of two or more letters and "://" (so no Windows
#: drive letter, and no local path, is ever taken for one).
URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")

#: Exception classes that are programming errors wherever they are raised: one of
#: these from a remote read is a bug, not a problem of the input.
_PROGRAMMING_ERRORS: tuple[type[BaseException], ...] = (
    TypeError, AttributeError, NameError, KeyError, IndexError, AssertionError,
    NotImplementedError, ImportError,
)
#: What :func:`reading` lets through as it is.
_PASSED_THROUGH: tuple[type[BaseException], ...] = (
    MemoryError, OSError, DeclutterError, *_PROGRAMMING_ERRORS)

#: Exception classes of the storage libraries for credentials that could not be found
#: (botocore, google-auth, azure-identity): by name, so none need be imported.
_NO_CREDENTIALS = frozenset({
    "NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
    "DefaultCredentialsError", "CredentialUnavailableError", "ClientAuthenticationError",
})
#: Where credentials come from, said to whoever meets a worker without any.
_EACH_NEEDS_ITS_OWN = (
    "the credentials of the machine that started the run (its environment, its config "
    "files) do not travel with the tasks, so each worker (a Dask worker, a process on "
    "another machine) needs its own: the store's environment variables (AWS_ACCESS_KEY_ID "
    "and AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS), config files or an "
    "instance role on the worker's machine, or storage_options given from Python")


class CredentialsError(RemoteInputError):
    """A remote input was read where no credentials for its store could be found."""


#: What to install for a URL scheme fsspec cannot read yet: declutter's extra for the
#: schemes it brings, fsspec's own packages for the others.
_INSTALL = {"s3": "'declutter[cloud]'", "s3a": "'declutter[cloud]'",
            "http": "'declutter[cloud]'", "https": "'declutter[cloud]'",
            "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}


def is_url(value: object) -> bool:
    """Whether a bulk input is a URL (read through fsspec) rather than a local path."""
    return isinstance(value, str) and URL_RE.match(value) is not None


def has_credentials(url: str) -> bool:
    """Whether a URL holds a user or password (``https://user:secret@host/...``)."""
    scheme_end = url.find("://") + 3
    authority = re.split(r"[/?#]", url[scheme_end:], maxsplit=1)[0]
    return "@" in authority


#: Loggers of the storage libraries that write whole URLs into their (debug) messages.
_URL_LOGGERS = ("fsspec", "fsspec.http", "fsspec.caching", "fsspec.asyn", "s3fs", "gcsfs")


class _RedactingFilter(logging.Filter):
    """Cuts credentials and query strings out of a library's log record (see
    :func:`redact_text`), for whoever turns its debug messages on."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "://" in message:
            record.msg, record.args = redact_text(message), ()
        return True


_REDACTING = _RedactingFilter()


def filesystem(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec file system of ``url`` and the path in it.

    fsspec caches file systems by their options, so workers calling this for
    every page share one client (and its connections) per process. The storage
    libraries' loggers get a filter that redacts the URLs they log.
    """
    fsspec = import_extra("fsspec", "cloud", "reading inputs by URL")
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTING not in logger.filters:
            logger.addFilter(_REDACTING)
    try:
        return fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as error:
        scheme = url.split("://", 1)[0].lower()
        install = _INSTALL.get(scheme)
        hint = f"pip install {install}" if install else str(error)
        raise ImportError(f"reading {scheme}:// URLs needs more of fsspec: {hint}") from error
    except ValueError as error:  # a scheme fsspec does not know
        raise BulkError(f"{redact_text(url)}: {redact_text(str(error))}") from None


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Around a remote read: what the storage libraries raise becomes the input's problem.

    OSErrors and declutter's own errors pass as they are; any other exception
    of a library (aiohttp, botocore, ...) becomes a :class:`RemoteInputError`
    naming it. Programming errors (``TypeError``...) stay bugs.
    """
    try:
        yield
    except _PASSED_THROUGH:
        raise
    except Exception as error:
        said = f"{type(error).__name__}: {redact_text(str(error))}"
        if type(error).__name__ in _NO_CREDENTIALS:
            raise CredentialsError(f"{said}. The process that read this has no credentials "
                                   f"for the store: {_EACH_NEEDS_ITS_OWN}") from None
        raise RemoteInputError(said) from None


def remote_failure(error: BaseException) -> Failure:
    """The failure record of a remote page: :func:`failure_of`, with URLs redacted."""
    found = failure_of(error)
    message = found.message
    if isinstance(error, OSError) and not error.strerror and message == str(error):
        # fsspec raises FileNotFoundError(path): say what the path is for
        what = "not found" if isinstance(error, FileNotFoundError) else "cannot read the input"
        message = f"{what}: {message}"
    return Failure(found.error, redact_text(message), found.kind,
                   redact_text(found.traceback) if found.traceback else None)


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class RemoteTask(PageTask):
    """A saved page at a URL: ``source`` is the URL, read by the worker that cleans it."""

    #: Bytes, as the listing said (None when the server did not say).
    size: int | None = None


def fetch_page(task: PageTask, max_bytes: int, *,
               storage_options: Mapping[str, Any] | None = None) -> bytes:
    """The bytes of a remote page, gunzipped when compressed, refused when empty or too big.

    A file the listing measured is fetched whole (one request), after its size
    is checked; one of unknown size is fetched up to one byte past the limit.
    """
    size = task.size if isinstance(task, RemoteTask) else None
    if size is not None and size > max_bytes:
        raise InputTooLargeError(f"file is {size} bytes, over the size limit of {max_bytes} "
                                 "bytes")
    with reading():
        fs, path = filesystem(str(task.source), storage_options)
        data = retrying(lambda: fs.cat_file(path) if size is not None else fs.cat_file(
            path, start=0, end=max_bytes + 1), "reading the page")
    if len(data) > max_bytes:
        raise InputTooLargeError(f"file is over the size limit of {max_bytes} bytes")
    return prepare_page(bytes(data), max_bytes)


def process_remote_task(task: PageTask, settings: PageSettings, *,
                        storage_options: Mapping[str, Any] | None = None) -> PageResult:
    """:func:`~declutter.bulk.process_task` for a page at a URL: what workers run."""
    read = functools.partial(fetch_page, storage_options=storage_options)
    return run_task(task, settings, read, remote_failure)


def remote_files(url: str, storage_options: Mapping[str, Any] | None, *,
                 patterns: Sequence[str] | None,
                 exclude: Sequence[str | Path] = ()) -> Iterator[RemoteTask]:
    """The files under ``url`` (or the file it is) as tasks keyed by relative path.

    In the order of a local walk (each folder's files by name, then its
    folders), so keys, outputs and the WARC-or-pages decision are those a
    copy of the tree on disk would give. ``patterns`` as for
    :func:`~declutter.bulk.iter_directory` (None: every file). Temporary
    files of declutter's own and, for ``file://``, the run's ``exclude``d
    outputs are left out.
    """
    with reading():
        fs, root = filesystem(url, storage_options)
        if not retrying(lambda: is_remote_dir(fs, root, url), "listing the input"):
            info = retrying(lambda: fs.info(root), "listing the input")
            if info.get("type") == "directory":  # gone between the two questions
                raise BulkError(f"{redact_text(url)}: not a file")
            # named by the file's name, without the URL's query (a presigned URL's
            # signature), since keys are written into every output and error record
            name = re.split(r"[?#]", root, maxsplit=1)[0].rstrip("/").rsplit("/", 1)[-1]
            yield _remote_task(fs, root, name, info)
            return
        found = retrying(lambda: fs.find(root, detail=True), "listing the input")
    matches = matcher(patterns) if patterns else None
    skip = [Path(path) for path in exclude] if _is_local(fs) else []
    base = root.rstrip("/") + "/"
    entries = sorted(((name[len(base):], info) for name, info in found.items()
                      if name.startswith(base) and info.get("type", "file") == "file"),
                     key=lambda item: _walk_order(item[0]))
    for relative, info in entries:
        if relative.rsplit("/", 1)[-1].startswith(TEMP_PREFIX):
            continue
        if matches is not None and not matches(relative):
            continue
        if skip and any(inside(base + relative, path) for path in skip):
            continue
        yield _remote_task(fs, base + relative, relative, info)


def is_remote_dir(fs: Any, path: str, url: str) -> bool:
    """Whether ``url`` names a folder (a prefix of an object store, a listing page).

    An HTTP URL is a folder when it ends with "/": asking the server would
    fetch the file to look for links in it.
    """
    if url.lower().startswith(("http://", "https://")):
        return url.split("?", 1)[0].endswith("/")
    try:
        return bool(fs.isdir(path))
    except FileNotFoundError:
        return False


def _walk_order(relative: str) -> tuple[tuple[int, str], ...]:
    """Sort key: a folder's files (0) before its subfolders (1), each by name."""
    parts = relative.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))


def _is_local(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


def _remote_task(fs: Any, path: str, key: str, info: Mapping[str, Any]) -> RemoteTask:
    size = info.get("size")
    return RemoteTask(key, _url_of(fs, path), None, modified(info),
                      size=size if isinstance(size, int) else None)


def _url_of(fs: Any, path: str) -> str:
    """The URL a worker opens ``path`` of ``fs`` by (HTTP paths already are URLs)."""
    return path if is_url(path) else str(fs.unstrip_protocol(path))


def modified(info: Mapping[str, Any]) -> float | None:
    """A listing entry's modification time as a POSIX timestamp; None when unknown.

    Each file system says it its own way: ``mtime`` (local), ``LastModified``
    (S3), ``updated`` (GCS), ``created`` (memory), ``Last-Modified`` (HTTP).
    """
    for name in ("mtime", "LastModified", "last_modified", "updated", "created",
                 "Last-Modified"):
        value = info.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        if isinstance(value, str):
            with contextlib.suppress(ValueError, TypeError):
                return _parse_time(value)
    return None


def _parse_time(value: str) -> float:
    from email.utils import parsedate_to_datetime

    try:
        stamp = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        stamp = parsedate_to_datetime(value)  # an HTTP date
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp()


def check_remote_outputs(url: str, storage_options: Mapping[str, Any] | None,
                         outputs: Sequence[Path], reports: Path | None) -> None:
    """Refuse, for a ``file://`` input, outputs that would overwrite it (as for a path)."""
    fs, root = filesystem(url, storage_options)
    if not _is_local(fs):
        return  # outputs are local files: they cannot be a remote input
    for path in [*outputs, *([reports] if reports is not None else [])]:
        if inside(root, path):
            raise BulkError(f"{redact_text(url)}: the output cannot be the input or hold it")


class RemoteInput:
    """What every source read by URL shares: the URL and the caller's storage options,
    which each worker's reading function receives, and the check that no output is
    asked to land inside the input."""

    url: str
    storage_options: dict[str, Any]

    def at(self, url: str, storage_options: Mapping[str, Any] | None) -> None:
        self.url = url
        self.storage_options = dict(storage_options or {})

    def with_options(self, function: Callable[..., PageResult]) -> Callable[..., PageResult]:
        return functools.partial(function, storage_options=self.storage_options)

    def check_outputs(self, outputs: Sequence[Path], reports: Path | None) -> None:
        check_remote_outputs(self.url, self.storage_options, outputs, reports)


class RemoteDirectorySource(RemoteInput, PageSource):
    """The saved pages at a URL: a folder (walked for ``patterns``) or one file."""

    def __init__(self, url: str, patterns: Sequence[str] = DEFAULT_PATTERNS, *,
                 storage_options: Mapping[str, Any] | None = None) -> None:
        self.at(url, storage_options)
        self.patterns = patterns

    def page_function(self) -> Callable[..., PageResult]:
        return self.with_options(process_remote_task)

    def items(self, exclude: Sequence[Path],
              settings: RunSettings) -> list[RemoteTask]:
        return list_inputs(self.url, self.storage_options, self.patterns, exclude)


def list_inputs(url: str, storage_options: Mapping[str, Any] | None,
                patterns: Sequence[str] | None, exclude: Sequence[Path]) -> list[RemoteTask]:
    """:func:`remote_files` as a list, or a :class:`BulkError` when the input cannot be
    listed (not found, refused): the run cannot start, as for a missing directory."""
    try:
        return list(remote_files(url, storage_options, patterns=patterns, exclude=exclude))
    except (OSError, RemoteInputError) as error:
        raise BulkError(f"{redact_text(url)}: cannot list the input: "
                        f"{remote_failure(error).message}") from None
