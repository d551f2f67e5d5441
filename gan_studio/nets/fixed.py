"""A generator that is no net: real data plus Gaussian noise, held fixed (``model.g_data_noise`` = σ > 0).

Gulrajani et al. 2017 (WGAN-GP), Fig. 1, train critics against a generator "held fixed at the real data plus
Gaussian noise", so that what differs between weight clipping and the gradient penalty is the critic alone. This
module is that generator: G(z) = x_k + σ·(z_1, …, z_d), where x_k is one of ``BANK`` real samples drawn once at
build time, chosen by the first latent coordinate through the Gaussian CDF (k = ⌊Φ(z_0)·BANK⌋, uniform over the
bank for z_0 ~ N(0, 1)), and the noise is the next d coordinates. So G's output is a function of z alone: the
probes' extra calls of G draw nothing from any random stream, and a run replays exactly as with a net. It needs a
Gaussian latent with at least d + 1 coordinates (one to pick the sample, d for the noise); ConfigError otherwise.

It has no parameters and is never updated: the engine skips G's updates while ``model.g_data_noise`` > 0.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gan_studio.config import ConfigError

BANK = 4096  # real samples G picks from: ring8's 8 modes (std 0.02) are covered ~500 times each


class DataPlusNoise(nn.Module):
    """G(z) = bank[⌊Φ(z_0)·len(bank)⌋] + σ·z_{1..d} (the module docstring says why z carries the randomness)."""

    def __init__(self, bank: Tensor, sigma: float):
        super().__init__()
        self.register_buffer("bank", bank.detach().clone().float(), persistent=False)  # rebuilt from the seed
        self.sigma = float(sigma)
        self.dim = int(bank[0].numel())

    def forward(self, z: Tensor) -> Tensor:
        """(n, latent_dim) Gaussian codes → (n, *data shape) samples."""
        n_bank = self.bank.shape[0]
        pick = (torch.special.ndtr(z[:, 0]) * n_bank).long().clamp_(0, n_bank - 1)
        noise = z[:, 1:1 + self.dim].reshape(-1, *self.bank.shape[1:])
        return self.bank[pick] + self.sigma * noise


def build_data_noise_generator(cfg_model, bank: Tensor, sigma: float) -> DataPlusNoise:
    """The fixed generator over ``bank`` (real samples, (BANK, *data shape)); ConfigError for a latent it cannot
    use or for options that need a net (a conditional G, a mapping network)."""
    dim = int(bank[0].numel())
    if cfg_model.latent != "gaussian":
        raise ConfigError(f"model.g_data_noise: the fixed generator needs model.latent = gaussian (its noise is z), "
                          f"got {cfg_model.latent}")
    if cfg_model.latent_dim < dim + 1:
        raise ConfigError(f"model.g_data_noise: the fixed generator needs model.latent_dim ≥ {dim + 1} (one "
                          f"coordinate picks a real sample, {dim} are the noise), got {cfg_model.latent_dim}")
    if cfg_model.conditional or cfg_model.mapping:
        raise ConfigError("model.g_data_noise: the fixed generator is no net; it takes neither model.conditional "
                          "nor model.mapping (set them to false and 0)")
    return DataPlusNoise(bank, sigma)
