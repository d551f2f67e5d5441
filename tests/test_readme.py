"""The README's set-up commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = 'pip install torch==2.13.0 && pip install -e ".[test]" && python -m pytest'
    assert command in readme
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install torch==2.13.0 && pip install -e . && gan-studio" in readme
