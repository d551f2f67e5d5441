"""Lipschitz methods: penalties against closed forms, clipping, spectral norm attach/detach with an optimizer."""

import pytest
import torch
from torch import nn

from gan_studio.config import CHOICES, ConfigError, LipschitzConfig, ModelConfig
from gan_studio.lipschitz import (
    METHODS,
    R1,
    R2,
    Clip,
    GradientPenalty,
    NoConstraint,
    SpectralNorm,
    input_gradient_norms,
    make_method,
)
from gan_studio.nets import build_discriminator, weight_layers


class LinearD(nn.Module):
    """D(x) = w·flatten(x): ∇ₓD = w for every sample."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float32))

    def forward(self, x):
        return x.flatten(1) @ self.w


class QuadraticD(nn.Module):
    """D(x) = ½‖x‖² per sample: ∇ₓD(x) = x, so ‖∇ₓD(x)‖ = ‖x‖ differs per sample."""

    def forward(self, x):
        return 0.5 * x.flatten(1).square().sum(1)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _x(shape, seed):
    return torch.randn(shape, generator=_gen(seed))


def test_registry_and_make_method():
    assert set(METHODS) == set(CHOICES["lipschitz.name"])
    expected = {"none": NoConstraint, "clip": Clip, "gp": GradientPenalty, "r1": R1, "r2": R2, "sn": SpectralNorm}
    for name, cls in expected.items():
        method = make_method(LipschitzConfig(name=name, clip=0.05, weight=3.0, one_sided=True))
        assert type(method) is cls and method.name == name and method.description
    assert make_method(LipschitzConfig(name="clip", clip=0.05)).c == 0.05
    gp = make_method(LipschitzConfig(name="gp", weight=3.0, one_sided=True))
    assert (gp.weight, gp.one_sided) == (3.0, True)
    assert make_method(LipschitzConfig(name="r2", weight=4.0)).weight == 4.0
    with pytest.raises(ConfigError, match="lipschitz.name.*allowed.*gp"):
        make_method(LipschitzConfig(name="gp2"))


def test_none_does_nothing():
    D = LinearD([1.0, 2.0])
    m = NoConstraint()
    m.attach(D)
    assert m.penalty(D, _x((3, 2), 0), _x((3, 2), 1), _gen()) is None
    m.after_step(D)
    m.detach(D)
    assert D.w.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("shape", [(6, 3), (6, 1, 1, 3)])  # points and (n, C, H, W) images
def test_gp_linear_critic_exact(shape):
    # ‖w‖ = ‖(1.2, 1.6, 0)‖ = 2 for every x̂, so the penalty is λ·(2 − 1)² = λ (float32 rounding: rel=1e-6).
    D = LinearD([1.2, 1.6, 0.0])
    pen = GradientPenalty(weight=10.0).penalty(D, _x(shape, 0), _x(shape, 1), _gen())
    assert pen.shape == ()
    assert pen.item() == pytest.approx(10.0, rel=1e-6)


def test_gp_is_differentiable_in_d_parameters():
    # P(w) = λ(‖w‖ − 1)² ⇒ ∂P/∂w = 2λ(‖w‖ − 1)·w/‖w‖ = 2·10·1·w/2 = 10·w for ‖w‖ = 2 (create_graph works).
    D = LinearD([1.2, 1.6, 0.0])
    GradientPenalty(weight=10.0).penalty(D, _x((4, 3), 0), _x((4, 3), 1), _gen()).backward()
    assert D.w.grad.tolist() == pytest.approx([12.0, 16.0, 0.0], rel=1e-5)


def _interpolates(x_r, x_f, seed):
    eps = torch.rand((x_r.shape[0],) + (1,) * (x_r.dim() - 1), generator=_gen(seed))
    return eps * x_r + (1 - eps) * x_f


@pytest.mark.parametrize("shape", [(16, 2), (16, 1, 2, 2)])
def test_gp_per_sample_eps_and_norm(shape):
    x_r, x_f = _x(shape, 0), 2.0 * _x(shape, 1)
    x_hat = _interpolates(x_r, x_f, seed=5)  # same generator seed ⇒ the same per-sample ε draws
    norms = x_hat.flatten(1).norm(dim=1)  # ‖∇ₓD(x̂_i)‖ = ‖x̂_i‖ for the quadratic D
    expected = 10.0 * ((norms - 1.0) ** 2).mean().item()
    pen = GradientPenalty(weight=10.0).penalty(QuadraticD(), x_r, x_f, _gen(5)).item()
    assert pen == pytest.approx(expected, rel=1e-5)  # float32 sums over 16 samples: rel=1e-5
    # The two classic mistakes give different numbers here: the norm over the whole batch tensor, and one ε
    # for the whole batch.
    whole_batch = 10.0 * (x_hat.norm() - 1.0).item() ** 2
    eps1 = torch.rand(1, generator=_gen(5))
    one_eps = 10.0 * (((eps1 * x_r + (1 - eps1) * x_f).flatten(1).norm(dim=1) - 1.0) ** 2).mean().item()
    assert pen != pytest.approx(whole_batch, rel=1e-2)
    assert pen != pytest.approx(one_eps, rel=1e-2)
    # and another seed draws other ε
    assert GradientPenalty(10.0).penalty(QuadraticD(), x_r, x_f, _gen(6)).item() != pytest.approx(pen, rel=1e-3)


def test_gp_one_sided():
    x_r, x_f = 0.7 * _x((32, 2), 0), 0.7 * _x((32, 2), 1)
    norms = _interpolates(x_r, x_f, seed=2).norm(dim=1)
    assert (norms < 1).any() and (norms > 1).any()  # both regimes present, so one/two-sided differ
    pen = GradientPenalty(weight=4.0, one_sided=True).penalty(QuadraticD(), x_r, x_f, _gen(2)).item()
    assert pen == pytest.approx(4.0 * (torch.relu(norms - 1.0) ** 2).mean().item(), rel=1e-5)  # float32 sums
    two = GradientPenalty(weight=4.0).penalty(QuadraticD(), x_r, x_f, _gen(2)).item()
    assert two == pytest.approx(4.0 * ((norms - 1.0) ** 2).mean().item(), rel=1e-5)


def test_gp_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="equal shape"):
        GradientPenalty().penalty(QuadraticD(), _x((4, 2), 0), _x((5, 2), 1), _gen())


@pytest.mark.parametrize("shape", [(10, 2), (10, 1, 3, 3)])
def test_r1_r2_closed_form(shape):
    # Quadratic D: (γ/2)·E‖∇ₓD(x)‖² = (γ/2)·E‖x‖² on the real (r1) or the fake (r2) batch; rel=1e-5 (float32).
    x_r, x_f = _x(shape, 0), 3.0 * _x(shape, 1)
    for method, x in ((R1(weight=6.0), x_r), (R2(weight=6.0), x_f)):
        pen = method.penalty(QuadraticD(), x_r, x_f, _gen())
        assert pen.item() == pytest.approx(3.0 * x.flatten(1).square().sum(1).mean().item(), rel=1e-5)


def test_r1_gradient_reaches_parameters():
    # D = w·x: R1 = (γ/2)‖w‖² ⇒ ∂R1/∂w = γ·w.
    D = LinearD([0.5, -2.0])
    R1(weight=10.0).penalty(D, _x((4, 2), 0), _x((4, 2), 1), _gen()).backward()
    assert D.w.grad.tolist() == pytest.approx([5.0, -20.0], rel=1e-6)


def test_clip_bounds_all_parameters():
    torch.manual_seed(0)
    D = build_discriminator(ModelConfig(hidden=8, depth=2), (2,))
    with torch.no_grad():
        for p in D.parameters():
            p.mul_(0.3)  # default init is U(±1/√fan_in): now some entries lie inside [−0.05, 0.05], most outside
    before = torch.cat([p.detach().flatten().clone() for p in D.parameters()])
    Clip(0.05).after_step(D)
    after = torch.cat([p.detach().flatten() for p in D.parameters()])
    inside = before.abs() <= 0.05
    assert 0 < inside.sum().item() < inside.numel()  # both cases occur
    assert torch.equal(after[inside], before[inside])  # in-range values untouched
    assert torch.equal(after[~inside].abs(), torch.full_like(after[~inside], 0.05))  # others at ±c (float32 c)
    assert torch.equal(torch.sign(after), torch.sign(before))


def test_clip_rejects_nonpositive():
    with pytest.raises(ConfigError, match="lipschitz.clip"):
        Clip(0.0)


def test_input_gradient_norms():
    x = _x((7, 1, 2, 2), 3)
    D = QuadraticD()
    norms = input_gradient_norms(D, x)
    assert norms.shape == (7,) and not norms.requires_grad
    assert norms.tolist() == pytest.approx(x.flatten(1).norm(dim=1).tolist(), rel=1e-6)  # float32 rounding
    lin = LinearD([3.0, 4.0])
    assert input_gradient_norms(lin, _x((3, 2), 0)).tolist() == pytest.approx([5.0] * 3, rel=1e-6)
    assert lin.w.grad is None  # D's parameter gradients untouched


# --- spectral normalisation --------------------------------------------------------------------------------


def _sn_net():
    torch.manual_seed(0)
    return build_discriminator(ModelConfig(hidden=16, depth=2), (2,))


def test_sn_normalises_and_detach_restores():
    D = _sn_net()
    raw = [layer.weight.detach().clone() for layer in weight_layers(D)]
    ids = {id(p) for p in D.parameters()}
    rng = torch.get_rng_state()
    sn = SpectralNorm()
    sn.attach(D)
    assert torch.equal(rng, torch.get_rng_state())  # attaching does not consume the global RNG
    assert {id(p) for p in D.parameters()} == ids
    D.train()
    x = _x((32, 2), 0)
    for _ in range(5):
        D(x)
    D.eval()  # read the effective weights without further power iterations
    for layer in weight_layers(D):
        sigma = torch.linalg.matrix_norm(layer.weight, ord=2).item()
        # 15 power iterations on attach + 5 training forwards; measured error < 1e-4 on this net.
        assert sigma == pytest.approx(1.0, abs=1e-3)
    raw_sigma = [torch.linalg.matrix_norm(w, ord=2).item() for w in raw]
    assert max(abs(s - 1.0) for s in raw_sigma) > 0.1  # the raw weights were not normalised already
    sn.detach(D)
    assert {id(p) for p in D.parameters()} == ids
    for layer, w in zip(weight_layers(D), raw, strict=True):
        assert type(layer) is nn.Linear and isinstance(layer.weight, nn.Parameter)
        assert torch.equal(layer.weight, w)  # bit-exact raw weights back


def test_sn_attach_is_deterministic_and_idempotent():
    a, b = _sn_net(), _sn_net()
    torch.manual_seed(123)  # a different global RNG state must not matter
    SpectralNorm().attach(a)
    SpectralNorm().attach(b)
    SpectralNorm().attach(b)  # attaching twice does not stack two parametrizations
    for la, lb in zip(weight_layers(a), weight_layers(b), strict=True):
        assert len(lb.parametrizations.weight) == 1
        assert torch.equal(la.parametrizations.weight[0]._u, lb.parametrizations.weight[0]._u)


def test_sn_keeps_optimizer_working_across_attach_and_detach():
    D = _sn_net()
    opt = torch.optim.Adam(D.parameters(), lr=1e-2)
    ids = {id(p) for p in D.parameters()}
    x = _x((16, 2), 0)
    sn = SpectralNorm()

    def step():
        opt.zero_grad()
        D(x).mean().backward()
        before = [p.detach().clone() for p in D.parameters()]
        opt.step()
        return before

    step()
    first = weight_layers(D)[0].weight
    sn.attach(D)
    assert weight_layers(D)[0].parametrizations.weight.original is first
    before = step()
    assert all(not torch.equal(b, p) for b, p in zip(before, D.parameters(), strict=True))  # every param moved
    assert {id(p) for g in opt.param_groups for p in g["params"]} == ids == {id(p) for p in D.parameters()}
    assert all(opt.state[p]["step"].item() == 2 for p in D.parameters())  # Adam state kept, not restarted
    sn.detach(D)
    assert weight_layers(D)[0].weight is first
    before = step()
    assert all(not torch.equal(b, p) for b, p in zip(before, D.parameters(), strict=True))
    assert all(opt.state[p]["step"].item() == 3 for p in D.parameters())
