"""The explain report, without a browser: what it contains and what it must never contain.

The report shows untrusted pages, so most tests here are about safety: after
sanitising, hostile pages keep no script, no event handler, no URL of any
kind and no tag outside the allow list. The rest check that the report says
what declutter did: every removal outlined where its element is, the side
panel equal to ``clean()``, the kept blocks marked.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import lxml.html
import pytest
from _hostile import HOSTILE, PARAGRAPHS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import declutter
from declutter import Options, explain_html
from declutter._report.explain import resolve
from declutter._report.page import COLOURS

SAMPLES = sorted(p for p in (Path(__file__).resolve().parent.parent / "samples").iterdir()
                 if p.is_dir())
IDS = [p.name for p in SAMPLES]

#: Every attribute a report may carry; anything else is a sanitiser leak.
ALLOWED_ATTRIBUTES = {
    "class", "id", "title", "lang", "dir", "colspan", "rowspan", "span", "start", "reversed",
    "type", "scope", "datetime", "abbr", "open", "tabindex",
    "data-dc-category", "data-dc-rule", "data-dc-index", "data-dc-label", "data-dc-kept",
    "data-dc-partial", "data-dc-row", "data-dc-legend",
    # the report's own head
    "charset", "http-equiv", "content", "name",
}
#: Every tag a report may hold.
ALLOWED_TAGS = set(
    "html head meta title style body script header h1 h2 p ul li span div main aside section "
    "table thead tbody tr th td code br em a abbr address article b bdi bdo big blockquote "
    "caption center cite col colgroup dd del details dfn dl dt figcaption figure footer h3 h4 "
    "h5 h6 hgroup hr i ins kbd label legend mark menu nav ol pre q rp rt ruby s samp small "
    "strike strong sub summary sup tfoot time tt u var wbr fieldset".split()
)
#: Attributes that make a browser fetch, navigate or run something.
URL_ATTRIBUTE = re.compile(
    r"""\s(?:src|srcset|href|xlink:href|action|formaction|data|poster|background|ping|cite|"""
    r"""codebase|srcdoc|lowsrc|dynsrc|manifest|style|on[a-z]+)\s*=""",
    re.IGNORECASE,
)


def sample_page(name: str) -> bytes:
    return next(p for p in SAMPLES if p.name == name).joinpath("page.html").read_bytes()


def report_tree(report: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(report)


def page_part(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    (page,) = tree.xpath("//main[@id='dc-page']")
    return page


def squeeze(text: str) -> str:
    return "".join(text.split())


def assert_inert(report: str) -> None:
    """No script but ours, no handler, no URL, no tag or attribute outside the allow lists."""
    tree = report_tree(report)
    scripts = tree.xpath("//script")
    assert len(scripts) == 1 and scripts[0].getparent().tag == "body"
    assert len(tree.xpath("//style")) == 1
    assert "url(" not in tree.xpath("//style")[0].text  # the only CSS: no url() in it
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag in ALLOWED_TAGS, el.tag
        for name, value in el.attrib.items():
            assert name in ALLOWED_ATTRIBUTES, (el.tag, name)
            assert not URL_ATTRIBUTE.match(f" {name}="), (el.tag, name)
            assert not re.match(r"\s*(?:javascript|vbscript|data):", value, re.I), (name, value)
    page = page_part(tree)
    assert not page.xpath(".//script|.//style|.//meta|.//title|.//link|.//base|.//a[@href]")
    assert tree.xpath("//meta[@http-equiv]")[0].get("http-equiv") == "Content-Security-Policy"


# ---------------------------------------------------------------------------
# Safety
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_pages_are_made_inert(name: str) -> None:
    report = explain_html(HOSTILE[name])
    assert_inert(report)
    assert "__pwned" not in "".join(
        value for el in report_tree(report).iter() if isinstance(el.tag, str)
        for key, value in el.attrib.items() if key != "title"
    )
    # The article itself is still there to read.
    page_text = squeeze(page_part(report_tree(report)).text_content())
    for paragraph in PARAGRAPHS[:2]:
        assert squeeze(paragraph) in page_text


def test_markup_written_as_text_stays_text() -> None:
    report = explain_html(HOSTILE["scripts"])
    page = page_part(report_tree(report))
    assert "<script>window.__pwned = 'text'</script>" in page.text_content()
    assert "&amp;lt;" not in report  # escaped once, not twice
    panel = report_tree(report).xpath("//*[@id='dc-text']")[0].text_content()
    assert "<script>window.__pwned = 'text'</script>" in panel


def test_the_page_cannot_take_the_reports_names() -> None:
    tree = report_tree(explain_html(HOSTILE["collisions"]))
    assert len(tree.xpath("//*[@id='dc-page']")) == 1
    assert len(tree.xpath("//*[@id='dc-removals']")) == 1
    assert len(tree.xpath("//*[@id='dc-side']")) == 1
    page = page_part(tree)
    assert not page.xpath(".//*[contains(@class, 'dc-focus')]")
    assert not page.xpath(".//*[@name]")
    assert not page.xpath(".//*[@data-dc-label='fake label']")
    assert not page.xpath(".//*[@data-dc-row]")


def test_media_become_labelled_placeholders() -> None:
    page = page_part(report_tree(explain_html(HOSTILE["resources"])))
    boxes = [el.text_content() for el in page.xpath(".//span[@class='dc-media']")]
    assert "[image: The harbour wall at low tide]" in boxes
    assert "[image: in a picture]" in boxes
    assert "[iframe: an ad frame]" in boxes
    assert any(box.startswith("[video") for box in boxes)


def test_hidden_content_is_shown_so_its_removal_can_be_seen() -> None:
    html = (
        "<html><body><article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "<div hidden>Secret promo</div><div style='display:none'>Hidden teaser</div>"
        "<details><summary>More</summary>Folded text</details></article></body></html>"
    )
    report = explain_html(html)
    page = page_part(report_tree(report))
    hidden = page.xpath(".//*[@data-dc-category='hidden']")
    assert {squeeze(el.text_content()) for el in hidden} == {"Secretpromo", "Hiddenteaser"}
    assert all(el.get("hidden") is None and el.get("style") is None for el in hidden)
    assert page.xpath(".//details")[0].get("open") is not None


def test_content_security_policy_allows_only_the_reports_own_code() -> None:
    report = explain_html(sample_page("04-indian-news"))
    tree = report_tree(report)
    head = tree.find("head")
    first, csp = head[0], head[1]
    assert first.get("charset") == "utf-8"
    assert csp.get("http-equiv") == "Content-Security-Policy"
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in csp.get("content").split(";")
        if part.strip()
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["img-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in csp.get("content")

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert policy["script-src"] == [digest(tree.xpath("//script")[0].text)]
    assert policy["style-src"] == [digest(tree.xpath("//style")[0].text)]


ATOMS = [
    "<p>", "</p>", "<div class='ad'>", "</div>", "<script>", "</script>", "<style>",
    "<img src=http://127.0.0.1:9/x onerror=alert(1)>", "<a href='javascript:alert(1)'>", "</a>",
    "<svg><use href='http://127.0.0.1:9/#x'/>", "</svg>", "<iframe src=//127.0.0.1:9>",
    "<math><mi xlink:href='javascript:1'>", "<table><tr><td background=x>", "</table>",
    "<form action=x><input formaction=x>", "<base href=http://127.0.0.1:9/>",
    "<meta http-equiv=refresh content='0;url=http://127.0.0.1:9'>", "<noscript>", "<template>",
    "<object data=x>", "<embed src=x>", "<link rel=stylesheet href=x>", "<p style='x:url(y)'>",
    "<!--", "-->", "<![CDATA[", "]]>", "<?xml ?>", "<textarea>", "<title>", "<xmp>", "&lt;",
    "<b onmouseover=alert(1)>", "<div data-dc-index='1' id='dc-page'>", "\"", "'", "<", ">", "&",
    "Advertisement", "READ: more", "Share this", PARAGRAPHS[0], PARAGRAPHS[1],
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=40))
def test_any_mix_of_hostile_markup_is_made_inert(atoms: list[str]) -> None:
    assert_inert(explain_html("".join(atoms), options=Options(articles_only=False)))


# ---------------------------------------------------------------------------
# What the report says
# ---------------------------------------------------------------------------

#: Elements a browser never shows: their removals are listed but cannot be outlined.
UNSHOWN = {"head", "script", "style", "noscript", "template", "link", "meta", "title", "base"}


def _displayable(root: lxml.html.HtmlElement, path: str) -> bool:
    el = resolve(root, path)
    assert el is not None, path
    return not any(node.tag in UNSHOWN for node in (el, *el.iterancestors()))


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_every_removal_is_outlined_where_its_element_is(sample: Path) -> None:
    data = (sample / "page.html").read_bytes()
    article = declutter.extract(data)
    tree = report_tree(explain_html(data))
    page = page_part(tree)
    from declutter._stages.decode import decode
    from declutter._stages.parse import parse

    root = parse(decode(data, 1 << 30))
    for index, removal in enumerate(article.removed):
        (row,) = tree.xpath(f"//tr[@data-dc-row='{index}']")
        marked = page.xpath(f".//*[contains(concat(' ', @data-dc-index, ' '), ' {index} ')]")
        if not removal.path:  # text of the fallback's output: no element to outline
            assert not marked and "dc-row-unshown" in row.get("class", ""), removal
            continue
        if not _displayable(root, removal.path):
            assert not marked and "dc-row-unshown" in row.get("class", ""), removal
            continue
        assert len(marked) == 1, removal
        el = marked[0]
        assert el.get("data-dc-category") in (removal.category, *(
            r.category for r in article.removed if r.path == removal.path))
        assert removal.rule in el.get("data-dc-label")
        assert f"dc-cat-{el.get('data-dc-category')}" in el.get("class").split()
        for box in el.xpath(".//span[@class='dc-media']"):  # placeholders are the report's
            box.drop_tree()
        excerpt = squeeze(removal.excerpt.rstrip("…"))
        assert excerpt[:40] in squeeze(el.text_content()), (removal, el.text_content()[:200])


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_side_panel_text_is_what_clean_returns(sample: Path) -> None:
    data = (sample / "page.html").read_bytes()
    tree = report_tree(explain_html(data))
    (panel,) = tree.xpath("//*[@id='dc-text']")
    assert panel.text_content() == declutter.clean(data)


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_kept_blocks_are_marked_and_hold_only_kept_text(sample: Path) -> None:
    data = (sample / "page.html").read_bytes()
    article = declutter.extract(data)
    page = page_part(report_tree(explain_html(data)))
    kept = page.xpath(".//*[@data-dc-kept]")
    if not article.blocks:
        assert not kept
        return
    assert kept
    clean = squeeze(" ".join(block.text for block in article.blocks))
    for el in kept:
        # Nothing removed around it, and its own text (nested kept blocks aside) is kept text.
        assert not [a for a in el.iterancestors() if a.get("data-dc-category")
                    and a.get("data-dc-partial") is None]
        for child in el.xpath(".//*[@data-dc-kept or @data-dc-category]"):
            child.drop_tree()
        assert squeeze(el.text_content()) in clean


def test_part_of_an_element_removed_is_shown_as_a_part() -> None:
    body = "<br><br>".join([PARAGRAPHS[0], "Advertisement", PARAGRAPHS[1], PARAGRAPHS[2]])
    html = f"<html><body><div><div>{body}</div><p>{PARAGRAPHS[3]}</p></div></body></html>"
    article = declutter.extract(html, options=Options(articles_only=False))
    assert [(r.category, r.excerpt) for r in article.removed] == [("ad", "Advertisement")]
    page = page_part(report_tree(explain_html(html, options=Options(articles_only=False))))
    (el,) = page.xpath(".//*[@data-dc-category='ad']")
    assert el.get("data-dc-partial") is not None
    assert el.get("data-dc-kept") is not None
    assert el.get("data-dc-label").endswith("(part)")


def test_categories_have_distinct_colours() -> None:
    assert set(COLOURS) == set(declutter.CATEGORIES)
    assert len(set(COLOURS.values())) == len(COLOURS)


def test_legend_lists_the_categories_present_with_counts() -> None:
    data = sample_page("04-indian-news")
    article = declutter.extract(data)
    tree = report_tree(explain_html(data))
    items = tree.xpath("//*[@id='dc-legend']/li[@data-dc-legend]")
    legend = {li.get("data-dc-legend"): li.text_content() for li in items}
    categories = {r.category for r in article.removed}
    assert set(legend) == categories
    for category in categories:
        count = sum(r.category == category for r in article.removed)
        assert legend[category] == f"{category} ({count})"


def test_report_is_deterministic_and_declares_utf8() -> None:
    data = sample_page("10-legacy-windows-1252")
    first, second = explain_html(data), explain_html(data)
    assert first == second
    assert first.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in first
    assert "€" in first  # decoded from windows-1252, written as text


def test_empty_and_non_article_pages_still_give_a_report() -> None:
    for html in ("", "   ", "<p>Too short.</p>"):
        report = explain_html(html)
        assert_inert(report)
        assert report_tree(report).xpath("//*[@id='dc-text']")[0].text_content() == ""
    report = explain_html(sample_page("21-nonarticle-404"))
    assert "clean() returns an empty string" in report


def test_explain_html_refuses_what_extract_refuses() -> None:
    with pytest.raises(declutter.NotHTMLError):
        explain_html(b"%PDF-1.7 binary")
    with pytest.raises(TypeError):
        explain_html(42)  # type: ignore[arg-type]


def test_paths_with_prefixed_tag_names_resolve() -> None:
    html = "<div><fb:like class='share'>Like</fb:like><p>a</p><p>b</p></div>"
    root = lxml.html.fromstring(html).getroottree().getroot()
    tree = root.getroottree()
    for el in root.iter():
        assert resolve(root, tree.getpath(el)) is el
    assert resolve(root, "/nope") is None
    assert resolve(root, "relative/path") is None
    assert resolve(root, tree.getpath(root) + "/p[3]") is None


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_explain_command_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from declutter.cli import main

    page = next(p for p in SAMPLES if p.name == "02-arc-us-newspaper") / "page.html"
    out = tmp_path / "report.html"
    assert main(["explain", str(page), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == explain_html(page.read_bytes())
    assert main(["explain", str(page), "--no-fallback"]) == 0
    assert capsys.readouterr().out == explain_html(page.read_bytes(),
                                                   options=Options(fallback=False))


def test_explain_command_reports_a_missing_page(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from declutter.cli import main

    assert main(["explain", str(tmp_path / "missing.html"), "-o", str(tmp_path / "r.html")]) == 1
    assert "missing.html" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_the_report_templates_are_shipped() -> None:
    """The style and script are data files: a wheel without them would fail at import."""
    from importlib import resources

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    for name in ("explain.css", "explain.js"):
        assert resources.files("declutter").joinpath("_report", "templates", name).is_file()
    data = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    shipped = data["tool"]["setuptools"]["package-data"]["declutter"]
    assert {"_report/templates/*.css", "_report/templates/*.js"} <= set(shipped)
