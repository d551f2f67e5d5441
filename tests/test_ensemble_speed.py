"""The faster paths of a seed ensemble (issue 16's CPU throughput): in-place activations and the weight layout of
batched nets (gan_studio/nets/ensemble.py), all members' gradient norms and finiteness at once, fused Adam
(gan_studio/ensemble.py), each against an independent per-member computation."""

import pytest
import torch

from gan_studio import config as C
from gan_studio.config import Config
from gan_studio.engine import NonFiniteError, l2_norm
from gan_studio.ensemble import EnsembleTrainer, make_optimizer, member_l2_norms
from gan_studio.nets.ensemble import BatchedNet
from gan_studio.nets.mlp import MLPDiscriminator, MLPGenerator

# float32 sums taken in another order (batched products, a norm over a row instead of a flat tensor): a few ulp
CLOSE = {"rel": 1e-5, "abs": 1e-6}


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "tanh"])
def test_a_batched_d_gives_each_members_scores_input_gradients_and_penalty_gradients(activation):
    members = []
    for seed in range(3):
        torch.manual_seed(seed)
        members.append(MLPDiscriminator((2,), 16, 2, activation))
    batched = BatchedNet(members)
    x = torch.randn(3, 20, 2, generator=torch.Generator().manual_seed(7), requires_grad=True)
    scores = batched(x)
    (grad_x,) = torch.autograd.grad(scores.sum(), x, create_graph=True)  # double backward, as a gradient penalty
    grad_x.square().sum().backward()
    for k, member in enumerate(members):
        xk = x[k].detach().clone().requires_grad_(True)
        single = member(xk)
        assert scores[k].tolist() == pytest.approx(single.tolist(), **CLOSE)
        (grad_k,) = torch.autograd.grad(single.sum(), xk, create_graph=True)
        assert grad_x[k].flatten().tolist() == pytest.approx(grad_k.flatten().tolist(), **CLOSE)
        grad_k.square().sum().backward()
        for layer, linear in zip(batched.layers(), [m for m in member.net if isinstance(m, torch.nn.Linear)],
                                 strict=True):
            assert layer.weight.grad[k].flatten().tolist() == pytest.approx(linear.weight.grad.flatten().tolist(),
                                                                            rel=1e-4, abs=1e-6)


def test_a_batched_g_keeps_its_members_weights_exactly():
    members = []
    for seed in range(2):
        torch.manual_seed(seed)
        members.append(MLPGenerator(2, (2,), 8, 2, "relu"))
    batched = BatchedNet(members)
    for k, member in enumerate(members):
        state = batched.member_state(k)
        for key, value in member.state_dict().items():
            assert torch.equal(state[key], value), key


def test_member_norms_equal_each_members_l2_norm_and_stay_finite_for_huge_gradients():
    gen = torch.Generator().manual_seed(3)
    weight = torch.randn(4, 5, 3, generator=gen).transpose(1, 2).contiguous().transpose(1, 2)  # the batched layout
    bias, other = torch.randn(4, 5, generator=gen), torch.randn(4, 2, generator=gen)
    weight[2] *= 1e30  # l2_norm scales first: 1e30-sized gradients give ~1e30, not inf
    total, groups = member_l2_norms([[weight, bias], [], [other]], 4)
    assert torch.isnan(groups[1]).all()  # an empty group, as l2_norm([])
    for k in range(4):
        assert float(groups[0][k]) == pytest.approx(float(l2_norm([weight[k], bias[k]])), rel=1e-6)
        assert float(groups[2][k]) == pytest.approx(float(l2_norm([other[k]])), rel=1e-6)
        assert float(total[k]) == pytest.approx(float(l2_norm([weight[k], bias[k], other[k]])), rel=1e-6)
    assert float(total[2]) == pytest.approx(float(torch.linalg.vector_norm(weight[2].double())), rel=1e-6)


def test_an_infinite_optimizer_state_of_one_member_stops_the_ensemble_naming_its_seed():
    cfg = Config()
    for key, value in {"model.hidden": 16, "model.depth": 1, "train.batch_size": 32, "train.log_every": 2,
                       "metrics.every": 10**6, "metrics.ot_every": 10**6, "train.seeds": 3}.items():
        cfg = C.with_value(cfg, key, value)
    ensemble = EnsembleTrainer(cfg)
    ensemble.step()
    weight = ensemble.G.layers()[1].weight
    ensemble.opt_g.state[weight]["exp_avg_sq"][2, 0, 0] = float("inf")  # member 2 (seed 2) only
    with pytest.raises(NonFiniteError, match="member seed 2 became non-finite by step 2"):
        ensemble.step()


def test_adam_is_fused_for_an_ensemble_and_the_other_optimizers_are_the_engines():
    params = [torch.zeros(3, 2, requires_grad=True)]
    adam = make_optimizer(Config().optim, params, 1e-3)
    assert isinstance(adam, torch.optim.Adam) and adam.defaults["fused"]
    rmsprop = make_optimizer(C.with_value(Config(), "optim.name", "rmsprop").optim, params, 1e-3)
    assert isinstance(rmsprop, torch.optim.RMSprop) and rmsprop.defaults["foreach"]


def test_member_losses_vmap_can_not_map_are_taken_member_by_member_and_remembered():
    cfg = Config()
    for key, value in {"model.hidden": 16, "model.depth": 1, "train.batch_size": 32, "train.log_every": 2,
                       "metrics.every": 10**6, "metrics.ot_every": 10**6, "train.seeds": 3}.items():
        cfg = C.with_value(cfg, key, value)
    ensemble = EnsembleTrainer(cfg)
    objective = ensemble.objective

    def branching_loss(out_r, out_f, state):  # a Python branch on a value: vmap raises, one member at a time works
        return objective.d_loss(out_r, out_f, state) * (2.0 if float(out_r.mean()) > 0 else 3.0)

    out_r, out_f = torch.randn(3, 8, generator=torch.Generator().manual_seed(1)), torch.zeros(3, 8)
    losses = ensemble._member_losses(branching_loss, out_r, out_f)
    assert ensemble._unmappable == {objective.name}
    for k in range(3):
        assert float(losses[k]) == pytest.approx(float(branching_loss(out_r[k], out_f[k], {})), rel=1e-6)
    mapped = EnsembleTrainer(cfg)._member_losses(objective.d_loss, out_r, out_f)  # ns maps: one call
    for k in range(3):
        assert float(mapped[k]) == pytest.approx(float(objective.d_loss(out_r[k], out_f[k], {})), rel=1e-6)
