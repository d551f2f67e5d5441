"""One grid point of a sweep, trained: the body of a sweep's Ray task.

A point's seeds train as ONE seed ensemble (``ensemble.EnsembleTrainer``, ``train.seeds`` = the sweep's seeds)
through the Runner, as ``gan-studio run --seeds N``, into one run folder ``OUT/<point>/seeds-<S>-<T>/`` whose
metrics.csv has a row per member (a ``seed`` column); its ``result.json`` lists every seed's outcome
(``results.py``). Where the point's config cannot be an ensemble (``ensemble.check_ensemble``: a remedy, a conv
net, a conditional GAN, the VAE/AE, ``train.rng`` cuda), and where a NaN/Inf stops the ensemble (it stops every
member at once, which would cut the healthy seeds short), the seeds run one after another as separate ordinary runs
into ``OUT/<point>/seed-<S>/``, and each row's message says why.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import torch

from gan_studio.config import Config, ConfigError
from gan_studio.engine import Trainer
from gan_studio.ensemble import MEMBERS, EnsembleTrainer, MembersRecorder, check_ensemble
from gan_studio.headless import train_to_end
from gan_studio.runner import Runner
from gan_studio.runs import SEED_COLUMN, RunWriter
from gan_studio.schedule import Schedule
from gan_studio.sweep.grid import Point, Sweep
from gan_studio.sweep.results import (
    DONE,
    NONFINITE,
    SeedResult,
    ensemble_folder,
    read_result,
    seed_folder,
    write_result,
)

SEPARATE = "separate runs"  # the start of the message of a point whose seeds could not train as one ensemble


def train_point(sweep: Sweep, point: Point, out: str) -> list[SeedResult]:
    """Train every seed of ``point`` (one torch thread: a Ray worker has one core) and return their outcomes, one
    per seed in seed order: as one seed ensemble where the config allows, else as separate runs (see the module).

    An exception (a data file missing on this machine, out of memory) propagates: the driver reports the point as
    failed, keeping the separate runs finished before it.
    """
    torch.set_num_threads(1)
    seeds = sweep.seed_values()
    why = ensemble_refused(sweep.ensemble_config(point)) if len(seeds) > 1 else None
    if len(seeds) > 1 and why is None:
        folder = ensemble_folder(Path(out), point, seeds)
        results = train_ensemble(sweep.ensemble_config(point), sweep.steps, folder, point.name)
        stopped = next((r for r in results if r.status == NONFINITE), None)
        if stopped is None:
            return results
        shutil.rmtree(folder, ignore_errors=True)  # its healthy members stopped early too: the separate runs replace it
        why = f"the ensemble stopped on a NaN/Inf ({stopped.message})"
    note = f"{SEPARATE}: {why}" if why else ""
    results = []
    for seed in seeds:
        cfg, folder = sweep.config(point, seed), seed_folder(Path(out), point, seed)
        # a seed finished before an interruption is kept
        results.append(read_result(folder, cfg, sweep.steps) or train_seed(cfg, sweep.steps, folder, point.name, note))
    return results


def ensemble_refused(cfg: Config) -> str | None:
    """Why ``cfg`` (``train.seeds`` > 1) cannot train as a seed ensemble (``check_ensemble``'s line), or None."""
    try:
        check_ensemble(cfg)
    except ConfigError as err:
        return str(err)
    return None


def train_ensemble(cfg: Config, steps: int, folder: Path, point: str) -> list[SeedResult]:
    """All seeds of ``cfg`` (``train.seeds`` > 1) as one seed ensemble of ``steps`` steps into ``folder``
    (replacing a stale or half-written one), then its ``result.json``: one outcome per member, each with its
    share of the wall time. A NaN/Inf stops every member (the last finite state is saved); the member that
    produced it is NONFINITE, the others DONE short of ``steps`` (the caller reruns them separately)."""
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    trainer = EnsembleTrainer(cfg)
    writer = RunWriter(folder, cfg, trainer.columns())
    runner = Runner(trainer, Schedule(), MembersRecorder(writer))
    bad_seed, message = None, ""
    try:
        final, err = train_to_end(runner, writer, steps)
    finally:
        writer.close()
    if err is not None:
        message = str(err)
        bad_seed = next((s for s in trainer.seeds if f"member seed {s} " in message), trainer.seeds[0])
    seconds = (time.perf_counter() - start) / trainer.n
    n_modes = trainer.frame(probe=False).display.n_modes  # one data config: every member's count is the same
    results = []
    for seed, row in zip(trainer.seeds, final[MEMBERS], strict=True):
        stopped = seed == bad_seed
        results.append(SeedResult(point, seed, steps, NONFINITE if stopped else DONE, message if stopped else "",
                                  final=_final(row, trainer.columns()), n_modes=n_modes, seconds=seconds))
    if bad_seed is None:
        write_result(folder, results)  # a stopped ensemble is never marked finished: it is replaced
    return results


def train_seed(cfg: Config, steps: int, folder: Path, point: str, note: str = "") -> SeedResult:
    """One run of ``steps`` steps into the run folder ``folder`` (replacing a stale or half-written one), then its
    ``result.json`` (its message: ``note``, then the run's own). A NaN/Inf stops the run as ``gan-studio run``
    does (the last finite state is saved) and is its outcome, not an error."""
    shutil.rmtree(folder, ignore_errors=True)  # an unfinished run of this seed, or one made with another config
    start = time.perf_counter()
    trainer = Trainer(cfg)
    writer = RunWriter(folder, cfg, trainer.columns())
    runner = Runner(trainer, Schedule(), writer)
    try:
        final, err = train_to_end(runner, writer, steps)
    finally:
        writer.close()
    status, message = (DONE, "") if err is None else (NONFINITE, str(err))
    message = "; ".join(m for m in (note, message) if m)
    result = SeedResult(point, cfg.train.seed, steps, status, message, final=_final(final, trainer.columns()),
                        n_modes=trainer.frame(probe=False).display.n_modes, seconds=time.perf_counter() - start)
    write_result(folder, result)
    return result


def _final(row: dict, columns: list[str]) -> dict:
    """A run's last metrics row for the table, in header order (the seed is the table's own column)."""
    return {k: _number(row[k]) for k in columns if k in row and k != SEED_COLUMN}


def _number(value) -> int | float | None:
    """A metrics value as a plain Python number for JSON (the step stays a whole number)."""
    if value is None or isinstance(value, int):
        return value
    return float(value)
