"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs do actually converge?",
ICML; arXiv:1801.04406, Definition 2.1): data δ₀, generator δ_θ, linear discriminator D(x) = ψx. Pure NumPy.

Sign convention (ours, the one of ``gan_studio.objectives``): a higher score means "more real"; G and D each
*minimise* their loss, and the **field is what simultaneous gradient descent follows**:

    v(θ, ψ) = (θ̇, ψ̇) = (−∂L_G/∂θ, −∂L_D/∂ψ),   with   s_f = D(θ) = ψθ,   s_r = D(0) = 0,

    L_D = E d_real(ψ·x_r) + E d_fake(ψ·x_f) + R(ψ),      L_G = E g_fake(ψ·x_f),

where x_r = 0 and x_f = θ (plus N(0, σ²) instance noise on both, when σ > 0), R is D's regulariser and

    loss      d_real(s)        d_fake(s)       g_fake(s)          f′(0)   f″(0)
    minimax   softplus(−s)     softplus(s)     −softplus(s)       1/2     −1/4
    ns        softplus(−s)     softplus(s)     softplus(−s)       1/2     −1/4
    wgan      −s               s               −s                 1       0

The paper writes D with the opposite sign (its eq. (1): L(θ, ψ) = E f(D(G(z))) + E f(−D(x)), D maximising L, so
its D is high on *fake* samples) and f(t) = −log(1 + e^{−t}) (GAN) or f(t) = t (WGAN). With ψ_paper = −ψ_ours
its Dirac objective (eq. (4)) L(θ, ψ) = f(ψθ) + f(0) and field (eq. (5)) v = (−ψ f′(ψθ), θ f′(ψθ)) become ours:
v = (ψ f′(−ψθ), −θ f′(−ψθ)) for the minimax GAN. The change of sign is the similarity diag(1, −1), so every
eigenvalue below is the paper's, unchanged; f′(0), f″(0) in the table are the paper's f.

Regularisers of D (R(ψ), added to L_D; the gradient of D in x is ψ everywhere, so for the Dirac-GAN):

    R1 (paper eq. (9))   γ/2 E_{p_D} |∇D|² = γ/2 ψ²
    R2 (paper eq. (10))  γ/2 E_{p_θ} |∇D|² = γ/2 ψ²      (identical to R1 here; D's gradient does not depend on x)
    WGAN-GP              γ/2 (|ψ| − g₀)²                 (the authors' code uses g₀ = 0.3; Gulrajani et al. g₀ = 1)
    clipping             none: ψ ← clip(ψ, −c, c) after every D update (projected gradient descent)
    instance noise       none: x_r, x_f get N(0, σ²) noise; expectations by Gauss–Hermite quadrature (exact at 0)
    consensus            both players follow w = v − γ ∇(½|v|²) = v − γ Jᵀv (Mescheder et al. 2017)

Closed forms at the equilibrium (θ, ψ) = (0, 0), a = f′(0), b = f″(0) (``closed_form``), paper's numbering:

    case                   eigenvalues of J = ∂v/∂(θ, ψ)                 where
    gan, ns                ±a i = ±i/2  (purely imaginary)               Lemma 2.2
    wgan, wgan + clip      ±a i = ±i  (clipping is inactive near 0)      Lemma 2.2, Lemma 3.1
    wgan-gp                not defined: v jumps across ψ = 0 (ψ̇ → ±γg₀);  Lemma 3.2
                           one-sided: −γ/2 ± √(γ²/4 − a²)
    consensus              −γa² ± a i                                    Lemma 3.3
    instance noise         bσ² ± √(b²σ⁴ − a²)                            Lemma 3.4
    R1, R2                 −γ/2 ± √(γ²/4 − a²)                           Lemma 3.5, Section 4.1
    update, simultaneous   1 ± h a i, |λ| = √(1 + h²a²) > 1               Lemma 2.3
    update, alternating    1 − α²/2 ± √((1 − α²/2)² − 1), α = h a         Lemma 2.4 (one D, one G update)
                           (|λ| = 1 for α ≤ 2)

In general the update operators are F = I + h v (simultaneous; Jacobian I + hJ, eigenvalues 1 + hλ) and
F = F_G ∘ F_D (alternating, D first as the studio trains: Jacobian J_G J_D with J_D = I + h e_ψ ∂v_ψ, J_G =
I + h e_θ ∂v_θ); ``update_spectrum`` computes both from the Jacobian. The lemma numbers are those of the ICML
paper as recalled by the author of this module (the text could not be retrieved here); the formulas themselves
are re-derived above and checked against finite differences of the field in tests/test_dirac.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

LossName = Literal["minimax", "ns", "wgan"]
Penalty = Literal["none", "r1", "r2", "gp"]
Method = Literal["simultaneous", "alternating"]

QUADRATURE_NODES = 48  # Gauss–Hermite nodes for instance noise: the field to ~1e-10 for σ|ψ| ≤ 5
UNIT_TOLERANCE = 1e-9  # |λ| within this of 1 counts as "on the unit circle"


def _sigmoid(s: np.ndarray) -> np.ndarray:
    """σ(s) = 1/(1 + e^{−s}) without overflow."""
    return np.exp(-np.logaddexp(0.0, -s))


def _softplus_d1(s: np.ndarray) -> np.ndarray:
    """d/ds softplus(s) = σ(s)."""
    return _sigmoid(s)


def _softplus_d2(s: np.ndarray) -> np.ndarray:
    """d²/ds² softplus(s) = σ(s) σ(−s)."""
    return _sigmoid(s) * _sigmoid(-s)


@dataclass(frozen=True)
class _Derivatives:
    """First and second derivatives of one loss term as a function of the score s."""

    d1: Callable[[np.ndarray], np.ndarray]
    d2: Callable[[np.ndarray], np.ndarray]


def _neg(term: _Derivatives) -> _Derivatives:
    """The derivatives of s ↦ term(−s)."""
    return _Derivatives(lambda s: -term.d1(-s), lambda s: term.d2(-s))


def _minus(term: _Derivatives) -> _Derivatives:
    """The derivatives of s ↦ −term(s)."""
    return _Derivatives(lambda s: -term.d1(s), lambda s: -term.d2(s))


_SOFTPLUS = _Derivatives(_softplus_d1, _softplus_d2)
_LINEAR = _Derivatives(np.ones_like, np.zeros_like)

# (d_real, d_fake, g_fake) of each loss, the table of the module docstring
_TERMS: dict[str, tuple[_Derivatives, _Derivatives, _Derivatives]] = {
    "minimax": (_neg(_SOFTPLUS), _SOFTPLUS, _minus(_SOFTPLUS)),
    "ns": (_neg(_SOFTPLUS), _SOFTPLUS, _neg(_SOFTPLUS)),
    "wgan": (_minus(_LINEAR), _LINEAR, _minus(_LINEAR)),
}
F_PRIME_0 = {"minimax": 0.5, "ns": 0.5, "wgan": 1.0}  # the paper's f′(0) = d_fake′(0)
F_SECOND_0 = {"minimax": -0.25, "ns": -0.25, "wgan": 0.0}  # the paper's f″(0) = −d_fake″(0)


@dataclass(frozen=True)
class Case:
    """One loss with at most one of the paper's stabilisers. Weights are those of the authors' Dirac-GAN code
    unless stated; every field is a plain number so that a view can offer it as a choice."""

    title: str  # what a view calls it
    loss: LossName
    penalty: Penalty = "none"  # D's regulariser R(ψ)
    gamma: float = 0.0  # weight of R1 / R2 / the gradient penalty
    gp_target: float = 0.3  # g₀ of the gradient penalty (the authors' Dirac-GAN code; WGAN-GP's paper uses 1)
    clip: float = 0.0  # weight clipping |ψ| ≤ c after every D update; 0: none
    noise: float = 0.0  # instance noise σ on real and generated samples; 0: none
    consensus: float = 0.0  # γ of consensus optimisation; 0: none

    def __post_init__(self):
        if self.loss not in _TERMS:
            raise ValueError(f"loss: unknown value {self.loss!r}; allowed: {', '.join(_TERMS)}")
        for name in ("gamma", "gp_target", "clip", "noise", "consensus"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be ≥ 0, got {getattr(self, name)}")

    @property
    def mechanisms(self) -> tuple[str, ...]:
        """The stabilisers in use, by name."""
        active = (("clip", self.clip > 0), ("noise", self.noise > 0), ("consensus", self.consensus > 0),
                  (self.penalty, self.penalty != "none"))
        return tuple(name for name, on in active if on)


CASES: dict[str, Case] = {
    "gan": Case("GAN (minimax)", "minimax"),
    "ns": Case("GAN (non-saturating)", "ns"),
    "wgan": Case("WGAN (no Lipschitz constraint)", "wgan"),
    "wgan-clip": Case("WGAN, weight clipping |ψ| ≤ 0.5", "wgan", clip=0.5),
    "wgan-gp": Case("WGAN-GP (γ = 1, g₀ = 0.3)", "wgan", penalty="gp", gamma=1.0, gp_target=0.3),
    "wgan-r1": Case("WGAN + R1 (γ = 10)", "wgan", penalty="r1", gamma=10.0),
    "r1": Case("GAN + R1 (γ = 0.3)", "minimax", penalty="r1", gamma=0.3),
    "r2": Case("GAN + R2 (γ = 0.3)", "minimax", penalty="r2", gamma=0.3),
    "noise": Case("GAN + instance noise (σ = 1)", "minimax", noise=1.0),
    "consensus": Case("GAN + consensus (γ = 0.3)", "minimax", consensus=0.3),
}
"""The cases of the paper's Sections 2–4, by key (the view's choices, in this order)."""


def _nodes(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights (summing to 1) for E over N(0, σ²); one node at 0 without noise."""
    if sigma == 0:
        return np.zeros(1), np.ones(1)
    x, w = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
    return sigma * x, w / w.sum()


def _base(case: Case, theta, psi) -> tuple[np.ndarray, np.ndarray]:
    """The field v (2, …) without consensus, and its Jacobian J (2, 2, …), analytically (module docstring).

    J[i, j] = ∂v_i/∂x_j with x = (θ, ψ). At the gradient penalty's kink ψ = 0, R′ is taken as 0 (the authors'
    code: sign(0) = 0) and R″ as γ (the one-sided limit).
    """
    d_real, d_fake, g_fake = _TERMS[case.loss]
    theta, psi = np.broadcast_arrays(np.asarray(theta, float), np.asarray(psi, float))
    eps, w = _nodes(case.noise)
    th, ps = theta[..., None], psi[..., None]
    x_f, x_r = th + eps, np.broadcast_to(eps, th.shape[:-1] + eps.shape)
    s_f, s_r = ps * x_f, ps * x_r
    g1, g2 = g_fake.d1(s_f), g_fake.d2(s_f)
    f1, f2 = d_fake.d1(s_f), d_fake.d2(s_f)
    r1, r2 = d_real.d1(s_r), d_real.d2(s_r)
    v_theta = -(ps * g1) @ w
    v_psi = -(f1 * x_f + r1 * x_r) @ w
    j11 = -(ps**2 * g2) @ w
    j12 = -(g1 + s_f * g2) @ w
    j21 = -(f1 + s_f * f2) @ w
    j22 = -(x_f**2 * f2 + x_r**2 * r2) @ w
    if case.penalty in ("r1", "r2"):
        v_psi = v_psi - case.gamma * psi
        j22 = j22 - case.gamma
    elif case.penalty == "gp":
        v_psi = v_psi - case.gamma * (np.abs(psi) - case.gp_target) * np.sign(psi)
        j22 = j22 - case.gamma
    return np.stack([v_theta, v_psi]), np.stack([np.stack([j11, j12]), np.stack([j21, j22])])


def field(case: Case, theta, psi) -> np.ndarray:
    """The vector field (θ̇, ψ̇) at (θ, ψ) (arrays broadcast), shape (2, …). With consensus, w = v − γ Jᵀv.

    Weight clipping is not part of the field: it acts on the parameters after each D update (``trajectory``);
    outside |ψ| ≤ c the field is the unconstrained one.
    """
    v, jac = _base(case, theta, psi)
    if case.consensus > 0:
        v = v - case.consensus * np.einsum("ji...,j...->i...", jac, v)
    return v


def numeric_jacobian(case: Case, theta: float = 0.0, psi: float = 0.0, eps: float = 1e-5) -> np.ndarray:
    """∂v/∂(θ, ψ) at one point by central differences of ``field`` (error O(eps²)); 2 × 2."""
    out = np.empty((2, 2))
    for j, step in enumerate(((eps, 0.0), (0.0, eps))):
        plus = field(case, theta + step[0], psi + step[1])
        minus = field(case, theta - step[0], psi - step[1])
        out[:, j] = (plus - minus) / (2 * eps)
    return out


def equilibrium_jacobian(case: Case) -> np.ndarray:
    """∂v/∂(θ, ψ) at (0, 0), analytically: J of ``_base``, and J − γJᵀJ with consensus (exact where v = 0).

    For WGAN-GP the field has no Jacobian at ψ = 0; this is the one-sided limit (R″ = γ on both sides).
    """
    _, jac = _base(case, 0.0, 0.0)
    if case.consensus > 0:
        jac = jac - case.consensus * jac.T @ jac
    return jac


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues at the equilibrium, the paper's statement they come from and what they mean."""

    eigenvalues: np.ndarray  # complex, sorted by imaginary part
    source: str  # the paper's lemma / equation
    stationary: bool  # False: the field does not vanish at (0, 0), so the eigenvalues do not decide convergence
    meaning: str  # one line for a view


def _pair(centre: float, discriminant: float) -> np.ndarray:
    """centre ± √discriminant as two complex numbers, sorted by imaginary part."""
    root = np.sqrt(complex(discriminant))
    return np.sort_complex(np.array([centre - root, centre + root]))


def closed_form(case: Case) -> Spectrum:
    """The eigenvalues of the field's Jacobian at (0, 0) as the paper states them (module docstring table).

    Only single stabilisers have closed forms in the paper; a case that combines several raises ValueError
    (use ``equilibrium_jacobian``).
    """
    a, b = F_PRIME_0[case.loss], F_SECOND_0[case.loss]
    used = case.mechanisms
    if len(used) > 1:
        raise ValueError(f"no closed form for combined stabilisers {used}; use equilibrium_jacobian")
    if not used or used == ("clip",):
        source = "Lemma 2.2" + (" (Lemma 3.1: clipping is inactive near ψ = 0)" if used else "")
        eig = np.array([-1j * a, 1j * a])
    elif used == ("consensus",):
        source, eig = "Lemma 3.3", _pair(-case.consensus * a * a, -(a * a))
    elif used == ("noise",):
        s2 = case.noise**2
        source, eig = "Lemma 3.4", _pair(b * s2, b * b * s2 * s2 - a * a)
    elif used in (("r1",), ("r2",)):
        source = "Lemma 3.5, Section 4.1 eq. (9)" if used == ("r1",) else "Lemma 3.5, Section 4.1 eq. (10)"
        eig = _pair(-case.gamma / 2, case.gamma**2 / 4 - a * a)
    else:  # gp
        eig = _pair(-case.gamma / 2, case.gamma**2 / 4 - a * a)
        return Spectrum(eig, "Lemma 3.2", False,
                        f"no equilibrium: ψ̇ jumps from −{case.gamma * case.gp_target:.3g} to "
                        f"+{case.gamma * case.gp_target:.3g} across ψ = 0 (the penalty pushes |ψ| to g₀), "
                        "so the one-sided eigenvalues do not decide convergence: it does not converge")
    return Spectrum(np.sort_complex(eig.astype(complex)), source, True, describe_jacobian(eig))


def describe_jacobian(eigenvalues: np.ndarray) -> str:
    """What the field's eigenvalues at an equilibrium say about the continuous game."""
    real = np.real(eigenvalues)
    if np.all(np.abs(real) < UNIT_TOLERANCE):
        return "purely imaginary: the game circles the equilibrium (no pull towards it)"
    if np.all(real < 0):
        if np.all(np.abs(np.imag(eigenvalues)) < UNIT_TOLERANCE):  # e.g. WGAN + R1 at γ = 10: −5 ± √24
            return "negative real eigenvalues: the game is pulled straight into the equilibrium (no rotation)"
        return "negative real parts: the game spirals into the equilibrium"
    return "a positive real part: the game is pushed away from the equilibrium"


def describe_update(eigenvalues: np.ndarray) -> str:
    """What the update operator's eigenvalues say about gradient descent with that step."""
    radius = float(np.max(np.abs(eigenvalues)))
    if radius > 1 + UNIT_TOLERANCE:
        return f"|λ| = {radius:.4f} > 1: spirals out"
    if radius < 1 - UNIT_TOLERANCE:
        return f"|λ| = {radius:.4f} < 1: converges"
    return "|λ| = 1: circles, neither converges nor diverges"


def update_jacobians(jacobian: np.ndarray, h: float) -> dict[str, np.ndarray]:
    """The Jacobians of one step of simultaneous (I + hJ) and alternating (D first: J_G J_D) gradient descent."""
    eye = np.eye(2)
    j_d = eye + h * np.outer([0.0, 1.0], jacobian[1])  # ψ ← ψ + h v_ψ
    j_g = eye + h * np.outer([1.0, 0.0], jacobian[0])  # θ ← θ + h v_θ (at the new ψ)
    return {"simultaneous": eye + h * jacobian, "alternating": j_g @ j_d}


def update_spectrum(case: Case, h: float) -> dict[str, np.ndarray]:
    """Eigenvalues of the update operator's Jacobian at (0, 0) for simultaneous and alternating descent."""
    return {name: np.sort_complex(np.linalg.eigvals(m))
            for name, m in update_jacobians(equilibrium_jacobian(case), h).items()}


def update_closed_form(case: Case, h: float) -> dict[str, np.ndarray]:
    """Lemmas 2.3 and 2.4 for the unregularised cases: 1 ± h a i and 1 − α²/2 ± √((1 − α²/2)² − 1), α = h a."""
    if case.mechanisms not in ((), ("clip",)):
        raise ValueError("Lemmas 2.3 and 2.4 are stated for the unregularised game")
    a = F_PRIME_0[case.loss]
    alpha = h * a
    return {"simultaneous": np.sort_complex(np.array([1 - 1j * h * a, 1 + 1j * h * a])),
            "alternating": _pair(1 - alpha**2 / 2, (1 - alpha**2 / 2) ** 2 - 1)}


def trajectory(case: Case, start: tuple[float, float], h: float, n: int,
               method: Method = "simultaneous") -> np.ndarray:
    """(n + 1, 2) points (θ, ψ) of n gradient-descent steps of size h from ``start``.

    "simultaneous": x ← x + h v(x). "alternating": ψ ← ψ + h v_ψ(θ, ψ), then θ ← θ + h v_θ(θ, ψ_new) (one D
    update then one G update, the studio's order). With clipping, ψ ← clip(ψ, −c, c) after each D update.
    A run that leaves |x| ≤ 1e6 stops there (the remaining rows repeat the last point).
    """
    if method not in ("simultaneous", "alternating"):
        raise ValueError(f"method: unknown value {method!r}; allowed: simultaneous, alternating")
    out = np.empty((n + 1, 2))
    theta, psi = (float(v) for v in start)
    out[0] = theta, psi
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, n + 1):
            if method == "simultaneous":
                v_theta, v_psi = field(case, theta, psi)
                theta, psi = theta + h * float(v_theta), psi + h * float(v_psi)
                psi = _clip(case, psi)
            else:
                psi = _clip(case, psi + h * float(field(case, theta, psi)[1]))
                theta = theta + h * float(field(case, theta, psi)[0])
            if not (np.isfinite(theta) and np.isfinite(psi)) or max(abs(theta), abs(psi)) > 1e6:
                out[k:] = out[k - 1]
                break
            out[k] = theta, psi
    return out


def _clip(case: Case, psi: float) -> float:
    return float(np.clip(psi, -case.clip, case.clip)) if case.clip > 0 else psi


def radius(points: np.ndarray) -> np.ndarray:
    """Distance of each (θ, ψ) from the equilibrium (0, 0)."""
    return np.hypot(points[..., 0], points[..., 1])

