"""Data sets: toy 1D / 2D distributions, user point files and image sets, behind one ``Dataset`` interface.

``get_dataset(cfg.data, seed)`` is the only entry point the engine needs. The names it accepts are exactly
``config.CHOICES["data.name"]``: the toy sets in ``TOY_DATASETS``, ``file`` and ``config.IMAGE_DATA``.
"""

from __future__ import annotations

from gan_studio.config import CHOICES, IMAGE_DATA, ConfigError, DataConfig
from gan_studio.data.base import Dataset
from gan_studio.data.points_file import PointsFile, load_points_file
from gan_studio.data.toy import TOY_DATASETS, Checkerboard, Circles, GaussianMixture, NoisyCurves, Uniform1D

FILE_DATA = "file"

__all__ = ["Dataset", "get_dataset", "TOY_DATASETS", "FILE_DATA", "GaussianMixture", "Uniform1D", "Checkerboard",
           "NoisyCurves", "Circles", "PointsFile", "load_points_file"]


def get_dataset(cfg_data: DataConfig, seed: int = 0) -> Dataset:
    """The data set named by ``cfg_data.name``; ConfigError for an unknown name or a bad file.

    ``seed`` is used only by image sets that are generated (``shapes``); toy sets and files are seeded at
    sampling time by the generator passed to ``Dataset.sample``.
    """
    name = cfg_data.name
    if name in TOY_DATASETS:
        return TOY_DATASETS[name]()
    if name == FILE_DATA:
        return load_points_file(cfg_data.path)
    if name in IMAGE_DATA:
        from gan_studio.data.images import load_image_dataset

        return load_image_dataset(cfg_data, seed)
    raise ConfigError(f"data.name: unknown value {name!r}; allowed: {', '.join(CHOICES['data.name'])}")
