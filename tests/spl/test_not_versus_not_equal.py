"""``NOT field=value`` against ``field!=value`` in ``search`` and ``where``, as the Search
Reference page "search" documents them (example 6, "Using the NOT or != comparisons"): NOT
keeps events without the field, != needs the field to exist, and ``fieldA!=*`` never matches."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl

EVENTS: list[dict[str, Any]] = [
    {"_raw": "has value2", "fieldA": "value2"},
    {"_raw": "has other", "fieldA": "other"},
    {"_raw": "missing"},
    {"_raw": "empty", "fieldA": ""},
]


def kept(pipeline: str) -> list[str]:
    return [r["_raw"] for r in spl.run(f"search * | {pipeline}", [dict(e) for e in EVENTS])]


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        # "returns everything except fieldA="value2", including all other fields"
        ('search NOT fieldA="value2"', ["has other", "missing", "empty"]),
        # "returns events where fieldA exists and does not have the value "value2""
        ('search fieldA!="value2"', ["has other"]),
        # "NOT fieldA=* returns events where fieldA is null or undefined"
        ("search NOT fieldA=*", ["missing", "empty"]),
        # "fieldA!=* never returns any events"
        ("search fieldA!=*", []),
        # where: a comparison with a missing field is false, so NOT keeps the event
        ('where NOT fieldA="value2"', ["has other", "missing", "empty"]),  # "" is a value in eval
        ('where fieldA!="value2"', ["has other", "empty"]),
        ("where NOT fieldA=fieldB", ["has value2", "has other", "missing", "empty"]),
        ('where NOT (fieldA="value2" OR fieldA="other")', ["missing", "empty"]),
    ],
)
def test_not_and_not_equal(pipeline: str, expected: list[str]) -> None:
    assert kept(pipeline) == expected


def test_eval_if_on_a_missing_field_takes_the_else_branch_and_not_the_then() -> None:
    rows = spl.run('| makeresults | eval a=if(x="v", 1, 2), b=if(NOT x="v", 1, 2)', [])
    assert (rows[0]["a"], rows[0]["b"]) == (2, 1)
