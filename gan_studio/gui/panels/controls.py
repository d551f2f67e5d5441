"""The control panel: run controls, experiment (presets, data, device), loss, Lipschitz, remedy, optimizer, model
shape and view settings.

The panel never changes the run itself. It validates what the person typed (``config.parse_value``: a bad
value is refused with a message naming the allowed range and the field goes back to the run's value) and
emits commands; the worker applies them and the next packet's config flows back through ``sync``
(model → UI), so the widgets always show what the run really uses.

About 500 lines: one panel whose widgets and their two-way sync belong together.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt6 import QtCore, QtGui, QtWidgets

from gan_studio import config
from gan_studio.config import CHOICES, Config, ConfigError
from gan_studio.gui import theme as th
from gan_studio.gui.views.data2d import DEFAULT_LAYERS, LAYERS
from gan_studio.presets import list_presets, load_preset
from gan_studio.schedule import DISPLAY_KEYS
from gan_studio.worker.protocol import SPEEDS, Apply, Pause, Play, Speed, Step

LIVE_COMBOS = ("loss.name", "lipschitz.name", "remedy.name", "optim.name")
LIVE_FIELDS = ("loss.param", "lipschitz.param", "remedy.param", "optim.lr_d", "optim.lr_g", "train.d_steps",
               "train.g_steps", "train.batch_size")
MODEL_FIELDS = ("model.hidden", "model.depth", "model.latent_dim", "model.mapping")
SEEDS_MAX = 256  # members the window's Seeds control offers (the Seeds tab draws the first 32; the CLI takes more)
CUSTOM = "(custom run)"
SCALES = (("100 %", 1.0), ("125 %", 1.25), ("150 %", 1.5), ("200 %", 2.0))
PARAM_KEY = {"clip": ("lipschitz.clip", "c"), "gp": ("lipschitz.weight", "λ"), "r1": ("lipschitz.weight", "γ"),
             "r2": ("lipschitz.weight", "γ"), "dragan": ("lipschitz.weight", "λ")}
# The remedy's main parameter (packing's m is fixed for a run: it is D's input width, set in the config)
REMEDY_PARAM_KEY = {"minibatch_discrimination": ("remedy.kernels", "B"), "minibatch_stddev": ("remedy.group", "G"),
                    "unrolled": ("remedy.unroll", "k"), "instance_noise": ("remedy.noise", "σ₀")}
# The objective's live parameter: β of the VAE's ELBO (the ae and the GAN losses have none; config.LossConfig.beta)
LOSS_PARAM_KEY = {"vae": ("loss.beta", "β")}
# field → (the choice it belongs to, choice value → (key, label)): one parameter field under each such combo
PARAM_FIELDS = {"loss.param": ("loss.name", LOSS_PARAM_KEY), "lipschitz.param": ("lipschitz.name", PARAM_KEY),
                "remedy.param": ("remedy.name", REMEDY_PARAM_KEY)}
HIDDEN_WITHOUT_PARAM = ("loss.param",)  # shown only when the choice has one (most losses have none: no empty row)


def point_dim(name: str, path: str = "") -> int | None:
    """1 or 2 for point data (a shipped set, from the "1D:" / "2D:" its description in config.CHOICES starts
    with; a file, from its first data row), None for images or a file that cannot be read here (the worker
    checks files properly: this only chooses the latent size to go with them)."""
    if name != "file":
        head = CHOICES["data.name"].get(name, "").split(":", 1)[0]
        return {"1D": 1, "2D": 2}.get(head)
    try:
        if path.lower().endswith(".npy"):
            shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
            return 1 if len(shape) == 1 else int(shape[1])
        with open(Path(path).expanduser(), encoding="utf-8", errors="replace") as f:
            rows = [line.strip() for _, line in zip(range(50), f, strict=False) if line.strip()]
        sep = "," if rows and "," in rows[0] else None
        for row in rows[:2]:  # the first may be a header
            fields = row.split(sep)
            try:
                [float(x) for x in fields]
            except ValueError:
                continue
            return len(fields)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def choice(box: QtWidgets.QComboBox) -> str:
    """The code of a config combo's current item (what config files and commands use)."""
    return box.currentData()


def set_choice(box: QtWidgets.QComboBox, code: str) -> None:
    """Select the item of a config combo whose code is ``code``."""
    box.setCurrentIndex(box.findData(code))


class ControlPanel(QtWidgets.QWidget):
    """All controls; see the module docstring for the flow of values."""

    command = QtCore.pyqtSignal(object)  # a worker command (worker.protocol), e.g. Apply("loss.name", "wgan")
    restart = QtCore.pyqtSignal(object, str)  # (Config, what changed): the window confirms, then restarts
    message = QtCore.pyqtSignal(str, bool)  # (text, is_error) for the status bar
    layers_changed = QtCore.pyqtSignal(object)  # set of 2D layer names
    view_changed = QtCore.pyqtSignal(str, float)  # (theme name, view scale)

    def __init__(self, cfg: Config, parent=None):
        super().__init__(parent)
        self.cfg = cfg
        self.playing = False
        self.combos: dict[str, QtWidgets.QComboBox] = {}
        self.fields: dict[str, QtWidgets.QLineEdit] = {}
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(self._run_box())
        outer.addWidget(self._experiment_box())
        outer.addWidget(self._training_box())
        outer.addWidget(self._model_box())
        outer.addWidget(self._view_box())
        outer.addStretch(1)
        self.sync(config.to_dict(cfg), playing=False)

    # -- building -------------------------------------------------------------------------------------------
    @staticmethod
    def _choice_box(name: str, items, tip: str) -> QtWidgets.QComboBox:
        """A combo box named ``name``; ``items`` are labels or (label, tooltip) pairs."""
        box = QtWidgets.QComboBox()
        box.setObjectName(name)
        for item in items:
            label, item_tip = (item, "") if isinstance(item, str) else item
            box.addItem(label)
            if item_tip:
                box.setItemData(box.count() - 1, item_tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        box.setToolTip(tip)
        return box

    def _combo(self, key: str, live: bool) -> QtWidgets.QComboBox:
        """The combo box of a config key with a fixed set of allowed values (CHOICES): each item shows a readable
        name with its code ("non-saturating GAN (ns)"), its description in the tooltip, and carries the code
        as its data (``choice``, ``set_choice``)."""
        box = self._choice_box(key, [(config.choice_label(key, code), f"{code}: {text}")
                                     for code, text in CHOICES[key].items()], config.help_for(key))
        for i, code in enumerate(CHOICES[key]):
            box.setItemData(i, code)
        if live:
            box.activated.connect(lambda _=0, k=key: self._combo_changed(k))
        self.combos[key] = box
        return box

    def _field(self, key: str, help_key: str | None = None) -> QtWidgets.QLineEdit:
        edit = QtWidgets.QLineEdit()
        edit.setObjectName(key)
        edit.setToolTip(config.help_for(help_key or key))
        edit.setMinimumWidth(70)
        self.fields[key] = edit
        return edit

    @staticmethod
    def _button(text: str, tip: str, slot) -> QtWidgets.QPushButton:
        b = QtWidgets.QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _run_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Run")
        g = QtWidgets.QGridLayout(box)
        self.play_button = self._button("Play", "play / pause (Space)", self.toggle_play)
        self.play_button.setObjectName("play")
        f = self.play_button.font()
        f.setBold(True)
        self.play_button.setFont(f)
        g.addWidget(self.play_button, 0, 0, 1, 2)
        g.addWidget(self._button("Step", "one full step: d_steps D updates, then g_steps G updates (→)",
                                 lambda: self.command.emit(Step(1))), 0, 2)
        g.addWidget(self._button("Step D", "one D update only (G frozen)",
                                 lambda: self.command.emit(Apply("step_d"))), 1, 0)
        g.addWidget(self._button("Step G", "one G update only (D frozen)",
                                 lambda: self.command.emit(Apply("step_g"))), 1, 1)
        g.addWidget(self._button("Reset", "re-initialise both nets from the seed; the step count goes on (R)",
                                 lambda: self.command.emit(Apply("reset"))), 1, 2)
        g.addWidget(QtWidgets.QLabel("Speed"), 2, 0)
        self.speed = self._choice_box("speed", [label for label, _, _ in SPEEDS],
                                      "steps between repaints; slow motion shows every single step")
        self.speed.activated.connect(self._speed_changed)
        g.addWidget(self.speed, 2, 1, 1, 2)
        g.addWidget(QtWidgets.QLabel("Seed"), 3, 0)
        seed = self._field("train.seed")
        seed.setToolTip("new seed for data and latent draws from now on (nets are kept); Enter applies")
        seed.editingFinished.connect(lambda: self._field_entered("train.seed"))
        g.addWidget(seed, 3, 1, 1, 2)
        return box

    def _experiment_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Experiment (changes restart the run)")
        g = QtWidgets.QGridLayout(box)
        g.addWidget(QtWidgets.QLabel("Preset"), 0, 0)
        # CUSTOM is shown when the run is not exactly a shipped preset
        self.preset = self._choice_box("preset", [CUSTOM, *list_presets()], "a shipped experiment")
        g.addWidget(self.preset, 0, 1)
        g.addWidget(self._button("Load", "restart with the selected preset", self._load_preset), 0, 2)
        # presets whose phenomenon comes late start from a shipped trained state (train.start); a class that
        # wants to see the whole run ticks this first
        self.scratch = QtWidgets.QCheckBox("from scratch (not the preset's trained starting state)")
        self.scratch.setObjectName("scratch")
        self.scratch.setToolTip("Load starts the preset from fresh random weights (train.start = '') instead of the "
                                "trained state it ships with, where it has one")
        g.addWidget(self.scratch, 3, 0, 1, 3)
        g.addWidget(QtWidgets.QLabel("Data"), 1, 0)
        data = self._combo("data.name", live=False)
        data.activated.connect(lambda _=0: self._data_changed())
        g.addWidget(data, 1, 1)
        g.addWidget(self._button("File…", "load your own N×1 or N×2 points from a .csv or .npy file",
                                 self._choose_file), 1, 2)
        g.addWidget(QtWidgets.QLabel("Device"), 2, 0)
        dev = self._combo("train.device", live=False)
        dev.activated.connect(lambda _=0: self._restart_with({"train.device": choice(dev)}, "device"))
        g.addWidget(dev, 2, 1, 1, 2)
        g.addWidget(QtWidgets.QLabel("Seeds"), 4, 0)  # a seed ensemble: N runs at once (the Seeds tab)
        self.seeds = QtWidgets.QSpinBox()
        self.seeds.setObjectName("train.seeds")
        self.seeds.setRange(1, SEEDS_MAX)
        self.seeds.setKeyboardTracking(False)  # typing "32" is one restart, not two
        self.seeds.setToolTip(config.help_for("train.seeds") + f"; the window draws up to {SEEDS_MAX}")
        self.seeds.valueChanged.connect(lambda n: self._restart_with({"train.seeds": n}, f"{n} seed(s)"))
        g.addWidget(self.seeds, 4, 1, 1, 2)
        return box

    def _training_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Training (applies at the next step)")
        g = QtWidgets.QGridLayout(box)
        g.addWidget(QtWidgets.QLabel("Loss"), 0, 0)
        g.addWidget(self._combo("loss.name", live=True), 0, 1, 1, 3)
        self.param_labels: dict[str, QtWidgets.QLabel] = {"loss.param": QtWidgets.QLabel("–")}
        g.addWidget(self.param_labels["loss.param"], 1, 0)  # β of the vae, hidden for the other losses
        g.addWidget(self._field("loss.param", "loss.beta"), 1, 1, 1, 3)
        for r, (label, field, help_key) in enumerate((("Lipschitz", "lipschitz.param", "lipschitz.weight"),
                                                      ("Remedy", "remedy.param", "remedy.name"))):
            g.addWidget(QtWidgets.QLabel(label), 2 + 2 * r, 0)
            g.addWidget(self._combo(PARAM_FIELDS[field][0], live=True), 2 + 2 * r, 1, 1, 3)
            self.param_labels[field] = QtWidgets.QLabel("–")
            g.addWidget(self.param_labels[field], 3 + 2 * r, 0)
            g.addWidget(self._field(field, help_key), 3 + 2 * r, 1, 1, 3)
        g.addWidget(QtWidgets.QLabel("Optimizer"), 6, 0)
        g.addWidget(self._combo("optim.name", live=True), 6, 1, 1, 3)
        pairs = [("lr D", "optim.lr_d", "lr G", "optim.lr_g"), ("D steps", "train.d_steps", "G steps", "train.g_steps")]
        for r, (la, ka, lb, kb) in enumerate(pairs, start=7):
            g.addWidget(QtWidgets.QLabel(la), r, 0)
            g.addWidget(self._field(ka), r, 1)
            g.addWidget(QtWidgets.QLabel(lb), r, 2)
            g.addWidget(self._field(kb), r, 3)
        g.addWidget(QtWidgets.QLabel("Batch"), 9, 0)
        g.addWidget(self._field("train.batch_size"), 9, 1, 1, 3)
        for key in LIVE_FIELDS:  # Enter or leaving the field applies (Qt emits it once per change)
            self.fields[key].editingFinished.connect(lambda k=key: self._field_entered(k))
        return box

    def _model_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Model shape (restarts the run)")
        g = QtWidgets.QGridLayout(box)
        g.addWidget(QtWidgets.QLabel("Width"), 0, 0)
        g.addWidget(self._field("model.hidden"), 0, 1)
        g.addWidget(QtWidgets.QLabel("Depth"), 0, 2)
        g.addWidget(self._field("model.depth"), 0, 3)
        g.addWidget(QtWidgets.QLabel("Latent dim"), 1, 0)
        g.addWidget(self._field("model.latent_dim"), 1, 1)
        g.addWidget(self._combo("model.latent", live=False), 1, 2, 1, 2)
        g.addWidget(QtWidgets.QLabel("Mapping"), 2, 0)  # z → w layers before G (the Latent tab draws z or w)
        g.addWidget(self._field("model.mapping"), 2, 1)
        g.addWidget(self._button("Restart with this model…", "rebuild G and D with these sizes (asks first)",
                                 self._model_restart), 3, 0, 1, 4)
        return box

    def _view_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("View")
        g = QtWidgets.QGridLayout(box)
        g.addWidget(QtWidgets.QLabel("Theme"), 0, 0)
        self.theme = self._choice_box("theme", list(th.THEMES),
                                      "light reads best on a projector; colours are colour-blind safe (Okabe–Ito)")
        g.addWidget(self.theme, 0, 1)
        g.addWidget(QtWidgets.QLabel("Scale"), 1, 0)
        self.scale = self._choice_box("scale", [label for label, _ in SCALES],
                                      "fonts, markers and line widths, for projection")
        g.addWidget(self.scale, 1, 1)
        self.theme.activated.connect(lambda _=0: self._view_changed())
        self.scale.activated.connect(lambda _=0: self._view_changed())
        self.layer_boxes: dict[str, QtWidgets.QCheckBox] = {}
        for i, (key, label) in enumerate(LAYERS.items()):
            cb = QtWidgets.QCheckBox(label)
            cb.setObjectName(f"layer.{key}")
            cb.setChecked(key in DEFAULT_LAYERS)
            cb.toggled.connect(lambda _=False: self.layers_changed.emit(self.layers()))
            g.addWidget(cb, 2 + i // 2, i % 2)
            self.layer_boxes[key] = cb
        return box

    # -- model → UI -----------------------------------------------------------------------------------------
    def sync(self, cfg: dict | None, playing: bool, devices: list[str] | None = None) -> None:
        """Show the run's config and state; widgets whose value did not change are left alone (user edits)."""
        self.set_playing(playing)
        if devices and devices != getattr(self, "_devices", None):
            self._devices = list(devices)
            box = self.combos["train.device"]
            for i in range(box.count()):
                item = box.model().item(i)
                item.setEnabled(box.itemData(i) in devices)
        if not cfg or cfg == getattr(self, "_synced", None):
            return
        new = config.from_dict(cfg, "worker")
        self.cfg = new
        self._synced = cfg
        for key, box in self.combos.items():
            value = config.get(new, key)
            if choice(box) != value:
                box.blockSignals(True)
                set_choice(box, value)
                box.blockSignals(False)
        for key in ("optim.lr_d", "optim.lr_g", "train.d_steps", "train.g_steps", "train.batch_size",
                    "train.seed") + MODEL_FIELDS:
            self._reset_field(key)
        for field in PARAM_FIELDS:
            self._update_param(field)
        if self.seeds.value() != new.train.seeds:
            self.seeds.blockSignals(True)
            self.seeds.setValue(new.train.seeds)
            self.seeds.blockSignals(False)
        self._select_preset(new)

    def _select_preset(self, cfg: Config) -> None:
        """Show the preset this run came from, if its config is exactly a shipped preset's."""
        if not hasattr(self, "_preset_cfgs"):
            self._preset_cfgs = {}
            for i in range(1, self.preset.count()):
                try:
                    self._preset_cfgs[self.preset.itemText(i)] = load_preset(self.preset.itemText(i))
                except (ConfigError, OSError):
                    pass
        for key in DISPLAY_KEYS:  # what the views draw (the class picker) is not part of the experiment
            cfg = config.with_value(cfg, key, config.get(Config(), key))
        for name, preset_cfg in self._preset_cfgs.items():
            from_scratch = config.with_value(preset_cfg, "train.start", "")
            if cfg in (preset_cfg, from_scratch):
                self.preset.setCurrentText(name)
                return
        self.preset.setCurrentIndex(0)

    def _reset_field(self, key: str) -> None:
        """Put the run's current value back into a field and clear any error mark."""
        edit = self.fields[key]
        real_key = self._param_key(key) if key in PARAM_FIELDS else key
        edit.setText("" if real_key is None else _fmt(config.get(self.cfg, real_key)))
        edit.setStyleSheet("")
        edit.setProperty("refused", False)

    def _param_entry(self, field: str) -> tuple[str, str] | None:
        """(config key, label) of a parameter field (``PARAM_FIELDS``) for the current choice, or None."""
        choice_key, entries = PARAM_FIELDS[field]
        return entries.get(config.get(self.cfg, choice_key))

    def _param_key(self, field: str) -> str | None:
        entry = self._param_entry(field)
        return entry[0] if entry else None

    def _update_param(self, field: str) -> None:
        entry = self._param_entry(field)
        edit = self.fields[field]
        edit.setEnabled(entry is not None)
        self.param_labels[field].setText(entry[1] if entry else "–")
        if field in HIDDEN_WITHOUT_PARAM:
            edit.setVisible(entry is not None)
            self.param_labels[field].setVisible(entry is not None)
        name = config.get(self.cfg, PARAM_FIELDS[field][0])
        edit.setToolTip(config.help_for(entry[0]) if entry else f"{name} has no live parameter")
        self._reset_field(field)

    def set_playing(self, playing: bool) -> None:
        """Show Play or Pause (the button is only touched when that changes: every packet calls this)."""
        self.playing = playing
        if self.play_button.text() == ("Pause" if playing else "Play"):
            return
        self.play_button.setText("Pause" if playing else "Play")
        pix = QtWidgets.QStyle.StandardPixmap
        self.play_button.setIcon(self.style().standardIcon(pix.SP_MediaPause if playing else pix.SP_MediaPlay))

    # -- UI → commands --------------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        """Play or pause (Space)."""
        self.set_playing(not self.playing)
        self.command.emit(Play() if self.playing else Pause())

    def layers(self) -> set[str]:
        return {k for k, cb in self.layer_boxes.items() if cb.isChecked()}

    def _speed_changed(self, index: int) -> None:
        _, n, fps = SPEEDS[index]
        self.command.emit(Speed(n, fps))

    def _view_changed(self) -> None:
        self.view_changed.emit(self.theme.currentText(), SCALES[self.scale.currentIndex()][1])

    def _combo_changed(self, key: str) -> None:
        value = choice(self.combos[key])
        if value != config.get(self.cfg, key):
            self.command.emit(Apply(key, value))

    def refuse(self, key: str, err: ConfigError | str) -> None:
        """Show why a value was refused and put the run's value back."""
        text = str(err)
        self.message.emit(f"refused: {text}", True)
        if key in self.fields:
            self._reset_field(key)
            edit = self.fields[key]
            edit.setStyleSheet("border: 2px solid #C0392B;")
            edit.setProperty("refused", True)
            edit.setToolTip(text)
            timer = QtCore.QTimer(edit)  # owned by the field: never fires after the field is gone
            timer.setSingleShot(True)
            timer.timeout.connect(lambda: edit.setStyleSheet(""))
            timer.timeout.connect(timer.deleteLater)
            timer.start(2500)

    def parse(self, key: str, text: str):
        """Parse a field's text as ``key`` would (ConfigError on a bad value)."""
        return config.parse_value(key, text.strip())

    def _field_entered(self, key: str) -> None:
        real_key = self._param_key(key) if key in PARAM_FIELDS else key
        if real_key is None:
            return
        text = self.fields[key].text()
        try:
            value = self.parse(real_key, text)
        except ConfigError as err:
            self.refuse(key, err)
            return
        self.fields[key].setStyleSheet("")
        if key == "train.seed":
            if value != self.cfg.train.seed:
                self.command.emit(Apply("reseed", value))
            return
        if value != config.get(self.cfg, real_key):
            self.command.emit(Apply(real_key, value))

    def _restart_with(self, changes: dict, what: str) -> None:
        try:
            cfg = self.cfg
            for key, value in changes.items():
                cfg = config.with_value(cfg, key, value)
        except ConfigError as err:
            self.refuse(next(iter(changes)), err)
            self.sync(config.to_dict(self.cfg), self.playing)
            return
        if cfg == self.cfg:
            return
        self.restart.emit(cfg, what)
        self._synced = None
        self.sync(config.to_dict(self.cfg), self.playing)  # shows the old values until the worker confirms

    def _data_changed(self) -> None:
        name = choice(self.combos["data.name"])
        if name == "file":
            self._choose_file()
            return
        if config.is_image_data(name) and name in ("mnist", "fashion-mnist", "folder"):
            path = QtWidgets.QFileDialog.getExistingDirectory(self, f"Folder for {name}")
            if not path:
                self.sync(config.to_dict(self.cfg), self.playing)
                return
            self._restart_with({"data.name": name, "data.path": path}, f"data set {name}")
            return
        self._restart_on_data({"data.name": name}, f"data set {name}")

    def _restart_on_data(self, changes: dict, what: str) -> None:
        """Restart on new data, with the latent size that suits it (``latent_for``), saying so when it changes."""
        latent = self.latent_for(point_dim(changes["data.name"], changes.get("data.path", "")))
        if latent is not None:
            changes = {**changes, "model.latent_dim": latent[0]}
            what += f", with latent_dim = {latent[0]} ({latent[1]})"
        self._restart_with(changes, what)

    def latent_for(self, dim: int | None) -> tuple[int, str] | None:
        """The model.latent_dim to restart with on data of dimension ``dim``, and why (None: keep the run's).

        A Latent dim the person typed under Model shape (and did not apply yet) is theirs. Otherwise 1D data gets
        latent_dim = 1 (the z → x view draws nothing else) unless the run already is on 1D data (a latent size
        chosen there stays); leaving 1D data with latent_dim = 1 for 2D data goes back to the default 2.
        """
        current = self.cfg.model.latent_dim
        try:
            typed = self.parse("model.latent_dim", self.fields["model.latent_dim"].text())
        except ConfigError:
            typed = current
        if typed != current:
            return typed, "as typed under Model shape"
        was = point_dim(self.cfg.data.name, self.cfg.data.path)
        if dim == 1 and was != 1 and current != 1:
            return 1, "the z → x picture needs a 1-dimensional z; Model shape sets another"
        default = config.Config().model.latent_dim
        if dim == 2 and was == 1 and current == 1 and default != 1:
            return default, "the default for 2D data, which draws the warped latent grid"
        return None

    def _choose_file(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Points to learn (N×1 or N×2)", "",
                                                        "Points (*.csv *.npy);;All files (*)")
        if path:
            self.load_data_file(path)
        else:
            self.sync(config.to_dict(self.cfg), self.playing)

    def load_data_file(self, path: str) -> None:
        """Restart on a user's .csv / .npy points (the worker reports a bad file)."""
        if not path.lower().endswith((".csv", ".npy")):
            self.refuse("data.name", f"data.path: '{path}' is not a .csv or .npy file")
            return
        self._restart_on_data({"data.name": "file", "data.path": path}, f"data file {path}")

    def _load_preset(self) -> None:
        name = self.preset.currentText()
        if name == CUSTOM:
            self.message.emit("choose a preset in the list first", True)
            return
        try:
            cfg = load_preset(name)
        except (ConfigError, OSError) as err:
            self.refuse("preset", err)
            return
        if self.scratch.isChecked() and cfg.train.start:
            cfg = config.with_value(cfg, "train.start", "")
            self.restart.emit(cfg, f"preset {name}, from scratch")
            return
        self.restart.emit(cfg, f"preset {name}")

    def _model_restart(self) -> None:
        changes = {}
        for key in MODEL_FIELDS:
            try:
                changes[key] = self.parse(key, self.fields[key].text())
            except ConfigError as err:
                self.refuse(key, err)
                return
        changes["model.latent"] = choice(self.combos["model.latent"])
        self._restart_with(changes, "model shape")


def shortcut(parent: QtWidgets.QWidget, key, slot) -> QtGui.QShortcut:
    """A window-wide keyboard shortcut."""
    s = QtGui.QShortcut(QtGui.QKeySequence(key), parent)
    s.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    s.activated.connect(slot)
    return s
