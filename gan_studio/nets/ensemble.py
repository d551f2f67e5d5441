"""Batched nets for seed ensembles: N copies of one MLP evaluated at once with batched matrix products.

A batched net is built from N member nets of one architecture (``nets.mlp``, ``nets.heads``): every ``nn.Linear``
becomes a ``BatchedLinear`` holding the N members' weights stacked, (N, out, in), and biases, (N, out); the
activations are elementwise and shared. Inputs and outputs gain a leading member axis: x (N, n, d) → D's scores
(N, n). Member k's slice of every tensor is exactly its own net's, so ``member_state(k)`` gives a state dict that
loads into the member's plain net.

Why own batched layers rather than ``torch.func.stack_module_state`` + ``functional_call`` + ``vmap``: measured on
the default D (MLP 128×3, batch 256, 32 members, one CPU thread), forward + backward took 34.7 ms with
``torch.baddbmm`` (before the changes noted at ``BatchedLinear``) and 38.2 ms with ``vmap`` (single net: 0.97 ms),
and plain layers make spectral norm per member (a batched power iteration on (N, out, in)) and the per-member
gradient norms direct.

Spectral norm per member (``BatchedLinear.sn``) follows ``torch.nn.utils.parametrizations.spectral_norm`` with
one power iteration per forward in training mode and none in eval mode: u ← normalize(W v), v ← normalize(Wᵀ u),
σ = uᵀ W v, weight W/σ, u and v kept between forwards.

Only MLPs on points and flattened images take part; a conv net is refused (``ConfigError``) by ``batch_nets``.
"""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import platform

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_studio.config import ConfigError
from gan_studio.nets.heads import AutoencoderD, FeaturesD, SamplesD, reconstruction_energy
from gan_studio.nets.mlp import MLPDiscriminator, MLPGenerator
from gan_studio.objectives.base import Reconstruction

SN_EPS = 1e-12  # as torch's spectral_norm
# activations that act in place in a batched net: each follows a BatchedLinear whose fresh output nothing else
# reads, and their backward needs only their result, so autograd allows it; a (32, 256, 128) ReLU then makes no
# new 4 MiB tensor (measured, one thread: bmm + bias + ReLU 2.86 ms → 2.42 ms; D forward + backward 30.4 → 24.9 ms
# with the weight layout and the bias add of ``BatchedLinear``)
IN_PLACE_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU)
# glibc's malloc hands blocks of ≥ 128 KiB back to the kernel when freed (mmap/munmap, heap trimming); a batched
# net's activations are (N, n, width) floats, 4 MiB for 32 members × 256 × 128, so every one was fresh pages again.
# Measured (32 members, default 2D config, 1 thread, 2 shared cores): 2,700–5,500 page faults per step before,
# 25–100 after, CPU time per step 166–173 ms → 153–168 ms in three paired runs. Freed memory stays with the process
# (up to these limits) instead; the values computed do not change.
MALLOC_KEEP_BYTES = 32 << 20  # glibc's largest allowed mmap threshold on 64-bit (32 MiB)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
_kept = False


def keep_freed_memory() -> None:
    """Ask glibc's malloc (Linux only; nothing elsewhere) to keep freed blocks up to ``MALLOC_KEEP_BYTES`` for
    reuse rather than return them to the kernel, once per process (see ``MALLOC_KEEP_BYTES``)."""
    global _kept
    if _kept or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    _kept = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MALLOC_KEEP_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, 8 * MALLOC_KEEP_BYTES)
    except (OSError, AttributeError):  # another C library after all: its defaults stay
        pass


class BatchedLinear(nn.Module):
    """N Linear layers of the same shape: y[k] = x[k] W[k]ᵀ + b[k] for x (N, n, in) → (N, n, out)."""

    def __init__(self, layers: list[nn.Linear]):
        super().__init__()
        # (N, out, in) as a member's weight, stored (N, in, out) in memory: the forward's product x Wᵀ then reads
        # a contiguous matrix, and the weight's gradient (computed as xᵀ g, (N, in, out)) already has the
        # parameter's strides, so autograd does not copy it into another layout (``forward``)
        self.weight = nn.Parameter(torch.stack([layer.weight.detach().t() for layer in layers]).transpose(1, 2))
        self.bias = nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]).clone())
        self.sn = False  # spectral norm on: u (N, out) and v (N, in) are buffers then
        self.register_buffer("u", None)
        self.register_buffer("v", None)

    @property
    def members(self) -> int:
        """N, the number of stacked layers."""
        return self.weight.shape[0]

    def attach_sn(self, u: Tensor, v: Tensor, iterations: int) -> None:
        """Spectral norm on, from starting vectors u (out,) and v (in,) shared by every member followed by
        ``iterations`` power iterations per member (v first, as ``lipschitz.SpectralNorm._init_vectors``)."""
        with torch.no_grad():
            w = self.weight
            u = F.normalize(u.to(w).expand(self.members, -1), dim=1, eps=SN_EPS)
            v = F.normalize(v.to(w).expand(self.members, -1), dim=1, eps=SN_EPS)
            for _ in range(iterations):
                v = F.normalize(torch.bmm(w.transpose(1, 2), u.unsqueeze(2)).squeeze(2), dim=1, eps=SN_EPS)
                u = F.normalize(torch.bmm(w, v.unsqueeze(2)).squeeze(2), dim=1, eps=SN_EPS)
        self.u, self.v, self.sn = u.contiguous(), v.contiguous(), True

    def detach_sn(self) -> None:
        """Spectral norm off: the raw weights act again."""
        self.u, self.v, self.sn = None, None, False

    def effective_weight(self, iterate: bool | None = None) -> Tensor:
        """(N, out, in): the weights as the forward uses them, W/σ(W) per member under spectral norm, σ = uᵀ W v.
        With ``iterate`` (default: in training mode) one power iteration per member runs first, as torch's
        spectral norm does on every training forward; eval mode uses u and v as they are."""
        w = self.weight
        if not self.sn:
            return w
        if self.training if iterate is None else iterate:
            with torch.no_grad():
                self.u = F.normalize(torch.bmm(w, self.v.unsqueeze(2)).squeeze(2), dim=1, eps=SN_EPS)
                self.v = F.normalize(torch.bmm(w.transpose(1, 2), self.u.unsqueeze(2)).squeeze(2), dim=1,
                                     eps=SN_EPS)
        sigma = (self.u.unsqueeze(1) @ torch.bmm(w, self.v.unsqueeze(2))).reshape(-1, 1, 1)
        return w / sigma

    def forward(self, x: Tensor) -> Tensor:
        """(N, n, in) → (N, n, out).

        The product, then the bias added in place: ``torch.baddbmm`` copies the broadcast bias into the whole
        (N, n, out) output before the product reads it back, one more pass over memory (measured, one CPU thread,
        (32, 256, 128) by (32, 128, 128): baddbmm 2.34 ms, bmm + add_ 2.20 ms; on the loaded 2-core machine that
        copy took as long as the product in a profile of an ensemble step)."""
        return torch.bmm(x, self.effective_weight().transpose(1, 2)).add_(self.bias.unsqueeze(1))


def _batched_copy(members: list[nn.Module]) -> nn.Module:
    """A copy of ``members[0]`` whose every nn.Linear is a BatchedLinear of the members' corresponding layers."""
    template = copy.deepcopy(members[0])
    linears = [[m for m in member.modules() if isinstance(m, nn.Linear)] for member in members]
    names = [name for name, m in template.named_modules() if isinstance(m, nn.Linear)]
    for i, name in enumerate(names):
        parent_name, _, attr = name.rpartition(".")
        parent = template.get_submodule(parent_name) if parent_name else template
        setattr(parent, attr, BatchedLinear([layers[i] for layers in linears]))
    for module in template.modules():
        if isinstance(module, IN_PLACE_ACTIVATIONS):
            module.inplace = True  # see IN_PLACE_ACTIVATIONS
    return template


class BatchedNet(nn.Module):
    """N member nets of one kind evaluated at once; inputs and outputs carry a leading member axis."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        kinds = {type(m) for m in members}
        if len(kinds) != 1:
            raise ValueError(f"ensemble members must be nets of one kind, got {sorted(k.__name__ for k in kinds)}")
        kind = kinds.pop()
        if kind not in (MLPGenerator, MLPDiscriminator, FeaturesD, AutoencoderD, SamplesD):
            raise ConfigError(f"model.arch: a seed ensemble (train.seeds > 1) trains MLPs only, not {kind.__name__}; "
                              "use model.arch mlp, or train.seeds 1")
        self.kind = kind
        self.inner = _batched_copy(members)
        self.members = len(members)

    def forward(self, x: Tensor):
        """x (N, n, *shape) → the members' outputs: (N, n, *data_shape) for G, scores (N, n), features (N, n, k),
        ``Reconstruction(energy (N, n), code (N, n, c))``, or the flattened samples (N, n, d) (no D)."""
        inner = self.inner
        if self.kind is MLPGenerator:
            return inner.net(x).reshape(x.shape[0], x.shape[1], *inner.data_shape)
        flat = x.flatten(2)
        if self.kind is MLPDiscriminator:
            return inner.net(flat).squeeze(-1)
        if self.kind is FeaturesD:
            return inner.net(flat)
        if self.kind is AutoencoderD:
            code = inner.encoder(flat)
            x_hat = inner.decoder(code)
            energy = reconstruction_energy(flat.flatten(0, 1), x_hat.flatten(0, 1), inner.energy)
            return Reconstruction(energy.reshape(flat.shape[:2]), code)
        return flat  # SamplesD: no discriminator

    def layers(self) -> list[BatchedLinear]:
        """The batched weight layers in forward order (``nets.weight_layers`` of a member, batched)."""
        return [m for m in self.modules() if isinstance(m, BatchedLinear)]

    def member_state(self, k: int, effective: bool = False) -> dict[str, Tensor]:
        """Member k's tensors under its plain net's state-dict names (``effective``: W/σ under spectral norm, as a
        member's parametrised layer returns its weight in eval mode)."""
        out = {}
        for name, module in self.inner.named_modules():
            if isinstance(module, BatchedLinear):
                prefix = f"{name}." if name else ""
                with torch.no_grad():
                    weight = module.effective_weight(iterate=False) if effective else module.weight
                out[prefix + "weight"] = weight[k].detach().clone()
                out[prefix + "bias"] = module.bias[k].detach().clone()
        return out

    def load_member(self, k: int, state: dict[str, Tensor]) -> None:
        """Put a member net's state dict (raw weights) into slot k."""
        with torch.no_grad():
            for name, module in self.inner.named_modules():
                if isinstance(module, BatchedLinear):
                    prefix = f"{name}." if name else ""
                    module.weight[k].copy_(state[prefix + "weight"])
                    module.bias[k].copy_(state[prefix + "bias"])


def member_out(out, k: int):
    """Member k's slice of a batched output: a tensor, a ``Reconstruction`` or a tuple of them."""
    if isinstance(out, Reconstruction):
        return Reconstruction(out.energy[k], out.code[k])
    if isinstance(out, tuple):
        return tuple(member_out(o, k) for o in out)
    return out[k]
