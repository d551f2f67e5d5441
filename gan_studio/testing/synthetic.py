"""A stand-in trainer that makes realistic Frames with NumPy only (no torch, no learning).

It has the Trainer interface the worker uses (``step``, ``apply``, ``frame``, ``cfg``, ``step_count``,
``device``, and for recording, saving and opening runs ``columns``, ``metrics_row``, ``generate``,
``measurement_rng``, ``weights``, ``load_weights``) so the window, the worker and their tests can run in
well under a second, without torch. Its "weights" are a few arrays shaped by the model config.
Its numbers are made up: the generator drifts from a blob at the origin towards a *subset* of the data
modes (a cartoon of mode collapse), and the "discriminator" is log p_data − log p_g of those cartoons.
Nothing here is an estimate of anything; never show it as a result.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np

from gan_studio import columns, config
from gan_studio.config import ConfigError
from gan_studio.frames import MEMBERS, Curves1D, Display, Frame, Inversion, MemberTiles, Surface2D
from gan_studio.runs import SEED_COLUMN

CLASSIFIER = ("minimax", "ns")
FINAL_SAMPLES = 2500  # like the engine: samples.npy holds max(metrics.n_samples, this) samples


class SyntheticError(ValueError):
    """Raised by ``step`` to imitate ``engine.NonFiniteError`` (tests set ``optim.lr_d`` ≥ 5)."""


def _modes(name: str) -> tuple[np.ndarray, float, np.ndarray]:
    """Centres, std and plot bounds of the cartoon data set."""
    if name == "grid25":
        g = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        c = np.array([(a, b) for a in g for b in g])
        return c, 0.05, np.array([[-5.5, 5.5], [-5.5, 5.5]])
    if name in ("gauss1d", "shifted1d", "bimodal1d", "trimodal1d", "uniform1d", "file"):
        c = {"gauss1d": [[0.0]], "shifted1d": [[4.0]], "bimodal1d": [[-2.0], [2.0]],
             "trimodal1d": [[-3.0], [0.0], [3.0]], "uniform1d": [[0.0]], "file": [[0.0]]}[name]
        return np.array(c), 0.5, np.array([[-5.0, 7.0]])
    k = np.arange(8)
    c = 2.0 * np.stack([np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)], 1)
    return c, 0.02 if name == "ring8" else 0.15, np.array([[-3.0, 3.0], [-3.0, 3.0]])


def _gauss_mix(x: np.ndarray, centres: np.ndarray, std: float) -> np.ndarray:
    """Equal-weight isotropic Gaussian mixture density at (m, d) points."""
    d = x.shape[1]
    sq = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
    return np.exp(-sq / (2 * std**2)).mean(1) / (2 * np.pi * std**2) ** (d / 2)


@dataclass(frozen=True)
class SyntheticState:
    """A stand-in trainer's ``state()``: its attributes, deep-copied."""

    values: dict

    def nbytes(self) -> int:
        """Bytes of its weights (what the snapshot store counts)."""
        return sum(v.nbytes for v in self.values["params"].values())


class SyntheticTrainer:
    """Trainer look-alike producing cartoon frames; see the module docstring."""

    STEP_S = 0.003  # each step sleeps this long: ~300 steps/s like the real engine, without using the CPU

    def __init__(self, cfg: config.Config):
        self.cfg = cfg
        self.device = "cpu"
        self.events: list[dict] = []
        self._setup()

    def _setup(self) -> None:
        self.step_count = 0
        self.rng = np.random.default_rng(self.cfg.train.seed)
        self.centres, self.std, self.bounds = _modes(self.cfg.data.name)
        self.dim = self.centres.shape[1]
        self.kind = f"{self.dim}d"
        k = len(self.centres)
        self.kept = self.centres[: max(1, (k + 2) // 3)]  # the modes the cartoon generator collapses onto
        self.z = np.random.default_rng(1).normal(size=(400, max(1, self.cfg.model.latent_dim)))
        m, w = self.cfg.model, np.random.default_rng(self.cfg.train.seed)
        self.params = {"G/0.weight": w.normal(size=(m.hidden, m.latent_dim)).astype(np.float32),
                       "G/1.weight": w.normal(size=(self.dim, m.hidden)).astype(np.float32),
                       "D/0.weight": w.normal(size=(m.hidden, self.dim)).astype(np.float32),
                       "D/1.weight": w.normal(size=(1, m.hidden)).astype(np.float32)}

    # -- training -------------------------------------------------------------------------------------------
    def _progress(self) -> float:
        return 1.0 - math.exp(-self.step_count / 1500.0)

    def step(self, pause=None) -> dict | None:
        """Advance one step; return a metrics row every ``train.log_every`` steps (``pause``: see metrics_row)."""
        if self.cfg.optim.lr_d >= 5.0:
            raise SyntheticError(f"non-finite loss_d (nan) at step {self.step_count + 1}")
        time.sleep(self.STEP_S)
        self.step_count += 1
        if self.step_count % self.cfg.train.log_every:
            return None
        return self.metrics_row(pause=pause)

    def next_step_measures(self) -> bool:
        """Whether the next step's row carries the measurement columns (every ``metrics.every`` logged steps)."""
        step = self.step_count + 1
        return step % self.cfg.train.log_every == 0 and step % self.cfg.metrics.every == 0

    @property
    def measure_seconds(self) -> float:
        """Seconds spent measuring: none (nothing is measured)."""
        return 0.0

    def metrics_row(self, full: bool = False, pause=None) -> dict:
        """A row like the engine's: training columns, and measurements every ``metrics.every`` steps or ``full``;
        ``pause`` (if given) is called once in the middle of a measurement, as the engine calls it between parts."""
        a, t = self._progress(), self.step_count
        r = self.rng.normal
        row = {"step": t, "loss_d": 1.386 - 0.4 * a + 0.02 * r(), "loss_g": 0.69 + 0.5 * a + 0.02 * r(),
               "d_real": 0.8 * a + 0.05 * r(), "d_fake": -0.8 * a + 0.05 * r(),
               "penalty": 0.0, "grad_norm_d": 1 + a, "grad_norm_g": 0.5 + a}
        for i in range(self.cfg.model.depth + 1):
            row[f"grad_d_{i}"] = (0.1 + a) * 10 ** (-0.3 * i) * math.exp(0.1 * r())
            row[f"grad_g_{i}"] = (0.05 + a) * 10 ** (-0.2 * i) * math.exp(0.1 * r())
        if full or t % self.cfg.metrics.every == 0:
            if pause is not None:
                pause()
            js = math.log(2) * (1 - 0.6 * a)
            w1 = 2.5 * (1 - 0.7 * a)
            lip = 1.0 + 0.5 * a
            row.update(js=js + 0.01 * r(), js_floor=0.01, w1=w1, w1_floor=0.05, sw1=0.7 * w1,
                       w1_critic=0.8 * w1 * lip, lip=lip, w1_lb=0.8 * w1,
                       modes=float(round(len(self.kept) * a)), hq=60 * a, rkl=0.3,
                       modes_reached=float(min(len(self.centres), round(len(self.kept) * a) + 1)))
            if self.dim == 2:
                row.update(w1_fast=w1 * 1.05 + 0.02 * r(), w1_fast_floor=0.08)
            row.update(gx_real=lip * 0.6, gx_fake=lip * 0.4, gx_interp=lip * 0.5)
            row.update({f"sigma_d_{i}": 1.0 + 0.1 * i * a for i in range(self.cfg.model.depth + 1)})
            row.update({f"grad_act_d_{i}": lip * 10 ** (0.2 * i) for i in range(self.cfg.model.depth + 1)})
            if row["hq"] == 0:  # no high-quality sample yet: rkl is undefined, and the note says so (columns.NOTES)
                row.update(rkl=math.nan, note=4.0)
            if self.cfg.loss.name in CLASSIFIER:
                row["js_d"] = 0.8 * js
            if self.cfg.loss.name.startswith("fgan-"):
                row["fdiv_d"] = 0.5 * js
        return row

    def final_state(self) -> tuple[dict, np.ndarray, dict]:
        """(full final row, saved samples, weights), like ``Trainer.final_state``."""
        n = max(self.cfg.metrics.n_samples, FINAL_SAMPLES)
        return self.metrics_row(full=True), self.generate(n, self.measurement_rng(salt=99)), self.weights()

    def columns(self) -> list[str]:
        """Every column ``metrics_row`` can fill, in order: the column registry's, like ``Trainer.columns``."""
        n = self.cfg.model.depth + 1
        return columns.run_columns(self.kind, n, n)

    def measurement_rng(self, salt: int = 0) -> np.random.Generator:
        """A generator seeded from (seed, step, salt), like the engine's."""
        return np.random.default_rng((self.cfg.train.seed, self.step_count, salt))

    def generate(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` cartoon generated samples (NumPy, N×dim)."""
        return self._fake(rng.normal(size=(n, max(1, self.cfg.model.latent_dim)))).astype(np.float32)

    def weights(self) -> dict[str, np.ndarray]:
        """The cartoon weights (they change nothing in the pictures)."""
        return {k: v.copy() for k, v in self.params.items()}

    def load_weights(self, arrays: dict) -> None:
        """Load ``weights()`` arrays; missing or misshapen ones are a ConfigError naming them, like the engine."""
        for key, value in self.params.items():
            if key not in arrays:
                raise ConfigError(f"weights do not fit this config: {key} is missing")
            if np.shape(arrays[key]) != value.shape:
                raise ConfigError(f"weights do not fit this config: {key} has shape {np.shape(arrays[key])}, "
                                  f"this config's model needs {value.shape}")
        self.params = {k: np.array(arrays[k], dtype=np.float32) for k in self.params}

    def state(self, reuse: SyntheticState | None = None) -> SyntheticState:
        """Everything it holds (config, step, generator, weights, events), deep-copied, like ``Trainer.state``
        (``reuse`` is accepted and ignored: its few small arrays are not worth reusing)."""
        return SyntheticState(copy.deepcopy(vars(self)))

    def restore(self, state: SyntheticState) -> None:
        """Put back a ``state()`` (a copy of it: the snapshot restores again)."""
        vars(self).update(copy.deepcopy(state.values))

    def apply(self, what: str, value=None) -> dict:
        """Apply a command between steps and return its event ``{step, what, old, new}``."""
        if what in ("step_d", "step_g"):
            event = {"step": self.step_count, "what": what, "old": None, "new": None}
        elif what == "reset":  # unlike the engine's, this reset also restarts the step count
            step = self.step_count
            self._setup()
            event = {"step": step, "what": what, "old": None, "new": None}
        elif what == "reseed":
            old = self.cfg.train.seed
            self.cfg = config.with_value(self.cfg, "train.seed", value)
            self.rng = np.random.default_rng(self.cfg.train.seed)
            event = {"step": self.step_count, "what": what, "old": old, "new": self.cfg.train.seed}
        else:
            old = config.get(self.cfg, what)
            self.cfg = config.with_value(self.cfg, what, value)
            event = {"step": self.step_count, "what": what, "old": old, "new": config.get(self.cfg, what)}
        self.events.append(event)
        return event

    def invert(self, point) -> Inversion:
        """A cartoon inversion: the best code of a 41-point grid per latent axis over [−3, 3] (no descent), its
        "search path" the straight line from the origin to it."""
        target = np.asarray(point, dtype=np.float64).ravel()
        if target.shape != (self.dim,) or not np.all(np.isfinite(target)):
            raise ConfigError(f"inversion: the point must be {self.dim} finite number(s), got {list(target)}")
        d = min(max(1, self.cfg.model.latent_dim), 2)
        axes = np.meshgrid(*[np.linspace(-3, 3, 41)] * d)
        codes = np.stack([a.ravel() for a in axes], 1)
        errors = np.linalg.norm(self._fake(codes) - target, axis=1)
        z = codes[int(np.argmin(errors))]
        paths_z = np.linspace(0, 1, 9)[:, None] * z  # (9, d)
        paths_x = self._fake(paths_z)
        return Inversion(step=self.step_count, target=target, paths_z=paths_z[None], paths_x=paths_x[None],
                         errors=np.array([errors.min()]), best=0, z=z, x=paths_x[-1], error=float(errors.min()),
                         method="synthetic grid search (a stand-in)")

    # -- drawing --------------------------------------------------------------------------------------------
    def display(self) -> Display:
        """The cartoon's display facts: classifier losses draw σ(D) against D*, the others the raw score."""
        n_modes = len(self.centres)
        if self.cfg.loss.name in CLASSIFIER:
            return Display(d_view="probability", decision_level=0.5, d_label="σ(D(x)) = P(real)",
                           d_curve_label="σ(D(x)) = P(real)", d_reference="optimal_d", kind=self.kind,
                           n_modes=n_modes)
        return Display(kind=self.kind, n_modes=n_modes)

    def _fake(self, z: np.ndarray) -> np.ndarray:
        a = self._progress()
        z2 = z[:, : self.dim] if z.shape[1] >= self.dim else np.repeat(z[:, :1], self.dim, 1)
        idx = (np.abs(z2[:, 0]) * 7).astype(int) % len(self.kept)
        return (1 - a) * 0.6 * z2 + a * (self.kept[idx] + 0.1 * z2)

    def frame(self, grid: int = 100, probe: bool = True) -> Frame:
        """A cartoon Frame for the current step (rows and events empty: the worker fills them);
        ``probe=False`` leaves out the surface, curves and latent grid, like the engine's cheap frames."""
        rng = np.random.default_rng(self.step_count)
        real_idx = rng.integers(len(self.centres), size=len(self.z))
        real = self.centres[real_idx] + self.std * rng.normal(size=(len(self.z), self.dim))
        fake = self._fake(self.z)
        a = self._progress()
        frame = Frame(step=self.step_count, dim=self.dim, loss=self.cfg.loss.name, lipschitz=self.cfg.lipschitz.name,
                      bounds=self.bounds.copy(), real=real.astype(np.float32), fake=fake.astype(np.float32),
                      status=f"synthetic trainer · step {self.step_count}", display=self.display())
        g_centres = (1 - a) * np.zeros((1, self.dim)) + a * self.kept
        g_std = 0.6 * (1 - a) + 0.1 * a + 0.05
        frame.push = (np.repeat(self.kept[:1], len(fake), 0) - fake).astype(np.float32) * (1 - a + 0.1)
        if not probe:
            return frame
        if self.dim == 2:
            xs = np.linspace(*self.bounds[0], grid)
            ys = np.linspace(*self.bounds[1], grid)
            pts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
            p_d = _gauss_mix(pts, self.centres, max(self.std, 0.25))
            p_g = _gauss_mix(pts, g_centres, g_std)
            score = np.clip(np.log(p_d + 1e-6) - np.log(p_g + 1e-6), -8, 8) * (0.2 + a)
            frame.surface = Surface2D(xs=xs, ys=ys, score=score.reshape(grid, grid).astype(np.float32),
                                      gen_density=p_g.reshape(grid, grid).astype(np.float32),
                                      data_density=p_d.reshape(grid, grid).astype(np.float32))
            k = 15
            u = np.linspace(-2.5, 2.5, k)
            zz = np.stack(np.meshgrid(u, u), -1)  # (k, k, 2): rows vary x, columns vary y
            lines = np.stack([zz, zz.transpose(1, 0, 2)])
            frame.latent_grid = self._fake(lines.reshape(-1, 2)).reshape(2, k, k, 2).astype(np.float32)
        else:
            xs = np.linspace(*self.bounds[0], max(grid, 50) * 2)
            p_d = _gauss_mix(xs[:, None], self.centres, self.std)
            p_g = _gauss_mix(xs[:, None], g_centres, g_std)
            score = np.clip(np.log(p_d + 1e-9) - np.log(p_g + 1e-9), -10, 10) * (0.3 + a)
            cd = np.cumsum(p_d) * (xs[1] - xs[0])
            cg = np.cumsum(p_g) * (xs[1] - xs[0])
            crit = np.cumsum(np.sign(cg - cd)) * (xs[1] - xs[0])
            crit -= (crit * p_d).sum() / max(p_d.sum(), 1e-12)
            z = np.linspace(-3, 3, 41) if self.cfg.model.latent_dim == 1 else None
            frame.curves = Curves1D(xs=xs, data_density=p_d, gen_density=p_g,
                                    gen_density_method="synthetic (not an estimate)", score=score,
                                    optimal_d=p_d / (p_d + p_g + 1e-12), optimal_critic=crit,
                                    z=z, gz=None if z is None else self._fake(z[:, None])[:, 0])
        return frame


class SyntheticEnsemble:
    """A seed ensemble look-alike (``ensemble.EnsembleTrainer``) of N stand-in trainers with seeds ``seed + k``,
    for the window's tests without torch. Member k collapses onto its own number of modes (1 + 3k mod the
    modes), so the members' curves and modes covered spread. Rows: ``{"step", MEMBERS: [rows with a seed]}``."""

    STEP_S = SyntheticTrainer.STEP_S

    def __init__(self, cfg: config.Config):
        self.cfg = cfg
        self.device = "cpu"
        self.events: list[dict] = []
        self.n = cfg.train.seeds
        self._setup()

    def _setup(self) -> None:
        self.seeds = [self.cfg.train.seed + k for k in range(self.n)]
        self.member_cfgs = [config.with_value(config.with_value(self.cfg, "train.seeds", 1), "train.seed", s)
                            for s in self.seeds]
        self.members = [SyntheticTrainer(c) for c in self.member_cfgs]
        for k, member in enumerate(self.members):
            member.kept = member.centres[: 1 + (3 * k) % len(member.centres)]
            member.STEP_S = 0.0  # the ensemble sleeps once per step, like one batched model
        self.step_count = 0

    measure_seconds = 0.0

    def step(self, pause=None) -> dict | None:
        """One step of every member; on logged steps ``{"step", MEMBERS: [...]}``."""
        if self.cfg.optim.lr_d >= 5.0:
            raise SyntheticError(f"non-finite loss_d (nan) at step {self.step_count + 1}")
        time.sleep(self.STEP_S)
        rows = [member.step() for member in self.members]
        self.step_count += 1
        return None if rows[0] is None else self._row(rows)

    def _row(self, rows: list[dict]) -> dict:
        return {"step": self.step_count, MEMBERS: [{"step": row["step"], SEED_COLUMN: s, **row}
                                                  for row, s in zip(rows, self.seeds, strict=True)]}

    def next_step_measures(self) -> bool:
        """As a member's."""
        return self.members[0].next_step_measures()

    def metrics_row(self, full: bool = False, pause=None) -> dict:
        """Every member's row."""
        return self._row([member.metrics_row(full, pause) for member in self.members])

    def columns(self) -> list[str]:
        """A member's columns with ``seed`` after ``step``."""
        single = self.members[0].columns()
        return [single[0], SEED_COLUMN, *single[1:]]

    def final_state(self) -> tuple[dict, np.ndarray, dict]:
        """(every member's full row, samples (N, m, dim), stacked weights)."""
        states = [member.final_state() for member in self.members]
        return self._row([s[0] for s in states]), np.stack([s[1] for s in states]), self.weights()

    def weights(self) -> dict[str, np.ndarray]:
        """The members' cartoon weights stacked, (N, …)."""
        return {key: np.stack([m.params[key] for m in self.members]) for key in self.members[0].params}

    def member_weights(self, k: int) -> dict[str, np.ndarray]:
        """Member k's weights under a plain run's keys."""
        return self.members[k].weights()

    def load_weights(self, arrays: dict) -> None:
        """Load ``weights()`` arrays (a leading member axis)."""
        for k, member in enumerate(self.members):
            member.load_weights({key: np.asarray(v)[k] for key, v in arrays.items()})

    def apply(self, what: str, value=None) -> dict:
        """A change for every member (a reseed S gives member k the seed S + k); the event names the ensemble's."""
        old = new = None
        if what == "reset":
            self._setup()
        elif what not in ("step_d", "step_g"):
            key = "train.seed" if what == "reseed" else what
            old = config.get(self.cfg, key)
            new = config.parse_value(key, value if value is not None or what != "reseed" else old + 1)
            for k, member in enumerate(self.members):
                member.apply(what, new + k if what == "reseed" else new)
            self.cfg = config.with_value(self.cfg, key, new)
            self.seeds = [member.cfg.train.seed for member in self.members]
            self.member_cfgs = [member.cfg for member in self.members]
        event = {"step": self.step_count, "what": what, "old": old, "new": new}
        self.events.append(event)
        return event

    def invert(self, point):
        """Refused, as the ensemble's."""
        raise ConfigError("inversion works on a single run, not a seed ensemble (train.seeds > 1)")

    def frame(self, grid: int = 100, probe: bool = True) -> Frame:
        """Member 0's cartoon frame with every member's small views (``frames.MemberTiles``)."""
        frame = self.members[0].frame(grid, probe)
        tiles = MemberTiles(seeds=tuple(self.seeds), fake=np.stack([m._fake(m.z[:96]) for m in self.members]))
        if probe and frame.surface is not None:
            small = [m.frame(16, True).surface for m in self.members]
            tiles.xs, tiles.ys = small[0].xs, small[0].ys
            tiles.scores = np.stack([s.score for s in small])
        frame.members = tiles
        return frame


def synthetic_trainer(cfg: config.Config):
    """The stand-in for ``ensemble.make_trainer``: a SyntheticTrainer, or a SyntheticEnsemble for seeds > 1."""
    return SyntheticTrainer(cfg) if cfg.train.seeds == 1 else SyntheticEnsemble(cfg)
