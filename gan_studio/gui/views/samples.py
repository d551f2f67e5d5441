"""A plain grid of real and generated images: the data-space view for image sets.

The richer image views (interpolations, class histograms) live in ``gui/views/images.py``, in their own
tab; this grid is the "Data space" tab of an image run. ``mosaic`` (images → one picture) serves both.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gan_studio.gui import theme as th

MAX_TILES = 64  # an 8 × 8 grid


GAP = 0.5  # grey level of the 1-pixel gaps between tiles


def mosaic(images: np.ndarray, cols: int, pad: int = 1, pad_value: float = GAP) -> np.ndarray:
    """(n, C, H, W) images in [0, 1] → (rows·(H+pad)+pad, cols·(W+pad)+pad) grey or (…, 3) RGB mosaic, row 0 on top."""
    images = np.asarray(images, dtype=np.float32)
    n, c, h, w = images.shape
    cols = max(1, min(cols, n))
    rows = (n + cols - 1) // cols
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), pad_value, dtype=np.float32)
    for i in range(n):
        r, k = divmod(i, cols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = \
            images[i].transpose(1, 2, 0)
    out = np.clip(out, 0.0, 1.0)
    return out[..., 0] if c == 1 else out


class SampleGrid(pg.GraphicsLayoutWidget):
    """Real images on the left, generated on the right."""

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent=parent)
        self.theme, self.scale = theme, scale
        self.boxes = []
        self.items = []
        for col, title in enumerate(("Real images", "Generated G(z) (fixed z)")):
            p = self.addPlot(row=0, col=col)
            p.setAspectLocked(True)
            p.invertY(True)
            p.hideAxis("left")
            p.hideAxis("bottom")
            p.setMenuEnabled(False)
            img = pg.ImageItem(axisOrder="row-major")
            p.addItem(img)
            self.boxes.append((p, title))
            self.items.append(img)
        self.frames_drawn = 0
        self.apply_style(theme, scale)

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        self.theme, self.scale = theme, scale
        self.setBackground(theme.bg)
        for p, title in self.boxes:
            th.set_title(p, title, theme, scale)

    def update_frame(self, frame) -> None:
        for img, data in zip(self.items, (frame.real, frame.fake), strict=True):
            arr = np.asarray(data)
            if arr.ndim != 4 or not len(arr):
                continue
            arr = arr[:MAX_TILES]
            img.setImage(mosaic(arr, 8, pad_value=1.0), autoLevels=False, levels=(0, 1))
        self.frames_drawn += 1
