"""The interface every data set (toy points, user points, images) implements."""

from __future__ import annotations

import numpy as np
import torch

from gan_studio.config import ConfigError


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

    # ---------------------------------------------------------------- classes (conditional GANs, issue 12)
    @property
    def n_classes(self) -> int:
        """Number of classes a conditional GAN can ask for: mixture components, labelled image classes; 0: none."""
        if self.centres is not None:
            return len(self.centres)
        return len(self.class_names) if self.class_names else 0

    def class_weights(self) -> np.ndarray | None:
        """p_data(y): (n_classes,) class probabilities summing to 1 (mixture weights), None without classes."""
        return None if self.weights is None else np.asarray(self.weights, dtype=np.float64)

    def sample_labelled(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` samples and their (n,) int64 class labels, drawn exactly as ``sample`` draws (the same random
        numbers from ``generator``, the same points); ConfigError for a set without classes."""
        raise ConfigError(f"data.name: {self.name} has no classes (a conditional GAN needs a mixture or a "
                          "labelled image set)")

    def given_class(self, k: int) -> Dataset:
        """p_data(x | k) as a data set of its own (sampling, exact density where known, the same bounds)."""
        raise ConfigError(f"data.name: {self.name} has no classes")

    def density(self, x: np.ndarray) -> np.ndarray | None:
        """Exact density at (m, dim) points, or None when no closed form exists."""
        return None

    def cdf(self, x: np.ndarray) -> np.ndarray | None:
        """Exact CDF at (m,) points for 1D sets with a closed form, else None."""
        return None
