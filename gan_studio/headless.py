"""``gan-studio run``: train without a window and write a run folder (see ``runs.py``)."""

from __future__ import annotations

import sys

import torch

from gan_studio.config import Config, ConfigError
from gan_studio.engine import NonFiniteError, Trainer
from gan_studio.ensemble import MEMBERS, EnsembleTrainer, MembersRecorder, summary
from gan_studio.export.tensorboard import PICTURE_EVERY, TensorBoardRecorder
from gan_studio.measure.frame import data_kind
from gan_studio.progress import Progress
from gan_studio.runner import Runner
from gan_studio.runs import RunWriter
from gan_studio.schedule import Schedule


def run_headless(cfg: Config, steps: int, schedule: Schedule, out: str, progress: bool = True,
                 threads: int = 1, tensorboard: str | None = None, picture_every: int = PICTURE_EVERY) -> int:
    """Train ``steps`` steps through the Runner, applying ``schedule``; write the run folder. Returns the exit code.

    On a non-finite value the run stops, the last finite weights and everything measured so far are
    saved, and the message goes to stderr (exit code 3). ``tensorboard``: a folder that also gets every row,
    event and, every ``picture_every`` logged rows and at the end, the data view (``export.tensorboard``).
    """
    torch.set_num_threads(threads)
    if cfg.train.seeds > 1:
        if tensorboard is not None:
            raise ConfigError("--tensorboard: not with train.seeds > 1 (a seed ensemble); leave it out or use "
                              "--seeds 1")
        return run_ensemble(cfg, steps, schedule, out, progress)
    trainer = Trainer(cfg)
    for warning in trainer.dataset.warnings:  # e.g. files of an image folder that could not be read
        print(f"gan-studio: note: data: {warning}", file=sys.stderr)
    writer = RunWriter(out, cfg, trainer.columns())
    board = None
    if tensorboard is not None:
        board = TensorBoardRecorder(tensorboard, writer, data_kind(trainer.dataset),
                                    lambda: trainer.frame(probe=False), picture_every)
    runner = Runner(trainer, schedule, board or writer)
    bar = Progress(steps, enabled=progress)
    code = 0
    last: dict = {}

    def on_row(row: dict) -> None:
        last.update(row)
        bar.update(trainer.step_count, row)

    try:
        try:
            runner.run(steps, on_row=on_row)
            # a NaN in the steps after the last logged one is read here (the engine checks on the device and reads
            # once per logged step); the weights are then rolled back and the second call ends the run
            final, samples, weights = runner.final_state()  # the same ending as a run saved from the window
        except NonFiniteError as err:
            bar.done()
            print(f"gan-studio: training stopped: {err}; the run so far is saved in '{out}'", file=sys.stderr)
            code = 3
            final, samples, weights = runner.final_state()
        writer.final_row(final)
        writer.samples(samples)
        writer.weights(weights)
        if board is not None:
            board.final(final, trainer.frame(probe=False))
    finally:
        writer.close()
        if board is not None:
            board.close()
    bar.update(trainer.step_count, last, force=True)
    bar.done()
    return code


def run_ensemble(cfg: Config, steps: int, schedule: Schedule, out: str, progress: bool = True) -> int:
    """``run_headless`` for a seed ensemble (``train.seeds`` > 1): one metrics.csv row per member and logged step
    (a ``seed`` column), samples.npy (N, m, *shape), weights.npz with a leading member axis; at the end a summary
    of the members' final rows on stdout (median and range over seeds). Exit codes as ``run_headless``."""
    trainer = EnsembleTrainer(cfg)
    writer = RunWriter(out, cfg, trainer.columns())
    runner = Runner(trainer, schedule, MembersRecorder(writer))
    bar = Progress(steps, enabled=progress)
    code = 0
    try:
        try:
            runner.run(steps, on_row=lambda row: bar.update(trainer.step_count, row[MEMBERS][0]))
            final, samples, weights = runner.final_state()  # may find a NaN of the last unlogged steps
        except NonFiniteError as err:
            bar.done()
            print(f"gan-studio: training stopped: {err}; the run so far is saved in '{out}'", file=sys.stderr)
            code = 3
            final, samples, weights = runner.final_state()
        writer.final_rows(final[MEMBERS])
        writer.samples(samples)
        writer.weights(weights)
    finally:
        writer.close()
    bar.update(trainer.step_count, None, force=True)
    bar.done()
    print("\n".join(summary(final[MEMBERS])))
    return code
