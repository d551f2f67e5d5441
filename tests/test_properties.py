"""Issue #17, property-based: the readers of what people type and of files from disk take *any* input and give
either a ConfigError or a value that is whole and valid: config values round-trip through config.toml, events
are ones ``--at`` would accept, point files are finite N×1 or N×2 arrays."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gan_studio import config as C
from gan_studio import runs
from gan_studio.config import ConfigError
from gan_studio.data.points_file import load_points_file
from gan_studio.schedule import ACTIONS, LIVE_KEYS, parse_change, parse_event

SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = st.sampled_from(C.all_keys())
# Texts that look like values of some key more often than st.text() alone would.
VALUE_TEXT = st.one_of(
    st.text(),
    st.text(alphabet="0123456789.-+eE_xXinfatrueolsyNnINF ", max_size=12),
    st.integers().map(str),
    st.floats().map(repr),
    st.sampled_from([v for choices in C.CHOICES.values() for v in choices]),
    st.sampled_from(["true", "False", "yes", "off", "1", "0", "", " ", "a/b.npz", "x.npz", "\n", "\"", "\\"]),
)


def round_trips(key: str, value) -> None:
    """``value`` (already parsed for ``key``) survives config.toml: dumps, then loads, gives it back exactly."""
    cfg = C.with_value(C.Config(), key, value)
    back = C.loads(C.dumps(cfg))
    assert C.get(back, key) == value
    assert type(C.get(back, key)) is type(value)
    assert back == cfg


@SETTINGS
@given(key=KEYS, text=VALUE_TEXT)
@example(key="data.path", text="a\nb.csv")  # was written raw into config.toml, which then did not load
@example(key="data.path", text="\x7f\\\"")
def test_parse_value_gives_a_config_error_or_a_value_that_round_trips(key, text):
    try:
        value = C.parse_value(key, text)
    except ConfigError as err:
        assert key in str(err)  # the message names the key
        return
    assert C.parse_value(key, value) == value  # a parsed value parses to itself
    if isinstance(value, float):
        assert math.isfinite(value)
    round_trips(key, value)


@SETTINGS
@given(key=st.one_of(KEYS, st.text(max_size=20)), text=VALUE_TEXT, sep=st.sampled_from(["=", " = ", "", "=="]))
def test_parse_assignment_gives_a_config_error_or_a_known_key_and_valid_value(key, text, sep):
    try:
        parsed_key, value = C.parse_assignment(f"{key}{sep}{text}")
    except ConfigError:
        return
    assert parsed_key in C.all_keys()
    round_trips(parsed_key, value)


@SETTINGS
@given(text=st.text())
def test_parse_assignment_of_any_text(text):
    try:
        key, value = C.parse_assignment(text)
    except ConfigError:
        return
    round_trips(key, value)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)
EVENT = st.fixed_dictionaries(
    {"step": st.one_of(st.integers(-5, 10**6), st.integers(), JSON),
     "what": st.one_of(st.sampled_from(LIVE_KEYS + ACTIONS + ("train.seed", "model.hidden", "nope")), JSON),
     "new": st.one_of(VALUE_TEXT, JSON)},
    optional={"old": JSON})
LINE = st.one_of(EVENT.map(json.dumps), JSON.map(json.dumps), st.text(max_size=30),
                 st.sampled_from(["", "   ", "{", "[" * 5000 + "]" * 5000, '{"step": 1e400, "what": "reset"}',
                                  '{"step": NaN, "what": "reset"}', '{"step": 3, "what": "reset", "new": Infinity}']))


@SETTINGS
@given(lines=st.lists(LINE, max_size=6))
def test_events_reader_gives_a_config_error_or_events_that_replay(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            events = runs.read_events(path)
        except ConfigError as err:
            assert str(path) in str(err)
            return
    assert len(events) <= len(lines)
    for event in events:
        assert isinstance(event["step"], int) and not isinstance(event["step"], bool) and event["step"] >= 0
        assert isinstance(event["what"], str) and event["what"]
        try:
            step, what, value = parse_event(event)
        except ConfigError:
            continue
        assert step == event["step"]
        assert what in LIVE_KEYS or what in ACTIONS
        if what in LIVE_KEYS:
            assert parse_change(step, f"{what}={value}") == (step, what, value)  # what --at would say
            round_trips(what, value)


@SETTINGS
@given(event=EVENT)
def test_parse_event_of_any_event(event):
    try:
        step, what, value = parse_event(event)
    except ConfigError:
        return
    assert 0 <= step <= C.INT64_MAX and (what in LIVE_KEYS or what in ACTIONS)


NUMBER = st.one_of(st.floats(width=32), st.integers(-10**20, 10**20), st.sampled_from([0.0, -0.0, 1e15, -1e16]))
CSV = st.lists(st.lists(NUMBER, min_size=1, max_size=3), max_size=8).flatmap(
    lambda rows: st.sampled_from([",", ", ", " ", ";", "\t"]).map(
        lambda sep: "\n".join(sep.join(repr(v) for v in row) for row in rows)))


def check_points(path: Path) -> None:
    try:
        data = load_points_file(str(path))
    except ConfigError as err:
        assert str(path) in str(err)
        return
    points = data.points
    assert points.ndim == 2 and points.shape[1] in (1, 2) and len(points) >= 2
    assert np.isfinite(points).all()
    assert np.isfinite(data.bounds).all() and (data.bounds[:, 0] < data.bounds[:, 1]).all()


@SETTINGS
@given(content=st.one_of(st.binary(max_size=300), CSV.map(str.encode), st.text(max_size=200).map(str.encode)),
       suffix=st.sampled_from([".csv", ".npy", ".CSV", ".txt"]))
def test_points_file_of_any_bytes(content, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"points{suffix}"
        path.write_bytes(content)
        check_points(path)


@SETTINGS
@given(shape=st.sampled_from([(0,), (5,), (3, 1), (4, 2), (2, 3), (1, 2), (3, 2, 1), ()]),
       dtype=st.sampled_from(["<f8", ">f4", "<i4", "u1", "c8", "?", "<U3", "f2"]),
       fill=st.sampled_from([0.0, 1.0, np.nan, np.inf, 1e16, -3.5]), header_cut=st.integers(0, 200))
def test_points_file_of_any_npy(shape, dtype, fill, header_cut):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "points.npy"
        with np.errstate(invalid="ignore", over="ignore"):
            array = np.full(shape, fill).astype(dtype) if dtype != "<U3" else np.full(shape, "1.0", dtype=dtype)
        np.save(path, array)
        if header_cut:  # a truncated file
            data = path.read_bytes()
            path.write_bytes(data[: max(len(data) - header_cut, 0)])
        check_points(path)
