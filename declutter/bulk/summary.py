"""How a bulk run ended: counts, speed, and where the failures are."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from declutter.bulk.progress import duration

#: Runs shorter than this many seconds show their time in seconds, longer ones in m/h.
_SHORT_RUN = 60


@dataclass(frozen=True)
class BulkSummary:
    """How a bulk run ended."""

    #: Inputs found (pages and unusable entries).
    total: int
    #: Outputs written by this run.
    done: int
    #: Inputs skipped because their output was already complete (``resume``).
    skipped: int
    #: Inputs that ended in the error log for a problem of their own (kind "page").
    failed: int
    #: Outputs written with no article text (not an article, or nothing left).
    empty: int
    seconds: float
    output: str
    errors_path: str
    #: Worker processes (0: pages ran in the calling process).
    jobs: int
    timeouts: int = 0
    workers_replaced: int = 0
    #: Highest resident memory of any worker, in bytes; None when not measured.
    peak_worker_rss: int | None = None
    #: CPU seconds used by the workers (0.0 when not measured, as in-process).
    worker_cpu_seconds: float = 0.0
    interrupted: bool = False
    #: CPU seconds (user + system) this process spent in the run: its share of the
    #: cores, taken from the workers on a machine with few of them. Unlike wall
    #: time it is not blurred by other load, so it is what tuning the parent watches.
    parent_cpu_seconds: float = 0.0
    #: Inputs that ended in the error log because of a bug of declutter (kind "bug",
    #: with its traceback): not counted in ``failed``, and the command exits with
    #: its own status, so a bug is never taken for a bad page.
    bugs: int = 0

    @property
    def pages_per_second(self) -> float:
        handled = self.done + self.failed + self.bugs
        return handled / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.bugs == 0 and not self.interrupted

    def describe(self) -> str:
        """One line for people: what was done, how fast, where the failures are."""
        parts = [f"{self.done} done"]
        if self.empty:
            parts[0] += f" ({self.empty} without article text)"
        parts.append(f"{self.skipped} skipped")
        parts.append(f"{self.failed} failed" + (f" ({self.timeouts} timed out)"
                                                 if self.timeouts else ""))
        if self.bugs:
            parts.append(f"{self.bugs} hit a bug of declutter (please report it, with the "
                         "traceback from the error log)")
        took = duration(self.seconds) if self.seconds >= _SHORT_RUN else f"{self.seconds:.1f}s"
        text = f"{', '.join(parts)} in {took} ({self.pages_per_second:.1f} pages/s)"
        if self.failed or self.bugs:
            text += f"; failures listed in {self.errors_path}"
        if self.interrupted:
            text += "; interrupted (resume to finish)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pages_per_second": round(self.pages_per_second, 2)}
