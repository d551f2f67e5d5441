"""Seed-ensemble throughput (issue 16; not a CI test): member-steps/s of N members trained as one batched model
against one plain run, on the default 2D setting (ring8, MLP 128×3, batch 256, ns, Adam), measurement off.

The two are timed alternately (run, ensemble, run, ensemble, ...) in one process, so a slow phase of a shared
machine hits both; the ratio reported is the median of the per-round ratios. Target (issue 16): on CPU, 32 members
≥ 3× the member-steps/s of one run; on a CUDA GPU, ≥ 16×.

On a shared machine the wall-clock ratio swings with the other users' load (1.3–1.7× at a load average of 12–17 on
2 cores), so the rounds also give the ratio per CPU-second of this process (``cpu_ratio_median``: the process's
user + system time, which a time slice given to another process does not add to; caches and memory bandwidth are
still shared) and the load average at the start (``loadavg``), to judge how far the wall figure can be trusted.

Measured (runs alternated, load average 10–13 on the 2 shared cores, one thread each), before the in-place
activations, weight layout and bias add of ``nets.ensemble`` and the fused Adam, vmapped losses and batched norms
and checks of ``ensemble``: ratio 1.60, 1.95, 1.74, 1.74, 1.88, 1.59 (per CPU-second 1.62–1.94); after: 2.47, 2.14,
2.18 (with all but the vmapped losses), 2.21, 2.22, 1.90 (per CPU-second 1.88–2.34). A second thread for the
ensemble (``--ensemble-threads 2``) only pays on an otherwise idle machine: at that load it gave 0.2–0.4×.
``bench/prototype_ensemble.py`` times a minimal batched loop next to it (the floor of batching alone).

    python bench/bench_ensemble.py [--members 32] [--rounds 3] [--seconds 4] [--threads 1] [--ensemble-threads 2]
                                   [--device cpu]

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import torch

from gan_studio import config as C
from gan_studio.config import Config
from gan_studio.ensemble import make_trainer
from gan_studio.runner import Runner


def steps_per_second(cfg: Config, seconds: float) -> tuple[float, float]:
    """Training steps per wall second and per CPU second of this process, of ``make_trainer(cfg)`` through the
    Runner over about ``seconds`` (after 5 warm-up steps)."""
    runner = Runner(make_trainer(cfg))
    for _ in range(5):
        runner.step()
    if cfg.train.device == "cuda":
        torch.cuda.synchronize()
    start, cpu_start = time.perf_counter(), time.process_time()
    steps = runner.run_for(seconds)
    if cfg.train.device == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start), steps / (time.process_time() - cpu_start)


def main() -> None:
    """Alternate one run and one ensemble; print each round and the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="timed seconds per phase")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the one run")
    parser.add_argument("--ensemble-threads", type=int, default=None,
                        help="torch threads of the ensemble (default: --threads; a single small run gains nothing "
                             "from a second thread, a batched ensemble can)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    ensemble_threads = args.ensemble_threads or args.threads
    cfg = Config()
    for key, value in (("train.device", args.device), ("train.log_every", 10**6), ("metrics.every", 10**6),
                       ("metrics.ot_every", 10**6)):
        cfg = C.with_value(cfg, key, value)
    ensemble_cfg = C.with_value(cfg, "train.seeds", args.members)
    ratios, cpu_ratios, singles, members = [], [], [], []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for i in range(args.rounds):
        torch.set_num_threads(args.threads)
        single, single_cpu = steps_per_second(cfg, args.seconds)
        torch.set_num_threads(ensemble_threads)
        batched, batched_cpu = (rate * args.members for rate in steps_per_second(ensemble_cfg, args.seconds))
        singles.append(single)
        members.append(batched)
        ratios.append(batched / single)
        cpu_ratios.append(batched_cpu / single_cpu)
        print(f"round {i + 1}: one run {single:7.1f} steps/s   {args.members} members {batched:8.1f} member-steps/s"
              f"   ratio {batched / single:5.2f}   per CPU-second {batched_cpu / single_cpu:5.2f}", flush=True)
    print(json.dumps({"members": args.members, "threads": args.threads, "ensemble_threads": ensemble_threads,
                      "device": args.device,
                      "single_steps_per_s": round(statistics.median(singles), 1),
                      "member_steps_per_s": round(statistics.median(members), 1),
                      "ratio_median": round(statistics.median(ratios), 2),
                      "cpu_ratio_median": round(statistics.median(cpu_ratios), 2),
                      "loadavg": None if load is None else round(load, 1)}))


if __name__ == "__main__":
    main()
