"""The fixed generator of lesson 5 (``model.g_data_noise`` = σ, nets/fixed.py; Gulrajani et al. 2017, Fig. 1): G(z)
is a real sample picked by Φ(z₀) plus σ·z₁..d, a function of z alone, never trained; bad combinations are one
ConfigError line (fast: small nets, a few steps)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_studio import config
from gan_studio.config import ConfigError
from gan_studio.engine import Trainer
from gan_studio.nets.fixed import DataPlusNoise, build_data_noise_generator

torch.set_num_threads(1)


def _cfg(**values):
    cfg = config.Config()
    base = {"model.g_data_noise": 1.0, "model.latent_dim": 3, "model.hidden": 16, "train.device": "cpu",
            "loss.name": "wgan", "lipschitz.name": "gp", "metrics.every": 5, "train.log_every": 5}
    for key, value in {**base, **values}.items():
        cfg = config.with_value(cfg, key, value)
    return cfg


def test_output_is_the_picked_sample_plus_sigma_times_the_noise_coordinates():
    bank = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    g = DataPlusNoise(bank, sigma=0.5)
    z = torch.tensor([[-3.0, 1.0, -2.0], [-0.3, 0.0, 0.0], [0.3, 0.2, 0.4], [3.0, 0.0, 0.0]])
    # Φ(−3) = 0.0013 → 0, Φ(−0.3) = 0.382 → 1, Φ(0.3) = 0.618 → 2, Φ(3) = 0.9987 → 3
    expected = torch.tensor([[0.5, -1.0], [10.0, 0.0], [0.1, 10.2], [10.0, 10.0]])
    assert torch.allclose(g(z), expected, atol=1e-6)
    assert list(g.parameters()) == [] and torch.equal(g(z), g(z)), "no parameters; a function of z alone"


def test_its_samples_are_data_plus_gaussian_noise_in_distribution():
    """Over many z ~ N(0, I): each bank sample is picked about equally often, and G(z) − the picked sample has mean
    0 and covariance σ²I (200,000 draws: standard errors ~0.002; tolerances 0.02)."""
    gen = torch.Generator().manual_seed(0)
    bank = torch.randn(64, 2, generator=gen) * 3
    g = DataPlusNoise(bank, sigma=0.7)
    z = torch.randn(200_000, 3, generator=gen)
    pick = (torch.special.ndtr(z[:, 0]) * 64).long().clamp(0, 63)
    counts = torch.bincount(pick, minlength=64).double() / len(z)
    assert counts.numpy() == pytest.approx(np.full(64, 1 / 64), abs=0.002)  # 1/64 = 0.0156, se 0.0003
    noise = (g(z) - bank[pick]).double().numpy()
    assert noise.mean(0) == pytest.approx([0, 0], abs=0.02)
    assert np.cov(noise.T) == pytest.approx(0.49 * np.eye(2), abs=0.02)


def test_the_trainer_holds_g_fixed_and_switches_optimizers():
    trainer = Trainer(_cfg(**{"train.g_steps": 1}))  # g_steps = 1 asks nothing of a fixed G: no update, no error
    before = trainer.frame().fake.copy()
    for _ in range(10):
        trainer.step()
    trainer.apply("optim.name", "sgd")
    trainer.apply("optim.lr_g", 0.5)
    trainer.apply("step_g")  # the one-G-step action too
    for _ in range(5):
        trainer.step()
    assert np.array_equal(trainer.frame().fake, before)
    real = trainer.real(4000).numpy()
    fake = trainer.G(trainer.latent(4000)).detach().numpy()
    assert fake.var(0) == pytest.approx(real.var(0) + 1.0, abs=0.15)  # ring8: var 2 per coordinate, + σ² = 1


@pytest.mark.parametrize("values, expected", [
    ({"model.latent_dim": 2}, "model.g_data_noise: the fixed generator needs model.latent_dim ≥ 3"),
    ({"model.latent": "uniform"}, "model.g_data_noise: the fixed generator needs model.latent = gaussian"),
    ({"model.mapping": 1}, "model.g_data_noise: the fixed generator is no net"),
])
def test_what_the_fixed_generator_cannot_use_is_one_line(values, expected):
    with pytest.raises(ConfigError) as err:
        Trainer(_cfg(**values))
    assert "\n" not in str(err.value) and str(err.value).startswith(expected), str(err.value)
    with pytest.raises(ConfigError, match="out of range; it must be ≥ 0"):
        config.with_value(config.Config(), "model.g_data_noise", -1)


def test_build_checks_the_latent_before_any_net_is_made():
    bank = torch.zeros(8, 2)
    model = config.with_value(config.Config(), "model.latent_dim", 3).model
    assert isinstance(build_data_noise_generator(model, bank, 1.0), DataPlusNoise)


def test_a_seed_ensemble_refuses_the_fixed_generator():
    from gan_studio.ensemble import check_ensemble

    with pytest.raises(ConfigError, match=r"^model.g_data_noise: the fixed generator does not work in a seed "):
        check_ensemble(_cfg(**{"train.seeds": 2}))
