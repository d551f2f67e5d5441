"""A sweep's grid: ``--grid KEY=V1,V2,…`` axes, the grid points (every combination) and each point's configs.

Every value is parsed with the config's own rules (``config.parse_value``), so a bad key or value is the same
one-line ConfigError the rest of the command line gives, naming what is allowed; ``check`` builds the config of
every point and seed before anything starts (Ray included). Pure: no torch, no Ray.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from gan_studio import config as C
from gan_studio.config import Config, ConfigError

SEED_KEY = "train.seed"  # the seeds of a point are train.seed … train.seed + seeds − 1 (never a grid axis)
ENSEMBLE_KEY = "train.seeds"  # the sweep sets it (--seeds): neither a grid axis nor a --set key
MAX_POINTS = 10_000  # far beyond a toy study (Lucic et al.'s large-scale study: ~1,000 configurations per data set)
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]")  # characters replaced in folder names (paths, spaces, commas)


@dataclass(frozen=True)
class Axis:
    """One grid axis: a config key and the values it takes, in the order given."""

    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Point:
    """One grid point: a value for every axis, in axis order."""

    values: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:
        """The point's folder name, ``loss.name=ns__lipschitz.name=gp`` (``base`` for a sweep without a grid)."""
        if not self.values:
            return "base"
        return "__".join(_UNSAFE.sub("-", f"{key}={_text(value)}") for key, value in self.values)

    @property
    def label(self) -> str:
        """The point as a person reads it, ``loss.name=ns, lipschitz.name=gp``."""
        return ", ".join(f"{key}={_text(value)}" for key, value in self.values) or "base config"


def _text(value: Any) -> str:
    """A value as the command line writes it (``true``, ``0.0001``, ``ns``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Sweep:
    """What a sweep runs: a base config, the grid, seeds per point and steps per run."""

    base: Config
    grid: tuple[Axis, ...]
    seeds: int
    steps: int

    def points(self) -> list[Point]:
        """Every combination of the axes' values, the first axis varying slowest."""
        keys = [axis.key for axis in self.grid]
        return [Point(tuple(zip(keys, combo, strict=True)))
                for combo in itertools.product(*(axis.values for axis in self.grid))]

    def seed_values(self) -> list[int]:
        """The seeds every point runs: ``base.train.seed`` and the next ``seeds − 1``."""
        first = self.base.train.seed
        return list(range(first, first + self.seeds))

    def config(self, point: Point, seed: int) -> Config:
        """The config of one run: the base with the point's values and ``seed``."""
        cfg = self.base
        for key, value in point.values:
            cfg = C.with_value(cfg, key, value)
        return C.with_value(cfg, SEED_KEY, seed)

    def ensemble_config(self, point: Point) -> Config:
        """The config of all of a point's seeds trained as one seed ensemble: the first seed's, ``train.seeds``
        = ``seeds``."""
        return C.with_value(self.config(point, self.seed_values()[0]), ENSEMBLE_KEY, self.seeds)


def parse_axis(text: str) -> Axis:
    """``KEY=V1,V2,…`` as an Axis, each value parsed and checked; a ConfigError naming the ``--grid`` and what is
    allowed otherwise."""
    key, sep, values = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--grid {text!r}: expected KEY=V1,V2,… (for example loss.name=ns,wgan)")
    texts = [v.strip() for v in values.split(",")]
    if not values.strip() or any(not v for v in texts):
        raise ConfigError(f"--grid {text}: give one or more values separated by commas, none empty "
                          f"(for example {key.strip()}=a,b)")
    return make_axis(key.strip(), texts, f"--grid {text}")


def make_axis(key: str, values: list, where: str) -> Axis:
    """An Axis of ``key`` over ``values`` (texts from the command line, or TOML values), each parsed and checked;
    a ConfigError starting with ``where`` otherwise (an unknown key lists the valid ones; a bad value, the
    allowed ones)."""
    try:
        C.help_for(key)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
    if key == ENSEMBLE_KEY:
        raise ConfigError(f"{where}: {ENSEMBLE_KEY} is not a grid axis; --seeds N sets the seeds of every point")
    if key == SEED_KEY:
        raise ConfigError(f"{where}: seeds are not a grid axis; --seeds N runs seeds train.seed … "
                          f"train.seed + N − 1 at every point (the first with --set {SEED_KEY}=S)")
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{where}: give one or more values")
    parsed = []
    for value in values:
        try:
            parsed.append(C.parse_value(key, value))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
    for i, value in enumerate(parsed):
        if value in parsed[:i]:
            raise ConfigError(f"{where}: value {_text(value)!r} is given twice; give each value once")
    return Axis(key, tuple(parsed))


def parse_grid(texts: list[str]) -> tuple[Axis, ...]:
    """The axes of ``--grid`` options, in order; a key given twice is a ConfigError (one ``--grid`` per key)."""
    axes = tuple(parse_axis(text) for text in texts)
    keys = [axis.key for axis in axes]
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(f"--grid: key {key} is given twice; list all its values in one --grid {key}=V1,V2,…")
    return axes


def with_axes(grid: tuple[Axis, ...], more: tuple[Axis, ...]) -> tuple[Axis, ...]:
    """``grid`` with each axis of ``more`` replacing the axis of the same key, or added after the others
    (``--grid`` on top of a sweep preset)."""
    given = {axis.key: axis for axis in more}
    kept = tuple(given.pop(axis.key, axis) for axis in grid)
    return kept + tuple(axis for axis in more if axis.key in given)


def check(sweep: Sweep) -> list[Point]:
    """The sweep's points after checking everything that can be checked before a run starts: seeds and steps in
    range, at most ``MAX_POINTS`` points, every point's config valid for every seed, folder names distinct.
    A ConfigError naming the option or the point otherwise."""
    if sweep.seeds < 1:
        raise ConfigError(f"--seeds: must be ≥ 1, got {sweep.seeds}")
    if sweep.steps < 0:
        raise ConfigError(f"--steps: must be ≥ 0, got {sweep.steps}")
    if sweep.base.train.seeds != 1:
        raise ConfigError(f"--set {ENSEMBLE_KEY}: a sweep sets it itself; give the seeds per point with --seeds N")
    if sweep.base.train.seed + sweep.seeds - 1 > C.INT64_MAX:
        raise ConfigError(f"--seeds: train.seed + seeds − 1 must be ≤ {C.INT64_MAX}")
    count = 1
    for axis in sweep.grid:
        count *= len(axis.values)
    if count > MAX_POINTS:
        raise ConfigError(f"--grid: {count:,} points; a sweep takes at most {MAX_POINTS:,}")
    points = sweep.points()
    names: dict[str, Point] = {}
    for point in points:
        try:
            sweep.config(point, sweep.base.train.seed)
        except ConfigError as err:
            raise ConfigError(f"--grid point {point.label}: {err}") from None
        other = names.setdefault(point.name, point)
        if other is not point:
            raise ConfigError(f"--grid: points {other.label} and {point.label} would share the folder "
                              f"'{point.name}'; use values that differ in letters or digits")
    return points
