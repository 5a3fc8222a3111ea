"""Tests that cannot skip where it matters: with ``CI=true`` a missing package of the test
extra fails the run; locally the tests that need it skip, as before."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from _child import child_env
from conftest import TEST_EXTRA_MODULES, TEST_EXTRA_TOOLS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


def test_the_list_of_modules_is_the_test_extra() -> None:
    """A package added to (or dropped from) the extra must be added here too, or its tests
    would skip in CI unnoticed."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extra = project["project"]["optional-dependencies"]["test"]
    names = {re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0] for requirement in extra}
    assert names == set(TEST_EXTRA_MODULES) | TEST_EXTRA_TOOLS


def _run_without_warcio(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    """pytest on the WARC tests, in a process where ``import warcio`` fails."""
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "warcio.py").write_text(
        "raise ModuleNotFoundError('No module named warcio', name='warcio')\n")
    env = child_env()
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = f"{blocker}:{env['PYTHONPATH']}"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_warc.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_in_ci_a_missing_package_fails_the_run(tmp_path: Path) -> None:
    result = _run_without_warcio(tmp_path, "true")
    assert result.returncode != 0, result.stdout
    assert "warcio is part of the test extra" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_locally_a_missing_package_skips(tmp_path: Path) -> None:
    result = _run_without_warcio(tmp_path, None)
    assert result.returncode == 5, result.stdout  # pytest's "no tests ran": all skipped
    assert "skipped" in result.stdout.splitlines()[-1]
