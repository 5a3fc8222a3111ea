"""No network and no file access: nothing a page names is fetched or read.

Pages declare external entities, external DTDs, XInclude, ``<base>``,
stylesheets, images, frames, imports and redirects, all pointing at a marker
file in a temporary directory or at a TCP listener on 127.0.0.1. The tests
watch at three levels: the output never holds the marker's secret; the
listener never gets a connection and Python's socket calls are never made;
and the marker files are never opened, seen by an audit hook (Python code)
and by their access time (libxml2's C code, where the file system records it).
Both parser paths run: the normal one and the one for pages past libxml2's
limits.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _robust import check_article

import declutter
from benchmarks.robustness import article
from declutter import Options

SECRET = "declutter-isolation-secret-7f3a9c"
_WATCHED: list[str] = []  # directory prefixes the audit hook reports opens under
_OPENED: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _WATCHED:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if any(path.startswith(prefix) for prefix in _WATCHED):
            _OPENED.append(path)
    elif event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        _OPENED.append(f"{event}: {args[1:] if event == 'socket.connect' else args}")


sys.addaudithook(_audit)  # cannot be removed; idle unless a test watches a directory


@pytest.fixture
def markers(tmp_path: Path) -> dict[str, Path]:
    """Files a hostile page points at, with their access times set in the past."""
    files = {
        "text": tmp_path / "secret.txt",
        "dtd": tmp_path / "secret.dtd",
        "xml": tmp_path / "secret.xml",
        "css": tmp_path / "secret.css",
    }
    files["text"].write_text(SECRET, encoding="utf-8")
    files["dtd"].write_text(f'<!ENTITY e "{SECRET}"><!ENTITY % p "{SECRET}">', encoding="utf-8")
    files["xml"].write_text(f"<p>{SECRET}</p>", encoding="utf-8")
    files["css"].write_text(f"body::before {{ content: '{SECRET}' }}", encoding="utf-8")
    for path in files.values():
        _age(path)
    return files


def _age(path: Path) -> None:
    """Access time a day before modification time: any read moves it (with relatime too)."""
    info = path.stat()
    os.utime(path, ns=(info.st_mtime_ns - 86_400 * 10**9, info.st_mtime_ns))


def _atime_is_recorded(tmp_path: Path) -> bool:
    probe = tmp_path / "probe.txt"
    probe.write_text("probe", encoding="utf-8")
    _age(probe)
    before = probe.stat().st_atime_ns
    probe.read_bytes()
    return probe.stat().st_atime_ns != before


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on 127.0.0.1 that records every connection made to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    hits: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except (TimeoutError, OSError):
                continue
            hits.append(str(address))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join()
    server.close()


def hostile_pages(files: dict[str, Path], port: int) -> dict[str, str]:
    text_url, dtd_url = files["text"].as_uri(), files["dtd"].as_uri()
    xml_url, css_url = files["xml"].as_uri(), files["css"].as_uri()
    folder = files["text"].parent.as_uri() + "/"
    http = f"http://127.0.0.1:{port}"
    body = article(extra_after="<p>Entity here: &e; and &ext; and &net; end.</p>")
    return {
        "external-entity": f'<!DOCTYPE html [<!ENTITY e SYSTEM "{text_url}">'
                           f'<!ENTITY net SYSTEM "{http}/entity">]>' + body,
        "parameter-entity": f'<!DOCTYPE html [<!ENTITY % p SYSTEM "{dtd_url}"> %p;'
                            f'<!ENTITY % q SYSTEM "{http}/param"> %q;]>' + body,
        "external-dtd": f'<!DOCTYPE html SYSTEM "{dtd_url}">' + body,
        "external-dtd-http": f'<!DOCTYPE html PUBLIC "-//X//DTD X//EN" "{http}/x.dtd">' + body,
        "relative-entity": '<!DOCTYPE html [<!ENTITY ext SYSTEM "secret.txt">]>' + body,
        "xml-declaration": f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY e SYSTEM '
                           f'"{text_url}">]><html xmlns="http://www.w3.org/1999/xhtml">'
                           + body.split("<html", 1)[1].split(">", 1)[1],
        "xinclude": article(
            f'<div xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{xml_url}"/>'
            f'<xi:include href="{text_url}" parse="text"/>'
            f'<xi:include href="{http}/xi" parse="text"/></div>'),
        "xml-stylesheet": f'<?xml-stylesheet type="text/xsl" href="{text_url}"?>'
                          f'<?xml-stylesheet href="{http}/style.xsl"?>' + body,
        "base-and-resources": article(
            f'<base href="{folder}"><link rel="stylesheet" href="secret.css">'
            f'<link rel="stylesheet" href="{css_url}"><link rel="import" href="secret.xml">'
            f'<style>@import url("{css_url}"); @import "{http}/a.css";</style>'
            f'<img src="secret.txt"><img src="{http}/img.png" srcset="{text_url} 2x">'
            f'<iframe src="{text_url}"></iframe><iframe src="{http}/frame"></iframe>'
            f'<object data="{text_url}"></object><embed src="{xml_url}">'
            f'<script src="{http}/a.js"></script><script src="secret.txt"></script>'
            f'<video poster="{text_url}"><source src="{http}/v.mp4"></video>'
            f'<svg><image href="{text_url}"/><use href="{xml_url}#x"/></svg>'),
        "redirects-and-metadata": article().replace(
            "</head>",
            f'<meta http-equiv="refresh" content="0; url={text_url}">'
            f'<link rel="canonical" href="{text_url}"><meta property="og:url" '
            f'content="{http}/og"><meta property="og:image" content="{text_url}">'
            f'<script type="application/ld+json">{{"@context": "{http}/ctx", '
            f'"@type": "NewsArticle", "image": "{text_url}"}}</script></head>'),
    }


def _variants(page: str) -> Iterator[str | bytes]:
    yield page
    yield page.encode("utf-8")
    # The second parser path: nesting past libxml2's depth limit around the article.
    yield page.replace("<article>", "<article>" + "<div>" * 400, 1)


@pytest.fixture
def no_python_sockets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(repr(args[:2]))
        raise AssertionError("declutter opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return calls


def test_pages_never_reach_files_or_network(
    tmp_path: Path, markers: dict[str, Path], listener: tuple[int, list[str]],
    no_python_sockets: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, hits = listener
    monkeypatch.chdir(tmp_path)  # relative references would resolve next to the markers
    atime_checked = _atime_is_recorded(tmp_path)
    atimes = {name: path.stat().st_atime_ns for name, path in markers.items()}
    pages = hostile_pages(markers, port)
    _WATCHED.append(str(tmp_path))
    try:
        for name, page in pages.items():
            for variant in _variants(page):
                for options in (Options(), Options(articles_only=False, include_title=True,
                                                   keep_captions=True)):
                    text = declutter.clean(variant, url=f"http://127.0.0.1:{port}/page",
                                           options=options)
                    found = declutter.extract(variant, url=markers["text"].as_uri(),
                                              options=options)
                    check_article(found)
                    rendered = (text, found.to_json(), found.to_markdown(), found.to_html())
                    for output in rendered:
                        assert SECRET not in output, f"{name}: a marker file was read"
    finally:
        _WATCHED.clear()
    time.sleep(0.2)  # let the listener see a late connection, were there one
    assert hits == [], f"connections to the listener: {hits}"
    assert no_python_sockets == []
    assert _OPENED == [], f"files opened or sockets used: {_OPENED}"
    if atime_checked:
        for name, path in markers.items():
            assert path.stat().st_atime_ns == atimes[name], f"{path.name} was read"


def test_entities_declared_in_the_page_are_not_expanded() -> None:
    """Internal entities (the 'billion laughs' shape) are neither expanded nor an error."""
    laughs = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">'
                     for i in range(1, 12))
    page = f'<!DOCTYPE html [<!ENTITY l0 "lol">{laughs}]>' + article(
        extra_after="<p>Expanded: &l11; &l0;</p>")
    start = time.perf_counter()
    text = declutter.clean(page, options=Options(articles_only=False))
    assert time.perf_counter() - start < 5
    assert "lollol" not in text
    assert "zanzibarite" in text


def test_the_parser_is_the_pinned_html_parser() -> None:
    """Both parsers are lxml HTML parsers (never XML ones, which resolve entities)."""
    from lxml import etree

    from declutter._stages import parse as _parse

    for huge in (False, True):
        parser = _parse._parser(huge)
        assert isinstance(parser, etree.HTMLParser)
        assert parser is _parse._parser(huge)  # one per thread, reused


def test_parsers_are_per_thread() -> None:
    from declutter._stages import parse as _parse

    mine = _parse._parser()
    theirs: list[object] = []
    thread = threading.Thread(target=lambda: theirs.append(_parse._parser()))
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not mine


def test_the_watchers_catch_a_parser_that_does_resolve(
    tmp_path: Path, markers: dict[str, Path], listener: tuple[int, list[str]],
) -> None:
    """Positive control: an XML parser told to load entities trips every watcher."""
    from lxml import etree

    port, hits = listener
    atime_checked = _atime_is_recorded(tmp_path)
    before = markers["text"].stat().st_atime_ns
    page = (f'<!DOCTYPE p [<!ENTITY e SYSTEM "{markers["text"].as_uri()}">]><p>&e;</p>')
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    assert SECRET in etree.tostring(etree.fromstring(page.encode(), unsafe), encoding="unicode")
    if atime_checked:
        assert markers["text"].stat().st_atime_ns != before
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    deadline = time.monotonic() + 5
    while not hits and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hits
