"""Probes: turn the nets into pictures and diagnostics. Torch nets in, NumPy arrays out.

Rules every probe keeps:

- It leaves the nets exactly as it found them: nets are evaluated in eval mode (spectral normalization then
  uses its stored u, v and runs no power iteration) and every module's training flag is restored afterwards;
  parameters, buffers and parameter ``.grad`` are not touched (input gradients use ``torch.autograd.grad``).
- It consumes no random numbers except from a ``torch.Generator`` it is passed.
- Resolution is a parameter; the grid over ``bounds`` (dim, 2) is ``grid_axes``: ``resolution`` evenly spaced
  points per axis including both ends. 2D arrays are (gy, gx): row i is y = ys[i] (as ``frames.Surface2D``).

Measured cost at resolution 100 with a 2→128×3→1 ReLU MLP, one CPU thread: see ``PROBE_MS``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from scipy import stats
from torch import nn

from gan_studio.frames import Curves1D, Surface2D
from gan_studio.metrics import optimal_critic_1d, optimal_d
from gan_studio.nets import eval_mode

# Milliseconds per call at resolution 100 with a 2→128×3→1 ReLU MLP D (and 2→128×3→2 G), 2,500 samples, one torch
# thread and one BLAS thread (OMP_NUM_THREADS=1; with the default BLAS threads on the 2 shared cores the NumPy parts
# ran several times slower), development machine, median of 7; ±50 % run to run on the shared cores.
PROBE_MS = {
    "d_on_grid 2D": 11.0,
    "gen_density_on_grid 2D histogram": 0.2,
    "gen_density_on_grid 1D kde": 5.0,  # bimodal1d samples; ~2.5 of it choosing the bandwidth
    "data_density_on_grid ring8": 4.4,
    "surface_2d": 15.0,
    "push_directions": 3.7,
    "latent_grid k=21": 0.7,
    "curves_1d": 3.2,
    "gradient_diagnostics (grid + 3 × 2,500 points)": 35.0,
    "spectral_norms": 1.6,
}

LATENT_SPAN = {"gaussian": 2.5, "uniform": 1.0}  # latent_grid covers [−span, span] per latent axis
CHUNK = 16384  # points per forward pass on grids (bounds memory at resolution 400)

# ----------------------------------------------------------------------------------------------------- helpers
def _device(net: nn.Module, device: torch.device | str | None) -> torch.device:
    """``device`` if given, else where the net's first parameter lives (CPU for a parameter-free net)."""
    if device is not None:
        return torch.device(device)
    p = next(net.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def _np(x) -> np.ndarray:
    """float64 NumPy copy of a tensor or array."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def grid_axes(bounds: np.ndarray, resolution: int) -> list[np.ndarray]:
    """``resolution`` evenly spaced points over [lo, hi] on each axis of ``bounds`` (dim, 2), both ends included."""
    b = np.atleast_2d(np.asarray(bounds, dtype=np.float64))
    return [np.linspace(lo, hi, int(resolution)) for lo, hi in b]


def grid_points(bounds: np.ndarray, resolution: int) -> np.ndarray:
    """(m, dim) grid points: 1D xs[:, None]; 2D row-major over (y, x), i.e. point i·gx + j is (xs[j], ys[i])."""
    axes = grid_axes(bounds, resolution)
    if len(axes) == 1:
        return axes[0][:, None]
    if len(axes) != 2:
        raise ValueError(f"grids are for 1D or 2D points, got {len(axes)} axes")
    X, Y = np.meshgrid(axes[0], axes[1])  # (gy, gx)
    return np.stack([X.ravel(), Y.ravel()], axis=1)


def _scores(D: nn.Module, pts: np.ndarray, device: torch.device) -> np.ndarray:
    """D's raw scores at (m, dim) points, in chunks, no graph."""
    out = []
    with torch.no_grad():
        for i in range(0, len(pts), CHUNK):
            x = torch.as_tensor(pts[i:i + CHUNK], dtype=torch.float32, device=device)
            out.append(D(x).reshape(-1).double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


# ------------------------------------------------------------------------------------------------------ probes
def d_on_grid(D: nn.Module, bounds: np.ndarray, resolution: int = 100,
              device: torch.device | str | None = None) -> tuple[np.ndarray, ...]:
    """Raw D scores on the grid: 1D -> (xs, score (m,)); 2D -> (xs, ys, score (gy, gx))."""
    dev = _device(D, device)
    axes = grid_axes(bounds, resolution)
    with eval_mode(D):
        s = _scores(D, grid_points(bounds, resolution), dev)
    if len(axes) == 1:
        return axes[0], s
    return axes[0], axes[1], s.reshape(len(axes[1]), len(axes[0]))


KDE_LOO_POINTS = 250  # samples (a fixed-seed subsample) that score the candidate bandwidths
KDE_STEPS = 11  # candidate bandwidths Scott · 2^(−k/2), k = 0 … 10 (Scott down to Scott / 32)


def loo_bandwidth_1d(x: np.ndarray, scott: float) -> float:
    """The bandwidth ≤ ``scott`` among Scott · 2^(−k/2), k = 0 … 10, that maximises the leave-one-out
    log-likelihood Σᵢ log p̂₋ᵢ(xᵢ) of a Gaussian KDE (likelihood cross-validation) of 1D samples ``x``.

    Scott's rule takes the spread of the whole sample, so on multimodal samples it is as wide as the modes
    (bimodal1d: 0.43 for modes of std 0.5); the likelihood choice is ≈ 0.11 there and Scott's own value on
    Gaussian samples. Cost: the criterion is scored on KDE_LOO_POINTS samples drawn with a fixed seed from the
    sorted samples (deterministic and order-free), at the candidate widened by (n / m)^(1/5) since optimal
    bandwidths scale as n^(−1/5); one exp, then each halving of h² squares every kernel value (~2 ms).
    """
    n = len(x)
    if n < 3 or not scott > 0:
        return scott
    sub = np.sort(x)
    if n > KDE_LOO_POINTS:
        sub = np.random.default_rng(0).choice(sub, KDE_LOO_POINTS, replace=False)
    m = len(sub)
    h = scott * (n / m) ** 0.2
    K = np.exp(-np.subtract.outer(sub, sub) ** 2 / (2 * h * h))
    np.fill_diagonal(K, 0.0)  # leave each point out of its own density
    scores = []
    for k in range(KDE_STEPS):
        if k:
            K *= K  # h → h / √2 squares every kernel value
            K[K < 1e-150] = 0.0  # keep clear of denormals (slow)
        # Σᵢ log Σⱼ K(xᵢ − xⱼ) − m log h, up to a constant; log h drops by (k/2)·log 2
        scores.append(np.log(K.sum(1) + 1e-300).sum() + m * k * math.log(2) / 2)
    best = int(np.argmax(scores))
    t = float(best)
    if 0 < best < KDE_STEPS - 1:  # refine between the candidates: the vertex of a parabola through three
        curvature = scores[best - 1] - 2 * scores[best] + scores[best + 1]
        if curvature < 0:
            t += float(np.clip(0.5 * (scores[best - 1] - scores[best + 1]) / curvature, -0.5, 0.5))
    return scott * 2 ** (-t / 2)


def kde_1d(samples: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, str]:
    """Gaussian KDE of 1D samples at ``xs`` and a method string stating the estimator and its bandwidth.

    Bandwidth from ``loo_bandwidth_1d`` (Scott's rule would oversmooth multimodal samples), floored at the grid
    step so a collapsed generator still shows its mass on the grid (the method string says when the floor
    applied). Non-finite samples are left out and counted in the method string.
    """
    x = _np(samples).ravel()
    ok = np.isfinite(x)
    x = x[ok]
    xs = np.asarray(xs, dtype=np.float64)
    n = len(x)
    dropped = f", {int((~ok).sum())} non-finite left out" if (~ok).any() else ""
    if n == 0:
        return np.zeros_like(xs), f"no finite samples{dropped}"
    std = float(np.std(x, ddof=1)) if n > 1 else 0.0
    scott = std * n ** (-0.2)
    step = float(np.min(np.diff(np.sort(xs)))) if len(xs) > 1 else 1.0
    chosen = loo_bandwidth_1d(x, scott)
    h = max(chosen, step)
    if std > 0:
        dens = stats.gaussian_kde(x, bw_method=h / std)(xs)
    else:  # all samples equal: one kernel of the floor width at that point
        dens = np.exp(-0.5 * ((xs - x[0]) / h) ** 2) / (h * math.sqrt(2 * math.pi))
    # short: the view puts this string in its legend
    if not scott > 0:
        how = f"Gaussian KDE, h = {h:.3g} (collapsed: grid step)"
    elif h > chosen:
        how = f"Gaussian KDE, h = {h:.3g} (grid step > leave-one-out {chosen:.3g})"
    else:
        how = f"Gaussian KDE, h = {h:.3g} (leave-one-out)"
    return dens, f"{how}, n = {n}{dropped}"


def hist_2d(samples: np.ndarray, bounds: np.ndarray, resolution: int) -> tuple[np.ndarray, str]:
    """2D histogram density (gy, gx) with one cell centred on each grid point (count / (n · cell area))."""
    x = _np(samples).reshape(-1, 2)
    n = len(x)
    xs, ys = grid_axes(bounds, resolution)
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    ex = np.concatenate([xs - dx / 2, [xs[-1] + dx / 2]])
    ey = np.concatenate([ys - dy / 2, [ys[-1] + dy / 2]])
    ok = np.all(np.isfinite(x), axis=1)
    H, _, _ = np.histogram2d(x[ok, 0], x[ok, 1], bins=[ex, ey])
    dens = H.T / (max(n, 1) * dx * dy)
    outside = n - int(H.sum())
    return dens, f"histogram, cell {dx:.3g} × {dy:.3g}, n = {n}, {outside} outside the plot"


def gen_density_on_grid(samples, bounds: np.ndarray, resolution: int = 100) -> tuple[np.ndarray, str]:
    """Estimated generator density on the grid and a method string for the view.

    1D: (m,) Gaussian KDE (``kde_1d``). 2D: (gy, gx) histogram with cells centred on the grid points (fast,
    ~0.2 ms at 100²; a 2D KDE cost ~0.2 s at 100² with 2,500 samples, too slow for a live view).
    """
    b = np.atleast_2d(np.asarray(bounds, dtype=np.float64))
    if b.shape[0] == 1:
        return kde_1d(samples, grid_axes(b, resolution)[0])
    return hist_2d(samples, b, resolution)


def data_density_on_grid(dataset, bounds: np.ndarray, resolution: int = 100) -> np.ndarray | None:
    """The data set's exact density on the grid ((m,) or (gy, gx)), None when it has none."""
    pts = grid_points(bounds, resolution)
    dens = dataset.density(pts)
    if dens is None:
        return None
    dens = np.asarray(dens, dtype=np.float64)
    return dens if pts.shape[1] == 1 else dens.reshape(resolution, resolution)


def probe_bounds(bounds: np.ndarray, samples: np.ndarray, max_factor: float = 2.0) -> np.ndarray:
    """The data's plot bounds widened to hold the 1st–99th percentile of ``samples`` (a generator that
    wandered off), at most ``max_factor`` × the data's half-width around its centre on each axis.

    Widened edges snap outward to multiples of 1/8 of the data's width, so the probed region changes in
    steps (a steady picture, and the data density on it can be cached) rather than with every frame.
    """
    b = np.asarray(bounds, dtype=float)
    finite = np.asarray(samples, dtype=float)
    finite = finite[np.isfinite(finite).all(1)]
    if not len(finite):
        return b
    centre, half = b.mean(1), (b[:, 1] - b[:, 0]) / 2 * max_factor
    unit = (b[:, 1] - b[:, 0]) / 8
    lo = np.minimum(np.percentile(finite, 1, axis=0), b[:, 0])
    hi = np.maximum(np.percentile(finite, 99, axis=0), b[:, 1])
    lo = np.where(lo < b[:, 0], b[:, 0] - np.ceil((b[:, 0] - lo) / unit) * unit, b[:, 0])
    hi = np.where(hi > b[:, 1], b[:, 1] + np.ceil((hi - b[:, 1]) / unit) * unit, b[:, 1])
    return np.stack([np.maximum(lo, centre - half), np.minimum(hi, centre + half)], axis=1)


def surface_2d(dataset, D: nn.Module, gen_samples, resolution: int = 100, device=None,
               bounds: np.ndarray | None = None, data_density: np.ndarray | None = None) -> Surface2D:
    """``frames.Surface2D``: D's score, the generator's histogram density and the exact data density (if any).

    ``data_density``: the data density on this grid when the caller has it already (it never changes).
    """
    b = dataset.bounds if bounds is None else bounds
    xs, ys, score = d_on_grid(D, b, resolution, device)
    gen, _ = gen_density_on_grid(gen_samples, b, resolution)
    if data_density is None:
        data_density = data_density_on_grid(dataset, b, resolution)
    return Surface2D(xs=xs, ys=ys, score=score, gen_density=gen, data_density=data_density)


def push_directions(D: nn.Module, g_loss: Callable[[torch.Tensor], torch.Tensor],
                    fake: torch.Tensor | np.ndarray) -> np.ndarray:
    """(n, dim) −∇ₓ ℓ_G(D(x)) at each generated point: where the generator loss pushes each sample.

    ``g_loss`` maps D's outputs (the caller reshapes a score head's) to the batch MEAN of per-sample terms ℓ_G(s_i)
    (every objective's g_loss, its state bound), and D scores each point independently (no batch norm in D), so
    the gradient of n·g_loss(D(x)) with respect to x_i is ∇ℓ_G(D(x_i)): one backward pass gives every per-sample
    direction (for the kernel and relativistic losses, whose terms couple samples, it is still the direction G's
    loss moves x_i). Parameter .grad is not touched.
    """
    dev = _device(D, None)
    fake = torch.as_tensor(fake) if not isinstance(fake, torch.Tensor) else fake
    x = fake.detach().to(dev, torch.float32).clone().requires_grad_(True)
    with eval_mode(D), torch.enable_grad():
        lg = g_loss(D(x))
        (grad,) = torch.autograd.grad(lg, x)
    return (-grad * x.shape[0]).reshape(x.shape[0], -1).double().cpu().numpy()


def latent_span(kind: str) -> float:
    """Half-width of the latent range the latent probes cover: 2.5 for gaussian, 1 for uniform."""
    if kind not in LATENT_SPAN:
        raise ValueError(f"unknown latent kind {kind!r}; allowed: {', '.join(LATENT_SPAN)}")
    return LATENT_SPAN[kind]


def latent_grid(G: nn.Module, latent_dim: int, kind: str, k: int = 21,
                device: torch.device | str | None = None) -> np.ndarray | None:
    """G applied to grid lines of the latent plane: (2, k, k, dim), or (1, 1, k, dim) for latent_dim 1.

    latent_dim 2: t = k points on [−span, span] (span 2.5 gaussian, 1 uniform); out[0, i, j] = G(t_j, t_i)
    (line i: z₂ fixed at t_i, z₁ varying), out[1, i, j] = G(t_i, t_j) (line i: z₁ fixed). latent_dim 1: the
    single line G(t_j) as out[0, 0, j]. latent_dim ≥ 3: None (no plane to draw).
    """
    if latent_dim >= 3:
        return None
    span = latent_span(kind)
    dev = _device(G, device)
    t = torch.linspace(-span, span, k, device=dev)
    if latent_dim == 1:
        z = t[:, None]
    else:
        z1, z2 = torch.meshgrid(t, t, indexing="xy")  # z1[i, j] = t_j, z2[i, j] = t_i
        rows = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)
        cols = torch.stack([z2.reshape(-1), z1.reshape(-1)], dim=1)
        z = torch.cat([rows, cols])
    with eval_mode(G), torch.no_grad():
        out = G(z).reshape(len(z), -1).double().cpu().numpy()
    dim = out.shape[1]
    return out.reshape(1, 1, k, dim) if latent_dim == 1 else out.reshape(2, k, k, dim)


def curves_1d(dataset, D: nn.Module, gen_samples, resolution: int = 100, device=None, *,
              G: nn.Module | None = None, latent_dim: int = 0, latent_kind: str = "gaussian", k: int = 101,
              data_samples=None, bounds: np.ndarray | None = None) -> Curves1D:
    """``frames.Curves1D`` for a 1D data set on ``resolution`` points over its bounds.

    data_density: exact pdf (None if unknown). gen_density: ``kde_1d`` of ``gen_samples``. score: raw D.
    optimal_d: p_data / (p_data + p̂_g) (None without a data density). optimal_critic: ``optimal_critic_1d``
    with the exact CDF, else the ECDF of ``data_samples``, else None; zero mean under p_data, slope ±1.
    z, gz: k latent values over the latent span and G(z), when ``G`` is given and latent_dim == 1.
    """
    b = dataset.bounds if bounds is None else bounds
    xs, score = d_on_grid(D, b, resolution, device)
    gen, how = gen_density_on_grid(gen_samples, b, resolution)
    dd = data_density_on_grid(dataset, b, resolution)
    g = _np(gen_samples).ravel()
    F = dataset.cdf(xs)
    if F is not None:
        critic, _ = optimal_critic_1d(xs, g, data_cdf=F)
    elif data_samples is not None:
        critic, _ = optimal_critic_1d(xs, g, data_samples=_np(data_samples).ravel())
    else:
        critic = None
    z = gz = None
    if G is not None and latent_dim == 1:
        line = latent_grid(G, 1, latent_kind, k, device)
        z = np.linspace(-latent_span(latent_kind), latent_span(latent_kind), k)
        gz = line[0, 0, :, 0]
    return Curves1D(xs=xs, data_density=dd, gen_density=gen, gen_density_method=how, score=score,
                    optimal_d=None if dd is None else optimal_d(dd, gen), optimal_critic=critic, z=z, gz=gz)
