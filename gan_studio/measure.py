"""What the engine measures and draws: metrics.csv columns at their cadence, and Frames for the views.

The estimators themselves live in ``gan_studio.metrics`` (pure NumPy) and ``gan_studio.probes`` (nets to
arrays); this module decides *when* each runs, on *which* samples, and puts the results in rows and frames.

Cadence (``[metrics]`` in the config): cheap measurements (JS, sliced W1, 1D W1, mode coverage, scores on
fresh batches, input-gradient norms, singular values) every ``metrics.every`` steps; exact 2D optimal
transport every ``metrics.ot_every`` steps; everything on ``full=True`` (the last row of a run).
All samples come from ``Trainer.measurement_rng`` — measuring never moves the training RNG.
"""

from __future__ import annotations

import numpy as np
import torch

from gan_studio import metrics as M
from gan_studio import probes
from gan_studio.frames import Frame
from gan_studio.nets import eval_mode, sample_latent, weight_layers

POINT_COLUMNS = ["js", "js_floor", "js_d", "fdiv_d", "w1", "w1_floor", "sw1", "w1_critic", "lip", "w1_lb",
                 "modes", "hq", "rkl", "gx_real", "gx_fake", "gx_interp"]
IMAGE_COLUMNS = ["classes", "confident", "rkl", "fd_classifier", "sw1", "js_d", "fdiv_d", "w1_critic", "lip",
                 "w1_lb", "gx_real", "gx_fake", "gx_interp"]
GRADIENT_POINTS = 512  # points each of real / fake / interpolated for ‖∇ₓD‖
SW1_PROJECTIONS = 32  # sliced W1 directions: a cheap trend (128 cost 12 ms a measurement, 32 cost 2 ms)
LIP_GRID = 50  # lip also takes the max over a LIP_GRID² grid on the plot bounds (100² costs 4× as much)
DISPLAY_POINTS = 1000  # real and generated points drawn in the data-space view
PUSH_POINTS = 120  # generated points that get a push arrow (more arrows hide the samples and cost frame time);
# the first ones of the fixed display batch, so each arrow stays with its sample from frame to frame
LATENT_LINES = 21  # k×k warped latent grid


def measurement_columns(trainer) -> list[str]:
    """The measurement columns of metrics.csv for this run (after the training columns)."""
    base = IMAGE_COLUMNS if trainer.dataset.is_image else POINT_COLUMNS
    return base + [f"sigma_d_{i}" for i in range(len(weight_layers(trainer.D)))]


def _reached(trainer, name: str, every: int, step: int) -> bool:
    """Whether a multiple of ``every`` lies after the step this measurement last ran and at or before ``step``."""
    return step // every > trainer.measured.get(name, 0) // every


def _due(trainer, name: str, every: int, full: bool) -> bool:
    """True when a multiple of ``every`` was reached since this measurement last ran, or ``full``.

    A ``full`` measurement is extra (the end of a run, a save from the window): it does not move the cadence,
    so a run saved mid-way measures afterwards exactly as one that was not.
    """
    if full:
        return True
    if _reached(trainer, name, every, trainer.step_count):
        trainer.measured[name] = trainer.step_count
        return True
    return False


def measures_at(trainer, step: int) -> bool:
    """Whether the metrics row of ``step`` (a logged step) will carry a cadenced measurement; changes nothing."""
    mcfg = trainer.cfg.metrics
    return _reached(trainer, "cheap", mcfg.every, step) or _reached(trainer, "ot", mcfg.ot_every, step)


def _scores(D, x: torch.Tensor) -> torch.Tensor:
    with eval_mode(D), torch.no_grad():
        return D(x).reshape(-1)


def _score_columns(trainer, x_real: torch.Tensor, x_fake: torch.Tensor) -> dict:
    """Columns from D's scores on fresh batches: js_d (classifier losses), fdiv_d (f-GAN), critic estimate."""
    s_r, s_f = _scores(trainer.D, x_real), _scores(trainer.D, x_fake)
    row = {"w1_critic": M.critic_w1(s_r.cpu().numpy(), s_f.cpu().numpy())}
    if trainer.loss.family == "classifier":
        row["js_d"] = M.js_from_scores(s_r.cpu().numpy(), s_f.cpu().numpy())
    if trainer.loss.bound is not None:
        row["fdiv_d"] = float(trainer.loss.bound(s_r, s_f))
    return row


def _gradient_columns(trainer, x_real: torch.Tensor, x_fake: torch.Tensor, rng: torch.Generator) -> dict:
    m = GRADIENT_POINTS
    bounds = None if trainer.dataset.is_image else trainer.dataset.bounds
    return probes.gradient_diagnostics(trainer.D, x_real[:m], x_fake[:m], rng, bounds=bounds, resolution=LIP_GRID)


def _data_samples(trainer, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent data samples of size n (for estimates and their noise floors), cached per n."""
    key = ("data", n)
    if key not in trainer.cache:
        rng = torch.Generator().manual_seed(trainer.cfg.train.seed + 7_777)
        trainer.cache[key] = (trainer.dataset.sample(n, rng).numpy(), trainer.dataset.sample(n, rng).numpy())
    return trainer.cache[key]


def _pause(trainer) -> None:
    """Between two parts of a measurement: let the trainer's owner act (the window's worker delivers a frame
    there when one is due, so a 40–100 ms measurement does not stall the view). Nothing here may change
    the nets or any random generator the measurement uses."""
    hook = getattr(trainer, "on_measure_pause", None)
    if hook is not None:
        hook()


def measure(trainer, full: bool = False) -> dict:
    """The measurement columns due at the trainer's current step (all of them when ``full``)."""
    mcfg = trainer.cfg.metrics
    cheap = _due(trainer, "cheap", mcfg.every, full)
    exact_ot = _due(trainer, "ot", mcfg.ot_every, full)
    if not cheap and not exact_ot:
        return {}
    n = mcfg.n_samples
    rng = trainer.measurement_rng(salt=1)
    fake_t = trainer.generate(n, rng)
    real, real2 = _data_samples(trainer, n)
    fake = fake_t.cpu().numpy()
    row: dict = {}
    if trainer.dataset.is_image:
        from gan_studio.image_probes import image_metrics  # torch classifier; only image runs need it

        if cheap:
            _pause(trainer)
            row.update(image_metrics(trainer, fake))
    elif cheap:
        ds = trainer.dataset
        row.update(M.point_metrics(fake, real, real2, bounds=ds.bounds, rng=np.random.default_rng(trainer.step_count),
                                   density=ds.density, cdf=ds.cdf if ds.dim == 1 else None,
                                   centres=ds.centres, stds=ds.stds, n_proj=SW1_PROJECTIONS))
    if exact_ot and not trainer.dataset.is_image and trainer.dataset.dim == 2:
        m = min(mcfg.ot_samples, M.MAX_EXACT_N)
        _pause(trainer)
        row["w1"] = M.w1_exact(real[:m], fake[:m])
        if ("w1_floor", m) not in trainer.cache:  # the floor depends only on the data and m
            trainer.cache[("w1_floor", m)] = M.w1_exact(real[:m], real2[:m])
        row["w1_floor"] = trainer.cache[("w1_floor", m)]
    if cheap:
        x_real = torch.as_tensor(real, device=trainer.device)
        _pause(trainer)
        row.update(_score_columns(trainer, x_real, fake_t))
        _pause(trainer)
        row.update(_gradient_columns(trainer, x_real, fake_t, rng))
        lip = row.get("lip")
        row["w1_lb"] = M.w1_lower_bound(row["w1_critic"], lip) if lip else None
    return {k: (None if v is None else float(v)) for k, v in row.items()}


# -------------------------------------------------------------------------------------------------- frames
def _display(trainer) -> tuple[torch.Tensor, np.ndarray]:
    """The fixed latent batch and data sample the views draw (same z every frame, so motion is the model's)."""
    if "display" not in trainer.cache:
        rng = torch.Generator().manual_seed(trainer.cfg.train.seed + 4_242)
        m = trainer.cfg.model
        z = sample_latent(DISPLAY_POINTS, m.latent_dim, m.latent, rng, trainer.device)
        real = trainer.dataset.sample(DISPLAY_POINTS, rng).numpy()
        trainer.cache["display"] = (z, real)
    return trainer.cache["display"]


def make_frame(trainer, grid: int, probe: bool = True) -> Frame:
    """A Frame of the trainer's current state; ``probe=False`` skips the surfaces (cheap frame)."""
    ds = trainer.dataset
    frame = Frame(step=trainer.step_count, dim=ds.dim, loss=trainer.cfg.loss.name,
                  lipschitz=trainer.cfg.lipschitz.name,
                  score_kind="probability" if trainer.loss.family == "classifier" else "score",
                  bounds=np.asarray(ds.bounds, dtype=float), real=np.zeros((0, ds.dim)), fake=np.zeros((0, ds.dim)),
                  status=f"{trainer.device.type.upper()} · step {trainer.step_count}")
    if ds.is_image:
        from gan_studio.image_probes import image_frame

        # the image probe's fixed grids (64 images each) are what the views draw: small enough for the queue
        frame.images = image_frame(trainer, with_nn=None if probe else False)
        frame.real, frame.fake = frame.images["real"], frame.images["fake"]
        return frame
    z, frame.real = _display(trainer)
    with eval_mode(trainer.G), torch.no_grad():
        fake_t = trainer.G(z)
    frame.fake = fake = fake_t.cpu().numpy()
    frame.push = probes.push_directions(trainer.D, trainer.loss, fake_t[:PUSH_POINTS])
    if not probe:
        return frame
    if ds.dim == 2:
        # the surface follows a generator that wandered off the data (as the view does), up to 2× the bounds
        bounds = probes.probe_bounds(ds.bounds, fake)
        key = (grid, tuple(bounds.ravel()))  # the data density on the last probed grid, kept for the next frame
        if trainer.cache.get("data_density", (None,))[0] != key:
            trainer.cache["data_density"] = (key, probes.data_density_on_grid(ds, bounds, grid))
        frame.surface = probes.surface_2d(ds, trainer.D, fake, resolution=grid, bounds=bounds,
                                          data_density=trainer.cache["data_density"][1])
        frame.latent_grid = probes.latent_grid(trainer.G, trainer.cfg.model.latent_dim, trainer.cfg.model.latent,
                                               LATENT_LINES, trainer.device)
    else:
        gen = trainer.generate(trainer.cfg.metrics.n_samples, trainer.measurement_rng(salt=5)).cpu().numpy()
        frame.curves = probes.curves_1d(ds, trainer.D, gen, resolution=max(grid, 200), G=trainer.G,
                                        latent_dim=trainer.cfg.model.latent_dim,
                                        latent_kind=trainer.cfg.model.latent, data_samples=frame.real)
    return frame

