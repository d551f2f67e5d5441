"""Objectives: the registry against the config, losses against hand-computed values, gradient signs, the f-GAN
bounds against closed-form divergences, and the engine's head / Lipschitz checks and state hook."""

import dataclasses
import math

import numpy as np
import pytest
import torch
from configs import config_with
from scipy import integrate
from scipy.stats import norm

from gan_studio import config, objectives
from gan_studio.config import CHOICES, OBJECTIVE_TITLES, ConfigError
from gan_studio.engine import Trainer
from gan_studio.objectives import OBJECTIVES, REGISTRY, get_objective
from gan_studio.objectives.base import ALL_LIPSCHITZ, NO_STATE
from gan_studio.objectives.fgan import F_DIVERGENCES, bound, optimal_score

TEN = OBJECTIVES[:10]  # the objectives of the score-only engine; the zoo's are tests/test_objectives_zoo.py's
S_R = [0.5, -1.0]
S_F = [2.0, 0.0]


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


def _mean(f, xs):
    return sum(f(x) for x in xs) / len(xs)


def _sp(x):
    """softplus with the math module (independent of torch)."""
    return math.log1p(math.exp(x))


def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# The f-GAN table of REFERENCE.md written literally (no stable rewriting): g(v), f*(t), and the generator f(u).
G_LIT = {
    "kl": lambda v: v,
    "rkl": lambda v: -math.exp(-v),
    "pearson": lambda v: v,
    "hellinger": lambda v: 1.0 - math.exp(-v),
    "js": lambda v: math.log(2.0) - math.log(1.0 + math.exp(-v)),
}
FSTAR_LIT = {
    "kl": lambda t: math.exp(t - 1.0),
    "rkl": lambda t: -1.0 - math.log(-t),
    "pearson": lambda t: t * t / 4.0 + t,
    "hellinger": lambda t: t / (1.0 - t),
    "js": lambda t: -math.log(2.0 - math.exp(t)),
}
F_GEN = {  # Nowozin et al. 2016, Table 1: D_f(P‖Q) = ∫ q f(p/q)
    "kl": lambda u: u * math.log(u),
    "rkl": lambda u: -math.log(u),
    "pearson": lambda u: (u - 1.0) ** 2,
    "hellinger": lambda u: (math.sqrt(u) - 1.0) ** 2,
    "js": lambda u: -(u + 1.0) * math.log((1.0 + u) / 2.0) + u * math.log(u),
}


def test_registry_matches_config():
    assert OBJECTIVES == tuple(CHOICES["loss.name"]) == tuple(OBJECTIVE_TITLES)  # same names, same order
    for name, objective in REGISTRY.items():
        assert objective.name == name
        assert CHOICES["loss.name"][name] and OBJECTIVE_TITLES[name]
        assert 2 <= objective.about.count(". ") + 1 <= 6, name  # a few sentences for a student
    assert TEN == ("minimax", "ns", "wgan", "lsgan", "hinge", *(f"fgan-{k}" for k in F_DIVERGENCES))
    for name in TEN:
        objective = REGISTRY[name]
        assert objective.family in {"classifier", "least_squares", "critic", "fgan"}
        fdiv = objective.estimate is not None and objective.estimate.column == "fdiv_d"
        assert fdiv == (objective.family == "fgan")
        assert objective.head == "score"
        assert objective.lipschitz == ALL_LIPSCHITZ == tuple(CHOICES["lipschitz.name"])
        assert objective.init_state() == {} and objective.state_columns == ()
    assert {k for k, v in REGISTRY.items() if v.family == "fgan"} == {f"fgan-{k}" for k in F_DIVERGENCES}
    assert OBJECTIVE_TITLES["ns"] == "non-saturating GAN" and OBJECTIVE_TITLES["fgan-rkl"] == "f-GAN, reverse KL"


def test_estimate_columns():
    columns = {name: o.estimate.column if o.estimate else None for name, o in REGISTRY.items() if name in TEN}
    assert columns == {"minimax": "js_d", "ns": "js_d", "wgan": "w1_critic", "lsgan": None, "hinge": None,
                       **{f"fgan-{k}": "fdiv_d" for k in F_DIVERGENCES}}
    s_r, s_f = _t(S_R), _t(S_F)
    # js_d = (V + log 4)/2 with V = −L_D of the classifier; w1_critic = E s_r − E s_f
    assert REGISTRY["ns"].estimate.compute(s_r, s_f) == pytest.approx((-EXPECTED_D["ns"] + math.log(4)) / 2, rel=1e-12)
    assert REGISTRY["wgan"].estimate.compute(s_r, s_f) == pytest.approx(-EXPECTED_D["wgan"], rel=1e-12)


def test_display_facts_match_what_the_views_drew_by_name():
    # data2d.boundary_level, its colour-bar label, and data1d.d_curve as they were before the Objective: the
    # views now read these facts from the frame instead of branching on the loss name.
    facts = {name: (o.d_view, o.decision_level, o.d_label, o.d_curve_label, o.d_reference)
             for name, o in REGISTRY.items() if name in TEN}
    prob, raw = "σ(D(x)) = P(real)", "raw score D(x)"
    assert facts == {
        "minimax": ("probability", 0.5, prob, prob, "optimal_d"),
        "ns": ("probability", 0.5, prob, prob, "optimal_d"),
        "wgan": ("score", None, "critic score D(x)", "critic D(x) − E_data D", "optimal_critic"),
        "lsgan": ("score", 0.5, raw, "D(x) (LSGAN targets 1 real, 0 fake)", "optimal_d"),
        "hinge": ("score", 0.0, "critic score D(x)", raw, None),
        **{f"fgan-{k}": ("score", None, raw, raw, None) for k in F_DIVERGENCES},
    }


def test_get_objective_unknown_name_is_config_error():
    assert get_objective("wgan") is REGISTRY["wgan"]
    with pytest.raises(ConfigError, match="loss.name.*allowed.*minimax"):
        get_objective("wgan-gp")


# Expected values computed with the math module from the table's definitions; float64 tensors, so the only
# difference is rounding: rel=1e-12.
EXPECTED_D = {
    "minimax": _mean(lambda s: _sp(-s), S_R) + _mean(_sp, S_F),
    "ns": -_mean(lambda s: math.log(_sig(s)), S_R) - _mean(lambda s: math.log(1 - _sig(s)), S_F),
    "wgan": _mean(lambda s: s, S_F) - _mean(lambda s: s, S_R),
    "lsgan": _mean(lambda s: 0.5 * (s - 1) ** 2, S_R) + _mean(lambda s: 0.5 * s * s, S_F),
    "hinge": _mean(lambda s: max(0.0, 1 - s), S_R) + _mean(lambda s: max(0.0, 1 + s), S_F),
    **{f"fgan-{k}": -(_mean(G_LIT[k], S_R) - _mean(lambda s, k=k: FSTAR_LIT[k](G_LIT[k](s)), S_F)) for k in G_LIT},
}
EXPECTED_G = {
    "minimax": _mean(lambda s: math.log(1 - _sig(s)), S_F),
    "ns": -_mean(lambda s: math.log(_sig(s)), S_F),
    "wgan": -_mean(lambda s: s, S_F),
    "lsgan": _mean(lambda s: 0.5 * (s - 1) ** 2, S_F),
    "hinge": -_mean(lambda s: s, S_F),
    **{f"fgan-{k}": -_mean(lambda s, k=k: FSTAR_LIT[k](G_LIT[k](s)), S_F) for k in G_LIT},
}


@pytest.mark.parametrize("name", TEN)
def test_loss_values_on_hand_scores(name):
    objective = REGISTRY[name]
    d = objective.d_loss(_t(S_R), _t(S_F), NO_STATE)
    g = objective.g_loss(None, _t(S_F), NO_STATE)
    assert d.shape == () and g.shape == ()
    assert d.item() == pytest.approx(EXPECTED_D[name], rel=1e-12)
    assert g.item() == pytest.approx(EXPECTED_G[name], rel=1e-12)
    if objective.family == "fgan":  # L_D is minus the variational bound, exactly
        assert objective.estimate.compute(_t(S_R), _t(S_F)) == pytest.approx(-EXPECTED_D[name], rel=1e-12)


def test_hand_values_spot_check():
    # A few of the numbers above written out by hand. minimax: (softplus(−0.5) + softplus(1))/2 +
    # (softplus(2) + softplus(0))/2 = (0.4740770 + 1.3132617)/2 + (2.1269280 + 0.6931472)/2, digits rounded
    # to 1e-7, hence abs=1e-6.
    assert EXPECTED_D["wgan"] == pytest.approx(1.0 - (-0.25), abs=1e-12)
    assert EXPECTED_D["hinge"] == pytest.approx((0.5 + 2.0) / 2 + (3.0 + 1.0) / 2, abs=1e-12)
    assert EXPECTED_D["lsgan"] == pytest.approx((0.125 + 2.0) / 2 + (2.0 + 0.0) / 2, abs=1e-12)
    assert REGISTRY["minimax"].d_loss(_t(S_R), _t(S_F), NO_STATE).item() == pytest.approx(2.3037069, abs=1e-6)


@pytest.mark.parametrize("name", TEN)
def test_losses_finite_for_extreme_scores(name):
    # float32 scores of ±30: every closed form is representable (exp(31) ≈ 3e13 < float32 max).
    s = torch.tensor([-30.0, 30.0])
    objective = REGISTRY[name]
    assert torch.isfinite(objective.d_loss(s, s, NO_STATE)) and torch.isfinite(objective.g_loss(None, s, NO_STATE))


@pytest.mark.parametrize("s_f, minimax_grad, ns_grad", [
    (0.0, -0.5, -0.5),  # d/ds[−softplus(s)] = −σ(s); d/ds[softplus(−s)] = −σ(−s)
    (-20.0, -_sig(-20.0), -_sig(20.0)),  # minimax saturates (≈ −2e−9), ns stays ≈ −1
])
def test_generator_gradient_saturation(s_f, minimax_grad, ns_grad):
    for name, expected in (("minimax", minimax_grad), ("ns", ns_grad)):
        s = torch.tensor([s_f], dtype=torch.float64, requires_grad=True)
        REGISTRY[name].g_loss(None, s, NO_STATE).backward()
        # float64 with one element: agreement to rounding, rel=1e-9.
        assert s.grad.item() == pytest.approx(expected, rel=1e-9)
    s = torch.tensor([-20.0], dtype=torch.float64, requires_grad=True)
    REGISTRY["minimax"].g_loss(None, s, NO_STATE).backward()
    assert abs(s.grad.item()) < 1e-8  # saturated: the gradient is below float32 resolution of 1


def test_hinge_sign_convention():
    hinge = REGISTRY["hinge"]
    # Higher score = more real: a D that scores real ≥ 1 and fake ≤ −1 pays nothing ...
    assert hinge.d_loss(_t([2.0, 1.0]), _t([-1.0, -3.0]), NO_STATE).item() == pytest.approx(0.0, abs=1e-15)
    # ... and one that has them the wrong way round pays both margins: relu(1+1) + relu(1+1) = 4.
    assert hinge.d_loss(_t([-1.0]), _t([1.0]), NO_STATE).item() == pytest.approx(4.0, abs=1e-15)
    s_f = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    hinge.g_loss(None, s_f, NO_STATE).backward()
    # G is pushed towards higher fake scores: ∂L_G/∂s_f = −1/n exactly.
    assert s_f.grad.tolist() == pytest.approx([-0.5, -0.5], abs=1e-15)


def test_optimal_score_accepts_both_spellings():
    r = _t([0.3])
    assert optimal_score("fgan-pearson")(r).item() == pytest.approx(2 * math.expm1(0.3), rel=1e-12)
    assert optimal_score("pearson")(r).item() == pytest.approx(2 * math.expm1(0.3), rel=1e-12)
    with pytest.raises(ConfigError):
        optimal_score("tv")


# --- f-GAN bounds on P = N(0, 1) (data), Q = N(1, 1) (generator): r(x) = log p/q = 0.5 − x -------------------

P, Q = norm(0.0, 1.0), norm(1.0, 1.0)
LO, HI = -25.0, 26.0  # both densities are below e^-300 outside; keeps exp(v*) finite in float64


def _js_quad():
    m = lambda x: 0.5 * (P.pdf(x) + Q.pdf(x))  # noqa: E731
    kl_pm = integrate.quad(lambda x: P.pdf(x) * math.log(P.pdf(x) / m(x)), LO, HI, limit=200)[0]
    kl_qm = integrate.quad(lambda x: Q.pdf(x) * math.log(Q.pdf(x) / m(x)), LO, HI, limit=200)[0]
    return 0.5 * kl_pm + 0.5 * kl_qm


DIVERGENCE = {
    "kl": 0.5,  # KL(N(0,1) ‖ N(1,1)) = Δμ²/2
    "rkl": 0.5,
    "pearson": math.e - 1.0,  # ∫p²/q − 1 = exp(Δμ²) − 1
    "hellinger": 2.0 * (1.0 - math.exp(-1.0 / 8.0)),  # 2 − 2·BC, BC = exp(−Δμ²/8)
    "js": None,  # 2·JS, JS by quadrature
}


def _divergence(kind):
    return 2.0 * _js_quad() if kind == "js" else DIVERGENCE[kind]


def _quad_bound(kind, score):
    """E_P g(v) − E_Q f*(g(v)) by quadrature, using the module's elementwise g and stable f*(g(·))."""
    fd = F_DIVERGENCES[kind]

    def v(x):
        return score(torch.tensor(0.5 - x, dtype=torch.float64))

    e_p = integrate.quad(lambda x: P.pdf(x) * fd.activation(v(x)).item(), LO, HI, limit=200)[0]
    e_q = integrate.quad(lambda x: Q.pdf(x) * fd.conjugate(v(x)).item(), LO, HI, limit=200)[0]
    return e_p - e_q


@pytest.mark.parametrize("kind", sorted(F_DIVERGENCES))
def test_fgan_bound_tight_at_optimal_score(kind):
    # Quadrature error is ~1e-10; 1e-4 leaves room and still separates every wrong multiple (e.g. JS vs 2·JS).
    assert _quad_bound(kind, optimal_score(kind)) == pytest.approx(_divergence(kind), abs=1e-4)


def test_js_value_is_twice_js():
    # 2·JS − log 4 (the "GAN" row) would be negative; ours is 2·JS ∈ [0, log 4].
    js = _js_quad()
    assert 0.0 < js < math.log(2.0)
    assert _quad_bound("js", optimal_score("js")) == pytest.approx(2.0 * js, abs=1e-4)


@pytest.mark.parametrize("kind", sorted(F_DIVERGENCES))
@pytest.mark.parametrize("how", ["shift", "half"])
def test_fgan_bound_below_divergence_for_other_scores(kind, how):
    opt = optimal_score(kind)
    score = (lambda r: opt(r) + 0.3) if how == "shift" else (lambda r: opt(0.5 * r))
    bound = _quad_bound(kind, score)

    # Fenchel–Young: D_f − bound(T) = ∫ q [f(u) − uT + f*(T)] ≥ 0 with u = p/q, T = g(v); computed from the
    # literal table (f, f*, g), independently of the stable forms in objectives/fgan.py.
    def gap_integrand(x):
        u = math.exp(0.5 - x)
        t = G_LIT[kind](score(torch.tensor(0.5 - x, dtype=torch.float64)).item())
        return Q.pdf(x) * (F_GEN[kind](u) - u * t + FSTAR_LIT[kind](t))

    gap = integrate.quad(gap_integrand, LO, HI, limit=200)[0]
    assert bound == pytest.approx(_divergence(kind) - gap, abs=1e-4)  # quadrature error ≪ 1e-4
    assert gap > 1e-3  # strictly below the divergence for a non-optimal critic


@pytest.mark.parametrize("kind", sorted(F_DIVERGENCES))
def test_fgan_bound_on_samples(kind):
    # Monte Carlo: fgan.bound (the fdiv_d estimate) on scores of fresh samples with the optimal critic. Tolerance:
    # 5 standard errors of the two independent sample means (measured on the same samples; fixed seed, so
    # deterministic).
    gen = torch.Generator().manual_seed(1)
    n = 100_000
    x_r = torch.randn(n, generator=gen, dtype=torch.float64)
    x_f = torch.randn(n, generator=gen, dtype=torch.float64) + 1.0
    opt, fd = optimal_score(kind), F_DIVERGENCES[kind]
    s_r, s_f = opt(0.5 - x_r), opt(0.5 - x_f)
    estimate = bound(fd, s_r, s_f).item()
    assert REGISTRY[f"fgan-{kind}"].estimate.compute(s_r, s_f) == pytest.approx(estimate, rel=1e-12)
    se = math.sqrt(fd.activation(s_r).var().item() / n + fd.conjugate(s_f).var().item() / n)
    assert estimate == pytest.approx(_divergence(kind), abs=5 * se)
    assert np.isfinite(se) and se < 0.1


# --- the engine and the Objective protocol: head and Lipschitz checks, the state hook ---------------------------


def _small(**changes) -> config.Config:
    """A fast config: small nets and batches, a row every 2 steps, measurements never due."""
    base = {"model.hidden": 8, "model.depth": 1, "train.batch_size": 16, "train.log_every": 2,
            "metrics.every": 10_000, "metrics.ot_every": 10_000, "train.device": "cpu"}
    return config_with({**base, **changes})


def _register(monkeypatch, objective):
    """Make ``objective`` a valid loss.name for this test only."""
    monkeypatch.setitem(objectives.REGISTRY, objective.name, objective)
    monkeypatch.setitem(CHOICES["loss.name"], objective.name, "test-only objective")


def _weights(trainer):
    return [p.detach().clone() for p in (*trainer.G.parameters(), *trainer.D.parameters())]


def test_switch_to_another_head_keeps_g_and_builds_a_fresh_d():
    trainer = Trainer(_small())
    for _ in range(3):
        trainer.step()
    g_before = [p.detach().clone() for p in trainer.G.parameters()]
    old_d = trainer.D
    event = trainer.apply("loss.name", "began")
    assert event == {"step": 3, "what": "loss.name", "old": "ns", "new": "began"}
    assert trainer.d_head == "reconstruction" and trainer.D is not old_d
    assert all(torch.equal(a, b) for a, b in zip(g_before, trainer.G.parameters(), strict=True))
    assert {id(p) for g in trainer.opt_d.param_groups for p in g["params"]} == {id(p) for p in trainer.D.parameters()}
    row = trainer.step()
    assert row is not None and np.isfinite(row["loss_d"]) and row["began_k"] == pytest.approx(0.0, abs=1e-3)
    assert set(row) <= set(trainer.columns())  # the autoencoder's extra layers stay out of the header


def test_switch_to_an_objective_without_the_active_lipschitz_method_is_refused(monkeypatch):
    no_clip = dataclasses.replace(REGISTRY["wgan"], name="test-no-clip",
                                  lipschitz=tuple(m for m in ALL_LIPSCHITZ if m != "clip"))
    _register(monkeypatch, no_clip)
    trainer = Trainer(_small(**{"lipschitz.name": "clip"}))
    with pytest.raises(ConfigError, match="lipschitz.name: clip does not apply to loss.name test-no-clip"):
        trainer.apply("loss.name", "test-no-clip")
    assert trainer.cfg.loss.name == "ns" and trainer.events == []
    trainer.apply("lipschitz.name", "gp")
    trainer.apply("loss.name", "test-no-clip")  # allowed once the method applies ...
    with pytest.raises(ConfigError, match="lipschitz.name: clip does not apply"):  # ... and clip is refused now
        trainer.apply("lipschitz.name", "clip")
    assert trainer.cfg.lipschitz.name == "gp"
    with pytest.raises(ConfigError, match="lipschitz.name: clip does not apply"):  # a start with the pair, too
        Trainer(_small(**{"loss.name": "test-no-clip", "lipschitz.name": "clip"}))


def test_state_is_updated_after_every_d_step_and_logged(monkeypatch):
    calls = []

    def update(state, out_r, out_f):
        calls.append((out_r.shape, out_r.requires_grad))
        return {"d_updates": state["d_updates"] + 1.0}

    counting = dataclasses.replace(REGISTRY["ns"], name="test-state", init_state=lambda: {"d_updates": 0.0},
                                   update_state=update, state_columns=("d_updates",))
    _register(monkeypatch, counting)
    trainer = Trainer(_small(**{"loss.name": "test-state", "train.d_steps": 3}))
    assert trainer.step() is None  # not a logged step
    row = trainer.step()
    assert row["d_updates"] == 6.0  # the state after the step's last D update, under its column name
    assert calls == [(torch.Size([16]), False)] * 6  # D's outputs, detached
    trainer.apply("loss.name", "ns")  # a switch starts the new objective's state ...
    assert trainer.objective_state == {}
    trainer.apply("loss.name", "test-state")
    assert trainer.objective_state == {"d_updates": 0.0}
    trainer.step()
    trainer.apply("reset")  # ... and so does a reset
    assert trainer.objective_state == {"d_updates": 0.0}
