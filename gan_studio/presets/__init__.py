"""Shipped experiments: TOML config files in this folder, each with a top-level ``description``."""

from __future__ import annotations

import tomllib
from importlib import resources

from gan_studio.config import Config, ConfigError, from_dict

DEFAULT_PRESET = "ring8-collapse"


def _files() -> dict[str, str]:
    folder = resources.files(__package__)
    return {f.name.removesuffix(".toml"): f.read_text(encoding="utf-8")
            for f in folder.iterdir() if f.name.endswith(".toml")}


def _parse(name: str, text: str) -> tuple[str, dict]:
    data = tomllib.loads(text)
    description = data.pop("description", "")
    return description, data


def list_presets() -> list[tuple[str, str]]:
    """(name, one-line description) of every shipped preset, sorted by name."""
    return sorted((name, _parse(name, text)[0]) for name, text in _files().items())


def load_preset(name: str) -> Config:
    """The Config of a shipped preset; an unknown name is a ConfigError listing the presets."""
    files = _files()
    if name not in files:
        raise ConfigError(f"unknown preset '{name}'; presets: {', '.join(sorted(files))}")
    _, data = _parse(name, files[name])
    return from_dict(data, f"preset {name}")
