"""Input that is not text is an error: compressed pages are unpacked, the rest refused.

Compressed or random bytes read as text look like a page in an odd encoding
and used to come out as an "article" of mojibake with full confidence. These
tests give declutter the real sample pages in every compression format it
knows, damaged and oversized archives, and random bytes of many sizes, and
check that each is either read as the page it holds or refused with
NotHTMLError, never turned into text.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from _child import child_env, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import declutter
from declutter import InputTooLargeError, NotHTMLError
from declutter._stages.compression import unpack
from declutter.bulk import prepare_page

brotli = pytest.importorskip("brotli")
zstandard = pytest.importorskip("zstandard")

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PAGES = sorted((REPO / "samples").glob("*/page.html"))
PAGE = (REPO / "samples" / "04-indian-news" / "page.html").read_bytes()


def _zip(data: bytes, name: str = "index.html", *extra: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
        for other, content in extra:
            archive.writestr(other, content)
    return buffer.getvalue()


PACKERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zip": _zip,
    "brotli": brotli.compress,
    "gzip-in-zip": lambda data: _zip(gzip.compress(data, mtime=0), "page.html.gz"),
    "brotli-in-xz": lambda data: lzma.compress(brotli.compress(data)),
}
#: Formats whose outer layer (or inner one) has no signature a reader could recognise.
SIGNATURELESS = ("brotli", "brotli-in-xz")


@pytest.mark.parametrize("kind", sorted(PACKERS))
def test_every_sample_page_is_unpacked_to_itself(kind: str) -> None:
    for path in SAMPLE_PAGES:
        data = path.read_bytes()
        assert prepare_page(PACKERS[kind](data)) == data, path.parent.name


@pytest.mark.parametrize("kind", sorted(PACKERS))
def test_the_command_reads_a_compressed_page_as_the_page(kind: str, tmp_path: Path) -> None:
    packed = tmp_path / "page.html"
    packed.write_bytes(PACKERS[kind](PAGE))
    plain = tmp_path / "plain.html"
    plain.write_bytes(PAGE)
    result, expected = run_cli(packed), run_cli(plain)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == expected.stdout
    assert "Railway Board" in result.stdout


@pytest.mark.parametrize("kind", sorted(PACKERS))
def test_the_library_never_reads_compressed_bytes_as_text(kind: str) -> None:
    """The API takes a page as it is: compressed bytes are refused, never an article."""
    with pytest.raises(NotHTMLError):
        declutter.extract(PACKERS[kind](PAGE))
    with pytest.raises(NotHTMLError):
        declutter.clean(PACKERS[kind](PAGE))


def test_a_compressed_page_names_what_it_is() -> None:
    with pytest.raises(NotHTMLError, match="zstd-compressed data, not HTML: unpack it first"):
        declutter.clean(PACKERS["zstd"](PAGE))


@pytest.mark.parametrize("kind", ["gzip", "zstd", "bzip2", "xz", "brotli"])
def test_a_truncated_archive_is_a_page_problem(kind: str) -> None:
    packed = PACKERS[kind](PAGE)
    for cut in (len(packed) // 2, len(packed) - 3):
        with pytest.raises((NotHTMLError, gzip.BadGzipFile)) as caught:
            declutter.clean(prepare_page(packed[:cut]))
        assert "Traceback" not in str(caught.value)


@pytest.mark.parametrize("kind", sorted(PACKERS))
def test_an_archive_that_unpacks_past_the_limit_is_too_large(kind: str) -> None:
    """A zip bomb: 4 MB of one letter is a few kilobytes packed; the limit is 1 MB."""
    bomb = PACKERS[kind](b"<p>" + b"a" * 4_000_000 + b"</p>")
    assert len(bomb) < 40_000
    with pytest.raises(InputTooLargeError):
        prepare_page(bomb, 1_000_000)
    assert prepare_page(bomb, 5_000_000).startswith(b"<p>aaa")


def test_a_zip_of_several_pages_is_not_one_page() -> None:
    several = _zip(PAGE, "a.html", ("b.html", PAGE), ("c.css", b"p {}"))
    with pytest.raises(NotHTMLError, match=r"ZIP archive of 3 files, not one page.*bulk"):
        prepare_page(several)
    one_page = _zip(PAGE, "story.html", ("style.css", b"p {}"), ("logo.png", b"\x89PNG"))
    assert prepare_page(one_page) == PAGE


def test_a_compressed_image_is_still_not_html() -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    for kind in ("gzip", "zstd", "xz", "zip"):
        with pytest.raises(NotHTMLError, match="PNG image"):
            declutter.clean(prepare_page(PACKERS[kind](image)))


def test_without_the_decoder_package_the_refusal_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard now fails
    with pytest.raises(NotHTMLError, match=r"zstandard package: pip install 'declutter\["):
        prepare_page(PACKERS["zstd"](PAGE))
    monkeypatch.setitem(sys.modules, "brotli", None)
    with pytest.raises(NotHTMLError, match="binary data"):  # no signature: cannot be known
        declutter.clean(prepare_page(PACKERS["brotli"](PAGE)))


# --------------------------------------------------------------------------- random bytes

#: Sizes of random inputs that must be refused: from half a kilobyte (some 50 control
#: characters, enough for their share to decide; shorter noise can pass for a few
#: characters of text) to 2 MB.
RANDOM_SIZES = (512, 1024, 1500, 4096, 20_000, 65_536, 300_000, 2_000_000)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), size=st.sampled_from(RANDOM_SIZES))
def test_random_bytes_are_refused_as_not_html(seed: int, size: int) -> None:
    data = random.Random(seed).randbytes(size)
    with pytest.raises(NotHTMLError):
        declutter.extract(data)
    with pytest.raises(NotHTMLError):
        declutter.clean(prepare_page(data))


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=3000),
       kind=st.sampled_from(sorted(set(PACKERS) - set(SIGNATURELESS))))
def test_packing_any_bytes_unpacks_to_what_the_bytes_unpack_to(data: bytes, kind: str) -> None:
    """Brotli is left out: a Brotli stream of a few bytes (one byte for b"") can look like
    text, so nothing can tell it is one; pages are long enough (see above)."""
    def outcome(value: bytes) -> bytes | str:
        try:
            return unpack(value, 1_000_000)
        except (NotHTMLError, InputTooLargeError, gzip.BadGzipFile) as error:
            return type(error).__name__

    assert outcome(PACKERS[kind](data)) == outcome(data)


def test_the_command_refuses_random_bytes(tmp_path: Path) -> None:
    noise = tmp_path / "noise.html"
    noise.write_bytes(random.Random(20).randbytes(20_000))
    result = run_cli(noise)
    assert result.returncode != 0 and result.stdout == ""
    assert "NotHTMLError: input is binary data" in result.stderr
    assert "Traceback" not in result.stderr


def test_bulk_records_compressed_pages_and_refuses_noise(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    for kind, packer in PACKERS.items():
        (source / f"{kind}.html").write_bytes(packer(PAGE))
    (source / "noise.html").write_bytes(random.Random(7).randbytes(20_000))
    out = tmp_path / "out.jsonl"
    result = subprocess.run([sys.executable, "-m", "declutter", "bulk", source, "-o", out,
                             "--jobs", "1"], capture_output=True, text=True, env=child_env(),
                            timeout=300, check=False)
    assert result.returncode == 1, result.stderr  # one page failed
    import json

    records = {json.loads(line)["path"]: json.loads(line)
               for line in out.read_text().splitlines()}
    expected = declutter.clean(PAGE)
    assert sorted(records) == sorted(f"{kind}.html" for kind in PACKERS)
    assert all(record["text"] == expected for record in records.values())
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text()
              .splitlines()]
    assert [(e["path"], e["error"]) for e in errors] == [("noise.html", "NotHTMLError")]
