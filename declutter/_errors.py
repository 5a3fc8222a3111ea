"""The exceptions declutter raises.

One base class lets callers that process millions of pages catch every
declutter failure with a single ``except`` while letting programming errors
(``TypeError``) through.
"""

from __future__ import annotations


class DeclutterError(Exception):
    """Base class of every error declutter raises on purpose."""


class NotHTMLError(DeclutterError):
    """The input is not HTML or text at all (a PDF, an image, an archive, binary data)."""


class InputTooLargeError(DeclutterError):
    """The input is larger than ``Options.max_bytes``; refused before any parsing."""


class RuleError(DeclutterError, ValueError):
    """A user-supplied selector or rule file cannot be compiled."""
