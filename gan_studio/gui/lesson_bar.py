"""The lesson bar: a guided lesson's current stage over the plots — what to watch, the question for the class,
which panel to look at — with Back, Next and Leave. It only shows and signals; the window drives the run."""

from __future__ import annotations

import html

from PyQt6 import QtCore, QtWidgets

from gan_studio.gui import theme as th

PANEL_NAMES = {"data": "the data view", "losses": "Losses", "dmean": "Mean D score", "js": "Jensen–Shannon",
               "w1": "Wasserstein-1", "grads": "Gradient norms", "modes": "Mode coverage"}
# The window's tab of each id a stage's ``tab`` may name (lessons.TABS), by the tab's title.
TAB_TITLES = {"data": "Data space", "dirac": "Dirac-GAN lab", "latent": "Latent space", "images": "Images",
              "seeds": "Seeds"}


def select_tab(tabs: QtWidgets.QTabWidget, tab: str) -> bool:
    """Bring the tab of id ``tab`` (lessons.TABS) to the front; False when the window has no such tab showing
    (Images without image data, Seeds without an ensemble): then the current tab stays."""
    for i in range(tabs.count()):
        if tabs.tabText(i) == TAB_TITLES.get(tab) and tabs.isTabVisible(i):
            tabs.setCurrentIndex(i)
            return True
    return False


class LessonBar(QtWidgets.QFrame):
    """Caption, question and navigation of the lesson being played (hidden when none is): the title and the
    buttons share the top row, the caption wraps under it. The bar takes at most MAX_SHARE of the window's
    height; a longer caption scrolls within it and its tooltip holds it whole (at 200 % on 1280×720 the bar
    took 314 of 720 px and left the data view 70)."""

    MAX_SHARE = 0.28

    back = QtCore.pyqtSignal()
    next = QtCore.pyqtSignal()
    leave = QtCore.pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lesson_bar")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.title = QtWidgets.QLabel("")
        # the title may be cut on the right rather than widen the whole window past the screen
        self.title.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.caption = QtWidgets.QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(QtCore.Qt.TextFormat.RichText)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.title, 1)
        self.back_button = QtWidgets.QPushButton("◀ Back")
        self.next_button = QtWidgets.QPushButton("Next ▶")
        self.leave_button = QtWidgets.QPushButton("Leave the lesson")
        for button, signal, tip in ((self.back_button, self.back, "replay the run to the previous stage"),
                                    (self.next_button, self.next, "apply this stage's changes and play on"),
                                    (self.leave_button, self.leave, "stop guiding: explore freely from here")):
            button.setToolTip(tip)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        self.caption_scroll = QtWidgets.QScrollArea()
        self.caption_scroll.setWidget(self.caption)
        self.caption_scroll.setWidgetResizable(True)
        self.caption_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.caption_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addLayout(buttons)
        lay.addWidget(self.caption_scroll)
        self._watched: QtWidgets.QWidget | None = None  # the window whose height the bar follows
        self.hide()

    def fit(self) -> None:
        """Height for the caption: all of it, up to MAX_SHARE of the window's height less the top row."""
        top = self.window()
        if top is not self._watched:  # follow the window's resizes (presentation mode, full screen)
            top.installEventFilter(self)
            self._watched = top
        room = int(self.MAX_SHARE * top.height()) - self.back_button.sizeHint().height() - 12
        width = max(self.width() - 20, 100)
        need = self.caption.heightForWidth(width)  # a word-wrapped label's height at that width
        self.caption_scroll.setFixedHeight(max(self.caption.fontMetrics().height(), min(need + 4, room)))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self._watched and event.type() == QtCore.QEvent.Type.Resize and self.isVisible():
            self.fit()
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.fit()

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
        self.caption.setToolTip("\n".join(filter(None, (stage.caption, stage.question))))
        self.title.setFont(th.font(10 * scale))
        self.back_button.setEnabled(index > 0 or not playing)
        self.next_button.setEnabled(not playing and index < total - 1)
        self.show()
        self.fit()
