"""The window's keyboard table, its Help dialogs and the status bar's message label.

``KEYS`` is the one list of the window's own keys: the window builds its shortcuts from it and the
"Keyboard shortcuts" dialog lists it, so the two cannot disagree. ``PANELS`` is the text of "What the panels
show". ``MessageLabel`` shows an elided first part of a long message (the full text is its tooltip and what
``text()`` returns); ``details_dialog`` shows a message in full, selectable, with a Copy button.
"""

from __future__ import annotations

from typing import NamedTuple

from PyQt6 import QtCore, QtGui, QtWidgets


class Key(NamedTuple):
    keys: str  # as QKeySequence reads it
    slot: str  # the window's method the key calls; "" when the window handles the key another way
    what: str  # what the key does, for the Help dialog


KEYS: tuple[Key, ...] = (
    Key("Space", "toggle_play", "play / pause training"),
    Key("Right", "step_once", "one training step (while paused)"),
    Key("R", "reset_run", "reset: new random networks, the step back to 0 (asks first)"),
    Key("F", "toggle_fullscreen", "full screen on / off"),
    Key("P", "toggle_presentation", "presentation mode: controls hidden (play / step stay in a bar), everything "
                                    "drawn at least 150 %, full screen; again to leave"),
    Key("C", "toggle_controls", "show / hide the controls (hidden, the plots get the room: for a projector)"),
    Key("Esc", "", "leave a text field, so that the keys above work again (while typing they type)"),
)

PANELS: tuple[tuple[str, str], ...] = (
    ("Data space",
     "The picture in the middle. The real data are the points the generator should learn to imitate; the fake "
     "points are what the generator makes from random noise right now. Behind them, the shading is the "
     "discriminator's opinion: where it thinks points are real and where fake. The arrows show which way "
     "each fake point is being pushed by the generator's next update. Training has worked when the fake "
     "points cover the real ones, in the same places and with the same density. The box under the picture "
     "says what each colour means. For 1-D data the same story is drawn as curves; for images, as a grid "
     "of generated pictures."),
    ("Time series",
     "The plots on the right show numbers measured while training, against the training step. The losses "
     "say how well each network does against the other; they need not go down steadily, because each "
     "network's success is the other's failure. The distance measures (for example W1) compare the fake "
     "points with the real ones: lower is better. A vertical marker shows the step where you changed a "
     "setting, so you can see what the change did."),
    ("Controls",
     "The panel on the far left. Play / Pause starts and stops training, Step makes one update, Reset starts "
     "again from new random networks. Below are the experiment (the data set and presets), the loss, the "
     "Lipschitz constraint on the discriminator, the optimizer and the model size. Most settings take "
     "effect at the next step and leave a marker in the plots; changing the data or the model size starts "
     "a new run (the window asks first). Hover over a field to read what it means and its allowed range."),
)


def shortcut_rows(menus: tuple[QtWidgets.QMenu, ...] = ()) -> list[tuple[str, str]]:
    """(keys, what) for every key in ``KEYS``, then every action with a shortcut in ``menus``."""
    rows = [(QtGui.QKeySequence(k.keys).toString(QtGui.QKeySequence.SequenceFormat.NativeText), k.what)
            for k in KEYS]
    for menu in menus:
        for a in menu.actions():
            if not a.shortcut().isEmpty():
                what = a.toolTip() or a.text().replace("&", "")
                rows.append((a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText),
                             f"{a.text().replace('&', '').rstrip('…')}: {what}"))
    return rows


def _dialog(parent: QtWidgets.QWidget, title: str, body: QtWidgets.QWidget, copy_text: str = "",
            size: tuple[int, int] = (560, 420)) -> QtWidgets.QDialog:
    """A small window-modal dialog around ``body`` with Close (and Copy when ``copy_text``)."""
    d = QtWidgets.QDialog(parent)
    d.setWindowTitle(title)
    d.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    box = QtWidgets.QVBoxLayout(d)
    box.addWidget(body, 1)
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(d.reject)
    if copy_text:
        copy = buttons.addButton("Copy", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        copy.setObjectName("copy")
        copy.clicked.connect(lambda: QtWidgets.QApplication.clipboard().setText(copy_text))
    box.addWidget(buttons)
    d.resize(*size)
    return d


def shortcuts_dialog(parent: QtWidgets.QWidget, menus: tuple[QtWidgets.QMenu, ...] = ()) -> QtWidgets.QDialog:
    """Help → Keyboard shortcuts: a two-column table (object name "shortcuts") built from ``shortcut_rows``."""
    rows = shortcut_rows(menus)
    table = QtWidgets.QTableWidget(len(rows), 2)
    table.setObjectName("shortcuts")
    table.setHorizontalHeaderLabels(["Key", "What it does"])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(True)
    for i, (keys, what) in enumerate(rows):
        table.setItem(i, 0, QtWidgets.QTableWidgetItem(keys))
        table.setItem(i, 1, QtWidgets.QTableWidgetItem(what))
    table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.resizeRowsToContents()
    return _dialog(parent, "Keyboard shortcuts", table, size=(640, 340))


def panels_dialog(parent: QtWidgets.QWidget) -> QtWidgets.QDialog:
    """Help → What the panels show: a paragraph per panel."""
    html = "".join(f"<h3>{name}</h3><p>{text}</p>" for name, text in PANELS)
    label = QtWidgets.QLabel(html)
    label.setObjectName("panels")
    label.setWordWrap(True)
    label.setTextFormat(QtCore.Qt.TextFormat.RichText)
    label.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
    scroll = QtWidgets.QScrollArea()
    scroll.setWidget(label)
    scroll.setWidgetResizable(True)
    return _dialog(parent, "What the panels show", scroll, size=(620, 560))


def details_dialog(parent: QtWidgets.QWidget, text: str) -> QtWidgets.QDialog:
    """The status bar's Details…: the whole message, selectable, with Copy."""
    edit = QtWidgets.QPlainTextEdit(text)
    edit.setObjectName("message")
    edit.setReadOnly(True)
    return _dialog(parent, "Message", edit, copy_text=text, size=(560, 260))


class MessageLabel(QtWidgets.QLabel):
    """A one-line label that elides what does not fit (the full text: ``text()`` and the tooltip)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def text(self) -> str:  # noqa: D102 (the full text, not the elided one on screen)
        return self._full

    def shown(self) -> str:
        """What is on screen (elided)."""
        return super().text()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._elide()

    def _elide(self) -> None:
        line = self._full.replace("\n", " ⏎ ")
        super().setText(self.fontMetrics().elidedText(line, QtCore.Qt.TextElideMode.ElideRight,
                                                      max(self.width() - 4, 20)))
