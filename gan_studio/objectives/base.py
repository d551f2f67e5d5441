"""What every GAN objective is: D's head, the two losses, an optional state, its own estimate, display facts.

Sign convention (the one used everywhere in GAN Studio): ``D(x)`` returns a raw, unbounded score and
**a higher score means "more real"**. ``s_r = D(x_real)``, ``s_f = D(G(z))``; where an objective needs a
probability it is ``σ(s)`` (sigmoid). Every objective in this package is written against this single convention.

Each loss is a pure function returning a scalar, the batch mean: ``d_loss(out_r, out_f, state)`` is minimised
by D and ``g_loss(out_r, out_f, state)`` by G, where ``out_*`` is what D's head outputs on real / generated samples
and ``state`` the objective's running state (``NO_STATE`` for objectives without one; their losses ignore it).
``g_loss`` receives ``out_r = None`` unless the objective sets ``g_needs_real`` (then the engine runs D on one more
real batch per G step). With ``fake_batches = 2`` (Cramér GAN) ``out_f`` is the pair ``(D(G(z)), D(G(z')))``
everywhere (losses, state update, estimate, witness). The formula tables live in the family modules:
``classifier`` (minimax, ns), ``least_squares`` (lsgan), ``critic`` (wgan, hinge), ``fgan``, ``relativistic``,
``energy`` (EBGAN, BEGAN, MAGAN), ``kernel`` (GMMN, MMD GAN, Cramér, McGAN), ``fisher``.

What ``out`` is follows from ``head`` (a *score* is higher = more real):

==============  ====================================================================================
head            D's output on a batch of n samples
==============  ====================================================================================
score           (n,) raw scores
features        (n, k) feature vectors (the IPM / kernel objectives); ``witness`` gives a scalar per sample
reconstruction  ``Reconstruction(energy (n,), code (n, c))``: per-sample reconstruction error, LOWER =
                more real, and the encoder's embedding (EBGAN's pull-away term)
none            the samples themselves, flattened to (n, d): there is no D (GMMN); ``witness`` as features
encoder         ``vae.Posterior(mu (n, k), logvar (n, k))``: D's slot holds an encoder q(z|x) (VAE, plain
                autoencoder); no game: the engine minimises ``joint_loss``; measurement sees the energy
                ``vae.ReconstructionEnergy`` (n,), lower = better explained
==============  ====================================================================================

``Objective.scores(out_x, out_r, out_f)`` turns any head's output into one number per sample, in the units the
views draw: the score, the witness (features / none), or the energy (reconstruction). The engine logs its means as
``d_real`` / ``d_fake``; gradient penalties and the D surface use it (``lipschitz.ScoreView``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, NamedTuple

import torch
from torch import Tensor

from gan_studio.config import CHOICES

Head = Literal["score", "features", "reconstruction", "none", "encoder"]
"""What D's head outputs: a raw score per sample, a feature vector, a reconstruction, no D at all, or (D's slot
holding an encoder) a Gaussian posterior."""

DView = Literal["probability", "score", "energy", "none"]
"""How the views draw D: σ(score) in [0, 1], the raw score, an energy (lower = more real), or not at all."""

DReference = Literal["optimal_d", "optimal_critic"]
"""The dashed reference curve of the 1D view: D* = p_data/(p_data + p_g), or the optimal 1D critic (slope ±1);
with ``optimal_critic`` the view shifts D and the reference to mean 0 under p_data (a critic's offset is
arbitrary)."""

State = Mapping[str, "float | Tensor"]
"""An objective's running state, keyed by its metrics.csv column names (e.g. ``k_t``). Values computed from D's
outputs are 0-d tensors on the training device (``state_value``), read to the host only in a logged row (issue 15:
a ``float()`` per D update would wait for the GPU on every step); constants and counters may be Python floats."""

NO_STATE: State = MappingProxyType({})
"""The state of an objective without one."""

ALL_LIPSCHITZ: tuple[str, ...] = tuple(CHOICES["lipschitz.name"])
"""Every Lipschitz method (``lipschitz.name``), in config order."""


class Reconstruction(NamedTuple):
    """What an autoencoder D returns: ``energy`` (n,) per-sample reconstruction error (lower = more real) and
    ``code`` (n, c), the encoder's embedding (for EBGAN's pull-away term)."""

    energy: Tensor
    code: Tensor


Out = Tensor | Reconstruction | tuple
"""D's output on one batch (see the module table); a ``fake_batches = 2`` objective's ``out_f`` is a pair of them."""

JointLoss = Callable[[Callable, Callable, Tensor, Tensor, float], tuple[Tensor, dict[str, Tensor]]]
"""For an ``encoder`` head (no game): ``joint_loss(encoder, decoder, x, eps, beta) -> (loss (n,), {column: term
(n,)})``, the per-sample loss the encoder (in D's slot) and G (the decoder) minimise together, and its named terms
(metrics.csv columns); ``eps`` (n, latent_dim) is the reparameterisation noise, zeros for the posterior mean;
``beta`` is ``loss.beta`` (``objectives.vae``)."""

Witness = Callable[[Tensor, Out, Out], Tensor]
"""For a ``features`` (or ``none``) head: ``witness(out_x, out_r, out_f) -> (n,)`` scalar scores of the points whose
D outputs are ``out_x``, higher = more real, given D's outputs on a reference real and generated batch. It is what
the 1D/2D views draw (``d_view = "score"``) and what a gradient penalty (``gp``, ``r1``, ``r2``, ``dragan``)
differentiates for a head that has no scalar score of its own."""


def lipschitz_subset(*names: str) -> tuple[str, ...]:
    """``names`` in config order (``lipschitz.name``); ValueError for a name that is not a method."""
    unknown = set(names) - set(ALL_LIPSCHITZ)
    if unknown:
        raise ValueError(f"unknown Lipschitz methods {sorted(unknown)}; allowed: {', '.join(ALL_LIPSCHITZ)}")
    return tuple(m for m in ALL_LIPSCHITZ if m in names)


def no_state() -> State:
    """The initial state of an objective without one: ``NO_STATE``."""
    return NO_STATE


def keep_state(state: State, out_r: Tensor, out_f: Tensor) -> State:
    """The state update of an objective without one: returns ``state`` unchanged."""
    return state


def state_value(x: Tensor) -> Tensor:
    """A batch statistic as a state value: detached, 0-d, on ``x``'s device, in float64 — the precision of the
    Python float it replaces, so the state's arithmetic gives the same numbers it gave with floats (float32 on
    Apple's MPS, which has no float64). Never read back to the host here."""
    return x.detach().to(torch.float32 if x.device.type == "mps" else torch.float64).reshape(())


def in_dtype_of(value: float | Tensor, like: Tensor) -> float | Tensor:
    """A state value as an operand of a loss computed in ``like``'s dtype: a tensor cast to it (a float64 0-d
    tensor would promote a 0-d float32 loss to float64 — other numbers, twice the work — where the Python float
    it replaces did not), a float as it is."""
    return value.to(like.dtype) if isinstance(value, Tensor) else value


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
    logs the state under ``state_columns``. A mid-run switch to an objective whose ``lipschitz`` lists the active
    Lipschitz method is allowed: live between objectives with the same ``head``; to another head the engine keeps
    G and builds a fresh D of that head (and its optimizer).
    """

    name: str  # the registered name (config key loss.name)
    family: str  # the module that defines it: "classifier", "least_squares", "critic", "fgan", "relativistic", ...
    head: Head
    d_loss: Callable[[Out, Out, State], Tensor]  # (out_r, out_f, state) -> mean loss D minimises
    g_loss: Callable[[Out | None, Out, State], Tensor]  # (out_r or None, out_f, state) -> mean loss G minimises
    estimate: Estimate | None  # what D's outputs estimate (None: nothing beyond the generic columns)
    # Display facts (copied into every Frame; views never branch on the objective's name):
    d_view: DView  # how to draw D
    decision_level: float | None  # the level where D is undecided, in the units drawn; None: no such level
    d_label: str  # the label of D's values (2D colour bar)
    d_curve_label: str  # the legend of the 1D view's D curve
    d_reference: DReference | None  # the 1D view's dashed reference curve, None: none
    about: str  # 2–4 sentences for a student: the formula in words, what it estimates, the paper
    lipschitz: tuple[str, ...] = ALL_LIPSCHITZ  # the Lipschitz methods that apply
    init_state: Callable[[], State] = no_state  # the state at the start of a run, after a reset or a switch
    update_state: Callable[[State, Tensor, Tensor], State] = keep_state  # (state, out_r, out_f) after a D step
    state_columns: tuple[str, ...] = ()  # metrics.csv columns of the state (its keys)
    g_needs_real: bool = False  # G's loss needs D(x_real) too: one more D forward pass on a real batch per G step
    fake_batches: int = 1  # independent generated batches per update; 2: out_f = (D(G(z)), D(G(z')))
    witness: Witness | None = None  # features / none heads: the scalar per sample (``Witness``)
    joint_loss: JointLoss | None = None  # encoder head: no game, one loss for the encoder and G (``JointLoss``)

    def first_fake(self, out_f: Out) -> Out:
        """The first generated batch's outputs: ``out_f`` itself, or its first element when ``fake_batches = 2``."""
        return out_f[0] if self.fake_batches == 2 else out_f

    def scores(self, out_x: Out, out_r: Out, out_f: Out) -> Tensor:
        """(n,) what D says of the points whose outputs are ``out_x``, in the units drawn (``d_view``): the raw
        score (score head), the reconstruction energy (lower = more real), or the witness given D's outputs on a
        reference real and generated batch (features / none)."""
        if self.head == "score":
            return out_x.reshape(-1)
        if self.head == "reconstruction":
            return out_x.energy
        if self.head == "encoder":
            return out_x.reshape(-1)  # measurement's view of an encoder is already an energy (module table)
        return self.witness(out_x, out_r, out_f)
