"""Metadata: what the page declares about itself (title, authors, date, site, language).

Read from what the prune walk already gathered (meta tags, JSON-LD, the
canonical link, ``<time>`` and ``<h1>`` elements), in the order of how much
each source can be trusted; no second walk over the page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from declutter._model.article import Article
from declutter._rules.thresholds import AUTHOR_NAME_CHARS, JSONLD_OBJECTS, SITE_NAME_CHARS
from declutter._stages.decode import clean_text
from declutter._stages.parse import text_of
from declutter._stages.prune import PrunedPage

_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
     "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "scholarlyarticle",
     "techarticle", "report", "liveblogposting", "socialmediaposting", "posting"}
)
_TITLE_SEPARATORS = re.compile(r"\s+[|–—\-:·•»]\s+")
_PUBLISHED_KEYS = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "pubdate", "publishdate", "publish-date", "date", "dc.date", "dc.date.issued",
    "dcterms.date", "sailthru.date", "parsely-pub-date", "publication_date", "article.published",
)
_AUTHOR_KEYS = (
    "author", "article:author", "dc.creator", "parsely-author", "sailthru.author",
)


@dataclass(frozen=True)
class Declared:
    """What the page declares about its article, read once after the prune walk and
    handed to the stages that need it (locate, filter, the verdict)."""

    #: the headline, for the filter to drop its repeats
    headline: str | None
    #: the standfirst as the page declares it (meta description)
    description: str | None
    #: the article text the page declares in JSON-LD (``articleBody``), to confirm the region
    article_body: str | None
    #: what the page says it is: "article", "forum", "product", "listing", "website" or None
    kind: str | None
    #: the page's JSON-LD objects, and the first one of an article type ({} when none)
    objects: tuple[dict[str, Any], ...]
    article: dict[str, Any]
    #: the page is a live blog (JSON-LD LiveBlogPosting): entries with a time line each
    live_blog: bool = False


def declarations(page: PrunedPage) -> Declared:
    objects = tuple(_jsonld_objects(page.jsonld)) if page.jsonld else ()
    article = next((obj for obj in objects if _types(obj) & _ARTICLE_TYPES), {})
    body = None
    if any("articleBody" in text for text in page.jsonld):  # most pages: no body declared
        body = _text(article.get("articleBody"))
    return Declared(
        headline=_headline(page),
        description=_clean(page.meta.get("og:description") or page.meta.get("description")),
        article_body=body,
        kind=_declared_article(page.meta, article, objects),
        objects=objects,
        article=article,
        live_blog=any("liveblogposting" in _types(obj) for obj in objects),
    )


def _headline(page: PrunedPage) -> str | None:
    """The article's headline, cheaply: what the text filter needs to drop repeats."""
    meta = page.meta
    site = meta.get("og:site_name")
    for candidate in (meta.get("og:title"), meta.get("twitter:title")):
        if candidate:
            return _strip_site(candidate, site)
    for h1 in page.h1:
        text = " ".join(text_of(h1).split())
        if text:
            return text
    if page.title_tag:
        return _strip_site(" ".join(page.title_tag.split()), site) or None
    return None


def read_metadata(page: PrunedPage, declared: Declared, url: str | None) -> Article:
    """An Article holding the page's metadata and no text yet: the pipeline fills in the
    rest, so the metadata fields are named once, in the result type."""
    meta = page.meta
    ld = declared.article
    site = meta.get("og:site_name") or _name(ld.get("publisher")) or meta.get("application-name")
    title = _first_text(page) or _text(ld.get("headline")) or declared.headline
    return Article(
        text="",
        title=title,
        authors=_authors(ld, meta, page),
        published=_published(ld, meta, page),
        site_name=_clean(site),
        language=_language(page, meta),
        url=_url(page, meta, url),
        description=_clean(
            meta.get("og:description") or meta.get("description")
            or meta.get("twitter:description") or _text(ld.get("description"))
        ),
    )


def _first_text(page: PrunedPage) -> str | None:
    meta = page.meta
    site = meta.get("og:site_name")
    og = meta.get("og:title") or meta.get("twitter:title")
    h1s = [" ".join(text_of(h1).split()) for h1 in page.h1]
    h1s = [text for text in h1s if text]
    if og:
        og = _strip_site(" ".join(og.split()), site)
        for text in h1s:
            if text.casefold() == og.casefold() or text.casefold() in og.casefold():
                return text
        return og
    return h1s[0] if h1s else None


def _strip_site(title: str, site: str | None) -> str:
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        if site and parts[-1].strip().casefold() == site.strip().casefold():
            return title[: title.rfind(parts[-1])].rstrip(" |–—-:·•»")
        if site and parts[0].strip().casefold() == site.strip().casefold():
            return title[len(parts[0]):].lstrip(" |–—-:·•»")
        if not site and len(parts[-1]) < SITE_NAME_CHARS and len(parts[0]) > SITE_NAME_CHARS:
            return title[: title.rfind(parts[-1])].rstrip(" |–—-:·•»")
    return title.strip()


def _clean(value: Any) -> str | None:
    """A metadata string as text: JSON escapes can smuggle in controls and lone surrogates."""
    if not isinstance(value, str):
        return None
    value = " ".join(clean_text(value).split())
    return value or None


def _text(value: Any) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    return _clean(value)


def _name(value: Any) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        return _clean(value.get("name"))
    return _clean(value)


def _jsonld_objects(texts: tuple[str, ...]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for text in texts:
        try:
            data = json.loads(text, strict=False)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(found) < JSONLD_OBJECTS:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))
    return found


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.casefold() for k in kinds if isinstance(k, str)}


#: JSON-LD types that make a page something other than an article, unless an article type
#: stands beside them: what each makes it.
_OTHER_KINDS = (
    ("forum", frozenset({"qapage", "discussionforumposting"})),
    ("product", frozenset({"product", "productgroup"})),
    ("listing", frozenset({"collectionpage", "searchresultspage", "profilepage", "itemlist"})),
)


def _declared_article(
    meta: dict[str, str], ld: dict[str, Any], objects: tuple[dict[str, Any], ...]
) -> str | None:
    """What the page says it is: "article" (a JSON-LD article type, or og:type article),
    "forum", "product" or "listing" (JSON-LD types of those pages, which outrank an
    og:type article: many engines print that on every page), "website" (og:type website:
    home pages, but also many plain pages), or None."""
    if ld:
        return "article"
    types = set().union(*(_types(obj) for obj in objects)) if objects else set()
    og_type = meta.get("og:type", "").casefold()
    if _is_review(types, objects, og_type):
        return "article"
    for kind, names in _OTHER_KINDS:
        if types & names:
            return kind
    if og_type == "article":
        return "article"
    if og_type == "website":
        return "website"
    return None


#: JSON-LD types of a critic's review: an article about a thing, whatever the thing is.
_REVIEW_TYPES = frozenset({"review", "criticreview"})


def _is_review(types: set[str], objects: tuple[dict[str, Any], ...], og_type: str) -> bool:
    """True for a review: a Review the page declares, or, on a page that calls itself an
    article, a Product holding one review (a shop's product lists many, and says it is a
    product page)."""
    if types & _REVIEW_TYPES and not types & {"product", "productgroup"}:
        return True
    if og_type != "article":
        return False
    for obj in objects:
        review = obj.get("review")
        if isinstance(review, list) and len(review) == 1:
            review = review[0]
        if isinstance(review, dict) and _types(review) & _REVIEW_TYPES:
            return True
    return bool(types & _REVIEW_TYPES)


def _split_names(value: str) -> list[str]:
    value = re.sub(r"^\s*(?:by|von|por|par)\s+", "", value, flags=re.IGNORECASE)
    parts = re.split(r"\s*(?:,|;|\band\b|\bund\b|\by\b|\bet\b|\be\b|&)\s*", value)
    return [" ".join(part.split()) for part in parts if part and part.strip()]


def _authors(ld: dict[str, Any], meta: dict[str, str], page: PrunedPage) -> tuple[str, ...]:
    names: list[str] = []
    author = ld.get("author") or ld.get("creator")
    items = author if isinstance(author, list) else [author]
    for item in items:
        name = _name(item)
        if name and not name.startswith("http"):
            names.append(name)
    if not names:
        for key in _AUTHOR_KEYS:
            value = meta.get(key)
            if value and not value.startswith("http"):
                names.extend(_split_names(value))
                break
    unique: list[str] = []
    for name in names:
        if name not in unique and len(name) < AUTHOR_NAME_CHARS:
            unique.append(name)
    return tuple(unique)


def _iso(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    candidate = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        datetime.fromisoformat(candidate)
        return value
    except ValueError:
        pass
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%d.%m.%Y",
                "%a, %d %b %Y %H:%M:%S %z", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).isoformat()
        except ValueError:
            continue
    return None


def _published(ld: dict[str, Any], meta: dict[str, str], page: PrunedPage) -> str | None:
    for key in _PUBLISHED_KEYS:
        found = _iso(meta.get(key))
        if found:
            return found
    found = _iso(_text(ld.get("datePublished"))) or _iso(_text(ld.get("dateCreated")))
    if found:
        return found
    for el in page.times:
        found = _iso(el.get("datetime"))
        if found:
            return found
    return None


def _language(page: PrunedPage, meta: dict[str, str]) -> str | None:
    value = page.root.get("lang") or page.root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not value:
        value = meta.get("content-language") or meta.get("og:locale") or meta.get("language")
    if not value:
        return None
    primary = re.split(r"[-_,;\s]", value.strip())[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _url(page: PrunedPage, meta: dict[str, str], url: str | None) -> str | None:
    for candidate in (page.canonical, meta.get("og:url")):
        if candidate:
            try:
                resolved = urljoin(url, candidate) if url else candidate
                if urlsplit(resolved).scheme in ("http", "https"):
                    return resolved
            except ValueError:  # a malformed address ("http://[x/") is no address
                continue
    return url


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None
