"""The explain report's sanitiser: the page copied into a new tree, inert parts only.

Safety comes from construction, not from hoping a blacklist is complete: the
page is copied element by element, keeping only tags on an allow list
(unknown tags become ``<span>``) and only inert attributes on an allow list;
nothing that names a URL survives (no ``href``, ``src``, ``srcset``,
``style``, ``action``, ``xlink:href``...). Media and embeds become
placeholder boxes showing their alt text; scripts, styles, links, ``<base>``,
``<meta>`` and templates are dropped. On the way, each removed element is
annotated with its category and the rule that fired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from declutter._model.article import Removal
from declutter._stages.parse import Element, text_of

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
PLACEHOLDER_TAGS = {
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
UNSHOWN = _DROP_TAGS | {"html"}

_NUMBER = re.compile(r"\d{1,4}")
LANG_RE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_ATTR_RULES: dict[str, re.Pattern[str] | frozenset[str] | None] = {
    "colspan": _NUMBER,
    "rowspan": _NUMBER,
    "span": _NUMBER,
    "start": _NUMBER,
    "reversed": frozenset({"", "reversed"}),
    "dir": frozenset({"ltr", "rtl", "auto"}),
    "lang": LANG_RE,
    "type": frozenset({"1", "a", "A", "i", "I", "disc", "circle", "square"}),
    "scope": frozenset({"row", "col", "rowgroup", "colgroup"}),
    "datetime": None,
    "abbr": None,
}
#: Characters that XML (and so lxml) refuses in text and attribute values.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CATEGORY_NAME = re.compile(r"[a-z0-9_]{1,40}")


@dataclass
class Mark:
    """What the report writes on one removed element."""

    indices: list[int] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)


# ---------------------------------------------------------------------------
# The sanitiser
# ---------------------------------------------------------------------------


def safe_text(text: str | None) -> str | None:
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


#: Longest attribute values copied, in characters: more than any real class list, id,
#: title or number needs, while a page of megabyte attributes cannot bloat its report.
_MAX_CLASS, _MAX_ID, _MAX_TITLE, _MAX_VALUE = 300, 200, 500, 100
#: Longest placeholder label, and attribute shown in a tooltip: what fits on one line.
_MAX_LABEL = 80


def _copy_attributes(src: Element, dst: etree._Element) -> None:
    """Copy the inert attributes only. Anything else is dropped, whatever its name."""
    for name, value in src.attrib.items():
        if not isinstance(name, str):
            continue
        name = name.lower()
        value = safe_text(str(value)) or ""
        if name == "class":
            classes = [c for c in value.split() if not c.startswith("dc-")]
            if classes:
                dst.set("class", " ".join(classes)[:_MAX_CLASS])
        elif name == "id":
            if value and not value.startswith("dc-"):
                dst.set("id", value[:_MAX_ID])
        elif name == "title":
            dst.set("title", value[:_MAX_TITLE])
        elif name in _ATTR_RULES:
            rule = _ATTR_RULES[name]
            if rule is None or (isinstance(rule, frozenset) and value in rule) or (
                isinstance(rule, re.Pattern) and rule.fullmatch(value)
            ):
                dst.set(name, value[:_MAX_VALUE])


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
    if len(label) > _MAX_LABEL:
        label = label[:_MAX_LABEL - 1].rstrip() + "…"
    box = etree.Element("span")
    box.set("class", "dc-media")
    box.text = safe_text(f"[{kind}: {label}]" if label else f"[{kind}]")
    return box


def sanitised(
    body: Element | None,
    marks: dict[Element, Mark],
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
    page.text = safe_text(body.text)
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
                elif tag in PLACEHOLDER_TAGS:
                    node = _placeholder(child, PLACEHOLDER_TAGS[tag])
                    dst.append(node)
                work.append(child.tail or "")
                work.extend(reversed(child))
                work.append(child.text or "")
                if node is not None:
                    _annotate(child, node, marks, kept, partial, shown)
                    last = node
                continue
            if tag is not None and tag in PLACEHOLDER_TAGS:
                node = _placeholder(child, PLACEHOLDER_TAGS[tag])
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
                    node.text = safe_text(child.text)
                    stack.append((child, node))
            if node is None:
                # Dropped with its content; the text after it still belongs to the page.
                _append_text(dst, last, child.tail)
                continue
            _annotate(child, node, marks, kept, partial, shown)
            node.tail = safe_text(child.tail)
            last = node
    # Our own attributes go on last: the page's own data-dc-* never pass the allow list.
    page.set("id", "dc-page")
    page.set("class", " ".join(filter(None, ["dc-page", page.get("class")])))
    return page, shown


def _append_text(dst: etree._Element, last: etree._Element | None, text: str | None) -> None:
    text = safe_text(text)
    if not text:
        return
    if last is None:
        dst.text = (dst.text or "") + text
    else:
        last.tail = (last.tail or "") + text


def _annotate(
    src: Element,
    node: etree._Element,
    marks: dict[Element, Mark],
    kept: set[Element],
    partial: set[Element],
    shown: set[Element],
) -> None:
    mark = marks.get(src)
    classes = (node.get("class") or "").split()
    if mark is not None:
        shown.add(src)
        first = mark.removals[0]
        category = category_class(first.category)
        label = " + ".join(f"{r.category} · {r.rule}" for r in mark.removals)
        tooltip = _tooltip(src, mark)
        if src in partial:
            label += " (part)"
            tooltip += "\nOnly part of this element's text was removed (see the excerpt)."
            node.set("data-dc-partial", "")
        node.set("data-dc-category", category)
        node.set("data-dc-rule", safe_text(first.rule) or "")
        node.set("data-dc-index", " ".join(str(i) for i in mark.indices))
        node.set("data-dc-label", safe_text(label) or "")
        node.set("title", safe_text(tooltip) or "")
        classes.append(f"dc-cat-{category}")
    if src in kept:
        node.set("data-dc-kept", "")
        if mark is None:
            node.set("title", "kept: article text")
        classes.append("dc-kept")
    if classes:
        node.set("class", " ".join(classes))


def category_class(category: str) -> str:
    return category if _CATEGORY_NAME.fullmatch(category) else "other"


def _tooltip(src: Element, mark: Mark) -> str:
    """Which rule removed the element, and the markup that made it fire."""
    lines = [f"#{i + 1} {r.category} — {r.rule}" for i, r in zip(mark.indices, mark.removals,
                                                                 strict=True)]
    attributes = " ".join(
        f'{name}="{(src.get(name) or "")[:_MAX_LABEL]}"' for name in ("id", "class", "role")
        if src.get(name)
    )
    lines.append(f"<{src.tag}{' ' + attributes if attributes else ''}>")
    return "\n".join(lines)
