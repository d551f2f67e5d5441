"""Every random stream a measurement draws from, named, in one table (``STREAMS``).

Measuring never moves the training RNG: each stream is its own generator, seeded from the run's seed and, for
per-step streams, the step. Two kinds:

- ``per_step``: a ``torch.Generator`` seeded from (seed, step, salt) as (seed · 1,000,003 + step · 7,919 + salt)
  mod (2⁶³ − 1): fresh draws at every measured step, the same ones however often the run measured before.
- ``per_run``: a ``torch.Generator`` seeded with seed + offset: fixed for the whole run (the same display batch in
  every frame, the same data sample behind every estimate and noise floor).

The two NumPy streams (sliced-W1 directions, the image columns' fixed data samples) are seeded as their
docstrings in the table say. The numbers are the ones the recorded runs were made with: changing one changes
every metrics.csv.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Stream:
    """A named measurement stream: its kind (``per_step``, ``per_run``, ``numpy``), its salt / offset, its use."""

    kind: str
    value: int
    use: str


STREAMS: dict[str, Stream] = {
    "metrics": Stream("per_step", 1, "generated samples of a cadenced measurement, then the ε of the interpolated "
                                     "points of ‖∇ₓD‖"),
    "curves_1d": Stream("per_step", 5, "generated samples for the 1D view's density estimate"),
    "final": Stream("per_step", 99, "samples.npy and the final metrics row computed on exactly those samples"),
    "data": Stream("per_run", 7_777, "two independent data samples per sample size: estimates and noise floors"),
    "display": Stream("per_run", 4_242, "the fixed latent batch and data sample the views draw"),
    "image_probe": Stream("per_run", 7_919, "the image probe's fixed latents, interpolation pairs and real grid"),
    "inversion": Stream("per_step", 31, "the random starts of an inversion (find z for a clicked point)"),
    "sliced_w1": Stream("numpy", 0, "sliced-W1 directions of the point columns: NumPy default_rng(step)"),
    "image_metrics": Stream("numpy", 0, "image columns: fixed data samples default_rng([seed, n, salt]) and "
                                        "projection directions default_rng(seed)"),
}


def generator(name: str, seed: int, step: int = 0) -> torch.Generator:
    """A fresh CPU ``torch.Generator`` for the ``per_step`` or ``per_run`` stream ``name`` of a run with ``seed``."""
    stream = STREAMS[name]
    if stream.kind == "per_step":
        return torch.Generator().manual_seed((seed * 1_000_003 + step * 7919 + stream.value) % (2**63 - 1))
    if stream.kind == "per_run":
        return torch.Generator().manual_seed(seed + stream.value)
    raise ValueError(f"stream {name!r} is a NumPy stream; use numpy_generator")


def numpy_generator(name: str, step: int) -> np.random.Generator:
    """The NumPy stream ``sliced_w1`` at ``step`` (its seed is the step alone, as recorded runs were made)."""
    if name != "sliced_w1":
        raise ValueError(f"stream {name!r} is not a per-step NumPy stream")
    return np.random.default_rng(step)
