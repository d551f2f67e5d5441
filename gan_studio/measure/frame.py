"""Frames for the views: the trainer's current state as NumPy arrays, with the display facts that say how to draw
them (``frames.Display``), so no view needs a loss or data-set name.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from gan_studio import latent, probes
from gan_studio.config import ConfigError
from gan_studio.data.base import Dataset
from gan_studio.frames import Display, Frame, Inversion
from gan_studio.measure import streams
from gan_studio.metrics.coverage import nearest_mode
from gan_studio.nets import eval_mode, sample_latent
from gan_studio.nets.conditional import asking
from gan_studio.objectives.base import Objective

DISPLAY_POINTS = 1000  # real and generated points drawn in the data-space view
PUSH_POINTS = 120  # generated points that get a push arrow (more arrows hide the samples and cost frame time);
# the first ones of the fixed display batch, so each arrow stays with its sample from frame to frame
LATENT_LINES = 21  # k×k warped latent grid
LATENT_CLOUD = 400  # display codes the Latent tab draws over its map (where the latent distribution puts mass)

def data_kind(dataset: Dataset) -> str:
    """"image", "1d" or "2d": which views and which metrics.csv columns a data set has."""
    return "image" if dataset.is_image else f"{dataset.dim}d"


def display_facts(objective: Objective, dataset: Dataset, lipschitz: str = "none") -> Display:
    """The ``Display`` of a run: how the active objective's D is drawn, whether its score gap estimates W1 (a
    critic loss, or the active Lipschitz method ``lipschitz`` is not "none"), and what kind of data it has."""
    names = dataset.class_names
    if dataset.centres is not None:
        n_modes = len(dataset.centres)
    else:
        n_modes = len(names) if names else None
    return Display(d_view=objective.d_view, decision_level=objective.decision_level, d_label=objective.d_label,
                   d_curve_label=objective.d_curve_label, d_reference=objective.d_reference, about=objective.about,
                   kind=data_kind(dataset), n_modes=n_modes, class_names=tuple(names) if names else None,
                   critic_estimates_w1=objective.family == "critic" or lipschitz != "none",
                   game=objective.joint_loss is None)


def display_batch(measurer) -> tuple[torch.Tensor, np.ndarray]:
    """The fixed latent batch and data sample the views draw (same z every frame, so motion is the model's)."""
    if "display" not in measurer.cache:
        t = measurer.trainer
        rng = streams.generator("display", measurer.seed)  # the run's starting seed: a reseed moves no frame
        m = t.cfg.model
        z = sample_latent(DISPLAY_POINTS, m.latent_dim, m.latent, rng, t.device)
        if t.cfg.model.conditional:  # the same draws as ``sample``, with each point's class (conditional GANs)
            real, labels = t.dataset.sample_labelled(DISPLAY_POINTS, rng)
            measurer.cache["display_labels"] = labels.numpy()
        else:
            real = t.dataset.sample(DISPLAY_POINTS, rng)
        real = real.numpy()
        measurer.cache["display"] = (z, real)
    return measurer.cache["display"]


def make_frame(measurer, grid: int, probe: bool = True) -> Frame:
    """A Frame of the measurer's trainer as it is now; ``probe=False`` skips the surfaces (cheap frame).

    A conditional GAN's frame is drawn for the class picker's class (``model.shown_class``, −1: every class):
    G asked for it, D judged for it, the data density p_data(x | k) and the real points of class k; the asked and
    the real classes travel with the frame (``Frame.fake_labels``, ``Frame.real_labels``)."""
    t = measurer.trainer
    shown = t.cfg.model.shown_class if t.cfg.model.conditional else -1
    with asking(t.G, t.D, shown):
        frame = _frame(measurer, grid, probe)
        if not t.cfg.model.conditional:
            return frame
        frame.fake_labels = t.G.labels_for(len(frame.fake)).cpu().numpy()
    frame.display = replace(display_facts(t.objective, t.dataset, t.cfg.lipschitz.name), conditional=True,
                            shown_class=shown, conditioning=t.cfg.model.conditioning)
    labels = measurer.cache.get("display_labels")
    if labels is not None and not t.dataset.is_image:
        keep = labels == shown if shown >= 0 else np.ones(len(labels), dtype=bool)
        frame.real, frame.real_labels = frame.real[keep], labels[keep]
    return frame


def shown_data(trainer) -> Dataset:
    """The data the views compare G with: p_data(x | k) for a conditional GAN's shown class k, else the data."""
    m = trainer.cfg.model
    if m.conditional and m.shown_class >= 0 and not trainer.dataset.is_image:
        return trainer.dataset.given_class(m.shown_class)
    return trainer.dataset


def _frame(measurer, grid: int, probe: bool) -> Frame:
    """``make_frame`` for the data ``shown_data`` gives (the whole data set unless a class is picked)."""
    t = measurer.trainer
    ds = shown_data(t)
    frame = Frame(step=t.step_count, dim=ds.dim, loss=t.cfg.loss.name, lipschitz=t.cfg.lipschitz.name,
                  bounds=np.asarray(ds.bounds, dtype=float), real=np.zeros((0, ds.dim)), fake=np.zeros((0, ds.dim)),
                  status=f"{t.device.type.upper()} · step {t.step_count}",
                  display=display_facts(t.objective, ds, t.cfg.lipschitz.name))
    if ds.is_image:
        # the image probe's fixed grids (64 images each) are what the views draw: small enough for the queue
        metrics = measurer.cache.get("image_metrics")
        hist = None if metrics is None else metrics.last_hist  # the generated class histogram of the last row
        frame.images = measurer.image_probe().images(t.G, t.step_count, class_hist=hist,
                                                     with_nn=None if probe else False)
        frame.real, frame.fake = frame.images["real"], frame.images["fake"]
        if probe:
            frame.latent_maps, frame.latent_paths = image_latent_pictures(measurer)
        return frame
    z, frame.real = display_batch(measurer)
    with eval_mode(t.G), torch.no_grad():
        fake_t = t.G(z)
    frame.fake = fake = fake_t.cpu().numpy()
    if t.objective.joint_loss is None:
        frame.push = probes.push_directions(t.D, _push_loss(t, frame.real, fake_t), fake_t[:PUSH_POINTS])
    else:  # no game (VAE, autoencoder): G's update does not push its samples anywhere, so no arrows
        frame.push = np.zeros((0, ds.dim))
    if not probe:
        return frame
    view = measurer.score_view(torch.as_tensor(frame.real, dtype=torch.float32, device=t.device), fake_t, fake_t)
    if ds.dim == 2:
        # the surface follows a generator that wandered off the data (as the view does), up to 2× the bounds
        bounds = probes.probe_bounds(ds.bounds, fake)
        key = (grid, tuple(bounds.ravel()), ds.name)  # the data density on the last probed grid (and class),
        # kept for the next frame
        if measurer.cache.get("data_density", (None,))[0] != key:
            measurer.cache["data_density"] = (key, probes.data_density_on_grid(ds, bounds, grid))
        frame.surface = probes.surface_2d(ds, view, fake, resolution=grid, bounds=bounds,
                                          data_density=measurer.cache["data_density"][1])
        frame.latent_grid = probes.latent_grid(t.G, t.cfg.model.latent_dim, t.cfg.model.latent, LATENT_LINES,
                                               t.device)
    else:
        gen = measurer.generate(t.cfg.metrics.n_samples, measurer.stream("curves_1d")).cpu().numpy()
        frame.curves = probes.curves_1d(ds, view, gen, resolution=max(grid, 200), G=t.G,
                                        latent_dim=t.cfg.model.latent_dim, latent_kind=t.cfg.model.latent,
                                        data_samples=frame.real)
    frame.latent_maps, frame.latent_paths = latent_pictures(measurer, z)
    return frame


CLASS_MAP_RESOLUTION = 16  # cells per axis of each class's map when a conditional G is drawn for every class
# (8 classes × 16² = 2× the cells of one 32² map)
CLASS_IMAGE_CELLS = 3  # small multiples per axis of each class's image map then (10 classes: 90 images)
PATH_CLASS = 0  # the class a conditional G's paths ask for when every class is drawn (each point of a path asking
# its own class, as G(z) alone does, made the path jump between modes)


def path_ends(measurer) -> tuple[np.ndarray, np.ndarray]:
    """The codes A and B the paths join: picked ones (``pick_path_end``), else two fixed display codes chosen
    once per run (``latent.path_ends``: of the display batch, or of the image probe's sample grid)."""
    if "path_ends" not in measurer.cache:
        t = measurer.trainer
        z = measurer.image_probe().z if t.dataset.is_image else display_batch(measurer)[0]
        measurer.cache["path_ends"] = latent.path_ends(z.cpu().numpy())
    return measurer.cache["path_ends"]


def pick_path_end(measurer, end: str, code) -> None:
    """Make ``code`` (latent_dim numbers) end A or B of the paths (``end`` "a" or "b"); a ConfigError names a bad
    end or code. The latent maps of a larger latent follow: their slice is the plane through the origin, A and B."""
    m = measurer.trainer.cfg.model
    z = np.asarray(code, dtype=np.float64).ravel()
    if end not in ("a", "b"):
        raise ConfigError(f"path end: {end!r} is not an end (allowed: a, b)")
    if z.shape != (m.latent_dim,) or not np.all(np.isfinite(z)):
        raise ConfigError(f"path end: the code must be {m.latent_dim} finite number(s) (model.latent_dim), got "
                          f"{len(z)}")
    a, b = path_ends(measurer)
    measurer.cache["path_ends"] = (z, b) if end == "a" else (a, z)


def _per_class(t, fn) -> tuple:
    """``fn()``'s maps, once per class for a conditional G drawn for every class (each map's ``asked`` set), else
    once: asked the shown class (or nothing). G(z) alone asks each sample its own class, so one map of every
    class was speckled: neighbouring codes asked different classes."""
    m = t.cfg.model
    if not m.conditional or m.shown_class >= 0:
        return tuple(replace(lm, asked=m.shown_class if m.conditional else -1) for lm in fn(None))
    out = []
    for k in range(t.G.n_classes):
        with asking(t.G, t.D, k):
            out += [replace(lm, asked=k) for lm in fn(k)]
    return tuple(out)


def _path_class(t):
    """The class a conditional G's paths ask for (the shown one, or PATH_CLASS for every class); None: any."""
    m = t.cfg.model
    return (m.shown_class if m.shown_class >= 0 else PATH_CLASS) if m.conditional else None


def latent_pictures(measurer, z: torch.Tensor) -> tuple[tuple, tuple]:
    """(latent maps, latent paths) of the trainer's G for the Latent tab and the data view's path layer: the map
    over the z plane (and w plane) when the latent has ≤ 2 dimensions and the data has modes (a conditional G
    drawn for every class: one smaller map per class); the paths between the codes A and B (``path_ends``: fixed
    per run until the person picks others, so the paths move only as G learns). Cost: ``latent.LATENT_MS``."""
    t = measurer.trainer
    ds, m = t.dataset, t.cfg.model
    a, b = path_ends(measurer)
    codes = z[:LATENT_CLOUD].cpu().numpy()
    maps = _per_class(t, lambda k: latent.latent_map(
        t.G, m.latent_dim, m.latent, ds.centres, ds.stds, display_z=codes,
        resolution=latent.MAP_RESOLUTION if k is None else CLASS_MAP_RESOLUTION))
    with asking(t.G, t.D, _path_class(t)):
        return maps, latent.paths(t.G, a, b, centres=ds.centres, stds=ds.stds)


def image_latent_pictures(measurer) -> tuple[tuple, tuple]:
    """(latent maps, latent paths) of an image generator: its images over a plane of the latent (``latent.
    image_map``; one smaller grid per class for a conditional G drawn for every class) and along the paths A → B
    (``latent.image_paths``)."""
    t = measurer.trainer
    m = t.cfg.model
    a, b = path_ends(measurer)
    cloud = measurer.image_probe().z.cpu().numpy()
    maps = _per_class(t, lambda k: (latent.image_map(
        t.G, m.latent_dim, m.latent, a, b, display_z=cloud,
        cells=latent.IMAGE_MAP_CELLS if k is None else CLASS_IMAGE_CELLS),))
    with asking(t.G, t.D, _path_class(t)):
        return maps, latent.image_paths(t.G, a, b)


def invert_point(measurer, point) -> Inversion:
    """Find z for a data-space ``point`` (``latent.invert``), its random starts from the "inversion" stream at the
    current step (a conditional G is asked for the shown class, as the views draw it; −1: the starts' classes
    follow the data's class mix); a ConfigError names what is wrong with a point that cannot be inverted.

    Image data: ``point`` is (i,), the index of a real image of the frame's grid (``Frame.images["real"]``,
    ``latent.invert_image``)."""
    t = measurer.trainer
    ds = t.dataset
    m = t.cfg.model
    if ds.is_image:
        probe = measurer.image_probe()
        n = len(probe.real_index)
        index = np.asarray(point, dtype=np.float64).ravel()
        if index.shape != (1,) or not np.isfinite(index[0]) or index[0] != int(index[0]) or not 0 <= index[0] < n:
            raise ConfigError(f"inversion: for image data the target is the index of a real image shown, 0 to "
                              f"{n - 1}; got {list(index)}")
        i = int(index[0])
        asked = None  # a conditional G drawn for every class is asked for the real image's own class
        if m.conditional:
            asked = m.shown_class if m.shown_class >= 0 or probe.real_labels is None else int(probe.real_labels[i])
        with asking(t.G, t.D, asked):
            return latent.invert_image(t.G, ds.images[probe.real_index[i]], m.latent_dim, m.latent,
                                       measurer.stream("inversion"), step=t.step_count, index=i)
    target = np.asarray(point, dtype=np.float64).ravel()
    if target.shape != (ds.dim,) or not np.all(np.isfinite(target)):
        raise ConfigError(f"inversion: the point must be {ds.dim} finite number(s), got {list(target)}")
    asked = m.shown_class if m.conditional else -1  # a conditional G: the picked class's G
    if asked < 0 and m.conditional and ds.centres is not None and len(ds.centres) == t.G.n_classes:
        # every class: the class of the mode nearest the point (a mixture's component k is its class k). Left to
        # G(z) alone, each start and each recorded step asked its own class: the search paths jumped across the plot
        asked = int(nearest_mode(target[None], np.asarray(ds.centres), np.asarray(ds.stds))[0][0])
    with asking(t.G, t.D, asked):
        return latent.invert(t.G, target, m.latent_dim, m.latent, measurer.stream("inversion"), step=t.step_count)


def _push_loss(t, real: np.ndarray, fake_t: torch.Tensor):
    """G's loss as a function of D's outputs on the pushed points (``probes.push_directions``), the objective's
    state bound; D's outputs on the display's real points (``g_needs_real``) and on the other generated points
    (``fake_batches = 2``) held fixed."""
    objective, state, D = t.objective, t.objective_state, t.D
    out_r = out_f2 = None
    if objective.g_needs_real or objective.fake_batches == 2:
        with eval_mode(D), torch.no_grad():
            if objective.g_needs_real:
                out_r = D(torch.as_tensor(real[:PUSH_POINTS], dtype=torch.float32, device=t.device))
            if objective.fake_batches == 2:
                out_f2 = D(fake_t[-PUSH_POINTS:])
    if objective.head == "score":
        out_r = None if out_r is None else out_r.reshape(-1)

    def loss(out_x):
        out_f = out_x.reshape(-1) if objective.head == "score" else out_x
        return objective.g_loss(out_r, out_f if out_f2 is None else (out_f, out_f2), state)

    return loss
