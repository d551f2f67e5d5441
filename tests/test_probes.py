"""Probes with tiny stand-in nets and data sets: exact values for linear nets, shapes, and no side effects."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import integrate, stats
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_studio import probes
from gan_studio.data.base import Dataset
from gan_studio.frames import Curves1D, Surface2D

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


class Loss:
    """Stand-in for losses.Loss: only .g is used by the probes."""

    def __init__(self, g):
        self.g = g


NS = Loss(lambda s: F.softplus(-s).mean())
WGAN = Loss(lambda s: -s.mean())


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
    out = probes.gradient_diagnostics(D, xr, xf, torch.Generator().manual_seed(1), np.array([[-3, 3], [-3, 3.0]]),
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


def test_kde_1d_matches_scipy_and_integrates():
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 0.7, 500)
    xs = np.linspace(-3, 5, 201)
    dens, how = probes.gen_density_on_grid(x, np.array([[-3.0, 5.0]]), resolution=201)
    assert dens == pytest.approx(stats.gaussian_kde(x, bw_method="scott")(xs), rel=1e-9)
    # the grid holds the KDE's mass but the tails beyond ±5.7 std of the data: ∫ ≈ 1 within trapezoid error
    assert integrate.trapezoid(dens, xs) == pytest.approx(1.0, abs=1e-3)
    assert "Scott bandwidth" in how and "n = 500" in how
    # collapsed generator: bandwidth floored at the grid step h, mass still visible; trapezoid error of a
    # Gaussian of std h sampled every h is 2·exp(−2π²) ≈ 5e-9 (Poisson summation)
    dens0, how0 = probes.gen_density_on_grid(np.zeros(100), np.array([[-3.0, 5.0]]), resolution=201)
    assert integrate.trapezoid(dens0, xs) == pytest.approx(1.0, abs=1e-7)
    assert "floored" in how0


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
    assert probes.spectral_norms(D) == pytest.approx({"sigma_d_0": 3.0, "sigma_d_1": 0.5}, rel=1e-6)
    Dsn = sn_mlp()
    for _ in range(50):  # converge u, v by training-mode forwards
        Dsn(torch.zeros(1, 2))
    sig = probes.spectral_norms(Dsn)
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
    probes.gradient_diagnostics(D, x, x + 1, gen, b, resolution=12)
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
    a = probes.gradient_diagnostics(D, x, x + 1, torch.Generator().manual_seed(5), None)
    b = probes.gradient_diagnostics(D, x, x + 1, torch.Generator().manual_seed(5), None)
    assert a == b  # same generator seed -> identical interpolates and values
    assert set(a) == {"gx_real", "gx_fake", "gx_interp", "lip", "sigma_d_0", "sigma_d_1"}


def test_gradient_diagnostics_images():
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 1), nn.Flatten(0))
    with torch.no_grad():
        D[1].weight.fill_(0.5)  # ‖∇ₓD‖ = 0.5·√12 for every image
    x = torch.zeros(6, 3, 2, 2)
    out = probes.gradient_diagnostics(D, x, x, torch.Generator().manual_seed(0), np.zeros((0, 2)))
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
