"""The worker protocol: commands in order, nothing lost when frames are dropped, errors pause, quit is prompt.

Most tests run a ``Session`` in a thread with plain ``queue.Queue`` objects and the NumPy-only
SyntheticTrainer (fast, no torch); two tests spawn real processes (one with the real engine).
"""

from __future__ import annotations

import threading
import time

import pytest
from sessions import Running

from gan_studio import config
from gan_studio.schedule import Schedule
from gan_studio.testing.synthetic import SyntheticTrainer
from gan_studio.worker.handle import WorkerHandle
from gan_studio.worker.protocol import (
    Apply,
    Pause,
    Play,
    RequestFrame,
    Restart,
    Speed,
    Step,
    describe_error,
)


@pytest.fixture
def run():
    made = []

    def make(**kw):
        r = Running(**kw)
        made.append(r)
        return r

    yield make
    for r in made:
        if r.thread.is_alive():
            r.stop()


def all_rows(packets):
    return [row for p in packets for row in p.rows]


def all_events(packets):
    return [e for p in packets for e in p.events]


def test_first_packet_is_a_paused_frame_of_the_config(run):
    r = run()
    p = r.until(lambda p: p.frame is not None)
    assert (p.playing, p.step, p.error, p.generation) == (False, 0, "", 1)
    assert p.cfg == config.to_dict(config.Config())
    assert p.frame.surface is not None  # paused frames always carry probes
    r.stop()


def test_commands_are_applied_in_order_between_steps(run):
    r = run()
    r.until(lambda p: p.frame is not None)
    r.send(Step(3))
    r.send(Apply("loss.name", "wgan"))
    r.send(Apply("optim.lr_d", 2e-4))
    r.send(Step(2))
    r.send(Apply("loss.name", "hinge"))
    p = r.until(lambda p: p.cfg["loss"]["name"] == "hinge")
    events = all_events(r.got)
    assert [(e["step"], e["what"], e["new"]) for e in events] == [
        (3, "loss.name", "wgan"), (3, "optim.lr_d", 2e-4), (5, "loss.name", "hinge")]
    assert p.step == 5
    r.stop()


def test_dropped_frames_lose_no_rows_or_events(run):
    """With a queue of size 1 that nobody reads, frames are dropped; every row still arrives later."""
    r = run(cfg=config.with_value(config.Config(), "train.log_every", 5), maxsize=1)
    r.send(Play())
    time.sleep(0.2)
    r.send(Apply("loss.name", "wgan"))
    time.sleep(0.4)  # ~100 steps, ~12 frames made, all but one dropped
    r.send(Pause())
    time.sleep(0.2)
    packets = r.read()
    r.send(RequestFrame())
    packets += r.read()
    steps = [row["step"] for row in all_rows(packets)]
    last = packets[-1].step
    assert last >= 40
    assert steps == list(range(5, last // 5 * 5 + 1, 5))  # every logged step exactly once, in order
    assert [e["what"] for e in all_events(packets)] == ["loss.name"]
    r.stop()


def test_refused_value_is_a_message_and_changes_nothing(run):
    r = run()
    r.until(lambda p: p.frame is not None)
    r.send(Apply("optim.lr_d", -1.0))
    p = r.until(lambda p: p.messages)
    assert "optim.lr_d" in p.messages[0] and "must be > 0" in p.messages[0]
    assert p.cfg["optim"]["lr_d"] == config.Config().optim.lr_d  # unchanged
    assert not p.events and not p.error
    r.stop()


def test_training_error_pauses_keeps_state_and_recovers(run):
    r = run()
    r.until(lambda p: p.frame is not None)
    r.send(Step(4))
    r.send(Apply("optim.lr_d", 5.0))  # the synthetic trainer raises like NonFiniteError at lr_d ≥ 5
    r.send(Play())
    p = r.until(lambda p: p.error)
    assert "non-finite" in p.error and "paused" in p.error
    assert (p.playing, p.step) == (False, 4)
    assert p.frame is not None  # the last good state is still drawn
    r.send(Apply("optim.lr_d", 1e-4))
    r.send(Step(1))
    p = r.until(lambda p: p.step == 5)
    assert p.error == ""
    r.stop()


def test_slow_motion_sends_one_step_per_frame(run):
    r = run()
    r.until(lambda p: p.frame is not None)
    r.send(Speed(1, 20.0))
    r.send(Play())
    r.until(lambda p: p.step >= 6, timeout=5)
    r.send(Pause())
    r.read()
    steps = [p.step for p in r.got if p.playing]
    assert len(steps) >= 5
    diffs = {b - a for a, b in zip(steps, steps[1:], strict=False)}
    assert diffs == {1}
    r.stop()


def test_schedule_applies_changes_after_their_step(run):
    r = run(at_schedule=[(7, "loss.name", "wgan"), (0, "lipschitz.name", "gp")])
    r.until(lambda p: p.frame is not None)
    r.send(Step(10))
    r.until(lambda p: p.step == 10)
    assert [(e["step"], e["what"]) for e in all_events(r.got)] == [(0, "lipschitz.name"), (7, "loss.name")]
    r.stop()


def test_restart_starts_a_new_generation_and_a_bad_one_keeps_the_run(run):
    r = run()
    r.until(lambda p: p.frame is not None)
    r.send(Step(3))
    cfg = config.to_dict(config.with_value(config.Config(), "data.name", "gauss1d"))
    r.send(Restart(cfg))
    p = r.until(lambda p: p.generation == 2)
    assert (p.step, p.frame.dim, p.cfg["data"]["name"]) == (0, 1, "gauss1d")
    r.send(Restart({"data": {"name": "nope"}}))
    p = r.until(lambda p: p.messages)
    assert "data.name" in p.messages[0] and "allowed" in p.messages[0]
    assert (p.generation, p.cfg["data"]["name"]) == (2, "gauss1d")
    r.stop()


def test_schedule_and_error_helpers():
    assert Schedule([(5, "loss.name", "wgan"), (2, "optim.lr_d", 1e-3)]).items == [
        (2, "optim.lr_d", 1e-3), (5, "loss.name", "wgan")]

    class OutOfMemoryError(RuntimeError):
        pass

    text = describe_error(OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"), "cuda:0")
    assert "out of memory on cuda:0" in text and "batch_size" in text
    assert describe_error(RuntimeError("boom")).startswith("training stopped by RuntimeError: boom")


def test_surfaces_are_probed_on_a_coarser_grid_while_playing(run):
    from gan_studio.worker.pacing import PLAYING_GRID

    r = run()
    r.until(lambda p: p.frame is not None)
    r.send(Play())
    playing = r.until(lambda p: p.playing and p.probed and p.frame is not None and p.frame.surface is not None)
    assert playing.frame.surface.score.shape == (PLAYING_GRID, PLAYING_GRID)
    r.send(Pause())
    paused = r.until(lambda p: not p.playing and p.frame is not None and p.frame.surface is not None)
    assert paused.frame.surface.score.shape == (100, 100)  # metrics.grid, in full
    r.stop()


class SlowTrainer(SyntheticTrainer):
    """A trainer stuck in a long step: the handle must terminate it after its 2 s timeout."""

    def step(self, pause=None):
        time.sleep(30)


def test_spawned_worker_quits_promptly_and_a_stuck_one_is_terminated():
    w = WorkerHandle(config.Config(), trainer_factory=SyntheticTrainer)
    w.start()
    first = None
    end = time.monotonic() + 30
    while first is None and time.monotonic() < end:
        first = w.get(0.2)
    assert first is not None and first.frame is not None
    w.send(Play())
    time.sleep(0.3)
    t0 = time.monotonic()
    assert w.stop() is True  # ended by itself
    assert time.monotonic() - t0 < 2.0
    assert not w.process.is_alive()

    stuck = WorkerHandle(config.Config(), trainer_factory=SlowTrainer)
    stuck.start()
    end = time.monotonic() + 30
    while stuck.get(0.2) is None and time.monotonic() < end:
        pass
    stuck.send(Step(1))
    time.sleep(0.2)
    t0 = time.monotonic()
    assert stuck.stop(timeout=1.0) is False  # had to be terminated
    assert time.monotonic() - t0 < 2.0
    assert not stuck.process.is_alive()


def test_real_engine_trains_in_a_spawned_process():
    pytest.importorskip("torch")
    cfg = config.with_value(config.Config(), "train.batch_size", 64)
    w = WorkerHandle(cfg)
    w.start()
    try:
        w.send(Play())
        end = time.monotonic() + 60
        p = None
        while time.monotonic() < end:
            p = w.get(0.2) or p
            if p is not None and p.step >= 20:
                break
        assert p is not None and p.step >= 20, p and (p.error, p.messages)
        assert p.error == "" and p.frame is not None and p.frame.fake.shape[1] == 2
    finally:
        t0 = time.monotonic()
        w.stop()
        assert time.monotonic() - t0 < 2.5


def test_play_until_pauses_at_the_step_and_a_restart_carries_its_schedule(run):
    from gan_studio.worker.protocol import DropSchedule, PlayUntil

    r = run()
    r.until(lambda p: p.frame is not None)
    r.send(PlayUntil(25))
    p = r.until(lambda p: p.step >= 25 and not p.playing)
    assert p.step == 25
    cfg = config.to_dict(config.Config())
    r.send(Restart(cfg, schedule=((0, "optim.lr_g", 2e-4), (10, "loss.name", "wgan"), (30, "loss.name", "hinge"))))
    r.send(PlayUntil(20))
    p = r.until(lambda p: p.generation == 2 and p.step == 20 and not p.playing)
    events = [e for q in r.got if q.generation == 2 for e in q.events]
    assert [(e["step"], e["what"], e["new"]) for e in events] == [(0, "optim.lr_g", 2e-4), (10, "loss.name", "wgan")]
    r.send(DropSchedule())
    r.send(PlayUntil(40))
    p = r.until(lambda p: p.step == 40 and not p.playing)
    assert p.cfg["loss"]["name"] == "wgan"  # the change at 30 was dropped
    r.stop()


def test_a_packet_cut_short_by_a_killed_worker_never_blocks_the_window():
    """A worker killed while writing leaves half a packet in the pipe; reading it would block for ever (a window's
    close hung so). Planted here: a length header promising 100 bytes and 10 of them, then SIGKILL."""
    import os
    import signal
    import struct

    w = WorkerHandle(config.Config(), trainer_factory=SyntheticTrainer)
    child_end = os.dup(w.packets._writer.fileno())  # the pipe's write end as the child holds it (the window's
    w.start()  # own is closed at start: worker.handle.read_only_here)
    end = time.monotonic() + 30
    while w.get(0.2) is None and time.monotonic() < end:
        pass
    os.kill(w.process.pid, signal.SIGKILL)
    w.process.join(5)
    os.write(child_end, struct.pack("!i", 100) + b"x" * 10)
    os.close(child_end)
    got = []
    reader = threading.Thread(target=lambda: got.append((w.get(0.1), w.stop())), daemon=True)
    reader.start()
    reader.join(3.0)  # in a thread: a regression hangs this thread, not the test suite
    assert not reader.is_alive(), "reading the pipe of a killed worker blocked"
    assert got[0][0] is None
