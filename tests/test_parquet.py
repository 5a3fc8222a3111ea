"""Parquet output: the JSON Lines records as a dataset of part files, whole parts only.

Read back by pyarrow, pandas and DuckDB, every page must be there exactly once
with the fields and values of its JSON Lines record; failures stay in the
error log; parts appear complete or not at all, also when the run is killed
with ``kill -9`` (twice) before ``--resume`` finishes it; a part that cannot
be written stops the run without a trace of it.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from _child import child_env, kill_when

pq = pytest.importorskip("pyarrow.parquet")

import declutter  # noqa: E402
from benchmarks.bulk import generate_corpus  # noqa: E402
from benchmarks.robustness import article  # noqa: E402
from declutter.bulk import BulkError  # noqa: E402
from declutter.bulk.sinks.choose import make_sink  # noqa: E402
from declutter.bulk.sinks.parquet import ParquetSink, check_row  # noqa: E402
from declutter.bulk.sinks.paths import TEMP_PREFIX  # noqa: E402

PAGES = 60


def _jsonl(path: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    by_path = {record["path"]: record for record in records}
    assert len(by_path) == len(records), "a page was written twice"
    return by_path


def _rows(dataset: Path) -> dict[str, dict[str, Any]]:
    """Every row of a dataset by path, checked to be there once, as its JSONL record reads
    (a column a record does not have is null in the row)."""
    rows = pq.read_table(dataset).to_pylist()
    by_path = {row["path"]: row for row in rows}
    assert len(by_path) == len(rows), "a page is in the dataset twice"
    return by_path


def _same(rows: dict[str, dict[str, Any]], records: dict[str, dict[str, Any]]) -> bool:
    assert set(rows) == set(records)
    for key, record in records.items():
        row = {name: value for name, value in rows[key].items()
               if value is not None or name in record}
        assert row == record, key
    return True


def _parts(dataset: Path) -> list[str]:
    return sorted(name for name in os.listdir(dataset) if name.startswith("part-"))


def _cli(*args: object, **popen: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "declutter", *map(str, args)],
                          capture_output=True, text=True, env=child_env(), timeout=600,
                          check=False, **popen)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("parquet") / "pages"
    generate_corpus(root, PAGES)
    (root / "scan.html").write_bytes(b"%PDF-1.4\n" + bytes(200))  # fails: not HTML
    (root / "empty.html").write_bytes(b"")  # fails: empty
    return root


@pytest.fixture(scope="module")
def reference(pages: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """JSON Lines records of the same pages: text, and json with --explain."""
    work = tmp_path_factory.mktemp("parquet-reference")
    declutter.run_bulk(pages, work / "text.jsonl", jobs=2)
    declutter.run_bulk(pages, work / "json.jsonl", jobs=2, fmt="json", explain=True)
    return {"text": _jsonl(work / "text.jsonl"), "json": _jsonl(work / "json.jsonl"),
            "errors": _jsonl(work / "text.errors.jsonl")}


def test_the_dataset_holds_every_page_once_as_its_jsonl_record(
        pages: Path, reference: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    summary = declutter.run_bulk(pages, out, jobs=2)
    assert (summary.done, summary.failed) == (PAGES, 2)
    assert _parts(out) == ["part-00000.parquet"]
    assert _same(_rows(out), reference["text"])
    # failures are in the error log beside the dataset, never rows of it
    assert _jsonl(tmp_path / "out.errors.jsonl") == reference["errors"]

    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(out)
    assert len(frame) == PAGES and frame["path"].is_unique
    assert set(frame["path"]) == set(reference["text"])
    duckdb = pytest.importorskip("duckdb")
    count, unique, articles = duckdb.connect().execute(
        f"SELECT count(*), count(DISTINCT path), count(*) FILTER (WHERE is_article) "
        f"FROM read_parquet('{out}/*.parquet')").fetchall()[0]
    assert (count, unique) == (PAGES, PAGES)
    assert articles == sum(1 for record in reference["text"].values() if record["is_article"])


def test_blocks_and_removals_are_nested_columns(pages: Path, reference: dict[str, Any],
                                                tmp_path: Path) -> None:
    result = _cli("bulk", pages, "-o", tmp_path / "out.parquet/", "--format", "json",
                  "--explain", "--jobs", "2", "-q")
    assert result.returncode == 1, result.stderr  # the two bad pages
    rows = _rows(tmp_path / "out.parquet")
    assert _same(rows, reference["json"])
    schema = pq.read_schema(tmp_path / "out.parquet" / "part-00000.parquet")
    assert str(schema.field("blocks").type).startswith("list<element: struct<kind: string")
    assert str(schema.field("removed").type).startswith("list<element: struct<category")


def test_row_groups_and_parts_are_bounded(pages: Path, reference: dict[str, Any],
                                          tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    sink = ParquetSink(out, row_group_rows=7, part_rows=20)
    summary = declutter.run_bulk(pages, sink, jobs=2)
    assert summary.done == PAGES
    parts = _parts(out)
    assert len(parts) == math.ceil(PAGES / 20) and parts[-1] == f"part-{len(parts) - 1:05d}.parquet"
    for name in parts:
        metadata = pq.ParquetFile(out / name).metadata
        assert metadata.num_rows == 20
        assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [
            7, 7, 6]
    assert _same(_rows(out), reference["text"])


def test_a_part_is_closed_after_its_time_too(pages: Path, tmp_path: Path) -> None:
    ticks = iter(range(0, 10_000, 10))  # each look at the clock is 10 s later
    sink = ParquetSink(tmp_path / "out.parquet", row_group_rows=5, part_seconds=25,
                       clock=lambda: next(ticks))
    declutter.run_bulk(pages, sink, jobs=0)
    assert len(_parts(tmp_path / "out.parquet")) > 3


def test_resume_skips_the_pages_of_complete_parts(pages: Path, reference: dict[str, Any],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    tasks = sorted(p.relative_to(pages).as_posix() for p in pages.rglob("*") if p.is_file())
    first = [key for key in tasks if key in reference["text"]][:25]
    declutter.run_bulk(pages, out, jobs=0, patterns=first)  # a run that did only 25 pages
    (out / f"{TEMP_PREFIX}99-part-00007.parquet").write_bytes(b"PAR1 half a part")
    assert pq.read_table(out).num_rows == 25  # readers skip the hidden temporary
    with pytest.raises(BulkError, match="--format"):  # other columns: not the same dataset
        declutter.run_bulk(pages, out, jobs=0, resume=True, fmt="json")
    assert _parts(out) == ["part-00000.parquet"]
    summary = declutter.run_bulk(pages, out, jobs=2, resume=True)
    assert (summary.skipped, summary.done, summary.failed) == (25, PAGES - 25, 2)
    assert _parts(out) == ["part-00000.parquet", "part-00001.parquet"]
    assert not [name for name in os.listdir(out) if name.startswith(TEMP_PREFIX)]
    assert _same(_rows(out), reference["text"])

    again = declutter.run_bulk(pages, out, jobs=2, resume=True)
    assert (again.skipped, again.done) == (PAGES, 0)
    assert _parts(out) == ["part-00000.parquet", "part-00001.parquet"]

    fresh = declutter.run_bulk(pages, out, jobs=0, patterns=first)  # no resume: starts over
    assert fresh.done == 25 and pq.read_table(out).num_rows == 25


def test_rows_are_checked_one_page_at_a_time() -> None:
    columns = {"path": "str", "text": "str", "confidence": "float", "authors": "strings"}
    row, size = check_row({"path": "a", "text": "caf\udce9", "confidence": 1}, columns)
    assert row == {"path": "a", "text": "caf\\udce9", "confidence": 1.0} and size == 5
    with pytest.raises(TypeError, match="'extra'"):
        check_row({"path": "a", "extra": 1}, columns)
    with pytest.raises(TypeError, match="'confidence'"):
        check_row({"path": "a", "confidence": "high"}, columns)
    with pytest.raises(TypeError, match="'authors'"):
        check_row({"path": "a", "authors": "Ann"}, columns)


def test_without_pyarrow_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"pip install 'declutter\[parquet\]'"):
        make_sink(tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
def test_a_part_that_cannot_be_written_stops_the_run_cleanly(pages: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = _cli("bulk", pages, "-o", out, "--jobs", "1", "-q", preexec_fn=_limit_file_size)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "--resume" in result.stderr
    assert os.listdir(out) == []  # neither a part nor a temporary


# --------------------------------------------------------------------------- kill -9 and resume


def _slow_corpus(root: Path) -> None:
    """Samples, plus big pages whose records take a while to write."""
    generate_corpus(root, 160)
    big = root / "big"
    big.mkdir()
    for number in range(12):
        extra = "".join(f"<p>Paragraph {number}.{i} of a page kept for the bulk test, long "
                        f"enough to be body text by any measure.</p>" for i in range(4000))
        (big / f"big-{number:02d}.html").write_text(article(extra_after=extra), encoding="utf-8")


_RUN = """
import sys
import declutter
from declutter.bulk.sinks.parquet import ParquetSink
sink = ParquetSink(sys.argv[2], row_group_rows=4, part_rows=12)
declutter.run_bulk(sys.argv[1], sink, jobs=2, resume=sys.argv[3] == "resume")
"""


def _kill_mid_run(pages: Path, out: Path, parts: int, mode: str) -> None:
    command = [sys.executable, "-c", textwrap.dedent(_RUN), str(pages), str(out), mode]
    kill_when(command, lambda: out.exists() and len(_parts(out)) >= parts, env=child_env())


def test_kill_9_leaves_only_whole_parts_and_resume_finishes(tmp_path: Path) -> None:
    pages, out = tmp_path / "in", tmp_path / "out.parquet"
    _slow_corpus(pages)
    declutter.run_bulk(pages, tmp_path / "reference.jsonl", jobs=2)
    expected = _jsonl(tmp_path / "reference.jsonl")
    assert len(expected) == 172

    seen = 0
    for parts, mode in ((2, "fresh"), (6, "resume")):  # killed twice, the second time resumed
        _kill_mid_run(pages, out, parts, mode)
        rows = pq.read_table(out).to_pylist()  # every visible part whole and readable
        assert len(rows) >= 12 * parts and len(rows) > seen
        seen = len(rows)
        for row in rows:
            record = expected[row["path"]]
            assert {k: v for k, v in row.items() if v is not None or k in record} == record
        assert len({row["path"] for row in rows}) == len(rows)
        debris = [name for name in os.listdir(out) if not name.startswith("part-")]
        assert all(name.startswith(TEMP_PREFIX) for name in debris)

    summary_path = tmp_path / "summary.json"
    resumed = _cli("bulk", pages, "-o", out, "--resume", "--jobs", "2", "-q",
                   "--summary-json", summary_path)
    assert resumed.returncode == 0, resumed.stderr
    assert _same(_rows(out), expected)
    assert [name for name in os.listdir(out) if not name.startswith("part-")] == []
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["skipped"] == seen and summary["done"] + seen == 172

    stamps = {name: (out / name).stat().st_mtime_ns for name in _parts(out)}
    again = _cli("bulk", pages, "-o", out, "--resume", "--jobs", "2", "-q",
                 "--summary-json", summary_path)
    assert again.returncode == 0, again.stderr
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert (summary["done"], summary["skipped"], summary["failed"]) == (0, 172, 0)
    assert {name: (out / name).stat().st_mtime_ns for name in _parts(out)} == stamps
