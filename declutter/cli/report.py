"""``declutter explain``: the explain report of a page, as a file to open in a browser."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from declutter.bulk import (
    guess_url,
    write_atomically,
)
from declutter.cli.arguments import EXIT_OK, PROG, _add_extraction_options, _options, _Parser
from declutter.cli.page import _fail, _hint, _read_input


def _explain_report(argv: Sequence[str]) -> int:
    """``declutter explain``: one page as an HTML report of what was removed and why."""
    parser = _Parser(
        prog=f"{PROG} explain",
        description="Write a self-contained HTML report of one page: the page as declutter "
                    "saw it (sanitised, nothing loads or runs), every removed element "
                    "outlined with the rule that fired, the kept text, and a table of removals.",
    )
    parser.add_argument("file", metavar="FILE", help="the page ('-' reads standard input)")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="write the report to FILE instead of standard output")
    parser.add_argument("--url", help="the page's address: selects per-site rules (default: "
                                      "read from the page if it says)")
    _add_extraction_options(parser)
    args = parser.parse_args(argv)
    options = _options(args, parser)
    label = "<stdin>" if args.file == "-" else args.file
    try:
        data = _read_input(args.file, options.max_bytes)
        from declutter._report.explain import (
            explain_html,  # the report builder loads only for this command
        )

        report = explain_html(data, url=args.url or guess_url(data), options=options)
        if args.output is None:
            sys.stdout.buffer.write(report.encode("utf-8"))
            sys.stdout.flush()
        else:
            write_atomically(args.output, report.encode("utf-8"))
    except Exception as error:  # a bad page, or a bug: said apart, with their own status
        return _fail(label, error, hint=_hint(args.file, error))
    return EXIT_OK
