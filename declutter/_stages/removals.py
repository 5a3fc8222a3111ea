"""The removal records: one per element (or fallback paragraph) the page lost, with the
rule that removed it, in page order. What ``extract()`` returns in ``Article.removed``."""

from __future__ import annotations

from declutter._model.article import Removal
from declutter._rules.tables import SILENT_TAGS
from declutter._rules.thresholds import (
    EXCERPT_CHARS,
    READ_AHEAD,
)
from declutter._stages.decode import clean_text
from declutter._stages.extraction import Extraction
from declutter._stages.parse import Element
from declutter._stages.paths import Paths


def removals(extraction: Extraction) -> tuple[Removal, ...]:
    page, region = extraction.page, extraction.region
    getpath = Paths(page.root)
    records: list[tuple[Element | None, Removal]] = []
    seen: set[Element] = set()

    def add(el: Element, category: str, rule: str, excerpt: str | None = None) -> None:
        text = _short(excerpt if excerpt is not None else _excerpt(el))
        records.append((el, Removal(category, rule, text, getpath(el), str(el.tag))))

    for el, (category, rule) in page.dropped.items():
        seen.add(el)
        add(el, category, rule)
    if region is not None:
        inside = set(region.elements)
        node: Element | None = region.elements[0]
        while node is not None:
            parent = node.getparent()
            if parent is None:
                break
            for sibling in parent:
                if (sibling is node or sibling in inside or sibling in seen
                        or not isinstance(sibling.tag, str) or sibling.tag in SILENT_TAGS):
                    continue
                excerpt = _excerpt(sibling)
                if excerpt:
                    add(sibling, "outside", "locate:outside", excerpt)
            node = parent
    for el in extraction.removed_tables:
        add(el, "user", "option:keep_tables")
    for item in extraction.dropped:
        if item.element is not None:
            add(item.element, item.category, item.rule, item.text)
        else:
            records.append((None, Removal(item.category, item.rule, _short(item.text), "", "")))
    targets = {el for el, _ in records}
    order: dict[Element, int] = {}
    for position, el in enumerate(page.root.iter()):
        if el in targets:
            order[el] = position
    # Records without an element (fallback paragraphs) come last, in their own order.
    records.sort(key=lambda pair: order.get(pair[0], 0) if pair[0] is not None else len(order))
    return tuple(record for _, record in records)


def _excerpt(el: Element) -> str:
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        parts.append(str(piece))
        size += len(piece)
        if size > READ_AHEAD * EXCERPT_CHARS:
            break
    return _short(" ".join("".join(parts).split()))


def _short(text: str) -> str:
    """At most EXCERPT_CHARS of a text, and none of the control characters a tree the
    caller parsed may hold (our own parse removes them before any stage runs)."""
    text = clean_text(text)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"
