"""Run the benchmark: ``python -m benchmarks.run [--no-speed] [--limit N] ...``.

Prints one markdown table per dataset; ``--json``, ``--markdown``, ``--plot``
and ``--dump`` write the figures, the tables, a speed/quality plot and the
per-page details used to find what to fix next. Timing follows the README so
our pages/s can be set beside its figures: only extraction calls are timed,
one page at a time in one process, after a warm-up, best of two passes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import REPO_ROOT, child_env, metrics
from .datasets import ALL_DATASETS, Dataset, Page, load_datasets
from .tools import BASELINE, DEFAULT_TOOLS, Tool, load_tools

DEFAULT_BENCH_DIR = Path("..") / "shared" / "bench"

#: A small page to warm each tool up (imports, caches, lazily compiled patterns).
WARMUP_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Warm-up</title>
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav><article>
<h1>A short article to warm up the extractors</h1><p class="byline">By Jane Doe</p>
<p>The first paragraph of this article is long enough to look like real body text, with
several clauses, commas and a full stop at the end of the sentence.</p>
<div class="ad">Advertisement</div>
<p>A second paragraph follows, again with enough words that an extractor should keep it as
part of the main content rather than throw it away as boilerplate.</p>
<p>The third paragraph closes the article and mentions nothing in particular.</p>
</article><footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- running tools


@dataclass
class ToolRun:
    """What one tool returned on one dataset, and how long it took."""

    outputs: list[str]
    errors: list[str] = field(default_factory=list)
    nones: list[str] = field(default_factory=list)
    #: Per page, the faster of the two timed calls; None without --speed.
    seconds: list[float] | None = None
    #: Total extraction time of each timed pass.
    pass_seconds: list[float] = field(default_factory=list)
    #: Per page, whether declutter used its fallback; None for other tools.
    fallbacks: list[bool] | None = None
    #: Per page, whether declutter took the page for an article; None for other tools.
    articles: list[bool] | None = None


def _call(tool: Tool, html: str) -> tuple[str | None, bool]:
    """(raw output, raised?); an exception is scored as an empty output."""
    try:
        return tool.extract(html), False
    except Exception:
        return None, True


def run_tool(tool: Tool, pages: Sequence[Page], *, timed: bool) -> ToolRun:
    """Extract every page; with ``timed``, twice, timing only the extraction calls."""
    raw: list[str | None] = []
    run = ToolRun(outputs=[])
    if timed:
        _call(tool, WARMUP_HTML)
        best = [float("inf")] * len(pages)
        for pass_number in range(2):
            gc.collect()
            total = 0.0
            for index, page in enumerate(pages):
                start = time.perf_counter()
                result, raised = _call(tool, page.html)
                elapsed = time.perf_counter() - start
                total += elapsed
                best[index] = min(best[index], elapsed)
                if pass_number == 0:
                    raw.append(result)
                    if raised:
                        run.errors.append(page.name)
            run.pass_seconds.append(total)
        run.seconds = best
    else:
        for page in pages:
            result, raised = _call(tool, page.html)
            raw.append(result)
            if raised:
                run.errors.append(page.name)
    for page, result in zip(pages, raw, strict=True):
        if result is None and page.name not in run.errors:
            run.nones.append(page.name)
        run.outputs.append(tool.postprocess(result) if result else "")
    if tool.fallback_probe is not None:
        run.fallbacks, run.articles = [], []
        for page in pages:
            try:
                fallback, is_article = tool.fallback_probe(page.html)
            except Exception:
                fallback, is_article = False, False
            run.fallbacks.append(fallback)
            run.articles.append(is_article)
    return run


# --------------------------------------------------------------------------- scoring


def _exact(output: str, expected: str) -> bool:
    """Equal up to trailing whitespace at the end, as in tests/test_samples.py."""
    return output.rstrip() == expected.rstrip()


def score(
    dataset: Dataset, run: ToolRun
) -> tuple[dict[str, Any], list[dict[str, Any]], list[list[str]]]:
    """(dataset figures, per-page rows, leaked lines as [page, category, line])."""
    figures: dict[str, Any] = {"pages": len(dataset.pages)}
    rows: list[dict[str, Any]] = []
    leaks: list[list[str]] = []
    if dataset.kind == "snippet":
        page_scores = []
        for page, output in zip(dataset.pages, run.outputs, strict=True):
            s = metrics.snippet_score(output, page.with_snippets, page.without_snippets)
            page_scores.append(s)
            rows.append({"page": page.name, "tp": s.tp, "fp": s.fp, "fn": s.fn, "tn": s.tn})
        pooled = metrics.pool_snippets(page_scores)
        figures.update(
            precision=pooled.precision,
            recall=pooled.recall,
            f1=pooled.f1,
            accuracy=pooled.accuracy,
            tp=pooled.tp,
            fp=pooled.fp,
            fn=pooled.fn,
            tn=pooled.tn,
        )
        order = sorted(
            range(len(rows)), key=lambda i: (-(rows[i]["fn"] + rows[i]["fp"]), rows[i]["page"])
        )
    else:
        shingle_scores, para_scores = [], []
        leaked_docs = 0
        exact = 0
        for page, output in zip(dataset.pages, run.outputs, strict=True):
            reference = page.reference or ""
            s = metrics.shingle_score(reference, output)
            split = metrics.split_lines if page.line_paragraphs else metrics.split_paragraphs
            p = metrics.paragraph_score(split(output), page.ref_paragraphs)
            page_leaks = metrics.leaked_lines(output, reference)
            shingle_scores.append(s)
            para_scores.append(p)
            leaked_docs += bool(page_leaks)
            leaks.extend([page.name, category, line] for category, line in page_leaks)
            row: dict[str, Any] = {
                "page": page.name,
                "precision": s.precision,
                "recall": s.recall,
                "f1": s.f1,
                "para_precision": p.precision,
                "para_recall": p.recall,
                "leaked_lines": len(page_leaks),
            }
            if dataset.name == "samples":
                row["exact"] = _exact(output, reference)
                row["is_article"] = page.is_article
                exact += row["exact"]
            rows.append(row)
        prf = metrics.aggregate_shingles(shingle_scores)
        para_p, para_r = metrics.aggregate_paragraphs(para_scores)
        figures.update(
            precision=prf.precision,
            recall=prf.recall,
            f1=prf.f1,
            para_precision=para_p,
            para_recall=para_r,
            leaked_docs=leaked_docs,
            leaked_lines=len(leaks),
        )
        if dataset.name == "samples":
            figures["exact"] = exact
        order = sorted(range(len(rows)), key=lambda i: (rows[i]["f1"], rows[i]["page"]))
    figures.update(errors=len(run.errors), error_pages=run.errors, none_outputs=len(run.nones))
    for i, row in enumerate(rows):
        row["error"] = row["page"] in run.errors
        if run.seconds is not None:
            row["seconds"] = run.seconds[i]
        if run.fallbacks is not None:
            row["fallback"] = run.fallbacks[i]
    if run.seconds is not None:
        best_pass = min(run.pass_seconds)
        slowest = max(range(len(run.seconds)), key=lambda i: run.seconds[i])  # type: ignore[index]
        figures.update(
            pages_per_s=len(dataset.pages) / best_pass if best_pass > 0 else None,
            slowest_page=dataset.pages[slowest].name,
            slowest_seconds=run.seconds[slowest],
        )
    if run.fallbacks is not None:
        figures.update(
            fallback_pages=sum(run.fallbacks),
            fallback_share=sum(run.fallbacks) / len(run.fallbacks),
        )
    if run.articles is not None:
        expected = [
            page.is_article if page.is_article is not None else True for page in dataset.pages
        ]
        wrong = [
            page.name
            for page, want, got in zip(dataset.pages, expected, run.articles, strict=True)
            if want != got
        ]
        figures.update(
            article_detection_correct=len(expected) - len(wrong),
            article_detection_wrong=wrong,
            rejected_pages=[
                page.name
                for page, got in zip(dataset.pages, run.articles, strict=True)
                if not got
            ],
        )
    return figures, [rows[i] for i in order], leaks


# --------------------------------------------------------------------------- memory

#: Run in a fresh interpreter per tool. After a warm-up, freed memory goes back to the
#: system (malloc_trim) and the kernel's peak-RSS mark is reset (clear_refs), so the
#: figure is what extracting the page itself adds at its peak: imports, caches and
#: allocator slack left from start-up are not counted, and libxml2's allocations are.
_MEMORY_PROBE = """
import ctypes, gc, resource, sys
from benchmarks.run import WARMUP_HTML
from benchmarks.tools import load_tools

def status(key):
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)

(tool,) = load_tools([sys.argv[1]], log=lambda message: None)
with open(sys.argv[2], encoding="utf-8") as file:
    html = file.read()
tool.extract(WARMUP_HTML)
gc.collect()
try:
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as file:
        file.write("5")
    before = status("VmRSS")
    tool.extract(html)
    after = status("VmHWM")
except OSError:  # not Linux, or no /proc: the process's peak so far
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tool.extract(html)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) / 1024)
"""


def peak_memory(tool: str, html: str) -> float | None:
    """MiB by which extracting ``html`` raises a process's resident memory at its peak;
    None when the probe fails. C allocations (libxml2) count, which tracemalloc misses."""
    with tempfile.NamedTemporaryFile("w", suffix=".html", encoding="utf-8") as page:
        page.write(html)
        page.flush()
        completed = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, tool, page.name],
            capture_output=True, text=True, env=child_env(), cwd=REPO_ROOT, check=False,
        )
    try:
        return float(completed.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def add_memory(results: Results, datasets: Sequence[Dataset], tools: Sequence[Tool]) -> None:
    """The largest page of each dataset, and each tool's peak memory on it."""
    for dataset in datasets:
        largest = max(dataset.pages, key=lambda page: len(page.html))
        for tool in tools:
            figures = results[dataset.name][tool.name]
            figures["largest_page"] = largest.name
            figures["largest_page_kb"] = len(largest.html.encode("utf-8")) / 1024
            figures["largest_page_peak_mib"] = peak_memory(tool.name, largest.html)


# --------------------------------------------------------------------------- reporting

Results = dict[str, dict[str, dict[str, Any]]]  # dataset -> tool -> figures


def cpu_model() -> str:
    """The CPU's model name, so speed figures can be read against the machine."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def environment(tools: Sequence[Tool]) -> dict[str, Any]:
    return {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "tools": {tool.name: tool.version for tool in tools},
    }


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _speed(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def add_ratios(results: Results) -> None:
    """Each tool's pages/s over default trafilatura's, measured in the same run."""
    for by_tool in results.values():
        base = by_tool.get(BASELINE, {}).get("pages_per_s")
        for figures in by_tool.values():
            speed = figures.get("pages_per_s")
            figures["vs_trafilatura"] = speed / base if speed and base else None


def markdown(results: Results, env: dict[str, Any]) -> str:
    versions = ", ".join(f"{name} {v}" if v else name for name, v in env["tools"].items())
    lines = [
        f"Measured {env['date']} with Python {env['python']} on {env['cpu']} "
        f"({env['cores']} cores); {versions}.",
    ]
    for dataset, by_tool in results.items():
        first = next(iter(by_tool.values()))
        lines += ["", f"**{dataset}** ({first['pages']} pages)", ""]
        snippet = "accuracy" in first
        if snippet:
            header = ["tool", "P", "R", "F1", "accuracy", "pages/s", "vs trafilatura"]
        else:
            header = ["tool", "P", "R", "F1"]
            header += ["exact"] if dataset == "samples" else []
            header += [
                "para P",
                "para R",
                "leaked docs",
                "leaked lines",
                "pages/s",
                "vs trafilatura",
            ]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        notes = []
        for tool, f in by_tool.items():
            cells = [tool, _num(f["precision"]), _num(f["recall"]), _num(f["f1"])]
            if snippet:
                cells.append(_num(f["accuracy"]))
            else:
                if dataset == "samples":
                    cells.append(f"{f['exact']}/{f['pages']}")
                cells += [
                    _num(f["para_precision"]),
                    _num(f["para_recall"]),
                    str(f["leaked_docs"]),
                    str(f["leaked_lines"]),
                ]
            cells += [_speed(f.get("pages_per_s")), _num(f.get("vs_trafilatura"), 2)]
            lines.append("| " + " | ".join(cells) + " |")
            if f["errors"] or f["none_outputs"]:
                notes.append(f"{tool}: {f['errors']} errors, {f['none_outputs']} None outputs")
            if "slowest_page" in f:
                notes.append(
                    f"{tool} slowest page: {f['slowest_page']} ({f['slowest_seconds']:.3f} s)"
                )
            if f.get("largest_page_peak_mib") is not None:
                notes.append(
                    f"{tool} peak memory on the largest page ({f['largest_page']}, "
                    f"{f['largest_page_kb']:.0f} KiB): +{f['largest_page_peak_mib']:.1f} MiB"
                )
            if "fallback_pages" in f:
                notes.append(
                    f"{tool} used its trafilatura fallback on {f['fallback_pages']}/{f['pages']} "
                    f"pages ({f['fallback_share']:.0%})"
                )
            if "article_detection_correct" in f:
                wrong = f["article_detection_wrong"]
                notes.append(
                    f"{tool} article detection: {f['article_detection_correct']}/{f['pages']} "
                    f"as annotated (pages without annotation count as articles)"
                    + (f"; wrong on {', '.join(wrong[:12])}" if wrong else "")
                )
        if notes:
            lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


def dump(
    directory: Path,
    datasets: Sequence[Dataset],
    runs: dict[tuple[str, str], ToolRun],
    details: dict[tuple[str, str], tuple[list[dict[str, Any]], list[list[str]]]],
) -> None:
    """Per-page outputs, worst-first per-page scores and leaked lines, for error analysis."""
    for dataset in datasets:
        folder = directory / dataset.name
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "leaked.tsv").open("w", encoding="utf-8", newline="") as leaked:
            writer = csv.writer(leaked, delimiter="\t")
            writer.writerow(["tool", "page", "category", "line"])
            for (name, tool), (rows, leaks) in details.items():
                if name != dataset.name:
                    continue
                writer.writerows([tool, *leak] for leak in leaks)
                out_dir = folder / tool
                out_dir.mkdir(exist_ok=True)
                for page, output in zip(dataset.pages, runs[name, tool].outputs, strict=True):
                    (out_dir / f"{_safe(page.name)}.txt").write_text(output, encoding="utf-8")
                with (folder / f"{tool}.csv").open("w", encoding="utf-8", newline="") as handle:
                    row_writer = csv.DictWriter(
                        handle, fieldnames=list(rows[0]) if rows else ["page"]
                    )
                    row_writer.writeheader()
                    row_writer.writerows(rows)


def plot(path: Path, results: Results) -> None:
    """F1 against pages/s (log x), one point per tool and dataset."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("--plot: matplotlib is not installed (pip install -e '.[bench]'), no plot")
        return
    markers = "osD^vP*X"
    tools = sorted({tool for by_tool in results.values() for tool in by_tool})
    colors = {tool: f"C{i % 10}" for i, tool in enumerate(tools)}
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plotted = False
    for d_index, by_tool in enumerate(results.values()):
        for tool, f in by_tool.items():
            if not f.get("pages_per_s"):
                continue
            ax.scatter(f["pages_per_s"], f["f1"], color=colors[tool], marker=markers[d_index % 8])
            ax.annotate(
                tool,
                (f["pages_per_s"], f["f1"]),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
            plotted = True
    if not plotted:
        log("--plot: no speed figures (run without --no-speed), no plot")
        plt.close(fig)
        return
    for d_index, dataset in enumerate(results):
        ax.scatter([], [], color="grey", marker=markers[d_index % 8], label=dataset)
    ax.set_xscale("log")
    ax.set_xlabel("pages per second (log scale)")
    ax.set_ylabel("F1")
    ax.set_title("Extraction quality against speed")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="dataset", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--datasets",
        default=",".join(ALL_DATASETS),
        help=f"comma-separated subset of {','.join(ALL_DATASETS)}",
    )
    parser.add_argument(
        "--tools",
        default=",".join(DEFAULT_TOOLS),
        help="comma-separated tool names, or 'all' for every importable one",
    )
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=None,
        help="annotated pages (default: ../shared/bench from the repo root)",
    )
    parser.add_argument("--no-speed", action="store_true", help="one untimed pass (quality only)")
    parser.add_argument("--limit", type=int, default=None, help="first N pages of each dataset")
    parser.add_argument("--dump", type=Path, help="write per-page outputs, scores and leaks here")
    parser.add_argument("--json", type=Path, help="write all figures as JSON")
    parser.add_argument("--markdown", type=Path, help="write the tables as markdown")
    parser.add_argument("--plot", type=Path, help="write F1 against pages/s as a PNG")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(ALL_DATASETS))
    if unknown:
        raise SystemExit(
            f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(ALL_DATASETS)}"
        )
    bench_dir = args.bench_dir or REPO_ROOT / DEFAULT_BENCH_DIR
    datasets = load_datasets(names, bench_dir, REPO_ROOT / "samples", args.limit, log)
    tools = load_tools([n.strip() for n in args.tools.split(",") if n.strip()], log)
    if not datasets or not tools:
        log("nothing to run")
        return 1

    results: Results = {}
    runs: dict[tuple[str, str], ToolRun] = {}
    details: dict[tuple[str, str], tuple[list[dict[str, Any]], list[list[str]]]] = {}
    for dataset in datasets:
        results[dataset.name] = {}
        for tool in tools:
            start = time.perf_counter()
            run = run_tool(tool, dataset.pages, timed=not args.no_speed)
            figures, rows, leaks = score(dataset, run)
            log(
                f"{dataset.name}: {tool.name} F1 {figures['f1']:.3f} "
                f"({time.perf_counter() - start:.1f} s wall)"
            )
            results[dataset.name][tool.name] = figures
            if args.dump:
                runs[dataset.name, tool.name] = run
                details[dataset.name, tool.name] = (rows, leaks)
    add_ratios(results)
    if not args.no_speed:
        add_memory(results, datasets, tools)
    env = environment(tools)
    table = markdown(results, env)
    print(table)
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if args.json:
        args.json.write_text(
            json.dumps({"environment": env, "results": results}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
    if args.dump:
        dump(args.dump, datasets, runs, details)
    if args.plot:
        plot(args.plot, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
