"""Reader comments, apart from the story: who wrote each, when, and what.

The prune stage removes comment sections as chrome, whatever the options, so
the body text is the same with or without ``keep_comments``. When comments
are asked for, they are read from those removed sections, one
:class:`~declutter.Comment` per entry a comment system marks up as one
(WordPress and most blog engines: ``li.comment`` / ``id="comment-123"``;
schema.org ``Comment`` microdata), and never join the body text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from declutter._model.block import Comment
from declutter._rules.tables import SILENT_TAGS
from declutter._stages.parse import Element
from declutter._stages.prune import PrunedPage
from declutter._stages.segment import Segments

#: An element of these tags can be one comment when its class or id says so.
_ENTRY_TAGS = frozenset({"li", "article", "div", "section"})
_ENTRY_ID_RE = re.compile(r"^(?:li-|div-)?comment-?\d+$", re.IGNORECASE)
_ENTRY_CLASSES = frozenset({"comment", "comment-item", "comment-entry", "c-comment",
                            "commentlist-item", "comment-thread-item"})
#: Where a comment's own words are, by the names comment systems give them.
_CONTENT_CLASSES = ("comment-content", "comment-text", "comment__content", "comment-message",
                    "comment_text", "comment-body-text")
_AUTHOR_CLASSES = ("fn", "comment-author-name", "comment__author", "comment-author", "author",
                   "username")
#: Parts of an entry that are not the comment's words: its header, reply buttons, forms.
_NOT_WORDS_CLASSES = frozenset({"comment-meta", "comment-metadata", "comment-author", "reply",
                                "comment-reply", "comment-actions", "comment-footer", "says"})
_NOT_WORDS_TAGS = frozenset({"footer", "header", "form", "time", "button"})


def read_comments(page: PrunedPage) -> tuple[Comment, ...]:
    """The comments of the page's comment sections, in page order (replies after the
    comment they answer)."""
    comments: list[Comment] = []
    for section, (category, _) in page.dropped.items():
        if category != "comments":
            continue
        for entry in _entries(section):
            comment = _comment(entry)
            if comment is not None:
                comments.append(comment)
    return tuple(comments)


def _classes(el: Element) -> set[str]:
    return set((el.get("class") or "").lower().split())


def _is_entry(el: Element) -> bool:
    if el.tag not in _ENTRY_TAGS:
        return False
    itemtype = el.get("itemtype") or ""
    if itemtype.rstrip("/").lower().endswith(("schema.org/comment", "schema.org/usercomments")):
        return True
    return bool(_ENTRY_ID_RE.match(el.get("id") or "")) or bool(_classes(el) & _ENTRY_CLASSES)


def _entries(section: Element) -> list[Element]:
    """The comments of a section: its outermost entry elements, and replies (entries in a
    list inside an entry); an entry element right inside another without a list between
    them (``li.comment > article.comment-body``) is part of it."""
    found: list[Element] = []
    for el in section.iter(*_ENTRY_TAGS):
        if el is section or not _is_entry(el):
            continue
        holder = _entry_above(el, section)
        if holder is None or holder[1]:
            found.append(el)
    return found


def _entry_above(el: Element, section: Element) -> tuple[Element, bool] | None:
    """The nearest entry element above ``el`` in the section, and whether a list stands
    between them (``el`` is then a reply, not a part of it)."""
    listed = False
    for ancestor in el.iterancestors():
        if ancestor is section:
            return None
        if ancestor.tag in ("ol", "ul"):
            listed = True
        if isinstance(ancestor.tag, str) and _is_entry(ancestor):
            return ancestor, listed
    return None


def _listed_within(el: Element, entry: Element) -> bool:
    for ancestor in el.iterancestors():
        if ancestor is entry:
            return False
        if ancestor.tag in ("ol", "ul"):
            return True
    return False


def _replies(entry: Element) -> list[Element]:
    return [el for el in entry.iter(*_ENTRY_TAGS)
            if el is not entry and _is_entry(el) and _listed_within(el, entry)]


def _comment(entry: Element) -> Comment | None:
    replies = _replies(entry)
    skip: dict[Element, tuple[str, str]] = {reply: ("comments", "reply") for reply in replies}
    content = _first(entry, lambda el: bool(_classes(el) & set(_CONTENT_CLASSES))
                     or el.get("itemprop") in ("text", "commentText"), replies)
    if content is None:
        content = entry
        for el in entry.iter():
            if el is not entry and isinstance(el.tag, str) and (
                el.tag in _NOT_WORDS_TAGS or _classes(el) & _NOT_WORDS_CLASSES
            ):
                skip[el] = ("comments", "meta")
    text = _laid_out(content, skip)
    if not text:
        return None
    return Comment(text=text, author=_author(entry, replies), published=_time(entry, replies))


def _first(
    entry: Element, test: Callable[[Element], bool], replies: list[Element]
) -> Element | None:
    """The first element of ``entry`` (not of one of its replies) that passes ``test``."""
    for el in entry.iter():
        if el is entry or not isinstance(el.tag, str):
            continue
        if any(reply is el or _inside(el, reply) for reply in replies):
            continue
        if test(el):
            return el
    return None


def _inside(el: Element, container: Element) -> bool:
    return any(ancestor is container for ancestor in el.iterancestors())


def _author(entry: Element, replies: list[Element]) -> str | None:
    named = _first(entry, lambda el: el.get("itemprop") == "author", replies)
    if named is not None:
        name = named.find(".//*[@itemprop='name']")
        return _words(name if name is not None else named)
    for wanted in _AUTHOR_CLASSES:
        found = _first(entry, _has_class(wanted), replies)
        if found is not None:
            says = [el for el in found.iter() if "says" in _classes(el)]
            return _words(found, says)
    return None


def _has_class(name: str) -> Callable[[Element], bool]:
    return lambda el: name in _classes(el)


def _time(entry: Element, replies: list[Element]) -> str | None:
    found = _first(entry, lambda el: el.tag == "time"
                   or el.get("itemprop") in ("dateCreated", "datePublished"), replies)
    if found is None:
        return None
    return (found.get("datetime") or found.get("content") or "").strip() or _words(found)


def _words(el: Element, leave_out: list[Element] | None = None) -> str | None:
    skip = {item: ("comments", "meta") for item in leave_out or ()}
    return " ".join(_laid_out(el, skip).split()) or None


def _laid_out(el: Element, skip: dict[Element, tuple[str, str]]) -> str:
    """An element's visible words as the body's blocks are laid out: a paragraph a block,
    a blank line between them."""
    segmenter = Segments(skip, True, SILENT_TAGS)
    segmenter.block(el, el.tag) if isinstance(el.tag, str) else segmenter.walk(el)
    segmenter.flush()
    return "\n\n".join(block.text for block in segmenter.blocks)


__all__ = ["read_comments"]
