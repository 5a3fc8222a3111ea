"""Golden outputs: Markdown, HTML, XML and TEI of a few pages, compared whole.

The files under ``tests/golden/`` were made by declutter and read through by hand; a
change to any of them is a change of output to review. ``python tests/test_golden.py``
writes them again (then read the diff before committing it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import declutter
from declutter import Options

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
#: name -> (page, url, options): a page of every inline mark, a blog post with comments
#: and a captioned image, the structure sample, and the live blog.
CASES = {
    "sea-wall": (GOLDEN / "sea-wall.html", "https://news.example/local/2025/sea-wall.html",
                 Options(keep_captions=True)),
    "01-wordpress-blog": (ROOT / "samples" / "01-wordpress-blog" / "page.html", None,
                          Options(keep_captions=True, keep_comments=True)),
    "12-tables-lists-structure": (ROOT / "samples" / "12-tables-lists-structure" / "page.html",
                                  None, Options()),
    "22-live-blog": (ROOT / "samples" / "22-live-blog" / "page.html", None, Options()),
}
FORMATS = {
    "md": lambda article: article.to_markdown() + "\n",
    "html": lambda article: article.to_html(),
    "xml": lambda article: article.to_xml(),
    "tei.xml": lambda article: article.to_tei(),
}


def render(name: str, extension: str) -> str:
    page, url, options = CASES[name]
    return FORMATS[extension](declutter.extract(page.read_bytes(), url=url, options=options))


@pytest.mark.parametrize("extension", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, extension: str) -> None:
    expected = (GOLDEN / f"{name}.{extension}").read_text(encoding="utf-8")
    assert render(name, extension) == expected


if __name__ == "__main__":
    for case in CASES:
        for ext in FORMATS:
            (GOLDEN / f"{case}.{ext}").write_text(render(case, ext), encoding="utf-8")
    sys.exit(0)
