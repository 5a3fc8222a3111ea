"""The ``declutter`` command: a thin shell over :mod:`declutter` and :mod:`declutter.bulk`.

Two ways in, as users reach for them: piping a page or a few files through
(``declutter page.html``, ``curl ... | declutter``), and cleaning a whole
directory of saved pages (``declutter bulk IN_DIR -o OUT``). Everything that
decides anything lives in the library; this module parses arguments, turns
errors into one-line messages and exit statuses, and formats for a terminal.

Exit status: 0 success, 1 a page failed (or a bulk run could not go on),
2 a usage error, 3 a bug of declutter (a page it failed on through no fault of
the page), 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

from declutter.cli.arguments import EXIT_BROKEN_PIPE, EXIT_BUG, EXIT_INTERRUPTED, PROG
from declutter.cli.bulk import _bulk
from declutter.cli.page import _fail, _pages
from declutter.cli.report import _explain_report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "bulk":
            return _bulk(args[1:])
        if args and args[0] == "explain":
            return _explain_report(args[1:])
        if args and args[0] == "learn":
            from declutter.cli.learn import _learn

            return _learn(args[1:])
        return _pages(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``declutter page.html | head``): not worth a traceback.
        # Point stdout at /dev/null so the interpreter's final flush does not fail too.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as error:  # writing the output failed (a full disk, a closed terminal)
        return _fail("output", error)
    except Exception as error:  # a bug of declutter outside any one page: said as one
        return _fail("bug", error)


__all__ = ["EXIT_BUG", "main"]
