"""The sink an output name asks for: a directory, JSON Lines, CSV or Parquet.

The command line and :func:`~declutter.bulk.run_bulk` both read an output name here,
so a name no sink writes is refused the same way in both, before any page is read.
"""

from __future__ import annotations

import os
from pathlib import Path

from declutter.bulk.errors import BulkError
from declutter.bulk.sinks.base import JsonlSink, MirrorSink, Sink

__all__ = ["OUTPUT_FORMS", "check_output_name", "make_sink"]


#: What an output may be, as the refusal of any other name says it.
OUTPUT_FORMS = ("a directory (one file per page; end the name with / when it has a dot), "
                "NAME.jsonl (one JSON record per page), NAME.csv (one CSV row per page) or "
                "NAME.parquet (a Parquet dataset)")


def check_output_name(output: str | os.PathLike[str]) -> None:
    """Refuse an output name that ends like a file no sink writes (``pages.json``, ``.csv``,
    ``.ndjson``, ``.jsonl.gz``...): it would otherwise become a directory of text files
    named for a file the user expected. A name ending in "/" or naming an existing
    directory is a directory, whatever its dots."""
    name = os.fspath(output)
    if name.endswith((".jsonl", ".csv")) or name.rstrip("/" + os.sep).endswith(".parquet"):
        return
    if name.endswith(("/", os.sep)) or os.path.isdir(name):
        return
    suffix = ".jsonl.gz" if name.endswith(".jsonl.gz") else Path(name).suffix
    if suffix:
        raise BulkError(f"{name}: no output is written as '{suffix}'; an output is "
                        f"{OUTPUT_FORMS}")


def make_sink(output: str | os.PathLike[str], fmt: str = "text") -> Sink:
    """A JSONL sink for an output ending in ``.jsonl``, a CSV file for ``.csv``, a Parquet
    dataset for ``.parquet`` (a directory, with or without the final "/"), else a mirrored
    directory; any other name with a suffix is refused (:func:`check_output_name`)."""
    check_output_name(output)
    name = os.fspath(output)
    if name.endswith(".jsonl"):
        return JsonlSink(output, fmt)
    if name.endswith(".csv"):
        from declutter.bulk.sinks.csvfile import CsvSink

        return CsvSink(output, fmt)
    if name.rstrip("/" + os.sep).endswith(".parquet"):
        from declutter.bulk.sinks.parquet import (
            ParquetSink,  # pyarrow loads only for runs that write Parquet
        )

        return ParquetSink(name.rstrip("/" + os.sep), fmt)
    return MirrorSink(output, fmt)
