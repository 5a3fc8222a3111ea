"""Site memory: block texts a site repeats across its pages, learned from a crawl into
a rules file (``declutter learn``) and removed from that site's pages where they are
not the article."""

from __future__ import annotations

import io
from pathlib import Path

import lxml.html
import pytest
from _news import EN

import declutter
from declutter import Options, RepeatedText, RuleError, RuleSet, SiteRule, load_rules, parse_rules
from declutter._rules.sitefile import rules_toml
from declutter.bulk import guess_url
from declutter.bulk.learn import LearnSummary, learn_rules, site_of
from declutter.cli import main

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


# ---------------------------------------------------------------------------
# Learning from a crawl
# ---------------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
#: Article samples of different templates, each standing for one story of a site.
STORIES = ("01-wordpress-blog", "02-arc-us-newspaper", "03-bbc-like", "05-german-news",
           "06-spanish-news", "07-french-news", "14-italian-news", "11-advertising-topic")


def _paragraphs(sample: str) -> list[str]:
    text = (SAMPLES / sample / "expected.txt").read_text(encoding="utf-8")
    return [part for part in text.split("\n\n") if part.strip()]


def _with_tagline(sample: str, url: str, tagline: str) -> bytes:
    """The sample's page as a story of the site at ``url`` (saved from it, declaring it),
    with ``tagline`` as a paragraph of its body after the body's second paragraph, where
    only a site-wide view can tell it apart."""
    data = (SAMPLES / sample / "page.html").read_bytes()
    root = lxml.html.document_fromstring(data)
    second = " ".join(_paragraphs(sample)[1].split())
    holder = next(el for el in root.iter("p", "div", "span")
                  if " ".join(el.text_content().split()) == second)
    tag = lxml.html.Element("p")
    tag.text = tagline
    holder.addnext(tag)
    for link in root.xpath("//link[@rel='canonical'] | //meta[@property='og:url']"):
        link.set("href" if link.tag == "link" else "content", url)  # the site's own address
    page = lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")
    return f"<!-- saved from url=({len(url):04d}){url} -->\n".encode() + page


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight stories of ledger.example sharing TAGLINE, three of a small site sharing its
    own, in a directory of saved pages as a crawler leaves them."""
    root = tmp_path_factory.mktemp("crawl")
    for index, sample in enumerate(STORIES):
        url = f"https://{'www' if index % 2 else 'news'}.ledger.example/story-{index}"
        (root / f"ledger-{index}.html").write_bytes(_with_tagline(sample, url, TAGLINE))
    for index, sample in enumerate(STORIES[:3]):
        url = f"https://www.small.example/story-{index}"
        (root / f"small-{index}.html").write_bytes(_with_tagline(sample, url, SMALL_TAGLINE))
    return root


SMALL_TAGLINE = "The Small Courier is read by every household of the valley since the flood."


@pytest.fixture(scope="module")
def learned(crawl: Path, tmp_path_factory: pytest.TempPathFactory) -> LearnSummary:
    output = tmp_path_factory.mktemp("rules") / "site-rules.toml"
    return learn_rules(crawl, output, jobs=0)


def test_page_level_rules_keep_the_tagline(crawl: Path) -> None:
    for index in range(len(STORIES)):
        page = (crawl / f"ledger-{index}.html").read_bytes()
        assert TAGLINE in declutter.clean(page), STORIES[index]


def test_the_learned_file_holds_the_tagline_and_no_story(learned: LearnSummary) -> None:
    assert learned.output is not None
    rules = load_rules(learned.output)
    assert rules == learned.rules
    (site,) = rules.sites
    assert site.domain == "ledger.example"
    (item,) = site.repeated
    assert (item.text, item.pages, item.share) == (TAGLINE, 8, 1.0)
    assert item.example.startswith("https://")
    stories = {" ".join(p.split()) for sample in STORIES for p in _paragraphs(sample)}
    assert not stories & {item.text for rule in rules.sites for item in rule.repeated}
    assert dict(learned.site_pages) == {"ledger.example": 8, "small.example": 3}
    assert learned.run.failed == 0


def test_a_site_with_too_few_pages_learns_nothing(learned: LearnSummary) -> None:
    assert all(rule.domain != "small.example" for rule in learned.rules.sites)
    assert SMALL_TAGLINE not in Path(str(learned.output)).read_text(encoding="utf-8")


def test_applying_the_learned_file_removes_the_tagline_and_keeps_every_story(
    crawl: Path, learned: LearnSummary
) -> None:
    options = load_rules(str(learned.output)).apply()
    for index, sample in enumerate(STORIES):
        page = (crawl / f"ledger-{index}.html").read_bytes()
        article = declutter.extract(page, url=guess_url(page), options=options)
        expected = (SAMPLES / sample / "expected.txt").read_text(encoding="utf-8").strip()
        assert article.text == expected, sample
        assert [r.rule for r in article.removed if r.category == "site"] == [
            "site:repeated:100%"], sample


@pytest.mark.parametrize(("url", "site"), [
    ("https://www.bbc.co.uk/news/x", "bbc.co.uk"),
    ("https://news.ledger.example/a", "ledger.example"),
    ("http://LEDGER.example./a", "ledger.example"),
    ("http://192.0.2.7/a", "192.0.2.7"),
    ("not an address", None),
    (None, None),
])
def test_the_site_of_an_address_is_its_registrable_domain(url: str | None,
                                                          site: str | None) -> None:
    assert site_of(url) == site


def test_the_learn_command_writes_rules_that_rules_reads(
    crawl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "site-rules.toml"
    assert main(["learn", str(crawl), "-o", str(output), "--jobs", "1"]) == 0
    assert "2 sites, 1 with repeated blocks (1 texts)" in capsys.readouterr().err
    assert load_rules(output).sites[0].repeated[0].text == TAGLINE
    page = crawl / "ledger-0.html"
    assert main(["--rules", str(output), str(page)]) == 0
    text = capsys.readouterr().out
    assert TAGLINE not in text
    assert text.strip() == (SAMPLES / STORIES[0] / "expected.txt").read_text("utf-8").strip()


def test_the_learn_command_wants_a_toml_output(crawl: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["learn", str(crawl), "-o", str(tmp_path / "rules.yaml")])
    assert stop.value.code == 2


def test_bulk_with_site_memory_learns_then_cleans(crawl: Path, tmp_path: Path) -> None:
    output = tmp_path / "texts"
    assert main(["bulk", str(crawl), "-o", str(output), "--site-memory", "--jobs", "1",
                 "-q"]) == 0
    assert load_rules(tmp_path / "texts.site-rules.toml").sites[0].domain == "ledger.example"
    for index, sample in enumerate(STORIES):
        text = (output / f"ledger-{index}.txt").read_text(encoding="utf-8")
        expected = (SAMPLES / sample / "expected.txt").read_text(encoding="utf-8")
        assert text.strip() == expected.strip(), sample
    # the small site learned nothing: its tagline stays, as page-level rules keep it
    assert SMALL_TAGLINE in (output / "small-0.txt").read_text(encoding="utf-8")


def test_learning_from_a_warc_groups_pages_by_their_target_uri(tmp_path: Path) -> None:
    """In a crawl the archive's address of a record wins over the page's canonical one:
    it is the address the cleaning run matches the site rules on."""
    warcio = pytest.importorskip("warcio.warcwriter")
    headers = pytest.importorskip("warcio.statusandheaders")
    archive = tmp_path / "crawl.warc.gz"
    with open(archive, "wb") as stream:
        writer = warcio.WARCWriter(stream, gzip=True)
        for index, sample in enumerate(STORIES[:6]):
            uri = f"https://www.ledger.example/story-{index}"
            page = _with_tagline(sample, uri, TAGLINE).replace(  # canonical of another host
                uri.encode(), b"https://mirror.other.example/x")
            http = headers.StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                            protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                uri, "response", payload=io.BytesIO(page), http_headers=http))
    learned = learn_rules(archive, tmp_path / "rules.toml", jobs=0)
    assert [rule.domain for rule in learned.rules.sites] == ["ledger.example"]
    assert learned.rules.sites[0].repeated[0].text == TAGLINE
    assert learned.rules.sites[0].repeated[0].example.startswith("https://www.ledger.example/")
