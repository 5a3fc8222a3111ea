"""The explain report's document: the sanitised page framed by a header, a legend,
the clean text and the table of removals, with the one style and script a
Content-Security-Policy allows by hash (their text is in ``templates/`` beside this module).
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from importlib import resources

from lxml import etree

from declutter._model.article import CATEGORIES, Article, Removal
from declutter._report.sanitise import LANG_RE, category_class, safe_text
from declutter._stages.parse import Element

#: One colour per category, readable as a label background with white text.
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
    "standfirst": "#1a237e",
    "tags": "#827717",
    "author_bio": "#4e342e",
    "cookie": "#bf360c",
    "form": "#6a1b9a",
    "boilerplate": "#ad1457",
    "outside": "#78909c",
    "user": "#263238",
    "site": "#37474f",
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


def _template(name: str) -> str:
    """A file of ``templates/`` beside this module: the report's style and script are data, kept as
    the files a browser reads, not as strings inside code."""
    folder = resources.files("declutter").joinpath("_report", "templates")
    return folder.joinpath(name).read_text(encoding="utf-8")


#: The report's style: the template's two colours filled in, then one rule per category.
_CSS = (_template("explain.css").strip().replace("__OTHER_COLOUR__", _OTHER_COLOUR)
        .replace("__KEPT_COLOUR__", KEPT_COLOUR) + "\n" + _category_css() + "\n")

# The report's only script. It reads nothing from the page but data-dc-* attributes
# the report itself wrote, and looks elements up only with querySelector, which a
# page element cannot shadow (the sanitiser drops every "name" attribute anyway).
_JS = _template("explain.js").strip()


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


def document(
    article: Article,
    root: Element | None,
    page: etree._Element,
    shown: set[int],
    kept_count: int,
) -> str:
    language = root.get("lang") if root is not None else None
    if language and LANG_RE.fullmatch(language):
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
    return escape(safe_text(value) or "", quote=True)


def _legend(counts: dict[str, int]) -> str:
    items = [
        '<li><span class="dc-sw dc-kept-sw"></span>kept article block</li>'
    ]
    ordered = [c for c in CATEGORIES if c in counts] + sorted(
        c for c in counts if c not in CATEGORIES
    )
    for category in ordered:
        css = category_class(category)
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
        css = category_class(removal.category)
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
