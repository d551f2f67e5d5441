"""User point files (.csv / .npy of N×1 or N×2 finite numbers): read and checked, pure NumPy (no torch).

One reader for every way points come in: ``data.name = file`` (``data.points_file`` wraps the array as a data
set), and the window's dropped files and pasted text, which it checks before it restarts a run on them.

CSV: one point per line, numbers separated by commas (when the first non-blank line has a comma) or else by
whitespace; blank lines are skipped; the first non-blank line is a header when any of its fields is not a number
(at most one header line). NPY: a real numeric array of shape (N, 1) or (N, 2); a 1-D array of N values counts as
N×1. Every problem is a ConfigError naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan_studio.config import ConfigError, read_text

ALLOWED_SUFFIXES = (".csv", ".npy")
MAX_ABS = 1e15  # the largest |value| a point may have: squared distances stay finite in float32 (1e30 < 3.4e38)


def read_points(path: str) -> np.ndarray:
    """The (N, 1) or (N, 2) float64 points of a .csv / .npy file; a ConfigError naming the file and the problem."""
    if not path or not str(path).strip():
        raise ConfigError("data.path is empty: data.name = file needs data.path = a .csv or .npy file "
                          "of N×1 or N×2 numbers")
    p = Path(path).expanduser()
    suffix = p.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ConfigError(f"data file '{path}': unsupported extension '{p.suffix}'; allowed: .csv, .npy")
    if not p.exists():
        raise ConfigError(f"data file '{path}' not found")
    if not p.is_file():
        raise ConfigError(f"data file '{path}' is not a file")
    if suffix == ".npy":
        points, line_of_row = _read_npy(p, path), None
    else:
        points, line_of_row = _read_csv(p, path)
    _check(points, path, line_of_row)
    return points


def _read_npy(p: Path, path: str) -> np.ndarray:
    try:
        with open(p, "rb") as f:
            magic = f.read(6)
    except OSError as err:
        raise ConfigError(f"data file '{path}' is unreadable: {err.strerror or err}") from None
    if magic != b"\x93NUMPY":  # else np.load falls back to pickle and talks about "pickled data"
        raise ConfigError(f"data file '{path}' is not a NumPy .npy file (save points with numpy.save)")
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise ConfigError(f"data file '{path}' is unreadable as .npy: {err}") from None
    if not isinstance(arr, np.ndarray):
        raise ConfigError(f"data file '{path}' is unreadable as .npy: it holds no single array")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ConfigError(f"data file '{path}' holds {arr.dtype} values; expected real numbers")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] not in (1, 2):
        got = "×".join(map(str, arr.shape)) if arr.ndim else "a single number"
        raise ConfigError(f"data file '{path}': expected N×1 or N×2 numbers, got {got}")
    return arr.astype(np.float64)


def _read_csv(p: Path, path: str) -> tuple[np.ndarray, list[int]]:
    """Parse the CSV file; returns the (N, dim) array and the file line number of each row."""
    return parse_csv(read_text(p, "data file", encoding="utf-8-sig"), path)


def parse_csv(text: str, path: str) -> tuple[np.ndarray, list[int]]:
    """CSV text (as in a file; ``path`` names it in messages) as the (N, dim) array and each row's line number."""
    rows: list[list[float]] = []
    lines: list[int] = []
    comma: bool | None = None  # decided by the first non-blank line
    ncol = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        first = comma is None
        if first:
            comma = "," in line
        fields = [f.strip() for f in line.split(",")] if comma else line.split()
        bad = next((f for f in fields if not _is_number(f)), None)
        if bad is not None:
            if first:
                continue  # the single optional header line
            sep = "comma" if comma else "whitespace"
            raise ConfigError(f"data file '{path}' line {lineno}: {bad!r} is not a number "
                              f"({sep}-separated values expected): {line!r}")
        values = [float(f) for f in fields]
        if not rows:
            ncol = len(values)
        elif len(values) != ncol:
            raise ConfigError(f"data file '{path}' line {lineno}: {len(values)} values, but the first data "
                              f"row (line {lines[0]}) has {ncol}: {line!r}")
        rows.append(values)
        lines.append(lineno)
    if ncol not in (0, 1, 2):
        raise ConfigError(f"data file '{path}': expected N×1 or N×2 numbers, got {len(rows)}×{ncol}")
    return np.array(rows, dtype=np.float64).reshape(len(rows), max(ncol, 1)), lines


def _is_number(text: str) -> bool:
    """Whether ``float(text)`` parses (nan and inf included; _check reports those)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check(points: np.ndarray, path: str, line_of_row: list[int] | None) -> None:
    """Non-finite values and too few rows are errors."""
    bad = ~np.isfinite(points)
    if bad.any():
        row = int(np.argmax(bad.any(1)))
        where = f"row {row + 1}" + (f" (line {line_of_row[row]})" if line_of_row else "")
        raise ConfigError(f"data file '{path}': {int(bad.sum())} non-finite values (NaN or ±inf); "
                          f"the first is in {where}")
    if len(points) < 2:
        raise ConfigError(f"data file '{path}': needs at least 2 rows of points, got {len(points)}")
    big = np.abs(points) > MAX_ABS
    if big.any():  # training is in float32 and measurements square distances: beyond this they overflow
        row = int(np.argmax(big.any(1)))
        where = f"row {row + 1}" + (f" (line {line_of_row[row]})" if line_of_row else "")
        raise ConfigError(f"data file '{path}': values must lie within ±{MAX_ABS:g}; {where} holds "
                          f"{points[row][big[row]][0]:g}")


def read_points_text(text: str, name: str = "pasted text") -> np.ndarray:
    """Points from CSV text (what a spreadsheet or a script puts on the clipboard), checked as a .csv file's are;
    ``name`` stands for the file in messages."""
    points, line_of_row = parse_csv(text, name)
    _check(points, name, line_of_row)
    return points
