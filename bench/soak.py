"""Soak benchmark (issue #17; not a CI test): does memory stay flat over a long run?

Runs ``gan-studio run`` for N steps, or the window on a preset for T seconds playing at full speed (with its
training worker), in a child process, and samples the resident memory (RSS) of that process and its
descendants every few seconds: psutil when installed, else ``/proc/<pid>/statm``. Prints each sample and, at
the end, the slope of RSS over time (MB per hour, least squares) over the samples taken after the warm-up: for
the window, after its time series are full (``gui.history.CAP`` points per series at ``train.log_every``; the
bounded history stops growing there) and the worker's rewind snapshots reached their cap (``worker.timeline.
CAP_BYTES``, 256 MB: the store has thinned once; ~60,000 steps on the default preset) when the run gets that far,
else after ``--warmup`` seconds, and says which. A short run's slope is dominated by allocator noise: read it as
an upper bound on a leak, not a rate.
For the window it also gives the window process's own RSS and slope (``window_*``: without the worker), and
``--cap N`` keeps N points per series instead of ``CAP`` (for a short experiment: the history is full sooner).

    python bench/soak.py cli [--steps 200000] [--preset NAME] [--every 5]
    python bench/soak.py window [--seconds 3600] [--preset NAME] [--every 5] [--cap N]

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

WINDOW = """
import sys
from PyQt6 import QtCore, QtWidgets
from gan_studio.gui.history import History
from gan_studio.gui.window import StudioWindow
from gan_studio.presets import load_preset
from gan_studio.worker.protocol import Play
from gan_studio.worker.timeline import SNAPSHOT_EVERY

app = QtWidgets.QApplication(sys.argv[:1])
w = StudioWindow(load_preset(sys.argv[1]))
if len(sys.argv) > 3:
    w.history = History(int(sys.argv[3]))  # before the first packet: --cap
w.confirm = lambda text: True
w.show()
playing = []

def tick():
    if w.latest is not None and not playing:
        w.send(Play())
        playing.append(1)
    snaps = w.timeline.snapshots  # thinned once its store reached its cap (worker.timeline.CAP_BYTES)
    print("step", w.step, int(any(b - a > SNAPSHOT_EVERY for a, b in zip(snaps, snaps[1:]))), flush=True)

timer = QtCore.QTimer()
timer.timeout.connect(tick)
timer.start(1000)
QtCore.QTimer.singleShot(int(float(sys.argv[2]) * 1000), app.quit)
app.exec()
w.close()
"""


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux: /proc/<pid>/task/<tid>/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return out


def own_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` alone, in MB (/proc/<pid>/statm; NaN when it has ended)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 1e6
    except (OSError, IndexError, ValueError):
        return float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MB (psutil if installed, else /proc/<pid>/statm)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            proc = psutil.Process(pid)
            procs = [proc, *proc.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs if p.is_running()) / 1e6
        except psutil.NoSuchProcess:
            return float("nan")
    total = 0
    for p in descendants(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total / 1e6


def slope_mb_per_h(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour (NaN for fewer than 3 samples)."""
    if len(samples) < 3:
        return float("nan")
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mm = sum(m for _, m in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    cov = sum((t - mt) * (m - mm) for t, m in samples)
    return cov / var * 3600 if var else float("nan")


def soak(cmd: list[str], every: float, limit_s: float, env: dict, history_steps: int | None) -> dict:
    """Run ``cmd``, sample its RSS every ``every`` s until it ends (or ``limit_s``); the samples and steps."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    os.set_blocking(proc.stdout.fileno(), False)
    samples, own, step, thinned, full_at, series_full_at, buffered = [], [], 0, False, None, None, ""
    try:
        while proc.poll() is None and time.monotonic() - start < limit_s:
            time.sleep(every)
            buffered += (proc.stdout.read() or b"").decode(errors="replace")  # non-blocking: None if empty
            *lines, buffered = buffered.split("\n")
            for line in lines:
                if line.startswith("step "):
                    step, thinned = int(line.split()[1]), line.split()[2:] == ["1"]
            t, mb, mine = time.monotonic() - start, rss_mb(proc.pid), own_rss_mb(proc.pid)
            if mb == mb and mb > 0:
                samples.append((t, mb))
                own.append((t, mine))
                print(f"  {t:7.1f} s  {mb:8.1f} MB" + (f"  step {step:,}  (window {mine:.1f} MB)" if history_steps
                                                      else ""), flush=True)
            if history_steps and series_full_at is None and step >= history_steps:
                series_full_at = t
            if history_steps and full_at is None and step >= history_steps and thinned:
                full_at = t
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    return {"samples": samples, "own": own, "seconds": time.monotonic() - start, "step": step, "full_at": full_at,
            "series_full_at": series_full_at,
            "exit": proc.returncode}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["cli", "window"])
    ap.add_argument("--steps", type=int, default=200_000, help="cli: training steps")
    ap.add_argument("--seconds", type=float, default=3600.0, help="window: how long it plays")
    ap.add_argument("--preset", default=None, help="preset (default: the app's default preset)")
    ap.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    ap.add_argument("--cap", type=int, default=None,
                    help="window: points per time series (default: the window's own, gui.history.CAP)")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds left out of the slope when the history does not fill (default: a quarter)")
    args = ap.parse_args()
    from gan_studio.gui.history import CAP
    from gan_studio.presets import DEFAULT_PRESET, load_preset

    preset = args.preset or DEFAULT_PRESET
    log_every = load_preset(preset).train.log_every
    with tempfile.TemporaryDirectory(prefix="gan-studio-soak-") as tmp:
        env = {**os.environ, "GAN_STUDIO_RUNS": tmp, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
        if args.mode == "cli":
            cmd = [sys.executable, "-m", "gan_studio", "run", "--preset", preset, "--steps", str(args.steps),
                   "--out", str(Path(tmp) / "run"), "--quiet"]
            print(f"soak: gan-studio run --preset {preset} --steps {args.steps:,}, RSS every {args.every:g} s")
            result = soak(cmd, args.every, float("inf"), env, None)
            history = None
        else:
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
            cmd = [sys.executable, "-c", WINDOW, preset, str(args.seconds)] + ([str(args.cap)] if args.cap else [])
            history = (args.cap or CAP) * log_every
            print(f"soak: the window on {preset} for {args.seconds:g} s at full speed, RSS (window + worker) every "
                  f"{args.every:g} s; its time series are full at step {history:,}, the rewind snapshots later")
            result = soak(cmd, args.every, args.seconds + 120, env, history)
    samples = result["samples"]
    warm = args.warmup if args.warmup is not None else result["seconds"] / 4
    if result["full_at"] is not None:
        since, why = result["full_at"], "after the window's time series and the rewind snapshots were full"
    else:
        since = warm
        why = f"after {warm:.0f} s of warm-up" + (" (time series or snapshots not yet full)" if history else "")
    tail = [s for s in samples if s[0] >= since]
    slope = slope_mb_per_h(tail)
    out = {"mode": args.mode, "preset": preset, "seconds": round(result["seconds"], 1), "exit": result["exit"],
           "samples": len(samples), "slope_samples": len(tail),
           "rss_first_mb": round(samples[0][1], 1) if samples else None,
           "rss_last_mb": round(samples[-1][1], 1) if samples else None,
           "rss_max_mb": round(max(m for _, m in samples), 1) if samples else None,
           "slope_mb_per_h": round(slope, 1), "slope_from_s": round(since, 1), "slope_basis": why}
    if args.mode == "window":
        out["steps"] = result["step"]
        own = [s for s in result["own"] if s[1] == s[1]]  # the window process alone
        # the window process alone holds no snapshots: its slope starts once its time series are full
        own_since = result["series_full_at"] if result["series_full_at"] is not None else warm
        own_tail = [s for s in own if s[0] >= own_since]
        out.update({"cap": args.cap or CAP, "window_rss_first_mb": round(own[0][1], 1) if own else None,
                    "window_rss_last_mb": round(own[-1][1], 1) if own else None,
                    "window_rss_max_mb": round(max(m for _, m in own), 1) if own else None,
                    "window_slope_mb_per_h": round(slope_mb_per_h(own_tail), 1),
                    "window_slope_from_s": round(own_since, 1),
                    "window_slope_samples": len(own_tail)})
    else:
        out["steps"] = args.steps
    print(f"RSS {out['rss_first_mb']} → {out['rss_last_mb']} MB (max {out['rss_max_mb']}); slope {slope:+.1f} MB/h "
          f"over {len(tail)} samples {why}" + (f"; the window process alone {out['window_rss_first_mb']} → "
                                               f"{out['window_rss_last_mb']} MB, slope "
                                               f"{out['window_slope_mb_per_h']:+.1f} MB/h" if "cap" in out else ""))
    print(json.dumps(out))
    return 0 if result["exit"] in (0, None, -15) else 1


if __name__ == "__main__":
    sys.exit(main())
