"""Relativistic objectives (Jolicoeur-Martineau 2018/2019): D judges whether real data are MORE real than fake.

Sign convention of ``base``: C(x) = D(x) is a raw score, higher = more real (the paper's "critic" C, before its
activation). s_r = D(x_real), s_f = D(G(z)); ``s̄_r``, ``s̄_f`` are batch means; relu(x) = max(0, x),
softplus(x) = log(1 + eˣ) = −log σ(−x). In RSGAN real and fake samples are paired row by row (the batches have the
same size); the "average" (Ra) variants compare each sample with the other batch's mean.

name     L_D                                              L_G
-------  -----------------------------------------------  -----------------------------------------------
rsgan    E softplus(−(s_r − s_f))                         E softplus(−(s_f − s_r))
rasgan   E softplus(−(s_r − s̄_f)) + E softplus(s_f − s̄_r)   E softplus(−(s_f − s̄_r)) + E softplus(s_r − s̄_f)
ralsgan  E (s_r − s̄_f − 1)² + E (s_f − s̄_r + 1)²           E (s_f − s̄_r − 1)² + E (s_r − s̄_f + 1)²
rahinge  E relu(1 − (s_r − s̄_f)) + E relu(1 + (s_f − s̄_r)) E relu(1 − (s_f − s̄_r)) + E relu(1 + (s_r − s̄_f))

Written as in the paper (§4.1 eq. for RSGAN, §4.2 for RaSGAN, §4.3 / Appendix for RaLSGAN and RaHingeGAN):
RSGAN's L_D = −E log σ(C(x_r) − C(x_f)); RaSGAN's D̃(x_r) = σ(C(x_r) − E C(x_f)), D̃(x_f) = σ(C(x_f) − E C(x_r)),
L_D = −E log D̃(x_r) − E log(1 − D̃(x_f)), L_G the same with real and fake swapped. RaLSGAN is the paper's
equation without the reference code's overall ½. G's loss needs D on a real batch in all four (``g_needs_real``):
one more D forward pass per G step. Defaults (paper §5): Adam 2e-4, β = (0.5, 0.999), one D step per G step;
every Lipschitz method applies (the paper also runs them with GP and SN).

Estimate ``rel_gap`` = E s_r − E s_f on fresh batches: how much more real D finds the data than the generated
samples, in score units; 0 = D undecided. It is not a divergence (the relativistic losses' optimal D do give
divergences, §4 of the paper, but on a score scale the four do not share).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gan_studio.objectives.base import Estimate, Objective, State

DEFAULTS: dict[str, dict[str, object]] = {
    name: {"lipschitz.name": "none", "optim.name": "adam", "optim.lr_d": 2e-4, "optim.lr_g": 2e-4,
           "optim.beta1": 0.5, "optim.beta2": 0.999, "train.d_steps": 1}
    for name in ("rsgan", "rasgan", "ralsgan", "rahinge")
}


def rsgan_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E softplus(−(s_r − s_f)) = −E log σ(s_r − s_f), paired rows."""
    return F.softplus(s_f - s_r).mean()


def rsgan_g(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E softplus(−(s_f − s_r)) = −E log σ(s_f − s_r), paired rows."""
    return F.softplus(s_r - s_f).mean()


def _ra_sgan(real: Tensor, fake: Tensor) -> Tensor:
    """−E log σ(real − mean fake) − E log(1 − σ(fake − mean real)); D: (s_r, s_f), G: (s_f, s_r)."""
    return F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()


def rasgan_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E softplus(−(s_r − s̄_f)) + E softplus(s_f − s̄_r)."""
    return _ra_sgan(s_r, s_f)


def rasgan_g(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E softplus(−(s_f − s̄_r)) + E softplus(s_r − s̄_f)."""
    return _ra_sgan(s_f, s_r)


def _ra_lsgan(real: Tensor, fake: Tensor) -> Tensor:
    return (real - fake.mean() - 1.0).square().mean() + (fake - real.mean() + 1.0).square().mean()


def ralsgan_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E (s_r − s̄_f − 1)² + E (s_f − s̄_r + 1)²."""
    return _ra_lsgan(s_r, s_f)


def ralsgan_g(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E (s_f − s̄_r − 1)² + E (s_r − s̄_f + 1)²."""
    return _ra_lsgan(s_f, s_r)


def _ra_hinge(real: Tensor, fake: Tensor) -> Tensor:
    return F.relu(1.0 - (real - fake.mean())).mean() + F.relu(1.0 + (fake - real.mean())).mean()


def rahinge_d(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E relu(1 − (s_r − s̄_f)) + E relu(1 + (s_f − s̄_r))."""
    return _ra_hinge(s_r, s_f)


def rahinge_g(s_r: Tensor, s_f: Tensor, state: State) -> Tensor:
    """E relu(1 − (s_f − s̄_r)) + E relu(1 + (s_r − s̄_f))."""
    return _ra_hinge(s_f, s_r)


def _gap(s_r: Tensor, s_f: Tensor) -> float:
    return float(s_r.mean() - s_f.mean())


REL_GAP = Estimate("how much more real D scores p_data than p_g", "rel_gap",
                   "E s_r − E s_f on fresh batches, in score units; 0 = undecided", _gap)


def _relativistic(name: str, d_loss, g_loss, about: str) -> Objective:
    return Objective(name, "relativistic", "score", d_loss, g_loss, REL_GAP,
                     d_view="score", decision_level=None, d_label="raw score D(x)",
                     d_curve_label="raw score D(x)", d_reference=None, g_needs_real=True,
                     about=about + " G's loss is the same with real and generated swapped, so G also lowers how "
                                   "real the data look (Jolicoeur-Martineau 2018). Shown: the score gap rel_gap.")


RSGAN = _relativistic("rsgan", rsgan_d, rsgan_g,
                      "D judges whether a real sample is MORE real than a generated one, paired row by row: "
                      "L_D = −E log σ(D(real) − D(generated)).")
RASGAN = _relativistic("rasgan", rasgan_d, rasgan_g,
                       "D judges each real sample against the average generated score, and each generated sample "
                       "against the average real score, with the logistic loss.")
RALSGAN = _relativistic("ralsgan", ralsgan_d, ralsgan_g,
                        "As relativistic average GAN with least-squares targets: D(real) − mean D(generated) → +1 "
                        "and D(generated) − mean D(real) → −1.")
RAHINGE = _relativistic("rahinge", rahinge_d, rahinge_g,
                        "As relativistic average GAN with hinge margins: real samples should beat the average "
                        "generated score by 1, generated ones trail the average real score by 1.")

RELATIVISTIC_OBJECTIVES: tuple[Objective, ...] = (RSGAN, RASGAN, RALSGAN, RAHINGE)
