"""The worker's record of a run, and saving and opening run folders.

Every run the worker starts is written as it goes into a run folder (``runs.RunWriter``) under
``runs.recordings_root()``, named ``<timestamp>-<pid>-<generation>``: metrics rows and events are appended and
flushed, so memory stays flat and a dead window does not take the record with it. ``save`` copies that record
plus a final full metrics row, samples and weights of the current state to a folder: the same files as
``gan-studio run`` ending at this step. Every ``CHECKPOINT_S`` seconds the record also gets the weights of its
last logged step (``runs.write_checkpoint``): the window restarts a worker that died from there.
``open_run_folder`` builds a trainer on a folder's config.toml, replays its events' setting changes and loads
weights.npz; the optimizers start fresh. A rewind (``worker.timeline``) ends the record and starts the branch's:
the old one cut at the rewind step (``Recording.branch``), so every record replays with ``gan-studio run``.
"""

from __future__ import annotations

import os
import shlex
import time
import traceback
from pathlib import Path

from gan_studio import config, runs
from gan_studio.schedule import LIVE_KEYS

CHECKPOINT_S = 2.0  # seconds between the record's weight checkpoints (~1 ms each for the default nets)


class Recording:
    """The run folder of the current run; a write error ends recording with a message, never the run.

    ``messages``: the list the worker sends to the window (notes are appended to it).
    """

    def __init__(self, root: Path, messages: list[str]):
        self.root = Path(root)
        self.messages = messages
        self.writer: runs.RunWriter | None = None
        self.checkpointed = time.monotonic()  # when the weights were last written into the record
        self.start_cfg: config.Config | None = None  # the config the record starts from (its config.toml)

    @property
    def folder(self) -> str:
        """The folder being written ("" when the run is not recorded)."""
        return str(self.writer.folder) if self.writer is not None else ""

    def start(self, generation: int, columns: list[str], start_cfg: config.Config,
              continue_from: str | None = None) -> None:
        """Close the current record and start a new run folder (copying ``continue_from``'s past first)."""
        self.stop()
        self.start_cfg = start_cfg
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{generation}"
        folder, n = self.root / name, 1
        while folder.exists():  # never write over another record
            n += 1
            folder = self.root / f"{name}-{n}"
        try:
            self.writer = runs.RunWriter(folder, start_cfg, list(columns), continue_from)
        except (OSError, ValueError, config.ConfigError) as err:
            self.writer = None
            self.messages.append(f"could not record this run in '{folder}': {getattr(err, 'strerror', None) or err}; "
                                 "it trains, but cannot be saved")

    def branch(self, generation: int, columns: list[str], step: int, events: list[dict]) -> str:
        """After a rewind to ``step`` (``worker.timeline``): close the record and start a new one, the branch's,
        that is the old one cut at ``step``: the same config.toml, the rows up to ``step`` and ``events`` (the
        trainer's after the rewind: the changes made up to that step). Later rows and changes are written to it
        as they come, so ``gan-studio run --config … --events …`` of the branch's folder replays the branch
        (config + its events up to the rewind + the changes made after it). The abandoned part stays in the old
        folder, which is not written any more. Returns the old folder ("" when none was recorded)."""
        old = self.folder
        if not old or self.start_cfg is None:
            return ""
        self.stop()
        name = f"{Path(old).name}-branch-{step}"
        folder, n = self.root / name, 1
        while folder.exists():
            n += 1
            folder = self.root / f"{name}-{n}"
        try:
            self.writer = runs.RunWriter(folder, self.start_cfg, list(columns), old, until=step, events=events)
        except (OSError, ValueError, config.ConfigError) as err:
            self.writer = None
            self.messages.append(f"could not record the branch in '{folder}': "
                                 f"{getattr(err, 'strerror', None) or err}; it trains, but cannot be saved")
        return old

    def stop(self) -> None:
        """Close the record (its held row is written)."""
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError:
                pass
            self.writer = None

    def row(self, row: dict) -> None:
        """Append a metrics row."""
        self._write(lambda writer: writer.row(row))

    def checkpoint(self, step: int, weights, force: bool = False) -> None:
        """After the row of logged step ``step``: the weights (``weights()`` is called only when one is due), at
        most every ``CHECKPOINT_S`` seconds (``force``: now), so a worker that dies restarts a few seconds back."""
        now = time.monotonic()
        if self.writer is None or (now - self.checkpointed < CHECKPOINT_S and not force):
            return
        self.checkpointed = now
        self._write(lambda writer: runs.write_checkpoint(writer.folder, step, weights()))

    def event(self, event: dict) -> None:
        """Append an event."""
        self._write(lambda writer: writer.event(dict(event)))

    def _write(self, write) -> None:
        if self.writer is None:
            return
        try:
            write(self.writer)
        except (OSError, ValueError) as err:
            self.messages.append(f"could not record the run any more ({getattr(err, 'strerror', None) or err}); "
                                 "it trains, but cannot be saved")
            self.stop()

    def save(self, runner, folder: str, resumed: tuple[str, int] | None) -> None:
        """Write a complete run folder of the run so far to ``folder``; a message says how to reproduce it.

        ``resumed``: (folder, step) when this run was opened from a saved one (its optimizer restarted there).
        """
        if self.writer is None:
            self.messages.append(f"could not save the run to '{folder}': this run is not being recorded")
            return
        try:
            final, samples, weights = runner.final_state()
            out = self.writer.save_to(folder, final, samples, weights)
        except (OSError, ValueError, config.ConfigError) as err:
            self.messages.append(f"could not save the run to '{folder}': {getattr(err, 'strerror', None) or err}")
            return
        except Exception as err:  # a bug or a device error while measuring: say so, keep training
            traceback.print_exc()
            self.messages.append(f"could not save the run to '{folder}': {type(err).__name__}: {err}")
            return
        n = runner.step_count
        q = shlex.quote
        text = (f"saved run to {out} (step {n:,}); reproduce with: gan-studio run "
                f"--config {q(str(out / 'config.toml'))} --events {q(str(out / 'events.jsonl'))} --steps {n} --out DIR")
        if resumed is not None and n > resumed[1]:
            text += (f" — but this run was opened from {resumed[0]} at step {resumed[1]:,} with a fresh "
                     f"optimizer, so the command reproduces it only up to step {resumed[1]:,}")
        self.messages.append(text)


class OpenError(Exception):
    """A run folder that cannot be continued; the message says so and names the file."""


def open_run_folder(folder: str, factory):
    """Build a trainer continuing the saved run in ``folder``: its config (with its events' setting changes),
    weights and step counter. Returns (trainer, start config, last step); raises OpenError naming the file."""
    where = Path(folder)
    try:
        start_cfg, last = runs.check_run_folder(where)
        events = runs.read_events(where / "events.jsonl") if (where / "events.jsonl").exists() else []
        arrays = runs.load_weights(where / "weights.npz")
    except config.ConfigError as err:  # each message names the folder or the file
        raise OpenError(f"could not open the run: {err}") from None
    stage = "config.toml"
    try:
        trainer = factory(start_cfg)
        stage = "events.jsonl"
        for event in events:  # the settings the run had when it was saved (actions are not replayed)
            what = event["what"]
            if what in LIVE_KEYS or what == "reseed":
                trainer.apply(what, event.get("new"))
        trainer.events = list(events)
        stage = "weights.npz"
        trainer.load_weights(arrays)
    except config.ConfigError as err:
        raise OpenError(f"could not open the run in '{folder}': {stage}: {err}") from None
    except Exception as err:  # a data file that moved, a device that is not here, weights of another model
        traceback.print_exc()
        raise OpenError(f"could not open the run in '{folder}': {stage}: {type(err).__name__}: {err}") from None
    trainer.step_count = last
    return trainer, start_cfg, last
