"""Where a window can be opened: the one-line answer when it cannot, the README's and CI's library list, and a
real X window under Xvfb (CI installs it; skipped where xvfb-run is missing)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gan_studio.gui.display import OFFSCREEN_PACKAGES, QT_PACKAGES, display_problem

ROOT = Path(__file__).resolve().parent.parent


def found(name: str) -> str:
    return f"/usr/lib/lib{name}.so"


def test_no_display_is_one_line_saying_what_to_do():
    text = display_problem({}, "linux", found)
    assert "\n" not in text and "DISPLAY" in text and "xvfb-run" in text and "gan-studio render" in text


def test_missing_libraries_are_named_with_the_apt_command():
    text = display_problem({"DISPLAY": ":0"}, "linux", lambda name: None if name == "xcb-icccm" else found(name))
    assert text == ("the window needs system libraries that are missing: libxcb-icccm4; install them with "
                    "`apt-get install libxcb-icccm4` (Debian/Ubuntu package names)")


def test_a_window_that_needs_no_screen_or_another_system_is_not_refused():
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", lambda name: None) is None
    assert display_problem({}, "darwin", lambda name: None) is None
    assert display_problem({"DISPLAY": ":0"}, "linux", found) is None


def test_gan_studio_without_a_display_prints_one_line_and_exits_2():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "gan_studio"], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("gan-studio: error: no display")


def test_readme_and_ci_install_exactly_the_window_libraries():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"`apt-get install ([^`]+)`", readme).group(1).split()
    assert listed == list(QT_PACKAGES)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r'qt_libs="([^"]+)"', ci).group(1).split() == [*QT_PACKAGES, "xvfb", "xauth"]
    assert OFFSCREEN_PACKAGES == listed[:6]


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (CI installs it)")
def test_the_window_opens_under_xvfb(tmp_path):
    code = ("import sys\n"
            "from PyQt6 import QtWidgets\n"
            "from gan_studio import config\n"
            "from gan_studio.gui.display import display_problem\n"
            "assert display_problem() is None, display_problem()\n"
            "from gan_studio.gui.window import StudioWindow\n"
            "from gan_studio.testing.synthetic import SyntheticTrainer\n"
            "from gan_studio.worker.handle import WorkerHandle\n"
            "app = QtWidgets.QApplication(['t'])\n"
            "assert app.platformName() == 'xcb', app.platformName()\n"
            f"rec = {str(tmp_path)!r}\n"
            "w = StudioWindow(config.Config(), worker_factory=lambda c, a: WorkerHandle(c, a,\n"
            "    trainer_factory=SyntheticTrainer, record_dir=rec))\n"
            "w.show()\n"
            "import time\n"
            "end = time.monotonic() + 60\n"
            "while (w.latest is None or w.latest.frame is None) and time.monotonic() < end:\n"
            "    app.processEvents(); time.sleep(0.02)\n"
            "ok = w.latest is not None and w.latest.frame is not None\n"
            "w.close(); app.processEvents()\n"
            "print('opened' if ok else 'no frame')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    out = subprocess.run(["xvfb-run", "-a", sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env=env, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip().endswith("opened"), out.stdout + out.stderr[-3000:]
