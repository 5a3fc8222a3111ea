"""The class-name rules: the expression dispatched by first letter finds what the plain
union of the rules finds (same place, same rule) on every name."""

from __future__ import annotations

import random
import re

from declutter._rules.names import (
    _BOUND_L,
    _BOUND_R,
    _CLASS_RE,
    _NOT_NAMING,
    _STATE,
    CLASS_RULES,
    _name_form,
    classify_names,
)


def _plain_union() -> re.Pattern[str]:
    groups = []
    for index, (_, _, alternatives) in enumerate(CLASS_RULES):
        if alternatives.startswith("token:"):
            body = rf"(?<!\S){alternatives[len('token:'):]}(?!\S)"
        else:
            body = rf"{_BOUND_L}(?:{alternatives}){_BOUND_R}"
        groups.append(f"(?P<r{index}>{body})")
    return re.compile(rf"{_BOUND_L}{_NOT_NAMING}(?:{'|'.join(groups)}){_STATE}")


def _found(match: re.Match[str] | None) -> tuple[int, int, int] | None:
    if match is None or match.lastgroup is None:
        return None
    return match.start(), match.end(), int(match.lastgroup[1:].partition("_")[0])


def test_dispatch_finds_what_the_union_finds() -> None:
    plain = _plain_union()
    # Names built from the rules' own words, glued and separated every way class names
    # are, with the words that make a name a state or a negation.
    words = re.findall(r"[a-z0-9]+", " ".join(rule[2] for rule in CLASS_RULES))
    words += ["not", "no", "has", "with", "without", "open", "collapsed", "x", "9", "main"]
    glue = ["-", "_", " ", "", "--", "  "]
    rng = random.Random(20261207)
    names = [
        "".join(rng.choice(words) + rng.choice(glue) for _ in range(rng.randint(1, 5)))
        for _ in range(20000)
    ]
    names += ["articleBody adSlot", "has-sidebar", "comments-open", "hidden-xs", "hidden",
              "paywall-fade", "qc-cmp2-container", "rollover-big-block", "a2a_kit"]
    for name in names:
        lowered = _name_form(name)
        assert _found(_CLASS_RE.search(lowered)) == _found(plain.search(lowered)), name


def test_rule_names_come_through() -> None:
    assert classify_names("sidebar") == ("sidebar", "class:sidebar")
    assert classify_names("d-none") == ("hidden", "class:hidden")
    assert classify_names("article-body") is None


def test_word_tests_before_searches_find_the_same() -> None:
    """The substring tests that spare most names the body and embed searches, and the
    lower-case shortcut of the name form, never change a verdict."""
    from declutter._rules import names as _rules

    words = re.findall(r"[a-z0-9]+", _rules.BODY_CLASSES + _rules._EMBED_RE.pattern)
    words += ["Article", "Body", "postContent", "Tweet", "share", "sidebar", "É", "123"]
    rng = random.Random(7)
    union = _plain_union()
    for _ in range(20000):
        name = "".join(rng.choice(words) + rng.choice(["-", "_", " ", ""])
                       for _ in range(rng.randint(1, 4)))
        lowered = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()
        assert _rules._name_form(name) == lowered
        body = _rules._BODY_RE.search(lowered) is not None
        embed = _rules._EMBED_RE.search(lowered) is not None and "shar" not in lowered
        plain = None if body or embed else _found(union.search(lowered))
        found = classify_names(name)
        if plain is None:
            assert found is None, name
        else:
            assert found == CLASS_RULES[plain[2]][:2], name
