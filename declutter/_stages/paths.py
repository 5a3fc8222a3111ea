"""Element paths for the records of a page, in time linear in the page.

``Block.path`` and ``Removal.path`` are the XPaths lxml's ``getpath()`` gives.
libxml2 computes each one by counting the element's preceding siblings of the
same name, so asking it for every one of N sibling paragraphs costs N²/2
steps: minutes on a flat page of 100,000 items. :class:`Paths` numbers the
children of each parent once instead and builds each path from its parent's,
giving the same strings as ``getpath()``.
"""

from __future__ import annotations

from declutter._stages.parse import Element


class Paths:
    """``tree.getpath(el)`` for the elements of one tree, each parent's children numbered
    once. Elements of a namespace (a caller's XML tree) are left to lxml: their step
    depends on prefixes, and HTML pages have none."""

    def __init__(self, root: Element) -> None:
        self._getpath = root.getroottree().getpath
        self._paths: dict[Element, str] = {}
        self._numbered: set[Element] = set()

    def __call__(self, el: Element) -> str:
        found = self._paths.get(el)
        if found is not None:
            return found
        # The ancestors not yet numbered, nearest first; then numbered from the top down,
        # iteratively (a page may nest thousands deep).
        chain = []
        node: Element | None = el
        while node is not None and node not in self._paths:
            chain.append(node)
            node = node.getparent()
        for child in reversed(chain):
            if child in self._paths:
                continue
            parent = child.getparent()
            if parent is None or not _plain(child.tag):
                self._paths[child] = self._getpath(child)
            elif parent not in self._numbered:
                self._number(parent)
            if child not in self._paths:  # a sibling's namespace kept it from numbering
                self._paths[child] = self._getpath(child)
        return self._paths[el]

    def _number(self, parent: Element) -> None:
        """The paths of all element children of ``parent``, as libxml2 writes them: the
        tag, with a 1-based position among the siblings of that tag when there are any."""
        self._numbered.add(parent)
        children = [child for child in parent if isinstance(child.tag, str)]
        if not all(_plain(child.tag) for child in children):
            return
        base = self._paths[parent]
        totals: dict[str, int] = {}
        for child in children:
            totals[child.tag] = totals.get(child.tag, 0) + 1
        seen: dict[str, int] = {}
        for child in children:
            tag = child.tag
            if totals[tag] == 1:
                self._paths[child] = f"{base}/{tag}"
            else:
                seen[tag] = position = seen.get(tag, 0) + 1
                self._paths[child] = f"{base}/{tag}[{position}]"


def _plain(tag: object) -> bool:
    """An element's tag without a namespace (comments and processing instructions are not
    elements: their tag is a function)."""
    return isinstance(tag, str) and not tag.startswith("{")
