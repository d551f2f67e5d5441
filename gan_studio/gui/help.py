"""The window's keyboard table, its Help dialogs and the status bar's message label.

``KEYS`` is the one list of the window's own keys: the window builds its shortcuts from it and the
"Keyboard shortcuts" dialog lists it, so the two cannot disagree. ``PANELS`` is the text of "What the panels
show": every tab and panel of the window with the one thing it teaches. ``MessageLabel`` shows an elided first
part of a long message (the full text is its tooltip and what ``text()`` returns); ``details_dialog`` shows a
message in full, selectable, with a Copy button.
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

class Panel(NamedTuple):
    name: str  # as the window titles it (a tab's title for a tab: tests/test_help.py checks every tab is here)
    lesson: str  # the one thing the panel teaches, in a line
    text: str  # how to read it


PANELS: tuple[Panel, ...] = (
    Panel("Data space", "A GAN has learned when its fake points sit where the real ones are, as densely.",
          "The picture in the middle. The real data are the points the generator should learn to imitate; the fake "
          "points are what the generator makes from random noise right now. Behind them, the shading is the "
          "discriminator's opinion: where it thinks points are real and where fake. The arrows show which way "
          "each fake point is being pushed by the generator's next update. Training has worked when the fake "
          "points cover the real ones, in the same places and with the same density. The box under the picture "
          "says what each colour means. For 1-D data the same story is drawn as curves."),
    Panel("Dirac-GAN lab", "Two players following their own gradients can circle forever instead of meeting.",
          "The simplest GAN there is (Mescheder et al. 2018): the data are one point at 0, the generator puts all "
          "its samples at θ, the discriminator is the line D(x) = ψx. The left plot is the game's gradient field "
          "over (θ, ψ) with where simultaneous and alternating steps go from a start you click; the right plot "
          "shows the eigenvalues that decide it: outside the dashed unit circle the steps spiral out, on it they "
          "circle, inside they converge. Pick a loss or a regulariser (R1, gradient penalty, instance noise, ...) "
          "and a step size and watch the eigenvalues move. It does not depend on the run."),
    Panel("Latent space", "G is a map from noise to data: collapse is one colour taking the whole latent plane.",
          "Left: the latent plane (z, or w after a mapping network), each cell in the colour of the mode G sends "
          "it to, grey where G lands between modes; the dots are where the noise's codes lie. Right: data space "
          "with the modes in the same colours, G along a straight and a spherical path between two codes, and an "
          "inversion: click a point in the data view and the studio searches for the z that G maps there."),
    Panel("Images", "Sharp samples are not enough: they must also be varied and unlike copies of the data.",
          "Shown for image data (in place of the data view's points). The generated grid beside real images (or "
          "beside each sample's nearest training image, to spot copies), G along a path between two codes, and "
          "how often each class appears among the samples against the data's share."),
    Panel("Seeds", "One run is an anecdote: the same setting with other seeds can end far apart.",
          "Shown for a seed ensemble (train.seeds > 1): every member's discriminator surface and samples as small "
          "pictures (click one to open that member alone), each main metric as the median over the members with "
          "the middle half shaded, and how many modes the members cover."),
    Panel("Time series", "The losses need not fall; the distances (W1, JS) say whether G gets closer to the data.",
          "The plots on the right show numbers measured while training, against the training step. The losses "
          "say how well each network does against the other; they need not go down steadily, because each "
          "network's success is the other's failure. The distance measures (for example W1) compare the fake "
          "points with the real ones: lower is better. A vertical marker shows the step where you changed a "
          "setting, so you can see what the change did."),
    Panel("Timeline", "Go back to any earlier moment and try a different choice from there.",
          "The bar under the time series: the run from step 0 to now, with a tick at every kept snapshot. Drag "
          "the handle back and release: training goes back to that snapshot and goes on from there as a new "
          "branch, paused, so that you can switch a setting and compare what happens."),
    Panel("Lesson bar", "A lesson stops where there is something to see and asks the class about it.",
          "Over the plots while a lesson plays (File → Open lesson…): what to watch at this stage, the question "
          "for the class, which panel to look at (outlined), and Back, Next and Leave the lesson."),
    Panel("Controls", "Every choice is one switch: change it mid-run and the marker shows what it did.",
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
    """Help → What the panels show: a paragraph per panel, its lesson in bold on a line of its own. Sized in lines
    of the window's font (so it grows with the view scale; at a fixed 620 × 560 px, 200 % showed one panel at a
    time), at most 90 % of the window."""
    html = "".join(f"<h3>{panel.name}</h3><p><b>{panel.lesson}</b><br>{panel.text}</p>" for panel in PANELS)
    label = QtWidgets.QLabel(html)
    label.setObjectName("panels")
    label.setWordWrap(True)
    label.setTextFormat(QtCore.Qt.TextFormat.RichText)
    label.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
    scroll = QtWidgets.QScrollArea()
    scroll.setWidget(label)
    scroll.setWidgetResizable(True)
    metrics = parent.fontMetrics()
    size = (min(max(88 * metrics.averageCharWidth(), 620), int(0.9 * parent.width())),
            min(max(36 * metrics.lineSpacing(), 560), int(0.9 * parent.height())))
    return _dialog(parent, "What the panels show", scroll, size=size)


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
