"""Stage 6, render: kept blocks to plain text, Markdown or HTML.

Plain text is what corpora want: paragraphs separated by one blank line, a
list as one block with an item per line and no bullets, a table as one block
with a row per line and tab-separated cells.

Markdown and HTML are read by renderers and browsers, so page text is escaped
in both: a page that writes ``<script>`` or ``[x](javascript:...)`` as text
gets that text back, never markup or a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from html import escape
from typing import Any

from declutter._model.block import Block, Comment, Span

#: The heading of the comments' own section, after the body, in every format that has one.
COMMENTS_HEADING = "Comments"


def _groups(blocks: Iterable[Block]) -> Iterator[list[Block]]:
    """Blocks as rendered units: consecutive items of one list form one unit."""
    current: list[Block] = []
    for block in blocks:
        if current and block.kind == "list_item" and block.list_id == current[0].list_id:
            current.append(block)
            continue
        if current:
            yield current
        current = [block]
    if current:
        yield current


def render_text(blocks: Iterable[Block], title: str | None = None) -> str:
    units = ["\n".join(block.text for block in group) for group in _groups(blocks)]
    if title:
        units.insert(0, title)
    return "\n\n".join(units)


def render_comments_text(comments: Sequence[Comment]) -> str:
    """The comments section of the plain text output: a heading line, then each comment
    as its author and time on one line and its text, a blank line between comments."""
    units = [COMMENTS_HEADING]
    for comment in comments:
        head = _comment_head(comment)
        units.append(f"{head}\n{comment.text}" if head else comment.text)
    return "\n\n".join(units)


def _comment_head(comment: Comment) -> str:
    return " · ".join(part for part in (comment.author, comment.published) if part)


def render_markdown(
    blocks: Iterable[Block], title: str | None = None,
    comments: Sequence[Comment] | None = None,
) -> str:
    units = _markdown_units(blocks, title)
    if comments:
        units.append(f"## {COMMENTS_HEADING}")
        for comment in comments:
            lines: list[str] = []
            if comment.author or comment.published:
                author = f"**{_md_escape_line(comment.author)}**" if comment.author else ""
                published = _md_escape_line(comment.published or "")
                lines.extend((" · ".join(part for part in (author, published) if part), ""))
            for paragraph in comment.text.split("\n\n"):
                lines.extend((_md_text(paragraph).replace("\n", "  \n"), ""))
            units.append("\n".join(f"> {line}".rstrip() for line in lines[:-1]))
    return "\n\n".join(units)


def _markdown_units(blocks: Iterable[Block], title: str | None) -> list[str]:
    units: list[str] = [f"# {_md_escape_line(title)}"] if title else []
    for group in _groups(blocks):
        first = group[0]
        units.extend(_md_leading_images(first))
        if first.kind == "list_item":
            lines = []
            counters: dict[int, int] = {}
            for item in group:
                for deeper in [level for level in counters if level > item.level]:
                    del counters[deeper]  # a nested list that ended numbers afresh next time
                counters[item.level] = counters.get(item.level, 0) + 1
                marker = f"{counters[item.level]}." if item.ordered else "-"
                indent = "   " * item.level
                text = _md_inline(item.text, _after_leading_images(item))
                lines.append(f"{indent}{marker} {text}".replace("\n", "  \n" + indent + "  "))
            units.append("\n".join(lines))
        elif first.kind == "heading":
            level = min(max(first.level, 2), 6)
            marks = tuple(mark for mark in _after_leading_images(first)
                          if mark.kind not in _WHOLE_HEADING or mark.end - mark.start
                          < len(first.text))  # a heading set in bold is no bolder for it
            units.append(f"{'#' * level} {_md_inline(first.text, marks).replace(chr(10), ' ')}")
        elif first.kind == "quote":
            text = _md_inline(first.text, _after_leading_images(first))
            units.append("\n".join(f"> {line}" for line in text.split("\n")))
        elif first.kind == "preformatted":
            # Longer than any run of backticks in the text, which could otherwise close it.
            longest = max((len(run) for run in _BACKTICKS_RE.findall(first.text)), default=0)
            fence = "`" * max(3, longest + 1)
            units.append(f"{fence}\n{first.text}\n{fence}")
        elif first.kind == "table":
            units.append(_md_table(first.text))
        else:
            units.append(_md_inline(first.text, _after_leading_images(first)).replace("\n", "  \n"))
    return units


_BACKTICKS_RE = re.compile(r"`+")
#: Marks a heading does not repeat when they cover all of it.
_WHOLE_HEADING = frozenset({"strong", "emphasis"})
#: What makes text markup inside a line: raw HTML and autolinks (``<``), links and images
#: (``[``, ``]``), emphasis (``*``, and ``_`` at a word's edge: inside a word it is
#: none), code (backticks), entities (``&name;``), and the backslash that undoes an escape.
_MD_SPECIAL_RE = re.compile(r"[\\<\[\]*`]|(?<![^\W_])_|_(?![^\W_])|&(?=#?\w+;)")
#: What makes a line a block of another kind when it opens it: a heading, a quote, a list
#: item, a rule or a setext underline.
_MD_LINE_START_RE = re.compile(r"^(#|>|[-+=]|\d{1,9}[.)])(?=\s|$)", re.MULTILINE)


def _md_text(text: str) -> str:
    """Page text as Markdown that shows it as it is: every character that would make it
    markup (a link, emphasis, raw HTML, a heading) is escaped."""
    return _MD_LINE_START_RE.sub(_escape_line_start, _MD_SPECIAL_RE.sub(r"\\\g<0>", text))


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(1)  # "1." is escaped as "1\.": a backslash before a digit stays
    return f"{marker[:-1]}\\{marker[-1]}" if marker[0].isdigit() else f"\\{marker}"


def _md_escape_line(text: str) -> str:
    return _md_text(" ".join(text.split()))


def _leading_images(block: Block) -> list[Span]:
    """Images at the very start of a block: a figure before its caption, shown apart."""
    return [mark for mark in block.marks if mark.kind == "image" and mark.end == 0]


def _after_leading_images(block: Block) -> tuple[Span, ...]:
    return tuple(mark for mark in block.marks if mark.kind != "image" or mark.end != 0)


def _md_leading_images(block: Block) -> list[str]:
    return [_md_image(mark) for mark in _leading_images(block)]


def _md_image(mark: Span) -> str:
    alt = _md_text(" ".join(mark.alt.split()))
    return f"![{alt}]({_md_url(mark.url)})"


def _md_url(url: str) -> str:
    """A link target that stays one in Markdown: no space, parenthesis or angle bracket
    left to end it early (they are percent-encoded, as a browser sends them anyway)."""
    return re.sub(r"[\s()<>\\]", lambda m: f"%{ord(m.group()):02X}", url)


def _nested(text: str, marks: Iterable[Span]) -> list[tuple[str, Any]]:
    """The text and its marks as a sequence of ``("text", str)``, ``("open", Span)``,
    ``("close", Span)`` and ``("image", Span)``, properly nested: a mark that would cross
    another (none does in a page's tree) is left out, its text kept."""
    events: list[tuple[str, Any]] = []
    stack: list[Span] = []
    position = 0

    def close_until(offset: int) -> None:
        nonlocal position
        while stack and stack[-1].end <= offset:
            mark = stack.pop()
            if mark.end > position:
                events.append(("text", text[position:mark.end]))
                position = mark.end
            events.append(("close", mark))

    for mark in sorted(marks, key=lambda m: (m.start, -m.end)):
        if mark.start < position or mark.end > len(text):
            continue
        close_until(mark.start)
        if mark.start > position:
            events.append(("text", text[position:mark.start]))
            position = mark.start
        if mark.kind == "image":
            events.append(("image", mark))
            continue
        if mark.end <= mark.start or (stack and mark.end > stack[-1].end):
            continue
        events.append(("open", mark))
        stack.append(mark)
    close_until(len(text))
    if position < len(text):
        events.append(("text", text[position:]))
    return events


def _md_inline(text: str, marks: Iterable[Span]) -> str:
    """A block's text as Markdown, with its links, emphasis, code and images."""
    out: list[str] = []
    code: Span | None = None  # inside inline code: its text is shown as it is, at its end
    skipped: set[int] = set()  # emphasis that Markdown would not read as such here
    links: list[Span] = []  # the links open here, innermost last
    for event, value in _nested(text, marks):
        if code is not None:
            if event == "close" and value is code:
                out.append(_code_span(text[code.start:code.end]))
                code = None
        elif event == "text":
            if links and "\n" in value:
                # A link whose text runs over a line break is closed before the break and
                # opened again after it: each line's link stands alone, as line-by-line
                # readers (and some renderers) of Markdown expect.
                target = f"]({_md_url(links[-1].url)})"
                lines = [_md_text(line) for line in value.split("\n")]
                out.append(f"{target}\n[".join(lines).replace(f"[{target}", ""))
            else:
                out.append(_md_text(value))
        elif event == "image":
            out.append(_md_image(value))
        elif event == "open":
            if value.kind == "code":
                code = value
            elif value.kind == "link" and links:
                skipped.add(id(value))  # Markdown has no link inside a link: its text stays
            elif value.kind == "link":
                out.append("[")
                links.append(value)
            elif _flanks(text, value):
                out.append(_EMPHASIS[value.kind])
            else:
                skipped.add(id(value))
        elif id(value) in skipped:
            continue
        elif value.kind == "link":
            links.pop()
            out.append(f"]({_md_url(value.url)})")
        else:
            out.append(_EMPHASIS[value.kind])
    return "".join(out)


_EMPHASIS = {"emphasis": "*", "strong": "**"}


def _flanks(text: str, mark: Span) -> bool:
    """Whether Markdown reads ``*`` around ``text[start:end]`` as emphasis: the opening
    delimiter must start a word-like run and the closing one end it (CommonMark's
    flanking rules), which a mark ending in punctuation before a letter breaks."""
    first, last = text[mark.start], text[mark.end - 1]
    before = text[mark.start - 1] if mark.start else " "
    after = text[mark.end] if mark.end < len(text) else " "
    opens = not first.isspace() and (not _punct(first) or before.isspace() or _punct(before))
    closes = not last.isspace() and (not _punct(last) or after.isspace() or _punct(after))
    return opens and closes


def _punct(char: str) -> bool:
    return not char.isalnum() and not char.isspace()


def _code_span(text: str) -> str:
    """Inline code: fenced by more backticks than any run inside, padded when it starts
    or ends with one (CommonMark strips one space at each end)."""
    longest = max((len(run) for run in _BACKTICKS_RE.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_table(text: str) -> str:
    rows = [line.split("\t") for line in text.split("\n")]
    width = max(len(row) for row in rows)
    cells = [[_md_text(cell).replace("|", "\\|") for cell in row] + [""] * (width - len(row))
             for row in rows]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * width]
    lines.extend("| " + " | ".join(row) + " |" for row in cells[1:])
    return "\n".join(lines)


def render_html(
    blocks: Iterable[Block], title: str | None = None, language: str | None = None,
    comments: Sequence[Comment] | None = None,
) -> str:
    """A minimal, fully escaped HTML document: nothing from the page can run or load.
    Comments, when given, are a ``<section class="comments">`` after the body."""
    out: list[str] = []
    if title:
        out.append(f"<h1>{escape(title)}</h1>")
    for group in _groups(blocks):
        first = group[0]
        if first.kind == "list_item":
            out.append(_html_list(group))
        elif first.kind == "heading":
            level = min(max(first.level, 2), 6)
            out.append(f"<h{level}>{html_inline(first.text, first.marks)}</h{level}>")
        elif first.kind == "quote":
            out.append(f"<blockquote><p>{html_inline(first.text, first.marks)}</p></blockquote>")
        elif first.kind == "preformatted":
            out.append(f"<pre>{escape(first.text)}</pre>")
        elif first.kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in line.split("\t")) + "</tr>"
                for line in first.text.split("\n")
            )
            out.append(f"<table>{rows}</table>")
        else:
            out.append(f"<p>{html_inline(first.text, first.marks)}</p>")
    if comments:
        out.append(_html_comments(comments))
    lang = f' lang="{escape(language)}"' if language else ""
    head = f"<title>{escape(title)}</title>" if title else ""
    body = "\n".join(out)
    return (
        f'<!DOCTYPE html>\n<html{lang}><head><meta charset="utf-8">{_CSP}{head}</head>'
        f"<body>\n{body}\n</body></html>\n"
    )


def _html_comments(comments: Sequence[Comment]) -> str:
    out = [f'<section class="comments"><h2>{COMMENTS_HEADING}</h2>']
    for comment in comments:
        out.append('<article class="comment">')
        if comment.author or comment.published:
            meta = []
            if comment.author:
                meta.append(f'<b class="author">{escape(comment.author)}</b>')
            if comment.published:
                meta.append(f'<time datetime="{escape(comment.published)}">'
                            f"{escape(comment.published)}</time>")
            out.append(f'<p class="comment-meta">{" ".join(meta)}</p>')
        out.extend(f"<p>{html_inline(paragraph)}</p>" for paragraph in comment.text.split("\n\n"))
        out.append("</article>")
    out.append("</section>")
    return "".join(out)


def _html_list(items: list[Block]) -> str:
    """One list, its items nested by their level as on the page."""
    tag = "ol" if items[0].ordered else "ul"
    out = [f"<{tag}>"]
    depth = 0
    for index, item in enumerate(items):
        level = max(0, min(item.level, depth + 1 if index else 0))
        if index:
            if level > depth:
                out.append(f"<{tag}>")
            else:
                out.append("</li>")
                for _ in range(depth - level):
                    out.append(f"</{tag}></li>")
        depth = level
        out.append(f"<li>{html_inline(item.text, item.marks)}")
    out.append("</li>")
    for _ in range(depth):
        out.append(f"</{tag}></li>")
    out.append(f"</{tag}>")
    return "".join(out)


def html_inline(text: str, marks: Iterable[Span] = ()) -> str:
    """A block's text as escaped HTML, with its links, emphasis, code and images."""
    out: list[str] = []
    for event, value in _nested(text, marks):
        if event == "text":
            out.append(escape(value).replace("\n", "<br>"))
        elif event == "image":
            out.append(f'<img src="{escape(value.url)}" alt="{escape(value.alt)}">')
        elif event == "open":
            out.append(f'<a href="{escape(value.url)}">' if value.kind == "link"
                       else f"<{_HTML_TAGS[value.kind]}>")
        else:
            out.append(f"</{_HTML_TAGS[value.kind]}>")
    return "".join(out)


_HTML_TAGS = {"link": "a", "emphasis": "em", "strong": "strong", "code": "code"}


#: Defence in depth: were anything from the page ever to slip through unescaped, the
#: browser would still neither run it nor load anything.
_CSP = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'


