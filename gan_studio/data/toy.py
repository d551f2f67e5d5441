"""Toy 1D and 2D point distributions (names and definitions: REFERENCE.md).

Three families, each one class, each set one row of a parameter table:

- ``GaussianMixture``: sum_k w_k N(c_k, s_k² I). Exact density, exact 1D CDF, mode centres / stds / weights.
  ``gauss1d``, ``shifted1d``, ``bimodal1d``, ``trimodal1d``, ``ring8``, ``grid25`` (table ``MIXTURES``).
- ``NoisyCurves``: pick an arm a with probability w_a, u ~ U(0, 1), x = f_a(u) + N(0, σ² I).
  ``swissroll``, ``moons``, ``spiral``, ``circles`` (table ``CURVES``). No closed-form density, except
  ``circles`` (a ring with Gaussian noise has the Rice density, see ``Circles.density``).
- ``Uniform1D`` (``uniform1d``) and ``Checkerboard`` (``checkerboard``): uniform densities, exact.

Sampling uses only the ``torch.Generator`` passed in and is vectorised (no per-sample Python loops).

Plotting bounds: the data box (mixtures: every centre ± 4 std; curves: the noiseless curve ± 4σ; uniform sets:
their support), for 1D sets widened to contain [−3, 3] (where a fresh generator's output lies, roughly
N(0, 1)), then padded by ``PAD`` of the width on each side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from scipy.special import i0e, logsumexp, ndtr

from gan_studio.data.base import Dataset

PAD = 0.1  # bounds padding, as a fraction of the data box width, on each side
NOISE_SIGMAS = 4.0  # bounds reach this many stds beyond every mode centre / curve point
FRESH_G_1D = (-3.0, 3.0)  # 1D bounds always contain this (a fresh generator's output, roughly N(0, 1))


def make_bounds(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(dim, 2) plotting bounds from a data box [lo, hi] per axis: 1D widened to FRESH_G_1D, then padded."""
    lo = np.asarray(lo, dtype=np.float64).reshape(-1).copy()
    hi = np.asarray(hi, dtype=np.float64).reshape(-1).copy()
    if lo.size == 1:
        lo = np.minimum(lo, FRESH_G_1D[0])
        hi = np.maximum(hi, FRESH_G_1D[1])
    pad = PAD * (hi - lo)
    return np.stack([lo - pad, hi + pad], axis=1)


def _as_points(x: np.ndarray, dim: int) -> np.ndarray:
    """(m, dim) float64 view of ``x`` ((m,) is accepted for 1D)."""
    return np.asarray(x, dtype=np.float64).reshape(-1, dim)


def _choose(weights: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """(n,) component indices drawn with probabilities ``weights`` (inverse CDF of one uniform each)."""
    cum = torch.cumsum(weights, 0)
    u = torch.rand(n, generator=generator, dtype=torch.float64) * cum[-1]
    return torch.searchsorted(cum, u, right=True).clamp_(max=len(weights) - 1)


def _fmt(v: float) -> str:
    """Short number with a real minus sign."""
    return f"{v:g}".replace("-", "−")


# --------------------------------------------------------------------------------------------- mixtures


class GaussianMixture(Dataset):
    """sum_k w_k N(c_k, s_k² I): seeded sampling, exact density, exact CDF in 1D, mode centres/stds/weights."""

    def __init__(self, name: str, centres, stds, weights, layout: str = ""):
        self.name = name
        self.centres = np.asarray(centres, dtype=np.float64).reshape(len(stds), -1)
        self.stds = np.asarray(stds, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64)
        self.weights = w / w.sum()
        k, dim = self.centres.shape
        self.shape = (dim,)
        self.bounds = make_bounds((self.centres - NOISE_SIGMAS * self.stds[:, None]).min(0),
                                  (self.centres + NOISE_SIGMAS * self.stds[:, None]).max(0))
        self.description = self._describe(layout)
        self._c = torch.as_tensor(self.centres, dtype=torch.float32)
        self._s = torch.as_tensor(self.stds, dtype=torch.float32)
        self._w = torch.as_tensor(self.weights, dtype=torch.float64)

    def _describe(self, layout: str) -> str:
        k, dim = self.centres.shape
        if dim == 1:
            terms = [f"N({_fmt(c)}, {_fmt(s)}²)" for c, s in zip(self.centres[:, 0], self.stds, strict=True)]
            if k > 1:
                terms = [f"{_fmt(w)}·{t}" for w, t in zip(self.weights, terms, strict=True)]
            return "1D: " + " + ".join(terms)
        same_w = np.allclose(self.weights, self.weights[0])
        same_s = np.allclose(self.stds, self.stds[0])
        w_txt = "equal-weight" if same_w else "weights " + ", ".join(_fmt(w) for w in self.weights)
        s_txt = f"isotropic std {_fmt(self.stds[0])}" if same_s else "stds " + ", ".join(map(_fmt, self.stds))
        return f"{dim}D: {k} {w_txt} Gaussians, {layout}, {s_txt}"

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws: a component per sample from the weights, then centre + std · N(0, I)."""
        return self.sample_labelled(n, generator)[0]

    def sample_labelled(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` draws and the (n,) component index that generated each: the class of a conditional GAN."""
        idx = _choose(self._w, n, generator)
        z = torch.randn(n, self.dim, generator=generator)
        return self._c[idx] + self._s[idx, None] * z, idx

    def given_class(self, k: int) -> GaussianMixture:
        """Component ``k`` alone, N(c_k, s_k² I), with this mixture's plotting bounds (views keep their frame)."""
        part = GaussianMixture(f"{self.name} class {k}", self.centres[k:k + 1], self.stds[k:k + 1], [1.0])
        part.bounds = self.bounds
        return part

    def density(self, x: np.ndarray) -> np.ndarray:
        """Exact mixture pdf at (m, dim) points (log-sum-exp over components)."""
        x = _as_points(x, self.dim)
        c, s = self.centres, self.stds
        d2 = np.maximum((x * x).sum(1)[:, None] - 2.0 * x @ c.T + (c * c).sum(1)[None, :], 0.0)
        log_n = -0.5 * d2 / s**2 - self.dim * np.log(s * math.sqrt(2.0 * math.pi))
        return np.exp(logsumexp(log_n, axis=1, b=self.weights[None, :]))

    def cdf(self, x: np.ndarray) -> np.ndarray | None:
        """Exact CDF at (m,) points in 1D (sum_k w_k Φ((x − c_k)/s_k)); None in 2D."""
        if self.dim != 1:
            return None
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        return ndtr((x[:, None] - self.centres[None, :, 0]) / self.stds[None, :]) @ self.weights


def _ring8() -> np.ndarray:
    k = np.arange(8)
    return 2.0 * np.stack([np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)], axis=1)


def _grid25() -> np.ndarray:
    g = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)


# name -> (centres (k, dim), stds (k,), weights (k,), layout text for 2D descriptions). REFERENCE.md.
MIXTURES: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, str]] = {
    "gauss1d": (np.array([[0.0]]), np.array([1.0]), np.array([1.0]), ""),
    "shifted1d": (np.array([[4.0]]), np.array([0.5]), np.array([1.0]), ""),
    "bimodal1d": (np.array([[-2.0], [2.0]]), np.array([0.5, 0.5]), np.array([0.5, 0.5]), ""),
    "trimodal1d": (np.array([[-3.0], [0.0], [3.0]]), np.full(3, 0.4), np.array([0.2, 0.5, 0.3]), ""),
    "ring8": (_ring8(), np.full(8, 0.02), np.full(8, 1 / 8), "centres 2·(cos 2πk/8, sin 2πk/8), k = 0…7"),
    "grid25": (_grid25(), np.full(25, 0.05), np.full(25, 1 / 25), "centres {−4, −2, 0, 2, 4}²"),
}


# --------------------------------------------------------------------------------------------- uniform sets


class Uniform1D(Dataset):
    """U(lo, hi) in 1D with exact density 1/(hi − lo) on [lo, hi] and exact CDF."""

    def __init__(self, name: str = "uniform1d", lo: float = -1.0, hi: float = 1.0):
        self.name, self.lo, self.hi = name, float(lo), float(hi)
        self.shape = (1,)
        self.bounds = make_bounds([self.lo], [self.hi])
        self.description = f"1D: U({_fmt(self.lo)}, {_fmt(self.hi)})"

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` uniform draws on [lo, hi)."""
        return self.lo + (self.hi - self.lo) * torch.rand(n, 1, generator=generator)

    def density(self, x: np.ndarray) -> np.ndarray:
        """1/(hi − lo) inside [lo, hi], 0 outside."""
        x = _as_points(x, 1)[:, 0]
        return np.where((x >= self.lo) & (x <= self.hi), 1.0 / (self.hi - self.lo), 0.0)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """clip((x − lo)/(hi − lo), 0, 1)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        return np.clip((x - self.lo) / (self.hi - self.lo), 0.0, 1.0)


class Checkerboard(Dataset):
    """Uniform on the black squares of an n×n board of unit squares covering [−n/2, n/2]².

    Square (i, j) = [−n/2 + i, −n/2 + i + 1) × [−n/2 + j, −n/2 + j + 1), i, j = 0…n−1, is black when i + j is
    even (the bottom-left square is black). With n = 4 (even) there are 8 black squares of area 1, so the exact
    density is 1/8 on the black squares and 0 elsewhere.
    """

    def __init__(self, name: str = "checkerboard", n: int = 4):
        if n % 2:
            raise ValueError("Checkerboard needs an even board size")
        self.name, self.n = name, int(n)
        self.shape = (2,)
        self.half = n / 2.0
        self.n_black = n * n // 2
        self.bounds = make_bounds([-self.half] * 2, [self.half] * 2)
        self.description = (f"2D: uniform on the {self.n_black} black unit squares of a {n}×{n} board on "
                            f"[{_fmt(-self.half)}, {_fmt(self.half)}]², black where i + j is even "
                            f"(bottom-left black), density 1/{self.n_black} there")

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Row j uniform, then one of the n/2 black columns of that row, then a uniform point in the square."""
        j = torch.randint(0, self.n, (n,), generator=generator)
        i = 2 * torch.randint(0, self.n // 2, (n,), generator=generator) + j % 2
        u = torch.rand(n, 2, generator=generator)
        return torch.stack([i, j], dim=1).to(torch.float32) + u - self.half

    def is_black(self, x: np.ndarray) -> np.ndarray:
        """(m,) bool: whether each (m, 2) point lies on a black square of the board."""
        x = _as_points(x, 2)
        ij = np.floor(x + self.half)
        inside = ((ij >= 0) & (ij < self.n)).all(1)
        return inside & (ij.sum(1) % 2 == 0)

    def density(self, x: np.ndarray) -> np.ndarray:
        """Exact pdf: 1/(number of black squares) on the black squares, 0 elsewhere."""
        return np.where(self.is_black(x), 1.0 / self.n_black, 0.0)


# --------------------------------------------------------------------------------------------- noisy curves

Arm = Callable[[torch.Tensor], torch.Tensor]  # u (n,) in [0, 1] -> (n, 2) points on the noiseless curve


class NoisyCurves(Dataset):
    """Arm a with probability w_a, u ~ U(0, 1), x = f_a(u) + N(0, σ² I). Density unknown (None)."""

    def __init__(self, name: str, arms: list[Arm], weights, noise: float, description: str):
        self.name, self.arms, self.noise = name, arms, float(noise)
        self._w = torch.as_tensor(np.asarray(weights, dtype=np.float64))
        self.shape = (2,)
        self.description = description
        u = torch.linspace(0.0, 1.0, 4001, dtype=torch.float64)
        curve = torch.cat([f(u) for f in arms]).numpy()
        self.bounds = make_bounds(curve.min(0) - NOISE_SIGMAS * self.noise, curve.max(0) + NOISE_SIGMAS * self.noise)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws: arm from the weights, position u ~ U(0, 1) along it, Gaussian noise."""
        idx = _choose(self._w, n, generator)
        u = torch.rand(n, generator=generator)
        z = torch.randn(n, 2, generator=generator)
        if len(self.arms) == 1:
            on_curve = self.arms[0](u)
        else:
            on_curve = torch.stack([f(u) for f in self.arms])[idx, torch.arange(n)]
        return on_curve.to(torch.float32) + self.noise * z


class Circles(NoisyCurves):
    """Concentric circles of radii r_a (weights w_a), uniform angle, isotropic Gaussian noise σ: exact density.

    One ring of radius r with noise σ has the 2D Rice density
    p(x) = exp(−(ρ² + r²)/(2σ²)) I0(ρ r/σ²) / (2πσ²), ρ = |x|; computed with the scaled Bessel function
    i0e(z) = exp(−z) I0(z) as exp(−(ρ − r)²/(2σ²)) i0e(ρ r/σ²) / (2πσ²).
    """

    def __init__(self, name: str, radii, weights, noise: float):
        self.radii = np.asarray(radii, dtype=np.float64)
        self.ring_weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
        arms = [partial(_circle, float(r)) for r in self.radii]
        desc = ("2D: concentric circles, radii " + ", ".join(map(_fmt, self.radii)) + " with weights "
                + ", ".join(map(_fmt, self.ring_weights)) + f", uniform angle, Gaussian noise std {_fmt(noise)}")
        super().__init__(name, arms, self.ring_weights, noise, desc)

    def density(self, x: np.ndarray) -> np.ndarray:
        """Exact pdf: weighted sum of the Rice densities of the rings."""
        rho = np.sqrt((_as_points(x, 2) ** 2).sum(1))[:, None]
        r, s2 = self.radii[None, :], self.noise**2
        rings = np.exp(-((rho - r) ** 2) / (2 * s2)) * i0e(rho * r / s2) / (2 * np.pi * s2)
        return rings @ self.ring_weights


def _circle(r: float, u: torch.Tensor) -> torch.Tensor:
    t = 2 * math.pi * u
    return r * torch.stack([torch.cos(t), torch.sin(t)], dim=1)


def _swissroll(u: torch.Tensor) -> torch.Tensor:
    t = 1.5 * math.pi * (1 + 2 * u)
    return torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / 7.5


def _moon(sign: float, u: torch.Tensor) -> torch.Tensor:
    t = math.pi * u
    return sign * torch.stack([torch.cos(t) - 0.5, torch.sin(t) - 0.25], dim=1)


def _spiral_arm(phase: float, u: torch.Tensor) -> torch.Tensor:
    t = 3 * math.pi * torch.sqrt(u)
    r = 2 * t / (3 * math.pi)
    return r[:, None] * torch.stack([torch.cos(t + phase), torch.sin(t + phase)], dim=1)


# name -> factory. Every parameter is in the description string next to the code that uses it.
CURVES: dict[str, Callable[[], NoisyCurves]] = {
    "swissroll": lambda: NoisyCurves(
        "swissroll", [_swissroll], [1.0], 0.25 / 7.5,
        "2D: swiss roll, u ~ U(0, 1), t = 1.5π(1 + 2u), x = (t cos t, t sin t)/7.5 + N(0, (0.25/7.5)² I)"),
    "moons": lambda: NoisyCurves(
        "moons", [partial(_moon, 1.0), partial(_moon, -1.0)], [0.5, 0.5], 0.1,
        "2D: two moons, weights ½, ½, t = πu, u ~ U(0, 1); upper (cos t − 0.5, sin t − 0.25), "
        "lower = −upper, + N(0, 0.1² I)"),
    "spiral": lambda: NoisyCurves(
        "spiral", [partial(_spiral_arm, 0.0), partial(_spiral_arm, math.pi)], [0.5, 0.5], 0.05,
        "2D: two-armed spiral, weights ½, ½, u ~ U(0, 1), t = 3π√u, radius 2t/(3π), "
        "angle t + aπ for arm a = 0, 1, + N(0, 0.05² I)"),
    "circles": lambda: Circles("circles", [1.0, 2.0], [0.5, 0.5], 0.05),
}


# --------------------------------------------------------------------------------------------- registry


def _mixture(name: str) -> GaussianMixture:
    centres, stds, weights, layout = MIXTURES[name]
    return GaussianMixture(name, centres, stds, weights, layout)


TOY_DATASETS: dict[str, Callable[[], Dataset]] = {
    **{name: partial(_mixture, name) for name in ("gauss1d", "shifted1d", "bimodal1d", "trimodal1d")},
    "uniform1d": Uniform1D,
    **{name: partial(_mixture, name) for name in ("ring8", "grid25")},
    "swissroll": CURVES["swissroll"],
    "moons": CURVES["moons"],
    "spiral": CURVES["spiral"],
    "checkerboard": Checkerboard,
    "circles": CURVES["circles"],
}
