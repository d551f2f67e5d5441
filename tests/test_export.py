"""Exports (issue #14): the video / GIF of a run, TensorBoard event files, and the command line that replays a run.

Videos and GIFs are read back with imageio (frame count and size); the TensorBoard file with TensorBoard's own
``EventAccumulator`` (tags and steps); the command line is run, and must give the same metrics.csv as the
events-based replay. The window-drawing tests train the NumPy stand-in trainer; one CLI test trains the engine.
"""

import dataclasses
import shlex

import numpy as np
import pytest

from gan_studio import config as C
from gan_studio.cli import main
from gan_studio.config import Config, ConfigError
from gan_studio.export.command import closest_base, run_command
from gan_studio.export.pictures import data_picture, histogram_1d, image_grid, scatter_2d
from gan_studio.export.tensorboard import scalar_tag
from gan_studio.export.video import VideoWriter, check_frames, check_start, check_video_path, fit, frame_steps
from gan_studio.frames import Frame
from gan_studio.runs import read_events, read_metrics
from gan_studio.testing.synthetic import SyntheticTrainer

imageio = pytest.importorskip("imageio.v2")

SMALL = ["--set", "model.hidden=16", "--set", "train.batch_size=32", "--set", "metrics.n_samples=300",
         "--set", "metrics.every=20", "--set", "metrics.ot_every=40", "--set", "train.log_every=10"]


def read_video(path) -> list[np.ndarray]:
    with imageio.get_reader(path) as reader:
        return [np.asarray(f) for f in reader]


# -- video ----------------------------------------------------------------------------------------------------
def test_frame_steps_are_even_distinct_and_end_at_the_last_step():
    assert frame_steps(300, 4) == [0, 100, 200, 300]
    assert frame_steps(5, 150) == [0, 1, 2, 3, 4, 5]  # never more than one frame a step
    assert frame_steps(0, 10) == [0]
    steps = frame_steps(20_000, 150)
    assert len(steps) == 150 and steps[-1] == 20_000 and steps == sorted(set(steps))


@pytest.mark.parametrize("steps, frames, start", [(300, 4, 60), (60, 7, 30), (20_000, 150, 12_345), (10, 100, 7),
                                                  (1000, 3, 999), (1000, 150, 0), (97, 13, 41), (5, 1, 2)])
def test_frame_steps_of_a_stretch_follow_the_closed_form(steps, frames, start):
    got = frame_steps(steps, frames, start)
    n = min(frames, steps - start + 1)
    assert len(got) == n and got[-1] == steps  # as many as asked (at most one a step), ending at the run's end
    assert got == sorted(set(got)) and got[0] >= start
    if n > 1:
        # frame i at start + i·(steps − start)/(n − 1), rounded: within half a step either way of the exact place
        assert got[0] == start
        for i, step in enumerate(got):
            assert step == pytest.approx(start + i * (steps - start) / (n - 1), abs=0.5)


def test_frame_steps_of_a_stretch_by_hand():
    assert frame_steps(300, 4, 60) == [60, 140, 220, 300]
    assert frame_steps(10, 100, 7) == [7, 8, 9, 10]  # never more than one frame a step
    assert frame_steps(10, 1, 3) == frame_steps(10, 1) == [10]  # one frame: the last step, not the first
    assert frame_steps(300, 4, 0) == frame_steps(300, 4)


def test_video_from_is_checked_in_one_line():
    check_start(0, 1)
    check_start(19, 20)
    for start in (-1, 20, 25):
        with pytest.raises(ConfigError, match=rf"^--video-from: expected a step from 0 to 19 \(below --steps 20\), "
                                              rf"got {start}$"):
            check_start(start, 20)
    with pytest.raises(ConfigError, match=r"^--video-from: the run has no steps to start at \(--steps 0\)"):
        check_start(0, 0)


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_video_writer_streams_frames_of_one_size(tmp_path, suffix):
    path = tmp_path / f"clip{suffix}"
    with VideoWriter(path, fps=10) as writer:
        for i in range(7):
            picture = np.full((61, 81, 3), 255, np.uint8)
            picture[:, i * 10:i * 10 + 10] = (200, 40, 20)
            writer.append(picture if i != 3 else picture[:50, :70])  # a frame a few pixels short is padded
    frames = read_video(path)
    assert len(frames) == 7
    expected = (61, 81) if suffix == ".gif" else (60, 80)  # H.264 / yuv420p: even sides
    assert {f.shape[:2] for f in frames} == {expected}
    assert frames[0][:, 2, 0].mean() > 150 and frames[0][:, 2, 1].mean() < 100  # the red bar at the left
    assert fit(np.zeros((3, 3, 3), np.uint8), 4, 5)[3, 4].tolist() == [255, 255, 255]


def test_video_options_are_checked_before_training(tmp_path):
    with pytest.raises(ConfigError, match=r"--video: expected a \.mp4 or \.gif"):
        check_video_path(tmp_path / "x.avi")
    with pytest.raises(ConfigError, match="does not exist"):
        check_video_path(tmp_path / "no" / "x.gif")
    with pytest.raises(ConfigError, match="--frames"):
        check_frames(0, 30)
    with pytest.raises(ConfigError, match="--fps"):
        check_frames(10, 0)


def test_render_video_gif_of_the_data_view_and_the_final_png(tmp_path, qtbot):
    from PyQt6 import QtGui

    from gan_studio.gui.render import render_video

    gif, png = tmp_path / "run.gif", tmp_path / "end.png"
    err = render_video(Config(), 60, gif, frames=7, fps=10, view="data", out_png=png, size=(1000, 700),
                       at_schedule=[(30, "loss.name", "wgan")], trainer_factory=SyntheticTrainer)
    assert err == ""
    frames = read_video(gif)
    assert len(frames) == len(frame_steps(60, 7)) == 7
    height, width = frames[0].shape[:2]
    assert {f.shape[:2] for f in frames} == {(height, width)}
    assert 200 < height < 700 and 150 < width < 1000  # the data view, not the whole window
    assert all(f.std() > 20 for f in frames)  # drawn, not blank
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1  # the run moved
    image = QtGui.QImage(str(png))
    assert (image.width(), image.height()) == (1000, 700)


def test_render_video_mp4_of_the_whole_window(tmp_path, qtbot):
    from gan_studio.gui.render import render_video

    mp4 = tmp_path / "run.mp4"
    assert render_video(Config(), 40, mp4, frames=5, view="window", size=(900, 600),
                        trainer_factory=SyntheticTrainer) == ""
    frames = read_video(mp4)
    assert len(frames) == 5 and frames[0].shape == (600, 900, 3)
    with pytest.raises(ConfigError, match="--video-view"):
        render_video(Config(), 10, mp4, view="plots", trainer_factory=SyntheticTrainer)


@pytest.mark.slow  # 4.6 s through the command line; render_video itself is tested above in the default run
def test_render_command_writes_a_video_without_out(tmp_path, capsys):
    pytest.importorskip("torch")
    gif = tmp_path / "cli.gif"
    code = main(["render", "--steps", "20", "--video", str(gif), "--frames", "3", "--size", "800x600", *SMALL])
    assert code == 0, capsys.readouterr().err
    assert len(read_video(gif)) == 3
    assert main(["render", "--steps", "20"]) == 2
    assert "give --out FILE.png, --video" in capsys.readouterr().err


def stream_here(cfg, steps, at, at_schedule=(), trainer_factory=None, progress=False):
    """``worker.handle.stream_from_child`` without the child (its spawn costs ~2 s of imports): the same packets
    from the same training code (``worker.oneshot.stream_packets``), made in this process before the first one.
    Their steps/s (a measured time the window shows, so the layout follows it) is set to one value."""
    from gan_studio.schedule import Schedule
    from gan_studio.worker.oneshot import stream_packets

    made = []

    class Queue:  # stream_packets only puts
        put = staticmethod(made.append)

    stream_packets(Queue, C.to_dict(cfg), steps, sorted(at), list(Schedule(at_schedule).items), trainer_factory)
    for item in made:
        if isinstance(item, BaseException):
            raise item
        if item is not None:
            yield dataclasses.replace(item, steps_per_s=1000.0)


def test_render_video_of_a_stretch_starts_at_its_first_step(tmp_path, qtbot, monkeypatch):
    from gan_studio.gui.render import OffscreenWindow, render_video
    from gan_studio.worker import handle

    asked = []

    def stream(cfg, steps, at, *rest):
        asked.append((steps, list(at)))
        return stream_here(cfg, steps, at, *rest)

    monkeypatch.setattr(handle, "stream_from_child", stream)
    kw = dict(fps=10, size=(800, 600), at_schedule=[(20, "loss.name", "wgan")], trainer_factory=SyntheticTrainer)
    # the first window a process makes lays out a few pixels apart from the later ones (the data view 241 vs 233 px
    # wide at 800×600): one made first, so that both videos compared below come from later ones
    OffscreenWindow(C.to_dict(Config()), kw["size"]).close()
    stretch, whole = tmp_path / "stretch.gif", tmp_path / "whole.gif"
    assert render_video(Config(), 60, stretch, frames=3, start=30, **kw) == ""
    assert render_video(Config(), 60, whole, frames=5, **kw) == ""
    # the stretch's run is trained from 0 to 60 still, its frames taken from step 30 on
    assert asked == [(60, [30, 45, 60]), (60, [0, 15, 30, 45, 60])]
    frames, run = read_video(stretch), read_video(whole)
    assert len(frames) == 3 and {f.shape for f in frames} == {run[0].shape}
    # the stretch's frames are the whole run's steps 30, 45 and 60 to the pixel (same pictures, same GIF palettes);
    # the run's step 15 is not the first of them
    assert all(np.array_equal(f, r) for f, r in zip(frames, run[2:], strict=True))
    assert not np.array_equal(frames[0], run[1])
    with pytest.raises(ConfigError, match=r"^--video-from: expected a step from 0 to 59"):
        render_video(Config(), 60, stretch, start=60, **kw)


@pytest.mark.parametrize("value, message", [
    ("-1", "gan-studio: error: --video-from: expected a step from 0 to 19 (below --steps 20), got -1"),
    ("20", "gan-studio: error: --video-from: expected a step from 0 to 19 (below --steps 20), got 20"),
    ("abc", "gan-studio render: error: argument --video-from: invalid int value: 'abc'; the form: --video-from A"),
    ("2.5", "gan-studio render: error: argument --video-from: invalid int value: '2.5'; the form: --video-from A"),
])
def test_render_video_from_out_of_range_is_one_line_and_exit_2(value, message, tmp_path, capsys):
    argv = ["render", "--steps", "20", "--video", str(tmp_path / "x.gif"), "--video-from", value]
    try:
        code = main(argv)
    except SystemExit as caught:  # argparse's own errors (not a whole number) exit from the parser
        code = caught.code
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert lines[0] == message
    assert lines[1:] in ([], ["gan-studio render: see `gan-studio render --help`"])  # the parser's --help hint
    assert not (tmp_path / "x.gif").exists()


def test_render_video_from_without_a_video_is_one_line(tmp_path, capsys):
    assert main(["render", "--steps", "20", "--out", str(tmp_path / "x.png"), "--video-from", "5"]) == 2
    assert capsys.readouterr().err.strip() == "gan-studio: error: --video-from: only with --video FILE.mp4|FILE.gif"


@pytest.mark.slow  # two engine runs through the command line: ~12 s; render_video of a stretch is tested above
def test_render_command_writes_a_stretch_of_the_run(tmp_path, capsys):
    pytest.importorskip("torch")
    from gan_studio.gui.render import OffscreenWindow

    OffscreenWindow(C.to_dict(Config()), (800, 600)).close()  # the first window's layout is apart: see above
    stretch, whole = tmp_path / "stretch.gif", tmp_path / "whole.gif"
    args = ["--steps", "20", "--size", "800x600", *SMALL]
    assert main(["render", "--video-from", "12", "--frames", "3", "--video", str(stretch), *args]) == 0
    assert main(["render", "--frames", "6", "--video", str(whole), *args]) == 0  # steps 0, 4, 8, 12, 16, 20
    frames, run = read_video(stretch), read_video(whole)
    assert len(frames) == 3 and len(run) == 6 and frames[0].shape == run[0].shape  # steps 12, 16, 20
    # the stretch's frames are the same run's steps 12, 16 and 20 to the pixel (same pictures, same GIF palettes);
    # the run's step 8 is not the first of them
    assert all(np.array_equal(f, r) for f, r in zip(frames, run[3:], strict=True))
    assert not np.array_equal(frames[0], run[2])


# -- TensorBoard ----------------------------------------------------------------------------------------------
def test_scalar_tags_follow_the_column_registry():
    assert scalar_tag("w1_fast", "2d") == "w1/w1_fast"
    assert scalar_tag("loss_d", "1d") == "losses/loss_d"
    assert scalar_tag("grad_d_2", "2d") == "grads/grad_d_2"
    assert scalar_tag("classes", "image") == "modes/classes"
    assert scalar_tag("penalty", "2d") == "other/penalty"  # in no panel


def test_tensorboard_event_file_reads_back_and_leaves_the_run_unchanged(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    args = ["run", "--steps", "40", "--quiet", *SMALL, "--at", "20", "loss.name=wgan"]
    assert main([*args, "--out", str(tmp_path / "plain")]) == 0
    assert main([*args, "--out", str(tmp_path / "tb_run"), "--tensorboard", str(tmp_path / "tb"),
                 "--tensorboard-pictures", "2"]) == 0
    metrics = (tmp_path / "tb_run" / "metrics.csv").read_bytes()
    assert metrics == (tmp_path / "plain" / "metrics.csv").read_bytes()  # pictures do not touch training

    board = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    board.Reload()
    header, rows = read_metrics(tmp_path / "tb_run" / "metrics.csv")
    tags = board.Tags()
    assert {"losses/loss_d", "losses/loss_g", "w1/w1_fast", "js/js", "grads/grad_d_0"} <= set(tags["scalars"])
    assert set(tags["scalars"]) <= {scalar_tag(name, "2d") for name in header}
    assert [e.step for e in board.Scalars("losses/loss_d")] == [10, 20, 30, 40]
    assert [e.value for e in board.Scalars("losses/loss_d")] == pytest.approx([r["loss_d"] for r in rows], rel=1e-6)
    assert [e.step for e in board.Scalars("w1/w1")] == [r["step"] for r in rows if r["w1"] is not None]
    [event] = board.Tensors("events")
    assert event.step == 20 and event.tensor_proto.string_val[0].decode() == "loss.name: ns → wgan"
    assert [i.step for i in board.Images("data/view")] == [20, 40]  # every 2nd row; the end is one of them
    assert board.Images("data/view")[0].width == 256


def test_pictures_are_drawn_with_numpy():
    bounds = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    picture = scatter_2d(np.zeros((5, 2)), np.array([[1.0, 1.0], [np.nan, 0.0]]), bounds, size=64)
    assert picture.shape == (64, 64, 3) and picture.dtype == np.uint8
    assert picture[0, 63].tolist() == [230, 110, 20]  # (1, 1) is the top right corner; the NaN is left out
    assert picture[32, 32].tolist() == [150, 150, 150]
    assert histogram_1d(np.zeros((50, 1)), np.ones((50, 1)), np.array([[-2.0, 2.0]])).shape == (256, 256, 3)
    grid = image_grid(np.random.default_rng(0).random((10, 1, 8, 8)))
    assert grid.shape == (4 * 34 + 2, 4 * 34 + 2, 3)
    frame = Frame(step=0, dim=64, loss="ns", lipschitz="none", bounds=np.zeros((0, 2)),
                  real=np.zeros((4, 1, 8, 8)), fake=np.ones((4, 1, 8, 8)))
    assert data_picture(frame).shape == (2 * 34 + 2, 2 * 34 + 2, 3)


# -- copy as command ------------------------------------------------------------------------------------------
def test_the_command_names_the_closest_preset_and_only_the_keys_that_differ():
    from gan_studio.presets import load_preset

    cfg = C.with_value(load_preset("ring8-wgan-gp"), "model.hidden", 16)
    assert closest_base(cfg) == ("ring8-wgan-gp", ["model.hidden=16"])
    events = [{"step": 20, "what": "optim.lr_d", "old": 1e-4, "new": 3e-4},
              {"step": 30, "what": "step_d", "old": None, "new": None},
              {"step": 40, "what": "reset", "old": None, "new": 7}]
    assert run_command(cfg, events, 50, out="my run") == (
        "gan-studio run --preset ring8-wgan-gp --set model.hidden=16 --at 20 optim.lr_d=0.0003 --at 30 step_d "
        "--at 40 reset --steps 50 --out 'my run'")
    assert run_command(Config(), [], 10, out="x") == "gan-studio run --steps 10 --out x"  # the defaults
    far = run_command(cfg, events, 50, out="x", config_path="r/config.toml", events_path="r/events.jsonl",
                      max_sets=0)
    assert far == "gan-studio run --config r/config.toml --events r/events.jsonl --steps 50 --out x"


def test_the_command_reproduces_the_run(tmp_path):
    pytest.importorskip("torch")
    first = tmp_path / "first"
    assert main(["run", "--steps", "40", "--quiet", "--out", str(first), *SMALL, "--seed", "5",
                 "--at", "10", "optim.lr_d=0.0005", "--at", "20", "step_d", "--at", "30", "loss.name=hinge"]) == 0
    cfg, events = C.load(first / "config.toml"), read_events(first / "events.jsonl")
    by_preset = run_command(cfg, events, 40, out=str(tmp_path / "by_preset"))
    by_events = run_command(cfg, events, 40, out=str(tmp_path / "by_events"), config_path=str(first / "config.toml"),
                            events_path=str(first / "events.jsonl"), max_sets=0)
    assert "--at 20 step_d" in by_preset and "--set train.seed=5" in by_preset and "--config" not in by_preset
    assert "--events" in by_events
    for line in (by_preset, by_events):
        words = shlex.split(line)
        assert words[:2] == ["gan-studio", "run"]
        assert main([*words[1:], "--quiet"]) == 0
    reference = (first / "metrics.csv").read_bytes()
    assert (tmp_path / "by_preset" / "metrics.csv").read_bytes() == reference
    assert (tmp_path / "by_events" / "metrics.csv").read_bytes() == reference
