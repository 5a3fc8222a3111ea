"""Clusters: run declutter on Dask, or from Spark, Ray Data and other engines.

The public home of both ways: the executor lives with the other executors in
:mod:`declutter.bulk.execution.dask`, the adapters beside the datatrove step in
:mod:`declutter.integrations.engines`.

A crawl of millions of pages outgrows one machine, and the people who clean
crawls already run an engine. This module meets them there rather than
shipping a scheduler of its own:

* :class:`DaskExecutor` runs a bulk job (a directory of pages or WARC files)
  on a Dask distributed cluster (``pip install 'declutter[dask]'``). It is an
  :class:`~declutter.bulk.Executor`, so outputs, the error log, ``resume`` and
  the summary are those of the local bulk mode; the command line uses it with
  ``declutter bulk ... --scheduler tcp://HOST:8786`` (or ``DASK_SCHEDULER_ADDRESS``).
* :func:`extract_record`, :func:`extract_partition` and :func:`extract_batch`
  are plain, picklable functions for pipelines that already hold HTML in an
  engine: a Dask bag (:func:`extract_bag`) or DataFrame
  (:func:`extract_dataframe`), a Spark RDD (``rdd.mapPartitions``), a Ray
  dataset (``ds.map_batches``). They never raise for a bad page: its record
  says what went wrong, so one page cannot fail a partition.

Workers read pages (and WARC records) from the paths the client lists, so
the input must be at the same path on every worker: a shared or network file
system, or one machine's :class:`distributed.LocalCluster`.
"""

from __future__ import annotations

from declutter.bulk.execution.dask import (
    BATCH_SECONDS,
    CONNECT_TIMEOUT,
    DEFAULT_BATCH_SIZE,
    DEFAULT_RETRIES,
    DaskExecutor,
    distributed_module,
    run_batch,
)
from declutter.bulk.execution.executors import SCHEDULER_ENV
from declutter.integrations.engines import (
    RECORD_FIELDS,
    extract_bag,
    extract_batch,
    extract_dataframe,
    extract_partition,
    extract_record,
)

__all__ = [
    "BATCH_SECONDS",
    "CONNECT_TIMEOUT",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_RETRIES",
    "RECORD_FIELDS",
    "SCHEDULER_ENV",
    "DaskExecutor",
    "distributed_module",
    "extract_bag",
    "extract_batch",
    "extract_dataframe",
    "extract_partition",
    "extract_record",
    "run_batch",
]
