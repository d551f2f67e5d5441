"""Draw your own data: a brush in the data view paints points, and the drawing becomes the data set.

Three parts, each testable alone:

- ``DrawnPoints``: the drawing (pure NumPy). A dab adds ``size`` points around the pointer, spread by a Gaussian
  of standard deviation ``spread`` (data units); erase removes the points within ``spread`` × 2 of the pointer;
  undo takes back one stroke (press to release) or one clear; the drawing holds at most ``MAX_POINTS``.
- ``BrushTool``: while the brush is on, left-button presses and drags over a plot paint (or erase) there instead
  of panning it; the drawing is shown over the plot as its own layer. In 2D the dabs are where the pointer is; in
  1D (the density plot) only their x counts and they are shown as a rug along the axis.
- ``BrushBar``: the controls over the data view (Draw, Erase, size, spread, Undo, Clear, Train on it).

"Train on it" saves the drawing as an ordinary points file (``save_points``: ``drawn-<hash>.npy`` in
``runs.recordings_root()/drawn``, named by its content so the same drawing is one file). A run already on a points
file of the same dimension takes it at once, as a live change (issue 14): ``data.path`` = that file between two
steps, nets and optimizers kept, recorded as an event ``{step, what: "data.path", old, new}`` (a marker in the
time series); the run folder keeps a copy of the file (``data-<step>.npy``) that the event names, so
``gan-studio run --config <run>/config.toml --events <run>/events.jsonl`` replays the run with the drawing coming
in at that step. Any other run (toy or image data, another dimension: ``schedule.check_data_change``) restarts on
``data.name = file`` with ``data.path`` = that file, as File… does; the run folder keeps its own copy of the file
(``runs.keep_data``: ``data.npy``), so it replays when moved elsewhere. Opening a run on a points file puts its
points back into the drawing (``DrawnPoints.replace``), to draw on.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from gan_studio.gui import theme as th
from gan_studio.gui.flow import FlowLayout

MAX_POINTS = 20_000  # a drawing's largest size: the points file is sampled with replacement, so more adds
# nothing a batch can see, and 20,000 points redraw in ~3 ms (ScatterPlotItem measured 2.5–3 ms for 2,000 drawn)
UNDO_DEPTH = 50  # strokes undo can take back
DEFAULT_SIZE = 8  # points per dab
DEFAULT_SPREAD = 0.1  # data units: about a mode's width in the shipped 2D sets (ring8's std is 0.02–0.15)


class DrawnPoints:
    """The points drawn so far, of dimension ``dim`` (1 or 2); see the module docstring."""

    def __init__(self, dim: int = 2, seed: int = 0):
        self.dim = dim
        self.points = np.zeros((0, dim))
        self.rng = np.random.default_rng(seed)
        self._undo: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.points)

    def begin_stroke(self) -> None:
        """Remember the drawing as it is, so that undo can come back to it."""
        self._undo.append(self.points)
        del self._undo[:-UNDO_DEPTH]

    def dab(self, centre, size: int = DEFAULT_SIZE, spread: float = DEFAULT_SPREAD) -> int:
        """Add ``size`` points ~ N(centre, spread²) (only ``centre``'s first ``dim`` numbers count); returns how
        many were added (fewer once the drawing reaches MAX_POINTS)."""
        room = MAX_POINTS - len(self.points)
        n = max(0, min(int(size), room))
        if n == 0:
            return 0
        centre = np.asarray(centre, dtype=np.float64)[: self.dim]
        new = centre + spread * self.rng.standard_normal((n, self.dim))
        self.points = np.concatenate([self.points, new])
        return n

    def erase(self, centre, radius: float) -> int:
        """Remove the points within ``radius`` of ``centre``; returns how many went."""
        if len(self.points) == 0:
            return 0
        centre = np.asarray(centre, dtype=np.float64)[: self.dim]
        keep = np.linalg.norm(self.points - centre, axis=1) > radius
        gone = int((~keep).sum())
        self.points = self.points[keep]
        return gone

    def undo(self) -> bool:
        """Back to before the last stroke or clear; False when there is nothing to undo."""
        if not self._undo:
            return False
        self.points = self._undo.pop()
        return True

    def clear(self) -> None:
        """No points (undo brings them back)."""
        self.begin_stroke()
        self.points = np.zeros((0, self.dim))

    def replace(self, points: np.ndarray) -> None:
        """The drawing becomes ``points`` (N×1 or N×2; the first MAX_POINTS of them), e.g. an opened run's data;
        undo comes back to the drawing before when it had the same dimension."""
        points = np.asarray(points, dtype=np.float64)[:MAX_POINTS]
        if points.shape[1] == self.dim:
            self.begin_stroke()
        else:
            self.reset(points.shape[1])
        self.points = points

    def reset(self, dim: int) -> None:
        """An empty drawing of dimension ``dim``, with no undo history (the data view changed dimension)."""
        self.dim = dim
        self.points = np.zeros((0, dim))
        self._undo.clear()


def save_points(points: np.ndarray, folder: str | Path, prefix: str = "drawn") -> Path:
    """Write ``points`` (N×1 or N×2) as ``folder/<prefix>-<hash>.npy`` (atomic; the name is the content's, so the
    same drawing is written once); returns the path."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(f"{points.shape}".encode() + points.tobytes()).hexdigest()[:12]
    path = folder / f"{prefix}-{digest}.npy"
    if not path.exists():
        tmp = folder / f".{path.name}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            np.save(f, points, allow_pickle=False)
        os.replace(tmp, path)
    return path


class BrushTool(QtCore.QObject):
    """Paints into ``drawing`` with the left button over ``plot`` (in ``view``) while ``enabled``."""

    changed = QtCore.pyqtSignal()

    def __init__(self, view: pg.GraphicsView, plot: pg.PlotItem, drawing: DrawnPoints, dim: int):
        super().__init__(view)
        self.view, self.plot, self.drawing, self.dim = view, plot, drawing, dim
        self.enabled = False
        self.erasing = False
        self.size, self.spread = DEFAULT_SIZE, DEFAULT_SPREAD
        self._down = False
        self._last: np.ndarray | None = None  # where the last dab of this stroke went (data units)
        self.layer = pg.ScatterPlotItem(pen=None, symbol="o" if dim == 2 else "|")
        self.layer.setZValue(50)
        plot.addItem(self.layer)
        self.layer.setVisible(False)
        view.viewport().installEventFilter(self)

    def set_enabled(self, on: bool) -> None:
        """Brush on: left-drags paint; off: they pan the plot again, and the drawing layer is hidden."""
        self.enabled = on
        self.plot.vb.setMouseEnabled(x=not on, y=not on)
        self.redraw()

    def style(self, theme: th.Theme, scale: float) -> None:
        """The drawing's colour and symbol size for the theme and view scale."""
        self.theme, self.scale = theme, scale
        # the theme's marker purple: apart from the real (blue) and generated (orange) points it is drawn over
        # 1D: translucent ticks, so that where many lie on top of each other reads darker (a density by eye)
        rug = pg.mkColor(theme.marker)
        rug.setAlpha(90)
        self.layer.setBrush(pg.mkBrush(rug if self.dim == 1 else theme.marker))
        self.layer.setPen(pg.mkPen(rug, width=1.5 * scale) if self.dim == 1 else pg.mkPen(theme.bg, width=0.5))
        self.layer.setSize((14 if self.dim == 1 else 6) * scale)

    def to_data(self, pos: QtCore.QPointF) -> np.ndarray:
        """A viewport position in the plot's data units."""
        p = self.plot.vb.mapSceneToView(self.view.mapToScene(pos.toPoint()))
        return np.array([p.x(), p.y()])

    def stroke(self, path) -> None:
        """One stroke along ``path`` (data-unit points), as a drag would paint or erase it (tests call this)."""
        self.drawing.begin_stroke()
        self._last = None
        for p in path:
            self._apply(np.asarray(p, dtype=np.float64))
        self.redraw()
        self.changed.emit()

    def _apply(self, p: np.ndarray) -> None:
        # a dab each time the pointer has moved half a spread: a slow drag does not pile points on one spot
        if self._last is not None and np.linalg.norm((p - self._last)[: self.dim]) < 0.5 * self.spread:
            return
        self._last = p
        if self.erasing:
            self.drawing.erase(p, 2 * self.spread)
        else:
            self.drawing.dab(p, self.size, self.spread)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        kind = event.type()
        types = QtCore.QEvent.Type
        if not self.enabled or kind not in (types.MouseButtonPress, types.MouseMove, types.MouseButtonRelease):
            return False  # checked first: the view may be half destroyed when the window closes
        if kind == types.MouseButtonPress and event.button() == QtCore.Qt.MouseButton.LeftButton:
            if not self.plot.vb.sceneBoundingRect().contains(self.view.mapToScene(event.position().toPoint())):
                return False
            self._down = True
            self.drawing.begin_stroke()
            self._last = None
            self._apply(self.to_data(event.position()))
            self.redraw()
            return True
        if kind == types.MouseMove and self._down:
            self._apply(self.to_data(event.position()))
            self.redraw()
            return True
        if kind == types.MouseButtonRelease and self._down and event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._down = False
            self.changed.emit()
            return True
        return False

    def redraw(self) -> None:
        """Show the drawing (while the brush is on)."""
        pts = self.drawing.points
        self.layer.setVisible(self.enabled and self.drawing.dim == self.dim)
        if not self.layer.isVisible():
            return
        if self.dim == 1:
            self.layer.setData(x=pts[:, 0], y=np.zeros(len(pts)))
        else:
            self.layer.setData(pos=pts)


def _labelled(text: str, field: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """A label and its field kept together (the bar wraps between such pairs, never inside one)."""
    box = QtWidgets.QWidget()
    pair = QtWidgets.QHBoxLayout(box)
    pair.setContentsMargins(0, 0, 0, 0)
    pair.addWidget(QtWidgets.QLabel(text))
    pair.addWidget(field)
    return box


class BrushBar(QtWidgets.QWidget):
    """The brush's controls over the data view; ``train`` is emitted with the drawing's points."""

    train = QtCore.pyqtSignal(object)

    def __init__(self, tools: list[BrushTool], drawing: DrawnPoints, parent=None):
        super().__init__(parent)
        self.tools, self.drawing = tools, drawing
        row = FlowLayout(self)  # wraps onto a second row rather than widen the data view
        row.setContentsMargins(6, 3, 6, 3)
        self.draw = QtWidgets.QPushButton("Draw data")
        self.draw.setCheckable(True)
        self.draw.setToolTip("paint your own data set in the data view: drag to add points (the view stops panning)")
        self.erase = QtWidgets.QPushButton("Erase")
        self.erase.setCheckable(True)
        self.erase.setToolTip("drag to remove drawn points")
        self.size = QtWidgets.QSpinBox()
        self.size.setRange(1, 100)
        self.size.setValue(DEFAULT_SIZE)
        self.size.setToolTip("points added per dab")
        self.spread = QtWidgets.QDoubleSpinBox()
        self.spread.setDecimals(2)
        self.spread.setRange(0.01, 5.0)
        self.spread.setSingleStep(0.05)
        self.spread.setValue(DEFAULT_SPREAD)
        self.spread.setToolTip("how far the points of a dab scatter round the pointer (standard deviation, data "
                               "units); the eraser's radius is twice this")
        self.undo = QtWidgets.QPushButton("Undo")
        self.clear = QtWidgets.QPushButton("Clear")
        self.use = QtWidgets.QPushButton("Train on it")
        self.use.setToolTip("train on the drawn points: a run on a points file of the same dimension takes them "
                            "at once (a marked event; its folder keeps them, so gan-studio run --events replays "
                            "it), any other run restarts on them")
        self.count = QtWidgets.QLabel("")
        self.size_box, self.spread_box = _labelled("size", self.size), _labelled("spread", self.spread)
        for w in (self.draw, self.erase, self.size_box, self.spread_box, self.undo, self.clear, self.use, self.count):
            row.addWidget(w)
        self.draw.toggled.connect(self._toggled)
        self.erase.toggled.connect(self._settings)
        self.size.valueChanged.connect(self._settings)
        self.spread.valueChanged.connect(self._settings)
        self.undo.clicked.connect(self._undo)
        self.clear.clicked.connect(self._clear)
        self.use.clicked.connect(lambda: self.train.emit(self.drawing.points.copy()))
        for tool in tools:
            tool.changed.connect(self.refresh)
        self._toggled(False)

    def _toggled(self, on: bool) -> None:
        for w in (self.erase, self.size_box, self.spread_box, self.undo, self.clear, self.use, self.count):
            w.setVisible(on)
        for tool in self.tools:
            tool.set_enabled(on)
        self.refresh()

    def _settings(self, *_) -> None:
        for tool in self.tools:
            tool.erasing, tool.size, tool.spread = self.erase.isChecked(), self.size.value(), self.spread.value()

    def _undo(self) -> None:
        if self.drawing.undo():
            self.refresh()

    def _clear(self) -> None:
        self.drawing.clear()
        self.refresh()

    def set_dim(self, dim: int) -> None:
        """The data view now shows ``dim``-dimensional data: a drawing of another dimension starts afresh."""
        if dim != self.drawing.dim:
            self.drawing.reset(dim)
            self.refresh()

    def refresh(self) -> None:
        """Redraw the drawing and say how many points it has."""
        for tool in self.tools:
            tool.redraw()
        n = len(self.drawing)
        self.count.setText(f"{n:,} points" + (" (the most a drawing holds)" if n >= MAX_POINTS else ""))
        self.use.setEnabled(n >= 2)  # a points file needs at least 2 rows
