"""THE run loop: a trainer, its schedule of mid-run changes and a recorder, stepped together.

``gan-studio run``, ``render``, ``bench``, the window's worker and the GUI benchmark all train through a
``Runner``; nothing else loops over training steps, so "the window and the CLI give identical numbers"
rests on one piece of code. Order, for every caller: the changes due at the start are applied first; then
each step is followed by the changes its step count makes due (a change at step S runs after step S
completes, so step S + 1 is the first it affects). Rows and events go to the recorder as they happen.

No Qt here, and no torch either: the trainer owns the tensors (``worker.protocol.TrainerProtocol``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from gan_studio.schedule import Schedule


class Recorder(Protocol):
    """Where a run's metrics rows and events go as they happen (``runs.RunWriter``, ``MemoryRecorder``)."""

    def row(self, row: dict) -> None:
        """Take one metrics row."""

    def event(self, event: dict) -> None:
        """Take one event ``{step, what, old, new}``."""


@dataclass
class MemoryRecorder:
    """Keeps rows and events in lists (render, tests, the benchmark)."""

    rows: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def row(self, row: dict) -> None:
        """Append one metrics row."""
        self.rows.append(row)

    def event(self, event: dict) -> None:
        """Append one event."""
        self.events.append(event)


class NullRecorder:
    """Records nothing (the benchmark's timed loops)."""

    def row(self, row: dict) -> None:
        """Drop the row."""

    def event(self, event: dict) -> None:
        """Drop the event."""


class Runner:
    """Drives one trainer: applies due scheduled changes, steps, and records rows and events."""

    def __init__(self, trainer, schedule: Schedule | None = None, recorder: Recorder | None = None):
        self.trainer = trainer
        self.schedule = schedule if schedule is not None else Schedule()
        self.recorder: Recorder = recorder if recorder is not None else NullRecorder()

    @property
    def step_count(self) -> int:
        """Completed steps of the trainer."""
        return self.trainer.step_count

    def apply(self, what: str, value=None) -> dict:
        """Apply one change or action now (a live command) and record its event; ConfigError if refused."""
        event = self.trainer.apply(what, value)
        self.recorder.event(event)
        return event

    def apply_due(self) -> list[dict]:
        """Apply every scheduled change whose step has been reached, in order; return their events."""
        events = []
        while due := self.schedule.pop_due(self.trainer.step_count):  # actions can advance the step: loop
            for what, value in due:
                events.append(self.apply(what, value))
        return events

    def step(self, pause: Callable[[], None] | None = None) -> dict | None:
        """One training step, its row recorded (on logged steps), then the changes it made due.

        ``pause`` is called between the parts of a measurement. Returns the row or None.
        """
        row = self.trainer.step(pause=pause)
        if row is not None:
            self.recorder.row(row)
        self.apply_due()
        return row

    def run(self, steps: int, on_row: Callable[[dict], None] | None = None) -> None:
        """Apply the changes due now, then step until ``steps`` steps are complete.

        Exceptions from training (a non-finite value, out of memory) propagate; the rows and events up to
        then are recorded.
        """
        self.apply_due()
        while self.trainer.step_count < steps:
            row = self.step()
            if row is not None and on_row is not None:
                on_row(row)

    def run_for(self, seconds: float) -> int:
        """Step for about ``seconds`` of wall time (the GUI benchmark's headless phases); the steps done."""
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            self.step()
            n += 1
        return n

    def final_state(self) -> tuple[dict, object, dict]:
        """What a run folder ends with: (the full metrics row, the saved samples, the weights)."""
        return self.trainer.final_state()
