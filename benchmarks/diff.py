"""Which pages a change made better or worse: ``python -m benchmarks.diff OLD.json NEW.json``.

Averages move by a few thousandths while single pages swing from good to lost,
so a change is judged page by page. Both files are ``python -m benchmarks.run
--json`` outputs; for each dataset (and tool, declutter by default) the pages
whose F1 moved by more than :data:`MOVED` are listed, worst loss first, with
their part (fit or check) and failure class before and after.

The exit status is 1 when any dataset has more pages that got worse than pages
that got better, or more lost pages (empty or wrong) than before: the rule for
keeping a change.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: A page counts as moved when its F1 changes by more than this: below it, a page's
#: score shifts with a stray line or two, which is not what a change is judged on.
MOVED = 0.05
#: Failure classes that mean the user lost the page (see ../shared/bench/README.md).
LOST = ("empty", "wrong")


def page_scores(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the diff needs of each scored page: its F1, part, class and eligibility."""
    return {
        row["page"]: {
            "f1": round(float(row["f1"]), 4),
            "part": row["part"],
            "class": row["class"],
            "eligible": bool(row.get("eligible", True)),
        }
        for row in rows
    }


def _lost(scores: dict[str, dict[str, Any]]) -> int:
    return sum(1 for s in scores.values() if s["eligible"] and s["class"] in LOST)


def compare(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> tuple[list[tuple[str, dict[str, Any], dict[str, Any]]], int, int]:
    """The pages that moved (worst loss first), and the lost pages before and after."""
    moved = [
        (page, old[page], new[page])
        for page in sorted(set(old) & set(new))
        if abs(new[page]["f1"] - old[page]["f1"]) > MOVED
    ]
    moved.sort(key=lambda item: (item[2]["f1"] - item[1]["f1"], item[0]))
    return moved, _lost(old), _lost(new)


def report(old_run: dict[str, Any], new_run: dict[str, Any], tool: str) -> tuple[str, bool]:
    """The diff as markdown, and whether the change may be kept."""
    lines: list[str] = []
    keep = True
    for dataset, tools in new_run.get("pages", {}).items():
        old = old_run.get("pages", {}).get(dataset, {}).get(tool)
        new = tools.get(tool)
        if old is None or new is None:
            continue
        moved, lost_before, lost_after = compare(old, new)
        better = sum(1 for _, before, after in moved if after["f1"] > before["f1"])
        worse = len(moved) - better
        ok = worse <= better and lost_after <= lost_before
        keep = keep and ok
        lines.append(
            f"**{dataset}**: {better} better, {worse} worse by more than {MOVED} F1; "
            f"lost {lost_before} -> {lost_after}{'' if ok else '  (NOT KEPT)'}"
        )
        lines.extend(
            f"- {page} ({before['part']}): {before['f1']:.3f} {before['class']} -> "
            f"{after['f1']:.3f} {after['class']}"
            for page, before, after in moved
        )
        lines.append("")
    return "\n".join(lines), keep


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diff", description=__doc__)
    parser.add_argument("old", type=Path, help="benchmarks.run --json output before the change")
    parser.add_argument("new", type=Path, help="benchmarks.run --json output after it")
    parser.add_argument("--tool", default="declutter", help="the tool compared (default declutter)")
    args = parser.parse_args(argv)
    old_run = json.loads(args.old.read_text(encoding="utf-8"))
    new_run = json.loads(args.new.read_text(encoding="utf-8"))
    text, keep = report(old_run, new_run, args.tool)
    print(text)
    return 0 if keep else 1


if __name__ == "__main__":
    sys.exit(main())
