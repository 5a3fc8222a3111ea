"""What the command says when a user reaches for the wrong thing: outputs it does not write,
a directory given to the one-page command, a page over the size limit, and its help.

Each of these once did something plausible and wrong without a word (``-o pages.json``
made a directory of text files and exited 0), or failed without saying what to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _child import run_cli

from declutter.bulk import BulkError, run_bulk
from declutter.bulk.sinks.choose import check_output_name

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "samples" / "04-indian-news" / "page.html"
FORMS = ("a directory", "NAME.jsonl", "NAME.csv", "NAME.parquet")


@pytest.fixture()
def pages(tmp_path: Path) -> Path:
    source = tmp_path / "in"
    source.mkdir()
    (source / "page.html").write_bytes(PAGE.read_bytes())
    return source


@pytest.mark.parametrize("name", ["pages.json", "pages.ndjson", "pages.jsonl.gz", "pages.tsv",
                                  "pages.txt", "texts.v2"])
def test_bulk_refuses_an_output_it_would_not_write(name: str, pages: Path,
                                                   tmp_path: Path) -> None:
    result = run_cli("bulk", pages, "-o", tmp_path / name)
    assert result.returncode == 2
    assert f"no output is written as '{name[name.index('.'):]}'" in result.stderr
    for form in FORMS:
        assert form in result.stderr
    assert not (tmp_path / name).exists()  # nothing was made in its place


def test_the_library_refuses_it_too(pages: Path, tmp_path: Path) -> None:
    with pytest.raises(BulkError, match=r"no output is written as '\.json'"):
        run_bulk(pages, tmp_path / "pages.json", jobs=0)
    assert not (tmp_path / "pages.json").exists()


@pytest.mark.parametrize("name", ["texts", "texts/", "texts.v2/", "pages.jsonl", "pages.parquet",
                                  "pages.parquet/", "pages.csv"])
def test_the_outputs_that_exist_are_accepted(name: str) -> None:
    check_output_name(name)


def test_an_existing_directory_with_a_dot_is_a_directory(pages: Path, tmp_path: Path) -> None:
    out = tmp_path / "texts.v2"
    out.mkdir()
    result = run_cli("bulk", pages, "-o", out, "--jobs", "1", "-q")
    assert result.returncode == 0, result.stderr
    assert (out / "page.txt").read_text(encoding="utf-8").startswith("Amid the annual rush")


def test_a_directory_given_to_the_page_command_points_to_bulk(pages: Path) -> None:
    result = run_cli(pages)
    assert result.returncode == 1
    assert f"IsADirectoryError: Is a directory (for every page of a directory: declutter " \
           f"bulk {pages} -o OUT)" in result.stderr


def test_a_page_over_the_limit_names_the_option_that_raises_it() -> None:
    result = run_cli("--max-bytes", "1K", PAGE)
    assert result.returncode == 1
    assert "InputTooLargeError" in result.stderr and "--max-bytes" in result.stderr
    explain = run_cli("explain", "--max-bytes", "1K", PAGE)
    assert explain.returncode == 1 and "--max-bytes" in explain.stderr


def test_an_empty_file_is_an_error_of_the_command_as_documented(tmp_path: Path) -> None:
    """The library returns "" for an empty page; a file with nothing in it is a failed
    download or a wrong path, which the command reports (docs/library.md: Errors; docs/cli.md)."""
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"  \n")
    result = run_cli(empty)
    assert (result.returncode, result.stdout) == (1, "")
    assert "EmptyPageError: the page is empty" in result.stderr
    for doc in (REPO / "docs" / "library.md", REPO / "docs" / "cli.md"):
        assert "EmptyPageError" in doc.read_text(encoding="utf-8"), doc


def test_help_lists_the_subcommands_in_its_usage() -> None:
    result = run_cli("--help")
    usage = result.stdout.split("\n\n")[0]
    assert "declutter bulk IN -o OUT" in usage and "declutter explain FILE" in usage
    error = run_cli("--no-such-option")
    assert error.returncode == 2 and "declutter bulk IN -o OUT" in error.stderr


def test_bulk_help_mentions_parquet_in_its_description() -> None:
    description = run_cli("bulk", "--help").stdout.split("\n\n")[1]
    assert "Parquet" in description and "WARC" in description
