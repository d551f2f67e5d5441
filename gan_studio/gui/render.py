"""``gan-studio render``: draw a trained run's final Packet in the full studio window (offscreen) as a PNG, and
``render --video``: draw a Packet every few steps and stream the window (or its data view) to a video or GIF.

Training happens elsewhere (``worker.oneshot``, in a child process, through the same Runner as ``gan-studio
run``); this module only draws the frames, rows and events it is handed. It never imports torch.
"""

from __future__ import annotations

import os
from pathlib import Path

from gan_studio import config
from gan_studio.config import ConfigError
from gan_studio.worker.protocol import Packet


def _app():
    """The running QApplication, or a new offscreen one (rendering needs no screen)."""
    from PyQt6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QtWidgets.QApplication(["gan-studio-render"])
    return app


def pixmap_pixels(pixmap):
    """A QPixmap (e.g. ``widget.grab()``) as an (H, W, 3) uint8 NumPy array (a copy; rows padded by Qt are cut)."""
    import numpy as np
    from PyQt6 import QtGui

    image = pixmap.toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    height, width, stride = image.height(), image.width(), image.bytesPerLine()
    data = np.frombuffer(image.constBits().asarray(stride * height), np.uint8)
    return data.reshape(height, stride)[:, :width * 3].reshape(height, width, 3).copy()


def check_png_path(out_png: str | os.PathLike) -> Path:
    """The output path if it names a .png in an existing folder; else a ConfigError saying what is allowed."""
    out = Path(out_png)
    if out.suffix.lower() != ".png":
        raise ConfigError(f"--out: expected a .png file name, got '{out}'")
    if not out.parent.exists():
        raise ConfigError(f"--out: folder '{out.parent}' does not exist")
    return out


SCALE_RANGE = (0.5, 4.0)  # view scales the layout was checked at lie in 1–2; beyond this fonts overflow the plots


def check_view(theme: str, scale: float) -> None:
    """A ConfigError naming the option unless ``theme`` is a known theme and ``scale`` a usable view scale."""
    from gan_studio.gui.theme import THEMES

    if theme not in THEMES:
        raise ConfigError(f"--theme: expected one of {', '.join(THEMES)}, got '{theme}'")
    lo, hi = SCALE_RANGE
    if not lo <= scale <= hi:
        raise ConfigError(f"--scale: expected a view scale from {lo:g} to {hi:g} (1 = 100 %), got {scale:g}")


VIEWS = ("data", "window")  # what a video shows: the data view, or the whole window


class OffscreenWindow:
    """The studio window drawn offscreen at a fixed size, fed Packets one after another (its history grows as
    the window's does while playing); ``grab`` returns what it shows as an (H, W, 3) uint8 array."""

    def __init__(self, cfg_dict: dict, size: tuple[int, int] = (1600, 1000), theme: str = "light",
                 scale: float = 1.0):
        check_view(theme, scale)
        self.app = _app()
        from gan_studio.gui.window import StudioWindow

        self.window = StudioWindow(config.from_dict(cfg_dict, "render"), autostart=False, theme=theme, scale=scale)
        self.window.resize(*size)
        self.window.show()
        self.app.processEvents()

    def show(self, packet: Packet, settle: int = 1, message: bool = False) -> None:
        """Draw ``packet``; ``settle`` rounds of event processing let layouts follow (3 for a first or last
        picture); ``message``: say in the status bar how the run was rendered."""
        self.window.on_packet(packet)
        self.window.paint()
        if message and not packet.error:
            self.window.show_message(f"rendered headless: {packet.step:,} steps at {packet.steps_per_s:,.0f} "
                                     "steps/s", False)
        for _ in range(settle):
            self.app.processEvents()

    def pixmap(self, view: str = "window"):
        """The QPixmap of the whole window, or of the data view (``view`` = "data")."""
        return (self.window.data_stack if view == "data" else self.window).grab()

    def grab(self, view: str = "window"):
        """What ``view`` shows now as an (H, W, 3) uint8 NumPy array."""
        return pixmap_pixels(self.pixmap(view))

    def save_png(self, out_png: str | os.PathLike) -> None:
        """Write the whole window as a PNG; a ConfigError if it cannot be written."""
        if not self.pixmap().save(str(out_png), "PNG"):
            raise ConfigError(f"--out: could not write '{out_png}'")

    def close(self) -> None:
        """End the window (and its timers)."""
        self.window.shutdown()
        self.window.close()
        self.window.deleteLater()
        self.app.processEvents()


def draw_packet(packet: Packet, out_png: str | os.PathLike, size: tuple[int, int] = (1600, 1000),
                theme: str = "light", scale: float = 1.0) -> None:
    """Write the studio window showing ``packet`` (its frame, every row and event) as ``out_png``."""
    out = check_png_path(out_png)
    window = OffscreenWindow(packet.cfg, size, theme, scale)
    try:
        window.show(packet, settle=3, message=True)  # let layouts settle at the final size
        window.save_png(out)
    finally:
        window.close()


def render(cfg: config.Config, steps: int, out_png: str | os.PathLike, size: tuple[int, int] = (1600, 1000),
           at_schedule=(), theme: str = "light", scale: float = 1.0, trainer_factory=None,
           progress: bool = False) -> str:
    """Train ``steps`` steps in a child process and write the full studio window as ``out_png``; return the
    training error message ("" when training finished normally; the PNG then shows the last good state).
    ``progress``: step, percentage and time left on stderr while it trains."""
    from gan_studio.worker.handle import train_in_child

    check_png_path(out_png)  # before minutes of training
    check_view(theme, scale)
    packet = train_in_child(cfg, steps, at_schedule, trainer_factory, progress)
    draw_packet(packet, out_png, size=size, theme=theme, scale=scale)
    return packet.error


def render_video(cfg: config.Config, steps: int, video: str | os.PathLike, frames: int = 150, fps: float = 30.0,
                 view: str = "data", out_png: str | os.PathLike | None = None, size: tuple[int, int] = (1600, 1000),
                 at_schedule=(), theme: str = "light", scale: float = 1.0, trainer_factory=None,
                 progress: bool = False, start: int = 0) -> str:
    """Train ``steps`` steps in a child process and write ``video`` (.mp4 or .gif): the window (``view`` =
    "window") or its data view ("data") drawn at ``frames`` evenly spaced steps from ``start`` to ``steps`` (the
    run is trained from step 0 either way: the same run), streamed to the file as they arrive. ``out_png``: also
    write the whole window at the end, as ``render`` does. Returns the training error message ("" when training
    finished normally; the video then ends at the last good state)."""
    from gan_studio.export.video import VideoWriter, check_frames, check_start, check_video_path, frame_steps
    from gan_studio.worker.handle import stream_from_child

    check_video_path(video)  # before minutes of training
    check_frames(frames, fps)
    if start:
        check_start(start, steps)
    check_view(theme, scale)
    if view not in VIEWS:
        raise ConfigError(f"--video-view: expected one of {', '.join(VIEWS)}, got '{view}'")
    if out_png is not None:
        check_png_path(out_png)
    window: OffscreenWindow | None = None
    packet: Packet | None = None
    try:
        with VideoWriter(video, fps) as writer:
            at = frame_steps(steps, frames, start)
            for packet in stream_from_child(cfg, steps, at, at_schedule, trainer_factory, progress):
                if window is None:
                    window = OffscreenWindow(packet.cfg, size, theme, scale)
                window.show(packet, settle=3 if writer.count == 0 else 1)
                writer.append(window.grab(view))
        if out_png is not None and window is not None and packet is not None:
            window.show(packet, settle=3, message=True)
            window.save_png(out_png)
    finally:
        if window is not None:
            window.close()
    return packet.error if packet is not None else ""
