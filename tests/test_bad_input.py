"""Issue #17: every bad input (config, --set, --at, events, data files, run folders, output paths) is exit status 2
and one line naming the input and what is allowed; never a traceback. Argument-parser mistakes add one line: the
hint for --help."""

import struct
from pathlib import Path

import numpy as np
import pytest

from gan_studio import cli
from gan_studio import config as C
from gan_studio.runs import RunWriter

FAST = ["--set", "model.hidden=8", "--set", "model.depth=1", "--set", "train.batch_size=8",
        "--set", "metrics.every=10000", "--set", "metrics.ot_every=10000", "--set", "train.device=cpu", "--quiet"]


def idx(path: Path, magic: int, dims: tuple[int, ...], payload: bytes | None = None) -> None:
    n = int(np.prod(dims)) if all(d > 0 for d in dims) else 0
    path.write_bytes(struct.pack(f">i{len(dims)}i", magic, *dims) + (payload if payload is not None else bytes(n)))


def run_folder(folder: Path) -> Path:
    """A valid run folder written by the stand-in trainer (no torch)."""
    from gan_studio.testing.synthetic import SyntheticTrainer

    trainer = SyntheticTrainer(C.Config())
    writer = RunWriter(folder, trainer.cfg, trainer.columns())
    writer.row(trainer.metrics_row())
    writer.weights(trainer.weights())
    writer.close()
    return folder


def tamper(name: str, text: str | bytes):
    def make(tmp: Path) -> list[str]:
        folder = run_folder(tmp / "r")
        path = folder / name
        if name == "weights.npz" and text == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        elif name == "metrics.csv":
            lines = path.read_text().splitlines()
            cells = lines[1].split(",")
            cells[0] = text
            path.write_text("\n".join([lines[0], ",".join(cells)]) + "\n")
        else:
            path.write_text(text)
        return ["gui", "--run", str(folder)]
    return make


def write(name: str, text: str | bytes):
    def make(tmp: Path) -> Path:
        path = tmp / name
        (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
        return path
    return make


def config_file(text: str):
    return lambda tmp: ["run", "--config", str(write("c.toml", text)(tmp)), "--steps", "1", "--out", str(tmp / "o")]


def events_file(line: str):
    return lambda tmp: ["run", *FAST, "--events", str(write("e.jsonl", line + "\n")(tmp)), "--steps", "1",
                        "--out", str(tmp / "o")]


def run_args(*args: str):
    return lambda tmp: ["run", *FAST, *args, "--steps", "1", "--out", str(tmp / "o")]


def idx_folder(dims: tuple[int, ...], labels: int):
    def make(tmp: Path) -> list[str]:
        folder = tmp / "mnist"
        folder.mkdir()
        idx(folder / "train-images-idx3-ubyte", 0x803, dims)
        idx(folder / "train-labels-idx1-ubyte", 0x801, (labels,))
        return ["run", *FAST, "--set", "data.name=mnist", "--set", f"data.path={folder}", "--steps", "1",
                "--out", str(tmp / "o")]
    return make


def image_folder(tmp: Path) -> list[str]:
    from PIL import Image

    folder = tmp / "images"
    folder.mkdir()
    Image.new("L", (8, 8)).save(folder / "one.png")
    (folder / "two.png").write_text("not an image")
    return ["run", *FAST, "--set", "data.name=folder", "--set", f"data.path={folder}", "--steps", "1",
            "--out", str(tmp / "o")]


def points(text: str):
    return lambda tmp: ["run", *FAST, "--set", "data.name=file", "--set", f"data.path={write('p.csv', text)(tmp)}",
                        "--steps", "1", "--out", str(tmp / "o")]


BIG = str(2**64)
CASES = {
    # config files
    "toml malformed": (config_file("[train\nseed = 1"), ["malformed TOML"]),
    "toml unknown section": (config_file("[trian]\nseed = 1"), ["unknown section [trian]", "sections:"]),
    "toml unknown key": (config_file("[train]\nsed = 1"), ["unknown key 'train.sed'", "valid keys"]),
    "toml seed beyond int64": (config_file(f"[train]\nseed = {BIG}"), ["train.seed", "out of range", "≤"]),
    "toml seed negative": (config_file("[train]\nseed = -1"), ["train.seed", "≥ 0"]),
    "toml lr as text": (config_file('[optim]\nlr_d = "fast"'), ["optim.lr_d", "expected a number"]),
    "toml missing file": (lambda tmp: ["run", "--config", str(tmp / "no.toml"), "--steps", "1", "--out",
                                       str(tmp / "o")], ["cannot read config file", "no.toml"]),
    # --set
    "set seed beyond int64": (run_args("--set", f"train.seed={BIG}"), ["train.seed", "out of range"]),
    "set seed option beyond int64": (run_args("--seed", BIG), ["train.seed", "out of range"]),
    "set without =": (run_args("--set", "loss.name"), ["expected KEY=VALUE"]),
    "set unknown key": (run_args("--set", "loss.nme=ns"), ["unknown key 'loss.nme'"]),
    "set unknown loss": (run_args("--set", "loss.name=bogus"), ["loss.name", "allowed:"]),
    "set lr nan": (run_args("--set", "optim.lr_d=nan"), ["optim.lr_d", "finite number"]),
    "set batch not whole": (run_args("--set", "train.batch_size=1.5"), ["train.batch_size", "whole number"]),
    # --at
    "at step not a number": (run_args("--at", "x", "loss.name=ns"), ["--at", "STEP must be a whole number"]),
    "at step negative": (run_args("--at", "-1", "loss.name=ns"), ["--at", "from 0 to"]),
    "at step beyond int64": (run_args("--at", BIG, "step_d"), ["--at", "from 0 to"]),
    "at step_d with a value": (run_args("--at", "5", "step_d=xyz"), ["--at 5 step_d=xyz", "takes no value"]),
    "at reseed abc": (run_args("--at", "5", "reseed=abc"), ["--at 5 reseed=abc", "whole number"]),
    "at reseed beyond int64": (run_args("--at", "5", f"reseed={BIG}"), ["reseed", "out of range"]),
    "at not live": (run_args("--at", "5", "model.hidden=3"), ["model.hidden", "cannot change during a run"]),
    "at bad value": (run_args("--at", "5", "optim.lr_d=-1"), ["--at 5", "optim.lr_d", "out of range"]),
    # argparse
    "steps not a number": (lambda tmp: ["run", "--steps", "x", "--out", str(tmp / "o")],
                           ["--steps", "invalid int value", "--steps N"]),
    "out missing": (lambda tmp: ["run", "--steps", "1"], ["--out", "required", "--out DIR"]),
    "at one argument": (lambda tmp: ["run", "--steps", "1", "--out", "x", "--at", "5"],
                        ["--at", "--at STEP KEY=VALUE"]),
    "unknown command": (lambda tmp: ["frob"], ["invalid choice: 'frob'", "choose from"]),
    # events files
    "events step 1e999": (events_file('{"step": 1e999, "what": "step_d"}'), ["e.jsonl:1", "'step'", "whole number"]),
    "events step text": (events_file('{"step": "abc", "what": "step_d"}'), ["e.jsonl:1", "'step'"]),
    "events step list": (events_file('{"step": [5], "what": "step_d"}'), ["e.jsonl:1", "'step'"]),
    "events what number": (events_file('{"step": 5, "what": 7}'), ["e.jsonl:1", "'what'"]),
    "events what null": (events_file('{"step": 5, "what": null}'), ["e.jsonl:1", "'what'"]),
    "events not json": (events_file("{step: 5"), ["e.jsonl:1", "not a JSON event"]),
    "events bad value": (events_file('{"step": 5, "what": "optim.lr_d", "old": 1, "new": "x"}'),
                         ["e.jsonl", "event 1", "optim.lr_d", "expected a number"]),
    # data files
    "points not numbers": (points("x,y\n1,2\nfoo,3\n"), ["data file", "not a number"]),
    "points huge": (points("1,2\n3,4\n1e200,5\n"), ["data file", "within ±1e+15", "line 3", "1e+200"]),
    "idx zero-size images": (idx_folder((3, 0, 0), 3), ["IDX file", "every size must be ≥ 1"]),
    "idx single image": (idx_folder((1, 28, 28), 1), ["IDX file", "at least 2"]),
    "folder single image": (image_folder, ["data.path", "at least 2"]),
    # run folders
    "run weights truncated": (tamper("weights.npz", "truncate"), ["weights", "not a readable .npz"]),
    "run metrics nan step": (tamper("metrics.csv", "nan"), ["metrics.csv:2", "step must be a whole number"]),
    "run metrics huge step": (tamper("metrics.csv", "1e30"), ["metrics.csv:2", "from 0 to"]),
    "run events step text": (tamper("events.jsonl", '{"step": "abc", "what": "step_d"}\n'), ["events.jsonl:1"]),
    "run events step list": (tamper("events.jsonl", '{"step": [5], "what": "step_d"}\n'), ["events.jsonl:1"]),
    "run events bad change": (tamper("events.jsonl", '{"step": 5, "what": "loss.name", "new": "nope"}\n'),
                              ["events.jsonl", "loss.name", "allowed:"]),
    "run not a folder": (lambda tmp: ["gui", "--run", str(tmp / "none")], ["is not a folder"]),
    # output paths and counts
    "out under proc": (lambda tmp: ["run", *FAST, "--steps", "1", "--out", "/proc/gan-studio-test"],
                       ["--out", "/proc/gan-studio-test", "choose a folder you can write to"]),
    "steps negative": (lambda tmp: ["run", *FAST, "--steps", "-1", "--out", str(tmp / "o")], ["--steps", "≥ 0"]),
    "threads zero": (lambda tmp: ["run", *FAST, "--threads", "0", "--steps", "1", "--out", str(tmp / "o")],
                     ["--threads", "≥ 1"]),
    # more names and ranges
    "toml unknown data set": (config_file('[data]\nname = "rings"'), ["data.name", "allowed"]),
    "set image size too big": (run_args("--set", "data.image_size=4096"), ["data.image_size"]),
    "set latent dim zero": (run_args("--set", "model.latent_dim=0"), ["model.latent_dim"]),
    "set depth negative": (run_args("--set", "model.depth=-1"), ["model.depth"]),
    "set unknown lipschitz": (run_args("--set", "lipschitz.name=foo"), ["lipschitz.name", "allowed"]),
    "set unknown remedy": (run_args("--set", "remedy.name=foo"), ["remedy.name", "allowed"]),
    "set unknown optimizer": (run_args("--set", "optim.name=lbfgs"), ["optim.name", "allowed"]),
    "set unknown start": (run_args("--set", "train.start=nope"), ["train.start", "nope"]),
    "set unknown device": (run_args("--set", "train.device=tpu"), ["train.device", "allowed"]),
    "preset unknown": (lambda tmp: ["run", "--preset", "nope", "--steps", "1", "--out", str(tmp / "o")], ["nope"]),
    "events missing file": (lambda tmp: ["run", *FAST, "--events", str(tmp / "none.jsonl"), "--steps", "1",
                                         "--out", str(tmp / "o")], ["none.jsonl"]),
    "points three columns": (points("1,2,3\n4,5,6\n"), ["data file"]),
    "points empty": (points(""), ["data file"]),
    "render out not png": (lambda tmp: ["render", "--steps", "1", "--out", str(tmp / "x.jpg")], ["--out", ".png"]),
    "render size too small": (lambda tmp: ["render", "--steps", "1", "--out", str(tmp / "x.png"), "--size", "10x10"],
                              ["--size"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys):
    make, fragments = CASES[case]
    argv = make(tmp_path)
    with pytest.raises(SystemExit) if case in PARSER_CASES else _no_exit() as caught:
        code = cli.main(argv)
    if case in PARSER_CASES:
        code = caught.value.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    hint = lines[1:] == [f"{lines[0].split(':')[0]}: see `{lines[0].split(':')[0]} --help`"]
    assert len(lines) == 1 or (case in PARSER_CASES and hint), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


PARSER_CASES = {"steps not a number", "out missing", "at one argument", "unknown command"}


class _no_exit:  # noqa: N801 (a context manager standing for "no SystemExit expected")
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_the_suite_covers_at_least_60_inputs():
    assert len(CASES) >= 60  # issue 17's bar
