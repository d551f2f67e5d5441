"""File > Export video…: the current run, replayed from its record in the background, as a GIF / MP4 of the data
view; the window keeps answering while it is made; a bad file name is one line in the status bar."""

from __future__ import annotations

import time

import pytest
from PyQt6 import QtCore

from gan_studio.config import ConfigError
from gan_studio.export.video import frame_steps
from gan_studio.gui.video_export import one_line, video_path
from gan_studio.testing.synthetic import SyntheticTrainer
from gan_studio.worker.protocol import Step

imageio = pytest.importorskip("imageio.v2")
pytest.importorskip("imageio_ffmpeg")


def test_video_file_names_are_checked_in_one_line(tmp_path):
    assert video_path(str(tmp_path / "run")) == tmp_path / "run.mp4"  # no suffix: an MP4
    assert video_path(str(tmp_path / "run.GIF")) == tmp_path / "run.GIF"
    with pytest.raises(ConfigError, match=r"^'run\.avi' is not a video file name: use \.mp4 or \.gif$"):
        video_path(str(tmp_path / "run.avi"))
    with pytest.raises(ConfigError, match=r"^folder '.*nowhere' does not exist$"):
        video_path(str(tmp_path / "nowhere" / "run.gif"))
    assert one_line(ConfigError("--video: the imageio-ffmpeg package is not installed")) == \
        "the imageio-ffmpeg package is not installed"
    assert one_line(RuntimeError("ffmpeg\n  broke")) == "RuntimeError: ffmpeg broke"


def test_the_menu_item_and_requests_it_cannot_do_are_one_line(make_window, qtbot, tmp_path):
    w = make_window()
    assert "Export &video…" in [a.text() for a in w.file_menu.actions()]
    assert w.video_action.shortcut().toString() == "Ctrl+Shift+E"
    # nothing to show yet, names that are not videos, a folder that is not there: one line each, nothing started
    assert not w.export_video(str(tmp_path / "early.gif"))
    assert w.status_message.text() == "could not export the video: the run has no steps yet: train it first"
    w.send(Step(5))
    qtbot.waitUntil(lambda: w.step == 5, timeout=10000)
    assert not w.export_video(str(tmp_path / "run.avi"))
    assert w.status_message.text() == ("could not export the video: 'run.avi' is not a video file name: use .mp4 or "
                                       ".gif")
    assert not w.export_video(str(tmp_path / "nowhere" / "run.mp4"))
    assert w.status_message.text() == f"could not export the video: folder '{tmp_path / 'nowhere'}' does not exist"
    assert not w.video.running and w.video.thread is None


@pytest.mark.slow  # a training child is spawned (~4 s of imports on 2 shared cores): ~7 s
def test_export_video_writes_the_run_so_far_while_the_window_answers(make_window, qtbot, tmp_path):
    w = make_window()
    w.video_trainer = SyntheticTrainer
    w.send(Step(40))
    qtbot.waitUntil(lambda: w.step == 40 and not w.dirty, timeout=10000)
    # a GIF of 5 frames over the 40 steps, made while the window's timer keeps ticking
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    gif = tmp_path / "run.gif"
    with qtbot.waitSignal(w.video.finished, timeout=60000) as done:
        assert w.export_video(str(gif), frames=5)
        assert w.video.running and w.status_message.text().startswith("making the video run.gif")
        assert not w.export_video(str(tmp_path / "other.gif"))  # one at a time
        assert "a video is being made already" in w.status_message.text()
    timer.stop()
    assert done.args == [True, f"saved the video to {gif} (5 frames)"]
    assert w.status_message.text() == done.args[1]
    assert len(frame_steps(40, 5)) == 5
    with imageio.get_reader(gif) as reader:
        pictures = [frame for frame in reader]
    assert len(pictures) == 5
    assert pictures[0].shape == (720, 720, 3)  # the data view at video_export.SIZE, scale 1
    assert pictures[0].std() > 10 and (pictures[0] != pictures[-1]).any()  # drawn, and the run moved
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    # the window's thread drew each frame in between: no pause of a second (the longest measured 0.22 s on 2 busy
    # cores; making a second studio window instead paused it 1.1–1.6 s)
    assert len(ticks) > 10 and max(gaps) < 1.0
    w.video.cancel()  # the thread has ended: joined at once
    assert w.video.thread is None


@pytest.mark.slow  # a training child is spawned: ~6 s
def test_closing_the_window_mid_video_ends_the_training_child(make_window, qtbot, tmp_path):
    w = make_window()
    w.video_trainer = SyntheticTrainer
    w.send(Step(200))
    qtbot.waitUntil(lambda: w.step == 200, timeout=10000)
    assert w.export_video(str(tmp_path / "cut.mp4"), frames=100)
    qtbot.waitUntil(lambda: w.video.count >= 2, timeout=30000)
    thread = w.video.thread
    w.close()  # the no_leftovers fixture fails the test if the training child is still alive
    assert not w.video.running and not thread.is_alive()


def test_a_missing_ffmpeg_package_is_one_line_before_anything_trains(monkeypatch):
    import importlib.util

    from gan_studio.export.video import check_ffmpeg

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "imageio_ffmpeg" else real(name, *a))
    with pytest.raises(ConfigError, match=r"^--video: the imageio-ffmpeg package is not installed; pip install"):
        check_ffmpeg()
