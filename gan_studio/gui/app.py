"""``gan_studio.gui.app.main``: open the studio window (the ``gan-studio`` command with no sub-command)."""

from __future__ import annotations

import gc
import signal
import sys

from gan_studio.config import Config, ConfigError


def main(cfg: Config | None = None, at_schedule=None, run: str | None = None) -> int:
    """Open the window on ``cfg`` (training starts paused), run the Qt event loop, return the exit code.

    Where no window can be opened (no display, missing system libraries) a ConfigError says why in one line.

    ``at_schedule``: changes ``(step, key, value)`` applied when the run reaches each step (as ``--at``).
    ``run``: a saved run folder to open at start (``cfg`` is its config.toml).
    """
    from gan_studio.gui.display import display_problem

    problem = display_problem()
    if problem:
        raise ConfigError(problem)
    from PyQt6 import QtCore, QtWidgets

    from gan_studio.gui.window import StudioWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("GAN Studio")
    window = StudioWindow(cfg or Config(), at_schedule=at_schedule or (), open_first=run)
    window.showMaximized()
    if run:
        window.show_message(f"opening the run in {run}…", False)
    # Ctrl-C in the terminal closes the window cleanly. Python runs a signal handler only when it next runs
    # code, and an idle Qt loop runs none (paints only follow frames), so a timer wakes it 5 times a second.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QtCore.QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    gc.collect()
    gc.freeze()  # keep full collections short: they showed up as repaint hiccups (DESIGN.md)
    try:
        return app.exec()
    finally:
        window.shutdown()
