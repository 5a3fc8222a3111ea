"""The rules-file loader: the documented format, its errors, and its effect on pages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import declutter
from declutter import Options, RuleError, RuleSet, SiteRule, load_rules, parse_rules

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"

PAGE = """<html><head><title>Harbor story</title></head><body>
<article>
<h1>Harbor story</h1>
<p>The first paragraph of the story is long enough to be body text, with clauses, commas,
and a full stop at the end of its second sentence. It goes on a little more.</p>
<div class="zq7"><p>The marina note sits in the middle of the story and is written in long
sentences so that no built-in rule could tell it from the article text around it.</p></div>
<p>The second paragraph closes the story with another long sentence about the harbour, the
ferry and the council, so the page has enough text to be an article.</p>
<p>A third paragraph is here so the body is clearly long enough for the locator to be sure
about it, with yet more words about the town and its people.</p>
</article></body></html>"""

TOML_RULES = """
version = 1
drop = [".everywhere"]
keep = ["figure.keep"]

[[sites]]
domain = "*.Harbor.example."
drop = [".zq7", "//div[@data-ad]"]
keep = "table.data"
body = "article"

[[sites]]
domains = ["a.example", "b.example"]
drop = [".box"]
"""

EXPECTED = RuleSet(
    drop=(".everywhere",),
    keep=("figure.keep",),
    sites=(
        SiteRule("harbor.example", (".zq7", "//div[@data-ad]"), ("table.data",), "article"),
        SiteRule("a.example", (".box",)),
        SiteRule("b.example", (".box",)),
    ),
)


def test_toml_yaml_and_json_describe_the_same_rules(tmp_path: Path) -> None:
    toml_file = tmp_path / "rules.toml"
    toml_file.write_text(TOML_RULES, encoding="utf-8")
    yaml_file = tmp_path / "rules.yml"
    yaml_file.write_text(
        """
version: 1
drop: [.everywhere]
keep: [figure.keep]
sites:
  - domain: "*.Harbor.example."
    drop: [.zq7, "//div[@data-ad]"]
    keep: table.data
    body: article
  - domains: [a.example, b.example]
    drop: [.box]
""",
        encoding="utf-8",
    )
    json_file = tmp_path / "rules.json"
    json_file.write_text(
        '{"drop": [".everywhere"], "keep": ["figure.keep"], "sites": ['
        '{"domain": "*.Harbor.example.", "drop": [".zq7", "//div[@data-ad]"],'
        ' "keep": ["table.data"], "body": "article"},'
        '{"domains": ["a.example", "b.example"], "drop": [".box"]}]}',
        encoding="utf-8",
    )
    assert load_rules(toml_file) == EXPECTED
    assert load_rules(yaml_file) == EXPECTED
    assert load_rules(json_file) == EXPECTED


def test_every_example_in_the_docs_loads() -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```(toml|yaml)\n(.*?)```", text, re.DOTALL)
    assert {kind for kind, _ in blocks} == {"toml", "yaml"}
    loaded = [parse_rules(body, fmt=kind, source=f"docs ({kind})") for kind, body in blocks]
    assert loaded[0] == loaded[1]  # the YAML example says what the TOML one says
    assert loaded[0].sites[0].domain == "example.com"


def test_an_empty_file_is_no_rules() -> None:
    assert parse_rules("") == RuleSet()
    assert parse_rules("# nothing yet\n", fmt="yaml") == RuleSet()


def test_rules_apply_to_their_site_only() -> None:
    rules = parse_rules(TOML_RULES)
    options = rules.apply(Options(fallback=False))
    assert "marina note" in declutter.clean(PAGE, url="https://other.example/x",
                                                options=options)
    for url in ("https://harbor.example/a", "https://www.harbor.example/b"):
        text = declutter.clean(PAGE, url=url, options=options)
        assert "marina note" not in text
        assert "first paragraph" in text


def test_apply_adds_after_existing_selectors_and_sets_add_up() -> None:
    base = Options(drop=(".mine",), keep=(".kept",), site_rules=(SiteRule("x.example", (".y",)),))
    rules = parse_rules(TOML_RULES)
    options = rules.apply(base)
    assert options.drop == (".mine", ".everywhere")
    assert options.keep == (".kept", "figure.keep")
    assert options.site_rules[0].domain == "x.example"
    assert options.site_rules[1:] == EXPECTED.sites
    combined = rules + parse_rules('drop = [".more"]')
    assert combined.drop == (".everywhere", ".more")
    assert rules.apply() == rules.apply(declutter.Options())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dorp = ['.x']", "unknown key dorp"),
        ("[[sites]]\ndomain = 'x.example'\ndorp = ['.x']", "unknown key sites[0].dorp"),
        ("drop = [3]", "drop[0] must be a non-empty selector string"),
        ("drop = ['  ']", "drop[0] must be a non-empty selector string"),
        ("drop = {a = 1}", "drop must be a list"),
        ("drop = ['div[']", "cannot compile selector 'div['"),
        ("keep = ['(count(//p))']", "does not select elements"),
        ("drop = ['//svg:path']", "cannot evaluate selector '//svg:path'"),
        ("[[sites]]\ndomain = 'x.example'\nbody = 'p:nth-child('", "site x.example body"),
        ("[[sites]]\ndomain = 'https://x.example/'\ndrop = ['.a']", "not a URL"),
        ("[[sites]]\ndomain = 'x example'\ndrop = ['.a']", "is not a host name"),
        ("[[sites]]\ndomain = 3\ndrop = ['.a']", "domain must be a string"),
        ("[[sites]]\ndrop = ['.a']", "needs exactly one of 'domain' or 'domains'"),
        ("[[sites]]\ndomain = 'a.example'\ndomains = ['b.example']\ndrop = ['.a']",
         "needs exactly one"),
        ("[[sites]]\ndomains = []\ndrop = ['.a']", "non-empty list"),
        ("[[sites]]\ndomain = 'x.example'", "has no drop, keep or body"),
        ("[[sites]]\ndomain = 'x.example'\nbody = ['a', 'b']", "body must be one selector"),
        ("sites = 'x.example'", "'sites' must be a list of tables"),
        ("[sites]\ndomain = 'x.example'", "'sites' must be a list of tables"),
        ("version = 2", "version 2 is not supported"),
        ("drop = [", "invalid TOML"),
    ],
)
def test_mistakes_are_rule_errors_naming_file_and_entry(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text, source="my-rules.toml")
    assert str(caught.value).startswith("my-rules.toml: ")
    assert message in str(caught.value)


def test_yaml_and_json_syntax_errors(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="invalid YAML"):
        parse_rules("drop: [unclosed", fmt="yaml")
    with pytest.raises(RuleError, match="top level must be a table"):
        parse_rules("- a\n- b\n", fmt="yaml")
    with pytest.raises(RuleError, match="invalid JSON"):
        parse_rules("{", fmt="json")
    with pytest.raises(RuleError, match="unknown rules format"):
        parse_rules("", fmt="ini")


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such rules file"):
        load_rules(tmp_path / "missing.toml")
    other = tmp_path / "rules.ini"
    other.write_text("drop = []", encoding="utf-8")
    with pytest.raises(RuleError, match=r"unknown rules file type '\.ini'"):
        load_rules(other)
    latin = tmp_path / "latin.toml"
    latin.write_bytes("drop = ['.caf\xe9']".encode("latin-1"))
    with pytest.raises(RuleError, match="not UTF-8"):
        load_rules(latin)
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(RuleError, match="cannot read rules file"):
        load_rules(folder)


def test_yaml_without_pyyaml_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes "import yaml" fail
    with pytest.raises(RuleError, match=r"declutter\[yaml\]"):
        parse_rules("drop: []", fmt="yaml", source="r.yaml")


def test_tomli_is_used_where_tomllib_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Python 3.10 has no tomllib; the loader then imports tomli (same API).
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", tomllib)
    assert parse_rules("drop = ['.x']").drop == (".x",)


def test_selector_check_can_be_skipped() -> None:
    rules = parse_rules("drop = ['div[']", check_selectors=False)
    assert rules.drop == ("div[",)
