"""Pictures of a Frame drawn with NumPy alone (no matplotlib, no Qt): the data view for TensorBoard.

* 2D points: real samples grey, generated samples orange, on the frame's plot bounds.
* 1D points: histograms of real (grey) and generated (orange) samples over the plot bounds, as columns.
* Images: a grid of the generated samples (the fixed latent batch, so a cell follows the same z).

Every picture is an (H, W, 3) uint8 array; ``png_bytes`` encodes one with Pillow.
"""

from __future__ import annotations

import io

import numpy as np

from gan_studio.frames import Frame

BACKGROUND = (255, 255, 255)
REAL = (150, 150, 150)
FAKE = (230, 110, 20)
SIZE = 256  # pixels a side of a points picture: small enough for TensorBoard's card, dots still tell modes apart


def _pixels(values: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Pixel index in [0, n) of each value on the axis [lo, hi]; values outside are clipped to the edge."""
    span = hi - lo if hi > lo else 1.0
    return np.clip(((values - lo) / span * (n - 1)).round(), 0, n - 1).astype(np.intp)


def scatter_2d(real: np.ndarray, fake: np.ndarray, bounds: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Real and generated 2D samples as 2×2-pixel dots on ``bounds`` ((2, 2): x and y ranges); y points up."""
    picture = np.empty((size, size, 3), np.uint8)
    picture[:] = BACKGROUND
    for points, colour in ((real, REAL), (fake, FAKE)):  # generated on top
        points = np.asarray(points, float)
        points = points[np.isfinite(points).all(axis=1)]
        cols = _pixels(points[:, 0], *bounds[0], size)
        rows = size - 1 - _pixels(points[:, 1], *bounds[1], size)
        for dr in (0, 1):
            for dc in (0, 1):
                picture[np.minimum(rows + dr, size - 1), np.minimum(cols + dc, size - 1)] = colour
    return picture


def histogram_1d(real: np.ndarray, fake: np.ndarray, bounds: np.ndarray, size: int = SIZE,
                 bins: int = 64) -> np.ndarray:
    """Histograms (densities on one scale) of real and generated 1D samples over ``bounds`` ((1, 2)): real as
    grey columns, generated as an orange outline of its columns' tops."""
    picture = np.empty((size, size, 3), np.uint8)
    picture[:] = BACKGROUND
    lo, hi = (float(v) for v in bounds[0])
    edges = np.linspace(lo, hi, bins + 1)
    heights = [np.histogram(np.clip(np.ravel(x), lo, hi), bins=edges, density=True)[0] for x in (real, fake)]
    top = max(float(max(h.max() for h in heights)), 1e-12)
    width = size // bins
    for i in range(bins):
        left, right = i * width, (i + 1) * width
        rows = [size - 1 - int(round(h[i] / top * (size - 8))) for h in heights]
        picture[rows[0]:, left:right] = REAL
        picture[max(rows[1] - 1, 0):rows[1] + 2, left:right] = FAKE
    return picture


def image_grid(images: np.ndarray, n: int = 64, cell: int = 32) -> np.ndarray:
    """Up to ``n`` images ((n, C, H, W) in [0, 1]) as a square grid, each scaled up (nearest) to ~``cell`` px."""
    images = np.clip(np.asarray(images[:n], float), 0.0, 1.0)
    count, channels, height, width = images.shape
    zoom = max(1, cell // max(height, width))
    side = int(np.ceil(np.sqrt(count)))
    gap = 2
    h, w = height * zoom, width * zoom
    picture = np.full((side * (h + gap) + gap, side * (w + gap) + gap, 3), 255, np.uint8)
    for k in range(count):
        tile = images[k].transpose(1, 2, 0)
        tile = np.repeat(np.repeat(tile, zoom, axis=0), zoom, axis=1)
        if channels == 1:
            tile = np.repeat(tile, 3, axis=2)
        r, c = divmod(k, side)
        picture[gap + r * (h + gap):gap + r * (h + gap) + h, gap + c * (w + gap):gap + c * (w + gap) + w] = \
            (tile * 255).round().astype(np.uint8)
    return picture


def data_picture(frame: Frame) -> np.ndarray:
    """The data view of ``frame`` as an (H, W, 3) uint8 picture (see the module docstring)."""
    if np.ndim(frame.fake) == 4:
        return image_grid(frame.fake)
    if frame.dim == 1:
        return histogram_1d(frame.real, frame.fake, frame.bounds)
    return scatter_2d(frame.real, frame.fake, frame.bounds)


def png_bytes(picture: np.ndarray) -> bytes:
    """An (H, W, 3) uint8 picture as PNG file bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()
