"""Views draw from the frame's display facts and the column registry: no view holds a loss or data-set name, and
the facts the engine puts in frames say what the data and the objective are."""

import ast
from pathlib import Path

import numpy as np
import pytest

from gan_studio import config as C
from gan_studio.frames import Curves1D, Display, Frame

ROOT = Path(__file__).resolve().parent.parent


def test_no_view_holds_a_loss_or_data_set_name():
    names = set(C.CHOICES["loss.name"]) | set(C.CHOICES["data.name"])
    files = [*(ROOT / "gan_studio" / "gui" / "views").glob("*.py"), ROOT / "gan_studio" / "gui" / "history.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value not in names, f"{path.name}:{node.lineno} names {node.value!r}"


@pytest.mark.parametrize(("data", "kind", "n_modes"), [("trimodal1d", "1d", 3), ("grid25", "2d", 25),
                                                       ("swissroll", "2d", None), ("digits", "image", 10)])
def test_frames_say_what_the_data_is(data, kind, n_modes):
    from gan_studio.engine import Trainer

    trainer = Trainer(C.with_value(C.with_value(C.Config(), "data.name", data), "model.hidden", 16))
    shown = trainer.frame(probe=False).display
    assert (shown.kind, shown.n_modes) == (kind, n_modes)
    assert (shown.class_names is not None) == (kind == "image")


def test_frames_say_how_to_draw_d_for_the_active_objective():
    from gan_studio.engine import Trainer

    trainer = Trainer(C.with_value(C.Config(), "model.hidden", 16))
    shown = trainer.frame(probe=False).display
    assert (shown.d_view, shown.decision_level, shown.d_reference) == ("probability", 0.5, "optimal_d")
    trainer.apply("loss.name", "wgan")
    shown = trainer.frame(probe=False).display
    assert (shown.d_view, shown.decision_level, shown.d_reference) == ("score", None, "optimal_critic")


def test_frames_say_whether_the_critic_estimate_means_something():
    """E D(r) − E D(f) estimates W1 for critic losses or when a Lipschitz method bounds D's slope; the view reads
    only this fact (it names no loss)."""
    from gan_studio.engine import Trainer

    trainer = Trainer(C.with_value(C.Config(), "model.hidden", 16))  # ns, no Lipschitz method
    assert not trainer.frame(probe=False).display.critic_estimates_w1
    trainer.apply("lipschitz.name", "gp")
    assert trainer.frame(probe=False).display.critic_estimates_w1
    trainer = Trainer(C.with_value(C.with_value(C.Config(), "model.hidden", 16), "loss.name", "wgan"))
    assert trainer.frame(probe=False).display.critic_estimates_w1


def test_1d_d_curve_follows_the_display_facts():
    from gan_studio.gui.views.data1d import d_curve

    xs = np.linspace(-1.0, 1.0, 5)
    curves = Curves1D(xs=xs, data_density=np.ones(5), gen_density=np.ones(5), gen_density_method="",
                      score=xs.copy(), optimal_d=np.full(5, 0.5), optimal_critic=xs + 1.0)

    def frame(display):
        return Frame(step=0, dim=1, loss="", lipschitz="", bounds=np.array([[-1.0, 1.0]]), real=np.zeros((0, 1)),
                     fake=np.zeros((0, 1)), curves=curves, display=display)

    d, ref, label, _ = d_curve(frame(Display(d_view="probability", d_curve_label="P", d_reference="optimal_d")))
    assert d == pytest.approx(1 / (1 + np.exp(-xs)), rel=1e-12) and ref is curves.optimal_d and label == "P"
    d, ref, _, _ = d_curve(frame(Display(d_reference="optimal_critic")))
    assert d == pytest.approx(xs, abs=1e-12)  # already mean 0 under the (flat) data density: shift 0
    assert ref is curves.optimal_critic
    d, ref, _, _ = d_curve(frame(Display()))
    assert ref is None and d == pytest.approx(xs, abs=0)


def test_time_series_labels_follow_the_display_facts(qtbot):
    from gan_studio.gui.views.timeseries import TimeSeriesView

    view = TimeSeriesView()
    qtbot.addWidget(view)
    view.set_context({"metrics": {"n_samples": 2500, "ot_samples": 512}})
    view.set_display(Display(kind="2d", n_modes=25))
    assert view.modes_ref.isVisible() and view.modes_ref.value() == 25 and view.modes.ylabel == "modes covered"
    assert view.w1.curves["w1"].name() == "exact (n = 512)"
    view.set_display(Display(kind="1d", n_modes=None))
    assert not view.modes_ref.isVisible() and view.w1.curves["w1"].name() == "exact"
    view.set_display(Display(kind="image", n_modes=10))
    assert view.modes.ylabel == "classes covered" and view.modes_ref.value() == 10
