"""Exports of a run: a video or GIF of the window (``video``), TensorBoard event files (``tensorboard``), pictures
drawn with NumPy for them (``pictures``) and the command line that reproduces a run (``command``).

No torch and no Qt here: the window's render imports ``video``; ``gan-studio run`` imports ``tensorboard``.
"""
