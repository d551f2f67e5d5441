"""The data-space views read at a distance: keys list only curves with data, the z → x panel says why it is empty,
colour bars always carry numbers, tick labels never overlap at 200 %, and switching to 1D data brings a 1D latent.
Frames are built by hand (no trainer): these tests are about drawing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PyQt6 import QtGui

from gan_studio import config
from gan_studio.frames import Curves1D, Display, Frame, Surface2D
from gan_studio.gui import theme as th
from gan_studio.gui.panels.controls import ControlPanel, point_dim, set_choice
from gan_studio.gui.views.data1d import DataView1D
from gan_studio.gui.views.data2d import DataView2D


def frame_1d(with_density: bool = True, latent_1d: bool = True) -> Frame:
    xs = np.linspace(-4.0, 4.0, 200)
    p = np.exp(-0.5 * (xs - 1) ** 2) / np.sqrt(2 * np.pi)
    q = np.exp(-0.5 * (xs + 1) ** 2) / np.sqrt(2 * np.pi)
    z = np.linspace(-2.0, 2.0, 40)
    curves = Curves1D(xs=xs, data_density=p if with_density else None, gen_density=q,
                      gen_density_method="Gaussian KDE, h = 0.2, n = 2500", score=xs.copy(),
                      optimal_d=p / (p + q) if with_density else None, optimal_critic=None,
                      z=z if latent_1d else None, gz=z + 0.5 if latent_1d else None)
    rng = np.random.default_rng(0)
    display = Display(d_view="probability", decision_level=0.5, d_label="σ(D(x)) = P(real)",
                      d_curve_label="σ(D(x)) = P(real)", d_reference="optimal_d", kind="1d")
    return Frame(step=10, dim=1, loss="a", lipschitz="b", bounds=np.array([[-4.0, 4.0]]),
                 real=rng.normal(1, 1, (300, 1)), fake=rng.normal(-1, 1, (300, 1)), curves=curves, display=display)


def frame_2d(score_scale: float = 0.003, centre: float = 0.0) -> Frame:
    xs = np.linspace(-3.0, 3.0, 60)
    gx, gy = np.meshgrid(xs, xs)
    score = centre + score_scale * np.tanh(gx)  # a critic under weight clipping: a tiny range
    dens = np.exp(-((gx - 1) ** 2 + gy**2) / 0.5)
    rng = np.random.default_rng(1)
    display = Display(d_view="score", decision_level=None, d_label="critic score D(x)", kind="2d")
    return Frame(step=10, dim=2, loss="a", lipschitz="b", bounds=np.array([[-3.0, 3.0], [-3.0, 3.0]]),
                 real=rng.normal(0, 1, (200, 2)), fake=rng.normal(1, 0.3, (200, 2)), push=rng.normal(0, 1, (50, 2)),
                 surface=Surface2D(xs=xs, ys=xs, score=score, gen_density=dens),
                 latent_grid=rng.normal(0, 1, (2, 5, 5, 2)), display=display)


def label_rects(axis) -> list:
    """The rectangles of the tick labels an AxisItem draws (pyqtgraph's own layout of them)."""
    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        painter.setFont(axis.style["tickFont"] or QtGui.QFont())
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [rect for rect, _, _ in specs[2]]


def shown(qtbot, view, size=(800, 900)):
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(20)
    return view


# -- 1D: keys and the z → x panel -------------------------------------------------------------------------------
def test_1d_keys_list_only_curves_with_data(qtbot):
    view = shown(qtbot, DataView1D())
    view.update_frame(frame_1d(with_density=False))  # file data: no exact density, no D*
    assert "p_data (exact)" not in view.key_texts("dens") and "p_g (estimate)" in view.key_texts("dens")
    assert "p_data" not in view.dens.titleLabel.text
    assert view.key_texts("d") == ["σ(D(x)) = P(real)"] and not view.d_ref.isVisible()
    view.update_frame(frame_1d(with_density=True))
    assert "p_data (exact)" in view.key_texts("dens") and "p_data (exact)" in view.dens.titleLabel.text
    assert view.key_texts("d") == ["σ(D(x)) = P(real)", "optimal D*(x)"]
    # no legend box inside any plot (it covered the peaks): the keys are in the title rows
    for plot in (view.dens, view.dplot, view.mapping):
        assert plot.legend is None


def test_z_to_x_says_it_needs_a_1d_latent(qtbot):
    view = shown(qtbot, DataView1D())
    view.set_latent_dim(2)
    view.update_frame(frame_1d(latent_1d=False))
    assert view.map_note.isVisible()
    assert "z → x needs a 1-dimensional latent (latent_dim = 2 here)" in view.map_note.textItem.toPlainText()
    assert "latent_dim = 2 here" in view.mapping.titleLabel.text  # also in the title row, always readable
    lines = view.map_lines.getData()[0]
    assert view.key_texts("mapping") == [] and (lines is None or len(lines) == 0)
    view.update_frame(frame_1d(latent_1d=True))
    assert not view.map_note.isVisible() and len(view.map_lines.getData()[0]) == 80
    assert view.key_texts("mapping") == ["z", "x = G(z)"]


# -- colour bar -------------------------------------------------------------------------------------------------
def test_nice_ticks_label_tiny_and_ordinary_ranges():
    ticks = th.nice_ticks(-0.003, 0.003)
    labels = [label for _, label in ticks]
    assert len(ticks) >= 3 and len(set(labels)) == len(labels) and "0" in labels
    assert all(-0.003 - 1e-12 <= v <= 0.003 + 1e-12 for v, _ in ticks)
    assert [float(label) for _, label in ticks] == pytest.approx([v for v, _ in ticks], abs=1e-12)
    assert [label for _, label in th.nice_ticks(0.0, 1.0)] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    shifted = [label for _, label in th.nice_ticks(0.01038, 0.01238)]  # a clipped critic's offset range
    assert len(shifted) >= 3 and len(set(shifted)) == len(shifted)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_colour_bar_shows_numbers_for_a_tiny_critic_range(qtbot, scale):
    view = shown(qtbot, DataView2D(scale=scale))
    view.update_frame(frame_2d(score_scale=0.003, centre=0.0))
    qtbot.wait(20)
    lo, hi = view.bar.levels()
    assert hi - lo < 0.01
    drawn = label_rects(view.bar.axis)
    assert len(drawn) >= 3  # every tick labelled: none dropped for want of room
    assert len(drawn) == len(view._bar_ticks)


# -- 200 %: no overlapping tick labels --------------------------------------------------------------------------
def _no_overlaps(axis) -> int:
    rects = label_rects(axis)
    for a, b in itertools.combinations(rects, 2):
        assert not a.intersects(b), f"{axis.orientation} axis labels overlap: {a} and {b}"
    return len(rects)


@pytest.mark.parametrize("size", [(640, 820), (1000, 1100)])
def test_tick_labels_do_not_overlap_at_200_percent(qtbot, size):
    one = shown(qtbot, DataView1D(scale=2.0), size)
    one.set_latent_dim(1)
    one.update_frame(frame_1d())
    two = shown(qtbot, DataView2D(scale=2.0), size)
    two.update_frame(frame_2d(score_scale=2.0))
    qtbot.wait(30)
    for plot in (one.dens, one.dplot, one.mapping, two.plot):
        for side in ("left", "bottom"):
            assert _no_overlaps(plot.getAxis(side)) >= 2
    assert _no_overlaps(two.bar.axis) >= 3


def test_a_narrow_view_at_200_percent_keeps_its_colour_bar_inside(qtbot):
    """At 200 % on 1280×720 the data view is ~390 px wide: the legend's two columns (468 px) held the layout wider
    than the view and pyqtgraph cut the colour bar and its ticks off on the right. The legend falls back to one
    column there, the layout is the view's width, and the bar's right edge is inside the view."""
    view = shown(qtbot, DataView2D(scale=2.0), (390, 900))
    view.update_frame(frame_2d(score_scale=2.0))
    qtbot.wait(30)
    assert view.legend.columnCount == 1
    assert view.ci.geometry().width() == pytest.approx(view.width(), abs=1)
    bar_right = view.bar.axis.mapRectToScene(view.bar.axis.boundingRect()).right()
    assert bar_right <= view.width()
    assert _no_overlaps(view.bar.axis) >= 3
    view.resize(1400, 900)  # room again: two columns
    qtbot.wait(30)
    assert view.legend.columnCount == 2


def test_layers_that_carry_the_lesson_are_drawn_strong(qtbot):
    view = shown(qtbot, DataView2D(scale=1.5))
    view.set_layers(set(view.layers) | {"density", "latent"})
    view.update_frame(frame_2d(score_scale=2.0))
    assert len(view.density_lines.getData()[0]) > 0  # the density has level lines, not only a faint heat
    for item, width in ((view.latent, 1.8), (view.push, 2.0), (view.density_lines, 2.2)):
        pen = item.opts["pen"]
        assert pen.widthF() == pytest.approx(width * 1.5) and pen.color().alpha() >= 220


# -- switching to 1D data brings a 1D latent ---------------------------------------------------------------------
def _panel(qtbot, cfg):
    panel = ControlPanel(cfg)
    qtbot.addWidget(panel)
    restarts = []
    panel.restart.connect(lambda new, what: restarts.append((new, what)))
    return panel, restarts


def test_switching_the_data_to_1d_restarts_with_latent_dim_1(qtbot, tmp_path):
    panel, restarts = _panel(qtbot, config.Config())  # ring8, latent_dim 2
    assert panel.cfg.model.latent_dim == 2
    set_choice(panel.combos["data.name"], "bimodal1d")
    panel._data_changed()
    new, what = restarts[-1]
    assert (new.data.name, new.model.latent_dim) == ("bimodal1d", 1) and "latent_dim = 1" in what

    points = tmp_path / "points.csv"
    points.write_text("x\n0.5\n1.5\n-2\n", encoding="utf-8")
    assert point_dim("file", str(points)) == 1
    panel.load_data_file(str(points))
    new, what = restarts[-1]
    assert (new.data.name, new.model.latent_dim) == ("file", 1) and "latent_dim = 1" in what

    panel.fields["model.latent_dim"].setText("3")  # the person's own choice, typed before switching, wins
    panel._data_changed()
    assert restarts[-1][0].model.latent_dim == 3


def test_leaving_1d_data_goes_back_to_latent_dim_2_and_1d_to_1d_keeps_it(qtbot):
    cfg = config.with_value(config.with_value(config.Config(), "data.name", "bimodal1d"), "model.latent_dim", 1)
    panel, restarts = _panel(qtbot, cfg)
    set_choice(panel.combos["data.name"], "ring8")
    panel._data_changed()
    assert restarts[-1][0].model.latent_dim == 2 and "latent_dim = 2" in restarts[-1][1]

    cfg3 = config.with_value(cfg, "model.latent_dim", 3)  # chosen on 1D data: another 1D set keeps it
    panel, restarts = _panel(qtbot, cfg3)
    set_choice(panel.combos["data.name"], "trimodal1d")
    panel._data_changed()
    assert restarts[-1][0].model.latent_dim == 3 and "latent_dim" not in restarts[-1][1]
