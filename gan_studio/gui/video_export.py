"""File > Export video…: the current run, or a stretch of it, from its record, as an MP4 or a GIF of the data view,
made while the window goes on.

The window keeps no pictures of past steps, so the video is made as ``gan-studio render --video`` makes one: the
run's record (its config.toml and events.jsonl, replayed byte-identically) is trained again in a child process up
to the video's last step (``worker.handle.stream_from_child``), and at ``frames`` evenly spaced steps of the
stretch the person chose in ``StretchDialog`` (``export.video.frame_steps``; from step 0 to the current step unless
changed) the packet's frame is drawn by the window's own data views, off screen
(``DataPictures``), and goes to ffmpeg (``export.video.VideoWriter``).

Threads: a Python thread waits on the child's packets and hands each one to the window's thread by a queued signal;
drawing and writing happen there, one packet at a time (the thread hands over the next only when the last is drawn,
so the window's event queue never piles up and memory stays at one packet). Only the data views are made, not a
second studio window: that took 1.3–2.9 s on 2 busy cores, a freeze at the click; the views take ~0.1 s, and each
frame 0.1–0.2 s, between which the window paints and answers as usual.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PyQt6 import QtCore, QtWidgets

from gan_studio.config import Config, ConfigError
from gan_studio.export.video import DEFAULT_FPS, DEFAULT_FRAMES, VideoWriter, check_ffmpeg, frame_steps
from gan_studio.gui import theme as th
from gan_studio.gui.dialogs import add_ok_cancel
from gan_studio.gui.render import pixmap_pixels
from gan_studio.gui.views.data1d import DataView1D
from gan_studio.gui.views.data2d import DataView2D
from gan_studio.gui.views.samples import SampleGrid
from gan_studio.worker.handle import stream_from_child

SIZE = (720, 720)  # the pictures' width and height at scale 1 (a 2D view's square plot, its key and axes)
STOP_WAIT_S = 5.0  # closing the window waits this long for the thread (it ends the child within STOP_TIMEOUT_S)


def video_path(path: str) -> Path:
    """``path`` as a video file name: ``.mp4`` added when it has no suffix; a ConfigError (one line) when the suffix
    is another or the folder does not exist."""
    out = Path(path)
    if not out.suffix:
        out = out.with_name(out.name + ".mp4")
    if out.suffix.lower() not in (".mp4", ".gif"):
        raise ConfigError(f"'{out.name}' is not a video file name: use .mp4 or .gif")
    if not out.parent.is_dir():
        raise ConfigError(f"folder '{out.parent}' does not exist")
    return out


def check_stretch(first: int, last: int, current: int) -> None:
    """A ConfigError (one line) unless steps ``first`` to ``last`` are a stretch of a run now at step ``current``:
    0 ≤ first < last ≤ current (a video of the steps to come cannot be made from the record)."""
    if current <= 0:
        raise ConfigError("the run has no steps yet: train it first")
    if not 1 <= last <= current:
        raise ConfigError(f"the video must end at a step from 1 to {current:,} (the run's step), got {last:,}")
    if not 0 <= first < last:
        raise ConfigError(f"the video must begin at a step from 0 to {last - 1:,} (before its last step "
                          f"{last:,}), got {first:,}")


class StretchDialog(QtWidgets.QDialog):
    """The small dialog of File > Export video…: which steps of the run the video shows (from, to), with the
    frames that gives. Defaults: the whole run so far, 0 to ``current``."""

    def __init__(self, parent, current: int, frames: int = DEFAULT_FRAMES, fps: float = DEFAULT_FPS):
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.frames, self.fps = frames, fps
        column = QtWidgets.QVBoxLayout(self)
        intro = QtWidgets.QLabel("The data view over these steps of the run (trained again from step 0 in the "
                                 "background):")
        intro.setWordWrap(True)
        column.addWidget(intro)
        form = QtWidgets.QFormLayout()
        self.first, self.last = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        self.first.setObjectName("video_from")
        self.last.setObjectName("video_to")
        for box in (self.first, self.last):
            box.setRange(0, max(current, 1))
            box.setGroupSeparatorShown(True)
            box.setAccelerated(True)  # a long run: holding an arrow speeds up
        self.first.setValue(0)
        self.last.setValue(current)
        form.addRow("From step", self.first)
        form.addRow("To step", self.last)
        column.addLayout(form)
        self.note = QtWidgets.QLabel()
        self.note.setObjectName("video_note")
        self.note.setWordWrap(True)
        column.addWidget(self.note)
        for box in (self.first, self.last):
            box.valueChanged.connect(self._follow)
        add_ok_cancel(self, column)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 24)
        # the dialog takes its layout's size (wrapped lines included): left to itself it came out shorter than its
        # wrapped lines at 200 % and cut them
        column.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetFixedSize)
        self._follow()

    def _follow(self) -> None:
        """Keep from < to (each box's range follows the other) and say how many frames the stretch gives."""
        top = self.last.maximum()
        self.first.setMaximum(max(self.last.value() - 1, 0))
        self.last.setMinimum(min(self.first.value() + 1, top))
        first, last = self.stretch()
        count = len(frame_steps(last, self.frames, first))
        self.note.setText(f"{count} frames ({count / self.fps:.1f} s at {self.fps:g} frames/s), "
                          f"one every {max((last - first) / max(count - 1, 1), 1):,.0f} steps or so")

    def stretch(self) -> tuple[int, int]:
        """The chosen first and last steps."""
        return self.first.value(), self.last.value()


def one_line(err: BaseException) -> str:
    """An error as one line without the command-line option it names (the window has no options)."""
    text = str(err).removeprefix("--video: ") if isinstance(err, ConfigError) else f"{type(err).__name__}: {err}"
    return " ".join(text.split())


class DataPictures:
    """The window's data views (2D points, 1D densities, image samples), drawn off screen at ``SIZE`` × scale:
    ``draw`` gives a frame's picture as the window's data view shows that frame."""

    def __init__(self, theme: str, scale: float):
        colours = th.THEMES[theme]
        self.view2d, self.view1d = DataView2D(colours, scale), DataView1D(colours, scale)
        self.samples = SampleGrid(colours, scale)
        self.stack = QtWidgets.QStackedWidget()
        for view in (self.view2d, self.view1d, self.samples):
            self.stack.addWidget(view)
        self.stack.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)  # laid out, never on a screen
        self.stack.resize(round(SIZE[0] * scale), round(SIZE[1] * scale))
        self.stack.show()

    def draw(self, frame, probed: bool = True) -> np.ndarray:
        """The picture of ``frame`` (the view that fits it, as ``StudioWindow.draw_frame`` chooses)."""
        real = getattr(frame, "real", None)
        if real is not None and getattr(real, "ndim", 2) == 4:
            self.samples.update_frame(frame)
            view = self.samples
        elif frame.dim == 1:
            self.view1d.update_frame(frame, probed)
            view = self.view1d
        else:
            self.view2d.update_frame(frame, probed)
            view = self.view2d
        self.stack.setCurrentWidget(view)
        return pixmap_pixels(self.stack.grab())

    def close(self) -> None:
        """End the views."""
        self.stack.close()
        self.stack.deleteLater()


class VideoExport(QtCore.QObject):
    """One video being made at a time; ``progress`` and ``finished`` carry one line for the status bar."""

    progress = QtCore.pyqtSignal(str)
    finished = QtCore.pyqtSignal(bool, str)  # whether the video was written, and what to say
    # thread → window, each with the number of the export it belongs to (a late one of an export that ended is dropped)
    _packet = QtCore.pyqtSignal(int, object)  # a packet to draw
    _ended = QtCore.pyqtSignal(int, str)  # the run ended ("" or what went wrong)

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._packet.connect(self._draw)
        self._ended.connect(self._end)
        self._first = None  # the first packet, drawn a turn after the views are made
        self._first_timer = QtCore.QTimer(self)  # owned: it never fires into an export already deleted
        self._first_timer.setSingleShot(True)
        self._first_timer.timeout.connect(lambda: self._draw(self.number, self._first))
        self.number = 0  # which export this is (the thread's signals carry it)
        self.trouble = ""  # a training error the run stopped at (the video ends at its last good state)
        self.writer: VideoWriter | None = None
        self.pictures: DataPictures | None = None  # the off-screen data views, made at the first packet
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()
        self.turn = threading.Semaphore(1)  # the thread may hand over a packet (released when one is drawn)
        self.path = Path()
        self.count, self.total = 0, 0

    @property
    def running(self) -> bool:
        """Whether a video is being made."""
        return self.writer is not None

    def start(self, cfg: Config, steps: int, schedule_items, path: str, theme: str, scale: float,
              frames: int = DEFAULT_FRAMES, fps: float = DEFAULT_FPS, trainer_factory=None, first: int = 0) -> Path:
        """Begin a video of ``cfg`` with ``schedule_items`` trained to ``steps``, its frames from step ``first`` to
        ``steps``, written to ``path``; returns the file's path. A ConfigError (one line) when it cannot begin;
        later trouble comes as ``finished``."""
        if self.running:
            raise ConfigError(f"a video is being made already ({self.path.name}: frame {self.count} of "
                              f"{self.total}); wait for it")
        check_stretch(first, steps, steps)
        out = video_path(path)
        try:
            check_ffmpeg()
        except ConfigError as err:
            raise ConfigError(one_line(err)) from None
        self.writer = VideoWriter(out, fps)
        self.path, self.count, self.trouble = out, 0, ""
        self.theme, self.scale = theme, scale
        at = frame_steps(steps, frames, first)
        self.total = len(at)
        self.number += 1
        # this export's own stop and turn: a thread of an export that ended may still be winding down
        self.stop, self.turn = threading.Event(), threading.Semaphore(1)
        self.thread = threading.Thread(target=self._pull, name="gan-studio-video", daemon=True,
                                       args=(self.number, self.stop, self.turn, cfg, steps, at, list(schedule_items),
                                             trainer_factory))
        self.thread.start()
        stretch = f" (frames from step {first:,})" if first else ""
        self.progress.emit(f"making the video {out.name}: training the run again to step {steps:,}{stretch}…")
        return out

    @staticmethod
    def _wait_turn(stop: threading.Event, turn: threading.Semaphore) -> bool:
        """(thread) Wait until the last packet is drawn; False when the export was stopped meanwhile."""
        while not turn.acquire(timeout=0.2):
            if stop.is_set():
                return False
        return not stop.is_set()

    def _pull(self, number, stop, turn, cfg, steps, at, items, trainer_factory) -> None:
        """(thread) Hand the child's packets over one at a time, then say how the run ended."""
        error = ""
        try:
            for packet in stream_from_child(cfg, steps, at, items, trainer_factory):
                if not self._wait_turn(stop, turn):
                    return  # leaving the loop ends the child
                self._packet.emit(number, packet)
        except Exception as err:  # a ConfigError from the child, a child that died: said in one line
            error = one_line(err)
        if self._wait_turn(stop, turn):
            self._ended.emit(number, error)

    def _draw(self, number: int, packet) -> None:
        """(window) Draw one packet and append its data view to the video."""
        if not self.running or number != self.number:
            return
        if packet.error:  # training stopped (a non-finite value): the packet shows the last good state
            self.trouble = f"training stopped at step {packet.step:,}: {' '.join(packet.error.split())}"
        if packet.frame is None:
            self.turn.release()
            return
        try:
            if self.pictures is None:  # made now, the packet drawn at the next turn: two short pauses, not one long
                self.pictures = DataPictures(self.theme, self.scale)
                self._first = packet
                self._first_timer.start(0)
                return
            self.writer.append(self.pictures.draw(packet.frame, packet.probed))
        except Exception as err:  # ffmpeg could not write (a full disk, a folder it may not write in)
            self._finish(False, f"could not write the video {self.path}: {one_line(err)}")
            return
        self.count += 1
        self.progress.emit(f"making the video {self.path.name}: frame {self.count} of {self.total} "
                           f"(step {packet.step:,})")
        self.turn.release()

    def _end(self, number: int, error: str) -> None:
        """(window) The run ended: finish the file and say so."""
        if not self.running or number != self.number:
            return
        if error:
            self._finish(False, f"could not make the video: {error}")
        else:
            self._finish(True, f"saved the video to {self.path} ({self.count} frames)"
                         + (f"; {self.trouble}" if self.trouble else ""))

    def _finish(self, ok: bool, text: str) -> None:
        """Close ffmpeg and the hidden window, let the thread end, and say ``text``."""
        self.stop.set()
        self._first_timer.stop()
        self.turn.release()  # a thread waiting for its turn sees the stop
        writer, self.writer = self.writer, None
        try:
            writer.close()
        except Exception as err:  # ffmpeg failed at the end (its trailer)
            ok, text = False, f"could not write the video {self.path}: {one_line(err)}"
        if self.pictures is not None:
            self.pictures.close()
            self.pictures = None
        self.finished.emit(ok, text)

    def cancel(self) -> None:
        """Stop a video being made (the window closes): the child ends, the partial file is left as it is."""
        if self.running:
            self.stop.set()
            self._first_timer.stop()
            self.turn.release()
            writer, self.writer = self.writer, None
            try:
                writer.close()
            except Exception:  # closing anyway: nothing to tell a window that is going
                pass
            if self.pictures is not None:
                self.pictures.close()
                self.pictures = None
        if self.thread is not None:
            self.thread.join(STOP_WAIT_S)
            self.thread = None
