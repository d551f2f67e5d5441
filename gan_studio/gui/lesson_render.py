"""``gan-studio lesson NAME --render DIR``: play a lesson headless and draw the window at each stage's step, with the
stage's caption in the status bar, as ``DIR/NN-<slug>.png``; then ``DIR/lesson.md`` lists each stage's picture,
caption, question, changes and claims (checked on this very run).

Training happens in a child process through the Runner (``handle.stream_from_child``, as ``render --video``): a
Packet arrives at each stage's step carrying the rows and events since the one before. This module never imports
torch.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

from gan_studio.config import ConfigError
from gan_studio.lessons import Lesson, Stage
from gan_studio.lessons.claims import Verdict


def slug(text: str, most: int = 40) -> str:
    """A file-name piece of a caption: lower-case words joined by '-', at most ``most`` characters."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:most].rstrip("-") or "stage"


def stage_png(i: int, stage: Stage) -> str:
    """The picture's file name of stage ``i`` (1-based): ``NN-<slug>.png``."""
    return f"{i:02d}-{slug(stage.caption)}.png"


def status_line(i: int, lesson: Lesson, stage: Stage) -> str:
    """What the status bar says at a stage: where the class is and what to watch."""
    return f"Lesson {i}/{len(lesson.stages)} · step {stage.step:,}: {stage.caption}"


def _folder(out_dir: str | os.PathLike) -> Path:
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--render: cannot create folder '{out}': {err.strerror or err}") from None
    return out


def lesson_markdown(lesson: Lesson, verdicts: list[list[tuple[str, Verdict]]], error: str = "") -> str:
    """``lesson.md``: the lesson, then per stage its picture, caption, question, changes and claims."""
    lines = [f"# Lesson: {lesson.name}", "", lesson.description, "", f"Starts from {lesson.origin}.", ""]
    for i, stage in enumerate(lesson.stages, start=1):
        lines += [f"## Stage {i} — step {stage.step:,}", "", f"![stage]({stage_png(i, stage)})", "",
                  f"**Watch:** {stage.caption}", ""]
        if stage.question:
            lines += [f"**Ask:** {stage.question}", ""]
        if stage.highlight:
            lines += [f"**Look at:** the {stage.highlight} panel", ""]
        if stage.change_texts:
            lines += [f"**Then:** {', '.join(f'`{text}`' for text in stage.change_texts)} (from step "
                      f"{stage.step + 1:,} on)", ""]
        for name, verdict in verdicts[i - 1] if i <= len(verdicts) else []:
            lines += [f"- claim `{name}` {'holds' if verdict.holds else 'does not hold'}: {verdict.measured}"]
        if stage.claims:
            lines.append("")
    if error:
        lines += [f"Training stopped: {error}", ""]
    return "\n".join(lines)


def render_lesson(lesson: Lesson, out_dir: str | os.PathLike, size: tuple[int, int] = (1600, 1000),
                  theme: str = "light", scale: float = 1.0, trainer_factory=None, progress: bool = True) -> str:
    """Train ``lesson`` in a child process and write one PNG per stage and ``lesson.md`` into ``out_dir``; return
    the training error message ("" when the run reached the last stage). Progress goes to stderr."""
    from gan_studio.gui.render import OffscreenWindow, check_view
    from gan_studio.worker.handle import stream_from_child

    check_view(theme, scale)
    out = _folder(out_dir)
    steps = [stage.step for stage in lesson.stages]
    rows, frames, error = [], {}, ""
    window: OffscreenWindow | None = None
    try:
        stream = stream_from_child(lesson.cfg, lesson.steps, steps, lesson.schedule().items, trainer_factory,
                                   progress)
        for i, (stage, packet) in enumerate(zip(lesson.stages, stream, strict=False), start=1):
            rows += packet.rows
            frames[packet.step] = packet.frame
            error = packet.error
            if window is None:
                window = OffscreenWindow(packet.cfg, size, theme, scale)
            shown = dataclasses.replace(packet, messages=[*packet.messages, status_line(i, lesson, stage)])
            window.window.show_stage_views(lesson, i - 1)  # curves, tab, Dirac-lab case: as the window shows them
            window.show(shown, settle=3)
            path = out / stage_png(i, stage)
            window.save_png(path)
            if progress:
                print(f"stage {i}/{len(lesson.stages)} (step {packet.step:,}): wrote {path}", file=sys.stderr)
            if error:
                break
    finally:
        if window is not None:
            window.close()
    reached = [stage for stage in lesson.stages if stage.step in frames]
    verdicts = []
    for stage, run in zip(reached, lesson.stage_runs(rows, frames), strict=False):
        try:
            verdicts.append([(claim.name, claim.check(run)) for claim in stage.claims])
        except ValueError as err:  # a claim that cannot be measured on this run (say, --set changed the data)
            verdicts.append([(claim.name, Verdict(False, str(err))) for claim in stage.claims])
    (out / "lesson.md").write_text(lesson_markdown(lesson, verdicts, error), encoding="utf-8")
    if progress:
        for i, stage_verdicts in enumerate(verdicts, start=1):
            for name, verdict in stage_verdicts:
                print(f"stage {i} claim {name}: {'holds' if verdict.holds else 'does NOT hold'}: {verdict.measured}",
                      file=sys.stderr)
    return error
