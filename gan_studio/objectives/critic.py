"""Critic objectives: D is an unbounded critic whose mean gap between real and generated scores G closes.

Scores follow the convention of ``base``: higher = more real.

name         L_D                                   L_G
-----------  ------------------------------------  -------------------------------------------------
wgan         s_f − s_r                             −s_f
hinge        relu(1 − s_r) + relu(1 + s_f)         −s_f

wgan (Arjovsky et al. 2017): with D 1-Lipschitz, max_D E s_r − E s_f = W1(p_data, p_g) (Kantorovich–
Rubinstein), estimated as ``w1_critic``. hinge (Lim & Ye 2017; Miyato et al. 2018): real scores are pushed
above +1 and fake ones below −1, so 0 is the decision level.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gan_studio.metrics import critic_w1
from gan_studio.objectives.base import Estimate, Objective, State


def wgan_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E s_f − E s_r: the critic maximises E s_r − E s_f."""
    return s_f.mean() - s_r.mean()


def critic_g(s_f: Tensor, state: State) -> Tensor:
    """−E s_f (generator loss of wgan and hinge)."""
    return -s_f.mean()


def hinge_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E relu(1 − s_r) + E relu(1 + s_f): zero once real scores ≥ 1 and fake scores ≤ −1."""
    return F.relu(1.0 - s_r).mean() + F.relu(1.0 + s_f).mean()


def w1_estimate(s_r: Tensor, s_f: Tensor) -> float:
    """The critic's W1 estimate E s_r − E s_f on fresh batches (``metrics.critic_w1``)."""
    return critic_w1(s_r.cpu().numpy(), s_f.cpu().numpy())


W1_CRITIC = Estimate("W1(p_data, p_g)", "w1_critic",
                     "E s_r − E s_f ≤ lip·W1; W1 itself only for the optimal 1-Lipschitz critic", w1_estimate)

WGAN = Objective("wgan", "critic", "score", wgan_d, lambda out_r, out_f, state: critic_g(out_f, state), W1_CRITIC,
                 d_view="score", decision_level=None, d_label="critic score D(x)",
                 d_curve_label="critic D(x) − E_data D", d_reference="optimal_critic",
                 about="The critic D maximises the gap E D(real) − E D(generated); G raises its samples' scores. "
                       "If D is 1-Lipschitz the largest gap is the Wasserstein-1 distance (Kantorovich–Rubinstein), "
                       "so pair it with a Lipschitz method: clip, gp, dragan or sn (Arjovsky et al. 2017).")
HINGE = Objective("hinge", "critic", "score", hinge_d, lambda out_r, out_f, state: critic_g(out_f, state), None,
                  d_view="score", decision_level=0.0, d_label="critic score D(x)",
                  d_curve_label="raw score D(x)", d_reference=None,
                  about="D pushes real scores above +1 and generated ones below −1 and stops caring beyond those "
                        "margins; G raises its samples' scores. The margin makes D a support-vector-like "
                        "classifier with its boundary at 0 (Lim & Ye 2017; Miyato et al. 2018, with spectral norm).")
