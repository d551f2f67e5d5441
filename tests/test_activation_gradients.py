"""The grad_act_d_<i> columns (``measure.gradients.activation_gradient_norms``): per point ‖∂D/∂a_i‖ for the input
a_i of each weight layer, checked against an independent NumPy back-propagation through the MLP's weights and ReLU
masks; the net is left as found; a clipped deep critic's norms shrink layer by layer towards the input."""

import numpy as np
import pytest
import torch
from torch import nn

from gan_studio import columns
from gan_studio import config as C
from gan_studio.config import Config
from gan_studio.engine import Trainer
from gan_studio.measure.gradients import activation_gradient_columns, activation_gradient_norms

torch.set_num_threads(1)


def numpy_backprop(weights, biases, x):
    """Per-point ∂D/∂a_i of D = W_L relu(... relu(W_0 x + b_0) ...) + b_L, by hand: forward keeping the ReLU masks,
    then g_L = W_L (one output), g_{i} = W_iᵀ (mask_i ⊙ g_{i+1}). Returns the mean norm per layer."""
    masks, a = [], x
    for w, b in zip(weights[:-1], biases[:-1], strict=True):
        pre = a @ w.T + b
        masks.append(pre > 0)
        a = np.maximum(pre, 0)
    grad = np.broadcast_to(weights[-1], (len(x), weights[-1].shape[1]))  # ∂D/∂a_L
    means = [np.linalg.norm(grad, axis=1).mean()]
    for w, mask in zip(reversed(weights[:-1]), reversed(masks), strict=True):
        grad = (grad * mask) @ w  # through the ReLU, then ∂(W a)/∂a = W
        means.append(np.linalg.norm(grad, axis=1).mean())
    return means[::-1]


def test_activation_gradient_norms_match_a_numpy_backprop():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
                        nn.Linear(8, 1)).double()
    x = torch.randn(300, 2, dtype=torch.float64)
    layers = [m for m in net if isinstance(m, nn.Linear)]
    expected = numpy_backprop([m.weight.detach().numpy() for m in layers], [m.bias.detach().numpy() for m in layers],
                              x.numpy())
    got = activation_gradient_norms(net.float(), x.float())
    assert got == pytest.approx(expected, rel=1e-5), "mean per-point norms, relative 1e-5 (float32 against float64)"
    assert got[-1] == pytest.approx(float(np.linalg.norm(layers[-1].weight.detach().numpy())), rel=1e-6), \
        "the last layer's input gradient is its weight row, the same for every point"


def test_the_net_is_left_as_found():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    net.train()
    for p in net.parameters():
        p.grad = torch.full_like(p, 7.0)
    activation_gradient_norms(net, torch.randn(50, 2))
    assert net.training and all(m.training for m in net.modules())
    assert all((p.grad == 7.0).all() for p in net.parameters()), "parameter grads untouched"
    assert not any(m._forward_pre_hooks for m in net.modules()), "hooks removed"
    assert list(activation_gradient_columns(net, torch.randn(50, 2), 1)) == ["grad_act_d_0"], \
        "only the header's layers"


def test_clipped_deep_critic_vanishes_towards_the_input_and_the_run_records_the_columns():
    """c = 0.01 clamps every weight: each layer back scales the gradient by ~0.01·width/2 < 1 (measured in lesson 5:
    ~5 decades over 7 layers); the recorded row has one grad_act_d_<i> per D weight layer, in the registry."""
    cfg = Config()
    for key, value in {"data.name": "ring8", "loss.name": "wgan", "lipschitz.name": "clip", "model.depth": 4,
                       "model.hidden": 64, "train.device": "cpu", "metrics.every": 10, "metrics.n_samples": 500,
                       "train.log_every": 10}.items():
        cfg = C.with_value(cfg, key, value)
    trainer = Trainer(cfg)
    row = None
    while row is None or row.get("grad_act_d_0") is None:
        row = trainer.step()
    names = [f"grad_act_d_{i}" for i in range(5)]
    assert all(name in trainer.measurer.columns() for name in names)
    assert "grad_act_d_5" not in row
    values = [row[name] for name in names]
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values
    assert values[-1] / values[0] > 1e3, values
    assert columns.lookup("grad_act_d_3", "2d").panel == "grads"


def test_a_d_without_weight_layers_gives_no_columns_and_a_gmmn_run_measures():
    """GMMN's D is the samples themselves (no weight layer): no activation gradient to read, and measuring such a
    run must not raise (torch.autograd.grad refuses an empty list of inputs)."""
    from gan_studio.nets.heads import SamplesD

    assert activation_gradient_norms(SamplesD((2,)), torch.randn(8, 2)) == []
    trainer = Trainer(C.with_value(Config(), "loss.name", "gmmn"))
    trainer.step()
    row = trainer.metrics_row(full=True)
    assert not any(key.startswith("grad_act_d_") for key in row)
    assert np.isfinite(row["js"])
