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

libxml2 also compares each attribute of a start tag with all the ones before
it, so start tags are cut to MAX_ATTRIBUTES attributes before parsing.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections import Counter
from copy import deepcopy

from lxml import etree

from declutter._rules.thresholds import (
    CONTAINER_ROOM,
    FLAT_DEPTH,
    INLINE_HEADROOM,
    MANY_VALUES,
    MAX_ATTRIBUTES,
    MAX_DEPTH,
    RUNAWAY_TITLE,
    STRAY_TEXT,
)
from declutter._stages.decode import Source

_local = threading.local()

#: The element type of parsed pages: lxml's plain element, not lxml.html's HtmlElement,
#: whose Python-level class lookup costs time on every element a stage touches.
Element = etree._Element
_TEXT = functools.partial(etree.tostring, method="text", encoding="unicode", with_tail=False)


def text_of(el: Element) -> str:
    """An element's text, as lxml.html's text_content() gives it, without the method.

    lxml's text serialiser is about a third faster than an XPath ``string()``
    on news pages, and this is called for most elements of a page.
    """
    return _TEXT(el)


def _parser(huge: bool = False) -> etree.HTMLParser:
    # lxml parsers keep per-parse state; one per thread keeps clean() thread-safe.
    name = "huge_parser" if huge else "parser"
    parser = getattr(_local, name, None)
    if parser is None:
        parser = etree.HTMLParser(
            encoding="utf-8",
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            recover=True,
            huge_tree=huge,
            default_doctype=False,  # type: ignore[call-arg]  # an lxml option the stubs lack
            collect_ids=False,
        )
        setattr(_local, name, parser)
    return parser


def parse(source: Source | str) -> Element | None:
    """The document's root element, or None when there is no document to speak of."""
    text, data = (source, None) if isinstance(source, str) else source
    if not text or text.isspace():
        return None
    limited_text = _limit_attributes(text)
    if data is None or limited_text is not text:
        text, data = limited_text, limited_text.encode("utf-8", "replace")
    root, limited = _attempt(data, _parser())
    if limited:
        root, _ = _attempt(_flatten(text, FLAT_DEPTH).encode("utf-8", "replace"), _parser(True))
        if root is not None:
            _cap_depth(root, MAX_DEPTH)
    if root is None or not isinstance(root.tag, str):
        return None
    if _runaway_title(root):
        repaired = _close_title(text)
        if repaired is not None:
            again, _ = _attempt(repaired.encode("utf-8", "replace"), _parser())
            if again is not None and isinstance(again.tag, str):
                root = again
    wrapper = _stray_wrapper(root)
    if wrapper is not None:
        wrapper.tag = "div"  # a plain wrapper: what it holds is the page
    head = _swallowing_head(root)
    if head is not None:
        head.tag = "body"  # its title and meta tags are read wherever they stand
    return root


#: What a <head> holds on a well-formed page; anything else in it is the page's body.
_HEAD_TAGS = frozenset({"title", "meta", "link", "script", "style", "base", "noscript",
                        "template", "object"})


def _swallowing_head(root: Element) -> Element | None:
    """The <head>, when it swallowed the page: no <body> beside it, and elements of a body
    inside it. libxml2 keeps an unknown element met in the head (a stray ``<mbox>``) there,
    and everything after it, where browsers start the body."""
    head = root.find("head")
    if head is None or root.find("body") is not None:
        return None
    if all(not isinstance(child.tag, str) or child.tag in _HEAD_TAGS for child in head):
        return None
    return head


def is_tree(obj: object) -> bool:
    """True for a parsed page: an lxml element or tree, or an object holding one as
    ``.root`` (a parsel Selector)."""
    if isinstance(obj, (etree._Element, etree._ElementTree)):
        return True
    return isinstance(getattr(obj, "root", None), etree._Element)


def adopt(tree: object) -> Element | None:
    """The root element of a page the caller parsed (see :func:`is_tree`), to be read
    without a copy. The caller's tree is never changed: when the page needs the one
    repair the parse stage makes (a stray wrapper around the page), a copy is repaired.
    """
    root: Element | None
    if isinstance(tree, etree._ElementTree):
        root = tree.getroot()
    elif isinstance(tree, etree._Element):
        root = tree
    else:
        root = getattr(tree, "root", None)
    if root is None or not isinstance(root.tag, str):
        return None
    if _stray_wrapper(root) is not None:
        root = deepcopy(root)
        wrapper = _stray_wrapper(root)
        if wrapper is not None:
            wrapper.tag = "div"
    return root


_MARKUP_RE = re.compile(r"</?[A-Za-z][^>]*>")
_TITLE_OPEN_RE = re.compile(r"<title\b[^>]*>", re.IGNORECASE)


def _runaway_title(root: Element) -> bool:
    """True when the document's title swallowed the page: a long title holding tags."""
    head = root.find("head")
    title = head.find("title") if head is not None else root.find("title")
    text = title.text if title is not None else None
    if not text or len(text) <= RUNAWAY_TITLE:
        return False
    return _MARKUP_RE.search(text) is not None


def _close_title(text: str) -> str | None:
    """The markup with the first title closed where its first tag starts (or its line
    ends): browsers of the time showed the page, which is what the reader saw."""
    opening = _TITLE_OPEN_RE.search(text)
    if opening is None:
        return None
    start = opening.end()
    ends = [i for i in (text.find("<", start), text.find("\n", start)) if i >= 0]
    if not ends:
        return None
    end = min(ends)
    return f"{text[:end]}</title>{text[end:]}"


#: Elements whose content the stages skip, and which broken markup can open around the
#: rest of the page.
_STRAY_WRAPPERS = ("noscript", "button")


def _stray_wrapper(root: Element) -> Element | None:
    """A <noscript> or <button> that holds most of the page, or None.

    Browsers read <noscript> content as raw text, so '<noscript><div></noscript>'
    closes at once for them; libxml2 parses it as markup, the open <div> swallows
    the end tag, and the whole rest of the page lands inside the noscript, which
    the later stages skip as a fallback for browsers without scripts. A <button>
    left open in a site header swallows the page the same way. Such a wrapper is
    read as a plain one.
    """
    body = root.find("body")
    if body is None:
        return None
    page_text = 0
    for wrapper in body.iter(*_STRAY_WRAPPERS):
        size = len(text_of(wrapper))
        if size < STRAY_TEXT:
            continue
        page_text = page_text or len(text_of(body))
        if size * 2 > page_text:
            return wrapper
    return None


def _attempt(data: bytes, parser: etree.HTMLParser) -> tuple[Element | None, bool]:
    """Parse; also say whether libxml2 stopped at one of its resource limits."""
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError, TypeError, MemoryError):
        root = None
    error = parser.error_log.last_error
    limited = error is not None and error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT
    return root, limited


def _cap_depth(root: Element, limit: int) -> None:
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

#: Kept beyond the limit (their first occurrence): the ones the stages read.
_MEANINGFUL = frozenset({
    "class", "id", "style", "hidden", "role", "aria-hidden", "itemprop", "itemtype",
    "itemscope", "property", "name", "content", "rel", "href", "type", "lang", "datetime",
    "colspan", "rowspan", "charset", "http-equiv",
})
#: Where a start tag may hold too many attributes: 2,048 characters or more before the
#: next ">" (then counted more closely), or a quoted value with "<" or ">" in it, which
#: can hide the tag's true end. A tag shorter than that has at most about a thousand
#: attributes, which libxml2 reads in milliseconds; looking only for longer ones keeps
#: the search off the many ordinary long tags (URLs, srcset) every page has. Both
#: searches are linear; the few tags found are then read attribute by attribute, as the
#: parser reads them, and cut to MAX_ATTRIBUTES.
_LONG_RE = re.compile(r"<[A-Za-z][^>]{2047}")  # no group: the search stays in C
_TAG_NAME_RE = re.compile(r"[A-Za-z0-9:_.-]*")
_RAW_TAG_RE = re.compile(r"<(/?)(?:script|style)\b", re.IGNORECASE)
_QUOTED_RE = re.compile(r""""[^"]*"|'[^']*'""")
_ODD_VALUE_RE = re.compile(r"""=[\t\n\f\r ]*(["'])[^"'<>]*[<>]""")
_SPACE = " \t\n\f\r"
_NAME_RE = re.compile(r"[^\t\n\f\r />][^\t\n\f\r />=]*")
_SPACES_RE = re.compile(r"[\t\n\f\r ]*")
_UNQUOTED_RE = re.compile(r"[^\t\n\f\r >]*")


def _limit_attributes(text: str) -> str:
    """The text with every start tag cut to MAX_ATTRIBUTES attributes and the meaningful ones."""
    starts: list[int] = []  # where attributes begin in tags that may have too many
    markers: list[tuple[int, int]] | None = None
    pos = 0
    while (match := _LONG_RE.search(text, pos)) is not None:
        if markers is None:
            markers = _raw_text_markers(text)
        inside = _raw_text_end(markers, match.start(), len(text))
        if inside is not None:
            # "i<n.length ..." in a script is code, not a tag: rewriting it could run
            # past the script's end tag and cut the page.
            pos = inside
            continue
        close = text.find(">", match.end())
        pos = close = len(text) if close < 0 else close  # each character counted once
        # Attributes are separated by white space, "/" or a closing quote; what stands
        # inside quotes (an SVG path, a srcset) separates nothing.
        span = _QUOTED_RE.sub('""', text[match.start():close])
        separators = sum(span.count(char) for char in " \n\t/\r\f") + span.count('""')
        if separators >= MAX_ATTRIBUTES:
            starts.append(_TAG_NAME_RE.match(text, match.start() + 2).end())  # type: ignore[union-attr]
    if text.count("=") >= MANY_VALUES:
        # Script and style text holds most of a big page's "=" and no attributes at all:
        # only the markup between them is counted, and searched.
        if markers is None:
            markers = _raw_text_markers(text)
        markup = _outside_raw_text(markers, len(text))
        if sum(text.count("=", first, last) for first, last in markup) >= MANY_VALUES:
            for first, last in markup:
                pos = scanned = first
                opened = closed = -1  # the last "<" and ">" met outside quoted values
                while (match := _ODD_VALUE_RE.search(text, pos, last)) is not None:
                    at = match.start()
                    # Inside a tag only: 'x = "a>b"' in a <pre> is text, not an attribute.
                    # Each stretch is searched once, so pages of such lines stay linear.
                    opened = max(opened, text.rfind("<", scanned, at))
                    closed = max(closed, text.rfind(">", scanned, at))
                    scanned = at
                    if opened <= closed:
                        pos = match.end()
                        continue
                    close = text.find(match.group(1), match.start(1) + 1)
                    if close < 0:
                        break  # the value runs to the end of the page: no attributes after it
                    starts.append(close + 1)
                    pos = scanned = close + 1
    if not starts:
        return text
    out: list[str] = []
    copied = 0
    for start in sorted(starts):
        if start < copied:
            continue
        end, attributes = _read_tag(text, start)
        if len(attributes) <= MAX_ATTRIBUTES:
            continue
        kept: list[str] = []
        seen: set[str] = set()
        for index, (first, last, key) in enumerate(attributes):
            if index < MAX_ATTRIBUTES or (key in _MEANINGFUL and key not in seen):
                kept.append(text[first:last])
                seen.add(key)
        out.append(text[copied:start])
        out.append(f" {' '.join(kept)}>")
        copied = end
    if not out:
        return text
    out.append(text[copied:])
    return "".join(out)


def _raw_text_markers(text: str) -> list[tuple[int, int]]:
    """Positions of script and style start (1) and end (0) tags, in page order."""
    return [(m.start(), 0 if m.group(1) else 1) for m in _RAW_TAG_RE.finditer(text)]


def _outside_raw_text(markers: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """The (start, end) spans of the page that are not inside a script or style."""
    spans: list[tuple[int, int]] = []
    start: int | None = 0
    for at, opens in markers:
        if opens and start is not None:
            spans.append((start, at))
            start = None
        elif not opens and start is None:
            start = at
    if start is not None:
        spans.append((start, size))
    return spans


def _raw_text_end(markers: list[tuple[int, int]], pos: int, size: int) -> int | None:
    """Where the script or style around ``pos`` ends, or None when ``pos`` is outside one."""
    index = bisect.bisect_left(markers, (pos, -1)) - 1
    if index < 0 or markers[index][1] == 0:
        return None
    following = next((at for at, opens in markers[index + 1:] if not opens), None)
    return size if following is None else following


def _read_tag(text: str, pos: int) -> tuple[int, list[tuple[int, int, str]]]:
    """Where the start tag ends, and its attributes as (start, end, lowercase name).

    Follows the HTML tokenizer: a quote opens a value only right after "=", and a
    quoted value runs to its closing quote, ">" or not.
    """
    attributes: list[tuple[int, int, str]] = []
    size = len(text)
    while pos < size:
        char = text[pos]
        if char in _SPACE or char == "/":
            pos += 1
            continue
        if char == ">":
            return pos + 1, attributes
        name = _NAME_RE.match(text, pos)
        assert name is not None  # any character but space, "/" and ">" starts a name
        start, end = pos, name.end()
        after = _SPACES_RE.match(text, end).end()  # type: ignore[union-attr]
        if after < size and text[after] == "=":
            value = _SPACES_RE.match(text, after + 1).end()  # type: ignore[union-attr]
            if value < size and text[value] in "\"'":
                close = text.find(text[value], value + 1)
                end = size if close < 0 else close + 1
            else:
                end = _UNQUOTED_RE.match(text, value).end()  # type: ignore[union-attr]
        attributes.append((start, end, name.group().lower()))
        pos = end
    return size, attributes


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
#: Elements whose text lives in a child (li, td, option): at the cap, that child
#: may still open, a little deeper.
_CONTAINERS = frozenset({
    "ul", "ol", "dl", "menu", "dir", "table", "thead", "tbody", "tfoot", "tr", "colgroup",
    "select", "optgroup",
})
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
    """The markup rewritten so that no element opens deeper than ``cap``.

    A small model of the parser's stack (void elements, raw text, the implied
    end tags of p, li, table cells) tracks the depth. At the cap, a start tag
    is taken out (with its end tag) while the element on top holds no text
    yet, so a chain of empty wrappers collapses into one; a block start tag
    after text closes the element on top instead and takes its place, so
    paragraphs nested too deep stay paragraphs, side by side. Inline tags stop
    a little earlier, leaving room for the blocks inside them. One pass,
    linear in the text.
    """
    return _Flattener(text, cap).run()


class _Flattener:
    """The state of one :func:`_flatten` pass over a text."""

    def __init__(self, text: str, cap: int) -> None:
        self.text = text
        self.cap = cap
        self.out: list[str] = []
        self.copied = 0  # text[:copied] is in out
        self.stack: list[str] = []
        self.open_count: Counter[str] = Counter()
        self.removed: Counter[str] = Counter()  # end tags still to take out, by name
        self.top_has_text = False  # text since the element on top of the stack opened

    def run(self) -> str:
        text = self.text
        pos = 0
        while (match := _TOKEN_RE.search(text, pos)) is not None:
            if (not self.top_has_text and len(self.stack) >= self.cap - INLINE_HEADROOM
                    and _NONSPACE_RE.search(text, pos, match.start())):
                self.top_has_text = True
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
                self.end_tag(name, match.start(), pos)
                continue
            if name in _VOID or text[end - 1] == "/":
                continue
            if name in _RAW_TEXT:
                closing = _RAW_TEXT[name].search(text, pos)
                if closing is None:
                    break
                pos = closing.start() + 2  # past "</": the end tag is not a token of its own
                continue
            if name == "plaintext":
                break
            self.start_tag(name, match.start(), pos)
        self.out.append(text[self.copied:])
        return "".join(self.out)

    def take_out(self, start: int, end: int, replacement: str = "") -> None:
        self.out.append(self.text[self.copied:start])
        self.out.append(replacement)
        self.copied = end

    def end_tag(self, name: str, start: int, end: int) -> None:
        if self.removed[name]:
            self.removed[name] -= 1
            self.take_out(start, end)
        elif self.open_count[name]:
            while self.stack:
                top = self.stack.pop()
                self.open_count[top] -= 1
                if top == name:
                    break
            self.top_has_text = True

    def start_tag(self, name: str, start: int, end: int) -> None:
        stack = self.stack
        limit = self.cap - INLINE_HEADROOM if name in _INLINE else self.cap
        if stack and stack[-1] in _CONTAINERS and name not in _INLINE:
            limit += CONTAINER_ROOM  # text belongs in a list's item, a table's cell
        full = len(stack) >= limit
        if full and (name in _INLINE or not self.top_has_text):
            self.removed[name] += 1
            self.take_out(start, end)
            return
        closes = _CLOSES.get(name)
        while closes and stack and stack[-1] in closes:
            self.open_count[stack.pop()] -= 1
            self.top_has_text = True
        if full and len(stack) >= limit:
            top = stack.pop()  # close it early: its own end tag, when it comes, goes
            self.open_count[top] -= 1
            self.removed[top] += 1
            self.take_out(start, start, f"</{top}>")
        stack.append(name)
        self.open_count[name] += 1
        self.top_has_text = False
