"""Stage 2, parse: text to an lxml tree, safely.

The parser settings are pinned: no network, no DTD or external entity
loading, comments and processing instructions dropped, and libxml2's default
limits kept (``huge_tree`` off). Any parser failure becomes ``None`` (no
article), never an lxml exception.

libxml2 enforces its limits by stopping: past 256 open elements, or on a
text node over 10 MB, it halts and everything after that point is lost. Such
pages (generated markup nested 100,000 deep, a data dump in one ``<pre>``)
take a second path: the markup is flattened below a depth the later stages
can walk, the parser's size limits are lifted (the input is already bounded
by ``Options.max_bytes``), and the tree is checked once more.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

from lxml import etree, html

_local = threading.local()

#: No element of a parsed page is deeper than this (libxml2's own default limit),
#: so the stages that walk the tree recursively stay far from Python's recursion limit.
MAX_DEPTH = 256
#: Depth at which the flattener stops opening elements; the margin covers elements
#: the parser adds by itself (html, body, an implied p) and rules it applies that the
#: flattener's simple stack does not know.
_FLAT_DEPTH = 200
#: Inline elements stop opening earlier, leaving room for the paragraphs that
#: ``<b>`` or ``<span>`` nested thousands deep may still hold.
_INLINE_HEADROOM = 40


def _parser(huge: bool = False) -> html.HTMLParser:
    # lxml parsers keep per-parse state; one per thread keeps clean() thread-safe.
    name = "huge_parser" if huge else "parser"
    parser = getattr(_local, name, None)
    if parser is None:
        parser = html.HTMLParser(
            encoding="utf-8",
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            recover=True,
            huge_tree=huge,
            default_doctype=False,
            collect_ids=False,
        )
        setattr(_local, name, parser)
    return parser


def parse(text: str) -> html.HtmlElement | None:
    """The document's root element, or None when there is no document to speak of."""
    if not text.strip():
        return None
    if _LONG_TAG_RE.search(text):
        text = _LONG_TAG_RE.sub(_limit_attributes, text)
    root, limited = _attempt(text.encode("utf-8", "replace"), _parser())
    if limited:
        root, _ = _attempt(_flatten(text, _FLAT_DEPTH).encode("utf-8", "replace"), _parser(True))
        if root is not None:
            _cap_depth(root, MAX_DEPTH)
    if root is None or not isinstance(root.tag, str):
        return None
    return root


def _attempt(data: bytes, parser: html.HTMLParser) -> tuple[html.HtmlElement | None, bool]:
    """Parse; also say whether libxml2 stopped at one of its resource limits."""
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError, TypeError, MemoryError):
        root = None
    error = parser.error_log.last_error
    limited = error is not None and error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT
    return root, limited


def _cap_depth(root: html.HtmlElement, limit: int) -> None:
    """Collapse every element at depth ``limit`` into its text, should the parser nest deeper."""
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth < limit:
            stack.extend((child, depth + 1) for child in el)
        elif len(el):
            etree.strip_elements(el, "script", "style", with_tail=False)
            etree.strip_tags(el, "*")


# --------------------------------------------------------------------------- attributes

#: libxml2 compares each attribute of a tag with all the ones before it, so a tag with
#: 40,000 attributes takes 40 s to parse. Real elements have a few dozen at most.
MAX_ATTRIBUTES = 64
#: Kept beyond the limit (their first occurrence): the ones the stages read.
_MEANINGFUL = frozenset({
    "class", "id", "style", "hidden", "role", "aria-hidden", "itemprop", "itemtype",
    "itemscope", "property", "name", "content", "rel", "href", "type", "lang", "datetime",
    "colspan", "rowspan", "charset", "http-equiv",
})
#: A start tag of at least 128 parts (characters, or quoted values) up to its ">":
#: the shortest that can hold more than MAX_ATTRIBUTES attributes. Cheap to look for
#: (milliseconds per megabyte) and linear, since a match resumes the search after it.
#: Quoted values may not hold "<" or ">": an apostrophe in an unquoted value ("alt=Don't")
#: must not open a "value" that runs on over the tags and text that follow.
_LONG_TAG_RE = re.compile(r"""<([A-Za-z][^\t\n\f\r />]*)(?:[^<>"']|"[^"<>]*"|'[^'<>]*'){128,}""")
_ATTRIBUTE_RE = re.compile(
    r"""([^\t\n\f\r "'>/=]+)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]*))?"""
)


def _limit_attributes(match: re.Match[str]) -> str:
    """The start tag with its first MAX_ATTRIBUTES attributes and the meaningful ones."""
    tag = match.group()
    name = match.group(1)
    kept: list[str] = []
    seen: set[str] = set()
    count = 0
    for count, found in enumerate(_ATTRIBUTE_RE.finditer(tag, len(name) + 1), start=1):
        key = found.group(1)
        if count <= MAX_ATTRIBUTES or (key.lower() in _MEANINGFUL and key.lower() not in seen):
            kept.append(found.group())
            seen.add(key.lower())
    return tag if count <= MAX_ATTRIBUTES else f"<{name} {' '.join(kept)}"


# --------------------------------------------------------------------------- flattening

_TOKEN_RE = re.compile(r"<(?:(!--)|[!?]|(/?)([A-Za-z][^\t\n\f\r />]*))")
_NONSPACE_RE = re.compile(r"\S")
_VOID = frozenset({
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
})
#: Elements whose content is text up to their end tag, never markup.
_RAW_TEXT = {
    name: re.compile(rf"</{name}(?=[\t\n\f\r />])", re.IGNORECASE)
    for name in ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
}
_INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "dfn", "em", "font", "i",
    "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "time", "tt", "u", "var",
})
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dir", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul",
})
_CELLS = frozenset({"td", "th"})
#: Which open elements (on top of the stack) a start tag closes, as the parser does.
_CLOSES: dict[str, frozenset[str]] = {
    **dict.fromkeys(_BLOCK, frozenset({"p"})),
    "li": frozenset({"li", "p"}),
    "dt": frozenset({"dt", "dd", "p"}),
    "dd": frozenset({"dt", "dd", "p"}),
    "tr": _CELLS | {"tr"},
    "td": _CELLS,
    "th": _CELLS,
    **dict.fromkeys(("thead", "tbody", "tfoot"), _CELLS | {"tr", "thead", "tbody", "tfoot"}),
    "option": frozenset({"option"}),
    "optgroup": frozenset({"option", "optgroup"}),
}


def _flatten(text: str, cap: int) -> str:
    """The markup with start tags past depth ``cap`` (and their end tags) taken out.

    A small model of the parser's stack (void elements, raw text, the implied
    end tags of p, li, table cells) tracks the depth. A removed block tag
    becomes ``<br>`` where it separated text, so paragraphs nested too deep
    stay apart; a removed inline tag just goes. One pass, linear in the text.
    """
    out: list[str] = []
    copied = 0  # text[:copied] is in out
    pos = 0
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    removed: Counter[str] = Counter()  # start tags taken out, so their end tags go too
    text_since_break = False  # text outside tags since the last <br> put in

    def take_out(start: int, end: int, name: str) -> None:
        nonlocal copied, text_since_break
        out.append(text[copied:start])
        if name not in _INLINE and text_since_break:
            out.append("<br>")
            text_since_break = False
        copied = end

    while (match := _TOKEN_RE.search(text, pos)) is not None:
        if (not text_since_break and len(stack) >= cap - _INLINE_HEADROOM
                and _NONSPACE_RE.search(text, pos, match.start())):
            text_since_break = True
        if match.group(1):  # a comment runs to "-->"
            end = text.find("-->", match.end())
            if end < 0:
                break
            pos = end + 3
            continue
        end = text.find(">", match.end())
        if end < 0:
            break
        pos = end + 1
        name = match.group(3)
        if name is None:  # doctype, processing instruction
            continue
        name = name.lower()
        if match.group(2):  # an end tag
            if removed[name]:
                removed[name] -= 1
                take_out(match.start(), pos, name)
            elif open_count[name]:
                while stack:
                    top = stack.pop()
                    open_count[top] -= 1
                    if top == name:
                        break
            continue
        if name in _VOID or text[end - 1] == "/":
            continue
        closes = _CLOSES.get(name)
        while closes and stack and stack[-1] in closes:
            open_count[stack.pop()] -= 1
        if name in _RAW_TEXT:
            closing = _RAW_TEXT[name].search(text, pos)
            if closing is None:
                break
            pos = closing.start() + 2  # past "</": the end tag is not a token of its own
            continue
        if name == "plaintext":
            break
        if len(stack) >= (cap - _INLINE_HEADROOM if name in _INLINE else cap):
            removed[name] += 1
            take_out(match.start(), pos, name)
            continue
        stack.append(name)
        open_count[name] += 1
    out.append(text[copied:])
    return "".join(out)
