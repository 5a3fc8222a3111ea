"""Site memory: block texts a site repeats across its pages, learned from a crawl into
a rules file (``declutter learn``) and removed from that site's pages where they are
not the article."""

from __future__ import annotations

import pytest
from _news import EN

import declutter
from declutter import Options, RepeatedText, RuleError, RuleSet, SiteRule, parse_rules
from declutter._rules.sitefile import rules_toml

TAGLINE = "The Harbour Ledger: independent news from the waterfront since 1911, every morning."
URL = "https://www.ledger.example/news/harbour-wall"


def _page(*paragraphs: str) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (f"<html><head><title>Harbour wall</title></head><body><article>"
            f"<h1>Harbour wall</h1>{body}</article></body></html>")


def _learned(*texts: str, domain: str = "ledger.example") -> Options:
    rule = SiteRule(domain, repeated=tuple(RepeatedText(t, 7, 0.875, URL) for t in texts))
    return Options(site_rules=(rule,))


def test_the_rules_file_reads_repeated_texts_with_their_evidence() -> None:
    rules = parse_rules(f"""
[[sites]]
domain = "ledger.example"

[[sites.repeated]]
text = "  {TAGLINE}  "
pages = 7
share = 0.875
example = "{URL}"
""")
    assert rules.sites == (SiteRule("ledger.example",
                                    repeated=(RepeatedText(TAGLINE, 7, 0.875, URL),)),)


def test_written_rules_read_back_equal() -> None:
    rules = RuleSet(drop=(".promo",), sites=(
        SiteRule("ledger.example", drop=(".box",), body="article",
                 repeated=(RepeatedText('A "quoted" line \\ with a back\tslash', 3, 0.5, URL),)),
    ))
    assert parse_rules(rules_toml(rules, comment="learned\nfrom a crawl")) == rules


@pytest.mark.parametrize(("entry", "message"), [
    ('repeated = "a line"', "must be a list of tables"),
    ("[[sites.repeated]]\npages = 3", "text must be a non-empty string"),
    ('[[sites.repeated]]\ntext = "x"\nshare = 1.5', "share must be a number from 0 to 1"),
    ('[[sites.repeated]]\ntext = "x"\npages = -1', "pages must be a whole number"),
    ('[[sites.repeated]]\ntext = "x"\nseen = 3',
     r"unknown key sites\[0\] \(ledger.example\)\.repeated\[0\]\.seen"),
])
def test_a_bad_repeated_entry_is_a_rule_error(entry: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rules(f'[[sites]]\ndomain = "ledger.example"\n{entry}\n')


def test_a_learned_tagline_is_removed_and_every_story_paragraph_kept() -> None:
    html = _page(EN[0], EN[1], TAGLINE, EN[2], EN[3])
    assert TAGLINE in declutter.clean(html, url=URL)  # page-level rules keep it
    article = declutter.extract(html, url=URL, options=_learned(TAGLINE))
    assert TAGLINE not in article.text
    assert [block.text for block in article.blocks] == [EN[0], EN[1], EN[2], EN[3]]
    (record,) = [r for r in article.removed if r.category == "site"]
    assert record.rule == "site:repeated:88%"
    assert record.excerpt.startswith("The Harbour Ledger")


def test_learned_texts_apply_to_their_site_only() -> None:
    html = _page(EN[0], TAGLINE, EN[1], EN[2])
    other = "https://www.other.example/news/harbour-wall"
    assert TAGLINE in declutter.clean(html, url=other, options=_learned(TAGLINE))
    assert TAGLINE in declutter.clean(html, options=_learned(TAGLINE))  # no address


def test_white_space_does_not_hide_a_learned_text() -> None:
    spaced = TAGLINE.replace(" ", " \n  ")
    html = _page(EN[0], spaced, EN[1], EN[2])
    assert "Harbour Ledger" not in declutter.clean(html, url=URL, options=_learned(TAGLINE))


def test_a_block_that_is_most_of_the_article_is_never_removed() -> None:
    # A story republished on many pages of a site: learned, yet it is the article here.
    html = _page(EN[0] + " " + EN[1] + " " + EN[2], EN[3])
    text = declutter.clean(html, url=URL, options=_learned(EN[0] + " " + EN[1] + " " + EN[2]))
    assert EN[0] in text
    assert EN[3] in text


def test_a_keep_selector_wins_over_a_learned_text() -> None:
    html = _page(EN[0], EN[1]).replace("</article>", f'<p class="motto">{TAGLINE}</p></article>')
    options = _learned(TAGLINE).replace(keep=(".motto",))
    assert TAGLINE in declutter.clean(html, url=URL, options=options)
