"""Run folders: what a run writes and how it is read back.

A run folder holds
- ``config.toml``   the fully resolved config the run *started* with (loadable with ``--config``);
- ``events.jsonl``  one JSON object per mid-run change ``{step, what, old, new}`` (replayable with ``--at``);
- ``metrics.csv``   a header row, then one row per logged step (empty cell = not measured at that step);
- ``samples.npy``   final generated samples, N×dim (images: N×C×H×W in [−1, 1]);
- ``weights.npz``   final weights of G and D as plain arrays (``np.load(..., allow_pickle=False)``
                    loads them without executing code), keys ``G/<name>`` and ``D/<name>``.
Files that are written once are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import numpy as np

from gan_studio import config as C
from gan_studio.config import Config, ConfigError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees either the old file or the whole new one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def format_cell(value) -> str:
    """A metrics value as CSV text: repr of floats (exact, deterministic), empty for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else repr(value))
    return str(value)


class RunWriter:
    """Writes a run folder as the run goes: metrics and events are appended and flushed row by row."""

    def __init__(self, folder: str | Path, cfg: Config, columns: list[str]):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"--out: cannot create run folder '{self.folder}': {err.strerror or err}") from None
        atomic_write_bytes(self.folder / "config.toml", C.dumps(cfg).encode())
        self.columns = columns
        self._metrics = open(self.folder / "metrics.csv", "w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._metrics, lineterminator="\n")
        self._csv.writerow(columns)
        self._events = open(self.folder / "events.jsonl", "w", encoding="utf-8")
        self._pending: list | None = None  # the newest row, held back so the final row can replace it

    def row(self, row: dict) -> None:
        """Append one metrics row (keys not in the header are an error: the header is fixed)."""
        unknown = set(row) - set(self.columns)
        if unknown:
            raise ValueError(f"metrics row has columns not in the header: {sorted(unknown)}")
        self._flush_pending()
        self._pending = [format_cell(row.get(c)) for c in self.columns]

    def final_row(self, row: dict) -> None:
        """The run's last row, carrying every metric; replaces a held row of the same step."""
        if self._pending is not None and self._pending[0] == format_cell(row["step"]):
            self._pending = None
        self.row(row)

    def _flush_pending(self) -> None:
        if self._pending is not None:
            self._csv.writerow(self._pending)
            self._metrics.flush()
            self._pending = None

    def event(self, event: dict) -> None:
        """Append one event."""
        self._events.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._events.flush()

    def samples(self, samples: np.ndarray) -> None:
        """Save the final generated samples."""
        buf = io.BytesIO()
        np.save(buf, np.asarray(samples, dtype=np.float32), allow_pickle=False)
        atomic_write_bytes(self.folder / "samples.npy", buf.getvalue())

    def weights(self, tensors: dict[str, np.ndarray]) -> None:
        """Save named weight arrays (``G/...``, ``D/...``) as a plain .npz."""
        buf = io.BytesIO()
        np.savez(buf, **tensors)
        atomic_write_bytes(self.folder / "weights.npz", buf.getvalue())

    def close(self) -> None:
        """Write the held row and close the files."""
        self._flush_pending()
        self._metrics.close()
        self._events.close()


def read_events(path: str | Path) -> list[dict]:
    """Events of a run folder's ``events.jsonl``; a malformed line is a ConfigError naming the line."""
    events = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}:{i}: not a JSON event: {err.msg}") from None
        if not isinstance(event, dict) or "step" not in event or "what" not in event:
            raise ConfigError(f"{path}:{i}: an event needs 'step' and 'what'")
        events.append(event)
    return events


def read_metrics(path: str | Path) -> tuple[list[str], list[dict]]:
    """Header and rows of a ``metrics.csv`` (empty cells become None, numbers become floats)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [{k: (float(v) if v != "" else None) for k, v in zip(header, values, strict=True)}
                for values in reader]
    return header, rows


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Named arrays from ``weights.npz`` (no pickle, so no code runs)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read weights '{path}': {err}") from None
