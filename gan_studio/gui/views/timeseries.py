"""Time series on one shared step axis: losses, mean D, JS, W1 vs the critic, gradient norms, mode coverage.

Every mid-run change (an event) is a labelled vertical marker on every plot ("loss: ns → wgan").
Each plot's colour key sits under its title (a legend box would hide data in plots this small) and lists
only the curves that have data. Legible in a minute: at most three lines a plot by default (the registry's
``more`` columns wait behind the key's "more" link; clicking a key entry shows or hides that curve); each line
has its name at its end (lines that lie on top of each other stay told apart, with distinct styles); a curve
whose meaning depends on the run (``Column.when``: the critic estimate) is drawn only when the frame's display
facts say it means something. Tick labels are spaced from their font's size, so they never run together at
any view scale. Curves are built once (per-layer gradient curves when their column first appears) and then
only get ``setData``; nothing redraws unless the history changed.

Drawing cost, measured: redrawing all six plots took 30–70 ms, long enough to delay the data view's next
frame. So while training plays, the window redraws one plot per frame (each still updates ~5 times a second),
and ranges move in steps (``gui.ranges``): a range that crept with every point re-ticked its axes and grid
on every redraw. A plot the person zoomed or panned keeps their range until they press its "A" button.

Curves come from the column registry (``gan_studio.columns``: panel, label, colour, style); the labels that depend
on the data come from a frame's display facts (``set_display``). Over 400 lines: one view (the panel, its key,
its axes and its stepped ranges belong to it alone).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio import columns
from gan_studio.columns import Column
from gan_studio.frames import Display
from gan_studio.gui import ranges
from gan_studio.gui import theme as th
from gan_studio.gui.history import History, event_label
from gan_studio.schedule import DISPLAY_KEYS

MAX_MARKERS = 40  # newest events drawn as markers (older ones stay in the log)
STYLE = {"line": (2.0, False), "dash": (2.0, True), "dots": (1.2, False), "floor": (1.0, False)}  # width, dash
GLYPH = {"line": "line", "dash": "dash", "dots": "dot", "floor": "fill"}  # key glyph of each style
MORE, FEWER = "more", "fewer"  # the key's two links that are not columns
NOT_APPLICABLE = "not applicable to this data (no modes)"
NO_GAME = "no D score: an encoder sits in D's slot"  # the mean-D panel without a game (wrapped to fit)
NO_GAME_NETS = {"D": "encoder", "G": "decoder G"}  # the gradient panel's net names without a game (Display.game)


class FitAxis(pg.AxisItem):
    """An axis whose tick spacing comes from its tick font: the labels (width along a step axis, height along a
    value axis) always have room, at any view scale; ``integer`` axes (counts) tick whole numbers only. One
    level of labelled ticks (pyqtgraph's own spacing packed "500 1000 1500" into "5001000 1500" at 200 %)."""

    def __init__(self, orientation: str, integer: bool = False, **kwargs):
        super().__init__(orientation, **kwargs)
        self.integer = integer

    def label_extent(self, minVal: float, maxVal: float) -> float:  # noqa: N803 (Qt names)
        """Pixels one tick label needs along this axis, a gap included."""
        metrics = QtGui.QFontMetricsF(self.style.get("tickFont") or QtGui.QFont())
        if self.orientation in ("left", "right"):
            return 1.6 * metrics.height()
        widest = max((f"{v:,.0f}" if abs(v) >= 1 else f"{v:.2g}") for v in (minVal, maxVal))
        return metrics.horizontalAdvance(widest.replace(",", "")) + 1.5 * metrics.horizontalAdvance("0")

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803
        if maxVal <= minVal or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        step = ranges.tick_spacing(maxVal - minVal, size, self.label_extent(minVal, maxVal), self.integer)
        return [(step, 0.0)]


class LogAxis(FitAxis):
    """A log axis that labels only 1-2-5 steps, or every k-th decade, as its labels' height allows (pyqtgraph labels
    every minor tick, 0.06 0.07 0.08 …, which overlap); the other integer multiples get unlabelled ticks."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (Qt name)
        if not self.logMode or maxVal <= minVal:
            return super().tickValues(minVal, maxVal, size)
        lo, hi = math.floor(minVal), math.ceil(maxVal)
        per_decade = size / (maxVal - minVal)  # pixels
        extent = self.label_extent(minVal, maxVal)
        # the closest labels: 1 and 2 are log10(2) = 0.30 decades apart, 5 and 7 are 0.15
        steps = (1, 2, 3, 5, 7) if 0.146 * per_decade >= extent else (1, 2, 5) if 0.301 * per_decade >= extent \
            else (1,)
        stride = max(1, math.ceil(extent / per_decade))  # label every stride-th decade
        major, minor = [], []
        for e in range(lo, hi + 1):
            for m in range(1, 10):
                v = e + math.log10(m)
                if minVal <= v <= maxVal:
                    (major if m in steps and e % stride == 0 else minor).append(v)
        return [(None, major), (None, minor)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [f"{10 ** v:.3g}" for v in values]


class _Panel:
    """One PlotItem: its curves (left axis, or right axis via a second ViewBox), fills, markers, the colour key
    under its title (entries are links: a click shows or hides that curve; "more" shows the rest) and each
    line's name at its end."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, title: str, ylabel: str,
                 right_label: str | None = None, log_y: bool = False, integer: bool = False):
        self.title, self.ylabel, self.right_label = title, ylabel, right_label
        axes = {"bottom": FitAxis("bottom"), "left": (LogAxis if log_y else FitAxis)("left", integer=integer),
                "right": FitAxis("right")}
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=col, axisItems=axes)
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setMenuEnabled(False)
        self.plot.enableAutoRange(x=False, y=False)  # ranges are set by follow(), in steps
        self.version = -1  # the History version this plot shows
        self.following = True  # False once the person zooms or pans this plot; its "A" button resumes
        self.plot.vb.sigRangeChangedManually.connect(self._taken_over)
        self.plot.autoBtn.clicked.connect(self._resume)
        self.y_range: tuple[float, float] | None = None
        self.y2_range: tuple[float, float] | None = None
        self.include: list[float] = []  # values the left axis always shows (a reference line: log 2, modes)
        self.log_y = log_y
        if log_y:
            self.plot.setLogMode(y=True)
        self.curves: dict[str, pg.PlotDataItem] = {}  # metrics column -> its curve
        self.columns: dict[str, Column] = {}  # key entry (a column, or a per-layer pattern) -> registry entry
        self.group: dict[str, str] = {}  # curve (column) -> its key entry (grad_d_2 -> grad_d_<i>)
        self.chosen: dict[str, bool] = {}  # key entries the person showed or hid (a click on the key)
        self.expanded = False  # "more" was clicked: every entry is listed, the extra curves shown
        self.facts: Display | None = None  # the display facts Column.when is read from
        self.net_names: dict[str, str] = {}  # "D"/"G" as this run names them (the encoder of a VAE sits in D's slot)
        self.key: list = []
        self.history: History | None = None  # the history last drawn (a click on the key redraws from it)
        self.on_change = None  # called after a click on the key changed what is shown
        self.markers: list[pg.InfiniteLine] = []
        self.end_labels: dict[str, pg.TextItem] = {}
        self.avoid: list[pg.InfiniteLine] = []  # reference lines whose labels the end labels must not cover
        self.style_args: tuple[th.Theme, float] = (th.LIGHT, 1.0)
        self._wrap_width = 0.0
        label = self.plot.titleLabel
        label.item.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.LinksAccessibleByMouse)
        label.item.setOpenExternalLinks(False)
        label.item.linkActivated.connect(self.on_link)
        self.plot.geometryChanged.connect(self._rewrap)
        self.note = QtWidgets.QGraphicsTextItem(self.plot.vb)  # "not applicable to this data", centred
        self.note.setVisible(False)
        self.plot.vb.sigResized.connect(self._centre_note)
        self.plot.vb.sigResized.connect(self.elide_markers)
        self.vb2: pg.ViewBox | None = None
        self.plot.hideAxis("right")
        if right_label:
            self.vb2 = pg.ViewBox()
            self.vb2.setMenuEnabled(False)
            self.plot.showAxis("right")
            self.plot.scene().addItem(self.vb2)
            self.plot.getAxis("right").linkToView(self.vb2)
            self.vb2.setXLink(self.plot)
            self.plot.vb.sigResized.connect(self._sync)
        # the names were placed in pixels and kept in data coordinates: a later resize moved them onto each other
        # (connected after _sync, which moves the right axis's view box first)
        self.plot.vb.sigResized.connect(lambda *_: self.place_end_labels(self.history))

    def elide_markers(self, *_) -> None:
        """Each event label as long as the plot is high (it runs up the marker from near the bottom), cut with
        "…" when longer; its tooltip holds it whole ("loss: ns → minimax" ran off the top of a short plot)."""
        room = 0.9 * self.plot.vb.height() - 8  # the label starts 4 % up and TextItem pads its text
        for m in self.markers:
            full = getattr(m, "full_label", None)
            if full is None:
                continue
            metrics = QtGui.QFontMetricsF(m.label.textItem.font())
            lines = full.split("\n")
            if len(lines) > MARKER_LINES:  # five changes at one step stood as five columns of text over the curves
                lines = [*lines[:MARKER_LINES - 1], f"+{len(lines) - MARKER_LINES + 1} more changes"]
            lines = [metrics.elidedText(line, QtCore.Qt.TextElideMode.ElideRight, max(room, 0.0)) for line in lines]
            m.label.setFormat("\n".join(lines).replace("{", "{{").replace("}", "}}"))
            m.label.setToolTip(full)

    def _sync(self) -> None:
        self.vb2.setGeometry(self.plot.vb.sceneBoundingRect())
        self.vb2.linkedViewChanged(self.plot.vb, self.vb2.XAxis)

    def _centre_note(self, *_) -> None:
        vb = self.plot.vb
        self.note.setTextWidth(max(60.0, 0.94 * vb.width()))  # wrapped to the plot: a long note ran off both sides
        self.note.document().setDefaultTextOption(QtGui.QTextOption(QtCore.Qt.AlignmentFlag.AlignHCenter))
        rect = self.note.boundingRect()
        self.note.setPos((vb.width() - rect.width()) / 2, (vb.height() - rect.height()) / 2)

    def set_note(self, text: str) -> None:
        """A line of text in the middle of the plot ("" removes it)."""
        theme, scale = self.style_args
        self.note.setVisible(bool(text))
        self.note.setDefaultTextColor(QtGui.QColor(theme.muted))
        self.note.setFont(th.font(10 * scale))
        self.note.setPlainText(text)
        self._centre_note()

    def _taken_over(self, *_) -> None:
        self.following = False

    def _resume(self, *_) -> None:
        """The "A" button: pyqtgraph turned its auto-range on; follow the data in steps again instead."""
        self.plot.enableAutoRange(x=False, y=False)
        self.following = True
        self.y_range = self.y2_range = None
        self.version = -1

    def reset(self) -> None:
        """A new run: forget the ranges (the last run's must not linger on a plot without data) and follow."""
        self.following = True
        self.y_range = self.y2_range = None
        self.plot.vb.setYRange(0.0, 1.0, padding=0)
        if self.vb2 is not None:
            self.vb2.setYRange(0.0, 1.0, padding=0)
        self.version = -1

    def follow(self) -> None:
        """Set the value axes (left, and right when there is one) to stepped ranges around the data."""
        if not self.following:
            return
        self.y_range = _set_range(self.plot.vb, self.y_range, self.plot.listDataItems(), self.log_y, self.include)
        if self.vb2 is not None:
            right = [c for c in self.columns.values() if c.right]
            limits = (0.0, 100.0) if right and all(c.unit == "percent" for c in right) else None
            self.y2_range = _set_range(self.vb2, self.y2_range, self.vb2.addedItems, False, limits=limits)

    def curve(self, key: str, column: Column, color: str, width: float = 2.0, dash: bool = False,
              group: str | None = None) -> pg.PlotDataItem:
        """A curve for metrics column ``key`` (registry entry ``column``), on the left axis or the right one."""
        item = pg.PlotDataItem(name=column.label)
        item.opts_style = (color, width, dash)
        item.setToolTip(column.tooltip)
        (self.vb2 if column.right and self.vb2 is not None else self.plot).addItem(item)
        self.curves[key] = item
        self.group[key] = group or key
        self.columns.setdefault(group or key, column)
        return item

    # -- what is shown ----------------------------------------------------------------------------------------
    def applies(self, entry: str) -> bool:
        """Whether a key entry may be drawn at all on this run: its ``Column.when`` fact holds."""
        c = self.columns[entry]
        return not c.when or bool(getattr(self.facts, c.when, False))

    def has_data(self, entry: str, history: History) -> bool:
        return any(s is not None and s.n for s in (history.get(k) for k, g in self.group.items() if g == entry))

    def shown(self, entry: str, history: History) -> bool:
        """Whether the curves of a key entry are drawn: the person's choice, else the registry's default (not
        ``more``; a floor with ``instead_of`` only while that other floor has no data)."""
        if not self.applies(entry):
            return False
        if entry in self.chosen:
            return self.chosen[entry]
        c = self.columns[entry]
        if c.instead_of and self.has_data(c.instead_of, history):
            return False
        return not c.more

    def key_entries(self, history: History) -> list[tuple[str, str, str, str, bool]]:
        """(entry, colour, text, glyph, shown) of every key entry with data that applies to this run."""
        out = []
        for entry, c in self.columns.items():
            if not self.applies(entry) or not self.has_data(entry, history):
                continue
            curves = [k for k, g in self.group.items() if g == entry]
            if c.layers:
                # "D layer <i>" → "D layers 1–4", "∂D/∂ activation <i>" → "∂D/∂ activations 1–7"
                text = _net_named(c.label.replace(f" {columns.LAYER}", f"s 1–{len(curves)}"), self.net_names)
                color = self.curves[curves[-1]].opts_style[0]
            else:
                text, color = self.curves[entry].name(), self.curves[entry].opts_style[0]
            out.append((entry, color, text, GLYPH[c.style], self.shown(entry, history)))
        return out

    def on_link(self, href: str) -> None:
        """A click on the key: "more" shows every hidden curve, "fewer" goes back to the defaults, an entry
        toggles its curves."""
        history = self.history
        if history is None:
            return
        if href == MORE:
            self.expanded = True
            for entry, *_, shown in self.key_entries(history):
                if not shown:
                    self.chosen[entry] = True
        elif href == FEWER:
            self.expanded = False
            self.chosen.clear()
        elif href in self.columns:
            self.chosen[href] = not self.shown(href, history)
        self.version = -1
        if self.on_change is not None:
            self.on_change(self)

    # -- title and key ----------------------------------------------------------------------------------------
    def _rewrap(self) -> None:
        if abs(self.plot.width() - self._wrap_width) > 8:
            self.restyle_title(*self.style_args)

    def restyle_title(self, theme: th.Theme, scale: float) -> None:
        """The title with its colour key, wrapped to the plot's width by the key font's metrics; the title row is
        as tall as the text it holds, so a title never runs into its key or its plot."""
        self.style_args = (theme, scale)
        self._wrap_width = self.plot.width()
        width = 0.92 * (self._wrap_width if self._wrap_width > 50 else 380 * scale)
        metrics = QtGui.QFontMetricsF(th.font(9 * scale))
        gap = metrics.horizontalAdvance("━━  ") + metrics.horizontalAdvance("    ")
        items = [(e, c, t, g) for e, c, t, g, shown in self.key if shown or self.expanded]
        links = [_entry_html(e, c, t, g, theme, shown) for e, c, t, g, shown in self.key if shown or self.expanded]
        sizes = [metrics.horizontalAdvance(t) + gap for _, _, t, _ in items]
        hidden = sum(1 for *_, shown in self.key if not shown)
        if self.expanded or hidden:
            text = "fewer" if self.expanded else f"+{hidden} more"
            links.append(f'<a href="{FEWER if self.expanded else MORE}" style="color:{theme.muted}; '
                         f'text-decoration:underline">{text}</a>')
            sizes.append(metrics.horizontalAdvance(text) + gap)
        lines: list[list[str]] = []
        used = 0.0
        for html, size in zip(links, sizes, strict=True):
            if lines and used + size <= width:
                lines[-1].append(html)
                used += size
            else:
                lines.append([html])
                used = size
        th.set_title(self.plot, self.title, theme, scale, "<br>".join("&nbsp;&nbsp; ".join(line) for line in lines))
        label = self.plot.titleLabel
        height = int(math.ceil(label.item.boundingRect().height())) + 2
        label.setMaximumHeight(height)
        self.plot.layout.setRowFixedHeight(0, height)
        label.setToolTip("\n\n".join(self.columns[e].tooltip for e, *_ in self.key if e in self.columns))

    # -- names at the ends of the lines -------------------------------------------------------------------------
    def place_end_labels(self, history: History) -> None:
        """Each shown line's name at its last point, above it and ending there; names that would overlap are
        pushed apart (in pixels), so lines that lie on top of each other are still told apart."""
        theme, scale = self.style_args
        placed = []
        for key, item in self.curves.items():
            entry = self.group[key]
            c = self.columns[entry]
            label = self.end_labels.get(key)
            x, y = item.xData, item.yData
            wanted = (entry == key and c.style not in ("floor", "dots") and item.isVisible() and x is not None
                      and len(x) > 0)  # not a floor (its key entry names it) nor dots (two points in 4,000 steps)
            if not wanted:
                if label is not None:
                    label.setVisible(False)
                continue
            vb = self.vb2 if c.right and self.vb2 is not None else self.plot.vb
            if label is None:
                label = self.end_labels[key] = pg.TextItem(anchor=(1, 1))
                vb.addItem(label, ignoreBounds=True)
            # the short name (the key has the sample size), with the run's net names (an encoder in D's slot)
            label.setText(_net_named(c.label, self.net_names), color=item.opts_style[0])
            label.setFont(th.font(8.5 * scale, bold=True))
            label.fill = theme.brush(theme.bg, 140)  # readable over a noisy line that still shows through
            label.setVisible(True)
            yv = math.log10(y[-1]) if self.log_y and y[-1] > 0 else float(y[-1])
            point = vb.mapViewToScene(QtCore.QPointF(float(x[-1]), yv))
            placed.append([point.y(), point.x(), float(x[-1]), vb, label])
        if not placed:
            self._place_reference_labels([])
            return
        view = self.plot.vb.sceneBoundingRect()
        for p in placed:  # a name wider than 60 % of the plot would hide it (a narrow plot at 200 %): the key says it
            width = p[4].boundingRect().width()
            p[4].setVisible(width <= 0.6 * view.width())
            p[1] = max(p[1], view.left() + width)  # never cut at the left edge
        height = max(p[4].boundingRect().height() for p in placed) * 0.8  # TextItem pads its text
        top = view.top() + height / 0.8
        placed.sort(key=lambda p: -p[0])  # the lowest first; each name sits above its line and the names above it
        last = math.inf
        for p in placed:
            p[0] = min(p[0], last - height - 2 * scale)  # 2 px between names: touching ones read as one
            last = p[0]
        shift = max(0.0, top - placed[-1][0])  # names pushed past the top come back down together
        for p in placed:
            p[0] += shift
        for sy, sx, _, vb, label in placed:
            label.setPos(vb.mapSceneToView(QtCore.QPointF(sx, sy)))
        self._place_reference_labels([p[4].sceneBoundingRect() for p in placed if p[4].isVisible()])

    def _place_reference_labels(self, names: list) -> None:
        """Each reference line's label ("8 in the data", "log 2 = max") above its line, else under it, else hidden
        (the axis still says it) when neither place is clear of the line names ``names`` and inside the plot."""
        view = self.plot.vb.sceneBoundingRect()
        names = names + [m.label.sceneBoundingRect() for m in self.markers if m.isVisible()]  # events' labels too
        for line in self.avoid:
            label = line.label
            across = label.anchors[0][0]  # where along the line it sits stays; only its side changes
            for anchor in ((across, 1), (across, 0)):
                label.anchors = [anchor, anchor]
                label.updatePosition()
                label.setVisible(True)
                rect = label.sceneBoundingRect()  # clear of the names and inside the plot ("log 2 = max" at the top)
                if view.contains(rect) and not any(rect.intersects(r) for r in names):
                    break
            else:
                label.setVisible(False)


def _net_named(label: str, names: dict[str, str]) -> str:
    """A gradient curve's label with its net as this run names it: "D, whole net" → "encoder, whole net" under
    ``{"D": "encoder"}``; labels that do not start with a net's name ("∂D/∂ activation 0") stay."""
    for net, name in names.items():
        if label.startswith((f"{net},", f"{net} ")):
            return name + label[len(net):]
    return label


# an event label shows at most this many changes of one step (the rest: "+k more changes"; all in its tooltip)
MARKER_LINES = 2

# the per-layer columns of the gradient panel, by prefix, and the net whose shades they take
LAYER_PREFIXES = {"grad_d_": "d", "grad_g_": "g", "grad_act_d_": "d"}


def _entry_html(entry: str, color: str, text: str, glyph: str, theme: th.Theme, shown: bool) -> str:
    """One key entry as a link that toggles its curves; a hidden one in the muted colour."""
    mark = {"line": "━━", "dash": "╍╍", "fill": "▇▇", "dot": "●"}.get(glyph, "━━")
    fg = theme.fg if shown else theme.muted
    return (f'<a href="{entry}" style="text-decoration:none"><span style="color:{color if shown else theme.muted}">'
            f'{mark}</span>&nbsp;<span style="color:{fg}">{text}</span></a>')


def _set_range(vb: pg.ViewBox, current, items, log: bool, include=(), limits=None):
    """Fit ``vb``'s y range (stepped, see gui.ranges) to the finite data of ``items`` and the values in
    ``include`` (only once there is data), within ``limits``; returns the range."""
    lo, hi = math.inf, -math.inf
    for item in items:
        if not isinstance(item, pg.PlotDataItem) or not item.isVisible():
            continue
        y = item.yData
        if y is None or not len(y):
            continue
        if log:
            y = np.log10(y[y > 0])
        y = y[np.isfinite(y)]
        if len(y):
            lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
    if lo > hi:
        return current
    for v in include:
        lo, hi = min(lo, v), max(hi, v)
    new = ranges.value_range(current, lo, hi, limits)
    if new != current:
        vb.setYRange(*new, padding=0)
    return new


class Overlay(Protocol):
    """Another run's curves on these panels (``gui.compare.CompareOverlay``), drawn with each panel."""

    def draw_panel(self, panel: _Panel, history: History) -> None: ...
    def key_entries(self, panel: _Panel) -> list[tuple[str, str, str, str, bool]]: ...
    def step_span(self) -> tuple[float | None, float | None]: ...
    def apply_style(self, theme: th.Theme, scale: float) -> None: ...
    def remove(self) -> None: ...


def merge_spans(a: tuple[float | None, float | None], b: tuple[float | None, float | None]) \
        -> tuple[float | None, float | None]:
    """The step span covering two spans (either may be (None, None))."""
    firsts = [v for v in (a[0], b[0]) if v is not None and math.isfinite(v)]
    lasts = [v for v in (a[1], b[1]) if v is not None]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)


class TimeSeriesView(pg.GraphicsLayoutWidget):
    """Six plots linked on the step axis; ``update_history`` redraws from a History."""

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent=parent)
        self.theme, self.scale = theme, scale
        self._x_range: tuple[float, float] | None = None
        self._marker_key: list | None = None
        self._n_markers = 0
        self._generation: int | None = None  # the History generation (run) shown
        self._display: Display | None = None  # the display facts the labels were last set from
        self._metrics_cfg: dict = {}  # the [metrics] section the sample sizes were last set from
        self.compare: Overlay | None = None  # another run's curves drawn beside these (gui/compare.py)
        lay = self.ci
        # panel ids are the registry's Column.panel values; each panel's curves come from the registry
        self.losses = _Panel(lay, 0, 0, "Losses", "loss")
        self.dmean = _Panel(lay, 0, 1, "Mean D score", "mean D(x)")
        self.js = _Panel(lay, 1, 0, "Jensen–Shannon", "JS (nats)", right_label="sharpness")
        self.js.plot.hideAxis("right")  # until a curve is on it (image runs' sharpness): the step axes line up
        self.w1 = _Panel(lay, 1, 1, "Wasserstein-1", "W1", right_label="critic estimate")
        self.grads = _Panel(lay, 2, 0, "Gradient norms", "‖∇θ L‖ (log)", log_y=True)
        self.modes = _Panel(lay, 2, 1, "Mode coverage", "modes covered", right_label="high quality %", integer=True)
        self.panels = [self.losses, self.dmean, self.js, self.w1, self.grads, self.modes]
        self.panel_ids = dict(zip(("losses", "dmean", "js", "w1", "grads", "modes"), self.panels, strict=True))
        self._rotation = list(self.panels)  # redraw order under a budget: the least recently drawn first
        self._history: History | None = None
        for col in range(2):
            lay.layout.setColumnStretchFactor(col, 1)
        for p in self.panels[1:]:
            p.plot.setXLink(self.losses.plot)
        self.fills: dict[str, tuple[pg.PlotDataItem, pg.FillBetweenItem]] = {}  # floor column -> (zero, fill)
        for panel_id, panel in self.panel_ids.items():
            self._add_curves(panel_id, panel, theme)
            panel.on_change = self._key_clicked
        # JS ≤ log 2 always, so the space above the line holds no data: its name sits there, mid-way (the lines'
        # own names are at their right ends)
        self.js_max = pg.InfiniteLine(pos=math.log(2), angle=0, label="log 2 = max",
                                      labelOpts={"position": 0.45, "anchors": [(0.5, 1), (0.5, 1)]})
        self.js.plot.addItem(self.js_max)
        self.js.include = [math.log(2)]  # the ceiling is part of the reading: JS stuck at log 2 is the lesson
        self.modes_ref = pg.InfiniteLine(pos=0, angle=0, label="",
                                         labelOpts={"position": 0.03, "anchors": [(0, 1), (0, 1)]})
        self.modes_ref.setVisible(False)
        self.modes.plot.addItem(self.modes_ref)
        self.modes.avoid = [self.modes_ref]
        self.js.avoid = [self.js_max]
        self.grad_keys: list[str] = []
        self.apply_style(theme, scale)

    def _add_curves(self, panel_id: str, panel: _Panel, theme: th.Theme) -> None:
        """The panel's curves from the column registry: floors first (drawn under the estimates, as a band from
        0), right-axis curves last; per-layer columns get their curves when they first appear in the history."""
        for c in columns.panel_columns(panel_id):
            if c.layers:
                panel.columns.setdefault(c.name, c)
        entries = [c for c in columns.panel_columns(panel_id) if not c.layers]
        for c in sorted(entries, key=lambda c: (c.style != "floor", c.right)):
            if c.name in panel.curves:
                continue  # the same column for points and images (sw1): one curve (its entry follows the data)
            width, dash = STYLE[c.style]
            item = panel.curve(c.name, c, getattr(theme, c.colour), width, dash=dash)
            item.sparse = c.style == "dots"  # measured rarely (exact W1): dots, so two points still show
            if c.style == "floor":
                zero = pg.PlotDataItem()
                panel.plot.addItem(zero)
                fill = pg.FillBetweenItem(item, zero, brush=theme.brush(theme.muted, 70))
                panel.plot.addItem(fill)
                self.fills[c.name] = (zero, fill)
        # the key lists entries in registry order
        order = [c.name for c in columns.panel_columns(panel_id)]
        panel.columns = {k: panel.columns[k] for k in sorted(panel.columns, key=order.index)}

    # -- style ----------------------------------------------------------------------------------------------
    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Recolour and resize everything for a theme and view scale (items are kept)."""
        self.theme, self.scale = theme, scale
        self.setBackground(theme.bg)
        for p in self.panels:
            p.style_args = (theme, scale)
            th.style_plot(p.plot, theme, scale)
            th.set_label(p.plot, "left", p.ylabel, theme, scale)
            th.set_label(p.plot, "bottom", "step", theme, scale)
            if p.right_label:
                th.set_label(p.plot, "right", p.right_label, theme, scale)
            for key, item in p.curves.items():
                c = p.columns[p.group[key]]
                _, width, dash = item.opts_style
                color = item.opts_style[0] if c.layers else getattr(theme, c.colour)
                item.opts_style = (color, width, dash)
                item.setPen(theme.pen(color, width, scale, dash))
                if getattr(item, "sparse", False):
                    item.setSymbol("o")
                    item.setSymbolSize(7 * scale)
                    item.setSymbolBrush(theme.brush(color, 255))
                    item.setSymbolPen(None)
            p.restyle_title(theme, scale)
            for m in p.markers:
                self._style_marker(m)
            p.elide_markers()  # the new font's width
            if p.note.isVisible():
                p.set_note(p.note.toPlainText())
            p.version = -1  # end labels take the new font at the next draw
        self._recolour_layers()
        if self.compare is not None:
            self.compare.apply_style(theme, scale)
        for _, fill in self.fills.values():
            fill.setBrush(theme.brush(theme.muted, 70))
        for line in (self.js_max, self.modes_ref):
            line.setPen(theme.pen(theme.muted, 1.2, scale, dash=True))
            line.label.setColor(theme.muted)
            line.label.setFont(th.font(8.5 * scale))

    def _style_marker(self, m: pg.InfiniteLine) -> None:
        m.setPen(self.theme.pen(self.theme.marker, 1.5, self.scale, dash=True))
        m.label.setColor(self.theme.marker)
        m.label.setFont(th.font(8.5 * self.scale, bold=True))
        # on a ground of the background's colour: drawn straight over the curves, a label and the lines crossing
        # it could not be told apart from the back row
        m.label.fill = self.theme.brush(self.theme.bg, 225)
        m.label.update()

    # -- data -----------------------------------------------------------------------------------------------
    def set_context(self, cfg: dict | None) -> None:
        """Labels that depend on the config: the sample sizes of the estimates."""
        if cfg:
            self._metrics_cfg = cfg.get("metrics", {})
            self._rename()

    def set_display(self, display: Display) -> None:
        """Labels and curves that depend on the run (a frame's display facts): coverage of modes or of classes,
        the number of modes in the data ("not applicable" without), whether W1 is exact transport on a subsample
        (2D), each column's registry entry for this kind of data, and the curves drawn only where they mean
        something (``Column.when``: the critic estimate)."""
        if display == self._display:
            return
        self._display = display
        for p in self.panels:
            p.facts = display
            for entry in p.columns:
                found = columns.lookup(entry, display.kind)
                if found is not None:
                    p.columns[entry] = found
            p.version = -1
        p = self.modes
        image = display.kind == "image"
        p.ylabel, p.right_label = ("classes covered", "confident %") if image else ("modes covered", "high quality %")
        th.set_label(p.plot, "left", p.ylabel, self.theme, self.scale)
        th.set_label(p.plot, "right", p.right_label, self.theme, self.scale)
        k = display.n_modes
        self.modes_ref.setVisible(k is not None)
        p.include = [] if k is None else [float(k)]
        p.set_note("" if k is not None else NOT_APPLICABLE.replace("modes", "classes") if image else NOT_APPLICABLE)
        if k is not None:
            self.modes_ref.setValue(k)
            self.modes_ref.label.setFormat(f"{k} in the data")
        self._name_the_nets(display)
        self._rename()
        if self._history is not None:
            self.update_history(self._history)

    def _name_the_nets(self, display: Display) -> None:
        """Without a D/G game (``Display.game``: a VAE, an autoencoder) D's slot holds an encoder: the mean-D panel
        says so instead of standing empty, and the gradient panel names the nets encoder and decoder G. Image runs
        draw sharpness in the JS panel (they have no exact JS): its title says so."""
        self.dmean.set_note("" if display.game else NO_GAME)
        names = {} if display.game else NO_GAME_NETS
        self.grads.net_names = names
        for key, item in self.grads.curves.items():
            column = self.grads.columns[self.grads.group[key]]
            label = column.label
            if column.layers:
                label = label.replace(columns.LAYER, key[len(column.name) - len(columns.LAYER):])
            item.opts["name"] = _net_named(label, names)
        self.js.title = "JS · sharpness" if display.kind == "image" else "Jensen–Shannon"
        self.js.restyle_title(self.theme, self.scale)

    def _rename(self) -> None:
        """Curve names with the sample sizes of the config (js, w1)."""
        m = self._metrics_cfg
        subsample = self._display is None or self._display.kind != "1d"
        names = {("js", "js"): f"sample (n = {m.get('n_samples')})",
                 ("w1", "w1"): f"exact (n = {m.get('ot_samples')})" if subsample else "exact"}
        changed = False
        for (panel, key), name in names.items():
            item = self.panel_ids[panel].curves[key]
            if item.name() != name:
                item.opts["name"] = name
                changed = True
        every = m.get("ot_every")
        tip = f"every {every:,} steps; " if subsample and every else ""
        self.w1.curves["w1"].setToolTip(tip + self.w1.columns["w1"].tooltip)
        if changed:
            for p in self.panels:
                p.version = -1  # keys are rebuilt at the next update

    def _ensure_grad_curves(self, history: History) -> None:
        # per-layer curves: D's and G's parameter gradients, and D's activation gradients (dashed: lesson 5)
        keys = [k for prefix in LAYER_PREFIXES for k in history.columns(prefix)]
        if keys == self.grad_keys:
            return
        for key in keys:
            if key not in self.grads.curves:
                pattern = key.rstrip("0123456789") + columns.LAYER
                column = self.grads.columns[pattern]
                item = self.grads.curve(key, column, self.theme.d, 1.6, dash=column.style == "dash", group=pattern)
                label = column.label.replace(columns.LAYER, key[len(pattern) - len(columns.LAYER):])
                item.opts["name"] = _net_named(label, self.grads.net_names)
        self.grad_keys = keys
        self._recolour_layers()

    def _recolour_layers(self) -> None:
        """Per-layer curves in shades of D's or G's colour (the shades depend on the number of layers)."""
        for prefix, kind in LAYER_PREFIXES.items():
            cols = [k for k in self.grad_keys if k.startswith(prefix)]
            for colour, key in zip(self.theme.series(len(cols), kind), cols, strict=True):
                item = self.grads.curves[key]
                dash = item.opts_style[2]
                item.opts_style = (colour, 1.6, dash)
                item.setPen(self.theme.pen(colour, 1.6, self.scale, dash=dash))

    def show_curves(self, names) -> None:
        """Turn on the curves of these registry entries (a lesson stage's ``show``), hidden ones included, as a
        click on their key entries would; entries of no panel are passed over."""
        for panel in self.panels:
            wanted = [name for name in names if name in panel.columns]
            for name in wanted:
                panel.chosen[name] = True
            if wanted:
                panel.version = -1
                self._key_clicked(panel)

    def _key_clicked(self, panel: _Panel) -> None:
        """A click on a panel's key: redraw that panel now."""
        if self._history is not None:
            self._draw_panel(panel, self._history)

    def update_history(self, history: History, budget: int | None = None) -> int:
        """Redraw the plots that do not show ``history`` yet: all of them, or at most ``budget`` (the ones
        waiting longest first). Markers and the shared step range are always brought up to date; a new run
        (``History.generation``) starts from fresh ranges. Returns how many plots were redrawn."""
        self._history = history
        if history.generation != self._generation:
            self._generation = history.generation
            self._x_range = None
            for p in self.panels:
                p.reset()
        if all(p.version == history.version for p in self.panels):
            return 0
        self._ensure_grad_curves(history)
        self._update_markers(history.events)
        self._follow_steps(history)
        stale = [p for p in self._rotation if p.version != history.version][:budget]
        for p in stale:
            self._draw_panel(p, history)
            self._rotation.remove(p)
            self._rotation.append(p)
        return len(stale)

    def _draw_panel(self, p: _Panel, history: History) -> None:
        p.history = history
        for key, item in p.curves.items():
            s = history.get(key)
            item.setVisible(p.shown(p.group[key], history))
            if s is None or s.n == 0:
                item.setData([], [])
                continue
            x, y = s.x, s.y
            if p.log_y:
                ok = y > 0
                x, y = x[ok], y[ok]
            item.setData(x, y, skipFiniteCheck=True)
        for key, (zero, fill) in self.fills.items():
            if key in p.curves:
                s = history.get(key)
                fill.setVisible(p.curves[key].isVisible())
                if s is not None and s.n:
                    zero.setData(s.x, np.zeros(s.n))
                else:
                    zero.setData([], [])
        if self.compare is not None:
            self.compare.draw_panel(p, history)
        key = p.key_entries(history) + (self.compare.key_entries(p) if self.compare is not None else [])
        if key != p.key:
            p.key = key
            p.restyle_title(self.theme, self.scale)
        if p.vb2 is not None:  # the right axis only while a curve is on it, named after what is there
            right = [item.name() for k, item in p.curves.items()
                     if p.columns[p.group[k]].right and item.isVisible() and item.xData is not None
                     and len(item.xData)]
            p.plot.showAxis("right", bool(right))
            estimators = {p.columns[p.group[k]].estimator for k, item in p.curves.items()
                          if p.columns[p.group[k]].right and item.isVisible() and item.name() in right}
            # one quantity (sharpness of generated and of data images): one name, not "sharpness, data's sharpness"
            label = right[0] if len(estimators) == 1 else ", ".join(right) if right else p.right_label
            if p is self.modes:
                label = p.right_label
            if label and p.plot.getAxis("right").labelText != label:
                th.set_label(p.plot, "right", label, self.theme, self.scale)
        p.follow()
        p.place_end_labels(history)
        p.version = history.version

    def _follow_steps(self, history: History) -> None:
        """The shared step axis (all plots are linked to the losses plot): stepped, unless zoomed."""
        if not all(p.following for p in self.panels):
            return
        first, last = history.step_span()
        if self.compare is not None:
            first, last = merge_spans((first, last), self.compare.step_span())
        if first is None:
            return
        new = ranges.step_range(self._x_range, first, last)
        if new != self._x_range:
            self._x_range = new
            self.losses.plot.setXRange(*new, padding=0)

    def _update_markers(self, events: list[dict]) -> None:
        shown = [e for e in events if e.get("what") not in ("step_d", "step_g", *DISPLAY_KEYS)][-MAX_MARKERS:]
        key = [(e.get("step"), e.get("what"), str(e.get("new"))) for e in shown]
        if key == self._marker_key:
            return
        self._marker_key = key
        groups: list[tuple[float, str]] = []  # one marker per step; several changes at once share it
        for e in shown:
            step = float(e.get("step", 0))
            if groups and groups[-1][0] == step:
                groups[-1] = (step, groups[-1][1] + "\n" + event_label(e))
            else:
                groups.append((step, event_label(e)))
        for p in self.panels:
            for m in p.markers:
                p.plot.removeItem(m)
            p.markers = []
            for step, label in groups:
                m = pg.InfiniteLine(pos=step, angle=90, movable=False, label=label,
                                    labelOpts={"position": 0.04, "rotateAxis": (1, 0), "anchors": [(0, 1), (0, 1)]})
                m.setZValue(5)  # over the curves: its label's ground (``_style_marker``) keeps the text readable
                m.full_label = label  # elide_markers cuts the shown text to the plot's height
                self._style_marker(m)
                p.plot.addItem(m, ignoreBounds=True)
                p.markers.append(m)
            p.elide_markers()
        self._n_markers = len(groups)

    def set_compare(self, overlay: Overlay | None) -> None:
        """Draw ``overlay``'s run beside this one (None: take the one drawn off); every plot is redrawn."""
        if self.compare is not None:
            self.compare.remove()
        self.compare = overlay
        self._x_range = None
        for p in self.panels:
            p.version = -1
        if self._history is not None:
            self.update_history(self._history)

    @property
    def marker_count(self) -> int:
        """Markers on each plot (every plot has the same markers)."""
        return self._n_markers

    def markers_per_plot(self) -> list[int]:
        """Markers on each plot, in panel order."""
        return [len(p.markers) for p in self.panels]

    def arrange(self, columns: int, rows: int, first: int = 0) -> None:
        """Lay the six plots out in ``columns`` columns (2, or 1 when the view is narrow for its scale: two columns
        of 280 px at 200 % overlapped their titles) and show ``rows`` rows from row ``first``; the hidden plots give
        their room to the shown ones (presentation mode on a small screen: a row cut off at the bottom showed titles
        and no plots)."""
        if (columns, rows, first) == getattr(self, "_arrangement", (2, 3, 0)):
            return
        self._arrangement = (columns, rows, first)
        grid = self.ci.layout
        for panel in self.panels:  # the Qt grid only: pyqtgraph's own bookkeeping is for adding items, done
            grid.removeItem(panel.plot)
        for i, panel in enumerate(self.panels):
            row, col = divmod(i, columns)
            grid.addItem(panel.plot, row, col)
            panel.plot.setVisible(first <= row < first + rows)
        grid.setColumnStretchFactor(1, 1 if columns == 2 else 0)

    def visible_rows(self) -> int:
        """How many rows of plots are shown."""
        columns = self.columns()
        return len({i // columns for i, panel in enumerate(self.panels) if panel.plot.isVisible()})

    def columns(self) -> int:
        """How many columns the plots are laid out in."""
        return getattr(self, "_arrangement", (2, 3, 0))[0]
