"""The ``declutter`` command, driven as a user drives it: subprocesses and real files.

Bulk tests run on a directory of 240 pages generated from ``samples/`` (nested
folders, every accepted suffix, a quarter gzip-compressed) by the benchmark's
:func:`benchmarks.bulk.generate_corpus`, so the tests and the benchmark work
on the same kind of directory.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import lxml.html
import pytest
from _child import child_env

REPO = Path(__file__).resolve().parent.parent
# benchmarks/ is not an installed package; make the repo root importable under plain `pytest`.
sys.path.insert(0, str(REPO))

import declutter  # noqa: E402
from declutter.bulk import ERRORS_NAME, TEMP_PREFIX  # noqa: E402

SAMPLES = REPO / "samples"
ARTICLE = SAMPLES / "01-wordpress-blog" / "page.html"
HOME_PAGE = next(SAMPLES.glob("*nonarticle-home-page*/page.html"), None)
PAGES = 240  # the size of the corpus fixture (tests/conftest.py)
HANG_MARKER = "declutter-test-hang-5f2c9e1a7b"
#: The ``fault_env`` fixture of conftest.py: an environment with faulty pages.
FaultEnv = Callable[..., dict[str, str]]


def run(*args: object, stdin: bytes | None = None, env: dict[str, str] | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess[bytes]:
    """``python -m declutter ARGS``, as a user would type it."""
    return subprocess.run([sys.executable, "-m", "declutter", *map(str, args)], input=stdin,
                          capture_output=True, env=env or child_env(), timeout=timeout, check=False)


def _err(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stderr.decode("utf-8", "replace")


def _no_traceback(result: subprocess.CompletedProcess[bytes]) -> None:
    assert "Traceback" not in _err(result), _err(result)


def _expected_text(data: bytes) -> str:
    text = declutter.clean(data)
    return text + "\n" if text else ""


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _input_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _output_key(relative: str, extension: str = ".txt") -> str:
    stem = re.sub(r"\.(html|htm|xhtml|shtml)(\.gz)?$", "", relative, flags=re.IGNORECASE)
    return stem + extension


def _summary_counts(stderr: str) -> dict[str, int]:
    match = re.search(r"(\d+) done.*?, (\d+) skipped, (\d+) failed", stderr)
    assert match, stderr
    return dict(zip(("done", "skipped", "failed"), map(int, match.groups()), strict=True))


@pytest.fixture(scope="session")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One uninterrupted ``bulk --jobs 2`` run of the corpus: its output and its stderr."""
    out = tmp_path_factory.mktemp("reference") / "out"
    result = run("bulk", corpus, "-o", out, "--jobs", "2")
    assert result.returncode == 0, _err(result)
    return out, _err(result)


# --------------------------------------------------------------------------- one page


def test_pipe_stdin_to_stdout() -> None:
    data = ARTICLE.read_bytes()
    result = run(stdin=data)
    assert result.returncode == 0
    assert result.stdout.decode("utf-8") == _expected_text(data)
    assert result.stderr == b""
    assert run("-", stdin=data).stdout == result.stdout


def test_files_stdin_and_output_file(tmp_path: Path) -> None:
    data = ARTICLE.read_bytes()
    gz = tmp_path / "story.html.gz"
    gz.write_bytes(gzip.compress(data))
    out = tmp_path / "out.txt"
    result = run(ARTICLE, "-", gz, "-o", out, stdin=data)
    assert result.returncode == 0 and result.stdout == b""
    text = out.read_text(encoding="utf-8")
    body = _expected_text(data)
    assert text == (f"==> {ARTICLE} <==\n{body}\n==> <stdin> <==\n{body}\n==> {gz} <==\n{body}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "story.html.gz"]


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_every_format(fmt: str) -> None:
    data = ARTICLE.read_bytes()
    article = declutter.extract(data)
    result = run("--format", fmt, ARTICLE)
    assert result.returncode == 0, _err(result)
    out = result.stdout.decode("utf-8")
    if fmt == "text":
        assert out == article.text + "\n"
    elif fmt == "markdown":
        assert out == article.to_markdown() + "\n"
        assert out.startswith(f"# {article.title}")
    elif fmt == "html":
        assert out.rstrip("\n") == article.to_html().rstrip("\n")
    else:
        record = json.loads(out)
        assert record["path"] == str(ARTICLE)
        assert record["text"] == article.text
        assert record["title"] == article.title and record["authors"] == list(article.authors)
        assert record["blocks"] and "removed" not in record


def test_explain_json_lists_every_removal_with_its_reason() -> None:
    record = json.loads(run("--format", "json", "--explain", ARTICLE).stdout)
    removed = declutter.extract(ARTICLE.read_bytes()).removed
    assert len(record["removed"]) == len(removed) > 0
    assert record["removed"][0] == {"category": removed[0].category, "rule": removed[0].rule,
                                    "excerpt": removed[0].excerpt, "path": removed[0].path,
                                    "tag": removed[0].tag}


def test_explain_text_goes_to_stderr() -> None:
    result = run("--explain", ARTICLE)
    assert result.returncode == 0
    assert result.stdout.decode("utf-8") == _expected_text(ARTICLE.read_bytes())
    lines = _err(result).splitlines()
    removed = declutter.extract(ARTICLE.read_bytes()).removed
    assert lines[0] == f"declutter: {ARTICLE}: {len(removed)} removals"
    assert len(lines) == len(removed) + 1
    first = removed[0]
    assert lines[1].split()[:2] == [first.category, first.rule]
    assert any(line.split()[0] == "ad" for line in lines[1:])


def test_every_option_is_a_flag() -> None:
    help_text = run("--help").stdout.decode()
    for field in fields(declutter.Options):
        if field.type in (bool, "bool"):
            flag = field.name.replace("_", "-")
            assert f"--{flag}" in help_text and f"--no-{flag}" in help_text
    for flag in ("--drop", "--keep", "--rules", "--max-bytes", "--url", "--explain"):
        assert flag in help_text


def test_flags_change_the_output(tmp_path: Path) -> None:
    data = ARTICLE.read_bytes()
    titled = run("--include-title", ARTICLE).stdout.decode()
    assert titled.splitlines()[0] == declutter.extract(data).title
    dropped = run("--drop", "article p", "--no-fallback", ARTICLE).stdout.decode()
    assert "Port Alder town council" not in dropped
    captions = run("--keep-captions", ARTICLE).stdout.decode()
    assert "Residents packed the council chamber" in captions
    assert "Residents packed the council chamber" not in run(ARTICLE).stdout.decode()
    big = run("--max-bytes", "1K", ARTICLE)
    assert big.returncode == 1 and "InputTooLargeError" in _err(big)
    if HOME_PAGE is not None:
        listing = run(HOME_PAGE)
        assert listing.returncode == 0 and listing.stdout == b""
        assert "no article found" in _err(listing)
        assert run("-q", HOME_PAGE).stderr == b""
        assert run("--no-articles-only", HOME_PAGE).stdout.strip()


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_rules_file_applies_to_its_site(tmp_path: Path, suffix: str) -> None:
    rules = tmp_path / f"rules{suffix}"
    if suffix == ".toml":
        rules.write_text('[[sites]]\ndomain = "rules-test.example"\ndrop = ["article p"]\n')
    else:
        rules.write_text("sites:\n  - domain: rules-test.example\n    drop: [article p]\n")
    text = "Port Alder town council"
    on_site = run("--rules", rules, "--url", "https://www.rules-test.example/x", "--no-fallback",
                  ARTICLE)
    assert on_site.returncode == 0 and text not in on_site.stdout.decode()
    elsewhere = run("--rules", rules, "--url", "https://else.example/x", ARTICLE)
    assert text in elsewhere.stdout.decode()
    # without --url, the address the saved page states selects the rules
    saved = tmp_path / "saved.html"
    saved.write_bytes(b"<!-- saved from url=(0035)https://rules-test.example/a/story -->\n"
                      + ARTICLE.read_bytes())
    assert text not in run("--rules", rules, "--no-fallback", saved).stdout.decode()


def test_bad_rules_and_selectors_are_usage_errors(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[sites]]\ndomain = "x.example"\ndorp = [".a"]\n')
    for args in (["--rules", rules], ["--rules", tmp_path / "missing.toml"],
                 ["--drop", "div["], ["--keep", "(count(//p))"]):
        result = run(*args, ARTICLE)
        assert result.returncode == 2, args
        _no_traceback(result)
        assert result.stdout == b""
    assert "rules.toml: unknown key sites[0].dorp" in _err(run("--rules", rules, ARTICLE))


def test_exit_codes_and_messages(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.html"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)))
    missing = run(tmp_path / "missing.html")
    assert missing.returncode == 1
    assert _err(missing).strip() == (f"declutter: {tmp_path / 'missing.html'}: "
                                     "FileNotFoundError: No such file or directory")
    mixed = run(pdf, ARTICLE)
    assert mixed.returncode == 1
    assert "NotHTMLError: input is a PDF document" in _err(mixed)
    assert "Port Alder" in mixed.stdout.decode()  # the good page is still printed
    empty = run(stdin=b"")
    assert empty.returncode == 1 and "empty" in _err(empty)
    for result in (missing, mixed, empty):
        _no_traceback(result)
    for args in (["--format", "pdf"], ["--bogus"], ["-", "-"], ["--url", "u", ARTICLE, ARTICLE],
                 ["--max-bytes", "lots"]):
        usage = run(*args, stdin=b"<p>x</p>")
        assert usage.returncode == 2, args
        assert "usage:" in _err(usage)
        _no_traceback(usage)


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.decode().strip() == f"declutter {declutter.__version__}"
    help_text = run("--help").stdout.decode()
    assert help_text.startswith("usage: declutter ")
    assert "examples:" in help_text and "declutter bulk" in help_text
    assert "exit status" in help_text
    bulk_help = run("bulk", "--help").stdout.decode()
    assert bulk_help.startswith("usage: declutter bulk ")
    assert "examples:" in bulk_help and "--resume" in bulk_help and "--jobs" in bulk_help


def test_console_script_runs_the_same_main(tmp_path: Path) -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^declutter = "declutter\.cli:main"$', pyproject, re.MULTILINE)
    # What the installed console script does: import the entry point, exit with its result.
    script = "import sys; from declutter.cli import main; sys.exit(main())"
    as_script = subprocess.run([sys.executable, "-c", script, "--format", "json", ARTICLE],
                               capture_output=True, env=child_env(), timeout=60, check=False)
    as_module = run("--format", "json", ARTICLE)
    assert as_script.returncode == as_module.returncode == 0
    assert as_script.stdout == as_module.stdout
    bad_script = subprocess.run([sys.executable, "-c", script, "--bogus"], capture_output=True,
                                env=child_env(), timeout=60, check=False)
    assert bad_script.returncode == 2


def test_a_closed_pipe_is_not_an_error(corpus: Path) -> None:
    pages = sorted(str(p) for p in corpus.rglob("*.html"))[:60]
    process = subprocess.Popen([sys.executable, "-m", "declutter", *pages],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()  # like `declutter ... | head -c 10`
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in stderr and "Broken pipe" not in stderr


# --------------------------------------------------------------------------- bulk


def test_bulk_mirrors_every_page(corpus: Path, reference: tuple[Path, str]) -> None:
    out, stderr = reference
    inputs = sorted(p for p in corpus.rglob("*") if p.is_file())
    assert len(inputs) == PAGES
    outputs = _files(out)
    assert outputs.pop(ERRORS_NAME) == b""
    assert sorted(outputs) == sorted(_output_key(p.relative_to(corpus).as_posix())
                                     for p in inputs)
    for path in inputs:
        key = _output_key(path.relative_to(corpus).as_posix())
        assert outputs[key].decode("utf-8") == _expected_text(_input_bytes(path)), key
    assert _summary_counts(stderr) == {"done": PAGES, "skipped": 0, "failed": 0}
    assert "peak worker memory" in stderr


def test_bulk_to_jsonl(corpus: Path, reference: tuple[Path, str], tmp_path: Path) -> None:
    out = tmp_path / "corpus.jsonl"
    result = run("bulk", corpus, "-o", out, "--jobs", "2", "--quiet")
    assert result.returncode == 0 and result.stderr == b""
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == PAGES
    assert len({r["path"] for r in records}) == PAGES
    ref = reference[0]
    for record in records:
        assert {"path", "url", "title", "authors", "published", "language", "text"} <= set(record)
        expected = (ref / _output_key(record["path"])).read_text(encoding="utf-8")
        assert (record["text"] + "\n" if record["text"] else "") == expected
    assert any(r["url"] for r in records)
    assert (tmp_path / "corpus.errors.jsonl").read_text() == ""


@pytest.mark.parametrize(("fmt", "extension"), [("json", ".json"), ("markdown", ".md"),
                                                ("html", ".html")])
def test_bulk_formats(corpus: Path, tmp_path: Path, fmt: str, extension: str) -> None:
    out = tmp_path / "out"
    extra = ["--explain"] if fmt == "json" else []
    result = run("bulk", corpus, "-o", out, "--format", fmt, "--jobs", "1",
                 "--glob", "section-1/day-01/*", *extra)
    assert result.returncode == 0, _err(result)
    chosen = sorted(p.relative_to(corpus).as_posix() for p in (corpus / "section-1" / "day-01")
                    .iterdir())
    written = sorted(k for k in _files(out) if k != ERRORS_NAME)
    assert written == sorted(_output_key(k, extension) for k in chosen)
    first = (out / written[0]).read_text(encoding="utf-8")
    if fmt == "json":
        record = json.loads(first)
        assert record["path"] in chosen and "blocks" in record and "removed" in record
    elif fmt == "html":
        assert first.startswith("<") or first == ""


def test_bulk_reports_problem_files_and_never_loses_a_page(corpus: Path, tmp_path: Path) -> None:
    source = tmp_path / "in"
    shutil.copytree(corpus / "section-2", source / "section-2")
    (source / "bad").mkdir()
    (source / "bad" / "empty.html").write_bytes(b"")
    (source / "bad" / "photo.html").write_bytes(b"\xff\xd8\xff\xe0" + bytes(500))
    (source / "bad" / "archive.html").write_bytes(b"PK\x03\x04" + bytes(100))
    (source / "bad" / "broken.html.gz").write_bytes(gzip.compress(b"<p>text</p>" * 50)[:30])
    os.symlink(source / "nowhere.html", source / "bad" / "dangling.html")
    (source / os.fsdecode(b"bad/latin-\xe9t\xe9.html")).write_bytes(ARTICLE.read_bytes())
    out = tmp_path / "out"
    result = run("bulk", source, "-o", out, "--jobs", "2")
    assert result.returncode == 1
    _no_traceback(result)
    errors = [json.loads(line) for line in (out / ERRORS_NAME).read_text().splitlines()]
    by_path = {e["path"]: e for e in errors}
    assert {path: e["error"] for path, e in by_path.items()} == {
        "bad/empty.html": "EmptyPageError",
        "bad/photo.html": "NotHTMLError",
        "bad/archive.html": "NotHTMLError",
        "bad/broken.html.gz": "BadGzipFile",
        "bad/dangling.html": "FileNotFoundError",
        "bad/latin-\\xe9t\\xe9.html": "FileNameError",
    }
    assert all(e["message"] for e in errors)
    good = sorted(p.relative_to(source).as_posix() for p in (source / "section-2").rglob("*")
                  if p.is_file())
    written = sorted(k for k in _files(out) if k != ERRORS_NAME)
    assert written == sorted(_output_key(k) for k in good)
    counts = _summary_counts(_err(result))
    assert counts == {"done": len(good), "skipped": 0, "failed": 6}
    assert f"failures listed in {out / ERRORS_NAME}" in _err(result)


BUG_MARKER = "declutter-test-bug-0c7d31a9e2"


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_a_bug_of_declutter_is_logged_apart_and_exits_with_its_own_status(
        corpus: Path, tmp_path: Path, fault_env: FaultEnv, jobs: str) -> None:
    source = tmp_path / "in"
    shutil.copytree(corpus / "section-0" / "day-00", source)
    (source / "buggy.html").write_bytes(ARTICLE.read_bytes().replace(
        b"</body>", f"<p>{BUG_MARKER}</p></body>".encode()))
    (source / "photo.html").write_bytes(b"\xff\xd8\xff\xe0" + bytes(500))
    out, summary_path = tmp_path / "out", tmp_path / "summary.json"
    result = run("bulk", source, "-o", out, "--jobs", jobs, "--summary-json", summary_path,
                 env=fault_env(bug=BUG_MARKER))
    assert result.returncode == 3, _err(result)
    _no_traceback(result)  # the traceback is in the error log, not on the terminal
    errors = {e["path"]: e for e in map(json.loads,
                                        (out / ERRORS_NAME).read_text().splitlines())}
    assert errors["photo.html"]["kind"] == "page"
    bug = errors["buggy.html"]
    assert (bug["error"], bug["kind"]) == ("TypeError", "bug")
    assert "a bug planted by the tests" in bug["message"] and "Traceback" in bug["traceback"]
    summary = json.loads(summary_path.read_text())
    pages = sum(1 for p in source.iterdir()) - 2
    assert (summary["done"], summary["failed"], summary["bugs"]) == (pages, 1, 1)
    assert "1 hit a bug of declutter" in _err(result)
    usage = " ".join(run("bulk", "--help").stdout.decode().split())
    assert "Exit status: 0 every page done" in usage and "3 a bug of declutter" in usage


def test_a_bug_on_one_page_of_several_is_said_with_its_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from declutter import cli
    from declutter.cli import page

    real = page.run

    def buggy(html: object, url: object, options: object, *, full: bool) -> object:
        if b"Port Alder" in html:  # type: ignore[operator]
            raise AttributeError("'NoneType' object has no attribute 'text'")
        return real(html, url, options, full=full)  # type: ignore[arg-type]

    monkeypatch.setattr(page, "run", buggy)
    home = next(SAMPLES.glob("*nonarticle-404*/page.html"))
    assert cli.main(["--no-articles-only", str(ARTICLE), str(home)]) == cli.EXIT_BUG
    out, err = capsys.readouterr()
    assert f"==> {home} <==" in out  # the other page is still printed
    assert f"{ARTICLE}: AttributeError: 'NoneType' object has no attribute 'text'" in err
    assert "bug of declutter" in err and "Traceback (most recent call last)" in err


def test_a_bug_outside_any_page_exits_with_the_bug_status(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from declutter import cli

    def broken(argv: object) -> int:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(cli, "_bulk", broken)
    assert cli.main(["bulk", "in", "-o", "out"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "declutter: bug: TypeError: unsupported operand" in err
    assert "bug of declutter" in err and "Traceback (most recent call last)" in err


def test_bulk_kills_a_hanging_page_at_the_timeout(corpus: Path, tmp_path: Path,
                                                   fault_env: FaultEnv) -> None:
    source = tmp_path / "in"
    shutil.copytree(corpus / "section-3", source)
    hang = source / "day-00" / "hangs.html"
    hang.write_bytes(ARTICLE.read_bytes().replace(b"</body>", f"<p>{HANG_MARKER}</p></body>"
                                                  .encode()))
    out = tmp_path / "out"
    started = time.monotonic()
    result = run("bulk", source, "-o", out, "--jobs", "2", "--timeout", "3",
                 env=fault_env(hang=HANG_MARKER))
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    errors = [json.loads(line) for line in (out / ERRORS_NAME).read_text().splitlines()]
    assert [(e["path"], e["error"]) for e in errors] == [("day-00/hangs.html", "TimeoutError")]
    assert "3 s" in errors[0]["message"]
    inputs = [p for p in source.rglob("*") if p.is_file() and p != hang]
    assert len([k for k in _files(out) if k != ERRORS_NAME]) == len(inputs)
    counts = _summary_counts(_err(result))
    assert counts == {"done": len(inputs), "skipped": 0, "failed": 1}
    assert "1 timed out" in _err(result)
    assert elapsed < 60


def _outputs_so_far(out: Path) -> int:
    if out.suffix == ".jsonl":
        return out.read_bytes().count(b"\n") if out.exists() else 0
    return sum(1 for p in out.rglob("*.txt")) if out.exists() else 0


def _kill_mid_run(command: list[str], ready: Callable[[], bool]) -> bool:
    """Start a run in its own process group; kill -9 the whole group once ``ready()``.

    Returns False if the run ended before it could be killed.
    """
    process = subprocess.Popen(command, env=child_env(), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None:
            if ready():
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.002)
        return False
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("kind", ["directory", "jsonl"])
def test_kill_9_then_resume_finishes_every_page_exactly_once(
    corpus: Path, reference: tuple[Path, str], tmp_path: Path, kind: str
) -> None:
    out = tmp_path / ("corpus.jsonl" if kind == "jsonl" else "out")
    command = [sys.executable, "-m", "declutter", "bulk", str(corpus), "-o", str(out),
               "--jobs", "2"]
    for _attempt in range(3):
        shutil.rmtree(out, ignore_errors=True)
        out.unlink(missing_ok=True)
        if _kill_mid_run(command, lambda: _outputs_so_far(out) >= 20):
            break
    else:
        pytest.fail("the bulk run always finished before it could be killed")
    before = _outputs_so_far(out)
    assert 20 <= before < PAGES
    resumed = run("bulk", corpus, "-o", out, "--jobs", "2", "--resume")
    assert resumed.returncode == 0, _err(resumed)
    counts = _summary_counts(_err(resumed))
    assert counts["done"] + counts["skipped"] == PAGES and counts["failed"] == 0
    assert counts["skipped"] >= before - 1  # a JSONL line cut short by the kill is redone
    ref = _files(reference[0])
    if kind == "directory":
        outputs = _files(out)
        assert not [k for k in outputs if Path(k).name.startswith(TEMP_PREFIX)]
        assert outputs == ref  # every page once, complete, byte for byte
    else:
        raw = out.read_bytes()
        assert raw.endswith(b"\n")
        records = [json.loads(line) for line in raw.splitlines()]
        assert sorted(r["path"] for r in records) == sorted(
            p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file())
        for record in records:
            text = record["text"] + "\n" if record["text"] else ""
            assert text.encode() == ref[_output_key(record["path"])]


def test_killing_only_the_parent_leaves_no_worker_behind(corpus: Path, tmp_path: Path,
                                                         fault_env: FaultEnv) -> None:
    source = tmp_path / "in"
    shutil.copytree(corpus / "section-0" / "day-00", source)
    (source / "hangs.html").write_bytes(f"<p>{HANG_MARKER}</p>".encode())
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "declutter", "bulk", str(source), "-o", str(out), "--jobs", "2",
         "--timeout", "600"], env=fault_env(hang=HANG_MARKER),
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    group = process.pid
    try:
        pages = sum(1 for p in source.iterdir()) - 1
        deadline = time.monotonic() + 60
        while _outputs_so_far(out) < pages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _outputs_so_far(out) == pages  # only the hanging page is left, in a worker
        assert len(_live_members(group)) >= 2
        os.kill(process.pid, signal.SIGKILL)  # the parent alone, as an OOM killer might
        process.wait()
        deadline = time.monotonic() + 15
        while _live_members(group) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _live_members(group) == []
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left, if the test failed
            os.killpg(group, signal.SIGKILL)


def _live_members(group: int) -> list[int]:
    """Processes of a process group that are not zombies (from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields_after_name = stat.rsplit(")", 1)[1].split()
        state, pgrp = fields_after_name[0], int(fields_after_name[2])
        if pgrp == group and state != "Z":
            members.append(int(entry.name))
    return members


def test_bulk_progress_lines_when_not_a_terminal(corpus: Path, tmp_path: Path) -> None:
    result = run("bulk", corpus, "-o", tmp_path / "out", "--jobs", "2",
                 "--progress-every", "0.05")
    assert result.returncode == 0
    lines = _err(result).splitlines()
    progress = [line for line in lines if re.match(r"declutter: \d+/240 pages \(", line)]
    assert progress, lines
    assert re.search(r"pages/s, 0 failed, ETA \S+$", progress[-1])
    assert re.match(r"declutter: 240 done", lines[-1])
    quiet = run("bulk", corpus, "-o", tmp_path / "quiet", "--jobs", "2", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == b""


def test_bulk_progress_bar_on_a_terminal(corpus: Path, tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "declutter", "bulk", str(corpus / "section-0"), "-o",
         str(tmp_path / "out"), "--jobs", "2"],
        env=child_env(COLUMNS="100"), stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's last writer closed it
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    assert process.wait(timeout=120) == 0
    reader.join(10)
    os.close(controller)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "60/60" in screen and "page/s" in screen and "failed=0" in screen
    assert "60 done" in screen


def test_bulk_never_writes_outside_the_output_directory(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "section-1")  # planted before the run
    result = run("bulk", corpus, "-o", out, "--jobs", "2")
    assert result.returncode == 1
    assert list(outside.iterdir()) == []
    errors = [json.loads(line) for line in (out / ERRORS_NAME).read_text().splitlines()]
    assert len(errors) == PAGES // 4
    assert {e["error"] for e in errors} == {"UnsafePathError"}
    assert all(e["path"].startswith("section-1/") for e in errors)


def test_bulk_usage_errors(corpus: Path, tmp_path: Path) -> None:
    for args in (["bulk", corpus],
                 ["bulk", tmp_path / "missing", "-o", tmp_path / "out"],
                 ["bulk", corpus, "-o", tmp_path / "out", "--explain"],
                 ["bulk", corpus, "-o", tmp_path / "out", "--jobs", "-1"],
                 ["bulk", corpus, "-o", tmp_path / "out", "--timeout", "soon"],
                 ["bulk", corpus, "-o", tmp_path / "out", "--memory-limit", "much"],
                 ["bulk", corpus, "-o", tmp_path / "out", "--format", "pdf"]):
        result = run(*args)
        assert result.returncode == 2, args
        assert "usage: declutter bulk" in _err(result)
        _no_traceback(result)
    assert not (tmp_path / "out").exists()


def test_bulk_says_when_it_found_nothing(corpus: Path, tmp_path: Path) -> None:
    result = run("bulk", corpus, "-o", tmp_path / "out", "--glob", "*.pdf", "-q")
    assert result.returncode == 0
    assert "no pages found under" in _err(result) and "*.pdf" in _err(result)


def test_bulk_resume_skips_only_complete_newer_outputs(corpus: Path, tmp_path: Path) -> None:
    source = tmp_path / "in"
    shutil.copytree(corpus / "section-0" / "day-01", source)
    out = tmp_path / "out"
    assert run("bulk", source, "-o", out, "--jobs", "1").returncode == 0
    pages = sorted(source.iterdir())
    future = time.time() + 60
    os.utime(pages[0], (future, future))  # the page changed after its output was written
    result = run("bulk", source, "-o", out, "--jobs", "1", "--resume")
    assert result.returncode == 0
    assert _summary_counts(_err(result)) == {"done": 1, "skipped": len(pages) - 1, "failed": 0}


def test_sigterm_stops_a_bulk_run_cleanly_and_resume_finishes_it(corpus: Path,
                                                                   tmp_path: Path,
                                                                   fault_env: FaultEnv) -> None:
    source = tmp_path / "in"
    shutil.copytree(corpus / "section-1", source)
    (source / "hangs.html").write_bytes(ARTICLE.read_bytes().replace(
        b"</body>", f"<p>{HANG_MARKER}</p></body>".encode()))
    total = sum(1 for p in source.rglob("*") if p.is_file())
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "declutter", "bulk", str(source), "-o", str(out), "--jobs", "2",
         "--timeout", "600"], env=fault_env(hang=HANG_MARKER),
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _outputs_so_far(out) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)  # the run cannot have ended: one page hangs
        assert process.wait(timeout=60) == 130
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    assert "interrupted" in stderr and "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while _live_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _live_members(process.pid) == []
    assert not [p for p in out.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    resumed = run("bulk", source, "-o", out, "--jobs", "2", "--resume")  # no hang this time
    assert resumed.returncode == 0, _err(resumed)
    counts = _summary_counts(_err(resumed))
    assert counts["done"] + counts["skipped"] == total and counts["skipped"] >= 10


# --------------------------------------------------------------------------- bulk explain reports


def _report_panel(report: Path) -> str:
    (panel,) = lxml.html.parse(str(report)).xpath("//*[@id='dc-text']")
    return str(panel.text_content())


def _stats(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def test_bulk_explain_html_writes_a_report_per_page_and_resume_keeps_them(
        tmp_path: Path) -> None:
    source = tmp_path / "in"
    keys = []
    for index, sample in enumerate(sorted(SAMPLES.glob("*/page.html"))):
        key = f"{'news/' if index % 2 else ''}{sample.parent.name}.html"
        (source / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, source / key)
        keys.append(key)
    out, reports = tmp_path / "out", tmp_path / "reports"
    result = run("bulk", source, "-o", out, "--explain-html", reports, "--jobs", "2")
    assert result.returncode == 0, _err(result)
    assert _summary_counts(_err(result)) == {"done": len(keys), "skipped": 0, "failed": 0}
    written = sorted(p for p in reports.rglob("*") if p.is_file())
    assert [p.relative_to(reports).as_posix() for p in written] == sorted(
        _output_key(key, ".explain.html") for key in keys)
    for key in keys:
        text = (out / _output_key(key)).read_text(encoding="utf-8")
        panel = _report_panel(reports / _output_key(key, ".explain.html"))
        assert (panel + "\n" if panel else "") == text, key
    before = _stats(written)
    again = run("bulk", source, "-o", out, "--explain-html", reports, "--jobs", "0", "--resume")
    assert again.returncode == 0, _err(again)
    assert _summary_counts(_err(again)) == {"done": 0, "skipped": len(keys), "failed": 0}
    assert _stats(written) == before
    written[0].unlink()  # a lost report is written again, and only it
    third = run("bulk", source, "-o", out, "--explain-html", reports, "--jobs", "0", "--resume")
    assert _summary_counts(_err(third)) == {"done": 1, "skipped": len(keys) - 1, "failed": 0}
    assert written[0].is_file() and _stats(written[1:]) == {p: before[p] for p in written[1:]}


def test_bulk_explain_html_confined_to_its_directory(tmp_path: Path) -> None:
    source = tmp_path / "in"
    (source / "news").mkdir(parents=True)
    shutil.copyfile(ARTICLE, source / "news" / "a.html")
    shutil.copyfile(ARTICLE, source / "b.html")
    outside, reports = tmp_path / "outside", tmp_path / "reports"
    outside.mkdir()
    reports.mkdir()
    os.symlink(outside, reports / "news")  # planted before the run
    result = run("bulk", source, "-o", tmp_path / "out", "--explain-html", reports,
                 "--jobs", "0")
    assert result.returncode == 1
    _no_traceback(result)
    assert list(outside.iterdir()) == []
    errors = [json.loads(line)
              for line in (tmp_path / "out" / ERRORS_NAME).read_text().splitlines()]
    assert [(e["path"], e["error"]) for e in errors] == [("news/a.html", "UnsafePathError")]
    assert (reports / "b.explain.html").is_file()
    # an explain directory inside the output is refused before anything runs
    refused = run("bulk", source, "-o", tmp_path / "o2", "--explain-html", tmp_path / "o2" / "r")
    assert refused.returncode == 1 and "explain directory" in _err(refused)
    _no_traceback(refused)


def test_bulk_explain_html_names_warc_reports_by_file_and_offset(tmp_path: Path) -> None:
    pytest.importorskip("warcio")
    from benchmarks.scale import write_crawl

    crawl = tmp_path / "crawl.warc.gz"
    write_crawl(crawl, 3)
    out, reports = tmp_path / "pages.jsonl", tmp_path / "reports"
    result = run("bulk", crawl, "-o", out, "--explain-html", reports, "--jobs", "0", "-q")
    assert result.returncode == 0, _err(result)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3
    written = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*")
                     if p.is_file())
    assert written == sorted(f"{r['path']}.explain.html" for r in records)
    for record in records:
        assert record["path"].startswith("crawl.warc.gz/")
        assert _report_panel(reports / f"{record['path']}.explain.html") == record["text"]
