"""Guided lessons (issue #13): every shipped lesson loads and validates, mistakes in a lesson file are one line naming
the file, stage and key, the player's next / back / leave, the schedule is the stages' changes, each lesson's claims
hold on its own run, and `gan-studio lesson NAME --render DIR` writes one PNG per stage and lesson.md.

The claim tests train each lesson itself (its own config and seed, on the CPU with one thread, through the Runner as
`gan-studio lesson` does) to its last stage's step: every lesson is tuned so its point is visible within ~1,200 steps
(the measured values are in each lesson's TOML file).
"""

import functools
import math

import numpy as np
import pytest
import torch

from gan_studio import config as C
from gan_studio.config import ConfigError
from gan_studio.engine import Trainer
from gan_studio.frames import Frame, Surface2D
from gan_studio.lessons import HIGHLIGHTS, lesson_names, list_lessons, load_lesson, parse_lesson
from gan_studio.lessons.claims import CLAIMS, StageRun, gp_critic_slope, parse_claim
from gan_studio.lessons.player import LessonPlayer
from gan_studio.runner import MemoryRecorder, Runner
from gan_studio.schedule import parse_change

torch.set_num_threads(1)

GOOD = """
description = "test"
preset = "ring8-collapse"
[set]
"model.hidden" = 16
[[stage]]
step = 10
caption = "first"
changes = ["loss.name=wgan", "lipschitz.name=gp"]
[[stage]]
step = 20
caption = "second"
question = "why?"
highlight = "w1"
changes = ["remedy.name=packing"]
[[stage]]
step = 30
caption = "third"
claim = { check = "modes_reach", least = 6 }
"""


# ------------------------------------------------------------------------------------------------------ format
@pytest.mark.parametrize("name", lesson_names())
def test_each_shipped_lesson_loads_and_validates(name):
    lesson = load_lesson(name)
    assert lesson.description and "\n" not in lesson.description
    assert lesson.origin.startswith("preset ")
    assert [stage.step for stage in lesson.stages] == sorted({stage.step for stage in lesson.stages})
    assert all(stage.caption for stage in lesson.stages)
    assert all(stage.highlight in ("", *HIGHLIGHTS) for stage in lesson.stages)
    assert any(stage.claims for stage in lesson.stages), "every shipped lesson makes a claim its test checks"
    assert lesson.steps <= 1200, "a lesson's point shows within ~1,200 steps (1–2 minutes on 2 cores)"


def test_the_shipped_lessons_are_listed_in_order_with_their_descriptions():
    assert [name for name, _ in list_lessons()] == lesson_names()
    assert lesson_names() == ["1-optimal-discriminator", "2-saturating-loss", "3-mode-collapse", "4-js-vs-w1",
                              "5-clipping-vs-penalty", "6-gp-critic-is-not-w1", "7-oscillation",
                              "8-vae-is-blurry"]


def test_a_lesson_file_by_path_with_overrides_and_its_schedule(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD, encoding="utf-8")
    lesson = load_lesson(str(path))
    assert lesson.name == "mine" and lesson.cfg.model.hidden == 16 and lesson.steps == 30
    assert lesson.stages[1].question == "why?" and lesson.stages[1].highlight == "w1"
    assert lesson.stages[0].change_texts == ("loss.name=wgan", "lipschitz.name=gp")
    # the schedule is every stage's changes, each parsed as --at STEP KEY=VALUE
    expected = [parse_change(10, "loss.name=wgan"), parse_change(10, "lipschitz.name=gp"),
                parse_change(20, "remedy.name=packing")]
    assert lesson.schedule().items == expected
    assert lesson.schedule().items == expected, "a fresh Schedule each time (Runner consumes it)"
    assert lesson.stages[2].claims == (CLAIMS["modes_reach"](least=6),)


def test_a_lesson_config_path_is_relative_to_the_lesson_file(tmp_path):
    (tmp_path / "base.toml").write_text(C.dumps(C.with_value(C.Config(), "loss.name", "wgan")), encoding="utf-8")
    (tmp_path / "l.toml").write_text('config = "base.toml"\n[[stage]]\nstep = 5\ncaption = "c"\n', encoding="utf-8")
    lesson = load_lesson(str(tmp_path / "l.toml"))
    assert lesson.cfg.loss.name == "wgan" and lesson.origin == "config base.toml"


@pytest.mark.parametrize("edit, expected", [
    (('step = 20', 'step = 10'), "stage 2: step: expected more than the previous stage's step 10, got 10"),
    (('step = 20', 'step = -1'), "stage 2: step: expected a whole number of steps ≥ 0, got -1"),
    (('caption = "second"', 'caption = ""'), "stage 2: caption: expected a non-empty text"),
    (('caption = "second"', 'captions = "second"'), "stage 2: unknown key 'captions'; allowed: step, caption"),
    (('"remedy.name=packing"', '"remedy.name=nope"'), "stage 2: changes: --at 20: remedy.name: "),
    (('"remedy.name=packing"', '"model.hidden=3"'), "stage 2: changes: --at 20 model.hidden=3: 'model.hidden' "
                                                     "cannot change during a run"),
    (('highlight = "w1"', 'highlight = "w2"'), "stage 2: highlight: expected one of data, losses, dmean, grads, "
                                               "js, modes, w1, got 'w2'"),
    (('highlight = "w1"', 'highlight = "w1"\nshow = ["grad_act"]'), "stage 2: show: expected a list of "
                                                                      "time-series columns (loss_d, "),
    (('check = "modes_reach"', 'check = "modes_rich"'), "stage 3: claim: check: unknown claim 'modes_rich'"),
    (('least = 6', 'lest = 6'), "stage 3: claim: lest: not a parameter of modes_reach; parameters: least"),
    (('least = 6', 'least = 6.5'), "stage 3: claim: least: expected a whole number, got 6.5"),
    (('"model.hidden" = 16', '"model.hiden" = 16'), "set: unknown key 'model.hiden'"),
    (('preset = "ring8-collapse"', 'preset = "ring9"'), "preset: unknown preset 'ring9'"),
    (('description = "test"', 'descripton = "test"'), "unknown key 'descripton'; allowed: description, preset"),
])
def test_a_broken_lesson_is_one_line_naming_the_file_stage_and_key(tmp_path, edit, expected):
    path = tmp_path / "broken.toml"
    old, new = edit
    assert old in GOOD
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_lesson(str(path))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    assert expected in message, message


def test_no_stages_malformed_toml_and_unknown_names_are_one_line(tmp_path):
    for text, expected in [('preset = "ring8-collapse"\n', "expected at least one [[stage]] table"),
                           ('preset = "ring8-collapse"\n[[stage]\n', "not valid TOML"),
                           ('[[stage]]\nstep = 1\ncaption = "c"\n', "give exactly one of preset")]:
        with pytest.raises(ConfigError) as err:
            parse_lesson(text, "x", "x.toml")
        assert "\n" not in str(err.value) and expected in str(err.value)
    with pytest.raises(ConfigError, match="unknown lesson 'nope'; lessons: 1-optimal-discriminator, "):
        load_lesson("nope")
    with pytest.raises(ConfigError, match="cannot read lesson file"):
        load_lesson("/nonexistent/lesson.toml")


# ------------------------------------------------------------------------------------------------------ player
def test_player_next_back_and_leave():
    player = LessonPlayer(parse_lesson(GOOD, "good", "good.toml"))
    assert player.index == 0 and player.at_start and player.pause_step == 10
    assert player.back().step == 10 and player.index == 0, "back at the first stage stays"
    assert player.next().caption == "second" and player.pause_step == 20 and not player.needs_replay
    assert player.next().caption == "third" and player.at_end
    assert player.next().caption == "third" and player.index == 2, "next at the last stage stays"
    assert player.back().caption == "second"
    assert player.needs_replay and player.pause_step == 20, "back = the state at the previous stage's step: replay"
    assert player.schedule().items == player.lesson.schedule().items
    player.replayed()
    assert not player.needs_replay
    player.leave()
    assert player.left and player.pause_step is None and len(player.schedule()) == 0
    assert player.next().caption == "second" and player.back().caption == "second", "left: the buttons do nothing"


def test_back_then_replay_reaches_the_same_state_as_playing_through():
    """The player's back(): replaying from the start with the lesson's schedule to the stage's step gives the state
    the class saw there (CPU runs are deterministic), changes included."""
    lesson = parse_lesson(GOOD, "good", "good.toml").with_overrides(["train.device=cpu"])
    player = LessonPlayer(lesson)
    runner = Runner(Trainer(lesson.cfg), player.schedule(), MemoryRecorder())
    runner.run(player.pause_step)
    first = runner.trainer.weights()
    first = {key: value.copy() for key, value in first.items()}
    player.next()
    runner.run(player.pause_step)
    assert runner.trainer.cfg.loss.name == "wgan" and runner.trainer.cfg.remedy.name == "packing"
    player.back()
    replay = Runner(Trainer(lesson.cfg), player.schedule(), MemoryRecorder())
    replay.run(player.pause_step)
    assert replay.trainer.cfg.loss.name == "wgan" and replay.trainer.cfg.remedy.name == "none"
    assert all((replay.trainer.weights()[key] == value).all() for key, value in first.items())


# ------------------------------------------------------------------------------------------------------ claims
def play(lesson):
    """Train a lesson through the Runner on the CPU to its last stage: all metrics rows, and the frame at each
    stage's step (what `gan-studio lesson` draws)."""
    lesson = lesson.with_overrides(["train.device=cpu"])
    recorder = MemoryRecorder()
    runner = Runner(Trainer(lesson.cfg), lesson.schedule(), recorder)
    frames = {}
    for stage in lesson.stages:
        runner.run(stage.step)
        frames[stage.step] = runner.trainer.frame()
    return recorder.rows, frames


# the longest lesson runs (~12-28 s each on 2 loaded cores) check their claims with -m slow, for the 10-minute CI
SLOW_LESSONS = {"1-optimal-discriminator", "3-mode-collapse", "5-clipping-vs-penalty", "8-vae-is-blurry"}


@functools.cache
def played(name):
    """``play`` of a shipped lesson, once per test session (lesson 5's own test reads the same run)."""
    return play(load_lesson(name))


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_LESSONS else n
                                  for n in lesson_names()])
def test_each_lesson_claim_holds_on_its_own_run(name):
    """Each stage's claims on the lesson's own run (its last stage: 400–1,200 steps, 6–25 s; measured values in
    the lesson's TOML)."""
    lesson = load_lesson(name)
    rows, frames = played(name)
    verdicts = lesson.check_claims(rows, frames)
    failed = [f"stage {i} {claim}: {verdict.measured}" for i, stage in enumerate(verdicts, start=1)
              for claim, verdict in stage if not verdict.holds]
    assert not failed, failed
    assert sum(len(stage) for stage in verdicts) >= 2


def test_a_claim_that_does_not_hold_says_what_was_measured():
    lesson = parse_lesson(GOOD.replace("least = 6", "least = 9"), "x", "x.toml")
    rows = [{"step": 25, "modes_reached": 3}, {"step": 30, "modes_reached": 8}]
    ((name, verdict),) = lesson.check_claims(rows, {})[2]
    assert name == "modes_reach" and not verdict.holds
    assert verdict.measured.startswith("modes reached up to 8 (first ≥ 9 at step None)")


# ------------------------------------------------------------------------------------------------------ command
def test_lesson_list(capsys):
    from gan_studio.cli import main

    assert main(["lesson", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == lesson_names()


@pytest.mark.slow
def test_lesson_render_writes_one_png_per_stage_and_lesson_md(tmp_path, capsys):
    """`gan-studio lesson 2-saturating-loss --render DIR`: trains in a child process (600 steps, ~5 s) and draws the
    window at each stage's step with its caption (9 s measured on 2 busy cores: spawning, torch, Qt; marked slow)."""
    from PIL import Image

    from gan_studio.cli import main

    out = tmp_path / "lesson"
    assert main(["lesson", "2-saturating-loss", "--render", str(out), "--size", "1200x800"]) == 0
    lesson = load_lesson("2-saturating-loss")
    pngs = sorted(out.glob("*.png"))
    assert [p.name[:3] for p in pngs] == ["01-", "02-"]
    assert all(Image.open(p).size == (1200, 800) for p in pngs)
    md = (out / "lesson.md").read_text(encoding="utf-8")
    for png, stage in zip(pngs, lesson.stages, strict=True):
        assert f"![stage]({png.name})" in md and stage.caption in md and stage.question in md
    assert "loss.name=ns" in md
    assert md.count("holds:") == 3 and "does not hold" not in md, md
    assert "lesson.md" in capsys.readouterr().out


def test_lesson_command_errors_are_one_line(tmp_path, capsys):
    from gan_studio.cli import main

    assert main(["lesson", "nope", "--render", str(tmp_path)]) == 2
    assert "unknown lesson 'nope'" in capsys.readouterr().err
    assert main(["lesson"]) == 2
    assert "give a lesson NAME or FILE.toml, or --list" in capsys.readouterr().err
    assert main(["lesson", "4-js-vs-w1", "--render", str(tmp_path), "--size", "10x10"]) == 2
    assert "--size" in capsys.readouterr().err
    assert main(["lesson", "4-js-vs-w1", "--render", str(tmp_path), "--set", "model.hiden=3"]) == 2
    assert "model.hiden" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------------ lessons 5–7
def _claims(name, kind):
    return [claim for stage in load_lesson(name).stages for claim in stage.claims if claim.name == kind]


def test_gp_critic_slope_is_the_maximiser_of_the_penalised_critic_objective():
    """The closed form s = ±1 + W1/2λ of lesson 6 against a brute-force maximisation of s·W1 − λ·pen(s) over a fine
    grid of slopes (an independent computation): the one-sided penalty's global maximum, and the two-sided one's two
    local maxima (the right one global, the left one the wrong-sign lock)."""
    slopes = np.linspace(-3, 3, 600_001)  # step 1e-5
    for w1, lam in [(4.07, 10.0), (1.0, 10.0), (3.0, 2.0)]:
        two = slopes * w1 - lam * (np.abs(slopes) - 1) ** 2
        one = slopes * w1 - lam * np.maximum(np.abs(slopes) - 1, 0) ** 2
        assert slopes[np.argmax(one)] == pytest.approx(gp_critic_slope(w1, lam, 1), abs=2e-5)
        assert slopes[np.argmax(two)] == pytest.approx(gp_critic_slope(w1, lam, 1), abs=2e-5)
        left = slopes < 0
        assert slopes[left][np.argmax(two[left])] == pytest.approx(gp_critic_slope(w1, lam, -1), abs=2e-5)
        inner = np.argmax(two[left])
        assert 0 < inner < left.sum() - 1, "a true local maximum inside s < 0, not the edge at s = 0"
    assert gp_critic_slope(4.07, 10.0, 1) * 4.07 == pytest.approx(4.898, abs=1e-3)
    assert gp_critic_slope(4.07, 10.0, -1) * 4.07 == pytest.approx(-3.242, abs=1e-3)


def test_lesson_6_claims_use_the_lessons_own_penalty_weight():
    lesson = load_lesson("6-gp-critic-is-not-w1")
    claims = _claims("6-gp-critic-is-not-w1", "gp_critic_slope")
    assert [claim.sign for claim in claims] == [-1, 1]
    assert all(claim.weight == lesson.cfg.lipschitz.weight for claim in claims)
    assert lesson.cfg.lipschitz.name == "gp" and not lesson.cfg.lipschitz.one_sided
    assert lesson.stages[0].change_texts == ("lipschitz.one_sided=true",)
    assert lesson.cfg.train.g_steps == 0, "the closed form needs G held fixed"


def test_lesson_7_dirac_numbers_in_its_captions():
    """What lesson 7's captions quote of the Dirac-GAN (gan_studio.dynamics.dirac, the lab tab's model): WGAN's field
    eigenvalues ±i; at h = 0.2 alternating descent |λ| = 1 (and its trajectory stays on a bounded orbit) while
    simultaneous descent |λ| = √1.04 = 1.02 (and its trajectory spirals out); WGAN + R1 with γ = 10 (the run's
    penalty, lipschitz.weight) has eigenvalues −5 ± √24, real and negative."""
    from gan_studio.dynamics import dirac

    lesson = load_lesson("7-oscillation")
    first, restart, second = lesson.stages
    assert "±i" in first.caption and "|λ| = 1," in first.caption and "|λ| = 1.02" in first.caption
    assert "h = 0.2" in first.caption and "−5 ± √24" in second.caption and "γ = 10" in second.caption
    assert (first.tab, first.dirac, first.dirac_step) == ("dirac", "wgan", 0.2), "the lab shows what it quotes"
    wgan = dirac.CASES[first.dirac]
    assert dirac.closed_form(wgan).eigenvalues == pytest.approx(np.array([-1j, 1j]), abs=1e-12)
    update = dirac.update_spectrum(wgan, first.dirac_step)
    assert np.abs(update["alternating"]) == pytest.approx([1.0, 1.0], abs=1e-9)
    assert np.abs(update["simultaneous"]) == pytest.approx([np.sqrt(1.04)] * 2, abs=1e-12)
    assert round(float(np.sqrt(1.04)), 2) == 1.02
    sim = dirac.radius(dirac.trajectory(wgan, (1.0, 0.5), 0.2, 400, "simultaneous"))
    alt = dirac.radius(dirac.trajectory(wgan, (1.0, 0.5), 0.2, 400, "alternating"))
    assert sim[-1] / sim[0] == pytest.approx(1.04 ** 200, rel=1e-6), "|λ|^400 = 1.04^200: spirals out"
    assert 0.5 < alt.min() / alt[0] and alt.max() / alt[0] < 2, "bounded: circles"
    assert (second.tab, second.dirac) == ("dirac", "wgan-r1")
    r1 = dirac.CASES[second.dirac]  # the lab's case is the run's loss and penalty, with the run's γ
    assert (r1.loss, r1.penalty, r1.gamma) == ("wgan", "r1", restart.changes[2][2])
    assert restart.change_texts == ("reset", "lipschitz.name=r1", "lipschitz.weight=10")
    updates = dirac.update_spectrum(r1, second.dirac_step)  # h = 0.1: both descents fall straight in
    assert "h = 0.1" in second.caption and second.dirac_step == 0.1
    assert all(np.all(np.abs(z.imag) < 1e-12) and np.all(np.abs(z) < 1) and np.all(z.real > -1e-12)
               for z in updates.values())
    eig = dirac.closed_form(r1).eigenvalues
    assert eig == pytest.approx(np.array([-5 - np.sqrt(24), -5 + np.sqrt(24)]), abs=1e-12)
    assert np.sort(np.linalg.eigvals(dirac.equilibrium_jacobian(r1)).real) == pytest.approx(sorted(eig.real), abs=1e-9)


@pytest.mark.slow  # 10-minute CI: shares lesson 5's ~30 s run with its claim test, both with -m slow
def test_lesson_5_critic_surfaces_against_independent_computations():
    """Lesson 5 on its own run (shared with the claims test): G is held fixed at data + N(0, I) (the same samples at
    every stage, spread √(2 + 1) per coordinate on the radius-2 ring); the clipped critic's flat picture is bounded
    by its Lipschitz constant (max − min ≤ lip × the grid's diagonal, lip measured by autograd); the GP critic's
    picture has the slope between real and fake points that autograd measures there (the surface's finite
    differences at interpolates of the shown samples against ``gx_interp`` on fresh batches: within 10 %); and its
    estimate E s_r − E s_f is at most lip × W1 ≤ lip × E‖N(0, I)‖ = lip·√(π/2) (Kantorovich–Rubinstein, with W1
    bounded by the coupling x ↦ x + noise)."""
    from gan_studio.lessons.claims import surface_range, surface_slope_on_interpolates

    lesson = load_lesson("5-clipping-vs-penalty")
    assert lesson.cfg.model.g_data_noise == 1.0 and lesson.stages[1].change_texts[0] == "reset"
    rows, frames = played("5-clipping-vs-penalty")
    clipped, gp = frames[lesson.stages[0].step], frames[lesson.stages[-1].step]
    assert np.array_equal(clipped.fake, gp.fake), "G is held fixed"
    assert clipped.fake.std(0) == pytest.approx([math.sqrt(3)] * 2, rel=0.08)  # 1000 samples: ±2.2 % per std
    row = {r["step"]: r for r in rows if r.get("lip") is not None}
    surface = clipped.surface
    diagonal = math.hypot(np.ptp(surface.xs), np.ptp(surface.ys))
    assert 0 < surface_range(clipped) <= row[lesson.stages[0].step]["lip"] * diagonal
    slope, used = surface_slope_on_interpolates(gp)
    assert used > 900
    end = row[lesson.stages[-1].step]
    assert slope == pytest.approx(end["gx_interp"], rel=0.1)
    assert 0 < end["w1_critic"] <= end["lip"] * math.sqrt(math.pi / 2)


def test_surface_slope_reads_a_known_plane():
    """surface_slope_on_interpolates on D(x) = 3x₁ − 4x₂ (slope 5 everywhere) and range on a known grid: exact up
    to the bilinear interpolation of a constant (fast, no training)."""
    from gan_studio.lessons.claims import surface_range, surface_slope_on_interpolates

    xs = np.linspace(-2, 2, 41)
    gx, gy = np.meshgrid(xs, xs)
    rng = np.random.default_rng(0)
    frame = Frame(step=1, dim=2, loss="wgan", lipschitz="gp", bounds=np.array([[-2.0, 2.0], [-2.0, 2.0]]),
                  real=rng.uniform(-1, 1, (300, 2)), fake=rng.uniform(-3, 3, (300, 2)),
                  surface=Surface2D(xs=xs, ys=xs, score=3 * gx - 4 * gy))
    slope, used = surface_slope_on_interpolates(frame)
    assert slope == pytest.approx(5.0, abs=1e-9) and 0 < used < 300  # points off the grid left out
    assert surface_range(frame) == pytest.approx(28.0, abs=1e-9)
    assert CLAIMS["surface_slope"](least=4.9, most=5.1).check(StageRun(-1, 1, [], end_frame=frame)).holds
    assert not CLAIMS["surface_range"](most=27).check(StageRun(-1, 1, [], end_frame=frame)).holds
    with pytest.raises(ValueError, match="needs a 2D run's D surface"):
        CLAIMS["surface_range"]().check(StageRun(-1, 1, []))


def test_new_claims_on_synthetic_rows():
    """activation_gradient_spread, sign_changes and between read exactly what they say (fast, no training)."""
    spread = CLAIMS["activation_gradient_spread"](least=3, rising=1)
    rows = [{"step": 10, "grad_act_d_0": 1e-6, "grad_act_d_1": 1e-4, "grad_act_d_2": 1e-2}]
    assert spread.check(StageRun(-1, 10, rows)).holds
    rows[0]["grad_act_d_1"] = 1e-7  # no longer rising layer by layer
    assert not spread.check(StageRun(-1, 10, rows)).holds
    assert not CLAIMS["activation_gradient_spread"](most=1).check(StageRun(-1, 10, rows)).holds
    signs = [{"step": i, "w1_critic": v} for i, v in enumerate([1.0, -2.0, 0.05, -0.5, 3.0, None, -1.0])]
    assert "3 sign changes" in CLAIMS["sign_changes"](least=3).check(StageRun(-1, 6, signs)).measured, \
        "+ − (0.05 skipped) − + (None skipped) −"
    assert not CLAIMS["sign_changes"](most=2).check(StageRun(-1, 6, signs)).holds
    between = CLAIMS["between"](column="w1_critic", least=-2, most=3, from_step=1)
    assert between.check(StageRun(-1, 6, signs)).holds
    assert not CLAIMS["between"](column="w1_critic", least=-1.5, most=3).check(StageRun(-1, 6, signs)).holds
    with pytest.raises(ValueError, match="no grad_act_d_<i> measured"):
        spread.check(StageRun(-1, 10, [{"step": 5}]))


def test_a_claims_column_must_be_a_registry_column():
    assert CLAIMS["between"](column="lip") == parse_claim({"check": "between", "column": "lip"})
    with pytest.raises(ConfigError, match="column: expected a metrics column .*got 'lipp'"):
        parse_claim({"check": "between", "column": "lipp"})
    with pytest.raises(ConfigError, match="column: expected a metrics column"):
        parse_claim({"check": "sign_changes", "column": 3})


# ------------------------------------------------------------------------------------------------------ lesson 8
def test_ratio_between_reads_the_ratio_of_two_columns():
    """ratio_between on synthetic rows: column / over at each row that has both, from_step honoured (fast)."""
    rows = [{"step": 100, "sharpness": 0.2, "sharpness_data": 0.4}, {"step": 200, "sharpness": None},
            {"step": 300, "sharpness": 0.36, "sharpness_data": 0.4}]
    verdict = CLAIMS["ratio_between"](most=0.8).check(StageRun(-1, 300, rows))
    assert not verdict.holds and "0.500 to 0.900 at 2 measurements" in verdict.measured
    assert CLAIMS["ratio_between"](least=0.85, most=0.95, from_step=300).check(StageRun(-1, 300, rows)).holds
    assert parse_claim({"check": "ratio_between", "over": "w1"}).over == "w1"
    with pytest.raises(ConfigError, match="over: expected a metrics column"):
        parse_claim({"check": "ratio_between", "over": "sharpnes"})


def test_lesson_8_is_the_vae_preset_switched_to_a_gan_on_the_same_decoder():
    """Lesson 8 is one run on one set of plots: digits-vae (ELBO, β = 1) and, at its first stage's step, the GAN loss
    with nothing else changed (the decoder stays as G: tests/test_vae.py checks the switch keeps G); its claims read
    the samples' sharpness against the data's and the classes, in both stages."""
    lesson = load_lesson("8-vae-is-blurry")
    assert lesson.origin == "preset digits-vae"
    assert lesson.cfg.loss.name == "vae" and lesson.cfg.loss.beta == 1.0 and lesson.cfg.data.name == "digits"
    vae, gan = lesson.stages
    assert vae.change_texts == ("loss.name=ns",) and gan.change_texts == ()
    assert "β = 1" in vae.caption and "0.8 of the data's" in vae.caption and "at least 9 of the 10" in vae.caption
    assert "0.85 to 1.3" in gan.caption and "from step 800" in gan.caption and "at least 9 of the 10" in gan.caption
    for stage, (least, most) in zip(lesson.stages, [(-np.inf, 0.8), (0.85, 1.3)], strict=True):
        ratio, classes = stage.claims
        assert (ratio.column, ratio.over, ratio.least, ratio.most) == ("sharpness", "sharpness_data", least, most)
        assert classes.column == "classes" and classes.least == 9
    assert gan.claims[0].from_step == gan.claims[1].from_step == 800
