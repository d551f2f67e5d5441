"""A/B live: run B trained in a second worker beside the live run A, in step, from the same start.

File > Compare live: A/B… (Ctrl+Shift+A) asks for one or more ``KEY=VALUE`` lines (``parse_changes``; a bad line
is one ConfigError line in the status bar and no B starts). Then A restarts from step 0 on its current settings
and B starts from step 0 on the same settings with those keys changed (``config_b``): same seed, same data.

* **In step**: play, pause, step, speed, reset, rewind and A's live changes go to both workers (``LiveAB.mirror``;
  a change of one of B's own keys stays A's). Whichever run gets ahead by more than one logged interval waits
  (``Lockstep``) until the other has caught up, so both curves cover the same steps. While A waits for B the
  window still shows "playing".
* **Views**: the data view is split in two, A's then B's (side by side in a wide tab, one over the other in a tall
  one; a second view of the same class,
  ``gui/views``), each titled with its run; each time-series plot draws B's curves over A's with
  ``compare.CompareOverlay`` fed B's History as it grows; the line over the plots names the keys where A and B
  differ; the status bar has B's step.
* **Stop comparing** (the line's link, File > Stop comparing) ends B's worker within 2 s and takes its views and
  curves off; closing the window does the same (``StudioWindow.shutdown``).

The window calls ``start`` / ``LiveAB.mirror`` / ``LiveAB.a_packet`` / ``LiveAB.stop``; everything else lives here.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path

from PyQt6 import QtCore, QtWidgets

from gan_studio import config
from gan_studio.config import Config, ConfigError
from gan_studio.gui import compare
from gan_studio.gui import theme as th
from gan_studio.gui.bridge import PacketBridge
from gan_studio.gui.dialogs import add_ok_cancel
from gan_studio.gui.fit import ResizeWatch
from gan_studio.gui.history import History
from gan_studio.gui.views import show_in_its_view
from gan_studio.gui.views.data1d import DataView1D
from gan_studio.gui.views.data2d import DataView2D
from gan_studio.gui.views.samples import SampleGrid
from gan_studio.worker.protocol import (
    Apply,
    Command,
    DropSchedule,
    Grid,
    Packet,
    Pause,
    Play,
    PlayUntil,
    RequestFrame,
    Restart,
    Rewind,
    Speed,
    Step,
)

MIN_PAINT_INTERVAL_MS = 30  # B's data view at most ~33 times a second: it shares 2 cores with A's and two trainers
HEALTH_MS = 250  # how often B's worker is checked (as the window checks A's)
LEAST_PLOTS_PX = 260  # the least height of a 1D data view (two plots with titles) or a sample grid at 100 %
EXAMPLE = "loss.name=wgan"  # shown in the dialog and in the error lines


# -- pure parts ---------------------------------------------------------------------------------------------
def parse_changes(text: str) -> dict[str, object]:
    """B's settings from the dialog's text: one ``KEY=VALUE`` a line (blank lines and ``#`` comments skipped; a
    key given twice keeps its last value), each checked by ``config.parse_assignment``. A ConfigError names the
    line and what was wrong; no line at all is an error too (B would be A)."""
    changes: dict[str, object] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key, value = config.parse_assignment(line)
        except ConfigError as err:
            raise ConfigError(f"line {n}: {err}") from None
        changes[key] = value
    if not changes:
        raise ConfigError(f"type at least one KEY=VALUE line for run B (for example {EXAMPLE})")
    return changes


def config_b(cfg_a: Config, changes: dict[str, object]) -> Config:
    """A's config with B's changes. B must train on data of A's kind (points beside points, images beside
    images): the two data views and the curves compare only then."""
    cfg = cfg_a
    for key, value in changes.items():
        cfg = config.with_value(cfg, key, value)
    if config.is_image_data(cfg.data.name) != config.is_image_data(cfg_a.data.name):
        kinds = {True: "images", False: "points"}
        raise ConfigError(f"data.name={cfg.data.name}: B would train on {kinds[config.is_image_data(cfg.data.name)]}"
                          f" and A trains on {kinds[config.is_image_data(cfg_a.data.name)]}; pick a data set of "
                          "the same kind")
    return cfg


def changes_text(changes: dict[str, object]) -> str:
    """B's changes as one short line: ``loss.name=wgan, optim.lr_d=0.0002``."""
    return ", ".join(f"{key}={compare._value(value)}" for key, value in changes.items())


@dataclass
class Lockstep:
    """Keeps two runs within ``gap`` steps of each other while the person plays: the one ahead by more than
    ``gap`` is paused ("held") until the other has caught up. Pure: it says which run gets which command."""

    gap: int
    playing: bool = False  # what the person asked for (both runs play)
    held: str = ""  # "a" or "b": the run paused to wait for the other; "" none

    def play(self) -> None:
        """The person pressed play: both play (the next ``balance`` holds the one ahead)."""
        self.playing, self.held = True, ""

    def pause(self) -> None:
        """The person paused (or stepped to a step): nothing is held any more."""
        self.playing, self.held = False, ""

    def balance(self, a: int, b: int) -> list[tuple[str, Command]]:
        """The commands that keep runs at steps ``a`` and ``b`` in step, as (run, command) pairs."""
        if not self.playing:
            return []
        if self.held == "a" and b >= a or self.held == "b" and a >= b:
            run, self.held = self.held, ""
            return [(run, Play())]
        if not self.held and a - b > self.gap:
            self.held = "a"
            return [("a", Pause())]
        if not self.held and b - a > self.gap:
            self.held = "b"
            return [("b", Pause())]
        return []


# -- the views of run B -------------------------------------------------------------------------------------
def _title(text: str, tip: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setObjectName("ab_title")
    label.setWordWrap(True)
    label.setToolTip(tip)
    label.setContentsMargins(6, 2, 6, 2)
    label.setTextFormat(QtCore.Qt.TextFormat.RichText)
    return label


class SideBySide:
    """A's data view and B's side by side: the window's data stack (A) is moved into a splitter beside a stack of
    B's own data views (the same classes), each under a title; ``remove`` puts A's back where it was."""

    def __init__(self, window, title_b: str, tip_b: str):
        """``title_b``: B's title (rich text); ``tip_b``: its tooltip."""
        self.window = window
        self.stack_a = window.data_stack
        self.home = self.stack_a.parentWidget().layout()  # the data tab's column (brush bar, class picker, views)
        self.index = self.home.indexOf(self.stack_a)
        theme, scale = window.theme, window.scale
        self.view2d = DataView2D(theme, scale)
        self.view1d = DataView1D(theme, scale)
        self.samples = SampleGrid(theme, scale)
        self.view2d.set_layers(window.controls.layers())
        window.controls.layers_changed.connect(self.view2d.set_layers)
        self.stack_b = QtWidgets.QStackedWidget()
        for w in (self.view2d, self.view1d, self.samples):
            self.stack_b.addWidget(w)
        self.stack_b.setCurrentWidget(self.view2d)
        self.title_a = _title("<b>A</b> · this run", "run A: the window's run, restarted from step 0")
        self.title_b = _title(title_b, tip_b)
        self.split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.split.setObjectName("ab_split")
        self.split.setChildrenCollapsible(False)
        self.home.removeWidget(self.stack_a)
        for title, stack in ((self.title_a, self.stack_a), (self.title_b, self.stack_b)):
            pane = QtWidgets.QWidget()
            column = QtWidgets.QVBoxLayout(pane)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            column.addWidget(title)
            column.addWidget(stack, 1)
            self.split.addWidget(pane)
        self.home.insertWidget(self.index, self.split, 1)
        self.moved = False  # the person dragged the handle: the sizes are theirs
        self.split.splitterMoved.connect(lambda *_: setattr(self, "moved", True))
        self.watch = ResizeWatch(self.split)
        self.watch.resized.connect(self.fit)
        self.apply_style(theme, scale)

    def fit(self) -> None:
        """Side by side where the data tab is wider than tall, one over the other where it is taller: each view
        gets the squarer half (the 2D view keeps its aspect: two panes 280 px wide and 680 px tall drew the ring
        an eighth of their height at 1920×1080), and halves unless the person dragged the handle."""
        w, h = self.split.width(), self.split.height()
        orientation = QtCore.Qt.Orientation.Horizontal if w >= h else QtCore.Qt.Orientation.Vertical
        if orientation != self.split.orientation():
            self.split.setOrientation(orientation)
            self.moved = False
            self.window._fit_data_tab()  # "how to read this" may no longer fit beside two views
        if not self.moved:
            half = (w if orientation == QtCore.Qt.Orientation.Horizontal else h) // 2
            self.split.setSizes([half, half])

    def samples_only(self) -> None:
        """B's 2D view shows points only, without the colour bar (a recorded run has no D to draw), and no longer
        follows the controls' layers."""
        self.window.controls.layers_changed.disconnect(self.view2d.set_layers)
        self.view2d.set_layers({"real", "fake"})
        self.view2d.bar.setVisible(False)

    def least_height(self) -> int:
        """The least height of the two data views with their titles (the window hides "how to read this" below
        it): both when one is over the other, the taller one side by side. 2D: the view's own least height; 1D
        and images: LEAST_PLOTS_PX × scale (at 200 % on 1280×720 two 1D views under the strip were cut to their
        titles)."""
        if self.stack_b.currentWidget() is self.view2d:
            views = [self.window.view2d.least_height(), self.view2d.least_height()]
        else:
            views = [int(LEAST_PLOTS_PX * self.window.scale)] * 2
        heights = [title.sizeHint().height() + view for title, view in zip((self.title_a, self.title_b), views,
                                                                            strict=True)]
        stacked = self.split.orientation() == QtCore.Qt.Orientation.Vertical
        return sum(heights) + self.split.handleWidth() if stacked else max(heights)

    def draw(self, frame, probed: bool) -> None:
        """B's frame in B's view of its kind (as the window's ``draw_frame`` picks A's)."""
        show_in_its_view(self.stack_b, self.samples, self.view1d, self.view2d, frame, probed)

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Theme and view scale for B's views and both titles."""
        for view in (self.view2d, self.view1d, self.samples):
            view.apply_style(theme, scale)
        for title in (self.title_a, self.title_b):
            title.setFont(th.font(10.0 * scale))
            title.setStyleSheet(f"color: {theme.fg}; background: {theme.bg};")

    def remove(self) -> None:
        """A's data stack back into the data tab's column; B's views deleted."""
        try:
            self.window.controls.layers_changed.disconnect(self.view2d.set_layers)
        except TypeError:
            pass
        self.home.removeWidget(self.split)
        self.stack_a.setParent(None)
        self.home.insertWidget(self.index, self.stack_a, 1)
        self.stack_a.show()
        self.split.setParent(None)
        self.split.deleteLater()


# -- run B ----------------------------------------------------------------------------------------------------
class LiveAB(QtCore.QObject):
    """Run B's worker, bridge, history, views and the lockstep with A (see the module docstring)."""

    def __init__(self, window, cfg_a: Config, changes: dict[str, object], playing: bool):
        super().__init__(window)
        self.window = window
        self.changes = dict(changes)
        self.cfg = config_b(cfg_a, changes)
        self.cfg_dict: dict | None = None  # B's settings as its newest packet had them
        self.a_cfg_dict: dict | None = None  # A's, as its newest packet had them
        self.name = changes_text(changes)
        self.history = History()
        self.generation = None
        self.step = 0  # B's step, from its newest packet
        self.a_step = 0  # A's step since the restart (A's packets of the run before it are not counted)
        self.a_generation_before = window.generation
        self.a_counted = False
        self.steps_per_s = 0.0
        self.recording = ""  # the folder B's worker records its run in (as A's)
        self.error = ""
        self.latest: Packet | None = None
        self.latest_probed: Packet | None = None
        self.dirty = False
        self.kind_checked = False
        self.lock = Lockstep(gap=max(cfg_a.train.log_every, self.cfg.train.log_every), playing=playing,
                             held="a" if playing else "")  # A waits until B's worker is up (~2 s: torch)
        self.run = compare.ComparedRun(Path(""), self.name, self.cfg, self.history, None)
        self.overlay = compare.CompareOverlay(self.run, window.theme, window.scale, key="B")
        # each KEY=VALUE kept whole: a narrow pane wraps between them, not inside a key
        words = " · ".join(html.escape(f"{k}={compare._value(v)}").replace(" ", "&nbsp;") for k, v in changes.items())
        self.views = SideBySide(window, f"<b>B</b> · {words}", f"run B: A's settings, seed and data with {self.name}")
        self.status = QtWidgets.QLabel("  B: starting…  ")
        self.status.setObjectName("ab_status")
        window.statusBar().insertWidget(1, self.status)  # after A's state, before the message
        self.timer = QtCore.QTimer(self)  # single shot: B's next paint
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.paint)
        self.last_paint = 0.0
        self.health = QtCore.QTimer(self)
        self.health.setInterval(HEALTH_MS)
        self.health.timeout.connect(self.check_worker)
        self.worker = window.worker_factory(self.cfg, ())
        self.worker.start()
        if playing:
            self.worker.send(Play())
        self.bridge = PacketBridge(self.worker, self)
        self.bridge.packet.connect(self.on_packet)
        self.bridge.start()
        self.health.start()
        window.series.set_compare(self.overlay)
        self.show_differences(window.cfg)

    # -- what the window calls -------------------------------------------------------------------------------
    def mirror(self, cmd: Command) -> None:
        """A command the person gave run A, for run B: play, pause, steps, speed, reset, rewind and live changes
        alike (a change of one of B's own keys stays A's); a restart on new settings restarts B on them with its
        changes; saving, opening and inverting are A's."""
        match cmd:
            case Play():
                self.lock.play()
                self.worker.send(cmd)
            case Pause() | PlayUntil():
                self.lock.pause()
                self.worker.send(cmd)
                self._release_a()
            case Restart(config=cfg_dict, schedule=items):
                try:
                    self.cfg = config_b(config.from_dict(cfg_dict, "restart"), self.changes)
                except ConfigError as err:
                    self.window.show_message(f"A/B ended: B cannot take A's new settings: {err}", True)
                    QtCore.QTimer.singleShot(0, self.window.stop_ab)
                    return
                self.worker.send(Restart(config.to_dict(self.cfg), items))
            case Apply(what=what) if what in self.changes:
                pass
            case Step() | Speed() | Grid() | RequestFrame() | Apply() | DropSchedule() | Rewind():
                self.worker.send(cmd)

    def a_packet(self, packet: Packet) -> None:
        """Run A's packet: its step for the lockstep (from the restart that began the A/B on) and its settings
        for the line over the plots."""
        if not self.a_counted and packet.generation == self.a_generation_before:
            return  # a packet of A's run before the restart
        self.a_counted = True
        self.a_step = packet.step
        if packet.cfg and packet.cfg != self.a_cfg_dict:
            self.a_cfg_dict = packet.cfg
            self.show_differences(config.from_dict(packet.cfg, "worker"))
        self._balance()

    def holds_a(self) -> bool:
        """Whether A is paused only to wait for B (the window shows it as playing)."""
        return self.lock.playing and self.lock.held == "a"

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Theme and view scale (the overlay takes them from the time series)."""
        self.views.apply_style(theme, scale)
        self.status.setFont(th.font(10.0 * scale))

    def stop(self, message: str = "") -> None:
        """End B's worker (within 2 s), take its curves, views and status off, and let A go on as it was asked
        (playing if the person had pressed play)."""
        self.timer.stop()
        self.health.stop()
        self.bridge.stop()
        self.worker.stop()
        self._release_a()
        w = self.window
        w.series.set_compare(None)
        w.compare_bar.hide()
        self.views.remove()
        w.statusBar().removeWidget(self.status)
        self.status.deleteLater()
        if message:
            w.show_message(message, False)

    # -- B's packets -----------------------------------------------------------------------------------------
    def on_packet(self, packet: Packet) -> None:
        """B's packet: rows and events into B's history now, its frame at B's next paint."""
        if packet.generation != self.generation:
            self.generation = packet.generation
            self.history.clear()
        self.recording = packet.recording or self.recording
        self.history.add_rows(packet.rows)
        self.history.add_events(packet.events)
        for text in packet.messages:
            if text != packet.error:
                self.window.show_message(f"B: {text}", text.startswith(("refused", "could not", "ignored")))
        if packet.error != self.error:
            self.error = packet.error
            if packet.error and self.lock.playing:  # the runs go in step: A stops too (held, it would wait for ever)
                self.window.send(Pause())
                self.window.show_message(f"B: {packet.error}; A paused too", True)
            elif packet.error:
                self.window.show_message(f"B: {packet.error}", True)
        self.step, self.steps_per_s = packet.step, packet.steps_per_s
        if packet.cfg and packet.cfg != self.cfg_dict:  # B's settings now (A's live changes reach B too)
            self.cfg_dict, self.cfg = packet.cfg, config.from_dict(packet.cfg, "worker")
            self.views.view1d.set_latent_dim(self.cfg.model.latent_dim)
            self.show_differences(self.window.cfg)
        if packet.probed and packet.frame is not None:
            self.latest_probed = packet
        self.latest = packet
        if packet.rows or packet.events:  # A's plots draw B's curves with theirs: they are out of date now
            for panel in self.window.series.panels:
                panel.version = -1
        self._balance()
        self.dirty = True
        if not self.timer.isActive():
            wait_ms = MIN_PAINT_INTERVAL_MS - (time.monotonic() - self.last_paint) * 1000
            self.timer.start(max(0, int(wait_ms)))

    def paint(self) -> None:
        """B's newest frame in B's data view, B's curves on A's plots, B's step in the status bar."""
        if not self.dirty or self.latest is None:
            return
        self.dirty = False
        self.last_paint = time.monotonic()
        packet, probed = self.latest, self.latest_probed
        self.latest_probed = None
        if not self.kind_checked and packet.frame is not None and self.window.latest is not None:
            self.kind_checked = True
            mine = compare.live_kind(packet.frame)
            theirs = compare.live_kind(self.window.latest.frame)
            if theirs is not None and mine != theirs:
                self.window.show_message(f"A/B ended: B trains on {mine} and A on {theirs}; "
                                         "compare runs on data of the same kind and dimension", True)
                QtCore.QTimer.singleShot(0, self.window.stop_ab)
                return
        if probed is not None and probed is not packet and probed.frame is not None:
            self.views.draw(probed.frame, True)
        if packet.frame is not None:
            self.views.draw(packet.frame, packet.probed)
        self.window.series.update_history(self.window.history, 1 if packet.playing else None)
        state = "playing" if packet.playing or self.lock.held == "b" else "paused"
        self.status.setText(f"  B: {state} · step {packet.step:,} · {packet.steps_per_s:,.0f} steps/s  ")

    def check_worker(self) -> None:
        """B's worker ended without being asked (killed, crashed): say so and end the A/B (A goes on)."""
        if self.worker.died:
            self.window.show_message(f"A/B ended: run B's training process ended ({self.worker.how_it_ended()})",
                                     True)
            self.health.stop()
            QtCore.QTimer.singleShot(0, self.window.stop_ab)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _balance(self) -> None:
        for run, cmd in self.lock.balance(self.a_step, self.step):
            (self.window.worker if run == "a" else self.worker).send(cmd)

    def _release_a(self) -> None:
        """A was waiting for B and the person still wants it to play: it plays on."""
        if self.lock.playing and self.lock.held == "a" and self.window.worker is not None:
            self.window.worker.send(Play())
        if self.lock.held == "a":
            self.lock.held = ""

    def show_differences(self, cfg_a: Config) -> None:
        """The line over the plots: the keys where A (now) and B differ."""
        diffs = compare.config_differences(cfg_a, self.cfg)
        bar = self.window.compare_bar
        bar.apply_style(self.window.theme, self.window.scale)
        bar.show_run(compare.differences_line("run B (live)", diffs), diffs, Path("a second worker"))


def show_recorded(window, run: compare.ComparedRun) -> SideBySide | None:
    """File > Compare with run…: a recorded run B's final samples in a data view of their own beside A's (its
    record has no discriminator: no surface or curves); None when the folder has no samples or A no frame yet."""
    frame = compare.recorded_frame(run, window.latest.frame if window.latest else None, window.cfg)
    if frame is None:
        return None
    side = SideBySide(window, f"<b>B</b> · {html.escape(run.name)} · its final samples",
                      f"run B: {run.folder}, its samples.npy (step {run.history.last_step:,})")
    side.samples_only()
    side.draw(frame, probed=False)
    return side


def check(window, changes: dict[str, object]) -> None:
    """Whether A/B can begin on ``window`` with B's ``changes``: a ConfigError says why not."""
    config_b(window.controls.cfg, changes)
    if window.lesson is not None:
        raise ConfigError("leave the lesson first (its stages pause and change run A only)")


def start(window, changes: dict[str, object]) -> LiveAB | None:
    """Begin A/B on ``window`` (``check`` first): restart A from step 0 on its current settings and start B beside
    it. Returns None when the person declined the restart."""
    check(window, changes)
    cfg_a = window.controls.cfg
    if window.step > 0 and not window.confirm(
            f"A/B restarts this run (step {window.step:,}) from step 0 beside run B, for the two to compare "
            "step by step; its curves so far are discarded. Start A/B?"):
        return None
    playing = window.playing
    if playing:
        window.send(Pause())  # A waits at step 0 until B's worker is up
    window.cfg = cfg_a
    window.send(Restart(config.to_dict(cfg_a)))
    return LiveAB(window, cfg_a, changes, playing)


class ChangesDialog(QtWidgets.QDialog):
    """The small dialog of File > Compare live: A/B…: B's settings as KEY=VALUE lines."""

    def __init__(self, parent, text: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Compare live: A/B")
        column = QtWidgets.QVBoxLayout(self)
        intro = QtWidgets.QLabel("Run B trains beside this run (A), from step 0, with the same seed and data and "
                                 "these settings changed, one KEY=VALUE a line:")
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.edit = QtWidgets.QPlainTextEdit(text or EXAMPLE)
        self.edit.setObjectName("ab_changes")
        self.edit.setPlaceholderText(f"{EXAMPLE}\noptim.lr_d=0.0002")
        lines = self.edit.fontMetrics().lineSpacing()
        self.edit.setMinimumHeight(5 * lines)
        column.addWidget(self.edit)
        note = QtWidgets.QLabel("A restarts from step 0 too; play, pause and step drive both.")
        note.setWordWrap(True)
        column.addWidget(note)
        add_ok_cancel(self, column)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 36)

    def text(self) -> str:
        """What the person typed."""
        return self.edit.toPlainText()
