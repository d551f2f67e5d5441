"""``gan_studio.packed``: a nest of tensors copied into one memory map, refilled in place, pickled compactly."""

from __future__ import annotations

import ctypes
import pickle
import platform

import pytest

torch = pytest.importorskip("torch")

from gan_studio.packed import ALIGN, compact_copy, packed_copy, tensors_in  # noqa: E402


def nest(seed: int = 0) -> dict:
    """A state-dict-like nest: odd sizes (alignment), several dtypes, a 0-d tensor, a tuple, non-tensor leaves."""
    g = torch.Generator().manual_seed(seed)
    return {"w": torch.randn(7, 5, generator=g), "b": torch.randn(3, generator=g).double(),
            "steps": torch.tensor(4.0), "idx": torch.arange(5, dtype=torch.int64) * seed,
            "opt": ({"lr": 0.1, "names": ["a", "b"]}, [torch.randn(2, 2, generator=g)]), "note": "x", "none": None}


def storage_base(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def test_packed_copy_equals_the_original_and_shares_nothing_with_it():
    value = nest(1)
    copy = packed_copy(value)
    assert copy["note"] == "x" and copy["none"] is None and copy["opt"][0] == {"lr": 0.1, "names": ["a", "b"]}
    assert isinstance(copy["opt"], tuple) and isinstance(copy["opt"][1], list)
    for original, copied in zip(tensors_in(value), tensors_in(copy), strict=True):
        assert torch.equal(original, copied) and copied.dtype == original.dtype
        assert copied.untyped_storage().data_ptr() != original.untyped_storage().data_ptr()
    value["w"].add_(1.0)  # the live tensors move on; the copy does not
    assert not torch.equal(value["w"], copy["w"])


def test_cpu_tensors_lie_in_one_block_each_aligned():
    copy = packed_copy(nest(2))
    tensors = tensors_in(copy)
    assert len({storage_base(t) for t in tensors}) == 1  # one block
    base = storage_base(tensors[0])
    offsets = [t.data_ptr() - base for t in tensors]
    assert all(at % ALIGN == 0 for at in offsets)
    ends = sorted((at, at + t.element_size() * t.nelement()) for at, t in zip(offsets, tensors, strict=True))
    assert all(end <= start for (_, end), (start, _) in zip(ends, ends[1:], strict=False))  # no overlaps


def test_refill_reuses_the_block_when_the_layout_matches_and_makes_a_new_one_otherwise():
    old = packed_copy(nest(3))
    block = storage_base(old["w"])
    again = packed_copy(nest(4), into=old)
    assert storage_base(again["w"]) == block
    assert all(torch.equal(a, b) for a, b in zip(tensors_in(again), tensors_in(nest(4)), strict=True))
    wider = nest(5)
    wider["w"] = torch.ones(8, 5)
    other = packed_copy(wider, into=again)
    assert storage_base(other["w"]) != block and torch.equal(other["w"], torch.ones(8, 5))
    assert torch.equal(again["w"], nest(4)["w"])  # the mismatched ``into`` was left as it was


def test_compact_copy_pickles_to_the_tensors_own_size():
    """A packed view pickles its whole block; ``compact_copy`` of 50 tensors pickles to their own bytes (within
    15 %: pickle's ~300 B per tensor), where the views pickle to 50 blocks."""
    value = {f"t{i}": torch.full((1024,), float(i)) for i in range(50)}  # 4 KiB each, 200 KiB in all
    packed = packed_copy(value)
    compact = pickle.dumps(compact_copy(packed))
    assert len(compact) == pytest.approx(50 * 4096, rel=0.15)
    assert len(pickle.dumps(packed)) > 20 * len(compact)
    assert all(torch.equal(a, b) for a, b in zip(tensors_in(pickle.loads(compact)), tensors_in(value), strict=True))


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallinfo2")
def test_the_block_is_outside_the_c_heap():
    """The point of the module: 8 MiB of 32 KiB tensors (each below malloc's mmap threshold) packed take almost
    nothing from glibc's malloc, counted independently by ``mallinfo2`` (bytes in use in every arena plus its own
    mmapped chunks): < 5 % of them (the tensor objects themselves, ~0.7 KB each), where clones take them all."""

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

    libc = ctypes.CDLL("libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc older than 2.33")
    libc.mallinfo2.restype = MallInfo2

    def malloced() -> int:
        info = libc.mallinfo2()
        return info.uordblks + info.hblkhd

    value = [torch.full((8192,), float(i)) for i in range(256)]  # 8 MiB of tensor data
    before = malloced()
    copy = packed_copy(value)
    grown = malloced() - before
    assert torch.equal(copy[-1], value[-1])
    assert grown < 0.05 * 8 * 2**20
    unpacked_before = malloced()
    clones = [t.clone() for t in value]  # the same copy as ordinary tensors: all of it from malloc
    assert malloced() - unpacked_before > 0.9 * 8 * 2**20
    del clones
