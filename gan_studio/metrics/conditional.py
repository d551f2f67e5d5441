"""Per-class coverage of a conditional GAN (issue 12): does the sample asked for class k come out as class k?

- Mixtures (``class_match``): of the generated samples asked for class k that are high quality (< 3 std from
  their nearest centre, as ``coverage.mode_coverage``), the share whose nearest mode is mode k. Samples that are
  not high quality are left out: the question is *which* mode a sample lands on, not *whether* it lands on one
  (``hq`` answers that). Exact counts, no estimator bias.
- Images (``class_accuracy``): the share of generated images asked for class k that the shipped classifier puts
  in class k (its arg-max over the classes and its "junk" class).

Both return one value per class (NaN for a class with no sample that counts) and ``summary`` turns them into the
metrics columns: the mean over classes and the worst class, in percent. NumPy only.
"""

from __future__ import annotations

import numpy as np

from gan_studio.metrics.coverage import HQ_STDS, nearest_mode


def class_match(samples: np.ndarray, asked: np.ndarray, centres: np.ndarray, stds: np.ndarray,
                threshold: float = HQ_STDS) -> np.ndarray:
    """(K,) share in [0, 1] of the high-quality samples asked for class k whose nearest mode is k; NaN for a class
    without a high-quality sample (K = number of centres)."""
    idx, dist = nearest_mode(samples, centres, stds)
    asked = np.asarray(asked).ravel()
    hq = dist < threshold
    k = len(np.asarray(stds).ravel())
    asked_hq = np.bincount(asked[hq], minlength=k).astype(np.float64)
    right = np.bincount(asked[hq & (idx == asked)], minlength=k).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(asked_hq > 0, right / np.maximum(asked_hq, 1.0), np.nan)


def class_accuracy(predicted: np.ndarray, asked: np.ndarray, n_classes: int) -> np.ndarray:
    """(K,) share in [0, 1] of the samples asked for class k that were classified as k; NaN for a class never
    asked for."""
    predicted, asked = np.asarray(predicted).ravel(), np.asarray(asked).ravel()
    total = np.bincount(asked, minlength=n_classes).astype(np.float64)
    right = np.bincount(asked[predicted == asked], minlength=n_classes).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, right / np.maximum(total, 1.0), np.nan)


def summary(per_class: np.ndarray, prefix: str) -> dict[str, float]:
    """{prefix: mean over the classes that count, prefix + "_min": the worst of them}, in percent; NaN when no
    class counts."""
    values = np.asarray(per_class, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {prefix: float("nan"), prefix + "_min": float("nan")}
    return {prefix: 100.0 * float(values.mean()), prefix + "_min": 100.0 * float(values.min())}
