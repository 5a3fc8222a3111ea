"""WARC input: every record of small archives written with warcio, and what became of it.

The archives hold pages from ``samples/`` among the records a crawl really
has (warcinfo, requests, redirects, errors, images, revisits), in both
layouts (gzip per record, uncompressed), plus damaged ones (a record cut
short, a whole-file gzip, a file that is not a WARC). Each test checks the
fate of every record: cleaned, skipped and counted, or logged as an error.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("warcio")
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import declutter
from declutter.bulk.run import run_warc_bulk
from declutter.bulk.sources.warc import WarcSummary, is_warc_input
from declutter.warc import (
    WarcFormatError,
    WarcReader,
    WarcStats,
    decode_payload,
    extract_warc,
    parse_content_type,
    read_record,
)

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
ENGLISH = (SAMPLES / "01-wordpress-blog" / "page.html").read_bytes()
GERMAN = (SAMPLES / "05-german-news" / "page.html").read_bytes()
RUSSIAN = (SAMPLES / "15-russian-news" / "page.html").read_bytes()
CP1252 = (SAMPLES / "10-legacy-windows-1252" / "page.html").read_bytes()
FRENCH = (SAMPLES / "07-french-news" / "page.html").read_bytes()
HOME = (SAMPLES / "18-nonarticle-home-page" / "page.html").read_bytes()


# --------------------------------------------------------------------------- writing archives


@dataclass(frozen=True)
class Rec:
    """A record to write and the fate the reader must give it."""

    #: "page", "not_html", "not_ok", "other" or "error" (a page declutter refuses)
    fate: str
    kind: str = "response"
    uri: str = "http://news.example/"
    body: bytes = b""
    status: str = "200 OK"
    #: HTTP Content-Type (response) or WARC Content-Type (resource); None: not sent
    content_type: str | None = "text/html"
    extra_http: tuple[tuple[str, str], ...] = ()
    #: what the page must read as (the bytes a correct decoding starts from)
    expected_source: bytes | None = None


def write_warc(path: Path, records: list[Rec], *, compress: bool = True) -> list[int]:
    """Write ``records`` with warcio's writer; return the offset of each."""
    offsets = []
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=compress)
        for rec in records:
            offsets.append(stream.tell())
            writer.write_record(_record(writer, rec))
    return offsets


def _record(writer: WARCWriter, rec: Rec) -> object:
    payload = io.BytesIO(rec.body)
    if rec.kind == "warcinfo":
        return writer.create_warcinfo_record("test.warc.gz", {"software": "tests"})
    if rec.kind == "request":
        http = StatusAndHeaders(f"GET {rec.uri} HTTP/1.1", [("Host", "news.example")],
                                is_http_request=True)
        return writer.create_warc_record(rec.uri, "request", payload=payload, http_headers=http)
    if rec.kind == "revisit":
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        return writer.create_revisit_record(rec.uri, "sha1:AAAA", rec.uri,
                                            "2024-01-01T00:00:00Z", http_headers=http)
    if rec.kind in ("resource", "metadata"):
        return writer.create_warc_record(rec.uri, rec.kind, payload=payload,
                                         warc_content_type=rec.content_type or "")
    headers = [("Content-Type", rec.content_type)] if rec.content_type else []
    headers += list(rec.extra_http)
    http = StatusAndHeaders(rec.status, headers, protocol="HTTP/1.1")
    return writer.create_warc_record(rec.uri, "response", payload=payload, http_headers=http)


def _chunked(data: bytes, size: int = 1000) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
             for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def crawl_records() -> list[Rec]:
    """One of everything a crawl holds."""
    russian_koi8 = RUSSIAN.decode("utf-8").encode("koi8-r", "replace")
    return [
        Rec("other", kind="warcinfo"),
        Rec("other", kind="request", uri="http://news.example/ferry"),
        Rec("page", uri="http://news.example/ferry", body=ENGLISH,
            content_type="text/html; charset=utf-8"),
        Rec("page", uri="http://news.example/de", body=GERMAN),  # no charset: detection
        # The header's charset decodes the page although its <meta> says utf-8.
        Rec("page", uri="http://news.example/ru", body=russian_koi8,
            content_type='text/html; charset="KOI8-R"',
            expected_source=russian_koi8.decode("koi8-r").encode("utf-8")),
        # A header that lies (utf-8 for windows-1252 bytes): the bytes' own decoding wins.
        Rec("page", uri="http://news.example/legacy", body=CP1252,
            content_type="text/html; charset=utf-8"),
        # A label no one knows: ignored.
        Rec("page", uri="http://news.example/fr", body=FRENCH,
            content_type="text/html; charset=x-no-such-charset"),
        # A byte-order mark outranks the header.
        Rec("page", uri="http://news.example/bom", body=codecs.BOM_UTF8 + GERMAN,
            content_type="text/html; charset=iso-8859-1", expected_source=GERMAN),
        Rec("page", uri="http://news.example/xhtml", body=ENGLISH,
            content_type="application/xhtml+xml"),
        # No declared type: sniffed as HTML; a PDF without a type is not.
        Rec("page", uri="http://news.example/untyped", body=ENGLISH, content_type=None),
        Rec("not_html", uri="http://news.example/doc", body=b"%PDF-1.4\n...",
            content_type="application/octet-stream"),
        Rec("page", uri="http://news.example/gz", body=gzip.compress(GERMAN, mtime=0),
            extra_http=(("Content-Encoding", "gzip"),), expected_source=GERMAN),
        Rec("page", uri="http://news.example/chunked", body=_chunked(ENGLISH),
            extra_http=(("Transfer-Encoding", "chunked"),), expected_source=ENGLISH),
        Rec("page", uri="http://news.example/home", body=HOME),  # not an article: empty text
        Rec("not_ok", uri="http://news.example/old", status="301 Moved Permanently",
            body=b"<html><body>moved</body></html>",
            extra_http=(("Location", "http://news.example/new"),)),
        Rec("not_ok", uri="http://news.example/missing", status="404 Not Found",
            body=b"<html><body><p>Page not found</p></body></html>"),
        Rec("not_html", uri="http://news.example/logo.png", body=b"\x89PNG\r\n\x1a\n" + bytes(64),
            content_type="image/png"),
        Rec("not_html", uri="http://news.example/robots.txt", body=b"User-agent: *\n",
            content_type="text/plain"),
        Rec("page", kind="resource", uri="http://news.example/saved", body=ENGLISH,
            content_type="text/html"),
        Rec("other", kind="revisit", uri="http://news.example/ferry"),
        Rec("other", kind="metadata", uri="http://news.example/ferry", body=b"fetchTimeMs: 12\n",
            content_type="application/warc-fields"),
        Rec("error", uri="http://news.example/empty", body=b""),
        Rec("error", uri="http://news.example/binary", body=b"\x89PNG\r\n\x1a\n" + bytes(200)),
    ]


def _expected_text(rec: Rec) -> str:
    return declutter.extract(rec.expected_source or rec.body, url=rec.uri).text


def _counts(records: list[Rec]) -> WarcStats:
    fates = [rec.fate for rec in records]
    return WarcStats(records=len(records), pages=fates.count("page") + fates.count("error"),
                     not_html=fates.count("not_html"), not_ok=fates.count("not_ok"),
                     other=fates.count("other"))


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Rec], list[int]]:
    path = tmp_path_factory.mktemp("warc") / "crawl.warc.gz"
    records = crawl_records()
    return path, records, write_warc(path, records)


def _jsonl(path: Path) -> dict[str, dict[str, object]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    by_path = {record["path"]: record for record in records}
    assert len(by_path) == len(records), "a page was written twice"
    return by_path


# --------------------------------------------------------------------------- the reader


def test_the_reader_yields_html_pages_and_counts_every_other_record(crawl) -> None:
    path, records, offsets = crawl
    reader = WarcReader(path)
    pages = list(reader)
    expected = [(rec.uri, offset) for rec, offset in zip(records, offsets, strict=True)
                if rec.fate in ("page", "error")]
    assert [(page.target_uri, page.offset) for page in pages] == expected
    assert reader.stats == _counts(records)
    first = pages[0]
    assert first.record_id and first.record_id.startswith("<urn:uuid:")
    assert first.date and first.date.endswith("Z")
    assert (first.record_type, first.http_status, first.content_type, first.charset) == (
        "response", 200, "text/html", "utf-8")
    resource = next(page for page in pages if page.record_type == "resource")
    assert resource.http_status is None


def test_pages_decode_per_their_http_charset_and_give_articles(crawl) -> None:
    path, records, _ = crawl
    by_uri = {rec.uri: rec for rec in records if rec.fate == "page"}
    for page in WarcReader(path):
        rec = by_uri.get(page.target_uri or "")
        if rec is None:
            continue
        assert page.extract().text == _expected_text(rec), rec.uri
        assert page.clean() == declutter.clean(rec.expected_source or rec.body, url=rec.uri)
    pages = {page.target_uri: page for page in WarcReader(path)}
    assert isinstance(pages["http://news.example/ru"].html(), str)  # decoded as KOI8-R
    assert isinstance(pages["http://news.example/legacy"].html(), bytes)  # the header lied
    assert isinstance(pages["http://news.example/fr"].html(), bytes)  # unknown label
    assert isinstance(pages["http://news.example/de"].html(), bytes)  # no charset
    assert pages["http://news.example/gz"].payload == GERMAN  # content encoding removed
    assert pages["http://news.example/chunked"].payload == ENGLISH
    assert "Верхнеречинск" in pages["http://news.example/ru"].extract().text


def test_decode_payload() -> None:
    text = "Zürich café"
    assert decode_payload(text.encode("cp1252"), "windows-1252") == text
    assert decode_payload(text.encode("cp1252"), "iso-8859-1") == text  # read as windows-1252
    assert decode_payload(text.encode("cp1252"), "utf-8") == text.encode("cp1252")
    assert decode_payload(b"abc", None) == b"abc"
    assert decode_payload(b"abc", "rot13") == b"abc"  # not a web encoding
    bom = codecs.BOM_UTF8 + text.encode("utf-8")
    assert decode_payload(bom, "iso-8859-1") == bom


@pytest.mark.parametrize(("value", "expected"), [
    (None, ("", None)),
    ("text/html", ("text/html", None)),
    ('Text/HTML; Charset="UTF-8"', ("text/html", "UTF-8")),
    ("text/html;charset=windows-1251;foo=bar", ("text/html", "windows-1251")),
    ("text/html; charset=", ("text/html", None)),
    ("application/xhtml+xml; profile=x; charset='koi8-r'", ("application/xhtml+xml", "koi8-r")),
])
def test_parse_content_type(value: str | None, expected: tuple[str, str | None]) -> None:
    assert parse_content_type(value) == expected


def test_extract_warc_pairs_pages_with_articles_or_errors(crawl) -> None:
    path, records, _ = crawl
    results = list(extract_warc(path))
    assert len(results) == _counts(records).pages
    errors = {r.page.target_uri: type(r.error).__name__ for r in results if r.error}
    assert errors == {"http://news.example/empty": "EmptyPageError",
                      "http://news.example/binary": "NotHTMLError"}
    ferry = next(r for r in results if r.page.target_uri == "http://news.example/ferry")
    assert ferry.article is not None and ferry.article.title


def test_read_record_reaches_one_page_by_offset(crawl) -> None:
    path, records, offsets = crawl
    index = next(i for i, rec in enumerate(records) if rec.uri == "http://news.example/de")
    page = read_record(path, offsets[index])
    assert page.target_uri == "http://news.example/de" and page.payload == GERMAN
    with pytest.raises(WarcFormatError):
        read_record(path, offsets[0])  # warcinfo: no page there
    with pytest.raises(WarcFormatError):
        read_record(path, offsets[index] + 3)  # inside a record
    with pytest.raises(declutter.InputTooLargeError):
        read_record(path, offsets[index], max_bytes=1000)


@pytest.mark.parametrize("compress", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_a_record_cut_short_is_an_error_after_the_pages_before_it(tmp_path: Path,
                                                                  compress: bool) -> None:
    path = tmp_path / ("cut.warc.gz" if compress else "cut.warc")
    records = [Rec("page", uri=f"http://news.example/{n}", body=body)
               for n, body in enumerate((ENGLISH, GERMAN, FRENCH))]
    offsets = write_warc(path, records, compress=compress)
    data = path.read_bytes()
    path.write_bytes(data[: offsets[2] + (len(data) - offsets[2]) // 2])
    reader = WarcReader(path)
    seen = []
    with pytest.raises(WarcFormatError, match="ends inside"):
        seen.extend(page.target_uri for page in reader)
    assert seen == ["http://news.example/0", "http://news.example/1"]
    assert reader.stats.damaged == 1


@pytest.mark.parametrize("cut", [40, 200], ids=["in-the-payload", "in-the-headers"])
def test_a_file_cut_anywhere_in_its_last_record_is_reported(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.warc.gz"
    offsets = write_warc(path, [Rec("page", uri=f"http://news.example/{n}", body=b)
                                for n, b in enumerate((ENGLISH, GERMAN))])
    data = path.read_bytes()
    path.write_bytes(data[: offsets[1] + cut])
    with pytest.raises(WarcFormatError, match="ends inside"):
        list(WarcReader(path))


def test_files_that_cannot_be_read_record_by_record_raise(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc.gz"
    plain = tmp_path / "plain.warc"
    write_warc(plain, [Rec("page", uri=f"http://news.example/{n}", body=ENGLISH)
                       for n in range(3)], compress=False)
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    with pytest.raises(WarcFormatError, match="recompress"):
        list(WarcReader(whole))
    garbage = tmp_path / "notes.warc"
    garbage.write_bytes(b"these are my notes, not an archive\n" * 10)
    with pytest.raises(WarcFormatError, match="not a WARC"):
        list(WarcReader(garbage))


def test_a_bug_in_reading_records_is_not_taken_for_damage(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, [Rec("page", uri=f"http://news.example/{n}", body=ENGLISH)
                      for n in range(2)])

    def buggy(*args: object, **kwargs: object) -> None:
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(declutter.warc, "_read_entry", buggy)
    with pytest.raises(TypeError):  # not a WarcFormatError: the archive is fine
        list(WarcReader(path))
    summary = run_warc_bulk(path, tmp_path / "out.jsonl", jobs=0)
    assert (summary.done, summary.failed, summary.bugs, summary.warc_files) == (0, 0, 1, 1)
    error = _jsonl(tmp_path / "out.errors.jsonl")["crawl.warc.gz"]
    assert (error["error"], error["kind"]) == ("TypeError", "bug")
    assert error["message"].startswith("the archive could not be listed: ")


def test_a_payload_that_cannot_be_decoded_costs_its_page_only(tmp_path: Path) -> None:
    path = tmp_path / "enc.warc.gz"
    write_warc(path, [
        Rec("page", uri="http://news.example/br", body=b"\x00\x01 not brotli at all",
            extra_http=(("Content-Encoding", "br"),)),
        Rec("page", uri="http://news.example/after", body=ENGLISH),
    ])
    results = {item.page.target_uri: item for item in extract_warc(path)}
    assert results["http://news.example/after"].article is not None
    broken = results["http://news.example/br"]
    # Without a brotli decoder, or for most decoding errors, warcio hands back the
    # stored bytes (no article in them); a decoder that raises makes the page's
    # error, never the archive's.
    if broken.error is None:
        assert broken.article is not None and broken.article.text == ""
    else:
        assert type(broken.error).__name__ in ("WarcFormatError", "NotHTMLError")


def test_brotli_payloads_are_decoded(tmp_path: Path) -> None:
    """``Content-Encoding: br`` (plain and chunked, declared HTML or sniffed): the page, never
    its compressed bytes read as text."""
    brotli = pytest.importorskip("brotli")
    packed = brotli.compress(ENGLISH)
    path = tmp_path / "br.warc.gz"
    write_warc(path, [
        Rec("page", uri="http://news.example/br", body=packed,
            extra_http=(("Content-Encoding", "br"),)),
        Rec("page", uri="http://news.example/br-chunked", body=_chunked(packed, 700),
            extra_http=(("Content-Encoding", "BR"), ("Transfer-Encoding", "chunked"))),
        Rec("page", uri="http://news.example/br-untyped", body=packed, content_type=None,
            extra_http=(("Content-Encoding", "br"),)),
        Rec("page", uri="http://news.example/br-cut", body=packed[: len(packed) // 2],
            extra_http=(("Content-Encoding", "br"),)),
    ])
    results = {item.page.target_uri: item for item in extract_warc(path)}
    expected = declutter.extract(ENGLISH, url="http://news.example/br").text
    assert expected
    for uri in ("br", "br-chunked", "br-untyped"):
        found = results[f"http://news.example/{uri}"]
        assert found.page.payload == ENGLISH, uri
        assert found.article is not None and found.article.text == expected, uri
    cut = results["http://news.example/br-cut"]
    assert cut.article is None
    assert isinstance(cut.error, WarcFormatError)
    assert "Content-Encoding: br" in str(cut.error) and "ends early" in str(cut.error)


def test_a_sniffed_page_keeps_its_head(tmp_path: Path) -> None:
    """A page without a declared type is sniffed from its first bytes; those bytes stay
    part of the page (they were once lost: the title and the first paragraphs with them)."""
    path = tmp_path / "untyped.warc.gz"
    write_warc(path, [Rec("page", uri="http://news.example/u", body=ENGLISH, content_type=None),
                      Rec("page", uri="http://news.example/t", body=ENGLISH)])
    pages = list(WarcReader(path))
    assert [page.payload for page in pages] == [ENGLISH, ENGLISH]
    assert pages[0].extract().to_json() == pages[1].extract().to_json().replace(
        "news.example/t", "news.example/u")
    assert read_record(path, pages[0].offset).payload == ENGLISH


def test_brotli_payloads_without_the_package_say_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    brotli = pytest.importorskip("brotli")
    path = tmp_path / "br.warc.gz"
    write_warc(path, [Rec("page", uri="http://news.example/br", body=brotli.compress(ENGLISH),
                          extra_http=(("Content-Encoding", "br"),))])
    monkeypatch.setitem(sys.modules, "brotli", None)
    [only] = list(extract_warc(path))
    assert only.article is None and isinstance(only.error, WarcFormatError)
    assert "pip install 'declutter[" in str(only.error)


def test_a_decoder_that_raises_is_a_page_problem() -> None:
    class Stream:
        def read(self, size: int) -> bytes:
            raise AttributeError("decoder bug")

    class Record:
        http_headers = StatusAndHeaders("200 OK", [("Content-Encoding", "gzip")],
                                        protocol="HTTP/1.1")

        def content_stream(self) -> Stream:
            return Stream()

    from declutter.warc import _content, _PayloadError

    with pytest.raises(_PayloadError, match="Content-Encoding: gzip"):
        _content(Record(), 100)
    Record.http_headers = StatusAndHeaders("200 OK", [("Content-Encoding", "br")],
                                           protocol="HTTP/1.1")
    Record.raw_stream = Stream()  # type: ignore[attr-defined]
    with pytest.raises(_PayloadError, match="Content-Encoding: br"):
        _content(Record(), 100)
    page = declutter.WarcPage("<urn:uuid:1>", "http://x/", None, "response", 200,
                              "text/html", None, b"", problem="cannot be decoded")
    with pytest.raises(WarcFormatError, match="cannot be decoded"):
        page.extract()


def test_an_open_binary_stream_can_be_read() -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(_record(writer, Rec("page", uri="http://news.example/s", body=ENGLISH)))
    buffer.seek(0)
    pages = list(WarcReader(buffer))
    assert [page.target_uri for page in pages] == ["http://news.example/s"]


# --------------------------------------------------------------------------- bulk


def test_bulk_gives_every_record_its_fate(crawl, tmp_path: Path) -> None:
    path, records, offsets = crawl
    out = tmp_path / "out.jsonl"
    summary = run_warc_bulk(path, out, jobs=2)
    assert isinstance(summary, WarcSummary)
    written = _jsonl(out)
    logged = _jsonl(tmp_path / "out.errors.jsonl")
    for rec, offset in zip(records, offsets, strict=True):
        key = f"crawl.warc.gz/{offset}"
        if rec.fate == "page":
            record = written.pop(key)
            assert record["warc_target_uri"] == rec.uri
            assert str(record["warc_record_id"]).startswith("<urn:uuid:")
            assert record["warc_date"]
            assert record["http_status"] == (None if rec.kind == "resource" else 200)
            assert record["text"] == _expected_text(rec), rec.uri
            assert "title" in record and "language" in record
        elif rec.fate == "error":
            error = logged.pop(key)
            assert error["error"] in ("EmptyPageError", "NotHTMLError")
            assert error["warc_target_uri"] == rec.uri and error["http_status"] == 200
            assert str(error["warc_record_id"]).startswith("<urn:uuid:")
    assert written == {} and logged == {}
    counts = _counts(records)
    assert (summary.total, summary.done, summary.failed) == (counts.pages, counts.pages - 2, 2)
    assert (summary.warc_files, summary.records, summary.skipped_not_html,
            summary.skipped_status, summary.other_records) == (
        1, counts.records, counts.not_html, counts.not_ok, counts.other)
    assert "not HTML" in summary.describe() and "not status 200" in summary.describe()
    assert summary.to_dict()["skipped_status"] == counts.not_ok


def _damaged_directory(root: Path) -> dict[str, str]:
    """A directory of archives, some damaged; returns file name -> what must happen."""
    root.mkdir()
    pages = [Rec("page", uri=f"http://news.example/{n}", body=body)
             for n, body in enumerate((ENGLISH, GERMAN, FRENCH, CP1252))]
    image = Rec("not_html", body=b"\x89PNG", content_type="image/png")
    write_warc(root / "a.warc.gz", [*pages[:2], image])
    (root / "sub").mkdir()
    write_warc(root / "sub" / "b.warc", pages[2:], compress=False)
    offsets = write_warc(root / "cut.warc.gz", pages)
    data = (root / "cut.warc.gz").read_bytes()
    (root / "cut.warc.gz").write_bytes(data[: offsets[3] + 300])
    (root / "whole.warc.gz").write_bytes(gzip.compress((root / "sub" / "b.warc").read_bytes()))
    (root / "notes.warc").write_bytes(b"not an archive\n" * 20)
    (root / "readme.txt").write_bytes(b"ignored: not a WARC name")
    return {"a.warc.gz": "2 pages", "sub/b.warc": "2 pages", "cut.warc.gz": "3 pages + cut",
            "whole.warc.gz": "file error", "notes.warc": "file error"}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    return env


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "declutter", *map(str, args)],
                          capture_output=True, text=True, env=_env(), timeout=300, check=False)


def test_cli_directory_of_warc_files_with_damage_and_resume(tmp_path: Path) -> None:
    _damaged_directory(tmp_path / "crawl")
    out = tmp_path / "out.jsonl"
    result = _cli("bulk", tmp_path / "crawl", "-o", out, "--jobs", "2")
    assert result.returncode == 1, result.stderr  # some inputs failed
    assert "Traceback" not in result.stderr
    written = _jsonl(out)
    files = sorted({key.rsplit("/", 1)[0] for key in written})
    assert files == ["a.warc.gz", "cut.warc.gz", "sub/b.warc"]
    assert len(written) == 7
    errors = _jsonl(tmp_path / "out.errors.jsonl")
    assert {key: value["error"] for key, value in errors.items()
            if "/" not in key} == {"notes.warc": "WarcFormatError",
                                   "whole.warc.gz": "WarcFormatError"}
    cut = [value for key, value in errors.items() if key.startswith("cut.warc.gz/")]
    assert len(cut) == 1 and "ends inside" in str(cut[0]["message"])
    assert "7 done" in result.stderr and "3 failed" in result.stderr
    assert "1 not HTML" in result.stderr and "in 5 WARC files" in result.stderr

    again = _cli("bulk", tmp_path / "crawl", "-o", out, "--jobs", "2", "--resume",
                 "--summary-json", tmp_path / "summary.json")
    assert again.returncode == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["done"], summary["skipped"], summary["failed"]) == (0, 7, 3)
    assert summary["warc_files"] == 5 and summary["skipped_not_html"] == 1
    assert _jsonl(out) == written


def test_cli_one_warc_file_to_mirrored_files(crawl, tmp_path: Path) -> None:
    path, records, offsets = crawl
    out = tmp_path / "texts"
    result = _cli("bulk", path, "-o", out, "--jobs", "1", "-q")
    assert result.returncode == 1  # the empty and the binary page
    for rec, offset in zip(records, offsets, strict=True):
        target = out / "crawl.warc.gz" / f"{offset}.txt"
        assert target.exists() == (rec.fate == "page"), rec.uri
        if rec.fate == "page":
            text = _expected_text(rec)
            assert target.read_text(encoding="utf-8") == (text + "\n" if text else "")


def test_cli_refuses_what_it_cannot_run(tmp_path: Path) -> None:
    result = _cli("bulk", tmp_path / "missing.warc.gz", "-o", tmp_path / "out.jsonl")
    assert result.returncode == 2 and "not a directory or a WARC file" in result.stderr
    path = tmp_path / "x.warc.gz"
    write_warc(path, [Rec("page", body=ENGLISH)])
    result = _cli("bulk", path, "-o", tmp_path / "o.jsonl", "--jobs", "2",
                  "--scheduler", "tcp://127.0.0.1:9")
    assert result.returncode == 2 and "--jobs" in result.stderr


def test_is_warc_input(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    (pages / "a").mkdir(parents=True)
    (pages / "a" / "story.html").write_bytes(ENGLISH)
    warcs = tmp_path / "warcs"
    (warcs / "2024").mkdir(parents=True)
    write_warc(warcs / "2024" / "x.WARC.GZ", [Rec("page", body=ENGLISH)])
    (warcs / "notes.txt").write_text("about the crawl")
    assert not is_warc_input(pages)
    assert is_warc_input(warcs)
    assert is_warc_input(warcs / "2024" / "x.WARC.GZ")
    assert not is_warc_input(tmp_path / "missing")
    assert not is_warc_input(warcs, ["*.html"])
    assert is_warc_input(pages, ["*.warc.gz"])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not is_warc_input(empty)
