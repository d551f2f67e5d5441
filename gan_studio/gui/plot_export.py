"""Save one plot as a PNG or an SVG: a right-click on any plot offers "Save this plot as PNG…" and "…as SVG…".

The plots keep pyqtgraph's own context menu switched off (its zoom and axis entries fight the stepped ranges and
the data view's following), so the menu here is the only one: ``install`` listens for right-clicks on a
GraphicsView's scene that no item took and offers the two entries for the plot under the pointer. The writing is
``export_plot``, which tests call directly; the file dialog only picks the path.

PNG goes through pyqtgraph's ImageExporter, SVG through its SVGExporter (vector paths and text; images such as the
D surface stay embedded pictures), with a work-around for closed paths (``_closed_paths_understood``).
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PyQt6 import QtCore, QtWidgets

FORMATS = ("png", "svg")
PNG_PIXEL_RATIO = 2  # a PNG is written at twice the plot's size on screen: at 100 % a plot is ~500 px wide,
# which is blurry on a slide or in a paper; twice that stays sharp and is still under 1 MB


def plot_title(plot: pg.PlotItem) -> str:
    """The plot's title as plain text ("" when it has none): the key under the title and HTML tags dropped."""
    text = plot.titleLabel.text or ""
    text = re.split(r"<br\s*/?>", text, maxsplit=1)[0]  # the colour key sits under the title's first line
    text = re.sub(r"<[^>]*>", "", text)
    return re.sub(r"&[a-z]+;|&#\d+;", " ", text).strip()


def file_stem(plot: pg.PlotItem, fallback: str = "plot") -> str:
    """A file name for the plot, from its title: lower case, words joined by hyphens ("losses", "js-vs-w1")."""
    words = re.findall(r"[A-Za-z0-9]+", plot_title(plot).lower())
    return "-".join(words[:6]) or fallback


def export_plot(plot: pg.PlotItem, path: str | Path) -> Path:
    """Write ``plot`` to ``path`` as PNG or SVG, chosen by the suffix (``.png`` is added when there is none).

    Raises ``ValueError`` for another suffix and ``OSError`` when the file could not be written."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ValueError(f"cannot save a plot as '.{kind}': use .png or .svg")
    if kind == "svg":
        with _closed_paths_understood():
            pg_exporters.SVGExporter(plot).export(str(path))
    else:
        exporter = pg_exporters.ImageExporter(plot)
        width = max(1, int(plot.sceneBoundingRect().width() * PNG_PIXEL_RATIO))
        exporter.parameters()["width"] = width  # the height follows (the exporter keeps the aspect)
        exporter.export(str(path))
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"nothing was written to '{path}' (is the folder writable?)")
    return path


@contextlib.contextmanager
def _closed_paths_understood():
    """While it lasts, pyqtgraph's SVG exporter accepts paths closed with "Z".

    pyqtgraph 0.14.0 rewrites every path's coordinates token by token and expects each token to be "x,y"; Qt 6.11's
    SVG generator closes rectangles and symbols with a bare "Z", so every plot failed to export (pyqtgraph issue
    #3495: each ViewBox draws such a rectangle, each scatter symbol is one). The "Z"s are taken out before its
    rewriting and put back at their places after it; a pyqtgraph that parses them itself is unaffected."""
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates

    def correct(node, defs, item, options):
        closes = {}
        for path in node.getElementsByTagName("path"):
            tokens = path.getAttribute("d").split()
            where = [i for i, token in enumerate(tokens) if token in ("Z", "z")]
            if where and len(where) < len(tokens):
                closes[path] = where
                path.setAttribute("d", " ".join(t for t in tokens if t not in ("Z", "z")))
        original(node, defs, item, options)
        for path, where in closes.items():
            tokens = path.getAttribute("d").split()
            for i in where:
                tokens.insert(i, "Z")
            path.setAttribute("d", " ".join(tokens))

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def plots_in(view: pg.GraphicsView) -> list[pg.PlotItem]:
    """Every PlotItem in a view's scene, in the order they were added."""
    return [item for item in view.scene().items(QtCore.Qt.SortOrder.AscendingOrder) if isinstance(item, pg.PlotItem)]


def plot_at(view: pg.GraphicsView, scene_pos: QtCore.QPointF) -> pg.PlotItem | None:
    """The plot under a point of the view's scene (None between plots)."""
    for plot in plots_in(view):
        if plot.isVisible() and plot.sceneBoundingRect().contains(scene_pos):
            return plot
    return None


AskPath = Callable[[str, str], str]  # (suggested file name, "png" | "svg") -> chosen path, "" when cancelled
Report = Callable[[str, bool], None]  # (message, is an error)


class PlotExportMenu(QtCore.QObject):
    """The right-click menu of one GraphicsView's plots. ``menu_for(plot)`` builds it (tests trigger its actions);
    ``ask_path`` picks the file, ``report`` tells the person what happened."""

    def __init__(self, view: pg.GraphicsView, ask_path: AskPath, report: Report, name: str = "plot"):
        super().__init__(view)
        self.view, self.ask_path, self.report, self.name = view, ask_path, report, name
        self.menu: QtWidgets.QMenu | None = None  # the menu last shown (kept so it is not garbage-collected)
        view.scene().sigMouseClicked.connect(self._clicked)

    def _clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.RightButton or event.isAccepted():
            return  # another button, or an item that has its own right-click
        plot = plot_at(self.view, event.scenePos())
        if plot is None:
            return
        self.menu = self.menu_for(plot)
        self.menu.popup(event.screenPos().toPoint())

    def menu_for(self, plot: pg.PlotItem) -> QtWidgets.QMenu:
        """The two entries for ``plot``: save as PNG, save as SVG."""
        menu = QtWidgets.QMenu(self.view)
        for kind in FORMATS:
            action = menu.addAction(f"Save this plot as {kind.upper()}…")
            action.setStatusTip(f"write this plot (not the whole window) to a .{kind} file")
            action.triggered.connect(lambda _=False, k=kind: self.save(plot, k))
        return menu

    def save(self, plot: pg.PlotItem, kind: str) -> Path | None:
        """Ask where, then write ``plot`` as ``kind``; the outcome goes to ``report``."""
        path = self.ask_path(f"{file_stem(plot, self.name)}.{kind}", kind)
        if not path:
            return None
        if not Path(path).suffix:
            path = f"{path}.{kind}"
        try:
            written = export_plot(plot, path)
        except (OSError, ValueError) as err:
            self.report(f"could not save the plot: {err}", True)
            return None
        self.report(f"saved the plot to {written}", False)
        return written


def install(view: pg.GraphicsView, ask_path: AskPath, report: Report, name: str = "plot") -> PlotExportMenu:
    """Give every plot of ``view`` the right-click "Save this plot as PNG / SVG" menu."""
    return PlotExportMenu(view, ask_path, report, name)
