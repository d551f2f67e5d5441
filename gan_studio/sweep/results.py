"""A sweep folder: what a sweep writes, how a resumed sweep knows what is finished, and how it is read back.

::

    OUT/sweep.json                 the grid, seeds and steps (written when the sweep starts)
    OUT/base.toml                  the base config every point starts from
    OUT/results.csv                one row per point and seed: status, final metrics (rewritten as points finish)
    OUT/<point>/seed-<S>/          an ordinary run folder (runs.py) per seed, plus
    OUT/<point>/seed-<S>/result.json   its outcome, written last: the run folder is complete when it is there
    OUT/<point>/seeds-<S>-<T>/     or: one seed-ensemble run folder of all the point's seeds S … T (``train.seeds``),
                                   its ``result.json`` a list of every seed's outcome

A run is *finished* when its ``result.json`` is there and its ``config.toml`` is the config this sweep would run
(another ``--steps`` or base config makes it stale); a point is finished when all its seeds are, and a re-run of
the same command skips it. Every file is written atomically (``runs.atomic_write_bytes``), so Ctrl-C or a killed
worker leaves either the old file or the new one. No torch, no Ray: the window reads sweeps with this module.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from gan_studio import config as C
from gan_studio.config import ConfigError
from gan_studio.runs import RUN_FILES, atomic_write_bytes, csv_line, format_cell, kept_config
from gan_studio.sweep.grid import Axis, Point, Sweep

SPEC_FILE, BASE_FILE, TABLE_FILE, RESULT_FILE = "sweep.json", "base.toml", "results.csv", "result.json"
DONE, NONFINITE, FAILED, PENDING = "done", "nonfinite", "failed", "pending"  # a run's status in the table
# Modes covered at the end: `modes_reached` for mixtures (a mode with ≥ 1 % of the samples near it, the count the
# picture agrees with; columns.py), `classes` for labelled image sets; the first of these a run has is used.
COVERAGE_COLUMNS = ("modes_reached", "classes")
# the table's first columns (the axes' keys come after "point"), then "step" and the final metrics
FIXED_COLUMNS = ("point", "seed", "status", "message", "seconds", "n_modes", "modes_fraction", "all_modes")


@dataclass(frozen=True)
class SeedResult:
    """The outcome of one run of a sweep: its status, the error message if any, its final metrics row."""

    point: str  # the point's folder name
    seed: int
    steps: int  # the steps the run was asked for (a NONFINITE run stopped before them)
    status: str  # DONE, NONFINITE (stopped on a NaN/Inf; the folder holds the last finite state), FAILED, PENDING
    message: str = ""
    final: dict = field(default_factory=dict)  # column -> float or None, the run's last metrics row
    n_modes: int | None = None  # modes of the data (mixtures) or classes (labelled images); None when it has none
    seconds: float | None = None  # wall time of the run

    def covered_fraction(self) -> float | None:
        """The share of the modes covered at the end (``COVERAGE_COLUMNS`` / ``n_modes``), comparable between data
        sets with different mode counts; None when not known."""
        for column in COVERAGE_COLUMNS:
            value = self.final.get(column)
            if value is not None and self.n_modes and math.isfinite(value):
                return value / self.n_modes
        return None

    def covers_all(self) -> bool | None:
        """Whether the run ended with every mode covered (``COVERAGE_COLUMNS``); None when that is not known."""
        fraction = self.covered_fraction()
        return None if fraction is None else fraction >= 1.0


def seed_folder(out: Path, point: Point, seed: int) -> Path:
    """The run folder of one seed of one point."""
    return Path(out) / point.name / f"seed-{seed}"


def ensemble_folder(out: Path, point: Point, seeds: list[int]) -> Path:
    """The seed-ensemble run folder of all of a point's seeds (``train.seeds`` = their count)."""
    return Path(out) / point.name / f"seeds-{seeds[0]}-{seeds[-1]}"


def _result_data(result: SeedResult) -> dict:
    return {"point": result.point, "seed": result.seed, "steps": result.steps, "status": result.status,
            "message": result.message,
            "n_modes": result.n_modes, "seconds": result.seconds, "final": result.final}


def _result_from(data: dict) -> SeedResult:
    return SeedResult(point=str(data["point"]), seed=int(data["seed"]), steps=int(data["steps"]),
                      status=str(data["status"]),
                      message=str(data["message"]), final=dict(data["final"]), n_modes=data["n_modes"],
                      seconds=data["seconds"])


def write_result(folder: Path, result: SeedResult | list[SeedResult]) -> None:
    """Mark a run folder finished: its outcome as ``result.json``, written atomically after every other file (a
    seed ensemble's folder: the list of every member's outcome)."""
    data = [_result_data(r) for r in result] if isinstance(result, list) else _result_data(result)
    atomic_write_bytes(Path(folder) / RESULT_FILE, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def read_results(folder: Path, cfg: C.Config, steps: int) -> list[SeedResult] | None:
    """The outcomes in a finished run folder of config ``cfg`` asked for ``steps`` steps (one, or one per member
    of a seed ensemble); None when the run is not finished (no ``result.json``, a run file missing, unreadable,
    made with another config or steps)."""
    folder = Path(folder)
    try:
        if not all((folder / name).is_file() for name in RUN_FILES):
            return None
        recorded = kept_config(folder, cfg)  # a points file's data.path names the folder's own copy
        if recorded is None or (folder / "config.toml").read_text(encoding="utf-8") != C.dumps(recorded):
            return None
        data = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
        results = [_result_from(d) for d in (data if isinstance(data, list) else [data])]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    finished = all(r.status in (DONE, NONFINITE) and r.steps == steps for r in results)
    return results if results and finished else None


def read_result(folder: Path, cfg: C.Config, steps: int) -> SeedResult | None:
    """The outcome of a finished single run in ``folder`` (``read_results``); None when it is not finished."""
    results = read_results(folder, cfg, steps)
    return results[0] if results is not None and len(results) == 1 else None


def finished_point(out: Path, sweep: Sweep, point: Point) -> list[SeedResult] | None:
    """Every seed's outcome when all seeds of ``point`` are finished, as one seed ensemble or as separate runs;
    None when they are not (the point runs)."""
    seeds = sweep.seed_values()
    if len(seeds) > 1:
        together = read_results(ensemble_folder(out, point, seeds), sweep.ensemble_config(point), sweep.steps)
        if together is not None and [r.seed for r in together] == seeds:
            return together
    results = [read_result(seed_folder(out, point, seed), sweep.config(point, seed), sweep.steps)
               for seed in seeds]
    return None if any(r is None for r in results) else results


def failed_point(out: Path, sweep: Sweep, point: Point, message: str) -> list[SeedResult]:
    """The outcome of a point whose task raised: the seeds it finished before that as they are, every other seed
    FAILED with ``message``."""
    results = []
    for seed in sweep.seed_values():
        done = read_result(seed_folder(out, point, seed), sweep.config(point, seed), sweep.steps)
        results.append(done or SeedResult(point.name, seed, sweep.steps, FAILED, message))
    return results


def write_spec(out: Path, sweep: Sweep) -> None:
    """``sweep.json`` (grid, seeds, steps, the points' folders) and ``base.toml``."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        spec = {"grid": [[axis.key, list(axis.values)] for axis in sweep.grid], "seeds": sweep.seeds,
                "steps": sweep.steps, "points": [point.name for point in sweep.points()]}
        atomic_write_bytes(out / SPEC_FILE, json.dumps(spec, ensure_ascii=False, indent=1).encode("utf-8"))
        atomic_write_bytes(out / BASE_FILE, C.dumps(sweep.base).encode("utf-8"))
    except OSError as err:
        raise ConfigError(f"--out: cannot write a sweep folder at '{out}': {err.strerror or err}; "
                          "choose a folder you can write to") from None


def table_columns(grid: tuple[Axis, ...], results: list[SeedResult]) -> list[str]:
    """The results table's header: point, the axes' keys, the fixed columns, then every metric column any run
    has, in the order the runs wrote them."""
    metrics: dict[str, None] = {}
    for result in results:
        metrics.update(dict.fromkeys(c for c in result.final if c != "step"))
    return ["point", *(axis.key for axis in grid), *FIXED_COLUMNS[1:], "step", *metrics]


def table_bytes(sweep: Sweep, results: dict[str, list[SeedResult]]) -> bytes:
    """``results.csv`` as bytes: a row per point and seed in grid order; a point not in ``results`` is PENDING."""
    rows = []
    for point in sweep.points():
        for seed, result in zip(sweep.seed_values(), results.get(point.name) or [None] * sweep.seeds, strict=True):
            rows.append((point, result or SeedResult(point.name, seed, sweep.steps, PENDING)))
    header = table_columns(sweep.grid, [r for _, r in rows])
    lines = [csv_line(header)]
    for point, result in rows:
        covers = result.covers_all()
        cells = {"point": point.name, **{key: format_cell(value) for key, value in point.values},
                 "seed": str(result.seed), "status": result.status, "message": result.message,
                 "seconds": format_cell(None if result.seconds is None else round(result.seconds, 3)),
                 "n_modes": format_cell(result.n_modes), "modes_fraction": format_cell(result.covered_fraction()),
                 "all_modes": "" if covers is None else str(int(covers)),
                 **{key: format_cell(value) for key, value in result.final.items()}}
        lines.append(csv_line([cells.get(column, "") for column in header]))
    return b"".join(lines)


def write_table(out: Path, sweep: Sweep, results: dict[str, list[SeedResult]]) -> None:
    """Write ``results.csv`` atomically (a reader sees the old table or the whole new one)."""
    atomic_write_bytes(Path(out) / TABLE_FILE, table_bytes(sweep, results))


def point_summary(results: list[SeedResult]) -> str:
    """One line about a point's seeds: how many finished, modes covered (median and range), all modes covered."""
    done = [r for r in results if r.status in (DONE, NONFINITE)]
    parts = [f"{len(done)}/{len(results)} seeds"]
    stopped = sum(r.status == NONFINITE for r in results)
    if stopped:
        parts.append(f"{stopped} stopped on NaN/Inf")
    failed = [r for r in results if r.status == FAILED]
    if failed:
        parts.append(f"failed: {failed[0].message}")
    column = next((c for c in COVERAGE_COLUMNS if any(r.final.get(c) is not None for r in done)), None)
    counts = [r.final[column] for r in done if column and r.final.get(column) is not None]
    if counts and done[0].n_modes is not None:
        parts.append(f"modes covered median {median(counts):g} (range {min(counts):g}–{max(counts):g}) "
                     f"of {done[0].n_modes}")
    covers = [r.covers_all() for r in done]
    if covers and all(c is not None for c in covers):
        parts.append(f"all modes {sum(covers)}/{len(covers)}")
    return ", ".join(parts)


@dataclass(frozen=True)
class SweepTable:
    """A sweep folder read back (the window's sweep view): its axes, seeds, steps and table rows."""

    folder: Path
    axes: tuple[tuple[str, tuple[str, ...]], ...]  # (key, values as text), grid order
    seeds: int
    steps: int
    points: tuple[str, ...]  # the points' folder names, grid order
    header: tuple[str, ...]
    rows: tuple[dict, ...]  # column -> text (as in the CSV)

    def metrics(self) -> list[str]:
        """The columns a distribution can be drawn of: the final metrics and all_modes (numbers)."""
        skip = {"point", "seed", "status", "message", "seconds", "n_modes", "step", *(k for k, _ in self.axes)}
        return [c for c in self.header if c not in skip]

    def point_rows(self, point: str) -> list[dict]:
        """The rows of one point, one per seed."""
        return [row for row in self.rows if row["point"] == point]

    def values(self, point: str, metric: str) -> list[float]:
        """The finite values of ``metric`` over a point's finished seeds."""
        out = []
        for row in self.point_rows(point):
            try:
                value = float(row.get(metric) or "nan")
            except ValueError:
                continue
            if row["status"] in (DONE, NONFINITE) and math.isfinite(value):
                out.append(value)
        return out

    def label(self, point: str) -> str:
        """A point's values as text, ``ns, gp``: the axes with more than one value (the table's columns name
        them); the point's folder name when no axis varies."""
        rows = self.point_rows(point)
        varying = [key for key, values in self.axes if len(values) > 1]
        if not rows or not varying:
            return point
        return ", ".join(rows[0].get(key, "") for key in varying)

    def n_modes(self) -> int | None:
        """The most modes any finished run's data has (the full scale of a modes count), None when unknown."""
        counts = [int(float(r["n_modes"])) for r in self.rows if r.get("n_modes")]
        return max(counts, default=None)


def read_sweep(folder: str | Path) -> SweepTable:
    """A sweep folder's spec and results table; a ConfigError naming the file when it is not a sweep folder."""
    folder = Path(folder)
    spec_path, table_path = folder / SPEC_FILE, folder / TABLE_FILE
    if not spec_path.is_file() or not table_path.is_file():
        raise ConfigError(f"'{folder}' is not a sweep folder: it needs {SPEC_FILE} and {TABLE_FILE} "
                          "(written by gan-studio sweep --out)")
    try:
        spec = json.loads(C.read_text(spec_path, "sweep file"))
        axes = tuple((str(key), tuple(_cell(v) for v in values)) for key, values in spec["grid"])
        seeds, steps, points = int(spec["seeds"]), int(spec["steps"]), tuple(str(p) for p in spec["points"])
    except (ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{spec_path}: not a sweep file ({err})") from None
    try:
        with open(table_path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = tuple(next(reader, ()))
            if header[:1] != ("point",):
                raise ConfigError(f"{table_path}: not a results table (the first column must be 'point')")
            rows = tuple(dict(zip(header, values, strict=True)) for values in reader if values)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as err:
        raise ConfigError(f"{table_path}: unreadable ({err})") from None
    return SweepTable(folder, axes, seeds, steps, points, header, rows)


def _cell(value) -> str:
    """A grid value as the table writes it."""
    return format_cell(value) if not isinstance(value, bool) else str(value)
