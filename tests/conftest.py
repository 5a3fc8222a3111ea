"""What every test module shares: Hypothesis settings for CI, and faulty pages.

In CI (``CI=true``) Hypothesis runs derandomized, without its example
database: the same examples in every run, so a red build is a change in the
code, never a new draw. Locally it draws new inputs every time. The long fuzz
run is ``python -m benchmarks.fuzz``. In CI, too, ``pytest.importorskip`` of a
module the test extra installs fails instead of skipping.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _child import child_env
from hypothesis import settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if IN_CI:
    settings.load_profile("ci")

#: The modules the ``test`` extra of pyproject.toml installs, by distribution (the extra's
#: requirements, their own extras included: pandas and aiohttp come with dask[dataframe]
#: and fsspec[http]). Locally a test whose module is missing skips; in CI it fails, so a
#: broken install never passes for a green run. tests/test_ci.py keeps this in step with
#: pyproject.toml.
TEST_EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "hypothesis": ("hypothesis",),
    "warcio": ("warcio",),
    "zstandard": ("zstandard",),
    "brotli": ("brotli",),
    "dask": ("dask", "distributed", "pandas"),
    "datatrove": ("datatrove",),
    "fsspec": ("fsspec", "aiohttp"),
    "s3fs": ("s3fs",),
    "moto": ("moto",),
    "pyarrow": ("pyarrow",),
    "duckdb": ("duckdb",),
    "markdown-it-py": ("markdown_it",),
}
#: Requirements of the test extra that are tools, not modules tests import.
TEST_EXTRA_TOOLS = frozenset({"pytest", "ruff", "mypy", "lxml-stubs", "types-PyYAML",
                              "types-tqdm", "types-psutil"})
_REQUIRED_IN_CI = frozenset(name for names in TEST_EXTRA_MODULES.values() for name in names)
_importorskip = pytest.importorskip


def _importorfail(modname: str, *args: Any, **kwargs: Any) -> Any:
    """``pytest.importorskip`` that, for a module of the test extra, fails instead."""
    if modname.partition(".")[0] not in _REQUIRED_IN_CI:
        return _importorskip(modname, *args, **kwargs)
    try:
        return importlib.import_module(modname)
    except ImportError as error:
        raise ImportError(f"{modname} is part of the test extra, and with CI=true its tests "
                          f"fail instead of skipping: pip install -e '.[test]' ({error})") \
            from error


if IN_CI:
    pytest.importorskip = _importorfail

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # benchmarks/ is not installed
#: Pages in the generated corpus the command-line and Dask tests run on.
CORPUS_PAGES = 240
#: The folder whose sitecustomize.py plants faults in the bulk work function (see there).
FAULTS_DIR = Path(__file__).resolve().parent / "faults"


@pytest.fixture()
def fault_env() -> Callable[..., dict[str, str]]:
    """``fault_env(hang=MARKER, bug=MARKER, base=None)``: an environment for a ``declutter``
    subprocess in which bulk pages holding the ``hang`` marker hang in their worker, and
    pages holding the ``bug`` marker fail with a TypeError, as a bug of declutter would."""

    def make(*, hang: str = "", bug: str = "",
             base: dict[str, str] | None = None) -> dict[str, str]:
        # base: an environment from child_env(); the default is child_env() itself
        env = child_env() if base is None else dict(base)
        env["PYTHONPATH"] = os.pathsep.join([str(FAULTS_DIR), env["PYTHONPATH"]])
        env["DECLUTTER_TEST_HANG_MARKER"] = hang
        env["DECLUTTER_TEST_BUG_MARKER"] = bug
        return env

    return make


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of CORPUS_PAGES pages generated from ``samples/`` (nested folders, every
    accepted suffix, a quarter gzip-compressed), as the bulk benchmark makes it."""
    from benchmarks.bulk import generate_corpus

    root = tmp_path_factory.mktemp("corpus") / "pages"
    generate_corpus(root, CORPUS_PAGES)
    return root
