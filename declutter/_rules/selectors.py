"""Selectors in rules: a user's CSS or XPath, compiled once and evaluated safely.

Site rules (from a rules file or ``Options.site_rules``) name elements by selector; the
rules file loader compiles them to fail early with the rule's name, and the prune stage
evaluates them on every page. Both go through here, so a selector means the same in
either place.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from declutter._model.errors import RuleError

Element = etree._Element


@lru_cache(maxsize=512)
def compile_selector(selector: str) -> etree.XPath:
    """A user selector as a compiled XPath.

    CSS is translated to plain XPath 1.0 (cssselect's HTML translator), not
    compiled with lxml's CSSSelector: that one calls an XPath extension
    function for ``:contains()``, which lxml does not evaluate reliably once
    the compiled selector is reused.
    """
    selector = selector.strip()
    try:
        if selector.startswith(("/", "(", "./")):
            return etree.XPath(selector)
        from cssselect import HTMLTranslator

        return etree.XPath(HTMLTranslator().css_to_xpath(selector))
    except Exception as error:  # cssselect and lxml raise several unrelated types
        raise RuleError(f"cannot compile selector {selector!r}: {error}") from None


def select(root: Element, selector: str) -> list[Element]:
    """Elements matching a user selector (CSS, or XPath when it starts with / or ()."""
    try:
        found = compile_selector(selector)(root)
    except MemoryError:
        raise
    except Exception as error:  # unknown functions, lxml's own failures: evaluation time
        raise RuleError(f"cannot evaluate selector {selector!r}: {error}") from None
    if not isinstance(found, list):
        raise RuleError(f"selector {selector!r} does not select elements")
    return [el for el in found if isinstance(el, etree._Element) and isinstance(el.tag, str)]
