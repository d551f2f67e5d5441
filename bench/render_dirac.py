"""Render the Dirac-GAN lab view (``gan_studio.gui.views.dirac``) offscreen to a PNG, to check it by eye.

    python bench/render_dirac.py out.png                      # the minimax GAN at 100 %
    python bench/render_dirac.py out.png --case r1 --scale 2 --theme dark --step 0.3 --start 1.5 -0.5
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    from gan_studio.dynamics.dirac import CASES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="PNG path")
    ap.add_argument("--case", default="gan", choices=list(CASES), help="the case (default gan)")
    ap.add_argument("--scale", type=float, default=1.0, help="view scale, 1 = 100 %% (default 1)")
    ap.add_argument("--theme", default="light", choices=["light", "dark"])
    ap.add_argument("--step", type=float, default=0.2, help="step size h (default 0.2)")
    ap.add_argument("--start", type=float, nargs=2, default=(1.0, 0.5), metavar=("THETA", "PSI"))
    ap.add_argument("--size", default="1100x700", help="window size in pixels at scale 1 (default 1100x700)")
    args = ap.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6 import QtWidgets

    from gan_studio.gui import theme as th
    from gan_studio.gui.views.dirac import DiracView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["render-dirac"])
    theme = th.THEMES[args.theme]
    th.apply_app_theme(app, theme, args.scale)
    width, height = (int(int(v) * args.scale) for v in args.size.lower().split("x"))
    view = DiracView(theme, args.scale, case=args.case, h=args.step, start=tuple(args.start))
    view.resize(width, height)
    view.show()
    for _ in range(3):
        app.processEvents()
    ok = view.grab().save(args.out)
    view.close()
    message = f"{args.out}: {width}x{height}, case {args.case}, scale {args.scale}"
    print(message if ok else f"could not write {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
