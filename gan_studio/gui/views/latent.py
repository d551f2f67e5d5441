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
from PyQt6 import QtCore, QtWidgets

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


class LatentView(QtWidgets.QWidget):
    """The Latent tab. ``update_frame(frame)`` draws the latent pictures; ``show_inversion(inv)`` an answer;
    ``invert_requested`` carries a clicked data-space point (a tuple of 1 or 2 floats)."""

    invert_requested = QtCore.pyqtSignal(object)

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
        for item in (self.map_image, self.cloud, *self.z_paths.values(), self.z_search, self.z_ends, self.z_best,
                     self.note):
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
        self.inv_text.setColor(theme.fg)
        self.inv_text.setFont(th.font(10 * scale, bold=True))
        self.inv_text.fill = theme.brush(theme.bg, 200)  # readable over markers (TextItem has no setter for it)
        self.summary.setStyleSheet(f"color: {theme.fg}; font-size: {10 * scale:.1f}pt;")
        self._last.clear()
        self.redraw()

    # -- input ----------------------------------------------------------------------------------------------
    def _clicked(self, event) -> None:
        """A click in the data plot asks for the z that G maps there."""
        if event.button() != QtCore.Qt.MouseButton.LeftButton or self.frame is None:
            return
        vb = self.xplot.vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        self.request(p.x(), p.y())

    def request(self, x: float, y: float) -> None:
        """Ask for the z of data point (x, y) (just x for 1D data); the window marks it pending (``mark_pending``)."""
        self.invert_requested.emit((float(x),) if self.frame is not None and self.frame.dim == 1
                                   else (float(x), float(y)))

    def mark_pending(self, point) -> None:
        """Mark the target of a request until its answer comes."""
        self.inversion = np.asarray(point, dtype=float)
        self._draw_inversion()

    # -- drawing --------------------------------------------------------------------------------------------
    def update_frame(self, frame, probed: bool = True) -> None:
        """Keep the frame's latent pictures; draw them when the tab is visible (hidden tabs cost nothing)."""
        if not probed or frame.real.ndim == 4:
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
        maps = {m.space: m for m in frame.latent_maps}
        has_w = "w" in maps or any(p.space == "w" for p in frame.latent_paths)
        self.space_w.setEnabled(has_w)
        space = self.space()
        self._draw_map(frame, maps.get(space), space)
        self._draw_paths(frame, space)
        self._draw_data(frame, maps.get("z"))
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

    def _draw_map(self, frame, lmap, space: str) -> None:
        ld = self._latent_dim(frame)
        name = "w" if space == "w" else "z"
        if self._changed("zplot text", name, ld):
            th.set_title(self.zplot, f"Latent map ({name} → mode of G)", self.theme, self.scale,
                         th.key_html([(self.theme.muted, "faded: out of reach", "fill"),
                                      (self.theme.fg, f"{name} drawn", "dot")], self.theme, self.scale))
            th.set_label(self.zplot, "bottom", f"{name}₁", self.theme, self.scale)
            th.set_label(self.zplot, "left", f"{name}₂" if ld != 1 else "", self.theme, self.scale)
        if lmap is None:
            self.map_image.clear()
            self.cloud.setData([], [])
            self._set_summary(self._explain(frame, None))
            if ld is not None and ld > 2:
                self._set_note(f"the latent map needs a 1- or 2-dimensional latent\n(latent_dim = {ld} here)")
            else:
                self._set_note("the latent map needs data with modes\n(a mixture such as ring8 or grid25)")
            return
        self._set_note("")
        dead = self.theme.blend(self.theme.muted, 0.45)
        colours = mode_colours(lmap.n_modes)
        if lmap.nearest is None:
            img = label_image(lmap.labels, colours, dead)
        else:  # every code in its nearest mode's colour, faded where G lands out of that mode's reach
            img = pale_where(label_image(lmap.nearest, colours, dead), np.asarray(lmap.labels) < 0,
                             self.theme.blend(self.theme.bg, 1.0))
        self.map_image.setImage(img, autoLevels=False, levels=(0, 255))
        rect = _pixel_rect(np.asarray(lmap.xs), None if lmap.ys is None else np.asarray(lmap.ys))
        self.map_image.setRect(rect)
        codes = np.zeros((0, 2)) if lmap.codes is None else np.asarray(lmap.codes, float)
        pos = codes[:, :2] if codes.shape[1] >= 2 else _on_line(codes[:, 0], 0.2)
        if self._changed("cloud", pos):
            move_points(self.cloud, pos)
        key = (space, tuple(np.round([rect.left(), rect.top(), rect.width(), rect.height()], 4)))
        if self._map_key != key:  # fit the view to a new plane only
            self._map_key = key
            self.zplot.setRange(rect, padding=0.02)
            self.zplot.setAspectLocked(lmap.ys is not None)
            self.zplot.getAxis("left").setStyle(showValues=lmap.ys is not None)
        self._set_summary(self._explain(frame, lmap))

    def _set_summary(self, text: str) -> None:
        if self._changed("summary", text):
            self.summary.setText(text)

    def _draw_paths(self, frame, space: str) -> None:
        shown = {"lerp": self.show_lerp.isChecked(), "slerp": self.show_slerp.isChecked()}
        paths = {p.kind: p for p in frame.latent_paths if p.space == space}
        n_modes = next((m.n_modes for m in frame.latent_maps), 0)
        colours = mode_colours(n_modes)
        dead = self.theme.blend(self.theme.muted, 0.7)
        ends_z = ends_x = None
        for kind in PATH_STYLE:
            path = paths.get(kind)
            if path is None or not shown[kind]:
                for item in (self.z_paths[kind], self.x_paths[kind]):
                    item.setData([], [])
                self.x_points[kind].setData([], [])
                continue
            codes = np.asarray(path.codes, float)
            zpos = codes[:, :2] if codes.shape[1] >= 2 else _on_line(codes[:, 0], 0.5)
            if codes.shape[1] <= 2:
                self.z_paths[kind].setData(zpos[:, 0], zpos[:, 1])
            else:
                self.z_paths[kind].setData([], [])
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
            if ends is None:
                item.setData([], [])
            elif len(item.data) == 2:
                move_points(item, ends)
            else:
                item.setData(pos=ends, symbol=["t1", "s"], data=["A", "B"])

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
        if inv is None or frame is None:
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
        if self.space() == "z" and ld <= 2:
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

    def _explain(self, frame, lmap) -> str:
        """The text under the plots: how to read them, and the map's summary."""
        line = "" if lmap is None else f"<b>{map_summary(lmap.labels, lmap.n_modes, lmap.nearest)}.</b> "
        return (line + "<b>Map</b>: each code in the colour of the mode nearest to where G sends it; faded: G "
                "lands out of that mode's reach (beyond 3 σ), between modes, where there is no data. "
                "<b>Paths</b>: G from code A to code B, straight (solid) and spherical (dashed); grey points cross "
                "the empty space between modes. <b>Click</b> the data plot: a GAN has no encoder, so z is searched "
                "by gradient descent from several starts (thin lines); ★ is the best reconstruction.")
