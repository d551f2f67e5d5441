"""The window shows the VAE's numbers (issue 12): a β field in the Training box only when the objective has a β
(live: it sends loss.beta), the samples' sharpness against the data's in the time series of image runs, and the
mean-D and gradient panels say what D's slot holds when there is no D/G game (``Display.game``), never by loss name.
"""

from __future__ import annotations

import pytest

from gan_studio import config as C
from gan_studio.frames import Display
from gan_studio.gui.history import History
from gan_studio.worker.protocol import Apply


def _panel(qtbot, cfg):
    from gan_studio.gui.panels.controls import ControlPanel

    panel = ControlPanel(cfg)
    qtbot.addWidget(panel)
    sent = []
    panel.command.connect(sent.append)
    return panel, sent


def test_beta_field_shows_only_for_a_loss_with_a_beta_and_sends_loss_beta(qtbot):
    panel, sent = _panel(qtbot, C.with_value(C.with_value(C.Config(), "loss.name", "vae"), "loss.beta", 1.5))
    field, label = panel.fields["loss.param"], panel.param_labels["loss.param"]
    assert field.isVisibleTo(panel) and label.isVisibleTo(panel) and field.isEnabled()
    assert label.text() == "β" and field.text() == "1.5"
    assert "β, the weight of KL" in field.toolTip()
    field.setText("4")
    field.editingFinished.emit()
    assert sent == [Apply("loss.beta", 4.0)]
    field.setText("-1")  # below loss.beta's lowest value: refused in one line, the run's value put back
    messages = []
    panel.message.connect(lambda text, error: messages.append((text, error)))
    field.editingFinished.emit()
    assert sent == [Apply("loss.beta", 4.0)] and field.text() == "1.5"
    assert len(messages) == 1 and messages[0][1] and "loss.beta" in messages[0][0] and "\n" not in messages[0][0]
    assert field.property("refused") and field.styleSheet()
    # the red mark clears itself after 2.5 s (waited for here: a panel deleted while its timer is pending crashed
    # the next test's Qt event loop)
    qtbot.waitUntil(lambda: field.styleSheet() == "", timeout=5000)
    # the run switched to a GAN loss (what the worker reports back): the row goes away
    panel.sync(C.to_dict(C.with_value(panel.cfg, "loss.name", "ns")), playing=False)
    assert not field.isVisibleTo(panel) and not label.isVisibleTo(panel)
    panel.sync(C.to_dict(C.with_value(panel.cfg, "loss.name", "ae")), playing=False)
    assert not field.isVisibleTo(panel), "the plain autoencoder has no β"


def test_a_gan_run_has_no_beta_row_and_the_other_parameter_rows_stay(qtbot):
    panel, _ = _panel(qtbot, C.with_value(C.Config(), "lipschitz.name", "gp"))
    assert not panel.fields["loss.param"].isVisibleTo(panel)
    assert panel.fields["lipschitz.param"].isVisibleTo(panel) and panel.param_labels["lipschitz.param"].text() == "λ"
    assert panel.fields["remedy.param"].isVisibleTo(panel) and not panel.fields["remedy.param"].isEnabled()


def _image_rows(n=6):
    return [{"step": s, "loss_g": 30.0 - s / 100, "recon": 25.0, "kl_prior": 5.0, "grad_norm_d": 2.0,
             "grad_norm_g": 1.0, "grad_d_0": 1.0, "grad_d_1": 0.5, "classes": 10.0, "confident": 55.0, "sw1": 0.2,
             "sharpness": 0.30 + s / 10_000, "sharpness_data": 0.4175} for s in range(100, 100 * (n + 1), 100)]


def _shown(panel):
    return sorted(k for k, item in panel.curves.items() if item.isVisible() and item.xData is not None
                  and len(item.xData))


def test_image_runs_draw_sharpness_against_the_data_s_on_the_js_panel_right_axis(qtbot):
    from gan_studio.gui.views.timeseries import TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_display(Display(kind="image", n_modes=10, game=False))
    h = History()
    h.add_rows(_image_rows())
    view.update_history(h)
    assert _shown(view.js) == ["sharpness", "sharpness_data"]
    assert view.js.plot.getAxis("right").isVisible()
    assert view.js.plot.getAxis("right").labelText == "sharpness", "one quantity, one axis name"
    assert [e[2] for e in view.js.key] == ["sharpness", "data's sharpness"]
    assert "sharpness" in view.js.title
    assert view.js.y2_range[0] <= 0.31 and view.js.y2_range[1] >= 0.4175, "both lines inside the right axis"
    # the data's is a constant reference: the generated line is read against it
    assert view.js.curves["sharpness_data"].yData == pytest.approx([0.4175] * 6, abs=1e-12)
    assert all(len(_shown(p)) <= 3 for p in view.panels)


def test_point_runs_keep_the_js_title_and_no_right_axis(qtbot):
    from gan_studio.gui.views.timeseries import TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_display(Display(kind="image", n_modes=10))
    view.set_display(Display(kind="2d", n_modes=8))  # a new run on points after an image run
    h = History()
    h.add_rows([{"step": s, "js": 0.3, "js_floor": 0.01, "js_d": 0.2} for s in (100, 200)])
    view.update_history(h)
    assert view.js.title == "Jensen–Shannon"
    assert _shown(view.js) == ["js", "js_d", "js_floor"]
    assert not view.js.plot.getAxis("right").isVisible(), "the right axis only while a curve is on it"


def test_without_a_game_the_mean_d_and_gradient_panels_name_the_encoder(qtbot):
    """Display.game False (a VAE, an autoencoder): D's slot holds the encoder, so the mean-D panel says it scores
    nothing and the gradient panel names the encoder and the decoder; back to a game (a mid-run switch), D and G."""
    from gan_studio.gui.views.timeseries import NO_GAME, TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_display(Display(kind="image", n_modes=10, game=False))
    h = History()
    h.add_rows(_image_rows())
    view.update_history(h)
    assert view.dmean.note.isVisible() and view.dmean.note.toPlainText() == NO_GAME
    assert [e[2] for e in view.grads.key] == ["encoder, whole net", "decoder G, whole net", "encoder layers 1–2"]
    assert view.grads.curves["grad_d_1"].name() == "encoder layer 1"
    view.set_display(Display(kind="image", n_modes=10, game=True))
    view.update_history(h)
    assert not view.dmean.note.isVisible()
    assert [e[2] for e in view.grads.key] == ["D, whole net", "G, whole net", "D layers 1–2"]
    assert view.grads.curves["grad_d_1"].name() == "D layer 1"


# -- conditional GANs: 1D samples coloured by class, the real grid of the picked class ----------------------------
def _frame(**keys):
    from gan_studio.engine import Trainer

    cfg = C.Config()
    for key, value in {"train.device": "cpu", "model.hidden": 16, "model.depth": 1, "model.conditional": True,
                       **keys}.items():
        cfg = C.with_value(cfg, key, value)
    return Trainer(cfg).frame()


def test_1d_rug_ticks_take_their_class_colours_and_plain_runs_get_one_colour_back(qtbot):
    """bimodal1d with conditioning: each generated tick in the colour of the class it was asked for, each real tick
    in its own class's (the 2D view's colours, classes.class_colour); an unconditional frame after it: one colour."""
    from gan_studio.gui.views.classes import class_colour
    from gan_studio.gui.views.data1d import RUG_POINTS, DataView1D

    frame = _frame(**{"data.name": "bimodal1d", "model.latent_dim": 1})
    assert frame.display.conditional and frame.display.n_modes == 2 and set(frame.fake_labels) == {0, 1}
    view = DataView1D()
    qtbot.addWidget(view)
    view.update_frame(frame)
    for item, labels in ((view.fake_rug, frame.fake_labels), (view.real_rug, frame.real_labels)):
        n = min(RUG_POINTS, len(labels))
        assert len(item.data) == n
        colours = [pen.color().getRgb()[:3] for pen in item.data["pen"]]
        assert colours == [class_colour(int(k), 2).getRgb()[:3] for k in labels[:n]]
    assert class_colour(0, 2).getRgb() != class_colour(1, 2).getRgb()
    view.update_frame(_frame(**{"data.name": "bimodal1d", "model.latent_dim": 1, "model.conditional": False}))
    assert all(pen is None for pen in view.fake_rug.data["pen"]), "the plain rug's one pen, no per-tick pens"


def test_the_real_image_grid_shows_only_the_picked_class(qtbot):
    """digits with conditioning and class 3 picked: the real grid is the fixed grid's cells of class 3, titled so;
    every class: all 64 cells."""
    from gan_studio.gui.views.images import ImageViews

    frame = _frame(**{"data.name": "digits", "model.shown_class": 3})
    labels = frame.images["real_labels"]
    assert labels.shape == (64,) and frame.display.shown_class == 3 and (labels == 3).sum() >= 2
    view = ImageViews()
    qtbot.addWidget(view)
    view.update_frame(frame)
    assert view._real.shape[0] == (labels == 3).sum()
    assert view._real == pytest.approx(frame.images["real"][labels == 3], abs=0)
    assert "class 3" in view.right_plot.titleLabel.text
    view.update_frame(_frame(**{"data.name": "digits", "model.shown_class": -1}))
    assert view._real.shape[0] == 64 and "class" not in view.right_plot.titleLabel.text
