"""The column registry is the one list of metrics.csv columns: the engine's header, the stand-in trainer's, the
README's tables and the time series all come from it; and the measurement estimators stay torch-free."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gan_studio import columns
from gan_studio import config as C
from gan_studio.frames import Display

ROOT = Path(__file__).resolve().parent.parent

# metrics.csv headers as recorded before the registry existed (4 weight layers in D and G): runs recorded
# since must keep them byte for byte
POINT_HEADER = ("step,loss_d,loss_g,penalty,d_real,d_fake,grad_norm_d,grad_norm_g,grad_d_0,grad_d_1,grad_d_2,"
                "grad_d_3,grad_g_0,grad_g_1,grad_g_2,grad_g_3,js,js_floor,js_d,fdiv_d,w1,w1_floor,sw1,w1_critic,lip,"
                "w1_lb,modes,hq,rkl,gx_real,gx_fake,gx_interp,sigma_d_0,sigma_d_1,sigma_d_2,sigma_d_3")
IMAGE_HEADER = ("step,loss_d,loss_g,penalty,d_real,d_fake,grad_norm_d,grad_norm_g,grad_d_0,grad_d_1,grad_d_2,"
                "grad_d_3,grad_g_0,grad_g_1,grad_g_2,grad_g_3,classes,confident,rkl,fd_classifier,sw1,js_d,fdiv_d,"
                "w1_critic,lip,w1_lb,gx_real,gx_fake,gx_interp,sigma_d_0,sigma_d_1,sigma_d_2,sigma_d_3")


def test_run_columns_keep_the_recorded_headers():
    """Columns added later (``Column.late``) are written after the recorded ones, which keep their positions."""
    zoo = (",rel_gap,tv_d,mmd2,mmd2_d,energy_distance_d,mcgan_mean,mcgan_cov,fisher_ipm,began_k,began_m_global,"
           "energy_real,energy_fake,margin,magan_window_real,magan_window_fake,magan_window_n,fisher_lambda,"
           "fisher_omega")  # the objective zoo's estimates and state (issue #11): every run has them
    gradients = ",grad_act_d_0,grad_act_d_1,grad_act_d_2,grad_act_d_3,note"  # issue #13's layer gradients, #17's note
    zoo_points = zoo + ",class_match,class_match_min"  # issue 12's conditional columns
    zoo_images = zoo + ",class_acc,class_acc_min"
    vae = ",recon,kl_prior"  # issue 12's VAE contrast: the loss's terms, and the sharpness of images
    zoo_points, zoo_images = zoo_points + vae, zoo_images + vae + ",sharpness,sharpness_data"
    assert ",".join(columns.run_columns("2d", 4, 4)) == (POINT_HEADER + ",w1_fast,w1_fast_floor,modes_reached"
                                                         + gradients + zoo_points)
    assert ",".join(columns.run_columns("1d", 4, 4)) == POINT_HEADER + ",modes_reached" + gradients + zoo_points
    assert ",".join(columns.run_columns("image", 4, 4)) == IMAGE_HEADER + gradients + zoo_images


@pytest.mark.parametrize("data", ["ring8", "bimodal1d", "digits"])
def test_engine_columns_are_the_registry_columns(data):
    from gan_studio.engine import Trainer
    from gan_studio.nets import weight_layers

    cfg = C.with_value(C.with_value(C.Config(), "data.name", data), "model.hidden", 16)
    trainer = Trainer(cfg)
    kind = "image" if trainer.dataset.is_image else f"{trainer.dataset.dim}d"
    n_d, n_g = len(weight_layers(trainer.D)), len(weight_layers(trainer.G))
    assert trainer.columns() == columns.run_columns(kind, n_d, n_g)


def test_every_column_name_finds_its_entry():
    for kind in ("1d", "2d", "image"):
        for name in columns.run_columns(kind, 3, 2):
            entry = columns.lookup(name, kind)
            assert entry is not None and entry.applies_to(kind)
    assert columns.lookup("rkl", "image").estimator != columns.lookup("rkl", "2d").estimator  # two meanings
    assert columns.lookup("grad_d_12", "2d").name == "grad_d_<i>"
    assert columns.lookup("no_such_column", "2d") is None


def test_time_series_panels_and_styles_are_known():
    panels = {"losses", "dmean", "js", "w1", "grads", "modes"}
    styles = {"line", "dash", "dots", "floor"}
    for c in columns.COLUMNS:
        assert c.panel is None or c.panel in panels, c
        assert c.style in styles and c.runs in ("all", "points", "2d", "images") and c.layers in ("", "D", "G"), c
        assert not c.when or hasattr(Display(), c.when), c  # a display fact the view can read


def test_stand_in_trainer_takes_its_columns_from_the_registry():
    from gan_studio.testing.synthetic import SyntheticTrainer

    trainer = SyntheticTrainer(C.Config())
    n = trainer.cfg.model.depth + 1
    assert trainer.columns() == columns.run_columns("2d", n, n)


def test_readme_tables_are_the_registry_tables():
    """The README's metrics.csv tables are ``columns.readme_table`` output; after changing the registry, paste
    ``readme_table("points")`` and ``readme_table("images")`` between the two marker pairs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- columns:start -->\n(.*?)\n<!-- columns:end -->", readme, flags=re.S)
    assert blocks == [columns.readme_table("points"), columns.readme_table("images")]


def test_estimators_registry_and_frames_import_without_torch():
    code = ("import sys; import gan_studio.metrics, gan_studio.metrics.images, gan_studio.columns, "
            "gan_studio.frames; assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_no_module_of_metrics_imports_torch():
    for path in (ROOT / "gan_studio" / "metrics").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import torch|from torch)", text, flags=re.M), path.name


def test_at_most_three_lines_a_panel_by_default():
    """Legible in a minute: per kind of data, a panel draws at most three lines (floors are bands) until asked."""
    for kind in ("1d", "2d", "image"):
        for panel in ("losses", "dmean", "js", "w1", "grads", "modes"):
            shown = {c.name for c in columns.panel_columns(panel) if c.applies_to(kind) and not c.more
                     and c.style != "floor" and columns.lookup(c.name, kind) is c}
            # one objective fills one of them: its own estimate (classifier, f-GAN, EBGAN, Fisher, ...)
            exclusive = {"js_d", "fdiv_d", "tv_d", "fisher_ipm", "mmd2", "mmd2_d", "energy_distance_d", "mcgan_mean",
                         "mcgan_cov"}
            assert len(shown) - max(0, len(shown & exclusive) - 1) <= 3, (kind, panel, shown)
