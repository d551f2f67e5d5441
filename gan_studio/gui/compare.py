"""A/B compare: a recorded run folder ("B") drawn beside the live run ("A") with the same views.

File > Compare with run… reads a run folder (``runs``: config.toml, metrics.csv, events.jsonl, samples.npy)
into a ``ComparedRun``; its metrics become a second set of curves in every time-series panel (A's colours,
dashed and faint, one "B: <name>" entry in each panel's key), its events are faint markers labelled "B: …",
the config keys where A and B differ are one line over the plots (``CompareBar``), and B's final samples are
faint in the data view (points in 2D, a density histogram in 1D; not drawn for images) and in a data view of
their own beside A's (``recorded_frame``, ``gui/ab.show_recorded``). "Stop comparing" removes all of it; A's
curves are never touched. File > Compare live: A/B… (``gui/ab.py``) draws a second live run with the same
``CompareOverlay``, fed B's History as it grows.

Bad input (not a folder, not a run, a broken metrics.csv or events.jsonl, a run on data of another dimension)
is a ConfigError with one line naming what was wrong; the window shows it and keeps what it had.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from gan_studio import config, runs
from gan_studio.config import Config, ConfigError
from gan_studio.gui import theme as th
from gan_studio.gui.history import History, event_label
from gan_studio.schedule import ACTIONS, DISPLAY_KEYS, parse_event

KEY_ENTRY = "compare-b"  # the href of B's key entry (not a column: a click on it does nothing)
ALPHA = 150  # B's curves over A's: faint enough to tell apart, strong enough to read (0–255)
B_DASHES = [2.0, 2.0]  # short dashes (in pen widths): told apart from A's own dashed curves (Qt's 4-on-2-off)
MAX_MARKERS = 40  # B's newest events drawn as markers, as A's (timeseries.MAX_MARKERS)
MAX_SAMPLES_DRAWN = 2000  # B's samples in the data view: enough to see its modes, few enough not to hide A's
HISTOGRAM_BINS = 60  # B's 1D samples (2,500 of them: ~40 a bin near the mode)
MAX_SHOWN_DIFFS = 6  # differing keys named in the line; the rest are counted (the tooltip lists all)


@dataclass(frozen=True)
class ComparedRun:
    """A recorded run read back for comparing: its name (the folder's), the config in effect at its end, its
    metrics and events as a History, and its final samples (None when the folder has none)."""

    folder: Path
    name: str
    cfg: Config
    history: History
    samples: np.ndarray | None


def config_at_end(start: Config, events: list[dict]) -> Config:
    """The config after a run's events: each setting change applied in order (actions such as a reset change no
    setting and are skipped)."""
    cfg = start
    for event in events:
        _, what, value = parse_event(event)
        if what not in ACTIONS:
            cfg = config.with_value(cfg, what, value)
    return cfg


def read_run(folder: str | Path) -> ComparedRun:
    """A run folder read for comparing, or a ConfigError naming the folder or file and what was wrong.

    Needs config.toml and metrics.csv (a recording still being written has no weights or samples yet, and
    compares fine); events.jsonl and samples.npy are read when present."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"'{folder}' is not a folder; choose a run folder (gan-studio run --out, or File > Save run)")
    missing = [name for name in ("config.toml", "metrics.csv") if not (folder / name).is_file()]
    if missing:
        raise ConfigError(f"'{folder}' is not a run folder: {' and '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} missing")
    start = runs.load_config(folder / "config.toml")  # a moved folder's points file: its own copy
    events = runs.read_events(folder / "events.jsonl") if (folder / "events.jsonl").is_file() else []
    try:
        end = config_at_end(start, events)
    except ConfigError as err:
        raise ConfigError(f"{folder / 'events.jsonl'}: {err}") from None
    history = History()
    chunk: list[dict] = []
    for row in runs.iter_metrics(folder / "metrics.csv"):  # checks every row
        chunk.append(row)
        if len(chunk) >= 2000:
            history.add_rows(chunk)
            chunk = []
    history.add_rows(chunk)
    if history.last_step < 0:
        raise ConfigError(f"{folder / 'metrics.csv'}: holds no rows; a run to compare needs at least one logged step")
    history.add_events(events)
    return ComparedRun(folder, folder.name, end, history, _read_samples(folder / "samples.npy"))


def _read_samples(path: Path) -> np.ndarray | None:
    """samples.npy as float32 (no pickle), or None when absent; a broken file is a ConfigError."""
    if not path.is_file():
        return None
    try:
        samples = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise ConfigError(f"{path}: not a readable .npy of samples ({err})") from None
    if not isinstance(samples, np.ndarray) or samples.dtype.kind not in "fiu" or samples.ndim not in (2, 4):
        raise ConfigError(f"{path}: samples must be an N×dim (points) or N×C×H×W (images) array of numbers")
    return samples.astype(np.float32, copy=False)


def data_kind(samples: np.ndarray) -> str:
    """What a run's samples are: "1D points", "2D points", "image" (N×C×H×W)."""
    return "image" if samples.ndim == 4 else f"{samples.shape[1]}D points"


def check_fits(run: ComparedRun, live_kind: str | None) -> None:
    """Refuse a run whose data is of another kind than the live run's (``data_kind``; None: not known yet).
    A folder without samples is checked by whether both data sets are image sets."""
    if live_kind is None:
        return
    if run.samples is not None:
        kind = data_kind(run.samples)
    else:
        kind = "image" if config.is_image_data(run.cfg.data.name) else None
        if kind is None and live_kind != "image":
            return  # points of a dimension not written down: the curves still compare
    if kind != live_kind:
        raise ConfigError(f"'{run.folder}' is a run on {kind or 'point'} data and this run is on {live_kind} data; "
                          "compare runs on data of the same kind and dimension")


def config_differences(a: Config, b: Config) -> list[tuple[str, object, object]]:
    """(key, A's value, B's value) of every config key where A and B differ, in the config's key order; keys that
    change only the pictures (``DISPLAY_KEYS``) are left out."""
    return [(key, config.get(a, key), config.get(b, key)) for key in config.all_keys()
            if key not in DISPLAY_KEYS and _differs(key, config.get(a, key), config.get(b, key))]


def _differs(key: str, a: object, b: object) -> bool:
    """Whether two values of ``key`` differ; two points files with the same bytes are the same data (each run
    folder keeps a copy of its own, ``runs.keep_data``, so two runs on one drawing name two files)."""
    if a == b:
        return False
    if key != "data.path":
        return True
    try:
        return Path(str(a)).read_bytes() != Path(str(b)).read_bytes()
    except OSError:
        return True


def _value(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v) if v != "" else "''"


def differences_line(name: str, diffs: list[tuple[str, object, object]]) -> str:
    """The one line over the plots: ``B = <name> · settings A / B: loss.name ns / wgan · optim.lr_d 0.001 / 0.0002``
    (A is this run)."""
    if not diffs:
        return f"B = {name} · the same settings as A"
    parts = [f"{key} {_value(a)} / {_value(b)}" for key, a, b in diffs[:MAX_SHOWN_DIFFS]]
    more = len(diffs) - MAX_SHOWN_DIFFS
    if more > 0:
        parts.append(f"+{more} more")
    return f"B = {name} · settings A / B: " + " · ".join(parts)


class CompareOverlay:
    """B's curves, key entry and event markers on the panels of a ``TimeSeriesView`` (``view.set_compare``).

    Each of A's registry curves (per-layer gradient curves excepted: a dozen faint lines would bury A's) gets
    a B twin on the same axis in A's colour, dashed and faint, shown while A's curve is shown."""

    def __init__(self, run: ComparedRun, theme: th.Theme, scale: float, key: str = ""):
        """``key``: B's entry in each panel's key ("" = "B: <its name>")."""
        self.run = run
        self.key = key or f"B: {run.name}"
        self.theme, self.scale = theme, scale
        self.curves: dict[int, dict[str, pg.PlotDataItem]] = {}  # id(panel) -> column -> B's curve
        self.markers: dict[int, list[pg.InfiniteLine]] = {}  # id(panel) -> B's event markers
        self.panels: list = []  # the panels drawn on (to take everything off again)
        self.homes: dict[pg.PlotDataItem, object] = {}  # B's curve -> the plot or right-axis ViewBox holding it
        self.marked: dict[int, tuple] = {}  # id(panel) -> the events its markers show (a live B's grow: gui/ab.py)

    def _twin(self, panel, key: str) -> pg.PlotDataItem:
        """B's curve for A's column ``key`` on ``panel`` (made on first use, with B's event markers)."""
        mine = self.curves.setdefault(id(panel), {})
        self._mark(panel)
        item = mine.get(key)
        if item is None:
            column = panel.columns[panel.group[key]]
            item = mine[key] = pg.PlotDataItem(name=f"B: {column.label}")
            item.setToolTip(f"{self.run.name} (run B): {column.tooltip}")
            home = panel.vb2 if column.right and panel.vb2 is not None else panel.plot
            home.addItem(item)
            self.homes[item] = home
            self._style_curve(panel.curves[key], item)
        return item

    def _style_curve(self, theirs: pg.PlotDataItem, item: pg.PlotDataItem) -> None:
        color = theirs.opts_style[0]
        pen = self.theme.pen(color, 1.6, self.scale, alpha=ALPHA)
        pen.setDashPattern(B_DASHES)
        item.setPen(pen)
        if getattr(theirs, "sparse", False):  # measured rarely: dots, so two points still show
            item.setSymbol("o")
            item.setSymbolSize(6 * self.scale)
            item.setSymbolBrush(self.theme.brush(color, ALPHA))
            item.setSymbolPen(None)

    def _make_markers(self, panel) -> list[pg.InfiniteLine]:
        groups: list[tuple[float, str]] = []  # one marker per step, as A's
        shown = [e for e in self.run.history.events if e.get("what") not in ("step_d", "step_g", *DISPLAY_KEYS)]
        for e in shown[-MAX_MARKERS:]:
            step = float(e.get("step", 0))
            if groups and groups[-1][0] == step:
                groups[-1] = (step, groups[-1][1] + "\n" + event_label(e))
            else:
                groups.append((step, f"B: {event_label(e)}"))
        out = []
        for step, label in groups:
            # B's labels hang lower than A's (at 4 % of the height), so two markers at one step stay readable
            m = pg.InfiniteLine(pos=step, angle=90, movable=False, label=label,
                                labelOpts={"position": 0.45, "rotateAxis": (1, 0), "anchors": [(0, 1), (0, 1)]})
            m.setZValue(-6)
            panel.plot.addItem(m, ignoreBounds=True)
            out.append(m)
        self._style_markers(out)
        return out

    def _style_markers(self, markers: list[pg.InfiniteLine]) -> None:
        for m in markers:
            m.setPen(self.theme.pen(self.theme.marker, 1.2, self.scale, dash=True, alpha=ALPHA))
            m.label.setColor(self.theme.muted)
            m.label.setFont(th.font(8.5 * self.scale))

    # -- what TimeSeriesView calls ------------------------------------------------------------------------------
    def draw_panel(self, panel, history: History) -> None:
        """Set B's curves on ``panel`` from B's history, each shown while A's twin is shown (A's ``history``
        decides what the key shows)."""
        for key in list(panel.curves):
            if panel.group[key] != key:
                continue  # a per-layer curve
            s = self.run.history.get(key)
            if s is None or s.n == 0:
                if key in self.curves.get(id(panel), {}):
                    self.curves[id(panel)][key].setData([], [])
                continue
            item = self._twin(panel, key)
            x, y = s.x, s.y
            if panel.log_y:
                ok = y > 0
                x, y = x[ok], y[ok]
            item.setData(x, y, skipFiniteCheck=True)
            item.setVisible(panel.shown(key, history))
        self._mark(panel)  # also where no curve has B data: its events still mark the panel

    def _mark(self, panel) -> None:
        """B's event markers on ``panel``, made again when B's events changed since (a live run B's grow)."""
        events = self.run.history.events
        seen = (len(events), repr(events[-1]) if events else "")
        if id(panel) not in self.markers:
            self.panels.append(panel)
        elif self.marked.get(id(panel)) == seen:
            return
        else:
            for m in self.markers[id(panel)]:
                panel.plot.removeItem(m)
        self.markers[id(panel)] = self._make_markers(panel)
        self.marked[id(panel)] = seen

    def key_entries(self, panel) -> list[tuple[str, str, str, str, bool]]:
        """B's one entry in ``panel``'s key (when B has a curve shown there), as ``_Panel.key_entries``."""
        shown = any(item.isVisible() and item.xData is not None and len(item.xData)
                    for item in self.curves.get(id(panel), {}).values())
        return [(KEY_ENTRY, self.theme.fg, self.key, "dash", True)] if shown else []

    def step_span(self) -> tuple[float | None, float | None]:
        """B's first and last step, for the shared step axis."""
        return self.run.history.step_span()

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Recolour and resize B's curves and markers (after A's took the new theme)."""
        self.theme, self.scale = theme, scale
        for panel in self.panels:
            for key, item in self.curves.get(id(panel), {}).items():
                self._style_curve(panel.curves[key], item)
            self._style_markers(self.markers[id(panel)])

    def remove(self) -> None:
        """Take every curve and marker of B off the panels."""
        for panel in self.panels:
            for item in self.curves.get(id(panel), {}).values():
                self.homes[item].removeItem(item)
            for m in self.markers[id(panel)]:
                panel.plot.removeItem(m)
        self.curves.clear()
        self.homes.clear()
        self.markers.clear()
        self.marked.clear()
        self.panels = []


class CompareBar(QtWidgets.QFrame):
    """The line over the plots while comparing: what B is, the keys where A and B differ (the first
    ``MAX_SHOWN_DIFFS``; the tooltip has every difference) and a "Stop comparing" link at its end. The line
    wraps between its parts rather than being cut, and the link takes no column of its own: at 200 % on a
    1280×720 screen an elided line showed only "A vs B: …", and a button beside it squeezed the text to one
    word a line."""

    stop = QtCore.pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("compare_bar")
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(8, 3, 8, 3)
        self.label = QtWidgets.QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Minimum)
        self.label.linkActivated.connect(lambda _: self.stop.emit())
        row.addWidget(self.label, 1)
        self.line = ""  # the line as plain text
        self.theme = th.LIGHT
        self.hide()

    def show_run(self, line: str, diffs: list[tuple[str, object, object]], folder: Path) -> None:
        """Show ``line`` with every difference in the tooltip."""
        self.line = line
        rows = [f"{key}: A {_value(a)}, B {_value(b)}" for key, a, b in diffs] or ["the same settings"]
        self.label.setToolTip(f"A: this run (its settings now) · B: {folder} (its settings at its end)\n"
                              + "\n".join(rows))
        self._set_text()
        self.show()

    def _set_text(self) -> None:
        # each part keeps its words together, except after "A / B:" (at 200 % on 1280×720 the settings part was
        # wider than the plots' column and ran off it)
        parts = [html.escape(part).replace(" ", "&nbsp;").replace("B:&nbsp;", "B: ") for part in self.line.split(" · ")]
        if parts:
            parts[0] = f"<b>{parts[0]}</b>"
        link = (f'<a href="stop" style="color:{self.theme.fg}; text-decoration:underline">Stop&nbsp;comparing</a>')
        self.label.setText(" · ".join(parts) + "&nbsp;&nbsp;&nbsp; " + link)

    def apply_style(self, theme: th.Theme, scale: float) -> None:
        """Colours and font of a theme and view scale."""
        self.theme = theme
        self.setStyleSheet(f"#compare_bar {{ background: {theme.bg}; border-bottom: 1px solid {theme.muted}; }}")
        self.label.setFont(th.font(9.5 * scale))
        self.label.setStyleSheet(f"color: {theme.fg};")
        self._set_text()


def samples_item(samples: np.ndarray, theme: th.Theme, scale: float) -> pg.GraphicsObject | None:
    """B's final samples, faint, for the data view of its dimension: 2D as hollow points (at most
    ``MAX_SAMPLES_DRAWN``, evenly picked), 1D as a density histogram (area 1, on the density axis beside p_data
    and p_g); None for images (the sample grid has no room for a second set)."""
    if samples.ndim != 2 or samples.shape[1] not in (1, 2):
        return None
    pen = theme.pen(theme.fg, 1.0 if samples.shape[1] == 2 else 1.6, scale, alpha=90 if samples.shape[1] == 2
                    else ALPHA)
    if samples.shape[1] == 1:
        density, edges = np.histogram(samples[:, 0].astype(np.float64), bins=HISTOGRAM_BINS, density=True)
        pen.setDashPattern(B_DASHES)
        item = pg.PlotDataItem(edges, density, stepMode="center", pen=pen)
    else:
        pts = samples[:: -(-len(samples) // MAX_SAMPLES_DRAWN)]  # every k-th, k = ⌈n / MAX_SAMPLES_DRAWN⌉
        item = pg.ScatterPlotItem(pts[:, 0], pts[:, 1], size=5 * scale, symbol="o", pen=pen, brush=None)
    item.setToolTip("run B's final samples")
    item.setZValue(5)
    return item


def recorded_frame(run: ComparedRun, a_frame, a_cfg: Config):
    """A frame for a data view of B's own (``gui/ab.show_recorded``): A's newest frame with B's final samples as
    the generated ones (at most ``MAX_SAMPLES_DRAWN`` points, evenly picked), A's real sample only when B trained on
    A's data, B's loss and Lipschitz method in the title, and nothing probed (a record has no D); None when B has
    no samples, A no frame yet, or the two are of different kinds."""
    if run.samples is None or a_frame is None or data_kind(run.samples) != live_kind(a_frame):
        return None
    samples = run.samples
    if samples.ndim == 2:
        samples = samples[:: -(-len(samples) // MAX_SAMPLES_DRAWN)]
    real = a_frame.real if run.cfg.data == a_cfg.data else a_frame.real[:0]
    return replace(a_frame, step=max(run.history.last_step, 0), loss=run.cfg.loss.name,
                   lipschitz=run.cfg.lipschitz.name, real=real, fake=samples, push=None, surface=None,
                   latent_grid=None, curves=None, images={}, real_labels=None, fake_labels=None, latent_maps=(),
                   latent_paths=(), members=None)


def live_kind(frame) -> str | None:
    """The live run's data as ``data_kind`` names it, from its newest frame (None before the first)."""
    if frame is None:
        return None
    real = getattr(frame, "real", None)
    return "image" if real is not None and getattr(real, "ndim", 2) == 4 else f"{frame.dim}D points"
