"""Axis ranges that move in steps: a live plot whose range crept with every new point re-ticked (and
repainted) its axes and grid on every update, ~9 ms a plot; a range that only jumps now and then costs that
rarely and reads better (ticks stand still).

Pure functions of numbers, so they are tested without a window.
"""

from __future__ import annotations

import math

NICE = (1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0)  # mantissas a step-axis end may take: six jumps a decade, each
# redrawing all six plots' step axes, and the data still fill 60-100 % of the width
SHRINK = 0.4  # a range is redone when the data fill less than this share of it
PAD = 0.06  # share of the data's span added on each side when a range is redone
EDGE = 0.01  # data closer than this share of the span to an edge (a line drawn on the frame) redo the range


MIN_SPAN = 0.2  # a value axis spans at least this share of the largest |value| it shows


def nice_ceiling(x: float) -> float:
    """The smallest number ≥ ``x`` of the form m·10^k with m in NICE (0 for x ≤ 0)."""
    if not math.isfinite(x) or x <= 0:
        return 0.0
    k = math.floor(math.log10(x))
    for m in NICE:
        v = m * 10.0**k
        if v >= x * (1 - 1e-12):
            return v
    return 10.0 ** (k + 1)


def tick_step(span: float) -> float:
    """A 1-2-5 step giving about five ticks over ``span``."""
    raw = span / 5 if span > 0 else 1.0
    k = math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10.0**k >= raw:
            return m * 10.0**k
    return 10.0 ** (k + 1)


def step_range(current: tuple[float, float] | None, first: float, last: float) -> tuple[float, float]:
    """The step axis for data from ``first`` to ``last``: from ``first`` (0 when it is near the start) to a
    nice ceiling of ``last`` (a run stopped at 3,000 steps ends at the right edge), kept while the data
    still fit and fill enough of it."""
    if current is not None and current[0] <= first and last <= current[1] and \
            (last - current[0]) >= SHRINK * (current[1] - current[0]):
        return current
    lo = 0.0 if first <= 0.25 * last else first
    hi = lo + nice_ceiling(max(last - lo, 1.0))
    return (lo, hi)


def value_range(current: tuple[float, float] | None, lo: float, hi: float,
                limits: tuple[float, float] | None = None) -> tuple[float, float]:
    """A value axis for data in [lo, hi]: kept while the data stay clear of its edges (EDGE of its span) and
    fill at least SHRINK of it, else redone as the data's span padded by PAD on each side and rounded
    outwards to a tick step (not below 0 for data that are not negative); ``limits`` (a percentage's (0, 100))
    cut the result, so a share never reads −0.5 % or 105 %."""
    if limits is None:
        return _value_range(current, lo, hi)
    new = _value_range(current, max(lo, limits[0]), min(hi, limits[1]))
    new = (max(new[0], limits[0]), min(new[1], limits[1]))
    return current if current == new else new


def _value_range(current: tuple[float, float] | None, lo: float, hi: float) -> tuple[float, float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return current if current is not None else (0.0, 1.0)
    if current is not None:
        edge = EDGE * (current[1] - current[0])
        if current[0] + edge <= lo and hi <= current[1] - edge and (hi - lo) >= SHRINK * (current[1] - current[0]):
            return current
    span = hi - lo
    least = MIN_SPAN * max(abs(lo), abs(hi))  # a flat line, or one that moves in its 4th digit, is drawn flat:
    if span < least or span <= 0:  # a 0.2895–0.2925 axis made a critic estimate look like it swung wildly
        span = least if least > 0 else 1.0
        centre = (lo + hi) / 2
        lo, hi = centre - span / 2, centre + span / 2
    padded_lo, hi = lo - PAD * span, hi + PAD * span
    step = tick_step(hi - padded_lo)
    low = math.floor(padded_lo / step) * step
    if lo >= 0 > low:  # data that are never negative (%, counts, JS, norms) get no negative ticks; data at
        low = 0.0 if lo > 0 else -PAD * span  # 0 keep a sliver below, so a line at 0 is not drawn on the frame
    return (low, math.ceil(hi / step) * step)


def tick_spacing(span: float, size: float, extent: float, integer: bool = False) -> float:
    """The smallest 1-2-5 step (a whole number when ``integer``: counts of modes) whose labels, ``extent`` pixels
    each along the axis (a label's width plus a gap on a step axis, its height plus a gap on a value axis), fit
    on an axis ``size`` pixels long showing ``span`` data units: labels never run into each other, at any view
    scale ("5001000 1500" at 200 %)."""
    if not (span > 0 and size > 0 and math.isfinite(span)):
        return 1.0
    raw = span * max(extent, 1.0) / size  # data units one label needs
    k = math.floor(math.log10(raw))
    step = 10.0 ** (k + 1)
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10.0**k >= raw * (1 - 1e-12):
            step = m * 10.0**k
            break
    return max(step, 1.0) if integer else step
