"""The explain report: the page as declutter saw it, with every removal outlined.

A user who doubts a result ("why did my caption vanish?") needs to see the
page, not a list of XPaths. The report is one self-contained HTML file: the
page's own markup, sanitised, with each removed element outlined in its
category's colour and labelled with the rule that fired; the kept article
blocks marked; a legend; the text ``clean()`` returns; and a table of the
removals whose rows jump to their element.

Safety comes from construction, not from hoping a blacklist is complete:

* the page is copied into a *new* tree, element by element, keeping only
  tags on an allow list (unknown tags become ``<span>``) and only inert
  attributes on an allow list; nothing that names a URL survives (no
  ``href``, ``src``, ``srcset``, ``style``, ``action``, ``xlink:href``...);
* media and embeds become placeholder boxes showing their alt text;
  scripts, styles, links, ``<base>``, ``<meta>`` and templates are dropped;
* the report's own style and script are allowed by their SHA-256 hashes in a
  Content-Security-Policy that forbids every other script, style sheet,
  inline style attribute, image, font, frame and connection, so even markup
  the sanitiser missed could neither run nor fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from html import escape

from lxml import etree

from ._article import CATEGORIES, Article, Removal
from ._decode import decode
from ._options import DEFAULT_OPTIONS, Options
from ._parse import Element, parse, text_of
from ._pipeline import run

# ---------------------------------------------------------------------------
# What the sanitiser keeps
# ---------------------------------------------------------------------------

#: Tags copied as they are: structure and text only, none of them loads or runs anything.
_KEEP_TAGS = frozenset(
    "a abbr address article aside b bdi bdo big blockquote br caption center cite code col "
    "colgroup dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hgroup hr i ins kbd label legend li main mark menu nav ol p pre q rp rt ruby s "
    "samp section small span strike strong sub summary sup table tbody td tfoot th thead "
    "time tr tt u ul var wbr fieldset".split()
)
#: Tags kept under another name, because the original would hide or submit something.
_RENAME_TAGS = {
    "form": "div",
    "dialog": "div",
    "search": "div",
    "marquee": "div",
    "listing": "pre",
    "xmp": "pre",
    "plaintext": "pre",
    "button": "span",
    "font": "span",
    "nobr": "span",
    "blink": "span",
    "body": "div",
}
#: Tags dropped with their content: invisible in a browser, or code, or requests.
_DROP_TAGS = frozenset(
    "script style link meta base title template noscript param source track head "
    "frameset noembed noframes datalist area map slot".split()
)
#: Media, embeds and form controls: shown as a box naming what was there.
_PLACEHOLDER_TAGS = {
    "img": "image",
    "image": "image",
    "picture": "image",
    "svg": "svg",
    "canvas": "canvas",
    "video": "video",
    "audio": "audio",
    "iframe": "iframe",
    "frame": "frame",
    "embed": "embed",
    "object": "object",
    "applet": "applet",
    "portal": "portal",
    "fencedframe": "frame",
    "input": "input",
    "select": "select",
    "textarea": "textarea",
    "meter": "meter",
    "progress": "progress",
    "amp-img": "image",
    "amp-anim": "image",
    "amp-video": "video",
    "amp-audio": "audio",
    "amp-iframe": "iframe",
    "amp-ad": "ad slot",
    "amp-embed": "embed",
    "amp-sticky-ad": "ad slot",
    "amp-youtube": "video",
    "amp-twitter": "embed",
    "amp-instagram": "embed",
    "amp-facebook": "embed",
}
#: Void elements that libxml2's HTML parser takes for containers, so that they swallow
#: the content after them.
_SWALLOWING = frozenset({"embed", "source", "track", "param", "wbr", "keygen"})
#: Elements that are never shown, so a removal of one is listed but not outlined.
_UNSHOWN = _DROP_TAGS | {"html"}

_NUMBER = re.compile(r"\d{1,4}")
_LANG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_ATTR_RULES: dict[str, re.Pattern[str] | frozenset[str] | None] = {
    "colspan": _NUMBER,
    "rowspan": _NUMBER,
    "span": _NUMBER,
    "start": _NUMBER,
    "reversed": frozenset({"", "reversed"}),
    "dir": frozenset({"ltr", "rtl", "auto"}),
    "lang": _LANG,
    "type": frozenset({"1", "a", "A", "i", "I", "disc", "circle", "square"}),
    "scope": frozenset({"row", "col", "rowgroup", "colgroup"}),
    "datetime": None,
    "abbr": None,
}
#: Characters that XML (and so lxml) refuses in text and attribute values.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STEP = re.compile(r"([^\[\]/]+)(?:\[(\d+)\])?")
_CATEGORY_NAME = re.compile(r"[a-z0-9_]{1,40}")

#: Block-level tags: the elements a kept block of text is attributed to.
_BLOCKS = frozenset(
    "address article aside blockquote body caption center dd details div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup li main menu nav ol p "
    "pre section summary table td th tr ul".split()
)
#: Shorter kept texts must equal a whole block: a short string occurs anywhere.
_MIN_SUBSTRING = 25

# ---------------------------------------------------------------------------
# Colours: one per category, readable as a label background with white text
# ---------------------------------------------------------------------------

COLOURS: dict[str, str] = {
    "ad": "#d32f2f",
    "related": "#ef6c00",
    "share": "#8e24aa",
    "caption": "#00838f",
    "byline": "#3949ab",
    "dateline": "#5c6bc0",
    "newsletter": "#c2185b",
    "paywall": "#880e4f",
    "comments": "#6d4c41",
    "navigation": "#1565c0",
    "header": "#0277bd",
    "footer": "#455a64",
    "sidebar": "#9e6c00",
    "hidden": "#616161",
    "title": "#283593",
    "tags": "#827717",
    "author_bio": "#4e342e",
    "cookie": "#bf360c",
    "media": "#00695c",
    "form": "#6a1b9a",
    "boilerplate": "#ad1457",
    "outside": "#78909c",
    "user": "#263238",
}
KEPT_COLOUR = "#2e7d32"
_OTHER_COLOUR = "#757575"


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _category_css() -> str:
    rules = [
        f".dc-cat-{name}{{--dc-c:{colour};--dc-bg:{_rgba(colour, 0.08)}}}"
        for name, colour in COLOURS.items()
    ]
    return "\n".join(rules)


_CSS = """
:root{--dc-c:%(other)s;--dc-bg:rgba(0,0,0,.05);--dc-kept:%(kept)s}
*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;
background:#f3f3f1;height:100vh;display:flex;flex-direction:column;overflow:hidden}
.dc-top{flex:none;padding:10px 16px 8px;background:#1f2328;color:#f0f0f0}
.dc-top h1{font-size:15px;margin:0 0 4px;font-weight:600}
.dc-top h1 span{font-weight:400;color:#b8bec6}
.dc-summary{margin:0 0 6px;color:#c9d1d9}
.dc-legend{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 10px}
.dc-legend li{display:inline-flex;align-items:center;gap:4px;font-size:12px}
.dc-sw{display:inline-block;width:12px;height:12px;border-radius:2px;background:var(--dc-c);
vertical-align:-1px;flex:none}
.dc-sw.dc-kept-sw{background:var(--dc-kept)}
.dc-layout{flex:1;min-height:0;display:grid;
grid-template-columns:minmax(0,1fr) minmax(320px,36%%)}
#dc-page{background:#fff;margin:12px;padding:16px 20px;font:16px/1.55 Georgia,"Times New Roman",
serif;overflow-wrap:anywhere;min-width:0;overflow:auto}
#dc-page a{color:#1a4fa0;text-decoration:underline}
#dc-page table{border-collapse:collapse;max-width:100%%}
#dc-page td,#dc-page th{padding:2px 4px;vertical-align:top}
#dc-page pre{white-space:pre-wrap}
#dc-page [data-dc-category]{outline:2px solid var(--dc-c);outline-offset:-2px;
background-color:var(--dc-bg)}
#dc-page [data-dc-category="outside"]{outline-style:dashed;background-color:transparent}
#dc-page [data-dc-partial]{outline-style:dotted;background-color:transparent}
#dc-page [data-dc-label]::before{content:attr(data-dc-label);display:inline-block;
font:600 11px/1.5 system-ui,sans-serif;color:#fff;background:var(--dc-c);padding:0 5px;
margin:2px 6px 2px 2px;border-radius:2px;white-space:nowrap;text-decoration:none;
font-style:normal;letter-spacing:0;text-transform:none;vertical-align:baseline}
#dc-page [data-dc-kept]{box-shadow:inset 4px 0 0 var(--dc-kept);
background-color:rgba(46,125,50,.06);padding-left:8px}
#dc-page .dc-focus{outline:4px solid #ffb300!important;outline-offset:2px!important;
box-shadow:0 0 0 8px rgba(255,179,0,.35)!important}
.dc-media{display:inline-block;min-width:4em;padding:1px 6px;margin:1px;border:1px dashed #9aa0a6;
background:#eef0f2;color:#5f6368;font:12px/1.5 system-ui,sans-serif;font-style:normal}
.dc-control{display:inline-block;padding:0 6px;border:1px solid #c4c7c5;border-radius:3px;
background:#f8f9fa;font:13px/1.5 system-ui,sans-serif}
#dc-side{overflow:auto;padding:12px 12px 24px 0}
#dc-side section{background:#fff;margin-bottom:12px;padding:10px 12px}
#dc-side h2{font-size:13px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.04em;
color:#444}
.dc-note{color:#666;margin:0 0 6px}
.dc-text{white-space:pre-wrap;font:13px/1.5 Georgia,serif;max-height:45vh;overflow:auto;
margin:0;padding:6px 8px;background:#fafafa;border-left:4px solid var(--dc-kept)}
#dc-removals{width:100%%;border-collapse:collapse;font-size:12px;table-layout:fixed}
#dc-removals th:first-child{width:2.6em}
#dc-removals th:nth-child(2){width:10em}
#dc-removals th{text-align:left;border-bottom:1px solid #ccc;padding:2px 4px;
position:sticky;top:0;background:#fff}
#dc-removals td{padding:3px 4px;border-bottom:1px solid #eee;vertical-align:top;
overflow-wrap:anywhere}
#dc-removals tbody tr{cursor:pointer}
#dc-removals tbody tr:hover{background:#f1f5fb}
#dc-removals tbody tr:focus-visible{outline:2px solid #1a73e8;outline-offset:-2px}
#dc-removals tbody tr.dc-row-active{background:#ffe8a3}
#dc-removals tr.dc-row-unshown{color:#888;cursor:default}
#dc-removals code{font-size:11px;overflow-wrap:anywhere;color:#555}
#dc-removals .dc-what{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#dc-removals .dc-tag{color:#999}
#dc-removals em{color:#888}
.dc-n{color:#888;text-align:right}
@media (max-width:900px){body{height:auto;display:block;overflow:visible}
.dc-layout{display:block}#dc-page{overflow:visible}#dc-side{padding:0 12px}}
""" % {"other": _OTHER_COLOUR, "kept": KEPT_COLOUR}  # noqa: UP031 - CSS braces

_CSS = _CSS.strip() + "\n" + _category_css() + "\n"

# The report's only script. It reads nothing from the page but data-dc-* attributes
# the report itself wrote, and looks elements up only with querySelector, which a
# page element cannot shadow (the sanitiser drops every "name" attribute anyway).
_JS = """
(function () {
  "use strict";
  var page = document.getElementById("dc-page");
  var table = document.getElementById("dc-removals");
  if (!page || !table) { return; }
  var focused = null;
  var activeRow = null;
  function target(index) {
    return page.querySelector("[data-dc-index~=\\"" + index + "\\"]");
  }
  function select(row, scrollRow) {
    if (activeRow) { activeRow.classList.remove("dc-row-active"); }
    activeRow = row;
    row.classList.add("dc-row-active");
    if (scrollRow) { row.scrollIntoView({block: "nearest"}); }
  }
  function show(row) {
    var index = row.getAttribute("data-dc-row");
    if (!/^[0-9]+$/.test(index || "")) { return; }
    select(row, false);
    if (focused) { focused.classList.remove("dc-focus"); }
    focused = target(index);
    if (!focused) { return; }
    focused.classList.add("dc-focus");
    focused.scrollIntoView({block: "center", inline: "nearest"});
  }
  var rows = table.querySelectorAll("tbody tr[data-dc-row]");
  Array.prototype.forEach.call(rows, function (row) {
    row.addEventListener("click", function () { show(row); });
    row.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        show(row);
      }
    });
  });
  page.addEventListener("click", function (event) {
    var node = event.target;
    var marked = node && node.closest ? node.closest("[data-dc-index]") : null;
    if (!marked) { return; }
    var index = (marked.getAttribute("data-dc-index") || "").split(" ")[0];
    var row = table.querySelector("tr[data-dc-row=\\"" + index + "\\"]");
    if (row) { select(row, true); }
  });
}());
""".strip()


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


#: Only the report's own style and script, by hash; nothing else loads or runs.
CSP = (
    "default-src 'none'; "
    f"style-src {_hash(_CSS)}; "
    f"script-src {_hash(_JS)}; "
    "img-src 'none'; font-src 'none'; connect-src 'none'; media-src 'none'; "
    "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"
)


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


@dataclass
class _Mark:
    """What the report writes on one removed element."""

    indices: list[int] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)


def build_report(root: Element | None, article: Article) -> str:
    """The report for ``article``, drawn over ``root``: a fresh parse of the same page.

    The removal paths were taken on declutter's own parse of the page; the
    parser is pinned, so the same text parses to the same tree and the paths
    resolve here.
    """
    marks: dict[Element, _Mark] = {}
    if root is not None:
        tree = root.getroottree()
        cache: dict[tuple[Element, str], list[Element]] = {}
        for index, removal in enumerate(article.removed):
            el = resolve(root, removal.path, cache)
            if el is None or tree.getpath(el) != removal.path:
                continue
            mark = marks.setdefault(el, _Mark())
            mark.indices.append(index)
            mark.removals.append(removal)
    text = _KeptText(article)
    partial = {el for el, mark in marks.items() if _holds_kept(el, mark, text)}
    body = _body(root)
    kept = kept_elements(body, marks.keys() - partial, partial, text) if body is not None else set()
    page, shown = _sanitised(body, marks, kept, partial)
    shown_indices = {i for el in shown for i in marks[el].indices}
    return _document(article, root, page, shown_indices, len(kept))


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


def _holds_kept(el: Element, mark: _Mark, text: _KeptText) -> bool:
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
        if el in skip or not isinstance(el.tag, str) or el.tag in _UNSHOWN:
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
        if (not isinstance(tag, str) or el in removed or tag in _BLOCKS or tag in _UNSHOWN
                or tag in _PLACEHOLDER_TAGS):
            parts.append(el.tail or "")
            continue
        parts.append(el.text or "")
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    return "".join(parts)


# ---------------------------------------------------------------------------
# The sanitiser
# ---------------------------------------------------------------------------


def _safe(text: str | None) -> str | None:
    if not text:
        return text
    return _NOT_XML.sub("", text)


def _output_tag(tag: str) -> str | None:
    """The tag to write for a page tag; None drops it with its content."""
    if tag in _KEEP_TAGS:
        return tag
    if tag in _DROP_TAGS:
        return None
    return _RENAME_TAGS.get(tag, "span")


def _copy_attributes(src: Element, dst: etree._Element) -> None:
    """Copy the inert attributes only. Anything else is dropped, whatever its name."""
    for name, value in src.attrib.items():
        if not isinstance(name, str):
            continue
        name = name.lower()
        value = _safe(str(value)) or ""
        if name == "class":
            classes = [c for c in value.split() if not c.startswith("dc-")]
            if classes:
                dst.set("class", " ".join(classes)[:300])
        elif name == "id":
            if value and not value.startswith("dc-"):
                dst.set("id", value[:200])
        elif name == "title":
            dst.set("title", value[:500])
        elif name in _ATTR_RULES:
            rule = _ATTR_RULES[name]
            if rule is None or (isinstance(rule, frozenset) and value in rule) or (
                isinstance(rule, re.Pattern) and rule.fullmatch(value)
            ):
                dst.set(name, value[:100])


def _placeholder(src: Element, kind: str) -> etree._Element:
    """A grey box where media or an embed was, named by its alt text or title."""
    label = src.get("alt") or src.get("title") or src.get("aria-label") or ""
    if not label and src.tag == "picture":
        inner = src.find(".//img")
        label = inner.get("alt", "") if inner is not None else ""
    if not label and src.tag == "svg":
        title = src.find(".//title")
        label = text_of(title) if title is not None else ""
    label = " ".join(label.split())
    if len(label) > 80:
        label = label[:79].rstrip() + "…"
    box = etree.Element("span")
    box.set("class", "dc-media")
    box.text = _safe(f"[{kind}: {label}]" if label else f"[{kind}]")
    return box


def _sanitised(
    body: Element | None,
    marks: dict[Element, _Mark],
    kept: set[Element],
    partial: set[Element],
) -> tuple[etree._Element, set[Element]]:
    """A new tree holding the page's inert parts, annotated; and the page elements shown."""
    page = etree.Element("main")
    shown: set[Element] = set()
    if body is None:
        page.set("id", "dc-page")
        return page, shown
    _annotate(body, page, marks, kept, partial, shown)
    page.text = _safe(body.text)
    stack: list[tuple[Element, etree._Element]] = [(body, page)]
    while stack:
        src, dst = stack.pop()
        last: etree._Element | None = None
        # Children front to back (a stack, reversed); text runs are queued as str.
        work: list[Element | str] = list(reversed(src))
        while work:
            child = work.pop()
            if isinstance(child, str):
                _append_text(dst, last, child)
                continue
            tag = child.tag.lower() if isinstance(child.tag, str) else None
            node: etree._Element | None = None
            if tag in _SWALLOWING:
                # Void in HTML, a container to libxml2: what follows it until its parent
                # closes was parsed into it. Show the element, then that content after it.
                if tag == "wbr":
                    node = etree.SubElement(dst, "wbr")
                elif tag in _PLACEHOLDER_TAGS:
                    node = _placeholder(child, _PLACEHOLDER_TAGS[tag])
                    dst.append(node)
                work.append(child.tail or "")
                work.extend(reversed(child))
                work.append(child.text or "")
                if node is not None:
                    _annotate(child, node, marks, kept, partial, shown)
                    last = node
                continue
            if tag is not None and tag in _PLACEHOLDER_TAGS:
                node = _placeholder(child, _PLACEHOLDER_TAGS[tag])
                dst.append(node)
            elif tag is not None:
                name = _output_tag(tag)
                if name is not None:
                    node = etree.SubElement(dst, name)
                    _copy_attributes(child, node)
                    if name == "details":
                        node.set("open", "")  # a closed <details> would hide what it holds
                    elif tag == "button":
                        node.set("class", "dc-control")
                    node.text = _safe(child.text)
                    stack.append((child, node))
            if node is None:
                # Dropped with its content; the text after it still belongs to the page.
                _append_text(dst, last, child.tail)
                continue
            _annotate(child, node, marks, kept, partial, shown)
            node.tail = _safe(child.tail)
            last = node
    # Our own attributes go on last: the page's own data-dc-* never pass the allow list.
    page.set("id", "dc-page")
    page.set("class", " ".join(filter(None, ["dc-page", page.get("class")])))
    return page, shown


def _append_text(dst: etree._Element, last: etree._Element | None, text: str | None) -> None:
    text = _safe(text)
    if not text:
        return
    if last is None:
        dst.text = (dst.text or "") + text
    else:
        last.tail = (last.tail or "") + text


def _annotate(
    src: Element,
    node: etree._Element,
    marks: dict[Element, _Mark],
    kept: set[Element],
    partial: set[Element],
    shown: set[Element],
) -> None:
    mark = marks.get(src)
    classes = (node.get("class") or "").split()
    if mark is not None:
        shown.add(src)
        first = mark.removals[0]
        category = _category_class(first.category)
        label = " + ".join(f"{r.category} · {r.rule}" for r in mark.removals)
        tooltip = _tooltip(src, mark)
        if src in partial:
            label += " (part)"
            tooltip += "\nOnly part of this element's text was removed (see the excerpt)."
            node.set("data-dc-partial", "")
        node.set("data-dc-category", category)
        node.set("data-dc-rule", _safe(first.rule) or "")
        node.set("data-dc-index", " ".join(str(i) for i in mark.indices))
        node.set("data-dc-label", _safe(label) or "")
        node.set("title", _safe(tooltip) or "")
        classes.append(f"dc-cat-{category}")
    if src in kept:
        node.set("data-dc-kept", "")
        if mark is None:
            node.set("title", "kept: article text")
        classes.append("dc-kept")
    if classes:
        node.set("class", " ".join(classes))


def _category_class(category: str) -> str:
    return category if _CATEGORY_NAME.fullmatch(category) else "other"


def _tooltip(src: Element, mark: _Mark) -> str:
    """Which rule removed the element, and the markup that made it fire."""
    lines = [f"#{i + 1} {r.category} — {r.rule}" for i, r in zip(mark.indices, mark.removals,
                                                                 strict=True)]
    attributes = " ".join(
        f'{name}="{(src.get(name) or "")[:80]}"' for name in ("id", "class", "role")
        if src.get(name)
    )
    lines.append(f"<{src.tag}{' ' + attributes if attributes else ''}>")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The document around the page
# ---------------------------------------------------------------------------


def _document(
    article: Article,
    root: Element | None,
    page: etree._Element,
    shown: set[int],
    kept_count: int,
) -> str:
    language = root.get("lang") if root is not None else None
    if language and _LANG.fullmatch(language):
        page.set("lang", language)
    page_html = etree.tostring(page, method="html", encoding="unicode")
    title = article.title or "(no title)"
    counts: dict[str, int] = {}
    for removal in article.removed:
        counts[removal.category] = counts.get(removal.category, 0) + 1
    summary = (
        f"{len(article.removed)} removal{'s' if len(article.removed) != 1 else ''}, "
        f"{len(article.blocks)} kept block{'s' if len(article.blocks) != 1 else ''} "
        f"({kept_count} marked on the page); "
        + ("an article" if article.is_article else "not an article")
        + (f"; locator confidence {article.confidence:.2f}" if article.blocks else "")
        + ("; text from the fallback extractor" if article.fallback else "")
    )
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n',
        '<meta name="referrer" content="no-referrer">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>declutter explain: {_text(title)}</title>\n",
        f"<style>{_CSS}</style>\n</head>\n<body>\n",
        '<header class="dc-top" id="dc-top">\n',
        f"<h1>{_text(title)} <span>· declutter explain</span></h1>\n",
        f'<p class="dc-summary">{_text(summary)}</p>\n',
        _legend(counts),
        "</header>\n<div class=\"dc-layout\">\n",
        page_html,
        '\n<aside id="dc-side">\n',
        _text_panel(article),
        _removals_table(article.removed, shown),
        "</aside>\n</div>\n",
        f"<script>{_JS}</script>\n</body>\n</html>\n",
    ])


def _text(value: str) -> str:
    return escape(_safe(value) or "", quote=True)


def _legend(counts: dict[str, int]) -> str:
    items = [
        '<li><span class="dc-sw dc-kept-sw"></span>kept article block</li>'
    ]
    ordered = [c for c in CATEGORIES if c in counts] + sorted(
        c for c in counts if c not in CATEGORIES
    )
    for category in ordered:
        css = _category_class(category)
        items.append(
            f'<li data-dc-legend="{_text(css)}"><span class="dc-sw dc-cat-{css}"></span>'
            f"{_text(category)} ({counts[category]})</li>"
        )
    return '<ul class="dc-legend" id="dc-legend">' + "".join(items) + "</ul>\n"


def _text_panel(article: Article) -> str:
    note = ""
    if not article.text:
        note = (
            '<p class="dc-note">clean() returns an empty string for this page'
            + (": it is not one article." if article.blocks == () and not article.is_article
               else ".")
            + "</p>"
        )
    return (
        '<section id="dc-clean">\n<h2>Clean text, as clean() returns it</h2>\n'
        f'{note}<div class="dc-text" id="dc-text">{_text(article.text)}</div>\n</section>\n'
    )


def _removals_table(removed: tuple[Removal, ...], shown: set[int]) -> str:
    rows = []
    for index, removal in enumerate(removed):
        css = _category_class(removal.category)
        if index in shown:
            attributes = f'data-dc-row="{index}" tabindex="0"'
            where = ""
        else:
            attributes = f'data-dc-row="{index}" class="dc-row-unshown"'
            where = " (not shown: invisible on the page)"
        tag = f"<{removal.tag}>" if removal.tag else ""
        rows.append(
            f"<tr {attributes}><td class=\"dc-n\">{index + 1}</td>"
            f'<td class="dc-what"><span class="dc-sw dc-cat-{css}"></span> '
            f"{_text(removal.category)}<br><code>{_text(removal.rule)}</code></td>"
            f"<td>{_text(removal.excerpt)}<em>{_text(where)}</em> "
            f'<code class="dc-tag">{_text(tag)}</code></td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="3">Nothing was removed.</td></tr>')
    return (
        '<section id="dc-table">\n<h2>Removals</h2>\n'
        '<p class="dc-note">Click a row to see its element on the page.</p>\n'
        '<table id="dc-removals"><thead><tr><th>#</th><th>category, rule</th>'
        "<th>excerpt</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>\n</section>\n"
    )
