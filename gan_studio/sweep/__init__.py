"""Sweeps: one experiment over a grid of config values and several seeds per grid point, on Ray.

- ``grid.py``     the grid (``--grid KEY=V1,V2``), its points, every point's config checked before anything runs;
- ``presets.py``  shipped sweeps (``gan_studio/presets/sweeps/*.toml``);
- ``results.py``  the sweep folder: each seed's run folder and its result, the results table, resume; no torch,
                  so the window reads sweeps with it;
- ``task.py``     one grid point trained (the Ray task's body);
- ``driver.py``   Ray: start or join it, hand out the points, write the table as points finish.

This file imports nothing, so the window can import ``results`` without loading the training side.
"""
