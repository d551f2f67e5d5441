"""Progress of a long command on stderr (``gan-studio run`` and ``render``): step, percentage, rate, time left."""

from __future__ import annotations

import sys
import time


def percent(step: int, total: int) -> str:
    """``step`` of ``total`` as a whole percentage ("100 %" for an empty run)."""
    return f"{100 * step // total if total else 100} %"


def time_left(step: int, total: int, rate: float) -> str:
    """The remaining steps at ``rate`` steps/s as text: "12 s left", "3 min 5 s left", "done"."""
    if step >= total:
        return "done"
    if rate <= 0:
        return "time left unknown"
    seconds = round((total - step) / rate)
    return f"{seconds} s left" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s left"


class Progress:
    """Progress on stderr: a rewritten line on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.stream, self.enabled = total, stream or sys.stderr, enabled
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.start = self.last = time.perf_counter()
        self.period = 0.25 if self.tty else 5.0

    def update(self, step: int, row: dict | None, force: bool = False) -> None:
        """Report ``step`` (and the latest losses) if enough time has passed."""
        now = time.perf_counter()
        if not self.enabled or (not force and now - self.last < self.period):
            return
        self.last = now
        rate = step / max(now - self.start, 1e-9)
        losses = ""
        if row:
            losses = "  ".join(f"{k} {row[k]:.4g}" for k in ("loss_d", "loss_g") if row.get(k) is not None)
        line = f"step {step}/{self.total} ({percent(step, self.total)})  {rate:.0f} steps/s  " \
               f"{time_left(step, self.total, rate)}  {losses}"
        self.stream.write(("\r" + line.ljust(70)) if self.tty else line + "\n")
        self.stream.flush()

    def done(self) -> None:
        """End the progress line."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
