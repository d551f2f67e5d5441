"""Config: defaults, TOML round trip, overrides, and the messages bad values get."""

import pytest

from gan_studio import config as C
from gan_studio.config import Config, ConfigError


def test_defaults_are_the_documented_experiment():
    cfg = Config()
    assert (cfg.data.name, cfg.loss.name, cfg.lipschitz.name, cfg.optim.name) == ("ring8", "ns", "none", "adam")
    assert cfg.train.batch_size == 256


def test_toml_round_trip_keeps_every_value():
    cfg = C.with_value(Config(), "loss.name", "wgan")
    cfg = C.with_value(cfg, "optim.lr_d", "3e-4")
    cfg = C.with_value(cfg, "data.path", 'C:\\data\\"odd".csv')
    assert C.loads(C.dumps(cfg)) == cfg


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("loss.name", "wgn", "loss.name: unknown value 'wgn'; allowed: minimax, ns, wgan"),
        ("optim.lr_d", "-1", "optim.lr_d: -1.0 is out of range; it must be > 0.0"),
        ("optim.lr_d", "fast", "optim.lr_d: expected a number, got 'fast'"),
        ("optim.lr_g", "nan", "optim.lr_g: expected a finite number"),
        ("train.d_steps", "1.5", "train.d_steps: expected a whole number, got '1.5'"),
        ("train.batch_size", "0", "train.batch_size: 0 is out of range; it must be ≥ 1"),
        ("lipschitz.one_sided", "maybe", "lipschitz.one_sided: expected true or false"),
        ("loss.nme", "ns", "unknown key 'loss.nme': valid keys in [loss] are loss.name"),
        ("los.name", "ns", "unknown key 'los.name'"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(key, value, message):
    with pytest.raises(ConfigError, match=None) as err:
        C.with_value(Config(), key, value)
    assert message in str(err.value)


def test_assignment_needs_an_equals_sign():
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        C.parse_assignment("loss.name")


def test_malformed_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[loss\nname = 'ns'\n")
    with pytest.raises(ConfigError, match="broken.toml: malformed TOML"):
        C.load(path)


def test_unknown_section_and_missing_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[los]\nname = 'ns'\n")
    with pytest.raises(ConfigError, match=r"unknown section \[los\]"):
        C.load(path)
    with pytest.raises(ConfigError, match="cannot read config file"):
        C.load(tmp_path / "missing.toml")


def test_toml_value_of_wrong_type_is_refused():
    with pytest.raises(ConfigError, match="model.hidden: expected a whole number"):
        C.loads("[model]\nhidden = 1.5\n")


def test_every_key_has_help():
    assert all(C.help_for(k) for k in C.all_keys())


def test_readable_titles_name_only_real_choices_and_every_objective():
    from gan_studio.config import CHOICES, TITLES, choice_label

    for key, titles in TITLES.items():
        assert set(titles) <= set(CHOICES[key]), key
    assert set(TITLES["loss.name"]) == set(CHOICES["loss.name"])
    assert choice_label("loss.name", "ns") == "non-saturating GAN (ns)"
    assert choice_label("model.activation", "relu") == "relu"  # no title: the code alone
