"""Fuzzing declutter: the input strategies, and a long run of them.

``tests/robustness/test_fuzz.py`` runs these strategies for a few dozen
examples each in CI. ``python -m benchmarks.fuzz --minutes N`` runs them in
rounds until N minutes have passed, counting every input tried and every
failure (an exception other than a DeclutterError, or a broken output
invariant), and prints the totals; failures are written with the input
Hypothesis shrank them to. The only outcomes allowed for a str or bytes page
are a result that passes the invariants of ``tests/robustness/_robust.py`` or a
:class:`declutter.DeclutterError`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import declutter

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / "samples"

# --------------------------------------------------------------------------- strategies

#: Characters that break naive text handling: controls, separators, bidi overrides,
#: noncharacters, the BOM, surrogates, astral symbols.
ODD_CHARACTERS = (
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\xa0",
    "\xad", "\u2028", "\u2029", "\u200b", "\u200d", "\u202e", "\ufeff", "\ufffd", "\ufffe",
    "\uffff", "\ud800", "\udc00", "\udfff", "\U0001f600", "\U0010ffff", "é", "ж", "中", "\t",
    "\n", " ",
)

#: Markup that reaches the parser's corners, and declutter's own (charsets, JSON-LD).
FRAGMENTS = (
    "<html>", "</html>", "<head>", "</head>", "<body>", "</body>", "<p>", "</p>", "<br>",
    "<div class='article-body'>", "<div class=ad>", "</div>", "<article>", "</article>",
    "<main>", "<section id=comments>", "<nav>", "<footer>", "<aside>", "<h1>", "</h1>",
    "<ul><li>", "</li></ul>", "<table>", "<tr>", "<td colspan=2147483648 rowspan=-1>",
    "</table>", "<pre>", "</pre>", "<blockquote>", "<figure><figcaption>", "<span>", "<b>",
    "<a href='javascript:alert(1)'>", "</a>", "<img src=x onerror=alert(1)>",
    "<script>", "</script>", "<style>", "</style>", "<noscript>", "<template>", "<xmp>",
    "<textarea>", "<title>", "</title>", "<plaintext>", "<iframe srcdoc='<p>x'>",
    "<svg><foreignObject><p>", "<math><mi><table>", "<select><option>", "<frameset>",
    "<!--", "-->", "<!-->", "<![CDATA[", "]]>", "<!DOCTYPE html>", "<!doctype x [",
    "<!ENTITY e SYSTEM 'file:///etc/hostname'>", "]>", "&e;", "<?xml version='1.0'?>",
    "<?xml version='1.0' encoding='utf-16'?>", "<?php echo 1 ?>", "<base href='file:///'>",
    "<meta charset=utf-7>", "<meta charset=rot13>", "<meta charset=base64>",
    "<meta charset=windows-1251>", "<meta http-equiv=content-type content='text/html; "
    "charset=shift_jis'>", "+ADw-script+AD4-", "<html lang='en\" onload=\"x'>",
    "<meta property=og:type content=article>", "<meta name=author content='By A and B'>",
    "<time datetime='2024-02-30T25:61:00+99:00'>", "<link rel=canonical href='/a/../b'>",
    "<script type='application/ld+json'>", '{"@type":"NewsArticle","author":[{"name":',
    '"@graph":[[[[', "]]]]}", "&amp;", "&lt;", "&nbsp;", "&#0;", "&#x1b;", "&#xD800;",
    "&#x110000;", "&#99999999999;", "&#128;", "&#x9d;", "&", "<", ">", "\"", "'", "=",
    "/", "<p hidden>", "<div style='display:none'>", "<div aria-hidden=true>",
    "Advertisement", "Read more", "Share on Facebook", "By Jane Doe",
    "The council approved the budget for the new harbour wall on Tuesday evening. ",
)

_CLASSES = ("", "ad", "article-body", "entry-content", "share", "related", "comments", "nav",
            "hidden", "caption", "byline", "newsletter", "paywall", "cookie", "story", "x" * 300)
_ATTRIBUTE_NAMES = ("class", "id", "style", "hidden", "role", "aria-hidden", "itemprop",
                    "property", "name", "content", "rel", "href", "src", "colspan", "rowspan",
                    "lang", "type", "datetime", "onclick", "data-x", "xmlns", "xml:lang")
_ATTRIBUTE_VALUES = (*_CLASSES, "display:none", "visibility:hidden", "javascript:alert(1)",
                     "file:///etc/passwd", "http://[::1", "0", "-1", "99999999999999999999",
                     "1e308", "NaN", "\"'><script>", "&quot;&#0;", "article", "NewsArticle")
_TAGS = ("div", "p", "span", "a", "b", "i", "em", "article", "section", "main", "header",
         "footer", "nav", "aside", "ul", "ol", "li", "table", "tbody", "tr", "td", "th", "h1",
         "h2", "h3", "h6", "blockquote", "pre", "code", "figure", "figcaption", "script",
         "style", "noscript", "template", "iframe", "svg", "math", "select", "option",
         "textarea", "form", "button", "br", "hr", "img", "time", "dl", "dt", "dd", "font",
         "center", "object", "title", "meta", "link", "base", "head", "body", "html", "xmp",
         "ruby", "rt", "custom-element", "x:y", "P", "DIV")


def hostile_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Any text, lone surrogates included, weighted towards characters that break things."""
    anything = st.characters()
    surrogate = st.characters(categories=["Cs"])
    odd = st.sampled_from(ODD_CHARACTERS)
    return st.text(st.one_of(odd, anything, surrogate, st.characters(max_codepoint=0x7f)),
                   max_size=max_size)


def markup_soup(max_parts: int = 60) -> st.SearchStrategy[str]:
    """Fragments of markup and hostile text in any order, balanced or not."""
    part = st.one_of(st.sampled_from(FRAGMENTS), hostile_text(24))
    return st.lists(part, max_size=max_parts).map("".join)


def _attribute() -> st.SearchStrategy[str]:
    value = st.one_of(st.sampled_from(_ATTRIBUTE_VALUES), hostile_text(12))
    quote = st.sampled_from(['"', "'", ""])
    return st.builds(
        lambda name, val, q: f" {name}" if val is None else f" {name}={q}{val}{q}",
        st.sampled_from(_ATTRIBUTE_NAMES), st.none() | value, quote,
    )


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, attributes: list[str], inner: list[str], close: bool) -> str:
        end = f"</{tag}>" if close else ""
        return f"<{tag}{''.join(attributes)}>{''.join(inner)}{end}"

    return st.builds(build, st.sampled_from(_TAGS), st.lists(_attribute(), max_size=4),
                     st.lists(children, max_size=5), st.booleans())


def page_trees() -> st.SearchStrategy[str]:
    """Whole documents: a head with metadata and a body of generated element trees."""
    sentence = st.sampled_from((
        "The council approved the budget for the new harbour wall on Tuesday evening.",
        "Engineers said the work would take two years and cost more than planned.",
        "Residents asked why the ferry would leave from a temporary pier.",
        "Advertisement", "Share this article", "Read more:", "© 2026 The Ledger",
    ))
    leaf = st.one_of(sentence, hostile_text(40), st.sampled_from(FRAGMENTS))
    tree = st.recursive(leaf, _element, max_leaves=40)
    head = st.lists(st.sampled_from(FRAGMENTS[-30:] + FRAGMENTS[:12]), max_size=6)
    return st.builds(
        lambda h, body: f"<!DOCTYPE html><html><head>{''.join(h)}</head><body>"
                        f"{''.join(body)}</body></html>",
        head, st.lists(tree, min_size=1, max_size=6),
    )


#: User selectors, valid and not.
_SELECTORS = (".ad", "p:first-child", "div > span", "//div[@id]", "(//p)[1]", "*", "[hidden]",
              "p:contains(x)", "::before", "[", "//p[", "a[href^=javascript]",
              "p:nth-child(2n+1)", "")


def option_sets() -> st.SearchStrategy[declutter.Options]:
    """Every switch of Options, user selectors valid and invalid, small size limits."""
    return st.builds(
        declutter.Options,
        include_title=st.booleans(), keep_captions=st.booleans(), keep_tables=st.booleans(),
        keep_comments=st.booleans(), articles_only=st.booleans(), fallback=st.booleans(),
        drop=st.lists(st.sampled_from(_SELECTORS), max_size=2),
        keep=st.lists(st.sampled_from(_SELECTORS), max_size=2),
        max_bytes=st.one_of(st.just(declutter.Options().max_bytes), st.integers(1, 100_000)),
    )


_SAMPLES: list[bytes] = []


def sample_pages() -> list[bytes]:
    if not _SAMPLES:
        _SAMPLES.extend(path.read_bytes() for path in sorted(SAMPLES_DIR.glob("*/page.html")))
    return _SAMPLES


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    """A golden page with a few byte-level mutations: what damaged downloads look like."""
    pages = sample_pages()
    data = bytearray(draw(st.sampled_from(pages)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(("flip", "delete", "insert", "duplicate", "truncate",
                                     "splice", "fragment", "encode")))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        span = draw(st.integers(1, 4096))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "delete":
            del data[at:at + span]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "duplicate":
            data[at:at] = data[at:at + span] * draw(st.integers(1, 20))
        elif kind == "truncate":
            del data[at:]
        elif kind == "splice":
            other = draw(st.sampled_from(pages))
            start = draw(st.integers(0, max(0, len(other) - 1)))
            data[at:at + span] = other[start:start + span]
        elif kind == "fragment":
            data[at:at] = draw(st.sampled_from(FRAGMENTS)).encode("utf-8")
        elif kind == "encode":
            chunk = bytes(data[at:at + span]).decode("utf-8", "replace")
            data[at:at + span] = chunk.encode(draw(st.sampled_from(
                ("cp1252", "utf-16-le", "cp1251", "koi8-r"))), "replace")
    return bytes(data)


# --------------------------------------------------------------------------- the long run


def _checker() -> Callable[[str | bytes, declutter.Options | None], None]:
    sys.path.insert(0, str(REPO_ROOT / "tests" / "robustness"))
    from _robust import run_both  # the same invariants as the test suite

    return run_both  # type: ignore[no-any-return]


def _targets(check: Callable[..., None]) -> dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]:
    return {
        "bytes": (lambda data: check(data, None), (st.binary(max_size=4096),)),
        "text": (lambda text: check(text, None), (hostile_text(2048),)),
        "soup": (lambda page: check(page, None), (markup_soup(),)),
        "trees": (check, (page_trees(), option_sets())),
        "samples": (lambda page: check(page, None), (mutated_samples(),)),
    }


def _make_test(name: str, function: Callable[..., Any], strategies: tuple[Any, ...],
               counts: dict[str, int], examples: int) -> Callable[[], None]:
    """One Hypothesis test of ``function`` that counts the inputs it is given."""

    def counted(values: tuple[Any, ...]) -> None:
        counts[name] += 1
        function(*values)

    return settings(max_examples=examples, deadline=None, database=None,  # type: ignore[no-any-return]
                    suppress_health_check=list(HealthCheck),
                    report_multiple_bugs=False)(given(st.tuples(*strategies))(counted))


def run_atheris(minutes: float, artifacts: Path) -> int:
    """The coverage-guided run (``benchmarks/fuzz_atheris.py``), seeded with the samples."""
    artifacts.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as corpus:
        for index, page in enumerate(sample_pages()):
            Path(corpus, f"sample-{index:02d}").write_bytes(page)
        command = [sys.executable, "-m", "benchmarks.fuzz_atheris", corpus,
                   f"-max_total_time={max(1, int(minutes * 60))}", "-max_len=131072",
                   "-timeout=60", "-rss_limit_mb=4096", "-print_final_stats=1",
                   f"-artifact_prefix={artifacts}{os.sep}"]
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                                check=False)
    executed = re.search(r"stat::number_of_executed_units:\s*(\d+)", result.stderr)
    count = int(executed.group(1)) if executed else 0
    crashed = result.returncode != 0
    print(f"atheris: {count:,} inputs in {minutes:g} minutes, "
          f"{1 if crashed else 0} failures" + (f" (inputs saved in {artifacts})" if crashed
                                               else ""))
    if crashed:
        print(result.stderr[-4000:], file=sys.stderr)
    return 1 if crashed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    parser.add_argument("--engine", choices=("hypothesis", "atheris"), default="hypothesis",
                        help="hypothesis strategies (default) or coverage-guided atheris "
                             "(pip install atheris)")
    parser.add_argument("--round", type=int, default=200,
                        help="examples per strategy and round (default 200)")
    parser.add_argument("--failures", type=Path, default=Path("fuzz-failures.jsonl"),
                        help="where to write failures (default fuzz-failures.jsonl)")
    args = parser.parse_args(argv)
    if args.engine == "atheris":
        return run_atheris(args.minutes, args.failures.with_suffix(".atheris"))

    check = _checker()
    counts = dict.fromkeys(_targets(check), 0)
    failures: list[dict[str, str]] = []
    deadline = time.monotonic() + args.minutes * 60
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        for name, (function, strategies) in _targets(check).items():
            if time.monotonic() >= deadline:
                break

            test = _make_test(name, function, strategies, counts, args.round)
            try:
                test()
            except InvalidArgument:
                raise  # a mistake in this harness, not a finding
            except Exception as error:  # a failure to record, then go on fuzzing
                notes = "\n".join(getattr(error, "__notes__", []))
                failures.append({
                    "strategy": name,
                    "error": f"{type(error).__name__}: {str(error)[:500]}",
                    "example": notes[:4000],
                    "traceback": "".join(traceback.format_exception(error))[-4000:],
                })
                print(f"FAILURE in {name}: {type(error).__name__}: {str(error)[:200]}",
                      file=sys.stderr, flush=True)
        total = sum(counts.values())
        print(f"round {rounds}: {total:,} inputs, {len(failures)} failures", file=sys.stderr,
              flush=True)
    total = sum(counts.values())
    if failures:
        with args.failures.open("w", encoding="utf-8") as out:
            for failure in failures:
                out.write(json.dumps(failure) + "\n")
    print("| strategy | inputs |")
    print("|---|---:|")
    for name, count in counts.items():
        print(f"| {name} | {count:,} |")
    print(f"| **total** | **{total:,}** |")
    print(f"\n{total:,} inputs in {args.minutes:g} minutes, {len(failures)} failures"
          + (f" (written to {args.failures})" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
