"""Frames: what the engine hands to views. Plain dataclasses of NumPy arrays and Python scalars.

Frames cross the process boundary (pickled through a multiprocessing queue), so this module imports
neither torch nor Qt. Every array is a NumPy array; a field is ``None`` when that probe did not run
(it runs at the paint cadence, not every step) or does not apply (1D fields for 2D data, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Display:
    """How to draw this run, so views never branch on a loss or data-set name: facts of the objective (how to show
    D, where its decision level is) and of the data (kind, number of modes, class names)."""

    d_view: str = "score"  # "probability": draw σ(D); "score": raw score; "energy": D is an energy; "none": no D
    decision_level: float | None = None  # the D value (as drawn) that separates "real" from "fake"; None: none
    d_label: str = "raw score D(x)"  # the 2D colour bar's label of D as drawn
    d_curve_label: str = "raw score D(x)"  # the legend and axis label of the 1D view's D curve
    d_reference: str | None = None  # the closed-form optimum drawn against D in 1D: "optimal_d" (D* = p/(p+q)),
    # "optimal_critic" (1D W1 critic; D is then shifted to mean 0 under p_data), or None
    kind: str = "2d"  # the data: "1d", "2d" or "image"
    n_modes: int | None = None  # mixture modes, or classes of a labelled image set; None when the data has none
    class_names: tuple[str, ...] | None = None  # labelled image sets
    about: str = ""  # 2–4 sentences about the active objective for a student (``Objective.about``)
    critic_estimates_w1: bool = False  # E D(r) − E D(f) estimates W1: a critic loss, or a Lipschitz method bounds
    # D's slope (clip, gp, sn, ...); for the other losses with no constraint it is not a W1 estimate and is not drawn


@dataclass
class Surface2D:
    """D on a regular grid over the plot bounds, and the generator's density on the same grid."""

    xs: np.ndarray  # (gx,) grid coordinates along x
    ys: np.ndarray  # (gy,) grid coordinates along y
    score: np.ndarray  # (gy, gx) raw D score; row i is y = ys[i]
    gen_density: np.ndarray | None = None  # (gy, gx) estimated generator density (histogram / KDE)
    data_density: np.ndarray | None = None  # (gy, gx) exact data density where known


@dataclass
class Curves1D:
    """Everything the 1D view draws, on one grid xs."""

    xs: np.ndarray  # (m,) grid over the plot bounds
    data_density: np.ndarray | None  # (m,) exact p_data (None for file data)
    gen_density: np.ndarray  # (m,) estimated p_g (stated estimator in gen_density_method)
    gen_density_method: str  # e.g. "Gaussian KDE, h = 0.13 (leave-one-out), n = 2500"
    score: np.ndarray  # (m,) raw D(x)
    optimal_d: np.ndarray | None  # (m,) D*(x) = p_data / (p_data + p_g) (probability), None without a data density
    optimal_critic: np.ndarray | None  # (m,) optimal 1D critic f*(x), zero-mean over p_data, slope ±1
    z: np.ndarray | None = None  # (k,) latent values (latent_dim == 1 only)
    gz: np.ndarray | None = None  # (k,) G(z) for those values


@dataclass
class Frame:
    """One snapshot of a run, for drawing. Produced by ``Trainer.frame()``."""

    step: int
    dim: int  # 1 or 2 for points; for images, the flattened pixel count
    loss: str  # active loss name
    lipschitz: str  # active Lipschitz method name
    bounds: np.ndarray  # (dim, 2) plot bounds for points; (0, 2) for images
    real: np.ndarray  # (n, dim) a data sample for display; images: (n, C, H, W) in [0, 1]
    fake: np.ndarray  # (n, dim) generated from a fixed latent batch; images: (n, C, H, W) in [0, 1]
    push: np.ndarray | None = None  # (m, dim) −∇ₓ L_G at the first m fake points: where each is pushed
    surface: Surface2D | None = None  # 2D only
    latent_grid: np.ndarray | None = None  # (2, k, k, dim): G on k×k latent grid lines (rows, cols), latent_dim ≤ 2
    curves: Curves1D | None = None  # 1D only
    images: dict = field(default_factory=dict)  # image views: "interp", "class_hist", ... (see image module)
    status: str = ""  # one line for a status bar: device, steps/s
    error: str = ""  # set when training stopped on an error (non-finite value, out of memory, ...)
    display: Display = field(default_factory=Display)  # how to draw D and the data (the views' only source)
