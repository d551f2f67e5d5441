"""The window's seed ensembles: the worker trains one (``train.seeds`` > 1), the Seeds tab draws every member's
small views, the median and inter-quartile band of the main metrics, the histogram of modes covered, and a click
opens one member alone as a plain run from its current weights.

Most tests use the NumPy stand-in (``testing.synthetic.SyntheticEnsemble``); the real-worker tests run the engine's
``EnsembleTrainer`` in a Session thread.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PyQt6 import QtCore
from sessions import Running

from gan_studio import config, runs
from gan_studio.frames import MEMBERS
from gan_studio.gui.views.ensemble import (
    GAP_PX,
    MAX_TILES,
    TILE_PX,
    grid_shape,
    modes_histogram,
    quartiles,
    shown_rows,
    tile_at,
    tile_mosaic,
    tile_origin,
)
from gan_studio.testing.synthetic import SyntheticEnsemble, synthetic_trainer
from gan_studio.worker.protocol import OpenMember, Quit, Step
from gan_studio.worker.session import Session


def ensemble_config(n: int = 8, **changes) -> config.Config:
    cfg = config.with_value(config.Config(), "train.seeds", n)
    for key, value in changes.items():
        cfg = config.with_value(cfg, key.replace("__", "."), value)
    return cfg


# -- pure helpers -------------------------------------------------------------------------------------------------
def test_shown_rows_take_the_shown_member_and_leave_plain_rows():
    rows = [{"step": 10, MEMBERS: [{"step": 10, "seed": 5, "js": 0.1}, {"step": 10, "seed": 6, "js": 0.2}]},
            {"step": 20, "js": 0.3}]
    assert shown_rows(rows) == [{"step": 10, "seed": 5, "js": 0.1}, {"step": 20, "js": 0.3}]
    assert shown_rows(rows, member=1)[0]["seed"] == 6


def test_quartiles_and_the_modes_histogram_against_closed_forms():
    assert quartiles(np.array([5.0, 1.0, 4.0, 2.0, 3.0, np.nan])) == pytest.approx((2.0, 3.0, 4.0), abs=1e-12)
    assert np.isnan(quartiles(np.array([np.nan]))).all()
    # 8 members: modes 0, 2, 2, 8, 8, 8, nan, 7.6 (rounds to 8) of 8 modes
    counts = modes_histogram(np.array([0, 2, 2, 8, 8, 8, np.nan, 7.6]), 8)
    assert counts.tolist() == [1, 0, 2, 0, 0, 0, 0, 0, 4]


def test_tile_at_finds_every_tile_and_nothing_between_them():
    for n in (2, 5, 8, 13, 32, 40):
        rows, cols = grid_shape(n)
        assert rows * cols >= min(n, MAX_TILES) and cols <= 8
        for k in range(min(n, MAX_TILES)):
            r0, c0 = tile_origin(k, cols)
            assert tile_at(c0 + TILE_PX / 2, r0 + TILE_PX / 2, n) == k
            assert tile_at(c0 - GAP_PX / 2, r0 + 1, n) is None  # the gap left of it
    assert tile_at(-1, 5, 8) is None
    assert tile_at(GAP_PX + 0.5, GAP_PX + TILE_PX + 1 + 10 * TILE_PX, 8) is None  # below the only row


def test_tile_mosaic_puts_surfaces_and_samples_where_they_belong():
    lut = np.stack([np.arange(256)] * 3, 1).astype(np.uint8)  # grey level = LUT index
    bounds = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    surfaces = np.zeros((2, 16, 16))
    surfaces[1, :8] = 1.0  # member 1: D = 1 on the lower half (rows of small y), 0 above
    fake = np.full((2, 1, 2), np.nan)
    fake[0, 0] = (0.5, 0.5)  # member 0: one sample in the upper right quarter
    picture = tile_mosaic(fake, bounds, surfaces, lut, (0.0, 1.0), (9, 9, 9), (200, 0, 0))
    rows, cols = grid_shape(2)
    assert picture.shape == (GAP_PX * 2 + TILE_PX, GAP_PX * 3 + 2 * TILE_PX, 3)
    r1, c1 = tile_origin(1, cols)
    assert picture[r1 + TILE_PX - 1, c1 + 5].tolist() == [255] * 3  # bottom of member 1's tile: D = 1
    assert picture[r1, c1 + 5].tolist() == [0] * 3  # its top: D = 0
    r0, c0 = tile_origin(0, cols)
    # (0.5, 0.5) → column 0.75·48 = 36, row (1 − 0.75)·48 = 12
    assert picture[r0 + 12, c0 + 36].tolist() == [200, 0, 0]
    assert picture[0, 0].tolist() == [9, 9, 9]  # the gap


# -- the stand-in ensemble in the window ----------------------------------------------------------------------------
def test_the_window_draws_an_ensemble_and_opens_a_member_alone(make_window, qtbot):
    w = make_window(ensemble_config(8, metrics__every=20), trainer=synthetic_trainer)
    view = w.seeds_view
    tab = w.tabs.indexOf(view.scroll)
    assert w.tabs.isTabVisible(tab)
    assert w.controls.seeds.value() == 8
    w.send(Step(60))  # six logged rows of 8 members, three of them measured
    qtbot.waitUntil(lambda: w.step >= 60 and not w.dirty and "modes" in view.plots, timeout=20000)
    assert view.seeds == tuple(range(8))
    assert len(view.labels) == 8
    assert view.mosaic.image is not None and view.mosaic.image.shape[:2] == (2 * GAP_PX + TILE_PX,
                                                                             GAP_PX + 8 * (TILE_PX + GAP_PX))
    # the other tabs draw member 0: its rows (seed 0) are the history's
    assert set(w.history.series["seed"].y) == {0.0}
    # the median curve is the median over the 8 members' rows, step by step
    steps, values, bands = view.curves["modes"].arrays()
    assert values.shape[1] == 8
    assert bands[-1] == pytest.approx(np.percentile(values[-1], (25, 50, 75)), abs=1e-12)
    median_item = view.plots["modes"][5]
    assert median_item.getData()[1][-1] == pytest.approx(np.median(values[-1]), abs=1e-12)
    # the histogram counts every member once
    assert sum(view.hist.opts["height"]) == 8
    # a click on the fourth tile (seed 3), where the mosaic shows it on screen
    w.tabs.setCurrentWidget(view.scroll)
    qtbot.waitUntil(lambda: view.tiles_widget.isVisible() and view.tiles_widget.width() > 100, timeout=5000)
    r0, c0 = tile_origin(3, grid_shape(8)[1])
    scene = view.tiles_box.mapViewToScene(QtCore.QPointF(c0 + TILE_PX / 2, r0 + TILE_PX / 2))
    with qtbot.waitSignal(view.member_clicked, timeout=5000) as clicked:
        qtbot.mouseClick(view.tiles_widget.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         pos=view.tiles_widget.mapFromScene(scene))
    assert clicked.args == [3]
    qtbot.waitUntil(lambda: w.cfg.train.seeds == 1 and not w.tabs.isTabVisible(tab), timeout=20000)
    assert isinstance(w.sent[-1], OpenMember) and w.sent[-1].k == 3
    assert w.cfg.train.seed == 3 and w.step >= 60  # member 3's seed, going on from the ensemble's step
    assert w.controls.seeds.value() == 1


def test_the_seeds_control_restarts_the_run_with_that_many_members(make_window, qtbot):
    w = make_window(config.Config(), trainer=synthetic_trainer)
    assert not w.tabs.isTabVisible(w.tabs.indexOf(w.seeds_view.scroll))
    w.controls.seeds.setValue(4)
    qtbot.waitUntil(lambda: w.cfg.train.seeds == 4 and w.tabs.isTabVisible(w.tabs.indexOf(w.seeds_view.scroll)),
                    timeout=20000)
    assert len(w.latest.frame.members.seeds) == 4


# -- the real worker ------------------------------------------------------------------------------------------------
def test_the_real_worker_trains_an_ensemble_records_its_members_and_opens_one_alone(tmp_path):
    import torch

    from gan_studio.engine import Trainer
    from gan_studio.ensemble import TILE_GRID, TILE_POINTS, EnsembleTrainer

    cfg = ensemble_config(3, model__hidden=32, train__batch_size=64, train__log_every=5, metrics__every=5)
    running = Running(cfg, trainer_factory=None, record_dir=tmp_path)  # the real engine
    try:
        running.commands.put(Step(10))
        packet = running.until(lambda p: p.step >= 10 and p.frame is not None and p.frame.members is not None
                               and p.frame.members.scores is not None, timeout=60)
        ensemble = running.session.trainer
        assert isinstance(ensemble, EnsembleTrainer)
        tiles = packet.frame.members
        assert tiles.seeds == (0, 1, 2)
        assert tiles.fake.shape == (3, TILE_POINTS, 2) and tiles.scores.shape == (3, TILE_GRID, TILE_GRID)
        # tile k is member k's own plain nets, evaluated independently: samples on its display codes, D on the grid
        for k in range(3):
            G, D = ensemble.member_nets(k)
            z = ensemble.measurers[k].cache["display"][0][:TILE_POINTS]
            with torch.no_grad():
                fake = G.eval()(z).numpy()
                grid = np.stack(np.meshgrid(tiles.xs, tiles.ys), -1).reshape(-1, 2)
                score = D.eval()(torch.as_tensor(grid, dtype=torch.float32)).reshape(TILE_GRID, TILE_GRID).numpy()
            assert tiles.fake[k] == pytest.approx(fake, abs=1e-5)
            assert tiles.scores[k] == pytest.approx(score, abs=1e-5)
        # the record holds one row per member and logged step, with its seed
        folder = running.session.recording.folder
        before = ensemble.member_weights(1)
        running.commands.put(OpenMember(1))
        opened = running.until(lambda p: p.cfg is not None and p.cfg["train"]["seeds"] == 1 and p.frame is not None,
                               timeout=60)
        plain = running.session.trainer
        assert isinstance(plain, Trainer) and plain.cfg.train.seed == 1 and plain.step_count == 10
        assert opened.frame.members is None
        after = plain.weights()
        assert set(after) == set(before)
        for key in before:
            assert after[key] == pytest.approx(before[key], abs=0.0)  # loaded exactly
    finally:
        running.stop(timeout=10)
    text = (Path(folder) / "metrics.csv").read_text().splitlines()
    assert text[0].split(",")[:2] == ["step", runs.SEED_COLUMN]
    assert sorted((int(line.split(",")[0]), int(line.split(",")[1])) for line in text[1:]) == \
        [(step, seed) for step in (5, 10) for seed in (0, 1, 2)]  # one row per member and logged step


def test_the_stand_in_ensemble_satisfies_what_the_worker_uses():
    from gan_studio.worker.protocol import TrainerProtocol

    trainer = SyntheticEnsemble(ensemble_config(4))
    not_rewindable = {"state", "restore"}  # a seed ensemble keeps no snapshots (the worker checks for ``state``)
    for name in [n for n in dir(TrainerProtocol) if not n.startswith("_") and n not in not_rewindable]:
        assert hasattr(trainer, name), name
    row = None
    while row is None:
        row = trainer.step()
    assert [m["seed"] for m in row[MEMBERS]] == [0, 1, 2, 3]
    assert trainer.apply("reseed", 10)["new"] == 10 and trainer.seeds == [10, 11, 12, 13]


def test_saving_an_ensemble_from_the_window_is_refused_in_one_line(tmp_path):
    from gan_studio.worker.protocol import Save

    commands, packets = queue.Queue(), queue.Queue(maxsize=2)
    session = Session(commands, packets, ensemble_config(3), trainer_factory=synthetic_trainer, freeze=False,
                      record_dir=tmp_path / "rec")
    thread = threading.Thread(target=session.run, daemon=True)
    thread.start()
    commands.put(Save(str(tmp_path / "saved")))
    said: list[str] = []
    end = time.monotonic() + 20
    while not said and time.monotonic() < end:
        try:
            said = [text for text in packets.get(timeout=0.1).messages if "could not save" in text]
        except queue.Empty:
            continue
    commands.put(Quit())
    thread.join(10)
    assert said and "seed ensemble" in said[0] and "\n" not in said[0]
    assert not (tmp_path / "saved").exists()
