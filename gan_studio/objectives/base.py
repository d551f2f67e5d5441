"""What every GAN objective is: D's head, the two losses, an optional state, its own estimate, display facts.

Sign convention (the one used everywhere in GAN Studio): ``D(x)`` returns a raw, unbounded score and
**a higher score means "more real"**. ``s_r = D(x_real)``, ``s_f = D(G(z))``; where an objective needs a
probability it is ``σ(s)`` (sigmoid). Every objective in this package is written against this single convention.

Each loss is a pure function returning a scalar, the batch mean: ``d_loss(out_r, out_f, state)`` is minimised
by D and ``g_loss(out_f, state)`` by G, where ``out_*`` is what D's head outputs on real / generated samples
(for a ``"score"`` head the (n,) raw scores ``s_r``, ``s_f``) and ``state`` the objective's running state
(``NO_STATE`` for objectives without one; their losses ignore it). The formula tables live in the family
modules: ``classifier`` (minimax, ns), ``least_squares`` (lsgan), ``critic`` (wgan, hinge), ``fgan``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from torch import Tensor

from gan_studio.config import CHOICES

Head = Literal["score", "features", "reconstruction", "none"]
"""What D's head outputs: a raw score per sample, a feature vector, a reconstruction, or no D at all."""

DView = Literal["probability", "score", "energy", "none"]
"""How the views draw D: σ(score) in [0, 1], the raw score, an energy (lower = more real), or not at all."""

DReference = Literal["optimal_d", "optimal_critic"]
"""The dashed reference curve of the 1D view: D* = p_data/(p_data + p_g), or the optimal 1D critic (slope ±1);
with ``optimal_critic`` the view shifts D and the reference to mean 0 under p_data (a critic's offset is
arbitrary)."""

State = Mapping[str, float]
"""An objective's running state, keyed by its metrics.csv column names (e.g. ``k_t``)."""

NO_STATE: State = MappingProxyType({})
"""The state of an objective without one."""

ALL_LIPSCHITZ: tuple[str, ...] = tuple(CHOICES["lipschitz.name"])
"""Every Lipschitz method (``lipschitz.name``), in config order."""


def no_state() -> State:
    """The initial state of an objective without one: ``NO_STATE``."""
    return NO_STATE


def keep_state(state: State, out_r: Tensor, out_f: Tensor) -> State:
    """The state update of an objective without one: returns ``state`` unchanged."""
    return state


@dataclass(frozen=True)
class Estimate:
    """The quantity an objective's own D estimates, and how: ``compute(out_r, out_f)`` on fresh batches.

    ``column`` is the metrics.csv column it fills (``js_d``, ``fdiv_d``, ``w1_critic``). ``compute`` takes D's
    outputs on a fresh real and a fresh generated batch (never the batch D just trained on) and returns a float.
    """

    quantity: str  # what it estimates, e.g. "JS(p_data ‖ p_g) in nats"
    column: str
    method: str  # the estimator and its bias, one line
    compute: Callable[[Tensor, Tensor], float]


@dataclass(frozen=True)
class Objective:
    """A named GAN objective: D's head, the two losses, its state, its estimate, and how the views draw D.

    The engine calls ``d_loss`` / ``g_loss`` on every update and ``update_state`` after every D update, and
    logs the state under ``state_columns``. A mid-run switch is allowed between objectives with the same
    ``head`` whose ``lipschitz`` lists the active Lipschitz method; anything else needs a restart.
    """

    name: str  # the registered name (config key loss.name)
    family: str  # the module that defines it: "classifier", "least_squares", "critic", "fgan"
    head: Head
    d_loss: Callable[[Tensor, Tensor, State], Tensor]  # (out_r, out_f, state) -> mean loss D minimises
    g_loss: Callable[[Tensor, State], Tensor]  # (out_f, state) -> mean loss G minimises
    estimate: Estimate | None  # what D's outputs estimate (None: nothing beyond the generic columns)
    # Display facts (copied into every Frame; views never branch on the objective's name):
    d_view: DView  # how to draw D
    decision_level: float | None  # the level where D is undecided, in the units drawn; None: no such level
    d_label: str  # the label of D's values (2D colour bar)
    d_curve_label: str  # the legend of the 1D view's D curve
    d_reference: DReference | None  # the 1D view's dashed reference curve, None: none
    lipschitz: tuple[str, ...] = ALL_LIPSCHITZ  # the Lipschitz methods that apply
    init_state: Callable[[], State] = no_state  # the state at the start of a run, after a reset or a switch
    update_state: Callable[[State, Tensor, Tensor], State] = keep_state  # (state, out_r, out_f) after a D step
    state_columns: tuple[str, ...] = ()  # metrics.csv columns of the state (its keys)
