"""Seed ensembles (gan_studio/ensemble.py, gan_studio/nets/ensemble.py): member k is the single run of seed k."""

import numpy as np
import pytest
import torch
from torch.nn.utils.parametrizations import spectral_norm

from gan_studio import config as C
from gan_studio.cli import main
from gan_studio.config import Config, ConfigError
from gan_studio.engine import Trainer
from gan_studio.ensemble import MEMBERS, EnsembleTrainer, make_trainer
from gan_studio.lipschitz import ScoreView, make_method
from gan_studio.runner import MemoryRecorder, Runner
from gan_studio.runs import read_metrics
from gan_studio.schedule import Schedule

SMALL = {"model.hidden": 32, "model.depth": 2, "train.batch_size": 64, "train.log_every": 1,
         "metrics.every": 5, "metrics.ot_every": 10**6, "metrics.n_samples": 400}

# Measured (3 members against 3 single runs, 15 steps, the configs below; largest difference of any column relative
# to max(|value|, 1e-3)): within 10 steps at most 9e-5 (WGAN with clipping and RMSprop: 2e-6 for 7 steps, then
# 5e-5 to 9e-5), 1e-5 for WGAN-GP, 6e-6 for the others; the autoencoder and feature heads (BEGAN, Cramér, MMD GAN)
# bit for bit. Fisher GAN: 3e-6 for 4 steps, then 2e-5 to 4e-4 (its Lagrange multiplier feeds D's loss back into
# itself). Left longer, differences grow (clipping: 2e-4 by step 15; default config, batch 256: 2e-5 at step 16,
# 2e-2 at step 26): Adam and RMSprop amplify last-bit differences of the batched sums. Tolerances: ~10× the worst.
CLOSE_STEPS = 10
CLOSE = {"rel": 1e-3, "abs": 1e-6}
CLOSE_FISHER = {"rel": 1e-2, "abs": 1e-5}

CONFIGS = {
    "ns": {},
    "wgan-gp": {"loss.name": "wgan", "lipschitz.name": "gp"},
    "hinge-sn": {"loss.name": "hinge", "lipschitz.name": "sn"},
    "wgan-clip-rmsprop": {"loss.name": "wgan", "lipschitz.name": "clip", "optim.name": "rmsprop"},
    "began-state": {"loss.name": "began"},
    "fisher-state-real": {"loss.name": "fisher"},
    "cramer-two-fakes": {"loss.name": "cramer"},
    "mmdgan-gp-witness": {"loss.name": "mmdgan", "lipschitz.name": "gp"},
    "dragan": {"lipschitz.name": "dragan"},
    # training only: measuring GMMN (no D) raises in measure/gradients.py's activation gradients, a single run too
    "gmmn-no-d": {"loss.name": "gmmn", "metrics.every": 10**6},
}


def make_cfg(**extra) -> Config:
    cfg = Config()
    for key, value in {**SMALL, **extra}.items():
        cfg = C.with_value(cfg, key, value)
    return cfg


def with_(cfg: Config, values: dict) -> Config:
    for key, value in values.items():
        cfg = C.with_value(cfg, key, value)
    return cfg


def assert_rows_close(member: dict, single: dict, where: str, close: dict = CLOSE) -> None:
    assert set(member) - {"seed"} == set(single), where
    for key, value in single.items():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            assert member[key] is None or np.isnan(member[key]), f"{where}: {key}"
        else:
            assert member[key] == pytest.approx(value, **close), f"{where}: {key}"


FAST_CONFIGS = ("ns", "wgan-gp", "hinge-sn")  # the others take 4–11 s each on a loaded 2-core machine


@pytest.mark.parametrize("name", [name if name in FAST_CONFIGS else pytest.param(name, marks=pytest.mark.slow)
                                  for name in CONFIGS])
def test_member_k_follows_the_single_run_of_seed_k(name):
    cfg = with_(make_cfg(), CONFIGS[name])
    ensemble = EnsembleTrainer(C.with_value(cfg, "train.seeds", 3))
    singles = [Trainer(C.with_value(cfg, "train.seed", k)) for k in range(3)]
    for step in range(CLOSE_STEPS):
        rows = ensemble.step()[MEMBERS]
        for k, single in enumerate(singles):
            assert rows[k]["seed"] == k
            assert_rows_close(rows[k], single.step(), f"{name}, member {k}, step {step + 1}",
                              CLOSE_FISHER if name.startswith("fisher") else CLOSE)


def test_initial_weights_are_those_of_the_single_runs():
    cfg = make_cfg(**{"lipschitz.name": "sn"})
    ensemble = EnsembleTrainer(C.with_value(cfg, "train.seeds", 3))
    arrays = ensemble.weights()
    for k in range(3):
        single = Trainer(C.with_value(cfg, "train.seed", k)).weights()
        assert set(single) == set(arrays)
        for key, value in single.items():
            np.testing.assert_array_equal(arrays[key][k], value, err_msg=key)  # exactly: the same builders


def test_a_mid_run_switch_acts_on_every_member_as_on_each_single_run():
    cfg = make_cfg()
    changes = [(2, "loss.name", "wgan"), (2, "lipschitz.name", "gp"), (4, "optim.lr_d", 5e-4),
               (5, "loss.name", "mmdgan")]  # the last builds a D of another head, seeded per member
    ensemble = Runner(EnsembleTrainer(C.with_value(cfg, "train.seeds", 2)), Schedule(list(changes)),
                      MemoryRecorder())
    singles = [Runner(Trainer(C.with_value(cfg, "train.seed", k)), Schedule(list(changes)), MemoryRecorder())
               for k in range(2)]
    ensemble.run(8)
    for single in singles:
        single.run(8)
    assert [e["what"] for e in ensemble.recorder.events] == [w for _, w, _ in changes]
    for row in ensemble.recorder.rows:
        for k, single in enumerate(singles):
            match = next(r for r in single.recorder.rows if r["step"] == row["step"])
            assert_rows_close(row[MEMBERS][k], match, f"member {k}, step {row['step']}")


def test_one_seed_is_a_plain_run(tmp_path):
    cfg = make_cfg()
    assert type(make_trainer(cfg)) is Trainer
    assert type(make_trainer(C.with_value(cfg, "train.seeds", 2))) is EnsembleTrainer
    fast = ["--steps", "12", "--quiet", *(a for key, value in SMALL.items() for a in ("--set", f"{key}={value}"))]
    assert main(["run", *fast, "--out", str(tmp_path / "plain")]) == 0
    assert main(["run", *fast, "--seeds", "1", "--out", str(tmp_path / "one")]) == 0
    for name in ("metrics.csv", "config.toml", "samples.npy", "weights.npz"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name


@pytest.mark.parametrize("method", ["gp", "dragan", "r1", "r2"])
@pytest.mark.parametrize("loss", ["wgan", "mmdgan"])
def test_member_penalty_equals_the_single_model_penalty_on_its_batch(method, loss):
    if method in ("r1", "r2") and loss == "mmdgan":
        pytest.skip("r1 / r2 do not apply to mmdgan")
    cfg = make_cfg(**{"loss.name": loss, "lipschitz.name": method})
    ensemble = EnsembleTrainer(C.with_value(cfg, "train.seeds", 3))
    ensemble.step()  # weights that differ from their initial values
    n = 64
    x_r, x_f = ensemble.real(n), ensemble.G(ensemble.latent(n)).detach()
    rngs = [torch.Generator().set_state(rng.get_state()) for rng in ensemble.rngs]  # where the penalty draws from
    out_r, out_f = ensemble.D(x_r), ensemble.D(x_f)
    penalties = ensemble.penalties(x_r, x_f, out_r, out_f)
    objective, single_method = ensemble.objective, make_method(cfg.lipschitz)
    for k in range(3):
        _, D = ensemble.member_nets(k)
        ref_r, ref_f = D(x_r[k]), D(x_f[k])
        view = D if objective.head == "score" else ScoreView(D, lambda o: objective.scores(o, ref_r, ref_f))  # noqa: B023
        # the independent computation: lipschitz's own penalty on member k's batch with member k's generator
        # (which the ensemble drew from in the same order)
        expected = single_method.penalty(view, x_r[k], x_f[k], rngs[k])
        assert float(expected.detach()) > 1e-3  # a penalty that is there (the test would pass on two zeros)
        assert float(penalties[k].detach()) == pytest.approx(float(expected.detach()), rel=1e-5, abs=1e-7), k


def test_member_spectral_norm_equals_torchs_on_that_members_weight():
    cfg = make_cfg(**{"loss.name": "hinge", "lipschitz.name": "sn"})
    ensemble = EnsembleTrainer(C.with_value(cfg, "train.seeds", 3))
    for _ in range(3):
        ensemble.step()
    for layer in ensemble.D.layers():
        u, v, w = layer.u.clone(), layer.v.clone(), layer.weight.detach().clone()
        batched = layer.effective_weight(iterate=True).detach()  # one power iteration, as in a training forward
        for k in range(3):
            linear = torch.nn.Linear(w.shape[2], w.shape[1])
            with torch.no_grad():
                linear.weight.copy_(w[k])
            spectral_norm(linear, n_power_iterations=1)
            sn = linear.parametrizations.weight[0]
            sn._u.copy_(u[k])
            sn._v.copy_(v[k])
            expected = linear.weight.detach()  # training mode: torch's own power iteration, then W/σ
            torch.testing.assert_close(batched[k], expected, rtol=1e-5, atol=1e-7)
            assert torch.linalg.matrix_norm(expected, ord=2) == pytest.approx(1.0, abs=0.05)


def test_clipping_clamps_every_member():
    cfg = make_cfg(**{"loss.name": "wgan", "lipschitz.name": "clip", "lipschitz.clip": 0.02})
    ensemble = EnsembleTrainer(C.with_value(cfg, "train.seeds", 2))
    ensemble.step()
    for p in ensemble.D.parameters():
        assert float(p.detach().abs().max()) == pytest.approx(0.02, rel=1e-6)


def test_run_folder_holds_every_member_and_prints_a_summary(tmp_path, capsys):
    out = tmp_path / "ens"
    args = ["run", "--steps", "10", "--seeds", "3", "--seed", "5", "--out", str(out), "--quiet",
            *(a for key, value in SMALL.items() for a in ("--set", f"{key}={value}"))]
    assert main(args) == 0
    header, rows = read_metrics(out / "metrics.csv")
    assert header[:2] == ["step", "seed"]
    assert [(r["step"], r["seed"]) for r in rows] == [(s, seed) for s in range(1, 11) for seed in (5, 6, 7)]
    assert all(r["js"] is not None for r in rows[-3:])  # the final rows carry every metric
    assert np.load(out / "samples.npy").shape == (3, 2500, 2)
    assert C.load(out / "config.toml").train.seeds == 3
    printed = capsys.readouterr().out
    assert "3 seeds (5…7) at step 10" in printed
    js = sorted(r["js"] for r in rows[-3:])
    line = next(line.split() for line in printed.splitlines() if line.split()[:1] == ["js"])
    assert [float(line[1]), float(line[2].strip("[")), float(line[4].strip("]"))] == pytest.approx(
        [js[1], js[0], js[2]], rel=1e-3)  # median [min … max], printed to 4 digits


@pytest.mark.parametrize(("values", "message"), [
    ({"train.seeds": 2, "remedy.name": "packing"}, "remedy.name: packing does not work in a seed ensemble"),
    ({"train.seeds": 2, "data.name": "digits", "model.arch": "conv"}, "model.arch: a seed ensemble"),
    ({"train.seeds": 2, "model.conditional": True}, "model.conditional"),
    ({"train.seeds": 2, "loss.name": "vae"}, "loss.name: vae .no game"),
    ({"train.seeds": 2, "train.rng": "device"}, "train.rng: device"),
    ({"train.seeds": 2, "train.reuse_fake": True}, "train.reuse_fake: not in a seed ensemble"),
])
def test_what_an_ensemble_cannot_do_is_refused_in_one_line(values, message):
    with pytest.raises(ConfigError, match=message) as err:
        make_trainer(with_(make_cfg(), values))
    assert "\n" not in str(err.value)


def test_seeds_out_of_range_and_a_live_remedy_are_refused():
    with pytest.raises(ConfigError, match="train.seeds"):
        C.with_value(Config(), "train.seeds", 0)
    ensemble = EnsembleTrainer(make_cfg(**{"train.seeds": 2}))
    with pytest.raises(ConfigError, match="allowed there: none"):
        ensemble.apply("remedy.name", "packing")
    assert ensemble.events == [] and ensemble.cfg.remedy.name == "none"


def test_cli_refuses_bad_seeds_in_one_line(tmp_path, capsys):
    assert main(["run", "--steps", "1", "--seeds", "0", "--out", str(tmp_path / "a"), "--quiet"]) == 2
    assert main(["run", "--steps", "1", "--seeds", "2", "--tensorboard", str(tmp_path / "tb"),
                 "--out", str(tmp_path / "b"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "train.seeds" in err[0] and "--tensorboard" in err[1]


def test_a_non_finite_member_stops_the_ensemble_naming_its_seed_and_keeps_the_last_finite_step():
    from gan_studio.engine import NonFiniteError

    ensemble = EnsembleTrainer(make_cfg(**{"train.seeds": 3, "train.seed": 10}))
    ensemble.step()
    before = ensemble.weights()
    with torch.no_grad():
        ensemble.D.layers()[0].weight[1].fill_(float("nan"))  # member 1 (seed 11) only
    with pytest.raises(NonFiniteError, match="member seed 11 .*step 1 .the last finite ones. are kept"):
        ensemble.step()
    assert ensemble.step_count == 1
    for key, value in ensemble.weights().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_the_window_worker_trains_an_ensemble_and_refuses_what_it_cannot_in_one_line():
    """The window's worker builds an ensemble for train.seeds > 1 (tests/test_ensemble_window.py draws it); what an
    ensemble cannot do per member yet is one line naming what is allowed."""
    from gan_studio.worker.session import engine_trainer

    assert isinstance(engine_trainer(C.with_value(Config(), "train.seeds", 3)), EnsembleTrainer)
    cfg = C.with_value(C.with_value(Config(), "train.seeds", 3), "remedy.name", "unrolled")
    with pytest.raises(ConfigError, match=r"^remedy\.name: unrolled does not work in a seed ensemble yet .*allowed "
                                          r"there: none$"):
        engine_trainer(cfg)
