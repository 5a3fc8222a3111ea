"""CSV output: one row per page, for spreadsheets and data frames.

``declutter bulk IN -o NAME.csv`` writes a header and then a row per page as
it finishes: ``path``, the WARC fields for WARC inputs, ``url``, the metadata
(``authors`` joined by ``"; "``), ``is_article``, ``confidence``, ``fallback``
and ``text``; then the document of ``--format markdown|html|xml|tei`` in a
column named for it, and ``comments`` (as JSON) with ``keep_comments``. Fields
are quoted as RFC 4180 says (commas, quotes and line breaks inside a quoted
field), so pandas, DuckDB and spreadsheets read a text with any of them as one
cell.

Rows are written whole; a killed run leaves at most its last row cut short,
which ``--resume`` removes before it skips the pages already there.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any

from declutter.bulk.errors import BulkError
from declutter.bulk.sinks.base import AppendedFile
from declutter.bulk.sinks.records import write_all
from declutter.bulk.tasks import PageResult

#: The columns of a record that a CSV row holds, in order; those a run's records lack
#: (WARC fields for saved pages, a format's document) are left out of its header.
COLUMNS = (
    "path", "warc_record_id", "warc_target_uri", "warc_date", "http_status", "http_charset",
    "warc_truncated", "url", "title", "authors", "published", "site_name", "language",
    "description", "is_article", "confidence", "fallback", "text", "markdown", "html", "xml",
    "tei", "comments",
)


class CsvSink(AppendedFile):
    """All pages in one CSV file: a header, then one row per page (see the module)."""

    needs_metadata = True
    suffix = ".csv"

    def __init__(self, path: str | os.PathLike[str], fmt: str = "text") -> None:
        super().__init__(path, fmt)
        self._header: list[str] | None = None

    def complete_records(self, fd: int) -> set[str]:
        self._header, done = _complete_rows(fd)
        return done

    def write(self, result: PageResult) -> None:
        if self._fd is None or result.record is None:
            raise ValueError("write() needs an opened sink and a successful result")
        record = result.record
        if self._header is None:
            self._header = [name for name in COLUMNS if name in record]
            write_all(self._fd, _row_bytes(self._header))
        unknown = [name for name in record
                   if name not in self._header and name in COLUMNS and name != "path"]
        if unknown:  # a resumed run with other options than the file was begun with
            raise BulkError(f"{self.path}: the records have columns the file has not "
                            f"({', '.join(unknown)}): resume with the same --format and options")
        write_all(self._fd, _row_bytes([_cell(record.get(name)) for name in self._header]))


def _cell(value: Any) -> str:
    """A record's value as CSV text: lists of names joined, comments as JSON, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        if value and not isinstance(value[0], str):
            return json.dumps(value, ensure_ascii=False)
        return "; ".join(value)
    return str(value)


def _row_bytes(row: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)  # RFC 4180: "\r\n" after each row, minimal quoting
    # A lone surrogate cannot be UTF-8; written as the escape it stands for, as in JSONL.
    return buffer.getvalue().encode("utf-8", "backslashreplace")


def _complete_rows(fd: int) -> tuple[list[str] | None, set[str]]:
    """The header and the paths of the whole rows of a CSV file; cuts off what follows the
    last whole row (a row a killed run was writing)."""
    os.lseek(fd, 0, os.SEEK_SET)
    with open(os.dup(fd), "rb") as file:
        data = file.read()
    text = data.decode("utf-8", "surrogateescape")
    header: list[str] | None = None
    done: set[str] = set()
    end = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), strict=True):
            written = _row_bytes(row)
            # Whole only when it is exactly what this sink writes, terminator included.
            if data[end:end + len(written)] != written:
                break
            if header is None:
                header = row
            elif len(row) == len(header):
                done.add(row[0])
            else:
                break
            end += len(written)
    except csv.Error:  # a quoted field left open: the cut row
        pass
    os.ftruncate(fd, end)
    return header, done


__all__ = ["COLUMNS", "CsvSink"]
