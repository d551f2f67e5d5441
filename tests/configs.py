"""Configs for tests, built in one place: ``config_with`` applies dotted keys to the defaults (each value checked
as ``--set`` checks it), and ``small`` is the fast setting most engine tests train with."""

from __future__ import annotations

from gan_studio import config as C

# small nets and batches, a row every 5 steps, cadenced measurement never due unless a test asks
SMALL = {"model.hidden": 16, "model.depth": 2, "train.batch_size": 32, "train.log_every": 5,
         "metrics.every": 10_000, "metrics.ot_every": 10_000, "train.device": "cpu"}


def config_with(values: dict) -> C.Config:
    """The default Config with each dotted key of ``values`` set, in order."""
    cfg = C.Config()
    for key, value in values.items():
        cfg = C.with_value(cfg, key, value)
    return cfg


def small(**changes) -> C.Config:
    """``SMALL`` with ``changes`` (dotted keys: ``small(**{"loss.name": "wgan"})``)."""
    return config_with({**SMALL, **changes})
