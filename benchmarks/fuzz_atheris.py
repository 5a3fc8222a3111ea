"""Coverage-guided fuzzing of declutter with atheris (libFuzzer), when it is installed.

Run through ``python -m benchmarks.fuzz --engine atheris --minutes N``, which
starts this module with libFuzzer's time limit and reports libFuzzer's count of
inputs. Hypothesis (the default engine) explores the shapes we thought of;
libFuzzer mutates towards the branches no input has reached yet, which finds
the shapes we did not. Each input is cleaned as bytes and, decoded, as str,
and checked with the test suite's invariants; an exception other than a
DeclutterError, or a broken invariant, is a crash that libFuzzer saves.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "robustness"))

with atheris.instrument_imports(include=["declutter"]):
    from _robust import run_both

    import declutter

OPEN = declutter.Options(articles_only=False, include_title=True)


def test_one_input(data: bytes) -> None:
    run_both(data)
    run_both(data.decode("utf-8", "surrogateescape"), OPEN)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
