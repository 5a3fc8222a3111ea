"""The environment of a ``declutter`` subprocess in the tests.

This checkout comes first on the path (benchmarks/ included), and nothing the
developer's shell may hold steers the run: no planted fault (the markers of
tests/faults) and no Dask scheduler, unless a test asks for one.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Variables that change what a ``declutter bulk`` run does.
STEERING = ("DECLUTTER_TEST_HANG_MARKER", "DECLUTTER_TEST_BUG_MARKER", "DASK_SCHEDULER_ADDRESS")


def child_env(**extra: str) -> dict[str, str]:
    """``os.environ`` for a subprocess, as the module says, with ``extra`` set."""
    env = {name: value for name, value in os.environ.items() if name not in STEERING}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env
