"""A mapping network before G (StyleGAN's idea in miniature, Karras et al. 2019): z → w by a small MLP, then the
usual generator ("synthesis") on w.

``model.mapping`` = number of Linear+activation layers of the z → w MLP (width ``model.hidden``), followed by a
Linear back to ``latent_dim``, so w has z's dimension and the latent views can draw the w plane as they draw the z
plane. 0 = no mapping network: ``build_generator`` then returns the plain generator, unchanged.

The synthesis net is built first, from the same random stream position as without a mapping, so with the same
seed its initial weights equal the weights of the generator with ``mapping = 0``; the mapping's weights come after.
"""

from __future__ import annotations

from torch import Tensor, nn

from gan_studio.nets.mlp import linear_stack


def mapping_mlp(latent_dim: int, layers: int, hidden: int, activation: str) -> nn.Sequential:
    """z (n, latent_dim) → w (n, latent_dim): ``layers`` hidden Linear+activation of width ``hidden``, then a
    Linear to latent_dim (w is unbounded, like a mapping network's output)."""
    return nn.Sequential(*linear_stack(latent_dim, latent_dim, hidden, layers, activation))


class MappedGenerator(nn.Module):
    """G(z) = synthesis(mapping(z)); ``mapping`` and ``synthesis`` are reachable for the latent probes (z or w)."""

    def __init__(self, synthesis: nn.Module, mapping: nn.Module):
        super().__init__()
        self.synthesis = synthesis
        self.mapping = mapping
        self.latent_dim = int(synthesis.latent_dim)
        self.data_shape = tuple(synthesis.data_shape)

    def forward(self, z: Tensor) -> Tensor:
        """Map z to w, then w to samples of shape (n, *data_shape)."""
        return self.synthesis(self.mapping(z))


def with_mapping(synthesis: nn.Module, cfg_model) -> nn.Module:
    """``synthesis`` itself when ``cfg_model.mapping`` is 0, else a ``MappedGenerator`` with a fresh mapping MLP."""
    layers = int(cfg_model.mapping)
    if layers <= 0:
        return synthesis
    return MappedGenerator(synthesis, mapping_mlp(synthesis.latent_dim, layers, cfg_model.hidden,
                                                  cfg_model.activation))


def split_generator(G: nn.Module) -> tuple[nn.Module | None, nn.Module]:
    """(mapping z → w or None, synthesis w → x) of a generator; a plain generator is its own synthesis."""
    if isinstance(G, MappedGenerator):
        return G.mapping, G.synthesis
    return None, G
