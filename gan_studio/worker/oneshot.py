"""``gan-studio render``'s training, run in a spawned child process (see ``handle.train_in_child`` and
``handle.stream_from_child``).

It trains through ``runner.Runner`` exactly as ``gan-studio run`` does (same schedule order, same final row)
and returns only NumPy frames and rows in Packets, so the process that draws the window never imports
torch, as with the window's own worker. ``train_packet`` returns the final Packet; ``stream_packets`` (the
video) puts a Packet on a queue at each asked-for step, each carrying the rows and events since the one before,
so neither process holds the whole run.
"""

from __future__ import annotations

import time
import traceback

from gan_studio import config
from gan_studio.progress import Progress
from gan_studio.runner import MemoryRecorder, Runner
from gan_studio.schedule import Schedule
from gan_studio.worker.protocol import Packet, describe_error
from gan_studio.worker.session import available_devices, engine_trainer, one_torch_thread


class _Run:
    """One render run in the child: trainer, runner and recorder, and the Packets made of them."""

    def __init__(self, cfg_dict: dict, steps: int, at_schedule, trainer_factory, progress: bool):
        cfg = config.from_dict(cfg_dict, "render")
        self.trainer = (trainer_factory or engine_trainer)(cfg)
        one_torch_thread()
        self.steps = steps
        self.recorder = MemoryRecorder()
        self.runner = Runner(self.trainer, Schedule(at_schedule), self.recorder)
        self.error = ""
        self.start = time.perf_counter()
        self.bar = Progress(steps, enabled=progress)

    def run_to(self, step: int) -> bool:
        """Train until ``step`` steps are complete; False (and ``error`` set) when training failed.

        A training error (a non-finite value, out of memory) ends training early: the packets show the last
        good state and carry the message in ``error``. A ConfigError (bad data file, missing device) is raised.
        """
        try:
            self.runner.run(step, on_row=lambda row: self.bar.update(self.trainer.step_count, row))
        except config.ConfigError:
            raise
        except Exception as err:  # NaN / Inf or out of memory: draw the last good state with the message
            self.error = describe_error(err, str(getattr(self.trainer, "device", "")))
            return False
        return True

    def packet(self, final: bool = False) -> Packet:
        """The current frame with the rows and events recorded since the previous packet (``final``: the last
        row replaced by the full final row, as in ``gan-studio run``)."""
        trainer = self.trainer
        rows, events = self.recorder.rows, self.recorder.events
        self.recorder.rows, self.recorder.events = [], []
        if final:
            self.bar.update(trainer.step_count, None, force=True)
            self.bar.done()
            if rows and rows[-1]["step"] == trainer.step_count:
                rows.pop()
            rows.append(self.runner.final_state()[0])  # the last row carries every metric
        elapsed = time.perf_counter() - self.start
        return Packet(frame=trainer.frame(), rows=rows, events=events, error=self.error, playing=False,
                      step=trainer.step_count, steps_per_s=trainer.step_count / elapsed if elapsed > 0 else 0.0,
                      cfg=config.to_dict(trainer.cfg), generation=1, device=str(getattr(trainer, "device", "")),
                      devices=available_devices())


def train_packet(cfg_dict: dict, steps: int, at_schedule=(), trainer_factory=None,
                 progress: bool = False) -> Packet:
    """``gan-studio render``'s training, in a child process: build a trainer, run ``steps`` steps applying
    ``at_schedule`` through the Runner; return the final Packet (with every row and event of the run).

    ``progress``: report progress on stderr (the child shares the command's stderr).
    """
    run = _Run(cfg_dict, steps, at_schedule, trainer_factory, progress)
    run.run_to(steps)
    return run.packet(final=True)


def stream_packets(packets, cfg_dict: dict, steps: int, frame_steps: list[int], at_schedule=(),
                   trainer_factory=None, progress: bool = False) -> None:
    """The video's training, in a child process: put a Packet on ``packets`` when the run reaches each step of
    ``frame_steps`` (ascending, the last one ``steps``; the last packet carries the final row), then None.

    A training error ends the run: the packet of the step it stopped at carries it, then None. A ConfigError is put
    on the queue (the parent re-raises it); any other failure becomes a RuntimeError naming it. ``packets``
    should be bounded: training waits while the parent draws, so memory stays bounded however long the run.
    """
    try:
        run = _Run(cfg_dict, steps, at_schedule, trainer_factory, progress)
        for step in frame_steps:
            ok = run.run_to(step)
            last = not ok or step >= steps
            packets.put(run.packet(final=last))
            if last:
                break
        packets.put(None)
    except config.ConfigError as err:
        packets.put(err)
    except Exception as err:  # a bug: say what it was in the parent, with the traceback on stderr here
        traceback.print_exc()
        packets.put(RuntimeError(f"the training process failed: {type(err).__name__}: {err}"))
