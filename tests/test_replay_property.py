"""Issue #17, the replay property: a run driven through the Runner with random saves (``final_state()``, as a save
from the window makes one), reseeds, resets, steps and switches at random steps records events from which
``gan-studio run --config … --events …`` rebuilds a byte-identical metrics.csv: the saves change no later row."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from gan_studio import config as C
from gan_studio import runs

STEPS = 90
SWITCHES = (("loss.name", ("ns", "wgan", "lsgan", "hinge", "rsgan", "minimax")),
            ("lipschitz.name", ("none", "sn", "gp", "r1")),
            ("optim.name", ("adam", "rmsprop", "sgd")),
            ("train.d_steps", (1, 2)),
            ("metrics.every", (3, 5, 10)),
            ("train.log_every", (1, 2, 5)),
            ("remedy.name", ("none", "minibatch_stddev", "instance_noise")))


def small() -> C.Config:
    cfg = C.Config()
    for key, value in {"model.hidden": 16, "model.depth": 2, "train.batch_size": 32, "train.log_every": 2,
                       "metrics.every": 4, "metrics.ot_every": 12, "metrics.n_samples": 300,
                       "metrics.ot_samples": 64, "train.device": "cpu"}.items():
        cfg = C.with_value(cfg, key, value)
    return cfg


def random_plan(rng: random.Random) -> dict[int, list[tuple[str, object]]]:
    """What happens after which step: saves, reseeds, resets, one-sided rounds and switches (never at the end)."""
    plan: dict[int, list] = {}
    for _ in range(rng.randint(8, 14)):
        at = rng.randint(0, STEPS - 3)
        kind = rng.random()
        if kind < 0.35:
            op = ("save", None)
        elif kind < 0.45:
            op = ("reseed", rng.choice([None, rng.randint(0, 10**6)]))
        elif kind < 0.52:
            op = ("reset", None)
        elif kind < 0.6:
            op = (rng.choice(["step_d", "step_g"]), None)
        else:
            key, values = rng.choice(SWITCHES)
            op = (key, rng.choice(values))
        plan.setdefault(at, []).append(op)
    return plan


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)])
# ~5 s each on 2 cores: one schedule in the default run, all three with -m slow
def test_saves_change_no_row_and_the_events_replay_byte_identically(seed, tmp_path):
    from gan_studio.engine import Trainer
    from gan_studio.runner import Runner

    rng = random.Random(seed)
    plan = random_plan(rng)
    cfg = C.with_value(small(), "train.seed", seed)
    trainer = Trainer(cfg)
    writer = runs.RunWriter(tmp_path / "rec", cfg, trainer.columns())
    runner = Runner(trainer, recorder=writer)
    saves = refused = 0

    def do(what, value):
        nonlocal saves, refused
        if what == "save":  # as the window's Save: the full row, samples and weights, written as a copy
            final, samples, weights = runner.final_state()
            writer.save_to(tmp_path / f"save{saves}", final, samples, weights)
            saves += 1
            return
        try:
            runner.apply(what, value)
        except C.ConfigError:  # a switch this objective does not take (r1 with a critic...): refused, not recorded
            refused += 1

    for what, value in plan.get(0, []):
        do(what, value)
    while runner.step_count < STEPS:
        before = runner.step_count
        runner.step()
        for what, value in plan.get(before + 1, []) if runner.step_count == before + 1 else []:
            do(what, value)
    final, samples, weights = runner.final_state()
    writer.final_row(final)
    writer.samples(samples)
    writer.weights(weights)
    writer.close()
    print(f"\nseed {seed}: {len(trainer.events)} events, {saves} saves, {refused} refused switches")
    assert saves > 0 and trainer.events

    out = tmp_path / "replay"
    proc = subprocess.run([sys.executable, "-m", "gan_studio", "run", "--quiet", "--config",
                           str(tmp_path / "rec" / "config.toml"), "--events", str(tmp_path / "rec" / "events.jsonl"),
                           "--steps", str(runner.step_count), "--out", str(out)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    recorded = (tmp_path / "rec" / "metrics.csv").read_bytes()
    replayed = (out / "metrics.csv").read_bytes()
    if recorded != replayed:
        a, b = recorded.decode().splitlines(), replayed.decode().splitlines()
        first = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y) if a[:len(b)] != b[:len(a)] \
            else min(len(a), len(b))
        raise AssertionError(f"metrics.csv differs from line {first + 1}:\nrecorded {a[first:first + 1]}\n"
                             f"replayed {b[first:first + 1]}\n(plan {plan})")
    assert (out / "events.jsonl").read_bytes() == (tmp_path / "rec" / "events.jsonl").read_bytes()
