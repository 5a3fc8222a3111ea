"""Output formats: every one is built from the same kept blocks, so none has other words
than the plain text, and each keeps what a reader sees (links, emphasis, code, lists,
tables, quotes, images with captions).
"""

from __future__ import annotations

import copy
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from markdown_it import MarkdownIt

import declutter
from declutter import Block, Options, Span

SAMPLES = sorted(p for p in (Path(__file__).resolve().parent.parent / "samples").iterdir()
                 if p.is_dir())
WORD_RE = re.compile(r"\w+")
#: Options whose outputs differ: captions (and images) kept, or not.
VARIANTS = {
    "default": Options(),
    "captions": Options(keep_captions=True),
    "plain": Options(include_links=False, include_formatting=False, include_images=False),
    "comments": Options(keep_comments=True),
}
_BLOCK_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "pre",
               "blockquote", "ul", "ol", "table", "br", "div", "figure", "section")


def html_words(markup: str) -> list[str]:
    """The words a reader of ``markup`` sees (not its attributes: addresses, alt text),
    with blocks kept apart as a browser lays them out."""
    doc = lxml.html.document_fromstring(markup)
    for el in doc.iter(*_BLOCK_TAGS):
        el.text = "\n" + (el.text or "")
        el.tail = "\n" + (el.tail or "")
    for el in doc.iter("title", "head"):
        el.drop_tree()
    return WORD_RE.findall(doc.text_content())


def markdown_words(markdown: str) -> list[str]:
    """The words a Markdown renderer shows: the test that page text was escaped where it
    would have become markup, and that our own markup takes no word away or adds one."""
    return html_words(MarkdownIt("commonmark").enable("table").render(markdown))


def expected_words(article: declutter.Article) -> list[str]:
    """The title's and the body's words, then the comments' section: its heading and each
    comment's author, time and text."""
    words = WORD_RE.findall(article.title or "") + WORD_RE.findall(article.text)
    if article.comments:
        words.append("Comments")
        for comment in article.comments:
            for part in (comment.author, comment.published, comment.text):
                words.extend(WORD_RE.findall(part or ""))
    return words


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_format_has_the_words_of_clean(sample: Path, variant: str) -> None:
    options = VARIANTS[variant]
    html = (sample / "page.html").read_bytes()
    article = declutter.extract(html, options=options)
    assert article.text == declutter.clean(html, options=options)
    if options.keep_comments:  # comments never change the body
        assert article.text == declutter.clean(html)
    words = expected_words(article)
    assert markdown_words(article.to_markdown()) == words
    assert html_words(article.to_html()) == words


def test_marks_change_no_text() -> None:
    """The same text with and without marks: they are offsets, never characters."""
    for sample in SAMPLES:
        html = (sample / "page.html").read_bytes()
        marked = declutter.extract(html, options=VARIANTS["captions"])
        bare = declutter.extract(html, options=Options(
            keep_captions=True, include_links=False, include_formatting=False,
            include_images=False))
        assert [b.text for b in marked.blocks] == [b.text for b in bare.blocks]
        assert all(not block.marks for block in bare.blocks)
        for block in marked.blocks:
            for mark in block.marks:
                assert 0 <= mark.start <= mark.end <= len(block.text)
                if mark.kind != "image":
                    text = block.text[mark.start:mark.end]
                    assert text and text == text.strip()


BODY = (
    "<p>The harbour council voted on Tuesday to rebuild the <a href='/walls'>northern "
    "sea wall</a>, a project <em>first proposed</em> in 1998 that engineers say is "
    "<strong>long overdue</strong> after the winter storms.</p>"
    "<p>Run <code>make survey</code> to regenerate the tables, wrote the engineer in a "
    "<a href='https://docs.example/guide?a=1&amp;b=(2)'>public guide</a>, and "
    "<a href='javascript:alert(1)'>this link</a> is not one.</p>"
    "<p>Residents can read the minutes at <a href='minutes.html'>the town hall</a> "
    "or <a href='#top'>at the top</a> of this page, the council said in a statement.</p>"
    "<ul><li>granite <b>blocks</b><ol><li>from the quarry</li><li>by barge</li></ol></li>"
    "<li>lime mortar</li></ul>"
    "<figure><img src='/img/wall.jpg' alt='The wall at low tide'>"
    "<figcaption>The northern wall in March.</figcaption></figure>"
    "<blockquote><p>We have waited <em>twenty years</em> for this.</p></blockquote>"
    "<p>Work starts in the spring and should take two years to finish, the council said.</p>"
)
PAGE = (
    "<html><head><title>Council backs sea wall</title></head><body><article>"
    f"<h1>Council backs sea wall</h1>{BODY}</article></body></html>"
)
URL = "https://news.example/local/2025/sea-wall.html"


def test_markdown_keeps_what_a_reader_sees() -> None:
    article = declutter.extract(PAGE, url=URL, options=Options(keep_captions=True))
    assert article.to_markdown() == """\
# Council backs sea wall

The harbour council voted on Tuesday to rebuild the \
[northern sea wall](https://news.example/walls), a project *first proposed* in 1998 that \
engineers say is **long overdue** after the winter storms.

Run `make survey` to regenerate the tables, wrote the engineer in a \
[public guide](https://docs.example/guide?a=1&b=%282%29), and this link is not one.

Residents can read the minutes at [the town hall](https://news.example/local/2025/minutes.html) \
or [at the top](https://news.example/local/2025/sea-wall.html#top) of this page, the council \
said in a statement.

- granite **blocks**
   - from the quarry
   - by barge
- lime mortar

![The wall at low tide](https://news.example/img/wall.jpg)

The northern wall in March.

> We have waited *twenty years* for this.

Work starts in the spring and should take two years to finish, the council said."""


def test_switches_leave_out_links_formatting_and_images() -> None:
    plain = declutter.extract(PAGE, url=URL, options=Options(
        keep_captions=True, include_links=False, include_formatting=False,
        include_images=False))
    md = plain.to_markdown()
    assert "](" not in md and "*" not in md and "`" not in md
    assert "northern sea wall, a project first proposed" in md
    links_only = declutter.extract(PAGE, url=URL, options=Options(include_formatting=False))
    kinds = {mark.kind for block in links_only.blocks for mark in block.marks}
    assert kinds == {"link"}
    # Images only come with their captions.
    assert "image" not in {m.kind for b in declutter.extract(PAGE, url=URL).blocks
                           for m in b.marks}


def test_links_without_a_page_address_stay_relative() -> None:
    article = declutter.extract(PAGE)
    links = [m.url for b in article.blocks for m in b.marks if m.kind == "link"]
    assert links == ["/walls", "https://docs.example/guide?a=1&b=(2)", "minutes.html"]


def test_base_href_resolves_links() -> None:
    page = PAGE.replace("<head>", "<head><base href='https://cdn.example/site/'>")
    article = declutter.extract(page, url=URL)
    links = [m.url for b in article.blocks for m in b.marks if m.kind == "link"]
    assert links[0] == "https://cdn.example/walls"
    assert links[2] == "https://cdn.example/site/minutes.html"


def test_html_keeps_the_same_structure() -> None:
    article = declutter.extract(PAGE, url=URL, options=Options(keep_captions=True))
    doc = lxml.html.document_fromstring(article.to_html())
    assert [a.get("href") for a in doc.iter("a")] == [
        "https://news.example/walls", "https://docs.example/guide?a=1&b=(2)",
        "https://news.example/local/2025/minutes.html",
        "https://news.example/local/2025/sea-wall.html#top"]
    assert [el.text_content() for el in doc.iter("em")] == ["first proposed", "twenty years"]
    assert [el.text_content() for el in doc.iter("code")] == ["make survey"]
    nested = doc.xpath("//ul/li/ul/li")
    assert [li.text_content() for li in nested] == ["from the quarry", "by barge"]
    assert [(img.get("src"), img.get("alt")) for img in doc.iter("img")] == [
        ("https://news.example/img/wall.jpg", "The wall at low tide")]
    assert doc.xpath("//blockquote/p/em")[0].text == "twenty years"


def test_markdown_escapes_page_text_that_looks_like_markup() -> None:
    text = ("*Not emphasis*, _nor this_, [not a link](x), `no code`, &amp; an entity, "
            "snake_case stays, 2 * 3 = 6 and a \\ backslash in the council's own words")
    block = Block("paragraph", text)
    article = declutter.Article(text=text, blocks=(block, Block("paragraph", "# not a heading"),
                                                   Block("paragraph", "1. not a list")))
    md = article.to_markdown()
    assert "snake_case" in md
    html = MarkdownIt("commonmark").render(md)
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [p.text_content() for p in doc.iter("p")] == [text, "# not a heading", "1. not a list"]
    assert doc.xpath("//em|//strong|//a|//code|//h1|//ol") == []


def test_emphasis_markdown_cannot_read_is_left_out() -> None:
    """``**Note:**text`` is no emphasis in Markdown: the words are kept without the stars."""
    block = Block("paragraph", "Note:text follows", marks=(Span("strong", 0, 5),))
    md = declutter.Article(text=block.text, blocks=(block,)).to_markdown()
    assert md == "Note:text follows"
    block = Block("paragraph", "Note: text follows", marks=(Span("strong", 0, 5),))
    assert declutter.Article(text="", blocks=(block,)).to_markdown() == "**Note:** text follows"


def test_code_with_backticks() -> None:
    block = Block("paragraph", "run a`b now", marks=(Span("code", 4, 7),))
    assert declutter.Article(text="", blocks=(block,)).to_markdown() == "run ``a`b`` now"


def test_marks_round_trip_through_json() -> None:
    article = declutter.extract(PAGE, url=URL, options=Options(keep_captions=True))
    data = article.to_dict()
    rebuilt = [Block(**block) for block in data["blocks"]]
    assert tuple(rebuilt) == article.blocks
    assert data["blocks"][0]["marks"][0] == {
        "kind": "link", "start": 52, "end": 69, "url": "https://news.example/walls", "alt": ""}


# ---------------------------------------------------------------------------
# Comments apart
# ---------------------------------------------------------------------------

WORDPRESS = SAMPLES[0] / "page.html"


def test_comments_are_read_apart_from_the_body() -> None:
    html = WORDPRESS.read_bytes()
    article = declutter.extract(html, options=Options(keep_comments=True))
    assert article.comments == (
        declutter.Comment(
            "The water taxi is a good idea but twelve thousand dollars will not last until "
            "March if the hospital keeps its current rota.",
            author="Joan P.", published="2025-11-12T18:20:04+00:00"),
        declutter.Comment(
            "Thanks for covering all three meetings. Hard to follow this otherwise.",
            author="Theo Marchetti", published="2025-11-12T20:02:51+00:00"),
    )
    assert "water taxi is a good idea" not in article.text
    assert article.text == declutter.clean(html, options=Options(keep_comments=True))
    assert declutter.extract(html).comments is None  # not asked for
    data = json.loads(article.to_json())
    assert data["comments"][1]["author"] == "Theo Marchetti"
    assert declutter.Article(**data) == article


THREAD = (
    "<html><body><article><h1>Harbour wall</h1>"
    + "".join(f"<p>Paragraph {n} of the story about the harbour wall and the council's "
              "budget for the coming year, long enough to count.</p>" for n in range(6))
    + "</article><section class='comments'><ol class='comment-list'>"
    "<li id='comment-1' class='comment'><div class='comment-author'><cite class='fn'>Ann</cite>"
    " <span class='says'>says:</span></div><a href='#c1'><time datetime='2025-01-01T10:00'>"
    "Jan 1</time></a><div class='comment-content'><p>First line.</p><p>Second one.</p></div>"
    "<div class='reply'><a href='#r'>Reply</a></div><ol class='children'>"
    "<li id='comment-2' class='comment'><div class='comment-author'><cite class='fn'>Bob</cite>"
    "</div><div class='comment-content'><p>A reply.</p></div></li></ol></li>"
    "<li><div itemscope itemtype='https://schema.org/Comment'><span itemprop='author' itemscope>"
    "<span itemprop='name'>Cy</span></span><meta itemprop='dateCreated' content='2025-01-02'>"
    "<div itemprop='text'>Microdata comment.</div></div></li>"
    "<li id='comment-4' class='comment'><p>No author here.</p></li>"
    "</ol><form><textarea>Leave a reply</textarea></form></section></body></html>"
)


def test_threads_replies_and_microdata() -> None:
    article = declutter.extract(THREAD, options=Options(keep_comments=True))
    assert [(c.author, c.published, c.text) for c in article.comments or ()] == [
        ("Ann", "2025-01-01T10:00", "First line.\n\nSecond one."),
        ("Bob", None, "A reply."),
        ("Cy", "2025-01-02", "Microdata comment."),
        (None, None, "No author here."),
    ]
    assert "Leave a reply" not in article.to_markdown()


def test_comments_have_their_own_section_in_every_format() -> None:
    article = declutter.extract(THREAD, options=Options(keep_comments=True))
    md = article.to_markdown()
    body, section = md.split("\n\n## Comments\n\n")
    assert "Ann" not in body
    assert section.startswith("> **Ann** · 2025-01-01T10:00\n>\n> First line.\n>\n> Second one.")
    doc = lxml.html.document_fromstring(article.to_html())
    entries = doc.xpath("//section[@class='comments']/article[@class='comment']")
    assert [e.xpath("string(.//b[@class='author'])") for e in entries] == ["Ann", "Bob", "Cy", ""]
    assert entries[0].xpath("string(.//time/@datetime)") == "2025-01-01T10:00"


def test_the_command_prints_comments_apart(tmp_path: Path) -> None:
    page = tmp_path / "thread.html"
    page.write_text(THREAD, encoding="utf-8")
    text = subprocess.run([sys.executable, "-m", "declutter", "--keep-comments", str(page)],
                          capture_output=True, check=True).stdout.decode()
    assert text.endswith("\n\nComments\n\nAnn · 2025-01-01T10:00\nFirst line.\n\nSecond one."
                         "\n\nBob\nA reply.\n\nCy · 2025-01-02\nMicrodata comment.\n\n"
                         "No author here.\n")
    plain = subprocess.run([sys.executable, "-m", "declutter", str(page)],
                           capture_output=True, check=True).stdout.decode()
    assert text.startswith(plain.rstrip("\n") + "\n\nComments\n\n")
    data = json.loads(subprocess.run(
        [sys.executable, "-m", "declutter", "-f", "json", "--keep-comments", str(page)],
        capture_output=True, check=True).stdout)
    assert data["comments"][2] == {"text": "Microdata comment.", "author": "Cy",
                                   "published": "2025-01-02"}
    data = json.loads(subprocess.run([sys.executable, "-m", "declutter", "-f", "json", str(page)],
                                     capture_output=True, check=True).stdout)
    assert "comments" not in data


def test_parquet_holds_marks_and_comments(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "thread.html").write_text(THREAD, encoding="utf-8")
    (pages / "wall.html").write_text(PAGE, encoding="utf-8")
    out = tmp_path / "pages.parquet"
    summary = declutter.run_bulk(pages, out, jobs=0, fmt="json",
                                 options=Options(keep_comments=True))
    assert summary.ok
    import pandas

    table = pandas.read_parquet(out).set_index("path")
    assert list(table.loc["thread.html", "comments"][0].values()) == [
        "First line.\n\nSecond one.", "Ann", "2025-01-01T10:00"]
    assert len(table.loc["wall.html", "comments"]) == 0
    marks = table.loc["wall.html", "blocks"][0]["marks"]
    assert dict(marks[0]) == {"kind": "link", "start": 52, "end": 69, "url": "/walls", "alt": ""}


# ---------------------------------------------------------------------------
# XML and TEI
# ---------------------------------------------------------------------------

TEI = "{http://www.tei-c.org/ns/1.0}"
_XML_BLOCKS = {"paragraph", "heading", "item", "list", "quote", "preformatted", "table", "row",
               "cell", "p", "head", "div", "label"}


def _xml_words(element: etree._Element) -> list[str]:
    """The words of an XML element's text, blocks and line breaks kept apart."""
    element = copy.deepcopy(element)
    for el in element.iter():
        local = etree.QName(el).localname
        if local in _XML_BLOCKS or local == "lb":
            el.tail = "\n" + (el.tail or "")
            el.text = "\n" + (el.text or "")
        if local == "desc":  # an image's alt text, no word of the body
            el.text = ""
    return WORD_RE.findall("".join(element.itertext()))


def _comment_words(article: declutter.Article, *, heading: bool) -> list[str]:
    words = ["Comments"] if heading and article.comments is not None else []
    for comment in article.comments or ():
        for part in (comment.author, comment.published, comment.text):
            words.extend(WORD_RE.findall(part or ""))
    return words


@pytest.fixture(scope="module")
def tei_dtd() -> etree.DTD:
    """The TEI DTD trafilatura ships: the one its own TEI output is checked against."""
    import trafilatura

    return etree.DTD(str(Path(trafilatura.__file__).parent / "data" / "tei_corpus.dtd"))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_xml_and_tei_have_the_words_of_clean(sample: Path, variant: str,
                                             tei_dtd: etree.DTD) -> None:
    article = declutter.extract((sample / "page.html").read_bytes(), options=VARIANTS[variant])
    text_words = WORD_RE.findall(article.text)
    own = etree.fromstring(article.to_xml(explain=True).encode())
    assert _xml_words(own.find("body")) == text_words
    assert own.findtext("metadata/title") == article.title
    assert len(own.findall("removed/removal")) == len(article.removed)
    if article.comments is not None:
        assert [(c.get("author"), c.get("published"), "\n\n".join(p.text or "" for p in c))
                for c in own.iterfind("comments/comment")] == [
            (c.author, c.published, c.text) for c in article.comments]
    tei = etree.fromstring(article.to_tei().encode())
    assert tei_dtd.validate(tei), tei_dtd.error_log.filter_from_errors()
    assert _xml_words(tei.find(f"{TEI}text/{TEI}body")) == text_words + _comment_words(
        article, heading=True)


def test_xml_schema() -> None:
    article = declutter.extract(PAGE, url=URL, options=Options(keep_captions=True))
    root = etree.fromstring(article.to_xml().encode())
    assert root.tag == "article" and root.get("is_article") == "true"
    assert [child.tag for child in root] == ["metadata", "body"]  # no comments, no removals
    assert [child.tag for child in root.find("body")] == [
        "paragraph", "paragraph", "paragraph", "list", "paragraph", "quote", "paragraph"]
    first = root.find("body/paragraph")
    assert [(el.tag, el.get("url"), el.text) for el in first] == [
        ("link", "https://news.example/walls", "northern sea wall"),
        ("emphasis", None, "first proposed"), ("strong", None, "long overdue")]
    nested = root.find("body/list/item/list")
    assert nested.get("ordered") == "false"
    assert [item.text for item in nested] == ["from the quarry", "by barge"]
    image = root.find("body/paragraph/image")
    assert image.attrib == {"url": "https://news.example/img/wall.jpg",
                            "alt": "The wall at low tide"}
    explained = etree.fromstring(article.to_xml(explain=True).encode())
    assert [(r.get("category"), r.get("rule"), r.text)
            for r in explained.iterfind("removed/removal")] == [
        ("title", "title:headline", "Council backs sea wall")]


def test_text_that_xml_cannot_hold_is_left_out() -> None:
    block = Block("paragraph", "a\x0bb \ud800 c <tag> & d")
    article = declutter.Article(text=block.text, blocks=(block,), title="T")
    own = etree.fromstring(article.to_xml().encode())
    assert own.findtext("body/paragraph") == "ab  c <tag> & d"
    assert etree.fromstring(article.to_tei().encode()) is not None


def _declutter(*args: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "declutter", *map(str, args)],
                          capture_output=True, check=False)


def test_the_command_writes_xml_and_tei(tmp_path: Path) -> None:
    page = tmp_path / "wall.html"
    page.write_text(PAGE, encoding="utf-8")
    result = _declutter("-f", "xml", "--explain", "--url", URL, page)
    assert result.returncode == 0 and result.stderr == b""  # the removals are in the XML
    root = etree.fromstring(result.stdout)
    assert root.find("removed/removal").get("rule") == "title:headline"
    assert root.find("body/paragraph/link").get("url") == "https://news.example/walls"
    tei = _declutter("-f", "tei", "--no-links", page)
    assert etree.fromstring(tei.stdout).find(f".//{TEI}ref") is None


def test_bulk_writes_every_format(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "wall.html").write_text(PAGE, encoding="utf-8")
    article = declutter.extract(PAGE)
    for fmt, name, expected in (("xml", "wall.xml", article.to_xml(explain=True)),
                                ("tei", "wall.tei.xml", article.to_tei()),
                                ("markdown", "wall.md", article.to_markdown() + "\n")):
        out = tmp_path / fmt
        args = ["bulk", pages, "-o", out, "--format", fmt, "--jobs", "0", "-q"]
        result = _declutter(*args, *(["--explain"] if fmt == "xml" else []))
        assert result.returncode == 0, result.stderr
        assert (out / name).read_text(encoding="utf-8") == expected
    result = _declutter("bulk", pages, "-o", tmp_path / "tei.jsonl", "--format", "tei", "-q")
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "tei.jsonl").read_text(encoding="utf-8"))
    assert record["tei"] == article.to_tei()


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

AWKWARD = (
    "<html><head><title>Mayor says \"yes, finally\", then \"no\"</title>"
    "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"author\": "
    "[{\"@type\": \"Person\", \"name\": \"Jane Doe\"}, {\"@type\": \"Person\", "
    "\"name\": \"Ann Lee\"}]}</script></head>"
    "<body><article><h1>Mayor says \"yes, finally\", then \"no\"</h1>"
    "<p>The mayor said \"yes, finally\" on Monday, then, on Tuesday, said \"no\" to the plan "
    "for the harbour wall, which the council had backed by a wide margin.</p>"
    "<p>Residents, who had waited, were \"stunned\"; one wrote:<br>line one,<br>\"line two\""
    "</p><p>The council meets again next week to discuss the harbour wall budget.</p>"
    "</article></body></html>"
)


def test_csv_is_one_row_per_page_that_pandas_reads(tmp_path: Path) -> None:
    import pandas

    pages = tmp_path / "pages"
    (pages / "sub").mkdir(parents=True)
    (pages / "awkward.html").write_text(AWKWARD, encoding="utf-8")
    (pages / "sub" / "wall.html").write_text(PAGE, encoding="utf-8")
    (pages / "empty.html").write_text("<html><body><p>Home</p></body></html>",
                                      encoding="utf-8")
    out = tmp_path / "pages.csv"
    result = _declutter("bulk", pages, "-o", out, "--jobs", "0", "-q")
    assert result.returncode == 0, result.stderr
    table = pandas.read_csv(out, keep_default_na=False).set_index("path")
    assert list(table.columns) == ["url", "title", "authors", "published", "site_name",
                                   "language", "description", "is_article", "confidence",
                                   "fallback", "text"]
    assert sorted(table.index) == ["awkward.html", "empty.html", "sub/wall.html"]
    assert table.loc["empty.html", "text"] == ""  # no article: a row all the same
    awkward = declutter.extract(AWKWARD)
    row = table.loc["awkward.html"]
    assert row["text"] == awkward.text and "\n\n" in row["text"] and '"' in row["text"]
    assert row["title"] == 'Mayor says "yes, finally", then "no"'
    assert row["authors"] == "Jane Doe; Ann Lee"
    assert bool(row["is_article"]) is awkward.is_article
    assert table.loc["sub/wall.html", "text"] == declutter.clean(PAGE)
    with out.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert len(rows) == 4 and rows[0][0] == "path"


def test_csv_with_a_format_and_comments(tmp_path: Path) -> None:
    import pandas

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "thread.html").write_text(THREAD, encoding="utf-8")
    out = tmp_path / "pages.csv"
    result = _declutter("bulk", pages, "-o", out, "--format", "markdown", "--keep-comments",
                        "--jobs", "0", "-q")
    assert result.returncode == 0, result.stderr
    row = pandas.read_csv(out).iloc[0]
    article = declutter.extract(THREAD, options=Options(keep_comments=True))
    assert row["markdown"] == article.to_markdown()
    assert json.loads(row["comments"])[0] == {"text": "First line.\n\nSecond one.",
                                              "author": "Ann", "published": "2025-01-01T10:00"}


def test_csv_resume_cuts_a_row_cut_short(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for index in range(3):
        (pages / f"p{index}.html").write_text(AWKWARD, encoding="utf-8")
    out = tmp_path / "pages.csv"
    assert _declutter("bulk", pages, "-o", out, "--jobs", "0", "-q").returncode == 0
    whole = out.read_bytes()
    # A run killed while writing the last row: its text cut inside the quoted field.
    cut = whole[: whole.rindex(b"stunned")]
    out.write_bytes(cut)
    result = _declutter("bulk", pages, "-o", out, "--jobs", "0", "--resume",
                        "--summary-json", tmp_path / "summary.json")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["done"], summary["skipped"]) == (1, 2)
    assert sorted(out.read_bytes().split(b"\r\n")) == sorted(whole.split(b"\r\n"))


def test_the_documented_examples_are_real_output(tmp_path: Path) -> None:
    """docs/formats.md shows what the commands print for its page."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "formats.md").read_text(
        encoding="utf-8")
    section = doc[doc.index("## One page in every format"):doc.index("## The plain text")]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    page = tmp_path / "story.html"
    page.write_text(blocks[0][1], encoding="utf-8")
    commands = [("-f", "text"), ("-f", "markdown", "--keep-comments"), ("-f", "html"),
                ("-f", "xml", "--keep-comments"), ("-f", "tei")]
    for (_, shown), args in zip(blocks[1:6], commands, strict=True):
        assert _declutter(*args, page).stdout.decode() == shown
    pages = tmp_path / "pages"
    pages.mkdir()
    page.rename(pages / "story.html")
    assert _declutter("bulk", pages, "-o", tmp_path / "pages.csv", "-q").returncode == 0
    written = (tmp_path / "pages.csv").read_bytes().decode().replace("\r\n", "\n")
    assert written == blocks[6][1]


def test_a_link_over_a_line_break_is_one_link_per_line() -> None:
    """A link wrapping lines of an address block: each line keeps the link and no line
    opens a bracket that a later line closes."""
    body = ("<p>The council meets in public every month, and residents may speak at each "
            "meeting for up to three minutes on any item of the agenda they choose.</p>" * 3)
    page = (f"<html><body><article><h1>Meeting</h1>{body}<p>Where: "
            "<a href='/venue'>Town Hall<br>12 Market Street<br>Room 4</a> at seven.</p>"
            "</article></body></html>")
    markdown = declutter.extract(page, url=URL).to_markdown()
    lines = [line for line in markdown.split("\n") if "Market" in line or "Room" in line
             or "Town Hall" in line]
    assert lines == ["Where: [Town Hall](https://news.example/venue)  ",
                     "[12 Market Street](https://news.example/venue)  ",
                     "[Room 4](https://news.example/venue) at seven."]


def test_a_space_inside_a_link_address_is_sent_encoded() -> None:
    """A space inside an href (a broken template, "report 2025.pdf") is percent-encoded as
    a browser sends it, in the blocks and so in every rendering; the link stays."""
    body = ("<p>The council meets in public every month, and residents may speak at each "
            "meeting for up to three minutes on any item of the agenda they choose.</p>" * 3)
    page = (f"<html><body><article><h1>Budget</h1>{body}<p>Read the "
            "<a href=' /files/report 2025.pdf '>full report</a> online.</p>"
            "</article></body></html>")
    article = declutter.extract(page, url=URL)
    links = [m.url for b in article.blocks for m in b.marks if m.kind == "link"]
    assert links == ["https://news.example/files/report%202025.pdf"]
    assert "[full report](https://news.example/files/report%202025.pdf)" in article.to_markdown()


def test_a_link_inside_a_link_keeps_its_text_in_the_outer_one() -> None:
    """Markdown has no nested links: a tree that holds one (a parser's repair of broken
    markup) gives the outer link with the inner one's text."""
    body = ("<p>The council meets in public every month, and residents may speak at each "
            "meeting for up to three minutes on any item of the agenda they choose.</p>" * 3)
    page = lxml.html.fromstring(f"<html><body><article><h1>Budget</h1>{body}<p>See "
                                "<a href='/all'>the notes </a> here.</p></article></body></html>")
    outer = page.xpath("//a")[0]
    inner = lxml.html.fromstring("<a href='/inner'>of the meeting</a>")
    inner.tail = " today"
    outer.append(inner)
    markdown = declutter.extract(page, url=URL).to_markdown()
    assert "See [the notes of the meeting today](https://news.example/all) here." in markdown
