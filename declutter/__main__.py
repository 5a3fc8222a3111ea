"""``python -m declutter``: the same command as the ``declutter`` console script."""

from __future__ import annotations

from declutter.cli import main

if __name__ == "__main__":  # also imported by worker processes, which must not run it
    raise SystemExit(main())
