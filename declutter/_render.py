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
from collections.abc import Iterable, Iterator
from html import escape

from ._block import Block


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


def render_markdown(blocks: Iterable[Block], title: str | None = None) -> str:
    units: list[str] = [f"# {_md_escape_line(title)}"] if title else []
    for group in _groups(blocks):
        first = group[0]
        if first.kind == "list_item":
            lines = []
            counters: dict[int, int] = {}
            for item in group:
                counters[item.level] = counters.get(item.level, 0) + 1
                marker = f"{counters[item.level]}." if item.ordered else "-"
                indent = "   " * item.level
                text = _md_text(item.text)
                lines.append(f"{indent}{marker} {text}".replace("\n", "  \n" + indent + "  "))
            units.append("\n".join(lines))
        elif first.kind == "heading":
            level = min(max(first.level, 2), 6)
            units.append(f"{'#' * level} {_md_escape_line(first.text)}")
        elif first.kind == "quote":
            units.append("\n".join(f"> {_md_text(line)}" for line in first.text.split("\n")))
        elif first.kind == "preformatted":
            # Longer than any run of backticks in the text, which could otherwise close it.
            longest = max((len(run) for run in _BACKTICKS_RE.findall(first.text)), default=0)
            fence = "`" * max(3, longest + 1)
            units.append(f"{fence}\n{first.text}\n{fence}")
        elif first.kind == "table":
            units.append(_md_table(first.text))
        else:
            units.append(_md_text(first.text).replace("\n", "  \n"))
    return "\n\n".join(units)


_BACKTICKS_RE = re.compile(r"`+")


def _md_text(text: str) -> str:
    """Escape what would make page text markup: raw HTML and autolinks (``<``), links
    and images (``[``), and the backslash that would undo either escape."""
    return text.replace("\\", "\\\\").replace("<", "\\<").replace("[", "\\[")


def _md_escape_line(text: str) -> str:
    return _md_text(" ".join(text.split()))


def _md_table(text: str) -> str:
    rows = [line.split("\t") for line in text.split("\n")]
    width = max(len(row) for row in rows)
    cells = [[_md_text(cell).replace("|", "\\|") for cell in row] + [""] * (width - len(row))
             for row in rows]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * width]
    lines.extend("| " + " | ".join(row) + " |" for row in cells[1:])
    return "\n".join(lines)


def render_html(
    blocks: Iterable[Block], title: str | None = None, language: str | None = None
) -> str:
    """A minimal, fully escaped HTML document: nothing from the page can run or load."""
    out: list[str] = []
    if title:
        out.append(f"<h1>{escape(title)}</h1>")
    for group in _groups(blocks):
        first = group[0]
        if first.kind == "list_item":
            tag = "ol" if first.ordered else "ul"
            items = "".join(f"<li>{_inline(item.text)}</li>" for item in group)
            out.append(f"<{tag}>{items}</{tag}>")
        elif first.kind == "heading":
            level = min(max(first.level, 2), 6)
            out.append(f"<h{level}>{_inline(first.text)}</h{level}>")
        elif first.kind == "quote":
            out.append(f"<blockquote><p>{_inline(first.text)}</p></blockquote>")
        elif first.kind == "preformatted":
            out.append(f"<pre>{escape(first.text)}</pre>")
        elif first.kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in line.split("\t")) + "</tr>"
                for line in first.text.split("\n")
            )
            out.append(f"<table>{rows}</table>")
        else:
            out.append(f"<p>{_inline(first.text)}</p>")
    lang = f' lang="{escape(language)}"' if language else ""
    head = f"<title>{escape(title)}</title>" if title else ""
    body = "\n".join(out)
    return (
        f'<!DOCTYPE html>\n<html{lang}><head><meta charset="utf-8">{_CSP}{head}</head>'
        f"<body>\n{body}\n</body></html>\n"
    )


#: Defence in depth: were anything from the page ever to slip through unescaped, the
#: browser would still neither run it nor load anything.
_CSP = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'


def _inline(text: str) -> str:
    return escape(text).replace("\n", "<br>")
