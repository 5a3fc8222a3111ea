"""What one pass of the stages found on a page: the value the pipeline hands on.

Frozen: the verdict, the second opinion and the removal records read it and,
where they change something, make a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._filter import Dropped
from ._locate import Region
from ._metadata import Declared
from ._parse import Element
from ._prune import Page
from ._segment import RawBlock


@dataclass(frozen=True)
class Extraction:
    page: Page
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
