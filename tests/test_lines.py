"""Boilerplate lines found by their wording, in several languages, and body text that
only resembles them.

Each line stands between body paragraphs of a realistic page, in plain markup (no
class that would give it away), so only the lexicons and line patterns can catch it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from _news import DE, EN, ES, FR, p, page

import declutter
from declutter._rules.tables import line_pattern

LINES = [
    # (line, category, body)
    ("The story continues below", "ad", EN),
    ("Article continues after advertisement", "ad", EN),
    ("Scroll down to continue reading", "ad", EN),
    ("Weiterlesen nach der Anzeige", "ad", DE),
    ("La nota continúa abajo", "ad", ES),
    ("La suite après la publicité", "ad", FR),
    ("Previous story: Ferry fares rise by ten percent", "related", EN),
    ("Next article", "navigation", EN),
    ("Vorheriger Artikel", "related", DE),
    ("Artículo anterior", "related", ES),
    ("More news from the harbour district", "related", EN),
    ("Weitere Nachrichten aus dem Hafenviertel", "related", DE),
    ("External links", "related", EN),
    ("Discuss this story", "comments", EN),
    ("Diskutieren Sie mit", "comments", DE),
    ("© 2025 The Harbour Ledger. All rights reserved.", "boilerplate", EN),
    ("Copyright 2025 The Associated Press. All rights reserved. This material may not be "
     "published, broadcast, rewritten or redistributed.", "boilerplate", EN),
    ("Alle Rechte vorbehalten.", "boilerplate", DE),
    ("Reporting by Jane Doe in London; Additional reporting by John Roe; Editing by Alex Poe",
     "byline", EN),
    ("The Associated Press contributed to this report.", "byline", EN),
    ("With files from The Canadian Press", "byline", EN),
    ("Mit Material von dpa", "byline", DE),
    ("1,240 views", "boilerplate", EN),
    ("Hits: 532", "boilerplate", EN),
    ("Category: Local News", "tags", EN),
    ("Photo by Jane Doe on Unsplash", "caption", EN),
    ("undefined | Photo: Harbour Authority", "caption", EN),
    ("Write to Gregory Tan at gregory.tan@ledger.example", "author_bio", EN),
]


@pytest.mark.parametrize(("line", "category", "body"), LINES, ids=[x[0][:30] for x in LINES])
def test_boilerplate_line_between_paragraphs(
    line: str, category: str, body: Sequence[str]
) -> None:
    html = page(p(*body[:2]) + f"<p>{line}</p>" + p(*body[2:]))
    article = declutter.extract(html)
    assert article.text == "\n\n".join(body)
    assert any(
        record.category == category and line.startswith(record.excerpt.rstrip("…"))
        for record in article.removed
    ), [(r.category, r.rule, r.excerpt) for r in article.removed]


BODY_LOOKALIKES = [
    "Copyright law changed in 2019, the council's lawyer said, and the old agreement lapsed.",
    "Photos by the hundreds were taken at the scene, and the harbour master shared several.",
    "She had left 12 comments on the draft plan before the vote, all of them about the quay.",
    "More news from the engineers is expected next week, when the survey is complete.",
    "Reporting by local volunteers had first drawn attention to the cracks in the wall.",
    "The U.S. Department of Energy also sent an observer to the meeting on Tuesday.",
    "Options for the ferry route will be discussed at the next meeting in April.",
    "Residents may write to the harbour board at board@harbour.example before the vote.",
]


@pytest.mark.parametrize("text", BODY_LOOKALIKES, ids=lambda t: " ".join(t.split()[:3]))
def test_body_sentences_that_resemble_boilerplate_lines_are_kept(text: str) -> None:
    body = [*EN[:2], text, *EN[2:]]
    assert declutter.clean(page(p(*body))) == "\n\n".join(body)


def test_line_patterns_test_short_blocks_only() -> None:
    long_paragraph = "All rights reserved, the council said of the plans, " * 5
    assert line_pattern("All rights reserved.") == ("boilerplate", "pattern:copyright")
    assert line_pattern(long_paragraph) is None


def test_photo_credit_is_kept_with_keep_captions() -> None:
    html = page(p(*EN[:2]) + "<p>Photo by Jane Doe on Unsplash</p>" + p(*EN[2:]))
    text = declutter.clean(html, options=declutter.Options(keep_captions=True))
    assert "Photo by Jane Doe on Unsplash" in text
