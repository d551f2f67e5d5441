"""The Latent tab: the latent plane coloured by where G sends each code (the latent map), G along a straight and a
spherical path between two codes, and inversion (click the data plot: the studio searches for the z that G maps
there, from several starts, and draws the searches).

Left plot: the latent plane (z, or w after a mapping network), each cell in the colour of the mode G sends it to,
grey where G lands between modes (a dead zone); dots: where the latent distribution's codes lie; the two paths
from A to B. Right plot: data space with the modes' centres in the same colours, G along the paths (each point in
the colour of its mode, grey between modes), and the inversion. Mode collapse shows as one colour taking the plane.
"""

from __future__ import annotations

import colorsys

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio.gui import theme as th
from gan_studio.gui.views.scatter import move_points

PATH_STYLE = {"lerp": ("straight", False), "slerp": ("spherical", True)}  # (check box label, dashed)
STACK_BELOW = 1.25  # width / height of the plot area under which the two plots are stacked, not side by side


def mode_colours(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct RGB colours, hues evenly round the wheel in mode order (neighbouring modes of a ring get
    neighbouring hues), saturated and mid-dark enough to read on light and dark grounds."""
    return [tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(i / max(n, 1), 0.72, 0.88)) for i in range(n)]


def label_image(labels: np.ndarray, colours: list[tuple[int, int, int]], dead: tuple[int, int, int]) -> np.ndarray:
    """(gy, gx, 3) uint8: each cell in its mode's colour, ``dead`` where the label is −1 (or out of range)."""
    lab = np.asarray(labels, dtype=int)
    table = np.array([*colours, dead], dtype=np.uint8)  # index −1 reads the last row: dead
    lab = np.where((lab >= 0) & (lab < len(colours)), lab, -1)
    return table[lab]


def pale_where(img: np.ndarray, mask: np.ndarray, bg: tuple[int, int, int], keep: float = 0.35) -> np.ndarray:
    """``img`` (gy, gx, 3) with the cells under ``mask`` faded to ``keep`` of their colour over ``bg``."""
    out = img.astype(np.float64)
    out[mask] = keep * out[mask] + (1 - keep) * np.asarray(bg, dtype=np.float64)
    return np.round(out).astype(np.uint8)


def map_summary(labels: np.ndarray, n_modes: int, nearest: np.ndarray | None = None) -> str:
    """One line on the map: how many modes the plane's codes land nearest (or within reach of, without
    ``nearest``), the largest one's share of the plane, and the share within reach of a mode."""
    lab = np.asarray(labels, dtype=int).ravel()
    near = lab if nearest is None else np.asarray(nearest, dtype=int).ravel()
    if not lab.size:
        return ""
    counts = np.bincount(near[near >= 0], minlength=n_modes)
    reached = int(np.count_nonzero(counts))
    text = f"The plane lands nearest {reached} of {n_modes} modes"
    if reached:
        top = int(np.argmax(counts))
        text += f" · the largest, mode {top + 1}, takes {100 * counts[top] / near.size:.0f} %"
    return text + f" · within reach of a mode (full colour): {100 * float((lab >= 0).mean()):.0f} %"


def _pixel_rect(xs: np.ndarray, ys: np.ndarray | None) -> QtCore.QRectF:
    """The image rectangle whose pixel centres are the grid points (a 1D latent: the band 0 ≤ y ≤ 1)."""
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    if ys is None:
        return QtCore.QRectF(xs[0] - dx / 2, 0.0, xs[-1] - xs[0] + dx, 1.0)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    return QtCore.QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy)


def _polyline(paths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(r, m, 2) paths → x, y with NaN breaks (``connect="finite"``)."""
    pad = np.full((paths.shape[0], 1, 2), np.nan)
    flat = np.concatenate([paths, pad], 1).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _on_line(values: np.ndarray, heights) -> np.ndarray:
    """1D values drawn as points at ``heights`` (a 1D latent or 1D data has no second coordinate)."""
    v = np.asarray(values, dtype=float).reshape(-1)
    return np.column_stack([v, np.broadcast_to(np.asarray(heights, dtype=float), v.shape)])


PANEL_GAP = 0.12  # gap between the per-class maps, as a share of one map's width / height
# each per-class map's title sits inside its top left corner on a pale ground: titles above the maps were clipped
# (top row) or ran into the row above in a small plot (1280×720 at scale 1.5)


def tile_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 of one image (C, H, W), uint8 or float in [0, 1]; one channel is drawn grey."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = np.round(255 * np.clip(img.astype(np.float64), 0.0, 1.0)).astype(np.uint8)
    img = np.transpose(img, (1, 2, 0))
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img[:, :, :3]


def mosaic(images: np.ndarray, pad: int, bg: tuple[int, int, int]) -> np.ndarray:
    """(gy, gx, C, H, W) images → one (gy·(H+pad) + pad, gx·(W+pad) + pad, 3) uint8 picture with ``pad`` pixels of
    ``bg`` between and around them, row 0 of the grid at the *bottom* and each image upright, as a row-major
    ``pg.ImageItem`` draws it with y up (grid row i is the latent map's ys[i], increasing upwards)."""
    gy, gx, _, h, w = images.shape
    out = np.empty((gy * (h + pad) + pad, gx * (w + pad) + pad, 3), dtype=np.uint8)
    out[:] = np.asarray(bg, dtype=np.uint8)
    for i in range(gy):
        for j in range(gx):
            y0, x0 = pad + i * (h + pad), pad + j * (w + pad)
            out[y0:y0 + h, x0:x0 + w] = tile_rgb(images[i, j])[::-1]  # screen rows top-down → y up
    return out


def panel_offsets(n: int, width: float, height: float) -> list[tuple[float, float]]:
    """(dx, dy) of ``n`` equal maps (one per class) in a near-square grid read row by row from the top left; the
    first keeps its own coordinates, the others sit right of and below it with PANEL_GAP between them."""
    cols = max(1, int(np.ceil(np.sqrt(n))))
    return [((k % cols) * width * (1 + PANEL_GAP), -(k // cols) * height * (1 + PANEL_GAP))
            for k in range(n)]


BOARD_COLS = 9  # the image side's width in tiles: the paths' images (latent.IMAGE_PATH_POINTS) in one row
BOARD_REAL = 16  # real images offered for inversion (two rows of eight)


def board_label_height(h: int) -> int:
    """Board pixels above each row of ``image_board`` for its label (images ``h`` pixels high)."""
    return max(h // 2, 6)


def image_board(paths: dict, real: np.ndarray, answer, bg: tuple[int, int, int]):
    """The image side of the Latent tab as one picture: G along each path A → B (one row of tiles per path), the
    real images a click inverts, and an inversion's target, reconstruction and |difference| (twice the size).

    ``paths``: kind → (k, C, H, W) in [0, 1]; ``real``: (n, C, H, W); ``answer``: a ``frames.Inversion`` of an
    image, an int (a pending target's index) or None. Returns (picture (Hc, Wc, 3) uint8 in screen orientation,
    row 0 at the top; hits: [((x0, y0, x1, y1) pixels, screen orientation), what)] with what ("path", kind, j),
    ("real", i) or ("answer",); labels: [(x, y, text)] at the top left of their rows)."""
    h, w = real.shape[2:]
    pad = max(1, w // 8)
    cell_w, cell_h, label_h = w + pad, h + pad, board_label_height(h)
    cols = max(BOARD_COLS, *(len(v) for v in paths.values())) if paths else BOARD_COLS
    real = real[:BOARD_REAL]
    real_cols = min(len(real), 8) or 1
    real_rows = int(np.ceil(len(real) / real_cols))
    rows_h = (len(paths) * (label_h + cell_h) + label_h + real_rows * cell_h + label_h + 2 * cell_h + pad)
    canvas = np.empty((rows_h, cols * cell_w + pad, 3), dtype=np.uint8)
    canvas[:] = np.asarray(bg, dtype=np.uint8)
    hits, labels = [], []
    y = 0

    def put(img, x0, y0, scale=1):
        t = tile_rgb(img)
        if scale > 1:
            t = np.repeat(np.repeat(t, scale, axis=0), scale, axis=1)
        canvas[y0:y0 + t.shape[0], x0:x0 + t.shape[1]] = t
        return x0, y0, x0 + t.shape[1], y0 + t.shape[0]

    for kind, imgs in paths.items():
        labels.append((pad, y, f"{PATH_STYLE.get(kind, (kind,))[0]} path A → B"))
        y += label_h
        for j, img in enumerate(imgs):
            hits.append((put(img, pad + j * cell_w, y), ("path", kind, j)))
        y += cell_h
    labels.append((pad, y, "real images: click one to invert it"))
    y += label_h
    for i, img in enumerate(real):
        hits.append((put(img, pad + (i % real_cols) * cell_w, y + (i // real_cols) * cell_h), ("real", i)))
    y += real_rows * cell_h
    from_answer = answer if answer is not None and not isinstance(answer, int) else None
    if from_answer is not None or isinstance(answer, int):
        labels.append((pad, y, "target · best G(z) · |difference|"))
        y += label_h
        shape = real.shape[1:]
        if from_answer is None:
            put(real[answer], pad, y, 2)
        else:
            target = np.asarray(from_answer.target, float).reshape(shape)
            best = np.asarray(from_answer.x, float).reshape(shape)
            put(target, pad, y, 2)
            hits.append((put(best, pad + 2 * cell_w, y, 2), ("answer",)))
            put(np.abs(target - best), pad + 4 * cell_w, y, 2)
    return canvas, hits, labels


class LatentView(QtWidgets.QWidget):
    """The Latent tab. ``update_frame(frame)`` draws the latent pictures; ``show_inversion(inv)`` an answer;
    ``invert_requested`` carries a clicked data-space point (a tuple of 1 or 2 floats), ``invert_image_requested``
    the index of a clicked real image (image data), ``path_end_picked`` ("a" or "b", the latent code) a click on
    the latent map, a path's image or an inversion's answer (shift+click: B)."""

    invert_requested = QtCore.pyqtSignal(object)
    invert_image_requested = QtCore.pyqtSignal(int)
    path_end_picked = QtCore.pyqtSignal(str, object)

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent)
        self.theme, self.scale = theme, scale
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        bar = QtWidgets.QWidget()  # clipped rather than widening the tab (Ignored width: no minimum)
        bar.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        row = QtWidgets.QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QtWidgets.QLabel("Space:"))
        self.space_z = QtWidgets.QRadioButton("z")
        self.space_w = QtWidgets.QRadioButton("w")
        self.space_z.setToolTip("the latent code z that G is fed")
        self.space_z.setChecked(True)
        self.space_w.setEnabled(False)  # until a frame carries w pictures (model.mapping > 0)
        self.space_w.setToolTip("w = mapping(z), after the mapping network; needs model.mapping > 0")
        self.show_lerp = QtWidgets.QCheckBox(PATH_STYLE["lerp"][0])
        self.show_slerp = QtWidgets.QCheckBox(PATH_STYLE["slerp"][0])
        self.show_lerp.setToolTip("lerp: the straight line a + t(b − a) from code A to code B")
        self.show_slerp.setToolTip("slerp: the great-circle path from A to B (norms stay typical of the latent)")
        for w in (self.space_z, self.space_w, QtWidgets.QLabel("  Paths:"), self.show_lerp, self.show_slerp):
            row.addWidget(w)
        self.show_lerp.setChecked(True)
        self.show_slerp.setChecked(True)
        row.addStretch(1)
        box.addWidget(bar)
        for w in (self.space_z, self.space_w, self.show_lerp, self.show_slerp):
            w.toggled.connect(self.redraw)
        self.glw = pg.GraphicsLayoutWidget()
        self.summary = QtWidgets.QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(QtCore.Qt.TextFormat.RichText)
        # the text scrolls in its own strip the person can resize (as the data tab's "How to read this"): at 200 %
        # its wrapped lines took half the tab and crushed the plots
        text_scroll = QtWidgets.QScrollArea()
        text_scroll.setWidget(self.summary)
        text_scroll.setWidgetResizable(True)
        text_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        text_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.split.addWidget(self.glw)
        self.split.addWidget(text_scroll)
        self.split.setStretchFactor(0, 5)
        self.split.setStretchFactor(1, 1)
        self.split.setCollapsible(0, False)
        self.split.splitterMoved.connect(lambda *_: self._arrange())
        box.addWidget(self.split, 1)
        self.zplot: pg.PlotItem = self.glw.addPlot(row=0, col=0, axisItems=th.readable_axes())
        self.xplot: pg.PlotItem = self.glw.addPlot(row=0, col=1, axisItems=th.readable_axes())
        self.stacked = False  # the plots one above the other (a narrow tab), else side by side
        for p in (self.zplot, self.xplot):
            p.setMenuEnabled(False)
            p.setAspectLocked(True)
        # latent plane
        self.map_image = pg.ImageItem(axisOrder="row-major")
        self.map_image.setZValue(-20)
        self.cloud = pg.ScatterPlotItem(pen=None)
        self.z_paths = {kind: pg.PlotCurveItem() for kind in PATH_STYLE}
        self.z_ends = pg.ScatterPlotItem()
        self.z_search = pg.PlotCurveItem(connect="finite")
        self.z_best = pg.ScatterPlotItem()
        self.note = pg.TextItem("", anchor=(0.5, 0.5))
        self.end_labels = [pg.TextItem(name, anchor=(-0.3, 1.1)) for name in ("A", "B")]
        for item in (self.map_image, self.cloud, *self.z_paths.values(), self.z_search, self.z_ends, self.z_best,
                     self.note, *self.end_labels):
            self.zplot.addItem(item)
        # data space
        self.real = pg.ScatterPlotItem(pen=None)
        self.centres = pg.ScatterPlotItem()
        self.x_paths = {kind: pg.PlotCurveItem() for kind in PATH_STYLE}
        self.x_points = {kind: pg.ScatterPlotItem(pen=None) for kind in PATH_STYLE}
        self.x_ends = pg.ScatterPlotItem()
        self.x_search = pg.PlotCurveItem(connect="finite")
        self.x_link = pg.PlotCurveItem()
        self.target = pg.ScatterPlotItem()
        self.x_best = pg.ScatterPlotItem()
        self.inv_text = pg.TextItem("", anchor=(0, 1))
        for item in (self.real, self.centres, *self.x_paths.values(), *self.x_points.values(), self.x_search,
                     self.x_link, self.x_ends, self.target, self.x_best, self.inv_text):
            self.xplot.addItem(item)
        # image data: the paths' images, the real images to invert and the answer, as one picture (``image_board``)
        self.board = pg.ImageItem(axisOrder="row-major")
        self.board.setZValue(-20)
        self.xplot.addItem(self.board)
        self.board_labels: list[pg.TextItem] = []
        self._board_hits: list = []
        self._board_size = (0, 0)
        self._row_labels: list[pg.TextItem] = []  # the board's row labels (``_fit_board_labels``)
        self.xplot.vb.sigResized.connect(self._fit_board_labels)
        # one map per class (a conditional G drawn for every class): map_image is the first, these the others
        self.panel_images: list[pg.ImageItem] = []
        self.panel_titles: list[pg.TextItem] = []
        self._panels: list[tuple[QtCore.QRectF, object]] = []  # (rect in the plot, its LatentMap) for clicks
        self.glw.scene().sigMouseClicked.connect(self._clicked)
        self.frame = None  # the last frame given (drawn when the tab is shown)
        self.inversion = None  # the last answer, or a pending target (an array) while the worker searches
        self._map_key: tuple | None = None  # the plane the latent plot was last fitted to
        self._data_key: tuple | None = None  # the data bounds the data plot was last fitted to
        self.frames_drawn = 0
        # what each item was last given: a frame redraws only what changed (titles and labels re-lay out the plot
        # and repaint its axes; per-point brushes cost pyqtgraph ~2 ms per 64 points)
        self._last: dict[str, tuple] = {}
        self.apply_style(theme, scale)

    # -- style ----------------------------------------------------------------------------------------------
    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Recolour and resize for a theme and view scale."""
        self.theme, self.scale = theme, scale
        self.glw.setBackground(theme.bg)
        for p in (self.zplot, self.xplot):
            th.style_plot(p, theme, scale)
        self.cloud.setBrush(theme.brush(theme.fg, 90))
        self.cloud.setSize(3 * scale)
        for kind, item in self.z_paths.items():
            item.setPen(theme.pen(theme.fg, 2.6, scale, dash=PATH_STYLE[kind][1]))
        for kind, item in self.x_paths.items():
            item.setPen(theme.pen(theme.fg, 1.8, scale, dash=PATH_STYLE[kind][1], alpha=200))
        for item in self.x_points.values():
            item.setSize(7 * scale)
        for ends in (self.z_ends, self.x_ends):
            ends.setSize(13 * scale)
            ends.setPen(theme.pen(theme.bg, 2, scale))
            ends.setBrush(theme.brush(theme.fg))
        self.real.setBrush(theme.brush(theme.real, 60))
        self.real.setSize(4 * scale)
        self.centres.setSize(16 * scale)
        self.centres.setPen(theme.pen(theme.fg, 1.5, scale))
        self.z_search.setPen(theme.pen(theme.marker, 1.6, scale, alpha=170))
        self.x_search.setPen(theme.pen(theme.marker, 1.6, scale, alpha=170))
        self.x_link.setPen(theme.pen(theme.error, 2.0, scale, dash=True))
        for star in (self.z_best, self.x_best):
            star.setSymbol("star")
            star.setSize(20 * scale)
            star.setBrush(theme.brush(theme.marker))
            star.setPen(theme.pen(theme.bg, 1.5, scale))
        self.target.setSymbol("x")
        self.target.setSize(18 * scale)
        self.target.setBrush(theme.brush(theme.error))
        self.target.setPen(theme.pen(theme.bg, 1, scale))
        self.note.setColor(theme.fg)
        self.note.setFont(th.font(11 * scale, bold=True))
        for label in self.end_labels:
            label.setColor(theme.fg)
            label.setFont(th.font(12 * scale, bold=True))
            label.fill = theme.brush(theme.bg, 170)
        for label in self.panel_titles:
            label.setColor(theme.fg)
            label.fill = theme.brush(theme.bg, 190)
            label.setFont(th.font(9 * scale, bold=True))
        for label in self.board_labels:
            label.setColor(theme.fg)
            label.setFont(th.font(9 * scale))
        self.inv_text.setColor(theme.fg)
        self.inv_text.setFont(th.font(10 * scale, bold=True))
        self.inv_text.fill = theme.brush(theme.bg, 200)  # readable over markers (TextItem has no setter for it)
        self.summary.setStyleSheet(f"color: {theme.fg}; font-size: {10 * scale:.1f}pt;")
        self._last.clear()
        self.redraw()

    # -- input ----------------------------------------------------------------------------------------------
    def _clicked(self, event) -> None:
        """A click on the latent map (or a path's image, or an inversion's answer) makes that code end A of the
        paths, a shift+click end B; a click in the data plot asks for the z that G maps there (image data: a click
        on a real image asks for that image's z)."""
        if event.button() != QtCore.Qt.MouseButton.LeftButton or self.frame is None:
            return
        end = "b" if event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier else "a"
        pos = event.scenePos()
        if self.zplot.vb.sceneBoundingRect().contains(pos):
            p = self.zplot.vb.mapSceneToView(pos)
            self.pick(end, p.x(), p.y())
            return
        if not self.xplot.vb.sceneBoundingRect().contains(pos):
            return
        p = self.xplot.vb.mapSceneToView(pos)
        if self.frame.real.ndim == 4:
            self._board_clicked(end, p.x(), p.y())
        else:
            self.request(p.x(), p.y())

    def code_at(self, x: float, y: float) -> np.ndarray | None:
        """The latent code z under (x, y) of the latent plot (a map cell, or a per-class map's), None outside
        every map or when the map is drawn in w (a click picks z; w follows from it)."""
        if self.space() != "z":
            return None
        for rect, lmap in self._panels:
            if rect.contains(QtCore.QPointF(x, y)):
                origin = self._panels[0][0]
                local = np.array([x - (rect.left() - origin.left()), y - (rect.top() - origin.top())])
                if lmap.basis is not None:
                    return local @ np.asarray(lmap.basis, float)
                return local[:1] if lmap.ys is None else local
        return None

    def pick(self, end: str, x: float, y: float) -> None:
        """Make the code under latent-plot point (x, y) end ``end`` ("a" or "b") of the paths (``code_at``)."""
        code = self.code_at(x, y)
        if code is not None:
            self.path_end_picked.emit(end, tuple(float(v) for v in code))

    def _board_clicked(self, end: str, x: float, y: float) -> None:
        """A click on the image side: a real image asks for its z, a path's image or the answer becomes A / B."""
        sy = self._board_size[0] - y  # the board is drawn with y up; its hits are in screen rows
        for (x0, y0, x1, y1), what in self._board_hits:
            if not (x0 <= x < x1 and y0 <= sy < y1):
                continue
            if what[0] == "real":
                self.invert_image_requested.emit(int(what[1]))
            elif what[0] == "path":
                path = next((p for p in self.frame.latent_paths if p.space == "z" and p.kind == what[1]), None)
                if path is not None:
                    self.path_end_picked.emit(end, tuple(float(v) for v in path.codes[what[2]]))
            elif what[0] == "answer" and not isinstance(self.inversion, (int, np.ndarray, type(None))):
                self.path_end_picked.emit(end, tuple(float(v) for v in self.inversion.z))
            return

    def request(self, x: float, y: float) -> None:
        """Ask for the z of data point (x, y) (just x for 1D data); the window marks it pending (``mark_pending``)."""
        self.invert_requested.emit((float(x),) if self.frame is not None and self.frame.dim == 1
                                   else (float(x), float(y)))

    def mark_pending(self, point) -> None:
        """Mark the target of a request until its answer comes (image data: an int, the real image's index)."""
        self.inversion = int(point) if isinstance(point, int) else np.asarray(point, dtype=float)
        self._draw_inversion()

    # -- drawing --------------------------------------------------------------------------------------------
    def update_frame(self, frame, probed: bool = True) -> None:
        """Keep the frame's latent pictures; draw them when the tab is visible (hidden tabs cost nothing)."""
        if not probed:  # a cheap frame carries no latent pictures: keep the last ones
            return
        self.frame = frame
        if self.isVisible():
            self.redraw()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # once the layout has given the plots their new size; a timer owned by this view, so that it dies with the
        # view (a free single-shot timer fired into a view already deleted at the end of a test: a segfault in CI)
        if not hasattr(self, "_arrange_timer"):
            self._arrange_timer = QtCore.QTimer(self)
            self._arrange_timer.setSingleShot(True)
            self._arrange_timer.timeout.connect(self._arrange)
        self._arrange_timer.start(0)

    def _arrange(self) -> None:
        """Side by side in a wide plot area, one above the other in a narrow one (each keeps a square-ish plot)."""
        size = self.glw.size()
        stacked = size.width() < STACK_BELOW * max(size.height(), 1)
        if stacked != self.stacked:
            self.stacked = stacked
            self.glw.ci.removeItem(self.xplot)
            self.glw.ci.addItem(self.xplot, row=1 if stacked else 0, col=0 if stacked else 1)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.redraw()

    def clear(self) -> None:
        """A new run: forget the last answer."""
        self.inversion = None
        self._draw_inversion()

    def show_inversion(self, inversion) -> None:
        """Draw the answer to an inversion request (``frames.Inversion``)."""
        self.inversion = inversion
        self._draw_inversion()

    def space(self) -> str:
        """The latent space drawn: "w" when chosen and the frame has it, else "z"."""
        return "w" if self.space_w.isChecked() and self.space_w.isEnabled() else "z"

    def redraw(self, *_) -> None:
        """Draw the kept frame (and the inversion) for the chosen space and paths."""
        frame = self.frame
        if frame is None:
            self._set_note("no frame yet")
            return
        has_w = any(m.space == "w" for m in frame.latent_maps) or any(p.space == "w" for p in frame.latent_paths)
        self.space_w.setEnabled(has_w)
        space = self.space()
        self._draw_map(frame, [m for m in frame.latent_maps if m.space == space], space)
        self._draw_paths(frame, space)
        images = frame.real.ndim == 4
        for item in (self.real, self.centres, *self.x_paths.values(), *self.x_points.values(), self.x_ends):
            item.setVisible(not images)
        self.board.setVisible(images)
        if images:
            self._draw_board_text(frame)
        else:
            self._clear_board()
            self._draw_data(frame, next((m for m in frame.latent_maps if m.space == "z"), None))
        self._draw_inversion()
        self.frames_drawn += 1

    def _changed(self, name: str, *values) -> bool:
        """Whether ``values`` (strings, numbers, arrays) differ from those last given under ``name``; stores them."""
        new = tuple(np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in values)
        old = self._last.get(name)
        same = old is not None and len(old) == len(new) and all(
            np.array_equal(a, b) if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) else a == b
            for a, b in zip(old, new, strict=True))
        self._last[name] = new
        return not same

    def _latent_dim(self, frame) -> int | None:
        if frame.latent_paths:
            return int(frame.latent_paths[0].codes.shape[1])
        return None

    def _set_note(self, text: str) -> None:
        if not self._changed("note", text):
            return
        self.note.setText(text)
        self.note.setVisible(bool(text))
        if text:
            r = self.zplot.vb.viewRect()
            self.note.setPos(r.center().x(), r.center().y())

    def _draw_map(self, frame, lmaps: list, space: str) -> None:
        ld = self._latent_dim(frame)
        name = "w" if space == "w" else "z"
        lmap = lmaps[0] if lmaps else None
        images = lmap is not None and lmap.images is not None
        per_class = len(lmaps) > 1
        if self._changed("zplot text", name, ld, images, per_class, lmap is not None and lmap.basis is not None):
            if images:
                what = "G's image at each code"
                key = [(self.theme.fg, f"{name} drawn", "dot")]
            else:
                what = f"Latent map ({name} → mode of G)"
                key = [(self.theme.muted, "faded: out of reach", "fill"), (self.theme.fg, f"{name} drawn", "dot")]
            if per_class:  # short: the long form was clipped at 1280×720, scale 1.5
                what = "G's images per class" if images else f"Latent map per class ({name} → mode)"
            th.set_title(self.zplot, what, self.theme, self.scale, th.key_html(key, self.theme, self.scale))
            sliced = lmap is not None and lmap.basis is not None
            th.set_label(self.zplot, "bottom", "along A" if sliced else f"{name}₁", self.theme, self.scale)
            th.set_label(self.zplot, "left", "towards B, ⟂ A" if sliced else (f"{name}₂" if ld != 1 else ""),
                         self.theme, self.scale)
        if lmap is None:
            self._panels = []
            self._show_panels([])
            self.cloud.setData([], [])
            self._set_summary(self._explain(frame, None))
            if frame.real.ndim == 4:
                self._set_note("G's images are drawn over z only\n(pick z above)")
            elif ld is not None and ld > 2:
                self._set_note(f"the latent map needs a 1- or 2-dimensional latent\n(latent_dim = {ld} here)")
            else:
                self._set_note("the latent map needs data with modes\n(a mixture such as ring8 or grid25)")
            return
        self._set_note("")
        rect = _pixel_rect(np.asarray(lmap.xs), None if lmap.ys is None else np.asarray(lmap.ys))
        offsets = panel_offsets(len(lmaps), rect.width(), rect.height()) if per_class else [(0.0, 0.0)]
        pictures = [self._map_picture(m) for m in lmaps]
        self._panels = [(rect.translated(dx, dy), m) for (dx, dy), m in zip(offsets, lmaps, strict=True)]
        self._show_panels(pictures)
        names = (frame.display.class_names or ()) if frame.display is not None else ()
        for title, (r, m) in zip(self.panel_titles, self._panels, strict=False):
            # the class's name or number only: "class k" overlapped its neighbours' titles at 1280×720, scale 1.5
            title.setText(str(names[m.asked] if 0 <= m.asked < len(names) else m.asked + 1) if per_class else "")
            title.setPos(r.left(), r.bottom())
        codes = np.zeros((0, 2)) if lmap.codes is None else np.asarray(lmap.codes, float)
        pos = codes[:, :2] if codes.shape[1] >= 2 else _on_line(codes[:, 0], 0.2)
        if self._changed("cloud", pos):
            move_points(self.cloud, pos)
        whole = QtCore.QRectF(self._panels[0][0])
        for r, _ in self._panels[1:]:
            whole = whole.united(r)
        key = (space, len(lmaps), tuple(np.round([whole.left(), whole.top(), whole.width(), whole.height()], 4)))
        if self._map_key != key:  # fit the view to a new plane only
            self._map_key = key
            self.zplot.setRange(whole, padding=0.02)
            self.zplot.setAspectLocked(lmap.ys is not None)
            self.zplot.getAxis("left").setStyle(showValues=lmap.ys is not None and not per_class)
            self.zplot.getAxis("bottom").setStyle(showValues=not per_class)
        self._set_summary(self._explain(frame, lmaps))

    def _map_picture(self, lmap) -> np.ndarray:
        """One map as an RGB picture for a row-major ImageItem: small multiples of G's images, or the mode
        colours (each code in its nearest mode's colour, faded where G lands out of that mode's reach)."""
        if lmap.images is not None:
            return mosaic(np.asarray(lmap.images), 1, self.theme.blend(self.theme.bg, 1.0))
        dead = self.theme.blend(self.theme.muted, 0.45)
        colours = mode_colours(lmap.n_modes)
        if lmap.nearest is None:
            return label_image(lmap.labels, colours, dead)
        return pale_where(label_image(lmap.nearest, colours, dead), np.asarray(lmap.labels) < 0,
                          self.theme.blend(self.theme.bg, 1.0))

    def _show_panels(self, pictures: list) -> None:
        """Draw ``pictures`` in ``self._panels``' rects: the first in map_image, the others in extra items."""
        while len(self.panel_images) < len(pictures) - 1:
            item = pg.ImageItem(axisOrder="row-major")
            item.setZValue(-20)
            self.zplot.addItem(item)
            self.panel_images.append(item)
        while len(self.panel_titles) < len(pictures):
            title = pg.TextItem("", anchor=(0, 0), fill=self.theme.brush(self.theme.bg, 190))
            title.setColor(self.theme.fg)
            title.setFont(th.font(9 * self.scale, bold=True))
            self.zplot.addItem(title)
            self.panel_titles.append(title)
        items = [self.map_image, *self.panel_images]
        for k, item in enumerate(items):
            if k < len(pictures):
                item.setImage(pictures[k], autoLevels=False, levels=(0, 255))
                item.setRect(self._panels[k][0])
                item.setVisible(True)
            else:
                item.clear() if k == 0 else item.setVisible(False)
        for k, title in enumerate(self.panel_titles):
            title.setVisible(k < len(pictures) and len(pictures) > 1)

    def _set_summary(self, text: str) -> None:
        if self._changed("summary", text):
            self.summary.setText(text)

    def _draw_paths(self, frame, space: str) -> None:
        shown = {"lerp": self.show_lerp.isChecked(), "slerp": self.show_slerp.isChecked()}
        paths = {p.kind: p for p in frame.latent_paths if p.space == space}
        n_modes = next((m.n_modes for m in frame.latent_maps), 0)
        colours = mode_colours(n_modes)
        dead = self.theme.blend(self.theme.muted, 0.7)
        # a slice of a larger latent: both paths lie in its plane (``latent.slice_basis``), drawn in its coordinates
        basis = next((np.asarray(m.basis, float) for m in frame.latent_maps if m.space == space
                      and m.basis is not None), None)
        images = frame.real.ndim == 4
        ends_z = ends_x = None
        for kind in PATH_STYLE:
            path = paths.get(kind)
            if path is None or not shown[kind]:
                for item in (self.z_paths[kind], self.x_paths[kind]):
                    item.setData([], [])
                self.x_points[kind].setData([], [])
                continue
            codes = np.asarray(path.codes, float)
            if basis is not None and codes.shape[1] == basis.shape[1]:
                codes = codes @ basis.T
            zpos = codes[:, :2] if codes.shape[1] >= 2 else _on_line(codes[:, 0], 0.5)
            if codes.shape[1] <= 2:
                self.z_paths[kind].setData(zpos[:, 0], zpos[:, 1])
            else:
                self.z_paths[kind].setData([], [])
            if images:  # the board draws G's images along the path
                ends_z = zpos[[0, -1]] if codes.shape[1] <= 2 else None
                continue
            pts = np.asarray(path.points, float)
            xpos = pts[:, :2] if pts.shape[1] >= 2 else np.column_stack([pts[:, 0], path.t])
            self.x_paths[kind].setData(xpos[:, 0], xpos[:, 1])
            labels = np.full(len(pts), -2) if path.labels is None else np.asarray(path.labels)
            if self._changed(f"{kind} labels", labels, len(self.x_points[kind].data)):  # new colours: rebuild
                brushes = [pg.mkBrush(*(colours[i] if 0 <= i < len(colours) else dead)) if i > -2
                           else self.theme.brush(self.theme.fake) for i in labels]
                self.x_points[kind].setData(pos=xpos, brush=brushes)
            else:
                move_points(self.x_points[kind], xpos)
            ends_z = zpos[[0, -1]] if codes.shape[1] <= 2 else None
            ends_x = xpos[[0, -1]]
        for item, ends in ((self.z_ends, ends_z), (self.x_ends, ends_x)):
            if item is self.z_ends:
                self._place_end_labels(ends)
            if ends is None:
                item.setData([], [])
            elif len(item.data) == 2:
                move_points(item, ends)
            else:
                item.setData(pos=ends, symbol=["t1", "s"], data=["A", "B"])

    def _place_end_labels(self, ends) -> None:
        """"A" and "B" beside the paths' ends on the latent plot (hidden without ends)."""
        for label, k in zip(self.end_labels, (0, 1), strict=True):
            label.setVisible(ends is not None)
            if ends is not None:
                label.setPos(float(ends[k][0]), float(ends[k][1]))

    def _clear_board(self) -> None:
        if self._board_size != (0, 0):
            self.board.clear()
            self._board_hits, self._board_size = [], (0, 0)
            for label in self.board_labels:
                label.setVisible(False)
            self._data_key = None

    def _draw_board_text(self, frame) -> None:
        """The image side's title (its picture is drawn with the inversion: ``_draw_board``)."""
        if self._changed("xplot text", "images"):
            th.set_title(self.xplot, "G along paths A → B, and inversion", self.theme, self.scale)
            th.set_label(self.xplot, "bottom", "", self.theme, self.scale)
            th.set_label(self.xplot, "left", "", self.theme, self.scale)

    def _draw_board(self) -> None:
        """The image side as one picture (``image_board``) with its row labels; fitted to the plot once per size."""
        frame = self.frame
        paths = {}
        shown = {"lerp": self.show_lerp.isChecked(), "slerp": self.show_slerp.isChecked()}
        real = np.asarray(frame.real)
        for p in frame.latent_paths:
            if p.space == "z" and shown.get(p.kind, False):
                paths[p.kind] = np.asarray(p.points).reshape(len(p.points), *real.shape[1:])
        answer = self.inversion if isinstance(self.inversion, int) or getattr(self.inversion, "image_shape", None) \
            else None
        bg = self.theme.blend(self.theme.bg, 1.0)
        canvas, self._board_hits, labels = image_board(paths, real, answer, bg)
        h, w = canvas.shape[:2]
        self._board_size = (h, w)
        self.board.setImage(canvas[::-1], autoLevels=False, levels=(0, 255))
        self.board.setRect(QtCore.QRectF(0, 0, w, h))
        while len(self.board_labels) < len(labels) + 1:
            label = pg.TextItem("", anchor=(0, 0))
            label.setColor(self.theme.fg)
            label.setFont(th.font(9 * self.scale))
            self.xplot.addItem(label)
            self.board_labels.append(label)
        for label, (x, y, text) in zip(self.board_labels, labels, strict=False):
            label.setText(text)
            label.setPos(x, h - y)
        self._row_labels = self.board_labels[:len(labels)]
        self._fit_board_labels()
        note = self.board_labels[len(labels)]  # the answer's numbers, right of its three tiles
        note.setVisible(False)
        inv = self.inversion
        if getattr(inv, "image_shape", None):
            starts = len(inv.errors)
            hits = int(np.sum(np.asarray(inv.errors) <= 2 * inv.error + 1e-9))
            n = int(np.prod(inv.image_shape))
            note.setText(f"MSE {inv.error ** 2 / n:.3g}\n{hits}/{starts} starts")
        elif isinstance(inv, int):
            note.setText("searching\nfor z…")
        if getattr(inv, "image_shape", None) or isinstance(inv, int):  # right of the answer's tiles
            pad = max(1, real.shape[3] // 8)
            note.setPos(pad + 6 * (real.shape[3] + pad), pad + real.shape[2])
            note.setAnchor((0, 0.5))
            note.setVisible(True)
        for label in self.board_labels[len(labels) + 1:]:
            label.setVisible(False)
        key = ("board", h, w)
        if self._data_key != key:
            self._data_key = key
            self.xplot.setAspectLocked(True)
            for side in ("left", "bottom"):  # a picture: its pixel coordinates mean nothing to the reader
                self.xplot.hideAxis(side)
            self.xplot.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)

    def _fit_board_labels(self, *_) -> None:
        """Show the board's row labels only where their rows are tall enough on screen: they are drawn in screen
        pixels over rows in board pixels, and in a small plot (1280×720 at scale 1.5) they covered the images (the
        text under the plots says what the rows are)."""
        h, w = self._board_size
        if not h or not self.board.isVisible():
            return
        vb = self.xplot.vb
        px = min(vb.width() / w, vb.height() / h)  # screen pixels per board pixel (the aspect is locked)
        tall = px * board_label_height(int(np.asarray(self.frame.real).shape[2]))
        fits = tall >= 0.9 * QtGui.QFontMetricsF(th.font(9 * self.scale)).height()
        for label in self._row_labels:
            label.setVisible(fits)

    def _draw_data(self, frame, zmap) -> None:
        dim = frame.dim
        key = [(self.theme.fg, "straight", "line"), (self.theme.fg, "spherical", "dash")]
        real = np.asarray(frame.real[:, :2], float) if dim == 2 else _on_line(frame.real[:300, 0], -0.08)
        if self._changed("real", real):  # the display sample is fixed for a run
            self.real.setData(pos=real)
        c = np.zeros((0, dim)) if zmap is None or zmap.centres is None else np.asarray(zmap.centres, float)
        if len(c):
            key.insert(0, (self.theme.fg, "modes", "dot"))
        if self._changed("centres", c):
            pos = c[:, :2] if c.shape[1] >= 2 else _on_line(c[:, 0], -0.16)
            self.centres.setData(pos=pos, brush=[pg.mkBrush(*rgb) for rgb in mode_colours(len(c))],
                                 symbol="o" if dim == 2 else "t")
        if self._changed("xplot text", dim, len(key)):
            th.set_title(self.xplot, "G along paths A → B", self.theme, self.scale,
                         th.key_html(key, self.theme, self.scale))
            th.set_label(self.xplot, "bottom", "x₁" if dim == 2 else "x", self.theme, self.scale)
            th.set_label(self.xplot, "left", "x₂" if dim == 2 else "t along the path (0 at A, 1 at B)",
                         self.theme, self.scale)
        b = np.asarray(frame.bounds, float)
        key_b = (dim, tuple(np.round(b.ravel(), 6)))
        if self._data_key != key_b:
            self._data_key = key_b
            self.xplot.setAspectLocked(dim == 2)
            for side in ("left", "bottom"):
                self.xplot.showAxis(side)
            if dim == 2:
                self.xplot.setRange(xRange=b[0], yRange=b[1], padding=0.04)
            else:
                self.xplot.setRange(xRange=b[0], yRange=(-0.25, 1.05), padding=0.02)

    def _draw_inversion(self) -> None:
        inv = self.inversion
        frame = self.frame
        for item in (self.z_search, self.x_search, self.x_link):
            item.setData([], [])
        for item in (self.z_best, self.x_best, self.target):
            item.setData([], [])
        self.inv_text.setText("")
        if frame is not None and frame.real.ndim == 4:  # the board draws an image's inversion
            self._draw_board()
            return
        if inv is None or frame is None or isinstance(inv, int) or getattr(inv, "image_shape", None):
            return
        dim = frame.dim
        row = -0.24  # 1D data: the target and the answer sit under the path plot

        def data_pos(x):
            x = np.asarray(x, float).reshape(-1, dim)
            return x[:, :2] if dim == 2 else _on_line(x[:, 0], row)

        if isinstance(inv, np.ndarray):  # pending: the target, and a note
            self.target.setData(pos=data_pos(inv))
            self._place_text(data_pos(inv)[0], "searching for z…")
            return
        target = data_pos(inv.target)
        self.target.setData(pos=target)
        best = data_pos(inv.x)
        self.x_best.setData(pos=best)
        self.x_link.setData([target[0, 0], best[0, 0]], [target[0, 1], best[0, 1]])
        if dim == 2:
            self.x_search.setData(*_polyline(np.asarray(inv.paths_x, float)[..., :2]))
        ld = inv.paths_z.shape[-1]
        # one map per class: the search ran in one class's plane, not necessarily the first map's: no z drawing
        if self.space() == "z" and ld <= 2 and len(self._panels) <= 1:
            pz = np.asarray(inv.paths_z, float)
            if ld == 1:  # each search on its own row of the band
                r, m = pz.shape[:2]
                heights = np.linspace(0.3, 0.9, r)[:, None, None] * np.ones((r, m, 1))
                pz = np.concatenate([pz, heights], axis=2)
            self.z_search.setData(*_polyline(pz))
            self.z_best.setData(pos=pz[inv.best, -1:, :2])
        starts = len(inv.errors)
        hits = int(np.sum(np.asarray(inv.errors) <= 2 * inv.error + 1e-9))
        self._place_text(target[0], f"error {inv.error:.2g}\n{hits}/{starts} starts")

    def _place_text(self, at: np.ndarray, text: str) -> None:
        """The text beside the target, on the side of the plot with more room."""
        self.inv_text.setText(text)
        centre = self.xplot.vb.viewRect().center().x()
        self.inv_text.setAnchor((1.0, 1.0) if at[0] > centre else (0.0, 1.0))
        self.inv_text.setPos(float(at[0]), float(at[1]))

    def _explain(self, frame, lmaps) -> str:
        """The text under the plots: how to read them, and the map's summary."""
        lmap = lmaps[0] if lmaps else None
        pick = ("<b>Pick A and B</b>: click the latent map (or a path's image, or an inversion's answer) to make "
                "that code A, shift+click to make it B. ")
        if lmap is not None and lmap.images is not None:
            plane = ("The map is a 2D slice of the latent: the plane through the origin, A and B (both paths lie "
                     "in it); its centre holds codes of unusually small norm (typical |z| ≈ √latent_dim), so G is "
                     "rarely trained there. " if lmap.basis is not None else "")
            per_class = ("One small grid per class (the conditional G asked for that class); the paths ask for "
                         "the first class. " if len(lmaps) > 1 else "")
            return ("<b>Map</b>: G's image at each code of the plane, small multiples. " + plane + per_class
                    + "<b>Right</b>, row by row: G along the straight and the spherical path from A to B, real "
                    "images, and an inversion's target, best reconstruction and |difference|. " + pick
                    + "<b>Click a real image</b>: a GAN has no encoder, so its z is searched by gradient descent on "
                    "the pixel squared error from 16 starts; the best reconstruction and the pixel MSE are shown.")
        line = ""
        if lmap is not None and len(lmaps) == 1:
            line = f"<b>{map_summary(lmap.labels, lmap.n_modes, lmap.nearest)}.</b> "
        elif lmap is not None:
            own = [float(np.mean(np.asarray(m.labels) == m.asked)) for m in lmaps]
            line = (f"<b>One map per class (G asked for that class): on average {100 * np.mean(own):.0f} % of "
                    f"each class's plane lands within reach of its own mode; the paths ask for the first "
                    f"class.</b> ")
        return (line + "<b>Map</b>: each code in the colour of the mode nearest to where G sends it; faded: G "
                "lands out of that mode's reach (beyond 3 σ), between modes, where there is no data. "
                "<b>Paths</b>: G from code A to code B, straight (solid) and spherical (dashed); grey points cross "
                "the empty space between modes. " + pick + "<b>Click</b> the data plot: a GAN has no encoder, so z "
                "is searched by gradient descent from several starts (thin lines); ★ is the best reconstruction.")
