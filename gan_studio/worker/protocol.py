"""The window ↔ worker protocol: typed commands in, packets out, and what a trainer must offer.

No Qt and no torch here: the window imports this module and ``handle.py`` only.

* **Commands** (window → worker) are the small frozen dataclasses below, on an unbounded queue, never dropped
  and applied in order, always *between* two training steps. ``Apply(what, value)`` goes to
  ``TrainerProtocol.apply`` unchanged: a dotted config key (``"loss.name"``, ...) or an action (``"step_d"``,
  ``"step_g"``, ``"reset"``, ``"reseed"``). A model-shape, data-set or device change needs a new trainer:
  send ``Restart(config_dict)``.
* **Packets** (worker → window) on a queue of size 2: the newest Frame plus the worker's state. When the
  queue is full the packet is dropped, but its metrics rows, events and messages stay pending and ride on
  the next packet that gets through, so the window's history never misses a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from gan_studio import config

FPS = 32.0  # frames per second asked for while playing (the window paints each one as it arrives)
STOP_TIMEOUT_S = 2.0  # closing the window ends the worker within this time

# Speed choices for the window: (label, steps per frame (0 = as fast as possible), frames per second).
SPEEDS: list[tuple[str, int, float]] = [
    ("full speed", 0, FPS),
    ("100 steps / frame", 100, FPS),
    ("10 steps / frame", 10, FPS),
    ("1 step / frame", 1, FPS),
    ("slow motion: 1 step / ¼ s", 1, 4.0),
    ("slow motion: 1 step / s", 1, 1.0),
]


# -- commands (window → worker) -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Play:
    """Train continuously, delivering frames at the chosen speed."""


@dataclass(frozen=True)
class Pause:
    """Stop training after the current step; a frame follows."""


@dataclass(frozen=True)
class Step:
    """Train ``n`` steps now (paused or playing), then deliver a frame."""

    n: int = 1


@dataclass(frozen=True)
class Apply:
    """A live change or an action between two steps, recorded as an event (see ``TrainerProtocol.apply``)."""

    what: str
    value: Any = None


@dataclass(frozen=True)
class Speed:
    """Steps per frame (0 = as fast as possible) and frames per second while playing."""

    steps_per_frame: int
    fps: float


@dataclass(frozen=True)
class Grid:
    """Probe surfaces on an ``n``×``n`` grid from now on."""

    n: int


@dataclass(frozen=True)
class RequestFrame:
    """Deliver a frame now (e.g. after the window was resized or re-themed)."""


@dataclass(frozen=True)
class Restart:
    """Replace the run with a new one on ``config`` (a ``config.to_dict`` dict); a new recording starts.

    ``schedule``: changes ``(step, what, value)`` the new run applies when it reaches each step (a lesson's).
    """

    config: dict
    schedule: tuple = ()


@dataclass(frozen=True)
class PlayUntil:
    """Play, and pause once the run has completed ``step`` steps (at once if it already has)."""

    step: int


@dataclass(frozen=True)
class DropSchedule:
    """Forget the run's remaining scheduled changes (a lesson was left for free exploration)."""


@dataclass(frozen=True)
class Save:
    """Write the run so far as a complete run folder at ``folder``; a message says how to reproduce it."""

    folder: str


@dataclass(frozen=True)
class Open:
    """Continue the saved run folder ``folder`` (weights, step count, curves); the current run goes on if it
    cannot be opened."""

    folder: str


@dataclass(frozen=True)
class Invert:
    """Find the latent code whose G(z) is closest to the data-space ``point`` (1 or 2 numbers; image data: (i,),
    the index of a real image of the frame's grid, ``Frame.images["real"]``); the answer, a
    ``frames.Inversion``, rides on the next packet (``Packet.inversion``)."""

    point: tuple[float, ...]


@dataclass(frozen=True)
class PickPathEnd:
    """Make the latent ``code`` (model.latent_dim numbers) end A or B (``end`` "a" / "b") of the latent paths the
    frames draw (the Latent tab: a click on the latent map or on an inversion's answer)."""

    end: str
    code: tuple[float, ...]


@dataclass(frozen=True)
class OpenMember:
    """Seed ensembles: continue member ``k`` alone as a plain run (its seed, its current weights and step count;
    the optimizer starts fresh). The ensemble ends."""

    k: int


@dataclass(frozen=True)
class Rewind:
    """Go back to the newest snapshot at or before ``step`` (``worker.timeline``) and go on from there as a branch:
    the later rows leave the window's history and a new record starts (``Packet.branched_at``)."""

    step: int


@dataclass(frozen=True)
class Quit:
    """End the worker (the recording is closed)."""


Command = (Play | Pause | PlayUntil | Step | Apply | Speed | Grid | RequestFrame | Restart | DropSchedule | Save
           | Open | Invert | PickPathEnd | OpenMember | Rewind | Quit)


# -- packets (worker → window) --------------------------------------------------------------------------------
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
    inversion: Any = None  # gan_studio.frames.Inversion answering the last Invert command, once (None otherwise)
    snapshots: list[int] = field(default_factory=list)  # the steps the run can be rewound to (worker.timeline)
    branched_at: int = -1  # ≥ 0: this generation is a branch from that step; its past rows are in ``recording``


# -- what the worker and the runner need of a trainer -----------------------------------------------------------
class TrainerProtocol(Protocol):
    """What the run driver and the worker use of a trainer: ``engine.Trainer`` and the stand-in
    ``testing.synthetic.SyntheticTrainer`` both satisfy it (tests check both)."""

    cfg: config.Config
    step_count: int
    events: list[dict]

    @property
    def device(self) -> Any:
        """Where it trains (a torch.device or a name); ``str()`` of it is shown."""

    @property
    def measure_seconds(self) -> float:
        """Seconds spent measuring so far (the worker keeps it out of its step costs)."""

    def step(self, pause=None) -> dict | None:
        """One training step; its metrics row on logged steps. ``pause`` is called between the parts of a
        measurement (the worker delivers a frame there when one is due)."""

    def apply(self, what: str, value=None) -> dict:
        """A live change or action between steps; returns the event ``{step, what, old, new}``."""

    def columns(self) -> list[str]:
        """Every metrics.csv column of this run, in order."""

    def metrics_row(self, full: bool = False, pause=None) -> dict:
        """The metrics row of the current step (every metric when ``full``)."""

    def next_step_measures(self) -> bool:
        """Whether the next step ends with a measurement (it costs more; the worker plans for it)."""

    def frame(self, grid: int | None = None, probe: bool = True):
        """A ``frames.Frame`` of the current state; ``probe=False`` skips the surfaces."""

    def final_state(self) -> tuple[dict, Any, dict]:
        """(full final metrics row, saved samples as an array, weights) of the current state."""

    def weights(self) -> dict:
        """Both nets' tensors as NumPy arrays, keys ``G/<name>`` and ``D/<name>``."""

    def load_weights(self, arrays: dict) -> None:
        """Load arrays saved by ``weights()``; a misfit is a ConfigError naming it."""

    def invert(self, point) -> Any:
        """A ``frames.Inversion``: the latent code G maps closest to the data-space ``point``; a ConfigError when
        the point or the data cannot be inverted."""

    def state(self, reuse: Any = None) -> Any:
        """The complete training state between steps as a picklable copy with ``nbytes()`` (``worker.timeline``
        keeps them): step count, nets, optimizers, generators, objective state, config and events. ``reuse``: a
        state given up (a thinned snapshot) whose arrays may be overwritten and reused, or None."""

    def restore(self, state) -> None:
        """Put back a ``state()`` of this run: the next steps give exactly the rows they gave after it was taken."""


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
