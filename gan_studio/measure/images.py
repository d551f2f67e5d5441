"""Image measurement: probes for ``Frame.images`` (and ``Frame.real`` / ``Frame.fake``), and ``ImageMetrics``,
the image columns of metrics.csv (classifier from ``measure.classifier``, estimators from ``metrics.images``).

Probes: torch nets in, NumPy out.

An ``ImageProbe`` holds everything fixed for the life of a run — a latent batch for the sample grid (so the same
cell shows the same z over time), pairs of latent endpoints for interpolation strips, a fixed grid of real
images — drawn from its own torch.Generator, so probing never touches the engine's random streams and does not
change training or metrics, whatever the paint cadence. G runs under ``torch.no_grad()`` in eval mode (restored
afterwards).

Keys of the dict returned by ``ImageProbe.images`` (all images float32 in [0, 1], shape (…, C, H, W)):

=============== ================ ==================================================================
key             shape / type     meaning
=============== ================ ==================================================================
step            int              training step the pictures belong to
grid            int              g: grids are g×g cells, row-major
fake            (g², C, H, W)    G(z_i) for the fixed latents z_i (cell i tracks the same z)
real            (g², C, H, W)    fixed stored training images (drawn once, with replacement)
interp          (m, k, C, H, W)  G along m paths of k steps between fixed latent pairs (z_a → z_b)
interp_kind     str              "slerp" (spherical) for Gaussian latents, "linear" for uniform
nn_real         (g², C, H, W)    nearest training image (pixel L2) to each cell of ``fake``
nn_index        (g²,) int64      its index in the training set
nn_dist         (g²,) float32    pixel L2 distance in [0, 1] units (‖a − b‖ over all C·H·W values)
nn_step         int              step at which the nearest neighbours were computed
nn_ref_dist     (g²,) float32    the same distance from each ``real`` cell to its nearest *other*
                                 training image: the scale of "new" vs "memorised"
class_names     list[str]        labelled sets only
real_labels     (g²,) int64      labelled sets only: the class of each ``real`` cell (the view shows a conditional
                                 GAN's picked class among them)
class_hist_data (K,) float64     share of training images per class (sums to 1)
class_hist_fake (K,) float64     share of the confidently classified generated samples per class
                                 (from ``ImageMetrics.last_hist``; absent until metrics ran)
=============== ================ ==================================================================

The nearest-neighbour keys are present only when they were computed in this call (every call for small sets,
every ``nn_every``-th call when the training set is large; see ``ImageProbe.images``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gan_studio.measure import streams
from gan_studio.measure.classifier import ImageClassifier, get_classifier
from gan_studio.metrics.conditional import class_accuracy
from gan_studio.metrics.conditional import summary as class_summary
from gan_studio.metrics.images import (
    CONFIDENCE,
    class_coverage,
    frechet_distance,
    gaussian_fit,
    sharpness,
    sliced_w1,
    sorted_projections,
    w1_sorted,
)
from gan_studio.nets import eval_mode, sample_latent

NN_BUDGET = 5e7  # multiply-adds below which nearest neighbours are computed at every call


def to_unit(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Images in [−1, 1] → float32 NumPy in [0, 1] (clipped)."""
    if torch.is_tensor(x):
        x = x.detach().float().cpu().numpy()
    return np.clip((np.asarray(x, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def interpolate_latents(za: torch.Tensor, zb: torch.Tensor, steps: int, spherical: bool) -> torch.Tensor:
    """Paths from za (m, d) to zb (m, d) in ``steps`` points (endpoints included) → (m, steps, d).

    spherical: slerp on the angle between za and zb with the norm interpolated linearly (keeps Gaussian latents
    at typical norms); else straight lines.
    """
    t = torch.linspace(0.0, 1.0, steps).view(1, steps, 1)
    a, b = za[:, None, :], zb[:, None, :]
    if not spherical:
        return (1 - t) * a + t * b
    na, nb = a.norm(dim=2, keepdim=True), b.norm(dim=2, keepdim=True)
    ua, ub = a / na.clamp_min(1e-12), b / nb.clamp_min(1e-12)
    omega = torch.arccos((ua * ub).sum(dim=2, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / so
    return direction * ((1 - t) * na + t * nb)


def nearest_training(fake: torch.Tensor, data: torch.Tensor, data_sq: torch.Tensor | None = None,
                     chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Index (n,) and Euclidean distance (n,) of the nearest row of ``data`` (N, D) for each row of ``fake`` (n, D).

    Exact: ‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b in float64 over chunks of the training set (``data_sq`` = ‖b‖²).
    """
    f = fake.reshape(len(fake), -1).double()
    f_sq = (f * f).sum(1)
    best = torch.full((len(f),), float("inf"), dtype=torch.float64)
    arg = torch.zeros(len(f), dtype=torch.int64)
    for start in range(0, len(data), chunk):
        d = data[start:start + chunk].reshape(-1, f.shape[1]).double()
        dsq = (d * d).sum(1) if data_sq is None else data_sq[start:start + chunk].double()
        dist2 = f_sq[:, None] + dsq[None, :] - 2.0 * (f @ d.T)
        val, idx = dist2.min(dim=1)
        better = val < best
        best = torch.where(better, val, best)
        arg = torch.where(better, idx + start, arg)
    return arg.numpy(), best.clamp_min(0).sqrt().numpy()


class ImageProbe:
    """Fixed probe inputs for one run on an image data set, and the pictures G makes from them."""

    def __init__(self, dataset, latent_dim: int, latent: str = "gaussian", seed: int = 0, grid: int = 8,
                 interp_paths: int = 3, interp_steps: int = 10, nn_every: int = 10):
        self.dataset = dataset
        self.grid = grid
        self.latent_kind = latent
        gen = streams.generator("image_probe", seed)
        self.z = sample_latent(grid * grid, latent_dim, latent, gen, "cpu")
        za = sample_latent(interp_paths, latent_dim, latent, gen, "cpu")
        zb = sample_latent(interp_paths, latent_dim, latent, gen, "cpu")
        self.z_interp = interpolate_latents(za, zb, interp_steps, spherical=(latent == "gaussian"))
        self.real_index = torch.randint(0, len(dataset.images), (grid * grid,), generator=gen).numpy()
        self.real = to_unit(dataset.images[self.real_index])
        self._data = torch.from_numpy(dataset.images).reshape(len(dataset.images), -1)
        self._data_sq = (self._data.double() ** 2).sum(1)
        self._nn_ref: np.ndarray | None = None  # real grid images' distance to their nearest *other* image
        cost = float(self._data.shape[0]) * self._data.shape[1] * grid * grid
        self.nn_every = 1 if cost <= NN_BUDGET else max(1, int(nn_every))
        self._calls = 0
        labels = getattr(dataset, "labels", None)
        self.class_names = list(dataset.class_names) if labels is not None else None
        self.class_hist_data = dataset.class_histogram() if labels is not None else None
        self.real_labels = None if labels is None else np.asarray(labels)[self.real_index].astype(np.int64)

    def reference_distances(self) -> np.ndarray:
        """(g²,) pixel L2 distance ([0, 1] units) from each real grid image to its nearest *other* training image:
        the scale against which ``nn_dist`` says "memorised" (much smaller) or "new" (comparable)."""
        if self._nn_ref is None:
            x = self._data[torch.from_numpy(self.real_index)].double()
            d2 = (x * x).sum(1)[:, None] + self._data_sq[None, :] - 2.0 * (x @ self._data.double().T)
            d2[torch.arange(len(x)), torch.from_numpy(self.real_index)] = float("inf")  # not itself
            self._nn_ref = (d2.min(dim=1).values.clamp_min(0).sqrt() / 2.0).numpy().astype(np.float32)
        return self._nn_ref

    @torch.no_grad()
    def _generate(self, G, z: torch.Tensor) -> torch.Tensor:
        with eval_mode(G):
            device = next(G.parameters()).device
            return G(z.to(device)).detach().float().cpu()

    def images(self, G, step: int, class_hist: np.ndarray | None = None, with_nn: bool | None = None) -> dict:
        """The ``Frame.images`` dict (keys in the module docstring) for generator G at ``step``.

        with_nn: True/False forces the nearest-neighbour search on/off; None computes it at every call when it is
        cheap (training-set size × pixels × cells ≤ 5·10⁷ multiply-adds, e.g. digits, shapes) and every
        ``nn_every``-th call otherwise (e.g. 60,000 MNIST images: ~1 G multiply-adds, ~0.1 s).
        """
        fake = self._generate(G, self.z)
        m, k = self.z_interp.shape[:2]
        interp = self._generate(G, self.z_interp.reshape(m * k, -1))
        out = {
            "step": int(step),
            "grid": self.grid,
            "fake": to_unit(fake),
            "real": self.real,
            "interp": to_unit(interp).reshape(m, k, *interp.shape[1:]),
            "interp_kind": "slerp" if self.latent_kind == "gaussian" else "linear",
        }
        if with_nn is None:
            with_nn = self._calls % self.nn_every == 0
        self._calls += 1
        if with_nn:
            idx, dist = nearest_training(fake, self._data, self._data_sq)
            out["nn_real"] = to_unit(self.dataset.images[idx])
            out["nn_index"] = idx.astype(np.int64)
            out["nn_dist"] = (dist / 2.0).astype(np.float32)  # [−1, 1] units → [0, 1] units
            out["nn_step"] = int(step)
            out["nn_ref_dist"] = self.reference_distances()
        if self.class_names is not None:
            out["class_names"] = self.class_names
            out["class_hist_data"] = self.class_hist_data
            out["real_labels"] = self.real_labels
            if class_hist is not None:
                out["class_hist_fake"] = np.asarray(class_hist, dtype=np.float64)
        return out



class ImageMetrics:
    """The image columns for one data set. Construct once per data set (cheap); the classifier is trained or
    loaded on first use. ``evaluate(fake)`` → dict of the five columns; ``last_hist`` keeps the generated class
    histogram of the last evaluation (for the views)."""

    def __init__(self, dataset, directory: str | Path | None = None, seed: int = 0):
        self.dataset = dataset
        self.directory = directory
        self.seed = seed
        self._classifier: ImageClassifier | None = None
        self._ref: dict[tuple[int, int], np.ndarray] = {}
        self._ref_proj: dict[int, np.ndarray] = {}
        self._floors: dict[tuple[str, int], float] = {}
        self.last_hist: np.ndarray | None = None
        self.labelled = getattr(dataset, "labels", None) is not None

    @property
    def classifier(self) -> ImageClassifier | None:
        """The data set's classifier (trained or loaded on first access); None for unlabelled data."""
        if self._classifier is None and self.labelled:
            self._classifier = get_classifier(self.dataset.images, self.dataset.labels,
                                              len(self.dataset.class_names), self.directory)
        return self._classifier

    def data_hist(self) -> np.ndarray | None:
        """Share of data images per class (K,), from the labels."""
        return self.dataset.class_histogram() if self.labelled else None

    def _real_sample(self, n: int, salt: int = 0) -> np.ndarray:
        """A fixed sample of n stored images (the same for every call with this n and salt)."""
        if (n, salt) not in self._ref:
            rng = np.random.default_rng([self.seed, n, salt])
            self._ref[(n, salt)] = self.dataset.images[rng.integers(0, len(self.dataset.images), n)]
        return self._ref[(n, salt)]

    def evaluate(self, fake: np.ndarray | torch.Tensor, asked: np.ndarray | None = None) -> dict:
        """Columns classes, confident, rkl, fd_classifier, sw1, sharpness(_data) for generated images (n, C, H, W)
        in [−1, 1]; with ``asked`` (n,), the classes a conditional G was asked for, also class_acc(_min)."""
        x = fake.detach().cpu().numpy() if torch.is_tensor(fake) else np.asarray(fake)
        x = x.astype(np.float32, copy=False)
        row = {"classes": float("nan"), "confident": float("nan"), "rkl": float("nan"),
               "fd_classifier": float("nan")}
        if not np.isfinite(x).all():  # the classifier's numbers and the Fréchet distance would be garbage or raise:
            # every sample-based column is NaN, and the row's note says why (measure.notes, columns.NOTES flag 1)
            self.last_hist = None
            n = len(x)
            return {**row, "sw1": float("nan"), "sharpness": float("nan"), "sharpness_data": self.sharpness_data(n)}
        clf = self.classifier
        if clf is not None:
            probs, feats = clf.predict(x)
            cov = class_coverage(probs[:, :clf.n_classes], self.data_hist())  # junk never counts for a class
            self.last_hist = cov.pop("hist")
            row.update(cov)
            if asked is not None:  # arg-max over the classes and the junk class: junk is never the asked class
                row.update(class_summary(class_accuracy(probs.argmax(1), asked, clf.n_classes), "class_acc"))
            mu, c = gaussian_fit(feats)
            row["fd_classifier"] = frechet_distance(mu, c, clf.mu, clf.cov)
        n = len(x)
        if n not in self._ref_proj:  # the reference sample is fixed per n: project and sort it once
            self._ref_proj[n] = sorted_projections(self._real_sample(n), seed=self.seed)
        row["sw1"] = float(w1_sorted(sorted_projections(x, seed=self.seed), self._ref_proj[n]).mean())
        row["sharpness"] = sharpness(to_unit(x))  # [0, 1] intensity units, as the data's below
        row["sharpness_data"] = self.sharpness_data(n)
        return row

    def sharpness_data(self, n: int) -> float:
        """``sharpness`` of a fixed sample of n data images (salt 1, as the other floors): what blur is read against."""
        if ("sharpness", n) not in self._floors:
            self._floors[("sharpness", n)] = sharpness(to_unit(self._real_sample(n, salt=1)))
        return self._floors[("sharpness", n)]

    def fd_floor(self, n: int) -> float:
        """``fd_classifier`` of n real images (a fixed sample) against the data: the estimator's noise floor."""
        if ("fd", n) not in self._floors:
            clf = self.classifier
            if clf is None:
                return float("nan")
            _, feats = clf.predict(self._real_sample(n, salt=1))
            self._floors[("fd", n)] = frechet_distance(*gaussian_fit(feats), clf.mu, clf.cov)
        return self._floors[("fd", n)]

    def sw1_floor(self, n: int) -> float:
        """``sw1`` between two independent fixed data samples of size n: the estimator's noise floor."""
        if ("sw1", n) not in self._floors:
            self._floors[("sw1", n)] = sliced_w1(self._real_sample(n, salt=1), self._real_sample(n), seed=self.seed)
        return self._floors[("sw1", n)]

    def real_confident(self, n: int = 2500) -> float:
        """``confident`` (percent) of n real images: the ceiling a perfect generator would reach."""
        if ("real_confident", n) not in self._floors:
            clf = self.classifier
            if clf is None:
                return float("nan")
            probs, _ = clf.predict(self._real_sample(n, salt=1))
            self._floors[("real_confident", n)] = 100.0 * float((probs[:, :clf.n_classes].max(1) >= CONFIDENCE).mean())
        return self._floors[("real_confident", n)]

    def describe(self) -> str:
        """One line for logs / status: the classifier, the confidence threshold and what real data scores."""
        if not self.labelled:
            return "image metrics: data has no labels, only sw1 (pixel space) is computed"
        return (f"{self.classifier.describe()}; confident = max class probability ≥ {CONFIDENCE} "
                f"({self.real_confident():.1f} % of real images)")
