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



def activation_gradient_norms(D: nn.Module, x: torch.Tensor, layers: list[nn.Module] | None = None) -> list[float]:
    """Mean over the points of ‖∂D(x)/∂a_i‖₂ for each weight layer i (forward order), a_i = that layer's INPUT
    activation (a_0 = x, so entry 0 is the mean ‖∇ₓD‖): the quantity of Gulrajani et al. 2017, Fig. 1b.

    Unlike the parameter-gradient norms (grad_d_<i>), which stay within about one decade through a clipped critic,
    these multiply by every layer's weights on the way back and so show a deep clipped critic's gradient vanishing
    (or exploding) layer by layer. D scores each point on its own, so the gradient of the summed scores with respect
    to a_i holds each point's own gradient; norms are per point (row), then averaged. D in eval mode (restored);
    parameter ``.grad`` untouched. ``layers``: the layers to read (default ``nets.weight_layers(D)``). NaN for a
    layer the forward pass did not reach.
    """
    layers = weight_layers(D) if layers is None else layers
    inputs: dict[int, torch.Tensor] = {}

    def keep(i: int):
        def hook(_module, args):
            if i not in inputs:  # the first call is the forward pass of x (a layer used twice keeps its first input)
                inputs[i] = args[0]
        return hook

    dev = _device(D)
    sums = np.zeros(len(layers))
    counts = np.zeros(len(layers))
    handles = [layer.register_forward_pre_hook(keep(i)) for i, layer in enumerate(layers)]
    try:
        with eval_mode(D), torch.enable_grad():
            for start in range(0, len(x), CHUNK):
                inputs.clear()
                chunk = x[start:start + CHUNK].detach().to(dev, torch.float32).requires_grad_(True)
                score = D(chunk).reshape(-1)
                reached = sorted(inputs)
                if not reached:  # no weight layer on the way (GMMN's D is the samples themselves): nothing to read
                    break
                grads = torch.autograd.grad(score.sum(), [inputs[i] for i in reached], allow_unused=True)
                for i, grad in zip(reached, grads, strict=True):
                    if grad is not None:
                        norms = grad.detach().flatten(1).double().norm(dim=1)
                        sums[i] += float(norms.sum())
                        counts[i] += len(norms)
    finally:
        for handle in handles:
            handle.remove()
    with np.errstate(invalid="ignore", divide="ignore"):
        return [float(s / c) if c else float("nan") for s, c in zip(sums, counts, strict=True)]


def activation_gradient_columns(D: nn.Module, x: torch.Tensor, n_layers: int) -> dict[str, float]:
    """{"grad_act_d_<i>": ``activation_gradient_norms``} for the first ``n_layers`` weight layers (the run's
    header: a D built later with more layers reports its first ``n_layers``)."""
    norms = activation_gradient_norms(D, x)[:n_layers]
    return {f"grad_act_d_{i}": value for i, value in enumerate(norms)}
