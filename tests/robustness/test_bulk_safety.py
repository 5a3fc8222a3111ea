"""The command line in bulk: outputs stay inside OUT, failures are recorded, kills lose nothing.

Each test runs the real ``declutter bulk`` in a subprocess, as a crawler's
job would: symlink loops and symlinks planted in the output tree, WARC records
named after absolute paths, a disk that refuses to grow a file (RLIMIT_FSIZE,
the closest a test gets to a full disk), a read-only output directory, and
``kill -9`` in the middle of a run followed by ``--resume``, twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _child import kill_when
from _robust import REPO_ROOT

from benchmarks.bulk import generate_corpus
from benchmarks.robustness import article

TEMP_PREFIX = ".declutter-tmp-"
ERRORS = "_errors.jsonl"


def bulk(*args: str | Path, timeout: float = 300,
         **popen: object) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "declutter", "bulk", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          cwd=REPO_ROOT, check=False, **popen)  # type: ignore[call-overload]


def files_under(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (symlinks not followed), by relative path."""
    found: dict[str, bytes] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def outputs(root: Path) -> dict[str, bytes]:
    return {key: value for key, value in files_under(root).items()
            if not key.endswith(ERRORS) and not key.rsplit("/", 1)[-1].startswith(TEMP_PREFIX)}


def errors(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _page(number: int, paragraphs: int = 1) -> str:
    extra = "".join(f"<p>Paragraph {number}.{i} of a page kept for the bulk test, long "
                    f"enough to be body text by any measure.</p>" for i in range(paragraphs))
    return article(extra_after=extra)


# --------------------------------------------------------------------------- paths


def test_symlinks_and_odd_names_never_lead_outside(tmp_path: Path) -> None:
    pages, out, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    (pages / "news").mkdir(parents=True)
    elsewhere.mkdir()
    (pages / "news" / "story.html").write_text(_page(1), encoding="utf-8")
    (pages / "evil").mkdir()
    (pages / "evil" / "story.html").write_text(_page(2), encoding="utf-8")
    for name in ("..html", "-rf.html", "new\nline.html", "back\\slash.html", " space .html"):
        (pages / name).write_text(_page(3), encoding="utf-8")
    (pages / "loop").symlink_to(pages, target_is_directory=True)  # a symlink loop
    (pages / "news" / "up").symlink_to("..", target_is_directory=True)
    # A symlink planted in the output tree where an output folder will go.
    out.mkdir()
    (out / "evil").symlink_to(elsewhere, target_is_directory=True)

    result = bulk(pages, "-o", out, "--jobs", "1", "--quiet", timeout=120)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert list(elsewhere.iterdir()) == [], "a write went through the planted symlink"
    written = outputs(out)
    assert "news/story.txt" in written
    assert all(not key.startswith("evil/") for key in written)
    failed = {record["path"] for record in errors(out / ERRORS)}
    assert "evil/story.html" in failed  # recorded, not silently lost
    for key in written:
        assert ".." not in Path(key).parts


def test_warc_records_are_named_by_file_and_offset_not_by_url(tmp_path: Path) -> None:
    """Archive records name absolute paths and ``..``: outputs still land inside OUT."""
    warcio = pytest.importorskip("warcio")
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders

    archive = tmp_path / "crawl.warc.gz"
    with archive.open("wb") as stream:
        writer = warcio.WARCWriter(stream, gzip=True)
        for number, uri in enumerate(("file:///etc/passwd", "http://x/../../../../tmp/escape",
                                      "/absolute/name.html", "http://example.com/ok")):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                       protocol="HTTP/1.1")
            record = writer.create_warc_record(uri, "response",
                                               payload=BytesIO(_page(number).encode()),
                                               http_headers=headers)
            writer.write_record(record)
    out = tmp_path / "out"
    result = bulk(archive, "-o", out, "--jobs", "1", "--quiet", timeout=120)
    assert result.returncode == 0, result.stderr
    written = outputs(out)
    assert written  # records without an http(s) address may be skipped; the rest are kept
    for key in written:
        assert re.fullmatch(r"crawl\.warc\.gz/\d+\.txt", key), key
    assert {path.name for path in tmp_path.iterdir()} == {"crawl.warc.gz", "out"}


# --------------------------------------------------------------------------- write failures


def _limit_file_size() -> None:
    # Files may not grow past 4 KiB, as on a full disk; writes fail with EFBIG
    # instead of the process being killed by SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
def test_a_disk_that_will_not_take_the_output_is_an_error_per_page(tmp_path: Path) -> None:
    pages, out, log = tmp_path / "in", tmp_path / "out", tmp_path / "errors.jsonl"
    pages.mkdir()
    for number in range(6):
        size = 40 if number % 2 else 1  # odd pages make outputs over 4 KiB
        (pages / f"page-{number}.html").write_text(_page(number, size), encoding="utf-8")
    result = bulk(pages, "-o", out, "--jobs", "1", "--errors", log,
                  preexec_fn=_limit_file_size, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    failed = {record["path"]: record for record in errors(log)}
    assert set(failed) == {"page-1.html", "page-3.html", "page-5.html"}
    for record in failed.values():
        assert "large" in str(record["message"]).lower() or record["error"] == "OSError"
    written = outputs(out)
    assert set(written) == {"page-0.txt", "page-2.txt", "page-4.txt"}
    for data in written.values():
        assert data.rstrip().endswith(b"end of the document.") or b"Paragraph" in data
    assert not [name for name in files_under(out) if TEMP_PREFIX in name], "partial files left"


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` made unwritable, even for root (the immutable attribute), then restored."""
    if os.geteuid() == 0:
        if not shutil.which("chattr"):
            pytest.skip("root without chattr cannot make a directory read-only")
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip("this file system has no immutable attribute")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(0o755)


def test_a_read_only_output_folder_is_an_error_per_page(tmp_path: Path) -> None:
    pages, out = tmp_path / "in", tmp_path / "out"
    for folder in ("open", "closed"):
        (pages / folder).mkdir(parents=True)
        for number in range(3):
            (pages / folder / f"p{number}.html").write_text(_page(number), encoding="utf-8")
    (out / "closed").mkdir(parents=True)
    with read_only(out / "closed"):
        result = bulk(pages, "-o", out, "--jobs", "1", "--quiet", timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert {record["path"] for record in errors(out / ERRORS)} == {
        "closed/p0.html", "closed/p1.html", "closed/p2.html"}
    assert set(outputs(out)) == {"open/p0.txt", "open/p1.txt", "open/p2.txt"}


def test_a_read_only_output_directory_is_a_clear_error(tmp_path: Path) -> None:
    pages, out, log = tmp_path / "in", tmp_path / "out", tmp_path / "errors.jsonl"
    pages.mkdir()
    out.mkdir()
    (pages / "p.html").write_text(_page(1), encoding="utf-8")
    with read_only(out):
        result = bulk(pages, "-o", out, "--errors", log, "--jobs", "1", timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "the failure must be explained"
    recorded = {record["path"] for record in errors(log)}
    assert recorded in (set(), {"p.html"})  # refused up front, or recorded per page
    assert outputs(out) == {}


# --------------------------------------------------------------------------- kill -9 and resume


def _slow_corpus(root: Path) -> None:
    """Samples, plus big pages whose outputs take a while to write."""
    generate_corpus(root, 160)
    big = root / "big"
    big.mkdir()
    for number in range(12):
        (big / f"big-{number:02d}.html").write_text(_page(number, 4000), encoding="utf-8")


def _kill_mid_run(pages: Path, out: Path, after: int) -> None:
    command = [sys.executable, "-m", "declutter", "bulk", str(pages), "-o", str(out),
               "--jobs", "2", "--quiet"]
    kill_when(command, lambda: out.exists() and len(outputs(out)) >= after, cwd=REPO_ROOT)


def test_kill_9_leaves_no_partial_output_and_resume_finishes(tmp_path: Path) -> None:
    pages, reference, out = tmp_path / "in", tmp_path / "reference", tmp_path / "out"
    _slow_corpus(pages)
    done = bulk(pages, "-o", reference, "--jobs", "2", "--quiet", timeout=600)
    assert done.returncode == 0, done.stderr
    expected = outputs(reference)
    assert len(expected) == 172

    for after in (20, 90):  # killed twice, at different points
        _kill_mid_run(pages, out, after)
        for key, data in outputs(out).items():
            assert data == expected[key], f"{key} is partial or wrong after kill -9"
        leftovers = [key for key in files_under(out) if key not in expected
                     and not key.endswith(ERRORS)]
        assert all(key.rsplit("/", 1)[-1].startswith(TEMP_PREFIX) for key in leftovers)

    summary = tmp_path / "summary.json"
    resumed = bulk(pages, "-o", out, "--resume", "--jobs", "2", "--quiet",
                   "--summary-json", summary, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert outputs(out) == expected
    assert [key for key in files_under(out) if TEMP_PREFIX in key] == []
    first = json.loads(summary.read_text(encoding="utf-8"))
    assert first["skipped"] >= 20 and first["done"] + first["skipped"] == 172

    stamps = {key: (out / key).stat().st_mtime_ns for key in expected}
    again = bulk(pages, "-o", out, "--resume", "--jobs", "2", "--quiet",
                 "--summary-json", summary, timeout=600)
    assert again.returncode == 0, again.stderr
    second = json.loads(summary.read_text(encoding="utf-8"))
    assert (second["done"], second["skipped"], second["failed"]) == (0, 172, 0)
    assert outputs(out) == expected
    assert {key: (out / key).stat().st_mtime_ns for key in expected} == stamps


def test_timeout_and_jobs_finish_the_run_around_a_hanging_page(
        tmp_path: Path, fault_env: Callable[..., dict[str, str]]) -> None:
    pages, out = tmp_path / "in", tmp_path / "out"
    pages.mkdir()
    marker = "hang-marker-for-robustness-tests"
    for number in range(8):
        text = _page(number) + (f"<!-- {marker} -->" if number == 3 else "")
        (pages / f"p{number}.html").write_text(text, encoding="utf-8")
    env = fault_env(hang=marker)
    start = time.monotonic()
    result = bulk(pages, "-o", out, "--jobs", "2", "--timeout", "3", "--quiet", env=env,
                  timeout=120)
    assert time.monotonic() - start < 60
    assert result.returncode == 1
    assert [record["path"] for record in errors(out / ERRORS)] == ["p3.html"]
    assert len(outputs(out)) == 7
