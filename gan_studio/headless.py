"""``gan-studio run``: train without a window and write a run folder (see ``runs.py``)."""

from __future__ import annotations

import sys
import time

import torch

from gan_studio.config import Config
from gan_studio.engine import NonFiniteError, Trainer
from gan_studio.runner import Runner
from gan_studio.runs import RunWriter
from gan_studio.schedule import Schedule


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


def run_headless(cfg: Config, steps: int, schedule: Schedule, out: str, progress: bool = True,
                 threads: int = 1) -> int:
    """Train ``steps`` steps through the Runner, applying ``schedule``; write the run folder. Returns the exit code.

    On a non-finite value the run stops, the last finite weights and everything measured so far are
    saved, and the message goes to stderr (exit code 3).
    """
    torch.set_num_threads(threads)
    trainer = Trainer(cfg)
    for warning in trainer.dataset.warnings:  # e.g. files of an image folder that could not be read
        print(f"gan-studio: note: data: {warning}", file=sys.stderr)
    writer = RunWriter(out, cfg, trainer.columns())
    runner = Runner(trainer, schedule, writer)
    bar = Progress(steps, enabled=progress)
    code = 0
    last: dict = {}

    def on_row(row: dict) -> None:
        last.update(row)
        bar.update(trainer.step_count, row)

    try:
        try:
            runner.run(steps, on_row=on_row)
        except NonFiniteError as err:
            bar.done()
            print(f"gan-studio: training stopped: {err}; the run so far is saved in '{out}'", file=sys.stderr)
            code = 3
        final, samples, weights = runner.final_state()  # the same ending as a run saved from the window
        writer.final_row(final)
        writer.samples(samples)
        writer.weights(weights)
    finally:
        writer.close()
    bar.update(trainer.step_count, last, force=True)
    bar.done()
    return code
