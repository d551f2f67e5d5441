"""Conv G and D: shapes for every image size, per-sample independence (what per-sample penalties need), and a
few training steps with every Lipschitz method, each checked against a per-sample reference computation."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gan_studio.config import CHOICES, ConfigError, LipschitzConfig, ModelConfig
from gan_studio.lipschitz import GradientPenalty, make_method
from gan_studio.nets import build_discriminator, build_generator, weight_layers
from gan_studio.nets.conv import (
    ConvDiscriminator,
    ConvGenerator,
    build_conv_discriminator,
    build_conv_generator,
    conv_layout,
)

torch.set_num_threads(1)
SMALL = ModelConfig(latent_dim=8, hidden=32, activation="leaky_relu", arch="conv")


@pytest.mark.parametrize("side", [4, 8, 12, 16, 28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_ranges(side, channels):
    torch.manual_seed(0)
    G = build_conv_generator(SMALL, (channels, side, side))
    D = build_conv_discriminator(SMALL, (channels, side, side))
    with torch.no_grad():
        x = G(torch.randn(5, 8))
        s = D(x)
    assert x.shape == (5, channels, side, side)
    assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0  # tanh output
    assert s.shape == (5,) and torch.isfinite(s).all()


def test_layout_numbers():
    assert conv_layout(16, 128) == {"k": 2, "s0": 4, "ch": [16, 32, 64], "d_side": 4, "g_side": 16}
    assert conv_layout(32, 128)["ch"] == [16, 32, 64, 128]
    lay = conv_layout(28, 128)  # G makes 32×32 and crops; D's stride-2 convs take 28 → 14 → 7 → 3
    assert (lay["k"], lay["s0"], lay["g_side"], lay["d_side"]) == (3, 4, 32, 3)
    assert conv_layout(16, 8)["ch"] == [4, 4, 8]  # widths never drop below 4 channels


def test_dispatch_through_nets():
    auto = ModelConfig(latent_dim=8, hidden=32, arch="auto")
    assert isinstance(build_generator(auto, (1, 16, 16)), ConvGenerator)
    assert isinstance(build_discriminator(auto, (1, 16, 16)), ConvDiscriminator)
    assert isinstance(build_generator(SMALL, (1, 8, 8)), ConvGenerator)  # arch=conv also for 8×8


def test_bad_shapes_are_config_errors():
    with pytest.raises(ConfigError, match="square images"):
        build_conv_generator(SMALL, (2,))
    with pytest.raises(ConfigError, match="square images"):
        build_conv_discriminator(SMALL, (1, 16, 8))


def test_d_has_only_conv_and_linear_weights_and_no_cross_sample_layers():
    D = build_conv_discriminator(SMALL, (1, 16, 16))
    norms = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm, nn.modules.instancenorm._InstanceNorm,
             nn.Dropout)
    assert not any(isinstance(m, norms) for m in D.modules())
    layers = weight_layers(D)
    assert [type(m) for m in layers] == [nn.Conv2d, nn.Conv2d, nn.Conv2d, nn.Linear]


@pytest.mark.parametrize("train_mode", [True, False])
def test_samples_are_processed_independently(train_mode):
    # Per-sample gradient penalties and a mode-independent G need every output row to depend on its own input
    # only: a batch of 7 gives the same rows as the first 3 alone (up to float32 summation order).
    torch.manual_seed(1)
    G = build_conv_generator(SMALL, (1, 16, 16)).train(train_mode)
    D = build_conv_discriminator(SMALL, (1, 16, 16)).train(train_mode)
    z, x = torch.randn(7, 8), torch.rand(7, 1, 16, 16) * 2 - 1
    with torch.no_grad():
        assert G(z)[:3].numpy() == pytest.approx(G(z[:3]).numpy(), abs=1e-5)
        assert D(x)[:3].numpy() == pytest.approx(D(x[:3]).numpy(), abs=1e-5)


def _per_sample_grads(D, x):
    """∇ₓD(x_i) computed one sample at a time: the reference for batched penalties."""
    out = []
    for i in range(len(x)):
        xi = x[i:i + 1].detach().requires_grad_(True)
        (g,) = torch.autograd.grad(D(xi).sum(), xi)
        out.append(g[0])
    return torch.stack(out)


def test_gradient_penalty_on_conv_d_is_per_sample():
    torch.manual_seed(2)
    D = build_conv_discriminator(SMALL, (1, 16, 16))
    x_r, x_f = torch.rand(6, 1, 16, 16) * 2 - 1, torch.rand(6, 1, 16, 16) * 2 - 1
    gp = GradientPenalty(weight=10.0)
    value = gp.penalty(D, x_r, x_f, torch.Generator().manual_seed(5))
    x_hat = gp.interpolate(x_r, x_f, torch.Generator().manual_seed(5))  # the same ε per sample
    norms = _per_sample_grads(D, x_hat).flatten(1).norm(dim=1)
    expected = 10.0 * ((norms - 1.0) ** 2).mean()
    assert float(value.detach()) == pytest.approx(float(expected), rel=1e-4)  # float32 reduction order only


@pytest.mark.parametrize("name", ["r1", "r2"])
def test_r1_r2_on_conv_d_match_per_sample_norms(name):
    torch.manual_seed(3)
    D = build_conv_discriminator(SMALL, (1, 16, 16))
    x_r, x_f = torch.rand(5, 1, 16, 16) * 2 - 1, torch.rand(5, 1, 16, 16) * 2 - 1
    method = make_method(LipschitzConfig(name=name, weight=4.0))
    value = method.penalty(D, x_r, x_f, torch.Generator().manual_seed(0))
    x = x_r if name == "r1" else x_f
    expected = 0.5 * 4.0 * _per_sample_grads(D, x).flatten(1).square().sum(1).mean()
    assert float(value.detach()) == pytest.approx(float(expected), rel=1e-4)  # float32 reduction order only


def test_spectral_norm_attaches_to_every_conv_and_linear_layer():
    torch.manual_seed(4)
    D = build_conv_discriminator(SMALL, (1, 16, 16))
    params_before = {id(p) for p in D.parameters()}
    method = make_method(LipschitzConfig(name="sn"))
    method.attach(D)
    D.train()
    for _ in range(30):  # power iterations run on training forwards
        D(torch.rand(2, 1, 16, 16))
    for layer in weight_layers(D):
        w = layer.weight.detach()  # the normalised weight, reshaped as torch does: (out, in·kh·kw)
        sigma = torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2)
        assert float(sigma) == pytest.approx(1.0, abs=1e-3)  # power iteration converged to the top singular value
    method.detach(D)
    assert {id(p) for p in D.parameters()} == params_before


@pytest.mark.parametrize("lipschitz", list(CHOICES["lipschitz.name"]))
@pytest.mark.parametrize("loss", ["ns", "wgan", "hinge"])
def test_few_steps_with_every_lipschitz_method(lipschitz, loss):
    from gan_studio.objectives import get_objective
    from gan_studio.objectives.base import NO_STATE

    torch.manual_seed(5)
    gen = torch.Generator().manual_seed(5)
    G = build_conv_generator(SMALL, (1, 16, 16))
    D = build_conv_discriminator(SMALL, (1, 16, 16))
    method = make_method(LipschitzConfig(name=lipschitz))
    method.attach(D)
    objective = get_objective(loss)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(16, 1, 16, 16, generator=gen) * 2 - 1
    for _ in range(3):
        with torch.no_grad():
            fake = G(torch.randn(16, 8, generator=gen))
        loss_d = objective.d_loss(D(real), D(fake), NO_STATE)
        pen = method.penalty(D, real, fake, gen)
        total = loss_d if pen is None else loss_d + pen
        opt_d.zero_grad()
        total.backward()
        opt_d.step()
        method.after_step(D)
        loss_g = objective.g_loss(None, D(G(torch.randn(16, 8, generator=gen))), NO_STATE)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        assert math.isfinite(float(total.detach())) and math.isfinite(float(loss_g.detach()))
    assert all(torch.isfinite(p).all() for p in list(G.parameters()) + list(D.parameters()))
    if lipschitz == "clip":
        assert max(float(p.detach().abs().max()) for p in D.parameters()) <= 0.01 + 1e-9  # clamp bound, exact
    method.detach(D)


def test_engine_trains_conv_nets_and_swaps_every_lipschitz_method(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path))
    from gan_studio import config as C
    from gan_studio.engine import Trainer

    cfg = C.Config()
    for key, value in (("data.name", "shapes"), ("model.arch", "conv"), ("model.hidden", 32),
                       ("model.latent_dim", 8), ("train.batch_size", 16), ("train.log_every", 1000),
                       ("metrics.every", 100000), ("train.device", "cpu")):
        cfg = C.with_value(cfg, key, value)
    trainer = Trainer(cfg)
    for name in ["sn", "gp", "r1", "r2", "clip", "none"]:
        trainer.apply("lipschitz.name", name)
        trainer.step()
        trainer.step()
    assert trainer.step_count == 12
    assert all(torch.isfinite(p).all() for p in trainer.D.parameters())
    with torch.no_grad():
        assert trainer.G(torch.randn(4, 8)).shape == (4, 1, 16, 16)


@pytest.mark.parametrize("norm", ["pixel", "batch", "layer", "none"])
def test_generator_normalization_options(norm):
    G = build_conv_generator(SMALL, (1, 16, 16), norm=norm)
    with torch.no_grad():
        assert G(torch.randn(4, 8)).shape == (4, 1, 16, 16)
    with pytest.raises(ValueError, match="normalization"):
        build_conv_generator(SMALL, (1, 16, 16), norm="instance")
