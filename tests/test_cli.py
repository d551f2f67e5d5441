"""The command line end to end: run folders, replay, reproducibility, and every error path's message."""

import subprocess
import sys

import numpy as np
import pytest

from gan_studio import config as C
from gan_studio.cli import main
from gan_studio.runs import read_events, read_metrics

FAST = ["--set", "model.hidden=16", "--set", "model.depth=2", "--set", "train.batch_size=64",
        "--set", "metrics.every=20", "--set", "metrics.ot_every=40", "--set", "metrics.n_samples=400",
        "--quiet"]


def run(tmp_path, *extra, name="run"):
    out = tmp_path / name
    code = main(["run", "--steps", "40", "--out", str(out), *FAST, *extra])
    return code, out


def test_run_writes_a_complete_run_folder(tmp_path):
    code, out = run(tmp_path, "--at", "20", "loss.name=wgan", "--at", "20", "lipschitz.name=gp")
    assert code == 0
    header, rows = read_metrics(out / "metrics.csv")
    for column in ("step", "loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "grad_d_0",
                   "grad_g_0", "js", "js_floor", "w1", "sw1", "w1_critic", "lip", "modes", "hq", "sigma_d_0"):
        assert column in header
    assert [r["step"] for r in rows] == [10, 20, 30, 40]
    last = rows[-1]
    assert all(last[c] is not None for c in ("js", "w1", "w1_floor", "sw1", "lip", "gx_interp", "modes"))
    assert rows[0]["js"] is None  # cheap metrics every 20 steps only
    assert read_events(out / "events.jsonl") == [
        {"step": 20, "what": "loss.name", "old": "ns", "new": "wgan"},
        {"step": 20, "what": "lipschitz.name", "old": "none", "new": "gp"},
    ]
    samples = np.load(out / "samples.npy", allow_pickle=False)
    assert samples.shape == (2500, 2)
    weights = np.load(out / "weights.npz", allow_pickle=False)
    assert any(k.startswith("G/") for k in weights.files) and any(k.startswith("D/") for k in weights.files)
    cfg = C.load(out / "config.toml")  # the resolved config loads back
    assert cfg.model.hidden == 16 and cfg.loss.name == "ns"


def test_same_seed_and_schedule_give_byte_identical_metrics(tmp_path):
    at = ["--at", "15", "loss.name=hinge", "--at", "25", "lipschitz.name=sn"]
    _, a = run(tmp_path, *at, "--seed", "3", name="a")
    _, b = run(tmp_path, *at, "--seed", "3", name="b")
    _, c = run(tmp_path, *at, "--seed", "4", name="c")
    assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
    assert (a / "metrics.csv").read_bytes() != (c / "metrics.csv").read_bytes()


def test_a_run_folder_replays_from_its_config_and_events(tmp_path):
    _, a = run(tmp_path, "--at", "10", "optim.lr_d=0.001", "--at", "30", "step_d", name="a")
    code = main(["run", "--steps", "40", "--out", str(tmp_path / "b"), "--config", str(a / "config.toml"),
                 "--events", str(a / "events.jsonl"), "--quiet"])
    assert code == 0
    assert (a / "metrics.csv").read_bytes() == (tmp_path / "b" / "metrics.csv").read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "loss.name=wgn"], "loss.name: unknown value 'wgn'; allowed: minimax, ns"),
        (["--set", "optim.lr_d=-1"], "optim.lr_d: -1.0 is out of range"),
        (["--set", "bogus"], "expected KEY=VALUE"),
        (["--set", "data.name=file"], "data.path"),
        (["--at", "5", "model.hidden=3"], "'model.hidden' cannot change during a run"),
        (["--at", "x", "loss.name=ns"], "STEP must be a whole number"),
        (["--preset", "nope"], "unknown preset 'nope'; presets: "),
        (["--config", "/nonexistent/c.toml"], "cannot read config file"),
        (["--device", "tpu"], "train.device: unknown value 'tpu'; allowed: auto, cpu, cuda"),
    ],
)
def test_errors_exit_non_zero_with_one_clear_message(tmp_path, capsys, args, message):
    code = main(["run", "--steps", "5", "--out", str(tmp_path / "r"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_an_events_file_that_is_not_text_is_one_message(tmp_path, capsys):
    bad = tmp_path / "events.jsonl"
    bad.write_bytes(b"\xff\xfe\x00\x81 not text")
    assert main(["run", "--steps", "5", "--out", str(tmp_path / "r"), "--events", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "events file" in err and "not UTF-8 text" in err and "Traceback" not in err
    assert main(["run", "--steps", "5", "--out", str(tmp_path / "r"), "--events", str(tmp_path / "none")]) == 2
    assert "cannot read events file" in capsys.readouterr().err


def test_malformed_toml_is_one_message(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nsteps=")
    assert main(["run", "--steps", "5", "--out", str(tmp_path / "r"), "--config", str(bad)]) == 2
    assert "bad.toml: malformed TOML" in capsys.readouterr().err


def test_presets_list_and_each_preset_loads(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("ring8-collapse") for line in lines)
    from gan_studio.presets import list_presets, load_preset

    for name, description in list_presets():
        assert description, name
        load_preset(name)


def test_console_entry_point_runs_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gan_studio", "run", "--steps", "3", "--out", str(tmp_path / "r"),
                           "--set", "loss.name=nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "gan-studio: error: loss.name: unknown value 'nope'; allowed: " + ", ".join(C.CHOICES["loss.name"])]


def test_non_finite_run_stops_with_message_and_keeps_weights(tmp_path, capsys):
    code, out = run(tmp_path, "--set", "loss.name=fgan-kl", "--set", "optim.lr_d=10", "--set", "optim.lr_g=10",
                    "--set", "optim.name=sgd")
    err = capsys.readouterr().err
    assert code == 3, err
    assert "training stopped" in err and "at step" in err
    weights = np.load(out / "weights.npz", allow_pickle=False)
    assert all(np.isfinite(weights[k]).all() for k in weights.files)


def test_options_without_a_command_open_the_window(monkeypatch):
    seen = {}

    def fake_gui(cfg, at_schedule=None, run=None):
        seen.update(cfg=cfg, at=at_schedule)
        return 0

    monkeypatch.setattr("gan_studio.gui.app.main", fake_gui)
    assert main(["--preset", "digits", "--set", "optim.lr_d=0.002"]) == 0
    assert seen["cfg"].data.name == "digits" and seen["cfg"].optim.lr_d == pytest.approx(0.002, rel=0)
