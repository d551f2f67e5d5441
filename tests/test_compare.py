"""A/B compare (File > Compare with run…, gui/compare.py): a recorded run folder B drawn beside the live run A.

B's curves hold exactly B's metrics.csv values (read back here with the csv module, independently of
``runs``), B's events are markers, the line over the plots names exactly the keys where A and B differ,
"Stop comparing" takes everything off again, and folders that cannot be compared are one line in the status
bar with the comparison (and A's run) kept. The live run is the NumPy-only synthetic trainer.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gan_studio import config
from gan_studio.gui import compare
from gan_studio.runs import RunWriter
from gan_studio.testing.synthetic import SyntheticTrainer
from gan_studio.worker.protocol import Step

B_EVENT = {"step": 100, "what": "loss.name", "old": "ns", "new": "hinge"}


def record_run(folder: Path, data: str = "ring8", steps: int = 200) -> Path:
    """A run folder as ``gan-studio run --out`` writes it, trained by the synthetic trainer: lr_d 5e-4 from the
    start and a switch to the hinge loss at step 100 (so B differs from a default A in exactly two keys)."""
    cfg = config.with_value(config.with_value(config.Config(), "optim.lr_d", 5e-4), "data.name", data)
    trainer = SyntheticTrainer(cfg)
    trainer.STEP_S = 0.0
    writer = RunWriter(folder, cfg, trainer.columns())
    for _ in range(steps):
        row = trainer.step()
        if row is not None:
            writer.row(row)
        if trainer.step_count == B_EVENT["step"]:
            writer.event(B_EVENT)
    final_row, samples, weights = trainer.final_state()
    writer.final_row(final_row)
    writer.samples(samples)
    writer.weights(weights)
    writer.close()
    return folder


def csv_columns(path: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Each column's (steps, values) over the rows where it has a value, straight from the CSV text."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for name in rows[0]:
        kept = [(float(r["step"]), float(r[name])) for r in rows if name != "step" and r[name] != ""]
        if kept:
            out[name] = ([s for s, _ in kept], [v for _, v in kept])
    return out


@pytest.fixture
def run_b(tmp_path) -> Path:
    return record_run(tmp_path / "run-b")


def comparing(make_window, qtbot, b: Path):
    w = make_window()
    w.send(Step(60))
    qtbot.waitUntil(lambda: w.step == 60, timeout=10000)
    assert w.compare_with(str(b)), w.status_message.text()
    return w


def test_b_curves_hold_exactly_the_values_of_b_metrics_csv(make_window, qtbot, run_b):
    w = comparing(make_window, qtbot, run_b)
    expected = csv_columns(run_b / "metrics.csv")
    overlay = w.series.compare
    checked = set()
    for panel in w.series.panels:
        twins = overlay.curves.get(id(panel), {})
        for key, item in twins.items():
            steps, values = expected[key]
            keep = [v > 0 for v in values] if panel.log_y else [True] * len(values)
            assert list(item.xData) == [s for s, k in zip(steps, keep, strict=True) if k]
            assert list(item.yData) == [v for v, k in zip(values, keep, strict=True) if k]  # exact: no rounding
            assert item.opts["pen"].style() != 1  # dashed (Qt.PenStyle.SolidLine is 1), A's solid
            assert item.opts["pen"].color().name() == panel.curves[key].opts_style[0].lower()  # A's colour
            checked.add(key)
    # every registry curve B has data for is drawn: the losses, mean D, JS, W1, the gradient totals, modes
    assert {"loss_d", "loss_g", "d_real", "d_fake", "js", "w1", "grad_norm_d", "modes"} <= checked
    assert not any(k.startswith("grad_d_") for k in checked)  # per-layer curves are left to A
    # "B: <run name>" in the key of every panel where B has a curve shown; B's event marked on every plot
    for panel in w.series.panels:
        if any(i.isVisible() for i in overlay.curves.get(id(panel), {}).values()):
            assert (compare.KEY_ENTRY, w.theme.fg, "B: run-b", "dash", True) in panel.key
        labels = [m.label.toPlainText() for m in overlay.markers[id(panel)]]
        assert labels == ["B: loss: ns → hinge"]
        assert overlay.markers[id(panel)][0].value() == 100
    # the step axis covers B's 200 steps though A is at 60
    assert w.series.losses.plot.vb.viewRange()[0][1] >= 200
    # B's final samples, faint in the data view
    assert w.compared_samples in w.view2d.plot.items
    assert len(w.compared_samples.data) == 1250  # every 2nd of samples.npy's 2,500 (at most 2,000 are drawn)


def test_the_line_over_the_plots_names_exactly_the_differing_keys(make_window, qtbot, run_b):
    w = comparing(make_window, qtbot, run_b)
    assert w.compare_bar.isVisible()
    # B started with lr_d 5e-4 and switched to hinge at step 100; A is the default config
    assert compare.config_differences(w.cfg, w.compared.cfg) == [("loss.name", "ns", "hinge"),
                                                                  ("optim.lr_d", 0.001, 0.0005)]
    assert w.compare_bar.line == "B = run-b · settings A / B: loss.name ns / hinge · optim.lr_d 0.001 / 0.0005"
    assert compare.differences_line("x", []) == "B = x · the same settings as A"
    many = [(f"k{i}", i, i + 1) for i in range(compare.MAX_SHOWN_DIFFS + 3)]
    assert compare.differences_line("x", many).endswith("· k5 5 / 6 · +3 more")


def test_stop_comparing_removes_everything_and_keeps_a(make_window, qtbot, run_b):
    w = make_window()
    w.send(Step(60))
    qtbot.waitUntil(lambda: w.step == 60, timeout=10000)
    w.paint()
    w.series.update_history(w.history)
    before = {id(p): (len(p.plot.listDataItems()), len(p.plot.items)) for p in w.series.panels}
    a_losses = list(w.series.losses.curves["loss_d"].yData)
    assert w.compare_with(str(run_b))
    assert any(len(p.plot.listDataItems()) > before[id(p)][0] for p in w.series.panels)
    assert w.stop_compare_action.isEnabled() and 'href="stop"' in w.compare_bar.label.text()
    scatter = w.compared_samples
    assert scatter in w.view2d.plot.items
    w.compare_bar.label.linkActivated.emit("stop")  # the bar's "Stop comparing" link
    after = {id(p): (len(p.plot.listDataItems()), len(p.plot.items)) for p in w.series.panels}
    assert after == before
    assert all(not any(e[0] == compare.KEY_ENTRY for e in p.key) for p in w.series.panels)
    assert w.series.compare is None and w.compared is None and w.compared_samples is None
    assert not w.compare_bar.isVisible() and not w.stop_compare_action.isEnabled()
    assert list(w.series.losses.curves["loss_d"].yData) == a_losses  # A's curve untouched
    assert scatter not in w.view2d.plot.items


def _bad_folders(tmp_path: Path, run_b: Path) -> list[tuple[Path, str]]:
    """(folder, what the message must say) for each kind of folder that cannot be compared."""
    def copy(name: str) -> Path:
        return Path(shutil.copytree(run_b, tmp_path / name))

    empty = tmp_path / "empty"
    empty.mkdir()
    bad_row = copy("bad-row")
    lines = (bad_row / "metrics.csv").read_text().splitlines()
    lines[2] = lines[2].replace(lines[2].split(",")[1], "oops", 1)
    (bad_row / "metrics.csv").write_text("\n".join(lines) + "\n")
    bad_header = copy("bad-header")
    (bad_header / "metrics.csv").write_text("time,loss\n1,2\n")
    no_rows = copy("no-rows")
    (no_rows / "metrics.csv").write_text(lines[0] + "\n")
    bad_event = copy("bad-event")
    (bad_event / "events.jsonl").write_text("{not json\n")
    bad_samples = copy("bad-samples")
    (bad_samples / "samples.npy").write_bytes(b"not numpy")
    return [(tmp_path / "missing", "is not a folder"),
            (empty, "is not a run folder: config.toml and metrics.csv are missing"),
            (bad_row, "metrics.csv:3: could not convert string to float"),
            (bad_header, "not a metrics file"),
            (no_rows, "holds no rows"),
            (bad_event, "events.jsonl:1: not a JSON event"),
            (record_run(tmp_path / "one-d", data="gauss1d", steps=20),
             "is a run on 1D points data and this run is on 2D points data"),
            (bad_samples, "samples.npy: not a readable .npy")]


def test_folders_that_cannot_be_compared_are_one_line_and_nothing_is_lost(make_window, qtbot, run_b, tmp_path):
    w = comparing(make_window, qtbot, run_b)
    shown = [(id(p), len(p.plot.listDataItems())) for p in w.series.panels]
    for folder, expected in _bad_folders(tmp_path, run_b):
        assert not w.compare_with(str(folder)), folder
        message = w.status_message.text()
        assert message.startswith("could not compare: ") and expected in message, (folder, message)
        assert "\n" not in message and "Traceback" not in message
        # the comparison before is kept as it was
        assert w.compared.folder == run_b and w.compare_bar.isVisible()
        assert [(id(p), len(p.plot.listDataItems())) for p in w.series.panels] == shown


def test_config_at_end_applies_setting_changes_and_skips_actions():
    start = config.Config()
    events = [{"step": 5, "what": "optim.lr_g", "old": 0.001, "new": 0.002},
              {"step": 6, "what": "reset", "old": None, "new": 3},
              {"step": 9, "what": "loss.name", "old": "ns", "new": "wgan"}]
    end = compare.config_at_end(start, events)
    assert (end.optim.lr_g, end.loss.name) == (0.002, "wgan")
    assert compare.config_differences(start, end) == [("loss.name", "ns", "wgan"), ("optim.lr_g", 0.001, 0.002)]
    assert json.dumps(config.to_dict(start)) == json.dumps(config.to_dict(config.Config()))  # start untouched


def test_a_1d_run_compares_with_a_1d_run_and_b_samples_are_a_density_histogram(make_window, qtbot, tmp_path):
    b = record_run(tmp_path / "one-d", data="gauss1d", steps=40)
    w = make_window(config.with_value(config.Config(), "data.name", "gauss1d"))
    assert w.compare_with(str(b)), w.status_message.text()
    item = w.compared_samples
    assert item in w.view1d.dens.items and w.compared_samples_home is w.view1d.dens
    samples = np.load(b / "samples.npy", allow_pickle=False)[:, 0].astype(np.float64)
    counts, edges = np.histogram(samples, bins=compare.HISTOGRAM_BINS)
    assert list(item.xData) == list(edges)
    widths = np.diff(edges)
    assert item.yData == pytest.approx(counts / (len(samples) * widths), rel=1e-12)  # a density: counts / (n · width)
    assert float((item.yData * widths).sum()) == pytest.approx(1.0, abs=1e-9)  # ... of area 1
    w.stop_comparing()
    assert item not in w.view1d.dens.items
