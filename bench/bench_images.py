"""Benchmark: how fast does the default image preset show recognisable digits on a CPU?

Trains with the engine (``gan_studio.engine.Trainer``, one torch thread) and, every ``--eval-every`` steps, measures
2,500 generated samples with the image classifier (``gan_studio.measure.images.ImageMetrics``). The training clock
includes the engine's own metrics rows (every ``metrics.every`` steps, as in the app) but not the classifier's
one-off training or this script's evaluations, which are reported separately. Prints one JSON line per evaluation
and a summary: steps/s, the training seconds until ≥ 8 of 10 classes are covered with ≥ 50 % of the samples
confidently classified (max class probability ≥ 0.9), and until all classes are covered with ≥ 80 %.

    python bench/bench_images.py                       # the digits preset (gan_studio/presets/digits.toml), on the CPU
    python bench/bench_images.py --set model.arch=conv --set loss.name=hinge
    python bench/bench_images.py --config my.toml --budget 120
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from gan_studio import config as C  # noqa: E402
from gan_studio.presets import load_preset  # noqa: E402

TARGET_SHARE = 0.8  # classes to cover: 8 of 10 digits (round(0.8 K) for a set with K classes)
TARGET_CONFIDENT = 50.0
STRICT_CONFIDENT = 80.0  # a second, stricter milestone: every class covered and ≥ 80 % confident


def save_grid(trainer, path: str) -> None:
    """Save the 8×8 fixed-latent sample grid of ``ImageProbe`` as a PNG (6× nearest-neighbour zoom)."""
    import numpy as np
    from PIL import Image

    from gan_studio.gui.views.samples import mosaic  # the picture the window shows
    from gan_studio.measure.images import ImageProbe

    m = trainer.cfg.model
    imgs = ImageProbe(trainer.dataset, m.latent_dim, m.latent, trainer.cfg.train.seed).images(trainer.G, 0)["fake"]
    picture = mosaic(imgs, int(round(len(imgs) ** 0.5)), pad_value=0.3)
    pixels = (255 * picture).astype(np.uint8)
    im = Image.fromarray(pixels)
    im.resize((im.width * 6, im.height * 6), Image.Resampling.NEAREST).save(path)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when the target was reached within the budget, 1 otherwise."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="TOML config (default: the digits preset, on the CPU)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    ap.add_argument("--budget", type=float, default=180.0, help="training seconds before giving up (default 180)")
    ap.add_argument("--eval-every", type=int, default=100, help="steps between evaluations (default 100)")
    ap.add_argument("--n-eval", type=int, default=2500, help="generated samples per evaluation (default 2500)")
    ap.add_argument("--continue-after", action="store_true",
                    help="keep training after both milestones, to the budget")
    ap.add_argument("--grid", metavar="PNG", help="save 8×8 generated samples (fixed z) at the target and the end")
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    cfg = C.load(args.config) if args.config else C.with_value(load_preset("digits"), "train.device", "cpu")
    for text in args.set:
        cfg = C.with_value(cfg, *C.parse_assignment(text))

    from gan_studio.engine import Trainer
    from gan_studio.measure.images import CONFIDENCE, ImageMetrics
    from gan_studio.runner import Runner

    t0 = time.perf_counter()
    trainer = Trainer(cfg)
    runner = Runner(trainer)
    setup_s = time.perf_counter() - t0
    metrics = ImageMetrics(trainer.dataset)
    t0 = time.perf_counter()
    metrics.classifier  # noqa: B018 — trains (or loads) the classifier now, outside the training clock
    classifier_s = time.perf_counter() - t0
    target_classes = round(TARGET_SHARE * len(trainer.dataset.class_names))
    print(json.dumps({"config": C.to_dict(cfg), "setup_s": round(setup_s, 2),
                      "classifier_s": round(classifier_s, 2), "classifier": metrics.describe()}), flush=True)

    train_s = eval_s = 0.0
    reached_at = reached_step = None
    strict_at = strict_step = None
    step = 0
    while train_s < args.budget:
        t0 = time.perf_counter()
        runner.run(trainer.step_count + args.eval_every)
        train_s += time.perf_counter() - t0
        step = trainer.step_count
        t0 = time.perf_counter()
        fake = trainer.generate(args.n_eval, trainer.measurer.stream("metrics")).cpu().numpy()
        row = metrics.evaluate(fake)
        eval_s += time.perf_counter() - t0
        hit = row["classes"] >= target_classes and row["confident"] >= TARGET_CONFIDENT
        strict = row["classes"] == len(trainer.dataset.class_names) and row["confident"] >= STRICT_CONFIDENT
        if strict and strict_at is None:
            strict_at, strict_step = train_s, step
        if hit and reached_at is None:
            reached_at, reached_step = train_s, step
            if args.grid:
                save_grid(trainer, args.grid.replace(".png", f"-target-{step}.png"))
        print(json.dumps({"step": step, "train_s": round(train_s, 2), "steps_per_s": round(step / train_s, 1),
                          **{k: round(v, 4) for k, v in row.items()}, "target": hit}), flush=True)
        if reached_at is not None and strict_at is not None and not args.continue_after:
            break

    if args.grid:
        save_grid(trainer, args.grid.replace(".png", f"-end-{step}.png"))
    summary = {
        "steps": step, "train_s": round(train_s, 2), "steps_per_s": round(step / train_s, 1),
        "eval_s_total": round(eval_s, 2), "eval_share": round(eval_s / (train_s + eval_s), 3),
        "target": f"≥ {target_classes}/{len(trainer.dataset.class_names)} classes and "
                  f"≥ {TARGET_CONFIDENT:g} % samples with p ≥ {CONFIDENCE}",
        "seconds_to_target": None if reached_at is None else round(reached_at, 1),
        "steps_to_target": reached_step,
        "strict": f"all classes and ≥ {STRICT_CONFIDENT:g} % confident",
        "seconds_to_strict": None if strict_at is None else round(strict_at, 1), "steps_to_strict": strict_step,
        "torch_threads": torch.get_num_threads(),
    }
    print(json.dumps(summary), flush=True)
    return 0 if reached_at is not None else 1


if __name__ == "__main__":
    sys.exit(main())
