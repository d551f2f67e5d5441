"""The training engine: nets, optimizers, RNGs, the active objective and Lipschitz method, and commands.

A *step* is one round of ``train.d_steps`` D updates followed by ``train.g_steps`` G updates.
Commands (``Trainer.apply``) change things *between* steps and are recorded as events
``{step, what, old, new}``, where ``step`` is the number of completed steps when the command ran,
so ``gan-studio run --at 100 loss.name=wgan`` replays a GUI switch made after step 100.

D is built for the objective's ``head`` (``nets.build_discriminator``): a score (the MLP / conv nets), a feature
vector, an autoencoder, or none (GMMN: no D, no D optimizer, no D updates). A ``loss.name`` switch between
objectives with the same head is live (D, its optimizer and the Lipschitz method are kept); a switch to another
head keeps G and builds a fresh D of that head, its optimizer and the active Lipschitz method attached to it, with
its initial weights from a seed fixed by (train.seed, step), so a replay from the command line builds the same D.

A remedy for mode collapse (``remedies``, ``remedy.name``) is switched like a Lipschitz method: D steps score
``pack(d_inputs(x))`` of every batch (the penalty on those same inputs), G steps too, with G's loss on
``unrolled_d(D, ...)``; a layer the remedy puts into D is attached with the Lipschitz method detached around it and
its parameters join D's optimizer. Packing needs a D of another input width: a switch to or from it keeps G and
builds a fresh D as a cross-head switch does. Samples shown and measured are always G(z) (instance noise is on D's
inputs only), and measurement sees D through a batch-independent view (``measured_d``).

Randomness: one seed drives everything. Initialisation uses ``torch.manual_seed(seed)``; data,
latent draws and penalty interpolation use ``self.rng`` (a CPU ``torch.Generator``; with ``train.rng = device``
one on the training device, data from ``self.data_rng`` on the CPU); measurement uses
its own generator seeded from (seed, step), so measuring more or less often never changes training.

Non-finite values (issue 15): nothing is read back from the device between logged steps. Each update's loss is
watched on the device and the state after each step kept there while all losses were finite (``finite``); a
logged step, a command and the end of a run read them once and stop with ``NonFiniteError`` naming the quantity
and the step it first went non-finite at, the weights of the step before it put back.
This module never imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import torch
from torch import nn

from gan_studio import config as C
from gan_studio.config import Config, ConfigError
from gan_studio.data import get_dataset
from gan_studio.finite import KeptStates, LossWatch
from gan_studio.lipschitz import ScoreView, make_method
from gan_studio.measure.measurer import Measurer
from gan_studio.nets import build_discriminator, build_generator, sample_latent, weight_layers
from gan_studio.nets.conditional import (
    check_conditional,
    conditional_discriminator,
    conditional_generator,
    labelled,
)
from gan_studio.nets.fixed import BANK as FIXED_G_BANK
from gan_studio.nets.fixed import build_data_noise_generator
from gan_studio.objectives import get_objective
from gan_studio.objectives.base import Objective, Out, Reconstruction, State
from gan_studio.objectives.energy import ENERGY
from gan_studio.objectives.vae import ReconstructionEnergy
from gan_studio.packed import compact_copy, packed_copy, tensors_in
from gan_studio.presets import start_weights
from gan_studio.remedies import (
    PARAMS,
    AugmentedHead,
    Packing,
    Remedy,
    add_to_optimizer,
    head_slot,
    make_remedy,
    remove_from_optimizer,
)
from gan_studio.schedule import ACTIONS, LIVE_KEYS, check_data_change


class NonFiniteError(ValueError):
    """Training produced a NaN or Inf; the message names the quantity and the step."""




def check_lipschitz(objective: Objective, method: str) -> None:
    """ConfigError unless the Lipschitz ``method`` applies to ``objective`` (the pair is refused, not run)."""
    if method not in objective.lipschitz:
        raise ConfigError(f"lipschitz.name: {method} does not apply to loss.name {objective.name}; allowed with "
                          f"it: {', '.join(objective.lipschitz)}")


def check_remedy(objective: Objective, name: str) -> None:
    """ConfigError unless the remedy ``name`` applies to ``objective``: every remedy acts on D, so GMMN (no D)
    takes none; the minibatch layers go before a score D's last linear layer."""
    if name == "none":
        return
    if objective.head in ("none", "encoder"):  # GMMN; the VAE / autoencoder (D's slot holds an encoder)
        raise ConfigError(f"remedy.name: {name} needs a D; loss.name {objective.name} has none (allowed: none)")
    if name in ("minibatch_discrimination", "minibatch_stddev") and objective.head != "score":
        raise ConfigError(f"remedy.name: {name} needs a score D (its last linear layer); loss.name "
                          f"{objective.name} has a {objective.head} D")


def check_joint(objective: Objective, cfg_model: C.ModelConfig) -> None:
    """ConfigError unless an objective without a game (the VAE, the autoencoder: ``joint_loss``) fits the model:
    its prior is N(0, I), so ``model.latent`` must be gaussian, and its decoder takes no class label."""
    if objective.joint_loss is None:
        return
    if cfg_model.latent != "gaussian":
        raise ConfigError(f"loss.name: {objective.name} samples G(z) with z ~ N(0, I), its prior; model.latent is "
                          f"{cfg_model.latent} (allowed with it: gaussian)")
    if getattr(cfg_model, "conditional", False):
        raise ConfigError(f"loss.name: {objective.name} is not a conditional model; model.conditional must be false")


def check_remedy_lipschitz(remedy: str, lipschitz: str) -> None:
    """ConfigError for a minibatch layer under spectral norm (the layer's extra weight starts at zero, D unchanged
    when attached, and W/σ(W) of a zero W is 0/0: NaN at the first step), and for minibatch discrimination under a
    gradient penalty (no double backward through ``torch.cdist``)."""
    if lipschitz == "sn" and remedy in ("minibatch_discrimination", "minibatch_stddev"):
        raise ConfigError(f"remedy.name: {remedy} does not go with lipschitz.name sn (its extra weight starts at "
                          f"zero, whose spectral norm is 0/0); choose another Lipschitz method or remedy")
    if lipschitz in ("gp", "r1", "r2", "dragan") and remedy == "minibatch_discrimination":
        raise ConfigError(f"remedy.name: minibatch_discrimination does not go with lipschitz.name {lipschitz} (a "
                          f"gradient penalty needs the second derivative of torch.cdist, which torch lacks)")


def check_reuse_fake(objective: Objective, train: C.TrainConfig) -> None:
    """ConfigError for ``train.reuse_fake`` where there is not exactly one generated batch of one D update per
    step to hand to G's update (the PyTorch DCGAN example's shortcut is defined only there)."""
    if not train.reuse_fake:
        return
    if objective.joint_loss is not None or objective.head == "none":
        raise ConfigError(f"train.reuse_fake: loss {objective.name} has no D update whose generated batch G could "
                          f"reuse; set train.reuse_fake = false")
    if objective.fake_batches != 1:
        raise ConfigError(f"train.reuse_fake: loss {objective.name} draws {objective.fake_batches} generated batches "
                          f"per update; it needs an objective with one (or set train.reuse_fake = false)")
    if train.d_steps != 1:
        raise ConfigError(f"train.reuse_fake: needs train.d_steps = 1 (one D update whose batch G reuses), got "
                          f"{train.d_steps}; set train.d_steps = 1 or train.reuse_fake = false")


def run_command(what: str, value, cfg: Config, action: Callable[[str, object], tuple],
                set_key: Callable[[str, object], None]) -> tuple:
    """(old, new) of one command: an action from ACTIONS run by ``action(what, value)``, or a LIVE_KEYS key parsed
    and handed to ``set_key(key, new)`` (its old value read from ``cfg`` before); ConfigError for anything else,
    naming what is allowed (the dispatch ``Trainer.apply`` and ``ensemble.EnsembleTrainer.apply`` share)."""
    if what in ACTIONS:
        return action(what, value)
    if what in LIVE_KEYS:
        new = C.parse_value(what, value)
        old = C.get(cfg, what)
        set_key(what, new)
        return old, new
    if what in C.all_keys():
        C.parse_value(what, value)  # a bad value of a key that cannot change gets its own message
    raise ConfigError(f"'{what}' cannot change during a run; live changes: {', '.join(LIVE_KEYS)}; "
                      f"actions: {', '.join(ACTIONS)}; anything else needs a restart")


def remedy_params(cfg: Config) -> dict:
    """The ``remedy.*`` values by short name, as ``remedies.make_remedy`` takes them."""
    return {key: getattr(cfg.remedy, key) for key in (*PARAMS, "second_order")}


def head_layer(D: nn.Module) -> tuple[nn.Module, str, AugmentedHead] | None:
    """(parent, attribute, layer) of the minibatch layer a remedy put into D, or None."""
    try:
        parent, attr = head_slot(D)
    except ConfigError:
        return None
    layer = getattr(parent, attr)
    return (parent, attr, layer) if isinstance(layer, AugmentedHead) else None


@contextmanager
def bare_head(D: nn.Module) -> Iterator[nn.Module]:
    """D with a minibatch layer (``remedies.AugmentedHead``) set aside: its original head module in the slot, the
    layer kept and put back on exit. D is then exactly the net it was before the remedy attached."""
    found = head_layer(D)
    if found is None:
        yield D
        return
    parent, attr, augmented = found
    setattr(parent, attr, augmented.head)
    try:
        yield D
    finally:
        setattr(parent, attr, augmented)


class BareHeadView(nn.Module):
    """D drawn without its minibatch layer (``bare_head``): the head on the penultimate features alone.

    Why this view and not the statistic of a reference fake batch: a grid point then has one score, whatever the
    grid or batch it is drawn with, and no reference batch has to be chosen and kept; the price is that the
    learned extra term (zero when attached) is left out of the pictures and of the measured scores."""

    def __init__(self, D: nn.Module):
        super().__init__()
        self.D = D

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """D's output on x with the original head."""
        with bare_head(self.D):
            return self.D(x)


class _LazyBatch(Sequence):
    """One (real, fake…) batch for ``unrolled_d``, the real part drawn only when it is first read (so a remedy
    that does not unroll, or unrolls k = 0 steps, draws nothing and leaves the training RNG as it was)."""

    def __init__(self, make: Callable[[], tuple]):
        self._make = make
        self._batch: tuple | None = None

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> tuple:
        if index not in (0, -1):
            raise IndexError(index)
        if self._batch is None:
            self._batch = self._make()
        return self._batch


class _MeasuredTrainer:
    """The trainer as measurement reads it (``measure.measurer.MeasuredTrainer``): every field the trainer's own,
    except D, which is ``Trainer.measured_d()`` (batch-independent)."""

    def __init__(self, trainer: Trainer):
        self._trainer = trainer

    cfg = property(lambda self: self._trainer.cfg)
    dataset = property(lambda self: self._trainer.dataset)
    G = property(lambda self: self._trainer.G)
    D = property(lambda self: self._trainer.measured_d())
    objective = property(lambda self: self._trainer.objective)
    objective_state = property(lambda self: self._trainer.objective_state)
    device = property(lambda self: self._trainer.device)
    step_count = property(lambda self: self._trainer.step_count)
    header_d_layers = property(lambda self: self._trainer.header_d_layers)


def build_d(objective: Objective, cfg_model: C.ModelConfig, data_shape: tuple[int, ...],
            class_weights: torch.Tensor | None = None) -> torch.nn.Module:
    """A fresh D with the head ``objective`` needs (the autoencoder with the objective's reconstruction error);
    given ``class_weights`` (a conditional GAN), D(x, y) fed as ``model.conditioning`` says (nets.conditional)."""
    def build(shape: tuple[int, ...]) -> torch.nn.Module:
        return build_discriminator(cfg_model, shape, head=objective.head, energy=ENERGY.get(objective.name, "l2"))

    if class_weights is None:
        return build(data_shape)
    return conditional_discriminator(build, cfg_model, data_shape, class_weights, objective.head)


def detach_out(out: Out) -> Out:
    """D's outputs without their graph (a tensor, a ``Reconstruction`` or a pair of them)."""
    if isinstance(out, Reconstruction):
        return Reconstruction(out.energy.detach(), out.code.detach())
    if isinstance(out, tuple):
        return tuple(detach_out(o) for o in out)
    return out.detach()


D_SWITCH_SEED = 1_000_003  # a fresh D after a cross-head switch at step k is initialised from seed + this·(k + 1)
DATA_RNG_OFFSET = 7_919  # train.rng = device: the data generator's seed is train.seed + this
DATA_SCALE_SAMPLES = 10_000  # points (seeded by train.seed, own generator) for the data scale of instance noise


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA, then MPS, then CPU; a forced device that is not present is a ConfigError."""
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name == "cuda" and not cuda:
        raise ConfigError("train.device: cuda was requested but no CUDA device is available; use auto or cpu")
    if name == "mps" and not mps:
        raise ConfigError("train.device: mps was requested but no Apple GPU is available; use auto or cpu")
    C.parse_value("train.device", name)
    return torch.device(name)


def make_optimizer(optim: C.OptimConfig, params, lr: float) -> torch.optim.Optimizer:
    """The optimizer named in the config over ``params`` with learning rate ``lr``.

    ``foreach``: one operation over all parameters per step of the update rule instead of one per parameter (torch
    picks it by itself only on a GPU; the update was 17 % of an engine step on the bench setting's CPU profile). On
    a CPU it gives bit-identical weights (checked over 100 steps of Adam, RMSprop and SGD). ``optim.fused``: Adam's
    fused kernel instead (issue 15; see config.py)."""
    params = list(params)
    if not params:  # a net without parameters (the fixed G of nets.fixed): an empty group, so switches still work
        params = [{"params": []}]
    if optim.name == "adam":
        # optim.fused: torch's fused kernel where it has one (its weights differ from foreach's in the last bit)
        fused = optim.fused and all(p.device.type in ("cpu", "cuda") for p in params if isinstance(p, torch.Tensor))
        return torch.optim.Adam(params, lr=lr, betas=(optim.beta1, optim.beta2),
                                **({"fused": True} if fused else {"foreach": True}))
    if optim.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True)
    if optim.name == "sgd":
        return torch.optim.SGD(params, lr=lr, foreach=True)
    raise ConfigError(f"optim.name: unknown value {optim.name!r}; allowed: {', '.join(C.CHOICES['optim.name'])}")


def l2_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The L2 norm of several tensors together, scaled by their largest magnitude before squaring, so gradients
    of 1e30 give 1e30, not inf (``torch.linalg.vector_norm`` does not scale: float32 1e30 gives inf)."""
    if not tensors:
        return torch.full((), float("nan"))
    flat = torch.cat([t.detach().reshape(-1) for t in tensors])
    scale = flat.abs().amax().clamp_min(torch.finfo(flat.dtype).tiny)
    return scale * torch.linalg.vector_norm(flat / scale)


def layer_grad_norms(net: torch.nn.Module) -> list[torch.Tensor]:
    """L2 norm of each weight layer's parameter gradients (weight and bias together), as 0-d tensors."""
    return [l2_norm([p.grad for p in layer.parameters() if p.grad is not None]) for layer in weight_layers(net)]


def total_grad_norm(net: torch.nn.Module) -> torch.Tensor:
    """L2 norm of all of a net's parameter gradients (without overflow, see ``l2_norm``)."""
    return l2_norm([p.grad for p in net.parameters() if p.grad is not None])


def _extra_d_layer(key: str, n_layers: int) -> bool:
    """Whether ``key`` is a per-layer D column (grad_d_<i>, sigma_d_<i>) with i ≥ ``n_layers``."""
    for prefix in ("grad_d_", "sigma_d_"):
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            return int(key[len(prefix):]) >= n_layers
    return False


@dataclass(frozen=True)
class TrainerState:
    """Everything the next steps of a run depend on, taken between two steps (``Trainer.state``), as plain
    picklable values (tensors cloned): ``Trainer.restore`` of it makes the following steps, rows and frames
    byte-identical to those the run made after it was taken (tests/test_timeline.py).

    The structure of the nets is not stored but rebuilt from ``cfg`` (objective head, remedy, Lipschitz method),
    so a state taken before a switch restores after it: ``g``/``d`` are the nets' full ``state_dict`` (spectral
    norm's power-iteration vectors and a remedy's layer included); the optimizers' states are keyed by parameter
    name (``(names per group, state_dict)``), as a remedy's layer may sit in a group of its own."""

    step: int
    cfg: Config
    g: dict
    d: dict
    opt_g: tuple
    opt_d: tuple | None  # GMMN: no D optimizer
    rng: torch.Tensor
    data_rng: torch.Tensor | None  # None: the data come from ``rng`` (train.rng = cpu)
    torch_rng: torch.Tensor  # the global generator (nets built after a switch draw their initial weights from it)
    objective_state: dict
    remedy_start: int  # the step the remedy was attached at (instance noise anneals from it)
    events: tuple
    last: dict  # the training values of the last logged step
    measured: dict  # measurement name → the step it last ran (the cadence of the next rows)
    data_scale: float | None

    # the fields holding tensors: ``Trainer.state`` copies them together into one block (gan_studio.packed)
    PACKED = ("g", "d", "opt_g", "opt_d", "rng", "data_rng", "torch_rng", "objective_state", "last")

    def __getstate__(self) -> dict:
        """What it pickles as: each tensor in storage of its own (a packed view would pickle its whole block)."""
        return {k: compact_copy(v) for k, v in vars(self).items()}

    def nbytes(self) -> int:
        """Bytes of its tensors (what a snapshot store counts against its cap; the rest is a few hundred bytes)."""
        tensors = tensors_in([getattr(self, name) for name in self.PACKED])
        return sum(t.element_size() * t.nelement() for t in tensors)


class Trainer:
    """One GAN run: owns data, nets, optimizers, RNGs, the step counter and the event log."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.device = resolve_device(cfg.train.device)
        self.dataset = get_dataset(cfg.data, cfg.train.seed)
        self.objective = get_objective(cfg.loss.name)
        check_lipschitz(self.objective, cfg.lipschitz.name)
        check_remedy(self.objective, cfg.remedy.name)
        check_remedy_lipschitz(cfg.remedy.name, cfg.lipschitz.name)
        check_joint(self.objective, cfg.model)
        check_conditional(cfg.model, self.dataset.n_classes, self.objective.head, cfg.remedy.name)
        self._check_pack(cfg)
        check_reuse_fake(self.objective, cfg.train)
        # train.reuse_fake: (step, G, G(z) with its graph, labels) of this step's D update, for its G update
        self._fake_for_g: tuple | None = None
        self.events: list[dict] = []
        self.step_count = 0
        self._data_scale: float | None = None
        self.measurer = Measurer(_MeasuredTrainer(self))  # cadence, caches and random streams of the measurements
        self._build_nets()
        # metrics.csv has one grad_d_<i> / sigma_d_<i> column per layer of the D the run starts with (without a
        # remedy's layer); after a switch to a D of another head, the new D's layers are reported under those
        # columns (extra layers, a minibatch layer's among them, are left out)
        with bare_head(self.D):
            self.header_d_layers = len(weight_layers(self.D))

    # ----------------------------------------------------------------------------------------- set-up
    def _build_nets(self) -> None:
        """(Re)initialise nets, optimizers and the training RNG from ``cfg.train.seed``, then load ``train.start``."""
        cfg = self.cfg
        torch.manual_seed(cfg.train.seed)
        weights = self.class_weights()
        if cfg.model.g_data_noise > 0:  # no net: real data plus noise, held fixed (nets.fixed)
            bank = self.dataset.sample(FIXED_G_BANK, torch.Generator().manual_seed(cfg.train.seed))
            self.G = build_data_noise_generator(cfg.model, bank, cfg.model.g_data_noise).to(self.device)
        elif weights is None:
            self.G = build_generator(cfg.model, self.dataset.shape).to(self.device)
        else:
            self.G = conditional_generator(build_generator, cfg.model, self.dataset.shape, weights).to(self.device)
        self.remedy = self._make_remedy(cfg)
        self.D = build_d(self.objective, cfg.model, self.remedy.d_data_shape(self.dataset.shape),
                         weights).to(self.device)
        self.d_head = self.objective.head  # the head D was built with
        self.objective_state = self.objective.init_state()
        self.lipschitz = make_method(cfg.lipschitz)
        self.remedy.attach(self.D, 0)  # before the Lipschitz method, which then covers the remedy's layer too
        self.lipschitz.attach(self.D)
        self.opt_d = self._d_optimizer()  # over D's parameters, the remedy's among them
        self.opt_g = make_optimizer(cfg.optim, self.G.parameters(), cfg.optim.lr_g)
        self._seed_rngs(cfg.train.seed)
        if cfg.train.start:  # a starting state (shipped or a weights.npz) replaces the fresh weights; step stays 0
            self.load_weights(start_weights(cfg.train.start))
        self._rebase()
        self._last: dict[str, torch.Tensor] = {}

    def class_weights(self) -> torch.Tensor | None:
        """p_data(y) of a conditional GAN (the classes G is asked for are drawn from it); None otherwise."""
        weights = self.dataset.class_weights() if self.cfg.model.conditional else None
        return None if weights is None else torch.as_tensor(weights, dtype=torch.float32)

    def _labels(self, n: int) -> torch.Tensor | None:
        """Classes asked of G for one fake batch, drawn from p_data(y) with the training RNG (conditional GANs
        only: an unconditional run draws nothing, so its random numbers stay as they were)."""
        if not self.cfg.model.conditional:
            return None
        weights = torch.as_tensor(self.dataset.class_weights(), dtype=torch.float64)
        # drawn where the training RNG lives (train.rng = device: on the GPU)
        return torch.multinomial(weights.to(self.rng.device), n, replacement=True, generator=self.rng).to(self.device)

    def _real_labelled(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A real batch from the training RNG and, for a conditional GAN, its labels (the same draws as ``real``)."""
        if not self.cfg.model.conditional:
            return self.real(n), None
        x, y = self.dataset.sample_labelled(n, self.data_rng)
        return x.to(self.device, non_blocking=True), y.to(self.device)

    def _fake(self, n: int, y: torch.Tensor | None) -> torch.Tensor:
        """G on ``n`` fresh latents from the training RNG, asked for classes y (None: unconditional)."""
        return self.G(self.latent(n)) if y is None else self.G(self.latent(n), y)

    def _d_optimizer(self) -> torch.optim.Optimizer | None:
        """D's optimizer; None for a D without parameters (GMMN: no D updates)."""
        params = list(self.D.parameters())
        return make_optimizer(self.cfg.optim, params, self.cfg.optim.lr_d) if params else None

    def _switch_d(self, objective: Objective, remedy: Remedy) -> None:
        """Keep G; a fresh D of ``objective``'s head for ``remedy``'s input shape (seeded by train.seed and the
        step), its optimizer, and the active Lipschitz method and ``remedy`` attached to it (a minibatch layer
        starts afresh; instance noise's annealing restarts at this step)."""
        self.lipschitz.detach(self.D)
        self.remedy.detach(self.D)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.cfg.train.seed + D_SWITCH_SEED * (self.step_count + 1))
            self.D = build_d(objective, self.cfg.model, remedy.d_data_shape(self.dataset.shape),
                             self.class_weights()).to(self.device)
        self.d_head = objective.head
        self.remedy = remedy
        self.remedy.attach(self.D, self.step_count)
        self.lipschitz.attach(self.D)
        self.opt_d = self._d_optimizer()

    # ------------------------------------------------------------------------------------------ remedies
    def data_scale(self) -> float:
        """The data set's overall std (instance noise's σ₀ = remedy.noise × this), from its own seeded sample."""
        if self._data_scale is None:
            rng = torch.Generator().manual_seed(self.cfg.train.seed)
            self._data_scale = float(self.dataset.sample(DATA_SCALE_SAMPLES, rng).double().std())
        return self._data_scale

    def _make_remedy(self, cfg: Config) -> Remedy:
        """A fresh remedy for ``cfg.remedy`` (not attached)."""
        scale = self.data_scale() if cfg.remedy.name == "instance_noise" else 1.0
        return make_remedy(cfg.remedy.name, remedy_params(cfg), data_scale=scale, lr_d=cfg.optim.lr_d)

    @staticmethod
    def _check_pack(cfg: Config) -> None:
        """ConfigError unless packing's m divides the batch (D scores whole packs)."""
        batch, m = cfg.train.batch_size, cfg.remedy.pack
        if cfg.remedy.name == "packing" and batch % m:
            raise ConfigError(f"remedy.name: packing needs train.batch_size ({batch}) to be a multiple of "
                              f"remedy.pack ({m})")

    def _switch_remedy(self, remedy: Remedy) -> None:
        """Detach the active remedy and attach ``remedy``: on the same D (the Lipschitz method detached around it,
        the layer's parameters moved in and out of D's optimizer), or on a fresh D when either needs a new one."""
        if remedy.needs_new_d or self.remedy.needs_new_d:
            self._switch_d(self.objective, remedy)
            return
        self.lipschitz.detach(self.D)
        try:
            if self.opt_d is not None:
                remove_from_optimizer(self.opt_d, self.remedy.parameters())
            self.remedy.detach(self.D)
            self.remedy = remedy
            self.remedy.attach(self.D, self.step_count)
        finally:
            self.lipschitz.attach(self.D)
        if self.opt_d is not None:
            add_to_optimizer(self.opt_d, self.remedy.parameters())

    def _uses(self) -> tuple[str, ...]:
        """The ``remedy.*`` parameters (short names) the active remedy was built from."""
        return {"minibatch_discrimination": ("kernels", "kernel_dims"), "minibatch_stddev": ("group",),
                "packing": ("pack",), "unrolled": ("unroll", "second_order"),
                "instance_noise": ("noise", "anneal_steps")}.get(self.cfg.remedy.name, ())

    def measured_d(self) -> nn.Module:
        """D as measurement and pictures see it: a function of one sample, whatever the batch. Packing: each
        sample packed with copies of itself (``Packing.single_view``); a minibatch layer: D without it
        (``BareHeadView``); otherwise D itself."""
        if isinstance(self.remedy, Packing):
            return self.remedy.single_view(self.D)
        if self.objective.joint_loss is not None:  # VAE / autoencoder: the energy the views draw (objectives.vae)
            return ReconstructionEnergy(self.D, self.G, self.objective.joint_loss, self.cfg.loss.beta)
        return self.D if head_layer(self.D) is None else BareHeadView(self.D)

    def _d_view(self, x: torch.Tensor) -> torch.Tensor:
        """What D is given of a batch x: ``pack(d_inputs(x))`` (noise drawn from the training RNG)."""
        return self.remedy.pack(self.remedy.d_inputs(x, self.step_count, self.rng))

    def _penalty_view(self, out_r: Out, out_f: Out, D: nn.Module | None = None) -> torch.nn.Module:
        """What a penalty differentiates: D (``self.D`` unless given: a conditional D with labels bound) for a
        score head, else D followed by the objective's scalar (the witness with this batch's outputs as
        reference; the energy)."""
        objective = self.objective
        D = self.D if D is None else D
        if objective.head == "score":
            return D
        return ScoreView(D, lambda out_x: objective.scores(out_x, out_r, out_f))

    def _live_state(self) -> dict[str, torch.Tensor]:
        """Both nets' *plain* tensors, not copied, keys ``G/<name>`` and ``D/<name>`` as ``weights()`` names them: a
        spectral norm's parametrisation removed (so a state kept with it attached restores after it was detached,
        and the other way round), a remedy's minibatch layer included, as ``weights(remedy_layer=True)``."""
        out = {}
        for prefix, net in (("G", self.G), ("D", self.D)):
            for key, value in net.state_dict().items():
                if ".parametrizations." in key:
                    if not key.endswith(".parametrizations.weight.original"):
                        continue  # power-iteration vectors: recomputed when spectral norm attaches
                    key = key.replace(".parametrizations.weight.original", ".weight")
                out[f"{prefix}/{key}"] = value.detach()
        return out

    def _state(self) -> tuple[int, dict[str, torch.Tensor], State]:
        """The step, a copy of ``_live_state()`` and the objective's state (the last checked state)."""
        return self.step_count, {k: v.clone() for k, v in self._live_state().items()}, self.objective_state

    def _rebase(self) -> None:
        """Count everything so far as checked: no watched losses; the kept and the checked state are the current
        one (after a build, a load and every command: the nets' tensors may be other objects from here on)."""
        self._watch = LossWatch()  # the losses since the last check, read at the next logged step
        self._checked = self._state()
        # the states of the last two steps whose losses were all finite, kept on the device; taken after every
        # step, so a non-finite value rolls back to the step before it, not to the last logged one
        self._kept = KeptStates(self._live_state(), self.step_count, self.objective_state)

    def _seed_rngs(self, seed: int) -> None:
        """The training generator ``rng`` (latents, penalty points, instance noise) and the data generator
        ``data_rng``: one CPU generator for both (``train.rng = cpu``), or ``rng`` on the training device and data
        from a CPU generator of its own (``device``; seeded apart, so that on a CPU the two streams differ)."""
        self.rng = torch.Generator().manual_seed(seed)
        self.data_rng = self.rng
        if self.cfg.train.rng == "device":
            self.rng = torch.Generator(device=self.device).manual_seed(seed)
            self.data_rng = torch.Generator().manual_seed(seed + DATA_RNG_OFFSET)
    # -------------------------------------------------------------------------------------- training
    def latent(self, n: int) -> torch.Tensor:
        """``n`` latent vectors from the training RNG, on the training device."""
        m = self.cfg.model
        return sample_latent(n, m.latent_dim, m.latent, self.rng, self.device)

    def real(self, n: int) -> torch.Tensor:
        """``n`` data samples from the data RNG (the training RNG unless ``train.rng = device``), on the device."""
        return self.dataset.sample(n, self.data_rng).to(self.device, non_blocking=True)

    def _check(self, value: torch.Tensor, what: str) -> None:
        """Watch ``value`` (a loss) for NaN and Inf: kept on the device, read at the next logged step."""
        self._watch.add(value, what, self.step_count + 1)

    def _d_update(self, record: bool) -> None:
        n = self.cfg.train.batch_size
        objective = self.objective
        # conditional GANs (issue 12): the real batch's labels come with it, G is asked for classes drawn from
        # p_data(y), and D scores each batch with its labels (``labelled``: D itself when unconditional, where
        # these helpers draw exactly what ``real`` / ``G(latent)`` drew before)
        x_r, y_r = self._real_labelled(n)
        y_f = self._labels(n)
        y_f2 = self._labels(n) if objective.fake_batches == 2 else None
        reuse = self.cfg.train.reuse_fake  # G(z) with its graph, for this step's G update (one fake batch only)
        with nullcontext() if reuse else torch.no_grad():
            x_f = self._fake(n, y_f)
            x_f2 = self._fake(n, y_f2) if objective.fake_batches == 2 else None
        if reuse:
            self._fake_for_g = (self.step_count, self.G, x_f, y_f)
            x_f = x_f.detach()
        x_r, x_f = self._d_view(x_r), self._d_view(x_f)  # the penalty below sees these same inputs
        x_f2 = self._d_view(x_f2) if x_f2 is not None else None
        out_r, out_f = labelled(self.D, y_r)(x_r), labelled(self.D, y_f)(x_f)
        if x_f2 is not None:
            out_f = (out_f, labelled(self.D, y_f2)(x_f2))
        loss_d = objective.d_loss(out_r, out_f, self.objective_state)
        # the penalty's points carry the real labels (interpolates, perturbed real points), R2's the fake ones
        d_penalised = labelled(self.D, y_f if self.lipschitz.name == "r2" else y_r)
        penalty = self.lipschitz.penalty(self._penalty_view(out_r, out_f, d_penalised), x_r, x_f, self.rng)
        total = loss_d if penalty is None else loss_d + penalty
        self._check(total, "D loss" if penalty is None else "D loss + penalty")
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        if record:
            with torch.no_grad():  # score means: scores, witness values or energies (``Objective.scores``)
                d_real = objective.scores(out_r, out_r, out_f).detach().mean()
                d_fake = objective.scores(objective.first_fake(out_f), out_r, out_f).detach().mean()
            self._last.update(loss_d=loss_d.detach(), d_real=d_real, d_fake=d_fake,
                              grad_norm_d=total_grad_norm(self.D))
            self._last["penalty"] = penalty.detach() if penalty is not None else torch.zeros(())
            for i, g in enumerate(layer_grad_norms(self.D)):
                self._last[f"grad_d_{i}"] = g
        self.opt_d.step()
        self.lipschitz.after_step(self.D)
        self.objective_state = objective.update_state(self.objective_state, detach_out(out_r), detach_out(out_f))
        if record:
            self._last.update(self.objective_state)

    def _g_update(self, record: bool) -> None:
        n = self.cfg.train.batch_size
        objective = self.objective
        self.D.requires_grad_(False)  # G's update needs no gradient for D's weights
        try:
            kept, self._fake_for_g = self._fake_for_g, None
            if kept is not None and kept[0] == self.step_count and kept[1] is self.G:  # train.reuse_fake
                _, _, x_g, y_f = kept  # this step's D update's batch; G unchanged since, its graph still valid
            else:
                y_f = self._labels(n)  # conditional GANs: the classes asked of G (None and no draw otherwise)
                x_g = self._fake(n, y_f)
            x_f = self._d_view(x_g)
            y_f2 = self._labels(n) if objective.fake_batches == 2 else None
            x_f2 = self._d_view(self._fake(n, y_f2)) if objective.fake_batches == 2 else None
            # unrolled: D after k look-ahead updates on this fake batch (G's graph kept) and a real batch drawn
            # only if it unrolls; every other remedy: D itself
            D = self.remedy.unrolled_d(self.D, self._unroll_loss, _LazyBatch(lambda: (self._d_view(self.real(n)),
                                                                                      x_f, x_f2)),
                                       optimizer=self.opt_d)
            out_f = labelled(D, y_f)(x_f)  # conditional: unrolled D is refused, so D is self.D here
            if x_f2 is not None:
                out_f = (out_f, labelled(D, y_f2)(x_f2))
            out_r = self._real_out(D, n) if objective.g_needs_real else None  # one more D forward
            loss_g = objective.g_loss(out_r, out_f, self.objective_state)
            self._check(loss_g, "G loss")
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
        finally:
            self.D.requires_grad_(True)
        if record:
            self._last.update(loss_g=loss_g.detach(), grad_norm_g=total_grad_norm(self.G))
            for i, g in enumerate(layer_grad_norms(self.G)):
                self._last[f"grad_g_{i}"] = g
        self.opt_g.step()

    def _real_out(self, D: nn.Module, n: int) -> Out:
        """D's outputs on a fresh real batch (with its labels for a conditional GAN)."""
        x_r, y_r = self._real_labelled(n)
        return labelled(D, y_r)(self._d_view(x_r))

    def _joint_update(self, record: bool) -> None:
        """One update of an objective without a game (``objectives.vae``): the encoder (D's slot, D's optimizer)
        and G (the decoder, G's optimizer) lower the batch mean of ``joint_loss`` together; ε ~ N(0, I) from the
        training RNG. Logged: the loss as ``loss_g``, its terms (``recon``, ``kl_prior``) and both nets' gradients."""
        n = self.cfg.train.batch_size
        x = self.real(n)
        eps = torch.randn(n, self.cfg.model.latent_dim, generator=self.rng, device=self.rng.device).to(self.device)
        per_sample, terms = self.objective.joint_loss(self.D, self.G, x, eps, self.cfg.loss.beta)
        loss = per_sample.mean()
        self._check(loss, f"{self.objective.name} loss")
        self.opt_d.zero_grad(set_to_none=True)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        if record:
            self._last.update(loss_g=loss.detach(), grad_norm_d=total_grad_norm(self.D),
                              grad_norm_g=total_grad_norm(self.G))
            self._last.update({name: term.detach().mean() for name, term in terms.items()})
            for prefix, net in (("grad_d_", self.D), ("grad_g_", self.G)):
                for i, g in enumerate(layer_grad_norms(net)):
                    self._last[f"{prefix}{i}"] = g
        self.opt_d.step()
        self.opt_g.step()

    def _unroll_loss(self, view: nn.Module, batch: tuple) -> torch.Tensor:
        """D's loss (the objective's, without the Lipschitz penalty) on ``batch`` scored by ``view``."""
        x_r, x_f, x_f2 = batch
        out_f = view(x_f) if x_f2 is None else (view(x_f), view(x_f2))
        return self.objective.d_loss(view(x_r), out_f, self.objective_state)

    def _round(self, d_steps: int, g_steps: int, pause: Callable[[], None] | None = None) -> dict | None:
        """One step: ``d_steps`` D updates then ``g_steps`` G updates; the metrics row on logged steps.

        Between logged steps nothing is read back from the device (issue 15): the losses are watched and the
        state is kept on the device (``finite``); a logged step reads them once, and a NaN or Inf found there
        stops the run naming the step it first appeared at, with the weights of the step before it put back."""
        logged = (self.step_count + 1) % self.cfg.train.log_every == 0
        if logged:
            self._last = {}  # a net that is not updated this step (d_steps or g_steps = 0) reports nothing
        if self.opt_d is None or self.objective.joint_loss is not None:
            d_steps = 0  # no D (GMMN), or no game (VAE, autoencoder: one joint update per G step)
        if self.cfg.model.g_data_noise > 0:
            g_steps = 0  # G is held fixed at data plus noise (nets.fixed): nothing to update
        g_update = self._g_update if self.objective.joint_loss is None else self._joint_update
        try:
            for i in range(d_steps):
                self._d_update(record=logged and i == d_steps - 1)
            for i in range(g_steps):
                g_update(record=logged and i == g_steps - 1)
            self.step_count += 1
            if logged:
                self._raise_non_finite_loss()
                self._check_parameters()  # parameters, gradients and optimizer state (inf as well as NaN)
        except Exception as err:
            # a NaN or Inf not yet read can make a later operation fail (an SVD): then it is the cause
            cause = err if isinstance(err, NonFiniteError) else self._non_finite_loss()
            if cause is None:
                raise
            self._stop(cause)
        self._kept.push(self._watch.step_finite(), self.step_count, self.objective_state)
        if not logged:
            return None
        self._watch.clear()
        self._kept.checked()
        self._checked = self._state()
        return self.metrics_row(pause=pause)

    def _non_finite_loss(self) -> NonFiniteError | None:
        """The error for the first NaN or Inf loss watched since the last check, or None (one device read)."""
        bad = self._watch.first_bad()
        if bad is None:
            return None
        return NonFiniteError(f"{bad.what} became {bad.value:g} at step {bad.step} "
                              f"(loss {self.cfg.loss.name}, Lipschitz {self.cfg.lipschitz.name})")

    def _raise_non_finite_loss(self) -> None:
        """Raise the error for the first NaN or Inf loss watched since the last check, if any."""
        err = self._non_finite_loss()
        if err is not None:
            raise err

    def _stop(self, cause: NonFiniteError) -> NoReturn:
        """Put back the last finite weights and raise ``cause`` saying which step they are from."""
        step = self._restore()
        raise NonFiniteError(f"{cause}; the weights of step {step} (the last finite ones) are kept") from None

    def _check_watched(self) -> None:
        """Between steps (before a command, at the end of a run): stop (``_stop``) if a loss watched since the last
        logged step was NaN or Inf; nothing happens otherwise."""
        cause = self._non_finite_loss()
        if cause is not None:
            self._stop(cause)

    def step(self, pause: Callable[[], None] | None = None) -> dict | None:
        """One training step (a round of d_steps D and g_steps G updates); the metrics row if it is logged.

        ``pause`` is called between the parts of a measurement (the window's worker delivers a frame there)."""
        return self._round(self.cfg.train.d_steps, self.cfg.train.g_steps, pause)

    def _check_parameters(self) -> None:
        """NonFiniteError naming the first NaN or Inf among the parameters, their gradients and the optimizers'
        state (RMSprop's running average overflows to inf while the weights stay finite and freeze). One
        device sync for all of them; the culprit is looked for only when there is one."""
        checked = []
        for net_name, net, opt in (("G", self.G, self.opt_g), ("D", self.D, self.opt_d)):
            for name, p in net.named_parameters():
                state = opt.state.get(p, {}) if opt is not None else {}  # GMMN's D has no optimizer
                for what, value in (("parameter", p), ("gradient of", p.grad),
                                    *((f"optimizer state {k} of", v) for k, v in state.items())):
                    if isinstance(value, torch.Tensor) and value.dim() > 0:
                        checked.append((f"{what} {net_name}.{name}", value.detach()))
        # one isfinite over all of them together (one operation per tensor cost 3 % of the bench setting's time)
        if not checked or bool(torch.isfinite(torch.cat([v.reshape(-1) for _, v in checked])).all()):
            return
        what = next(what for what, v in checked if not torch.isfinite(v).all())
        raise NonFiniteError(f"{what} became non-finite by step {self.step_count} "
                             f"(loss {self.cfg.loss.name}, Lipschitz {self.cfg.lipschitz.name})")

    def _restore(self) -> int:
        """Put back the last finite weights (those of the step before the first non-finite loss, or of the last
        completed step when every loss was finite; else the step before; else the last checked ones) through
        ``load_weights``, and the step count with them; returns that step.

        A state that no longer fits the nets is passed over; when none fits, the weights stay as they are and the
        step returned is the current one."""
        expected = {k: v.shape for k, v in self.weights(remedy_layer=True).items()}
        bad = self._watch.first_bad()
        for step, tensors, objective_state in (*self._kept.kept(bad.step if bad else None), self._checked):
            arrays = {k: v.cpu().numpy() for k, v in tensors.items()}
            fits = {k: v.shape for k, v in arrays.items()} == expected
            if fits and all(np.isfinite(v).all() for v in arrays.values() if v.dtype.kind == "f"):
                self.objective_state, self.step_count = objective_state, step
                # the same path as a saved run's weights: parametrisation detached first
                self.load_weights(arrays, remedy_layer=True)
                return step
        return self.step_count

    # -------------------------------------------------------------------------------------- commands
    def apply(self, what: str, value=None) -> dict:
        """Run a command between steps and record it as an event ``{step, what, old, new}``.

        ``what`` is a dotted config key from LIVE_KEYS (value: the new value, parsed and checked)
        or an action from ACTIONS. Raises ConfigError for anything else, naming what is allowed.
        """
        self._check_watched()  # a NaN from the steps since the last logged one stops the run before the command
        step = self.step_count
        old, new = run_command(what, value, self.cfg, self._action, self._set)
        self._check_watched()  # step_d / step_g train
        self._rebase()  # a switch may have replaced D or the tensors of its layers
        event = {"step": step, "what": what, "old": old, "new": new}
        self.events.append(event)
        return event

    def _set(self, key: str, value) -> None:
        # Checks first, so that a refused change leaves the run as it was.
        if key == "data.path":
            self._switch_data(value)
            return
        if key == "loss.name":
            objective = get_objective(value)
            check_lipschitz(objective, self.cfg.lipschitz.name)
            check_remedy(objective, self.cfg.remedy.name)
            check_joint(objective, self.cfg.model)
            check_conditional(self.cfg.model, self.dataset.n_classes, objective.head, self.cfg.remedy.name)
            check_reuse_fake(objective, self.cfg.train)
        elif key == "train.d_steps":
            check_reuse_fake(self.objective, C.with_value(self.cfg, key, value).train)
        elif key == "lipschitz.name":
            check_lipschitz(self.objective, value)
            check_remedy_lipschitz(self.cfg.remedy.name, value)
        elif key == "remedy.name":
            check_remedy(self.objective, value)
            check_remedy_lipschitz(value, self.cfg.lipschitz.name)
            check_conditional(self.cfg.model, self.dataset.n_classes, self.objective.head, value)
        elif key == "model.shown_class":  # the class picker: checked here, read by the frames (measure/frame.py)
            check_conditional(C.with_value(self.cfg, key, value).model, self.dataset.n_classes, self.objective.head,
                              self.cfg.remedy.name)
        if key in ("remedy.name", "train.batch_size"):
            self._check_pack(C.with_value(self.cfg, key, value))
        if key.startswith("remedy.") and (key == "remedy.name" or key.removeprefix("remedy.") in self._uses()):
            remedy = self._make_remedy(C.with_value(self.cfg, key, value))  # a bad parameter is refused here
        self.cfg = C.with_value(self.cfg, key, value)
        if key.startswith("remedy."):
            # A change of remedy, or of a parameter the active one uses, detaches it and attaches the new one (a
            # minibatch layer starts afresh, instance noise's annealing restarts); other parameters wait in cfg.
            if key == "remedy.name" or key.removeprefix("remedy.") in self._uses():
                self._switch_remedy(remedy)
        elif key == "loss.name":
            if objective.head != self.d_head:
                self._switch_d(objective, self.remedy)
            self.objective = objective
            self.objective_state = objective.init_state()
        elif key.startswith("lipschitz."):
            # A change of method detaches the old one and attaches the new; a parameter change (c, λ, γ)
            # rebuilds the same method, except spectral norm, which has no parameter and keeps its state.
            if key == "lipschitz.name":
                self.lipschitz.detach(self.D)
                self.lipschitz = make_method(self.cfg.lipschitz)
                self.lipschitz.attach(self.D)
            elif self.cfg.lipschitz.name != "sn":
                self.lipschitz = make_method(self.cfg.lipschitz)
        elif key == "optim.lr_d":
            for group in (self.opt_d.param_groups if self.opt_d is not None else ()):
                group["lr"] = value
        elif key == "optim.lr_g":
            for group in self.opt_g.param_groups:
                group["lr"] = value
        elif key in ("optim.beta1", "optim.beta2"):
            for opt in (self.opt_d, self.opt_g):
                for group in (opt.param_groups if opt is not None else ()):
                    if "betas" in group:
                        group["betas"] = (self.cfg.optim.beta1, self.cfg.optim.beta2)
        elif key == "optim.name":
            # A new optimizer starts without state (moments); the nets are kept.
            self.opt_d = self._d_optimizer()
            self.opt_g = make_optimizer(self.cfg.optim, self.G.parameters(), self.cfg.optim.lr_g)

    def _switch_data(self, path: str) -> None:
        """A live ``data.path`` change (a drawing, a dropped or pasted file): the points of ``path`` become the data
        set from the next step on; nets, optimizers and RNGs are kept. Refused (ConfigError) unless
        ``schedule.check_data_change`` allows it, and for a file that cannot be read."""
        check_data_change(self.cfg)
        cfg = C.with_value(self.cfg, "data.path", path)
        dataset = get_dataset(cfg.data, cfg.train.seed)
        check_data_change(self.cfg, self.dataset.dim, dataset.dim)
        self.cfg = cfg
        self._use_data(dataset)
        if cfg.remedy.name == "instance_noise":  # σ₀ is remedy.noise × the data's std: the new data's, annealing
            remedy = self._make_remedy(cfg)  # going on from where it was
            remedy.attach(self.D, self.remedy.start_step)
            self.remedy = remedy

    def _use_data(self, dataset) -> None:
        """Train and measure on ``dataset`` from now on: what was computed from the old data (instance noise's data
        scale, the measurer's cached samples) is dropped."""
        self.dataset = dataset
        self._data_scale = None
        self.measurer.data_changed()

    def _action(self, what: str, value) -> tuple:
        if what == "step_d":
            self._round(1, 0)
            return None, None
        if what == "step_g":
            self._round(0, 1)
            return None, None
        if what == "reset":
            self._build_nets()  # also restarts the objective's state
            return None, self.cfg.train.seed
        # reseed: a new seed for data and latent draws from now on; nets are kept.
        seed = C.parse_value("train.seed", value if value is not None else self.cfg.train.seed + 1)
        old = self.cfg.train.seed
        self.cfg = C.with_value(self.cfg, "train.seed", seed)
        self._seed_rngs(seed)
        return old, seed

    # ------------------------------------------------------------------------------------- weights
    def weights(self, remedy_layer: bool = False) -> dict[str, np.ndarray]:
        """Both nets' tensors as NumPy arrays, keys ``G/<name>`` and ``D/<name>``, spectral norm removed.

        Under spectral norm the raw weight is stored as ``<layer>.weight`` (what ``detach`` restores);
        the power-iteration vectors are not saved. A remedy's minibatch layer is left out (D's keys are those of
        the same D without a remedy, so the weights load into a run with any remedy or none) unless
        ``remedy_layer`` (the engine's own roll-back after a non-finite step).
        """
        out = {}
        for prefix, net in (("G", self.G), ("D", self.D)):
            with bare_head(net) if prefix == "D" and not remedy_layer else nullcontext(net):
                state = net.state_dict()
            for key, value in state.items():
                if ".parametrizations." in key:
                    if not key.endswith(".parametrizations.weight.original"):
                        continue
                    key = key.replace(".parametrizations.weight.original", ".weight")
                out[f"{prefix}/{key}"] = value.detach().cpu().numpy()
        return out

    def load_weights(self, arrays: dict, remedy_layer: bool = False) -> None:
        """Load arrays saved by ``weights()``; a missing or misshapen tensor is a ConfigError naming it.

        Nothing is loaded unless every array fits. Optimizer state is not part of the weights: the
        optimizers keep theirs (a freshly built Trainer: none).
        """
        expected = {k: tuple(v.shape) for k, v in self.weights(remedy_layer).items()}
        given = {k: tuple(np.shape(v)) for k, v in arrays.items()}
        for key, shape in expected.items():
            if key not in given:
                raise ConfigError(f"weights do not fit this config: {key} is missing "
                                  f"({len(given)} arrays saved, {len(expected)} needed)")
            if given[key] != shape:
                raise ConfigError(f"weights do not fit this config: {key} has shape {given[key]}, "
                                  f"this config's model needs {shape}")
            value = np.asarray(arrays[key])
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                raise ConfigError(f"{key} holds NaN or Inf values")
        extra = sorted(set(given) - set(expected))
        if extra:
            raise ConfigError(f"weights do not fit this config: {extra[0]} is not in this config's model"
                              + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""))
        self.lipschitz.detach(self.D)  # from the whole D (a minibatch layer's weight too), then the layer set aside
        try:
            for prefix, net in (("G", self.G), ("D", self.D)):
                state = {k.split("/", 1)[1]: torch.as_tensor(v)
                         for k, v in arrays.items() if k.startswith(prefix + "/")}
                try:
                    with bare_head(net) if prefix == "D" and not remedy_layer else nullcontext(net):
                        net.load_state_dict(state)
                except RuntimeError as err:
                    raise ConfigError(f"weights do not fit this config's {prefix}: {err}") from None
        finally:
            self.lipschitz.attach(self.D)
        self._rebase()

    # ------------------------------------------------------------------------------- state (rewind)
    def state(self, reuse: TrainerState | None = None) -> TrainerState:
        """The complete training state between two steps, its tensors copied into one block of their own
        (``TrainerState``, ``gan_studio.packed``; ``restore`` puts it back). ~3× the nets' size with Adam (the
        weights and its two moments). ``reuse``: a state no longer wanted (a thinned snapshot,
        ``worker.timeline``), whose block is overwritten and kept when the tensors still fit it."""
        names = {id(p): f"G/{n}" for n, p in self.G.named_parameters()}
        names.update({id(p): f"D/{n}" for n, p in self.D.named_parameters()})

        def optimizer(opt: torch.optim.Optimizer | None) -> tuple | None:
            if opt is None:
                return None
            groups = tuple(tuple(names[id(p)] for p in group["params"]) for group in opt.param_groups)
            return groups, opt.state_dict()  # shares the live moments: packed_copy copies them

        live = dict(g=self.G.state_dict(), d=self.D.state_dict(), opt_g=optimizer(self.opt_g),
                    opt_d=optimizer(self.opt_d), rng=self.rng.get_state(),
                    data_rng=None if self.data_rng is self.rng else self.data_rng.get_state(),
                    torch_rng=torch.get_rng_state(), objective_state=self.objective_state, last=self._last)
        old = reuse if isinstance(reuse, TrainerState) else None
        copied = packed_copy(live, old and {name: getattr(old, name) for name in TrainerState.PACKED})
        return TrainerState(
            step=self.step_count, cfg=self.cfg, **copied, remedy_start=int(getattr(self.remedy, "start_step", 0)),
            events=tuple(dict(e) for e in self.events), measured=dict(self.measurer.measured),
            data_scale=self._data_scale)

    def restore(self, state: TrainerState) -> None:
        """Put back a ``state()`` of this run (the snapshot itself is left unchanged, so it restores again).

        Objective, remedy and Lipschitz method are made afresh for ``state.cfg`` and D is rebuilt for them (the
        global torch RNG untouched by the build: it is restored from the state), then every tensor is loaded:
        the nets' state dicts, the optimizers' (matched to parameters by name) and the generators'."""
        cfg = state.cfg
        if cfg.data != self.cfg.data:  # a rewind to before a live data.path change: the data of then
            self._use_data(get_dataset(cfg.data, cfg.train.seed))
        self._data_scale = state.data_scale  # before the remedy is made (instance noise's σ₀ is from it)
        objective = get_objective(cfg.loss.name)
        remedy = self._make_remedy(cfg)
        lipschitz = make_method(cfg.lipschitz)
        with torch.random.fork_rng(devices=[]):
            D = build_d(objective, cfg.model, remedy.d_data_shape(self.dataset.shape),
                        self.class_weights()).to(self.device)
            remedy.attach(D, state.remedy_start)  # before the Lipschitz method, as ``_build_nets`` does
            lipschitz.attach(D)
        D.load_state_dict(state.d)
        self.G.load_state_dict(state.g)
        self.cfg, self.objective, self.remedy, self.lipschitz, self.D = cfg, objective, remedy, lipschitz, D
        self.d_head = objective.head
        params = {f"G/{n}": p for n, p in self.G.named_parameters()}
        params.update({f"D/{n}": p for n, p in self.D.named_parameters()})

        def optimizer(saved: tuple | None, lr: float) -> torch.optim.Optimizer | None:
            if saved is None:
                return None
            groups, state_dict = saved
            opt = make_optimizer(cfg.optim, [params[n] for n in groups[0]], lr)
            for group in groups[1:]:
                opt.add_param_group({"params": [params[n] for n in group]})
            # a copy: load_state_dict keeps tensors that already fit (the snapshot must stay as it is); hyperparameters
            # come with it (a live lr change)
            opt.load_state_dict(compact_copy(state_dict))
            return opt

        self.opt_g = optimizer(state.opt_g, cfg.optim.lr_g)
        self.opt_d = optimizer(state.opt_d, cfg.optim.lr_d)
        self._seed_rngs(cfg.train.seed)  # the generators' kinds (one shared, or two) as this config has them
        # clones: a generator refuses a state that is a view into a larger storage (a packed one)
        self.rng.set_state(state.rng.clone())
        if state.data_rng is not None:
            self.data_rng.set_state(state.data_rng.clone())
        torch.set_rng_state(state.torch_rng.clone())
        self.objective_state = compact_copy(state.objective_state)
        self.step_count = state.step
        self.events = [dict(e) for e in state.events]
        self._last = compact_copy(state.last)
        self.measurer.measured = dict(state.measured)
        self._fake_for_g = None  # train.reuse_fake: a batch kept from before the restore has the old G's graph
        self._rebase()

    # ---------------------------------------------------------------------------------- measurement
    def metrics_row(self, full: bool = False, pause: Callable[[], None] | None = None) -> dict:
        """The metrics row for the current step: training values always, measurements at their cadence.

        ``full=True`` computes every measurement now (the last row of a run carries all of them). ``pause`` is
        called between the parts of a measurement (see ``Measurer.measure``).
        """
        return self._in_header({**self._training_row(), **self.measurer.measure(full=full, pause=pause)})

    def _in_header(self, row: dict) -> dict:
        """``row`` without per-layer D columns beyond the run's header (a D of another head after a switch)."""
        return {k: v for k, v in row.items() if not _extra_d_layer(k, self.header_d_layers)}

    def _training_row(self) -> dict:
        """The step and the training values recorded by the last logged step."""
        # one read from the device for all of them (each float() of a GPU tensor waits for the device)
        values = [torch.as_tensor(v, dtype=torch.float64, device=self.device).reshape(())
                  for v in self._last.values()]
        read = torch.stack(values).tolist() if values else []
        return {"step": self.step_count, **dict(zip(self._last, read, strict=True))}

    def final_state(self) -> tuple[dict, np.ndarray, dict[str, np.ndarray]]:
        """What a run folder ends with: the full metrics row, the samples saved with it (samples.npy:
        ``max(metrics.n_samples, 2,500)`` from the ``final`` measurement stream, the row's sample-based columns
        measured on exactly these) and the weights."""
        self._check_watched()  # the steps after the last logged one
        measured, samples = self.measurer.final_state()
        return self._in_header({**self._training_row(), **measured}), samples, self.weights()

    @property
    def measure_seconds(self) -> float:
        """Time spent in measurement so far (the benchmark reports its share)."""
        return self.measurer.measure_seconds

    def next_step_measures(self) -> bool:
        """Whether the next step ends with a measurement (it takes longer; the window's worker plans for it)."""
        step = self.step_count + 1
        return step % self.cfg.train.log_every == 0 and self.measurer.measures_at(step)

    def columns(self) -> list[str]:
        """Every metrics.csv column for this run, in order (fixed at the start of a run)."""
        return self.measurer.columns()

    def generate(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """``n`` generated samples in eval mode without gradients (never touches the training RNG)."""
        return self.measurer.generate(n, rng)

    def frame(self, grid: int | None = None, probe: bool = True):
        """A Frame for the views: samples and, with ``probe``, surfaces at ``grid`` resolution."""
        return self.measurer.frame(grid or self.cfg.metrics.grid, probe)

    def invert(self, point):
        """A ``frames.Inversion``: the z that G maps closest to a data-space ``point`` (``latent.invert``)."""
        return self.measurer.invert(point)

    def pick_path_end(self, end: str, code) -> None:
        """Make the latent ``code`` end A or B (``end`` "a" / "b") of the latent paths the frames draw."""
        self.measurer.pick_path_end(end, code)
