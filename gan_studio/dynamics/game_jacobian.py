"""The Jacobian of the full game's gradient field for the studio's real nets, with ``torch.func``.

The field is the one of ``dynamics.dirac`` (same sign convention): what simultaneous gradient descent follows,

    v(p) = (−∇_{p_G} L_G, −∇_{p_D} L_D),   p = (p_G, p_D) all parameters of G then D, flattened,

with L_D = d_loss(D(x_r), D(G(z)), state), L_G = g_loss(D(G(z)), state) of a ``gan_studio.objectives``
objective on *fixed* real and latent batches (so v is a deterministic function of p). ``game_jacobian`` returns
J = ∂v/∂p (forward-over-reverse: ``jacfwd`` of ``grad``) at the nets' current parameters and its eigenvalues:
eigenvalues with a positive real part push away from the current point; purely imaginary ones make the
game circle it (Mescheder et al. 2018, Section 2).

Cost: J is dense, N × N for N parameters, and jacfwd does N forward passes of the gradient. Refused above
``MAX_PARAMS`` with a message saying how many parameters the nets have.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, jacfwd

MAX_PARAMS = 3000  # a 3,000² float64 Jacobian is 72 MB and its eigenvalues take seconds; larger nets are refused


class GameLoss(Protocol):
    """What ``game_jacobian`` needs of an objective (``gan_studio.objectives.base.Objective`` is one)."""

    d_loss: Callable[..., Tensor]  # (out_r, out_f, state) -> mean loss D minimises
    g_loss: Callable[..., Tensor]  # (out_r or None, out_f, state), or the older (out_f, state) -> mean loss of G
    init_state: Callable[[], Any]


@dataclass(frozen=True)
class GameJacobian:
    """J = ∂v/∂p at the current parameters, its eigenvalues, and which entries of p belong to whom."""

    matrix: np.ndarray  # (N, N), rows: components of v, columns: parameters
    eigenvalues: np.ndarray  # complex (N,), sorted by real then imaginary part
    field: np.ndarray  # (N,) v itself: an equilibrium has v = 0
    names: tuple[str, ...]  # "G.<name>" / "D.<name>" of each parameter tensor, in p's order
    sizes: tuple[int, ...]  # number of entries of each
    n_g: int  # the first n_g entries of p are G's


def g_loss_takes_real(objective: GameLoss) -> bool:
    """Whether ``g_loss`` takes (out_r, out_f, state) rather than (out_f, state).

    Transitional: the objectives' G loss is moving to the D loss's signature (relativistic losses need the real
    scores); drop this, and the ``getattr`` defaults below, once every objective has it.
    """
    return len(inspect.signature(objective.g_loss).parameters) == 3


def _g_needs_real(objective: GameLoss) -> bool:
    """The new signature passes ``out_r = None`` unless the objective sets ``g_needs_real``."""
    return bool(getattr(objective, "g_needs_real", False))


def game_jacobian(G: nn.Module, D: nn.Module, objective: GameLoss, real: Tensor, z: Tensor, state: Any = None,
                  max_params: int = MAX_PARAMS, dtype: torch.dtype | None = torch.float64) -> GameJacobian:
    """The Jacobian of the simultaneous-gradient field of the game at G's and D's current parameters.

    ``real`` and ``z`` are fixed batches; ``state`` the objective's state (default ``objective.init_state()``).
    ``dtype``: parameters and batches are cast to it (float64 by default: eigenvalues near the imaginary axis
    need the digits; modules with float32 buffers need ``dtype=None``). The modules are used as they are
    (train or eval mode); their parameters are not changed. ValueError when G and D have more than
    ``max_params`` parameters together.
    """
    named = [(f"G.{n}", p) for n, p in G.named_parameters()] + [(f"D.{n}", p) for n, p in D.named_parameters()]
    sizes = tuple(p.numel() for _, p in named)
    n_g = sum(p.numel() for p in G.parameters())
    total = sum(sizes)
    if total > max_params:
        raise ValueError(f"game Jacobian: G and D have {total:,} parameters together (G {n_g:,}, D {total - n_g:,}); "
                         f"the dense Jacobian is computed for at most {max_params:,} (a {total:,}² matrix would take "
                         f"{total * total * 8 / 1e6:,.0f} MB); use smaller nets")
    if getattr(objective, "fake_batches", 1) != 1:
        raise ValueError("game Jacobian: objectives with two generated batches per update (fake_batches = 2) "
                         "are not supported")
    state = objective.init_state() if state is None else state
    cast = (lambda t: t.detach().to(dtype)) if dtype is not None else (lambda t: t.detach())
    real, z = cast(real), cast(z)
    p0 = torch.cat([cast(p).reshape(-1) for _, p in named]) if named else torch.zeros(0)
    shapes = [p.shape for _, p in named]
    g_keys = [n[2:] for n, _ in named[: len(list(G.parameters()))]]
    d_keys = [n[2:] for n, _ in named[len(g_keys):]]
    takes_real, needs_real = g_loss_takes_real(objective), _g_needs_real(objective)

    def unflatten(p: Tensor) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        parts = [t.view(shape) for t, shape in zip(torch.split(p, sizes), shapes, strict=True)]
        return dict(zip(g_keys, parts[: len(g_keys)], strict=True)), dict(zip(d_keys, parts[len(g_keys):],
                                                                                strict=True))

    def field(p: Tensor) -> Tensor:
        g_params, d_params = unflatten(p)

        def d_loss(d_p: dict[str, Tensor]) -> Tensor:
            fake = functional_call(G, g_params, (z,))
            return objective.d_loss(functional_call(D, d_p, (real,)), functional_call(D, d_p, (fake,)), state)

        def g_loss(g_p: dict[str, Tensor]) -> Tensor:
            out_f = functional_call(D, d_params, (functional_call(G, g_p, (z,)),))
            if takes_real:
                out_r = functional_call(D, d_params, (real,)) if needs_real else None
                return objective.g_loss(out_r, out_f, state)
            return objective.g_loss(out_f, state)

        grads_g, grads_d = grad(g_loss)(g_params), grad(d_loss)(d_params)
        flat = [grads_g[k].reshape(-1) for k in g_keys] + [grads_d[k].reshape(-1) for k in d_keys]
        return -torch.cat(flat)

    matrix = jacfwd(field)(p0).detach().cpu().numpy()
    eigenvalues = np.linalg.eigvals(matrix.astype(np.float64)) if total else np.zeros(0, complex)
    order = np.lexsort((eigenvalues.imag, eigenvalues.real))
    return GameJacobian(matrix, eigenvalues[order], field(p0).detach().cpu().numpy(),
                        tuple(n for n, _ in named), sizes, n_g)
