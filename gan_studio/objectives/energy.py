"""Energy / autoencoder objectives: EBGAN (and EBGAN-PT), BEGAN, MAGAN. D is an autoencoder; its energy is the
per-sample reconstruction error e(x) ≥ 0, LOWER = more real (so −e(x) is a score in ``base``'s convention).

D's head is ``reconstruction``: ``Reconstruction(energy (n,), code (n, c))`` (``nets.heads.AutoencoderD``, which
computes e with the paper's error, ``ENERGY`` below). e_r = e(x_real), e_f = e(G(z)); means over the batch.

name       L_D                              L_G                       state (after each D step)
---------  -------------------------------  ------------------------  --------------------------------------------
ebgan      E e_r + E [m − e_f]⁺             E e_f                     energy_real, energy_fake (batch means)
ebgan-pt   E e_r + E [m − e_f]⁺             E e_f + λ_PT·PT(code_f)   energy_real, energy_fake
began      E e_r − k_t·E e_f                E e_f                     k ← clip(k + λ_k(γ·E e_r − E e_f), 0, 1);
                                                                      M_global = E e_r + |γ·E e_r − E e_f|
magan      E e_r + E [m_t − e_f]⁺           E e_f                     m_t adapted once per window (below)

**ebgan** (Zhao, Mathieu & LeCun 2017, §2.1 eq. 1–2, §2.3): e(x) = ‖Dec(Enc(x)) − x‖₂ (the Euclidean norm, ``l2``),
margin m. The pull-away term (§2.4, "EBGAN-PT") PT(S) = 1/(N(N−1)) Σ_{i≠j} (S_iᵀS_j / (‖S_i‖‖S_j‖))² on the
encoder codes of a generated batch, weight λ_PT = 0.1 (paper). Optimal D for a fixed G: e = 0 where
p_data ≥ p_g and e = m elsewhere, so L_D* = m·∫min(p_data, p_g) = m·(1 − TV) (their Theorem 1 argument):
the estimate ``tv_d`` = 1 − L_D/m on fresh batches is a lower bound (in expectation) of the total variation
TV(p_data, p_g) = ½∫|p_data − p_g| ∈ [0, 1], tight at the optimal D; the decision level is m/2.
m = 1 by default, for the toy sets' scale; the paper grid-searched m per image data set (its energies are
norms over whole images, so its m is not transferable) — set it with ``make_ebgan``.

**began** (Berthelot, Schumm & Metz 2017, §3.2–3.4): e(x) = mean_i |x_i − D(x)_i| (η = 1, ``l1``); the
equilibrium variable k_t, k₀ = 0, proportional gain λ_k = 0.001, diversity ratio γ = E e_f / E e_r = 0.5 (the
paper shows 0.3–0.7), k clipped to [0, 1]; the convergence measure M_global. Adam 1e-4 (β₁ = 0.5).
The engine's update uses D's batch for both terms (the paper's k step uses L(G(z_G)), G's batch of the same step;
with one latent draw per step they coincide).

**magan** (Wang, Cully, Chang & Demiris 2017, Algorithm 1): EBGAN's losses with e = mean squared error (``mse``) and
an adaptive margin. The paper pretrains D as an autoencoder on data and starts from m = E e_r; here the first D
step's mean real energy sets it (``margin`` is NaN before, and L_D uses that batch mean for the first step). Then
after every window of ``window`` D steps (the paper: an epoch) with means ē_r, ē_f over the window: if ē_r < m and
ē_r < ē_f then m ← ē_r. The margin only decreases.

The state is kept on the device (issue 15): the energy means, k_t, M_global, the margin and the window means are
0-d float64 tensors (``base.state_value``), computed with the same float64 arithmetic the host did before, so a CPU
run logs the same numbers; the window count is a Python float (it depends on nothing the device computes).

Every spec here applies the Lipschitz methods that act on weights or on a scalar: none, sn (the autoencoders need
no constraint in the papers; a penalty on e would be possible but is not theirs).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_studio.objectives.base import (
    Estimate,
    Objective,
    Reconstruction,
    State,
    in_dtype_of,
    lipschitz_subset,
    state_value,
)

EBGAN_MARGIN = 1.0
EBGAN_PT_WEIGHT = 0.1  # Zhao et al. 2017, §2.4
BEGAN_GAMMA = 0.5  # Berthelot et al. 2017, §3.4
BEGAN_LAMBDA_K = 0.001
MAGAN_WINDOW = 500  # D steps standing in for the paper's epoch

ENERGY: dict[str, str] = {"ebgan": "l2", "ebgan-pt": "l2", "began": "l1", "magan": "mse"}
"""The reconstruction error each objective's autoencoder D must compute (``nets.heads.reconstruction_energy``)."""


DEFAULTS: dict[str, dict[str, object]] = {
    "ebgan": {"lipschitz.name": "none", "optim.name": "adam", "optim.lr_d": 1e-3, "optim.lr_g": 1e-3,
              "optim.beta1": 0.5},
    "ebgan-pt": {"lipschitz.name": "none", "optim.name": "adam", "optim.lr_d": 1e-3, "optim.lr_g": 1e-3,
                 "optim.beta1": 0.5},
    "began": {"lipschitz.name": "none", "optim.name": "adam", "optim.lr_d": 1e-4, "optim.lr_g": 1e-4,
              "optim.beta1": 0.5, "optim.beta2": 0.999},
    "magan": {"lipschitz.name": "none", "optim.name": "adam", "optim.lr_d": 5e-4, "optim.lr_g": 5e-4,
              "optim.beta1": 0.5},
}

_ENERGY_LIPSCHITZ = lipschitz_subset("none", "sn")


def pull_away(code: Tensor) -> Tensor:
    """PT(S) = 1/(N(N−1)) Σ_{i≠j} cos²(S_i, S_j) over the rows of ``code`` (N ≥ 2); 0 for orthogonal codes."""
    s = code.reshape(len(code), -1)
    unit = s / s.norm(dim=1, keepdim=True).clamp_min(1e-12)
    cos2 = (unit @ unit.T).square()
    n = len(s)
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


def margin_loss(e_r: Tensor, e_f: Tensor, margin: float | Tensor) -> Tensor:
    """E e_r + E [m − e_f]⁺ (EBGAN's L_D)."""
    return e_r.mean() + F.relu(in_dtype_of(margin, e_f) - e_f).mean()


def _energy_means(out_r: Reconstruction, out_f: Reconstruction) -> dict[str, Tensor]:
    return {"energy_real": state_value(out_r.energy.mean()), "energy_fake": state_value(out_f.energy.mean())}


def _unset(value: float | Tensor) -> bool:
    """Whether a state value is still its initial NaN (a Python float; a value computed on the device never is
    checked, which would wait for the device)."""
    return not isinstance(value, Tensor) and math.isnan(value)


def _no_energies() -> State:
    return {"energy_real": math.nan, "energy_fake": math.nan}


def _log_energies(state: State, out_r: Reconstruction, out_f: Reconstruction) -> State:
    """Record the D batch's mean energies."""
    return _energy_means(out_r, out_f)


# --- EBGAN --------------------------------------------------------------------------------------------------------


def make_ebgan(margin: float = EBGAN_MARGIN, pt_weight: float = 0.0) -> Objective:
    """EBGAN with margin ``margin``; ``pt_weight`` > 0 adds the pull-away term to L_G (the ``ebgan-pt`` spec)."""

    def d_loss(out_r: Reconstruction, out_f: Reconstruction, state: State) -> Tensor:
        return margin_loss(out_r.energy, out_f.energy, margin)

    def g_loss(out_r: None, out_f: Reconstruction, state: State) -> Tensor:
        loss = out_f.energy.mean()
        return loss + pt_weight * pull_away(out_f.code) if pt_weight else loss

    def tv_estimate(out_r: Reconstruction, out_f: Reconstruction) -> float:
        return 1.0 - float(margin_loss(out_r.energy, out_f.energy, margin)) / margin

    d_loss.__doc__ = f"E e_r + E [m − e_f]⁺, m = {margin:g}."
    g_loss.__doc__ = f"E e_f + {pt_weight:g}·PT(code_f)." if pt_weight else "E e_f."
    est = Estimate("TV(p_data, p_g) = ½∫|p_data − p_g|", "tv_d",
                   "1 − L_D/m on fresh batches: a lower bound in expectation, tight at the optimal D", tv_estimate)
    about = ("D is an autoencoder whose reconstruction error e(x) is an energy, low for real data: D lowers e on "
             f"real samples and raises it on generated ones up to a margin m = {margin:g}; G lowers its samples' "
             "energy (Zhao, Mathieu & LeCun 2017). At the optimal D, 1 − L_D/m is the total variation, shown as tv_d.")
    if pt_weight:
        about += (f" The pull-away term ({pt_weight:g}·mean squared cosine between the codes of generated samples) "
                  "pushes G's samples apart to fight mode collapse.")
    return Objective("ebgan-pt" if pt_weight else "ebgan", "energy", "reconstruction", d_loss, g_loss, est,
                     d_view="energy", decision_level=0.5 * margin, d_label="energy e(x) (lower = more real)",
                     d_curve_label="reconstruction energy e(x)", d_reference=None, lipschitz=_ENERGY_LIPSCHITZ,
                     about=about,
                     init_state=_no_energies, update_state=_log_energies,
                     state_columns=("energy_real", "energy_fake"))


# --- BEGAN --------------------------------------------------------------------------------------------------------


def began_k_step(k: float | Tensor, e_r: float | Tensor, e_f: float | Tensor, gamma: float = BEGAN_GAMMA,
                 lambda_k: float = BEGAN_LAMBDA_K) -> float | Tensor:
    """k_{t+1} = clip(k_t + λ_k(γ·e_r − e_f), 0, 1) (floats, or 0-d tensors kept on their device)."""
    k = k + lambda_k * (gamma * e_r - e_f)
    return k.clamp(0.0, 1.0) if isinstance(k, Tensor) else min(max(k, 0.0), 1.0)


def began_m_global(e_r: float | Tensor, e_f: float | Tensor, gamma: float = BEGAN_GAMMA) -> float | Tensor:
    """M_global = e_r + |γ·e_r − e_f|."""
    return e_r + abs(gamma * e_r - e_f)


def make_began(gamma: float = BEGAN_GAMMA, lambda_k: float = BEGAN_LAMBDA_K) -> Objective:
    """BEGAN with diversity ratio ``gamma`` and gain ``lambda_k``."""

    def init_state() -> State:
        return {"began_k": 0.0, "began_m_global": math.nan, **_no_energies()}

    def d_loss(out_r: Reconstruction, out_f: Reconstruction, state: State) -> Tensor:
        return out_r.energy.mean() - in_dtype_of(state["began_k"], out_f.energy) * out_f.energy.mean()

    def g_loss(out_r: None, out_f: Reconstruction, state: State) -> Tensor:
        return out_f.energy.mean()

    def update_state(state: State, out_r: Reconstruction, out_f: Reconstruction) -> State:
        means = _energy_means(out_r, out_f)
        e_r, e_f = means["energy_real"], means["energy_fake"]
        return {"began_k": began_k_step(state["began_k"], e_r, e_f, gamma, lambda_k),
                "began_m_global": began_m_global(e_r, e_f, gamma), **means}

    d_loss.__doc__ = "E e_r − k_t·E e_f, k_t from the state."
    g_loss.__doc__ = "E e_f."
    update_state.__doc__ = f"k ← clip(k + {lambda_k:g}·({gamma:g}·E e_r − E e_f), 0, 1); M_global; the energies."
    return Objective("began", "energy", "reconstruction", d_loss, g_loss, None,
                     d_view="energy", decision_level=None, d_label="energy e(x) (lower = more real)",
                     d_curve_label="reconstruction energy e(x)", d_reference=None, lipschitz=_ENERGY_LIPSCHITZ,
                     about="D is an autoencoder (energy = mean absolute reconstruction error); it lowers the real "
                           "energy and raises the generated one weighted by k_t, a control variable that keeps "
                           f"E e(generated) ≈ γ·E e(real), γ = {gamma:g} (Berthelot, Schumm & Metz 2017). k_t "
                           "stays in [0, 1]; M_global = E e_r + |γ E e_r − E e_f| falls as training converges.",
                     init_state=init_state, update_state=update_state,
                     state_columns=("began_k", "began_m_global", "energy_real", "energy_fake"))


# --- MAGAN --------------------------------------------------------------------------------------------------------


def magan_margin_step(margin: float | Tensor, window_real: float | Tensor,
                      window_fake: float | Tensor) -> float | Tensor:
    """The end-of-window rule: m ← ē_r if ē_r < m and ē_r < ē_f, else m unchanged (floats, or 0-d tensors: chosen
    on their device)."""
    if isinstance(window_real, Tensor):
        return torch.where((window_real < margin) & (window_real < window_fake), window_real, margin)
    return window_real if window_real < margin and window_real < window_fake else margin


def make_magan(window: int = MAGAN_WINDOW) -> Objective:
    """MAGAN with the margin revisited every ``window`` D steps."""

    def init_state() -> State:
        return {"margin": math.nan, "magan_window_real": 0.0, "magan_window_fake": 0.0, "magan_window_n": 0.0,
                **_no_energies()}

    def d_loss(out_r: Reconstruction, out_f: Reconstruction, state: State) -> Tensor:
        margin = state["margin"]
        if _unset(margin):  # first step: the paper's pretrained mean real energy, from this batch
            margin = out_r.energy.detach().mean()
        return margin_loss(out_r.energy, out_f.energy, margin)

    def g_loss(out_r: None, out_f: Reconstruction, state: State) -> Tensor:
        return out_f.energy.mean()

    def update_state(state: State, out_r: Reconstruction, out_f: Reconstruction) -> State:
        means = _energy_means(out_r, out_f)
        margin = state["margin"]
        if _unset(margin):
            margin = means["energy_real"]
        n = state["magan_window_n"] + 1.0
        real = state["magan_window_real"] + (means["energy_real"] - state["magan_window_real"]) / n
        fake = state["magan_window_fake"] + (means["energy_fake"] - state["magan_window_fake"]) / n
        if n >= window:
            margin, real, fake, n = magan_margin_step(margin, real, fake), 0.0, 0.0, 0.0
        return {"margin": margin, "magan_window_real": real, "magan_window_fake": fake, "magan_window_n": n,
                **means}

    d_loss.__doc__ = "E e_r + E [m_t − e_f]⁺, m_t from the state (this batch's E e_r before the first update)."
    g_loss.__doc__ = "E e_f."
    update_state.__doc__ = f"Running window means of e_r, e_f; every {window} D steps the margin rule."
    return Objective("magan", "energy", "reconstruction", d_loss, g_loss, None,
                     d_view="energy", decision_level=None, d_label="energy e(x) (lower = more real)",
                     d_curve_label="reconstruction energy e(x)", d_reference=None, lipschitz=_ENERGY_LIPSCHITZ,
                     about="EBGAN with a margin that adapts: D is an autoencoder (energy = mean squared error) "
                           "with the hinge E e_r + E[m − e_f]⁺. After every window of D steps the margin m drops to "
                           "the mean real energy if that is below both m and the mean generated energy, so D's "
                           "target sharpens as G improves (Wang, Cully, Chang & Demiris 2017).",
                     init_state=init_state, update_state=update_state,
                     state_columns=("margin", "magan_window_real", "magan_window_fake", "magan_window_n",
                                        "energy_real", "energy_fake"))


EBGAN = make_ebgan()
EBGAN_PT = make_ebgan(pt_weight=EBGAN_PT_WEIGHT)
BEGAN = make_began()
MAGAN = make_magan()

ENERGY_OBJECTIVES: tuple[Objective, ...] = (EBGAN, EBGAN_PT, BEGAN, MAGAN)
