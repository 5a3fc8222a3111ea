"""Scoring a tool's outputs on a dataset: one row per page, figures per part of the set.

Every page gets a row with its own P, R and F1 (by the dataset's metric), its
failure class and, for declutter, whether it used the fallback, took the page
for an article and how confident it was. The dataset's figures are then
aggregated from the rows, for the whole set and for its fit and check parts,
so all three are computed the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import metrics
from .datasets import Dataset, Page
from .split import PARTS

#: A page whose own F1 is below this is a failure the confidence should predict.
FAILED_BELOW = 0.5


@dataclass
class ToolRun:
    """What one tool returned on one dataset (untimed), and declutter's own view of it."""

    outputs: list[str]
    errors: list[str] = field(default_factory=list)
    nones: list[str] = field(default_factory=list)
    #: per page, for tools that report it: {"fallback", "is_article", "confidence"}
    details: list[dict[str, Any]] | None = None


def _exact(output: str, expected: str) -> bool:
    """Equal up to trailing whitespace at the end, as in tests/test_samples.py."""
    return output.rstrip() == expected.rstrip()


def page_row(dataset: Dataset, page: Page, output: str) -> tuple[dict[str, Any], list[list[str]]]:
    """One page's scores, and the boilerplate lines it leaked ([page, category, line])."""
    row: dict[str, Any] = {
        "page": page.name, "site": page.site, "part": page.part, "type": page.page_type,
    }
    leaks: list[list[str]] = []
    if dataset.kind == "snippet":
        s = metrics.snippet_score(output, page.with_snippets, page.without_snippets)
        row.update(tp=s.tp, fp=s.fp, fn=s.fn, tn=s.tn)
        # Per page, for the failure classes, the set's own P and R on this page alone: the
        # share of wanted snippets found, and of the snippets found the share wanted.
        recall = s.tp / (s.tp + s.fn) if s.tp + s.fn else None
        has_output = bool(metrics.tokens(output))
        precision = (s.tp / (s.tp + s.fp) if s.tp + s.fp else 0.0) if has_output else None
        eligible = bool(page.with_snippets)
        empty = eligible and not has_output
    else:
        reference = page.reference or ""
        shingle = metrics.shingle_score(reference, output)
        split = metrics.split_lines if page.line_paragraphs else metrics.split_paragraphs
        para = metrics.paragraph_score(split(output), page.ref_paragraphs)
        page_leaks = metrics.leaked_lines(output, reference)
        leaks = [[page.name, category, line] for category, line in page_leaks]
        row.update(
            shingle_precision=shingle.precision, shingle_recall=shingle.recall,
            para_precision=para.precision, para_recall=para.recall,
            leaked_lines=len(page_leaks),
        )
        ref_tokens = len(metrics.tokens(reference))
        eligible = ref_tokens >= metrics.LOST_MIN_TOKENS
        if dataset.kind == "word":
            word = metrics.word_score(
                reference, output, page.with_snippets, page.without_snippets
            )
            precision, recall = word.precision, word.recall
            row.update(with_found=word.with_found, without_found=word.without_found)
            empty = ref_tokens > 0 and not metrics.tokens(output)
            if empty:
                precision = None
        else:
            precision, recall = shingle.precision, shingle.recall
            empty = ref_tokens > 0 and shingle.precision is None
        if dataset.name == "samples":
            row["exact"] = _exact(output, reference)
            row["is_article_expected"] = page.is_article
    f1 = metrics.f1_of(precision or 0.0, recall or 0.0)
    row.update(
        precision=precision, recall=recall, f1=f1, eligible=eligible,
        **{"class": metrics.failure_class(precision, recall, empty)},
    )
    return row, leaks


def score_rows(dataset: Dataset, run: ToolRun) -> tuple[list[dict[str, Any]], list[list[str]]]:
    rows: list[dict[str, Any]] = []
    leaks: list[list[str]] = []
    for index, (page, output) in enumerate(zip(dataset.pages, run.outputs, strict=True)):
        row, page_leaks = page_row(dataset, page, output)
        row["error"] = page.name in run.errors
        if run.details is not None:
            row.update(run.details[index])
        rows.append(row)
        leaks.extend(page_leaks)
    return rows, leaks


def aggregate(dataset: Dataset, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The dataset's figures over these rows (the whole set, or one part)."""
    figures: dict[str, Any] = {"pages": len(rows)}
    if not rows:
        return figures
    if dataset.kind == "snippet":
        pooled = metrics.pool_snippets(
            metrics.SnippetScore(r["tp"], r["fp"], r["fn"], r["tn"]) for r in rows
        )
        figures.update(precision=pooled.precision, recall=pooled.recall, f1=pooled.f1,
                       accuracy=pooled.accuracy)
    else:
        shingle_p = metrics.mean([r["shingle_precision"] for r in rows
                                   if r["shingle_precision"] is not None])
        shingle_r = metrics.mean([r["shingle_recall"] for r in rows
                                   if r["shingle_recall"] is not None])
        para_p = metrics.mean([r["para_precision"] for r in rows
                                if r["para_precision"] is not None])
        para_r = metrics.mean([r["para_recall"] for r in rows if r["para_recall"] is not None])
        figures.update(
            para_precision=para_p, para_recall=para_r,
            leaked_docs=sum(1 for r in rows if r["leaked_lines"]),
            leaked_lines=sum(r["leaked_lines"] for r in rows),
        )
        if dataset.kind == "word":
            words = metrics.aggregate_words(
                metrics.WordScore(r["precision"] or 0.0, r["recall"] or 0.0, r["f1"],
                                  r["with_found"], r["without_found"])
                for r in rows
            )
            figures.update(
                precision=words.precision, recall=words.recall, f1=words.f1,
                with_found=words.with_found, without_found=words.without_found,
                shingle_f1=metrics.f1_of(shingle_p, shingle_r),
            )
        else:
            figures.update(precision=shingle_p, recall=shingle_r,
                           f1=metrics.f1_of(shingle_p, shingle_r))
        if dataset.name == "samples":
            figures["exact"] = sum(1 for r in rows if r.get("exact"))
    classes = Counter(r["class"] for r in rows if r["eligible"])
    figures["classes"] = {name: classes.get(name, 0) for name in metrics.FAILURE_CLASSES}
    eligible = [r for r in rows if r["eligible"]]
    figures["eligible"] = len(eligible)
    figures["lost"] = sum(1 for r in eligible if r["class"] in metrics.LOST_CLASSES)
    lost = sorted((r for r in eligible if r["class"] in metrics.LOST_CLASSES),
                  key=lambda r: r["f1"])
    figures["lost_pages"] = [r["page"] for r in lost]
    figures["errors"] = sum(1 for r in rows if r.get("error"))
    if "confidence" in rows[0]:
        _declutter_figures(figures, rows, eligible)
    return figures


def _declutter_figures(
    figures: dict[str, Any], rows: Sequence[dict[str, Any]], eligible: Sequence[dict[str, Any]]
) -> None:
    """What only declutter reports: the fallback, article detection and the confidence."""
    figures["fallback_pages"] = sum(1 for r in rows if r["fallback"])
    annotated = [r for r in rows if r.get("is_article_expected", True) is not False
                 and r["type"] == "article"]
    figures["rejected_articles"] = [r["page"] for r in annotated if not r["is_article"]]
    others = [r for r in rows if r["type"] != "article" or r.get("is_article_expected") is False]
    figures["other_pages"] = len(others)
    figures["other_rejected"] = sum(1 for r in others if not r["is_article"])
    figures["other_rejected_by_type"] = dict(
        Counter(r["type"] for r in others if not r["is_article"])
    )
    figures["confidence_auc"] = metrics.roc_auc(
        [1.0 - r["confidence"] for r in eligible], [r["f1"] < FAILED_BELOW for r in eligible]
    )


def by_part(dataset: Dataset, rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Figures for the whole set and, when the set is split, for each part."""
    parts = {"all": aggregate(dataset, rows)}
    if dataset.name != "samples":
        for part in PARTS:
            parts[part] = aggregate(dataset, [r for r in rows if r["part"] == part])
    return parts
