"""Non-finite values found without stopping the device: watched losses and the last finite state, read by the host
once per logged step (issue 15).

Reading a GPU tensor's value on the host (``bool``, ``item``, ``.cpu()``) waits for every queued kernel; the
check ``if not torch.isfinite(loss).all()`` after every update made the host wait on the GPU several times a
step. Instead the engine hands each update's loss to a ``LossWatch`` (a reference is kept, nothing is read) and,
after every step, the step's state to ``KeptStates``, which keeps it on the device *only while every loss so far
was finite* (the row it is written to is chosen on the device; no branch on the host). At a logged step the
host reads the watched losses once: when one is NaN or Inf, the first of them names the quantity and the step,
and ``KeptStates`` holds the states of the two steps before it, what a check after every update would have
kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class FirstNonFinite:
    """The first watched value that was NaN or Inf: what it was, its value and the step it was computed in."""

    what: str
    value: float
    step: int


class LossWatch:
    """The losses of the updates since the last check, kept as device tensors and read only by ``first_bad``."""

    def __init__(self) -> None:
        self._values: list[Tensor] = []
        self._labels: list[tuple[str, int]] = []
        self._step_start = 0  # index of the current step's first value

    def add(self, value: Tensor, what: str, step: int) -> None:
        """Keep ``value`` (a 0-d loss: the values are stacked) computed during ``step`` under the name ``what``;
        nothing is read."""
        self._values.append(value.detach())
        self._labels.append((what, step))

    def step_finite(self) -> Tensor | None:
        """A 0-d bool device tensor: whether every value added since the last call is finite (None: none added)."""
        values, self._step_start = self._values[self._step_start:], len(self._values)
        if not values:
            return None
        return torch.isfinite(torch.stack(values)).all()

    def first_bad(self) -> FirstNonFinite | None:
        """The first non-finite value since the last ``clear`` or None: one host read for all of them."""
        if not self._values:
            return None
        values = torch.stack(self._values).cpu()  # the one synchronisation
        bad = (~torch.isfinite(values)).nonzero()
        if len(bad) == 0:
            return None
        index = int(bad[0, 0])
        what, step = self._labels[index]
        return FirstNonFinite(what, float(values[index]), step)

    def clear(self) -> None:
        """Forget every value (after a check)."""
        self._values, self._labels, self._step_start = [], [], 0


class KeptStates:
    """The states of the last two steps after which every watched loss was still finite, kept on the device.

    ``tensors`` are live references (the nets' parameters and buffers, updated in place by the optimizers). Each
    ``push`` flattens them (one buffer per dtype) into a row chosen on the device: rows 0 and 1 take turns holding
    the newest and the older kept state; after a non-finite loss every later state goes to row 2, which is never
    read. The host only records which steps were pushed, with the objective's state after each (a Python mapping,
    kept by reference). Measured on the bench setting's nets (CPU, one thread, a busy machine): 105 µs a push, where
    a plain copy of the state (what the engine took after every step before) took 90 µs and a ``torch.where`` over
    both copies instead of choosing a row 265 µs."""

    def __init__(self, tensors: Mapping[str, Tensor], step: int, objective_state: Mapping) -> None:
        self.names = list(tensors)
        self._live = list(tensors.values())
        self._shapes = [t.shape for t in self._live]
        self._groups: dict[torch.dtype, list[int]] = {}
        for i, t in enumerate(self._live):
            self._groups.setdefault(t.dtype, []).append(i)
        self._rows = {dtype: flat.expand(3, -1).clone() for dtype, flat in self._flat().items()}
        device = self._live[0].device if self._live else torch.device("cpu")
        self._finite = torch.ones((), dtype=torch.bool, device=device)  # every loss since the start finite
        self._kept = torch.zeros((), dtype=torch.long, device=device)  # states pushed while all were finite
        self._base = (step, objective_state)  # what rows 0 and 1 hold at the start
        self._pushed: list[tuple[int, Mapping]] = []

    def _flat(self) -> dict[torch.dtype, Tensor]:
        return {dtype: torch.cat([self._live[i].detach().reshape(-1) for i in idx]) for dtype, idx in
                self._groups.items()}

    def push(self, finite: Tensor | None, step: int, objective_state: Mapping) -> None:
        """After ``step``: keep the current state as the newest (the newest becomes the older one) if ``finite``
        (a 0-d device bool for this step's losses; None: no loss this step) and every earlier step's losses were
        finite; otherwise leave both as they are. No host synchronisation."""
        if finite is not None:
            self._finite = self._finite & finite
        row = torch.where(self._finite, self._kept % 2, 2)
        for dtype, flat in self._flat().items():
            self._rows[dtype].index_copy_(0, row.reshape(1), flat.unsqueeze(0))
        self._kept = self._kept + self._finite
        self._pushed.append((step, objective_state))

    def checked(self) -> None:
        """Every loss so far was read and finite: forget the steps ``kept`` can no longer name."""
        del self._pushed[:-2]

    def kept(self, first_bad_step: int | None) -> list[tuple[int, dict[str, Tensor], Mapping]]:
        """(step, tensors by name, objective state) of the newest and the older kept state, given the step of the
        first non-finite loss since the start (None: none; then every pushed step was kept). Reads the device."""
        kept = int(self._kept)
        steps = [self._base, self._base] + [p for p in self._pushed if first_bad_step is None or p[0] < first_bad_step]
        return [(steps[-1][0], self._unflat((kept - 1) % 2), steps[-1][1]),
                (steps[-2][0], self._unflat(kept % 2), steps[-2][1])]

    def _unflat(self, row: int) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        for dtype, idx in self._groups.items():
            sizes = [self._shapes[i].numel() for i in idx]
            for i, part in zip(idx, self._rows[dtype][row].split(sizes), strict=True):
                out[self.names[i]] = part.reshape(self._shapes[i])
        return out
