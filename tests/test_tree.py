"""The tree entry point: a page the caller already parsed (lxml.html, Scrapy, parsel)
gives the same result as its markup, and the caller's tree is never changed."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from _news import EN, TITLE, p, page
from lxml import etree

import declutter

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*/page.html"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.parent.name)
def test_a_parsed_sample_gives_what_its_markup_gives(path: Path) -> None:
    data = path.read_bytes()
    tree = lxml.html.fromstring(data)
    assert declutter.clean(tree) == declutter.clean(data)
    assert declutter.extract(tree).to_json() == declutter.extract(data).to_json()


def test_element_tree_and_objects_holding_a_root_are_read() -> None:
    html = page(p(*EN))
    expected = "\n\n".join(EN)
    document = lxml.html.document_fromstring(html)
    assert declutter.clean(document.getroottree()) == expected

    class Selector:  # what parsel's Selector offers: the parsed document as .root
        root = document

    assert declutter.clean(Selector()) == expected
    assert declutter.clean(etree.fromstring(html.encode(), etree.HTMLParser())) == expected


def test_the_callers_tree_is_not_changed() -> None:
    # A stray <noscript> swallows the page; the parse stage opens it, on a copy.
    html = (f"<html><head><title>{TITLE}</title></head><body><noscript><div id='nojs'>"
            f"</noscript><div id='main'><h1>{TITLE}</h1>{p(*EN)}</div></body></html>")
    tree = lxml.html.fromstring(html)
    before = etree.tostring(tree)
    assert declutter.clean(tree) == "\n\n".join(EN)
    assert etree.tostring(tree) == before


def test_a_tree_deeper_than_any_parse_builds_is_read_through_its_markup() -> None:
    root = etree.Element("html")
    body = etree.SubElement(root, "body")
    node = body
    for _ in range(5000):
        node = etree.SubElement(node, "div")
    for text in EN:
        etree.SubElement(node, "p").text = text
    assert declutter.clean(root, options=declutter.Options(articles_only=False)) == (
        "\n\n".join(EN)
    )


def test_control_characters_in_a_parsed_tree_do_not_reach_the_output() -> None:
    # libxml2 keeps a control character written as a reference ("&#27;") in the text.
    html = page(p(*EN).replace("council", "coun&#27;cil", 1))
    tree = lxml.html.fromstring(html)
    assert "\x1b" in "".join(tree.itertext())
    text = declutter.clean(tree)
    assert "\x1b" not in text and "council" in text.split("\n\n")[0]


def test_other_objects_are_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="parsed lxml tree"):
        declutter.clean(42)  # type: ignore[arg-type]
