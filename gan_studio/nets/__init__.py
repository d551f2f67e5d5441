"""Generator / discriminator builders, latent sampling and the list of weight layers.

``model.arch``: ``mlp`` (nets/mlp.py), ``conv`` (nets/conv.py, DCGAN-style, images only) or ``auto``: MLP for
points and for images with H ≤ 8, conv otherwise. The conv module is imported lazily, only when used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from gan_studio.config import CHOICES, ConfigError
from gan_studio.nets.mapping import with_mapping
from gan_studio.nets.mlp import (
    MLPDiscriminator,
    MLPGenerator,
    build_mlp_discriminator,
    build_mlp_generator,
    make_activation,
)

__all__ = [
    "MLPDiscriminator",
    "MLPGenerator",
    "build_discriminator",
    "build_generator",
    "make_activation",
    "resolve_arch",
    "sample_latent",
    "weight_layers",
]

WEIGHT_LAYER_TYPES = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


def resolve_arch(arch: str, data_shape: tuple[int, ...]) -> str:
    """The concrete family ("mlp" or "conv") for ``model.arch`` and a data shape; ConfigError if impossible."""
    shape = tuple(data_shape)
    if len(shape) not in (1, 3):
        raise ConfigError(f"data shape {shape} is neither points (dim,) nor an image (C, H, W)")
    is_image = len(shape) == 3
    if arch == "auto":
        return "conv" if is_image and shape[1] > 8 else "mlp"
    if arch == "mlp":
        return "mlp"
    if arch == "conv":
        if not is_image:
            raise ConfigError("model.arch: conv needs image data; use mlp or auto")
        return "conv"
    raise ConfigError(f"model.arch: unknown value {arch!r}; allowed: {', '.join(CHOICES['model.arch'])}")


def build_generator(cfg_model, data_shape: tuple[int, ...]) -> nn.Module:
    """G(z: (n, latent_dim)) -> (n, *data_shape), family chosen by ``cfg_model.arch``, after a z → w mapping MLP
    when ``cfg_model.mapping`` > 0 (``nets.mapping``)."""
    if resolve_arch(cfg_model.arch, data_shape) == "conv":
        from gan_studio.nets.conv import build_conv_generator

        return with_mapping(build_conv_generator(cfg_model, tuple(data_shape)), cfg_model)
    return with_mapping(build_mlp_generator(cfg_model, tuple(data_shape)), cfg_model)


def build_discriminator(cfg_model, data_shape: tuple[int, ...], head: str = "score", energy: str = "l2"
                        ) -> nn.Module:
    """D for an objective's ``head``: ``score`` D(x) -> (n,) raw score (higher = more real), family chosen by
    ``cfg_model.arch``; ``features``, ``reconstruction`` (with reconstruction error ``energy``) and ``none``: the
    MLPs of ``nets.heads``."""
    if head != "score":
        from gan_studio.nets import heads

        if head == "features":
            return heads.build_features_discriminator(cfg_model, tuple(data_shape))
        if head == "reconstruction":
            return heads.build_autoencoder_discriminator(cfg_model, tuple(data_shape), energy)
        if head == "none":
            return heads.SamplesD(tuple(data_shape))
        if head == "encoder":  # D's slot holds the VAE's encoder (objectives.vae)
            from gan_studio.nets.encoder import build_encoder

            return build_encoder(cfg_model, tuple(data_shape))
        raise ValueError(f"unknown discriminator head {head!r}; allowed: score, features, reconstruction, none, "
                         f"encoder")
    if resolve_arch(cfg_model.arch, data_shape) == "conv":
        from gan_studio.nets.conv import build_conv_discriminator

        return build_conv_discriminator(cfg_model, tuple(data_shape))
    return build_mlp_discriminator(cfg_model, tuple(data_shape))


def sample_latent(n: int, latent_dim: int, kind: str, generator: torch.Generator | None,
                  device: torch.device | str = "cpu") -> Tensor:
    """(n, latent_dim) float32 codes, N(0, I) ("gaussian") or U(−1, 1) ("uniform").

    Drawn where ``generator`` lives and then moved to ``device``: with a CPU generator (``train.rng = cpu``) the
    same seed gives the same codes on every device; with one on the GPU (``device``) nothing is copied.
    """
    where = generator.device if generator is not None else torch.device("cpu")
    if kind == "gaussian":
        z = torch.randn(n, latent_dim, generator=generator, device=where)
    elif kind == "uniform":
        z = torch.rand(n, latent_dim, generator=generator, device=where).mul_(2.0).sub_(1.0)
    else:
        raise ConfigError(f"model.latent: unknown value {kind!r}; allowed: {', '.join(CHOICES['model.latent'])}")
    return z.to(device)


def weight_layers(net: nn.Module) -> list[nn.Module]:
    """The Linear / Conv2d / ConvTranspose2d layers of ``net`` in registration (= forward, for our nets) order."""
    return [m for m in net.modules() if isinstance(m, WEIGHT_LAYER_TYPES)]


@contextmanager
def eval_mode(*nets: nn.Module) -> Iterator[None]:
    """Put ``nets`` in eval mode; restore every submodule's own training flag on exit."""
    flags = [(m, m.training) for net in nets if net is not None for m in net.modules()]
    try:
        for net in nets:
            if net is not None:
                net.eval()
        yield
    finally:
        for m, flag in flags:
            m.training = flag
