"""The bulk command's job: saved pages or WARC files, on local workers or on a Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from declutter.bulk.execution.executors import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, SCHEDULER_ENV
from declutter.bulk.progress import Progress
from declutter.bulk.run import run_bulk
from declutter.bulk.sources.choose import open_source
from declutter.bulk.sources.remote import is_url
from declutter.bulk.summary import BulkSummary


def site_memory_path(output: str | os.PathLike[str]) -> Path:
    """Where ``bulk --site-memory`` writes what it learned: beside the output, named for it
    (``texts/`` -> ``texts.site-rules.toml``, ``corpus.jsonl`` -> ``corpus.site-rules.toml``)."""
    path = Path(output)
    stem = path.name.removesuffix(".jsonl").removesuffix(".parquet").removesuffix(".csv")
    return path.with_name(f"{stem or 'output'}.site-rules.toml")


def run_job(
    inputs: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    patterns: Sequence[str] | None = None,
    progress: Progress | None = None,
    storage_options: Mapping[str, Any] | None = None,
    site_memory: str | os.PathLike[str] | None = None,
    **settings: Any,
) -> BulkSummary:
    """The bulk command's job: saved pages or WARC files, on local workers or on Dask.

    ``inputs`` is a path or a URL (read through fsspec with ``storage_options``),
    read as WARC archives when :func:`declutter.bulk.sources.warc.is_warc_input` (or
    its remote twin) says so, else as a directory of pages. The job goes to a
    Dask cluster when ``scheduler`` is an address, or when it is None,
    ``jobs`` is None and ``$DASK_SCHEDULER_ADDRESS`` is set;
    ``scheduler="local"`` (or ``jobs``) keeps it on this machine's worker
    pool. ``settings`` (``options``, ``fmt``, ``explain``, ``resume``,
    ``errors``, ``explain_dir``) go to :func:`~declutter.bulk.run_bulk` unchanged.

    With ``site_memory`` (a ``.toml`` path), the job runs twice over the input: first
    :func:`~declutter.bulk.learn.learn_rules` writes what each site repeats there, then
    the pages are cleaned with those rules added to ``options``. The learning pass runs
    on the local pool (a cluster's job learns before it is sent); pages it fails on are
    in its own error log, beside the rules file, and fail again (or not) in the second.
    """
    address = scheduler
    if address is None and jobs is None:
        address = os.environ.get(SCHEDULER_ENV) or None
    if address == "local":
        address = None
    if address is not None and jobs is not None:
        raise ValueError("--jobs sets the local worker pool; on a Dask cluster the workers "
                         "decide how many pages run at once")
    executor = None
    if address:
        from declutter.bulk.execution.dask import DaskExecutor, distributed_module

        distributed_module()  # say what to install before walking a large input
        executor = DaskExecutor(address, timeout=timeout)
        if not is_url(inputs):
            # Workers resolve paths in their own working directory: hand them absolute ones.
            inputs = os.path.abspath(inputs)
    source = open_source(inputs, patterns, storage_options=storage_options)
    if site_memory is not None:
        from declutter.bulk.learn import learn_rules

        learned = learn_rules(source, site_memory, options=settings.get("options"),
                              jobs=jobs, timeout=timeout, memory_limit=memory_limit,
                              executor=executor)
        settings["options"] = learned.rules.apply(settings.get("options"))
    return run_bulk(source, output, jobs=jobs, timeout=timeout, memory_limit=memory_limit,
                    progress=progress, executor=executor, **settings)
