"""The studio window: data-space view and time series in the middle, controls on the left, a status bar.

Flow: the worker process sends Packets; a PacketBridge thread turns them into Qt signals; ``on_packet``
adds their rows and events to the bounded History at once (nothing is lost) and keeps only the newest
frame; a paint follows each new frame at once (packets that arrive together are painted once, and two paints
are at least ``MIN_PAINT_INTERVAL_MS`` apart). The window never waits on training.

File menu: the worker records every run into a run folder as it goes; "Save run…" (Ctrl+S) asks it to
write a complete copy where the person chooses, "Open run…" (Ctrl+O) asks it to continue a saved run
(the window reads that folder's metrics.csv and events.jsonl into its history), "Export picture…"
(Ctrl+E) saves the window as a PNG; a right-click on any plot saves that plot as PNG or SVG; "Draw data" over
the data view paints a data set to train on (``gui/brush.py``); "Compare with run…" (Ctrl+Shift+B) draws a
recorded run beside this one (``gui/compare.py``); "Compare live: A/B…" (Ctrl+Shift+A) trains a run B in a second
worker beside this one, in step (``gui/ab.py``); Edit > Paste points (Ctrl+Shift+V) and a .csv / .npy file
dropped onto the data view train on those points (``gui/drop.py``). The dialogs only pick paths: ``save_run``,
``open_run``, ``compare_with`` and ``export_picture`` do the work (tests call them directly). Opening a run,
R / Reset and a data or model change ask first (``confirm``) when the current run has steps.

Keys (``help.KEYS``, also listed by Help → Keyboard shortcuts): they act wherever the focus is in the
window, except in a text field, which types them; Esc leaves the field. Status messages clear after
``message_s`` (errors ``error_message_s``); a long one is elided, and Details… shows it whole.

Over 400 lines: one window class whose slots share its state; its views, controls, history, ranges,
packet bridge and help texts are modules of their own.
"""

from __future__ import annotations

import html
import time
from collections import deque
from pathlib import Path

from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio import config, runs
from gan_studio.config import Config
from gan_studio.export.command import run_command
from gan_studio.export.video import DEFAULT_FRAMES
from gan_studio.gui import ab, compare, sip_arrays
from gan_studio.gui import help as hp
from gan_studio.gui import theme as th
from gan_studio.gui.bridge import PacketBridge
from gan_studio.gui.brush import BrushBar, BrushTool, DrawnPoints, save_points
from gan_studio.gui.drop import PointsDrop, check_file, live_refusal, pasted_points_file, run_points
from gan_studio.gui.fit import ResizeWatch, ResizingScroll, rows_shown, rows_that_fit
from gan_studio.gui.history import History
from gan_studio.gui.lesson_bar import LessonBar, select_tab
from gan_studio.gui.panels.class_picker import ClassPicker
from gan_studio.gui.panels.controls import SCALES, ControlPanel
from gan_studio.gui.plot_export import install as install_plot_menu
from gan_studio.gui.timeline import TimelineBar
from gan_studio.gui.video_export import StretchDialog, VideoExport, check_stretch
from gan_studio.gui.views import show_in_its_view
from gan_studio.gui.views.data1d import DataView1D
from gan_studio.gui.views.data2d import DataView2D, explanation
from gan_studio.gui.views.dirac import DiracView
from gan_studio.gui.views.ensemble import EnsembleView, shown_rows
from gan_studio.gui.views.latent import LatentView
from gan_studio.gui.views.samples import SampleGrid
from gan_studio.gui.views.sweep import SweepWindow, open_sweep
from gan_studio.gui.views.timeseries import TimeSeriesView
from gan_studio.lessons import list_lessons, load_lesson
from gan_studio.lessons.player import LessonPlayer
from gan_studio.schedule import parse_event
from gan_studio.worker.handle import WorkerHandle
from gan_studio.worker.protocol import (
    Apply,
    Command,
    DropSchedule,
    Invert,
    Open,
    OpenMember,
    Packet,
    PickPathEnd,
    PlayUntil,
    Restart,
    Rewind,
    Save,
    Step,
)

sip_arrays.patch()  # pyqtgraph's curves and scatter plots leaked a sliced sip.array at most paints (issue 17)

MIN_PAINT_INTERVAL_MS = 12  # at most ~80 paints a second. Painting on arrival, not on a 60 Hz poll: the poll
# added up to 16 ms of jitter to every frame interval and merged frames that arrived within one tick
SERIES_PER_PAINT = 1  # time-series plots redrawn per paint while frames come fast (all six took 30–70 ms;
# one per frame still updates each ~5 times a second); paused or slow motion: all at once
SERIES_ROW_PX = 190  # the least height of a row of time-series plots at 100 % (title, key, plot, step axis)
SERIES_COLUMN_PX = 190  # the least width of a column of time-series plots at 100 % (axes and a title such as
# "Mean D score"); narrower, they stack in one column (at 200 % two columns of 280 px overlapped their titles)
FAST_PAINT_S = 0.1  # paints closer than this count as "frames come fast"


def default_worker(cfg: Config, at_schedule=(), open_first: str | None = None) -> WorkerHandle:
    """The real worker: a spawned process running ``gan_studio.engine.Trainer`` (on a saved run, if given)."""
    return WorkerHandle(cfg, at_schedule, open_first=open_first)


def dock_title(text: str) -> QtWidgets.QLabel:
    """A dock's title bar: its text in the application's current font (drag it to move the dock)."""
    label = QtWidgets.QLabel(text)
    label.setContentsMargins(6, 3, 6, 3)
    return label


def widen_for_shortcuts(menu: QtWidgets.QMenu) -> None:
    """Room for two letters between a menu's widest text and its shortcut: Fusion's margins are fixed pixels, so at
    150–200 % a one-item menu read "Paste pointsCtrl+Shift+V" (measured when the menu is about to show)."""
    menu.setMinimumWidth(0)
    menu.setMinimumWidth(menu.sizeHint().width() + menu.fontMetrics().horizontalAdvance("MM"))


def is_text_field(w: QtWidgets.QWidget | None) -> bool:
    """A widget that types what is pressed: a line edit, a spin box, an editable combo box."""
    return isinstance(w, QtWidgets.QLineEdit | QtWidgets.QAbstractSpinBox) or (
        isinstance(w, QtWidgets.QComboBox) and w.isEditable())


class StudioWindow(QtWidgets.QMainWindow):
    """The main window; see the module docstring."""

    message_s = 8.0  # a status message clears after this many seconds
    error_message_s = 20.0  # an error message after this many
    health_ms = 250  # how often the window checks that its worker process is alive
    max_restarts_per_minute = 3  # a worker that keeps dying is not restarted for ever

    def __init__(self, cfg: Config, at_schedule=(), worker_factory=default_worker, autostart: bool = True,
                 theme: str = "light", scale: float = 1.0, open_first: str | None = None):
        """``open_first``: a saved run folder (already checked) that the worker continues from the start."""
        super().__init__()
        # after a scale change, once the new font reached the controls: their combo boxes measure it, then the dock
        self._refit_timer = QtCore.QTimer(self)
        self._refit_timer.setSingleShot(True)
        self._refit_timer.timeout.connect(lambda: (th.drop_size_hints(self.controls), self._fit_dock()))
        self.open_first = open_first
        self.setWindowTitle("GAN Studio")
        self.cfg = cfg
        self.at_schedule = at_schedule or ()
        self.worker_factory = worker_factory
        self.worker = None
        self.bridge: PacketBridge | None = None
        self.theme, self.scale = th.THEMES[theme], scale
        self.history = History()
        self.generation = None
        self.latest: Packet | None = None
        self.latest_probed: Packet | None = None
        self.series_context: dict | None = None  # the config the time series' labels were last set from
        self.dirty = False
        self.step = 0
        self.playing = False
        self.error = ""
        self.paint_times: deque = deque(maxlen=4000)  # monotonic time of every paint (bench: frame rate, p95)
        self.paint_costs: deque = deque(maxlen=4000)  # seconds each paint took
        self.sent: list[Command] = []  # every command sent, in order (tests and the event log)
        self.recording = ""  # the folder the worker records the current run in
        self.last_folder = str(Path.home())  # where the file dialogs open
        self.sweep_windows: list[SweepWindow] = []  # sweeps opened with File > Open sweep…, each in its own window
        self._closed = False

        self.view2d = DataView2D(self.theme, scale)
        self.view1d = DataView1D(self.theme, scale)
        self.samples = SampleGrid(self.theme, scale)
        self.data_stack = QtWidgets.QStackedWidget()
        for w in (self.view2d, self.view1d, self.samples):
            self.data_stack.addWidget(w)
        self.data_stack.setCurrentWidget(self.view2d)  # until the first frame: draw_frame follows its display facts
        self.explain = QtWidgets.QLabel("")
        self.explain.setWordWrap(True)
        self.explain.setObjectName("explain")
        self.explain.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.explain.setContentsMargins(8, 4, 8, 4)
        # "How to read this" scrolls in its own strip under the plots, which the person can resize: at 200 %
        # on a 1280×720 projector its wrapped text took most of the tab and crushed the 1D view's plots
        explain_scroll = QtWidgets.QScrollArea()
        explain_scroll.setWidget(self.explain)
        explain_scroll.setWidgetResizable(True)
        explain_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        explain_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        data_tab = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        # draw your own data (gui/brush.py): the brush's bar sits over the data view
        self.drawing = DrawnPoints()
        self.brushes = [BrushTool(self.view2d, self.view2d.plot, self.drawing, 2),
                        BrushTool(self.view1d, self.view1d.dens, self.drawing, 1)]
        self.brush_bar = BrushBar(self.brushes, self.drawing)
        self.brush_bar.train.connect(self.train_on_drawing)
        self.points_drop = PointsDrop([self.view2d, self.view1d], self)  # a dropped .csv / .npy: gui/drop.py
        self.points_drop.dropped.connect(self.train_on_file)
        data_box = QtWidgets.QWidget()
        data_column = QtWidgets.QVBoxLayout(data_box)
        data_column.setContentsMargins(0, 0, 0, 0)
        data_column.setSpacing(0)
        data_column.addWidget(self.brush_bar)
        self.class_picker = ClassPicker(self.theme, self.scale)  # conditional GANs: ask G for one class
        self.class_picker.command.connect(self.send)
        self.class_picker.conditioning_chosen.connect(self.choose_conditioning)
        data_column.addWidget(self.class_picker)
        data_column.addWidget(self.data_stack, 1)
        data_tab.addWidget(data_box)
        data_tab.addWidget(explain_scroll)
        data_tab.setStretchFactor(0, 5)
        data_tab.setStretchFactor(1, 1)
        data_tab.setCollapsible(0, False)
        self.data_split = data_tab
        self.explain_scroll = explain_scroll
        self.data_watch = ResizeWatch(data_tab)  # the 2D plot keeps its least height: the explanation gives way
        self.data_watch.resized.connect(self._fit_data_tab)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(data_tab, "Data space")
        # the Dirac-GAN lab (Mescheder et al. 2018): the simplest GAN's dynamics, independent of the run
        self.dirac = DiracView(self.theme, scale)
        dirac_scroll = QtWidgets.QScrollArea()  # its plots' minimum size must not widen the whole window
        dirac_scroll.setWidget(self.dirac)
        dirac_scroll.setWidgetResizable(True)
        dirac_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.tabs.addTab(dirac_scroll, "Dirac-GAN lab")
        # the latent space (issue 12): the latent map, paths between two codes, inversion by optimisation
        self.latent_view = LatentView(self.theme, scale)
        self.latent_view.invert_requested.connect(self.request_inversion)
        self.latent_view.invert_image_requested.connect(self.request_image_inversion)
        self.latent_view.path_end_picked.connect(self.pick_path_end)
        self.view2d.point_clicked.connect(self.request_inversion)
        latent_scroll = QtWidgets.QScrollArea()  # like the Dirac lab's: its minimum size must not widen the window
        latent_scroll.setWidget(self.latent_view)
        latent_scroll.setWidgetResizable(True)
        latent_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.tabs.addTab(latent_scroll, "Latent space")
        self.images = None  # ImageViews, created on the first frame with images
        self.seeds_view = EnsembleView(self.theme, scale)  # a seed ensemble's members (its tab shows only then)
        self.seeds_view.attach(self.tabs)
        self.seeds_view.member_clicked.connect(self.open_member)
        self.series = TimeSeriesView(self.theme, scale)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        splitter.addWidget(self.tabs)
        # the six plots keep a readable height and scroll when the window is small for its scale (200 % on a
        # 1280×720 projector squeezed each plot to a few pixels between its title and its step axis)
        series_scroll = ResizingScroll(self.series)
        series_scroll.resized.connect(self._fit_series)  # presentation mode: only the rows that fit whole
        self.series_scroll = series_scroll
        # File > Compare with run…: run B's line over the plots (gui/compare.py)
        self.compare_bar = compare.CompareBar()
        self.compare_bar.stop.connect(self.stop_comparing)
        self.compared: compare.ComparedRun | None = None
        self.compared_samples = None  # B's final samples in the data view (compare.samples_item)
        self.compared_samples_home = None  # the data view's plot that holds them
        self.ab: ab.LiveAB | None = None  # File > Compare live: A/B…: run B in a second worker (gui/ab.py)
        self.compared_side: ab.SideBySide | None = None  # a recorded B's final samples in a data view of their own
        series_box = QtWidgets.QWidget()
        series_column = QtWidgets.QVBoxLayout(series_box)
        series_column.setContentsMargins(0, 0, 0, 0)
        series_column.setSpacing(0)
        series_column.addWidget(self.compare_bar)
        series_column.addWidget(series_scroll, 1)
        self.timeline = TimelineBar()  # the run's snapshots: drag back, release = rewind (gui/timeline.py)
        self.timeline.rewind.connect(lambda step: self.send(Rewind(step)))
        series_column.addWidget(self.timeline)
        splitter.addWidget(series_box)
        splitter.setStretchFactor(0, 10)
        splitter.setStretchFactor(1, 11)
        self.splitter = splitter
        # a guided lesson's caption, question and navigation sit over the plots while a lesson plays
        self.lesson_bar = LessonBar()
        self.lesson_bar.back.connect(self.lesson_back)
        self.lesson_bar.next.connect(self.lesson_next)
        self.lesson_bar.leave.connect(self.lesson_leave)
        self.lesson: LessonPlayer | None = None
        self.highlighted = ""  # the panel the lesson's stage points at (kept in view in presentation mode)
        central = QtWidgets.QWidget()
        central_box = QtWidgets.QVBoxLayout(central)
        central_box.setContentsMargins(0, 0, 0, 0)
        central_box.setSpacing(0)
        central_box.addWidget(self.lesson_bar)
        central_box.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.controls = ControlPanel(cfg)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.dock = QtWidgets.QDockWidget("Controls")
        self.dock.setObjectName("controls")
        self.dock.setWidget(scroll)
        self.dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        # the title as a label of the application's font: Qt draws its own title in the font the application had
        # when the dock was made (QDockWidgetPrivate::init), so after a 200 % window it stayed large in later ones
        self.dock.setTitleBarWidget(dock_title("Controls"))
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)

        self.status_state = QtWidgets.QLabel("starting the trainer…")
        self.status_message = hp.MessageLabel()
        self.status_message.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QtWidgets.QPushButton("Details…")
        self.details_button.setToolTip("the whole message, to read or copy")
        self.details_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.statusBar().addWidget(self.status_state)
        self.statusBar().addWidget(self.status_message, 1)
        self.statusBar().addPermanentWidget(self.details_button)
        self.message_timer = QtCore.QTimer(self)  # single shot: clears the message (restarted by a newer one)
        self.message_timer.setSingleShot(True)
        self.message_timer.timeout.connect(self.clear_message)
        self.dialog: QtWidgets.QDialog | None = None  # the Help or Details dialog last opened
        self.video = VideoExport(self)  # File > Export video…: made in the background (gui/video_export.py)
        self.video.progress.connect(lambda text: self.show_message(text, False))
        self.video.finished.connect(lambda ok, text: self.show_message(text, not ok))
        self.video_trainer = None  # the trainer the video's replay builds (None: the engine's; tests: synthetic)

        self.controls.command.connect(self.command_from_controls)
        self.controls.restart.connect(self.request_restart)
        self.controls.message.connect(self.show_message)
        self.controls.layers_changed.connect(self.view2d.set_layers)
        self.controls.view_changed.connect(self.set_view)
        self.shortcuts = [self._shortcut(k) for k in hp.KEYS if k.slot]
        for edit in self.findChildren(QtWidgets.QWidget):  # Esc leaves a text field (see leave_text_field)
            if is_text_field(edit):
                edit.installEventFilter(self)
        self._build_menu()
        # right-click on any plot: save that plot as PNG or SVG (gui/plot_export.py)
        self.plot_menus = [install_plot_menu(view, self.ask_plot_path, self.show_message)
                           for view in (self.view2d, self.view1d, self.samples, self.series, self.dirac.graphics)]
        self.restarts: list[float] = []  # when the worker was restarted after it died (monotonic seconds)
        self.health = QtCore.QTimer(self)  # notices a worker that died (killed, crashed) within health_ms
        self.health.setInterval(self.health_ms)
        self.health.timeout.connect(self.check_worker)
        self.health.start()
        self.timer = QtCore.QTimer(self)  # single shot: the next paint, started by request_paint
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.paint)
        self.last_paint = 0.0
        self.resize(1600, 1000)
        self.set_view(theme, scale)
        if autostart:
            self.start_worker()

    def _build_menu(self) -> None:
        """File: save, open, export, quit (each with its shortcut)."""
        menu = self.menuBar().addMenu("&File")

        def action(text: str, keys: str, slot, tip: str) -> QtGui.QAction:
            a = menu.addAction(text)
            a.setShortcut(QtGui.QKeySequence(keys))
            a.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            a.setStatusTip(tip)
            a.setToolTip(tip)
            a.triggered.connect(slot)
            return a

        self.save_action = action("&Save run…", "Ctrl+S", self.choose_save_folder,
                                  "write the run so far to a folder (config, events, metrics, samples, weights); "
                                  "gan-studio run reproduces it")
        self.open_action = action("&Open run…", "Ctrl+O", self.choose_open_folder,
                                  "continue a saved run folder: its weights, step count and curves")
        self.sweep_action = action("Open s&weep…", "Ctrl+Shift+O", self.choose_sweep_folder,
                                   "open a gan-studio sweep folder: its grid, and each metric's distribution over "
                                   "seeds per grid point")
        self.compare_action = action("Compare &with run…", "Ctrl+Shift+B", self.choose_compare_folder,
                                     "draw a recorded run folder's curves, events and samples beside this run's, "
                                     "with the settings where they differ")
        self.stop_compare_action = action("Stop &comparing", "", lambda: self.stop_comparing(),
                                          "take the compared run's curves, markers and samples off the views")
        self.stop_compare_action.setEnabled(False)
        self.ab_action = action("Compare &live: A/B…", "Ctrl+Shift+A", self.choose_ab,
                                "train run B beside this run from step 0: the same seed and data with the settings "
                                "you type changed; play, pause and step drive both")
        menu.addSeparator()
        self.export_action = action("&Export picture…", "Ctrl+E", self.choose_export_file,
                                    "save the whole window as a PNG")
        self.video_action = action("Export &video…", "Ctrl+Shift+E", self.choose_video_file,
                                   "the run so far as an MP4 or GIF of the data view (its record is trained again "
                                   "in the background; the window goes on)")
        menu.addSeparator()
        self.lesson_action = action("Open &lesson…", "Ctrl+L", self.choose_lesson,
                                    "play a guided lesson: captions, questions and switches at its steps")
        self.copy_action = action("&Copy as command", "Ctrl+Shift+C", self.copy_command,
                                  "copy the gan-studio run line that reproduces this run up to now")
        self.quit_action = action("&Quit", "Ctrl+Q", self.close, "close the window (ends training)")
        self.file_menu = menu
        menu = self.edit_menu = self.menuBar().addMenu("&Edit")  # action() adds to ``menu`` from here on
        menu.aboutToShow.connect(lambda: widen_for_shortcuts(self.edit_menu))
        self.paste_action = action("&Paste points", "Ctrl+Shift+V", lambda: self.paste_points(),
                                   "train on points copied as text (CSV: one point per line, 1 or 2 numbers); "
                                   "a .csv or .npy file can also be dropped onto the data view")
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction("&Presentation mode (P)", self.toggle_presentation)
        view_menu.addAction("&Controls (C)", self.toggle_controls)
        view_menu.addAction("&Full screen (F)", self.toggle_fullscreen)
        self.view_menu = view_menu
        # presentation mode hides the controls; play and step stay here
        self.presenting: tuple | None = None  # what to restore when presentation mode ends
        self.present_bar = QtWidgets.QToolBar("Run")
        self.present_bar.setObjectName("present_bar")
        self.present_bar.addAction("Play / pause (Space)", self.toggle_play)
        self.present_bar.addAction("Step (→)", self.step_once)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.present_bar)
        self.present_bar.hide()
        self.help_menu = self.menuBar().addMenu("&Help")
        self.help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        self.help_menu.addAction("&What the panels show", self.show_panels)

    # -- keys -----------------------------------------------------------------------------------------------
    def _shortcut(self, key: hp.Key) -> QtGui.QShortcut:
        """A key from ``help.KEYS`` that works wherever the focus is in this window, except in a text field
        (which takes the key first: it types; Esc leaves it)."""
        s = QtGui.QShortcut(QtGui.QKeySequence(key.keys), self)
        s.setContext(QtCore.Qt.ShortcutContext.ApplicationShortcut)  # not only when the window is "active"
        slot = getattr(self, key.slot)
        s.activated.connect(lambda: self._keys_here() and slot())
        return s

    def _keys_here(self) -> bool:
        """Whether a window key should act now: the focus is in this window (or nowhere) and not typing."""
        focus = QtWidgets.QApplication.focusWidget()
        return focus is None or (focus.window() is self and not is_text_field(focus))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        """Esc in a text field of this window: leave the field (the window's keys work again)."""
        if (event.type() == QtCore.QEvent.Type.KeyPress and event.key() == QtCore.Qt.Key.Key_Escape
                and event.modifiers() == QtCore.Qt.KeyboardModifier.NoModifier):
            self.leave_text_field(obj)
            return True
        return super().eventFilter(obj, event)

    def leave_text_field(self, field: QtWidgets.QWidget) -> None:
        """Take the focus out of ``field`` (a popup of an editable combo closes first)."""
        if isinstance(field, QtWidgets.QComboBox) and field.view().isVisible():
            field.hidePopup()
        field.clearFocus()
        self.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)

    def toggle_play(self) -> None:
        """Space: play / pause."""
        self.controls.toggle_play()

    def step_once(self) -> None:
        """→: one training step."""
        self.send(Step(1))

    def reset_run(self) -> None:
        """R: new random networks, step 0; asks first when the run has steps."""
        if self.step > 0 and not self.confirm(f"Reset discards the current run (step {self.step:,}) and its "
                                              "curves and starts again from new random networks. Reset?"):
            return
        self.send(Apply("reset"))

    def command_from_controls(self, cmd: Command) -> None:
        """The control panel's commands; its Reset asks first like R."""
        if cmd == Apply("reset"):
            self.reset_run()
        else:
            self.send(cmd)

    # -- help -----------------------------------------------------------------------------------------------
    def _open_dialog(self, dialog: QtWidgets.QDialog) -> QtWidgets.QDialog:
        self.dialog = dialog
        dialog.open()  # window-modal, without a nested event loop
        return dialog

    def show_shortcuts(self) -> QtWidgets.QDialog:
        """Help → Keyboard shortcuts (the window's keys, then the File menu's)."""
        return self._open_dialog(hp.shortcuts_dialog(self, (self.file_menu, self.edit_menu)))

    def show_panels(self) -> QtWidgets.QDialog:
        """Help → What the panels show."""
        return self._open_dialog(hp.panels_dialog(self))

    def show_details(self) -> QtWidgets.QDialog:
        """The status bar's Details…: the current message in full, to select or copy."""
        return self._open_dialog(hp.details_dialog(self, self.status_message.text()))

    # -- worker ---------------------------------------------------------------------------------------------
    def start_worker(self) -> None:
        """Spawn the worker and the thread that reads its packets."""
        extra = {"open_first": self.open_first} if self.open_first else {}  # test factories take two arguments
        self.worker = self.worker_factory(self.cfg, self.at_schedule, **extra)
        self.worker.start()
        self.bridge = PacketBridge(self.worker, self)
        self.bridge.packet.connect(self.on_packet)
        self.bridge.start()

    def check_worker(self) -> None:
        """The health timer (every ``health_ms``): a worker that ended without being asked to is noticed here."""
        if self.worker is not None and not self._closed and self.worker.died:
            self.worker_died()

    def worker_died(self) -> None:
        """Say that the worker ended, then start another from the last checkpoint of its record (opened as File >
        Open run opens a folder, the curves up to there kept), or from the current settings if it had none."""
        how = self.worker.how_it_ended()
        if self.bridge is not None:
            self.bridge.stop()
        self.worker.stop(timeout=0.1)  # already dead: closes the queues
        self.worker, self.bridge, self.playing = None, None, False
        self.generation = None  # the new worker counts generations from 1 again: its first packet is a new run
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < 60.0] + [now]
        if len(self.restarts) > self.max_restarts_per_minute:
            self.status_state.setText("  stopped: the training process keeps ending  ")
            self.show_message(f"the training process ended ({how}) {len(self.restarts)} times within a minute; "
                              f"not restarting it again (its record: {self.recording or 'none'}); restart the window",
                              True)
            return
        try:
            resume = runs.resume_folder(self.recording) if self.recording else None
        except config.ConfigError as err:
            resume, why = None, f" ({err})"
        else:
            why = "" if self.recording else " (it was not recording)"
        self.open_first = str(resume[0]) if resume else None
        self.status_state.setText("  the training process ended · restarting…  ")
        self.start_worker()
        if resume:
            self.show_message(f"the training process ended ({how}); restarted it from its record at step "
                              f"{resume[1]:,} (paused; the optimizer starts fresh)", True)
        else:
            self.show_message(f"the training process ended ({how}); restarted it from the current settings at "
                              f"step 0: its record had no weights to resume from{why}", True)

    def send(self, cmd: Command) -> None:
        """Send one command to the worker (applied in order, between steps)."""
        self.sent.append(cmd)
        if self.worker is not None:
            self.worker.send(cmd)
        if self.ab is not None:
            self.ab.mirror(cmd)  # run B takes the same play, pause, steps and changes (gui/ab.py)

    def request_image_inversion(self, index: int) -> None:
        """Ask the worker for the z that G maps closest to real image ``index`` of the frame's grid (image data)."""
        self.send(Invert((float(index),)))
        self.latent_view.mark_pending(int(index))
        self.show_message(f"searching for the z that G maps to real image {index + 1}…")

    def pick_path_end(self, end: str, code) -> None:
        """Make a latent code end A or B of the latent paths (a click in the Latent tab); the next frame draws it."""
        self.send(PickPathEnd(end, tuple(float(v) for v in code)))
        self.show_message(f"path end {end.upper()} set to a new code; the paths follow on the next frame")

    def request_inversion(self, point) -> None:
        """Ask the worker for the z that G maps closest to a clicked data point; its answer comes on a packet."""
        self.send(Invert(tuple(float(v) for v in point)))
        self.latent_view.mark_pending(point)
        self.view2d.inversion.show(tuple(point))
        self.view1d.show_inversion(tuple(point))
        self.show_message("searching for the z that G maps to (" + ", ".join(f"{v:.3g}" for v in point) + ")…")

    def open_member(self, k: int) -> None:
        """A click on a seed ensemble's member: continue it alone as a plain run (asks first: the ensemble ends)."""
        seeds = self.seeds_view.seeds
        if k < len(seeds) and self.confirm(f"Open seed {seeds[k]} alone? It goes on as a plain run from its "
                                           f"current weights; the {len(seeds)}-seed ensemble ends."):
            self.send(OpenMember(k))

    def confirm(self, text: str) -> bool:
        """Ask before something destructive (a restart, a reset, opening a run); tests replace this."""
        answer = QtWidgets.QMessageBox.question(self, "Discard the current run?", text)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def request_restart(self, cfg: Config, what: str) -> None:
        """Restart on ``cfg`` after asking (the run's history is lost)."""
        if self.step > 0 and not self.confirm(f"Changing the {what} starts a new run; the current run "
                                              f"(step {self.step:,}) and its curves are discarded. Restart?"):
            return
        self.cfg = cfg
        self.send(Restart(config.to_dict(cfg)))
        self.show_message(f"restarting with the {what}…", False)

    def choose_conditioning(self, how: str) -> None:
        """The class picker's "Conditional GAN" choice: off, or on with the label fed as ``how`` (a restart)."""
        cfg = config.with_value(self.controls.cfg, "model.conditional", how != "off")  # what the run uses
        cfg = config.with_value(cfg, "model.shown_class", -1)
        self.request_restart(cfg if how == "off" else config.with_value(cfg, "model.conditioning", how),
                             "conditioning")

    # -- files ----------------------------------------------------------------------------------------------
    def choose_save_folder(self) -> None:
        """Save run…: ask for a folder, then ``save_run``."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Save the run to a folder (an empty one or a run "
                                                          "folder to replace)", self.last_folder)
        if path:
            self.save_run(path)

    def choose_open_folder(self) -> None:
        """Open run…: ask for a run folder, then ``open_run``."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Open a run folder", self.last_folder)
        if path:
            self.open_run(path)

    def choose_sweep_folder(self) -> None:
        """Open sweep…: ask for a sweep folder, then ``open_sweep``."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Open a sweep folder (gan-studio sweep --out)",
                                                          self.last_folder)
        if path:
            self.open_sweep(path)

    def open_sweep(self, path: str) -> SweepWindow | None:
        """Show the sweep folder ``path`` in a window of its own (the run here goes on); a folder that is not a
        sweep is a message. Returns the window, or None."""
        try:
            window = open_sweep(path, self.theme, self.scale)
        except config.ConfigError as err:
            self.show_message(f"could not open the sweep: {err}", True)
            return None
        self.last_folder = str(Path(path).parent)
        self.sweep_windows.append(window)
        window.show()
        return window

    def choose_compare_folder(self) -> None:
        """Compare with run…: ask for a run folder, then ``compare_with``."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Compare with a run folder", self.last_folder)
        if path:
            self.compare_with(path)

    def compare_with(self, path: str) -> bool:
        """Draw the run folder ``path`` as run B beside this one (replacing a run compared before); a folder
        that cannot be compared is one line in the status bar and the views keep what they had."""
        try:
            run = compare.read_run(path)
            compare.check_fits(run, compare.live_kind(self.latest.frame if self.latest else None))
        except config.ConfigError as err:
            self.show_message(f"could not compare: {err}", True)
            return False
        self.stop_comparing(quiet=True)
        self.compared = run
        self.last_folder = str(Path(path).parent)
        self.series.set_compare(compare.CompareOverlay(run, self.theme, self.scale))
        self.compared_side = ab.show_recorded(self, run)  # None: no samples, or no frame of A's yet
        diffs = compare.config_differences(self.cfg, run.cfg)
        self.compare_bar.apply_style(self.theme, self.scale)
        self.compare_bar.show_run(compare.differences_line(run.name, diffs), diffs, run.folder)
        if run.samples is not None:
            self.compared_samples = compare.samples_item(run.samples, self.theme, self.scale)
        if self.compared_samples is not None:  # on the density plot in 1D, among the points in 2D
            self.compared_samples_home = self.view1d.dens if run.samples.shape[1] == 1 else self.view2d.plot
            self.compared_samples_home.addItem(self.compared_samples)
        self.stop_compare_action.setEnabled(True)
        self.show_message(f"comparing with {run.folder} (B: short dashes; its samples faint in the data view)", False)
        return True

    def stop_comparing(self, quiet: bool = False) -> None:
        """Take run B off every view (a live run B: its worker ends too)."""
        if self.ab is not None:
            self.stop_ab(quiet)
            return
        if self.compared is None:
            return
        self.compared = None
        self.series.set_compare(None)
        if self.compared_samples is not None:
            self.compared_samples_home.removeItem(self.compared_samples)
            self.compared_samples = None
        if self.compared_side is not None:
            self.compared_side.remove()
            self.compared_side = None
        self.compare_bar.hide()
        self.stop_compare_action.setEnabled(False)
        if not quiet:
            self.show_message("stopped comparing", False)

    def choose_ab(self) -> None:
        """Compare live: A/B…: ask for run B's KEY=VALUE lines, then ``start_ab``."""
        dialog = ab.ChangesDialog(self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.start_ab(dialog.text())

    def start_ab(self, changes: dict[str, object] | str) -> bool:
        """Train run B beside this run (A), both from step 0: A's settings, seed and data with ``changes`` (a dict
        of dotted keys, or the dialog's KEY=VALUE lines). Bad input is one line in the status bar and no B.
        Returns whether B started."""
        try:
            if isinstance(changes, str):
                changes = ab.parse_changes(changes)
            ab.check(self, changes)
            self.stop_comparing(quiet=True)  # one run B at a time
            live = ab.start(self, changes)
        except config.ConfigError as err:
            self.show_message(f"could not start A/B: {err}", True)
            return False
        if live is None:
            return False
        self.ab = live
        self.stop_compare_action.setEnabled(True)
        self.show_message(f"A/B: run B ({live.name}) trains beside A from step 0 (B: short dashes)", False)
        return True

    def stop_ab(self, quiet: bool = False) -> None:
        """End the live run B: its worker, views and curves; A goes on."""
        if self.ab is None:
            return
        live, self.ab = self.ab, None
        live.stop("" if quiet else "stopped A/B: run B ended; A goes on")
        self.stop_compare_action.setEnabled(False)

    def choose_export_file(self) -> None:
        """Export picture…: ask for a PNG file name, then ``export_picture``."""
        start = str(Path(self.last_folder) / f"gan-studio-step-{self.step}.png")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the window as a picture", start,
                                                        "PNG image (*.png)")
        if path:
            self.export_picture(path)

    def save_run(self, path: str) -> None:
        """Ask the worker to write a complete run folder of the run so far at ``path`` (it answers with a
        message: where, at which step, and the command that reproduces it; or why it could not)."""
        self.last_folder = str(Path(path).parent)
        self.send(Save(str(path)))
        self.show_message(f"saving the run to {path}…", False)

    def open_run(self, path: str) -> bool:
        """Continue the saved run in ``path``: checked here first (config, metrics, events, weights file);
        a folder that is not a run is a message and the current run goes on. The worker loads the weights
        (and says if they do not fit); its first packet of the new run makes the window load the folder's
        curves and events. Returns whether the open was sent."""
        try:
            _, last = runs.check_run_folder(path)
        except config.ConfigError as err:
            self.show_message(f"could not open the run: {err}; the current run goes on", True)
            return False
        if self.step > 0 and not self.confirm(f"Opening {path} replaces the current run (step {self.step:,}) "
                                              "and its curves. Open?"):
            return False
        self.last_folder = str(Path(path).parent)
        self.send(Open(str(path)))
        self.show_message(f"opening the run in {path} (step {last:,})…", False)
        points = run_points(path)  # a run on a points file: its points back into the brush, to draw on
        if points is not None:
            self.drawing.replace(points[1])
            self.brush_bar.refresh()
        return True

    def command_line(self) -> str:
        """The ``gan-studio run`` line that reproduces the current run up to its step, from its record (start
        config and events); "" when the run is not recorded."""
        if not self.recording:
            return ""
        folder = Path(self.recording)
        try:
            start = config.load(folder / "config.toml")
            events = runs.read_events(folder / "events.jsonl") if (folder / "events.jsonl").exists() else []
        except (config.ConfigError, OSError):
            return ""
        return run_command(start, events, self.step, "NEW_RUN", str(folder / "config.toml"),
                           str(folder / "events.jsonl"))

    # -- lessons --------------------------------------------------------------------------------------------
    def choose_lesson(self) -> None:
        """File → Open lesson…: pick a shipped lesson (or a lesson file), then ``start_lesson``."""
        other = "a lesson file…"
        names = [f"{name} — {text}" for name, text in list_lessons()] + [other]
        item, ok = QtWidgets.QInputDialog.getItem(self, "Open a lesson", "Lesson:", names, 0, False)
        if not ok:
            return
        if item == other:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a lesson file", self.last_folder,
                                                            "Lesson (*.toml)")
            if path:
                self.start_lesson(path)
            return
        self.start_lesson(item.split(" — ")[0])

    def start_lesson(self, name_or_path: str) -> bool:
        """Start the lesson: a new run on its config with its stages' changes scheduled, played to the first
        stage. Asks first when the current run has steps; a broken lesson is a message. Returns whether it began."""
        try:
            lesson = load_lesson(name_or_path)
        except (config.ConfigError, OSError) as err:
            self.show_message(f"could not open the lesson: {err}", True)
            return False
        if self.step > 0 and not self.confirm(f"The lesson '{lesson.name}' starts a new run; the current run "
                                              f"(step {self.step:,}) and its curves are discarded. Start it?"):
            return False
        self.lesson = LessonPlayer(lesson)
        self._replay_lesson()
        return True

    def _replay_lesson(self) -> None:
        """Restart the lesson's run from its start with its schedule and play to the current stage's step."""
        player = self.lesson
        self.cfg = player.lesson.cfg
        self.send(Restart(config.to_dict(player.lesson.cfg), schedule=tuple(player.schedule().items)))
        self.send(PlayUntil(player.pause_step))
        player.replayed()
        self._show_lesson(playing=True)

    def lesson_next(self) -> None:
        """Next: on to the next stage (its changes were scheduled at this one's step) and play to it."""
        if self.lesson is None:
            return
        self.lesson.next()
        self.send(PlayUntil(self.lesson.pause_step))
        self._show_lesson(playing=True)

    def lesson_back(self) -> None:
        """Back: the previous stage, by replaying the run from the start to its step."""
        if self.lesson is None:
            return
        self.lesson.back()
        self._replay_lesson()

    def lesson_leave(self) -> None:
        """Leave: no more pauses or scheduled changes; the run stays where it is, to explore."""
        if self.lesson is None:
            return
        self.lesson.leave()
        self.send(DropSchedule())
        self.lesson = None
        self.lesson_bar.hide()
        self._highlight("")
        self.show_message("left the lesson: explore freely from here", False)

    def _show_lesson(self, playing: bool) -> None:
        player = self.lesson
        self.lesson_bar.show_stage(player.lesson.name, player.index, len(player.lesson.stages), player.stage,
                                   playing, self.scale)
        self.show_stage_views(player.lesson, player.index)

    def show_stage_views(self, lesson, index: int) -> None:
        """What stage ``index`` of ``lesson`` asks the views to show (in the window and in ``lesson --render``): its
        panel outlined, its curves, its tab, and the Dirac-GAN lab's case and step size in effect there
        (``Lesson.dirac_at``)."""
        stage = lesson.stages[index]
        self._highlight(stage.highlight)
        self.series.show_curves(stage.show)
        case, step = lesson.dirac_at(index)
        if case:
            self.dirac.set_case(case)
        if step:
            self.dirac.set_step(step)
        if stage.tab:
            select_tab(self.tabs, stage.tab)

    def _highlight(self, panel: str) -> None:
        """Outline the panel a stage asks the class to look at (and no other)."""
        for name, each in self.series.panel_ids.items():
            each.plot.getViewBox().setBorder(self.theme.pen(self.theme.marker, 3, self.scale) if name == panel
                                             else None)
        if panel == "data":
            self.tabs.setCurrentIndex(0)
        self.highlighted = panel
        self._fit_series()

    def copy_command(self) -> str:
        """File → Copy as command: the reproducing line to the clipboard (and the status bar)."""
        line = self.command_line()
        if not line:
            self.show_message("could not make the command: this run is not being recorded", True)
            return ""
        QtWidgets.QApplication.clipboard().setText(line)
        self.show_message(f"copied: {line}", False)
        return line

    def train_on_drawing(self, points) -> str:
        """The brush's "Train on it": save the drawn points as a points file and train on it (``train_on_points``:
        at once in a run on points of the same dimension, else a restart); returns the file's path."""
        try:
            path = save_points(points, runs.recordings_root() / "drawn")
        except OSError as err:
            self.show_message(f"could not save the drawn points: {err.strerror or err}", True)
            return ""
        self.train_on_points(str(path), "the drawing")
        return str(path)

    def train_on_points(self, path: str, what: str) -> None:
        """Train on the checked points file ``path``: a run on a points file of the same dimension takes it at once
        (a live ``data.path`` change, recorded as an event); any other run restarts on it, as File… does."""
        if live_refusal(self.cfg, path):
            self.controls.load_data_file(path)
            return
        self.send(Apply("data.path", path))
        self.show_message(f"training on {what} from step {self.step:,} on ({Path(path).name}; marked in the "
                          "curves)", False)

    def train_on_file(self, path: str) -> bool:
        """A file dropped onto the data view: checked first (a bad one is a message and the run goes on), then
        trained on (``train_on_points``). Returns whether it was taken."""
        problem = check_file(path)
        if problem:
            self.show_message(f"could not train on the dropped file: {problem}", True)
            return False
        self.train_on_points(path, "the dropped file")
        return True

    def paste_points(self, text: str | None = None) -> str:
        """Edit → Paste points: the clipboard's CSV text (or ``text``) as the data set (saved as a points file, then
        ``train_on_points``); returns the file's path, "" when the text is not points (a message says why)."""
        text = QtWidgets.QApplication.clipboard().text() if text is None else text
        try:
            path = pasted_points_file(text, runs.recordings_root() / "drawn")
        except config.ConfigError as err:
            self.show_message(f"could not paste points: {err}", True)
            return ""
        self.train_on_points(str(path), "the pasted points")
        return str(path)

    def ask_plot_path(self, name: str, kind: str) -> str:
        """The file dialog of a plot's "Save this plot as …": the chosen path, "" when cancelled."""
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Save the plot as {kind.upper()}",
                                                        str(Path(self.last_folder) / name),
                                                        f"{kind.upper()} (*.{kind})")
        if path:
            self.last_folder = str(Path(path).parent)
        return path

    def export_picture(self, path: str) -> bool:
        """Save the window as it is on screen as a PNG (``.png`` is added when missing)."""
        if not str(path).lower().endswith(".png"):
            path = f"{path}.png"
        self.last_folder = str(Path(path).parent)
        if not self.grab().save(str(path), "PNG"):
            self.show_message(f"could not write the picture to '{path}' (is the folder writable?)", True)
            return False
        self.show_message(f"saved the picture to {path}", False)
        return True

    def choose_video_file(self) -> None:
        """Export video…: ask which steps (``StretchDialog``: 0 to this step unless changed), then for an .mp4 or
        .gif file name, then ``export_video``."""
        try:
            check_stretch(0, self.step, self.step)
        except config.ConfigError as err:
            self.show_message(f"could not export the video: {err}", True)
            return
        dialog = StretchDialog(self, self.step)
        accepted = dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        first, last = dialog.stretch()
        dialog.deleteLater()
        if not accepted:
            return
        name = f"gan-studio-steps-{first}-{last}.mp4" if first else f"gan-studio-step-{last}.mp4"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the run as a video",
                                                        str(Path(self.last_folder) / name),
                                                        "MP4 video (*.mp4);;GIF animation (*.gif)")
        if path:
            self.export_video(path, first=first, last=last)

    def export_video(self, path: str, frames: int = DEFAULT_FRAMES, first: int = 0, last: int | None = None) -> bool:
        """The run so far (or its steps ``first`` to ``last``; ``last`` at most this step), from its record
        (config.toml and events.jsonl, trained again in the background from step 0 up to ``last``), as an MP4 or
        GIF of the data view; progress and the outcome are one line in the status bar. Returns whether it began."""
        last = self.step if last is None else last
        try:
            if not self.recording:
                raise config.ConfigError("this run is not being recorded")
            check_stretch(first, last, self.step)
            folder = Path(self.recording)
            start = runs.load_config(folder / "config.toml")
            events = runs.read_events(folder / "events.jsonl") if (folder / "events.jsonl").exists() else []
            out = self.video.start(start, last, [parse_event(e) for e in events], path,
                                   self.controls.theme.currentText(), self.scale, frames=frames,
                                   trainer_factory=self.video_trainer, first=first)
        except (config.ConfigError, OSError) as err:
            self.show_message(f"could not export the video: {err}", True)
            return False
        self.last_folder = str(out.parent)
        return True

    def load_history(self, folder: str, until: int | None = None) -> None:
        """Put a saved run's metrics rows and events into the (bounded) history, streaming the rows. ``until``: a
        branch's record, still being written: its rows up to that step only (the later ones and its events come
        in packets)."""
        try:
            chunk = []
            for row in runs.iter_metrics(Path(folder) / "metrics.csv"):
                if until is not None and row.get("step", 0) > until:
                    break
                chunk.append(row)
                if len(chunk) >= 2000:
                    self.history.add_rows(chunk)
                    chunk = []
            self.history.add_rows(chunk)
            if until is None and (Path(folder) / "events.jsonl").exists():
                self.history.add_events(runs.read_events(Path(folder) / "events.jsonl"))
        except (config.ConfigError, OSError) as err:
            self.show_message(f"could not show the saved curves: {err}", True)

    def shutdown(self) -> None:
        """Stop painting, the bridge thread and the worker (within 2 s)."""
        if self._closed:
            return
        self._closed = True
        self.health.stop()
        self.timer.stop()
        self.video.cancel()
        for sweep_window in self.sweep_windows:  # they show this studio's sweeps: they go with it
            sweep_window.close()
        if self.ab is not None:  # a live run B's worker ends with A's: first, while A's packets are still read (a
            self.stop_ab(quiet=True)  # worker that quits with a packet half-sent into a full pipe hangs the drain)
        if self.bridge is not None:
            self.bridge.stop()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.shutdown()
        super().closeEvent(event)

    # -- packets and painting -------------------------------------------------------------------------------
    def on_packet(self, packet: Packet) -> None:
        """Take in a packet: history and controls now, the frame at the next paint."""
        if packet.generation != self.generation:
            self.generation = packet.generation
            self.history.clear()
            self.latent_view.clear()
            self.seeds_view.clear()
            self.view2d.inversion.show(None)
            self.view1d.show_inversion(None)
            if packet.branched_at >= 0 and packet.recording:  # a branch: its past rows are in its record
                self.load_history(packet.recording, until=packet.branched_at)
            elif packet.opened:  # an opened run: its past is in its folder
                self.load_history(packet.opened)
        if packet.recording != self.recording:
            self.recording = packet.recording
            self.status_state.setToolTip(f"this run is being recorded in {packet.recording}" if packet.recording
                                         else "this run is not being recorded")
        self.history.add_rows(shown_rows(packet.rows))  # a seed ensemble's: the member the other tabs draw
        self.seeds_view.add_rows(packet.rows)
        self.history.add_events(packet.events)
        self.timeline.show_state(packet.snapshots, packet.step)
        if packet.inversion is not None:
            self.latent_view.show_inversion(packet.inversion)
            self.view2d.inversion.show(packet.inversion)
            self.view1d.show_inversion(packet.inversion)
        for text in packet.messages:
            if text != packet.error:
                self.show_message(text, text.startswith(("refused", "could not", "ignored", "unknown")))
        if packet.error != self.error:
            self.error = packet.error
            if packet.error:
                self.show_message(packet.error, True)
        if self.ab is not None:
            self.ab.a_packet(packet)  # A's step for the A/B lockstep; while A waits for B it shows as playing
        self.step, self.playing = packet.step, packet.playing or (self.ab is not None and self.ab.holds_a())
        if self.lesson is not None and not packet.playing and packet.step == self.lesson.pause_step:
            self._show_lesson(playing=False)  # the run reached the stage: caption, question, Next
        self.controls.sync(packet.cfg, self.playing, packet.devices)
        if packet.cfg:
            self.cfg = self.controls.cfg
            self.view1d.set_latent_dim(self.cfg.model.latent_dim)
        if packet.cfg != self.series_context:
            self.series_context = packet.cfg
            self.series.set_context(packet.cfg)
        if packet.probed and packet.frame is not None:
            self.latest_probed = packet  # drawn even if a sample-only frame overtakes it before the paint
        self.latest = packet
        self.request_paint()

    def request_paint(self) -> None:
        """Paint the newest frame soon: now (after pending events), or when the minimum interval has passed."""
        self.dirty = self.latest is not None
        if not self.dirty or self.timer.isActive() or self._closed:
            return
        wait_ms = MIN_PAINT_INTERVAL_MS - (time.monotonic() - self.last_paint) * 1000
        self.timer.start(max(0, int(wait_ms)))

    def paint(self) -> None:
        """Draw the newest frame if it has not been drawn yet."""
        if not self.dirty or self.latest is None:
            return
        t0 = time.perf_counter()
        now = time.monotonic()
        fast = now - self.last_paint < FAST_PAINT_S
        self.last_paint = now
        self.dirty = False
        packet = self.latest
        frame = packet.frame
        probed = self.latest_probed
        self.latest_probed = None
        if probed is not None and probed is not packet:
            self.draw_frame(probed.frame, True)
        if frame is not None:
            self.draw_frame(frame, packet.probed)
        self.series.update_history(self.history, SERIES_PER_PAINT if packet.playing and fast else None)
        self.update_status(packet)
        self.paint_times.append(now)
        self.paint_costs.append(time.perf_counter() - t0)

    def draw_frame(self, frame, probed: bool = True) -> None:
        """Send a frame to the views that apply to it (``probed``: it carries surfaces / curves)."""
        self.series.set_display(frame.display)
        self.class_picker.update_display(frame.display)
        real = getattr(frame, "real", None)
        # points only; not in presentation mode, which shows no controls but play, step and the lesson's
        self.brush_bar.setVisible((real is None or getattr(real, "ndim", 2) != 4) and self.presenting is None)
        if self.brush_bar.isVisible():
            self.brush_bar.set_dim(1 if frame.dim == 1 else 2)
        show_in_its_view(self.data_stack, self.samples, self.view1d, self.view2d, frame, probed)
        self._fit_data_tab()  # the view, the class picker or the brush bar may have changed
        if frame.images:
            self._draw_images(frame)
        self.latent_view.update_frame(frame, probed)
        self.seeds_view.draw(frame, probed)
        if not (real is not None and getattr(real, "ndim", 2) == 4):
            text = explanation(frame)
            about = getattr(frame.display, "about", "")
            if about:  # what the chosen objective is and estimates, for a student who just picked it
                text += f"<br><b>About {html.escape(frame.loss)}.</b> {html.escape(about)}"
            if text != self.explain.text():
                self.explain.setText(text)

    def _draw_images(self, frame) -> None:
        if self.images is None:  # built on the first image frame: point runs never pay for it
            from gan_studio.gui.views.images import ImageViews

            self.images = ImageViews(self.theme, self.scale)
            self.plot_menus.append(install_plot_menu(self.images.layout_widget, self.ask_plot_path,
                                                     self.show_message))
            self.tabs.addTab(self.images, "Images")
            self.tabs.setCurrentWidget(self.images)
        self.images.update_frame(frame)

    def update_status(self, packet: Packet) -> None:
        fps = self.frame_rate()
        state = "playing" if packet.playing or (self.ab is not None and self.ab.holds_a()) else "paused"  # A/B
        device = packet.device or "?"
        if self.presenting is not None:  # the caption beside it needs the room more than the speeds do
            self.status_state.setText(f"  {state} · step {packet.step:,}  ")
            return
        self.status_state.setText(f"  {state} · step {packet.step:,} · {packet.steps_per_s:,.0f} steps/s · "
                                  f"{fps:.0f} frames/s · {device}  ")

    def frame_rate(self, window_s: float = 2.0) -> float:
        """Frames painted per second over the last ``window_s`` seconds."""
        if len(self.paint_times) < 2:
            return 0.0
        now = time.monotonic()
        n, first = 0, now
        for t in reversed(self.paint_times):  # newest first: stop at the first one outside the window
            if now - t > window_s:
                break
            n, first = n + 1, t
        return (n - 1) / max(self.paint_times[-1] - first, 1e-9) if n >= 2 else 0.0

    def show_message(self, text: str, error: bool = False) -> None:
        """A line in the status bar (elided when long: the tooltip and Details… have it all); errors in red.
        It clears after ``message_s`` seconds (an error after ``error_message_s``)."""
        color = self.theme.error if error else self.theme.fg
        self.status_message.setStyleSheet(f"color: {color}; font-weight: {'bold' if error else 'normal'};")
        self.status_message.setText(text)
        self.details_button.setVisible(bool(text))
        self.message_timer.start(int(1000 * (self.error_message_s if error else self.message_s)))

    def clear_message(self) -> None:
        """The message's time is up."""
        self.message_timer.stop()
        self.status_message.setText("")
        self.details_button.hide()

    # -- view settings --------------------------------------------------------------------------------------
    def set_view(self, theme: str, scale: float) -> None:
        """Switch theme and view scale for every view and the controls."""
        self.theme, self.scale = th.THEMES[theme], scale
        app = QtWidgets.QApplication.instance()
        if app is not None:
            th.apply_app_theme(app, self.theme, scale)
        # the status message's style sheet (its colour) pinned the font it had when the last message came: it kept
        # 10 pt after a switch to 200 % and 15 pt after presentation mode ended, until the next message
        self.status_message.setFont(th.font(10.0 * scale))
        for view in (self.view2d, self.view1d, self.samples, self.series, self.images, self.latent_view,
                     self.class_picker, self.seeds_view):
            if view and hasattr(view, "apply_style"):
                view.apply_style(self.theme, scale)
        for brush in self.brushes:
            brush.style(self.theme, scale)
        c = self.controls
        for box, text in ((c.theme, theme), (c.scale, next(lbl for lbl, v in SCALES if v == scale) if scale in
                                               [v for _, v in SCALES] else c.scale.currentText())):
            box.blockSignals(True)
            box.setCurrentText(text)
            box.blockSignals(False)
        self._fit_series()
        self.compare_bar.apply_style(self.theme, scale)
        if self.ab is not None:
            self.ab.apply_style(self.theme, scale)
        if self.compared_side is not None:
            self.compared_side.apply_style(self.theme, scale)
        self.timeline.apply_style(self.theme, scale)
        # after the new font reached the controls: their combo boxes measure it (th.drop_size_hints), then the dock
        self._refit_timer.start(0)  # a timer owned by the window: it never fires into a window already deleted
        self._fit_dock()
        self.request_paint()

    # the controls take at most this share of the window's width (they scroll beyond it): 0.3 cut the Run buttons at
    # 1920×1080 and 150 % (the controls need ~600 px there); 0.4 fits them there and at 100 % on 1280×720, and still
    # leaves the plots 60 % at 200 % on 1280×720, where the controls scroll
    DOCK_SHARE = 0.4

    def _fit_dock(self) -> None:
        """Give the controls their natural width, at most DOCK_SHARE of the window: at 200 % on 1280×720 their
        natural width left the plots a few dozen pixels."""
        # after a scale change the widgets' cached size hints still hold the old font's sizes (200 % → 100 % left
        # every row twice as tall): drop them so the layout measures the new font
        for widget in self.controls.findChildren(QtWidgets.QWidget):
            widget.updateGeometry()
        for layout in [self.controls.layout(), *self.controls.findChildren(QtWidgets.QLayout)]:
            layout.invalidate()
        self.controls.adjustSize()
        bar = self.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_ScrollBarExtent)
        natural = self.controls.minimumSizeHint().width() + bar + 6
        share = int(self.DOCK_SHARE * max(self.width(), 1))
        self.dock.setMinimumWidth(min(natural, share))
        self.dock.setMaximumWidth(share)  # the minimum alone let the dock keep 690 px of 1280 at 200 %

    def resizeEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        """Keep the controls within their share of the new width."""
        super().resizeEvent(event)
        self._fit_dock()

    def _fit_series(self) -> None:
        """Every row of time series at least SERIES_ROW_PX × scale high, scrolling when the window is short; in
        presentation mode only the rows that fit whole (a class cannot scroll, and a row cut off at the bottom
        showed titles without plots)."""
        row = SERIES_ROW_PX * self.scale
        columns = 2 if self.series_scroll.width() >= 2 * SERIES_COLUMN_PX * self.scale else 1
        rows = 6 // columns
        if self.presenting is not None:
            rows = rows_that_fit(self.series_scroll.height(), row, rows)
        ids = list(self.series.panel_ids)
        keep = ids.index(self.highlighted) // columns if self.highlighted in ids else 0
        self.series.arrange(columns, rows, max(0, keep - rows + 1))  # with the panel a lesson points at
        self.series.setMinimumHeight(int(row * rows))

    EXPLAIN_LINES = 3  # the least "how to read this" worth showing, in lines of its text

    def _fit_data_tab(self) -> None:
        """The 2D data view keeps its least height (DataView2D.least_height); the "how to read this" strip is shown
        only when at least EXPLAIN_LINES of it fit beside that (with a lesson bar at 200 % on 1280×720 the strip
        and the legend left the plot 2 px)."""
        side = self.ab.views if self.ab is not None else self.compared_side  # A/B: two data views (gui/ab.py)
        if self.data_stack.currentWidget() is not self.view2d and side is None:
            self.explain_scroll.show()
            return
        picker = self.class_picker.sizeHint().height() if self.class_picker.isVisible() else 0
        bar = self.brush_bar.sizeHint().height() if self.brush_bar.isVisible() else 0
        room = self.data_split.height() - picker - bar
        explain = self.EXPLAIN_LINES * self.explain.fontMetrics().lineSpacing() + 8 + self.data_split.handleWidth()
        least = self.view2d.least_height() if side is None else side.least_height()
        (show,) = rows_shown(room, least, [explain])
        self.explain_scroll.setVisible(show)

    PRESENTATION_SCALE = 1.5  # the least view scale in presentation mode (read from the back row)

    def toggle_presentation(self) -> None:
        """P: presentation mode on and off. On: the controls hidden except a bar with play and step, every view
        drawn at least PRESENTATION_SCALE, full screen. Off: back to how the window was."""
        if self.presenting is None:
            self.presenting = (self.dock.isVisible(), self.theme.name, self.scale, self.isFullScreen())
            self.dock.hide()
            self.present_bar.show()
            self.set_view(self.theme.name, max(self.scale, self.PRESENTATION_SCALE))
            self.showFullScreen()
            self.show_message("presentation mode: Space plays, → steps, P leaves", False)
            return
        dock, theme, scale, fullscreen = self.presenting
        self.presenting = None
        self.present_bar.hide()
        self.dock.setVisible(dock)
        self.set_view(theme, scale)
        if not fullscreen:
            self.showNormal()

    def toggle_controls(self) -> None:
        """C: show or hide the controls (the plots take their room)."""
        self.dock.setVisible(not self.dock.isVisible())

    def toggle_fullscreen(self) -> None:
        """F: full screen on and off."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
