"""Measurement on images: a small cached classifier gives class coverage, confidence, reverse KL and a Fréchet
distance in its feature space; plus sliced W1 in pixel space.

This module imports torch (the classifier is a small MLP); it is used by the engine, never by the GUI. Do not
import it from ``gan_studio.metrics.__init__`` (that package stays NumPy/SciPy only).

Columns (``ImageMetrics.evaluate`` returns them; NaN where a column does not apply, e.g. unlabelled folders):

- ``classes``: number of classes with at least one *confidently* classified generated sample (max class
  probability ≥ ``CONFIDENCE`` = 0.9) — the image analogue of "modes covered". The classifier has one extra
  output, "junk", trained on images that belong to no class (blank, noise, random blobs, pixel-shuffled data), so
  a blank or noisy generator is not counted as confident; its probability never counts towards a class.
- ``confident``: percent of generated samples classified confidently (analogue of ``hq``).
- ``rkl``: reverse KL, KL(q ‖ p) in nats, of the class histogram q of the confident generated samples against the
  data's class histogram p (from the labels). 0 when the generator reproduces the class proportions; log(K/m) when
  it puts equal mass on m of K equally frequent classes. +inf when q has mass on a class absent from the data.
- ``fd_classifier``: Fréchet distance between Gaussians fitted to the classifier's penultimate-layer features
  (64-d) of the generated samples and of the data (all stored images, at most 10,000). Not FID: FID uses an
  Inception network on natural images. Biased upward at finite n; ``ImageMetrics.fd_floor(n)`` is the same
  estimator on n real images.
- ``sw1``: sliced W1 in pixel space ([−1, 1] units), mean over 128 fixed random directions of the exact 1D W1
  between projected samples, generated vs an equal-size fixed data sample; ``ImageMetrics.sw1_floor(n)`` is the
  same estimator between two independent data samples. SW1 ≤ W1.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from scipy import linalg
from torch import nn

CONFIDENCE = 0.9  # a sample is "confidently classified" when its largest class probability is at least this
CLASSIFIER_VERSION = "mlp-junk-v1"  # part of the cache key: bump when the classifier or its training changes
FEATURE_DIM = 64
REF_MAX = 10000  # data images used for the classifier's reference feature Gaussian
TRAIN_STEPS = 1000  # Adam steps of the classifier (128 images + 32 junk images): about 1–3 s on one CPU core
JUNK_PER_BATCH = 32
SW1_PROJECTIONS = 128

COLUMNS = {
    "classes": "classes with ≥ 1 generated sample classified with probability ≥ 0.9",
    "confident": "percent of generated samples classified with probability ≥ 0.9",
    "rkl": "KL(q ‖ p_data) of the confident samples' class histogram, nats",
    "fd_classifier": "Fréchet distance (classifier features), generated vs data; not FID",
    "sw1": "sliced W1 in pixel space, generated vs data sample of the same size",
}


# ------------------------------------------------------------------------------------------ pure functions

def class_coverage(probs: np.ndarray, data_hist: np.ndarray, threshold: float = CONFIDENCE) -> dict:
    """Coverage numbers from class probabilities (n, K) of generated samples and the data histogram (K,).

    Returns ``classes`` (classes with ≥ 1 sample whose max probability ≥ threshold), ``confident`` (percent of
    such samples), ``rkl`` = KL(q ‖ p) in nats of their class histogram q against ``data_hist`` p (NaN when no
    sample is confident), and ``hist`` = q (zeros when none). Exact on the given samples; as an estimate of the
    generator's true coverage it is biased low for small n (a rare class may get no sample).
    """
    probs = np.asarray(probs, dtype=np.float64)
    p = np.asarray(data_hist, dtype=np.float64)
    k = probs.shape[1]
    conf = probs.max(axis=1) >= threshold
    counts = np.bincount(probs.argmax(axis=1)[conf], minlength=k).astype(np.float64)
    total = counts.sum()
    if total == 0:
        return {"classes": 0.0, "confident": 0.0, "rkl": float("nan"), "hist": np.zeros(k)}
    q = counts / total
    on = q > 0
    with np.errstate(divide="ignore"):
        rkl = float(np.sum(q[on] * (np.log(q[on]) - np.log(p[on]))))
    return {"classes": float(on.sum()), "confident": 100.0 * float(conf.mean()), "rkl": rkl, "hist": q}


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and unbiased covariance (d, d) of (n, d) features, float64."""
    f = np.asarray(features, dtype=np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False, ddof=1)


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein squared) distance between N(mu1, cov1) and N(mu2, cov2), closed form.

    ‖mu1 − mu2‖² + Tr(cov1 + cov2 − 2 (cov1 cov2)^½), with scipy.linalg.sqrtm; a tiny ridge (1e-6·I) is added
    when the product is singular enough to give a non-finite root; the real part is kept (imaginary rounding).
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    with warnings.catch_warnings():  # singular covariances (dead ReLU features) are expected and handled
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov1 @ cov2)
        if not np.all(np.isfinite(root)):
            ridge = 1e-6 * np.eye(len(mu1))
            root = linalg.sqrtm((cov1 + ridge) @ (cov2 + ridge))
    root = np.real(root)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(root))


def _w1_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact 1D W1 per row between empirical distributions given as row-sorted arrays a (m, n), b (m, n')."""
    if a.shape[1] == b.shape[1]:
        return np.abs(a.astype(np.float64) - b).mean(axis=1)
    out = np.empty(a.shape[0])
    for j in range(a.shape[0]):
        allv = np.sort(np.concatenate([a[j], b[j]])).astype(np.float64)
        fa = np.searchsorted(a[j], allv[:-1], side="right") / a.shape[1]
        fb = np.searchsorted(b[j], allv[:-1], side="right") / b.shape[1]
        out[j] = np.sum(np.abs(fa - fb) * np.diff(allv))
    return out


def wasserstein1_1d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact W1 between empirical distributions, column by column: a (n, m), b (n', m) → (m,).

    Equal sizes: mean |sorted a − sorted b|. Unequal sizes: ∫ |F_a − F_b| over the merged support.
    """
    a = np.sort(np.asarray(a, dtype=np.float64).T, axis=1)
    b = np.sort(np.asarray(b, dtype=np.float64).T, axis=1)
    return _w1_sorted(a, b)


@lru_cache(maxsize=8)
def _directions(dim: int, n_proj: int, seed: int) -> np.ndarray:
    """``n_proj`` random unit vectors in R^dim as columns (dim, n_proj), from NumPy default_rng(seed)."""
    dirs = np.random.default_rng(seed).standard_normal((dim, n_proj))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    dirs.setflags(write=False)
    return dirs


def sorted_projections(x: np.ndarray, n_proj: int = SW1_PROJECTIONS, seed: int = 0) -> np.ndarray:
    """Projections of the flattened samples x (n, …) on the fixed directions of ``sliced_w1``, each row sorted:
    (n_proj, n) float64. Lets a caller reuse a fixed reference sample's projections."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    return np.sort(np.ascontiguousarray((x @ _directions(x.shape[1], n_proj, seed)).T), axis=1)


def sliced_w1(x: np.ndarray, y: np.ndarray, n_proj: int = SW1_PROJECTIONS, seed: int = 0) -> float:
    """Sliced W1 between samples x (n, …) and y (m, …) flattened to vectors: mean over ``n_proj`` random unit
    directions (NumPy default_rng(seed), fixed so successive calls are comparable) of the exact 1D W1 of the
    projections. SW1 ≤ W1; empirical estimate biased upward by sampling noise (see ``ImageMetrics.sw1_floor``)."""
    return float(_w1_sorted(sorted_projections(x, n_proj, seed), sorted_projections(y, n_proj, seed)).mean())


# ------------------------------------------------------------------------------------------ classifier

class SmallClassifier(nn.Module):
    """MLP for (C, S, S) images: average-pool to 16×16 when S > 16 → flatten → Linear 256 → ReLU → Linear 64 →
    ReLU (the 64 features used for the Fréchet distance) → Linear K + 1 logits (the last is "junk": no class).
    Trains in 1–3 s on one CPU core; held-out accuracy ≈ 97 % on digits, ≈ 99 % on shapes."""

    def __init__(self, channels: int, side: int, n_classes: int):
        """``n_classes`` real classes; the net has one more output, the junk class."""
        super().__init__()
        side_in = min(side, 16)
        if side == side_in:
            pool = []
        elif side % side_in == 0:
            pool = [nn.AvgPool2d(side // side_in)]  # same result as adaptive pooling, several times faster
        else:
            pool = [nn.AdaptiveAvgPool2d(side_in)]
        self.body = nn.Sequential(
            *pool, nn.Flatten(),
            nn.Linear(channels * side_in * side_in, 256), nn.ReLU(),
            nn.Linear(256, FEATURE_DIM), nn.ReLU())
        self.head = nn.Linear(FEATURE_DIM, n_classes + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (n, K)."""
        return self.head(self.body(x))


def data_fingerprint(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 (hex) of the images' and labels' bytes, shapes, the classifier version and its training steps:
    the cache key."""
    h = hashlib.sha256()
    h.update(f"{CLASSIFIER_VERSION}/{TRAIN_STEPS}".encode())
    h.update(repr((tuple(images.shape), str(images.dtype), tuple(labels.shape))).encode())
    h.update(np.ascontiguousarray(images, dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return h.hexdigest()


def cache_dir() -> Path:
    """Classifier cache folder: $GAN_STUDIO_CACHE, else ~/.cache/gan_studio."""
    env = os.environ.get("GAN_STUDIO_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gan_studio"


def _batched(fn, x: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    return torch.cat([fn(x[i:i + batch]) for i in range(0, len(x), batch)]) if len(x) else fn(x)


class ImageClassifier:
    """A trained ``SmallClassifier`` for one labelled data set, with its reference feature Gaussian.

    Attributes: ``n_classes``, ``accuracy`` (held-out, fraction), ``n_test``, ``key`` (data fingerprint),
    ``path`` (cache file or None), ``loaded_from_cache`` (bool), ``mu``/``cov`` (data feature Gaussian).
    """

    def __init__(self, net: SmallClassifier, meta: dict, mu: np.ndarray, cov: np.ndarray):
        self.net = net.eval()
        self.n_classes = int(meta["n_classes"])
        self.accuracy = float(meta["accuracy"])
        self.n_test = int(meta["n_test"])
        self.key = str(meta["key"])
        self.mu, self.cov = mu, cov
        self.path: Path | None = None
        self.loaded_from_cache = False

    @torch.no_grad()
    def predict(self, images: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (n, K + 1) — the K classes, then junk — and penultimate features (n, 64) of images
        (n, C, H, W) in [−1, 1]."""
        x = torch.as_tensor(np.asarray(images, dtype=np.float32)) if not torch.is_tensor(images) else images
        x = x.detach().float().cpu()
        feats = _batched(self.net.body, x)
        probs = torch.softmax(self.net.head(feats), dim=1)
        return probs.numpy().astype(np.float64), feats.numpy().astype(np.float64)

    def describe(self) -> str:
        """One line: what the classifier is and how good it is."""
        where = f"cache {self.path}" if self.path else "not cached"
        return (f"classifier: small MLP, {FEATURE_DIM}-d features, held-out accuracy "
                f"{100 * self.accuracy:.1f} % on {self.n_test:,} images ({where})")


def train_classifier(images: np.ndarray, labels: np.ndarray, n_classes: int, steps: int | None = None,
                     seed: int = 0) -> tuple[SmallClassifier, dict]:
    """Train a ``SmallClassifier`` deterministically (seeded init and batches; global RNG untouched).

    10 % of the images (at most 2,000) are held out for the reported accuracy (a junk prediction counts as an
    error); Adam lr 2e-3, ``steps`` steps (default ``TRAIN_STEPS``) of 128 images drawn with replacement plus
    ``JUNK_PER_BATCH`` junk images (``junk_images``) labelled K. Runs on one torch thread (restored afterwards):
    on a small shared CPU, more threads make these tiny matrix products many times slower, not faster.
    """
    steps = TRAIN_STEPS if steps is None else int(steps)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(images, labels, n_classes, steps, seed)
    finally:
        torch.set_num_threads(threads)


def _train(images: np.ndarray, labels: np.ndarray, n_classes: int, steps: int,
           seed: int) -> tuple[SmallClassifier, dict]:
    n = len(images)
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=gen)
    n_test = min(max(n // 10, 1), 2000) if n >= 20 else 0
    test_idx, train_idx = perm[:n_test], perm[n_test:]
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    y = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = SmallClassifier(x.shape[1], x.shape[2], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    net.train()
    junk_label = torch.full((JUNK_PER_BATCH,), n_classes, dtype=torch.int64)
    for _ in range(steps):
        idx = train_idx[torch.randint(0, len(train_idx), (128 + JUNK_PER_BATCH,), generator=gen)]
        xb = torch.cat([x[idx[:128]], junk_images(x[idx[128:]], gen)])
        loss = nn.functional.cross_entropy(net(xb), torch.cat([y[idx[:128]], junk_label]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        acc = float((net(x[test_idx]).argmax(1) == y[test_idx]).float().mean()) if n_test else float("nan")
    return net, {"n_classes": n_classes, "accuracy": acc, "n_test": n_test, "steps": steps}


def junk_images(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Images that belong to no class, one per input image (n, C, H, W) in [−1, 1], kind chosen at random:
    a constant image (level ~ U(−1, 1)); random blobs (a coarse uniform field, bilinearly enlarged, thresholded
    at 0.3 to ±1); the input with its pixels shuffled (same grey levels, no shape); the input plus N(0, 1) noise."""
    n, c, h, w = x.shape
    const = (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1).expand(n, c, h, w)
    coarse = torch.rand(n, c, max(2, h // 4), max(2, w // 4), generator=gen) * 2 - 1
    field = nn.functional.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    blobs = torch.where(field > 0.3, 1.0, -1.0)
    order = torch.argsort(torch.rand(n, c * h * w, generator=gen), dim=1)
    shuffled = torch.gather(x.reshape(n, -1), 1, order).view_as(x)
    noisy = (x + torch.randn(x.shape, generator=gen)).clamp(-1.0, 1.0)
    kind = torch.randint(0, 4, (n,), generator=gen)
    return torch.stack([const, blobs, shuffled, noisy])[kind, torch.arange(n)]


def _reference_images(images: np.ndarray) -> np.ndarray:
    """At most REF_MAX stored images (a fixed, evenly spaced subset) for the reference feature Gaussian."""
    if len(images) <= REF_MAX:
        return images
    return images[np.linspace(0, len(images) - 1, REF_MAX).astype(np.int64)]


def get_classifier(images: np.ndarray, labels: np.ndarray, n_classes: int,
                   directory: str | Path | None = None) -> ImageClassifier:
    """The classifier for this labelled data: loaded from the cache when its fingerprint matches, else trained
    (a few seconds) and written to the cache atomically. An unwritable cache folder only means no caching."""
    key = data_fingerprint(images, labels)
    folder = Path(directory) if directory is not None else cache_dir()
    path = folder / f"classifier-{key[:24]}.pt"
    channels, side = images.shape[1], images.shape[2]
    if path.is_file():
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            if blob["meta"]["key"] == key:
                net = SmallClassifier(channels, side, n_classes)
                net.load_state_dict(blob["state"])
                clf = ImageClassifier(net, blob["meta"], blob["mu"].numpy(), blob["cov"].numpy())
                clf.path, clf.loaded_from_cache = path, True
                return clf
        except Exception:  # a corrupt or foreign cache file: retrain and overwrite it
            pass
    net, meta = train_classifier(images, labels, n_classes)
    meta["key"] = key
    with torch.no_grad():
        feats = _batched(net.body, torch.from_numpy(np.ascontiguousarray(_reference_images(images), np.float32)))
    mu, cov = gaussian_fit(feats.numpy())
    clf = ImageClassifier(net, meta, mu, cov)
    tmp_name = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".classifier-", suffix=".tmp", delete=False) as tmp:
            tmp_name = tmp.name
            torch.save({"state": net.state_dict(), "meta": meta,
                        "mu": torch.from_numpy(mu), "cov": torch.from_numpy(cov)}, tmp)
        os.replace(tmp_name, path)  # atomic: a reader never sees a half-written file
        clf.path = path
    except OSError:  # read-only or full disk: work without the cache
        clf.path = None
        if tmp_name is not None and os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return clf


# ------------------------------------------------------------------------------------------ engine-facing

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

    def evaluate(self, fake: np.ndarray | torch.Tensor) -> dict:
        """Columns classes, confident, rkl, fd_classifier, sw1 for generated images (n, C, H, W) in [−1, 1]."""
        x = fake.detach().cpu().numpy() if torch.is_tensor(fake) else np.asarray(fake)
        x = x.astype(np.float32, copy=False)
        row = {"classes": float("nan"), "confident": float("nan"), "rkl": float("nan"),
               "fd_classifier": float("nan")}
        clf = self.classifier
        if clf is not None:
            probs, feats = clf.predict(x)
            cov = class_coverage(probs[:, :clf.n_classes], self.data_hist())  # junk never counts for a class
            self.last_hist = cov.pop("hist")
            row.update(cov)
            mu, c = gaussian_fit(feats)
            row["fd_classifier"] = frechet_distance(mu, c, clf.mu, clf.cov)
        n = len(x)
        if n not in self._ref_proj:  # the reference sample is fixed per n: project and sort it once
            self._ref_proj[n] = sorted_projections(self._real_sample(n), seed=self.seed)
        row["sw1"] = float(_w1_sorted(sorted_projections(x, seed=self.seed), self._ref_proj[n]).mean())
        return row

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
