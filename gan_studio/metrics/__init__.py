"""Measurements on arrays: JS, W1, critic estimates, mode coverage, singular values. NumPy/SciPy only, no torch.

Every function documents its estimator, its bias and the sample size it uses. ``point_metrics`` computes the
cheap sample-based columns of metrics.csv for 1D/2D points in one call; the score- and gradient-based columns
(``js_d``, ``w1_critic``, ``lip``, ``w1_lb``, ``gx_*``, ``sigma_d_<i>``) come from ``js_from_scores``,
``critic_w1``, ``w1_lower_bound`` and ``gan_studio.measure.gradients.gradient_diagnostics``; ``fdiv_d`` is
``objectives.fgan.bound``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gan_studio.metrics.coverage import (
    HQ_STDS,
    REACHED_SHARE,
    mode_coverage,
    modes_reached,
    nearest_mode,
    reach_radii,
)
from gan_studio.metrics.divergence import (
    default_bins,
    density_masses,
    histogram_masses,
    js_density_vs_samples,
    js_discrete,
    js_estimate,
    js_from_scores,
    js_noise_floor,
    js_samples,
    js_samples_noise_floor,
    optimal_d,
    sample_bounds,
)
from gan_studio.metrics.gradients import lipschitz_estimate, mean_norm, top_singular_value
from gan_studio.metrics.transport import (
    EXACT_OT_MS,
    FAST_OT_N,
    MAX_EXACT_N,
    critic_w1,
    ecdf,
    optimal_critic_1d,
    projection_directions,
    sliced_w1,
    w1_1d,
    w1_exact,
    w1_lower_bound,
)

__all__ = [
    "EXACT_OT_MS", "FAST_OT_N", "HQ_STDS", "MAX_EXACT_N", "critic_w1", "default_bins", "density_masses",
    "ecdf", "histogram_masses", "js_density_vs_samples", "js_discrete", "js_estimate", "js_from_scores",
    "js_noise_floor", "js_samples", "js_samples_noise_floor", "lipschitz_estimate", "mean_norm", "mode_coverage",
    "modes_reached", "nearest_mode", "REACHED_SHARE", "reach_radii",
    "optimal_critic_1d", "optimal_d", "point_metrics", "projection_directions", "sample_bounds",
    "sliced_w1", "top_singular_value", "w1_1d", "w1_exact", "w1_lower_bound",
]


def point_metrics(fake: np.ndarray, real: np.ndarray, real2: np.ndarray, *, bounds: np.ndarray,
                  rng: np.random.Generator, density: Callable | None = None, cdf: Callable | None = None,
                  centres: np.ndarray | None = None, stds: np.ndarray | None = None,
                  weights: np.ndarray | None = None, exact_ot_n: int = 0, n_proj: int = 128) -> dict[str, float]:
    """Sample-based metrics.csv columns for 1D/2D points: js, js_floor, sw1 (2D), w1, w1_floor, modes, hq, rkl.

    ``fake``: n generated points; ``real``, ``real2``: two INDEPENDENT data samples of the same size n (the noise
    floors need them). ``density``/``cdf`` may be a Dataset's methods (None results mean "unknown": JS falls back
    to samples vs samples). W1: exact in 1D always; in 2D exact OT only when ``exact_ot_n`` > 0, on the first
    ``exact_ot_n`` (≤ 2048) points of each sample (w1 and w1_floor are then absent otherwise). Coverage when
    ``centres`` and ``stds`` are given (``weights``: the mixture's, for rkl; None = equal). ``rng`` seeds the
    sliced-W1 directions only.
    """
    fake = np.asarray(fake, dtype=np.float64)
    real = np.asarray(real, dtype=np.float64)
    real2 = np.asarray(real2, dtype=np.float64)
    dim = 1 if fake.ndim == 1 else fake.shape[1]
    js, js_floor, _ = js_estimate(fake, bounds, density=density, cdf=cdf, data_samples=real, data_samples_2=real2)
    row: dict[str, float] = {"js": js, "js_floor": js_floor}
    if dim == 1:
        row["w1"] = w1_1d(real, fake)
        row["w1_floor"] = w1_1d(real, real2)
    else:
        row["sw1"] = sliced_w1(real, fake, rng, n_proj)
        if exact_ot_n > 0:
            m = min(exact_ot_n, MAX_EXACT_N, len(fake), len(real), len(real2))
            row["w1"] = w1_exact(real[:m], fake[:m])
            row["w1_floor"] = w1_exact(real[:m], real2[:m])
    if centres is not None and stds is not None:
        row.update(mode_coverage(fake, centres, stds, weights=weights))
    return {k: (float(v) if v is not None else math.nan) for k, v in row.items()}
