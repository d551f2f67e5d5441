"""The VAE contrast (issue 12, objectives/vae.py): the ELBO's terms against closed forms and hand computations, the
sharpness column by hand, the engine's joint update, mid-run switches to and from a GAN, refusals, and the claims of
the ring8-vae and digits-vae presets on their own runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from configs import config_with
from torch.distributions import Normal, kl_divergence

from gan_studio import config as C
from gan_studio.config import ConfigError
from gan_studio.engine import Trainer
from gan_studio.metrics.images import sharpness
from gan_studio.nets.encoder import GaussianEncoder
from gan_studio.objectives import get_objective
from gan_studio.objectives.vae import Posterior, ae_loss, gaussian_kl, squared_error, vae_loss
from gan_studio.presets import load_preset

torch.set_num_threads(1)


def _small(**changes) -> C.Config:
    """A small VAE on ring8: a row every step, no cadenced measurement."""
    base = {"loss.name": "vae", "model.hidden": 16, "model.depth": 1, "train.batch_size": 32, "train.log_every": 1,
            "metrics.every": 10_000, "metrics.ot_every": 10_000, "metrics.n_samples": 200, "train.device": "cpu"}
    return config_with({**base, **changes})


# ------------------------------------------------------------------------------------------------ the ELBO's terms
def test_kl_term_matches_the_closed_form_by_hand():
    # μ = (0.5, −1), σ² = (¼, 4): ½[(0.25 + 0.25 − 1 − log ¼) + (1 + 4 − 1 − log 4)] = ½[(−0.5 + log 4) + (4 − log 4)]
    # = 1.75 exactly
    mu = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    logvar = torch.log(torch.tensor([[0.25, 4.0]], dtype=torch.float64))
    assert gaussian_kl(mu, logvar).item() == pytest.approx(1.75, rel=1e-12)
    assert gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)).tolist() == [0.0, 0.0, 0.0]  # q = the prior


def test_kl_term_matches_torch_distributions():
    gen = torch.Generator().manual_seed(3)
    mu = torch.randn(50, 6, generator=gen, dtype=torch.float64) * 2
    logvar = torch.randn(50, 6, generator=gen, dtype=torch.float64) * 1.5
    independent = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(dim=1)
    assert gaussian_kl(mu, logvar).numpy() == pytest.approx(independent.numpy(), rel=1e-10, abs=1e-12)


def test_reconstruction_term_by_hand():
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    x_hat = torch.tensor([[0.5, 3.0], [0.0, -2.0]])
    assert squared_error(x, x_hat).tolist() == pytest.approx([0.25 + 1.0, 4.0], rel=1e-7)
    images = torch.zeros(1, 1, 2, 2)
    assert squared_error(images, images + 0.5).item() == pytest.approx(4 * 0.25, rel=1e-7)  # summed over pixels


class _Fixed(torch.nn.Module):
    """A hand-set encoder: q(z|x) = N(0.5, 4) whatever x."""

    def forward(self, x):
        n = len(x)
        return Posterior(torch.full((n, 1), 0.5), torch.full((n, 1), math.log(4.0)))


def _decoder(z):
    return torch.cat([z, 2 * z], dim=1)  # G(z) = (z, 2z)


def test_vae_and_ae_losses_by_hand():
    # z = μ + σε = 0.5 + 2·0.25 = 1, G(z) = (1, 2), x = (2, 2): ‖x − G(z)‖² = 1; KL = ½(0.25 + 4 − 1 − log 4);
    # with β = 2: 1 + 2·KL. The autoencoder decodes μ: G(0.5) = (0.5, 1), ‖x − G(μ)‖² = 2.25 + 1 = 3.25.
    x, eps = torch.tensor([[2.0, 2.0]]), torch.tensor([[0.25]])
    kl = 0.5 * (0.25 + 4.0 - 1.0 - math.log(4.0))
    loss, terms = vae_loss(_Fixed(), _decoder, x, eps, 2.0)
    assert loss.item() == pytest.approx(1.0 + 2.0 * kl, rel=1e-6)
    assert terms["recon"].item() == pytest.approx(1.0, rel=1e-6)
    assert terms["kl_prior"].item() == pytest.approx(kl, rel=1e-6)
    loss, terms = ae_loss(_Fixed(), _decoder, x, eps, 2.0)
    assert loss.item() == pytest.approx(3.25, rel=1e-6) and set(terms) == {"recon"}


def test_with_beta_one_the_loss_is_the_negative_elbo_of_a_gaussian_decoder_of_variance_half():
    # −log N(x; x̂, ½ I) = ‖x − x̂‖² + (d/2)·log π (objectives/vae.py): an independent transcription of the density
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(7, 3, generator=gen, dtype=torch.float64)
    x_hat = torch.randn(7, 3, generator=gen, dtype=torch.float64)
    nll = -Normal(x_hat, math.sqrt(0.5)).log_prob(x).sum(dim=1)
    assert squared_error(x, x_hat).numpy() == pytest.approx((nll - 1.5 * math.log(math.pi)).numpy(), rel=1e-10)


def test_encoder_outputs_a_posterior_per_sample():
    enc = GaussianEncoder((1, 8, 8), latent_dim=5, hidden=16, depth=2, activation="relu")
    post = enc(torch.zeros(3, 1, 8, 8))
    assert post.mu.shape == post.logvar.shape == (3, 5)


# ------------------------------------------------------------------------------------------------ sharpness
def test_sharpness_by_hand_on_a_tiny_image():
    # a single bright pixel in the middle of a 3×3 image: the 2×2 pixels with both forward differences have
    # gradients 0, (0, 1), (1, 0), (−1, −1): magnitudes 0, 1, 1, √2, mean (2 + √2)/4
    img = np.zeros((1, 1, 3, 3))
    img[0, 0, 1, 1] = 1.0
    assert sharpness(img) == pytest.approx((2 + math.sqrt(2)) / 4, rel=1e-12)
    assert sharpness(np.full((2, 1, 4, 4), 0.3)) == 0.0
    # averaging two sharp images (a bar one pixel apart) gives a blurrier one: lower sharpness
    a, b = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 4, 4))
    a[..., 1] = 1.0
    b[..., 2] = 1.0
    assert sharpness((a + b) / 2) == pytest.approx(0.5 * sharpness(a), rel=1e-12)
    with pytest.raises(ValueError, match="H, W ≥ 2"):
        sharpness(np.zeros((3, 1, 1, 5)))


# ------------------------------------------------------------------------------------------------ the engine
def test_joint_update_trains_encoder_and_decoder_and_logs_the_terms():
    trainer = Trainer(_small(**{"loss.beta": 0.5}))
    assert trainer.d_head == "encoder" and isinstance(trainer.D, GaussianEncoder)
    enc0 = [p.detach().clone() for p in trainer.D.parameters()]
    dec0 = [p.detach().clone() for p in trainer.G.parameters()]
    rows = [trainer.step() for _ in range(5)]
    for row in rows:
        assert "loss_d" not in row and "d_real" not in row  # no game, no D scores
        # the batch mean of recon + β·KL is mean recon + β·mean KL
        assert row["loss_g"] == pytest.approx(row["recon"] + 0.5 * row["kl_prior"], rel=1e-5)
        assert row["grad_norm_d"] > 0 and row["grad_norm_g"] > 0
    assert all(not torch.equal(a, b) for a, b in zip(enc0, trainer.D.parameters(), strict=True))
    assert all(not torch.equal(a, b) for a, b in zip(dec0, trainer.G.parameters(), strict=True))


def test_beta_is_live_and_recorded():
    trainer = Trainer(_small())
    trainer.step()
    assert trainer.apply("loss.beta", "4") == {"step": 1, "what": "loss.beta", "old": 1.0, "new": 4.0}
    row = trainer.step()
    assert row["loss_g"] == pytest.approx(row["recon"] + 4.0 * row["kl_prior"], rel=1e-5)


def test_the_views_draw_the_loss_at_the_posterior_mean():
    trainer = Trainer(_small())
    for _ in range(3):
        trainer.step()
    x = trainer.dataset.sample(16, torch.Generator().manual_seed(1))
    with torch.no_grad():
        drawn = trainer.measured_d()(x)
        mu, _ = trainer.D(x)
        expected, _ = vae_loss(trainer.D, trainer.G, x, torch.zeros_like(mu), trainer.cfg.loss.beta)
    assert drawn.numpy() == pytest.approx(expected.numpy(), rel=1e-6)
    frame = trainer.frame(grid=12)
    assert frame.display.d_view == "energy" and frame.display.about == get_objective("vae").about
    assert frame.push.shape == (0, 2)  # no game: no push arrows
    assert np.isfinite(frame.surface.score).all()
    row = trainer.metrics_row(full=True)
    assert row.get("w1_critic") is None  # an energy has no critic gap
    assert math.isfinite(row["js"]) and math.isfinite(row["hq"])


def test_a_switch_from_a_gan_keeps_g_and_builds_a_fresh_encoder_and_back():
    trainer = Trainer(_small(**{"loss.name": "ns"}))
    trainer.step()
    g_before = [p.detach().clone() for p in trainer.G.parameters()]
    trainer.apply("loss.name", "vae")
    assert isinstance(trainer.D, GaussianEncoder)
    assert all(torch.equal(a, b) for a, b in zip(g_before, trainer.G.parameters(), strict=True))
    assert {id(p) for g in trainer.opt_d.param_groups for p in g["params"]} == {id(p) for p in trainer.D.parameters()}
    row = trainer.step()
    assert math.isfinite(row["loss_g"]) and math.isfinite(row["kl_prior"])
    encoder = trainer.D
    trainer.apply("loss.name", "ae")  # same head: the encoder is kept (the ae reads its μ)
    assert trainer.D is encoder
    row = trainer.step()
    assert row["loss_g"] == pytest.approx(row["recon"], rel=1e-6) and "kl_prior" not in row
    trainer.apply("loss.name", "ns")  # back to a game: a fresh score D, G kept
    assert trainer.d_head == "score" and not isinstance(trainer.D, GaussianEncoder)
    assert math.isfinite(trainer.step()["loss_d"])


def test_the_same_switch_replays_from_the_command_line(tmp_path):
    from gan_studio import cli

    keys = {"model.hidden": 16, "model.depth": 1, "train.batch_size": 32, "train.log_every": 5,
            "metrics.every": 10, "metrics.ot_every": 20, "metrics.n_samples": 200, "metrics.ot_samples": 64,
            "train.device": "cpu"}
    args = ["--steps", "20", "--quiet", "--at", "10", "loss.name=vae", "--at", "15", "loss.beta=3"]
    for key, value in keys.items():
        args += ["--set", f"{key}={value}"]
    for out in ("a", "b"):
        assert cli.main(["run", *args, "--out", str(tmp_path / out)]) == 0
    assert (tmp_path / "a" / "metrics.csv").read_bytes() == (tmp_path / "b" / "metrics.csv").read_bytes()


@pytest.mark.parametrize("key, value, message", [
    ("model.latent", "uniform", "loss.name: vae samples G(z) with z ~ N(0, I), its prior; model.latent is uniform "
                                "(allowed with it: gaussian)"),
    ("lipschitz.name", "gp", "lipschitz.name: gp does not apply to loss.name vae; allowed with it: none"),
    ("remedy.name", "packing", "remedy.name: packing needs a D; loss.name vae has none (allowed: none)"),
])
def test_what_does_not_go_with_a_vae_is_refused_in_one_line(key, value, message):
    with pytest.raises(ConfigError) as err:
        Trainer(_small(**{key: value}))
    assert str(err.value) == message


def test_a_refused_switch_to_the_vae_leaves_the_run_as_it_was():
    trainer = Trainer(_small(**{"loss.name": "wgan", "lipschitz.name": "gp"}))
    trainer.step()
    D = trainer.D
    with pytest.raises(ConfigError, match="lipschitz.name: gp does not apply to loss.name vae"):
        trainer.apply("loss.name", "vae")
    assert trainer.D is D and trainer.cfg.loss.name == "wgan" and trainer.events == []
    trainer = Trainer(_small(**{"loss.name": "ns", "model.latent": "uniform"}))
    with pytest.raises(ConfigError, match="model.latent is uniform"):
        trainer.apply("loss.name", "ae")
    assert trainer.cfg.loss.name == "ns"


# ------------------------------------------------------------------------------------------------ presets
def _train(cfg: C.Config, steps: int) -> list[dict]:
    """Train ``cfg`` on the CPU for ``steps`` steps; its metrics rows."""
    trainer = Trainer(C.with_value(cfg, "train.device", "cpu"))
    rows = []
    while trainer.step_count < steps:
        row = trainer.step()
        if row is not None:
            rows.append(row)
    return rows


def _measured(rows: list[dict], column: str) -> list[float]:
    return [row[column] for row in rows if row.get(column) is not None]


def test_presets_load_and_name_the_vae():
    assert load_preset("ring8-vae").loss.name == "vae"
    assert load_preset("digits-vae").loss.name == "vae"


def _between_modes(samples: np.ndarray, centres: np.ndarray, stds: np.ndarray) -> float:
    """Share of the samples farther than 10 std from every mode's centre (in the gaps of the ring; data: 0)."""
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=2).min(axis=1)
    return float((dist > 10 * stds.max()).mean())


@pytest.mark.slow  # default run under 10 min on 2 cores: preset claims over ~10 s run with -m slow
def test_ring8_vae_reaches_every_mode_but_spreads_between_them():
    """ring8-vae: all 8 modes reached at every measurement, yet under 5 % of the samples high quality (within 3 std
    of a mode) and over 70 % in the gaps, farther than 10 std from every mode (the data: 0 %). Asserted over 1,500
    steps; measured (seed 0) to 5,000: 8 modes at every measurement, high quality 0.4–2.8 %, in the gaps 81–89 %.
    The GAN to compare with, ring8-wgan-gp, reaches 33 % high quality by step 1,400 (tests/test_presets.py)."""
    trainer = Trainer(C.with_value(load_preset("ring8-vae"), "train.device", "cpu"))
    rng = torch.Generator().manual_seed(12345)
    rows, gaps = [], []
    while trainer.step_count < 1500:
        row = trainer.step()
        if row is not None:
            rows.append(row)
        if trainer.step_count % 500 == 0:
            ds = trainer.dataset
            gaps.append(_between_modes(trainer.generate(2500, rng).numpy(), ds.centres, ds.stds))
    assert _measured(rows, "modes_reached") == [8.0] * 15
    hq = _measured(rows, "hq")
    assert len(hq) == 15 and max(hq) < 5.0, hq
    assert min(gaps) > 0.7, gaps


@pytest.mark.slow  # default run under 10 min on 2 cores: preset claims over ~10 s run with -m slow
def test_digits_vae_is_blurrier_than_the_gan_on_the_same_nets():
    """digits-vae against digits (the same nets, the loss the only change), each on its own run: over steps 500–1,500
    the VAE's sharpness is on average under 0.85 of the data's and at least 0.15 below the GAN's ratio, which is
    over 0.9; the VAE shows 9–10 classes at every measurement from step 200 (blur, not collapse). Measured (seed 0,
    every 100 steps): VAE 0.70–0.79 of the data's (mean 0.75; rising slowly: 0.85 at step 7,000), 10 classes from
    step 200; GAN 0.97–1.17 (mean 1.05)."""
    ratios = {}
    for name in ("digits-vae", "digits"):
        rows = [r for r in _train(load_preset(name), 1500) if r.get("sharpness") is not None]
        ratios[name] = float(np.mean([r["sharpness"] / r["sharpness_data"] for r in rows if r["step"] >= 500]))
        if name == "digits-vae":
            assert min(r["classes"] for r in rows if r["step"] >= 200) >= 9, rows
    assert ratios["digits-vae"] < 0.85 and ratios["digits"] > 0.9, ratios
    assert ratios["digits"] - ratios["digits-vae"] > 0.15, ratios
