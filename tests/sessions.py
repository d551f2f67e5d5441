"""A worker ``Session`` run in a thread with plain queues, for tests that talk to it as the window does."""

from __future__ import annotations

import queue
import threading
import time

from gan_studio import config
from gan_studio.testing.synthetic import SyntheticTrainer
from gan_studio.worker.protocol import Packet, Quit
from gan_studio.worker.session import Session


class Running:
    """A Session running in a thread, with helpers to send commands and collect packets. The trainer is the
    NumPy-only SyntheticTrainer unless ``trainer_factory`` says otherwise (None: the session's own, the engine)."""

    def __init__(self, cfg=None, maxsize=2, trainer_factory=SyntheticTrainer, **kw):
        self.commands: queue.Queue = queue.Queue()
        self.packets: queue.Queue = queue.Queue(maxsize=maxsize)
        self.session = Session(self.commands, self.packets, cfg or config.Config(), trainer_factory=trainer_factory,
                               freeze=False, **kw)
        self.thread = threading.Thread(target=self.session.run, daemon=True)
        self.thread.start()
        self.got: list[Packet] = []

    def send(self, cmd) -> None:
        """Queue one command for the session."""
        self.commands.put(cmd)

    def read(self, timeout=0.3) -> list[Packet]:
        """Collect packets until none arrives for ``timeout`` seconds."""
        out = []
        while True:
            try:
                out.append(self.packets.get(timeout=timeout))
            except queue.Empty:
                self.got += out
                return out

    def until(self, pred, timeout=10.0) -> Packet:
        """Read packets until one satisfies ``pred``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                p = self.packets.get(timeout=0.1)
            except queue.Empty:
                continue
            self.got.append(p)
            if pred(p):
                return p
        raise AssertionError("no packet satisfied the condition in time")

    def stop(self, timeout=3.0) -> None:
        """Quit the session and check its thread ended."""
        self.send(Quit())
        self.thread.join(timeout)
        assert not self.thread.is_alive()
