"""Shipped experiments: TOML config files in this folder, each with a top-level ``description``, and the starting
states some of them begin from (``train.start``): weights saved with ``Trainer.weights()`` in ``starts/NAME.npz``."""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np

from gan_studio import config as C
from gan_studio.config import Config, ConfigError, from_dict
from gan_studio.runs import load_weights

DEFAULT_PRESET = "ring8-collapse"


def _names() -> list[str]:
    """Names of the shipped presets, sorted."""
    return sorted(f.name.removesuffix(".toml") for f in resources.files(__package__).iterdir()
                  if f.name.endswith(".toml"))


def _read(name: str) -> tuple[str, dict]:
    """A shipped preset's description and config table."""
    data = tomllib.loads((resources.files(__package__) / f"{name}.toml").read_text(encoding="utf-8"))
    description = data.pop("description", "")
    return description, data


def list_presets() -> list[tuple[str, str]]:
    """(name, one-line description) of every shipped preset, sorted by name."""
    return [(name, _read(name)[0]) for name in _names()]


def load_preset(name: str) -> Config:
    """The Config of a shipped preset; an unknown name is a ConfigError listing the presets."""
    names = _names()
    if name not in names:
        raise ConfigError(f"unknown preset '{name}'; presets: {', '.join(names)}")
    return from_dict(_read(name)[1], f"preset {name}")


def start_weights(start: str) -> dict[str, np.ndarray]:
    """The arrays a ``train.start`` value names: a shipped starting state, or a weights.npz path; a missing or
    unreadable file is a ConfigError naming it (whether the arrays fit the nets is ``Trainer.load_weights``'s check)."""
    if C.is_start_path(start):
        return load_weights(start)
    C.parse_value("train.start", start)  # an unknown name: the message lists the shipped ones
    with resources.as_file(C.STARTS / f"{start}.npz") as path:
        return load_weights(path)
