"""Small image data sets: shipped 8×8 digits, procedural shapes, local MNIST / Fashion-MNIST IDX files, a folder.

Every set is held in memory as one float32 array of shape (N, C, H, W) with values in [−1, 1] (the generator ends
in tanh), with integer class labels where the set has classes. ``sample`` draws stored images uniformly with
replacement using only the given ``torch.Generator``.

Entry point: ``load_image_dataset(cfg_data, seed)`` (called by ``gan_studio.data.get_dataset`` for image names).
Bad input raises ``gan_studio.config.ConfigError`` naming the key or file.
"""

from __future__ import annotations

import gzip
import io
import math
import struct
import zlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from ..config import ConfigError
from .base import Dataset

MNIST_CLASSES = [str(i) for i in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SHAPE_CLASSES = ["circle", "square", "triangle", "cross", "diamond"]
SHAPES_COUNT = 3000  # images in the shapes set (600 per class)
FOLDER_MAX_FILES = 20000  # folder sets read at most this many files (sorted order); more is reported in warnings
MIN_IMAGES = 2  # the fewest images a loaded set may hold: one image has no covariance (Fréchet distance)
IDX_IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
IDX_LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dimension


class ImageDataset(Dataset):
    """An in-memory image set: ``images`` (N, C, H, W) float32 in [−1, 1], optional ``labels`` (N,) int64.

    ``warnings`` lists problems met while loading that did not stop it (skipped files, truncation); they are
    also appended to ``description``.
    """

    is_image = True

    def __init__(self, name: str, images: np.ndarray, labels: np.ndarray | None,
                 class_names: list[str] | None, description: str, warnings: list[str] | None = None):
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim != 4:
            raise ValueError(f"images must be (N, C, H, W), got shape {images.shape}")
        self.name = name
        self.images = images
        self.shape = tuple(int(s) for s in images.shape[1:])
        self.labels = None if labels is None else np.ascontiguousarray(labels, dtype=np.int64)
        self.class_names = None if class_names is None else list(class_names)
        self.warnings = tuple(warnings or ())
        self.description = description + "".join(f"; WARNING: {w}" for w in self.warnings)
        self.bounds = np.zeros((0, 2))
        self._tensor = torch.from_numpy(self.images)  # shares memory with self.images

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes (0 when the set has no labels)."""
        return 0 if self.class_names is None else len(self.class_names)

    def class_histogram(self) -> np.ndarray | None:
        """Share of stored images in each class, (K,) summing to 1; None without labels."""
        if self.labels is None:
            return None
        counts = np.bincount(self.labels, minlength=self.n_classes).astype(np.float64)
        return counts / counts.sum()

    def class_weights(self) -> np.ndarray | None:
        """p_data(y): the share of stored images in each class (``class_histogram``); None without labels."""
        return self.class_histogram()

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` stored images drawn uniformly with replacement (torch.randint on ``generator``), (n, C, H, W)."""
        idx = torch.randint(0, len(self), (int(n),), generator=generator)
        return self._tensor[idx]

    def sample_labelled(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` images drawn as ``sample`` draws them and their (n,) class labels; ConfigError without labels."""
        if self.labels is None:
            return super().sample_labelled(n, generator)
        idx = torch.randint(0, len(self), (int(n),), generator=generator)
        return self._tensor[idx], torch.from_numpy(self.labels)[idx]

    def given_class(self, k: int) -> ImageDataset:
        """The stored images of class ``k`` alone (a view for the class picker)."""
        if self.labels is None:
            return super().given_class(k)
        keep = self.labels == k
        return ImageDataset(f"{self.name} class {k}", self.images[keep], self.labels[keep], self.class_names,
                            f"{self.name}: class {self.class_names[k]} only")


# ----------------------------------------------------------------------------------------------------- digits

@lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    raw = resources.files(__package__).joinpath("files", "digits.csv.gz").read_bytes()
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.float32)
    images = (table[:, :64] / 8.0 - 1.0).reshape(-1, 1, 8, 8)
    labels = table[:, 64].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_digits() -> ImageDataset:
    """The shipped UCI optical digits: 1,797 images, 1×8×8, grey levels 0–16 mapped by v/8 − 1, 10 classes."""
    images, labels = _digits_arrays()
    return ImageDataset(
        "digits", images.copy(), labels.copy(), MNIST_CLASSES,
        "digits: 1,797 handwritten digits (UCI optical recognition, CC BY 4.0), 1×8×8 grey, "
        "levels 0–16 mapped to v/8 − 1, 10 classes, sampled uniformly with replacement")


# ----------------------------------------------------------------------------------------------------- shapes

def _segment_distance(px, py, ax, ay, bx, by):
    """Distance from points (px, py) to the segments a→b (arrays broadcast)."""
    dx, dy = bx - ax, by - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(px - ax - t * dx, py - ay - t * dy)


def _polygon_outline_distance(px, py, vertices):
    """Distance from points to the outline of a closed polygon given as a list of (x, y) vertex arrays."""
    d = None
    for i in range(len(vertices)):
        (ax, ay), (bx, by) = vertices[i], vertices[(i + 1) % len(vertices)]
        di = _segment_distance(px, py, ax, ay, bx, by)
        d = di if d is None else np.minimum(d, di)
    return d


def render_shapes(classes: np.ndarray, cx: np.ndarray, cy: np.ndarray, r: np.ndarray, stroke: np.ndarray,
                  size: int) -> np.ndarray:
    """Draw outline shapes, anti-aliased, as (n, size, size) float32 in [0, 1] (1 = ink).

    Class k is ``SHAPE_CLASSES[k]``: circle of radius r; axis-aligned square of half-side r·0.85; upward
    equilateral triangle with circumradius r; plus-shaped cross with arms of half-length r; diamond (square
    rotated 45°) with half-diagonal r. Centre (cx, cy) and r in pixels (pixel centres at i + 0.5), stroke width
    in pixels. Ink = clip(stroke/2 + 0.5 − distance to the outline, 0, 1): a one-pixel linear edge ramp.
    """
    g = np.arange(size, dtype=np.float64) + 0.5
    py, px = np.meshgrid(g, g, indexing="ij")  # (size, size); row index = y (downwards)
    px, py = px[None], py[None]
    cx, cy, r, stroke = (np.asarray(a, dtype=np.float64)[:, None, None] for a in (cx, cy, r, stroke))
    out = np.zeros((len(classes), size, size), dtype=np.float64)
    for k in range(len(SHAPE_CLASSES)):
        sel = np.flatnonzero(classes == k)
        if sel.size == 0:
            continue
        x, y = px - cx[sel], py - cy[sel]  # coordinates relative to each centre, (m, size, size)
        rr = r[sel]
        if SHAPE_CLASSES[k] == "circle":
            d = np.abs(np.hypot(x, y) - rr)
        elif SHAPE_CLASSES[k] == "square":
            h = 0.85 * rr
            d = _polygon_outline_distance(x, y, [(-h, -h), (h, -h), (h, h), (-h, h)])
        elif SHAPE_CLASSES[k] == "triangle":
            # vertices at angles 90°, 210°, 330° (y axis points down in the image, so the apex is at −r)
            s3 = math.sqrt(3.0) / 2.0
            d = _polygon_outline_distance(x, y, [(0 * rr, -rr), (s3 * rr, 0.5 * rr), (-s3 * rr, 0.5 * rr)])
        elif SHAPE_CLASSES[k] == "cross":
            zero = 0 * rr
            d = np.minimum(_segment_distance(x, y, -rr, zero, rr, zero), _segment_distance(x, y, zero, -rr, zero, rr))
        else:  # diamond
            zero = 0 * rr
            d = _polygon_outline_distance(x, y, [(zero, -rr), (rr, zero), (zero, rr), (-rr, zero)])
        out[sel] = np.clip(stroke[sel] / 2.0 + 0.5 - d, 0.0, 1.0)
    return out.astype(np.float32)


def load_shapes(image_size: int = 16, seed: int = 0, count: int = SHAPES_COUNT) -> ImageDataset:
    """Procedural outline shapes, 1×S×S, ``count`` images in equal numbers per class, deterministic in ``seed``.

    Per image (NumPy ``default_rng(seed)``): class k = i mod 5 (then shuffled); radius r ~ U(0.22, 0.36)·S;
    stroke ~ U(1, 2)·S/16 px; centre uniform such that the whole shape stays inside the image. Ink 1 → +1,
    background 0 → −1.
    """
    if image_size < 8:
        raise ConfigError(f"data.image_size: shapes needs images of at least 8×8 pixels, got {image_size}")
    rng = np.random.default_rng(seed)
    k = len(SHAPE_CLASSES)
    classes = rng.permutation(np.arange(count) % k)
    s = float(image_size)
    r = rng.uniform(0.22, 0.36, count) * s  # max r + stroke/2 + 1 < S/2: every shape fits
    stroke = rng.uniform(1.0, 2.0, count) * s / 16.0
    margin = r + stroke / 2.0 + 1.0  # ink reaches stroke/2 + 0.5 beyond the outline: border pixels stay empty
    cx = margin + rng.uniform(0.0, 1.0, count) * (s - 2.0 * margin)
    cy = margin + rng.uniform(0.0, 1.0, count) * (s - 2.0 * margin)
    ink = render_shapes(classes, cx, cy, r, stroke, image_size)
    images = (2.0 * ink - 1.0)[:, None]
    return ImageDataset(
        "shapes", images, classes.astype(np.int64), SHAPE_CLASSES,
        f"shapes: {count:,} procedurally drawn outline shapes, 1×{image_size}×{image_size} grey, "
        f"{k} classes ({', '.join(SHAPE_CLASSES)}), {count // k} each, radius 22–36 % of the side, "
        f"stroke {image_size / 16:.3g}–{2 * image_size / 16:.3g} px, random position, seed {seed}")


# ------------------------------------------------------------------------------------------------ MNIST (IDX)

IDX_NAMES = {
    "images": ["train-images-idx3-ubyte", "train-images.idx3-ubyte"],
    "labels": ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"],
}


def _find_idx(folder: Path, kind: str) -> Path:
    """The IDX file of ``kind`` ('images' / 'labels') in ``folder``, raw or .gz; ConfigError when absent."""
    for base in IDX_NAMES[kind]:
        for name in (base, base + ".gz"):
            if (folder / name).is_file():
                return folder / name
    expected = " or ".join(f"'{n}[.gz]'" for n in IDX_NAMES[kind])
    raise ConfigError(f"data.path: no training {kind} file in '{folder}'; expected {expected}")


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if path.name.endswith(".gz") else raw
    except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise ConfigError(f"cannot read IDX file '{path}': {err}") from None


def read_idx(path: str | Path, expected_magic: int) -> np.ndarray:
    """Parse an unsigned-byte IDX file (raw or gzip) into a uint8 array; ConfigError on a bad magic or size.

    Format: big-endian int32 magic (0x0000_08_0D: type 0x08 = unsigned byte, D dimensions), D big-endian int32
    sizes, then the bytes.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ConfigError(f"IDX file '{path}' is too short ({len(data)} bytes) to hold a header")
    (magic,) = struct.unpack(">i", data[:4])
    if magic != expected_magic:
        raise ConfigError(f"IDX file '{path}': magic number 0x{magic & 0xFFFFFFFF:08x}, expected "
                          f"0x{expected_magic:08x} ({'images' if expected_magic == IDX_IMAGES_MAGIC else 'labels'});"
                          " is it the right file, decompressed correctly?")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ConfigError(f"IDX file '{path}' is truncated inside its header")
    dims = struct.unpack(f">{ndim}i", data[4:header])
    if any(d < 1 for d in dims):
        raise ConfigError(f"IDX file '{path}': header gives sizes {' × '.join(map(str, dims))}; every size must be ≥ 1")
    expected = math.prod(dims)
    if len(data) - header != expected:
        raise ConfigError(f"IDX file '{path}': header says {' × '.join(map(str, dims))} = {expected:,} values, "
                          f"file holds {len(data) - header:,}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W) uint8 grey levels → (N, 1, size, size) float32 in [−1, 1] (v/127.5 − 1), resized with antialiased
    bilinear interpolation (area-like when shrinking), in chunks so the float copy never holds the whole set."""
    out = np.empty((len(images), 1, size, size), dtype=np.float32)
    for start in range(0, len(images), 8192):
        chunk = torch.from_numpy(images[start:start + 8192].astype(np.float32)[:, None] / 127.5 - 1.0)
        if chunk.shape[-2:] != (size, size):
            chunk = torch.nn.functional.interpolate(chunk, size=(size, size), mode="bilinear",
                                                    align_corners=False, antialias=True)
        out[start:start + 8192] = chunk.clamp_(-1.0, 1.0).numpy()
    return out


def load_idx_dataset(name: str, path: str, image_size: int) -> ImageDataset:
    """MNIST / Fashion-MNIST training set from local IDX files in folder ``path``, resized to image_size."""
    if not path:
        raise ConfigError(f"data.path: data.name={name} needs data.path = the folder holding "
                          f"'{IDX_NAMES['images'][0]}[.gz]' and '{IDX_NAMES['labels'][0]}[.gz]'")
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"data.path: folder '{folder}' does not exist (data.name={name} needs the folder "
                          "holding the IDX files)")
    img_path, lab_path = _find_idx(folder, "images"), _find_idx(folder, "labels")
    images = read_idx(img_path, IDX_IMAGES_MAGIC)
    labels = read_idx(lab_path, IDX_LABELS_MAGIC)
    if len(images) != len(labels):
        raise ConfigError(f"IDX files disagree: '{img_path.name}' holds {len(images):,} images, "
                          f"'{lab_path.name}' {len(labels):,} labels")
    if len(images) < MIN_IMAGES:
        raise ConfigError(f"IDX file '{img_path}' holds {len(images)} image(s); an image set needs at least "
                          f"{MIN_IMAGES} (the Fréchet distance needs a covariance)")
    if labels.max() > 9:
        raise ConfigError(f"IDX labels file '{lab_path}': labels must be 0–9, found {int(labels.max())}")
    h, w = images.shape[1:]
    x = resize_images(images, image_size)
    classes = FASHION_CLASSES if name == "fashion-mnist" else MNIST_CLASSES
    resized = f", resized from {h}×{w} (bilinear, antialiased)" if (h, w) != (image_size, image_size) else ""
    return ImageDataset(
        name, x, labels.astype(np.int64), classes,
        f"{name}: {len(x):,} training images from '{folder}', 1×{image_size}×{image_size} grey{resized}, "
        f"10 classes, levels v/127.5 − 1, sampled uniformly with replacement")


# ----------------------------------------------------------------------------------------------------- folder

def _load_one(path: Path, size: int, grey: bool) -> np.ndarray:
    """One image file as (C, size, size) float32 in [−1, 1]: centre-cropped to a square, then resized."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        im = im.convert("L" if grey else "RGB")
        w, h = im.size
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        im = im.crop((left, top, left + side, top + side))
        im = im.resize((size, size), Image.Resampling.BOX if side >= size else Image.Resampling.BILINEAR)
        a = np.asarray(im, dtype=np.float32) / 127.5 - 1.0
    return a[None] if grey else a.transpose(2, 0, 1)


def load_folder(path: str, image_size: int, grey: bool) -> ImageDataset:
    """Every Pillow-readable image under folder ``path`` (recursive, sorted, hidden files skipped); labelled by
    sub-folder when every image lies in one of at least two sub-folders (``folder_labels``), else no labels.

    Each image is centre-cropped to a square and resized to image_size (box filter when shrinking, bilinear
    when enlarging); grey ('L') or RGB. Files Pillow cannot read are skipped and counted in ``warnings``.
    """
    if not path:
        raise ConfigError("data.path: data.name=folder needs data.path = a folder of PNG/JPEG images")
    folder = Path(path).expanduser()
    if not folder.exists():
        raise ConfigError(f"data.path: folder '{folder}' does not exist")
    if not folder.is_dir():
        raise ConfigError(f"data.path: '{folder}' is a file; data.name=folder needs a folder of PNG/JPEG images")
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if not files:
        raise ConfigError(f"data.path: folder '{folder}' is empty; put PNG or JPEG images in it")
    warnings = []
    if len(files) > FOLDER_MAX_FILES:
        warnings.append(f"read only the first {FOLDER_MAX_FILES:,} of {len(files):,} files (sorted by path)")
        files = files[:FOLDER_MAX_FILES]
    images, skipped, read = [], [], []
    for p in files:
        try:
            images.append(_load_one(p, image_size, grey))
            read.append(p)
        except Exception as err:  # Pillow raises many types (UnidentifiedImageError, OSError, SyntaxError, ...)
            skipped.append(f"{p.name}: {str(err).splitlines()[0] if str(err) else type(err).__name__}")
    if not images:
        raise ConfigError(f"data.path: none of the {len(files):,} files in '{folder}' could be read as an image "
                          "(PNG/JPEG expected)")
    if len(images) < MIN_IMAGES:
        raise ConfigError(f"data.path: folder '{folder}' holds {len(images)} readable image; an image set needs at "
                          f"least {MIN_IMAGES} (the Fréchet distance needs a covariance)")
    if skipped:
        shown = "; ".join(skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
        warnings.append(f"skipped {len(skipped):,} of {len(files):,} files that are not readable images ({shown})")
    c = 1 if grey else 3
    labels, class_names = folder_labels(folder, read)
    labelled = (f"{len(class_names)} classes (one sub-folder each)" if class_names else "no labels")
    return ImageDataset(
        "folder", np.stack(images), labels, class_names,
        f"folder: {len(images):,} images from '{folder}', {c}×{image_size}×{image_size} "
        f"{'grey' if grey else 'RGB'}, centre-cropped square and resized, {labelled}, "
        f"sampled uniformly with replacement", warnings)


def folder_labels(folder: Path, files: list[Path]) -> tuple[np.ndarray | None, list[str] | None]:
    """Class labels from sub-folders: when every file lies in a first-level sub-folder and there are at least two,
    class k is the k-th sub-folder name in sorted order; otherwise (None, None), an unlabelled set."""
    parts = [f.relative_to(folder).parts for f in files]
    if not parts or any(len(p) < 2 for p in parts):
        return None, None
    names = sorted({p[0] for p in parts})
    if len(names) < 2:
        return None, None
    index = {name: k for k, name in enumerate(names)}
    return np.array([index[p[0]] for p in parts], dtype=np.int64), names


# ------------------------------------------------------------------------------------------------ entry point

def load_image_dataset(cfg_data, seed: int = 0) -> ImageDataset:
    """Build the image data set named by ``cfg_data.name`` (digits, shapes, mnist, fashion-mnist, folder)."""
    name = cfg_data.name
    if name == "digits":
        return load_digits()
    if name == "shapes":
        return load_shapes(cfg_data.image_size, seed)
    if name in ("mnist", "fashion-mnist"):
        return load_idx_dataset(name, cfg_data.path, cfg_data.image_size)
    if name == "folder":
        return load_folder(cfg_data.path, cfg_data.image_size, cfg_data.grey)
    raise ConfigError(f"data.name: {name!r} is not an image set; image sets: digits, shapes, mnist, "
                      "fashion-mnist, folder")
