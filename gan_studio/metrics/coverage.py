"""Mode coverage of a mixture (REFERENCE.md): modes covered, high-quality %, reverse KL, and the coarser modes
reached. NumPy only."""

from __future__ import annotations

import math

import numpy as np

HQ_STDS = 3.0  # a sample is high quality when it lies within this many stds of its nearest centre
REACHED_SHARE = 0.01  # a mode is reached when at least this share of all samples lands in its region


def nearest_mode(samples: np.ndarray, centres: np.ndarray, stds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, distance in stds) of each sample's nearest centre (Euclidean), distance divided by that mode's std.

    Non-finite samples get index −1 and distance +inf.
    """
    x = np.asarray(samples, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    c = np.asarray(centres, dtype=np.float64).reshape(-1, x.shape[1])
    s = np.asarray(stds, dtype=np.float64).ravel()
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    ok = np.all(np.isfinite(x), axis=1)
    idx = np.where(ok, np.argmin(np.where(np.isfinite(d2), d2, np.inf), axis=1), -1)
    dist = np.full(len(x), np.inf)
    dist[ok] = np.sqrt(d2[ok, idx[ok]]) / s[idx[ok]]
    return idx, dist


def mode_coverage(samples: np.ndarray, centres: np.ndarray, stds: np.ndarray, threshold: float = HQ_STDS,
                  weights: np.ndarray | None = None) -> dict[str, float]:
    """{"modes", "hq", "rkl"} for generated ``samples`` of a mixture with ``centres`` (k, dim), ``stds`` (k,)
    and ``weights`` (k,) (None: equal weights).

    Each sample is assigned to its nearest centre (Euclidean); it is high quality (HQ) when that distance is
    < ``threshold`` stds of that mode. modes = number of modes with ≥ 1 HQ sample; hq = 100 · HQ / n (percent);
    rkl = KL(q ‖ w) in nats of the HQ samples' mode histogram q against the mixture weights w (0 when q = w,
    log(1/w_j) when all samples sit in mode j); rkl is NaN when no sample is HQ (q undefined). Exact counts, no
    estimator bias; REFERENCE.md uses n = 2,500. +inf when q has mass on a mode of weight 0.
    """
    k = len(np.asarray(stds).ravel())
    w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64).ravel() / np.sum(weights)
    idx, dist = nearest_mode(samples, centres, stds)
    hq = dist < threshold
    counts = np.bincount(idx[hq], minlength=k).astype(np.float64)
    n_hq = counts.sum()
    if n_hq > 0:
        q = counts / n_hq
        nz = q > 0
        # log(q k) − log(w k) is log(q / w), written so that equal weights (w k = 1) give exactly the bits of
        # the uniform formula Σ q log(q k) that earlier runs recorded
        with np.errstate(divide="ignore"):
            rkl = float(np.sum(q[nz] * (np.log(q[nz] * k) - np.log(w[nz] * k))))
    else:
        rkl = math.nan
    return {"modes": float(np.count_nonzero(counts)), "hq": 100.0 * n_hq / max(len(idx), 1), "rkl": rkl}


def reach_radii(centres: np.ndarray, stds: np.ndarray, single_stds: float = HQ_STDS) -> np.ndarray:
    """(k,) radius of each mode's region for ``modes_reached``: half the Euclidean distance from its centre to the
    nearest other centre (the regions are then disjoint, and a sample inside one is nearest to that centre); a
    mixture of one mode has no other centre: ``single_stds`` of its std (3, the high-quality radius)."""
    s = np.asarray(stds, dtype=np.float64).ravel()
    c = np.asarray(centres, dtype=np.float64).reshape(len(s), -1)
    if len(s) == 1:
        return single_stds * s
    d = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    return 0.5 * d.min(axis=1)


def modes_reached(samples: np.ndarray, centres: np.ndarray, stds: np.ndarray,
                  share: float = REACHED_SHARE) -> float:
    """Modes reached: the number of modes j whose region (``reach_radii``: the ball of radius r_j, half the
    distance to the nearest other centre) holds ≥ ``share`` · n of the n ``samples`` (non-finite samples count in
    n and reach nothing). A coarse count that agrees with the picture: a generator that puts its samples near
    every cluster, but not within 3 stds (``mode_coverage``'s high quality), reaches them all. Exact counts, no
    estimator; the 1 % share keeps a handful of stray samples from counting a mode.
    """
    s = np.asarray(stds, dtype=np.float64).ravel()
    idx, dist = nearest_mode(samples, centres, np.ones_like(s))  # unit "stds": dist is the Euclidean distance
    n = len(idx)
    if n == 0:
        return 0.0
    r = reach_radii(centres, s)
    inside = (idx >= 0) & (dist < r[np.maximum(idx, 0)])
    counts = np.bincount(idx[inside], minlength=len(s))
    return float(np.count_nonzero(counts >= share * n))
