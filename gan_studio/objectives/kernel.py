"""Kernel and feature-IPM objectives: GMMN, MMD GAN, Cramér GAN, McGAN (mean and covariance feature matching).

Sign convention of ``base``: a score is higher = more real. These objectives' D (when there is one) has a
``features`` head: φ(x) ∈ ℝᵏ per sample (``nets.heads``); GMMN has none (head ``none``: out = x flattened). Their
scalar "score" is a witness function of the features (``WITNESSES``), drawn by the views and differentiated by a
gradient penalty. φ_r = φ(x_real), φ_f = φ(G(z)), φ_f' = φ(G(z')) for a second, independent latent batch.
MMD²_u(a, b) is the unbiased estimate of ``metrics.kernel`` on torch tensors (``mmd2_unbiased`` here).

name         L_D                                      L_G                                           estimates
-----------  ---------------------------------------  --------------------------------------------  ---------------
gmmn         0 (there is no D)                        MMD²_u(x_r, x_f), k = Gaussian mixture        MMD²(p_data, p_g)
mmdgan       −MMD²_u(φ_r, φ_f)                        MMD²_u(φ_r, φ_f)                              MMD² of features
cramer       −E[f(x_r) − f(x_f)],                     E‖φ_r − φ_f‖ + E‖φ_r − φ_f'‖ − E‖φ_f − φ_f'‖  energy distance
             f(x) = ‖φ(x) − φ_f'‖ − ‖φ(x)‖                                                          of features
mcgan-mean   −‖μ_r − μ_f‖_q, μ = batch mean of φ       ‖μ_r − μ_f‖_q                                 IPM_μ,q
mcgan-cov    −‖Σ_r − Σ_f‖_(k), Σ = E φφᵀ (uncentred);  ‖Σ_r − Σ_f‖_(k)                              IPM_Σ
             ‖A‖_(k) = sum of A's k largest singular values (Ky Fan k-norm)

* **gmmn** (Li, Swersky & Zemel 2015; Dziugaite, Roy & Ghahramani 2015): G alone minimises MMD² between a generated
  and a real batch, k(x, y) = Σ_σ exp(−‖x − y‖²/(2σ²)), σ ∈ {2, 5, 10, 20, 40, 80} (Li et al. §4, MNIST). Those
  σ suit 784-pixel images; on the toy sets (scale ~1–4) only the σ = 2 term resolves anything — ``make_gmmn`` takes
  other σ. The engine builds no D and takes no D step (head ``none``; ``d_loss`` is a zero kept for uniformity).
* **mmdgan** (Li, Chang, Cheng, Yang & Póczos 2017): D's features φ maximise MMD², G minimises it; Gaussian mixture
  σ ∈ {1, 2, 4, 8, 16} on the features (Li et al. 2017 §5). Li et al. clip D's weights (c = 0.01) and add an
  autoencoder term; we follow the gradient-penalised variant of Bińkowski, Sutherland, Arbel & Gretton 2018
  ("Demystifying MMD GANs", §3): no autoencoder, a GP on the witness f(x) = E k(φ(x), φ_r) − E k(φ(x), φ_f)
  (λ = 1), Adam 1e-4, β = (0.5, 0.9), 5 D steps per G step. Their rational-quadratic mixture α ∈ {0.2, 0.5, 1, 2, 5}
  is ``rational_quadratic_mixture`` (``make_mmdgan(kernel=...)``).
* **cramer** (Bellemare et al. 2017, Algorithm 1): f is their critic (h = φ), L_D is −L_surrogate, the GP
  λ(‖∇_x̂ f(x̂)‖ − 1)², λ = 10, is taken on f at x̂ = εx_r + (1 − ε)x_f with φ_f' held — the engine's job. L_G is
  their generator loss: a per-pair estimate of the energy distance 2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ of the
  features minus the G-independent E‖φ_r − φ_r'‖. Two generator batches per update (``fake_batches = 2``).
* **mcgan-mean**, **mcgan-cov** (Mroueh, Sercu & Goel 2017, §2–3): the IPMs of mean feature matching
  max_φ ‖μ_φ(P) − μ_φ(Q)‖_q (= max over ‖v‖_p ≤ 1 of ⟨v, μ_P − μ_Q⟩, 1/p + 1/q = 1; q = 2 by default, q = 1 also
  in the paper) and covariance feature matching max_φ Σ_{j≤k} σ_j(Σ_φ(P) − Σ_φ(Q)) with uncentred Σ_φ = E φφᵀ
  (k = 16 in the paper's experiments). The paper maximises over v (and orthonormal U, V ∈ ℝ^{m×k}) with a
  projection step; we use the closed form of that inner maximum (the dual norm, the SVD) — same value, same
  gradient for φ at the inner optimum. Weight clipping c = 0.01 (the paper's), RMSprop 5e-5, 5 D steps.

Estimates on fresh batches (``mmd2``, ``mmd2_d``, ``energy_distance_d``, ``mcgan_mean``, ``mcgan_cov``): each is the
objective's own discrepancy at the current D; for D's features it lower-bounds the discrepancy that the optimal D
would give (a sup over features), and the ``mmd2`` of GMMN is the unbiased estimate itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from gan_studio.objectives.base import Estimate, Objective, State, Witness, lipschitz_subset

Kernel = Callable[[Tensor], Tensor]
"""Maps squared distances ‖a − b‖² (any shape) to kernel values elementwise."""

GMMN_SIGMAS: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 40.0, 80.0)  # Li, Swersky & Zemel 2015, MNIST
MMDGAN_SIGMAS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)  # Li et al. 2017, on D's features
RQ_ALPHAS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)  # Bińkowski et al. 2018
CRAMER_GP = 10.0  # Bellemare et al. 2017, Algorithm 1
MMDGAN_GP = 1.0  # Bińkowski et al. 2018
MCGAN_CLIP = 0.01  # Mroueh, Sercu & Goel 2017
MCGAN_Q = 2.0
MCGAN_K = 16


# The paper's settings, as config keys (the later phase's presets). Lipschitz methods on a features head act on
# the witness (gp, r1, r2) or on D's weights (clip, sn).
DEFAULTS: dict[str, dict[str, object]] = {
    "gmmn": {"lipschitz.name": "none", "optim.name": "adam", "train.d_steps": 0},
    "mmdgan": {"lipschitz.name": "gp", "lipschitz.weight": MMDGAN_GP, "optim.name": "adam", "optim.lr_d": 1e-4,
               "optim.lr_g": 1e-4, "optim.beta1": 0.5, "optim.beta2": 0.9, "train.d_steps": 5},
    "cramer": {"lipschitz.name": "gp", "lipschitz.weight": CRAMER_GP, "optim.name": "adam", "optim.lr_d": 1e-4,
               "optim.lr_g": 1e-4, "optim.beta1": 0.5, "optim.beta2": 0.999, "train.d_steps": 5},
    "mcgan-mean": {"lipschitz.name": "clip", "lipschitz.clip": MCGAN_CLIP, "optim.name": "rmsprop",
                   "optim.lr_d": 5e-5, "optim.lr_g": 5e-5, "train.d_steps": 5},
    "mcgan-cov": {"lipschitz.name": "clip", "lipschitz.clip": MCGAN_CLIP, "optim.name": "rmsprop",
                  "optim.lr_d": 5e-5, "optim.lr_g": 5e-5, "train.d_steps": 5},
}


# --- kernels and discrepancies on tensors -------------------------------------------------------------------------


def sq_dists(a: Tensor, b: Tensor) -> Tensor:
    """(m, n) squared Euclidean distances between the rows of a (m, d) and b (n, d); ≥ 0, differentiable."""
    d2 = a.square().sum(1, keepdim=True) + b.square().sum(1) - 2.0 * a @ b.T
    return d2.clamp_min(0.0)


def safe_norm(v: Tensor, dim: int = -1) -> Tensor:
    """‖v‖₂ along ``dim`` with gradient 0 (not NaN) where v = 0."""
    sq = v.square().sum(dim)
    positive = sq > 0
    return torch.where(positive, torch.where(positive, sq, torch.ones_like(sq)).sqrt(), torch.zeros_like(sq))


def dists(a: Tensor, b: Tensor) -> Tensor:
    """(m, n) Euclidean distances between rows, with gradient 0 at coincident points (the U-statistic diagonal)."""
    d2 = sq_dists(a, b)
    positive = d2 > 0
    return torch.where(positive, torch.where(positive, d2, torch.ones_like(d2)).sqrt(), torch.zeros_like(d2))


def gaussian_mixture(sigmas: Sequence[float]) -> Kernel:
    """k = Σ_σ exp(−d²/(2σ²)) (equal weights, each term 1 at d = 0)."""
    scales = tuple(1.0 / (2.0 * float(s) ** 2) for s in sigmas)

    def kernel(d2: Tensor) -> Tensor:
        return sum(torch.exp(-c * d2) for c in scales)

    kernel.__doc__ = f"Σ_σ exp(−d²/(2σ²)), σ ∈ {tuple(sigmas)}."
    return kernel


def rational_quadratic_mixture(alphas: Sequence[float]) -> Kernel:
    """k = Σ_α (1 + d²/(2α))^(−α) (Bińkowski et al. 2018, with length scale 1)."""
    alphas = tuple(float(a) for a in alphas)

    def kernel(d2: Tensor) -> Tensor:
        return sum((1.0 + d2 / (2.0 * a)).pow(-a) for a in alphas)

    kernel.__doc__ = f"Σ_α (1 + d²/(2α))^(−α), α ∈ {alphas}."
    return kernel


def _rows(x: Tensor) -> Tensor:
    """(n, d) view of a batch: (n,) → (n, 1), (n, ...) flattened."""
    return x.reshape(len(x), -1)


def mmd2_unbiased(a: Tensor, b: Tensor, kernel: Kernel) -> Tensor:
    """Unbiased MMD²_u between the rows of a (m ≥ 2) and b (n ≥ 2) (formula in ``metrics.kernel``)."""
    a, b = _rows(a), _rows(b)
    m, n = len(a), len(b)
    kaa, kbb, kab = kernel(sq_dists(a, a)), kernel(sq_dists(b, b)), kernel(sq_dists(a, b))
    aa = (kaa.sum() - kaa.diagonal().sum()) / (m * (m - 1))
    bb = (kbb.sum() - kbb.diagonal().sum()) / (n * (n - 1))
    return aa + bb - 2.0 * kab.mean()


def energy_distance_u(a: Tensor, b: Tensor) -> Tensor:
    """Energy distance U-statistic 2E‖A − B‖ − E‖A − A'‖ − E‖B − B'‖ between the rows of a and b."""
    a, b = _rows(a), _rows(b)
    m, n = len(a), len(b)
    return 2.0 * dists(a, b).mean() - dists(a, a).sum() / (m * (m - 1)) - dists(b, b).sum() / (n * (n - 1))


def mmd_witness(kernel: Kernel) -> Witness:
    """f(x) = mean_j k(φ(x), φ_r,j) − mean_j k(φ(x), φ_f,j): the (unnormalised) MMD witness, higher = more real."""

    def witness(out_x: Tensor, out_r: Tensor, out_f: Tensor) -> Tensor:
        x = _rows(out_x)
        return kernel(sq_dists(x, _rows(out_r))).mean(1) - kernel(sq_dists(x, _rows(out_f))).mean(1)

    return witness


# --- GMMN ---------------------------------------------------------------------------------------------------------


def _zero(out_r: Tensor, out_f: Tensor, state: State) -> Tensor:
    """0: GMMN has no D. Kept in the graph of out_f so a uniform caller can still call backward."""
    return out_f.sum() * 0.0


def make_gmmn(sigmas: Sequence[float] = GMMN_SIGMAS) -> Objective:
    """GMMN with the Gaussian-mixture bandwidths ``sigmas`` (data units)."""
    kernel = gaussian_mixture(sigmas)

    def g_loss(out_r: Tensor, out_f: Tensor, state: State) -> Tensor:
        return mmd2_unbiased(out_f, out_r, kernel)

    def estimate(out_r: Tensor, out_f: Tensor) -> float:
        return float(mmd2_unbiased(out_r, out_f, kernel))

    g_loss.__doc__ = f"MMD²_u(x_f, x_r) with {kernel.__doc__}"
    mmd2 = Estimate("MMD²(p_data, p_g), Gaussian-mixture kernel", "mmd2",
                    "unbiased U-statistic on fresh batches (may be < 0 when p_g ≈ p_data)", estimate)
    return Objective("gmmn", "kernel", "none", _zero, g_loss, mmd2,
                     d_view="score", decision_level=0.0, d_label="MMD witness of the samples (higher = more real)",
                     d_curve_label="MMD witness f(x)", d_reference=None, lipschitz=lipschitz_subset("none"),
                     g_needs_real=True, witness=mmd_witness(kernel),
                     about="No discriminator: G alone minimises the maximum mean discrepancy MMD² between a "
                           "generated and a real batch, a kernel two-sample statistic (Gaussian kernels, "
                           f"σ ∈ {tuple(sigmas)}) that is 0 only when the distributions agree (Li, Swersky & Zemel "
                           "2015; Dziugaite et al. 2015). The picture shows the MMD witness mean k(x, real) − "
                           "mean k(x, generated) computed from samples.")


# --- MMD GAN ------------------------------------------------------------------------------------------------------


def make_mmdgan(kernel: Kernel | None = None) -> Objective:
    """MMD GAN on D's features; ``kernel`` defaults to Li et al.'s Gaussian mixture σ ∈ {1, 2, 4, 8, 16}."""
    kernel = kernel or gaussian_mixture(MMDGAN_SIGMAS)

    def d_loss(out_r: Tensor, out_f: Tensor, state: State) -> Tensor:
        return -mmd2_unbiased(out_r, out_f, kernel)

    def g_loss(out_r: Tensor, out_f: Tensor, state: State) -> Tensor:
        return mmd2_unbiased(out_r, out_f, kernel)

    def estimate(out_r: Tensor, out_f: Tensor) -> float:
        return float(mmd2_unbiased(out_r, out_f, kernel))

    d_loss.__doc__ = f"−MMD²_u(φ_r, φ_f), {kernel.__doc__}"
    g_loss.__doc__ = f"MMD²_u(φ_r, φ_f), {kernel.__doc__}"
    mmd2_d = Estimate("MMD² between D's features of p_data and p_g", "mmd2_d",
                      "unbiased U-statistic on fresh batches; D maximises it, so it tracks the learned-kernel MMD",
                      estimate)
    return Objective("mmdgan", "kernel", "features", d_loss, g_loss, mmd2_d,
                     d_view="score", decision_level=0.0, d_label="MMD witness of D's features",
                     d_curve_label="MMD witness f(x)", d_reference=None,
                     lipschitz=lipschitz_subset("none", "clip", "gp", "dragan", "sn"), g_needs_real=True,
                     witness=mmd_witness(kernel),
                     about="D learns features φ(x) in which the kernel MMD² between real and generated samples is "
                           "as large as possible; G makes it small (Li et al. 2017). Here as in Bińkowski et al. "
                           "2018: Gaussian kernels on 16 features with a gradient penalty on the witness "
                           "f(x) = mean k(φ(x), φ_real) − mean k(φ(x), φ_generated), which the picture shows.")


# --- Cramér GAN ---------------------------------------------------------------------------------------------------


def cramer_critic(h_x: Tensor, h_f2: Tensor) -> Tensor:
    """f(x) = ‖h(x) − h(x_f')‖ − ‖h(x)‖ per sample, row i paired with row i of the second fake batch."""
    return safe_norm(_rows(h_x) - _rows(h_f2)) - safe_norm(_rows(h_x))


def cramer_d(out_r: Tensor, out_f: tuple[Tensor, Tensor], state: State) -> Tensor:
    """−L_surrogate = −(E f(x_r) − E f(x_f)) (Bellemare et al. 2017, Algorithm 1, without the GP)."""
    h_f, h_f2 = out_f
    return -(cramer_critic(out_r, h_f2).mean() - cramer_critic(h_f, h_f2).mean())


def cramer_g(out_r: Tensor, out_f: tuple[Tensor, Tensor], state: State) -> Tensor:
    """E‖h_r − h_f‖ + E‖h_r − h_f'‖ − E‖h_f − h_f'‖ (per-sample pairs; Algorithm 1's L_g)."""
    h_r, (h_f, h_f2) = _rows(out_r), (_rows(out_f[0]), _rows(out_f[1]))
    return safe_norm(h_r - h_f).mean() + safe_norm(h_r - h_f2).mean() - safe_norm(h_f - h_f2).mean()


def cramer_witness(out_x: Tensor, out_r: Tensor, out_f: tuple[Tensor, Tensor]) -> Tensor:
    """The critic f(x) with ‖h(x) − h(x_f')‖ averaged over the second fake batch (a point of the plotted grid has no
    pair): E_j ‖h(x) − h(x_f',j)‖ − ‖h(x)‖."""
    x = _rows(out_x)
    return dists(x, _rows(out_f[1])).mean(1) - safe_norm(x)


def _cramer_estimate(out_r: Tensor, out_f: tuple[Tensor, Tensor]) -> float:
    """Energy distance U-statistic between the features of the real and the first fake batch."""
    return float(energy_distance_u(out_r, out_f[0]))


# --- McGAN --------------------------------------------------------------------------------------------------------


def lq_norm(v: Tensor, q: float) -> Tensor:
    """‖v‖_q for q ≥ 1 (the dual norm of the ‖·‖_p ball McGAN's v lives in, 1/p + 1/q = 1); 0-safe gradient."""
    if q == 2.0:
        return safe_norm(v)
    return v.abs().pow(q).sum().clamp_min(1e-30).pow(1.0 / q)


def second_moment(phi: Tensor) -> Tensor:
    """Uncentred feature covariance Σ = (1/n) Σ_i φ_i φ_iᵀ, (k, k)."""
    phi = _rows(phi)
    return phi.T @ phi / len(phi)


def ky_fan(a: Tensor, k: int) -> Tensor:
    """Sum of the k largest singular values of a = max over orthonormal U, V (m × k) of tr(Uᵀ a V)."""
    return torch.linalg.svdvals(a)[:k].sum()


def _gap_game(gap):
    """The McGAN game on a feature discrepancy ``gap(out_r, out_f)``: D maximises it (minimises −gap), G minimises
    it, and its value on fresh batches is the estimate. Returns (d_loss, g_loss, estimate)."""

    def d_loss(out_r: Tensor, out_f: Tensor, state: State) -> Tensor:
        return -gap(out_r, out_f)

    def g_loss(out_r: Tensor, out_f: Tensor, state: State) -> Tensor:
        return gap(out_r, out_f)

    def estimate(out_r: Tensor, out_f: Tensor) -> float:
        return float(gap(out_r, out_f))

    return d_loss, g_loss, estimate


def make_mcgan_mean(q: float = MCGAN_Q) -> Objective:
    """McGAN mean matching with the ℓ_q norm (q = 2: Euclidean; q = 1 is the paper's other choice)."""

    def gap(out_r: Tensor, out_f: Tensor) -> Tensor:
        return lq_norm(_rows(out_r).mean(0) - _rows(out_f).mean(0), q)

    d_loss, g_loss, estimate = _gap_game(gap)

    d_loss.__doc__ = f"−‖μ_r − μ_f‖_{q:g}."
    g_loss.__doc__ = f"‖μ_r − μ_f‖_{q:g}."
    est = Estimate(f"IPM_μ,{q:g}: ‖μ_φ(p_data) − μ_φ(p_g)‖_{q:g} at the current φ", "mcgan_mean",
                   "batch means on fresh batches; a lower bound of the IPM (a max over φ) at the optimum", estimate)
    return Objective("mcgan-mean", "kernel", "features", d_loss, g_loss, est,
                     d_view="score", decision_level=0.0, d_label="witness ⟨v*, φ(x) − μ_f⟩",
                     d_curve_label="mean-matching witness", d_reference=None,
                     lipschitz=lipschitz_subset("none", "clip", "sn"), g_needs_real=True,
                     witness=mcgan_mean_witness(q),
                     about=f"D learns features φ whose mean over real samples differs as much as possible (ℓ{q:g} "
                           "norm) from their mean over generated samples; G closes that gap (Mroueh, Sercu & Goel "
                           "2017). Weight clipping keeps φ bounded; the picture shows ⟨v*, φ(x) − μ_f⟩.")


def mcgan_mean_witness(q: float = MCGAN_Q) -> Witness:
    """⟨v*, φ(x) − μ_f⟩ with v* the maximiser of ⟨v, μ_r − μ_f⟩ over ‖v‖_p ≤ 1: v*_i ∝ sign(Δ_i)|Δ_i|^(q−1)."""

    def witness(out_x: Tensor, out_r: Tensor, out_f: Tensor) -> Tensor:
        mu_f = _rows(out_f).mean(0)
        delta = _rows(out_r).mean(0) - mu_f
        v = delta.sign() * delta.abs().pow(q - 1.0)
        v = v / lq_norm(delta, q).pow(q - 1.0).clamp_min(1e-30)
        return (_rows(out_x) - mu_f) @ v

    return witness


def make_mcgan_cov(k: int = MCGAN_K) -> Objective:
    """McGAN covariance matching with the Ky Fan k-norm of the uncentred second-moment difference."""

    def gap(out_r: Tensor, out_f: Tensor) -> Tensor:
        return ky_fan(second_moment(out_r) - second_moment(out_f), k)

    d_loss, g_loss, estimate = _gap_game(gap)

    d_loss.__doc__ = f"−‖Σ_r − Σ_f‖_({k}) (sum of the {k} largest singular values)."
    g_loss.__doc__ = f"‖Σ_r − Σ_f‖_({k})."
    est = Estimate(f"IPM_Σ: Ky Fan {k}-norm of Σ_φ(p_data) − Σ_φ(p_g) at the current φ", "mcgan_cov",
                   "uncentred second moments on fresh batches; a lower bound of the IPM at the optimum", estimate)
    return Objective("mcgan-cov", "kernel", "features", d_loss, g_loss, est,
                     d_view="score", decision_level=0.0, d_label="witness Σ_j ⟨u_j, φ⟩⟨v_j, φ⟩",
                     d_curve_label="covariance-matching witness", d_reference=None,
                     lipschitz=lipschitz_subset("none", "clip", "sn"), g_needs_real=True,
                     witness=mcgan_cov_witness(k),
                     about=f"D learns features φ whose second moments E φφᵀ differ as much as possible between "
                           f"real and generated samples, measured by the sum of the {k} largest singular values of "
                           "the difference; G closes that gap (Mroueh, Sercu & Goel 2017). Weight clipping keeps φ "
                           "bounded; the picture shows the per-point term of that norm.")


def mcgan_cov_witness(k: int = MCGAN_K) -> Witness:
    """Σ_{j≤k} ⟨u_j, φ(x)⟩⟨v_j, φ(x)⟩ with (u_j, v_j) the top singular pairs of Σ_r − Σ_f: the per-point term whose
    mean over p_data minus its mean over p_g is the Ky Fan norm."""

    def witness(out_x: Tensor, out_r: Tensor, out_f: Tensor) -> Tensor:
        u, _, vh = torch.linalg.svd(second_moment(out_r) - second_moment(out_f))
        x = _rows(out_x)
        return ((x @ u[:, :k]) * (x @ vh[:k].T)).sum(1)

    return witness


GMMN = make_gmmn()
MMDGAN = make_mmdgan()
CRAMER = Objective(
    "cramer", "kernel", "features", cramer_d, cramer_g,
    Estimate("energy distance between D's features of p_data and p_g", "energy_distance_d",
             "U-statistic on fresh batches (features of the first fake batch); unbiased, may be < 0", _cramer_estimate),
    d_view="score", decision_level=None, d_label="Cramér critic f(x)", d_curve_label="Cramér critic f(x)",
    d_reference=None, lipschitz=lipschitz_subset("none", "clip", "gp", "dragan", "sn"), g_needs_real=True,
    fake_batches=2, witness=cramer_witness,
    about="D learns features h in which G minimises the energy distance 2E‖h(real) − h(gen)‖ − E‖h(gen) − h(gen′)‖ "
          "− E‖h(real) − h(real′)‖, using two independent generated batches; the critic f(x) = ‖h(x) − h(gen′)‖ − "
          "‖h(x)‖ is trained with a gradient penalty. In 1D the energy distance is twice Cramér's distance "
          "∫(F − G)² (Bellemare et al. 2017).")
MCGAN_MEAN = make_mcgan_mean()
MCGAN_COV = make_mcgan_cov()

KERNEL_OBJECTIVES: tuple[Objective, ...] = (GMMN, MMDGAN, CRAMER, MCGAN_MEAN, MCGAN_COV)

WITNESSES: dict[str, Witness] = {o.name: o.witness for o in KERNEL_OBJECTIVES}
"""The scalar witness each objective's views draw and its gradient penalty differentiates (``base.Witness``); GMMN's
acts on the samples themselves (the data-space MMD witness)."""
