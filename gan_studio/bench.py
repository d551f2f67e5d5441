"""``gan-studio bench``: the engine against a plain PyTorch loop, and the share of time spent measuring.

Setting (issue 2): 2D ring8, MLP 128×3, batch 256, non-saturating loss, Adam 1e-4, one torch thread.
Timings here are noisy, so the numbers that matter are ratios measured in the same run, with the loops
interleaved (A B A B ...) so that a slow phase of the machine hits both, each ratio the median over the rounds.

Issue 15's CPU ideas, measured on this setting (2 shared cores, medians of interleaved CPU-time ratios to the
plain loop) and not taken into the engine: one D forward over cat(real, fake) in place of two, 0.98× (the same
multiply-adds in GEMMs of 512 rows instead of 256; the dozen operations saved are ~2 % of a step, and the weight
gradient summed in one GEMM changes the last bits); ``torch.compile`` of G and D, 0.66–0.70× eager after 25–90 s
of compiling. Taken: ``optim.fused`` (opt-in, last-bit differences), ``train.reuse_fake`` (opt-in, another
algorithm).

``--objectives``: the training steps/s of every registered objective relative to ``ns`` on the same setting,
measured the same way (ns, X, ns, X, ...; the median of the ratios), as a table whose "why" column says what an
objective slower than ``SLOW`` × ns does per step that ns does not.

``--device cuda`` (issue 15): the table of the engine on CUDA for the default preset with and without
measurement, WGAN-GP, digits and 32×32 shapes with conv nets, each also on this machine's CPU (one torch thread),
against the plain loop eager and captured as one CUDA graph, as ratios to the captured loop.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gan_studio.config import Config, with_value
from gan_studio.data import get_dataset
from gan_studio.engine import Trainer
from gan_studio.nets import build_discriminator, build_generator
from gan_studio.objectives import OBJECTIVES, energy, fisher, get_objective, kernel, relativistic
from gan_studio.runner import Runner

SLOW = 3.0  # an objective this many times slower than ns per step gets a "why" in the table


def plain_loop(cfg: Config, steps: int, device: str = "cpu") -> float:
    """The reference: a textbook GAN loop with the same nets, data, loss and optimizer. Returns steps/s.

    On another ``device`` the nets live there and each batch is drawn on the CPU and copied over, as the engine
    does with ``train.rng = cpu``."""
    torch.manual_seed(cfg.train.seed)
    data = get_dataset(cfg.data, cfg.train.seed)
    G = build_generator(cfg.model, data.shape).to(device)
    D = build_discriminator(cfg.model, data.shape).to(device)
    betas = (cfg.optim.beta1, cfg.optim.beta2)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=betas)
    rng = torch.Generator().manual_seed(cfg.train.seed)
    n, k = cfg.train.batch_size, cfg.model.latent_dim
    start = time.perf_counter()
    for _ in range(steps):
        x = data.sample(n, rng).to(device)
        with torch.no_grad():
            fake = G(torch.randn(n, k, generator=rng).to(device))
        loss_d = F.softplus(-D(x)).mean() + F.softplus(D(fake)).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.softplus(-D(G(torch.randn(n, k, generator=rng).to(device)))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    _synchronize(device)
    return steps / (time.perf_counter() - start)


def _synchronize(device: str | torch.device) -> None:
    """Wait for the device's queued work (a timing on CUDA ends only when the GPU has finished)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def engine_loop(cfg: Config, steps: int) -> tuple[float, float]:
    """The engine on the same config, measuring at the config's cadence. Returns (steps/s, measurement share)."""
    trainer = Trainer(cfg)
    runner = Runner(trainer)
    start = time.perf_counter()
    runner.run(steps)
    elapsed = time.perf_counter() - start
    return steps / elapsed, trainer.measure_seconds / elapsed


def bench_config() -> Config:
    """The benchmark's setting: the defaults are exactly the issue's setting."""
    cfg = Config()
    for key, value in (("data.name", "ring8"), ("model.hidden", 128), ("model.depth", 3), ("loss.name", "ns"),
                       ("optim.name", "adam"), ("optim.lr_d", 1e-4), ("optim.lr_g", 1e-4),
                       ("train.batch_size", 256), ("train.device", "cpu")):
        cfg = with_value(cfg, key, value)
    return cfg


def run_bench(steps: int = 2000, repeats: int = 3) -> int:
    """Print steps/s of the plain loop and of the engine without measurement (as it is, with ``train.reuse_fake``,
    with ``optim.fused`` and with both) and with it, and the ratios (JSON last).

    Each round runs every loop once, the plain loop first; a ratio is the median over the rounds of engine / plain
    within a round (issue 15: on 2 cores shared with other jobs the best-of-rounds rates of different loops came
    from different phases of the machine, and the same code gave 0.56× to 1.05×)."""
    torch.set_num_threads(1)
    cfg = bench_config()
    never = steps * 10  # a cadence the run never reaches: training and logging only
    quiet = with_value(with_value(cfg, "metrics.every", never), "metrics.ot_every", never)
    reusing = with_value(quiet, "train.reuse_fake", True)  # G's update on the D update's batch (DCGAN example's)
    fused = with_value(quiet, "optim.fused", True)  # Adam's fused kernel (weights differ in the last bit)
    engines = {"engine_no_metrics": quiet, "engine_reuse_fake": reusing, "engine_fused": fused,
               "engine_fused_reuse_fake": with_value(fused, "train.reuse_fake", True), "engine_default": cfg}
    rates: dict[str, list[float]] = {"plain": [], **{name: [] for name in engines}}
    shares = []
    engine_loop(cfg, 50), plain_loop(cfg, 50)  # warm-up (allocator, first-call overheads)
    for _ in range(repeats):
        rates["plain"].append(plain_loop(cfg, steps))
        for name, engine_cfg in engines.items():
            rate, share = engine_loop(engine_cfg, steps)
            rates[name].append(rate)
            if name == "engine_default":
                shares.append(share)
    result = {f"{k}_steps_per_s": round(max(v), 1) for k, v in rates.items()}
    for name in engines:  # train.reuse_fake: one G forward pass and one latent draw fewer per step
        pairs = [rate / plain for rate, plain in zip(rates[name], rates["plain"], strict=True)]
        result[f"{name}_vs_plain"] = round(statistics.median(pairs), 3)
    result.update({
        # time inside measurement / total time of the default run (timed directly, not a difference of rates)
        "metrics_share_of_time": round(min(shares), 3),
        "steps": steps, "repeats": repeats, "threads": torch.get_num_threads(),
        "metrics_every": cfg.metrics.every, "ot_every": cfg.metrics.ot_every, "log_every": cfg.train.log_every,
    })
    for k, v in rates.items():
        print(f"{k:24s} {max(v):8.1f} steps/s" + ("" if k == "plain" else f"  {result[k + '_vs_plain']:.3f}× plain"))
    print(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------------------------- objectives
PAPER_SETTINGS: dict[str, dict[str, object]] = {
    name: {key: value for key, value in settings.items() if key.startswith(("lipschitz.", "train.d_steps"))}
    for module in (energy, fisher, kernel, relativistic) for name, settings in module.DEFAULTS.items()
}
"""What defines an objective's work per step in its paper (Lipschitz method and its weight, D steps per G step),
from the zoo modules' ``DEFAULTS``; the optimizer and learning rates are left at the bench setting (they do not
change the cost of a step). Objectives without ``DEFAULTS`` (ns, wgan, lsgan, hinge, the f-GANs) run at the
bench setting itself: one D step, no Lipschitz method."""

KERNEL_COST = {  # what the loss itself computes beyond a batch of scores (the facts below cannot say it)
    "gmmn": f"kernel on all pairs of a 256-point batch at {len(kernel.GMMN_SIGMAS)} bandwidths, in G's loss",
    "mmdgan": f"kernel on all pairs of the features at {len(kernel.MMDGAN_SIGMAS)} bandwidths, in both losses",
    "cramer": "pairwise feature distances against a second generated batch",
    "mcgan-cov": "an SVD of the feature covariance difference in both losses",
}


def objective_config(name: str) -> Config:
    """The bench setting with ``loss.name`` = ``name`` and the paper's Lipschitz method and D steps."""
    cfg = with_value(bench_config(), "loss.name", name)
    for key, value in PAPER_SETTINGS.get(name, {}).items():
        cfg = with_value(cfg, key, value)
    return cfg


def why_slow(name: str, cfg: Config) -> str:
    """What a step of objective ``name`` under ``cfg`` does that a step of ns does not, from its definition."""
    objective, reasons = get_objective(name), []
    if name in KERNEL_COST:
        reasons.append(KERNEL_COST[name])
    if cfg.train.d_steps > 1:
        reasons.append(f"{cfg.train.d_steps} D steps per G step")
    if cfg.lipschitz.name in ("gp", "dragan", "r1", "r2"):
        reasons.append(f"{cfg.lipschitz.name} penalty: a second backward pass through D in every D step")
    if objective.fake_batches == 2:
        reasons.append("two generated batches per update")
    if objective.head == "reconstruction":
        reasons.append("D is an autoencoder (encoder and decoder)")
    return "; ".join(reasons) or "—"


@dataclass(frozen=True)
class ObjectiveSpeed:
    """One row of the objectives table: ``ratio`` = steps/s of ``name`` / steps/s of ns (median of pairs)."""

    name: str
    steps_per_s: float  # the median of this objective's measured rates
    ratio: float
    d_steps: int
    lipschitz: str
    why: str  # filled only when the objective is slower than SLOW × ns


def training_rate(cfg: Config, steps: int) -> float:
    """Training steps/s of the engine on ``cfg`` with no measurement (logging only)."""
    never = steps * 10 + 10
    quiet = with_value(with_value(cfg, "metrics.every", never), "metrics.ot_every", never)
    return engine_loop(quiet, steps)[0]


def objective_table(steps: int = 200, repeats: int = 3, names: tuple[str, ...] = OBJECTIVES
                    ) -> list[ObjectiveSpeed]:
    """Steps/s of every objective in ``names`` relative to ns: ns and the objective alternate ``repeats`` times
    (ns, X, ns, X, ...) for ``steps`` training steps each, and the ratio is the median of the pairs' ratios."""
    base = objective_config("ns")
    training_rate(base, 10)  # warm-up (allocator, first-call overheads)
    rows = []
    for name in names:
        cfg = objective_config(name)
        ratios, rates = [], []
        for _ in range(repeats):
            ns_rate = training_rate(base, steps)
            rate = training_rate(cfg, steps)
            ratios.append(rate / ns_rate)
            rates.append(rate)
        ratio = statistics.median(ratios)
        rows.append(ObjectiveSpeed(name, statistics.median(rates), ratio, cfg.train.d_steps, cfg.lipschitz.name,
                                   why_slow(name, cfg) if ratio < 1 / SLOW else ""))
    return rows


def format_table(rows: list[ObjectiveSpeed]) -> str:
    """The table as Markdown (README's Performance section holds one)."""
    lines = ["| objective | steps/s | × ns | D steps | Lipschitz | why (slower than 1/3 of ns) |",
             "|---|---:|---:|---:|---|---|"]
    lines += [f"| `{r.name}` | {r.steps_per_s:.0f} | {r.ratio:.2f} | {r.d_steps} | {r.lipschitz} | {r.why} |"
              for r in rows]
    return "\n".join(lines)


def run_objectives_bench(steps: int = 200, repeats: int = 3) -> int:
    """Print the objectives table (Markdown) and its rows as JSON on the last line."""
    torch.set_num_threads(1)
    rows = objective_table(steps, repeats)
    print(format_table(rows))
    print(json.dumps({"steps": steps, "repeats": repeats, "threads": torch.get_num_threads(),
                      "ratio_vs_ns": {r.name: round(r.ratio, 3) for r in rows}}))
    return 0


# ------------------------------------------------------------------------------------------------- devices
NEVER = 10**9  # a measurement cadence no run reaches
DEVICE_SETTINGS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("`ring8-collapse`, no measurement", "ring8-collapse", {"metrics.every": NEVER, "metrics.ot_every": NEVER}),
    ("`ring8-collapse`, measured", "ring8-collapse", {}),
    ("`ring8-wgan-gp`", "ring8-wgan-gp", {}),
    ("`digits`", "digits", {}),
    ("`shapes`, 32×32, conv nets", "digits", {"data.name": "shapes", "data.image_size": 32, "model.arch": "conv"}),
)
"""(row label, preset, changes) of the ``--device`` table: issue 15's settings."""
WARMUP_STEPS = 20  # steps before timing (allocator, cuDNN's choice of kernels, the first logged step)
GRAPH_POOL = 64  # real batches kept on the GPU for the captured loop, copied into its static input in turn


def device_config(preset: str, changes: dict[str, object], device: str) -> Config:
    """A preset with ``changes`` on ``device`` (random numbers drawn there unless it is the CPU)."""
    from gan_studio.presets import load_preset

    cfg = load_preset(preset)
    for key, value in {**changes, "train.device": device,
                       "train.rng": "cpu" if device == "cpu" else "device"}.items():
        cfg = with_value(cfg, key, value)
    return cfg


def timed_engine_rate(cfg: Config, seconds: float) -> float:
    """Steps/s of the engine on ``cfg`` through the Runner for about ``seconds``, after ``WARMUP_STEPS`` steps,
    with the device's queue drained before and after the timed part."""
    trainer = Trainer(cfg)
    runner = Runner(trainer)
    runner.run(WARMUP_STEPS)
    _synchronize(trainer.device)
    start = time.perf_counter()
    steps = runner.run_for(seconds)
    _synchronize(trainer.device)
    return steps / (time.perf_counter() - start)


def captured_loop_rate(cfg: Config, seconds: float) -> float:
    """Steps/s of the plain loop on CUDA captured as one CUDA graph (D update then G update, as the PyTorch docs'
    whole-network capture: warm-up on a side stream, capturable Adam, static input tensors); each replay is
    preceded by copying the next of ``GRAPH_POOL`` real batches, drawn once, into the static input. Latents are
    drawn inside the graph (a graph replays its random number generation with fresh offsets)."""
    device = torch.device("cuda")
    torch.manual_seed(cfg.train.seed)
    data = get_dataset(cfg.data, cfg.train.seed)
    G = build_generator(cfg.model, data.shape).to(device)
    D = build_discriminator(cfg.model, data.shape).to(device)
    betas = (cfg.optim.beta1, cfg.optim.beta2)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=betas, capturable=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=betas, capturable=True)
    n, k = cfg.train.batch_size, cfg.model.latent_dim
    rng = torch.Generator().manual_seed(cfg.train.seed)
    pool = data.sample(n * GRAPH_POOL, rng).to(device).reshape(GRAPH_POOL, n, *data.shape)
    static_x = pool[0].clone()
    d_params, g_params = list(D.parameters()), list(G.parameters())

    def step() -> None:
        with torch.no_grad():
            fake = G(torch.randn(n, k, device=device))
        loss_d = F.softplus(-D(static_x)).mean() + F.softplus(D(fake)).mean()
        opt_d.zero_grad(set_to_none=False)
        loss_d.backward(inputs=d_params)
        opt_d.step()
        loss_g = F.softplus(-D(G(torch.randn(n, k, device=device)))).mean()
        opt_g.zero_grad(set_to_none=False)
        loss_g.backward(inputs=g_params)
        opt_g.step()

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    for i in range(WARMUP_STEPS):
        static_x.copy_(pool[i % GRAPH_POOL])
        graph.replay()
    torch.cuda.synchronize()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        static_x.copy_(pool[steps % GRAPH_POOL])
        graph.replay()
        steps += 1
    torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def timed_plain_rate(cfg: Config, seconds: float, device: str) -> float:
    """Steps/s of ``plain_loop`` on ``device`` for about ``seconds`` (its step count from a short first run)."""
    plain_loop(cfg, WARMUP_STEPS, device)
    probe = plain_loop(cfg, WARMUP_STEPS, device)
    return plain_loop(cfg, max(WARMUP_STEPS, int(probe * seconds)), device)


@dataclass(frozen=True)
class DeviceRow:
    """One row of the ``--device`` table (steps/s; None where the setting does not run there)."""

    setting: str
    device_rate: float
    cpu_rate: float | None


def device_rows(device: str, seconds: float, cpu_seconds: float) -> list[DeviceRow]:
    """Issue 15's table: each preset setting on ``device`` and on the CPU, then the plain loop eager and
    captured (the captured reference on CUDA only)."""
    rows = [DeviceRow(label, timed_engine_rate(device_config(preset, changes, device), seconds),
                      timed_engine_rate(device_config(preset, changes, "cpu"), cpu_seconds) if cpu_seconds else None)
            for label, preset, changes in DEVICE_SETTINGS]
    plain_cfg = device_config("ring8-collapse", {}, device)
    rows.append(DeviceRow("plain PyTorch loop, same 2D nets, eager", timed_plain_rate(plain_cfg, seconds, device),
                          timed_plain_rate(plain_cfg, cpu_seconds, "cpu") if cpu_seconds else None))
    rows.append(DeviceRow("the same loop captured as one CUDA graph (reference)",
                          captured_loop_rate(plain_cfg, seconds), None))
    return rows


def format_device_table(rows: list[DeviceRow], device: str) -> str:
    """The table as Markdown: steps/s on the device, × the captured loop (the last row), steps/s on the CPU."""
    reference = rows[-1].device_rate
    lines = [f"| setting | {device} steps/s | × captured loop | CPU steps/s (same machine, 1 thread) | "
             f"{device} / CPU |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        cpu = f"{row.cpu_rate:.1f}" if row.cpu_rate else "—"
        speedup = f"{row.device_rate / row.cpu_rate:.2f}" if row.cpu_rate else "—"
        lines.append(f"| {row.setting} | {row.device_rate:.1f} | {row.device_rate / reference:.3f} | {cpu} | "
                     f"{speedup} |")
    return "\n".join(lines)


def run_device_bench(device: str = "cuda", seconds: float = 5.0, cpu_seconds: float = 5.0) -> int:
    """Print issue 15's table for ``device`` (Markdown, then its numbers as JSON on the last line); exit status 2
    with one line on stderr when the device is not here."""
    if device != "cuda":
        print(f"gan-studio bench: --device {device} is not benchmarked; allowed: cuda (the CPU is the default "
              f"bench)", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print(f"gan-studio bench: --device cuda needs an NVIDIA GPU with CUDA; this torch ({torch.__version__}) "
              f"sees none", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    rows = device_rows(device, seconds, cpu_seconds)
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}")
    print(format_device_table(rows, device))
    print(json.dumps({"device": torch.cuda.get_device_name(), "seconds": seconds, "cpu_seconds": cpu_seconds,
                      "rows": {r.setting: {"device": round(r.device_rate, 1),
                                           "cpu": None if r.cpu_rate is None else round(r.cpu_rate, 1)}
                               for r in rows}}))
    return 0
