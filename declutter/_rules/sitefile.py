"""Rules files: per-site selectors kept in a TOML (or YAML, or JSON) file.

Site rules change far more often than code: a newsletter box gets a new class
name, a site moves its body into a new wrapper. Keeping them in a small file
the user owns lets them be fixed without a release, reviewed in a diff and
shared between the command line (``--rules FILE``) and Python code. The format
is documented in ``docs/rules.md``; in short::

    version = 1                      # optional; the only version so far
    drop = [".promo-strip"]          # applied to every page
    keep = []

    [[sites]]
    domain = "example.com"           # also matches www.example.com, news.example.com
    drop = [".newsletter-box", "//div[@data-ad]"]
    keep = ["figure.chart"]
    body = "div.story-body"          # optional: the element holding the article

    [[sites.repeated]]               # a block text the site repeats (``declutter learn``)
    text = "The Daily Planet: news you can trust since 1938."
    pages = 7                        # evidence, for the reviewer: pages, share, example
    share = 0.875
    example = "https://www.example.com/a/story"

Every mistake is reported as a :class:`~declutter.RuleError` naming the file
and the entry, and every selector is compiled when the file is loaded, so a
typo fails at start-up instead of on page 30,000 of a bulk run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from declutter._model.errors import RuleError, error_message
from declutter._model.options import DEFAULT_OPTIONS, Options, RepeatedText, SiteRule
from declutter._rules.selectors import compile_selector, select

#: Rules-file versions this release reads.
SUPPORTED_VERSIONS = (1,)

_TOP_KEYS = frozenset({"version", "drop", "keep", "sites"})
_SITE_KEYS = frozenset({"domain", "domains", "drop", "keep", "body", "repeated"})
_REPEATED_KEYS = frozenset({"text", "pages", "share", "example"})
_SUFFIX_FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}

#: The smallest page every selector is run on: some mistakes (an undefined namespace
#: prefix or variable, an XPath that counts instead of selecting) show only when run.
_PROBE_PAGE = "<html><body><article><p>probe</p></article></body></html>"


@dataclass(frozen=True)
class RuleSet:
    """The rules read from one or more files: global selectors and site rules.

    A value (not a live config) so it can be merged, compared and pickled to
    worker processes along with :class:`~declutter.Options`.
    """

    #: Selectors removed on every page.
    drop: tuple[str, ...] = ()
    #: Selectors kept on every page, even when a built-in rule would remove them.
    keep: tuple[str, ...] = ()
    #: One rule per domain (a ``domains`` list in the file becomes several rules).
    sites: tuple[SiteRule, ...] = ()

    def __add__(self, other: RuleSet) -> RuleSet:
        """Both rule sets; ``other``'s rules come after ours (load order is kept)."""
        if not isinstance(other, RuleSet):
            return NotImplemented
        return RuleSet(self.drop + other.drop, self.keep + other.keep, self.sites + other.sites)

    def apply(self, options: Options | None = None) -> Options:
        """``options`` with these rules added after the selectors it already has."""
        base = options or DEFAULT_OPTIONS
        return base.replace(
            drop=base.drop + self.drop,
            keep=base.keep + self.keep,
            site_rules=base.site_rules + self.sites,
        )


def load_rules(path: str | os.PathLike[str], *, check_selectors: bool = True) -> RuleSet:
    """Read a rules file; its type comes from the suffix (.toml, .yaml/.yml, .json).

    Raises :class:`~declutter.RuleError` for a missing or unreadable file, bad
    syntax, unknown keys, wrong types and selectors that do not compile.
    """
    file = Path(path)
    fmt = _SUFFIX_FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise RuleError(
            f"{file}: unknown rules file type {file.suffix or '(no suffix)'!r}; "
            "name it .toml, .yaml, .yml or .json"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleError(f"{file}: no such rules file") from None
    except UnicodeDecodeError as error:
        raise RuleError(f"{file}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise RuleError(f"{file}: cannot read rules file: {error_message(error)}") from None
    return parse_rules(text, fmt=fmt, source=str(file), check_selectors=check_selectors)


def parse_rules(
    text: str, *, fmt: str = "toml", source: str = "<rules>", check_selectors: bool = True
) -> RuleSet:
    """Rules from text in ``fmt`` ("toml", "yaml" or "json"); ``source`` names it in errors."""
    data = _load(text, fmt, source)
    rules = _build(data, source)
    if check_selectors:
        validate_selectors(rules, source)
    return rules


def _load(text: str, fmt: str, source: str) -> Any:
    if fmt == "toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
            import tomli as tomllib  # type: ignore[import-not-found,no-redef]
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise RuleError(f"{source}: invalid TOML: {error}") from None
    if fmt == "yaml":
        try:
            import yaml
        except ModuleNotFoundError:
            raise RuleError(
                f"{source}: reading YAML rules needs PyYAML (pip install 'declutter[yaml]'), "
                "or write the rules in TOML"
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise RuleError(f"{source}: invalid YAML: {error}") from None
        return {} if data is None else data  # an empty or all-comment file
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise RuleError(f"{source}: invalid JSON: {error}") from None
    raise RuleError(f"{source}: unknown rules format {fmt!r}; use toml, yaml or json")


def _build(data: Any, source: str) -> RuleSet:
    if not isinstance(data, Mapping):
        raise RuleError(f"{source}: the top level must be a table of keys, not {_kind(data)}")
    _no_unknown_keys(data, _TOP_KEYS, source, "")
    version = data.get("version", 1)
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        raise RuleError(
            f"{source}: version {version!r} is not supported (this declutter reads version 1)"
        )
    drop = _selectors(data.get("drop", ()), source, "drop")
    keep = _selectors(data.get("keep", ()), source, "keep")
    sites_data = data.get("sites", ())
    if isinstance(sites_data, Mapping) or not isinstance(sites_data, Sequence) or isinstance(
        sites_data, str
    ):
        raise RuleError(
            f"{source}: 'sites' must be a list of tables ([[sites]] in TOML), "
            f"not {_kind(sites_data)}"
        )
    sites: list[SiteRule] = []
    for index, entry in enumerate(sites_data):
        sites.extend(_site(entry, source, f"sites[{index}]"))
    return RuleSet(drop, keep, tuple(sites))


def _site(entry: Any, source: str, where: str) -> list[SiteRule]:
    if not isinstance(entry, Mapping):
        raise RuleError(f"{source}: {where} must be a table, not {_kind(entry)}")
    _no_unknown_keys(entry, _SITE_KEYS, source, where + ".")
    if ("domain" in entry) == ("domains" in entry):
        raise RuleError(f"{source}: {where} needs exactly one of 'domain' or 'domains'")
    if "domain" in entry:
        raw_domains: Any = [entry["domain"]]
        if not isinstance(entry["domain"], str):
            raise RuleError(f"{source}: {where}.domain must be a string")
    else:
        raw_domains = entry["domains"]
        if isinstance(raw_domains, str) or not isinstance(raw_domains, Sequence) or not raw_domains:
            raise RuleError(f"{source}: {where}.domains must be a non-empty list of strings")
    domains = [_domain(value, source, where) for value in raw_domains]
    where = f"{where} ({domains[0]})"
    drop = _selectors(entry.get("drop", ()), source, f"{where}.drop")
    keep = _selectors(entry.get("keep", ()), source, f"{where}.keep")
    body = entry.get("body")
    if body is not None and (not isinstance(body, str) or not body.strip()):
        raise RuleError(f"{source}: {where}.body must be one selector string")
    repeated = _repeated(entry.get("repeated", ()), source, f"{where}.repeated")
    if not (drop or keep or body or repeated):
        raise RuleError(f"{source}: {where} has no drop, keep or body selectors "
                        "and no repeated texts")
    return [SiteRule(domain, drop, keep, body.strip() if body else None, repeated)
            for domain in domains]


def _repeated(value: Any, source: str, where: str) -> tuple[RepeatedText, ...]:
    """The learned block texts of a site; only ``text`` is needed, the rest is evidence."""
    if isinstance(value, Mapping | str) or not isinstance(value, Sequence):
        raise RuleError(f"{source}: {where} must be a list of tables ([[sites.repeated]] "
                        f"in TOML), not {_kind(value)}")
    found: list[RepeatedText] = []
    for index, item in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            raise RuleError(f"{source}: {here} must be a table with a 'text', not {_kind(item)}")
        _no_unknown_keys(item, _REPEATED_KEYS, source, here + ".")
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            raise RuleError(f"{source}: {here}.text must be a non-empty string")
        pages = item.get("pages", 0)
        if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
            raise RuleError(f"{source}: {here}.pages must be a whole number of pages")
        share = item.get("share", 0.0)
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise RuleError(f"{source}: {here}.share must be a number from 0 to 1")
        example = item.get("example", "")
        if not isinstance(example, str):
            raise RuleError(f"{source}: {here}.example must be a string")
        found.append(RepeatedText(text, pages, float(share), example))
    return tuple(found)


def _domain(value: Any, source: str, where: str) -> str:
    if not isinstance(value, str):
        raise RuleError(f"{source}: {where}: domain {value!r} must be a string")
    domain = value.strip().lower().rstrip(".")
    if domain.startswith("*."):
        domain = domain[2:]  # subdomains always match; accept the familiar wildcard spelling
    domain = domain.lstrip(".")
    if "://" in domain or "/" in domain:
        raise RuleError(
            f"{source}: {where}: domain {value!r} must be a host name like 'example.com', "
            "not a URL"
        )
    if not domain or any(char in domain for char in " \t\n:@*?#") or ".." in domain:
        raise RuleError(f"{source}: {where}: {value!r} is not a host name like 'example.com'")
    return domain


def _selectors(value: Any, source: str, where: str) -> tuple[str, ...]:
    # A single string is a common slip in hand-written files; it means one selector.
    items = [value] if isinstance(value, str) else value
    if isinstance(items, Mapping) or not isinstance(items, Sequence):
        raise RuleError(f"{source}: {where} must be a list of selector strings")
    selectors: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise RuleError(
                f"{source}: {where}[{index}] must be a non-empty selector string, not {item!r}"
            )
        selectors.append(item.strip())
    return tuple(selectors)


def _no_unknown_keys(data: Mapping[Any, Any], known: frozenset[str], source: str,
                     prefix: str) -> None:
    for key in data:
        if key not in known:
            hint = ", ".join(sorted(known))
            raise RuleError(f"{source}: unknown key {prefix}{key!s} (known keys: {hint})")


def validate_selectors(rules: RuleSet, source: str) -> None:
    """Compile every selector once with the prune stage's compiler, and run it on a
    tiny page, so a mistake fails now, naming the file and the entry."""
    probe = etree.fromstring(_PROBE_PAGE)
    checked: set[str] = set()
    named: list[tuple[str, str]] = [("drop", s) for s in rules.drop]
    named += [("keep", s) for s in rules.keep]
    for rule in rules.sites:
        named += [(f"site {rule.domain} drop", s) for s in rule.drop]
        named += [(f"site {rule.domain} keep", s) for s in rule.keep]
        if rule.body:
            named.append((f"site {rule.domain} body", rule.body))
    for where, selector in named:
        if selector in checked:
            continue
        checked.add(selector)
        try:
            compile_selector(selector)  # a syntax error, said as such
            select(probe, selector)  # what shows only when run
        except RuleError as error:
            raise RuleError(f"{source}: {where}: {error}") from None


def rules_toml(rules: RuleSet, *, comment: str = "") -> str:
    """``rules`` as a TOML rules file that :func:`load_rules` reads back to an equal RuleSet.

    Written for review as much as for reading back: one ``[[sites]]`` table per
    domain, one ``[[sites.repeated]]`` table per learned text with its evidence,
    and ``comment`` (lines of prose) on top. Strings are TOML basic strings, written
    with JSON's escapes, which TOML shares.
    """
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines.append("version = 1")
    for name, values in (("drop", rules.drop), ("keep", rules.keep)):
        if values:
            lines.append(f"{name} = {_toml_list(values)}")
    for rule in rules.sites:
        lines += ["", "[[sites]]", f"domain = {_toml_string(rule.domain)}"]
        for name, values in (("drop", rule.drop), ("keep", rule.keep)):
            if values:
                lines.append(f"{name} = {_toml_list(values)}")
        if rule.body:
            lines.append(f"body = {_toml_string(rule.body)}")
        for item in rule.repeated:
            lines += ["", "[[sites.repeated]]", f"text = {_toml_string(item.text)}",
                      f"pages = {item.pages}", f"share = {item.share!r}"]
            if item.example:
                lines.append(f"example = {_toml_string(item.example)}")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    # JSON leaves DEL as it is; TOML wants it escaped like the other controls.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_string(value) for value in values) + "]"


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Sequence):
        return "a list"
    return f"a {type(value).__name__}"


__all__ = ["SUPPORTED_VERSIONS", "RuleSet", "load_rules", "parse_rules", "rules_toml"]
