"""Issue #15: no host synchronisation on the training path between logged steps.

On a GPU every conversion of a device tensor to a Python value (``item``, ``bool``, ``float``, ``tolist``,
``.cpu()``, ``.numpy()``) waits for the device to finish its queue. Without a GPU the same calls can still be
caught: ``no_sync`` makes each of them raise, and the engine's unlogged steps must run under it for every kind
of objective and Lipschitz method. Logged steps may synchronise (measurement, the non-finite check).

One exemption, which mirrors where tensors live on a GPU: torch's non-fused optimizers keep their ``step`` count on
the CPU even when the parameters are on the GPU, so Adam reading it (``.item()``) is no device synchronisation.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager

import configs
import pytest
import torch

from gan_studio import config as C
from gan_studio.config import Config
from gan_studio.engine import NonFiniteError, Trainer

torch.set_num_threads(1)

SYNCING = ("item", "__bool__", "__float__", "__int__", "tolist", "cpu", "numpy")


class SyncError(AssertionError):
    """A synchronising conversion ran where none may."""


def host_counters(trainer: Trainer) -> set[int]:
    """The ids of the optimizers' step counters (CPU tensors even on a GPU, see the module docstring)."""
    return {id(state["step"]) for opt in (trainer.opt_d, trainer.opt_g) if opt is not None
            for state in opt.state.values() if isinstance(state.get("step"), torch.Tensor)}


@contextmanager
def no_sync(allowed: set[int] = frozenset()) -> Iterator[list[str]]:
    """Every synchronising conversion of a tensor raises SyncError inside (those in ``allowed`` excepted); the
    names of the conversions attempted are collected in the list yielded."""
    seen: list[str] = []
    originals = {name: getattr(torch.Tensor, name) for name in SYNCING}

    def guard(name):
        original = originals[name]

        def refuse(self, *args, **kwargs):
            if id(self) in allowed:
                return original(self, *args, **kwargs)
            seen.append(name)
            raise SyncError(f"Tensor.{name} called on the training path between logged steps")
        return refuse

    for name in SYNCING:
        setattr(torch.Tensor, name, guard(name))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)


def small(**changes) -> Config:
    """Small nets and batches; a row every 4 steps, measurement never."""
    return configs.small(**{"train.log_every": 4, **changes})


CASES = [
    {"loss.name": "ns"},
    {"loss.name": "wgan", "lipschitz.name": "gp"},
    {"loss.name": "wgan", "lipschitz.name": "clip"},
    {"loss.name": "wgan", "lipschitz.name": "sn"},
    {"loss.name": "hinge"},
    {"loss.name": "lsgan"},
    {"loss.name": "ns", "lipschitz.name": "r1", "train.d_steps": 2},
    {"loss.name": "mmdgan", "lipschitz.name": "gp"},  # a features head, a kernel in both losses
    {"loss.name": "cramer", "lipschitz.name": "gp"},  # a features head, two generated batches
    {"loss.name": "ns", "remedy.name": "instance_noise"},
    {"loss.name": "ns", "remedy.name": "minibatch_stddev"},
    {"loss.name": "ns", "remedy.name": "packing"},
    {"loss.name": "ns", "optim.name": "rmsprop"},
    {"loss.name": "ns", "optim.name": "sgd"},
    {"loss.name": "ns", "train.rng": "device"},
    {"loss.name": "ns", "model.conditional": True, "train.rng": "device"},  # labels drawn where the RNG lives
    {"loss.name": "wgan", "lipschitz.name": "gp", "model.conditional": True, "model.conditioning": "projection"},
    {"loss.name": "vae", "train.rng": "device"},  # one joint update, ε from the training RNG
    {"loss.name": "ae"},
    # objectives with a running state, kept as 0-d tensors on the training device between logged steps
    {"loss.name": "fisher"},  # λ stepped after each D update, two D updates per step
    {"loss.name": "ebgan"},
    {"loss.name": "ebgan-pt"},
    {"loss.name": "began"},  # k clipped to [0, 1]
    {"loss.name": "magan"},  # the margin set from the first batch, then per window
    {"loss.name": "ns", "train.reuse_fake": True},  # G's update on the D update's batch
]


@pytest.mark.parametrize("changes", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_unlogged_steps_never_synchronise(changes):
    trainer = Trainer(small(**changes))
    assert trainer.step() is None  # step 1 (unlogged, unguarded): optimizer state exists from here on
    allowed = host_counters(trainer)
    for _ in range(2):  # steps 2 and 3: unlogged
        with no_sync(allowed) as seen:
            trainer.step()
        assert seen == []
    assert trainer.step() is not None  # step 4 is logged: the check and the row may synchronise
    with no_sync(allowed) as seen:
        trainer.step()
    assert seen == [] and trainer.step_count == 5


def test_the_guard_catches_each_conversion():
    x = torch.ones(2)
    with no_sync():
        for convert in (lambda: x[0].item(), lambda: bool(x[0]), lambda: float(x[0]), lambda: int(x[0]),
                        lambda: x.tolist(), lambda: x.cpu(), lambda: x.numpy()):
            with pytest.raises(SyncError):
                convert()
    assert float(x[0]) == 1.0  # restored on exit


def test_a_nan_in_an_unlogged_step_is_reported_at_the_logged_step_with_its_own_step():
    """Detected on the device, read once at the logged step: the message names the quantity and the step it
    first went non-finite at, and the weights are those of the step before it."""
    trainer = Trainer(small())
    trainer.step()
    weights = trainer.weights()
    allowed = host_counters(trainer)
    spoilt = trainer.objective.g_loss
    trainer.objective = dataclasses.replace(trainer.objective, g_loss=lambda r, f, s: spoilt(r, f, s) * math.inf)
    with no_sync(allowed):
        trainer.step()  # step 2: G's loss is inf; nothing reads it yet
    with pytest.raises(NonFiniteError, match=r"G loss became inf at step 2 .*the weights of step 1 "):
        for _ in range(2):
            trainer.step()  # step 3 unlogged, step 4 logged: the check
    assert trainer.step_count == 1
    after = trainer.weights()
    assert after.keys() == weights.keys() and all((after[k] == weights[k]).all() for k in weights)


# -- random numbers on the training device (train.rng) -------------------------------------------------------------
def rows(cfg: Config, steps: int = 20) -> list[dict]:
    trainer = Trainer(cfg)
    return [row for row in (trainer.step() for _ in range(steps)) if row is not None]


def test_rng_cpu_is_one_cpu_generator_for_data_and_latents():
    trainer = Trainer(small())
    assert trainer.cfg.train.rng == "cpu"  # the default: CPU runs draw what they drew before the option
    assert trainer.data_rng is trainer.rng and trainer.rng.device == torch.device("cpu")
    expected = torch.Generator().manual_seed(trainer.cfg.train.seed)
    x = trainer.real(5)  # the first draws of a fresh trainer: the generator's stream from the seed
    assert torch.equal(x, trainer.dataset.sample(5, expected))
    assert torch.equal(trainer.latent(3), torch.randn(3, trainer.cfg.model.latent_dim, generator=expected))


def test_rng_device_on_a_cpu_trains_reproducibly_with_a_data_stream_of_its_own():
    cfg = small(**{"train.rng": "device"})
    first, again = rows(cfg), rows(cfg)
    assert len(first) == 5 and first == again
    assert all(math.isfinite(row["loss_d"]) for row in first)
    assert first != rows(small())  # data from its own generator (seed + DATA_RNG_OFFSET): other draws
    trainer = Trainer(cfg)
    assert trainer.data_rng is not trainer.rng


def test_rng_is_a_documented_choice():
    with pytest.raises(C.ConfigError, match="train.rng"):
        small(**{"train.rng": "gpu"})
    assert "train.rng" in C.keys_table()
