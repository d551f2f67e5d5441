"""Help → What the panels show: every tab the window has is described, with the one line it teaches, so the help
cannot drift from the window (a new tab without a paragraph fails here)."""

from __future__ import annotations

import numpy as np
from PyQt6 import QtWidgets

from gan_studio.frames import Display, Frame
from gan_studio.gui.help import PANELS, panels_dialog


def _image_frame() -> Frame:
    """A frame of 8×8 images without an image dict (the Images tab falls back to fake / real)."""
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (16, 1, 8, 8)).astype(np.float32)
    return Frame(step=1, dim=64, loss="ns", lipschitz="none", bounds=np.zeros((0, 2)), real=images, fake=images,
                 display=Display(d_view="probability", kind="image"))


def test_every_tab_of_the_window_is_described_in_the_help(make_window):
    w = make_window()
    w._draw_images(_image_frame())  # the Images tab is made by the first image frame; Seeds is there, hidden
    titles = [w.tabs.tabText(i) for i in range(w.tabs.count())]
    assert {"Data space", "Dirac-GAN lab", "Latent space", "Seeds", "Images"} <= set(titles), titles
    described = [panel.name for panel in PANELS]
    assert [title for title in titles if title not in described] == []
    assert len(set(described)) == len(described)
    # the panels that are no tabs: the time series, the timeline under them, the lesson bar, the controls
    assert w.timeline is not None and w.lesson_bar is not None
    assert {"Time series", "Timeline", "Lesson bar", "Controls"} <= set(described)


def test_the_dialog_shows_each_panel_with_its_lesson(make_window):
    w = make_window()
    dialog = panels_dialog(w)
    text = dialog.findChild(QtWidgets.QLabel, "panels").text()
    for panel in PANELS:
        assert panel.lesson and "\n" not in panel.lesson and len(panel.lesson) <= 120, panel.name
        assert f"<h3>{panel.name}</h3>" in text and panel.lesson in text and panel.text in text
    dialog.close()


def test_the_dialog_grows_with_the_view_scale_and_stays_inside_the_window(make_window):
    """Sized in lines of the window's font: at a fixed 620 × 560 px, 200 % showed one panel at a time."""
    small = make_window()
    small.resize(1280, 720)
    one = panels_dialog(small)  # before the 200 % window: the scale sets the application's font
    assert (one.width(), one.height()) == (620, 560)
    large = make_window(scale=2.0)
    large.resize(1280, 720)
    two = panels_dialog(large)
    assert one.width() < two.width() <= 0.9 * large.width() and one.height() < two.height() <= 0.9 * large.height()
    one.close()
    two.close()
