"""MLP nets: shapes, init reproducibility, weight layers, activations, arch dispatch, latent sampling."""

import sys
import types

import pytest
import torch
from torch import nn

from gan_studio.config import CHOICES, ConfigError, ModelConfig
from gan_studio.nets import (
    MLPDiscriminator,
    MLPGenerator,
    build_discriminator,
    build_generator,
    resolve_arch,
    sample_latent,
    weight_layers,
)

SMALL = ModelConfig(latent_dim=3, hidden=8, depth=2)


@pytest.mark.parametrize("shape", [(1,), (2,), (1, 8, 8)])
def test_shapes(shape):
    G, D = build_generator(SMALL, shape), build_discriminator(SMALL, shape)
    assert isinstance(G, MLPGenerator) and isinstance(D, MLPDiscriminator)
    z = torch.randn(5, 3)
    x = G(z)
    assert x.shape == (5, *shape) and x.dtype == torch.float32
    assert D(x).shape == (5,)
    assert D(torch.randn(1, *shape)).shape == (1,)  # a single sample still gives (n,), not ()


def test_image_generator_ends_in_tanh_points_are_linear():
    big = torch.full((4, 3), 1e3)  # large codes drive a linear output far outside [−1, 1]
    torch.manual_seed(0)
    img = build_generator(SMALL, (1, 8, 8))(big)
    assert img.abs().max().item() <= 1.0
    assert isinstance(build_generator(SMALL, (2,)).net[-1], nn.Linear)
    assert isinstance(build_generator(SMALL, (1, 8, 8)).net[-1], nn.Tanh)


def test_same_seed_same_init():
    def params(seed):
        torch.manual_seed(seed)
        G, D = build_generator(SMALL, (2,)), build_discriminator(SMALL, (2,))
        return [p.detach().clone() for p in [*G.parameters(), *D.parameters()]]

    a, b, c = params(7), params(7), params(8)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


@pytest.mark.parametrize("depth", [1, 3])
def test_weight_layers_count_and_order(depth):
    cfg = ModelConfig(latent_dim=2, hidden=6, depth=depth)
    G, D = build_generator(cfg, (2,)), build_discriminator(cfg, (2,))
    for net, first_in, last_out in ((G, 2, 2), (D, 2, 1)):
        layers = weight_layers(net)
        assert len(layers) == depth + 1
        assert all(isinstance(layer, nn.Linear) for layer in layers)
        assert layers[0].in_features == first_in and layers[-1].out_features == last_out  # forward order


@pytest.mark.parametrize("activation", sorted(CHOICES["model.activation"]))
def test_every_activation(activation):
    cfg = ModelConfig(latent_dim=2, hidden=4, depth=2, activation=activation)
    G, D = build_generator(cfg, (2,)), build_discriminator(cfg, (2,))
    assert D(G(torch.randn(3, 2))).shape == (3,)
    acts = [m for m in D.net if not isinstance(m, nn.Linear)]
    assert len(acts) == 2
    if activation == "leaky_relu":
        assert acts[0].negative_slope == pytest.approx(0.2, abs=0)


def test_conv_with_points_is_config_error():
    with pytest.raises(ConfigError, match="model.arch: conv needs image data; use mlp or auto"):
        build_generator(ModelConfig(arch="conv"), (2,))
    with pytest.raises(ConfigError, match="model.arch: conv needs image data"):
        build_discriminator(ModelConfig(arch="conv"), (1,))


def test_arch_resolution():
    assert resolve_arch("auto", (2,)) == "mlp"
    assert resolve_arch("auto", (1, 8, 8)) == "mlp"
    assert resolve_arch("auto", (1, 16, 16)) == "conv"
    assert resolve_arch("mlp", (1, 28, 28)) == "mlp"
    assert resolve_arch("conv", (3, 8, 8)) == "conv"
    with pytest.raises(ConfigError, match="model.arch.*allowed"):
        resolve_arch("resnet", (2,))


def test_conv_dispatch_uses_conv_module(monkeypatch):
    # Stand-in for nets/conv.py (written separately): checks the lazy import and the call signature.
    fake = types.ModuleType("gan_studio.nets.conv")
    fake.build_conv_generator = lambda cfg, shape: ("G", cfg.arch, shape)
    fake.build_conv_discriminator = lambda cfg, shape: ("D", cfg.arch, shape)
    monkeypatch.setitem(sys.modules, "gan_studio.nets.conv", fake)
    assert build_generator(ModelConfig(arch="auto"), (1, 16, 16)) == ("G", "auto", (1, 16, 16))
    assert build_discriminator(ModelConfig(arch="conv"), (1, 8, 8)) == ("D", "conv", (1, 8, 8))


@pytest.mark.parametrize("kind", sorted(CHOICES["model.latent"]))
def test_sample_latent(kind):
    z1 = sample_latent(2000, 3, kind, torch.Generator().manual_seed(3), "cpu")
    z2 = sample_latent(2000, 3, kind, torch.Generator().manual_seed(3), torch.device("cpu"))
    assert z1.shape == (2000, 3) and z1.dtype == torch.float32
    assert torch.equal(z1, z2)
    if kind == "uniform":
        assert z1.min().item() >= -1.0 and z1.max().item() <= 1.0
        # U(−1, 1): mean 0, variance 1/3; 6000 draws → standard errors 0.0075 (mean), 0.0038 (variance).
        assert z1.mean().item() == pytest.approx(0.0, abs=0.04)
        assert z1.var().item() == pytest.approx(1 / 3, abs=0.02)
    else:
        # N(0, 1): 6000 draws → standard errors 0.013 (mean), 0.018 (variance); 4 s.e. tolerances.
        assert z1.mean().item() == pytest.approx(0.0, abs=0.06)
        assert z1.var().item() == pytest.approx(1.0, abs=0.08)


def test_sample_latent_unknown_kind():
    with pytest.raises(ConfigError, match="model.latent.*gaussian"):
        sample_latent(2, 2, "cauchy", torch.Generator(), "cpu")
