"""The interface every data set (toy points, user points, images) implements."""

from __future__ import annotations

import numpy as np
import torch


class Dataset:
    """A distribution to learn: seeded sampling plus whatever exact facts are known about it.

    Subclasses set the attributes in ``__init__`` and implement ``sample``; ``density`` and ``cdf``
    return None unless the subclass knows them exactly.
    """

    name: str = ""
    shape: tuple[int, ...] = ()  # (dim,) for points, (C, H, W) for images
    is_image: bool = False
    description: str = ""
    bounds: np.ndarray = np.zeros((0, 2))  # (dim, 2) plotting bounds per axis, points only
    centres: np.ndarray | None = None  # (k, dim) mixture mode centres
    stds: np.ndarray | None = None  # (k,) isotropic std of each mode
    weights: np.ndarray | None = None  # (k,) mixture weights
    labels: np.ndarray | None = None  # images: (N,) class index of every stored image
    class_names: list[str] | None = None  # images: name of each class
    warnings: tuple[str, ...] = ()  # problems met while loading that did not stop it (skipped files, ...)

    @property
    def dim(self) -> int:
        """Number of values in one sample (prod of shape)."""
        return int(np.prod(self.shape))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples, shape (n, *shape), float32 on the CPU, drawn with ``generator`` only."""
        raise NotImplementedError

    def density(self, x: np.ndarray) -> np.ndarray | None:
        """Exact density at (m, dim) points, or None when no closed form exists."""
        return None

    def cdf(self, x: np.ndarray) -> np.ndarray | None:
        """Exact CDF at (m,) points for 1D sets with a closed form, else None."""
        return None
