"""Issue #17: a run that goes wrong stops cleanly, keeps what it had, and never loses or misreads its record."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from configs import small

from gan_studio import config as C
from gan_studio import runs
from gan_studio.config import Config, ConfigError


def diverge(trainer, limit: int = 400) -> tuple[str, dict]:
    """Step until the NonFiniteError; its message and the weights of every completed step."""
    from gan_studio.engine import NonFiniteError

    seen = {trainer.step_count: trainer.weights()}
    for _ in range(limit):
        try:
            trainer.step()
        except NonFiniteError as err:
            return str(err), seen
        seen[trainer.step_count] = trainer.weights()
    raise AssertionError(f"no NonFiniteError within {limit} steps")


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# -- 1, 2: the last finite weights, after a spectral-norm switch, of the last completed step ------------------------
@pytest.mark.parametrize(("before", "after"), [("sn", "none"), ("none", "sn")])
def test_restore_after_spectral_norm_switch_keeps_last_completed_step(before, after):
    import torch

    from gan_studio.engine import Trainer

    trainer = Trainer(small(**{"loss.name": "wgan", "lipschitz.name": before, "optim.name": "sgd"}))
    for _ in range(7):  # a snapshot taken with the parametrisation as it was, then the switch
        trainer.step()
    trainer.apply("lipschitz.name", after)
    if after == "none":
        trainer.apply("optim.lr_d", 10.0)
        trainer.apply("optim.lr_g", 10.0)
        message, seen = diverge(trainer)
    else:  # spectral norm keeps D tame: poison G after a step so that the next D loss is NaN
        trainer.step()
        seen = {trainer.step_count: trainer.weights()}
        with torch.no_grad():
            next(trainer.G.parameters()).fill_(float("nan"))
        message, _ = diverge(trainer, limit=5)  # NaN at step 9, read at the next logged step (10)
    step = trainer.step_count
    assert f"the weights of step {step} (the last finite ones) are kept" in message
    assert same_weights(trainer.weights(), seen[step])  # exactly that step's weights, no older
    assert all(np.isfinite(v).all() for v in trainer.weights().values())
    assert trainer.cfg.lipschitz.name == after  # the method stays attached as it was


def test_headless_nan_after_sn_switch_exits_3_with_weights_of_the_folders_last_step(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "gan_studio", "run", "--quiet", "--set", "loss.name=wgan",
                           "--set", "lipschitz.name=sn", "--set", "optim.name=sgd", "--set", "model.hidden=16",
                           "--set", "model.depth=2", "--set", "train.batch_size=32", "--set", "metrics.every=10000",
                           "--set", "metrics.ot_every=10000", "--set", "metrics.n_samples=100",
                           "--at", "20", "lipschitz.name=none", "--at", "20", "optim.lr_d=10", "--at", "20",
                           "optim.lr_g=10", "--steps", "300", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    _, rows = runs.read_metrics(out / "metrics.csv")
    last = int(rows[-1]["step"])
    assert f"the weights of step {last} (the last finite ones) are kept" in proc.stderr
    assert all(np.isfinite(v).all() for v in runs.load_weights(out / "weights.npz").values())


# -- 3: infinities in the optimizer's state, gradient norms without overflow ----------------------------------------
def test_rmsprop_overflow_to_inf_is_caught():
    from gan_studio.engine import Trainer

    trainer = Trainer(small(**{"optim.name": "rmsprop", "optim.lr_d": 10.0, "optim.lr_g": 10.0, "model.hidden": 128,
                               "model.depth": 3, "train.batch_size": 256}))
    message, seen = diverge(trainer, limit=200)
    assert "non-finite" in message or "became" in message
    assert same_weights(trainer.weights(), seen[trainer.step_count])


def test_gradient_norms_do_not_overflow():
    import torch

    from gan_studio.engine import layer_grad_norms, total_grad_norm

    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    for p in net.parameters():
        p.grad = torch.full_like(p, 1e30)
    n = sum(p.numel() for p in net.parameters())
    assert float(total_grad_norm(net)) == pytest.approx(1e30 * n ** 0.5, rel=1e-5)
    assert all(torch.isfinite(g) for g in layer_grad_norms(net))


def test_a_nonfinite_gradient_is_caught_on_a_logged_step():
    import torch

    from gan_studio.engine import NonFiniteError, Trainer

    trainer = Trainer(small())
    for _ in range(4):
        trainer.step()
    weights = trainer.weights()
    step = trainer.opt_d.step

    def step_then_spoil():  # the update stays finite, the gradient left behind does not
        step()
        next(trainer.D.parameters()).grad.fill_(float("inf"))

    trainer.opt_d.step = step_then_spoil
    with pytest.raises(NonFiniteError, match="gradient of D"):
        trainer.step()  # step 5 is logged
    assert trainer.step_count == 4 and same_weights(trainer.weights(), weights)
    assert torch.isfinite(torch.stack([p.sum() for p in trainer.D.parameters()])).all()


# -- 4: exact transport on NaN or overflowing points ----------------------------------------------------------------
def test_w1_exact_is_nan_for_nonfinite_or_infeasible_input():
    from gan_studio.metrics.transport import w1_exact

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 2)), rng.normal(size=(20, 2))
    assert np.isfinite(w1_exact(a, b))
    b[3, 0] = np.nan
    assert np.isnan(w1_exact(a, b))
    assert np.isnan(w1_exact(a * 1e300, -a * 1e300))  # distances overflow: no assignment exists


# -- 6: recording loses nothing when a process dies; saves are atomic ---------------------------------------------
def synthetic_writer(folder):
    from gan_studio.testing.synthetic import SyntheticTrainer

    trainer = SyntheticTrainer(C.Config())
    return trainer, runs.RunWriter(folder, trainer.cfg, trainer.columns())


def test_header_and_every_row_reach_the_file_at_once(tmp_path):
    trainer, writer = synthetic_writer(tmp_path / "r")
    text = (tmp_path / "r" / "metrics.csv").read_text()
    assert text == ",".join(trainer.columns()) + "\n"  # the header, before any row
    for step in (10, 20):
        trainer.step_count = step
        writer.row(trainer.metrics_row())
        _, rows = runs.read_metrics(tmp_path / "r" / "metrics.csv")  # read by another reader, file still open
        assert rows[-1]["step"] == step
    trainer.step_count = 20
    writer.final_row({**trainer.metrics_row(), "loss_d": None})  # replaces the row of the same step in place
    writer.close()
    _, rows = runs.read_metrics(tmp_path / "r" / "metrics.csv")
    assert [r["step"] for r in rows] == [10, 20] and rows[-1]["loss_d"] is not None


def test_a_killed_writer_process_leaves_every_row_written(tmp_path):
    script = (f"import os, sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
              "from test_reliability import synthetic_writer\n"
              f"trainer, writer = synthetic_writer({str(tmp_path / 'r')!r})\n"
              "for step in (10, 20, 30):\n"
              "    trainer.step_count = step\n"
              "    writer.row(trainer.metrics_row())\n"
              "writer.event({'step': 30, 'what': 'loss.name', 'old': 'ns', 'new': 'wgan'})\n"
              "os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    _, rows = runs.read_metrics(tmp_path / "r" / "metrics.csv")
    assert [r["step"] for r in rows] == [10, 20, 30]
    assert runs.read_events(tmp_path / "r" / "events.jsonl")[0]["new"] == "wgan"


def test_save_is_atomic_a_failed_save_leaves_the_old_folder(tmp_path, monkeypatch):
    trainer, writer = synthetic_writer(tmp_path / "rec")
    trainer.step_count = 10
    writer.row(trainer.metrics_row())
    dest = writer.save_to(tmp_path / "saved", trainer.metrics_row(), np.zeros((3, 2)), trainer.weights())
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    trainer.step_count = 20
    writer.row(trainer.metrics_row())

    def broken(folder, tensors, sync=True):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runs, "write_weights", broken)
    with pytest.raises(OSError):
        writer.save_to(dest, trainer.metrics_row(), np.zeros((3, 2)), trainer.weights())
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before  # untouched: the old save, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec", "saved"]  # no temporary folder left behind
    monkeypatch.undo()
    writer.save_to(dest, trainer.metrics_row(), np.zeros((3, 2)), trainer.weights())
    assert runs.check_run_folder(dest)[1] == 20


# -- 5: damaged run folders are refused before anything trusts them -----------------------------------------------
def test_weights_reader_refuses_what_it_cannot_trust(tmp_path):
    path = tmp_path / "weights.npz"
    for arrays, expected in (({"G/w": np.array([1.0, np.nan])}, "NaN or Inf"),
                             ({"G/w": np.array(["a"])}, "dtype"),
                             ({"G/w": np.zeros((1,) * 5)}, "dimensions"),
                             ({"X/w": np.zeros(2)}, "G/ or D/"),
                             ({}, "no arrays")):
        np.savez(path, **arrays)
        with pytest.raises(ConfigError, match=expected):
            runs.load_weights(path)
    np.savez(path, **{"G/w": np.arange(3, dtype=">f4")})
    loaded = runs.load_weights(path)["G/w"]
    assert loaded.dtype.isnative and loaded.tolist() == [0.0, 1.0, 2.0]


def test_metrics_reader_refuses_decreasing_steps(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("step,loss_d\n20,1.0\n10,2.0\n")
    with pytest.raises(ConfigError, match="metrics.csv:3: step 10 comes after step 20"):
        runs.read_metrics(path)


# -- 7: a worker that dies is noticed and restarted from its record ------------------------------------------------
def test_a_killed_worker_is_noticed_and_restarted_from_its_record(qtbot, tmp_path):
    """As ``conftest.make_window``, with a worker factory that takes ``open_first`` (the restart opens the record)."""
    from gan_studio.gui.window import StudioWindow
    from gan_studio.testing.synthetic import SyntheticTrainer
    from gan_studio.worker.handle import WorkerHandle
    from gan_studio.worker.protocol import Play

    def worker(cfg, at, open_first=None):
        return WorkerHandle(cfg, at, trainer_factory=SyntheticTrainer, record_dir=tmp_path / "rec",
                            open_first=open_first)

    w = StudioWindow(C.Config(), worker_factory=worker)
    w.confirm = lambda text: True
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.waitUntil(lambda: w.latest is not None and w.latest.frame is not None, timeout=60000)
        w.send(Play())
        qtbot.waitUntil(lambda: w.step >= 300 and (Path(w.recording) / runs.CHECKPOINT).exists(), timeout=30000)
        first = w.worker
        first.process.kill()
        qtbot.waitUntil(lambda: w.worker is not first, timeout=1000)  # noticed within a second
        assert "the training process ended (killed by signal SIGKILL)" in w.status_message.text()
        assert "restarted it from its record at step" in w.status_message.text()
        resumed = int(w.status_message.text().split("at step ")[1].split(" ")[0].replace(",", ""))
        assert resumed > 0
        qtbot.waitUntil(lambda: w.latest is not None and bool(w.latest.opened) and w.step == resumed, timeout=60000)
        assert w.history.last_step == resumed  # the curves up to there are kept
        assert not w.playing
    finally:
        w.close()


# -- 9: every scheduled change is checked before training; a refused live reseed changes nothing -------------------
def test_a_refused_reseed_changes_nothing():
    import torch

    from gan_studio.engine import Trainer

    trainer = Trainer(small())
    state = trainer.rng.get_state()
    for bad in (str(2**64), "abc", "-1"):
        with pytest.raises(ConfigError, match="train.seed"):
            trainer.apply("reseed", bad)
    assert trainer.cfg.train.seed == 0 and torch.equal(trainer.rng.get_state(), state) and trainer.events == []


def test_the_schedule_is_checked_before_the_first_step():
    from gan_studio.schedule import parse_change, parse_event

    assert parse_change("5", "reseed=7") == (5, "reseed", 7)
    assert parse_change(5, "reseed") == (5, "reseed", None)
    assert parse_event({"step": 3, "what": "reset", "old": None, "new": 0}) == (3, "reset", None)
    for step, text, expected in ((5, "step_d=xyz", "takes no value"), (5, "reset=3", "takes no value"),
                                 (5, "reseed=abc", "reseed takes a seed"), (5, f"reseed={2**64}", "out of range"),
                                 (2**63, "step_d", "from 0 to"), (True, "step_d", "whole number"),
                                 (5, "optim.lr_d=abc", "--at 5: optim.lr_d")):
        with pytest.raises(ConfigError, match=expected):
            parse_change(step, text)


def test_a_nan_in_the_last_unlogged_steps_ends_the_run_with_exit_3_and_finite_weights(tmp_path, monkeypatch):
    """NaNs are read once per logged step; one that appears after the last logged step is found by the run's
    ending (final_state), which must still end the run as any NaN does: exit 3, the last finite weights saved."""
    import dataclasses

    from gan_studio import engine, headless
    from gan_studio.schedule import Schedule

    calls = {"n": 0}
    real_get = engine.get_objective

    def poisoned(name):
        objective = real_get(name)

        def d_loss(out_r, out_f, state):
            calls["n"] += 1
            loss = objective.d_loss(out_r, out_f, state)
            return loss * float("nan") if calls["n"] > 13 else loss  # steps 14 and 15: after the logged step 10

        return dataclasses.replace(objective, d_loss=d_loss)

    monkeypatch.setattr(engine, "get_objective", poisoned)
    cfg = Config()
    for key, value in {"model.hidden": 16, "model.depth": 2, "train.batch_size": 32, "metrics.every": 10000,
                       "metrics.ot_every": 10000, "metrics.n_samples": 100}.items():
        cfg = C.with_value(cfg, key, value)
    code = headless.run_headless(cfg, 15, Schedule(), str(tmp_path / "run"), progress=False)
    assert code == 3
    assert all(np.isfinite(v).all() for v in runs.load_weights(tmp_path / "run" / "weights.npz").values())
    _, rows = runs.read_metrics(tmp_path / "run" / "metrics.csv")
    assert int(rows[-1]["step"]) == 13  # the final row is that of the last finite step
