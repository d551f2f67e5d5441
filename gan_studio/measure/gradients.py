"""The gradient and singular-value columns: gx_real, gx_fake, gx_interp, lip (‖∇ₓD‖) and sigma_d_<i>.

Torch nets in, numbers out; nets are left exactly as found (eval mode, restored; input gradients by
``torch.autograd.grad``, parameter ``.grad`` untouched), and the only random numbers come from the generator passed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gan_studio.lipschitz import input_gradient_norms as shared_grad_norms
from gan_studio.metrics import lipschitz_estimate, mean_norm, top_singular_value
from gan_studio.nets import eval_mode, weight_layers
from gan_studio.probes import CHUNK, grid_points


def _device(net: nn.Module) -> torch.device:
    """Where the net's first parameter lives (the CPU for a parameter-free net)."""
    p = next(net.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def input_gradient_norms(D: nn.Module, x: torch.Tensor) -> np.ndarray:
    """Per-sample ‖∇ₓD(x)‖₂ as a NumPy array, in chunks, D in eval mode (``lipschitz.input_gradient_norms``)."""
    out = [shared_grad_norms(D, x[i:i + CHUNK].detach()).double().cpu().numpy() for i in range(0, len(x), CHUNK)]
    return np.concatenate(out) if out else np.zeros(0)


def spectral_norms(D: nn.Module) -> dict[str, float]:
    """{"sigma_d_<i>": exact top singular value of weight layer i's EFFECTIVE weight} (i from 0, forward order).

    ``layer.weight`` is read in eval mode, so a spectrally normalised layer gives W/σ̂ without a power iteration
    (≈ 1 when σ̂ has converged). Conv weights are read as (out, in·kernel) matrices (transposed convs as
    (out, in·kernel) too, their weight being (in, out, ...)).
    """
    out = {}
    with eval_mode(D), torch.no_grad():
        for i, layer in enumerate(weight_layers(D)):
            w = layer.weight.detach()
            if isinstance(layer, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
                w = w.transpose(0, 1)
            out[f"sigma_d_{i}"] = top_singular_value(w.double().cpu().numpy())
    return out


def gradient_diagnostics(D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor, generator: torch.Generator,
                         bounds: np.ndarray | None = None, resolution: int = 100) -> dict[str, float]:
    """gx_real, gx_fake, gx_interp (mean ‖∇ₓD‖), lip (max over grid ∪ all those points), sigma_d_<i>.

    Interpolates x̂ = ε x_r + (1 − ε) x_f with ε ~ U(0, 1) drawn PER SAMPLE from ``generator`` (the only random
    numbers used), on the first min(n_real, n_fake) pairs. The grid (``resolution`` per axis over ``bounds``,
    points only; None = no grid) is the plotted one. lip is a lower bound of D's Lipschitz constant.
    """
    dev = _device(D)
    xr = x_real.detach().to(dev, torch.float32)
    xf = x_fake.detach().to(dev, torch.float32)
    m = min(len(xr), len(xf))
    eps = torch.rand(m, generator=generator, device=generator.device, dtype=torch.float32)
    eps = eps.to(dev).reshape((m,) + (1,) * (xr.dim() - 1))
    xi = eps * xr[:m] + (1 - eps) * xf[:m]
    parts = [xr, xf, xi]
    if bounds is not None and np.atleast_2d(bounds).shape[0] in (1, 2):
        parts.append(torch.as_tensor(grid_points(bounds, resolution), dtype=torch.float32, device=dev))
    # one backward pass over all points (D scores each point independently), then split
    norms = np.split(input_gradient_norms(D, torch.cat(parts)), np.cumsum([len(x) for x in parts])[:-1])
    n_r, n_f, n_i = norms[:3]
    n_grid = norms[3] if len(norms) > 3 else None
    row = {"gx_real": mean_norm(n_r), "gx_fake": mean_norm(n_f), "gx_interp": mean_norm(n_i),
           "lip": lipschitz_estimate(n_grid, n_r, n_f, n_i)}
    row.update(spectral_norms(D))
    return row

