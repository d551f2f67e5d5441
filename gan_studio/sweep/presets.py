"""Shipped sweeps: TOML files in ``gan_studio/presets/sweeps/``, each a description, steps, seeds, a base config
(``[base.<section>]`` tables, as a preset's sections) and a ``[grid]`` table of ``"key" = [values]``."""

from __future__ import annotations

import tomllib
from importlib import resources

from gan_studio import presets
from gan_studio.config import ConfigError, from_dict
from gan_studio.sweep.grid import Sweep, make_axis

FOLDER = resources.files(presets).joinpath("sweeps")
FIELDS = ("description", "steps", "seeds", "base", "grid")


def _names() -> list[str]:
    """Names of the shipped sweeps, sorted."""
    return sorted(f.name.removesuffix(".toml") for f in FOLDER.iterdir() if f.name.endswith(".toml"))


def _read(name: str) -> dict:
    return tomllib.loads(FOLDER.joinpath(f"{name}.toml").read_text(encoding="utf-8"))


def list_sweeps() -> list[tuple[str, str]]:
    """(name, one-line description) of every shipped sweep, sorted by name."""
    return [(name, _read(name).get("description", "")) for name in _names()]


def load_sweep(name: str) -> Sweep:
    """The Sweep of a shipped sweep preset; an unknown name is a ConfigError listing them."""
    names = _names()
    if name not in names:
        raise ConfigError(f"unknown sweep preset '{name}'; sweep presets: {', '.join(names)}")
    data, where = _read(name), f"sweep preset {name}"
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown entry {unknown[0]!r}; entries: {', '.join(FIELDS)}")
    grid = tuple(make_axis(key, values, f"{where}: grid {key}") for key, values in data.get("grid", {}).items())
    return Sweep(base=from_dict(data.get("base", {}), where), grid=grid, seeds=int(data["seeds"]),
                 steps=int(data["steps"]))
