"""Hand-computed cases for the benchmark's metrics (``benchmarks/``).

The figures in the README are only worth comparing if our metrics are the
published ones, so every rule of ``../shared/bench/README.md`` that can go
subtly wrong (short texts, multisets, empty outputs, pooling, HTML-to-text)
has a case here. None of these need the benchmark data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# benchmarks/ is not an installed package; make the repo root importable under plain `pytest`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.boilerplate import boilerplate_category
from benchmarks.datasets import Dataset, Page, decode_html, html_to_text
from benchmarks.metrics import (
    ShingleScore,
    SnippetScore,
    aggregate_paragraphs,
    aggregate_shingles,
    aggregate_words,
    failure_class,
    leaked_lines,
    paragraph_score,
    pool_snippets,
    roc_auc,
    shingle_score,
    shingles,
    snippet_score,
    split_lines,
    split_paragraphs,
    tokens,
    word_score,
)
from benchmarks.run import run_tool
from benchmarks.scoring import by_part, score_rows
from benchmarks.split import part_of, site_of
from benchmarks.timing import PARSE, time_interleaved
from benchmarks.tools import Tool, lines_to_paragraphs

# --------------------------------------------------------------------------- tokens, shingles


def test_tokens_are_unicode_word_runs_with_case_kept() -> None:
    assert tokens("Hello, world! it's a_b") == ["Hello", "world", "it", "s", "a_b"]
    assert tokens("Grüße aus 東京 2024") == ["Grüße", "aus", "東京", "2024"]
    # A combining mark is not a word character: it splits the token.
    assert tokens("e\u0301t\u00e9") == ["e", "t\u00e9"]
    assert tokens(" \n\n—…") == []


def test_short_texts_have_exactly_one_shingle() -> None:
    assert shingles("") == {}
    assert shingles("...") == {}
    assert shingles("one") == {("one",): 1}
    assert shingles("one, two") == {("one", "two"): 1}
    assert shingles("one two three") == {("one", "two", "three"): 1}


def test_shingles_are_a_multiset_of_4_grams() -> None:
    assert shingles("a b c d") == {("a", "b", "c", "d"): 1}
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b c d a b c d") == {
        ("a", "b", "c", "d"): 2,
        ("b", "c", "d", "a"): 1,
        ("c", "d", "a", "b"): 1,
        ("d", "a", "b", "c"): 1,
    }


def test_shingle_score_counts_the_multiset_intersection() -> None:
    # reference: abcd x2, bcda, cdab, dabc (5); output: abcd (1)
    s = shingle_score("a b c d a b c d", "a b c d")
    assert (s.tp, s.fp, s.fn) == pytest.approx((0.2, 0.0, 0.8))
    assert s.precision == pytest.approx(1.0)
    assert s.recall == pytest.approx(0.2)
    # output repeats a shingle more often than the reference: the surplus is fp
    s = shingle_score("a b c d", "a b c d a b c d a b c d")  # output: 9 shingles, abcd x3
    assert s.precision == pytest.approx(1 / 9)
    assert s.recall == pytest.approx(1.0)


def test_short_texts_match_only_as_a_whole() -> None:
    assert shingle_score("one two", "one two").precision == 1.0
    s = shingle_score("one two", "one two three")
    assert (s.precision, s.recall) == (0.0, 0.0)


def test_empty_output_and_empty_reference_edge_cases() -> None:
    empty_output = shingle_score("a b c d", "")
    assert empty_output.precision is None and empty_output.recall == 0.0
    empty_reference = shingle_score("", "a b c d")
    assert empty_reference.precision == 0.0 and empty_reference.recall is None
    both = shingle_score("", " , ")
    assert both == ShingleScore(0.0, 0.0, 0.0)
    assert both.precision is None and both.recall is None


def test_aggregate_averages_p_and_r_then_takes_f1_of_the_means() -> None:
    pages = [
        shingle_score("a b c d e", "a b c d"),  # P 1, R 0.5
        shingle_score("a b c d", ""),  # empty output: R 0, not in P
        shingle_score("", "a b c d"),  # empty reference: P 0, not in R
        shingle_score("", ""),  # in neither
    ]
    prf = aggregate_shingles(pages)
    assert prf.precision == pytest.approx(0.5)
    assert prf.recall == pytest.approx(0.25)
    assert prf.f1 == pytest.approx(1 / 3)  # 2 * 0.5 * 0.25 / 0.75, not a mean of page F1s
    assert aggregate_shingles([]).f1 == 0.0


# --------------------------------------------------------------------------- snippets


def test_snippets_are_case_sensitive_substrings_after_whitespace_normalisation() -> None:
    s = snippet_score("Hello   world\nfoo", ["Hello  world", "hello world"], ["foo", "baz"])
    assert s == SnippetScore(tp=1, fp=1, fn=1, tn=1)


def test_empty_output_makes_with_snippets_fn_and_without_snippets_tn() -> None:
    assert snippet_score("", ["a", "b"], ["c"]) == SnippetScore(tp=0, fp=0, fn=2, tn=1)


def test_snippet_counts_are_pooled_not_averaged() -> None:
    pooled = pool_snippets([SnippetScore(tp=2, fp=1, fn=0, tn=1), SnippetScore(fn=2, tn=1)])
    assert pooled == SnippetScore(tp=2, fp=1, fn=2, tn=2)
    assert pooled.precision == pytest.approx(2 / 3)
    assert pooled.recall == pytest.approx(0.5)
    assert pooled.f1 == pytest.approx(4 / 7)
    assert pooled.accuracy == pytest.approx(4 / 7)
    assert SnippetScore().f1 == 0.0 and SnippetScore().accuracy == 0.0


# --------------------------------------------------------------------------- paragraphs


def test_paragraph_splitting() -> None:
    assert split_paragraphs("A  b\n\n\n c\nd \n \t\nE\n\n") == ["A b", "c d", "E"]
    assert split_paragraphs("  \n\n ") == []
    assert split_lines("x\n\ny \n  z  z") == ["x", "y", "z z"]


def test_paragraph_matching_is_a_multiset_match() -> None:
    p = paragraph_score(["a", "a", "b"], ["a", "c"])
    assert (p.matched, p.precision, p.recall) == (1, pytest.approx(1 / 3), 0.5)
    p = paragraph_score(["a", "a"], ["a", "a", "a"])
    assert (p.precision, p.recall) == (1.0, pytest.approx(2 / 3))


def test_paragraph_averages_leave_out_empty_sides() -> None:
    scores = [
        paragraph_score(["a"], ["a", "b"]),  # P 1, R 0.5
        paragraph_score([], ["a"]),  # only in R: 0
        paragraph_score(["x"], []),  # only in P: 0
    ]
    assert aggregate_paragraphs(scores) == (pytest.approx(0.5), pytest.approx(0.25))


def test_lines_to_paragraphs() -> None:
    assert lines_to_paragraphs("one\ntwo\n\n three ") == "one\n\ntwo\n\n three "


# --------------------------------------------------------------------------- HTML to text


def test_block_elements_split_paragraphs_and_loose_text_is_its_own_paragraph() -> None:
    html = "<div>intro<p>one</p>between<p>two</p>tail</div>"
    assert html_to_text(html) == "intro\n\none\n\nbetween\n\ntwo\n\ntail"
    assert html_to_text("<span>a<div>b</div>c</span>") == "a\n\nb\n\nc"
    assert html_to_text("<ul><li>x</li><li>y</li></ul><h2>H</h2>") == "x\n\ny\n\nH"


def test_inline_elements_are_concatenated_without_spaces() -> None:
    assert html_to_text("<p>foo<b>bar</b> baz<a href='#'>qux</a>!</p>") == "foobar bazqux!"


def test_br_is_a_line_break_inside_the_paragraph() -> None:
    assert html_to_text("<p>line one<br>line  two<br/><br></p><p>next</p>") == (
        "line one\nline two\n\nnext"
    )


def test_invisible_content_is_dropped_but_its_tail_kept() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<p>a<script>var x = 1;</script>b<style>p {}</style>c<!-- note -->d</p>"
        "<svg><text>chart</text></svg><template><p>t</p></template></body></html>"
    )
    assert html_to_text(html) == "abcd"


def test_whitespace_entities_and_empty_paragraphs() -> None:
    assert html_to_text("<p>\n  Tom &amp;\t Jerry&#8217;s&nbsp; </p><p> </p><div><br></div>") == (
        "Tom & Jerry\u2019s"
    )
    assert html_to_text("") == ""
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>x</p>') == "x"


# --------------------------------------------------------------------------- decoding


def test_decoding_order() -> None:
    assert decode_html("\ufeffé".encode()) == "é"
    assert decode_html("<p>é</p>".encode()) == "<p>é</p>"
    latin = '<meta charset="iso-8859-2"><p>\xb1</p>'.encode("latin-1")
    assert decode_html(latin).endswith("<p>ą</p>")
    xml = b'<?xml version="1.0" encoding="koi8-r"?><p>\xc1</p>'
    assert decode_html(xml).endswith("<p>а</p>")
    # A declared UTF-8 that is not valid UTF-8, no declaration, or an unknown charset: cp1252.
    assert decode_html(b'<meta charset="utf-8"><p>\x93q\x94</p>').endswith("<p>“q”</p>")
    assert decode_html(b"<p>\x80</p>") == "<p>€</p>"
    assert decode_html(b'<meta charset="x-nonsense"><p>\xe9</p>').endswith("<p>é</p>")


# --------------------------------------------------------------------------- leaked lines


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ("Advertisement", "ad"),
        ("Story continues below advertisement", "ad"),
        ("Anzeige", "ad"),
        ("READ MORE: How the vote went", "related"),
        ("ALSO READ | Markets fall", "related"),
        ("More on this story", "related"),
        ("Share this:", "share"),
        ("Follow us on Twitter", "share"),
        ("Image source, Getty Images", "caption"),
        ("(Photo: Jane Doe/AP)", "caption"),
        ("Sign up for our newsletter", "newsletter"),
        ("Subscribe to our daily briefing", "newsletter"),
        ("By Jane Doe and John Smith", "byline"),
        ("Published 12:32 IST, 18 Nov 2019", "dateline"),
        ("2019-11-18T12:32:00Z", "dateline"),
        ("November 18, 2019", "dateline"),
        ("Comments are closed.", "comments"),
        ("Leave a Reply", "comments"),
        ("12 Comments", "comments"),
        ("By the time we arrived, the polls had closed.", None),
        ("Subscribers rose by ten percent in 2019, the company said.", None),
        ("Sharing economy firms are under pressure.", None),
    ],
)
def test_boilerplate_lexicon(line: str, category: str | None) -> None:
    assert boilerplate_category(line) == category


def test_leaked_lines_skip_lines_found_in_the_reference() -> None:
    output = "Advertisement\nReal text here.\n\nShare\nBy Jane Doe"
    reference = "Real text here. By Jane Doe. Shareholders agreed."
    assert leaked_lines(output, reference) == [("ad", "Advertisement"), ("share", "Share")]


# --------------------------------------------------------------------------- WCXB words


def test_word_score_is_a_lower_cased_bag_of_words() -> None:
    s = word_score("The cat sat. The end", "the CAT sat down")
    # output tokens: the cat sat down (4); overlap: the cat sat (3); reference: 5 tokens
    assert (s.precision, s.recall) == (0.75, 0.6)
    assert s.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert (s.with_found, s.without_found) is not None


def test_word_score_empty_sides_and_snippets() -> None:
    assert word_score("a b", "").f1 == 0.0
    assert word_score("", "").f1 == 1.0
    s = word_score("a b c", "A b  c d", with_=["a B c", "x"], without=["d", "e"])
    assert (s.with_found, s.without_found) == (0.5, 0.5)
    assert word_score("a", "a").with_found is None


def test_word_figures_are_means_over_pages() -> None:
    scores = [word_score("a b", "a b", with_=["a"]), word_score("a b", "")]
    figures = aggregate_words(scores)
    assert (figures.precision, figures.recall, figures.f1) == (0.5, 0.5, 0.5)
    assert (figures.with_found, figures.without_found) == (1.0, 0.0)


# --------------------------------------------------------------------------- failure classes


@pytest.mark.parametrize(
    ("precision", "recall", "empty", "expected"),
    [
        (None, 0.0, True, "empty"),
        (0.2, 0.2, False, "wrong"),
        (0.95, 0.5, False, "partial"),
        (0.5, 0.95, False, "over-inclusive"),
        (0.85, 0.85, False, "mixed"),
        (0.95, 0.95, False, "near"),
        (0.99, 0.98, False, "good"),
    ],
)
def test_failure_classes(
    precision: float | None, recall: float, empty: bool, expected: str
) -> None:
    assert failure_class(precision, recall, empty) == expected


def test_roc_auc_ranks_with_ties_counting_half() -> None:
    assert roc_auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert roc_auc([0.1, 0.2, 0.9, 0.8], [True, True, False, False]) == 0.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
    assert roc_auc([0.3, 0.4], [False, False]) is None


# --------------------------------------------------------------------------- fit/check split


def test_sites_are_registrable_hosts_from_urls_and_file_names() -> None:
    assert site_of("https://www.bbc.co.uk/news/1") == "bbc.co.uk"
    assert site_of("https://edition.cnn.com/x") == "cnn.com"
    assert site_of("hard::elheraldo.hn-JOH.html") == "elheraldo.hn"
    assert site_of("dw.com.colonial.html") == "dw.com"
    assert site_of("jugend-forscht.de-Feuerlöschtechnik.html") == "jugend-forscht.de"
    assert site_of("0af99c85f22b451a93a75bbf99ac412e.html") == (
        "0af99c85f22b451a93a75bbf99ac412e.html"
    )


def test_parts_are_fixed_by_the_site_and_about_a_third_is_checked() -> None:
    sites = [f"site{i}.com" for i in range(3000)]
    parts = [part_of(site) for site in sites]
    assert parts == [part_of(site) for site in sites]
    assert 0.28 < parts.count("check") / len(parts) < 0.38
    assert {part_of("nytimes")} <= {"fit", "check"}


# --------------------------------------------------------------------------- harness


def test_failing_and_none_tools_score_as_empty_output() -> None:
    def boom(html: str) -> str:
        raise RuntimeError("broken")

    pages = (Page("p1", "<p>a b c d</p>", reference="a b c d", ref_paragraphs=("a b c d",)),)
    dataset = Dataset("aeb", "shingle", pages)
    for tool, errors, nones in ((Tool("boom", boom), 1, 0), (Tool("none", lambda h: None), 0, 1)):
        run = run_tool(tool, pages)
        assert run.outputs == [""]
        assert (len(run.errors), len(run.nones)) == (errors, nones)
        rows, leaks = score_rows(dataset, run)
        figures = by_part(dataset, rows)["all"]
        assert (figures["precision"], figures["recall"]) == (0.0, 0.0)
        assert rows[0]["class"] == "empty" and leaks == []


def test_parts_and_lost_pages_are_counted_apart() -> None:
    words = " ".join(f"w{i}" for i in range(60))
    pages = (
        Page("good", f"<p>{words}</p>", reference=words, site="a.com", part="fit"),
        Page("lost", "<p>other text entirely</p>", reference=words, site="b.com", part="check"),
        Page("short", "<p>x</p>", reference="y", site="c.com", part="check"),
    )
    dataset = Dataset("wcxb-dev", "word", pages)
    rows, _ = score_rows(dataset, run_tool(Tool("alltext", html_to_text), pages))
    parts = by_part(dataset, rows)
    assert (parts["fit"]["pages"], parts["check"]["pages"]) == (1, 2)
    assert parts["fit"]["lost"] == 0 and parts["fit"]["classes"]["good"] == 1
    # "short" is wrong too, but its reference is too short to count as a lost page.
    assert parts["check"]["lost"] == 1 and parts["check"]["lost_pages"] == ["lost"]
    assert parts["all"]["f1"] == pytest.approx(1 / 3)


def test_declutter_reports_fallback_articles_and_confidence() -> None:
    words = " ".join(f"w{i}" for i in range(60))
    pages = (Page("a", f"<p>{words}</p>", reference=words),
             Page("b", "<p>nothing</p>", reference=words))
    details = [{"fallback": False, "is_article": True, "confidence": 0.9},
               {"fallback": True, "is_article": False, "confidence": 0.1}]
    tool = Tool("probe", html_to_text, probe=lambda html: (html_to_text(html), details.pop(0)))
    dataset = Dataset("aeb", "shingle", pages)
    rows, _ = score_rows(dataset, run_tool(tool, pages))
    figures = by_part(dataset, rows)["all"]
    assert figures["fallback_pages"] == 1 and figures["rejected_articles"] == ["b"]
    assert figures["confidence_auc"] == 1.0


def test_interleaved_timing_times_every_tool_and_the_parse() -> None:
    pages = (Page("p1", "<p>a b c d</p>"), Page("p2", "<p>e f</p>"))
    timing = time_interleaved([("alltext", html_to_text)], pages, rounds=2)
    assert set(timing.seconds) == {"alltext", PARSE}
    assert all(len(times) == 2 and min(times) > 0 for times in timing.seconds.values())
    assert timing.pages_per_s("alltext") > 0 and timing.slowest(PARSE)[0] in (0, 1)


def test_peak_memory_of_a_big_page_is_measured_in_a_fresh_process() -> None:
    from benchmarks.run import peak_memory

    rows = "".join(f"<p>Paragraph {i} of a long page, with a few words.</p>"
                   for i in range(40_000))
    page = f"<html><body><article>{rows}</article></body></html>"
    grown = peak_memory("declutter", page)
    assert grown is not None and grown > 10  # 40,000 paragraphs, 2.4 MB: about 37 MiB
    assert peak_memory("no-such-tool", page) is None
