"""User point data (``data.name = "file"``): N×1 or N×2 finite numbers from a .csv or .npy file, read and
checked by ``gan_studio.points_io`` (torch-free, so the window checks a dropped file with the same reader)."""

from __future__ import annotations

import numpy as np
import torch

from gan_studio.data.base import Dataset
from gan_studio.points_io import read_points

PAD = 0.1  # bounds padding, as a fraction of the data range, on each side (1.0 absolute for a constant column)


class PointsFile(Dataset):
    """Points loaded from a file; sampling draws stored rows uniformly with replacement. No density."""

    def __init__(self, points: np.ndarray, path: str):
        self.name = "file"
        self.path = path
        self.points = np.ascontiguousarray(points, dtype=np.float64)
        n, dim = self.points.shape
        self.shape = (dim,)
        self._t = torch.as_tensor(self.points, dtype=torch.float32)
        lo, hi = self.points.min(0), self.points.max(0)
        pad = np.where(hi > lo, PAD * (hi - lo), 1.0)
        self.bounds = np.stack([lo - pad, hi + pad], axis=1)
        self.description = (f"{dim}D: {n} points from file '{path}', drawn uniformly with replacement")

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` stored rows chosen uniformly with replacement (torch.randint with ``generator``)."""
        return self._t[torch.randint(0, len(self._t), (n,), generator=generator)]


def load_points_file(path: str) -> PointsFile:
    """Read and check a .csv / .npy point file (``points_io.read_points``); raise ConfigError naming the file and
    the problem."""
    return PointsFile(read_points(path), path)
