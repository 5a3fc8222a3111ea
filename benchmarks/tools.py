"""The extractors under test: a registry of name -> ``callable(html: str) -> text``.

Each tool is built lazily by a factory so that an extractor that is not
installed costs nothing and is simply reported as unavailable. Only the
``extract`` callable is timed; ``postprocess`` brings the output to the
README's format (plain text, paragraphs separated by a blank line) outside
the timed region, because that conversion is the harness's work, not the
tool's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .datasets import html_to_text

Extract = Callable[[str], "str | None"]


def _identity(text: str) -> str:
    return text


def lines_to_paragraphs(text: str) -> str:
    """One paragraph per non-empty line, for tools that put paragraphs on single lines.

    trafilatura separates paragraphs by one newline; without this the
    paragraph metric would see its whole output as one paragraph.
    """
    return "\n\n".join(line for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class Tool:
    name: str
    #: The timed call.
    extract: Extract
    #: Untimed conversion of the raw output to the README's text format.
    postprocess: Callable[[str], str] = _identity
    #: Untimed, in place of ``extract`` for the quality pass: the text and what the tool
    #: says of its own result (declutter: fallback used, article or not, confidence).
    probe: Callable[[str], tuple[str, dict[str, Any]]] | None = None
    version: str = ""


def _declutter() -> Tool:
    import declutter

    def probe(html: str) -> tuple[str, dict[str, Any]]:
        article = declutter.extract(html)
        details = {
            "fallback": article.fallback,
            "is_article": article.is_article,
            "confidence": article.confidence,
        }
        return article.text, details

    return Tool(
        "declutter",
        declutter.clean,
        probe=probe,
        version=getattr(declutter, "__version__", ""),
    )


def _declutter_nofallback() -> Tool:
    """declutter alone, without its trafilatura fallback: what the fallback buys."""
    import declutter

    options = declutter.Options(fallback=False)
    return Tool(
        "declutter-nofallback",
        lambda html: declutter.clean(html, options=options),
        version=getattr(declutter, "__version__", ""),
    )


def _declutter_everything() -> Tool:
    """declutter with ``articles_only=False``: its best text on pages of every kind (what
    the pages that are not one article would give a caller who asks for their text)."""
    import declutter

    options = declutter.Options(articles_only=False)
    return Tool(
        "declutter-all",
        lambda html: declutter.clean(html, options=options),
        version=getattr(declutter, "__version__", ""),
    )


def _trafilatura(name: str, **kwargs: bool) -> Callable[[], Tool]:
    def factory() -> Tool:
        import trafilatura

        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

        def extract(html: str) -> str | None:
            return trafilatura.extract(html, **kwargs)

        return Tool(name, extract, lines_to_paragraphs, version=trafilatura.__version__)

    return factory


def _readability() -> Tool:
    from importlib.metadata import version

    from readability import Document

    logging.getLogger("readability").setLevel(logging.CRITICAL)

    def extract(html: str) -> str:
        return Document(html).summary(html_partial=True)

    return Tool("readability-lxml", extract, html_to_text, version=version("readability-lxml"))


def _newspaper() -> Tool:
    from importlib.metadata import version

    from newspaper import Article

    def extract(html: str) -> str:
        article = Article("", fetch_images=False)
        article.download(input_html=html)
        article.parse()
        return article.text

    return Tool("newspaper4k", extract, version=version("newspaper4k"))


def _justext() -> Tool:
    from importlib.metadata import version

    import justext

    # jusText needs a stop-word list and has no language detection; like
    # trafilatura's fallback we use the union of all its languages' lists.
    stoplist: set[str] = set()
    for language in justext.get_stoplists():
        stoplist.update(justext.get_stoplist(language))
    frozen = frozenset(stoplist)

    def extract(html: str) -> str:
        paragraphs = justext.justext(html, frozen)
        return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return Tool("justext", extract, version=version("jusText"))


def _resiliparse() -> Tool:
    from importlib.metadata import version

    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    def extract(html: str) -> str:
        return extract_plain_text(HTMLTree.parse(html), main_content=True)

    return Tool("resiliparse", extract, version=version("resiliparse"))


def _alltext() -> Tool:
    # A baseline, not an extractor: every visible text of the page. It bounds
    # recall from above and shows how much boilerplate a page carries.
    return Tool("alltext", html_to_text)


#: Every known tool, in report order.
REGISTRY: dict[str, Callable[[], Tool]] = {
    "declutter": _declutter,
    "declutter-nofallback": _declutter_nofallback,
    "declutter-all": _declutter_everything,
    "trafilatura": _trafilatura("trafilatura"),
    "trafilatura-nocomments": _trafilatura("trafilatura-nocomments", include_comments=False),
    "trafilatura-precision": _trafilatura("trafilatura-precision", favor_precision=True),
    "readability-lxml": _readability,
    "newspaper4k": _newspaper,
    "justext": _justext,
    "resiliparse": _resiliparse,
    "alltext": _alltext,
}
DEFAULT_TOOLS = ("declutter", "trafilatura", "trafilatura-nocomments")
#: Baselines that ``--tools all`` leaves out; name them explicitly to run them.
EXPLICIT_ONLY = frozenset({"alltext", "declutter-nofallback", "declutter-all"})
#: The tool every speed ratio is relative to.
BASELINE = "trafilatura"


def load_tools(names: list[str], log: Callable[[str], None] = print) -> list[Tool]:
    """The requested tools that can be imported; the others are skipped with a message."""
    if names == ["all"]:
        names = [name for name in REGISTRY if name not in EXPLICIT_ONLY]
    tools = []
    for name in names:
        factory = REGISTRY.get(name)
        if factory is None:
            raise SystemExit(f"unknown tool {name!r}; known: {', '.join(REGISTRY)}")
        try:
            tools.append(factory())
        except Exception as error:  # ImportError, or a library broken mid-development
            log(f"{name}: not available ({type(error).__name__}: {error}), skipped")
    return tools
