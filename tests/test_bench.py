"""``gan-studio bench --objectives``: one row per registered objective, each with a positive speed ratio to ns.
Not a timed test: tiny step counts, and only the table's shape and the facts behind its "why" column are checked."""

import pytest
import torch

from gan_studio import bench
from gan_studio.objectives import OBJECTIVES

torch.set_num_threads(1)


def test_objectives_table_has_one_row_per_registered_objective_with_a_positive_ratio():
    rows = bench.objective_table(steps=2, repeats=1)
    assert [row.name for row in rows] == list(OBJECTIVES)
    assert all(row.ratio > 0 and row.steps_per_s > 0 for row in rows), rows
    assert all(row.why == "" or row.ratio < 1 / bench.SLOW for row in rows)  # a "why" only for the slow ones
    table = bench.format_table(rows)
    assert len(table.splitlines()) == 2 + len(OBJECTIVES)


def test_the_table_runs_each_objective_as_its_paper_does():
    cfg = bench.objective_config("mmdgan")
    assert (cfg.loss.name, cfg.lipschitz.name, cfg.train.d_steps) == ("mmdgan", "gp", 5)
    assert bench.objective_config("ns") == bench.bench_config()
    why = bench.why_slow("cramer", bench.objective_config("cramer"))
    assert "5 D steps" in why and "second backward" in why and "two generated batches" in why
    assert bench.why_slow("ns", bench.bench_config()) == "—"


@pytest.mark.parametrize("name", ["gmmn", "mmdgan"])
def test_kernel_objectives_name_their_kernel_cost(name):
    assert "all pairs" in bench.why_slow(name, bench.objective_config(name))


# -- issue 15: the device table ------------------------------------------------------------------------------------
def test_bench_on_cuda_without_a_gpu_says_so_in_one_line_and_exits_2(monkeypatch, capsys):
    from gan_studio.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["bench", "--device", "cuda"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "needs an NVIDIA GPU" in err
    assert main(["bench", "--device", "mps"]) == 2
    assert "allowed: cuda" in capsys.readouterr().err


def test_the_device_table_gives_ratios_to_the_captured_loop():
    rows = [bench.DeviceRow("engine", 425.0, 170.0), bench.DeviceRow("captured", 1700.0, None)]
    table = bench.format_device_table(rows, "cuda").splitlines()
    assert table[2] == "| engine | 425.0 | 0.250 | 170.0 | 2.50 |"  # 425/1700 and 425/170
    assert table[3] == "| captured | 1700.0 | 1.000 | — | — |"


def test_the_device_settings_are_the_issues_and_run_on_a_cpu():
    cfg = bench.device_config(*bench.DEVICE_SETTINGS[4][1:], "cpu")
    assert (cfg.data.name, cfg.data.image_size, cfg.model.arch, cfg.train.rng) == ("shapes", 32, "conv", "cpu")
    quiet = bench.device_config(*bench.DEVICE_SETTINGS[0][1:], "cuda")
    assert quiet.metrics.every == bench.NEVER and quiet.train.rng == "device"
    assert bench.timed_engine_rate(bench.device_config("ring8-collapse", {}, "cpu"), 0.2) > 0
    assert bench.timed_plain_rate(bench.bench_config(), 0.1, "cpu") > 0
