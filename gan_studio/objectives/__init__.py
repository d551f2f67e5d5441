"""The registry of GAN objectives: ``get_objective(name)`` and ``OBJECTIVES``, the names in config order.

What an objective is, and the sign convention every one follows, is in ``base``; each family module holds its
formula table. The names (``loss.name`` in the config) and their readable titles are listed, torch-free, in
``config.CHOICES["loss.name"]`` and ``config.OBJECTIVE_TITLES``; this registry holds exactly those names, in
that order (tests/test_objectives.py checks it).
"""

from __future__ import annotations

from gan_studio.config import ConfigError
from gan_studio.objectives.base import Objective
from gan_studio.objectives.classifier import MINIMAX, NS
from gan_studio.objectives.critic import HINGE, WGAN
from gan_studio.objectives.energy import ENERGY_OBJECTIVES
from gan_studio.objectives.fgan import FGANS
from gan_studio.objectives.fisher import FISHER
from gan_studio.objectives.kernel import KERNEL_OBJECTIVES
from gan_studio.objectives.least_squares import LSGAN
from gan_studio.objectives.relativistic import RELATIVISTIC_OBJECTIVES
from gan_studio.objectives.vae import VAE_OBJECTIVES

REGISTRY: dict[str, Objective] = {o.name: o for o in (MINIMAX, NS, WGAN, LSGAN, HINGE, *FGANS,
                                                      *RELATIVISTIC_OBJECTIVES, *ENERGY_OBJECTIVES,
                                                      *KERNEL_OBJECTIVES, FISHER, *VAE_OBJECTIVES)}
# Not registered: fisher.RWGAN, whose asymmetric clip box (Guo et al. 2017) is not verified (objectives/fisher.py).
"""Every objective by name. Tests may add one with ``monkeypatch.setitem``."""

OBJECTIVES: tuple[str, ...] = tuple(REGISTRY)
"""The registered names, in config order."""


def get_objective(name: str) -> Objective:
    """The registered objective called ``name``; ConfigError naming the allowed names otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigError(f"loss.name: unknown value {name!r}; allowed: {', '.join(REGISTRY)}") from None
