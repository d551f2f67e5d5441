"""The Gaussian encoder of the VAE contrast (``objectives.vae``): x ↦ q(z|x) = N(μ(x), diag exp(log σ²(x))).

An MLP on the flattened input, built like the other non-score heads (``nets.heads``): ``model.depth`` hidden
Linear + activation layers of width ``model.hidden``, then one Linear to 2·``model.latent_dim`` split into μ and
log σ². For points and flattened small images (8×8 digits) alike; no normalisation, no cross-sample operation.

"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gan_studio.nets.mlp import make_activation
from gan_studio.objectives.vae import Posterior


class GaussianEncoder(nn.Module):
    """(n, *data_shape) → ``Posterior(mu (n, k), logvar (n, k))`` with k = latent_dim."""

    def __init__(self, data_shape: tuple[int, ...], latent_dim: int, hidden: int, depth: int, activation: str):
        super().__init__()
        self.data_shape = tuple(int(s) for s in data_shape)
        self.latent_dim = int(latent_dim)
        layers: list[nn.Module] = []
        width = math.prod(self.data_shape)
        for _ in range(max(1, depth)):
            layers += [nn.Linear(width, hidden), make_activation(activation)]
            width = hidden
        self.trunk = nn.Sequential(*layers)
        self.head = nn.Linear(width, 2 * self.latent_dim)

    def forward(self, x: Tensor) -> Posterior:
        """The posterior's mean and log variance for a batch x."""
        out = self.head(self.trunk(torch.flatten(x, 1)))
        return Posterior(out[:, :self.latent_dim], out[:, self.latent_dim:])


def build_encoder(cfg_model, data_shape: tuple[int, ...]) -> GaussianEncoder:
    """The encoder from a ModelConfig (latent_dim, hidden, depth, activation)."""
    return GaussianEncoder(tuple(data_shape), cfg_model.latent_dim, cfg_model.hidden, cfg_model.depth,
                           cfg_model.activation)
