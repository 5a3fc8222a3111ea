"""The rule tables as data: no label listed twice, none shadowed by another category's,
and no removal category that no rule emits.

A label listed in two categories is silently read as the first one's, and a duplicate
hides an edit made to only one copy; a category no rule emits is a promise the removal
records never keep.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import declutter
from declutter._rules.tables import LEXICON_CATEGORIES, normalize_label

PACKAGE = Path(declutter.__file__).resolve().parent


def _entries() -> list[tuple[str, int, str, str]]:
    """(category, line number, kind, key) of every lexicon entry, in file order."""
    found = []
    for category in LEXICON_CATEGORIES:
        lexicons = resources.files("declutter").joinpath("_rules", "lexicons")
        text = lexicons.joinpath(f"{category}.txt").read_text("utf-8")
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.endswith("…"):  # an opening: compared as written
                found.append((category, number, "opening", " ".join(line.lower().split())))
            else:  # a whole-block label: compared as the filter compares blocks
                found.append((category, number, "label", normalize_label(line)))
    return found


def test_no_label_is_listed_twice_in_a_lexicon() -> None:
    seen: dict[tuple[str, str, str], int] = {}
    twice = []
    for category, number, kind, key in _entries():
        first = seen.setdefault((category, kind, key), number)
        if first != number:
            twice.append(f"{category}.txt:{number} repeats line {first}: {key!r}")
    assert twice == []


def test_no_label_is_shadowed_by_another_category() -> None:
    owner: dict[tuple[str, str], str] = {}
    shadowed = []
    for category, number, kind, key in _entries():
        first = owner.setdefault((kind, key), category)
        if first != category:
            shadowed.append(f"{category}.txt:{number} {key!r} is read as {first}")
    assert shadowed == []


def test_every_category_is_emitted_by_some_rule() -> None:
    # A category is emitted where a module other than the result type and the report's
    # colours names it in a rule: a (category, rule) pair, a lexicon file, or a record.
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("_article.py", "_report_page.py", "_sanitise.py")
    )
    lexicons = set(LEXICON_CATEGORIES)
    silent = [
        category for category in declutter.CATEGORIES
        if category not in lexicons and not re.search(rf'"{category}"', sources)
    ]
    assert silent == []


def test_the_rule_tables_know_no_category_outside_the_list() -> None:
    from declutter._rules.tables import (
        CLASS_RULES,
        LINE_ANYWHERE,
        LINE_OPENINGS,
        ROLE_RULES,
        TAG_RULES,
    )

    used = {category for category, _, _ in (*CLASS_RULES, *LINE_OPENINGS, *LINE_ANYWHERE)}
    used |= set(TAG_RULES.values()) | set(ROLE_RULES.values()) | set(LEXICON_CATEGORIES)
    assert used - set(declutter.CATEGORIES) == set()
