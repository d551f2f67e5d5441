"""``gan-studio bench``: the engine against a plain PyTorch loop, and the share of time spent measuring.

Setting (issue 2): 2D ring8, MLP 128×3, batch 256, non-saturating loss, Adam 1e-4, one torch thread.
Timings here are noisy, so the numbers that matter are ratios measured in the same run, with the two
loops interleaved (A B A B ...) so that a slow phase of the machine hits both.
"""

from __future__ import annotations

import json
import time

import torch
import torch.nn.functional as F

from gan_studio.config import Config, with_value
from gan_studio.data import get_dataset
from gan_studio.engine import Trainer
from gan_studio.nets import build_discriminator, build_generator
from gan_studio.runner import Runner


def plain_loop(cfg: Config, steps: int) -> float:
    """The reference: a textbook GAN loop with the same nets, data, loss and optimizer. Returns steps/s."""
    torch.manual_seed(cfg.train.seed)
    data = get_dataset(cfg.data, cfg.train.seed)
    G = build_generator(cfg.model, data.shape)
    D = build_discriminator(cfg.model, data.shape)
    betas = (cfg.optim.beta1, cfg.optim.beta2)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=betas)
    rng = torch.Generator().manual_seed(cfg.train.seed)
    n, k = cfg.train.batch_size, cfg.model.latent_dim
    start = time.perf_counter()
    for _ in range(steps):
        x = data.sample(n, rng)
        with torch.no_grad():
            fake = G(torch.randn(n, k, generator=rng))
        loss_d = F.softplus(-D(x)).mean() + F.softplus(D(fake)).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.softplus(-D(G(torch.randn(n, k, generator=rng)))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return steps / (time.perf_counter() - start)


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
    """Print steps/s of the plain loop, the engine without and with measurement, and the ratios (JSON last)."""
    torch.set_num_threads(1)
    cfg = bench_config()
    never = steps * 10  # a cadence the run never reaches: training and logging only
    quiet = with_value(with_value(cfg, "metrics.every", never), "metrics.ot_every", never)
    plain, bare, measured, shares = [], [], [], []
    engine_loop(cfg, 50), plain_loop(cfg, 50)  # warm-up (allocator, first-call overheads)
    for _ in range(repeats):
        plain.append(plain_loop(cfg, steps))
        bare.append(engine_loop(quiet, steps)[0])
        rate, share = engine_loop(cfg, steps)
        measured.append(rate)
        shares.append(share)
    best = {"plain": max(plain), "engine_no_metrics": max(bare), "engine_default": max(measured)}
    result = {
        **{f"{k}_steps_per_s": round(v, 1) for k, v in best.items()},
        "engine_no_metrics_vs_plain": round(best["engine_no_metrics"] / best["plain"], 3),
        "engine_default_vs_plain": round(best["engine_default"] / best["plain"], 3),
        # time inside measurement / total time of the default run (timed directly, not a difference of rates)
        "metrics_share_of_time": round(min(shares), 3),
        "steps": steps, "repeats": repeats, "threads": torch.get_num_threads(),
        "metrics_every": cfg.metrics.every, "ot_every": cfg.metrics.ot_every, "log_every": cfg.train.log_every,
    }
    for k, v in best.items():
        print(f"{k:20s} {v:8.1f} steps/s")
    print(json.dumps(result))
    return 0
