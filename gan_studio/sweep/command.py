"""``gan-studio sweep``'s options turned into a Sweep (a shipped sweep or a base config, the grid, seeds, steps),
checked whole before Ray starts, then handed to ``driver.run_sweep``."""

from __future__ import annotations

import argparse

from gan_studio import config as C
from gan_studio.config import Config, ConfigError
from gan_studio.sweep.grid import Sweep, check, parse_grid, with_axes
from gan_studio.sweep.presets import list_sweeps, load_sweep

DEFAULT_SEEDS = 4  # enough to see whether an outcome is the rule or one seed's luck, little enough to wait for


def sweep_from_args(args: argparse.Namespace) -> Sweep:
    """The Sweep the options describe: ``--preset`` (or ``--config``, or the defaults) as the base, ``--set`` on
    it, ``--grid`` axes replacing or adding to the preset's, ``--seeds`` and ``--steps`` replacing its own."""
    preset = load_sweep(args.preset) if args.preset else None
    base = preset.base if preset else C.load(args.config) if args.config else Config()
    for assignment in args.set:
        key, value = C.parse_assignment(assignment)
        base = C.with_value(base, key, value)
    grid = with_axes(preset.grid if preset else (), parse_grid(args.grid))
    both = [axis.key for axis in grid if any(C.parse_assignment(a)[0] == axis.key for a in args.set)]
    if both:
        raise ConfigError(f"--set {both[0]}: it is also a grid axis; give its values with --grid {both[0]}=…")
    steps = args.steps if args.steps is not None else preset.steps if preset else None
    if steps is None:
        raise ConfigError("sweep: give --steps N (the training steps of every run), or a --preset")
    seeds = args.seeds if args.seeds is not None else preset.seeds if preset else DEFAULT_SEEDS
    return Sweep(base=base, grid=grid, seeds=seeds, steps=steps)


def sweep_command(args: argparse.Namespace) -> int:
    """``gan-studio sweep``: list the shipped sweeps, or check the whole sweep, then run it; the exit code."""
    if args.list:
        for name, description in list_sweeps():
            print(f"{name:24s} {description}")
        return 0
    sweep = sweep_from_args(args)
    check(sweep)  # every point's config, before anything is written or started
    if args.out is None:
        raise ConfigError("sweep: give --out DIR, the sweep folder (a re-run with the same DIR resumes)")
    from gan_studio.sweep.driver import run_sweep

    return run_sweep(sweep, args.out, address=args.address, workers=args.workers)
