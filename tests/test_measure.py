"""Measurement inside the engine: cadence, independence from training, and D-implied JS against the sample JS."""

import pytest
import torch

from gan_studio import columns
from gan_studio import config as C
from gan_studio.config import Config
from gan_studio.engine import Trainer

torch.set_num_threads(1)

TRAINING_COLUMNS = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")


def make(**changes) -> Trainer:
    cfg = Config()
    base = {"model.hidden": 32, "model.depth": 2, "train.batch_size": 64, "train.log_every": 5,
            "metrics.n_samples": 500, "metrics.grid": 20}
    for key, value in {**base, **changes}.items():
        cfg = C.with_value(cfg, key, value)
    return Trainer(cfg)


def test_measuring_often_or_never_gives_the_same_training():
    often = make(**{"metrics.every": 5, "metrics.ot_every": 10})
    never = make(**{"metrics.every": 10_000, "metrics.ot_every": 10_000})
    for _ in range(20):
        a, b = often.step(), never.step()
        if a is not None:
            assert {k: a[k] for k in TRAINING_COLUMNS} == {k: b[k] for k in TRAINING_COLUMNS}
    for _ in range(3):
        often.frame(), often.frame(probe=False)  # drawing does not move training either
    for _ in range(5):
        a, b = often.step(), never.step()
    assert {k: a[k] for k in TRAINING_COLUMNS} == {k: b[k] for k in TRAINING_COLUMNS}


def test_cheap_and_exact_transport_cadence():
    trainer = make(**{"metrics.every": 10, "metrics.ot_every": 20})
    rows = [r for r in (trainer.step() for _ in range(40)) if r is not None]
    has = {r["step"]: ("js" in r, "w1" in r) for r in rows}
    assert has == {5: (False, False), 10: (True, False), 15: (False, False), 20: (True, True),
                   25: (False, False), 30: (True, False), 35: (False, False), 40: (True, True)}
    full = trainer.metrics_row(full=True)
    late_2d = {c.name for c in columns.COLUMNS if c.late and c.applies_to("2d")}  # image-only columns never apply
    other_objectives = late_2d - {"w1_fast", "w1_fast_floor", "modes_reached", "grad_act_d_<i>", "note"}
    # ns is not an f-GAN loss (no bound), and has no zoo estimate or state: those cells stay empty
    assert set(trainer.columns()) - set(full) == {"fdiv_d"} | other_objectives


def test_frames_drawn_in_the_pauses_of_a_measurement_change_no_number():
    """The window's worker draws frames between the parts of a measurement (``Trainer.step(pause=...)``)."""
    plain = make(**{"metrics.every": 5, "metrics.ot_every": 10})
    drawn = make(**{"metrics.every": 5, "metrics.ot_every": 10})
    pauses = []

    def draw():
        pauses.append(drawn.step_count)
        drawn.frame(probe=len(pauses) % 2 == 0)

    for _ in range(20):
        assert drawn.step(pause=draw) == plain.step()
    assert drawn.metrics_row(full=True, pause=draw) == plain.metrics_row(full=True)
    # a pause before the scores and before the gradients, and one before exact OT (every 10 steps and at the end)
    assert pauses == [5, 5, 10, 10, 10, 15, 15, 20, 20, 20, 20, 20, 20]


def test_next_step_measures_predicts_exactly_the_measured_rows():
    """The window's worker plans frames around measured steps, so the prediction must match what happens,
    including cadences that do not divide each other and log_every not dividing metrics.every."""
    trainer = make(**{"train.log_every": 3, "metrics.every": 10, "metrics.ot_every": 25})
    predicted, measured = [], []
    for _ in range(60):
        predicted.append(trainer.next_step_measures())
        row = trainer.step()
        measured.append(row is not None and ("js" in row or "w1" in row))
    assert predicted == measured
    assert [i + 1 for i, m in enumerate(measured) if m] == [12, 21, 27, 30, 42, 51, 60]


def test_classifier_and_fgan_columns_follow_the_active_loss():
    trainer = make(**{"metrics.every": 5})
    row = [trainer.step() for _ in range(5)][-1]
    assert row["js_d"] is not None and "fdiv_d" not in row
    trainer.apply("loss.name", "fgan-kl")
    row = [trainer.step() for _ in range(5)][-1]
    assert row["fdiv_d"] is not None and "js_d" not in row


def test_d_implied_js_approaches_the_sample_js_after_d_only_training():
    # G frozen at its initialisation (g_steps = 0); D trained with the classifier loss. The optimal D makes
    # (V + log 4)/2 equal JS; measured on fresh batches it is a lower bound that closes as D converges.
    # Tolerance 0.03 nats: at 1,000 steps D's remaining gap was ≈ 0.005 and the 100-bin histogram JS is
    # biased low by ≈ 0.01 for this narrow generator; the noise floor of the sample JS is ≈ 0.001.
    trainer = make(**{"data.name": "gauss1d", "model.latent_dim": 1, "model.hidden": 64, "train.g_steps": 0,
                      "train.batch_size": 256, "optim.lr_d": 1e-3, "metrics.every": 100_000,
                      "metrics.n_samples": 20_000, "train.log_every": 1000})
    for _ in range(1000):
        trainer.step()
    row = trainer.metrics_row(full=True)
    assert row["js"] > 0.3  # the frozen generator is far from the data: a non-trivial target
    assert row["js_d"] == pytest.approx(row["js"], abs=0.03)


def test_soft_one_sided_penalty_lets_the_critic_overshoot_w1_by_the_predicted_slope():
    # 1D, generator frozen far from N(4, 0.5²): the optimal critic under λ·max(0, ‖f′‖ − 1)² has slope
    # 1 + W1/(2λ) between the two masses (REFERENCE.md), so E s_r − E s_f ≈ W1·(1 + W1/(2λ)) > W1, while the
    # normalised estimate w1_critic / lip comes back to ≈ W1. Tolerances: 3 % on the slope (measured spread of
    # the mean gradient over 500-step windows ≈ 1 %), 5 % on the estimates (critic not fully converged).
    lam = 10.0
    trainer = make(**{"data.name": "shifted1d", "model.latent_dim": 1, "model.hidden": 64, "train.g_steps": 0,
                      "loss.name": "wgan", "lipschitz.name": "gp", "lipschitz.one_sided": True,
                      "lipschitz.weight": lam, "optim.lr_d": 1e-3, "train.batch_size": 256,
                      "metrics.every": 100_000, "metrics.n_samples": 5000, "train.log_every": 1000})
    for _ in range(1000):
        trainer.step()
    row = trainer.metrics_row(full=True)
    w1 = row["w1"]
    slope = 1 + w1 / (2 * lam)
    assert row["gx_interp"] == pytest.approx(slope, rel=0.03)
    assert row["w1_critic"] == pytest.approx(w1 * slope, rel=0.05)
    assert row["w1_lb"] == pytest.approx(w1, rel=0.05)


@pytest.mark.parametrize("data", ["bimodal1d", "ring8", "digits"])
def test_frames_carry_what_the_views_draw(data):
    trainer = make(**{"data.name": data, "model.latent_dim": 1 if data == "bimodal1d" else 2,
                      "metrics.every": 10_000})
    trainer.step()
    frame, cheap = trainer.frame(), trainer.frame(probe=False)
    assert frame.step == cheap.step == 1 and frame.loss == "ns" and frame.display.d_view == "probability"
    if data == "bimodal1d":
        c = frame.curves
        assert c.xs.shape == c.score.shape == c.gen_density.shape == c.optimal_d.shape
        assert c.z is not None and c.gz.shape == c.z.shape  # the z → x map of a 1D latent
        assert frame.surface is None and cheap.curves is None
    elif data == "ring8":
        s = frame.surface
        assert s.score.shape == (len(s.ys), len(s.xs)) == s.data_density.shape
        assert frame.latent_grid.shape[0] == 2 and frame.push.shape[1] == 2
        assert frame.real.shape[1] == frame.fake.shape[1] == 2
        assert cheap.surface is None and cheap.push is not None
    else:
        assert frame.fake.ndim == 4 and frame.fake.min() >= 0 and frame.fake.max() <= 1
        assert {"fake", "real", "interp"} <= set(frame.images)


def test_final_row_is_measured_on_exactly_the_saved_samples(tmp_path):
    """A user who recomputes modes / hq / rkl / js from samples.npy gets the final row's numbers, exactly (the row
    and the file are one draw; the same estimator on the same float32 samples and the same data samples)."""
    import numpy as np

    from gan_studio import metrics
    from gan_studio.runs import write_samples

    trainer = make(**{"data.name": "trimodal1d", "model.latent_dim": 1, "metrics.every": 10_000})
    for _ in range(20):
        trainer.step()
    row, samples, _ = trainer.final_state()
    assert len(samples) == 2500  # max(metrics.n_samples = 500, 2,500)
    write_samples(tmp_path, samples)
    saved = np.load(tmp_path / "samples.npy", allow_pickle=False)
    ds = trainer.dataset
    real, real2 = trainer.measurer.data_samples(len(saved))
    js, _, _ = metrics.js_estimate(saved.astype(np.float64), ds.bounds, density=ds.density, cdf=ds.cdf,
                                   data_samples=real, data_samples_2=real2)
    coverage = metrics.mode_coverage(saved, ds.centres, ds.stds, weights=ds.weights)
    assert {k: row[k] for k in ("modes", "hq", "rkl")} == coverage
    assert row["js"] == js
    assert row["w1"] == metrics.w1_1d(real.astype(np.float64), saved.astype(np.float64))


def test_a_full_measurement_before_a_reseed_changes_no_later_row():
    """Issue #17: the measurer's caches (fixed data samples, noise floors, image probes) are drawn from the run's
    starting seed, not from the seed at their first use. A Save measures everything (``metrics_row(full=True)``); a
    run saved and then reseeded must log exactly the rows of one that was not saved (the CLI replay of its events)."""

    def rows_after_reseed(save_first: bool) -> list[dict]:
        trainer = make(**{"metrics.every": 20, "metrics.ot_every": 40})  # first cadenced measurement after the reseed
        for _ in range(10):
            trainer.step()
        if save_first:
            trainer.metrics_row(full=True)  # fills the caches while the seed is still the starting one
        trainer.apply("reseed", 5)
        return [row for row in (trainer.step() for _ in range(40)) if row is not None]

    saved, plain = rows_after_reseed(True), rows_after_reseed(False)
    assert [row["step"] for row in saved] == list(range(15, 51, 5))
    assert any("w1" in row and "js_floor" in row for row in saved)  # the cached samples were used after the reseed
    assert saved == plain
