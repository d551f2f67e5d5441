"""The README's set-up commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = 'pip install torch==2.13.0 && pip install -e ".[test]" && python -m pytest'
    assert command in readme
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install torch==2.13.0 && pip install -e . && gan-studio" in readme


def _block(readme: str, start: str, end: str) -> str:
    return readme[readme.index(start) + len(start):readme.index(end)].strip()


def test_readme_config_table_is_the_codes():
    from gan_studio.config import keys_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _block(readme, "<!-- keys:start -->", "<!-- keys:end -->") == keys_table()


def test_readme_command_line_names_every_sub_command_and_option():
    from gan_studio.cli import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Command line"):]
    block = section[section.index("```") + 3:]
    block = block[:block.index("```")]
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, command in sub.choices.items():
        assert f"gan-studio {name}" in block, name
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in block, f"gan-studio {name} {option} is not in the README's command-line block"
