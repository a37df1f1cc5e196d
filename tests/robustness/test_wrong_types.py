"""Every field of the seed detection, set to every YAML type in turn: `validate` reports a
located error (file:line) or accepts the value, and never raises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contentkit.content.validate import validate

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"
REPLACEMENTS: dict[str, Any] = {
    "list": ["a", 1],
    "number": 12345,
    "float": 1.5e300,
    "null": None,
    "mapping": {"key": "value"},
    "string": "text",
    "bool": True,
    "deep": [[[[[[{"a": [[[1]]]}]]]]]],
}


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@pytest.mark.parametrize("kind", list(REPLACEMENTS))
def test_every_field_of_the_seed_detection_takes_every_type(pack: Path, kind: str) -> None:
    path = pack / DET
    original = yaml.safe_load(path.read_text())
    checked = 0
    for field_path in _paths(original):
        doc = yaml.safe_load(yaml.safe_dump(original, sort_keys=False))
        before = _get(doc, field_path)
        _set(doc, field_path, REPLACEMENTS[kind])
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        report = validate(pack)  # never raises
        mine = [p for p in report.errors if p.file == DET]
        shown = ".".join(map(str, field_path))
        for problem in mine:
            assert problem.line > 0, f"{shown} = {kind}: unlocated error {problem.format()}"
        if isinstance(before, str) and kind == "mapping":
            assert mine, f"{shown}: a {kind} where a string goes was accepted"
        checked += 1
    path.write_text(yaml.safe_dump(original, sort_keys=False))
    assert checked > 50
