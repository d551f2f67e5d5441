"""The 1D data space: p_data vs p_g, D(x) (or the critic) on its own axis with the optimal D* / critic dashed,
and the generator's z → x mapping (the picture of Goodfellow et al. 2014, Fig. 1)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from scipy.special import expit  # σ, without overflow warnings

from gan_studio.gui import theme as th
from gan_studio.gui.views.scatter import move_points

MAX_MAP_LINES = 60  # z → x lines drawn
RUG_POINTS = 300  # real and generated samples drawn as ticks under the density axis


REFERENCE_LABELS = {"optimal_d": "optimal D*(x)", "optimal_critic": "optimal critic (slope ±1)"}


def d_curve(frame) -> tuple[np.ndarray, np.ndarray | None, str, str]:
    """What the D axis shows: (D values, reference curve or None, D label, reference label), from the frame's
    display facts.

    ``d_view`` "probability": σ(score); otherwise the raw score. ``d_reference`` "optimal_d": against
    D* = p_data / (p_data + p_g); "optimal_critic": the score shifted to zero mean under p_data against the optimal
    1D critic (also zero mean under p_data; a critic's constant offset is arbitrary); None: D alone.
    """
    c, shown = frame.curves, frame.display
    score = np.asarray(c.score, dtype=float)
    d = expit(score) if shown.d_view == "probability" else score
    if shown.d_reference == "optimal_d":
        return d, c.optimal_d, shown.d_curve_label, REFERENCE_LABELS["optimal_d"]
    if shown.d_reference == "optimal_critic":
        shift = 0.0
        if c.data_density is not None:
            p = np.asarray(c.data_density, dtype=float)
            if p.sum() > 0:
                shift = float((d * p).sum() / p.sum())
        return d - shift, c.optimal_critic, shown.d_curve_label, REFERENCE_LABELS["optimal_critic"]
    return d, None, shown.d_curve_label, ""


class DataView1D(pg.GraphicsLayoutWidget):
    """Three stacked plots sharing x: densities, D(x), and the z → x mapping."""

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent=parent)
        self.theme, self.scale = theme, scale
        self.dens = self.addPlot(row=0, col=0)
        self.dplot = self.addPlot(row=1, col=0)
        self.mapping = self.addPlot(row=2, col=0)
        for p in (self.dens, self.dplot, self.mapping):
            p.setMenuEnabled(False)
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ci.layout.setRowStretchFactor(2, 2)
        self.dplot.setXLink(self.dens)
        self.mapping.setXLink(self.dens)
        self.dens_legend = self.dens.addLegend(offset=(6, 6), verSpacing=-4)
        self.d_legend = self.dplot.addLegend(offset=(6, 6), verSpacing=-4)
        self.zero = pg.PlotDataItem()
        self.dens.addItem(self.zero)
        self.p_data = pg.PlotDataItem(name="p_data (exact)")
        self.p_gen = pg.PlotDataItem(name="p_g (estimate)")
        self.dens.addItem(self.p_data)
        self.dens.addItem(self.p_gen)
        self.fill = pg.FillBetweenItem(self.p_data, self.zero)
        self.fill.setZValue(-5)
        self.dens.addItem(self.fill)
        self.real_rug = pg.ScatterPlotItem(symbol="|", pen=None)
        self.fake_rug = pg.ScatterPlotItem(symbol="|", pen=None)
        self.dens.addItem(self.real_rug)
        self.dens.addItem(self.fake_rug)
        self.d_line = pg.PlotDataItem(name="D(x)")
        self.d_ref = pg.PlotDataItem(name="optimal D*")
        self.dplot.addItem(self.d_line)
        self.dplot.addItem(self.d_ref)
        self.map_lines = pg.PlotCurveItem(connect="pairs")
        self.map_z = pg.ScatterPlotItem(pen=None)
        self.map_x = pg.ScatterPlotItem(pen=None)
        for item in (self.map_lines, self.map_z, self.map_x):
            self.mapping.addItem(item)
        self.mapping.setYRange(-0.15, 1.15, padding=0)
        self.mapping.getAxis("left").setTicks([[(0, "z"), (1, "x = G(z)")]])
        self.map_note = pg.TextItem("", anchor=(0.5, 0.5))
        self.mapping.addItem(self.map_note)
        self._bounds = None
        self._top = 1.0
        self._d_label = ""
        self._title = ""
        self.frames_drawn = 0
        self.apply_style(theme, scale)

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Recolour and resize for a theme and view scale."""
        self.theme, self.scale = theme, scale
        self.setBackground(theme.bg)
        for p in (self.dens, self.dplot, self.mapping):
            th.style_plot(p, theme, scale)
        th.set_label(self.dens, "left", "density", theme, scale)
        th.set_label(self.mapping, "bottom", "x (and z on the lower line)", theme, scale)
        if self._d_label:
            th.set_label(self.dplot, "left", self._d_label, theme, scale)
        th.set_title(self.dens, self._title or "Densities", theme, scale)
        th.set_title(self.dplot, "Discriminator / critic", theme, scale)
        th.set_title(self.mapping, "Generator mapping z → x", theme, scale)
        self.p_data.setPen(theme.pen(theme.real, 2.5, scale))
        self.p_gen.setPen(theme.pen(theme.fake, 2.5, scale))
        self.fill.setBrush(theme.brush(theme.real, 45))
        self.real_rug.setBrush(theme.brush(theme.real, 90))
        self.real_rug.setPen(theme.pen(theme.real, 1, 1, alpha=90))
        self.fake_rug.setPen(theme.pen(theme.fake, 1, 1, alpha=90))
        self.real_rug.setSize(9 * scale)
        self.fake_rug.setSize(9 * scale)
        self.d_line.setPen(theme.pen(theme.d, 2.5, scale))
        self.d_ref.setPen(theme.pen(theme.fg, 1.8, scale, dash=True))
        self.map_lines.setPen(theme.pen(theme.muted, 1.0, scale, alpha=160))
        self.map_z.setBrush(theme.brush(theme.fg, 200))
        self.map_z.setSize(5 * scale)
        self.map_x.setBrush(theme.brush(theme.fake, 220))
        self.map_x.setSize(6 * scale)
        self.map_note.setColor(theme.muted)
        self.map_note.setFont(th.font(10 * scale))
        for legend in (self.dens_legend, self.d_legend):
            th.style_legend(legend, theme, scale)

    def update_frame(self, frame, probed: bool = True) -> None:
        """Draw a 1D Frame; ``probed=False`` (a sample-only frame) keeps the last curves."""
        c = frame.curves
        b = np.asarray(frame.bounds, dtype=float)
        key = tuple(np.round(b.ravel(), 6))
        if key != self._bounds:
            self._bounds = key
            self.dens.setXRange(b[0, 0], b[0, 1], padding=0.02)
        if c is not None and probed:
            xs = np.asarray(c.xs, dtype=float)
            if c.data_density is not None:
                self.p_data.setData(xs, np.asarray(c.data_density, float))
                self.zero.setData(xs, np.zeros_like(xs))
            else:
                self.p_data.setData([], [])
                self.zero.setData([], [])
            self.p_gen.setData(xs, np.asarray(c.gen_density, float))
            self._rename(self.dens_legend, self.p_gen, f"p_g ({c.gen_density_method})")
            d, ref, label, ref_label = d_curve(frame)
            self.d_line.setData(xs, d)
            if ref is not None:
                self.d_ref.setData(xs, np.asarray(ref, float))
                self.d_ref.setVisible(True)
                self._rename(self.d_legend, self.d_ref, ref_label)
            else:
                self.d_ref.setData([], [])
                self.d_ref.setVisible(False)
            self._rename(self.d_legend, self.d_line, label)
            if label != self._d_label:
                self._d_label = label
                th.set_label(self.dplot, "left", label, self.theme, self.scale)
            if c.z is not None and c.gz is not None:
                z = np.asarray(c.z, float).ravel()
                gz = np.asarray(c.gz, float).ravel()
                idx = np.linspace(0, len(z) - 1, min(MAX_MAP_LINES, len(z))).astype(int)
                z, gz = z[idx], gz[idx]
                seg_x = np.empty(2 * len(z))
                seg_y = np.empty(2 * len(z))
                seg_x[0::2], seg_x[1::2] = z, gz
                seg_y[0::2], seg_y[1::2] = 0.0, 1.0
                self.map_lines.setData(seg_x, seg_y)
                self.map_z.setData(z, np.zeros_like(z))
                self.map_x.setData(gz, np.ones_like(gz))
                self.map_note.setText("")
            else:
                self.map_lines.setData([], [])
                self.map_z.setData([], [])
                self.map_x.setData([], [])
                self.map_note.setText("the z → x picture needs model.latent_dim = 1")
                self.map_note.setPos(float(b[0].mean()), 0.5)
        if c is not None and c.data_density is not None:
            self._top = float(np.nanmax(c.data_density))
        rug_y = -0.04 * self._top
        for item, x, y in ((self.real_rug, frame.real, rug_y), (self.fake_rug, frame.fake, 2 * rug_y)):
            x = np.asarray(x[:RUG_POINTS, 0], float)
            move_points(item, np.column_stack([x, np.full(len(x), y)]))
        # no step count here: a title that changes every frame re-lays out the plot and repaints its axes
        title = f"Densities · {frame.loss} + {frame.lipschitz}"
        if title != self._title:
            self._title = title
            th.set_title(self.dens, title, self.theme, self.scale)
        self.frames_drawn += 1

    @staticmethod
    def _rename(legend: pg.LegendItem, item, name: str) -> None:
        if item.opts.get("name") == name:
            return
        item.opts["name"] = name
        for sample, label in legend.items:
            if sample.item is item:
                label.setText(name)
