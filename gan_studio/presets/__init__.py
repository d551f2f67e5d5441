"""Shipped experiments: TOML config files in this folder, each with a top-level ``description``."""

from __future__ import annotations

import tomllib
from importlib import resources

from gan_studio.config import Config, ConfigError, from_dict

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
