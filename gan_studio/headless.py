"""``gan-studio run``: train without a window and write a run folder (see ``runs.py``)."""

from __future__ import annotations

import sys
from collections.abc import Callable

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
    last: dict = {}

    def on_row(row: dict) -> None:
        last.update(row)
        bar.update(trainer.step_count, row)

    try:
        final, err = train_to_end(runner, writer, steps, on_row)
        if board is not None:
            board.final(final, trainer.frame(probe=False))
    finally:
        writer.close()
        if board is not None:
            board.close()
    code = exit_code(err, out, bar)
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
    try:
        final, err = train_to_end(runner, writer, steps,
                                  lambda row: bar.update(trainer.step_count, row[MEMBERS][0]))
    finally:
        writer.close()
    code = exit_code(err, out, bar)
    bar.update(trainer.step_count, None, force=True)
    bar.done()
    print("\n".join(summary(final[MEMBERS])))
    return code


def train_to_end(runner: Runner, writer: RunWriter, steps: int,
                 on_row: Callable[[dict], None] | None = None) -> tuple[dict, NonFiniteError | None]:
    """Train ``steps`` steps through ``runner`` and end the run folder as every run ends (the CLI's, a sweep's):
    the final full row (one per member for a seed ensemble), the samples and the weights. A NaN/Inf stops the run
    with the last finite state saved; the error is returned, not raised. Returns (final row, error or None); the
    caller closes ``writer``."""
    err = None
    try:
        runner.run(steps, on_row=on_row)
        # a NaN in the steps after the last logged one is read here (the engine checks on the device and reads
        # once per logged step); the weights are then rolled back and the second call ends the run
        final, samples, weights = runner.final_state()  # the same ending as a run saved from the window
    except NonFiniteError as caught:
        err = caught
        final, samples, weights = runner.final_state()
    if MEMBERS in final:
        writer.final_rows(final[MEMBERS])
    else:
        writer.final_row(final)
    writer.samples(samples)
    writer.weights(weights)
    return final, err


def exit_code(err: NonFiniteError | None, out: str, bar: Progress) -> int:
    """0 for a run that ended normally; 3, with one line on stderr, for a run stopped by a NaN/Inf."""
    if err is None:
        return 0
    bar.done()
    print(f"gan-studio: training stopped: {err}; the run so far is saved in '{out}'", file=sys.stderr)
    return 3
