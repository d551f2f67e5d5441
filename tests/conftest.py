"""Shared test set-up: offscreen Qt (must be set before any QApplication exists), one torch thread."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")
