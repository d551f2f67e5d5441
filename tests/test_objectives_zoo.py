"""The objective zoo (issue #11, phase 1): kernel estimators against closed forms, Fisher GAN against its χ² form,
BEGAN's k_t, EBGAN/MAGAN margins, the relativistic losses against an independent transcription, every spec's
losses on outputs of its head's shape, the witnesses, and the heads."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate
from scipy.spatial.distance import cdist
from scipy.stats import norm

from gan_studio.metrics.kernel import cramer_1d, energy_distance, gaussian_mixture_gram, mmd2_unbiased
from gan_studio.nets.heads import AutoencoderD, FeaturesD, SamplesD, reconstruction_energy
from gan_studio.objectives import energy, fisher, kernel, relativistic
from gan_studio.objectives.base import ALL_LIPSCHITZ, Objective, Reconstruction

SPECS: tuple[Objective, ...] = (*kernel.KERNEL_OBJECTIVES, *fisher.FISHER_OBJECTIVES,
                                    *energy.ENERGY_OBJECTIVES, *relativistic.RELATIVISTIC_OBJECTIVES)
MODULES = (kernel, fisher, energy, relativistic)


def _u_stat_se(h: np.ndarray) -> float:
    """Standard error of a one-sample U-statistic mean_{i≠j} h(z_i, z_j) from its symmetric kernel matrix h:
    2·std(h₁)/√n with h₁(z_i) = mean_{j≠i} h(z_i, z_j) (the leading, Hoeffding term of its variance)."""
    n = len(h)
    h1 = (h.sum(1) - np.diag(h)) / (n - 1)
    return 2.0 * h1.std() / math.sqrt(n)


# --- MMD² ------------------------------------------------------------------------------------------------------------

MU1, S1, MU2, S2, H = 0.0, 1.0, 3.0, 0.5, 1.0  # N(0, 1) vs N(3, 0.5²), Gaussian kernel bandwidth h = 1


def _mmd2_closed_form(mu1, s1, mu2, s2, h):
    """E k(X,X') + E k(Y,Y') − 2 E k(X,Y) for k = exp(−(x−y)²/(2h²)) and two 1D Gaussians."""
    kxx = h / math.sqrt(h * h + 2 * s1 * s1)
    kyy = h / math.sqrt(h * h + 2 * s2 * s2)
    v = h * h + s1 * s1 + s2 * s2
    kxy = h / math.sqrt(v) * math.exp(-((mu1 - mu2) ** 2) / (2 * v))
    return kxx + kyy - 2 * kxy


def test_mmd2_unbiased_matches_closed_form_for_two_gaussians():
    rng = np.random.default_rng(0)
    n = 2000
    x, y = rng.normal(MU1, S1, n), rng.normal(MU2, S2, n)
    estimate = mmd2_unbiased(x, y, bandwidths=[H])
    # Tolerance: 5 standard errors of the U-statistic with h(z, z') = k(x,x') + k(y,y') − k(x,y') − k(x',y), pairing
    # x_i with y_i (its mean over i ≠ j is MMD²_u at m = n up to the diagonal of k(x, y), O(1/n)). Measured: SE ≈ 0.013
    # against MMD² ≈ 1.21 (5 SE ≈ 5 %), and over 40 seeds (n = 500) the z-scores had mean −0.07, std 1.05, so the SE
    # is calibrated. The O(1/n) V-statistic bias is below this resolution: the hand test below pins the formula.
    kxx, kyy = gaussian_mixture_gram(x, x, [H]), gaussian_mixture_gram(y, y, [H])
    kxy = gaussian_mixture_gram(x, y, [H])
    se = _u_stat_se(kxx + kyy - kxy - kxy.T)
    closed = _mmd2_closed_form(MU1, S1, MU2, S2, H)
    assert 0.0 < se < 0.02
    assert estimate == pytest.approx(closed, abs=5 * se)
    # Same distribution: the unbiased estimate is centred on 0 (within 5 SE, here SE = O(1/n)).
    same = mmd2_unbiased(x, rng.normal(MU1, S1, n), bandwidths=[H])
    assert same == pytest.approx(0.0, abs=5 * se)


def test_mmd2_and_energy_distance_on_hand_samples():
    x, y = np.array([0.0, 1.0]), np.array([0.0, 2.0])
    # h = 1: k_xx(0,1) = e^−½, k_yy(0,2) = e^−2, k_xy mean = (1 + e^−2 + e^−½ + e^−½)/4.
    e = math.exp
    expected = e(-0.5) + e(-2.0) - 2 * (1 + e(-2.0) + 2 * e(-0.5)) / 4
    assert mmd2_unbiased(x, y, bandwidths=[1.0]) == pytest.approx(expected, rel=1e-12)
    t = kernel.mmd2_unbiased(torch.tensor(x), torch.tensor(y), kernel.gaussian_mixture([1.0])).item()
    assert t == pytest.approx(expected, rel=1e-12)
    # x = [0, 1], y = [0, 3]: E|X−Y| = (0 + 3 + 1 + 2)/4 = 1.5; U: E|X−X'| = 1, E|Y−Y'| = 3 → 3 − 1 − 3 = −1
    # (unbiased, so it can go negative); V: the zero diagonals halve those means → 3 − 0.5 − 1.5 = 1.
    y = np.array([0.0, 3.0])
    assert energy_distance(x, y, unbiased=True) == pytest.approx(-1.0, abs=1e-12)
    assert energy_distance(x, y, unbiased=False) == pytest.approx(1.0, abs=1e-12)
    assert kernel.energy_distance_u(torch.tensor(x), torch.tensor(y)).item() == pytest.approx(-1.0, abs=1e-12)


def test_mmd2_torch_and_numpy_agree():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0, 1, (300, 2)), rng.normal(0.5, 1.2, (250, 2))
    sigmas = (0.5, 1.0, 2.0)
    reference = mmd2_unbiased(x, y, bandwidths=sigmas)
    k = kernel.gaussian_mixture(sigmas)
    # float64: the same sums in another order, rounding only (rel=1e-9).
    t64 = kernel.mmd2_unbiased(torch.from_numpy(x), torch.from_numpy(y), k).item()
    assert t64 == pytest.approx(reference, rel=1e-9)
    # float32: ~1e-7 relative rounding per kernel value, sums of 1e5 terms; MMD² ≈ 0.1 is not a tiny difference
    # of large numbers here (the terms are ≈ 1–2), so rel=1e-5 holds with margin (measured ~1e-7).
    t32 = kernel.mmd2_unbiased(torch.from_numpy(x).float(), torch.from_numpy(y).float(), k).item()
    assert t32 == pytest.approx(reference, rel=1e-5)


# --- energy distance -------------------------------------------------------------------------------------------------


def _abs_mean(m, s):
    """E|Z| for Z ~ N(m, s²) = s√(2/π) e^{−m²/2s²} + m(1 − 2Φ(−m/s))."""
    return s * math.sqrt(2 / math.pi) * math.exp(-m * m / (2 * s * s)) + m * (1 - 2 * norm.cdf(-m / s))


def _energy_closed_form(mu1, s1, mu2, s2):
    """2E|X − Y| − E|X − X'| − E|Y − Y'| for independent 1D Gaussians."""
    return (2 * _abs_mean(mu1 - mu2, math.hypot(s1, s2)) - _abs_mean(0.0, math.sqrt(2) * s1)
            - _abs_mean(0.0, math.sqrt(2) * s2))


def test_energy_distance_u_statistic_matches_closed_form():
    rng = np.random.default_rng(2)
    n = 2000
    x, y = rng.normal(MU1, S1, n), rng.normal(MU2, S2, n)
    estimate = energy_distance(x, y, unbiased=True)
    dxy = cdist(x[:, None], y[:, None])
    se = _u_stat_se(dxy + dxy.T - cdist(x[:, None], x[:, None]) - cdist(y[:, None], y[:, None]))
    closed = _energy_closed_form(MU1, S1, MU2, S2)  # ≈ 4.31
    assert 0.0 < se < 0.1
    # 5 standard errors (measured SE ≈ 0.053, 5 SE ≈ 6 % of ED; z-scores over 40 seeds: mean −0.12, std 1.1): the
    # V-statistic's bias (E|X−X'| + E|Y−Y'|)/n ≈ 1e-3 is below it, so the U/V formulas are pinned exactly below.
    assert estimate == pytest.approx(closed, abs=5 * se)


def test_energy_distance_v_statistic_is_the_empirical_cramer_distance():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 1, 700), rng.normal(0.3, 2.0, 500)
    v, u = energy_distance(x, y, unbiased=False), energy_distance(x, y, unbiased=True)
    # 1D: ED(P, Q) = 2∫(F − G)² for any P, Q, the empirical ones included: an identity, so rounding only.
    assert v == pytest.approx(cramer_1d(x, y), rel=1e-10)
    # V − U = E_V|X−X'|/(m−1) + E_V|Y−Y'|/(n−1) > 0 with the within-sample V-means: exact algebra, the V bias.
    sxx = cdist(x[:, None], x[:, None]).sum() / len(x) ** 2
    syy = cdist(y[:, None], y[:, None]).sum() / len(y) ** 2
    assert v - u == pytest.approx(sxx / (len(x) - 1) + syy / (len(y) - 1), rel=1e-9)
    # torch U-statistic = NumPy U-statistic (float64, rounding only).
    t = kernel.energy_distance_u(torch.from_numpy(x), torch.from_numpy(y)).item()
    assert t == pytest.approx(u, rel=1e-9)


def test_energy_distance_closed_form_is_twice_the_cramer_integral():
    # The population identity on the two Gaussians: 2∫(Φ₁ − Φ₂)² dx by quadrature (error ~1e-10) = the E|Z| form.
    integral = integrate.quad(lambda t: (norm.cdf(t, MU1, S1) - norm.cdf(t, MU2, S2)) ** 2, -40, 40, limit=200)[0]
    assert 2 * integral == pytest.approx(_energy_closed_form(MU1, S1, MU2, S2), abs=1e-8)


def test_cramer_generator_loss_estimates_energy_distance_plus_data_spread():
    # With h = identity in 1D, E L_g = 2E|X − Y| − E|Y − Y'| = ED + E|X − X'|; the per-pair estimate's SE is the
    # std of the per-sample terms / √n (≈ 0.01 at n = 20000, measured); 5 SE.
    gen = torch.Generator().manual_seed(4)
    n = 20_000
    x = torch.randn(n, 1, generator=gen, dtype=torch.float64) * S1 + MU1
    y, y2 = (torch.randn(n, 1, generator=gen, dtype=torch.float64) * S2 + MU2 for _ in range(2))
    loss = kernel.CRAMER.g_loss(x, (y, y2), {}).item()
    terms = ((x - y).abs() + (x - y2).abs() - (y - y2).abs()).squeeze(1)
    se = terms.std().item() / math.sqrt(n)
    expected = _energy_closed_form(MU1, S1, MU2, S2) + _abs_mean(0.0, math.sqrt(2) * S1)
    assert loss == pytest.approx(terms.mean().item(), rel=1e-12)
    assert loss == pytest.approx(expected, abs=5 * se)


# --- witnesses: what the views draw is the objective's own inner maximum ------------------------------------------


def test_witnesses_attain_the_discrepancy():
    gen = torch.Generator().manual_seed(5)
    phi_r = torch.randn(64, 6, generator=gen, dtype=torch.float64) + 0.5
    phi_f = torch.randn(48, 6, generator=gen, dtype=torch.float64)
    phi_f2 = torch.randn(48, 6, generator=gen, dtype=torch.float64)

    def gap(name, out_f=phi_f):
        witness = kernel.WITNESSES[name]
        return (witness(phi_r, phi_r, out_f).mean() - witness(phi_f, phi_r, out_f).mean()).item()

    # E_r f − E_f f of the MMD witness is the V-statistic MMD² (all pairs), computed independently here.
    k = kernel.gaussian_mixture(kernel.MMDGAN_SIGMAS)
    v_stat = (k(kernel.sq_dists(phi_r, phi_r)).mean() + k(kernel.sq_dists(phi_f, phi_f)).mean()
              - 2 * k(kernel.sq_dists(phi_r, phi_f)).mean()).item()
    assert gap("mmdgan") == pytest.approx(v_stat, rel=1e-9)
    # McGAN: the witness built from v* attains ‖μ_r − μ_f‖_q, and the one from the top singular pairs the Ky Fan norm.
    assert gap("mcgan-mean") == pytest.approx(kernel.MCGAN_MEAN.estimate.compute(phi_r, phi_f), rel=1e-9)
    assert gap("mcgan-cov") == pytest.approx(kernel.MCGAN_COV.estimate.compute(phi_r, phi_f), rel=1e-9)
    w = kernel.WITNESSES["cramer"](phi_r, phi_r, (phi_f, phi_f2))
    assert w.shape == (64,) and torch.isfinite(w).all()
    # ℓ1 mean matching: v* = sign(Δ), the dual ℓ∞ ball.
    l1 = kernel.make_mcgan_mean(q=1.0)
    delta = phi_r.mean(0) - phi_f.mean(0)
    assert l1.estimate.compute(phi_r, phi_f) == pytest.approx(delta.abs().sum().item(), rel=1e-12)
    w1 = kernel.mcgan_mean_witness(1.0)
    assert (w1(phi_r, phi_r, phi_f).mean() - w1(phi_f, phi_r, phi_f).mean()).item() == pytest.approx(
        delta.abs().sum().item(), rel=1e-9)


# --- Fisher GAN ------------------------------------------------------------------------------------------------------


def test_fisher_constraint_and_lambda_update_on_hand_values():
    spec = fisher.make_fisher(rho=0.1)
    s_r = torch.tensor([1.0, 2.0], dtype=torch.float64)
    s_f = torch.tensor([0.0, -1.0], dtype=torch.float64)
    # Ω = ½((1 + 4)/2 + (0 + 1)/2) = 1.5; Ê = 1.5 − (−0.5) = 2; L_F = 2 + 0.3·(1 − 1.5) − 0.05·0.25 = 1.8375.
    assert fisher.omega(s_r, s_f).item() == pytest.approx(1.5, abs=1e-15)
    state = {"fisher_lambda": 0.3, "fisher_omega": math.nan}
    assert spec.d_loss(s_r, s_f, state).item() == pytest.approx(-1.8375, abs=1e-15)
    assert spec.g_loss(s_r, s_f, state).item() == pytest.approx(0.5, abs=1e-15)
    # λ ← λ − ρ(1 − Ω) = 0.3 − 0.1·(−0.5) = 0.35: λ grows while the second moment is above 1.
    new = spec.update_state(state, s_r, s_f)
    assert new == {"fisher_lambda": pytest.approx(0.35, abs=1e-15), "fisher_omega": pytest.approx(1.5, abs=1e-15)}
    assert spec.init_state() == {"fisher_lambda": 0.0, "fisher_omega": pytest.approx(math.nan, nan_ok=True)}
    # Ê/√Ω: the critic rescaled onto the constraint.
    assert spec.estimate.compute(s_r, s_f) == pytest.approx(2.0 / math.sqrt(1.5), rel=1e-12)


def test_fisher_critic_on_a_grid_reaches_the_chi2_closed_form():
    # A frozen "generator": P and Q are empirical distributions on a 25-point grid (integer counts, so every batch
    # mean is an exact expectation under P̂, Q̂). The critic is a free function f on the grid, trained by Adam on
    # d_loss with the multiplier stepped by update_state after every step, as the engine will.
    # Closed form (Mroueh & Sercu 2017, Theorem 2; derivation in objectives/fisher.py): d_F = √(∫(p − q)²/μ)
    # = 2√χ²(P ‖ μ), μ = (P + Q)/2, attained at f* = (p − q)/(d_F·μ) with λ* = d_F/2 and Ω = 1.
    grid = torch.linspace(-3, 4, 25, dtype=torch.float64)
    p = torch.exp(-0.5 * grid**2)
    q = torch.exp(-0.5 * (grid - 1) ** 2 / 0.64)
    counts_p, counts_q = torch.round(400 * p / p.sum()).long(), torch.round(400 * q / q.sum()).long()
    idx_r = torch.repeat_interleave(torch.arange(25), counts_p)
    idx_f = torch.repeat_interleave(torch.arange(25), counts_q)
    p_hat, q_hat = counts_p.double() / counts_p.sum(), counts_q.double() / counts_q.sum()
    mu = (p_hat + q_hat) / 2
    support = mu > 0
    d_f = torch.sqrt(((p_hat - q_hat)[support] ** 2 / mu[support]).sum()).item()
    chi2 = (((p_hat - mu)[support] ** 2) / mu[support]).sum().item()
    assert d_f == pytest.approx(2 * math.sqrt(chi2), rel=1e-12)

    spec = fisher.make_fisher(rho=0.05)  # ρ = 0.05 and Adam 0.02 converge here; the paper's ρ = 1e-6 is for images
    f = torch.zeros(25, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([f], lr=0.02, betas=(0.5, 0.999))
    state = spec.init_state()
    for _ in range(2000):
        s_r, s_f = f[idx_r], f[idx_f]
        loss = spec.d_loss(s_r, s_f, state)
        opt.zero_grad()
        loss.backward()
        opt.step()
        state = spec.update_state(state, s_r.detach(), s_f.detach())
    s_r, s_f = f[idx_r].detach(), f[idx_f].detach()
    # Measured after 2000 steps: every deviation below 1e-7; abs=1e-5 leaves room for platform differences and still
    # rejects d_F/2, √2·d_F or the χ² itself (0.25 here) by orders of magnitude.
    assert fisher.ipm(s_r, s_f).item() == pytest.approx(d_f, abs=1e-5)
    assert state["fisher_omega"] == pytest.approx(1.0, abs=1e-5)
    assert state["fisher_lambda"] == pytest.approx(d_f / 2, abs=1e-5)
    assert spec.estimate.compute(s_r, s_f) == pytest.approx(d_f, abs=1e-5)
    f_star = (p_hat - q_hat)[support] / (d_f * mu[support])
    assert f.detach()[support].tolist() == pytest.approx(f_star.tolist(), abs=1e-3)


def test_bregman_kl_cost():
    x = torch.tensor([[0.2, 0.8]], dtype=torch.float64)
    y = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    # Σ x log(x/y) − x + y = 0.2 log 0.4 + 0.8 log 1.6 (the −x + y terms cancel: both sum to 1).
    assert fisher.bregman_kl(x, y).item() == pytest.approx(0.2 * math.log(0.4) + 0.8 * math.log(1.6), rel=1e-12)
    assert fisher.bregman_kl(x, x).item() == pytest.approx(0.0, abs=1e-15)


# --- energy objectives -----------------------------------------------------------------------------------------------


def _rec(energies, codes=None):
    e = torch.tensor(energies, dtype=torch.float64)
    c = torch.tensor(codes, dtype=torch.float64) if codes is not None else torch.zeros(len(energies), 2)
    return Reconstruction(e, c)


def test_ebgan_margin_loss_and_pull_away_on_hand_values():
    out_r = _rec([0.2, 0.4])
    out_f = _rec([0.5, 1.5, 0.0], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # L_D = mean(0.2, 0.4) + mean([1 − 0.5]⁺, [1 − 1.5]⁺, [1 − 0]⁺) = 0.3 + (0.5 + 0 + 1)/3 = 0.8
    assert energy.EBGAN.d_loss(out_r, out_f, {}).item() == pytest.approx(0.8, abs=1e-15)
    assert energy.EBGAN.g_loss(None, out_f, {}).item() == pytest.approx(2.0 / 3.0, abs=1e-15)
    # PT: cos² of the pairs (1,2) = 0, (1,3) = ½, (2,3) = ½; Σ over i ≠ j = 2; /(3·2) = 1/3.
    assert energy.pull_away(out_f.code).item() == pytest.approx(1.0 / 3.0, abs=1e-15)
    assert energy.EBGAN_PT.g_loss(None, out_f, {}).item() == pytest.approx(2.0 / 3.0 + 0.1 / 3.0, abs=1e-15)
    assert energy.EBGAN.estimate.compute(out_r, out_f) == pytest.approx(1.0 - 0.8, abs=1e-15)
    assert energy.EBGAN.decision_level == 0.5 * energy.EBGAN_MARGIN


def test_ebgan_tv_estimate_is_exact_at_the_optimal_energy():
    # Optimal D for fixed G: e = 0 where p ≥ q, e = m where p < q; then 1 − L_D/m = TV(P̂, Q̂) exactly.
    rng = np.random.default_rng(6)
    cells_r, cells_f = rng.integers(0, 10, 300), rng.integers(3, 13, 200)
    p = np.bincount(cells_r, minlength=13) / 300
    q = np.bincount(cells_f, minlength=13) / 200
    m = energy.EBGAN_MARGIN
    e = np.where(p >= q, 0.0, m)
    out_r, out_f = _rec(e[cells_r].tolist()), _rec(e[cells_f].tolist())
    assert energy.EBGAN.estimate.compute(out_r, out_f) == pytest.approx(0.5 * np.abs(p - q).sum(), abs=1e-12)


def test_began_k_stays_in_unit_interval_and_is_constant_at_equilibrium():
    rng = np.random.default_rng(7)
    k = 0.0
    for e_r, e_f in rng.exponential(1.0, (2000, 2)) * rng.choice([1e-3, 1.0, 1e3], (2000, 1)):
        k = energy.began_k_step(k, e_r, e_f, lambda_k=0.01)
        assert 0.0 <= k <= 1.0
    assert energy.began_k_step(0.0, 0.0, 1e6) == 0.0 and energy.began_k_step(1.0, 1e6, 0.0) == 1.0
    # γ·L(x) − L(G(z)) = 0: the proportional step is zero, k stays where it is, and M_global = L(x).
    spec = energy.BEGAN
    state = {**spec.init_state(), "began_k": 0.37}
    out_r, out_f = _rec([0.8, 1.2]), _rec([0.4, 0.6])  # γ = 0.5: 0.5·1.0 − 0.5 = 0
    new = spec.update_state(state, out_r, out_f)
    assert new["began_k"] == pytest.approx(0.37, abs=1e-15)
    assert new["began_m_global"] == pytest.approx(1.0, abs=1e-15)
    assert set(new) == set(spec.state_columns)
    # L_D = E e_r − k·E e_f = 1.0 − 0.37·0.5; off equilibrium k moves by λ_k(γ e_r − e_f): 0.001·(0.5 − 2).
    assert spec.d_loss(out_r, out_f, new).item() == pytest.approx(1.0 - 0.37 * 0.5, abs=1e-15)
    moved = spec.update_state(new, out_r, _rec([2.0, 2.0]))
    assert moved["began_k"] == pytest.approx(0.37 - 0.0015, abs=1e-15)
    assert moved["began_m_global"] == pytest.approx(1.0 + 1.5, abs=1e-15)


def test_magan_margin_starts_at_the_real_energy_and_only_shrinks():
    spec = energy.make_magan(window=2)
    state = spec.init_state()
    out_r, out_f = _rec([1.0, 3.0]), _rec([4.0, 6.0])
    # Before the first update the margin is this batch's mean real energy, 2: L_D = 2 + mean([2−4]⁺, [2−6]⁺) = 2.
    assert spec.d_loss(out_r, out_f, state).item() == pytest.approx(2.0, abs=1e-15)
    state = spec.update_state(state, out_r, out_f)
    assert state["margin"] == 2.0 and state["magan_window_n"] == 1.0
    state = spec.update_state(state, _rec([0.5, 0.5]), out_f)  # window means: real (2 + 0.5)/2 = 1.25 < 2 < fake 5
    assert state["margin"] == pytest.approx(1.25, abs=1e-15) and state["magan_window_n"] == 0.0
    for _ in range(2):  # real energy above the margin: no change
        state = spec.update_state(state, _rec([3.0, 3.0]), out_f)
    assert state["margin"] == pytest.approx(1.25, abs=1e-15)
    assert energy.magan_margin_step(2.0, 1.0, 0.5) == 2.0  # real below m but above fake: no change
    assert set(state) == set(spec.state_columns)


# --- relativistic ----------------------------------------------------------------------------------------------------

S_R = [0.5, -1.0, 2.0]
S_F = [2.0, 0.0, -0.5]


def _log_sig(x):
    return -math.log1p(math.exp(-x))


def _mean(xs):
    return sum(xs) / len(xs)


def _relativistic_transcription():
    """Jolicoeur-Martineau (2018) §4, with C = the raw score, written with the math module."""
    mr, mf = _mean(S_R), _mean(S_F)
    pairs = list(zip(S_R, S_F, strict=True))
    return {
        "rsgan": (-_mean([_log_sig(r - f) for r, f in pairs]), -_mean([_log_sig(f - r) for r, f in pairs])),
        "rasgan": (
            -_mean([_log_sig(r - mf) for r in S_R]) - _mean([math.log(1 - 1 / (1 + math.exp(-(f - mr)))) for f in S_F]),
            -_mean([_log_sig(f - mr) for f in S_F]) - _mean([math.log(1 - 1 / (1 + math.exp(-(r - mf)))) for r in S_R]),
        ),
        "ralsgan": (
            _mean([(r - mf - 1) ** 2 for r in S_R]) + _mean([(f - mr + 1) ** 2 for f in S_F]),
            _mean([(f - mr - 1) ** 2 for f in S_F]) + _mean([(r - mf + 1) ** 2 for r in S_R]),
        ),
        "rahinge": (
            _mean([max(0.0, 1 - (r - mf)) for r in S_R]) + _mean([max(0.0, 1 + (f - mr)) for f in S_F]),
            _mean([max(0.0, 1 - (f - mr)) for f in S_F]) + _mean([max(0.0, 1 + (r - mf)) for r in S_R]),
        ),
    }


@pytest.mark.parametrize("spec", relativistic.RELATIVISTIC_OBJECTIVES, ids=lambda s: s.name)
def test_relativistic_losses_match_the_paper(spec):
    s_r, s_f = torch.tensor(S_R, dtype=torch.float64), torch.tensor(S_F, dtype=torch.float64)
    d_expected, g_expected = _relativistic_transcription()[spec.name]
    # float64 and the same formulas: rounding only, rel=1e-12.
    assert spec.d_loss(s_r, s_f, {}).item() == pytest.approx(d_expected, rel=1e-12)
    assert spec.g_loss(s_r, s_f, {}).item() == pytest.approx(g_expected, rel=1e-12)
    assert spec.estimate.compute(s_r, s_f) == pytest.approx(_mean(S_R) - _mean(S_F), rel=1e-12)


def test_relativistic_sign_convention():
    # Real scored far above fake: D pays ~nothing (hinge exactly 0); G is pushed to raise s_f and lower s_r.
    s_r, s_f = torch.tensor([5.0, 6.0]), torch.tensor([-5.0, -6.0])
    assert relativistic.RAHINGE.d_loss(s_r, s_f, {}).item() == pytest.approx(0.0, abs=1e-12)
    assert relativistic.RASGAN.d_loss(s_r, s_f, {}).item() == pytest.approx(0.0, abs=1e-4)
    s_f = s_f.clone().requires_grad_(True)
    s_r = s_r.clone().requires_grad_(True)
    relativistic.RASGAN.g_loss(s_r, s_f, {}).backward()
    assert (s_f.grad < 0).all() and (s_r.grad > 0).all()


# --- every spec: finite scalar losses with gradients on outputs of its head's shape --------------------------------


def _outputs(spec: Objective, n: int, gen: torch.Generator, shift: float = 0.0):
    def one():
        if spec.head == "score":
            return (torch.randn(n, generator=gen) + shift).requires_grad_(True)
        if spec.head in ("features", "none"):
            return (torch.randn(n, 4, generator=gen) + shift).requires_grad_(True)
        energies = torch.nn.functional.softplus(torch.randn(n, generator=gen) + shift).requires_grad_(True)
        return Reconstruction(energies, torch.randn(n, 3, generator=gen).requires_grad_(True))

    return one() if spec.fake_batches == 1 else tuple(one() for _ in range(spec.fake_batches))


def _leaves(out):
    if isinstance(out, Reconstruction):
        return [out.energy, out.code]
    if isinstance(out, tuple):
        return [t for o in out for t in _leaves(o)]
    return [out]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_spec_gives_finite_scalar_losses_with_gradients(spec):
    gen = torch.Generator().manual_seed(8)
    out_r = _outputs(Objective(**{**spec.__dict__, "fake_batches": 1}), 16, gen, shift=0.5)
    out_f = _outputs(spec, 16, gen)
    state = spec.init_state()
    assert set(state) == set(spec.state_columns)
    d = spec.d_loss(out_r, out_f, state)
    g = spec.g_loss(out_r if spec.g_needs_real else None, out_f, state)
    for loss in (d, g):
        assert loss.shape == () and math.isfinite(loss.item())
    d_grads = torch.autograd.grad(d, _leaves(out_r) + _leaves(out_f), allow_unused=True)
    g_grads = torch.autograd.grad(g, _leaves(out_f), allow_unused=True)
    assert all(gr is None or torch.isfinite(gr).all() for gr in (*d_grads, *g_grads))
    if spec.head != "none":  # GMMN has no D: its d_loss is a zero
        assert any(gr is not None and gr.abs().sum() > 0 for gr in d_grads)
    assert any(gr is not None and gr.abs().sum() > 0 for gr in g_grads)

    def detached(out):
        if isinstance(out, torch.Tensor):
            return out.detach()
        if isinstance(out, Reconstruction):
            return Reconstruction(out.energy.detach(), out.code.detach())
        return tuple(detached(o) for o in out)

    new = spec.update_state(state, detached(out_r), detached(out_f))
    assert set(new) == set(spec.state_columns)
    if spec.estimate is not None:
        assert math.isfinite(spec.estimate.compute(detached(out_r), detached(out_f)))


def test_specs_are_consistent():
    names = [s.name for s in SPECS]
    assert len(set(names)) == len(names)
    defaults = {k: v for module in MODULES for k, v in module.DEFAULTS.items()}
    assert set(defaults) == set(names)
    for spec in SPECS:
        assert spec.lipschitz and set(spec.lipschitz) <= set(ALL_LIPSCHITZ)
        assert list(spec.lipschitz) == [m for m in ALL_LIPSCHITZ if m in spec.lipschitz]  # config order
        assert defaults[spec.name]["lipschitz.name"] in spec.lipschitz
        assert spec.d_reference is None
        assert spec.fake_batches == (2 if spec.name == "cramer" else 1)
        assert (spec.d_view == "energy") == (spec.head == "reconstruction")
        assert spec.d_view != "none"  # GMMN draws the MMD witness of the samples
        assert (spec.witness is not None) == (spec.head in ("features", "none"))
    needs_real = {s.name for s in SPECS if s.g_needs_real}
    assert needs_real == {"gmmn", "mmdgan", "cramer", "mcgan-mean", "mcgan-cov", "fisher", "rsgan", "rasgan",
                          "ralsgan", "rahinge"}
    assert set(kernel.WITNESSES) == {s.name for s in SPECS if s.head in ("features", "none")}
    assert set(energy.ENERGY) == {s.name for s in SPECS if s.head == "reconstruction"}


# --- heads -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2,), (1, 8, 8)])
def test_head_output_shapes(shape):
    torch.manual_seed(0)
    x = torch.randn(5, *shape)
    assert FeaturesD(shape, hidden=8, depth=2, activation="leaky_relu", features=3)(x).shape == (5, 3)
    ae = AutoencoderD(shape, hidden=8, depth=1, activation="relu", code=4, energy="l1")
    out = ae(x)
    assert isinstance(out, Reconstruction) and out.energy.shape == (5,) and out.code.shape == (5, 4)
    x_hat, _ = ae.reconstruct(x)
    assert x_hat.shape == x.shape
    assert out.energy.tolist() == pytest.approx((x - x_hat).abs().flatten(1).mean(1).tolist(), rel=1e-6)
    none = SamplesD(shape)
    assert none(x).shape == (5, math.prod(shape)) and list(none.parameters()) == []


def test_reconstruction_energies():
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    zero = torch.zeros_like(x)
    assert reconstruction_energy(x, zero, "l2").tolist() == [5.0, 0.0]
    assert reconstruction_energy(x, zero, "l1").tolist() == [3.5, 0.0]
    assert reconstruction_energy(x, zero, "mse").tolist() == [12.5, 0.0]
    x.requires_grad_(True)
    reconstruction_energy(x, zero, "l2").sum().backward()  # the perfect reconstruction's gradient is 0, not NaN
    assert torch.isfinite(x.grad).all() and x.grad[1].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="allowed: l2, l1, mse"):
        reconstruction_energy(x, zero, "huber")
