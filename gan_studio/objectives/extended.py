"""The objective interface extended for the objective zoo (issue #11, phase 1): ``ObjectiveSpec`` and D's outputs.

Phase-1 only. ``ObjectiveSpec`` has exactly the fields of ``base.Objective`` plus two, with defaults that keep the
ten existing objectives unchanged, so the later phase can add these fields to ``Objective`` and delete this file:

* ``g_needs_real``: G's loss also needs D's output on a real batch (relativistic, GMMN, MMD GAN, McGAN, Fisher,
  Cramér). Then the engine passes ``out_r`` to ``g_loss``; otherwise it passes ``None``.
* ``fake_batches``: how many independent generated batches one update uses: 2 for Cramér GAN, whose ``out_f`` is
  then the tuple ``(D(G(z)), D(G(z')))`` in both ``d_loss`` and ``g_loss`` (and in the estimate and the state).

The loss signatures are uniform: ``d_loss(out_r, out_f, state)`` and ``g_loss(out_r, out_f, state)``, each a
scalar batch mean (the ten existing objectives' ``g_loss(out_f, state)`` becomes ``lambda r, f, s: g(f, s)``).

What ``out`` is follows from ``head`` (the sign convention of ``base`` holds: a *score* is higher = more real):

==============  ====================================================================================
head            D's output on a batch of n samples
==============  ====================================================================================
score           (n,) raw scores
features        (n, k) feature vectors (the IPM / kernel objectives; a scalar witness is derived)
reconstruction  ``Reconstruction(energy (n,), code (n, c))``: per-sample reconstruction error, LOWER =
                more real, and the encoder's embedding (EBGAN's pull-away term)
none            the samples themselves, flattened to (n, d): there is no D (GMMN)
==============  ====================================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from torch import Tensor

from gan_studio.objectives.base import (
    ALL_LIPSCHITZ,
    DReference,
    DView,
    Estimate,
    Head,
    State,
    keep_state,
    no_state,
)


class Reconstruction(NamedTuple):
    """What an autoencoder D returns: ``energy`` (n,) per-sample reconstruction error (lower = more real) and
    ``code`` (n, c), the encoder's embedding (for EBGAN's pull-away term)."""

    energy: Tensor
    code: Tensor


Out = Tensor | Reconstruction | tuple
"""D's output on one batch (see the module table); a ``fake_batches = 2`` objective's ``out_f`` is a pair of them."""


@dataclass(frozen=True)
class ObjectiveSpec:
    """``base.Objective``'s fields (same order, same meaning) plus ``g_needs_real`` and ``fake_batches``.

    ``g_loss`` takes ``(out_r, out_f, state)``; ``out_r`` is None when ``g_needs_real`` is False.
    """

    name: str
    family: str
    head: Head
    d_loss: Callable[[Out, Out, State], Tensor]  # (out_r, out_f, state) -> mean loss D minimises
    g_loss: Callable[[Out | None, Out, State], Tensor]  # (out_r or None, out_f, state) -> mean loss G minimises
    estimate: Estimate | None  # base.Estimate; its compute(out_r, out_f) receives this head's outputs
    d_view: DView
    decision_level: float | None
    d_label: str
    d_curve_label: str
    d_reference: DReference | None
    lipschitz: tuple[str, ...] = ALL_LIPSCHITZ
    init_state: Callable[[], State] = no_state
    update_state: Callable[[State, Out, Out], State] = keep_state
    state_columns: tuple[str, ...] = ()
    g_needs_real: bool = False  # G's loss needs D(x_real) too: one more D forward pass on a real batch per G step
    fake_batches: int = 1  # independent generated batches per update; 2: out_f = (D(G(z)), D(G(z')))


Witness = Callable[[Tensor, Out, Out], Tensor]
"""For a ``features`` (or ``none``) head: ``witness(out_x, out_r, out_f) -> (n,)`` scalar scores of the points whose
D outputs are ``out_x``, higher = more real, given D's outputs on a reference real and generated batch. It is what
the 1D/2D views draw (``d_view = "score"``) and what a gradient penalty (``gp``, ``r1``, ``r2``) differentiates
for a head that has no scalar score of its own."""


def lipschitz_subset(*names: str) -> tuple[str, ...]:
    """``names`` in config order (``lipschitz.name``); ValueError for a name that is not a method."""
    unknown = set(names) - set(ALL_LIPSCHITZ)
    if unknown:
        raise ValueError(f"unknown Lipschitz methods {sorted(unknown)}; allowed: {', '.join(ALL_LIPSCHITZ)}")
    return tuple(m for m in ALL_LIPSCHITZ if m in names)
