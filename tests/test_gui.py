"""The studio window (pytest-qt, offscreen): opens, plays, switches the loss mid-run with a marker, refuses
bad values, survives training errors, closes its worker within 2 s, renders a PNG, never imports torch.

Windows run the real worker *process* with the NumPy-only SyntheticTrainer (starts in < 1 s); one test
renders with the real engine.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio import config
from gan_studio.gui import ranges
from gan_studio.gui.history import History, event_label
from gan_studio.gui.panels.controls import choice, set_choice
from gan_studio.gui.views.contours import contour_segments
from gan_studio.gui.views.data2d import arrow_segments
from gan_studio.testing.synthetic import SyntheticTrainer as SYNTH  # noqa: N814
from gan_studio.worker.protocol import Apply, Pause, Play, Restart, Speed, Step


def last_message(w) -> str:
    return w.status_message.text()


# -- pure helpers ---------------------------------------------------------------------------------------------
def test_contours_of_a_cone_are_circles():
    # z = r on a 101-point grid: each level-r contour point lies on the circle of radius r up to the
    # linear-interpolation error of r along a cell edge, ≤ h²/(8·r) = 0.02²/(8·0.3) ≈ 2e-4 < 1e-3.
    xs = ys = np.linspace(-1, 1, 101)
    X, Y = np.meshgrid(xs, ys)
    x, y = contour_segments(np.hypot(X, Y), xs, ys, [0.3])
    assert len(x) % 2 == 0 and len(x) > 40
    assert np.hypot(x, y) == pytest.approx(np.full(len(x), 0.3), abs=1e-3)


def test_arrows_scale_to_the_requested_length_and_point_along_the_push():
    p = np.zeros((10, 2))
    v = np.tile([[3.0, 4.0]], (10, 1))  # all the same: the 90th percentile is this length
    x, y = arrow_segments(p, v, 0.5)
    shafts = np.stack([x, y], 1).reshape(10, 6, 2)[:, :2]
    tip = shafts[:, 1] - shafts[:, 0]
    assert tip == pytest.approx(np.tile([[0.3, 0.4]], (10, 1)), abs=1e-12)  # exact arithmetic


def test_history_is_bounded_and_keeps_recent_points_exactly():
    h = History(cap=100)
    h.add_rows([{"step": i, "loss_d": float(i), "js": None if i % 2 else 0.5} for i in range(1000)])
    s = h.get("loss_d")
    assert s.n <= 100
    assert s.x[-1] == 999 and np.all(np.diff(s.x) > 0)
    assert np.array_equal(s.x[-40:], np.arange(960, 1000))  # the newest points are never thinned
    assert h.get("js").n <= 100
    assert event_label({"step": 3, "what": "loss.name", "old": "ns", "new": "wgan"}) == "loss: ns → wgan"
    assert event_label({"step": 9, "what": "reset", "old": None, "new": 0}) == "reset, seed 0"
    assert event_label({"step": 9, "what": "step_d", "old": None, "new": None}) == "step D"


def test_ranges_move_in_nice_steps_and_only_when_the_data_leave_or_shrink():
    assert [ranges.nice_ceiling(x) for x in (1234, 1000, 0.0031, 9.5, 0)] == \
        pytest.approx([1500, 1000, 0.005, 10, 0], rel=1e-12)
    assert (ranges.tick_step(7), ranges.tick_step(100)) == pytest.approx((2, 20), rel=1e-12)
    # [0.2, 0.9] padded by 6 % of 0.7 each side is [0.158, 0.942]; ticks of 0.2 round it out to [0, 1]
    r = ranges.value_range(None, 0.2, 0.9)
    assert r == pytest.approx((0.0, 1.0), abs=1e-12)
    assert ranges.value_range(r, 0.3, 0.75) is r  # inside and filling 0.45 / 1 ≥ 40 %: kept
    assert ranges.value_range(r, 0.3, 0.65) == pytest.approx((0.2, 0.7), abs=1e-12)  # 35 % < 40 %: redone
    assert ranges.value_range(r, 0.3, 1.1)[1] == pytest.approx(1.2, abs=1e-12)  # left it: redone
    assert ranges.value_range(r, 0.3, 1.0)[1] == pytest.approx(1.2, abs=1e-12)  # on its edge: redone
    assert ranges.value_range(None, 2.0, 2.0) == pytest.approx((1.7, 2.3), abs=1e-12)  # flat: a window round it
    assert ranges.value_range(None, 0.5, 93.4) == pytest.approx((0.0, 100.0), abs=1e-12)  # a share: no negatives
    assert ranges.value_range(None, 0.0, 93.4) == pytest.approx((-0.06 * 93.4, 100.0), abs=1e-12)  # 0 off the frame
    assert ranges.value_range(None, -1.0, 93.4)[0] == pytest.approx(-50.0, abs=1e-12)  # negative data: padded
    s = ranges.step_range(None, 10, 1234)  # from 0 to the nice ceiling of 1234
    assert s == pytest.approx((0, 1500), abs=1e-9)
    assert ranges.step_range(s, 10, 1490) is s
    assert ranges.step_range(s, 10, 1600) == pytest.approx((0, 2000), abs=1e-9)
    assert ranges.step_range((0, 2000), 10, 2100) == pytest.approx((0, 3000), abs=1e-9)
    assert ranges.step_range((0, 20000), 10, 50) == pytest.approx((0, 50), abs=1e-9)  # a new run: shrinks


def test_time_series_redraw_within_a_budget_and_keep_stepped_ranges(qtbot):
    from gan_studio.gui.views.timeseries import TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    h = History()
    h.add_rows([{"step": s, "loss_d": 0.2 + 0.7 * (s // 10 % 2), "loss_g": 0.5, "js": 0.1} for s in range(10, 130, 10)])
    assert [view.update_history(h, budget=1) for _ in range(7)] == [1, 1, 1, 1, 1, 1, 0]
    assert len(view.losses.curves["loss_d"].getData()[0]) == 12
    assert view.losses.plot.viewRange()[0] == pytest.approx([0, 150], abs=1e-9)  # nice ceiling of 120
    assert view.losses.plot.viewRange()[1] == pytest.approx([0.0, 1.0], abs=1e-9)
    assert view.js.plot.viewRange()[0] == pytest.approx([0, 150], abs=1e-9)  # linked step axis
    # JS data at 0.1, and log 2 always in view: [0.1, 0.693] padded, in ticks of 0.2
    assert view.js.plot.viewRange()[1] == pytest.approx([0.0, 0.8], abs=1e-9)
    h.add_rows([{"step": 124, "loss_d": 0.5, "loss_g": 0.5, "js": 0.1}])
    assert view.update_history(h) == 6  # no budget (paused): all at once
    assert view.losses.plot.viewRange()[0] == pytest.approx([0, 150], abs=1e-9)  # still fits: unchanged
    # a plot the person zoomed keeps their range; its "A" button resumes following
    view.losses.plot.vb.sigRangeChangedManually.emit([False, True])
    view.losses.plot.setYRange(0.4, 0.6, padding=0)
    h.add_rows([{"step": 200, "loss_d": 3.0, "loss_g": 0.5, "js": 0.1}])
    view.update_history(h)
    assert view.losses.plot.viewRange()[1] == pytest.approx([0.4, 0.6], abs=1e-9)
    assert view.losses.plot.viewRange()[0] == pytest.approx([0, 150], abs=1e-9)  # step axis held too
    view.losses.plot.autoBtn.clicked.emit(view.losses.plot.autoBtn)
    view.update_history(h)
    # [0.2, 3.0] padded by 6 % of 2.8 is [0.032, 3.168]; ticks of 1 round it out to [0, 4]
    assert view.losses.plot.viewRange()[1] == pytest.approx([0.0, 4.0], abs=1e-9)
    assert view.losses.plot.viewRange()[0] == pytest.approx([0, 200], abs=1e-9)


def test_moving_points_in_place_draws_what_set_data_draws(qtbot):
    import pyqtgraph as pg

    from gan_studio.gui.views.scatter import move_points

    def picture(setup):
        w = pg.PlotWidget()
        qtbot.addWidget(w)
        w.resize(200, 200)
        item = pg.ScatterPlotItem(pen=None, brush="r", size=9)
        w.addItem(item)
        w.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
        setup(item)
        return item, w.grab().toImage(), w

    start, end = np.array([[1.0, 1.0], [2.0, 5.0], [9.0, 3.0]]), np.array([[5.0, 5.0], [7.0, 2.0], [3.0, 8.0]])
    _, ref, _ = picture(lambda item: item.setData(pos=end))
    records = {}

    def move(item):
        item.setData(pos=start)
        records["before"] = item.data
        move_points(item, end)

    item, moved, plot = picture(move)
    assert item.data is records["before"]  # moved in place, not set up again
    assert np.column_stack(item.getData()) == pytest.approx(end, abs=0)
    assert [*item.dataBounds(0), *item.dataBounds(1)] == pytest.approx([3, 7, 2, 8], abs=0)
    assert moved == ref  # pixel for pixel what setData draws
    move_points(item, np.ones((2, 2)))  # another number of points: set up again
    assert len(item.data) == 2 and item.data is not records["before"]


def test_data_view_widens_for_wandering_samples_and_comes_back(qtbot):
    from gan_studio.frames import Display, Frame
    from gan_studio.gui.views.data2d import NARROW_AFTER, DataView2D

    view = DataView2D()
    qtbot.addWidget(view)
    bounds = np.array([[-2.0, 2.0], [-2.0, 2.0]])
    rng = np.random.default_rng(0)
    home = rng.uniform(-1.5, 1.5, size=(200, 2))

    def show(fake):
        view.update_frame(Frame(step=0, dim=2, loss="ns", lipschitz="none", bounds=bounds, real=home, fake=fake,
                                display=Display(d_view="probability")), probed=False)
        return np.array(view.plot.viewRange())

    fitted = show(home)  # the data's bounds padded 2 % of their width on each side (x wider: equal aspect)
    assert fitted[1] == pytest.approx([-2.08, 2.08], abs=1e-9) and fitted[0, 0] <= -2.08 and fitted[0, 1] >= 2.08
    away = show(home + [5.0, 0.0])  # all outside: widened to show them
    assert away[0, 1] > 6.4 and away[0, 0] <= fitted[0, 0]
    for _ in range(NARROW_AFTER - 1):
        assert np.array_equal(show(home), away)  # back home, but not yet for long enough
    assert show(home) == pytest.approx(fitted, abs=1e-9)
    view.plot.vb.sigRangeChangedManually.emit([True, True])  # the person zooms: the view is theirs
    assert np.array_equal(show(home + [5.0, 0.0]), fitted)


# -- the window -----------------------------------------------------------------------------------------------
def test_window_opens_on_the_default_experiment(make_window):
    w = make_window()
    assert w.data_stack.currentWidget() is w.view2d
    assert choice(w.controls.combos["loss.name"]) == config.Config().loss.name
    assert choice(w.controls.combos["data.name"]) == config.Config().data.name
    assert w.controls.combos["loss.name"].currentText() == "non-saturating GAN (ns)"  # readable, with the code
    assert float(w.controls.fields["optim.lr_d"].text()) == config.Config().optim.lr_d
    assert not w.playing and w.step == 0


def test_play_makes_the_step_count_rise_and_pause_stops_it(make_window, qtbot):
    w = make_window()
    qtbot.mouseClick(w.controls.play_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.step > 30, timeout=10000)
    assert w.playing and w.controls.play_button.text() == "Pause"
    qtbot.mouseClick(w.controls.play_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.playing, timeout=5000)
    qtbot.wait(300)
    frozen = w.step
    qtbot.wait(300)
    assert w.step == frozen


def test_time_series_are_current_after_every_slow_motion_frame(make_window, qtbot):
    """At full speed one plot is redrawn per frame; in slow motion (4 frames/s, a row each) every frame must
    show every plot up to date, or a plot would lag a step by 1.5 s."""
    w = make_window(config.with_value(config.Config(), "train.log_every", 1))
    w.send(Speed(1, 4.0))
    w.send(Play())
    current = []

    def check():
        current.append(all(p.version == w.history.version for p in w.series.panels))

    qtbot.waitUntil(lambda: w.step >= 3, timeout=10000)
    w.timer.timeout.connect(check)  # right after each paint
    qtbot.waitUntil(lambda: len(current) >= 3, timeout=10000)
    assert all(current)


def test_switching_the_loss_records_an_event_and_a_marker_on_every_plot(make_window, qtbot):
    w = make_window()
    w.send(Step(25))
    qtbot.waitUntil(lambda: w.step == 25, timeout=5000)
    box = w.controls.combos["loss.name"]
    set_choice(box, "wgan")
    box.activated.emit(box.currentIndex())  # what a person's choice emits
    qtbot.waitUntil(lambda: any(e["what"] == "loss.name" for e in w.history.events), timeout=5000)
    event = [e for e in w.history.events if e["what"] == "loss.name"][-1]
    assert (event["step"], event["old"], event["new"]) == (25, "ns", "wgan")
    qtbot.waitUntil(lambda: w.series.marker_count == 1, timeout=3000)
    assert w.series.markers_per_plot() == [1] * 6
    marker = w.series.losses.markers[0]
    assert marker.value() == 25 and marker.label.toPlainText() == "loss: ns → wgan"
    # model → UI: a change that did not come from the combo still shows in it
    w.send(Apply("loss.name", "hinge"))
    qtbot.waitUntil(lambda: choice(box) == "hinge", timeout=5000)


def test_views_update_in_2d_and_1d(make_window, qtbot):
    w = make_window()
    w.send(Step(120))
    qtbot.waitUntil(lambda: w.step == 120 and not w.dirty, timeout=5000)
    v = w.view2d
    assert v.frames_drawn >= 1
    assert v.surface.image is not None and v.surface.image.shape == (100, 100)
    assert len(v.fake.data) == 400 and len(v.real.data) == 400
    assert len(v.contours.getData()[0]) > 0
    assert len(v.push.getData()[0]) == 6 * len(w.latest.frame.push)  # an arrow (3 segments) per push the frame has
    assert v.bar.getAxis("left").labelText == "σ(D(x)) = P(real)"
    assert len(w.series.losses.curves["loss_d"].getData()[0]) == 12
    assert len(w.series.js.curves["js"].getData()[0]) == 1
    assert "How to read this" in w.explain.text()

    w1 = make_window(config.with_value(config.with_value(config.Config(), "data.name", "bimodal1d"),
                                       "model.latent_dim", 1))
    assert w1.data_stack.currentWidget() is w1.view1d
    v1 = w1.view1d
    assert len(v1.p_data.getData()[0]) > 0 and len(v1.p_gen.getData()[0]) > 0
    assert len(v1.d_line.getData()[0]) > 0 and v1.d_ref.isVisible()
    assert len(v1.map_lines.getData()[0]) > 0  # latent_dim = 1: the z → x picture is drawn


def test_bad_values_are_refused_with_the_allowed_range(make_window, qtbot):
    w = make_window()
    edit = w.controls.fields["optim.lr_d"]
    edit.setText("-1")
    edit.editingFinished.emit()
    assert "refused" in last_message(w) and "optim.lr_d" in last_message(w) and "must be > 0" in last_message(w)
    assert float(edit.text()) == config.Config().optim.lr_d  # back to the run's value
    batch = w.controls.fields["train.batch_size"]
    batch.setText("lots")
    batch.editingFinished.emit()
    assert "expected a whole number" in last_message(w)
    width = w.controls.fields["model.hidden"]
    width.setText("0")
    w.controls._model_restart()
    assert "model.hidden" in last_message(w) and "≥ 1" in last_message(w)
    assert not [c for c in w.sent if isinstance(c, Apply | Restart)]
    edit.setText("0.0003")  # a good value goes through and comes back from the worker
    edit.editingFinished.emit()
    qtbot.waitUntil(lambda: w.cfg.optim.lr_d == 0.0003, timeout=5000)


def test_a_training_error_pauses_with_a_message_and_the_window_stays_usable(make_window, qtbot):
    w = make_window()
    w.send(Play())
    qtbot.waitUntil(lambda: w.step > 10, timeout=10000)
    w.send(Apply("optim.lr_d", 5.0))  # the synthetic trainer fails like a NaN at lr_d ≥ 5
    qtbot.waitUntil(lambda: bool(w.error), timeout=5000)
    assert "non-finite" in last_message(w) and not w.playing
    assert w.controls.play_button.text() == "Play"
    w.send(Apply("optim.lr_d", 1e-4))
    step = w.step
    w.send(Step(3))
    qtbot.waitUntil(lambda: w.step == step + 3 and not w.error, timeout=5000)


def test_restart_asks_first_and_clears_the_history(make_window, qtbot):
    w = make_window()
    w.send(Step(30))
    qtbot.waitUntil(lambda: w.step == 30 and w.history.get("loss_d") is not None, timeout=5000)
    w.confirm = lambda text: False
    w.controls.fields["model.hidden"].setText("64")
    w.controls._model_restart()
    assert not [c for c in w.sent if isinstance(c, Restart)]
    assert w.controls.fields["model.hidden"].text() == "128"  # declined: the field shows the run's value again
    w.confirm = lambda text: True
    w.controls.fields["model.hidden"].setText("64")
    w.controls._model_restart()
    qtbot.waitUntil(lambda: w.cfg.model.hidden == 64 and w.step == 0, timeout=5000)
    assert w.history.get("loss_d") is None and w.generation == 2


def test_keyboard_space_right_and_r(make_window, qtbot):
    w = make_window()
    w.activateWindow()
    for key in (QtCore.Qt.Key.Key_Right, QtCore.Qt.Key.Key_R, QtCore.Qt.Key.Key_Space):
        for s in w.shortcuts:
            if s.key() == QtGui.QKeySequence(key):
                s.activated.emit()
    assert w.sent[-3:] == [Step(1), Apply("reset"), Play()]


def test_keys_work_after_esc_leaves_a_text_field(make_window, qtbot):
    w = make_window()
    field = w.controls.fields["optim.lr_d"]
    field.setFocus()
    qtbot.keyClicks(field, "x")
    assert field.text().endswith("x")  # typing in a field types, it does not play
    n = len(w.sent)
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Space)
    assert field.text().endswith("x ") and len(w.sent) == n
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Escape)
    assert QtWidgets.QApplication.focusWidget() is not field
    qtbot.keyClick(w, QtCore.Qt.Key.Key_Right)
    qtbot.keyClick(w, QtCore.Qt.Key.Key_Space)
    assert w.sent[n:] == [Step(1), Play()]
    w.controls.play_button.setFocus()  # a button with the focus: Space still plays / pauses
    qtbot.keyClick(w.controls.play_button, QtCore.Qt.Key.Key_Space)
    assert w.sent[n + 2:] == [Pause()]


def test_reset_asks_when_the_run_has_steps(make_window, qtbot):
    w = make_window()
    w.send(Step(3))
    qtbot.waitUntil(lambda: w.step == 3, timeout=5000)
    asked = []
    w.confirm = lambda text: asked.append(text) or False
    n = len(w.sent)
    qtbot.keyClick(w, QtCore.Qt.Key.Key_R)
    w.controls.command.emit(Apply("reset"))  # the panel's Reset button asks the same way
    assert w.sent[n:] == [] and len(asked) == 2 and "step 3" in asked[0]
    w.confirm = lambda text: True
    qtbot.keyClick(w, QtCore.Qt.Key.Key_R)
    assert w.sent[n:] == [Apply("reset")]


def test_messages_expire_and_long_ones_have_details(make_window, qtbot):
    w = make_window()
    w.message_s = 0.05
    w.show_message("short")
    assert last_message(w) == "short" and w.details_button.isVisible()
    qtbot.waitUntil(lambda: last_message(w) == "", timeout=2000)
    assert not w.details_button.isVisible()
    w.error_message_s = 0.3
    long = "could not open the run: " + "x" * 2000
    w.show_message(long, True)
    qtbot.wait(150)
    assert last_message(w) == long  # an error stays longer
    label = w.status_message
    assert label.toolTip() == long and label.shown().endswith("…") and len(label.shown()) < len(long)
    dialog = w.show_details()
    assert dialog.findChild(QtWidgets.QPlainTextEdit, "message").toPlainText() == long
    dialog.findChild(QtWidgets.QPushButton, "copy").click()
    assert QtWidgets.QApplication.clipboard().text() == long
    dialog.close()
    qtbot.waitUntil(lambda: last_message(w) == "", timeout=2000)


def test_help_lists_every_shortcut_from_the_table(make_window):
    from gan_studio.gui.help import KEYS

    w = make_window()
    dialog = w.show_shortcuts()
    table = dialog.findChild(QtWidgets.QTableWidget, "shortcuts")
    keys = [table.item(i, 0).text() for i in range(table.rowCount())]
    menu = [a.shortcut().toString() for m in (w.file_menu, w.edit_menu) for a in m.actions()
            if not a.shortcut().isEmpty()]
    assert keys == [QtGui.QKeySequence(k.keys).toString() for k in KEYS] + menu
    assert {s.key().toString() for s in w.shortcuts} == {QtGui.QKeySequence(k.keys).toString() for k in KEYS
                                                        if k.slot}
    assert [a.text() for a in w.help_menu.actions()] == ["&Keyboard shortcuts", "&What the panels show"]
    dialog.close()
    panels = w.show_panels().findChild(QtWidgets.QLabel, "panels").text()
    assert all(name in panels for name in ("Data space", "Time series", "Controls"))


def test_closing_ends_the_worker_within_two_seconds(make_window, qtbot):
    w = make_window()
    w.send(Play())
    qtbot.waitUntil(lambda: w.step > 5, timeout=10000)
    process = w.worker.process
    t0 = time.monotonic()
    w.close()
    assert time.monotonic() - t0 < 2.0
    assert not process.is_alive() and not w.bridge.isRunning()


def test_theme_and_scale_switch_keep_the_items(make_window):
    w = make_window()
    surface = w.view2d.surface
    w.set_view("dark", 1.5)
    assert w.view2d.surface is surface and w.view2d.real.opts["size"] == pytest.approx(5.5 * 1.5)


# -- render ---------------------------------------------------------------------------------------------------
def _is_non_blank(path) -> bool:
    img = QtGui.QImage(str(path))
    assert not img.isNull()
    arr = np.frombuffer(img.convertToFormat(QtGui.QImage.Format.Format_RGB32).constBits().asstring(
        img.sizeInBytes()), dtype=np.uint8)
    return img.width() > 0 and arr.std() > 20 and len(np.unique(arr[::97])) > 20


def test_render_writes_a_non_blank_png(tmp_path, qtbot):
    from gan_studio.gui.render import render

    out = tmp_path / "shot.png"
    err = render(config.Config(), 60, out, size=(1200, 800), at_schedule=[(30, "loss.name", "wgan")],
                 trainer_factory=SYNTH)
    assert err == ""
    img = QtGui.QImage(str(out))
    assert (img.width(), img.height()) == (1200, 800)
    assert _is_non_blank(out)


@pytest.mark.slow  # default run under 10 min on 2 cores: preset claims over ~10 s run with -m slow
def test_render_with_the_real_engine(tmp_path, qtbot):
    pytest.importorskip("torch")
    from gan_studio.gui.render import render

    out = tmp_path / "real.png"
    cfg = config.with_value(config.Config(), "train.batch_size", 64)
    assert render(cfg, 20, out, size=(1000, 700)) == ""
    assert _is_non_blank(out)
    with pytest.raises(config.ConfigError, match="png"):
        render(cfg, 1, tmp_path / "x.jpg")


def test_a_preset_loads_from_its_starting_state_or_from_scratch(make_window):
    from gan_studio.presets import load_preset

    w = make_window()
    got = []
    w.controls.restart.connect(lambda cfg, what: got.append((cfg, what)))
    w.controls.preset.setCurrentText("ring8-wgan-gp")
    w.controls._load_preset()
    assert got[-1][0] == load_preset("ring8-wgan-gp") and got[-1][0].train.start == "ring8-wgan-gp"
    w.controls.scratch.setChecked(True)
    w.controls._load_preset()
    assert got[-1][0].train.start == "" and got[-1][1] == "preset ring8-wgan-gp, from scratch"
    w.controls._select_preset(got[-1][0])  # a from-scratch run still shows its preset's name
    assert w.controls.preset.currentText() == "ring8-wgan-gp"


def test_copy_as_command_reproduces_the_run_from_its_record(make_window, qtbot, tmp_path):
    from gan_studio.worker.protocol import Apply, Step

    w = make_window()
    w.send(Step(20))
    w.send(Apply("loss.name", "wgan"))
    w.send(Step(10))
    qtbot.waitUntil(lambda: w.step == 30, timeout=10000)
    line = w.copy_command()
    assert line.startswith("gan-studio run") and "--steps 30" in line and "--at 20 loss.name=wgan" in line
    assert QtWidgets.QApplication.clipboard().text() == line


def test_the_window_has_the_dirac_lab_and_says_what_the_objective_is(make_window, qtbot):
    w = make_window()
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())][:2] == ["Data space", "Dirac-GAN lab"]


def test_presentation_mode_hides_the_controls_scales_up_and_comes_back(make_window):
    w = make_window()
    assert w.dock.isVisible() and w.scale == 1.0 and not w.present_bar.isVisible()
    w.toggle_presentation()
    assert not w.dock.isVisible() and w.present_bar.isVisible() and w.scale == w.PRESENTATION_SCALE
    w.toggle_presentation()
    assert w.dock.isVisible() and not w.present_bar.isVisible() and w.scale == 1.0


def test_the_high_contrast_theme_is_offered_and_dark():
    from PyQt6 import QtGui as G

    from gan_studio.gui import theme

    assert "contrast" in theme.THEMES and G.QColor(theme.THEMES["contrast"].bg).lightness() < 30


def test_a_lesson_plays_to_each_stage_goes_back_and_can_be_left(make_window, qtbot):
    from gan_studio.lessons import load_lesson

    lesson = load_lesson("3-mode-collapse")
    first, second = lesson.stages[0].step, lesson.stages[1].step
    w = make_window()
    assert w.start_lesson("3-mode-collapse")
    qtbot.waitUntil(lambda: w.step == first and not w.playing, timeout=30000)
    assert w.lesson_bar.isVisible() and lesson.stages[0].caption in w.lesson_bar.caption.text()
    assert w.lesson_bar.next_button.isEnabled()
    w.lesson_next()
    qtbot.waitUntil(lambda: w.step == second and not w.playing, timeout=30000)
    assert w.cfg.remedy.name == "packing"  # the first stage's change, applied after its step
    w.lesson_back()  # replays from the start to the first stage
    qtbot.waitUntil(lambda: w.step == first and not w.playing and w.lesson.index == 0, timeout=30000)
    w.lesson_leave()
    assert w.lesson is None and not w.lesson_bar.isVisible()
