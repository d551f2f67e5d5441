"""Run folders: what a run writes and how it is read back.

A run folder holds
- ``config.toml``   the fully resolved config the run *started* with (loadable with ``--config``);
- ``events.jsonl``  one JSON object per mid-run change ``{step, what, old, new}`` (replayable with ``--at``);
- ``metrics.csv``   a header row, then one row per logged step (empty cell = not measured at that step);
- ``samples.npy``   final generated samples, N×dim (images: N×C×H×W in [−1, 1]);
- ``weights.npz``   final weights of G and D as plain arrays (``np.load(..., allow_pickle=False)``
                    loads them without executing code), keys ``G/<name>`` and ``D/<name>``.
Files that are written once are written atomically (temporary file, then rename).

The window's worker records every run it trains into a folder of this format as the run goes
(``recordings_root()``), so nothing piles up in memory and nothing is lost if the window dies;
"Save run…" copies that record plus the final state (``RunWriter.save_to``) and "Open run…" continues
from a saved folder (``check_run_folder``, ``RunWriter(..., continue_from=...)``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gan_studio import config as C
from gan_studio.config import Config, ConfigError

RUN_FILES = ("config.toml", "events.jsonl", "metrics.csv", "samples.npy", "weights.npz")


def recordings_root() -> Path:
    """Where the window's worker records its runs: ``$GAN_STUDIO_RUNS``, else ``<temp>/gan-studio-runs``."""
    return Path(os.environ.get("GAN_STUDIO_RUNS") or Path(tempfile.gettempdir()) / "gan-studio-runs")


KEEP_RECORDINGS = 20  # the window's own recordings kept in recordings_root(); an hour's run writes ~30 MB
KEEP_RECENT_S = 24 * 3600  # ... and any touched in the last day (another window may still be recording)


def prune_recordings(root: Path, keep: int = KEEP_RECORDINGS, recent_s: float = KEEP_RECENT_S) -> list[Path]:
    """Delete the window's old recordings in ``root``: all but the ``keep`` newest, sparing any folder written
    to in the last ``recent_s`` seconds. Only run folders (a ``config.toml`` and a ``metrics.csv``) are
    touched; a folder that cannot be deleted is left. Returns the folders deleted."""
    def last_write(folder: Path) -> float:
        return max((f.stat().st_mtime for f in folder.iterdir()), default=folder.stat().st_mtime)

    try:
        folders = [f for f in root.iterdir()
                   if f.is_dir() and (f / "config.toml").is_file() and (f / "metrics.csv").is_file()]
        written = {f: last_write(f) for f in folders}
    except OSError:
        return []
    now = time.time()
    old = sorted(folders, key=written.get, reverse=True)[keep:]
    deleted = []
    for folder in old:
        if now - written[folder] < recent_s:
            continue
        try:
            shutil.rmtree(folder)
        except OSError:
            continue
        deleted.append(folder)
    return deleted


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
        return repr(float(value))  # 'nan' and 'inf' too; float() so a NumPy float is not 'np.float64(...)'
    return str(value)


class RunWriter:
    """Writes a run folder as the run goes: metrics and events are appended and flushed row by row.

    ``continue_from``: a run folder whose events and metrics rows this run carries on (an opened run):
    they are copied first, streaming, and its last row is held like a row of this run.
    """

    def __init__(self, folder: str | Path, cfg: Config, columns: list[str], continue_from: str | Path | None = None):
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
        if continue_from is not None:
            self._copy_history(Path(continue_from))

    def _copy_history(self, old: Path) -> None:
        """Copy an old run's rows (cells as written, matched by column name) and events."""
        with open(old / "metrics.csv", newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            for values in reader:
                cells = dict(zip(header, values, strict=False))
                self._flush_pending()
                self._pending = [cells.get(c, "") for c in self.columns]
        if (old / "events.jsonl").exists():
            for event in read_events(old / "events.jsonl"):
                self.event(event)
        self._metrics.flush()

    def _cells(self, row: dict) -> list[str]:
        unknown = set(row) - set(self.columns)
        if unknown:
            raise ValueError(f"metrics row has columns not in the header: {sorted(unknown)}")
        return [format_cell(row.get(c)) for c in self.columns]

    def row(self, row: dict) -> None:
        """Append one metrics row (keys not in the header are an error: the header is fixed)."""
        cells = self._cells(row)
        self._flush_pending()
        self._pending = cells

    def _closing(self, row: dict) -> list[list[str]]:
        """The rows ``final_row(row)`` leaves after the flushed ones: it replaces a held row of the same
        step, keeping that row's values where the final row has none (e.g. the losses of an opened run)."""
        cells = self._cells(row)
        if self._pending is None:
            return [cells]
        if self._pending[0] == cells[0]:
            return [[new if new != "" else old for new, old in zip(cells, self._pending, strict=True)]]
        return [self._pending, cells]

    def final_row(self, row: dict) -> None:
        """The run's last row, carrying every metric; replaces a held row of the same step."""
        *done, last = self._closing(row)
        for cells in done:
            self._csv.writerow(cells)
        self._metrics.flush()
        self._pending = last

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
        write_samples(self.folder, samples)

    def weights(self, tensors: dict[str, np.ndarray]) -> None:
        """Save named weight arrays (``G/...``, ``D/...``) as a plain .npz."""
        write_weights(self.folder, tensors)

    def close(self) -> None:
        """Write the held row and close the files."""
        if self._metrics.closed:
            return
        self._flush_pending()
        self._metrics.close()
        self._events.close()

    def save_to(self, dest: str | Path, final_row: dict, samples: np.ndarray, weights: dict[str, np.ndarray]) -> Path:
        """Write a complete run folder at ``dest`` without ending this one: the config, events and rows
        recorded so far, then ``final_row`` (as ``final_row`` would), the samples and the weights.

        The same files, byte for byte, as a ``gan-studio run`` ending at this step. Copies stream (no
        history in memory). Refuses the recording folder itself and a folder holding other files.
        """
        dest = Path(dest)
        if dest.exists() and dest.resolve() == self.folder.resolve():
            raise ConfigError(f"'{dest}' is the folder this run is being recorded in; choose another")
        if dest.is_dir():
            others = sorted(p.name for p in dest.iterdir() if p.name not in RUN_FILES and not p.name.endswith(".tmp"))
            if others:
                raise ConfigError(f"'{dest}' already holds other files ({', '.join(others[:3])}"
                                  f"{', …' if len(others) > 3 else ''}); choose an empty folder or a run folder")
        closing = self._closing(final_row)
        dest.mkdir(parents=True, exist_ok=True)
        self._metrics.flush()
        self._events.flush()
        atomic_write_bytes(dest / "config.toml", (self.folder / "config.toml").read_bytes())
        for name in ("events.jsonl", "metrics.csv"):
            tmp = dest / (name + ".tmp")
            shutil.copyfile(self.folder / name, tmp)
            if name == "metrics.csv":
                with open(tmp, "a", newline="", encoding="utf-8") as f:
                    csv.writer(f, lineterminator="\n").writerows(closing)
            os.replace(tmp, dest / name)
        write_samples(dest, samples)
        write_weights(dest, weights)
        return dest


def write_samples(folder: Path, samples: np.ndarray) -> None:
    """``samples.npy``: float32 samples, no pickle."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(samples, dtype=np.float32), allow_pickle=False)
    atomic_write_bytes(Path(folder) / "samples.npy", buf.getvalue())


def write_weights(folder: Path, tensors: dict[str, np.ndarray]) -> None:
    """``weights.npz``: named arrays (``G/...``, ``D/...``), no pickle."""
    buf = io.BytesIO()
    np.savez(buf, **tensors)
    atomic_write_bytes(Path(folder) / "weights.npz", buf.getvalue())


def read_events(path: str | Path) -> list[dict]:
    """Events of a run folder's ``events.jsonl``; an unreadable file or a malformed line is a ConfigError naming it."""
    events = []
    for i, line in enumerate(C.read_text(path, "events file").splitlines(), start=1):
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
    rows = list(iter_metrics(path))  # checks every row
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    return header, rows


def iter_metrics(path: str | Path) -> Iterator[dict]:
    """The rows of a ``metrics.csv`` one at a time (for long runs); a malformed row is a ConfigError
    naming the file and the line."""
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header or header[0] != "step":
                raise ConfigError(f"{name}: not a metrics file (the first column must be 'step')")
            for values in reader:
                if len(values) != len(header):
                    raise ConfigError(f"{name}:{reader.line_num}: {len(values)} cells, the header has {len(header)}")
                try:
                    row = {k: (float(v) if v != "" else None) for k, v in zip(header, values, strict=True)}
                except ValueError as err:
                    raise ConfigError(f"{name}:{reader.line_num}: {err}") from None
                if row["step"] is None or row["step"] != int(row["step"]) or row["step"] < 0:
                    raise ConfigError(f"{name}:{reader.line_num}: step must be a whole number ≥ 0")
                yield row
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text") from None
    except csv.Error as err:
        raise ConfigError(f"{name}: malformed CSV: {err}") from None
    except OSError as err:
        raise ConfigError(f"cannot read '{name}': {err.strerror or err}") from None


def check_run_folder(folder: str | Path) -> tuple[Config, int]:
    """The start config and last step of a saved run folder, or a ConfigError naming the file and the problem.

    Checks what can be checked without torch: config.toml loads, metrics.csv is well formed, events.jsonl
    (if present) is well formed, weights.npz exists. Whether the weights fit the config is the trainer's
    check (``Trainer.load_weights``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"'{folder}' is not a folder")
    missing = [name for name in ("config.toml", "metrics.csv", "weights.npz") if not (folder / name).is_file()]
    if missing:
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        raise ConfigError(f"'{folder}' is not a run folder: {names} {'is' if len(missing) == 1 else 'are'} missing")
    cfg = C.load(folder / "config.toml")
    last = 0
    for row in iter_metrics(folder / "metrics.csv"):
        last = int(row["step"])
    if (folder / "events.jsonl").exists():
        read_events(folder / "events.jsonl")
    return cfg, last


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Named arrays from ``weights.npz`` (no pickle, so no code runs)."""
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not a .npz of named arrays")
        with data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as err:
        reason = "not a .npz file" if "pickle" in str(err) else str(err)  # not numpy's advice to unpickle
        raise ConfigError(f"cannot read weights '{path}': not a readable .npz of arrays ({reason})") from None
