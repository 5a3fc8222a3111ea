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

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn

from declutter._model.article import Article
from declutter._model.errors import BUG, InputTooLargeError, RuleError, failure_of
from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter._rules.sitefile import RuleSet, load_rules, validate_selectors
from declutter._stages.pipeline import run
from declutter._version import __version__
from declutter.bulk import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_PATTERNS,
    DEFAULT_TIMEOUT,
    ERRORS_NAME,
    FORMATS,
    BulkError,
    BulkInterrupted,
    BulkSummary,
    Progress,
    article_record,
    default_jobs,
    guess_url,
    prepare_page,
    read_page,
    render_output,
    terminal_progress,
    write_atomically,
)
from declutter.bulk.progress import LINE_INTERVAL
from declutter.bulk.sinks.base import check_output_name
from declutter.bulk.sources.remote import has_credentials, is_url, redact_text

PROG = "declutter"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: A bug of declutter made a page fail: told apart from a bad page, so scripts and CI
#: notice it (the traceback is on standard error, or in the bulk error log).
EXIT_BUG = 3
#: What a program killed by SIGPIPE returns; used when the reader of stdout goes away.
EXIT_BROKEN_PIPE = 128 + 13

#: The on/off Options, each a --flag / --no-flag pair on the command line.
_FLAGS: tuple[tuple[str, str], ...] = (
    ("include_title", "put the page title on top of the text"),
    ("include_standfirst", "keep the standfirst (the summary under the headline) as the "
                           "first paragraph (default: on)"),
    ("keep_captions", "keep image and video captions and credits"),
    ("keep_tables", "keep the article's data tables (default: on)"),
    ("keep_comments", "keep reader comments"),
    ("articles_only", "output nothing for pages that are not one article, such as home "
                      "pages and search results (default: on; --no-articles-only gives the "
                      "best text found)"),
    ("fallback", "let trafilatura extract the pages declutter is unsure about (default: on)"),
    ("include_links", "keep links, with absolute addresses, in markdown, html, xml and tei "
                      "(default: on; the text never changes)"),
    ("include_formatting", "keep emphasis, strong text and inline code in markdown, html, "
                           "xml and tei (default: on)"),
    ("include_images", "keep images with their alt text, where captions are kept "
                       "(--keep-captions), in markdown, html, xml and tei (default: on)"),
)
#: Shorter names a Markdown user reaches for, beside the Options' own.
_ALIASES = {"include_links": "--links", "include_formatting": "--formatting",
            "include_images": "--images"}

#: The usage line names the subcommands too: a user who ran "declutter DIR" finds "bulk".
_MAIN_USAGE = f"""\
{PROG} [OPTIONS] [FILE ...]       clean pages (standard input when none)
       {PROG} bulk IN -o OUT [OPTIONS]   a directory, WARC files or a URL, in parallel
       {PROG} explain FILE [-o REPORT]   an HTML report of what was removed and why
       ({PROG} --help, {PROG} bulk --help, {PROG} explain --help for the options)"""

_MAIN_EPILOG = """\
examples:
  declutter < page.html > page.txt
  curl -s https://example.com/story | declutter --url https://example.com/story
  declutter page.html other.html.gz          # several pages, each under a ==> name <== line
  declutter --format json --explain page.html   # metadata and every removal, with its reason
  declutter --explain page.html > /dev/null     # only what was removed and why (stderr)
  declutter --format markdown -o story.md page.html
  declutter --rules site-rules.toml --url https://news.example.com/a page.html
  declutter explain page.html -o report.html    # see what was removed, in a browser

bulk processing of a directory (run "declutter bulk --help" for more):
  declutter bulk saved-pages/ -o texts/
  declutter bulk saved-pages/ -o corpus.jsonl --jobs 4 --resume

exit status: 0 success, 1 a page failed, 2 usage error, 3 a bug of declutter
(the traceback is printed; please report it), 130 interrupted.
A file literally named "bulk", "explain" or "-" can be given as ./bulk, ./explain or ./-.
"""

_BULK_EPILOG = f"""\
examples:
  declutter bulk saved-pages/ -o texts/                 # texts/a/b/story.txt per a/b/story.html
  declutter bulk saved-pages/ -o texts/ --resume        # finish an interrupted run
  declutter bulk saved-pages/ -o corpus.jsonl           # one JSON record per page, one file
  declutter bulk crawl/ -o out/ --glob '*.php' --glob '*.html' --timeout 10 --jobs 8
  declutter bulk saved-pages/ -o json/ --format json --explain
  declutter bulk saved-pages/ -o texts/ --explain-html reports/   # + reports/a/b/story.explain.html
  declutter bulk crawl.warc.gz -o pages.jsonl           # the HTML pages of a WARC file (or a
                                                        # directory of them); needs declutter[warc]
  declutter bulk crawl/ -o pages.jsonl --scheduler tcp://HOST:8786   # on a Dask cluster
  declutter bulk s3://bucket/crawl/ -o pages.parquet    # WARC files in S3 to a Parquet
                                                        # dataset; needs declutter[cloud,parquet]

Pages are found recursively ({", ".join(DEFAULT_PATTERNS[:4])}, also gzip-compressed,
matched case-insensitively). Every page ends either as an output or as a line
in OUT/{ERRORS_NAME} (NAME.errors.jsonl beside a JSONL output): path, error class,
message, kind ("page", or "bug" with a traceback when declutter itself failed).
Outputs are written to a temporary file and renamed, so a killed run leaves no
partial file; --resume skips pages whose output is complete and newer than the
page. Exit status: 0 every page done, 1 some page failed (see the error log),
2 usage error, 3 a bug of declutter failed some page (the run went on; the
error log has the traceback: please report it), 130 interrupted (run again
with --resume).
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with status 2 and one line, as argparse does, prefixed by our name."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}\n")


def _size(text: str) -> int:
    """A byte count: ``1500000``, ``512K``, ``20M``, ``2G`` (binary multiples)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 20M or 2G)")
    scale = 1024 ** " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * scale)


def _count(convert: Callable[[str], float], what: str, zero: str) -> Callable[[str], Any]:
    """An argument type: a number read by ``convert``, 0 (meaning ``zero``) or more."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be 0 ({zero}) or more")
        return value

    return parse


_seconds = _count(float, "a number of seconds", "no limit")
_jobs = _count(int, "a whole number", "in this process")


def _add_extraction_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("extraction options")
    for name, help_text in _FLAGS:
        names = [f"--{name.replace('_', '-')}"]
        if name in _ALIASES:
            names.append(_ALIASES[name])
        group.add_argument(*names, dest=name, default=None,
                           action=argparse.BooleanOptionalAction, help=help_text)
    group.add_argument("--drop", metavar="SELECTOR", action="append", default=[],
                       help="also remove elements matching this CSS selector (XPath when it "
                            "starts with / or '('); repeatable")
    group.add_argument("--keep", metavar="SELECTOR", action="append", default=[],
                       help="keep elements matching this selector even when a rule would "
                            "remove them; repeatable")
    group.add_argument("--rules", metavar="FILE", action="append", default=[], type=Path,
                       help="load per-site rules from a TOML or YAML file (see docs/rules.md); "
                            "repeatable")
    group.add_argument("--max-bytes", metavar="SIZE", type=_size, default=None,
                       help=f"refuse pages larger than this (default: "
                            f"{DEFAULT_OPTIONS.max_bytes // 2**20}M)")


def _main_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        usage=_MAIN_USAGE,
        description="Strip the boilerplate from news pages: print the article text.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="pages to clean (HTML, optionally gzip-compressed); '-' or none "
                             "reads standard input")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="write to FILE (replaced only once all pages are done) instead "
                             "of standard output")
    parser.add_argument("-f", "--format", choices=tuple(FORMATS), default="text",
                        help="text (default), markdown, json (the article with its metadata; "
                             "one object per line when there are several inputs), html, xml "
                             "(declutter's own schema, see docs/formats.md) or tei (TEI P5)")
    parser.add_argument("--url", help="the page's address: resolves links and selects "
                                      "per-site rules (default: read from the page if it says)")
    parser.add_argument("--explain", action="store_true",
                        help="report every removal and its reason: in the document with "
                             "--format json or xml, else on standard error")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no notes on standard error (errors are still reported)")
    parser.add_argument("--timeout", metavar="SECONDS", type=_seconds, default=0,
                        help="time limit per page: a page past it fails with TimeoutError "
                             "and exit status 1, and the next one starts (default: 0, none)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_extraction_options(parser)
    return parser


def _bulk_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{PROG} bulk",
        description="Clean every page of a directory tree, or of WARC files, into a "
                    "mirrored tree, one JSONL file or a Parquet dataset, in parallel worker "
                    "processes (or on a Dask cluster).",
        epilog=_BULK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="IN",
                        help="directory of saved pages, or a WARC file or directory of WARC "
                             "files; or the URL of one (s3://, gs://, https://, file://...: "
                             "needs declutter[cloud]; credentials come from the environment "
                             "or fsspec's configuration, never from the URL)")
    parser.add_argument("-o", "--output", metavar="OUT", type=Path, required=True,
                        help="output directory, a file ending in .jsonl for one JSON record "
                             "per page (path, url, metadata, text), .csv for one CSV row per "
                             "page (the same fields), or a name ending in "
                             ".parquet for a Parquet dataset of the same records (a directory "
                             "of part files; needs declutter[parquet])")
    parser.add_argument("-f", "--format", choices=tuple(FORMATS), default="text",
                        help="output format; sets the extension of mirrored files (.txt, .md, "
                             ".json, .html, .xml, .tei.xml) and adds markdown/html/xml/tei/blocks "
                             "to JSONL and Parquet records")
    parser.add_argument("--glob", metavar="PATTERN", action="append", default=None,
                        help="file name pattern to process instead of the HTML defaults "
                             "(matched against the relative path when it has a /); repeatable")
    parser.add_argument("-j", "--jobs", metavar="N", type=_jobs, default=None,
                        help=f"worker processes (default: all {default_jobs()} CPUs; 0 runs "
                             "in this process without time or memory limits)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask cluster at ADDRESS (tcp://HOST:8786; default: "
                             "$DASK_SCHEDULER_ADDRESS unless --jobs is given; 'local': this "
                             "machine); needs declutter[dask]")
    parser.add_argument("--timeout", metavar="SECONDS", type=_seconds, default=DEFAULT_TIMEOUT,
                        help=f"time limit per page; a worker past it is killed and replaced "
                             f"(default: {DEFAULT_TIMEOUT:g}; 0: none)")
    parser.add_argument("--memory-limit", metavar="SIZE", type=_size,
                        default=DEFAULT_MEMORY_LIMIT,
                        help=f"a worker using more memory is replaced, and a page needing more "
                             f"fails with MemoryError (default: {DEFAULT_MEMORY_LIMIT // 2**30}G; "
                             "0: none)")
    parser.add_argument("--resume", action="store_true",
                        help="skip pages whose output is complete and newer than the page")
    parser.add_argument("--errors", metavar="FILE", type=Path,
                        help=f"where to log failed pages (default: OUT/{ERRORS_NAME})")
    parser.add_argument("--explain", action="store_true",
                        help="add every removal and its reason to each record (needs "
                             "--format json or xml, or a .jsonl or .parquet output)")
    parser.add_argument("--explain-html", metavar="DIR", type=Path,
                        help="also write each page's explain report (as 'declutter explain' "
                             "makes) to DIR, at the page's mirrored path with the extension "
                             ".explain.html; DIR must be outside an output directory")
    parser.add_argument("--summary-json", metavar="FILE", type=Path,
                        help="also write the run's summary (counts, seconds, pages/s, peak "
                             "worker memory) as JSON, for scripts and benchmarks")
    parser.add_argument("--progress-every", metavar="SECONDS", type=_seconds,
                        default=LINE_INTERVAL,
                        help="when standard error is not a terminal, print a progress line "
                             f"this often (default: {LINE_INTERVAL:g}; a terminal gets a live "
                             "bar)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress and no summary unless a page failed")
    _add_extraction_options(parser)
    return parser


def _options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Options:
    """The Options the flags ask for, with --rules files and --drop/--keep checked now."""
    changes: dict[str, Any] = {
        name: getattr(args, name) for name, _ in _FLAGS if getattr(args, name) is not None
    }
    if args.max_bytes is not None:
        if args.max_bytes <= 0:
            parser.error("--max-bytes must be positive")
        changes["max_bytes"] = args.max_bytes
    options = DEFAULT_OPTIONS.replace(drop=tuple(args.drop), keep=tuple(args.keep), **changes)
    try:
        validate_selectors(RuleSet(options.drop, options.keep), "--drop/--keep")
        rules = RuleSet()
        for path in args.rules:
            rules = rules + load_rules(path)
    except RuleError as error:
        parser.error(str(error))
    return rules.apply(options)


# --------------------------------------------------------------------------- one page or a few


def _read_input(name: str, max_bytes: int) -> bytes:
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InputTooLargeError(f"input is over the size limit of {max_bytes} bytes")
        return prepare_page(data, max_bytes)
    return read_page(name, max_bytes)


def _render(article: Article, fmt: str, *, explain: bool, path: str | None,
            one_line: bool) -> str:
    record = article_record(article, fmt=fmt, explain=explain)
    if path is not None and fmt == "json":
        record = {"path": path, **record}
    return render_output(record, fmt, one_line=one_line, empty_without_text=True)


#: Widest rule column in --explain's table: most rule names fit, and a long one
#: pushes only its own excerpt to the right.
_RULE_COLUMN = 32


def _explain(article: Article, label: str, stream: IO[str]) -> None:
    """Removals as aligned columns people can scan: category, rule, excerpt."""
    removed = article.removed
    print(f"{PROG}: {label}: {len(removed)} removal{'s' * (len(removed) != 1)}", file=stream)
    if not removed:
        return
    width = max(len(item.category) for item in removed)
    rule_width = min(_RULE_COLUMN, max(len(item.rule) for item in removed))
    for item in removed:
        excerpt = item.excerpt or (f"<{item.tag}>" if item.tag else "")
        print(f"  {item.category:<{width}}  {item.rule:<{rule_width}}  {excerpt}", file=stream)


def _pages(argv: Sequence[str]) -> int:
    parser = _main_parser()
    args = parser.parse_args(argv)
    options = _options(args, parser)
    names: list[str] = [os.fspath(name) for name in args.files] or ["-"]
    if names.count("-") > 1:
        parser.error("standard input ('-') can be read only once")
    if args.url and len(names) > 1:
        parser.error("--url gives the address of one page; pass one input with it")
    if args.timeout and not _can_time_out():
        parser.error("--timeout needs a system with interval timers (SIGALRM), in the main "
                     "thread; use 'declutter bulk --timeout', whose workers are killed instead")
    several = len(names) > 1
    pieces: list[str] = []
    status = EXIT_OK
    out = None if args.output else sys.stdout.buffer
    for index, name in enumerate(names):
        label = "<stdin>" if name == "-" else name
        try:
            with _deadline(args.timeout):
                data = _read_input(name, options.max_bytes)
                article = run(data, args.url or guess_url(data), options, full=True)
        except Exception as error:  # a bad page, or a bug: reported, and the others go on
            status = max(status, _fail(label, error, hint=_hint(name, error)))
            continue
        if args.explain and args.format not in ("json", "xml"):
            _explain(article, label, sys.stderr)
        if not article.text and not args.quiet and options.articles_only and not article.is_article:
            print(f"{PROG}: {label}: no article found (--no-articles-only gives the best text "
                  "anyway)", file=sys.stderr)
        text = _render(article, args.format, explain=args.explain,
                       path=None if name == "-" else name, one_line=several)
        if several and args.format != "json":
            text = ("\n" if index else "") + f"==> {label} <==\n" + text
        if out is None:
            pieces.append(text)
        else:
            out.write(text.encode("utf-8", "replace"))
            out.flush()
    if args.output is not None and pieces:
        try:
            write_atomically(args.output, "".join(pieces).encode("utf-8", "replace"))
        except OSError as error:
            return max(status, _fail(os.fspath(args.output), error))
    return status


def _can_time_out() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeoutError` in the block once ``seconds`` have passed (0: never).

    An interval timer's signal interrupts the page between two Python steps: every
    stage is a loop over the page's elements in Python, and no single call into lxml
    lasts long on a page under the size limit, so the deadline is kept to a fraction
    of a second. A TimeoutError is an OSError: a page problem, exit status 1.
    """
    if not seconds:
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"no result after {seconds:g} s (--timeout)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _hint(name: str, error: BaseException) -> str:
    """What to do instead, for the failures a command line can do something about."""
    if isinstance(error, IsADirectoryError):
        return f" (for every page of a directory: {PROG} bulk {name} -o OUT)"
    if isinstance(error, InputTooLargeError):
        return " (--max-bytes SIZE raises the limit, e.g. --max-bytes 40M)"
    return ""


def _fail(label: str, error: BaseException, *, hint: str = "") -> int:
    """Say on standard error why ``label`` failed; the exit status it calls for.

    A bug of declutter (see :func:`declutter._model.errors.failure_of`) also gets its
    traceback and its own status, so it is never taken for a bad page.
    """
    failure = failure_of(error)
    print(f"{PROG}: {label}: {failure.error}: {failure.message}{hint}", file=sys.stderr)
    if failure.kind != BUG:
        return EXIT_FAILED
    print(f"{PROG}: this is a bug of declutter, not a problem of the page; please report it "
          f"with this traceback:\n{failure.traceback}", end="", file=sys.stderr)
    return EXIT_BUG


# --------------------------------------------------------------------------- bulk


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
        from declutter.bulk.job import run_job

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


# --------------------------------------------------------------------------- explain report


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


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "bulk":
            return _bulk(args[1:])
        if args and args[0] == "explain":
            return _explain_report(args[1:])
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


__all__ = ["main"]
