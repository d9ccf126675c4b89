"""Where a long benchmark step is, on stderr: one line redrawn in place on a terminal, or a line every
few seconds when stderr is a file (`make bench > bench.log`), so a 40-minute run is never silent.

Printing is all it does: a few lines a minute cost the measured services nothing.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

BAR_WIDTH = 24


@dataclass
class Progress:
    """One step's progress: `done` of `total` (or a count when the total is not known)."""

    label: str
    total: int | None = None
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    every_seconds: float = 15.0
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    _printed_at: float = field(init=False, default=-math.inf)
    _drawn: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def update(self, done: int, note: str = "") -> None:
        """Show `done` now on a terminal; in a file, at most once every `every_seconds`."""
        now = self.clock()
        if self._terminal():
            self.stream.write(f"\r{self.line(done, note, now)}\x1b[K")
            self._drawn = True
        elif now - self._printed_at >= self.every_seconds:
            self.stream.write(f"{self.line(done, note, now)}\n")
            self._printed_at = now
        self.stream.flush()

    def finish(self, done: int, note: str = "") -> None:
        """The step's last line, always shown, ending the line."""
        line = self.line(done, note, self.clock())
        self.stream.write(f"\r{line}\x1b[K\n" if self._terminal() else f"{line}\n")
        self.stream.flush()

    def line(self, done: int, note: str, now: float) -> str:
        """`label [#####-----] done/total (percent) elapsed, note`."""
        elapsed = f"{now - self.started:,.0f} s"
        if self.total:
            share = min(max(done / self.total, 0.0), 1.0)
            filled = round(BAR_WIDTH * share)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text = f"{self.label} [{bar}] {done:,}/{self.total:,} ({share:.0%}) {elapsed}"
        else:
            text = f"{self.label}: {done:,} after {elapsed}"
        return f"{text}, {note}" if note else text

    def _terminal(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())
