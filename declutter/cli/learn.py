"""``declutter learn``: a crawl's repeated blocks per site, as a rules file (site memory)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from declutter.bulk import BulkError, BulkInterrupted, Progress, terminal_progress
from declutter.bulk.sources.remote import has_credentials, is_url, redact_text
from declutter.cli.arguments import EXIT_FAILED, EXIT_INTERRUPTED, PROG, _learn_parser, _options
from declutter.cli.bulk import _bulk_status, _terminate_as_interrupt
from declutter.cli.page import _fail


def _learn(argv: Sequence[str]) -> int:
    parser = _learn_parser()
    args = parser.parse_args(argv)
    options = _options(args, parser)
    remote = is_url(args.input)
    if remote and has_credentials(args.input):
        parser.error("the URL holds a user name or password: give credentials in the "
                     "environment or fsspec's configuration instead (see docs/crawl.md)")
    if not remote and not os.path.exists(args.input):
        parser.error(f"{args.input}: not a directory or a WARC file")
    if args.output.suffix.lower() != ".toml":
        parser.error(f"{args.output}: learned rules are written as TOML; name it .toml")
    progress: Progress | None = None if args.quiet else terminal_progress(sys.stderr)
    previous = _terminate_as_interrupt()
    try:
        from declutter.bulk.learn import learn_rules

        learned = learn_rules(args.input, args.output, options=options, jobs=args.jobs,
                              timeout=args.timeout or None, progress=progress,
                              patterns=tuple(args.glob) if args.glob else None,
                              errors=args.errors)
    except BulkInterrupted:
        print(f"{PROG}: interrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (BulkError, ValueError, ImportError) as error:
        print(f"{PROG}: {redact_text(str(error)) if remote else error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        return _fail(os.fspath(getattr(error, "filename", None) or args.output), error)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if not args.quiet or not learned.run.ok:
        texts = sum(len(rule.repeated) for rule in learned.rules.sites)
        print(f"{PROG}: {learned.run.describe()}", file=sys.stderr)
        print(f"{PROG}: {len(learned.site_pages)} sites, {len(learned.rules.sites)} with "
              f"repeated blocks ({texts} texts) -> {learned.output}"
              + (f"; {learned.without_site} article pages without an address"
                 if learned.without_site else ""), file=sys.stderr)
    return _bulk_status(learned.run)
