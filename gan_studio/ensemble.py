"""Seed ensembles: N independent runs of one config (seeds ``train.seed … train.seed + N − 1``) trained as one
batched model (``nets.ensemble``), driven by the one run loop (``runner.Runner``) like a single ``engine.Trainer``.

Member k is the single run with seed ``train.seed + k``, step for step:

- its G and D are built by the single run's builders right after ``torch.manual_seed(seed + k)`` (the same initial
  weights), and its Lipschitz method is set up as the single run's (spectral norm: the same starting vectors);
- it draws its data, latent codes and penalty points from its own CPU generator seeded ``seed + k``, in the single
  run's order;
- its losses, objective state, gradient penalty, clipping and spectral norm are its own: one optimizer over the
  stacked parameters minimises the SUM of the member losses, and Adam, RMSprop and SGD act elementwise, so member
  k's slice of every update is the update of its own optimizer on its own loss;
- it is measured by its own ``Measurer`` on a plain copy of its nets (``MemberView``), with its seed's streams.

The sums inside the batched matrix products and the per-member gradient norms are taken in another order than
the single run's, so member k's numbers agree with run k to float32 rounding at first and drift apart over the
steps (training amplifies differences in the last bit; tests/test_ensemble.py pins how far and for how long).

Mid-run changes (``apply``) act on every member. What does not work per member yet is refused with a
``ConfigError``: the remedies (``remedy.name`` other than none), conv nets, and ``train.seeds`` = 1 (that is
a plain ``engine.Trainer``: ``make_trainer``). A non-finite value in any member stops the ensemble (all members
are put back to their last finite step), naming the member's seed.
"""

from __future__ import annotations

import copy
import dataclasses
import statistics
from collections.abc import Callable

import numpy as np
import torch
from torch.func import vmap

from gan_studio import config as C
from gan_studio.config import Config, ConfigError
from gan_studio.data import get_dataset
from gan_studio.engine import (
    D_SWITCH_SEED,
    NonFiniteError,
    Trainer,
    build_d,
    check_lipschitz,
    detach_out,
    resolve_device,
    run_command,
)
from gan_studio.engine import make_optimizer as engine_optimizer
from gan_studio.frames import MEMBERS, Frame, MemberTiles
from gan_studio.lipschitz import SN_INIT_ITERATIONS, SN_INIT_SEED, Dragan, GradientPenalty, make_method
from gan_studio.measure.frame import display_batch
from gan_studio.measure.measurer import WITNESS_POINTS, Measurer
from gan_studio.nets import build_generator, eval_mode, resolve_arch, sample_latent
from gan_studio.nets.ensemble import BatchedNet, keep_freed_memory, member_out
from gan_studio.objectives import get_objective
from gan_studio.objectives.base import Objective, keep_state
from gan_studio.presets import start_weights
from gan_studio.runs import SEED_COLUMN
from gan_studio.schedule import check_data_change

# MEMBERS: the key of an ensemble's metrics row that holds the member rows (``MembersRecorder`` splits it)
TILE_POINTS = 96  # samples per member in the small multiples: a tile is ~80 px wide (more only clutters)
TILE_GRID = 16  # D per member on a 16² grid in the small multiples: one batched pass over 32 members costs
# about one member's probed frame (measured on 2 CPU cores, default preset; a training step costs ~8× more)


def make_optimizer(optim: C.OptimConfig, params, lr: float) -> torch.optim.Optimizer:
    """An ensemble's optimizer: ``engine.make_optimizer``'s, with Adam fused (one kernel over each stacked
    tensor instead of ``foreach``'s ~10 passes over all of them). Measured, one CPU thread, the default D of 32
    members (1.1 M parameters): 8.0 ms a step foreach, 1.7 ms fused, about 8 % of an ensemble step saved per net;
    the weights differ from foreach's in the last bit (2e-7 after 50 steps), as the batched sums already do."""
    return engine_optimizer(dataclasses.replace(optim, fused=True), params, lr)


def make_trainer(cfg: Config):
    """The trainer for ``cfg``: a plain ``engine.Trainer`` for ``train.seeds`` = 1, else an ``EnsembleTrainer``."""
    return Trainer(cfg) if cfg.train.seeds == 1 else EnsembleTrainer(cfg)


def check_ensemble(cfg: Config) -> None:
    """ConfigError for what a seed ensemble cannot do per member yet (one line naming what is allowed)."""
    if cfg.train.seeds < 2:
        raise ConfigError(f"train.seeds: an ensemble has at least 2 members, got {cfg.train.seeds}; "
                          "1 is a plain run")
    if cfg.remedy.name != "none":
        raise ConfigError(f"remedy.name: {cfg.remedy.name} does not work in a seed ensemble yet (train.seeds > 1); "
                          "allowed there: none")
    if cfg.model.conditional:
        raise ConfigError("model.conditional: a conditional GAN does not work in a seed ensemble yet "
                          "(train.seeds > 1); allowed there: false")
    if cfg.train.reuse_fake:
        raise ConfigError("train.reuse_fake: not in a seed ensemble yet (train.seeds > 1); allowed there: false")
    if cfg.model.g_data_noise > 0:
        raise ConfigError("model.g_data_noise: the fixed generator does not work in a seed ensemble yet "
                          "(train.seeds > 1); allowed there: 0")
    if cfg.train.rng != "cpu":
        raise ConfigError(f"train.rng: {cfg.train.rng} does not work in a seed ensemble yet (train.seeds > 1); "
                          "allowed there: cpu")
    check_objective(get_objective(cfg.loss.name))
    if resolve_arch(cfg.model.arch, get_dataset(cfg.data, cfg.train.seed).shape) != "mlp":
        raise ConfigError("model.arch: a seed ensemble (train.seeds > 1) trains MLPs only; use model.arch mlp "
                          "(images up to 8×8 with auto) or train.seeds 1")


def check_objective(objective: Objective) -> None:
    """ConfigError for an objective an ensemble cannot train yet: one without a game (a joint loss: the VAE)."""
    if objective.joint_loss is not None:
        raise ConfigError(f"loss.name: {objective.name} (no game, one joint loss) does not work in a seed ensemble "
                          "yet (train.seeds > 1); allowed there: the GAN objectives")


def member_cfg(cfg: Config, k: int) -> Config:
    """The config of member k alone: the single run with seed ``train.seed + k`` (``train.seeds`` = 1)."""
    return C.with_value(C.with_value(cfg, "train.seeds", 1), "train.seed", cfg.train.seed + k)


def build_member_nets(cfg: Config, objective: Objective, shape: tuple[int, ...], seed: int
                      ) -> tuple[torch.nn.Module, torch.nn.Module]:
    """G and D of the single run with ``seed`` as ``engine.Trainer`` builds them (global seed, then G, then D), and
    ``train.start`` loaded into both."""
    torch.manual_seed(seed)
    G = build_generator(cfg.model, shape)
    D = build_d(objective, cfg.model, shape)  # no remedy: D takes the data's shape
    if cfg.train.start:
        arrays = start_weights(cfg.train.start)
        for prefix, net in (("G", G), ("D", D)):
            state = {k.split("/", 1)[1]: torch.as_tensor(v) for k, v in arrays.items() if k.startswith(prefix + "/")}
            try:
                net.load_state_dict(state)
            except RuntimeError as err:
                raise ConfigError(f"train.start: weights do not fit this config's {prefix}: {err}") from None
    return G, D


def member_l2_norms(groups: list[list[torch.Tensor]], members: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Per member (the leading axis of every tensor): the L2 norm of each group of tensors together and of all of
    them together, as ``engine.l2_norm`` takes it (scaled by the largest magnitude first, so 1e30 stays finite):
    ((members,), [(members,) per group]); an empty group's norm is NaN, as ``l2_norm([])``. A group's norm is
    s·‖x/s‖, s its largest magnitude; the whole norm is that formula over all groups, put together from the
    groups' s and ‖x/s‖ instead of another pass over the data. Measured, default nets, 32 members, one CPU
    thread: 30 ms a logged step with one ``l2_norm`` per member and group before."""
    nan = torch.full((members,), float("nan"))
    scales, units, norms = [], [], []
    for tensors in groups:
        if not tensors:
            norms.append(nan)
            continue
        flat = torch.cat([t.detach().reshape(members, -1) for t in tensors], 1)
        scale = flat.abs().amax(1).clamp_min(torch.finfo(flat.dtype).tiny)
        unit = torch.linalg.vector_norm(flat / scale[:, None], dim=1)
        scales.append(scale)
        units.append(unit)
        norms.append(scale * unit)
    if not scales:
        return nan, norms
    scale, unit = torch.stack(scales), torch.stack(units)  # (groups, members)
    largest = scale.amax(0)
    return largest * torch.linalg.vector_norm(scale / largest * unit, dim=0), norms


class MemberView:
    """Member k as measurement reads a trainer (``measure.measurer.MeasuredTrainer``): its config (its seed), its
    data set, plain copies of its nets with its current weights (spectral norm applied, as a single run's D in eval
    mode), the shared objective and its own objective state."""

    def __init__(self, ensemble: EnsembleTrainer, k: int):
        self._ensemble, self.k = ensemble, k
        self._nets: tuple[int, torch.nn.Module, torch.nn.Module] | None = None  # (version, G, D)

    cfg = property(lambda self: self._ensemble.member_cfgs[self.k])
    dataset = property(lambda self: self._ensemble.datasets[self.k])
    objective = property(lambda self: self._ensemble.objective)
    objective_state = property(lambda self: self._ensemble.states[self.k])
    device = property(lambda self: self._ensemble.device)
    step_count = property(lambda self: self._ensemble.step_count)
    header_d_layers = property(lambda self: self._ensemble.header_d_layers)

    def _current(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        version = self._ensemble.version
        if self._nets is None or self._nets[0] != version:
            self._nets = (version, *self._ensemble.member_nets(self.k))
        return self._nets[1], self._nets[2]

    @property
    def G(self) -> torch.nn.Module:
        """Member k's generator (a plain net)."""
        return self._current()[0]

    @property
    def D(self) -> torch.nn.Module:
        """Member k's discriminator (a plain net, spectral norm folded into its weights)."""
        return self._current()[1]


class EnsembleTrainer:
    """N runs of one config with seeds ``train.seed + k``, trained at once; satisfies what ``runner.Runner`` and
    ``worker.protocol.TrainerProtocol`` use of a trainer. Rows: ``{"step": s, MEMBERS: [row of member k, ...]}``,
    each member row with a ``seed`` column."""

    def __init__(self, cfg: Config):
        check_ensemble(cfg)
        keep_freed_memory()  # big batched activations: reuse freed memory (nets.ensemble)
        self.cfg = cfg
        self.device = resolve_device(cfg.train.device)
        self.objective = get_objective(cfg.loss.name)
        check_lipschitz(self.objective, cfg.lipschitz.name)
        self.n = cfg.train.seeds
        self.seeds = [cfg.train.seed + k for k in range(self.n)]
        self.datasets = [get_dataset(cfg.data, seed) for seed in self.seeds]
        self.dataset = self.datasets[0]
        self.member_cfgs = [member_cfg(cfg, k) for k in range(self.n)]
        self.events: list[dict] = []
        self.step_count = 0
        self.version = 0  # bumped whenever weights change: member views copy the nets again
        self.measurers = [Measurer(MemberView(self, k)) for k in range(self.n)]
        self._build_nets()
        self.header_d_layers = len(self.D.layers())
        self._columns: list[str] | None = None
        self._unmappable: set[str] = set()  # objectives whose losses vmap cannot map (``_member_losses``)

    # ----------------------------------------------------------------------------------------- set-up
    def _build_nets(self) -> None:
        """Every member's nets as the single run of its seed builds them, stacked; optimizers; RNGs; states."""
        cfg, shape = self.cfg, self.dataset.shape
        with torch.random.fork_rng(devices=[]):  # the builders seed the global RNG; leave it as it was
            nets = [build_member_nets(cfg, self.objective, shape, seed) for seed in self.seeds]
        self._plain = copy.deepcopy(nets[0])  # templates of the member views
        self.G = BatchedNet([g for g, _ in nets]).to(self.device)
        self.D = BatchedNet([d for _, d in nets]).to(self.device)
        self.d_head = self.objective.head
        self.lipschitz = make_method(cfg.lipschitz)
        self._attach(self.D)
        self.opt_d = self._d_optimizer()
        self.opt_g = make_optimizer(cfg.optim, self.G.parameters(), cfg.optim.lr_g)
        self.rngs = [torch.Generator().manual_seed(seed) for seed in self.seeds]
        self.states = [self.objective.init_state() for _ in range(self.n)]
        self._last: list[dict[str, torch.Tensor]] = [{} for _ in range(self.n)]
        self._snapshot = self._state()
        self.version += 1

    def _d_optimizer(self) -> torch.optim.Optimizer | None:
        """D's optimizer; None for a D without parameters (GMMN)."""
        params = list(self.D.parameters())
        return make_optimizer(self.cfg.optim, params, self.cfg.optim.lr_d) if params else None

    def _attach(self, D: BatchedNet) -> None:
        """The active Lipschitz method's set-up on D: spectral norm per member with the single run's starting
        vectors (``lipschitz.SpectralNorm.attach``: one generator seeded ``SN_INIT_SEED`` per attach, u then v per
        layer in forward order), nothing for the others."""
        if self.lipschitz.name != "sn":
            return
        gen = torch.Generator(device="cpu").manual_seed(SN_INIT_SEED)
        for layer in D.layers():
            out_dim, in_dim = layer.weight.shape[1:]
            u = torch.randn(out_dim, generator=gen, dtype=layer.weight.dtype)
            v = torch.randn(in_dim, generator=gen, dtype=layer.weight.dtype)
            layer.attach_sn(u, v, SN_INIT_ITERATIONS)

    @staticmethod
    def _detach(D: BatchedNet) -> None:
        for layer in D.layers():
            layer.detach_sn()

    def _state(self) -> tuple:
        """The last finite state: step, copies of both nets' parameters and spectral-norm vectors, the states."""
        def copy_of(net: BatchedNet) -> tuple[list, list]:
            params = [p.detach().clone() for p in net.parameters()]
            return params, [(layer.u, layer.v) for layer in net.layers()]  # u, v are replaced, never changed

        return self.step_count, copy_of(self.G), copy_of(self.D), list(self.states)

    def _restore(self) -> int:
        """Put back the last finite state (``_state``); returns its step."""
        step, *nets, states = self._snapshot
        with torch.no_grad():
            for net, (params, vectors) in zip((self.G, self.D), nets, strict=True):
                for p, saved in zip(net.parameters(), params, strict=True):
                    p.copy_(saved)
                for layer, (u, v) in zip(net.layers(), vectors, strict=True):
                    layer.u, layer.v = u, v
        self.step_count, self.states = step, list(states)
        self.version += 1
        return step

    # ----------------------------------------------------------------------------------------- draws
    def real(self, n: int) -> torch.Tensor:
        """(N, n, *shape): n data samples per member from its own generator."""
        return torch.stack([ds.sample(n, rng) for ds, rng in zip(self.datasets, self.rngs, strict=True)]
                           ).to(self.device)

    def latent(self, n: int) -> torch.Tensor:
        """(N, n, latent_dim): n latent codes per member from its own generator."""
        m = self.cfg.model
        return torch.stack([sample_latent(n, m.latent_dim, m.latent, rng, "cpu") for rng in self.rngs]
                           ).to(self.device)

    # ----------------------------------------------------------------------------------------- scores
    def scores(self, out_x, out_r, out_f) -> torch.Tensor:
        """(N, n): ``Objective.scores`` per member (the raw score, the energy, or the witness on that member's
        reference outputs)."""
        objective = self.objective
        if objective.head == "score":
            return out_x
        if objective.head == "reconstruction":
            return out_x.energy
        return torch.stack([objective.scores(member_out(out_x, k), member_out(out_r, k), member_out(out_f, k))
                            for k in range(self.n)])

    def penalties(self, x_r: torch.Tensor, x_f: torch.Tensor, out_r, out_f) -> torch.Tensor | None:
        """(N,) each member's Lipschitz penalty on its own batch (None for a method without one).

        The points are drawn per member with the single run's functions and its generator (``interpolate``,
        ``perturb``); one gradient of the summed scores with respect to the (N, n, d) points gives every member's
        per-sample input gradients (members and samples are independent), and each member's penalty is the
        formula of ``lipschitz`` on its rows (tests/test_ensemble.py checks it against the single-model penalty)."""
        method = self.lipschitz
        if method.name not in ("gp", "dragan", "r1", "r2"):
            return None
        if isinstance(method, GradientPenalty):
            points = torch.stack([method.interpolate(x_r[k], x_f[k], rng) for k, rng in enumerate(self.rngs)])
        elif isinstance(method, Dragan):
            points = torch.stack([method.perturb(x_r[k], rng) for k, rng in enumerate(self.rngs)])
        else:
            points = x_r if method.on_real else x_f
        x = points.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.scores(self.D(x), out_r, out_f).sum(), x, create_graph=True)
        grad = grad.flatten(2)  # (N, n, d)
        if method.name in ("r1", "r2"):
            return 0.5 * method.weight * grad.square().sum(2).mean(1)
        excess = grad.norm(dim=2) - 1.0
        if getattr(method, "one_sided", False):
            excess = torch.relu(excess)
        return method.weight * excess.square().mean(1)

    # -------------------------------------------------------------------------------------- training
    def _check(self, values: torch.Tensor, what: str) -> None:
        finite = torch.isfinite(values)
        if not finite.all():
            k = int((~finite).nonzero()[0, 0])
            raise NonFiniteError(f"{what} of member seed {self.seeds[k]} became {values[k].item():g} at step "
                                 f"{self.step_count + 1} (loss {self.cfg.loss.name}, Lipschitz "
                                 f"{self.cfg.lipschitz.name})")

    @staticmethod
    def _member_grad_norms(net: BatchedNet) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Every member's whole-net and per-layer gradient norms, (N,) each: ``engine.total_grad_norm`` and
        ``layer_grad_norms`` of each member, for all members at once (``member_l2_norms``)."""
        layers = [[p.grad for p in (layer.weight, layer.bias) if p.grad is not None] for layer in net.layers()]
        return member_l2_norms(layers, net.members)

    def _member_losses(self, loss: Callable, out_r, out_f) -> torch.Tensor:
        """(N,): ``loss(out_r, out_f, state)`` (``Objective.d_loss`` or ``g_loss``) of every member on its own
        outputs and state.

        While no member has a state, one call mapped over the member axis (``torch.func.vmap``) instead of N
        (measured, ns D loss and its backward, 32 members, one CPU thread: 3.7 ms → 0.5 ms, the same bits); an
        objective that vmap cannot map is remembered and computed member by member, as are objectives with a
        state (BEGAN's k, Fisher's λ: one per member)."""
        name = self.objective.name
        if name not in self._unmappable and not any(self.states):
            try:
                if out_r is None:
                    return vmap(lambda f: loss(None, f, {}))(out_f)
                return vmap(lambda r, f: loss(r, f, {}))(out_r, out_f)
            except RuntimeError:  # an operation or a Python branch on values that vmap cannot map
                self._unmappable.add(name)
        return torch.stack([loss(None if out_r is None else member_out(out_r, k), member_out(out_f, k),
                                 self.states[k]) for k in range(self.n)])

    def _d_update(self, record: bool) -> None:
        n, objective = self.cfg.train.batch_size, self.objective
        x_r = self.real(n)
        with torch.no_grad():
            x_f = self.G(self.latent(n))
            x_f2 = self.G(self.latent(n)) if objective.fake_batches == 2 else None
        out_r, out_f = self.D(x_r), self.D(x_f)  # separate passes, as the single run scores them
        if x_f2 is not None:
            out_f = (out_f, self.D(x_f2))
        losses = self._member_losses(objective.d_loss, out_r, out_f)
        penalties = self.penalties(x_r, x_f, out_r, out_f)
        totals = losses if penalties is None else losses + penalties
        self._check(totals.detach(), "D loss" if penalties is None else "D loss + penalty")
        self.opt_d.zero_grad(set_to_none=True)
        totals.sum().backward()  # the SUM: member k's gradient is that of its own loss
        if record:
            with torch.no_grad():
                d_real = self.scores(out_r, out_r, out_f).mean(1)
                d_fake = self.scores(objective.first_fake(out_f), out_r, out_f).mean(1)
            totals, layers = self._member_grad_norms(self.D)
            for k, last in enumerate(self._last):
                last.update(loss_d=losses[k].detach(), d_real=d_real[k], d_fake=d_fake[k], grad_norm_d=totals[k],
                            penalty=penalties[k].detach() if penalties is not None else torch.zeros(()))
                last.update({f"grad_d_{i}": g[k] for i, g in enumerate(layers)})
        self.opt_d.step()
        if self.lipschitz.name == "clip":
            self.lipschitz.after_step(self.D)  # elementwise: every member clamped as its own D would be
        if objective.update_state is not keep_state:  # a stateless objective: no per-member Python loop
            detached_r, detached_f = detach_out(out_r), detach_out(out_f)
            self.states = [objective.update_state(self.states[k], member_out(detached_r, k),
                                                  member_out(detached_f, k)) for k in range(self.n)]
        if record:
            for state, last in zip(self.states, self._last, strict=True):
                last.update(state)

    def _g_update(self, record: bool) -> None:
        n, objective = self.cfg.train.batch_size, self.objective
        self.D.requires_grad_(False)
        try:
            x_f = self.G(self.latent(n))
            x_f2 = self.G(self.latent(n)) if objective.fake_batches == 2 else None
            out_f = self.D(x_f)
            if x_f2 is not None:
                out_f = (out_f, self.D(x_f2))
            out_r = self.D(self.real(n)) if objective.g_needs_real else None
            losses = self._member_losses(objective.g_loss, out_r, out_f)
            self._check(losses.detach(), "G loss")
            self.opt_g.zero_grad(set_to_none=True)
            losses.sum().backward()
        finally:
            self.D.requires_grad_(True)
        if record:
            totals, layers = self._member_grad_norms(self.G)
            for k, last in enumerate(self._last):
                last.update(loss_g=losses[k].detach(), grad_norm_g=totals[k])
                last.update({f"grad_g_{i}": g[k] for i, g in enumerate(layers)})
        self.opt_g.step()

    def _check_parameters(self) -> None:
        """NonFiniteError naming the first member (seed) with a NaN or Inf parameter, gradient or optimizer state."""
        bad = torch.zeros(self.n, dtype=torch.bool, device=self.device)
        for net, opt in ((self.G, self.opt_g), (self.D, self.opt_d)):
            for p in net.parameters():
                state = opt.state.get(p, {}) if opt is not None else {}
                for value in (p, p.grad, *state.values()):
                    if isinstance(value, torch.Tensor) and value.dim() > 0:
                        # per member: the largest magnitude is NaN or inf iff one is (amax propagates NaN);
                        # measured 5× faster than isfinite(...).all on a (32, 128, 128) tensor, one CPU thread
                        dims = tuple(range(1, value.dim()))
                        bad |= ~value.detach().abs().amax(dim=dims).isfinite()
        if bad.any():
            k = int(bad.nonzero()[0, 0])
            raise NonFiniteError(f"a parameter, gradient or optimizer state of member seed {self.seeds[k]} became "
                                 f"non-finite by step {self.step_count} (loss {self.cfg.loss.name}, Lipschitz "
                                 f"{self.cfg.lipschitz.name})")

    def _round(self, d_steps: int, g_steps: int, pause: Callable[[], None] | None = None) -> dict | None:
        """One step of every member: ``d_steps`` D updates then ``g_steps`` G updates; the rows on logged steps."""
        logged = (self.step_count + 1) % self.cfg.train.log_every == 0
        if logged:
            self._last = [{} for _ in range(self.n)]
        if self.opt_d is None:
            d_steps = 0
        try:
            for i in range(d_steps):
                self._d_update(record=logged and i == d_steps - 1)
            for i in range(g_steps):
                self._g_update(record=logged and i == g_steps - 1)
            self.step_count += 1
            self.version += 1
            if logged:
                self._check_parameters()
        except NonFiniteError as err:
            step = self._restore()
            raise NonFiniteError(f"{err}; every member's weights of step {step} (the last finite ones) are kept"
                                 ) from None
        self._snapshot = self._state()
        return self.metrics_row(pause=pause) if logged else None

    def step(self, pause: Callable[[], None] | None = None) -> dict | None:
        """One training step of every member; on logged steps ``{"step": s, MEMBERS: [member rows]}``."""
        return self._round(self.cfg.train.d_steps, self.cfg.train.g_steps, pause)

    # -------------------------------------------------------------------------------------- commands
    def apply(self, what: str, value=None) -> dict:
        """A mid-run change for every member, recorded as an event ``{step, what, old, new}`` (as
        ``engine.Trainer.apply``); ConfigError for what is not allowed (and for a remedy)."""
        step = self.step_count
        old, new = run_command(what, value, self.cfg, self._action, self._set)
        event = {"step": step, "what": what, "old": old, "new": new}
        self.events.append(event)
        return event

    def _set(self, key: str, value) -> None:
        if key == "data.path":
            check_data_change(self.cfg)  # refused: a seed ensemble's data do not change live (yet)
        if key == "remedy.name" and value != "none":
            raise ConfigError(f"remedy.name: {value} does not work in a seed ensemble yet (train.seeds > 1); "
                              "allowed there: none")
        if key == "loss.name":
            objective = get_objective(value)
            check_lipschitz(objective, self.cfg.lipschitz.name)
            check_objective(objective)
        elif key == "lipschitz.name":
            check_lipschitz(self.objective, value)
        self.cfg = C.with_value(self.cfg, key, value)
        self.member_cfgs = [C.with_value(c, key, value) for c in self.member_cfgs]
        if key == "loss.name":
            if objective.head != self.d_head:
                self._switch_d(objective)
            self.objective = objective
            self.states = [objective.init_state() for _ in range(self.n)]
        elif key.startswith("lipschitz."):
            if key == "lipschitz.name":
                self._detach(self.D)
                self.lipschitz = make_method(self.cfg.lipschitz)
                self._attach(self.D)
            elif self.cfg.lipschitz.name != "sn":
                self.lipschitz = make_method(self.cfg.lipschitz)
        elif key in ("optim.lr_d", "optim.lr_g", "optim.beta1", "optim.beta2"):
            for opt, lr in ((self.opt_d, "optim.lr_d"), (self.opt_g, "optim.lr_g")):
                for group in (opt.param_groups if opt is not None else ()):
                    if key == lr:
                        group["lr"] = value
                    if "betas" in group and key.startswith("optim.beta"):
                        group["betas"] = (self.cfg.optim.beta1, self.cfg.optim.beta2)
        elif key == "optim.name":
            self.opt_d = self._d_optimizer()
            self.opt_g = make_optimizer(self.cfg.optim, self.G.parameters(), self.cfg.optim.lr_g)
        self.version += 1
        self._snapshot = self._state()

    def _switch_d(self, objective: Objective) -> None:
        """Keep G; a fresh D of ``objective``'s head per member, seeded as the single run's switch
        (``seed + D_SWITCH_SEED·(step + 1)``), its optimizer, and the Lipschitz method attached."""
        shape = self.dataset.shape
        members = []
        with torch.random.fork_rng(devices=[]):
            for seed in self.seeds:
                torch.manual_seed(seed + D_SWITCH_SEED * (self.step_count + 1))
                members.append(build_d(objective, self.cfg.model, shape))
        self._plain = (self._plain[0], copy.deepcopy(members[0]))
        self.D = BatchedNet(members).to(self.device)
        self.d_head = objective.head
        self._attach(self.D)
        self.opt_d = self._d_optimizer()

    def _action(self, what: str, value) -> tuple:
        if what == "step_d":
            self._round(1, 0)
            return None, None
        if what == "step_g":
            self._round(0, 1)
            return None, None
        if what == "reset":
            self._build_nets()
            return None, self.cfg.train.seed
        # reseed: member k draws from seed S + k from now on (as run k given reseed S + k); nets are kept
        seed = C.parse_value("train.seed", value if value is not None else self.cfg.train.seed + 1)
        old = self.cfg.train.seed
        self.cfg = C.with_value(self.cfg, "train.seed", seed)
        self.seeds = [seed + k for k in range(self.n)]
        self.member_cfgs = [C.with_value(c, "train.seed", s) for c, s in zip(self.member_cfgs, self.seeds,
                                                                             strict=True)]
        self.rngs = [torch.Generator().manual_seed(s) for s in self.seeds]
        return old, seed

    # ------------------------------------------------------------------------------------- weights
    def member_nets(self, k: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        """Plain copies of member k's G and D with its current weights (D's spectral norm folded in)."""
        G, D = copy.deepcopy(self._plain[0]), copy.deepcopy(self._plain[1])
        G.load_state_dict(self.G.member_state(k))
        D.load_state_dict(self.D.member_state(k, effective=True))
        return G.to(self.device), D.to(self.device)

    def weights(self) -> dict[str, np.ndarray]:
        """Both nets' raw tensors stacked over the members, (N, …), keys ``G/<name>`` and ``D/<name>`` as a
        member's plain net names them."""
        out = {}
        for prefix, net in (("G", self.G), ("D", self.D)):
            states = [net.member_state(k) for k in range(self.n)]
            for key in states[0]:
                out[f"{prefix}/{key}"] = torch.stack([s[key] for s in states]).cpu().numpy()
        return out

    def load_weights(self, arrays: dict) -> None:
        """Load arrays saved by ``weights()`` (a leading member axis of N); a misfit is a ConfigError naming it."""
        expected = {k: v.shape for k, v in self.weights().items()}
        for key, shape in expected.items():
            if key not in arrays or tuple(np.shape(arrays[key])) != shape:
                got = "missing" if key not in arrays else f"shape {tuple(np.shape(arrays[key]))}"
                raise ConfigError(f"weights do not fit this ensemble: {key} is {got}, needed {shape}")
        for prefix, net in (("G", self.G), ("D", self.D)):
            for k in range(self.n):
                net.load_member(k, {key.split("/", 1)[1]: torch.as_tensor(np.asarray(v)[k])
                                    for key, v in arrays.items() if key.startswith(prefix + "/")})
        if self.lipschitz.name == "sn":  # fresh starting vectors for the loaded weights (as detach + attach)
            self._detach(self.D)
            self._attach(self.D)
        self.version += 1
        self._snapshot = self._state()

    # ---------------------------------------------------------------------------------- measurement
    def _training_row(self, k: int) -> dict:
        row: dict = {"step": self.step_count, SEED_COLUMN: self.seeds[k]}
        row.update({key: float(value) for key, value in self._last[k].items()})
        return row

    def metrics_row(self, full: bool = False, pause: Callable[[], None] | None = None) -> dict:
        """``{"step": s, MEMBERS: [...]}``: every member's row (training values, measurements at their cadence)."""
        rows = [{**self._training_row(k), **measurer.measure(full=full, pause=pause)}
                for k, measurer in enumerate(self.measurers)]
        return {"step": self.step_count, MEMBERS: [self._in_header(row) for row in rows]}

    def _in_header(self, row: dict) -> dict:
        """``row`` without columns beyond the run's header (per-layer D columns of a D switched to another head)."""
        allowed = set(self.columns())
        return {k: v for k, v in row.items() if k in allowed}

    def final_state(self) -> tuple[dict, np.ndarray, dict[str, np.ndarray]]:
        """(``{"step", MEMBERS}`` with every member's full row, samples (N, m, *shape), stacked weights)."""
        rows, samples = [], []
        for k, measurer in enumerate(self.measurers):
            measured, fake = measurer.final_state()
            rows.append(self._in_header({**self._training_row(k), **measured}))
            samples.append(fake)
        return {"step": self.step_count, MEMBERS: rows}, np.stack(samples), self.weights()

    @property
    def measure_seconds(self) -> float:
        """Time spent measuring all members so far."""
        return sum(m.measure_seconds for m in self.measurers)

    def next_step_measures(self) -> bool:
        """Whether the next step ends with a measurement."""
        step = self.step_count + 1
        return step % self.cfg.train.log_every == 0 and self.measurers[0].measures_at(step)

    def columns(self) -> list[str]:
        """The member rows' columns: a single run's, with ``seed`` after ``step`` (fixed at the start of a run)."""
        if self._columns is None:
            single = self.measurers[0].columns()
            self._columns = [single[0], SEED_COLUMN, *single[1:]]
        return self._columns

    def frame(self, grid: int | None = None, probe: bool = True, member: int = 0) -> Frame:
        """A Frame of one member (the first by default), with every member's small views (``tiles``)."""
        frame = self.measurers[member].frame(grid or self.cfg.metrics.grid, probe)
        if not self.dataset.is_image:
            frame.members = self.tiles(probe, member)
        return frame

    def tiles(self, probe: bool = True, shown: int = 0) -> MemberTiles:
        """Every member's small views in one batched pass: its first ``TILE_POINTS`` display samples (the codes its
        own frame draws) and, on 2D data with ``probe``, its D on a ``TILE_GRID``² grid over the data's bounds in
        the units its own surface draws (``scores``: the witness on its own display batch for the kernel heads).
        Measured on 2 CPU cores, default 2D preset: see tests/test_ensemble_window.py and the report."""
        batches = [display_batch(m) for m in self.measurers]
        z = torch.stack([b[0][:TILE_POINTS] for b in batches]).to(self.device)
        tiles = MemberTiles(seeds=tuple(self.seeds), fake=np.zeros((self.n, 0, self.dataset.dim)), shown=shown)
        with eval_mode(self.G, self.D), torch.no_grad():
            fake = self.G(z)
            tiles.fake = fake.flatten(2).cpu().numpy()
            if not probe or self.dataset.dim != 2 or self.objective.joint_loss is not None:
                return tiles
            bounds = np.asarray(self.dataset.bounds, dtype=float)
            xs, ys = (np.linspace(lo, hi, TILE_GRID) for lo, hi in bounds)
            grid = np.stack(np.meshgrid(xs, ys), -1).reshape(1, -1, 2)
            points = torch.as_tensor(grid, dtype=torch.float32, device=self.device).expand(self.n, -1, -1)
            out_x = self.D(points)
            out_r = out_f = None
            if self.objective.head != "score":  # the witness needs reference outputs on the member's own batch
                real = torch.stack([torch.as_tensor(b[1][:WITNESS_POINTS], dtype=torch.float32) for b in batches])
                out_r, out_f = self.D(real.to(self.device)), self.D(fake[:, :WITNESS_POINTS])
                if self.objective.fake_batches == 2:
                    out_f = (out_f, self.D(fake[:, -WITNESS_POINTS:]))
            scores = self.scores(out_x, out_r, out_f)
        tiles.xs, tiles.ys = xs, ys
        tiles.scores = scores.reshape(self.n, TILE_GRID, TILE_GRID).cpu().numpy()
        return tiles

    def member_weights(self, k: int) -> dict[str, np.ndarray]:
        """Member k's raw weights under the plain run's keys (``G/<name>``, ``D/<name>``, as ``Trainer.weights``):
        ``Trainer(member_cfg(cfg, k)).load_weights`` continues member k as a plain run."""
        return {key: value[k] for key, value in self.weights().items()}

    def invert(self, point):
        """Inversion is a single run's tool: a ConfigError saying so (open one member alone first)."""
        raise ConfigError("inversion works on a single run, not a seed ensemble (train.seeds > 1); click a member "
                          "in the Seeds tab to open it alone")


class MembersRecorder:
    """A recorder (``runner.Recorder``) for an ensemble: each member row of an ensemble row goes to ``writer``
    (a ``runs.RunWriter`` whose columns have ``seed``); events pass through."""

    def __init__(self, writer):
        self.writer = writer

    def row(self, row: dict) -> None:
        """Write every member row."""
        for member in row[MEMBERS]:
            self.writer.row(member)

    def event(self, event: dict) -> None:
        """Write the event."""
        self.writer.event(event)


SUMMARY_COLUMNS = ("modes", "modes_reached", "hq", "js", "w1", "w1_fast", "sw1", "loss_d", "loss_g")


def summary(rows: list[dict], columns: tuple[str, ...] = SUMMARY_COLUMNS) -> list[str]:
    """Lines summarising the members' final rows: per column, the median and the range over seeds (columns every
    row lacks are left out)."""
    lines = [f"{len(rows)} seeds ({int(rows[0][SEED_COLUMN])}…{int(rows[-1][SEED_COLUMN])}) at step "
             f"{int(rows[0]['step'])}: median [min … max] over seeds"]
    for column in columns:
        values = [row[column] for row in rows if row.get(column) is not None and np.isfinite(row[column])]
        if values:
            lines.append(f"  {column:14s} {statistics.median(values):10.4g}  [{min(values):.4g} … {max(values):.4g}]"
                         f"{'' if len(values) == len(rows) else f'  ({len(values)} of {len(rows)} seeds)'}")
    return lines

