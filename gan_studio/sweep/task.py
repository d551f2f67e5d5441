"""One grid point of a sweep, trained: the body of a sweep's Ray task.

Each seed is an ordinary run through the Runner (as ``gan-studio run``), written to its own run folder and then
marked finished with ``result.json`` (``results.py``). ``train_point`` is the one function that says how a point's
seeds train; when seed ensembles land it becomes one batched run of all of them, and nothing else changes.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import torch

from gan_studio.config import Config
from gan_studio.engine import NonFiniteError, Trainer
from gan_studio.runner import Runner
from gan_studio.runs import RunWriter
from gan_studio.schedule import Schedule
from gan_studio.sweep.grid import Point, Sweep
from gan_studio.sweep.results import DONE, NONFINITE, SeedResult, read_result, seed_folder, write_result


def train_point(sweep: Sweep, point: Point, out: str) -> list[SeedResult]:
    """Train every seed of ``point`` into ``out/<point>/seed-<S>/`` and return their outcomes.

    The seeds run one after another as separate runs (one torch thread each: a Ray worker has one core); a seed
    already finished in ``out`` is not run again. An
    exception (a data file missing on this machine, out of memory) propagates: the driver reports the point as
    failed, keeping the seeds finished before it.
    """
    torch.set_num_threads(1)
    results = []
    for seed in sweep.seed_values():
        cfg, folder = sweep.config(point, seed), seed_folder(Path(out), point, seed)
        # a seed finished before an interruption is kept (separate runs can; an ensemble will rerun the point)
        results.append(read_result(folder, cfg, sweep.steps) or train_seed(cfg, sweep.steps, folder, point.name))
    return results


def train_seed(cfg: Config, steps: int, folder: Path, point: str) -> SeedResult:
    """One run of ``steps`` steps into the run folder ``folder`` (replacing a stale or half-written one), then its
    ``result.json``. A NaN/Inf stops the run as ``gan-studio run`` does (the last finite state is saved) and is
    its outcome, not an error."""
    shutil.rmtree(folder, ignore_errors=True)  # an unfinished run of this seed, or one made with another config
    start = time.perf_counter()
    trainer = Trainer(cfg)
    writer = RunWriter(folder, cfg, trainer.columns())
    runner = Runner(trainer, Schedule(), writer)
    status, message = DONE, ""
    try:
        try:
            runner.run(steps)
        except NonFiniteError as err:
            status, message = NONFINITE, str(err)
        final, samples, weights = runner.final_state()
        writer.final_row(final)
        writer.samples(samples)
        writer.weights(weights)
    finally:
        writer.close()
    result = SeedResult(point, cfg.train.seed, steps, status, message,
                        final={k: _number(final[k]) for k in trainer.columns() if k in final},  # header order
                        n_modes=trainer.frame(probe=False).display.n_modes, seconds=time.perf_counter() - start)
    write_result(folder, result)
    return result


def _number(value) -> int | float | None:
    """A metrics value as a plain Python number for JSON (the step stays a whole number)."""
    if value is None or isinstance(value, int):
        return value
    return float(value)
