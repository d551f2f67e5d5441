"""The worker's snapshots of a run, for rewinding it (issue 14): a bounded store of trainer states.

Every ``SNAPSHOT_EVERY`` steps the worker offers the trainer's complete state (``TrainerProtocol.state``: nets,
optimizers, generators, objective state, config and events) with the runner's remaining schedule. The store keeps
them in memory under ``CAP_BYTES``: past the cap, every second snapshot of the oldest half goes (the step-0 one
stays), as often as needed, so the recent past stays dense and the distant past thins out: an hour-long run can be
scrubbed end to end within a fixed memory.

``Rewind(step)`` (worker.protocol) restores the newest snapshot at or before ``step`` and drops the later ones: the
run continues from there as a branch (worker.session, worker.recording say how it is recorded).

The states of thinned snapshots are not freed: they are handed back to ``take`` to be filled with the next
snapshots (``Trainer.state(reuse=...)`` copies into their memory when the nets' shapes still match), and each
state's tensors lie in one memory map of their own (``gan_studio.packed``), outside glibc's heap. As ordinary
tensors, freed and allocated among the frames' and packets' allocations, they fragmented that heap: measured in the
worker on the default preset, the arena's free bytes grew without end and the process grew 576–1,200 MB an hour
once the store was full, though the bytes in use stayed flat (``malloc_trim`` after each thinning only slowed it);
refilled, still 140 MB an hour. The store and its spares together stay within the cap plus one snapshot.

No Qt and no torch here: a state is any object with ``nbytes()`` (the bytes of its arrays).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Default preset (model.hidden 128, depth 3, Adam): 0.82 MB a snapshot (``TrainerState.nbytes``: both nets and
# Adam's two moments per parameter), 0.4–0.5 ms to take one on a CPU (copy.deepcopy of the optimizer state took
# 100 ms: it copies storages one by one) and 15–25 ms to restore (2 shared cores under load). Every 200 steps is
# ~1.5 s of training at ~300 steps/s (fine enough to scrub), and an hour (~1.1 M steps, 5,400 offers) fits the cap
# after thinning (tests/test_timeline.py). On a GPU the snapshots stay on the device (no read-back).
SNAPSHOT_EVERY = 200
CAP_BYTES = 256 * 2**20  # issue 14 asks ≤ 300 MB for an hour on the default preset: ~310 snapshots of it


@dataclass(frozen=True)
class Snapshot:
    """One kept moment: the trainer's state after ``step`` completed steps (and the changes made at it), and the
    scheduled changes then still to come (``(step, what, value)``: a lesson's rest replays after a rewind)."""

    step: int
    state: Any
    schedule: tuple
    nbytes: int


class Timeline:
    """Snapshots of one run every ``every`` steps, at most ``cap_bytes`` of them (see the module docstring)."""

    def __init__(self, every: int = SNAPSHOT_EVERY, cap_bytes: int = CAP_BYTES):
        if every < 1 or cap_bytes < 1:
            raise ValueError(f"timeline: every ({every}) and cap_bytes ({cap_bytes}) must be positive")
        self.every, self.cap_bytes = int(every), int(cap_bytes)
        self.snapshots: list[Snapshot] = []
        self.nbytes = 0
        self.spares: list = []  # states of thinned snapshots, to be filled again by ``take`` (module docstring)

    def clear(self) -> None:
        """Forget every snapshot (a new run, a reset)."""
        self.snapshots, self.nbytes, self.spares = [], 0, []

    def steps(self) -> list[int]:
        """The steps of the kept snapshots, oldest first (the window's timeline marks)."""
        return [s.step for s in self.snapshots]

    def due(self, step: int) -> bool:
        """Whether a snapshot at ``step`` is wanted: a multiple of ``every`` newer than the newest kept."""
        return step % self.every == 0 and (not self.snapshots or step > self.snapshots[-1].step)

    def offer(self, step: int, take: Callable[[Any], Any], schedule: Callable[[], tuple] = tuple) -> bool:
        """Keep ``take(spare)`` (a state with ``nbytes()``) as the snapshot of ``step`` if one is due, then thin to
        the cap. ``spare`` is the state of a thinned snapshot whose arrays ``take`` may overwrite and reuse, or None.
        ``take`` is called only when due (it costs milliseconds). Returns whether one was taken."""
        if not self.due(step):
            return False
        state = take(self.spares.pop() if self.spares else None)
        snapshot = Snapshot(int(step), state, tuple(schedule()), int(state.nbytes()))
        self.snapshots.append(snapshot)
        self.nbytes += snapshot.nbytes
        self.thin()
        return True

    def thin(self) -> None:
        """While over the cap: drop every second snapshot of the oldest half (the oldest itself stays); with two
        left over the cap, the newest alone is kept (a single snapshot over the cap stays: there is nothing older
        to give up)."""
        while self.nbytes > self.cap_bytes and len(self.snapshots) > 1:
            half = (len(self.snapshots) + 1) // 2
            kept = self.snapshots[:half:2] + self.snapshots[half:]
            if len(kept) == len(self.snapshots):  # two snapshots (the oldest half is the oldest alone)
                kept = self.snapshots[-1:]
            kept_ids = {id(s) for s in kept}
            self.spares += [s.state for s in self.snapshots if id(s) not in kept_ids]
            self.snapshots = kept
            self.nbytes = sum(s.nbytes for s in kept)

    def nearest(self, step: int) -> Snapshot | None:
        """The newest snapshot at or before ``step`` (None when there is none)."""
        i = bisect.bisect_right(self.steps(), step)
        return self.snapshots[i - 1] if i else None

    def branch(self, step: int) -> None:
        """Drop the snapshots after ``step`` (the run goes on from ``step`` as a branch; the later ones belong to
        the abandoned part)."""
        self.spares += [s.state for s in self.snapshots if s.step > step]
        self.snapshots = [s for s in self.snapshots if s.step <= step]
        self.nbytes = sum(s.nbytes for s in self.snapshots)
