"""What one pass of the stages found on a page: the value the pipeline hands on.

Frozen: the verdict, the second opinion and the removal records read it and,
where they change something, make a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from declutter._stages.filter import Dropped
from declutter._stages.locate import Region
from declutter._stages.metadata import Declared
from declutter._stages.parse import Element
from declutter._stages.prune import PrunedPage
from declutter._stages.segment import RawBlock


@dataclass(frozen=True)
class Extraction:
    page: PrunedPage
    declared: Declared
    region: Region | None
    #: the blocks kept, and the blocks and elements the filter removed, in page order
    kept: tuple[RawBlock, ...]
    dropped: tuple[Dropped, ...]
    #: data tables left out because the caller asked for no tables
    removed_tables: tuple[Element, ...]
    #: how sure the locator is that ``kept`` is the article, 0 to 1
    confidence: float
    #: True when ``kept`` came from the trafilatura fallback
    fallback: bool = False
