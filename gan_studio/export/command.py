"""Copy as command: the ``gan-studio run`` line that reproduces a run from its start config, events and steps.

Pure and torch-free (the window calls it for its menu entry). Two forms:

* ``gan-studio run --preset NAME --set k=v … --at STEP k=v … --steps N --out DIR`` when the start config is a
  preset's (or the defaults) with at most ``max_sets`` keys changed: ``--set`` for each key that differs,
  ``--at`` for each event. The base chosen is the one with the fewest differing keys (ties: the defaults, then
  presets by name).
* ``gan-studio run --config FILE --events FILE --steps N --out DIR`` otherwise, naming a saved run folder's
  ``config.toml`` and ``events.jsonl``.

Both replay through ``cli.resolve_config`` / ``resolve_schedule`` to the same config and schedule, so on the CPU
they give the same metrics.csv (tests/test_export.py runs both).
"""

from __future__ import annotations

import shlex
from dataclasses import fields

from gan_studio import config as C
from gan_studio.config import Config
from gan_studio.schedule import ACTIONS

MAX_SETS = 8  # more --set options than this and the line is harder to read than a config file


def flat(cfg: Config) -> dict[str, object]:
    """Every ``section.key`` of ``cfg`` with its value, in the config's order."""
    return {f"{section}.{f.name}": getattr(getattr(cfg, section), f.name)
            for section in C.SECTIONS for f in fields(getattr(cfg, section))}


def cli_value(value: object) -> str:
    """A config value as ``--set`` / ``--at`` text that ``config.parse_value`` reads back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # repr round-trips a float exactly
    return str(value)


def differing(cfg: Config, base: Config) -> list[str]:
    """``key=value`` for each key whose value in ``cfg`` differs from ``base``'s, in config order."""
    base_values = flat(base)
    return [f"{key}={cli_value(value)}" for key, value in flat(cfg).items() if base_values[key] != value]


def closest_base(cfg: Config) -> tuple[str | None, list[str]]:
    """The preset (None: the defaults) that ``cfg`` differs from in the fewest keys, and those ``key=value``s."""
    from gan_studio.presets import list_presets, load_preset

    best: tuple[str | None, list[str]] = (None, differing(cfg, Config()))
    for name, _ in list_presets():
        sets = differing(cfg, load_preset(name))
        if len(sets) < len(best[1]):
            best = (name, sets)
    return best


def change_text(event: dict) -> str:
    """An event as ``--at``'s KEY=VALUE or ACTION[=VALUE] text, read as ``schedule.parse_event`` reads
    events.jsonl: ``new`` of ``step_d``, ``step_g`` and ``reset`` is a record (a reset's seed), not a value."""
    what, new = event["what"], event.get("new")
    if new is None or (what in ACTIONS and what != "reseed"):
        return what
    return f"{what}={cli_value(new)}"


def run_command(cfg: Config, events: list[dict], steps: int, out: str = "NEW_RUN",
                config_path: str = "config.toml", events_path: str = "events.jsonl",
                max_sets: int = MAX_SETS) -> str:
    """The ``gan-studio run`` line reproducing a run that started on ``cfg``, had ``events`` (``{step, what,
    old, new}`` as in events.jsonl) and reached ``steps`` steps, writing to ``out``.

    The preset form when a preset or the defaults is within ``max_sets`` changed keys of ``cfg``; else the
    config form naming ``config_path`` and ``events_path`` (a saved run folder's files). Words are shell-quoted.
    """
    preset, sets = closest_base(cfg)
    words = ["gan-studio", "run"]
    if len(sets) <= max_sets:
        if preset is not None:
            words += ["--preset", preset]
        for assignment in sets:
            words += ["--set", assignment]
        for event in events:
            words += ["--at", str(int(event["step"])), change_text(event)]
    else:
        words += ["--config", config_path]
        if events:
            words += ["--events", events_path]
    words += ["--steps", str(int(steps)), "--out", out]
    return shlex.join(words)
