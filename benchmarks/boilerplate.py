"""A lexicon of boilerplate lines, independent of declutter's own rules.

The leaked-lines metric must not be graded by the code it grades: if it
imported declutter's patterns, a line declutter fails to recognise would also
go unnoticed here. So this list is written separately, from what news pages
commonly carry, and may well disagree with the library.

Each entry matches a whole (whitespace-normalised) line. The patterns may be
generous because a match only counts as a leak when the line is absent from
the reference text: a "By Jane Doe" line the annotators kept is content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    category: str
    pattern: re.Pattern[str]
    #: Longer lines are prose that merely starts like boilerplate.
    max_length: int = 160


def _entry(
    category: str, pattern: str, *, ignore_case: bool = True, max_length: int = 160
) -> Entry:
    flags = re.IGNORECASE if ignore_case else 0
    return Entry(category, re.compile(pattern, flags), max_length)


_MONTH = (
    r"(?:jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|"
    r"aug(?:ust|\.)?|sep(?:t(?:ember|\.)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?|"
    r"januar|februar|märz|mai|juni|juli|oktober|dezember)"
)
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun)(?:day|nesday|urday|rsday|sday)?\.?,?\s+)"
_TIME = (
    r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*(?:am|pm|a\.m\.|p\.m\.|uhr|h))?"
    r"(?:\s+[A-Z]{2,5})?)"
)
_NAME = r"[A-ZÀ-ÖØ-Þ][\w'’.\-]*"
_NAME_JOIN = r"(?:\s+(?:and|und|et|y|&|de|da|di|van|von|der|den|la|le|del)\s+|\s*[,|/·•–—-]\s*|\s+)"

ENTRIES: tuple[Entry, ...] = (
    # --- ad labels
    _entry(
        "ad",
        r"(?:advertisement|advertising|advert|ads?|sponsored(?: content| post| links?| stories)?|"
        r"paid (?:content|post|partner content)|promoted(?: content| stories)?|partner content|"
        r"anzeige|werbung|publicidad|publicité|pubblicità|reklama|advertentie)\s*[:.\-–—]?",
    ),
    _entry("ad", r"sponsored by\b.{1,80}"),
    _entry("ad", r"(?:skip|close) (?:advertisement|ad)"),
    _entry("ad", r"(?:the )?(?:story|article|text|content) continues (?:below|after)\b.{0,40}"),
    _entry("ad", r"advertisement\s*[-–—:|]\s*.{0,60}"),
    _entry("ad", r"continue reading (?:the main story|below)\b.{0,30}"),
    _entry("ad", r"scroll (?:down )?to (?:continue|read)\b.{0,40}"),
    # --- related links
    _entry(
        "related",
        r"(?:READ|READ MORE|Read more|Read More|ALSO READ|Also read|Also Read|SEE ALSO|See also|"
        r"See Also|RELATED|Related|RE|MORE|WATCH|Watch|LISTEN|Lesen Sie auch|Lesen Sie mehr|"
        r"Mehr zum Thema|Auch interessant|Weiterlesen|Lire aussi|À lire aussi|Leer más|"
        r"Lee también)\s*:.*",
        ignore_case=False,
        max_length=240,
    ),
    _entry(
        "related",
        r"(?:ALSO READ|Also read|Also Read|READ MORE)\b\s*[|\-–—»>].*",
        ignore_case=False,
    ),
    _entry(
        "related",
        r"(?:read more|read next|related|"
        r"related (?:articles?|stories|content|coverage|topics|links|posts|news)|"
        r"more on this (?:story|topic)|more from .{1,40}|more stories|"
        r"you (?:may|might) also (?:like|enjoy|be interested in)\b.{0,40}|recommended(?: for you)?|"
        r"(?:most|top) (?:read|popular|viewed|shared)(?: stories| articles)?|top stories|"
        r"mehr zum thema|das könnte sie auch interessieren)\s*:?",
    ),
    # --- share and follow
    _entry(
        "share",
        r"(?:share|share this|share this (?:article|story|page|post)|share (?:article|story)|"
        r"share (?:on|via) .{1,30}|tweet|tweet this|pin it|email|e-mail|print|like this|like|"
        r"copy link|link copied|teilen|artikel teilen|facebook|twitter|whatsapp|linkedin|"
        r"pinterest|reddit|flipboard)\s*:?",
    ),
    _entry("share", r"click to (?:share|email|print)\b.{0,60}"),
    _entry("share", r"follow (?:us|@\w+)\b.{0,80}"),
    _entry(
        "share", r"follow .{1,40} on (?:twitter|facebook|instagram|x|linkedin|threads)\b.{0,40}"
    ),
    _entry("share", r"like loading\.*"),
    # --- captions and credits
    _entry(
        "caption",
        r"(?:image|photo|picture|foto|bild|photograph|photo credit|image credit|credit|"
        r"image source|image caption|media caption|image copyright|getty)\s*[:,].*",
        max_length=240,
    ),
    _entry("caption", r"\((?:photo|image|picture|foto|bild|credit)\b[^)]*\)"),
    _entry(
        "caption",
        r".{0,120}\b(?:getty images|shutterstock|istock(?:photo)?|picture[- ]alliance)\b.{0,80}",
    ),
    _entry(
        "caption",
        r"\(?(?:AP|AFP|Reuters|EPA|dpa)(?: Photo| Foto)?\s*/\s*[^)]{1,60}\)?",
        ignore_case=False,
    ),
    # --- newsletters and subscriptions
    _entry(
        "newsletter",
        r"(?:sign up|signup|subscribe|subscribe now|get (?:our|the) .{0,40}newsletter|"
        r"join (?:our|the) .{0,30}(?:newsletter|mailing list)|newsletter(?: sign ?up)?|"
        r"(?:jetzt )?(?:newsletter )?abonnieren)\b.*",
        max_length=200,
    ),
    # --- bylines and datelines
    _entry(
        "byline",
        r"(?:By|BY|Von|VON|Par|Por|Written by|Posted by|Author:|Autor:)\s+"
        rf"{_NAME}(?:{_NAME_JOIN}{_NAME})*\.?",
        ignore_case=False,
        max_length=120,
    ),
    _entry(
        "dateline",
        r"(?:published|updated|posted|last updated|last modified|modified|first published|"
        r"veröffentlicht|aktualisiert|stand|publié|mis à jour|publicado|actualizado)"
        r"\b\D{0,20}\d.{0,80}",
        max_length=120,
    ),
    _entry(
        "dateline",
        r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    ),
    _entry("dateline", rf"{_WEEKDAY}?{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}{_TIME}?"),
    _entry("dateline", rf"{_WEEKDAY}?\d{{1,2}}\.?\s+{_MONTH}\s+\d{{4}}{_TIME}?"),
    _entry("dateline", rf"\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}{_TIME}?"),
    _entry("dateline", r"\d{1,2}[:.]\d{2}\s*(?:am|pm|uhr|h)?(?:\s+[A-Z]{2,5})?"),
    # --- comment chrome
    _entry(
        "comments",
        r"(?:\d+\s+)?(?:comments?|kommentare?|responses?|replies)|no comments(?: yet)?|"
        r"leave a (?:reply|comment)|post a comment|add a comment|write a comment|"
        r"comments are closed\.?|(?:show|view|load|read) (?:all )?(?:\d+ )?comments|"
        r"join the (?:conversation|discussion)|comment on this (?:story|article)|reply|"
        r"you must be logged in to post a comment\.?|cancel reply",
    ),
)


def boilerplate_category(line: str) -> str | None:
    """The category of the first lexicon entry matching the whole line, if any."""
    for entry in ENTRIES:
        if len(line) <= entry.max_length and entry.pattern.fullmatch(line):
            return entry.category
    return None
