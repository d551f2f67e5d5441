"""The measurement boundary: ``Measurer`` decides when each measurement runs, on which samples, with which random
stream, and puts the results in metrics rows and frames. It reads the trainer through ``MeasuredTrainer`` only.

Cadence (``[metrics]`` in the config): cheap measurements (JS, sliced W1, 1D W1, exact 2D transport on
``metrics.FAST_OT_N`` points, mode coverage, scores on fresh batches, input-gradient norms, singular values) every
``metrics.every`` steps; exact 2D optimal transport on ``metrics.ot_samples`` points every ``metrics.ot_every`` steps;
everything on ``full=True`` (the last row of a run). Samples come from the named
streams of ``measure.streams``: measuring never moves the training RNG. The estimators are pure NumPy functions in
``gan_studio.metrics``; the gradient columns are ``measure.gradients``; the image columns ``measure.images``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch

from gan_studio import columns, metrics
from gan_studio.config import Config
from gan_studio.data.base import Dataset
from gan_studio.frames import Frame, Inversion
from gan_studio.lipschitz import ScoreView
from gan_studio.measure import frame, streams
from gan_studio.measure.gradients import activation_gradient_columns, gradient_diagnostics
from gan_studio.measure.notes import note_flags
from gan_studio.metrics.conditional import class_match
from gan_studio.metrics.conditional import summary as class_summary
from gan_studio.nets import eval_mode, sample_latent, weight_layers
from gan_studio.nets.conditional import asked_labels, labelled
from gan_studio.objectives.base import Objective, State

WITNESS_POINTS = 512  # reference real / generated points of a witness (grid × refs kernel matrices stay small)

GRADIENT_POINTS = 512  # points each of real / fake / interpolated for ‖∇ₓD‖
SW1_PROJECTIONS = 32  # sliced W1 directions: a cheap trend (128 cost 12 ms a measurement, 32 cost 2 ms)
LIP_GRID = 50  # lip also takes the max over a LIP_GRID² grid on the plot bounds (100² costs 4× as much)
FINAL_SAMPLES = 2500  # samples.npy holds max(metrics.n_samples, this) samples; the final row is measured on them


class MeasuredTrainer(Protocol):
    """What measurement reads of a trainer (``engine.Trainer`` satisfies it); it never writes to it."""

    cfg: Config
    dataset: Dataset
    G: torch.nn.Module
    D: torch.nn.Module
    objective: Objective  # the active objective: its estimate, G loss (push arrows) and display facts
    objective_state: State
    device: torch.device
    step_count: int
    header_d_layers: int  # D's weight layers when the run started (the grad_d_<i> / sigma_d_<i> columns)


class Measurer:
    """Cadence, caches and random streams of one run's measurements; rows, frames and final samples from them."""

    def __init__(self, trainer: MeasuredTrainer):
        self.trainer = trainer
        self.measured: dict[str, int] = {}  # measurement name -> step it last ran
        self.cache: dict = {}  # fixed samples for display and noise floors, probes, computed once per run
        # The run's starting seed: the caches above are drawn from it, not from the seed at their first use, so a
        # measurement made before a reseed (a Save) caches what a run that measured only later caches (issue #17).
        self.seed: int = trainer.cfg.train.seed
        self.measure_seconds = 0.0  # time spent in measurement (the benchmark reports its share)

    # ------------------------------------------------------------------------------------------ streams
    def stream(self, name: str) -> torch.Generator:
        """A fresh generator of the named stream (``streams.STREAMS``) at the trainer's seed and current step."""
        return streams.generator(name, self.trainer.cfg.train.seed, self.trainer.step_count)

    def generate(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """``n`` generated samples in eval mode without gradients (never touches the training RNG)."""
        m = self.trainer.cfg.model
        z = sample_latent(n, m.latent_dim, m.latent, rng, self.trainer.device)
        with eval_mode(self.trainer.G), torch.no_grad():
            return self.trainer.G(z)

    def data_samples(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Two independent data samples of size n (for estimates and their noise floors), cached per n, drawn from
        the run's starting seed."""
        key = ("data", n)
        if key not in self.cache:
            rng = streams.generator("data", self.seed)
            sample = self.trainer.dataset.sample
            self.cache[key] = (sample(n, rng).numpy(), sample(n, rng).numpy())
        return self.cache[key]

    def data_changed(self) -> None:
        """The trainer's data set was replaced (a live ``data.path`` change): drop every cached sample and picture
        drawn from the old data (data samples and their noise floors, the display batch, the data density), so the
        next rows and frames measure against the new data. The latent path ends (a person's picks) stay; the rest is
        drawn again from the same seeded streams, so a replay caches the same."""
        self.cache = {key: value for key, value in self.cache.items() if key == "path_ends"}

    def data_labels(self, n: int) -> torch.Tensor | None:
        """The classes of the first data sample of ``data_samples(n)`` for a conditional GAN (the same draws,
        labelled), on the training device; None for an unconditional run."""
        t = self.trainer
        if not t.cfg.model.conditional:
            return None
        key = ("data_labels", n)
        if key not in self.cache:
            self.cache[key] = t.dataset.sample_labelled(n, streams.generator("data", self.seed))[1].to(t.device)
        return self.cache[key]

    # ------------------------------------------------------------------------------------------ cadence
    def columns(self) -> list[str]:
        """Every metrics.csv column of this run, in order: the registry's for this data and these nets. The
        registry lists every objective's estimate and state columns (a run may switch to any objective; cells of
        objectives not active stay empty)."""
        t = self.trainer
        return columns.run_columns(frame.data_kind(t.dataset), t.header_d_layers, len(weight_layers(t.G)))

    # ------------------------------------------------------------------------------------------ D as a score
    def score_view(self, x_real: torch.Tensor, x_fake: torch.Tensor, x_fake2: torch.Tensor | None = None
                   ) -> torch.nn.Module:
        """D as a scalar function of x, in the units drawn (``Objective.scores``): D itself for a score head; for
        other heads D followed by the witness (reference outputs on the first ``WITNESS_POINTS`` of ``x_real`` and
        ``x_fake``, and ``x_fake2`` for two-batch objectives) or by the energy."""
        t = self.trainer
        objective, D = t.objective, t.D
        if objective.head == "score":
            return D
        n = WITNESS_POINTS
        with eval_mode(D), torch.no_grad():
            out_r, out_f = D(x_real[:n]), D(x_fake[:n])
            if objective.fake_batches == 2:
                out_f = (out_f, D((x_fake if x_fake2 is None else x_fake2)[-n:]))
        return ScoreView(D, lambda out_x: objective.scores(out_x, out_r, out_f))

    def _reached(self, name: str, every: int, step: int) -> bool:
        """Whether a multiple of ``every`` lies after the step this measurement last ran and at or before ``step``."""
        return step // every > self.measured.get(name, 0) // every

    def _due(self, name: str, every: int, full: bool) -> bool:
        """True when a multiple of ``every`` was reached since this measurement last ran, or ``full``.

        A ``full`` measurement is extra (the end of a run, a save from the window): it does not move the cadence,
        so a run saved mid-way measures afterwards exactly as one that was not.
        """
        if full:
            return True
        if self._reached(name, every, self.trainer.step_count):
            self.measured[name] = self.trainer.step_count
            return True
        return False

    def measures_at(self, step: int) -> bool:
        """Whether the metrics row of ``step`` (a logged step) will carry a cadenced measurement; changes nothing."""
        mcfg = self.trainer.cfg.metrics
        return self._reached("cheap", mcfg.every, step) or self._reached("ot", mcfg.ot_every, step)

    # ------------------------------------------------------------------------------------------ rows
    def measure(self, full: bool = False, pause: Callable[[], None] | None = None) -> dict:
        """The measurement columns due at the trainer's current step (all of them when ``full``).

        ``pause`` (if given) is called between the parts of a measurement: the window's worker delivers a frame
        there, so a 40–100 ms measurement does not stall the view. It must not change the nets or any random
        generator the measurement uses.
        """
        mcfg = self.trainer.cfg.metrics
        cheap = self._due("cheap", mcfg.every, full)
        exact_ot = self._due("ot", mcfg.ot_every, full)
        if not cheap and not exact_ot:
            return {}
        rng = self.stream("metrics")
        fake = self.generate(mcfg.n_samples, rng)
        return self._timed(fake, rng, cheap, exact_ot, pause)

    def final_state(self) -> tuple[dict, np.ndarray]:
        """The measurement columns of the last row of a run and the samples saved with it (samples.npy).

        ``max(metrics.n_samples, 2,500)`` samples from the ``final`` stream; every column is measured on exactly
        these samples, so recomputing a metric from samples.npy gives the row's number.
        """
        rng = self.stream("final")
        fake = self.generate(max(self.trainer.cfg.metrics.n_samples, FINAL_SAMPLES), rng)
        return self._timed(fake, rng, True, True, None), fake.detach().cpu().numpy()

    def _timed(self, fake: torch.Tensor, rng: torch.Generator, cheap: bool, exact_ot: bool,
               pause: Callable[[], None] | None) -> dict:
        start = time.perf_counter()
        try:
            row = self._measure(fake, rng, cheap, exact_ot, pause or _no_pause)
        finally:
            self.measure_seconds += time.perf_counter() - start
        return {k: (None if v is None else float(v)) for k, v in row.items()}

    def _measure(self, fake_t: torch.Tensor, rng: torch.Generator, cheap: bool, exact_ot: bool,
                 pause: Callable[[], None]) -> dict:
        """The cheap and / or exact-transport columns on the generated samples ``fake_t``."""
        t, mcfg = self.trainer, self.trainer.cfg.metrics
        ds = t.dataset
        real, real2 = self.data_samples(len(fake_t))
        fake = fake_t.cpu().numpy()
        row: dict = {}
        if ds.is_image:
            if cheap:
                pause()
                row.update(self.image_metrics().evaluate(fake, asked=_asked(t.G, len(fake))))
        elif cheap:
            row.update(metrics.point_metrics(
                fake, real, real2, bounds=ds.bounds, rng=streams.numpy_generator("sliced_w1", t.step_count),
                density=ds.density, cdf=ds.cdf if ds.dim == 1 else None, centres=ds.centres, stds=ds.stds,
                weights=ds.weights, n_proj=SW1_PROJECTIONS))
            if ds.centres is not None and ds.stds is not None:
                row["modes_reached"] = metrics.modes_reached(fake, ds.centres, ds.stds)
                asked = _asked(t.G, len(fake))  # a conditional GAN: does class k land on mode k?
                if asked is not None:
                    row.update(class_summary(class_match(fake, asked, ds.centres, ds.stds), "class_match"))
            if ds.dim == 2:  # 7–14 ms: no frame pause needed (metrics.FAST_OT_N)
                row.update(self._transport(real, real2, fake, metrics.FAST_OT_N, "w1_fast"))
        if exact_ot and not ds.is_image and ds.dim == 2:
            pause()
            row.update(self._transport(real, real2, fake, mcfg.ot_samples, "w1"))
        if cheap:
            x_real = torch.as_tensor(real, device=t.device)
            pause()
            fake2 = self.generate(len(fake_t), rng) if t.objective.fake_batches == 2 else None
            row.update(self._score_columns(x_real, fake_t, fake2))
            pause()
            g = GRADIENT_POINTS
            view = self.score_view(x_real, fake_t, fake2)
            row.update(gradient_diagnostics(view, x_real[:g], fake_t[:g], rng, resolution=LIP_GRID,
                                            bounds=None if ds.is_image else ds.bounds))
            row.update(activation_gradient_columns(view, torch.cat([x_real[:g], fake_t[:g].to(x_real.dtype)]),
                                                   t.header_d_layers))
            lip = row.get("lip")
            critic = row.get("w1_critic")
            row["w1_lb"] = metrics.w1_lower_bound(critic, lip) if lip and critic is not None else None
            row["note"] = note_flags(fake, None if ds.is_image else ds.bounds, row)  # why a cell is NaN, if one is
        return row

    def _transport(self, real: np.ndarray, real2: np.ndarray, fake: np.ndarray, n: int, column: str) -> dict:
        """``column`` (exact 2D W1 on the first ``n`` points, at most ``MAX_EXACT_N``) and its floor (data against
        data, ``column + "_floor"``; it depends only on the data and n, so it is computed once)."""
        m = min(n, metrics.MAX_EXACT_N, len(fake))
        # keyed by the size of the data draw too: a save's final row draws 2,500 points, not n_samples, and its
        # floor cached under m alone replaced the later rows' floor (a save changed the next rows; issue #17)
        floor = (column + "_floor", m, len(real))
        if floor not in self.cache:
            self.cache[floor] = metrics.w1_exact(real[:m], real2[:m])
        return {column: metrics.w1_exact(real[:m], fake[:m]), floor[0]: self.cache[floor]}

    def _score_columns(self, x_real: torch.Tensor, x_fake: torch.Tensor, x_fake2: torch.Tensor | None = None
                       ) -> dict:
        """Columns from D's outputs on fresh batches: the critic estimate E s_r − E s_f (scores or witness values;
        not for an energy, whose sign is the other way), and the objective's own estimate (``estimate.compute`` on
        this head's outputs: ``js_d``, ``fdiv_d``, ``rel_gap``, ``tv_d``, ``mmd2`` ...)."""
        objective, D = self.trainer.objective, self.trainer.D
        # a conditional D judges each sample with its class: the data's own, the one G was asked for
        D_r, D_f = labelled(D, self.data_labels(len(x_real))), labelled(D, asked_labels(self.trainer.G, len(x_fake)))
        with eval_mode(D), torch.no_grad():
            out_r, out_f = D_r(x_real), D_f(x_fake)
            if objective.fake_batches == 2:
                out_f = (out_f, D_f(x_fake2))
            if objective.head == "score":
                out_r, out_f = out_r.reshape(-1), out_f.reshape(-1)
            row = {}
            if objective.d_view != "energy":  # an energy (autoencoder D, VAE) is lower for real: no critic gap
                n = WITNESS_POINTS  # a witness's reference batches; the score head ignores them
                ref_r = out_r[:n]
                ref_f = tuple(o[:n] for o in out_f) if objective.fake_batches == 2 else out_f[:n]
                s_r = objective.scores(out_r, ref_r, ref_f)
                s_f = objective.scores(objective.first_fake(out_f), ref_r, ref_f)
                row["w1_critic"] = metrics.critic_w1(s_r.cpu().numpy(), s_f.cpu().numpy())
            estimate = objective.estimate
            if estimate is not None:
                row[estimate.column] = estimate.compute(out_r, out_f)
        return row

    # ------------------------------------------------------------------------------------------ images
    def image_metrics(self):
        """The run's ``ImageMetrics`` (built once; its classifier is trained or loaded on first use)."""
        if "image_metrics" not in self.cache:
            from gan_studio.measure.images import ImageMetrics  # torch classifier: only image runs need it

            self.cache["image_metrics"] = ImageMetrics(self.trainer.dataset, seed=self.seed)
        return self.cache["image_metrics"]

    def image_probe(self):
        """The run's ``ImageProbe`` (built once: the data set and the latent set-up cannot change during a run)."""
        if "image_probe" not in self.cache:
            from gan_studio.measure.images import ImageProbe

            m = self.trainer.cfg.model
            self.cache["image_probe"] = ImageProbe(self.trainer.dataset, m.latent_dim, m.latent, self.seed)
        return self.cache["image_probe"]

    # ------------------------------------------------------------------------------------------ frames
    def frame(self, grid: int, probe: bool = True) -> Frame:
        """A Frame of the trainer's current state; ``probe=False`` skips the surfaces (cheap frame)."""
        return frame.make_frame(self, grid, probe)

    def invert(self, point) -> Inversion:
        """z for a data-space point by optimisation (``frame.invert_point``)."""
        return frame.invert_point(self, point)

    def pick_path_end(self, end: str, code) -> None:
        """Make ``code`` end A or B of the latent paths (``frame.pick_path_end``)."""
        frame.pick_path_end(self, end, code)


def _asked(G: torch.nn.Module, n: int) -> np.ndarray | None:
    """The classes a conditional G asked for in a measured sample of n (None when G is unconditional)."""
    labels = asked_labels(G, n)
    return None if labels is None else labels.cpu().numpy()


def _no_pause() -> None:
    """The pause of a measurement nobody waits on."""
