"""The public API: names, types, value semantics and error contract.

Callers pin their code to these; a change here is a breaking change and must
be deliberate, so the expected names are spelled out rather than derived.
"""

from __future__ import annotations

import dataclasses
import gzip
import importlib
import importlib.util
import io
import json
import pickle
import re
import sys
import zipfile
from importlib import resources
from pathlib import Path

import lxml.html
import pytest
from _news import EN, TITLE, p, page

import declutter
from declutter import (
    Article,
    Block,
    DeclutterError,
    InputTooLargeError,
    NotHTMLError,
    Options,
    Removal,
    RuleError,
    SiteRule,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # a dependency of declutter on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = page(p(*EN))
BODY = "\n\n".join(EN)

#: The public API by kind: adding, removing or changing the kind of a name is a decision
#: this test makes visible.
PUBLIC_API = {
    "function": {"clean", "extract", "explain_html", "extract_warc", "load_rules",
                 "parse_rules", "run_bulk", "run_warc_bulk"},
    "class": {"Article", "Block", "BulkSummary", "Comment", "DaskExecutor", "Options",
              "Removal", "RepeatedText", "RuleSet", "SiteRule", "Span", "WarcPage", "WarcReader"},
    "exception": {"DeclutterError", "InputTooLargeError", "NotHTMLError", "RuleError"},
    "constant": {"BLOCK_KINDS", "CATEGORIES", "SPAN_KINDS", "__version__"},
}
#: Each stage of the pipeline and its module: the stages in one package, and rendering
#: (kept blocks to text, Markdown, HTML) with the other output formats.
STAGES = {
    "decode": "declutter._stages.decode",
    "parse": "declutter._stages.parse",
    "prune": "declutter._stages.prune",
    "locate": "declutter._stages.locate",
    "filter": "declutter._stages.filter",
    "render": "declutter._formats.render",
}
#: Submodules meant to be imported by users; everything else is underscored.
PUBLIC_SUBMODULES = {"bulk", "cli", "cluster", "integrations", "warc"}


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

def test_all_is_stable() -> None:
    assert declutter.__all__ == sorted(declutter.__all__, key=lambda n: (not n.isupper(), n))
    assert set(declutter.__all__) == set().union(*PUBLIC_API.values())
    for kind, names in PUBLIC_API.items():
        for name in names:
            value = getattr(declutter, name)
            is_class = isinstance(value, type)
            assert {
                "function": callable(value) and not is_class,
                "class": is_class and not issubclass(value, BaseException),
                "exception": is_class and issubclass(value, BaseException),
                "constant": not callable(value),
            }[kind], (kind, name)


def test_every_name_in_all_exists() -> None:
    for name in declutter.__all__:
        assert hasattr(declutter, name), name


def test_stage_modules_are_private() -> None:
    for stage, module in STAGES.items():
        importlib.import_module(module)
        assert importlib.util.find_spec(f"declutter.{stage}") is None, stage
    import pkgutil

    public = {m.name for m in pkgutil.iter_modules(declutter.__path__)
              if not m.name.startswith("_")}
    assert public <= PUBLIC_SUBMODULES, public - PUBLIC_SUBMODULES


def test_the_package_reads_no_test_hook_and_imports_no_package_root() -> None:
    """Test-only behaviour lives in tests/ (tests/faults), and every module imports the
    stage it needs rather than the package root, whose names load the stages."""
    for path in sorted((ROOT / "declutter").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "DECLUTTER_TEST" not in source, path
        if path.name != "__init__.py" or path.parent.name != "declutter":
            roots = re.findall(r"^\s*(from declutter import .+|import declutter\s*$)", source,
                               re.MULTILINE)
            assert roots == [], path


def test_categories_and_block_kinds_are_tuples_of_str() -> None:
    for values in (declutter.CATEGORIES, declutter.BLOCK_KINDS):
        assert isinstance(values, tuple)
        assert all(isinstance(v, str) for v in values)
        assert len(set(values)) == len(values)


def test_version_matches_pyproject() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert declutter.__version__ == data["project"]["version"]


def test_py_typed_is_shipped() -> None:
    """Type checkers only read the hints of packages that ship the py.typed marker."""
    assert resources.files("declutter").joinpath("py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["declutter"]


# ---------------------------------------------------------------------------
# clean() and extract()
# ---------------------------------------------------------------------------

def _sample_pages() -> list[Path]:
    samples = ROOT / "samples"
    return sorted(samples.glob("*/page.html")) if samples.is_dir() else []


def test_clean_returns_str() -> None:
    out = declutter.clean(ARTICLE)
    assert type(out) is str
    assert out == BODY


def test_bytes_and_str_give_the_same_text() -> None:
    assert declutter.clean(ARTICLE.encode("utf-8")) == declutter.clean(ARTICLE)


@pytest.mark.parametrize("options", [None, Options(include_title=True),
                                     Options(articles_only=False), Options(keep_captions=True)])
def test_extract_text_equals_clean(options: Options | None) -> None:
    article = declutter.extract(ARTICLE, options=options)
    assert isinstance(article, Article)
    assert article.text == declutter.clean(ARTICLE, options=options)


@pytest.mark.parametrize("path", _sample_pages(), ids=lambda p: p.parent.name)
def test_extract_text_equals_clean_on_samples(path: Path) -> None:
    data = path.read_bytes()
    assert declutter.extract(data).text == declutter.clean(data)


def test_extract_fields() -> None:
    article = declutter.extract(ARTICLE, url="https://www.example.com/city/wall")
    assert article.is_article is True
    assert article.title == TITLE
    assert 0.0 <= article.confidence <= 1.0
    assert all(isinstance(b, Block) and b.kind in declutter.BLOCK_KINDS for b in article.blocks)
    assert all(isinstance(r, Removal) for r in article.removed)
    assert all(r.category in declutter.CATEGORIES for r in article.removed)
    assert [b.text for b in article.blocks] == list(EN)


# ---------------------------------------------------------------------------
# Value types
# ---------------------------------------------------------------------------

def _values() -> list[object]:
    article = declutter.extract(ARTICLE, url="https://example.com/a")
    return [
        article,
        article.blocks[0],
        article.removed[0],
        Options(drop=(".x",), keep=("//p",), include_title=True,
                site_rules=(SiteRule("example.com", drop=(".y",), body="article"),)),
        SiteRule(domain="example.com", drop=(".a",), keep=(".b",)),
    ]


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_value_types_are_frozen_dataclasses(value: object) -> None:
    assert dataclasses.is_dataclass(value)
    field = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_value_types_pickle_round_trip(value: object) -> None:
    """Values cross process boundaries (multiprocessing, Spark, Ray) unchanged."""
    copy = pickle.loads(pickle.dumps(value))
    assert copy == value
    assert hash(copy) == hash(value)


def test_article_to_dict_is_json_ready() -> None:
    article = declutter.extract(ARTICLE, url="https://example.com/a")
    data = article.to_dict()
    text = json.dumps(data)
    assert json.loads(text)["text"] == article.text
    assert isinstance(data["authors"], list)


def test_article_to_json_round_trips() -> None:
    article = declutter.extract(ARTICLE, url="https://example.com/a")
    data = json.loads(article.to_json())
    assert data == json.loads(json.dumps(article.to_dict()))
    rebuilt = Article(**{
        **data,
        "authors": tuple(data["authors"]),
        "blocks": tuple(Block(**b) for b in data["blocks"]),
        "removed": tuple(Removal(**r) for r in data["removed"]),
    })
    assert rebuilt == article
    assert json.loads(article.to_json(indent=2)) == data


def test_to_markdown() -> None:
    html = page(p(*EN[:2]) + "<h2>What happens next</h2>" + p(*EN[2:])
                + "<ul><li>granite</li><li>lime mortar</li></ul>")
    md = declutter.extract(html).to_markdown()
    assert md.startswith(f"# {TITLE}\n\n")
    assert "## What happens next" in md
    assert "- granite\n- lime mortar" in md
    for text in EN:
        assert text in md


INJECTION = page(
    p(*EN[:2])
    + "<p>The hacker wrote &lt;script&gt;alert('x')&lt;/script&gt; and "
      "&lt;img src=x onerror=alert(1)&gt; into the council's public comment form.</p>"
    + '<p>He then posted <a href="javascript:alert(1)">javascript:alert(document.cookie)</a> '
      "as a link in the same form, the city's security officer told the meeting.</p>"
    + p(*EN[2:]),
    title="<script>alert('title')</script> Harbour hack",
)


def test_to_html_escapes_page_text() -> None:
    """Text that looks like markup stays text: the HTML rendering cannot run anything."""
    article = declutter.extract(INJECTION)
    assert "<script>" in article.text  # the page's text, decoded
    out = article.to_html()
    doc = lxml.html.document_fromstring(out)
    assert doc.xpath("//script") == []
    assert doc.xpath("//img") == []
    assert doc.xpath("//a") == []
    for el in doc.iter():
        for name, value in el.attrib.items():
            assert not name.startswith("on"), (el.tag, name)
            assert "javascript:" not in value, (el.tag, name, value)
    assert "&lt;script&gt;" in out
    assert "javascript:alert(document.cookie)" in doc.text_content()


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 12, None, [ARTICLE], ["<p>x</p>"], 1.5, {"html": "x"}])
@pytest.mark.parametrize("function", [declutter.clean, declutter.extract])
def test_wrong_input_type_is_type_error(function, value) -> None:
    """A programming error is a TypeError, not a DeclutterError a crawler would swallow."""
    with pytest.raises(TypeError) as info:
        function(value)
    assert not isinstance(info.value, DeclutterError)


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", ARTICLE)
    return buffer.getvalue()


BINARIES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"
           b"\x00\x00\x00\x1f\xf3\xffa" + bytes(range(256)),
    "gzip": gzip.compress(ARTICLE.encode("utf-8")),
    "zip": _zip_bytes(),
}


@pytest.mark.parametrize("kind", sorted(BINARIES))
def test_binary_formats_are_not_html(kind: str) -> None:
    data = BINARIES[kind]
    with pytest.raises(NotHTMLError):
        declutter.clean(data)
    with pytest.raises(DeclutterError):
        declutter.extract(data)


def test_input_too_large() -> None:
    options = Options(max_bytes=1000)
    assert len(ARTICLE) > 1000
    for data in (ARTICLE, ARTICLE.encode("utf-8")):
        with pytest.raises(InputTooLargeError):
            declutter.clean(data, options=options)
        with pytest.raises(DeclutterError):
            declutter.extract(data, options=options)
    assert declutter.clean(ARTICLE, options=Options(max_bytes=len(ARTICLE.encode()) + 1)) == BODY


def test_max_bytes_counts_utf8_bytes_of_str() -> None:
    """The limit is in bytes: 600 Cyrillic letters are 1200 bytes."""
    text = "<p>" + "ж" * 600 + "</p>"
    with pytest.raises(InputTooLargeError):
        declutter.clean(text, options=Options(max_bytes=1000))


NO_ARTICLE = {
    "empty": "",
    "empty-bytes": b"",
    "spaces": "   \n\t  ",
    "bare-tags": "<html><head></head><body></body></html>",
    "section-front": page(
        "".join(f'<h3><a href="/city/{i}">Story number {i} about the harbour</a></h3>'
                f"<p>A short teaser for story {i}.</p>" for i in range(12)),
        title="City news",
    ).replace('content="article"', 'content="website"'),
    "error-page": page("<p>Sorry, the page you were looking for could not be found.</p>",
                       title="Page not found"),
}


@pytest.mark.parametrize("name", sorted(NO_ARTICLE))
def test_no_article_gives_empty_text(name: str) -> None:
    html = NO_ARTICLE[name]
    assert declutter.clean(html) == ""
    article = declutter.extract(html)
    assert article.text == ""
    assert article.is_article is False


def test_bad_css_selector_is_rule_error() -> None:
    with pytest.raises(RuleError):
        declutter.clean(ARTICLE, options=Options(drop=("[[[",)))
    with pytest.raises(RuleError):
        declutter.clean(ARTICLE, options=Options(keep=("p:::nth",)))


def test_bad_xpath_selector_is_rule_error() -> None:
    with pytest.raises(RuleError):
        declutter.clean(ARTICLE, options=Options(drop=("//p[",)))


def test_rule_error_is_value_error_and_declutter_error() -> None:
    assert issubclass(RuleError, ValueError)
    assert issubclass(RuleError, DeclutterError)
    assert issubclass(NotHTMLError, DeclutterError)
    assert issubclass(InputTooLargeError, DeclutterError)


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------

def test_options_accepts_lists_and_stores_tuples() -> None:
    rule = SiteRule(domain="example.com", drop=(".x",))
    options = Options(drop=[".a", ".b"], keep=[".c"], site_rules=[rule])
    assert options.drop == (".a", ".b")
    assert options.keep == (".c",)
    assert options.site_rules == (rule,)
    assert options == Options(drop=(".a", ".b"), keep=(".c",), site_rules=(rule,))
    hash(options)


def test_site_rule_accepts_lists_and_stores_tuples() -> None:
    """Site rules come from config files as lists; they must stay hashable like Options."""
    rule = SiteRule(domain="example.com", drop=[".x"], keep=[".y"])  # type: ignore[arg-type]
    assert rule.drop == (".x",)
    assert rule.keep == (".y",)
    hash(Options(site_rules=[rule]))


def test_options_rejects_single_string() -> None:
    with pytest.raises(TypeError):
        Options(drop=".ad")  # type: ignore[arg-type]


def test_options_replace() -> None:
    options = Options().replace(include_title=True)
    assert options.include_title is True
    assert Options().include_title is False


def test_site_rule_matches_domain_and_subdomains() -> None:
    rule = SiteRule(domain="example.com")
    assert rule.matches("example.com")
    assert rule.matches("www.example.com")
    assert rule.matches("WWW.Example.COM.")
    assert not rule.matches("notexample.com")
    assert not rule.matches("example.com.evil.net")
    assert not rule.matches(None)


def test_every_public_name_has_a_docstring() -> None:
    # The API reference is generated from these: a public name without one is a hole in
    # the documentation site.
    import inspect

    missing = []
    for name in declutter.__all__:
        value = getattr(declutter, name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        if not (inspect.getdoc(value) or "").strip():
            missing.append(name)
    assert missing == []


@pytest.mark.parametrize("page", ["README.md", "docs/library.md"])
def test_documented_removal_listing_is_the_real_output(page: str) -> None:
    """The documentation's example of removal records is what extract() gives for the
    sample it names, line for line and in order, up to its closing "…"."""
    readme = (ROOT / page).read_text(encoding="utf-8")
    code = readme[readme.index("for removal in article.removed:"):]
    start = code.index("```text\n") + len("```text\n")
    block = code[start:code.index("\n```", start)]
    shown = block.splitlines()
    assert shown[-1] == "…" and len(shown) > 5
    html = (ROOT / "samples" / "04-indian-news" / "page.html").read_bytes()
    real = [f"{r.category} {r.rule} {r.excerpt}" for r in declutter.extract(html).removed]
    assert shown[:-1] == real[: len(shown) - 1]
