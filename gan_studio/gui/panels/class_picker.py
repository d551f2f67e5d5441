"""The class picker of a conditional GAN (issue 12): "Ask G for: every class / class k".

Picking class k sends the live change ``model.shown_class = k``: the trainer then draws G asked for class k only,
D judged for class k, and p_data(x | k) with the real points of class k, so the data view shows p_g(x | k) against
p_data(x | k). Training and the metrics are not affected. Shown only while the frame's display facts say the run
is conditional; its items (with the class colours of the data view) follow the facts' classes.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio.gui import theme as th
from gan_studio.gui.views.classes import class_colour
from gan_studio.worker.protocol import Apply

EVERY = -1  # model.shown_class for "every class"
CONDITIONING = (("off", "off"), ("concat", "concat"), ("projection", "projection"))  # short: one row at scale 2


def class_titles(display) -> list[str]:
    """The picker's item texts: the data's class names, or "mode k" for a mixture's components."""
    names = getattr(display, "class_names", None)
    n = int(display.n_modes or 0)
    return [f"{k}: {names[k]}" if names else f"mode {k}" for k in range(n)]


class ClassPicker(QtWidgets.QWidget):
    """A one-line row above the data view; ``command`` carries the ``Apply`` to send."""

    command = QtCore.pyqtSignal(object)
    conditioning_chosen = QtCore.pyqtSignal(str)  # "off", "concat" or "projection": a restart the window asks for

    def __init__(self, theme: th.Theme = th.LIGHT, scale: float = 1.0, parent=None):
        super().__init__(parent)
        self.label = QtWidgets.QLabel("Ask G for:")
        self.label.setToolTip("a conditional GAN: G and D are given the class of each sample")
        self.box = QtWidgets.QComboBox()
        self.box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.box.setToolTip("generate only this class: the data view then shows p_g(x | k) against p_data(x | k); "
                            "training and metrics are unchanged")
        self.box.activated.connect(self._picked)
        self.how_label = QtWidgets.QLabel("Conditional:")
        self.how = QtWidgets.QComboBox()
        self.how.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        for code, text in CONDITIONING:
            self.how.addItem(text, code)
        self.how.setToolTip("a conditional GAN gives G and D the class of each sample, as [x; onehot] (concat) or "
                            "through a projection D (model.conditional, model.conditioning); restarts the run")
        self.how.activated.connect(lambda i: self.conditioning_chosen.emit(self.how.itemData(i)))
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        for w in (self.how_label, self.how, self.label, self.box):
            row.addWidget(w)
        row.addStretch(1)
        self._titles: list[str] | None = None
        self.apply_style(theme, scale)
        self.hide()

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Fonts for the view scale."""
        for w in (self.label, self.box, self.how_label, self.how):
            w.setFont(th.font(10 * scale))
        self._titles = None  # rebuild the swatches at the new size

    def _picked(self, index: int) -> None:
        self.command.emit(Apply("model.shown_class", int(self.box.itemData(index))))

    def update_display(self, display) -> None:
        """Show, fill and select from a frame's display facts: the row for data with classes, the class box for a
        conditional run."""
        self.setVisible((display.n_modes or 0) >= 2)
        conditional = bool(getattr(display, "conditional", False)) and bool(display.n_modes)
        how = getattr(display, "conditioning", "") if conditional else "off"
        index = self.how.findData(how or "off")
        if index >= 0 and index != self.how.currentIndex():
            self.how.setCurrentIndex(index)
        self.label.setVisible(conditional)
        self.box.setVisible(conditional)
        if not conditional:
            return
        titles = class_titles(display)
        if titles != self._titles:
            self._titles = titles
            self.box.blockSignals(True)
            self.box.clear()
            self.box.addItem("every class", EVERY)
            side = max(10, self.box.fontMetrics().height() - 4)
            for k, title in enumerate(titles):
                swatch = QtGui.QPixmap(side, side)
                swatch.fill(class_colour(k, len(titles)))
                self.box.addItem(QtGui.QIcon(swatch), title, k)
            # never cut a name: the longest item, its colour swatch and the arrow (a narrow row squeezed it)
            longest = max(self.box.fontMetrics().horizontalAdvance(t) for t in ["every class", *titles])
            self.box.setMinimumWidth(longest + 2 * side + 24)
            self.box.blockSignals(False)
        index = self.box.findData(int(getattr(display, "shown_class", EVERY)))
        if index >= 0 and index != self.box.currentIndex():
            self.box.blockSignals(True)
            self.box.setCurrentIndex(index)
            self.box.blockSignals(False)
