"""Servers on 127.0.0.1 for the tests of inputs by URL: an S3 API (moto) and a web server.

Both run in threads of the test process and bind the loopback address only.
The web server serves a folder as ``http.server`` does (listings included),
plus what object stores and real web servers do and ``http.server`` does not:
byte ranges. It keeps a log of the requests, and answers 500 for any file
whose name holds ``broken``, as a failing server would.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The environment of a client of the moto server: fixed test credentials, and no
#: instance metadata service (boto would otherwise look for one off this machine).
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """An S3 API on 127.0.0.1 (moto's server, in a thread); yields its endpoint URL.

    The process environment gets the test credentials and ``AWS_ENDPOINT_URL``
    meanwhile, so subprocesses and Dask workers started inside find the server
    the way a user's tools would find a real one; the old environment is put
    back afterwards.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {name: os.environ.get(name) for name in [*AWS_TEST_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(AWS_TEST_ENV, AWS_ENDPOINT_URL=endpoint)
    try:
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """``http.server``'s handler with byte ranges, a request log and failing files."""

    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        self.server.requests.append((self.command, self.path, self.headers.get("Range")))
        path = self.translate_path(self.path)
        if "broken" in os.path.basename(path):
            self.send_error(500, "this file always fails")
            return None
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if not ranged or not os.path.isfile(path):
            return super().send_head()
        data = Path(path).read_bytes()
        start = int(ranged[1])
        end = min(len(data), int(ranged[2]) + 1 if ranged[2] else len(data))
        if start >= len(data):
            self.send_error(416, "range not satisfiable")
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(data[start:end])


@contextlib.contextmanager
def serving(handler: Any) -> Iterator[Any]:
    """A threaded HTTP server on 127.0.0.1 with ``handler``, in a thread of its own;
    yields the server (its ``.url`` set), stopped and closed on the way out."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def web_server(root: Path) -> Iterator[Any]:
    """A web server for ``root`` on 127.0.0.1; yields the server (``.url``, ``.requests``)."""
    with serving(functools.partial(RangeHandler, directory=str(root))) as server:
        server.requests = []
        yield server
