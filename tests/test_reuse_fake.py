"""``train.reuse_fake`` (issue 15): G's update takes the generated batch of the step's D update, as the PyTorch DCGAN
example does, instead of drawing z anew; a named option, off by default, because it changes the algorithm."""

from __future__ import annotations

import math

import configs
import pytest
import torch

from gan_studio import config as C
from gan_studio.config import Config, ConfigError
from gan_studio.engine import Trainer

torch.set_num_threads(1)


def small(**changes) -> Config:
    """Small nets and batches; a row every 4 steps, measurement never."""
    return configs.small(**{"train.log_every": 4, **changes})


def rows(cfg: Config, steps: int = 12) -> list[dict]:
    trainer = Trainer(cfg)
    return [row for row in (trainer.step() for _ in range(steps)) if row is not None]


class GCalls:
    """A forward hook on G: the latents of each call, and whether a gradient reached that call's output."""

    def __init__(self, G: torch.nn.Module):
        self.latents: list[torch.Tensor] = []
        self.got_grad: list[bool] = []
        G.register_forward_hook(self)

    def __call__(self, module, inputs, output):
        i = len(self.latents)
        self.latents.append(inputs[0].detach().clone())
        self.got_grad.append(False)
        if output.requires_grad:
            output.register_hook(lambda grad: self.got_grad.__setitem__(i, True))


def test_off_by_default_and_a_documented_key():
    assert Config().train.reuse_fake is False
    assert "train.reuse_fake" in C.keys_table()


def test_g_update_trains_on_the_latents_of_the_d_update():
    """One G forward per step: the D update's G(z), whose graph G's update backpropagates through. Without the
    option: two forwards with different latents, the first (D's, without a graph) gets no gradient."""
    reuse = Trainer(small(**{"train.reuse_fake": True}))
    calls = GCalls(reuse.G)
    reuse.step()  # step 1, unlogged: nothing else calls G
    assert len(calls.latents) == 1 and calls.got_grad == [True]

    plain = Trainer(small())
    calls_plain = GCalls(plain.G)
    plain.step()
    assert len(calls_plain.latents) == 2 and calls_plain.got_grad == [False, True]
    assert not torch.equal(calls_plain.latents[0], calls_plain.latents[1])
    # the D update draws the same first latents either way (same seed, same draws before it)
    assert torch.equal(calls.latents[0], calls_plain.latents[0])


def test_rows_differ_from_the_default_and_stay_finite():
    default, reused = rows(small()), rows(small(**{"train.reuse_fake": True}))
    assert len(default) == len(reused) == 3
    assert all(math.isfinite(row["loss_g"]) and math.isfinite(row["loss_d"]) for row in reused)
    # step 4: D's first update is the same in both runs until G's first update differs
    assert [row["loss_g"] for row in reused] != [row["loss_g"] for row in default]
    assert rows(small(**{"train.reuse_fake": True})) == reused  # reproducible


def test_a_conditional_g_update_reuses_the_d_updates_labels_too():
    trainer = Trainer(small(**{"train.reuse_fake": True, "data.name": "ring8", "model.conditional": True}))
    seen: list[tuple] = []
    trainer.G.register_forward_hook(lambda m, inputs, out: seen.append(tuple(t.clone() for t in inputs)))
    trainer.step()
    assert len(seen) == 1 and len(seen[0]) == 2  # one call, (z, y)


def test_a_lone_g_update_draws_its_own_batch():
    """step_d then step_g (two rounds): the kept batch belongs to the step of its D update only."""
    trainer = Trainer(small(**{"train.reuse_fake": True}))
    calls = GCalls(trainer.G)
    trainer.apply("step_d")
    trainer.apply("step_g")
    assert len(calls.latents) == 2 and calls.got_grad == [False, True]


@pytest.mark.parametrize("changes, says", [
    ({"train.d_steps": 2}, "train.d_steps = 1"),
    ({"loss.name": "cramer", "lipschitz.name": "gp"}, "2 generated batches"),
    ({"loss.name": "vae"}, "no D update"),
    ({"loss.name": "gmmn", "train.d_steps": 1}, "no D update"),
], ids=["d_steps=2", "cramer", "vae", "gmmn"])
def test_refused_where_there_is_not_one_d_batch_per_step_in_one_line(changes, says):
    with pytest.raises(ConfigError, match="train.reuse_fake") as err:
        Trainer(small(**{"train.reuse_fake": True, **changes}))
    assert says in str(err.value) and "\n" not in str(err.value)


def test_live_changes_that_break_it_are_refused_and_leave_the_run_as_it_was():
    trainer = Trainer(small(**{"train.reuse_fake": True}))
    trainer.step()
    with pytest.raises(ConfigError, match="train.d_steps = 1"):
        trainer.apply("train.d_steps", 2)
    with pytest.raises(ConfigError, match="2 generated batches"):
        trainer.apply("loss.name", "cramer")
    assert trainer.cfg.train.d_steps == 1 and trainer.objective.name == "ns"
    trainer.apply("loss.name", "wgan")  # one generated batch: fine
    trainer.step()
    assert trainer.step_count == 2


def test_a_restore_drops_the_kept_batch():
    """A batch kept by a D update carries the graph of the G it came from; after a restore (rewind) that G's weights
    are overwritten, so the batch must be gone and the next G update draws its own."""
    trainer = Trainer(small(**{"train.reuse_fake": True}))
    trainer.step()
    state = trainer.state()
    trainer.apply("step_d")  # a D update alone keeps its batch for a G update that does not come
    assert trainer._fake_for_g is not None
    trainer.restore(state)
    assert trainer._fake_for_g is None
    before = [p.detach().clone() for p in trainer.G.parameters()]
    trainer.apply("step_g")  # a fresh batch: no backward through freed graphs of the old G
    after = list(trainer.G.parameters())
    assert all(torch.isfinite(p).all() for p in after)
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))  # G did update
