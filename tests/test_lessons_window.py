"""A lesson's stage drives the window's views: lesson 7 brings the Dirac-GAN lab to the front at its stages with
the case and step size its captions quote, and Back shows the lab as it was at the stage gone back to (pytest-qt,
the synthetic trainer)."""

from __future__ import annotations

import pytest

from gan_studio.config import ConfigError
from gan_studio.gui.lesson_bar import TAB_TITLES, select_tab
from gan_studio.lessons import DIRAC_CASES, TABS, load_lesson, parse_lesson


def test_every_tab_a_stage_may_name_is_a_tab_of_the_window_and_every_lab_case_exists(make_window):
    from gan_studio.dynamics import dirac

    assert tuple(dirac.CASES) == DIRAC_CASES, "lessons.DIRAC_CASES must list the lab's cases (it cannot import them)"
    assert set(TAB_TITLES) == set(TABS)
    w = make_window()
    titles = [w.tabs.tabText(i) for i in range(w.tabs.count())]
    assert {TAB_TITLES[tab] for tab in TABS if tab != "images"} <= set(titles)  # Images: made by an image frame
    assert select_tab(w.tabs, "latent") and w.tabs.tabText(w.tabs.currentIndex()) == "Latent space"
    assert not select_tab(w.tabs, "seeds"), "Seeds shows only for an ensemble: the current tab stays"
    assert w.tabs.tabText(w.tabs.currentIndex()) == "Latent space"


@pytest.mark.parametrize("line, expected", [
    ('tab = "dirc"', "stage 1: tab: expected one of data, dirac, latent, images, seeds, got 'dirc'"),
    ('dirac = "wgan-r3"', "stage 1: dirac: expected a Dirac-GAN lab case (gan, ns, wgan, "),
    ("dirac_step = 0", "stage 1: dirac_step: expected the lab's step size h, 0 < h ≤ 2, got 0"),
    ('dirac_step = "big"', "stage 1: dirac_step: expected the lab's step size h, 0 < h ≤ 2, got 'big'"),
])
def test_a_bad_tab_or_lab_key_is_one_line(line, expected):
    text = f'preset = "ring8-collapse"\n[[stage]]\nstep = 5\ncaption = "c"\n{line}\n'
    with pytest.raises(ConfigError) as err:
        parse_lesson(text, "x", "x.toml")
    assert "\n" not in str(err.value) and expected in str(err.value), str(err.value)


def test_dirac_at_is_the_last_case_and_step_given_up_to_a_stage():
    lesson = load_lesson("7-oscillation")
    assert [stage.tab for stage in lesson.stages] == ["dirac", "", "dirac"]
    assert [lesson.dirac_at(i) for i in range(3)] == [("wgan", 0.2), ("wgan", 0.2), ("wgan-r1", 0.1)]


def test_lesson_7_opens_the_dirac_lab_at_its_stages(make_window, qtbot):
    lesson = load_lesson("7-oscillation")
    first, second, third = (stage.step for stage in lesson.stages)
    w = make_window()

    def lab():
        return w.tabs.tabText(w.tabs.currentIndex()), w.dirac.case_key, round(w.dirac.h, 6)

    assert w.start_lesson("7-oscillation")
    qtbot.waitUntil(lambda: w.step == first and not w.playing, timeout=30000)
    assert lab() == ("Dirac-GAN lab", "wgan", 0.2)
    assert "+0.000 − 1.000i, +0.000 + 1.000i" in w.dirac.explain.text()  # WGAN: ±i
    w.lesson_next()
    qtbot.waitUntil(lambda: w.step == second and not w.playing, timeout=30000)
    assert lab() == ("Dirac-GAN lab", "wgan", 0.2)
    w.lesson_next()
    qtbot.waitUntil(lambda: w.step == third and not w.playing, timeout=30000)
    assert lab() == ("Dirac-GAN lab", "wgan-r1", 0.1)
    assert "-9.899 + 0.000i" in w.dirac.explain.text() and "-0.101 + 0.000i" in w.dirac.explain.text()  # −5 ± √24
    w.lesson_back()
    qtbot.waitUntil(lambda: w.step == second and not w.playing and w.lesson.index == 1, timeout=30000)
    assert lab() == ("Dirac-GAN lab", "wgan", 0.2), "back: the lab as it was at that stage"
