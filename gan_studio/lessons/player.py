"""The pure model of playing a lesson: which stage is current, next / back / leave, and what the run must do.

The window's lesson bar (and ``gan-studio lesson``) drive a run with it: play to ``pause_step``, show the current
stage, wait for "next". ``back`` goes to the previous stage, whose state is the run at that stage's step: replay
from the start with ``schedule()`` to ``pause_step`` (``needs_replay`` says so). ``leave`` ends the guidance: no
more pauses and no more scheduled changes (free exploration from where the run is).

No torch, no Qt: the window's lesson bar observes this model; it does not hold the state itself.
"""

from __future__ import annotations

from gan_studio.lessons import Lesson, Stage
from gan_studio.schedule import Schedule


class LessonPlayer:
    """Where a class is in a lesson: the current stage index (0-based), or left for free exploration."""

    def __init__(self, lesson: Lesson):
        self.lesson = lesson
        self.index = 0
        self.left = False  # True after leave(): free exploration
        self.needs_replay = False  # True after back(): the run must restart and replay to pause_step

    @property
    def stage(self) -> Stage:
        """The current stage."""
        return self.lesson.stages[self.index]

    @property
    def at_start(self) -> bool:
        """Whether the current stage is the first."""
        return self.index == 0

    @property
    def at_end(self) -> bool:
        """Whether the current stage is the last."""
        return self.index == len(self.lesson.stages) - 1

    @property
    def pause_step(self) -> int | None:
        """The step the run plays to and pauses at (the current stage's), or None once left."""
        return None if self.left else self.stage.step

    def next(self) -> Stage:
        """Go on to the next stage (the run continues from here); at the last stage, stay. Returns the stage."""
        if not self.left and not self.at_end:
            self.index += 1
            self.needs_replay = False
        return self.stage

    def back(self) -> Stage:
        """Go back one stage: its state is the run at its step, so the run replays from the start to it
        (``needs_replay``); at the first stage, stay (and replay to it). Returns the stage."""
        if not self.left:
            self.index = max(self.index - 1, 0)
            self.needs_replay = True
        return self.stage

    def leave(self) -> None:
        """Stop guiding: no pauses, no more scheduled changes; the class explores from where the run is."""
        self.left = True
        self.needs_replay = False

    def schedule(self) -> Schedule:
        """The changes the run applies: every stage's while the lesson plays (a fresh Schedule, for a new run or a
        replay from the start), none once left."""
        return Schedule() if self.left else self.lesson.schedule()

    def replayed(self) -> None:
        """The run has been restarted and replayed to ``pause_step``."""
        self.needs_replay = False
