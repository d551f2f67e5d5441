"""Points coloured by class (conditional GANs, issue 12): one colour per class, real points as light dots and
generated points as outlined diamonds of the same colour, so "class k landed on mode k" is read by colour.

One ScatterPlotItem per class for the generated points: the asked classes of the display batch are fixed, so every
frame only moves each item's points in place (``move_points``), as the plain view does; the real points change
only with the class picker and get one ``setData`` with a brush per point.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

from gan_studio.gui import theme as th
from gan_studio.gui.views.scatter import move_points


def class_colour(k: int, n_classes: int) -> QtGui.QColor:
    """The colour of class k of n: evenly spaced hues (ring8's classes go round the colour wheel as round the
    ring), saturated enough to read on the light and the dark theme."""
    return pg.intColor(k, hues=max(n_classes, 1), values=1, maxValue=225, minValue=225, sat=235)


class ClassLayer:
    """The class-coloured real and generated points of a 2D plot; hidden (and the plain items shown) unless the
    frame is a conditional GAN's."""

    def __init__(self, plot: pg.PlotItem, z_real: float, z_fake: float):
        self.plot = plot
        self.real = pg.ScatterPlotItem(pen=None)
        self.real.setZValue(z_real)
        plot.addItem(self.real)
        self.z_fake = z_fake
        self.fake: list[pg.ScatterPlotItem] = []
        self.theme, self.scale = th.LIGHT, 1.0
        self._real_key: tuple | None = None
        self.active = False
        self.shown = {"real": True, "fake": True}

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Sizes and outlines for a theme and view scale (colours are the classes')."""
        self.theme, self.scale = theme, scale
        self.real.setSize(5.5 * scale)
        for item in self.fake:
            item.setSize(7.5 * scale)
            item.setPen(theme.pen(theme.fg, 0.8, scale, alpha=200))
        self._real_key = None  # redraw the real points with the new size

    def legend_entries(self) -> list[tuple[str, pg.ScatterPlotItem, str]]:
        """(layer, item, text) for the data view's legend: the real points and the first class's diamonds."""
        entries = [("real", self.real, "real, by class")]
        if self.fake:
            entries.append(("fake", self.fake[0], "G(z, k)"))
        return entries

    def set_visible(self, real: bool, fake: bool) -> None:
        """The data view's "real" and "fake" layers."""
        self.shown = {"real": real, "fake": fake}
        self._show()

    def _show(self) -> None:
        self.real.setVisible(self.active and self.shown["real"])
        for item in self.fake:
            item.setVisible(self.active and self.shown["fake"])

    def _fake_items(self, n_classes: int) -> None:
        while len(self.fake) < n_classes:
            item = pg.ScatterPlotItem(symbol="d")
            item.setZValue(self.z_fake)
            self.plot.addItem(item)
            self.fake.append(item)
        for k, item in enumerate(self.fake):
            item.setBrush(pg.mkBrush(class_colour(k, n_classes)))
        self.apply_style(self.theme, self.scale)

    def update_frame(self, frame, fake: np.ndarray, real: np.ndarray) -> bool:
        """Draw ``frame``'s points by class; False (nothing drawn, layer hidden) for an unconditional frame."""
        labels = getattr(frame, "fake_labels", None)
        self.active = bool(getattr(frame.display, "conditional", False)) and labels is not None
        if self.active:
            n_classes = int(frame.display.n_modes or (int(labels.max()) + 1))
            if len(self.fake) != n_classes:
                for item in self.fake[n_classes:]:
                    item.setData([], [])
                self._fake_items(n_classes)
            for k, item in enumerate(self.fake):
                move_points(item, fake[labels == k])
            real_labels = getattr(frame, "real_labels", None)
            key = (len(real), n_classes, None if real_labels is None else real_labels.tobytes()[:64], self.scale)
            if key != self._real_key or not np.array_equal(real, getattr(self, "_real", None)):
                self._real_key, self._real = key, real
                if real_labels is None:
                    self.real.setData(pos=real, brush=self.theme.brush(self.theme.real, 150))
                else:
                    brushes = [pg.mkBrush(c.red(), c.green(), c.blue(), 110)
                               for c in (class_colour(int(k), n_classes) for k in real_labels)]
                    self.real.setData(pos=real, brush=brushes)
        self._show()
        return self.active
