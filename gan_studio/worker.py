"""Training in a separate process: commands in through one queue, frames out through another.

Why a process (measured, see DESIGN.md): on 2 cores a training *thread* in the GUI process ran at ~57 % of
headless speed (GIL), a spawned process at ~83–92 %, and a crash or CUDA error there cannot take the window down.

The protocol (no Qt and no torch here; the engine is imported inside the child process only):

* **Commands** (GUI → worker) are tuples on an unbounded queue, never dropped and applied in order, always
  *between* two training steps::

      ("play",)  ("pause",)  ("step", n)  ("apply", what, value)  ("speed", steps_per_frame, fps)
      ("grid", n)  ("frame",)  ("restart", config_dict)  ("save", folder)  ("open", folder)  ("quit",)

  ``what``/``value`` go to ``Trainer.apply`` unchanged: a dotted config key (``"loss.name"``, ...) or an action
  (``"step_d"``, ``"step_g"``, ``"reset"``, ``"reseed"``). A model-shape, data-set or device change needs a new
  Trainer: send ``("restart", config_dict)``.
* **Packets** (worker → GUI) on a queue of size 2: the newest Frame plus the worker's state. When the queue is
  full the packet is dropped, but its metrics rows, events and messages stay pending and ride on the next
  packet that gets through, so the window's history never misses a row.
* While playing, a frame is delivered every ``1/fps`` seconds. Frames are planned, not just made when
  late: the worker knows the typical cost of a step, of a measurement and of each kind of frame, and
  starts a frame early when the next step would deliver it late (a step that ends with a measurement costs
  ~5 steps, a probed frame ~3), so the interval between frames stays near ``1/fps``; during a measurement
  it delivers frames between its parts (``Trainer.on_measure_pause``). Probes (D on a grid, densities,
  the latent grid) cost ~2 training steps per frame on the default preset, so only some frames carry them
  ("probed"): as many as keep their cost under ``PROBE_SHARE`` of the worker's time (at most
  ``PROBE_FPS`` per second), on at most a ``PLAYING_GRID``² grid; the others carry samples and push arrows
  only (a fifth of the cost) and are themselves kept under ``CHEAP_SHARE``. The views keep the last probes
  until new ones arrive. While paused, every frame is probed on the full grid and one follows every command.
* **Recording**: every run the worker starts is written as it goes into a run folder (``runs.RunWriter``)
  under ``runs.recordings_root()``, named ``<timestamp>-<pid>-<generation>``: metrics rows and events are
  appended and flushed, so memory stays flat and a dead window does not take the record with it.
  ``("save", folder)`` copies that record plus a final full metrics row, samples and weights of the current
  state to ``folder``: the same files as ``gan-studio run`` ending at this step. ``("open", folder)`` builds
  a trainer on the folder's config.toml, replays its events' setting changes, loads weights.npz, sets the
  step counter to the last step of metrics.csv and records on from there; the optimizers start fresh. A
  folder that cannot be opened is a message and the current run goes on. A reset keeps recording into the
  same folder (its event replays in ``gan-studio run``); a restart or an open starts a new one.
* Any exception in training (``NonFiniteError``, CUDA out of memory, a bug) pauses the run, keeps the
  trainer's last good state, and is reported in ``Packet.error``; the worker keeps serving commands.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import multiprocessing as mp
import os
import queue
import shlex
import signal
import statistics
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gan_studio import config, runs
from gan_studio.schedule import LIVE_KEYS, Schedule

ENGINE = "gan_studio.engine:Trainer"  # "module:attribute" of the trainer class the worker builds
FPS = 32.0  # frames per second asked for while playing (the window paints each one as it arrives)
PROBE_FPS = 10.0  # at most this many probed frames per second
PROBE_SHARE = 0.05  # probed frames take at most this share of the worker's time ...
CHEAP_SHARE = 0.10  # ... and sample-only frames at most this share
PROBE_MAX_INTERVAL_S = 1.0
PLAYING_GRID = 64  # while playing, surfaces are probed on at most a 64² grid: 40 % of the cost of 100², so
# within PROBE_SHARE the surface moves ~2× as often (a paused frame, a render or a save uses the full grid)
STOP_TIMEOUT_S = 2.0  # closing the window ends the worker within this time

# Speed choices for the GUI: (label, steps per frame (0 = as fast as possible), frames per second).
SPEEDS: list[tuple[str, int, float]] = [
    ("full speed", 0, FPS),
    ("100 steps / frame", 100, FPS),
    ("10 steps / frame", 10, FPS),
    ("1 step / frame", 1, FPS),
    ("slow motion: 1 step / ¼ s", 1, 4.0),
    ("slow motion: 1 step / s", 1, 1.0),
]


@dataclass
class Packet:
    """What the worker sends to the window: the newest Frame (or None) and the worker's state."""

    frame: Any  # gan_studio.frames.Frame | None (None when no trainer could be built)
    rows: list[dict] = field(default_factory=list)  # metrics rows since the last delivered packet
    events: list[dict] = field(default_factory=list)  # events {step, what, old, new} since then
    messages: list[str] = field(default_factory=list)  # refusals and notes for the status bar
    error: str = ""  # set while the run is paused by a training error
    playing: bool = False
    step: int = 0
    steps_per_s: float = 0.0  # training steps per second over the last ~2 s
    cfg: dict | None = None  # the trainer's current config (config.to_dict)
    generation: int = 0  # +1 at every restart / reset: the window starts a fresh history
    device: str = ""
    devices: list[str] = field(default_factory=list)  # devices this machine offers
    frames_made: int = 0  # frames made so far by this worker ...
    frames_dropped: int = 0  # ... and how many of them the full queue turned away (the bench reports both)
    probed: bool = True  # the frame carries probes (surface / curves / latent grid); else keep the last ones
    recording: str = ""  # the run folder this run is being written to ("" when it cannot be recorded)
    opened: str = ""  # the saved run folder this generation continues (its metrics and events are its past)


def _median(values) -> float:
    """Median of recent costs in seconds (0 before the first); robust to one slow outlier, unlike the mean."""
    return statistics.median(values) if values else 0.0


def describe_error(err: BaseException, device: str = "") -> str:
    """One line for the window: what went wrong in training and that the run is paused."""
    name = type(err).__name__
    text = str(err).strip().splitlines()[0] if str(err).strip() else name
    if name == "OutOfMemoryError" or "out of memory" in text.lower():
        return (f"out of memory on {device or 'the device'}: training paused with the last good state; "
                "lower train.batch_size or the model size, or switch to the CPU")
    if name in ("NonFiniteError", "SyntheticError") or isinstance(err, config.ConfigError):
        return f"{text} — training paused with the last good state"
    return f"training stopped by {name}: {text} — paused with the last good state"


def one_torch_thread() -> None:
    """Give torch (if this process has loaded it) one thread: two oversubscribe 2 cores (DESIGN.md)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _load(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _devices() -> list[str]:
    torch = sys.modules.get("torch")
    out = ["auto", "cpu"]
    try:
        if torch is not None and torch.cuda.is_available():
            out.append("cuda")
        if torch is not None and torch.backends.mps.is_available():
            out.append("mps")
    except Exception:  # a broken driver must not stop the worker
        pass
    return out


class Session:
    """The worker's loop around one Trainer (replaced on restart). Runs in the child process."""

    def __init__(self, commands, packets, cfg, at_schedule=(), trainer: str = ENGINE, fps: float = FPS,
                 grid: int | None = None, playing: bool = False, freeze: bool = True, record_dir=None,
                 open_first: str | None = None):
        self.commands, self.packets = commands, packets
        self.open_first = open_first  # a saved run folder the worker opens instead of building cfg
        self.record_dir = Path(record_dir) if record_dir else runs.recordings_root()
        self.recorder: runs.RunWriter | None = None
        self.opened = ""  # the folder the current generation was opened from ("" after a reset or restart)
        self.resumed: tuple[str, int] | None = None  # (folder, step) this recording continues, for the save note
        self.freeze = freeze  # gc.freeze after set-up (the worker process; tests running a Session in a thread: no)
        self.factory = _load(trainer) if isinstance(trainer, str) else trainer
        self.cfg0 = cfg if isinstance(cfg, config.Config) else config.from_dict(cfg or {}, "worker config")
        self.schedule = Schedule(at_schedule)
        self.trainer = None
        self.playing = playing
        self.steps_per_frame, self.fps = 0, float(fps)
        self.grid = grid
        self.quitting = False
        self.generation = 0
        self.error = ""
        self.rows: list[dict] = []
        self.events: list[dict] = []
        self.messages: list[str] = []
        self.unsent: Packet | None = None
        self.frames_made = self.frames_dropped = 0
        self.frame_seconds = 0.0  # time spent making frames, in all
        # seconds per probed / sample-only frame, recent ones: pacing uses their median, because a mean let one
        # frame slowed by the window's process (2 cores) stretch the next interval to 60 ms and more
        self.costs = {True: deque(maxlen=15), False: deque(maxlen=15)}
        self.step_costs: deque = deque(maxlen=31)  # seconds per training step (without measurement), recent ones
        self.measure_costs: deque = deque(maxlen=7)  # seconds per measurement at the end of a step, recent ones
        self.next_frame_t = 0.0  # when the next frame is due (delivered) while playing
        self.next_probe_t = 0.0
        self.can_skip_probes = False  # Trainer.frame accepts probe=False
        self.want_frame = True
        self._cfg_dict: tuple = (None, None)  # (config object, its dict)
        self.rate: deque = deque(maxlen=64)
        self.devices = ["auto", "cpu"]
        parent = mp.parent_process()
        self.parent_alive = parent.is_alive if parent is not None else (lambda: True)
        self.parent_checked = time.monotonic()

    # -- set-up ---------------------------------------------------------------------------------------------
    def build(self, cfg: config.Config) -> bool:
        """Replace the trainer with a new one for ``cfg``; on failure keep the old one and report why."""
        if self.freeze:
            gc.unfreeze()
        try:
            trainer = self.factory(cfg)
        except Exception as err:  # bad data file, unavailable device, ...
            text = f"could not start the run: {self.start_failed(err)}"
            self.messages.append(text)
            if self.trainer is None:
                self.error = text
            return False
        self.install(trainer, trainer.cfg)
        return True

    def start_failed(self, err: Exception) -> str:
        """After a trainer could not be built or opened: the reason as text (a ConfigError's message, else the
        exception's name and text, with its traceback on stderr), and the old trainer's objects frozen again."""
        if self.freeze:
            gc.freeze()
        if isinstance(err, config.ConfigError):
            return str(err)
        traceback.print_exc()
        return f"{type(err).__name__}: {err}"

    def install(self, trainer, start_cfg: config.Config, opened: str = "", resumed_at: int = 0) -> None:
        """Make ``trainer`` the current run (a new generation) and start recording it.

        ``start_cfg``: the config its record starts from (config.toml); ``opened``: the saved folder it
        continues, whose rows and events its record copies first.
        """
        self.trainer = trainer
        trainer.on_measure_pause = self.frame_if_due
        self.opened = opened
        self.resumed = (opened, resumed_at) if opened else None
        self.schedule = self.schedule if not opened else Schedule()  # an opened run has its own past
        try:
            self.can_skip_probes = "probe" in inspect.signature(trainer.frame).parameters
        except (TypeError, ValueError):
            self.can_skip_probes = False
        self.generation += 1
        self.rows, self.events, self.error = [], [], ""
        self.rate.clear()
        self.costs = {True: deque(maxlen=15), False: deque(maxlen=15)}
        self.step_costs.clear()
        self.measure_costs.clear()
        self.devices = _devices()
        self.start_recording(start_cfg, opened or None)
        if self.freeze:
            gc.collect()  # the old trainer goes here too
            gc.freeze()  # full collections of torch's ~300k objects caused 70–160 ms hiccups (DESIGN.md)

    # -- recording, save, open ------------------------------------------------------------------------------
    def start_recording(self, start_cfg: config.Config, continue_from: str | None = None) -> None:
        """Close the current record and start the run folder of the current trainer."""
        self.stop_recording()
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{self.generation}"
        folder, n = self.record_dir / name, 1
        while folder.exists():  # never write over another record
            n += 1
            folder = self.record_dir / f"{name}-{n}"
        try:
            self.recorder = runs.RunWriter(folder, start_cfg, list(self.trainer.columns()), continue_from)
        except (OSError, ValueError, AttributeError, config.ConfigError) as err:
            self.recorder = None
            self.messages.append(f"could not record this run in '{folder}': {getattr(err, 'strerror', None) or err}; "
                                 "it trains, but cannot be saved")

    def stop_recording(self) -> None:
        if self.recorder is not None:
            try:
                self.recorder.close()
            except OSError:
                pass
            self.recorder = None

    def record(self, row: dict | None = None, event: dict | None = None) -> None:
        """Append a row or an event to the record; a write error ends recording with a message."""
        if self.recorder is None:
            return
        try:
            if row is not None:
                self.recorder.row(row)
            if event is not None:
                self.recorder.event(event)
        except (OSError, ValueError) as err:
            self.messages.append(f"could not record the run any more ({getattr(err, 'strerror', None) or err}); "
                                 "it trains, but cannot be saved")
            self.stop_recording()

    def save(self, folder: str) -> None:
        """Write a complete run folder of the run so far to ``folder`` and say how to reproduce it."""
        t = self.trainer
        if self.recorder is None:
            self.messages.append(f"could not save the run to '{folder}': this run is not being recorded")
            return
        try:
            final, samples, weights = runs.final_state(t)
            out = self.recorder.save_to(folder, final, samples, weights)
        except (OSError, ValueError, config.ConfigError) as err:
            self.messages.append(f"could not save the run to '{folder}': {getattr(err, 'strerror', None) or err}")
            return
        except Exception as err:  # a bug or a device error while measuring: say so, keep training
            traceback.print_exc()
            self.messages.append(f"could not save the run to '{folder}': {type(err).__name__}: {err}")
            return
        n = t.step_count
        q = shlex.quote
        text = (f"saved run to {out} (step {n:,}); reproduce with: gan-studio run "
                f"--config {q(str(out / 'config.toml'))} --events {q(str(out / 'events.jsonl'))} --steps {n} --out DIR")
        if self.resumed is not None and n > self.resumed[1]:
            text += (f" — but this run was opened from {self.resumed[0]} at step {self.resumed[1]:,} with a fresh "
                     f"optimizer, so the command reproduces it only up to step {self.resumed[1]:,}")
        self.messages.append(text)

    def open(self, folder: str) -> bool:
        """Continue a saved run: its config (with its events' setting changes), weights and step counter.

        Anything that does not fit is a message naming the file; the current run goes on untouched. Returns
        whether the run was opened.
        """
        where = Path(folder)
        try:
            start_cfg, last = runs.check_run_folder(where)
            events = runs.read_events(where / "events.jsonl") if (where / "events.jsonl").exists() else []
            arrays = runs.load_weights(where / "weights.npz")
        except config.ConfigError as err:  # each message names the folder or the file
            self.messages.append(f"could not open the run: {err}; "
                                 f"{'the current run goes on' if self.trainer else 'starting from its config'}")
            return False
        if self.freeze:
            gc.unfreeze()
        trainer, stage = None, "config.toml"
        try:
            trainer = self.factory(start_cfg)
            stage = "events.jsonl"
            for event in events:  # the settings the run had when it was saved (actions are not replayed)
                what = event["what"]
                if what in LIVE_KEYS or what == "reseed":
                    trainer.apply(what, event.get("new"))
            trainer.events = list(events)
            stage = "weights.npz"
            trainer.load_weights(arrays)
        except Exception as err:  # a data file that moved, a device that is not here, weights of another model
            del trainer
            self.messages.append(f"could not open the run in '{folder}': {stage}: {self.start_failed(err)}; "
                                 f"{'the current run goes on' if self.trainer else 'starting from its config'}")
            return False
        trainer.step_count = last
        self.install(trainer, start_cfg, opened=str(folder), resumed_at=last)
        self.messages.append(f"opened the run in {folder} at step {last:,}: weights restored; the optimizer state "
                             "starts fresh (it is not saved), so the next steps differ from the original run's")
        return True

    # -- the loop -------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Serve commands and train until ``("quit",)`` arrives or the parent process is gone."""
        try:
            self._run()
        finally:
            self.stop_recording()

    def _run(self) -> None:
        runs.prune_recordings(self.record_dir)  # bounded disk: older recordings go as new ones are made
        if not (self.open_first and self.open(self.open_first)):  # a saved run to continue, else cfg0
            self.build(self.cfg0)
        self.run_schedule()
        while not self.quitting:
            if self.playing and self.trainer is not None:
                self.play_until_frame()
            else:
                self.idle()
            if self.quitting:
                break
            if self.want_frame:
                self.emit()
            now = time.monotonic()
            if now - self.parent_checked > 0.5:
                self.parent_checked = now
                if not self.parent_alive():
                    break

    def idle(self) -> None:
        """Paused: wait for a command (a frame follows every command), retrying an undelivered packet."""
        try:
            cmd = self.commands.get(timeout=0.1 if self.unsent is not None else 0.5)
        except queue.Empty:
            if self.unsent is not None:
                self.deliver(self.unsent)
            return
        self.handle(cmd)
        self.poll()
        self.want_frame = True

    def play_until_frame(self) -> None:
        """Playing: train (polling commands between steps) until the next frame is due."""
        n = 0
        while not self.quitting and self.playing and self.trainer is not None:
            self.poll()
            if self.quitting or not self.playing:
                break
            now = time.monotonic()
            if self.steps_per_frame and n >= self.steps_per_frame:
                if now >= self.next_frame_t:
                    break
                self.wait_command(self.next_frame_t - now)
                continue
            if not self.steps_per_frame and n > 0 and self.frame_due(now):
                break
            if not self.train_step():
                break
            n += 1
        self.want_frame = True

    def frame_due(self, now: float, before_step: bool = True) -> bool:
        """Full speed: make the frame now, or train one more step first?

        Now, when the frame (at its typical cost) would otherwise be delivered later than due: after a normal
        step it is made when that lands closer to the due time than one more step would; before a step that
        ends with a measurement it is made first, whatever the time, unless that measurement fits before it.
        ``before_step=False``: asked in the middle of a step's measurement (``frame_if_due``).
        """
        frame = _median(self.costs[self.next_frame_probed()])
        step = _median(self.step_costs)
        extra = _median(self.measure_costs) if before_step and self.next_step_measures() else 0.0
        return now + frame + step / 2 + extra >= self.next_frame_t

    def frame_if_due(self) -> None:
        """Called by the trainer between the parts of a measurement: deliver a frame now if one is due, so a
        long measurement does not stretch the interval between frames (the frame shows the measured step)."""
        if self.playing and not self.steps_per_frame and self.frame_due(time.monotonic(), before_step=False):
            self.emit()

    def next_step_measures(self) -> bool:
        """Whether the trainer's next step ends with a measurement (False for trainers that cannot say)."""
        ask = getattr(self.trainer, "next_step_measures", None)
        return bool(ask()) if ask is not None else False

    def next_frame_probed(self) -> bool:
        """Whether the next frame carries probes: always, unless playing and probes are not due by its due time.

        Decided by the due time, not the clock: a frame first planned as cheap must not turn into a probed
        one a step later, when it is too late to start it early.
        """
        return not (self.playing and self.can_skip_probes and self.next_frame_t < self.next_probe_t)

    def wait_command(self, timeout: float) -> None:
        try:
            cmd = self.commands.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return
        self.handle(cmd)

    def poll(self) -> None:
        """Apply every command already waiting, in order."""
        while not self.quitting:
            try:
                cmd = self.commands.get_nowait()
            except queue.Empty:
                return
            self.handle(cmd)

    def train_step(self) -> bool:
        """One training step; an exception pauses the run. Returns whether the step succeeded."""
        measures = self.next_step_measures()
        measured_before = getattr(self.trainer, "measure_seconds", 0.0)
        framed_before = self.frame_seconds
        t0 = time.monotonic()
        try:
            row = self.trainer.step()
        except Exception as err:
            self.fail(err)
            return False
        framed = self.frame_seconds - framed_before  # frames delivered during its measurement
        measured = getattr(self.trainer, "measure_seconds", 0.0) - measured_before - framed
        self.step_costs.append(time.monotonic() - t0 - measured - framed)
        if measures:
            self.measure_costs.append(measured)
        if row:
            self.rows.append(row)
            self.record(row=row)
        self.error = ""
        self.rate.append((time.monotonic(), self.trainer.step_count))
        self.run_schedule()
        return True

    def run_schedule(self) -> None:
        """Apply the ``--at`` changes whose step has been reached."""
        while self.trainer is not None and (due := self.schedule.pop_due(self.trainer.step_count)):
            for key, value in due:
                self.apply(key, value)

    def fail(self, err: BaseException) -> None:
        device = str(getattr(self.trainer, "device", ""))
        self.error = describe_error(err, device)
        self.messages.append(self.error)
        self.playing = False
        self.want_frame = True
        known = type(err).__name__ in ("NonFiniteError", "SyntheticError", "OutOfMemoryError")
        if not known:
            traceback.print_exc()
        torch = sys.modules.get("torch")
        if torch is not None and "cuda" in device:
            try:
                torch.cuda.empty_cache()
            except Exception:
                pass

    def apply(self, what: str, value=None) -> None:
        """``Trainer.apply``; a ConfigError is a refusal message, anything else pauses the run."""
        before = self.trainer.step_count
        try:
            event = self.trainer.apply(what, value)
        except config.ConfigError as err:
            self.messages.append(f"refused: {err}")
            return
        except Exception as err:
            self.fail(err)
            return
        recount = self.trainer.step_count < before  # a trainer whose reset restarts the step count
        if what == "reset" or recount:
            self.generation += 1  # a fresh run: the window clears its history
            self.rows, self.events, self.schedule, self.error = [], [], Schedule(), ""
            self.opened = ""
            self.rate.clear()
        elif event:
            self.events.append(dict(event))
        if recount:
            self.start_recording(self.trainer.cfg)  # counting from 0 again: a new record
        elif event:
            self.record(event=dict(event))  # a reset that keeps the count stays in the record (and replays)

    def handle(self, cmd: tuple) -> None:
        """Apply one command between steps."""
        name = cmd[0]
        if name == "quit":
            self.quitting = True
        elif name == "play":
            self.playing = True
            self.next_frame_t = 0.0
        elif name == "pause":
            self.playing = False
        elif name == "speed":
            self.steps_per_frame, self.fps = int(cmd[1]), float(cmd[2])
            self.next_frame_t = 0.0
        elif name == "grid":
            self.grid = int(cmd[1])
        elif name == "frame":
            self.want_frame = True
        elif name == "restart":
            cfg = cmd[1]
            try:
                cfg = cfg if isinstance(cfg, config.Config) else config.from_dict(cfg, "restart")
            except config.ConfigError as err:
                self.messages.append(f"refused: {err}")
                return
            self.build(cfg)
        elif name == "open":
            self.open(str(cmd[1]))
        elif self.trainer is None:
            self.messages.append(f"ignored {name}: no run is loaded")
        elif name == "step":
            for _ in range(int(cmd[1]) if len(cmd) > 1 else 1):
                if not self.train_step():
                    break
        elif name == "apply":
            self.apply(cmd[1], cmd[2] if len(cmd) > 2 else None)
        elif name == "save":
            self.save(str(cmd[1]))
        else:
            self.messages.append(f"unknown command {name!r}")
        self.want_frame = True

    # -- output ---------------------------------------------------------------------------------------------
    def steps_per_s(self) -> float:
        if len(self.rate) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self.rate[0], self.rate[-1]
        if time.monotonic() - t1 > 1.0 or t1 <= t0:
            return 0.0
        return (s1 - s0) / (t1 - t0)

    def emit(self) -> None:
        """Make a frame and try to deliver it with everything pending."""
        self.want_frame = False
        frame = None
        t0 = time.monotonic()
        probed = self.next_frame_probed()
        if self.trainer is not None:
            kwargs = {} if self.grid is None else {"grid": self.grid}
            if not probed:
                kwargs["probe"] = False
            elif self.playing:
                kwargs["grid"] = self.playing_grid()
            try:
                frame = self.trainer.frame(**kwargs)
            except Exception as err:
                self.messages.append(f"could not draw the frame: {type(err).__name__}: {err}")
                traceback.print_exc()
        t1 = time.monotonic()
        cost = t1 - t0
        self.frame_seconds += cost
        self.costs[probed].append(cost)
        typical = {kind: _median(c) for kind, c in self.costs.items()}
        # pace frames so each kind stays under its share of the worker's time
        if probed:  # (at least one probed frame per PROBE_MAX_INTERVAL_S, even on a slow machine)
            self.next_probe_t = t0 + min(max(1.0 / PROBE_FPS, typical[True] / PROBE_SHARE), PROBE_MAX_INTERVAL_S)
        cheap = typical[False] if self.can_skip_probes and typical[False] else typical[True]
        share = CHEAP_SHARE if self.can_skip_probes else PROBE_SHARE
        self.next_frame_t = max(t1 + 1.0 / max(self.fps, 1e-3), t0 + cheap / share)
        t = self.trainer
        packet = Packet(frame=frame, rows=list(self.rows), events=list(self.events), messages=list(self.messages),
                        error=self.error, playing=self.playing, step=t.step_count if t else 0,
                        steps_per_s=self.steps_per_s(), cfg=self.cfg_dict(),
                        generation=self.generation, device=str(getattr(t, "device", "")), devices=self.devices,
                        probed=probed,
                        frames_made=self.frames_made + 1, frames_dropped=self.frames_dropped,
                        recording=str(self.recorder.folder) if self.recorder else "", opened=self.opened)
        self.frames_made += 1
        self.deliver(packet)

    def playing_grid(self) -> int:
        """The probe grid while playing: the configured one, at most PLAYING_GRID (paused frames get it all)."""
        grid = self.grid if self.grid is not None else self.trainer.cfg.metrics.grid
        return min(grid, PLAYING_GRID)

    def cfg_dict(self) -> dict | None:
        """The trainer's config as a dict, converted again only when it changed (every packet carries it)."""
        t = self.trainer
        if t is None:
            return None
        if self._cfg_dict[0] is not t.cfg:
            self._cfg_dict = (t.cfg, config.to_dict(t.cfg))
        return self._cfg_dict[1]

    def deliver(self, packet: Packet) -> None:
        try:
            self.packets.put_nowait(packet)
        except queue.Full:
            self.frames_dropped += 1
            self.unsent = packet  # rows/events/messages stay pending for the next packet
            return
        self.unsent = None
        del self.rows[: len(packet.rows)]
        del self.events[: len(packet.events)]
        del self.messages[: len(packet.messages)]


def worker_main(commands, packets, cfg, at_schedule=(), trainer: str = ENGINE, fps: float = FPS,
                grid: int | None = None, playing: bool = False, record_dir: str | None = None,
                open_first: str | None = None) -> None:
    """Entry point of the spawned process: one torch thread, then serve commands until quit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the window's business
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        if isinstance(trainer, str):
            importlib.import_module(trainer.partition(":")[0])  # the engine imports torch
        one_torch_thread()
        session = Session(commands, packets, cfg, at_schedule, trainer, fps, grid, playing, record_dir=record_dir,
                          open_first=open_first)
        session.run()
    except Exception as err:  # a bug in the worker itself: tell the window, then end
        traceback.print_exc()
        try:
            packets.put(Packet(frame=None, error=f"the training process failed: {type(err).__name__}: {err}"),
                        timeout=1.0)
        except Exception:
            pass
    packets.cancel_join_thread()  # exit now even if the window stopped reading


class WorkerHandle:
    """The GUI side of a worker process: start, send commands, read packets, stop within 2 s."""

    def __init__(self, cfg: config.Config, at_schedule=(), trainer: str = ENGINE, fps: float = FPS,
                 grid: int | None = None, playing: bool = False, record_dir: str | None = None,
                 open_first: str | None = None):
        """``open_first``: a saved run folder to continue (its config replaces ``cfg`` if it opens)."""
        ctx = mp.get_context("spawn")
        self.commands = ctx.Queue()
        self.packets = ctx.Queue(maxsize=2)
        self.process = ctx.Process(target=worker_main, name="gan-studio-trainer", daemon=True,
                                   args=(self.commands, self.packets, config.to_dict(cfg),
                                         list(Schedule(at_schedule).items), trainer, fps, grid, playing,
                                         None if record_dir is None else str(record_dir), open_first))
        self.started = False

    def start(self) -> None:
        """Spawn the process (it reaches its first step after ~2 s: importing torch)."""
        self.process.start()
        self.started = True

    @property
    def alive(self) -> bool:
        return self.started and self.process.is_alive()

    def send(self, *cmd) -> None:
        """Queue a command; commands are applied in order between steps."""
        if self.started:
            self.commands.put(tuple(cmd))

    def get(self, timeout: float = 0.05) -> Packet | None:
        """The next packet, or None after ``timeout`` seconds."""
        if not self.started:
            return None
        try:
            return self.packets.get(timeout=timeout)
        except (queue.Empty, OSError, EOFError, ValueError):
            return None

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Ask the worker to quit, drain its queue while waiting, terminate it after ``timeout``.

        Returns True when it ended by itself. Draining matters: a child blocked writing to a full pipe
        never exits.
        """
        if not self.started:
            return True
        deadline = time.monotonic() + timeout
        try:
            self.commands.put(("quit",))
        except (ValueError, OSError):
            pass
        while self.process.is_alive() and time.monotonic() < deadline:
            self._drain()
            self.process.join(0.02)
        clean = not self.process.is_alive()
        if not clean:
            self.process.terminate()
            self.process.join(0.5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(0.5)
        self._drain()
        for q in (self.commands, self.packets):
            q.cancel_join_thread()
            q.close()
        self.started = False
        return clean

    def _drain(self) -> None:
        while True:
            try:
                self.packets.get_nowait()
            except (queue.Empty, OSError, EOFError, ValueError):
                return
