"""Large pages: element paths built in linear time, and a time limit for one page.

``Block.path`` and ``Removal.path`` were once lxml's ``getpath()`` per record,
whose cost grows with the element's position among its siblings: a flat page
of many items took time growing with the square of its size. The paths are
now built from each parent's children, numbered once; these tests hold them
to be exactly ``getpath()``'s on every kind of tree. (Time per megabyte is
measured by ``python -m benchmarks.scale_pages``, not here: timings on a
shared machine make flaky tests.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from _child import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import declutter
from benchmarks.scale_pages import SHAPES, flat_page
from declutter._stages.decode import decode
from declutter._stages.parse import parse
from declutter._stages.paths import Paths
from declutter._stages.prune import _has_child

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PAGES = sorted((REPO / "samples").glob("*/page.html"))

TAGS = ("div", "p", "span", "li", "ul", "a", "fb:like", "td", "tr", "section")


@st.composite
def trees(draw: st.DrawFn) -> str:
    """Random nesting of a few tags (siblings of the same tag, or not), comments between."""

    def node(depth: int) -> str:
        tag = draw(st.sampled_from(TAGS))
        count = draw(st.integers(0, 5 if depth < 4 else 0))
        inner = "".join(
            draw(st.sampled_from(["", "text", "<!-- c -->", "<?pi x?>"])) + node(depth + 1)
            for _ in range(count)
        )
        return f"<{tag}>{inner}</{tag}>"

    return "<html><body>" + "".join(node(0) for _ in range(draw(st.integers(1, 4)))) + \
        "</body></html>"


def _every_path_as_lxml(root: lxml.etree._Element) -> None:
    tree = root.getroottree()
    paths = Paths(root)
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    # asked in reverse order too: the cache must not depend on who asked first
    for el in [*elements[::2], *reversed(elements)]:
        assert paths(el) == tree.getpath(el), tree.getpath(el)


@settings(max_examples=150, deadline=None)
@given(trees())
def test_paths_are_lxmls_on_any_tree(html: str) -> None:
    root = lxml.html.fromstring(html)
    _every_path_as_lxml(root)


def test_paths_are_lxmls_on_every_sample_page() -> None:
    for page in SAMPLE_PAGES:
        root = parse(decode(page.read_bytes(), 2**30))
        assert root is not None
        _every_path_as_lxml(root)


def test_paths_of_a_namespaced_tree_are_left_to_lxml() -> None:
    """An XML tree a caller parsed may hold namespaces, whose steps lxml writes with
    prefixes or as ``*``: those are asked of lxml itself."""
    root = lxml.etree.fromstring(
        '<r xmlns:x="urn:x"><x:a/><x:a/><b/><b/><c xmlns="urn:d"><e/><e/></c><b/></r>')
    _every_path_as_lxml(root)


def test_paths_of_a_subtree_are_those_of_its_document() -> None:
    root = lxml.html.fromstring("<html><body><div><p>a</p><p>b</p></div></body></html>")
    div = root.find(".//div")
    assert div is not None
    assert Paths(div)(div[1]) == "/html/body/div/p[2]"


def test_a_page_nested_thousands_deep_gets_its_paths() -> None:
    root = deepest = lxml.etree.Element("div")
    for _ in range(5000):  # built, not parsed: libxml2's parser stops at 256 levels
        deepest = lxml.etree.SubElement(deepest, "div")
    assert Paths(root)(deepest) == root.getroottree().getpath(deepest)


@pytest.mark.parametrize("count", [0, 1, 5, 6, 7, 40])
def test_has_child_is_len_greater_than(count: int) -> None:
    el = lxml.etree.fromstring("<div>" + "<p/>" * count + "</div>")
    for index in range(8):
        assert _has_child(el, index) == (len(el) > index)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_flat_page_shape_is_cleaned(shape: str) -> None:
    """The benchmark's pages are real pages to declutter: each shape gives text (or, for
    a grid of teaser cards, rightly none) and paths that name their blocks."""
    page = flat_page(shape, 60_000)
    article = declutter.extract(page, options=declutter.Options(articles_only=False))
    assert article.blocks
    root = lxml.html.fromstring(page)
    tree = root.getroottree()
    for block in article.blocks[:: max(1, len(article.blocks) // 20)]:
        assert tree.xpath(block.path), block.path


def test_timeout_stops_one_page_and_the_others_go_on(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    big.write_text(flat_page("p", 8 * 2**20), encoding="utf-8")
    small = REPO / "samples" / "04-indian-news" / "page.html"
    start = time.monotonic()
    result = run_cli("--timeout", "0.3", big, small)
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert f"declutter: {big}: TimeoutError: no result after 0.3 s (--timeout)" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Railway Board" in result.stdout  # the next page was cleaned in full
    assert run_cli("--timeout", "60", small).stdout == run_cli(small).stdout


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_timeout_must_be_a_number_of_seconds(value: str) -> None:
    result = run_cli("--timeout", value, sys.executable)
    assert result.returncode == 2
    assert "--timeout" in result.stderr
