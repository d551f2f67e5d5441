"""The floor for a seed ensemble's CPU throughput (issue 16; not a CI test): a minimal batched training loop next
to the studio's, so the gap between ``ensemble.EnsembleTrainer`` and what batching alone gives is known.

The prototype trains N independent G/D pairs of the default 2D setting (MLP 128×3, ReLU, latent 2, batch 256, ns
loss, Adam 1e-3 β=(0.5, 0.999) with foreach) as (N, in, out) weight tensors with ``torch.baddbmm``; its "one run" is
the same loop with ``nn.Linear`` nets. Data: points on a ring of 8 Gaussians drawn with one global generator (no
per-member streams, no checks, no measurement, no logging): only the arithmetic a step needs.

Each round times, in one process and in turn: prototype one run, prototype N members, studio one run, studio
ensemble (``bench_ensemble.steps_per_second``); ratios are member-steps/s over one run's steps/s within the round.

    python bench/prototype_ensemble.py [--members 32] [--rounds 3] [--seconds 3] [--threads 1]
                                       [--ensemble-threads 1] [--no-studio]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F
from bench_ensemble import steps_per_second  # bench/ is on sys.path when run as a script
from torch import nn

from gan_studio import config as C
from gan_studio.config import Config

LATENT, HIDDEN, DEPTH, BATCH = 2, 128, 3, 256


def ring(shape: tuple[int, ...]) -> torch.Tensor:
    """(*shape, 2) points of a ring of 8 Gaussians (radius 2, std 0.02)."""
    angle = torch.randint(0, 8, shape).float() * (2 * math.pi / 8)
    return 2 * torch.stack([angle.cos(), angle.sin()], -1) + 0.02 * torch.randn(*shape, 2)


def plain_mlp(n_in: int, n_out: int) -> nn.Sequential:
    """One run's MLP: DEPTH hidden Linear+ReLU layers of width HIDDEN and a Linear output."""
    layers: list[nn.Module] = []
    for i in range(DEPTH):
        layers += [nn.Linear(n_in if i == 0 else HIDDEN, HIDDEN), nn.ReLU()]
    layers.append(nn.Linear(HIDDEN, n_out))
    return nn.Sequential(*layers)


def batched_mlp(members: int, n_in: int, n_out: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """N MLPs as (weight (N, in, out), bias (N, 1, out)) per layer, leaves that require grad."""
    sizes = [n_in] + [HIDDEN] * DEPTH + [n_out]
    return [((torch.randn(members, a, b) / math.sqrt(a)).requires_grad_(), torch.zeros(members, 1, b,
             requires_grad=True)) for a, b in zip(sizes, sizes[1:], strict=False)]


def batched_forward(layers, x: torch.Tensor) -> torch.Tensor:
    """x (N, n, in) → (N, n, out): baddbmm per layer, ReLU between."""
    for i, (w, b) in enumerate(layers):
        x = torch.baddbmm(b, x, w)
        if i < len(layers) - 1:
            x = torch.relu(x)
    return x


def prototype(members: int | None):
    """A step function of the prototype: one run (``members`` None) or N batched members."""
    if members is None:
        G, D = plain_mlp(LATENT, 2), plain_mlp(2, 1)
        g, d = G, D
        shape: tuple[int, ...] = (BATCH,)
        g_params, d_params = list(G.parameters()), list(D.parameters())
    else:
        g_layers, d_layers = batched_mlp(members, LATENT, 2), batched_mlp(members, 2, 1)
        g, d = (lambda x: batched_forward(g_layers, x)), (lambda x: batched_forward(d_layers, x))
        shape = (members, BATCH)
        g_params = [t for layer in g_layers for t in layer]
        d_params = [t for layer in d_layers for t in layer]
    opt_g = torch.optim.Adam(g_params, lr=1e-3, betas=(0.5, 0.999), foreach=True)
    opt_d = torch.optim.Adam(d_params, lr=1e-3, betas=(0.5, 0.999), foreach=True)

    def step() -> None:
        with torch.no_grad():
            x_f = g(torch.randn(*shape, LATENT))
        loss_d = F.softplus(-d(ring(shape))).mean(-2).sum() + F.softplus(d(x_f)).mean(-2).sum()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        for p in d_params:
            p.requires_grad_(False)
        loss_g = F.softplus(-d(g(torch.randn(*shape, LATENT)))).mean(-2).sum()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)

    return step


def rate(step, seconds: float) -> tuple[float, float]:
    """Steps per wall second and per CPU second of this process, of ``step`` over about ``seconds`` after 5
    warm-up steps."""
    for _ in range(5):
        step()
    steps, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    return steps / (time.perf_counter() - start), steps / (time.process_time() - cpu_start)


def main() -> None:
    """Alternate the four phases per round; print each round and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ensemble-threads", type=int, default=None)
    parser.add_argument("--no-studio", action="store_true", help="time the prototype only")
    args = parser.parse_args()
    n, threads, e_threads = args.members, args.threads, args.ensemble_threads or args.threads
    cfg = Config()
    for key, value in (("train.device", "cpu"), ("train.log_every", 10**6), ("metrics.every", 10**6),
                       ("metrics.ot_every", 10**6)):
        cfg = C.with_value(cfg, key, value)
    phases = {"prototype": (lambda: rate(prototype(None), args.seconds), lambda: rate(prototype(n), args.seconds))}
    if not args.no_studio:
        phases["studio"] = (lambda: steps_per_second(cfg, args.seconds),
                            lambda: steps_per_second(C.with_value(cfg, "train.seeds", n), args.seconds))
    ratios: dict[str, list[tuple[float, float]]] = {name: [] for name in phases}
    for i in range(args.rounds):
        line = f"round {i + 1}:"
        for name, (single, batched) in phases.items():
            torch.set_num_threads(threads)
            one, one_cpu = single()
            torch.set_num_threads(e_threads)
            many, many_cpu = (r * n for r in batched())
            ratios[name].append((many / one, many_cpu / one_cpu))
            line += (f"  {name} {one:6.1f} vs {many:7.1f} member-steps/s, ratio {many / one:5.2f}"
                     f" (per CPU-second {many_cpu / one_cpu:5.2f})")
        print(line, flush=True)
    print(json.dumps({"members": n, "threads": threads, "ensemble_threads": e_threads,
                      **{f"{name}_ratio_median": round(statistics.median(r for r, _ in pairs), 2)
                         for name, pairs in ratios.items()},
                      **{f"{name}_cpu_ratio_median": round(statistics.median(c for _, c in pairs), 2)
                         for name, pairs in ratios.items()}}))


if __name__ == "__main__":
    main()
