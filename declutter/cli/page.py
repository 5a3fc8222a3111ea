"""``declutter PAGE...``: one page or a few, cleaned to standard output."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import IO

from declutter._model.article import Article
from declutter._model.errors import BUG, InputTooLargeError, failure_of
from declutter._stages.pipeline import run
from declutter.bulk import (
    article_record,
    guess_url,
    prepare_page,
    read_page,
    render_output,
    write_atomically,
)
from declutter.cli.arguments import EXIT_BUG, EXIT_FAILED, EXIT_OK, PROG, _main_parser, _options


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
