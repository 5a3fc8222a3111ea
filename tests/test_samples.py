"""Golden tests: every page in ``samples/`` against its ``expected.txt`` and ``meta.json``.

Each ``samples/<name>/`` holds ``page.html`` (read as bytes, in the page's own
encoding), ``expected.txt`` (UTF-8, the exact body text the rules in
``samples/README.md`` produce; empty for pages that are not articles) and
``meta.json`` (metadata and the visible boilerplate strings that must not be
in the output).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
SAMPLES = sorted(p for p in SAMPLES_DIR.iterdir() if p.is_dir())
IDS = [p.name for p in SAMPLES]


def _page(sample: Path) -> bytes:
    return (sample / "page.html").read_bytes()


def _expected(sample: Path) -> str:
    return (sample / "expected.txt").read_text(encoding="utf-8")


def _meta(sample: Path) -> dict:
    return json.loads((sample / "meta.json").read_text(encoding="utf-8"))


def _visible_tokens(data: bytes) -> list[str]:
    doc = lxml.html.document_fromstring(data)
    for el in doc.xpath("//script|//style"):
        el.drop_tree()
    return re.findall(r"\w+", doc.text_content())


def _shows(sample: Path, text: str) -> bool:
    """True when the text stands in the page's visible body, not only in its metadata."""
    doc = lxml.html.document_fromstring(_page(sample))
    for el in doc.xpath("//script|//style|//head"):
        el.drop_tree()
    return " ".join(text.split()) in " ".join(doc.text_content().split())


def _is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(tok in it for tok in needle)


@pytest.fixture(scope="module")
def declutter():
    import declutter as module

    return module


def test_there_are_enough_samples():
    assert len(SAMPLES) >= 20
    for sample in SAMPLES:
        for name in ("page.html", "expected.txt", "meta.json"):
            assert (sample / name).is_file(), f"{sample.name}/{name} is missing"


# -- the golden data itself ----------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_expected_is_well_formed(sample):
    expected = _expected(sample)
    meta = _meta(sample)
    if not meta["is_article"]:
        assert expected == ""
        return
    assert expected.endswith("\n") and not expected.endswith("\n\n")
    assert "\n\n\n" not in expected
    assert expected == expected.lstrip()
    assert "\r" not in expected and "\u00a0" not in expected
    for boilerplate in meta["boilerplate"]:
        assert boilerplate not in expected
    assert meta["title"] not in expected
    # The standfirst is article text: the first block when the page shows it, else absent.
    description = meta["description"]
    if _shows(sample, description):
        assert expected.startswith(description + "\n\n")
        assert description not in expected[len(description):]
    else:
        assert description not in expected
    assert _is_subsequence(re.findall(r"\w+", expected), _visible_tokens(_page(sample)))


# -- declutter against the golden data -----------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_clean_matches_expected(sample, declutter):
    out = declutter.clean(_page(sample))
    assert isinstance(out, str)
    assert out.rstrip() == _expected(sample).rstrip()


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_without_standfirst_the_text_starts_with_the_body(sample, declutter):
    expected = _expected(sample)
    description = _meta(sample).get("description") or ""
    if description and expected.startswith(description + "\n\n"):
        expected = expected[len(description) + 2:]
    options = declutter.Options(include_standfirst=False)
    article = declutter.extract(_page(sample), options=options)
    assert article.text.rstrip() == expected.rstrip()
    if expected != _expected(sample):
        assert any(record.category == "standfirst" for record in article.removed)


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_no_boilerplate_in_output(sample, declutter):
    out = declutter.clean(_page(sample))
    leaked = [b for b in _meta(sample)["boilerplate"] if b in out]
    assert leaked == []


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_output_words_come_from_the_page_in_order(sample, declutter):
    data = _page(sample)
    out = declutter.clean(data)
    assert _is_subsequence(re.findall(r"\w+", out), _visible_tokens(data))


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_metadata(sample, declutter):
    data = _page(sample)
    meta = _meta(sample)
    a = declutter.extract(data)
    assert a.is_article == meta["is_article"]
    if not meta["is_article"]:
        return
    assert a.title == meta["title"]
    assert a.language == meta["language"]
    assert set(a.authors) == set(meta["authors"])
    assert a.published == meta["published"]
    assert a.site_name == meta["site_name"]
    assert a.url == meta["url"]
