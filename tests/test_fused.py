"""``optim.fused`` (issue 15): Adam's fused kernel is opt-in; the default stays foreach (byte-identical runs), the
fused update trains the same nets to the last bits, and ``gan-studio bench`` reports both."""

import json

import numpy as np
import pytest
import torch

from gan_studio import bench
from gan_studio.config import Config, with_value
from gan_studio.engine import Trainer


def _trained(cfg: Config, steps: int) -> dict[str, np.ndarray]:
    trainer = Trainer(cfg)
    for _ in range(steps):
        trainer.step()
    return trainer.weights()


def test_adam_is_foreach_by_default_and_fused_when_asked():
    default, fused = Trainer(Config()), Trainer(with_value(Config(), "optim.fused", True))
    for opt in (default.opt_d, default.opt_g):
        assert opt.defaults["foreach"] is True and not opt.defaults["fused"]
    for opt in (fused.opt_d, fused.opt_g):
        assert opt.defaults["fused"] is True


def test_fused_adam_trains_the_same_weights_to_float32_rounding():
    # the same 20 steps, updates computed by two kernels: equal to within float32 rounding (1e-6 on O(0.1)
    # weights), and not bit-equal (else the test would not tell the kernels apart)
    cfg = with_value(Config(), "train.batch_size", 64)
    foreach, fused = _trained(cfg, 20), _trained(with_value(cfg, "optim.fused", True), 20)
    assert foreach.keys() == fused.keys()
    for key in foreach:
        assert fused[key] == pytest.approx(foreach[key], rel=0, abs=1e-6), key
    assert any(not np.array_equal(foreach[k], fused[k]) for k in foreach)


def test_fused_is_ignored_by_the_other_optimizers():
    trainer = Trainer(with_value(with_value(Config(), "optim.name", "rmsprop"), "optim.fused", True))
    assert isinstance(trainer.opt_d, torch.optim.RMSprop) and trainer.opt_d.defaults["foreach"] is True


def test_bench_reports_each_engine_variant_as_a_median_ratio_to_the_plain_loop(capsys):
    assert bench.run_bench(steps=4, repeats=1) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for name in ("engine_no_metrics", "engine_reuse_fake", "engine_fused", "engine_fused_reuse_fake",
                 "engine_default"):
        ratio = result[f"{name}_vs_plain"]
        assert ratio == pytest.approx(result[f"{name}_steps_per_s"] / result["plain_steps_per_s"], rel=0.02)
