"""Gradient and Lipschitz diagnostics on arrays (the torch side that produces the arrays is ``probes.py``)."""

from __future__ import annotations

import math

import numpy as np


def top_singular_value(w: np.ndarray) -> float:
    """Exact largest singular value of a weight (2-norm of the matrix, ``np.linalg.norm(W, 2)``).

    A conv weight (out, in, *kernel) is read as the (out, in·∏kernel) matrix — the matrix spectral normalization
    divides by, which is not the conv operator's norm. NaN for a weight holding NaN or Inf (the engine checks the
    weights on logged steps only: a frame or a save between them can meet them; LAPACK's SVD raised there).
    """
    w = np.asarray(w, dtype=np.float64)
    if not np.isfinite(w).all():
        return math.nan
    if w.ndim == 0:
        return float(abs(w))
    w = w.reshape(len(w), -1) if w.ndim > 1 else w[None, :]
    if w.size == 0:
        return 0.0
    return float(np.linalg.norm(w, 2))


def lipschitz_estimate(*norms: np.ndarray) -> float:
    """Measured Lipschitz constant: max ‖∇ₓD‖ over all given per-point norm arrays (grid, real, fake, ...).

    A lower bound of D's true constant (a max over finitely many points); NaN if no finite value is given.
    """
    finite = [np.asarray(v, dtype=np.float64).ravel() for v in norms if v is not None]
    finite = [v[np.isfinite(v)] for v in finite]
    finite = [v for v in finite if v.size]
    return float(max(v.max() for v in finite)) if finite else math.nan


def mean_norm(norms: np.ndarray) -> float:
    """Mean of per-sample gradient norms (NaN for an empty array)."""
    v = np.asarray(norms, dtype=np.float64).ravel()
    return float(v.mean()) if v.size else math.nan
