"""Experiment configuration: frozen dataclasses, TOML in and out, validation with field paths.

This module is the single source of truth for every default and for the set of allowed names
(data sets, objectives, Lipschitz methods, optimizers, ...). The modules that implement those names
(``objectives/``, ``lipschitz.py``, ``data/``) register exactly the names listed in ``CHOICES``;
a test checks that they agree. It imports neither torch nor Qt, so the GUI can use it.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A bad configuration value; the message names the key and what is allowed."""


# Allowed names with a one-line description each (shown by the CLI and as GUI tooltips).
CHOICES: dict[str, dict[str, str]] = {
    "data.name": {
        "gauss1d": "1D: N(0, 1)",
        "shifted1d": "1D: N(4, 0.5²), far from a fresh generator: JS saturates, W1 does not",
        "bimodal1d": "1D: ½ N(−2, 0.5²) + ½ N(2, 0.5²)",
        "trimodal1d": "1D: 0.2 N(−3, 0.4²) + 0.5 N(0, 0.4²) + 0.3 N(3, 0.4²)",
        "uniform1d": "1D: U(−1, 1)",
        "ring8": "2D: 8 Gaussians on a circle of radius 2, std 0.02",
        "grid25": "2D: 25 Gaussians on {−4, −2, 0, 2, 4}², std 0.05",
        "swissroll": "2D: swiss roll, noise std 0.25/7.5",
        "moons": "2D: two interleaving half circles",
        "spiral": "2D: two-armed spiral",
        "checkerboard": "2D: uniform on the black squares of a 4×4 board",
        "circles": "2D: two concentric circles",
        "file": "your own N×1 or N×2 points from a .csv or .npy file (data.path)",
        "digits": "images: 8×8 handwritten digits (1,797 images, 10 classes), shipped",
        "shapes": "images: procedurally drawn shapes (known classes), seeded",
        "mnist": "images: MNIST from local IDX files (data.path = folder)",
        "fashion-mnist": "images: Fashion-MNIST from local IDX files (data.path = folder)",
        "folder": "images: any folder of PNG/JPEG images (data.path = folder)",
    },
    "model.latent": {
        "gaussian": "z ~ N(0, I)",
        "uniform": "z ~ U(−1, 1)^d",
    },
    "model.activation": {
        "relu": "ReLU",
        "leaky_relu": "LeakyReLU(0.2)",
        "tanh": "tanh",
        "elu": "ELU",
    },
    "model.conditioning": {  # how a conditional GAN (model.conditional) feeds the class label y
        "concat": "G gets [z; onehot(y)], D gets [x; onehot(y)] (Mirza & Osindero 2014)",
        "projection": "D(x, y) = ψ(φ(x)) + embed(y)·φ(x) (Miyato & Koyama 2018); G gets [z; onehot(y)]",
    },
    "model.arch": {
        "auto": "MLP for points and 8×8 images, small conv nets for larger images",
        "mlp": "multi-layer perceptron",
        "conv": "small DCGAN-style conv nets (images only)",
    },
    "loss.name": {
        "minimax": "original GAN, saturating generator loss log(1 − σ(s_f))",
        "ns": "non-saturating GAN, generator minimises −log σ(s_f)",
        "wgan": "Wasserstein critic: D maximises E s_r − E s_f",
        "lsgan": "least squares (targets 1 real, 0 fake)",
        "hinge": "hinge loss, critic margin ±1",
        "fgan-kl": "f-GAN, Kullback–Leibler KL(p_data ‖ p_g)",
        "fgan-rkl": "f-GAN, reverse KL KL(p_g ‖ p_data)",
        "fgan-pearson": "f-GAN, Pearson χ²(p_data ‖ p_g)",
        "fgan-hellinger": "f-GAN, squared Hellinger ∫(√p − √q)² (no ½)",
        "fgan-js": "f-GAN, Jensen–Shannon: the bound estimates 2·JS(p_data ‖ p_g) ∈ [0, log 4]",
        "rsgan": "relativistic: D judges whether real data are more real than generated, paired",
        "rasgan": "relativistic average: each sample against the other batch's mean score",
        "ralsgan": "relativistic average, least-squares targets ±1",
        "rahinge": "relativistic average, hinge margins ±1",
        "ebgan": "energy-based: D is an autoencoder, energy = reconstruction error, margin m",
        "ebgan-pt": "energy-based with the pull-away term against mode collapse",
        "began": "boundary equilibrium: autoencoder D balanced by k_t ∈ [0, 1]",
        "magan": "margin adaptation: EBGAN whose margin shrinks with the real energy",
        "gmmn": "no D: G minimises the kernel MMD² to the data",
        "mmdgan": "MMD² on D's learned features (with a witness gradient penalty)",
        "cramer": "energy distance of D's features, two generated batches",
        "mcgan-mean": "McGAN: match the feature means",
        "mcgan-cov": "McGAN: match the feature second moments (Ky Fan norm)",
        "fisher": "Fisher GAN: critic with second moment constrained to 1 (augmented Lagrangian)",
        "vae": "not a GAN: variational autoencoder, D's slot holds the encoder, ELBO with weight loss.beta",
        "ae": "not a GAN: plain autoencoder on the squared error, samples G(z) with z ~ N(0, I)",
    },
    "lipschitz.name": {
        "none": "no constraint",
        "clip": "clamp every D parameter to [−c, c] after each D step",
        "gp": "gradient penalty λ·E(‖∇D(x̂)‖ − 1)² on interpolates",
        "r1": "R1: (γ/2)·E‖∇D(x_real)‖²",
        "r2": "R2: (γ/2)·E‖∇D(x_fake)‖²",
        "sn": "spectral normalization of every D weight",
        "dragan": "DRAGAN: λ·E(‖∇D(x̃)‖ − 1)² on perturbed real data x̃",
    },
    "remedy.name": {  # the same names and lines as remedies.REMEDIES (a test checks they agree)
        "none": "no remedy",
        "minibatch_discrimination": "D sees, per sample, how close its batch-mates are (Salimans et al. 2016)",
        "minibatch_stddev": "D sees the batch's feature spread as one extra feature (Karras et al. 2018)",
        "packing": "D scores packs of m samples, real packs against fake packs (PacGAN); needs a new D",
        "unrolled": "G's loss uses D after k look-ahead D updates, differentiated through (Metz et al. 2016)",
        "instance_noise": "Gaussian noise on D's inputs, σ annealed to 0 (Sønderby et al. 2016)",
    },
    "optim.name": {
        "sgd": "plain SGD",
        "adam": "Adam (beta1, beta2)",
        "rmsprop": "RMSprop",
    },
    "train.device": {
        "auto": "CUDA, then MPS, then CPU",
        "cpu": "CPU",
        "cuda": "NVIDIA GPU (error if none)",
        "mps": "Apple GPU (error if none)",
    },
    "train.rng": {
        "cpu": "one CPU generator: the same draws on every device (a GPU run repeats a CPU run's)",
        "device": "latents, penalty points and noise drawn on the training device; data from its own CPU generator",
    },
}


# A short readable title for each objective (loss.name), in CHOICES order; the window shows "title (name)".
# Here and not in objectives/ because that package imports torch and the GUI must not.
OBJECTIVE_TITLES: dict[str, str] = {
    "minimax": "original saturating GAN",
    "ns": "non-saturating GAN",
    "wgan": "Wasserstein GAN",
    "lsgan": "least-squares GAN",
    "hinge": "hinge GAN",
    "fgan-kl": "f-GAN, KL",
    "fgan-rkl": "f-GAN, reverse KL",
    "fgan-pearson": "f-GAN, Pearson χ²",
    "fgan-hellinger": "f-GAN, squared Hellinger",
    "fgan-js": "f-GAN, Jensen–Shannon",
    "rsgan": "relativistic standard GAN",
    "rasgan": "relativistic average GAN",
    "ralsgan": "relativistic average least-squares GAN",
    "rahinge": "relativistic average hinge GAN",
    "ebgan": "energy-based GAN",
    "ebgan-pt": "energy-based GAN with pull-away term",
    "began": "boundary equilibrium GAN",
    "magan": "margin adaptation GAN",
    "gmmn": "generative moment matching network",
    "mmdgan": "MMD GAN",
    "cramer": "Cramér GAN",
    "mcgan-mean": "McGAN, mean feature matching",
    "mcgan-cov": "McGAN, covariance feature matching",
    "fisher": "Fisher GAN",
    "vae": "variational autoencoder",
    "ae": "plain L2 autoencoder",
}

# Readable names of the choices a person picks in the window ("non-saturating GAN (ns)"); a value without one
# is shown by its code. The codes stay what config files, events and the command line use.
TITLES: dict[str, dict[str, str]] = {
    "loss.name": OBJECTIVE_TITLES,
    "data.name": {
        "gauss1d": "1D Gaussian", "shifted1d": "1D Gaussian, shifted far", "bimodal1d": "1D two Gaussians",
        "trimodal1d": "1D three Gaussians", "uniform1d": "1D uniform", "ring8": "8 Gaussians on a ring",
        "grid25": "25 Gaussians on a grid", "swissroll": "swiss roll", "moons": "two moons", "spiral": "spiral",
        "checkerboard": "checkerboard", "circles": "two circles", "file": "points from a file",
        "digits": "8×8 digits", "shapes": "drawn shapes", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
        "folder": "image folder",
    },
    "lipschitz.name": {
        "none": "no constraint", "clip": "weight clipping", "gp": "gradient penalty (WGAN-GP)",
        "r1": "R1 penalty on real data", "r2": "R2 penalty on generated data", "sn": "spectral normalization",
        "dragan": "DRAGAN penalty near the data",
    },
    "remedy.name": {
        "none": "no remedy", "minibatch_discrimination": "minibatch discrimination",
        "minibatch_stddev": "minibatch standard deviation", "packing": "packing (PacGAN)",
        "unrolled": "unrolled D", "instance_noise": "instance noise",
    },
    "optim.name": {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"},
    "model.latent": {"gaussian": "Gaussian z", "uniform": "uniform z"},
    "train.device": {"auto": "best available", "cpu": "CPU", "cuda": "NVIDIA GPU", "mps": "Apple GPU"},
    "train.rng": {"cpu": "CPU", "device": "training device"},
}


def choice_label(key: str, value: str) -> str:
    """How the window names a choice: its readable title with the code, e.g. ``non-saturating GAN (ns)``."""
    title = TITLES.get(key, {}).get(value)
    return f"{title} ({value})" if title and title != value else value


def _opt(default: Any, help: str, *, lo: float | None = None, hi: float | None = None,
         lo_open: bool = False, choices: str | None = None, check: Callable[[str, Any], None] | None = None) -> Any:
    """A dataclass field with its help text and the range, choice list or check it must satisfy."""
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi,
                                            "lo_open": lo_open, "choices": choices, "check": check})


# Shipped starting states for train.start: weights.npz files (Trainer.weights()) in the presets package's
# starts/ folder. Read as package data, so config.py imports nothing of presets/.
STARTS = resources.files(__package__).joinpath("presets", "starts")


def start_names() -> list[str]:
    """Names of the shipped starting states (``train.start``), sorted."""
    return sorted(f.name.removesuffix(".npz") for f in STARTS.iterdir() if f.name.endswith(".npz"))


def is_start_path(value: str) -> bool:
    """Whether a ``train.start`` value is a path to a weights file rather than a shipped starting state's name."""
    return value.endswith(".npz") or "/" in value or "\\" in value


def _check_start(key: str, value: str) -> None:
    if value and not is_start_path(value) and value not in start_names():
        raise ConfigError(f"{key}: unknown starting state {value!r}; allowed: '' (from scratch), "
                          f"{', '.join(start_names())}, or a path to a weights .npz file")


@dataclass(frozen=True)
class DataConfig:
    name: str = _opt("ring8", "data set", choices="data.name")
    path: str = _opt("", "file or folder for data.name = file / mnist / fashion-mnist / folder; live only "
                         "from a points file to one of the same dimension (a drawing, a dropped file)")
    image_size: int = _opt(16, "side of square images in pixels (folder, shapes)", lo=4, hi=128)
    grey: bool = _opt(True, "load folder images as greyscale (else RGB)")


@dataclass(frozen=True)
class ModelConfig:
    latent_dim: int = _opt(2, "dimension of z (2 lets the view draw the warped latent grid)", lo=1, hi=512)
    latent: str = _opt("gaussian", "latent distribution", choices="model.latent")
    hidden: int = _opt(128, "width of each hidden layer", lo=1, hi=4096)
    depth: int = _opt(3, "number of hidden layers", lo=1, hi=16)
    activation: str = _opt("relu", "hidden activation", choices="model.activation")
    arch: str = _opt("auto", "network family", choices="model.arch")
    mapping: int = _opt(0, "hidden layers of a z → w mapping MLP before G (StyleGAN's idea in miniature; 0 = none); "
                           "the Latent tab then draws its map and paths in z or in w", lo=0, hi=8)
    conditional: bool = _opt(False, "conditional GAN: G and D are given the class y (mixture component or image "
                                    "class); G learns p(x | y)")
    conditioning: str = _opt("concat", "how the class is fed to the nets (conditional only)",
                             choices="model.conditioning")
    shown_class: int = _opt(-1, "the class the views ask G for (conditional only; −1: every class, drawn with "
                                "p_data(y)); changes pictures only, never training or metrics", lo=-1)
    # Gulrajani et al. 2017, Fig. 1: critics trained against a G "held fixed at the real data plus Gaussian noise"
    g_data_noise: float = _opt(0.0, "σ > 0: G is no net but fixed at real data plus N(0, σ²I) noise, never trained "
                                    "(WGAN-GP's Fig. 1: the critic alone differs); needs a Gaussian z with "
                                    "latent_dim ≥ the data's dimension + 1; 0: G is a trained net", lo=0.0)


@dataclass(frozen=True)
class LossConfig:
    name: str = _opt("ns", "GAN loss", choices="loss.name")
    beta: float = _opt(1.0, "vae: β, the weight of KL(q(z|x) ‖ N(0, I)) against the squared reconstruction error "
                            "(1: the ELBO of a Gaussian decoder with variance ½; larger: blurrier, codes closer to "
                            "the prior)", lo=0.0)


@dataclass(frozen=True)
class LipschitzConfig:
    name: str = _opt("none", "Lipschitz method for D", choices="lipschitz.name")
    clip: float = _opt(0.01, "c for clip: parameters are clamped to [−c, c]", lo=0.0, lo_open=True)
    weight: float = _opt(10.0, "λ for gp and dragan, γ for r1 / r2", lo=0.0)
    one_sided: bool = _opt(False, "gp penalises only ‖∇D‖ > 1")


@dataclass(frozen=True)
class RemedyConfig:
    # Defaults and lowest values as remedies.PARAMS (the papers' or the toy-data choices, reasons there); a test
    # checks that they agree. Only the active remedy's parameters are used.
    name: str = _opt("none", "remedy for mode collapse (switchable mid-run; a switch to or from packing builds a "
                             "new D and keeps G, recorded as an ordinary event so --at / --events replay it)",
                     choices="remedy.name")
    kernels: int = _opt(5, "minibatch discrimination: B kernels (features added to D's head)", lo=1, hi=1024)
    kernel_dims: int = _opt(3, "minibatch discrimination: C dims per kernel", lo=1, hi=256)
    group: int = _opt(4, "minibatch stddev: group size G (Karras et al.: 4)", lo=1, hi=65536)
    pack: int = _opt(2, "packing: m samples per pack (PacGAN: 2 is the cheap choice); train.batch_size must be a "
                        "multiple of m; fixed for a run (D's input width)", lo=2, hi=64)
    unroll: int = _opt(5, "unrolled: k look-ahead D updates (Metz et al.'s notebook: 5; 0 = no look-ahead)",
                       lo=0, hi=100)
    second_order: bool = _opt(True, "unrolled: differentiate through the look-ahead updates (the paper's full "
                                    "gradient; false drops the second-order terms)")
    noise: float = _opt(0.1, "instance noise: σ₀ as a multiple of the data scale (the data's overall std)", lo=0.0)
    anneal_steps: int = _opt(2000, "instance noise: steps over which σ falls linearly to 0", lo=1)


@dataclass(frozen=True)
class OptimConfig:
    name: str = _opt("adam", "optimizer for both nets", choices="optim.name")
    lr_d: float = _opt(1e-3, "learning rate of D", lo=0.0, lo_open=True, hi=10.0)
    lr_g: float = _opt(1e-3, "learning rate of G", lo=0.0, lo_open=True, hi=10.0)
    beta1: float = _opt(0.5, "Adam beta1 (SGD momentum, RMSprop alpha use their defaults)", lo=0.0, hi=0.9999)
    beta2: float = _opt(0.999, "Adam beta2", lo=0.0, hi=0.99999)
    # Issue 15: torch's fused Adam kernel (one pass per tensor instead of foreach's ~10) made the bench setting's
    # update 2.3× faster on a CPU, ~10 % of a training step; its weights differ from foreach's in the last bit
    # (1.5e-8 after 300 steps), so it is off by default: runs stay byte-identical to those made before it.
    fused: bool = _opt(False, "Adam with torch's fused kernel (CPU and CUDA): a faster update whose weights differ "
                              "from the default's in the last bit; other optimizers and devices ignore it")


@dataclass(frozen=True)
class TrainConfig:
    batch_size: int = _opt(256, "samples per batch, real and fake each", lo=1, hi=65536)
    d_steps: int = _opt(1, "D updates per step", lo=0, hi=100)
    g_steps: int = _opt(1, "G updates per step (0 freezes G)", lo=0, hi=100)
    # The PyTorch DCGAN example's shortcut (issue 15): G's update takes G(z) from the step's D update, its graph
    # kept, instead of drawing z anew and running G again: one G forward pass and one latent draw fewer per step.
    # It changes the algorithm, hence off: G's gradient is taken on the very batch D was just trained to reject
    # (D has seen it; the two updates no longer use independent samples), so runs differ from the default's.
    reuse_fake: bool = _opt(False, "G's update reuses the generated batch of the step's D update (the PyTorch DCGAN "
                                   "example's shortcut; changes the algorithm): needs train.d_steps = 1 and an "
                                   "objective with one generated batch and a D update")
    log_every: int = _opt(10, "write a metrics row every N steps", lo=1)
    seed: int = _opt(0, "one seed drives init, data and latent draws", lo=0)
    seeds: int = _opt(1, "runs of this config with seeds seed … seed+N−1, trained at once as one batched model "
                         "(an ensemble; 1: a plain run)", lo=1, hi=4096)
    device: str = _opt("auto", "where to train", choices="train.device")
    # cpu: one CPU generator, the same draws on every device (a GPU run repeats a CPU run's); device: latents,
    # penalty points and instance noise drawn on the training device (no copy per update), data on the CPU from
    # its own generator (seed + DATA_RNG_OFFSET)
    rng: str = _opt("cpu", "where random numbers are drawn: cpu (the same draws on every device) or device (a "
                           "GPU draws its own latents and noise; data stays on the CPU)", choices="train.rng")
    # Presets whose phenomenon comes late start just before it, so a class sees it at once (GAN Lab does the same).
    start: str = _opt("", "weights the nets start from, at build and at every reset (the step count stays 0): "
                          "'' from scratch, a shipped starting state's name, or a path to a weights.npz",
                      check=_check_start)


@dataclass(frozen=True)
class MetricsConfig:
    every: int = _opt(100, "steps between cheap metrics (JS, sliced W1, coverage, critic)", lo=1)
    ot_every: int = _opt(2000, "steps between exact 2D optimal transport W1 (costly: ~0.1 s at 512)", lo=1)
    n_samples: int = _opt(2500, "generated samples for JS / coverage / samples.npy", lo=100, hi=100000)
    ot_samples: int = _opt(512, "equal-size samples for exact 2D transport (cost grows ~n³)", lo=16, hi=2048)
    grid: int = _opt(100, "probe grid resolution per axis", lo=8, hi=400)


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    lipschitz: LipschitzConfig = field(default_factory=LipschitzConfig)
    remedy: RemedyConfig = field(default_factory=RemedyConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)


SECTIONS = tuple(f.name for f in fields(Config))


def _field(key: str) -> tuple[str, dataclasses.Field]:
    """Look up ``section.name``; raise ConfigError listing the valid keys when it does not exist."""
    section, _, name = key.partition(".")
    if section not in SECTIONS or not name:
        raise ConfigError(f"unknown key '{key}': keys look like section.name, sections: {', '.join(SECTIONS)}")
    for f in fields(getattr(Config(), section)):
        if f.name == name:
            return section, f
    valid = ", ".join(f"{section}.{f.name}" for f in fields(getattr(Config(), section)))
    raise ConfigError(f"unknown key '{key}': valid keys in [{section}] are {valid}")


def all_keys() -> list[str]:
    """Every settable dotted key, in section order."""
    return [f"{s}.{f.name}" for s in SECTIONS for f in fields(getattr(Config(), s))]


def help_for(key: str) -> str:
    """The help text of a dotted key."""
    return _field(key)[1].metadata["help"]


INT64_MAX = 2**63 - 1  # the largest whole number any key takes (seeds, steps: torch and NumPy use int64)


def parse_value(key: str, value: Any) -> Any:
    """Convert ``value`` (a string from the command line, or a TOML value) to the type of ``key`` and check it."""
    _, f = _field(key)
    kind = f.type if isinstance(f.type, type) else {"str": str, "int": int, "float": float, "bool": bool}[f.type]
    if kind is bool:
        if isinstance(value, bool):
            out = value
        elif isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            out = value.lower() in ("true", "1", "yes", "on")
        else:
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"{key}: expected a whole number, got {value!r}")
        try:
            out = int(value)
        except ValueError:
            raise ConfigError(f"{key}: expected a whole number, got {value!r}") from None
        if not -INT64_MAX - 1 <= out <= INT64_MAX:  # torch and NumPy take 64-bit integers ("Overflow ... long long")
            raise ConfigError(f"{key}: {out} is out of range; whole numbers must be ≤ {INT64_MAX}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        try:
            out = float(value)
        except ValueError:
            raise ConfigError(f"{key}: expected a number, got {value!r}") from None
        if not math.isfinite(out):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    else:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        out = value
    _check(key, f, out)
    return out


def _check(key: str, f: dataclasses.Field, value: Any) -> None:
    meta = f.metadata
    if meta.get("check"):
        meta["check"](key, value)
    if meta.get("choices"):
        allowed = CHOICES[meta["choices"]]
        if value not in allowed:
            raise ConfigError(f"{key}: unknown value {value!r}; allowed: {', '.join(allowed)}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        op = ">" if meta.get("lo_open") else "≥"
        raise ConfigError(f"{key}: {value!r} is out of range; it must be {op} {lo}" + (f" and ≤ {hi}" if hi else ""))
    if hi is not None and value > hi:
        raise ConfigError(f"{key}: {value!r} is out of range; it must be ≤ {hi}")


def get(cfg: Config, key: str) -> Any:
    """The value of a dotted key."""
    section, f = _field(key)
    return getattr(getattr(cfg, section), f.name)


def with_value(cfg: Config, key: str, value: Any) -> Config:
    """A copy of ``cfg`` with one dotted key set (parsed and validated)."""
    section, f = _field(key)
    parsed = parse_value(key, value)
    return replace(cfg, **{section: replace(getattr(cfg, section), **{f.name: parsed})})


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``KEY=VALUE`` and parse the value; raise ConfigError on a malformed assignment."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"expected KEY=VALUE (for example loss.name=wgan), got {text!r}")
    key = key.strip()
    return key, parse_value(key, value.strip())


def from_dict(data: dict, source: str = "config") -> Config:
    """Build a Config from nested dicts (as read from TOML); unknown sections or keys are errors."""
    cfg = Config()
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a table of sections")
    for section, values in data.items():
        if section not in SECTIONS:
            raise ConfigError(f"{source}: unknown section [{section}]; sections: {', '.join(SECTIONS)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section}] must be a table")
        for name, value in values.items():
            try:
                cfg = with_value(cfg, f"{section}.{name}", value)
            except ConfigError as err:
                raise ConfigError(f"{source}: {err}") from None
    return cfg


def to_dict(cfg: Config) -> dict:
    """Nested plain dicts of every value."""
    return dataclasses.asdict(cfg)


def loads(text: str, source: str = "config") -> Config:
    """Parse TOML text into a Config."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: malformed TOML: {err}") from None
    return from_dict(data, source)


def read_text(path: str | Path, what: str, encoding: str = "utf-8") -> str:
    """The text of a file the person named; a missing, unreadable or non-UTF-8 file is a ConfigError that
    says ``what`` the file is for ("config file", "data file", "events file") and names it."""
    try:
        return Path(path).read_text(encoding=encoding)
    except OSError as err:
        raise ConfigError(f"cannot read {what} '{path}': {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} '{path}' is unreadable: not UTF-8 text") from None


def load(path: str | Path) -> Config:
    """Read a TOML config file; a missing or malformed file is a ConfigError naming the file."""
    return loads(read_text(path, "config file"), str(path))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # TOML basic strings: escape backslash and quote, and every control character (a path may hold a newline or
    # DEL; TOML refuses them raw, and config.toml would not load back)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text) + '"'


def dumps(cfg: Config) -> str:
    """The fully resolved config as TOML text (loadable with ``loads``)."""
    lines = ["# GAN Studio experiment configuration (every key; see README for meanings)"]
    for section in SECTIONS:
        lines.append(f"\n[{section}]")
        for f in fields(getattr(cfg, section)):
            lines.append(f"{f.name} = {_toml_value(getattr(getattr(cfg, section), f.name))}")
    return "\n".join(lines) + "\n"


IMAGE_DATA = ("digits", "shapes", "mnist", "fashion-mnist", "folder")


def is_image_data(name: str) -> bool:
    """Whether a data set name is an image set (as opposed to 1D / 2D points)."""
    return name in IMAGE_DATA


def allowed_text(key: str) -> str:
    """What a key allows, for the README: its choices, or its range."""
    meta = _field(key)[1].metadata
    if meta.get("choices"):
        return ", ".join(f"`{c}`" for c in CHOICES[meta["choices"]])
    lo, hi = meta.get("lo"), meta.get("hi")
    parts = []
    if lo is not None:
        parts.append(f"{'>' if meta.get('lo_open') else '≥'} {lo:g}")
    if hi is not None:
        parts.append(f"≤ {hi:g}")
    return " and ".join(parts)


def keys_table() -> str:
    """The README's markdown table of every config key: its default, what it allows, whether it can change
    mid-run, its meaning (tests/test_readme.py checks the README against it)."""
    from gan_studio.schedule import LIVE_KEYS  # schedule imports config; imported here to keep config first

    defaults = Config()
    lines = ["| key | default | allowed | live | meaning |", "|---|---|---|---|---|"]
    for key in all_keys():
        value = get(defaults, key)
        shown = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
        text = help_for(key).replace("|", "\\|")
        lines.append(f"| `{key}` | `{shown}` | {allowed_text(key)} | {'yes' if key in LIVE_KEYS else ''} | {text} |")
    return "\n".join(lines)
