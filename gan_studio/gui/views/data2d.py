"""The 2D data space: samples, the D/critic surface with contours and a labelled colour bar, the generator
density, where each generated sample is pushed, and the warped latent grid. Each layer can be switched off.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets
from scipy.ndimage import gaussian_filter
from scipy.special import expit  # σ, without overflow warnings

from gan_studio.gui import theme as th
from gan_studio.gui.views.classes import ClassLayer
from gan_studio.gui.views.contours import contour_segments
from gan_studio.gui.views.data1d import _axis_height
from gan_studio.gui.views.scatter import move_points

LAYERS: dict[str, str] = {
    "surface": "D surface (colour)",
    "contours": "D contour lines",
    "density": "generator density",
    "real": "real samples",
    "fake": "generated samples",
    "push": "push arrows (−∇ₓ L_G)",
    "latent": "warped latent grid",
    "paths": "G along latent paths (lerp, slerp)",
    "inversion": "inversion (click: find z)",
}
DEFAULT_LAYERS = {"surface", "contours", "real", "fake", "push", "inversion"}
DENSITY_LEVELS = (0.1, 0.3, 0.6)  # generator density contour lines, as fractions of its (smoothed) peak
DENSITY_SMOOTH = 1.5  # grid cells: the Gaussian blur that turns the frame's density histogram into a surface
BAR_WIDTH = 18  # colour bar strip, pixels at 100 %
DATA_PX = 100  # the least height of the plot's data area at 100 % (its width follows: the aspect is locked): with a
# lesson bar at 200 % on 1280×720 the whole view got 225 px and the plot's data area 2 px, under title and legend
NARROW_AFTER = 30  # frames (~1 s) the samples must stay home before a widened view narrows back
ARROW_FRACTION = 0.07  # the 90th-percentile arrow is this fraction of the view's width


def arrow_segments(p: np.ndarray, v: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrows from points ``p`` along ``v`` as pairs of segment ends (shaft + two head strokes each).

    Vectors are scaled so the 90th-percentile one is ``length`` long (longer ones clipped at 1.6×).
    """
    n = len(p)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    norm = np.linalg.norm(v, axis=1)
    ref = float(np.percentile(norm, 90)) if np.any(norm > 0) else 1.0
    ref = ref if ref > 0 else 1.0
    lens = np.minimum(norm / ref * length, 1.6 * length)
    unit = v / np.maximum(norm, 1e-12)[:, None]
    tip = p + unit * lens[:, None]
    head = np.maximum(0.35 * lens, 0.0)[:, None]
    c, s = np.cos(np.radians(25)), np.sin(np.radians(25))
    back = -unit
    left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], 1)
    right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], 1)
    segs = np.stack([p, tip, tip, tip + head * left, tip, tip + head * right], 1)  # (n, 6, 2)
    keep = lens > 1e-9
    segs = segs[keep].reshape(-1, 2)
    return segs[:, 0], segs[:, 1]


def latent_polylines(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(2, k, k, 2) latent grid lines → x, y with NaN breaks between lines (for ``connect="finite"``)."""
    lines = grid.reshape(-1, grid.shape[-2], grid.shape[-1])  # (2k, k, 2)
    pad = np.full((lines.shape[0], 1, 2), np.nan)
    flat = np.concatenate([lines, pad], 1).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _pixel_rect(xs: np.ndarray, ys: np.ndarray) -> QtCore.QRectF:
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    return QtCore.QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy)


class DataView2D(pg.GraphicsLayoutWidget):
    """Draws the 2D parts of a Frame; ``update_frame(frame)`` only calls setData / setImage. A click in the plot
    emits ``point_clicked`` with the data point (x, y) (the window asks for its inversion)."""

    point_clicked = QtCore.pyqtSignal(object)

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent=parent)
        self.theme, self.scale = theme, scale
        self.layers = set(DEFAULT_LAYERS)
        self.plot: pg.PlotItem = self.addPlot(row=0, col=0, axisItems=th.readable_axes())
        self.plot.setAspectLocked(True)
        self.plot.setMenuEnabled(False)
        self.surface = pg.ImageItem(axisOrder="row-major")
        self.surface.setZValue(-20)
        self.density = pg.ImageItem(axisOrder="row-major")
        self.density.setZValue(-15)
        self.contours = pg.PlotCurveItem(connect="pairs")
        self.density_lines = pg.PlotCurveItem(connect="pairs")  # the density's level lines: visible from afar
        self.boundary = pg.PlotCurveItem(connect="pairs")
        self.latent = pg.PlotCurveItem(connect="finite")
        self.real = pg.ScatterPlotItem(pen=None)
        self.fake = pg.ScatterPlotItem(pen=None)
        self.push = pg.PlotCurveItem(connect="pairs")
        self.paths = {"lerp": pg.PlotCurveItem(), "slerp": pg.PlotCurveItem()}  # G along the latent paths
        self.inversion = InversionOverlay()
        # Layers that change a few times a second at most are kept as pixmaps: the generated samples move on
        # every frame and repaint the whole plot, and re-drawing these under them each time cost the window's
        # process ~1.5 ms a frame (a busy window slows training on 2 cores)
        for item in (self.surface, self.density, self.contours, self.density_lines, self.boundary, self.real):
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        for z, item in enumerate([self.contours, self.boundary, self.density_lines, self.latent, self.real, self.fake,
                                  self.push]):
            item.setZValue(z)
            self.plot.addItem(item)
        self.plot.addItem(self.surface)
        self.plot.addItem(self.density)
        self.classes = ClassLayer(self.plot, z_real=self.real.zValue(), z_fake=self.fake.zValue())  # conditional
        for z, item in enumerate([*self.paths.values(), *self.inversion.items()], start=10):
            item.setZValue(z)
            self.plot.addItem(item)
        self.scene().sigMouseClicked.connect(self._clicked)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=theme.d_colormap(), interactive=False, width=BAR_WIDTH,
                                   label="σ(D(x))")
        self._bar_ticks: list[tuple[float, str]] = []
        self._energy = False  # the surface is an energy (lower = more real): the colour map is turned round
        self.bar.setImageItem(self.surface, insert_in=self.plot)
        # the legend sits under the plot (inside it, it would hide data), listing only the visible layers
        self.legend = pg.LegendItem(colCount=2, verSpacing=-6, horSpacing=14)
        self.ci.addItem(self.legend, row=1, col=0)
        self.density_sample = pg.PlotDataItem([0], [0], pen=None, symbol="s")
        self._has_boundary = True
        self._game = True  # Display.game: a VAE has no game, so no push arrows in the legend
        self._real: np.ndarray | None = None
        self._levels: tuple[float, float, float] | None = None
        self._title = ""
        self._bar_label = ""
        self._bounds: tuple | None = None
        self._user_view = False  # the person zoomed or panned: the view no longer follows the samples
        self._inside_frames = 0  # frames in a row with the samples back inside the data's bounds
        self.plot.vb.sigRangeChangedManually.connect(self._taken_over)
        self.frames_drawn = 0
        self.apply_style(theme, scale)
        self._set_bar_ticks(0.0, 1.0)
        self.set_layers(self.layers)

    # -- fitting the height -------------------------------------------------------------------------------
    def least_height(self) -> int:
        """The least height that leaves the plot DATA_PX × scale of data under its title and over its x axis."""
        title = self.plot.titleLabel.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).height()
        return int(title + _axis_height(self.plot.getAxis("bottom")) + DATA_PX * self.scale + 8)

    def fit_legend(self) -> None:
        """Show the legend under the plot only while the plot keeps its least height (the legend goes first)."""
        if not hasattr(self, "legend"):  # a resize while pyqtgraph builds the widget
            return
        # two columns where they fit the view's width, else one: at 200 % on 1280×720 two were 468 px wide in a
        # 391-px view, and pyqtgraph clipped the layout on the right, the colour bar's ticks with it
        columns = self.legend.columnCount
        self.legend.setColumnCount(2)
        if self.legend.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize).width() > self.width() - 8:
            self.legend.setColumnCount(1)
        if self.legend.columnCount != columns:  # lay the view out again at its own width (it was held at the
            self.legend.updateGeometry()  # legend's old least width)
            self.ci.setGeometry(self.range)
        need = self.legend.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).height()
        show = self.height() >= self.least_height() + need
        self.legend.setVisible(show)
        self.legend.setMaximumHeight(1e6 if show else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.closed:  # pyqtgraph's close() deleted the plots, then resizes the view as it drops the viewport
            return
        self.fit_legend()

    # -- style and layers -----------------------------------------------------------------------------------
    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Recolour and resize for a theme and view scale."""
        self.theme, self.scale = theme, scale
        self.setBackground(theme.bg)
        th.style_plot(self.plot, theme, scale)
        th.set_label(self.plot, "bottom", "x₁", theme, scale)
        th.set_label(self.plot, "left", "x₂", theme, scale)
        self.real.setBrush(theme.brush(theme.real, 170))
        self.real.setSize(5.5 * scale)
        self.fake.setBrush(theme.brush(theme.fake, 200))
        self.fake.setSize(5.5 * scale)
        self.fake.setSymbol("d")
        # the layers that carry the lesson are drawn to be seen from the back row; D's level lines stay quiet
        self.contours.setPen(theme.pen(theme.fg, 1.0, scale, alpha=120))
        self.boundary.setPen(theme.pen(theme.fg, 3.0, scale, alpha=230))
        self.density_lines.setPen(theme.pen(theme.density, 2.2, scale, alpha=235))
        self.latent.setPen(theme.pen(theme.latent, 1.8, scale, alpha=220))
        self.push.setPen(theme.pen(theme.fg, 2.0, scale, alpha=235))
        self.paths["lerp"].setPen(theme.pen(theme.marker, 3.0, scale))
        self.paths["slerp"].setPen(theme.pen(theme.marker, 3.0, scale, dash=True))
        self.inversion.apply_style(theme, scale)
        self.classes.apply_style(theme, scale)
        self.bar.setColorMap(theme.d_colormap(lower_is_real=self._energy))
        self.density.setColorMap(theme.density_colormap())
        self.bar.layout.setColumnFixedWidth(1, BAR_WIDTH * scale)
        self.bar.axis.setStyle(tickFont=th.font(9.5 * scale), tickTextOffset=int(4 * scale))
        self.bar.axis.setTextPen(theme.pen(theme.fg, 1, 1))
        self.bar.axis.setPen(theme.pen(theme.muted, 1, 1))
        self.bar.getAxis("left").setTextPen(theme.pen(theme.fg, 1, 1))
        self._fit_bar_axis()
        self.density_sample.setSymbolBrush(theme.brush(theme.density, 170))
        self.density_sample.setSymbolPen(theme.pen(theme.density, 2.2, scale))
        self.density_sample.setSymbolSize(11 * scale)
        self._rebuild_legend()
        if self._title:
            th.set_title(self.plot, self._title, theme, scale)
        if self._bar_label:
            self.bar.getAxis("left").setLabel(self._bar_label, **{"color": theme.fg,
                                                                   "font-size": f"{10 * scale:.1f}pt"})

    def set_layers(self, layers) -> None:
        """Show exactly the named layers (keys of LAYERS)."""
        self.layers = set(layers)
        self.surface.setVisible("surface" in self.layers)
        self.contours.setVisible("contours" in self.layers)
        self.boundary.setVisible("contours" in self.layers)
        self.density.setVisible("density" in self.layers)
        self.density_lines.setVisible("density" in self.layers)
        self.real.setVisible("real" in self.layers)
        self.fake.setVisible("fake" in self.layers)
        self.push.setVisible("push" in self.layers)
        self.latent.setVisible("latent" in self.layers)
        for item in self.paths.values():
            item.setVisible("paths" in self.layers)
        self.inversion.setVisible("inversion" in self.layers)
        self.classes.set_visible("real" in self.layers, "fake" in self.layers)
        self._rebuild_legend()

    def _rebuild_legend(self) -> None:
        points = [("real", self.real, "real data"), ("fake", self.fake, "generated G(z)")]
        entries = [*(self.classes.legend_entries() if self.classes.active else points),  # conditional: by class
                   ("push", self.push, "push −∇ₓL_G" if self._game else None),
                   ("contours", self.boundary, "decision boundary" if self._has_boundary else None),
                   ("density", self.density_sample, "p_g estimate"),
                   ("latent", self.latent, "G(latent grid)"),
                   ("paths", self.paths["lerp"], "G(straight path)"),
                   ("paths", self.paths["slerp"], "G(spherical path)")]
        self.legend.clear()
        for layer, item, text in entries:
            if layer in self.layers and text:
                self.legend.addItem(item, text)
        th.style_legend(self.legend, self.theme, self.scale)
        self.legend.setPen(None)
        self.legend.setBrush(None)
        self.fit_legend()  # its height changed with its entries

    def _set_bar_ticks(self, lo: float, hi: float) -> None:
        """Colour bar ticks at round values of the shown range, labelled with the digits they need (a clipped
        critic spans ±0.003), and the bar's axis widened to fit them."""
        ticks = th.nice_ticks(lo, hi)
        if [label for _, label in ticks] == [label for _, label in self._bar_ticks]:
            return
        self._bar_ticks = ticks
        self.bar.axis.setTicks([ticks, []])
        self._fit_bar_axis()

    def _fit_bar_axis(self) -> None:
        """The colour bar's axis as wide as its widest label (pyqtgraph fixes it at 45 px and drops labels that do
        not fit)."""
        ax = self.bar.axis
        width, _ = th.text_size([label for _, label in self._bar_ticks] or ["0.00"], ax.style["tickFont"])
        ax.setWidth(int(width + ax.style["tickTextOffset"][0] + max(0, ax.style["tickLength"]) + 6))

    # -- data -----------------------------------------------------------------------------------------------
    def _follow(self, fake: np.ndarray, bounds: np.ndarray) -> None:
        """Keep the generated samples in view: widen at once when over 10 % are outside it (at most 4× the
        data's plot bounds), and go back to the data's bounds once 98 % of them have been inside those for
        NARROW_AFTER frames. A view the person zoomed or panned is theirs until the data set changes."""
        if self._user_view:
            return
        (x0, x1), (y0, y1) = self.plot.viewRange()
        finite = fake[np.isfinite(fake).all(1)]
        if not len(finite):
            return
        outside = ((finite[:, 0] < x0) | (finite[:, 0] > x1) | (finite[:, 1] < y0) | (finite[:, 1] > y1)).mean()
        if outside > 0.1:
            self._inside_frames = 0
            centre, half = bounds.mean(1), (bounds[:, 1] - bounds[:, 0]) * 2
            lo = np.maximum(np.minimum(np.percentile(finite, 1, axis=0), [x0, y0]), centre - half)
            hi = np.minimum(np.maximum(np.percentile(finite, 99, axis=0), [x1, y1]), centre + half)
            self._set_view(lo, hi, 0.05)
            return
        wide = (x1 - x0) > 1.2 * (bounds[0, 1] - bounds[0, 0]) or (y1 - y0) > 1.2 * (bounds[1, 1] - bounds[1, 0])
        home = ((finite >= bounds[:, 0]) & (finite <= bounds[:, 1])).all(1).mean() >= 0.98
        self._inside_frames = self._inside_frames + 1 if wide and home else 0
        if self._inside_frames >= NARROW_AFTER:
            self._inside_frames = 0
            self._set_view(bounds[:, 0], bounds[:, 1], 0.02)

    def _set_view(self, lo, hi, padding: float) -> None:
        """Set the view range ourselves (not counted as the person's zoom)."""
        self.plot.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=padding)

    def _taken_over(self, *_) -> None:
        self._user_view = True

    def _clicked(self, event) -> None:
        """A left click inside the plot: ask for the z of that point (when the inversion layer is shown)."""
        vb = self.plot.vb
        if (event.button() != QtCore.Qt.MouseButton.LeftButton or "inversion" not in self.layers
                or not vb.sceneBoundingRect().contains(event.scenePos())):
            return
        p = vb.mapSceneToView(event.scenePos())
        self.point_clicked.emit((float(p.x()), float(p.y())))

    def update_frame(self, frame, probed: bool = True) -> None:
        """Draw a 2D Frame; ``probed=False`` (a sample-only frame) keeps the last surface and latent grid."""
        b = np.asarray(frame.bounds, dtype=float)
        key = tuple(np.round(b.ravel(), 6))
        if key != self._bounds:  # new data set: fit the view to it; the person's zoom is theirs until the next
            self._bounds = key
            self._user_view, self._inside_frames = False, 0
            self.plot.setRange(xRange=b[0], yRange=b[1], padding=0.02)
        fake = np.asarray(frame.fake[:, :2], dtype=float)
        self._follow(fake, b)
        real = np.asarray(frame.real[:, :2], dtype=float)
        if self._real is None or real.shape != self._real.shape or not np.array_equal(real, self._real):
            self._real = real  # the display sample is fixed: skip the 2–3 ms setData when it did not change
            self.real.setData(pos=real)
        move_points(self.fake, fake)
        was_by_class = self.classes.active
        by_class = self.classes.update_frame(frame, fake, real)  # a conditional GAN: points coloured by class
        if by_class != was_by_class:
            self._rebuild_legend()
        self.real.setVisible("real" in self.layers and not by_class)
        self.fake.setVisible("fake" in self.layers and not by_class)
        shown_as = frame.display
        prob = shown_as.d_view == "probability"
        energy = shown_as.d_view == "energy"
        if energy != self._energy:  # an energy's "real" end is its low end: the colours turn round
            self._energy = energy
            self.bar.setColorMap(self.theme.d_colormap(lower_is_real=energy))
        if shown_as.game != self._game:
            self._game = shown_as.game
            self._rebuild_legend()
        s = frame.surface
        if s is not None and probed:
            score = np.asarray(s.score, dtype=float)
            shown = expit(score) if prob else score
            level = shown_as.decision_level
            if prob:
                lo, hi = 0.0, 1.0
            else:
                centre = level if level is not None else float(np.nanmedian(shown))
                lo, hi = th.symmetric_levels(shown - centre,
                                             None if self._levels is None else
                                             (self._levels[0] - self._levels[2], self._levels[1] - self._levels[2]))
                lo, hi = lo + centre, hi + centre
            self._levels = (lo, hi, 0.0 if prob else centre)
            rect = _pixel_rect(np.asarray(s.xs), np.asarray(s.ys))
            self.surface.setImage(shown, autoLevels=False, levels=(lo, hi))
            self.surface.setRect(rect)
            if self.bar.levels() != (lo, hi):  # setting them re-ticks the colour bar's axis even when equal
                self.bar.setLevels((lo, hi))
                self._set_bar_ticks(lo, hi)
            if prob:
                levels = [0.1, 0.25, 0.75, 0.9]
            else:
                levels = [lo + (hi - lo) * f for f in (0.1, 0.25, 0.4, 0.6, 0.75, 0.9)]
            cx, cy = contour_segments(shown, np.asarray(s.xs), np.asarray(s.ys), levels)
            self.contours.setData(cx, cy)
            if (level is not None) != self._has_boundary:
                self._has_boundary = level is not None
                self._rebuild_legend()
            if level is not None:
                bx, by = contour_segments(shown, np.asarray(s.xs), np.asarray(s.ys), [level])
                self.boundary.setData(bx, by)
            else:
                self.boundary.setData([], [])
            if s.gen_density is not None:
                # the frame's density is a histogram (3 % of cells filled for 1,000 collapsed samples): smoothed
                # over DENSITY_SMOOTH cells it reads as a density, not as dots under the samples (0.2 ms)
                dens = gaussian_filter(np.nan_to_num(np.asarray(s.gen_density, dtype=float)), DENSITY_SMOOTH)
                top = float(dens.max()) if dens.size else 1.0
                self.density.setImage(dens, autoLevels=False, levels=(0.0, max(top, 1e-12)))
                self.density.setRect(rect)
                if "density" in self.layers:  # 1–2 ms: only when shown
                    gx, gy = contour_segments(dens, np.asarray(s.xs), np.asarray(s.ys),
                                              [f * max(top, 1e-12) for f in DENSITY_LEVELS])
                    self.density_lines.setData(gx, gy)
            label = shown_as.d_label
            if label != self._bar_label:
                self._bar_label = label
                self.bar.getAxis("left").setLabel(label, **{"color": self.theme.fg,
                                                             "font-size": f"{10 * self.scale:.1f}pt"})
        n = 0 if frame.push is None else min(len(frame.push), len(frame.fake))  # the frame says how many arrows
        if n:
            span = float(b[0, 1] - b[0, 0]) if b.shape[0] else 1.0
            ax, ay = arrow_segments(np.asarray(frame.fake[:n, :2], float), np.asarray(frame.push[:n, :2], float),
                                    ARROW_FRACTION * span)
            self.push.setData(ax, ay)
        else:
            self.push.setData([], [])
        if not probed:
            pass
        elif frame.latent_grid is not None and frame.latent_grid.shape[-1] == 2:
            lx, ly = latent_polylines(np.asarray(frame.latent_grid, float))
            self.latent.setData(lx, ly)
        else:
            self.latent.setData([], [])
        if probed:
            drawn = {p.kind: np.asarray(p.points, float) for p in frame.latent_paths if p.space == "z"}
            for kind, item in self.paths.items():
                pts = drawn.get(kind, np.zeros((0, 2)))
                item.setData(pts[:, 0], pts[:, 1])
        # no step count here: a title that changes every frame re-lays out the plot and repaints its axes
        title = f"Data space · {frame.loss} + {frame.lipschitz}"
        if title != self._title:
            self._title = title
            th.set_title(self.plot, title, self.theme, self.scale)
        self.frames_drawn += 1


def explanation(frame) -> str:
    """A few sentences (HTML) saying how to read the data-space view for this frame's loss and dimension."""
    critic = frame.display.d_view != "probability"
    if frame.display.kind == "1d":
        d = ("<b>Middle</b>: D(x) as the probability that x is real (green) against the best possible D* for "
             "the current generator (dashed)." if not critic else
             "<b>Middle</b>: the critic D(x) (green); for WGAN the dashed line is the optimal critic "
             "(slope ±1). A critic's constant offset is arbitrary, so both are shifted to mean 0 on the data.")
        if not frame.display.game:
            d = ("<b>Middle</b>: not a discriminator — the model's own loss at x, decoded from its encoder's code "
                 "for x (lower = better explained).")
        return ("<b>How to read this.</b> <b>Top</b>: the data density (blue, exact) and the generator's density "
                "(orange, estimated from samples; ticks under the axis are samples). " + d +
                " <b>Bottom</b>: where the generator sends evenly spaced z (Goodfellow et al. 2014, Fig. 1): "
                "lines bunch up where p_g is high.")
    if not frame.display.game:
        bg = ("There is no discriminator and no game: the generator is a decoder, trained with an encoder to "
              "reconstruct the data. The background is that model's own loss at x (blue = low = well explained, "
              "orange = high). Its samples G(z), z ~ N(0, I), land where decoded codes land: between the modes too.")
    elif frame.display.d_view == "energy":
        bg = ("The background is the discriminator's energy D(x), its reconstruction error: blue = low energy = "
              "“more real”, orange = high. The generator moves its samples downhill, to where D reconstructs well.")
    elif not critic:
        bg = ("The background is the discriminator's verdict σ(D(x)), the probability that x is real: blue = "
              "“real”, orange = “fake”; the thick line is σ(D) = ½, where D cannot tell.")
    else:
        bg = ("The background is the critic's score D(x): blue = higher = “more real”, orange = lower. Only "
              "differences matter (there is no probability here); the generator climbs this surface.")
    points = "Blue dots: real data. Orange diamonds: the generator's samples G(z). "
    if getattr(frame.display, "conditional", False):
        points = ("Colours are classes (conditional GAN): light dots are real data, outlined diamonds the "
                  "generator's samples G(z, k) asked for class k, in k's colour; a diamond on a dot cluster of "
                  "another colour is a sample that missed its class. Pick a class above the plot to see "
                  "p_g(x | k) against p_data(x | k). ")
    arrows = (" Arrows: the direction the generator's next update pushes each sample (−∇ₓ L_G, scaled for "
              "visibility)." if frame.display.game else "")
    return ("<b>How to read this.</b> " + points + bg + arrows
            + " A generator that sits on only some of the blue clusters shows mode collapse.")


class InversionOverlay:
    """An inversion drawn over a 2D data plot: the target (×), every start's search in data space (thin), the
    best reconstruction (★) joined to the target by a dashed line, and its error."""

    def __init__(self):
        self.search = pg.PlotCurveItem(connect="finite")
        self.link = pg.PlotCurveItem()
        self.target = pg.ScatterPlotItem(symbol="x")
        self.best = pg.ScatterPlotItem(symbol="star")
        self.text = pg.TextItem("", anchor=(0, 1))
        self.visible = True  # the layer is on (``setVisible``); the text shows only when it has something to say

    def items(self) -> list:
        """The plot items, bottom to top."""
        return [self.search, self.link, self.target, self.best, self.text]

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Colours and sizes for a theme and view scale."""
        self.search.setPen(theme.pen(theme.marker, 1.2, scale, alpha=150))
        self.link.setPen(theme.pen(theme.error, 2.0, scale, dash=True))
        self.target.setSize(18 * scale)
        self.target.setBrush(theme.brush(theme.error))
        self.target.setPen(theme.pen(theme.bg, 1, scale))
        self.best.setSize(20 * scale)
        self.best.setBrush(theme.brush(theme.marker))
        self.best.setPen(theme.pen(theme.bg, 1.5, scale))
        self.text.setColor(theme.fg)
        self.text.setFont(th.font(10 * scale, bold=True))
        self.text.fill = theme.brush(theme.bg, 200)  # readable over the surface (TextItem has no setter for it)

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (the items' Qt name)
        """Show or hide every item (the text only when it has something to say)."""
        self.visible = visible
        for item in self.items():
            item.setVisible(visible)
        self._show_text()

    def _show_text(self) -> None:
        # an empty TextItem still paints its ground (the background colour, set in apply_style) as a small
        # rectangle at (0, 0): a white box near the origin of every 2D render before any inversion
        self.text.setVisible(self.visible and bool(self.text.toPlainText()))

    def show(self, inversion) -> None:
        """Draw a ``frames.Inversion``; a plain point (a request on its way) draws the target alone; None (or a 1D
        point: the 1D view draws those) clears."""
        for item in (self.search, self.link):
            item.setData([], [])
        for item in (self.target, self.best):
            item.setData([], [])
        self.text.setText("")
        self._show_text()
        if inversion is None:
            return
        pending = isinstance(inversion, tuple | list | np.ndarray)
        target = np.asarray(inversion if pending else inversion.target, float).ravel()
        if target.size != 2:
            return
        if pending:
            self.target.setData(pos=target[None])
            self.text.setText("searching for z…")
            self.text.setPos(float(target[0]), float(target[1]))
            self._show_text()
            return
        best = np.asarray(inversion.x, float)[:2]
        paths = np.asarray(inversion.paths_x, float)[..., :2]
        pad = np.full((paths.shape[0], 1, 2), np.nan)
        flat = np.concatenate([paths, pad], 1).reshape(-1, 2)
        self.search.setData(flat[:, 0], flat[:, 1])
        self.link.setData([target[0], best[0]], [target[1], best[1]])
        self.target.setData(pos=target[None])
        self.best.setData(pos=best[None])
        self.text.setText(f"error {inversion.error:.3g}")
        self.text.setPos(float(target[0]), float(target[1]))
        self._show_text()
