"""The lesson bar: a guided lesson's current stage over the plots — what to watch, the question for the class,
which panel to look at — with Back, Next and Leave. It only shows and signals; the window drives the run."""

from __future__ import annotations

import html

from PyQt6 import QtCore, QtWidgets

from gan_studio.gui import theme as th

PANEL_NAMES = {"data": "the data view", "losses": "Losses", "dmean": "Mean D score", "js": "Jensen–Shannon",
               "w1": "Wasserstein-1", "grads": "Gradient norms", "modes": "Mode coverage"}


class LessonBar(QtWidgets.QFrame):
    """Caption, question and navigation of the lesson being played (hidden when none is)."""

    back = QtCore.pyqtSignal()
    next = QtCore.pyqtSignal()
    leave = QtCore.pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lesson_bar")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.title = QtWidgets.QLabel("")
        self.caption = QtWidgets.QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(QtCore.Qt.TextFormat.RichText)
        buttons = QtWidgets.QHBoxLayout()
        self.back_button = QtWidgets.QPushButton("◀ Back")
        self.next_button = QtWidgets.QPushButton("Next ▶")
        self.leave_button = QtWidgets.QPushButton("Leave the lesson")
        for button, signal, tip in ((self.back_button, self.back, "replay the run to the previous stage"),
                                    (self.next_button, self.next, "apply this stage's changes and play on"),
                                    (self.leave_button, self.leave, "stop guiding: explore freely from here")):
            button.setToolTip(tip)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        buttons.addStretch(1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.caption)
        lay.addLayout(buttons)
        self.hide()

    def show_stage(self, lesson_name: str, index: int, total: int, stage, playing: bool, scale: float = 1.0) -> None:
        """Show stage ``index`` (0-based) of ``total``; ``playing``: the run is on its way to the stage's step."""
        self.title.setText(f"<b>Lesson {html.escape(lesson_name)}</b> · stage {index + 1} of {total} · "
                           f"{'playing to' if playing else 'paused at'} step {stage.step:,}")
        size = 12.5 * scale
        parts = [f"<span style='font-size:{size:.0f}pt'>{html.escape(stage.caption)}</span>"]
        if stage.question and not playing:
            parts.append(f"<span style='font-size:{size:.0f}pt'><i>Ask the class: {html.escape(stage.question)}</i>"
                         "</span>")
        if stage.highlight:
            parts.append(f"Look at: <b>{html.escape(PANEL_NAMES.get(stage.highlight, stage.highlight))}</b>")
        if stage.change_texts and not playing:  # applied right after the stage's step: the next steps use them
            parts.append("Switched here, for the steps after: "
                         + ", ".join(f"<code>{html.escape(t)}</code>" for t in stage.change_texts))
        self.caption.setText("<br>".join(parts))
        self.title.setFont(th.font(10 * scale))
        self.back_button.setEnabled(index > 0 or not playing)
        self.next_button.setEnabled(not playing and index < total - 1)
        self.show()
