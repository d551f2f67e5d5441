"""Measurement: when to measure (cadence, named random streams, caches), and frames.

The column registry is ``gan_studio.columns`` (torch-free, at the bottom layer: the window imports it).

- ``streams``: every random stream a measurement draws from, in one table.
- ``measurer``: ``Measurer``, which owns cadence, caches and streams and reads the trainer through a narrow
  ``MeasuredTrainer`` protocol; ``Trainer`` delegates ``metrics_row``, ``columns``, ``frame`` ... to it.
- ``frame``: Frame assembly and the display facts. ``gradients``: ‖∇ₓD‖ and singular-value columns.
- ``images``: image probes and the image columns; ``classifier``: the torch classifier, its training and cache.

The estimators themselves are pure NumPy functions in ``gan_studio.metrics``.
"""
