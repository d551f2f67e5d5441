"""``gan-studio render``'s training, run in a spawned child process (see ``handle.train_in_child``).

It trains through ``runner.Runner`` exactly as ``gan-studio run`` does (same schedule order, same final row)
and returns only NumPy frames and rows in one Packet, so the process that draws the window never imports
torch, as with the window's own worker.
"""

from __future__ import annotations

import time

from gan_studio import config
from gan_studio.progress import Progress
from gan_studio.runner import MemoryRecorder, Runner
from gan_studio.schedule import Schedule
from gan_studio.worker.protocol import Packet, describe_error
from gan_studio.worker.session import available_devices, engine_trainer, one_torch_thread


def train_packet(cfg_dict: dict, steps: int, at_schedule=(), trainer_factory=None,
                 progress: bool = False) -> Packet:
    """``gan-studio render``'s training, in a child process: build a trainer, run ``steps`` steps applying
    ``at_schedule`` through the Runner; return the final Packet.

    A training error (a non-finite value, out of memory) ends training early: the packet shows the last good
    state and carries the message in ``error``. A ConfigError (bad data file, missing device) is raised.
    ``progress``: report progress on stderr (the child shares the command's stderr).
    """
    cfg = config.from_dict(cfg_dict, "render")
    trainer = (trainer_factory or engine_trainer)(cfg)
    one_torch_thread()
    recorder = MemoryRecorder()
    runner = Runner(trainer, Schedule(at_schedule), recorder)
    error = ""
    start = time.perf_counter()
    bar = Progress(steps, enabled=progress)
    try:
        runner.run(steps, on_row=lambda row: bar.update(trainer.step_count, row))
    except config.ConfigError:
        raise
    except Exception as err:  # NaN / Inf or out of memory: draw the last good state with the message
        error = describe_error(err, str(getattr(trainer, "device", "")))
    elapsed = time.perf_counter() - start
    bar.update(trainer.step_count, None, force=True)
    bar.done()
    rows = recorder.rows
    if rows and rows[-1]["step"] == trainer.step_count:
        rows.pop()
    rows.append(runner.final_state()[0])  # the last row carries every metric, as in `gan-studio run`
    return Packet(frame=trainer.frame(), rows=rows, events=recorder.events, error=error, playing=False,
                  step=trainer.step_count, steps_per_s=trainer.step_count / elapsed if elapsed > 0 else 0.0,
                  cfg=config.to_dict(trainer.cfg), generation=1, device=str(getattr(trainer, "device", "")),
                  devices=available_devices())
