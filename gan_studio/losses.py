"""GAN losses as pure functions of raw discriminator scores.

Sign convention (the one used everywhere in GAN Studio): ``D(x)`` returns a raw, unbounded score and
**a higher score means "more real"**. ``s_r = D(x_real)``, ``s_f = D(G(z))``; where a loss needs a
probability it is ``σ(s)`` (sigmoid). Every loss below is written against this single convention.

Each loss is a pair of pure functions returning a scalar, the batch mean:
``d(s_r, s_f)`` is minimised by D and ``g(s_f)`` is minimised by G. ``softplus(x) = log(1 + eˣ)`` keeps the
classifier losses finite for any score (``−log σ(s) = softplus(−s)``, ``−log(1 − σ(s)) = softplus(s)``).

name         L_D                                   L_G
-----------  ------------------------------------  -------------------------------------------------
minimax      softplus(−s_r) + softplus(s_f)        −softplus(s_f) = log(1 − σ(s_f))  (saturating)
ns           softplus(−s_r) + softplus(s_f)        softplus(−s_f) = −log σ(s_f)
wgan         s_f − s_r                             −s_f
lsgan        ½(s_r − 1)² + ½ s_f²                  ½(s_f − 1)²
hinge        relu(1 − s_r) + relu(1 + s_f)         −s_f
fgan-<kind>  −(g(s_r) − f*(g(s_f)))                −f*(g(s_f))

f-GAN (Nowozin, Cseke & Tomioka 2016, Tables 1–2; P = p_data, Q = p_g, D_f(P‖Q) = ∫ q f(p/q) dx). For every
critic v, the variational bound ``E_P g(v) − E_Q f*(g(v)) ≤ D_f(P‖Q)``, with equality at ``v*(x)`` given as a
function of the log density ratio ``r(x) = log p_data(x) − log p_g(x)`` (``optimal_score``):

kind       g(v)                   f*(g(v)), stable form    the bound lower-bounds                      v*(r)
---------  ---------------------  -----------------------  ------------------------------------------  ---------
kl         v                      exp(v − 1)               KL(p_data ‖ p_g)                            1 + r
rkl        −exp(−v)               v − 1                    KL(p_g ‖ p_data)                            r
pearson    v                      v²/4 + v                 χ²(p_data ‖ p_g) = ∫ (p_data − p_g)²/p_g    2(eʳ − 1)
hellinger  1 − exp(−v)            exp(v) − 1               ∫ (√p_data − √p_g)², no ½, in [0, 2]        r/2
js         log 2 − softplus(−v)   softplus(v) − log 2      2·JS(p_data ‖ p_g), nats, in [0, log 4]     r

The hellinger value is 2·H² for the ½-normalised Hellinger distance H² = ½∫(√p − √q)².
The js row is Nowozin's "Jensen-Shannon" row (f(u) = −(u + 1) log((1 + u)/2) + u log u); that f integrates to
**2·JS**, not JS and not the "GAN" row's 2·JS − log 4 (that one is the minimax value V = E log σ(s_r) +
E log(1 − σ(s_f)) above). Its L_D equals the minimax L_D minus log 4. All multiples are checked in
tests/test_losses.py against closed forms for N(0, 1) vs N(1, 1) by quadrature.
kl, hellinger (exp(s_f)) and rkl (exp(−s_r)) are exponential in the score and have no bounded form: a score
beyond ≈ ±88 overflows float32 — that is the loss itself, not rounding, and shows up as a non-finite L_D.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_studio.config import ConfigError

_LOG2 = math.log(2.0)


@dataclass(frozen=True)
class Loss:
    """A named GAN loss: ``d(s_r, s_f)`` for D, ``g(s_f)`` for G (batch means); ``bound`` for f-GANs only."""

    name: str
    description: str
    family: str  # "classifier" (minimax, ns), "lsgan", "critic" (wgan, hinge), "fgan"
    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]
    bound: Callable[[Tensor, Tensor], Tensor] | None = None


@dataclass(frozen=True)
class FDivergence:
    """One f-GAN kind: output activation g, the composed conjugate f*(g(v)), and the optimal critic v*(r)."""

    kind: str
    divergence: str  # what E_P g(v) − E_Q f*(g(v)) lower-bounds (tight at v*)
    activation: Callable[[Tensor], Tensor]  # v -> g(v), elementwise
    conjugate: Callable[[Tensor], Tensor]  # v -> f*(g(v)), elementwise, numerically stable form
    optimal: Callable[[Tensor], Tensor]  # r = log p_data − log p_g -> v*(r), elementwise


# --- classifier, least-squares and critic losses ------------------------------------------------------------


def minimax_d(s_r: Tensor, s_f: Tensor) -> Tensor:
    """−E log σ(s_r) − E log(1 − σ(s_f)) = E softplus(−s_r) + E softplus(s_f)."""
    return F.softplus(-s_r).mean() + F.softplus(s_f).mean()


def minimax_g(s_f: Tensor) -> Tensor:
    """E log(1 − σ(s_f)) = −E softplus(s_f): saturating, its gradient vanishes as s_f → −∞."""
    return -F.softplus(s_f).mean()


def ns_g(s_f: Tensor) -> Tensor:
    """−E log σ(s_f) = E softplus(−s_f): non-saturating, gradient → −1 per sample as s_f → −∞."""
    return F.softplus(-s_f).mean()


def wgan_d(s_r: Tensor, s_f: Tensor) -> Tensor:
    """E s_f − E s_r: the critic maximises E s_r − E s_f."""
    return s_f.mean() - s_r.mean()


def critic_g(s_f: Tensor) -> Tensor:
    """−E s_f (generator loss of wgan and hinge)."""
    return -s_f.mean()


def lsgan_d(s_r: Tensor, s_f: Tensor) -> Tensor:
    """E ½(s_r − 1)² + E ½ s_f² (targets 1 for real, 0 for fake)."""
    return 0.5 * (s_r - 1.0).square().mean() + 0.5 * s_f.square().mean()


def lsgan_g(s_f: Tensor) -> Tensor:
    """E ½(s_f − 1)²."""
    return 0.5 * (s_f - 1.0).square().mean()


def hinge_d(s_r: Tensor, s_f: Tensor) -> Tensor:
    """E relu(1 − s_r) + E relu(1 + s_f): zero once real scores ≥ 1 and fake scores ≤ −1."""
    return F.relu(1.0 - s_r).mean() + F.relu(1.0 + s_f).mean()


# --- f-GAN ---------------------------------------------------------------------------------------------------


F_DIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(
        "kl", "KL(p_data ‖ p_g)",
        activation=lambda v: v,
        conjugate=lambda v: torch.exp(v - 1.0),
        optimal=lambda r: 1.0 + r,
    ),
    "rkl": FDivergence(
        "rkl", "KL(p_g ‖ p_data)",
        activation=lambda v: -torch.exp(-v),
        conjugate=lambda v: v - 1.0,  # −1 − log(exp(−v))
        optimal=lambda r: r,
    ),
    "pearson": FDivergence(
        "pearson", "Pearson χ²(p_data ‖ p_g) = ∫ (p_data − p_g)² / p_g",
        activation=lambda v: v,
        conjugate=lambda v: 0.25 * v.square() + v,
        optimal=lambda r: 2.0 * torch.expm1(r),
    ),
    "hellinger": FDivergence(
        "hellinger", "squared Hellinger ∫ (√p_data − √p_g)² (no ½), in [0, 2]",
        activation=lambda v: -torch.expm1(-v),  # 1 − exp(−v)
        conjugate=torch.expm1,  # t/(1 − t) at t = 1 − exp(−v) is exp(v) − 1
        optimal=lambda r: 0.5 * r,
    ),
    "js": FDivergence(
        "js", "2·JS(p_data ‖ p_g) in nats, in [0, log 4]",
        activation=lambda v: _LOG2 - F.softplus(-v),  # log 2 − log(1 + exp(−v))
        conjugate=lambda v: F.softplus(v) - _LOG2,  # −log(2 − exp(g(v))) = −log 2 − log σ(−v)
        optimal=lambda r: r,
    ),
}


def optimal_score(kind: str) -> Callable[[Tensor], Tensor]:
    """The f-GAN critic v*(r), r = log p_data/p_g, at which the bound equals its divergence (kind or fgan-kind)."""
    key = kind.removeprefix("fgan-")
    if key not in F_DIVERGENCES:
        raise ConfigError(f"unknown f-GAN kind {kind!r}; allowed: {', '.join(F_DIVERGENCES)}")
    return F_DIVERGENCES[key].optimal


def _fgan_loss(fd: FDivergence) -> Loss:
    act, conj = fd.activation, fd.conjugate

    def bound(s_r: Tensor, s_f: Tensor) -> Tensor:
        return act(s_r).mean() - conj(s_f).mean()

    def d(s_r: Tensor, s_f: Tensor) -> Tensor:
        return conj(s_f).mean() - act(s_r).mean()

    def g(s_f: Tensor) -> Tensor:
        return -conj(s_f).mean()

    bound.__doc__ = f"E g(s_r) − E f*(g(s_f)) ≤ {fd.divergence} (f-GAN {fd.kind} variational bound)."
    d.__doc__ = f"−(E g(s_r) − E f*(g(s_f))), f-GAN {fd.kind}."
    g.__doc__ = f"−E f*(g(s_f)), f-GAN {fd.kind}."
    return Loss(f"fgan-{fd.kind}", f"f-GAN {fd.kind}: the bound E g(s_r) − E f*(g(s_f)) estimates {fd.divergence}",
                "fgan", d, g, bound)


LOSSES: dict[str, Loss] = {
    "minimax": Loss("minimax", "original GAN: D minimises softplus(−s_r) + softplus(s_f); G minimises "
                    "log(1 − σ(s_f)) (saturating)", "classifier", minimax_d, minimax_g),
    "ns": Loss("ns", "non-saturating GAN: D as minimax; G minimises −log σ(s_f)", "classifier", minimax_d, ns_g),
    "wgan": Loss("wgan", "Wasserstein critic: D maximises E s_r − E s_f; G maximises E s_f", "critic",
                 wgan_d, critic_g),
    "lsgan": Loss("lsgan", "least squares: D targets 1 (real) and 0 (fake); G targets 1", "lsgan",
                  lsgan_d, lsgan_g),
    "hinge": Loss("hinge", "hinge: D minimises relu(1 − s_r) + relu(1 + s_f); G maximises E s_f", "critic",
                  hinge_d, critic_g),
    **{f"fgan-{k}": _fgan_loss(fd) for k, fd in F_DIVERGENCES.items()},
}

def get_loss(name: str) -> Loss:
    """The registered loss called ``name``; ConfigError naming the allowed names otherwise."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"loss.name: unknown value {name!r}; allowed: {', '.join(LOSSES)}") from None
