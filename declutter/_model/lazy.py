"""Names a package exports whose modules load on first use.

A page piped through the command line, or a bulk worker, should not pay for the report
builder, Dask, WARC or Parquet support it never uses; the package root and
``declutter.bulk`` export those names all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(namespace: dict[str, Any], table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``namespace`` (the module's ``globals()``) that imports
    the module ``table`` names for an attribute the first time it is asked for, and keeps
    the value, so later lookups are plain attribute reads."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
