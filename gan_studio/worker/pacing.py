"""Frame pacing: when to make the next frame, and whether it carries probes. Pure: no clock, no queue.

While playing, a frame is delivered every ``1/fps`` seconds. Frames are planned, not just made when late:
the planner knows the typical (median) cost of a step, of a measurement and of each kind of frame, and
says "make the frame now" when one more step would deliver it late (a step that ends with a measurement
costs ~5 steps, a probed frame ~3), so the interval between frames stays near ``1/fps``. Probes (D on a
grid, densities, the latent grid) cost ~2 training steps per frame on the default preset, so only some
frames carry them ("probed"): as many as keep their cost under ``PROBE_SHARE`` of the worker's time (at
most ``PROBE_FPS`` per second, at least one every ``PROBE_MAX_INTERVAL_S``), on at most a ``PLAYING_GRID``²
grid; the others carry samples and push arrows only (a fifth of the cost) and are kept under
``CHEAP_SHARE``. While paused, every frame is probed on the full grid.

Medians, not means: a mean let one frame slowed by the window's process (2 cores) stretch the next
interval to 60 ms and more.
"""

from __future__ import annotations

import statistics
from collections import deque

PROBE_FPS = 10.0  # at most this many probed frames per second
PROBE_SHARE = 0.05  # probed frames take at most this share of the worker's time ...
CHEAP_SHARE = 0.10  # ... and sample-only frames at most this share
PROBE_MAX_INTERVAL_S = 1.0
PLAYING_GRID = 64  # while playing, surfaces are probed on at most a 64² grid: 40 % of the cost of 100², so
# within PROBE_SHARE the surface moves ~2× as often (a paused frame, a render or a save uses the full grid)


def median(values) -> float:
    """Median of recent costs in seconds (0 before the first); robust to one slow outlier, unlike the mean."""
    return statistics.median(values) if values else 0.0


class FramePlanner:
    """Plans frames from measured costs; every method takes the current time instead of reading a clock."""

    def __init__(self, can_skip_probes: bool = True):
        self.can_skip_probes = can_skip_probes  # the trainer can make a frame without probes
        self.reset()

    def reset(self) -> None:
        """Forget all costs and due times (a new run)."""
        self.frame_costs: dict[bool, deque] = {True: deque(maxlen=15), False: deque(maxlen=15)}
        self.step_costs: deque = deque(maxlen=31)  # seconds per training step (without measurement)
        self.measure_costs: deque = deque(maxlen=7)  # seconds per measurement at the end of a step
        self.next_frame_t = 0.0  # when the next frame is due (delivered) while playing
        self.next_probe_t = 0.0

    def restart_clock(self) -> None:
        """Make the next frame due at once (play pressed, speed changed)."""
        self.next_frame_t = 0.0

    def step_done(self, seconds: float, measured_seconds: float, measured: bool) -> None:
        """Record a step's cost without its measurement, and the measurement's when it had one."""
        self.step_costs.append(seconds)
        if measured:
            self.measure_costs.append(measured_seconds)

    def next_frame_probed(self, playing: bool) -> bool:
        """Whether the next frame carries probes: always, unless playing and probes are not due by its due time.

        Decided by the due time, not the clock: a frame first planned as cheap must not turn into a probed
        one a step later, when it is too late to start it early.
        """
        return not (playing and self.can_skip_probes and self.next_frame_t < self.next_probe_t)

    def frame_due(self, now: float, next_step_measures: bool, playing: bool = True, before_step: bool = True) -> bool:
        """Full speed: make the frame now, or train one more step first?

        Now, when the frame (at its typical cost) would otherwise be delivered later than due: after a normal
        step it is made when that lands closer to the due time than one more step would; before a step that
        ends with a measurement it is made first, whatever the time, unless that measurement fits before it.
        ``before_step=False``: asked in the middle of a step's measurement.
        """
        frame = median(self.frame_costs[self.next_frame_probed(playing)])
        step = median(self.step_costs)
        extra = median(self.measure_costs) if before_step and next_step_measures else 0.0
        return now + frame + step / 2 + extra >= self.next_frame_t

    def frame_made(self, started: float, ended: float, probed: bool, fps: float) -> None:
        """Record a frame's cost and plan the next one so each kind stays under its share of the time."""
        self.frame_costs[probed].append(ended - started)
        typical = {kind: median(costs) for kind, costs in self.frame_costs.items()}
        if probed:  # at least one probed frame per PROBE_MAX_INTERVAL_S, even on a slow machine
            self.next_probe_t = started + min(max(1.0 / PROBE_FPS, typical[True] / PROBE_SHARE),
                                              PROBE_MAX_INTERVAL_S)
        cheap = typical[False] if self.can_skip_probes and typical[False] else typical[True]
        share = CHEAP_SHARE if self.can_skip_probes else PROBE_SHARE
        self.next_frame_t = max(ended + 1.0 / max(fps, 1e-3), started + cheap / share)


def playing_grid(grid: int) -> int:
    """The probe grid while playing: the configured one, at most PLAYING_GRID (paused frames get it all)."""
    return min(grid, PLAYING_GRID)
