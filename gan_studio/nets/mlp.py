"""Multi-layer perceptron generator and discriminator (points, and flattened small images such as 8×8 digits).

G: z (n, latent_dim) → ``depth`` hidden layers of width ``hidden`` with the configured activation → a linear
layer of size prod(data_shape), reshaped to (n, *data_shape); for image shapes (C, H, W) it ends in tanh so
pixels lie in [−1, 1], for points the output is linear (unbounded).
D: x (n, *data_shape) flattened → the same hidden stack → one linear unit, squeezed to a raw score (n,)
(higher = more real). D has no dropout and no normalisation layers, so per-sample input gradients (gradient
penalties) are exact.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gan_studio.config import CHOICES, ConfigError


def make_activation(name: str) -> nn.Module:
    """A fresh hidden-layer activation module: relu, leaky_relu (slope 0.2), tanh or elu."""
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2)
    if name == "tanh":
        return nn.Tanh()
    if name == "elu":
        return nn.ELU()
    raise ConfigError(f"model.activation: unknown value {name!r}; allowed: {', '.join(CHOICES['model.activation'])}")


def linear_stack(n_in: int, n_out: int, hidden: int, depth: int, activation: str) -> list[nn.Module]:
    """``depth`` hidden Linear+activation layers of width ``hidden`` and a final Linear to ``n_out`` (the layers
    of every MLP here: G, D and the mapping network)."""
    layers: list[nn.Module] = []
    width = n_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), make_activation(activation)]
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return layers


class MLPGenerator(nn.Module):
    """G(z): (n, latent_dim) → (n, *data_shape); linear output for points, tanh for images (C, H, W)."""

    def __init__(self, latent_dim: int, data_shape: tuple[int, ...], hidden: int, depth: int, activation: str):
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.data_shape = tuple(int(s) for s in data_shape)
        layers = linear_stack(self.latent_dim, math.prod(self.data_shape), hidden, depth, activation)
        if len(self.data_shape) == 3:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """Map latent codes to samples of shape (n, *data_shape)."""
        return self.net(z).reshape(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """D(x): (n, *data_shape) → raw score (n,), higher = more real."""

    def __init__(self, data_shape: tuple[int, ...], hidden: int, depth: int, activation: str):
        super().__init__()
        self.data_shape = tuple(int(s) for s in data_shape)
        self.net = nn.Sequential(*linear_stack(math.prod(self.data_shape), 1, hidden, depth, activation))

    def forward(self, x: Tensor) -> Tensor:
        """Score a batch; image input is flattened."""
        return self.net(torch.flatten(x, 1)).squeeze(-1)


def build_mlp_generator(cfg_model, data_shape: tuple[int, ...]) -> MLPGenerator:
    """MLP generator from a ModelConfig (latent_dim, hidden, depth, activation)."""
    return MLPGenerator(cfg_model.latent_dim, data_shape, cfg_model.hidden, cfg_model.depth, cfg_model.activation)


def build_mlp_discriminator(cfg_model, data_shape: tuple[int, ...]) -> MLPDiscriminator:
    """MLP discriminator from a ModelConfig (hidden, depth, activation)."""
    return MLPDiscriminator(data_shape, cfg_model.hidden, cfg_model.depth, cfg_model.activation)
