"""Training in a separate process: commands in through one queue, packets out through another.

Why a process (measured, see DESIGN.md): on 2 cores a training *thread* in the GUI process ran at ~57 % of
headless speed (GIL), a spawned process at ~83–92 %, and a crash or CUDA error there cannot take the window down.

- ``protocol``: typed commands, the Packet, ``TrainerProtocol`` (no torch, no Qt: the window imports it);
- ``pacing``: the pure frame planner;
- ``session``: the child's loop around ``runner.Runner``;
- ``recording``: the run folder the worker writes as it trains, and saving / opening run folders;
- ``handle``: the parent side (spawn, send, read, stop; ``train_in_child`` for ``gan-studio render``, whose
  child side is ``oneshot``), imported by the window.

This package's ``__init__`` imports nothing, so ``import gan_studio.worker.handle`` never loads the engine.
"""
