"""Inputs by URL: saved pages and WARC files on S3, on a web server, under file:// and in memory.

Every server runs on 127.0.0.1 in this process: moto's S3 API (the clients
find it through ``AWS_ENDPOINT_URL`` and test credentials in the environment,
as a user's tools find a real store, or through ``storage_options``), and a web
server with byte ranges (tests/_servers.py). Each kind of input, a folder of
pages and a folder of WARC files, must give the records a local run gives,
on the local pool and on Dask; failures are page records that never show a
credential; pages are fetched by the worker that cleans them, a WARC record
by one ranged request of its own length.
"""

from __future__ import annotations

import http.server
import json
import logging
import math
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _child import child_env, jsonl_records, run_cli
from _servers import moto_s3, web_server

fsspec = pytest.importorskip("fsspec")
pytest.importorskip("s3fs")
pytest.importorskip("moto.server")
pytest.importorskip("warcio")
pytest.importorskip("aiohttp")

import declutter  # noqa: E402
from benchmarks.bulk import generate_corpus  # noqa: E402
from benchmarks.scale import write_crawl  # noqa: E402
from declutter.bulk import BulkError, ProcessExecutor  # noqa: E402
from declutter.bulk.run import run_warc_bulk  # noqa: E402
from declutter.bulk.sources.remote import (  # noqa: E402
    filesystem,
    has_credentials,
    is_url,
    redact_text,
)
from declutter.bulk.sources.remote_warc import is_remote_warc_input  # noqa: E402
from declutter.bulk.sources.warc import READ_AHEAD_PAGES  # noqa: E402

PAGES = 40
#: Pages in each of the two WARC files of crawl/.
CRAWL_PAGES = (24, 16)
BUCKET = "news-bucket"
SECRET = "sEcReT-7f3a91"
BUG_MARKER = "declutter-cloud-bug-5d21a0c4"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pages/ (a tree of saved pages) and crawl/ (two WARC files), as served everywhere."""
    root = tmp_path_factory.mktemp("cloud-inputs")
    generate_corpus(root / "pages", PAGES)
    (root / "crawl" / "2024").mkdir(parents=True)
    write_crawl(root / "crawl" / "a.warc.gz", CRAWL_PAGES[0])
    write_crawl(root / "crawl" / "2024" / "b.warc.gz", CRAWL_PAGES[1])
    return root


@pytest.fixture(scope="module")
def reference(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The records of local runs over the same files: what every URL must give."""
    work = tmp_path_factory.mktemp("cloud-reference")
    assert declutter.run_bulk(inputs / "pages", work / "pages.jsonl", jobs=0).ok
    assert run_warc_bulk(inputs / "crawl", work / "crawl.jsonl", jobs=0).ok
    assert run_warc_bulk(inputs / "crawl" / "a.warc.gz", work / "one.jsonl", jobs=0).ok
    found = {name: jsonl_records(work / f"{name}.jsonl") for name in ("pages", "crawl", "one")}
    assert len(found["pages"]) == PAGES and len(found["crawl"]) == sum(CRAWL_PAGES)
    return found


@pytest.fixture(scope="module")
def s3(inputs: Path) -> Iterator[dict[str, Any]]:
    """moto's S3 API on 127.0.0.1 holding the inputs in s3://crawls/."""
    with moto_s3() as endpoint:
        fs, _ = filesystem("s3://", {"client_kwargs": {"endpoint_url": endpoint}})
        fs.mkdir(BUCKET)
        # Everything a client needs, for workers that do not have the environment (the
        # local pool's fork server may have started before it was set).
        options = {"key": "testing", "secret": "testing",
                   "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
        fs.put(str(inputs / "pages"), f"{BUCKET}/pages", recursive=True)
        fs.put(str(inputs / "crawl"), f"{BUCKET}/crawl", recursive=True)
        yield {"endpoint": endpoint, "options": options}


@pytest.fixture(scope="module")
def web(inputs: Path) -> Iterator[Any]:
    with web_server(inputs) as server:
        yield server


@pytest.fixture(scope="module")
def memory(inputs: Path) -> Iterator[str]:
    """The inputs in fsspec's memory file system (one process's: see the tests)."""
    fs = fsspec.filesystem("memory")
    fs.put(str(inputs / "pages"), f"/{BUCKET}/pages", recursive=True)
    fs.put(str(inputs / "crawl"), f"/{BUCKET}/crawl", recursive=True)
    yield f"memory://{BUCKET}/"
    fs.rm(f"/{BUCKET}", recursive=True)


@pytest.fixture(scope="module")
def cluster(s3: dict[str, Any]) -> Iterator[Any]:
    """Two Dask worker processes, started once the S3 settings are in the environment."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None,
                                  silence_logs=logging.ERROR) as instance:
        yield instance


def _base(kind: str, inputs: Path, s3: dict[str, Any], web: Any, memory: str) -> str:
    return {"s3": f"s3://{BUCKET}/", "http": web.url, "file": f"file://{inputs}/",
            "memory": memory}[kind]


def _run(source: str, out: Path, *, executor: Any = None, jobs: int | None = None,
         storage_options: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """``source``'s records: a folder of pages, or WARC files when its name says crawl."""
    settings: dict[str, Any] = {"executor": executor, "jobs": jobs, "timeout": 60,
                                "storage_options": storage_options}
    if "/crawl/" in source:
        summary = run_warc_bulk(source, out, **settings)
    else:
        summary = declutter.run_bulk(source, out, **settings)
    assert summary.ok, summary.describe()
    return jsonl_records(out)


# --------------------------------------------------------------------------- each kind of input


@pytest.mark.parametrize("kind", ["s3", "http", "file", "memory"])
def test_each_input_kind_on_the_local_pool_gives_the_local_records(
        kind: str, inputs: Path, reference: dict[str, Any], s3: dict[str, Any], web: Any,
        memory: str, tmp_path: Path) -> None:
    base = _base(kind, inputs, s3, web, memory)
    # memory:// lives in one process: workers forked from this one see it
    executor = ProcessExecutor(2, start_method="fork", timeout=60) if kind == "memory" else None
    jobs = None if executor else 2
    options = s3["options"] if kind == "s3" else None
    assert _run(base + "pages/", tmp_path / "pages.jsonl", executor=executor, jobs=jobs,
                storage_options=options) == reference["pages"]
    assert _run(base + "crawl/", tmp_path / "crawl.jsonl", executor=executor, jobs=jobs,
                storage_options=options) == reference["crawl"]
    one = _run(base + "crawl/a.warc.gz", tmp_path / "one.jsonl", executor=executor, jobs=jobs,
               storage_options=options)
    assert one == reference["one"]


@pytest.mark.parametrize("kind", ["s3", "http", "file", "memory"])
def test_the_command_tells_warc_files_from_pages_at_a_url(
        kind: str, inputs: Path, s3: dict[str, Any], web: Any, memory: str) -> None:
    base = _base(kind, inputs, s3, web, memory)
    assert not is_remote_warc_input(base + "pages/")
    assert is_remote_warc_input(base + "crawl/")
    assert is_remote_warc_input(base + "crawl/a.warc.gz")  # a file is read as WARC
    assert not is_remote_warc_input(base + "crawl/", patterns=["*.html"])


@pytest.mark.parametrize("kind", ["s3", "http", "file"])
def test_each_input_kind_on_dask_gives_the_local_records(
        kind: str, cluster: Any, inputs: Path, reference: dict[str, Any], s3: dict[str, Any],
        web: Any, memory: str, tmp_path: Path) -> None:
    from declutter.cluster import DaskExecutor

    base = _base(kind, inputs, s3, web, memory)
    executor = DaskExecutor(cluster.scheduler_address, batch_size=4)
    options = s3["options"] if kind == "s3" else None  # travels to the workers with the job
    assert _run(base + "pages/", tmp_path / "pages.jsonl", executor=executor,
                storage_options=options) == reference["pages"]
    assert _run(base + "crawl/", tmp_path / "crawl.jsonl", executor=executor,
                storage_options=options) == reference["crawl"]


def test_memory_urls_on_a_dask_cluster_of_threads(memory: str, reference: dict[str, Any],
                                                  tmp_path: Path) -> None:
    """memory:// is one process's file system: a cluster of threads in this process reads it."""
    distributed = pytest.importorskip("distributed")
    from declutter.cluster import DaskExecutor

    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0",
                                  silence_logs=logging.ERROR) as threads:
        executor = DaskExecutor(threads, batch_size=4)
        assert _run(memory + "pages/", tmp_path / "p.jsonl", executor=executor) == \
            reference["pages"]
        assert _run(memory + "crawl/", tmp_path / "c.jsonl", executor=executor) == \
            reference["crawl"]


# --------------------------------------------------------------------------- the command line


def test_the_cli_reads_s3_with_the_environments_credentials_and_resumes(
        s3: dict[str, Any], reference: dict[str, Any], tmp_path: Path) -> None:
    out, summary_path = tmp_path / "crawl.jsonl", tmp_path / "summary.json"
    result = run_cli("bulk", f"s3://{BUCKET}/crawl/", "-o", out, "--jobs", "2",
                  "--summary-json", summary_path)
    assert result.returncode == 0, result.stderr
    assert jsonl_records(out) == reference["crawl"]
    summary = json.loads(summary_path.read_text())
    assert (summary["done"], summary["warc_files"]) == (sum(CRAWL_PAGES), 2)

    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:10]) + lines[10][:20], encoding="utf-8")  # killed mid-line
    again = run_cli("bulk", f"s3://{BUCKET}/crawl/", "-o", out, "--jobs", "2", "--resume",
                 "--summary-json", summary_path)
    assert again.returncode == 0, again.stderr
    summary = json.loads(summary_path.read_text())
    assert (summary["done"], summary["skipped"]) == (sum(CRAWL_PAGES) - 10, 10)
    assert jsonl_records(out) == reference["crawl"]


def test_the_cli_sends_an_s3_job_to_dask(cluster: Any, s3: dict[str, Any],
                                         reference: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "texts"
    result = run_cli("bulk", f"s3://{BUCKET}/pages", "-o", out, "--format", "json", "-q",
                  "--scheduler", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr
    written = {path.relative_to(out).as_posix(): json.loads(path.read_text(encoding="utf-8"))
               for path in out.rglob("*.json")}
    assert len(written) == PAGES
    for key, record in reference["pages"].items():
        name = key.rsplit(".", 2 if key.endswith(".gz") else 1)[0] + ".json"
        assert {k: v for k, v in written[name].items() if k != "blocks"} == record


def test_local_paths_never_go_through_fsspec(inputs: Path, tmp_path: Path) -> None:
    """A plain path is read as it always was: no fsspec file system is ever made.

    (warcio imports fsspec when it is installed, so being loaded proves nothing.)
    """
    script = textwrap.dedent(f"""
        import fsspec, fsspec.core
        def refuse(*args, **kwargs):
            raise AssertionError("a local path went through fsspec")
        fsspec.open = fsspec.filesystem = fsspec.core.url_to_fs = refuse
        from declutter.bulk.job import run_job
        for name in ("pages", "crawl"):
            summary = run_job({str(inputs)!r} + "/" + name, {str(tmp_path)!r} + f"/{{name}}.jsonl",
                              jobs=0)
            assert summary.ok and summary.done, summary.describe()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=child_env(), timeout=300, check=False)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- failures and secrets


def test_unreadable_remote_pages_are_page_records(web: Any, inputs: Path,
                                                  tmp_path: Path) -> None:
    folder = inputs / "site"
    folder.mkdir(exist_ok=True)
    page = (inputs / "pages").rglob("*.html").__next__().read_bytes()
    (folder / "ok.html").write_bytes(page)
    (folder / "scan.html").write_bytes(b"%PDF-1.4\n" + bytes(300))
    (folder / "index.html").write_text(  # the server's listing of the folder, with dead links
        "".join(f'<a href="{name}">{name}</a>' for name in
                ("ok.html", "scan.html", "missing.html", "broken.html")))
    out = tmp_path / "site.jsonl"
    summary = declutter.run_bulk(web.url + "site/", out, jobs=2)
    assert (summary.done, summary.failed, summary.bugs) == (1, 3, 0), summary.describe()
    errors = jsonl_records(tmp_path / "site.errors.jsonl")
    assert {key: (record["error"], record["kind"]) for key, record in errors.items()} == {
        "scan.html": ("NotHTMLError", "page"),
        "missing.html": ("FileNotFoundError", "page"),
        "broken.html": ("RemoteInputError", "page"),
    }
    assert "500" in errors["broken.html"]["message"]


def test_no_credential_reaches_a_message_or_the_error_log(web: Any, inputs: Path,
                                                          tmp_path: Path) -> None:
    (inputs / "warcs").mkdir(exist_ok=True)
    (inputs / "warcs" / "a.warc.gz").write_bytes((inputs / "crawl" / "a.warc.gz").read_bytes())
    (inputs / "warcs" / "index.html").write_text(
        '<a href="a.warc.gz">a</a> <a href="broken.warc.gz">broken</a>')
    host = web.url.split("://", 1)[1]
    # A folder of archives, one of which the server refuses: the pages of the other are
    # cleaned, the refused one is one page record; the user and password never show.
    url = f"http://reader:{SECRET}@{host}warcs/"
    summary = run_warc_bulk(url, tmp_path / "w.jsonl", jobs=2)
    assert (summary.done, summary.failed) == (CRAWL_PAGES[0], 1), summary.describe()
    log = (tmp_path / "w.errors.jsonl").read_text(encoding="utf-8")
    assert [(r["path"], r["kind"]) for r in map(json.loads, log.splitlines())] == [
        ("broken.warc.gz", "page")]
    assert SECRET not in log and "broken.warc.gz" in log

    # One file behind a presigned-style URL: the signature is cut from every message.
    signed = f"{web.url}broken.warc.gz?X-Amz-Signature={SECRET}&X-Amz-Credential={SECRET}"
    with pytest.raises(BulkError) as raised:
        run_warc_bulk(signed, tmp_path / "s.jsonl", jobs=0)
    assert SECRET not in str(raised.value) and "broken.warc.gz" in str(raised.value)
    result = run_cli("bulk", signed, "-o", tmp_path / "s.jsonl")
    assert result.returncode == 1 and SECRET not in result.stderr + result.stdout
    assert "broken.warc.gz" in result.stderr and "Traceback" not in result.stderr

    # On the command line a URL may not hold a password at all.
    result = run_cli("bulk", url, "-o", tmp_path / "c.jsonl")
    assert result.returncode == 2 and SECRET not in result.stderr
    assert "environment" in result.stderr


def test_workers_without_credentials_are_told_they_need_their_own(
        s3: dict[str, Any], tmp_path: Path) -> None:
    """The run's own process has the store's credentials (in its environment) and lists
    the input; the Dask worker has none. Every page fails as a page record that says
    the workers need credentials of their own, never as a bug or a bare botocore name."""
    distributed = pytest.importorskip("distributed")
    from declutter.cluster import DaskExecutor

    no_credentials = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                      "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_CONFIG_FILE": "/dev/null"}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR,
                                  env=no_credentials) as bare:
        summary = declutter.run_bulk(
            f"s3://{BUCKET}/pages/", tmp_path / "o.jsonl", executor=DaskExecutor(bare),
            storage_options={"client_kwargs": {"endpoint_url": s3["endpoint"]}})
    assert (summary.done, summary.failed, summary.bugs) == (0, PAGES, 0), summary.describe()
    errors = jsonl_records(tmp_path / "o.errors.jsonl")
    assert {(e["error"], e["kind"]) for e in errors.values()} == {("CredentialsError", "page")}
    message = next(iter(errors.values()))["message"]
    assert message.startswith("NoCredentialsError")
    assert "each worker" in message and "needs its own" in message


def test_a_bug_on_a_remote_page_is_recorded_as_a_bug(
        s3: dict[str, Any], inputs: Path, tmp_path: Path,
        fault_env: Callable[..., dict[str, str]]) -> None:
    fs, _ = filesystem("s3://", s3["options"])
    page = (inputs / "pages").rglob("*.html").__next__().read_bytes()
    fs.pipe({f"{BUCKET}/bug/a.html": page, f"{BUCKET}/bug/b.html": page + b"<!-- 2 -->",
             f"{BUCKET}/bug/planted.html": page + f"<!-- {BUG_MARKER} -->".encode()})
    out = tmp_path / "bug.jsonl"
    result = run_cli("bulk", f"s3://{BUCKET}/bug/", "-o", out, "--jobs", "2",
                  env=fault_env(bug=BUG_MARKER))
    assert result.returncode == 3, result.stderr
    assert len(jsonl_records(out)) == 2
    bug = jsonl_records(tmp_path / "bug.errors.jsonl")["planted.html"]
    assert (bug["error"], bug["kind"]) == ("TypeError", "bug") and "Traceback" in bug["traceback"]


def test_a_missing_input_url_is_a_clear_error(s3: dict[str, Any], tmp_path: Path) -> None:
    result = run_cli("bulk", f"s3://{BUCKET}/nothing-here/", "-o", tmp_path / "o.jsonl")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"s3://{BUCKET}/nothing-here/" in result.stderr and "not found" in result.stderr


# --------------------------------------------------------------------------- streaming


def test_a_remote_warc_is_streamed_and_its_records_fetched_by_batch(
        web: Any, inputs: Path, reference: dict[str, Any], tmp_path: Path) -> None:
    """Listing reads the archive once, in large blocks; the worker handed a batch of pages
    fetches their records in one ranged request, starting at the first page's record."""
    archive = inputs / "crawl" / "a.warc.gz"
    size = archive.stat().st_size
    del web.requests[:]
    records = _run(web.url + "crawl/a.warc.gz", tmp_path / "one.jsonl", jobs=2)
    assert records == reference["one"]
    spans = [_span(header) for method, path, header in web.requests
             if method == "GET" and path.endswith("a.warc.gz")]
    assert all(span is not None for span in spans), "the archive was fetched whole"
    # the listing's first request asks for one byte, to learn whether ranges are served
    assert spans.count((0, 1)) == 1
    spans.remove((0, 1))
    offsets = {int(key.rsplit("/", 1)[1]) for key in reference["one"]}
    page_reads = [start for start, end in spans if start in offsets]  # type: ignore[misc]
    assert len(page_reads) == len(spans) - 1  # all but the listing's read start at a page
    assert len(page_reads) <= 2 * math.ceil(len(offsets) / READ_AHEAD_PAGES)
    # the listing's pass over the file; batches that overlap (the pool's smaller batches
    # at the end of a run) read some records twice at most
    assert max(end - start for start, end in spans) == size  # type: ignore[misc]
    assert sum(end - start for start, end in spans) <= 3 * size  # type: ignore[misc]


def test_a_server_without_byte_ranges_is_read_as_a_stream(
        inputs: Path, reference: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that answers a range request with the whole file (as ``python -m
    http.server`` does): found out by the first request, the file is listed from one
    stream and each worker reads its pages from a stream it only moves forward; every
    page is cleaned once, and the summary says which file was streamed and why."""
    from _servers import RangeHandler

    url_path = "/crawl/a.warc.gz"
    with web_server(inputs) as server:
        monkeypatch.setattr(RangeHandler, "send_head", _whole_file)
        summary = run_warc_bulk(server.url + url_path[1:], tmp_path / "o.jsonl", jobs=2)
        gets = [header for method, path, header in server.requests
                if method == "GET" and path == url_path]
    assert (summary.done, summary.failed) == (CRAWL_PAGES[0], 0), summary.describe()
    assert jsonl_records(tmp_path / "o.jsonl") == reference["one"]  # each page once
    assert list(summary.streamed) == ["a.warc.gz"]
    assert "HTTP 200" in summary.streamed["a.warc.gz"]
    assert "a.warc.gz (the server answered a byte-range request" in summary.describe()
    # the probe, the listing's stream and one stream per worker: never a request per page
    assert len(gets) <= 2 + 2, gets


def test_streamed_pages_resume_and_read_in_small_pieces(
        inputs: Path, reference: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In one process, with reads of a few bytes at a time: the stream is moved forward
    past the pages --resume skips, and the command's summary names the streamed file."""
    from _servers import RangeHandler

    from declutter.bulk.sources import remote_warc

    monkeypatch.setattr(remote_warc, "SKIP_CHUNK", 1000)
    out = tmp_path / "o.jsonl"
    with web_server(inputs) as server:
        monkeypatch.setattr(RangeHandler, "send_head", _whole_file)
        url = server.url + "crawl/a.warc.gz"
        assert run_warc_bulk(url, out, jobs=0).ok
        lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = lines[::3]  # as if the run had been stopped with two pages in three to do
        out.write_text("".join(kept), encoding="utf-8")
        summary_path = tmp_path / "summary.json"
        result = run_cli("bulk", url, "-o", out, "--resume", "--summary-json", summary_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(summary_path.read_text())
    assert (summary["done"], summary["skipped"]) == (len(lines) - len(kept), len(kept))
    assert list(summary["streamed"]) == ["a.warc.gz"]
    assert "read as a stream, without byte ranges: a.warc.gz" in result.stderr
    assert jsonl_records(out) == reference["one"]


def _whole_file(handler: Any) -> Any:
    handler.headers.replace_header("Range", "") if "Range" in handler.headers else None
    return http.server.SimpleHTTPRequestHandler.send_head(handler)


def _span(header: str | None) -> tuple[int, int] | None:
    if not header or not header.startswith("bytes="):
        return None
    start, _, end = header[len("bytes="):].partition("-")
    return int(start), int(end) + 1


# --------------------------------------------------------------------------- helpers


def test_urls_are_told_from_paths_and_redacted() -> None:
    assert is_url("s3://bucket/crawl/") and is_url("file:///data") and is_url("gs://b/x")
    assert not is_url("/data/crawl") and not is_url("C:\\crawl") and not is_url("crawl/")
    assert not is_url("c://x")  # a drive letter, never a scheme
    assert has_credentials("https://u:p@host/x") and not has_credentials("https://host/a@b")
    text = (f"GET https://user:{SECRET}@host.example/a/b.warc.gz?X-Amz-Signature={SECRET} "
            f"failed; url='http://h/x?token={SECRET}' s3://bucket/key#{SECRET}")
    assert redact_text(text) == ("GET https://host.example/a/b.warc.gz failed; "
                                 "url='http://h/x' s3://bucket/key")


def test_missing_extras_name_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patched:
        patched.setitem(sys.modules, "s3fs", None)
        registry = sys.modules["fsspec.registry"]._registry  # type: ignore[attr-defined]
        patched.delitem(registry, "s3", raising=False)  # s3fs was loaded: forget it
        with pytest.raises(ImportError, match=r"pip install 'declutter\[cloud\]'"):
            filesystem("s3://bucket-without-client/x", {"anon": True})
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(ImportError, match=r"pip install 'declutter\[cloud\]'"):
        filesystem("s3://bucket/x")
