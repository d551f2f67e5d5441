"""Conditional GANs (issue 12): how the class label y reaches G and D.

``model.conditional = true`` wraps the nets built by ``nets.build_generator`` / ``nets.build_discriminator``:

G        ``ConditionalGenerator``: G(z, y) = inner([z; onehot(y)]), the inner net built for latent_dim + K inputs
         (Mirza & Osindero 2014); with a mapping network (``model.mapping``), [z; onehot(y)] goes through it.
D concat ``ConcatD``: D(x, y) = inner([x; onehot(y)]); for images the onehot is K constant channels, so the inner
         net is the usual MLP / conv net built for (C + K, H, W). Works for every head (score, features,
         reconstruction, none: GMMN then matches the joint distribution of (x, onehot y)).
D proj.  ``ProjectionD`` (Miyato & Koyama 2018, eq. 3): D(x, y) = ψ(φ(x)) + embed(y)·φ(x), with φ the inner score
         net without its last Linear, ψ that Linear, embed an ``nn.Embedding(K, width of φ)``. Score head only.

Calls without a label (pictures and measurements, which see D as a function of x alone):
- G(z) asks for ``prior_labels(n, p_data(y))``: the classes in proportion to the data, deterministic (no random
  stream is touched), so measured sample sets have the data's class mix and the asked label of sample i is known;
  inside ``asking(G, D, k)`` every sample asks for class k (the window's class picker).
- A score D(x) is max_k D(x, k): how real x looks for the class it fits best (the background of "every class":
  the class average Σ_k p(k) D(x, k) was measured to be "fake" everywhere on ring8 — near mode k only one of the
  8 terms is high). ``ProjectionD`` computes it with one φ pass (ψ(φ) + max_k embed(k)·φ); ``ConcatD`` with K
  passes. A concat D of another head (features, autoencoder, none) is given p_data(y) in place of onehot(y) (the
  mean label: one pass, its outputs have no "best class"). Inside ``asking(G, D, k)``: D(x, k).

Spectral normalization and clipping act on every Linear / Conv layer (weight clipping also clamps the embedding;
spectral norm does not normalise it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import torch
from torch import Tensor, nn

from gan_studio.config import ConfigError

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0  # the golden-ratio sequence frac((i + ½)·0.618…) spreads classes evenly


def onehot(y: Tensor, n_classes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """(n, K) one-hot rows of the int labels y (n,)."""
    return nn.functional.one_hot(y.long(), n_classes).to(dtype)


def prior_labels(n: int, weights: Tensor) -> Tensor:
    """(n,) int64 labels in proportion to ``weights`` (K,), without randomness: label i is the class whose
    cumulative-weight interval holds u_i = frac((i + ½)·0.618…), a low-discrepancy sequence, so the classes are
    interleaved and each class's count is within a few of n·w_k."""
    cum = torch.cumsum(weights.double().cpu(), 0)
    u = torch.remainder((torch.arange(n, dtype=torch.float64) + 0.5) * GOLDEN, 1.0) * cum[-1]
    return torch.searchsorted(cum, u, right=True).clamp_(max=len(weights) - 1).to(weights.device)


def label_channels(y: Tensor, n_classes: int, like: Tensor) -> Tensor:
    """onehot(y) shaped to be concatenated with ``like``: (n, K) for points, (n, K, H, W) constant maps for images."""
    code = onehot(y, n_classes, like.dtype).to(like.device)
    if like.dim() == 2:
        return code
    return code[:, :, None, None].expand(-1, -1, *like.shape[2:])


def soft_channels(probs: Tensor, like: Tensor) -> Tensor:
    """The class probabilities (K,) as a label input for every row of ``like`` (points or image channels)."""
    code = probs.to(like.dtype).to(like.device).expand(like.shape[0], -1)
    if like.dim() == 2:
        return code
    return code[:, :, None, None].expand(-1, -1, *like.shape[2:])


class _Conditional(nn.Module):
    """What G and D wrappers share: the number of classes, p_data(y) (a buffer outside the state dict: saved
    weights stay those of the nets) and the class asked for by ``asking`` (None: every class)."""

    def _init_classes(self, class_weights: Tensor) -> None:
        weights = torch.as_tensor(class_weights, dtype=torch.float32)
        self.n_classes = int(weights.numel())
        self.register_buffer("class_weights", weights / weights.sum(), persistent=False)
        self.asked: int | None = None


class ConditionalGenerator(_Conditional):
    """G(z, y) = inner([z; onehot(y)]); G(z) asks for ``prior_labels`` (or the class set by ``asking``)."""

    def __init__(self, inner: nn.Module, latent_dim: int, class_weights: Tensor):
        super().__init__()
        self.inner = inner
        self._init_classes(class_weights)
        self.latent_dim = int(latent_dim)
        self.data_shape = tuple(inner.data_shape)

    def labels_for(self, n: int) -> Tensor:
        """The labels a call without y asks for: the asked class, else the data's class mix (``prior_labels``)."""
        if self.asked is not None:
            return torch.full((n,), self.asked, dtype=torch.long, device=self.class_weights.device)
        return prior_labels(n, self.class_weights)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Samples (n, *data_shape) of the classes y (n,); without y, of ``labels_for(n)``."""
        y = self.labels_for(z.shape[0]) if y is None else y
        return self.inner(torch.cat([z, onehot(y, self.n_classes, z.dtype).to(z.device)], dim=1))


class ConcatD(_Conditional):
    """D(x, y) = inner([x; onehot(y)]) (channels for images); D(x): the asked class's score, else max_k D(x, k)
    for a score head, else the inner output with p_data(y) as the label."""

    def __init__(self, inner: nn.Module, class_weights: Tensor, score_head: bool = True):
        super().__init__()
        self.inner = inner
        self._init_classes(class_weights)
        self.score_head = bool(score_head)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The inner head's output on x with its label (see the class docstring for y = None)."""
        flat = x if x.dim() > 2 else torch.flatten(x, 1)
        if y is None and self.asked is not None:
            y = torch.full((x.shape[0],), self.asked, dtype=torch.long, device=x.device)
        if y is None and self.score_head:
            every = [self(x, torch.full((x.shape[0],), k, dtype=torch.long, device=x.device))
                     for k in range(self.n_classes)]
            return torch.stack(every).amax(0)
        code = soft_channels(self.class_weights, flat) if y is None else label_channels(y, self.n_classes, flat)
        return self.inner(torch.cat([flat, code], dim=1))


class ProjectionD(_Conditional):
    """D(x, y) = ψ(φ(x)) + embed(y)·φ(x), raw score (n,) (Miyato & Koyama 2018)."""

    def __init__(self, phi: nn.Module, psi: nn.Linear, class_weights: Tensor):
        super().__init__()
        self.phi = phi
        self.psi = psi
        self._init_classes(class_weights)
        self.embed = nn.Embedding(self.n_classes, psi.in_features)
        # small start (as the paper's code, N(0, 0.02²)-like): the class term starts near 0, D near unconditional
        nn.init.normal_(self.embed.weight, std=0.02)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """ψ(φ(x)) + ⟨embed(y), φ(x)⟩ per sample, shape (n,); without y the asked class's, else the best class's
        max_k ⟨embed(k), φ(x)⟩."""
        features = self.phi(x)
        if y is None and self.asked is not None:
            y = torch.full((x.shape[0],), self.asked, dtype=torch.long, device=x.device)
        if y is None:
            projection = (features @ self.embed.weight.T).amax(1)
        else:
            projection = (self.embed(y.long()) * features).sum(1)
        return self.psi(features).squeeze(-1) + projection


class Labelled(nn.Module):
    """D with the labels of one batch bound: forward(x) = D(x, y). A penalty or an objective then sees a function
    of x alone (the gradient penalty differentiates it at interpolates that carry the real batch's labels)."""

    def __init__(self, D: nn.Module, y: Tensor):
        super().__init__()
        self.D = D
        self.y = y

    def forward(self, x: Tensor) -> Tensor:
        """D(x, y) with the bound y."""
        return self.D(x, self.y)


def labelled(D: nn.Module, y: Tensor | None) -> nn.Module:
    """D itself when y is None (an unconditional run), else ``Labelled(D, y)``."""
    return D if y is None else Labelled(D, y)


@contextmanager
def asking(G: nn.Module, D: nn.Module, k: int | None) -> Iterator[None]:
    """Inside: G(z) generates class k only and D(x) is D(x, k) (k None or < 0: every class). Nets that are not
    conditional are left alone. Used by the frames for the class picker; training never runs inside."""
    nets = [net for net in (G, D) if isinstance(net, _Conditional)]
    wanted = None if k is None or k < 0 else int(k)
    before = [net.asked for net in nets]
    try:
        for net in nets:
            net.asked = wanted
        yield
    finally:
        for net, old in zip(nets, before, strict=True):
            net.asked = old


# ------------------------------------------------------------------------------------------------ building

def check_conditional(cfg_model, n_classes: int, head: str, remedy: str) -> None:
    """ConfigError unless a conditional GAN can run: a data set with at least two classes, projection only on a
    score D, no remedy that changes D's input or its batch (packing, minibatch layers, unrolled D)."""
    if not cfg_model.conditional:
        if cfg_model.shown_class != -1:
            raise ConfigError(f"model.shown_class: {cfg_model.shown_class} asks for a class, but model.conditional "
                              "is false (allowed: −1)")
        return
    if n_classes < 2:
        raise ConfigError("model.conditional: needs a data set with classes (a mixture of ≥ 2 modes or a labelled "
                          "image set); this one has none")
    if cfg_model.conditioning == "projection" and head != "score":
        raise ConfigError(f"model.conditioning: projection needs a score D; this loss has a {head} D "
                          "(use conditioning concat)")
    if remedy in ("packing", "minibatch_discrimination", "minibatch_stddev", "unrolled"):
        raise ConfigError(f"remedy.name: {remedy} does not work with model.conditional (it changes D's inputs or "
                          "batch, which then lose their labels); allowed with conditioning: none, instance_noise")
    if not -1 <= cfg_model.shown_class < n_classes:
        raise ConfigError(f"model.shown_class: {cfg_model.shown_class} is not a class of this data; allowed: −1 "
                          f"(every class) or 0…{n_classes - 1}")


def conditional_generator(build, cfg_model, data_shape: tuple[int, ...], class_weights: Tensor) -> nn.Module:
    """A ``ConditionalGenerator`` around ``build(cfg_model with latent_dim + K, data_shape)``."""
    n_classes = len(class_weights)
    inner = build(replace(cfg_model, latent_dim=cfg_model.latent_dim + n_classes), data_shape)
    return ConditionalGenerator(inner, cfg_model.latent_dim, class_weights)


def conditional_discriminator(build, cfg_model, data_shape: tuple[int, ...], class_weights: Tensor,
                              head: str = "score") -> nn.Module:
    """``ConcatD`` around ``build(shape with K more inputs / channels)``, or ``ProjectionD`` around the score D
    ``build(data_shape)`` split into φ (all but its last Linear) and ψ (that Linear)."""
    n_classes = len(class_weights)
    if cfg_model.conditioning == "concat":
        shape = tuple(data_shape)
        wider = (shape[0] + n_classes,) if len(shape) == 1 else (shape[0] + n_classes, *shape[1:])
        return ConcatD(build(wider), class_weights, score_head=head == "score")
    if head != "score":
        raise ConfigError(f"model.conditioning: projection needs a score D; this loss has a {head} D "
                          "(use conditioning concat)")
    phi, psi = split_score_net(build(tuple(data_shape)))
    return ProjectionD(phi, psi, class_weights)


class _Flatten(nn.Module):
    """φ for the MLP: flatten then the trunk."""

    def __init__(self, trunk: nn.Module):
        super().__init__()
        self.trunk = trunk

    def forward(self, x: Tensor) -> Tensor:
        """φ(x): (n, width)."""
        return self.trunk(torch.flatten(x, 1))


def split_score_net(D: nn.Module) -> tuple[nn.Module, nn.Linear]:
    """(φ, ψ) of a score net: the MLP's ``net`` without its last Linear and that Linear; the conv net's
    ``features`` (flattened) and its ``head``."""
    from gan_studio.nets.conv import ConvDiscriminator

    if isinstance(D, ConvDiscriminator):
        return nn.Sequential(D.features, nn.Flatten(1)), D.head
    layers = list(D.net)
    if not isinstance(layers[-1], nn.Linear):
        raise ValueError(f"{type(D).__name__} does not end in a Linear layer; cannot split it into φ and ψ")
    return _Flatten(nn.Sequential(*layers[:-1])), layers[-1]


def asked_labels(G: nn.Module, n: int) -> Tensor | None:
    """The classes a conditional G asks for in a call G(z) of n codes (``ConditionalGenerator.labels_for``);
    None for an unconditional G. Measurement uses it to know what each measured sample was asked to be."""
    return G.labels_for(n) if isinstance(G, ConditionalGenerator) else None
