"""The house rules, enforced: import contracts (pyproject's [tool.importlinter]), lint, and that the process
that draws the window never imports torch — checked on the real code paths, not just on imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_import_contracts_hold():
    """Layers top to bottom, Qt only in gui/, no torch or training modules in gui/, pure-NumPy metrics/."""
    exe = shutil.which("lint-imports")
    assert exe is not None, "lint-imports is missing: pip install -e '.[test]'"
    out = _run(exe, "--no-cache")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_is_clean():
    exe = shutil.which("ruff")
    assert exe is not None, "ruff is missing: pip install -e '.[test]'"
    out = _run(exe, "check", "gan_studio", "tests", "bench")
    assert out.returncode == 0, out.stdout[-4000:]


def test_render_trains_in_a_child_and_the_drawing_process_never_imports_torch(tmp_path):
    """`gan-studio render` end to end with the real engine: the PNG is written, and torch was never imported in
    the process that drew it (training ran in a spawned child, as the window's worker does)."""
    pytest.importorskip("torch")
    out = tmp_path / "shot.png"
    code = ("import sys\n"
            "from gan_studio import cli\n"
            f"rc = cli.main(['render', '--steps', '12', '--size', '900x600', '--out', {str(out)!r},\n"
            "              '--set', 'model.hidden=16', '--set', 'train.batch_size=32', '--set', 'train.device=cpu',\n"
            "              '--set', 'metrics.n_samples=300', '--set', 'metrics.ot_samples=100'])\n"
            "print('rc', rc, 'torch', 'torch' in sys.modules)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "rc 0 torch False", result.stdout + result.stderr[-2000:]
    assert out.stat().st_size > 10_000
