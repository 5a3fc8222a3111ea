"""declutter's benchmark: extraction quality and speed against other extractors.

Run ``python -m benchmarks.run`` from the repository root. The annotated pages
are read at run time from ``../shared/bench`` (see ``--bench-dir``) and are
never copied into the repository; the repository's own golden pages in
``samples/`` are scored too. The metrics live in :mod:`benchmarks.metrics`,
the page loading and HTML-to-text conversion in :mod:`benchmarks.datasets`,
the extractors under test in :mod:`benchmarks.tools`.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout the benchmarks run from.
REPO_ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    """This process's environment for a measured child process, with the checkout
    first on the import path, so the child imports the declutter under test."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env
