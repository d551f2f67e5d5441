"""The ``note`` column: why cells of a measured row are NaN, as a sum of the flags of ``columns.NOTES``."""

from __future__ import annotations

import math

import numpy as np


def _nan(row: dict, column: str) -> bool:
    value = row.get(column)
    return value is not None and isinstance(value, float) and math.isnan(value)


def note_flags(fake: np.ndarray, bounds: np.ndarray | None, row: dict) -> float | None:
    """The ``note`` cell of a measured row: the sum of the ``columns.NOTES`` flags that apply to the generated
    samples ``fake`` (points (n, dim) or images (n, C, H, W)), the plot ``bounds`` ((dim, 2), None for images) and
    the measured ``row``; None when none applies (an empty cell)."""
    x = np.asarray(fake, dtype=np.float64).reshape(len(fake), -1)
    finite = np.all(np.isfinite(x), axis=1)
    flags = 0
    if not finite.all():
        flags |= 1
    if bounds is not None and finite.any():
        b = np.atleast_2d(np.asarray(bounds, dtype=np.float64))
        inside = np.all((x[finite] >= b[:, 0]) & (x[finite] <= b[:, 1]), axis=1)
        if not inside.any():
            flags |= 2
    if _nan(row, "rkl"):
        flags |= 4
    if _nan(row, "fd_classifier"):
        flags |= 8
    return float(flags) if flags else None
