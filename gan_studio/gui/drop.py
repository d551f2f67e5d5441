"""Points from a dropped file or from pasted text become the data set, as a drawing does (``gui/brush.py``).

- A .csv or .npy file dropped onto the data view (``PointsDrop``) is checked here with the reader the run itself
  uses (``points_io.read_points``), before the window asks to discard the current run; a file that is not one is
  one line in the status bar and the run goes on.
- Edit > Paste points reads CSV text from the clipboard (a spreadsheet's copied columns, or a script's output) with
  the same reader (``points_io.read_points_text``) and saves the points as a drawing is saved (``save_points``:
  ``pasted-<hash>.npy`` next to the drawings).

Either way, as for a drawing: a run on a points file of the same dimension takes the file at once, as a live
``data.path`` change (``live_refusal`` says when it cannot; the engine checks the same), recorded as an event whose
file the run folder keeps (``data-<step>.npy``); any other run restarts on it (``data.name = file``), its folder
keeping its own copy (``runs.keep_data``). Either way the run replays.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6 import QtCore, QtWidgets

from gan_studio import runs
from gan_studio.config import Config, ConfigError
from gan_studio.gui.brush import save_points
from gan_studio.points_io import read_points, read_points_text
from gan_studio.schedule import check_data_change

# ~50,000 rows of two numbers. Parsed on the window's thread: 3.8 M characters (200,000 rows) took 2.3 s, so this
# is at most ~0.6 s; a larger set goes in a file (the run samples its rows with replacement: 20,000 are plenty)
MAX_PASTE_CHARS = 1_000_000


def local_file(mime: QtCore.QMimeData) -> str:
    """The first local file a drag carries ("" when it carries none: text, a web address)."""
    if not mime.hasUrls():
        return ""
    return next((url.toLocalFile() for url in mime.urls() if url.isLocalFile()), "")


def check_file(path: str) -> str:
    """"" when ``path`` is a points file the run can train on; else what is wrong with it, in one line."""
    try:
        read_points(path)
    except ConfigError as err:
        return str(err)
    return ""


def live_refusal(cfg: Config, path: str) -> str:
    """"" when a run of ``cfg`` can take the points file ``path`` as a live ``data.path`` change (on a points file of
    the same dimension: ``schedule.check_data_change``, which the engine applies too); else why not, in one line
    (the window then restarts the run on the file instead)."""
    try:
        check_data_change(cfg)
        check_data_change(cfg, read_points(cfg.data.path).shape[1], read_points(path).shape[1])
    except ConfigError as err:
        return str(err)
    return ""


def run_points(folder: str | Path) -> tuple[str, object] | None:
    """(path, points) of the points file a saved run folder trains on last: its config's ``data.path``, or that of
    its last ``data.path`` event; None for a run on other data or points that cannot be read."""
    try:
        cfg, _ = runs.check_run_folder(folder)
        events_file = Path(folder) / "events.jsonl"
        events = runs.read_events(events_file) if events_file.exists() else []
        if cfg.data.name != "file":
            return None
        path = next((e["new"] for e in reversed(events) if e["what"] == runs.DATA_EVENT), cfg.data.path)
        return path, read_points(path)
    except ConfigError:
        return None


def pasted_points_file(text: str, folder: str | Path) -> Path:
    """Pasted CSV text as a points file in ``folder`` (content-named .npy); a ConfigError says what is wrong."""
    if not text.strip():
        raise ConfigError("the clipboard holds no text: copy N×1 or N×2 numbers (one point per line) first")
    if len(text) > MAX_PASTE_CHARS:
        raise ConfigError(f"the clipboard holds {len(text):,} characters; points pasted are at most "
                               f"{MAX_PASTE_CHARS:,} (save them as a .csv or .npy file and drop it instead)")
    points = read_points_text(text, "pasted text")
    try:
        return save_points(points, folder, prefix="pasted")
    except OSError as err:
        raise ConfigError(f"could not save the pasted points in '{folder}': {err.strerror or err}") from None


class PointsDrop(QtCore.QObject):
    """Accepts a dropped file on each of ``views`` (graphics views: on their viewports) and emits ``dropped``
    with its path; anything else dragged over them is refused."""

    dropped = QtCore.pyqtSignal(str)

    def __init__(self, views: list[QtWidgets.QAbstractScrollArea], parent: QtCore.QObject | None = None):
        super().__init__(parent)
        for view in views:
            view.setAcceptDrops(True)
            view.viewport().setAcceptDrops(True)
            view.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        types = QtCore.QEvent.Type
        kind = event.type()
        if kind not in (types.DragEnter, types.DragMove, types.Drop):
            return False
        path = local_file(event.mimeData())
        if not path:
            event.ignore()
            return True
        event.acceptProposedAction()
        if kind == types.Drop:
            self.dropped.emit(path)
        return True
