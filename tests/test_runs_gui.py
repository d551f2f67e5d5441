"""Runs from the window (pytest-qt, offscreen): the worker records every run as it goes; Save run writes a
folder that `gan-studio run` reproduces byte for byte; Open run restores the weights exactly, the step and
the curves; a folder that is not a run (or whose weights do not fit) is a message and the run goes on;
Export picture writes a non-blank PNG; `gan-studio gui --run` checks its folder first.

The tests call ``save_run`` / ``open_run`` / ``export_picture``, what the File menu calls after its dialog.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PyQt6 import QtGui

from gan_studio import cli, config
from gan_studio.runs import RunWriter, read_metrics
from gan_studio.testing.synthetic import SyntheticTrainer as SYNTH  # noqa: N814
from gan_studio.worker.protocol import Apply, Quit, Step


def message(w) -> str:
    return w.status_message.text()


def wait_message(qtbot, w, text: str, timeout: int = 30000) -> str:
    qtbot.waitUntil(lambda: text in message(w), timeout=timeout)
    return message(w)


def small_config() -> config.Config:
    cfg = config.Config()
    for key, value in (("model.hidden", 16), ("model.depth", 2), ("train.batch_size", 32),
                       ("metrics.every", 10**6), ("metrics.ot_every", 10**6), ("metrics.n_samples", 500),
                       ("metrics.ot_samples", 200)):
        cfg = config.with_value(cfg, key, value)
    return cfg


def weights(folder) -> dict[str, np.ndarray]:
    with np.load(folder / "weights.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def test_save_reproduces_and_open_restores_with_the_real_engine(make_window, qtbot, tmp_path):
    pytest.importorskip("torch")
    w = make_window(small_config(), trainer=None)
    for cmd in (Step(20), Apply("loss.name", "hinge"), Apply("step_d"), Step(19)):
        w.send(cmd)
    qtbot.waitUntil(lambda: w.step == 40, timeout=30000)

    # recorded as it goes: every row so far is on disk already (issue #17: none is held back)
    _, recorded = read_metrics(f"{w.recording}/metrics.csv")
    assert [r["step"] for r in recorded] == [10, 20, 30, 40]

    a = tmp_path / "a"
    w.save_run(str(a))
    text = wait_message(qtbot, w, "saved run to")
    assert f"--config {a}/config.toml --events {a}/events.jsonl --steps 40 --out DIR" in text
    assert sorted(p.name for p in a.iterdir()) == ["config.toml", "events.jsonl", "metrics.csv", "samples.npy",
                                                   "weights.npz"]
    header, rows = read_metrics(a / "metrics.csv")
    assert [r["step"] for r in rows] == [10, 20, 30, 40]
    assert rows[-1]["w1"] is not None and rows[-1]["loss_d"] is not None  # the final row: every metric, and losses
    assert np.load(a / "samples.npy", allow_pickle=False).shape == (2500, 2)

    # the saved folder reproduces on the command line, byte for byte (the final row included)
    c = tmp_path / "c"
    assert cli.main(["run", "--config", str(a / "config.toml"), "--events", str(a / "events.jsonl"),
                     "--steps", "40", "--out", str(c), "--quiet"]) == 0
    assert (c / "metrics.csv").read_bytes() == (a / "metrics.csv").read_bytes()
    assert all(np.array_equal(weights(c)[k], v) for k, v in weights(a).items())

    # open: the weights exactly, the step counter, and the past in the time series
    w.send(Step(10))
    qtbot.waitUntil(lambda: w.step == 50, timeout=10000)
    generation = w.generation
    assert w.open_run(str(a))
    wait_message(qtbot, w, "opened the run")
    qtbot.waitUntil(lambda: w.generation == generation + 1 and w.step == 40, timeout=10000)
    assert "optimizer state starts fresh" in message(w)
    assert list(w.history.get("loss_d").x) == [10, 20, 30, 40]
    assert [(e["step"], e["what"]) for e in w.history.events] == [(20, "loss.name"), (20, "step_d")]
    assert w.cfg.loss.name == "hinge"  # the settings the run had when saved, not its start config's
    b = tmp_path / "b"
    w.save_run(str(b))
    wait_message(qtbot, w, f"saved run to {b}")
    saved, reopened = weights(a), weights(b)
    assert saved.keys() == reopened.keys()
    assert all(np.array_equal(saved[k], reopened[k]) for k in saved)
    assert (b / "metrics.csv").read_bytes() == (a / "metrics.csv").read_bytes()

    # folders that are not runs, or do not fit: a message naming the file, and the run goes on
    generation = w.generation
    (tmp_path / "empty").mkdir()
    assert not w.open_run(str(tmp_path / "empty"))
    assert "config.toml" in message(w) and "is not a run folder" in message(w)
    corrupt = tmp_path / "corrupt"
    shutil.copytree(a, corrupt)
    (corrupt / "weights.npz").write_bytes(b"not an npz")
    assert not w.open_run(str(corrupt))  # issue #17: the folder check reads the weights before the worker does
    assert "weights.npz" in message(w) and "could not open" in message(w)
    wider = tmp_path / "wider"
    shutil.copytree(a, wider)
    text = (wider / "config.toml").read_text().replace("hidden = 16", "hidden = 32")
    (wider / "config.toml").write_text(text)
    assert w.open_run(str(wider))
    text = wait_message(qtbot, w, "do not fit")
    assert "weights.npz" in text and "(16, 2)" in text and "(32, 2)" in text
    (tmp_path / "a-file").write_text("x")
    w.save_run(str(tmp_path / "a-file" / "run"))
    wait_message(qtbot, w, "could not save the run")
    w.send(Step(2))
    qtbot.waitUntil(lambda: w.step == 42, timeout=10000)
    assert w.generation == generation and not w.error


def test_file_menu_export_and_the_synthetic_trainer(make_window, qtbot, tmp_path):
    w = make_window(trainer=SYNTH)
    actions = {a.text(): a.shortcut().toString() for a in w.file_menu.actions() if a.text()}
    assert actions == {"&Save run…": "Ctrl+S", "&Open run…": "Ctrl+O", "Open s&weep…": "Ctrl+Shift+O",
                       "Compare &with run…": "Ctrl+Shift+B", "Compare &live: A/B…": "Ctrl+Shift+A",
                       "Stop &comparing": "",
                       "&Export picture…": "Ctrl+E", "Export &video…": "Ctrl+Shift+E",
                       "Open &lesson…": "Ctrl+L", "&Copy as command": "Ctrl+Shift+C", "&Quit": "Ctrl+Q"}
    w.send(Step(30))
    qtbot.waitUntil(lambda: w.step == 30 and not w.dirty, timeout=10000)
    assert w.export_picture(str(tmp_path / "shot"))  # .png is added
    img = QtGui.QImage(str(tmp_path / "shot.png"))
    assert (img.width(), img.height()) == (w.width(), w.height())
    arr = np.frombuffer(img.convertToFormat(QtGui.QImage.Format.Format_RGB32).constBits().asstring(
        img.sizeInBytes()), dtype=np.uint8)
    assert arr.std() > 20 and len(np.unique(arr[::97])) > 20
    assert not w.export_picture(str(tmp_path / "missing" / "shot.png"))
    assert "could not write the picture" in message(w)

    # the cartoon trainer saves and opens like the engine (the window's other tests rely on it)
    w.save_run(str(tmp_path / "s"))
    wait_message(qtbot, w, "saved run to")
    w.send(Step(5))
    assert w.open_run(str(tmp_path / "s"))
    wait_message(qtbot, w, "opened the run")
    qtbot.waitUntil(lambda: w.step == 30 and w.history.last_step == 30, timeout=5000)


def test_gui_run_checks_the_folder_before_opening_the_window(tmp_path, monkeypatch, capsys):
    from gan_studio.gui import app
    from gan_studio.testing.synthetic import SyntheticTrainer

    opened = []
    monkeypatch.setattr(app, "main", lambda cfg, run=None: opened.append((cfg, run)) or 0)
    cfg = config.with_value(config.Config(), "loss.name", "wgan")
    t = SyntheticTrainer(cfg)
    writer = RunWriter(tmp_path / "r", cfg, t.columns())
    writer.row(t.metrics_row())
    writer.weights(t.weights())
    writer.close()
    assert cli.main(["gui", "--run", str(tmp_path / "r")]) == 0
    assert opened == [(cfg, str(tmp_path / "r"))]
    assert cli.main(["gui", "--run", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--run" in err and "not a run folder: config.toml, metrics.csv and weights.npz are missing" in err
    assert cli.main(["gui", "--run", str(tmp_path / "r"), "--set", "loss.name=ns"]) == 2
    assert "cannot be combined with --set" in capsys.readouterr().err
    assert not opened[1:]


def test_old_recordings_are_pruned_but_recent_runs_and_other_folders_stay(tmp_path):
    import os
    import time

    from gan_studio.runs import prune_recordings

    now = time.time()

    def folder(name: str, age_s: float, run: bool = True):
        f = tmp_path / name
        f.mkdir()
        for file in (["config.toml", "metrics.csv"] if run else ["notes.txt"]):
            (f / file).write_text("x")
            os.utime(f / file, (now - age_s, now - age_s))
        return f

    day = 24 * 3600
    old = [folder(f"old-{i:02d}", 2 * day + i * 60) for i in range(6)]  # old-00 is the newest of them
    recent = [folder(f"recent-{i}", 3600 + i) for i in range(3)]
    other = folder("not-a-run", 9 * day, run=False)
    deleted = prune_recordings(tmp_path, keep=4, recent_s=day)
    # newest first: recent-0..2, old-00 are kept by count; old-01..05 are beyond it and older than a day
    assert sorted(p.name for p in deleted) == [f"old-{i:02d}" for i in range(1, 6)]
    assert all(f.exists() for f in recent + [old[0], other])
    assert prune_recordings(tmp_path, keep=1, recent_s=day) == [old[0]]  # recent-1 and -2: written today
    assert prune_recordings(tmp_path / "missing") == []


def test_gui_run_opens_the_folder_without_building_a_run_first(tmp_path):
    """`gan-studio gui --run DIR`: the worker continues DIR at once; no throwaway run is built or recorded."""
    import queue
    import threading

    from gan_studio.worker.session import Session

    pytest.importorskip("torch")
    saved = tmp_path / "saved"
    args = ["run", "--steps", "20", "--out", str(saved)]
    for key, value in (("model.hidden", 16), ("model.depth", 2), ("train.batch_size", 32),
                       ("metrics.n_samples", 500), ("metrics.ot_samples", 200)):
        args += ["--set", f"{key}={value}"]
    assert cli.main(args) == 0
    built = []

    def trainer(cfg):
        from gan_studio.engine import Trainer

        built.append(cfg)
        return Trainer(cfg)

    def first_packet(folder: str, record_dir):
        commands, packets = queue.Queue(), queue.Queue()
        session = Session(commands, packets, small_config(), trainer_factory=trainer, freeze=False,
                          record_dir=record_dir, open_first=folder)
        thread = threading.Thread(target=session.run, daemon=True)
        thread.start()
        first = packets.get(timeout=60)
        commands.put(Quit())
        thread.join(10)
        return first

    first = first_packet(str(saved), tmp_path / "recordings")
    assert (first.opened, first.step, len(built)) == (str(saved), 20, 1)
    assert len(list((tmp_path / "recordings").iterdir())) == 1
    assert built[0].metrics.every == config.Config().metrics.every  # the folder's config, not small_config()
    # a folder that does not open: a message, and the run starts from the config given
    built.clear()
    first = first_packet(str(tmp_path / "nowhere"), tmp_path / "recordings2")
    assert (first.opened, first.step, len(built)) == ("", 0, 1)
    assert "starting from its config" in first.messages[0]
