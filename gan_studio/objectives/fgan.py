"""f-GAN objectives (Nowozin, Cseke & Tomioka 2016): D's score v is a variational critic of an f-divergence.

Scores follow the convention of ``base``: higher = more real.

name         L_D                                   L_G
-----------  ------------------------------------  -------------------------------------------------
fgan-<kind>  −(g(s_r) − f*(g(s_f)))                −f*(g(s_f))

Tables 1–2 of the paper; P = p_data, Q = p_g, D_f(P‖Q) = ∫ q f(p/q) dx. For every critic v, the variational
bound ``E_P g(v) − E_Q f*(g(v)) ≤ D_f(P‖Q)``, with equality at ``v*(x)`` given as a function of the log density
ratio ``r(x) = log p_data(x) − log p_g(x)`` (``optimal_score``):

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
E log(1 − σ(s_f)) of ``classifier``). Its L_D equals the minimax L_D minus log 4. All multiples are checked in
tests/test_objectives.py against closed forms for N(0, 1) vs N(1, 1) by quadrature.
kl, hellinger (exp(s_f)) and rkl (exp(−s_r)) are exponential in the score and have no bounded form: a score
beyond ≈ ±88 overflows float32 — that is the loss itself, not rounding, and shows up as a non-finite L_D.

Estimate: ``fdiv_d`` = the bound on fresh batches (``bound``), a lower bound of the divergence, tight at v*.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_studio.config import ConfigError
from gan_studio.objectives.base import Estimate, Objective, State

_LOG2 = math.log(2.0)


@dataclass(frozen=True)
class FDivergence:
    """One f-GAN kind: output activation g, the composed conjugate f*(g(v)), and the optimal critic v*(r)."""

    kind: str
    divergence: str  # what E_P g(v) − E_Q f*(g(v)) lower-bounds (tight at v*)
    activation: Callable[[Tensor], Tensor]  # v -> g(v), elementwise
    conjugate: Callable[[Tensor], Tensor]  # v -> f*(g(v)), elementwise, numerically stable form
    optimal: Callable[[Tensor], Tensor]  # r = log p_data − log p_g -> v*(r), elementwise


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


def bound(fd: FDivergence, s_r: Tensor, s_f: Tensor) -> Tensor:
    """E g(s_r) − E f*(g(s_f)) ≤ D_f(p_data ‖ p_g): the variational bound of ``fd`` (equality at v*)."""
    return fd.activation(s_r).mean() - fd.conjugate(s_f).mean()


def _fgan(fd: FDivergence) -> Objective:
    """The f-GAN objective of one kind: D maximises the bound, G minimises −E f*(g(s_f))."""

    def d_loss(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
        return fd.conjugate(s_f).mean() - fd.activation(s_r).mean()

    def g_loss(s_r: Tensor | None, s_f: Tensor, state: State) -> Tensor:
        return -fd.conjugate(s_f).mean()

    def estimate(s_r: Tensor, s_f: Tensor) -> float:
        return float(bound(fd, s_r, s_f))

    d_loss.__doc__ = f"−(E g(s_r) − E f*(g(s_f))), f-GAN {fd.kind}."
    g_loss.__doc__ = f"−E f*(g(s_f)), f-GAN {fd.kind}."
    estimate.__doc__ = f"E g(s_r) − E f*(g(s_f)) ≤ {fd.divergence} (f-GAN {fd.kind} variational bound)."
    fdiv_d = Estimate(fd.divergence, "fdiv_d", "the variational bound on fresh batches: a lower bound in "
                      "expectation, tight at the optimal critic v*", estimate)
    return Objective(f"fgan-{fd.kind}", "fgan", "score", d_loss, g_loss, fdiv_d,
                     d_view="score", decision_level=None, d_label="raw score D(x)",
                     d_curve_label="raw score D(x)", d_reference=None,
                     about=f"D is a variational critic v: it maximises E g(v(real)) − E f*(g(v(generated))), a lower "
                           f"bound of the f-divergence {fd.divergence} that is tight at the optimal critic; G "
                           f"minimises it (Nowozin, Cseke & Tomioka 2016). The bound on fresh batches is shown as "
                           f"the f-GAN bound.")


FGANS: tuple[Objective, ...] = tuple(_fgan(fd) for fd in F_DIVERGENCES.values())
