"""Progress per table: a tqdm bar (rows/s, ETA) on a terminal, plain lines otherwise.

tqdm rather than our own bar: it already gets rates, ETA and terminal widths right. Piped
output (CI, a log file) gets one line per PLAIN_EVERY seconds instead of carriage returns.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from tqdm import tqdm

PLAIN_EVERY = 5.0


class _PlainProgress:
    def __init__(self, stream, label: str, total: int):
        self.stream, self.label, self.total = stream, label, total
        self.done = 0
        self.started = self.last = time.monotonic()

    def update(self, rows: int) -> None:
        self.done += rows
        now = time.monotonic()
        if now - self.last >= PLAIN_EVERY:
            self.last = now
            self._line(now)

    def close(self) -> None:
        self._line(time.monotonic())

    def _line(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate and self.total > self.done else 0
        self.stream.write(
            f"{self.label}: {self.done:,}/{self.total:,} rows, {rate:,.0f} rows/s, "
            f"ETA {left:,.0f} s\n"
        )
        self.stream.flush()


@contextmanager
def table_progress(stream, label: str, total: int, *, enabled: bool = True):
    """Yield an object with update(rows); QUIET streams (tests) get nothing at all."""
    if not enabled:
        yield _Silent()
        return
    if getattr(stream, "isatty", lambda: False)():
        bar = tqdm(total=total, desc=label, unit="rows", file=stream, dynamic_ncols=True)
    else:
        bar = _PlainProgress(stream, label, total)
    try:
        yield bar
    finally:
        bar.close()


class _Silent:
    def update(self, rows: int) -> None:
        pass
