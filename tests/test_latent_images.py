"""The latent tools on image generators (issue 12): the slice of a large latent, the image latent map (small
multiples), the paths' images, inversion of a real image, picking the paths' ends, and one latent map per class
for a conditional G drawn for every class. Engine side only (the window's side: tests/test_latent_view.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gan_studio import config, latent
from gan_studio.nets import build_generator
from gan_studio.probes import latent_span


class LinearImages(nn.Module):
    """G(z) = tanh(W z) as a (1, 3, 4) image, W fixed and seeded: every image is known in closed form."""

    def __init__(self, latent_dim: int, seed: int = 0):
        super().__init__()
        w = torch.randn(12, latent_dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 0.4
        self.w = nn.Parameter(w.float())

    def forward(self, z):
        return torch.tanh(z @ self.w.T).reshape(-1, 1, 3, 4)

    def numpy(self, codes: np.ndarray) -> np.ndarray:
        """The same map in float64 NumPy: (m, 12) pixels in [−1, 1]."""
        return np.tanh(np.asarray(codes, float) @ self.w.detach().double().numpy().T)


def _ends(d: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=d), rng.normal(size=d)


def test_slice_basis_is_orthonormal_and_holds_both_ends():
    a, b = _ends(32)
    basis = latent.slice_basis(a, b)
    assert basis @ basis.T == pytest.approx(np.eye(2), abs=1e-12)
    assert basis[0] == pytest.approx(a / np.linalg.norm(a), abs=1e-12)  # u along A
    for v in (a, b):  # both ends (and so both paths) lie in the plane: projecting and lifting gives them back
        assert (v @ basis.T) @ basis == pytest.approx(v, abs=1e-12)
    # degenerate ends: B parallel to A, A zero; still an orthonormal plane holding them
    for a2, b2 in [(a, -2.5 * a), (np.zeros(32), b)]:
        bb = latent.slice_basis(a2, b2)
        assert bb @ bb.T == pytest.approx(np.eye(2), abs=1e-12)
        assert (b2 @ bb.T) @ bb == pytest.approx(b2, abs=1e-9)


def test_image_map_draws_g_at_each_code_of_the_slice():
    d = 6
    G = LinearImages(d)
    a, b = _ends(d)
    cloud = np.random.default_rng(2).normal(size=(40, d))
    lmap = latent.image_map(G, d, "gaussian", a, b, cells=5, display_z=cloud)
    assert lmap.images.shape == (5, 5, 1, 3, 4) and lmap.images.dtype == np.uint8
    assert lmap.n_modes == 0 and (lmap.labels == -1).all()
    # independently: u = a/|a|, v = b's part ⟂ u normalised; cell (i, j) is xs[j]·u + ys[i]·v over ±1.2·max(|a|,|b|)
    u = a / np.linalg.norm(a)
    v = b - (b @ u) * u
    v /= np.linalg.norm(v)
    r = latent.SLICE_MARGIN * max(np.linalg.norm(a), np.linalg.norm(b))
    assert lmap.xs == pytest.approx(np.linspace(-r, r, 5), abs=1e-12)
    assert lmap.ys == pytest.approx(np.linspace(-r, r, 5), abs=1e-12)
    codes = lmap.xs[None, :, None] * u + lmap.ys[:, None, None] * v  # (5, 5, d), row i at ys[i]
    expected = np.round(255 * np.clip((G.numpy(codes.reshape(-1, d)) + 1) / 2, 0, 1)).reshape(5, 5, 1, 3, 4)
    # G runs in float32: a pixel may round to the neighbouring uint8 level, never further
    assert np.abs(lmap.images.astype(int) - expected.astype(int)).max() <= 1
    assert lmap.codes == pytest.approx(cloud @ np.stack([u, v]).T, abs=1e-12)  # the cloud projected onto the plane
    # a 2D latent is its own plane, over the latent's span
    lmap2 = latent.image_map(LinearImages(2), 2, "uniform", a[:2], b[:2], cells=3)
    assert lmap2.basis is None and lmap2.xs == pytest.approx([-latent_span("uniform"), 0, latent_span("uniform")])
    grid = np.stack(np.meshgrid(lmap2.xs, lmap2.ys), -1).reshape(-1, 2)
    exp2 = np.round(255 * np.clip((LinearImages(2).numpy(grid) + 1) / 2, 0, 1)).reshape(3, 3, 1, 3, 4)
    assert np.abs(lmap2.images.astype(int) - exp2.astype(int)).max() <= 1


def test_image_paths_lie_in_the_slice_and_are_pixels_in_the_unit_range():
    d = 6
    G = LinearImages(d)
    a, b = _ends(d)
    lerp_path, slerp_path = latent.image_paths(G, a, b, k=9)
    basis = latent.slice_basis(a, b)
    for path, fn in ((lerp_path, latent.lerp), (slerp_path, latent.slerp)):
        assert path.codes == pytest.approx(fn(a, b, np.linspace(0, 1, 9)), abs=1e-12)
        assert (path.codes @ basis.T) @ basis == pytest.approx(path.codes, abs=1e-9)  # in the map's plane
        assert path.points.dtype == np.float32 and path.points.shape == (9, 12)
        assert path.points == pytest.approx((G.numpy(path.codes) + 1) / 2, abs=1e-6)  # float32 through G


INVERT_MSE = 1e-6  # pixel MSE in [0, 1] units; measured 1.2e-12 to 2.6e-11 over the 3 planted codes below (the
# bound leaves room for other torch builds; a miss of the planted image is ~1e-2)


def _image_g(latent_dim: int = 8, seed: int = 4) -> nn.Module:
    torch.manual_seed(seed)
    cfg = config.ModelConfig(arch="mlp", latent_dim=latent_dim, hidden=64, depth=2, activation="leaky_relu")
    return build_generator(cfg, (1, 8, 8))


@pytest.mark.parametrize("i", [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)])
def test_image_inversion_recovers_a_planted_codes_image(i):
    G = _image_g()
    planted = torch.randn(3, 8, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        targets = G(planted).double().numpy()  # (3, 1, 8, 8) in [−1, 1]
    for target in targets[i:i + 1]:  # ~1.5 s each on a loaded 2-core machine: one in the fast run
        inv = latent.invert_image(G, target, 8, "gaussian", torch.Generator().manual_seed(0), step=3, index=i)
        assert inv.image_shape == (1, 8, 8) and inv.image_index == i and inv.step == 3
        assert inv.paths_x.shape == (latent.INVERT_STARTS, 1, 64)  # each search's end only
        unit_target = np.clip((target.ravel() + 1) / 2, 0, 1)
        assert inv.target == pytest.approx(unit_target, abs=1e-12)
        # the reported error is ‖G(z*) − target‖ in [0, 1] units, recomputed here from z* independently
        with torch.no_grad():
            x = (G(torch.as_tensor(inv.z[None], dtype=torch.float32)).double().numpy().ravel() + 1) / 2
        assert inv.x == pytest.approx(x, abs=1e-6)
        assert inv.error == pytest.approx(np.linalg.norm(x - unit_target), rel=1e-4, abs=1e-6)
        assert inv.error ** 2 / 64 < INVERT_MSE
        # and the search did the work: the starts' codes were far worse
        with torch.no_grad():
            start_x = (G(torch.as_tensor(inv.paths_z[:, 0], dtype=torch.float32)).double().numpy() + 1) / 2
        start_mse = ((start_x.reshape(len(start_x), -1) - unit_target) ** 2).mean(1).min()
        assert start_mse > 10 * inv.error ** 2 / 64


# ------------------------------------------------------------------------------------------- through the trainer


def _trainer(**keys):
    from gan_studio.engine import Trainer

    cfg = config.Config()
    for key, value in keys.items():
        cfg = config.with_value(cfg, key, value)
    return Trainer(cfg)


def test_an_image_runs_frame_carries_the_map_and_paths_and_ends_can_be_picked():
    t = _trainer(**{"data.name": "digits", "model.arch": "mlp", "model.latent_dim": 16, "model.hidden": 32,
                    "model.depth": 2})
    t.step()
    frame = t.frame()
    (lmap,) = frame.latent_maps
    assert lmap.images.shape == (latent.IMAGE_MAP_CELLS, latent.IMAGE_MAP_CELLS, 1, 8, 8)
    assert lmap.basis.shape == (2, 16) and lmap.codes.shape == (64, 2)  # the probe's 64 sample codes, projected
    assert [(p.space, p.kind) for p in frame.latent_paths] == [("z", "lerp"), ("z", "slerp")]
    assert frame.latent_paths[0].points.shape == (latent.IMAGE_PATH_POINTS, 64)
    assert t.frame(probe=False).latent_maps == ()  # a cheap frame carries none
    new_a = np.linspace(-1, 1, 16)
    t.pick_path_end("a", tuple(new_a))
    again = t.frame()
    assert again.latent_paths[0].codes[0] == pytest.approx(new_a, abs=0)
    assert again.latent_paths[0].codes[-1] == pytest.approx(frame.latent_paths[0].codes[-1], abs=0)  # B kept
    assert again.latent_maps[0].basis[0] == pytest.approx(new_a / np.linalg.norm(new_a), abs=1e-12)  # the slice
    for bad, match in [(("c", new_a), "is not an end"), (("b", new_a[:3]), "must be 16 finite")]:
        with pytest.raises(config.ConfigError, match=match):
            t.pick_path_end(bad[0], tuple(bad[1]))
    inv = t.invert((5,))
    assert inv.target == pytest.approx(frame.images["real"][5].ravel(), abs=1e-6)  # the image the window showed
    with pytest.raises(config.ConfigError, match="index of a real image shown, 0 to 63"):
        t.invert((64,))


def test_a_conditional_map_for_every_class_is_one_map_per_class():
    from gan_studio.presets import load_preset

    cfg = config.with_value(load_preset("ring8-conditional"), "model.shown_class", -1)
    cfg = config.with_value(cfg, "model.hidden", 32)
    from gan_studio.engine import Trainer

    t = Trainer(cfg)
    for _ in range(20):
        t.step()
    frame = t.frame()
    from gan_studio.measure.frame import CLASS_MAP_RESOLUTION

    assert [m.asked for m in frame.latent_maps] == list(range(8))
    ds = t.dataset

    class Asked(nn.Module):  # G asked for class k explicitly, not through ``asking``: an independent map
        def __init__(self, k):
            super().__init__()
            self.k, self.G = k, t.G

        def forward(self, z):
            return self.G(z, torch.full((len(z),), self.k, dtype=torch.long))

    for k, lmap in enumerate(frame.latent_maps):
        assert lmap.labels.shape == (CLASS_MAP_RESOLUTION, CLASS_MAP_RESOLUTION)
        (expected,) = latent.latent_map(Asked(k), 2, cfg.model.latent, ds.centres, ds.stds,
                                        resolution=CLASS_MAP_RESOLUTION)
        assert lmap.labels.tolist() == expected.labels.tolist()
        assert lmap.nearest.tolist() == expected.nearest.tolist()
    # inverting a point for every class asks for the class of its nearest mode: the same answer as with that
    # class picked (each start and each recorded step of the search asked its own class before: paths jumped)
    point = tuple(np.asarray(ds.centres[3], float) + 0.05)
    every = t.invert(point)
    # a picked class: one map, asked for it
    t.apply("model.shown_class", 3)
    assert [m.asked for m in t.frame().latent_maps] == [3]
    picked = t.invert(point)
    assert every.paths_x == pytest.approx(picked.paths_x, abs=0) and every.error == picked.error


@pytest.mark.slow  # ~8 s on the loaded 2-core machine; fast companions: the trainer test above and
# tests/test_latent_view.py's window test
def test_the_worker_picks_an_end_and_inverts_a_real_image(tmp_path):
    from sessions import Running

    from gan_studio.engine import Trainer
    from gan_studio.worker.protocol import Invert, PickPathEnd, RequestFrame

    cfg = config.Config()
    for key, value in {"data.name": "digits", "model.arch": "mlp", "model.latent_dim": 4, "model.hidden": 16,
                       "model.depth": 1}.items():
        cfg = config.with_value(cfg, key, value)
    r = Running(cfg, trainer_factory=Trainer, record_dir=tmp_path)
    try:
        r.until(lambda p: p.frame is not None, timeout=60)
        r.send(PickPathEnd("b", (0.5, -0.5, 0.25, 1.0)))
        r.send(RequestFrame())
        picked = r.until(lambda p: p.frame is not None and p.frame.latent_paths
                         and p.frame.latent_paths[0].codes[-1].tolist() == [0.5, -0.5, 0.25, 1.0], timeout=60)
        assert picked.frame.latent_maps[0].images is not None
        r.send(PickPathEnd("b", (1.0,)))
        r.until(lambda p: any(m.startswith("refused: path end: the code must be 4 finite") for m in p.messages),
                timeout=60)
        r.send(Invert((2.0,)))
        answer = r.until(lambda p: p.inversion is not None, timeout=60).inversion
        assert answer.image_index == 2 and answer.image_shape == (1, 8, 8)
    finally:
        r.stop(timeout=5)
