"""Machine-checkable claims of lesson stages: each a small frozen dataclass whose fields are its parameters and
whose ``check`` reads the lesson's own run (metrics rows as in metrics.csv, and the frames at the stage's ends).

In a lesson file: ``claim = { check = "modes_at_most", most = 2, from_step = 300 }`` (or ``claim = "NAME"`` with
every parameter at its default). A stage's span is the steps after the previous stage's step up to its own (the
first stage: from the start), so a row at a switch step, measured before the switch, belongs to the stage before.
Each check returns a ``Verdict``: whether it holds and what was measured, in words (lesson.md, test messages).

Pure NumPy: no torch, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

from gan_studio.columns import COLUMNS
from gan_studio.config import ConfigError


@dataclass(frozen=True)
class Verdict:
    """Whether a claim held on a run, and the values it looked at, in words."""

    holds: bool
    measured: str


@dataclass
class StageRun:
    """What a claim sees of a lesson's run: the metrics rows of the stage's span and of the stage before, and the
    frames (``frames.Frame``) at the previous stage's step and at this stage's step (None where not taken)."""

    start: int  # the previous stage's step (−1 for the first stage: its span starts at the run's start)
    end: int  # this stage's step
    rows: list[dict]  # rows with start < step ≤ end
    previous_rows: list[dict] = field(default_factory=list)  # the previous stage's span
    start_frame: object | None = None
    end_frame: object | None = None


def measured(rows: list[dict], column: str) -> list[tuple[int, float]]:
    """(step, value) of the rows where ``column`` was measured."""
    return [(row["step"], row[column]) for row in rows if row.get(column) is not None]


def _need(values: list, what: str) -> None:
    if not values:
        raise ValueError(f"no {what} measured in the stage's span: run the lesson to its step")


def d_star_gap(frame) -> float:
    """Mean |σ(D(x)) − D*(x)| over the 1D view's grid, weighted by (p_data + p_g)/2: how far the drawn D is from the
    drawn optimal D* = p_data / (p_data + p̂_g) (both curves as the window gets them; tests/test_presets.py's
    measure of bimodal1d-goodfellow)."""
    curves = frame.curves
    if curves is None or curves.optimal_d is None:
        raise ValueError("d_near_optimal needs a 1D run with a known data density (the frame's D* curve)")
    weight = (curves.data_density + curves.gen_density) / 2
    sigma = 1 / (1 + np.exp(-np.clip(curves.score, -50, 50)))
    return float(np.sum(np.abs(sigma - curves.optimal_d) * weight) / np.sum(weight))


@dataclass(frozen=True)
class DNearOptimal:
    """σ(D) approaches D* = p/(p+q): the weighted gap at the stage's step is ≤ ``max_gap`` and at least
    ``shrinks_by`` times smaller than at the previous stage's step."""

    name: ClassVar[str] = "d_near_optimal"
    max_gap: float = 0.1
    shrinks_by: float = 0.0  # 0: no shrink asked, only max_gap

    def check(self, run: StageRun) -> Verdict:
        """Compare the gaps of the two frames."""
        if run.start_frame is None or run.end_frame is None:
            raise ValueError("d_near_optimal needs the frames at the previous stage's step and at this one")
        before, after = d_star_gap(run.start_frame), d_star_gap(run.end_frame)
        holds = after <= self.max_gap and after * self.shrinks_by <= before
        shrink = f" and {self.shrinks_by:g}× smaller" if self.shrinks_by > 0 else ""
        return Verdict(holds, f"|σ(D) − D*| {before:.3f} at step {max(run.start, 0)} → {after:.3f} at step {run.end} "
                              f"(claim: ≤ {self.max_gap:g}{shrink})")


@dataclass(frozen=True)
class JsNearLog2WhileW1Falls:
    """Disjoint supports: every JS measurement of the span is within ``tol`` of log 2 while exact W1 falls by at
    least ``min_w1_drop`` from the span's first measurement to its last."""

    name: ClassVar[str] = "js_near_log2_while_w1_falls"
    tol: float = 0.01
    min_w1_drop: float = 0.2

    def check(self, run: StageRun) -> Verdict:
        """Read the js and w1 columns of the span."""
        js, w1 = [v for _, v in measured(run.rows, "js")], [v for _, v in measured(run.rows, "w1")]
        _need(js, "JS")
        _need(w1, "W1")
        worst = max(abs(v - math.log(2)) for v in js)
        drop = w1[0] - w1[-1]
        return Verdict(worst <= self.tol and drop >= self.min_w1_drop,
                       f"JS within {worst:.4f} of log 2 at {len(js)} measurements; W1 {w1[0]:.3f} → {w1[-1]:.3f} "
                       f"(fell {drop:.3f}; claim: within {self.tol:g}, fell ≥ {self.min_w1_drop:g})")


@dataclass(frozen=True)
class JsAtMost:
    """The last JS measurement of the span is ≤ ``most`` nats (G has found the data)."""

    name: ClassVar[str] = "js_at_most"
    most: float = 0.3

    def check(self, run: StageRun) -> Verdict:
        """Read the span's last JS."""
        js = measured(run.rows, "js")
        _need(js, "JS")
        step, value = js[-1]
        return Verdict(value <= self.most, f"JS {value:.3f} at step {step} (claim: ≤ {self.most:g})")


@dataclass(frozen=True)
class ModesAtMost:
    """Collapse: every modes_reached measurement of the span from step ``from_step`` on is ≤ ``most``."""

    name: ClassVar[str] = "modes_at_most"
    most: int = 2
    from_step: int = 0

    def check(self, run: StageRun) -> Verdict:
        """Read the span's modes_reached."""
        counts = [n for step, n in measured(run.rows, "modes_reached") if step >= self.from_step]
        _need(counts, "modes_reached")
        return Verdict(max(counts) <= self.most, f"modes reached {counts} at steps {self.from_step}–{run.end} "
                                                 f"(claim: ≤ {self.most} at every one)")


@dataclass(frozen=True)
class ModesReach:
    """Recovery: some modes_reached measurement of the span is ≥ ``least``."""

    name: ClassVar[str] = "modes_reach"
    least: int = 6

    def check(self, run: StageRun) -> Verdict:
        """Read the span's modes_reached."""
        counts = measured(run.rows, "modes_reached")
        _need(counts, "modes_reached")
        best = max(n for _, n in counts)
        first = next((step for step, n in counts if n >= self.least), None)
        return Verdict(best >= self.least, f"modes reached up to {best} (first ≥ {self.least} at step {first}); "
                                           f"all: {[n for _, n in counts]} (claim: ≥ {self.least} some time)")


@dataclass(frozen=True)
class GradGRises:
    """G's gradient: its median norm over the span is ≥ ``factor`` × its median over the previous stage's span
    (the saturating loss starves G; the non-saturating one does not)."""

    name: ClassVar[str] = "grad_g_rises"
    factor: float = 10.0

    def check(self, run: StageRun) -> Verdict:
        """Compare the medians of grad_norm_g."""
        before = [v for _, v in measured(run.previous_rows, "grad_norm_g")]
        after = [v for _, v in measured(run.rows, "grad_norm_g")]
        _need(before, "grad_norm_g (previous stage)")
        _need(after, "grad_norm_g")
        low, high = float(np.median(before)), float(np.median(after))
        return Verdict(high >= self.factor * low, f"median ‖∇G‖ {low:.2e} → {high:.2e} ({high / low:.0f}×; "
                                                  f"claim: ≥ {self.factor:g}×)")


@dataclass(frozen=True)
class W1Falls:
    """Exact W1 falls by at least ``least`` and at most ``most`` over the span: from the previous stage's last
    measurement (the span's first for the first stage) to the span's last."""

    name: ClassVar[str] = "w1_falls"
    least: float = 0.0
    most: float = math.inf

    def check(self, run: StageRun) -> Verdict:
        """Read w1 of the span (and the previous stage's last)."""
        w1 = measured(run.previous_rows, "w1")[-1:] + measured(run.rows, "w1")
        _need(w1, "W1")
        drop = w1[0][1] - w1[-1][1]
        return Verdict(self.least <= drop <= self.most,
                       f"W1 {w1[0][1]:.3f} at step {w1[0][0]} → {w1[-1][1]:.3f} at step {w1[-1][0]} (fell "
                       f"{drop:.3f}; claim: from {self.least:g} to {self.most:g})")


def layer_values(row: dict, prefix: str) -> list[float]:
    """The per-layer cells ``prefix0, prefix1, ...`` of a metrics row, in layer order, up to the first missing."""
    out, i = [], 0
    while row.get(f"{prefix}{i}") is not None:
        out.append(float(row[f"{prefix}{i}"]))
        i += 1
    return out


@dataclass(frozen=True)
class ActivationGradientSpread:
    """Through a deep critic, the norm of ∂D/∂(each layer's input activation) (``grad_act_d_<i>``) spans at least
    ``least`` and at most ``most`` decades (log10 of the largest over the smallest layer) at every measurement of the
    span from ``from_step`` on; ``rising = 1`` also asks that each layer's norm is below the next one's (the gradient
    shrinks at every layer on its way back to the input) — Gulrajani et al. 2017, Fig. 1b."""

    name: ClassVar[str] = "activation_gradient_spread"
    least: float = 0.0
    most: float = math.inf
    from_step: int = 0
    rising: int = 0

    def check(self, run: StageRun) -> Verdict:
        """Read grad_act_d_<i> of the span's measurements."""
        layers = [(row["step"], layer_values(row, "grad_act_d_")) for row in run.rows if row["step"] >= self.from_step]
        layers = [(step, values) for step, values in layers if len(values) >= 2]
        _need(layers, "grad_act_d_<i>")
        spreads, rising = [], True
        for _, values in layers:
            low, high = min(values), max(values)
            spreads.append(math.log10(high / low) if low > 0 else math.inf)
            rising &= all(a < b for a, b in zip(values, values[1:], strict=False))
        holds = all(self.least <= d <= self.most for d in spreads) and (rising or not self.rising)
        last = ", ".join(f"{v:.1e}" for v in layers[-1][1])
        return Verdict(holds, f"spread {min(spreads):.2f}–{max(spreads):.2f} decades at {len(spreads)} measurements "
                              f"from step {layers[0][0]}; rising from input to output at each: {rising}; at step "
                              f"{layers[-1][0]}, input → output: {last} (claim: {self.least:g} to {self.most:g} "
                              f"decades{', rising layer by layer' if self.rising else ''})")


def gp_critic_slope(w1: float, weight: float, sign: int = 1) -> float:
    """The slope s of a gradient-penalty critic at its optimum when all of p_g lies on one side of all of p_data
    in 1D (then a linear critic of slope s has E s_r − E s_f = s·W1, and its interpolates all have ‖∇D‖ = |s|):
    s maximises s·W1 − λ(|s| − 1)², so s = sign + W1/(2λ).

    ``sign = 1``: the optimum of the one-sided penalty max(0, |s| − 1)² (and the two-sided one's right branch): the
    critic over-shoots, estimate W1(1 + W1/2λ). ``sign = −1``: the two-sided penalty's second local maximum, at
    negative slope (exists while W1 < 2λ): the penalty λ(|s| − 1)² is a barrier at s = 0, so a critic started with
    the wrong sign stays there, estimate −W1(1 − W1/2λ).
    """
    return sign + w1 / (2 * weight)


@dataclass(frozen=True)
class GpCriticSlope:
    """A 1D gradient-penalty critic against a frozen G on the far side of the data sits at the slope
    ``gp_critic_slope(W1, weight, sign)``: at every measurement of the span from ``from_step`` on, the critic
    estimate ``w1_critic`` is within ``tol``·W1 of s·W1 and the mean ‖∇ₓD‖ on interpolates ``gx_interp`` within
    ``tol`` of |s| (W1: the row's exact ``w1``). ``lb_tol`` (if given) also asks ``w1_lb`` = critic / lip within
    ``lb_tol``·W1 of sign·W1."""

    name: ClassVar[str] = "gp_critic_slope"
    weight: float = 10.0  # λ of the run's gradient penalty (tests/test_lessons.py checks it is the lesson's)
    sign: int = 1
    tol: float = 0.05
    lb_tol: float = math.inf
    from_step: int = 0

    def check(self, run: StageRun) -> Verdict:
        """Compare w1_critic, gx_interp (and w1_lb) with the closed form at each measurement."""
        keys = ("w1", "w1_critic", "gx_interp", "lip", "w1_lb")
        rows = [row for row in run.rows if row["step"] >= self.from_step and all(row.get(k) is not None for k in keys)]
        _need(rows, "w1, w1_critic, gx_interp, lip and w1_lb")
        worst_estimate = worst_slope = worst_lb = 0.0
        for row in rows:
            w1 = row["w1"]
            slope = gp_critic_slope(w1, self.weight, self.sign)
            worst_estimate = max(worst_estimate, abs(row["w1_critic"] - slope * w1) / w1)
            worst_slope = max(worst_slope, abs(row["gx_interp"] - abs(slope)))
            worst_lb = max(worst_lb, abs(row["w1_lb"] - self.sign * w1) / w1)
        last = rows[-1]
        slope = gp_critic_slope(last["w1"], self.weight, self.sign)
        holds = worst_estimate <= self.tol and worst_slope <= self.tol and worst_lb <= self.lb_tol
        lb = f", critic/lip within {worst_lb:.3f}·W1 of {self.sign * 1:+d}·W1" if math.isfinite(self.lb_tol) else ""
        return Verdict(holds, f"at step {last['step']}: W1 {last['w1']:.3f}, slope {self.sign:+d} + W1/2λ = "
                              f"{slope:.3f}, estimate {last['w1_critic']:.3f} (closed form {slope * last['w1']:.3f}), "
                              f"‖∇D‖ on interpolates {last['gx_interp']:.3f}, lip {last['lip']:.3f}, critic/lip "
                              f"{last['w1_lb']:.3f}; over {len(rows)} measurements the estimate within "
                              f"{worst_estimate:.3f}·W1 and the slope within {worst_slope:.3f}{lb} (claim: within "
                              f"{self.tol:g}{f', critic/lip within {self.lb_tol:g}·W1' if lb else ''})")


@dataclass(frozen=True)
class SignChanges:
    """Oscillation: the number of sign changes of ``column`` over the span's measurements whose magnitude is at least
    ``threshold`` (smaller ones are skipped as undecided) lies between ``least`` and ``most``."""

    name: ClassVar[str] = "sign_changes"
    column: str = "w1_critic"
    threshold: float = 0.1
    least: int = 0
    most: int = 1_000_000

    def check(self, run: StageRun) -> Verdict:
        """Count the sign changes of the span's clear measurements."""
        values = [(step, v) for step, v in measured(run.rows, self.column) if abs(v) >= self.threshold]
        _need(values, f"{self.column} of magnitude ≥ {self.threshold:g}")
        changes = [step for (_, a), (step, b) in zip(values, values[1:], strict=False) if (a > 0) != (b > 0)]
        signs = "".join("+" if v > 0 else "−" for _, v in values)
        return Verdict(self.least <= len(changes) <= self.most,
                       f"{len(changes)} sign changes of {self.column} (|value| ≥ {self.threshold:g}: {signs}, "
                       f"{len(values)} measurements, changes at steps {changes[:12]}) (claim: from {self.least} to "
                       f"{self.most if self.most < 1_000_000 else 'any'})")


@dataclass(frozen=True)
class Between:
    """Every measurement of ``column`` in the span from step ``from_step`` on lies in [``least``, ``most``]."""

    name: ClassVar[str] = "between"
    column: str = "w1"
    least: float = -math.inf
    most: float = math.inf
    from_step: int = 0

    def check(self, run: StageRun) -> Verdict:
        """Read ``column`` of the span."""
        values = [(step, v) for step, v in measured(run.rows, self.column) if step >= self.from_step]
        _need(values, self.column)
        low, high = min(v for _, v in values), max(v for _, v in values)
        return Verdict(self.least <= low and high <= self.most,
                       f"{self.column} {low:.3g} to {high:.3g} at {len(values)} measurements from step "
                       f"{values[0][0]} to {values[-1][0]} (claim: within [{self.least:g}, {self.most:g}])")


@dataclass(frozen=True)
class RatioBetween:
    """Every measurement of ``column`` / ``over`` in the span from step ``from_step`` on lies in [``least``,
    ``most``] (e.g. the samples' sharpness over the data's: blur reads against the data, not on its own)."""

    name: ClassVar[str] = "ratio_between"
    column: str = "sharpness"
    over: str = "sharpness_data"
    least: float = -math.inf
    most: float = math.inf
    from_step: int = 0

    def check(self, run: StageRun) -> Verdict:
        """Read ``column`` and ``over`` of the span's rows that have both."""
        ratios = [(row["step"], row[self.column] / row[self.over]) for row in run.rows
                  if row["step"] >= self.from_step and row.get(self.column) is not None and row.get(self.over)]
        _need(ratios, f"{self.column} and {self.over}")
        low, high = min(v for _, v in ratios), max(v for _, v in ratios)
        return Verdict(self.least <= low and high <= self.most,
                       f"{self.column} / {self.over} {low:.3f} to {high:.3f} at {len(ratios)} measurements from step "
                       f"{ratios[0][0]} to {ratios[-1][0]} (claim: within [{self.least:g}, {self.most:g}])")


def _surface(run: StageRun, name: str):
    frame = run.end_frame
    if frame is None or getattr(frame, "surface", None) is None:
        raise ValueError(f"{name} needs a 2D run's D surface at the stage's step (the frame there)")
    return frame, frame.surface


def surface_range(frame) -> float:
    """max − min of the raw score D over the 2D view's grid (the picture's whole colour range)."""
    return float(np.ptp(frame.surface.score))


def surface_slope_on_interpolates(frame, n: int = 1000, seed: int = 0) -> tuple[float, int]:
    """The mean ‖∇D‖ the 2D picture shows between the real and fake points: the surface's central-difference
    gradient (``np.gradient`` on the grid), interpolated bilinearly at x̂ = εx_r + (1 − ε)x_f of the frame's first
    ``n`` display samples with ε ~ U(0, 1) per sample (a fixed NumPy seed), as the gradient penalty draws them.
    Points outside the grid are left out. Returns (mean, points used)."""
    surface = frame.surface
    gy, gx = np.gradient(np.asarray(surface.score, dtype=np.float64), surface.ys, surface.xs)
    norm = np.hypot(gx, gy)
    m = min(n, len(frame.real), len(frame.fake))
    eps = np.random.default_rng(seed).uniform(0.0, 1.0, (m, 1))
    points = eps * frame.real[:m] + (1 - eps) * frame.fake[:m]
    xs, ys = surface.xs, surface.ys
    inside = ((points[:, 0] >= xs[0]) & (points[:, 0] <= xs[-1]) & (points[:, 1] >= ys[0]) & (points[:, 1] <= ys[-1]))
    points = points[inside]
    if not len(points):
        raise ValueError("no interpolate lies on the surface's grid")
    # bilinear interpolation of the gradient norm (row i of the grid is y = ys[i])
    i = np.clip(np.searchsorted(xs, points[:, 0]) - 1, 0, len(xs) - 2)
    j = np.clip(np.searchsorted(ys, points[:, 1]) - 1, 0, len(ys) - 2)
    tx = (points[:, 0] - xs[i]) / (xs[i + 1] - xs[i])
    ty = (points[:, 1] - ys[j]) / (ys[j + 1] - ys[j])
    values = ((1 - tx) * (1 - ty) * norm[j, i] + tx * (1 - ty) * norm[j, i + 1] + (1 - tx) * ty * norm[j + 1, i]
              + tx * ty * norm[j + 1, i + 1])
    return float(values.mean()), len(points)


@dataclass(frozen=True)
class SurfaceRange:
    """The critic surface the window draws at the stage's step spans between ``least`` and ``most`` (max − min of
    D over the 2D grid): a clipped deep critic is flat (Gulrajani et al. 2017, Fig. 1a)."""

    name: ClassVar[str] = "surface_range"
    least: float = 0.0
    most: float = math.inf

    def check(self, run: StageRun) -> Verdict:
        """Read the end frame's surface."""
        frame, surface = _surface(run, self.name)
        span = surface_range(frame)
        return Verdict(self.least <= span <= self.most,
                       f"D spans {span:.3g} over the {len(surface.xs)}×{len(surface.ys)} grid at step {run.end} "
                       f"({surface.score.min():.6g} to {surface.score.max():.6g}; claim: from {self.least:g} to "
                       f"{self.most:g})")


@dataclass(frozen=True)
class SurfaceSlope:
    """The slope the picture shows between the real and the fake points (``surface_slope_on_interpolates``: the
    surface's finite-difference ‖∇D‖ at interpolates of the frame's samples) lies between ``least`` and ``most``:
    a gradient-penalty critic has slope near 1 there (Gulrajani et al. 2017)."""

    name: ClassVar[str] = "surface_slope"
    least: float = 0.0
    most: float = math.inf

    def check(self, run: StageRun) -> Verdict:
        """Read the end frame's surface and samples."""
        frame, _ = _surface(run, self.name)
        slope, used = surface_slope_on_interpolates(frame)
        return Verdict(self.least <= slope <= self.most,
                       f"the surface's mean ‖∇D‖ on {used} interpolates of the shown samples {slope:.3f} at step "
                       f"{run.end} (claim: from {self.least:g} to {self.most:g})")


Claim = (DNearOptimal | JsNearLog2WhileW1Falls | JsAtMost | ModesAtMost | ModesReach | GradGRises | W1Falls
         | ActivationGradientSpread | GpCriticSlope | SignChanges | Between | RatioBetween | SurfaceRange
         | SurfaceSlope)
CLAIMS: dict[str, type] = {kind.name: kind for kind in (DNearOptimal, JsNearLog2WhileW1Falls, JsAtMost, ModesAtMost,
                                                         ModesReach, GradGRises, W1Falls, ActivationGradientSpread,
                                                         GpCriticSlope, SignChanges, Between,
                                                         RatioBetween, SurfaceRange, SurfaceSlope)}


def _column_name(key: str, given: object) -> str:
    """A claim's column parameter: a metrics column of the registry (``columns.COLUMNS``), else a ConfigError."""
    names = [c.name for c in COLUMNS if not c.layers]
    if not isinstance(given, str) or given not in names:
        raise ConfigError(f"{key}: expected a metrics column ({', '.join(names[:8])}, ...), got {given!r}")
    return given


def parse_claim(value: object) -> Claim:
    """A claim from its lesson-file form: ``"NAME"`` or ``{ check = "NAME", PARAM = NUMBER, ... }``; a ConfigError
    naming the key otherwise."""
    table = {"check": value} if isinstance(value, str) else value
    if not isinstance(table, dict):
        raise ConfigError(f"expected a check name or {{ check = \"NAME\", ... }}, got {value!r}")
    name = table.get("check")
    if name not in CLAIMS:
        raise ConfigError(f"check: unknown claim {name!r}; claims: {', '.join(CLAIMS)}")
    kind = CLAIMS[name]
    params = {f.name: f for f in fields(kind)}
    values = {}
    for key, given in table.items():
        if key == "check":
            continue
        if key not in params:
            allowed = ", ".join(params) or "none"
            raise ConfigError(f"{key}: not a parameter of {name}; parameters: {allowed}")
        wanted = params[key].type  # "int", "float" or "str" (annotations are strings here)
        if wanted == "str":
            values[key] = _column_name(key, given)
            continue
        if isinstance(given, bool) or not isinstance(given, (int, float)) or (wanted == "int" and
                                                                              not isinstance(given, int)):
            raise ConfigError(f"{key}: expected {'a whole number' if wanted == 'int' else 'a number'}, got {given!r}")
        values[key] = int(given) if wanted == "int" else float(given)
    return kind(**values)


__all__ = ["CLAIMS", "Claim", "StageRun", "Verdict", "d_star_gap", "gp_critic_slope", "layer_values", "measured",
           "parse_claim", "surface_range", "surface_slope_on_interpolates"]
