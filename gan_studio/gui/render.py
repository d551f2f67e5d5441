"""``gan-studio render``: train headless in this process, then save the whole window (offscreen) as a PNG.

No worker process: a Trainer is built here, stepped, the ``--at`` changes are applied at their steps
(exactly as ``gan-studio run`` does), and the final frame with every metrics row and event is handed to
the same window the GUI shows.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from gan_studio import config
from gan_studio.config import Config, ConfigError
from gan_studio.schedule import Schedule
from gan_studio.worker import ENGINE, Packet, _devices, _load, describe_error, one_torch_thread


def _app():
    """The running QApplication, or a new offscreen one (rendering needs no screen)."""
    from PyQt6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QtWidgets.QApplication(["gan-studio-render"])
    return app


def train(cfg: Config, steps: int, at_schedule=(), trainer=ENGINE):
    """Build a trainer, run ``steps`` steps applying ``at_schedule``; return (trainer, rows, events, error)."""
    factory = _load(trainer) if isinstance(trainer, str) else trainer
    t = factory(cfg)
    one_torch_thread()
    schedule = Schedule(at_schedule)
    rows: list[dict] = []
    events: list[dict] = schedule.apply_due(t)
    error = ""
    try:
        while t.step_count < steps:
            row = t.step()
            if row:
                rows.append(row)
            events += schedule.apply_due(t)
    except ConfigError:
        raise
    except Exception as err:  # NaN / Inf or out of memory: draw the last good state with the message
        error = describe_error(err, str(getattr(t, "device", "")))
    if rows and rows[-1]["step"] == t.step_count:
        rows.pop()
    rows.append(t.metrics_row(full=True))  # the last row carries every metric, as in `gan-studio run`
    return t, rows, events, error


def render(cfg: Config, steps: int, out_png: str | os.PathLike, size: tuple[int, int] = (1600, 1000),
           at_schedule=(), theme: str = "light", scale: float = 1.0, trainer=ENGINE) -> str:
    """Train ``steps`` steps and write the full studio window as ``out_png``; return the training error
    message ("" when training finished normally; the PNG then shows the last good state and the message)."""
    out = Path(out_png)
    if out.suffix.lower() != ".png":
        raise ConfigError(f"--out: expected a .png file name, got '{out}'")
    if not out.parent.exists():
        raise ConfigError(f"--out: folder '{out.parent}' does not exist")
    app = _app()
    from gan_studio.gui.window import StudioWindow

    t0 = time.perf_counter()
    t, rows, events, error = train(cfg, steps, at_schedule, trainer)
    elapsed = time.perf_counter() - t0
    frame = t.frame()
    packet = Packet(frame=frame, rows=rows, events=events, messages=[], error=error, playing=False,
                    step=t.step_count, steps_per_s=t.step_count / elapsed if elapsed > 0 else 0.0,
                    cfg=config.to_dict(t.cfg), generation=1, device=str(getattr(t, "device", "")),
                    devices=_devices())
    window = StudioWindow(t.cfg, autostart=False, theme=theme, scale=scale)
    try:
        window.resize(*size)
        window.show()
        app.processEvents()
        window.on_packet(packet)
        window.paint()
        if not error:
            window.show_message(f"rendered headless: {t.step_count:,} steps in {elapsed:.1f} s", False)
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
    return error
