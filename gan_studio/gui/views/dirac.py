"""The Dirac-GAN lab (Mescheder et al. 2018): the game's vector field over (θ, ψ), where simultaneous and
alternating gradient descent go from a start point (click the plot to move it), and the eigenvalues that say
why, in the complex plane with the unit circle.

Everything drawn comes from ``gan_studio.dynamics.dirac`` (pure NumPy); this view only chooses the case, the
step size and the start. Colours: simultaneous descent vermillion and solid (its eigenvalues open rings),
alternating blue and dashed (filled squares), the field's eigenvalues purple diamonds, so that shape and dash tell them
apart without colour.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from gan_studio.dynamics import dirac
from gan_studio.gui import theme as th

EXTENT = 2.0  # the field plot shows θ, ψ ∈ [−EXTENT, EXTENT]
# Narrower than this (× the view scale) the eigenvalue plot goes under the field plot and the tab scrolls: side by
# side at 200 % on 1280×720 (a ~410-px tab) the lab was wider than the tab and the eigenvalues were off its edge.
SIDE_BY_SIDE_WIDTH = 600
EIG_BOX = 1.2  # the eigenvalue plot shows |re|, |im| ≤ this (the unit circle and a margin)
PLOT_HEIGHT = 300  # each plot's least height when stacked, at 100 %
GRID = 15  # arrows per side
STEPS = 400  # gradient-descent steps drawn


def _complex(z: complex) -> str:
    """An eigenvalue as the lab writes it: ``-9.899 + 0.000i``."""
    return f"{z.real:+.3f} {'+' if z.imag >= 0 else '−'} {abs(z.imag):.3f}i"


def _complexes(values: np.ndarray) -> str:
    """Several eigenvalues, comma-separated."""
    return ", ".join(_complex(z) for z in values)


def _key(entries, theme: th.Theme) -> str:
    """A colour key like ``theme.key_html`` with free glyphs: (colour, glyph, text)."""
    return "&nbsp;&nbsp; ".join(f'<span style="color:{color}">{glyph}</span>&nbsp;<span style="color:{theme.fg}">'
                                f"{text}</span>" for color, glyph, text in entries)


class DiracView(QtWidgets.QWidget):
    """Case and step size (a combo box and a spin box), the field plot and the eigenvalue plot, and a text that
    says what the eigenvalues mean. ``set_case`` / ``set_step`` / ``set_start`` drive it from code."""

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, case: str = "gan", h: float = 0.2,
                 start: tuple[float, float] = (1.0, 0.5), parent=None):
        super().__init__(parent)
        self.theme, self.scale = theme, scale
        self.case_key, self.h, self.start = case, h, start
        self.case_box = QtWidgets.QComboBox()
        # the case's title may be cut rather than widen the lab past its tab
        self.case_box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.case_box.setMinimumContentsLength(8)
        for key, value in dirac.CASES.items():
            self.case_box.addItem(value.title, key)
        self.step_box = QtWidgets.QDoubleSpinBox()
        self.step_box.setRange(0.01, 2.0)
        self.step_box.setSingleStep(0.05)
        self.step_box.setDecimals(2)
        controls = QtWidgets.QGridLayout()  # case and step size in one row, or in two when the lab is narrow
        self.control_pairs = []
        for column, (label, widget) in enumerate((("Case", self.case_box), ("step size h", self.step_box))):
            text = QtWidgets.QLabel(label)
            text.setFont(th.font(10 * scale))
            widget.setFont(th.font(10 * scale))
            controls.addWidget(text, 0, 2 * column)
            controls.addWidget(widget, 0, 2 * column + 1)
            self.control_pairs.append((text, widget))
        controls.setColumnStretch(1, 1)  # the case box takes the room there is (its titles are long)
        self.controls = controls
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(theme.bg)
        self.explain = QtWidgets.QLabel()
        self.explain.setWordWrap(True)
        self.explain.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.explain.setFont(th.font(10 * scale))
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.explain)
        self._build_plots()
        self.case_box.setCurrentIndex(list(dirac.CASES).index(case))
        self.step_box.setValue(h)
        self.case_box.currentIndexChanged.connect(lambda i: self.set_case(self.case_box.itemData(i)))
        self.step_box.valueChanged.connect(self.set_step)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self.redraw()

    @property
    def case(self) -> dirac.Case:
        return dirac.CASES[self.case_key]

    def _build_plots(self) -> None:
        theme, scale = self.theme, self.scale
        self.field_plot = self.graphics.addPlot(row=0, col=0, axisItems=th.readable_axes())
        self.eig_plot = self.graphics.addPlot(row=0, col=1, axisItems=th.readable_axes())
        self.stacked = False  # the eigenvalue plot under the field plot (a narrow tab), else beside it
        self.graphics.ci.layout.setColumnStretchFactor(0, 3)
        self.graphics.ci.layout.setColumnStretchFactor(1, 2)
        for plot in (self.field_plot, self.eig_plot):
            plot.setMenuEnabled(False)
            plot.setAspectLocked(True)
        self.field_plot.setRange(xRange=(-EXTENT, EXTENT), yRange=(-EXTENT, EXTENT), padding=0.02)
        self.eig_plot.setRange(xRange=(-1.25, 1.35), yRange=(-1.25, 1.25), padding=0.02)
        self.clip_bands = [pg.LinearRegionItem(orientation="horizontal", movable=False,
                                               brush=theme.brush(theme.muted, 60), pen=theme.pen(theme.muted, 1, scale))
                           for _ in range(2)]
        for band in self.clip_bands:
            band.setZValue(-10)
            self.field_plot.addItem(band)
        self.arrows = pg.PlotCurveItem(connect="pairs", pen=theme.pen(theme.muted, 1.3, scale))
        self.sim_curve = pg.PlotCurveItem(pen=theme.pen(theme.fake, 2.5, scale))
        self.alt_curve = pg.PlotCurveItem(pen=theme.pen(theme.real, 2.5, scale, dash=True))
        self.equilibrium = pg.ScatterPlotItem(symbol="+", size=16 * scale, pen=theme.pen(theme.fg, 2, scale))
        self.start_mark = pg.ScatterPlotItem(symbol="o", size=12 * scale, pen=theme.pen(theme.fg, 2, scale),
                                             brush=theme.brush(theme.bg))
        # where each descent ends, in the shapes of its eigenvalues (told apart without colour)
        self.sim_end = pg.ScatterPlotItem(symbol="o", size=14 * scale, pen=theme.pen(theme.fake, 2.5, scale),
                                          brush=theme.brush(theme.bg))
        self.alt_end = pg.ScatterPlotItem(symbol="s", size=10 * scale, pen=theme.pen(theme.fg, 1, scale),
                                          brush=theme.brush(theme.real))
        for item in (self.arrows, self.sim_curve, self.alt_curve, self.equilibrium, self.start_mark, self.sim_end,
                     self.alt_end):
            self.field_plot.addItem(item)
        self.equilibrium.setData([0.0], [0.0])
        angle = np.linspace(0, 2 * np.pi, 256)
        self.circle = pg.PlotCurveItem(np.cos(angle), np.sin(angle), pen=theme.pen(theme.muted, 1.5, scale, dash=True))
        self.eig_plot.addItem(self.circle)
        for angle_deg in (0, 90):
            self.eig_plot.addItem(pg.InfiniteLine(0.0, angle=angle_deg, pen=theme.pen(theme.muted, 1, scale)))
        self.jac_points = pg.ScatterPlotItem(symbol="d", size=13 * scale, pen=theme.pen(theme.fg, 1, scale),
                                             brush=theme.brush(theme.extra))
        # simultaneous: a large open ring, alternating: a small filled square, so that both show where they meet
        self.sim_points = pg.ScatterPlotItem(symbol="o", size=17 * scale, pen=theme.pen(theme.fake, 2.5, scale),
                                             brush=None)
        self.alt_points = pg.ScatterPlotItem(symbol="s", size=8 * scale, pen=theme.pen(theme.fg, 1, scale),
                                             brush=theme.brush(theme.real))
        for item in (self.jac_points, self.sim_points, self.alt_points):
            self.eig_plot.addItem(item)
        self.off_plot = pg.TextItem(color=theme.fg, anchor=(0, 1))  # field eigenvalues beyond the plot, in numbers
        self.off_plot.setFont(th.font(10 * scale))
        self.eig_plot.addItem(self.off_plot)
        # two short lines per key: one line was wider than the plots at 100 % on 1920×1080 and overlapped
        key = (_key([(theme.fake, "━━ ○", "simultaneous"), (theme.real, "╍╍ ■", "alternating")], theme) + "<br>"
               + _key([(theme.fg, "○", "start (click to move)"), (theme.fg, "+", "equilibrium")], theme))
        th.style_plot(self.field_plot, theme, scale)
        th.set_title(self.field_plot, "Gradient field of the game", theme, scale, key)
        th.set_label(self.field_plot, "bottom", "θ (generator: every sample at θ)", theme, scale)
        th.set_label(self.field_plot, "left", "ψ (discriminator D(x) = ψx)", theme, scale)
        key = (_key([(theme.extra, "◆", "field J"), (theme.fake, "○", "I + hJ")], theme) + "<br>"
               + _key([(theme.real, "■", "alternating"), (theme.muted, "╍╍", "|λ| = 1")], theme))
        th.style_plot(self.eig_plot, theme, scale)
        th.set_title(self.eig_plot, "Eigenvalues at (0, 0)", theme, scale, key)
        th.set_label(self.eig_plot, "bottom", "real part", theme, scale)
        th.set_label(self.eig_plot, "left", "imaginary part", theme, scale)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.arrange(self.width() < SIDE_BY_SIDE_WIDTH * self.scale)

    def arrange(self, stacked: bool) -> None:
        """The eigenvalue plot beside the field plot, or under it (``stacked``: each plot keeps PLOT_HEIGHT × scale
        and the tab scrolls)."""
        if stacked == self.stacked:
            return
        self.stacked = stacked
        # moved within Qt's grid only: the plot stays in its scene with its parent (pyqtgraph's removeItem takes it
        # out of the scene and hands its ownership around)
        grid = self.graphics.ci.layout
        grid.removeItem(self.eig_plot)
        grid.addItem(self.eig_plot, 1 if stacked else 0, 0 if stacked else 1)
        grid.setColumnStretchFactor(1, 0 if stacked else 2)
        self.graphics.setMinimumHeight(int(2 * PLOT_HEIGHT * self.scale) if stacked else 0)
        text, widget = self.control_pairs[1]  # the step size: under the case, or beside it
        self.controls.addWidget(text, 1 if stacked else 0, 0 if stacked else 2)
        self.controls.addWidget(widget, 1 if stacked else 0, 1 if stacked else 3)

    def set_case(self, key: str) -> None:
        """Show case ``key`` of ``dirac.CASES``."""
        if key not in dirac.CASES:
            raise ValueError(f"case: unknown value {key!r}; allowed: {', '.join(dirac.CASES)}")
        self.case_key = key
        index = list(dirac.CASES).index(key)
        if self.case_box.currentIndex() != index:
            self.case_box.blockSignals(True)
            self.case_box.setCurrentIndex(index)
            self.case_box.blockSignals(False)
        self.redraw()

    def set_step(self, h: float) -> None:
        """Gradient-descent step size h."""
        self.h = float(h)
        if abs(self.step_box.value() - self.h) > 1e-9:
            self.step_box.blockSignals(True)
            self.step_box.setValue(self.h)
            self.step_box.blockSignals(False)
        self.redraw()

    def set_start(self, theta: float, psi: float) -> None:
        """Where both descents start."""
        self.start = (float(theta), float(psi))
        self.redraw()

    def _clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        box = self.field_plot.vb
        if box.sceneBoundingRect().contains(event.scenePos()):
            point = box.mapSceneToView(event.scenePos())
            self.set_start(point.x(), point.y())

    def redraw(self) -> None:
        case = self.case
        self._draw_field(case)
        sim = dirac.trajectory(case, self.start, self.h, STEPS, "simultaneous")
        alt = dirac.trajectory(case, self.start, self.h, STEPS, "alternating")
        self.sim_curve.setData(sim[:, 0], sim[:, 1])
        self.alt_curve.setData(alt[:, 0], alt[:, 1])
        self.start_mark.setData([self.start[0]], [self.start[1]])
        self.sim_end.setData(sim[-1:, 0], sim[-1:, 1])
        self.alt_end.setData(alt[-1:, 0], alt[-1:, 1])
        for band, (lo, hi) in zip(self.clip_bands, ((case.clip, 10 * EXTENT), (-10 * EXTENT, -case.clip)),
                                  strict=True):
            band.setRegion((lo, hi))
            band.setVisible(case.clip > 0)
        spectrum = dirac.closed_form(case)
        updates = dirac.update_spectrum(case, self.h)
        # the plot stays on the unit circle (where the step size's story is read); a field eigenvalue beyond it is
        # drawn at the edge with its value (WGAN + R1's −9.9 was simply off the plot)
        eig = spectrum.eigenvalues
        x, y = np.clip(eig.real, -EIG_BOX, EIG_BOX), np.clip(eig.imag, -EIG_BOX, EIG_BOX)
        self.jac_points.setData(x, y)
        off = [k for k in range(len(eig)) if (x[k], y[k]) != (eig[k].real, eig[k].imag)]
        self.off_plot.setVisible(bool(off))
        if off:
            # short and on two lines: the stacked or side-by-side plot can be ~130 px wide
            values = ", ".join(f"{z.real:+.2f}" if abs(z.imag) < 1e-12 else _complex(z) for z in eig[off])
            self.off_plot.setText(f"◆ λ = {values}\n(off the plot)")
            self.off_plot.setPos(-EIG_BOX, -EIG_BOX)
        self.sim_points.setData(updates["simultaneous"].real, updates["simultaneous"].imag)
        self.alt_points.setData(updates["alternating"].real, updates["alternating"].imag)
        self.explain.setText(self._explanation(case, spectrum, updates))

    def _draw_field(self, case: dirac.Case) -> None:
        """Arrows on a GRID × GRID grid: direction of the field, length growing with √speed, a two-stroke head."""
        ticks = np.linspace(-EXTENT, EXTENT, GRID)
        theta, psi = np.meshgrid(ticks, ticks)
        v = dirac.field(case, theta, psi)
        speed = np.hypot(v[0], v[1])
        top = float(speed.max()) or 1.0
        cell = ticks[1] - ticks[0]
        length = 0.85 * cell * np.sqrt(speed / top)
        with np.errstate(invalid="ignore", divide="ignore"):
            ux, uy = np.where(speed > 0, v[0] / speed, 0.0), np.where(speed > 0, v[1] / speed, 0.0)
        x0, y0 = theta - 0.5 * length * ux, psi - 0.5 * length * uy
        x1, y1 = x0 + length * ux, y0 + length * uy
        head = 0.35 * length
        segments = [(x0, y0, x1, y1)]
        for turn in (np.pi * 5 / 6, -np.pi * 5 / 6):
            cos, sin = np.cos(turn), np.sin(turn)
            segments.append((x1, y1, x1 + head * (cos * ux - sin * uy), y1 + head * (sin * ux + cos * uy)))
        xs = np.stack([np.stack([a.ravel(), c.ravel()], axis=1) for a, _, c, _ in segments]).ravel()
        ys = np.stack([np.stack([b.ravel(), d.ravel()], axis=1) for _, b, _, d in segments]).ravel()
        self.arrows.setData(xs, ys)

    def _explanation(self, case: dirac.Case, spectrum: dirac.Spectrum, updates: dict[str, np.ndarray]) -> str:
        fg, size = self.theme.fg, f"{10 * self.scale:.1f}pt"

        where = "at (0, 0)" if spectrum.stationary else "as ψ → 0 (one-sided)"
        lines = [f"<b>{case.title}</b> — field's Jacobian {where}: λ = {_complexes(spectrum.eigenvalues)} "
                 f"(Mescheder et al. 2018, {spectrum.source}): {escape(spectrum.meaning)}."]
        for name, colour in (("simultaneous", self.theme.fake), ("alternating", self.theme.real)):
            verdict = dirac.describe_update(updates[name])
            if not spectrum.stationary:
                verdict = "the field does not vanish at (0, 0), so |λ| does not decide it"
            lines.append(f'<span style="color:{colour}">■</span> {name.capitalize()} descent, h = {self.h:.2f}: '
                         f"λ = {_complexes(updates[name])} — {escape(verdict)}.")
        return f'<div style="color:{fg}; font-size:{size}">' + "<br>".join(lines) + "</div>"
