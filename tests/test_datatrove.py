"""The datatrove extractor step, in a datatrove pipeline run as datatrove runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("datatrove")
from datatrove.data import Document

import declutter
from declutter.integrations.datatrove import DeclutterExtractor

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ARTICLE = (SAMPLES / "01-wordpress-blog" / "page.html").read_text(encoding="utf-8")
HOME = (SAMPLES / "18-nonarticle-home-page" / "page.html").read_text(encoding="utf-8")


def _documents() -> list[Document]:
    return [
        Document(text=ARTICLE, id="article", metadata={"url": "https://news.example/a"}),
        Document(text=HOME, id="home"),
        Document(text="%PDF-1.4 not a page", id="pdf"),
    ]


def test_the_step_cleans_documents_and_drops_what_has_no_text() -> None:
    step = DeclutterExtractor()
    out = list(step.run(iter(_documents())))
    assert [doc.id for doc in out] == ["article"]
    assert out[0].text == declutter.clean(ARTICLE)
    assert out[0].metadata == {"url": "https://news.example/a"}


def test_a_refused_page_costs_no_timeout() -> None:
    """Refusals come back as "", not exceptions, which would cost the sandbox's timeout."""
    assert DeclutterExtractor().extract("%PDF-1.4 not a page") == ""


def test_options_reach_the_sandboxed_extraction() -> None:
    options = declutter.Options(articles_only=False, include_title=True)
    out = list(DeclutterExtractor(options, timeout=10).run(iter(_documents())))
    assert [doc.id for doc in out] == ["article", "home"]
    assert out[0].text == declutter.clean(ARTICLE, options=options)
