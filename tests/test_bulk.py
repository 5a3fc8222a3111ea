"""The bulk module as a library: source, page function, executors, sinks, run_bulk.

The command-line tests (tests/test_cli.py) drive the same code end to end on a
generated directory; these pin down the parts one by one, including failure
paths that are awkward to reach through the CLI (a worker killed by a signal,
an allocation past the memory limit, a symlink planted in the output tree).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

import declutter
from declutter import InputTooLargeError, Options
from declutter._model.errors import Failure, error_message, failure_of
from declutter.bulk import (
    DEFAULT_PATTERNS,
    ERRORS_NAME,
    TEMP_PREFIX,
    BulkError,
    BulkSummary,
    EmptyPageError,
    ErrorLog,
    InlineExecutor,
    JsonlSink,
    LineProgress,
    MirrorSink,
    PageResult,
    PageSettings,
    PageTask,
    ProcessExecutor,
    ReportSink,
    UnsafePathError,
    article_record,
    guess_url,
    iter_directory,
    plan_output_names,
    prepare_page,
    process_page,
    process_task,
    read_page,
    render_output,
    run_bulk,
    terminal_progress,
    write_atomically,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ARTICLE = (SAMPLES / "01-wordpress-blog" / "page.html").read_bytes()


def _failed(task: object, failure: Failure) -> tuple[str, object, str, str]:
    return ("failed", task, failure.error, failure.message)


def _run(executor: ProcessExecutor | InlineExecutor, tasks: list[str]) -> list[object]:
    # eval is a picklable builtin: each task is a tiny program for the worker.
    return list(executor.map_unordered(eval, tasks, _failed))


def _failures(results: list[object]) -> list[tuple[str, object, str, str]]:
    return [r for r in results if isinstance(r, tuple) and r and r[0] == "failed"]  # type: ignore[misc]


# --------------------------------------------------------------------------- reading pages


def test_read_page_gunzips_and_refuses_empty_and_oversized(tmp_path: Path) -> None:
    plain = tmp_path / "a.html"
    plain.write_bytes(ARTICLE)
    packed = tmp_path / "b.html.gz"
    packed.write_bytes(gzip.compress(ARTICLE))
    assert read_page(plain) == ARTICLE
    assert read_page(packed) == ARTICLE
    # gzip detected by content, whatever the name, and several members are joined
    members = tmp_path / "c.html"
    members.write_bytes(gzip.compress(b"<p>one ") + gzip.compress(b"two</p>"))
    assert read_page(members) == b"<p>one two</p>"
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.html"
    blank.write_bytes(b" \n\t\n")
    for path in (empty, blank):
        with pytest.raises(EmptyPageError):
            read_page(path)
    with pytest.raises(InputTooLargeError):
        read_page(plain, max_bytes=100)
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b"<p>" + b"a" * 200_000))
    with pytest.raises(InputTooLargeError, match="unpacked"):
        read_page(bomb, max_bytes=100_000)
    truncated = tmp_path / "cut.html.gz"
    truncated.write_bytes(gzip.compress(ARTICLE)[:200])
    with pytest.raises(gzip.BadGzipFile):
        read_page(truncated)
    with pytest.raises(gzip.BadGzipFile):
        prepare_page(b"\x1f\x8b" + b"not really gzip")


def test_read_page_fails_fast_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(OSError, match="not a regular file"):
        read_page(fifo)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("head", "url"),
    [
        (b"<!-- saved from url=(0033)https://news.example/a/story -->", "https://news.example/a/story"),
        (b'<link href="https://x.example/s?a=1&amp;b=2" rel="canonical">',
         "https://x.example/s?a=1&b=2"),
        (b"<link rel='alternate stylesheet' href='https://x.example/css'>", None),
        (b'<meta property="og:url" content="https://og.example/p">', "https://og.example/p"),
        (b'<link rel="canonical" href="/relative/only">', None),
        (b"<p>no address here</p>", None),
    ],
)
def test_guess_url(head: bytes, url: str | None) -> None:
    assert guess_url(b"<html><head>" + head + b"</head><body></body></html>") == url


# --------------------------------------------------------------------------- the page function


def test_process_page_records_by_format() -> None:
    text_only = process_page(ARTICLE, metadata=False)
    assert set(text_only) == {"url", "text"}
    assert text_only["text"] == declutter.clean(ARTICLE)
    record = process_page(ARTICLE)
    assert record["text"] == text_only["text"]
    assert record["title"] and record["authors"] and record["is_article"] is True
    assert "blocks" not in record and "removed" not in record
    assert "blocks" in process_page(ARTICLE, fmt="json")
    assert process_page(ARTICLE, fmt="markdown")["markdown"].startswith("# ")
    assert "<p>" in process_page(ARTICLE, fmt="html")["html"]
    removed = process_page(ARTICLE, explain=True)["removed"]
    assert removed and {"category", "rule", "excerpt", "path", "tag"} <= set(removed[0])
    json.dumps(record)  # JSON-ready as it is


def test_process_task_turns_failures_into_results(tmp_path: Path) -> None:
    settings = PageSettings()
    ok = process_task(PageTask("a.html", ARTICLE), settings)
    assert ok.ok and ok.record is not None and ok.record["path"] == "a.html"
    pdf = process_task(PageTask("b.html", b"%PDF-1.7 binary"), settings)
    assert (pdf.ok, pdf.error) == (False, "NotHTMLError")
    missing = process_task(PageTask("c.html", tmp_path / "gone.html"), settings)
    assert missing.error == "FileNotFoundError"
    assert missing.error_record() == {"path": "c.html", "error": "FileNotFoundError",
                                      "message": "No such file or directory", "kind": "page"}
    with pytest.raises(ValueError, match="unknown format"):
        PageSettings(fmt="pdf")


def test_process_task_reads_the_url_from_the_page_for_site_rules() -> None:
    comment = b"<!-- saved from url=(0030)https://zz.example/story -->"
    page = ARTICLE.replace(b"<head>", b"<head>\n" + comment, 1)
    options = Options(site_rules=(declutter.SiteRule("zz.example", ("article p",)),))
    record = process_task(PageTask("a.html", page), PageSettings(options=options)).record
    assert record is not None and "Port Alder town council" not in record["text"]
    kept = process_task(PageTask("a.html", page), PageSettings(options=options, guess_url=False))
    assert kept.record is not None and "Port Alder town council" in kept.record["text"]


# --------------------------------------------------------------------------- the source


def _touch(path: Path, data: bytes = b"<p>x</p>") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_iter_directory_finds_pages_recursively_in_a_stable_order(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for name in ("b.html", "a.HTM", "z/c.xhtml", "z/d.shtml", "z/y/e.html.gz", "f.htm.gz",
                 "notes.txt", "g.html.bak", "z/y/h.XHTML.GZ"):
        _touch(root / name)
    (root / "empty-dir").mkdir()
    keys = [item.key for item in iter_directory(root)]
    assert keys == ["a.HTM", "b.html", "f.htm.gz", "z/c.xhtml", "z/d.shtml", "z/y/e.html.gz",
                    "z/y/h.XHTML.GZ"]
    tasks = list(iter_directory(root))
    assert all(isinstance(task, PageTask) and task.mtime for task in tasks)
    assert [t.key for t in iter_directory(root, ["*.txt", "z/y/*"])] == [
        "notes.txt", "z/y/e.html.gz", "z/y/h.XHTML.GZ"]
    assert [t.key for t in iter_directory(root, exclude=[root / "z"])] == [
        "a.HTM", "b.html", "f.htm.gz"]
    assert len(DEFAULT_PATTERNS) == 8


def test_iter_directory_reports_what_cannot_be_a_task(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _touch(root / "ok.html")
    os.symlink(root / "missing.html", root / "dangling.html")
    os.mkfifo(root / "fifo.html")
    _touch(root / os.fsdecode(b"caf\xe9.html"))
    os.symlink(root, root / "loop")  # a directory symlink back to the root: walked once
    items = {item.key: item for item in iter_directory(root)}
    assert isinstance(items["ok.html"], PageTask)
    assert set(items) == {"ok.html", "dangling.html", "fifo.html", "caf\\xe9.html"}
    assert items["dangling.html"].error == "FileNotFoundError"  # type: ignore[union-attr]
    assert items["fifo.html"].error == "OSError"  # type: ignore[union-attr]
    assert items["caf\\xe9.html"].error == "FileNameError"  # type: ignore[union-attr]


def test_iter_directory_follows_directory_symlinks_once(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _touch(elsewhere / "x.html")
    root = tmp_path / "in"
    root.mkdir()
    os.symlink(elsewhere, root / "linked")
    os.symlink(elsewhere, root / "linked-again")
    assert [t.key for t in iter_directory(root)] == ["linked/x.html"]


# --------------------------------------------------------------------------- executors


def test_inline_executor_runs_in_process() -> None:
    results = _run(InlineExecutor(), ["1 + 1", "int('x')"])
    assert results[0] == 2
    assert results[1][2:] == ("ValueError", "invalid literal for int() with base 10: 'x'")  # type: ignore[index]


def test_process_executor_returns_every_result_and_reports_errors() -> None:
    executor = ProcessExecutor(2, timeout=20)
    tasks = [f"{n} * 2" for n in range(40)] + ["int('x')", "{}['missing']"]
    results = _run(executor, tasks)
    assert sorted(r for r in results if isinstance(r, int)) == [n * 2 for n in range(40)]
    assert sorted(f[2] for f in _failures(results)) == ["KeyError", "ValueError"]
    assert executor.stats.workers_started == 2
    assert executor.stats.peak_worker_rss and executor.stats.peak_worker_rss > 1_000_000
    assert executor.stats.worker_cpu_seconds > 0


def test_a_stuck_task_is_killed_at_its_deadline_and_the_rest_finish() -> None:
    executor = ProcessExecutor(2, timeout=1.5)
    tasks = ["__import__('time').sleep(60)"]
    tasks += [f"__import__('time').sleep(0.2) or {n}" for n in range(20)]
    started = time.monotonic()
    results = _run(executor, tasks)
    assert time.monotonic() - started < 20
    failures = _failures(results)
    assert [(f[1], f[2]) for f in failures] == [(tasks[0], "TimeoutError")]
    assert "1.5 s" in failures[0][3]
    assert sorted(r for r in results if isinstance(r, int)) == list(range(20))
    assert executor.stats.timeouts == 1
    assert executor.stats.workers_started == 3  # the killed worker was replaced


def test_the_deadline_counts_from_the_start_of_each_task_not_its_queueing() -> None:
    # Four 0.5 s tasks through one worker take 2 s: more than the 1.5 s limit
    # in total, none of them alone.
    executor = ProcessExecutor(1, timeout=1.5)
    results = _run(executor, ["__import__('time').sleep(0.5) or 7"] * 4)
    assert results == [7, 7, 7, 7]
    assert executor.stats.timeouts == 0


def test_a_worker_that_dies_costs_its_task_only() -> None:
    executor = ProcessExecutor(2, timeout=20)
    tasks = ["__import__('os')._exit(3)", "__import__('os').kill(__import__('os').getpid(), 9)"]
    tasks += [f"{n}" for n in range(20)]
    results = _run(executor, tasks)
    failures = {f[1]: f for f in _failures(results)}
    assert set(failures) == set(tasks[:2])
    assert failures[tasks[0]][2] == "WorkerDiedError"
    assert "exited with code 3" in failures[tasks[0]][3]
    assert "SIGKILL" in failures[tasks[1]][3]
    assert sorted(r for r in results if isinstance(r, int)) == list(range(20))
    assert executor.stats.crashes == 2


def _logged(log: Path, n: int) -> str:
    """A task that notes each run of it in ``log`` and returns ``n``."""
    return f"open({str(log)!r}, 'a').write('{n}\\n') and {n}"


def _runs(log: Path) -> list[int]:
    return sorted(int(line) for line in log.read_text().split())


@pytest.mark.parametrize(
    ("bad_task", "timeout", "error", "counter"),
    [
        ("__import__('time').sleep(60)", 1.5, "TimeoutError", "timeouts"),
        ("__import__('time').sleep(0.1) or __import__('os')._exit(3)", 20, "WorkerDiedError",
         "crashes"),
    ],
    ids=["hangs", "crashes"],
)
def test_a_bad_page_inside_a_batch_costs_its_page_only(tmp_path: Path, bad_task: str,
                                                       timeout: float, error: str,
                                                       counter: str) -> None:
    # One worker, 16 tasks: batches of 8, the bad one fourth in the first.
    log = tmp_path / "runs"
    tasks = [_logged(log, n) for n in range(16)]
    tasks[3] = bad_task
    executor = ProcessExecutor(1, timeout=timeout)
    results = _run(executor, tasks)
    failures = _failures(results)
    assert [(f[1], f[2]) for f in failures] == [(tasks[3], error)]
    expected = [n for n in range(16) if n != 3]
    assert sorted(r for r in results if isinstance(r, int)) == expected  # each once
    if error == "WorkerDiedError":
        assert "exited with code 3" in failures[0][3]
    else:  # and each ran once: finished results were sent before the kill
        assert _runs(log) == expected
    assert getattr(executor.stats, counter) == 1


def test_results_of_a_partial_last_batch_all_come_back() -> None:
    # Fewer tasks than a batch, quicker than the results delay: the worker must
    # send them when it runs out of work, not wait for a full batch.
    executor = ProcessExecutor(2, timeout=20)
    started = time.monotonic()
    assert sorted(_run(executor, [str(n) for n in range(5)])) == [0, 1, 2, 3, 4]  # type: ignore[type-var]
    many = _run(executor, [str(n) for n in range(203)])
    assert sorted(many) == list(range(203))  # type: ignore[type-var]
    assert time.monotonic() - started < 20


def test_a_worker_retired_for_memory_mid_batch_hands_back_the_rest() -> None:
    executor = ProcessExecutor(1, timeout=20, memory_limit=256 * 2**20)
    tasks = [str(n) for n in range(8)] + ["len(bytearray(4 * 2**30))"]
    tasks += [str(n) for n in range(8, 20)]
    results = _run(executor, tasks)
    assert [(f[1], f[2]) for f in _failures(results)] == [(tasks[8], "MemoryError")]
    assert sorted(r for r in results if isinstance(r, int)) == list(range(20))
    assert executor.stats.memory_recycles == 1


def test_an_allocation_past_the_memory_limit_is_a_memory_error_for_that_task() -> None:
    executor = ProcessExecutor(1, timeout=20, memory_limit=256 * 2**20)
    tasks = ["1", "len(bytearray(4 * 2**30))", "2", "3"]
    results = _run(executor, tasks)
    failures = _failures(results)
    assert [(f[1], f[2]) for f in failures] == [(tasks[1], "MemoryError")]
    assert sorted(r for r in results if isinstance(r, int)) == [1, 2, 3]
    assert executor.stats.memory_recycles == 1  # the worker was replaced after it


def test_a_worker_over_its_resident_memory_limit_is_replaced_after_its_task() -> None:
    # Every worker is bigger than 20 MiB: each is replaced after one task.
    executor = ProcessExecutor(1, timeout=20, memory_limit=20 * 2**20)
    results = _run(executor, ["1", "2", "3"])
    assert sorted(results) == [1, 2, 3]  # type: ignore[type-var]
    assert executor.stats.memory_recycles == 3
    assert executor.stats.workers_started == 3


def test_workers_that_cannot_start_stop_the_run() -> None:
    executor = ProcessExecutor(1, timeout=20, start_method="spawn")
    with pytest.raises(BulkError, match="fail to start"):
        # Sending a task to a worker that cannot unpickle the function kills it at start-up.
        list(executor.map_unordered(_Unpicklable(), ["1"], _failed))


class _Unpicklable:
    """Pickles by reference to a name the worker cannot find."""

    def __reduce__(self) -> tuple[object, ...]:
        return (__import__("importlib").import_module, ("declutter_no_such_module",))

    def __call__(self, task: str) -> str:
        return task


# --------------------------------------------------------------------------- sinks


def test_output_names_mirror_inputs_without_collisions() -> None:
    keys = ["a/story.html", "a/story.htm", "a/Story.html.gz", "b/other.xhtml.gz", "c.shtml",
            "d/page", "d/page.html", "e.html.txt"]
    names = plan_output_names(keys, ".txt")
    assert names["b/other.xhtml.gz"] == ("b", "other.txt")
    assert names["c.shtml"] == ("c.txt",)
    # same stem in one folder (case-insensitively): each keeps its full name
    assert names["a/story.html"] == ("a", "story.html.txt")
    assert names["a/story.htm"] == ("a", "story.htm.txt")
    assert names["a/Story.html.gz"] == ("a", "Story.html.gz.txt")
    assert names["d/page"] == ("d", "page.txt")
    assert names["d/page.html"] == ("d", "page.html.txt")
    folded = [tuple(p.casefold() for p in n) for n in names.values() if isinstance(n, tuple)]
    assert len(set(folded)) == len(keys)


@pytest.mark.parametrize(
    "key", ["../escape.html", "/etc/passwd", "a//b.html", "a/./b.html", "a/../../b.html", "",
            "nul\x00.html", f"{TEMP_PREFIX}1.html", "bad\udcff.html"]
)
def test_unsafe_keys_never_become_paths(key: str) -> None:
    assert isinstance(plan_output_names([key], ".txt")[key], UnsafePathError)


def _ok(key: str, text: str = "body") -> PageResult:
    return PageResult(key, {"path": key, "url": None, "text": text})


def test_mirror_sink_writes_atomically_inside_its_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "old").mkdir(parents=True)
    _touch(out / "old" / f"{TEMP_PREFIX}123-4", b"half a file from a killed run")
    sink = MirrorSink(out, "text")
    tasks = [PageTask("x/y/page.html", b""), PageTask("top.htm", b"")]
    sink.open(tasks, resume=False)
    assert not (out / "old" / f"{TEMP_PREFIX}123-4").exists()  # swept
    sink.write(_ok("x/y/page.html", "Hello"))
    sink.write(_ok("top.htm", ""))
    with pytest.raises(UnsafePathError):
        sink.write(_ok("../evil.html"))
    sink.close()
    assert (out / "x" / "y" / "page.txt").read_text() == "Hello\n"
    assert (out / "top.txt").read_text() == ""
    assert not (tmp_path / "evil.txt").exists()
    assert not [p for p in out.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_mirror_sink_never_writes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "news")
    sink = MirrorSink(out, "text")
    sink.open([PageTask("news/a.html", b"")], resume=False)
    with pytest.raises(UnsafePathError, match="symlink"):
        sink.write(_ok("news/a.html"))
    # a symlink at the output name itself is replaced, never followed
    target = outside / "target.txt"
    target.write_text("precious")
    os.symlink(target, out / "b.txt")
    sink.write(_ok("b.html", "new"))
    sink.close()
    assert list(outside.iterdir()) == [target]
    assert target.read_text() == "precious"
    assert (out / "b.txt").read_text() == "new\n" and not (out / "b.txt").is_symlink()


def test_mirror_sink_resume_needs_a_complete_newer_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sink = MirrorSink(out, "text")
    sink.open([PageTask("a.html", b"", mtime=1.0)], resume=True)
    assert not sink.is_done(PageTask("a.html", b"", mtime=1.0))
    sink.write(_ok("a.html"))
    assert sink.is_done(PageTask("a.html", b"", mtime=1.0))
    assert not sink.is_done(PageTask("a.html", b"", mtime=time.time() + 100))  # input changed
    assert sink.is_done(PageTask("a.html", b"", mtime=None))
    sink.close()


def test_one_output_directory_one_run(tmp_path: Path) -> None:
    first = MirrorSink(tmp_path / "out")
    first.open([], resume=False)
    second = MirrorSink(tmp_path / "out")
    with pytest.raises(BulkError, match="another declutter bulk run"):
        second.open([], resume=False)
    first.close()
    second.open([], resume=False)
    second.close()


def test_jsonl_sink_resume_cuts_a_partial_last_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"path": "a.html", "text": "A"}\n{"path": "b.html", "text": "B"}\n'
                     b'{"path": "c.html", "te')
    sink = JsonlSink(path)
    assert sink.default_errors_path() == tmp_path / "out.errors.jsonl"
    sink.open([], resume=True)
    assert sink.is_done(PageTask("a.html", b"")) and sink.is_done(PageTask("b.html", b""))
    assert not sink.is_done(PageTask("c.html", b""))
    sink.write(_ok("c.html", "C"))
    sink.close()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["path"] for r in records] == ["a.html", "b.html", "c.html"]
    fresh = JsonlSink(path)
    fresh.open([], resume=False)  # without resume: start over
    fresh.close()
    assert path.read_bytes() == b""


def test_render_output() -> None:
    record = {"path": "a", "text": "T", "markdown": "# M", "html": "<p>H</p>\n"}
    assert render_output(record, "text") == "T\n"
    assert render_output(record, "markdown") == "# M\n"
    assert render_output(record, "html") == "<p>H</p>\n"
    assert json.loads(render_output(record, "json")) == record
    assert render_output({"text": ""}, "text") == ""


def test_error_log_lines_survive_odd_characters(tmp_path: Path) -> None:
    log = ErrorLog(tmp_path / "e" / "errors.jsonl")
    log.open()
    log.write(PageResult("a\udcff.html", None, "OSError", "bad \udcff byte"))
    log.close()
    line = (tmp_path / "e" / "errors.jsonl").read_bytes()
    assert json.loads(line)["error"] == "OSError"


# --------------------------------------------------------------------------- progress


def test_line_progress_reports_counts_rate_and_eta() -> None:
    stream = io.StringIO()
    progress = LineProgress(stream, interval=0.0)
    progress.start(4)
    progress.advance(True)
    progress.advance(False)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[-1].startswith("declutter: 2/4 pages (50.0%), ")
    assert "pages/s, 1 failed, ETA" in lines[-1]
    assert isinstance(terminal_progress(io.StringIO()), LineProgress)  # not a terminal


# --------------------------------------------------------------------------- run_bulk


def _corpus(root: Path) -> dict[str, bytes]:
    pages = {}
    for index, sample in enumerate(sorted(SAMPLES.glob("*/page.html"))[:6]):
        data = sample.read_bytes()
        name = f"s{index % 2}/{sample.parent.name}.html"
        if index % 3 == 0:
            name += ".gz"
            _touch(root / name, gzip.compress(data))
        else:
            _touch(root / name, data)
        pages[name] = data
    return pages


def test_run_bulk_accounts_for_every_input(tmp_path: Path) -> None:
    pages = _corpus(tmp_path / "in")
    _touch(tmp_path / "in" / "broken" / "image.html", b"\x89PNG\r\n\x1a\n" + bytes(100))
    _touch(tmp_path / "in" / "broken" / "empty.htm", b"")
    out = tmp_path / "out"
    summary = run_bulk(tmp_path / "in", out, jobs=0, options=Options())
    assert isinstance(summary, BulkSummary)
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (8, 6, 2, 0)
    assert not summary.ok
    for name, data in pages.items():
        stem = name.removesuffix(".gz").removesuffix(".html")
        text = declutter.clean(data)
        assert (out / f"{stem}.txt").read_text() == (text + "\n" if text else "")
    errors = [json.loads(line) for line in (out / ERRORS_NAME).read_text().splitlines()]
    assert sorted((e["path"], e["error"]) for e in errors) == [
        ("broken/empty.htm", "EmptyPageError"), ("broken/image.html", "NotHTMLError")]
    again = run_bulk(tmp_path / "in", out, jobs=0, resume=True)
    assert (again.done, again.skipped, again.failed) == (0, 6, 2)
    assert "0 done, 6 skipped, 2 failed" in again.describe()


def test_run_bulk_to_jsonl_with_resume(tmp_path: Path) -> None:
    pages = _corpus(tmp_path / "in")
    out = tmp_path / "corpus.jsonl"
    summary = run_bulk(tmp_path / "in", out, jobs=1, explain=True)
    assert summary.ok and summary.done == len(pages)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["path"] for r in records) == sorted(pages)
    assert all({"url", "title", "text", "removed", "language"} <= set(r) for r in records)
    assert (tmp_path / "corpus.errors.jsonl").read_text() == ""
    again = run_bulk(tmp_path / "in", out, jobs=1, resume=True)
    assert (again.done, again.skipped) == (0, len(pages))
    assert len(out.read_text().splitlines()) == len(pages)


def test_run_bulk_from_tasks_and_results(tmp_path: Path) -> None:
    def source() -> Iterator[PageTask | PageResult]:
        yield PageTask("one", ARTICLE, url="https://example.com/one")
        yield PageTask("two/2", ARTICLE)
        yield PageResult("three", None, "WarcError", "record truncated")

    summary = run_bulk(source(), tmp_path / "out", jobs=0, fmt="json")
    assert (summary.done, summary.failed) == (2, 1)
    record = json.loads((tmp_path / "out" / "one.json").read_text())
    assert record["path"] == "one" and record["blocks"]
    with pytest.raises(ValueError, match="unique"):
        run_bulk([PageTask("a", b"x"), PageTask("a", b"y")], tmp_path / "o2", jobs=0)


def test_run_bulk_refuses_bad_setups(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(BulkError, match="not a directory"):
        run_bulk(tmp_path / "nowhere", tmp_path / "out")
    with pytest.raises(BulkError, match="cannot be the input"):
        run_bulk(tmp_path / "in", tmp_path / "in")
    with pytest.raises(ValueError, match="explain"):
        run_bulk(tmp_path / "in", tmp_path / "out", explain=True)
    with pytest.raises(ValueError, match="unknown format"):
        run_bulk(tmp_path / "in", tmp_path / "out", fmt="pdf")


def test_output_inside_the_input_is_not_read_back(tmp_path: Path) -> None:
    _corpus(tmp_path / "in")
    first = run_bulk(tmp_path / "in", tmp_path / "in" / "out", jobs=0, fmt="html")
    second = run_bulk(tmp_path / "in", tmp_path / "in" / "out", jobs=0, fmt="html")
    assert first.total == second.total == 6


def test_a_jsonl_output_inside_the_input_is_not_read_back(tmp_path: Path) -> None:
    _corpus(tmp_path / "in")
    out = tmp_path / "in" / "corpus.jsonl"
    first = run_bulk(tmp_path / "in", out, jobs=0, patterns=["*"])
    second = run_bulk(tmp_path / "in", out, jobs=0, patterns=["*"])
    assert first.total == second.total == 6
    assert second.ok


# --------------------------------------------------------------------------- explain reports


def _panel(report: Path) -> str:
    """The clean-text panel of an explain report, as a reader of the report sees it."""
    (panel,) = lxml.html.parse(str(report)).xpath("//*[@id='dc-text']")
    return str(panel.text_content())


def _samples(root: Path, count: int) -> list[str]:
    """``count`` sample pages copied into ``root`` (one in a subfolder); their keys."""
    keys = []
    for index, sample in enumerate(sorted(SAMPLES.glob("*/page.html"))[:count]):
        key = f"{'sub/' if index % 2 else ''}{sample.parent.name}.html"
        _touch(root / key, sample.read_bytes())
        keys.append(key)
    return keys


def test_run_bulk_writes_one_explain_report_per_page_with_the_output_text(
        tmp_path: Path) -> None:
    keys = _samples(tmp_path / "in", 4)
    reports = tmp_path / "reports"
    summary = run_bulk(tmp_path / "in", tmp_path / "out", jobs=0, explain_dir=reports)
    assert summary.ok and summary.done == len(keys)
    written = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file())
    assert written == sorted(key.removesuffix(".html") + ".explain.html" for key in keys)
    for key in keys:
        stem = key.removesuffix(".html")
        text = (tmp_path / "out" / f"{stem}.txt").read_text(encoding="utf-8")
        panel = _panel(reports / f"{stem}.explain.html")
        assert (panel + "\n" if panel else "") == text, key
    # the walk never reads reports back as pages, even from inside the input
    again = run_bulk(tmp_path / "in", tmp_path / "out2", jobs=0,
                     explain_dir=tmp_path / "in" / "reports")
    assert again.total == len(keys)
    assert run_bulk(tmp_path / "in", tmp_path / "out2", jobs=0,
                    explain_dir=tmp_path / "in" / "reports").total == len(keys)


def test_the_report_is_the_one_explain_html_makes() -> None:
    settings = PageSettings(report=True)
    result = process_task(PageTask("a.html", ARTICLE, url="https://example.com/a"), settings)
    assert result.ok and result.report == declutter.explain_html(
        ARTICLE, url="https://example.com/a")
    assert result.record is not None and result.record["title"]
    assert process_task(PageTask("a.html", ARTICLE), PageSettings()).report is None


def test_reports_are_built_in_the_workers(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parent process extracted a page")

    # Workers start from the fork server, which never sees these patches.
    monkeypatch.setattr(declutter.bulk.execution.work, "run", not_here)
    monkeypatch.setattr(declutter._report.explain, "report_for", not_here)
    keys = _samples(tmp_path / "in", 2)
    summary = run_bulk(tmp_path / "in", tmp_path / "out.jsonl", jobs=2,
                       explain_dir=tmp_path / "reports")
    assert summary.ok and summary.done == len(keys)
    for key in keys:
        assert (tmp_path / "reports" / key.replace(".html", ".explain.html")).is_file()


def test_a_report_path_never_leaves_its_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    reports = tmp_path / "reports"
    reports.mkdir()
    os.symlink(outside, reports / "news")  # planted before the run
    tasks = [PageTask("news/a.html", ARTICLE), PageTask("b.html", ARTICLE),
             PageTask("../evil.html", ARTICLE)]
    summary = run_bulk(tasks, tmp_path / "out", jobs=0, explain_dir=reports)
    assert (summary.done, summary.failed) == (1, 2)  # failures are records, not a crash
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "evil.explain.html").exists()
    errors = {e["path"]: e["error"] for e in map(
        json.loads, (tmp_path / "out" / ERRORS_NAME).read_text().splitlines())}
    assert errors == {"news/a.html": "UnsafePathError", "../evil.html": "UnsafePathError"}
    # the report goes first: a page whose report failed has no output either
    assert not (tmp_path / "out" / "news" / "a.txt").exists()
    assert (reports / "b.explain.html").is_file() and (tmp_path / "out" / "b.txt").is_file()
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    sink = ReportSink(tmp_path / "r2")
    sink.open([], resume=False)
    with pytest.raises(UnsafePathError):
        sink.write(PageResult("../x.html", {"text": ""}, report="<p>"))
    sink.close()


def test_resume_keeps_complete_reports_and_writes_only_missing_ones(tmp_path: Path) -> None:
    keys = _samples(tmp_path / "in", 3)
    reports, out = tmp_path / "reports", tmp_path / "out.jsonl"
    assert run_bulk(tmp_path / "in", out, jobs=0, explain_dir=reports).ok
    files = sorted(p for p in reports.rglob("*") if p.is_file())
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}
    again = run_bulk(tmp_path / "in", out, jobs=0, explain_dir=reports, resume=True)
    assert (again.done, again.skipped) == (0, len(keys))
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files} == before
    # a missing report is made again, without a second record for its page
    files[0].unlink()
    third = run_bulk(tmp_path / "in", out, jobs=0, explain_dir=reports, resume=True)
    assert (third.done, third.skipped) == (1, len(keys) - 1)
    assert files[0].is_file()
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files[1:]} == {
        p: before[p] for p in files[1:]}
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["path"] for r in records) == sorted(keys)


def test_run_bulk_refuses_an_explain_directory_sharing_the_output(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for reports in (tmp_path / "out", tmp_path / "out" / "reports", tmp_path):
        with pytest.raises(BulkError, match="explain directory"):
            run_bulk(tmp_path / "in", tmp_path / "out", explain_dir=reports)
    with pytest.raises(BulkError, match="explain directory cannot be the input"):
        run_bulk(tmp_path / "in", tmp_path / "out", explain_dir=tmp_path / "in")
    # a JSONL output may sit in the explain directory
    summary = run_bulk(tmp_path / "in", tmp_path / "out" / "all.jsonl", jobs=0,
                       explain_dir=tmp_path / "out")
    assert summary.ok


# --------------------------------------------------------------------------- failures and bugs


def test_failure_of_tells_page_problems_from_bugs() -> None:
    for error in (declutter.NotHTMLError("a PDF"), FileNotFoundError(2, "No such file"),
                  TimeoutError("late"), MemoryError(), EmptyPageError("empty")):
        failure = failure_of(error)
        assert (failure.kind, failure.traceback) == ("page", None), error
    assert failure_of(FileNotFoundError(2, "No such file", "/x")).message == "No such file"
    try:
        None.split()  # type: ignore[attr-defined]
    except AttributeError as error:
        bug = failure_of(error)
    assert (bug.error, bug.kind) == ("AttributeError", "bug")
    assert bug.traceback is not None and "None.split()" in bug.traceback
    assert error_message(ValueError()) == "ValueError"


_BUG_MARKER = b"<!-- plant-a-bug-here -->"


def _bug_on_marker(task: PageTask, settings: PageSettings) -> PageResult:
    """The work function, with a bug (a TypeError deep in it) on pages holding the marker."""
    if isinstance(task.source, bytes) and _BUG_MARKER in task.source:
        return process_task(PageTask(task.key, 12345), settings)  # type: ignore[arg-type]
    return process_task(task, settings)


@pytest.mark.parametrize("jobs", [0, 2])
def test_a_bug_is_recorded_apart_with_its_traceback_and_the_run_goes_on(
        tmp_path: Path, jobs: int) -> None:
    tasks = [PageTask(f"p{n}.html", ARTICLE + f"<!-- {n} -->".encode()) for n in range(5)]
    tasks += [PageTask("bug.html", ARTICLE + _BUG_MARKER), PageTask("pdf.html", b"%PDF-1.7")]
    summary = run_bulk(tasks, tmp_path / "out.jsonl", jobs=jobs, page_function=_bug_on_marker)
    assert (summary.done, summary.failed, summary.bugs) == (5, 1, 1)
    assert not summary.ok and "1 hit a bug of declutter" in summary.describe()
    assert summary.to_dict()["bugs"] == 1
    errors = {e["path"]: e for e in map(json.loads,
                                        (tmp_path / "out.errors.jsonl").read_text().splitlines())}
    assert errors["pdf.html"]["kind"] == "page" and "traceback" not in errors["pdf.html"]
    bug = errors["bug.html"]
    assert (bug["error"], bug["kind"]) == ("TypeError", "bug")
    assert "Traceback" in bug["traceback"] and "read_page" in bug["traceback"]


def test_a_bug_while_writing_an_output_is_a_bug_record(tmp_path: Path) -> None:
    class BrokenSink(JsonlSink):
        def write(self, result: PageResult) -> None:
            if result.key == "b.html":
                raise KeyError("a bug in a sink")
            super().write(result)

    tasks = [PageTask("a.html", ARTICLE), PageTask("b.html", ARTICLE)]
    summary = run_bulk(tasks, BrokenSink(tmp_path / "out.jsonl"), jobs=0)
    assert (summary.done, summary.failed, summary.bugs) == (1, 0, 1)
    line = json.loads((tmp_path / "out.errors.jsonl").read_text())
    assert (line["path"], line["error"], line["kind"]) == ("b.html", "KeyError", "bug")


def test_output_rendering_and_atomic_writes(tmp_path: Path) -> None:
    article = declutter.extract(b"<title>Only a title</title><p>x</p>")
    record = article_record(article, fmt="markdown")
    assert render_output(record, "markdown") == "# Only a title\n"  # a bulk file per page
    assert render_output(record, "markdown", empty_without_text=True) == ""  # the command
    assert render_output({"text": "a"}, "json", one_line=True) == '{"text": "a"}\n'
    target = tmp_path / "f.txt"
    target.write_text("old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "f.txt", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_tasks_pickle_to_themselves_and_sending_them_keeps_no_memory() -> None:
    """A run keeps every task for its whole length: pickling one for a worker must not
    leave anything behind (Python 3.11 builds and keeps an instance's ``__dict__`` when
    asked for it, which the default pickling does: 64+ bytes a task, for good)."""
    import pickle
    import tracemalloc

    from declutter.bulk.sources.remote import RemoteTask
    from declutter.bulk.sources.warc import WarcTask

    kinds = [PageTask("a.html", "/in/a.html", "https://a.example/", 1.5),
             WarcTask("c.warc/7", "s3://b/c.warc", None, None, offset=7, length=9,
                      version=(("ETag", '"x"'),), streamed=True),
             RemoteTask("d.html", "https://d.example/d.html", size=3)]
    for task in kinds:
        copy = pickle.loads(pickle.dumps(task))
        assert copy == task and type(copy) is type(task)
    many = [PageTask(f"{number}.html", f"/in/{number}.html") for number in range(10_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for task in many:
            pickle.dumps(task)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 16 * len(many), grown
