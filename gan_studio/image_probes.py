"""Image probes: torch nets in, NumPy out, for ``Frame.images`` (and ``Frame.real`` / ``Frame.fake``).

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
class_hist_data (K,) float64     share of training images per class (sums to 1)
class_hist_fake (K,) float64     share of the confidently classified generated samples per class
                                 (from ``ImageMetrics.last_hist``; absent until metrics ran)
=============== ================ ==================================================================

The nearest-neighbour keys are present only when they were computed in this call (every call for small sets,
every ``nn_every``-th call when the training set is large; see ``ImageProbe.images``).
"""

from __future__ import annotations

import numpy as np
import torch

from gan_studio.nets import eval_mode, sample_latent

PROBE_SEED_OFFSET = 7919  # the probe's generator is seeded with seed + this, independent of the engine's streams
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
        gen = torch.Generator().manual_seed(seed + PROBE_SEED_OFFSET)
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
            if class_hist is not None:
                out["class_hist_fake"] = np.asarray(class_hist, dtype=np.float64)
        return out


# ------------------------------------------------------------------------------------ engine adapters
# ``gan_studio.measure`` calls these two; the probe and the metrics object live in ``trainer.cache``: built once
# per run (the data set and the latent set-up cannot change during a run).

def _image_metrics_for(trainer):
    from gan_studio.metrics.images import ImageMetrics

    if "image_metrics" not in trainer.cache:
        trainer.cache["image_metrics"] = ImageMetrics(trainer.dataset, seed=trainer.cfg.train.seed)
    return trainer.cache["image_metrics"]


def _image_probe_for(trainer) -> ImageProbe:
    if "image_probe" not in trainer.cache:
        m = trainer.cfg.model
        trainer.cache["image_probe"] = ImageProbe(trainer.dataset, m.latent_dim, m.latent, trainer.cfg.train.seed)
    return trainer.cache["image_probe"]


def image_metrics(trainer, fake: np.ndarray) -> dict:
    """metrics.csv image columns (classes, confident, rkl, fd_classifier, sw1) for generated images (n, C, H, W)
    in [−1, 1]; NaN where a column does not apply (unlabelled data). The first call trains or loads the
    data set's classifier (≈ 1–3 s once, then cached on disk)."""
    return _image_metrics_for(trainer).evaluate(fake)


def image_frame(trainer, with_nn: bool | None = None) -> dict:
    """The ``Frame.images`` dict (keys in the module docstring) for the trainer's current G; the generated class
    histogram is that of the last ``image_metrics`` call (absent before the first one)."""
    metrics = trainer.cache.get("image_metrics")
    hist = None if metrics is None else metrics.last_hist
    return _image_probe_for(trainer).images(trainer.G, trainer.step_count, class_hist=hist, with_nn=with_nn)
