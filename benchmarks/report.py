"""The benchmark's tables (markdown) and its speed/quality plot.

One section per dataset: every tool's figures on the whole set, then the fit
and the check part side by side with the failure classes, then what only
declutter reports (fallback, article detection, the confidence's AUC) and
the worst pages.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .metrics import FAILURE_CLASSES

Results = dict[str, dict[str, dict[str, Any]]]  # dataset -> tool -> figures
#: How many lost pages a section names per tool and part.
WORST_SHOWN = 8


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _speed(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _main_table(by_tool: dict[str, dict[str, Any]]) -> list[str]:
    first = next(iter(by_tool.values()))["all"]
    snippet, word = "accuracy" in first, "with_found" in first
    header = ["tool", "P", "R", "F1"]
    if snippet:
        header.append("accuracy")
    elif word:
        header += ["with", "without", "shingle F1"]
    else:
        header += ["para P", "para R", "leaked docs"]
    if "exact" in first:
        header.append("exact")
    header += ["lost", "pages/s", "vs trafilatura", "x parse time"]
    rows = []
    for tool, figures in by_tool.items():
        f = figures["all"]
        cells = [tool, _num(f.get("precision")), _num(f.get("recall")), _num(f.get("f1"))]
        if snippet:
            cells.append(_num(f.get("accuracy")))
        elif word:
            cells += [_pct(f.get("with_found")), _pct(f.get("without_found")),
                      _num(f.get("shingle_f1"))]
        else:
            cells += [_num(f.get("para_precision")), _num(f.get("para_recall")),
                      str(f.get("leaked_docs", "–"))]
        if "exact" in first:
            cells.append(f"{f.get('exact', 0)}/{f['pages']}")
        cells += [
            f"{f.get('lost', 0)}/{f.get('eligible', 0)}",
            _speed(figures.get("pages_per_s")),
            _num(figures.get("vs_trafilatura"), 2),
            _num(figures.get("x_parse"), 2),
        ]
        rows.append(cells)
    return _table(header, rows)


def _parts_table(by_tool: dict[str, dict[str, Any]]) -> list[str]:
    header = ["tool", "part", "pages", "F1", *FAILURE_CLASSES, "lost"]
    rows = []
    for tool, figures in by_tool.items():
        for part in ("fit", "check", "all"):
            f = figures.get(part)
            if not f or not f.get("pages"):
                continue
            classes = f.get("classes", {})
            lost_share = f["lost"] / f["eligible"] if f.get("eligible") else None
            rows.append([
                tool, part, str(f["pages"]), _num(f.get("f1")),
                *(str(classes.get(name, 0)) for name in FAILURE_CLASSES),
                f"{f['lost']} ({_pct(lost_share)})",
            ])
    return _table(header, rows)


def _notes(by_tool: dict[str, dict[str, Any]]) -> list[str]:
    notes = []
    for tool, figures in by_tool.items():
        f = figures["all"]
        if "slowest_page" in figures:
            notes.append(f"{tool} slowest page: {figures['slowest_page']} "
                         f"({figures['slowest_seconds']:.3f} s)")
        if figures.get("largest_page_peak_mib") is not None:
            notes.append(
                f"{tool} peak memory on the largest page ({figures['largest_page']}, "
                f"{figures['largest_page_kb']:.0f} KiB): "
                f"+{figures['largest_page_peak_mib']:.1f} MiB"
            )
        if "fallback_pages" in f:
            parts = {p: figures[p] for p in ("fit", "check") if p in figures}
            auc = ", ".join(f"{p} {_num(v.get('confidence_auc'), 2)}" for p, v in parts.items())
            notes.append(
                f"{tool}: fallback on {f['fallback_pages']}/{f['pages']} pages; "
                f"confidence AUC for page F1 < 0.5: all {_num(f.get('confidence_auc'), 2)}"
                + (f" ({auc})" if auc else "")
            )
            rejected = f["rejected_articles"]
            notes.append(
                f"{tool}: {len(rejected)} article pages rejected as not articles"
                + (f" ({', '.join(rejected[:WORST_SHOWN])})" if rejected else "")
            )
            if f.get("other_pages"):
                by_type = sorted(f["other_rejected_by_type"].items())
                kinds = ", ".join(f"{kind} {count}" for kind, count in by_type)
                notes.append(f"{tool}: {f['other_rejected']}/{f['other_pages']} pages of other "
                             f"kinds rejected ({kinds})")
        for part in ("fit", "check"):
            lost = figures.get(part, {}).get("lost_pages")
            if lost:
                notes.append(f"{tool} lost pages ({part}): {', '.join(lost[:WORST_SHOWN])}"
                             + (" …" if len(lost) > WORST_SHOWN else ""))
        if f.get("errors"):
            notes.append(f"{tool}: {f['errors']} errors")
    return notes


def markdown(results: Results, env: dict[str, Any]) -> str:
    versions = ", ".join(f"{name} {v}" if v else name for name, v in env["tools"].items())
    lines = [
        f"Measured {env['date']} with Python {env['python']} on {env['cpu']} "
        f"({env['cores']} cores); {versions}. Speed timed interleaved "
        f"({env.get('rounds', 3)} rounds, fastest per page).",
    ]
    for dataset, by_tool in results.items():
        pages = next(iter(by_tool.values()))["all"]["pages"]
        lines += ["", f"**{dataset}** ({pages} pages)", "", *_main_table(by_tool)]
        if any("fit" in figures for figures in by_tool.values()):
            lines += ["", *_parts_table(by_tool)]
        notes = _notes(by_tool)
        if notes:
            lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def plot(path: Path, results: Results) -> None:
    """F1 against pages/s (log x), one point per tool and dataset."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot: matplotlib is not installed (pip install -e '.[bench]'), no plot",
              file=sys.stderr)
        return
    markers = "osD^vP*X"
    tools = sorted({tool for by_tool in results.values() for tool in by_tool})
    colors = {tool: f"C{i % 10}" for i, tool in enumerate(tools)}
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plotted = False
    for d_index, by_tool in enumerate(results.values()):
        for tool, figures in by_tool.items():
            speed, f1 = figures.get("pages_per_s"), figures["all"].get("f1")
            if not speed or f1 is None:
                continue
            ax.scatter(speed, f1, color=colors[tool], marker=markers[d_index % 8])
            ax.annotate(tool, (speed, f1), fontsize=7, xytext=(4, 3), textcoords="offset points")
            plotted = True
    if not plotted:
        print("--plot: no speed figures (run without --no-speed), no plot", file=sys.stderr)
        plt.close(fig)
        return
    for d_index, dataset in enumerate(results):
        ax.scatter([], [], color="grey", marker=markers[d_index % 8], label=dataset)
    ax.set_xscale("log")
    ax.set_xlabel("pages per second (log scale, timed interleaved)")
    ax.set_ylabel("F1")
    ax.set_title("Extraction quality against speed")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="dataset", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
