"""Presentation mode (P) and large view scales stay legible on a projector (issue 13): at 1280×720 and 1920×1080
every plot shown keeps a readable height and lies whole on screen, the lesson caption in the status bar gets
the room, and the controls' rows return to their height after 200 % → 100 %."""

import pytest
from PyQt6 import QtWidgets

from gan_studio import config as C

MIN_PLOT_PX = 60  # the least height of a plot's data area a student in the back row can read a curve in


def _packet(data: str):
    """A final Packet of a short synthetic run (no torch) on ``data``."""
    from gan_studio.testing.synthetic import SyntheticTrainer
    from gan_studio.worker.oneshot import train_packet

    cfg = C.to_dict(C.Config())
    cfg["data"]["name"] = data
    return train_packet(cfg, 300, trainer_factory=SyntheticTrainer)


def _presenting(packet, size, scale, caption=""):
    """An offscreen window showing ``packet`` in presentation mode at ``size`` (not full screen: the size is the
    projector's)."""
    from gan_studio.gui.render import OffscreenWindow

    window = OffscreenWindow(packet.cfg, size, "light", scale)
    window.window.toggle_presentation()
    window.window.showNormal()
    window.window.resize(*size)
    window.app.processEvents()
    window.show(packet, settle=3)
    if caption:
        window.window.show_message(caption, False)
        window.app.processEvents()
    return window


def _shown_plots(win):
    """(name, PlotItem, widget) of every plot on screen: the current data view's and the time series'."""
    view = win.data_stack.currentWidget()
    plots = [(f"data {i}", p, view) for i, p in enumerate(view.ci.items) if p.isVisible()
             if hasattr(p, "vb")]
    plots += [(p.title, p.plot, win.series) for p in win.series.panels if p.plot.isVisible()]
    return plots


# the tightest case (200 % on 1280×720) in the default run; the other sizes and scales with -m slow (10-minute CI)
@pytest.mark.parametrize("data,scale,size", [
    pytest.param(data, scale, size, marks=() if (scale, size) == (2.0, (1280, 720)) else pytest.mark.slow)
    for data in ("bimodal1d", "ring8") for scale in (1.0, 2.0) for size in ((1280, 720), (1920, 1080))])
def test_every_plot_shown_in_presentation_mode_is_readable_and_whole(data, scale, size):
    window = _presenting(_packet(data), size, scale)
    win = window.window
    try:
        viewport = win.series_scroll.viewport()
        plots = _shown_plots(win)
        assert any(name.startswith("data") for name, _, _ in plots)  # no empty panel: a data plot and a series
        assert any(widget is win.series for _, _, widget in plots)
        view = win.data_stack.currentWidget()  # the data view's plots end within it (x axes not cut off)
        assert view.ci.geometry().height() <= view.height() + 1
        for name, plot, widget in plots:
            assert plot.vb.height() >= MIN_PLOT_PX, f"{name}: {plot.vb.height():.0f} px high"
            if widget is win.series:  # no row cut off at the bottom of the scroll area, no column at its side
                corner = widget.mapTo(viewport, widget.mapFromScene(plot.sceneBoundingRect().bottomRight()))
                assert corner.y() <= viewport.height() + 1, f"{name} ends at {corner.y()} of {viewport.height()} px"
                assert corner.x() <= viewport.width() + 1, f"{name} ends at x {corner.x()} of {viewport.width()} px"
                title = plot.titleLabel.item.boundingRect().width()
                assert title <= plot.width(), f"{name}: title {title:.0f} px in a {plot.width():.0f} px plot"
    finally:
        window.close()


def test_presentation_mode_shows_every_row_again_when_it_ends():
    window = _presenting(_packet("ring8"), (1280, 720), 1.0)
    win = window.window
    try:
        def shown():
            return sum(panel.plot.isVisible() for panel in win.series.panels)

        assert shown() < 6  # three rows of 285 px do not fit 720 px at 150 %
        win.toggle_presentation()
        window.app.processEvents()
        assert shown() == 6
    finally:
        window.close()


def test_the_lesson_caption_gets_most_of_the_status_bar_in_presentation_mode():
    caption = "Lesson 2/4 · step 1,500: watch the generator hop from one mode to the next round the ring"
    window = _presenting(_packet("ring8"), (1280, 720), 2.0, caption)
    win = window.window
    try:
        assert win.status_message.width() >= 0.6 * win.statusBar().width()
        assert win.status_message.toolTip() == caption  # the whole caption, when it is elided
    finally:
        window.close()


def test_the_controls_rows_return_to_their_height_after_200_to_100_percent():
    import dataclasses

    from gan_studio.gui.render import OffscreenWindow

    window = OffscreenWindow(dataclasses.asdict(C.Config()), (1280, 720))
    win = window.window
    try:
        def heights():
            window.app.processEvents()
            boxes = [b for b in win.controls.findChildren(QtWidgets.QComboBox) if b.isVisible()]
            return [b.height() for b in boxes]

        at_100 = heights()
        win.set_view("light", 2.0)
        at_200 = heights()
        assert min(at_200) > max(at_100)  # the switch did take effect
        win.set_view("light", 1.0)
        assert heights() == at_100
    finally:
        window.close()


def test_the_time_series_stack_in_one_column_when_narrow_for_their_scale():
    import dataclasses

    from gan_studio.gui.render import OffscreenWindow

    window = OffscreenWindow(dataclasses.asdict(C.Config()), (1280, 720), scale=2.0)
    win = window.window
    try:
        window.show(_packet("ring8"), settle=3)
        assert win.series.columns() == 1 and win.series.visible_rows() == 6  # all six, scrolling
        for panel in win.series.panels:
            assert panel.plot.vb.width() >= 120, f"{panel.title}: {panel.plot.vb.width():.0f} px wide"
        win.set_view("light", 1.0)
        window.window.resize(1920, 1080)
        window.app.processEvents()
        assert win.series.columns() == 2 and win.series.visible_rows() == 3
    finally:
        window.close()


def test_event_labels_sit_over_the_curves_on_a_ground_of_the_background():
    from PyQt6 import QtGui

    from gan_studio.schedule import parse_change
    from gan_studio.testing.synthetic import SyntheticTrainer
    from gan_studio.worker.oneshot import train_packet

    packet = train_packet(C.to_dict(C.Config()), 300, [parse_change(100, "loss.name=minimax")],
                          trainer_factory=SyntheticTrainer)
    window = _presenting(packet, (1280, 720), 1.0)
    win = window.window
    try:
        assert win.series.marker_count == 1
        for panel in win.series.panels:
            marker = panel.markers[0]
            assert all(marker.zValue() > curve.zValue() for curve in panel.curves.values())
            assert marker.label.fill.color().rgb() == QtGui.QColor(win.theme.bg).rgb()
            assert marker.label.fill.color().alpha() >= 200
    finally:
        window.close()


def test_a_lesson_stage_leaves_room_for_the_plots_and_keeps_its_panel_in_view():
    from gan_studio.lessons import load_lesson

    lesson = load_lesson("3-mode-collapse")
    stage = max(lesson.stages, key=lambda s: len(s.caption) + len(s.question or ""))
    assert stage.highlight == "modes"  # the last row of time series: the one cut off first
    window = _presenting(_packet("ring8"), (1280, 720), 2.0)
    win = window.window
    try:
        win.lesson_bar.show_stage(lesson.name, 1, len(lesson.stages), stage, False, win.scale)
        win._highlight(stage.highlight)
        window.app.processEvents()
        assert win.width() <= 1280  # the bar's top row does not widen the window past the screen
        assert win.lesson_bar.height() <= 0.3 * win.height()
        assert stage.caption in win.lesson_bar.caption.toolTip()  # the whole caption, when it scrolls
        assert win.series.panel_ids["modes"].plot.isVisible()
        assert win.series.panel_ids["modes"].plot.vb.height() >= MIN_PLOT_PX
    finally:
        window.close()


def test_the_2d_view_keeps_a_square_readable_plot_under_a_lesson_bar():
    from gan_studio.gui.views.data2d import DATA_PX
    from gan_studio.lessons import load_lesson

    lesson = load_lesson("3-mode-collapse")
    stage = max(lesson.stages, key=lambda s: len(s.caption) + len(s.question or ""))
    window = _presenting(_packet("ring8"), (1280, 720), 2.0)
    win = window.window
    try:
        win.lesson_bar.show_stage(lesson.name, 1, len(lesson.stages), stage, False, win.scale)
        for _ in range(3):
            window.app.processEvents()
        vb = win.view2d.plot.vb
        # before: the whole data view got 225 px and the plot's data area 2 px; the title row and the axis are
        # estimated, so three quarters of DATA_PX × scale is the least a fix leaves
        assert vb.height() >= 0.75 * DATA_PX * win.scale, f"{vb.height():.0f} px high"
        assert vb.width() >= vb.height()  # square-ish: the aspect is locked, the height is what runs short
        assert not win.explain_scroll.isVisible()  # the less important row went first
        assert win.height() <= 720
    finally:
        window.close()


@pytest.mark.parametrize("size,scale", [((1280, 720), 2.0), ((1280, 720), 1.0), ((1920, 1080), 1.5)])
def test_the_controls_keep_to_their_share_of_the_width(size, scale):
    window = OffscreenWindow_(size, scale)
    win = window.window
    try:
        window.app.processEvents()
        # before: 857 px of 1280 at 200 % and 476 at 100 % (only the dock's minimum width followed the rule)
        assert win.dock.width() <= win.DOCK_SHARE * win.width() + 1, f"{win.dock.width()} of {win.width()} px"
    finally:
        window.close()


@pytest.mark.parametrize(("size", "scale"), [((1920, 1080), 1.5), ((1920, 1080), 1.0), ((1280, 720), 1.0)])
def test_the_controls_fit_their_share_at_common_sizes(size, scale):
    """Within their share the controls still fit whole at the common sizes: at a share of 0.3 the Run buttons were
    cut at the right at 1920×1080 and 150 %."""
    window = OffscreenWindow_(size, scale)
    win = window.window
    try:
        window.app.processEvents()
        assert win.controls.minimumSizeHint().width() <= win.dock.width(), f"{win.dock.width()} px at {size}, {scale}"
    finally:
        window.close()


def OffscreenWindow_(size, scale):  # noqa: N802 (reads as the class it makes)
    """A normal-mode offscreen window of the default config at ``size`` and ``scale``."""
    import dataclasses

    from gan_studio.gui.render import OffscreenWindow

    return OffscreenWindow(dataclasses.asdict(C.Config()), size, scale=scale)


def test_the_controls_title_follows_the_scale_of_its_own_window():
    first = OffscreenWindow_((1280, 720), 2.0)
    first.close()
    window = OffscreenWindow_((1280, 720), 1.0)
    try:
        title = window.window.dock.titleBarWidget()
        # before: Qt's own title kept the font the application had when the dock was made (20 pt here)
        assert title is not None and title.font().pointSizeF() == pytest.approx(10.0, abs=0.01)
        window.window.set_view("light", 2.0)
        window.app.processEvents()
        assert title.font().pointSizeF() == pytest.approx(20.0, abs=0.01)
    finally:
        window.close()


def test_event_labels_fit_their_plot_and_keep_the_whole_text_in_a_tooltip():
    from gan_studio.schedule import parse_change
    from gan_studio.testing.synthetic import SyntheticTrainer
    from gan_studio.worker.oneshot import train_packet

    packet = train_packet(C.to_dict(C.Config()), 300, [parse_change(100, "loss.name=minimax")],
                          trainer_factory=SyntheticTrainer)
    window = OffscreenWindow_((1280, 720), 2.0)
    win = window.window
    try:
        window.show(packet, settle=3)
        for panel in win.series.panels:
            if not panel.plot.isVisible():
                continue
            marker = panel.markers[0]
            label, vb = marker.label.sceneBoundingRect(), panel.plot.vb.sceneBoundingRect()
            # before: "loss: ns → minimax" ran past the top of a 120 px plot
            assert label.top() >= vb.top() - 1, f"{panel.title}: label from {label.top():.0f}, plot {vb.top():.0f}"
            assert marker.label.toolTip() == marker.full_label
            assert "minimax" in marker.full_label
    finally:
        window.close()


def test_several_changes_at_one_step_share_a_label_of_two_lines_with_all_in_its_tooltip():
    """Lesson 5 switches five settings at step 100: their label stood as five columns of text over the curves."""
    from gan_studio.schedule import parse_change
    from gan_studio.testing.synthetic import SyntheticTrainer
    from gan_studio.worker.oneshot import train_packet

    changes = ["lipschitz.name=gp", "optim.lr_d=0.0001", "optim.beta1=0.5", "optim.beta2=0.9", "optim.lr_g=0.0002"]
    packet = train_packet(C.to_dict(C.Config()), 300, [parse_change(100, text) for text in changes],
                          trainer_factory=SyntheticTrainer)
    window = OffscreenWindow_((1920, 1080), 1.0)
    try:
        window.show(packet, settle=3)
        marker = window.window.series.losses.markers[0]
        shown = marker.label.format.split("\n")
        assert len(shown) == 2 and shown[1] == "+4 more changes"
        assert marker.label.toolTip().count("\n") == 4  # every change, one a line
    finally:
        window.close()


def test_no_inversion_marker_is_drawn_before_an_inversion():
    window = OffscreenWindow_((1280, 720), 1.0)
    win = window.window
    try:
        window.show(_packet("ring8"), settle=2)
        text = win.view2d.inversion.text
        # before: the empty text's ground painted a small white box at (0, 0)
        assert not text.isVisible()
        win.view2d.inversion.show((0.5, 0.5))  # a request on its way: its note shows
        assert text.isVisible()
        win.view2d.inversion.show(None)
        assert not text.isVisible()
    finally:
        window.close()


def test_the_mode_coverage_names_do_not_cover_each_other_or_the_data_line():
    import dataclasses

    packet = _packet("ring8")
    rows = [dict(r, modes=8.0, modes_reached=8.0, hq=60.0) if r.get("modes_reached") is not None else r
            for r in packet.rows]  # every mode covered: both lines end on the "8 in the data" line
    window = _presenting(dataclasses.replace(packet, rows=rows), (1920, 1080), 1.5)
    win = window.window
    try:
        win.highlighted = "modes"  # a lesson points at it: its row is shown
        win._fit_series()
        window.app.processEvents()
        panel = win.series.panel_ids["modes"]
        def text(label):  # the text's own rectangle: TextItem pads it by 10 % of its height above and below
            rect = label.sceneBoundingRect()
            return rect.adjusted(0, 0.1 * rect.height(), 0, -0.1 * rect.height())

        names = [text(label) for label in panel.end_labels.values() if label.isVisible()]
        for i, a in enumerate(names):
            assert not any(a.intersects(b) for b in names[i + 1:])
        assert names  # "reached" named at least
        ref = win.series.modes_ref.label
        assert ref.isVisible()  # before: drawn under the names (above the line, where they are)
        assert not any(text(ref).intersects(b) for b in names)
    finally:
        window.close()
