"""``gan-studio run``: train without a window and write a run folder (see ``runs.py``)."""

from __future__ import annotations

import sys
import time

import torch

from gan_studio.config import Config
from gan_studio.engine import NonFiniteError, Trainer
from gan_studio.runs import RunWriter, final_state
from gan_studio.schedule import Schedule


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
        line = f"step {step}/{self.total}  {rate:.0f} steps/s  {losses}"
        self.stream.write(("\r" + line.ljust(70)) if self.tty else line + "\n")
        self.stream.flush()

    def done(self) -> None:
        """End the progress line."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_headless(cfg: Config, steps: int, schedule: Schedule, out: str, progress: bool = True,
                 threads: int = 1) -> int:
    """Train ``steps`` steps, applying ``schedule``; write the run folder. Returns the exit code.

    On a non-finite value the run stops, the last finite weights and everything measured so far are
    saved, and the message goes to stderr (exit code 3).
    """
    torch.set_num_threads(threads)
    trainer = Trainer(cfg)
    writer = RunWriter(out, cfg, trainer.columns())
    bar = Progress(steps, enabled=progress)
    code, row = 0, None
    try:
        try:
            while True:
                for event in schedule.apply_due(trainer):
                    writer.event(event)
                if trainer.step_count >= steps:
                    break
                row = trainer.step()
                if row is not None:
                    writer.row(row)
                    bar.update(trainer.step_count, row)
        except NonFiniteError as err:
            bar.done()
            print(f"gan-studio: training stopped: {err}; the run so far is saved in '{out}'", file=sys.stderr)
            code = 3
        final, samples, weights = final_state(trainer)  # the same ending as a run saved from the window
        writer.final_row(final)
        writer.samples(samples)
        writer.weights(weights)
    finally:
        writer.close()
    bar.update(trainer.step_count, row, force=True)
    bar.done()
    return code
