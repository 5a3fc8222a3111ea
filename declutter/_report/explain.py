"""The explain report: the page as declutter saw it, with every removal outlined.

A user who doubts a result ("why did my caption vanish?") needs to see the
page, not a list of XPaths. The report is one self-contained HTML file: the
page's own markup, sanitised, with each removed element outlined in its
category's colour and labelled with the rule that fired; the kept article
blocks marked; a legend; the text ``clean()`` returns; and a table of the
removals whose rows jump to their element.

This module builds it: it finds each removal's element on a fresh parse of
the page and the elements the kept blocks came from. Two modules do the rest,
each with its own job: :mod:`declutter._report.sanitise` copies the page into a new
tree of inert parts only, and :mod:`declutter._report.page` frames it in the
document, whose style and script (``templates/`` beside this module) are allowed by
their SHA-256 hashes in a Content-Security-Policy that forbids every other
script, style sheet, inline style attribute, image, font, frame and
connection, so even markup the sanitiser missed could neither run nor fetch
anything.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from declutter._model.article import Article
from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter._report.page import document
from declutter._report.sanitise import PLACEHOLDER_TAGS, UNSHOWN, Mark, sanitised
from declutter._stages.decode import decode
from declutter._stages.dom import BLOCK_TAGS
from declutter._stages.parse import Element, parse, text_of
from declutter._stages.pipeline import run

#: One step of a ``getpath()`` path: a tag name and its optional position.
_STEP = re.compile(r"([^\[\]/]+)(?:\[(\d+)\])?")

#: Block-level tags: the elements a kept block of text is attributed to. The layout's
#: block tags, but for the page's frame (html, frames), table sections (a block names its
#: row or cell) and elements that hold no text a reader sees as a block.
_BLOCKS = BLOCK_TAGS - frozenset(
    "dialog dir frame frameset hr html legend noscript option tbody tfoot thead title".split()
)
#: Shorter kept texts must equal a whole block: a short string occurs anywhere.
_MIN_SUBSTRING = 25


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


def explain_html(
    html: str | bytes, *, url: str | None = None, options: Options | None = None
) -> str:
    """The explain report of a page: one self-contained, script-safe HTML document.

    The report shows the page as declutter parsed it, sanitised, with every
    removed element outlined in its category's colour and labelled with the
    rule that fired, the kept article blocks marked, the text ``clean()``
    returns, and a table of removals whose rows scroll to their element.
    It makes no network request when opened.
    """
    options = options or DEFAULT_OPTIONS
    return report_for(html, run(html, url, options, full=True), options)


def report_for(html: str | bytes, article: Article, options: Options | None = None) -> str:
    """The explain report of ``article``, already extracted from ``html`` with ``options``.

    What :func:`explain_html` does without running the extraction again: a bulk
    worker that has just extracted a page for its output builds the page's
    report from the same :class:`Article`, so the report's clean-text panel is
    the output's text by construction, and the page is extracted once, not twice.
    ``article`` must come from ``extract(html, options=options)`` (it carries
    the removal paths the report draws).
    """
    options = options or DEFAULT_OPTIONS
    return build_report(parse(decode(html, options.max_bytes)), article)


def build_report(root: Element | None, article: Article) -> str:
    """The report for ``article``, drawn over ``root``: a fresh parse of the same page.

    The removal paths were taken on declutter's own parse of the page; the
    parser is pinned, so the same text parses to the same tree and the paths
    resolve here.
    """
    marks: dict[Element, Mark] = {}
    if root is not None:
        tree = root.getroottree()
        cache: dict[tuple[Element, str], list[Element]] = {}
        for index, removal in enumerate(article.removed):
            el = resolve(root, removal.path, cache)
            if el is None or tree.getpath(el) != removal.path:
                continue
            mark = marks.setdefault(el, Mark())
            mark.indices.append(index)
            mark.removals.append(removal)
    text = _KeptText(article)
    partial = {el for el, mark in marks.items() if _holds_kept(el, mark, text)}
    body = _body(root)
    kept = kept_elements(body, marks.keys() - partial, partial, text) if body is not None else set()
    page, shown = sanitised(body, marks, kept, partial)
    shown_indices = {i for el in shown for i in marks[el].indices}
    return document(article, root, page, shown_indices, len(kept))


def resolve(
    root: Element,
    path: str,
    cache: dict[tuple[Element, str], list[Element]] | None = None,
) -> Element | None:
    """The element an XPath from ``getpath()`` names, found by walking the steps.

    Walking instead of evaluating the XPath: a tag such as ``fb:like`` reads
    as a namespace prefix to an XPath engine and would not resolve. ``cache``
    keeps each parent's children by tag between calls, so resolving every
    removal of a page with thousands of siblings stays linear.
    """
    steps = path.split("/")
    if len(steps) < 2 or steps[0]:
        return None
    if cache is None:
        cache = {}
    node: Element | None = None
    for step in steps[1:]:
        match = _STEP.fullmatch(step)
        if match is None:
            return None
        name, position = match.group(1), int(match.group(2) or 1)
        if node is None:
            if position != 1 or (name != "*" and root.tag != name):
                return None
            node = root
            continue
        same = cache.get((node, name))
        if same is None:
            same = [
                child for child in node
                if isinstance(child.tag, str) and (name == "*" or child.tag == name)
            ]
            cache[(node, name)] = same
        if not 1 <= position <= len(same):
            return None
        node = same[position - 1]
    return node


def _body(root: Element | None) -> Element | None:
    if root is None:
        return None
    if root.tag == "body":
        return root
    return root.find("body")


# ---------------------------------------------------------------------------
# Kept blocks
# ---------------------------------------------------------------------------


def _squeeze(text: str) -> str:
    return "".join(text.split())


class _KeptText:
    """The kept blocks' text, whitespace ignored, in the forms the matching needs."""

    def __init__(self, article: Article) -> None:
        blocks = [_squeeze(block.text) for block in article.blocks]
        self.whole = set(blocks)
        for block in article.blocks:
            self.whole.update(_squeeze(line) for line in block.text.split("\n"))
        self.whole.discard("")
        self.joined = "".join(blocks)
        #: the start of every long enough block: finds kept text inside a larger text
        self.pieces = sorted({b[:_MIN_SUBSTRING * 2] for b in blocks if len(b) >= _MIN_SUBSTRING})

    def is_kept(self, own: str) -> bool:
        """True when ``own`` (squeezed) is kept text, as a whole block or a long piece."""
        return bool(own) and (
            own in self.whole or (len(own) >= _MIN_SUBSTRING and own in self.joined)
        )

    def found_in(self, text: str) -> bool:
        return any(piece in text for piece in self.pieces)


def _holds_kept(el: Element, mark: Mark, text: _KeptText) -> bool:
    """True when only part of a removed element is removed: it also holds kept text.

    The block filter records the element a removed block of text came from;
    in div soup that element can hold kept paragraphs too ("Advertisement"
    between two ``<br><br>``). Shading it all would say the article was removed.
    """
    if not text.pieces or all(r.category == "outside" for r in mark.removals):
        return False
    return text.found_in(_squeeze(text_of(el)))


def kept_elements(
    body: Element,
    removed: Collection[Element],
    partial: Collection[Element],
    text: _KeptText,
) -> set[Element]:
    """The block elements whose own text is in the article's kept blocks.

    Kept blocks carry no element path, so they are found by their text: a
    block element outside every removed subtree counts as kept when its own
    text (without nested blocks and removed descendants, whitespace ignored)
    is a whole kept block, or a long enough piece of the kept text. This can
    miss a block whose text declutter normalised, never mark removed text.
    """
    if not text.whole:
        return set()
    skip = set(removed)
    excluded = skip | set(partial)
    kept: set[Element] = set()
    stack = [body]
    while stack:
        el = stack.pop()
        if el in skip or not isinstance(el.tag, str) or el.tag in UNSHOWN:
            continue
        if el.tag in _BLOCKS or el in partial:
            own = _squeeze(_own_text(el, excluded))
            if text.is_kept(own) or (el in partial and text.found_in(own)):
                kept.add(el)
        stack.extend(child for child in el if isinstance(child.tag, str))
    return kept


def _own_text(block: Element, removed: set[Element]) -> str:
    """The text a block element holds itself: nested blocks and removed parts left out."""
    parts = [block.text or ""]
    stack: list[tuple[Element, bool]] = [(child, False) for child in reversed(block)]
    while stack:
        el, tail_only = stack.pop()
        if tail_only:
            parts.append(el.tail or "")
            continue
        tag = el.tag
        if (not isinstance(tag, str) or el in removed or tag in _BLOCKS or tag in UNSHOWN
                or tag in PLACEHOLDER_TAGS):
            parts.append(el.tail or "")
            continue
        parts.append(el.text or "")
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    return "".join(parts)
