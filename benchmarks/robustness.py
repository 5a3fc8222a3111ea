"""Robustness benchmark: time and peak memory on pathological pages, and a memory soak.

Run ``python -m benchmarks.robustness`` from the repository root. Every case
runs in a fresh process, so its peak resident size (``ru_maxrss``) is its own;
the table gives the input size, the time of the ``clean()`` call, the peak
resident size and how much of it the call added over the process with the
page already built. The soak cleans 10,000 pages (the samples, each made
unique) in one process and reports the resident size after 1,000 and after
10,000 pages: a leak shows as a difference between the two.

The cases are defined here once and imported by ``tests/robustness`` at a
smaller ``scale``: the tests prove the property cheaply in CI, this module
measures it at full size.
"""

from __future__ import annotations

import argparse
import codecs
import gc
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / "samples"

# --------------------------------------------------------------------------- page parts

#: Article paragraphs: long enough that the filter keeps them as body text.
PARAGRAPHS = (
    "The regional water board said on Monday that the reservoir above the valley had "
    "reached its lowest level in thirty years, and asked residents to cut their use by a fifth.",
    "Farmers in the lower valley have already been told that irrigation will be rationed from "
    "next month, a decision their association called late but unavoidable after a dry winter.",
    "Engineers are studying whether an old pipeline from the northern lakes could be brought "
    "back into service, although the board warned that repairs would take at least a year.",
    "In the meantime the town council will open two emergency wells and publish the reservoir "
    "level every morning on its website and on the notice board outside the town hall.",
)
#: The last body paragraph, after the start tags of the pathological markup: seeing
#: its word "zanzibarite" in the output proves the parser did not stop early.
SENTINEL_SENTENCE = (
    "The closing paragraph of this page says that the sentinel word zanzibarite was "
    "read, which it can only be if the parser went on to the very end of the document."
)


def article(extra_before: str = "", extra_after: str = "") -> str:
    """A small, valid news article with room for hostile markup around its body."""
    body = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Reservoir at lowest level in thirty years</title></head><body>"
        "<article><h1>Reservoir at lowest level in thirty years</h1>"
        f"{extra_before}{body}<p>{SENTINEL_SENTENCE}</p>{extra_after}</article></body></html>"
    )


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One pathological input. ``build(scale)`` returns the page and the max_bytes to use.

    ``scale`` 1.0 is the size the issue names (100,000 deep, a million siblings,
    50 MB); the tests use small scales. ``refused`` cases must raise
    :class:`declutter.InputTooLargeError`; the others must return text, and
    those with ``sentinel`` must keep the closing paragraph.
    """

    name: str
    description: str
    build: Callable[[float], tuple[str | bytes, int | None]]
    refused: bool = False
    sentinel: bool = True
    extract: bool = False
    tags: tuple[str, ...] = field(default=())


def _n(scale: float, full: int, minimum: int = 1) -> int:
    return max(minimum, int(full * scale))


def _deep(open_tags: str, close_tags: str) -> Callable[[float], tuple[str, None]]:
    def build(scale: float) -> tuple[str, None]:
        n = _n(scale, 100_000, 300)
        return article(open_tags * n, close_tags * n), None

    return build


def _deep_unclosed(scale: float) -> tuple[str, None]:
    n = _n(scale, 100_000, 300)
    return article("<div><section><span>" * n), None


def _siblings_p(scale: float) -> tuple[str, None]:
    n = _n(scale, 200_000, 100)
    filler = "".join(f"<p>Short line {i} of a very long generated page.</p>" for i in range(n))
    return article(extra_after=filler), None


def _siblings_million(scale: float) -> tuple[str, None]:
    n = _n(scale, 1_000_000, 100)
    return article(extra_after="<div>" + "<i>w</i>" * n + "</div>"), None


def _big_page(scale: float) -> tuple[bytes, None]:
    size = _n(scale, 50 * 1024 * 1024, 21 * 1024 * 1024)  # always over the 20 MiB default
    row = b"<tr><td>cell</td><td>42</td><td>another cell</td></tr>"
    page = article().encode()
    return page + row * (size // len(row) + 1), None


def _tables_under_limit(scale: float) -> tuple[bytes, None]:
    size = _n(scale, 19 * 1024 * 1024, 50_000)
    row = b"<tr><td>cell</td><td>42</td><td>another cell</td></tr>"
    tables = b"<table>" + row * (size // len(row)) + b"</table>"
    return article(extra_after=tables.decode()).encode(), None


def _text_node(scale: float) -> tuple[str, int]:
    size = _n(scale, 20 * 1024 * 1024, 1000)
    words = "data " * (size // 5)
    return article(extra_after=f"<pre>{words}</pre>"), size + 64 * 1024


def _attributes(scale: float) -> tuple[str, None]:
    n = _n(scale, 100_000, 100)
    attrs = " ".join(f'data-a{i}="{i}"' for i in range(n))
    return article(f"<div {attrs}>") + "</div>", None


def _colspan(scale: float) -> tuple[str, None]:
    n = _n(scale, 10_000, 10)
    rows = "".join(
        f'<tr><td colspan="{2**31 - 1}" rowspan="999999999">a{i}</td>'
        f'<td colspan="-5">b</td><td colspan="1e9">c</td></tr>'
        for i in range(n)
    )
    return article(extra_after=f"<table>{rows}</table>"), None


def _unterminated(opening: str) -> Callable[[float], tuple[str, None]]:
    def build(scale: float) -> tuple[str, None]:
        filler = "x <p>not markup</p> " * _n(scale, 100_000, 10)
        return article() + opening + filler, None

    return build


def _nul_bytes(scale: float) -> tuple[bytes, None]:
    n = _n(scale, 100_000, 10)
    noise = "<p>nul\x00in\x00text</p><d\x00iv>x</div><p a\x00b=1>y</p>" * n
    return article(extra_after=noise).encode(), None


def _surrogates(scale: float) -> tuple[str, None]:
    n = _n(scale, 100_000, 10)
    return article(extra_after="<p>lone \ud800 high \udfff low \udc80</p>" * n), None


def _mixed_encodings(scale: float) -> tuple[bytes, None]:
    n = _n(scale, 10_000, 3)
    utf8 = "<p>Café crème, naïve façade — “quoted” in UTF-8.</p>".encode()
    cp1252 = "<p>Café crème, naïve façade — “quoted” in windows-1252.</p>".encode("cp1252")
    head, tail = article(extra_after="\x00").encode().split(b"\x00")
    return head + (utf8 + cp1252) * n + tail, None


def _bom_contradicts_meta(scale: float) -> tuple[bytes, None]:
    n = _n(scale, 10_000, 3)
    page = article(extra_after="<p>Водохранилище обмелело, сообщили власти.</p>" * n)
    page = page.replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    return codecs.BOM_UTF8 + page.encode("utf-8"), None


def _control_references(scale: float) -> tuple[str, None]:
    n = _n(scale, 800_000, 10)  # 19 MB: just under the default limit
    return article(extra_after="<p>" + "a&#27;[31m&#x1;&#0;&#x9d;" * n + "</p>"), None


def _entities(scale: float) -> tuple[str, None]:
    n = _n(scale, 800_000, 10)  # 18 MB: just under the default limit
    return article(extra_after="<p>" + "&amp;&lt;&eacute;&#8217;" * n + "</p>"), None


def _jsonld_deep(scale: float) -> tuple[str, None]:
    n = _n(scale, 1_000_000, 2000)
    script = f'<script type="application/ld+json">{"[" * n}{"]" * n}</script>'
    return article().replace("</head>", script + "</head>"), None


def _undeclared_legacy(scale: float) -> tuple[bytes, None]:
    n = _n(scale, 100_000, 10)
    page = article(extra_after="<p>Le café du marché a fermé ses portes à l'été.</p>" * n)
    return page.replace('<meta charset="utf-8">', "").encode("cp1252"), None


def _random_high_bytes(scale: float) -> tuple[bytes, None]:
    size = _n(scale, 10 * 1024 * 1024, 4096)
    noise = bytes((i * 7919 + 13) % 127 + 128 for i in range(size))  # no NULs: not "binary"
    return article().encode() + noise, None


def _parse_errors(scale: float) -> tuple[str, None]:
    n = _n(scale, 200_000, 10)
    return article(extra_after="</x><y <z</a></td><tr>&#xffffffff;<!x>" * n), None


CASES: tuple[Case, ...] = (
    Case("deep_div", "100,000 nested <div>", _deep("<div>", "</div>")),
    Case("deep_inline", "100,000 nested <b>", _deep("<b>", "</b>")),
    Case("deep_table", "100,000 nested table/tr/td", _deep("<table><tr><td>",
                                                            "</td></tr></table>")),
    Case("deep_list", "100,000 nested ul/li", _deep("<ul><li>", "</li></ul>")),
    Case("deep_unclosed", "300,000 unclosed div/section/span", _deep_unclosed),
    Case("siblings_p", "200,000 sibling <p>", _siblings_p),
    Case("siblings_million", "1,000,000 sibling elements", _siblings_million),
    Case("page_50mb", "50 MB page, default max_bytes", _big_page, refused=True),
    Case("tables_19mb", "19 MB of table rows, under the limit", _tables_under_limit),
    Case("text_node_20mb", "one 20 MB text node", _text_node),
    Case("attributes", "100,000 attributes on one element", _attributes),
    Case("colspan", "10,000 rows with colspan 2^31-1", _colspan),
    Case("unterminated_comment", "unterminated comment", _unterminated("<!--"),
         sentinel=True),
    Case("unterminated_script", "unterminated script", _unterminated("<script>")),
    Case("unterminated_cdata", "unterminated CDATA", _unterminated("<![CDATA[")),
    Case("unterminated_attribute", "unterminated attribute quote",
         _unterminated('<p title="')),
    Case("nul_bytes", "NUL bytes in text, tags and attributes", _nul_bytes),
    Case("surrogates", "lone surrogates in str", _surrogates),
    Case("mixed_encodings", "UTF-8 and windows-1252 mixed", _mixed_encodings),
    Case("bom_vs_meta", "UTF-8 BOM, meta says windows-1251", _bom_contradicts_meta),
    Case("control_refs", "800,000 control character references", _control_references),
    Case("entities", "800,000 entities", _entities),
    Case("jsonld_deep", "JSON-LD nested 1,000,000 deep", _jsonld_deep, extract=True),
    Case("undeclared_legacy", "windows-1252 page without a charset", _undeclared_legacy),
    Case("random_high_bytes", "10 MB of non-ASCII noise", _random_high_bytes),
    Case("parse_errors", "200,000 parse errors", _parse_errors),
)
CASES_BY_NAME = {case.name: case for case in CASES}


# --------------------------------------------------------------------------- measuring


def rss_bytes() -> int:
    """The current resident set size (Linux ``/proc``; elsewhere the peak, as a bound)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def run_case(name: str, scale: float = 1.0) -> dict[str, object]:
    """Run one case in this process; return its measurements."""
    import declutter

    case = CASES_BY_NAME[name]
    page, max_bytes = case.build(scale)
    options = declutter.Options(articles_only=False, max_bytes=max_bytes or
                                declutter.Options().max_bytes)
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    try:
        if case.extract:
            text = declutter.extract(page, options=options).text
        else:
            text = declutter.clean(page, options=options)
        outcome = f"{len(text):,} chars"
        if case.sentinel and not case.refused and "zanzibarite" not in text:
            outcome += ", END LOST"
    except declutter.DeclutterError as error:
        outcome = type(error).__name__
    seconds = time.perf_counter() - start
    return {
        "name": name,
        "description": case.description,
        "input_bytes": len(page) if isinstance(page, bytes) else len(page.encode("utf-8",
                                                                                 "replace")),
        "seconds": round(seconds, 3),
        "peak_rss": peak_rss_bytes(),
        "added_rss": max(0, peak_rss_bytes() - before),
        "outcome": outcome,
    }


def _samples() -> list[bytes]:
    return [path.read_bytes() for path in sorted(SAMPLES_DIR.glob("*/page.html"))]


#: Small pathological pages mixed into the soak, one page in ten, so the rarer
#: paths (flattening, attribute limits, detection, the fallback) run thousands of times.
_SOAK_CASES = ("deep_div", "deep_list", "attributes", "undeclared_legacy", "mixed_encodings",
               "nul_bytes", "control_refs")


def soak_pages(count: int) -> Iterator[bytes]:
    """``count`` distinct pages: the samples and small pathological pages, each numbered."""
    pages = _samples()
    odd = []
    for name in _SOAK_CASES:
        page, _ = CASES_BY_NAME[name].build(0.005)
        odd.append(page if isinstance(page, bytes) else page.encode("utf-8", "surrogatepass"))
    for index in range(count):
        source = odd[(index // 10) % len(odd)] if index % 10 == 9 else pages[index % len(pages)]
        yield source + f"\n<!-- copy {index} -->".encode()


def run_soak(count: int = 10_000, checkpoints: tuple[int, ...] = (1_000, 10_000)) -> dict[str, int]:
    """Clean ``count`` pages in this process; the resident size at each checkpoint."""
    import declutter

    marks: dict[str, int] = {}
    for done, page in enumerate(soak_pages(count), start=1):
        declutter.extract(page)
        if done in checkpoints:
            gc.collect()
            marks[str(done)] = rss_bytes()
    return marks


def _in_subprocess(arguments: list[str], timeout: float) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.robustness", *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["(no output)"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def _mib(value: object) -> str:
    return f"{int(value) / 2**20:,.0f}" if isinstance(value, int) else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.robustness",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (default 1)")
    parser.add_argument("--soak", type=int, default=10_000,
                        help="pages for the memory soak (0 skips it; default 10000)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per case")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--run-case", help=argparse.SUPPRESS)
    parser.add_argument("--run-soak", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.run_case:
        print(json.dumps(run_case(args.run_case, args.scale)))
        return 0
    if args.run_soak:
        print(json.dumps(run_soak(args.run_soak, (min(1_000, args.run_soak), args.run_soak))))
        return 0

    names = args.cases.split(",") if args.cases else [case.name for case in CASES]
    unknown = [name for name in names if name not in CASES_BY_NAME]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    baseline = _in_subprocess(["--run-case", "surrogates", "--scale", "0"], args.timeout)
    rows = []
    print("| case | input | time (s) | peak RSS (MiB) | added by the call (MiB) | outcome |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| baseline (tiny page) | - | - | {_mib(baseline.get('peak_rss'))} | - | - |",
          flush=True)
    for name in names:
        try:
            row = _in_subprocess(["--run-case", name, "--scale", str(args.scale)], args.timeout)
        except subprocess.TimeoutExpired:
            row = {"error": f"over {args.timeout:.0f} s"}
        row.setdefault("name", name)
        rows.append(row)
        if "error" in row:
            print(f"| {CASES_BY_NAME[name].description} | | | | | FAILED: {row['error']} |",
                  flush=True)
            continue
        size = int(row["input_bytes"])  # type: ignore[call-overload]
        print(f"| {row['description']} | {size / 2**20:,.1f} MB | {row['seconds']} | "
              f"{_mib(row['peak_rss'])} | {_mib(row['added_rss'])} | {row['outcome']} |",
              flush=True)
    soak: dict[str, object] = {}
    if args.soak:
        soak = _in_subprocess(["--run-soak", str(args.soak)], timeout=args.soak * 2.0)
        print()
        print("| pages cleaned in one process | resident size (MiB) |")
        print("|---:|---:|")
        for pages, rss in soak.items():
            label = f"{int(pages):,}" if pages.isdigit() else pages
            print(f"| {label} | {_mib(rss) if isinstance(rss, int) else rss} |")
    if args.json:
        args.json.write_text(json.dumps({"cases": rows, "soak": soak, "baseline": baseline},
                                        indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
