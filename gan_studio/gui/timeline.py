"""The timeline under the time series (issue 14): the run from step 0 to now, a tick at every snapshot the worker
keeps (``worker.timeline``), a handle at the current step.

Drag the handle back: it snaps to the newest snapshot at or before the pointer and the line says where the run
would go back to; release there: ``rewind`` is emitted with that step (the window sends ``Rewind``; training goes
on from it as a branch, paused). Escape while dragging, or a release at the current step, does nothing.
"""

from __future__ import annotations

import bisect

from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio.gui import theme as th

TITLE = "Timeline"
PAD_PX = 6  # around the strip's parts at 100 %
HANDLE_PX = 5  # the handle's radius at 100 %


def snap(snapshots: list[int], step: float) -> int | None:
    """The newest of ``snapshots`` (sorted) at or before ``step``; None when there is none."""
    i = bisect.bisect_right(snapshots, step)
    return snapshots[i - 1] if i else None


def describe(snapshots: list[int], step: int, target: int | None) -> str:
    """The line at the strip's right: where a release would go (while dragging), else what can be rewound."""
    if target is not None:
        return f"to step {target:,}" if target < step else "no change"
    n = len(snapshots)
    return f"{n or 'no'} snapshot{'s' if n != 1 else ''}"


class TimelineBar(QtWidgets.QWidget):
    """The strip (see the module docstring); ``show_state`` takes a packet's snapshot steps and step."""

    rewind = QtCore.pyqtSignal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.snapshots: list[int] = []
        self.step = 0
        self.target: int | None = None  # the snapshot a release would rewind to (while dragging)
        self.theme, self.scale = th.LIGHT, 1.0
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)  # Escape cancels a drag
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setToolTip("Snapshots of the run (ticks; the oldest are thinned to keep memory bounded). Drag the "
                        "handle back and release to rewind there: training goes on from that moment as a branch, "
                        "recorded as a run folder of its own; the later part stays in the old one.")
        self.apply_style(self.theme, self.scale)

    # -- state ----------------------------------------------------------------------------------------------
    def show_state(self, snapshots: list[int], step: int) -> None:
        """The worker's snapshot steps and the run's step (repainted only when they changed)."""
        snapshots, step = list(snapshots), int(step)
        if snapshots != self.snapshots or step != self.step:
            self.snapshots, self.step = snapshots, step
            self.update()

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Colours and font of a theme and view scale."""
        self.theme, self.scale = theme, scale
        self.setFont(th.font(9.5 * scale))
        self.setFixedHeight(self.fontMetrics().height() + round(2 * PAD_PX * scale))
        self.update()

    # -- geometry -------------------------------------------------------------------------------------------
    def _titled(self) -> bool:
        """Whether the title fits: not on a narrow strip (200 % on 1280×720 left the line at the right three
        letters; the tooltip says what the strip is)."""
        return self.width() >= 36 * self.fontMetrics().averageCharWidth()

    def _track(self) -> tuple[float, float]:
        """The x range of the track: after the title, before the line at the right (at least 40 % of the rest)."""
        pad = PAD_PX * self.scale
        fm = self.fontMetrics()
        left = pad + (fm.horizontalAdvance(TITLE) + 2 * pad if self._titled() else 0.0)
        right_text = max(fm.horizontalAdvance(describe([0], self.step, max(self.step - 1, 0))),  # the longest line
                         fm.horizontalAdvance(describe(self.snapshots, self.step, None)))
        right = max(self.width() - pad - right_text - 2 * pad, left + 0.4 * (self.width() - left))
        return left, max(right, left + 1.0)

    def _span(self) -> int:
        return max(self.step, self.snapshots[-1] if self.snapshots else 0, 1)

    def x_of(self, step: float) -> float:
        """The x of a step on the track."""
        left, right = self._track()
        return left + (right - left) * min(max(step / self._span(), 0.0), 1.0)

    def step_at(self, x: float) -> float:
        """The step under x on the track (clamped to 0 … now)."""
        left, right = self._track()
        return min(max((x - left) / (right - left), 0.0), 1.0) * self._span()

    # -- mouse and keys -------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.button() == QtCore.Qt.MouseButton.LeftButton and self.snapshots:
            self.target = snap(self.snapshots, self.step_at(event.position().x()))
            self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.target is not None or (event.buttons() & QtCore.Qt.MouseButton.LeftButton and self.snapshots):
            self.target = snap(self.snapshots, self.step_at(event.position().x()))
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt name)
        target, self.target = self.target, None
        self.update()
        if event.button() == QtCore.Qt.MouseButton.LeftButton and target is not None and target < self.step:
            self.rewind.emit(target)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.key() == QtCore.Qt.Key.Key_Escape and self.target is not None:
            self.target = None
            self.update()
            return
        super().keyPressEvent(event)

    # -- painting -------------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        theme, s = self.theme, self.scale
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QtGui.QColor(theme.bg))
        p.setPen(QtGui.QPen(QtGui.QColor(theme.muted), 1))
        p.drawLine(0, 0, self.width(), 0)  # a rule between the plots and the strip
        fm = self.fontMetrics()
        pad, mid = PAD_PX * s, self.height() / 2
        text_y = int(mid + (fm.ascent() - fm.descent()) / 2)
        p.setPen(QtGui.QColor(theme.fg))
        if self._titled():
            p.drawText(int(pad), text_y, TITLE)
        left, right = self._track()
        p.setPen(QtGui.QPen(QtGui.QColor(theme.muted), max(1.0, 2 * s)))
        p.drawLine(QtCore.QPointF(left, mid), QtCore.QPointF(right, mid))
        tick = 0.3 * self.height()
        p.setPen(QtGui.QPen(QtGui.QColor(theme.marker), max(1.0, 1.2 * s)))
        for step in self.snapshots:
            x = self.x_of(step)
            p.drawLine(QtCore.QPointF(x, mid - tick), QtCore.QPointF(x, mid + tick))
        shown = self.step if self.target is None else self.target
        radius = HANDLE_PX * s
        if self.target is not None:  # where the run is now, faint, while the handle is dragged back
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(QtGui.QColor(theme.muted))
            p.drawEllipse(QtCore.QPointF(self.x_of(self.step), mid), 0.7 * radius, 0.7 * radius)
        p.setPen(QtGui.QPen(QtGui.QColor(theme.bg), max(1.0, s)))
        p.setBrush(QtGui.QColor(theme.fg if self.target is None else theme.marker))
        p.drawEllipse(QtCore.QPointF(self.x_of(shown), mid), radius, radius)
        text = fm.elidedText(describe(self.snapshots, self.step, self.target), QtCore.Qt.TextElideMode.ElideRight,
                             int(self.width() - right - 3 * pad))
        p.setPen(QtGui.QColor(theme.fg))
        p.drawText(int(right + 2 * pad), text_y, text)
        p.end()
