"""Pieces shared by the window's small dialogs (File > Compare live: A/B…, File > Export video…)."""

from __future__ import annotations

from PyQt6 import QtWidgets


def add_ok_cancel(dialog: QtWidgets.QDialog, column: QtWidgets.QBoxLayout) -> QtWidgets.QDialogButtonBox:
    """OK and Cancel buttons at the end of ``column``, accepting and rejecting ``dialog``."""
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                         | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    column.addWidget(buttons)
    return buttons
