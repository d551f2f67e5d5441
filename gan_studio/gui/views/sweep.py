"""A sweep folder (``gan-studio sweep --out``) in the window: the grid as a table, and for a chosen metric the
distribution over seeds at every grid point as a horizontal box-and-strip plot.

One row per grid point, in grid order, in both the table and the plot (first point on top), so "which loss collapses
less often on the ring" is one picture: each seed a dot (spread vertically so equal values stay visible), the box
the quartiles, the thick tick the median, the whiskers the range. The table gives, per point, the grid values, the
seeds finished, how many ended with every mode covered, and the median of the metric. Everything comes from
``sweep.results.read_sweep`` (plain files, no torch).
"""

from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from gan_studio.gui import theme as th
from gan_studio.sweep.results import COVERAGE_COLUMNS, DONE, FAILED, NONFINITE, PENDING, SweepTable, read_sweep

DEFAULT_METRICS = ("modes_fraction", "modes_reached", "classes", "w1_fast", "js")  # the first one it has is shown
ROW_PX = 22  # the least height of a grid point's row in the plot at 100 % (below it the labels overlap: the plot
# scrolls instead; 30 points at 200 % on 1280×720 overlapped)
PLOT_MARGIN_PX = 120  # the plot's title, key and value axis at 100 %
JITTER = 0.55  # vertical spread of a point's seeds, in rows (the box is as tall)
GOLDEN = 0.6180339887  # seed k sits at frac(k · golden) of the spread: even, and the same on every redraw


def quartiles(values: list[float]) -> tuple[float, float, float, float, float] | None:
    """(min, first quartile, median, third quartile, max) of ``values`` (linear interpolation), None when empty."""
    if not values:
        return None
    q = np.percentile(np.asarray(values, dtype=float), [0, 25, 50, 75, 100])
    return tuple(float(v) for v in q)


def _value_range(metric: str, values: list[float], n_modes: int | None) -> tuple[float, float]:
    """The value axis: a share of modes on its full scale 0–1, a count of modes on 0 to the mode count (so "all
    modes" is the right edge), any other metric over its values."""
    if metric in ("modes_fraction", "all_modes"):
        return 0.0, 1.0
    if metric in COVERAGE_COLUMNS and n_modes:
        return 0.0, float(n_modes)
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def seed_offsets(n: int) -> np.ndarray:
    """Vertical offsets of ``n`` seeds' dots within a row, in [−JITTER/2, JITTER/2)."""
    return ((np.arange(n) * GOLDEN) % 1.0 - 0.5) * JITTER


class SweepView(QtWidgets.QWidget):
    """The table of grid points and the distribution plot of one metric; ``set_metric`` chooses the metric."""

    def __init__(self, table: SweepTable, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent)
        self.sweep, self.theme, self.scale = table, theme, scale
        self.title = QtWidgets.QLabel()
        self.title.setWordWrap(True)
        self.metric_box = QtWidgets.QComboBox()
        self.metric_box.addItems(table.metrics())
        self.metric_label = QtWidgets.QLabel("Metric")
        self.metric_label.setBuddy(self.metric_box)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(self.metric_label)
        bar.addWidget(self.metric_box)
        self.grid_table = QtWidgets.QTableWidget()
        self.grid_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid_table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.grid_table.verticalHeader().setVisible(False)
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot(axisItems=th.readable_axes())
        self.plot.setMenuEnabled(False)
        self.plot.invertY(True)  # the first point on top, as in the table
        self.boxes = pg.BarGraphItem(x0=[], x1=[], y=[], height=JITTER)
        self.whiskers = pg.PlotCurveItem(connect="pairs")
        self.medians = pg.PlotCurveItem(connect="pairs")
        self.dots = pg.ScatterPlotItem()
        for item in (self.boxes, self.whiskers, self.medians, self.dots):
            self.plot.addItem(item)
        self.split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.split.addWidget(self.grid_table)
        self.scroll = QtWidgets.QScrollArea()  # many points at a large view scale: the plot scrolls
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.graphics)
        self.split.addWidget(self.scroll)
        self.split.setStretchFactor(1, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.split, 1)
        first = next((m for m in DEFAULT_METRICS if m in table.metrics()), None)
        if first is not None:
            self.metric_box.setCurrentText(first)
        self.metric_box.currentTextChanged.connect(self.set_metric)
        self.apply_style(theme, scale)

    @property
    def metric(self) -> str:
        """The metric drawn."""
        return self.metric_box.currentText()

    def set_metric(self, metric: str) -> None:
        """Draw the distribution of ``metric`` and its median column (the combo box follows)."""
        if self.metric_box.currentText() != metric:
            self.metric_box.setCurrentText(metric)  # emits currentTextChanged, which comes back here
            return
        self._fill_table()
        self._draw()

    def _summary(self) -> str:
        rows = self.sweep.rows
        finished = sum(r["status"] in (DONE, NONFINITE) for r in rows)
        failed = sum(r["status"] == FAILED for r in rows)
        text = (f"<b>Sweep</b> {self.sweep.folder.name}: {len(self.sweep.points)} points × {self.sweep.seeds} seeds, "
                f"{self.sweep.steps:,} steps; {finished} of {len(rows)} runs finished")
        return text + (f", <span style='color:{self.theme.error}'>{failed} failed</span>" if failed else "")

    def _fill_table(self) -> None:
        sweep, metric = self.sweep, self.metric
        keys = [key for key, _ in sweep.axes]
        headers = [*keys, "all modes", "median", "seeds"]
        table = self.grid_table
        table.clear()
        table.setColumnCount(len(headers))
        table.setRowCount(len(sweep.points))
        table.setHorizontalHeaderLabels(headers)
        for i, point in enumerate(sweep.points):
            rows = sweep.point_rows(point)
            done = [r for r in rows if r["status"] in (DONE, NONFINITE)]
            covered = [r["all_modes"] for r in done if r.get("all_modes") in ("0", "1")]
            values = sweep.values(point, metric)
            cells = [rows[0].get(key, "") if rows else "" for key in keys]
            cells += [f"{covered.count('1')}/{len(covered)}" if covered else "–",
                      f"{np.median(values):.4g}" if values else "–", f"{len(done)}/{len(rows)}"]
            failed = [r for r in rows if r["status"] == FAILED]
            for j, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if j >= len(keys):
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if failed:
                    item.setToolTip(f"{len(failed)} seed(s) failed: {failed[0]['message']}")
                    item.setForeground(pg.mkColor(self.theme.error))
                table.setItem(i, j, item)
        table.horizontalHeaderItem(len(keys)).setToolTip("seeds that ended with every mode covered")
        table.horizontalHeaderItem(len(keys) + 1).setToolTip(f"median of {metric} over the finished seeds")
        table.resizeColumnsToContents()
        table.resizeRowsToContents()
        self._fit_table()

    TABLE_SHARE = 0.4  # the table takes its natural width, at most this share of the view (the plot the rest)

    def _fit_table(self) -> None:
        """Give the table the width of its columns (at most ``TABLE_SHARE`` of the view), the plot the rest."""
        table = self.grid_table
        natural = sum(table.columnWidth(j) for j in range(table.columnCount())) + 2 * table.frameWidth() + 4
        total = max(self.split.width(), 1)
        left = min(natural, int(self.TABLE_SHARE * total))
        self.split.setSizes([left, total - left])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Keep the table at its natural width as the window changes size."""
        super().resizeEvent(event)
        self._fit_table()

    def _draw(self) -> None:
        sweep, metric, theme, scale = self.sweep, self.metric, self.theme, self.scale
        xs, ys, boxes, whiskers, medians, ticks = [], [], [], [], [], []
        for i, point in enumerate(sweep.points):
            values = sweep.values(point, metric)
            statuses = {r["status"] for r in sweep.point_rows(point)}
            state = "" if values else " (failed)" if FAILED in statuses else " (pending)" if PENDING in statuses else ""
            ticks.append((i, sweep.label(point) + state))
            xs += values
            ys += list(i + seed_offsets(len(values)))
            q = quartiles(values)
            if q is None:
                continue
            lo, q1, mid, q3, hi = q
            boxes.append((q1, q3, i))
            whiskers += [(lo, i), (q1, i), (q3, i), (hi, i)]
            medians += [(mid, i - JITTER / 2), (mid, i + JITTER / 2)]
        box = np.array(boxes, dtype=float).reshape(-1, 3)
        self.boxes.setOpts(x0=box[:, 0], x1=box[:, 1], y=box[:, 2], height=JITTER,
                           brush=theme.brush(theme.real, 40), pen=theme.pen(theme.real, 1, scale))
        for curve, segments, width in ((self.whiskers, whiskers, 1.2), (self.medians, medians, 3.0)):
            seg = np.array(segments, dtype=float).reshape(-1, 2)
            curve.setData(seg[:, 0], seg[:, 1], connect="pairs", pen=theme.pen(theme.fg if width > 2 else
                                                                                theme.real, width, scale))
        self.dots.setData(x=np.asarray(xs, dtype=float), y=np.asarray(ys, dtype=float), size=7 * scale,
                          brush=theme.brush(theme.fake, 190), pen=theme.pen(theme.bg, 0.8, 1))
        self.plot.getAxis("left").setTicks([ticks, []])
        self.plot.setYRange(-0.6, len(sweep.points) - 0.4, padding=0)
        lo, hi = _value_range(metric, xs, sweep.n_modes())
        pad = 0.04 * (hi - lo)
        self.plot.setXRange(lo - pad, hi + pad, padding=0)
        th.set_title(self.plot, f"{metric} per grid point", theme, scale,
                     th.key_html([(theme.fake, "seed", "dot"), (theme.real, "quartiles, range", "fill"),
                                  (theme.fg, "median", "tick")], theme, scale))
        th.set_label(self.plot, "bottom", metric, theme, scale)

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Colours and sizes for the theme and view scale, then redraw."""
        self.theme, self.scale = theme, scale
        self.graphics.setBackground(theme.bg)
        self.graphics.setMinimumHeight(int((len(self.sweep.points) * ROW_PX + PLOT_MARGIN_PX) * scale))
        th.style_plot(self.plot, theme, scale)
        self.title.setText(self._summary())
        for widget in (self.title, self.metric_label, self.metric_box, self.grid_table):
            widget.setFont(th.font(10 * scale))
        self.grid_table.horizontalHeader().setFont(th.font(10 * scale, bold=True))
        self._fill_table()
        self._draw()


class SweepWindow(QtWidgets.QMainWindow):
    """A sweep folder in a window of its own (File > Open sweep…)."""

    def __init__(self, table: SweepTable, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent)
        self.view = SweepView(table, theme, scale)
        self.setCentralWidget(self.view)
        self.setWindowTitle(f"GAN Studio — sweep {table.folder}")
        self.resize(1400, 800)


def open_sweep(folder: str | os.PathLike, theme: th.Theme = th.LIGHT, scale: float = 1.0,
               parent=None) -> SweepWindow:
    """A SweepWindow on ``folder`` (not shown yet); a ConfigError naming the file when it is not a sweep folder."""
    return SweepWindow(read_sweep(folder), theme, scale, parent)


def save_png(folder: str | os.PathLike, out_png: str | os.PathLike, size: tuple[int, int] = (1400, 800),
             theme: str = "light", scale: float = 1.0, metric: str | None = None) -> None:
    """Draw the sweep window offscreen at ``size`` and write it as a PNG (to look at it, and for the docs)."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["gan-studio-sweep"])
    th.apply_app_theme(app, th.THEMES[theme], scale)
    window = open_sweep(folder, th.THEMES[theme], scale)
    if metric is not None:
        window.view.set_metric(metric)
    window.resize(*size)
    window.show()
    for _ in range(3):
        app.processEvents()
    window.grab().save(str(out_png), "PNG")
    window.close()
