"""Progress of a run, for people: a live bar on a terminal, a plain line in logs."""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import IO, Any, Protocol

#: Seconds between two progress lines in a log: often enough to see a run move,
#: rarely enough that a day-long run's log stays readable.
LINE_INTERVAL = 5.0
#: A bar redraws at most this often (seconds): smooth to the eye, cheap for the parent.
_BAR_REFRESH = 0.25
#: Weight of the latest speed in the bar's ETA: low, so one slow page does not swing it.
_BAR_SMOOTHING = 0.05


class Progress(Protocol):
    """Receives the run's progress; :func:`run_bulk` calls it from the parent process."""

    def start(self, total: int) -> None: ...

    def advance(self, ok: bool) -> None: ...

    def finish(self) -> None: ...


class LineProgress:
    """A plain progress line every ``interval`` seconds: for logs, CI and pipes."""

    def __init__(self, stream: IO[str] | None = None, interval: float = LINE_INTERVAL) -> None:
        self.stream = stream
        self.interval = interval
        self.total = self.done = self.failed = 0
        self._start = self._last = 0.0

    def start(self, total: int) -> None:
        self.total = total
        self._start = self._last = time.monotonic()

    def advance(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            print(self.line(now), file=self.stream or sys.stderr, flush=True)

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        share = 100.0 * self.done / self.total if self.total else 100.0
        eta = duration((self.total - self.done) / rate) if rate else "?"
        return (f"declutter: {self.done}/{self.total} pages ({share:.1f}%), {rate:.1f} pages/s, "
                f"{self.failed} failed, ETA {eta}")

    def finish(self) -> None:
        pass


class TqdmProgress:
    """A live progress bar (tqdm) for a terminal: pages done, pages/s, failures, ETA."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self.failed = 0
        self._bar: Any = None

    def start(self, total: int) -> None:
        from tqdm import tqdm

        stream = self.stream or sys.stderr
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            width = 0
        # Some terminals (serial consoles, CI ptys) report a size of 0x0, which
        # tqdm takes literally and draws nothing: use COLUMNS/LINES or 80x24 there.
        fallback = shutil.get_terminal_size()
        sizing: dict[str, Any] = (
            {"dynamic_ncols": True} if width
            else {"ncols": fallback.columns, "nrows": fallback.lines}
        )
        self._bar = tqdm(total=total, unit="page", file=stream, smoothing=_BAR_SMOOTHING,
                         mininterval=_BAR_REFRESH, **sizing)
        self._bar.set_postfix(failed=0, refresh=False)

    def advance(self, ok: bool) -> None:
        if not ok:
            self.failed += 1
            self._bar.set_postfix(failed=self.failed, refresh=False)
        self._bar.update(1)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()


def terminal_progress(stream: IO[str] | None = None, *,
                      interval: float = LINE_INTERVAL) -> Progress:
    """A bar when ``stream`` (stderr by default) is a terminal, else a plain line every
    ``interval`` seconds (a log should not fill with bar redraws)."""
    stream = stream or sys.stderr
    return TqdmProgress(stream) if stream.isatty() else LineProgress(stream, interval=interval)


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m``: a time people read at a glance."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
