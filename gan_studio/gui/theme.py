"""Colours, fonts and sizes: a light theme for projectors, a dark one, and a view scale.

Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies):
real data is always blue, generated samples vermillion, D/critic bluish green, G orange. Lines drawn over the D
surface (generator density, warped latent grid) use darker shades of purple and orange: a projector washes out
light colours, and the light ones vanished into the surface's tints from the back of a classroom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}


@dataclass(frozen=True)
class Theme:
    """Everything a view needs to colour itself."""

    name: str
    bg: str
    fg: str
    muted: str  # grid lines, floors, secondary text
    real: str = OKABE_ITO["blue"]
    fake: str = OKABE_ITO["vermillion"]
    d: str = OKABE_ITO["green"]
    g: str = OKABE_ITO["orange"]
    extra: str = OKABE_ITO["purple"]  # third series (D-implied JS, w1_lb, generator density)
    sky: str = OKABE_ITO["sky"]
    marker: str = "#7A4FA0"  # event markers (dark purple, distinct from the data colours)
    error: str = "#C0392B"
    density: str = "#8E2F78"  # generator density lines and heat over the D surface (a dark Okabe–Ito purple)
    latent: str = "#9A5B00"  # the warped latent grid, G's own lines (a dark Okabe–Ito orange)

    def pen(self, color: str, width: float = 2.0, scale: float = 1.0, dash: bool = False,
            alpha: int = 255) -> QtGui.QPen:
        """A cosmetic pen of ``width`` × scale pixels."""
        c = QtGui.QColor(color)
        c.setAlpha(alpha)
        p = pg.mkPen(c, width=width * scale)
        if dash:
            p.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
        return p

    def brush(self, color: str, alpha: int = 255) -> QtGui.QBrush:
        c = QtGui.QColor(color)
        c.setAlpha(alpha)
        return pg.mkBrush(c)

    def blend(self, color: str, amount: float) -> tuple[int, int, int]:
        """``amount`` of ``color`` over the background, as RGB."""
        c, b = QtGui.QColor(color), QtGui.QColor(self.bg)
        return tuple(int(round(amount * x + (1 - amount) * y)) for x, y in
                     ((c.red(), b.red()), (c.green(), b.green()), (c.blue(), b.blue())))

    def d_colormap(self, lower_is_real: bool = False) -> pg.ColorMap:
        """Diverging map for D: the "fake" end tinted vermillion, the "real" end tinted blue, background between.

        The real end is the high one for scores and probabilities, the low one for energies (``lower_is_real``).
        Tints (not full colours) so that the samples drawn on top stay visible.
        """
        fake, real = self.blend(self.fake, 0.55), self.blend(self.real, 0.55)
        mid = self.blend(self.fg, 0.02)
        return pg.ColorMap([0.0, 0.5, 1.0], [real, mid, fake] if lower_is_real else [fake, mid, real])

    def density_colormap(self) -> pg.ColorMap:
        """Transparent → purple, for the generator density drawn over the D surface: the lowest tenth of the
        density stays clear, above it the heat starts at a visible alpha (a linear ramp left the tails invisible)."""
        c = QtGui.QColor(self.density)
        rgb = (c.red(), c.green(), c.blue())
        return pg.ColorMap([0.0, 0.1, 0.1001, 1.0], [(*rgb, 0), (*rgb, 0), (*rgb, 70), (*rgb, 200)])

    def series(self, n: int, kind: str = "d") -> list[str]:
        """``n`` shades for per-layer series: blues/greens for D, oranges for G (light → dark by depth)."""
        base = QtGui.QColor(self.d if kind == "d" else self.g)
        out = []
        for i in range(n):
            f = 0.45 + 0.55 * (i + 1) / max(n, 1)
            out.append(QtGui.QColor.fromHsvF(base.hsvHueF(), min(1.0, base.hsvSaturationF() * f + 0.1),
                                             max(0.2, base.valueF() * (1.25 - 0.55 * f))).name())
        return out


LIGHT = Theme("light", bg="#FFFFFF", fg="#1A1A1A", muted="#8C8C8C")
DARK = Theme("dark", bg="#14171C", fg="#E8E8E8", muted="#7A7F87", real=OKABE_ITO["sky"],
             marker="#C9A0E8", d="#2BC39A", extra="#E38CC0", density="#F09AD0", latent=OKABE_ITO["yellow"])
# high contrast for a washed-out projector: black ground, white text, the full-strength colour-blind-safe colours
CONTRAST = Theme("contrast", bg="#000000", fg="#FFFFFF", muted="#B0B0B0", real=OKABE_ITO["sky"],
                 fake=OKABE_ITO["orange"], marker="#E0B0FF", d="#33E0A8", extra="#FF8CD0", density="#FF9AE0",
                 latent=OKABE_ITO["yellow"])
THEMES = {"light": LIGHT, "dark": DARK, "contrast": CONTRAST}


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[tuple[float, str]]:
    """About ``target`` (at least 3) round values in [lo, hi] as (value, label), labelled with just enough digits
    to tell neighbours apart: ±0.003 gives −0.003 … 0.003 in steps of 0.001, 0.0104–0.0124 gives 0.0105 … 0.012.

    The colour bar's own ticks came from pyqtgraph's AxisItem, which drops a label that does not fit the bar's
    fixed width: a clipped critic (values ~0.0113) showed no numbers at all.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [(lo, f"{lo:.3g}")] if math.isfinite(lo) else []
    def count(step: float) -> int:
        return math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) + 1

    top = math.floor(math.log10(hi - lo)) + 1
    steps = [m * 10.0 ** e for e in range(top, top - 4, -1) for m in (5.0, 2.0, 1.0)]
    usable = [step for step in steps if count(step) >= 3] or [steps[-1]]
    step = min(usable, key=lambda st: (abs(count(st) - target), -st))  # closest to target; fewer on a tie
    first = math.ceil(lo / step - 1e-9)
    values = [k * step for k in range(first, first + count(step))]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    largest = max(abs(v) for v in values)
    out = []
    for v in values:
        if abs(v) < step * 1e-6:
            out.append((0.0, "0"))
        elif largest >= 1e5 or decimals > 6:  # scientific, with the significant digits the step needs
            digits = max(1, math.floor(math.log10(largest)) - math.floor(math.log10(step)) + 1)
            out.append((v, f"{v:.{digits - 1}e}"))
        else:
            out.append((v, f"{v:.{decimals}f}"))
    return out


def text_size(texts, qfont: QtGui.QFont) -> tuple[float, float]:
    """Width of the widest of ``texts`` and the line height, in pixels, in ``qfont``."""
    metrics = QtGui.QFontMetricsF(qfont)
    width = max((metrics.horizontalAdvance(t) for t in texts), default=0.0)
    return width, metrics.height()


def _mantissa(value: float) -> float:
    """1.0 … 9.9: ``value`` without its power of ten, to one decimal."""
    return round(value / 10.0 ** math.floor(math.log10(value) + 1e-9), 1)


class ReadableAxis(pg.AxisItem):
    """An AxisItem whose tick labels never overlap: pyqtgraph picks the spacing from the axis length alone and
    always draws the top level, so at 200 % a short x axis printed "200400600". This picks the finest round
    spacing (1, 2, 5 × 10ᵏ) at which the widest label plus a gap of two "0"s fits between two ticks (one line
    and a half, vertically) and draws labels at that level only."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0)

    def boundingRect(self):  # noqa: N802 (Qt's name)
        """pyqtgraph drops a label that pokes out of this rectangle, which (with a grid) ends at the plot's top and
        bottom: on a short plot at 200 % the labels near both ends, often all of them, went missing. A vertical
        axis may draw half a label's height beyond its ends."""
        rect = super().boundingRect()
        if self.orientation in ("left", "right"):
            half = text_size(["0"], self.style["tickFont"] or QtGui.QFont())[1] / 2 + 1
            rect = rect.adjusted(0, -half, 0, half)
        return rect

    def _fits(self, minVal: float, maxVal: float, size: float, spacing: float) -> bool:  # noqa: N803
        qfont = self.style["tickFont"] or QtGui.QFont()
        ends = [round(minVal / spacing) * spacing, round(maxVal / spacing) * spacing]  # the longest labels
        width, height = text_size(self.tickStrings(ends, self.autoSIPrefixScale * self.scale, spacing), qfont)
        need = width + 2 * text_size(["0"], qfont)[0] if self.orientation in ("top", "bottom") else 1.5 * height
        return size * spacing / abs(maxVal - minVal) >= need

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 (pyqtgraph's names)
        levels = super().tickSpacing(minVal, maxVal, size)
        if self._tickSpacing is not None or not levels or size <= 0 or maxVal == minVal:
            return levels
        major = levels[0][0]
        for _ in range(12):  # coarser until the labels fit
            if self._fits(minVal, maxVal, size, major):
                break
            major = _coarser(major)
        for _ in range(3):  # finer while they still fit, at most 12 labels
            finer = _finer(major)
            if abs(maxVal - minVal) / finer > 12 or not self._fits(minVal, maxVal, size, finer):
                break
            major = finer
        return [(major, 0.0), (major / (4 if _mantissa(major) == 2.0 else 5), 0.0)]


def _coarser(step: float) -> float:
    """The next round step up: 1 → 2 → 5 → 10 (2.5 → 5)."""
    return step * (2.5 if _mantissa(step) == 2.0 else 2.0)


def _finer(step: float) -> float:
    """The next round step down: 10 → 5 → 2 → 1 (2.5 → 1)."""
    return step / (2.5 if _mantissa(step) in (2.5, 5.0) else 2.0)


def readable_axes() -> dict[str, ReadableAxis]:
    """``axisItems`` for ``addPlot``: left and bottom axes whose labels do not overlap."""
    return {"left": ReadableAxis("left"), "bottom": ReadableAxis("bottom")}


def font(points: float, bold: bool = False) -> QtGui.QFont:
    """A font of ``points`` size."""
    f = QtGui.QFont()
    f.setPointSizeF(points)
    f.setBold(bold)
    return f


def style_plot(plot: pg.PlotItem, theme: Theme, scale: float, title: str | None = None) -> None:
    """Colour and size a PlotItem's axes, grid and title for the theme and view scale."""
    tick = font(9.5 * scale)
    for name in ("left", "bottom", "right", "top"):
        ax = plot.getAxis(name)
        ax.setPen(theme.pen(theme.muted, 1, 1))
        ax.setTextPen(theme.pen(theme.fg, 1, 1))
        # autoReduceTextSpace off: an axis whose labels got shorter ("0.25" → "0.5") kept shrinking and growing,
        # and each width change re-laid out the plot and re-drew all its axes
        ax.setStyle(tickFont=tick, tickTextOffset=int(4 * scale), autoReduceTextSpace=False)
        # "JS (nats) (x0.001)" confuses more than it helps; clearing the enable ranges first stops pyqtgraph 0.14
        # from freezing the prefix of the current range (a 0–0.25 axis read 0–250 after a theme switch)
        ax.setSIPrefixEnableRanges(())
        ax.enableAutoSIPrefix(False)
        # Keep the painted axis as a pixmap: every sample or surface update also repaints the axes it overlaps,
        # and replaying their text was ~25 % of the GUI's time; the cache is redrawn only when the ticks change.
        ax.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        if ax.labelText:
            ax.setLabel(ax.labelText, units=ax.labelUnits,
                        **{"color": theme.fg, "font-size": f"{10.5 * scale:.1f}pt"})
    if title is not None:
        set_title(plot, title, theme, scale)
    plot.showGrid(x=True, y=True, alpha=0.18)


def key_html(entries, theme: Theme, scale: float) -> str:
    """A one-line colour key: ``entries`` are (colour, text, style) with style "line", "dash", "fill", "dot" or
    "tick" (a sample drawn as a tick mark)."""
    parts = []
    for color, text, style in entries:
        glyph = {"line": "━━", "dash": "╍╍", "fill": "▇▇", "dot": "●", "tick": "┃"}.get(style, "━━")
        parts.append(f'<span style="color:{color}">{glyph}</span>&nbsp;<span style="color:{theme.fg}">{text}</span>')
    return "&nbsp;&nbsp; ".join(parts)


def _shrinkable(label: pg.LabelItem) -> None:
    """Let a LabelItem be narrower than its text: a long title must not force the whole layout wider than
    its widget (pyqtgraph then clips the plots on the right). The text is centred and may be cut at the ends."""

    def update_min() -> None:
        bounds = label.itemRect()
        label.setMinimumWidth(0)
        label.setMinimumHeight(bounds.height())
        label._sizeHint = {QtCore.Qt.SizeHint.MinimumSize: (0, bounds.height()),
                           QtCore.Qt.SizeHint.PreferredSize: (0, bounds.height()),
                           QtCore.Qt.SizeHint.MaximumSize: (-1, -1), QtCore.Qt.SizeHint.MinimumDescent: (0, 0)}
        label.updateGeometry()

    label.updateMin = update_min
    label._gs_shrinkable = True


def set_title(plot: pg.PlotItem, title: str, theme: Theme, scale: float, key: str = "") -> None:
    """A bold plot title with an optional colour key under it (used instead of a legend box, which would hide
    data in small plots; its lines are separated by <br>); the title row grows with the view scale and the key."""
    size = 11 * scale
    html = f'<span style="color:{theme.fg}; font-size:{size:.1f}pt; font-weight:bold">{title}</span>'
    if key:
        html += f'<br><span style="font-size:{9 * scale:.1f}pt">{key}</span>'
    label = plot.titleLabel
    if not getattr(label, "_gs_shrinkable", False):
        _shrinkable(label)
    label.setText(html)
    label.setVisible(True)
    key_lines = key.count("<br>") + 1 if key else 0
    height = int((24 + 17 * key_lines) * scale + 6)
    label.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)


def set_label(plot: pg.PlotItem, side: str, text: str, theme: Theme, scale: float) -> None:
    """An axis label in the theme's colour and scaled size."""
    plot.getAxis(side).setLabel(text, **{"color": theme.fg, "font-size": f"{10.5 * scale:.1f}pt"})


def style_legend(legend: pg.LegendItem, theme: Theme, scale: float) -> None:
    """Legend text colour and size, with a translucent background that keeps it readable over data."""
    legend.setLabelTextColor(theme.fg)
    legend.setLabelTextSize(f"{9.5 * scale:.1f}pt")
    legend.setBrush(theme.brush(theme.bg, 200))
    legend.setPen(theme.pen(theme.muted, 1, 1, alpha=120))
    for _, label in legend.items:
        label.setText(label.text, color=theme.fg, size=f"{9.5 * scale:.1f}pt")


def apply_app_theme(app: QtWidgets.QApplication, theme: Theme, scale: float) -> None:
    """Fusion style, a palette for the theme and a scaled application font (controls, status bar)."""
    app.setStyle("Fusion")
    pal = QtGui.QPalette()
    if QtGui.QColor(theme.bg).lightness() < 128:  # dark and high-contrast themes
        R = QtGui.QPalette.ColorRole
        for role, color in ((R.Window, "#1E2228"), (R.WindowText, theme.fg), (R.Base, "#14171C"),
                            (R.AlternateBase, "#242931"), (R.Text, theme.fg), (R.Button, "#2A3038"),
                            (R.ButtonText, theme.fg), (R.ToolTipBase, "#2A3038"), (R.ToolTipText, theme.fg),
                            (R.Highlight, "#3A6EA5"), (R.HighlightedText, "#FFFFFF"),
                            (R.PlaceholderText, theme.muted)):
            pal.setColor(role, QtGui.QColor(color))
    app.setPalette(pal)
    f = app.font()
    f.setPointSizeF(10.0 * scale)
    app.setFont(f)


def drop_size_hints(root: QtWidgets.QWidget) -> None:
    """Make the combo boxes under ``root`` measure their current font again. A QComboBox caches its
    minimumSizeHint and a font change does not clear it (only a style change does): after 200 % → 100 % every
    combo box, and with it every row of the controls, kept its 200 % height (40 px instead of 24). Call it once
    the new font has reached the widgets (after the event loop ran)."""
    for box in root.findChildren(QtWidgets.QComboBox):
        QtWidgets.QApplication.sendEvent(box, QtCore.QEvent(QtCore.QEvent.Type.StyleChange))
        box.updateGeometry()


def symmetric_levels(values: np.ndarray, previous: tuple[float, float] | None) -> tuple[float, float]:
    """Colour levels ±m around 0 from the 99th percentile of |values|, smoothed so colours don't flicker."""
    finite = np.abs(values[np.isfinite(values)])
    m = float(np.percentile(finite, 99)) if finite.size else 1.0
    m = max(m, 1e-3)
    if previous is not None:
        old = previous[1]
        m = m if m > old else 0.8 * old + 0.2 * m  # grow at once, shrink slowly
    return -m, m
