"""File > Export video…: the current run (or a stretch of it), replayed from its record in the background, as a
GIF / MP4 of the data view; the window keeps answering while it is made; a bad file name or stretch is one line in
the status bar."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PyQt6 import QtCore

from gan_studio.config import ConfigError
from gan_studio.export.video import frame_steps
from gan_studio.gui import video_export
from gan_studio.gui.video_export import StretchDialog, check_stretch, one_line, video_path
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


# -- a stretch of the run ---------------------------------------------------------------------------------------
def test_a_stretch_is_checked_in_one_line():
    check_stretch(0, 40, 40)
    check_stretch(39, 40, 40)
    check_stretch(5, 20, 40)
    with pytest.raises(ConfigError, match=r"^the run has no steps yet: train it first$"):
        check_stretch(0, 0, 0)
    with pytest.raises(ConfigError, match=r"^the video must end at a step from 1 to 40 \(the run's step\), got 41$"):
        check_stretch(0, 41, 40)
    with pytest.raises(ConfigError, match=r"^the video must begin at a step from 0 to 19 \(before its last step 20\), "
                                          r"got 20$"):
        check_stretch(20, 20, 40)
    with pytest.raises(ConfigError, match=r"^the video must begin at a step from 0 to 19 .*, got -1$"):
        check_stretch(-1, 20, 40)


def test_the_stretch_dialog_starts_at_the_whole_run_and_keeps_from_below_to(qtbot):
    dialog = StretchDialog(None, 2_000)
    qtbot.addWidget(dialog)
    assert dialog.stretch() == (0, 2_000)  # the whole run so far
    assert dialog.last.maximum() == 2_000  # no step the run has not reached
    assert dialog.note.text() == "150 frames (5.0 s at 30 frames/s), one every 13 steps or so"
    dialog.first.setValue(1_500)
    assert dialog.note.text().startswith("150 frames") and "one every 3 steps" in dialog.note.text()
    assert dialog.last.minimum() == 1_501  # to stays after from ...
    dialog.last.setValue(1_000)
    assert dialog.stretch() == (1_500, 1_501)
    dialog.first.setValue(1_999)  # from stays before to: held at 1,500
    assert dialog.stretch() == (1_500, 1_501)
    dialog.last.setValue(2_000)
    dialog.first.setValue(1_999)
    assert dialog.first.maximum() == 1_999 and dialog.stretch() == (1_999, 2_000)
    assert dialog.note.text().startswith("2 frames (0.1 s")


def test_export_video_of_a_stretch_draws_only_its_steps(make_window, qtbot, tmp_path, monkeypatch):
    from test_export import stream_here  # the same packets without the ~2 s child (the slow tests above spawn it)

    asked = []

    def stream(cfg, steps, at, *rest):
        asked.append((steps, list(at)))
        return stream_here(cfg, steps, at, *rest)

    monkeypatch.setattr(video_export, "stream_from_child", stream)
    w = make_window()
    w.video_trainer = SyntheticTrainer
    w.send(Step(40))
    qtbot.waitUntil(lambda: w.step == 40 and not w.dirty, timeout=10000)
    assert not w.export_video(str(tmp_path / "late.gif"), first=10, last=41)  # beyond the run: one line, nothing
    assert w.status_message.text() == ("could not export the video: the video must end at a step from 1 to 40 (the "
                                       "run's step), got 41")
    assert not w.export_video(str(tmp_path / "empty.gif"), first=30, last=30)
    assert "the video must begin at a step from 0 to 29" in w.status_message.text()
    gif = tmp_path / "stretch.gif"
    said = []
    w.video.progress.connect(said.append)
    with qtbot.waitSignal(w.video.finished, timeout=60000) as done:
        assert w.export_video(str(gif), frames=3, first=10, last=30)
    assert done.args == [True, f"saved the video to {gif} (3 frames)"]
    # trained from 0 to 30 (the run's record, replayed), frames of steps 10, 20 and 30 only
    assert asked == [(30, [10, 20, 30])]
    assert said[0] == "making the video stretch.gif: training the run again to step 30 (frames from step 10)…"
    assert [line.rsplit("(step ", 1)[1] for line in said[1:]] == ["10)", "20)", "30)"]
    with imageio.get_reader(gif) as reader:
        pictures = [frame for frame in reader]
    assert len(pictures) == 3 and {p.shape for p in pictures} == {(720, 720, 3)}  # video_export.SIZE, scale 1
    assert pictures[0].std() > 10 and (pictures[0] != pictures[-1]).any()


def test_the_menu_asks_for_the_stretch_then_the_file(make_window, qtbot, tmp_path, monkeypatch):
    from PyQt6 import QtWidgets

    w = make_window()
    w.send(Step(40))
    qtbot.waitUntil(lambda: w.step == 40, timeout=10000)
    shown, asked, exported = [], [], []

    def answer(dialog):
        shown.append(dialog.stretch())
        dialog.first.setValue(12)
        dialog.last.setValue(36)
        return QtWidgets.QDialog.DialogCode.Accepted

    monkeypatch.setattr(StretchDialog, "exec", answer)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda parent, title, start, kinds: (asked.append(start), (str(tmp_path / "s.gif"), ""))[1])
    monkeypatch.setattr(w, "export_video", lambda path, **kw: exported.append((path, kw)))
    folder = w.last_folder
    w.choose_video_file()
    assert shown == [(0, 40)]  # the whole run so far, unless changed
    assert asked == [str(Path(folder) / "gan-studio-steps-12-36.mp4")]  # the file name says the stretch
    assert exported == [(str(tmp_path / "s.gif"), {"first": 12, "last": 36})]
    monkeypatch.setattr(StretchDialog, "exec", lambda dialog: QtWidgets.QDialog.DialogCode.Rejected)
    w.choose_video_file()  # cancelled: no file asked for, nothing made
    assert len(asked) == 1 and len(exported) == 1
