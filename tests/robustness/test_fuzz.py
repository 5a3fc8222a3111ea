"""Fuzzing: whatever a crawler brings back, declutter returns a result or a DeclutterError.

Five sources of input: arbitrary bytes, arbitrary text (lone surrogates
included), a soup of markup fragments chosen to reach the parser's odd corners,
generated element trees with hostile attributes, and the golden sample pages
mutated (bytes flipped, cut, spliced, duplicated). Every result is checked
with the same invariants (``_robust.check_article``). The budget is small in CI
(``CI=true``); ``python -m benchmarks.fuzz --minutes N`` runs the same
strategies for as long as wanted.
"""

from __future__ import annotations

from _robust import FUZZ, run_both
from hypothesis import given
from hypothesis import strategies as st

import declutter
from benchmarks.fuzz import hostile_text, markup_soup, mutated_samples, option_sets, page_trees


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    run_both(data)


@FUZZ
@given(hostile_text(max_size=2048))
def test_arbitrary_text(text: str) -> None:
    run_both(text)
    run_both(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(markup_soup())
def test_markup_soup(page: str) -> None:
    run_both(page)


@FUZZ
@given(page_trees(), option_sets())
def test_generated_trees(page: str, options: declutter.Options) -> None:
    run_both(page, options)


@FUZZ
@given(mutated_samples())
def test_mutated_samples(page: bytes) -> None:
    run_both(page)


@FUZZ
@given(page_trees(), st.sampled_from(["utf-8", "cp1252", "utf-16", "cp1251", "shift_jis"]))
def test_generated_trees_in_other_encodings(page: str, encoding: str) -> None:
    run_both(page.encode(encoding, "replace"))


def test_ci_runs_are_derandomized() -> None:
    """In CI every run draws the same examples (tests/conftest.py loads the "ci" profile),
    so a red build means a change in the code, never a lucky draw."""
    from _robust import IN_CI
    from hypothesis import settings

    assert settings.default.derandomize is IN_CI
    assert FUZZ.derandomize is IN_CI
    if IN_CI:
        assert settings.default.database is None
