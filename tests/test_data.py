"""Tests for gan_studio.data: toy sets against closed forms, user point files, the name registry.

Statistical checks use seeded generators, so they are deterministic; their tolerances are still derived from
the standard error so that a correct sampler would pass for (almost) any seed.
"""

from __future__ import annotations

import math
import sys
import types

import numpy as np
import pytest
import torch

from gan_studio.config import CHOICES, IMAGE_DATA, ConfigError, DataConfig
from gan_studio.data import TOY_DATASETS, get_dataset
from gan_studio.data.toy import MIXTURES

torch.set_num_threads(1)

TOY = list(TOY_DATASETS)
WITH_DENSITY = [n for n in TOY if TOY_DATASETS[n]().density(np.zeros((1, TOY_DATASETS[n]().dim))) is not None]
ONE_D = [n for n in TOY if TOY_DATASETS[n]().dim == 1]
N_STAT = 20_000  # samples for the statistical checks


def _sample(name: str, n: int, seed: int = 0) -> np.ndarray:
    return TOY_DATASETS[name]().sample(n, torch.Generator().manual_seed(seed)).numpy().astype(np.float64)


def _grid(bounds: np.ndarray, cells: int) -> tuple[np.ndarray, float]:
    """Cell midpoints of a regular grid over ``bounds`` ((cells**dim, dim) points) and the cell volume."""
    axes = [lo + (np.arange(cells) + 0.5) * (hi - lo) / cells for lo, hi in bounds]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
    return pts, float(np.prod([(hi - lo) / cells for lo, hi in bounds]))


# --------------------------------------------------------------------------------------------- every toy set


def test_the_expected_sets_have_densities():
    # mixtures, the uniform sets and circles (Rice density) are exact; the other curves have none
    assert set(WITH_DENSITY) == set(TOY) - {"swissroll", "moons", "spiral"}


@pytest.mark.parametrize("name", TOY)
def test_shape_dtype_and_attributes(name):
    d = TOY_DATASETS[name]()
    x = d.sample(300, torch.Generator().manual_seed(1))
    assert d.name == name and not d.is_image and d.description
    assert d.shape == ((1,) if name.endswith("1d") else (2,)) and d.dim == d.shape[0]
    assert x.shape == (300, d.dim) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert torch.isfinite(x).all()
    assert d.bounds.shape == (d.dim, 2) and (d.bounds[:, 0] < d.bounds[:, 1]).all()


@pytest.mark.parametrize("name", TOY)
def test_seeded_sampling(name):
    d = TOY_DATASETS[name]()
    a = d.sample(200, torch.Generator().manual_seed(7))
    b = d.sample(200, torch.Generator().manual_seed(7))
    c = d.sample(200, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", TOY)
def test_samples_inside_bounds(name):
    d = TOY_DATASETS[name]()
    x = _sample(name, N_STAT)
    inside = ((x >= d.bounds[:, 0]) & (x <= d.bounds[:, 1])).all(1).mean()
    # bounds reach ≥ 4 std past every mode: the expected mass outside is < 1e-4, so ≥ 99.9 % must be inside
    assert inside == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("name", ONE_D)
def test_1d_bounds_show_a_fresh_generator(name):
    lo, hi = TOY_DATASETS[name]().bounds[0]
    assert lo <= -3.0 and hi >= 3.0


def test_shifted1d_bounds_cover_start_and_target():
    lo, hi = TOY_DATASETS["shifted1d"]().bounds[0]
    assert lo < 0.0 and hi > 4.0 + 4 * 0.5


# --------------------------------------------------------------------------------------------- definitions


def test_mixture_parameters_are_the_reference_ones():
    k = np.arange(8)
    expected = {
        "gauss1d": ([[0.0]], [1.0], [1.0]),
        "shifted1d": ([[4.0]], [0.5], [1.0]),
        "bimodal1d": ([[-2.0], [2.0]], [0.5, 0.5], [0.5, 0.5]),
        "trimodal1d": ([[-3.0], [0.0], [3.0]], [0.4] * 3, [0.2, 0.5, 0.3]),
        "ring8": (2 * np.stack([np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)], 1), [0.02] * 8, [1 / 8] * 8),
        "grid25": ([[a, b] for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)], [0.05] * 25, [1 / 25] * 25),
    }
    assert set(expected) == set(MIXTURES)
    for name, (c, s, w) in expected.items():
        d = TOY_DATASETS[name]()
        # exact parameters up to float rounding of cos/sin
        assert d.centres == pytest.approx(np.asarray(c, dtype=float), abs=1e-12), name
        assert d.stds == pytest.approx(np.asarray(s), abs=1e-12), name
        assert d.weights == pytest.approx(np.asarray(w), abs=1e-12), name


def test_gauss1d_known_values():
    d = TOY_DATASETS["gauss1d"]()
    # closed forms, double precision
    assert d.density(np.array([[0.0], [1.0]])) == pytest.approx([1 / math.sqrt(2 * math.pi),
                                                                 math.exp(-0.5) / math.sqrt(2 * math.pi)], rel=1e-12)
    assert d.cdf(np.array([0.0, 1.96])) == pytest.approx([0.5, 0.9750021048517795], rel=1e-12)


def _marginal_moments(name: str) -> list[tuple[float, float, float]]:
    """Closed-form (mean, variance, 4th central moment) of each axis' marginal."""
    d = TOY_DATASETS[name]()
    if name == "uniform1d":  # U(−1, 1)
        return [(0.0, 1 / 3, 1 / 5)]
    if name == "checkerboard":  # each column holds 2 black squares of 4: every marginal is U(−2, 2)
        return [(0.0, 16 / 12, 2.0**4 / 5)] * 2
    out = []
    for j in range(d.dim):
        c, s, w = d.centres[:, j], d.stds, d.weights
        m = float(w @ c)
        dev = c - m
        var = float(w @ (s**2 + dev**2))
        mu4 = float(w @ (dev**4 + 6 * dev**2 * s**2 + 3 * s**4))
        out.append((m, var, mu4))
    return out


@pytest.mark.parametrize("name", list(MIXTURES) + ["uniform1d", "checkerboard"])
def test_sample_mean_and_std_match_closed_form(name):
    x = _sample(name, N_STAT, seed=3)
    for j, (m, var, mu4) in enumerate(_marginal_moments(name)):
        sd = math.sqrt(var)
        se_mean = sd / math.sqrt(N_STAT)
        se_sd = math.sqrt((mu4 - var**2) / N_STAT) / (2 * sd)  # delta method: SE(s²) = √((μ4 − σ⁴)/n)
        # 5 standard errors: a correct sampler fails with probability < 1e-6 per check
        assert x[:, j].mean() == pytest.approx(m, abs=5 * se_mean), (name, j)
        assert x[:, j].std() == pytest.approx(sd, abs=5 * se_sd), (name, j)


def test_reference_moments_of_trimodal():
    # hand-computed from REFERENCE.md: mean 0.2·(−3) + 0.3·3 = 0.3; E x² = 0.16 + 0.2·9 + 0.3·9 = 4.66
    (m, var, _), = _marginal_moments("trimodal1d")
    assert m == pytest.approx(0.3, abs=1e-12)
    assert var == pytest.approx(4.66 - 0.09, abs=1e-12)


# --------------------------------------------------------------------------------------------- densities


@pytest.mark.parametrize("name", WITH_DENSITY)
def test_density_integrates_to_one_over_bounds(name):
    d = TOY_DATASETS[name]()
    pts, vol = _grid(d.bounds, 20_000 if d.dim == 1 else 600)
    p = d.density(pts)
    assert p.shape == (len(pts),) and (p >= 0).all()
    # midpoint rule with cells ≤ σ/3 (checkerboard: cell edges on the square edges) is exact to < 1e-6 here;
    # the mass beyond the bounds (≥ 4σ past every mode) is < 1e-4: tolerance 1e-3
    assert p.sum() * vol == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("name", ONE_D)
def test_1d_cdf_is_the_integral_of_the_density(name):
    d = TOY_DATASETS[name]()
    lo, hi = d.bounds[0]
    x = np.linspace(lo, hi, 40_001)
    p = d.density(x[:, None])
    integral = np.concatenate([[0.0], np.cumsum((p[1:] + p[:-1]) / 2 * np.diff(x))])
    # trapezoid error ≤ (hi − lo) h² max|p''| / 12 < 1e-6 for σ ≥ 0.4 (uniform: exact up to the one kink cell,
    # h/2 · 0.5 < 1e-4); tolerance 2e-4
    assert d.cdf(x[0:1])[0] + integral == pytest.approx(d.cdf(x), abs=2e-4)
    assert d.cdf(np.array([lo, hi])) == pytest.approx([0.0, 1.0], abs=1e-4)  # < 1e-4 mass beyond 4σ


@pytest.mark.parametrize("name", ONE_D)
def test_1d_cdf_matches_empirical_cdf(name):
    d = TOY_DATASETS[name]()
    x = np.sort(_sample(name, N_STAT, seed=5)[:, 0])
    q = np.linspace(*d.bounds[0], 201)
    empirical = np.searchsorted(x, q, side="right") / N_STAT
    # DKW inequality: P(sup |F_n − F| > ε) ≤ 2 exp(−2 n ε²) = 2.5e-4 for n = 20,000, ε = 0.015
    assert empirical == pytest.approx(d.cdf(q), abs=0.015)


def test_2d_sets_have_no_cdf():
    for name in TOY:
        d = TOY_DATASETS[name]()
        if d.dim == 2:
            assert d.cdf(np.zeros(3)) is None, name


def test_checkerboard_samples_are_on_black_squares_uniformly():
    d = TOY_DATASETS["checkerboard"]()
    x = _sample("checkerboard", N_STAT, seed=2)
    assert d.is_black(x).all()
    assert d.density(x) == pytest.approx(np.full(N_STAT, 1 / 8))
    # the white squares have density 0 (centres of the 16 squares alternate)
    centres = np.array([[i - 1.5, j - 1.5] for i in range(4) for j in range(4)])
    black = np.array([(i + j) % 2 == 0 for i in range(4) for j in range(4)])
    assert d.density(centres) == pytest.approx(np.where(black, 1 / 8, 0.0))
    # counts per black square: binomial(n, 1/8), SE = √(n·p·(1 − p)); tolerance 5 SE
    ij = np.floor(x + 2).astype(int)
    counts = np.bincount(ij[:, 0] * 4 + ij[:, 1], minlength=16)
    assert counts[~black].sum() == 0
    se = math.sqrt(N_STAT * (1 / 8) * (7 / 8))
    assert counts[black] == pytest.approx(np.full(8, N_STAT / 8), abs=5 * se)


def test_circles_density_is_the_ring_convolution():
    d = TOY_DATASETS["circles"]()
    # p(x) = Σ_a w_a (1/2π) ∫ N(x; r_a (cos θ, sin θ), σ² I) dθ, by a 20,000-point periodic rule (spectrally exact)
    theta = np.linspace(0, 2 * np.pi, 20_000, endpoint=False)
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.3, 0.96], [1.5, 0.1], [0.0, -2.03], [2.5, 2.5]])
    s = d.noise
    ref = np.zeros(len(x))
    for r, w in zip(d.radii, d.ring_weights, strict=True):
        on = r * np.stack([np.cos(theta), np.sin(theta)], 1)
        d2 = ((x[:, None, :] - on[None]) ** 2).sum(-1)
        ref += w * np.exp(-d2 / (2 * s * s)).mean(1) / (2 * np.pi * s * s)
    assert d.density(x) == pytest.approx(ref, rel=1e-9, abs=1e-300)
    # half the samples near each ring: binomial SE √(n/4), tolerance 5 SE
    rho = np.linalg.norm(_sample("circles", N_STAT), axis=1)
    assert (rho < 1.5).sum() == pytest.approx(N_STAT / 2, abs=5 * math.sqrt(N_STAT / 4))


# --------------------------------------------------------------------------------------------- point files


POINTS = np.array([[0.5, -1.0], [1.5, 2.0], [-2.0, 0.25], [3.0, 1.0]])


def _file(tmp_path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def _load(path: str):
    return get_dataset(DataConfig(name="file", path=path))


@pytest.mark.parametrize("header", ["", "x,y\n"])
def test_csv_file_with_and_without_header(tmp_path, header):
    path = _file(tmp_path, "pts.csv", header + "\n".join(f"{a}, {b}" for a, b in POINTS) + "\n\n")
    d = _load(path)
    assert d.name == "file" and d.shape == (2,) and path in d.description
    assert d.points == pytest.approx(POINTS)
    x = d.sample(500, torch.Generator().manual_seed(0))
    assert x.shape == (500, 2) and x.dtype == torch.float32
    assert torch.equal(x, d.sample(500, torch.Generator().manual_seed(0)))
    # every draw is one of the stored rows, and with 500 draws every row appears
    rows = {tuple(r) for r in POINTS.astype(np.float32).tolist()}
    assert {tuple(r) for r in x.tolist()} == rows
    # bounds: data range padded by 10 % each side
    span = POINTS.max(0) - POINTS.min(0)
    assert d.bounds == pytest.approx(np.stack([POINTS.min(0) - 0.1 * span, POINTS.max(0) + 0.1 * span], 1))
    assert d.density(POINTS) is None and d.cdf(POINTS[:, 0]) is None


def test_whitespace_csv_one_column(tmp_path):
    d = _load(_file(tmp_path, "one.csv", "value\n1.0\n  2.5 \n\n-3e-1\n"))
    assert d.shape == (1,) and d.points[:, 0] == pytest.approx([1.0, 2.5, -0.3])
    d2 = _load(_file(tmp_path, "two.csv", "1 2\n3\t4\n"))
    assert d2.points == pytest.approx(np.array([[1.0, 2.0], [3.0, 4.0]]))


@pytest.mark.parametrize("arr", [POINTS, POINTS[:, :1], POINTS[:, 0], POINTS.astype(np.float32), np.arange(6)])
def test_npy_file(tmp_path, arr):
    path = tmp_path / "pts.npy"
    np.save(path, arr)
    d = _load(str(path))
    expected = np.asarray(arr, dtype=float).reshape(len(arr), -1)  # a 1-D array is N×1
    assert d.points == pytest.approx(expected)
    assert d.sample(10, torch.Generator().manual_seed(0)).shape == (10, expected.shape[1])


def _write_npy(tmp_path, name, arr):
    np.save(tmp_path / name, arr)
    return str(tmp_path / name)


def _write_bytes(tmp_path, name, data: bytes):
    (tmp_path / name).write_bytes(data)
    return str(tmp_path / name)


FILE_ERRORS = {
    "empty path": (lambda t: "", ["data.path", "empty"]),
    "not found": (lambda t: str(t / "nope.csv"), ["nope.csv", "not found"]),
    "extension": (lambda t: _file(t, "pts.txt", "1,2\n3,4\n"), ["pts.txt", ".csv", ".npy"]),
    "directory": (lambda t: (t / "dir.csv").mkdir() or str(t / "dir.csv"), ["dir.csv", "not a file"]),
    "not utf-8": (lambda t: _write_bytes(t, "bin.csv", b"\xff\xfe\x00\x81\n"), ["bin.csv", "unreadable"]),
    "bad npy": (lambda t: _write_bytes(t, "bad.npy", b"not an npy file"), ["bad.npy", "not a NumPy .npy file"]),
    "npy strings": (lambda t: _write_npy(t, "s.npy", np.array(["a", "b"])), ["s.npy", "expected real numbers"]),
    "csv 3 columns": (lambda t: _file(t, "three.csv", "1,2,3\n4,5,6\n"), ["three.csv", "N×1 or N×2", "2×3"]),
    "npy 3 columns": (lambda t: _write_npy(t, "three.npy", np.zeros((5, 3))), ["three.npy", "N×1 or N×2", "5×3"]),
    "npy 3-D": (lambda t: _write_npy(t, "cube.npy", np.zeros((2, 2, 2))), ["cube.npy", "N×1 or N×2", "2×2×2"]),
    "non-finite csv": (lambda t: _file(t, "nan.csv", "x,y\n1,2\n3,nan\ninf,4\n"),
                       ["nan.csv", "2 non-finite", "row 2 (line 3)"]),
    "non-finite npy": (lambda t: _write_npy(t, "nan.npy", np.array([[1.0, 2], [3, 4], [np.inf, 0]])),
                       ["nan.npy", "1 non-finite", "row 3"]),
    "one row": (lambda t: _file(t, "one.csv", "x,y\n1,2\n"), ["one.csv", "at least 2 rows", "got 1"]),
    "empty csv": (lambda t: _file(t, "empty.csv", ""), ["empty.csv", "at least 2 rows", "got 0"]),
    "ragged row": (lambda t: _file(t, "ragged.csv", "x,y\n1,2\n3\n"), ["ragged.csv", "line 3", "1 values"]),
    "text row": (lambda t: _file(t, "text.csv", "1,2\n3,4\n5,abc\n"), ["text.csv", "line 3", "'abc'"]),
    "two headers": (lambda t: _file(t, "hh.csv", "x,y\na,b\n1,2\n"), ["hh.csv", "line 2", "not a number"]),
}


@pytest.mark.parametrize("case", list(FILE_ERRORS))
def test_file_errors_name_the_file_and_the_problem(tmp_path, case):
    make, words = FILE_ERRORS[case]
    path = make(tmp_path)
    with pytest.raises(ConfigError) as err:
        _load(path)
    for w in words:
        assert w in str(err.value), (case, str(err.value))


# --------------------------------------------------------------------------------------------- registry


def test_registry_equals_choices():
    names = list(TOY_DATASETS) + ["file"] + list(IMAGE_DATA)
    assert len(names) == len(set(names))
    assert set(names) == set(CHOICES["data.name"])


def test_unknown_name_lists_allowed_names():
    with pytest.raises(ConfigError) as err:
        get_dataset(DataConfig(name="rings9"))
    msg = str(err.value)
    assert "data.name" in msg and "rings9" in msg
    assert all(n in msg for n in CHOICES["data.name"])


@pytest.mark.parametrize("name", IMAGE_DATA)
def test_image_names_go_to_the_image_loader(monkeypatch, name):
    fake = types.ModuleType("gan_studio.data.images")
    fake.load_image_dataset = lambda cfg, seed: ("images", cfg.name, seed)
    monkeypatch.setitem(sys.modules, "gan_studio.data.images", fake)
    assert get_dataset(DataConfig(name=name), seed=5) == ("images", name, 5)

