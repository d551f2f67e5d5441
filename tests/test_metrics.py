"""Metrics against closed forms. Every tolerance is derived from the estimator's floor / sampling error (comments)."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from gan_studio import metrics as M

LOG2 = math.log(2.0)
P = stats.norm(0.0, 1.0)  # "data"
Q = stats.norm(2.0, 1.0)  # "generator"
B1 = np.array([[-5.0, 7.0]])  # covers both supports to > 5 std


def pdf_p(x):
    return P.pdf(np.asarray(x)[:, 0])


def gauss2d(mean):
    rv = stats.multivariate_normal(mean, np.eye(2))
    return lambda x: rv.pdf(x)


def exact_js_pq() -> float:
    """JS(N(0,1) ‖ N(2,1)) by numerical integration of the closed-form densities."""

    def integrand(x):
        p, q = P.pdf(x), Q.pdf(x)
        m = 0.5 * (p + q)
        return 0.5 * p * math.log(p / m) + 0.5 * q * math.log(q / m)

    return integrate.quad(integrand, -15, 17, limit=200)[0]


def js_sampling_sd(n: int) -> float:
    """First-order sd of the plug-in JS when only the q side is sampled: sd_q(½ log(q/m)) / √n."""
    h = lambda x: 0.5 * math.log(Q.pdf(x) / (0.5 * (P.pdf(x) + Q.pdf(x))))  # noqa: E731
    m1 = integrate.quad(lambda x: Q.pdf(x) * h(x), -15, 17, limit=200)[0]
    m2 = integrate.quad(lambda x: Q.pdf(x) * h(x) ** 2, -15, 17, limit=200)[0]
    return math.sqrt(m2 - m1 * m1) / math.sqrt(n)


# ------------------------------------------------------------------------------------------------ mass bookkeeping
def test_histogram_keeps_every_sample():
    x = np.array([[0.0], [0.5], [1.0], [99.0], [-99.0], [np.nan]])
    m = M.histogram_masses(x, np.array([[0.0, 1.0]]), bins=4)
    # Exact counting: 3 of 6 inside (1.0 on the upper edge counts in the last cell), 3 outside.
    assert m.sum() == pytest.approx(1.0, abs=1e-15)
    assert m[-1] == pytest.approx(3 / 6, abs=1e-15)
    assert m[:-1].tolist() == pytest.approx([1 / 6, 0, 1 / 6, 1 / 6], abs=1e-15)


def test_density_masses_narrow_2d_mode():
    # Tightest toy mode: std 0.02 on 0.1-wide cells; 8×8 midpoint sub-points resolve it, so the grid mass
    # must be 1 up to the Gaussian tail beyond ±0.5 (25 std, ~0) and quadrature error (spacing 0.6 std: < 1e-6).
    rv = stats.multivariate_normal([0.013, -0.021], 0.02**2 * np.eye(2))
    m = M.density_masses(rv.pdf, np.array([[-0.5, 0.5], [-0.5, 0.5]]), bins=10)
    assert m.sum() == pytest.approx(1.0, abs=1e-12)
    assert m[-1] == pytest.approx(0.0, abs=1e-6)


def test_density_masses_unknown_density_is_none():
    assert M.density_masses(lambda x: None, B1) is None


# --------------------------------------------------------------------------------------------------------- JS
def test_js_disjoint_supports_is_log2():
    # Disjoint supports: every cell has mass on one side only, so the histogram estimator gives log 2 exactly
    # (floating error only) whatever the binning or sample size.
    rng = np.random.default_rng(0)
    uniform_pdf = lambda x: stats.uniform(-1, 2).pdf(x[:, 0])  # noqa: E731
    gen = rng.uniform(2.0, 3.0, 500)
    assert M.js_density_vs_samples(uniform_pdf, gen, np.array([[-2.0, 4.0]])) == pytest.approx(LOG2, abs=1e-12)
    cdf = stats.uniform(-1, 2).cdf
    assert M.js_density_vs_samples(None, gen, B1, cdf=cdf) == pytest.approx(LOG2, abs=1e-12)
    # 2D exact density vs generator samples partly inside the grid (where p = 0) and partly outside it
    box = lambda x: np.where(np.all(np.abs(x) <= 1, axis=1), 0.25, 0.0)  # noqa: E731  U([−1, 1]²)
    gen2 = np.concatenate([rng.uniform(1.5, 2.0, (300, 2)), rng.uniform(10, 11, (200, 2))])
    assert M.js_density_vs_samples(box, gen2, np.array([[-2, 2], [-2, 2.0]]), bins=40) == pytest.approx(
        LOG2, abs=1e-12)
    # samples vs samples, 2D, generator entirely outside the data's bounds (explicit outside cell)
    data = rng.normal(size=(400, 2))
    assert M.js_samples(data, data + 100.0) == pytest.approx(LOG2, abs=1e-12)


def test_js_identical_is_within_floor():
    rng = np.random.default_rng(1)
    n = 2500
    same = M.js_density_vs_samples(None, rng.normal(size=n), B1, cdf=P.cdf)
    # Plug-in noise of a histogram of n samples: E JS ≈ (cells − 1)/(8n) with ≤ 100 cells; allow 2× that.
    assert same == pytest.approx(0.0, abs=2 * 99 / (8 * n))
    both = M.js_samples(rng.normal(size=n), rng.normal(size=n), B1)
    # Both sides sampled: ≈ (cells − 1)/(4n); allow 2× that.
    assert both == pytest.approx(0.0, abs=2 * 99 / (4 * n))


@pytest.mark.parametrize("route", ["cdf", "density"])
def test_js_two_gaussians_1d_matches_quadrature(route):
    rng = np.random.default_rng(2)
    n = 20000
    exact = exact_js_pq()
    binned = M.js_discrete(M.density_masses(None, B1, cdf=P.cdf), M.density_masses(None, B1, cdf=Q.cdf))
    # Binning bias alone (100 cells of 0.12 on unit-std densities) is second order in the cell width.
    assert binned == pytest.approx(exact, abs=1e-3)
    kw = {"cdf": P.cdf} if route == "cdf" else {}
    est = M.js_density_vs_samples(pdf_p, rng.normal(2.0, 1.0, n), B1, **kw)
    floor = M.js_noise_floor(pdf_p, rng.normal(0.0, 1.0, n), B1, **kw)
    # Tolerance: 4 first-order sampling sd + the noise floor (upward bias) + the binning bias.
    tol = 4 * js_sampling_sd(n) + floor + abs(exact - binned)
    assert est == pytest.approx(exact, abs=tol)


def test_js_two_gaussians_2d_matches_quadrature():
    # JS is invariant under the orthogonal axis: N((0,0), I) vs N((2,0), I) has the 1D value.
    rng = np.random.default_rng(3)
    n = 20000
    b2 = np.array([[-5.0, 7.0], [-5.0, 5.0]])
    exact = exact_js_pq()
    binned = M.js_discrete(M.density_masses(gauss2d([0, 0]), b2), M.density_masses(gauss2d([2, 0]), b2))
    est = M.js_density_vs_samples(gauss2d([0, 0]), rng.normal(size=(n, 2)) + [2.0, 0.0], b2)
    floor = M.js_noise_floor(gauss2d([0, 0]), rng.normal(size=(n, 2)), b2)
    tol = 4 * js_sampling_sd(n) + floor + abs(exact - binned)  # as in 1D
    assert est == pytest.approx(exact, abs=tol)


def test_js_estimate_falls_back_to_samples():
    rng = np.random.default_rng(4)
    data, data2, gen = rng.normal(size=(3, 1000, 2))
    js, floor, how = M.js_estimate(gen + 100.0, np.array([[-4, 4], [-4, 4.0]]), density=lambda x: None,
                                   data_samples=data, data_samples_2=data2)
    assert js == pytest.approx(LOG2, abs=1e-12)  # disjoint: exact
    # the floor is exactly the samples-vs-samples estimator on the two data samples
    assert floor == pytest.approx(M.js_samples_noise_floor(data, data2, np.array([[-4, 4], [-4, 4.0]])), abs=0)
    assert "histogram vs histogram" in how and "n = 1000" in how


def test_d_implied_js_with_optimal_d():
    rng = np.random.default_rng(5)
    n = 200_000
    score = lambda x: P.logpdf(x) - Q.logpdf(x)  # noqa: E731  optimal score log p_data − log p_g
    xr, xf = rng.normal(0, 1, n), rng.normal(2, 1, n)
    est = M.js_from_scores(score(xr), score(xf))
    # Unbiased at the optimum; sd = ½ sqrt(Var log σ(s_r) + Var log(1−σ(s_f))) / √n, estimated on the samples.
    sd = 0.5 * math.sqrt(np.var(-np.logaddexp(0, -score(xr))) + np.var(-np.logaddexp(0, score(xf)))) / math.sqrt(n)
    assert est == pytest.approx(exact_js_pq(), abs=4 * sd)


def test_d_implied_js_limits_are_stable():
    assert M.js_from_scores(np.zeros(7), np.zeros(5)) == pytest.approx(0.0, abs=1e-15)  # D = ½ everywhere
    # Perfect, saturated D: log σ(1000) = 0 exactly in a stable log-sigmoid -> JS = log 2.
    assert M.js_from_scores(np.full(3, 1000.0), np.full(3, -1000.0)) == pytest.approx(LOG2, abs=1e-12)


def test_optimal_d():
    out = M.optimal_d(np.array([1.0, 0.0, 3.0, 0.0]), np.array([1.0, 2.0, 1.0, 0.0]))
    assert out[:3].tolist() == pytest.approx([0.5, 0.0, 0.75], abs=1e-15)
    assert math.isnan(out[3])  # both densities 0: undefined


# --------------------------------------------------------------------------------------------------------- W1
def test_w1_1d_gaussians():
    rng = np.random.default_rng(6)
    n = 5000
    a, b = rng.normal(0, 1, n), rng.normal(3, 1, n)
    floor = M.w1_1d(rng.normal(0, 1, n), rng.normal(0, 1, n))
    # W1(N(0,1), N(3,1)) = 3. Empirical: the mean difference has sd √(2/n); upward bias ≲ the noise floor.
    assert M.w1_1d(a, b) == pytest.approx(3.0, abs=4 * math.sqrt(2 / n) + floor)
    # unequal sizes take scipy's route; same value within the same tolerance
    assert M.w1_1d(a, b[: n // 2]) == pytest.approx(3.0, abs=4 * math.sqrt(1.5 / (n / 2)) + floor)


def test_w1_exact_translation_is_norm_of_t():
    # W1 of a cloud and its translate by t: the identity matching costs ‖t‖ and no matching costs less
    # (triangle inequality on the mean displacement), so it is exact up to floating error.
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 2))
    for t in ([0.05, -0.02], [3.0, 4.0]):
        assert M.w1_exact(x, x + np.array(t)) == pytest.approx(np.linalg.norm(t), abs=1e-9)


def test_w1_exact_uses_euclidean_cost():
    # Collinear 2D points: 2D optimal transport equals the 1D W1 (a squared cost would give another number).
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=200), rng.normal(1.0, 2.0, size=200)
    lift = lambda v: np.stack([v, np.zeros_like(v)], axis=1)  # noqa: E731
    assert M.w1_exact(lift(a), lift(b)) == pytest.approx(M.w1_1d(a, b), abs=1e-9)


def test_w1_exact_rejects_bad_sizes():
    with pytest.raises(ValueError, match="equal-size"):
        M.w1_exact(np.zeros((10, 2)), np.zeros((11, 2)))
    with pytest.raises(ValueError, match="2048"):
        M.w1_exact(np.zeros((2049, 2)), np.zeros((2049, 2)))


def test_sliced_w1():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(500, 2))
    t = np.array([0.3, -0.4])
    # Translation: every projection is shifted by θ·t, so SW1 = mean |θ·t| = (2/π)‖t‖ for uniform θ; stratified
    # angles integrate |cos| with error ≤ π‖t‖/(2·n_proj²)·... < 1e-3·‖t‖ at 128 projections.
    sw = M.sliced_w1(x, x + t, np.random.default_rng(0), n_proj=128)
    assert sw == pytest.approx(2 / math.pi * 0.5, abs=1e-3 * 0.5)
    # SW1 ≤ W1 (projections are 1-Lipschitz): check the ratio on unrelated clouds.
    a, b = rng.normal(size=(400, 2)), rng.uniform(-2, 2, size=(400, 2))
    ratio = M.sliced_w1(a, b, np.random.default_rng(1)) / M.w1_exact(a, b)
    assert 0.0 < ratio <= 1.0
    # Unequal sizes take the per-projection scipy route and agree with the equal-size route on duplicated data.
    same = M.sliced_w1(a, np.concatenate([b, b]), np.random.default_rng(2))
    assert same == pytest.approx(M.sliced_w1(a, b, np.random.default_rng(2)), abs=1e-12)


def test_critic_estimate_with_optimal_critic_equals_w1():
    rng = np.random.default_rng(10)
    n = 5000
    xr, xf = rng.normal(0, 1, n), rng.normal(3, 1, n)
    f = lambda x: -x  # noqa: E731  optimal 1-Lipschitz critic for N(0,1) (real) vs N(3,1); higher = more real
    est = M.critic_w1(f(xr), f(xf))
    # E f(r) − E f(f) = mean(xf) − mean(xr): sd √(2/n) around W1 = 3.
    assert est == pytest.approx(3.0, abs=4 * math.sqrt(2 / n))
    assert M.w1_lower_bound(est, 2.0) == pytest.approx(est / 2.0, rel=1e-15)
    assert math.isnan(M.w1_lower_bound(est, 0.0))


def test_optimal_critic_1d():
    rng = np.random.default_rng(11)
    n = 5000
    xs = np.linspace(-6, 9, 1501)
    xr, xf = rng.normal(0, 1, n), rng.normal(3, 1, n)
    f, w1 = M.optimal_critic_1d(xs, xf, data_cdf=P.cdf(xs))
    # ∫|F_data − F_g| with the exact data CDF: sampling sd of the mean √(1/n); trapezoid error ≤ grid step / 2
    # per ECDF jump, i.e. ≤ step/2 overall in mass-weighted terms.
    assert w1 == pytest.approx(3.0, abs=4 * math.sqrt(1 / n) + 0.01 / 2)
    # Slope −1 where F_g < F_data (everywhere here but far tails where both are ~0 or ~1).
    inner = (xs > -3) & (xs < 6)
    assert np.diff(f[inner]) == pytest.approx(-np.diff(xs[inner]), abs=1e-12)
    # Convention: zero mean under p_data (quadrature on the grid: error ≤ step).
    assert integrate.trapezoid(f * P.pdf(xs), xs) == pytest.approx(0.0, abs=0.01)
    # Critic estimate with this critic ≈ W1 (sampling sd √(2/n) + grid step).
    fr, ff = np.interp(xr, xs, f), np.interp(xf, xs, f)
    assert M.critic_w1(fr, ff) == pytest.approx(3.0, abs=4 * math.sqrt(2 / n) + 0.01)
    # ECDF route for the data gives the same W1 up to the data's own sampling error (sd √(1/n) more).
    _, w1_emp = M.optimal_critic_1d(xs, xf, data_samples=xr)
    assert w1_emp == pytest.approx(3.0, abs=4 * math.sqrt(2 / n) + 0.01)


# -------------------------------------------------------------------------------------------------- coverage
def test_mode_coverage_constructed():
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    stds = np.array([0.1, 0.1, 0.5, 1.0])
    samples = np.array([
        [0.0, 0.0], [0.29, 0.0], [0.0, -0.2],  # mode 0: 0, 2.9, 2 stds -> HQ
        [10.0, 0.31],  # mode 1: 3.1 stds -> not HQ
        [10.0, 12.9],  # mode 3 (std 1): 2.9 stds -> HQ
        [5.0, 5.0], [np.nan, 0.0],  # far / non-finite -> not HQ
    ])
    out = M.mode_coverage(samples, centres, stds)
    # Exact: HQ = 4 of 7; modes with HQ: {0, 3}; q = (3/4, 0, 0, 1/4): KL(q‖U₄) = ¾ log 3 + ¼ log 1.
    assert out["modes"] == 2
    assert out["hq"] == pytest.approx(100 * 4 / 7, abs=1e-12)
    assert out["rkl"] == pytest.approx(0.75 * math.log(3.0), abs=1e-12)


def test_mode_coverage_balanced_and_empty():
    centres = np.array([[0.0], [5.0]])
    stds = np.array([0.5, 0.5])
    balanced = M.mode_coverage(np.array([[0.1], [4.9], [0.0], [5.2]]), centres, stds)
    assert (balanced["modes"], balanced["hq"], balanced["rkl"]) == pytest.approx((2, 100.0, 0.0), abs=1e-12)
    none = M.mode_coverage(np.array([[2.5], [100.0]]), centres, stds)
    assert (none["modes"], none["hq"]) == pytest.approx((0, 0.0), abs=1e-12)
    assert math.isnan(none["rkl"])  # no HQ sample: the histogram q is undefined


# ------------------------------------------------------------------------------------------------- gradients
def test_top_singular_value():
    c, s = math.cos(0.7), math.sin(0.7)
    R = np.array([[c, -s], [s, c]])
    W = R @ np.diag([3.0, 1.0]) @ R.T @ R  # singular values 3 and 1
    assert M.top_singular_value(W) == pytest.approx(3.0, rel=1e-12)
    conv = np.zeros((2, 1, 2, 2))
    conv[0, 0, 0, 0] = -5.0  # (out, in·kh·kw) matrix has one non-zero: σ = 5
    assert M.top_singular_value(conv) == pytest.approx(5.0, rel=1e-12)


def test_lipschitz_estimate_and_mean():
    assert M.lipschitz_estimate(np.array([0.5, 2.0]), None, np.array([np.nan, 1.0])) == 2.0
    assert math.isnan(M.lipschitz_estimate(None))
    assert M.mean_norm(np.array([1.0, 2.0, 3.0])) == pytest.approx(2.0, abs=1e-15)


# --------------------------------------------------------------------------------------------- point_metrics
def test_point_metrics_columns():
    rng = np.random.default_rng(12)
    centres = np.array([[-1.0, 0.0], [1.0, 0.0]])
    stds = np.array([0.1, 0.1])
    draw = lambda n: centres[rng.integers(0, 2, n)] + 0.1 * rng.normal(size=(n, 2))  # noqa: E731
    real, real2 = draw(400), draw(400)
    fake = real2 + np.array([0.0, 5.0])  # far away
    row = M.point_metrics(fake, real, real2, bounds=np.array([[-2, 2], [-1, 1.0]]), rng=np.random.default_rng(0),
                          centres=centres, stds=stds, exact_ot_n=256)
    assert set(row) == {"js", "js_floor", "sw1", "w1", "w1_floor", "modes", "hq", "rkl"}
    assert row["js"] == pytest.approx(LOG2, abs=1e-12)  # fakes all outside the bounds, data has none there
    assert row["modes"] == 0 and math.isnan(row["rkl"])
    # W1(real2, real2 + t) = 5 exactly (translation)
    # triangle inequality: |W1(real, real2 + t) − W1(real2, real2 + t)| ≤ W1(real, real2) = w1_floor
    assert row["w1"] == pytest.approx(5.0, abs=row["w1_floor"] + 1e-9)


def test_rkl_of_a_perfect_generator_on_unequal_weights_is_zero():
    """rkl compares the mode histogram with the mixture's weights, not with a uniform histogram: samples placed on
    the centres of trimodal1d in exactly its proportions (0.2, 0.5, 0.3) give KL(q ‖ w) = 0 up to rounding
    (abs 1e-12: q = w to the last bits, one log each); the old uniform comparison gave Σ w log(3 w) ≈ 0.069."""
    from gan_studio.data import toy

    ds = toy.TOY_DATASETS["trimodal1d"]()
    counts = np.round(ds.weights * 1000).astype(int)
    samples = np.repeat(ds.centres, counts, axis=0)
    out = M.mode_coverage(samples, ds.centres, ds.stds, weights=ds.weights)
    assert out["modes"] == 3.0 and out["hq"] == pytest.approx(100.0, abs=1e-12)
    assert out["rkl"] == pytest.approx(0.0, abs=1e-12)
    assert M.mode_coverage(samples, ds.centres, ds.stds)["rkl"] == pytest.approx(
        float(np.sum(ds.weights * np.log(3 * ds.weights))), abs=1e-12)  # without weights: against uniform


def test_rkl_of_data_samples_on_trimodal1d_is_near_zero():
    """Data samples (a perfect generator) of trimodal1d, n = 100,000: KL(q ‖ w) of the empirical histogram has
    mean ≈ (k − 1)/(2n) = 1e-5 and a similar spread (a χ²₂/(2n) variable), so abs 1e-3 is ~100 of those and still
    70× below the 0.069 a uniform comparison gives; the modes sit 7.5 stds apart, so assignment errors are nil."""
    import torch

    from gan_studio.data import toy

    ds = toy.TOY_DATASETS["trimodal1d"]()
    x = ds.sample(100_000, torch.Generator().manual_seed(3)).numpy()
    out = M.mode_coverage(x, ds.centres, ds.stds, weights=ds.weights)
    assert out["rkl"] == pytest.approx(0.0, abs=1e-3)


def test_modes_reached_closed_form():
    """Hand-placed samples: centres (0, 0), (4, 0), (0, 10) have regions of radius 2, 2 and 5 (half the distance to
    the nearest other centre). Of n = 200 samples: 2 (= 1 %) in mode 0's region, 1 (0.5 %) in mode 1's, 150 at
    4.9 from mode 2 (inside 5), 46 just outside every region, 1 NaN: exactly modes 0 and 2 are reached. The same
    samples have no high-quality sample at all (everything is ≥ 3 std from its centre)."""
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 10.0]])
    stds = np.array([0.1, 0.1, 0.1])
    assert M.reach_radii(centres, stds) == pytest.approx([2.0, 2.0, 5.0], abs=1e-12)
    samples = np.concatenate([
        np.tile([[1.9, 0.0]], (2, 1)),  # mode 0, 1.9 < 2
        [[4.0, 1.5]],  # mode 1, alone: 0.5 % < 1 %
        np.tile([[0.0, 14.9]], (150, 1)),  # mode 2, 4.9 < 5
        np.tile([[2.0, 2.5]], (46, 1)),  # nearest mode 0 or 1, at √(4 + 6.25) = 3.2 > 2: no region
        [[np.nan, 0.0]],
    ])
    assert len(samples) == 200
    assert M.modes_reached(samples, centres, stds) == 2.0
    assert M.mode_coverage(samples, centres, stds)["modes"] == 0.0  # the 3σ count sees none of them
    assert M.modes_reached(samples, centres, stds, share=0.004) == 3.0  # 1 of 200 = 0.5 % ≥ 0.4 %
    assert M.modes_reached(samples[:0], centres, stds) == 0.0
    # one mode: the region is 3 std (no other centre bounds it): 2.9 std in, 3.1 std out, 1 of 2 = 50 %
    one = M.modes_reached(np.array([[2.9], [3.1]]), np.array([[0.0]]), np.array([1.0]), share=0.6)
    assert (one, M.modes_reached(np.array([[2.9], [3.1]]), np.array([[0.0]]), np.array([1.0]))) == (0.0, 1.0)
