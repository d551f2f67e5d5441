"""Guided lessons (issue #13): TOML files in this folder, each a preset (or config file) plus ordered stages.

A lesson file::

    description = "one line for `gan-studio lesson --list`"
    preset = "ring8-collapse"          # or config = "path/to/config.toml" (relative to the lesson file)
    [set]                              # optional overrides, as --set: dotted keys
    "train.seed" = 0

    [[stage]]
    step = 1500                        # the run plays to this step and pauses: the stage's picture
    caption = "What to watch"
    question = "Asked while paused"    # optional
    changes = ["loss.name=wgan"]       # optional: applied at this step (after it completes), as --at STEP KEY=VALUE
    highlight = "modes"                # optional: a panel id (HIGHLIGHTS)
    show = ["grad_act_d_<i>"]          # optional: curves to turn on, hidden ones included (SHOWABLE)
    tab = "dirac"                      # optional: the tab to bring to the front (TABS)
    dirac = "wgan"                     # optional: the case the Dirac-GAN lab shows (DIRAC_CASES)
    dirac_step = 0.2                   # optional: the lab's step size h (0 < h ≤ 2)
    claim = { check = "modes_at_most", most = 2, from_step = 300 }   # optional: see lessons.claims; a list of
                                       # such tables for several claims

Stage steps are whole numbers, strictly increasing from ≥ 0. A stage covers the steps after the previous stage's
step up to its own; its changes run when the run reaches its step, so they shape the next stage (the picture at
the step shows the state there, with the change's event just recorded). Every mistake is one ConfigError line
naming the file, the stage (1-based) and the key.

Plain data: imports neither torch nor Qt (the window's lesson bar reads it).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gan_studio import config
from gan_studio.columns import COLUMNS
from gan_studio.config import Config, ConfigError
from gan_studio.lessons.claims import Claim, StageRun, Verdict, parse_claim
from gan_studio.schedule import Schedule, parse_change

# What a stage may highlight: the data view, or a time-series panel of the column registry.
HIGHLIGHTS: tuple[str, ...] = ("data", *dict.fromkeys(c.panel for c in COLUMNS if c.panel))
TOP_KEYS = ("description", "preset", "config", "set", "stage")
STAGE_KEYS = ("step", "caption", "question", "changes", "highlight", "show", "tab", "dirac", "dirac_step",
              "claim")
# What a stage may bring to the front: the window's tabs by id (the window maps each to its widget; "images" and
# "seeds" exist only for image data and seed ensembles, and a stage naming one the run lacks leaves the tab as is).
TABS: tuple[str, ...] = ("data", "dirac", "latent", "images", "seeds")
# The Dirac-GAN lab's cases (the keys of gan_studio.dynamics.dirac.CASES, which this plain-data layer may not
# import; tests/test_lessons.py checks that the two agree).
DIRAC_CASES: tuple[str, ...] = ("gan", "ns", "wgan", "wgan-clip", "wgan-gp", "wgan-r1", "r1", "r2", "noise",
                                "consensus")
# What a stage may show: any time-series curve of the column registry, by its registry name ("grad_act_d_<i>"),
# the curves a panel hides behind "+k more" included.
SHOWABLE: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.panel)


@dataclass(frozen=True)
class Stage:
    """One pause of a lesson: the run plays to ``step``, shows ``caption`` (and asks ``question``), then applies
    ``changes`` (parsed as ``--at step KEY=VALUE``) and goes on."""

    step: int
    caption: str
    question: str = ""
    changes: tuple[tuple[int, str, object], ...] = ()  # schedule items (step, what, value)
    change_texts: tuple[str, ...] = ()  # the changes as written ("loss.name=wgan")
    highlight: str = ""  # "" or one of HIGHLIGHTS
    claims: tuple[Claim, ...] = ()  # what the tests (and `gan-studio lesson`) check on the lesson's own run
    show: tuple[str, ...] = ()  # curves (SHOWABLE) the window turns on at this stage, hidden ones included
    tab: str = ""  # "" or one of TABS: the tab the window brings to the front at this stage
    dirac: str = ""  # "" or one of DIRAC_CASES: the case the Dirac-GAN lab shows from this stage on
    dirac_step: float = 0.0  # the lab's step size h from this stage on; 0: left as it is


@dataclass(frozen=True)
class Lesson:
    """A lesson: where it starts (``cfg``) and its stages in order."""

    name: str
    description: str
    cfg: Config
    stages: tuple[Stage, ...]
    origin: str = ""  # where the config comes from, in words: "preset ring8-collapse", "config FILE; set KEY=VALUE"

    @property
    def steps(self) -> int:
        """The run's length: the last stage's step."""
        return self.stages[-1].step

    def dirac_at(self, index: int) -> tuple[str, float]:
        """The Dirac-GAN lab's case and step size in effect at stage ``index`` (0-based): the last ones given at or
        before it ("" and 0.0 where none was), so that Back shows the lab as it was at that stage."""
        case, step = "", 0.0
        for stage in self.stages[:index + 1]:
            case, step = stage.dirac or case, stage.dirac_step or step
        return case, step

    def schedule(self) -> Schedule:
        """A fresh Schedule of every stage's changes, in stage order (the Runner consumes it)."""
        return Schedule(item for stage in self.stages for item in stage.changes)

    def with_overrides(self, assignments) -> Lesson:
        """A copy whose config has ``KEY=VALUE`` assignments applied (the CLI's --set, tests' small nets)."""
        cfg = self.cfg
        for text in assignments:
            cfg = config.with_value(cfg, *config.parse_assignment(text))
        origin = "; ".join([self.origin, *(f"--set {text}" for text in assignments)])
        return Lesson(self.name, self.description, cfg, self.stages, origin)

    def stage_runs(self, rows: list[dict], frames: dict[int, object]) -> list[StageRun]:
        """What each stage's claims see of a run: its metrics ``rows`` (as metrics.csv) split into the stages'
        spans, and ``frames`` (step → ``frames.Frame``) at the stages' steps."""
        runs, start, previous_rows = [], -1, []
        for stage in self.stages:
            span = [row for row in rows if start < row["step"] <= stage.step]
            runs.append(StageRun(start, stage.step, span, previous_rows, frames.get(start), frames.get(stage.step)))
            start, previous_rows = stage.step, span
        return runs

    def check_claims(self, rows: list[dict], frames: dict[int, object]) -> list[list[tuple[str, Verdict]]]:
        """Each stage's claims checked on a run of this lesson: per stage, (claim name, Verdict) in order."""
        return [[(claim.name, claim.check(run)) for claim in stage.claims]
                for stage, run in zip(self.stages, self.stage_runs(rows, frames), strict=True)]


def _package_files() -> dict[str, object]:
    return {f.name.removesuffix(".toml"): f for f in resources.files(__package__).iterdir()
            if f.name.endswith(".toml")}


def lesson_names() -> list[str]:
    """Names of the shipped lessons, sorted (their file names start with their order: 1-, 2-, ...)."""
    return sorted(_package_files())


def list_lessons() -> list[tuple[str, str]]:
    """(name, one-line description) of every shipped lesson, in order."""
    return [(name, load_lesson(name).description) for name in lesson_names()]


def is_lesson_path(text: str) -> bool:
    """Whether a NAME|FILE argument names a file rather than a shipped lesson."""
    return text.endswith(".toml") or "/" in text or "\\" in text


def load_lesson(name_or_path: str | Path) -> Lesson:
    """A shipped lesson by name, or a lesson file by path; a ConfigError (one line) if it is missing or invalid."""
    text = str(name_or_path)
    if is_lesson_path(text):
        path = Path(text)
        return parse_lesson(config.read_text(path, "lesson file"), path.stem, str(path), base=path.parent)
    files = _package_files()
    if text not in files:
        raise ConfigError(f"unknown lesson '{text}'; lessons: {', '.join(sorted(files))} (or a path to a .toml file)")
    return parse_lesson(files[text].read_text(encoding="utf-8"), text, f"lesson {text}")


def _flatten(table: dict, prefix: str = "") -> list[tuple[str, object]]:
    """``{"train": {"seed": 1}}`` and ``{"train.seed": 1}`` alike as ``[("train.seed", 1)]``."""
    items = []
    for key, value in table.items():
        if isinstance(value, dict):
            items += _flatten(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", value))
    return items


def _base_config(data: dict, where: str, base: Path | None) -> Config:
    preset, path = data.get("preset"), data.get("config")
    if (preset is None) == (path is None):
        raise ConfigError(f"{where}: give exactly one of preset = \"NAME\" or config = \"FILE.toml\"")
    if preset is not None:
        if not isinstance(preset, str):
            raise ConfigError(f"{where}: preset: expected a preset name, got {preset!r}")
        from gan_studio.presets import load_preset

        try:
            cfg = load_preset(preset)
        except ConfigError as err:
            raise ConfigError(f"{where}: preset: {err}") from None
    else:
        if not isinstance(path, str):
            raise ConfigError(f"{where}: config: expected a file path, got {path!r}")
        if base is None:
            raise ConfigError(f"{where}: config: a shipped lesson starts from a preset")
        try:
            cfg = config.load(base / path)
        except ConfigError as err:
            raise ConfigError(f"{where}: config: {err}") from None
    overrides = data.get("set", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{where}: set: expected a table of KEY = VALUE, got {overrides!r}")
    for key, value in _flatten(overrides):
        try:
            cfg = config.with_value(cfg, key, value)
        except ConfigError as err:
            raise ConfigError(f"{where}: set: {err}") from None
    return cfg


def _stage(table: object, i: int, where: str, previous: int) -> Stage:
    """Stage ``i`` (1-based) checked key by key."""
    here = f"{where}: stage {i}"
    if not isinstance(table, dict):
        raise ConfigError(f"{here}: expected a [[stage]] table")
    unknown = [key for key in table if key not in STAGE_KEYS]
    if unknown:
        raise ConfigError(f"{here}: unknown key '{unknown[0]}'; allowed: {', '.join(STAGE_KEYS)}")
    step = table.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= config.INT64_MAX:
        raise ConfigError(f"{here}: step: expected a whole number of steps ≥ 0, got {step!r}")
    if step <= previous:
        raise ConfigError(f"{here}: step: expected more than the previous stage's step {previous}, got {step}")
    caption = table.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        raise ConfigError(f"{here}: caption: expected a non-empty text, got {caption!r}")
    question = table.get("question", "")
    if not isinstance(question, str):
        raise ConfigError(f"{here}: question: expected a text, got {question!r}")
    texts = table.get("changes", [])
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise ConfigError(f"{here}: changes: expected a list of \"KEY=VALUE\" texts, got {texts!r}")
    changes = []
    for text in texts:
        try:
            changes.append(parse_change(step, text))
        except ConfigError as err:
            raise ConfigError(f"{here}: changes: {err}") from None
    highlight = table.get("highlight", "")
    if highlight != "" and highlight not in HIGHLIGHTS:
        raise ConfigError(f"{here}: highlight: expected one of {', '.join(HIGHLIGHTS)}, got {highlight!r}")
    show = table.get("show", [])
    if not isinstance(show, list) or not all(isinstance(name, str) and name in SHOWABLE for name in show):
        raise ConfigError(f"{here}: show: expected a list of time-series columns ({', '.join(SHOWABLE)}), "
                          f"got {show!r}")
    tab = table.get("tab", "")
    if tab != "" and tab not in TABS:
        raise ConfigError(f"{here}: tab: expected one of {', '.join(TABS)}, got {tab!r}")
    dirac = table.get("dirac", "")
    if dirac != "" and dirac not in DIRAC_CASES:
        raise ConfigError(f"{here}: dirac: expected a Dirac-GAN lab case ({', '.join(DIRAC_CASES)}), got {dirac!r}")
    dirac_step = table.get("dirac_step", 0.0)  # 0: not given
    if "dirac_step" in table and (isinstance(dirac_step, bool) or not isinstance(dirac_step, (int, float))
                                  or not 0 < dirac_step <= 2):
        raise ConfigError(f"{here}: dirac_step: expected the lab's step size h, 0 < h ≤ 2, got {dirac_step!r}")
    given = table.get("claim", [])
    claims = []
    for n, value in enumerate(given if isinstance(given, list) else [given], start=1):
        try:
            claims.append(parse_claim(value))
        except ConfigError as err:
            which = f"claim {n}" if isinstance(given, list) else "claim"
            raise ConfigError(f"{here}: {which}: {err}") from None
    return Stage(step, caption.strip(), question.strip(), tuple(changes), tuple(texts), highlight, tuple(claims),
                 tuple(show), tab, dirac, float(dirac_step))


def parse_lesson(text: str, name: str, where: str, base: Path | None = None) -> Lesson:
    """A lesson from its TOML text; ``where`` names it in errors; ``base``: the folder a ``config`` path is relative
    to (None for shipped lessons, which start from presets)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where}: not valid TOML: {err}") from None
    unknown = [key for key in data if key not in TOP_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}'; allowed: {', '.join(TOP_KEYS)}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{where}: description: expected a text, got {description!r}")
    cfg = _base_config(data, where, base)
    tables = data.get("stage")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{where}: expected at least one [[stage]] table with step and caption")
    stages, previous = [], -1
    for i, table in enumerate(tables, start=1):
        stage = _stage(table, i, where, previous)
        stages.append(stage)
        previous = stage.step
    origin = f"preset {data['preset']}" if "preset" in data else f"config {data['config']}"
    origin = "; ".join([origin, *(f"set {key} = {value!r}" for key, value in _flatten(data.get("set", {})))])
    return Lesson(name, description, cfg, tuple(stages), origin)


__all__ = ["DIRAC_CASES", "HIGHLIGHTS", "TABS", "Lesson", "Stage", "is_lesson_path", "lesson_names", "list_lessons",
           "load_lesson", "parse_lesson"]
