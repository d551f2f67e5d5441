"""The one run loop (runner.Runner): its order of changes and steps, and that `gan-studio run`, `render` and the
window's worker, which all train through it, give the same rows for the same config, seed and schedule."""

from __future__ import annotations

import csv
import inspect
import queue
import threading

import pytest
from configs import config_with

from gan_studio import cli, config
from gan_studio.runner import MemoryRecorder, Runner
from gan_studio.runs import format_cell
from gan_studio.schedule import Schedule
from gan_studio.testing.synthetic import SyntheticTrainer
from gan_studio.worker.protocol import Packet, Quit, Step, TrainerProtocol

SMALL = {"model.hidden": 16, "model.depth": 2, "train.batch_size": 32, "train.log_every": 10,
         "metrics.every": 20, "metrics.ot_every": 40, "metrics.n_samples": 400, "metrics.ot_samples": 100,
         "train.device": "cpu"}
SCHEDULE = [(20, "loss.name", "hinge"), (30, "step_d", None), (40, "lipschitz.name", "gp"), (40, "optim.lr_d", 3e-4)]
STEPS = 60


def small_config() -> config.Config:
    return config_with(SMALL)


def cells(row: dict, columns: list[str]) -> list[str]:
    """A row as metrics.csv writes it (exact: floats as repr)."""
    return [format_cell(row.get(c)) for c in columns]


def test_runner_applies_changes_due_at_the_start_then_after_each_step():
    cfg = config.with_value(config.Config(), "train.log_every", 1)
    recorder = MemoryRecorder()
    runner = Runner(SyntheticTrainer(cfg), Schedule([(0, "optim.lr_g", 2e-4), (2, "loss.name", "wgan"),
                                                     (2, "step_d", None), (9, "loss.name", "ns")]), recorder)
    runner.run(4)
    assert [(e["step"], e["what"]) for e in recorder.events] == [(0, "optim.lr_g"), (2, "loss.name"), (2, "step_d")]
    assert runner.step_count == 4 and [r["step"] for r in recorder.rows] == [1, 2, 3, 4]
    assert len(runner.schedule) == 1  # step 9 was never reached


def test_run_render_and_the_window_give_the_same_rows():
    """The same config, seed and schedule through the three entry points: identical cells in every row
    (the CLI's metrics.csv is the reference); the CLI's and render's final rows (every metric) agree too."""
    pytest.importorskip("torch")
    import tempfile
    from pathlib import Path

    from gan_studio.worker.oneshot import train_packet
    from gan_studio.worker.session import Session, engine_trainer

    cfg = small_config()
    out = Path(tempfile.mkdtemp()) / "run"
    args = ["run", "--steps", str(STEPS), "--out", str(out), "--quiet"]
    for key, value in SMALL.items():
        args += ["--set", f"{key}={value}"]
    for at, what, value in SCHEDULE:
        args += ["--at", str(at), what if value is None else f"{what}={value}"]
    assert cli.main(args) == 0
    with open(out / "metrics.csv", newline="", encoding="utf-8") as f:
        columns, *cli_cells = list(csv.reader(f))

    # render: the child-process job, run here
    packet = train_packet(config.to_dict(cfg), STEPS, SCHEDULE)
    assert packet.error == ""
    assert [cells(r, columns) for r in packet.rows] == cli_cells
    assert [(e["step"], e["what"]) for e in packet.events] == [(s, w) for s, w, _ in SCHEDULE]

    # the window's worker: a Session in a thread, stepped to the end by one command
    commands, packets = queue.Queue(), queue.Queue()
    session = Session(commands, packets, cfg, SCHEDULE, trainer_factory=engine_trainer, freeze=False,
                      record_dir=out.parent / "recordings")
    thread = threading.Thread(target=session.run, daemon=True)
    thread.start()
    commands.put(Step(STEPS))
    rows: list[dict] = []
    got: Packet | None = None
    while got is None or got.step < STEPS:
        got = packets.get(timeout=120)
        rows += got.rows
    commands.put(Quit())
    thread.join(10)
    assert [cells(r, columns) for r in rows[:-1]] == cli_cells[:-1]
    # the CLI's last row is the final one, every metric measured on the saved samples; its training cells
    # are the last step's, as in the window
    training = [columns.index(c) for c in ("step", "loss_d", "loss_g", "penalty", "d_real", "d_fake")]
    assert [cells(rows[-1], columns)[i] for i in training] == [cli_cells[-1][i] for i in training]


def test_engine_and_stand_in_satisfy_the_trainer_protocol():
    pytest.importorskip("torch")
    from gan_studio.engine import Trainer

    members = [name for name in dir(TrainerProtocol) if not name.startswith("_")]
    members += list(TrainerProtocol.__annotations__)
    for cls in (Trainer, SyntheticTrainer):
        made = cls(small_config())
        for name in members:
            assert hasattr(made, name), f"{cls.__name__} lacks {name}"
        for method in ("step", "metrics_row"):
            assert "pause" in inspect.signature(getattr(made, method)).parameters, (cls.__name__, method)


@pytest.mark.parametrize("data", ["ring8", "bimodal1d"])
def test_the_stand_in_produces_every_column_the_engine_does(data):
    pytest.importorskip("torch")
    from gan_studio.engine import Trainer

    cfg = config.with_value(small_config(), "data.name", data)
    engine, stand_in = Trainer(cfg), SyntheticTrainer(cfg)
    assert stand_in.columns() == engine.columns()
    engine_row, _, _ = engine.final_state()
    stand_in_row, _, _ = stand_in.final_state()
    filled = {k for k, v in engine_row.items() if v is not None}
    assert filled <= {k for k, v in stand_in_row.items() if v is not None}
