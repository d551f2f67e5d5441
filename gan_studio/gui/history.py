"""Bounded time series for the window: a run left overnight must not grow without limit.

Each series keeps at most ``cap`` points. When full, the older half is thinned to every other point, so
recent steps stay at full resolution and older ones get coarser (memory and drawing cost stay bounded).
"""

from __future__ import annotations

import math

import numpy as np

CAP = 4000  # points per series: ~1 ms to draw a curve of this size
MAX_EVENTS = 500


class Series:
    """Steps and values of one metrics column, bounded by decimating old points."""

    def __init__(self, cap: int = CAP):
        self.cap = cap
        self._x = np.empty(cap)
        self._y = np.empty(cap)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == self.cap:
            self._decimate()
        self._x[self.n], self._y[self.n] = x, y
        self.n += 1

    def _decimate(self) -> None:
        half = self.n // 2
        keep = np.concatenate([np.arange(0, half, 2), np.arange(half, self.n)])
        m = len(keep)
        self._x[:m], self._y[:m] = self._x[keep], self._y[keep]
        self.n = m

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]


class History:
    """Every metrics column seen so far as a bounded Series, plus the event log."""

    def __init__(self, cap: int = CAP):
        self.cap = cap
        self.series: dict[str, Series] = {}
        self.events: list[dict] = []
        self.version = 0  # bumped on every change: views redraw only when it moved
        self.generation = 0  # bumped by clear(): a new run, whose views start from fresh ranges
        self.first_step = math.inf
        self.last_step = -1

    def clear(self) -> None:
        self.series.clear()
        self.events.clear()
        self.first_step = math.inf
        self.last_step = -1
        self.version += 1
        self.generation += 1

    def add_rows(self, rows: list[dict]) -> None:
        """Append metrics rows (column → number); missing, empty or non-finite values are skipped."""
        for row in rows:
            step = row.get("step")
            if step is None:
                continue
            step = float(step)
            for key, value in row.items():
                if key == "step":
                    continue
                try:
                    v = float(value)
                except (TypeError, ValueError):
                    continue
                if not math.isfinite(v):
                    continue
                s = self.series.get(key)
                if s is None:
                    s = self.series[key] = Series(self.cap)
                s.append(step, v)
            self.first_step = min(self.first_step, step)
            self.last_step = max(self.last_step, int(step))
        if rows:
            self.version += 1

    def add_events(self, events: list[dict]) -> None:
        if not events:
            return
        self.events.extend(events)
        del self.events[:-MAX_EVENTS]
        self.version += 1

    def step_span(self) -> tuple[float | None, float | None]:
        """First and last step of any row so far ((None, None) before the first row)."""
        if self.last_step < 0 or not math.isfinite(self.first_step):
            return None, None
        return self.first_step, float(self.last_step)

    def get(self, key: str) -> Series | None:
        return self.series.get(key)

    def columns(self, prefix: str) -> list[str]:
        """Columns starting with ``prefix`` in numeric order of their suffix (grad_d_0, grad_d_1, ...)."""
        cols = [k for k in self.series if k.startswith(prefix)]

        def key(name: str):
            tail = name[len(prefix):]
            return (0, int(tail)) if tail.isdigit() else (1, tail)

        return sorted(cols, key=key)


EVENT_NAMES = {
    "loss.name": "loss", "lipschitz.name": "Lipschitz", "lipschitz.weight": "λ/γ", "lipschitz.clip": "clip c",
    "lipschitz.one_sided": "one-sided GP", "optim.lr_d": "lr D", "optim.lr_g": "lr G", "optim.name": "optimizer",
    "train.d_steps": "D steps", "train.g_steps": "G steps", "train.batch_size": "batch", "reseed": "seed",
    "step_d": "step D", "step_g": "step G", "reset": "reset", "data.path": "data",
}


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def event_label(event: dict) -> str:
    """A short marker label, e.g. ``loss: ns → wgan``."""
    what = str(event.get("what", "?"))
    name = EVENT_NAMES.get(what, what)
    old, new = event.get("old"), event.get("new")
    if what == "data.path":  # a drawing or a dropped file: the files' names say enough (paths are long)
        old, new = (v.replace("\\", "/").rsplit("/", 1)[-1] if isinstance(v, str) else v for v in (old, new))
    if old is None and new is None:
        return name
    if old is None:  # nothing before it: a reset records only the seed it starts from ("reset: None → 0" read badly)
        return f"{name}: {_fmt(new)}" if what != "reset" else f"reset, seed {_fmt(new)}"
    return f"{name}: {_fmt(old)} → {_fmt(new)}"
