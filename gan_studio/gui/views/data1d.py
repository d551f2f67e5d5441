"""The 1D data space: p_data vs p_g, D(x) (or the critic) on its own axis with the optimal D* / critic dashed,
and the generator's z → x mapping (the picture of Goodfellow et al. 2014, Fig. 1)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore
from scipy.special import expit  # σ, without overflow warnings

from gan_studio.gui import theme as th
from gan_studio.gui.views.classes import class_colour
from gan_studio.gui.views.scatter import move_points

MAX_MAP_LINES = 60  # z → x lines drawn
RUG_POINTS = 300  # real and generated samples drawn as ticks under the density axis
DATA_PX = 50  # the least height of a plot's data area at 100 %, under its title and key and over its x axis: at
# 150 % on a 1280×720 projector the three plots shared ~470 px and the density plot's data got 25 px


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


def _axis_height(axis: pg.AxisItem) -> float:
    """The height an x axis takes: its tick labels and its own label (pyqtgraph updates its size only when it
    next draws, so right after a scale change ``maximumHeight`` still held the old size)."""
    tick = th.text_size(["0"], axis.style["tickFont"] or th.font(9.5))[1] + axis.style["tickTextOffset"][1]
    label = axis.label.boundingRect().height() if axis.labelText else 0.0
    return max(axis.maximumHeight(), tick + max(0, axis.style["tickLength"]) + label)


class DataView1D(pg.GraphicsLayoutWidget):
    """Three stacked plots sharing x: densities, D(x), and the z → x mapping.

    Each plot's colour key is in its title row (a legend box inside the plot covered the peaks) and lists only
    the curves that have data; the three left axes share one width so the x axes line up.
    """

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent=parent)
        self.theme, self.scale = theme, scale
        self.dens = self.addPlot(row=0, col=0, axisItems=th.readable_axes())
        self.dplot = self.addPlot(row=1, col=0, axisItems=th.readable_axes())
        self.mapping = self.addPlot(row=2, col=0, axisItems=th.readable_axes())
        for p in (self.dens, self.dplot, self.mapping):
            p.setMenuEnabled(False)
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ci.layout.setRowStretchFactor(2, 2)
        self.dplot.setXLink(self.dens)
        self.mapping.setXLink(self.dens)
        self.zero = pg.PlotDataItem()
        self.dens.addItem(self.zero)
        self.p_data = pg.PlotDataItem()
        self.p_gen = pg.PlotDataItem()
        self.dens.addItem(self.p_data)
        self.dens.addItem(self.p_gen)
        self.fill = pg.FillBetweenItem(self.p_data, self.zero)
        self.fill.setZValue(-5)
        self.dens.addItem(self.fill)
        self.real_rug = pg.ScatterPlotItem(symbol="|", pen=None)
        self.fake_rug = pg.ScatterPlotItem(symbol="|", pen=None)
        self.dens.addItem(self.real_rug)
        self.dens.addItem(self.fake_rug)
        self.inversion = pg.ScatterPlotItem()  # an inversion's target (×) and best reconstruction G(z) (★)
        self.inversion.setZValue(10)
        self.dens.addItem(self.inversion)
        self._inversion = None
        self.d_line = pg.PlotDataItem()
        self.d_ref = pg.PlotDataItem()
        self.dplot.addItem(self.d_line)
        self.dplot.addItem(self.d_ref)
        self.map_lines = pg.PlotCurveItem(connect="pairs")
        self.map_z = pg.ScatterPlotItem(pen=None)
        self.map_x = pg.ScatterPlotItem(pen=None)
        for item in (self.map_lines, self.map_z, self.map_x):
            self.mapping.addItem(item)
        self.mapping.setYRange(-0.15, 1.15, padding=0)
        self.mapping.getAxis("left").setTicks([[(0, "z"), (1, "G(z)")]])
        self.map_note = pg.TextItem("", anchor=(0.5, 0.5))
        self.mapping.addItem(self.map_note)
        self.mapping.vb.sigResized.connect(self._place_note)
        self.latent_dim: int | None = None  # the run's model.latent_dim, when the window says (set_latent_dim)
        self._bounds = None
        self._top = 1.0
        self._title = ""
        # what each title row's key lists, as (colour name, text, style): only curves that have data
        self.keys: dict[str, list[tuple[str, str, str]]] = {"dens": [], "d": [], "mapping": []}
        self._method = ""
        self._note = ""  # why the z → x picture is empty ("" when it is drawn)
        self.frames_drawn = 0
        self._rug_classes: tuple | None = None  # the rugs' class colouring drawn (conditional GANs), see _colour_rugs
        self.apply_style(theme, scale)

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Recolour and resize for a theme and view scale."""
        self.theme, self.scale = theme, scale
        self.setBackground(theme.bg)
        for p in (self.dens, self.dplot, self.mapping):
            th.style_plot(p, theme, scale)
        th.set_label(self.dens, "left", "density", theme, scale)
        th.set_label(self.mapping, "bottom", "x (and z on the lower line)", theme, scale)
        self._align_left_axes()
        self._set_titles()
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
        self.map_lines.setPen(theme.pen(theme.latent, 1.2, scale, alpha=170))
        self.map_z.setBrush(theme.brush(theme.fg, 200))
        self.map_z.setSize(5 * scale)
        self.map_x.setBrush(theme.brush(theme.fake, 220))
        self.map_x.setSize(6 * scale)
        self.inversion.setPen(theme.pen(theme.bg, 1, scale))
        self.inversion.setSize(16 * scale)
        self.show_inversion(self._inversion)
        self.map_note.setColor(theme.fg)
        self.map_note.setFont(th.font(11 * scale, bold=True))
        self._place_note()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.closed:  # pyqtgraph's close() deleted the plots, then resizes the view as it drops the viewport
            return
        self.fit_plots()

    def fit_plots(self) -> None:
        """Show as many of the three plots as fit with DATA_PX × scale of data each (besides their title rows and x
        axes), from the top: densities, D, then the z → x mapping; the densities always. Each shown plot is given
        at least that height; a hidden one gives its room to the others."""
        if not hasattr(self, "mapping"):  # a resize while pyqtgraph builds the widget, before the plots exist
            return
        spacing = self.ci.layout.verticalSpacing()
        room = self.height() - 2 * spacing - 8
        for row, plot in enumerate((self.dens, self.dplot, self.mapping)):
            plot.setMinimumHeight(0)  # its own least height (title row, axes, view box) before ours
            least = plot.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize).height()
            need = max(least, plot.layout.rowMaximumHeight(0) + _axis_height(plot.getAxis("bottom"))
                       + DATA_PX * self.scale)
            show = row == 0 or need <= room
            room -= need + spacing if show else room
            plot.setVisible(show)
            plot.setMinimumHeight(need if show else 0)
            plot.setMaximumHeight(1e6 if show else 0)

    def _align_left_axes(self) -> None:
        """One width for the three left axes (each sized its own, and the shared x axes did not line up): room
        for a 6-character number ("-0.002", a clipped critic) and the "density" label."""
        axes = [p.getAxis("left") for p in (self.dens, self.dplot, self.mapping)]
        width, height = th.text_size(["G(z)", "-0.000"], axes[0].style["tickFont"])
        offset = axes[0].style["tickTextOffset"][0] + max(0, axes[0].style["tickLength"])
        for ax in axes:
            ax.setWidth(int(width + offset + 1.2 * height + 4))

    def set_latent_dim(self, latent_dim: int | None) -> None:
        """The run's model.latent_dim (frames do not carry it), for the z → x note."""
        self.latent_dim = latent_dim

    def _set_titles(self) -> None:
        t, s = self.theme, self.scale
        colour = {"real": t.real, "fake": t.fake, "d": t.d, "fg": t.fg, "latent": t.latent}
        key_lines = {name: th.key_html([(colour[c], text, style) for c, text, style in entries], t, s)
                     for name, entries in self.keys.items()}
        if self._method:
            key_lines["dens"] += f'<br><span style="color:{t.muted}">p_g: {self._method}</span>'
        th.set_title(self.dens, self._title or "Densities", t, s, key_lines["dens"])
        th.set_title(self.dplot, "Discriminator / critic", t, s, key_lines["d"])
        if self._note:  # also in the title row: it stays readable when the plot is too short for the text
            key_lines["mapping"] = f'<span style="color:{t.fg}">{self._note}</span>'
        th.set_title(self.mapping, "Generator mapping z → x", t, s, key_lines["mapping"])
        self.fit_plots()  # the title rows' heights changed with their keys

    def _place_note(self, *_) -> None:
        """Centre the z → x note in the plot and wrap it to the plot's width."""
        rect = self.mapping.vb.viewRect()
        self.map_note.setPos(rect.center().x(), 0.5)
        self.map_note.setTextWidth(max(80.0, 0.92 * self.mapping.vb.width()))
        room = self.mapping.vb.height() >= 3.5 * th.text_size(["z"], th.font(11 * self.scale))[1]
        self.map_note.setVisible(bool(self._note) and room)  # two lines and a margin, or only the title's

    def _note_text(self) -> str:
        here = f"latent_dim = {self.latent_dim} here" if self.latent_dim is not None else "set Latent dim to 1"
        return f"z → x needs a 1-dimensional latent ({here})"

    def update_frame(self, frame, probed: bool = True) -> None:
        """Draw a 1D Frame; ``probed=False`` (a sample-only frame) keeps the last curves."""
        c = frame.curves
        b = np.asarray(frame.bounds, dtype=float)
        key = tuple(np.round(b.ravel(), 6))
        if key != self._bounds:
            self._bounds = key
            self.dens.setXRange(b[0, 0], b[0, 1], padding=0.02)
        keys = dict(self.keys)
        method, note = self._method, self._note
        if c is not None and probed:
            xs = np.asarray(c.xs, dtype=float)
            dens_key = []
            if c.data_density is not None:
                self.p_data.setData(xs, np.asarray(c.data_density, float))
                self.zero.setData(xs, np.zeros_like(xs))
                dens_key.append(("real", "p_data (exact)", "line"))
            else:
                self.p_data.setData([], [])
                self.zero.setData([], [])
            dens_key.append(("fake", "p_g (estimate)", "line"))  # the ticks under the axis: "How to read this"
            keys["dens"] = dens_key
            self.p_gen.setData(xs, np.asarray(c.gen_density, float))
            method = c.gen_density_method
            d, ref, label, ref_label = d_curve(frame)
            self.d_line.setData(xs, d)
            keys["d"] = [("d", label, "line")]
            if ref is not None:
                self.d_ref.setData(xs, np.asarray(ref, float))
                self.d_ref.setVisible(True)
                keys["d"].append(("fg", ref_label, "dash"))
            else:
                self.d_ref.setData([], [])
                self.d_ref.setVisible(False)
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
                note = ""
                keys["mapping"] = [("fg", "z", "dot"), ("fake", "x = G(z)", "dot")]
            else:
                self.map_lines.setData([], [])
                self.map_z.setData([], [])
                self.map_x.setData([], [])
                note = self._note_text()
                keys["mapping"] = []
        if c is not None and c.data_density is not None:
            self._top = float(np.nanmax(c.data_density))
        rug_y = -0.04 * self._top
        for item, x, y in ((self.real_rug, frame.real, rug_y), (self.fake_rug, frame.fake, 2 * rug_y)):
            x = np.asarray(x[:RUG_POINTS, 0], float)
            move_points(item, np.column_stack([x, np.full(len(x), y)]))
        self._colour_rugs(frame)
        # no step count here: a title that changes every frame re-lays out the plot and repaints its axes
        title = f"Densities · {frame.loss} + {frame.lipschitz}"
        if (title, keys, method, note) != (self._title, self.keys, self._method, self._note):
            self._title, self.keys, self._method, self._note = title, keys, method, note
            self.map_note.setHtml(f'<div style="text-align:center">{note}<br><span style="font-weight:normal">'
                                  f"Model shape → Latent dim 1 → Restart</span></div>" if note else "")
            self._set_titles()
            self._place_note()
        self.frames_drawn += 1

    def _colour_rugs(self, frame) -> None:
        """A conditional GAN's rug ticks in their classes' colours, as the 2D view's points (gui/views/classes.py):
        real ticks light, generated ones strong, so a generated tick of class k under another class's mode is a
        sample that missed its class. The display batch's classes are fixed, so pens are set only when they change
        (the ticks then only move, ``move_points``); an unconditional frame gets the plain one-colour rugs back."""
        fake_labels, real_labels = getattr(frame, "fake_labels", None), getattr(frame, "real_labels", None)
        by_class = bool(getattr(frame.display, "conditional", False)) and fake_labels is not None
        n_classes = int(frame.display.n_modes or (int(fake_labels.max()) + 1)) if by_class else 0
        key = (n_classes, len(self.real_rug.data), len(self.fake_rug.data),
               *(None if labels is None else np.asarray(labels[:RUG_POINTS]).tobytes()
                 for labels in (real_labels, fake_labels))) if by_class else None
        if key == self._rug_classes:
            return
        self._rug_classes = key
        for item, labels, alpha in ((self.real_rug, real_labels, 110), (self.fake_rug, fake_labels, 230)):
            pos = np.column_stack([item.data["x"], item.data["y"]]) if len(item.data) else np.empty((0, 2))
            item.setData(pos=pos)  # fresh records: no per-tick pens left from a conditional run
            if by_class and labels is not None and len(pos):
                colours = [class_colour(k, n_classes) for k in range(n_classes)]
                pens = [pg.mkPen(c.red(), c.green(), c.blue(), alpha, width=1.5) for c in colours]
                item.setPen([pens[int(k) % n_classes] for k in np.asarray(labels)[:len(pos)]])

    def show_inversion(self, inversion) -> None:
        """Mark an inversion on the density axis: the target (×) and, once found, G(z) (★); None clears. A 2D
        point (the 2D view's) clears too."""
        self._inversion = inversion
        if inversion is None:
            self.inversion.setData([], [])
            return
        pending = isinstance(inversion, tuple | list | np.ndarray)
        target = np.asarray(inversion if pending else inversion.target, float).ravel()
        if target.size != 1:
            self.inversion.setData([], [])
            return
        xs = [target[0]] if pending else [target[0], float(np.ravel(inversion.x)[0])]
        t = self.theme
        self.inversion.setData(xs, [-0.1 * self._top] * len(xs), symbol=["x", "star"][:len(xs)],
                               brush=[t.brush(t.error), t.brush(t.marker)][:len(xs)])

    def key_texts(self, plot: str) -> list[str]:
        """The texts of a title row's colour key ("dens", "d" or "mapping")."""
        return [text for _, text, _ in self.keys[plot]]
