"""Stop pyqtgraph's drawing buffers from leaking memory at every paint (issue 17).

pyqtgraph (0.14) keeps the line segments of a curve and the point sprites of a scatter plot in a
``PrimitiveArray``: under PyQt6 a ``sip.array`` that is reallocated to the exact size whenever it must grow, and
handed to ``QPainter.drawLines`` / ``drawPixmapFragments`` as the slice ``array[:size]`` whenever fewer items are
drawn than it holds. With sip 6.17 no ``sip.array`` object made, slices included, is ever freed: 80 bytes and one
Python block each (measured: 20,000 slices or new arrays, +1.0 block and +80 bytes of RSS each, whatever the
length; the items themselves are freed). The window did one or the other at most paints (a time series growing
or between two decimations, a scatter plot whose visible points changed): ~1.7 leaked arrays a frame in
bench/window_memory.py, ~16 MB an hour at the worker's 32 frames a second, in objects that ``gc`` does not track
(so Python object counts stayed flat).

``patch()`` changes the two kinds the window draws every frame (QLineF, PixmapFragment) so that no array is
made or sliced per paint: the buffer grows by half again when it must grow (a few arrays per curve in a run),
and it is always drawn whole, the unused tail made harmless first: copies of the last segment (pyqtgraph draws
curves as segments only with an opaque, solid, non-antialiased pen, so a segment drawn twice looks the same) or
sprites of zero size and opacity. pyqtgraph's other PyQt path (lists of wrapped objects) does not leak either,
but wrapping 4,000 segments took 64 ms and drawing from a list 3× longer than from the array.
"""

from __future__ import annotations

import numpy as np
from PyQt6 import QtCore, QtGui, sip
from pyqtgraph.Qt import internals

GROWTH = 1.5  # a buffer that must grow takes this many times its old capacity (at least what is asked)
_PADDED = (QtCore.QLineF, QtGui.QPainter.PixmapFragment)
_original_resize = internals.PrimitiveArray.resize
_original_drawargs = internals.PrimitiveArray.drawargs
_empty: dict = {}  # Klass → a sip.array of length 0, made once (drawing nothing must not make one each time)


def _padded(array) -> bool:
    return getattr(array, "use_sip_array", False) and array._Klass in _PADDED


def _resize(self, size: int) -> None:
    """``PrimitiveArray.resize`` that grows geometrically (the contents are not kept: pyqtgraph refills)."""
    if not _padded(self) or size <= self._capa:
        _original_resize(self, size)
        return
    capa = max(size, int(self._capa * GROWTH) + 1)
    self._siparray = sip.array(self._Klass, capa)
    self._capa, self._size = capa, size


def _drawargs(self) -> tuple:
    """``PrimitiveArray.drawargs`` that hands over the whole array, its unused tail made harmless (no slice)."""
    if not _padded(self) or self._size == self._capa:
        return _original_drawargs(self)
    if self._size == 0:
        if self._Klass not in _empty:
            _empty[self._Klass] = sip.array(self._Klass, 0)
        return (_empty[self._Klass],)
    rows = np.frombuffer(sip.voidptr(self._siparray, self._capa * self._nfields * 8),
                         dtype=np.float64).reshape(-1, self._nfields)
    # a line: the last segment again; a sprite: zero size and opacity (x, y, source rect, scales, rotation, opacity)
    rows[self._size:] = rows[self._size - 1] if self._Klass is QtCore.QLineF else 0.0
    return (self._siparray,)


def patch() -> None:
    """Install the geometric growth and the whole-array drawing on pyqtgraph's PrimitiveArray (idempotent; arrays
    made before follow from their next resize)."""
    if hasattr(sip, "array") and hasattr(internals.PrimitiveArray, "drawargs"):
        internals.PrimitiveArray.resize = _resize
        internals.PrimitiveArray.drawargs = _drawargs
