"""The ``gan-studio`` command: the window by default; ``run``, ``render``, ``lesson``, ``presets``, ``bench``
sub-commands.

Heavy imports (torch, Qt) happen inside the sub-command that needs them, so ``--help`` and ``presets``
answer at once and errors in arguments are reported before anything is loaded.
"""

from __future__ import annotations

import argparse
import os
import sys

from gan_studio import __version__
from gan_studio import config as C
from gan_studio.config import Config, ConfigError
from gan_studio.export.tensorboard import PICTURE_EVERY
from gan_studio.export.video import DEFAULT_FPS, DEFAULT_FRAMES, check_start

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line naming the option and its form, then a hint for ``--help`` (not the
    whole usage)."""

    def _form(self, name: str) -> str:
        for action in self._actions:
            if name in action.option_strings or name in (action.dest, action.metavar):
                metavar = action.metavar or (action.dest.upper() if action.nargs != 0 else None)
                if action.choices and not action.metavar:
                    metavar = "{" + ",".join(map(str, action.choices)) + "}"
                if isinstance(metavar, tuple):
                    metavar = " ".join(metavar)
                return f"{name} {metavar}" if metavar and action.option_strings else name
        return name

    def error(self, message: str):
        """Print ``gan-studio CMD: error: ...`` with the allowed form of the option, a ``--help`` hint; exit 2."""
        names = []
        if message.startswith("argument "):
            names = [message.removeprefix("argument ").split(":", 1)[0].split("/")[0]]
        elif "arguments are required:" in message:
            names = [n.strip() for n in message.split(":", 1)[1].split(",")]
        forms = [self._form(n) for n in names if self._form(n) != n]
        allowed = f"; the form: {', '.join(forms)}" if forms else ""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{allowed}\n{self.prog}: see `{self.prog} --help`\n")


def _add_experiment_args(p: argparse.ArgumentParser) -> None:
    """The options that say which experiment to run (shared by run, render and gui)."""
    source = p.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME", help="a shipped experiment (see `gan-studio presets`)")
    source.add_argument("--config", metavar="FILE.toml", help="a config file, e.g. a run folder's config.toml")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                   help="override one config value, e.g. --set loss.name=wgan (repeatable)")
    p.add_argument("--at", metavar=("STEP", "KEY=VALUE"), nargs=2, action="append", default=[],
                   help="apply a change after STEP completes, e.g. --at 100 loss.name=wgan (repeatable); "
                        "actions: step_d, step_g, reset, reseed=SEED")
    p.add_argument("--events", metavar="FILE.jsonl", help="replay a run folder's events.jsonl as --at changes")
    p.add_argument("--seed", type=int, metavar="S", help="random seed (same as --set train.seed=S)")
    p.add_argument("--device", metavar="auto|cpu|cuda", help="where to train (same as --set train.device=…)")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = _Parser(prog="gan-studio", description="Watch a GAN learn. With no command, opens "
                                     "the studio window on the default experiment.")
    parser.add_argument("--version", action="version", version=f"gan-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the studio window (the default)")
    _add_experiment_args(gui)
    gui.add_argument("--run", metavar="DIR", help="open a saved run folder (File > Save run…, or `gan-studio run "
                     "--out`) and continue it: its weights, step count and curves")

    run = sub.add_parser("run", help="train headless and write a run folder")
    _add_experiment_args(run)
    run.add_argument("--steps", type=int, required=True, metavar="N", help="number of training steps")
    run.add_argument("--out", required=True, metavar="DIR", help="run folder to write")
    run.add_argument("--quiet", action="store_true", help="no progress line")
    run.add_argument("--seeds", type=int, metavar="N", help="train N runs with seeds S … S+N−1 at once as one "
                     "batched model (same as --set train.seeds=N); prints a summary over seeds at the end")
    run.add_argument("--threads", type=int, default=1, metavar="N",
                     help="CPU threads for torch (default 1: small nets run fastest on one, and 2 threads on "
                          "a busy 2-core machine oversubscribe it; a seed ensemble gains from free cores: "
                          "--seeds 32 --threads 2 on 2 idle cores, 3.2x one run's member-steps/s)")
    run.add_argument("--tensorboard", metavar="DIR", help="also write TensorBoard event files to DIR: every metrics "
                     "row as scalars (panel/column), events as text, the data view as an image")
    run.add_argument("--tensorboard-pictures", type=int, default=PICTURE_EVERY, metavar="N",
                     help=f"logged rows between data-view pictures in TensorBoard (default {PICTURE_EVERY}; one "
                          "more at the end)")

    render = sub.add_parser("render", help="train headless and save the whole window as a PNG (and/or a video)")
    _add_experiment_args(render)
    render.add_argument("--steps", type=int, required=True, metavar="N", help="number of training steps")
    render.add_argument("--out", metavar="FILE.png", help="PNG file to write (the window at the end)")
    render.add_argument("--video", metavar="FILE.mp4|FILE.gif",
                        help="also write an animation of the run: the window drawn every steps/frames steps")
    render.add_argument("--frames", type=int, default=DEFAULT_FRAMES, metavar="N",
                        help=f"video frames over the run (default {DEFAULT_FRAMES}; at most one per step)")
    render.add_argument("--video-from", type=int, metavar="A",
                        help="a stretch of the run: frames from step A to --steps N only (the run is still "
                             "trained from step 0); 0 ≤ A < N")
    render.add_argument("--fps", type=float, default=DEFAULT_FPS, metavar="F",
                        help=f"video frames per second (default {DEFAULT_FPS:g})")
    render.add_argument("--video-view", default="data", metavar="data|window",
                        help="what the video shows: the data view (default) or the whole window")
    render.add_argument("--size", default="1600x1000", metavar="WxH", help="window size in pixels")
    render.add_argument("--scale", type=float, default=1.0, metavar="S",
                        help="view scale of fonts, markers and lines, as the window's View > Scale (1 = 100 %%, "
                             "1.5, 2 for a projector)")
    render.add_argument("--theme", default="light", metavar="light|dark",
                        help="colour theme (light reads best on a projector)")

    lesson = sub.add_parser("lesson", help="play a guided lesson headless: one PNG per stage and lesson.md")
    lesson.add_argument("lesson", nargs="?", metavar="NAME|FILE.toml",
                        help="a shipped lesson (see `gan-studio lesson --list`) or a lesson file")
    lesson.add_argument("--list", action="store_true", help="list the shipped lessons")
    lesson.add_argument("--render", metavar="DIR", help="folder to write NN-<caption>.png per stage and lesson.md")
    lesson.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                        help="override one config value of the lesson's experiment (repeatable)")
    lesson.add_argument("--size", default="1600x1000", metavar="WxH", help="window size in pixels")
    lesson.add_argument("--scale", type=float, default=1.0, metavar="S",
                        help="view scale of fonts, markers and lines (1 = 100 %%, 2 for a projector)")
    lesson.add_argument("--theme", default="light", metavar="light|dark", help="colour theme")

    sub.add_parser("presets", help="list the shipped presets")

    bench = sub.add_parser("bench", help="engine speed against a plain PyTorch loop, and the cost of metrics")
    bench.add_argument("--steps", type=int, default=None, metavar="N",
                       help="steps per measurement (default 2000; 200 per objective with --objectives)")
    bench.add_argument("--objectives", action="store_true",
                       help="instead: steps/s of every registered objective relative to ns, as a table")
    bench.add_argument("--device", default=None, metavar="cuda",
                       help="instead: the presets on this GPU and on the CPU against the plain loop eager and "
                            "captured as one CUDA graph, as a table (exit 2 without a GPU)")

    sweep = sub.add_parser("sweep", help="train every point of a grid of configs, several seeds each, on Ray; "
                           "a results table of final metrics (resumes: finished points are skipped)")
    sweep_source = sweep.add_mutually_exclusive_group()
    sweep_source.add_argument("--preset", metavar="NAME", help="a shipped sweep: its base config, grid, seeds and "
                              "steps (see `gan-studio sweep --list`); the other options change them")
    sweep_source.add_argument("--config", metavar="FILE.toml", help="the base config every point starts from")
    sweep.add_argument("--list", action="store_true", help="list the shipped sweeps")
    sweep.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                       help="set one value of the base config (repeatable)")
    sweep.add_argument("--grid", metavar="KEY=V1,V2", action="append", default=[],
                       help="one grid axis, e.g. --grid loss.name=ns,wgan (repeatable: every combination runs)")
    sweep.add_argument("--seeds", type=int, metavar="N",
                       help="runs per grid point, seeds train.seed … train.seed + N − 1 (default 4)")
    sweep.add_argument("--steps", type=int, metavar="N", help="training steps of every run")
    sweep.add_argument("--out", metavar="DIR", help="the sweep folder: a run folder per point and seed, results.csv")
    sweep.add_argument("--address", metavar="ADDR", help="an existing Ray cluster (e.g. auto, or ray://HOST:10001); "
                       "default: start a local Ray on this machine's cores")
    sweep.add_argument("--workers", type=int, metavar="K",
                       help="grid points trained at once (default: the cores of this machine or the cluster)")
    return parser


def resolve_config(args: argparse.Namespace) -> Config:
    """Preset or config file (or defaults), then --set, --seed and --device, in that order."""
    if args.preset:
        from gan_studio.presets import load_preset

        cfg = load_preset(args.preset)
    elif args.config:
        from gan_studio.runs import load_config  # a run folder's config.toml finds the folder's own points file

        cfg = load_config(args.config)
    else:
        cfg = Config()
    for assignment in args.set:
        key, value = C.parse_assignment(assignment)
        cfg = C.with_value(cfg, key, value)
    if args.seed is not None:
        cfg = C.with_value(cfg, "train.seed", args.seed)
    if args.device is not None:
        cfg = C.with_value(cfg, "train.device", args.device)
    return cfg


def resolve_schedule(args: argparse.Namespace):
    """The --at changes (and those of --events) as a Schedule, each checked before training starts."""
    from gan_studio.schedule import Schedule, parse_change, parse_event

    items = []
    if args.events:
        from gan_studio.runs import read_events

        for i, event in enumerate(read_events(args.events), start=1):
            try:
                items.append(parse_event(event))
            except ConfigError as err:
                raise ConfigError(f"--events {args.events}: event {i}: {err}") from None
    items += [parse_change(step, text) for step, text in args.at]
    return Schedule(items)


def check_scheduled_data(cfg: C.Config, schedule) -> None:
    """The live ``data.path`` changes of --at / --events checked before anything is written (as every other
    scheduled change is): the run can take one (``schedule.check_data_change``) and each file reads, with points
    of the run's dimension."""
    from gan_studio.points_io import read_points
    from gan_studio.schedule import check_data_change

    for at, what, value in schedule.items:
        if what != "data.path":
            continue
        try:
            check_data_change(cfg)
            check_data_change(cfg, read_points(cfg.data.path).shape[1], read_points(str(value)).shape[1])
        except ConfigError as err:
            raise ConfigError(f"--at {at} data.path={value}: {err}") from None


def _steps(args) -> int:
    if args.steps < 0:
        raise ConfigError(f"--steps: must be ≥ 0, got {args.steps}")
    return args.steps


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size: expected WIDTHxHEIGHT such as 1600x1000, got {text!r}") from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise ConfigError(f"--size: each side must be between 200 and 8000 pixels, got {text}")
    return w, h


def _lesson(args: argparse.Namespace) -> int:
    """``gan-studio lesson``: list the lessons, print one's outline, or render it (``--render DIR``)."""
    from gan_studio.lessons import list_lessons, load_lesson

    if args.list:
        for name, description in list_lessons():
            print(f"{name:26s} {description}")
        return 0
    if args.lesson is None:
        raise ConfigError("lesson: give a lesson NAME or FILE.toml, or --list")
    lesson = load_lesson(args.lesson).with_overrides(args.set)
    if args.render is None:
        for i, stage in enumerate(lesson.stages, start=1):
            print(f"{i:2d}. step {stage.step:>6,}  {stage.caption}")
        print("(--render DIR draws each stage)")
        return 0
    from gan_studio.gui.lesson_render import render_lesson
    from gan_studio.gui.render import check_view

    size = _size(args.size)
    check_view(args.theme, args.scale)
    error = render_lesson(lesson, args.render, size=size, theme=args.theme, scale=args.scale)
    print(f"wrote {os.path.join(args.render, 'lesson.md')}")
    if error:
        print(f"gan-studio: training stopped: {error}", file=sys.stderr)
        return 3
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gan-studio`` and ``python -m gan_studio``; returns the exit code."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["gui", *argv]  # `gan-studio --preset X` means the window, as `gan-studio` alone does
    args = parser.parse_args(argv)
    command = args.command or "gui"
    # NumPy's BLAS threads (SVDs, transport, KDEs in measurement): set before NumPy loads; on 2 busy cores two
    # threads oversubscribe them, as two torch threads do (DESIGN.md). The user's own setting wins.
    os.environ.setdefault("OMP_NUM_THREADS", str(getattr(args, "threads", 1)))
    try:
        if command == "presets":
            from gan_studio.presets import list_presets

            for name, description in list_presets():
                print(f"{name:24s} {description}")
            return 0
        if command == "lesson":
            return _lesson(args)
        if command == "sweep":
            from gan_studio.sweep.command import sweep_command

            return sweep_command(args)
        if command == "bench":
            from gan_studio.bench import run_bench, run_device_bench, run_objectives_bench

            if args.device is not None:
                return run_device_bench(args.device)
            if args.objectives:
                return run_objectives_bench(args.steps or 200)
            return run_bench(args.steps or 2000)
        if command == "gui" and args.command is None:
            from gan_studio.presets import DEFAULT_PRESET, load_preset

            cfg, schedule = load_preset(DEFAULT_PRESET), None
        elif command == "gui" and args.run:
            from gan_studio.runs import check_run_folder

            given = [name for name, value in (("--preset", args.preset), ("--config", args.config),
                                              ("--set", args.set), ("--at", args.at), ("--events", args.events),
                                              ("--seed", args.seed), ("--device", args.device))
                     if value not in (None, [])]
            if given:
                raise ConfigError(f"--run: a saved run opens as it was saved; it cannot be combined with "
                                  f"{', '.join(given)}")
            try:
                cfg, _ = check_run_folder(args.run)
            except ConfigError as err:
                raise ConfigError(f"--run: {err}") from None
            from gan_studio.gui.app import main as gui_main

            return gui_main(cfg, run=args.run)
        else:
            cfg, schedule = resolve_config(args), resolve_schedule(args)
        if command == "run":
            from gan_studio.engine import resolve_device
            from gan_studio.headless import run_headless

            steps = _steps(args)
            if args.seeds is not None:
                cfg = C.with_value(cfg, "train.seeds", args.seeds)
            if args.threads < 1:
                raise ConfigError(f"--threads: must be ≥ 1, got {args.threads}")
            resolve_device(cfg.train.device)  # a missing GPU is reported before anything is written
            check_scheduled_data(cfg, schedule)
            if args.tensorboard_pictures < 1:
                raise ConfigError(f"--tensorboard-pictures: must be ≥ 1, got {args.tensorboard_pictures}")
            return run_headless(cfg, steps, schedule, args.out, progress=not args.quiet, threads=args.threads,
                                tensorboard=args.tensorboard, picture_every=args.tensorboard_pictures)
        if command == "render":
            size, steps = _size(args.size), _steps(args)
            check_scheduled_data(cfg, schedule)
            if args.out is None and args.video is None:
                raise ConfigError("render: give --out FILE.png, --video FILE.mp4|FILE.gif, or both")
            if args.video_from is not None:
                if args.video is None:
                    raise ConfigError("--video-from: only with --video FILE.mp4|FILE.gif")
                check_start(args.video_from, steps)  # before Qt and torch load
            if args.video is None:
                from gan_studio.gui.render import render

                error = render(cfg, steps, args.out, size=size, at_schedule=schedule.items, theme=args.theme,
                               scale=args.scale, progress=True)
            else:
                from gan_studio.gui.render import render_video

                error = render_video(cfg, steps, args.video, frames=args.frames, fps=args.fps, view=args.video_view,
                                     out_png=args.out, size=size, at_schedule=schedule.items, theme=args.theme,
                                     scale=args.scale, progress=True, start=args.video_from or 0)
            for written in (args.video, args.out):
                if written:
                    print(f"wrote {written}")
            if error:
                print(f"gan-studio: training stopped: {error}", file=sys.stderr)
                return 3
            return 0
        from gan_studio.gui.app import main as gui_main

        return gui_main(cfg, at_schedule=schedule.items if schedule else None)
    except ConfigError as err:
        print(f"gan-studio: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gan-studio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
