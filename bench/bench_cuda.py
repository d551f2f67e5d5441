"""Benchmark for a machine with an NVIDIA GPU (issue 15): one prepared run, about three minutes.

1. Host–device synchronisations per training step (torch's sync debug mode counts them), on unlogged and on
   logged steps, for the default preset and WGAN-GP, with ``train.rng`` = device and = cpu. The target on
   unlogged steps is 0.
2. ``gan-studio bench --device cuda``'s table: the presets on the GPU and on this machine's CPU (one torch
   thread), against the plain loop eager and captured as one CUDA graph, as ratios.

Prints human-readable lines and, last, one JSON line. Exit status 2 (one line) without CUDA.

    python bench/bench_cuda.py [--seconds 5] [--cpu-seconds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import torch

from gan_studio import bench
from gan_studio.config import with_value
from gan_studio.engine import Trainer


def syncs_per_step(preset: str, rng: str, steps: int = 40) -> dict[str, float]:
    """Mean synchronisations per unlogged and per logged step of ``preset`` on CUDA (measurement never due)."""
    cfg = bench.device_config(preset, {"metrics.every": bench.NEVER, "metrics.ot_every": bench.NEVER}, "cuda")
    cfg = with_value(cfg, "train.rng", rng)
    trainer = Trainer(cfg)
    for _ in range(bench.WARMUP_STEPS):
        trainer.step()
    counts: dict[bool, list[int]] = {True: [], False: []}
    torch.cuda.set_sync_debug_mode("warn")
    try:
        for _ in range(steps):
            logged = (trainer.step_count + 1) % cfg.train.log_every == 0
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                trainer.step()
            counts[logged].append(sum("synchroniz" in str(w.message) for w in caught))
    finally:
        torch.cuda.set_sync_debug_mode(0)
    return {"unlogged": sum(counts[False]) / max(len(counts[False]), 1),
            "logged": sum(counts[True]) / max(len(counts[True]), 1)}


def main() -> int:
    """Run both parts and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per setting on the GPU")
    parser.add_argument("--cpu-seconds", type=float, default=5.0, help="timed seconds per setting on the CPU")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(f"bench_cuda: no CUDA device visible to torch {torch.__version__}", file=sys.stderr)
        return 2
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    syncs = {f"{preset} rng={rng}": syncs_per_step(preset, rng)
             for preset in ("ring8-collapse", "ring8-wgan-gp") for rng in ("device", "cpu")}
    for name, count in syncs.items():
        print(f"synchronisations per step, {name}: unlogged {count['unlogged']:.2f}, logged {count['logged']:.2f}")
    quiet = {"metrics.every": bench.NEVER, "metrics.ot_every": bench.NEVER}
    rng_cpu = bench.timed_engine_rate(with_value(bench.device_config("ring8-collapse", quiet, "cuda"),
                                                 "train.rng", "cpu"), args.seconds)
    print(f"ring8-collapse, no measurement, train.rng = cpu on CUDA: {rng_cpu:.1f} steps/s")
    code = bench.run_device_bench("cuda", args.seconds, args.cpu_seconds)
    print(json.dumps({"syncs_per_step": syncs, "ring8_collapse_rng_cpu_steps_per_s": round(rng_cpu, 1)}))
    return code


if __name__ == "__main__":
    sys.exit(main())
