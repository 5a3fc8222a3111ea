"""The command line's arguments: parsers, flags, and the Options they make."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from declutter._model.errors import RuleError
from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter._rules.sitefile import RuleSet, load_rules, validate_selectors
from declutter._version import __version__
from declutter.bulk import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_PATTERNS,
    DEFAULT_TIMEOUT,
    ERRORS_NAME,
    FORMATS,
    default_jobs,
)
from declutter.bulk.progress import LINE_INTERVAL

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
       {PROG} learn IN -o RULES.toml     the boilerplate each site of a crawl repeats
       ({PROG} --help, {PROG} bulk --help, {PROG} explain --help, {PROG} learn --help
       for the options)"""

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
A file literally named "bulk", "explain", "learn" or "-" can be given as ./bulk, ./explain,
./learn or ./-.
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
    parser.add_argument("--site-memory", action="store_true",
                        help="read the input twice: first learn what each site repeats on its "
                             "pages (as 'declutter learn'; written beside the output as "
                             "NAME.site-rules.toml), then clean with it (docs/rules.md)")
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


def _learn_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{PROG} learn",
        description="Learn the block texts each site of a crawl repeats on its pages (a "
                    "tagline, a standing notice written as a paragraph) and write them as a "
                    "rules file to review and use with --rules (see docs/rules.md, Site "
                    "memory).",
        epilog="example:\n  declutter learn saved-pages/ -o site-rules.toml\n"
               "  declutter bulk saved-pages/ -o texts/ --rules site-rules.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="IN",
                        help="directory of saved pages, WARC file(s), or the URL of either, "
                             "as for 'declutter bulk'")
    parser.add_argument("-o", "--output", metavar="RULES", type=Path, required=True,
                        help="the rules file to write (.toml)")
    parser.add_argument("--glob", metavar="PATTERN", action="append", default=None,
                        help="file name pattern to read instead of the defaults; repeatable")
    parser.add_argument("-j", "--jobs", metavar="N", type=_jobs, default=None,
                        help=f"worker processes (default: all {default_jobs()} CPUs; 0 runs "
                             "in this process)")
    parser.add_argument("--timeout", metavar="SECONDS", type=_seconds, default=DEFAULT_TIMEOUT,
                        help=f"time limit per page (default: {DEFAULT_TIMEOUT:g}; 0: none)")
    parser.add_argument("--errors", metavar="FILE", type=Path,
                        help="where to log failed pages (default: RULES.errors.jsonl beside "
                             "the output)")
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
