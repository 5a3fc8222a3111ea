"""Time per megabyte on large flat pages: ``python -m benchmarks.scale_pages``.

A page's cost must grow with its size, not faster: a stage that does a
little work per element for each of its siblings costs nothing on a news
page of 50 paragraphs and minutes on a flat list of 100,000 items. This
benchmark builds flat pages (one container holding N sibling items) of each
:data:`SHAPES` from 0.25 to 16 MB, times ``extract()`` and ``clean()`` on
each, and prints a markdown table of seconds per MB. The target: per-MB
time constant within 2x across the sizes, and a page of the default size
limit (20 MB) in under 10 seconds (``--limit-page``).

(:mod:`benchmarks.scale` is about bulk throughput over many pages; this one is
about one page's size.)

``--profile SHAPE:MB`` prints the cProfile of ``extract()`` on one page instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Callable

import declutter

MB = 1024 * 1024
#: Sizes of the table, in MB: a factor of 64 between the first and last.
SIZES = (0.25, 0.5, 1, 2, 4, 8, 16)
#: The factor within which per-MB time must stay across SIZES (the issue's target).
FLATNESS_TARGET = 2.0
#: Seconds a page of the default size limit may take (the issue's target).
LIMIT_PAGE_SECONDS = 10.0

_PARAGRAPH = ("<p>The council said on Tuesday that the harbour wall, damaged in the winter "
              "storms, would be repaired by {i} engineers before the ferry season.</p>\n")
_ITEM = ("<li>Item {i}: the council said the harbour wall would be repaired before the "
         "storm season began.</li>\n")
_DIV = ("<div>The council said the harbour wall (section {i}) would be repaired before "
        "the storm season.</div>\n")
_CARD = ('<div class="card"><h3><a href="/story/{i}">Harbour wall {i} repaired</a></h3>'
         "<p>The council said the wall would be ready before the storm season.</p></div>\n")
_AD = ('<p>Paragraph {i} of the story: the council said the wall would be repaired before '
       'the season.</p>\n<div class="ad-slot"><div class="ad-label">Advertisement</div></div>\n')
_ROW = "<tr><td>Harbour {i}</td><td>{i} m</td><td>repaired before the storm season</td></tr>\n"
_LINE = "The council said the harbour wall {i} would be repaired before the season.<br>\n"

#: name: (container open, item, container close) of each flat page.
SHAPES: dict[str, tuple[str, str, str]] = {
    "p": ("<article>", _PARAGRAPH, "</article>"),
    "li": ("<article><p>The list of works the council published.</p><ul>", _ITEM,
           "</ul></article>"),
    "div": ("<article>", _DIV, "</article>"),
    "cards": ("<main>", _CARD, "</main>"),
    "ads": ("<article>", _AD, "</article>"),
    "table": ("<article><p>The works, harbour by harbour.</p><table>", _ROW,
              "</table></article>"),
    "br": ("<article><div>", _LINE, "</div></article>"),
}


def flat_page(shape: str, size: int) -> str:
    """A page of about ``size`` characters: a head, then one container of sibling items."""
    opening, item, closing = SHAPES[shape]
    head = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Harbour works</title>"
            f"</head><body><h1>Harbour works</h1>{opening}\n")
    tail = f"{closing}</body></html>"
    parts = [head]
    total = len(head) + len(tail)
    index = 0
    while total < size:
        piece = item.format(i=index)
        parts.append(piece)
        total += len(piece)
        index += 1
    parts.append(tail)
    return "".join(parts)


def seconds(function: Callable[[str], object], page: str, repeat: int) -> float:
    """Fastest of ``repeat`` calls (other load on the machine only ever adds time)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function(page)
        best = min(best, time.perf_counter() - start)
    return best


def measure(shapes: list[str], sizes: tuple[float, ...], repeat: int) -> list[str]:
    """The markdown table: seconds per MB of extract() and clean() per shape and size."""
    header = "| shape | function | " + " | ".join(f"{size:g} MB" for size in sizes) + \
        " | max / min |"
    lines = [header, "|" + "---|" * (len(sizes) + 3)]
    for shape in shapes:
        for name, function in (("extract", declutter.extract), ("clean", declutter.clean)):
            per_mb = []
            for size in sizes:
                page = flat_page(shape, int(size * MB))
                per_mb.append(seconds(function, page, repeat) / size)
            spread = max(per_mb) / min(per_mb)
            flag = "" if spread <= FLATNESS_TARGET else " (over target)"
            lines.append(f"| {shape} | {name} | " + " | ".join(f"{t:.3f}" for t in per_mb)
                         + f" | {spread:.2f}{flag} |")
            print(lines[-1], file=sys.stderr, flush=True)
    return lines


def limit_page(shapes: list[str]) -> list[str]:
    """Seconds for extract() on a page of the default size limit, per shape."""
    limit = declutter.Options().max_bytes
    lines = ["| shape | extract() of a 20 MB page, s |", "|---|---|"]
    for shape in shapes:
        page = flat_page(shape, limit - 1024)
        elapsed = seconds(declutter.extract, page, 1)
        flag = "" if elapsed < LIMIT_PAGE_SECONDS else " (over target)"
        lines.append(f"| {shape} | {elapsed:.2f}{flag} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def profile(spec: str) -> None:
    shape, _, size = spec.partition(":")
    page = flat_page(shape, int(float(size or 1) * MB))
    profiler = cProfile.Profile()
    profiler.runcall(declutter.extract, page)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_pages",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help="comma-separated shapes (default: all): " + ", ".join(SHAPES))
    parser.add_argument("--sizes", default=",".join(f"{s:g}" for s in SIZES),
                        help="comma-separated sizes in MB")
    parser.add_argument("--repeat", type=int, default=2, help="runs per page, fastest kept")
    parser.add_argument("--limit-page", action="store_true",
                        help="also time extract() on a page of the default size limit")
    parser.add_argument("--profile", metavar="SHAPE:MB", help="profile one page instead")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile)
        return 0
    shapes = [shape for shape in args.shapes.split(",") if shape]
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        parser.error(f"unknown shape(s): {', '.join(unknown)}")
    sizes = tuple(float(size) for size in args.sizes.split(","))
    print(f"Seconds per MB (fastest of {args.repeat} runs):\n")
    print("\n".join(measure(shapes, sizes, args.repeat)))
    if args.limit_page:
        print()
        print("\n".join(limit_page(shapes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
