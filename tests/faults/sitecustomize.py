"""Test-only faults in the bulk work function: pages that hang, pages that hit a bug.

Python imports a ``sitecustomize`` module when it starts, if one is on its
path. The ``fault_env`` fixture (tests/conftest.py) puts this folder first on
``PYTHONPATH`` for a ``declutter`` subprocess, with a marker in
``DECLUTTER_TEST_HANG_MARKER`` or ``DECLUTTER_TEST_BUG_MARKER``: this module
then wraps the bulk work function in that process and in every worker it
starts (the fork server and spawned workers import it too). A page that
contains the hang marker sleeps forever in its worker, as if the parser hung;
one that contains the bug marker raises a ``TypeError``, as a bug of
declutter would. declutter itself reads no such variable.
"""

from __future__ import annotations

import os
import time
from typing import Any

HANG_ENV = "DECLUTTER_TEST_HANG_MARKER"
BUG_ENV = "DECLUTTER_TEST_BUG_MARKER"

_hang = os.environ.get(HANG_ENV, "").encode("utf-8")
_bug = os.environ.get(BUG_ENV, "").encode("utf-8")

if _hang or _bug:
    from declutter.bulk.execution import work

    _page_outputs = work.page_outputs

    def _faulty(html: str | bytes, url: str | None, settings: Any) -> Any:
        data = html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html
        if _hang and _hang in data:
            while True:
                time.sleep(3600)
        if _bug and _bug in data:
            raise TypeError("a bug planted by the tests: 'NoneType' object is not iterable")
        return _page_outputs(html, url, settings)

    work.page_outputs = _faulty
