"""Image probes (fixed latents, interpolation, nearest neighbours) and the ImageViews widget that draws them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from gan_studio.config import ModelConfig
from gan_studio.data.images import ImageDataset, load_digits, load_shapes
from gan_studio.frames import Display, Frame
from gan_studio.measure.images import ImageProbe, interpolate_latents, nearest_training
from gan_studio.nets.conv import build_conv_generator

torch.set_num_threads(1)


def _generator(shape=(1, 16, 16), latent_dim=8, seed=0):
    torch.manual_seed(seed)
    return build_conv_generator(ModelConfig(latent_dim=latent_dim, hidden=32, activation="leaky_relu"), shape)


# --------------------------------------------------------------------------------------------------- probes
def test_interpolation_paths():
    za, zb = torch.tensor([[3.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    lin = interpolate_latents(za, zb, 5, spherical=False)
    assert lin.shape == (1, 5, 2)
    assert lin[0, 2].tolist() == pytest.approx([1.5, 0.5], abs=1e-6)  # the midpoint of a straight line
    sph = interpolate_latents(za, zb, 5, spherical=True)
    assert sph[0, 0].tolist() == pytest.approx([3.0, 0.0], abs=1e-5)  # endpoints exact (float32 trig)
    assert sph[0, -1].tolist() == pytest.approx([0.0, 1.0], abs=1e-5)
    # slerp: the angle moves uniformly (45° at the middle), the norm linearly (3 → 1, so 2 at the middle)
    assert float(sph[0, 2].norm()) == pytest.approx(2.0, abs=1e-5)
    assert float(torch.atan2(sph[0, 2, 1], sph[0, 2, 0])) == pytest.approx(np.pi / 4, abs=1e-5)


def test_nearest_training_is_exact():
    rng = np.random.default_rng(0)
    data = torch.from_numpy(rng.uniform(-1, 1, (500, 64)).astype(np.float32))
    query = data[[7, 300]] + 0.0
    query[1, 0] += 0.5  # a perturbed copy: still nearest to #300 at distance 0.5
    idx, dist = nearest_training(query, data, chunk=128)  # chunks smaller than the data exercise the merge
    brute = torch.cdist(query.double(), data.double())
    assert idx.tolist() == brute.argmin(1).tolist() == [7, 300]
    assert dist == pytest.approx(brute.min(1).values.numpy(), abs=1e-6)  # float64 both ways
    assert dist == pytest.approx([0.0, 0.5], abs=1e-6)


def test_probe_is_fixed_over_time_and_leaves_rngs_and_mode_alone():
    ds = load_digits()
    G = _generator((1, 8, 8))
    probe = ImageProbe(ds, latent_dim=8, seed=3)
    state = torch.random.get_rng_state()
    G.train()
    a = probe.images(G, step=10)
    b = probe.images(G, step=11)
    assert torch.equal(torch.random.get_rng_state(), state)  # no global RNG draw
    assert G.training  # mode restored
    assert np.array_equal(a["fake"], b["fake"]) and np.array_equal(a["real"], b["real"])
    assert a["fake"].shape == (64, 1, 8, 8) and a["grid"] == 8 and b["step"] == 11
    assert 0.0 <= a["fake"].min() and a["fake"].max() <= 1.0
    # the interpolation strip starts and ends at G of its endpoints
    with torch.no_grad():
        ends = G.eval()(probe.z_interp[:, [0, -1]].reshape(-1, 8))
    ends = ((ends.numpy() + 1) / 2).reshape(3, 2, 1, 8, 8)
    assert a["interp"].shape == (3, 10, 1, 8, 8)
    assert a["interp"][:, [0, -1]] == pytest.approx(ends, abs=1e-6)
    # same seed → same probe inputs; another seed → other latents
    assert torch.equal(ImageProbe(ds, 8, seed=3).z, probe.z)
    assert not torch.equal(ImageProbe(ds, 8, seed=4).z, probe.z)


def test_probe_nearest_neighbours_and_reference_distances():
    ds = load_digits()
    probe = ImageProbe(ds, latent_dim=8, seed=0)
    out = probe.images(_generator((1, 8, 8)), step=0)
    fake = torch.from_numpy(out["fake"] * 2 - 1).reshape(64, -1).double()
    data = torch.from_numpy(ds.images).reshape(len(ds), -1).double()
    brute = torch.cdist(fake, data)
    assert out["nn_index"].tolist() == brute.argmin(1).tolist()
    assert out["nn_dist"] == pytest.approx(brute.min(1).values.numpy() / 2, abs=1e-5)  # [0, 1] units, float32
    assert np.array_equal(out["nn_real"], (ds.images[out["nn_index"]] + 1) / 2)
    # reference: each real grid image's nearest *other* training image
    real = data[torch.from_numpy(probe.real_index)]
    d = torch.cdist(real, data)
    d[torch.arange(64), torch.from_numpy(probe.real_index)] = float("inf")
    assert out["nn_ref_dist"] == pytest.approx(d.min(1).values.numpy() / 2, abs=1e-5)
    assert out["class_names"] == ds.class_names and "class_hist_fake" not in out
    hist = np.full(10, 0.1)
    assert np.array_equal(probe.images(_generator((1, 8, 8)), 1, class_hist=hist)["class_hist_fake"], hist)


def test_probe_spaces_out_costly_nearest_neighbour_searches():
    rng = np.random.default_rng(0)
    big = ImageDataset("folder", rng.uniform(-1, 1, (4000, 1, 16, 16)).astype(np.float32), None, None, "big")
    probe = ImageProbe(big, latent_dim=8, nn_every=3)  # 4000·256·64 > 5e7 multiply-adds
    G = _generator()
    has = ["nn_real" in probe.images(G, step) for step in range(7)]
    assert has == [True, False, False, True, False, False, True]
    assert "nn_real" in probe.images(G, 7, with_nn=True)
    assert "class_names" not in probe.images(G, 8)  # unlabelled


# ------------------------------------------------------------------------------------------------- widget
def _frame(images: dict, step: int = 5) -> Frame:
    return Frame(step=step, dim=images["fake"][0].size, loss="ns", lipschitz="none",
                 bounds=np.zeros((0, 2)), real=images["real"], fake=images["fake"], images=images,
                 display=Display(d_view="probability", kind="image"))


@pytest.fixture
def digits_frame():
    ds = load_digits()
    probe = ImageProbe(ds, latent_dim=8, seed=0)
    hist = np.linspace(1, 2, 10)
    return _frame(probe.images(_generator((1, 8, 8)), step=5, class_hist=hist / hist.sum()), step=5)


def test_view_draws_grids_strip_and_histogram(qtbot, tmp_path, digits_frame):
    from gan_studio.gui.views.images import ImageViews, mosaic

    w = ImageViews()
    qtbot.addWidget(w)
    w.resize(800, 900)
    w.show()
    w.update_frame(digits_frame)
    im = digits_frame.images
    assert w.frames_drawn == 1
    assert np.array_equal(w.fake_item.image, mosaic(im["fake"], 8))
    assert np.array_equal(w.right_item.image, mosaic(im["real"], 8))
    assert w.fake_item.image.shape == (8 * 9 + 1, 8 * 9 + 1)  # 8×8 tiles of 8 px with 1 px gaps
    assert w.interp_item.image.shape == (3 * 9 + 1, 10 * 9 + 1)
    assert np.array_equal(w.data_bars.opts["height"], im["class_hist_data"])
    assert np.array_equal(w.fake_bars.opts["height"], im["class_hist_fake"])
    assert "Generated G(z)" == w.fake_plot.titleLabel.text.split(">")[1].split("<")[0]

    # nearest neighbours on demand: the button swaps the right grid, a cell pick names its neighbour
    w.nn_button.click()
    assert np.array_equal(w.right_item.image, mosaic(im["nn_real"], 8))
    assert "Nearest real image" in w.right_plot.titleLabel.text
    w.select_cell(10)
    assert f"#{int(im['nn_index'][10])}" in w.info.text()
    w.nn_button.click()
    assert np.array_equal(w.right_item.image, mosaic(im["real"], 8))

    path = tmp_path / "image_views.png"
    assert w.grab().save(str(path))
    shot = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert shot.shape[0] > 500 and shot.shape[1] > 500
    # non-blank: many distinct colours (grey digit levels, blue and vermillion bars) and real contrast
    assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 50
    assert shot.std() > 30


def test_at_200_percent_in_a_720p_tab_the_grids_stay_readable_and_titles_apart(qtbot, digits_frame):
    """The Images tab at 200 % on 1280×720 is ~630 × 560 px: the grids were ~30 px tall under a five-line info text
    and their two titles overlapped. Now the plots keep their least height (scrolling below it), the grids are drawn
    at least 150 px tall and the titles of the two grids do not touch."""
    from gan_studio.gui.views.images import PLOTS_HEIGHT, ImageViews

    w = ImageViews(scale=2.0)
    qtbot.addWidget(w)
    w.resize(630, 560)
    w.show()
    w.update_frame(digits_frame)
    qtbot.wait(30)
    assert w.layout_widget.height() >= 2 * PLOTS_HEIGHT and w.scroll.verticalScrollBar().maximum() > 0
    assert w.fake_plot.vb.height() >= 150 and w.right_plot.vb.height() >= 150
    assert w.info.height() <= 4 * w.info.fontMetrics().height()
    left, right = (plot.titleLabel.item.mapRectToScene(plot.titleLabel.item.boundingRect())
                   for plot in (w.fake_plot, w.right_plot))
    assert left.right() < right.left(), (left, right)


def test_view_clicks_map_to_cells(qtbot, digits_frame):
    from PyQt6 import QtCore

    from gan_studio.gui.views.images import ImageViews

    w = ImageViews()
    qtbot.addWidget(w)
    w.resize(800, 900)
    w.show()
    w.update_frame(digits_frame)
    qtbot.wait(10)
    # centre of the tile in row 1, column 2 (tiles are 8 px plus a 1 px gap)
    scene = w.fake_plot.vb.mapViewToScene(QtCore.QPointF(2 * 9 + 1 + 4, 1 * 9 + 1 + 4))
    assert w._cell_at(scene) == 1 * 8 + 2
    assert w._cell_at(QtCore.QPointF(-50, -50)) is None


def test_view_handles_rgb_unlabelled_and_point_frames(qtbot):
    from gan_studio.gui.views.images import ImageViews

    w = ImageViews()
    qtbot.addWidget(w)
    rng = np.random.default_rng(0)
    rgb = {"fake": rng.uniform(0, 1, (16, 3, 6, 6)).astype(np.float32),
           "real": rng.uniform(0, 1, (16, 3, 6, 6)).astype(np.float32), "grid": 4, "step": 2}
    w.update_frame(_frame(rgb))
    assert w.fake_item.image.shape == (4 * 7 + 1, 4 * 7 + 1, 3)
    assert not w.hist_plot.isVisible()  # no labels: no histogram
    points = Frame(step=1, dim=2, loss="ns", lipschitz="none", bounds=np.zeros((2, 2)),
                   real=np.zeros((10, 2)), fake=np.zeros((10, 2)))
    w.update_frame(points)  # not an image frame: ignored
    assert w.frames_drawn == 1
    # a frame without an image dict falls back to Frame.fake / Frame.real
    bare = Frame(step=3, dim=108, loss="ns", lipschitz="none", bounds=np.zeros((0, 2)),
                 real=rgb["real"], fake=rgb["fake"])
    w.update_frame(bare)
    assert w.frames_drawn == 2


def test_views_module_does_not_import_torch():
    code = ("import sys; import gan_studio.gui.views.images; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_engine_frame_renders_in_the_view(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    from gan_studio import config as C
    from gan_studio.engine import Trainer
    from gan_studio.gui.views.images import ImageViews

    cfg = C.Config()
    for key, value in (("data.name", "shapes"), ("model.hidden", 32), ("model.latent_dim", 8),
                       ("train.batch_size", 16), ("train.log_every", 5), ("metrics.every", 5),
                       ("metrics.n_samples", 500), ("train.device", "cpu")):
        cfg = C.with_value(cfg, key, value)
    trainer = Trainer(cfg)
    rows = [r for r in (trainer.step() for _ in range(5)) if r]
    assert {"classes", "confident", "rkl", "fd_classifier", "sw1"} <= set(rows[-1])
    frame = trainer.frame()
    assert frame.images["fake"].shape == (64, 1, 16, 16)
    assert frame.images["class_hist_fake"].shape == (5,)
    w = ImageViews()
    qtbot.addWidget(w)
    w.resize(700, 800)
    w.update_frame(frame)
    assert w.grab().save(str(tmp_path / "engine_frame.png"))
    assert load_shapes(16, 0).class_names == frame.images["class_names"]
