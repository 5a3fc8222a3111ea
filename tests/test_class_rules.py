"""The class-name rules: the expression dispatched by first letter finds what the plain
union of the rules finds (same place, same rule) on every name."""

from __future__ import annotations

import random
import re

from declutter._rules import (
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
