"""The benchmark pages, decoded and paired with their references.

Every tool gets the very same ``str`` for a page, decoded by
:func:`decode_html` exactly as ``../shared/bench/README.md`` prescribes, so
that no tool wins or loses by guessing an encoding better than another. The
benchmark data is read at run time from the bench directory and never copied
into the repository.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lxml import etree
from lxml import html as lxml_html

from .metrics import split_lines, split_paragraphs
from .split import Part, part_of, site_of

#: Names of the datasets, in the order they are run and reported. ``wcxb-dev`` holds the
#: WCXB dev split's article pages, ``wcxb-other`` its pages of other kinds (forums,
#: products, listings, ...), which a news extractor should tell apart from articles.
BENCH_DATASETS = (
    "aeb", "readability", "trafilatura-eval", "news4k", "l3s-gn1", "wcxb-dev", "wcxb-other",
)
ALL_DATASETS = (*BENCH_DATASETS, "samples")
#: The folder each dataset is read from, under the bench directory.
FOLDERS = {"wcxb-other": "wcxb-dev"}

Kind = Literal["shingle", "snippet", "word"]


@dataclass(frozen=True)
class Page:
    """One page and what a perfect extractor would return for it.

    Shingle datasets fill ``reference`` and ``ref_paragraphs``; the snippet
    dataset fills ``with_snippets`` and ``without_snippets``.
    """

    name: str
    html: str
    reference: str | None = None
    ref_paragraphs: tuple[str, ...] = ()
    #: The reference marks paragraphs by line breaks alone (AEB): outputs are split the
    #: same way, so a list item or a <br> line counts as the unit it is in the reference.
    line_paragraphs: bool = False
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()
    is_article: bool | None = None
    #: the page's site (registrable host name) and the part of the set it falls in
    site: str = ""
    part: Part = "fit"
    #: what kind of page it is, where the set says so (WCXB: article, forum, product, ...)
    page_type: str = "article"


@dataclass(frozen=True)
class Dataset:
    """A named list of pages scored with one kind of metric.

    ``shingle``: the AEB shingle metric against a reference text; ``snippet``:
    trafilatura's must/must-not snippets; ``word``: WCXB's word metric against a
    reference text, with its snippets (the shingle metric is reported too).
    """

    name: str
    kind: Kind
    pages: tuple[Page, ...]


# --------------------------------------------------------------------------- decoding

_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def declared_charset(data: bytes) -> str | None:
    """The charset named in the first 4 KiB (XML declaration or ``<meta>``), first one wins."""
    head = data[:4096]
    found = [m for m in (_XML_ENCODING.search(head), _META_CHARSET.search(head)) if m]
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    return first.group(1).decode("ascii", "replace")


def decode_html(data: bytes) -> str:
    """Decode page bytes the README's way: BOM, valid UTF-8, declared charset, cp1252.

    A declared UTF-8 or ASCII is ignored at that step because the bytes were
    already found not to be valid UTF-8 (ASCII being a subset), so the
    declaration is wrong and cp1252 is the better guess.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    charset = declared_charset(data)
    if charset:
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            codec = None
        if codec and codec not in ("utf-8", "ascii"):
            return data.decode(codec, "replace")
    return data.decode("cp1252", "replace")


def read_maybe_gzip(path: Path) -> bytes:
    """The bytes of ``path``, or of ``path`` + ``.gz`` unzipped, whichever exists."""
    if path.exists():
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" else data
    return gzip.decompress(path.with_name(path.name + ".gz").read_bytes())


# --------------------------------------------------------------------------- HTML to text

#: Elements that start and end a paragraph (README, "Readability reference text").
BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 header hgroup hr
    html legend li main menu nav noscript ol option p pre section summary table tbody td tfoot
    th thead title tr ul""".split()
)
#: Elements whose content is not text a reader sees.
DROP_TAGS = frozenset({"script", "style", "template", "head", "svg", "math"})

_WS = re.compile(r"\s+")


class _TextBuilder:
    """Collects text into lines and paragraphs while the tree is walked."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.lines: list[str] = []
        self.parts: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)

    def line_break(self) -> None:
        line = _WS.sub(" ", "".join(self.parts)).strip()
        if line:
            self.lines.append(line)
        self.parts = []

    def paragraph_break(self) -> None:
        self.line_break()
        if self.lines:
            self.paragraphs.append("\n".join(self.lines))
        self.lines = []

    def text(self) -> str:
        self.paragraph_break()
        return "\n\n".join(self.paragraphs)


def html_to_text(markup: str) -> str:
    """Readability's expected HTML (or any HTML) as plain text, by the README's rules.

    Block elements delimit paragraphs, inline elements are glued to their
    neighbours without adding spaces, ``<br>`` breaks the line, and invisible
    content is dropped. The walk is iterative because real pages nest deeper
    than Python's recursion limit.
    """
    if not markup.strip():
        return ""
    try:
        # Bytes, because lxml refuses a str that carries an XML encoding declaration.
        parser = lxml_html.HTMLParser(encoding="utf-8")
        root = lxml_html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return ""
    out = _TextBuilder()
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag
        if closing:
            if tag in BLOCK_TAGS:
                out.paragraph_break()
            out.add(element.tail)
            continue
        if not isinstance(tag, str) or tag in DROP_TAGS:
            # Comments, processing instructions, dropped elements: only their tail is text.
            out.add(element.tail)
            continue
        if tag == "br":
            out.line_break()
            out.add(element.tail)
            continue
        if tag in BLOCK_TAGS:
            out.paragraph_break()
        out.add(element.text)
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    return out.text()


# --------------------------------------------------------------------------- loaders

Log = Callable[[str], None]


def _limited(items: Iterable[str], limit: int | None) -> list[str]:
    items = list(items)
    return items if limit is None else items[:limit]


def load_aeb(root: Path, limit: int | None = None, name: str = "aeb") -> Dataset:
    """ScrapingHub's benchmark; its paragraphs are separated by one or two newlines.

    newspaper4k's 2023 set and L3S-GN1's 2008 Google News pages share its layout (plus a
    ``site`` field, which wins over the URL's host where given) and its metric.
    """
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in _limited(sorted(truth), limit):
        entry = truth[page_id]
        reference = entry["articleBody"]
        html = decode_html(read_maybe_gzip(root / "html" / f"{page_id}.html.gz"))
        site = entry.get("site") or site_of(entry.get("url") or page_id)
        pages.append(
            Page(
                page_id,
                html,
                reference=reference,
                ref_paragraphs=tuple(split_lines(reference)),
                line_paragraphs=True,
                site=site,
                part=part_of(site),
            )
        )
    return Dataset(name, "shingle", tuple(pages))


def load_readability(root: Path, limit: int | None = None) -> Dataset:
    """Mozilla Readability's test pages; the reference is expected.html turned into text."""
    names = sorted(p.name for p in root.iterdir() if (p / "source.html.gz").exists())
    pages = []
    for name in _limited(names, limit):
        html = decode_html(read_maybe_gzip(root / name / "source.html.gz"))
        reference = html_to_text(decode_html(read_maybe_gzip(root / name / "expected.html.gz")))
        # Pages are named for their site, numbered when a site has several ("nytimes-3").
        site = re.sub(r"-\d+$", "", name)
        pages.append(
            Page(name, html, reference=reference, ref_paragraphs=tuple(split_paragraphs(reference)),
                 site=site, part=part_of(site))
        )
    return Dataset("readability", "shingle", tuple(pages))


def load_trafilatura_eval(root: Path, limit: int | None = None, log: Log = print) -> Dataset:
    """trafilatura's evaluation set: snippets that must and must not be extracted."""
    entries = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    missing = 0
    for key in _limited(entries, limit):
        entry = entries[key]
        path = root / "html" / f"{entry['file']}.gz"
        if not path.exists():
            missing += 1
            continue
        site = site_of(key if "://" in key else entry["file"])
        pages.append(
            Page(
                entry["file"],
                decode_html(read_maybe_gzip(path)),
                with_snippets=tuple(entry.get("with") or ()),
                without_snippets=tuple(entry.get("without") or ()),
                site=site,
                part=part_of(site),
            )
        )
    if missing:
        log(f"trafilatura-eval: {missing} page files missing, left out")
    return Dataset("trafilatura-eval", "snippet", tuple(pages))


def load_wcxb(root: Path, articles: bool, limit: int | None = None) -> Dataset:
    """WCXB's dev pages: the article pages, or (``articles=False``) the pages of other kinds.

    The reference is the human-reviewed main content; the snippets are WCXB's own.
    """
    pages = []
    for path in sorted((root / "ground-truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        page_type = truth.get("_internal", {}).get("page_type", {}).get("primary", "article")
        if (page_type == "article") != articles:
            continue
        html_path = root / "html" / f"{path.stem}.html.gz"
        if not html_path.exists():
            continue
        ground = truth["ground_truth"]
        reference = ground.get("main_content") or ""
        site = site_of(truth.get("url") or path.stem)
        pages.append(
            Page(
                path.stem,
                decode_html(read_maybe_gzip(html_path)),
                reference=reference,
                ref_paragraphs=tuple(split_paragraphs(reference)),
                with_snippets=tuple(ground.get("with") or ()),
                without_snippets=tuple(ground.get("without") or ()),
                is_article=articles,
                site=site,
                part=part_of(site),
                page_type=page_type,
            )
        )
        if limit is not None and len(pages) >= limit:
            break
    return Dataset("wcxb-dev" if articles else "wcxb-other", "word", tuple(pages))


def load_samples(root: Path, limit: int | None = None) -> Dataset:
    """The repository's own golden pages: ``<name>/page.html[.gz]``, expected.txt, meta.json."""
    names = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir()
        and (p / "expected.txt").exists()
        and ((p / "page.html").exists() or (p / "page.html.gz").exists())
    )
    pages = []
    for name in _limited(names, limit):
        folder = root / name
        reference = (folder / "expected.txt").read_text(encoding="utf-8")
        meta_path = folder / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        is_article = meta.get("is_article")
        pages.append(
            Page(
                name,
                decode_html(read_maybe_gzip(folder / "page.html")),
                reference=reference,
                ref_paragraphs=tuple(split_paragraphs(reference)),
                is_article=bool(is_article) if is_article is not None else None,
                site=name,
                page_type="article" if is_article is not False else "other",
            )
        )
    return Dataset("samples", "shingle", tuple(pages))


def load_datasets(
    names: Iterable[str],
    bench_dir: Path,
    samples_dir: Path,
    limit: int | None = None,
    log: Log = print,
) -> list[Dataset]:
    """The requested datasets that exist; the missing ones are skipped with a message."""
    loaders: dict[str, Callable[[Path], Dataset]] = {
        "aeb": lambda d: load_aeb(d, limit),
        "readability": lambda d: load_readability(d, limit),
        "trafilatura-eval": lambda d: load_trafilatura_eval(d, limit, log),
        "news4k": lambda d: load_aeb(d, limit, "news4k"),
        "l3s-gn1": lambda d: load_aeb(d, limit, "l3s-gn1"),
        "wcxb-dev": lambda d: load_wcxb(d, True, limit),
        "wcxb-other": lambda d: load_wcxb(d, False, limit),
    }
    datasets = []
    for name in names:
        if name == "samples":
            if not samples_dir.is_dir():
                log(f"samples: no directory {samples_dir}, skipped")
                continue
            dataset = load_samples(samples_dir, limit)
        else:
            folder = bench_dir / FOLDERS.get(name, name)
            if not folder.is_dir():
                log(f"{name}: no directory {folder}, skipped (see --bench-dir)")
                continue
            dataset = loaders[name](folder)
        if not dataset.pages:
            log(f"{name}: no pages found, skipped")
            continue
        datasets.append(dataset)
    return datasets
