"""The msgspec decoder of JSON events (spl/jsonplan.py) gives exactly what the full parse gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contentkit.spl import events as events_mod
from contentkit.spl import jsonplan
from contentkit.spl.events import TIME_KEYS, field_plan, json_fields, parse_time


def _slow(raw: str, names: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(events_mod, "FAST_JSON", False)
        return json_fields(raw, field_plan(names))


def _fast(raw: str, names: list[str]) -> Any:
    compiled = jsonplan.compile_plan(field_plan(names), TIME_KEYS, parse_time)
    assert compiled is not None
    return jsonplan.decode(raw.encode("utf-8", "surrogatepass"), compiled, {})


NAMES = ["kind", "objectRef.name", "user.groups{}", "a.b{}.c", "a.b{}", "n", "x{}{}", "e.f"]


def test_the_fast_path_reads_what_the_full_parse_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = json.dumps(
        {
            "kind": "Event",
            "objectRef": {"name": "ds-1", "other": {"deep": [1, 2]}},
            "user": {"groups": ["system:masters", 7, None, True, 2.5, {"no": 1}]},
            "a": {"b": [{"c": "one"}, {"c": ["two", "three"]}, "scalar", 1e20]},
            "n": 12345678901234567890123,  # beyond 64 bits
            "x": [[1, "in"], "flat", [[2]]],
            "e": {},
            "timestamp": "2024-05-14T09:00:00.5Z",
        }
    )
    fast = _fast(raw, NAMES)
    assert fast is not None
    assert fast == _slow(raw, NAMES, monkeypatch)
    fields, t = fast
    assert fields["user.groups{}"] == ["system:masters", "7", "null", "true", "2.5"]
    assert fields["a.b{}.c"] == "one"  # the arrays under c are "a.b{}.c{}"
    assert fields["n"] == "12345678901234567890123"
    assert t == parse_time("2024-05-14T09:00:00.5Z")


@pytest.mark.parametrize(
    "raw",
    [
        '{"objectRef.name": "dotted", "kind": "k"}',  # a key with a dot: the slow path decides
        '{"objectRef": {"name": "n"}, "user.groups": ["g"]}',
        '{"kind": "\\u0045vent"}',  # an escape could spell a dotted key: the slow path decides
        '{"kind": NaN}',  # msgspec refuses it, Python's parser takes it
        "[1, 2]",  # not an object
        "not json",
    ],
)
def test_input_the_fast_path_declines(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fast(raw, NAMES) is None
    with monkeypatch.context() as m:  # and through json_fields the answer is the full parse's
        m.setattr(events_mod, "FAST_JSON", True)
        assert json_fields(raw, field_plan(NAMES)) == _slow(raw, NAMES, monkeypatch)


def test_the_time_is_the_first_time_key_with_a_readable_scalar() -> None:
    raw = json.dumps(
        {
            "requestReceivedTimestamp": {"nested": 1},  # not a scalar: skipped
            "stageTimestamp": "not a time",  # unreadable: skipped
            "timestamp": 1700000000123,  # milliseconds
        }
    )
    assert _fast(raw, ["kind"]) == ({}, 1700000000.123)
    assert _fast('{"kind": "k"}', ["kind"]) == ({"kind": "k"}, None)


def test_plans_with_keys_json_escapes_use_the_full_parse() -> None:
    assert jsonplan.compile_plan(field_plan(['we"ird']), TIME_KEYS, parse_time) is None
    assert jsonplan.compile_plan(field_plan(["back\\slash"]), TIME_KEYS, parse_time) is None


KEYS = st.sampled_from(["a", "b", "c", "kind", "a.b", "time", "x-y", "é"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
STEPS = st.sampled_from(["a", "b", "c", "kind", "time", "x-y", "é", "{}"])


@st.composite
def field_names(draw: st.DrawFn) -> list[str]:
    names = []
    for _ in range(draw(st.integers(1, 5))):
        steps = draw(st.lists(STEPS, min_size=1, max_size=4))
        if steps[0] == "{}":
            steps[0] = "a"
        name = ""
        for step in steps:
            name += step if step == "{}" or not name else "." + step
        names.append(name)
    return names


@settings(max_examples=300, deadline=None)
@given(obj=st.dictionaries(KEYS, VALUES, max_size=6), names=field_names())
def test_fast_and_full_parse_agree_on_any_object(obj: dict[str, Any], names: list[str]) -> None:
    raw = json.dumps(obj, ensure_ascii=False)
    fast = _fast(raw, names)
    events_mod.FAST_JSON = False
    try:
        slow = json_fields(raw, field_plan(names))
    finally:
        events_mod.FAST_JSON = True
    if fast is not None:  # declined only for dotted keys (here "a.b") or escapes
        assert fast == slow
    else:
        assert "a.b" in raw or "\\u" in raw
