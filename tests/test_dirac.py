"""The Dirac-GAN lab: closed-form eigenvalues against the field's own Jacobian, the field against finite
differences, the paper's observations on simultaneous vs alternating descent, the torch.func Jacobian of real
modules playing the Dirac game, and the view (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest

from gan_studio.dynamics import dirac

ALL = list(dirac.CASES)


def _sorted(values) -> list[complex]:
    return list(np.sort_complex(np.asarray(values, dtype=complex)))


@pytest.mark.parametrize("key", ALL)
def test_closed_form_eigenvalues_match_the_fields_jacobian(key):
    """Each case's eigenvalues at (0, 0) as the paper states them = eig of the central-difference Jacobian of
    the field (tolerance 1e-7: O(eps²) = 1e-10 truncation, 1e-11 rounding / eps). WGAN-GP has no Jacobian at
    ψ = 0; its one-sided one is taken at ψ = 1e-3, where the Dirac-WGAN field is exactly linear."""
    case = dirac.CASES[key]
    spectrum = dirac.closed_form(case)
    psi = 1e-3 if case.penalty == "gp" else 0.0
    numeric = np.linalg.eigvals(dirac.numeric_jacobian(case, 0.0, psi))
    assert _sorted(numeric) == pytest.approx(_sorted(spectrum.eigenvalues), abs=1e-7)
    assert _sorted(np.linalg.eigvals(dirac.equilibrium_jacobian(case))) == pytest.approx(
        _sorted(spectrum.eigenvalues), abs=1e-12)
    assert spectrum.stationary == (case.penalty != "gp")


def test_closed_forms_have_the_papers_values():
    """Independent transcription of the paper's numbers (f′(0) = ½, f″(0) = −¼ for the GAN, f′(0) = 1 for WGAN)."""
    def eig(key):
        return _sorted(dirac.closed_form(dirac.CASES[key]).eigenvalues)

    assert eig("gan") == pytest.approx([-0.5j, 0.5j], abs=1e-15)  # Lemma 2.2: ±f′(0)i
    assert eig("ns") == pytest.approx([-0.5j, 0.5j], abs=1e-15)
    assert eig("wgan") == pytest.approx([-1j, 1j], abs=1e-15)
    root = np.sqrt(0.3**2 / 4 - 0.25 + 0j)  # R1/R2, γ = 0.3: −γ/2 ± √(γ²/4 − f′(0)²)
    assert eig("r1") == pytest.approx(_sorted([-0.15 - root, -0.15 + root]), abs=1e-15)
    assert eig("r2") == eig("r1")
    root = np.sqrt(0.25**2 - 0.25 + 0j)  # instance noise σ = 1: f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²)
    assert eig("noise") == pytest.approx(_sorted([-0.25 - root, -0.25 + root]), abs=1e-15)
    assert eig("consensus") == pytest.approx([-0.075 - 0.5j, -0.075 + 0.5j], abs=1e-15)  # −γf′(0)² ± f′(0)i
    strong = dirac.closed_form(dirac.Case("R1, γ = 3", "minimax", penalty="r1", gamma=3.0)).eigenvalues
    assert np.all(np.isreal(strong)) and np.all(strong.real < 0)  # γ > 2f′(0): two real, negative eigenvalues


def test_wgan_gp_field_jumps_at_the_equilibrium():
    """Lemma 3.2's reason: ψ̇ → +γg₀ just above ψ = 0 and −γg₀ just below: (0, 0) is no stationary point."""
    case = dirac.CASES["wgan-gp"]
    above, below = dirac.field(case, 0.0, 1e-9), dirac.field(case, 0.0, -1e-9)
    assert above[1] == pytest.approx(case.gamma * case.gp_target, rel=1e-6)
    assert below[1] == pytest.approx(-case.gamma * case.gp_target, rel=1e-6)


@pytest.mark.parametrize("key", ALL)
@pytest.mark.parametrize("point", [(0.7, -0.4), (-1.3, 0.9), (0.2, 1.6)])
def test_field_jacobian_against_finite_differences(key, point):
    """The analytic Jacobian (``_base``) against central differences of the field away from the equilibrium."""
    case = dirac.CASES[key]
    if case.consensus > 0:  # its analytic Jacobian is only stated at v = 0; compare the field with its own FD
        jac = dirac.numeric_jacobian(case, *point, eps=1e-4)
        assert dirac.numeric_jacobian(case, *point) == pytest.approx(jac, abs=1e-6)
        return
    _, analytic = dirac._base(case, *point)
    assert dirac.numeric_jacobian(case, *point) == pytest.approx(analytic, abs=1e-8)


def test_field_sign_follows_gradient_descent():
    """Our convention: at θ > 0 (fake to the right of the data) D lowers ψ (scores fake lower), and with ψ < 0 G
    moves θ towards the data; minimax: v = (ψ σ(ψθ), −θ σ(ψθ)), θ̇ < 0 and ψ̇ < 0 at (1, −0.5)."""
    v = dirac.field(dirac.CASES["gan"], 1.0, -0.5)
    assert v[0] < 0 and v[1] < 0
    assert v == pytest.approx([-0.5 / (1 + np.exp(0.5)), -1.0 / (1 + np.exp(0.5))], abs=1e-12)


def test_update_spectrum_matches_lemmas_2_3_and_2_4():
    for key in ("gan", "wgan"):
        case = dirac.CASES[key]
        for h in (0.05, 0.2, 1.0):
            numeric, closed = dirac.update_spectrum(case, h), dirac.update_closed_form(case, h)
            for method in ("simultaneous", "alternating"):
                assert _sorted(numeric[method]) == pytest.approx(_sorted(closed[method]), abs=1e-12)
            growth = np.sqrt(1 + h**2 * dirac.F_PRIME_0[case.loss] ** 2)  # Lemma 2.3: √(1 + h²f′(0)²)
            assert np.abs(numeric["simultaneous"]) == pytest.approx([growth, growth], abs=1e-12)
            assert np.abs(numeric["alternating"]) == pytest.approx([1.0, 1.0], abs=1e-12)  # α ≤ 2: on the circle
    big = dirac.update_spectrum(dirac.CASES["wgan"], 2.5)["alternating"]  # α = 2.5 > 2: outside
    assert np.abs(big).max() > 1.5


def test_simultaneous_gan_spirals_out_and_r1_converges():
    start = (1.0, 0.5)
    gan = dirac.radius(dirac.trajectory(dirac.CASES["gan"], start, 0.1, 2000, "simultaneous"))
    assert gan[-1] > 1.5 * gan[0]
    assert np.all(np.diff(gan) > 0)  # outward at every step
    r1 = dirac.radius(dirac.trajectory(dirac.CASES["r1"], start, 0.1, 2000, "simultaneous"))
    assert r1[-1] < 1e-6 * r1[0]


def test_alternating_gan_with_a_small_step_stays_bounded():
    """The paper's observation (Lemma 2.4): alternating descent neither converges nor diverges."""
    r = dirac.radius(dirac.trajectory(dirac.CASES["gan"], (1.0, 0.5), 0.1, 5000, "alternating"))
    assert r.max() < 1.2 * r[0] and r.min() > 0.8 * r[0]


def test_clipping_keeps_psi_in_bounds_and_no_convergence():
    case = dirac.CASES["wgan-clip"]
    path = dirac.trajectory(case, (1.0, 0.2), 0.1, 2000, "alternating")
    assert np.abs(path[:, 1]).max() <= case.clip
    assert dirac.radius(path)[-500:].min() > 0.1


def test_unknown_inputs_are_refused():
    with pytest.raises(ValueError, match="loss"):
        dirac.Case("x", "hinge")
    with pytest.raises(ValueError, match="method"):
        dirac.trajectory(dirac.CASES["gan"], (1, 1), 0.1, 3, "leapfrog")
    with pytest.raises(ValueError, match="combined"):
        dirac.closed_form(dirac.Case("x", "minimax", penalty="r1", gamma=1.0, noise=1.0))


# --- the real nets: torch.func on modules that play the Dirac game ---


@pytest.fixture
def dirac_modules():
    torch = pytest.importorskip("torch")
    from torch import nn

    class Generator(nn.Module):
        def __init__(self, theta: float):
            super().__init__()
            self.theta = nn.Parameter(torch.tensor([theta], dtype=torch.float64))

        def forward(self, z):
            return self.theta + 0 * z  # every sample at θ

    class Discriminator(nn.Module):
        def __init__(self, psi: float):
            super().__init__()
            self.psi = nn.Parameter(torch.tensor([psi], dtype=torch.float64))

        def forward(self, x):
            return (self.psi * x).sum(-1)  # D(x) = ψx, (n,)

    def make(theta: float, psi: float, objective):
        """Keyword arguments of ``game_jacobian``: data δ₀ (16 zeros), any latent batch."""
        return {"G": Generator(theta), "D": Discriminator(psi), "objective": objective,
                "real": torch.zeros(16, 1), "z": torch.randn(16, 1)}

    return make


@pytest.mark.parametrize(("loss", "key"), [("minimax", "gan"), ("ns", "ns"), ("wgan", "wgan")])
def test_torch_func_jacobian_of_the_dirac_modules_matches_the_closed_form(dirac_modules, loss, key):
    from gan_studio.dynamics.game_jacobian import game_jacobian
    from gan_studio.objectives import get_objective

    result = game_jacobian(**dirac_modules(0.0, 0.0, get_objective(loss)))
    closed = dirac.closed_form(dirac.CASES[key])
    assert _sorted(result.eigenvalues) == pytest.approx(_sorted(closed.eigenvalues), abs=1e-12)
    assert result.field == pytest.approx([0.0, 0.0], abs=1e-15)
    assert result.names == ("G.theta", "D.psi") and result.n_g == 1
    # away from the equilibrium too: the same field and Jacobian as the NumPy module (same sign convention)
    away = game_jacobian(**dirac_modules(0.7, -0.4, get_objective(loss)))
    assert away.matrix == pytest.approx(dirac.numeric_jacobian(dirac.CASES[key], 0.7, -0.4), abs=1e-8)
    assert away.field == pytest.approx(dirac.field(dirac.CASES[key], 0.7, -0.4), abs=1e-12)


def test_game_jacobian_takes_both_g_loss_signatures(dirac_modules):
    """The G loss as (out_f, state) (the older signature) and as (out_r, out_f, state) give the same Jacobian,
    also when the objective asks for the real scores (``g_needs_real``)."""
    from types import SimpleNamespace

    from gan_studio.dynamics.game_jacobian import g_loss_takes_real, game_jacobian
    from gan_studio.objectives import get_objective

    ns = get_objective("ns")
    three = ns.g_loss if g_loss_takes_real(ns) else (lambda out_r, out_f, state: ns.g_loss(out_f, state))
    seen = []

    def needs_real(out_r, out_f, state):
        seen.append(out_r is not None)
        return three(None, out_f, state)

    def variant(g_loss, **extra):
        return SimpleNamespace(d_loss=ns.d_loss, init_state=ns.init_state, g_loss=g_loss, **extra)

    two = variant(lambda out_f, state: three(None, out_f, state))
    assert not g_loss_takes_real(two) and g_loss_takes_real(variant(three))
    reference = game_jacobian(**dirac_modules(0.7, -0.4, two)).matrix
    for objective in (variant(three), variant(needs_real, g_needs_real=True)):
        assert game_jacobian(**dirac_modules(0.7, -0.4, objective)).matrix == pytest.approx(reference, abs=1e-15)
    assert seen and all(seen)


def test_game_jacobian_refuses_large_nets():
    torch = pytest.importorskip("torch")
    from gan_studio.dynamics.game_jacobian import game_jacobian
    from gan_studio.objectives import get_objective

    G, D = torch.nn.Linear(2, 40), torch.nn.Linear(40, 1)  # 120 + 41 parameters
    with pytest.raises(ValueError, match=r"161 parameters together \(G 120, D 41\)"):
        game_jacobian(G, D, get_objective("ns"), torch.zeros(4, 40), torch.zeros(4, 2), max_params=100)


# --- the view, offscreen ---


def test_view_draws_the_field_and_two_trajectories_from_a_start(qtbot):
    from gan_studio.gui.views.dirac import GRID, DiracView

    view = DiracView(scale=1.0)
    qtbot.addWidget(view)
    view.show()
    xs, _ = view.arrows.getData()
    assert len(xs) == 3 * 2 * GRID * GRID  # shaft + two head strokes per arrow, two points each
    view.set_start(-1.0, 0.8)
    for curve in (view.sim_curve, view.alt_curve):
        x, y = curve.getData()
        assert len(x) > 2 and (x[0], y[0]) == pytest.approx((-1.0, 0.8))
    assert not np.allclose(view.sim_curve.getData()[0], view.alt_curve.getData()[0])
    assert "spirals out" in view.explain.text()


def test_view_click_sets_the_start(qtbot):
    from PyQt6 import QtCore

    from gan_studio.gui.views.dirac import DiracView

    view = DiracView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    box = view.field_plot.vb
    scene_point = box.mapViewToScene(QtCore.QPointF(-0.5, 1.0))
    widget_point = view.graphics.mapFromScene(scene_point)
    qtbot.mouseClick(view.graphics.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_point)
    assert view.start == pytest.approx((-0.5, 1.0), abs=0.05)


def test_view_controls_and_model_agree_both_ways(qtbot):
    from gan_studio.gui.views.dirac import DiracView

    view = DiracView()
    qtbot.addWidget(view)
    view.case_box.setCurrentIndex(ALL.index("r1"))  # UI -> view state
    assert view.case_key == "r1" and "converges" in view.explain.text()
    view.set_case("wgan-clip")  # code -> UI
    assert view.case_box.currentData() == "wgan-clip"
    assert all(band.isVisible() for band in view.clip_bands)
    view.step_box.setValue(0.5)
    assert view.h == pytest.approx(0.5)
    view.set_step(0.3)
    assert view.step_box.value() == pytest.approx(0.3)
    sim = view.sim_points.getData()
    assert np.hypot(*sim) == pytest.approx([np.hypot(1, 0.3)] * 2, abs=1e-12)  # WGAN: |1 ± h i|


def test_real_negative_eigenvalues_are_a_pull_and_the_eigenvalue_plot_shows_them_all(qtbot):
    """WGAN + R1 (γ = 10): λ = −5 ± √24, both real (closed form); the text says there is no rotation, and the
    plot keeps the unit circle's range, drawing −9.9 at its edge with its value written out."""
    from gan_studio.gui.views.dirac import DiracView

    eig = np.sort(dirac.closed_form(dirac.CASES["wgan-r1"]).eigenvalues.real)
    assert eig == pytest.approx([-5 - np.sqrt(24), -5 + np.sqrt(24)], abs=1e-9)
    assert "pulled straight into" in dirac.describe_jacobian(eig.astype(complex))
    assert "spirals into" in dirac.describe_jacobian(np.array([-1 + 1j, -1 - 1j]))
    view = DiracView(scale=1.0)
    qtbot.addWidget(view)
    view.set_case("wgan-r1")
    xs, _ = view.jac_points.getData()
    (x0, x1), _ = view.eig_plot.viewRange()
    assert x0 <= min(xs) and max(xs) <= x1 < 2.0, "the plot stays on the unit circle, the far one at its edge"
    assert view.off_plot.isVisible() and "λ = -9.90" in view.off_plot.toPlainText()
    assert "-0.10" not in view.off_plot.toPlainText(), "only the eigenvalue off the plot is written out"
    view.set_case("gan")
    assert not view.off_plot.isVisible()
