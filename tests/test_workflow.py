"""Workflow features of issue 14: a plot saved on its own as PNG or SVG (right-click menu); data drawn with a
brush that becomes the data set and replays from the run's record."""

from __future__ import annotations

import importlib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio import config
from gan_studio.data.points_file import load_points_file
from gan_studio.gui import plot_export
from gan_studio.gui.brush import MAX_POINTS, DrawnPoints, save_points
from gan_studio.worker.protocol import Restart, Step

SVG = "{http://www.w3.org/2000/svg}"


def _pixels(path) -> np.ndarray:
    img = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    return np.frombuffer(img.constBits().asstring(img.sizeInBytes()), dtype=np.uint8)


# -- per-plot export --------------------------------------------------------------------------------------------
def test_a_right_click_on_a_plot_offers_png_and_svg_of_that_plot(make_window, qtbot):
    w = make_window()
    view = w.series
    plot = w.series.js.plot
    centre = view.mapFromScene(plot.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.RightButton, pos=centre)
    menu = next(m for m in w.plot_menus if m.view is view).menu
    assert menu is not None
    assert [a.text() for a in menu.actions()] == ["Save this plot as PNG…", "Save this plot as SVG…"]
    menu.close()
    # a left click is not a menu
    other = next(m for m in w.plot_menus if m.view is w.view2d)
    qtbot.mouseClick(w.view2d.viewport(), QtCore.Qt.MouseButton.LeftButton,
                     pos=w.view2d.mapFromScene(w.view2d.plot.sceneBoundingRect().center()))
    assert other.menu is None


def test_every_plot_saves_as_a_readable_png_and_an_svg_with_its_items(make_window, qtbot, tmp_path):
    w = make_window()
    w.send(Step(60))
    qtbot.waitUntil(lambda: w.step == 60 and not w.dirty, timeout=10000)
    w.series.update_history(w.history)  # every plot drawn, not one a paint
    asked = []

    def ask(name, kind):
        asked.append((name, kind))
        return str(tmp_path / f"{len(asked)}-{name}")

    for menu in w.plot_menus:
        menu.ask_path = ask
    series_menu = next(m for m in w.plot_menus if m.view is w.series)
    for panel in w.series.panels:
        for action in series_menu.menu_for(panel.plot).actions():
            action.trigger()
    names = [name for name, _ in asked]
    assert names[:4] == ["losses.png", "losses.svg", "mean-d-score.png", "mean-d-score.svg"]
    assert len(asked) == 2 * len(w.series.panels)
    for i, (name, kind) in enumerate(asked, start=1):
        path = tmp_path / f"{i}-{name}"
        assert path.is_file(), path
        if kind == "png":
            img = QtGui.QImage(str(path))
            plot = w.series.panels[(i - 1) // 2].plot
            # written at PNG_PIXEL_RATIO × the plot's size on screen (±1 px of rounding)
            assert img.width() == pytest.approx(plot_export.PNG_PIXEL_RATIO * plot.sceneBoundingRect().width(), abs=1)
            assert _pixels(path).std() > 10  # not a blank picture
        else:
            root = ET.parse(path).getroot()  # valid XML, or this raises
            assert root.tag == f"{SVG}svg"
            title = plot_export.plot_title(w.series.panels[(i - 1) // 2].plot)
            texts = " ".join("".join(t.itertext()).strip() for t in root.iter(f"{SVG}text"))
            assert title and title in texts  # the plot's title is text in the file, not pixels
            assert "step" in texts  # and so is its step axis' label
    # the losses plot's curves are vector lines in the SVG
    losses_svg = ET.parse(tmp_path / "2-losses.svg").getroot()
    assert len(list(losses_svg.iter(f"{SVG}polyline"))) + len(list(losses_svg.iter(f"{SVG}path"))) >= 2
    assert "saved the plot to" in w.status_message.text()


def test_the_data_view_saves_its_points_as_vector_symbols(make_window, qtbot, tmp_path):
    w = make_window()
    w.send(Step(10))
    qtbot.waitUntil(lambda: w.step == 10 and not w.dirty, timeout=10000)
    svg_module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    rewrite = svg_module.correctCoordinates
    out = plot_export.export_plot(w.view2d.plot, tmp_path / "data.svg")
    assert svg_module.correctCoordinates is rewrite  # the closed-path work-around ends with the export
    root = ET.parse(out).getroot()
    shown = len(w.view2d.real.data) + len(w.view2d.fake.data)
    assert shown == 800
    # each real and generated point is one vector symbol (the screen caches them as pixmaps; the file must not)
    assert len(list(root.iter(f"{SVG}path"))) >= shown
    png = plot_export.export_plot(w.view2d.plot, tmp_path / "data")  # no suffix: a PNG
    assert png.suffix == ".png" and not QtGui.QImage(str(png)).isNull()
    assert w.view2d.real.cacheMode() == w.view2d.real.CacheMode.DeviceCoordinateCache  # restored after the export


def test_a_plot_refuses_other_formats_and_unwritable_folders(make_window, tmp_path):
    w = make_window()
    with pytest.raises(ValueError, match=r"cannot save a plot as '\.jpg': use \.png or \.svg"):
        plot_export.export_plot(w.series.losses.plot, tmp_path / "x.jpg")
    menu = w.plot_menus[0]
    menu.ask_path = lambda name, kind: str(tmp_path / "no-such-folder" / name)
    assert menu.save(w.view2d.plot, "png") is None
    assert w.status_message.text().startswith("could not save the plot")
    menu.ask_path = lambda name, kind: ""  # cancelled: nothing written, nothing said
    w.clear_message()
    assert menu.save(w.view2d.plot, "svg") is None and w.status_message.text() == ""


# -- draw your own data -----------------------------------------------------------------------------------------
def test_a_dab_scatters_its_points_round_the_pointer_and_erase_undo_clear_work():
    drawing = DrawnPoints(dim=2, seed=1)
    assert drawing.dab((1.0, -2.0, 99.0), size=2000, spread=0.1) == 2000  # a 2D drawing reads x and y only
    # 2,000 draws of N(centre, 0.1²): the mean's standard error is 0.1/√2000 = 0.0022 (0.01 is 4.5 of them); the
    # standard deviation's relative standard error is 1/√(2·2000) = 1.6 % (6 % is 3.8 of them)
    assert drawing.points.mean(0) == pytest.approx([1.0, -2.0], abs=0.01)
    assert drawing.points.std(0) == pytest.approx([0.1, 0.1], rel=0.06)
    drawing.begin_stroke()
    inside = int((np.linalg.norm(drawing.points - [1.0, -2.0], axis=1) <= 0.1).sum())
    assert drawing.erase((1.0, -2.0), 0.1) == inside and len(drawing) == 2000 - inside
    assert np.all(np.linalg.norm(drawing.points - [1.0, -2.0], axis=1) > 0.1)
    assert drawing.undo() and len(drawing) == 2000
    drawing.clear()
    assert len(drawing) == 0 and drawing.undo() and len(drawing) == 2000
    assert not drawing.undo()  # the first dab was not a stroke (no begin_stroke): nothing more to take back
    drawing.dab((0.0, 0.0), size=MAX_POINTS + 5)
    assert len(drawing) == MAX_POINTS and drawing.dab((0.0, 0.0)) == 0  # bounded
    line = DrawnPoints(dim=1)
    line.dab((3.0, 7.0), size=10, spread=0.0)
    assert line.points.shape == (10, 1) and np.all(line.points == 3.0)


def test_drawn_points_are_saved_once_as_an_ordinary_points_file(tmp_path):
    points = np.random.default_rng(0).normal(size=(50, 2))
    path = save_points(points, tmp_path / "drawn")
    assert save_points(points.copy(), tmp_path / "drawn") == path  # same drawing, same file
    assert save_points(points[:-1], tmp_path / "drawn") != path
    assert np.array_equal(load_points_file(str(path)).points, points)


def _drag(qtbot, view, points):
    """A left-button drag through data-unit ``points`` of the view's plot."""
    vb = view.plot.vb
    where = [view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(*p))) for p in points]
    qtbot.mousePress(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=where[0])
    for pos in where[1:]:
        event = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(pos), QtCore.QPointF(
            view.viewport().mapToGlobal(pos)), QtCore.Qt.MouseButton.NoButton, QtCore.Qt.MouseButton.LeftButton,
            QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(view.viewport(), event)
    qtbot.mouseRelease(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=where[-1])


def test_drawn_strokes_become_the_data_set_and_the_run_record_replays_them(make_window, qtbot):
    w = make_window()
    bar = w.brush_bar
    assert bar.isVisible() and not bar.use.isVisible()
    bar.draw.setChecked(True)
    assert bar.use.isVisible() and not bar.use.isEnabled()  # nothing drawn yet
    bar.size.setValue(5)
    bar.spread.setValue(0.1)
    before = w.view2d.plot.vb.viewRange()
    _drag(qtbot, w.view2d, [(-1.0, 1.0), (-0.5, 1.0), (0.0, 1.0)])  # a drag paints instead of panning
    assert len(w.drawing) == 15  # a dab at each of 3 places 0.5 apart (≥ half a spread)
    assert w.drawing.points.mean(0)[1] == pytest.approx(1.0, abs=0.15)  # 15 draws of σ = 0.1: 0.15 is 5.8 σ/√15
    assert w.view2d.plot.vb.viewRange() == before
    w.brushes[0].stroke([(x, -1.0) for x in np.linspace(-1.0, 1.0, 11)])  # steps of 0.2: a dab at each
    assert len(w.drawing) == 15 + 55 and bar.count.text() == "70 points"
    bar.undo.click()
    assert len(w.drawing) == 15
    bar.erase.setChecked(True)
    w.brushes[0].stroke([(0.0, 1.0)])  # the eraser's radius is 2 × spread = 0.2
    assert len(w.drawing) == int((np.linalg.norm(w.drawing.points - [0.0, 1.0], axis=1) > 0.2).sum()) < 15
    drawn = w.drawing.points.copy()
    w.send(Step(3))
    qtbot.waitUntil(lambda: w.step == 3, timeout=5000)
    bar.use.click()
    restart = w.sent[-1]
    assert isinstance(restart, Restart)
    assert restart.config["data"]["name"] == "file"
    path = restart.config["data"]["path"]
    assert np.array_equal(load_points_file(path).points, drawn)
    # the new run's record keeps the points (data.npy, byte for byte) and its config.toml names that copy: what
    # gan-studio run --config replays, with or without the original file
    qtbot.waitUntil(lambda: w.step == 0 and w.recording and (Path(w.recording) / "config.toml").exists(),
                    timeout=10000)
    recorded = config.load(Path(w.recording) / "config.toml")
    assert (recorded.data.name, recorded.data.path) == ("file", str(Path(w.recording) / "data.npy"))
    assert (Path(w.recording) / "data.npy").read_bytes() == Path(path).read_bytes()


@pytest.mark.slow  # two headless runs on the real engine: ~7 s
def test_the_drawing_replays_headless_on_the_real_engine(tmp_path):
    pytest.importorskip("torch")
    from gan_studio.cli import main
    from gan_studio.data import get_dataset

    drawing = DrawnPoints(dim=2, seed=3)
    for centre in ((-1.0, 0.0), (1.0, 0.0)):
        drawing.dab(centre, size=40, spread=0.1)
    path = save_points(drawing.points, tmp_path / "drawn")
    cfg = config.with_value(config.with_value(config.Config(), "data.name", "file"), "data.path", str(path))
    cfg = config.with_value(cfg, "train.batch_size", 32)
    (tmp_path / "config.toml").write_text(config.dumps(cfg))
    rows = []
    for out in ("a", "b"):
        assert main(["run", "--config", str(tmp_path / "config.toml"), "--steps", "4",
                     "--out", str(tmp_path / out)]) == 0
        rows.append((tmp_path / out / "metrics.csv").read_bytes())
    assert rows[0] == rows[1]  # the drawn data set replays byte-identically
    recorded = config.load(tmp_path / "a" / "config.toml")
    assert recorded.data.path == str(tmp_path / "a" / "data.npy")  # the run folder's own copy
    assert np.array_equal(get_dataset(recorded.data).points, drawing.points)  # what the engine trains on
