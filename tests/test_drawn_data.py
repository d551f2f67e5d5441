"""A run on a points file (drawn, dropped, pasted or chosen) keeps the points in its run folder: ``data.npy`` or
``data.csv`` beside config.toml, which names that copy; a saved copy names its own; a moved folder still finds it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from gan_studio import config, runs
from gan_studio.config import ConfigError


def _file_config(path) -> config.Config:
    return config.with_value(config.with_value(config.Config(), "data.name", "file"), "data.path", str(path))


def _points(tmp_path, suffix=".npy") -> Path:
    points = np.random.default_rng(0).normal(size=(30, 2))
    path = tmp_path / f"drawn{suffix}"
    if suffix == ".npy":
        np.save(path, points)
    else:
        path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in points))
    return path


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_a_run_folder_keeps_its_points_file_byte_for_byte_and_names_it(tmp_path, suffix):
    source = _points(tmp_path, suffix)
    writer = runs.RunWriter(tmp_path / "run", _file_config(source), ["step"])
    writer.close()
    copy = tmp_path / "run" / f"data{suffix}"
    assert copy.read_bytes() == source.read_bytes()  # its own format: no second format
    recorded = config.load(tmp_path / "run" / "config.toml")
    assert (recorded.data.name, recorded.data.path) == ("file", str(copy))
    # a run written into the folder that already holds its copy (``--config run/config.toml --out run``) keeps it
    again = runs.RunWriter(tmp_path / "run", recorded, ["step"])
    again.close()
    assert copy.read_bytes() == source.read_bytes()


def test_runs_on_other_data_get_no_copy_and_a_missing_file_is_one_line(tmp_path):
    writer = runs.RunWriter(tmp_path / "toy", config.Config(), ["step"])
    writer.close()
    assert not any((tmp_path / "toy" / name).exists() for name in runs.DATA_COPIES)
    assert (tmp_path / "toy" / "config.toml").read_text() == config.dumps(config.Config())
    with pytest.raises(ConfigError, match=r"data file '.*gone\.npy': cannot copy it into the run folder"):
        runs.RunWriter(tmp_path / "run", _file_config(tmp_path / "gone.npy"), ["step"])


def test_a_saved_copy_names_its_own_points_and_a_moved_folder_still_finds_them(tmp_path):
    source = _points(tmp_path)
    writer = runs.RunWriter(tmp_path / "rec", _file_config(source), ["step", "loss"])
    writer.row({"step": 1, "loss": 0.5})
    weights = {"G/w": np.ones((2, 2), np.float32), "D/w": np.zeros(2, np.float32)}
    writer.save_to(tmp_path / "saved", {"step": 1, "loss": 0.5}, np.zeros((4, 2)), weights)
    writer.close()
    saved = config.load(tmp_path / "saved" / "config.toml")
    assert saved.data.path == str(tmp_path / "saved" / "data.npy")  # not the recording's, not a temporary folder's
    assert (tmp_path / "saved" / "data.npy").read_bytes() == source.read_bytes()
    # saving again over that run folder is allowed (its data.npy is a run file, not "other files")
    writer = runs.RunWriter(tmp_path / "rec2", _file_config(source), ["step", "loss"])
    writer.save_to(tmp_path / "saved", {"step": 1, "loss": 0.5}, np.zeros((4, 2)), weights)
    writer.close()
    # moved elsewhere, with the original file gone: opening (the window's Open run…, gui --run) and --config use
    # the folder's own copy
    shutil.move(tmp_path / "saved", tmp_path / "moved")
    source.unlink()
    cfg, last = runs.check_run_folder(tmp_path / "moved")
    assert (cfg.data.path, last) == (str(tmp_path / "moved" / "data.npy"), 1)
    assert runs.load_config(tmp_path / "moved" / "config.toml") == cfg
    # a config file elsewhere that names some other data.npy is read as written
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "c.toml").write_text(config.dumps(_file_config(tmp_path / "x" / "data.npy")))
    assert runs.load_config(other / "c.toml").data.path == str(tmp_path / "x" / "data.npy")


@pytest.mark.slow  # two headless runs and an opened one on the real engine: ~12 s on 2 shared cores
def test_a_moved_run_folder_replays_and_reopens_on_its_own_points(tmp_path):
    pytest.importorskip("torch")
    from gan_studio.cli import main
    from gan_studio.worker.recording import open_run_folder
    from gan_studio.worker.session import engine_trainer

    source = _points(tmp_path)
    cfg = config.with_value(_file_config(source), "train.batch_size", 16)
    (tmp_path / "c.toml").write_text(config.dumps(cfg))
    assert main(["run", "--config", str(tmp_path / "c.toml"), "--steps", "3", "--out", str(tmp_path / "a")]) == 0
    shutil.move(tmp_path / "a", tmp_path / "moved")
    expected = np.load(source)
    source.unlink()
    assert main(["run", "--config", str(tmp_path / "moved" / "config.toml"), "--events",
                 str(tmp_path / "moved" / "events.jsonl"), "--steps", "3", "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "metrics.csv").read_bytes() == (tmp_path / "moved" / "metrics.csv").read_bytes()
    trainer, start, last = open_run_folder(str(tmp_path / "moved"), engine_trainer)
    assert last == 3 and start.data.path == str(tmp_path / "moved" / "data.npy")
    assert np.array_equal(trainer.dataset.points, expected)


def test_compare_counts_two_copies_of_the_same_points_as_the_same_data(tmp_path):
    from gan_studio.gui.compare import config_differences

    source = _points(tmp_path)
    for name in ("a", "b"):
        runs.RunWriter(tmp_path / name, _file_config(source), ["step"]).close()
    a, b = (runs.load_config(tmp_path / name / "config.toml") for name in ("a", "b"))
    assert a.data.path != b.data.path and config_differences(a, b) == []
    np.save(tmp_path / "b" / "data.npy", np.zeros((3, 2)))  # other points: a difference
    assert [key for key, _, _ in config_differences(a, b)] == ["data.path"]


def test_kept_config_is_what_a_run_folder_records_and_none_once_the_data_changed(tmp_path):
    """A sweep resumes a finished folder only if it is a run of the same config: for a points file that means the
    folder's copy (named in its config.toml) has the file's bytes; another config comes back unchanged."""
    source = _points(tmp_path)
    cfg = _file_config(source)
    folder = tmp_path / "run"
    folder.mkdir()
    recorded = runs.keep_data(folder, cfg)
    assert runs.kept_config(folder, cfg) == recorded
    assert recorded.data.path == str((folder / "data.npy").resolve())
    np.save(source, np.zeros((5, 2)))  # the data changed since the run
    assert runs.kept_config(folder, cfg) is None
    assert runs.kept_config(tmp_path / "nowhere", cfg) is None
    plain = config.Config()
    assert runs.kept_config(folder, plain) is plain
