"""Remedies for mode collapse: layers against loop transcriptions of the papers' formulas, attach / detach, packing,
the instance-noise schedule, unrolled D against manual optimizer steps (and a finite difference), a tiny GAN."""

import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from gan_studio import remedies
from gan_studio.config import ConfigError
from gan_studio.nets.conv import ConvDiscriminator
from gan_studio.nets.mlp import MLPDiscriminator, MLPGenerator
from gan_studio.remedies import (
    PARAMS,
    REMEDIES,
    AugmentedHead,
    InstanceNoise,
    MinibatchDiscrimination,
    MinibatchStddev,
    Packing,
    Remedy,
    Unrolled,
    add_to_optimizer,
    make_remedy,
    pack_samples,
    remove_from_optimizer,
    stddev_group,
)

HEAD_REMEDIES = ["minibatch_discrimination", "minibatch_stddev"]


def _mlp_d(data_shape=(2,), hidden=8, depth=2, seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    return MLPDiscriminator(data_shape, hidden, depth, "relu").to(dtype)


def _ns_d_loss(view, batch):
    x_r, x_f = batch
    return F.softplus(-view(x_r)).mean() + F.softplus(view(x_f)).mean()


# ------------------------------------------------------------------------------- minibatch discrimination
def _paper_loop(f: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Salimans et al. 2016 §3.2, written out: M_i = f_i T, c_b(i, j) = exp(−Σ_c |M_ibc − M_jbc|), o_ib = Σ_j c_b."""
    n, (A, B, C) = f.shape[0], T.shape
    M = np.zeros((n, B, C))
    for i in range(n):
        for b in range(B):
            for c in range(C):
                M[i, b, c] = sum(f[i, a] * T[a, b, c] for a in range(A))
    o = np.zeros((n, B))
    for i in range(n):
        for b in range(B):
            o[i, b] = sum(np.exp(-sum(abs(M[i, b, c] - M[j, b, c]) for c in range(C))) for j in range(n))
    return o


@pytest.mark.parametrize("chunk", [1024, 3])  # 3: rows in blocks of 3 (the chunked path) on a batch of 5
def test_minibatch_discrimination_matches_paper_loop(monkeypatch, chunk):
    monkeypatch.setattr(remedies, "MBD_CHUNK", chunk)
    T = (np.arange(3 * 2 * 2, dtype=np.float64).reshape(3, 2, 2) - 5.5) / 10.0  # A = 3, B = 2, C = 2
    f = np.array([[0.0, 1.0, 2.0], [1.0, -1.0, 0.5], [0.3, 0.3, 0.3], [2.0, 0.0, -1.0], [0.0, 1.0, 2.0]])
    layer = MinibatchDiscrimination(3, 2, 2).double()
    with torch.no_grad():
        layer.T.copy_(torch.from_numpy(T))
    out = layer(torch.from_numpy(f)).detach().numpy()
    expected = _paper_loop(f, T)
    assert out.shape == (5, 2)
    assert out == pytest.approx(expected, rel=1e-12, abs=1e-12)
    # samples 0 and 4 are equal: each has the other at distance 0 plus itself, so o ≥ 2 there
    assert out[0] == pytest.approx(out[4], rel=1e-12) and (out[0] >= 2.0).all()


def test_minibatch_discrimination_has_gradients():
    layer = MinibatchDiscrimination(4, 3, 2, generator=torch.Generator().manual_seed(1)).double()
    f = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: layer(x), (f,))


# ------------------------------------------------------------------------------------------ minibatch stddev
def test_minibatch_stddev_matches_numpy_groups():
    """ddof = 0 (population std: mean of squared deviations, as Karras et al.'s code), √(var + 1e−8); groups as the
    code's reshape (G, n/G, A): sample i in group i mod (n/G)."""
    rng = np.random.default_rng(0)
    f = rng.normal(size=(8, 3)) * np.array([1.0, 2.0, 0.5])
    out = MinibatchStddev(4)(torch.from_numpy(f)).numpy()
    assert out.shape == (8, 1)
    per_group = {m: np.sqrt(np.var(f[m::2], axis=0, ddof=0) + 1e-8).mean() for m in range(2)}
    assert out[:, 0] == pytest.approx([per_group[i % 2] for i in range(8)], rel=1e-12)
    plain = {m: np.std(f[m::2], axis=0, ddof=0).mean() for m in range(2)}  # the eps is negligible here
    assert out[:, 0] == pytest.approx([plain[i % 2] for i in range(8)], rel=1e-6)
    assert out[0, 0] != pytest.approx(np.std(f[0::2], axis=0, ddof=1).mean(), rel=1e-3)  # not ddof = 1


def test_minibatch_stddev_group_sizes():
    assert stddev_group(256, 4) == 4
    assert stddev_group(6, 4) == 3  # largest divisor ≤ G
    assert stddev_group(2, 4) == 2  # n < G: the whole batch (Karras et al.: min(G, n))
    assert stddev_group(7, 4) == 1
    f = torch.tensor([[1.0, 3.0], [3.0, 7.0]])  # one group of 2: stds 1 and 2, mean 1.5
    assert MinibatchStddev(4)(f)[:, 0].tolist() == pytest.approx([1.5, 1.5], rel=1e-6)


# ---------------------------------------------------------------------------------------- attach / detach
def test_augmented_head_equals_widened_linear():
    torch.manual_seed(0)
    head = nn.Linear(5, 1)
    aug = AugmentedHead(MinibatchDiscrimination(5, 3, 2), head)
    with torch.no_grad():
        aug.extra.weight.normal_()
    f = torch.randn(7, 5)
    widened = F.linear(torch.cat([f, aug.stat(f)], dim=1), aug.widened_weight(), head.bias)
    torch.testing.assert_close(aug(f), widened, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", HEAD_REMEDIES)
@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_attach_then_detach_restores_d(name, kind):
    if kind == "mlp":
        D, x = _mlp_d(), torch.randn(8, 2, generator=torch.Generator().manual_seed(3))
    else:
        torch.manual_seed(0)
        D = ConvDiscriminator((1, 8, 8), hidden=8)
        x = torch.randn(8, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    before_params = [(n, p, p.detach().clone()) for n, p in D.named_parameters()]
    before_out = D(x).detach()
    opt = torch.optim.Adam(D.parameters(), lr=1e-2)
    remedy = make_remedy(name)
    remedy.attach(D)
    added = remedy.parameters()
    assert added and {id(p) for p in D.parameters()} == {id(p) for _, p, _ in before_params} | {id(p) for p in added}
    torch.testing.assert_close(D(x), before_out, rtol=0, atol=0)  # zero extra weights: outputs unchanged
    add_to_optimizer(opt, added)
    for _ in range(3):  # train with the layer on; W_extra moves, D's output changes
        opt.zero_grad()
        D(x).square().mean().backward()
        opt.step()
    trained = {n: p.detach().clone() for n, p, _ in before_params}
    assert not torch.equal(D(x).detach(), before_out)
    remove_from_optimizer(opt, added)
    remedy.detach(D)
    assert remedy.parameters() == []
    assert [(n, id(p)) for n, p in D.named_parameters()] == [(n, id(p)) for n, p, _ in before_params]
    for n, p in D.named_parameters():
        torch.testing.assert_close(p, trained[n], rtol=0, atol=0)
    # the plain D with the trained weights, computed from scratch: the same forward
    fresh = copy.deepcopy(D)
    torch.testing.assert_close(D(x), fresh(x), rtol=0, atol=0)


@pytest.mark.parametrize("name", HEAD_REMEDIES)
def test_attach_detach_without_training_restores_forward_exactly(name):
    D, x = _mlp_d(), torch.randn(5, 2, generator=torch.Generator().manual_seed(4))
    state = {k: v.clone() for k, v in D.state_dict().items()}
    out = D(x).detach()
    remedy = make_remedy(name)
    remedy.attach(D)
    with torch.no_grad():
        remedy._head.extra.weight.fill_(1.0)  # the attached D now differs ...
    assert not torch.equal(D(x), out)
    remedy.detach(D)  # ... and detaching restores it exactly
    torch.testing.assert_close(D(x), out, rtol=0, atol=0)
    assert D.state_dict().keys() == state.keys()
    for k, v in D.state_dict().items():
        torch.testing.assert_close(v, state[k], rtol=0, atol=0)


def test_attach_twice_is_refused_and_other_d_rejected():
    D = _mlp_d()
    make_remedy("minibatch_stddev").attach(D)
    with pytest.raises(ConfigError, match="already"):
        make_remedy("minibatch_discrimination").attach(D)

    class NoHead(nn.Module):
        def forward(self, x):
            return x.sum(1)

    with pytest.raises(ConfigError, match="Linear head"):
        make_remedy("minibatch_stddev").attach(NoHead())


def test_optimizer_keeps_old_state_and_current_lr():
    D, x = _mlp_d(), torch.randn(8, 2)
    opt = torch.optim.Adam(D.parameters(), lr=1e-2)
    D(x).mean().backward()
    opt.step()
    head = D.net[-1]
    moment = opt.state[head.weight]["exp_avg"].clone()
    for group in opt.param_groups:
        group["lr"] = 5e-3  # a live optim.lr_d change
    remedy = make_remedy("minibatch_discrimination")
    remedy.attach(D)
    add_to_optimizer(opt, remedy.parameters())
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["lr"] == 5e-3
    assert torch.equal(opt.state[head.weight]["exp_avg"], moment)
    opt.zero_grad()
    D(x).mean().backward()
    opt.step()
    assert all(p in opt.state for p in remedy.parameters())
    extras = remedy.parameters()
    remove_from_optimizer(opt, extras)
    remedy.detach(D)
    assert len(opt.param_groups) == 1 and not any(p in opt.state for p in extras)
    assert {id(p) for p in opt.param_groups[0]["params"]} == {id(p) for p in D.parameters()}


# ------------------------------------------------------------------------------------------------- packing
def test_packing_reshapes_consecutive_samples():
    x = torch.arange(12.0).reshape(6, 2)
    remedy = make_remedy("packing")
    assert remedy.needs_new_d and remedy.m == 2
    assert remedy.d_data_shape((2,)) == (4,)
    packed = remedy.pack(x)
    assert packed.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]  # pack j = [x_2j, x_2j+1]
    assert pack_samples(x, 3).tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    images = torch.arange(16.0).reshape(4, 1, 2, 2)
    packed_images = remedy.pack(images)  # channels concatenated
    assert packed_images.shape == (2, 2, 2, 2) and remedy.d_data_shape((1, 2, 2)) == (2, 2, 2)
    assert torch.equal(packed_images[1, 0], images[2, 0]) and torch.equal(packed_images[1, 1], images[3, 0])
    with pytest.raises(ValueError, match="packs of 2"):
        remedy.pack(torch.zeros(5, 2))


def test_packed_d_and_single_view():
    remedy = make_remedy("packing", {"pack": 3})
    D = _mlp_d(remedy.d_data_shape((2,)))
    x = torch.randn(9, 2)
    assert D(remedy.pack(x)).shape == (3,)
    view = remedy.single_view(D)
    assert view(x).shape == (9,)
    torch.testing.assert_close(view(x[:1]), D(x[:1].repeat(1, 3)), rtol=0, atol=0)


# ------------------------------------------------------------------------------------------ instance noise
def test_instance_noise_schedule():
    remedy = make_remedy("instance_noise", {"noise": 0.1, "anneal_steps": 2000}, data_scale=2.0)
    assert remedy.sigma0 == pytest.approx(0.2, rel=1e-12)
    remedy.attach(_mlp_d(), step=0)
    assert remedy.sigma(0) == pytest.approx(0.2, rel=1e-12)
    assert remedy.sigma(1000) == pytest.approx(0.1, rel=1e-12)
    assert remedy.sigma(2000) == 0.0 and remedy.sigma(5000) == 0.0
    remedy.attach(_mlp_d(), step=300)  # switched on mid-run: the annealing starts there
    assert remedy.sigma(300) == pytest.approx(0.2, rel=1e-12)
    assert remedy.sigma(1300) == pytest.approx(0.1, rel=1e-12)
    assert remedy.sigma(2300) == 0.0


def test_instance_noise_draws_and_leaves_input_alone():
    remedy = InstanceNoise(noise=0.5, anneal_steps=10, data_scale=1.0)
    x = torch.zeros(20000, 2)
    noisy = remedy.d_inputs(x, 0, torch.Generator().manual_seed(0))
    assert torch.equal(x, torch.zeros(20000, 2))  # not in place
    assert float(noisy.std()) == pytest.approx(0.5, rel=0.02)
    assert float(noisy.mean()) == pytest.approx(0.0, abs=0.01)
    again = remedy.d_inputs(x, 0, torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)  # drawn with the given generator only
    assert float(remedy.d_inputs(x, 5, torch.Generator().manual_seed(0)).std()) == pytest.approx(0.25, rel=0.02)
    assert remedy.d_inputs(x, 10) is x  # σ = 0: no draw at all


def test_other_remedies_are_identity_on_inputs():
    x = torch.randn(6, 2)
    D = _mlp_d()
    for name in REMEDIES:
        if name in ("instance_noise", "packing"):
            continue
        remedy = make_remedy(name)
        assert remedy.d_inputs(x, 0) is x and remedy.pack(x) is x
    assert make_remedy("none").unrolled_d(D, _ns_d_loss, [(x, x)]) is D


# ------------------------------------------------------------------------------------------------ unrolled
def test_unrolled_k0_is_plain_d():
    D, x = _mlp_d(), torch.randn(6, 2)
    remedy = make_remedy("unrolled", {"unroll": 0})
    assert remedy.unrolled_d(D, _ns_d_loss, [(x, x)]) is D
    view = make_remedy("unrolled").unrolled_d(D, _ns_d_loss, [(x, x)], k=0)
    torch.testing.assert_close(view(x), D(x), rtol=0, atol=0)


def _manual_steps(D, make_opt, batches, k, warm_state=None):
    """k real optimizer steps on a deep copy of D (with a copy of the optimizer state)."""
    D_copy = copy.deepcopy(D)
    opt = make_opt(D_copy.parameters())
    if warm_state is not None:
        opt.load_state_dict(copy.deepcopy(warm_state))
    for i in range(k):
        opt.zero_grad()
        _ns_d_loss(D_copy, batches[i % len(batches)]).backward()
        opt.step()
    return D_copy


@pytest.mark.parametrize("kind", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("second_order", [True, False])
def test_unrolled_parameters_equal_manual_optimizer_steps(kind, second_order):
    gen = torch.Generator().manual_seed(0)
    D = _mlp_d(seed=1)
    batches = [(torch.randn(16, 2, generator=gen), torch.randn(16, 2, generator=gen) + 1.0) for _ in range(2)]
    make_opt = {"sgd": lambda p: torch.optim.SGD(p, lr=0.05),
                "adam": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.5, 0.999)),
                "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01)}[kind]
    opt = make_opt(D.parameters())
    for _ in range(2):  # a D optimizer with state (moments, step count) already
        opt.zero_grad()
        _ns_d_loss(D, batches[0]).backward()
        opt.step()
    opt.zero_grad()
    k = 3
    unrolled = Unrolled(unroll=k, second_order=second_order).unrolled_d(D, _ns_d_loss, batches, optimizer=opt)
    manual = _manual_steps(D, make_opt, batches, k, warm_state=opt.state_dict())
    for name, p in manual.named_parameters():
        torch.testing.assert_close(unrolled.params[name].detach(), p.detach(), rtol=1e-5, atol=1e-6)
    x = torch.randn(5, 2, generator=gen)
    torch.testing.assert_close(unrolled(x).detach(), manual(x).detach(), rtol=1e-5, atol=1e-6)
    assert all(p.grad is None for p in D.parameters())  # the unrolling leaves D's own gradients alone
    if kind == "adam":  # the D optimizer's own state is not advanced by the look-ahead
        assert float(opt.state[next(D.parameters())]["step"]) == 2.0


def test_unrolled_without_optimizer_is_sgd_with_lr_d():
    D, x = _mlp_d(), torch.randn(8, 2)
    batches = [(x, x + 2.0)]
    unrolled = make_remedy("unrolled", {"unroll": 2}, lr_d=0.1).unrolled_d(D, _ns_d_loss, batches)
    manual = _manual_steps(D, lambda p: torch.optim.SGD(p, lr=0.1), batches, 2)
    torch.testing.assert_close(unrolled(x).detach(), manual(x).detach(), rtol=1e-5, atol=1e-6)


def _g_objective(G, D, z, x_r, opt, second_order, k=2):
    """G's loss −softplus… (ns) on the unrolled D, the fake batch carrying G's graph through the unrolling."""
    x_f = G(z)
    remedy = Unrolled(unroll=k, second_order=second_order)
    D_k = remedy.unrolled_d(D, _ns_d_loss, [(x_r, x_f)], optimizer=opt)
    return F.softplus(-D_k(x_f)).mean()


def test_unrolled_gradient_is_the_full_second_order_one():
    """dL_G/dθ_G through the k updates (Metz et al. eq. 6–7) equals a central finite difference of the unrolled
    objective; the first-order variant does not."""
    torch.manual_seed(0)
    D = MLPDiscriminator((2,), 6, 1, "tanh").double()
    G = MLPGenerator(2, (2,), 6, 1, "tanh").double()
    gen = torch.Generator().manual_seed(5)
    z = torch.randn(8, 2, generator=gen, dtype=torch.float64)
    x_r = torch.randn(8, 2, generator=gen, dtype=torch.float64) + 1.0
    opt = torch.optim.SGD(D.parameters(), lr=0.5)
    w = G.net[0].weight
    grads = {}
    for second_order in (True, False):
        G.zero_grad()
        _g_objective(G, D, z, x_r, opt, second_order).backward()
        grads[second_order] = w.grad[0, 0].item()
    h = 1e-5
    values = []
    for sign in (1, -1):
        with torch.no_grad():
            w[0, 0] += sign * h
        values.append(_g_objective(G, D, z, x_r, opt, True).item())
        with torch.no_grad():
            w[0, 0] -= sign * h
    numeric = (values[0] - values[1]) / (2 * h)
    assert grads[True] == pytest.approx(numeric, rel=1e-5, abs=1e-9)
    assert grads[False] != pytest.approx(numeric, rel=1e-3)


def test_unrolled_rejects_momentum():
    D, x = _mlp_d(), torch.randn(4, 2)
    opt = torch.optim.SGD(D.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(ConfigError, match="momentum"):
        make_remedy("unrolled").unrolled_d(D, _ns_d_loss, [(x, x)], optimizer=opt)


# -------------------------------------------------------------------------------------------------- factory
def test_make_remedy_names_params_and_errors():
    assert list(REMEDIES) == ["none", "minibatch_discrimination", "minibatch_stddev", "packing", "unrolled",
                              "instance_noise"]
    for name in REMEDIES:
        remedy = make_remedy(name)
        assert isinstance(remedy, Remedy) and remedy.name == name
        assert remedy.needs_new_d == (name == "packing")
    assert make_remedy("minibatch_discrimination").kernels == PARAMS["kernels"][0] == 5
    assert make_remedy("minibatch_discrimination").kernel_dims == 3
    assert make_remedy("minibatch_stddev").group == 4
    assert make_remedy("packing").m == 2 and isinstance(make_remedy("packing"), Packing)
    assert make_remedy("unrolled").k == 5 and make_remedy("unrolled").second_order
    assert make_remedy("instance_noise").anneal_steps == 2000
    with pytest.raises(ConfigError, match="remedy.name: unknown value 'dropout'"):
        make_remedy("dropout")
    with pytest.raises(ConfigError, match="remedy.pack"):
        make_remedy("packing", {"pack": 1})
    with pytest.raises(ConfigError, match="remedy.anneal_steps"):
        make_remedy("instance_noise", {"anneal_steps": 0})
    with pytest.raises(ConfigError, match="remedy.kernels"):
        make_remedy("minibatch_discrimination", {"kernels": "many"})


# ------------------------------------------------------------------------------------------------ tiny GAN
def _ring(n, gen):
    k = torch.randint(0, 8, (n,), generator=gen)
    angle = 2 * torch.pi * k / 8
    return 2 * torch.stack([angle.cos(), angle.sin()], 1) + 0.02 * torch.randn(n, 2, generator=gen)


def _tiny_gan(name, steps=20, n=16, switch_on=0):
    """The call pattern the engine follows (see the report): d_inputs → pack → D on both batches in the D step;
    the G step scores G's fake batch (noised, packed) with ``unrolled_d``'s D."""
    torch.manual_seed(0)
    rng = torch.Generator().manual_seed(0)
    remedy = make_remedy(name, {"unroll": 2, "anneal_steps": 10}, data_scale=1.4)
    G = MLPGenerator(2, (2,), 16, 1, "relu")
    D = MLPDiscriminator(remedy.d_data_shape((2,)), 16, 1, "relu")
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    plain = make_remedy("none")
    active = plain
    losses = []
    for step in range(steps):
        if step == switch_on:
            active = remedy
            active.attach(D, step=step)
            add_to_optimizer(opt_d, active.parameters())

        def d_in(x, step=step, active=active):
            return active.pack(active.d_inputs(x, step, rng))

        x_r = _ring(n, rng)
        with torch.no_grad():
            x_f = G(torch.randn(n, 2, generator=rng))
        loss_d = _ns_d_loss(D, (d_in(x_r), d_in(x_f)))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        D.requires_grad_(False)
        x_f = G(torch.randn(n, 2, generator=rng))
        batch = (d_in(_ring(n, rng)), d_in(x_f))
        D_g = active.unrolled_d(D, _ns_d_loss, [batch], optimizer=opt_d)
        loss_g = F.softplus(-D_g(batch[1])).mean()
        opt_g.zero_grad()
        loss_g.backward()
        D.requires_grad_(True)
        opt_g.step()
        losses += [loss_d.item(), loss_g.item()]
    remove_from_optimizer(opt_d, active.parameters())
    active.detach(D)
    return losses, G, D


@pytest.mark.parametrize("name", list(REMEDIES))
def test_tiny_gan_trains_with_each_remedy(name):
    losses, G, D = _tiny_gan(name)
    assert len(losses) == 40 and np.isfinite(losses).all()
    assert all(torch.isfinite(p).all() for p in [*G.parameters(), *D.parameters()])


@pytest.mark.parametrize("name", HEAD_REMEDIES + ["instance_noise", "unrolled"])
def test_tiny_gan_switches_on_mid_run(name):
    losses, _, D = _tiny_gan(name, steps=12, switch_on=6)
    assert np.isfinite(losses).all()
    assert not any(isinstance(m, AugmentedHead) for m in D.modules())  # detached at the end
