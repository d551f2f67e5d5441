"""Rewind and branch (issue 14): ``Trainer.state`` / ``restore``, the worker's bounded snapshot store
(``worker.timeline``) and ``Rewind`` through the worker ``Session``."""

from __future__ import annotations

import itertools
import pickle

import pytest

from gan_studio import config
from gan_studio.runner import MemoryRecorder, Runner
from gan_studio.runs import format_cell
from gan_studio.schedule import Schedule

torch = pytest.importorskip("torch")
from configs import config_with  # noqa: E402

from gan_studio.engine import Trainer  # noqa: E402

SMALL = {"model.hidden": 16, "model.depth": 2, "train.batch_size": 32, "train.log_every": 2,
         "metrics.every": 4, "metrics.ot_every": 8, "metrics.n_samples": 200, "metrics.ot_samples": 64,
         "train.device": "cpu"}


def small_config(**changes) -> config.Config:
    return config_with({**SMALL, **changes})


def csv_rows(rows: list[dict], columns: list[str]) -> list[list[str]]:
    """Rows as metrics.csv writes them (floats as repr: byte for byte)."""
    return [[format_cell(r.get(c)) for c in columns] for r in rows]


def run_rows(runner: Runner, steps: int) -> list[dict]:
    recorder = MemoryRecorder()
    runner.recorder = recorder
    runner.run(runner.step_count + steps)
    return recorder.rows


CASES = {
    "ns": ({}, []),
    "wgan+gp": ({"loss.name": "wgan", "lipschitz.name": "gp"}, []),
    "wgan+sn": ({"loss.name": "wgan", "lipschitz.name": "sn"}, []),
    "remedy": ({"remedy.name": "instance_noise"}, []),
    "began (objective state)": ({"loss.name": "began"}, []),
    "magan (windowed state)": ({"loss.name": "magan"}, []),
    "fisher (Lagrange multiplier)": ({"loss.name": "fisher"}, []),
    "gmmn (no D optimizer)": ({"loss.name": "gmmn"}, []),
    "vae (joint update)": ({"loss.name": "vae"}, []),
    "unrolled": ({"remedy.name": "unrolled", "remedy.unroll": 2}, []),
    "train.rng device (two generators)": ({"train.rng": "device", "loss.name": "wgan", "lipschitz.name": "gp"}, []),
    "images": ({"data.name": "digits", "model.conditional": True, "loss.name": "hinge"}, []),
    # switches between the snapshot and the rewind: the nets' structure at the snapshot is rebuilt
    "switches after it": ({}, [(7, "loss.name", "wgan"), (7, "lipschitz.name", "sn"), (9, "remedy.name", "packing"),
                               (9, "optim.lr_d", 3e-4)]),
    "switches before it": ({"loss.name": "wgan"}, [(2, "lipschitz.name", "gp"),
                                                   (3, "remedy.name", "minibatch_stddev")]),
    "sn and packing before it": ({"loss.name": "hinge"}, [(2, "lipschitz.name", "sn"), (3, "remedy.name", "packing"),
                                                          (4, "optim.name", "rmsprop")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_restore_replays_the_following_steps_byte_for_byte(name):
    changes, schedule = CASES[name]
    trainer = Trainer(small_config(**changes))
    runner = Runner(trainer, Schedule(schedule))
    run_rows(runner, 5)
    state = trainer.state()
    state = pickle.loads(pickle.dumps(state))  # a plain picklable object
    first = run_rows(runner, 8)
    after = (trainer.weights(remedy_layer=True), trainer.cfg, list(trainer.events))
    trainer.restore(state)
    assert trainer.step_count == 5 and len(trainer.events) == len(state.events)
    runner.schedule = Schedule(schedule)
    runner.schedule.pop_due(5)  # the changes up to the snapshot were applied before it
    second = run_rows(runner, 8)
    columns = trainer.columns()
    assert len(first) == 4 and csv_rows(second, columns) == csv_rows(first, columns)
    weights, cfg, events = after
    again = trainer.weights(remedy_layer=True)
    assert trainer.cfg == cfg and trainer.events == events and again.keys() == weights.keys()
    assert all((again[k] == weights[k]).all() for k in weights)


def test_restore_twice_from_one_state():
    """A snapshot is not consumed: it restores again to the same state (a second scrub to the same mark)."""
    trainer = Trainer(small_config(**{"loss.name": "wgan", "lipschitz.name": "gp"}))
    runner = Runner(trainer)
    run_rows(runner, 3)
    state = trainer.state()
    rows = []
    for _ in range(2):
        trainer.restore(state)
        rows.append(csv_rows(run_rows(runner, 4), trainer.columns()))
    assert rows[0] == rows[1] and len(rows[0]) == 2


def test_state_is_a_copy():
    """Training after the state was taken leaves its tensors as they were."""
    trainer = Trainer(small_config())
    state = trainer.state()
    before = {k: v.clone() for k, v in state.g.items()}
    run_rows(Runner(trainer), 3)
    assert all(torch.equal(before[k], state.g[k]) for k in before)
    assert not all(torch.equal(state.g[k], v) for k, v in trainer.G.state_dict().items())


# -- the snapshot store --------------------------------------------------------------------------------------
class Sized:
    """A stand-in state of a given size (no memory behind it)."""

    def __init__(self, nbytes: int):
        self.size = nbytes

    def nbytes(self) -> int:
        return self.size


def test_store_keeps_every_nth_step_and_finds_the_nearest_before():
    from gan_studio.worker.timeline import Timeline

    timeline = Timeline(every=10, cap_bytes=10**9)
    taken = [s for s in range(0, 45) if timeline.offer(s, lambda _: Sized(1))]
    assert taken == [0, 10, 20, 30, 40] and timeline.steps() == taken
    assert not timeline.offer(40, lambda _: Sized(1))  # already kept
    assert timeline.nearest(29).step == 20 and timeline.nearest(30).step == 30 and timeline.nearest(10**6).step == 40
    assert timeline.nearest(-1) is None
    timeline.branch(25)
    assert timeline.steps() == [0, 10, 20] and timeline.nbytes == 3
    assert timeline.offer(30, lambda _: Sized(1))  # the branch's own snapshots follow


def test_store_stays_under_its_cap_over_a_long_run_thinning_the_oldest():
    """An hour at ~300 steps/s (1.08 M steps, a snapshot every 200) of 0.82 MB snapshots (the default preset's):
    never over the cap; the step-0 snapshot and the newest stay; the past is sparser the older it is."""
    from gan_studio.worker.timeline import CAP_BYTES, SNAPSHOT_EVERY, Timeline

    timeline, size, peak = Timeline(), 816_672, 0
    for step in range(0, 1_080_000 + 1, SNAPSHOT_EVERY):
        timeline.offer(step, lambda _: Sized(size))
        peak = max(peak, timeline.nbytes)
        assert timeline.nbytes == sum(s.nbytes for s in timeline.snapshots)
    assert peak <= CAP_BYTES <= 300 * 2**20
    steps = timeline.steps()
    assert steps[0] == 0 and steps[-1] == 1_080_000
    assert CAP_BYTES // size // 2 <= len(steps) <= CAP_BYTES // size  # thinning halves at most the oldest half
    gaps = [b - a for a, b in itertools.pairwise(steps)]
    assert gaps[-1] == SNAPSHOT_EVERY and max(gaps[: len(gaps) // 4]) > 16 * SNAPSHOT_EVERY
    assert steps == sorted(set(steps))


def test_store_with_a_snapshot_larger_than_the_cap_keeps_the_newest():
    from gan_studio.worker.timeline import Timeline

    timeline = Timeline(every=1, cap_bytes=10)
    for step in range(3):
        timeline.offer(step, lambda _: Sized(11))
    assert timeline.steps() == [2] and timeline.nbytes == 11


def test_store_hands_thinned_states_back_to_be_filled_and_stays_within_its_cap():
    """A thinned snapshot's state is the ``spare`` of the next offers (its memory filled again, not freed: a
    freed one fragmented the worker's heap), each spare given once; the store and its spares together never hold
    more than the cap plus one snapshot, and a reset forgets the spares."""
    from gan_studio.worker.timeline import Timeline

    timeline, handed, made = Timeline(every=1, cap_bytes=100), [], []

    def take(spare):
        handed.append(spare)
        made.append(spare if spare is not None else Sized(10))
        return made[-1]

    for step in range(200):
        timeline.offer(step, take)
        held = timeline.nbytes + sum(s.nbytes() for s in timeline.spares)
        assert held <= 100 + 10
    reused = [s for s in handed if s is not None]
    assert len(reused) > 100  # after the first thinning, new states come from spares
    assert len({id(s) for s in made}) <= 11  # never more distinct states than the cap holds plus one
    kept = {id(s.state) for s in timeline.snapshots}
    assert not kept & {id(s) for s in timeline.spares}  # a spare is never also a kept snapshot
    timeline.branch(150)
    assert all(s.step <= 150 for s in timeline.snapshots) and timeline.spares
    timeline.clear()
    assert timeline.spares == [] and timeline.nbytes == 0


def test_state_reusing_a_given_up_state_equals_a_fresh_one_and_keeps_its_storage():
    """``Trainer.state(reuse=old)`` holds the same values as ``state()`` in ``old``'s tensors; restoring it gives
    the same next rows as restoring a fresh state; a tensor that no longer fits (another width) is made anew."""
    trainer = Trainer(small_config())
    runner = Runner(trainer)
    run_rows(runner, 3)
    old = trainer.state()
    run_rows(runner, 3)
    fresh, reused = trainer.state(), trainer.state(reuse=old)
    assert reused.g.keys() == fresh.g.keys()
    assert all(torch.equal(reused.g[k], fresh.g[k]) for k in fresh.g)
    assert all(torch.equal(reused.d[k], fresh.d[k]) for k in fresh.d)
    for opt in ("opt_g", "opt_d"):
        fresh_moments, reused_moments = getattr(fresh, opt)[1]["state"], getattr(reused, opt)[1]["state"]
        assert reused_moments.keys() == fresh_moments.keys()
        assert all(torch.equal(fresh_moments[i][name], reused_moments[i][name])
                   for i in fresh_moments for name in fresh_moments[i])
    assert all(reused.g[k].data_ptr() == old.g[k].data_ptr() for k in fresh.g)  # old's memory, filled again
    after = []
    for state in (fresh, reused):
        trainer.restore(state)
        after.append(run_rows(Runner(trainer), 2))
    assert after[0] == after[1]
    other = Trainer(small_config(**{"model.hidden": 8}))
    mismatched = other.state(reuse=fresh)
    resized = [k for k in mismatched.g if mismatched.g[k].shape != fresh.g[k].shape]
    assert resized and all(mismatched.g[k].data_ptr() != fresh.g[k].data_ptr() for k in resized)
    assert all(torch.equal(mismatched.g[k], v) for k, v in other.G.state_dict().items())


def test_state_size_is_what_it_pickles_to():
    """``nbytes`` (what the store counts) against an independent measure: the pickled size, within 10 %."""
    trainer = Trainer(small_config(**{"model.hidden": 128, "model.depth": 3}))
    run_rows(Runner(trainer), 2)
    state = trainer.state()
    assert len(pickle.dumps(state)) == pytest.approx(state.nbytes(), rel=0.10)


# -- rewind through the worker Session -------------------------------------------------------------------------
def session_on(tmp_path, cfg, schedule=(), factory=None, every=4):
    import queue

    from gan_studio.worker.session import Session, engine_trainer
    from gan_studio.worker.timeline import Timeline

    session = Session(queue.Queue(), queue.Queue(), cfg, schedule, trainer_factory=factory or engine_trainer,
                      freeze=False, record_dir=tmp_path / "recordings")
    session.timeline = Timeline(every=every)
    assert session.build(session.cfg0)
    session.apply_due()
    return session


def read_csv(path):
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_rewind_branches_and_the_branch_replays_from_the_cli(tmp_path):
    """Train 14 steps (a scheduled switch at 6), rewind to 10 (the snapshot at 8), change the G learning rate and
    train to 16: the branch's record holds rows up to 8 then the branch's, its events are the switch and the
    change, and ``gan-studio run`` of its config and events gives the same rows byte for byte."""
    from pathlib import Path

    from gan_studio import cli
    from gan_studio.worker.protocol import Apply, Rewind

    schedule = [(6, "loss.name", "wgan"), (6, "lipschitz.name", "gp")]
    session = session_on(tmp_path, small_config(), schedule)
    for _ in range(14):
        assert session.train_step()
    assert session.timeline.steps() == [0, 4, 8, 12]
    old, generation = Path(session.recording.folder), session.generation
    session.handle(Rewind(10))
    trainer = session.trainer
    assert trainer.step_count == 8 and session.branched_at == 8 and session.generation == generation + 1
    assert session.timeline.steps() == [0, 4, 8] and not session.playing
    assert [(e["step"], e["what"]) for e in session.events] == [(6, "loss.name"), (6, "lipschitz.name")]
    session.handle(Apply("optim.lr_g", 5e-4))
    for _ in range(8):
        assert session.train_step()
    branch = Path(session.recording.folder)
    assert branch != old and branch.name.startswith(old.name)
    session.stop_recording()
    old_steps = [r[0] for r in read_csv(old / "metrics.csv")[1:]]
    assert old_steps == [str(s) for s in range(2, 15, 2)]  # the abandoned part stays in the old record

    out = tmp_path / "replay"
    assert cli.main(["run", "--config", str(branch / "config.toml"), "--events", str(branch / "events.jsonl"),
                     "--steps", "16", "--out", str(out), "--quiet"]) == 0
    header, *recorded = read_csv(branch / "metrics.csv")
    replay_header, *replayed = read_csv(out / "metrics.csv")
    assert header == replay_header and [r[0] for r in recorded] == [str(s) for s in range(2, 17, 2)]
    # the CLI's last row is its final one (every metric measured): the earlier rows are compared whole
    assert recorded[:-1] == replayed[:-1]
    training = [header.index(c) for c in ("step", "loss_d", "loss_g", "penalty", "d_real", "d_fake")]
    assert [recorded[-1][i] for i in training] == [replayed[-1][i] for i in training]


def test_rewind_packet_and_refusal_with_the_stand_in(tmp_path):
    """The stand-in trainer rewinds too (it satisfies the protocol); the packet carries the snapshot steps and the
    branch step; a rewind before the first snapshot is refused with a message; the store stays under its cap."""
    from gan_studio.testing.synthetic import SyntheticTrainer
    from gan_studio.worker.protocol import Rewind
    from gan_studio.worker.timeline import Timeline

    class Fast(SyntheticTrainer):
        STEP_S = 0.0

    cfg = config.with_value(config.Config(), "train.log_every", 5)
    session = session_on(tmp_path, cfg, factory=Fast, every=10)
    size = session.trainer.state().nbytes()
    session.timeline = Timeline(every=10, cap_bytes=5 * size)
    for _ in range(300):
        assert session.train_step()
        assert session.timeline.nbytes <= 5 * size
    rows_before = session.rows[:]
    session.handle(Rewind(-5))
    assert session.messages[-1].startswith("refused: no snapshot") and session.trainer.step_count == 300
    at = session.timeline.steps()[-2]
    session.handle(Rewind(at + 3))
    session.emit()
    packet = session.packets.get_nowait()
    assert packet.branched_at == at == packet.step and packet.snapshots == session.timeline.steps()
    assert packet.snapshots[-1] == at and packet.rows == []
    for _ in range(300 - at):
        session.train_step()
    replayed = [r for r in session.rows if r["step"] > at]
    assert replayed == [r for r in rows_before if r["step"] > at]  # same state, same stand-in rows


# -- the window's timeline -------------------------------------------------------------------------------------
def test_snap_and_the_line():
    from gan_studio.gui.timeline import describe, snap

    assert snap([0, 200, 400], 399.9) == 200 and snap([0, 200, 400], 400) == 400 and snap([], 5) is None
    assert snap([100], 50) is None
    assert describe([0, 200], 450, None) == "2 snapshots" and describe([], 0, None) == "no snapshots"
    assert describe([0, 200], 450, 200) == "to step 200" and describe([0, 200], 200, 200) == "no change"


def test_drag_back_and_release_rewinds_to_the_snapshot_under_it(qtbot):
    from PyQt6 import QtCore

    from gan_studio.gui.timeline import TimelineBar

    bar = TimelineBar()
    qtbot.addWidget(bar)
    bar.resize(600, bar.height())
    bar.show()
    bar.show_state([0, 200, 400, 600], 700)
    got = []
    bar.rewind.connect(got.append)
    y = bar.height() // 2
    qtbot.mousePress(bar, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(int(bar.x_of(700)), y))
    qtbot.mouseMove(bar, QtCore.QPoint(int(bar.x_of(450)), y))
    assert bar.target == 400
    qtbot.mouseRelease(bar, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(int(bar.x_of(450)), y))
    assert got == [400] and bar.target is None
    # Escape while dragging: no rewind
    qtbot.mousePress(bar, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(int(bar.x_of(250)), y))
    assert bar.target == 200
    qtbot.keyClick(bar, QtCore.Qt.Key.Key_Escape)
    qtbot.mouseRelease(bar, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(int(bar.x_of(250)), y))
    assert got == [400]


def test_window_rewinds_and_shows_the_branch_past(make_window, qtbot):
    """Through the window and a spawned worker (stand-in trainer): train past two snapshots, drag the timeline
    back to the first, release: the history holds the rows up to it (read from the branch's record), then the
    branch's own rows."""
    from PyQt6 import QtCore

    from gan_studio.worker.protocol import Step
    from gan_studio.worker.timeline import SNAPSHOT_EVERY

    w = make_window()
    w.send(Step(SNAPSHOT_EVERY + 50))
    qtbot.waitUntil(lambda: w.latest.step == SNAPSHOT_EVERY + 50, timeout=60000)
    assert w.timeline.snapshots == [0, SNAPSHOT_EVERY] and w.history.last_step == SNAPSHOT_EVERY + 50
    bar, y = w.timeline, w.timeline.height() // 2
    at = QtCore.QPoint(int(bar.x_of(SNAPSHOT_EVERY + 20)), y)
    qtbot.mousePress(bar, QtCore.Qt.MouseButton.LeftButton, pos=at)
    qtbot.mouseRelease(bar, QtCore.Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: w.latest.branched_at == SNAPSHOT_EVERY, timeout=30000)
    assert w.latest.step == SNAPSHOT_EVERY and w.history.last_step == SNAPSHOT_EVERY
    assert "branch" in w.latest.recording
    w.send(Step(20))
    qtbot.waitUntil(lambda: w.latest.step == SNAPSHOT_EVERY + 20, timeout=30000)
    qtbot.waitUntil(lambda: w.history.last_step == SNAPSHOT_EVERY + 20, timeout=30000)
