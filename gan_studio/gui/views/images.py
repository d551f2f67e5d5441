"""Image views: the generated grid beside real images (or each cell's nearest training image), a latent
interpolation strip, and the class histogram of generated samples against the data's.

Draws ``Frame.images`` (keys documented in ``gan_studio/measure/images.py``) and falls back to ``Frame.fake`` /
``Frame.real`` when a frame carries no image dict. NumPy + pyqtgraph + Qt only (never torch). Plot items are built
once; updates call ``setImage`` / ``setOpts``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from gan_studio.gui import theme as th
from gan_studio.gui.views.samples import mosaic

NN_OFF, NN_ON = "Show nearest", "Show real"  # the button: what clicking it puts in the right-hand grid
# The plots' least height at 100 % (grown with the view scale): four titles, two 8×8 grids, the paths and the
# class bars each readable; below it the plots scroll.
PLOTS_HEIGHT = 440


def _no_si_prefix(axis: pg.AxisItem) -> None:
    """Plain tick values. (pyqtgraph 0.14's enableAutoSIPrefix(False) computes a prefix from the current range
    and then freezes it, so a re-styled 0–0.25 axis would read 0–250; an empty enable-range list avoids that.)"""
    if hasattr(axis, "setSIPrefixEnableRanges"):
        axis.setSIPrefixEnableRanges(())
    axis.enableAutoSIPrefix(False)


def _image_plot(layout: pg.GraphicsLayoutWidget, row: int, col: int,
                colspan: int = 1) -> tuple[pg.PlotItem, pg.ImageItem]:
    plot = layout.addPlot(row=row, col=col, colspan=colspan)
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    item = pg.ImageItem(axisOrder="row-major")
    plot.addItem(item)
    return plot, item


def picked_class(frame) -> int | None:
    """The class a conditional GAN's frame was drawn for (the class picker, ``Display.shown_class``), or None for
    every class / an unconditional run."""
    shown = getattr(frame, "display", None)
    if shown is None or not getattr(shown, "conditional", False) or getattr(shown, "shown_class", -1) < 0:
        return None
    return int(shown.shown_class)


class ImageViews(QtWidgets.QWidget):
    """Sample grids, interpolation strip, nearest-neighbour check and class histogram for image data sets."""

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent)
        self.theme, self.scale = theme, scale
        self.frames_drawn = 0
        self._nn: dict | None = None  # latest nearest-neighbour result (kept between frames that lack one)
        self._shape: tuple[int, int, int, int] | None = None  # (grid, C, H, W) of the drawn grids
        self._selected: int | None = None
        self._last_images: dict = {}
        self._title_key: tuple | None = None  # what the titles last said (see _titles)
        self._real: np.ndarray | None = None
        self._picked: int | None = None  # a conditional GAN's picked class (the real grid shows only it), or None
        self._tick_names: list[str] | None = None

        # short texts throughout: at 200 % on 1280×720 this tab is ~630 px wide, and the long button, info and
        # titles took 300 of its 560 px and overlapped each other (the grids were drawn ~30 px tall)
        self.nn_button = QtWidgets.QPushButton(NN_OFF)
        self.nn_button.setCheckable(True)
        self.nn_button.setToolTip("Replace the real grid by the training image closest (pixel L2) to each "
                                  "generated cell: identical pairs mean the generator memorised its data")
        self.nn_button.toggled.connect(self._nn_toggled)
        self.info = QtWidgets.QLabel("waiting for the first frame")
        self.info.setWordWrap(True)
        self.info.setToolTip("Distances from each generated image to its nearest training image (pixel L2, [0, 1] "
                             "units, as at the step of the last metrics row), against those of real images to "
                             "their nearest other training image: much smaller means copies. Click a generated "
                             "cell to see its nearest training image and their distance")
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.nn_button)
        top.addWidget(self.info, 1)

        self.layout_widget = pg.GraphicsLayoutWidget()
        self.fake_plot, self.fake_item = _image_plot(self.layout_widget, 0, 0)
        self.right_plot, self.right_item = _image_plot(self.layout_widget, 0, 1)
        self.interp_plot, self.interp_item = _image_plot(self.layout_widget, 1, 0, colspan=2)
        self.hist_plot = self.layout_widget.addPlot(row=2, col=0, colspan=2)
        self.hist_plot.setMenuEnabled(False)
        self.hist_plot.setMouseEnabled(x=False, y=False)
        self.hist_plot.hideButtons()
        self.data_bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.4)
        self.fake_bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.4)
        self.hist_plot.addItem(self.data_bars)
        self.hist_plot.addItem(self.fake_bars)
        self.layout_widget.ci.layout.setRowStretchFactor(0, 5)
        self.layout_widget.ci.layout.setRowStretchFactor(1, 2)  # a 10 × 3 strip: wide rather than tall
        self.layout_widget.ci.layout.setRowStretchFactor(2, 3)
        self.select_boxes = []
        for plot in (self.fake_plot, self.right_plot):
            box = pg.PlotCurveItem()
            box.setZValue(10)
            plot.addItem(box)
            self.select_boxes.append(box)
        self.fake_plot.scene().sigMouseClicked.connect(self._clicked)

        # the plots keep a readable height and scroll when the tab is short for its scale (as the Seeds and the
        # latent tabs do): at 200 % on 1280×720 the tab has ~490 px under the info for four titles and the plots
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidget(self.layout_widget)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(top)
        outer.addWidget(self.scroll, 1)
        self.apply_style(theme, scale)

    # ------------------------------------------------------------------------------------------- styling
    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Colours and sizes for the theme and view scale (titles are re-set on the next frame)."""
        self.theme, self.scale = theme, scale
        self.layout_widget.setBackground(theme.bg)
        self.layout_widget.setMinimumHeight(int(PLOTS_HEIGHT * scale))
        th.style_plot(self.hist_plot, theme, scale)
        th.set_label(self.hist_plot, "left", "share", theme, scale)  # longer is cut at 200 % (the plot is short)
        _no_si_prefix(self.hist_plot.getAxis("left"))  # shares, not milli-shares
        self.data_bars.setOpts(brush=theme.brush(theme.real, 200), pen=theme.pen(theme.real, 1, 1))
        self.fake_bars.setOpts(brush=theme.brush(theme.fake, 200), pen=theme.pen(theme.fake, 1, 1))
        for box in self.select_boxes:
            box.setPen(theme.pen(theme.g, 2.5, scale))
        self._titles()

    def _titles(self, force: bool = True) -> None:
        """Set the four titles; ``force=False`` (every frame) only when what they say changed: setting a title
        re-lays out the plots, about half of this view's time per frame."""
        images = self._last_images
        key = (self.nn_button.isChecked(), images.get("interp_kind", ""), "class_names" in images, self._picked)
        if not force and key == self._title_key:
            return
        self._title_key = key
        t, s = self.theme, self.scale
        # no step count: a title that changes every frame re-lays out the plots (the status bar shows it)
        # the two grids share a row: each title fits half of the tab at 200 % on 1280×720 (~300 px, 18 characters)
        th.set_title(self.fake_plot, "Generated G(z)", t, s)
        if self.nn_button.isChecked():
            th.set_title(self.right_plot, "Nearest real image", t, s)
        elif self._picked is not None:
            names = images.get("class_names") or []
            name = names[self._picked] if self._picked < len(names) else str(self._picked)
            th.set_title(self.right_plot, f"Real, class {name}", t, s)
        else:
            th.set_title(self.right_plot, "Real images", t, s)
        kind = images.get("interp_kind", "")
        th.set_title(self.interp_plot, "Paths z_a → z_b" + (f" ({kind})" if kind else ""), t, s)
        if "class_names" in images:
            key = th.key_html([(t.real, "data", "fill"), (t.fake, "generated", "fill")], t, s)
            th.set_title(self.hist_plot, f"Classes&nbsp;&nbsp;<span style='font-weight:normal'>{key}</span>", t, s)
        else:
            th.set_title(self.hist_plot, "Classes: unavailable (no labels)", t, s)

    # ------------------------------------------------------------------------------------------- drawing
    def update_frame(self, frame) -> None:
        """Draw one Frame: grids, interpolation strip, nearest neighbours (if shown) and class histogram."""
        images = dict(frame.images or {})
        fake = images.get("fake", frame.fake)
        real = images.get("real", frame.real)
        fake = None if fake is None else np.asarray(fake)
        if fake is None or fake.ndim != 4 or not len(fake):
            return  # not an image frame
        grid = int(images.get("grid", int(np.ceil(np.sqrt(len(fake))))))
        n = min(len(fake), grid * grid)
        self._shape = (grid, *fake.shape[1:])
        self._last_images = images
        if "nn_real" in images:
            self._nn = {k: images.get(k) for k in ("nn_real", "nn_index", "nn_dist", "nn_step", "nn_ref_dist")}
        self.fake_item.setImage(mosaic(fake[:n], grid), autoLevels=False, levels=(0, 1))
        self._real = None if real is None else np.asarray(real)[:n]
        self._picked = picked_class(frame)
        if self._real is not None and self._picked is not None:
            labels = np.asarray(images.get("real_labels", ()))[:n]  # the picked class's cells of the fixed grid
            self._real = self._real[labels == self._picked] if len(labels) == len(self._real) else self._real
        self._draw_right()
        if "interp" in images:
            interp = np.asarray(images["interp"])
            m, k = interp.shape[:2]
            self.interp_item.setImage(mosaic(interp.reshape(m * k, *interp.shape[2:]), k),
                                      autoLevels=False, levels=(0, 1))
        self._draw_histogram(images)
        self._titles(force=False)
        self._update_info()
        self.frames_drawn += 1

    def _draw_right(self) -> None:
        grid = self._shape[0] if self._shape else 8
        if self.nn_button.isChecked() and self._nn is not None:
            self.right_item.setImage(mosaic(np.asarray(self._nn["nn_real"]), grid), autoLevels=False, levels=(0, 1))
        elif self._real is not None and self._real.ndim == 4 and len(self._real):
            if self._picked is not None:  # the picked class's cells only: a square of their own
                grid = int(np.ceil(np.sqrt(len(self._real))))
            self.right_item.setImage(mosaic(self._real, grid), autoLevels=False, levels=(0, 1))
        elif self._real is not None:
            self.right_item.clear()  # no cell of the picked class in the fixed grid

    def _draw_histogram(self, images: dict) -> None:
        names = images.get("class_names")
        self.hist_plot.setVisible(names is not None)
        if names is None:
            return
        k = len(names)
        x = np.arange(k, dtype=float)
        data = np.asarray(images.get("class_hist_data", np.zeros(k)), dtype=float)
        fake = np.asarray(images.get("class_hist_fake", np.zeros(k)), dtype=float)
        self.data_bars.setOpts(x=x - 0.2, height=data, width=0.4)
        self.fake_bars.setOpts(x=x + 0.2, height=fake, width=0.4)
        axis = self.hist_plot.getAxis("bottom")
        if self._tick_names != list(names):
            axis.setTicks([[(i, str(name)) for i, name in enumerate(names)]])
            self._tick_names = list(names)
        top = max(float(data.max(initial=0)), float(fake.max(initial=0)), 0.05)
        self.hist_plot.setRange(xRange=(-0.6, k - 0.4), yRange=(0, 1.1 * top), padding=0)

    # ------------------------------------------------------------------------------------- interaction
    def _nn_toggled(self, checked: bool) -> None:
        self.nn_button.setText(NN_ON if checked else NN_OFF)
        self._draw_right()
        self._titles()
        self._update_info()

    def _cell_at(self, scene_pos) -> int | None:
        """Grid cell index under a scene position of the generated grid, or None."""
        if self._shape is None or not self.fake_plot.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.fake_plot.vb.mapSceneToView(scene_pos)
        grid, _, h, w = self._shape
        col, row = int(p.x() // (w + 1)), int(p.y() // (h + 1))
        if 0 <= row < grid and 0 <= col < grid:
            return row * grid + col
        return None

    def _clicked(self, event) -> None:
        cell = self._cell_at(event.scenePos())
        if cell is not None:
            self.select_cell(cell)

    def select_cell(self, cell: int | None) -> None:
        """Highlight one grid cell in both grids and describe its nearest training image (None clears)."""
        self._selected = cell
        if cell is None or self._shape is None:
            for box in self.select_boxes:
                box.setData([], [])
        else:
            grid, _, h, w = self._shape
            r, c = divmod(cell, grid)
            x0, y0 = c * (w + 1) + 0.5, r * (h + 1) + 0.5
            xs = [x0, x0 + w + 1, x0 + w + 1, x0, x0]
            ys = [y0, y0, y0 + h + 1, y0 + h + 1, y0]
            for box in self.select_boxes:
                box.setData(xs, ys)
        self._update_info()

    def _update_info(self) -> None:
        parts = []
        nn = self._nn
        if nn is not None:
            d = np.asarray(nn["nn_dist"])
            text = f"nearest training image at median {np.median(d):.3g}, min {d.min():.3g}"
            if nn.get("nn_ref_dist") is not None:
                text += f" (real to real: {np.median(nn['nn_ref_dist']):.3g})"
            parts.append(text)
            if self._selected is not None and self._selected < len(d):
                r, c = divmod(self._selected, self._shape[0])
                parts.append(f"cell ({r + 1}, {c + 1}): training image #{int(nn['nn_index'][self._selected])} at "
                             f"{float(d[self._selected]):.3g}")
        elif self._shape is not None:
            parts.append("nearest training images: not computed yet")
        if self._shape is not None and self._selected is None:
            parts.append("click a cell")
        self.info.setText(" · ".join(parts) if parts else "waiting for the first frame")
