"""Render every shipped preset at the step its 60-second budget gives, at three window sizes / scales.

    python bench/render_presets.py OUT_DIR [--preset NAME ...]

Each preset trains once (in a child process, through the Runner, as `gan-studio render` does) for the steps its
TOML's 60-s budget comment records ("… so ~N steps"), and the same final state is drawn at 1920×1080 (100 %),
1280×720 (100 %) and 3840×2160 (200 %), so the pictures show what a class sees after a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from importlib import resources
from pathlib import Path

SIZES = [((1920, 1080), 1.0, "1080p"), ((1280, 720), 1.0, "720p"), ((3840, 2160), 2.0, "4k-200")]


def budget_steps(name: str) -> int:
    """The lower end of the 60-second budget a preset's TOML records ("… so ~6,800–9,600 steps" → 6800)."""
    text = resources.files("gan_studio.presets").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    match = re.search(r"so ~([\d,]+)", text)
    if match is None:
        raise SystemExit(f"{name}: no '60-s budget … so ~N steps' comment in its TOML")
    return int(match.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    """Render the presets named (default: all) into OUT_DIR; print one line per picture."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gan_studio.gui.render import draw_packet
    from gan_studio.presets import list_presets, load_preset
    from gan_studio.worker.handle import train_in_child

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--preset", action="append", default=[])
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.preset or [n for n, _ in list_presets()]:
        steps = budget_steps(name)
        packet = train_in_child(load_preset(name), steps, progress=True)
        for size, scale, label in SIZES:
            path = args.out / f"{name}-{steps}-{label}.png"
            draw_packet(packet, path, size=size, scale=scale)
            print(f"{path}  ({steps} steps, {packet.steps_per_s:.0f} steps/s, error: {packet.error or 'none'})",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
