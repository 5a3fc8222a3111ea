"""The environment of a ``declutter`` subprocess in the tests.

This checkout comes first on the path (benchmarks/ included), and nothing the
developer's shell may hold steers the run: no planted fault (the markers of
tests/faults) and no Dask scheduler, unless a test asks for one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

#: Variables that change what a ``declutter bulk`` run does.
STEERING = ("DECLUTTER_TEST_HANG_MARKER", "DECLUTTER_TEST_BUG_MARKER", "DASK_SCHEDULER_ADDRESS")


def child_env(**extra: str) -> dict[str, str]:
    """``os.environ`` for a subprocess, as the module says, with ``extra`` set."""
    env = {name: value for name, value in os.environ.items() if name not in STEERING}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_cli(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m declutter ARGS`` in a fresh process, its output captured."""
    return subprocess.run([sys.executable, "-m", "declutter", *map(str, args)],
                          capture_output=True, text=True, env=env or child_env(), timeout=300,
                          check=False)


def jsonl_records(path: Path) -> dict[str, dict[str, Any]]:
    """A JSON Lines output's records by page path; no page may be there twice."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    by_path = {record["path"]: record for record in records}
    assert len(by_path) == len(records), "a page was written twice"
    return by_path


def kill_when(command: list[str], ready: Callable[[], bool], **popen: Any) -> None:
    """Start a run in a session of its own, kill -9 it once ``ready()`` (as an OOM killer
    or an operator would), then its workers; the run must not have ended by itself."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, **popen)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if ready():
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # workers of this run only: its own group
    time.sleep(0.5)
