"""Colours, fonts and sizes: a light theme for projectors, a dark one, and a view scale.

Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies):
real data is always blue, generated samples vermillion, D/critic bluish green, G orange.
"""

from __future__ import annotations

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

    def d_colormap(self) -> pg.ColorMap:
        """Diverging map for D: low ("fake") tinted vermillion, high ("real") tinted blue, background between.

        Tints (not full colours) so that the samples drawn on top stay visible.
        """
        lo, hi = self.blend(self.fake, 0.55), self.blend(self.real, 0.55)
        mid = self.blend(self.fg, 0.02)
        return pg.ColorMap([0.0, 0.5, 1.0], [lo, mid, hi])

    def density_colormap(self) -> pg.ColorMap:
        """Transparent → purple, for the generator density drawn over the D surface."""
        c = QtGui.QColor(self.extra)
        rgb = (c.red(), c.green(), c.blue())
        return pg.ColorMap([0.0, 1.0], [(*rgb, 0), (*rgb, 170)])

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
             marker="#C9A0E8", d="#2BC39A", extra="#E38CC0")
THEMES = {"light": LIGHT, "dark": DARK}


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
    """A one-line colour key: ``entries`` are (colour, text, style) with style "line", "dash" or "fill"."""
    parts = []
    for color, text, style in entries:
        glyph = {"line": "━━", "dash": "╍╍", "fill": "▇▇", "dot": "●"}.get(style, "━━")
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
    if theme.name == "dark":
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


def symmetric_levels(values: np.ndarray, previous: tuple[float, float] | None) -> tuple[float, float]:
    """Colour levels ±m around 0 from the 99th percentile of |values|, smoothed so colours don't flicker."""
    finite = np.abs(values[np.isfinite(values)])
    m = float(np.percentile(finite, 99)) if finite.size else 1.0
    m = max(m, 1e-3)
    if previous is not None:
        old = previous[1]
        m = m if m > old else 0.8 * old + 0.2 * m  # grow at once, shrink slowly
    return -m, m
