"""Lipschitz methods for the discriminator / critic, swappable between any two training steps.

=====  =====================================================================================================
name   what it does
=====  =====================================================================================================
none   nothing
clip   ``after_step``: clamp every D parameter to [−c, c] after each D optimizer step (default c = 0.01)
gp     ``penalty``: λ·E[(‖∇ₓD(x̂)‖₂ − 1)²], x̂ = εx_r + (1 − ε)x_f, ε ~ U(0, 1) drawn per sample with the given
       torch.Generator, the norm taken per sample over all non-batch dims; ``one_sided``: λ·E[max(0, ‖∇‖ − 1)²]
r1     ``penalty``: (γ/2)·E_real[‖∇ₓD(x)‖²]
r2     ``penalty``: (γ/2)·E_fake[‖∇ₓD(x)‖²]
dragan ``penalty``: λ·E[(‖∇ₓD(x̃)‖₂ − 1)²] near the data (Kodali et al. 2017, reference code): per element
       δ = 0.5·std(x_r)·u, u ~ U(0, 1) (std over the whole real batch), per sample α ~ U(0, 1),
       x̃ = x_r + α·δ; the norm per sample; default λ = 10
sn     ``attach``: spectral normalisation of every weight layer (``nets.weight_layers``), one power iteration per
       forward in training mode, ``u`` kept between steps; ``detach`` restores the raw weights
=====  =====================================================================================================

Attach / detach keep the *same* ``nn.Parameter`` objects (spectral norm moves ``layer.weight`` to
``layer.parametrizations.weight.original`` and back), so an optimizer built on ``D.parameters()`` keeps tracking
exactly those parameters and keeps its state (e.g. Adam moments). Note: while parametrised (and after detach)
``D.parameters()`` may list a layer's bias before its weight; compare parameter *sets* (by ``id``), not order.

Penalties differentiate a scalar per sample. For a D whose head is not a score (a feature vector), the engine
passes ``ScoreView(D, score_fn)``: D followed by the objective's witness, so every penalty acts on the witness.

Penalties are built with ``torch.autograd.grad(..., create_graph=True)`` so they can be added to L_D and
back-propagated into D's parameters. No ``.item()`` or per-sample Python loops on the training path.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from gan_studio.config import ConfigError
from gan_studio.nets import eval_mode, weight_layers

SN_INIT_SEED = 0  # seed of the local generator that initialises the power-iteration vectors u, v on attach
SN_INIT_ITERATIONS = 15  # power iterations run on attach (as torch's own spectral_norm does)


def _input_gradients(D: nn.Module, x: Tensor, create_graph: bool) -> Tensor:
    """∇ₓ Σ_i D(x)_i for a leaf copy of x: row i is ∇ₓD(x_i) (D scores samples independently)."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=create_graph)
    return grad


def _per_sample_sq_norms(grad: Tensor) -> Tensor:
    """‖g_i‖² over all non-batch dims, shape (n,)."""
    return grad.flatten(1).square().sum(1)


def input_gradient_norms(D: nn.Module, x: Tensor) -> Tensor:
    """Per-sample ‖∇ₓD(x_i)‖₂, shape (n,), detached (no graph kept, D's parameter grads untouched).

    D is evaluated in eval mode (restored afterwards), so a spectrally normalised D does not advance its power
    iteration while being measured.
    """
    with eval_mode(D), torch.enable_grad():
        grad = _input_gradients(D, x, create_graph=False)
    return grad.flatten(1).norm(dim=1).detach()


class ScoreView(nn.Module):
    """D seen as a scalar function: ``forward(x) = score_fn(D(x))``, shape (n,). ``D`` is a submodule, so the view
    has D's parameters and weight layers, and ``eval_mode`` reaches D. ``score_fn`` is e.g. the objective's witness
    with its reference outputs bound (``Objective.scores``)."""

    def __init__(self, D: nn.Module, score_fn):
        super().__init__()
        self.D = D
        self.score_fn = score_fn

    def forward(self, x: Tensor) -> Tensor:
        """(n,) scalar scores of the points x."""
        return self.score_fn(self.D(x))


class LipschitzMethod:
    """Base class and the ``none`` method: every hook does nothing."""

    name = "none"
    description = "no constraint"

    def attach(self, D: nn.Module) -> None:
        """Called when the method becomes active (between steps)."""

    def detach(self, D: nn.Module) -> None:
        """Called when the method is switched off (between steps)."""

    def penalty(self, D: nn.Module, x_real: Tensor, x_fake: Tensor,
                generator: torch.Generator | None) -> Tensor | None:
        """A scalar added to L_D, or None."""
        return None

    def after_step(self, D: nn.Module) -> None:
        """Called after every D optimizer step."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description})"


class NoConstraint(LipschitzMethod):
    """``none``: no constraint on D."""


class Clip(LipschitzMethod):
    """``clip``: clamp every D parameter to [−c, c] after each D optimizer step (WGAN weight clipping)."""

    name = "clip"

    def __init__(self, c: float = 0.01):
        if not c > 0:
            raise ConfigError(f"lipschitz.clip: {c!r} is out of range; it must be > 0")
        self.c = float(c)
        self.description = f"clamp every D parameter to [−{self.c:g}, {self.c:g}] after each D step"

    def after_step(self, D: nn.Module) -> None:
        """Clamp every parameter of D in place."""
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-self.c, self.c)


class GradientPenalty(LipschitzMethod):
    """``gp``: λ·E[(‖∇ₓD(x̂)‖₂ − 1)²] on per-sample interpolates (one-sided: only norms above 1 are penalised)."""

    name = "gp"

    def __init__(self, weight: float = 10.0, one_sided: bool = False):
        self.weight = float(weight)
        self.one_sided = bool(one_sided)
        form = "max(0, ‖∇D(x̂)‖ − 1)²" if self.one_sided else "(‖∇D(x̂)‖ − 1)²"
        self.description = f"{self.weight:g}·E {form}, x̂ = εx_r + (1 − ε)x_f, ε ~ U(0,1) per sample"

    def interpolate(self, x_real: Tensor, x_fake: Tensor, generator: torch.Generator | None) -> Tensor:
        """x̂ = εx_r + (1 − ε)x_f with one ε ~ U(0, 1) per sample, shape (n, 1, …), drawn with ``generator``."""
        if x_real.shape != x_fake.shape:
            raise ValueError(f"gp needs real and fake batches of equal shape, got {tuple(x_real.shape)} "
                             f"and {tuple(x_fake.shape)}")
        shape = (x_real.shape[0],) + (1,) * (x_real.dim() - 1)
        gen_device = generator.device if generator is not None else torch.device("cpu")
        eps = torch.rand(shape, generator=generator, device=gen_device, dtype=x_real.dtype).to(x_real.device)
        return eps * x_real.detach() + (1.0 - eps) * x_fake.detach()

    def penalty(self, D: nn.Module, x_real: Tensor, x_fake: Tensor,
                generator: torch.Generator | None) -> Tensor:
        """λ·mean over samples of (‖∇ₓD(x̂_i)‖ − 1)² (or its one-sided form)."""
        grad = _input_gradients(D, self.interpolate(x_real, x_fake, generator), create_graph=True)
        excess = grad.flatten(1).norm(dim=1) - 1.0
        if self.one_sided:
            excess = torch.relu(excess)
        return self.weight * excess.square().mean()


class Dragan(LipschitzMethod):
    """``dragan``: λ·E[(‖∇ₓD(x̃)‖₂ − 1)²] at perturbed real points (Kodali, Abernethy, Hays & Kira 2017).

    As in the paper's reference code: δ = 0.5·std(x_r)·u with u ~ U(0, 1) drawn per element and std the standard
    deviation of the whole real batch (one number), then x̃ = x_r + α·δ with α ~ U(0, 1) drawn per sample (the code
    penalises points on the segment from x_r to x_r + δ). The norm is taken per sample.
    """

    name = "dragan"

    def __init__(self, weight: float = 10.0):
        self.weight = float(weight)
        self.description = f"{self.weight:g}·E (‖∇D(x̃)‖ − 1)², x̃ = x_r + α·0.5·std(x_r)·U(0,1), α per sample"

    @staticmethod
    def perturb(x_real: Tensor, generator: torch.Generator | None) -> Tensor:
        """x̃ = x_r + α·δ: δ = 0.5·std(x_r)·u (u per element), α per sample, both U(0, 1) from ``generator``."""
        x = x_real.detach()
        gen_device = generator.device if generator is not None else torch.device("cpu")
        u = torch.rand(x.shape, generator=generator, device=gen_device, dtype=x.dtype).to(x.device)
        alpha_shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        alpha = torch.rand(alpha_shape, generator=generator, device=gen_device, dtype=x.dtype).to(x.device)
        return x + alpha * (0.5 * x.std() * u)

    def penalty(self, D: nn.Module, x_real: Tensor, x_fake: Tensor,
                generator: torch.Generator | None) -> Tensor:
        """λ·mean over samples of (‖∇ₓD(x̃_i)‖ − 1)²."""
        grad = _input_gradients(D, self.perturb(x_real, generator), create_graph=True)
        return self.weight * (grad.flatten(1).norm(dim=1) - 1.0).square().mean()


class R1(LipschitzMethod):
    """``r1``: (γ/2)·E_real ‖∇ₓD(x)‖² (Mescheder et al. 2018)."""

    name = "r1"
    on_real = True

    def __init__(self, weight: float = 10.0):
        self.weight = float(weight)
        where = "x_real" if self.on_real else "x_fake"
        self.description = f"({self.weight:g}/2)·E ‖∇D({where})‖²"

    def penalty(self, D: nn.Module, x_real: Tensor, x_fake: Tensor,
                generator: torch.Generator | None) -> Tensor:
        """(γ/2)·mean over samples of ‖∇ₓD(x_i)‖² on the real (r1) or fake (r2) batch."""
        grad = _input_gradients(D, x_real if self.on_real else x_fake, create_graph=True)
        return 0.5 * self.weight * _per_sample_sq_norms(grad).mean()


class R2(R1):
    """``r2``: (γ/2)·E_fake ‖∇ₓD(x)‖²."""

    name = "r2"
    on_real = False


class SpectralNorm(LipschitzMethod):
    """``sn``: spectral normalisation W/σ(W) of every D weight layer, one power iteration per training forward.

    Attaching does not consume the global torch RNG: u, v start from a local generator (seed ``SN_INIT_SEED``)
    and ``SN_INIT_ITERATIONS`` power iterations, so a run with the same event schedule is reproducible. Detaching
    restores the raw (unnormalised) weights, bit-exactly, as the very same Parameter objects.
    """

    name = "sn"
    description = "spectral normalisation of every D weight (1 power iteration per training forward)"

    def attach(self, D: nn.Module) -> None:
        """Register spectral norm on every weight layer that does not have it yet."""
        gen = torch.Generator(device="cpu").manual_seed(SN_INIT_SEED)
        for layer in weight_layers(D):
            if parametrize.is_parametrized(layer, "weight"):
                continue
            w = layer.weight
            devices = [w.device.index or 0] if w.device.type != "cpu" else []
            with torch.random.fork_rng(devices=devices, device_type=w.device.type if devices else None):
                spectral_norm(layer, "weight", n_power_iterations=1)
            self._init_vectors(layer, gen)

    @staticmethod
    def _init_vectors(layer: nn.Module, gen: torch.Generator) -> None:
        """Deterministic u, v (from ``gen``) followed by a few power iterations, as torch does on registration."""
        sn = layer.parametrizations.weight[0]
        original = layer.parametrizations.weight.original
        with torch.no_grad():
            w = original.movedim(sn.dim, 0).flatten(1) if original.dim() > 1 else original
            u = torch.randn(sn._u.shape, generator=gen, dtype=sn._u.dtype).to(sn._u.device)
            v = torch.randn(sn._v.shape, generator=gen, dtype=sn._v.dtype).to(sn._v.device)
            u = u / u.norm().clamp_min(sn.eps)
            v = v / v.norm().clamp_min(sn.eps)
            for _ in range(SN_INIT_ITERATIONS):
                v = torch.mv(w.t(), u)
                v = v / v.norm().clamp_min(sn.eps)
                u = torch.mv(w, v)
                u = u / u.norm().clamp_min(sn.eps)
            sn._u.copy_(u)
            sn._v.copy_(v)

    def detach(self, D: nn.Module) -> None:
        """Remove spectral norm from every weight layer, putting the raw weight Parameter back."""
        for layer in weight_layers(D):
            if parametrize.is_parametrized(layer, "weight"):
                parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)


def _make_gp(cfg) -> LipschitzMethod:
    return GradientPenalty(cfg.weight, cfg.one_sided)


METHODS = {
    "none": lambda cfg: NoConstraint(),
    "clip": lambda cfg: Clip(cfg.clip),
    "gp": _make_gp,
    "r1": lambda cfg: R1(cfg.weight),
    "r2": lambda cfg: R2(cfg.weight),
    "sn": lambda cfg: SpectralNorm(),
    "dragan": lambda cfg: Dragan(cfg.weight),
}


def make_method(cfg_lipschitz) -> LipschitzMethod:
    """A fresh LipschitzMethod for a LipschitzConfig (name, clip, weight, one_sided)."""
    try:
        factory = METHODS[cfg_lipschitz.name]
    except KeyError:
        raise ConfigError(f"lipschitz.name: unknown value {cfg_lipschitz.name!r}; "
                          f"allowed: {', '.join(METHODS)}") from None
    return factory(cfg_lipschitz)
