"""``declutter bulk``: a directory, WARC files or a URL, through the library's bulk runs."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from declutter.bulk import (
    BulkError,
    BulkInterrupted,
    BulkSummary,
    Progress,
    terminal_progress,
    write_atomically,
)
from declutter.bulk.sinks.choose import check_output_name
from declutter.bulk.sources.remote import has_credentials, is_url, redact_text
from declutter.cli.arguments import (
    EXIT_BUG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    PROG,
    _bulk_parser,
    _options,
)
from declutter.cli.page import _fail


def _bulk(argv: Sequence[str]) -> int:
    parser = _bulk_parser()
    args = parser.parse_args(argv)
    options = _options(args, parser)
    remote = is_url(args.input)
    source: str | Path = args.input if remote else Path(args.input)
    if remote and has_credentials(args.input):
        parser.error("the URL holds a user name or password: a command line is seen by "
                     "other users and kept in shell histories; give credentials in the "
                     "environment or fsspec's configuration instead (see docs/crawl.md)")
    if isinstance(source, Path) and not source.is_dir() and not source.is_file():
        parser.error(f"{source}: not a directory or a WARC file")
    if args.scheduler not in (None, "local") and args.jobs is not None:
        parser.error("--jobs sizes the local worker pool; drop it with --scheduler")
    if args.site_memory and args.resume:
        parser.error("--site-memory learns from every page, so its output would differ from "
                     "what a resumed run kept; run 'declutter learn' once and resume with --rules")
    try:
        check_output_name(args.output)
    except BulkError as error:
        parser.error(str(error))
    records = os.fspath(args.output).endswith((".jsonl", ".parquet"))
    if args.explain and not records and args.format not in ("json", "xml"):
        parser.error("--explain in bulk needs --format json or xml, or a .jsonl or .parquet "
                     "output")
    progress: Progress | None = None
    if not args.quiet:
        progress = terminal_progress(sys.stderr, interval=args.progress_every)
    previous = _terminate_as_interrupt()
    try:
        from declutter.bulk.job import run_job, site_memory_path

        memory = site_memory_path(args.output) if args.site_memory else None
        if memory is not None and not args.quiet:
            print(f"{PROG}: learning site memory into {memory}", file=sys.stderr, flush=True)
        summary = run_job(
            source,
            args.output,
            options=options,
            fmt=args.format,
            explain=args.explain,
            jobs=args.jobs,
            timeout=args.timeout or None,
            memory_limit=args.memory_limit or None,
            resume=args.resume,
            progress=progress,
            patterns=tuple(args.glob) if args.glob else None,
            errors=args.errors,
            scheduler=args.scheduler,
            explain_dir=args.explain_html,
            site_memory=memory,
        )
    except BulkInterrupted as interrupt:
        _report(interrupt.summary, quiet=False, json_path=args.summary_json)
        return EXIT_INTERRUPTED
    except (BulkError, ValueError, ImportError) as error:
        print(f"{PROG}: {redact_text(str(error)) if remote else error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:  # the error log or the output cannot be written (disk full...)
        return _fail(os.fspath(getattr(error, "filename", None) or args.output), error)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    _report(summary, quiet=args.quiet, json_path=args.summary_json)
    folder = isinstance(source, str) or source.is_dir()
    if summary.total == 0 and folder and not hasattr(summary, "warc_files"):
        patterns = " ".join(args.glob) if args.glob else "the default HTML patterns"
        print(f"{PROG}: no pages found under {redact_text(args.input) if remote else source} "
              f"(matching {patterns}; "
              "--glob chooses others)", file=sys.stderr)
    return _bulk_status(summary)


def _bulk_status(summary: BulkSummary) -> int:
    """A bug outranks failed pages: both are in the error log, only a bug is ours to fix."""
    if summary.bugs:
        return EXIT_BUG
    return EXIT_OK if summary.ok else EXIT_FAILED


def _report(summary: BulkSummary, *, quiet: bool, json_path: Path | None) -> None:
    if json_path is not None:
        try:
            text = json.dumps(summary.to_dict(), indent=2) + "\n"
            write_atomically(json_path, text.encode("utf-8"))
        except OSError as error:
            _fail(os.fspath(json_path), error)
    if quiet and summary.ok:
        return
    line = f"{PROG}: {summary.describe()}"
    if summary.peak_worker_rss:
        line += f"; peak worker memory {summary.peak_worker_rss / 2**20:.0f} MiB"
    print(line, file=sys.stderr, flush=True)


def _terminate_as_interrupt() -> Any:
    """SIGTERM stops a bulk run as Ctrl-C does: workers stopped, summary printed."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        return None
