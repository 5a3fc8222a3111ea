"""Run the benchmark: ``python -m benchmarks.run [--no-speed] [--limit N] ...``.

Prints one markdown section per dataset: every tool's figures, the fit and
the check part side by side with their failure classes, and what declutter
reports of itself (fallback, article detection, confidence AUC). ``--json``,
``--markdown``, ``--plot`` and ``--dump`` write the figures, the tables, a
speed/quality plot and the per-page details used to find what to fix next
(look at the fit part's pages only: the check part is for agreeing). The JSON
keeps every page's score, so ``python -m benchmarks.diff OLD.json NEW.json``
lists the pages a change made better or worse.

Quality comes from one untimed pass per tool. Speed is timed interleaved
(:mod:`benchmarks.timing`): each page goes to every tool in turn, over a few
rounds, fastest time per page kept, beside a bare lxml parse.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import REPO_ROOT, child_env
from .datasets import ALL_DATASETS, Dataset, Page, load_datasets
from .diff import page_scores
from .report import Results, markdown, plot
from .scoring import ToolRun, by_part, score_rows
from .timing import PARSE, ROUNDS, time_interleaved
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


def run_tool(tool: Tool, pages: Sequence[Page]) -> ToolRun:
    """One untimed pass: every page's output (an exception or None scores as empty)."""
    run = ToolRun(outputs=[], details=[] if tool.probe is not None else None)
    for page in pages:
        result: str | None
        try:
            if tool.probe is not None:
                result, details = tool.probe(page.html)
                run.details.append(details)  # type: ignore[union-attr]
            else:
                result = tool.extract(page.html)
        except Exception:
            result = None
            run.errors.append(page.name)
            if run.details is not None and len(run.details) < len(run.outputs) + 1:
                run.details.append({"fallback": False, "is_article": False, "confidence": 0.0})
        if result is None and page.name not in run.errors:
            run.nones.append(page.name)
        run.outputs.append(tool.postprocess(result) if result else "")
    return run


def add_speed(
    results: Results, dataset: Dataset, tools: Sequence[Tool], rounds: int
) -> None:
    """Pages/s of every tool on the dataset, timed interleaved, with the ratios to
    trafilatura's speed and to the bare parse's time."""
    timing = time_interleaved(
        [(tool.name, tool.extract) for tool in tools], dataset.pages,
        rounds=rounds, warmup=WARMUP_HTML,
    )
    floor = timing.pages_per_s(PARSE)
    base = timing.pages_per_s(BASELINE) if BASELINE in timing.seconds else None
    for tool in tools:
        figures = results[dataset.name][tool.name]
        speed = timing.pages_per_s(tool.name)
        index, seconds = timing.slowest(tool.name)
        figures.update(
            pages_per_s=speed,
            vs_trafilatura=speed / base if base else None,
            x_parse=floor / speed if speed else None,
            parse_pages_per_s=floor,
            slowest_page=dataset.pages[index].name,
            slowest_seconds=seconds,
        )


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


def cpu_model() -> str:
    """The CPU's model name, so speed figures can be read against the machine."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def environment(tools: Sequence[Tool], rounds: int) -> dict[str, Any]:
    return {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "rounds": rounds,
        "tools": {tool.name: tool.version for tool in tools},
    }


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


def dump(
    directory: Path,
    dataset: Dataset,
    tool: str,
    run: ToolRun,
    rows: list[dict[str, Any]],
    leaks: list[list[str]],
) -> None:
    """Per-page outputs, per-page scores (worst first) and leaked lines, for error analysis."""
    folder = directory / dataset.name
    out_dir = folder / tool
    out_dir.mkdir(parents=True, exist_ok=True)
    for page, output in zip(dataset.pages, run.outputs, strict=True):
        (out_dir / f"{_safe(page.name)}.txt").write_text(output, encoding="utf-8")
    ordered = sorted(rows, key=lambda row: (row["f1"], row["page"]))
    fields = list(dict.fromkeys(key for row in ordered for key in row))
    with (folder / f"{tool}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(ordered)
    with (folder / f"{tool}.leaked.tsv").open("w", encoding="utf-8", newline="") as handle:
        leak_writer = csv.writer(handle, delimiter="\t")
        leak_writer.writerow(["page", "category", "line"])
        leak_writer.writerows(leaks)


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
    parser.add_argument("--no-speed", action="store_true", help="quality only, no timing")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="interleaved timing rounds (each page keeps its fastest)")
    parser.add_argument("--memory", action="store_true",
                        help="peak memory of each tool on each dataset's largest page")
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
    pages: dict[str, dict[str, dict[str, Any]]] = {}
    for dataset in datasets:
        results[dataset.name] = {}
        pages[dataset.name] = {}
        for tool in tools:
            start = time.perf_counter()
            run = run_tool(tool, dataset.pages)
            rows, leaks = score_rows(dataset, run)
            results[dataset.name][tool.name] = by_part(dataset, rows)
            pages[dataset.name][tool.name] = page_scores(rows)
            f1 = results[dataset.name][tool.name]["all"]["f1"]
            log(f"{dataset.name}: {tool.name} F1 {f1:.3f} "
                f"({time.perf_counter() - start:.1f} s wall)")
            if args.dump:
                dump(args.dump, dataset, tool.name, run, rows, leaks)
        if not args.no_speed:
            start = time.perf_counter()
            add_speed(results, dataset, tools, args.rounds)
            log(f"{dataset.name}: timed in {time.perf_counter() - start:.1f} s")
    if args.memory:
        add_memory(results, datasets, tools)
    env = environment(tools, args.rounds)
    table = markdown(results, env)
    print(table)
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if args.json:
        args.json.write_text(
            json.dumps({"environment": env, "results": results, "pages": pages},
                       indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
    if args.plot:
        plot(args.plot, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
