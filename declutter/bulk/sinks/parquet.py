"""Parquet output: a bulk run's records as a Parquet dataset, the shape datasets are kept in.

datatrove, Hugging Face datasets, Spark, DuckDB and pandas all read a
directory of Parquet part files as one table, so ``-o NAME.parquet`` always
writes one (Spark's convention, whatever the run's size):
``NAME.parquet/part-00000.parquet``, ``part-00001.parquet``... Each row is a
page's JSON Lines record (the same fields, typed: :data:`COLUMNS`); failed
pages go to the error log beside it (``NAME.errors.jsonl``), never into the
data.

The guarantees are those of the other sinks, per part:

* **bounded memory**: rows are written in row groups of at most
  :data:`ROW_GROUP_ROWS` rows or :data:`ROW_GROUP_BYTES` bytes of text as
  results arrive;
* **atomic parts**: a part is written under a temporary name (hidden: readers
  skip names starting with "."), and renamed to ``part-NNNNN.parquet`` only
  once closed, after :data:`PART_ROWS` rows or :data:`PART_SECONDS` seconds,
  or at the end of the run (Ctrl-C included). A part that exists is whole; a
  killed run leaves only a temporary file, which the next run removes;
* **resumable**: ``resume`` reads the ``path`` column of the complete parts and
  skips those pages, and a killed run loses at most its open part's pages,
  which the resumed run does again. Without ``resume`` the old parts are removed.

A part that cannot be written (a full disk) stops the run with a
:class:`~declutter.bulk.BulkError`: its pages are done again by ``resume``.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from declutter._model.errors import error_message, import_extra
from declutter.bulk.errors import BulkError
from declutter.bulk.sinks.base import NamedOutput
from declutter.bulk.sinks.paths import SAFE_DIR_FD, TEMP_PREFIX, lock
from declutter.bulk.tasks import PageResult, PageTask, check_format

#: Most rows in a row group: what the run holds in memory before writing them.
ROW_GROUP_ROWS = 5000
#: Most bytes of text (text, markdown, html) in a row group, so a run of long pages
#: holds tens of megabytes, not gigabytes, however many rows that makes.
ROW_GROUP_BYTES = 32 * 1024**2
#: Rows after which a part is closed (made visible) and a new one begun: parts of a
#: few hundred megabytes, the size dataset readers handle best.
PART_ROWS = 100_000
#: Seconds after which a part is closed whatever its size, so a killed run loses at
#: most this much work (a resumed run redoes the pages of the part it was writing).
PART_SECONDS = 600.0
#: Compression of the column data: zstd packs text well, and pyarrow, DuckDB, Spark
#: and pandas (through pyarrow) all read it.
COMPRESSION = "zstd"

#: Complete parts are named so; the number orders them (and continues across resumes).
PART_RE = re.compile(r"part-(\d+)\.parquet")

#: Every field a record may have, in record order, with its type: a string, an
#: integer, a float, a boolean, a list of strings, or the record's lists of blocks
#: and removals. Groups of fields appear only when the run's records have them.
COLUMNS: dict[str, str] = {
    "path": "str",
    "warc_record_id": "str", "warc_target_uri": "str", "warc_date": "str",
    "http_status": "int", "http_charset": "str", "warc_truncated": "str",
    "url": "str", "title": "str", "authors": "strings", "published": "str",
    "site_name": "str", "language": "str", "description": "str", "is_article": "bool",
    "confidence": "float", "fallback": "bool", "text": "str",
    "comments": "comments", "markdown": "str", "html": "str", "xml": "str", "tei": "str",
    "blocks": "blocks", "removed": "removals",
}
#: Fields that come in groups: when a run's first record has the first, it has them all.
_GROUPS = {"warc_record_id": ("warc_record_id", "warc_target_uri", "warc_date", "http_status",
                              "http_charset", "warc_truncated")}
#: The fields of one block and of one removal, with their types.
BLOCK_FIELDS = {"kind": "str", "text": "str", "level": "int", "list_id": "int",
                "ordered": "bool", "path": "str", "marks": "marks"}
REMOVAL_FIELDS = {"category": "str", "rule": "str", "excerpt": "str", "path": "str",
                  "tag": "str"}
#: The fields of one mark of a block (a link, emphasis, code, an image) and of a comment.
MARK_FIELDS = {"kind": "str", "start": "int", "end": "int", "url": "str", "alt": "str"}
COMMENT_FIELDS = {"text": "str", "author": "str", "published": "str"}
#: The list-of-struct kinds and their fields.
_STRUCTS = {"blocks": BLOCK_FIELDS, "removals": REMOVAL_FIELDS, "marks": MARK_FIELDS,
            "comments": COMMENT_FIELDS}
_INT64 = 2**63


def pyarrow_modules() -> tuple[Any, Any]:
    """``pyarrow`` and ``pyarrow.parquet``, or an ImportError that says what to install."""
    purpose = "writing Parquet output"
    return (import_extra("pyarrow", "parquet", purpose),
            import_extra("pyarrow.parquet", "parquet", purpose))


def arrow_type(kind: str) -> Any:
    """The Arrow type of a column kind of :data:`COLUMNS`."""
    pa, _ = pyarrow_modules()
    simple = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(),
              "bool": pa.bool_(), "strings": pa.list_(pa.string())}
    if kind in simple:
        return simple[kind]
    return pa.list_(pa.struct([(name, arrow_type(sub)) for name, sub in _STRUCTS[kind].items()]))


def schema_for(record: dict[str, Any]) -> Any:
    """The dataset's schema, from its first record: the :data:`COLUMNS` it has."""
    pa, _ = pyarrow_modules()
    names = set(record)
    for first, group in _GROUPS.items():
        if first in names:
            names.update(group)
    return pa.schema([pa.field(name, arrow_type(kind), nullable=name != "path")
                      for name, kind in COLUMNS.items() if name in names])


def check_row(record: dict[str, Any], columns: dict[str, str]) -> tuple[dict[str, Any], int]:
    """The row of a record, checked against the columns, and its bytes of text.

    Checked here, one page at a time, so a record that does not fit fails its
    own page (as a bug of declutter: records are declutter's) instead of a
    whole row group later. Strings that cannot be UTF-8 (lone surrogates) are
    written with backslash escapes, as the JSON Lines output writes them.
    """
    row: dict[str, Any] = {}
    size = 0
    for name, value in record.items():
        kind = columns.get(name)
        if kind is None:
            raise TypeError(f"the record field {name!r} has no column in this Parquet dataset")
        row[name] = _checked(name, value, kind)
        if isinstance(value, str):
            size += len(value)
    return row, size


def _checked(name: str, value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "str" and isinstance(value, str):
        return _utf8(value)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool) \
            and -_INT64 <= value < _INT64:
        return value
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "strings" and isinstance(value, list | tuple):
        return [_checked(name, item, "str") for item in value]
    if kind in _STRUCTS and isinstance(value, list | tuple):
        return [_checked_struct(name, item, _STRUCTS[kind]) for item in value]
    raise TypeError(f"the record field {name!r} holds a {type(value).__name__}, not a {kind}")


def _checked_struct(name: str, item: Any, fields: dict[str, str]) -> dict[str, Any]:
    if not isinstance(item, dict) or not set(item) <= set(fields):
        raise TypeError(f"an item of the record field {name!r} does not fit its columns")
    return {field: _checked(f"{name}.{field}", item.get(field), kind)
            for field, kind in fields.items()}


def _utf8(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


class ParquetSink(NamedOutput):
    """A bulk run's records as a Parquet dataset: a directory of part files (see the module).

    ``row_group_rows``, ``part_rows`` and ``part_seconds`` default to
    :data:`ROW_GROUP_ROWS`, :data:`PART_ROWS` and :data:`PART_SECONDS`.
    """

    needs_metadata = True
    suffix = ".parquet"

    def __init__(self, path: str | os.PathLike[str], fmt: str = "text", *,
                 row_group_rows: int = ROW_GROUP_ROWS, part_rows: int = PART_ROWS,
                 part_seconds: float = PART_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        pyarrow_modules()  # say what to install before any page runs
        self.path = Path(path)
        self.fmt = check_format(fmt)
        self.row_group_rows, self.part_rows = max(1, row_group_rows), max(1, part_rows)
        self.part_seconds, self._clock = part_seconds, clock
        self._dir_fd: int | None = None
        self._done: set[str] = set()
        self._schema: Any = None
        #: the schema of the parts a resumed run found: its records must have the same
        self._found_schema: Any = None
        self._columns: dict[str, str] = {}
        self._rows: list[dict[str, Any]] = []
        self._bytes = 0
        self._part: _Part | None = None
        self._number = 0
        #: complete parts this sink wrote, in order
        self.parts: list[Path] = []

    def open(self, tasks: Sequence[PageTask], *, resume: bool) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.path, flags)
        except OSError as error:
            raise BulkError(f"{self.path}: cannot open the Parquet dataset (a directory of part "
                            f"files): {error_message(error)}") from None
        lock(fd, self.path)
        self._dir_fd = fd
        parts = self._sweep()
        if resume:
            self._resume(parts)
        else:
            for part in parts:
                os.unlink(self.path / part)
            parts = []
        self._number = max((_part_number(name) for name in parts), default=-1) + 1

    def _sweep(self) -> list[str]:
        """Remove the temporaries of a killed run; the names of the complete parts."""
        parts = []
        for name in sorted(os.listdir(self.path)):
            if name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(self.path / name)
            elif PART_RE.fullmatch(name):
                parts.append(name)
        return parts

    def _resume(self, parts: list[str]) -> None:
        """Learn the pages (and the schema) of the complete parts."""
        _, pq = pyarrow_modules()
        for name in parts:
            try:
                table = pq.read_table(self.path / name, columns=["path"])
                schema = pq.read_schema(self.path / name)
            except Exception as error:  # a part that is not Parquet: not ours to remove
                raise BulkError(f"{self.path / name}: not a readable Parquet part: "
                                f"{error_message(error)}") from None
            if self._found_schema is None:
                self._found_schema = schema
            self._done.update(table.column("path").to_pylist())

    def _first_schema(self, record: dict[str, Any]) -> Any:
        """The schema of this run's records, which a resumed dataset's parts must share."""
        schema = schema_for(record)
        found = self._found_schema
        if found is not None and not schema.equals(found, check_metadata=False):
            raise BulkError(f"{self.path}: the dataset's parts have the columns "
                            f"{', '.join(found.names)}, and this run's records "
                            f"{', '.join(schema.names)}: resume with the --format and --explain "
                            "of the first run, or write a new dataset")
        return schema

    def _use_schema(self, schema: Any) -> None:
        self._schema = schema
        self._columns = {name: COLUMNS[name] for name in schema.names}

    def is_done(self, task: PageTask) -> bool:
        return task.key in self._done

    def write(self, result: PageResult) -> None:
        if self._dir_fd is None or result.record is None:
            raise ValueError("write() needs an opened sink and a successful result")
        if self._schema is None:
            self._use_schema(self._first_schema(result.record))
        row, size = check_row(result.record, self._columns)
        self._rows.append(row)
        self._bytes += size
        held, part = len(self._rows), self._part
        if (held >= self.row_group_rows or self._bytes >= ROW_GROUP_BYTES
                or (part.rows if part is not None else 0) + held >= self.part_rows):
            self._flush()
        part = self._part
        if part is not None and (part.rows >= self.part_rows
                                 or self._clock() - part.started >= self.part_seconds):
            self._flush()  # the rows held go with the part
            self._close_part()

    def _flush(self) -> None:
        """Write the rows held as one row group of the open part (begun when needed)."""
        if not self._rows:
            return
        pa, pq = pyarrow_modules()
        try:
            if self._part is None:
                self._part = _Part(self.path, self._dir_fd, self._number, self._schema, pq,
                                   self._clock())
            self._part.write(pa.Table.from_pylist(self._rows, schema=self._schema))
        except OSError as error:
            self._abandon()
            raise BulkError(f"{self.path}: cannot write a Parquet part: {error_message(error)};"
                            " the pages of that part are done again with --resume") from None
        self._rows, self._bytes = [], 0

    def _close_part(self) -> None:
        part, self._part = self._part, None
        if part is None:
            return
        try:
            final = part.finish()
        except OSError as error:
            part.discard()
            raise BulkError(f"{self.path}: cannot write a Parquet part: {error_message(error)};"
                            " the pages of that part are done again with --resume") from None
        self.parts.append(self.path / final)
        self._number += 1

    def _abandon(self) -> None:
        if self._part is not None:
            self._part.discard()
            self._part = None
        self._rows, self._bytes = [], 0

    def close(self) -> None:
        """Write what is held and make the open part visible; a run cut short keeps its work."""
        if self._dir_fd is None:
            return
        try:
            self._flush()
            self._close_part()
        finally:
            self._abandon()
            os.close(self._dir_fd)  # also releases the lock
            self._dir_fd = None


def _part_number(name: str) -> int:
    found = PART_RE.fullmatch(name)
    return int(found[1]) if found else -1


class _Part:
    """One part file being written: a temporary file until :meth:`finish` renames it.

    Names are relative to the dataset's open directory where the system allows
    (so no symlink swapped in above it can redirect the write), else full paths.
    """

    def __init__(self, directory: Path, dir_fd: int | None, number: int, schema: Any, pq: Any,
                 started: float) -> None:
        self.dir_fd = dir_fd if SAFE_DIR_FD else None
        self.started, self.rows = started, 0
        base = "" if self.dir_fd is not None else f"{directory}{os.sep}"
        self.name = f"{base}part-{number:05d}.parquet"
        self.temporary = f"{base}{TEMP_PREFIX}{os.getpid()}-part-{number:05d}.parquet"
        flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
        fd = os.open(self.temporary, flags, 0o666, dir_fd=self.dir_fd)
        self.file = open(fd, "wb")  # closed by finish() or discard()
        try:
            self.writer = pq.ParquetWriter(self.file, schema, compression=COMPRESSION)
        except BaseException:
            self.file.close()
            os.unlink(self.temporary, dir_fd=self.dir_fd)
            raise

    def write(self, table: Any) -> None:
        self.writer.write_table(table, row_group_size=table.num_rows)
        self.rows += table.num_rows

    def finish(self) -> str:
        """Close the part and give it its final name; that name."""
        self.writer.close()
        self.file.close()
        os.replace(self.temporary, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        return os.path.basename(self.name)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.temporary, dir_fd=self.dir_fd)
