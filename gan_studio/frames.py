"""Frames: what the engine hands to views. Plain dataclasses of NumPy arrays and Python scalars.

Frames cross the process boundary (pickled through a multiprocessing queue), so this module imports
neither torch nor Qt. Every array is a NumPy array; a field is ``None`` when that probe did not run
(it runs at the paint cadence, not every step) or does not apply (1D fields for 2D data, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MEMBERS = "members"  # a seed ensemble's metrics row: ``{"step": s, MEMBERS: [row of member k, ...]}``


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
    conditional: bool = False  # a conditional GAN: G is asked for classes (``Frame.fake_labels``)
    shown_class: int = -1  # the class the views ask G for (model.shown_class); −1: every class
    conditioning: str = ""  # how the label is fed (model.conditioning) when conditional, else ""
    critic_estimates_w1: bool = False  # E D(r) − E D(f) estimates W1: a critic loss, or a Lipschitz method bounds
    # D's slope (clip, gp, sn, ...); for the other losses with no constraint it is not a W1 estimate and is not drawn
    game: bool = True  # False: no D/G game (the VAE, the autoencoder): D's slot holds an encoder, the surface is the
    # model's own loss (an energy), and no arrows push the samples


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
class LatentMap:
    """The latent plane (or line) coloured by where G sends each code: ``labels[i, j]`` is the mode (or class) index
    of G at code (xs[j], ys[i]), −1 when G lands further than ``threshold`` stds from every mode (a dead zone)."""

    space: str  # "z" (the latent) or "w" (after the mapping network)
    xs: np.ndarray  # (gx,) first latent coordinate
    ys: np.ndarray | None  # (gy,) second latent coordinate; None for a 1-dimensional latent (labels is (1, gx))
    labels: np.ndarray  # (gy, gx) int: mode index, or −1 between modes
    n_modes: int
    threshold: float  # in stds of the nearest mode (metrics.coverage.HQ_STDS)
    codes: np.ndarray | None = None  # (m, latent_dim) the display batch's codes in this space (w: mapped z), to
    # show where the latent distribution puts its mass; for a slice (``basis``): (m, 2), projected onto it
    centres: np.ndarray | None = None  # (n_modes, dim) the modes' centres in data space, to draw in the same colours
    nearest: np.ndarray | None = None  # (gy, gx) int: the nearest mode's index however far (−1: G not finite there);
    # a plane whose codes all land nearest one mode is collapsed even while G is still too blurry to be within reach
    basis: np.ndarray | None = None  # (2, latent_dim) orthonormal u, v of a 2D slice of a larger latent: cell
    # (xs[j], ys[i]) is the code xs[j]·u + ys[i]·v (``latent.slice_basis``); None: the plane is the latent itself
    images: np.ndarray | None = None  # image data: (gy, gx, C, H, W) uint8, G at each cell (small multiples; the
    # labels are then all −1 and n_modes 0: an image has no mode to colour by)
    asked: int = -1  # a conditional G: the class every cell asked for (one map per class with "every class")


@dataclass
class LatentPath:
    """G along a path between two latent codes: ``codes[i]`` at parameter t[i] ∈ [0, 1], ``points[i]`` = G there."""

    space: str  # "z" or "w"
    kind: str  # "lerp" (straight) or "slerp" (spherical)
    t: np.ndarray  # (k,)
    codes: np.ndarray  # (k, latent_dim)
    points: np.ndarray  # (k, dim)
    labels: np.ndarray | None = None  # (k,) mode of each point, −1 between modes (None: the data has no modes)


@dataclass
class Inversion:
    """The answer to "which z makes this point?": gradient descent on ‖G(z) − target‖² from several starts."""

    step: int  # the training step whose G was inverted
    target: np.ndarray  # (dim,)
    paths_z: np.ndarray  # (restarts, m, latent_dim) each search's code every few iterations (start ... end)
    paths_x: np.ndarray  # (restarts, m, dim) G along those codes
    errors: np.ndarray  # (restarts,) final ‖G(z) − target‖ of each search
    best: int  # index of the search with the least error
    z: np.ndarray  # (latent_dim,) the best code
    x: np.ndarray  # (dim,) G(z): the best reconstruction
    error: float  # ‖x − target‖ (Euclidean, data units)
    method: str  # e.g. "Adam, 8 starts × 200 iterations, lr 0.05"
    image_shape: tuple | None = None  # image data: (C, H, W); target, x and paths_x are then flattened pixels in
    # [0, 1] (as ``Frame.images``), paths_x holds each search's end only (m = 1), errors are in [0, 1] units
    image_index: int = -1  # image data: the index of the target in ``Frame.images["real"]``


@dataclass
class MemberTiles:
    """Small views of every member of a seed ensemble (``ensemble.EnsembleTrainer``), for the window's small
    multiples: each member's samples from its own fixed display codes, and D on a coarse grid over the data's
    bounds (the same for every member, so the tiles compare)."""

    seeds: tuple[int, ...]  # member k's seed
    fake: np.ndarray  # (N, m, dim) member k's first m display samples
    xs: np.ndarray | None = None  # (g,) grid of the surfaces (2D data; None without surfaces)
    ys: np.ndarray | None = None  # (g,)
    scores: np.ndarray | None = None  # (N, g, g) raw D score of every member, row i at y = ys[i]; None on a frame
    # without probes (the window keeps the last ones)
    shown: int = 0  # the member the frame's full views draw


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
    real_labels: np.ndarray | None = None  # (n,) class of each real point (conditional GANs; None otherwise)
    fake_labels: np.ndarray | None = None  # (n,) class each generated point was asked for (conditional GANs)
    latent_maps: tuple = ()  # LatentMap per latent space ("z", and "w" with a mapping network); latent_dim ≤ 2
    latent_paths: tuple = ()  # LatentPath: straight and spherical paths in z (and straight in w), points data only
    members: MemberTiles | None = None  # a seed ensemble's small views of every member (None for a single run)
