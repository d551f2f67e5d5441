"""Constrained-critic IPMs: Fisher GAN (second-moment constraint, augmented Lagrangian) and RWGAN (relaxed W1).

Sign convention of ``base``: D(x) is a raw score, higher = more real; s_r = D(x_real), s_f = D(G(z)).
Ê = E s_r − E s_f, Ω̂ = ½(E s_r² + E s_f²) (batch means).

name     L_D                                          L_G      state                          estimates
-------  -------------------------------------------  -------  -----------------------------  --------------------
fisher   −(Ê + λ(1 − Ω̂) − (ρ/2)(1 − Ω̂)²)              −E s_f   λ ← λ − ρ(1 − Ω̂) after each   Fisher IPM d_F
                                                               D step; λ₀ = 0
rwgan    s_f − s_r                                    −E s_f   —                              RW_KL lower bound

**fisher** (Mroueh & Sercu 2017, Algorithm 1): the critic maximises the augmented Lagrangian L_F of
max_f Ê subject to Ω = 1, λ is the multiplier, updated by a gradient step of size ρ on ∇_λ L_F = 1 − Ω̂ with the
same batch as D's step (the engine's ``update_state``; sign: λ *decreases* by ρ(1 − Ω̂), so λ grows while the
critic's second moment exceeds 1; λ and Ω̂ are kept as 0-d float64 tensors on the device). G minimises −Ê,
i.e. −E s_f (Ê's G-dependent part). No clipping, no GP (``lipschitz`` = none only). Defaults (paper §6 and its
reference code): ρ = 1e-6, λ₀ = 0, Adam 2e-4, β₁ = 0.5, 2 critic steps per G step. ρ = 1e-6 is tuned for images;
on toy data λ then moves slowly — ``make_fisher(rho)``.
*What it estimates*: with P = p_data, Q = p_g, μ = (P + Q)/2, the constraint is E_μ f² = 1 and
E_P f − E_Q f = E_μ[f·(p − q)/μ]; by Cauchy–Schwarz the sup over all measurable f is

    d_F(P, Q) = √(∫ (p − q)²/μ) = 2·√(χ²(P ‖ μ)),   χ²(P ‖ μ) = ∫ (p − μ)²/μ,

attained at f* = (p − q)/(d_F·μ), with λ* = d_F/2 at the saddle point (Mroueh & Sercu 2017, Theorem 2, which
states it with their Chi-squared *distance* χ₂ = √χ²: d_F = 2·χ₂(P, (P + Q)/2)). The ``fisher_ipm`` column is
Ê/√Ω̂ on fresh batches: the IPM value of the critic rescaled onto the constraint, ≤ d_F of the two batches' empirical
distributions (a lower bound up to batch noise), equal at f ∝ f*. f* = 0 where p = q: the decision level is 0.

**rwgan** (Guo, Hong, Lin & Yang 2017, "Relaxed Wasserstein with applications to GANs"): the relaxed Wasserstein
distance RW_φ(P, Q) = inf_π E_π B_φ(X, Y) with the Bregman cost B_φ(x, y) = φ(x) − φ(y) − ⟨∇φ(y), x − y⟩,
KL-parameterised: φ(x) = Σ_i x_i log x_i, so B_φ(x, y) = Σ_i x_i log(x_i/y_i) − x_i + y_i (``bregman_kl``, for
positive x, y). Its dual is a critic trained as in WGAN (L_D, L_G above) whose constraint the paper imposes
heuristically by clamping D's weights to an **asymmetric** box [c_lo, c_hi] after each D step (RMSprop, 5 D steps).
The engine's ``clip`` is symmetric [−c, c]: RWGAN needs the clamp's two ends (``RWGAN_CLAMP``). NOTE: the values of
RWGAN_CLAMP and the exact form of the paper's generator update (Algorithm 1) are still unverified, so RWGAN stays
unregistered. Searched (issue #11): the paper's text is stored (arXiv 1705.07164v8, LaTeX) but only its
introduction could be read, not Algorithm 1 or the experiments; no repository of the authors was found — the one
named RWGAN (DasonBryant/RWGAN, r-wgan/r_wgan.py) is a different, log-sum-exp "robust" WGAN with a symmetric
±0.01 clip; a tutorial names "asymmetric weight clamping" without values. Also missing: the engine has no
post-D-step hook an objective can supply (``update_state`` sees D's outputs, not its weights), so the box needs
either a ``lipschitz.clip_range`` or such a hook. RWGAN_CLAMP is the WGAN box until then, and the estimate
``rw_critic`` = E s_r − E s_f is a dual value (a lower bound of RW_KL only if the clamped critic is feasible for
the Bregman constraint).
"""

from __future__ import annotations

import math

from torch import Tensor

from gan_studio.objectives.base import Estimate, Objective, State, in_dtype_of, lipschitz_subset, state_value

FISHER_RHO = 1e-6  # Mroueh & Sercu 2017, §6 (images)
RWGAN_CLAMP: tuple[float, float] = (-0.01, 0.01)  # (c_lo, c_hi); UNVERIFIED — see the module docstring

DEFAULTS: dict[str, dict[str, object]] = {
    "fisher": {"lipschitz.name": "none", "optim.name": "adam", "optim.lr_d": 2e-4, "optim.lr_g": 2e-4,
               "optim.beta1": 0.5, "optim.beta2": 0.999, "train.d_steps": 2},
    # lipschitz.clip_range does not exist: RWGAN (not registered) would need an asymmetric clip box.
    "rwgan": {"lipschitz.name": "clip", "lipschitz.clip_range": RWGAN_CLAMP, "optim.name": "rmsprop",
              "optim.lr_d": 5e-5, "optim.lr_g": 5e-5, "train.d_steps": 5},
}


# --- Fisher GAN ---------------------------------------------------------------------------------------------------


def ipm(s_r: Tensor, s_f: Tensor) -> Tensor:
    """Ê = E s_r − E s_f."""
    return s_r.mean() - s_f.mean()


def omega(s_r: Tensor, s_f: Tensor) -> Tensor:
    """Ω̂ = ½(E s_r² + E s_f²), the critic's second moment under (P + Q)/2; the constraint is Ω = 1."""
    return 0.5 * (s_r.square().mean() + s_f.square().mean())


def fisher_lagrangian(s_r: Tensor, s_f: Tensor, lam: float | Tensor, rho: float) -> Tensor:
    """L_F = Ê + λ(1 − Ω̂) − (ρ/2)(1 − Ω̂)², which the critic maximises."""
    constraint = 1.0 - omega(s_r, s_f)
    return ipm(s_r, s_f) + in_dtype_of(lam, constraint) * constraint - 0.5 * rho * constraint.square()


def fisher_ipm_estimate(s_r: Tensor, s_f: Tensor) -> float:
    """Ê/√Ω̂: the critic's IPM after rescaling it onto the constraint Ω = 1."""
    return float(ipm(s_r, s_f) / omega(s_r, s_f).sqrt())


def make_fisher(rho: float = FISHER_RHO) -> Objective:
    """Fisher GAN with quadratic penalty weight and multiplier step ``rho``."""

    def init_state() -> State:
        return {"fisher_lambda": 0.0, "fisher_omega": math.nan}

    def d_loss(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
        return -fisher_lagrangian(s_r, s_f, state["fisher_lambda"], rho)

    def g_loss(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
        return -s_f.mean()

    def update_state(state: State, s_r: Tensor, s_f: Tensor) -> State:
        om = state_value(omega(s_r, s_f))  # stays on the device: λ is read only in a logged row (issue 15)
        return {"fisher_lambda": state["fisher_lambda"] - rho * (1.0 - om), "fisher_omega": om}

    d_loss.__doc__ = f"−L_F = −(Ê + λ(1 − Ω̂) − (ρ/2)(1 − Ω̂)²), ρ = {rho:g}, λ from the state."
    g_loss.__doc__ = "−E s_f (G minimises Ê; E s_r does not depend on G)."
    update_state.__doc__ = f"λ ← λ − ρ(1 − Ω̂), ρ = {rho:g} (Algorithm 1's multiplier step); logs Ω̂."
    est = Estimate("Fisher IPM d_F(p_data, p_g) = 2·√χ²(p_data ‖ (p_data + p_g)/2)", "fisher_ipm",
                   "Ê/√Ω̂ on fresh batches: ≤ d_F of the batches, equal at the optimal critic", fisher_ipm_estimate)
    # g_needs_real: the G step does not differentiate E s_r, but the engine must supply it to keep the loss the
    # paper's Ê (and the uniform signature); it costs one D forward pass on a real batch per G step.
    return Objective("fisher", "fisher", "score", d_loss, g_loss, est,
                     d_view="score", decision_level=0.0, d_label="Fisher critic f(x)",
                     d_curve_label="Fisher critic f(x)", d_reference=None, lipschitz=lipschitz_subset("none"),
                     init_state=init_state, update_state=update_state,
                     state_columns=("fisher_lambda", "fisher_omega"), g_needs_real=True,
                     about="The critic maximises E f(real) − E f(generated) under the constraint that f's second "
                           "moment Ω over real and generated samples is 1, enforced by an augmented Lagrangian "
                           "whose multiplier λ is logged. At the optimum the gap is the Fisher IPM, "
                           "2·√χ²(p_data ‖ (p_data + p_g)/2) (Mroueh & Sercu 2017).")


# --- RWGAN --------------------------------------------------------------------------------------------------------


def bregman_kl(x: Tensor, y: Tensor) -> Tensor:
    """B_φ(x, y) for φ(x) = Σ x log x: Σ_i x_i log(x_i/y_i) − x_i + y_i along the last axis (x, y > 0)."""
    return (x * (x.log() - y.log()) - x + y).sum(-1)


def rwgan_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E s_f − E s_r: the critic maximises E s_r − E s_f within the clamped weight box."""
    return s_f.mean() - s_r.mean()


def rwgan_g(s_r: Tensor | None, s_f: Tensor, state: State) -> Tensor:
    """−E s_f."""
    return -s_f.mean()


def _rw_estimate(s_r: Tensor, s_f: Tensor) -> float:
    return float(ipm(s_r, s_f))


FISHER = make_fisher()
RWGAN = Objective(
    "rwgan", "fisher", "score", rwgan_d, rwgan_g,
    Estimate("RW_KL(p_data, p_g) (dual value)", "rw_critic",
             "E s_r − E s_f on fresh batches; a lower bound only for a feasible critic", _rw_estimate),
    d_view="score", decision_level=None, d_label="critic score D(x)", d_curve_label="critic D(x) − E_data D",
    d_reference=None, lipschitz=lipschitz_subset("clip"),
    about="A WGAN-style critic for the relaxed Wasserstein distance with a KL Bregman cost (Guo et al. 2017). "
          "Not registered: its asymmetric weight-clipping box could not be verified against the paper.")

FISHER_OBJECTIVES: tuple[Objective, ...] = (FISHER, RWGAN)

