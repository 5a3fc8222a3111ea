"""declutter's benchmark: extraction quality and speed against other extractors.

Run ``python -m benchmarks.run`` from the repository root. The annotated pages
are read at run time from ``../shared/bench`` (see ``--bench-dir``) and are
never copied into the repository; the repository's own golden pages in
``samples/`` are scored too. The metrics live in :mod:`benchmarks.metrics`,
the page loading and HTML-to-text conversion in :mod:`benchmarks.datasets`,
the extractors under test in :mod:`benchmarks.tools`.
"""
