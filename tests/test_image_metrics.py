"""Image metrics against closed forms: class coverage and reverse KL, Fréchet distance, sliced W1, and the
classifier cache (reused while the data is unchanged, retrained when it changes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import linalg

from gan_studio.data.images import ImageDataset, load_digits, load_shapes
from gan_studio.measure import classifier as MC
from gan_studio.measure.classifier import get_classifier
from gan_studio.measure.images import ImageMetrics
from gan_studio.metrics import images as MI
from gan_studio.metrics.images import class_coverage, frechet_distance, gaussian_fit, sliced_w1, wasserstein1_1d

torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------ coverage
def _one_hot(classes, k, p=1.0):
    probs = np.full((len(classes), k), (1 - p) / (k - 1))
    probs[np.arange(len(classes)), classes] = p
    return probs


def test_coverage_of_three_equal_classes_out_of_ten():
    probs = _one_hot(np.repeat([0, 4, 7], 20), 10)
    out = class_coverage(probs, np.full(10, 0.1))
    assert out["classes"] == 3.0
    assert out["confident"] == pytest.approx(100.0, abs=1e-12)  # exact count, float division only
    assert out["rkl"] == pytest.approx(math.log(10 / 3), abs=1e-12)  # KL(uniform on 3 ‖ uniform on 10)
    assert out["hist"][[0, 4, 7]] == pytest.approx([1 / 3] * 3, abs=1e-12)


def test_unconfident_samples_count_for_nothing_and_rkl_uses_the_data_histogram():
    # 30 confident samples: 20 of class 0, 10 of class 1; 10 unconfident (p = 0.5) of class 2
    probs = np.vstack([_one_hot(np.repeat([0, 1], [20, 10]), 3, p=0.95), _one_hot(np.full(10, 2), 3, p=0.5)])
    p_data = np.array([0.5, 0.25, 0.25])
    out = class_coverage(probs, p_data, threshold=0.9)
    assert out["classes"] == 2.0
    assert out["confident"] == pytest.approx(75.0, abs=1e-12)  # 30 of 40, exact
    q = np.array([2 / 3, 1 / 3])
    assert out["rkl"] == pytest.approx(float(np.sum(q * np.log(q / p_data[:2]))), abs=1e-12)


def test_no_confident_sample():
    out = class_coverage(np.full((5, 4), 0.25), np.full(4, 0.25))
    assert out["classes"] == 0.0 and out["confident"] == 0.0 and math.isnan(out["rkl"])


# ------------------------------------------------------------------------------------------ Fréchet
def test_frechet_distance_closed_forms():
    # 1D: (m1 − m2)² + (s1 − s2)²
    assert frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[1.0]])) == \
        pytest.approx(9.0 + 1.0, abs=1e-10)  # sqrtm of a 1×1: rounding only
    # diagonal covariances: ‖Δμ‖² + Σ (√a − √b)²
    a, b = np.array([1.0, 9.0, 0.25]), np.array([4.0, 1.0, 0.25])
    fd = frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b))
    assert fd == pytest.approx(3.0 + float(np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)), abs=1e-10)
    # general SPD pair: Tr(Σ1 + Σ2 − 2 (Σ1^½ Σ2 Σ1^½)^½) by eigendecompositions, an independent route
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    s1, s2 = A @ A.T + 0.1 * np.eye(5), B @ B.T + 0.1 * np.eye(5)
    m1, m2 = rng.standard_normal(5), rng.standard_normal(5)

    def psd_sqrt(m):
        w, v = np.linalg.eigh(m)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    r1 = psd_sqrt(s1)
    expected = float(np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * psd_sqrt(r1 @ s2 @ r1)))
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(expected, rel=1e-8)  # two float64 routes
    assert frechet_distance(m1, s1, m1, s1) == pytest.approx(0.0, abs=1e-9)


def test_frechet_of_fitted_gaussians_recovers_known_parameters():
    # N(0, I) vs N(μ, 4I) in d = 3, 200,000 samples each: FD = ‖μ‖² + d(1 − 2)² = 3 + 3 = 6; the estimate's
    # sampling error is about 0.01 at this n, so 0.05 is a safe tolerance.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200_000, 3))
    y = np.ones(3) + 2.0 * rng.standard_normal((200_000, 3))
    assert frechet_distance(*gaussian_fit(x), *gaussian_fit(y)) == pytest.approx(6.0, abs=0.05)


def test_frechet_survives_a_singular_covariance():
    cov = np.diag([1.0, 0.0])  # a dead feature: exactly zero variance
    assert frechet_distance(np.zeros(2), cov, np.zeros(2), cov) == pytest.approx(0.0, abs=1e-6)  # ridge ≤ 1e-6


# ------------------------------------------------------------------------------------------ sliced W1
def test_w1_1d_closed_forms():
    a = np.array([[0.0], [1.0], [2.0]])
    assert wasserstein1_1d(a, a + 0.5) == pytest.approx([0.5], abs=1e-12)  # a shift moves every quantile
    # unequal sizes: duplicating a sample changes nothing
    b = np.array([[0.3], [1.7], [2.2]])
    assert wasserstein1_1d(a, np.vstack([b, b])) == pytest.approx(wasserstein1_1d(a, b), abs=1e-12)
    # point mass at 0 vs {0, 0, 3}: ∫|F_a − F_b| = (1/3)·3 = 1
    assert wasserstein1_1d(np.zeros((1, 1)), np.array([[0.0], [0.0], [3.0]])) == pytest.approx([1.0], abs=1e-12)


def test_sliced_w1_of_a_brightness_shift():
    # y = x + c on every pixel: each projection on a unit u shifts by c·Σu, so SW1 = mean_u |c·Σu| exactly
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (300, 1, 4, 4))
    c = 0.2
    dirs = MI._directions(16, MI.SW1_PROJECTIONS, 0)
    expected = float(np.mean(np.abs(c * dirs.sum(axis=0))))
    assert sliced_w1(x, x + c) == pytest.approx(expected, rel=1e-10)  # float64 sums
    assert sliced_w1(x, x) == 0.0


# ------------------------------------------------------------------------------------------ classifier
@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("gan_studio_cache")


def test_classifier_coverage_on_real_images_of_two_shape_classes(cache):
    ds = load_shapes(16, seed=0)
    m = ImageMetrics(ds, directory=cache)
    assert m.classifier.accuracy == pytest.approx(1.0, abs=0.01)  # shapes are easy: ≥ 99 % held out
    subset = ds.images[np.isin(ds.labels, [1, 3])]  # 600 squares + 600 crosses
    row = m.evaluate(subset)
    assert row["classes"] == 2.0
    assert row["rkl"] == pytest.approx(math.log(5 / 2), abs=0.01)  # KL(½,½ ‖ 1/5 each); a 1 % misclassified share
    assert row["confident"] == pytest.approx(100.0, abs=1.0)  # ≥ 99 % confident on training images
    full = m.evaluate(ds.images)  # all 3,000 images are the reference set (≤ REF_MAX): FD of a set with itself
    assert full["fd_classifier"] == pytest.approx(0.0, abs=1e-6)
    assert full["classes"] == 5.0 and full["rkl"] == pytest.approx(0.0, abs=0.01)


def test_classifier_coverage_on_real_digits_of_three_classes(cache):
    ds = load_digits()
    m = ImageMetrics(ds, directory=cache)
    assert m.classifier.accuracy == pytest.approx(0.98, abs=0.03)  # ≈ 97–100 % on 179 held-out digits
    sel = np.isin(ds.labels, [0, 1, 2])
    row = m.evaluate(ds.images[sel])
    assert row["classes"] == 3.0
    q = np.bincount(ds.labels[sel], minlength=10) / sel.sum()
    p = ds.class_histogram()
    closed = float(np.sum(q[:3] * np.log(q[:3] / p[:3])))  # ≈ log(10/3) with the true class sizes
    assert row["rkl"] == pytest.approx(closed, abs=0.02)  # a few confident errors at most shift q by ~1 %
    assert m.last_hist[:3].sum() == pytest.approx(1.0, abs=0.01)
    assert row["fd_classifier"] > m.fd_floor(int(sel.sum()))  # three classes are far from all ten
    assert m.evaluate(ds.images)["fd_classifier"] == pytest.approx(0.0, abs=1e-6)  # the set against itself


def test_blank_and_noise_images_are_not_confident(cache):
    # the junk output: a collapsed generator (blank or uniform grey) or pure noise covers no class
    m = ImageMetrics(load_shapes(16, seed=0), directory=cache)
    rng = np.random.default_rng(4)
    for junk in (np.full((200, 1, 16, 16), -1.0), np.full((200, 1, 16, 16), 0.3),
                 rng.uniform(-1, 1, (200, 1, 16, 16))):
        row = m.evaluate(junk.astype(np.float32))
        assert row["classes"] == pytest.approx(0.0, abs=1.0)  # at most one stray class
        assert row["confident"] == pytest.approx(0.0, abs=2.0)  # ≤ 2 % of junk passes as a class
    assert m.real_confident() == pytest.approx(100.0, abs=2.0)  # real shapes: ≥ 98 % confident


def test_junk_images_are_deterministic_and_in_range():
    x = torch.from_numpy(load_digits().images[:64])
    a = MC.junk_images(x, torch.Generator().manual_seed(1))
    b = MC.junk_images(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert float(a.min()) >= -1.0 and float(a.max()) <= 1.0


def test_noise_floors_are_small_and_positive(cache):
    m = ImageMetrics(load_digits(), directory=cache)
    assert 0 < m.sw1_floor(1000) < 0.1  # two data samples of 1,000: SW1 ≈ 0.02–0.03
    assert 0 < m.fd_floor(1000) < 5.0  # vs generated-sample FD of tens to hundreds
    assert "held-out accuracy" in m.describe()


def test_unlabelled_data_gives_only_sw1(tmp_path):
    rng = np.random.default_rng(3)
    ds = ImageDataset("folder", rng.uniform(-1, 1, (40, 3, 8, 8)), None, None, "folder: test")
    m = ImageMetrics(ds, directory=tmp_path)
    row = m.evaluate(rng.uniform(-1, 1, (40, 3, 8, 8)))
    assert set(row) == {"classes", "confident", "rkl", "fd_classifier", "sw1", "sharpness", "sharpness_data"}
    assert all(math.isnan(row[k]) for k in ("classes", "confident", "rkl", "fd_classifier"))
    assert math.isfinite(row["sw1"]) and row["sw1"] > 0
    assert row["sharpness"] > 0 and row["sharpness_data"] > 0  # no labels needed (issue 12's VAE contrast)
    assert m.classifier is None and not list(tmp_path.iterdir())
    assert "no labels" in m.describe()


def test_classifier_cache_is_reused_and_invalidated(tmp_path, monkeypatch):
    monkeypatch.setattr(MC, "TRAIN_STEPS", 20)  # only the caching is under test here
    ds = load_shapes(16, seed=0)
    images, labels = ds.images[:300].copy(), ds.labels[:300].copy()
    first = get_classifier(images, labels, 5, tmp_path)
    assert not first.loaded_from_cache and first.path is not None and first.path.is_file()
    again = get_classifier(images, labels, 5, tmp_path)
    assert again.loaded_from_cache and again.path == first.path
    p1, f1 = first.predict(images[:10])
    p2, f2 = again.predict(images[:10])
    assert np.array_equal(p1, p2) and np.array_equal(f1, f2)
    assert np.array_equal(again.mu, first.mu)

    changed = images.copy()
    changed[0, 0, 0, 0] = 0.5  # one pixel
    third = get_classifier(changed, labels, 5, tmp_path)
    assert not third.loaded_from_cache and third.path != first.path
    relabelled = labels.copy()
    relabelled[0] = (relabelled[0] + 1) % 5  # one label
    fourth = get_classifier(images, relabelled, 5, tmp_path)
    assert not fourth.loaded_from_cache and fourth.path not in (first.path, third.path)
    assert len(list(tmp_path.glob("classifier-*.pt"))) == 3

    first.path.write_bytes(b"corrupt")  # a damaged cache file is replaced, not fatal
    fifth = get_classifier(images, labels, 5, tmp_path)
    assert not fifth.loaded_from_cache and get_classifier(images, labels, 5, tmp_path).loaded_from_cache


def test_cache_folder_from_environment_and_unwritable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "env_cache"))
    assert MC.cache_dir() == tmp_path / "env_cache"
    monkeypatch.delenv("GAN_STUDIO_CACHE")
    assert MC.cache_dir().parts[-2:] == (".cache", "gan_studio")
    monkeypatch.setattr(MC, "TRAIN_STEPS", 5)
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache folder should be")
    ds = load_shapes(16, seed=0)
    clf = get_classifier(ds.images[:100], ds.labels[:100], 5, blocker)
    assert clf.path is None and clf.predict(ds.images[:3])[0].shape == (3, 5 + 1)  # 5 classes + junk


def test_classifier_training_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setattr(MC, "TRAIN_STEPS", 10)
    ds = load_shapes(16, seed=0)
    torch.manual_seed(99)
    a, _ = MC.train_classifier(ds.images[:200], ds.labels[:200], 5, steps=10)
    state = torch.random.get_rng_state()
    b, _ = MC.train_classifier(ds.images[:200], ds.labels[:200], 5, steps=10)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG is untouched
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)


def test_frechet_agrees_with_scipy_sqrtm_route():
    # guard against sign/transposition slips: FD(N(0,Σ1), N(0,Σ2)) = Tr Σ1 + Tr Σ2 − 2 Tr sqrtm(Σ1 Σ2)
    s1, s2 = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([[1.0, -0.3], [-0.3, 0.5]])
    expected = np.trace(s1) + np.trace(s2) - 2 * np.trace(np.real(linalg.sqrtm(s1 @ s2)))
    assert frechet_distance(np.zeros(2), s1, np.zeros(2), s2) == pytest.approx(expected, rel=1e-12)
