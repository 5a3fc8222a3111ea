"""The trafilatura fallback: its text comes out laid out as declutter's own blocks."""

from __future__ import annotations

import pytest

import declutter

LINES = (
    "The harbour board met on Tuesday to weigh three plans for the old quay.",
    "Members asked for costs, dates and a survey of the seabed before any vote.",
    "A decision is now expected at the next meeting, in the first week of May.",
    "Residents said the quay had been closed to boats for nearly two years.",
)
ITEMS = ("Plan A: repair the old wall", "Plan B: build a new pier", "Plan C: close the quay")
TITLE = "Harbour board weighs quay plans"

#: The story stands in a wrapper named like a sidebar, with paragraphs too short to
#: prove it holds an article: the wrapper is pruned, and the fallback is asked.
PAGE = (
    f"<html><head><title>{TITLE}</title></head><body>"
    "<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
    f"<main><article><h1>{TITLE}</h1><div class='l-sidebar-fixed'>"
    f"<p>{LINES[0]}</p><p>{LINES[1]}</p>"
    # A hard wrap inside an item is whitespace, not a line of the text.
    "<ul><li>Plan A: repair the\n old wall</li><li>Plan B: build a new pier</li>"
    "<li>Plan C: close the quay</li></ul>"
    "<table><tr><th>Plan</th><th>Cost</th></tr><tr><td>A</td><td>2 million</td></tr>"
    "<tr><td>B</td><td>9 million</td></tr></table>"
    f"<p>{LINES[2]}<br>{LINES[3]}</p>"
    "</div></article></main><footer>Contact us</footer></body></html>"
)


def test_fallback_blocks_have_our_kinds_and_no_markers() -> None:
    article = declutter.extract(PAGE)
    assert article.fallback
    kinds = [(block.kind, block.text) for block in article.blocks]
    assert ("paragraph", LINES[0]) in kinds
    assert [text for kind, text in kinds if kind == "list_item"] == list(ITEMS)
    assert ("table", "Plan\tCost\nA\t2 million\nB\t9 million") in kinds
    # A <br> inside a paragraph is a line of that paragraph, as in our own blocks.
    assert ("paragraph", f"{LINES[2]}\n{LINES[3]}") in kinds
    # No list bullets or table pipes of trafilatura's text format.
    assert "- " not in article.text and "|" not in article.text
    assert article.text == "\n\n".join(
        [LINES[0], LINES[1], "\n".join(ITEMS), "Plan\tCost\nA\t2 million\nB\t9 million",
         f"{LINES[2]}\n{LINES[3]}"]
    )


def test_fallback_tables_follow_keep_tables() -> None:
    article = declutter.extract(PAGE, options=declutter.Options(keep_tables=False))
    assert article.fallback
    assert "2 million" not in article.text
    assert LINES[0] in article.text


def test_a_trafilatura_failure_leaves_our_result_and_a_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trafilatura

    def broken(*args: object, **kwargs: object) -> str:
        raise ValueError("no tree")

    monkeypatch.setattr(trafilatura, "extract", broken)
    article = declutter.extract(PAGE)
    assert not article.fallback
    failures = [r for r in article.removed if r.rule == "fallback:failed"]
    assert failures and failures[0].excerpt == "trafilatura failed: ValueError: no tree"


def test_trafilatura_imports_in_this_installation() -> None:
    # A dependency of ours: its import failing is a broken installation, not a page
    # problem, and is never caught (jusText needs lxml_html_clean, see pyproject.toml).
    import trafilatura

    page = f"<html><body><article><p>{' '.join(LINES)}</p></article></body></html>"
    assert LINES[0] in (trafilatura.extract(page) or "")
