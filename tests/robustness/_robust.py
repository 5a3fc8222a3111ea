"""Shared pieces of the robustness suite: the fuzzing budget and the output invariants.

Every test that feeds declutter hostile input checks the same things about
whatever comes back, so they live here once: text without control characters
or lone surrogates, JSON that round-trips, HTML that holds nothing but the
elements and attributes the renderer writes, Markdown whose page text cannot
become markup.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
from hypothesis import HealthCheck, settings

import declutter
from declutter import Article
from declutter._stages.links import SAFE_SCHEMES

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "samples"

#: In CI (``CI=true``) the fuzzers run a short, derandomized budget so a run is
#: repeatable; locally they draw new inputs every time. ``DECLUTTER_FUZZ_EXAMPLES``
#: overrides the count; ``python -m benchmarks.fuzz`` is the long run.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EXAMPLES = int(os.environ.get("DECLUTTER_FUZZ_EXAMPLES", "50" if IN_CI else "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=IN_CI,
    database=None if IN_CI else settings.default.database,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)

#: Seconds a scaled-down pathological page may take. Generous, because CI machines
#: are shared; the real figures are in the robustness benchmark.
PAGE_SECONDS = 15.0

#: C0 and C1 controls and DEL, except tab and line feed.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: What ``Article.to_html()`` may contain, and nothing else.
HTML_ELEMENTS = frozenset({
    "html", "head", "meta", "title", "body", "h1", "h2", "h3", "h4", "h5", "h6", "p", "br",
    "ul", "ol", "li", "blockquote", "pre", "table", "tr", "td",
    # marks (links, emphasis, code, images) and the comments' section
    "a", "em", "strong", "code", "img", "section", "article", "b", "time",
})
HTML_ATTRIBUTES = {("html", "lang"), ("meta", "charset"), ("meta", "http-equiv"),
                   ("meta", "content"), ("a", "href"), ("img", "src"), ("img", "alt"),
                   ("section", "class"), ("article", "class"), ("p", "class"), ("b", "class"),
                   ("time", "datetime")}
#: Attributes that hold an address: only of a scheme that neither runs nor embeds.
ADDRESS_ATTRIBUTES = {("a", "href"), ("img", "src")}


def sample_pages() -> list[bytes]:
    return [path.read_bytes() for path in sorted(SAMPLES_DIR.glob("*/page.html"))]


def assert_text(value: object, where: str) -> None:
    """Text that any terminal, file or JSON encoder accepts as is."""
    assert isinstance(value, str), (where, type(value))
    match = CONTROL_RE.search(value)
    assert match is None, f"{where}: control character {match.group()!r} in {value[:200]!r}"
    value.encode("utf-8")  # raises on a lone surrogate


def article_strings(article: Article) -> list[tuple[str, str]]:
    """Every string an Article carries, with a name for messages."""
    found: list[tuple[str, str]] = [("text", article.text)]
    for name in ("title", "published", "site_name", "language", "url", "description"):
        value = getattr(article, name)
        if value is not None:
            found.append((name, value))
    found.extend(("author", author) for author in article.authors)
    for index, block in enumerate(article.blocks):
        found.append((f"blocks[{index}].kind", block.kind))
        found.append((f"blocks[{index}].text", block.text))
    for index, removal in enumerate(article.removed):
        for name in ("category", "rule", "excerpt", "path", "tag"):
            found.append((f"removed[{index}].{name}", getattr(removal, name)))
    return found


def check_article(article: Article) -> None:
    """All invariants of one extraction result and its three renderings."""
    assert isinstance(article, Article)
    for where, value in article_strings(article):
        assert_text(value, where)
    assert json.loads(article.to_json()) == json.loads(json.dumps(article.to_dict()))
    check_html(article.to_html())
    check_markdown(article.to_markdown())


def check_html(page: str) -> None:
    """Only the renderer's own elements and attributes: nothing from the page is markup."""
    doc = lxml.html.document_fromstring(page.encode("utf-8"))
    for el in doc.iter():
        if not isinstance(el.tag, str):  # a comment or processing instruction
            raise AssertionError(f"non-element node {el!r} in the HTML rendering")
        assert el.tag in HTML_ELEMENTS, f"<{el.tag}> in the HTML rendering"
        for name in el.attrib:
            assert (el.tag, name) in HTML_ATTRIBUTES, f"<{el.tag} {name}=...> in the HTML"
            if (el.tag, name) in ADDRESS_ATTRIBUTES:
                assert_safe_address(el.get(name, ""))
        if el.tag == "meta" and "http-equiv" in el.attrib:
            assert el.get("http-equiv") == "Content-Security-Policy"
            assert el.get("content") == "default-src 'none'"


def assert_safe_address(url: str) -> None:
    """A link or image address the renderers may write: relative, or of a safe scheme."""
    scheme = urlsplit(url).scheme.lower()
    assert not scheme or scheme in SAFE_SCHEMES, f"unsafe address {url!r} in a rendering"
    assert not CONTROL_RE.search(url) and not any(c.isspace() for c in url), repr(url)


_FENCE_RE = re.compile(r"^(`{3,})$")
_ESCAPED_RE = re.compile(r"\\.")
#: The renderer's own inline code, links and images: page text inside them is escaped
#: (link text) or shown as it is (code), and their addresses are checked.
_LINK_RE = re.compile(r"!?\[([^\[\]]*)\]\(([^()\s]*)\)")


def _outside_code_and_escapes(line: str) -> str:
    """A Markdown line less its backslash escapes and its code spans, read as CommonMark
    reads them: an escaped backtick opens nothing, a code span ends at the next run of
    as many backticks."""
    out: list[str] = []
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line) and not line[index + 1].isalnum():
            index += 2
            continue
        if char == "`":
            run = len(line[index:]) - len(line[index:].lstrip("`"))
            fence = "`" * run
            end = index + run
            while True:
                found = line.find(fence, end)
                if found < 0 or line[found + run:found + run + 1] != "`":
                    break
                end = found + run + len(line[found + run:]) - len(line[found + run:].lstrip("`"))
            if found >= 0:
                index = found + run
                continue
            index += run  # no closing run: literal backticks
            continue
        out.append(char)
        index += 1
    return "".join(out)


def check_markdown(text: str) -> None:
    """Outside code fences, every ``<`` and ``[`` is escaped (no HTML, no links or images of
    the page's text) but in the renderer's own code spans, links and images."""
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE_RE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if line == fence:
                fence = None
            continue
        bare = _outside_code_and_escapes(line)
        for match in _LINK_RE.finditer(bare):
            assert_safe_address(match.group(2))
        bare = _LINK_RE.sub(r"\1", bare)
        assert "<" not in bare and "[" not in bare, f"unescaped markup in Markdown: {line!r}"


def run_both(page: str | bytes, options: declutter.Options | None = None) -> str | None:
    """``clean()`` and ``extract()`` on one page, checked; None when it was refused.

    The only error allowed for str or bytes input is a DeclutterError (NotHTMLError,
    InputTooLargeError); anything else propagates and fails the test.
    """
    try:
        text = declutter.clean(page, options=options)
    except declutter.DeclutterError:
        text = None
    else:
        assert_text(text, "clean()")
    try:
        article = declutter.extract(page, options=options)
    except declutter.DeclutterError:
        assert text is None, "extract() refused a page clean() accepted"
        return None
    assert text is not None, "clean() refused a page extract() accepted"
    check_article(article)
    return text
