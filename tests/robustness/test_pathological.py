"""Pathological pages: extreme structure and sizes end in a result, quickly, with the text.

The cases are those of ``benchmarks/robustness.py`` (which measures them at
full size: 100,000 deep, a million siblings, 50 MB); here each runs at a scale
that still proves its property within CI's time. Nesting 100,000 deep is
cheap, so it runs at full depth. Past libxml2's limits (256 open elements, a
text node over 10 MB) the parser used to stop and drop the rest of the page;
the sentinel paragraph, which comes after the pathological start tags, shows
that it no longer does.
"""

from __future__ import annotations

import codecs
import time

import pytest
from _robust import PAGE_SECONDS, assert_text, check_article, run_both

import declutter
from benchmarks.robustness import CASES_BY_NAME, PARAGRAPHS, article
from declutter import InputTooLargeError, Options

#: The scale of each case here (1.0 is the benchmark's full size).
SCALES = {
    "deep_div": 1.0,
    "deep_inline": 1.0,
    "deep_table": 0.1,
    "deep_list": 0.3,
    "deep_unclosed": 0.3,
    "siblings_p": 0.05,
    "siblings_million": 0.05,
    "page_50mb": 1.0,
    "tables_19mb": 0.02,
    "text_node_20mb": 0.55,  # 11 MB: over libxml2's 10 MB text node limit
    "attributes": 1.0,
    "colspan": 0.2,
    "unterminated_comment": 0.1,
    "unterminated_script": 0.1,
    "unterminated_cdata": 0.1,
    "unterminated_attribute": 0.1,
    "nul_bytes": 0.05,
    "surrogates": 0.05,
    "mixed_encodings": 0.05,
    "bom_vs_meta": 0.05,
    "control_refs": 0.05,
    "entities": 0.05,
    "jsonld_deep": 0.1,
    "undeclared_legacy": 0.05,
    "random_high_bytes": 0.1,
    "parse_errors": 0.05,
}
OPEN = Options(articles_only=False)


def test_every_benchmark_case_is_tested() -> None:
    assert set(SCALES) == set(CASES_BY_NAME)


@pytest.mark.parametrize("name", sorted(SCALES))
def test_pathological_case(name: str) -> None:
    case = CASES_BY_NAME[name]
    page, max_bytes = case.build(SCALES[name])
    options = OPEN.replace(max_bytes=max_bytes) if max_bytes else OPEN
    start = time.perf_counter()
    if case.refused:
        with pytest.raises(InputTooLargeError):
            declutter.clean(page, options=options)
        assert time.perf_counter() - start < 1.0, "refusing an oversized page must be instant"
        return
    if case.extract:
        article_ = declutter.extract(page, options=options)
        check_article(article_)
        text = article_.text
    else:
        text = declutter.clean(page, options=options)
        assert_text(text, "clean()")
    seconds = time.perf_counter() - start
    assert seconds < PAGE_SECONDS, f"{case.description}: {seconds:.1f} s"
    if case.sentinel:
        assert "zanzibarite" in text, f"{case.description}: the end of the page was lost"
    for paragraph in PARAGRAPHS:
        assert paragraph in text


# --------------------------------------------------------------------------- depth


@pytest.mark.parametrize(("opening", "closing"), [
    ("<div>", "</div>"),
    ("<span>", "</span>"),
    ("<div><p>", "</p></div>"),
    ("<table><tr><td>", "</td></tr></table>"),
    ("<ul><li>", "</li></ul>"),
    ("<blockquote>", ""),
    ("<section><article>", "</article></section>"),
    ("<b><i><em><font><span>", ""),
])
def test_nesting_100000_deep(opening: str, closing: str) -> None:
    """No RecursionError, no halt: text inside and after the deep part survives."""
    depth = 100_000 if len(opening) < 10 else 20_000
    inner = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    after = "<p>The paragraph after the deep part is read too: its word is aftermath.</p>"
    page = f"<html><body>{opening * depth}{inner}{closing * depth}{after}</body></html>"
    start = time.perf_counter()
    article_ = declutter.extract(page, options=OPEN)
    assert time.perf_counter() - start < PAGE_SECONDS
    check_article(article_)
    for paragraph in PARAGRAPHS:
        assert paragraph in article_.text
    seen = article_.text + " ".join(removal.excerpt for removal in article_.removed)
    assert "aftermath" in seen, "the parser stopped inside the deep part"


def test_parsed_tree_depth_is_bounded() -> None:
    """Whatever the input, the tree the stages walk is at most MAX_DEPTH deep."""
    from declutter._stages.parse import MAX_DEPTH, parse

    for page in ("<div>" * 100_000, "<b>" * 100_000 + "x", "<table><tr><td>" * 5_000,
                 "<p>" + "<span>" * 3000 + "<div>" * 3000):
        root = parse(page)
        assert root is not None
        deepest = max(sum(1 for _ in el.iterancestors()) + 1 for el in root.iter())
        assert deepest <= MAX_DEPTH


# --------------------------------------------------------------------------- size limits


def test_default_limit_refuses_50_mb_quickly() -> None:
    page = b"<p>" + b"x" * (50 * 1024 * 1024)
    for value in (page, bytearray(page), memoryview(page), page.decode("ascii")):
        start = time.perf_counter()
        with pytest.raises(InputTooLargeError):
            declutter.clean(value)
        with pytest.raises(InputTooLargeError):
            declutter.extract(value)
        assert time.perf_counter() - start < 1.0


def test_custom_limit_is_exact() -> None:
    page = article().encode("utf-8")
    assert "zanzibarite" in declutter.clean(page, options=Options(max_bytes=len(page)))
    with pytest.raises(InputTooLargeError):
        declutter.clean(page, options=Options(max_bytes=len(page) - 1))


def test_limit_counts_utf8_bytes_of_str() -> None:
    page = article(extra_after="<p>" + "水" * 2000 + "</p>")
    size = len(page.encode("utf-8"))
    assert len(page) < size - 3000
    declutter.clean(page, options=Options(max_bytes=size))
    with pytest.raises(InputTooLargeError):
        declutter.clean(page, options=Options(max_bytes=size - 1))
    with pytest.raises(InputTooLargeError):
        declutter.clean(page, options=Options(max_bytes=len(page)))


def test_huge_attribute_value_and_comment_do_not_lose_the_page() -> None:
    """libxml2 stops at 10 MB in one attribute or comment, as in one text node."""
    big = "v" * (10 * 1024 * 1024 + 100)
    options = OPEN.replace(max_bytes=12 * 1024 * 1024)
    for page in (article(f'<div title="{big}">x</div>'), article(f"<!--{big}-->"),
                 article(f"<script>{big}</script>")):
        assert "zanzibarite" in declutter.clean(page, options=options)


def test_many_attributes_stay_fast_and_keep_the_meaningful_ones() -> None:
    attributes = " ".join(f"data-x{i}=1" for i in range(50_000))
    page = article(f'<div {attributes} class="ad-slot" hidden><p>Buy a thing now.</p></div>')
    start = time.perf_counter()
    text = declutter.clean(page, options=OPEN)
    assert time.perf_counter() - start < PAGE_SECONDS
    assert "zanzibarite" in text
    assert "Buy a thing" not in text  # class and hidden still read after 50,000 others


@pytest.mark.parametrize("count", [7_000, 50_000])
def test_many_attributes_behind_a_quoted_angle_bracket_stay_fast(count: int) -> None:
    """A ">" inside a quoted value hides the rest of the tag from the long-tag search."""
    attributes = " ".join(f"data-x{i}=1" for i in range(count))
    page = article(f'<div title="a > b" {attributes} class="ad-slot"><p>Buy a thing now.</p></div>')
    start = time.perf_counter()
    text = declutter.clean(page, options=OPEN)
    assert time.perf_counter() - start < PAGE_SECONDS
    assert "zanzibarite" in text


def test_attribute_limit_reads_markup_not_scripts() -> None:
    """Scripts hold most of a big page's "=" and quoted ">", but no attributes: the
    search for hidden long tags leaves them as they are, and still finds one in markup."""
    from declutter._stages.parse import MAX_ATTRIBUTES, _limit_attributes

    script = "<script>var t = 'a>b'; " + " ".join(f"v{i} = {i};" for i in range(6_000))
    script += ' run("x > y") ' + " ".join(f"w{i}" for i in range(100)) + "</script>"
    page = article(script)
    assert _limit_attributes(page) == page
    attributes = " ".join(f"data-x{i}=1" for i in range(6_000))
    hidden = article(script + f'<div title="a > b" {attributes} class="ad">x</div>')
    limited = _limit_attributes(hidden)
    assert script in limited
    # Read from the hiding value on: 64 attributes, and the meaningful class beyond them.
    assert limited.count("data-x") == MAX_ATTRIBUTES
    assert 'class="ad"' in limited


def test_attribute_limit_leaves_text_that_looks_like_an_attribute() -> None:
    """'config = "a>b"' and 80 words in a <pre>, on a page of many attribute values:
    text, not a tag, so no word of it is cut."""
    from declutter._stages.parse import _limit_attributes

    words = " ".join(f"word{i}" for i in range(80))
    spans = "".join(f'<span data-a="{i}"></span>' for i in range(4_100))
    page = article(f'<pre>config = "a>b" {words}</pre>{spans}')
    assert _limit_attributes(page) == page
    assert "word79" in declutter.clean(page, options=OPEN)


@pytest.mark.parametrize("hide", ["", 'title="a > b" '])
def test_many_attributes_on_a_page_for_the_fallback_stay_fast(hide: str) -> None:
    """A page too thin for our locator goes to the fallback, which must get the cut tags."""
    attributes = " ".join(f"data-x{i}=1" for i in range(50_000))
    page = (f"<html><body><p>A short note on the harbour wall vote.</p>"
            f"<div {hide}{attributes} class='ad'><p>Buy a thing now.</p></div></body></html>")
    start = time.perf_counter()
    declutter.extract(page, options=OPEN)
    assert time.perf_counter() - start < PAGE_SECONDS


# --------------------------------------------------------------------------- broken markup


@pytest.mark.parametrize("tail", [
    "<!--", "<script>", "<style>", "<textarea>", "<title>", "<xmp>", "<plaintext>",
    "<![CDATA[", '<p title="', "<p title='", "<", "</", "<!", "<?", "<a href=",
    "&#x", "&#", "&", "<!DOCTYPE html [<!ENTITY",
])
def test_unterminated_constructs(tail: str) -> None:
    page = article() + tail + " trailing <p>more</p> words"
    text = declutter.clean(page, options=OPEN)
    assert "zanzibarite" in text
    run_both(page)
    run_both(page.encode("utf-8"))
    run_both(article()[:-len("</body></html>")] + tail)


@pytest.mark.parametrize("as_bytes", [False, True])
def test_nul_bytes_everywhere(as_bytes: bool) -> None:
    page = article("<d\x00iv cl\x00ass='a\x00d'>x</div>", "<p>a\x00b</p>").replace(
        "harbour", "har\x00bour")
    data: str | bytes = page.encode("utf-8") if as_bytes else page
    text = declutter.clean(data, options=OPEN)
    assert "\x00" not in text
    assert "zanzibarite" in text


def test_invalid_surrogates_in_str() -> None:
    page = article("<p>\ud800\udfff\udc80 broken pairs \ud83d</p>", "<p class='\udcff'>x</p>")
    article_ = declutter.extract(page, options=OPEN)
    check_article(article_)
    assert "zanzibarite" in article_.text


# --------------------------------------------------------------------------- encodings


def test_truncated_utf8_download_is_not_mojibake() -> None:
    page = article(extra_after="<p>Größe, café, naïve — “quoted” text follows</p>")
    data = page.encode("utf-8")
    cut = data[: data.index("“".encode()) + 2]  # inside the three bytes of “
    text = declutter.clean(cut, options=OPEN)
    assert "Größe, café, naïve —" in text
    assert "Ã" not in text and "â€" not in text


def test_utf8_with_windows_1252_snippet() -> None:
    head, tail = article(extra_after="\x00").encode("utf-8").split(b"\x00")
    utf8 = "<p>Die Größe der Brücke überrascht die Bürger sehr.</p>".encode()
    snippet = "<p>Le café « crème » coûte 3 €.</p>".encode("cp1252")
    text = declutter.clean(head + utf8 + snippet + tail, options=OPEN)
    assert "Die Größe der Brücke überrascht die Bürger sehr." in text
    assert "Le café « crème » coûte 3 €." in text


@pytest.mark.parametrize(("bom", "codec"), [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
])
def test_bom_wins_over_a_contradicting_meta_charset(bom: bytes, codec: str) -> None:
    page = article(extra_after="<p>Водохранилище обмелело — сообщили власти города.</p>")
    page = page.replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    text = declutter.clean(bom + page.encode(codec), options=OPEN)
    assert "Водохранилище обмелело — сообщили власти города." in text


@pytest.mark.parametrize("label", [
    "rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri", "undefined", "idna",
    "punycode", "utf-7", "unicode_escape", "raw_unicode_escape", "utf-16", "utf-32",
    "x-user-defined", "mbcs", "no-such-codec", "",
])
def test_charset_labels_that_are_not_web_encodings(label: str) -> None:
    """Python codecs a page could name; none may crash or rewrite the page's text."""
    page = article(extra_after="<p>caf\xe9 +ADw-script+AD4-alert(1)+ADw-/script+AD4- \\x41</p>")
    page = page.replace('charset="utf-8"', f'charset="{label}"')
    data = page.encode("cp1252")
    text = declutter.clean(data, options=OPEN)
    assert "café +ADw-script+AD4-alert(1)+ADw-/script+AD4- \\x41" in text


def test_undeclared_legacy_page_is_detected_from_a_bounded_sample() -> None:
    page = article(extra_after="<p>Le café du marché a fermé à l'été.</p>" * 20_000)
    data = page.replace('<meta charset="utf-8">', "").encode("cp1252")
    assert len(data) > 800_000
    start = time.perf_counter()
    text = declutter.clean(data, options=OPEN)
    assert time.perf_counter() - start < PAGE_SECONDS
    assert "Le café du marché a fermé à l'été." in text


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("address", ["http://[::1", "http://[x/", "https://a]b/"])
def test_malformed_canonical_url_is_not_an_error(address: str) -> None:
    """urljoin and urlsplit raise ValueError on such addresses; extract() must not."""
    head = (f"<link rel='canonical' href='{address}'>"
            f"<meta property='og:url' content='{address}'></head>")
    page = article().replace("</head>", head)
    for url in (None, "https://example.com/story"):
        check_article(declutter.extract(page, url=url))


@pytest.mark.parametrize("url", [5, b"https://example.com/", object()])
def test_wrong_url_type_is_a_type_error(url: object) -> None:
    with pytest.raises(TypeError):
        declutter.extract(article(), url=url)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["o:p", "x:y", "b<!doctype"])
def test_odd_tag_names_around_removed_elements(name: str) -> None:
    """Tag names that are not XPath names (<o:p> from Word exports) around removed elements."""
    page = (f"<html><body><nav class=menu><a href=/>Home</a></nav><{name}><div class=ad>"
            f"Advertisement</div>short text</{name}><p>Short.</p></body></html>")
    for options in (Options(), OPEN):
        run_both(page, options)


def test_code_that_looks_like_a_long_tag_is_not_rewritten() -> None:
    """``i<n.length ...`` inside a script is code: the attribute cap must not read it as a
    tag, or a quote opened in it would run on past the script's end and cut the article
    that follows (here, up to the apostrophe of "board's")."""
    code = "for(i=0;i<n.length ;i++){" + " q" * 1500 + " a='x"
    plain = article(extra_before="<p>The board's statement came late on Monday night.</p>")
    page = plain.replace("<body>", f"<body><script>{code}</script>", 1)
    assert declutter.clean(page, options=OPEN) == declutter.clean(plain, options=OPEN)
