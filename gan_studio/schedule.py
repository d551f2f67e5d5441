"""Mid-run changes: which settings can change between steps, and schedules of changes by step.

A change at step S runs after step S completes, so step S + 1 is the first step it affects; the event it
records says step S. The same schedule drives ``gan-studio run --at``, ``render`` and the GUI's worker.
This module imports neither torch nor Qt.
"""

from __future__ import annotations

from gan_studio import config as C
from gan_studio.config import ConfigError

# Keys a command may change without rebuilding the nets (everything else needs a new Trainer).
LIVE_KEYS = (
    "loss.name", "loss.beta", "lipschitz.name", "lipschitz.clip", "lipschitz.weight", "lipschitz.one_sided",
    # remedy.pack is not live: m fixes packed D's input width (a switch of remedy.name to or from packing is live
    # and builds a new D, keeping G)
    "remedy.name", "remedy.kernels", "remedy.kernel_dims", "remedy.group", "remedy.unroll", "remedy.second_order",
    "remedy.noise", "remedy.anneal_steps",
    "optim.name", "optim.lr_d", "optim.lr_g", "optim.beta1", "optim.beta2",
    "train.batch_size", "train.d_steps", "train.g_steps", "train.log_every",
    "metrics.every", "metrics.ot_every", "metrics.n_samples", "metrics.ot_samples", "metrics.grid",
    "model.shown_class",  # the class picker of a conditional GAN: pictures only
    "data.path",  # only on a points file, to one of the same dimension (``check_data_change``): a drawing, a drop
)
# Live keys that change only what the views draw (never training or metrics): no event marker in the plots, and
# a run whose only difference from a preset is one of these still shows that preset.
DISPLAY_KEYS = ("model.shown_class",)
# Actions a command may run: a round of one D update, a round of one G update, re-initialise, reseed.
ACTIONS = ("step_d", "step_g", "reset", "reseed")


def check_data_change(cfg: C.Config, old_dim: int | None = None, new_dim: int | None = None) -> None:
    """ConfigError (one line saying what is allowed) unless a live ``data.path`` change fits a run of ``cfg``: the
    run is on a points file (``data.name = file``), a single run (``train.seeds`` = 1) with a trained G
    (``model.g_data_noise`` = 0: a fixed G is the old data plus noise); given both dimensions, the new file's points
    have the run's. Anything else is a restart (the window does that). The engine and the window share this check."""
    if cfg.data.name != "file":
        raise ConfigError(f"data.path: changes live only in a run on a points file (data.name = file); this run is "
                          f"on data.name {cfg.data.name}: restart on the file instead")
    if cfg.train.seeds > 1:
        raise ConfigError("data.path: changes live only in a single run, not a seed ensemble (train.seeds > 1): "
                          "restart on the file instead")
    if cfg.model.g_data_noise > 0:
        raise ConfigError("data.path: does not change live while model.g_data_noise > 0 (G is fixed at the old data "
                          "plus noise): restart on the file instead")
    if old_dim is not None and new_dim is not None and old_dim != new_dim:
        raise ConfigError(f"data.path: the file holds {new_dim}D points and the run is on {old_dim}D points; a live "
                          f"change takes a file of {old_dim}D points: restart on the file instead")


class Schedule:
    """Changes to apply when a run reaches a step: ``[(step, what, value), ...]`` kept in the given order.

    A change at step S runs after step S completes, so step S + 1 is the first step it affects.
    """

    def __init__(self, items=()):
        self.items = sorted(((int(at), what, value) for at, what, value in items),
                            key=lambda item: item[0])  # stable: same-step changes keep their order

    def __len__(self) -> int:
        return len(self.items)

    def pop_due(self, step: int) -> list[tuple[str, object]]:
        """Remove and return the ``(what, value)`` changes whose step is ≤ ``step``, in order."""
        n = 0
        while n < len(self.items) and self.items[n][0] <= step:  # sorted: the due ones come first
            n += 1
        due, self.items = self.items[:n], self.items[n:]
        return [(what, value) for _, what, value in due]


def parse_change(step: int | str, text: str) -> tuple[int, str, object]:
    """Parse one ``--at STEP KEY=VALUE`` (or ``--at STEP ACTION[=VALUE]``) into ``(step, what, value)``.

    Everything is checked here, before training starts: the step, the key, the value, and an action's value
    (``reseed=S`` takes a seed; ``step_d``, ``step_g`` and ``reset`` take none)."""
    if isinstance(step, bool) or not isinstance(step, (int, str)):
        raise ConfigError(f"--at: STEP must be a whole number, got {step!r}")
    try:
        at = int(step)
    except ValueError:
        raise ConfigError(f"--at: STEP must be a whole number, got {step!r}") from None
    if not 0 <= at <= C.INT64_MAX:
        raise ConfigError(f"--at: STEP must be a whole number from 0 to {C.INT64_MAX}, got {at}")
    if not isinstance(text, str):
        raise ConfigError(f"--at {at}: expected KEY=VALUE or an action ({', '.join(ACTIONS)}), got {text!r}")
    what, sep, value = text.partition("=")
    what = what.strip()
    if what in ACTIONS:
        if what != "reseed":
            if sep:
                raise ConfigError(f"--at {at} {text}: the action {what} takes no value; write --at {at} {what}")
            return at, what, None
        if not sep:
            return at, what, None  # the current seed + 1
        try:
            return at, what, C.parse_value("train.seed", value.strip())
        except ConfigError as err:
            raise ConfigError(f"--at {at} {text}: reseed takes a seed: {str(err).removeprefix('train.seed: ')}") \
                from None
    if what not in LIVE_KEYS:
        if what in C.all_keys():
            raise ConfigError(f"--at {at} {text}: '{what}' cannot change during a run; live changes: "
                              f"{', '.join(LIVE_KEYS)}; actions: {', '.join(ACTIONS)}")
        C.parse_assignment(text)  # raises a message naming the unknown key
    if not sep:
        raise ConfigError(f"--at {at}: expected KEY=VALUE or an action ({', '.join(ACTIONS)}), got {text!r}")
    try:
        return (at, *C.parse_assignment(text))
    except ConfigError as err:
        raise ConfigError(f"--at {at}: {err}") from None


def parse_event(event: dict) -> tuple[int, str, object]:
    """An event of a run folder's ``events.jsonl`` (``{step, what, old, new}``) as a change to replay, checked as
    ``--at`` is. ``new`` of ``step_d``, ``step_g`` and ``reset`` is a record (a reset's seed), not a value."""
    what, new = event.get("what"), event.get("new")
    if what in ACTIONS and what != "reseed" or new is None:
        return parse_change(event.get("step"), what)
    return parse_change(event.get("step"), f"{what}={new}")
