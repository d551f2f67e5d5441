"""Remedies for mode collapse, switchable between any two training steps (like a Lipschitz method).

========================  ===========================================================================================
name                      what it does (paper; defaults)
========================  ===========================================================================================
none                      nothing
minibatch_discrimination  ``attach``: a layer before D's last linear layer. Penultimate features f ∈ R^A (per sample
                          i) → M_i = f_i·T ∈ R^{B×C} with a learned T ∈ R^{A×B×C};
                          c_b(x_i, x_j) = exp(−‖M_{i,b} − M_{j,b}‖_{L1}); o(x_i)_b = Σ_j c_b(x_i, x_j) (j over the
                          whole minibatch, j = i included, as the paper writes it); [f, o] goes to the head.
                          Salimans et al. 2016, "Improved techniques for training GANs", §3.2. Defaults
                          B = ``remedy.kernels`` = 5, C = ``remedy.kernel_dims`` = 3 (see below)
minibatch_stddev          ``attach``: a layer before D's last linear layer appending one feature: split the
                          minibatch into groups of G = ``remedy.group`` = 4 samples, the std of every feature over
                          its group (ddof = 0, √(var + 1e−8)), averaged over the features. Karras et al. 2018,
                          "Progressive growing of GANs", §3 and ``minibatch_stddev_layer`` of their code
packing                   ``pack``: D sees m = ``remedy.pack`` = 2 samples concatenated; real packs and fake packs.
                          ``needs_new_d``: D's first layer takes m·dim inputs, so the engine builds a new D for
                          ``d_data_shape(data_shape)``. Lin et al. 2018, "PacGAN"; m = 2 is their smallest packing
                          and the one they recommend as cheap
unrolled                  ``unrolled_d``: G's loss uses D after k = ``remedy.unroll`` = 5 further D updates from the
                          current D (and the current D optimizer state), differentiated through the updates (the
                          paper's full, second-order version). Metz et al. 2016, "Unrolled GANs" (surrogate loss
                          f_K); k = 5 as in their reference notebook (poolio/unrolled_gan) for the 2D mixture
instance_noise            ``d_inputs``: x + N(0, σ_t² I) on every D input (real and fake, D and G steps),
                          σ_t = σ₀·max(0, 1 − t/T), t counted from the step it was switched on; σ₀ =
                          ``remedy.noise`` × data scale = 0.1 × scale, T = ``remedy.anneal_steps`` = 2,000.
                          Sønderby et al. 2016, "Amortised MAP inference for image super-resolution" (instance
                          noise); Arjovsky & Bottou 2017, "Towards principled methods…" (noise on D's inputs)
========================  ===========================================================================================

Defaults for toy data (not from the papers, which train on MNIST / CIFAR-10 scale nets; reasons stated):

- Minibatch discrimination: the reference code (openai/improved-gan, ``nn.MinibatchLayer``) uses B = 100 kernels of
  C = 5 dims on 500–1000-unit features. Our toy D has 128-unit features on 2D points; B = 5, C = 3 adds 5 features
  (4 % of the head's input) and a 128×5×3 tensor, enough to see "how many batch-mates are near me in 5 projections",
  small enough not to swamp the head. T starts as N(0, 0.05²) (the reference code's init, without its weight
  normalisation and data-dependent init). Unlike the paper, the reference code excludes j = i (adds 1e6 to the
  diagonal distance) and adds a learned bias b (init −1): both shift o by a constant, which the head's bias absorbs.
- Instance noise: σ₀ = 0.1 × data scale (the data set's overall std, passed by the engine as ``data_scale``) is
  large against a ring8 / grid25 mode (std 0.02 / 0.05, so real and fake supports overlap near every mode, which is
  what the noise is for: Arjovsky & Bottou's disjoint-support argument) but below half the distance between modes
  (≈ 1.53 on ring8, 2 on grid25), so modes stay apart. T = 2,000 steps: toy runs last 5–20k steps, so the noise is
  gone after the first tenth to half of a run and the end of training sees the plain objective.

How a layer is put into D (minibatch discrimination and stddev): D's *head* is its last linear layer, ``D.net[-1]``
for ``nets.mlp.MLPDiscriminator`` (after the last hidden activation) and ``D.head`` for ``nets.conv.
ConvDiscriminator`` (after flattening). ``attach`` replaces that slot by ``AugmentedHead(stat, head, extra)`` with
``forward(f) = head(f) + extra(stat(f))``: the *same* head module (same Parameters, optimizer state kept) plus a new
bias-free ``extra = Linear(k, 1)`` whose weight starts at **zero**. That is exactly a head of input width A + k on
[f, stat(f)] with weight [W_head, W_extra] (``AugmentedHead.widened_weight``), and D's outputs are unchanged at the
moment of attaching, so a switch mid-run does not jolt D. ``detach`` puts the original head module back (D's
forward and parameters are then exactly what they were before attaching; the learned T and W_extra are dropped).
The new Parameters are ``Remedy.parameters()``: the engine adds them to D's optimizer (``add_to_optimizer``) after
``attach`` and removes them (``remove_from_optimizer``) before ``detach``. ``weight_layers(D)`` keeps the old layers
at their indices and lists ``extra`` last.

Batch dependence: with these two layers (and packing) D's score of a sample depends on the other samples in the
batch it is scored with; a picture of D on a grid shows D scored with the grid as the batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor, nn
from torch.func import functional_call

from gan_studio.config import ConfigError

MBD_INIT_SEED = 0  # seed of the local generator that draws T on attach (attaching never consumes the global RNG)
MBD_INIT_STD = 0.05  # T ~ N(0, 0.05²), the reference code's init
MBD_CHUNK = 1024  # rows of the pairwise L1 distances at a time: B·1024·n floats (a 128² probe grid: 335 MB at B = 5)
STDDEV_EPS = 1e-8  # inside the square root, as Karras et al.'s code

REMEDIES = {  # name → one-line description (config CHOICES["remedy.name"] and the GUI's list)
    "none": "no remedy",
    "minibatch_discrimination": "D sees, per sample, how close its batch-mates are (Salimans et al. 2016)",
    "minibatch_stddev": "D sees the batch's feature spread as one extra feature (Karras et al. 2018)",
    "packing": "D scores packs of m samples, real packs against fake packs (PacGAN); needs a new D",
    "unrolled": "G's loss uses D after k look-ahead D updates, differentiated through (Metz et al. 2016)",
    "instance_noise": "Gaussian noise on D's inputs, σ annealed to 0 (Sønderby et al. 2016)",
}

PARAMS = {  # config key (without "remedy.") → (default, why, lowest allowed)
    "kernels": (5, "minibatch discrimination: B kernels (features added to D's head)", 1),
    "kernel_dims": (3, "minibatch discrimination: C dims per kernel", 1),
    "group": (4, "minibatch stddev: group size G (Karras et al.: 4)", 1),
    "pack": (2, "packing: m samples per pack (PacGAN: 2 is the cheap choice)", 2),
    "unroll": (5, "unrolled: k look-ahead D updates (Metz et al.'s notebook: 5)", 0),
    "noise": (0.1, "instance noise: σ₀ as a multiple of the data scale", 0.0),
    "anneal_steps": (2000, "instance noise: steps over which σ falls linearly to 0", 1),
}


# ------------------------------------------------------------------------------------------ optimizer helpers
def add_to_optimizer(optimizer: torch.optim.Optimizer, params: Sequence[nn.Parameter]) -> None:
    """Add ``params`` as a new group with the hyperparameters of the first group *now* (a live ``optim.lr_d``
    change has updated the groups, not ``optimizer.defaults``)."""
    if not params:
        return
    group = {key: value for key, value in optimizer.param_groups[0].items() if key != "params"}
    group["params"] = list(params)
    optimizer.add_param_group(group)


def remove_from_optimizer(optimizer: torch.optim.Optimizer, params: Sequence[nn.Parameter]) -> None:
    """Remove ``params`` (and their state) from ``optimizer``; groups left empty are dropped."""
    ids = {id(p) for p in params}
    for group in optimizer.param_groups:
        group["params"] = [p for p in group["params"] if id(p) not in ids]
    optimizer.param_groups[:] = [group for group in optimizer.param_groups if group["params"]]
    for p in params:
        optimizer.state.pop(p, None)


# ------------------------------------------------------------------------------------------------- layers
class MinibatchDiscrimination(nn.Module):
    """o(f): (n, A) → (n, B), o_{i,b} = Σ_j exp(−‖M_{i,b} − M_{j,b}‖₁), M_i = f_i·T reshaped to (B, C)."""

    def __init__(self, in_features: int, kernels: int, kernel_dims: int, generator: torch.Generator | None = None):
        super().__init__()
        self.kernels, self.kernel_dims = int(kernels), int(kernel_dims)
        self.T = nn.Parameter(MBD_INIT_STD * torch.randn(in_features, self.kernels, self.kernel_dims,
                                                         generator=generator))

    @property
    def out_features(self) -> int:
        return self.kernels

    def forward(self, f: Tensor) -> Tensor:
        """The B minibatch features of every sample (j runs over the whole batch, j = i included)."""
        n = f.shape[0]
        M = (f @ self.T.flatten(1)).reshape(n, self.kernels, self.kernel_dims).transpose(0, 1)  # (B, n, C)
        rows = []
        for start in range(0, n, MBD_CHUNK):  # pairwise L1 distances a block of rows at a time
            distance = torch.cdist(M[:, start:start + MBD_CHUNK], M, p=1.0)  # (B, rows, n)
            rows.append(torch.exp(-distance).sum(-1))
        return torch.cat(rows, dim=1).t()


def stddev_group(n: int, group: int) -> int:
    """The group size used for a batch of n: the largest divisor of n that is ≤ ``group`` (Karras et al. require
    n divisible by G, or n < G; a divisor keeps odd probe batches working)."""
    return max(g for g in range(1, min(group, n) + 1) if n % g == 0)


class MinibatchStddev(nn.Module):
    """s(f): (n, A) → (n, 1). Groups as Karras et al.'s code: f reshaped to (G, n/G, A), so sample i is in group
    i mod (n/G); per group, √(mean over the group of (f − group mean)² + 1e−8) (ddof = 0), averaged over A."""

    out_features = 1

    def __init__(self, group: int):
        super().__init__()
        self.group = int(group)

    def forward(self, f: Tensor) -> Tensor:
        """One feature per sample: its group's mean feature std."""
        n = f.shape[0]
        g = stddev_group(n, self.group)
        y = f.reshape(g, n // g, -1)
        y = y - y.mean(dim=0, keepdim=True)
        std = torch.sqrt(y.square().mean(dim=0) + STDDEV_EPS)  # (n/G, A)
        return std.mean(dim=1).repeat(g).unsqueeze(1)  # sample g·(n/G) + m gets group m's value


class AugmentedHead(nn.Module):
    """``head(f) + extra(stat(f))``: D's head on [f, stat(f)] with weight [W_head, W_extra] and head's bias."""

    def __init__(self, stat: nn.Module, head: nn.Linear):
        super().__init__()
        self.stat = stat
        self.head = head
        weight = head.weight
        self.extra = nn.Linear(stat.out_features, head.out_features, bias=False,
                               device=weight.device, dtype=weight.dtype)
        nn.init.zeros_(self.extra.weight)  # D's outputs unchanged at the moment of attaching

    def forward(self, f: Tensor) -> Tensor:
        """The head's output on the widened features."""
        return self.head(f) + self.extra(self.stat(f))

    def widened_weight(self) -> Tensor:
        """[W_head, W_extra], shape (out, A + k): the single widened layer this module equals."""
        return torch.cat([self.head.weight, self.extra.weight], dim=1)


def head_slot(D: nn.Module) -> tuple[nn.Module, str]:
    """(parent, attribute) of D's last linear layer: ``D.net[-1]`` for the MLP, ``D.head`` for the conv net."""
    net = getattr(D, "net", None)
    if isinstance(net, nn.Sequential) and isinstance(net[-1], (nn.Linear, AugmentedHead)):
        return net, str(len(net) - 1)
    if isinstance(getattr(D, "head", None), (nn.Linear, AugmentedHead)):
        return D, "head"
    raise ConfigError(f"remedy.name: a minibatch layer needs a D whose last layer is a Linear head "
                      f"(the MLP or conv score D); {type(D).__name__} has none")


class FunctionalD(nn.Module):
    """D evaluated with other parameter values: ``forward(x) = functional_call(D, params, x)`` (D's buffers)."""

    def __init__(self, D: nn.Module, params: dict[str, Tensor]):
        super().__init__()
        self.D = D
        self.params = params  # a plain dict: not registered, so this view has D's parameters only

    def forward(self, x: Tensor) -> Tensor:
        """D's output with ``params`` in place of D's parameters."""
        return functional_call(self.D, self.params, (x,))


class PackedView(nn.Module):
    """A packed D seen as a function of one sample: each x is packed with m − 1 copies of itself (for pictures of D
    on a grid; the papers define D on packs only)."""

    def __init__(self, D: nn.Module, m: int):
        super().__init__()
        self.D = D
        self.m = int(m)

    def forward(self, x: Tensor) -> Tensor:
        """D(pack(x, x, …, x)) per sample."""
        return self.D(pack_samples(x.repeat_interleave(self.m, dim=0), self.m))


def pack_samples(x: Tensor, m: int) -> Tensor:
    """(n, s₀, *rest) → (n/m, m·s₀, *rest): pack j = [x_{jm}, …, x_{jm+m−1}] concatenated along the first data
    axis (points: coordinates, images: channels, as PacGAN)."""
    n = x.shape[0]
    if n % m:
        raise ValueError(f"packing: a batch of {n} samples does not split into packs of {m}")
    return x.reshape(n // m, m * x.shape[1], *x.shape[2:])


# ------------------------------------------------------------------------------------------------ remedies
class Remedy:
    """Base class and the ``none`` remedy: every hook is the identity or does nothing."""

    name = "none"
    description = REMEDIES["none"]
    needs_new_d = False  # True: D must be built for ``d_data_shape`` (a switch rebuilds D and its optimizer)

    def attach(self, D: nn.Module, step: int = 0) -> None:
        """Called when the remedy becomes active on D (between steps; ``step`` = completed steps)."""

    def detach(self, D: nn.Module) -> None:
        """Called when the remedy is switched off (between steps)."""

    def parameters(self) -> list[nn.Parameter]:
        """Parameters the remedy added to D (for D's optimizer); empty unless attached with a layer."""
        return []

    def d_data_shape(self, data_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The input shape D is built for."""
        return tuple(data_shape)

    def d_inputs(self, x: Tensor, step: int, generator: torch.Generator | None = None) -> Tensor:
        """What D sees of a batch x at ``step`` (completed steps); drawn with ``generator``."""
        return x

    def pack(self, x: Tensor) -> Tensor:
        """A batch of samples as D's input batch."""
        return x

    def unrolled_d(self, D: nn.Module, d_loss_fn: Callable[[nn.Module, object], Tensor], batches: Sequence,
                   k: int | None = None, optimizer: torch.optim.Optimizer | None = None) -> nn.Module:
        """The D that G's loss uses: D itself."""
        return D

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description})"


class _HeadLayerRemedy(Remedy):
    """A remedy that puts a statistics layer before D's head (see the module docstring)."""

    def __init__(self):
        self._head: AugmentedHead | None = None

    def _make_stat(self, in_features: int, head: nn.Linear) -> nn.Module:
        raise NotImplementedError

    def attach(self, D: nn.Module, step: int = 0) -> None:
        """Wrap D's head in an ``AugmentedHead`` (zero extra weights: D's outputs unchanged)."""
        parent, attr = head_slot(D)
        head = getattr(parent, attr)
        if isinstance(head, AugmentedHead):
            raise ConfigError("remedy.name: D already has a minibatch layer; detach the active remedy first")
        stat = self._make_stat(head.in_features, head)
        self._head = AugmentedHead(stat, head)
        setattr(parent, attr, self._head)

    def detach(self, D: nn.Module) -> None:
        """Put D's original head module back."""
        if self._head is None:
            return
        parent, attr = head_slot(D)
        if getattr(parent, attr) is self._head:
            setattr(parent, attr, self._head.head)
        self._head = None

    def parameters(self) -> list[nn.Parameter]:
        """The stat layer's parameters (T, if any) and W_extra."""
        if self._head is None:
            return []
        return [*self._head.stat.parameters(), *self._head.extra.parameters()]


class MinibatchDiscriminationRemedy(_HeadLayerRemedy):
    """``minibatch_discrimination``: [f, o(f)] into D's head (Salimans et al. 2016, §3.2)."""

    name = "minibatch_discrimination"

    def __init__(self, kernels: int = 5, kernel_dims: int = 3):
        super().__init__()
        self.kernels, self.kernel_dims = int(kernels), int(kernel_dims)
        self.description = f"{REMEDIES[self.name]}; B = {self.kernels}, C = {self.kernel_dims}"

    def _make_stat(self, in_features: int, head: nn.Linear) -> nn.Module:
        gen = torch.Generator(device="cpu").manual_seed(MBD_INIT_SEED)
        layer = MinibatchDiscrimination(in_features, self.kernels, self.kernel_dims, generator=gen)
        return layer.to(device=head.weight.device, dtype=head.weight.dtype)


class MinibatchStddevRemedy(_HeadLayerRemedy):
    """``minibatch_stddev``: [f, s(f)] into D's head (Karras et al. 2018, §3)."""

    name = "minibatch_stddev"

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = int(group)
        self.description = f"{REMEDIES[self.name]}; G = {self.group}"

    def _make_stat(self, in_features: int, head: nn.Linear) -> nn.Module:
        return MinibatchStddev(self.group)


class Packing(Remedy):
    """``packing``: D scores packs of m samples (Lin et al. 2018); D must be built for m·dim inputs."""

    name = "packing"
    needs_new_d = True

    def __init__(self, pack: int = 2):
        self.m = int(pack)
        self.description = f"{REMEDIES[self.name]}; m = {self.m}"

    def d_data_shape(self, data_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(m·s₀, *rest): points (m·dim,), images (m·C, H, W)."""
        return (self.m * data_shape[0], *data_shape[1:])

    def pack(self, x: Tensor) -> Tensor:
        """n samples → n/m packs of m consecutive samples (``pack_samples``)."""
        return pack_samples(x, self.m)

    def single_view(self, D: nn.Module) -> nn.Module:
        """D as a function of one sample (packed with copies of itself), for pictures of D."""
        return PackedView(D, self.m)


class InstanceNoise(Remedy):
    """``instance_noise``: x + σ_t·ε on D's inputs, σ_t = σ₀·max(0, 1 − (t − t₀)/T), t₀ = the step of ``attach``."""

    name = "instance_noise"

    def __init__(self, noise: float = 0.1, anneal_steps: int = 2000, data_scale: float = 1.0):
        self.sigma0 = float(noise) * float(data_scale)
        self.anneal_steps = int(anneal_steps)
        self.start_step = 0
        self.description = f"{REMEDIES[self.name]}; σ₀ = {self.sigma0:g}, T = {self.anneal_steps}"

    def attach(self, D: nn.Module, step: int = 0) -> None:
        """Start the annealing at ``step``."""
        self.start_step = int(step)

    def sigma(self, step: int) -> float:
        """σ at ``step``: σ₀ when switched on, falling linearly to 0 after ``anneal_steps`` steps."""
        return self.sigma0 * max(0.0, 1.0 - (step - self.start_step) / self.anneal_steps)

    def d_inputs(self, x: Tensor, step: int, generator: torch.Generator | None = None) -> Tensor:
        """x + N(0, σ²) per element, the noise drawn on the generator's device and moved to x's."""
        sigma = self.sigma(step)
        if sigma == 0.0:
            return x
        gen_device = generator.device if generator is not None else torch.device("cpu")
        noise = torch.randn(x.shape, generator=generator, device=gen_device, dtype=x.dtype).to(x.device)
        return x + sigma * noise


class Unrolled(Remedy):
    """``unrolled``: G's loss on D after k D updates (Metz et al. 2016), through the updates when ``second_order``.

    The updates follow D's optimizer: its class (SGD without momentum, Adam, RMSprop), its group's hyperparameters
    and its current state (Adam's moments and step count, RMSprop's square average), as the reference code's
    ``graph_replace`` of the Keras Adam updates does; without an optimizer, plain SGD with ``lr``.
    """

    name = "unrolled"

    def __init__(self, unroll: int = 5, second_order: bool = True, lr: float = 1e-3):
        self.k = int(unroll)
        self.second_order = bool(second_order)
        self.lr = float(lr)  # only without an optimizer
        order = "through the updates" if self.second_order else "without second-order terms"
        self.description = f"{REMEDIES[self.name]}; k = {self.k}, {order}"

    def unrolled_d(self, D: nn.Module, d_loss_fn: Callable[[nn.Module, object], Tensor], batches: Sequence,
                   k: int | None = None, optimizer: torch.optim.Optimizer | None = None) -> nn.Module:
        """D after k updates on ``d_loss_fn(D_view, batches[i % len(batches)])``, as a ``FunctionalD``.

        ``d_loss_fn(view, batch)`` must score the batch with ``view`` (a callable D). For the paper's gradient,
        the fake part of each batch must carry G's graph (not detached). Starting values are detached copies of
        D's parameters: G's backward reaches G only (D's own ``.grad`` is untouched).
        """
        k = self.k if k is None else int(k)
        if k == 0:
            return D
        if not batches:
            raise ValueError("unrolled: no batch to unroll on")
        names = [name for name, _ in D.named_parameters()]
        originals = [p for _, p in D.named_parameters()]
        current = [p.detach().clone().requires_grad_(True) for p in originals]
        rule = _UpdateRule(optimizer, originals, self.lr)
        with torch.enable_grad():
            for i in range(k):
                view = FunctionalD(D, dict(zip(names, current, strict=True)))
                loss = d_loss_fn(view, batches[i % len(batches)])
                grads = torch.autograd.grad(loss, current, create_graph=self.second_order, allow_unused=True)
                grads = [torch.zeros_like(p) if g is None else g for p, g in zip(current, grads, strict=True)]
                current = rule.step(current, grads)
                if not self.second_order:
                    current = [p.detach().requires_grad_(True) for p in current]
        return FunctionalD(D, dict(zip(names, current, strict=True)))


class _UpdateRule:
    """Functional (graph-keeping) copies of torch's SGD, Adam and RMSprop updates, from an optimizer's state."""

    def __init__(self, optimizer: torch.optim.Optimizer | None, params: list[nn.Parameter], lr: float):
        self.kind = "sgd" if optimizer is None else type(optimizer).__name__.lower()
        if self.kind not in ("sgd", "adam", "rmsprop"):
            raise ConfigError(f"remedy.name: unrolled supports SGD, Adam and RMSprop; D's optimizer is "
                              f"{type(optimizer).__name__}")
        self.hyper, self.state = [], []
        for p in params:
            group = _group_of(optimizer, p) if optimizer is not None else {"lr": lr, "momentum": 0.0}
            self._check(group)
            self.hyper.append(group)
            state = optimizer.state.get(p, {}) if optimizer is not None else {}
            self.state.append(self._initial(state, p))

    def _check(self, group: Mapping) -> None:
        unsupported = [key for key in ("momentum", "weight_decay") if group.get(key, 0.0)]
        unsupported += [key for key in ("amsgrad", "centered", "nesterov", "maximize") if group.get(key, False)]
        if unsupported:
            raise ConfigError(f"remedy.name: unrolled does not unroll {self.kind} with {', '.join(unsupported)}")

    def _initial(self, state: Mapping, p: Tensor) -> dict:
        zeros = torch.zeros_like(p)
        if self.kind == "adam":
            step = float(state["step"]) if "step" in state else 0.0
            return {"step": step, "exp_avg": state.get("exp_avg", zeros).detach().clone(),
                    "exp_avg_sq": state.get("exp_avg_sq", zeros).detach().clone()}
        if self.kind == "rmsprop":
            return {"square_avg": state.get("square_avg", zeros).detach().clone()}
        return {}

    def step(self, params: list[Tensor], grads: list[Tensor]) -> list[Tensor]:
        """The parameters after one update (new tensors; the state advances)."""
        out = []
        for p, g, group, state in zip(params, grads, self.hyper, self.state, strict=True):
            lr = float(group["lr"])
            if self.kind == "sgd":
                out.append(p - lr * g)
            elif self.kind == "adam":
                beta1, beta2 = group["betas"]
                state["step"] += 1.0
                state["exp_avg"] = beta1 * state["exp_avg"] + (1.0 - beta1) * g
                state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
                correction1 = 1.0 - beta1 ** state["step"]
                correction2 = 1.0 - beta2 ** state["step"]
                denom = _safe_sqrt(state["exp_avg_sq"]) / math.sqrt(correction2) + group["eps"]
                out.append(p - (lr / correction1) * state["exp_avg"] / denom)
            else:
                alpha = group["alpha"]
                state["square_avg"] = alpha * state["square_avg"] + (1.0 - alpha) * g * g
                out.append(p - lr * g / (_safe_sqrt(state["square_avg"]) + group["eps"]))
        return out


def _safe_sqrt(v: Tensor) -> Tensor:
    """√v with a finite derivative at v = 0 (where the moment is 0 the update is 0 anyway): √max(v, tiny)."""
    return torch.sqrt(v.clamp_min(torch.finfo(v.dtype).tiny))


def _group_of(optimizer: torch.optim.Optimizer, p: Tensor) -> dict:
    for group in optimizer.param_groups:
        if any(q is p for q in group["params"]):
            return group
    raise ValueError("unrolled: a parameter of D is not in D's optimizer")


# ----------------------------------------------------------------------------------------------- factory
def _param(params: Mapping, key: str, kind: type):
    default, _, lowest = PARAMS[key]
    value = params.get(key, default)
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"remedy.{key}: {value!r} is not a {kind.__name__}") from None
    if value < lowest:
        raise ConfigError(f"remedy.{key}: {value!r} is out of range; it must be ≥ {lowest}")
    return value


def make_remedy(name: str, params: Mapping | None = None, data_scale: float = 1.0,
                lr_d: float = 1e-3) -> Remedy:
    """A fresh Remedy. ``params``: the ``remedy.*`` values by short name (``kernels``, ``kernel_dims``, ``group``,
    ``pack``, ``unroll``, ``noise``, ``anneal_steps``, ``second_order``); those of other remedies are ignored.
    ``data_scale``: the data set's overall std (instance noise's σ₀ = noise × data_scale); ``lr_d``: the unrolled
    SGD step when no optimizer is passed to ``unrolled_d``."""
    params = {} if params is None else params
    if name == "none":
        return Remedy()
    if name == "minibatch_discrimination":
        return MinibatchDiscriminationRemedy(_param(params, "kernels", int), _param(params, "kernel_dims", int))
    if name == "minibatch_stddev":
        return MinibatchStddevRemedy(_param(params, "group", int))
    if name == "packing":
        return Packing(_param(params, "pack", int))
    if name == "unrolled":
        return Unrolled(_param(params, "unroll", int), bool(params.get("second_order", True)), lr_d)
    if name == "instance_noise":
        if not data_scale > 0:
            raise ConfigError(f"remedy.noise: the data scale {data_scale!r} must be > 0")
        return InstanceNoise(_param(params, "noise", float), _param(params, "anneal_steps", int), data_scale)
    raise ConfigError(f"remedy.name: unknown value {name!r}; allowed: {', '.join(REMEDIES)}")
