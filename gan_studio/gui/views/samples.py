"""A plain grid of real and generated images: the data-space view for image sets.

The richer image views (interpolations, class histograms) live in ``gui/views/images.py``; this grid is
what the window shows when that module is absent, and next to it otherwise.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gan_studio.gui import theme as th

MAX_TILES = 64  # an 8 × 8 grid


def tile(images: np.ndarray, cols: int = 8, pad: int = 1) -> np.ndarray:
    """(n, C, H, W) images in [0, 1] → one (rows·(H+pad), cols·(W+pad), C) mosaic (row-major, row 0 on top)."""
    images = np.asarray(images, dtype=float)[:MAX_TILES]
    n, c, h, w = images.shape
    cols = min(cols, n) or 1
    rows = (n + cols - 1) // cols
    out = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c))
    for i in range(n):
        r, k = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = \
            images[i].transpose(1, 2, 0)
    return np.clip(out, 0, 1)


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
            mosaic = tile(arr)
            img.setImage(mosaic[..., 0] if mosaic.shape[-1] == 1 else mosaic, autoLevels=False, levels=(0, 1))
        self.frames_drawn += 1
