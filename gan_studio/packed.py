"""Copies of a nest of tensors kept in one block of memory of their own (issue 17: the rewind store's snapshots).

``packed_copy(value)`` copies every tensor in ``value`` (dicts, lists and tuples followed). The CPU tensors are
copied into one anonymous memory map per call, as views of it; tensors on another device are cloned there.

Why a memory map: the worker keeps up to 256 MB of snapshots, each ~0.8 MB made of ~30 tensors, and thins them as
it goes. As ordinary tensors they lived in glibc's heap among the frames', packets' and measurements' short-lived
allocations. The heap's free bytes then grew while the bytes in use stayed flat: the process grew 140 MB an hour
once the store was full (measured with ``mallinfo2``, 25 minutes at the default cap), even with thinned snapshots
refilled in place. A memory map is outside that heap: taking one never splits a free block there, and dropping it
gives its pages back to the kernel at once. After: an hour of the window at full speed on the default preset
(``bench/soak.py window``, 442,000 steps), the worker stayed at 762–764 MB (+0.3 MB/h) once the store was full.

``packed_copy(value, into=old)`` copies into ``old``'s block instead when ``old`` is a packed copy with the same
tensors in the same order (shapes, dtypes, devices): a thinned snapshot's memory is filled again, with no new map.
"""

from __future__ import annotations

import mmap
from collections.abc import Mapping

import torch

ALIGN = 64  # bytes: every tensor starts on a cache line (and on a multiple of any element size)


def tensors_in(value) -> list[torch.Tensor]:
    """The tensors in ``value``, depth first in the order ``packed_copy`` lays them out."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in tensors_in(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors_in(v)]
    return []


def _layout(tensors: list[torch.Tensor]) -> list[tuple]:
    return [(t.shape, t.dtype, t.device) for t in tensors]


def _rebuilt(value, copies):
    """``value`` with its tensors replaced, in order, by the next of ``copies`` (an iterator)."""
    if isinstance(value, torch.Tensor):
        return next(copies)
    if isinstance(value, Mapping):
        return {k: _rebuilt(v, copies) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_rebuilt(v, copies) for v in value)
    return value


def _offsets(tensors: list[torch.Tensor]) -> tuple[list[int], int]:
    """Each CPU tensor's byte offset in the block (``ALIGN``-ed), and the block's size."""
    offsets, end = [], 0
    for t in tensors:
        offsets.append(end)
        end += -(-t.element_size() * t.nelement() // ALIGN) * ALIGN
    return offsets, max(end, ALIGN)


def _empty_in_block(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """Uninitialised tensors shaped as ``tensors``: views of one new anonymous memory map for the CPU ones, new
    tensors on their device for the others. The map is unmapped when the last view is gone."""
    cpu = [t for t in tensors if t.device.type == "cpu"]
    offsets, size = _offsets(cpu)
    block = torch.frombuffer(mmap.mmap(-1, size), dtype=torch.uint8) if cpu else None  # views keep the map alive
    where = {id(t): at for t, at in zip(cpu, offsets, strict=True)}
    out = []
    for t in tensors:
        if t.device.type == "cpu":
            at = where[id(t)]
            out.append(block[at:at + t.element_size() * t.nelement()].view(t.dtype).view(t.shape))
        else:
            out.append(torch.empty_like(t, memory_format=torch.contiguous_format))
    return out


def packed_copy(value, into=None):
    """``value`` with every tensor copied (detached) and shared with nothing live: the CPU ones into one memory
    map (module docstring). ``into``: an earlier ``packed_copy`` no longer wanted; when its tensors line up with
    ``value``'s (same count, shapes, dtypes, devices, in order) they are overwritten and returned instead of new
    ones. Dicts become plain dicts; every other value is kept as it is."""
    tensors = tensors_in(value)
    old = tensors_in(into) if into is not None else []
    targets = old if _layout(old) == _layout(tensors) else _empty_in_block(tensors)
    with torch.no_grad():
        for target, t in zip(targets, tensors, strict=True):
            target.copy_(t)
    return _rebuilt(value, iter(targets))


def compact_copy(value):
    """``value`` with every tensor cloned into storage of its own (a packed copy's views each pickle their whole
    block: this is what a packed state pickles as)."""
    return _rebuilt(value, iter([t.detach().clone() for t in tensors_in(value)]))
