"""The latent space as pictures: paths between two codes, the latent map, and inversion by optimisation.

Torch nets in, NumPy out (``frames.LatentPath``, ``frames.LatentMap``, ``frames.Inversion``), under the rules of
``probes``: nets are evaluated in eval mode and left as found (training flags restored, parameters and their
``.grad`` untouched: the inversion differentiates with ``torch.autograd.grad`` with respect to z only), and random
numbers come only from a ``torch.Generator`` passed in.

- **Paths** (White 2016, "Sampling generative networks"): ``lerp`` is the straight line a + t(b − a); ``slerp``
  follows the great circle, sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b with Ω the angle between a and b. For a
  Gaussian latent a straight path passes near the origin, where codes are rare in high dimension; the spherical
  one keeps norms typical. Either way G along the path crosses whatever lies between the two points it lands on:
  between two modes that is the empty space the explainers call a dead zone.
- **Latent map**: each code of a grid over the latent plane (or line) is labelled by the mode G sends it to
  (``metrics.coverage.nearest_mode``), −1 beyond ``HQ_STDS`` stds from every mode (the high-quality rule of the
  mode-coverage columns), and also by its nearest mode however far. Mode collapse shows as one mode taking most of
  the plane (nearest), before G is sharp enough to land within reach of it.
- **Inversion**: a GAN has no encoder, so z for a point x* is found by gradient descent on ‖G(z) − x*‖² from
  several random starts (Adam; a uniform latent is clamped to its box after every step); the search paths, every
  start's final error and the best code come back.

Measured cost (2→128×3→2 ReLU MLP, one torch thread, development machine): see ``LATENT_MS``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from gan_studio.frames import Inversion, LatentMap, LatentPath
from gan_studio.metrics.coverage import HQ_STDS, nearest_mode
from gan_studio.nets import eval_mode, sample_latent
from gan_studio.nets.mapping import split_generator
from gan_studio.probes import latent_span

LATENT_MS = {  # fastest of 21 calls (the 2 shared cores ran at load ~17; medians were 2–4× these)
    "latent_map 2D 32×32 in z": 1.2,
    "latent_map 2D 32×32 in z and w (mapping = 1)": 2.7,
    "paths: lerp + slerp in z": 0.5,
    "paths: lerp + slerp in z, lerp in w": 0.9,
    "measure.frame.latent_pictures, of a 65 ms probed ring8 frame (grid 100)": 2.0,
    "invert: 16 starts × 200 iterations (one click, not per frame)": 140.0,  # 280–320 ms under that load
    "measure.frame.image_latent_pictures, digits preset (49 + 18 images) of a 38 ms probed frame": 1.6,
    "invert_image: digits preset, 16 starts × 200 iterations (one click)": 450.0,
}
MAP_RESOLUTION = 32  # latent map cells per axis (2D latent; 48 cost 11 ms of a 60 ms probed frame, 32 cost ~5 ms);
# a 1D latent gets MAP_RESOLUTION² / 8 cells along its line
PATH_POINTS = 64  # points along each interpolation path
SLERP_PARALLEL = 1e-6  # below this angle (radians) slerp is the straight line (sin Ω → 0)
W_MARGIN = 0.1  # the w plane spans the mapped display codes' 0.5–99.5 percentiles, widened by this share


# ------------------------------------------------------------------------------------------------------- paths
def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(k, d) points a + t (b − a) for each t in ``t`` (k,)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)[:, None]
    return a + t * (b - a)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(k, d) spherical interpolation sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, Ω the angle between a and b.

    Norms are interpolated along with directions (for |a| = |b| every point has that norm). Nearly parallel codes
    (Ω < SLERP_PARALLEL) and a zero code give the straight line; antiparallel codes (Ω = π) have no unique great
    circle, and the formula's 0/0 is replaced by the straight line too.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return lerp(a, b, t)
    omega = math.acos(float(np.clip(a @ b / (na * nb), -1.0, 1.0)))
    so = math.sin(omega)
    if omega < SLERP_PARALLEL or so < SLERP_PARALLEL:
        return lerp(a, b, t)
    t = np.asarray(t, dtype=np.float64)[:, None]
    return np.sin((1 - t) * omega) / so * a + np.sin(t * omega) / so * b


PATH_MAX_ANGLE = 150.0  # degrees: the far end of the paths is the display code most nearly opposite the first,
# up to this angle (at 180° the spherical path is not unique)
PATH_CANDIDATES = 64  # display codes the far end is chosen among


def path_ends(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two fixed codes for the paths: the first of ``codes`` (m, d), and among the next PATH_CANDIDATES the one at
    the largest angle to it that is ≤ PATH_MAX_ANGLE (in 1D: the first code of the other sign), so the two usually
    land far apart in data space and the spherical path is well defined. Deterministic in ``codes``."""
    c = np.asarray(codes, dtype=np.float64)
    a, rest = c[0], c[1:PATH_CANDIDATES + 1]
    norms = np.linalg.norm(rest, axis=1) * max(float(np.linalg.norm(a)), 1e-12)
    angle = np.degrees(np.arccos(np.clip(rest @ a / np.maximum(norms, 1e-12), -1.0, 1.0)))
    if c.shape[1] == 1:  # a line has only two directions: 0° and 180°; take the other side
        other = np.flatnonzero(angle > 90)
        return a, rest[other[0]] if len(other) else -a
    ok = np.flatnonzero(angle <= PATH_MAX_ANGLE)
    return a, rest[ok[np.argmax(angle[ok])]] if len(ok) else rest[0]


def _forward(net: nn.Module, codes: np.ndarray, device: torch.device) -> np.ndarray:
    """``net`` on (m, d) codes, no graph, as float64 (m, -1)."""
    with eval_mode(net), torch.no_grad():
        out = net(torch.as_tensor(codes, dtype=torch.float32, device=device))
    return out.reshape(len(codes), -1).double().cpu().numpy()


def _device(G: nn.Module) -> torch.device:
    p = next(G.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def _labels(points: np.ndarray, centres, stds) -> np.ndarray | None:
    """Mode index of each point, −1 beyond HQ_STDS stds of its nearest mode; None without modes."""
    if centres is None or stds is None:
        return None
    idx, dist = nearest_mode(points, centres, stds)
    return np.where(dist < HQ_STDS, idx, -1)


def _map(space: str, xs, ys, points: np.ndarray, centres: np.ndarray, stds, codes) -> LatentMap:
    """A LatentMap of G's ``points`` at the grid codes (labels within HQ_STDS, and the nearest mode however far)."""
    idx, dist = nearest_mode(points, centres, stds)
    shape = (1, len(xs)) if ys is None else (len(ys), len(xs))
    # int16: the frame crosses a process boundary at the paint rate (two int64 32×32 maps were 16 kB of it)
    return LatentMap(space, xs, ys, np.where(dist < HQ_STDS, idx, -1).reshape(shape).astype(np.int16),
                     len(centres), HQ_STDS, codes, centres, idx.reshape(shape).astype(np.int16))


def paths(G: nn.Module, a: np.ndarray, b: np.ndarray, k: int = PATH_POINTS, centres=None, stds=None
          ) -> tuple[LatentPath, ...]:
    """G along the straight and the spherical path from code ``a`` to code ``b`` (z space) and, when G has a
    mapping network, along the straight path from w(a) to w(b) in w space (StyleGAN interpolates w linearly)."""
    mapping, synthesis = split_generator(G)
    dev = _device(G)
    t = np.linspace(0.0, 1.0, k)
    out = []
    for kind, fn in (("lerp", lerp), ("slerp", slerp)):
        codes = fn(a, b, t)
        pts = _forward(G, codes, dev)
        out.append(LatentPath("z", kind, t, codes, pts, _labels(pts, centres, stds)))
    if mapping is not None:
        wa, wb = _forward(mapping, np.stack([a, b]), dev)
        codes = lerp(wa, wb, t)
        pts = _forward(synthesis, codes, dev)
        out.append(LatentPath("w", "lerp", t, codes, pts, _labels(pts, centres, stds)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------- map
def plane_axes(lo: np.ndarray, hi: np.ndarray, latent_dim: int, resolution: int = MAP_RESOLUTION
               ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(xs, ys or None, codes) of the map's grid over [lo, hi] per axis: 2D row-major over (y, x) like
    ``probes.grid_points`` (code i·gx + j is (xs[j], ys[i])); 1D: MAP_RESOLUTION²/8 codes along the line."""
    if latent_dim == 1:
        xs = np.linspace(lo[0], hi[0], max(resolution * resolution // 8, 2))
        return xs, None, xs[:, None]
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, np.stack([X.ravel(), Y.ravel()], axis=1)


def latent_map(G: nn.Module, latent_dim: int, kind: str, centres, stds, resolution: int = MAP_RESOLUTION,
               display_z: np.ndarray | None = None) -> tuple[LatentMap, ...]:
    """The latent map in z (over ±``probes.latent_span(kind)``) and, with a mapping network, in w (over the
    mapped ``display_z``'s 0.5–99.5 percentiles widened by W_MARGIN, or the image of the z square without them).

    () when the latent has more than 2 dimensions or the data has no modes (nothing to colour by).
    """
    if latent_dim > 2 or centres is None or stds is None:
        return ()
    mapping, synthesis = split_generator(G)
    dev = _device(G)
    span = latent_span(kind)
    lo, hi = np.full(latent_dim, -span), np.full(latent_dim, span)
    xs, ys, codes = plane_axes(lo, hi, latent_dim, resolution)
    centres = np.asarray(centres, dtype=np.float64)
    maps = [_map("z", xs, ys, _forward(G, codes, dev), centres, stds,
                 None if display_z is None else np.asarray(display_z, dtype=np.float64))]
    if mapping is not None:
        w_cloud = _forward(mapping, display_z if display_z is not None else codes, dev)
        wlo, whi = np.percentile(w_cloud, 0.5, axis=0), np.percentile(w_cloud, 99.5, axis=0)
        pad = np.maximum(whi - wlo, 1e-3) * W_MARGIN
        wxs, wys, wcodes = plane_axes(wlo - pad, whi + pad, latent_dim, resolution)
        maps.append(_map("w", wxs, wys, _forward(synthesis, wcodes, dev), centres, stds,
                         w_cloud if display_z is not None else None))
    return tuple(maps)


# ---------------------------------------------------------------------------------------------------- inversion
INVERT_STARTS = 16  # random starts, descending as one batch. A descent can stop in a local minimum: measured on a
# 2→64×2→2 uniform-latent net, all 8 starts of one of 12 points stopped at error 0.1 on the box edge; 16 reached
# every point (worst 5e-4) at the same cost (~0.14 s a point, one thread)
INVERT_ITERATIONS = 200
INVERT_LR = 0.05
INVERT_RECORD_EVERY = 5  # iterations between recorded points of each search path


def invert(G: nn.Module, target: np.ndarray, latent_dim: int, kind: str, rng: torch.Generator, step: int = 0,
           starts: int = INVERT_STARTS, iterations: int = INVERT_ITERATIONS, lr: float = INVERT_LR,
           record_x: bool = True) -> Inversion:
    """Find z with G(z) ≈ ``target`` by Adam on ‖G(z) − target‖² from ``starts`` codes drawn from the latent
    distribution with ``rng`` (all starts descend together as one batch: each one's gradient is its own, since
    the loss is a sum over starts and G treats samples independently in eval mode).

    A uniform latent is clamped to [−1, 1] after each step (projected descent); a Gaussian one is free (no prior
    term: the answer is the best reconstruction, however unlikely its z). The search paths are recorded every
    INVERT_RECORD_EVERY iterations and at the end; without ``record_x`` ``paths_x`` holds each search's end only
    (m = 1: an image's search path in pixel space is 41 images per start, too much to send for nothing drawn).
    """
    dev = _device(G)
    x_star = torch.as_tensor(np.asarray(target, dtype=np.float64).reshape(1, -1), dtype=torch.float32, device=dev)
    z = sample_latent(starts, latent_dim, kind, rng, dev).clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    recorded_z = [z.detach().clone()]
    with eval_mode(G), torch.enable_grad():
        for i in range(1, iterations + 1):
            loss = ((G(z).reshape(starts, -1) - x_star) ** 2).sum()
            (grad,) = torch.autograd.grad(loss, z)
            z.grad = grad
            opt.step()
            if kind == "uniform":
                with torch.no_grad():
                    z.clamp_(-1.0, 1.0)
            if i % INVERT_RECORD_EVERY == 0 or i == iterations:
                recorded_z.append(z.detach().clone())
    paths_z = torch.stack(recorded_z, dim=1).double().cpu().numpy()  # (starts, m, latent_dim)
    kept = paths_z if record_x else paths_z[:, -1:]
    m = kept.shape[1]
    paths_x = _forward(G, kept.reshape(starts * m, latent_dim), dev).reshape(starts, m, -1)
    errors = np.linalg.norm(paths_x[:, -1] - x_star.double().cpu().numpy(), axis=1)
    best = int(np.argmin(errors))
    return Inversion(step=int(step), target=np.asarray(target, dtype=np.float64).ravel(), paths_z=paths_z,
                     paths_x=paths_x, errors=errors, best=best, z=paths_z[best, -1], x=paths_x[best, -1],
                     error=float(errors[best]),
                     method=f"Adam, {starts} starts × {iterations} iterations, lr {lr:g}")


# ------------------------------------------------------------------------------------------------------ images
IMAGE_MAP_CELLS = 7  # small multiples per axis of an image latent map: 49 images (digits: 8×8 pixels each, 3 kB
# as uint8; MNIST 28×28: 38 kB a probed frame); odd, so the middle cell is the plane's origin
IMAGE_PATH_POINTS = 9  # images along each path A → B (the Images tab's strips have 10)
SLICE_MARGIN = 1.2  # a 2D slice of a larger latent spans ± this × the larger of |A| and |B| on both axes


def slice_basis(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(2, d) orthonormal rows u, v spanning the plane through the origin, ``a`` and ``b`` (Gram–Schmidt: u along
    a, v along b's part orthogonal to a). Both the straight and the spherical path from a to b lie in that plane,
    so a map over it shows A, B and both paths exactly. A zero ``a`` takes the first axis; ``b`` parallel to ``a``
    takes the axis least aligned with u for v."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    na = float(np.linalg.norm(a))
    u = a / na if na > 0 else np.eye(len(a))[0]
    v = b - (b @ u) * u
    if np.linalg.norm(v) <= 1e-9 * max(float(np.linalg.norm(b)), 1.0):
        e = np.eye(len(a))[int(np.argmin(np.abs(u)))]
        v = e - (e @ u) * u
    return np.stack([u, v / np.linalg.norm(v)])


def _unit_pixels(x: np.ndarray) -> np.ndarray:
    """G's pixels in [−1, 1] → [0, 1] (clipped), as the image views draw them (``measure.images.to_unit``)."""
    return np.clip((np.asarray(x, dtype=np.float64) + 1.0) / 2.0, 0.0, 1.0)


def _image_shape(G: nn.Module, latent_dim: int, dev: torch.device) -> tuple[int, ...]:
    with eval_mode(G), torch.no_grad():
        return tuple(G(torch.zeros(1, latent_dim, device=dev)).shape[1:])


def image_map(G: nn.Module, latent_dim: int, kind: str, a: np.ndarray, b: np.ndarray,
              cells: int = IMAGE_MAP_CELLS, display_z: np.ndarray | None = None) -> LatentMap:
    """The latent map of an image generator: G's image at each cell of a ``cells``×``cells`` grid (small
    multiples). A 2D latent: the grid spans ±``probes.latent_span(kind)``; a 1D one: 2·``cells`` codes along its
    line; a larger one: the 2D slice through the origin, A and B (``slice_basis``), ±SLICE_MARGIN·max(|A|, |B|)
    on both axes (its centre holds codes of atypically small norm: a Gaussian latent's codes have |z| ≈ √d).
    ``codes`` carries ``display_z`` in the plane's coordinates (for a slice: projected onto it)."""
    dev = _device(G)
    basis = None
    if latent_dim <= 2:
        span = latent_span(kind)
        if latent_dim == 1:
            xs, ys = np.linspace(-span, span, 2 * cells), None
            codes = xs[:, None]
        else:
            xs, ys, codes = plane_axes(np.array([-span, -span]), np.array([span, span]), 2, cells)
    else:
        basis = slice_basis(a, b)
        r = SLICE_MARGIN * max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-6)
        xs, ys, plane = plane_axes(np.array([-r, -r]), np.array([r, r]), 2, cells)
        codes = plane @ basis
    shape = _image_shape(G, latent_dim, dev)
    pixels = _unit_pixels(_forward(G, codes, dev))
    gy = 1 if ys is None else len(ys)
    images = np.round(255 * pixels).astype(np.uint8).reshape(gy, len(xs), *shape)
    cloud = None
    if display_z is not None:
        cloud = np.asarray(display_z, dtype=np.float64)
        cloud = cloud @ basis.T if basis is not None else cloud
    return LatentMap("z", xs, ys, np.full((gy, len(xs)), -1, dtype=np.int16), 0, HQ_STDS, cloud,
                     basis=basis, images=images)


def image_paths(G: nn.Module, a: np.ndarray, b: np.ndarray, k: int = IMAGE_PATH_POINTS) -> tuple[LatentPath, ...]:
    """``paths`` for an image generator: its points are G's images flattened, in [0, 1] as float32 (half the
    bytes: they cross a process boundary with every probed frame), no labels."""
    out = []
    for p in paths(G, a, b, k):
        out.append(LatentPath(p.space, p.kind, p.t, p.codes, _unit_pixels(p.points).astype(np.float32)))
    return tuple(out)


def invert_image(G: nn.Module, image: np.ndarray, latent_dim: int, kind: str, rng: torch.Generator,
                 step: int = 0, index: int = -1, starts: int = INVERT_STARTS,
                 iterations: int = INVERT_ITERATIONS, lr: float = INVERT_LR) -> Inversion:
    """``invert`` for a real image (C, H, W) in G's range [−1, 1]: the descent minimises the pixel squared error
    (the mean squared error up to the constant C·H·W, so the same minimiser); the answer's images are in [0, 1]
    and its errors ‖G(z) − x*‖ in those units (half of [−1, 1] ones: MSE = error² / (C·H·W)), with each search's
    end only (``record_x`` off). The best start's z is what a click on the reconstruction makes A or B."""
    image = np.asarray(image, dtype=np.float64)
    inv = invert(G, image.ravel(), latent_dim, kind, rng, step, starts, iterations, lr, record_x=False)
    return Inversion(step=inv.step, target=_unit_pixels(inv.target), paths_z=inv.paths_z,
                     paths_x=_unit_pixels(inv.paths_x), errors=inv.errors / 2.0, best=inv.best, z=inv.z,
                     x=_unit_pixels(inv.x), error=inv.error / 2.0, method=inv.method + ", pixel squared error",
                     image_shape=tuple(image.shape), image_index=int(index))
