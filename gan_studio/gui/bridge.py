"""The QThread between the worker's packet queue and the window: it blocks on the queue so the GUI never does."""

from __future__ import annotations

from PyQt6 import QtCore


class PacketBridge(QtCore.QThread):
    """Reads packets from a WorkerHandle and emits each one as a Qt signal (delivered in the GUI thread)."""

    packet = QtCore.pyqtSignal(object)

    def __init__(self, worker, parent=None):
        super().__init__(parent)
        self.worker = worker

    def run(self) -> None:
        while not self.isInterruptionRequested():
            packet = self.worker.get(timeout=0.05)
            if packet is not None:
                self.packet.emit(packet)

    def stop(self, timeout_ms: int = 1000) -> bool:
        """Ask the thread to end and wait for it (it checks every 50 ms)."""
        self.requestInterruption()
        return self.wait(timeout_ms)
