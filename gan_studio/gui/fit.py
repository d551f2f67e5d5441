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
