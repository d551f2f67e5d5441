"""The Seeds tab: a seed ensemble (``train.seeds`` > 1) as small multiples and distributions over its members.

* **Small multiples**: every member's D surface (coarse grid, one colour scale for all) and its samples, up to 4 × 8
  tiles, drawn as ONE image built in NumPy (``tile_mosaic``): 32 scatter items cost ~0.5 ms each per setData, the
  mosaic's one setImage well under that; a tile's label names its seed and modes covered. Click a tile to open that
  member alone (a plain run from its current weights: ``member_clicked``).
* **Each main metric** as the median over members with the inter-quartile band, the members as faint lines.
* **Modes covered**: the histogram over members at the newest measured step.

Frames carry the tiles (``frames.MemberTiles``); rows carry every member's row (``frames.MEMBERS``). The rest of the
window shows the member the frame is of (``shown_rows``). No torch here.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets
from scipy.special import expit

from gan_studio.frames import MEMBERS
from gan_studio.gui import theme as th

MAX_TILES = 32  # 4 rows × 8 columns; a larger ensemble shows its first 32 members (the header says so)
TILE_COLS = 8
TILE_PX = 48  # pixels of one tile in the mosaic (a 16² surface × 3); the view scales the whole mosaic
GAP_PX = 3  # background between tiles
DOT_PX = 2  # a sample is a DOT_PX² square
MAIN_METRICS = (("modes", "modes covered"), ("hq", "% high quality"), ("sw1", "sliced W1"), ("loss_d", "D loss"),
                ("loss_g", "G loss"))  # short titles: a plot is a third of the tab's width
MAX_METRIC_PLOTS = 5  # with the histogram: two rows of three
TILES_MIN_PX = 200  # least height of the tiles at 100 % (4 rows of ~45 px tiles)
METRICS_ROW_MIN_PX = 170  # least height of a row of metric plots at 100 % (title, plot, step axis)
METRIC_COLUMN_MIN_PX = 170  # least width of a metric plot at 100 % (its title, the left axis)
LABEL_ROOM_SEED, LABEL_ROOM_MODES = 3.5, 7.5  # tile width in label-font points needed for "12", for "12 · 3"
LABEL_SCALE_MAX = 1.25  # tile labels grow with the view scale up to this: the tiles do not grow with it


# -- pure helpers (no Qt) ----------------------------------------------------------------------------------------
def shown_rows(rows: list[dict], member: int = 0) -> list[dict]:
    """The rows the single-run views take: member ``member``'s row of every ensemble row, other rows as they are."""
    out = []
    for row in rows:
        members = row.get(MEMBERS)
        out.append(row if members is None else members[min(member, len(members) - 1)])
    return out


def quartiles(values: np.ndarray) -> tuple[float, float, float]:
    """(first quartile, median, third quartile) of the finite values (NaN when none), linear interpolation as
    ``np.percentile``'s default."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return math.nan, math.nan, math.nan
    q1, q2, q3 = np.percentile(finite, (25, 50, 75))
    return float(q1), float(q2), float(q3)


def modes_histogram(modes: np.ndarray, n_modes: int | None) -> np.ndarray:
    """Members per number of modes covered, 0 … n_modes (or the largest value seen); non-finite values skipped."""
    values = np.asarray(modes, dtype=float)
    values = np.rint(values[np.isfinite(values)]).astype(int)
    top = max(int(n_modes or 0), int(values.max()) if values.size else 0)
    return np.bincount(np.clip(values, 0, top), minlength=top + 1)


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, columns) of the tiles for n members (at most MAX_TILES, TILE_COLS per row)."""
    n = min(max(n, 1), MAX_TILES)
    cols = min(n, TILE_COLS)
    return (n + cols - 1) // cols, cols


def tile_origin(k: int, cols: int) -> tuple[int, int]:
    """(row, column) pixel of tile k's top-left corner in the mosaic."""
    r, c = divmod(k, cols)
    return GAP_PX + r * (TILE_PX + GAP_PX), GAP_PX + c * (TILE_PX + GAP_PX)


def tile_at(x: float, y: float, n: int) -> int | None:
    """The member whose tile holds mosaic pixel (x column, y row), None between tiles or outside."""
    rows, cols = grid_shape(n)
    c, cx = divmod(x - GAP_PX, TILE_PX + GAP_PX)
    r, ry = divmod(y - GAP_PX, TILE_PX + GAP_PX)
    if not (0 <= c < cols and 0 <= r < rows and cx < TILE_PX and ry < TILE_PX):
        return None
    k = int(r) * cols + int(c)
    return k if k < min(n, MAX_TILES) else None


def tile_mosaic(fake: np.ndarray, bounds: np.ndarray, surfaces: np.ndarray | None, lut: np.ndarray,
                levels: tuple[float, float], bg: tuple[int, int, int], dot: tuple[int, int, int],
                blank: tuple[int, int, int] | None = None) -> np.ndarray:
    """(H, W, 3) uint8: every member's tile, row 0 on top. ``fake`` (N, m, dim) samples; ``surfaces`` (N, g, g) D as
    drawn (row i at the i-th y from the bottom), coloured through ``lut`` (256, 3) between ``levels``; 2D samples
    are dots, 1D samples a histogram rising from the tile's bottom; ``blank``: a tile without a surface (default bg)."""
    n = min(len(fake), MAX_TILES)
    rows, cols = grid_shape(n)
    out = np.empty((GAP_PX + rows * (TILE_PX + GAP_PX), GAP_PX + cols * (TILE_PX + GAP_PX), 3), dtype=np.uint8)
    out[:] = bg
    lo, hi = levels
    for k in range(n):
        r0, c0 = tile_origin(k, cols)
        tile = out[r0:r0 + TILE_PX, c0:c0 + TILE_PX]
        if surfaces is not None and k < len(surfaces):
            s = np.asarray(surfaces[k], dtype=float)[::-1]  # row 0 of the picture is the top (largest y)
            idx = np.clip((s - lo) / max(hi - lo, 1e-12) * 255, 0, 255)
            colours = lut[np.nan_to_num(idx, nan=127.0).astype(int)]
            reps = (-(-TILE_PX // s.shape[0]), -(-TILE_PX // s.shape[1]))
            tile[:] = np.repeat(np.repeat(colours, reps[0], 0), reps[1], 1)[:TILE_PX, :TILE_PX]
        else:
            tile[:] = bg if blank is None else blank
        points = np.asarray(fake[k], dtype=float)
        points = points[np.isfinite(points).all(1)] if points.size else points
        span = bounds[:, 1] - bounds[:, 0]
        if points.shape[1] == 1:  # 1D: the samples' histogram in TILE_PX bins, heights up to 90 % of the tile
            col = ((points[:, 0] - bounds[0, 0]) / span[0] * TILE_PX).astype(int)
            counts = np.bincount(col[(col >= 0) & (col < TILE_PX)], minlength=TILE_PX)
            heights = (counts / max(counts.max(), 1) * 0.9 * TILE_PX).astype(int)
            for c in np.nonzero(heights)[0]:
                tile[TILE_PX - heights[c]:, c] = dot
            continue
        col = ((points[:, 0] - bounds[0, 0]) / span[0] * TILE_PX).astype(int)
        row = ((1 - (points[:, 1] - bounds[1, 0]) / span[1]) * TILE_PX).astype(int)
        inside = (col >= 0) & (col <= TILE_PX - DOT_PX) & (row >= 0) & (row <= TILE_PX - DOT_PX)
        for dr in range(DOT_PX):
            for dc in range(DOT_PX):
                tile[row[inside] + dr, col[inside] + dc] = dot
    return out


class MemberCurves:
    """Every member's values of one column over the logged steps, with the quartiles per step (kept as rows come,
    so a repaint does no percentile work). Bounded: the oldest half is thinned when ``cap`` steps are held."""

    def __init__(self, cap: int = 4000):
        self.cap = cap
        self.steps: list[float] = []
        self.values: list[np.ndarray] = []  # (N,) per step
        self.bands: list[tuple[float, float, float]] = []

    def add(self, step: float, values: np.ndarray) -> None:
        """One step's member values (NaN where a member has none)."""
        self.steps.append(step)
        self.values.append(values)
        self.bands.append(quartiles(values))
        if len(self.steps) > self.cap:  # keep every second of the older half: the curve's shape stays
            half = self.cap // 2
            for seq in (self.steps, self.values, self.bands):
                seq[:half] = seq[:half:2]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(steps (S,), member values (S, N), quartiles (S, 3): first, median, third)."""
        steps = np.asarray(self.steps, dtype=float)
        return steps, np.array(self.values, dtype=float), np.array(self.bands, dtype=float).reshape(-1, 3)


# -- the view -------------------------------------------------------------------------------------------------------
class EnsembleView(QtWidgets.QWidget):
    """The Seeds tab (see the module docstring). ``member_clicked(k)``: the person clicked member k's tile."""

    member_clicked = QtCore.pyqtSignal(int)

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent)
        self.theme, self.scale = theme, scale
        self.header = QtWidgets.QLabel("")
        self.header.setWordWrap(True)
        self.header.setContentsMargins(8, 4, 8, 2)
        self.tiles_widget = pg.GraphicsLayoutWidget()
        self.tiles_box = self.tiles_widget.addViewBox(row=0, col=0, lockAspect=True, enableMouse=False,
                                                      invertY=True, enableMenu=False)
        self.mosaic = pg.ImageItem(axisOrder="row-major")
        self.tiles_box.addItem(self.mosaic)
        self.outline = QtWidgets.QGraphicsRectItem()  # the member the other tabs show
        self.tiles_box.addItem(self.outline)
        self.labels: list[pg.TextItem] = []
        self.tiles_widget.scene().sigMouseClicked.connect(self._clicked)
        self.key = QtWidgets.QLabel("")  # one colour key for every metric plot (three keys did not fit in each)
        self.key.setContentsMargins(8, 2, 8, 0)
        self.key.setWordWrap(True)  # unwrapped, its width at 200 % set the whole tab's least width
        self.metrics_widget = pg.GraphicsLayoutWidget()
        self.plots: dict[str, tuple] = {}  # column → (plot, members curve, q1, q3, band, median)
        self.hist_plot = pg.PlotItem(axisItems=th.readable_axes())  # placed by _arrange, after the metric plots
        self.columns = 0  # metric plots per row (_arrange: 3, or fewer in a narrow tab)
        self.hist_plot.setMenuEnabled(False)
        self.hist_plot.setMouseEnabled(False, False)
        self.hist = pg.BarGraphItem(x=[0], height=[0], width=0.8)
        self.hist_plot.addItem(self.hist)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.addWidget(self.tiles_widget)
        metrics_box = QtWidgets.QWidget()
        metrics_column = QtWidgets.QVBoxLayout(metrics_box)
        metrics_column.setContentsMargins(0, 0, 0, 0)
        metrics_column.setSpacing(0)
        metrics_column.addWidget(self.key)
        metrics_column.addWidget(self.metrics_widget, 1)
        split.addWidget(metrics_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.header)
        column.addWidget(split, 1)
        self.clear()
        self.apply_style(theme, scale)

    def attach(self, tabs: QtWidgets.QTabWidget) -> None:
        """Add the Seeds tab to ``tabs``, hidden until a frame of an ensemble comes (``draw``). It scrolls when the
        window is small for its scale (at 200 % on 1280×720 the metric plots were squeezed to a few pixels)."""
        self.tabs = tabs
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidget(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        tabs.setTabVisible(tabs.addTab(self.scroll, "Seeds"), False)

    def draw(self, frame, probed: bool = True) -> None:
        """The window's entry point per frame: the tab shows while the run is an ensemble, and is drawn then."""
        ensemble = getattr(frame, "members", None) is not None
        index = self.tabs.indexOf(self.scroll)
        if self.tabs.isTabVisible(index) != ensemble:
            self.tabs.setTabVisible(index, ensemble)
        if ensemble:
            self.update_frame(frame, probed)

    # -- state ----------------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run (a new generation)."""
        self.seeds: tuple[int, ...] = ()
        self.curves: dict[str, MemberCurves] = {}
        self.latest_modes: np.ndarray | None = None
        self.scores: np.ndarray | None = None  # the last probed surfaces (a cheap frame keeps them)
        self.surface_levels: tuple[float, float] | None = None
        self.n_modes: int | None = None
        self.shown = 0
        self.step = 0
        self.dirty_rows = False
        self.mosaic.clear()
        for plot, *_ in self.plots.values():
            self.metrics_widget.removeItem(plot)
        self.plots.clear()

    def add_rows(self, rows: list[dict]) -> None:
        """Take the ensemble rows (others are ignored): each main metric per member, and the modes covered."""
        for row in rows:
            members = row.get(MEMBERS)
            if members is None:
                continue
            for column, _ in MAIN_METRICS:
                values = np.array([_number(m.get(column)) for m in members])
                if not np.isfinite(values).any():
                    continue
                self.curves.setdefault(column, MemberCurves()).add(float(row["step"]), values)
                if column == "modes":
                    self.latest_modes = values
            self.dirty_rows = True

    # -- drawing --------------------------------------------------------------------------------------------
    def update_frame(self, frame, probed: bool = True) -> None:
        """Draw the frame's tiles (``frame.members``) and, when rows came, the metric plots."""
        tiles = frame.members
        if tiles is None:
            return
        self.n_modes = frame.display.n_modes
        if tiles.scores is not None and probed:
            shown = np.asarray(tiles.scores, dtype=float)
            if frame.display.d_view == "probability":
                shown, levels = expit(shown), (0.0, 1.0)
            else:  # one scale for all members, so their surfaces compare
                centre = frame.display.decision_level
                centre = float(np.nanmedian(shown)) if centre is None else centre
                lo, hi = th.symmetric_levels(shown - centre, None if self.surface_levels is None else
                                             tuple(v - centre for v in self.surface_levels))
                levels = (lo + centre, hi + centre)
            self.scores, self.surface_levels = shown, levels
        if tiles.seeds != self.seeds:
            self._layout_tiles(tiles.seeds)
        self.shown, self.step = tiles.shown, frame.step
        energy = frame.display.d_view == "energy"
        lut = self.theme.d_colormap(lower_is_real=energy).getLookupTable(nPts=256, alpha=False)
        picture = tile_mosaic(tiles.fake, np.asarray(frame.bounds, dtype=float), self.scores, lut,
                              self.surface_levels or (0.0, 1.0), self.theme.blend(self.theme.fg, 0.0),
                              self.theme.blend(self.theme.fake, 1.0), self.theme.blend(self.theme.fg, 0.06))
        self.mosaic.setImage(picture, autoLevels=False, levels=(0, 255))
        rows, cols = grid_shape(len(tiles.seeds))
        r0, c0 = tile_origin(min(self.shown, MAX_TILES - 1), cols)
        self.outline.setRect(c0 - 1.5, r0 - 1.5, TILE_PX + 3, TILE_PX + 3)
        self._update_labels()
        self._update_header()
        if self.dirty_rows:
            self.dirty_rows = False
            self._update_metrics()

    def _layout_tiles(self, seeds: tuple[int, ...]) -> None:
        """Labels for n tiles (built once per ensemble size: later frames only set their text)."""
        self.seeds = tuple(seeds)
        for label in self.labels:
            self.tiles_box.removeItem(label)
        self.labels = []
        rows, cols = grid_shape(len(seeds))
        for k in range(min(len(seeds), MAX_TILES)):
            r0, c0 = tile_origin(k, cols)
            label = pg.TextItem("", anchor=(0, 0))
            label.setPos(c0 + 1, r0)
            self.tiles_box.addItem(label)
            self.labels.append(label)
        width, height = GAP_PX + cols * (TILE_PX + GAP_PX), GAP_PX + rows * (TILE_PX + GAP_PX)
        self.tiles_box.setRange(xRange=(0, width), yRange=(0, height), padding=0.01)
        self._style_labels()

    def _update_labels(self) -> None:
        modes = self.latest_modes
        pixel = self.tiles_box.viewPixelSize()[0]
        tile = TILE_PX / pixel if pixel > 0 else 0.0  # a tile's width on screen
        room = tile / (7.0 * min(self.scale, LABEL_SCALE_MAX))  # in label-font points
        for k, label in enumerate(self.labels):
            text = f"{self.seeds[k]}" if room >= LABEL_ROOM_SEED else ""  # small tiles: the seed alone, or nothing
            if room >= LABEL_ROOM_MODES and modes is not None and k < len(modes) and np.isfinite(modes[k]):
                text += f" · {int(round(modes[k]))}"
            if label.toPlainText() != text:
                label.setText(text)

    def _update_header(self) -> None:
        n = len(self.seeds)
        more = f" (the first {MAX_TILES} drawn)" if n > MAX_TILES else ""
        text = (f"<b>{n} seeds</b> ({self.seeds[0]}…{self.seeds[-1]}){more}, step {self.step:,}: D and samples per "
                "seed, labelled <i>seed · modes</i>; the outlined one is drawn in the other tabs. <b>Click a seed "
                "to open it alone.</b>")
        if self.header.text() != text:
            self.header.setText(text)

    def _update_metrics(self) -> None:
        for column, title in MAIN_METRICS:
            curves = self.curves.get(column)
            if curves is None or not curves.steps:
                continue
            if column not in self.plots:
                if len(self.plots) >= MAX_METRIC_PLOTS:
                    continue
                self._add_plot(column, title)
            plot, members, q1, q3, _band, median = self.plots[column]
            steps, values, bands = curves.arrays()
            n = values.shape[1]
            xs = np.concatenate([np.append(steps, np.nan)] * n)  # one curve, the members separated by NaN
            ys = np.concatenate([np.append(values[:, k], np.nan) for k in range(n)])
            members.setData(xs, ys, connect="finite")
            q1.setData(steps, bands[:, 0])
            q3.setData(steps, bands[:, 2])
            median.setData(steps, bands[:, 1])
        if self.latest_modes is not None:
            counts = modes_histogram(self.latest_modes, self.n_modes)
            self.hist.setOpts(x=np.arange(len(counts)), height=counts, width=0.8)
            self.hist_plot.setXRange(-0.6, len(counts) - 0.4, padding=0)
            self.hist_plot.setYRange(0, max(int(counts.max()), 1) * 1.08, padding=0)

    def _add_plot(self, column: str, title: str) -> None:
        plot = pg.PlotItem(axisItems=th.readable_axes())
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        members = pg.PlotCurveItem()
        q1, q3 = pg.PlotCurveItem(), pg.PlotCurveItem()
        band = pg.FillBetweenItem(q1, q3)
        median = pg.PlotCurveItem()
        for item in (members, band, median):
            plot.addItem(item)
        self.plots[column] = (plot, members, q1, q3, band, median)
        self._style_plot(column, title)
        self._arrange(force=True)

    def _arrange(self, force: bool = False) -> None:
        """Place the metric plots and the histogram in rows of 3, or of 2 or 1 when the tab is too narrow for
        their titles at this scale (at 150 % three titles overlapped in a 360 px wide tab)."""
        width = self.metrics_widget.width() / max(self.scale, 0.1)
        columns = 3 if width >= 3 * METRIC_COLUMN_MIN_PX else 2 if width >= 2 * METRIC_COLUMN_MIN_PX else 1
        if columns == self.columns and not force:
            return
        self.columns = columns
        items = [entry[0] for entry in self.plots.values()] + [self.hist_plot]
        for item in items:
            if item in self.metrics_widget.ci.items:
                self.metrics_widget.removeItem(item)
        for i, item in enumerate(items):
            self.metrics_widget.addItem(item, row=i // columns, col=i % columns)
        rows = -(-len(items) // columns)
        self.metrics_widget.setMinimumHeight(int(rows * METRICS_ROW_MIN_PX * self.scale))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Re-arrange the metric plots for the new width."""
        super().resizeEvent(event)
        self._arrange()

    # -- interaction ----------------------------------------------------------------------------------------
    def _clicked(self, event) -> None:
        if not self.seeds:
            return
        point = self.tiles_box.mapSceneToView(event.scenePos())
        k = tile_at(point.x(), point.y(), len(self.seeds))
        if k is not None:
            self.member_clicked.emit(k)

    # -- style ----------------------------------------------------------------------------------------------
    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Colours and sizes for the theme and view scale."""
        self.theme, self.scale = theme, scale
        self.tiles_widget.setMinimumHeight(int(TILES_MIN_PX * scale))
        self._arrange(force=True)
        self.tiles_widget.setBackground(theme.bg)
        self.metrics_widget.setBackground(theme.bg)
        self.outline.setPen(theme.pen(theme.fg, 2, scale))
        th.style_plot(self.hist_plot, theme, scale, "seeds by modes")
        th.set_label(self.hist_plot, "bottom", "modes covered, newest step", theme, scale)
        self.key.setText(th.key_html([(theme.fg, "median over seeds", "line"),
                                      (theme.real, "middle half of the seeds (IQR)", "fill"),
                                      (theme.muted, "each seed", "line")], theme, scale))
        self.hist.setOpts(brush=theme.brush(theme.real, 200), pen=theme.pen(theme.real, 1, scale))
        for column, title in MAIN_METRICS:
            if column in self.plots:
                self._style_plot(column, title)
        self._style_labels()

    def _style_plot(self, column: str, title: str) -> None:
        theme, scale = self.theme, self.scale
        plot, members, q1, q3, band, median = self.plots[column]
        th.style_plot(plot, theme, scale, title)
        members.setPen(theme.pen(theme.muted, 1, 1, alpha=70))
        q1.setPen(None)
        q3.setPen(None)
        band.setBrush(theme.brush(theme.real, 70))
        median.setPen(theme.pen(theme.fg, 2, scale))

    def _style_labels(self) -> None:
        for label in self.labels:
            label.setColor(self.theme.fg)
            label.setFont(th.font(7.0 * min(self.scale, LABEL_SCALE_MAX)))


def _number(value) -> float:
    """A row value as a float (NaN when missing or not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
