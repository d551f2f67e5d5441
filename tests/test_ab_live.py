"""A/B live (File > Compare live: A/B…, gui/ab.py): run B trained beside the live run A in a second worker.

The check of issue 14: both runs' rows equal those of the two runs made separately. Each worker records its run
as it goes (metrics.csv of its record); the runs made separately are the Runner writing a run folder (the
synthetic trainer here, ``gan-studio run`` on the real engine in the slow test). No column holds wall-clock time,
so the files are compared byte for byte. Also: bad KEY=VALUE input is one status line and no B, "Stop comparing"
ends B's worker and takes its views and curves off, closing the window ends B's worker, and the lockstep keeps
a fast and a slow run within its gap (a pure simulation).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import configs
import numpy as np
import pytest

from gan_studio import config
from gan_studio.gui import ab, compare
from gan_studio.runner import Runner
from gan_studio.runs import RunWriter
from gan_studio.testing.synthetic import SyntheticTrainer
from gan_studio.worker.protocol import Pause, Play, Step

B_CHANGES = {"model.depth": 3}  # the synthetic trainer's rows depend on it (one gradient column per layer)


def separate_run(cfg: config.Config, steps: int, folder: Path) -> bytes:
    """metrics.csv of a run made alone through the Runner (the synthetic trainer), as the worker records it."""
    trainer = SyntheticTrainer(cfg)
    trainer.STEP_S = 0.0
    writer = RunWriter(folder, cfg, trainer.columns())
    Runner(trainer, recorder=writer).run(steps)
    writer.close()
    return (folder / "metrics.csv").read_bytes()


def rows_up_to(path: Path, step: int) -> bytes:
    """The header and the rows of metrics.csv up to ``step`` (a run played past it has more)."""
    lines = path.read_bytes().splitlines(keepends=True)
    return b"".join(lines[:1] + [line for line in lines[1:] if int(float(line.split(b",")[0])) <= step])


def started(w, qtbot, changes=None) -> ab.LiveAB:
    """A/B begun on window ``w`` and both runs at step 0 of their new records."""
    assert w.start_ab(dict(B_CHANGES if changes is None else changes)), w.status_message.text()
    live = w.ab
    qtbot.waitUntil(lambda: live.latest is not None and live.recording and live.a_counted, timeout=20000)
    return live


def test_both_runs_rows_equal_the_two_runs_made_separately(make_window, qtbot, tmp_path):
    cfg = configs.small()
    w = make_window(cfg)
    w.send(Step(7))  # A has a past: A/B restarts it from step 0
    qtbot.waitUntil(lambda: w.step == 7, timeout=5000)
    live = started(w, qtbot)
    assert live.cfg == config.with_value(cfg, "model.depth", 3)
    w.send(Step(40))  # mirrored: B takes the same 40 steps
    qtbot.waitUntil(lambda: w.step == 40 and live.step == 40, timeout=10000)
    a = (Path(w.recording) / "metrics.csv").read_bytes()
    b = (Path(live.recording) / "metrics.csv").read_bytes()
    assert a == separate_run(cfg, 40, tmp_path / "a")
    assert b == separate_run(live.cfg, 40, tmp_path / "b")
    assert a != b and a.count(b"\n") == b.count(b"\n") == 1 + 40 // 5  # a row every 5 steps, both
    # B's curves on A's plots are B's own rows
    assert list(live.history.get("grad_d_3").x) == [5.0 * k for k in range(1, 9)]
    assert w.history.get("grad_d_3") is None


@pytest.mark.slow  # two workers played for ~1 s, then two runs made separately: ~3.5 s; fast companion: the test
# above (the same check for steps) and the lockstep's simulation below
def test_playing_both_keeps_the_rows_of_the_runs_made_separately(make_window, qtbot, tmp_path):
    cfg = configs.small()
    w = make_window(cfg)
    live = started(w, qtbot)
    w.toggle_play()  # Space: both play
    assert w.sent[-1] == Play() and live.lock.playing
    qtbot.waitUntil(lambda: w.step >= 60 and live.step >= 60, timeout=15000)
    w.toggle_play()
    assert w.sent[-1] == Pause()
    qtbot.waitUntil(lambda: not w.latest.playing and not live.latest.playing and not live.lock.held, timeout=5000)
    qtbot.wait(300)  # the last packets after the pause
    last = min(w.step, live.step) // 5 * 5
    assert last >= 55
    assert rows_up_to(Path(w.recording) / "metrics.csv", last) == separate_run(cfg, last, tmp_path / "a")
    assert rows_up_to(Path(live.recording) / "metrics.csv", last) == separate_run(live.cfg, last, tmp_path / "b")
    # B's data view is the same kind as A's (2D ring8 points) and shows B's frames
    assert live.views.stack_b.currentWidget() is live.views.view2d and live.views.view2d.frames_drawn > 0


BAD = [("loss.name=nope", "line 1: loss.name"),
       ("optim.lr_d=0.001\nno equals sign", "line 2: expected KEY=VALUE"),
       ("no.such_key=3", "line 1:"),
       ("  \n# only a comment\n", "type at least one KEY=VALUE line"),
       ("data.name=mnist", "pick a data set of the same kind")]


def test_bad_changes_are_one_status_line_and_no_b(make_window):
    w = make_window()
    children = len(multiprocessing.active_children())
    for text, says in BAD:
        assert not w.start_ab(text)
        message = w.status_message.text()
        assert message.startswith("could not start A/B: ") and says in message and "\n" not in message, text
        assert w.ab is None and len(multiprocessing.active_children()) == children
        assert w.data_stack.parentWidget().layout().indexOf(w.data_stack) >= 0  # the data view untouched


def test_stop_comparing_ends_b_and_takes_its_views_and_curves_off(make_window, qtbot):
    w = make_window()
    home = w.data_stack.parentWidget().layout()
    index = home.indexOf(w.data_stack)
    live = started(w, qtbot)
    w.send(Step(20))
    qtbot.waitUntil(lambda: live.step == 20 and any(live.overlay.curves.values()), timeout=10000)
    assert w.series.compare is live.overlay and w.compare_bar.isVisible() and w.stop_compare_action.isEnabled()
    assert live.views.split.isVisible() and live.views.title_b.text().endswith("model.depth=3")
    worker = live.worker
    w.stop_comparing()
    assert w.ab is None and not worker.alive and not live.bridge.isRunning()
    assert w.series.compare is None and not w.compare_bar.isVisible() and not w.stop_compare_action.isEnabled()
    assert home.indexOf(w.data_stack) == index and w.data_stack.isVisible()
    assert w.status_message.text() == "stopped A/B: run B ended; A goes on"
    w.send(Step(3))  # A goes on alone
    qtbot.waitUntil(lambda: w.step == 23, timeout=5000)


def test_closing_the_window_ends_b_worker(make_window, qtbot):
    w = make_window()
    live = started(w, qtbot)
    worker = live.worker
    assert worker.alive
    w.close()
    assert not worker.alive and w.ab is None and not multiprocessing.active_children()


def test_lockstep_keeps_a_fast_and_a_slow_run_within_its_gap():
    """A plays 3 steps for B's 1; each command reaches its run one tick late (a packet's round trip). The run
    ahead waits, so the gap never exceeds the lockstep's gap plus what one tick of latency adds (3 steps)."""
    lock = ab.Lockstep(gap=10)
    lock.play()
    steps, speed, playing = {"a": 0, "b": 0}, {"a": 3, "b": 1}, {"a": True, "b": True}
    in_flight: list[tuple[str, object]] = []
    worst = 0
    for _ in range(600):
        for run, cmd in in_flight:  # last tick's commands arrive
            playing[run] = isinstance(cmd, Play)
        in_flight = lock.balance(steps["a"], steps["b"])
        for run in steps:
            steps[run] += speed[run] if playing[run] else 0
        worst = max(worst, abs(steps["a"] - steps["b"]))
    assert steps["b"] == 600 and 600 <= steps["a"] <= 600 + 10 + 2 * 3  # both went on, A never far ahead
    assert 10 < worst <= 10 + 2 * 3
    lock.pause()
    assert lock.balance(100, 0) == [] and not lock.held


def test_parse_changes_keeps_the_last_value_of_a_key_and_skips_comments():
    assert ab.parse_changes("# B\nloss.name = wgan\n\noptim.lr_d=1e-3\noptim.lr_d=2e-4") == {
        "loss.name": "wgan", "optim.lr_d": pytest.approx(2e-4, rel=1e-12)}


@pytest.mark.slow  # two engine workers and two `gan-studio run`s on the real engine: ~15 s on 2 shared cores
def test_on_the_real_engine_both_runs_rows_equal_gan_studio_run_of_each(make_window, qtbot, tmp_path):
    pytest.importorskip("torch")
    from gan_studio.cli import main

    cfg = configs.small()
    w = make_window(cfg, trainer=None)
    live = started(w, qtbot, {"loss.name": "hinge", "optim.lr_d": 5e-4})
    w.send(Step(20))
    qtbot.waitUntil(lambda: w.step == 20 and live.step == 20, timeout=60000)
    for name, run_cfg, record in (("a", cfg, w.recording), ("b", live.cfg, live.recording)):
        (tmp_path / f"{name}.toml").write_text(config.dumps(run_cfg))
        assert main(["run", "--config", str(tmp_path / f"{name}.toml"), "--steps", "25", "--out",
                     str(tmp_path / name)]) == 0
        alone = rows_up_to(tmp_path / name / "metrics.csv", 20)  # its row at 25 is the final full row
        assert rows_up_to(Path(record) / "metrics.csv", 20) == alone and alone.count(b"\n") == 1 + 4
    assert rows_up_to(Path(w.recording) / "metrics.csv", 20) != rows_up_to(Path(live.recording) / "metrics.csv", 20)


def test_a_recorded_b_shows_its_final_samples_in_a_data_view_of_its_own(make_window, qtbot, tmp_path):
    from test_compare import record_run

    b = record_run(tmp_path / "run-b")
    w = make_window()
    home = w.data_stack.parentWidget().layout()
    index = home.indexOf(w.data_stack)
    assert w.compare_with(str(b)), w.status_message.text()
    side = w.compared_side
    samples = np.load(b / "samples.npy")
    shown = np.column_stack(side.view2d.fake.getData())
    step = -(-len(samples) // compare.MAX_SAMPLES_DRAWN)  # every k-th sample, as the faint overlay picks them
    assert np.array_equal(shown, samples[::step].astype(float)) and len(shown) >= 1000
    assert side.stack_b.currentWidget() is side.view2d and "run-b" in side.title_b.text()
    assert np.array_equal(np.column_stack(side.view2d.real.getData()), w.latest.frame.real)  # B's data is A's
    w.stop_comparing()
    assert w.compared_side is None and home.indexOf(w.data_stack) == index


class DeeperIsSlower(SyntheticTrainer):
    """The synthetic trainer, 4× slower per step on a model of depth 3 (run B here): a B that falls behind."""

    def __init__(self, cfg: config.Config):
        super().__init__(cfg)
        self.STEP_S = SyntheticTrainer.STEP_S * (4 if cfg.model.depth == 3 else 1)


@pytest.mark.slow  # two workers played for ~2 s: ~5 s; fast companion: the lockstep's simulation above
def test_played_a_waits_for_a_slower_b(make_window, qtbot, tmp_path):
    w = make_window(configs.small(), trainer=DeeperIsSlower)
    live = started(w, qtbot)
    seen: list[tuple[int, int, str]] = []
    balance = live.lock.balance

    def watched(a: int, b: int):
        out = balance(a, b)
        seen.append((a, b, live.lock.held))
        return out

    live.lock.balance = watched
    w.toggle_play()
    qtbot.waitUntil(lambda: live.step >= 150, timeout=20000)
    assert w.playing  # shown as playing while it waits for B
    w.toggle_play()
    qtbot.waitUntil(lambda: not w.latest.playing and not live.latest.playing, timeout=5000)
    assert any(held == "a" for _, _, held in seen)  # A, 4× faster, was held for B
    # within the gap (5 steps) plus what A trains while a pause is on its way (a frame, ~1/32 s: ~10 steps; 60
    # allows for a loaded machine); free-running, A would be ~450 steps ahead by B's step 150
    assert max(a - b for a, b, _ in seen) <= 5 + 60
    last = min(w.step, live.step) // 5 * 5
    assert rows_up_to(Path(w.recording) / "metrics.csv", last) == separate_run(configs.small(), last, tmp_path / "a")


def test_an_error_in_b_while_playing_pauses_a_too(make_window, qtbot):
    """B fails at its first step (the stand-in trainer's NaN at lr_d ≥ 5): A, playing, pauses too and says why,
    instead of being held for ever waiting for B."""
    w = make_window(configs.small())
    live = started(w, qtbot, {"optim.lr_d": 5.0})
    w.send(Play())
    qtbot.waitUntil(lambda: bool(live.error), timeout=20000)
    qtbot.waitUntil(lambda: not w.playing and not live.lock.playing, timeout=10000)
    assert "A paused too" in w.status_message.text() and "non-finite" in w.status_message.text()
    assert live.lock.held == ""

