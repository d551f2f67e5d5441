"""The time series is legible in a minute: at most three lines a plot until asked, the rest one click away, the
critic estimate only where the display facts say it means something, tick labels that never run together,
"not applicable" on data without modes, counts on whole numbers, shares within [0, 100], fresh ranges per run."""

from __future__ import annotations

import pytest

from gan_studio.frames import Display
from gan_studio.gui import ranges
from gan_studio.gui.history import History


def test_tick_spacing_leaves_room_for_every_label():
    # 1,500 steps on 250 px with labels 84 px wide ("10000" at 200 %): 1500 · 84 / 250 = 504 units a label → 1000
    assert ranges.tick_spacing(1500, 250, 84) == pytest.approx(1000.0, rel=1e-12)
    assert ranges.tick_spacing(1500, 600, 42) == pytest.approx(200.0, rel=1e-12)  # 105 units → 200
    for scale in (1.0, 1.5, 2.0):  # labels (width ∝ scale) never closer than their width
        step = ranges.tick_spacing(1500, 400, 42 * scale)
        assert step * 400 / 1500 >= 42 * scale
    assert ranges.tick_spacing(1.5, 300, 20, integer=True) == 1.0  # counts: no 0.5 ticks
    assert ranges.value_range(None, 0.0, 93.4, limits=(0.0, 100.0)) == pytest.approx((0.0, 100.0), abs=1e-12)
    assert ranges.value_range(None, 0.0, 93.4) == pytest.approx((-0.06 * 93.4, 100.0), abs=1e-12)  # unlimited


def _rows(n=12, **extra):
    return [{"step": s, "loss_d": 1.0, "loss_g": 0.7, "js": 0.3, "js_floor": 0.01, "js_d": 0.25, "w1": 0.5,
             "w1_floor": 0.1, "w1_fast": 0.55, "w1_fast_floor": 0.2, "sw1": 0.3, "w1_critic": 20.0, "lip": 5.0,
             "w1_lb": 4.0, "modes": 3.0, "modes_reached": 8.0, "hq": 0.0, "grad_norm_d": 2.0, "grad_norm_g": 1.0,
             "grad_d_0": 1.0, "grad_d_1": 0.5, **extra} for s in range(100, 100 * (n + 1), 100)]


def _shown(panel):
    return sorted(k for k, item in panel.curves.items() if item.isVisible() and item.xData is not None
                  and len(item.xData) and panel.columns[panel.group[k]].style != "floor")


def test_three_lines_a_panel_and_the_rest_one_click_away(qtbot):
    from gan_studio.gui.views.timeseries import FEWER, MORE, TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_display(Display(kind="2d", n_modes=8))  # a classifier loss without a Lipschitz method
    h = History()
    h.add_rows(_rows())
    view.update_history(h)
    assert _shown(view.w1) == ["w1", "w1_fast"]  # the critic estimate means nothing here: not drawn
    assert not view.w1.plot.getAxis("right").isVisible()
    assert "w1_critic" not in [e[0] for e in view.w1.key]
    assert _shown(view.grads) == ["grad_norm_d", "grad_norm_g"]
    assert _shown(view.modes) == ["hq", "modes", "modes_reached"]
    assert all(len(_shown(p)) <= 3 for p in view.panels)
    assert view.w1.curves["w1_fast_floor"].isVisible() and not view.w1.curves["w1_floor"].isVisible()
    view.w1.on_link(MORE)  # one click: every hidden curve
    assert _shown(view.w1) == ["lip", "sw1", "w1", "w1_fast", "w1_lb"]
    view.w1.on_link("sw1")  # a click on an entry toggles it
    assert "sw1" not in _shown(view.w1)
    view.w1.on_link(FEWER)
    assert _shown(view.w1) == ["w1", "w1_fast"]
    view.grads.on_link("grad_d_<i>")  # a per-layer group toggles as one
    assert _shown(view.grads) == ["grad_d_0", "grad_d_1", "grad_norm_d", "grad_norm_g"]
    # the key is made of links the title label reports clicks on
    view.js.plot.titleLabel.item.linkActivated.emit("js_d")
    assert "js_d" not in _shown(view.js)


def test_critic_estimate_is_drawn_where_the_display_facts_say_it_means_something(qtbot):
    from gan_studio.gui.views.timeseries import TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_display(Display(kind="2d", n_modes=8, critic_estimates_w1=True))
    h = History()
    h.add_rows(_rows())
    view.update_history(h)
    assert _shown(view.w1) == ["w1", "w1_critic", "w1_fast"]
    assert view.w1.plot.getAxis("right").isVisible()  # on its own axis
    assert view.w1.y2_range[1] >= 20.0 and view.w1.y_range[1] < 1.0  # its scale no longer sets W1's
    assert view.w1.plot.getAxis("right").labelText == "critic estimate"
    assert view.w1.end_labels["w1_fast"].isVisible()  # the main line is named at its end
    assert view.w1.end_labels["w1_fast"].toPlainText() == "exact (n = 256)"


def test_mode_panel_says_not_applicable_counts_whole_and_shares_within_0_100(qtbot):
    from gan_studio.gui.views.timeseries import NOT_APPLICABLE, TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_display(Display(kind="2d", n_modes=8))
    h = History()
    h.add_rows(_rows())
    view.update_history(h)
    assert view.modes.y2_range[0] >= 0.0 and view.modes.y2_range[1] <= 100.0  # hq = 0: no −0.5 %
    assert view.modes.plot.getAxis("left").integer
    left = view.modes.plot.getAxis("left")
    assert left.tickSpacing(0.0, 1.5, 300)[0][0] >= 1.0  # no "1.5 modes"
    assert not view.modes.note.isVisible()
    view.set_display(Display(kind="2d", n_modes=None))  # a new run on data without modes
    h.clear()
    h.add_rows([{"step": 100, "loss_d": 1.0}])
    view.update_history(h)
    assert view.modes.note.isVisible() and view.modes.note.toPlainText() == NOT_APPLICABLE
    assert view.modes.plot.viewRange()[1] == pytest.approx([0.0, 1.0], abs=1e-12)  # not the last run's range
    assert view.w1.plot.viewRange()[1] == pytest.approx([0.0, 1.0], abs=1e-12)


def test_step_ticks_never_run_together_at_any_scale(qtbot):
    from gan_studio.gui.views.timeseries import TimeSeriesView

    for scale in (1.0, 1.5, 2.0):
        view = TimeSeriesView(scale=scale)
        qtbot.addWidget(view)
        view.resize(700, 900)
        h = History()
        h.add_rows(_rows(n=150))
        view.update_history(h)
        axis = view.losses.plot.getAxis("bottom")
        lo, hi = view.losses.plot.viewRange()[0]
        size = axis.width()
        step = axis.tickSpacing(lo, hi, size)[0][0]
        assert step * size / (hi - lo) >= axis.label_extent(lo, hi)  # each label has its width and a gap


def test_a_lesson_stage_turns_on_the_hidden_curves_it_is_about(qtbot):
    """Lesson 5 is about the per-layer activation gradients, which the gradient panel hides behind "+k more": a
    stage's ``show`` turns them on, as clicks on their key entries would, and touches no other panel."""
    from gan_studio.gui.views.timeseries import TimeSeriesView
    from gan_studio.lessons import load_lesson

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_display(Display(kind="2d", n_modes=8))
    h = History()
    h.add_rows(_rows(grad_act_d_0=1e-6, grad_act_d_1=1e-3, grad_act_d_2=0.1))
    view.update_history(h)
    assert not any(k.startswith("grad_act_d_") for k in _shown(view.grads))
    before = {id(p): _shown(p) for p in view.panels if p is not view.grads}
    stage = load_lesson("5-clipping-vs-penalty").stages[0]
    view.show_curves(stage.show)
    assert [k for k in _shown(view.grads) if k.startswith("grad_act_d_")] == ["grad_act_d_0", "grad_act_d_1",
                                                                            "grad_act_d_2"]
    assert before == {id(p): _shown(p) for p in view.panels if p is not view.grads}
    assert "∂D/∂ activations 1–3" in [e[2] for e in view.grads.key]  # told apart from the parameter gradients
