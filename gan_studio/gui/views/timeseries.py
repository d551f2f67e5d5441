"""Time series on one shared step axis: losses, mean D, JS, W1 vs the critic, gradient norms, mode coverage.

Every mid-run change (an event) is a labelled vertical marker on every plot ("loss: ns → wgan").
Each plot's colour key sits under its title (a legend box would hide data in plots this small) and lists
only the curves that have data. Curves are built once (per-layer gradient curves when their column first
appears) and then only get ``setData``; nothing redraws unless the history changed.

Drawing cost, measured: redrawing all six plots took 30–70 ms, long enough to delay the data view's next
frame. So while training plays, the window redraws one plot per frame (each still updates ~5 times a second),
and ranges move in steps (``gui.ranges``): a range that crept with every point re-ticked its axes and grid
on every redraw. A plot the person zoomed or panned keeps their range until they press its "A" button.

Curves come from the column registry (``gan_studio.columns``: panel, label, colour, style); the labels that depend
on the data come from a frame's display facts (``set_display``). Slightly over 400 lines: one view (the panel, its
log axis and its stepped ranges belong to it alone).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from gan_studio import columns
from gan_studio.frames import Display
from gan_studio.gui import ranges
from gan_studio.gui import theme as th
from gan_studio.gui.history import History, event_label

MAX_MARKERS = 40  # newest events drawn as markers (older ones stay in the log)
KEY_CHARS = 40  # characters per colour-key line under a title (at view scale 1)
STYLE = {"line": (2.0, False), "dash": (1.5, True), "dots": (2.0, False), "floor": (1.0, False)}  # width, dash


class LogAxis(pg.AxisItem):
    """A log axis that labels only 1-2-5 steps (pyqtgraph labels every minor tick, 0.06 0.07 0.08 …, which
    overlap); the other integer multiples get unlabelled ticks."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (Qt name)
        if not self.logMode or maxVal <= minVal:
            return super().tickValues(minVal, maxVal, size)
        lo, hi = math.floor(minVal), math.ceil(maxVal)
        span = maxVal - minVal
        steps = (1,) if span > 2.5 else (1, 2, 5) if span > 0.8 else (1, 2, 3, 5, 7)
        major, minor = [], []
        for e in range(lo, hi + 1):
            for m in range(1, 10):
                v = e + math.log10(m)
                if minVal <= v <= maxVal:
                    (major if m in steps else minor).append(v)
        return [(None, major), (None, minor)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [f"{10 ** v:.3g}" for v in values]


class _Panel:
    """One PlotItem: its curves (left axis, or right axis via a second ViewBox), fills and markers."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, title: str, ylabel: str,
                 right_label: str | None = None, log_y: bool = False, axis: pg.AxisItem | None = None):
        self.title, self.ylabel, self.right_label = title, ylabel, right_label
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=col, axisItems={"left": axis} if axis else None)
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
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.extra_key: list[tuple[str, str, str, str]] = []  # (column that must have data, colour, text, style)
        self.key: list = []
        self.markers: list[pg.InfiniteLine] = []
        self.vb2: pg.ViewBox | None = None
        if right_label:
            self.vb2 = pg.ViewBox()
            self.vb2.setMenuEnabled(False)
            self.plot.showAxis("right")
            self.plot.scene().addItem(self.vb2)
            self.plot.getAxis("right").linkToView(self.vb2)
            self.vb2.setXLink(self.plot)
            self.plot.vb.sigResized.connect(self._sync)

    def _sync(self) -> None:
        self.vb2.setGeometry(self.plot.vb.sceneBoundingRect())
        self.vb2.linkedViewChanged(self.plot.vb, self.vb2.XAxis)

    def _taken_over(self, *_) -> None:
        self.following = False

    def _resume(self, *_) -> None:
        """The "A" button: pyqtgraph turned its auto-range on; follow the data in steps again instead."""
        self.plot.enableAutoRange(x=False, y=False)
        self.following = True
        self.y_range = self.y2_range = None
        self.version = -1

    def follow(self) -> None:
        """Set the value axes (left, and right when there is one) to stepped ranges around the data."""
        if not self.following:
            return
        self.y_range = _set_range(self.plot.vb, self.y_range, self.plot.listDataItems(), self.log_y, self.include)
        if self.vb2 is not None:
            self.y2_range = _set_range(self.vb2, self.y2_range, self.vb2.addedItems, False)

    def curve(self, key: str, name: str, color: str, width: float = 2.0, dash: bool = False,
              right: bool = False) -> pg.PlotDataItem:
        """A curve for column ``key`` named ``name`` in the key, on the left axis or the right one."""
        item = pg.PlotDataItem(name=name)
        item.opts_style = (color, width, dash)
        (self.vb2 if right and self.vb2 is not None else self.plot).addItem(item)
        self.curves[key] = item
        return item

    def key_entries(self, history: History, theme: th.Theme) -> list[tuple[str, str, str]]:
        """(colour, text, style) of every curve with data, for the colour key under the title (floors excluded)."""
        out = []
        for key, item in self.curves.items():
            s = history.get(key)
            if s is not None and s.n and not key.endswith("_floor"):
                color, _, dash = item.opts_style
                out.append((color, item.name(), "dash" if dash else "line"))
        for column, color, text, style in self.extra_key:
            s = history.get(column)
            if s is not None and s.n:
                out.append((color, text, style))
        return out

    def restyle_title(self, theme: th.Theme, scale: float) -> None:
        """The title with its colour key, wrapped to the plot's width."""
        lines: list[list] = []  # greedy wrap: at most KEY_CHARS / scale characters per line
        for entry in self.key:
            if lines and sum(len(e[1]) + 5 for e in lines[-1]) + len(entry[1]) + 3 <= KEY_CHARS / scale:
                lines[-1].append(entry)
            else:
                lines.append([entry])
        key = "<br>".join(th.key_html(line, theme, scale) for line in lines)
        th.set_title(self.plot, self.title, theme, scale, key)


def _set_range(vb: pg.ViewBox, current, items, log: bool, include=()):
    """Fit ``vb``'s y range (stepped, see gui.ranges) to the finite data of ``items`` and the values in
    ``include`` (only once there is data); returns the range."""
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
    new = ranges.value_range(current, lo, hi)
    if new != current:
        vb.setYRange(*new, padding=0)
    return new


class TimeSeriesView(pg.GraphicsLayoutWidget):
    """Six plots linked on the step axis; ``update_history`` redraws from a History."""

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent=parent)
        self.theme, self.scale = theme, scale
        self._x_range: tuple[float, float] | None = None
        self._marker_key: list | None = None
        self._n_markers = 0
        self._display: Display | None = None  # the display facts the labels were last set from
        self._metrics_cfg: dict = {}  # the [metrics] section the sample sizes were last set from
        lay = self.ci
        # panel ids are the registry's Column.panel values; each panel's curves come from the registry
        self.losses = _Panel(lay, 0, 0, "Losses", "loss")
        self.dmean = _Panel(lay, 0, 1, "Mean D score", "mean D(x)")
        self.js = _Panel(lay, 1, 0, "Jensen–Shannon", "JS (nats)")
        self.w1 = _Panel(lay, 1, 1, "Wasserstein-1 and critic", "W1", right_label="lip")
        self.grads = _Panel(lay, 2, 0, "Gradient norms", "‖∇θ L‖ per layer (log)", log_y=True,
                            axis=LogAxis(orientation="left"))
        self.modes = _Panel(lay, 2, 1, "Mode coverage", "modes covered", right_label="high quality %")
        self.panels = [self.losses, self.dmean, self.js, self.w1, self.grads, self.modes]
        self.panel_ids = dict(zip(("losses", "dmean", "js", "w1", "grads", "modes"), self.panels, strict=True))
        self._rotation = list(self.panels)  # redraw order under a budget: the least recently drawn first
        for col in range(2):
            lay.layout.setColumnStretchFactor(col, 1)
        for p in self.panels[1:]:
            p.plot.setXLink(self.losses.plot)
        self.fills: dict[str, tuple[pg.PlotDataItem, pg.FillBetweenItem]] = {}  # floor column -> (zero, fill)
        for panel_id, panel in self.panel_ids.items():
            self._add_curves(panel_id, panel, theme)
        self.js_max = pg.InfiniteLine(pos=math.log(2), angle=0, label="log 2 = max",
                                      labelOpts={"position": 0.97, "anchors": [(1, 1), (1, 1)]})
        self.js.plot.addItem(self.js_max)
        self.js.include = [math.log(2)]  # the ceiling is part of the reading: JS stuck at log 2 is the lesson
        self.modes_ref = pg.InfiniteLine(pos=0, angle=0, label="",
                                         labelOpts={"position": 0.03, "anchors": [(0, 1), (0, 1)]})
        self.modes_ref.setVisible(False)
        self.modes.plot.addItem(self.modes_ref)
        self.grad_keys: list[str] = []
        self.apply_style(theme, scale)

    def _add_curves(self, panel_id: str, panel: _Panel, theme: th.Theme) -> None:
        """The panel's curves from the column registry: floors first (drawn under the estimates, as a band from
        0), right-axis curves last; per-layer columns get their curves when they first appear in the history."""
        entries = [c for c in columns.panel_columns(panel_id) if not c.layers]
        for c in sorted(entries, key=lambda c: (c.style != "floor", c.right)):
            if c.name in panel.curves:
                continue  # the same column for points and images (sw1): one curve
            width, dash = STYLE[c.style]
            item = panel.curve(c.name, c.label, getattr(theme, c.colour), width, dash=dash, right=c.right)
            item.sparse = c.style == "dots"  # measured rarely (exact W1): dots, so two points still show
            if c.style == "floor":
                zero = pg.PlotDataItem()
                panel.plot.addItem(zero)
                fill = pg.FillBetweenItem(item, zero, brush=theme.brush(theme.muted, 70))
                panel.plot.addItem(fill)
                self.fills[c.name] = (zero, fill)
                panel.extra_key.append((c.name, getattr(theme, c.colour), c.label, "fill"))

    # -- style ----------------------------------------------------------------------------------------------
    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Recolour and resize everything for a theme and view scale (items are kept)."""
        self.theme, self.scale = theme, scale
        self.setBackground(theme.bg)
        for p in self.panels:
            th.style_plot(p.plot, theme, scale)
            p.restyle_title(theme, scale)
            th.set_label(p.plot, "left", p.ylabel, theme, scale)
            th.set_label(p.plot, "bottom", "step", theme, scale)
            if p.right_label:
                th.set_label(p.plot, "right", p.right_label, theme, scale)
            for item in p.curves.values():
                color, width, dash = item.opts_style
                item.setPen(theme.pen(color, width, scale, dash))
                if getattr(item, "sparse", False):
                    item.setSymbol("o")
                    item.setSymbolSize(7 * scale)
                    item.setSymbolBrush(theme.brush(color, 255))
                    item.setSymbolPen(None)
            for m in p.markers:
                self._style_marker(m)
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

    # -- data -----------------------------------------------------------------------------------------------
    def set_context(self, cfg: dict | None) -> None:
        """Labels that depend on the config: the sample sizes of the estimates."""
        if cfg:
            self._metrics_cfg = cfg.get("metrics", {})
            self._rename()

    def set_display(self, display: Display) -> None:
        """Labels that depend on the data (a frame's display facts): coverage of modes or of classes, the number
        of modes in the data, whether W1 is exact transport on a subsample (2D)."""
        if display == self._display:
            return
        self._display = display
        p = self.modes
        image = display.kind == "image"
        p.ylabel, p.right_label = ("classes covered", "confident %") if image else ("modes covered", "high quality %")
        th.set_label(p.plot, "left", p.ylabel, self.theme, self.scale)
        th.set_label(p.plot, "right", p.right_label, self.theme, self.scale)
        k = display.n_modes
        self.modes_ref.setVisible(k is not None)
        p.include = [] if k is None else [float(k)]
        if k is not None:
            self.modes_ref.setValue(k)
            self.modes_ref.label.setFormat(f"{k} in the data")
        self._rename()

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
        if changed:
            for p in self.panels:
                p.version = -1  # keys are rebuilt at the next update

    def _ensure_grad_curves(self, history: History) -> None:
        d_cols, g_cols = history.columns("grad_d_"), history.columns("grad_g_")
        keys = d_cols + g_cols
        if keys == self.grad_keys:
            return
        for key in keys:
            if key not in self.grads.curves:
                kind = "d" if key.startswith("grad_d_") else "g"
                self.grads.curve(key, key, self.theme.d, 1.6)
        self.grad_keys = keys
        for kind, cols in (("d", d_cols), ("g", g_cols)):  # shades depend on the number of layers
            for colour, key in zip(self.theme.series(len(cols), kind), cols, strict=True):
                item = self.grads.curves[key]
                item.opts_style = (colour, 1.6, False)
                item.setPen(self.theme.pen(colour, 1.6, self.scale))
        t = self.theme
        d_sh, g_sh = t.series(max(len(d_cols), 1), "d"), t.series(max(len(g_cols), 1), "g")
        self.grads.extra_key = [(d_cols[0], d_sh[-1], f"D layers 1–{len(d_cols)}", "line")] \
            if d_cols else []
        if g_cols:
            self.grads.extra_key.append((g_cols[0], g_sh[-1], f"G layers 1–{len(g_cols)}", "line"))

    def update_history(self, history: History, budget: int | None = None) -> int:
        """Redraw the plots that do not show ``history`` yet: all of them, or at most ``budget`` (the ones
        waiting longest first). Markers and the shared step range are always brought up to date.
        Returns how many plots were redrawn."""
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
        for key, item in p.curves.items():
            s = history.get(key)
            if s is None or s.n == 0:
                item.setData([], [])
                continue
            x, y = s.x, s.y
            if p.log_y:
                ok = y > 0
                x, y = x[ok], y[ok]
            item.setData(x, y, skipFiniteCheck=True)
        for key, (zero, _) in self.fills.items():
            if key in p.curves:
                s = history.get(key)
                if s is not None and s.n:
                    zero.setData(s.x, np.zeros(s.n))
                else:
                    zero.setData([], [])
        key = p.key_entries(history, self.theme) if p is not self.grads else \
            [(c, t, st) for col, c, t, st in self.grads.extra_key]
        if key != p.key:
            p.key = key
            p.restyle_title(self.theme, self.scale)
        p.follow()
        p.version = history.version

    def _follow_steps(self, history: History) -> None:
        """The shared step axis (all plots are linked to the losses plot): stepped, unless zoomed."""
        if not all(p.following for p in self.panels):
            return
        first, last = history.step_span()
        if first is None:
            return
        new = ranges.step_range(self._x_range, first, last)
        if new != self._x_range:
            self._x_range = new
            self.losses.plot.setXRange(*new, padding=0)

    def _update_markers(self, events: list[dict]) -> None:
        shown = [e for e in events if e.get("what") not in ("step_d", "step_g")][-MAX_MARKERS:]
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
                m.setZValue(-5)
                self._style_marker(m)
                p.plot.addItem(m, ignoreBounds=True)
                p.markers.append(m)
        self._n_markers = len(groups)

    @property
    def marker_count(self) -> int:
        """Markers on each plot (every plot has the same markers)."""
        return self._n_markers

    def markers_per_plot(self) -> list[int]:
        """Markers on each plot, in panel order."""
        return [len(p.markers) for p in self.panels]
