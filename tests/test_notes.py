"""Issue #17: a measurement never crashes on bad samples; a NaN cell comes with a ``note`` saying why (the flags of
``columns.NOTES``), and the image Fréchet distance of non-finite samples (or of fewer than two) is NaN."""

import math
import warnings

import numpy as np
import pytest
import torch

from gan_studio import columns
from gan_studio import config as C
from gan_studio.config import Config
from gan_studio.engine import Trainer
from gan_studio.measure.notes import note_flags
from gan_studio.metrics.images import frechet_distance, gaussian_fit

torch.set_num_threads(1)


def test_note_text_spells_out_each_flag():
    assert columns.note_text(None) == "" and columns.note_text(0.0) == "" and columns.note_text(math.nan) == ""
    assert columns.note_text(1.0) == columns.NOTES[1]
    assert columns.note_text(10.0) == f"{columns.NOTES[2]}; {columns.NOTES[8]}"
    assert all(flag & (flag - 1) == 0 for flag in columns.NOTES), "one bit per cause"
    assert columns.lookup("note", "2d").name == "note" and columns.lookup("note", "image").name == "note"


def test_note_flags():
    bounds = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    inside = np.zeros((10, 2))
    assert note_flags(inside, bounds, {"rkl": 0.1}) is None
    with_nan = inside.copy()
    with_nan[3, 1] = np.nan
    assert note_flags(with_nan, bounds, {}) == 1.0
    assert note_flags(inside + 5, bounds, {}) == 2.0, "finite, all outside the plot"
    assert note_flags(np.full((4, 2), np.inf), bounds, {}) == 1.0, "none finite: not also 'outside the plot'"
    assert note_flags(inside, bounds, {"rkl": math.nan, "fd_classifier": math.nan}) == 12.0
    assert note_flags(np.zeros((3, 1, 4, 4)), None, {"fd_classifier": 2.0}) is None, "images: no bounds"


def test_frechet_distance_of_non_finite_or_single_samples_is_nan_without_raising():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((200, 3)), rng.standard_normal((200, 3)) + 1.0
    mu_b, cov_b = gaussian_fit(b)
    expected = float(np.sum((a.mean(0) - mu_b) ** 2))  # an independent check that the finite case still works:
    # for equal covariances the trace term vanishes, so FD = ‖μ_a − μ_b‖² with cov_a := cov_b
    assert frechet_distance(a.mean(0), cov_b, mu_b, cov_b) == pytest.approx(expected, rel=1e-6)
    bad = a.copy()
    bad[5, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a covariance of one sample either
        assert math.isnan(frechet_distance(*gaussian_fit(bad), mu_b, cov_b))
        mu1, cov1 = gaussian_fit(a[:1])
        assert mu1 == pytest.approx(a[0]) and np.isnan(cov1).all()
        assert math.isnan(frechet_distance(mu1, cov1, mu_b, cov_b))
        assert math.isnan(frechet_distance(np.full(3, np.nan), cov_b, mu_b, cov_b))


def test_image_metrics_of_non_finite_images_are_nan_not_garbage():
    """Checked before the classifier runs: no classifier is trained or loaded for it."""
    from gan_studio.data import get_dataset
    from gan_studio.measure.images import ImageMetrics

    dataset = get_dataset(C.with_value(Config(), "data.name", "digits").data, 0)
    metrics = ImageMetrics(dataset)
    fake = np.zeros((20, *dataset.images.shape[1:]), np.float32)
    fake[2, 0, 3, 3] = np.nan
    row = metrics.evaluate(fake)
    for column in ("classes", "confident", "rkl", "fd_classifier", "sw1", "sharpness"):
        assert math.isnan(row[column]), column
    assert math.isfinite(row["sharpness_data"])
    assert metrics._classifier is None and metrics.last_hist is None
    assert note_flags(fake, None, row) == 1.0 + 4.0 + 8.0


@pytest.mark.parametrize("data", ["ring8", "bimodal1d", "digits"])
def test_a_measurement_of_nan_samples_is_a_row_with_a_note(data):
    cfg = C.with_value(C.with_value(C.with_value(Config(), "data.name", data), "model.hidden", 16), "train.device",
                       "cpu")
    trainer = Trainer(cfg)
    with torch.no_grad():
        for p in trainer.G.parameters():
            p.fill_(math.nan)
    row = trainer.metrics_row(full=True)
    assert row["note"] is not None and int(row["note"]) & 1, row.get("note")
    assert "non-finite generated samples" in columns.note_text(row["note"])
    assert set(row) <= set(trainer.columns())
    assert math.isnan(row["fd_classifier" if data == "digits" else "w1"]), "NaN, with the note saying why"
