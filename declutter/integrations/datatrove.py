"""A datatrove extractor step: declutter in a HuggingFace datatrove pipeline.

datatrove (``pip install 'declutter[datatrove]'``) builds web-text datasets as
pipelines of steps: a reader (of WARC files, say), an extractor that turns
each document's HTML into text, then filters and writers. Extractors share a
base class that runs them in a sandbox process with a per-document time
limit, counts what happened, and drops documents left without text, so this
step only has to say how a page becomes text::

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    from declutter.integrations.datatrove import DeclutterExtractor

    LocalPipelineExecutor(pipeline=[
        WarcReader("crawl/", glob_pattern="*.warc.gz"),
        DeclutterExtractor(),
        JsonlWriter("texts/"),
    ], tasks=4).run()

datatrove hands extractors the HTML alone, not the page's URL, so per-site
rules of a rules file do not apply here; global ``drop``/``keep`` selectors
and every other option do. Install datatrove without its ``processing``
extra next to declutter: that extra pins trafilatura below 1.12, and
declutter needs 2.0 or later.
"""

from __future__ import annotations

try:
    from datatrove.pipeline.extractors.base import BaseExtractor
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("the datatrove step needs datatrove: pip install "
                      "'declutter[datatrove]'") from error

from declutter._model.errors import DeclutterError
from declutter._model.options import DEFAULT_OPTIONS, Options
from declutter._stages.pipeline import run

#: datatrove's per-document limit, in seconds: a hundred times a slow news page,
#: so only a page that hangs meets it.
DEFAULT_TIMEOUT = 5.0


class DeclutterExtractor(BaseExtractor):
    """Replaces each document's HTML with its article text, per declutter.

    ``options`` are declutter's :class:`~declutter.Options` (a rules file's
    ``RuleSet.apply(options)`` included). ``timeout`` is datatrove's
    per-document limit in seconds, after which the document is dropped; pages
    of news sites take tens of milliseconds, so the default leaves room for
    the rare huge page without letting a stuck one hold the task. Documents
    that are not articles come out empty and are dropped, unless
    ``options.articles_only`` is False.
    """

    name = "🧹 declutter"

    def __init__(self, options: Options | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout)
        self.options = options or DEFAULT_OPTIONS

    def extract(self, text: str) -> str:
        """The article text of one document's HTML ("" when it has none).

        A page declutter refuses (not HTML, over ``options.max_bytes``) also
        gives "", so the document is dropped: an exception would end the
        sandbox process, and the base class notices that only after its
        timeout, then starts a new one.
        """
        try:
            return run(text, None, self.options, full=False).text
        except DeclutterError:
            return ""


__all__ = ["DeclutterExtractor"]
