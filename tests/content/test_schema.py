"""Schema messages a content author reads: a missing required field, a wrong type, a bad value,
each once, at the right file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentkit.content import schema
from contentkit.content.validate import validate

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"


def _edit(pack: Path, *pairs: tuple[str, str]) -> None:
    path = pack / DET
    text = path.read_text()
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)


def _errors(pack: Path) -> list[tuple[str, int, str, str]]:
    report = validate(pack)
    return [(p.file, p.line, p.field, p.message) for p in report.errors]


def test_missing_required_fields_are_named_once_each(pack: Path) -> None:
    _edit(pack, ("author: contentkit developers\n", ""), ("status: production\n", ""))
    assert _errors(pack) == [
        (DET, 1, "", "missing required field 'author'"),
        (DET, 1, "", "missing required field 'status'"),
    ]


def test_missing_one_of_two_date_fields(pack: Path) -> None:
    _edit(pack, ("date: '2026-11-27'\n", ""))
    assert _errors(pack) == [
        (DET, 1, "", "missing required field: one of 'date' or 'creation_date'")
    ]


def test_missing_field_inside_a_list_item(pack: Path) -> None:
    _edit(pack, ("  - field: user\n    type: user\n", "  - field: user\n"))
    assert _errors(pack) == [(DET, 46, "rba.risk_objects[0]", "missing required field 'type'")]


def test_wrong_types_name_what_was_expected_and_found(pack: Path) -> None:
    _edit(
        pack,
        ("    score: 49", "    score: high"),
        ("  negative: true", "  negative: [true]"),
    )
    assert _errors(pack) == [
        (DET, 48, "rba.risk_objects[0].score", "expected integer, got string"),
        (DET, 75, "tests[1].negative", "expected boolean, got list"),
    ]


def test_bad_values(pack: Path) -> None:
    _edit(pack, ("version: 2\n", "version: two\n"), ("status: production", "status: prod"))
    assert _errors(pack) == [
        (DET, 3, "version", "'two' has the wrong format"),
        (
            DET,
            6,
            "status",
            "'prod' is not one of: production, experimental, deprecated, validation, removed",
        ),
    ]


def test_check_on_documents() -> None:
    missing = schema.check("detection", {})
    assert [f.message for f in missing] == [
        "missing required field 'name'",
        "missing required field 'id'",
        "missing required field 'version'",
        "missing required field 'author'",
        "missing required field 'type'",
        "missing required field 'status'",
        "missing required field 'description'",
        "missing required field 'search'",
        "missing required field 'tags'",
        "missing required field: one of 'date' or 'creation_date'",
    ]
    assert {f.path for f in missing} == {()}
    assert not any(f.at_key for f in missing)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (3, "integer"),
        (1.5, "number"),
        ("x", "string"),
        ([1], "list"),
        ({"a": 1}, "mapping"),
        (b"x", "bytes"),
    ],
)
def test_type_names(value: object, name: str) -> None:
    assert schema._type_name(value) == name


def test_short_values() -> None:
    assert schema._short("abc") == "'abc'"
    assert schema._short([1, 2]) == "[1, 2]"
    long = "x" * 70
    assert schema._short(long) == repr(long)[:57] + "..."
    assert len(schema._short(long)) == 60
    assert schema._short("y" * 58) == repr("y" * 58)  # exactly 60 characters: kept whole


def test_unknown_key_points_at_the_key_with_a_hint() -> None:
    doc = {"name": "x", "known_false_positive": "y"}
    [unknown] = [f for f in schema.check("detection", doc) if f.at_key]
    assert unknown.path == ("known_false_positive",)
    assert unknown.message == (
        "unknown field 'known_false_positive' (did you mean 'known_false_positives'?)"
    )
