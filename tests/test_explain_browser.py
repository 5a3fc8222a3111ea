"""The explain report in a real browser: headless Chromium, one launch for the module.

What only a browser can tell: that the outlines are drawn, in each
category's colour, where the removed elements are; that clicking a row of
the removals table scrolls to its element and highlights it; that the
console stays free of errors; and that opening a report, even one made from
a hostile page, sends no request anywhere.

Needs Debian's ``chromium`` (or ``DECLUTTER_CHROMIUM`` naming a Chromium);
the tests skip, saying so, where it is not installed, except in CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _browser import Browser, Tab, find_chromium, png_pixels
from _hostile import HOSTILE

import declutter
from declutter import explain_html
from declutter._report.page import COLOURS

CHROMIUM = find_chromium()
#: CI installs Chromium (.ci/run), so there a missing browser is a broken build, not a
#: reason to skip: the tests fail instead of passing unseen.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not IN_CI,
    reason="headless Chromium is not installed (apt-get install chromium); "
    "the explain report's browser tests are skipped",
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
#: A page with many categories, and a div-soup page.
SAMPLE_NAMES = ("04-indian-news", "09-div-soup")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("CI=true but headless Chromium is not installed (apt-get install chromium, "
                    "as .ci/run does): the explain report's browser tests cannot run",
                    pytrace=False)
    instance = Browser(CHROMIUM)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture(scope="module")
def tab(browser: Browser) -> Tab:
    return browser.new_tab(width=1280, height=900)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Report files: the samples, and each hostile page."""
    folder = tmp_path_factory.mktemp("reports")
    files: dict[str, Path] = {}
    for name in SAMPLE_NAMES:
        path = folder / f"{name}.html"
        path.write_text(explain_html((SAMPLES / name / "page.html").read_bytes()),
                        encoding="utf-8")
        files[name] = path
    for name, html in HOSTILE.items():
        path = folder / f"hostile-{name}.html"
        path.write_text(explain_html(html), encoding="utf-8")
        files[f"hostile-{name}"] = path
    return files


def assert_quiet(tab: Tab, page: Path) -> None:
    """No console error, no exception, and no request but the report file itself."""
    tab.collect()
    assert tab.errors == []
    assert set(tab.requests) <= {page.as_uri()}, tab.requests


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


MARKED = """
Array.from(document.querySelectorAll('#dc-page [data-dc-category]')).map(function (el) {
  var box = el.getBoundingClientRect();
  var style = getComputedStyle(el);
  var copy = el.cloneNode(true);  // its text without the report's own media placeholders
  copy.querySelectorAll('.dc-media').forEach(function (box) { box.remove(); });
  return {
    category: el.getAttribute('data-dc-category'),
    indices: el.getAttribute('data-dc-index').split(' ').map(Number),
    width: box.width, height: box.height,
    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor, display: style.display,
    visible: style.visibility === 'visible' && style.display !== 'none',
    text: copy.textContent.replace(/\\s+/g, '')
  };
})
"""


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_outlines_are_drawn_where_the_removed_elements_are(
    tab: Tab, reports: dict[str, Path], name: str
) -> None:
    article = declutter.extract((SAMPLES / name / "page.html").read_bytes())
    tab.open(reports[name].as_uri())
    marked = tab.evaluate(MARKED)
    assert marked
    by_index = {index: item for item in marked for index in item["indices"]}
    shown_categories = set()
    for index, removal in enumerate(article.removed):
        item = by_index.get(index)
        if item is None:
            assert removal.tag in ("head", "script", "style", "noscript", "template"), removal
            continue
        shown_categories.add(item["category"])
        assert item["visible"] and item["width"] > 0 and item["height"] > 0, (removal, item)
        assert item["outlineStyle"] in ("solid", "dashed", "dotted"), item
        assert item["outlineWidth"] >= 2
        red, green, blue = rgb(COLOURS[item["category"]])
        assert item["outlineColor"] == f"rgb({red}, {green}, {blue})", item
        # The outlined element is the removed one: it holds the text the record quotes.
        excerpt = "".join(removal.excerpt.rstrip("…").split())[:30]
        assert excerpt in item["text"], (removal, item["text"][:100])
    # Every category's outline is on screen in its colour, where its element is.
    for category in shown_categories:
        assert _outline_pixels_found(tab, category), category
    assert_quiet(tab, reports[name])


def _outline_pixels_found(tab: Tab, category: str) -> bool:
    """True when some element of ``category`` has its colour drawn along its right edge."""
    selector = json.dumps(f"#dc-page [data-dc-category={json.dumps(category)}]")
    count = tab.evaluate(f"document.querySelectorAll({selector}).length")
    colour = rgb(COLOURS[category])
    sampled = 0
    for index in range(count):
        box = tab.evaluate(f"""
        (function () {{
          var el = document.querySelectorAll({selector})[{index}];
          if (getComputedStyle(el).display === 'inline') {{ return null; }}
          el.scrollIntoView({{block: 'center'}});
          var box = el.getBoundingClientRect();
          return [box.right + scrollX, box.top + scrollY, box.height];
        }})()
        """)
        if box is None:
            continue
        right, top, height = box
        clip = {"x": right - 6, "y": top + 2, "width": 6, "height": max(2, min(height - 4, 60))}
        _, _, pixels = png_pixels(tab.screenshot(clip))
        if any(all(abs(a - b) <= 10 for a, b in zip(pixel, colour, strict=True))
               for pixel in pixels):
            return True
        sampled += 1
        if sampled == 5:
            break
    return sampled == 0  # only inline elements of this category: nothing to sample


ROW_STATE = """
(function (index) {
  var el = document.querySelector('#dc-page [data-dc-index~="' + index + '"]');
  var row = document.querySelector('tr[data-dc-row="' + index + '"]');
  var box = el.getBoundingClientRect();
  var x = Math.max(box.left + 3, 1), y = Math.min(Math.max(box.top + 3, 1), innerHeight - 2);
  var hit = document.elementFromPoint(x, y);
  return {
    focused: el.classList.contains('dc-focus'),
    rowActive: row.classList.contains('dc-row-active'),
    focusCount: document.querySelectorAll('.dc-focus').length,
    inView: box.bottom > 0 && box.top < innerHeight && box.width > 0,
    onTop: !!hit && (hit === el || el.contains(hit)),
    outline: getComputedStyle(el).outlineColor
  };
})
"""


def _click_row(tab: Tab, index: int) -> None:
    """Bring the row into view in the side panel, then click its middle like a user."""
    x, y = tab.evaluate(f"""
    (function () {{
      var row = document.querySelector('tr[data-dc-row="{index}"]');
      row.scrollIntoView({{block: 'center'}});
      var box = row.getBoundingClientRect();
      return [box.left + box.width / 2, box.top + box.height / 2];
    }})()
    """)
    tab.click(x, y)


def test_clicking_a_row_scrolls_to_its_element_and_highlights_it(
    tab: Tab, reports: dict[str, Path]
) -> None:
    name = SAMPLE_NAMES[0]
    tab.open(reports[name].as_uri())
    rows = tab.evaluate(
        "Array.from(document.querySelectorAll('tr[data-dc-row][tabindex]'))"
        ".map(function (row) { return Number(row.getAttribute('data-dc-row')); })"
    )
    assert len(rows) >= 10
    # The last row first (its element is far down the page), then back to the top, then others.
    for index in [rows[-1], rows[0], *rows[1:-1:3]]:
        tab.evaluate("document.getElementById('dc-page').scrollTop = 0")
        _click_row(tab, index)
        state = tab.evaluate(ROW_STATE + f"({index})")
        assert state["focused"] and state["rowActive"], (index, state)
        assert state["focusCount"] == 1, (index, state)
        assert state["inView"] and state["onTop"], (index, state)
        assert state["outline"] == "rgb(255, 179, 0)", (index, state)
    assert_quiet(tab, reports[name])


def test_clicking_an_outlined_element_selects_its_row(tab: Tab, reports: dict[str, Path]) -> None:
    name = SAMPLE_NAMES[0]
    tab.open(reports[name].as_uri())
    index, x, y = tab.evaluate("""
    (function () {
      var el = document.querySelector('#dc-page [data-dc-category="ad"]');
      el.scrollIntoView({block: 'center'});
      var box = el.getBoundingClientRect();
      return [Number(el.getAttribute('data-dc-index').split(' ')[0]),
              box.left + box.width / 2, box.top + box.height / 2];
    })()
    """)
    tab.click(x, y)
    assert tab.evaluate(
        f"document.querySelector('tr[data-dc-row=\"{index}\"]').classList.contains('dc-row-active')"
    )
    assert_quiet(tab, reports[name])


PWNED = "typeof window.__pwned === 'undefined' && document.title.indexOf('declutter') === 0"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_pages_run_nothing_and_fetch_nothing(
    tab: Tab, reports: dict[str, Path], name: str
) -> None:
    page = reports[f"hostile-{name}"]
    tab.open(page.as_uri())
    assert tab.evaluate(PWNED)
    # Poke every element of the page the way a user would: hover, click, focus.
    tab.evaluate("""
    Array.from(document.querySelectorAll('#dc-page *')).forEach(function (el) {
      ['mouseover', 'mouseenter', 'pointerenter', 'focus', 'toggle', 'animationstart']
        .forEach(function (type) { el.dispatchEvent(new Event(type)); });
      if (el.tagName !== 'A') { el.click(); }
    });
    """)
    assert tab.evaluate(PWNED)
    # The report script still works on a hostile page: its rows still find their elements.
    rows = tab.evaluate("document.querySelectorAll('tr[data-dc-row][tabindex]').length")
    assert rows >= 1
    _click_row(tab, tab.evaluate(
        "Number(document.querySelector('tr[data-dc-row][tabindex]').getAttribute('data-dc-row'))"
    ))
    assert tab.evaluate("document.querySelectorAll('#dc-page .dc-focus').length") == 1
    assert_quiet(tab, page)


def test_the_policy_stops_markup_the_sanitiser_would_have_missed(
    tab: Tab, reports: dict[str, Path], tmp_path: Path
) -> None:
    """Defence in depth: markup injected after sanitising neither runs nor loads."""
    report = reports[SAMPLE_NAMES[0]].read_text(encoding="utf-8")
    injected = (
        "<script>window.__pwned = 'injected'</script>"
        "<img src=\"http://127.0.0.1:9/injected.png\" onerror=\"window.__pwned = 'onerror'\">"
        "<div style=\"background: url(http://127.0.0.1:9/style.png)\">styled</div>"
        "<iframe src=\"http://127.0.0.1:9/frame\"></iframe>"
        "<link rel=\"stylesheet\" href=\"http://127.0.0.1:9/sheet.css\">"
    )
    page = tmp_path / "injected.html"
    page.write_text(report.replace('<main id="dc-page"', injected + '<main id="dc-page"', 1),
                    encoding="utf-8")
    tab.open(page.as_uri())
    assert tab.evaluate(PWNED)
    tab.collect()
    # Whatever the browser considered fetching, the policy blocked before it left. (Data
    # URLs never leave: Chromium draws its blocked-frame page with one.)
    outside = [url for url in tab.requests
               if url != page.as_uri() and not url.startswith("data:")]
    assert outside
    assert all(tab.failed.get(url) == "csp" for url in outside), (outside, tab.failed)
    assert tab.errors and all("Content Security Policy" in error or "Content-Security-Policy"
                              in error for error in tab.errors), tab.errors
