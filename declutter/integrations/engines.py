"""Engine adapters: picklable functions for pipelines that already hold HTML.

:func:`extract_record`, :func:`extract_partition` and :func:`extract_batch` serve a
Dask bag (:func:`extract_bag`) or DataFrame (:func:`extract_dataframe`), a Spark RDD
(``rdd.mapPartitions``), a Ray dataset (``ds.map_batches``). They never raise for a
bad page: its record says what went wrong, so one page cannot fail a partition.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from declutter._model.errors import Failure, failure_of
from declutter._model.options import Options
from declutter._stages.pipeline import run
from declutter.bulk.sinks.records import article_record

T = TypeVar("T")

#: The fields of every record :func:`extract_record` returns, in order, so that
#: batches and DataFrames get the same columns whatever happened to the page.
#: ``error_kind`` is ``"page"`` for a page's own problem and ``"bug"`` for a bug of
#: declutter, whose ``traceback`` is kept (see SECURITY.md, "Failures").
RECORD_FIELDS: tuple[str, ...] = (
    "source_url", "url", "title", "authors", "published", "site_name", "language", "description",
    "is_article", "confidence", "fallback", "text", "error", "message", "error_kind", "traceback",
)


def extract_record(
    html: str | bytes | None,
    url: str | None = None,
    *,
    options: Options | None = None,
) -> dict[str, Any]:
    """One page as a flat, JSON-ready record (:data:`RECORD_FIELDS`); never raises.

    ``source_url`` is the ``url`` given (a key to join results back on); ``url``
    is the page's own address as the article reports it (its canonical link
    when it has one), as in bulk records.
    A page declutter refuses (not HTML, too large, empty or missing) comes back
    with ``text`` None and ``error``/``message`` set, so a bad page in a
    partition of thousands costs that page only; a bug of declutter too, with
    ``error_kind`` "bug" and its ``traceback``. Module-level and picklable:
    ship it to any engine as it is, or with ``functools.partial`` for options.
    """
    record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
    record["source_url"] = record["url"] = url
    if not isinstance(html, str | bytes):  # a missing cell or a wrong column: the row's problem
        kind = type(html).__name__
        problem = (Failure("ValueError", "no HTML") if html is None else
                   Failure("TypeError", f"expected HTML as str or bytes, not {kind}"))
        return _failed(record, problem)
    try:
        article = run(html, url, options, full=True)
    except MemoryError:
        raise
    except Exception as error:  # a page's failure is its record's, never the partition's
        return _failed(record, failure_of(error))
    data = article_record(article)
    data["authors"] = list(data.get("authors") or ())
    record.update({name: data.get(name) for name in RECORD_FIELDS if name in data})
    return record


def _failed(record: dict[str, Any], failure: Failure) -> dict[str, Any]:
    record.update(error=failure.error, message=failure.message, error_kind=failure.kind,
                  traceback=failure.traceback)
    return record


def _html_and_url(item: Any, html_key: str, url_key: str) -> tuple[Any, str | None]:
    """A page from what engines hand over: HTML, an (html, url) pair, or a row/mapping."""
    if isinstance(item, str | bytes | bytearray | memoryview) or item is None:
        return item, None
    if isinstance(item, tuple) and not hasattr(item, "asDict") and len(item) == 2:
        return item[0], item[1]
    if hasattr(item, "asDict"):  # a Spark Row
        item = item.asDict()
    if isinstance(item, Mapping):
        return item.get(html_key), item.get(url_key)
    raise TypeError(f"cannot read a page from a {type(item).__name__}: give HTML, (html, url) "
                    f"or a mapping with {html_key!r}")


def extract_partition(
    items: Iterable[Any],
    *,
    options: Options | None = None,
    html_key: str = "html",
    url_key: str = "url",
) -> Iterator[dict[str, Any]]:
    """Records for a stream of pages: Spark's ``mapPartitions``, any iterator of pages.

    Each item is HTML (``str``/``bytes``), an ``(html, url)`` pair, or a
    mapping or Spark ``Row`` with ``html_key`` and ``url_key`` (its other
    fields, an id for instance, are copied into the record).
    """
    for item in items:
        html, url = _html_and_url(item, html_key, url_key)
        record = extract_record(bytes(html) if isinstance(html, bytearray | memoryview)
                                else html, url, options=options)
        if hasattr(item, "asDict"):
            item = item.asDict()
        if isinstance(item, Mapping):
            extra = {k: v for k, v in item.items() if k not in (html_key, url_key)}
            record = {**extra, **record}
        yield record


def extract_batch(
    batch: Any,
    *,
    options: Options | None = None,
    html_column: str = "html",
    url_column: str | None = "url",
) -> Any:
    """Records for a batch of pages in columns: Ray's ``map_batches``, Dask's ``map_partitions``.

    ``batch`` is a pandas DataFrame or a mapping of column name to sequence
    (a dict of lists, or Ray's dict of NumPy arrays). The result has the
    batch's other columns followed by :data:`RECORD_FIELDS`, in the same
    kind: a DataFrame for a DataFrame, NumPy arrays for arrays, else lists.
    ``url_column`` may be missing from the batch (or None): no URLs then.
    """
    columns = list(batch.columns) if hasattr(batch, "columns") else list(batch.keys())
    if html_column not in columns:
        raise KeyError(f"the batch has no {html_column!r} column (it has {columns})")
    pages = list(batch[html_column])
    urls: list[Any] = (list(batch[url_column]) if url_column and url_column in columns
                       else [None] * len(pages))
    out: dict[str, list[Any]] = {
        name: list(batch[name]) for name in columns if name not in (html_column, *RECORD_FIELDS)
    }
    for name in RECORD_FIELDS:
        out[name] = []
    for html, url in zip(pages, urls, strict=True):
        record = extract_record(_plain(html), _plain(url), options=options)
        for name in RECORD_FIELDS:
            out[name].append(record[name])
    if hasattr(batch, "columns") and hasattr(batch, "index"):  # pandas
        return type(batch)(out, index=batch.index)
    values = batch[html_column]
    if type(values).__module__ == "numpy":
        import numpy

        arrays: dict[str, Any] = {}
        for name, column in out.items():
            array = numpy.empty(len(column), dtype=object)
            array[:] = column
            arrays[name] = array
        return arrays
    return out


def _plain(value: Any) -> Any:
    """NumPy scalars, missing values (NaN, None) and buffers as plain Python values."""
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, float) and value != value:  # NaN: a missing cell
        return None
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return None
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def extract_bag(bag: Any, *, options: Options | None = None, html_key: str = "html",
                url_key: str = "url") -> Any:
    """A Dask bag of records from a bag of pages (HTML, ``(html, url)`` or mappings).

    >>> import dask.bag as db                                     # doctest: +SKIP
    >>> pages = db.from_sequence(paths).map(read_bytes)            # doctest: +SKIP
    >>> extract_bag(pages).filter(lambda r: r["text"]).to_textfiles("out/*.jsonl")
    """
    return bag.map_partitions(functools.partial(_partition_list, options=options,
                                                html_key=html_key, url_key=url_key))


def _partition_list(items: Iterable[Any], **keywords: Any) -> list[dict[str, Any]]:
    return list(extract_partition(items, **keywords))


def extract_dataframe(frame: Any, *, options: Options | None = None,
                      html_column: str = "html", url_column: str | None = "url") -> Any:
    """A Dask DataFrame of records from one with a column of HTML (and one of URLs).

    Other columns are kept, the HTML column is dropped (it is usually most of
    the data), and :data:`RECORD_FIELDS` are added. Needs ``dask[dataframe]``.
    """
    import pandas

    columns = [name for name in frame.columns if name not in (html_column, *RECORD_FIELDS)]
    meta = pandas.DataFrame({
        **{name: frame._meta[name] for name in columns},
        **{name: pandas.Series(dtype=_DTYPES.get(name, object)) for name in RECORD_FIELDS},
    })
    return frame.map_partitions(extract_batch, options=options, html_column=html_column,
                                url_column=url_column if url_column in frame.columns else None,
                                meta=meta)


_DTYPES: dict[str, Any] = {"is_article": object, "confidence": "float64", "fallback": object}
