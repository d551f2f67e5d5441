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
