"""Benchmark: training speed with the studio window open and painting vs headless, and the window's frame rate.

On the default 2D preset, in alternating phases (this machine's speed drifts by ±10 % over a minute, so a
headless run before and after the window run did not cancel it; alternating a few seconds at a time does):
  * headless phase: a spawned process running ``Runner.run_for`` with one torch thread (what ``gan-studio run``
    does, without writing files), while the window is open and paused;
  * window phase: the studio window (offscreen unless a display is set) with its worker process, playing at
    full speed, while the headless process waits; steps/s from the worker's step counter; frames/s and the
    p95 interval between painted frames from the window's paints, each checked against a real paint event of
    the data view. The first ``WARM_S`` of each window phase are not counted (the worker measures its costs).

Prints a human summary and, last, one JSON line. Targets (issue 4): window/headless ≥ 0.8, ≥ 30 frames/s,
p95 frame interval ≤ 50 ms.

    python bench/bench_gui.py [--seconds 20] [--rounds 8] [--preset ring8-collapse]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time

WARM_S = 0.5  # not counted at the start of each window phase


def _headless(cfg_dict: dict, conn) -> None:
    """Child process: build a Trainer, warm up, then for each requested duration train and reply steps/s."""
    import torch

    torch.set_num_threads(1)
    from gan_studio import config
    from gan_studio.engine import Trainer
    from gan_studio.runner import Runner

    runner = Runner(Trainer(config.from_dict(cfg_dict)))
    runner.run(50)
    conn.send("ready")
    while (seconds := conn.recv()) is not None:
        t0 = time.perf_counter()
        n = runner.run_for(seconds)
        conn.send(n / (time.perf_counter() - t0))


def run(cfg, seconds: float, rounds: int) -> dict:
    """Open the window, alternate headless and window phases, return the numbers."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "")
    if not os.environ["QT_QPA_PLATFORM"]:
        del os.environ["QT_QPA_PLATFORM"]
    import gc

    import numpy as np
    from PyQt6 import QtCore, QtWidgets

    from gan_studio import config
    from gan_studio.gui.window import StudioWindow

    ctx = mp.get_context("spawn")
    here, there = ctx.Pipe()
    headless = ctx.Process(target=_headless, args=(config.to_dict(cfg), there), daemon=True)
    headless.start()

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench"])  # noqa: F841 (must exist)
    window = StudioWindow(cfg)
    window.show()
    gc.collect()
    gc.freeze()  # as gan_studio.gui.app.main does after opening the window
    view_paints: list[float] = []

    class Counter(QtCore.QObject):
        def eventFilter(self, obj, ev):  # noqa: N802
            if ev.type() == QtCore.QEvent.Type.Paint:
                view_paints.append(time.monotonic())
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
    assert here.recv() == "ready"
    window.send(("play",))  # one warm-up phase: the first steps and frames are slower
    spin(time.monotonic() + 2.0)
    phase = seconds / rounds
    head_rates, gui_steps, gui_time, frames, intervals, view_intervals, repaints = [], 0, 0.0, 0, [], [], 0
    made = dropped = probed = 0
    for _ in range(rounds):
        window.send(("pause",))
        spin(time.monotonic() + 0.3)
        here.send(phase)
        while not here.poll():
            spin(time.monotonic() + 0.05)
        head_rates.append(here.recv())
        window.send(("play",))
        spin(time.monotonic() + WARM_S)
        step0, t0, made0 = window.step, time.monotonic(), window.latest.frames_made
        dropped0 = window.latest.frames_dropped
        probed_seen: list[bool] = []

        def count(packet, seen=probed_seen):
            seen.append(packet.probed)

        window.bridge.packet.connect(count)
        spin(t0 + phase)
        window.bridge.packet.disconnect(count)
        t1 = time.monotonic()
        gui_steps += window.step - step0
        gui_time += t1 - t0
        painted = [t for t in window.paint_times if t0 <= t <= t1]
        frames += len(painted)
        intervals += list(np.diff(painted) * 1000)
        seen = [t for t in view_paints if t0 <= t <= t1]
        view_intervals += list(np.diff(seen) * 1000)
        repaints += len(seen)
        made += window.latest.frames_made - made0
        dropped += window.latest.frames_dropped - dropped0
        probed += sum(probed_seen)
    here.send(None)
    headless.join(5)
    costs = np.array(list(window.paint_costs)[-max(frames, 1):]) * 1000
    headless_rate = float(np.mean(head_rates))
    result = {
        "startup_s": round(startup, 2),
        "headless_steps_per_s": headless_rate,
        "headless_phases": [round(r, 1) for r in head_rates],
        "gui_steps_per_s": gui_steps / gui_time,
        "frames_per_s": frames / gui_time,
        "p95_frame_interval_ms": float(np.percentile(intervals, 95)) if intervals else float("inf"),
        "view_repaints_per_s": repaints / gui_time,
        "p95_repaint_interval_ms": float(np.percentile(view_intervals, 95)) if view_intervals else float("inf"),
        "worker_frames_made_per_s": made / gui_time,
        "worker_frames_dropped_per_s": dropped / gui_time,
        "probed_frames_per_s": probed / gui_time,
        "paint_cost_ms_p50": float(np.percentile(costs, 50)),
        "paint_cost_ms_p95": float(np.percentile(costs, 95)),
    }
    t_close = time.monotonic()
    window.close()
    result["close_s"] = round(time.monotonic() - t_close, 3)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time of each side, in all its phases")
    ap.add_argument("--rounds", type=int, default=8, help="headless / window phase pairs")
    ap.add_argument("--preset", default=None, help="preset (default: the app's default preset)")
    args = ap.parse_args(argv)
    from gan_studio.presets import DEFAULT_PRESET, load_preset

    name = args.preset or DEFAULT_PRESET
    gui = run(load_preset(name), args.seconds, max(1, args.rounds))
    out = {"preset": name, "cores": os.cpu_count(), "seconds": args.seconds, "rounds": args.rounds,
           **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in gui.items()}}
    out["ratio_gui_vs_headless"] = round(gui["gui_steps_per_s"] / gui["headless_steps_per_s"], 3)
    out["targets_met"] = {"ratio>=0.8": out["ratio_gui_vs_headless"] >= 0.8, "fps>=30": gui["frames_per_s"] >= 30,
                          "p95<=50ms": gui["p95_frame_interval_ms"] <= 50}
    print(f"headless {gui['headless_steps_per_s']:.0f} steps/s (phases {out['headless_phases']}); with the window "
          f"{gui['gui_steps_per_s']:.0f} steps/s = {out['ratio_gui_vs_headless']:.2f}×; "
          f"{gui['frames_per_s']:.1f} frames/s, p95 interval {gui['p95_frame_interval_ms']:.0f} ms", file=sys.stderr)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
