"""The frame planner (worker.pacing): a pure object, tested on known typical costs and a fake clock."""

from __future__ import annotations

import pytest

from gan_studio.worker.pacing import PLAYING_GRID, PROBE_MAX_INTERVAL_S, PROBE_SHARE, FramePlanner, playing_grid


def planned() -> FramePlanner:
    p = FramePlanner(can_skip_probes=True)
    for _ in range(5):
        p.step_done(0.006, 0.0, measured=False)
    for cost in (0.030, 0.032, 0.031):  # median 31 ms
        p.step_done(0.006, cost, measured=True)
    p.frame_costs[False].extend([0.002] * 3)
    p.frame_costs[True].extend([0.020, 0.030, 0.020])  # median 20 ms
    p.next_frame_t, p.next_probe_t = 100.0, 200.0
    return p


def test_frames_are_planned_around_step_measurement_and_probe_costs():
    """A frame is made when one more step would land it further past its due time than stopping now falls
    short; before a measured step, and before a probed frame, it starts early by their cost, so no interval
    stretches by a measurement or a probe."""
    p = planned()
    due = 100.0 - 0.002  # a cheap frame must start 2 ms before it is due ...
    assert not p.frame_due(due - 0.0035, next_step_measures=False)  # ... and half a step (3 ms) of slack decides
    assert p.frame_due(due - 0.0025, next_step_measures=False)
    # the next step costs 6 + 31 ms: the frame goes first
    assert p.frame_due(due - 0.003 - 0.030, next_step_measures=True)
    assert not p.frame_due(due - 0.003 - 0.032, next_step_measures=True)  # that step still fits before it
    # asked in the middle of a measurement: the measurement is under way, its cost no longer counts
    assert not p.frame_due(due - 0.003 - 0.030, next_step_measures=True, before_step=False)
    p.next_probe_t = 99.9  # due by the frame's due time: this frame carries probes and costs 20 ms
    assert p.next_frame_probed(playing=True)
    assert p.frame_due(100.0 - 0.020 - 0.0025, False) and not p.frame_due(100.0 - 0.020 - 0.0035, False)
    p.next_probe_t = 100.1  # due only after it: a cheap frame, even when the clock passes 100.1 meanwhile
    assert not p.next_frame_probed(playing=True)
    assert p.next_frame_probed(playing=False)  # paused: every frame is probed


def test_each_kind_of_frame_stays_under_its_share_of_the_time():
    p = FramePlanner(can_skip_probes=True)
    p.frame_made(10.0, 10.002, probed=False, fps=32.0)  # cheap, 2 ms: the next one after 1/32 s
    assert p.next_frame_t == pytest.approx(10.002 + 1 / 32, abs=1e-12)
    p.frame_made(20.0, 20.020, probed=True, fps=32.0)  # probed, 20 ms: ≤ 5 % of the time → every 0.4 s
    assert p.next_probe_t == pytest.approx(20.0 + 0.020 / PROBE_SHARE, abs=1e-12)
    p.frame_made(30.0, 30.200, probed=True, fps=32.0)  # slow probes (median 110 ms): at least once a second
    assert p.next_probe_t == pytest.approx(30.0 + PROBE_MAX_INTERVAL_S, abs=1e-12)
    p.restart_clock()
    assert p.next_frame_t == 0.0


def test_a_trainer_that_cannot_skip_probes_makes_every_frame_probed():
    p = FramePlanner(can_skip_probes=False)
    p.next_frame_t, p.next_probe_t = 1.0, 5.0
    assert p.next_frame_probed(playing=True)


def test_playing_grid_is_capped():
    assert playing_grid(100) == PLAYING_GRID and playing_grid(40) == 40
