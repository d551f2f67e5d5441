"""Classifier objectives: D is a logistic classifier of real vs generated (Goodfellow et al. 2014).

Scores follow the convention of ``base``: higher = more real, P(real) = σ(s). ``softplus(x) = log(1 + eˣ)``
keeps the losses finite for any score (``−log σ(s) = softplus(−s)``, ``−log(1 − σ(s)) = softplus(s)``).

name         L_D                                   L_G
-----------  ------------------------------------  -------------------------------------------------
minimax      softplus(−s_r) + softplus(s_f)        −softplus(s_f) = log(1 − σ(s_f))  (saturating)
ns           softplus(−s_r) + softplus(s_f)        softplus(−s_f) = −log σ(s_f)

Estimate: ``js_d`` = (V + log 4)/2 with V = E log σ(s_r) + E log(1 − σ(s_f)) = −L_D on fresh batches; equal
to JS(p_data ‖ p_g) in nats for the optimal D, a lower bound in expectation otherwise.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gan_studio.metrics import js_from_scores
from gan_studio.objectives.base import Estimate, Objective, State


def minimax_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """−E log σ(s_r) − E log(1 − σ(s_f)) = E softplus(−s_r) + E softplus(s_f)."""
    return F.softplus(-s_r).mean() + F.softplus(s_f).mean()


def minimax_g(s_f: Tensor, state: State) -> Tensor:
    """E log(1 − σ(s_f)) = −E softplus(s_f): saturating, its gradient vanishes as s_f → −∞."""
    return -F.softplus(s_f).mean()


def ns_g(s_f: Tensor, state: State) -> Tensor:
    """−E log σ(s_f) = E softplus(−s_f): non-saturating, gradient → −1 per sample as s_f → −∞."""
    return F.softplus(-s_f).mean()


def js_estimate(s_r: Tensor, s_f: Tensor) -> float:
    """D-implied JS in nats, (V + log 4)/2, from scores on fresh batches (``metrics.js_from_scores``)."""
    return js_from_scores(s_r.cpu().numpy(), s_f.cpu().numpy())


JS_D = Estimate("JS(p_data ‖ p_g) in nats", "js_d",
                "(V + log 4)/2 with V = E log σ(s_r) + E log(1 − σ(s_f)); exact for the optimal D, "
                "a lower bound in expectation otherwise", js_estimate)


def _classifier(name: str, g_loss, about: str) -> Objective:
    """A classifier objective: D as minimax, drawn as P(real) = σ(D) with its boundary at ½."""
    return Objective(name, "classifier", "score", minimax_d, lambda out_r, out_f, state: g_loss(out_f, state), JS_D,
                     d_view="probability", decision_level=0.5, d_label="σ(D(x)) = P(real)",
                     d_curve_label="σ(D(x)) = P(real)", d_reference="optimal_d", about=about)


MINIMAX = _classifier("minimax", minimax_g,
                      "D is a logistic classifier of real against generated samples; G minimises log(1 − D(G(z))), "
                      "the other side of D's own loss. With the optimal D the game minimises JS(p_data ‖ p_g) "
                      "(Goodfellow et al. 2014). Its gradient vanishes when D confidently rejects the samples: "
                      "the saturating loss.")
NS = _classifier("ns", ns_g,
                 "D is the same logistic classifier; G instead maximises log D(G(z)), so its gradient is strong "
                 "exactly when D rejects the samples (the non-saturating trick of Goodfellow et al. 2014). D's "
                 "loss still estimates JS(p_data ‖ p_g), shown as the D-implied JS.")
