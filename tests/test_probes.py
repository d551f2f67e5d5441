"""Probes with tiny stand-in nets and data sets: exact values for linear nets, shapes, and no side effects."""

import copy
import math
from functools import partial

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_studio import probes
from gan_studio.data.base import Dataset
from gan_studio.frames import Curves1D, Surface2D
from gan_studio.measure.gradients import gradient_diagnostics, spectral_norms
from gan_studio.objectives import get_objective
from gan_studio.objectives.base import NO_STATE

torch.set_num_threads(1)


class Linear(nn.Module):
    """D(x) = w·x + b with a (n,) output, like the contract's discriminators."""

    def __init__(self, w, b=0.0):
        super().__init__()
        self.lin = nn.Linear(len(w), 1)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([w], dtype=torch.float32))
            self.lin.bias.fill_(b)

    def forward(self, x):
        return self.lin(x).squeeze(1)


class Gauss1D(Dataset):
    """N(0, 1) with exact density and CDF."""

    name, shape, description = "g1", (1,), "N(0, 1)"
    bounds = np.array([[-4.0, 4.0]])

    def sample(self, n, generator):
        return torch.randn(n, 1, generator=generator)

    def density(self, x):
        return stats.norm.pdf(np.asarray(x).reshape(-1))

    def cdf(self, x):
        return stats.norm.cdf(np.asarray(x).reshape(-1))


class Blob2D(Dataset):
    """N(0, I) in 2D with exact density."""

    name, shape, description = "b2", (2,), "N(0, I)"
    bounds = np.array([[-3.0, 3.0], [-2.0, 2.0]])

    def sample(self, n, generator):
        return torch.randn(n, 2, generator=generator)

    def density(self, x):
        return stats.multivariate_normal(np.zeros(2), np.eye(2)).pdf(np.asarray(x).reshape(-1, 2))


# generator losses as push_directions gets them: D's outputs (scores) -> batch mean
NS = partial(get_objective("ns").g_loss, None, state=NO_STATE)
WGAN = partial(get_objective("wgan").g_loss, None, state=NO_STATE)


def sn_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(spectral_norm(nn.Linear(2, 16)), nn.ReLU(), spectral_norm(nn.Linear(16, 1)),
                         nn.Flatten(0))


def test_d_on_grid_linear_values_and_shapes():
    D = Linear([2.0, -1.0], 0.5)
    b = np.array([[-1.0, 1.0], [0.0, 3.0]])
    xs, ys, s = probes.d_on_grid(D, b, resolution=7)
    assert xs.shape == (7,) and ys.shape == (7,) and s.shape == (7, 7)
    expected = 2.0 * xs[None, :] - ys[:, None] + 0.5  # row i is y = ys[i]
    assert s == pytest.approx(expected, abs=1e-5)  # float32 forward
    xs1, s1 = probes.d_on_grid(Linear([3.0]), np.array([[-2.0, 2.0]]), resolution=5)
    assert s1 == pytest.approx(3.0 * xs1, abs=1e-5)


def test_gradient_diagnostics_linear_d():
    w = np.array([0.6, -0.8]) * 2.5  # ‖w‖ = 2.5 everywhere
    D = Linear(w.tolist())
    g = torch.Generator().manual_seed(0)
    xr, xf = torch.randn(50, 2, generator=g), torch.randn(40, 2, generator=g) + 3
    out = gradient_diagnostics(D, xr, xf, torch.Generator().manual_seed(1), np.array([[-3, 3], [-3, 3.0]]),
                                      resolution=10)
    for key in ("gx_real", "gx_fake", "gx_interp", "lip"):
        assert out[key] == pytest.approx(2.5, abs=1e-5), key  # float32 gradients
    assert out["sigma_d_0"] == pytest.approx(2.5, rel=1e-6)  # a 1×2 weight: σ = ‖w‖


def test_push_directions_linear_d():
    w = torch.tensor([1.0, 2.0])
    D = Linear(w.tolist(), -0.3)
    x = torch.tensor([[0.0, 0.0], [1.0, -1.0], [3.0, 2.0]])
    s = x @ w - 0.3
    # ns: ℓ_G = softplus(−s), −∇ₓℓ = σ(−s)·w: along +w with length σ(−s)‖w‖ (per sample, not divided by n).
    push = probes.push_directions(D, NS, x)
    assert push == pytest.approx((torch.sigmoid(-s)[:, None] * w).numpy(), abs=1e-6)
    # wgan: ℓ_G = −s, push = w exactly
    assert probes.push_directions(D, WGAN, x) == pytest.approx(np.tile(w.numpy(), (3, 1)), abs=1e-6)
    assert D.lin.weight.grad is None  # parameters' .grad untouched


def test_latent_grid_linear_g():
    A = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
    G = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        G.weight.copy_(A)
    k = 5
    out = probes.latent_grid(G, 2, "gaussian", k=k)
    assert out.shape == (2, k, k, 2)
    t = np.linspace(-2.5, 2.5, k)
    An = A.numpy()
    # out[0, i, j] = G(t_j, t_i) (line i: z₂ = t_i fixed); out[1, i, j] = G(t_i, t_j) (line i: z₁ = t_i fixed)
    assert out[0, 1, 3] == pytest.approx(An @ [t[3], t[1]], abs=1e-5)
    assert out[1, 1, 3] == pytest.approx(An @ [t[1], t[3]], abs=1e-5)
    G1 = nn.Linear(1, 2)
    line = probes.latent_grid(G1, 1, "uniform", k=k)
    assert line.shape == (1, 1, k, 2)
    assert line[0, 0, :, 0] == pytest.approx(
        (G1.weight[0, 0] * torch.linspace(-1, 1, k) + G1.bias[0]).detach().numpy(), abs=1e-6)
    assert probes.latent_grid(nn.Linear(3, 2), 3, "gaussian") is None


def bimodal1d(seed: int, n: int = 2500) -> np.ndarray:
    """n samples of ½ N(−2, 0.5²) + ½ N(2, 0.5²) (the bimodal1d data set)."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.5, -2.0, 2.0) + 0.5 * rng.standard_normal(n)


def test_kde_1d_matches_scipy_and_integrates():
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 0.7, 500)
    xs = np.linspace(-3, 5, 201)
    dens, how = probes.gen_density_on_grid(x, np.array([[-3.0, 5.0]]), resolution=201)
    # unimodal Gaussian samples: the leave-one-out choice is Scott's bandwidth itself (0.205 here), so the KDE is
    # scipy's; terms left out beyond 8.6 bandwidths are < 1e-16 of the peak (inside pytest's abs 1e-12)
    assert dens == pytest.approx(stats.gaussian_kde(x, bw_method="scott")(xs), rel=1e-9)
    # the grid holds the KDE's mass but the tails beyond ±5.7 std of the data: ∫ ≈ 1 within trapezoid error
    assert integrate.trapezoid(dens, xs) == pytest.approx(1.0, abs=1e-3)
    assert "h = 0.205 (leave-one-out)" in how and "n = 500" in how
    # collapsed generator: bandwidth floored at the grid step h, mass still visible; trapezoid error of a
    # Gaussian of std h sampled every h is 2·exp(−2π²) ≈ 5e-9 (Poisson summation)
    dens0, how0 = probes.gen_density_on_grid(np.zeros(100), np.array([[-3.0, 5.0]]), resolution=201)
    assert integrate.trapezoid(dens0, xs) == pytest.approx(1.0, abs=1e-7)
    assert "(collapsed: grid step)" in how0
    for tiny in ([1.0], [1.0, 1.0, 1.0]):  # one sample, or no spread: no crash, floored too
        d, h = probes.kde_1d(np.array(tiny), xs)
        assert integrate.trapezoid(d, xs) == pytest.approx(1.0, abs=1e-7) and "grid step" in h


def test_kde_1d_bandwidth_resolves_modes():
    """Scott's rule takes σ̂ of the whole sample (≈ 2.06 for bimodal1d), so h ≈ 0.43 is as wide as the modes
    (std 0.5) and p̂_g is drawn visibly too broad; the leave-one-out likelihood picks ≈ 0.13."""
    xs = np.linspace(-4.0, 4.0, 201)  # step 0.04: xs[50] = −2, xs[150] = 2
    ours, scott = [], []
    for seed in range(8):
        x = bimodal1d(seed)
        dens, how = probes.kde_1d(x, xs)
        h = float(how.split("h = ")[1].split(" ")[0])
        # the all-points likelihood optimum is 0.12–0.13 on these samples (Scott 0.427–0.433); scored on a
        # 250-point subsample the choice spreads by up to ≈ ±20 % around it (measured 0.11–0.155)
        assert h == pytest.approx(0.13, rel=0.25)
        assert "(leave-one-out)" in how
        ours.append(dens[[50, 150]])
        scott.append(stats.gaussian_kde(x, bw_method="scott")(xs[[50, 150]]))
    # true density at ±2: ½ · 1/(0.5 √(2π)) = 0.399 (the other mode adds 1e-14). One sample's KDE at a peak
    # has a sampling sd of ≈ 5 % at h ≈ 0.13 (√(p R(K) / (n h)) / p), plus a smoothing bias of −3 %
    # (0.5 / √(0.5² + h²) − 1); the mean over 8 samples has sd ≈ 1.2 %, so 10 % holds with room.
    # Measured: −4.3 % and −4.5 % at x = −2 and 2 (single samples −12 % … +4 %).
    true_peak = 0.5 / (0.5 * math.sqrt(2 * math.pi))
    assert np.mean(ours, axis=0) == pytest.approx([true_peak, true_peak], rel=0.10)
    # Scott's bandwidth on the same samples: measured −24.1 % and −24.7 % (bias alone: 0.5 / √(0.5² + 0.43²)
    # − 1 = −24 %), outside the 10 % band, as the view drew it before
    assert np.mean(scott, axis=0) == pytest.approx([0.76 * true_peak] * 2, rel=0.03)


def test_kde_1d_unimodal_bandwidth_near_scott():
    for seed in range(4):
        x = np.sort(np.random.default_rng(seed).standard_normal(2500))
        scott = float(np.std(x, ddof=1) * 2500 ** -0.2)
        h = probes.loo_bandwidth_1d(x, scott)
        # within a factor 1.5 of Scott's either way (measured: Scott's itself, the largest candidate, every seed)
        assert math.log(h / scott) == pytest.approx(0.0, abs=math.log(1.5))


def test_kde_1d_subsample_choice_matches_all_points():
    """The bandwidth scored on a fixed-seed subsample of 250 (widened by (n/m)^(1/5)) is close to
    the maximiser of the leave-one-out likelihood over all 2,500 points, found here by brute force on a
    quarter-octave grid Scott · 2^(−j/4), j = 4 … 12 (Scott / 2 … Scott / 8)."""
    x = np.sort(bimodal1d(0))
    n = len(x)
    scott = float(np.std(x, ddof=1) * n ** -0.2)
    hs = scott * 2.0 ** (-np.arange(4, 13) / 4)
    ll = np.zeros(len(hs))
    for a in range(0, n, 250):
        d2 = (x[a:a + 250, None] - x[None, :]) ** 2
        for k, h in enumerate(hs):
            loo = (np.exp(-d2 / (2 * h * h)).sum(axis=1) - 1.0) / ((n - 1) * h)
            ll[k] += np.log(loo).sum()
    assert 0 < np.argmax(ll) < len(hs) - 1  # an interior maximum (measured at j = 7: 0.128)
    best = hs[np.argmax(ll)]
    h = probes.loo_bandwidth_1d(x, scott)
    # within 2^(1/4) (the brute-force grid's spacing) · 1.1 either way; measured 0.120 against 0.128
    assert math.log(h / best) == pytest.approx(0.0, abs=math.log(1.1 * 2 ** 0.25))


def test_kde_1d_integrates_and_is_deterministic():
    x = bimodal1d(3)
    xs = np.linspace(-5.0, 5.0, 401)
    dens, how = probes.kde_1d(x, xs)
    # all samples lie within ±5 (6 mode stds beyond ±2) and the bandwidth is ≈ 0.13 = 5 grid steps: the
    # trapezoid sum of the KDE is exact to ~1e-12 but for the mass beyond ±5 (< 1e-8)
    assert integrate.trapezoid(dens, xs) == pytest.approx(1.0, abs=1e-6)
    # the same density as scipy's KDE at the chosen bandwidth (scipy's factor is h / σ̂)
    h = float(how.split("h = ")[1].split(" ")[0])
    h_exact = probes.loo_bandwidth_1d(np.sort(x), float(np.std(x, ddof=1) * len(x) ** -0.2))
    assert h == pytest.approx(h_exact, rel=5e-3)  # the string rounds to 3 significant digits
    ref = stats.gaussian_kde(x, bw_method=h_exact / np.std(x, ddof=1))(xs)
    assert dens == pytest.approx(ref, rel=1e-9)
    # deterministic: same input, same output; and the order of the samples does not matter (sorted first)
    dens2, how2 = probes.kde_1d(x.copy(), xs)
    assert np.array_equal(dens, dens2) and how == how2
    dens3, how3 = probes.kde_1d(x[::-1].copy(), xs)
    assert dens3 == pytest.approx(dens, rel=1e-12, abs=1e-300) and how == how3  # only the summation order differs


def test_hist_2d_density_and_outside_count():
    pts = np.array([[0.0, 0.0], [0.01, 0.0], [1.0, 1.0], [50.0, 0.0]])
    b = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    dens, how = probes.gen_density_on_grid(pts, b, resolution=5)  # grid step 0.5, cells centred on the points
    assert dens.shape == (5, 5)
    assert dens.sum() * 0.25 == pytest.approx(3 / 4, abs=1e-12)  # 3 of 4 samples inside, exact
    assert dens[2, 2] * 0.25 == pytest.approx(2 / 4, abs=1e-12) and dens[4, 4] * 0.25 == pytest.approx(1 / 4)
    assert "1 outside" in how and "n = 4" in how


def test_spectral_norms():
    D = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        D[0].weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 1.0]]))
        D[2].weight.copy_(torch.tensor([[0.3, 0.4]]))
    assert spectral_norms(D) == pytest.approx({"sigma_d_0": 3.0, "sigma_d_1": 0.5}, rel=1e-6)
    Dsn = sn_mlp()
    for _ in range(50):  # converge u, v by training-mode forwards
        Dsn(torch.zeros(1, 2))
    sig = spectral_norms(Dsn)
    # effective weight W/σ̂ after 50 power iterations: σ(W/σ̂) = 1 up to the iteration's residual (float32)
    assert sig == pytest.approx({"sigma_d_0": 1.0, "sigma_d_1": 1.0}, abs=1e-3)


def test_probes_leave_d_and_g_and_rngs_untouched():
    D = sn_mlp()
    D.train()
    D[1].eval()  # a mixed flag must be restored as it was
    G = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    state_d, state_g = copy.deepcopy(D.state_dict()), copy.deepcopy(G.state_dict())
    flags = [m.training for m in D.modules()] + [m.training for m in G.modules()]
    torch_rng, np_rng = torch.get_rng_state(), np.random.get_state()
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(30, 2, generator=gen)
    b = np.array([[-2.0, 2.0], [-2.0, 2.0]])
    surf = probes.surface_2d(Blob2D(), D, x.numpy(), resolution=12)
    probes.push_directions(D, NS, x)
    probes.latent_grid(G, 2, "gaussian", k=4)
    gradient_diagnostics(D, x, x + 1, gen, b, resolution=12)
    for k, v in D.state_dict().items():  # includes spectral norm's u, v buffers and the raw weights
        assert torch.equal(v, state_d[k]), k
    for k, v in G.state_dict().items():  # includes batch norm running stats
        assert torch.equal(v, state_g[k]), k
    assert [m.training for m in D.modules()] + [m.training for m in G.modules()] == flags
    assert all(p.grad is None for p in list(D.parameters()) + list(G.parameters()))
    assert torch.equal(torch.get_rng_state(), torch_rng)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), np_rng, strict=True))
    assert isinstance(surf, Surface2D) and surf.score.shape == (12, 12) and surf.gen_density.shape == (12, 12)
    assert surf.data_density.shape == (12, 12)


def test_gradient_diagnostics_only_uses_given_generator():
    D = sn_mlp(1)
    x = torch.randn(20, 2)
    a = gradient_diagnostics(D, x, x + 1, torch.Generator().manual_seed(5), None)
    b = gradient_diagnostics(D, x, x + 1, torch.Generator().manual_seed(5), None)
    assert a == b  # same generator seed -> identical interpolates and values
    assert set(a) == {"gx_real", "gx_fake", "gx_interp", "lip", "sigma_d_0", "sigma_d_1"}


def test_gradient_diagnostics_images():
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 1), nn.Flatten(0))
    with torch.no_grad():
        D[1].weight.fill_(0.5)  # ‖∇ₓD‖ = 0.5·√12 for every image
    x = torch.zeros(6, 3, 2, 2)
    out = gradient_diagnostics(D, x, x, torch.Generator().manual_seed(0), np.zeros((0, 2)))
    assert out["lip"] == pytest.approx(0.5 * math.sqrt(12), rel=1e-6)


def test_curves_1d():
    ds = Gauss1D()
    D = Linear([1.0])
    G = nn.Linear(1, 1)
    with torch.no_grad():
        G.weight.fill_(2.0)
        G.bias.fill_(1.0)
    fake = np.random.default_rng(0).normal(3.0, 1.0, 800)
    c = probes.curves_1d(ds, D, fake, resolution=50, G=G, latent_dim=1, latent_kind="gaussian", k=11)
    assert isinstance(c, Curves1D)
    for arr in (c.data_density, c.gen_density, c.score, c.optimal_d, c.optimal_critic):
        assert arr.shape == (50,)
    assert c.score == pytest.approx(c.xs, abs=1e-5)
    assert c.data_density == pytest.approx(stats.norm.pdf(c.xs), rel=1e-12)
    assert np.all((c.optimal_d >= 0) & (c.optimal_d <= 1))
    # N(3,1) fakes vs N(0,1) data: the optimal critic has slope −1 wherever F_g < F_data (here: the whole grid
    # inside [−4, 4] — F_g − F_data < 0 for every x)
    assert np.diff(c.optimal_critic) == pytest.approx(-np.diff(c.xs), abs=1e-12)
    assert c.z == pytest.approx(np.linspace(-2.5, 2.5, 11), abs=1e-12)
    assert c.gz == pytest.approx(2.0 * c.z + 1.0, abs=1e-5)
    assert "n = 800" in c.gen_density_method


def test_probe_bounds_follow_samples_up_to_twice_the_half_width():
    from gan_studio.probes import probe_bounds

    bounds = np.array([[-1.0, 1.0], [-2.0, 2.0]])
    inside = np.zeros((100, 2))
    assert probe_bounds(bounds, inside) == pytest.approx(bounds, abs=0)
    far = np.column_stack([np.linspace(0, 10, 101), np.linspace(-3, 0, 101)])
    # x: 99th percentile 9.9 capped at centre + 2·half-width = 2; y: 1st percentile −2.97 snaps outward to a
    # multiple of width/8 = 0.5 beyond −2, i.e. −3.0, within the cap −4
    assert probe_bounds(bounds, far) == pytest.approx(np.array([[-1.0, 2.0], [-3.0, 2.0]]), abs=1e-9)
