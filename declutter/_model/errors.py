"""The exceptions declutter raises, and how a failure is told apart from a bug.

One base class lets callers that process millions of pages catch every
declutter failure with a single ``except`` while letting programming errors
(``TypeError``) through.

Bulk runs and the cluster functions cannot let anything through: one page
must never stop a crawl. They sort what a page raises with :func:`failure_of`
(the policy, written down in SECURITY.md):

* a **page problem** (``kind="page"``): a :class:`DeclutterError` (not HTML,
  too large, empty, a damaged WARC record...), an :class:`OSError` (the file
  cannot be read, a deadline passed, a bad gzip stream) or a
  :class:`MemoryError` (the page needs more memory than a worker may use).
  The page's input is to blame; its record says what was wrong with it.
* a **bug** (``kind="bug"``): any other exception (``TypeError``,
  ``AttributeError``, ``KeyError``...). declutter's own code is to blame. The
  page is recorded all the same, with the traceback, so the crawl goes on, but
  it is counted apart and the run ends with its own exit status, so a bug is
  never mistaken for a bad page.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass
from types import ModuleType


class DeclutterError(Exception):
    """Base class of every error declutter raises on purpose."""


class EmptyPageError(DeclutterError):
    """The input is empty or holds only white space: there is no page to clean."""


class NotHTMLError(DeclutterError):
    """The input is not HTML or text at all (a PDF, an image, an archive, binary data)."""


class InputTooLargeError(DeclutterError):
    """The input is larger than ``Options.max_bytes``; refused before any parsing."""


class RuleError(DeclutterError, ValueError):
    """A user-supplied selector or rule file cannot be compiled."""


#: What a page's own input can cause; any other exception is a bug of declutter.
PAGE_PROBLEMS: tuple[type[BaseException], ...] = (DeclutterError, OSError, MemoryError)

#: The two kinds of failure (see the module's documentation).
PAGE, BUG = "page", "bug"


@dataclass(frozen=True)
class Failure:
    """Why a page has no output: picklable, so it travels back from any worker."""

    #: Name of the exception class, e.g. ``"NotHTMLError"``.
    error: str
    message: str
    #: :data:`PAGE` or :data:`BUG`.
    kind: str = PAGE
    #: The formatted traceback of a bug (None for a page problem: its message says it all).
    traceback: str | None = None


def error_message(error: BaseException) -> str:
    """The one-line message of an exception, the same wherever the page ran.

    An :class:`OSError` gives its ``strerror`` alone, without the file name:
    the record or the message already names the page.
    """
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def failure_of(error: BaseException) -> Failure:
    """The failure record of an exception a page raised: a page problem or a bug."""
    name, message = type(error).__name__, error_message(error)
    if isinstance(error, PAGE_PROBLEMS):
        return Failure(name, message)
    return Failure(name, message, BUG, "".join(traceback.format_exception(error)))


def import_extra(module: str, extra: str, purpose: str) -> ModuleType:
    """``module`` of an optional dependency, or an ImportError that says what to install.

    Not a page problem: an ImportError is raised to the caller, before any page runs.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.partition(".")[0]
        raise ImportError(f"{purpose} needs {package}: pip install 'declutter[{extra}]'") \
            from error
