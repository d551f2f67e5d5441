"""The latent space (issue 12): path geometry against closed forms, the latent map on hand-built generators,
inversion of G's own points, the mapping network, and the frame's latent pictures."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from torch import nn

from gan_studio import config, latent
from gan_studio.frames import Frame
from gan_studio.nets import build_generator
from gan_studio.nets.mapping import MappedGenerator, split_generator
from gan_studio.nets.mlp import build_mlp_generator

# ----------------------------------------------------------------------------------------------------- paths


def test_lerp_endpoints_and_midpoint():
    a, b = np.array([1.0, -2.0, 3.0]), np.array([-3.0, 4.0, 1.0])
    out = latent.lerp(a, b, np.array([0.0, 0.5, 0.25, 1.0]))
    assert out[0] == pytest.approx(a, abs=1e-15)
    assert out[1] == pytest.approx((a + b) / 2, abs=1e-15)
    assert out[2] == pytest.approx(0.75 * a + 0.25 * b, abs=1e-15)
    assert out[3] == pytest.approx(b, abs=1e-15)


def test_slerp_follows_the_great_circle():
    # unit vectors 90° apart: the midpoint is (cos 45°, sin 45°), every point has norm 1 and angle tΩ from a
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    t = np.linspace(0, 1, 7)
    out = latent.slerp(a, b, t)
    assert out[0] == pytest.approx(a, abs=1e-12)
    assert out[-1] == pytest.approx(b, abs=1e-12)
    assert latent.slerp(a, b, np.array([0.5]))[0] == pytest.approx([math.sqrt(0.5)] * 2, abs=1e-12)
    assert np.linalg.norm(out, axis=1) == pytest.approx(np.ones(7), abs=1e-12)
    assert np.arctan2(out[:, 1], out[:, 0]) == pytest.approx(t * math.pi / 2, abs=1e-12)


def test_slerp_in_3d_and_with_unequal_norms():
    # a = (2, 0, 0), b = (0, 0, 2) rotated by 120° in the (x, y) plane of a 3D space: angle Ω = 120°
    a = np.array([2.0, 0.0, 0.0])
    b = 2.0 * np.array([math.cos(2 * math.pi / 3), math.sin(2 * math.pi / 3), 0.0])
    mid = latent.slerp(a, b, np.array([0.5]))[0]
    assert mid == pytest.approx(2.0 * np.array([math.cos(math.pi / 3), math.sin(math.pi / 3), 0.0]), abs=1e-12)
    # unequal norms: sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b by hand at t = 1/3, Ω = 90°
    a, b = np.array([3.0, 0.0]), np.array([0.0, 1.0])
    third = latent.slerp(a, b, np.array([1 / 3]))[0]
    assert third == pytest.approx([3 * math.sin(math.pi / 3), math.sin(math.pi / 6)], abs=1e-12)


def test_slerp_falls_back_to_the_straight_line_where_it_is_undefined():
    t = np.linspace(0, 1, 5)
    for a, b in [(np.array([1.0, 1.0]), np.array([2.0, 2.0])),  # parallel: Ω = 0
                 (np.array([1.0, 0.0]), np.array([-1.0, 0.0])),  # antiparallel: no unique great circle
                 (np.zeros(2), np.array([1.0, 2.0]))]:  # a zero code has no direction
        assert latent.slerp(a, b, t) == pytest.approx(latent.lerp(a, b, t), abs=1e-12)


def test_path_ends_take_the_widest_angle_up_to_the_limit():
    codes = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.01], [-0.5, 0.8], [0.0, -1.0]])
    a, b = latent.path_ends(codes)
    assert a == pytest.approx(codes[0], abs=0)
    angle = math.degrees(math.atan2(0.8, -0.5))  # 122°: the widest ≤ 150° ([-1, 0.01] is at 179.4°)
    assert math.degrees(math.atan2(b[1], b[0])) == pytest.approx(angle, abs=1e-9)
    a1, b1 = latent.path_ends(np.array([[0.7], [0.2], [-1.3], [0.4]]))  # 1D: the first code of the other sign
    assert (a1[0], b1[0]) == (0.7, -1.3)


class Identity(nn.Module):
    """G(z) = z, with one unused parameter (the probes read the device from it)."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, z):
        return z


def test_paths_evaluate_g_along_the_codes_and_label_the_dead_zone():
    centres, stds = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0.1, 0.1])
    a, b = np.array([-2.0, 0.0]), np.array([2.0, 0.0])
    lerp_path, slerp_path = latent.paths(Identity(), a, b, k=51, centres=centres, stds=stds)
    assert (lerp_path.kind, slerp_path.kind) == ("lerp", "slerp")
    assert lerp_path.points == pytest.approx(latent.lerp(a, b, lerp_path.t), abs=1e-6)  # float32 through G
    # G = identity: x = −2 + 4t lies within 3 · 0.1 of a centre for |x ± 2| < 0.3, between the modes otherwise
    x = lerp_path.points[:, 0]
    expected = np.where(np.abs(x + 2) < 0.3, 0, np.where(np.abs(x - 2) < 0.3, 1, -1))
    assert lerp_path.labels.tolist() == expected.tolist()
    assert (lerp_path.labels == -1).sum() == 51 - 2 * 4  # x = −2, −1.92, −1.84, −1.76 and mirror ones are home


# ------------------------------------------------------------------------------------------------------- map


class Quadrants(nn.Module):
    """G(z) = the centre of z's quadrant: index (z₁ > 0) + 2 (z₂ > 0) of CENTRES."""

    CENTRES = np.array([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))
        self.register_buffer("centres", torch.as_tensor(self.CENTRES, dtype=torch.float32))

    def forward(self, z):
        return self.centres[(z[:, 0] > 0).long() + 2 * (z[:, 1] > 0).long()]


def test_latent_map_colours_each_quadrant_by_its_mode():
    (zmap,) = latent.latent_map(Quadrants(), 2, "gaussian", Quadrants.CENTRES, np.full(4, 0.05), resolution=24)
    assert zmap.space == "z" and zmap.labels.shape == (24, 24) and zmap.n_modes == 4
    assert zmap.xs == pytest.approx(np.linspace(-2.5, 2.5, 24), abs=0)  # the gaussian latent's span
    expected = (zmap.xs[None, :] > 0).astype(int) + 2 * (zmap.ys[:, None] > 0).astype(int)  # row i is y = ys[i]
    assert zmap.labels.tolist() == expected.tolist()


def test_latent_map_shows_collapse_and_dead_zones():
    centres, stds = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0.1, 0.1])

    class Collapsed(Identity):
        def forward(self, z):
            return torch.tensor([[2.0, 0.0]]).expand(len(z), 2)

    (collapsed,) = latent.latent_map(Collapsed(), 2, "uniform", centres, stds, resolution=10)
    assert (collapsed.labels == 1).all() and (collapsed.nearest == 1).all()  # one colour swallows the plane
    (ident,) = latent.latent_map(Identity(), 2, "gaussian", centres, stds, resolution=40)
    X, Y = np.meshgrid(ident.xs, ident.ys)
    near = [np.hypot(X - cx, Y - cy) < 0.3 for cx, cy in centres]
    expected = np.where(near[0], 0, np.where(near[1], 1, -1))
    assert ident.labels.tolist() == expected.tolist()
    assert ident.nearest.tolist() == (X > 0).astype(int).tolist()  # however far: the nearer of (±2, 0)


def test_latent_map_on_a_line_and_where_it_does_not_apply():
    class Sign(Identity):
        def forward(self, z):
            return 2.0 * torch.sign(z)

    centres, stds = np.array([[-2.0], [2.0]]), np.array([0.5, 0.5])
    (line,) = latent.latent_map(Sign(), 1, "uniform", centres, stds)
    assert line.ys is None and line.labels.shape == (1, len(line.xs))
    assert line.labels[0].tolist() == (line.xs > 0).astype(int).tolist()
    assert latent.latent_map(Sign(), 3, "gaussian", centres, stds) == ()  # no plane to colour
    assert latent.latent_map(Sign(), 1, "gaussian", None, None) == ()  # no modes to colour by


# ------------------------------------------------------------------------------------------------ inversion
INVERT_TOL = 5e-3  # data units; measured: the worst of 12 points per case below was 5.4e-4 (uniform latent)


def _mlp_g(latent_dim: int, dim: int, mapping: int = 0, seed: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    cfg = config.ModelConfig(latent_dim=latent_dim, hidden=64, depth=2, activation="leaky_relu", mapping=mapping)
    G = build_generator(cfg, (dim,))
    # a fresh net maps the whole latent box into a small blob: scale its output so points lie ~1 apart
    with torch.no_grad():
        last = [m for m in G.modules() if isinstance(m, nn.Linear)][-1]
        last.weight.mul_(8.0)
    return G


@pytest.mark.parametrize("latent_dim, dim, kind", [(2, 2, "gaussian"), (1, 1, "gaussian"), (2, 2, "uniform"),
                                                   (3, 2, "gaussian")])
def test_inversion_recovers_points_g_made(latent_dim, dim, kind):
    G = _mlp_g(latent_dim, dim)
    rng = torch.Generator().manual_seed(11)
    z_true = torch.rand(12, latent_dim, generator=rng) * 1.6 - 0.8  # inside both latents' typical range
    with torch.no_grad():
        targets = G(z_true).numpy().astype(np.float64)
    errors = []
    for x in targets:
        inv = latent.invert(G, x, latent_dim, kind, torch.Generator().manual_seed(0), step=7)
        errors.append(inv.error)
        assert inv.step == 7 and inv.x.shape == (dim,) and inv.z.shape == (latent_dim,)
        assert inv.error == pytest.approx(np.linalg.norm(inv.x - x), rel=1e-9)
        assert inv.error == pytest.approx(inv.errors.min(), rel=0, abs=0) and inv.best == int(np.argmin(inv.errors))
        assert inv.paths_z.shape[:2] == (latent.INVERT_STARTS, latent.INVERT_ITERATIONS // 5 + 1)
        if kind == "uniform":
            assert np.abs(inv.paths_z).max() <= 1.0
    assert max(errors) < INVERT_TOL  # G's own points are reached: it is a matter of search, not of range


def test_inversion_leaves_g_as_it_was():
    G = _mlp_g(2, 2).train()
    before = {k: v.clone() for k, v in G.state_dict().items()}
    latent.invert(G, np.array([0.3, -0.2]), 2, "gaussian", torch.Generator().manual_seed(0), iterations=20)
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())
    assert all(p.grad is None for p in G.parameters()) and G.training


def test_inversion_far_from_g_reports_its_error():
    # G(z) = z on the uniform box [−1, 1]²: the closest reachable point to (3, 0) is (1, 0), error 2
    inv = latent.invert(Identity(), np.array([3.0, 0.0]), 2, "uniform", torch.Generator().manual_seed(0))
    assert inv.x == pytest.approx([1.0, 0.0], abs=1e-3)
    assert inv.error == pytest.approx(2.0, abs=1e-3)


# ------------------------------------------------------------------------------------------- mapping network


def test_mapping_zero_is_todays_generator():
    cfg = config.ModelConfig()
    assert cfg.mapping == 0
    torch.manual_seed(5)
    G = build_generator(cfg, (2,))
    torch.manual_seed(5)
    today = build_mlp_generator(cfg, (2,))
    assert type(G) is type(today) and split_generator(G) == (None, G)
    assert G.state_dict().keys() == today.state_dict().keys()
    assert all(torch.equal(v, today.state_dict()[k]) for k, v in G.state_dict().items())
    z = torch.randn(16, 2)
    assert torch.equal(G(z), today(z))


def test_mapping_network_shapes_and_its_synthesis_weights():
    cfg = config.ModelConfig(mapping=2, hidden=32)
    torch.manual_seed(5)
    G = build_generator(cfg, (2,))
    torch.manual_seed(5)
    plain = build_generator(config.ModelConfig(hidden=32), (2,))
    assert isinstance(G, MappedGenerator)
    mapping, synthesis = split_generator(G)
    linears = [m for m in mapping if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(2, 32), (32, 32), (32, 2)]  # w has z's size
    # the synthesis net is built first: the same initial weights as the generator without a mapping
    assert all(torch.equal(v, plain.state_dict()[k]) for k, v in synthesis.state_dict().items())
    z = torch.randn(9, 2)
    assert G(z).shape == (9, 2)
    assert torch.equal(G(z), synthesis(mapping(z)))


def test_mapping_key_is_validated():
    with pytest.raises(config.ConfigError, match="model.mapping"):
        config.with_value(config.Config(), "model.mapping", -1)


def test_latent_pictures_in_w_with_a_mapping_network():
    G = _mlp_g(2, 2, mapping=1)
    centres, stds = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0]]), np.full(3, 0.3)
    cloud = torch.randn(200, 2, generator=torch.Generator().manual_seed(1)).numpy()
    zmap, wmap = latent.latent_map(G, 2, "gaussian", centres, stds, resolution=16, display_z=cloud)
    assert (zmap.space, wmap.space) == ("z", "w") and wmap.codes.shape == (200, 2)
    mapping, synthesis = split_generator(G)
    # the w map colours synthesis(w) on its own grid, independently recomputed here
    X, Y = np.meshgrid(wmap.xs, wmap.ys)
    with torch.no_grad():
        pts = synthesis(torch.as_tensor(np.stack([X.ravel(), Y.ravel()], 1), dtype=torch.float32)).numpy()
    d = np.linalg.norm(pts[:, None] - centres[None], axis=2)
    expected = np.where(d.min(1) / 0.3 < 3, d.argmin(1), -1).reshape(16, 16)
    assert wmap.labels.tolist() == expected.tolist()
    paths = latent.paths(G, cloud[0], cloud[1], k=9, centres=centres, stds=stds)
    assert [(p.space, p.kind) for p in paths] == [("z", "lerp"), ("z", "slerp"), ("w", "lerp")]
    with torch.no_grad():
        w_ends = mapping(torch.as_tensor(cloud[:2], dtype=torch.float32)).numpy()
    assert paths[2].codes[[0, -1]] == pytest.approx(w_ends, abs=1e-6)


# -------------------------------------------------------------------------------------- the frame, its cost


def _trainer(**keys):
    from gan_studio.engine import Trainer

    cfg = config.Config()
    for key, value in {"model.hidden": 32, "model.depth": 2, **keys}.items():
        cfg = config.with_value(cfg, key, value)
    return Trainer(cfg)


def test_frame_carries_latent_pictures_and_inverts_a_point():
    t = _trainer(**{"model.mapping": 1})
    for _ in range(3):
        t.step()
    frame: Frame = t.frame(grid=40)
    assert [m.space for m in frame.latent_maps] == ["z", "w"]
    assert [(p.space, p.kind) for p in frame.latent_paths] == [("z", "lerp"), ("z", "slerp"), ("w", "lerp")]
    assert frame.latent_maps[0].labels.shape == (latent.MAP_RESOLUTION, latent.MAP_RESOLUTION)
    again = t.frame(grid=40)  # the path ends are fixed for the run
    assert again.latent_paths[0].codes == pytest.approx(frame.latent_paths[0].codes, abs=0)
    assert t.frame(grid=40, probe=False).latent_maps == ()  # a cheap frame carries none
    inv = t.invert((0.5, 0.5))
    assert inv.target.tolist() == [0.5, 0.5] and inv.step == 3
    with pytest.raises(config.ConfigError, match="inversion: the point must be 2 finite"):
        t.invert((1.0, float("nan")))


def test_latent_pictures_cost_a_small_share_of_a_probed_frame():
    from gan_studio.measure import frame as frame_module

    t = _trainer(**{"model.hidden": 128, "model.depth": 3})
    z, _ = frame_module.display_batch(t.measurer)

    def median_ms(fn, n=5):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return 1000 * float(np.median(times))

    whole = median_ms(lambda: t.frame(grid=100))
    part = median_ms(lambda: frame_module.latent_pictures(t.measurer, z))
    # measured (1 torch thread, 2 cores at load ~17): fastest 2 ms of a 65 ms probed frame, medians 7 of 87 ms;
    # the bound leaves room for that noise
    assert part < 0.35 * whole


# ------------------------------------------------------------------------------------------ worker and window


def test_an_inversion_rides_on_one_packet_and_a_bad_point_is_refused(tmp_path):
    from sessions import Running

    from gan_studio.worker.protocol import Invert

    r = Running(record_dir=tmp_path)
    r.until(lambda p: p.frame is not None)
    r.send(Invert((0.5, -0.25)))
    answer = r.until(lambda p: p.inversion is not None)
    assert answer.inversion.target.tolist() == [0.5, -0.25]
    r.send(Invert((1.0, 2.0, 3.0)))
    refused = r.until(lambda p: any("inversion" in m for m in p.messages))
    assert any(m.startswith("refused: inversion: the point must be 2 finite") for m in refused.messages)
    assert sum(p.inversion is not None for p in r.got) == 1  # delivered once
    r.stop()


def _hand_frame(dim: int = 2):
    """A Frame with hand-made latent pictures: a 4-mode quadrant map, a straight path and a spherical one."""
    from gan_studio.frames import LatentMap, LatentPath

    xs = ys = np.linspace(-2.5, 2.5, 8)
    labels = (xs[None, :] > 0).astype(int) + 2 * (ys[:, None] > 0).astype(int)
    labels[0, 0] = -1
    centres = Quadrants.CENTRES[:, :dim]
    lmap = LatentMap("z", xs, ys, labels, 4, 3.0, codes=np.zeros((5, 2)), centres=centres)
    t = np.linspace(0, 1, 5)
    a, b = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    paths = tuple(LatentPath("z", kind, t, fn(a, b, t), fn(a, b, t)[:, :dim], np.array([0, 0, -1, 3, 3]))
                  for kind, fn in (("lerp", latent.lerp), ("slerp", latent.slerp)))
    return Frame(step=1, dim=dim, loss="ns", lipschitz="none", bounds=np.array([[-3.0, 3.0]] * dim),
                 real=np.zeros((4, dim)), fake=np.zeros((4, dim)), latent_maps=(lmap,), latent_paths=paths)


def test_colours_and_summary_of_a_map():
    from gan_studio.gui.views.latent import label_image, map_summary, mode_colours, pale_where

    colours = mode_colours(3)
    assert len(set(colours)) == 3
    img = label_image(np.array([[0, 1], [2, -1]]), colours, (9, 9, 9))
    assert img.dtype == np.uint8 and img[0, 0].tolist() == list(colours[0]) and img[1, 1].tolist() == [9, 9, 9]
    labels = np.array([[0, 0, 0, 2], [0, -1, -1, 2]])  # mode 1 takes 4/8, mode 3 2/8, dead 2/8, mode 2 none
    assert map_summary(labels, 3) == ("The plane lands nearest 2 of 3 modes · the largest, mode 1, takes 50 % · "
                                      "within reach of a mode (full colour): 75 %")
    nearest = np.array([[0, 0, 0, 2], [0, 0, 1, 2]])  # the two dead cells land nearest modes 1 and 2
    assert map_summary(labels, 3, nearest).startswith("The plane lands nearest 3 of 3 modes · the largest, mode 1, "
                                                      "takes 62 %")
    faded = pale_where(img, np.array([[True, False], [False, False]]), (255, 255, 255), keep=0.5)
    assert faded[0, 0].tolist() == [round(0.5 * c + 127.5) for c in colours[0]]
    assert faded[0, 1].tolist() == list(colours[1])


def test_latent_view_draws_the_map_paths_and_an_inversion_and_a_click_asks(qtbot):
    from PyQt6 import QtCore

    from gan_studio.frames import Inversion
    from gan_studio.gui.views.latent import LatentView, label_image, mode_colours

    view = LatentView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    frame = _hand_frame()
    view.update_frame(frame)
    lmap = frame.latent_maps[0]
    shown = view.map_image.image
    dead = view.theme.blend(view.theme.muted, 0.45)
    assert shown.tolist() == label_image(lmap.labels, mode_colours(4), dead).tolist()
    x, y = view.x_paths["lerp"].getData()
    assert x.tolist() == frame.latent_paths[0].points[:, 0].tolist()
    assert view.z_paths["slerp"].getData()[1].tolist() == frame.latent_paths[1].codes[:, 1].tolist()
    view.show_slerp.setChecked(False)
    assert len(view.x_paths["slerp"].getData()[0]) == 0
    # a click in the data plot asks for that point
    asked = []
    view.invert_requested.connect(asked.append)
    qtbot.waitUntil(lambda: view.xplot.vb.width() > 50)
    scene = view.xplot.vb.mapViewToScene(QtCore.QPointF(1.0, -0.5))
    qtbot.mouseClick(view.glw.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=view.glw.mapFromScene(scene))
    assert len(asked) == 1 and asked[0] == pytest.approx((1.0, -0.5), abs=0.05)
    view.mark_pending(asked[0])
    assert view.target.data["x"].tolist() == [asked[0][0]]
    inv = Inversion(step=1, target=np.array([1.0, -0.5]), paths_z=np.zeros((2, 3, 2)), paths_x=np.zeros((2, 3, 2)),
                    errors=np.array([0.1, 0.3]), best=0, z=np.array([0.2, 0.1]), x=np.array([0.9, -0.5]),
                    error=0.1, method="hand")
    view.show_inversion(inv)
    assert view.x_best.data["x"].tolist() == [0.9] and view.z_best.data["x"].tolist() == [0.0]
    assert "error 0.1" in view.inv_text.textItem.toPlainText()
    view.clear()
    assert len(view.x_best.data) == 0
    # w appears with a mapping network's pictures; drawn in w, the map is the w map
    from dataclasses import replace

    assert not view.space_w.isEnabled()
    wmap = replace(lmap, space="w", labels=np.zeros_like(lmap.labels), xs=lmap.xs * 3, ys=lmap.ys * 3)
    view.update_frame(replace(frame, latent_maps=(lmap, wmap)))
    assert view.space_w.isEnabled()
    view.space_w.setChecked(True)
    assert view.space() == "w" and (view.map_image.image == np.asarray(mode_colours(4)[0], np.uint8)).all()
    assert view.map_image.mapRectToParent(view.map_image.boundingRect()).width() == pytest.approx(15 + 15 / 7)


def test_window_sends_an_inversion_and_draws_the_answer(make_window, qtbot):
    from gan_studio.frames import Inversion
    from gan_studio.worker.protocol import Invert

    w = make_window()
    w.request_inversion((0.5, 0.5))
    assert w.sent[-1] == Invert((0.5, 0.5))
    qtbot.waitUntil(lambda: isinstance(w.latent_view.inversion, Inversion), timeout=20000)
    inv = w.latent_view.inversion
    assert inv.target.tolist() == [0.5, 0.5]
    assert w.view2d.inversion.best.data["x"].tolist() == [pytest.approx(float(inv.x[0]))]
    assert "Latent space" in [w.tabs.tabText(i) for i in range(w.tabs.count())]
    # the Mapping field restarts the run with model.mapping
    w.controls.fields["model.mapping"].setText("2")
    w.controls._model_restart()
    qtbot.waitUntil(lambda: w.generation == 2 and w.cfg.model.mapping == 2, timeout=10000)
    assert w.latent_view.inversion is None  # a new run forgets the old answer
