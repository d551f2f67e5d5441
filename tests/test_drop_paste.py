"""Points dropped onto the data view as a .csv / .npy file, or pasted as CSV text (Edit > Paste points), become the
data set through the reader the run uses (``points_io``); anything else is one line in the status bar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio.config import ConfigError
from gan_studio.data.points_file import load_points_file
from gan_studio.gui import drop
from gan_studio.points_io import read_points, read_points_text
from gan_studio.worker.protocol import Apply, Restart

TEXT = "x\ty\n0.5\t-1.0\n1.5\t2.0\n\n-3.25\t4.0\n"  # a spreadsheet's two copied columns, with a header


def test_pasted_text_reads_as_the_same_csv_file_would(tmp_path):
    (tmp_path / "p.csv").write_text(TEXT)
    expected = np.array([[0.5, -1.0], [1.5, 2.0], [-3.25, 4.0]])
    assert np.array_equal(read_points_text(TEXT), expected)
    assert np.array_equal(read_points(str(tmp_path / "p.csv")), expected)
    assert np.array_equal(load_points_file(str(tmp_path / "p.csv")).points, expected)  # what the run trains on
    with pytest.raises(ConfigError, match=r"^data file 'pasted text' line 3: 'abc' is not a number"):
        read_points_text("1,2\n3,4\nabc,5\n")
    with pytest.raises(ConfigError, match=r"needs at least 2 rows"):
        read_points_text("1,2\n")
    with pytest.raises(ConfigError, match=r"clipboard holds no text"):
        drop.pasted_points_file("  \n", tmp_path)
    with pytest.raises(ConfigError, match=r"at most 1,000,000"):
        drop.pasted_points_file("1,2\n" * 300_000, tmp_path)


def _drop(view, path: Path | None, text: str = "") -> bool:
    """Drag ``path`` (or plain ``text``) over the view's viewport and drop it; returns whether the drag was taken."""
    mime = QtCore.QMimeData()
    if path is not None:
        mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    else:
        mime.setText(text)
    target = view.viewport()
    pos = QtCore.QPointF(target.rect().center())
    actions = QtCore.Qt.DropAction.CopyAction
    enter = QtGui.QDragEnterEvent(pos.toPoint(), actions, mime, QtCore.Qt.MouseButton.LeftButton,
                                  QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    event = QtGui.QDropEvent(pos, actions, mime, QtCore.Qt.MouseButton.LeftButton,
                             QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(target, event)
    return event.isAccepted()


def _one_line(w) -> str:
    text = w.status_message.text()
    assert "\n" not in text and "Traceback" not in text
    return text


def test_dropped_files_and_pasted_text_become_the_data_set_and_bad_ones_are_one_line(make_window, tmp_path):
    w = make_window()
    good = tmp_path / "mine.npy"
    np.save(good, np.random.default_rng(2).normal(size=(40, 2)))
    assert _drop(w.view2d, good)
    restart = w.sent[-1]
    assert isinstance(restart, Restart)
    assert (restart.config["data"]["name"], restart.config["data"]["path"]) == ("file", str(good))
    sent = len(w.sent)
    (tmp_path / "nan.csv").write_text("1,2\nnan,3\n")
    (tmp_path / "notes.txt").write_text("1,2\n3,4\n")
    for bad, why in ((tmp_path / "nan.csv", "1 non-finite values"), (tmp_path / "notes.txt", "allowed: .csv, .npy"),
                     (tmp_path / "gone.npy", "not found")):
        assert _drop(w.view1d, bad)  # any file is taken, so that the reason can be said
        line = _one_line(w)
        assert line.startswith(f"could not train on the dropped file: data file '{bad}'") and why in line
    assert len(w.sent) == sent  # the run went on: no restart
    assert not _drop(w.view2d, None, "1,2\n3,4")  # dragged text is not a file: refused (Edit > Paste takes it)
    # Edit > Paste points: the clipboard's text (one window for both: each costs a worker's start, ~3 s)
    assert [a.text() for a in w.edit_menu.actions()] == ["&Paste points"]
    assert w.paste_action.shortcut().toString() == "Ctrl+Shift+V"
    QtWidgets.QApplication.clipboard().setText(TEXT)
    w.paste_action.trigger()
    # the run is on 2D points now (the dropped file): the pasted 2D points are a live change, not a restart
    live = w.sent[-1]
    assert isinstance(live, Apply) and live.what == "data.path"
    path = live.value
    assert Path(path).name.startswith("pasted-") and path.endswith(".npy")
    assert np.array_equal(load_points_file(path).points, read_points_text(TEXT))
    assert w.paste_points(TEXT) == path  # the same text is the same file
    sent = len(w.sent)
    assert w.paste_points("1,2\n3,4\nabc,5\n") == ""
    assert _one_line(w) == ("could not paste points: data file 'pasted text' line 3: 'abc' is not a number "
                            "(comma-separated values expected): 'abc,5'")
    QtWidgets.QApplication.clipboard().setText("")
    w.paste_action.trigger()
    assert _one_line(w).startswith("could not paste points: the clipboard holds no text")
    assert len(w.sent) == sent
