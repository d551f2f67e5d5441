"""Least-squares objective (Mao et al. 2017): D regresses its raw score onto targets 1 (real) and 0 (fake).

Scores follow the convention of ``base``: higher = more real. With targets a = 0, b = 1, c = 1 the optimal
D is D*(x) = p_data/(p_data + p_g), so the views draw the raw score against D* with the boundary at ½.

name         L_D                                   L_G
-----------  ------------------------------------  -------------------------------------------------
lsgan        ½(s_r − 1)² + ½ s_f²                  ½(s_f − 1)²
"""

from __future__ import annotations

from torch import Tensor

from gan_studio.objectives.base import Objective, State


def lsgan_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E ½(s_r − 1)² + E ½ s_f² (targets 1 for real, 0 for fake)."""
    return 0.5 * (s_r - 1.0).square().mean() + 0.5 * s_f.square().mean()


def lsgan_g(s_f: Tensor, state: State) -> Tensor:
    """E ½(s_f − 1)²."""
    return 0.5 * (s_f - 1.0).square().mean()


LSGAN = Objective("lsgan", "least_squares", "score", lsgan_d, lambda out_r, out_f, state: lsgan_g(out_f, state), None,
                  d_view="score", decision_level=0.5, d_label="raw score D(x)",
                  d_curve_label="D(x) (LSGAN targets 1 real, 0 fake)", d_reference="optimal_d",
                  about="D regresses its score onto 1 for real and 0 for generated samples by least squares; G pulls "
                        "its samples' scores towards 1. The optimal D is p_data/(p_data + p_g), and the quadratic "
                        "loss keeps pushing samples that are classified right but lie far from the data "
                        "(Mao et al. 2017).")
