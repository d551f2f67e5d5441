"""The VAE contrast: a variational autoencoder and a plain L2 autoencoder, trained by the same engine as the GANs.

Why these are objectives (``loss.name = vae | ae``) and not a separate model family: an objective already says what
D's slot holds (its ``head``) and how the views draw it, a ``loss.name`` switch to another head already keeps G and
builds a fresh net in D's slot (here: the encoder), events, replay, reset and the window's loss picker come free,
and the engine gains one branch, ``Trainer._joint_update``, taken when the objective has a ``joint_loss``. The
generator net G is the decoder; D's slot holds the encoder ``nets.encoder.GaussianEncoder``, x ↦ (μ(x), log σ²(x)).
There is no game: one update lowers one loss in the encoder (D's optimizer, ``optim.lr_d``) and the decoder (G's
optimizer, ``optim.lr_g``) together, once per G step (``train.g_steps``; D steps do nothing).

Per sample x ∈ R^d (flattened), with ε ~ N(0, I) from the training RNG (the reparameterisation trick):

====  =================================================  ==================================================
name  loss (per sample; the engine minimises the mean)   samples shown and measured
====  =================================================  ==================================================
vae   ‖x − G(μ + σ ⊙ ε)‖² + β · KL(q(z|x) ‖ N(0, I))     G(z), z ~ N(0, I) (the prior), decoder means
ae    ‖x − G(μ)‖²  (σ unused, no prior term)             G(z), z ~ N(0, I) — a prior the codes never met
====  =================================================  ==================================================

KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²) in nats (closed form, ``gaussian_kl``).
‖x − x̂‖² = Σ_i (x_i − x̂_i)² is −log N(x; x̂, ½ I) up to the constant (d/2)·log π, so with β = 1 the vae loss is
the negative ELBO (Kingma & Welling 2014) of a Gaussian decoder with variance ½ per coordinate, up to that constant;
β ≠ 1 is the β-VAE (Higgins et al. 2017) — equivalently a decoder variance β/2 — ``loss.beta``.

What a student should see: the L2 term makes the decoder output the *mean* of the data points whose codes land near
z, and the prior makes codes overlap, so on ring8 the VAE's samples spread along the arcs between modes, and on
digits they are blurry averages (the ``sharpness`` column against ``sharpness_data``). The plain autoencoder shows
the other half of the story: without the prior term its codes go wherever they like, and decoding N(0, I) draws
reaches only part of the data.

The views draw D's slot as an energy (lower = more real): ``joint_loss`` at ε = 0 (the posterior mean),
``ReconstructionEnergy``; the engine hands measurement that view (``Trainer.measured_d``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn

from gan_studio.objectives.base import Objective, lipschitz_subset


class Posterior(NamedTuple):
    """What the encoder returns for a batch: the mean ``mu`` and the log variance ``logvar`` of q(z|x), (n, k) each."""

    mu: Tensor
    logvar: Tensor


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """(n,) KL(N(μ, diag exp(logvar)) ‖ N(0, I)) in nats: ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)."""
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)


def squared_error(x: Tensor, x_hat: Tensor) -> Tensor:
    """(n,) Σ_i (x_i − x̂_i)² over each sample's flattened coordinates (pixels, or a point's coordinates)."""
    return (torch.flatten(x, 1) - torch.flatten(x_hat, 1)).square().sum(dim=1)


Module = Callable[[Tensor], object]


def vae_loss(encoder: Module, decoder: Module, x: Tensor, eps: Tensor, beta: float) -> tuple[Tensor, dict]:
    """Per-sample ‖x − G(μ + σ ⊙ ε)‖² + β·KL(q(z|x) ‖ N(0, I)) and its two terms ``recon`` and ``kl_prior`` (n,)."""
    mu, logvar = encoder(x)
    z = mu + eps * torch.exp(0.5 * logvar)
    recon = squared_error(x, decoder(z))
    kl = gaussian_kl(mu, logvar)
    return recon + beta * kl, {"recon": recon, "kl_prior": kl}


def ae_loss(encoder: Module, decoder: Module, x: Tensor, eps: Tensor, beta: float) -> tuple[Tensor, dict]:
    """Per-sample ‖x − G(μ(x))‖² (the plain autoencoder: no noise, no prior term; ``eps`` and ``beta`` unused)."""
    mu, _ = encoder(x)
    recon = squared_error(x, decoder(mu))
    return recon, {"recon": recon}


def _no_game(*_args) -> Tensor:
    """The D / G losses of an objective without a game: never called (the engine runs ``joint_loss``)."""
    raise TypeError("the vae and ae objectives have no D/G game: the engine trains them with their joint_loss")


class ReconstructionEnergy(nn.Module):
    """The views' picture of D's slot under ``vae`` / ``ae``: x ↦ the objective's per-sample loss at ε = 0 (the
    posterior mean), an energy, lower = better explained by the model. For the vae it is ‖x − G(μ)‖² + β·KL, the
    negative ELBO's one-point estimate at z = μ (it leaves out the decoder's spread over q(z|x)); for the ae the
    reconstruction error. The encoder is registered first, so its weight layers come first (the D layer columns)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, loss: Callable, beta: float):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.loss, self.beta = loss, float(beta)

    def forward(self, x: Tensor) -> Tensor:
        """(n,) energies of the batch x."""
        mu, _ = self.encoder(x)
        return self.loss(self.encoder, self.decoder, x, torch.zeros_like(mu), self.beta)[0]


_ABOUT_VAE = ("Not a GAN: a variational autoencoder. An encoder maps x to a Gaussian q(z|x) = N(μ(x), σ²(x)); the "
              "generator, here the decoder, is trained to reconstruct x from z drawn from it, and β·KL(q ‖ N(0, I)) "
              "pulls the codes towards the prior (Kingma & Welling 2014). Its samples G(z), z ~ N(0, I), are "
              "averages of data that share a code: spread between the modes, blurry as images. The background is "
              "its loss at z = μ(x), lower = better explained.")
_ABOUT_AE = ("Not a GAN: a plain autoencoder trained on the pixel- / point-wise squared error ‖x − G(μ(x))‖² alone. "
             "Nothing ties its codes to N(0, I), so G(z) for z ~ N(0, I) — the samples shown — decodes codes the "
             "encoder may never produce. The background is its reconstruction error, lower = better reconstructed.")


def _make(name: str, loss: Callable, about: str, label: str) -> Objective:
    return Objective(name, "vae", "encoder", _no_game, _no_game, None, d_view="energy", decision_level=None,
                     d_label=label, d_curve_label=label, d_reference=None, about=about,
                     lipschitz=lipschitz_subset("none"), joint_loss=loss)


# short colour-bar labels (a longer one ran into the plot's title at 1280×720, scale 2); "lower = better" is said
# by the view's explanation and the colour map
VAE = _make("vae", vae_loss, _ABOUT_VAE, "−ELBO(x), z = μ(x)")
AE = _make("ae", ae_loss, _ABOUT_AE, "‖x − G(μ(x))‖²")
VAE_OBJECTIVES: tuple[Objective, ...] = (VAE, AE)
