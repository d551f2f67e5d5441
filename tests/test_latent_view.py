"""The Latent tab on image data and with one map per class (issue 12): the small multiples' picture, picking
the paths' ends A and B by clicking (shift+click: B), asking for a real image's z, and the answer drawn."""

from __future__ import annotations

import numpy as np
import pytest

from gan_studio import latent
from gan_studio.frames import Frame, Inversion, LatentMap, LatentPath


def _image_frame(d: int = 5):
    rng = np.random.default_rng(0)
    real = rng.uniform(size=(16, 1, 4, 4)).astype(np.float32)
    a, b = rng.normal(size=d), rng.normal(size=d)
    xs = ys = np.linspace(-2.0, 2.0, 3)
    imgs = rng.integers(0, 256, size=(3, 3, 1, 4, 4)).astype(np.uint8)
    lmap = LatentMap("z", xs, ys, np.full((3, 3), -1), 0, 3.0, codes=np.zeros((4, 2)),
                     basis=latent.slice_basis(a, b), images=imgs)
    t = np.linspace(0, 1, 9)
    paths = tuple(LatentPath("z", kind, t, fn(a, b, t), rng.uniform(size=(9, 16)).astype(np.float32))
                  for kind, fn in (("lerp", latent.lerp), ("slerp", latent.slerp)))
    return Frame(step=1, dim=16, loss="ns", lipschitz="none", bounds=np.zeros((0, 2)), real=real, fake=real,
                 images={"real": real}, latent_maps=(lmap,), latent_paths=paths)


def test_mosaic_puts_grid_row_zero_at_the_bottom_with_each_image_upright():
    from gan_studio.gui.views.latent import mosaic

    images = np.arange(4 * 6, dtype=np.uint8).reshape(2, 2, 1, 2, 3) * 10
    out = mosaic(images, 1, (7, 8, 9))
    assert out.shape == (2 * 3 + 1, 2 * 4 + 1, 3)
    # array row r is drawn at height r (y up): a tile's first pixel row (its top) must be its highest array row
    assert out[1:3, 1:4, 0].tolist() == images[0, 0, 0][::-1].tolist()  # grid (0, 0): bottom left
    assert out[1:3, 5:8, 1].tolist() == images[0, 1, 0][::-1].tolist()  # grid (0, 1): bottom right
    assert out[4:6, 1:4, 2].tolist() == images[1, 0, 0][::-1].tolist()  # grid (1, 0): above it
    assert out[0].tolist() == [[7, 8, 9]] * 9 and out[:, 4].tolist() == [[7, 8, 9]] * 7  # the gaps


def _click(qtbot, view, plot, x, y, shift=False):
    from PyQt6 import QtCore

    scene = plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    mod = QtCore.Qt.KeyboardModifier.ShiftModifier if shift else QtCore.Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(view.glw.viewport(), QtCore.Qt.MouseButton.LeftButton, modifier=mod,
                     pos=view.glw.mapFromScene(scene))


def _hit_centre(view, what):
    (x0, y0, x1, y1), _ = next(h for h in view._board_hits if h[1] == what)
    return (x0 + x1) / 2, view._board_size[0] - (y0 + y1) / 2  # screen rows → the plot's y up


def test_image_map_is_drawn_and_clicks_pick_ends_and_ask_for_a_real_images_z(qtbot):
    from gan_studio.gui.views.latent import LatentView, mosaic

    view = LatentView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    frame = _image_frame()
    view.update_frame(frame)
    lmap = frame.latent_maps[0]
    assert view.map_image.image.tolist() == mosaic(lmap.images, 1, view.theme.blend(view.theme.bg, 1.0)).tolist()
    picked, asked = [], []
    view.path_end_picked.connect(lambda end, code: picked.append((end, np.asarray(code))))
    view.invert_image_requested.connect(asked.append)
    qtbot.waitUntil(lambda: view.zplot.vb.width() > 50 and view.xplot.vb.width() > 50)
    # a cell's centre: code xs[j]·u + ys[i]·v; plain click → A, shift+click → B
    _click(qtbot, view, view.zplot, lmap.xs[0], lmap.ys[2])
    _click(qtbot, view, view.zplot, lmap.xs[2], lmap.ys[1], shift=True)
    basis = np.asarray(lmap.basis)
    cell = lmap.xs[1] - lmap.xs[0]
    assert [p[0] for p in picked] == ["a", "b"]
    # within a tenth of a cell of the centre clicked (a pixel of the plot is ~1/40 of a cell here)
    assert picked[0][1] @ basis.T == pytest.approx([lmap.xs[0], lmap.ys[2]], abs=0.1 * cell)
    assert picked[1][1] @ basis.T == pytest.approx([lmap.xs[2], lmap.ys[1]], abs=0.1 * cell)
    assert (picked[0][1] @ basis.T) @ basis == pytest.approx(picked[0][1], abs=1e-9)  # a code in the plane
    # the board: a path's image picks its code, a real image asks for its z
    _click(qtbot, view, view.xplot, *_hit_centre(view, ("path", "slerp", 4)), shift=True)
    assert picked[-1][0] == "b" and picked[-1][1] == pytest.approx(frame.latent_paths[1].codes[4], abs=1e-12)
    _click(qtbot, view, view.xplot, *_hit_centre(view, ("real", 9)))
    assert asked == [9]
    view.mark_pending(9)
    assert any("searching" in lab.textItem.toPlainText() for lab in view.board_labels if lab.isVisible())
    target = frame.real[9].ravel()
    inv = Inversion(step=1, target=target, paths_z=np.zeros((2, 3, 5)), paths_x=np.zeros((2, 1, 16)),
                    errors=np.array([0.4, 0.8]), best=0, z=np.arange(5.0), x=np.clip(target + 0.1, 0, 1),
                    error=0.4, method="hand", image_shape=(1, 4, 4), image_index=9)
    view.show_inversion(inv)
    texts = [lab.textItem.toPlainText() for lab in view.board_labels if lab.isVisible()]
    assert any(f"MSE {0.4 ** 2 / 16:.3g}" in t for t in texts)
    _click(qtbot, view, view.xplot, *_hit_centre(view, ("answer",)))
    assert picked[-1][0] == "a" and picked[-1][1].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_one_map_per_class_gets_its_own_panel_and_a_click_reads_its_code(qtbot):
    from gan_studio.gui.views.latent import LatentView, label_image, mode_colours

    xs = ys = np.linspace(-2.0, 2.0, 4)
    maps = tuple(LatentMap("z", xs, ys, np.full((4, 4), k), 4, 3.0, codes=np.zeros((3, 2)),
                           centres=np.eye(4, 2), nearest=np.full((4, 4), k), asked=k) for k in range(4))
    t = np.linspace(0, 1, 5)
    a, b = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    paths = tuple(LatentPath("z", kind, t, fn(a, b, t), fn(a, b, t), np.zeros(5, int))
                  for kind, fn in (("lerp", latent.lerp), ("slerp", latent.slerp)))
    frame = Frame(step=1, dim=2, loss="ns", lipschitz="none", bounds=np.array([[-3.0, 3.0]] * 2),
                  real=np.zeros((4, 2)), fake=np.zeros((4, 2)), latent_maps=maps, latent_paths=paths)
    view = LatentView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.update_frame(frame)
    dead = view.theme.blend(view.theme.muted, 0.45)
    shown = [view.map_image, *view.panel_images[:3]]
    for k, item in enumerate(shown):  # panel k in class k's colour only
        assert item.isVisible()
        assert item.image.tolist() == label_image(maps[k].nearest, mode_colours(4), dead).tolist()
    assert [title.textItem.toPlainText() for title in view.panel_titles[:4]] == [str(k + 1) for k in range(4)]
    picked = []
    view.path_end_picked.connect(lambda end, code: picked.append(np.asarray(code)))
    qtbot.waitUntil(lambda: view.zplot.vb.width() > 50)
    rect3 = view._panels[3][0]  # the fourth panel: bottom right of a 2×2 grid; a click reads its own plane
    origin = view._panels[0][0]
    cell = xs[1] - xs[0]
    _click(qtbot, view, view.zplot, xs[1] + rect3.left() - origin.left(), ys[2] + rect3.top() - origin.top())
    assert picked[-1] == pytest.approx([xs[1], ys[2]], abs=0.15 * cell)
    assert "One map per class" in view.summary.text()


def test_window_sends_picks_and_image_inversions_and_the_worker_answers(make_window, qtbot):
    from gan_studio.worker.protocol import Invert, PickPathEnd

    w = make_window()  # the synthetic trainer: it has no latent paths to pick, and refuses in one line
    w.latent_view.path_end_picked.emit("b", (0.25, -0.5))
    assert w.sent[-1] == PickPathEnd("b", (0.25, -0.5))
    qtbot.waitUntil(lambda: w.status_message.text() == "refused: picking the ends of the latent paths needs a "
                    "single run", timeout=20000)
    w.latent_view.invert_image_requested.emit(3)
    assert w.sent[-1] == Invert((3.0,)) and w.latent_view.inversion == 3  # pending: the real image's index
