"""Jensen–Shannon estimates (nats, in [0, log 2]) and the optimal discriminator curve.

All functions take NumPy arrays and return floats or arrays; nothing here imports torch.

**Histogram estimator (the one behind the ``js`` and ``js_floor`` columns).** Both distributions are reduced to
masses on the same cells: a regular grid of ``bins`` cells per axis over ``bounds`` plus ONE explicit *outside*
cell holding everything beyond the grid, so both mass vectors sum to 1 exactly and no sample is dropped
(non-finite samples count as outside). The data's cell masses come from its exact CDF (1D, when given) or from
its exact density by a ``sub``-point-per-axis midpoint rule in each cell; the data's outside mass is
1 − (mass on the grid). The generator's masses are sample counts / n. Then JS of the two discrete distributions.

Why one outside cell is enough: a region where p_data = 0 adds ½·q·log 2 to JS however it is split into cells,
so lumping it together loses nothing as long as the bounds hold (nearly) all the data mass (the data sets'
plotting bounds reach ≥ 4 std past every mode). In the samples-vs-samples variant the default bounds are the data
sample's own range, where the data histogram is exactly 0 outside.

Bias: (i) binning can only lower JS (data-processing inequality; a difference finer than a cell is invisible);
(ii) a generator histogram from n samples adds a positive noise term of about (occupied cells − 1)/(8n) when the
distributions are close. (ii) is what the **noise floor** measures: the same estimator with a data sample of
the same size in place of the generator sample (``js_noise_floor``). An estimate near its floor means
"indistinguishable at this n and resolution", not "zero".

Defaults: 100 cells in 1D, 50 × 50 in 2D; ``sub`` = 16 (1D) / 8 (2D) quadrature points per cell and axis, which
integrates the tightest toy mode (std 0.02 on 0.1-wide cells) to 1e-6 of its mass. Floors measured at n = 2,500
on the toy sets' own bounds: bimodal1d 0.004, ring8 0.001, grid25 0.005, swissroll (samples vs samples) 0.05.
The 2D data masses are memoised per (density, cdf, bounds, bins, sub): ~0.1–0.3 s the first time, then free.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import log_expit, rel_entr

LOG2 = math.log(2.0)
DEFAULT_BINS = {1: 100, 2: 50}
DEFAULT_SUB = {1: 16, 2: 8}


def _points(x: np.ndarray, dim: int | None = None) -> np.ndarray:
    """(n, dim) float64 copy of points; (n,) is read as 1D."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"expected points with {dim} coordinates, got shape {x.shape}")
    return x


def _bounds(bounds: np.ndarray) -> np.ndarray:
    """(dim, 2) float64 bounds with lo < hi on every axis."""
    b = np.atleast_2d(np.asarray(bounds, dtype=np.float64))
    if b.shape[1] != 2 or not np.all(b[:, 1] > b[:, 0]):
        raise ValueError(f"bounds must be (dim, 2) with lo < hi per axis, got {b.tolist()}")
    return b


def default_bins(dim: int) -> int:
    """Cells per axis used when ``bins`` is None: 100 in 1D, 50 in 2D."""
    if dim not in DEFAULT_BINS:
        raise ValueError(f"histogram JS is defined for 1D and 2D points, got dim {dim}")
    return DEFAULT_BINS[dim]


def histogram_masses(samples: np.ndarray, bounds: np.ndarray, bins: int | None = None) -> np.ndarray:
    """Sample fractions on a regular ``bins``-per-axis grid over ``bounds`` plus one outside cell (last entry).

    Returns a flat array of length bins**dim + 1 summing to 1 exactly; cell (i0, i1) is entry i0·bins + i1
    (i0 along the first coordinate). Samples outside the grid or non-finite go to the outside cell; none is
    dropped.
    """
    b = _bounds(bounds)
    dim = b.shape[0]
    x = _points(samples, dim)
    n = x.shape[0]
    k = bins or default_bins(dim)
    if n == 0:
        raise ValueError("histogram of an empty sample")
    width = (b[:, 1] - b[:, 0]) / k
    with np.errstate(invalid="ignore"):
        idx = np.floor((x - b[:, 0]) / width)
    # A sample exactly on the upper edge belongs to the last cell (as in np.histogram).
    idx[x == b[:, 1]] = k - 1
    inside = np.all(np.isfinite(idx) & (idx >= 0) & (idx < k), axis=1)
    flat = np.ravel_multi_index(tuple(idx[inside].astype(np.int64).T), (k,) * dim)
    counts = np.bincount(flat, minlength=k**dim).astype(np.float64)
    out = np.empty(k**dim + 1)
    out[:-1] = counts / n
    out[-1] = (n - counts.sum()) / n
    return out


def density_masses(density: Callable[[np.ndarray], np.ndarray | None], bounds: np.ndarray,
                   bins: int | None = None, cdf: Callable[[np.ndarray], np.ndarray | None] | None = None,
                   sub: int | None = None) -> np.ndarray | None:
    """Exact-distribution masses on the same cells as ``histogram_masses`` (grid cells, then the outside cell).

    1D with ``cdf``: exact, F(right edge) − F(left edge). Otherwise a midpoint rule with ``sub`` points per cell
    and axis on ``density`` ((m, dim) points -> (m,) pdf). Outside mass = 1 − grid mass; if quadrature error
    makes the grid mass exceed 1, the grid masses are rescaled to 1 (outside 0). Returns None when ``density``
    returns None (no closed form).
    """
    return _density_masses(density, bounds, bins, cdf, sub)[0]


def _density_masses(density, bounds, bins, cdf, sub) -> tuple[np.ndarray | None, str]:
    """``density_masses`` and the word for how they were computed ("exact CDF" / "exact density")."""
    b = _bounds(bounds)
    dim = b.shape[0]
    k = bins or default_bins(dim)
    if dim == 1 and cdf is not None:
        F = cdf(np.linspace(b[0, 0], b[0, 1], k + 1))
        if F is not None:
            return _close(np.clip(np.diff(np.asarray(F, dtype=np.float64)), 0.0, None)), "exact CDF"
    if density is None:
        return None, ""
    s = sub or DEFAULT_SUB[dim]
    width = (b[:, 1] - b[:, 0]) / k
    # Sub-points of every cell along each axis, in cell order: (k*s,) per axis.
    axes = [b[a, 0] + (np.arange(k * s) + 0.5) * (width[a] / s) for a in range(dim)]
    mesh = np.meshgrid(*axes, indexing="ij")
    vals = density(np.stack([m.ravel() for m in mesh], axis=1))
    if vals is None:
        return None, ""
    vals = np.asarray(vals, dtype=np.float64).reshape((k, s) if dim == 1 else (k, s, k, s))
    grid = vals.sum(axis=1 if dim == 1 else (1, 3)).ravel() * float(np.prod(width / s))
    return _close(grid), "exact density"


_MASS_CACHE: dict = {}
_MASS_CACHE_SIZE = 8


def _cached_density_masses(density, bounds, bins, cdf, sub) -> tuple[np.ndarray | None, str]:
    """``_density_masses`` memoised on (density, cdf, bounds, bins, sub): the data's masses are fixed for a run,
    and the 2D quadrature is the expensive part of JS (~0.3 s for a mixture on 50² cells × 8² points)."""
    b = _bounds(bounds)
    try:
        key = (density, cdf, b.tobytes(), bins, sub)
        hash(key)
    except TypeError:  # unhashable callable: no caching
        return _density_masses(density, b, bins, cdf, sub)
    if key not in _MASS_CACHE:
        if len(_MASS_CACHE) >= _MASS_CACHE_SIZE:
            _MASS_CACHE.pop(next(iter(_MASS_CACHE)))
        _MASS_CACHE[key] = _density_masses(density, b, bins, cdf, sub)
    return _MASS_CACHE[key]


def _close(grid: np.ndarray) -> np.ndarray:
    """Append the outside cell 1 − Σ grid (rescaling the grid if its mass exceeds 1)."""
    total = grid.sum()
    if total > 1.0:
        grid = grid / total
        total = 1.0
    return np.append(grid, 1.0 - total)


def js_discrete(p: np.ndarray, q: np.ndarray) -> float:
    """JS(p ‖ q) in nats between two mass vectors on the same cells (each must sum to 1 within 1e-6).

    JS = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2, with 0·log 0 = 0. Exact for the discrete distributions; the
    result is clipped to [0, log 2] against rounding.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    for name, v in (("p", p), ("q", q)):
        if abs(v.sum() - 1.0) > 1e-6 or np.any(v < 0):
            raise ValueError(f"{name} is not a distribution: its masses sum to {v.sum():.6g}")
    m = 0.5 * (p + q)
    js = 0.5 * rel_entr(p, m).sum() + 0.5 * rel_entr(q, m).sum()
    return float(np.clip(js, 0.0, LOG2))


def js_density_vs_samples(density: Callable[[np.ndarray], np.ndarray | None], samples: np.ndarray,
                          bounds: np.ndarray, bins: int | None = None,
                          cdf: Callable[[np.ndarray], np.ndarray | None] | None = None,
                          sub: int | None = None) -> float | None:
    """JS(p_data ‖ p_g), nats: exact data masses (``cdf``/``density``) vs the generator sample's histogram.

    Estimator, bias and grid: see the module docstring (histogram of n = len(samples) points, ``bins`` cells per
    axis over ``bounds`` plus an outside cell; binning biases down, sampling noise up, floor ≈ (cells−1)/(8n)).
    Returns None when the data density is unknown (``density`` returns None).
    """
    p = _cached_density_masses(density, bounds, bins, cdf, sub)[0]
    if p is None:
        return None
    return js_discrete(p, histogram_masses(samples, bounds, bins))


def js_noise_floor(density: Callable[[np.ndarray], np.ndarray | None], data_samples: np.ndarray,
                   bounds: np.ndarray, bins: int | None = None,
                   cdf: Callable[[np.ndarray], np.ndarray | None] | None = None,
                   sub: int | None = None) -> float | None:
    """Noise floor of ``js_density_vs_samples``: the same estimator with a DATA sample (same n as the fakes)."""
    return js_density_vs_samples(density, data_samples, bounds, bins, cdf=cdf, sub=sub)


def sample_bounds(samples: np.ndarray, pad: float = 0.01) -> np.ndarray:
    """(dim, 2) bounds: the finite range of ``samples`` on each axis, padded by ``pad`` of the width each side."""
    x = _points(samples)
    x = x[np.all(np.isfinite(x), axis=1)]
    if len(x) == 0:
        raise ValueError("no finite samples to take bounds from")
    lo, hi = x.min(axis=0), x.max(axis=0)
    w = np.where(hi > lo, hi - lo, 1.0)
    return np.stack([lo - pad * w, hi + pad * w], axis=1)


def js_samples(data_samples: np.ndarray, gen_samples: np.ndarray, bounds: np.ndarray | None = None,
               bins: int | None = None) -> float:
    """JS(p_data ‖ p_g), nats, when the data density is unknown: histogram vs histogram on the same cells.

    Cells: ``bins`` per axis over ``bounds`` widened to contain the data sample's range (padded 1 %; default: that
    range alone), so the data histogram is exactly 0 in the outside cell and lumping the generator's outside
    samples loses nothing. Both sides are noisy: the floor is this estimator on two independent data samples of
    the generator's size (``js_samples_noise_floor``), ≈ (cells−1)/(4n) for close distributions with equal n.
    Binning biases down.
    """
    own = sample_bounds(data_samples)
    if bounds is not None:
        b = _bounds(bounds)
        bounds = np.stack([np.minimum(b[:, 0], own[:, 0]), np.maximum(b[:, 1], own[:, 1])], axis=1)
    else:
        bounds = own
    return js_discrete(histogram_masses(data_samples, bounds, bins), histogram_masses(gen_samples, bounds, bins))


def js_samples_noise_floor(data_a: np.ndarray, data_b: np.ndarray, bounds: np.ndarray | None = None,
                           bins: int | None = None) -> float:
    """Noise floor of ``js_samples``: the same estimator on two independent data samples (b of the fakes' size)."""
    return js_samples(data_a, data_b, bounds, bins)


def js_estimate(gen_samples: np.ndarray, bounds: np.ndarray, *, density: Callable | None = None,
                cdf: Callable | None = None, data_samples: np.ndarray | None = None,
                data_samples_2: np.ndarray | None = None, bins: int | None = None) -> tuple[float, float, str]:
    """(js, js_floor, method): exact-density estimator when ``density`` knows the pdf, else samples vs samples.

    ``density``/``cdf`` may be a Dataset's methods (they return None when unknown). With a density the floor uses
    ``data_samples`` (a data sample of the fakes' size); without one, js = js_samples(data_samples, fakes,
    bounds) and the floor needs a second independent data sample ``data_samples_2``. The method string states
    the estimator, cells and n.
    """
    b = _bounds(bounds)
    dim = b.shape[0]
    k = bins or default_bins(dim)
    n = len(gen_samples)
    cells = "×".join([str(k)] * dim)
    p, how = _cached_density_masses(density, b, k, cdf, None)
    if p is not None:
        js = js_discrete(p, histogram_masses(gen_samples, b, k))
        floor = js_discrete(p, histogram_masses(data_samples, b, k)) if data_samples is not None else math.nan
        return js, floor, f"JS: {how} vs histogram, {cells} cells + outside cell, n = {n}"
    if data_samples is None:
        raise ValueError("the data density is unknown: js_estimate needs data_samples")
    js = js_samples(data_samples, gen_samples, b, k)
    floor = js_samples(data_samples, data_samples_2, b, k) if data_samples_2 is not None else math.nan
    return js, floor, f"JS: histogram vs histogram, {cells} cells + outside cell, n = {n} / {len(data_samples)}"


def js_from_scores(s_r: np.ndarray, s_f: np.ndarray) -> float:
    """D-implied JS in nats: (V + log 4)/2, V = mean log σ(s_r) + mean log(1 − σ(s_f)) (raw scores, stable).

    For the optimal D (score log p_data − log p_g) the expectation equals JS exactly; for any other D it is a
    lower bound in expectation (V ≤ 2 JS − log 4), and can be negative for a poor D — it is NOT clipped.
    Sampling error ≈ sd(log σ(s))/√n per term; use fresh batches, not the batch D just trained on.
    """
    s_r = np.asarray(s_r, dtype=np.float64).ravel()
    s_f = np.asarray(s_f, dtype=np.float64).ravel()
    v = log_expit(s_r).mean() + log_expit(-s_f).mean()
    return float((v + math.log(4.0)) / 2.0)


def optimal_d(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g) (probability) from density values on a grid; NaN where both are 0."""
    p = np.asarray(p_data, dtype=np.float64)
    q = np.asarray(p_g, dtype=np.float64)
    s = p + q
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, p / np.where(s > 0, s, 1.0), np.nan)
