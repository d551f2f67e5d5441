"""gan-studio sweep: grid parsing, the results table, resume, and a small grid on a local Ray with 2 workers."""

from __future__ import annotations

import csv
import io
import json
import os
import time

import numpy as np
import pytest
import torch

from gan_studio import cli
from gan_studio import config as C
from gan_studio.config import Config, ConfigError
from gan_studio.sweep import driver
from gan_studio.sweep.grid import Axis, Point, Sweep, check, parse_grid, with_axes
from gan_studio.sweep.presets import list_sweeps, load_sweep
from gan_studio.sweep.results import (
    DONE,
    FAILED,
    NONFINITE,
    PENDING,
    RESULT_FILE,
    SeedResult,
    ensemble_folder,
    finished_point,
    read_sweep,
    seed_folder,
    table_bytes,
    write_spec,
    write_table,
)

# a run of a few steps that takes well under a second: small nets, cheap measurements
FAST = {"model.hidden": 16, "model.depth": 1, "train.batch_size": 64, "metrics.n_samples": 200,
        "metrics.ot_samples": 16, "metrics.every": 1000, "metrics.ot_every": 1000, "train.device": "cpu"}


def fast_base(**more) -> Config:
    cfg = Config()
    for key, value in {**FAST, **more}.items():
        cfg = C.with_value(cfg, key, value)
    return cfg


# -- the grid ---------------------------------------------------------------------------------------------------


def test_grid_points_are_every_combination_in_order_with_parsed_values():
    axes = parse_grid(["loss.name=ns,wgan", "lipschitz.name=none,gp,sn", "optim.lr_d=1e-4"])
    assert axes == (Axis("loss.name", ("ns", "wgan")), Axis("lipschitz.name", ("none", "gp", "sn")),
                    Axis("optim.lr_d", (1e-4,)))
    sweep = Sweep(Config(), axes, seeds=3, steps=10)
    points = check(sweep)
    assert len(points) == 6
    assert points[0].values == (("loss.name", "ns"), ("lipschitz.name", "none"), ("optim.lr_d", 1e-4))
    assert points[-1].name == "loss.name=wgan__lipschitz.name=sn__optim.lr_d=0.0001"
    assert len({p.name for p in points}) == 6
    cfg = sweep.config(points[4], 7)
    assert (cfg.loss.name, cfg.lipschitz.name, cfg.optim.lr_d, cfg.train.seed) == ("wgan", "gp", 1e-4, 7)
    assert sweep.seed_values() == [0, 1, 2]
    assert Sweep(C.with_value(Config(), "train.seed", 5), (), 2, 1).seed_values() == [5, 6]


@pytest.mark.parametrize(("grid", "says"), [
    (["loss.nam=ns,wgan"], "unknown key 'loss.nam': valid keys in [loss] are loss.name"),
    (["loss.name=ns,nope"], "unknown value 'nope'; allowed: minimax, ns, wgan"),
    (["loss.name="], "give one or more values separated by commas"),
    (["loss.name=ns,,wgan"], "none empty"),
    (["loss.name"], "expected KEY=V1,V2,…"),
    (["loss.name=ns,ns"], "value 'ns' is given twice"),
    (["loss.name=ns", "loss.name=wgan"], "key loss.name is given twice"),
    (["train.seed=1,2"], "seeds are not a grid axis"),
    (["train.seeds=1,2"], "train.seeds is not a grid axis; --seeds N"),
    (["lipschitz.clip=0.01,0"], "it must be > 0.0"),
    (["train.batch_size=64,many"], "expected a whole number, got 'many'"),
])
def test_bad_grids_are_one_config_error_naming_what_is_allowed(grid, says):
    with pytest.raises(ConfigError, match="--grid") as err:
        parse_grid(grid)
    assert says in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_sweeps_fail_at_the_command_line_before_anything_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(driver, "_import_ray", lambda: pytest.fail("Ray must not start for a bad sweep"))
    out = tmp_path / "sweep"
    for argv, says in [(["--grid", "loss.name=ns,hinj"], "allowed: minimax, ns"),
                       (["--grid", "loss.name=ns", "--seeds", "0"], "--seeds: must be ≥ 1"),
                       (["--grid", "loss.name=ns", "--workers", "0"], "--workers: must be ≥ 1"),
                       (["--set", "loss.name=ns", "--grid", "loss.name=ns,wgan"], "also a grid axis"),
                       (["--set", "train.seeds=4", "--grid", "loss.name=ns"], "--set train.seeds: a sweep sets it"),
                       (["--preset", "nope"], "sweep presets: losses-x-lipschitz")]:
        assert cli.main(["sweep", "--steps", "5", "--out", str(out), *argv]) == cli.EXIT_USAGE
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1, err
    assert cli.main(["sweep", "--grid", "loss.name=ns"]) == cli.EXIT_USAGE
    assert "give --steps N" in capsys.readouterr().err
    assert cli.main(["sweep", "--steps", "5", "--grid", "loss.name=ns"]) == cli.EXIT_USAGE
    assert "give --out DIR" in capsys.readouterr().err
    assert not out.exists()


def test_grid_on_a_preset_replaces_its_axis_of_that_key_and_adds_new_ones():
    grid = (Axis("loss.name", ("ns", "wgan")), Axis("lipschitz.name", ("none",)))
    assert with_axes(grid, (Axis("lipschitz.name", ("gp",)), Axis("data.name", ("grid25",)))) == (
        Axis("loss.name", ("ns", "wgan")), Axis("lipschitz.name", ("gp",)), Axis("data.name", ("grid25",)))


def test_shipped_sweep_preset_is_losses_by_lipschitz_on_ring8_and_grid25_with_16_seeds():
    assert [name for name, _ in list_sweeps()] == ["losses-x-lipschitz"]
    sweep = load_sweep("losses-x-lipschitz")
    points = check(sweep)  # every point's config is valid
    keys = {axis.key: axis.values for axis in sweep.grid}
    assert keys["data.name"] == ("ring8", "grid25")
    assert {"ns", "minimax", "wgan", "lsgan"} <= set(keys["loss.name"])
    assert keys["lipschitz.name"] == ("none", "gp", "sn")
    assert len(points) == 2 * len(keys["loss.name"]) * 3 and sweep.seeds == 16
    assert (sweep.base.optim.lr_d, sweep.base.optim.lr_g) == (1e-4, 1e-4)  # the default preset's collapse setting


# -- the results table ----------------------------------------------------------------------------------------


def _result(point: Point, seed: int, status=DONE, reached=8.0, message="", n_modes=8) -> SeedResult:
    return SeedResult(point.name, seed, 100, status, message, final={"step": 100, "js": 0.1 * seed,
                                                                     "modes_reached": reached}, n_modes=n_modes,
                      seconds=1.5)


def test_table_has_a_row_per_point_and_seed_pending_until_finished_and_all_modes(tmp_path):
    sweep = Sweep(Config(), parse_grid(["loss.name=ns,wgan"]), seeds=2, steps=100)
    ns, wgan = sweep.points()
    results = {ns.name: [_result(ns, 0, reached=8.0), _result(ns, 1, NONFINITE, reached=3.0, message="loss_d, x")]}
    rows = list(csv.DictReader(io.StringIO(table_bytes(sweep, results).decode())))
    assert [(r["loss.name"], r["seed"], r["status"]) for r in rows] == [
        ("ns", "0", DONE), ("ns", "1", NONFINITE), ("wgan", "0", PENDING), ("wgan", "1", PENDING)]
    assert [r["all_modes"] for r in rows] == ["1", "0", "", ""]
    assert [r["modes_fraction"] for r in rows] == ["1.0", "0.375", "", ""]  # 8/8, 3/8
    assert rows[1]["message"] == "loss_d, x"  # quoted by the CSV writer, read back whole
    assert float(rows[1]["js"]) == pytest.approx(0.1, abs=1e-12)
    assert rows[2]["js"] == ""
    # written atomically and read back by the window's reader
    write_spec(tmp_path, sweep)
    write_table(tmp_path, sweep, results)
    assert not list(tmp_path.glob("*.tmp"))
    table = read_sweep(tmp_path)
    assert table.axes == (("loss.name", ("ns", "wgan")),) and table.seeds == 2 and table.steps == 100
    assert table.points == (ns.name, wgan.name)
    assert table.values(ns.name, "modes_reached") == [8.0, 3.0]
    assert table.values(wgan.name, "modes_reached") == []
    assert "all_modes" in table.metrics() and "js" in table.metrics() and "loss.name" not in table.metrics()
    assert table.label(ns.name) == "ns"


def test_a_folder_that_is_not_a_sweep_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="is not a sweep folder: it needs sweep.json and results.csv"):
        read_sweep(tmp_path)


def test_covers_all_uses_modes_reached_against_the_mode_count():
    point = Point((("loss.name", "ns"),))
    assert _result(point, 0, reached=8.0).covers_all() is True
    assert _result(point, 0, reached=7.0).covers_all() is False
    assert _result(point, 0, reached=8.0, n_modes=None).covers_all() is None
    assert SeedResult("p", 0, 1, DONE, final={"step": 1}, n_modes=8).covers_all() is None


# -- resume ---------------------------------------------------------------------------------------------------


def test_resume_skips_finished_points_and_reruns_stale_or_unfinished_ones(tmp_path, monkeypatch):
    """Without Ray: one point's seeds trained in this process as one seed ensemble (one run folder, a row per
    member and a ``seed`` column), then run_sweep finds it finished; another steps count, another config or a
    missing result.json makes it unfinished."""
    from gan_studio.sweep.task import train_point

    sweep = Sweep(fast_base(), parse_grid(["loss.name=ns"]), seeds=2, steps=3)
    (point,) = check(sweep)
    assert finished_point(tmp_path, sweep, point) is None
    results = train_point(sweep, point, str(tmp_path))
    assert [(r.seed, r.status, r.message, r.final["step"], r.n_modes) for r in results] == [
        (0, DONE, "", 3, 8), (1, DONE, "", 3, 8)]
    assert "seed" not in results[0].final  # the table's own column
    again = finished_point(tmp_path, sweep, point)
    assert again is not None
    assert [(r.seed, r.status, json.dumps(r.final)) for r in again] == [
        (r.seed, r.status, json.dumps(r.final)) for r in results]  # json: the NaN cells compare equal as text
    folder = ensemble_folder(tmp_path, point, [0, 1])  # one ensemble run folder, no per-seed folders
    assert sorted(p.name for p in (tmp_path / point.name).iterdir()) == ["seeds-0-1"]
    assert C.load(folder / "config.toml") == sweep.ensemble_config(point)
    assert (sweep.ensemble_config(point).train.seeds, sweep.ensemble_config(point).train.seed) == (2, 0)
    assert np.load(folder / "samples.npy").shape[:1] == (2,) and np.load(folder / "samples.npy").shape[-1] == 2
    with open(folder / "metrics.csv", newline="") as f:
        last = list(csv.DictReader(f))[-2:]
    assert [(row["step"], row["seed"]) for row in last] == [("3", "0"), ("3", "1")]
    assert [float(row["js"]) for row in last] == pytest.approx([r.final["js"] for r in results], rel=1e-6)
    monkeypatch.setattr(driver, "_import_ray", lambda: pytest.fail("nothing to run: Ray must not start"))
    lines = []
    assert driver.run_sweep(sweep, tmp_path, say=lines.append) == 0
    assert "1 finished already (skipped)" in lines[0]
    assert [(r["seed"], r["status"]) for r in read_sweep(tmp_path).rows] == [("0", DONE), ("1", DONE)]
    # stale: more steps, or another base config; unfinished: the result.json missing
    assert finished_point(tmp_path, Sweep(sweep.base, sweep.grid, 2, steps=4), point) is None
    assert finished_point(tmp_path, Sweep(fast_base(**{"optim.lr_g": 0.01}), sweep.grid, 2, 3), point) is None
    assert finished_point(tmp_path, Sweep(sweep.base, sweep.grid, 3, steps=3), point) is None  # more seeds
    (folder / RESULT_FILE).unlink()
    assert finished_point(tmp_path, sweep, point) is None


def test_a_point_that_cannot_be_an_ensemble_runs_separate_runs_and_says_why(tmp_path):
    """A remedy (not per member yet) and a single seed: separate ordinary runs per seed, resumable; the remedy
    point's message column names the reason."""
    from gan_studio.sweep.task import train_point

    sweep = Sweep(fast_base(**{"remedy.name": "unrolled"}), (), seeds=2, steps=2)
    (point,) = check(sweep)
    results = train_point(sweep, point, str(tmp_path))
    assert [(r.seed, r.status, r.final["step"]) for r in results] == [(0, DONE, 2), (1, DONE, 2)]
    assert all(r.message.startswith("separate runs: remedy.name: unrolled does not work in a seed ensemble")
               for r in results)
    assert sorted(p.name for p in (tmp_path / point.name).iterdir()) == ["seed-0", "seed-1"]
    assert C.load(seed_folder(tmp_path, point, 1) / "config.toml") == sweep.config(point, 1)
    again = finished_point(tmp_path, sweep, point)
    assert again is not None and [r.message for r in again] == [r.message for r in results]  # kept on resume
    write_spec(tmp_path, sweep)
    write_table(tmp_path, sweep, {point.name: again})
    assert all(row["message"] == results[0].message for row in read_sweep(tmp_path).rows)

    one = Sweep(fast_base(), (), seeds=1, steps=2)
    (only,) = train_point(one, check(one)[0], str(tmp_path / "one"))
    assert (only.seed, only.status, only.message) == (0, DONE, "")  # one seed is a plain run, nothing to say
    assert (tmp_path / "one" / "base" / "seed-0" / RESULT_FILE).is_file()


def test_a_nan_in_one_member_reruns_the_points_seeds_as_separate_runs(tmp_path, monkeypatch):
    """A NaN/Inf stops every member of an ensemble, which would cut the healthy seeds short: the point's seeds
    run again as separate runs (here all healthy), the ensemble folder is removed, the message says why."""
    from gan_studio.ensemble import EnsembleTrainer
    from gan_studio.sweep import task

    class PoisonedSecondMember(EnsembleTrainer):
        def __init__(self, cfg):
            super().__init__(cfg)
            with torch.no_grad():
                self.D.layers()[0].weight[1].fill_(float("nan"))  # member 1 (seed 1) only

    monkeypatch.setattr(task, "EnsembleTrainer", PoisonedSecondMember)
    sweep = Sweep(fast_base(), (), seeds=2, steps=2)
    (point,) = check(sweep)
    results = task.train_point(sweep, point, str(tmp_path))
    assert [(r.seed, r.status, r.final["step"]) for r in results] == [(0, DONE, 2), (1, DONE, 2)]
    assert all(r.message.startswith("separate runs: the ensemble stopped on a NaN/Inf (") and "member seed 1 " in
               r.message for r in results), results[0].message
    assert sorted(p.name for p in (tmp_path / point.name).iterdir()) == ["seed-0", "seed-1"]
    assert finished_point(tmp_path, sweep, point) is not None


class FakeRay:
    """Ray's calls the driver makes, played from a script: ``outcomes`` are what ``get`` gives for the 1st, 2nd, …
    task submitted (a list of results, or an exception to raise); after them ``wait`` raises KeyboardInterrupt."""

    def __init__(self, outcomes):
        self.outcomes, self.submitted, self.cancelled, self.calls = list(outcomes), [], [], []

    def is_initialized(self):
        return False

    def init(self, **kwargs):
        self.calls.append(("init", kwargs))

    def shutdown(self):
        self.calls.append(("shutdown", {}))

    def remote(self, **options):
        def wrap(function):
            fake = self

            class Remote:
                def remote(self, *args):
                    fake.submitted.append(args)
                    return len(fake.submitted) - 1
            return Remote()
        return wrap

    def wait(self, refs, num_returns=1):
        ready = [ref for ref in refs if ref < len(self.outcomes)][:num_returns]
        if not ready:
            raise KeyboardInterrupt
        return ready, [ref for ref in refs if ref not in ready]

    def get(self, ref):
        outcome = self.outcomes[ref]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def cancel(self, ref, force=False):
        self.cancelled.append(ref)


def test_a_raising_point_is_reported_and_ctrl_c_keeps_what_finished(tmp_path, monkeypatch):
    """The driver against a scripted Ray: the 1st point finishes, the 2nd raises, Ctrl-C during the 3rd."""
    sweep = Sweep(Config(), parse_grid(["loss.name=ns,wgan,hinge"]), seeds=2, steps=100)
    ns, wgan, hinge = sweep.points()
    fake = FakeRay([[_result(ns, 0), _result(ns, 1, reached=5.0)], RuntimeError("out of memory\nin a worker")])
    monkeypatch.setattr(driver, "_import_ray", lambda: fake)
    lines = []
    with pytest.raises(KeyboardInterrupt):
        driver.run_sweep(sweep, tmp_path, workers=2, say=lines.append)
    assert fake.calls[0] == ("init", {"num_cpus": 2, "include_dashboard": False, "log_to_driver": False,
                                      "logging_level": 40})
    assert fake.calls[-1][0] == "shutdown" and fake.cancelled == [2]
    assert [args[1] for args in fake.submitted] == [ns, wgan, hinge]
    rows = read_sweep(tmp_path).rows
    assert [(r["loss.name"], r["status"], r["message"]) for r in rows] == [
        ("ns", DONE, ""), ("ns", DONE, ""), ("wgan", FAILED, "RuntimeError: out of memory"),
        ("wgan", FAILED, "RuntimeError: out of memory"), ("hinge", PENDING, ""), ("hinge", PENDING, "")]
    assert "failed: RuntimeError: out of memory" in lines[3]
    assert "interrupted; the 1 of 3 points finished are kept" in lines[-1]


# -- on Ray ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_small_grid_on_local_ray_with_two_workers_reports_a_failing_point_and_resumes(tmp_path, capsys):
    """Three points on a local Ray with 2 workers: one point's data file is missing (its task raises), the other
    two finish; re-run after the file appears, only that point runs and the finished ones are not touched."""
    pytest.importorskip("ray")
    good, missing = tmp_path / "ring.csv", tmp_path / "late.csv"
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    np.savetxt(good, np.c_[np.cos(angles), np.sin(angles)], delimiter=",")
    out = tmp_path / "sweep"
    argv = ["sweep", "--grid", f"data.path={good},{missing}", "--grid", "loss.name=ns,wgan", "--seeds", "2",
            "--steps", "5", "--out", str(out), "--workers", "2", "--set", "data.name=file",
            *(f"--set={key}={value}" for key, value in FAST.items())]
    start = time.perf_counter()
    assert cli.main(argv) == driver.EXIT_FAILED
    first_s = time.perf_counter() - start
    said = capsys.readouterr().out
    assert "Ray: local, 2 points at a time" in said
    table = read_sweep(out)
    assert len(table.points) == 4 and len(table.rows) == 8
    statuses = {table.label(p): {r["status"] for r in table.point_rows(p)} for p in table.points}
    assert statuses == {f"{good}, ns": {DONE}, f"{good}, wgan": {DONE}, f"{missing}, ns": {FAILED},
                        f"{missing}, wgan": {FAILED}}
    failed = [r for r in table.rows if r["status"] == FAILED]
    assert all(f"data file '{missing}' not found" in r["message"] for r in failed)
    finished = sorted(out.glob(f"*/*/{RESULT_FILE}"))  # each good point: one seed ensemble of both seeds
    assert [path.parent.name for path in finished] == ["seeds-0-1", "seeds-0-1"]
    stamps = {path: path.stat().st_mtime_ns for path in finished}
    assert [(r["seed"], r["status"]) for r in json.loads(finished[0].read_text())] == [(0, DONE), (1, DONE)]
    with open(finished[0].parent / "metrics.csv", newline="") as f:
        assert {row["seed"] for row in csv.DictReader(f)} == {"0", "1"}

    np.savetxt(missing, np.c_[np.cos(angles), np.sin(angles)] * 2, delimiter=",")
    start = time.perf_counter()
    assert cli.main(argv) == 0
    second_s = time.perf_counter() - start
    said = capsys.readouterr().out
    assert "2 finished already (skipped)" in said
    assert {path: path.stat().st_mtime_ns for path in finished} == stamps  # untouched
    assert {r["status"] for r in read_sweep(out).rows} == {DONE}
    print(f"\nsweep wall time: first run (4 points × 2 seeds) {first_s:.1f} s, resume (2 points) {second_s:.1f} s; "
          f"pid {os.getpid()}")


# -- the window -----------------------------------------------------------------------------------------------


def _small_sweep_folder(folder) -> Sweep:
    """Three points × 3 seeds on ring8: ns covers 8, 3, 8 modes; wgan 5, 8, 8 (one seed NaN); hinge failed."""
    sweep = Sweep(Config(), parse_grid(["loss.name=ns,wgan,hinge"]), seeds=3, steps=100)
    ns, wgan, hinge = sweep.points()
    reached = {ns: [8.0, 3.0, 8.0], wgan: [5.0, 8.0, 8.0]}
    results = {p.name: [_result(p, seed, NONFINITE if (p, seed) == (wgan, 1) else DONE, reached=r)
                        for seed, r in enumerate(values)] for p, values in reached.items()}
    results[hinge.name] = [SeedResult(hinge.name, s, 100, FAILED, "data file 'x.csv' not found") for s in range(3)]
    write_spec(folder, sweep)
    write_table(folder, sweep, results)
    return sweep


def test_sweep_view_shows_the_grid_and_each_points_distribution_over_seeds(qtbot, tmp_path):
    from gan_studio.gui.views.sweep import SweepView, quartiles

    _small_sweep_folder(tmp_path)
    view = SweepView(read_sweep(tmp_path))
    qtbot.addWidget(view)
    table = view.grid_table
    cells = [[table.item(i, j).text() for j in range(table.columnCount())] for i in range(table.rowCount())]
    assert [table.horizontalHeaderItem(j).text() for j in range(table.columnCount())] == [
        "loss.name", "all modes", "median", "seeds"]
    assert view.metric == "modes_fraction"  # the default: comparable between data sets
    assert cells == [["ns", "2/3", "1", "3/3"], ["wgan", "2/3", "1", "3/3"], ["hinge", "–", "–", "0/3"]]
    view.set_metric("modes_reached")
    assert view.metric_box.currentText() == "modes_reached"
    assert [table.item(i, 2).text() for i in range(3)] == ["8", "8", "–"]
    x, y = view.dots.getData()
    assert sorted(x) == [3.0, 5.0, 8.0, 8.0, 8.0, 8.0]
    assert sorted(np.round(y).astype(int)) == [0, 0, 0, 1, 1, 1]  # each seed's dot in its point's row
    assert np.all(np.abs(y - np.round(y)) < 0.3)
    medians = view.medians.getData()[0]
    assert list(medians) == [8.0, 8.0, 8.0, 8.0]  # one tick (two ends) per point with seeds
    assert quartiles([3.0, 8.0, 8.0]) == pytest.approx((3.0, 5.5, 8.0, 8.0, 8.0), abs=1e-12)
    assert quartiles([]) is None
    ticks = [text for _, text in view.plot.getAxis("left")._tickLevels[0]]
    assert ticks == ["ns", "wgan", "hinge (failed)"]
    view.metric_box.setCurrentText("js")  # the combo box drives the view
    assert sorted(view.dots.getData()[0]) == pytest.approx([0.0, 0.0, 0.1, 0.1, 0.2, 0.2], abs=1e-12)


def test_file_open_sweep_opens_a_sweep_window_and_refuses_other_folders(make_window, tmp_path):
    w = make_window()
    _small_sweep_folder(tmp_path / "sweep")
    window = w.open_sweep(str(tmp_path / "sweep"))
    assert window is not None and window.isVisible() and window in w.sweep_windows
    assert window.view.grid_table.rowCount() == 3
    assert w.open_sweep(str(tmp_path)) is None
    assert "could not open the sweep" in w.status_message.text()
    w.close()  # closing the studio closes the sweep windows it opened
    assert not window.isVisible()
