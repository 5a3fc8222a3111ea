"""Thread and process safety: concurrent calls give the serial results; values pickle.

lxml parsers keep per-parse state, so declutter keeps one per thread (and a
second one per thread for pages past libxml2's limits); these tests run both
kinds of page from eight threads at once and compare with serial calls, and
send Options and Articles through pickle and through worker processes.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from _robust import sample_pages

import declutter
from benchmarks.robustness import CASES_BY_NAME
from declutter import Article, Options, SiteRule

THREADS = 8


def _pages() -> list[bytes | str]:
    pages: list[bytes | str] = list(sample_pages())
    for name in ("deep_div", "deep_table", "attributes", "text_node_20mb", "mixed_encodings",
                 "undeclared_legacy", "surrogates"):
        page, _ = CASES_BY_NAME[name].build(0.005)
        pages.append(page)
    return pages


def _run(page: bytes | str) -> tuple[str, str]:
    return declutter.clean(page), declutter.extract(page).to_json()


def test_eight_threads_give_the_serial_results() -> None:
    pages = _pages()
    serial = [_run(page) for page in pages]
    barrier = threading.Barrier(THREADS)

    def worker(offset: int) -> list[tuple[int, tuple[str, str]]]:
        barrier.wait()  # start together, so the calls really overlap
        order = pages[offset:] + pages[:offset]  # each thread in its own order
        return [((index + offset) % len(pages), _run(page)) for index, page in enumerate(order)]

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    for per_thread in results:
        for index, outcome in per_thread:
            assert outcome == serial[index], f"page {index} differs under threads"


def test_threads_with_different_options() -> None:
    page = sample_pages()[0]
    variants = [Options(), Options(include_title=True), Options(articles_only=False),
                Options(keep_captions=True), Options(drop=(".ad", "aside")),
                Options(fallback=False), Options(keep_tables=False), Options(keep_comments=True)]
    serial = [declutter.clean(page, options=options) for options in variants]
    with ThreadPoolExecutor(THREADS) as pool:
        for _ in range(3):
            assert list(pool.map(lambda o: declutter.clean(page, options=o), variants)) == serial


def test_options_pickle_round_trip() -> None:
    options = Options(include_title=True, keep_captions=True, keep_tables=False,
                      keep_comments=True, articles_only=False, fallback=False,
                      drop=[".ad", "//aside"], keep=["p.lead"], max_bytes=1234,
                      site_rules=[SiteRule("example.com", drop=(".promo",), body="article")])
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(options, protocol=protocol))
        assert copy == options
        assert hash(copy) == hash(options)
    assert pickle.loads(pickle.dumps(declutter.Options())) == declutter.Options()


def test_articles_pickle_round_trip() -> None:
    for page in _pages():
        article = declutter.extract(page, options=Options(articles_only=False))
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            copy = pickle.loads(pickle.dumps(article, protocol=protocol))
            assert copy == article
            assert isinstance(copy, Article)
            assert copy.to_json() == article.to_json()


def _in_worker(page: bytes | str) -> Article:
    return declutter.extract(page)


def test_worker_processes_give_the_in_process_results() -> None:
    pages = _pages()
    expected = [declutter.extract(page) for page in pages]
    # spawn: fresh interpreters, as a cluster worker would be, and no fork under threads
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert list(pool.map(_in_worker, pages)) == expected
