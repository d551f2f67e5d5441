"""The studio window (PyQt6 + pyqtgraph). Importing this package imports neither Qt nor torch;
the submodules that draw import Qt, and nothing here ever imports torch (training runs in a worker
process, see ``gan_studio.worker``)."""
