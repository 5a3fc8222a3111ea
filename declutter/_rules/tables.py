"""Every rule declutter applies, as data, compiled once at import.

Three kinds of rule, read top to bottom:

1. Markup rules: which tags, roles and class/id names mark an element as
   boilerplate (``TAG_RULES``, ``ROLE_RULES``, ``CLASS_RULES``), and which
   class/id names mark the article body (``BODY_CLASSES``).
2. Label lexicons: phrases that make a block boilerplate by its text alone
   ("Advertisement", "READ: ...", "Lesen Sie auch"), one data file per
   category under ``lexicons/``, in many languages.
3. Text patterns: captions and credits, bylines and datelines.

A rule never edits text: it decides whether a whole element, block or line
stays. The rule's name travels into the removal record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from declutter._rules.thresholds import BYLINE_CHARS, LINE_PATTERN_CHARS

# ---------------------------------------------------------------------------
# 1. Markup rules
# ---------------------------------------------------------------------------

#: Elements never holding article text: dropped without a removal record.
SILENT_TAGS = frozenset(
    "script style noscript template svg math canvas iframe frame frameset object "
    "video audio picture img map area link meta base head title "
    "input select option optgroup textarea button datalist output meter progress".split()
)

#: Elements whose tag alone says what they are: tag -> category.
TAG_RULES: dict[str, str] = {
    "nav": "navigation",
    "aside": "sidebar",
    "footer": "footer",
    "header": "header",
    "form": "form",
    "figcaption": "caption",
    "dialog": "hidden",
    "menu": "navigation",
}

#: ARIA landmark roles that mark page chrome: role -> category.
ROLE_RULES: dict[str, str] = {
    "navigation": "navigation",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "search": "form",
    "dialog": "hidden",
    "alertdialog": "hidden",
    "menu": "navigation",
    "menubar": "navigation",
}

#: Class/id rules: (category, rule name, alternatives). An alternative matches a whole
#: hyphen/underscore/space-separated part of a class or id value; ``token:`` rules must
#: match a whole class token (so ``hidden`` does not catch Bootstrap's ``hidden-xs``).
#: The first rule that matches wins, so specific rules come before general ones.
CLASS_RULES: tuple[tuple[str, str, str], ...] = (
    # author boxes before bylines: "author-bio" is a bio, "author" alone a byline
    ("author_bio", "class:author-bio",
     r"author-?(?:bio|box|info|card|profile|details|about|description)|about-?(?:the-?)?author"
     r"|bio-?box|contributor-?bio"),
    # ad slots: generic names, GPT/DFP, AdSense, native-ad and recommendation vendors
    ("ad", "class:ad",
     r"ads?|adv|advert|adverts|advertisement|advertisements|advertising|adslot|ad-?slot"
     r"|adunit|ad-?unit|adbox|ad-?container|ad-?wrapper|adsense|adsbygoogle|dfp|gpt-?ad"
     r"|google-?ads?|sponsor|sponsored|sponsors|sponsorship|promoted|native-?ad|commercial"
     r"|taboola|outbrain|teads|mgid|revcontent|zergnet|dianomi|anzeige|werbung|publicidad"
     r"|pubblicita|reklama|promo|promos|affiliate-?(?:box|links?|disclosure)|product-?card"
     r"|buy-?box|deal-?box|shopping-?widget"),
    # related links, recirculation modules, most-read lists
    ("related", "class:related",
     r"related|relatedposts|related-?(?:posts?|articles?|stories|content|links?|news)"
     r"|recommended|recommendations?|recirc|recirculation|read-?more|read-?next|also-?read"
     r"|more-?(?:stories|news|articles|from|on)|most-?(?:read|popular|viewed|shared)|trending"
     r"|popular|you-?may-?like|further-?reading|see-?also|suggested|teasers?|next-?article"
     r"|rel-?links|lesen-?sie-?auch|mehr-?zum-?thema|leia-?tambem|lire-?aussi|inline-?links?"),
    # share and follow widgets
    ("share", "class:share",
     r"share|shares|sharing|sharer|sharedaddy|share-?(?:bar|tools|buttons?|links?|icons?)"
     r"|social|socials|social-?(?:share|media|links|icons|bar|buttons?)|sharethis|addthis"
     r"|addtoany|a2a|shariff|follow-?us|print-?button|email-?share"),
    # captions and credits of images and videos
    ("caption", "class:caption",
     r"caption|captions|figcaption|wp-?caption-?text|credit|credits|image-?credit"
     r"|photo-?credit|img-?caption|media-?caption|image-?caption|copyright-?image"),
    # standfirst (dek): the summary under the headline; article text, removed only on
    # request (Options.include_standfirst)
    ("standfirst", "class:standfirst",
     r"standfirst|dek|deck|subtitle|sub-?title|strapline|subtitulo|chapo"
     r"|article-?chapo|article-?summary|story-?summary|article-?excerpt|article-?dek"),
    # the kicker: a section label over the headline
    ("header", "class:kicker", r"kicker"),
    # bylines and datelines
    ("byline", "class:byline",
     r"byline|bylines|by-?line|author|authors|author-?name|writer|reporter|posted-?by"),
    ("dateline", "class:dateline",
     r"dateline|date|timestamp|pubdate|publish-?date|published-?date|post-?date"
     r"|entry-?date|article-?date|last-?updated|time-?stamp|meta-?date"),
    # "published" and "updated" name a date only as a class of their own (hAtom): as part
    # of a longer name they are a state ("paragraph-published", "is-updated")
    ("dateline", "class:dateline", r"token:(?:published|updated)"),
    # newsletter, subscription and paywall prompts
    ("newsletter", "class:newsletter",
     r"newsletter|newsletters|subscribe|subscription|signup|sign-?up|optin|opt-?in"
     r"|mailing-?list|email-?signup|nl-?signup|boletin|suscripcion|suscribete|abonnement"
     r"|inscription-?newsletter"),
    ("paywall", "class:paywall",
     r"paywall(?![-_]?(?:fade|faded|truncated?))|piano|regwall|premium-?wall|meter|metered"
     r"|subscriber-?only|offer-?wall"),
    # comment sections
    ("comments", "class:comments",
     r"comment|comments|commentlist|comment-?list|disqus|respond|replies|reply"
     r"|coral|viafoura|livefyre|spot-?im|openweb|discussion|talkback"),
    # cookie and consent banners
    ("cookie", "class:cookie",
     r"cookie|cookies|consent|gdpr|cmpbox|cmp-?(?:banner|consent|popup|dialog)|qc-?cmp\d*"
     r"|onetrust|didomi|privacy-?banner|cc-?banner"),
    # navigation, site header and footer, sidebars
    ("navigation", "class:navigation",
     r"nav|navbar|navigation|menu|menus|breadcrumb|breadcrumbs|pagination|pager|skip-?link"
     r"|skip-?links|site-?nav|main-?nav|jump-?links"),
    ("header", "class:header",
     r"site-?header|page-?header|global-?header|masthead|top-?bar|topbar|header-?(?:wrapper"
     r"|container|nav|top|main|inner)|article-?header|entry-?header|post-?header"
     r"|story-?header|headline-?wrapper"),
    ("footer", "class:footer", r"footer|site-?footer|page-?footer|colophon"),
    ("sidebar", "class:sidebar",
     r"sidebar|side-?bar|rail|right-?rail|left-?rail|aside|widgets|widget-?area"),
    ("tags", "class:tags",
     r"tags|tag-?list|tagcloud|tag-?cloud|post-?tags|entry-?tags|tags-?links|cat-?links"
     r"|keywords|categories|topics-?list"),
    # overlays and players that are never article text
    ("boilerplate", "class:overlay",
     r"popup|modal|overlay|lightbox|interstitial|toast|banner-?ad|video-?player|player"
     # cards shown on hover over a name in the text ("rollover" is the older word); the
     # name itself ("rollover-people-link") is a word of the sentence
     r"|rollover(?:-[a-z]+)?-(?:block|card|box|popup)|hover(?:-[a-z]+)?-(?:block|card|box|popup)"
     r"|hover-?card|popover"
     # sliders of teasers and products; a gallery or slideshow may be the story itself
     r"|carousel"),
    ("hidden", "class:hidden",
     r"token:(?:hidden|hide|d-none|sr-only|screen-reader-text|visually-hidden|visuallyhidden"
     r"|is-hidden|u-hidden|element-invisible|invisible|offscreen|print-only|noscript)"),
    # the logo and address a page prints at the top of a printout
    ("hidden", "class:print",
     r"print-?header|print-?footer|print-?logo|print-?url|visible-?print|show-?for-?print"),
)

#: Class/id values that name the article body itself. An element with one of these
#: is never dropped for its other class names ("article-body has-ads").
#: Compound names of the body container ("article-body", "post-content"), optionally
#: behind a one- or two-letter namespace ("l-", "c-", "js-" in BEM-style markup) and
#: before a layout word ("-segment", "-wrapper"). Specific enough to tell a wrapper
#: around the article from a sidebar, which "content" alone is not.
BODY_COMPOUNDS = (
    r"(?:[a-z]{1,2}-)?"
    r"(?:article|story|entry|post|blog|news|main|page|single|field-name)"
    r"[-_]*(?:body|content|text|copy|inner|main|entry)"
    r"(?:[-_]*(?:inner|wrapper|container|segment|section|area|region|wrap|holder|block))?"
    r"|articlebody|storybody|main-?content|body-?text"
)
BODY_CLASSES = rf"{BODY_COMPOUNDS}|content|article|story|post|entry"

# ---------------------------------------------------------------------------
# 2. Label lexicons (data files under rules/)
# ---------------------------------------------------------------------------

#: The categories that have a lexicon file, in the order they are tried.
LEXICON_CATEGORIES = (
    "ad", "related", "share", "newsletter", "paywall", "comments", "tags", "navigation",
)

#: Characters that frame a label without being part of it ("» READ:", "• Share", "[Ad]").
_FRAME = " \t\n:|•·–—-»›>«<()[]{}*_.,!?…/\\#@▶►▸→⟩\"'“”‘’"


def normalize_label(text: str) -> str:
    """The form in which a block is compared with exact labels."""
    return " ".join(text.split()).strip(_FRAME).casefold()


@dataclass(frozen=True)
class Lexicon:
    """One category's labels: whole-block phrases, and the patterns of its openings
    (longest first, so "read more:" is tried before "read:")."""

    category: str
    exact: frozenset[str]
    openings: tuple[str, ...]


def _prefix_pattern(phrase: str) -> str:
    words = [re.escape(word) for word in phrase.split()]
    pattern = r"\s+".join(words)
    # Let punctuation that ends a label stand apart from its word ("Lire aussi :").
    pattern = re.sub(r"(\\?[:|])$", r"\\s*\1", pattern)
    if phrase[-1].isalnum():
        return pattern + r"(?=[\s:|\-–—»›]+\S)"
    return pattern + r"\s*(?=\S)"


def _load_lexicon(category: str) -> Lexicon:
    lexicons = resources.files("declutter").joinpath("_rules", "lexicons")
    text = lexicons.joinpath(f"{category}.txt").read_text("utf-8")
    exact: set[str] = set()
    prefixes: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("…"):
            prefixes.append(_prefix_pattern(line[:-1].strip()))
        else:
            exact.add(normalize_label(line))
    prefixes.sort(key=len, reverse=True)
    return Lexicon(category, frozenset(exact), tuple(prefixes))


LEXICONS: tuple[Lexicon, ...] = tuple(_load_lexicon(name) for name in LEXICON_CATEGORIES)
#: Every exact label with its (category, rule): the first category that lists it wins.
_LABELS: dict[str, tuple[str, str]] = {}
for _lexicon in reversed(LEXICONS):
    _LABELS.update(dict.fromkeys(_lexicon.exact, (_lexicon.category, f"label:{_lexicon.category}")))
#: The longest exact label: a longer block is none of them.
LONGEST_LABEL = max(map(len, _LABELS))
#: Every category's openings in one expression, categories in order (the first wins).
_PREFIX_RE = re.compile(
    r"[\s•·»›▶►▸→*\-–—]*(?:"
    + "|".join(
        f"(?P<c{index}>{'|'.join(lexicon.openings)})"
        for index, lexicon in enumerate(LEXICONS)
        if lexicon.openings
    )
    + ")",
    re.IGNORECASE,
)


def label_of(key: str) -> tuple[str, str] | None:
    """(category, rule) when a whole block, in its ``normalize_label`` form, is a label
    of some category."""
    return _LABELS.get(key) if key else None


def match_prefix(text: str) -> tuple[str, str] | None:
    """(category, rule) when the block opens with a label of some category."""
    match = _PREFIX_RE.match(text)
    if match is None or match.lastgroup is None:
        return None
    category = LEXICONS[int(match.lastgroup[1:])].category
    return category, f"prefix:{category}"

# ---------------------------------------------------------------------------
# 3. Text patterns: captions and credits, bylines, datelines
# ---------------------------------------------------------------------------

#: "Image: self", "Photo: AP", "(Im: @Account/Twitter)", "Image source, Getty Images",
#: "Photograph: Name/Reuters", "Foto: dpa"; behind a short segment and a bar, as templates
#: print an empty field before the label ("null | Image: self", "undefined | Photo: AP")
CAPTION_RE = re.compile(
    r"^[\s(\[]*(?:[\w-]{1,12}\s*\|\s*)?(?:image|images|photo|photos|photograph|photography|picture|pic"
    r"|img|im|foto|fotos|fotografía|fotografia|bild|imagen|immagine|illustration|video|graphic"
    r"|file photo|credit|credits|source|quelle|crédit|crédito|créditos|фото|image source"
    r"|image caption|media caption|photo credit|image credit|photo illustration"
    r"|bildquelle|copyright)\s*(?:source|credit|caption|courtesy)?\s*[:,|]",
    re.IGNORECASE,
)

#: Picture agencies and credit marks that make a short line a credit.
#: Whole words only: "epa" is no credit inside "Department", nor "pti" inside "Options".
CREDIT_RE = re.compile(
    r"©|\(c\)|(?<!\w)(?:getty images|ap photo|associated press|reuters|afp|dpa|epa|efe|ansa"
    r"|shutterstock|istock|alamy|pti|ians|xinhua|anadolu|picture alliance|picture-alliance"
    r"|imago|bloomberg|keystone|sipa|abaca|newscom|zuma|courtesy|handout|twitter|instagram"
    r"|facebook|file photo|wikimedia|unsplash)(?!\w)",
    re.IGNORECASE,
)

#: "By Jane Doe", "Reported by: Bhavya Sukheja", "Von Max Mustermann", "Por ...".
BYLINE_RE = re.compile(
    r"^(?:by|from|von|por|par|di|da|door|av|af|от|autor|autora|author|authors|reported by"
    r"|written by|posted by|words by|story by|text|texto|texte|edited by|reporting by"
    r"|redacción|redaktion|rédaction)\s*:?\s+(?=\S)",
    re.IGNORECASE,
)

#: Short lines that are boilerplate by their wording, whatever their markup: (category,
#: rule, pattern). Each pattern matches at the start of a block of at most
#: LINE_PATTERN_CHARS (the "opening" table) or anywhere in it (the "anywhere" table).
LINE_OPENINGS: tuple[tuple[str, str, str], ...] = (
    # copyright notices: "© 2025 Example News", "Copyright 2024 The Associated Press"
    ("boilerplate", "pattern:copyright",
     r"\W*(?:©|\(c\)\s|copyright\s*(?:©|\(c\)|\d{4}))"
     r"|this material may not be published, broadcast, rewritten,? or redistributed"),
    # who reported, wrote and edited the story (Reuters, AP, Canadian Press style)
    ("byline", "pattern:credits",
     r"\W*(?:(?:with\s+)?additional\s+reporting|reporting|writing|editing|compiled"
     r"|research|graphics|production)\s+by\s+(?-i:[A-ZÀ-Þ])"
     r"|\W*with (?:files|a report|reporting|additional reporting) (?:from|by)\s"
     r"|\W*(?:mit material von|mit agenturmaterial|con información de|avec l'afp\b"
     r"|com informações d[aeo]s?)"),
    # view, hit and comment counters: "1,240 views", "Hits: 532", "12 Comments"
    ("boilerplate", "pattern:counter",
     r"\W*\d[\d.,  ]*\s*(?:views?|hits|reads|aufrufe|zugriffe|visitas|vues|visite"
     r"|weergaven|просмотр\w*|comments?|kommentare?|comentarios?|commentaires?"
     r"|commenti|reacties|комментари\w*)\W*$"
     r"|\W*(?:views|hits|aufrufe|zugriffe|visitas|vues|visite|weergaven|просмотры)"
     r"\s*:\s*\d[\d.,  ]*\W*$"),
    # a slide or page counter: "3 of 8", "3 / 8", "Bild 3 von 8"
    ("boilerplate", "pattern:counter",
     r"\W*(?:(?:photo|image|slide|picture|bild|foto|imagen)\s+)?\d{1,3}\s*"
     r"(?:of|/|von|de|di|sur|van|из)\s*\d{1,3}\W*$"),
    # "The gallery continues after this ad", "Story continues below"
    ("ad", "pattern:continues",
     r"\W*(?:the\s+)?(?:story|article|text|gallery|slideshow|report|post|content|video)"
     r"\s+continues\s+(?:below|after|underneath)\b(?!.*[.!?]\s+\w)"),
    # a CMS's article-info fields (Joomla's "Category: News", "Hits: 532")
    ("tags", "pattern:info-field",
     r"\W*(?:category|categories|kategorie|categoría|catégorie|categoria|categorie"
     r"|filed under|posted in|rubrik|rubrique|sección)\s*:\s*\S.{0,60}$"),
    # a contact line that is nothing else: "Write to Jane Doe at jane.doe@example.com"
    ("author_bio", "pattern:tagline",
     r"\W*(?:write to|contact|email|e-mail|reach)\s+(?:\w[\w.'-]*\s+){1,4}at\s+"
     r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+\W*$"),
    # a photo credit written out: "Photo by Jane Doe on Unsplash", "Foto von ..."
    ("caption", "pattern:credit",
     r"\W*(?:photo|photos|photograph|image|picture|video|foto|fotos|bild)\s+"
     r"(?:by|von|de|di|door|par)\s+\S.{0,80}(?<![.!?])$"),
)
LINE_ANYWHERE: tuple[tuple[str, str, str], ...] = (
    # "... All rights reserved." in any of the languages of the label lexicons
    ("boilerplate", "pattern:copyright",
     r"\b(?:all rights reserved|alle rechte vorbehalten|todos los derechos reservados"
     r"|tous droits réservés|todos os direitos reservados|tutti i diritti riservati"
     r"|alle rechten voorbehouden|все права защищены)\b"),
    ("byline", "pattern:credits", r"\bcontributed (?:to )?this (?:report|story|article)\W*$"),
    # a reporter's tagline: "Jane Doe covers city hall. Reach her at jdoe@example.com"
    ("author_bio", "pattern:tagline",
     r"\b(?:reach|contact|email|e-mail|write to)\s+(?:him|her|them|the author)\s+"
     r"(?:at|on|via)\s+(?:[\w.+-]+@[\w-]+\.\w|@\w|\+?\d|twitter|x\b|bluesky|email)"
     r"|\bfollow\s+(?:him|her|them)\s+on\s+(?:twitter|x|instagram|bluesky|threads"
     r"|facebook|linkedin|mastodon)\b"
     r"|\b(?:covers|writes about|reports on)\b.{0,120}\b[\w.+-]+@[\w-]+\.\w"),
)
#: A word every "anywhere" pattern needs: blocks without one are not searched at all.
_ANYWHERE_WORDS = ("reserv", "vorbehalten", "voorbehouden", "защищены", "contributed",
                   "reach", "contact", "mail", "write to", "follow", "covers", "writes about",
                   "reports on")


def _alternation(table: tuple[tuple[str, str, str], ...]) -> re.Pattern[str]:
    """One expression, one named group a pattern: a block is tested once per table."""
    groups = (f"(?P<l{index}>{pattern})" for index, (_, _, pattern) in enumerate(table))
    return re.compile("|".join(groups), re.IGNORECASE)


_OPENING_RE = _alternation(LINE_OPENINGS)
_ANYWHERE_RE = _alternation(LINE_ANYWHERE)


def line_pattern(text: str) -> tuple[str, str] | None:
    """(category, rule) when a short block is a boilerplate line by its wording."""
    if len(text) > LINE_PATTERN_CHARS:
        return None
    table = LINE_OPENINGS
    match = _OPENING_RE.match(text)
    if match is None:
        lowered = text.lower()
        # map() keeps the test in C: a generator costs more than the tests it makes.
        if not any(map(lowered.__contains__, _ANYWHERE_WORDS)):
            return None
        table = LINE_ANYWHERE
        match = _ANYWHERE_RE.search(text)
        if match is None:
            return None
    category, rule, _ = table[int(str(match.lastgroup)[1:])]
    return category, rule


#: A line that is nothing but a web address: the page's own URL in a print header, a
#: link written out under an embed. No sentence, so nothing a reader of the text needs.
URL_LINE_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)

#: Words a dateline may consist of besides numbers: months, weekdays, time zones and the
#: verbs that introduce a date, in several languages.
DATE_WORDS = frozenset(
    """
    published updated posted modified last first on at by am pm a p m ist gmt utc est edt cst
    cdt mst mdt pst pdt cet cest bst eet eest msk jst kst aest aedt et pt ct mt hrs hr h min
    mins minute minutes hour hours ago day days today yesterday read reading time
    jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june
    july august september october november december mon tue tues wed thu thur thurs fri sat
    sun monday tuesday wednesday thursday friday saturday sunday
    veröffentlicht aktualisiert am um uhr stand januar februar märz mai juni juli oktober
    dezember montag dienstag mittwoch donnerstag freitag samstag sonntag
    publicado actualizado el de a las hs enero febrero marzo abril mayo junio julio agosto
    septiembre octubre noviembre diciembre lunes martes miércoles jueves viernes sábado domingo
    publié mis à jour le à janvier février mars avril juin juillet août septembre octobre
    novembre décembre lundi mardi mercredi jeudi vendredi samedi dimanche
    atualizado em às janeiro fevereiro março maio junho julho setembro outubro novembro
    dezembro segunda terça quarta quinta sexta sábado domingo feira
    pubblicato aggiornato il alle gennaio febbraio aprile maggio giugno luglio agosto
    settembre ottobre novembre dicembre
    gepubliceerd bijgewerkt op om januari februari maart mei augustus
    опубликовано обновлено января февраля марта апреля мая июня июля августа сентября
    октября ноября декабря в
    """.split()
)

#: Headlines of error pages ("404", "Page not found") in several languages.
ERROR_TITLE_RE = re.compile(
    r"\b(?:404|410|page not found|not found|fehler 404|seite nicht gefunden|nicht gefunden"
    r"|página no encontrada|page introuvable|pagina non trovata|página não encontrada"
    r"|pagina niet gevonden|страница не найдена|access denied|zugriff verweigert)\b",
    re.IGNORECASE,
)

ISO_TIMESTAMP_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_DIGIT_RE = re.compile(r"\d")
_ORDINAL_RE = re.compile(r"^\d+(?:st|nd|rd|th|er|e|º|ª|\.)?$", re.IGNORECASE)


def is_dateline(text: str) -> bool:
    """True for a short line made only of a date, a time and the words around them."""
    if len(text) > BYLINE_CHARS or not _DIGIT_RE.search(text):
        return False
    if ISO_TIMESTAMP_RE.match(text.strip()):
        return True
    words = re.findall(r"\w+", text.casefold())
    if not words:
        return False
    return all(_ORDINAL_RE.match(word) or word in DATE_WORDS for word in words)


__all__ = [
    "BYLINE_RE",
    "CAPTION_RE",
    "CLASS_RULES",
    "CREDIT_RE",
    "ERROR_TITLE_RE",
    "LEXICONS",
    "LINE_ANYWHERE",
    "LINE_OPENINGS",
    "LONGEST_LABEL",
    "ROLE_RULES",
    "SILENT_TAGS",
    "TAG_RULES",
    "URL_LINE_RE",
    "is_dateline",
    "label_of",
    "line_pattern",
    "match_prefix",
    "normalize_label",
]
