"""Shared test set-up: offscreen Qt (must be set before any QApplication exists), one torch thread, the
worker's run recordings in pytest's temporary folder (not <temp>/gan-studio-runs), and a check that no test
leaves a QThread running or a child process alive."""

import multiprocessing
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from PyQt6 import QtCore  # noqa: E402  (after QT_QPA_PLATFORM is set)


@pytest.fixture(autouse=True, scope="session")
def _recordings(tmp_path_factory):
    """Every run a worker trains is recorded; spawned workers inherit this folder from the environment."""
    os.environ["GAN_STUDIO_RUNS"] = str(tmp_path_factory.mktemp("recordings"))


@pytest.fixture(autouse=True)
def no_leftovers(monkeypatch):
    """Fail a test that leaves a QThread running or a child process alive (napari's check, plus processes)."""
    started: list[QtCore.QThread] = []
    base_start = QtCore.QThread.start

    def start(self, *args):
        started.append(self)
        return base_start(self, *args)

    monkeypatch.setattr(QtCore.QThread, "start", start)
    yield
    running = []
    for t in started:
        try:
            if t.isRunning():
                running.append(t)
                t.requestInterruption()
                t.wait(2000)
        except RuntimeError:  # its C++ object is already deleted: it is not running
            pass
    children = multiprocessing.active_children()
    for child in children:
        child.kill()
        child.join(1)
    assert not running, f"test left {len(running)} QThread(s) running"
    assert not children, f"test left processes alive: {children}"


@pytest.fixture(autouse=True)
def widgets_kept_until_closed(monkeypatch):
    """Hold every widget given to ``qtbot.addWidget`` until pytest-qt has closed it (this fixture ends after).

    pytest-qt keeps only a weak reference and paints once more (``processEvents``) after the test returns, before
    it closes the widgets. Our views sit in reference cycles (a lambda connected to their own signals holds them),
    so once the test's locals are gone a shown view is garbage that is still on screen: a cyclic collection that
    ran while it painted (AxisItem.paint allocates plenty) deleted it in the middle of its own paint, and the run
    died with "wrapped C/C++ object of type ReadableAxis has been deleted" and a segfault (after test_latent.py's
    LatentView test; tests/test_widget_lifetime.py makes that collection happen)."""
    from pytestqt.qtbot import QtBot

    kept: list = []
    base_add = QtBot.addWidget

    def add_widget(self, widget, *, before_close_func=None):
        kept.append(widget)
        base_add(self, widget, before_close_func=before_close_func)

    monkeypatch.setattr(QtBot, "addWidget", add_widget)
    yield
    kept.clear()  # closed by now: collecting them no longer touches anything being painted


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Open StudioWindows (worker: the synthetic trainer unless ``trainer`` names another), each waited on until
    its first frame is drawn; runs are recorded in tmp_path; every window is closed (worker ended) at teardown."""
    from gan_studio import config
    from gan_studio.gui.window import StudioWindow
    from gan_studio.testing.synthetic import SyntheticTrainer
    from gan_studio.worker.handle import WorkerHandle

    windows = []

    def make(cfg=None, trainer=SyntheticTrainer, **window_kw):
        def worker(c, a):
            return WorkerHandle(c, a, trainer_factory=trainer, record_dir=tmp_path / "recordings")

        w = StudioWindow(cfg or config.Config(), worker_factory=worker, **window_kw)
        w.confirm = lambda text: True
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        qtbot.waitUntil(lambda: w.latest is not None and w.latest.frame is not None and not w.dirty, timeout=60000)
        return w

    yield make
    for w in windows:
        w.close()
