"""Benchmark: training speed with the studio window open and painting vs headless, and the window's frame rate.

On the default 2D preset:
  * headless: a spawned process running ``Trainer.step()`` with one torch thread (what ``gan-studio run``
    does, without writing files), measured before and after the GUI run (the mean is the reference);
  * GUI: the studio window (offscreen unless a display is set) with its worker process, playing at full
    speed; steps/s from the worker's step counter, frames/s and the p95 interval between painted frames,
    counted as real paint events of the data view (each painted frame also got a new frame from the worker).

Prints a human summary and, last, one JSON line. Targets (issue 4): gui/headless ≥ 0.8, ≥ 30 frames/s,
p95 frame interval ≤ 50 ms.

    python bench/bench_gui.py [--seconds 15] [--preset ring8-collapse]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time


def _headless(cfg_dict: dict, seconds: float, out) -> None:
    """Child process: steps/s of a bare Trainer loop after a warm-up."""
    import torch

    torch.set_num_threads(1)
    from gan_studio import config
    from gan_studio.engine import Trainer

    t = Trainer(config.from_dict(cfg_dict))
    for _ in range(50):
        t.step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t.step()
        n += 1
    out.put(n / (time.perf_counter() - t0))


def headless_steps_per_s(cfg_dict: dict, seconds: float) -> float:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_headless, args=(cfg_dict, seconds, q))
    p.start()
    rate = q.get(timeout=seconds + 120)
    p.join(5)
    return rate


def gui_run(cfg, seconds: float, warmup: float = 4.0) -> dict:
    """Open the window, play at full speed, measure; returns the numbers."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "")
    if not os.environ["QT_QPA_PLATFORM"]:
        del os.environ["QT_QPA_PLATFORM"]
    import numpy as np
    from PyQt6 import QtCore, QtWidgets

    from gan_studio.gui.window import StudioWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench"])
    window = StudioWindow(cfg)
    window.show()
    import gc

    gc.collect()
    gc.freeze()  # as gan_studio.gui.app.main does after opening the window
    paints: list[float] = []

    class Counter(QtCore.QObject):
        def eventFilter(self, obj, ev):  # noqa: N802
            if ev.type() == QtCore.QEvent.Type.Paint:
                paints.append(time.monotonic())
            return False

    counter = Counter()
    window.view2d.viewport().installEventFilter(counter)

    def spin(until: float) -> None:
        """Run the Qt event loop until ``until`` (as app.exec() would: no busy polling)."""
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(max(0, int((until - time.monotonic()) * 1000)), loop.quit)
        loop.exec()

    start = time.monotonic()
    while window.latest is None and time.monotonic() - start < 120:
        spin(time.monotonic() + 0.05)
    startup = time.monotonic() - start
    window.send(("play",))
    spin(time.monotonic() + warmup)
    step0, t0 = window.step, time.monotonic()
    paints.clear()
    made0, dropped0 = window.latest.frames_made, window.latest.frames_dropped
    frames0 = window.frames_painted
    packets0 = window.packets_received
    probed_seen = []
    window.bridge.packet.connect(lambda p: probed_seen.append(p.probed))
    spin(t0 + seconds)
    step1, t1 = window.step, time.monotonic()
    frames = window.frames_painted - frames0
    made, dropped = window.latest.frames_made - made0, window.latest.frames_dropped - dropped0
    packets = window.packets_received - packets0
    intervals = np.diff(np.array(paints)) * 1000 if len(paints) > 2 else np.array([np.inf])
    painted = [t for t in window.paint_times if t0 <= t <= t1]
    paint_int = np.diff(np.array(painted)) * 1000 if len(painted) > 2 else np.array([np.inf])
    costs = np.array(list(window.paint_costs)[-max(frames, 1):]) * 1000
    result = {
        "startup_s": round(startup, 2),
        "gui_steps_per_s": (step1 - step0) / (t1 - t0),
        "frames_per_s": frames / (t1 - t0),
        "p95_frame_interval_ms": float(np.percentile(paint_int, 95)),
        "view_repaints_per_s": len(paints) / (t1 - t0),
        "p95_repaint_interval_ms": float(np.percentile(intervals, 95)),
        "packets_per_s": packets / (t1 - t0),
        "worker_frames_made_per_s": made / (t1 - t0),
        "worker_frames_dropped_per_s": dropped / (t1 - t0),
        "probed_frames_per_s": sum(probed_seen) / (t1 - t0),
        "paint_cost_ms_p50": float(np.percentile(costs, 50)),
        "paint_cost_ms_p95": float(np.percentile(costs, 95)),
        "worker_frame_cost_ms": (window.latest.frame_cost_s * 1000) if window.latest else None,
    }
    t_close = time.monotonic()
    window.close()
    result["close_s"] = round(time.monotonic() - t_close, 3)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15.0, help="measurement time of each phase")
    ap.add_argument("--preset", default=None, help="preset (default: the app's default preset)")
    args = ap.parse_args(argv)
    from gan_studio import config
    from gan_studio.presets import DEFAULT_PRESET, load_preset

    name = args.preset or DEFAULT_PRESET
    cfg = load_preset(name)
    cfg_dict = config.to_dict(cfg)
    before = headless_steps_per_s(cfg_dict, args.seconds)
    gui = gui_run(cfg, args.seconds)
    after = headless_steps_per_s(cfg_dict, args.seconds)
    headless = (before + after) / 2
    out = {"preset": name, "cores": os.cpu_count(), "seconds": args.seconds,
           "headless_steps_per_s": round(headless, 1), "headless_before_after": [round(before, 1), round(after, 1)],
           **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in gui.items()}}
    out["ratio_gui_vs_headless"] = round(gui["gui_steps_per_s"] / headless, 3)
    out["targets_met"] = {"ratio>=0.8": out["ratio_gui_vs_headless"] >= 0.8, "fps>=30": gui["frames_per_s"] >= 30,
                          "p95<=50ms": gui["p95_frame_interval_ms"] <= 50}
    print(f"headless {headless:.0f} steps/s (before {before:.0f}, after {after:.0f}); with the window "
          f"{gui['gui_steps_per_s']:.0f} steps/s = {out['ratio_gui_vs_headless']:.2f}×; "
          f"{gui['frames_per_s']:.1f} frames/s, p95 interval {gui['p95_frame_interval_ms']:.0f} ms", file=sys.stderr)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
