"""A shown view outlives the test that made it until pytest-qt has closed it (tests/conftest.py,
``widgets_kept_until_closed``).

pytest-qt keeps only a weak reference to a widget given to ``qtbot.addWidget`` and paints once more after the test
returns. Our views sit in reference cycles, so a cyclic collection that ran during that paint deleted the view in the
middle of its own paint: "wrapped C/C++ object of type ReadableAxis has been deleted" in AxisItem.paint, then a
segfault (the default run died so, by chance, after test_latent.py). The fast test checks the view is held; the slow
one runs that paint with a collection in it, in a child pytest, with and without the fixture.
"""

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

INNER = '''
import gc

import pyqtgraph as pg


def test_a_shown_view_painted_after_its_test_returned(qtbot, monkeypatch):
    from gan_studio.gui.views.latent import LatentView

    view = LatentView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    view.itself = view  # garbage in a cycle once this returns, whatever the view's own cycles are
    base_paint = pg.AxisItem.paint

    def paint(axis, *args):  # a cyclic collection while an axis paints, as one may run at any allocation
        gc.collect()
        return base_paint(axis, *args)

    monkeypatch.setattr(pg.AxisItem, "paint", paint)
    view.glw.viewport().update()  # painted by pytest-qt after this returns, before it closes the view
'''


def _shown_view(qtbot):
    """A LatentView shown and handed to qtbot; only a weak reference comes back (the test's locals are gone)."""
    from gan_studio.gui.views.latent import LatentView

    view = LatentView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.itself = view  # a cycle, as a finished test leaves its view
    return weakref.ref(view)


def test_a_shown_view_is_held_until_pytest_qt_closes_it(qtbot):
    ref = _shown_view(qtbot)
    gc.collect()
    assert ref() is not None and ref().isVisible()


def _inner_run(tmp_path: Path, with_fixture: bool) -> subprocess.CompletedProcess:
    (tmp_path / "test_inner.py").write_text(INNER, encoding="utf-8")
    plugins = ["-p", "conftest"] if with_fixture else []
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.pathsep.join(
        [str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins,
                           "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
def test_a_collection_while_a_finished_tests_view_paints_is_safe_only_with_the_fixture(tmp_path):
    held = _inner_run(tmp_path, with_fixture=True)
    assert held.returncode == 0, held.stdout[-2000:] + held.stderr[-2000:]
    dropped = _inner_run(tmp_path, with_fixture=False)  # the crash the fixture prevents
    assert dropped.returncode != 0
    assert "ReadableAxis has been deleted" in dropped.stdout + dropped.stderr
