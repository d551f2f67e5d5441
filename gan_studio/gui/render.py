"""``gan-studio render``: draw a trained run's final Packet in the full studio window (offscreen) as a PNG.

Training happens elsewhere (``worker.render_job``, in a child process, through the same Runner as
``gan-studio run``); this module only draws the frame, rows and events it is handed. It never imports torch.
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


def draw_packet(packet: Packet, out_png: str | os.PathLike, size: tuple[int, int] = (1600, 1000),
                theme: str = "light", scale: float = 1.0) -> None:
    """Write the studio window showing ``packet`` (its frame, every row and event) as ``out_png``."""
    out = check_png_path(out_png)
    check_view(theme, scale)
    app = _app()
    from gan_studio.gui.window import StudioWindow

    cfg = config.from_dict(packet.cfg, "render")
    window = StudioWindow(cfg, autostart=False, theme=theme, scale=scale)
    try:
        window.resize(*size)
        window.show()
        app.processEvents()
        window.on_packet(packet)
        window.paint()
        if not packet.error:
            window.show_message(f"rendered headless: {packet.step:,} steps at {packet.steps_per_s:,.0f} steps/s",
                                False)
        for _ in range(3):  # let layouts settle at the final size
            app.processEvents()
        pixmap = window.grab()
        if not pixmap.save(str(out), "PNG"):
            raise ConfigError(f"--out: could not write '{out}'")
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()
        app.processEvents()


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
