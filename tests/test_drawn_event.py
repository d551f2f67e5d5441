"""A drawing is an event (issue 14): points drawn with the brush (or dropped, or pasted) become the data set of a run
on a points file at once, as a live ``data.path`` change: the trainer samples the new points from the next step on,
measurement compares with them, the event ``{step, what: "data.path", old, new}`` names the run folder's copy of
the file (``data-<step>.npy``), and ``gan-studio run --config F/config.toml --events F/events.jsonl`` replays the
run byte for byte, the folder moved and the drawing's file gone. Anything else is one ConfigError line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gan_studio import config as C
from gan_studio import runs
from gan_studio.config import ConfigError
from gan_studio.gui.brush import DrawnPoints, save_points
from gan_studio.schedule import check_data_change, parse_change

torch = pytest.importorskip("torch")

from gan_studio.engine import Trainer  # noqa: E402
from gan_studio.runner import Runner  # noqa: E402

SMALL = {"train.batch_size": 16, "model.hidden": 16, "model.depth": 2, "metrics.every": 1, "metrics.ot_every": 100,
         "metrics.n_samples": 200, "metrics.ot_samples": 32, "metrics.grid": 16, "train.log_every": 1,
         "train.device": "cpu"}


def _config(path: Path | None = None, data: str = "file") -> C.Config:
    cfg = C.Config()
    settings = {"data.name": data, **({"data.path": str(path)} if path is not None else {}), **SMALL}
    for key, value in settings.items():
        cfg = C.with_value(cfg, key, value)
    return cfg


def _start_points(tmp_path: Path, dim: int = 2) -> Path:
    path = tmp_path / f"start{dim}d.npy"
    np.save(path, np.random.default_rng(0).normal(size=(40, dim)))
    return path


def _drawing(dim: int = 2) -> DrawnPoints:
    """Two strokes of the brush's drawing: a tight blob at (3, 3) and a wider one at (-3, 1)."""
    drawing = DrawnPoints(dim, seed=5)
    drawing.begin_stroke()
    drawing.dab((3.0, 3.0), size=30, spread=0.05)
    drawing.begin_stroke()
    drawing.dab((-3.0, 1.0), size=20, spread=0.2)
    return drawing


def _rows_of(points: np.ndarray) -> set:
    return {tuple(np.float32(v) for v in row) for row in points}


def _run(tmp_path: Path, kept: dict | None = None) -> tuple[Runner, runs.RunWriter, DrawnPoints, Path]:
    """A recorded run on a points file, 3 steps, then the drawing applied live (as the window's worker applies a
    command: ``Runner.apply``, its event into the run folder). ``kept``: filled with the weights and optimizers of
    just before the change."""
    cfg = _config(_start_points(tmp_path))
    trainer = Trainer(cfg)
    writer = runs.RunWriter(tmp_path / "rec", cfg, trainer.columns())
    runner = Runner(trainer, recorder=writer)
    runner.run(3)
    drawing = _drawing()
    drawn = save_points(drawing.points, tmp_path / "drawn")
    if kept is not None:
        kept.update(weights=trainer.weights(), optimizers=(trainer.opt_g, trainer.opt_d))
    runner.apply("data.path", str(drawn))
    return runner, writer, drawing, drawn


def test_a_drawing_applied_live_is_the_data_set_and_an_event_naming_the_folders_copy(tmp_path):
    kept: dict = {}
    runner, writer, drawing, drawn = _run(tmp_path, kept)
    trainer = runner.trainer
    # (a) the data set is the drawing; training batches and measurement samples come from its points only
    assert np.array_equal(trainer.dataset.points, drawing.points) and len(drawing) == 50
    drawn_rows = _rows_of(drawing.points)
    assert _rows_of(trainer.real(64).numpy()) <= drawn_rows
    real, real2 = trainer.measurer.data_samples(SMALL["metrics.n_samples"])
    assert _rows_of(real) <= drawn_rows and _rows_of(real2) <= drawn_rows
    assert _rows_of(trainer.frame(probe=False).real) <= drawn_rows  # the views' real points
    # nets and optimizers kept (Adam's moments with them); the step count goes on
    weights = trainer.weights()
    assert all(np.array_equal(weights[k], v) for k, v in kept["weights"].items()) and weights.keys() == \
        kept["weights"].keys()
    assert (trainer.opt_g, trainer.opt_d) == kept["optimizers"] and trainer.step_count == 3
    runner.run(5)
    writer.close()
    # (b) the event names the copies by name; the copy holds the drawing's bytes
    events = [json.loads(line) for line in (tmp_path / "rec" / "events.jsonl").read_text().splitlines()]
    assert events == [{"step": 3, "what": "data.path", "old": "data.npy", "new": "data-3.npy"}]
    assert (tmp_path / "rec" / "data-3.npy").read_bytes() == drawn.read_bytes()
    # the measurement after the change compares with the new data: the noise floor of JS moved
    _, rows = runs.read_metrics(tmp_path / "rec" / "metrics.csv")
    floors = [row["js_floor"] for row in rows]
    assert floors[0] == floors[2] and floors[3] != floors[2]
    # read back, the event names the folder's copies as paths (what a replay applies)
    assert runs.read_events(tmp_path / "rec" / "events.jsonl")[0]["new"] == str(tmp_path / "rec" / "data-3.npy")


def test_a_saved_run_with_a_live_drawing_replays_byte_for_byte_from_a_moved_folder(tmp_path):
    from gan_studio.cli import main

    runner, writer, drawing, drawn = _run(tmp_path)
    runner.run(5)
    writer.save_to(tmp_path / "saved", *runner.final_state())  # File > Save run…'s path (worker.recording)
    writer.close()
    assert (tmp_path / "saved" / "data-3.npy").read_bytes() == drawn.read_bytes()
    shutil.move(tmp_path / "saved", tmp_path / "moved")
    drawn.unlink()  # the drawing's own file is gone: the folder's copy is what replays
    moved = tmp_path / "moved"
    assert main(["run", "--config", str(moved / "config.toml"), "--events", str(moved / "events.jsonl"),
                 "--steps", "5", "--out", str(tmp_path / "replay"), "--quiet"]) == 0
    for name in ("metrics.csv", "events.jsonl", "data-3.npy", "samples.npy"):
        assert (tmp_path / "replay" / name).read_bytes() == (moved / name).read_bytes(), name
    # without its events the same config trains on the start points throughout: other rows after step 3
    assert main(["run", "--config", str(moved / "config.toml"), "--steps", "5", "--out", str(tmp_path / "plain"),
                 "--quiet"]) == 0
    plain = (tmp_path / "plain" / "metrics.csv").read_bytes().splitlines()
    replayed = (moved / "metrics.csv").read_bytes().splitlines()
    assert plain[:4] == replayed[:4] and plain[4:] != replayed[4:]  # header + steps 1-3 equal; 4-5 differ


def test_gan_studio_run_records_a_scheduled_data_change_and_its_folder_replays(tmp_path):
    """Headless recording: ``--at 2 data.path=FILE`` (what a replayed event is) keeps FILE as data-2.npy."""
    from gan_studio.cli import main

    (tmp_path / "c.toml").write_text(C.dumps(_config(_start_points(tmp_path))))
    drawn = save_points(_drawing().points, tmp_path / "drawn")
    assert main(["run", "--config", str(tmp_path / "c.toml"), "--at", "2", f"data.path={drawn}", "--steps", "4",
                 "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert runs.read_events(tmp_path / "a" / "events.jsonl") == [
        {"step": 2, "what": "data.path", "old": str(tmp_path / "a" / "data.npy"),
         "new": str(tmp_path / "a" / "data-2.npy")}]
    shutil.move(tmp_path / "a", tmp_path / "moved")
    drawn.unlink()
    moved = tmp_path / "moved"
    assert main(["run", "--config", str(moved / "config.toml"), "--events", str(moved / "events.jsonl"),
                 "--steps", "4", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert (tmp_path / "b" / "metrics.csv").read_bytes() == (moved / "metrics.csv").read_bytes()


def test_a_rewind_to_before_a_data_change_trains_on_the_data_of_then(tmp_path):
    cfg = _config(_start_points(tmp_path))
    trainer = Trainer(cfg)
    Runner(trainer).run(2)
    before = trainer.state()
    start = trainer.dataset.points
    drawn = save_points(_drawing().points, tmp_path / "drawn")
    trainer.apply("data.path", str(drawn))
    row_after = trainer.step()  # measures on the drawing
    trainer.restore(before)
    assert np.array_equal(trainer.dataset.points, start) and trainer.cfg.data.path == cfg.data.path
    again = Trainer(cfg)  # the run that never changed its data: the restored one steps as it does
    Runner(again).run(2)
    assert trainer.step() == again.step() != row_after


def test_data_changes_that_cannot_be_live_are_one_line_and_change_nothing(tmp_path):
    drawn2 = save_points(_drawing(2).points, tmp_path / "drawn")
    drawn1 = save_points(_drawing(1).points, tmp_path / "drawn")
    toy = Trainer(_config(data="ring8"))
    on_file = Trainer(_config(_start_points(tmp_path)))
    cases = (
        (toy, drawn2, r"^data\.path: changes live only in a run on a points file \(data\.name = file\); this run is "
                      r"on data\.name ring8: restart on the file instead$"),
        (on_file, drawn1, r"^data\.path: the file holds 1D points and the run is on 2D points; a live change takes a "
                          r"file of 2D points: restart on the file instead$"),
        (on_file, tmp_path / "gone.npy", r"^data file '.*gone\.npy' not found$"),
        (on_file, tmp_path / "notes.txt", r"^data file '.*notes\.txt': unsupported extension '\.txt'; allowed: "),
    )
    for trainer, path, message in cases:
        cfg, dataset, events = trainer.cfg, trainer.dataset, list(trainer.events)
        with pytest.raises(ConfigError, match=message) as caught:
            trainer.apply("data.path", str(path))
        assert "\n" not in str(caught.value)
        assert (trainer.cfg, trainer.dataset, trainer.events) == (cfg, dataset, events)
    # the same check the window makes before it sends the change (else it restarts): a seed ensemble, a fixed G
    file_cfg = _config(Path("x.npy"))
    with pytest.raises(ConfigError, match=r"^data\.path: changes live only in a single run, not a seed ensemble"):
        check_data_change(C.with_value(file_cfg, "train.seeds", 3), 2, 2)
    with pytest.raises(ConfigError, match=r"^data\.path: does not change live while model\.g_data_noise > 0"):
        check_data_change(C.with_value(file_cfg, "model.g_data_noise", 0.1), 2, 2)
    check_data_change(file_cfg, 2, 2)  # allowed: no error
    # the command line takes it as a live key (the file is read when the change runs)
    assert parse_change(5, "data.path=mine.npy") == (5, "data.path", "mine.npy")


def test_the_window_applies_a_drawing_live_on_points_and_reopens_it_into_the_brush(make_window, qtbot, tmp_path,
                                                                                   monkeypatch):
    """The stand-in worker (no torch): "Train on it" on a run on 1D points sends the live change, which comes back
    as an event (a marker) and is recorded with its copy; a saved folder reopened puts its points into the brush."""
    from gan_studio.gui.history import event_label
    from gan_studio.worker.protocol import Apply

    monkeypatch.setenv("GAN_STUDIO_RUNS", str(tmp_path / "runs"))  # where the window saves drawings
    w = make_window(_config(_start_points(tmp_path, 1)))
    assert w.drawing.dim == 1  # the bar follows the data view's dimension
    w.brush_bar.draw.setChecked(True)
    w.brushes[1].stroke([(x, 0.0) for x in np.linspace(2.0, 4.0, 9)])  # a drag along the 1D axis
    w.brushes[1].stroke([(-2.0, 0.0)])
    drawn = w.drawing.points.copy()
    assert drawn.shape == (10 * 8, 1)
    w.brush_bar.use.click()
    sent = w.sent[-1]
    assert isinstance(sent, Apply) and sent.what == "data.path"
    assert np.array_equal(np.load(sent.value), drawn)
    qtbot.waitUntil(lambda: any(e["what"] == "data.path" for e in w.history.events), timeout=10000)
    event = next(e for e in w.history.events if e["what"] == "data.path")
    assert event_label(event) == f"data: start1d.npy → {Path(sent.value).name}"
    step = event["step"]
    assert (Path(w.recording) / f"data-{step}.npy").read_bytes() == Path(sent.value).read_bytes()
    # File > Save run…, then File > Open run: the saved run's last points come back into the brush
    w.save_run(str(tmp_path / "saved"))
    qtbot.waitUntil(lambda: (tmp_path / "saved" / "weights.npz").exists(), timeout=10000)
    w.drawing.clear()
    assert w.open_run(str(tmp_path / "saved"))
    assert np.array_equal(w.drawing.points, drawn) and w.brush_bar.count.text() == "80 points"


def test_the_window_restarts_on_a_drawing_when_the_run_is_not_on_points(make_window, tmp_path, monkeypatch):
    """A run on toy data: "Train on it" restarts on the drawing (data.name = file), as before issue 14."""
    from gan_studio.worker.protocol import Restart

    monkeypatch.setenv("GAN_STUDIO_RUNS", str(tmp_path / "runs"))
    toy = make_window(_config(data="ring8"))
    toy.brush_bar.draw.setChecked(True)
    toy.brushes[0].stroke([(1.0, 1.0), (1.5, 1.0)])
    toy.brush_bar.use.click()
    restart = toy.sent[-1]
    assert isinstance(restart, Restart) and restart.config["data"]["name"] == "file"


def test_every_copy_of_a_run_folder_keeps_the_points_its_events_name(tmp_path):
    """The run folder's own bookkeeping, without training: a data.path event copies its file (another file at the
    same step gets its own name), a save and a resumed recording carry the copies, and nothing else counts as one."""
    start, first, second = (tmp_path / f"{name}.npy" for name in ("start", "first", "second"))
    for seed, path in enumerate((start, first, second)):
        np.save(path, np.random.default_rng(seed).normal(size=(10, 2)))
    writer = runs.RunWriter(tmp_path / "rec", _config(start), ["step"])
    writer.row({"step": 2})
    for path in (first, second):  # two drawings while paused at step 2
        writer.event({"step": 2, "what": "data.path", "old": "ignored", "new": str(path)})
    runs.write_checkpoint(writer.folder, 2, {"G/w": np.ones(2, np.float32)})
    writer.save_to(tmp_path / "saved", {"step": 2}, np.zeros((4, 2)), {"G/w": np.ones(2, np.float32)})
    writer.close()
    expected = [{"step": 2, "what": "data.path", "old": "data.npy", "new": "data-2.npy"},
                {"step": 2, "what": "data.path", "old": "data-2.npy", "new": "data-2-2.npy"}]
    resumed, step = runs.resume_folder(tmp_path / "rec")
    assert step == 2
    for folder in (tmp_path / "rec", tmp_path / "saved", resumed):
        lines = (folder / "events.jsonl").read_text().splitlines()
        assert [json.loads(line) for line in lines] == expected, folder
        assert (folder / "data-2.npy").read_bytes() == first.read_bytes()
        assert (folder / "data-2-2.npy").read_bytes() == second.read_bytes()
    assert [runs.is_data_copy(name) for name in ("data.npy", "data.csv", "data-12.npy", "data-12-3.csv",
                                                 "data-x.npy", "data-1.txt", "mydata.npy", "data-.npy")] == \
        [True, True, True, True, False, False, False, False]


@pytest.mark.parametrize("new", ["missing.npy", "one_d.npy"])
def test_a_scheduled_data_change_that_cannot_be_taken_is_refused_before_anything_is_written(tmp_path, capsys, new):
    """``gan-studio run --at 2 data.path=…`` to a missing file or points of another dimension: one line naming
    the change, exit 2, and no run folder (it used to be refused only when reached, after the folder was made)."""
    import numpy as np

    from gan_studio import cli

    np.save(tmp_path / "two_d.npy", np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32))
    np.save(tmp_path / "one_d.npy", np.random.default_rng(0).normal(size=(64, 1)).astype(np.float32))
    code = cli.main(["run", "--set", "data.name=file", "--set", f"data.path={tmp_path / 'two_d.npy'}",
                     "--at", "2", f"data.path={tmp_path / new}", "--steps", "4", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and f"--at 2 data.path={tmp_path / new}" in err[0], err
    assert not (tmp_path / "out").exists()

