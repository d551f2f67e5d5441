"""Wasserstein-1 estimates: exact 1D, exact 2D optimal transport, sliced W1, the critic estimate, the optimal 1D
critic. NumPy/SciPy only.

All W1 values here are between EMPIRICAL distributions (the samples given). Their noise floor is the same
function on two independent data samples of the same size: for samples of one distribution it is > 0 and shrinks
like n^(−1/2) in 1D and roughly n^(−1/2) (up to a log factor) in 2D. Estimates of W1(p_data, p_g) from n samples
are biased upward by about that floor.

Measured cost of ``w1_exact`` in 2D: see ``EXACT_OT_MS`` (0.06–0.5 s at n = 1024, up to 4.6 s at n = 2048).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

MAX_EXACT_N = 2048
# Wall time (ms) of w1_exact on two 2D samples of n points each, measured on the development machine (2 shared
# cores, one BLAS thread, median of 3). linear_sum_assignment is O(n³) in the worst case and its cost depends on
# the geometry: near-ties (a tight mixture against a diffuse generator) are the slow case.
# n -> (uniform vs uniform, ring8 data vs ring8 data, ring8 data vs a freshly initialised 2→128×3→2 generator)
EXACT_OT_MS = {512: (19, 13, 62), 1024: (78, 61, 509), 2048: (439, 293, 4645)}
# The W1 panel's main line in 2D is exact transport on this many points at every measurement. Measured as above
# (median of 5): n = 256 costs 6–14 ms (uniform 6.4, ring8 vs ring8 7.0, ring8 vs three collapsed modes 8.5, ring8
# vs a diffuse blob 13.8), against 19–125 ms at 512; n = 128 costs 0.6–6 ms but its floor is ~1.4× higher.
FAST_OT_N = 256


def _points(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x.reshape(len(x), -1)


def w1_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Exact W1 between two 1D empirical distributions (any sizes): ∫ |F_a − F_b| dx.

    Equal sizes: mean |sort(a) − sort(b)|; else ``scipy.stats.wasserstein_distance``. Exact for the samples;
    as an estimate of the population W1 it is biased up by ~ the noise floor (O(n^−1/2)).
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if len(a) == len(b):
        return float(np.mean(np.abs(np.sort(a) - np.sort(b))))
    return float(wasserstein_distance(a, b))


def w1_exact(a: np.ndarray, b: np.ndarray) -> float:
    """Exact W1 between two empirical distributions: 1D by sorting, otherwise optimal assignment.

    For dim ≥ 2 the samples must have equal size n ≤ 2048 (uniform weights, so an optimal plan is a
    permutation): ``scipy.optimize.linear_sum_assignment`` on the EUCLIDEAN distance matrix (not squared: that
    would be W2²), W1 = mean matched distance. Memory n² doubles; time in ``EXACT_OT_MS``.
    """
    a, b = _points(a), _points(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"samples differ in dimension: {a.shape} vs {b.shape}")
    if a.shape[1] == 1:
        return w1_1d(a, b)
    if len(a) != len(b) or len(a) > MAX_EXACT_N or len(a) == 0:
        raise ValueError(f"exact OT needs equal-size samples with 1 ≤ n ≤ {MAX_EXACT_N}, got {len(a)} and {len(b)}")
    cost = cdist(a, b, metric="euclidean")
    if not np.isfinite(cost).all():  # NaN samples, or distances overflowing: no assignment exists, W1 unknown
        return float("nan")
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def projection_directions(dim: int, n_proj: int, rng: np.random.Generator) -> np.ndarray:
    """(n_proj, dim) unit vectors for sliced W1.

    2D: angles (k + u)·π / n_proj, k = 0…n_proj−1, one offset u ~ U(0,1) from ``rng`` (stratified over the half
    circle: integration error O(n_proj^−2) instead of Monte Carlo's n_proj^−1/2). Other dims: normalised
    Gaussian vectors from ``rng``.
    """
    if dim == 2:
        t = (np.arange(n_proj) + rng.uniform()) * (math.pi / n_proj)
        return np.stack([np.cos(t), np.sin(t)], axis=1)
    v = rng.standard_normal((n_proj, dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def sliced_w1(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n_proj: int = 128) -> float:
    """Sliced W1: mean over ``n_proj`` directions θ of the exact 1D W1 between θ·a and θ·b (empirical).

    Directions from ``projection_directions`` (seeded by ``rng``; nothing else is consumed). Every projection is
    1-Lipschitz, so SW1 ≤ W1 for the same samples (for a translation t in 2D, SW1 = (2/π)‖t‖). A cheap trend
    (O(n_proj · n log n)), not W1 itself. Noise floor as for W1. 1D input: exact W1.
    """
    a, b = _points(a), _points(b)
    if a.shape[1] == 1:
        return w1_1d(a, b)
    theta = projection_directions(a.shape[1], n_proj, rng)
    pa, pb = a @ theta.T, b @ theta.T
    if len(a) == len(b):
        return float(np.mean(np.abs(np.sort(pa, axis=0) - np.sort(pb, axis=0))))
    return float(np.mean([wasserstein_distance(pa[:, j], pb[:, j]) for j in range(n_proj)]))


def critic_w1(s_r: np.ndarray, s_f: np.ndarray) -> float:
    """Critic estimate E s_r − E s_f (raw scores on fresh batches; higher = more real).

    By Kantorovich–Rubinstein it is ≤ lip·W1 (up to sampling error ~ sd(s)/√n), lip = D's Lipschitz constant;
    it estimates W1 only when lip ≤ 1 and D is the optimal critic. See ``w1_lower_bound``.
    """
    return float(np.mean(np.asarray(s_r, dtype=np.float64)) - np.mean(np.asarray(s_f, dtype=np.float64)))


def w1_lower_bound(w1_critic: float, lip: float) -> float:
    """w1_lb = w1_critic / lip: a lower bound of W1 (D/lip is 1-Lipschitz). NaN if lip is not finite and > 0."""
    if not (math.isfinite(lip) and lip > 0) or not math.isfinite(w1_critic):
        return math.nan
    return float(w1_critic / lip)


def ecdf(samples: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Empirical CDF of ``samples`` (1D) at ``xs``: fraction of samples ≤ x (non-finite samples count as ±∞)."""
    s = np.sort(np.asarray(samples, dtype=np.float64).ravel())
    return np.searchsorted(s, np.asarray(xs, dtype=np.float64), side="right") / len(s)


def optimal_critic_1d(xs: np.ndarray, gen_samples: np.ndarray, data_cdf: np.ndarray | None = None,
                      data_samples: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Optimal 1D Wasserstein critic on the grid ``xs`` and W1 = ∫ |F_data − F_g| dx over the grid.

    f′(x) = sign(F_g(x) − F_data(x)) (maximises E_data f − E_g f = ∫ f′ (F_g − F_data) dx; higher = more real),
    with F_g the generator sample's ECDF and F_data the exact CDF values ``data_cdf`` at ``xs`` or else the
    ECDF of ``data_samples``. The slope is taken at each grid interval's midpoint and integrated exactly on the
    grid. Convention: f is shifted to zero mean under p_data, using the data mass of each grid interval
    (ΔF_data) at the interval midpoint's f. W1 is the trapezoid integral of |F_data − F_g| between xs[0] and
    xs[-1] (error O(grid step) from the ECDF's jumps; it misses any mass outside the grid).
    """
    xs = np.asarray(xs, dtype=np.float64)
    if data_cdf is None:
        if data_samples is None:
            raise ValueError("optimal_critic_1d needs data_cdf or data_samples")
        F_data = lambda x: ecdf(data_samples, x)  # noqa: E731
    else:
        F_vals = np.asarray(data_cdf, dtype=np.float64)
        F_data = lambda x: np.interp(x, xs, F_vals)  # noqa: E731
    mid = 0.5 * (xs[1:] + xs[:-1])
    dx = np.diff(xs)
    slope = np.sign(ecdf(gen_samples, mid) - F_data(mid))
    f = np.concatenate([[0.0], np.cumsum(slope * dx)])
    dF = np.diff(F_data(xs))
    f_mid = 0.5 * (f[1:] + f[:-1])
    if dF.sum() > 0:
        f -= float(np.sum(f_mid * dF) / dF.sum())
    gap = np.abs(F_data(xs) - ecdf(gen_samples, xs))
    w1 = float(np.sum(0.5 * (gap[1:] + gap[:-1]) * dx))
    return f, w1
