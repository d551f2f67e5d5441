"""The parent side of a worker process: spawn it, send commands, read packets, stop it within 2 s.

Imported by the window: no torch here. The child imports the engine in ``session`` (through
``worker_main``), never this process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from gan_studio import config
from gan_studio.schedule import Schedule
from gan_studio.worker.protocol import FPS, STOP_TIMEOUT_S, Command, Packet, Quit


def worker_main(commands, packets, cfg, at_schedule=(), trainer_factory=None, fps: float = FPS,
                grid: int | None = None, playing: bool = False, record_dir: str | None = None,
                open_first: str | None = None) -> None:
    """Entry point of the spawned process: one torch thread, then serve commands until quit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the window's business
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        from gan_studio.worker.session import serve  # the training side is imported in this child process only

        serve(commands, packets, cfg, at_schedule, trainer_factory, fps, grid, playing, record_dir, open_first)
    except Exception as err:  # a bug in the worker itself: tell the window, then end
        traceback.print_exc()
        try:
            packets.put(Packet(frame=None, error=f"the training process failed: {type(err).__name__}: {err}"),
                        timeout=1.0)
        except Exception:
            pass
    packets.cancel_join_thread()  # exit now even if the window stopped reading


def read_only_here(packets) -> None:
    """Close this process's write end of a queue that only a started child writes to. A child that ends while its
    queue's feeder thread is mid-packet (it exits without waiting for the feeder: ``cancel_join_thread``; or it is
    terminated) leaves a packet cut short in the pipe; reading it then waits for the rest, for ever, as long as any
    process holds the write end open, this one included (seen: a window's close hung 13 minutes in a read). With
    only the child holding it, its exit ends the read with EOFError instead."""
    packets._writer.close()  # multiprocessing.Queue has no public way to give up its write end


class WorkerHandle:
    """The window's side of a worker process: start, send commands, read packets, stop within 2 s.

    ``trainer_factory``: a picklable callable building a trainer from a Config in the child (None: the
    engine's Trainer; tests pass ``testing.synthetic.SyntheticTrainer``). ``open_first``: a saved run folder
    to continue (its config replaces ``cfg`` if it opens).
    """

    def __init__(self, cfg: config.Config, at_schedule=(), trainer_factory=None, fps: float = FPS,
                 grid: int | None = None, playing: bool = False, record_dir: str | None = None,
                 open_first: str | None = None):
        ctx = mp.get_context("spawn")
        self.commands = ctx.Queue()
        self.packets = ctx.Queue(maxsize=2)
        self.process = ctx.Process(target=worker_main, name="gan-studio-trainer", daemon=True,
                                   args=(self.commands, self.packets, config.to_dict(cfg),
                                         list(Schedule(at_schedule).items), trainer_factory, fps, grid, playing,
                                         None if record_dir is None else str(record_dir), open_first))
        self.started = False

    def start(self) -> None:
        """Spawn the process (it reaches its first step after ~2 s: importing torch)."""
        self.process.start()
        read_only_here(self.packets)
        self.started = True

    @property
    def alive(self) -> bool:
        """Whether the worker process is running."""
        return self.started and self.process.is_alive()

    @property
    def died(self) -> bool:
        """Whether the worker was started and has ended without being stopped (killed, crashed)."""
        return self.started and not self.process.is_alive()

    def how_it_ended(self) -> str:
        """How the process ended, in words ("killed by signal SIGKILL", "exit status 1")."""
        code = self.process.exitcode
        if code is None:
            return "still running"
        if code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def send(self, cmd: Command) -> None:
        """Queue a command; commands are applied in order between steps."""
        if self.started:
            self.commands.put(cmd)

    def get(self, timeout: float = 0.05) -> Packet | None:
        """The next packet, or None after ``timeout`` seconds (or at once when the worker was killed: see
        ``_readable``)."""
        if not self.started or not self._readable():
            return None
        try:
            return self.packets.get(timeout=timeout)
        except (queue.Empty, OSError, EOFError, ValueError):
            return None

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Ask the worker to quit, drain its queue while waiting, terminate it after ``timeout``.

        Returns True when it ended by itself. Draining matters: a child blocked writing to a full pipe
        never exits.
        """
        if not self.started:
            return True
        deadline = time.monotonic() + timeout
        try:
            self.commands.put(Quit())
        except (ValueError, OSError):
            pass
        while self.process.is_alive() and time.monotonic() < deadline:
            self._drain()
            self.process.join(0.02)
        clean = not self.process.is_alive()
        if not clean:
            self.process.terminate()
            self.process.join(0.5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(0.5)
        # no drain once the child is gone: a packet cut short by terminate or kill stays half-written in the pipe
        # (read_only_here makes reading it end in an error rather than block for ever; there is nothing to read)
        for q in (self.commands, self.packets):
            q.cancel_join_thread()
            q.close()
        self.started = False
        return clean

    def _readable(self) -> bool:
        """Whether reading the packet pipe cannot block for ever: the child lives, or it ended by itself (a child
        killed by a signal may have left a packet half-written in the pipe, and reading that blocks for ever)."""
        code = self.process.exitcode
        return code is None or code >= 0

    def _drain(self) -> None:
        """Read away waiting packets while the child lives (a child blocked writing to a full pipe never exits)."""
        while self.process.is_alive():
            try:
                self.packets.get_nowait()
            except (queue.Empty, OSError, EOFError, ValueError):
                return


def _train_packet(*args) -> Packet:
    """Runs in the child: the training side (and with it the engine) is imported there only."""
    from gan_studio.worker.oneshot import train_packet

    return train_packet(*args)


def train_in_child(cfg: config.Config, steps: int, at_schedule=(), trainer_factory=None,
                   progress: bool = False) -> Packet:
    """``train_packet`` in a spawned process (torch is imported there, not here); its ConfigError is re-raised."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        job = pool.submit(_train_packet, config.to_dict(cfg), steps, list(Schedule(at_schedule).items),
                          trainer_factory, progress)
        return job.result()


STREAM_QUEUE = 4  # packets in flight between the training child and the drawing parent: bounds memory


def _stream_packets(*args) -> None:
    """Runs in the child: the training side (and with it the engine) is imported there only."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business: it ends this process
    from gan_studio.worker.oneshot import stream_packets

    stream_packets(*args)


def stream_from_child(cfg: config.Config, steps: int, frame_steps: list[int], at_schedule=(), trainer_factory=None,
                      progress: bool = False) -> Iterator[Packet]:
    """Train ``steps`` steps in a spawned process and yield a Packet at each step of ``frame_steps`` (the last
    carries the final row; ``oneshot.stream_packets``). Each packet holds only the rows and events since the one
    before, and at most ``STREAM_QUEUE`` wait to be drawn. A ConfigError in the child is re-raised here; leaving
    the loop early ends the child."""
    ctx = mp.get_context("spawn")
    packets = ctx.Queue(maxsize=STREAM_QUEUE)
    process = ctx.Process(target=_stream_packets, name="gan-studio-render", daemon=True,
                          args=(packets, config.to_dict(cfg), steps, sorted(frame_steps),
                                list(Schedule(at_schedule).items), trainer_factory, progress))
    process.start()
    read_only_here(packets)
    try:
        while True:
            try:
                item = packets.get(timeout=0.5)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError(f"the training process ended (exit code {process.exitcode}) before "
                                       "finishing") from None
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
        process.join(STOP_TIMEOUT_S)
    finally:
        if process.is_alive():
            process.terminate()
            process.join(STOP_TIMEOUT_S)
        packets.cancel_join_thread()
        packets.close()
