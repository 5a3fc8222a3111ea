"""Faults of a real network, from a web server on 127.0.0.1 that misbehaves on purpose.

The server (in a thread of this process) holds WARC files in memory and serves
them with byte ranges, ETags and dates, or, as a plain static server does,
always whole; each test tells it what to break: a connection dropped halfway
through a body, a ``503 Slow Down`` or ``429`` with or without
``Retry-After``, a file replaced between two requests. Every page must end
as the page a local run gives or as an error record that says what happened:
never lost, never wrong, and never a credential in a message.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _child import jsonl_records
from _servers import serving

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")
pytest.importorskip("warcio")

import sys

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/

from benchmarks.scale import write_crawl
from declutter.bulk.run import run_warc_bulk
from declutter.bulk.sources import network
from declutter.bulk.sources.network import RETRY_ATTEMPTS, retry_wait

PAGES = 20
SECRET = "sEcReT-51c0ffee"


class FaultyHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` (name -> bytes) and breaks what ``server.faults`` says.

    ``faults`` is a list of ``(test, fault)``: the first whose ``test(request)``
    is true answers the request and is used up. A fault is ``("drop", None)``
    (headers and half the body, then the connection is cut), ``(status,
    retry_after)`` (an error answer), or ``("swap", bytes)`` (the file is replaced
    before this request is answered).
    """

    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.answer(head=True)

    def do_GET(self) -> None:
        self.answer(head=False)

    def answer(self, *, head: bool) -> None:
        server = self.server
        name = self.path.split("?", 1)[0].lstrip("/")
        asked = self.headers.get("Range")
        request = {"method": self.command, "name": name, "range": asked,
                   "time": time.monotonic()}
        with server.lock:
            server.requests.append(request)
            fault = None
            for index, (test, what) in enumerate(server.faults):
                if test(request):
                    fault = what
                    del server.faults[index]
                    break
            if fault is not None and fault[0] == "swap":
                server.files[name] = fault[1]
                server.versions[name] = server.versions.get(name, 0) + 1
                fault = None
            data = server.files.get(name)
            version = server.versions.get(name, 0)
        if fault is not None and isinstance(fault[0], int):
            status, retry_after = fault
            body = b"<Error><Code>SlowDown</Code></Error>"
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", str(retry_after))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        if data is None:
            self.send_error(404)
            return
        start, end = 0, len(data)
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", asked or "")
        if ranged and server.ranges:
            start = int(ranged[1])
            end = min(len(data), int(ranged[2]) + 1 if ranged[2] else len(data))
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        else:
            self.send_response(200)
        if server.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if server.etags:
            self.send_header("ETag", '"' + hashlib.sha1(data).hexdigest()[:16] + '"')
        self.send_header("Last-Modified", self.date_time_string(1_700_000_000 + version))
        self.send_header("Content-Type", "application/warc")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if head:
            return
        body = data[start:end]
        if fault is not None and fault[0] == "drop":
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@pytest.fixture()
def server() -> Iterator[Any]:
    with serving(FaultyHandler) as instance:
        instance.lock = threading.Lock()
        instance.files, instance.versions, instance.faults, instance.requests = {}, {}, [], []
        instance.ranges = instance.etags = True
        yield instance


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A WARC file (uncompressed, so a page can be edited in place) and its local records."""
    root = tmp_path_factory.mktemp("faults")
    write_crawl(root / "a.warc", PAGES, compress=False)
    summary = run_warc_bulk(root / "a.warc", root / "ref.jsonl", jobs=0)
    assert summary.ok and summary.done == PAGES
    return {"data": (root / "a.warc").read_bytes(), "records": jsonl_records(root / "ref.jsonl")}


@pytest.fixture()
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits between tries of a hundredth of the real ones (the count stays the same)."""
    monkeypatch.setattr(network, "RETRY_FIRST_WAIT", network.RETRY_FIRST_WAIT / 100)


def _run(url: str, out: Path, **settings: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    settings.setdefault("jobs", 0)
    summary = run_warc_bulk(url, out, timeout=60, **settings)
    errors = out.with_name(out.name.replace(".jsonl", ".errors.jsonl"))
    return (summary, jsonl_records(out) if out.exists() else {},
            jsonl_records(errors) if errors.exists() else {})


def _gets(server: Any, since: int = 0) -> list[dict[str, Any]]:
    return [r for r in server.requests[since:] if r["method"] == "GET"]


def _first_byte(range_header: str | None) -> int:
    return int(range_header[len("bytes="):].partition("-")[0]) if range_header else 0


def _page_fetch(request: dict[str, Any]) -> bool:
    """A worker's fetch of records (not the one-byte probe, not the listing from 0)."""
    return request["method"] == "GET" and _first_byte(request["range"]) > 0


# --------------------------------------------------------------------------- dropped connections


@pytest.mark.parametrize("ranges", [True, False], ids=["ranges", "no-ranges"])
def test_a_connection_dropped_mid_file_is_read_on_from_where_it_stopped(
        server: Any, crawl: dict[str, Any], tmp_path: Path, quick: None, ranges: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing's read of the file is cut halfway through a block, and so are two of
    the workers' reads: each goes on from the last byte it had, and every page is its
    local self. (Without byte ranges the file is read again from the start and the
    bytes already had are skipped.)"""
    from declutter.bulk.sources import remote_warc

    block = 16 * 1024  # the listing reads the file in several requests
    monkeypatch.setattr(remote_warc, "LISTING_BLOCK_SIZE", block)
    server.ranges = ranges
    server.files["a.warc"] = crawl["data"]
    listed = threading.Event()  # pages are fetched once the (inline) listing is done
    if ranges:
        server.faults = [
            (lambda r: not listed.is_set() and _first_byte(r["range"]) > 0, ("drop", None)),
            (lambda r: listed.is_set() and _page_fetch(r), ("drop", None)),
            (lambda r: listed.is_set() and _page_fetch(r), ("drop", None))]
    else:
        server.faults = [(lambda r: r["method"] == "GET" and r["range"] != "bytes=0-0",
                          ("drop", None))]
    real_list = remote_warc.list_remote_warc

    def list_then_mark(*args: Any, **kwargs: Any) -> Any:
        try:
            return real_list(*args, **kwargs)
        finally:
            listed.set()

    monkeypatch.setattr(remote_warc, "list_remote_warc", list_then_mark)
    summary, records, errors = _run(server.url + "a.warc", tmp_path / "o.jsonl")
    assert (summary.done, summary.failed, summary.bugs) == (PAGES, 0, 0), (summary, errors)
    assert records == crawl["records"]
    assert server.faults == [], "a fault was never met: the test did not test it"
    gets = [r["range"] for r in _gets(server)]
    if ranges:  # after the cut request: a one-byte question (is it the same file?), then
        # the read goes on near where it stopped (fsspec aligns it to its block), not at 0
        cut = next(i for i, r in enumerate(gets) if _first_byte(r) > 0)
        assert gets[cut + 1] == "bytes=0-0", gets
        assert _first_byte(gets[cut]) - block < _first_byte(gets[cut + 2]) <= \
            _first_byte(gets[cut]), gets
    else:  # the probe, the cut stream, the stream read again past the bytes already had
        assert gets[:3] == ["bytes=0-0", None, None], gets


def test_a_connection_that_always_drops_fails_its_pages_after_a_bounded_number_of_tries(
        server: Any, crawl: dict[str, Any], tmp_path: Path, quick: None) -> None:
    server.files["a.warc"] = crawl["data"]
    server.faults = [(_page_fetch, ("drop", None))] * 1000
    before = len(server.requests)
    summary, records, errors = _run(server.url + "a.warc", tmp_path / "o.jsonl")
    assert summary.done + summary.failed == PAGES and summary.bugs == 0
    assert summary.failed > 0
    for error in errors.values():
        assert (error["error"], error["kind"]) == ("RemoteInputError", "page"), error
        assert f"failed {RETRY_ATTEMPTS} times" in error["message"], error
        assert "ClientPayloadError" in error["message"] or "Disconnected" in error["message"]
    # records read before the server broke (the listing's first record) are right
    assert all(records[key] == crawl["records"][key] for key in records)
    fetches = [r for r in server.requests[before:] if _page_fetch(r)]
    assert len(fetches) <= RETRY_ATTEMPTS * len(errors), len(fetches)


# --------------------------------------------------------------------------- throttling


def test_slow_down_and_too_many_requests_are_retried_as_the_server_asks(
        server: Any, crawl: dict[str, Any], tmp_path: Path) -> None:
    """503 Slow Down with Retry-After: 1 (waited for), then 429 without one (a short
    backoff): every page comes out, and the retry came no sooner than asked."""
    server.files["a.warc"] = crawl["data"]
    server.faults = [(_page_fetch, (503, 1)), (_page_fetch, (429, None))]
    summary, records, errors = _run(server.url + "a.warc", tmp_path / "o.jsonl")
    assert (summary.done, summary.failed) == (PAGES, 0), errors
    assert records == crawl["records"]
    fetches = [r for r in server.requests if _page_fetch(r)]
    assert fetches[1]["range"] == fetches[0]["range"]  # the same request again...
    assert fetches[1]["time"] - fetches[0]["time"] >= 0.95  # ...after the second asked for
    assert fetches[2]["range"] == fetches[1]["range"]
    # 429 without Retry-After: the second try's backoff (twice the first wait, +-20%)
    backoff = 2 * network.RETRY_FIRST_WAIT
    assert 0.8 * backoff - 0.05 <= fetches[2]["time"] - fetches[1]["time"] < 1.2 * backoff + 0.5


def test_a_retry_after_beyond_the_cap_is_cut_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    class Throttled(Exception):
        status = 503

        def __init__(self, retry_after: str) -> None:
            super().__init__("slow down")
            self.headers = {"Retry-After": retry_after}

    assert retry_wait(Throttled("3600"), 1) == network.RETRY_MAX_WAIT
    assert retry_wait(Throttled("2"), 1) == 2.0
    assert retry_wait(Throttled("Wed, 21 Oct 2015 07:28:00 GMT"), 1) == 0.0  # in the past
    assert retry_wait(FileNotFoundError("gone"), 1) is None  # never retried
    assert retry_wait(PermissionError("no"), 1) is None
    assert retry_wait(ConnectionResetError("reset"), 3) == pytest.approx(
        network.RETRY_FIRST_WAIT * 4, rel=0.25)


def test_a_server_that_keeps_throttling_fails_the_pages_without_a_credential(
        server: Any, crawl: dict[str, Any], tmp_path: Path, quick: None,
        capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    """Always 503: each batch of pages fails after the bounded tries, as a page record
    that names the status; the password of the URL and its signature appear nowhere."""
    server.files["a.warc"] = crawl["data"]
    server.faults = [(_page_fetch, (503, 0))] * 1000
    host = server.url.split("://", 1)[1]
    url = f"http://reader:{SECRET}@{host}a.warc?X-Amz-Signature={SECRET}&X-Amz-Expires=60"
    with caplog.at_level("DEBUG"):
        summary, _, errors = _run(url, tmp_path / "o.jsonl")
    assert summary.failed > 0 and summary.done + summary.failed == PAGES
    assert summary.bugs == 0
    assert {(e["error"], e["kind"]) for e in errors.values()} == {("RemoteInputError", "page")}
    assert all("503" in e["message"] and f"failed {RETRY_ATTEMPTS} times" in e["message"]
               for e in errors.values())
    written = "".join(path.read_text(encoding="utf-8") for path in tmp_path.iterdir())
    shown = capfd.readouterr()
    for text in (written, summary.describe(), json.dumps(summary.as_dict())
                 if hasattr(summary, "as_dict") else "", shown.out, shown.err, caplog.text):
        assert SECRET not in text


# --------------------------------------------------------------------------- changed files


@pytest.mark.parametrize("etags", [True, False], ids=["etag", "date-and-size"])
def test_a_file_changed_while_read_fails_its_pages_and_never_gives_a_wrong_one(
        server: Any, crawl: dict[str, Any], tmp_path: Path, etags: bool) -> None:
    """After the listing, the file is replaced by one with the same records at the same
    offsets, one page's words edited: the record ids still match, so only the file's
    version tells. Every page read after the swap is an error record saying the file
    changed; none is the edited text."""
    data = crawl["data"]
    word = b"Amid" if b"Amid" in data else re.search(rb"<p>(\w{4})", data)[1]  # type: ignore[index]
    edited = data.replace(word, b"XXXX", 1)
    assert len(edited) == len(data) and edited != data
    server.etags = etags
    if not etags:  # no ETag, the same size: the date alone tells
        assert len(edited) == len(data)
    server.files["a.warc"] = data
    server.faults = [(_page_fetch, ("swap", edited))]
    summary, records, errors = _run(server.url + "a.warc", tmp_path / "o.jsonl")
    assert summary.failed == len(errors) > 0 and summary.done == len(records)
    assert summary.done + summary.failed == PAGES and summary.bugs == 0
    for error in errors.values():
        assert (error["error"], error["kind"]) == ("FileChangedError", "page"), error
        assert "changed during the run" in error["message"]
    assert all(records[key] == crawl["records"][key] for key in records)
    assert not any("XXXX" in (record.get("text") or "") for record in records.values())


def test_a_file_changed_before_a_reconnection_is_not_read_on(
        server: Any, crawl: dict[str, Any], tmp_path: Path, quick: None) -> None:
    """A server without ranges cuts the listing's stream, and the file is replaced before
    the client comes back: the listing fails as the file's record, not a mix of two."""
    server.ranges = False
    server.files["a.warc"] = crawl["data"]
    other = crawl["data"] + b"\r\n"  # two more bytes, a new date and ETag

    def stream(request: dict[str, Any]) -> bool:  # a read of the file, not the probe
        return request["method"] == "GET" and request["range"] != "bytes=0-0"

    server.faults = [(stream, ("drop", None)), (stream, ("swap", other))]
    summary, records, errors = _run(server.url + "a.warc", tmp_path / "o.jsonl")
    assert records == {} and summary.failed == 1, (summary, errors)
    [error] = errors.values()
    assert error["error"] == "FileChangedError" and "changed during the run" in error["message"]


def test_the_command_line_reports_a_dead_server_quickly(
        server: Any, crawl: dict[str, Any], tmp_path: Path) -> None:
    """Nothing of this module is patched in a child: the real waits add up to a few
    seconds for a probe answered 503 every time, and the run stops with a message."""
    from _child import run_cli

    server.files["a.warc"] = crawl["data"]
    server.faults = [(lambda r: True, (503, None))] * 100
    started = time.monotonic()
    result = run_cli("bulk", server.url + "a.warc", "-o", tmp_path / "o.jsonl")
    took = time.monotonic() - started
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "503" in result.stderr and f"failed {RETRY_ATTEMPTS} times" in result.stderr
    # 0.5 + 1 + 2 + 4 s of waits, with their jitter, plus starting Python
    assert took < sum(network.RETRY_FIRST_WAIT * 2 ** n for n in range(RETRY_ATTEMPTS - 1)) \
        * 1.2 + 20, took
    assert len([r for r in server.requests if r["method"] == "GET"]) <= RETRY_ATTEMPTS

