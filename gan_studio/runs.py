"""Run folders: what a run writes and how it is read back.

A run folder holds
- ``config.toml``   the fully resolved config the run *started* with (loadable with ``--config``);
- ``events.jsonl``  one JSON object per mid-run change ``{step, what, old, new}`` (replayable with ``--at``);
- ``metrics.csv``   a header row, then one row per logged step (empty cell = not measured at that step);
- ``samples.npy``   final generated samples, N×dim (images: N×C×H×W in [−1, 1]);
- ``weights.npz``   final weights of G and D as plain arrays (``np.load(..., allow_pickle=False)``
                    loads them without executing code), keys ``G/<name>`` and ``D/<name>``.
- ``data.npy`` or ``data.csv``  only for ``data.name = file``: the run's points file, copied byte for byte
                    (``keep_data``); config.toml's ``data.path`` names this copy, and ``load_config`` finds it
                    beside config.toml when the folder has moved.
- ``data-<step>.npy`` (or .csv)  the points file of each live ``data.path`` change (a drawing, a dropped or pasted
                    file, issue 14), copied byte for byte when its event is written; the event names the copies by
                    name (``"new": "data-120.npy"``, ``"old"`` the one before), and ``read_events`` finds them
                    beside events.jsonl, so ``--config F/config.toml --events F/events.jsonl`` replays a moved folder.
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
import math
import os
import re
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
from gan_studio.schedule import parse_event

MAX_STEP = 2**53  # the largest step a run folder may name (a float holds every whole number up to it exactly)
MAX_WEIGHT_DIMS = 4  # conv weights: out × in × h × w
RUN_FILES = ("config.toml", "events.jsonl", "metrics.csv", "samples.npy", "weights.npz")
SEED_COLUMN = "seed"  # a seed ensemble's metrics.csv: one row per member and logged step, its seed after the step
# A run on a points file (data.name = file: a drawing, a dropped or chosen file) keeps a copy of it in its folder,
# in the file's own format, and its config.toml names that copy: the folder replays without the original.
DATA_COPIES = ("data.npy", "data.csv")
DATA_EVENT = "data.path"  # a live change of the points file: the folder keeps each file as data-<step>.npy / .csv
_DATA_COPY = re.compile(r"data(-[0-9]+(-[0-9]+)?)?\.(npy|csv)")


def is_data_copy(name: str) -> bool:
    """Whether ``name`` is a points file a run folder keeps: ``data.npy`` / ``data.csv`` (the file the run started
    on) or ``data-<step>[-<n>].npy`` / ``.csv`` (the file of a live ``data.path`` change at that step)."""
    return _DATA_COPY.fullmatch(name) is not None


def copy_data_files(source: Path, target: Path) -> None:
    """Copy every points file a run folder keeps (``is_data_copy``) from ``source`` to ``target``, atomically."""
    for file in sorted(Path(source).iterdir()):
        if is_data_copy(file.name) and file.is_file():
            atomic_write_bytes(Path(target) / file.name, file.read_bytes())


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


def atomic_write_bytes(path: Path, data: bytes, sync: bool = True) -> None:
    """Write ``data`` to ``path`` so that a reader sees either the old file or the whole new one (with ``sync``,
    flushed to the disk before the rename, so a power cut leaves one of the two as well)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if sync:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def format_cell(value) -> str:
    """A metrics value as CSV text: repr of floats (exact, deterministic), empty for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(float(value))  # 'nan' and 'inf' too; float() so a NumPy float is not 'np.float64(...)'
    return str(value)


def csv_line(cells: list[str]) -> bytes:
    """One metrics.csv line as bytes (the csv module's quoting, ``\n`` line ends)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue().encode("utf-8")


def keep_data(folder: Path, cfg: Config, home: Path | None = None) -> Config:
    """A run on a points file (``data.name = file``): copy that file into ``folder`` as ``data.npy`` or
    ``data.csv`` (its own format, byte for byte) and return ``cfg`` with ``data.path`` naming the copy as it will
    be found at ``home`` (default ``folder``; a save writes into a temporary folder renamed to ``home``). Any other
    config comes back as it is. A file that cannot be read is a ConfigError naming it."""
    if cfg.data.name != "file":
        return cfg
    source = Path(cfg.data.path).expanduser()
    name = _copy_name(source)
    copy = Path(folder) / name
    if not (copy.exists() and source.exists() and copy.samefile(source)):  # a run written into its own folder
        try:
            data = source.read_bytes()
        except OSError as err:
            raise ConfigError(f"data file '{cfg.data.path}': cannot copy it into the run folder "
                              f"'{folder}': {err.strerror or err}") from None
        atomic_write_bytes(copy, data)
    return C.with_value(cfg, "data.path", os.path.abspath(Path(home or folder) / name))


def _copy_name(source: Path) -> str:
    """The name of a points file's copy in a run folder: its own format."""
    return "data.csv" if source.suffix.lower() == ".csv" else "data.npy"


def kept_config(folder: Path, cfg: Config) -> Config | None:
    """The config a run of ``cfg`` written into ``folder`` records (``keep_data``: a points file's ``data.path``
    names the folder's copy), or None when that copy is missing or its bytes differ from the file's now (the data
    changed: the run is not one of ``cfg``). A sweep's resume compares a finished folder with this."""
    if cfg.data.name != "file":
        return cfg
    source = Path(cfg.data.path).expanduser()
    copy = Path(folder) / _copy_name(source)
    try:
        if copy.read_bytes() != source.read_bytes():
            return None
    except OSError:
        return None
    return C.with_value(cfg, "data.path", os.path.abspath(copy))


def load_config(path: str | Path) -> Config:
    """A config file (``config.load``); when it is a run folder's config.toml of a run on a points file and the
    folder holds its own copy (``DATA_COPIES``), ``data.path`` is that copy, wherever the folder now is."""
    cfg = C.load(path)
    if cfg.data.name == "file" and Path(cfg.data.path).name in DATA_COPIES:
        own = Path(path).parent / Path(cfg.data.path).name
        if own.is_file():
            cfg = C.with_value(cfg, "data.path", os.path.abspath(own))
    return cfg


class RunWriter:
    """Writes a run folder as the run goes: the header, every metrics row and every event reach the file (flushed)
    the moment they are written, so a process that dies loses nothing written so far; files are synced to the
    disk at saves and at ``close``.

    The final row (``final_row``) replaces a row of the same step, so the last row written is remembered (its
    cells and where its line starts) and rewritten in place when that happens.

    ``continue_from``: a run folder whose events and metrics rows this run carries on (an opened run):
    they are copied first, streaming. A branch (``worker.timeline``) copies the rows up to step ``until`` only and
    writes ``events`` (the branch's) instead of the folder's.
    """

    def __init__(self, folder: str | Path, cfg: Config, columns: list[str], continue_from: str | Path | None = None,
                 until: int | None = None, events: list[dict] | None = None):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            cfg = keep_data(self.folder, cfg)  # a points file travels with its run
            self.cfg = cfg  # as config.toml holds it
            # the folder's copy of the points trained on now, by name (a live data.path change names the next one)
            self._data = Path(cfg.data.path).name if cfg.data.name == "file" else None
            atomic_write_bytes(self.folder / "config.toml", C.dumps(cfg).encode())
            self._metrics = open(self.folder / "metrics.csv", "wb")
            self._events = open(self.folder / "events.jsonl", "w", encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"--out: cannot write a run folder at '{self.folder}': {err.strerror or err}; "
                              "choose a folder you can write to") from None
        self.columns = columns
        self._last: tuple[int, list[str]] | None = None  # (offset of its line, cells) of the last row written
        self._tail: list[tuple[int, list[str]]] = []  # (offset, cells) of the rows written of the last step
        self._write_line(csv_line(columns))
        if continue_from is not None:
            self._copy_history(Path(continue_from), until, events)

    def _write_line(self, line: bytes) -> int:
        offset = self._metrics.tell()
        self._metrics.write(line)
        self._metrics.flush()
        return offset

    def _copy_history(self, old: Path, until: int | None = None, events: list[dict] | None = None) -> None:
        """Copy an old run's rows (cells as written, matched by column name; up to step ``until`` if given) and
        events (``events`` instead, if given)."""
        with open(old / "metrics.csv", newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            for values in reader:
                cells = dict(zip(header, values, strict=False))
                if until is not None and float(cells.get("step") or 0) > until:
                    continue
                self._write_row([cells.get(c, "") for c in self.columns])
        if events is not None:
            for event in events:
                self.event(event)
        elif (old / "events.jsonl").exists():
            for event in read_events(old / "events.jsonl"):
                self.event(event)

    def _cells(self, row: dict) -> list[str]:
        unknown = set(row) - set(self.columns)
        if unknown:
            raise ValueError(f"metrics row has columns not in the header: {sorted(unknown)}")
        return [format_cell(row.get(c)) for c in self.columns]

    def _write_row(self, cells: list[str]) -> None:
        self._last = (self._write_line(csv_line(cells)), cells)
        self._tail = [*self._tail, self._last] if self._tail and self._tail[0][1][0] == cells[0] else [self._last]

    def row(self, row: dict) -> None:
        """Append one metrics row (keys not in the header are an error: the header is fixed); flushed at once."""
        self._write_row(self._cells(row))

    def _closing(self, row: dict) -> tuple[int | None, list[str]]:
        """What ``final_row(row)`` writes: (the offset of the line it replaces or None, its cells). It replaces
        the last row when that has the same step, keeping that row's values where the final row has none
        (e.g. the losses of an opened run)."""
        cells = self._cells(row)
        if self._last is not None and self._last[1][0] == cells[0]:
            offset, old = self._last
            return offset, [new if new != "" else was for new, was in zip(cells, old, strict=True)]
        return None, cells

    def final_row(self, row: dict) -> None:
        """The run's last row, carrying every metric; replaces the last row if it has the same step."""
        offset, cells = self._closing(row)
        if offset is not None:
            self._metrics.truncate(offset)
            self._metrics.seek(offset)
        self._write_row(cells)

    def final_rows(self, rows: list[dict]) -> None:
        """A seed ensemble's last rows, one per member (``SEED_COLUMN``): they replace the rows of the last step
        written when there are as many (keeping those rows' values where a final row has none), as ``final_row``."""
        cells = [self._cells(row) for row in rows]
        tail = self._tail
        if len(tail) == len(cells) and tail[0][1][0] == cells[0][0]:
            self._metrics.truncate(tail[0][0])
            self._metrics.seek(tail[0][0])
            cells = [[new if new != "" else was for new, was in zip(row, old, strict=True)]
                     for row, (_, old) in zip(cells, tail, strict=True)]
        self._tail = []
        for row in cells:
            self._write_row(row)

    def event(self, event: dict) -> None:
        """Append one event; flushed at once. A live ``data.path`` change first copies its points file into the
        folder (``_keep_event_data``)."""
        if event.get("what") == DATA_EVENT:
            event = self._keep_event_data(event)
        self._events.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._events.flush()

    def _keep_event_data(self, event: dict) -> dict:
        """The event of a live ``data.path`` change naming the folder's copies: its file copied byte for byte as
        ``data-<step>.npy`` (or .csv; ``-2``, ``-3``… for another file at the same step), ``new`` that name and
        ``old`` the copy trained on before. Names, not paths: ``read_events`` finds them beside events.jsonl."""
        source = Path(str(event.get("new"))).expanduser()
        try:
            data = source.read_bytes()
        except OSError as err:
            raise ConfigError(f"data file '{event.get('new')}': cannot copy it into the run folder "
                              f"'{self.folder}': {err.strerror or err}") from None
        suffix = ".csv" if source.suffix.lower() == ".csv" else ".npy"
        name, n = f"data-{event['step']}{suffix}", 1
        while (self.folder / name).exists() and (self.folder / name).read_bytes() != data:
            n += 1
            name = f"data-{event['step']}-{n}{suffix}"
        if not (self.folder / name).exists():
            atomic_write_bytes(self.folder / name, data)
        old, self._data = self._data, name
        return {**event, "old": old if old is not None else event.get("old"), "new": name}

    def samples(self, samples: np.ndarray) -> None:
        """Save the final generated samples."""
        write_samples(self.folder, samples)

    def weights(self, tensors: dict[str, np.ndarray]) -> None:
        """Save named weight arrays (``G/...``, ``D/...``) as a plain .npz."""
        write_weights(self.folder, tensors)

    def sync(self) -> None:
        """Flush the metrics and events files and sync them to the disk."""
        for f in (self._metrics, self._events):
            if not f.closed:
                f.flush()
                os.fsync(f.fileno())

    def close(self) -> None:
        """Sync and close the files."""
        if self._metrics.closed:
            return
        try:
            self.sync()
        finally:
            self._metrics.close()
            self._events.close()

    def save_to(self, dest: str | Path, final_row: dict, samples: np.ndarray, weights: dict[str, np.ndarray]) -> Path:
        """Write a complete run folder at ``dest`` without ending this one: the config, events and rows
        recorded so far, then ``final_row`` (as ``final_row`` would), the samples and the weights.

        The same files, byte for byte, as a ``gan-studio run`` ending at this step. Copies stream (no
        history in memory). Refuses the recording folder itself and a folder holding other files.

        Atomic: the files are written and synced in a temporary folder next to ``dest``, which is renamed to
        ``dest`` at the end (an existing ``dest``, empty or a run folder, is moved aside first and removed after),
        so ``dest`` is never a half-written run. Where no folder can be made next to ``dest`` (a folder the
        person may write into, in a parent they may not), each file is written atomically in ``dest`` instead.
        """
        dest = Path(dest)
        if dest.exists() and dest.resolve() == self.folder.resolve():
            raise ConfigError(f"'{dest}' is the folder this run is being recorded in; choose another")
        if dest.is_dir():
            others = sorted(p.name for p in dest.iterdir()
                            if p.name not in RUN_FILES and not is_data_copy(p.name) and not p.name.endswith(".tmp"))
            if others:
                raise ConfigError(f"'{dest}' already holds other files ({', '.join(others[:3])}"
                                  f"{', …' if len(others) > 3 else ''}); choose an empty folder or a run folder")
        elif dest.exists():
            raise ConfigError(f"'{dest}' is a file; choose a folder")
        self.sync()
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.saving-", dir=dest.parent))
        except OSError:
            work = None
        target = work if work is not None else dest
        try:
            target.mkdir(parents=True, exist_ok=True)
            self._write_copy(target, final_row, samples, weights, dest)
            if work is not None:
                aside = None
                if dest.exists():
                    aside = dest.with_name(f".{dest.name}.replaced-{os.getpid()}")
                    os.replace(dest, aside)
                os.replace(work, dest)
                work = None
                if aside is not None:
                    shutil.rmtree(aside, ignore_errors=True)
        finally:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
        return dest

    def _write_copy(self, target: Path, final_row: dict, samples: np.ndarray, weights: dict[str, np.ndarray],
                    home: Path) -> None:
        """The run's files in ``target`` (renamed to ``home`` afterwards), each written atomically and synced."""
        offset, cells = self._closing(final_row)
        config_text = (self.folder / "config.toml").read_bytes()
        if self.cfg.data.name == "file":  # the copy's config.toml names the copy's own points file
            config_text = C.dumps(keep_data(target, self.cfg, home)).encode()
        atomic_write_bytes(target / "config.toml", config_text)
        for file in sorted(self.folder.iterdir()):  # the points of live data.path changes, named by events.jsonl
            if is_data_copy(file.name) and file.name not in DATA_COPIES:
                atomic_write_bytes(target / file.name, file.read_bytes())
        for name in ("events.jsonl", "metrics.csv"):
            tmp = target / (name + ".tmp")
            shutil.copyfile(self.folder / name, tmp)
            with open(tmp, "r+b") as f:
                if name == "metrics.csv":
                    if offset is not None:
                        f.truncate(offset)
                    f.seek(0, os.SEEK_END)
                    f.write(csv_line(cells))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target / name)
        write_samples(target, samples)
        write_weights(target, weights)


def write_samples(folder: Path, samples: np.ndarray) -> None:
    """``samples.npy``: float32 samples, no pickle."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(samples, dtype=np.float32), allow_pickle=False)
    atomic_write_bytes(Path(folder) / "samples.npy", buf.getvalue())


def write_weights(folder: Path, tensors: dict[str, np.ndarray], sync: bool = True) -> None:
    """``weights.npz``: named arrays (``G/...``, ``D/...``), no pickle."""
    buf = io.BytesIO()
    np.savez(buf, **tensors)
    atomic_write_bytes(Path(folder) / "weights.npz", buf.getvalue(), sync)


CHECKPOINT = "checkpoint.json"  # in a recording: {"step": S}, the step of its weights.npz (a logged step)


def write_checkpoint(folder: Path, step: int, tensors: dict[str, np.ndarray]) -> None:
    """A recording's weights at logged step ``step`` (weights.npz, then checkpoint.json naming the step), so a
    worker that dies can be restarted from there (``resume_folder``). Not synced: a checkpoint is a safety net
    written every few seconds, and a lost one costs only those seconds."""
    write_weights(folder, tensors, sync=False)
    atomic_write_bytes(Path(folder) / CHECKPOINT, json.dumps({"step": int(step)}).encode(), sync=False)


def resume_folder(recording: str | Path) -> tuple[Path, int] | None:
    """A run folder to reopen a recording whose worker died: ``<recording>-resumed-<n>`` beside it, with the
    config, the metrics rows and events up to the checkpoint's step and the checkpoint's weights. None when the
    recording has no checkpoint yet; a ConfigError when it cannot be read or written."""
    recording = Path(recording)
    if not (recording / CHECKPOINT).is_file() or not (recording / "weights.npz").is_file():
        return None
    try:
        step = json.loads((recording / CHECKPOINT).read_text(encoding="utf-8"))["step"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{recording / CHECKPOINT}: unreadable ({err})") from None
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= MAX_STEP:
        raise ConfigError(f"{recording / CHECKPOINT}: 'step' must be a whole number, got {step!r}")
    n = 1
    while (dest := recording.with_name(f"{recording.name}-resumed-{n}")).exists():
        n += 1
    work = dest.with_name(dest.name + ".tmp")
    try:
        work.mkdir(parents=True)
        shutil.copyfile(recording / "config.toml", work / "config.toml")
        shutil.copyfile(recording / "weights.npz", work / "weights.npz")
        copy_data_files(recording, work)  # config.toml's and the events' points files, named beside them
        with open(recording / "metrics.csv", newline="", encoding="utf-8") as f, \
                open(work / "metrics.csv", "wb") as out:
            reader = csv.reader(f)
            out.write(csv_line(next(reader)))
            for values in reader:
                if values and values[0] and float(values[0]) <= step:
                    out.write(csv_line(values))
        events_file = recording / "events.jsonl"
        events = read_events(events_file) if events_file.exists() else []
        # the lines as written (a data.path event names its copy relative to the folder; read_events resolved it)
        lines = [line for line in events_file.read_text(encoding="utf-8").splitlines() if line.strip()] \
            if events_file.exists() else []
        (work / "events.jsonl").write_text("".join(line + "\n" for line, e in zip(lines, events, strict=True)
                                                   if e["step"] <= step), encoding="utf-8")
        os.replace(work, dest)
    except (OSError, ValueError, StopIteration, csv.Error) as err:
        shutil.rmtree(work, ignore_errors=True)
        raise ConfigError(f"cannot make a folder to resume '{recording}' from: {err}") from None
    return dest, step


def read_events(path: str | Path) -> list[dict]:
    """Events of a run folder's ``events.jsonl``; an unreadable file or a malformed line is a ConfigError naming it.

    Each event must have a whole-number ``step`` from 0 to ``MAX_STEP`` and a ``what`` that is a text; whether
    the change itself is allowed is ``schedule.parse_event``'s check (``check_run_folder`` makes it)."""
    events = []
    for i, line in enumerate(C.read_text(path, "events file").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as err:
            raise ConfigError(f"{path}:{i}: not a JSON event: {getattr(err, 'msg', 'nested too deeply')}") from None
        if not isinstance(event, dict) or "step" not in event or "what" not in event:
            raise ConfigError(f"{path}:{i}: an event needs 'step' and 'what'")
        step, what = event["step"], event["what"]
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= MAX_STEP:
            raise ConfigError(f"{path}:{i}: 'step' must be a whole number from 0 to {MAX_STEP:,}, got "
                              f"{json.dumps(step)[:40]}")
        if not isinstance(what, str) or not what:
            raise ConfigError(f"{path}:{i}: 'what' must be a setting or an action as text, got {json.dumps(what)[:40]}")
        if what == DATA_EVENT:  # the folder's copies are named relative to it: found wherever the folder now is
            folder = os.path.abspath(Path(path).parent)
            event = {**event, **{key: os.path.join(folder, value) for key in ("old", "new")
                                 if isinstance(value := event.get(key), str) and value and not os.path.isabs(value)}}
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
            if len(set(header)) != len(header):
                raise ConfigError(f"{name}: the header names a column twice")
            previous = 0.0
            for values in reader:
                if len(values) != len(header):
                    raise ConfigError(f"{name}:{reader.line_num}: {len(values)} cells, the header has {len(header)}")
                try:
                    row = {k: (float(v) if v != "" else None) for k, v in zip(header, values, strict=True)}
                except ValueError as err:
                    raise ConfigError(f"{name}:{reader.line_num}: {err}") from None
                step = row["step"]
                if step is None or not math.isfinite(step) or step != int(step) or not 0 <= step <= MAX_STEP:
                    raise ConfigError(f"{name}:{reader.line_num}: step must be a whole number from 0 to "
                                      f"{MAX_STEP:,}, got {values[0]!r}")
                if step < previous:
                    raise ConfigError(f"{name}:{reader.line_num}: step {int(step)} comes after step {int(previous)}; "
                                      "steps must not decrease")
                previous = step
                yield row
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text") from None
    except csv.Error as err:
        raise ConfigError(f"{name}: malformed CSV: {err}") from None
    except OSError as err:
        raise ConfigError(f"cannot read '{name}': {err.strerror or err}") from None


def check_run_folder(folder: str | Path) -> tuple[Config, int]:
    """The start config and last step of a saved run folder, or a ConfigError naming the file and the problem.

    Checks what can be checked without torch: config.toml loads, metrics.csv is well formed (whole, finite,
    non-decreasing steps), events.jsonl (if present) holds changes ``--at`` would accept, weights.npz holds
    finite numeric arrays. Whether the weights fit the config is the trainer's
    check (``Trainer.load_weights``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"'{folder}' is not a folder")
    missing = [name for name in ("config.toml", "metrics.csv", "weights.npz") if not (folder / name).is_file()]
    if missing:
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        raise ConfigError(f"'{folder}' is not a run folder: {names} {'is' if len(missing) == 1 else 'are'} missing")
    cfg = load_config(folder / "config.toml")
    load_weights(folder / "weights.npz")  # readable, numeric and finite; whether they fit is the trainer's check
    last = 0
    for row in iter_metrics(folder / "metrics.csv"):
        last = int(row["step"])
    if (folder / "events.jsonl").exists():
        for i, event in enumerate(read_events(folder / "events.jsonl"), start=1):
            try:
                parse_event(event)
            except ConfigError as err:
                raise ConfigError(f"{folder / 'events.jsonl'}: event {i}: {err}") from None
    return cfg, last


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Named arrays from ``weights.npz`` (no pickle, so no code runs), each checked before it is trusted: a name
    ``G/...`` or ``D/...``, a plain numeric dtype, at most ``MAX_WEIGHT_DIMS`` dimensions, finite values. Arrays
    come back contiguous in the machine's byte order (what torch takes without copying surprises)."""
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not a .npz of named arrays")
        with data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, KeyError, MemoryError, zipfile.BadZipFile, zlib.error,
            NotImplementedError) as err:
        reason = "not a .npz file" if "pickle" in str(err) else str(err) or type(err).__name__
        raise ConfigError(f"cannot read weights '{path}': not a readable .npz of arrays ({reason})") from None
    out = {}
    for key, value in arrays.items():
        where = f"weights '{path}': {key}"
        if not key.startswith(("G/", "D/")):
            raise ConfigError(f"{where}: names must start with G/ or D/")
        if value.dtype.kind not in "fiub" or value.dtype.fields is not None:
            raise ConfigError(f"{where}: has dtype {value.dtype}; weights are numbers (float32)")
        if value.ndim > MAX_WEIGHT_DIMS:
            raise ConfigError(f"{where}: has {value.ndim} dimensions; weights have at most {MAX_WEIGHT_DIMS}")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise ConfigError(f"{where}: holds NaN or Inf values")
        out[key] = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("="))
    if not out:
        raise ConfigError(f"weights '{path}': holds no arrays")
    return out
