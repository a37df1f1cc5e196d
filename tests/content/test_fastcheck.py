"""The compiled check must agree with jsonschema: never call an invalid document valid."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from contentkit.content.fastcheck import compile_schema
from contentkit.content.schema import KINDS, schema
from contentkit.content.yamlio import load_yaml
from tests.conftest import REPO

DETECTION = load_yaml((REPO / "detections/cloud/kubernetes_daemonset_deployed.yml").read_bytes())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["TTP", "Anomaly", "user", "T1204", "2024-01-01", "0 * * * *", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _agree(kind: str, doc: Any) -> None:
    fast = compile_schema(schema(kind))
    assert fast(doc) == Draft202012Validator(schema(kind)).is_valid(doc)


def test_every_schema_compiles() -> None:
    for kind in KINDS:
        compile_schema(schema(kind))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_detections_agree(data: st.DataObject) -> None:
    doc = copy.deepcopy(DETECTION)
    path = data.draw(st.sampled_from(_paths(doc)))
    new = data.draw(values)
    if not path:
        doc = new
    else:
        target = doc
        for step in path[:-1]:
            target = target[step]
        if data.draw(st.booleans()) and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = new
    _agree("detection", doc)


@settings(max_examples=100, deadline=None)
@given(extra=st.text(min_size=1, max_size=10), value=values)
def test_unknown_keys_agree(extra: str, value: Any) -> None:
    doc = copy.deepcopy(DETECTION)
    doc["tags"][extra] = value
    _agree("detection", doc)
