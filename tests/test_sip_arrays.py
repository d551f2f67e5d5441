"""gui.sip_arrays: pyqtgraph's drawing buffers no longer leak a sip.array at every paint (issue 17)."""

from __future__ import annotations

import gc
import sys

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets, sip
from pyqtgraph.Qt import internals

from gan_studio.gui import sip_arrays

DRAWS = 1500


def blocks_per_draw(array: internals.PrimitiveArray, painter: QtGui.QPainter) -> float:
    """Python blocks still allocated per draw after ``DRAWS`` draws of ``array`` at sizes that change (as a curve's
    segments do between decimations), drawn as pyqtgraph draws them."""
    def draw(i: int) -> None:
        array.resize(100 + i % 50)
        array.ndarray()[:] = np.linspace(0.0, 50.0, array.ndarray().size).reshape(-1, 4)
        painter.drawLines(*array.drawargs())

    for i in range(50):  # every size once: the buffer at its largest
        draw(i)
    gc.collect()
    before = sys.getallocatedblocks()
    for i in range(DRAWS):
        draw(i)
    gc.collect()
    return (sys.getallocatedblocks() - before) / DRAWS


def test_new_primitive_arrays_draw_without_leaking(qtbot):
    sip_arrays.patch()
    sip_arrays.patch()  # idempotent
    image = QtGui.QImage(64, 64, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        fixed = internals.PrimitiveArray(QtCore.QLineF, 4)
        assert blocks_per_draw(fixed, painter) < 0.05  # unpatched under sip 6.17: 1.0 a draw (the slice is kept)
        assert fixed._capa == 151  # grown by half again (+1) from 100 when 101 were asked for: no array per size
    finally:
        painter.end()


def test_a_whole_array_draws_what_its_slice_drew(qtbot):
    sip_arrays.patch()
    lines = internals.PrimitiveArray(QtCore.QLineF, 4)
    lines.resize(10)
    lines.resize(4)  # the tail (6 segments) left from before must not show
    lines.ndarray()[:] = [[2, 2, 30, 2], [30, 2, 30, 30], [30, 30, 2, 30], [2, 30, 2, 2]]
    drawn, = lines.drawargs()
    assert len(drawn) == 10
    sliced = [QtCore.QLineF(*row) for row in lines.ndarray()]
    pictures = []
    for what in (drawn, sliced):
        image = QtGui.QImage(40, 40, QtGui.QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QtGui.QPainter(image)
        painter.setPen(QtGui.QPen(QtGui.QColor("red"), 3))
        painter.drawLines(what)
        painter.end()
        pictures.append(image)
    assert pictures[0] == pictures[1]
    fragments = internals.PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)
    fragments.resize(5)
    fragments.resize(2)
    fragments.ndarray()[:] = 1.0
    whole = np.frombuffer(sip.voidptr(fragments.drawargs()[0], 5 * 80), dtype=np.float64).reshape(5, 10)
    assert np.all(whole[2:] == 0.0) and np.all(whole[:2] == 1.0)  # the tail: zero size, zero opacity


def test_plot_items_made_after_the_patch_paint_without_leaking(qtbot):
    sip_arrays.patch()
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 200)
    widget.show()
    curve = widget.plot(pen=pg.mkPen("r", width=3))  # a wide pen: drawn as line segments (drawLines)
    dots = pg.ScatterPlotItem(size=5)
    widget.addItem(dots)
    rng = np.random.default_rng(0)

    def frame(i: int) -> None:
        n = 200 + i % 40  # lengths that change: pyqtgraph sliced its sip arrays then
        curve.setData(np.arange(n), rng.random(n))
        dots.setData(pos=rng.random((100 + i % 30, 2)))
        QtWidgets.QApplication.processEvents()  # paints (not grab(): it keeps ~2 blocks a call by itself)

    for i in range(150):  # past 100 view transforms: pyqtgraph's pixel-vector cache (an LRU of 100) is full
        frame(i)
    gc.collect()
    before = sys.getallocatedblocks()
    for i in range(300):
        frame(i)
    gc.collect()
    assert curve.curve._lineSegments is not None  # drawn as segments: the path that sliced
    # unpatched (sip 6.17): +1.97 blocks a frame (one sliced array per item); a few blocks of slack for pyqtgraph
    assert (sys.getallocatedblocks() - before) / 300 < 0.3
