"""Discriminators with other heads than a score: a feature vector, an autoencoder, or none (issue #11, phase 1).

The ``score`` head is the existing nets (``nets.mlp``, ``nets.conv``). These are MLPs for points (dim,) and for
flattened small images (C, H, W) such as 8×8 digits, built like ``nets.mlp``: ``depth`` hidden Linear +
activation layers of width ``hidden`` (``make_activation``), no dropout, no normalisation, no cross-sample
operation — so per-sample input gradients (gradient penalties on a witness) stay exact and every weight is a plain
Linear (clipping, spectral normalization).

head            class           forward(x: (n, *data_shape)) returns
--------------  --------------  ------------------------------------------------------------------------------
features        FeaturesD       φ(x): (n, features) — trunk → Linear(hidden, features), no activation at the end
reconstruction  AutoencoderD    Reconstruction(energy (n,), code (n, code)) — encoder trunk → Linear → code;
                                decoder trunk → Linear → prod(data_shape); energy = reconstruction error ``energy``
none            SamplesD        x flattened to (n, d): no parameters (GMMN has no discriminator; the engine must
                                create no optimizer for it and take no D step)

Reconstruction errors (``reconstruction_energy``), per sample over the flattened coordinates:
``l2`` ‖x − x̂‖₂ (EBGAN), ``l1`` mean |x − x̂| (BEGAN, η = 1), ``mse`` mean (x − x̂)² (MAGAN).
The decoder output is linear (unbounded) for points and images alike: the energy compares it with x directly.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gan_studio.nets.mlp import make_activation
from gan_studio.objectives.base import Reconstruction

ENERGIES = ("l2", "l1", "mse")


def _trunk(n_in: int, hidden: int, depth: int, activation: str) -> list[nn.Module]:
    """``depth`` Linear + activation layers of width ``hidden`` (at least one)."""
    layers: list[nn.Module] = []
    width = n_in
    for _ in range(max(1, depth)):
        layers += [nn.Linear(width, hidden), make_activation(activation)]
        width = hidden
    return layers


def reconstruction_energy(x: Tensor, x_hat: Tensor, kind: str) -> Tensor:
    """Per-sample reconstruction error (n,) of flattened x and x̂: ``l2`` norm, ``l1`` mean, or ``mse`` mean."""
    diff = torch.flatten(x, 1) - torch.flatten(x_hat, 1)
    if kind == "l2":
        sq = diff.square().sum(1)
        positive = sq > 0  # gradient 0, not NaN, at a perfect reconstruction
        return torch.where(positive, torch.where(positive, sq, torch.ones_like(sq)).sqrt(), torch.zeros_like(sq))
    if kind == "l1":
        return diff.abs().mean(1)
    if kind == "mse":
        return diff.square().mean(1)
    raise ValueError(f"unknown reconstruction energy {kind!r}; allowed: {', '.join(ENERGIES)}")


class FeaturesD(nn.Module):
    """φ(x): (n, *data_shape) → (n, features) feature vectors (the kernel and feature-IPM objectives)."""

    def __init__(self, data_shape: tuple[int, ...], hidden: int, depth: int, activation: str, features: int = 16):
        super().__init__()
        self.data_shape = tuple(int(s) for s in data_shape)
        self.features = int(features)
        self.net = nn.Sequential(*_trunk(math.prod(self.data_shape), hidden, depth, activation),
                                 nn.Linear(hidden, self.features))

    def forward(self, x: Tensor) -> Tensor:
        """Feature vectors (n, features); image input is flattened."""
        return self.net(torch.flatten(x, 1))


class AutoencoderD(nn.Module):
    """An autoencoder D: x → code → x̂, returning ``Reconstruction(energy, code)`` (energy: lower = more real)."""

    def __init__(self, data_shape: tuple[int, ...], hidden: int, depth: int, activation: str, code: int = 8,
                 energy: str = "l2"):
        super().__init__()
        if energy not in ENERGIES:
            raise ValueError(f"unknown reconstruction energy {energy!r}; allowed: {', '.join(ENERGIES)}")
        self.data_shape = tuple(int(s) for s in data_shape)
        self.energy = energy
        n = math.prod(self.data_shape)
        self.encoder = nn.Sequential(*_trunk(n, hidden, depth, activation), nn.Linear(hidden, int(code)))
        self.decoder = nn.Sequential(*_trunk(int(code), hidden, depth, activation), nn.Linear(hidden, n))

    def reconstruct(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(x̂ with x's shape, code (n, code))."""
        code = self.encoder(torch.flatten(x, 1))
        return self.decoder(code).reshape(x.shape), code

    def forward(self, x: Tensor) -> Reconstruction:
        """Per-sample energy (n,) and the code (n, code)."""
        x_hat, code = self.reconstruct(x)
        return Reconstruction(reconstruction_energy(x, x_hat, self.energy), code)


class SamplesD(nn.Module):
    """No discriminator (head ``none``): returns the samples flattened to (n, d); it has no parameters."""

    def __init__(self, data_shape: tuple[int, ...]):
        super().__init__()
        self.data_shape = tuple(int(s) for s in data_shape)

    def forward(self, x: Tensor) -> Tensor:
        """x as (n, d)."""
        return torch.flatten(x, 1)


def build_features_discriminator(cfg_model, data_shape: tuple[int, ...], features: int = 16) -> FeaturesD:
    """FeaturesD from a ModelConfig (hidden, depth, activation); ``features`` = k (16: Bińkowski et al.'s MMD GAN)."""
    return FeaturesD(data_shape, cfg_model.hidden, cfg_model.depth, cfg_model.activation, features)


def build_autoencoder_discriminator(cfg_model, data_shape: tuple[int, ...], energy: str, code: int = 8
                                    ) -> AutoencoderD:
    """AutoencoderD from a ModelConfig; ``energy`` is the objective's (``objectives.energy.ENERGY``)."""
    return AutoencoderD(data_shape, cfg_model.hidden, cfg_model.depth, cfg_model.activation, code, energy)
