"""The worker's loop (in the child process): commands in, training through the Runner, packets out.

* Commands are applied in order between steps (see ``protocol``).
* While playing, frames are planned by ``pacing.FramePlanner``; during a measurement the runner's ``pause``
  hook lets a due frame out between the measurement's parts, so a 40–100 ms measurement does not stretch
  the interval between frames (the frame shows the measured step).
* **Recording**: every run the worker starts is written as it goes into a run folder (``runs.RunWriter``)
  under ``runs.recordings_root()``, named ``<timestamp>-<pid>-<generation>``: metrics rows and events are
  appended and flushed, so memory stays flat and a dead window does not take the record with it.
  ``Save(folder)`` copies that record plus a final full metrics row, samples and weights of the current
  state to ``folder``: the same files as ``gan-studio run`` ending at this step. ``Open(folder)`` builds
  a trainer on the folder's config.toml, replays its events' setting changes, loads weights.npz, sets the
  step counter to the last step of metrics.csv and records on from there; the optimizers start fresh. A
  folder that cannot be opened is a message and the current run goes on. A reset keeps recording into the
  same folder (its event replays in ``gan-studio run``); a restart or an open starts a new one.
* Any exception in training (``NonFiniteError``, CUDA out of memory, a bug) pauses the run, keeps the
  trainer's last good state, and is reported in ``Packet.error``; the worker keeps serving commands.

About 500 lines, one class: the command loop, whose methods share the session's state. What could stand
alone already does: the protocol, frame pacing, recording and opening, the run loop (``runner``).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import queue
import sys
import time
import traceback
from collections import deque
from pathlib import Path

from gan_studio import config, runs
from gan_studio.frames import MEMBERS
from gan_studio.runner import Runner
from gan_studio.schedule import Schedule
from gan_studio.worker import pacing
from gan_studio.worker.protocol import (
    FPS,
    Apply,
    Command,
    DropSchedule,
    Grid,
    Invert,
    Open,
    OpenMember,
    Packet,
    Pause,
    PickPathEnd,
    Play,
    PlayUntil,
    Quit,
    RequestFrame,
    Restart,
    Rewind,
    Save,
    Speed,
    Step,
    TrainerProtocol,
    describe_error,
)
from gan_studio.worker.recording import OpenError, Recording, open_run_folder
from gan_studio.worker.timeline import Timeline

KNOWN_ERRORS = ("NonFiniteError", "SyntheticError", "OutOfMemoryError")  # expected: no traceback on stderr


def one_torch_thread() -> None:
    """Give torch (if this process has loaded it) one thread: two oversubscribe 2 cores (DESIGN.md)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def available_devices() -> list[str]:
    """The devices this machine offers, for the window's device choice (a broken driver gives the CPU)."""
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


def engine_trainer(cfg: config.Config) -> TrainerProtocol:
    """Build the real engine's trainer, a seed ensemble for ``train.seeds`` > 1 (imported here, in the child process:
    it imports torch)."""
    from gan_studio.ensemble import make_trainer

    return make_trainer(cfg)


class _RunnerRecorder:
    """What the Runner records into: rows to the record and the window, events through ``Session.on_event``."""

    def __init__(self, session: Session):
        self.session = session

    def row(self, row: dict) -> None:
        """A logged step's row: to the record (the window gets it from ``train_step``), and now and then the
        weights of that step (before the changes due at it run), to restart from should this process die."""
        for member in row.get(MEMBERS, (row,)):  # a seed ensemble's row holds one row per member (frames.MEMBERS)
            self.session.recording.row(member)
        trainer = self.session.trainer
        self.session.recording.checkpoint(int(row["step"]), trainer.weights)

    def event(self, event: dict) -> None:
        """An event of the runner (live or scheduled): see ``Session.on_event``."""
        self.session.on_event(event)


class Session:
    """The worker's loop around one Runner (replaced on restart). Runs in the child process (or a test thread).

    ``trainer_factory``: builds a trainer from a Config (default: the engine's ``Trainer``; tests pass the
    NumPy stand-in ``testing.synthetic.SyntheticTrainer``).
    """

    def __init__(self, commands, packets, cfg, at_schedule=(), trainer_factory=None, fps: float = FPS,
                 grid: int | None = None, playing: bool = False, freeze: bool = True, record_dir=None,
                 open_first: str | None = None):
        self.commands, self.packets = commands, packets
        self.open_first = open_first  # a saved run folder the worker opens instead of building cfg
        self.record_dir = Path(record_dir) if record_dir else runs.recordings_root()
        self.opened = ""  # the folder the current generation was opened from ("" after a reset or restart)
        self.resumed: tuple[str, int] | None = None  # (folder, step) this recording continues, for the save note
        self.freeze = freeze  # gc.freeze after set-up (the worker process; tests running a Session in a thread: no)
        self.factory = trainer_factory or engine_trainer
        self.cfg0 = cfg if isinstance(cfg, config.Config) else config.from_dict(cfg or {}, "worker config")
        self.runner: Runner | None = None
        self.pending_schedule = Schedule(at_schedule)  # the --at changes, given to the first runner
        self.playing = playing
        self.stop_at: int | None = None  # PlayUntil: pause once this many steps are complete
        self.steps_per_frame, self.fps = 0, float(fps)
        self.grid = grid
        self.quitting = False
        self.generation = 0
        self.error = ""
        self.rows: list[dict] = []
        self.events: list[dict] = []
        self.messages: list[str] = []  # notes for the window (the recording adds its own)
        self.recording = Recording(self.record_dir, self.messages)
        self.timeline = Timeline()  # snapshots to rewind to (worker.timeline)
        self.branched_at = -1  # ≥ 0: the current generation is a branch from this step (Packet.branched_at)
        self.unsent: Packet | None = None
        self.inversion = None  # a frames.Inversion not yet delivered (it rides on one packet)
        self.frames_made = self.frames_dropped = 0
        self.frame_seconds = 0.0  # time spent making frames, in all
        self.planner = pacing.FramePlanner()
        self.want_frame = True
        self._cfg_dict: tuple = (None, None)  # (config object, its dict)
        self.rate: deque = deque(maxlen=64)
        self.devices = ["auto", "cpu"]
        parent = mp.parent_process()
        self.parent_alive = parent.is_alive if parent is not None else (lambda: True)
        self.parent_checked = time.monotonic()

    @property
    def trainer(self) -> TrainerProtocol | None:
        """The current run's trainer (None before one could be built)."""
        return self.runner.trainer if self.runner is not None else None

    # -- set-up ---------------------------------------------------------------------------------------------
    def build(self, cfg: config.Config) -> bool:
        """Replace the run with a new one for ``cfg``; on failure keep the old one and report why."""
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

    def install(self, trainer: TrainerProtocol, start_cfg: config.Config, opened: str = "",
                resumed_at: int = 0) -> None:
        """Make ``trainer`` the current run (a new generation) and start recording it.

        ``start_cfg``: the config its record starts from (config.toml); ``opened``: the saved folder it
        continues, whose rows and events its record copies first. The ``--at`` schedule goes to the first
        run built from the start config; an opened run has its own past and no schedule.
        """
        schedule = Schedule() if opened else self.pending_schedule
        self.pending_schedule = Schedule()
        self.runner = Runner(trainer, schedule, _RunnerRecorder(self))
        self.opened = opened
        self.resumed = (opened, resumed_at) if opened else None
        self.planner = pacing.FramePlanner(can_skip_probes=True)
        self.generation += 1
        self.rows, self.events, self.error = [], [], ""
        self.timeline.clear()
        self.branched_at = -1
        self.inversion = None  # it answered about the old run's G
        self.rate.clear()
        self.devices = available_devices()
        self.start_recording(start_cfg, opened or None)
        if opened:  # an opened run can be resumed from the start: its weights are those of its last row
            self.recording.checkpoint(resumed_at, trainer.weights, force=True)
        if self.freeze:
            gc.collect()  # the old trainer goes here too
            gc.freeze()  # full collections of torch's ~300k objects caused 70–160 ms hiccups (DESIGN.md)

    # -- save, open ----------------------------------------------------------------------------------------
    def start_recording(self, start_cfg: config.Config, continue_from: str | None = None) -> None:
        """Start the run folder of the current trainer (the previous one is closed)."""
        self.recording.start(self.generation, self.trainer.columns(), start_cfg, continue_from)

    def stop_recording(self) -> None:
        """Close the current run folder."""
        self.recording.stop()

    def save(self, folder: str) -> None:
        """Write a complete run folder of the run so far to ``folder`` and say how to reproduce it."""
        if getattr(self.trainer, "member_weights", None) is not None:  # runs.RunWriter.save_to ends with ONE row
            self.messages.append(f"could not save the run to '{folder}': saving a seed ensemble from the window is "
                                 "not supported yet; its record has every member's rows "
                                 f"({self.recording.folder or 'not recorded'}), or open one seed alone and save it")
            return
        self.recording.save(self.runner, folder, self.resumed)

    def open(self, folder: str) -> bool:
        """Continue a saved run: its config (with its events' setting changes), weights and step counter.

        Anything that does not fit is a message naming the file; the current run goes on untouched. Returns
        whether the run was opened.
        """
        if self.freeze:
            gc.unfreeze()
        try:
            trainer, start_cfg, last = open_run_folder(folder, self.factory)
        except OpenError as err:
            if self.freeze:
                gc.freeze()
            self.messages.append(f"{err}; "
                                 f"{'the current run goes on' if self.trainer else 'starting from its config'}")
            return False
        self.install(trainer, start_cfg, opened=str(folder), resumed_at=last)
        self.messages.append(f"opened the run in {folder} at step {last:,}: weights restored; the optimizer state "
                             "starts fresh (it is not saved), so the next steps differ from the original run's")
        return True

    # -- the loop -------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Serve commands and train until ``Quit()`` arrives or the parent process is gone."""
        try:
            self._run()
        finally:
            self.stop_recording()

    def _run(self) -> None:
        runs.prune_recordings(self.record_dir)  # bounded disk: older recordings go as new ones are made
        if not (self.open_first and self.open(self.open_first)):  # a saved run to continue, else cfg0
            self.build(self.cfg0)
        self.apply_due()
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
                if now >= self.planner.next_frame_t:
                    break
                self.wait_command(self.planner.next_frame_t - now)
                continue
            if not self.steps_per_frame and n > 0 and self.planner.frame_due(now, self.trainer.next_step_measures()):
                break
            if not self.train_step():
                break
            n += 1
        self.want_frame = True

    def frame_if_due(self) -> None:
        """The runner's ``pause`` hook, called between the parts of a measurement: deliver a frame now if one
        is due, so a long measurement does not stretch the interval between frames."""
        if (self.playing and not self.steps_per_frame
                and self.planner.frame_due(time.monotonic(), False, before_step=False)):
            self.emit()

    def wait_command(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for one command and apply it."""
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
        """One training step through the runner; an exception pauses the run. Returns whether it succeeded."""
        trainer = self.trainer
        measures = trainer.next_step_measures()
        measured_before = trainer.measure_seconds
        framed_before = self.frame_seconds
        if callable(getattr(trainer, "state", None)):  # a seed ensemble has no snapshots (not rewindable)
            self.timeline.offer(trainer.step_count, trainer.state, lambda: self.runner.schedule.items)
        t0 = time.monotonic()
        try:
            row = self.runner.step(pause=self.frame_if_due)
        except Exception as err:
            self.fail(err)
            return False
        framed = self.frame_seconds - framed_before  # frames delivered during its measurement
        measured = trainer.measure_seconds - measured_before - framed
        self.planner.step_done(time.monotonic() - t0 - measured - framed, measured, measures)
        if row:
            self.rows.append(row)
        self.error = ""
        self.rate.append((time.monotonic(), trainer.step_count))
        if self.stop_at is not None and trainer.step_count >= self.stop_at:  # PlayUntil reached its step
            self.playing, self.stop_at = False, None
            self.want_frame = True
        return True

    def apply_due(self) -> None:
        """Apply the ``--at`` changes whose step has been reached (their events reach ``on_event``)."""
        if self.runner is None:
            return
        try:
            self.runner.apply_due()
        except config.ConfigError as err:
            self.messages.append(f"refused: {err}")
        except Exception as err:
            self.fail(err)

    def fail(self, err: BaseException) -> None:
        """Pause the run after a training error and say what happened."""
        device = str(getattr(self.trainer, "device", ""))
        self.error = describe_error(err, device)
        self.messages.append(self.error)
        self.playing = False
        self.want_frame = True
        if type(err).__name__ not in KNOWN_ERRORS:
            traceback.print_exc()
        torch = sys.modules.get("torch")
        if torch is not None and "cuda" in device:
            try:
                torch.cuda.empty_cache()
            except Exception:
                pass

    def apply(self, what: str, value=None) -> None:
        """A live change through the runner; a ConfigError is a refusal message, anything else pauses the run."""
        try:
            self.runner.apply(what, value)
        except config.ConfigError as err:
            self.messages.append(f"refused: {err}")
            return
        except Exception as err:
            self.fail(err)
            return
        if what == "reset":  # a person's reset starts over: the rest of the --at schedule no longer applies
            self.runner.schedule = Schedule()

    def on_event(self, event: dict) -> None:
        """Every event the runner records, live or scheduled: into the record and to the window.

        A reset starts a fresh history in the window (a new generation). It stays in the same record, where
        it replays in ``gan-studio run``, unless the trainer's reset restarted the step count (the stand-in
        trainer's does): then a new record starts.
        """
        if event["what"] != "reset":
            self.events.append(dict(event))
            self.recording.event(event)
            return
        self.generation += 1
        self.rows, self.events, self.error = [], [], ""
        self.opened = ""
        self.timeline.clear()  # a reset starts the run over: nothing before it to rewind to
        self.branched_at = -1
        self.rate.clear()
        if self.trainer.step_count < event["step"]:  # counting from 0 again: a new record
            self.start_recording(self.trainer.cfg)
        else:
            self.recording.event(event)

    def handle(self, cmd: Command) -> None:
        """Apply one command between steps."""
        match cmd:
            case Quit():
                self.quitting = True
            case Play():
                self.playing = True
                self.planner.restart_clock()
            case Pause():
                self.playing = False
                self.stop_at = None
            case PlayUntil(step=step):
                self.stop_at = int(step)
                self.playing = self.trainer is not None and self.trainer.step_count < self.stop_at
                self.planner.restart_clock()
            case DropSchedule():
                if self.runner is not None:
                    self.runner.schedule = Schedule()
            case Speed(steps_per_frame=n, fps=fps):
                self.steps_per_frame, self.fps = int(n), float(fps)
                self.planner.restart_clock()
            case Grid(n=n):
                self.grid = int(n)
            case RequestFrame():
                pass
            case Restart(config=cfg_dict, schedule=items):
                try:
                    cfg = config.from_dict(cfg_dict, "restart")
                except config.ConfigError as err:
                    self.messages.append(f"refused: {err}")
                    return
                self.pending_schedule = Schedule(items)
                if self.build(cfg):
                    self.apply_due()  # changes scheduled at step 0
            case Open(folder=folder):
                self.open(str(folder))
            case _ if self.trainer is None:
                self.messages.append(f"ignored {type(cmd).__name__}: no run is loaded")
            case Step(n=n):
                for _ in range(int(n)):
                    if not self.train_step():
                        break
            case Apply(what=what, value=value):
                self.apply(what, value)
            case Save(folder=folder):
                self.save(str(folder))
            case Invert(point=point):
                self.invert(point)
            case PickPathEnd(end=end, code=code):
                self.pick_path_end(end, code)
            case Rewind(step=step):
                self.rewind(int(step))
            case OpenMember(k=k):
                self.open_member(int(k))
            case _:
                self.messages.append(f"unknown command {cmd!r}")
        self.want_frame = True

    def open_member(self, k: int) -> None:
        """Continue member k of a seed ensemble alone: a plain run on its config (its seed) from its current
        weights and step count, recorded afresh; a message when the run is no ensemble or k is not a member."""
        ensemble = self.trainer
        n = getattr(ensemble, "n", 1)
        if not hasattr(ensemble, "member_weights") or not 0 <= k < n:
            self.messages.append(f"refused: open a member alone: the run has {n} member(s), asked for {k + 1}")
            return
        if self.freeze:
            gc.unfreeze()
        cfg, step = ensemble.member_cfgs[k], ensemble.step_count
        try:
            trainer = self.factory(cfg)
            trainer.load_weights(ensemble.member_weights(k))
        except Exception as err:
            self.messages.append(f"could not open seed {cfg.train.seed} alone: {self.start_failed(err)}")
            return
        trainer.step_count = step
        self.install(trainer, cfg)
        self.messages.append(f"opened seed {cfg.train.seed} (member {k + 1} of {n}) alone at step {step:,}: its "
                             "weights go on as a plain run; the optimizer state starts fresh")

    def rewind(self, step: int) -> None:
        """Go back to the newest snapshot at or before ``step`` and continue from there as a branch, paused: a new
        generation (the window drops the later rows and reads the branch's past from its record), a new record cut
        at that step (``Recording.branch``), the snapshots after it dropped and the schedule as it was then."""
        snapshot = self.timeline.nearest(step)
        if snapshot is None:
            self.messages.append(f"refused: no snapshot at or before step {step:,} to rewind to")
            return
        try:
            self.trainer.restore(snapshot.state)
        except Exception as err:  # a bug or a device error: the run is paused, as after a training error
            self.fail(err)
            return
        self.runner.schedule = Schedule(snapshot.schedule)
        self.timeline.branch(snapshot.step)
        self.playing, self.stop_at = False, None
        self.generation += 1
        self.rows, self.error = [], ""
        self.opened = ""  # the branch's record holds an opened run's past too
        self.events = [dict(e) for e in self.trainer.events]  # the branch's past events ride on the next packet
        self.inversion = None
        self.rate.clear()
        old = self.recording.branch(self.generation, self.trainer.columns(), snapshot.step, self.trainer.events)
        self.recording.checkpoint(snapshot.step, self.trainer.weights, force=True)
        self.branched_at = snapshot.step
        self.messages.append(f"rewound to step {snapshot.step:,}: training goes on from there as a branch"
                             + (f" recorded in {self.recording.folder} (the later steps stay in {old})" if old else ""))

    def invert(self, point) -> None:
        """Find z for a data-space point; the answer rides on the next delivered packet, a refusal is a message."""
        try:
            self.inversion = self.trainer.invert(point)
        except config.ConfigError as err:
            self.messages.append(f"refused: {err}")
        except Exception as err:
            self.messages.append(f"could not invert the point: {type(err).__name__}: {err}")
            traceback.print_exc()

    def pick_path_end(self, end: str, code) -> None:
        """Make a latent code end A or B of the latent paths; a refusal is a message (a trainer without latent
        paths, such as the seed ensemble's, refuses too)."""
        pick = getattr(self.trainer, "pick_path_end", None)
        if pick is None:
            self.messages.append("refused: picking the ends of the latent paths needs a single run")
            return
        try:
            pick(end, code)
        except config.ConfigError as err:
            self.messages.append(f"refused: {err}")

    # -- output ---------------------------------------------------------------------------------------------
    def steps_per_s(self) -> float:
        """Training steps per second over the recent steps (0 when paused for over a second)."""
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
        probed = self.planner.next_frame_probed(self.playing)
        trainer = self.trainer
        if trainer is not None:
            grid = self.grid if self.grid is not None else trainer.cfg.metrics.grid
            if self.playing:
                grid = pacing.playing_grid(grid)
            try:
                frame = trainer.frame(grid=grid, probe=probed)
            except Exception as err:
                self.messages.append(f"could not draw the frame: {type(err).__name__}: {err}")
                traceback.print_exc()
        t1 = time.monotonic()
        self.frame_seconds += t1 - t0
        self.planner.frame_made(t0, t1, probed, self.fps)
        packet = Packet(frame=frame, rows=list(self.rows), events=list(self.events), messages=list(self.messages),
                        error=self.error, playing=self.playing, step=trainer.step_count if trainer else 0,
                        steps_per_s=self.steps_per_s(), cfg=self.cfg_dict(),
                        generation=self.generation, device=str(getattr(trainer, "device", "")),
                        devices=self.devices, probed=probed,
                        frames_made=self.frames_made + 1, frames_dropped=self.frames_dropped,
                        recording=self.recording.folder, opened=self.opened, inversion=self.inversion,
                        snapshots=self.timeline.steps(), branched_at=self.branched_at)
        self.frames_made += 1
        self.deliver(packet)

    def cfg_dict(self) -> dict | None:
        """The trainer's config as a dict, converted again only when it changed (every packet carries it)."""
        trainer = self.trainer
        if trainer is None:
            return None
        if self._cfg_dict[0] is not trainer.cfg:
            self._cfg_dict = (trainer.cfg, config.to_dict(trainer.cfg))
        return self._cfg_dict[1]

    def deliver(self, packet: Packet) -> None:
        """Put the packet on the queue; when it is full, keep its rows, events and messages for the next one."""
        try:
            self.packets.put_nowait(packet)
        except queue.Full:
            self.frames_dropped += 1
            self.unsent = packet  # rows/events/messages stay pending for the next packet
            return
        self.unsent = None
        if packet.inversion is self.inversion:  # delivered once; a newer one waits for its own packet
            self.inversion = None
        del self.rows[: len(packet.rows)]
        del self.events[: len(packet.events)]
        del self.messages[: len(packet.messages)]


def serve(commands, packets, cfg, at_schedule=(), trainer_factory=None, fps: float = FPS, grid: int | None = None,
          playing: bool = False, record_dir: str | None = None, open_first: str | None = None) -> None:
    """The worker process's life: the engine imported (when it is the trainer), one torch thread, then a
    Session serving commands until it quits."""
    if trainer_factory is None:
        import gan_studio.engine  # noqa: F401  (imports torch, so that its thread count can be set next)
    one_torch_thread()
    Session(commands, packets, cfg, at_schedule, trainer_factory, fps, grid, playing, record_dir=record_dir,
            open_first=open_first).run()
