"""Where does the window's native memory go? (issue #17; a benchmark harness, not a CI test)

``record`` plays the default preset (or ``--preset``) in a real worker for a few seconds and pickles the packets
the window received. ``replay`` builds the window without a worker and feeds those packets through
``StudioWindow.on_packet`` and ``paint`` (the slots a worker's packets reach) as fast as it can, their steps
shifted so the run seems to go on for ever, letting Qt render after each one; it prints the process's resident
memory (``/proc/self/statm``) every ``--every`` frames and the least-squares slope in kB per 1,000 frames after
the first ``--warmup`` frames, with those of malloc's bytes in use and of Python's allocated blocks (a leak of
small objects shows there long before RSS: pymalloc fills its free pools first; the window's two paint-time
deques fill over the first 4,000 frames, so warm up past that).

``--off`` turns views off (their per-frame method made a no-op) to find which one grows: ``data`` (the 2D/1D
data view), ``series`` (time series), ``latent``, ``ensemble``, ``timeline``, ``status`` (status bar),
``explain`` (the "how to read this" text), ``render`` (the window stays hidden: nothing is painted). ``--cap``
sets the history's points per series (small: it is full after a few frames). ``--trace`` lists the tracebacks of
the Python-side allocations (NumPy's included) made after the warm-up and still held at the end (tracemalloc).

    python bench/window_memory.py record --seconds 20 --out /tmp/packets.pkl
    python bench/window_memory.py replay /tmp/packets.pkl --frames 10000 --warmup 4500 [--off series,latent] [--cap 200]
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import os
import pickle
import sys
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
VIEWS = ("data", "series", "latent", "ensemble", "timeline", "status", "explain", "render")


def rss_mb() -> float:
    """This process's resident memory in MB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 1e6


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def mappings_kb() -> dict[str, int]:
    """Resident kB of each memory mapping of this process (/proc/self/smaps), by its address range and name."""
    out, name = {}, ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and not head[0].endswith(":"):
            name = f"{head[0]} {head[5] if len(head) > 5 else '[anon]'}"
        elif head[0] == "Rss:":
            out[name] = int(head[1])
    return out


def malloc_in_use_mb() -> float:
    """Bytes malloc has handed out and not had back (glibc's mallinfo2: heap in use + mmapped chunks), in MB;
    NaN where there is no mallinfo2. Growth here is memory still referenced (a leak); RSS growing while this
    stays flat is the allocator keeping freed memory (fragmentation)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return float("nan")
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / 1e6


def record(preset: str, seconds: float, out: str) -> int:
    """Play ``preset`` in a real worker for ``seconds``; pickle every packet it sent (frames included)."""
    from gan_studio.presets import load_preset
    from gan_studio.worker.handle import WorkerHandle
    from gan_studio.worker.protocol import Play

    worker = WorkerHandle(load_preset(preset))
    worker.start()
    packets, start, playing = [], None, False
    try:
        while start is None or time.monotonic() - start < seconds:
            packet = worker.get(timeout=0.5)
            if packet is None:
                continue
            if not playing:
                worker.send(Play())
                playing, start = True, time.monotonic()
            packets.append(packet)
    finally:
        worker.stop()
    Path(out).write_bytes(pickle.dumps(packets))
    print(f"recorded {len(packets)} packets, steps {packets[0].step}–{packets[-1].step}, into {out}")
    return 0


def shifted(packet, by: int):
    """``packet`` with every step moved on by ``by`` (its rows, events and frame too)."""
    frame = packet.frame
    if frame is not None:
        frame = dataclasses.replace(frame, step=frame.step + by)
    return dataclasses.replace(
        packet, step=packet.step + by, frame=frame, generation=1,
        rows=[{**r, "step": r["step"] + by} for r in packet.rows],
        events=[{**e, "step": e["step"] + by} for e in packet.events])


def slope_per_1000(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of (frame, MB) samples in kB per 1,000 frames."""
    n = len(samples)
    if n < 3:
        return float("nan")
    mf, mm = sum(f for f, _ in samples) / n, sum(m for _, m in samples) / n
    var = sum((f - mf) ** 2 for f, _ in samples)
    return sum((f - mf) * (m - mm) for f, m in samples) / var * 1e6 if var else float("nan")


def switch_off(w, views: set[str]) -> None:
    """Make each named view's per-frame work a no-op."""
    def nothing(*args, **kwargs):
        return None

    if "data" in views:
        w.view2d.update_frame = w.view1d.update_frame = w.samples.update_frame = nothing
    if "series" in views:
        w.series.update_history = nothing
    if "latent" in views:
        w.latent_view.update_frame = nothing
    if "ensemble" in views:
        w.seeds_view.draw = w.seeds_view.add_rows = nothing
    if "timeline" in views:
        w.timeline.show_state = nothing
    if "status" in views:
        w.update_status = nothing
    if "explain" in views:
        w.explain.setText = nothing


def replay(path: str, frames: int, every: int, warmup: int, off: set[str], cap: int | None,
           trace: bool = False) -> int:
    """Feed the recorded packets to a window without a worker; print RSS and its slope."""
    from PyQt6 import QtWidgets

    from gan_studio import config
    from gan_studio.gui.history import History
    from gan_studio.gui.window import StudioWindow

    packets = pickle.loads(Path(path).read_bytes())
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    w = StudioWindow(config.from_dict(next(p.cfg for p in packets if p.cfg)), autostart=False)
    if cap is not None:
        w.history = History(cap)
    switch_off(w, off)
    if "render" not in off:
        w.show()
    span = packets[-1].step - packets[0].step + 1
    samples, in_use, python_blocks, t0 = [], [], [], time.monotonic()
    print(f"replay: {len(packets)} packets over {span} steps, {frames:,} frames, off: {sorted(off) or 'none'}, "
          f"history cap {w.history.cap}")
    first, maps = None, {}
    import tracemalloc
    for i in range(frames):
        if trace and i == warmup:  # from here: what is still allocated at the end was made after the warm-up
            tracemalloc.start(6)
            first = True
        if i == warmup:
            maps = mappings_kb()
        packet = shifted(packets[i % len(packets)], (i // len(packets)) * span)
        w.on_packet(packet)
        w.paint()
        app.processEvents()
        if i % every == 0:
            mb, used, blocks = rss_mb(), malloc_in_use_mb(), sys.getallocatedblocks()
            if i >= warmup:
                samples.append((i, mb))
                in_use.append((i, used))
                python_blocks.append((i, blocks / 1e3))  # (so that the slope below reads in blocks per 1,000 frames)
            print(f"  frame {i:7,}  {mb:8.1f} MB  (malloc in use {used:7.1f} MB, Python blocks "
                  f"{blocks:,})  {time.monotonic() - t0:6.0f} s", flush=True)
    w.timer.stop()
    w.health.stop()
    grown = sorted(((kb - maps.get(name, 0), name) for name, kb in mappings_kb().items()), reverse=True)
    # (the heap's key moves as it grows: read its line as its whole size)
    print("mappings that grew most since the warm-up:", *(f"{kb:+7d} kB  {name}" for kb, name in grown[:6]),
          sep="\n  ")
    if first is not None:
        for stat in tracemalloc.take_snapshot().statistics("traceback")[:12]:
            print(f"{stat.size / 1e3:+9.1f} kB {stat.count:+7d} blocks", *stat.traceback.format(), sep="\n    ")
    slope = slope_per_1000(samples)
    print(f"slope {slope:+.1f} kB per 1,000 frames over frames {warmup:,}–{frames:,} "
          f"(RSS {samples[0][1]:.1f} → {samples[-1][1]:.1f} MB); malloc in use {slope_per_1000(in_use):+.1f} kB "
          f"per 1,000 frames; Python blocks {slope_per_1000(python_blocks):+.0f} per 1,000 frames" if samples
          else "no samples after the warm-up")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("--preset", default=None)
    rec.add_argument("--seconds", type=float, default=20.0)
    rec.add_argument("--out", required=True)
    rep = sub.add_parser("replay")
    rep.add_argument("packets")
    rep.add_argument("--frames", type=int, default=10_000)
    rep.add_argument("--every", type=int, default=500)
    rep.add_argument("--warmup", type=int, default=4500)
    rep.add_argument("--off", default="", help=f"comma-separated: {', '.join(VIEWS)}")
    rep.add_argument("--cap", type=int, default=None)
    rep.add_argument("--trace", action="store_true", help="tracemalloc: the lines that grew most")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.mode == "record":
        from gan_studio.presets import DEFAULT_PRESET

        return record(args.preset or DEFAULT_PRESET, args.seconds, args.out)
    off = {v for v in args.off.split(",") if v}
    if off - set(VIEWS):
        ap.error(f"--off: unknown view {sorted(off - set(VIEWS))}; allowed: {', '.join(VIEWS)}")
    return replay(args.packets, args.frames, args.every, args.warmup, off, args.cap, args.trace)


if __name__ == "__main__":
    sys.exit(main())
