"""Kernel two-sample estimates on arrays: MMD² with a Gaussian(-mixture) kernel and the energy distance. NumPy only.

Samples are (n,) for 1D or (n, d) arrays; distances are Euclidean. Both estimators build the full pairwise matrices,
O((m + n)²) memory and time: 3 × 2000² float64 matrices are ≈ 100 MB and ≈ 0.2 s, so keep m, n ≤ ~3000.

**MMD² (``mmd2_unbiased``)** with k(x, y) = Σ_σ exp(−‖x − y‖² / (2σ²)) (one σ: a Gaussian kernel; several: the
equal-weight mixture GMMN uses). The U-statistic of Gretton et al. (2012, eq. 3):

    MMD²_u = 1/(m(m−1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n−1)) Σ_{i≠j} k(y_i, y_j) − 2/(mn) Σ_{i,j} k(x_i, y_j)

Unbiased for MMD²(P, Q) at any m, n ≥ 2, so it can be negative when P ≈ Q (its noise floor is ≈ 0 in expectation,
with standard deviation O(1/n) when P = Q and O(1/√n) when P ≠ Q). The V-statistic (diagonals included) would be
biased upward by ≈ (k(x, x) − E k)/m + (k(y, y) − E k)/n.

**Energy distance (``energy_distance``)** ED(P, Q) = 2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ ≥ 0 (Székely & Rizzo),
zero iff P = Q; in 1D it equals 2∫(F − G)² dx (Cramér's distance, the one Cramér GAN's critic estimates, up to
that factor 2). ``unbiased=True``: the U-statistic (E‖X − X'‖ averaged over the m(m−1) pairs i ≠ j), unbiased, may
be slightly negative. ``unbiased=False``: the V-statistic (all m² pairs, the zero diagonal included), which is
exactly the energy distance between the two empirical distributions (so exactly 2∫(F_m − G_n)² in 1D) and is
biased upward by E‖X − X'‖/m + E‖Y − Y'‖/n in expectation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial.distance import cdist

GMMN_BANDWIDTHS: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 40.0, 80.0)
"""σ of the Gaussian-mixture kernel of GMMN (Li, Swersky & Zemel 2015, MNIST experiments)."""


def _points(x: np.ndarray) -> np.ndarray:
    """(n, d) float64 copy; (n,) is read as n 1D points."""
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x.reshape(len(x), -1)


def gaussian_mixture_gram(x: np.ndarray, y: np.ndarray, bandwidths: Sequence[float]) -> np.ndarray:
    """(m, n) matrix Σ_σ exp(−‖x_i − y_j‖² / (2σ²)) for points x (m, d), y (n, d)."""
    d2 = cdist(_points(x), _points(y), "sqeuclidean")
    return sum(np.exp(-d2 / (2.0 * float(s) ** 2)) for s in bandwidths)


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, bandwidths: Sequence[float] = GMMN_BANDWIDTHS) -> float:
    """Unbiased MMD²_u between samples x (m ≥ 2) and y (n ≥ 2), Gaussian(-mixture) kernel with ``bandwidths`` σ."""
    x, y = _points(x), _points(y)
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(f"MMD²_u needs at least 2 samples on each side, got {m} and {n}")
    kxx = gaussian_mixture_gram(x, x, bandwidths)
    kyy = gaussian_mixture_gram(y, y, bandwidths)
    kxy = gaussian_mixture_gram(x, y, bandwidths)
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * kxy.mean())


def energy_distance(x: np.ndarray, y: np.ndarray, unbiased: bool = True) -> float:
    """Energy distance 2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖: U-statistic (``unbiased``) or V-statistic (module doc)."""
    x, y = _points(x), _points(y)
    m, n = len(x), len(y)
    if unbiased and (m < 2 or n < 2):
        raise ValueError(f"the U-statistic needs at least 2 samples on each side, got {m} and {n}")
    dxx = cdist(x, x).sum()  # the diagonal is 0 either way; only the normaliser differs
    dyy = cdist(y, y).sum()
    dxy = cdist(x, y).mean()
    if unbiased:
        return float(2.0 * dxy - dxx / (m * (m - 1)) - dyy / (n * (n - 1)))
    return float(2.0 * dxy - dxx / m**2 - dyy / n**2)


def cramer_1d(x: np.ndarray, y: np.ndarray) -> float:
    """2∫(F_x − F_y)² dt between the empirical CDFs of two 1D samples, exactly (a step-function integral).

    Equal to ``energy_distance(x, y, unbiased=False)``: the 1D identity ED = 2∫(F − G)² holds for any two
    distributions, the empirical ones included.
    """
    x = np.sort(np.asarray(x, dtype=np.float64).ravel())
    y = np.sort(np.asarray(y, dtype=np.float64).ravel())
    t = np.sort(np.concatenate([x, y]))
    f = np.searchsorted(x, t[:-1], side="right") / len(x)  # both CDFs are constant on [t_k, t_{k+1})
    g = np.searchsorted(y, t[:-1], side="right") / len(y)
    return float(2.0 * np.sum((f - g) ** 2 * np.diff(t)))
