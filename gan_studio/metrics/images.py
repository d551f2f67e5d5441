"""Image estimators on arrays: class coverage and reverse KL, Fréchet distance, sliced W1. NumPy/SciPy only.

The classifier whose probabilities and features these take lives in ``gan_studio.measure.classifier`` (torch);
``gan_studio.measure.images.ImageMetrics`` puts both together into the image columns of metrics.csv:

- ``classes``: number of classes with at least one *confidently* classified generated sample (max class
  probability ≥ ``CONFIDENCE`` = 0.9) — the image analogue of "modes covered".
- ``confident``: percent of generated samples classified confidently (analogue of ``hq``).
- ``rkl``: reverse KL, KL(q ‖ p) in nats, of the class histogram q of the confident generated samples against the
  data's class histogram p (from the labels). 0 when the generator reproduces the class proportions; log(K/m) when
  it puts equal mass on m of K equally frequent classes. +inf when q has mass on a class absent from the data.
- ``fd_classifier``: Fréchet distance between Gaussians fitted to the classifier's penultimate-layer features
  of the generated samples and of the data. Not FID: FID uses an Inception network on natural images. Biased
  upward at finite n.
- ``sw1``: sliced W1 in pixel space ([−1, 1] units), mean over 128 fixed random directions of the exact 1D W1
  between projected samples. SW1 ≤ W1.
- ``sharpness``: mean gradient magnitude (``sharpness``), of the generated images and of the data
  (``sharpness_data``): blur (a VAE's averages) lowers it, noise raises it.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
from scipy import linalg

CONFIDENCE = 0.9  # a sample is "confidently classified" when its largest class probability is at least this
SW1_PROJECTIONS = 128


def class_coverage(probs: np.ndarray, data_hist: np.ndarray, threshold: float = CONFIDENCE) -> dict:
    """Coverage numbers from class probabilities (n, K) of generated samples and the data histogram (K,).

    Returns ``classes`` (classes with ≥ 1 sample whose max probability ≥ threshold), ``confident`` (percent of
    such samples), ``rkl`` = KL(q ‖ p) in nats of their class histogram q against ``data_hist`` p (NaN when no
    sample is confident), and ``hist`` = q (zeros when none). Exact on the given samples; as an estimate of the
    generator's true coverage it is biased low for small n (a rare class may get no sample).
    """
    probs = np.asarray(probs, dtype=np.float64)
    p = np.asarray(data_hist, dtype=np.float64)
    k = probs.shape[1]
    conf = probs.max(axis=1) >= threshold
    counts = np.bincount(probs.argmax(axis=1)[conf], minlength=k).astype(np.float64)
    total = counts.sum()
    if total == 0:
        return {"classes": 0.0, "confident": 0.0, "rkl": float("nan"), "hist": np.zeros(k)}
    q = counts / total
    on = q > 0
    with np.errstate(divide="ignore"):
        rkl = float(np.sum(q[on] * (np.log(q[on]) - np.log(p[on]))))
    return {"classes": float(on.sum()), "confident": 100.0 * float(conf.mean()), "rkl": rkl, "hist": q}


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and unbiased covariance (d, d) of (n, d) features, float64. The covariance is NaN-filled when
    n < 2 (none from one sample) and both are when a feature is non-finite, so that ``frechet_distance`` gives NaN
    (and NumPy no warnings)."""
    f = np.asarray(features, dtype=np.float64)
    f = f.reshape(len(f), -1)
    d = f.shape[1]
    if not np.isfinite(f).all():
        return np.full(d, np.nan), np.full((d, d), np.nan)
    if len(f) < 2:
        return (f[0].copy() if len(f) else np.full(d, np.nan)), np.full((d, d), np.nan)
    return f.mean(axis=0), np.cov(f, rowvar=False, ddof=1)


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein squared) distance between N(mu1, cov1) and N(mu2, cov2), closed form.

    ‖mu1 − mu2‖² + Tr(cov1 + cov2 − 2 (cov1 cov2)^½), with scipy.linalg.sqrtm; a tiny ridge (1e-6·I) is added
    when the product is singular enough to give a non-finite root; the real part is kept (imaginary rounding).
    NaN when any mean or covariance entry is non-finite (non-finite samples, fewer than 2 of them): sqrtm raised on
    such input or returned a meaningless number (issue #17).
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    if not all(np.isfinite(a).all() for a in (mu1, mu2, cov1, cov2)):
        return float("nan")
    with warnings.catch_warnings():  # singular covariances (dead ReLU features) are expected and handled
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov1 @ cov2)
        if not np.all(np.isfinite(root)):
            ridge = 1e-6 * np.eye(len(mu1))
            root = linalg.sqrtm((cov1 + ridge) @ (cov2 + ridge))
    root = np.real(root)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(root))


def w1_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact 1D W1 per row between empirical distributions given as row-sorted arrays a (m, n), b (m, n')."""
    if a.shape[1] == b.shape[1]:
        return np.abs(a.astype(np.float64) - b).mean(axis=1)
    out = np.empty(a.shape[0])
    for j in range(a.shape[0]):
        allv = np.sort(np.concatenate([a[j], b[j]])).astype(np.float64)
        fa = np.searchsorted(a[j], allv[:-1], side="right") / a.shape[1]
        fb = np.searchsorted(b[j], allv[:-1], side="right") / b.shape[1]
        out[j] = np.sum(np.abs(fa - fb) * np.diff(allv))
    return out


def wasserstein1_1d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact W1 between empirical distributions, column by column: a (n, m), b (n', m) → (m,).

    Equal sizes: mean |sorted a − sorted b|. Unequal sizes: ∫ |F_a − F_b| over the merged support.
    """
    a = np.sort(np.asarray(a, dtype=np.float64).T, axis=1)
    b = np.sort(np.asarray(b, dtype=np.float64).T, axis=1)
    return w1_sorted(a, b)


@lru_cache(maxsize=8)
def _directions(dim: int, n_proj: int, seed: int) -> np.ndarray:
    """``n_proj`` random unit vectors in R^dim as columns (dim, n_proj), from NumPy default_rng(seed)."""
    dirs = np.random.default_rng(seed).standard_normal((dim, n_proj))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    dirs.setflags(write=False)
    return dirs


def sorted_projections(x: np.ndarray, n_proj: int = SW1_PROJECTIONS, seed: int = 0) -> np.ndarray:
    """Projections of the flattened samples x (n, …) on the fixed directions of ``sliced_w1``, each row sorted:
    (n_proj, n) float64. Lets a caller reuse a fixed reference sample's projections."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    return np.sort(np.ascontiguousarray((x @ _directions(x.shape[1], n_proj, seed)).T), axis=1)


def sliced_w1(x: np.ndarray, y: np.ndarray, n_proj: int = SW1_PROJECTIONS, seed: int = 0) -> float:
    """Sliced W1 between samples x (n, …) and y (m, …) flattened to vectors: mean over ``n_proj`` random unit
    directions (NumPy default_rng(seed), fixed so successive calls are comparable) of the exact 1D W1 of the
    projections. SW1 ≤ W1; empirical estimate biased upward by sampling noise (see ``ImageMetrics.sw1_floor``)."""
    return float(w1_sorted(sorted_projections(x, n_proj, seed), sorted_projections(y, n_proj, seed)).mean())


def sharpness(images: np.ndarray) -> float:
    """Mean gradient magnitude of images (n, C, H, W) (or (n, H, W)), in their intensity units per pixel step.

    Forward differences Δx = I[i, j+1] − I[i, j] and Δy = I[i+1, j] − I[i, j] on the (H−1)×(W−1) pixels that have
    both, magnitude √(Δx² + Δy²), mean over those pixels, the channels and the images. Exact on the given images;
    0 for a constant image. Averaging images (blur) lowers it; noise raises it, so compare it with the data's."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim < 3 or x.shape[-1] < 2 or x.shape[-2] < 2:
        raise ValueError(f"sharpness needs images (n, [C,] H, W) with H, W ≥ 2; got shape {x.shape}")
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    return float(np.sqrt(dx * dx + dy * dy).mean())
