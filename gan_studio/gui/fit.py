"""Layout rules that keep the window legible at every size and view scale (issue 13): how many whole rows of
plots fit a height, and a scroll area that says when it was resized (its contents then choose what to show)."""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets


def rows_that_fit(height: float, row_px: float, rows: int) -> int:
    """How many whole rows of ``row_px`` pixels fit in ``height``: at least 1, at most ``rows``."""
    if row_px <= 0:
        return rows
    return max(1, min(rows, int(height // row_px)))


class ResizingScroll(QtWidgets.QScrollArea):
    """A frameless, vertically scrolling area that emits ``resized`` after each resize (the window's own resize
    comes before its children are laid out, so their heights are not known there yet)."""

    resized = QtCore.pyqtSignal()

    def __init__(self, widget: QtWidgets.QWidget, parent=None):
        super().__init__(parent)
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.resized.emit()


def rows_shown(room: float, least: float, optional: list[float]) -> list[bool]:
    """Which optional rows to show beside a plot that needs ``least`` pixels, in ``room`` pixels: ``optional``
    holds their heights, most important first; each is shown while the plot keeps its least height, and a row
    that does not fit is hidden (a less important one after it may still fit)."""
    left = room - least
    shown = []
    for height in optional:
        shown.append(height <= left)
        left -= height if shown[-1] else 0
    return shown


class ResizeWatch(QtCore.QObject):
    """Emits ``resized`` after ``widget`` was resized (an event filter: for widgets that are not ours to
    subclass, such as a splitter)."""

    resized = QtCore.pyqtSignal()

    def __init__(self, widget: QtWidgets.QWidget):
        super().__init__(widget)
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.Resize:
            self.resized.emit()
        return False
