"""The image columns' classifier: a small torch MLP trained once per labelled data set, cached on disk.

``get_classifier`` loads it from the cache when the data's fingerprint matches, else trains it (1–3 s on one CPU
core) and writes the cache atomically. Its probabilities and features feed the pure estimators of
``gan_studio.metrics.images``. The classifier has one extra output, "junk", trained on images that belong to no
class (blank, noise, random blobs, pixel-shuffled data), so a blank or noisy generator is not counted as
confident; its probability never counts towards a class. Used by the engine side only, never by the GUI.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan_studio.metrics.images import gaussian_fit

CLASSIFIER_VERSION = "mlp-junk-v1"  # part of the cache key: bump when the classifier or its training changes
FEATURE_DIM = 64
REF_MAX = 10000  # data images used for the classifier's reference feature Gaussian
TRAIN_STEPS = 1000  # Adam steps of the classifier (128 images + 32 junk images): about 1–3 s on one CPU core
JUNK_PER_BATCH = 32


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


